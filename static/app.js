// annotator's own behaviour on top of htmx: keyboard review and making claims from a selection.
(function () {
  "use strict";

  function items() { return Array.from(document.querySelectorAll("#claim-list .claim-item")); }

  function markCurrent(id, quiet) {
    items().forEach(function (li) { li.classList.toggle("current", li.dataset.claim === String(id)); });
    document.querySelectorAll("#article-body .hl").forEach(function (el) {
      el.classList.toggle("current", (el.dataset.claims || "").split(" ").indexOf(String(id)) >= 0);
    });
    var li = document.querySelector('#claim-list .claim-item[data-claim="' + id + '"]');
    if (quiet) { return; }
    if (li) { li.scrollIntoView({ block: "nearest" }); }
    var hl = document.querySelector('#article-body .hl.current');
    if (hl) { hl.scrollIntoView({ block: "nearest" }); }
  }

  function move(step) {
    var list = items();
    if (!list.length) { return; }
    var i = list.findIndex(function (li) { return li.classList.contains("current"); });
    var next = list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))];
    var link = next.querySelector("a");
    if (link) { link.click(); }
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // Offset of a DOM point inside the article body, from the data-start of its segment.
  function offsetOf(node, offset) {
    var el = node.nodeType === 3 ? node.parentElement : node;
    while (el && !(el.dataset && el.dataset.start !== undefined && el.parentElement && el.parentElement.tagName === "P")) {
      if (el.tagName === "P" && el.dataset.start !== undefined) {
        // A point between segments: count the text of the segments before it.
        var total = Number(el.dataset.start);
        for (var k = 0; k < offset && k < el.childNodes.length; k++) { total += el.childNodes[k].textContent.length; }
        return total;
      }
      el = el.parentElement;
    }
    if (!el) { return null; }
    return Number(el.dataset.start) + (node.nodeType === 3 ? offset : 0);
  }

  function selectionSpan() {
    var sel = window.getSelection();
    var body = document.getElementById("article-body");
    if (!sel || sel.isCollapsed || !body || !sel.rangeCount) { return null; }
    var range = sel.getRangeAt(0);
    if (!body.contains(range.startContainer) || !body.contains(range.endContainer)) { return null; }
    var start = offsetOf(range.startContainer, range.startOffset);
    var end = offsetOf(range.endContainer, range.endOffset);
    if (start === null || end === null || end <= start) { return null; }
    return { start: start, end: end };
  }

  function syncSelection() {
    var form = document.getElementById("new-claim");
    if (!form) { return; }
    var span = selectionSpan();
    form.elements.start.value = span ? span.start : "";
    form.elements.end.value = span ? span.end : "";
    form.querySelector("button").disabled = !span;
  }

  document.addEventListener("selectionchange", syncSelection);
  document.addEventListener("mouseup", syncSelection);
  document.addEventListener("keyup", function (ev) { if (ev.shiftKey || ev.key.indexOf("Arrow") === 0) { syncSelection(); } });

  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    if (ev.key === "j") { move(1); ev.preventDefault(); }
    else if (ev.key === "k") { move(-1); ev.preventDefault(); }
    else if (ev.key === "Enter") {
      var cur = document.querySelector("#claim-list .claim-item.current a") || document.querySelector("#claim-list .claim-item a");
      if (cur && !document.querySelector("#claim-panel[data-claim]")) { cur.click(); ev.preventDefault(); }
    } else if (ev.key === "c") {
      syncSelection();
      var form = document.getElementById("new-claim");
      if (form && form.elements.start.value) { form.requestSubmit(); ev.preventDefault(); }
    } else if (ev.key === "x" || ev.key === "d") {
      var dismiss = document.querySelector("#claim-panel .action-dismiss button");
      if (dismiss) { dismiss.click(); ev.preventDefault(); }
    } else if (ev.key === "a") {
      var accept = document.querySelector("#claim-panel .action-accept button");
      if (accept) { accept.click(); ev.preventDefault(); }
    }
  });

  // Edits not yet saved: the live poll then only warns instead of re-rendering the panel.
  document.addEventListener("input", function (ev) {
    var panel = document.getElementById("claim-panel");
    if (panel && panel.contains(ev.target) && ev.target.name !== "dirty") {
      var flag = panel.querySelector("input[name=dirty]");
      if (flag) { flag.value = "1"; }
    }
  });

  document.addEventListener("change", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("check-all")) {
      ev.target.form.querySelectorAll("input[name=claim]").forEach(function (box) { box.checked = ev.target.checked; });
    }
  });

  document.addEventListener("htmx:oobAfterSwap", function () {
    var panel = document.getElementById("claim-panel");
    if (panel && panel.dataset.claim) { markCurrent(panel.dataset.claim, true); }
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    var panel = document.getElementById("claim-panel");
    if (panel && panel.dataset.claim) { markCurrent(panel.dataset.claim); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    syncSelection();
    var panel = document.getElementById("claim-panel");
    if (panel && panel.dataset.claim) { markCurrent(panel.dataset.claim); }
  });
})();
