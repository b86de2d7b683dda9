/* The desk's news: a new alert at watch or above (or one that rose a level) while the page is
   open shows at the top, plays a short sound and, where the person allowed it, raises a browser
   notification. What was already there when the page opened is not news. A file, not inline,
   for the Content-Security-Policy. */
(function () {
  "use strict";
  var KEY = "stormdesk-desk-alerts";
  var LEVELS = { watch: 1, issue: 2, crisis: 3 };
  var seen = new Set(JSON.parse(sessionStorage.getItem(KEY) || "[]"));
  var opened = sessionStorage.getItem(KEY) === null;
  var audio = null;

  function current() {
    return Array.prototype.map.call(document.querySelectorAll("[data-alert]"), function (el) {
      return { key: el.dataset.alert + ":" + el.dataset.alertLevel, level: el.dataset.alertLevel,
               title: el.dataset.alertTitle };
    }).filter(function (a) { return LEVELS[a.level]; });
  }

  function beep(level) {
    if (!audio) { return; }
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = level === "crisis" ? 880 : 660;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.6);
  }

  function announce(fresh) {
    var news = document.getElementById("desk-news");
    fresh.forEach(function (alert) {
      var line = document.createElement("p");
      line.className = "news-item level-" + alert.level;
      line.textContent = alert.title;
      news.prepend(line);
      beep(alert.level);
      if ("Notification" in window && Notification.permission === "granted") {
        new Notification("Stormdesk", { body: alert.title, tag: alert.key });
      }
    });
  }

  function check() {
    var fresh = current().filter(function (a) { return !seen.has(a.key); });
    fresh.forEach(function (a) { seen.add(a.key); });
    sessionStorage.setItem(KEY, JSON.stringify(Array.from(seen)));
    if (opened) { opened = false; return; }
    if (fresh.length) { announce(fresh); }
  }

  function offerAlerts() {
    var button = document.getElementById("desk-alerts-on");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      // A click is what lets a page play sound and ask for notifications.
      var Context = window.AudioContext || window.webkitAudioContext;
      if (Context && !audio) { audio = new Context(); }
      if ("Notification" in window && Notification.permission === "default") {
        Notification.requestPermission();
      }
      button.textContent = button.dataset.on;
      button.disabled = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { offerAlerts(); check(); });
  document.addEventListener("htmx:afterSettle", check);
})();
