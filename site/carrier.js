// The carrier page, phone first; offers link to #d=<deliveryId>. The token
// stays in localStorage until it expires.
import { $, api, ApiError, attr, clock, codeSignIn, h, km, lineList, locate, money, noGeolocation, plural, point, query, refusal, repeat, revoke, say, setStatus, statusWords, storage, time, unlocated } from "./lib.js";

const local = storage("local");
const KEY = "delivery.carrier.v1";

let me = local.get(KEY); // {token, expiresAt, name}
let list = { view: "", cursor: null, seq: 0 };
let stopPoll = null;
let expiry = 0; // shows the sign-in when the token expires
let shown = null; // the delivery on the page, as last rendered (JSON)
let here = null; // the carrier's position, while they share it: in memory only
let shift = null; // as the server last told it; null: ask
let watch = null; // on shift: {id, fix, timer}
let ends = 0; // asks again when the shift ends by itself
let away = 0; // unwatches once the page is hidden a while

const at = (params = {}) => query({ ...params, lat: here && String(here.lat), lng: here && String(here.lng) });

const words = { ...statusWords, accepted: "Claimed" };
const items = (n) => plural(n, "item");

function signedIn() {
  if (me && Date.parse(me.expiresAt) > Date.now() && typeof me.token === "string") return true;
  if (me) expire();
  return false;
}

function forget() {
  me = null;
  local.remove(KEY);
}

function expire() {
  forget();
  say("Your sign-in expired. Sign in again to carry on.", true);
}

// After a 401 the address (a #d= link) stays: signing in comes back to it.
async function call(path, method, body) {
  try {
    if (!signedIn()) throw new ApiError(401, "unauthorized", "");
    return await api("/carrier" + path, { method, body, token: me.token });
  } catch (err) {
    if (err.status === 401) {
      if (me) expire();
      route();
    }
    throw err;
  }
}

function explain(err) {
  if (!(err instanceof ApiError)) return "Something went wrong. Please try again.";
  if (err.status === 429) return refusal(err);
  return err.message;
}

function route(focus) {
  stopPoll?.();
  stopPoll = null;
  const ok = signedIn();
  clearTimeout(expiry);
  if (ok) expiry = setTimeout(route, Date.parse(me.expiresAt) - Date.now() + 1000);
  const id = location.hash.startsWith("#d=") ? decodeURIComponent(location.hash.slice(3)) : "";
  const view = !ok ? "signin" : id ? "order" : "lists";
  for (const v of ["signin", "lists", "order"]) $(v).hidden = v !== view;
  $("signout").hidden = !ok;
  if (!ok) {
    unwatch();
    clearTimeout(ends);
    shift = null;
  } else if (!shift) {
    loadShift();
    loadPush();
  }
  if (view === "signin") $("signin-next").textContent = id ? "Sign in to see this delivery: you come back to it right after." : "";
  else if (view === "order") openOrder(id);
  else {
    $("who").textContent = `Signed in as ${me.name}.`;
    openList(location.hash === "#mine" ? "mine" : "available");
  }
  if (focus) $(view + "-title").focus();
}

async function openList(view, more) {
  const seq = ++list.seq;
  if (!more) {
    list = { view, cursor: null, seq };
    $("orders").replaceChildren();
    for (const v of ["available", "mine"]) attr($("tab-" + v), "aria-current", v === view && "page");
  }
  const status = $("list-status");
  setStatus(status, "Loading…");
  $("more").disabled = true;
  try {
    const data = await call("/orders" + at({ view, limit: 20, cursor: more && list.cursor }));
    if (seq !== list.seq) return;
    $("orders").append(...data.orders.map(card));
    list.cursor = data.nextCursor;
    const n = $("orders").children.length;
    status.textContent = n
      ? `${plural(n, "delivery", "deliveries")}${list.cursor ? " so far" : ""}.`
      : view === "mine" ? "Nothing under way. Claim a delivery from Available." : "No deliveries waiting. New ones come to you by SMS.";
  } catch (err) {
    if (seq !== list.seq) return;
    setStatus(status, explain(err), true);
  }
  $("more").disabled = false;
  $("more").hidden = !list.cursor;
}

function card(o) {
  return h("li.admin-item", { "data-delivery-id": o.deliveryId },
    h("a.delivery", { href: "#d=" + encodeURIComponent(o.deliveryId) },
      h("span.name", {}, o.reference, " ", h("span.tag", {}, words[o.status] || o.status)),
      h("span.small", {}, `${o.area} · ${items(o.itemCount)} · ${money(o.total, o.currency)}`),
      h("span.small.earn", {}, trip(o)),
      h("span.small.muted", {}, "From " + o.pickups.map((p) => p.companyName + (p.state === "ready" ? " (ready)" : "")).join(", ")),
    ),
  );
}

