/* Buy page sign-up: −/+ steppers around the number boxes and the live total on the form's button.
   Progressive enhancement: without it the boxes are typed in and the server shows the total after a submit.
   Bounds come from the boxes' min/max/step (the server's sign-up checks); the server still decides. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form.signup-form");
  if (!forms.length) return;

  function whole(text) {
    var n = parseInt(String(text).trim(), 10);
    return isNaN(n) || !/^\s*\d+\s*$/.test(String(text)) ? null : n;
  }

  function cents(price) {
    var parts = String(price).split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }

  function money(c) {
    var yuan = Math.floor(c / 100), fen = c % 100;
    return "¥" + yuan + "." + (fen < 10 ? "0" : "") + fen;
  }

  function refresh(form) {
    var total = 0, readable = true;
    form.querySelectorAll("input[data-price]").forEach(function (box) {
      var q = box.value.trim() === "" ? 0 : whole(box.value);
      if (q === null) readable = false;
      else total += q * cents(box.getAttribute("data-price"));
    });
    form.querySelectorAll("[data-total]").forEach(function (el) { el.textContent = money(total); });
    form.querySelectorAll("[data-total-shown]").forEach(function (el) { el.hidden = !readable; });
    form.querySelectorAll(".stepper").forEach(function (stepper) {
      var box = stepper.querySelector("input");
      var q = whole(box.value);
      stepper.querySelector("[data-step='-1']").disabled = q !== null && q <= whole(box.min);
      stepper.querySelector("[data-step='1']").disabled = q !== null && box.max !== "" && q >= whole(box.max);
    });
  }

  forms.forEach(function (form) {
    form.querySelectorAll(".stepper").forEach(function (stepper) {
      var box = stepper.querySelector("input");
      stepper.querySelectorAll("button.step").forEach(function (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          var step = whole(box.step) || 1;
          var low = whole(box.min) || 0;
          var high = box.max === "" ? Infinity : whole(box.max);
          var now = whole(box.value);
          var next = (now === null ? low : now) + step * parseInt(button.getAttribute("data-step"), 10);
          box.value = String(Math.max(low, Math.min(high, next)));
          box.dispatchEvent(new Event("input", { bubbles: true }));
        });
      });
    });
    form.addEventListener("input", function () { refresh(form); });
    refresh(form);
  });
})();
