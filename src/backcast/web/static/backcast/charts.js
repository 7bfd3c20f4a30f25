/* Backcast charts: each element with data-chart="KIND" data-source="ID" is drawn with ECharts from
 * the JSON that Django's json_script put in the element #ID. No inline scripts, no eval, no
 * handlers in the markup, so a strict Content Security Policy holds. Text that came from people
 * (KPI and milestone names) is escaped before it goes into a tooltip's HTML.
 *
 * Other scripts add kinds with BackcastCharts.register(kind, function (data, element) -> option).
 */
(function () {
  "use strict";

  var registry = {};
  var DAY = 86400000;

  function css(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback || "#5b6472";
  }

  function esc(text) {
    return String(text === null || text === undefined ? "" : text)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* 'YYYY-MM-DD' as milliseconds at midnight UTC (the charts run with useUTC, so no zone shifts). */
  function day(iso) {
    var p = iso.split("-");
    return Date.UTC(+p[0], +p[1] - 1, +p[2]);
  }

  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function label(ms) {
    var d = new Date(ms);
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  function num(value) {
    if (value === null || value === undefined) return "—";
    return (Math.round(value * 100) / 100).toLocaleString();
  }

  /* Round axis bounds: [min, max, step] with about five steps that are 1, 2 or 5 times a power of ten. */
  function nice(low, high) {
    if (high === low) { high += Math.abs(high) * 0.1 || 1; low -= Math.abs(low) * 0.1 || 1; }
    var raw = (high - low) / 5;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (f) { return f * power; }).filter(function (s) { return s >= raw; })[0];
    var min = Math.floor(low / step) * step, max = Math.ceil(high / step) * step;
    if (min === low) min -= step;
    if (max === high) max += step;
    return [Number(min.toPrecision(12)), Number(max.toPrecision(12)), step];
  }

  function base() {
    return {
      useUTC: true,
      animation: false,
      aria: { enabled: true, decal: { show: false } },
      textStyle: { color: css("--ink") },
      grid: { left: 8, right: 24, top: 44, bottom: 8, containLabel: true },
      tooltip: { confine: true, borderColor: css("--line"), textStyle: { color: css("--ink"), fontSize: 13 } }
    };
  }

  function mount(element) {
    if (element.getAttribute("data-chart-ready") || !window.echarts) return;
    var draw = registry[element.getAttribute("data-chart")];
    var source = document.getElementById(element.getAttribute("data-source"));
    if (!draw || !source) return;
    var option = draw(JSON.parse(source.textContent), element);
    if (!option) return;
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    element.setAttribute("data-chart-ready", "1");
    if (window.ResizeObserver) {
      new ResizeObserver(function () { chart.resize(); }).observe(element);
    }
  }

  function mountAll(root) {
    var found = (root || document).querySelectorAll("[data-chart]");
    for (var i = 0; i < found.length; i++) mount(found[i]);
  }

  /* A KPI: readings, the interim-target trajectory worked back from the target, the forecast to
   * the target date with its prediction band, the target and today. */
  function kpiChart(data) {
    var unit = data.unit ? " " + data.unit : "";
    var readings = data.readings.map(function (r) { return [day(r[0]), r[1]]; });
    var trajectory = data.trajectory.map(function (t) {
      return { value: [day(t[0]), t[1]], milestones: t[3] ? ["pinned by a planner"].concat(t[2]) : t[2],
        symbol: t[3] ? "pin" : "diamond", symbolSize: t[3] ? 16 : 8 };
    });
    var forecast = data.forecast ? data.forecast.points : [];
    var values = [data.target];
    readings.forEach(function (r) { values.push(r[1]); });
    data.trajectory.forEach(function (t) { values.push(t[1]); });
    forecast.forEach(function (f) { values.push(f[2], f[3]); });
    if (data.band) values.push(data.band[0], data.band[1]);
    values = values.filter(function (v) { return v !== null && v !== undefined; });
    var range = nice(Math.min.apply(null, values), Math.max.apply(null, values));
    var times = [day(data.today), day(data.target_date)];
    readings.forEach(function (r) { times.push(r[0]); });
    trajectory.forEach(function (t) { times.push(t.value[0]); });
    var first = Math.min.apply(null, times), last = Math.max.apply(null, times);

    var option = base();
    option.legend = { top: 0, left: 0, itemWidth: 18, textStyle: { fontSize: 12 } };
    option.xAxis = { type: "time", min: first - 3 * DAY, max: last + 3 * DAY,
      axisLabel: { hideOverlap: true }, splitLine: { show: false } };
    option.yAxis = { type: "value", min: range[0], max: range[1], interval: range[2],
      axisLabel: { formatter: function (v) { return num(v) + unit; } },
      splitLine: { lineStyle: { color: css("--chart-grid") } } };
    option.tooltip.trigger = "item";
    option.tooltip.formatter = function (p) {
      if (p.seriesId === "band") {
        return "<strong>Forecast band</strong>";
      }
      var when = label(p.value[0]);
      var text = "<strong>" + esc(p.seriesName) + "</strong><br>" + when + ": " + esc(num(p.value[1]) + unit);
      if (p.data && p.data.milestones && p.data.milestones.length) {
        text += "<br><span>" + p.data.milestones.map(esc).join("<br>") + "</span>";
      }
      if (p.seriesId === "forecast" && p.data && p.data.band) {
        text += "<br>band " + esc(num(p.data.band[0]) + "–" + num(p.data.band[1]) + unit);
      }
      return text;
    };
    var series = [];
    if (forecast.length) {
      var band = forecast.map(function (f) { return [day(f[0]), f[2], f[3]]; });
      series.push({
        id: "band", name: "Forecast band", type: "custom", silent: true, z: 1,
        data: band, encode: { x: 0, y: [1, 2] }, clip: true,
        itemStyle: { color: css("--chart-band") },
        renderItem: function (params, api) {
          if (params.dataIndex !== 0) return null;  /* one polygon through every point */
          var top = band.map(function (b) { return api.coord([b[0], b[2]]); });
          var bottom = band.slice().reverse().map(function (b) { return api.coord([b[0], b[1]]); });
          return { type: "polygon", shape: { points: top.concat(bottom) }, style: { fill: css("--chart-band") } };
        }
      });
      series.push({
        id: "forecast", name: "Forecast", type: "line", z: 3, symbol: "none",
        lineStyle: { type: "dotted", width: 2, color: css("--chart-forecast") }, itemStyle: { color: css("--chart-forecast") },
        data: forecast.map(function (f) { return { value: [day(f[0]), f[1]], band: [f[2], f[3]] }; })
      });
    }
    series.push({
      id: "trajectory", name: "Interim target", type: "line", z: 2, symbol: "diamond", symbolSize: 8,
      lineStyle: { type: "dashed", width: 1.5, color: css("--chart-target") }, itemStyle: { color: css("--chart-target") },
      data: trajectory
    });
    var marks = [{ xAxis: day(data.today), name: "Today", label: { formatter: "Today", position: "insideEndTop" },
      lineStyle: { color: css("--chart-today"), type: "dashed" } }];
    if (!data.band) {
      marks.push({ yAxis: data.target, name: "Target", label: { formatter: "Target " + num(data.target) + unit, position: "insideStartTop" },
        lineStyle: { color: css("--ok"), type: "solid", width: 1 } });
    }
    series.push({
      id: "readings", name: "Readings", type: "line", z: 4, symbol: "circle", symbolSize: 6,
      lineStyle: { width: 2, color: css("--chart-actual") }, itemStyle: { color: css("--chart-actual") },
      data: readings,
      markLine: { silent: true, symbol: "none", data: marks },
      markArea: data.band && data.band[0] !== null ? {
        silent: true, itemStyle: { color: "rgba(6, 118, 71, 0.08)" },
        data: [[{ yAxis: data.band[0], name: "Band" }, { yAxis: data.band[1] }]]
      } : undefined
    });
    option.series = series;
    return option;
  }

  window.BackcastCharts = {
    register: function (kind, draw) { registry[kind] = draw; },
    css: css, esc: esc, day: day, label: label, num: num, nice: nice, base: base, DAY: DAY, mountAll: mountAll
  };
  registry.kpi = kpiChart;

  document.addEventListener("DOMContentLoaded", function () { mountAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { mountAll(event.target); });
})();
