/* Camera scanning of a slip's QR code where the browser can (BarcodeDetector + getUserMedia); elsewhere the scan
   button stays hidden and the guard types the code, which always works. The QR holds the gate page's address
   with "#code=<CODE>" (or just the code): the code goes into the form's field and the guard taps "Check", so
   the server's answer is the only verdict, as with a typed code.

   Markup: inside a form, a button [data-scan] (hidden), a video [data-scan-video] (hidden), an input
   [data-scan-target], and optionally an element [data-scan-status] for messages. */
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;

  var CODE = /^[0-9A-Za-z-]{1,20}$/;

  function codeOf(text) {
    var match = /#code=([0-9A-Za-z-]{1,20})$/.exec(text || "");
    if (match) return match[1];
    text = (text || "").trim();
    return CODE.test(text) ? text : null;
  }

  function setUp(button) {
    var form = button.form || button.closest("form");
    var video = form.querySelector("[data-scan-video]");
    var input = form.querySelector("[data-scan-target]");
    var status = form.querySelector("[data-scan-status]");
    if (!video || !input) return;
    var detector;
    try {
      detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (e) {
      return; // no QR support in this browser's detector: typing only
    }
    var stream = null;

    function stop() {
      if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      video.hidden = true;
      video.srcObject = null;
    }

    function look() {
      if (!stream) return;
      detector.detect(video).then(function (found) {
        for (var i = 0; i < found.length; i++) {
          var code = codeOf(found[i].rawValue);
          if (code) {
            input.value = code.toUpperCase();
            stop();
            var submit = form.querySelector("button:not([type=button])");
            if (submit) submit.focus();
            if (status) status.textContent = "";
            return;
          }
        }
        window.requestAnimationFrame(look);
      }, function () { window.setTimeout(look, 250); });
    }

    button.hidden = false;
    button.addEventListener("click", function () {
      if (stream) { stop(); return; }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        return video.play().then(look);
      }).catch(function () {
        stop();
        if (status) status.textContent = button.getAttribute("data-scan-failed") || "";
        input.focus();
      });
    });
  }

  function setUpAll() {
    var buttons = document.querySelectorAll("[data-scan]");
    for (var i = 0; i < buttons.length; i++) setUp(buttons[i]);
  }

  // Some browsers have the detector but no QR support on this platform (Chromium on Linux lists no formats).
  var formats = window.BarcodeDetector.getSupportedFormats;
  if (typeof formats !== "function") { setUpAll(); return; }
  formats.call(window.BarcodeDetector).then(function (list) {
    if (list && list.indexOf("qr_code") !== -1) setUpAll();
  }, function () {});
})();
