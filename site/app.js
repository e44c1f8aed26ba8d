// A minimal storefront: list products, add them to a cart, show the quote.
// Money strings come from the server and are only formatted here, never
// recomputed.
const $ = (sel) => document.querySelector(sel);
const cart = new Map(); // productId -> quantity
let cursor = null;
let currency = "USD";

function money(amount) {
  return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(amount);
}

async function api(path, options) {
  const res = await fetch(`/api${path}`, options);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
  return body;
}

async function loadProducts() {
  const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
  try {
    const page = await api(`/products${query}`);
    for (const p of page.products) {
      currency = p.currency;
      const li = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = p.name;
      const meta = document.createElement("span");
      meta.textContent = `${p.companyName} · ${money(p.price)}`;
      const add = document.createElement("button");
      add.type = "button";
      add.textContent = "Add";
      add.setAttribute("aria-label", `Add ${p.name}`);
      add.addEventListener("click", () => {
        cart.set(p.id, (cart.get(p.id) || 0) + 1);
        quote();
      });
      li.append(name, meta, add);
      $("#products").append(li);
    }
    cursor = page.nextCursor;
    $("#more").hidden = !cursor;
    $("#status").textContent = "";
  } catch (err) {
    $("#status").textContent = `Could not load products: ${err.message}`;
  }
}

async function quote() {
  const items = [...cart].map(([productId, quantity]) => ({ productId, quantity }));
  const tbody = $("#bill tbody");
  try {
    const q = await api("/orders/quote", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items }),
    });
    tbody.replaceChildren(...q.lines.map((line) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = `${line.quantity} × ${line.name}`;
      const td = document.createElement("td");
      td.textContent = money(line.lineTotal);
      tr.append(th, td);
      return tr;
    }));
    $("#total").textContent = money(q.total);
  } catch (err) {
    $("#status").textContent = `Could not price the cart: ${err.message}`;
  }
}

$("#more").addEventListener("click", loadProducts);
loadProducts();
