/* "重新获取验证码" counts down the minute in which the server would refuse a new
   code anyway (one a minute per number). The page says how long in data-wait;
   without this script the button is simply enabled. Loaded only on the code
   pages (templates/account/base_confirm_code.html). */
(function () {
  "use strict";
  document.querySelectorAll("button[data-wait]").forEach(function (button) {
    var left = parseInt(button.getAttribute("data-wait"), 10) || 0;
    var label = button.textContent;
    var waiting = button.getAttribute("data-wait-label") || "%(s)s";
    function tick() {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.disabled = true;
      button.textContent = waiting.replace("%(s)s", String(left));
      left -= 1;
      window.setTimeout(tick, 1000);
    }
    tick();
  });
})();
