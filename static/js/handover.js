/* A household's pickup QR opens this page as …/handover/#code=XXXX. The fragment never reaches the server
   (no access log); it is removed from the address bar and history at once, and the code is looked up by
   POST, like a typed one. */
(function () {
  "use strict";
  var match = /^#code=([A-Za-z0-9]{1,20})$/.exec(window.location.hash);
  if (!match) return;
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var form = document.getElementById("lookup-form");
  if (!form) return;
  form.querySelector("input[name=code]").value = match[1];
  form.submit();
})();
