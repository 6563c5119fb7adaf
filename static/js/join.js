/* The invite sheet's QR opens the join page with the code after "#", which never reaches the server or its
   logs: move it into the code box (the resident still taps "Continue", a POST) and drop it from the address
   bar and history. */
(function () {
  "use strict";
  var match = /^#code=([0-9A-Za-z-]{1,40})$/.exec(window.location.hash);
  if (!match) return;
  var input = document.getElementById("id_code");
  if (input) input.value = match[1];
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
})();
