// Ringhost's report pages. The tables are the page's truth; this only draws them and
// runs the exports:
// - each [data-pie] becomes an Apache ECharts pie, each [data-bars] bars by day with
//   a zoom on the dates (a slider, and the wheel); SVG renderer, tooltips, and a
//   legend that hides a series when clicked;
// - an export form is sent in the background, and its progress (lines written of
//   how many) shows beside the buttons until the file is handed over.
(function () {
  "use strict";

  function draw() {
    if (!window.echarts) { return; }
    var charts = [];
    document.querySelectorAll("[data-pie]").forEach(function (element) {
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        legend: { type: "scroll", bottom: 0 },
        series: [{
          name: element.getAttribute("data-title"),
          type: "pie",
          radius: ["30%", "65%"],
          data: JSON.parse(element.getAttribute("data-pie"))
        }]
      });
      charts.push(chart);
    });
    document.querySelectorAll("[data-bars]").forEach(function (element) {
      var data = JSON.parse(element.getAttribute("data-bars"));
      var chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { type: "scroll", top: 0 },
        grid: { left: 48, right: 16, top: 36, bottom: 64 },
        xAxis: { type: "category", data: data.days },
        yAxis: { type: "value" },
        dataZoom: [{ type: "slider", bottom: 8 }, { type: "inside" }],
        series: data.series.map(function (s) {
          return { name: s.name, type: "bar", stack: data.stacked ? "all" : undefined, data: s.data };
        })
      });
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  function exporting() {
    var progress = document.querySelector(".export-progress");
    var status = document.querySelector(".export-status");
    if (!progress || !window.fetch) { return; }
    document.querySelectorAll("form.export").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var buttons = document.querySelectorAll("form.export button");
        buttons.forEach(function (b) { b.disabled = true; });
        progress.hidden = false;
        progress.value = 0;
        status.textContent = "…";
        var done = function (message) {
          buttons.forEach(function (b) { b.disabled = false; });
          status.textContent = message;
        };
        fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" })
          .then(function (response) {
            if (!response.ok) { throw new Error(response.status); }
            var follow = function () {
              fetch(response.url + "/status", { credentials: "same-origin" })
                .then(function (r) { return r.json(); })
                .then(function (s) {
                  var total = s.total || 0;
                  status.textContent = s.rows + (total ? " / " + total : "");
                  progress.value = s.state === "done" ? 100 : (total ? Math.min(99, 100 * s.rows / total) : 50);
                  if (s.state === "running") { setTimeout(follow, 300); return; }
                  if (s.state === "done") { window.location.href = s.file; done("✓ " + s.rows); return; }
                  done("✗");
                })
                .catch(function () { done("✗"); });
            };
            follow();
          })
          .catch(function () { done("✗"); });
      });
    });
  }

  draw();
  exporting();
})();
