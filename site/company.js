// The company console. The token lives in sessionStorage (this tab only),
// never in localStorage. Every change names its version (If-Match): nobody
// silently overwrites another's edit.
import { $, api, attr, checkFields, codeSignIn, coords, h, lineList, locateInto, money, notify, phoneNumber, picture, plural, query, repeat, revoke, say, setStatus, showFieldError, statusWords, storage, time } from "./lib.js";

const session = storage("session");
const TOKEN_KEY = "delivery.companyToken";

const kept = session.get(TOKEN_KEY) || {};
const state = {
  token: kept.token || "",
  name: kept.name || "",
  products: new Map(), // id -> product, in id order
  cursor: null,
  more: false,
  loading: false,
  editing: null, // the product being edited, as loaded
};

const authed = (path, options) => api(path, { ...options, token: state.token });

const ifMatch = (p) => ({ "If-Match": `"${p.version}"` });

function handleAuth(err) {
  const text = {
    401: "Your sign-in was not accepted: it expired or is not valid here. Sign in again to continue.",
    403: "This token is not allowed to do that. Sign in by phone, or ask for a token with that permission.",
  }[err.status];
  if (!text) return false;
  if (err.status === 401) signOut();
  say(text, true);
  return true;
}

function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim().replace(/^Bearer\s+/i, "");
  if (!checkFields([$("token"), token.split(".").length === 3 ? "" : "That doesn't look like a company token: it has three parts separated by dots."])) return;
  $("token").value = "";
  signedIn(token, "");
}

function signedIn(token, name) {
  Object.assign(state, { token, name });
  session.set(TOKEN_KEY, { token, name });
  say("");
  show();
}

function signOut() {
  state.token = "";
  session.remove(TOKEN_KEY);
  state.products.clear();
  edit();
  show();
}

function show() {
  const on = Boolean(state.token);
  $("signin").hidden = on;
  $("console").hidden = !on;
  orders.stop?.();
  orders.stop = null;
  if (on) {
    $("who").textContent = state.name ? `Signed in as ${state.name}` : "Signed in";
    reload();
    startOrders();
    tab();
  }
}

function tab(focus) {
  const name = ["products", "profile"].includes(location.hash.slice(1)) ? location.hash.slice(1) : "orders";
  for (const t of ["orders", "products", "profile"]) {
    $(t + "-tab").hidden = t !== name;
    attr($("tab-" + t), "aria-current", t === name && "page");
  }
  if (name === "profile") loadProfile();
  if (focus) (name === "products" ? $("editor-title") : $(name + "-title")).focus();
}

const orders = { nodes: new Map(), data: new Map(), cursor: null, loaded: false, stop: null };
const open = (o) => o.status === "placed" || o.status === "accepted";

// New orders show up within 15 s.
function startOrders() {
  orders.stop?.();
  Object.assign(orders, { nodes: new Map(), data: new Map(), cursor: null, loaded: false });
  $("company-orders").replaceChildren();
  $("orders-status").textContent = "Loading your orders…";
  orders.stop = repeat(async () => {
    await loadOrders();
    return 10000;
  });
}

async function loadOrders(more) {
  $("orders-more").disabled = true;
  try {
    const data = await authed("/company/orders" + query({ limit: 50, status: $("o-status").value, cursor: more && orders.cursor }));
    if (more || !orders.loaded) orders.cursor = data.nextCursor;
    orders.loaded = true;
    for (const o of data.orders) showOrder(o);
    ordersStatus();
  } catch (err) {
    // Not handleAuth for a 403: a poll must not take the focus.
    if (err.status === 401) handleAuth(err);
    else ordersStatus(err.status === 403 ? "This token may not see orders: sign in by phone to see them." : err.message);
  }
  $("orders-more").disabled = false;
  $("orders-more").hidden = !orders.cursor;
}