function openOrder(id) {
  shown = null;
  $("order-title").textContent = "Delivery";
  $("order-body").replaceChildren();
  $("order-status").textContent = "Loading the delivery…";
  follow(id);
}

// follow asks again while something can change, as often as that matters
// to this carrier.
function follow(id) {
  stopPoll?.();
  stopPoll = repeat(async () => {
    try {
      const o = await call("/orders/" + encodeURIComponent(id) + at());
      render(o);
      if (o.status === "placed") return 15000;
      if (o.status === "accepted") return o.mine && !allReady(o) ? 5000 : 15000;
      return 0;
    } catch (err) {
      if (err.status === 401) return 0;
      if (err.status === 404) {
        gone("We can't find this delivery. Another carrier may have taken it, or it was cancelled.");
        return 0;
      }
      $("order-status").textContent = explain(err);
      return 15000;
    }
  });
}

const trip = (o) => [`You earn ${money(o.deliveryFee, o.currency)}`, o.distanceKm != null && `${km(o.distanceKm)} route`, o.pickupKm != null && `${km(o.pickupKm)} to pickup`].filter(Boolean).join(" · ");

const allReady = (o) => o.pickups.every((p) => p.state === "ready");

function gone(text) {
  shown = null;
  $("order-status").textContent = "";
  $("order-body").replaceChildren(
    h("div.notice.error", { id: "order-gone" }, h("p", {}, text)),
    h("p", {}, h("a.button.secondary", { href: "#available" }, "See available deliveries")),
  );
}

// A Google Maps link opens a maps app on Android and iOS and a map on a
// desktop; a geo: URI opens nothing on iOS or a desktop.
const maps = (address) => h("a.maps", { href: "https://maps.google.com/?q=" + encodeURIComponent(address), target: "_blank", rel: "noopener noreferrer" }, address, h("span.visually-hidden", {}, " (opens in maps)"));
const spot = (l) => h("a.maps", { href: `https://www.openstreetmap.org/?mlat=${l.lat}&mlon=${l.lng}#map=18/${l.lat}/${l.lng}`, target: "_blank", rel: "noopener noreferrer" }, "Open the exact spot in a map");
const tel = (phone, label) => h("a.tel", { href: "tel:" + phone, "aria-label": `Call ${label}` }, phone);

function render(o) {
  const json = JSON.stringify(o);
  if (json === shown) return;
  shown = json;
  const focused = document.activeElement?.dataset.action;
  const mine = o.mine;
  $("order-title").textContent = "Delivery " + o.reference;
  const statusText = mine && o.status === "accepted" ? "Yours: pick it up" : mine && o.status === "picked_up" ? "Yours: on the way to the customer" : words[o.status] || o.status;
  const status = $("order-status");
  status.dataset.status = o.status;
  if (status.textContent !== statusText) status.textContent = statusText;

  const c = o.details?.customer;
  const waiting = o.pickups.filter((p) => p.state !== "ready").map((p) => p.companyName);
  const button = (action, text, cls, extra) => h("button", { class: `button ${cls} wide`, "data-action": action, onclick: () => act(o, action), ...extra }, text);
  $("order-body").replaceChildren(
    h("dl.facts.panel", {},
      h("dt", {}, "Area"), h("dd", {}, o.area),
      h("dt", {}, "Items"), h("dd", {}, items(o.itemCount)),
      h("dt", {}, "Total"), h("dd", { "data-amount": o.total }, money(o.total, o.currency)),
      h("dt", {}, "You earn"), h("dd", { id: "order-fee", "data-amount": o.deliveryFee }, money(o.deliveryFee, o.currency)),
      o.distanceKm != null ? [h("dt", {}, "Route"), h("dd", { id: "order-km" }, km(o.distanceKm))] : null,
      o.pickupKm != null ? [h("dt", {}, "To pickup"), h("dd", { id: "order-pickup-km" }, km(o.pickupKm))] : null,
      h("dt", {}, "Ordered"), h("dd", {}, time(o.createdAt)),
    ),
    h("div.actions", {},
      o.status === "placed" ? button("claim", "Claim this delivery", "primary") : null,
      mine && o.status === "accepted" ? [
        button("pickup", "Picked up", "primary", waiting.length ? { disabled: true, "aria-describedby": "pickup-why" } : {}),
        waiting.length ? h("p.hint", { id: "pickup-why" }, `Waiting for ${waiting.join(" and ")} to mark ${waiting.length === 1 ? "its" : "their"} items ready.`) : null,
        button("release", "Give it back", "secondary"),
      ] : null,
      mine && o.status === "picked_up" ? button("deliver", "Delivered", "primary") : null,
      o.status === "delivered" ? h("p.notice", {}, "Delivered. Thank you!") : null,
      o.status === "cancelled" ? h("p.notice.error", {}, "This order was cancelled: there is nothing to deliver.") : null,
      !mine && (o.status === "accepted" || o.status === "picked_up") ? h("p.notice.error", {}, "Another carrier has this delivery.") : null,
    ),
    c ? h("section.panel", { id: "customer", "aria-labelledby": "customer-title" },
      h("h2", { id: "customer-title" }, "Deliver to"),
      h("p.name", {}, c.name),
      h("p", {}, tel(c.phone, c.name)),
      h("p", {}, maps(c.address)),
      c.location ? h("p", {}, spot(c.location)) : null,
      c.note ? h("p.note", {}, "Note: " + c.note) : null,
    ) : "",
    h("section.panel", { "aria-labelledby": "pickups-title" },
      h("h2", { id: "pickups-title" }, "Pick up from"),
      h("ul.admin-list", {}, o.pickups.map((p) =>
        h("li.pickup", { "data-company-id": p.companyId },
          h("p.name", {}, p.companyName, " ", h("span", { class: "tag" + (p.state === "ready" ? "" : " off") }, p.state === "ready" ? "Ready" : "Preparing")),
          p.phone ? h("p", {}, tel(p.phone, p.companyName)) : null,
          p.address ? h("p", {}, maps(p.address)) : null,
          p.lines ? lineList(p.lines) : h("p.small.muted", {}, items(p.itemCount)),
        ),
      )),
    ),
  );
  if (focused) $("order-body").querySelector(`[data-action="${focused}"]:not(:disabled)`)?.focus();
}

