// annotator's own behaviour on top of htmx: keyboard review, the selection adder, the menu,
// the panel sheet, focus that stays where you work, and polite confirmations.
(function () {
  "use strict";

  var pendingFocus = null;   // "field": focus the panel's first field after the next swap
  var advanceAfter = false;  // after a/x: go on to the next proposal once the panel is back
  var kept = null;           // where focus was inside the panel before a swap

  function $(sel, root) { return (root || document).querySelector(sel); }
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function items() { return all("#claim-list .claim-item"); }
  function panel() { return document.getElementById("claim-panel"); }

  function announce(text) {
    var region = document.getElementById("announce");
    if (!region || !text) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function markCurrent(id, quiet) {
    items().forEach(function (li) {
      var on = li.dataset.claim === String(id);
      li.classList.toggle("current", on);
      var a = li.querySelector("a");
      if (a) { if (on) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); } }
    });
    all("#article-body .hl").forEach(function (el) {
      el.classList.toggle("current", (el.dataset.claims || "").split(" ").indexOf(String(id)) >= 0);
    });
    document.body.classList.toggle("has-sheet", !!id);
    if (quiet) { return; }
    var li = $('#claim-list .claim-item[data-claim="' + id + '"]');
    if (li) { li.scrollIntoView({ block: "nearest" }); }
    var hl = $("#article-body .hl.current");
    if (hl && window.innerWidth > 900) { hl.scrollIntoView({ block: "nearest" }); }
  }

  function currentIndex(list) {
    var p = panel();
    var id = p && p.dataset.claim;
    var i = list.findIndex(function (li) { return id ? li.dataset.claim === id : li.classList.contains("current"); });
    return i;
  }

  function open(li) {
    var link = li && li.querySelector("a");
    if (!link) { return false; }
    pendingFocus = "field";
    link.click();
    return true;
  }

  function move(step) {
    var list = items();
    if (!list.length) { return; }
    var i = currentIndex(list);
    open(list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))]);
  }

  function nextProposal() {
    var list = items();
    var i = currentIndex(list);
    for (var k = i + 1; k < list.length; k++) {
      if (list[k].dataset.state === "proposed") { return open(list[k]); }
    }
    return false;
  }

  // htmx wires a swapped-in panel's forms only once it settles (the htmx-added class goes);
  // a key pressed in between would submit the bare form and leave the page.
  function whenSettled(fn) {
    var p = panel();
    if (p && p.classList.contains("htmx-added")) {
      p.addEventListener("htmx:load", function () { fn(); }, { once: true });
    } else {
      fn();
    }
  }

  function firstField(root) {
    return root && root.querySelector("textarea:not([readonly]), input:not([type=hidden]):not([readonly]), select:not([disabled])");
  }

  function focusFirstError(root) {
    var bad = (root || document).querySelector("[aria-invalid=true]");
    if (bad) {
      if (bad.tagName === "FIELDSET") { bad = bad.querySelector("input") || bad; }
      bad.focus();
      return true;
    }
    return false;
  }

  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  // -- the selection: offsets in the article's text, the hidden form and the floating adder
  function offsetOf(node, offset) {
    var el = node.nodeType === 3 ? node.parentElement : node;
    while (el && !(el.dataset && el.dataset.start !== undefined && el.parentElement && el.parentElement.tagName === "P")) {
      if (el.tagName === "P" && el.dataset.start !== undefined) {
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
    return { start: start, end: end, rect: range.getBoundingClientRect() };
  }

  function syncSelection() {
    var form = document.getElementById("new-claim");
    if (!form) { return; }
    var span = selectionSpan();
    form.elements.start.value = span ? span.start : "";
    form.elements.end.value = span ? span.end : "";
    form.querySelector("button").disabled = !span;
    var adder = document.getElementById("adder");
    if (!adder) { return; }
    if (!span) { adder.hidden = true; return; }
    adder.hidden = false;
    var top = span.rect.top + window.scrollY - adder.offsetHeight - 6;
    var left = Math.min(span.rect.right + window.scrollX - adder.offsetWidth / 2,
                        document.documentElement.clientWidth - adder.offsetWidth - 8);
    adder.style.top = Math.max(0, top) + "px";
    adder.style.left = Math.max(8, left) + "px";
  }

  document.addEventListener("selectionchange", syncSelection);
  document.addEventListener("mouseup", syncSelection);

  // -- the keys overlay
  var helpReturn = null;
  function showHelp() {
    var help = document.getElementById("keys-help");
    if (!help) { return; }
    helpReturn = document.activeElement;
    help.hidden = false;
    help.querySelector(".keys-close").focus();
  }
  function hideHelp() {
    var help = document.getElementById("keys-help");
    if (!help || help.hidden) { return false; }
    help.hidden = true;
    if (helpReturn && helpReturn.focus) { helpReturn.focus(); }
    return true;
  }

  function closePanel() {
    var close = $("#claim-panel .panel-head .close");
    if (close) { window.location.assign(close.href); return true; }
    return false;
  }

  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      if (hideHelp()) { ev.preventDefault(); return; }
      var menu = $(".topnav.open");
      if (menu) { toggleMenu(false); ev.preventDefault(); return; }
      var p = panel();
      if (typing(ev.target)) { ev.target.blur(); ev.preventDefault(); return; }
      if (p && p.dataset.claim) {
        var dirty = p.querySelector("input[name=dirty]");
        if (dirty && dirty.value === "1") { announce("Unsaved changes in the panel: save them first."); return; }
        closePanel(); ev.preventDefault();
      }
      return;
    }
    var help = document.getElementById("keys-help");
    if (help && !help.hidden) {
      // The help is modal: Tab stays on its one button, other keys do nothing underneath.
      if (ev.key === "Tab") { help.querySelector(".keys-close").focus(); ev.preventDefault(); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
    if (ev.key === "?") { showHelp(); ev.preventDefault(); return; }
    if (ev.key === "j") { move(1); ev.preventDefault(); }
    else if (ev.key === "k") { move(-1); ev.preventDefault(); }
    else if (ev.key === "Enter" && !ev.target.closest("a, button, summary")) {
      var cur = $("#claim-list .claim-item.current a") || $("#claim-list .claim-item a");
      if (cur && !$("#claim-panel[data-claim]")) { pendingFocus = "field"; cur.click(); ev.preventDefault(); }
    } else if (ev.key === "c") {
      syncSelection();
      var form = document.getElementById("new-claim");
      if (form && form.elements.start.value) { form.requestSubmit(); ev.preventDefault(); }
    } else if (ev.key === "x" || ev.key === "d" || ev.key === "a") {
      var which = ev.key === "a" ? "accept" : "dismiss";
      var button = $("#claim-panel .action-" + which + " button:not([disabled])");
      if (button) { advanceAfter = true; whenSettled(function () { button.click(); }); ev.preventDefault(); }
    } else if (/^[1-9]$/.test(ev.key)) {
      var select = $("#claim-panel select[name=verdict]:not([disabled])");
      if (select && select.options.length > Number(ev.key)) {
        select.selectedIndex = Number(ev.key);
        select.dispatchEvent(new Event("input", { bubbles: true }));
        select.dispatchEvent(new Event("change", { bubbles: true }));
        select.focus();
        ev.preventDefault();
      }
    }
  });

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.closest(".menu-toggle")) { toggleMenu(); return; }
    if (t.closest(".keys-open")) { showHelp(); return; }
    if (t.closest(".keys-close") || t.id === "keys-help") { hideHelp(); return; }
    if (t.closest("#adder")) {
      var form = document.getElementById("new-claim");
      if (form && form.elements.start.value) { form.requestSubmit(); }
    }
  });
  // A click on a just-swapped form before htmx has wired it: hold it until the swap settles,
  // then submit it through htmx, instead of letting the browser leave the page.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var host = form.closest && form.closest(".htmx-added");
    if (!host) { return; }
    ev.preventDefault();
    var submitter = ev.submitter && ev.submitter.form === form ? ev.submitter : undefined;
    host.addEventListener("htmx:load", function () { form.requestSubmit(submitter); }, { once: true });
  }, true);
  // The adder must not clear the selection before its click lands.
  document.addEventListener("mousedown", function (ev) { if (ev.target.closest("#adder")) { ev.preventDefault(); } });

  function toggleMenu(force) {
    var nav = document.getElementById("topnav");
    var button = $(".menu-toggle");
    if (!nav || !button) { return; }
    var on = force === undefined ? !nav.classList.contains("open") : force;
    nav.classList.toggle("open", on);
    button.setAttribute("aria-expanded", on ? "true" : "false");
    if (!on) { button.focus(); }
  }

  // Edits not yet saved: the live poll then only warns instead of re-rendering the panel.
  document.addEventListener("input", function (ev) {
    var p = panel();
    if (p && p.contains(ev.target) && ev.target.name !== "dirty") {
      var flag = p.querySelector("input[name=dirty]");
      if (flag) { flag.value = "1"; }
    }
  });

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.classList && t.classList.contains("check-all")) {
      t.form.querySelectorAll("input[name=claim]").forEach(function (box) { box.checked = t.checked; });
    }
    if (t.classList && t.classList.contains("dismissed-toggle")) {
      document.body.classList.toggle("show-dismissed", t.checked);
      try { window.localStorage.setItem("annotator.showDismissed", t.checked ? "1" : ""); } catch (e) { /* private mode */ }
    }
  });

  // -- focus stays where you work across a panel swap
  function focusKey(el) {
    var p = panel();
    if (!el || !p || !p.contains(el) || el === p) { return null; }
    if (el.id) { return { id: el.id }; }
    var form = el.form || el.closest("form");
    if (form) { return { action: form.getAttribute("action"), index: Array.prototype.indexOf.call(form.elements, el) }; }
    return null;
  }

  function restore(key) {
    var el = null;
    if (key.id) { el = document.getElementById(key.id); }
    else {
      var form = all("#claim-panel form").filter(function (f) { return f.getAttribute("action") === key.action; })[0];
      el = form && form.elements[key.index];
    }
    if (el && !el.disabled) { el.focus({ preventScroll: true }); return true; }
    return false;
  }

  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (ev.detail.target && ev.detail.target.id === "claim-panel") { kept = focusKey(document.activeElement); }
  });

  document.addEventListener("htmx:oobAfterSwap", function () {
    var p = panel();
    if (p && p.dataset.claim) { markCurrent(p.dataset.claim, true); }
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    var p = panel();
    if (!p || ev.detail.target !== p && ev.detail.target.id !== "claim-panel") { return; }
    markCurrent(p.dataset.claim);
    if (advanceAfter) {
      advanceAfter = false;
      if (!p.querySelector(".flash.error, .form-error") && nextProposal()) { return; }
    }
    if (focusFirstError(p)) { kept = null; pendingFocus = null; return; }
    if (pendingFocus === "field") {
      pendingFocus = null;
      var field = firstField(p) || p;
      field.focus();
    } else if (kept) {
      if (!restore(kept)) { p.focus({ preventScroll: true }); }
    }
    kept = null;
    if (p.dataset.saved) { announce(p.dataset.saved); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    try {
      if (window.localStorage.getItem("annotator.showDismissed")) {
        document.body.classList.add("show-dismissed");
        var box = $(".dismissed-toggle");
        if (box) { box.checked = true; }
      }
    } catch (e) { /* private mode */ }
    syncSelection();
    var p = panel();
    if (p && p.dataset.claim) { markCurrent(p.dataset.claim); }
    focusFirstError(document);
  });
})();
