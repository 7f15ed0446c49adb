/* 好差评统计: score distribution and per-department rates (ECharts). Data comes from json_script. */
(function () {
  "use strict";
  function draw() {
    var src = document.getElementById("fb-chart-data");
    if (!src || typeof echarts === "undefined") { return; }
    var f = JSON.parse(src.textContent);
    var charts = [];
    var pie = document.getElementById("fb-distribution");
    if (pie) {
      var c1 = echarts.init(pie);
      c1.setOption({ tooltip: { trigger: "item" }, legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["35%", "65%"], data: f.distribution }] });
      charts.push(c1);
    }
    var bars = document.getElementById("fb-departments");
    if (bars) {
      var c2 = echarts.init(bars);
      c2.setOption({
        tooltip: { trigger: "axis" }, legend: { bottom: 0 },
        grid: { left: 40, right: 16, top: 16, bottom: 72 },
        xAxis: { type: "category", data: f.per_department.map(function (d) { return d.name; }), axisLabel: { rotate: 30 } },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: [
          { name: "满意率", type: "bar", data: f.per_department.map(function (d) { return d.satisfaction; }) },
          { name: "差评率", type: "bar", data: f.per_department.map(function (d) { return d.bad_rate; }) },
          { name: "评价率", type: "bar", data: f.per_department.map(function (d) { return d.rating_rate; }) }
        ]
      });
      charts.push(c2);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
