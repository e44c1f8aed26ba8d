// The storefront. Money is never computed here: every amount shown is a
// string the API sent.
import { $, api, ApiError, arrives, attr, checkFields, coords, h, km, locateInto, money, notify, phoneNumber, picture, plural, query, refusal, repeat, setStatus, storage, time, uuid } from "./lib.js";

const local = storage("local");
const session = storage("session");
const CART_KEY = "delivery.cart.v1";
const ATTEMPT_KEY = "delivery.checkout.v1"; // the Idempotency-Key of the checkout under way
const MAX_QUANTITY = 999; // the API's limits: per product,
const MAX_LINES = 100; // and of distinct products

const state = {
  products: new Map(), // id -> product, in load order
  cards: new Map(), // id -> <li>
  cursor: null,
  more: true,
  loading: false,
  reset: false, // the filters changed: the next page is a first page
  shops: false, // the shop filter is filled or being filled
  filter: { q: "", company: "" },
  cart: loadCart(), // [{productId, quantity, name, companyId, companyName, image}]
  companies: new Map(), // id -> {id, name, open, opensAt}
  refused: new Set(), // shops a quote or order found closed since the list was read
  tz: undefined, // the marketplace's timezone, in which shops open
  to: null, // where to deliver: {lat, lng}
  quote: null, // {key, data} for the cart it priced
  quoteState: "idle", // idle | loading | error
  quoteError: null,
  placing: false,
};

function loadCart() {
  const saved = local.get(CART_KEY);
  return Array.isArray(saved) ? saved.filter((l) => l && Number.isInteger(l.productId) && l.productId > 0 && Number.isInteger(l.quantity) && l.quantity > 0) : [];
}

const saveCart = () => local.set(CART_KEY, state.cart);
const cartLine = (id) => state.cart.find((l) => l.productId === id);
const quantity = (id) => cartLine(id)?.quantity || 0;
const itemCount = () => state.cart.reduce((n, l) => n + l.quantity, 0);
// A closed shop's items stay in the cart but out of the quote and order.
const closed = (companyId) => state.refused.has(companyId) || state.companies.get(companyId)?.open === false;
const items = () => state.cart.filter((l) => !closed(l.companyId)).map((l) => ({ productId: l.productId, quantity: l.quantity }));
const cartKey = () => JSON.stringify([items(), state.to]);
const freshQuote = () => (state.quote?.key === cartKey() ? state.quote.data : null);

function setQuantity(id, qty) {
  qty = Math.max(0, Math.min(MAX_QUANTITY, qty));
  const line = cartLine(id);
  const p = state.products.get(id);
  if (!qty) state.cart = state.cart.filter((l) => l.productId !== id);
  else if (line) line.quantity = qty;
  else if (state.cart.length >= MAX_LINES) return notice(`An order holds at most ${MAX_LINES} different products.`);
  else if (!p || closed(p.companyId)) return;
  else state.cart.push({ productId: id, quantity: qty, name: p.name, companyId: p.companyId, companyName: p.companyName, image: p.image });
  saveCart();
  cartChanged();
}

function cartChanged() {
  const focused = document.activeElement?.dataset.key;
  renderCard(...state.products.keys());
  renderCart();
  restoreFocus(focused);
  requestQuote();
}

// Keyboard users stay in place when "Add" becomes a stepper and back.
function restoreFocus(key) {
  if (!key || document.activeElement?.dataset.key === key) return;
  const [kind, id] = key.split(":");
  const fallbacks = { add: "inc add", inc: "inc add", dec: "dec inc add", cinc: "cinc cdec", cdec: "cdec cinc", crm: "" }[kind] ?? kind;
  for (const k of fallbacks.split(" ")) {
    const el = document.querySelector(`[data-key="${k}:${id}"]`);
    if (el && !el.disabled) return el.focus();
  }
  if (kind.startsWith("c")) $("cart-title").focus();
}

// "Load more" keeps the filters: the API refuses a cursor with others.
let listAbort = null;

