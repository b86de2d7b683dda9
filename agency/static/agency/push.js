/* "Enable push on this device" on the notifications page: registers the service worker
   (/sw.js), subscribes to push with the agency's VAPID public key (the section's data-key),
   and posts the subscription to the page's data-url with the CSRF token; the page then
   reloads with the method listed and its test message on the way. A file, not inline, for
   the Content-Security-Policy; its words come from the section's data- attributes. */
(function () {
  "use strict";

  function decodeKey(text) {
    var base64 = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function sameKey(buffer, bytes) {
    if (!buffer) { return false; }
    var have = new Uint8Array(buffer);
    if (have.length !== bytes.length) { return false; }
    for (var i = 0; i < have.length; i += 1) { if (have[i] !== bytes[i]) { return false; } }
    return true;
  }

  function subscribe(registration, key) {
    var manager = registration.pushManager;
    return manager.getSubscription().then(function (existing) {
      if (existing && sameKey(existing.options.applicationServerKey, key)) { return existing; }
      // A subscription made with another key (the agency changed its VAPID key) is replaced.
      var dropped = existing ? existing.unsubscribe() : Promise.resolve(true);
      return dropped.then(function () {
        return manager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
      });
    });
  }

  function start() {
    var box = document.getElementById("push");
    var button = document.getElementById("push-on");
    if (!box || !button) { return; }
    var status = box.querySelector(".push-status");
    var say = function (text) { status.textContent = text; };
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      return;  // the page's own words say that this browser cannot
    }
    say("");
    button.hidden = false;
    button.addEventListener("click", function () {
      var token = box.querySelector("input[name=csrfmiddlewaretoken]").value;
      var label = box.querySelector("input[name=label]").value;
      var key = decodeKey(box.dataset.key);
      button.disabled = true;
      say(box.dataset.working);
      Promise.resolve(Notification.requestPermission()).then(function (permission) {
        if (permission !== "granted") { throw new Error(box.dataset.denied); }
        return navigator.serviceWorker.register(box.dataset.worker, { scope: "/" });
      }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return subscribe(registration, key);
      }).then(function (subscription) {
        return fetch(box.dataset.url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "application/json",
                     "X-CSRFToken": token },
          body: JSON.stringify({ subscription: subscription.toJSON(), label: label })
        });
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) { throw new Error(body.error || response.statusText); }
          window.location.reload();
        });
      }).catch(function (error) {
        var text = error && error.message ? error.message : String(error);
        say(text === box.dataset.denied ? text : box.dataset.failed + " " + text);
        button.disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
