// "Me too" before sending: when the category or the place changes, show the
// open cases already reported there (the server renders the list).
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var box = document.getElementById("similar");
  if (!form || !box || !window.fetch) return;
  function refresh() {
    var cat = form.querySelector("input[name=category]:checked");
    var where = form.querySelector("select[name=where]");
    if (!cat || !where || !where.value) { box.innerHTML = ""; return; }
    var url = form.getAttribute("data-similar-url") + "?category=" + encodeURIComponent(cat.value) +
      "&where=" + encodeURIComponent(where.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () {});
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "category" || e.target.name === "where") refresh();
  });
})();
