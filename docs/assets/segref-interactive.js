// Interactive figures of the segref site (sitebuild/interactive.py writes their data).
// Every number shown was computed by segref when the site was built; this script only
// draws them: no network, no library. The controls are range inputs (arrow keys move them).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var M = { left: 56, right: 16, top: 14, bottom: 46 };
  var counter = 0;

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function ticks(min, max) {
    var out = [], step = (max - min) / 5;
    for (var i = 0; i <= 5; i++) out.push(+(min + i * step).toFixed(6));
    return out;
  }

  function key(data, depends, state) {
    return depends.map(function (id) { return state[id]; }).join(",");
  }

  function build(root) {
    var data = JSON.parse(root.getAttribute("data-figure"));
    var state = {};
    // drawn at the width it is shown at, so that its text keeps the page's size on a phone
    root.hidden = false;
    var W = Math.max(300, Math.min(720, root.clientWidth - 20 || 640)), H = W < 500 ? 280 : 320;
    var x = data.x, y = data.y;
    var sx = function (v) { return M.left + (v - x.min) / (x.max - x.min) * (W - M.left - M.right); };
    var sy = function (v) {
      var c = Math.max(y.min, Math.min(y.max, v));
      return H - M.bottom - (c - y.min) / (y.max - y.min) * (H - M.top - M.bottom);
    };

    var figure = document.createElement("figure");
    figure.className = "segref-interactive-figure";
    var controls = document.createElement("div");
    controls.className = "segref-controls";
    figure.appendChild(controls);

    var strip = null;
    if (data.strip) {
      strip = el("svg", { viewBox: "0 0 " + W + " 44", role: "img", "aria-label": "target and prediction on the strip" });
      figure.appendChild(strip);
    }
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": data.title });
    figure.appendChild(svg);
    var axes = el("g", { "class": "segref-axes" }, svg);
    el("line", { x1: M.left, y1: H - M.bottom, x2: W - M.right, y2: H - M.bottom }, axes);
    el("line", { x1: M.left, y1: M.top, x2: M.left, y2: H - M.bottom }, axes);
    (x.ticks || ticks(x.min, x.max).map(function (t) { return [t, String(t)]; })).forEach(function (t) {
      el("line", { x1: sx(t[0]), y1: H - M.bottom, x2: sx(t[0]), y2: H - M.bottom + 5 }, axes);
      el("text", { x: sx(t[0]), y: H - M.bottom + 19, "text-anchor": "middle" }, axes).textContent = t[1];
    });
    ticks(y.min, y.max).forEach(function (t) {
      el("line", { x1: M.left - 5, y1: sy(t), x2: M.left, y2: sy(t) }, axes);
      el("text", { x: M.left - 8, y: sy(t) + 4, "text-anchor": "end" }, axes).textContent = String(t);
    });
    el("text", { x: (M.left + W - M.right) / 2, y: H - 6, "text-anchor": "middle" }, axes).textContent = x.label;
    el("text", { x: 14, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle",
                 transform: "rotate(-90 14 " + (M.top + H - M.bottom) / 2 + ")" }, axes).textContent = y.label;
    var lines = data.curves.map(function (curve, i) {
      return el("polyline", { "class": "segref-curve segref-curve-" + i + (curve.style === "dashed" ? " segref-dashed" : ""),
                              fill: "none" }, svg);
    });
    var points = el("g", { "class": "segref-points" }, svg);

    var legend = document.createElement("ul");
    legend.className = "segref-legend";
    data.curves.forEach(function (curve, i) {
      var item = document.createElement("li");
      item.innerHTML = '<span class="segref-swatch segref-curve-' + i + (curve.style === "dashed" ? " segref-dashed" : "") + '"></span>';
      item.appendChild(document.createTextNode(curve.label));
      legend.appendChild(item);
    });
    figure.appendChild(legend);
    var readout = document.createElement("p");
    readout.className = "segref-readout";
    readout.setAttribute("aria-live", "polite");
    figure.appendChild(readout);

    function draw() {
      data.curves.forEach(function (curve, i) {
        var ys = curve.values[key(data, curve.depends, state)];
        lines[i].setAttribute("points", ys.map(function (v, j) {
          return sx(x.values[j]).toFixed(1) + "," + sy(v).toFixed(1);
        }).join(" "));
      });
      while (points.firstChild) points.removeChild(points.firstChild);
      if (data.points) {
        data.points.values[key(data, data.points.depends, state)].forEach(function (p, i) {
          el("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 5, "class": "segref-point segref-curve-" + i }, points);
        });
      }
      if (strip) {
        while (strip.firstChild) strip.removeChild(strip.firstChild);
        var s = data.strip.values[key(data, data.strip.depends, state)];
        var px = function (v) { return M.left + v / 200 * (W - M.left - M.right); };
        el("rect", { x: px(s[0]), y: 2, width: px(s[1]) - px(s[0]), height: 18, "class": "segref-target" }, strip);
        el("rect", { x: px(s[2]), y: 24, width: px(s[3]) - px(s[2]), height: 18, "class": "segref-prediction" }, strip);
        el("text", { x: px(s[0]) + 6, y: 16, "class": "segref-bar-label" }, strip).textContent = "target";
        el("text", { x: px(s[2]) + 6, y: 38, "class": "segref-bar-label" }, strip).textContent = "prediction";
      }
      readout.textContent = data.readout[key(data, data.controls.map(function (c) { return c.id; }), state)];
    }

    data.controls.forEach(function (control) {
      state[control.id] = control.initial;
      var id = "segref-" + root.getAttribute("data-widget") + "-" + control.id + "-" + (++counter);
      var row = document.createElement("div");
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = control.label;
      var input = document.createElement("input");
      input.type = "range";
      input.id = id;
      input.min = "0";
      input.max = String(control.values.length - 1);
      input.step = "1";
      input.value = String(control.initial);
      input.setAttribute("data-control", control.id);
      var output = document.createElement("output");
      output.htmlFor = id;
      function show() {
        output.textContent = control.text[state[control.id]];
        input.setAttribute("aria-valuetext", control.text[state[control.id]]);
      }
      input.addEventListener("input", function () {
        state[control.id] = +input.value;
        show();
        draw();
      });
      row.appendChild(label);
      row.appendChild(input);
      row.appendChild(output);
      controls.appendChild(row);
      show();
    });
    root.appendChild(figure);
    draw();
  }

  function init() {
    document.querySelectorAll("segref-interactive[data-widget]:not([data-ready])").forEach(function (root) {
      root.setAttribute("data-ready", "");
      build(root);
    });
  }
  // mkdocs-material's instant navigation swaps pages without a reload: document$ tells us
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(init);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
