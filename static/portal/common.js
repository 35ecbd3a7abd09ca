/* 家园 shared script: what the forms (forms.js, voice.js) and the chat (chat.js) both do.
 *
 * One copy of each, so they cannot drift apart: ids (crypto.randomUUID with a
 * fallback), element helpers, the CSRF token, an IndexedDB store, photos
 * shrunk on the phone (JPEG, longest side 1600 px), voice recorded as Opus at
 * 32 kbps. A plain script (no module) so old phones run it; it sets up
 * window.jy once, and the scripts that need it are loaded after it.
 *
 * window.jy.outboxWaiting(n) keeps in localStorage how many form submissions
 * wait on this phone; site.js, on every page, loads the forms' code only when
 * that number is not 0, so pages without a form do not carry it.
 */
(function () {
  "use strict";
  if (window.jy) return;

  var PHOTO_SIDE = 1600;
  var PHOTO_QUALITY = 0.8;
  var VOICE_BITS = 32000;
  var VOICE_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/mp4"];
  var WAITING = "jy:outbox";

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* An element; text goes in with textContent, never as HTML. */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null && text !== "") e.textContent = text;
    return e;
  }

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  function csrfToken(form) {
    var field = form && form.querySelector("[name=csrfmiddlewaretoken]");
    return cookie("csrftoken") || (field ? field.value : "");
  }

  /* An IndexedDB object store: store(db, name, {keyPath, autoIncrement}).tx(mode, fn)
   * runs fn(objectStore) in one transaction and resolves with its request's result. */
  function store(dbName, storeName, options) {
    var opening = null;
    function open() {
      if (!window.indexedDB) return Promise.reject(new Error("no indexedDB"));
      if (!opening) {
        opening = new Promise(function (resolve, reject) {
          var req = indexedDB.open(dbName, 1);
          req.onupgradeneeded = function () {
            if (!req.result.objectStoreNames.contains(storeName)) req.result.createObjectStore(storeName, options);
          };
          req.onsuccess = function () { resolve(req.result); };
          req.onerror = function () { opening = null; reject(req.error); };
        });
      }
      return opening;
    }
    return {
      tx: function (mode, fn) {
        return open().then(function (d) {
          return new Promise(function (resolve, reject) {
            var x = d.transaction(storeName, mode);
            var out = fn(x.objectStore(storeName));
            x.oncomplete = function () { resolve(out && "result" in out ? out.result : undefined); };
            x.onerror = x.onabort = function () { reject(x.error); };
          });
        });
      }
    };
  }

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return decodeWithImg(file);
      });
    }
    return decodeWithImg(file);
  }

  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { resolve(img); setTimeout(function () { URL.revokeObjectURL(url); }, 0); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url; // browsers apply EXIF orientation to <img> (image-orientation: from-image)
    });
  }

  /* A File: JPEG, longest side at most 1600 px, EXIF (GPS) gone because the
   * canvas does not carry it. A file the browser cannot decode (HEIC on
   * Android) is sent as it is: the server checks and converts it. */
  function shrink(file) {
    return decode(file).then(function (src) {
      var w = src.width || src.naturalWidth, h = src.height || src.naturalHeight;
      var scale = Math.min(1, PHOTO_SIDE / Math.max(w, h));
      var cw = Math.max(1, Math.round(w * scale)), ch = Math.max(1, Math.round(h * scale));
      var canvas = document.createElement("canvas");
      canvas.width = cw;
      canvas.height = ch;
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // transparent PNGs become white, not black
      ctx.fillRect(0, 0, cw, ch);
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(src, 0, 0, cw, ch);
      if (src.close) src.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          canvas.width = canvas.height = 0; // free the bitmap memory at once on small phones
          if (!blob) { resolve(file); return; }
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", PHOTO_QUALITY);
      });
    }).catch(function () { return file; });
  }

  /* The best recording type this browser has: Opus first (Chrome, Firefox,
   * Android), AAC in MP4 otherwise (Safari); "" when it cannot say. */
  function voiceType() {
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return "";
    for (var i = 0; i < VOICE_TYPES.length; i++) if (MediaRecorder.isTypeSupported(VOICE_TYPES[i])) return VOICE_TYPES[i];
    return "";
  }

  /* A MediaRecorder for speech: 32 kbps is plenty for a voice and a minute is ~240 KB. */
  function recorder(stream) {
    var type = voiceType();
    var options = { audioBitsPerSecond: VOICE_BITS };
    if (type) options.mimeType = type;
    try { return new MediaRecorder(stream, options); } catch (e) { return new MediaRecorder(stream); }
  }

  function outboxWaiting(n) {
    try {
      if (n) localStorage.setItem(WAITING, String(n));
      else localStorage.removeItem(WAITING);
    } catch (e) { /* private mode: the page with the form still sends it */ }
  }

  window.jy = {
    uuid: uuid, el: el, cookie: cookie, csrfToken: csrfToken, store: store,
    shrink: shrink, voiceType: voiceType, recorder: recorder, outboxWaiting: outboxWaiting,
    PHOTO_SIDE: PHOTO_SIDE, VOICE_BITS: VOICE_BITS
  };
})();
