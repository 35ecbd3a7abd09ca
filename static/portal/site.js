/* 家园 shell script: register the service worker, load the forms' code where it is needed. */
(function () {
  if ("serviceWorker" in navigator && location.protocol !== "file:") {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }
  // A form submitted twice by an impatient tap is sent once.
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.dataset.sent) { e.preventDefault(); return; }
    f.dataset.sent = "1";
    setTimeout(function () { delete f.dataset.sent; }, 4000);
  });

  // Submissions saved offline are sent on the next page load, whatever the page:
  // common.js counts them in localStorage, and only then does a page without a
  // form fetch the forms' code (common.js, then forms.js, from this tag's data-*).
  var me = document.currentScript;
  function waiting() {
    try { return +localStorage.getItem("jy:outbox") > 0; } catch (e) { return false; }
  }
  function load(src, then) {
    var s = document.createElement("script");
    s.src = src;
    s.onload = then;
    document.body.appendChild(s);
  }
  function sendWaiting() {
    if (window.jyForms || !me || !waiting()) return;
    var forms = me.getAttribute("data-forms");
    if (window.jy) load(forms);
    else load(me.getAttribute("data-common"), function () { load(forms); });
  }
  window.addEventListener("online", sendWaiting);
  if (document.readyState === "complete") sendWaiting();
  else window.addEventListener("load", sendWaiting);
})();
