// Shows Kurashi disaster alerts delivered by Web Push; a tap opens the live page.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = { title: "Kurashi", body: event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Kurashi", {
    body: data.body || "", data: { url: data.url || "/" }, requireInteraction: (data.level || 0) >= 4, lang: data.language || "ja"
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data.url));
});
