/* 通知: read aloud (where the phone has a Chinese voice) and print buttons. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
  var buttons = document.querySelectorAll("[data-speak]");
  if (!buttons.length || !("speechSynthesis" in window) || !window.SpeechSynthesisUtterance) return;
  var synth = window.speechSynthesis;
  function chineseVoice() {
    var voices = synth.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      var lang = (voices[i].lang || "").toLowerCase().replace("_", "-");
      if (lang.indexOf("zh") === 0 || lang.indexOf("cmn") === 0) return voices[i];
    }
    return null;
  }
  function setup() {
    var voice = chineseVoice();
    if (!voice) return false;
    buttons.forEach(function (b) {
      var label = b.textContent;
      b.hidden = false;
      b.addEventListener("click", function () {
        if (synth.speaking) { synth.cancel(); b.textContent = label; return; }
        var target = document.querySelector(b.getAttribute("data-speak"));
        if (!target) return;
        var u = new SpeechSynthesisUtterance(target.innerText);
        u.lang = "zh-CN"; u.voice = voice; u.rate = 0.85;
        u.onend = u.onerror = function () { b.textContent = label; };
        b.textContent = b.getAttribute("data-stop") || "■";
        synth.speak(u);
      });
    });
    return true;
  }
  // Voices load late on Android: try now, and again when they arrive.
  if (!setup() && "onvoiceschanged" in synth) {
    synth.addEventListener("voiceschanged", function once() {
      if (setup()) synth.removeEventListener("voiceschanged", once);
    });
  }
})();
