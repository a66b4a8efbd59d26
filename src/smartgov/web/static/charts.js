/* Draws every Plotly figure whose JSON the page embeds; the tables beside them hold the same numbers. */
(function () {
  "use strict";
  if (!window.Plotly) { return; }
  document.querySelectorAll("script.plotly-figure").forEach(function (el) {
    var target = document.getElementById(el.dataset.target);
    if (!target) { return; }
    var fig = JSON.parse(el.textContent);
    window.Plotly.newPlot(target, fig.data, fig.layout, {displaylogo: false, responsive: true}).then(function () {
      target.setAttribute("data-drawn", "true");
    });
  });
})();
