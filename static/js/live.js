/* Progressive enhancement for "live" pages (buy page, leader dashboard): reload every N seconds
   so progress and the list stay current, but never while someone is typing in a form. */
(function () {
  "use strict";
  var marker = document.querySelector("[data-live-seconds]");
  if (!marker) return;
  var seconds = parseInt(marker.getAttribute("data-live-seconds"), 10) || 30;
  var dirty = false;
  document.addEventListener("input", function () { dirty = true; });
  window.setInterval(function () {
    var active = document.activeElement;
    var typing = active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
    if (!dirty && !typing && document.visibilityState === "visible") window.location.reload();
  }, seconds * 1000);
})();
