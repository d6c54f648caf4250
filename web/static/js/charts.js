// Draws the overview's ECharts bar charts from the JSON the server embedded
// in #chart-data. Loaded only when the page has charts; no inline scripts.
(function () {
  "use strict";
  var src = document.getElementById("chart-data");
  if (!src || typeof echarts === "undefined") { return; }
  var data;
  try { data = JSON.parse(src.textContent); } catch (e) { return; }
  var charts = [];
  document.querySelectorAll(".chart[data-series]").forEach(function (el) {
    var items = data[el.getAttribute("data-series")] || [];
    if (!items.length) { return; }
    // Height follows the number of bars so two bars do not fill a tall box.
    el.style.height = Math.max(140, Math.min(480, 36 * items.length + 50)) + "px";
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef1f5" } } },
      yAxis: {
        type: "category", inverse: true,
        data: items.map(function (i) { return i.name; }),
        axisLabel: { width: 150, overflow: "truncate", color: "#3c4858" }
      },
      series: [{
        name: el.getAttribute("data-label") || "",
        type: "bar", barMaxWidth: 18,
        itemStyle: { color: "#1a5296" },
        label: { show: true, position: "right", color: "#3c4858" },
        data: items.map(function (i) { return i.value; })
      }]
    });
    charts.push(chart);
    el.setAttribute("data-ready", "1");
  });
  // Time series: one stacked bar series per level, days along the x axis.
  var levelColours = { particularly_major: "#b71c1c", major: "#e65100", larger: "#f9a825", general: "#1565c0" };
  document.querySelectorAll(".chart[data-timeseries]").forEach(function (el) {
    var ts = data[el.getAttribute("data-timeseries")];
    if (!ts || !ts.days) { return; }
    el.style.height = "260px";
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      xAxis: { type: "category", data: ts.days, axisLabel: { color: "#3c4858" } },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef1f5" } } },
      series: (ts.series || []).map(function (s) {
        return { name: s.name, type: "bar", stack: "total", barMaxWidth: 18,
          itemStyle: { color: levelColours[s.level] || "#1a5296" }, data: s.values };
      })
    });
    charts.push(chart);
    el.setAttribute("data-ready", "1");
  });
  if (charts.length) {
    document.body.classList.add("js-charts");
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
})();