// A row being cancelled is not replaced.
function showOrder(o) {
  const list = $("company-orders");
  const json = JSON.stringify(o);
  const old = orders.nodes.get(o.deliveryId);
  if (old && (old.dataset.json === json || old.querySelector("form"))) return;
  const li = orderItem(o);
  li.dataset.json = json;
  orders.nodes.set(o.deliveryId, li);
  orders.data.set(o.deliveryId, o);
  if (old) return old.replaceWith(li);
  const later = [...list.children].find((e) => orders.data.get(e.dataset.deliveryId).createdAt < o.createdAt);
  list.insertBefore(li, later || null);
}

function ordersStatus(error) {
  const all = [...orders.data.values()];
  const todo = all.filter((o) => open(o) && o.partState === "new").length;
  const badge = $("new-count");
  badge.textContent = todo ? `${todo} new` : "";
  badge.hidden = !todo;
  setStatus($("orders-status"), error || (all.length ? `${plural(all.length, "order")}, ${todo} to prepare.` : "No orders yet. They appear here as soon as a shopper orders."), error);
}

function orderItem(o) {
  const todo = open(o) && o.partState === "new";
  const li = h("li.admin-item", { "data-delivery-id": o.deliveryId },
    h("div.grow", {},
      h("p.name", {}, o.reference, " ", h("span", { class: "tag" + (todo ? " new" : open(o) ? "" : " off") }, todo ? "To prepare" : o.partState === "ready" ? "Ready" : statusWords[o.status])),
      h("p.small.muted", {}, [statusWords[o.status], o.area, time(o.createdAt)].join(" · ")),
      lineList(o.lines),
      h("p.small", {}, `${plural(o.itemCount, "item")} · ${money(o.total, o.currency)}`),
    ),
    open(o) ? h("div.row", {},
      todo ? h("button.button.primary", { "data-action": "ready", onclick: () => change(o, "ready") }, "Ready for pickup") : null,
      h("button.button.danger", { "data-action": "cancel", onclick: () => cancelForm(li, o) }, "Cancel order…"),
    ) : null,
  );
  return li;
}

function cancelForm(li, o) {
  if (li.querySelector("form")) return li.querySelector("textarea").focus();
  const reason = h("textarea", { id: "reason-" + o.deliveryId, rows: 2, maxlength: 200, required: true });
  const form = h("form.grow", { novalidate: true, onsubmit: (e) => (e.preventDefault(), change(o, "cancel", reason)) },
    h("div.field", {}, h("label", { for: reason.id }, `Why cancel ${o.reference}? The customer sees this.`), reason),
    h("div.row", {},
      h("button.button.danger", { type: "submit" }, "Cancel the order"),
      h("button.button.secondary", { onclick: () => (form.remove(), li.querySelector("[data-action=cancel]").focus()) }, "Keep it"),
    ),
  );
  li.append(form);
  reason.focus();
}

async function change(o, action, reason) {
  const text = reason ? reason.value.trim() : "";
  if (reason && !checkFields([reason, text ? "" : "Give a reason (at most 200 characters)."])) return;
  for (const b of orders.nodes.get(o.deliveryId).querySelectorAll("button")) b.disabled = true;
  try {
    const data = await authed(`/company/orders/${encodeURIComponent(o.deliveryId)}/${action}`, { method: "POST", body: reason ? { reason: text } : {} });
    reason?.closest("form").remove();
    showOrder(data);
    ordersStatus(null);
    $("orders-status").textContent = action === "ready" ? `${data.reference} is ready: the carrier may pick it up.` : `${data.reference} is cancelled.`;
  } catch (err) {
    if (handleAuth(err)) return;
    if (reason && err.field === "reason") return checkFields([reason, err.message]);
    reason?.closest("form").remove();
    ordersStatus(err.code === "conflict" ? `${o.reference} is ${(statusWords[err.details.status] || "changed").toLowerCase()} now, so that can't be done.` : err.message);
    orders.nodes.get(o.deliveryId).dataset.json = "";
    loadOrders();
  }
}

async function loadProfile() {
  const status = $("profile-status");
  status.textContent = "Loading…";
  try {
    showProfile(await authed("/company/profile"));
    status.textContent = "";
  } catch (err) {
    if (!handleAuth(err)) status.textContent = err.message;
  }
}

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

