/* Statistics charts: draw each <canvas data-chart="key"> from the JSON block #stats-charts with Chart.js.
   No inline script (CSP): the figures travel in <script type="application/json">, which browsers never run.
   Every chart has a table with the same figures next to it, so without JavaScript nothing is lost. */
(function () {
  "use strict";

  var source = document.getElementById("stats-charts");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var charts;
  try {
    charts = JSON.parse(source.textContent || "{}");
  } catch (error) {
    return;
  }
  document.documentElement.classList.add("has-charts");

  var lang = document.documentElement.lang || "zh-CN";
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: "CNY" });
  var compact = new Intl.NumberFormat(lang, { notation: "compact", maximumFractionDigits: 1 });
  var colours = ["#b3261e", "#8a8289"];
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function yuan(fen) {
    return fen / 100;
  }

  function draw(canvas, data) {
    var horizontal = Boolean(data.horizontal);
    var valueAxis = horizontal ? "x" : "y";
    var box = canvas.parentNode;
    if (horizontal) {
      // One bar per row: let the box grow with the rows so labels stay readable on a phone.
      box.style.height = Math.max(180, 42 * data.labels.length + 70) + "px";
    }
    var scales = {
      x: { stacked: true, ticks: { autoSkip: !horizontal } },
      y: { stacked: true, ticks: { autoSkip: horizontal } }
    };
    scales[valueAxis].ticks = {
      callback: function (value) {
        return "¥" + compact.format(value);
      }
    };
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return {
            label: series.label,
            data: series.fen.map(yuan),
            backgroundColor: colours[index % colours.length],
            borderWidth: 0,
            maxBarThickness: 36
          };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: still ? false : { duration: 400 },
        scales: scales,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = horizontal ? context.parsed.x : context.parsed.y;
                return context.dataset.label + ": " + money.format(value);
              }
            }
          }
        }
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), function (canvas) {
    var data = charts[canvas.getAttribute("data-chart")];
    if (data && data.labels && data.labels.length) {
      draw(canvas, data);
    }
  });
})();
