// What the storefront, the company console and the carrier page share.
// Everything the API says reaches the page as text, never as HTML.

export const $ = (id) => document.getElementById(id);

// ApiError is a failed call: status 0 when the network failed; code and
// details from the API's {"error": {…}} body; retryAfter, a 429's seconds.
export class ApiError extends Error {
  constructor(status, code, message, details, retryAfter) {
    super(message);
    Object.assign(this, { status, code, details: details || {}, retryAfter: retryAfter || 0 });
  }
  // unreachable: nobody answered, or a gateway/database said "try later".
  get unreachable() {
    return [0, 502, 503, 504].includes(this.status);
  }
  get field() {
    return typeof this.details.field === "string" ? this.details.field : "";
  }
}

// refusal is a 429 in words: the server's reason (which limit), then the
// wait it sent as Retry-After, in minutes once it is that long.
export function refusal(err) {
  const reason = (err.message || "Too many requests").replace(/;\s*try again in \d+ seconds?\.?$/, "");
  const s = err.retryAfter > 0 ? err.retryAfter : 60;
  return `${reason[0].toUpperCase()}${reason.slice(1)}. Please try again in ${s < 90 ? `${s} seconds` : `about ${Math.round(s / 60)} minutes`}.`;
}

// revoke asks the server to refuse the token from now on, and says whether
// it was told (a token it refuses already counts).
export const revoke = (path, token) => api(path, { method: "DELETE", token }).then(() => true, (err) => err.status === 401);

// api returns the API's JSON answer or throws ApiError. Same origin (so
// nothing to edit after a deploy): CloudFront sends /api/* to API Gateway.
export async function api(path, { method = "GET", body, headers, signal, token } = {}) {
  headers = { Accept: "application/json", ...headers };
  if (token) headers.Authorization = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch("/api" + path, { method, headers, signal, cache: "no-store", body: typeof body === "string" ? body : JSON.stringify(body) }).catch((err) => {
    throw err?.name === "AbortError" ? err : new ApiError(0, "network", "We can't reach the shop right now. Check your connection and try again.");
  });
  const data = await res.json().catch(() => null); // no body, or not JSON
  if (res.ok) return data;
  const e = data?.error || {};
  const s = res.status;
  // Past 500 the API's words are not for shoppers.
  const message = (s < 500 && typeof e.message === "string" && e.message)
    || (s === 429 ? "Too many requests right now. Please wait a moment and try again."
    : s >= 500 ? "The shop is having trouble right now. Please try again in a moment."
    : `Something went wrong (${s}).`);
  throw new ApiError(s, e.code || "http_" + s, message, e.details, parseInt(res.headers.get("Retry-After"), 10));
}

export function time(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const formats = {};

// money formats the server's decimal string ("12.34") as it is:
// Intl.NumberFormat takes strings exactly, so no float ever touches it.
export function money(amount, currency) {
  if (typeof amount !== "string" || !/^-?\d+(\.\d+)?$/.test(amount) || !currency) return "–";
  try {
    formats[currency] ||= new Intl.NumberFormat(undefined, { style: "currency", currency });
    return formats[currency].format(amount);
  } catch {
    return amount + " " + currency;
  }
}

// h builds an element: h("p.small.muted", {id: "x"}, "text", child), the
// classes after the tag's name, never through innerHTML. A button is
// type=button unless it says otherwise.
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name);
  if (classes.length) el.className = classes.join(" ");
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  if (name === "button" && !el.hasAttribute("type")) el.type = "button";
  el.append(...children.flat().filter((c) => c != null && c !== false));
  return el;
}

export const attr = (el, name, value) => (value ? el.setAttribute(name, value) : el.removeAttribute(name));

export const query = (params) => "?" + new URLSearchParams(Object.entries(params).filter(([, v]) => v));

// picture shows a product's photo at most box px wide, sized up front so
// nothing moves when it arrives; attrs.sizes adds the srcset. No photo, one
// outside our /images/ (a stored cart is not trusted), or one that fails to
// load (a local S3 that forgot it): a CSS placeholder.
export function picture(image, name, box, cls, attrs = {}) {
  const i = image || {};
  const ours = (url) => /^\/images\/\w+\.jpg$/.test(url);
  const ph = () => h("span", { class: cls + " ph", "aria-hidden": "true" }, [...name.trim()][0] || "");
  if (!ours(i.url320) || !ours(i.url960) || !(i.width > 0 && i.height > 0)) return ph();
  const w = Math.min(box, i.width);
  const srcset = attrs.sizes && `${i.url320} ${w}w` + (w < i.width ? `, ${i.url960} ${i.width}w` : "");
  return h("img", { class: cls, src: i.url320, srcset, width: w, height: Math.round((i.height * w) / i.width), decoding: "async", alt: name, onerror: (e) => e.target.replaceWith(ph()), ...attrs });
}

