// Draws every chart on the page (`figure.chart`, rendered by the `chart` macro in
// _charts.html) from its JSON spec (`appraisal.charts.Chart.as_json`) with the vendored
// ECharts. One builder per kind in `charts.KINDS`; the page's table view stays the source
// for readers without script.
//
// Under the app's CSP (`style-src 'self'`): ECharts itself styles through the CSSOM, which
// the CSP allows, but its default tooltip HTML carries style="" (colour dots, rows), which
// it blocks; so every tooltip here is our own markup with classes only. The canvas renderer,
// because a PNG export needs it (the SVG one only exports SVG). Colours come from app.css
// (`--chart-color-N`), sizes from the `chart-kind-*` classes.
(function () {
  "use strict";

  var echarts = window.echarts;
  var ZH = (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0;
  var NUMBER = new Intl.NumberFormat(ZH ? "zh-CN" : "en", { maximumFractionDigits: 2 });
  var BLANK = "—";
  var EXPORT_WIDTH = 800; // px: a saved PNG reads the same whichever screen saved it

  function cssColors(prefix, count) {
    var style = window.getComputedStyle(document.documentElement);
    var colors = [];
    for (var i = 0; i < count; i += 1) {
      var value = style.getPropertyValue(prefix + i).trim();
      if (value) { colors.push(value); }
    }
    return colors;
  }

  var PALETTE = cssColors("--chart-color-", 8);
  var BANDS = cssColors("--chart-band-", 2);
  var HEAT = cssColors("--chart-heat-", 2);

  // -- words and numbers ---------------------------------------------------------------

  function escape(text) {
    return echarts.format.encodeHTML(text == null ? "" : String(text));
  }

  function number(value) {
    return value == null || value === "-" || isNaN(value) ? BLANK : NUMBER.format(value);
  }

  // "85%", "12 分", "3 visits": no space before a sign or a Chinese unit.
  function withUnit(value, unit) {
    var shown = number(value);
    if (!unit || shown === BLANK) { return shown; }
    return /^[%‰]|^[\u2e80-\u9fff]/.test(unit) ? shown + unit : shown + " " + unit;
  }

  function textWidth(text, size) {
    var width = 0;
    for (var i = 0; i < text.length; i += 1) {
      width += text.charCodeAt(i) > 0x2e80 ? size : size * 0.6;
    }
    return width;
  }

  function blank(value) {
    return value == null ? "-" : value;
  }

  function drillOf(series, index) {
    return (series.drill && series.drill[index]) || null;
  }

  // -- tooltips (class-only markup, escaped) ----------------------------------------------

  function dot(index) {
    return '<span class="chart-tip-dot chart-tip-dot-' + (index % Math.max(PALETTE.length, 1)) + '"></span>';
  }

  function tipRow(label, value, colour) {
    return '<div class="chart-tip-row">' + (colour == null ? "" : dot(colour)) +
      '<span class="chart-tip-name">' + escape(label) + '</span>' +
      '<span class="chart-tip-value">' + escape(value) + "</span></div>";
  }

  function tip(title, rows, words, drillable) {
    var html = '<div class="chart-tip">';
    if (title) { html += '<div class="chart-tip-title">' + escape(title) + "</div>"; }
    html += rows.join("");
    if (drillable && words.open) { html += '<div class="chart-tip-hint">' + escape(words.open) + "</div>"; }
    return html + "</div>";
  }

  function axisTip(spec, words) {
    return function (params) {
      var list = Array.isArray(params) ? params : [params];
      var rows = list.map(function (p) {
        return tipRow(p.seriesName, withUnit(p.value, spec.unit), p.seriesIndex);
      });
      var drillable = list.some(function (p) { return p.data && p.data.drill; });
      return tip(list.length ? list[0].name : "", rows, words, drillable);
    };
  }

  // -- pieces shared by the kinds -----------------------------------------------------------

  function legend(spec, names, width) {
    if (names.length < 2) { return { layout: null, height: 0 }; }
    var inner = width - 16;
    var rows = 1;
    var x = 0;
    names.forEach(function (name) {
      var item = 25 + 5 + Math.min(textWidth(name, 12), inner - 40) + 10;
      if (x > 0 && x + item > inner) { rows += 1; x = 0; }
      x += item;
    });
    return {
      layout: {
        type: "plain", top: 0, left: "center", width: inner,
        textStyle: { width: inner - 40, overflow: "truncate" },
        tooltip: { show: true },
      },
      height: rows * 22,
    };
  }

  // A grid whose axis labels and names stay inside the box (ECharts 6 outer bounds shrink
  // the plot when rotated or long labels need the room).
  function grid(top, bottomRoom) {
    var room = bottomRoom || 0;
    return {
      left: 8, right: 20, top: top + 12, bottom: 28 + room,
      outerBoundsMode: "auto",
      outerBounds: { left: 4, right: 4, top: 4, bottom: 6 + room },
    };
  }

  function categoryLabels(count, plotWidth, labels) {
    var slot = plotWidth / Math.max(count, 1);
    var widest = Math.max.apply(null, labels.map(function (l) { return textWidth(l, 12); }).concat([0]));
    if (widest <= slot - 4) {
      return { interval: 0, width: slot, overflow: "truncate" };
    }
    return { interval: slot < 14 ? "auto" : 0, rotate: 45, width: Math.min(110, plotWidth * 0.3), overflow: "truncate" };
  }

  function valueAxis(spec, extra) {
    var axis = {
      type: "value",
      axisLabel: { formatter: function (v) { return withUnit(v, spec.unit); }, hideOverlap: true },
    };
    if (spec.axisMax != null) { axis.max = spec.axisMax; }
    return Object.assign(axis, extra || {});
  }

  function bandArea(spec, axis) {
    if (!spec.bands || !spec.bands.length) { return undefined; }
    return {
      silent: true,
      label: { position: axis === "yAxis" ? "insideRight" : "insideTop", fontSize: 11, color: "#555" },
      data: spec.bands.map(function (band, i) {
        var low = { name: band.name, itemStyle: { color: BANDS[i % Math.max(BANDS.length, 1)], opacity: 0.6 } };
        var high = {};
        low[axis] = band.low;
        high[axis] = band.high;
        return [low, high];
      }),
    };
  }

  function seriesData(series) {
    return series.values.map(function (value, i) {
      var drill = drillOf(series, i);
      return { value: blank(value), drill: drill, cursor: drill ? "pointer" : "default" };
    });
  }

  // -- one builder per kind: (spec, width, words) -> ECharts option ------------------------

  function cartesian(spec, width, words, shape) {
    var names = spec.series.map(function (s) { return s.name; });
    var key = legend(spec, names, width);
    var horizontal = shape === "hbar";
    var category = {
      type: "category",
      data: spec.labels,
      axisLabel: horizontal
        ? { width: Math.min(width * 0.35, 180), overflow: "truncate" }
        : categoryLabels(spec.labels.length, width - 70, spec.labels),
      axisTick: { alignWithLabel: true },
      inverse: horizontal, // the first label on top, as in the table
    };
    var value = valueAxis(spec);
    var area = bandArea(spec, horizontal ? "xAxis" : "yAxis");
    return {
      legend: key.layout || { show: false },
      grid: grid(key.height),
      tooltip: { trigger: "axis", axisPointer: { type: shape === "line" ? "line" : "shadow" }, formatter: axisTip(spec, words) },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map(function (s, i) {
        return {
          type: shape === "line" ? "line" : "bar",
          name: s.name,
          data: seriesData(s),
          stack: shape === "stacked" ? "total" : undefined,
          connectNulls: false,
          barMaxWidth: 56,
          markArea: i === 0 ? area : undefined,
          emphasis: { focus: "series" },
        };
      }),
    };
  }

  var BUILD = {
    bar: function (spec, width, words) { return cartesian(spec, width, words, "bar"); },
    hbar: function (spec, width, words) { return cartesian(spec, width, words, "hbar"); },
    stacked: function (spec, width, words) { return cartesian(spec, width, words, "stacked"); },
    line: function (spec, width, words) { return cartesian(spec, width, words, "line"); },

    radar: function (spec, width, words) {
      var key = legend(spec, spec.series.map(function (s) { return s.name; }), width);
      var narrow = width < 480;
      return {
        legend: key.layout || { show: false },
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var rows = spec.labels.map(function (label, i) {
              return tipRow(label, withUnit(spec.series[p.dataIndex].values[i], spec.unit));
            });
            return tip(p.name, rows, words, false);
          },
        },
        radar: {
          center: ["50%", key.height ? "56%" : "50%"],
          radius: narrow ? "58%" : "66%",
          indicator: spec.labels.map(function (label) {
            return spec.axisMax != null ? { name: label, max: spec.axisMax } : { name: label };
          }),
          axisName: { width: narrow ? 70 : 130, overflow: "break", color: "#444" },
        },
        series: [{
          type: "radar",
          data: spec.series.map(function (s) { return { name: s.name, value: s.values.map(blank) }; }),
        }],
      };
    },

    funnel: function (spec, width, words) {
      var series = spec.series[0] || { values: [], name: "" };
      return {
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            return tip(series.name, [tipRow(p.name, withUnit(p.value, spec.unit), p.dataIndex)], words, p.data && p.data.drill);
          },
        },
        series: [{
          type: "funnel",
          name: series.name,
          sort: "none", // the steps in the cycle's order, not by size
          left: "10%", right: "10%", top: 8, bottom: 8,
          minSize: "12%",
          gap: 2,
          label: {
            position: "inside",
            width: width * 0.7,
            overflow: "truncate",
            formatter: function (p) { return p.name + "  " + withUnit(p.value, spec.unit); },
          },
          data: spec.labels.map(function (label, i) {
            var drill = drillOf(series, i);
            return { name: label, value: blank(series.values[i]), drill: drill, cursor: drill ? "pointer" : "default" };
          }),
        }],
      };
    },

    heatmap: function (spec, width, words) {
      var values = [];
      var data = [];
      spec.series.forEach(function (s, row) {
        spec.labels.forEach(function (label, col) {
          var value = s.values[col];
          if (value != null) { values.push(value); }
          var drill = drillOf(s, col);
          data.push({ value: [col, row, blank(value)], drill: drill, cursor: drill ? "pointer" : "default" });
        });
      });
      var low = Math.min.apply(null, values.concat([0]));
      var high = spec.axisMax != null ? spec.axisMax : Math.max.apply(null, values.concat([low + 1]));
      var rowLabelWidth = Math.min(width * 0.3, 140);
      var cellWidth = (width - rowLabelWidth - 24) / Math.max(spec.labels.length, 1);
      return {
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var s = spec.series[p.value[1]];
            return tip(s.name, [tipRow(spec.labels[p.value[0]], withUnit(p.value[2], spec.unit))], words, p.data && p.data.drill);
          },
        },
        grid: grid(0, 48),
        xAxis: {
          type: "category", data: spec.labels, position: "top", splitArea: { show: true },
          axisLabel: categoryLabels(spec.labels.length, width - rowLabelWidth - 24, spec.labels),
        },
        yAxis: {
          type: "category", data: spec.series.map(function (s) { return s.name; }), inverse: true,
          splitArea: { show: true }, axisLabel: { width: rowLabelWidth, overflow: "truncate" },
        },
        visualMap: {
          min: low, max: high, calculable: false, orient: "horizontal", left: "center", bottom: 0,
          itemWidth: 12, itemHeight: Math.min(width * 0.45, 200),
          text: [withUnit(high, spec.unit), withUnit(low, spec.unit)],
          inRange: HEAT.length === 2 ? { color: HEAT } : undefined,
          formatter: function (v) { return withUnit(v, spec.unit); },
        },
        series: [{
          type: "heatmap",
          name: spec.title,
          data: data,
          label: { show: cellWidth >= 36, formatter: function (p) { return number(p.value[2]); } },
          emphasis: { itemStyle: { borderColor: "#333", borderWidth: 1 } },
        }],
      };
    },

    scatter: function (spec, width, words) {
      var names = spec.series.map(function (s) { return s.name; });
      var key = legend(spec, names, width);
      var titles = spec.axisTitles || ["", ""];
      function axis(title, extra) {
        return valueAxis(spec, Object.assign({
          name: title, nameLocation: "middle", nameGap: 26, scale: spec.axisMax == null,
          nameTextStyle: { width: width - 60, overflow: "truncate" },
        }, extra));
      }
      var split = spec.split && {
        silent: true, symbol: "none", label: { show: false },
        lineStyle: { type: "dashed", color: "#888" },
        data: [{ xAxis: spec.split[0] }, { yAxis: spec.split[1] }],
      };
      return {
        legend: key.layout || { show: false },
        grid: grid(key.height),
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            return tip(p.name, [
              tipRow(titles[0] || "x", withUnit(p.value[0], spec.unit)),
              tipRow(titles[1] || "y", withUnit(p.value[1], spec.unit)),
            ], words, p.data && p.data.drill);
          },
        },
        xAxis: axis(titles[0], { min: spec.axisMax != null ? 0 : undefined }),
        yAxis: axis(titles[1], { min: spec.axisMax != null ? 0 : undefined, nameGap: 44 }),
        series: spec.series.map(function (s, i) {
          return {
            type: "scatter",
            name: s.name,
            symbolSize: 12,
            data: s.points.map(function (p) {
              return {
                name: p.label, value: [blank(p.x), blank(p.y)], drill: p.drill,
                cursor: p.drill ? "pointer" : "default",
              };
            }),
            label: { show: false },
            emphasis: { focus: "self", label: { show: true, position: "top", formatter: "{b}" } },
            markLine: i === 0 && split ? split : undefined,
          };
        }),
      };
    },
  };

  function option(spec, width, words, forExport) {
    var built = BUILD[spec.kind](spec, width, words);
    built.color = PALETTE.length ? PALETTE : undefined;
    built.animation = !forExport && !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    built.textStyle = { fontFamily: "inherit" };
    if (forExport) {
      // The saved picture carries its title (on the page the figure's caption says it).
      built.title = { text: spec.title, left: "center", top: 4, textStyle: { fontSize: 14 } };
      shiftDown(built, 30);
      built.tooltip = undefined;
    } else {
      built.tooltip = Object.assign({ confine: true, className: "chart-tooltip" }, built.tooltip || {});
    }
    return built;
  }

  function shiftDown(built, by) {
    if (built.grid) { built.grid.top += by; }
    if (built.legend && built.legend.top !== undefined) { built.legend.top += by; }
    if (built.radar) { built.radar.center = ["50%", "58%"]; }
    if (built.series && built.series[0] && built.series[0].type === "funnel") { built.series[0].top += by; }
  }

  // -- drawing, resizing, drilling, saving ------------------------------------------------

  function sameSite(link) {
    try {
      return new URL(link, window.location.href).origin === window.location.origin;
    } catch (error) {
      return false;
    }
  }

  function rows(spec) {
    if (spec.kind === "hbar") { return spec.labels.length; }
    if (spec.kind === "heatmap") { return spec.series.length; }
    return 0;
  }

  function sized(element, spec) {
    // Lying bars and heatmap rows need room per row: the class's height uses --chart-rows.
    var count = rows(spec);
    if (count) { element.style.setProperty("--chart-rows", String(count)); }
  }

  function download(dataUrl, name) {
    var bytes = window.atob(dataUrl.split(",")[1]);
    var buffer = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i += 1) { buffer[i] = bytes.charCodeAt(i); }
    var url = URL.createObjectURL(new Blob([buffer], { type: "image/png" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  function savePng(spec, words) {
    var box = document.createElement("div");
    box.className = "chart-canvas chart-kind-" + spec.kind + " chart-offscreen";
    sized(box, spec);
    document.body.appendChild(box);
    var chart = echarts.init(box, null, { renderer: "canvas", locale: ZH ? "ZH" : "EN" });
    try {
      chart.setOption(option(spec, EXPORT_WIDTH, words, true));
      download(chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" }), spec.key + ".png");
    } finally {
      chart.dispose();
      box.remove();
    }
  }

  function failed(figure, element, words) {
    figure.setAttribute("data-chart-state", "failed");
    var note = document.createElement("p");
    note.className = "text-body-secondary small mb-0 chart-failed";
    note.textContent = words.failed || "";
    element.replaceChildren(note);
    element.classList.add("chart-canvas-failed");
    var table = figure.querySelector("details.chart-table");
    if (table) { table.open = true; }
  }

  function draw(figure) {
    var element = figure.querySelector(".chart-canvas");
    var data = figure.querySelector("script.chart-data");
    if (!element || !data) { return; }
    var words = { open: element.getAttribute("data-word-open"), failed: element.getAttribute("data-word-failed") };
    var spec;
    try {
      spec = JSON.parse(data.textContent);
      if (!echarts || !BUILD[spec.kind]) { throw new Error("cannot draw " + (spec && spec.kind)); }
      sized(element, spec);
      var chart = echarts.init(element, null, { renderer: "canvas", locale: ZH ? "ZH" : "EN" });
      var width = element.clientWidth || 600; // hidden (a closed tab): redrawn when shown
      chart.setOption(option(spec, width, words, false));
      chart.on("click", function (p) {
        var link = p.data && p.data.drill;
        if (link && sameSite(link)) { window.location.assign(link); }
      });
      var pending = false;
      new ResizeObserver(function () {
        if (pending) { return; }
        pending = true;
        window.requestAnimationFrame(function () { // after layout: no resize loop
          pending = false;
          var now = element.clientWidth;
          if (now && Math.abs(now - width) >= 4) {
            width = now; // legends, label widths and cell labels depend on the width
            chart.setOption(Object.assign(option(spec, width, words, false), { animation: false }), { notMerge: true });
          }
          chart.resize();
        });
      }).observe(element);
    } catch (error) {
      failed(figure, element, words);
      throw error; // still reported: a chart that cannot draw is a bug
    }
    var png = figure.querySelector(".chart-png");
    if (png) {
      png.hidden = false;
      png.addEventListener("click", function () { savePng(spec, words); });
    }
    figure.setAttribute("data-chart-state", "drawn");
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), function (figure) {
      try {
        draw(figure);
      } catch (error) {
        window.setTimeout(function () { throw error; }); // one broken chart leaves the others
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
