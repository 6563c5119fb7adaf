/* Installs the service worker (static/js/sw.js, served at the site root) and tells it who is looking at this
   page and in which language: when the person changes (or nobody is signed in any more) it forgets the buy
   pages it saved, so the next person on a shared phone cannot read them. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !("serviceWorker" in navigator)) return;
  var worker = navigator.serviceWorker;
  worker.register(script.getAttribute("data-sw"), { scope: "/" }).catch(function () {
    /* not a secure context, or storage refused: the site works as before */
  });
  worker.ready.then(function (registration) {
    var message = { type: "page", user: script.getAttribute("data-user") || "", lang: document.documentElement.lang };
    if (registration.active) registration.active.postMessage(message);
  });
})();
