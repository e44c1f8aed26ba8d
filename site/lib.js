// Shared by the storefront and the company console: calling the API, its
// errors, formatting money and building DOM nodes. Everything the API says
// reaches the page as text (textContent), never as HTML.

// The API is on the same origin: the local runner serves both, and in AWS
// CloudFront sends /api/* to API Gateway. Nothing to edit after a deploy.
export const API_BASE = "/api";

// ApiError is a failed call. status 0 means the network failed (or the
// API could not be reached at all); code and details come from the API's
// {"error": {"code", "message", "details"}} body.
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
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
  throw new ApiError(res.status, e.code || "http_" + res.status, message, e.details);
}

function statusMessage(status) {
  if (status === 429) return "Lots of people are ordering right now. Please wait a moment and try again.";
  if (status >= 500) return "The shop is having trouble right now. Please try again in a moment.";
  return "Something went wrong (" + status + ").";
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
// text nodes; attributes are set as attributes (never innerHTML).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

// uuid returns a random UUID for an Idempotency-Key.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

// showFieldError puts message under the input (aria-describedby) and marks
// it invalid; an empty message clears it.
export function showFieldError(input, message) {
  const id = input.id + "-error";
  let box = document.getElementById(id);
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
  const s = kind === "session" ? window.sessionStorage : window.localStorage;
  return {
    get(key) {
      try {
        return JSON.parse(s.getItem(key));
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        s.setItem(key, JSON.stringify(value));
      } catch {
        /* storage full or blocked: the page still works for this visit */
      }
    },
    remove(key) {
      try {
        s.removeItem(key);
      } catch {
        /* see set */
      }
    },
  };
}
