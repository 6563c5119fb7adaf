// The buy form: a stock cap is asked only for a ticked offer (without this script every cap shows and the server
// ignores those of unticked offers).
(function () {
  "use strict";
  document.querySelectorAll(".offer-choice").forEach(function (row) {
    var box = row.querySelector("input[name=offers]");
    var cap = row.querySelector(".cap-field");
    if (!box || !cap) return;
    function sync() { cap.hidden = !box.checked; }
    box.addEventListener("change", sync);
    sync();
  });
})();