function showProfile(data) {
  state.profile = data;
  const l = data.location;
  $("pr-address").value = data.address || "";
  $("pr-phone").value = data.phone || "";
  $("pr-lat").value = l ? l.lat : "";
  $("pr-lng").value = l ? l.lng : "";
  $("pr-prep").value = data.prepMinutes || 15;
  $("pr-tz").textContent = data.timezone ? `(${data.timezone} time)` : "";
  const hours = data.openingHours || {};
  for (const d of DAYS) $("pr-h-" + d).value = hours[d]?.length ? hours[d].map((r) => `${r.open}-${r.close}`).join(", ") : "closed";
  $("pause-state").textContent = data.paused ? "Paused: shoppers see your shop as closed and can't order from it." : "Taking orders during your opening hours.";
  $("pr-pause").textContent = data.paused ? "Resume orders" : "Pause orders";
  $("pr-pause").hidden = false;
}

// ranges reads "9:00-13:00, 15:00-19:00" or "closed"; the server checks
// the rest.
function ranges(text) {
  const t = text.trim().toLowerCase();
  if (!t || t === "closed") return [];
  const hhmm = (s) => (s.length < 3 ? s.padStart(2, "0") + ":00" : s.replace(/^(\d{1,2}):?(\d\d)$/, (_, a, b) => a.padStart(2, "0") + ":" + b));
  const out = t.split(/\s*[,;]\s*/).map((r) => /^(\d{1,2}(?::?\d\d)?)\s*(?:-|–|—|to)\s*(\d{1,2}(?::?\d\d)?)$/.exec(r)).map((m) => m && { open: hhmm(m[1]), close: hhmm(m[2]) });
  return out.every(Boolean) ? out : null;
}

async function saveProfile(event) {
  event.preventDefault();
  const address = $("pr-address").value.trim();
  const status = $("profile-status");
  status.textContent = "";
  const [lat, lng, prep] = [$("pr-lat"), $("pr-lng"), $("pr-prep")];
  const located = !lat.value.trim() && !lng.value.trim() ? null : coords(lat, lng);
  const hours = {};
  const checks = DAYS.map((d) => [$("pr-h-" + d), (hours[d] = ranges($("pr-h-" + d).value)) ? "" : "Write the hours like 09:00-13:00, 15:00-19:00, or “closed”."]);
  const ok = checkFields(
    [$("pr-address"), address ? "" : "Where do carriers pick up?"],
    [prep, /^\d+$/.test(prep.value) && prep.value >= 1 && prep.value <= 240 ? "" : "A whole number of minutes, from 1 to 240."],
    ...checks,
  );
  if (!ok || located === false || !state.profile) return;
  await putProfile({ address, location: located, prepMinutes: +prep.value, openingHours: hours }, "Saved. Carriers and shoppers see the new details from now on.");
}

// The phone changes only with codes (phone-form).
async function putProfile(body, done) {
  const status = $("profile-status");
  try {
    showProfile(await authed("/company/profile", { method: "PUT", body, headers: ifMatch(state.profile) }));
    status.textContent = done;
  } catch (err) {
    if (handleAuth(err)) return;
    const f = err.field;
    const day = /^openingHours\.(\w+)/.exec(f)?.[1];
    const input = $({ address: "pr-address", location: "pr-lat", "location.lat": "pr-lat", "location.lng": "pr-lng", prepMinutes: "pr-prep" }[f] || (day ? "pr-h-" + day : f === "openingHours" ? "pr-h-mon" : ""));
    if (input) return checkFields([input, err.message]);
    if (err.status !== 412) return (status.textContent = err.message);
    await loadProfile();
    status.textContent = "Someone else changed these details meanwhile: this is their version. Make your change again and save.";
  }
}

const togglePause = () => state.profile && putProfile({ address: state.profile.address, paused: !state.profile.paused }, "");

const INTERNATIONAL = "Use the international format, such as +351 912 345 678.";

