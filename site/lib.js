// Shared by the storefront, the company console and the carrier page:
// calling the API, its errors, formatting money and times, building DOM
// nodes, signing in by SMS code and polling. Everything the API says
// reaches the page as text (textContent), never as HTML.

export const $ = (id) => document.getElementById(id);

// The API is on the same origin: the local runner serves both, and in AWS
// CloudFront sends /api/* to API Gateway. Nothing to edit after a deploy.
export const API_BASE = "/api";

// ApiError is a failed call. status 0 means the network failed (or the
// API could not be reached at all); code and details come from the API's
// {"error": {"code", "message", "details"}} body.
export class ApiError extends Error {
  constructor(status, code, message, details, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.retryAfter = retryAfter || 0; // seconds, from a 429's Retry-After
  }
  // unreachable: nobody answered, or a gateway/database said "try later".
  get unreachable() {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
  get field() {
    return typeof this.details.field === "string" ? this.details.field : "";
  }
}

// api calls the API and returns the decoded JSON body, or throws ApiError.
export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal, cache: "no-store" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API_BASE + path, init);
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "We can't reach the shop right now. Check your connection and try again.");
  }
  let data = null;
  const text = await res.text().catch(() => "");
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return { data, headers: res.headers, status: res.status };
  const e = (data && data.error) || {};
  let message = typeof e.message === "string" ? e.message : "";
  if (!message || res.status >= 500) message = statusMessage(res.status);
  throw new ApiError(res.status, e.code || "http_" + res.status, message, e.details, parseInt(res.headers.get("Retry-After"), 10));
}

function statusMessage(status) {
  if (status === 429) return "Too many requests right now. Please wait a moment and try again.";
  if (status >= 500) return "The shop is having trouble right now. Please try again in a moment.";
  return "Something went wrong (" + status + ").";
}

// time shows an API timestamp as a short local date and time.
export function time(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const formats = new Map();

// money formats an amount the server sent as a decimal string ("12.34")
// in the marketplace currency. Intl.NumberFormat takes the string as it is
// (exact decimal formatting): no float arithmetic ever happens here.
export function money(amount, currency) {
  if (typeof amount !== "string" || !/^-?\d+(\.\d+)?$/.test(amount) || !currency) return "–";
  let f = formats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: "currency", currency });
    } catch {
      return amount + " " + currency;
    }
    formats.set(currency, f);
  }
  return f.format(amount);
}

// h builds an element: h("p", {class: "x"}, "text", child). Strings become
// text nodes; attributes are set as attributes (never innerHTML). A button
// is type=button unless it says otherwise.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  if (tag === "button" && !el.hasAttribute("type")) el.type = "button";
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

// picture shows a product's photo (the API's image: two widths, the
// 960 px one's size) at most box px wide, with explicit width and height
// so nothing moves when it arrives; a sizes attribute adds the srcset. A
// product without a photo, or an image that does not point to our own
// /images/ (a cart from storage is not trusted), gets a CSS placeholder.
export function picture(image, name, box, cls, attrs = {}) {
  const i = image || {};
  if (!/^\/images\/\w+\.jpg$/.test(i.url320) || !/^\/images\/\w+\.jpg$/.test(i.url960) || !(i.width > 0 && i.height > 0)) {
    return h("span", { class: cls + " ph", "aria-hidden": "true" }, [...name.trim()][0] || "");
  }
  const w = Math.min(box, i.width);
  const srcset = attrs.sizes && `${i.url320} ${w}w` + (w < i.width ? `, ${i.url960} ${i.width}w` : "");
  return h("img", { class: cls, src: i.url320, srcset, width: w, height: Math.round((i.height * w) / i.width), decoding: "async", alt: name, ...attrs });
}

