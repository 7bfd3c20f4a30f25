/* The timeline page: the backward plan as a Gantt, and each resource's weekly load.
 * Needs charts.js (BackcastCharts) and ECharts; the data comes from json_script elements.
 */
(function () {
  "use strict";

  var C = window.BackcastCharts;
  if (!C) return;
  var DAY = C.DAY;

  /* Bars from the planned start to the end of the finish day, one row per milestone, in planned
   * order; links from a predecessor's end to its successor's start; today and the deadline. */
  function ganttChart(data, element) {
    var rows = data.milestones;
    if (!rows.length) return null;
    var index = {};
    rows.forEach(function (m, k) { index[m.id] = k; });
    var onPath = {};
    for (var k = 1; k < data.critical_path.length; k++) {
      onPath[data.critical_path[k - 1] + ">" + data.critical_path[k]] = true;
    }
    var today = C.day(data.today), deadline = C.day(data.deadline) + DAY;
    var times = [today, deadline];
    rows.forEach(function (m) {
      times.push(C.day(m.start), C.day(m.finish) + DAY);
      if (m.baseline) times.push(C.day(m.baseline.start), C.day(m.baseline.finish) + DAY);
    });
    var first = Math.min.apply(null, times), last = Math.max.apply(null, times);
    var margin = Math.max(3 * DAY, (last - first) * 0.03);
    element.style.height = Math.max(260, 64 + rows.length * 34) + "px";

    var colors = { bar: C.css("--chart-bar"), critical: C.css("--chart-critical"), done: C.css("--chart-done"),
      ink: C.css("--ink"), muted: C.css("--muted"), baseline: C.css("--chart-other") };

    var bars = rows.map(function (m, k) {
      /* A checkpoint (0 days) is reached at the end of its finish day. */
      var start = m.duration === 0 ? C.day(m.finish) + DAY : C.day(m.start);
      return { value: [k, start, C.day(m.finish) + DAY], milestone: m };
    });

    function renderBar(params, api) {
      var m = bars[params.dataIndex].milestone;
      var y = api.value(0);
      var a = api.coord([api.value(1), y]), b = api.coord([api.value(2), y]);
      var h = api.size([0, 1])[1] * 0.5;
      var fill = m.status === "done" ? colors.done : (m.critical ? colors.critical : colors.bar);
      var children = [];
      if (m.baseline) {
        /* The milestone's dates in the chosen baseline: a thin bar under this one (a tick for a checkpoint). */
        var bEnd = C.day(m.baseline.finish) + DAY, bStart = Math.min(C.day(m.baseline.start), bEnd);
        var ba = api.coord([bStart, y]), bb = api.coord([bEnd, y]);
        children.push({ type: "rect", shape: { x: bb[0] - ba[0] < 2 ? bb[0] - 1 : ba[0], y: a[1] + h / 2 + 1, width: Math.max(bb[0] - ba[0], 2), height: 4 },
          style: { fill: colors.baseline } });
      }
      if (m.duration === 0) {
        var s = h * 0.6;
        children.push({ type: "polygon", shape: { points: [[a[0], a[1] - s], [a[0] + s, a[1]], [a[0], a[1] + s], [a[0] - s, a[1]]] },
          style: { fill: fill, stroke: "#fff", lineWidth: 1 } });
      } else {
        children.push({ type: "rect", shape: { x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 2), height: h, r: 3 },
          style: { fill: fill, stroke: m.late ? colors.ink : null, lineWidth: m.late ? 2 : 0, lineDash: m.late ? [4, 2] : null } });
      }
      var owner = m.owner ? m.owner : "no owner";
      children.push({ type: "text", style: { x: Math.max(a[0], b[0]) + 8, y: a[1], text: owner + (m.late ? " · late" : ""),
        fill: m.late ? colors.critical : colors.muted, font: "12px sans-serif", verticalAlign: "middle" } });
      return { type: "group", children: children };
    }

    var links = data.links.filter(function (l) { return l.from in index && l.to in index; }).map(function (l) {
      var from = rows[index[l.from]], to = rows[index[l.to]];
      var x1 = C.day(from.finish) + DAY, x2 = to.duration === 0 ? C.day(to.finish) + DAY : C.day(to.start);
      return { value: [index[l.from], index[l.to], x1, x2], critical: !!onPath[l.from + ">" + l.to] };
    });

    function renderLink(params, api) {
      var item = links[params.dataIndex];
      var start = api.coord([item.value[2], item.value[0]]), end = api.coord([item.value[3], item.value[1]]);
      var x1 = start[0], y1 = start[1], x2 = end[0], y2 = end[1];
      var bend = Math.max(x1 + 6, x2 - 6);
      var points = x2 - 6 >= x1 + 6
        ? [[x1, y1], [bend, y1], [bend, y2], [x2 - 1, y2]]
        : [[x1, y1], [x1 + 6, y1], [x1 + 6, (y1 + y2) / 2], [x2 - 8, (y1 + y2) / 2], [x2 - 8, y2], [x2 - 1, y2]];
      var color = item.critical ? colors.critical : colors.muted;
      return {
        type: "group", children: [
          { type: "polyline", shape: { points: points }, style: { stroke: color, fill: null, lineWidth: item.critical ? 1.5 : 1, opacity: 0.8 } },
          { type: "polygon", shape: { points: [[x2 - 1, y2], [x2 - 6, y2 - 3.5], [x2 - 6, y2 + 3.5]] }, style: { fill: color, opacity: 0.8 } }
        ]
      };
    }

    var option = C.base();
    option.grid = { left: 12, right: 24, top: 28, bottom: 48, containLabel: true };
    option.tooltip.trigger = "item";
    option.tooltip.formatter = function (p) {
      if (p.seriesId !== "bars") return "";
      var m = p.data.milestone;
      var lines = ["<strong>" + C.esc(m.title) + "</strong>" + (m.critical ? " · critical" : ""),
        m.duration === 0 ? "Checkpoint, reached by " + C.esc(C.label(C.day(m.finish)))
          : C.esc(C.label(C.day(m.start)) + " → " + C.label(C.day(m.finish))) + " · " + m.duration + " working days",
        "Slack " + m.slack + " working days",
        "Owner: " + C.esc(m.owner || "none"),
        C.esc(m.status_label) + (m.late ? " · <strong>late</strong>" : "")];
      if (m.baseline && data.baseline) {
        var moved = m.baseline.finish_slip;
        lines.push("Baseline " + data.baseline.number + ": " + C.esc(C.label(C.day(m.baseline.start)) + " → " + C.label(C.day(m.baseline.finish))) +
          (moved ? " · finish " + Math.abs(moved) + " working days " + (moved > 0 ? "later" : "earlier") + " now" : ""));
      } else if (data.baseline) {
        lines.push("Added since baseline " + data.baseline.number);
      }
      return lines.join("<br>");
    };
    option.xAxis = { type: "time", position: "top", min: first - margin, max: last + margin,
      axisLabel: { hideOverlap: true }, splitLine: { show: true, lineStyle: { color: C.css("--chart-grid") } } };
    option.yAxis = { type: "category", inverse: true, data: rows.map(function (m) { return m.title; }),
      axisTick: { show: false }, axisLine: { show: false },
      axisLabel: { width: 200, overflow: "truncate", color: colors.ink } };
    option.dataZoom = [{ type: "slider", xAxisIndex: 0, bottom: 8, height: 18, filterMode: "weakFilter", showDetail: false },
      { type: "inside", xAxisIndex: 0, filterMode: "weakFilter", zoomOnMouseWheel: "shift" }];
    option.series = [
      { id: "links", name: "Dependencies", type: "custom", renderItem: renderLink, data: links, silent: true, z: 1,
        encode: { x: [2, 3], y: [0, 1] }, clip: true },
      { id: "bars", name: "Milestones", type: "custom", renderItem: renderBar, data: bars, z: 2,
        encode: { x: [1, 2], y: 0 }, clip: true,
        markLine: { silent: true, symbol: "none", data: [
          { xAxis: today + DAY / 2, label: { formatter: "Today", position: "end", color: colors.ink },
            lineStyle: { color: C.css("--chart-today"), type: "dashed", width: 1.5 } },
          { xAxis: deadline, label: { formatter: "Deadline", position: "end", color: C.css("--chart-deadline") },
            lineStyle: { color: C.css("--chart-deadline"), type: "solid", width: 2 } }
        ] } }
    ];
    return option;
  }

  var MINE = ["#2e5fb7", "#5b8def", "#1f4a8f", "#86a9e8", "#3d72cf", "#a9c1ee", "#24569e", "#6f95db"];
  var OTHERS = ["#b8c2cf", "#98a4b3", "#d0d7e0", "#8a96a6"];

  /* A resource: stacked weekly load (this goal's milestones, then other goals) against capacity. */
  function capacityChart(data) {
    var weeks = data.weeks.map(function (w) { var d = new Date(C.day(w)); return d.getUTCDate() + " " + C.label(C.day(w)).split(" ")[1]; });
    var mine = 0, others = 0;
    var totals = data.weeks.map(function (_, k) {
      return data.series.reduce(function (sum, s) { return sum + s.values[k]; }, 0);
    });
    var todayWeek = -1;
    data.weeks.forEach(function (w, k) { if (C.day(w) <= C.day(data.today)) todayWeek = k; });
    if (C.day(data.today) > C.day(data.weeks[data.weeks.length - 1]) + 7 * DAY) todayWeek = -1;

    var series = data.series.map(function (s) {
      var color = s.goal === "this" ? MINE[mine++ % MINE.length] : OTHERS[others++ % OTHERS.length];
      return { name: s.goal === "this" ? s.name : s.name + " (other goal)", type: "bar", stack: "load", barMaxWidth: 28, data: s.values,
        itemStyle: { color: color }, emphasis: { focus: "series" } };
    });
    series.push({ name: "Capacity", type: "line", step: "middle", symbol: "none", data: data.capacity_per_week,
      lineStyle: { color: C.css("--chart-capacity"), width: 2 }, itemStyle: { color: C.css("--chart-capacity") }, z: 5,
      markLine: todayWeek >= 0 ? { silent: true, symbol: "none", data: [{ xAxis: todayWeek,
        label: { formatter: "Today", position: "insideEndTop" }, lineStyle: { color: C.css("--chart-today"), type: "dashed" } }] } : undefined });
    series.push({ name: "Overloaded", type: "scatter", symbol: "triangle", symbolSize: 11, z: 6,
      itemStyle: { color: C.css("--danger") },
      label: { show: true, position: "top", formatter: "over", color: C.css("--danger"), fontWeight: "bold" },
      data: data.overloaded.map(function (over, k) { return over ? [k, totals[k]] : null; }).filter(Boolean) });

    var option = C.base();
    option.legend = { type: "scroll", top: 0, left: 0, textStyle: { fontSize: 12 } };
    option.grid = { left: 8, right: 16, top: 40, bottom: 8, containLabel: true };
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.tooltip.formatter = function (items) {
      var k = items[0].dataIndex;
      var lines = ["<strong>Week of " + C.esc(C.label(C.day(data.weeks[k]))) + "</strong>"];
      data.series.forEach(function (s) {
        if (s.values[k]) lines.push(C.esc(s.name) + (s.goal === "other" ? " (other goal)" : "") + ": " + C.num(s.values[k]) + " unit-days");
      });
      lines.push("Load " + C.num(totals[k]) + " of " + C.num(data.capacity_per_week[k]) + " unit-days");
      lines.push("Busiest day " + C.num(data.peak[k]) + " of " + C.num(data.capacity) + " a day" +
        (data.overloaded[k] ? " · <strong>overloaded</strong>" : ""));
      return lines.join("<br>");
    };
    option.xAxis = { type: "category", data: weeks, axisLabel: { hideOverlap: true } };
    option.yAxis = { type: "value", splitLine: { lineStyle: { color: C.css("--chart-grid") } } };
    option.series = series;
    return option;
  }

  C.register("gantt", ganttChart);
  C.register("capacity", capacityChart);
})();
