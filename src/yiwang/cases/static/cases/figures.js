/* 办件统计: days used versus promised per department, waiting versus working time per step, material
   sources (ECharts). Data comes from the json_script block. */
(function () {
  "use strict";
  function draw() {
    var src = document.getElementById("cf-chart-data");
    if (!src || typeof echarts === "undefined") { return; }
    var f = JSON.parse(src.textContent);
    var charts = [];
    function make(id, option) {
      var el = document.getElementById(id);
      if (!el) { return; }
      var c = echarts.init(el);
      c.setOption(option);
      charts.push(c);
    }
    make("cf-departments", {
      tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 40, right: 16, top: 16, bottom: 72 },
      xAxis: { type: "category", data: f.departments.map(function (d) { return d.name; }), axisLabel: { rotate: 30 } },
      yAxis: { type: "value", name: "工作日" },
      series: [
        { name: "实际用时", type: "bar", data: f.departments.map(function (d) { return d.used; }) },
        { name: "承诺时限", type: "bar", data: f.departments.map(function (d) { return d.promised; }) }
      ]
    });
    make("cf-steps", {
      tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 160, right: 16, top: 16, bottom: 40 },
      yAxis: { type: "category", data: f.steps.map(function (s) { return s.name; }) },
      xAxis: { type: "value", name: "小时" },
      series: [
        { name: "等待", type: "bar", stack: "t", data: f.steps.map(function (s) { return s.wait; }) },
        { name: "办理", type: "bar", stack: "t", data: f.steps.map(function (s) { return s.work; }) }
      ]
    });
    make("cf-materials", { tooltip: { trigger: "item" }, legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], data: f.materials }] });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
