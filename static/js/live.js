/* Progressive enhancement for "live" pages (buy page, leader dashboard): keep progress and the list current
   every N seconds, but never while someone is typing in a form. Where the page gave its ETag (data-etag), ask
   with If-None-Match first: an unchanged page answers 304 at the cost of one small read on the server, and only
   a changed one is reloaded. Without the ETag (or when the check fails), reload as before. */
(function () {
  "use strict";
  var marker = document.querySelector("[data-live-seconds]");
  if (!marker) return;
  var seconds = parseInt(marker.getAttribute("data-live-seconds"), 10) || 30;
  var etag = marker.getAttribute("data-etag");
  var dirty = false;
  var busy = false;
  document.addEventListener("input", function () { dirty = true; });

  function idle() {
    var active = document.activeElement;
    var typing = active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    return !dirty && !typing && document.visibilityState === "visible";
  }

  function check() {
    if (!etag || !window.fetch) { window.location.reload(); return; }
    busy = true;
    window.fetch(window.location.pathname + window.location.search, {
      headers: { "If-None-Match": etag }, credentials: "same-origin", cache: "no-store"
    }).then(function (response) {
      busy = false;
      var now = response.headers.get("ETag");
      if (response.status === 304 || (now && now === etag)) return;
      if (idle()) window.location.reload();
    }, function () { busy = false; });  // offline: try again next time
  }

  window.setInterval(function () {
    if (!busy && idle()) check();
  }, seconds * 1000);
})();
