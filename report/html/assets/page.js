// benchtui report page: theme toggle, tooltips, line-chart hover and legend toggles. The
// charts themselves are SVG written by benchtui; this only makes them interactive.
(function () {
  "use strict";
  var root = document.documentElement;
  var modes = ["auto", "light", "dark"];
  var button = document.getElementById("theme");
  var mode = "auto";
  try { mode = localStorage.getItem("benchtui-theme") || "auto"; } catch (e) { /* file: pages may have no storage */ }
  if (modes.indexOf(mode) < 0) mode = "auto";
  function applyTheme() {
    if (mode === "auto") root.removeAttribute("data-theme"); else root.setAttribute("data-theme", mode);
    button.textContent = "theme: " + mode;
  }
  button.addEventListener("click", function () {
    mode = modes[(modes.indexOf(mode) + 1) % modes.length];
    try { localStorage.setItem("benchtui-theme", mode); } catch (e) { /* as above */ }
    applyTheme();
  });
  applyTheme();

  var tip = document.getElementById("tip");
  function showTip(text, ev) {
    tip.textContent = text;
    tip.hidden = false;
    var r = tip.getBoundingClientRect();
    var x = ev.clientX + 14, y = ev.clientY + 14;
    if (x + r.width > window.innerWidth - 4) x = ev.clientX - r.width - 14;
    if (y + r.height > window.innerHeight - 4) y = ev.clientY - r.height - 14;
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }
  function hideTip() { tip.hidden = true; }

  // Marks that carry their own text (bars, rows, points, markers).
  document.addEventListener("mousemove", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-tip]") : null;
    if (el) showTip(el.getAttribute("data-tip"), ev);
    else if (!ev.target.closest || !ev.target.closest(".hover")) hideTip();
  });

  function toSVG(svg, ev) {
    var p = svg.createSVGPoint();
    p.x = ev.clientX; p.y = ev.clientY;
    var m = svg.getScreenCTM();
    return m ? p.matrixTransform(m.inverse()) : p;
  }

  // Line charts: the values of every visible series at the x nearest the cursor.
  function lineHover(svg, d) {
    var hover = svg.querySelector(".hover"), guide = svg.querySelector(".guide");
    if (!hover || !d.px || d.px.length === 0) return;
    hover.addEventListener("mousemove", function (ev) {
      var x = toSVG(svg, ev).x, lo = 0, hi = d.px.length - 1;
      while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (d.px[mid] < x) lo = mid; else hi = mid; }
      var i = Math.abs(d.px[lo] - x) <= Math.abs(d.px[hi] - x) ? lo : hi;
      guide.setAttribute("x1", d.px[i]); guide.setAttribute("x2", d.px[i]);
      guide.setAttribute("visibility", "visible");
      var lines = [d.x[i]];
      d.s.forEach(function (s, k) {
        var g = svg.querySelector('g[data-series="' + k + '"]:not(.lg)');
        if (s.v[i] && !(g && g.classList.contains("hide"))) lines.push(s.n + ": " + s.v[i]);
      });
      showTip(lines.join("\n"), ev);
    });
    hover.addEventListener("mouseleave", function () { guide.setAttribute("visibility", "hidden"); hideTip(); });
  }

  // Legend entries hide and show their series.
  function legend(svg) {
    svg.querySelectorAll(".lg").forEach(function (item) {
      function toggle() {
        var on = item.classList.toggle("dim");
        item.setAttribute("aria-pressed", on ? "false" : "true");
        svg.querySelectorAll('g[data-series="' + item.getAttribute("data-series") + '"]:not(.lg)').forEach(function (g) {
          g.classList.toggle("hide", on);
        });
      }
      item.addEventListener("click", toggle);
      item.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(); }
      });
    });
  }

  // Measure every chart first and mark them after: a mark between two measurements would
  // make the browser lay the page out again for each chart.
  var figures = document.querySelectorAll("figure[data-chart]"), drawn = 0, empty = [], ok = [];
  figures.forEach(function (fig) {
    var svg = fig.querySelector("svg.chart");
    if (!svg) { ok.push(false); return; }
    var data = fig.querySelector("script.cd");
    if (data) {
      var d = JSON.parse(data.textContent);
      if (d.k === "line") lineHover(svg, d);
    }
    legend(svg);
    var marks = parseInt(svg.getAttribute("data-marks") || "0", 10);
    // A chart in a closed section has no box yet; it drew if it has marks.
    ok.push(marks > 0 && (fig.closest("details:not([open])") !== null || svg.getBoundingClientRect().width > 0));
  });
  figures.forEach(function (fig, i) {
    if (ok[i]) { fig.setAttribute("data-drawn", "1"); drawn++; } else empty.push(fig.id);
  });
  window.benchtuiReport = { charts: figures.length, drawn: drawn, empty: empty, readyMS: performance.now() };
  root.setAttribute("data-ready", "1");
})();
