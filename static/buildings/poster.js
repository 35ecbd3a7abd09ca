/* 家园 QR posters: the print button (CSP forbids onclick attributes). */
(function () {
  "use strict";
  document.querySelectorAll("[data-jy-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
})();
