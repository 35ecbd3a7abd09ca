/* 家园 forms: photos shrunk on the phone, one key per report, nothing lost offline.
 *
 * Progressive enhancement for every <form data-jy-form>. Without this script
 * the form posts normally (with the original photos, which the server shrinks).
 *
 * Server contract (see portal/uploads.py and portal/forms_json.py):
 *   request   POST multipart/form-data to form.action, headers
 *             "Accept: application/json" and "X-CSRFToken"; fields as in the
 *             form, photos as several "photos" files (JPEG, longest side
 *             1600 px), a recording as "voice", and "client_key": a UUID made
 *             once per filled-in form, the same on a double tap, a retry or a
 *             submission queued offline and sent later.
 *   success   200 {"ok": true, "url": "/next/"}  -> the page goes to url
 *   refused   4xx {"ok": false, "errors": {"field": ["msg"]}, "message": "..."}
 *             -> messages shown next to the fields ("__all__" on top)
 *   The view answers with portal.forms_json.json_or_redirect; storing a
 *   client_key once is the job of the app's service.
 *
 * Markup:
 *   <form method="post" enctype="multipart/form-data" data-jy-form>
 *     {% csrf_token %} <input type="hidden" name="client_key">
 *     <input type="file" name="photos" accept="image/*" multiple data-jy-photos="6">
 *     <div data-jy-voice data-name="voice" data-max-seconds="60"></div>  (voice.js)
 *   Optional: data-jy-offline="off" on a form that must not be queued
 *   (e.g. one that only makes sense online); [data-jy-outbox] anywhere shows
 *   how many submissions wait on this phone.
 *
 * Offline: when the network is down (or fetch fails without an answer), the
 * whole submission (fields, shrunk photos, recording) goes into IndexedDB
 * ("jiayuan" / "outbox") and is sent, oldest first, on the "online" event and
 * on every page load that includes this script. When the form that saved it is
 * still on the page, its status (next to the submit button, aria-live) says it
 * was sent and, for a single submission, the page goes where the server says
 * (the new case); otherwise a note on top of the page says how many were sent.
 */
