// Live countdowns to each acknowledgement deadline; no inline scripts (CSP).
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var body = document.body;
    var left = body.getAttribute("data-word-left") || "left";
    var overdue = body.getAttribute("data-word-overdue") || "overdue";
    var now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var s = Math.round((due - now) / 1000);
      var a = Math.abs(s);
      var text = Math.floor(a / 60) + ":" + pad(a % 60);
      el.textContent = s >= 0 ? text + " " + left : overdue + " " + text;
      el.classList.toggle("overdue", s < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 1000);
})();