// uuid returns a random (version 4) UUID for an Idempotency-Key; pages
// served over plain http (a phone on the LAN) have no randomUUID.
export function uuid() {
  return crypto.randomUUID?.() ?? "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

// say shows text, and any nodes after it, in the page's #notice (an
// alert), focused so that it is read out; "" hides it.
export function say(text, error, ...extra) {
  const box = $("notice");
  box.className = "notice" + (error ? " error" : "");
  box.replaceChildren(h("p", {}, text), ...extra);
  box.hidden = !text;
  if (text) box.focus();
}

// plural says "1 item", "2 items".
export const plural = (n, word, words = word + "s") => `${n} ${n === 1 ? word : words}`;

// showFieldError puts message under the input (aria-describedby) and marks
// it invalid; an empty message clears it.
export function showFieldError(input, message) {
  const id = input.id + "-error";
  let box = $(id);
  if (!box) {
    box = h("p", { id, class: "field-error" });
    input.closest(".field").append(box);
  }
  box.textContent = message;
  box.hidden = !message;
  const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((s) => s && s !== id);
  if (message) {
    input.setAttribute("aria-invalid", "true");
    described.push(id);
  } else {
    input.removeAttribute("aria-invalid");
  }
  if (described.length) input.setAttribute("aria-describedby", described.join(" "));
  else input.removeAttribute("aria-describedby");
}

// storage wraps Web Storage, which private modes or full disks may refuse.
export function storage(kind) {
  // Full or blocked storage throws: the page still works for this visit.
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
  const tell = (text, error) => {
    status.textContent = text;
    status.className = "status" + (error ? " error" : "");
  };
  const step = (codeStep) => {
    $("si-phone-form").hidden = codeStep;
    $("si-code-form").hidden = !codeStep;
    (codeStep ? code : phone).focus();
  };
  const fail = (err, input) => {
    if (err.status === 429) {
      const m = Math.ceil(err.retryAfter / 60);
      tell(`Too many tries for this number. ${m > 0 ? `Try again in ${plural(m, "minute")}.` : "Please wait a few minutes."}`, true);
    } else if (err.status === 401 || err.status === 400) {
      showFieldError(input, err.status === 401 ? "That code is wrong, used or expired. Check the SMS, or ask for a new code." : err.message);
      input.focus();
    } else tell(err.message || "Something went wrong. Please try again.", true);
  };
  const busy = async (form, run) => {
    const button = form.querySelector("[type=submit]");
    if (button.disabled) return;
    button.disabled = true;
    try {
      await run();
    } finally {
      button.disabled = false;
    }
  };
  $("si-phone-form").addEventListener("submit", (e) => {
    e.preventDefault();
    number = phoneNumber(phone.value);
    showFieldError(phone, number ? "" : "Enter your mobile number with the country code, such as +351 912 345 678.");
    if (!number) return phone.focus();
    busy(e.target, async () => {
      tell("Sending a code…");
      try {
        const { data } = await api(`/${kind}/session/code`, { method: "POST", body: { phone: number } });
        code.value = "";
        step(true);
        tell(data.message);
      } catch (err) {
        fail(err, phone);
      }
    });
  });
  $("si-code-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const c = code.value.replace(/\s/g, "");
    showFieldError(code, /^\d{6}$/.test(c) ? "" : "The code has 6 digits.");
    if (!/^\d{6}$/.test(c)) return code.focus();
    busy(e.target, async () => {
      try {
        const { data } = await api(`/${kind}/session`, { method: "POST", body: { phone: number, code: c } });
        tell("");
        step(false);
        done(data);
      } catch (err) {
        fail(err, code);
      }
    });
  });
  $("si-again").addEventListener("click", () => {
    tell("");
    step(false);
  });
  for (const input of [phone, code]) input.addEventListener("input", () => showFieldError(input, ""));
}

// repeat calls fn at once and again after the delay (ms) it returns, until
// it returns 0 or stop() is called. While the tab is hidden nothing runs;
// when it shows again fn runs at once. fn handles its own errors.
export function repeat(fn) {
  let timer = 0;
  let running = false;
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", shown);
  };
  const run = async () => {
    clearTimeout(timer);
    if (stopped || running || document.hidden) return;
    running = true;
    let next = 0;
    try {
      next = await fn();
    } finally {
      running = false;
    }
    if (!next) stop();
    else if (!stopped) timer = setTimeout(run, next);
  };
  const shown = () => document.hidden || run();
  document.addEventListener("visibilitychange", shown);
  run();
  return stop;
}