async function sendPhoneCodes() {
  const phone = phoneNumber($("ph-new").value);
  const status = $("phone-status");
  status.textContent = "";
  if (!checkFields([$("ph-new"), phone ? "" : INTERNATIONAL])) return;
  try {
    const data = await authed("/company/phone/code", { method: "POST", body: { phone } });
    $("ph-codes").hidden = false;
    status.textContent = data.message;
    $("ph-current-code").focus();
  } catch (err) {
    if (handleAuth(err)) return;
    if (err.field === "phone") return checkFields([$("ph-new"), err.message]);
    status.textContent = err.message;
  }
}

// Every earlier token of the shop is signed out: the answer's replaces it.
async function changePhone(event) {
  event.preventDefault();
  const phone = phoneNumber($("ph-new").value);
  const currentCode = $("ph-current-code").value.trim();
  const newCode = $("ph-new-code").value.trim();
  const status = $("phone-status");
  status.textContent = "";
  const code = (v) => (/^[0-9]{6}$/.test(v) ? "" : "Enter the 6 digits of the SMS.");
  if (!checkFields([$("ph-new"), phone ? "" : INTERNATIONAL], [$("ph-current-code"), state.profile?.phone ? code(currentCode) : ""], [$("ph-new-code"), code(newCode)])) return;
  try {
    const body = { phone, newCode };
    if (state.profile?.phone) body.currentCode = currentCode;
    const data = await authed("/company/phone", { method: "POST", body });
    Object.assign(state, { token: data.token, profile: data.profile });
    session.set(TOKEN_KEY, { token: data.token, name: state.name });
    $("pr-phone").value = data.profile.phone;
    for (const id of ["ph-new", "ph-current-code", "ph-new-code"]) $(id).value = "";
    $("ph-codes").hidden = true;
    status.textContent = "Done: you sign in with the new phone from now on, and every other session of your shop was signed out.";
  } catch (err) {
    if (err.status === 401 && Array.isArray(err.details?.fields)) {
      const inputs = { currentCode: "ph-current-code", newCode: "ph-new-code" };
      return checkFields(...err.details.fields.map((f) => [$(inputs[f]), "This code is wrong, expired or used up. Send new codes if you need to."]));
    }
    if (handleAuth(err)) return;
    status.textContent = err.message;
  }
}

async function reload(findId) {
  state.products.clear();
  state.cursor = null;
  state.more = true;
  $("admin-products").replaceChildren();
  await loadMore();
  // It may be on a later page.
  if (findId && !state.products.has(findId)) {
    try {
      replaceItem(await authed(`/company/products/${encodeURIComponent(findId)}`));
    } catch (err) {
      if (!handleAuth(err) && err.status !== 404) say(err.message, true);
    }
  }
}

async function loadMore() {
  if (state.loading || !state.more) return;
  state.loading = true;
  $("list-status").textContent = "Loading your products…";
  $("admin-more").disabled = true;
  let ok = false;
  try {
    const data = await authed("/company/products" + query({ limit: 20, cursor: state.cursor }));
    for (const p of data.products) {
      replaceItem(p);
      if (p.companyName) $("who").textContent = `Signed in as ${p.companyName}`;
    }
    state.cursor = data.nextCursor;
    state.more = Boolean(data.nextCursor);
    ok = true;
  } catch (err) {
    if (!handleAuth(err)) say(err.message, true);
  } finally {
    state.loading = false;
    $("admin-more").disabled = false;
    $("admin-more").hidden = !state.more;
    const n = state.products.size;
    $("list-status").textContent = n ? `${plural(n, "product")}${state.more ? " so far" : ""}.` : ok ? "No products yet: add your first one above." : "";
  }
}

