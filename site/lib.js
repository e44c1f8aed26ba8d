// What the storefront, the company console and the carrier page share.
// Everything the API says reaches the page as text, never as HTML.

export const $ = (id) => document.getElementById(id);

// status 0: the network failed; retryAfter: a 429's seconds.
export class ApiError extends Error {
  constructor(status, code, message, details, retryAfter) {
    super(message);
    Object.assign(this, { status, code, details: details || {}, retryAfter: retryAfter || 0 });
  }
  get unreachable() {
    return [0, 502, 503, 504].includes(this.status);
  }
  get field() {
    return typeof this.details.field === "string" ? this.details.field : "";
  }
}

export function refusal(err) {
  const reason = (err.message || "Too many requests").replace(/;\s*try again in \d+ seconds?\.?$/, "");
  const s = err.retryAfter > 0 ? err.retryAfter : 60;
  return `${reason[0].toUpperCase()}${reason.slice(1)}. Please try again in ${s < 90 ? `${s} seconds` : `about ${Math.round(s / 60)} minutes`}.`;
}

// revoke says whether the server was told (a token it refuses counts).
export const revoke = (path, token) => api(path, { method: "DELETE", token }).then(() => true, (err) => err.status === 401);

// Same origin, nothing to edit after a deploy: CloudFront sends /api/*
// to API Gateway.
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

// Intl.NumberFormat takes the API's decimal strings exactly: no float.
export function money(amount, currency) {
  if (typeof amount !== "string" || !/^-?\d+(\.\d+)?$/.test(amount) || !currency) return "–";
  try {
    formats[currency] ||= new Intl.NumberFormat(undefined, { style: "currency", currency });
    return formats[currency].format(amount);
  } catch {
    return amount + " " + currency;
  }
}

// h("p.small.muted", {id: "x"}, "text", child) builds an element, never
// through innerHTML.
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

// picture is sized up front, so nothing moves when it arrives. A photo
// outside our /images/ (a stored cart is not trusted) or one that fails to
// load: a placeholder.
export function picture(image, name, box, cls, attrs = {}) {
  const i = image || {};
  const ours = (url) => /^\/images\/\w+\.jpg$/.test(url);
  const ph = () => h("span", { class: cls + " ph", "aria-hidden": "true" }, [...name.trim()][0] || "");
  if (!ours(i.url320) || !ours(i.url960) || !(i.width > 0 && i.height > 0)) return ph();
  const w = Math.min(box, i.width);
  const srcset = attrs.sizes && `${i.url320} ${w}w` + (w < i.width ? `, ${i.url960} ${i.width}w` : "");
  return h("img", { class: cls, src: i.url320, srcset, width: w, height: Math.round((i.height * w) / i.width), decoding: "async", alt: name, onerror: (e) => e.target.replaceWith(ph()), ...attrs });
}

// Pages served over plain http (a phone on the LAN) have no randomUUID.
export function uuid() {
  return crypto.randomUUID?.() ?? "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

export function say(text, error, ...extra) {
  $("notice").className = "notice" + (error ? " error" : "");
  notify($("notice"), text && h("p", {}, text), ...extra);
}

// notify focuses the notice, so that it is read out; "" hides it.
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

export const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });

export const arrives = (eta, estimate) => `Arrives ${clock(eta.earliest)}–${clock(eta.latest)}${estimate ? " (approx.)" : ""}`;

export const unlocated = (e) => e.code === 1 ? "Location access is blocked: allow it for this site in the browser's settings and try again." : e.code === 3 ? "Finding the location took too long: try again." : "The location is not available right now: try again.";

// six decimals, as the API keeps positions
export const point = (c) => ({ lat: Math.round(c.latitude * 1e6) / 1e6, lng: Math.round(c.longitude * 1e6) / 1e6 });

export const noGeolocation = () => !navigator.geolocation || !isSecureContext ? "This page can't ask where you are (it needs https)." : "";

export function locate() {
  return new Promise((resolve, reject) => {
    const no = noGeolocation();
    if (no) return reject(new Error(no));
    navigator.geolocation.getCurrentPosition((p) => resolve(point(p.coords)), (e) => reject(new Error(unlocated(e))), { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}

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

export function showFieldError(input, message) {
  const id = input.id + "-error";
  const box = $(id) || input.closest(".field").appendChild(h("p.field-error", { id }));
  box.textContent = message;
  box.hidden = !message;
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((s) => s && s !== id);
  attr(input, "aria-invalid", message && "true");
  attr(input, "aria-describedby", [...described, message && id].filter(Boolean).join(" "));
}

export function checkFields(...pairs) {
  for (const [input, message] of pairs) showFieldError(input, message);
  const bad = pairs.find(([, message]) => message);
  bad?.[0].focus();
  return !bad;
}

// Typing in a field takes its error away.
document.addEventListener("input", (e) => e.target.matches("[aria-invalid]") && showFieldError(e.target, ""));

// Private modes or full disks may refuse storage: the visit still works.
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

export function phoneNumber(text) {
  const p = text.replace(/[\s\-.()]/g, "");
  return /^\+[1-9]\d{6,14}$/.test(p) ? p : "";
}

// codeSignIn runs the #si-* forms: a phone number gets a code by SMS, the
// code a token, which done gets.
export function codeSignIn(kind, done) {
  const [phone, code, status] = [$("si-phone"), $("si-code"), $("si-status")];
  let number = "";
  const step = (codeStep) => {
    setStatus(status, "");
    $("si-phone-form").hidden = codeStep;
    $("si-code-form").hidden = !codeStep;
    (codeStep ? code : phone).focus();
  };
  // The button is off while it posts: a double press sends once.
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

// repeat calls fn again after the ms it returns, until 0 or stop(); not
// while the tab is hidden, and at once when it shows again.
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