async function loadPage() {
  const reset = state.reset;
  if (!reset && (state.loading || !state.more)) return;
  listAbort?.abort();
  const abort = (listAbort = new AbortController());
  const busy = (on) => {
    state.loading = $("more").disabled = on;
    $("more").textContent = on ? "Loading…" : "Load more products";
    attr($("products"), "aria-busy", on && "true");
    renderStatus();
  };
  $("catalog-error").hidden = true;
  busy(true);
  try {
    const { q, company } = state.filter;
    const data = await api("/products" + query({ limit: 20, q, companyId: company, cursor: !reset && state.cursor }), { signal: abort.signal });
    if (abort !== listAbort) return;
    if (reset) clearList();
    state.reset = false;
    for (const p of data.products) {
      if (state.products.has(p.id)) continue;
      state.products.set(p.id, p);
      addCard(p);
    }
    state.cursor = data.nextCursor;
    state.more = Boolean(data.nextCursor);
    if (!state.shops) loadCompanies();
  } catch (err) {
    if (abort !== listAbort) return;
    // The list shown no longer matches the filters.
    if (reset) clearList();
    showCatalogError(err);
  } finally {
    if (abort === listAbort) {
      $("more").hidden = !state.more;
      busy(false);
    }
  }
}

function clearList() {
  state.products.clear();
  state.cards.clear();
  $("products").replaceChildren();
}

let filterTimer = 0;

function filterChanged() {
  clearTimeout(filterTimer);
  const filter = { q: $("q").value.trim(), company: $("company").value };
  if (filter.q === state.filter.q && filter.company === state.filter.company) return;
  state.filter = filter;
  state.reset = true;
  state.more = true;
  loadPage();
}

function showCatalogError(err) {
  notify($("catalog-error"),
    h("p", {}, err instanceof ApiError ? err.message : "Something went wrong while loading products."),
    h("button.button.secondary", { onclick: loadPage }, "Try again"),
  );
}

// Read again every minute, as shops open and close.
async function loadCompanies() {
  state.shops = true;
  try {
    const data = await api("/companies");
    const select = $("company");
    const chosen = select.value;
    select.replaceChildren(select.options[0], ...data.companies.map((c) => h("option", { value: c.id }, c.name + (c.open === false ? " (closed)" : ""))));
    select.value = chosen;
    state.companies = new Map(data.companies.map((c) => [c.id, c]));
    state.refused.clear();
    shopsChanged();
  } catch {
    state.shops = false;
  }
  return 60000;
}

function shopsChanged() {
  renderCard(...state.products.keys());
  renderCart();
  if (state.quote?.key !== cartKey()) requestQuote(0);
}

