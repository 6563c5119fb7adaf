/* "Copy 接龙 text": the button is hidden until this script runs (without JS the text box is still there to
   select by hand). Clipboard API where the page is a secure context, else select the text and execCommand. */
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var box = document.getElementById(button.getAttribute("data-copy"));
    if (!box) return;
    var label = button.textContent;
    function done() {
      button.textContent = button.getAttribute("data-copied");
      window.setTimeout(function () { button.textContent = label; }, 2000);
    }
    function fallback() {
      box.focus();
      box.select();
      box.setSelectionRange(0, box.value.length);
      try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected to copy by hand */ }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(box.value).then(done, fallback);
      } else {
        fallback();
      }
    });
  });
})();
