/* 连心室值班台: keeps the lists of waiting and open conversations current.
 * The console socket only says "something changed"; the lists are fetched
 * again from the server (rendered there, so what people typed stays text). */
(function () {
  "use strict";
  var lists = document.getElementById("lists");
  if (!lists) return;
  var ws = null, attempt = 0, lastHeard = 0, beat = null, timer = null, refreshing = false, again = false;

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(lists.dataset.url + (lists.dataset.current ? "?current=" + lists.dataset.current : ""),
          { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html !== null) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          lists.replaceChildren.apply(lists, Array.prototype.slice.call(doc.body.childNodes));
          var cur = lists.dataset.current;
          if (cur) lists.querySelectorAll("a.conv").forEach(function (a) {
            if (a.dataset.id === cur) a.classList.add("current");
          });
        }
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) { again = false; setTimeout(refresh, 300); }
      });
  }

  function connect() {
    clearTimeout(timer);
    if (ws) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var sock = new WebSocket(scheme + location.host + "/ws/chat/console/");
    ws = sock;
    sock.onopen = function () {
      attempt = 0; lastHeard = Date.now(); refresh();
      clearInterval(beat);
      beat = setInterval(function () {
        if (Date.now() - lastHeard > 45000) { sock.close(); return; }
        sock.send(JSON.stringify({ type: "ping" }));
      }, 20000);
    };
    sock.onmessage = function (e) {
      lastHeard = Date.now();
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (data.type === "changed") refresh();
    };
    sock.onclose = function (e) {
      if (ws !== sock) return;
      ws = null; clearInterval(beat);
      if (e.code === 4401 || e.code === 4403) return;
      var base = Math.min(30000, 1000 * Math.pow(2, attempt++));
      timer = setTimeout(connect, base / 2 + Math.random() * base / 2);
    };
  }
  window.addEventListener("online", function () { attempt = 0; connect(); });
  setInterval(refresh, 60000); // the waiting minutes move on by themselves
  connect();
})();