const done = {
  claim: "It's yours. The shops and the customer are below.",
  pickup: "Picked up. Now take it to the customer.",
  deliver: "Delivered. Thank you!",
  release: "You gave it back: other carriers can claim it now.",
};

async function act(o, action) {
  for (const b of $("order-body").querySelectorAll("[data-action]")) b.disabled = true;
  say("");
  try {
    const fresh = await call(`/orders/${encodeURIComponent(o.deliveryId)}/${action}`, "POST");
    render(fresh);
    $("order-status").textContent = done[action];
    if (action === "release") location.hash = "#available";
    else follow(o.deliveryId);
  } catch (err) {
    if (err.status === 401) return;
    shown = null;
    if (err.code === "conflict" && action === "claim") return gone("Already taken: another carrier claimed this delivery first.");
    if (err.code === "carrier_limit") say(`${err.message.charAt(0).toUpperCase()}${err.message.slice(1)}. Your deliveries are under Mine.`, true);
    else if (err.details?.reason === "parts_not_ready") say("Not every shop has marked its items ready yet. Wait for them, then try again.", true);
    else if (err.code === "conflict") say(`This delivery is ${(words[err.details.status] || err.details.status || "changed").toLowerCase()} now, so that can't be done.`, true);
    else say(explain(err), true);
    route();
  }
}

// The same words again would be read out again.
function put(el, text, error) {
  if (el.textContent !== text || el.classList.contains("error") !== Boolean(error)) setStatus(el, text, error);
}

async function loadShift(body) {
  const button = $("shift-toggle");
  button.disabled = true;
  try {
    showShift(await call("/shift", body && "POST", body));
  } catch (err) {
    if (err.status !== 401) put($("shift-status"), explain(err), true);
  }
  button.disabled = false;
}

const NO_POSITION = "Without your position you are offered no orders near you, only those sent to every carrier.";

function showShift(s) {
  shift = s;
  const on = Boolean(s.onShift);
  const button = $("shift-toggle");
  button.textContent = on ? "End shift" : "Start shift";
  button.className = `button ${on ? "secondary" : "primary"} wide`;
  put($("shift-status"), on ? `On shift since ${clock(s.startedAt)}.` : "Off shift.");
  $("shift-ends").textContent = on ? `It ends by itself at ${clock(s.endsAt)}; each position sent moves that on, up to 12 hours after the start.` : "";
  clearTimeout(ends);
  if (!on) return unwatch();
  ends = setTimeout(loadShift, Math.min(Date.parse(s.endsAt) - Date.now() + 1000, 2 ** 31 - 1));
  if (watch) return;
  const no = noGeolocation();
  if (no) return put($("where"), `${no} ${NO_POSITION}`, true);
  put($("where"), "Finding your position…");
  const w = (watch = { fix: null, timer: 0 });
  w.id = navigator.geolocation.watchPosition(
    (p) => {
      const first = !w.fix;
      w.fix = p;
      if (first) send(w);
    },
    (e) => put($("where"), `${unlocated(e)} ${NO_POSITION}`, true),
    { enableHighAccuracy: true, maximumAge: 15000 },
  );
}

