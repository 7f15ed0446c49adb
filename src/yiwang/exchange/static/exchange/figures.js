/* 数据共享统计: calls per day per consumer (ECharts). Data comes from the json_script block. */
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("calls-chart");
    var src = document.getElementById("exchange-figures");
    if (!el || !src || typeof echarts === "undefined") { return; }
    var f = JSON.parse(src.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 40, right: 16, top: 16, bottom: 48 },
      xAxis: { type: "category", data: f.days.map(function (d) { return d.slice(5); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: f.calls_per_day.map(function (s) { return { name: s.name, type: "line", stack: "calls", areaStyle: {}, data: s.data }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
