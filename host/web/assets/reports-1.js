// Ringhost's report pages: each [data-pie] becomes an Apache ECharts pie drawn as SVG
// (tooltips; the legend hides a slice when clicked) from the rows the server wrote
// into the page. The table beside it stays the page's truth; this only draws it.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var pies = document.querySelectorAll("[data-pie]");
  for (var i = 0; i < pies.length; i++) {
    var element = pies[i];
    var data = JSON.parse(element.getAttribute("data-pie"));
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        name: element.getAttribute("data-title"),
        type: "pie",
        radius: ["30%", "65%"],
        data: data
      }]
    });
    window.addEventListener("resize", chart.resize);
  }
})();