function item(p) {
  const ph = photoParts(p.id);
  const input = h("input.visually-hidden", { type: "file", id: `photo-${p.id}`, accept: TYPES.join(), "aria-describedby": ph.status.id, onchange: (e) => upload(p.id, e.target.files[0]) });
  const drop = (on) => (e) => {
    if (!e.dataTransfer.types.includes("Files")) return;
    e.preventDefault();
    e.currentTarget.classList.toggle("drop", on);
    if (!on) upload(p.id, e.dataTransfer.files[0]); // none on a dragleave
  };
  const button = (action, text, label, run, kind = "secondary") => h("button", { class: "button " + kind, "data-action": action, "aria-label": label, onclick: () => run(p.id) }, text);
  return h("li.admin-item.product", { "data-product-id": p.id, ondragover: drop(true), ondragleave: drop(false), ondrop: drop(false) },
    ph.preview || picture(p.image, p.name, 96, "thumb"),
    h("div.grow", {},
      h("p.name", {}, p.name),
      h("p.small.muted", {},
        h("span", { class: "tag" + (p.active ? "" : " off") }, p.active ? "In the shop" : "Archived"),
        " ",
        h("span.price", { "data-amount": p.price }, money(p.price, p.currency)),
        ` · version ${p.version}`,
      ),
      p.description ? h("p.small.muted", {}, p.description) : null,
      ph.progress,
      ph.status,
    ),
    h("div.row", {},
      button("edit", "Edit", `Edit ${p.name}`, edit),
      p.active ? button("archive", "Archive", `Archive ${p.name}`, archive, "danger") : button("restore", "Restore", `Put ${p.name} back in the shop`, restore),
      input,
      h("label.button.secondary", { for: input.id }, p.image ? "Replace photo" : "Add photo", h("span.visually-hidden", {}, ` of ${p.name}`)),
      p.image ? button("unphoto", "Remove photo", `Remove the photo of ${p.name}`, removePhoto) : null,
    ),
  );
}

function replaceItem(p) {
  state.products.set(p.id, p);
  const old = document.querySelector(`#admin-products [data-product-id="${p.id}"]`);
  const fresh = item(p);
  const focused = document.activeElement;
  if (old) old.replaceWith(fresh);
  else $("admin-products").append(fresh);
  // Keyboard users stay on the photo control they chose the file with.
  if (!focused.isConnected && focused.id) $(focused.id)?.focus();
}

const inputs = { name: "p-name", description: "p-description", price: "p-price" };

function edit(id) {
  const p = (id && state.products.get(id)) || null;
  state.editing = p;
  $("product-form").reset();
  if (p) for (const [k, f] of Object.entries(inputs)) $(f).value = p[k];
  $("editor-title").textContent = p ? `Edit “${p.name}”` : "Add a product";
  $("save").textContent = p ? "Save changes" : "Add product";
  $("cancel").hidden = !p;
  for (const f of Object.values(inputs)) showFieldError($(f), "");
  $("editor-error").hidden = true;
  if (p) {
    $("editor-title").scrollIntoView({ block: "start" });
    $("p-name").focus();
  }
}

function readForm() {
  $("editor-error").hidden = true;
  const v = Object.fromEntries(Object.entries(inputs).map(([k, f]) => [k, $(f).value.trim()]));
  v.price = v.price.replace(",", ".");
  const price = /^\d{1,7}(\.\d{1,2})?$/.test(v.price) && !/^0*(\.0*)?$/.test(v.price);
  return checkFields([$("p-name"), v.name ? "" : "Give the product a name."], [$("p-description"), ""], [$("p-price"), price ? "" : "Enter a price above 0 with at most two decimals, such as 4.50."]) && v;
}

async function save(event) {
  event.preventDefault();
  const v = readForm();
  if (!v) return;
  const button = $("save");
  button.disabled = true;
  const editing = state.editing;
  try {
    const p = await (editing
      ? authed(`/products/${editing.id}`, { method: "PUT", headers: ifMatch(editing), body: { ...v, active: editing.active } })
      : authed("/company/products", { method: "POST", body: v }));
    replaceItem(p);
    edit();
    say(editing ? `Saved “${p.name}”. Shoppers see the change right away.` : `Added “${p.name}” to the shop.`);
  } catch (err) {
    saveFailed(err, editing);
  } finally {
    button.disabled = false;
  }
}