function unwatch() {
  if (watch) navigator.geolocation.clearWatch(watch.id);
  clearTimeout(watch?.timer);
  watch = null;
  put($("where"), "");
}

// Sent every 15 s even unmoved, so that a carrier waiting stays on shift;
// a stale fix is not, so that the shift ends when positions stop.
async function send(w) {
  if (watch !== w) return;
  w.timer = setTimeout(send, 15000, w);
  if (Date.now() - w.fix.timestamp > 120000) return;
  const c = w.fix.coords;
  try {
    const s = await call("/location", "POST", { ...point(c), accuracy: c.accuracy || undefined });
    if (watch !== w) return;
    put($("where"), "Your position is shared.");
    showShift(s);
  } catch (err) {
    if (err.status === 409) loadShift();
    else if (err.status !== 401 && err.status !== 429) put($("where"), explain(err), true);
  }
}

let pushKey = "";
let pushOn = false;

const subscription = async () => (await navigator.serviceWorker.getRegistration())?.pushManager.getSubscription();
const showPush = (on) => ($("push-toggle").textContent = `Turn ${(pushOn = on) ? "off" : "on"} notifications`);

async function loadPush() {
  if (!navigator.serviceWorker || !window.PushManager) return;
  $("push").hidden = false;
  try {
    const [p, sub] = await Promise.all([call("/push-subscription"), subscription()]);
    pushKey = p.vapidPublicKey;
    showPush(p.subscribed && Boolean(sub));
  } catch (err) {
    if (err.status !== 401) put($("push-status"), explain(err), true);
  }
}

const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function togglePush() {
  const button = $("push-toggle");
  const on = !pushOn;
  button.disabled = true;
  try {
    if (on) {
      await navigator.serviceWorker.register("sw.js");
      const reg = await navigator.serviceWorker.ready;
      const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(pushKey) });
      await call("/push-subscription", "POST", sub.toJSON());
    } else {
      await (await subscription())?.unsubscribe();
      await call("/push-subscription", "DELETE");
    }
    showPush(on);
    put($("push-status"), on ? "Notifications are on: offers come to this phone." : "Notifications are off: offers come by SMS.");
  } catch (err) {
    if (err.status === 401) return;
    put($("push-status"), err instanceof ApiError ? explain(err) : "This browser did not allow notifications (see its settings): offers come by SMS.", true);
  } finally {
    button.disabled = false;
  }
}

codeSignIn("carrier", (data) => {
  me = { token: data.token, expiresAt: data.expiresAt, name: data.carrier.name };
  local.set(KEY, me);
  say("");
  route(true);
});
$("signout").addEventListener("click", async () => {
  // Ending the shift deletes the position.
  if (shift?.onShift) await loadShift({ onShift: false });
  const revoked = !me || (await revoke("/carrier/session", me.token));
  forget();
  route(true);
  say(revoked ? "Signed out." : "Signed out on this phone, but the server could not be told: sign out again once you are back online.");
});
$("refresh").addEventListener("click", () => {
  shift = null;
  route();
});
$("shift-toggle").addEventListener("click", () => loadShift({ onShift: !shift?.onShift }));
$("push-toggle").addEventListener("click", togglePush);
document.addEventListener("visibilitychange", () => {
  clearTimeout(away);
  if (document.hidden) away = setTimeout(unwatch, 60000);
  else if (shift?.onShift) loadShift();
});
$("distances").addEventListener("click", async () => {
  setStatus($("list-status"), "Finding your position…");
  try {
    here = watch?.fix ? point(watch.fix.coords) : await locate();
  } catch (err) {
    return setStatus($("list-status"), err.message, true);
  }
  $("distances").textContent = "Update distances";
  $("no-distances").hidden = false;
  route();
});
$("no-distances").addEventListener("click", () => {
  here = null;
  $("distances").textContent = "Show distances";
  $("no-distances").hidden = true;
  route();
});
$("more").addEventListener("click", () => openList(list.view, true));
window.addEventListener("hashchange", () => {
  say("");
  route(true);
  window.scrollTo(0, 0);
});
route();