// Shops open on the marketplace's clock.
function shut(companyId) {
  if (!closed(companyId)) return "";
  const at = state.companies.get(companyId)?.opensAt;
  if (!at) return state.refused.has(companyId) ? "Closed now" : "Paused";
  return "Closed · opens " + new Date(at).toLocaleString("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: state.tz }).replace(",", "");
}

async function loadArea() {
  try {
    const a = await api("/area");
    state.tz = a.timezone;
    const note = $("area-note");
    note.textContent = `Delivery costs ${money(a.fee.base, a.currency)} plus ${money(a.fee.perKm, a.currency)} a km${a.maxKm ? `, up to ${a.maxKm} km from the shops` : ""}${a.area ? ", within our delivery area" : ""}.`;
    note.hidden = false;
    shopsChanged();
  } catch {
    /* the note is optional */
  }
}

// The columns of style.css; cards below the first row load lazily.
const SIZES = "(min-width: 1200px) 260px, (min-width: 960px) calc(50vw - 220px), (min-width: 600px) 50vw, 100vw";

function addCard(p) {
  const li = h("li.card", { "data-product-id": p.id },
    picture(p.image, p.name, 320, "pic", { sizes: SIZES, loading: state.cards.size > 2 && "lazy" }),
    h("h3.name", {}, p.name),
    h("p.company", {}, p.companyName),
    h("p.shut", { id: `shut-${p.id}` }),
    p.description ? h("p.desc", {}, p.description) : null,
    h("div.buy", {}, h("span.price", { "data-amount": p.price }, money(p.price, p.currency)), h("div.action", {})),
  );
  state.cards.set(p.id, li);
  $("products").append(li);
  renderCard(p.id);
}

function renderCard(...ids) {
  for (const id of ids) {
    const li = state.cards.get(id);
    const p = state.products.get(id);
    if (!li || !p) continue;
    const qty = quantity(id);
    const off = shut(p.companyId);
    const action = li.querySelector(".action");
    li.querySelector(".shut").textContent = off;
    li.classList.toggle("closed", Boolean(off));
    if (action.dataset.qty === qty + off) continue;
    action.dataset.qty = qty + off;
    action.replaceChildren(
      qty === 0
        ? h("button.button.add", { "data-key": `add:${id}`, "aria-label": `Add ${p.name} to cart`, disabled: Boolean(off), "aria-describedby": off && `shut-${id}`, onclick: () => setQuantity(id, 1) }, "Add")
        : stepper(id, p.name, qty, "", off),
    );
  }
}

function stepper(id, name, qty, prefix, off) {
  return h("div.stepper", { role: "group", "aria-label": `Quantity of ${name}` },
    h("button.step", { "data-key": `${prefix}dec:${id}`, "aria-label": qty === 1 ? `Remove ${name} from cart` : `One less ${name}`, onclick: () => setQuantity(id, quantity(id) - 1) }, "−"),
    h("span.qty", { "aria-live": "polite" }, qty),
    h("button.step", { "data-key": `${prefix}inc:${id}`, "aria-label": `One more ${name}`, disabled: qty >= MAX_QUANTITY || Boolean(off), onclick: () => setQuantity(id, quantity(id) + 1) }, "+"),
  );
}

function renderStatus() {
  const n = state.products.size;
  const f = state.filter.q || state.filter.company;
  $("catalog-status").textContent =
    state.loading && (state.reset || !n) ? (f ? "Searching…" : "Loading products…")
    : n ? `${plural(n, f ? "matching product" : "product")}${state.more ? "; more below" : ""}.`
    : !$("catalog-error").hidden ? ""
    : f ? "Nothing matches. Try another search or shop." : "No products yet. Please come back soon.";
}

let quoteTimer = 0;
let quoteAbort = null;

function requestQuote(delay = 250) {
  clearTimeout(quoteTimer);
  quoteAbort?.abort();
  if (!items().length) {
    state.quote = null;
    state.quoteState = "idle";
    renderCart();
    return;
  }
  state.quoteState = "loading";
  renderBill();
  quoteTimer = setTimeout(fetchQuote, delay);
}

async function fetchQuote() {
  const key = cartKey();
  quoteAbort = new AbortController();
  try {
    const data = await api("/orders/quote", { method: "POST", body: { items: items(), deliverTo: state.to || undefined }, signal: quoteAbort.signal });
    if (key !== cartKey()) return;
    state.quote = { key, data };
    state.quoteState = "idle";
    for (const l of data.lines) {
      const line = cartLine(l.productId);
      if (line) Object.assign(line, { name: l.name, image: l.image, companyId: l.companyId });
    }
    saveCart();
  } catch (err) {
    if (err.name === "AbortError" || key !== cartKey()) return;
    if (err.code === "unavailable_products") return dropUnavailable(err.details.productIds);
    if (err.code === "shop_closed") return shopsClosed(err.details.companyIds);
    state.quoteState = "error";
    state.quoteError = err.code === "throttled" ? new Error(refusal(err)) : err;
  }
  renderCart();
}

function shopsClosed(ids) {
  for (const id of Array.isArray(ids) ? ids : []) state.refused.add(id);
  shopsChanged();
}

function outside(err) {
  const d = err.details;
  return d.reason === "too_far"
    ? `That is too far from the shops: the route would be ${km(d.distanceKm)}, and we deliver up to ${km(d.maxKm)}. Choose a nearer place.`
    : `That place is outside the area we deliver to${d.distanceKm ? `, ${km(d.distanceKm)} beyond its edge` : ""}. Choose a place inside it.`;
}

async function deliverTo(fromDevice) {
  const to = fromDevice ? await locateInto($("lat"), $("lng"), $("deliver-status"), $("locate")) : coords($("lat"), $("lng"));
  if (!to) return ($("typed").open = true);
  state.to = to;
  renderCart();
  requestQuote(0);
}

function dropUnavailable(ids) {
  ids = Array.isArray(ids) ? ids : [];
  const gone = state.cart.filter((l) => ids.includes(l.productId));
  if (!gone.length) {
    state.quoteState = "error";
    state.quoteError = new Error("Some products are no longer available.");
    renderCart();
    return;
  }
  state.cart = state.cart.filter((l) => !ids.includes(l.productId));
  saveCart();
  const names = gone.map((l) => l.name || `product ${l.productId}`).join(", ");
  notice(
    gone.length === 1
      ? `Sorry, ${names} is no longer available, so we took it out of your cart. Please check your order.`
      : `Sorry, these are no longer available, so we took them out of your cart: ${names}. Please check your order.`,
  );
  cartChanged();
}

function notice(text) {
  notify($("cart-notice"), text);
}

const lineRow = (l, name, detail, ...rest) =>
  h("li.line", { "data-product-id": l.productId },
    picture(l.image, l.name || "", 64, "thumb", { loading: "lazy" }),
    h("div.line-main", {}, h("p.name", {}, name), h("p.muted.small", {}, detail)),
    ...rest,
  );

function renderCart() {
  const count = itemCount();
  const fresh = freshQuote();
  $("cart-count").textContent = count;
  $("cart-empty").hidden = state.cart.length > 0;
  $("bill").hidden = !state.cart.length;
  $("checkout").hidden = !state.cart.length;

  const focused = document.activeElement?.dataset.key;
  const lines = state.cart.map((l) => {
    const q = fresh && fresh.lines.find((x) => x.productId === l.productId);
    const total = q ? q.lineTotal : "";
    const off = shut(l.companyId);
    return lineRow(l, l.name || `Product ${l.productId}`, [l.companyName, off ? off + ": not in this order" : q ? `${money(q.unitPrice, fresh.currency)} each` : ""].filter(Boolean).join(" · "),
      h("span", { class: "line-total" + (q ? "" : " stale"), "data-amount": total }, q ? money(total, fresh.currency) : off ? "–" : "…"),
      h("div.line-actions", {},
        stepper(l.productId, l.name, l.quantity, "c"),
        h("button.link.small", { "data-key": `crm:${l.productId}`, "aria-label": `Remove ${l.name} from cart`, onclick: () => setQuantity(l.productId, 0) }, "Remove"),
      ),
    );
  });
  $("cart-lines").replaceChildren(...lines);
  restoreFocus(focused);
  const shops = [...new Set(state.cart.filter((l) => closed(l.companyId)).map((l) => l.companyName))];
  $("closed-note").textContent = shops.length
    ? `${shops.join(" and ")} ${shops.length === 1 ? "is" : "are"} closed now: ${shops.length === 1 ? "its" : "their"} items stay in your cart but are left out of this order.`
    : "";
  $("closed-note").hidden = !shops.length;
  renderBill();

  $("cart-bar").hidden = !count;
  $("cart-bar-count").textContent = plural(count, "item");
  $("cart-bar-total").textContent = fresh ? "· " + money(fresh.total, fresh.currency) : "";
}

function renderBill() {
  const fresh = freshQuote();
  const d = fresh?.delivery;
  const place = $("place");
  const err = state.quoteState === "error" && state.quoteError;
  const amount = (id, value, text = money(value, fresh?.currency)) => {
    const el = $(id);
    if (fresh) el.textContent = text;
    el.dataset.amount = value || "";
    el.classList.toggle("stale", !fresh);
  };
  if (fresh) $("bill-count").textContent = `(${plural(fresh.itemCount, "item")})`;
  amount("bill-subtotal", fresh?.subtotal);
  amount("bill-fee", d?.fee, d ? money(d.fee, fresh.currency) : "Choose where");
  amount("bill-total", fresh?.total);
  $("bill-distance").textContent = d ? `(${km(d.distanceKm)})` : "";
  $("bill-eta").textContent = d ? arrives(d.eta, d.estimate) : "";
  $("bill-eta").hidden = !d;
  if (err?.code === "outside_delivery_area") setStatus($("deliver-status"), outside(err), true);
  else if (state.to && !err) setStatus($("deliver-status"), `Delivering to ${state.to.lat}, ${state.to.lng}.`);
  if (!items().length && state.cart.length) setStatus($("bill-status"), "Nothing in your cart can be ordered right now.", true);
  else if (!err) setStatus($("bill-status"), state.quoteState === "loading" ? "Updating prices…" : "");
  else if (err.code === "outside_delivery_area") setStatus($("bill-status"), "We can't deliver there: choose another place below.", true);
  else setStatus($("bill-status"), err.message || "We couldn't price your cart.", true, " ", h("button.link", { onclick: () => requestQuote(0) }, "Try again"));
  place.disabled = !fresh || state.placing;
  if (!state.placing) place.textContent = fresh ? `Place order · ${money(fresh.total, fresh.currency)}` : "Place order";
}

const fields = ["name", "phone", "address", "note"];

function validate() {
  const v = Object.fromEntries(fields.map((f) => [f, $(f).value.trim()]));
  const phone = !v.phone ? "We need a phone number for the courier." : phoneNumber(v.phone) ? "" : "Use the international format with your country code, such as +351 912 345 678.";
  return checkFields([$("name"), v.name ? "" : "Please tell us your name."], [$("phone"), phone], [$("address"), v.address ? "" : "Where should we deliver?"], [$("note"), ""]) && v;
}

// One Idempotency-Key per checkout: retries and reloads place the order
// once. uncertain: bodies sent that got no answer (one may be placed).
function attempt() {
  let a = session.get(ATTEMPT_KEY);
  if (!a || typeof a.key !== "string" || !Array.isArray(a.uncertain)) {
    a = { key: uuid(), uncertain: [] };
    session.set(ATTEMPT_KEY, a);
  }
  return a;
}

async function placeOrder(event) {
  event.preventDefault();
  if (state.placing) return;
  $("checkout-error").hidden = true;
  const fresh = freshQuote();
  const v = validate();
  if (!v || !fresh) return;
  if (!fresh.delivery) {
    setStatus($("deliver-status"), "Choose where to deliver: use your location, or type the coordinates.", true);
    return $("locate").focus();
  }
  const body = JSON.stringify({ items: items(), customer: { ...v, note: v.note || undefined, location: state.to } });
  const a = attempt();
  state.placing = true;
  const place = $("place");
  place.disabled = true;
  attr(place, "aria-busy", "true");
  place.textContent = "Placing your order…";
  try {
    placed(await send(a, body));
  } catch (err) {
    checkoutFailed(err, a, body);
  } finally {
    state.placing = false;
    attr(place, "aria-busy");
    renderBill();
  }
}

async function send(a, body) {
  const post = (b) => api("/orders", { method: "POST", body: b, headers: { "Idempotency-Key": a.key } });
  try {
    return await post(body);
  } catch (err) {
    if (err.code !== "conflict") throw err;
    // An earlier body was placed after all: fetch that order.
    for (const earlier of a.uncertain) {
      if (earlier === body) continue;
      try {
        return await post(earlier);
      } catch {
        /* not that one */
      }
    }
    throw err;
  }
}

function placed(order) {
  session.remove(ATTEMPT_KEY);
  state.cart = [];
  state.quote = null;
  saveCart();
  notice("");
  cartChanged();
  location.hash = "#order/" + encodeURIComponent(order.orderId);
}

function checkoutFailed(err, a, body) {
  const show = (text) => notify($("checkout-error"), text);
  if (!(err instanceof ApiError)) return show("Something went wrong. Please try again.");
  if (err.unreachable) {
    if (!a.uncertain.includes(body)) a.uncertain.push(body);
    session.set(ATTEMPT_KEY, a);
    return show(`${err.message} Your order may not have gone through: pressing "Place order" again is safe and never orders twice.`);
  }
  if (err.code === "unavailable_products") return dropUnavailable(err.details.productIds);
  if (err.code === "shop_closed") {
    shopsClosed(err.details.companyIds);
    return show("A shop closed meanwhile: its items are left out. Check your order and place it again.");
  }
  if (err.code === "outside_delivery_area") return show(outside(err));
  // The key is not used up: the same checkout can be tried again.
  if (err.code === "throttled") return show(`${refusal(err)} Nothing was ordered, and your cart is kept.`);
  if (err.code === "conflict") {
    session.remove(ATTEMPT_KEY);
    return show("This checkout changed while an earlier attempt was under way. Please check your order and press Place order again.");
  }
  const field = err.field.replace(/^customer\./, "");
  if (!fields.includes(field)) return show(err.message);
  checkFields([$(field), err.message]);
}

const statusText = { placed: "Placed: finding a courier", accepted: "A courier is collecting it from the shops", picked_up: "On its way to you", delivered: "Delivered", cancelled: "Cancelled" };
const notifyText = { pending: "Finding a courier…", handed_off: "Finding a courier…", notified: "Couriers have been told by SMS", failed: "Still trying to reach couriers" };
const stepText = (e) =>
  ({
    placed: "Order placed",
    accepted: `${e.carrierName || "A courier"} accepted the delivery`,
    released: "The courier had to give it back: finding another",
    offered_again: "Offered to couriers again",
    ready: `${e.companyName || "A shop"} has your items ready`,
    picked_up: "Picked up: on the way",
    delivered: "Delivered",
    cancelled: `Cancelled${e.companyName ? " by " + e.companyName : ""}${e.reason ? ": " + e.reason : ""}`,
  })[e.step] || e.step;
const final = (o) => o.status === "delivered" || o.status === "cancelled";
let stopTrack = null;
const track = { confirm: false, note: "", shown: "" };

// follow asks every 3 s, up to 30 s while nothing changes. An order on
// screen stays until its answer comes, rather than flashing "Loading".
function follow(id, note = "") {
  stopTrack?.();
  let delay = 0;
  let last = "";
  Object.assign(track, { confirm: false, note });
  if (track.shown !== id) {
    track.shown = "";
    $("order-body").replaceChildren(h("p.status", { role: "status" }, "Loading your order…"));
  }
  stopTrack = repeat(async () => {
    delay = Math.min(delay * 1.5 || 3000, 30000);
    try {
      const order = await api("/orders/" + encodeURIComponent(id));
      const json = JSON.stringify(order);
      if (json !== last) {
        last = json;
        delay = 3000;
        showOrder(id, order);
      }
      return final(order) ? 0 : delay;
    } catch (err) {
      const notFound = err.status === 404;
      if (!last) {
        track.shown = "";
        $("order-body").replaceChildren(
          h("div.notice.error", { role: "alert" },
            h("p", {}, notFound ? "We couldn't find that order. Check the link you followed." : err.message),
            notFound ? null : h("button.button.secondary", { onclick: () => follow(id) }, "Try again"),
          ),
        );
      }
      return notFound || !last ? 0 : delay;
    }
  });
}

async function cancelOrder(id) {
  // The order stays on screen until its new state comes: no second press.
  for (const b of document.querySelectorAll("#cancel-yes, #cancel-no")) b.disabled = true;
  try {
    await api(`/orders/${encodeURIComponent(id)}/cancel`, { method: "POST" });
    follow(id);
  } catch (err) {
    follow(id, err.code === "conflict" ? "A courier has already taken your order, so it can't be cancelled now." : err.message);
  }
}

function showOrder(id, order) {
  const focused = document.activeElement?.id;
  const n = order.notification;
  const tl = order.timeline || [];
  const courier = /accepted|picked_up|delivered/.test(order.status) && tl.findLast((e) => e.step === "accepted")?.carrierName;
  const again = () => showOrder(id, order);
  track.shown = id;
  $("order-body").replaceChildren(
    h("div.confirm", {},
      h("p.lead", {}, { placed: "Thank you! We've got your order.", delivered: "Delivered. Enjoy!", cancelled: "This order was cancelled." }[order.status] || "Your order is under way."),
      h("p.ref-label.muted", {}, "Order reference"),
      h("p.ref", { id: "order-reference" }, order.reference),
      h("dl.facts", {},
        h("dt", {}, "Status"), h("dd", { id: "order-status", "data-status": order.status, "aria-live": "polite" }, statusText[order.status] || order.status),
        courier ? [h("dt", {}, "Courier"), h("dd", { id: "order-courier" }, courier)] : null,
        n && order.status === "placed" ? [h("dt", {}, "Delivery"), h("dd", { id: "order-notification", "data-status": n.status }, notifyText[n.status] || n.status)] : null,
        h("dt", {}, "Placed"), h("dd", {}, time(order.createdAt)),
        order.eta && !final(order) ? [h("dt", {}, "Arrives"), h("dd", { id: "order-eta" }, arrives(order.eta).slice(8))] : null,
      ),
      track.note ? h("p.notice.error", { role: "alert" }, track.note) : null,
      !order.cancellable ? null
      : track.confirm ? h("div.notice", {},
        h("p", {}, "Cancel this order? The shops stop preparing it."),
        h("div.row", {},
          h("button.button.danger", { id: "cancel-yes", onclick: () => cancelOrder(id) }, "Yes, cancel it"),
          h("button.button.secondary", { id: "cancel-no", onclick: () => ((track.confirm = false), again(), $("cancel-order").focus()) }, "Keep my order"),
        ))
      : h("button.button.secondary", { id: "cancel-order", onclick: () => ((track.confirm = true), again(), $("cancel-yes").focus()) }, "Cancel order"),
    ),
    h("h2", {}, "Progress"),
    h("ol.timeline", { id: "timeline" }, tl.map((e) => h("li", { "data-step": e.step }, stepText(e), " ", h("span.muted.small", {}, time(e.at))))),
    h("h2", {}, "What you ordered"),
    h("ul.lines", {},
      order.lines.map((l) =>
        lineRow(l, `${l.quantity} × ${l.name}`, `${l.companyName} · ${money(l.unitPrice, order.currency)} each`,
          h("span.line-total", { "data-amount": l.lineTotal }, money(l.lineTotal, order.currency)),
        ),
      ),
    ),
    order.subtotal ? h("dl.sums", {},
      h("dt", {}, "Subtotal"), h("dd", { id: "order-subtotal", "data-amount": order.subtotal }, money(order.subtotal, order.currency)),
      h("dt", {}, "Delivery fee"), h("dd", { id: "order-fee", "data-amount": order.deliveryFee }, money(order.deliveryFee, order.currency)),
    ) : null,
    h("dl.total", {}, h("dt", {}, "Total"), h("dd", { id: "order-total", "data-amount": order.total }, money(order.total, order.currency))),
  );
  if (focused && $(focused)) $(focused).focus();
}

function navigate(initial) {
  const view = location.hash.startsWith("#order/") ? "order" : location.hash === "#cart" ? "cart" : "shop";
  document.body.dataset.view = view;
  $("shop").hidden = view === "order";
  $("order").hidden = view !== "order";
  stopTrack?.();
  document.title = (view === "order" ? "Your order · " : "") + "Delivery marketplace";
  if (view === "order") {
    follow(decodeURIComponent(location.hash.slice("#order/".length)));
    $("order-title").focus();
  } else {
    if (view === "cart") $("cart-title").focus();
    else if (!initial && location.hash !== "#catalog-title") $("catalog-title").focus();
  }
  if (!initial) window.scrollTo(0, 0);
}

$("more").addEventListener("click", loadPage);
$("q").addEventListener("input", () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(filterChanged, 250);
});
$("company").addEventListener("change", filterChanged);
$("filters").addEventListener("submit", (e) => {
  e.preventDefault();
  filterChanged();
});
$("checkout").addEventListener("submit", placeOrder);
$("locate").addEventListener("click", () => deliverTo(true));
$("use-coords").addEventListener("click", () => deliverTo(false));
window.addEventListener("hashchange", () => navigate(false));
window.addEventListener("storage", (e) => {
  if (e.key !== CART_KEY) return;
  state.cart = loadCart();
  cartChanged();
});

navigate(true);
renderCart();
repeat(loadCompanies);
loadArea();
loadPage();
if (state.cart.length) requestQuote(0);