// uuid returns a random (version 4) UUID for an Idempotency-Key; pages
// served over plain http (a phone on the LAN) have no randomUUID.
export function uuid() {
  return crypto.randomUUID?.() ?? "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

export function say(text, error, ...extra) {
  $("notice").className = "notice" + (error ? " error" : "");
  notify($("notice"), text && h("p", {}, text), ...extra);
}

// notify fills a notice box (an alert) and shows it, focused if it can be
// so that it is read out; "" first hides it.
export function notify(box, ...content) {
  box.replaceChildren(...content);
  box.hidden = !content[0];
  if (!box.hidden) box.focus();
}

export function setStatus(el, text, error, ...extra) {
  el.replaceChildren(text, ...extra);
  el.className = "status" + (error ? " error" : "");
}

export const statusWords = { placed: "Waiting for a carrier", accepted: "Carrier on the way", picked_up: "Picked up", delivered: "Delivered", cancelled: "Cancelled" };

export const lineList = (lines) => h("ul.plain", {}, lines.map((l) => h("li", {}, `${l.quantity} × ${l.name}`)));

export const plural = (n, word, words = word + "s") => `${n} ${n === 1 ? word : words}`;

export const km = (n) => (typeof n === "number" ? n.toLocaleString(undefined, { maximumFractionDigits: 1 }) + " km" : "");

// clock is the browser's local time of day of an RFC 3339 time.
export const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });

// arrives is an ETA range in words; an estimate says it is approximate.
export const arrives = (eta, estimate) => `Arrives ${clock(eta.earliest)}–${clock(eta.latest)}${estimate ? " (approx.)" : ""}`;

// locate asks the browser once where the device is: {lat, lng}, to six
// decimals as the API keeps them, or an Error saying why not.
export function locate() {
  const fix = (v) => Math.round(v * 1e6) / 1e6;
  return new Promise((resolve, reject) => {
    const no = (why) => reject(new Error(why));
    if (!navigator.geolocation || !isSecureContext) return no("This page can't ask where you are (it needs https).");
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: fix(p.coords.latitude), lng: fix(p.coords.longitude) }),
      (e) => no(e.code === 1 ? "Location access is blocked: allow it for this site in the browser's settings and try again." : e.code === 3 ? "Finding the location took too long: try again." : "The location is not available right now: try again."),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
}

// locateInto fills the lat and lng inputs with the device's location,
// saying how it goes in status: the location, or null.
export async function locateInto(lat, lng, status, button, done = "") {
  setStatus(status, "Finding the location…");
  button.disabled = true;
  try {
    const l = await locate();
    [lat.value, lng.value] = [l.lat, l.lng];
    setStatus(status, done);
    return l;
  } catch (err) {
    setStatus(status, err.message + " Or type the coordinates.", true);
    return null;
  } finally {
    button.disabled = false;
  }
}

// coords reads typed latitude and longitude inputs (a decimal comma too):
// {lat, lng}, or null with what is wrong shown under them.
export function coords(lat, lng) {
  const read = (el, max) => {
    const v = el.value.trim().replace(",", ".");
    return /^-?\d{1,3}(\.\d+)?$/.test(v) && Math.abs(v) <= max ? +v : NaN;
  };
  const p = { lat: read(lat, 90), lng: read(lng, 180) };
  return checkFields(
    [lat, isNaN(p.lat) ? "A latitude in decimal degrees, from -90 to 90, such as 38.7169." : ""],
    [lng, isNaN(p.lng) ? "A longitude in decimal degrees, from -180 to 180, such as -9.1399." : ""],
  ) && p;
}

// showFieldError puts message under the input (aria-describedby) and marks
// it invalid; an empty message clears it.
export function showFieldError(input, message) {
  const id = input.id + "-error";
  const box = $(id) || input.closest(".field").appendChild(h("p.field-error", { id }));
  box.textContent = message;
  box.hidden = !message;
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((s) => s && s !== id);
  attr(input, "aria-invalid", message && "true");
  attr(input, "aria-describedby", [...described, message && id].filter(Boolean).join(" "));
}

