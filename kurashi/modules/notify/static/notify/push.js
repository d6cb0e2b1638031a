// Offers a browser push subscription when the "browser notification" channel is ticked.
(function () {
  "use strict";
  var status = document.getElementById("notify-push-status");
  var box = document.querySelector('input[name="channels"][value="webpush"]');
  if (!status || !box || !("serviceWorker" in navigator) || !("PushManager" in window)) { return; }
  var key = status.getAttribute("data-vapid-key");
  if (!key) { return; }
  function decode(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  function encode(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i++) { text += String.fromCharCode(bytes[i]); }
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  box.addEventListener("change", function () {
    if (!box.checked) { return; }
    navigator.serviceWorker.register(status.getAttribute("data-worker")).then(function (registration) {
      return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: decode(key) });
    }).then(function (subscription) {
      document.querySelector('input[name="push_endpoint"]').value = subscription.endpoint;
      document.querySelector('input[name="push_p256dh"]').value = encode(subscription.getKey("p256dh"));
      document.querySelector('input[name="push_auth"]').value = encode(subscription.getKey("auth"));
      status.textContent = status.getAttribute("data-ok") || "OK";
    }).catch(function (error) { status.textContent = String(error); });
  });
})();
