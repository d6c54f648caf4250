// Counts reporting clocks down live: every <time datetime=…> inside an
// element with class "clock" shows the time left (or overdue) to its due
// moment, refreshed each second. Static file: the CSP allows no inline script.
(function () {
  "use strict";
  var els = document.querySelectorAll("time[data-clock]");
  if (!els.length) { return; }
  var zh = (document.documentElement.lang || "zh").indexOf("zh") === 0;
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60), sec = s % 60;
    var t = (d ? d + (zh ? "天" : "d ") : "") + (d || h ? h + (zh ? "时" : "h ") : "") + m + (zh ? "分" : "m ") + sec + (zh ? "秒" : "s");
    if (ms < 0) { return zh ? "已超时 " + t : "overdue " + t; }
    return zh ? "剩余 " + t : t + " left";
  }
  function tick() {
    var now = Date.now();
    els.forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var out = el.querySelector(".left") || el;
      out.textContent = fmt(due - now);
      el.classList.toggle("overdue", due < now);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
