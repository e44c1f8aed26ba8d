// The company console: a company pastes its token and manages its own
// products. The token is kept in sessionStorage (this tab only, gone when
// it closes), never in localStorage. Every change names the version it
// changes (If-Match), so nobody silently overwrites someone else's edit.
import { api, ApiError, h, money, showFieldError, storage } from "./lib.js";

const $ = (id) => document.getElementById(id);
const session = storage("session");
const TOKEN_KEY = "delivery.companyToken";
const PAGE_SIZE = 20;

const state = {
  token: session.get(TOKEN_KEY) || "",
  products: new Map(), // id -> product, in id order
  cursor: null,
  more: false,
  loading: false,
  editing: null, // the product being edited, as loaded
};

function authed(path, options = {}) {
  return api(path, { ...options, headers: { ...(options.headers || {}), Authorization: "Bearer " + state.token } });
}

function say(text, ...extra) {
  const box = $("notice");
  box.className = "notice";
  box.replaceChildren(h("p", {}, text), ...extra);
  box.hidden = !text;
  if (text) box.focus();
}

function sayError(text, ...extra) {
  say(text, ...extra);
  $("notice").className = "notice error";
}

// handle turns an API error into words; it returns true when it dealt
// with it (so the caller stops).
function handleAuth(err) {
  if (!(err instanceof ApiError)) return false;
  if (err.status === 401) {
    signOut();
    sayError("Your token was not accepted: it is missing, expired or not valid here. Paste a fresh one to continue.");
    return true;
  }
  if (err.status === 403) {
    sayError("This token may look at products but not change them (it lacks the products:write permission). Ask for a token that can write.");
    return true;
  }
  return false;
}

// ---------- sign in ----------

function companyFromToken(token) {
  try {
    const payload = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return typeof payload.sub === "string" ? payload.sub : "";
  } catch {
    return "";
  }
}

function signIn(event) {
  event.preventDefault();
  const token = $("token").value.trim().replace(/^Bearer\s+/i, "");
  if (token.split(".").length !== 3) {
    showFieldError($("token"), "That doesn't look like a company token: it has three parts separated by dots.");
    $("token").focus();
    return;
  }
  showFieldError($("token"), "");
  state.token = token;
  session.set(TOKEN_KEY, token);
  $("token").value = "";
  say("");
  show();
}

function signOut() {
  state.token = "";
  session.remove(TOKEN_KEY);
  state.products.clear();
  stopEditing();
  show();
}

function show() {
  const signedIn = Boolean(state.token);
  $("signin").hidden = signedIn;
  $("console").hidden = !signedIn;
  if (signedIn) {
    const company = companyFromToken(state.token);
    $("who").textContent = company ? `Signed in as company #${company}` : "Signed in";
    reload();
  }
}

// ---------- the list ----------

async function reload(findId) {
  state.products.clear();
  state.cursor = null;
  state.more = true;
  $("admin-products").replaceChildren();
  await loadMore();
  // The product we need may be on a later page: fetch it by itself.
  if (findId && !state.products.has(findId)) {
    try {
      const { data } = await authed(`/company/products/${encodeURIComponent(findId)}`);
      state.products.set(data.id, data);
      $("admin-products").append(item(data));
    } catch (err) {
      if (!handleAuth(err) && err.status !== 404) sayError(err.message);
    }
  }
}

async function loadMore() {
  if (state.loading || !state.more) return false;
  state.loading = true;
  $("list-status").textContent = "Loading your products…";
  $("admin-more").disabled = true;
  let ok = false;
  try {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (state.cursor) q.set("cursor", state.cursor);
    const { data } = await authed("/company/products?" + q);
    for (const p of data.products) {
      state.products.set(p.id, p);
      $("admin-products").append(item(p));
      if (p.companyName) $("who").textContent = `Signed in as ${p.companyName}`;
    }
    state.cursor = data.nextCursor;
    state.more = Boolean(data.nextCursor);
    ok = true;
  } catch (err) {
    if (!handleAuth(err)) sayError(err.message);
  } finally {
    state.loading = false;
    $("admin-more").disabled = false;
    $("admin-more").hidden = !state.more;
    const n = state.products.size;
    $("list-status").textContent = n ? `${n} product${n === 1 ? "" : "s"}${state.more ? " so far" : ""}.` : ok ? "No products yet: add your first one above." : "";
  }
  return ok;
}

function item(p) {
  return h(
    "li",
    { class: "admin-item", "data-product-id": p.id },
    h("div", { class: "grow" },
      h("p", { class: "name" }, p.name),
      h("p", { class: "small muted" },
        h("span", { class: "tag" + (p.active ? "" : " off") }, p.active ? "In the shop" : "Archived"),
        " ",
        h("span", { class: "price", "data-amount": p.price }, money(p.price, p.currency)),
        ` · version ${p.version}`,
      ),
      p.description ? h("p", { class: "small muted" }, p.description) : null,
    ),
    h("div", { class: "row" },
      h("button", { type: "button", class: "button secondary", "data-action": "edit", "aria-label": `Edit ${p.name}`, onclick: () => edit(p.id) }, "Edit"),
      p.active
        ? h("button", { type: "button", class: "button danger", "data-action": "archive", "aria-label": `Archive ${p.name}`, onclick: () => archive(p.id) }, "Archive")
        : h("button", { type: "button", class: "button secondary", "data-action": "restore", "aria-label": `Put ${p.name} back in the shop`, onclick: () => restore(p.id) }, "Restore"),
    ),
  );
}

