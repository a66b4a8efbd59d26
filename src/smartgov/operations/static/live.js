/* The operations pages' live updates: server-sent events from /operations/events replace the parts
   of the page that changed (drawn by the server, in the page's language). Without JavaScript, or
   without EventSource, the page is the same, only reloaded by hand. */
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  if (!status || !window.EventSource) { return; }
  var source = new EventSource(status.dataset.events);
  var updates = 0;
  function changed() {
    updates += 1;
    status.setAttribute("data-updates", String(updates));
  }
  source.addEventListener("open", function () { status.hidden = false; });
  ["summary", "alerts", "incidents"].forEach(function (name) {
    source.addEventListener(name, function (event) {
      var target = document.getElementById("live-" + name);
      if (target) { target.innerHTML = event.data; changed(); }
    });
  });
  source.addEventListener("values", function (event) {
    var cells = JSON.parse(event.data);
    Object.keys(cells).forEach(function (id) {
      var target = document.getElementById(id);
      if (target) { target.innerHTML = cells[id]; }
    });
    changed();
  });
  source.addEventListener("end", function () { status.hidden = true; });
  source.addEventListener("error", function () { if (source.readyState === EventSource.CLOSED) { status.hidden = true; } });
})();
