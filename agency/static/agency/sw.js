/* The portal's service worker (served at /sw.js, scope /): shows a pushed message and opens
   its link when it is tapped. The message is what agency.transports.WebPushTransport sends:
   {title, body, url, tag}. */
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var message = {};
  if (event.data) {
    try { message = event.data.json(); } catch (e) { message = { body: event.data.text() }; }
  }
  var options = {
    body: message.body || "",
    data: { url: message.url || "/" },
    icon: "/static/agency/favicon.svg"
  };
  if (message.tag) { options.tag = message.tag; options.renotify = true; }
  event.waitUntil(self.registration.showNotification(message.title || "Stormdesk", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then(function (windows) {
      for (var i = 0; i < windows.length; i += 1) {
        if (windows[i].url === url && "focus" in windows[i]) { return windows[i].focus(); }
      }
      return self.clients.openWindow(url);
    }));
});
