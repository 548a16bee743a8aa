/* The dashboard's charts: data from the page's JSON block, drawn with the vendored ECharts. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var font = '"Noto Sans CJK SC", "Noto Sans SC", sans-serif';
  var palette = ["#1d4b8f", "#c98a00", "#a61b1b", "#136b3a", "#6b7c93", "#4f7cc0", "#8a5300"];
  var base = { color: palette, textStyle: { fontFamily: font, fontSize: 12 }, animation: false,
    grid: { left: 56, right: 16, top: 30, bottom: 28 }, tooltip: { trigger: "axis" } };
  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var c = window.echarts.init(el, null, { renderer: "canvas" });
    c.setOption(Object.assign({}, base, option));
    window.addEventListener("resize", function () { c.resize(); });
  }
  function bars(rows, name) {
    rows = rows.slice().sort(function (a, b) { return b[1] - a[1]; });
    return {
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r[0]; }) },
      grid: { left: 120, right: 24, top: 10, bottom: 24 },
      series: [{ type: "bar", name: name, data: rows.map(function (r) { return r[1]; }), barMaxWidth: 18 }]
    };
  }
  chart("chart-month", {
    legend: { top: 0, right: 0 },
    xAxis: { type: "category", data: data.months.map(function (m) { return m.slice(5); }) },
    yAxis: [{ type: "value" }, { type: "value", minInterval: 1, splitLine: { show: false } }],
    series: [
      { type: "bar", name: data.labels.individuals, stack: "n", data: data.individuals, barMaxWidth: 22 },
      { type: "bar", name: data.labels.sensitive, stack: "n", data: data.sensitive, barMaxWidth: 22 },
      { type: "line", name: data.labels.datasets, yAxisIndex: 1, data: data.datasets, symbolSize: 4, lineStyle: { width: 1, type: "dashed", color: "#6b7c93" }, itemStyle: { color: "#6b7c93" } }
    ]
  });
  chart("chart-country", bars(data.countries, data.labels.individuals));
  chart("chart-sector", bars(data.sectors, data.labels.individuals));
  chart("chart-pathway", bars(data.pathways, data.labels.transfers));
})();