(function () {
  "use strict";
  if (window.jyForms) return; // included twice (base.html and a page): set up once

  if (!window.jy) return; // common.js comes first (templates/portal/_form_scripts.html)
  var DB_NAME = "jiayuan";
  var STORE = "outbox";
  // Words from Django's JavaScript catalogue (/jsi18n/, loaded first by base.html);
  // without it (an old cached page, no network) the Chinese source text.
  var gettext = window.gettext || function (s) { return s; };
  function fmt(text, n) { return text.replace("%s", n); }

  var TEXT = {
    sending: gettext("正在发送…"),
    shrinking: gettext("正在处理照片…"),
    saved: gettext("没有网络，已保存在手机上，有网时自动发送"),
    waiting: function (n) { return fmt(gettext("%s 条内容等待发送"), n); },
    sentLater: function (n) { return fmt(gettext("已发送 %s 条之前保存的内容"), n); },
    sentNow: gettext("有网络了，已经发送成功，正在打开…"),
    refusedLater: gettext("一条保存的内容没有被接受："),
    tooMany: function (n) { return fmt(gettext("最多 %s 张照片，多出的没有加上"), n); },
    failed: function (code) { return fmt(gettext("发送失败（%s），请稍后再试"), code); },
    check: gettext("请检查标红的地方"),
    remove: gettext("删除这张照片"),
    notPhoto: gettext("这个文件不是照片"),
    signIn: gettext("请先登录再发送"),
    offline: gettext("没有网络")
  };


  // --- small helpers (the shared ones are in common.js) -------------------------

  var jy = window.jy;
  var uuid = jy.uuid, el = jy.el, csrfToken = jy.csrfToken, shrink = jy.shrink;

  function statusBox(form) {
    var box = form.querySelector(".jy-status");
    if (!box) {
      box = el("p", "jy-status");
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      var submit = form.querySelector("[type=submit], button:not([type=button])");
      if (submit && submit.parentNode) submit.parentNode.insertBefore(box, submit);
      else form.appendChild(box);
    }
    return box;
  }

  function say(form, text, kind) {
    var box = statusBox(form);
    box.textContent = text || "";
    box.className = "jy-status" + (kind ? " jy-" + kind : "");
    box.hidden = !text;
  }

  /* Each photo input keeps its own list of shrunk files; the user can add
   * photos in several goes (elderly people often pick one at a time). */
  function setUpPhotos(form, input) {
    var max = parseInt(input.getAttribute("data-jy-photos"), 10) || 6;
    var list = el("ul", "jy-previews");
    list.setAttribute("aria-label", gettext("已选照片"));
    input.parentNode.insertBefore(list, input.nextSibling);
    input.jyFiles = [];
    input.jyPending = Promise.resolve();

    function render() {
      list.textContent = "";
      input.jyFiles.forEach(function (f, i) {
        var li = el("li", "jy-preview");
        var img = el("img");
        img.alt = fmt(gettext("照片 %s"), i + 1);
        img.src = URL.createObjectURL(f);
        img.onload = function () { URL.revokeObjectURL(img.src); };
        var rm = el("button", "jy-remove", "×");
        rm.type = "button";
        rm.setAttribute("aria-label", TEXT.remove + " " + (i + 1));
        rm.addEventListener("click", function () {
          input.jyFiles.splice(i, 1);
          render();
        });
        li.appendChild(img);
        li.appendChild(rm);
        list.appendChild(li);
      });
      input.required = input.hasAttribute("data-jy-required") && !input.jyFiles.length;
    }

    if (input.required) input.setAttribute("data-jy-required", "");
    input.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(input.files || []);
      input.value = ""; // the shrunk copies are sent instead; the same photo can be chosen again
      var room = max - input.jyFiles.length;
      if (chosen.length > room) {
        say(form, TEXT.tooMany(max), "error");
        chosen = chosen.slice(0, Math.max(0, room));
      } else {
        say(form, "");
      }
      var images = chosen.filter(function (f) { return !f.type || f.type.indexOf("image/") === 0 || /\.(heic|heif)$/i.test(f.name); });
      if (images.length < chosen.length) say(form, TEXT.notPhoto, "error");
      if (!images.length) return;
      form.classList.add("jy-busy");
      input.jyPending = input.jyPending.then(function () {
        return images.reduce(function (p, f) {
          // one at a time: a cheap phone has no memory for six 12-MP bitmaps at once
          return p.then(function () { return shrink(f); }).then(function (small) {
            if (input.jyFiles.length < max) input.jyFiles.push(small);
            render();
          });
        }, Promise.resolve());
      }).then(function () { form.classList.remove("jy-busy"); });
    });
  }

  // --- building what is sent ---------------------------------------------------

  function clientKey(form) {
    var field = form.querySelector("[name=client_key]");
    if (!field) {
      field = el("input");
      field.type = "hidden";
      field.name = "client_key";
      form.appendChild(field);
    }
    if (!field.value) field.value = uuid();
    return field;
  }

  /* The submission as a plain list of [name, value, filename] so it can be
   * stored in IndexedDB (Blobs are stored as they are) and sent again later. */
  function collect(form, submitter) {
    var fd = new FormData(form);
    if (submitter && submitter.name) fd.append(submitter.name, submitter.value || "");
    var entries = [];
    var photoNames = {};
    form.querySelectorAll("input[type=file][data-jy-photos]").forEach(function (input) {
      photoNames[input.name] = input;
    });
    fd.forEach(function (value, name) {
      if (photoNames[name]) return; // the shrunk copies below replace the input's own files
      if (typeof value === "string") entries.push([name, value]);
      else if (value && value.size) entries.push([name, value, value.name]);
    });
    Object.keys(photoNames).forEach(function (name) {
      photoNames[name].jyFiles.forEach(function (f) { entries.push([name, f, f.name]); });
    });
    form.querySelectorAll("[data-jy-voice]").forEach(function (v) {
      if (v.jyBlob) entries.push([v.getAttribute("data-name") || "voice", v.jyBlob, v.jyFilename || "voice.webm"]);
    });
    return entries;
  }

  function toFormData(entries) {
    var fd = new FormData();
    entries.forEach(function (e) {
      if (e.length > 2) fd.append(e[0], e[1], e[2]);
      else fd.append(e[0], e[1]);
    });
    return fd;
  }

  function send(url, entries, token) {
    entries = entries.map(function (e) { return e[0] === "csrfmiddlewaretoken" && token ? [e[0], token] : e; });
    return fetch(url, {
      method: "POST",
      body: toFormData(entries),
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": token, "X-Requested-With": "fetch" }
    });
  }

  function readJson(res) {
    var type = res.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) return Promise.resolve(null);
    return res.json().catch(function () { return null; });
  }

  // --- showing errors next to the fields ----------------------------------------

  function clearErrors(form) {
    form.querySelectorAll(".jy-errors").forEach(function (e) { e.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
  }

  function showErrors(form, body) {
    clearErrors(form);
    var errors = (body && body.errors) || {};
    var first = null;
    Object.keys(errors).forEach(function (name) {
      var ul = el("ul", "errorlist jy-errors");
      ul.setAttribute("role", "alert");
      errors[name].forEach(function (m) { ul.appendChild(el("li", "", m)); });
      var field = name === "__all__" ? null : form.querySelector("[name='" + name.replace(/'/g, "") + "']");
      if (!field && name !== "__all__") field = form.querySelector("[data-name='" + name.replace(/'/g, "") + "']");
      if (field) {
        field.setAttribute("aria-invalid", "true");
        var after = field;
        if (field.type === "file" && field.nextSibling && field.nextSibling.classList &&
            field.nextSibling.classList.contains("jy-previews")) after = field.nextSibling;
        after.parentNode.insertBefore(ul, after.nextSibling);
        if (!first) first = field;
      } else {
        form.insertBefore(ul, form.firstChild);
      }
    });
    say(form, (body && body.message) || TEXT.check, "error");
    if (first && first.focus && first.type !== "hidden") first.focus();
  }

  // --- the outbox in IndexedDB --------------------------------------------------

  var outbox = jy.store(DB_NAME, STORE, { keyPath: "id", autoIncrement: true });
  function tx(mode, fn) { return outbox.tx(mode, fn); }

  function enqueue(url, entries) {
    return tx("readwrite", function (s) {
      return s.add({ url: url, entries: entries, created: Date.now(), page: location.pathname });
    });
  }

  function queued() { return tx("readonly", function (s) { return s.getAll(); }); }

  // Which form on this page saved which queued item: when it is sent, the news goes
  // to that form's status (where she is looking), not to a banner off-screen.
  var savedBy = {};
  function formFor(item) {
    if (savedBy[item.id]) return savedBy[item.id];
    if (item.page !== location.pathname) return null;
    var target = new URL(item.url, location.href).pathname;
    return Array.prototype.find.call(document.querySelectorAll("form[data-jy-form]"), function (f) {
      return new URL(f.getAttribute("action") || location.href, location.href).pathname === target;
    }) || null;
  }
  function dequeue(id) { return tx("readwrite", function (s) { return s.delete(id); }); }

  function showCount() {
    return queued().then(function (items) {
      var n = items.length;
      jy.outboxWaiting(n); // site.js loads this script on any page while n > 0
      var spots = document.querySelectorAll("[data-jy-outbox]");
      if (!spots.length && n) {
        var main = document.querySelector("main") || document.body;
        var banner = el("p", "jy-outbox msg");
        banner.setAttribute("data-jy-outbox", "");
        banner.setAttribute("role", "status");
        main.insertBefore(banner, main.firstChild);
        spots = [banner];
      }
      Array.prototype.forEach.call(spots, function (s) {
        s.textContent = n ? TEXT.waiting(n) : "";
        s.hidden = !n;
      });
      return n;
    }).catch(function () { return 0; });
  }

  function notice(text, kind) {
    var main = document.querySelector("main") || document.body;
    var p = el("p", "msg jy-notice" + (kind === "error" ? " msg-error" : ""), text);
    p.setAttribute("role", kind === "error" ? "alert" : "status");
    main.insertBefore(p, main.firstChild);
  }

  var flushing = null;
  /* Send what waits, oldest first. Stops at the first network failure (the
   * rest keep their order for next time). A 2xx or a refusal (400-422) takes
   * the item out; anything else (403 after signing out, 5xx) keeps it. */
  function flush() {
    if (flushing) return flushing;
    if (navigator.onLine === false) return showCount();
    flushing = queued().then(function (items) {
      var sent = 0;
      var arrived = []; // {form, url} of the items a form on this page had saved
      return items.reduce(function (p, item) {
        return p.then(function (go) {
          if (!go) return false;
          return send(item.url, item.entries, csrfToken(null)).then(function (res) {
            if (res.ok) {
              sent++;
              return readJson(res).then(function (body) {
                var form = formFor(item);
                if (form) arrived.push({ form: form, url: body && body.ok && body.url });
                return dequeue(item.id);
              }).then(function () { return true; });
            }
            if (res.status >= 400 && res.status <= 422 && res.status !== 403 && res.status !== 401) {
              return readJson(res).then(function (body) {
                var why = TEXT.refusedLater + ((body && body.message) || res.status);
                var form = formFor(item);
                if (form) say(form, why, "error"); // where she is looking, too
                notice(why, "error");
                return dequeue(item.id).then(function () { return true; });
              });
            }
            if (res.status === 403 || res.status === 401) notice(TEXT.signIn, "error");
            return false;
          }, function () { return false; });
        });
      }, Promise.resolve(true)).then(function () {
        if (arrived.length === 1 && arrived[0].url) {
          // Her one report arrived: say so by the button, then show her the case.
          say(arrived[0].form, TEXT.sentNow, "ok");
          arrived[0].form.jyDone = true;
          setTimeout(function () { location.assign(arrived[0].url); }, 600);
        } else if (arrived.length) {
          arrived.forEach(function (a) { say(a.form, TEXT.sentLater(arrived.length), "ok"); });
        }
        if (sent > arrived.length) notice(TEXT.sentLater(sent - arrived.length));
        document.dispatchEvent(new CustomEvent("jy:outbox-sent", { detail: { sent: sent } }));
      });
    }).catch(function () {}).then(function () {
      flushing = null;
      return showCount();
    });
    return flushing;
  }

  // --- the form ------------------------------------------------------------------

  function resetForm(form) {
    form.reset();
    var key = form.querySelector("[name=client_key]");
    if (key) key.value = "";
    form.querySelectorAll("input[type=file][data-jy-photos]").forEach(function (i) {
      i.jyFiles = [];
      var list = i.nextSibling;
      if (list && list.classList && list.classList.contains("jy-previews")) list.textContent = "";
    });
    form.querySelectorAll("[data-jy-voice]").forEach(function (v) {
      if (v.jyReset) v.jyReset();
    });
  }

  function buttons(form, disabled) {
    form.querySelectorAll("[type=submit], button:not([type=button])").forEach(function (b) {
      b.disabled = disabled;
    });
  }

  function setUpForm(form) {
    if (form.jyReady) return;
    form.jyReady = true;
    form.querySelectorAll("input[type=file][data-jy-photos]").forEach(function (input) {
      setUpPhotos(form, input);
    });
    // A key as soon as the person starts filling in, kept until the form is sent.
    form.addEventListener("input", function () { clientKey(form); });

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (form.jyBusy) return; // a double tap: the first one is on its way
      form.jyBusy = true;
      clientKey(form);
      buttons(form, true);
      clearErrors(form);
      say(form, TEXT.shrinking);
      var submitter = e.submitter;
      var url = form.getAttribute("action") || location.pathname + location.search;
      var pending = Array.prototype.map.call(form.querySelectorAll("input[type=file][data-jy-photos]"), function (i) { return i.jyPending; });

      Promise.all(pending).then(function () {
        var entries = collect(form, submitter);
        var offlineOk = form.getAttribute("data-jy-offline") !== "off";
        function keep() {
          if (!offlineOk) { say(form, TEXT.failed(TEXT.offline), "error"); return; }
          return enqueue(url, entries).then(function (id) {
            savedBy[id] = form;
            resetForm(form);
            say(form, TEXT.saved, "ok");
            showCount();
          }, function () {
            say(form, TEXT.failed(TEXT.offline), "error");
          });
        }
        if (navigator.onLine === false) return keep();
        say(form, TEXT.sending);
        return send(url, entries, csrfToken(form)).then(function (res) {
          return readJson(res).then(function (body) {
            if (res.ok && body && body.ok) {
              say(form, "");
              form.jyDone = true;
              if (body.url) location.assign(body.url);
              else { resetForm(form); }
              return;
            }
            if (res.ok && !body) { // a view that does not speak JSON yet: follow it
              location.assign(res.url);
              return;
            }
            if (body && body.ok === false) { showErrors(form, body); return; }
            say(form, res.status === 403 ? TEXT.signIn : TEXT.failed(res.status), "error");
          });
        }, keep);
      }).then(function () {
        form.jyBusy = false;
        if (!form.jyDone) buttons(form, false);
      });
    });
  }

  function start() {
    document.querySelectorAll("form[data-jy-form]").forEach(setUpForm);
    flush();
  }

  window.addEventListener("online", flush);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  window.jyForms = { flush: flush, queued: queued, shrink: shrink, uuid: uuid };
})();
