/* 干群连心室 chat client.
 *
 * The server's database is the record; this socket only brings news. Every
 * message has a number (seq) per conversation. The client keeps the highest
 * number it has shown without a hole (lastSeq); on every (re)connect it says
 * "hello, I have up to lastSeq" and gets the rest; a message whose number
 * leaves a hole makes it ask for the missing range. A number already shown is
 * dropped, so nothing appears twice.
 *
 * What the person sends goes first into an outbox kept on the phone, with a
 * key made here and a place in the order: text in localStorage, photos and
 * voice notes (blobs) in IndexedDB, so both survive a reload or a closed
 * page. The outbox is sent one item at a time, in order, whenever the socket
 * is up (text over the socket, photos and voice by an upload), and an item
 * leaves it only when the server says it is stored. Sending the same key
 * twice stores it once.
 *
 * A heartbeat (ping every 20 s; silent for 45 s = dead) finds connections
 * that mobile networks drop without telling anyone; reconnecting waits
 * 1, 2, 4 … 30 s with jitter, and at once when the phone is back online.
 *
 * Everything a person typed is put on the page with textContent, never HTML.
 * The page's own words come from Django's JavaScript catalogue (gettext).
 */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root || !window.jy) return; // common.js (ids, IndexedDB, photos, voice) comes first
  var jy = window.jy;

  var gettext = window.gettext || function (s) { return s; };
  var fmt = function (text, values) { // interpolate() with named values
    if (window.interpolate) return window.interpolate(text, values, true);
    return text.replace(/%\((\w+)\)s/g, function (m, k) { return values[k]; });
  };

  var PING_EVERY = 20000;
  var DEAD_AFTER = 45000;
  var RESEND_AFTER = 10000;
  var MAX_BODY = 2000;

  var convId = root.dataset.conversation;
  var me = root.dataset.me; // resident | staff | viewer
  var myRole = me === "resident" ? "resident" : "staff";
  var keep = me === "resident"; // the phone keeps its history for reading offline
  var prefix = "liaison:" + convId + ":";
  var log = document.getElementById("log");
  var net = document.getElementById("net");
  var typingEl = document.getElementById("typing");
  var form = document.getElementById("composer");
  var textarea = document.getElementById("body");
  var sendError = document.getElementById("send-error");
  var csrf = (root.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";

  var lastSeq = 0;
  var buffer = {}; // seq -> message waiting for a hole before it to be filled
  var otherRead = 0;
  var cache = [];
  var outbox = load("outbox", []); // text now; photos and voice join from IndexedDB
  var outboxReady = false; // nothing is sent before the whole outbox is known (order)
  var ws = null;
  var up = false;
  var attempt = 0;
  var retryTimer = null;
  var beat = null;
  var lastHeard = 0;
  var inflight = null; // {key, at}
  var uploading = null; // the client key of a photo or voice note being uploaded
  var gapAsked = 0;
  var lastTypingSent = 0;
  var typingTimer = null;
  var readTimer = null;
  var status = root.dataset.status;

  // --- storage on the phone ------------------------------------------------
  function load(name, fallback) {
    try {
      var raw = localStorage.getItem(prefix + name);
      return raw ? JSON.parse(raw) : fallback;
    } catch (e) { return fallback; }
  }
  function store(name, value) {
    try { localStorage.setItem(prefix + name, JSON.stringify(value)); } catch (e) { /* full: the server still has it */ }
  }
  // Photos and voice notes waiting to be sent: blobs in IndexedDB, one store
  // for every conversation (an item carries its conversation and its order).
  var media = jy.store("liaison-outbox", "items", { keyPath: "client_key" });
  function idbDo(mode, fn) { return media.tx(mode, fn); }
  function saveOutbox() { // the text items; media items live in IndexedDB
    store("outbox", outbox.filter(function (it) { return !it.blob; }).map(function (it) {
      return { client_key: it.client_key, body: it.body, order: it.order };
    }));
  }
  function forget(item) {
    outbox = outbox.filter(function (it) { return it.client_key !== item.client_key; });
    saveOutbox();
    if (item.blob) idbDo("readwrite", function (s) { s.delete(item.client_key); }).catch(function () {});
  }
  var lastOrder = 0;
  function nextOrder() { // increasing on this phone, across reloads
    lastOrder = Math.max(Date.now(), lastOrder + 1);
    return lastOrder;
  }
  var newKey = jy.uuid;

  // --- drawing -------------------------------------------------------------
  var el = jy.el;
  function atBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
  }
  function scrollDown() { log.lastElementChild && log.lastElementChild.scrollIntoView({ block: "end" }); }

  function statusText(seq) { return seq <= otherRead ? gettext("已读") : gettext("已发送"); }
  function pendingText() { return up ? gettext("发送中…") : gettext("待发送（联网后自动发出）"); }

  function draw(m) {
    var side = m.role === "system" ? "sys" : (m.role === myRole ? "mine" : "theirs");
    var li = el("li", "m " + side);
    li.dataset.seq = m.seq;
    if (m.client_key) li.dataset.key = m.client_key;
    if (side === "theirs") li.appendChild(el("p", "who", m.name + (m.sender_role ? " · " + m.sender_role : "")));
    if (m.body) li.appendChild(el("p", "body", m.body));
    (m.photos || []).forEach(function (p) {
      var a = el("a"); a.href = p.full;
      var img = el("img", "photo"); img.src = p.thumb; img.alt = gettext("照片"); img.loading = "lazy";
      a.appendChild(img); li.appendChild(a);
    });
    if (m.voice) {
      var au = el("audio"); au.controls = true; au.preload = "none"; au.src = m.voice;
      au.setAttribute("aria-label", m.voice_seconds ? fmt(gettext("语音 %(n)s 秒"), { n: m.voice_seconds })
                                                    : gettext("语音"));
      li.appendChild(au);
    }
    if (m.case_url) { var c = el("a", "case", gettext("查看诉求办理进度")); c.href = m.case_url; li.appendChild(c); }
    var meta = el("p", "meta", m.at);
    if (side === "mine") { var s = el("span", "state", statusText(m.seq)); meta.appendChild(s); }
    li.appendChild(meta);
    return li;
  }

  function drawPending(item) {
    var li = el("li", "m mine pending");
    li.dataset.key = item.client_key;
    if (item.kind === "photo" && window.URL && URL.createObjectURL) {
      var img = el("img", "photo"); img.src = URL.createObjectURL(item.blob); img.alt = gettext("照片");
      li.appendChild(img);
    } else if (item.kind === "voice") {
      li.appendChild(el("p", "body", gettext("语音")));
    } else {
      li.appendChild(el("p", "body", item.body));
    }
    var meta = el("p", "meta");
    meta.appendChild(el("span", "state", pendingText()));
    li.appendChild(meta);
    log.appendChild(li);
  }

  function show(m) {
    lastSeq = m.seq;
    var pending = m.client_key ? log.querySelector('li.pending[data-key="' + cssEscape(m.client_key) + '"]') : null;
    var stick = atBottom();
    var li = draw(m);
    if (pending) {
      log.replaceChild(li, pending);
    } else {
      // Keep what is still waiting to be sent below what the server has.
      var firstPending = log.querySelector("li.pending");
      log.insertBefore(li, firstPending);
    }
    if (keep) {
      cache.push(m);
      if (cache.length > 300) cache = cache.slice(-300);
    }
    if (stick || m.role === myRole) scrollDown();
    if (m.role !== myRole && m.role !== "system") scheduleRead();
  }

  function cssEscape(s) { return String(s).replace(/["\\]/g, "\\$&"); }

  // --- numbers: no holes, no duplicates --------------------------------------
  // "Not duty hours" is wrong once someone is answering: hide it while staff reply.
  function staffAnswering() {
    var banner = root.querySelector(".off-hours");
    if (banner) banner.hidden = true;
  }

  function accept(m) {
    if (!m || typeof m.seq !== "number") return;
    if (m.role === "staff") staffAnswering();
    if (m.seq <= lastSeq) return; // already shown
    if (m.seq > lastSeq + 1) {
      buffer[m.seq] = m;
      askFor(lastSeq, m.seq - 1);
      return;
    }
    show(m);
    while (buffer[lastSeq + 1]) {
      var next = buffer[lastSeq + 1];
      delete buffer[lastSeq + 1];
      show(next);
    }
    Object.keys(buffer).forEach(function (k) { if (+k <= lastSeq) delete buffer[k]; });
    if (keep) { store("msgs", cache); }
  }

  function askFor(after, upto) {
    var now = Date.now();
    if (now - gapAsked < 1500) return;
    gapAsked = now;
    if (up) {
      send({ type: "fetch", after: after, upto: upto });
    } else {
      fetch(root.dataset.messagesUrl + "?after=" + after + "&upto=" + upto, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) { (data.items || []).forEach(accept); })
        .catch(function () {});
    }
  }

  // --- the outbox --------------------------------------------------------------
  // One item at a time, in the order they were made: a photo typed before a
  // text goes before it, even if the text could travel faster.
  function pump() {
    if (!up || !outboxReady || !outbox.length || uploading) return;
    var item = outbox[0];
    if (item.blob) { uploadItem(item); return; }
    if (inflight && inflight.key === item.client_key && Date.now() - inflight.at < RESEND_AFTER) return;
    inflight = { key: item.client_key, at: Date.now() };
    send({ type: "send", client_key: item.client_key, body: item.body });
  }

  function itemFor(key) {
    for (var i = 0; i < outbox.length; i++) if (outbox[i].client_key === key) return outbox[i];
    return { client_key: key };
  }

  function sent(key, seq) {
    forget(itemFor(key));
    inflight = null;
    if (seq > lastSeq) {
      askFor(lastSeq, seq); // the news of it may be lost; the number is not
    } else { // shown already (stored before a reload): drop its waiting copy
      var li = log.querySelector('li.pending[data-key="' + cssEscape(key) + '"]');
      if (li) li.remove();
    }
    pump();
  }

  function refused(data) {
    inflight = null;
    if (data.retry) { setTimeout(pump, Math.max(3, data.retry_after || 0) * 1000); return; }
    var key = data.client_key;
    forget(itemFor(key));
    var li = key ? log.querySelector('li.pending[data-key="' + cssEscape(key) + '"]') : null;
    if (li) {
      li.classList.add("failed");
      li.querySelector(".state").textContent = fmt(gettext("未发出：%(why)s"), { why: data.message || "" });
    }
    pump();
  }

  // A photo or voice note at the head of the outbox: uploaded with its key (a
  // repeat is stored once). A refusal (4xx) takes it out with the reason; a
  // network failure leaves it in place for the next try (reconnect, heartbeat).
  function uploadItem(item) {
    uploading = item.client_key;
    var fd = new FormData();
    fd.append(item.kind, item.blob, item.name || (item.kind === "photo" ? "photo.jpg" : "voice.webm"));
    fd.append("client_key", item.client_key);
    fetch(root.dataset.uploadUrl, { method: "POST", body: fd, credentials: "same-origin",
                                    headers: { "X-CSRFToken": csrf, "Accept": "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (d) { return { status: r.status, d: d }; });
      })
      .then(function (res) {
        uploading = null;
        if (res.status === 200 && res.d.ok) { sent(item.client_key, res.d.seq); return; }
        if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
          refused({ client_key: item.client_key, message: res.d.message || "" });
          return;
        }
        // the server is busy, or asks to wait (429): keep it and try again
        setTimeout(pump, Math.max(3, res.d.retry_after || 0) * 1000);
      })
      .catch(function () { // the network: try again soon, and at the next (re)connect
        uploading = null;
        if (navigator.onLine !== false) setTimeout(pump, 5000);
      });
  }

  function enqueue(item) {
    // Whatever is sent (text, photo, voice) ends this typing spell: the other side
    // hides "typing" when it arrives, so the next keystroke must announce a new one
    // at once, not wait out the 2.5-s throttle.
    lastTypingSent = 0;
    item.order = nextOrder();
    outbox.push(item);
    drawPending(item);
    scrollDown();
    if (item.blob) {
      idbDo("readwrite", function (s) {
        s.put({ client_key: item.client_key, conversation: convId, order: item.order,
                kind: item.kind, name: item.name, blob: item.blob });
      }).catch(function () {}) // no IndexedDB (private mode): it is sent while the page is open
        .then(pump);
    } else {
      saveOutbox();
      pump();
    }
  }

  // --- the socket -----------------------------------------------------------
  function setNet(kind) {
    var text = { offline: gettext("网络断开了。您写的消息会保存在手机上，联网后自动发出。"),
                 reconnecting: gettext("正在重新连接…"),
                 gone: gettext("这个会话已由其他同事接待或您已无权查看。") }[kind];
    if (text) { net.textContent = text; net.hidden = false; } else { net.hidden = true; }
    root.dataset.net = kind;
    log.querySelectorAll("li.pending:not(.failed) .state").forEach(function (s) {
      s.textContent = kind === "online" ? gettext("发送中…") : gettext("待发送（联网后自动发出）");
    });
  }

  function send(obj) {
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; }
    return false;
  }

  function connect() {
    clearTimeout(retryTimer);
    if (ws && (ws.readyState === 0 || ws.readyState === 1)) return;
    if (navigator.onLine === false) { setNet("offline"); return; }
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var sock = new WebSocket(scheme + location.host + root.dataset.ws);
    ws = sock;
    sock.onopen = function () {
      up = true;
      lastHeard = Date.now();
      send({ type: "hello", last_seq: lastSeq });
      setNet("online");
      inflight = null;
      uploading = null;
      pump();
      clearInterval(beat);
      beat = setInterval(heartbeat, PING_EVERY);
    };
    sock.onmessage = function (e) {
      lastHeard = Date.now();
      var data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      handle(data);
    };
    sock.onclose = function (e) {
      if (ws !== sock) return;
      ws = null;
      up = false;
      clearInterval(beat);
      if (e.code === 4401 || e.code === 4403) { setNet("gone"); return; }
      if (navigator.onLine === false) { setNet("offline"); return; }
      setNet("reconnecting");
      var base = Math.min(30000, 1000 * Math.pow(2, attempt++));
      retryTimer = setTimeout(connect, base / 2 + Math.random() * base / 2);
    };
  }

  function heartbeat() {
    if (!ws) return;
    if (Date.now() - lastHeard > DEAD_AFTER) { ws.close(); return; } // onclose reconnects
    send({ type: "ping", t: Date.now() });
    pump();
  }

  function handle(data) {
    switch (data.type) {
      case "messages": (data.items || []).forEach(accept); attempt = 0; break;
      case "message": accept(data.message); if (data.message.role !== myRole) hideTyping(); break;
      case "ack": sent(data.client_key, data.seq); break;
      case "error": if (data.client_key !== undefined) refused(data); break;
      case "read": if (data.role !== myRole) { otherRead = Math.max(otherRead, data.seq); markRead(); } break;
      case "typing": if (data.role !== myRole) showTyping(); break;
      case "state": applyState(data.state); break;
      case "gone": setNet("gone"); break;
    }
  }

  function markRead() {
    log.querySelectorAll("li.mine[data-seq] .state").forEach(function (s) {
      s.textContent = statusText(+s.closest("li").dataset.seq);
    });
  }

  function applyState(st) {
    if (!st) return;
    otherRead = Math.max(otherRead, myRole === "resident" ? st.staff_read_seq : st.resident_read_seq);
    markRead();
    var who = document.getElementById("who");
    if (who && st.assignee) {
      who.textContent = me === "resident"
        ? fmt(gettext("%(name)s（%(role)s）为您服务"), { name: st.assignee.name, role: st.assignee.role })
        : fmt(gettext("接待人：%(name)s"), { name: st.assignee.name });
    }
    var caseLink = document.getElementById("case-link");
    if (caseLink && st.case_url) { caseLink.querySelector("a").href = st.case_url; caseLink.hidden = false; }
    if (st.last_seq < lastSeq) { store("msgs", []); location.reload(); return; } // a stale copy on the phone
    if (st.last_seq > lastSeq) askFor(lastSeq, st.last_seq);
    if (st.status === "open") staffAnswering();
    if (st.status !== status) {
      status = st.status;
      root.dataset.status = status;
      if (status === "closed") {
        var rate = document.getElementById("rate");
        if (rate) rate.hidden = false;
        if (form) form.hidden = true;
      }
    }
  }

  // --- typing and reading -------------------------------------------------------
  function showTyping() {
    if (!typingEl) return;
    typingEl.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 4000);
  }
  function hideTyping() { if (typingEl) typingEl.hidden = true; }

  function scheduleRead() {
    if (me === "viewer") return;
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      if (document.visibilityState === "visible") send({ type: "read", seq: lastSeq });
    }, 400);
  }

  // --- the composer ---------------------------------------------------------------
  if (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = textarea.value.trim();
      sendError.hidden = true;
      if (!body) return;
      if (body.length > MAX_BODY) {
        sendError.textContent = fmt(gettext("消息太长了（最多 %(n)s 字）。"), { n: MAX_BODY });
        sendError.hidden = false;
        return;
      }
      enqueue({ client_key: newKey(), kind: "text", body: body });
      textarea.value = "";
      textarea.focus();
    });
    textarea.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    });
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastTypingSent > 2500 && send({ type: "typing" })) lastTypingSent = now;
    });
    document.querySelectorAll(".quick-reply").forEach(function (b) {
      b.addEventListener("click", function () { textarea.value = b.dataset.text; textarea.focus(); });
    });
    setupPhoto();
    setupVoice();
  }

  // Photos are shrunk on the phone (common.js: JPEG, longest side 1600 px) before they travel.
  var shrink = jy.shrink;

  function setupPhoto() {
    var input = document.getElementById("photo-input");
    if (!input) return;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      input.value = "";
      if (!file) return;
      shrink(file).then(function (blob) {
        enqueue({ client_key: newKey(), kind: "photo", blob: blob, name: "photo.jpg" });
      });
    });
  }

  // Hold to talk: press and hold the button, speak, let go to send.
  function setupVoice() {
    var btn = document.getElementById("voice-btn");
    if (!btn) return;
    if (!window.MediaRecorder || !navigator.mediaDevices) { btn.hidden = true; return; }
    var rec = null, chunks = [], started = 0, stream = null, holding = false;
    function start(e) {
      e.preventDefault();
      if (rec || holding) return;
      holding = true;
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (s) {
        if (!holding) { s.getTracks().forEach(function (t) { t.stop(); }); return; } // let go already
        stream = s;
        chunks = [];
        rec = jy.recorder(s); // Opus at 32 kbps (common.js)
        rec.ondataavailable = function (ev) { if (ev.data.size) chunks.push(ev.data); };
        rec.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          var long = Date.now() - started;
          var blob = new Blob(chunks, { type: rec.mimeType || "audio/webm" });
          rec = null;
          btn.textContent = gettext("按住说话");
          btn.setAttribute("aria-pressed", "false");
          if (long < 800) return; // a tap, not a recording
          var ext = /ogg/.test(blob.type) ? "ogg" : /mp4|aac/.test(blob.type) ? "m4a" : "webm";
          enqueue({ client_key: newKey(), kind: "voice", blob: blob, name: "voice." + ext });
        };
        started = Date.now();
        rec.start();
        btn.textContent = gettext("松开发送");
        btn.setAttribute("aria-pressed", "true");
        setTimeout(function () { if (rec && rec.state === "recording") rec.stop(); }, 60000);
      }).catch(function () {
        holding = false;
        sendError.textContent = gettext("无法使用麦克风，请在手机设置里允许。");
        sendError.hidden = false;
      });
    }
    function stop() { holding = false; if (rec && rec.state === "recording") rec.stop(); }
    btn.addEventListener("pointerdown", start);
    btn.addEventListener("pointerup", stop);
    btn.addEventListener("pointerleave", stop);
    btn.addEventListener("keydown", function (e) { if ((e.key === " " || e.key === "Enter") && !e.repeat) start(e); });
    btn.addEventListener("keyup", function (e) { if (e.key === " " || e.key === "Enter") stop(); });
  }

  // --- start ------------------------------------------------------------------------
  if (keep) {
    load("msgs", []).forEach(accept);
  }
  outbox.forEach(function (it, i) { it.kind = "text"; if (!it.order) it.order = i + 1; });
  // Photos and voice notes left from before a reload join the text, in order.
  idbDo("readonly", function (s) { return s.getAll(); })
    .then(function (items) {
      (items || []).forEach(function (it) {
        if (String(it.conversation) === String(convId)) outbox.push(it);
      });
    })
    .catch(function () {})
    .then(function () {
      outbox.sort(function (x, y) { return x.order - y.order; });
      outbox.forEach(function (it) { lastOrder = Math.max(lastOrder, it.order); });
      outbox.forEach(function (it) {
        var shown = log.querySelector('li[data-seq][data-key="' + cssEscape(it.client_key) + '"]');
        if (!shown) drawPending(it);
      });
      outboxReady = true;
      pump();
    });
  window.addEventListener("online", function () { attempt = 0; connect(); });
  window.addEventListener("offline", function () {
    setNet("offline");
    if (ws) ws.close(); // mobile networks rarely say goodbye; do not wait for the heartbeat
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { if (!ws) { attempt = 0; connect(); } else scheduleRead(); }
  });
  window.liaisonChat = { // for tests and the curious: the numbers this page holds
    lastSeq: function () { return lastSeq; },
    outbox: function () {
      return outbox.map(function (it) { return { client_key: it.client_key, kind: it.kind, order: it.order }; });
    },
    ready: function () { return outboxReady; },
    state: function () { return root.dataset.net; }
  };
  connect();
})();
