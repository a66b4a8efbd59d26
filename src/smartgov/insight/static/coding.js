// Free span selection for coding: a selection inside the text (mouse, or Shift+arrows from a caret)
// fills the hidden start/end offsets, counted in code points of the source text as REFI-QDA does.
// Without this script the form codes the chosen sentence whole.
(function () {
  "use strict";
  var text = document.getElementById("source-text");
  var start = document.getElementById("f-start"), end = document.getElementById("f-end");
  var status = document.getElementById("selection-status");
  if (!text || !start || !end) { return; }
  text.setAttribute("tabindex", "0");
  function offset(node, within) {
    var el = node.nodeType === 3 ? node.parentNode : node;
    var unit = el.closest ? el.closest(".unit-text") : null;
    if (!unit) { return null; }
    var before = node.nodeType === 3 ? node.data.slice(0, within) : "";
    return Number(unit.dataset.start) + Array.from(before).length;
  }
  document.addEventListener("selectionchange", function () {
    var sel = document.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { start.value = ""; end.value = ""; status.textContent = ""; return; }
    var a = offset(sel.anchorNode, sel.anchorOffset), b = offset(sel.focusNode, sel.focusOffset);
    if (a === null || b === null || a === b) { return; }
    start.value = Math.min(a, b); end.value = Math.max(a, b);
    status.textContent = sel.toString().slice(0, 120);
  });
  document.querySelectorAll("[data-color]").forEach(function (el) { el.style.color = el.dataset.color; });
})();