function saveFailed(err, editing) {
  if (handleAuth(err)) return;
  const show = (...content) => notify($("editor-error"), ...content);
  if (err.status === 412 && editing) {
    return show(
      h("p", {}, `Someone else changed “${editing.name}” after you opened it, so your changes were not saved. Reload to see the latest version, then make your change again.`),
      h("button.button.secondary", { onclick: () => reloadEditing(editing.id) }, "Reload this product"),
    );
  }
  if (err.status === 404 && editing) {
    return show(h("p", {}, "This product no longer exists (or belongs to another company)."));
  }
  const input = $(inputs[err.field]);
  if (!input) return show(h("p", {}, err.message || "Something went wrong."));
  checkFields([input, err.message]);
}

async function reloadEditing(id) {
  await reload(id);
  if (state.products.has(id)) {
    edit(id);
    say("This is the latest version. Make your change again and save.");
    $("p-name").focus();
  } else {
    edit();
    say("That product is no longer in your list.", true);
  }
}

async function changeProduct(id, method, path, done, body) {
  const p = state.products.get(id);
  if (!p) return;
  try {
    const data = await authed(`/products/${id}${path}`, { method, headers: ifMatch(p), body: body?.(p) });
    replaceItem(data);
    done(data);
  } catch (err) {
    if (handleAuth(err)) return;
    if (err.status === 412) {
      return say(
        `Someone else changed “${p.name}” in the meantime, so nothing was changed. Reload to see the latest version.`,
        true,
        h("button.button.secondary", { onclick: () => reload(p.id).then(() => say("Reloaded: this is the latest version.")) }, "Reload"),
      );
    }
    say(err.message || "Something went wrong.", true);
  }
}

const archive = (id) => changeProduct(id, "DELETE", "", (p) => say(`Archived “${p.name}”: it has left the shop.`, false, h("button.button.secondary", { onclick: () => restore(id) }, "Undo")));
const restore = (id) => changeProduct(id, "PUT", "", (p) => say(`“${p.name}” is back in the shop.`), (p) => ({ name: p.name, description: p.description, price: p.price, active: true }));
const removePhoto = (id) =>
  changeProduct(id, "DELETE", "/image", () => {
    photoSay(id, "Photo removed: the shop shows a placeholder.");
    $("photo-" + id).focus();
  });

// The photo goes straight to S3 with a form the API signs; the image
// processor sets it, or records why it refused it.
const TYPES = ["image/jpeg", "image/png", "image/webp"];
const refused = {
  too_large: "The photo is over 5 MB. Choose a smaller one.",
  too_many_pixels: "The photo has too many pixels (at most 8,000 a side, 40 megapixels). Make it smaller.",
  unsupported_format: "That file is not a JPEG, PNG or WebP image, whatever its name says.",
  undecodable: "The photo could not be read: the file may be damaged. Save it again, then retry.",
};
// A row's status, progress bar and preview outlive its re-renders.
const photos = new Map();

function photoParts(id) {
  if (!photos.has(id)) photos.set(id, { status: h("p.status", { id: `photo-status-${id}`, role: "status" }), progress: h("progress", { hidden: true, "aria-label": "Upload" }) });
  return photos.get(id);
}

const photoSay = (id, ...args) => setStatus(photoParts(id).status, ...args);

async function upload(id, file) {
  const ph = photoParts(id);
  if (!file || ph.busy) return;
  const name = `“${file.name}”`;
  const problem = !TYPES.includes(file.type) ? `${name} is not a photo we can take: choose a JPEG, PNG or WebP image.`
    : file.size > 5 << 20 ? `${name} is over 5 MB: a photo can be at most 5 MB.`
    : !file.size && `${name} is empty.`;
  if (problem) return photoSay(id, problem, true);
  ph.busy = true;
  try {
    if ((await preview(ph, file)) > 40e6) return photoSay(id, refused.too_many_pixels, true);
    replaceItem(state.products.get(id));
    photoSay(id, "Uploading…");
    const before = state.products.get(id).version;
    const form = await authed(`/products/${id}/image-uploads`, { method: "POST", body: { contentType: file.type, size: file.size } });
    await send(form, file, ph.progress);
    photoSay(id, "Uploaded. Getting it ready for the shop…");
    const p = await processed(id, before, form.uploadId);
    const e = p.imageError;
    if (e) return photoSay(id, refused[e.reason] || e.message, true);
    ph.preview = null;
    replaceItem(p);
    photoSay(id, "Done: this is the photo shoppers see.");
  } catch (err) {
    if (!handleAuth(err)) photoSay(id, err.message, true, " ", h("button.link", { onclick: () => upload(id, file) }, "Try again"));
  } finally {
    ph.busy = false;
    ph.progress.hidden = true;
    if (ph.preview) {
      ph.preview = null;
      replaceItem(state.products.get(id));
    }
  }
}

