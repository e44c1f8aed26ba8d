// Shows an offer pushed to the carrier ({title, body, url, tag}) and opens
// its link, in the carrier page if one is open.
self.addEventListener("activate", (e) => e.waitUntil(clients.claim()));
self.addEventListener("push", (e) => {
  const m = e.data?.json() || {};
  e.waitUntil(registration.showNotification(m.title || "New delivery", { body: m.body, tag: m.tag, data: m.url, icon: "icon.svg" }));
});
self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  let url = new URL(e.notification.data || "carrier.html", location);
  if (url.origin !== location.origin) url = new URL("carrier.html", location);
  e.waitUntil(clients.matchAll({ type: "window" }).then((tabs) => {
    const tab = tabs.find((c) => new URL(c.url).pathname === url.pathname);
    return tab ? tab.focus().then((c) => c.navigate(url.href)) : clients.openWindow(url.href);
  }));
});