function replaceItem(p) {
  state.products.set(p.id, p);
  const old = document.querySelector(`#admin-products [data-product-id="${p.id}"]`);
  const fresh = item(p);
  if (old) old.replaceWith(fresh);
  else $("admin-products").append(fresh);
  return fresh;
}

// ---------- create and edit ----------

const inputs = { name: "p-name", description: "p-description", price: "p-price" };

function edit(id) {
  const p = state.products.get(id);
  if (!p) return;
  state.editing = p;
  $("p-name").value = p.name;
  $("p-description").value = p.description;
  $("p-price").value = p.price;
  $("editor-title").textContent = `Edit “${p.name}”`;
  $("save").textContent = "Save changes";
  $("cancel").hidden = false;
  clearFormErrors();
  $("editor-title").scrollIntoView({ block: "start" });
  $("p-name").focus();
}

function stopEditing() {
  state.editing = null;
  $("product-form").reset();
  $("editor-title").textContent = "Add a product";
  $("save").textContent = "Add product";
  $("cancel").hidden = true;
  clearFormErrors();
}

function clearFormErrors() {
  for (const id of Object.values(inputs)) showFieldError($(id), "");
  $("editor-error").hidden = true;
}

function readForm() {
  clearFormErrors();
  const v = { name: $("p-name").value.trim(), description: $("p-description").value.trim(), price: $("p-price").value.trim().replace(",", ".") };
  const errors = {};
  if (!v.name) errors.name = "Give the product a name.";
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(v.price) || /^0*(\.0*)?$/.test(v.price)) errors.price = "Enter a price above 0 with at most two decimals, such as 4.50.";
  for (const [k, msg] of Object.entries(errors)) showFieldError($(inputs[k]), msg);
  const first = Object.keys(inputs).find((k) => errors[k]);
  if (first) $(inputs[first]).focus();
  return first ? null : v;
}

async function save(event) {
  event.preventDefault();
  const v = readForm();
  if (!v) return;
  const button = $("save");
  button.disabled = true;
  const editing = state.editing;
  try {
    let res;
    if (editing) {
      res = await authed(`/products/${editing.id}`, {
        method: "PUT",
        headers: { "If-Match": `"${editing.version}"` },
        body: { name: v.name, description: v.description, price: v.price, active: editing.active },
      });
    } else {
      res = await authed("/products", { method: "POST", body: v });
    }
    const p = res.data;
    replaceItem(p);
    stopEditing();
    say(editing ? `Saved “${p.name}”. Shoppers see the change right away.` : `Added “${p.name}” to the shop.`);
  } catch (err) {
    saveFailed(err, editing);
  } finally {
    button.disabled = false;
  }
}

function saveFailed(err, editing) {
  if (handleAuth(err)) return;
  const box = $("editor-error");
  const show = (...content) => {
    box.replaceChildren(...content);
    box.hidden = false;
    box.focus();
  };
  if (err instanceof ApiError && err.status === 412 && editing) {
    return show(
      h("p", {}, `Someone else changed “${editing.name}” after you opened it, so your changes were not saved. Reload to see the latest version, then make your change again.`),
      h("button", { type: "button", class: "button secondary", onclick: () => reloadEditing(editing.id) }, "Reload this product"),
    );
  }
  if (err instanceof ApiError && err.status === 404 && editing) {
    return show(h("p", {}, "This product no longer exists (or belongs to another company)."));
  }
  const field = err instanceof ApiError ? err.field : "";
  if (inputs[field]) {
    showFieldError($(inputs[field]), err.message);
    $(inputs[field]).focus();
    return;
  }
  show(h("p", {}, err.message || "Something went wrong."));
}

async function reloadEditing(id) {
  await reload(id);
  if (state.products.has(id)) {
    edit(id);
    say("This is the latest version. Make your change again and save.");
    $("p-name").focus();
  } else {
    stopEditing();
    sayError("That product is no longer in your list.");
  }
}

// ---------- archive and restore ----------

async function archive(id) {
  const p = state.products.get(id);
  if (!p) return;
  try {
    const { data } = await authed(`/products/${id}`, { method: "DELETE", headers: { "If-Match": `"${p.version}"` } });
    replaceItem(data);
    say(`Archived “${data.name}”: it has left the shop.`, h("button", { type: "button", class: "button secondary", onclick: () => restore(id) }, "Undo"));
  } catch (err) {
    changeFailed(err, p);
  }
}

async function restore(id) {
  const p = state.products.get(id);
  if (!p) return;
  try {
    const { data } = await authed(`/products/${id}`, {
      method: "PUT",
      headers: { "If-Match": `"${p.version}"` },
      body: { name: p.name, description: p.description, price: p.price, active: true },
    });
    replaceItem(data);
    say(`“${data.name}” is back in the shop.`);
  } catch (err) {
    changeFailed(err, p);
  }
}

function changeFailed(err, p) {
  if (handleAuth(err)) return;
  if (err instanceof ApiError && err.status === 412) {
    return sayError(
      `Someone else changed “${p.name}” in the meantime, so nothing was changed. Reload to see the latest version.`,
      h("button", { type: "button", class: "button secondary", onclick: () => reload(p.id).then(() => say("Reloaded: this is the latest version.")) }, "Reload"),
    );
  }
  sayError(err.message || "Something went wrong.");
}

// ---------- start ----------

$("token-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", () => {
  signOut();
  say("Signed out. The token was forgotten.");
});
$("product-form").addEventListener("submit", save);
$("cancel").addEventListener("click", stopEditing);
$("reload").addEventListener("click", () => reload());
$("admin-more").addEventListener("click", loadMore);
for (const id of Object.values(inputs)) $(id).addEventListener("input", () => showFieldError($(id), ""));
show();
