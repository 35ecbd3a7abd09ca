// "Me too" before sending: when the category or the place changes, show the
// open cases already reported there (the server renders the list).
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var box = document.getElementById("similar");
  if (!form || !box || !window.fetch) return;
  var gettext = window.gettext || function (s) { return s; };
  function refresh() {
    var cat = form.querySelector("input[name=category]:checked");
    var where = form.querySelector("select[name=where]");
    if (!cat || !where || !where.value) { box.innerHTML = ""; return; }
    var url = form.getAttribute("data-similar-url") + "?category=" + encodeURIComponent(cat.value) +
      "&where=" + encodeURIComponent(where.value);
    var behalf = form.querySelector("input[name=behalf]");
    if (behalf && behalf.value === "1") url += "&behalf=1";
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () {});
  }
  // Optional: the phone's position, kept as a position only (never in a photo).
  var locate = form.querySelector("[data-jy-locate]");
  var locStatus = form.querySelector("[data-jy-locate-status]");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      locStatus.textContent = gettext("正在定位…");
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.querySelector("input[name=latitude]").value = pos.coords.latitude.toFixed(6);
        form.querySelector("input[name=longitude]").value = pos.coords.longitude.toFixed(6);
        locStatus.textContent = gettext("已附上位置");
      }, function () {
        locStatus.textContent = gettext("没能定位，不影响提交");
      }, { timeout: 10000, maximumAge: 60000 });
    });
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "category" || e.target.name === "where") refresh();
  });
})();
