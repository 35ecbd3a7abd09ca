/* 家园 voice notes: "hold to talk" for people who cannot type.
 *
 * <div data-jy-voice data-name="voice" data-max-seconds="60"></div> inside a
 * <form data-jy-form> becomes a big button: press and hold to record, let go
 * to stop. The recording can be played back and recorded again; forms.js
 * sends it as the field named by data-name (the element keeps it in
 * el.jyBlob). Recorded with MediaRecorder, Opus in WebM where the browser can
 * (Chrome, Firefox, Android), AAC in MP4 otherwise (Safari); the server
 * recognises the file by its bytes and checks its length
 * (portal.uploads.clean_voice).
 */
(function () {
  "use strict";
  if (window.jyVoice || !window.jy) return; // included twice: set up once; common.js comes first
  window.jyVoice = true;
  var el = window.jy.el;

  // Words from Django's JavaScript catalogue (/jsi18n/, loaded by base.html first).
  var gettext = window.gettext || function (s) { return s; };
  var EXT = { "audio/webm": "webm", "audio/mp4": "m4a", "audio/ogg": "ogg" };

  function mmss(s) {
    s = Math.max(0, Math.round(s));
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }

  function setUp(box) {
    if (box.jyReady) return;
    box.jyReady = true;
    var max = parseInt(box.getAttribute("data-max-seconds"), 10) || 60;
    box.classList.add("jy-voice");

    var talk = el("button", "btn primary block jy-talk", gettext("按住说话"));
    talk.type = "button";
    var status = el("p", "jy-voice-status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var done = el("div", "jy-voice-done");
    done.hidden = true;
    var audio = el("audio");
    audio.controls = true;
    audio.preload = "metadata";
    var length = el("span", "jy-voice-length");
    var again = el("button", "btn jy-again", gettext("重录"));
    again.type = "button";
    done.appendChild(audio);
    done.appendChild(length);
    done.appendChild(again);
    box.appendChild(talk);
    box.appendChild(status);
    box.appendChild(done);

    if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      talk.disabled = true;
      status.textContent = gettext("这个浏览器不能录音，请打字说明");
      return;
    }

    var recorder = null, stream = null, chunks = [], started = 0, timer = null;
    var holding = false, url = null;

    function stopTracks() {
      if (stream) stream.getTracks().forEach(function (tr) { tr.stop(); });
      stream = null;
    }

    function reset() {
      if (url) URL.revokeObjectURL(url);
      url = null;
      box.jyBlob = null;
      box.jyFilename = null;
      audio.removeAttribute("src");
      done.hidden = true;
      talk.hidden = false;
      status.textContent = "";
    }
    box.jyReset = reset;

    function tick() {
      var s = (Date.now() - started) / 1000;
      status.textContent = gettext("正在录音 ") + mmss(s) + " / " + mmss(max);
      if (s >= max) stop();
    }

    function start(e) {
      if (e) e.preventDefault();
      if (holding) return;
      holding = true;
      talk.classList.add("jy-recording");
      talk.textContent = gettext("松开结束");
      status.textContent = gettext("正在打开麦克风…");
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (s) {
        stream = s;
        if (!holding) { stopTracks(); status.textContent = gettext("请按住按钮不放，说完再松开"); return; }
        recorder = window.jy.recorder(s); // Opus at 32 kbps where the browser has it (common.js)
        chunks = [];
        recorder.ondataavailable = function (ev) { if (ev.data && ev.data.size) chunks.push(ev.data); };
        recorder.onstop = finish;
        recorder.start(1000);
        started = Date.now();
        tick();
        timer = setInterval(tick, 250);
      }, function (err) {
        holding = false;
        talk.classList.remove("jy-recording");
        talk.textContent = gettext("按住说话");
        status.textContent = (err && (err.name === "NotAllowedError" || err.name === "SecurityError"))
          ? gettext("没有得到麦克风权限，请在浏览器设置里允许，或者打字说明")
          : gettext("找不到麦克风，请打字说明");
      });
    }

    function stop(e) {
      if (e) e.preventDefault();
      if (!holding) return;
      holding = false;
      clearInterval(timer);
      talk.classList.remove("jy-recording");
      talk.textContent = gettext("按住说话");
      if (recorder && recorder.state !== "inactive") recorder.stop();
    }

    function finish() {
      stopTracks();
      var seconds = (Date.now() - started) / 1000;
      var type = (recorder.mimeType || chunks[0] && chunks[0].type || "audio/webm").split(";")[0];
      recorder = null;
      if (seconds < 0.8 || !chunks.length) {
        status.textContent = gettext("太短了，请按住按钮不放，说完再松开");
        return;
      }
      var blob = new Blob(chunks, { type: type });
      chunks = [];
      box.jyBlob = blob;
      box.jyFilename = "voice." + (EXT[type] || "webm");
      box.jySeconds = Math.min(seconds, max);
      url = URL.createObjectURL(blob);
      audio.src = url;
      length.textContent = gettext("录音 ") + mmss(box.jySeconds);
      done.hidden = false;
      talk.hidden = true;
      status.textContent = gettext("已录好，可以听一遍再发送");
      box.dispatchEvent(new CustomEvent("jy:voice", { bubbles: true, detail: { seconds: box.jySeconds } }));
    }

    talk.addEventListener("pointerdown", function (e) {
      if (e.button && e.button !== 0) return;
      if (talk.setPointerCapture) { try { talk.setPointerCapture(e.pointerId); } catch (err) { /* ignore */ } }
      start(e);
    });
    talk.addEventListener("pointerup", stop);
    talk.addEventListener("pointercancel", stop);
    talk.addEventListener("contextmenu", function (e) { e.preventDefault(); }); // Android long-press menu
    // The keyboard too: hold Space or Enter.
    talk.addEventListener("keydown", function (e) {
      if ((e.key === " " || e.key === "Enter") && !e.repeat) start(e);
    });
    talk.addEventListener("keyup", function (e) {
      if (e.key === " " || e.key === "Enter") stop(e);
    });
    talk.addEventListener("click", function (e) { e.preventDefault(); });
    again.addEventListener("click", function () { reset(); talk.focus(); });
  }

  function startAll() { document.querySelectorAll("[data-jy-voice]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", startAll);
  else startAll();
})();
