// The practice phone: speaks the line's new prompts with the browser's speech synthesis, in the
// language the line used (the IVR's <Say language>). No inline scripts (CSP); works without JS.
(function () {
  "use strict";
  var KEY = "hotline.training.speak";
  function speakNew() {
    var box = document.getElementById("speak");
    if (box) {
      box.checked = window.localStorage.getItem(KEY) !== "off";
      box.addEventListener("change", function () {
        window.localStorage.setItem(KEY, box.checked ? "on" : "off");
        if (!box.checked && window.speechSynthesis) { window.speechSynthesis.cancel(); }
      });
    }
    if (!window.speechSynthesis || (box && !box.checked)) { return; }
    document.querySelectorAll("[data-speak]").forEach(function (el) {
      var said = new SpeechSynthesisUtterance(el.textContent.replace(/^\s*1503\s*/, ""));
      said.lang = el.getAttribute("data-speak") || document.documentElement.lang;
      window.speechSynthesis.speak(said);
    });
  }
  document.addEventListener("DOMContentLoaded", speakNew);
})();
