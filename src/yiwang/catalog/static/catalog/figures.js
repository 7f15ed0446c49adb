/* Catalogue figures: ECharts from the JSON embedded by the page (no inline script; CSP). */
(function () {
  "use strict";
  var node = document.getElementById("catalog-chart-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var big = document.body.classList.contains("elderly");
  var font = big ? 18 : 12;
  function bar(id, rows, horizontal) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var names = rows.map(function (r) { return r[0]; });
    var values = rows.map(function (r) { return r[1]; });
    var chart = echarts.init(el);
    var cat = { type: "category", data: names, axisLabel: { fontSize: font, interval: 0, rotate: horizontal ? 0 : 40 } };
    var val = { type: "value", axisLabel: { fontSize: font }, minInterval: 1 };
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: horizontal ? 110 : 40, right: 20, top: 20, bottom: horizontal ? 30 : 90 },
      xAxis: horizontal ? val : cat,
      yAxis: horizontal ? Object.assign({}, cat, { inverse: true }) : val,
      series: [{ type: "bar", data: values, itemStyle: { color: "#b71c1c" }, label: { show: true, position: horizontal ? "right" : "top", fontSize: font } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function pie(id, rows) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { fontSize: font },
                 data: rows.map(function (r) { return { name: r[0], value: r[1] }; }) }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var narrow = window.innerWidth < 640;
  bar("chart-departments", data.departments.slice(0, 30), narrow);
  pie("chart-types", data.types);
  bar("chart-visits", data.visits, false);
})();