// checkFields shows each [input, message] pair ("" clears it) and focuses
// the first input in error; it says whether all were fine.
export function checkFields(...pairs) {
  for (const [input, message] of pairs) showFieldError(input, message);
  const bad = pairs.find(([, message]) => message);
  bad?.[0].focus();
  return !bad;
}

// Typing in a field takes its error away.
document.addEventListener("input", (e) => e.target.matches("[aria-invalid]") && showFieldError(e.target, ""));

// storage wraps Web Storage, which private modes or full disks may refuse:
// then the page still works for this visit.
export function storage(kind) {
  const safe = (fn) => {
    try {
      return fn(kind === "session" ? sessionStorage : localStorage);
    } catch {
      return null;
    }
  };
  return {
    get: (key) => safe((s) => JSON.parse(s.getItem(key))),
    set: (key, value) => safe((s) => s.setItem(key, JSON.stringify(value))),
    remove: (key) => safe((s) => s.removeItem(key)),
  };
}

// phoneNumber returns what a person typed as E.164 ("+351912345678"), or
// "" when it is not a full international number.
export function phoneNumber(text) {
  const p = text.replace(/[\s\-.()]/g, "");
  return /^\+[1-9]\d{6,14}$/.test(p) ? p : "";
}

// codeSignIn runs the sign-in by SMS code in the page's #si-* forms:
// a phone number asks for a code (POST /api/<kind>/session/code), the
// code buys a token (POST /api/<kind>/session); done gets that answer.
export function codeSignIn(kind, done) {
  const [phone, code, status] = [$("si-phone"), $("si-code"), $("si-status")];
  let number = "";
  const step = (codeStep) => {
    setStatus(status, "");
    $("si-phone-form").hidden = codeStep;
    $("si-code-form").hidden = !codeStep;
    (codeStep ? code : phone).focus();
  };
  // submit checks the form's one field (check says what is wrong),
  // then runs post with the button off so that a double press sends once.
  const submit = (form, input, check, post) => $(form).addEventListener("submit", async (e) => {
    e.preventDefault();
    const button = e.target.querySelector("[type=submit]");
    if (!checkFields([input, check()]) || button.disabled) return;
    button.disabled = true;
    try {
      await post();
    } catch (err) {
      if (err.status === 429) {
        const m = Math.ceil(err.retryAfter / 60);
        setStatus(status, `Too many tries for this number. ${m > 0 ? `Try again in ${plural(m, "minute")}.` : "Please wait a few minutes."}`, true);
      } else if (err.status === 401 || err.status === 400) {
        checkFields([input, err.status === 401 ? "That code is wrong, used or expired. Check the SMS, or ask for a new code." : err.message]);
      } else setStatus(status, err.message || "Something went wrong. Please try again.", true);
    } finally {
      button.disabled = false;
    }
  });
  submit("si-phone-form", phone, () => ((number = phoneNumber(phone.value)) ? "" : "Enter your mobile number with the country code, such as +351 912 345 678."), async () => {
    setStatus(status, "Sending a code…");
    const data = await api(`/${kind}/session/code`, { method: "POST", body: { phone: number } });
    code.value = "";
    step(true);
    setStatus(status, data.message);
  });
  const digits = () => code.value.replace(/\s/g, "");
  submit("si-code-form", code, () => (/^\d{6}$/.test(digits()) ? "" : "The code has 6 digits."), async () => {
    const data = await api(`/${kind}/session`, { method: "POST", body: { phone: number, code: digits() } });
    step(false);
    done(data);
  });
  $("si-again").addEventListener("click", () => step(false));
}

// repeat calls fn at once and again after the delay (ms) it returns, until
// it returns 0 or stop() is called. While the tab is hidden nothing runs;
// when it shows again fn runs at once. fn handles its own errors.
export function repeat(fn) {
  const stopped = new AbortController();
  let timer = 0;
  let running = false;
  const stop = () => {
    stopped.abort();
    clearTimeout(timer);
  };
  const run = async () => {
    clearTimeout(timer);
    if (stopped.signal.aborted || running || document.hidden) return;
    running = true;
    let next = 0;
    try {
      next = await fn();
    } finally {
      running = false;
    }
    if (!next) stop();
    else if (!stopped.signal.aborted) timer = setTimeout(run, next);
  };
  document.addEventListener("visibilitychange", () => document.hidden || run(), { signal: stopped.signal });
  run();
  return stop;
}
