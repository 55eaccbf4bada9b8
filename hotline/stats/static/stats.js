// The statistics page's chart: drawn with Chart.js from the protected table embedded in the
// page. A suppressed cell has no value here either: it is a gap, never a number.
(function () {
  "use strict";
  function figure(table, cell) {
    if (cell.suppressed) return null;
    if (table.measure === "ack_time") return cell.median_seconds === null ? null : cell.median_seconds / 60;
    if (table.measure === "sla") return cell.compliance_percent;
    if (table.measure === "referral_accept_time" || table.measure === "referral_complete_time") return cell.median_hours;
    return cell.count;
  }
  function seriesLabel(table, cell) {
    var keys = table.group_by;
    if (!keys.length) return table.measure;
    return keys.map(function (k) { return cell[k]; }).join(" · ");
  }
  function draw() {
    var holder = document.getElementById("stats-data");
    var canvas = document.getElementById("stats-chart");
    if (!holder || !canvas || typeof Chart === "undefined") return;
    var table = JSON.parse(holder.textContent);
    if (!table || !table.items.length) return;
    var unit = table.measure === "ack_time" ? "median minutes to acknowledgement"
      : table.measure === "sla" ? "% acknowledged within the SLA"
      : table.measure === "referral_accept_time" ? "median hours from sending to acceptance"
      : table.measure === "referral_complete_time" ? "median hours from sending to completion" : "count";
    var config;
    if (table.period) {
      var periods = [];
      var series = {};
      table.items.forEach(function (cell) {
        if (periods.indexOf(cell.period) < 0) periods.push(cell.period);
        var name = seriesLabel(table, cell);
        (series[name] = series[name] || {})[cell.period] = figure(table, cell);
      });
      config = {
        type: "line",
        data: {
          labels: periods,
          datasets: Object.keys(series).map(function (name) {
            return { label: name, data: periods.map(function (p) { return series[name][p]; }), spanGaps: false };
          })
        }
      };
    } else {
      config = {
        type: "bar",
        data: {
          labels: table.items.map(function (cell) { return seriesLabel(table, cell); }),
          datasets: [{ label: unit, data: table.items.map(function (cell) { return figure(table, cell); }) }]
        }
      };
    }
    config.options = {
      animation: false,
      responsive: true,
      plugins: { title: { display: true, text: unit + " (suppressed cells are left out)" } },
      scales: { y: { beginAtZero: true } }
    };
    new Chart(canvas, config);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