// A canvas: an object URL would need img-src blob:. Returns the pixels.
async function preview(ph, file) {
  try {
    const b = await createImageBitmap(file);
    const c = (ph.preview = h("canvas.thumb", { width: 192, height: 144, role: "img", "aria-label": "Preview" }));
    const s = Math.max(192 / b.width, 144 / b.height);
    c.getContext("2d").drawImage(b, 96 - (b.width * s) / 2, 72 - (b.height * s) / 2, b.width * s, b.height * s);
    return Math.max(b.width, b.height) > 8000 ? 1e9 : b.width * b.height;
  } catch {
    return 0;
  }
}

// The file goes last: S3 ignores fields after it.
function send(form, file, progress) {
  const body = new FormData();
  for (const [k, v] of Object.entries(form.fields)) body.append(k, v);
  body.append("file", file);
  progress.value = 0;
  progress.hidden = false;
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("POST", form.url);
    x.upload.onprogress = (e) => (progress.value = e.loaded / (e.total || 1));
    x.onload = () => {
      const [, code, text] = /<Code>(.*?)<\/Code>[^]*?<Message>(.*?)</.exec(x.responseText) || [];
      if (x.status < 300) resolve();
      else reject(new Error(code === "EntityTooLarge" ? refused.too_large : code === "AccessDenied" && /expired/i.test(text) ? "The upload link expired before the photo arrived." : "The upload failed."));
    };
    x.onerror = () => reject(new Error("The upload did not get through. Check your connection."));
    x.send(body);
  });
}

async function processed(id, before, uploadId) {
  for (let wait = 500, end = Date.now() + 18e4; Date.now() < end; wait = Math.min(wait * 1.5, 3000)) {
    await new Promise((r) => setTimeout(r, wait));
    try {
      const data = await authed(`/company/products/${id}`);
      if (data.imageError?.uploadId === uploadId || (data.version > before && !data.imageError)) return data;
    } catch (err) {
      if (!err.unreachable) throw err;
    }
  }
  throw new Error("The photo is taking long to get ready. Reload in a minute.");
}

codeSignIn("company", (data) => signedIn(data.token, data.company.name));
$("token-form").addEventListener("submit", signIn);
window.addEventListener("hashchange", () => tab(true));
$("o-status").addEventListener("change", startOrders);
$("orders-more").addEventListener("click", () => loadOrders(true));
$("profile-form").addEventListener("submit", saveProfile);
$("pr-locate").addEventListener("click", () => locateInto($("pr-lat"), $("pr-lng"), $("pr-loc-status"), $("pr-locate"), "Filled in: save to keep it."));
$("pr-pause").addEventListener("click", togglePause);
$("phone-form").addEventListener("submit", changePhone);
$("ph-send").addEventListener("click", sendPhoneCodes);
$("signout").addEventListener("click", async () => {
  // If the server cannot be told, this tab forgets the token anyway.
  const revoked = await revoke("/company/session", state.token);
  signOut();
  say(revoked ? "Signed out: this sign-in no longer works anywhere." : "This tab forgot the sign-in, but the server could not be told: sign out again once you are back online.", !revoked);
});
$("product-form").addEventListener("submit", save);
$("cancel").addEventListener("click", () => edit());
$("reload").addEventListener("click", () => reload());
$("admin-more").addEventListener("click", loadMore);
show();
