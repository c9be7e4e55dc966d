// annotator's own behaviour on top of htmx: keyboard review, the selection adder, the menu,
// the panel sheet, focus that stays where you work, and polite confirmations.
//
// Nothing typed in the claim panel is dropped: before anything replaces the panel or leaves
// the page (a/x, j/k, Esc, the close button, a claim in the list or the text, a workflow
// action, a link), the claim's form is saved with its version and only then does the action
// run; a refusal or a conflict is shown and the action does not run. Any other text typed
// in the panel (a note, a source, a comment) is asked about in a dialog whose first button
// saves it. Saving one form of the panel keeps what was typed in the others.
(function () {
  "use strict";

  var pendingFocus = null;   // "panel": focus the panel after the next swap; "field": its first field
  var advanceAfter = false;  // after a/x: go on to the next proposal once the panel is back
  var kept = null;           // where focus was inside the panel before a swap
  var afterSave = null;      // what to run once the save in flight has landed
  var carried = null;        // what was typed in the panel's other forms, put back after a swap
  var loading = 0;           // requests in flight that will replace the panel
  var loadingSince = 0;
  var queued = [];           // triage keys pressed while the panel was loading

  function $(sel, root) { return (root || document).querySelector(sel); }
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function items() { return all("#claim-list .claim-item"); }
  function panel() { return document.getElementById("claim-panel"); }
  function claimForm(root) { return $("form.claim-form", root || panel() || document); }

  function announce(text) {
    var region = document.getElementById("announce");
    if (!region || !text) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  // -- highlights and list follow the claims' states without a reload
  var RANK = { dismissed: 0, held_back: 0, proposed: 1, open: 2, in_progress: 3, in_review: 4, approved: 5 };

  function paintHighlights() {
    all("#article-body .hl").forEach(function (el) {
      var top = null;
      (el.dataset.claims || "").split(" ").forEach(function (id) {
        var li = document.getElementById("claim-item-" + id);
        if (!li || !li.dataset.state) { return; }
        var rank = RANK[li.dataset.state] === undefined ? 1 : RANK[li.dataset.state];
        if (!top || rank > top.rank) { top = { rank: rank, state: li.dataset.state, verdict: li.dataset.verdict || "" }; }
      });
      if (!top) { return; }
      Array.prototype.slice.call(el.classList).forEach(function (c) {
        if (c.indexOf("st-") === 0 || c.indexOf("verdict-") === 0) { el.classList.remove(c); }
      });
      el.classList.add("st-" + top.state);
      if (top.state === "approved" && top.verdict) { el.classList.add("verdict-" + top.verdict); }
    });
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
    return list.findIndex(function (li) { return id ? li.dataset.claim === id : li.classList.contains("current"); });
  }

  function open(li, focus) {
    var link = li && li.querySelector("a");
    if (!link) { return false; }
    pendingFocus = focus || "panel";
    link.click();
    return true;
  }

  function move(step) {
    var list = items();
    if (!list.length) { return false; }
    var i = currentIndex(list);
    return open(list[Math.max(0, Math.min(list.length - 1, i < 0 ? 0 : i + step))]);
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
    if (!p || !p.classList.contains("htmx-added")) { fn(); return; }
    var done = false;
    function run() { if (!done) { done = true; fn(); } }
    p.addEventListener("htmx:load", run, { once: true });
    // Should that panel be replaced before it settles, the newest one is waited for instead.
    window.setTimeout(function () { if (!done && !document.body.contains(p)) { done = true; whenSettled(fn); } }, 400);
  }

  function firstField(root) {
    return root && root.querySelector("textarea:not([readonly]), input:not([type=hidden]):not([readonly]), select:not([disabled])");
  }

  function focusPanel(p) {
    var col = p.closest(".panel-col");
    if (col) { col.scrollTop = 0; }
    p.focus({ preventScroll: true });
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

  // -- what is typed but not saved
  function isField(el) {
    return el.name && !el.disabled && !el.readOnly && el.name !== "csrf_token" &&
      !/^(hidden|submit|button|reset|file|image)$/.test(el.type);
  }

  function fieldChanged(el) {
    if (el.type === "checkbox" || el.type === "radio") { return el.checked !== el.defaultChecked; }
    if (el.tagName === "SELECT") {
      var def = -1;
      for (var i = 0; i < el.options.length; i++) { if (el.options[i].defaultSelected) { def = i; } }
      if (def < 0 && el.options.length && !el.multiple) { def = 0; }
      return el.selectedIndex !== def;
    }
    return el.value !== el.defaultValue;
  }

  function changed(form) {
    // A workflow action's choice (assignee, split point) is not typing; its comment is.
    var choices = form.classList.contains("action") || !!form.closest(".span-tools");
    return Array.prototype.some.call(form.elements, function (el) {
      return isField(el) && !(choices && el.tagName === "SELECT") && fieldChanged(el);
    });
  }

  function describe(form) {
    if (form.closest(".conflict")) { return { what: "your version of the claim: someone else saved theirs first", save: "Keep mine, then go on" }; }
    if (form.classList.contains("note-form")) { return { what: "a note", save: "Add the note, then go on" }; }
    if (form.classList.contains("blind-form")) { return { what: "your independent verdict", save: "Record it, then go on" }; }
    if (form.classList.contains("source-form")) {
      return form.closest(".add-source") ? { what: "a new source", save: "Add the source, then go on" }
        : { what: "changes to a source", save: "Save the source, then go on" };
    }
    if (form.classList.contains("action")) {
      var name = form.querySelector("button[type=submit]");
      return { what: "a comment for “" + (name ? name.textContent.trim() : "the action") + "”", save: (name ? name.textContent.trim() : "Send it") + ", then go on" };
    }
    return { what: "text in the panel", save: "Save it, then go on" };
  }

  // A form the server refused shows what was typed as its text: still not saved.
  function refused(form) {
    return !form.dataset.discarded && !!form.querySelector("[aria-invalid=true], .form-error, .field-error") &&
      Array.prototype.some.call(form.elements, function (el) { return isField(el) && el.value && el.type !== "radio"; });
  }

  // The first unsaved thing in the open claim's panel, or null. `except` (a form, or the key
  // of a form: see formKey) is left out: it is the one about to be sent.
  function unsaved(except) {
    var p = panel();
    if (!p || !p.dataset.claim) { return null; }
    if (typeof except === "string") {
      var key = except;
      except = all("form", p).filter(function (f) { return formKey(f) === key; })[0] || null;
    }
    var cf = claimForm(p);
    if (cf && cf !== except && changed(cf)) { return { form: cf, auto: true }; }
    if (cf && cf !== except && refused(cf)) {
      return { form: cf, what: "an edit of the claim that could not be saved", save: "Try saving again, then go on" };
    }
    var forms = all("form", p).filter(function (f) {
      if (f === except || f === cf) { return false; }
      return f.closest(".conflict") ? !!f.querySelector("[name=resolve]") : changed(f) || refused(f);
    });
    if (!forms.length) { return null; }
    var d = describe(forms[0]);
    return { form: forms[0], what: d.what, save: d.save };
  }

  function syncDirty() {
    var p = panel();
    var flag = p && p.querySelector("input[name=dirty]");
    if (flag) { flag.value = unsaved() ? "1" : "0"; }
  }

  function submit(form, submitter) {
    whenSettled(function () { if (document.body.contains(form)) { form.requestSubmit(submitter); } });
  }

  function dropPlans(why) {
    afterSave = null;
    advanceAfter = false;
    pendingFocus = null;
    queued = [];
    if (why) { announce(why); }
  }

  // Run `go` once nothing typed in the panel would be lost by it.
  function guard(go, except) {
    var u = unsaved(except);
    if (!u) { go(); return; }
    if (u.auto) {
      afterSave = function () { guard(go, except); };
      submit(u.form, u.form.querySelector("button[type=submit]") || undefined);
      return;
    }
    ask(u, go, except);
  }

  function ask(u, go, except) {
    var dialog = document.getElementById("unsaved-dialog");
    if (!dialog || !dialog.showModal) {
      // No dialog here: stay, with the text where it is.
      dropPlans("Not done: " + u.what + " is not saved yet.");
      return;
    }
    dialog.querySelector(".unsaved-what").textContent = u.what;
    dialog.querySelector(".unsaved-save").textContent = u.save;
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      var choice = dialog.returnValue;
      if (choice === "save") {
        afterSave = function () { guard(go, except); };
        var button = u.form.querySelector("button[type=submit], button:not([type])");
        submit(u.form, button || undefined);
      } else if (choice === "discard") {
        var box = u.form.closest(".conflict");
        if (box) { box.remove(); } else if (refused(u.form)) { u.form.dataset.discarded = "1"; } else { u.form.reset(); }
        syncDirty();
        guard(go, except);
      } else {
        dropPlans();
        var field = Array.prototype.filter.call(u.form.elements, function (el) { return isField(el) && fieldChanged(el); })[0];
        var details = u.form.closest("details");
        if (details) { details.open = true; }
        if (field) { field.focus(); } else { u.form.scrollIntoView({ block: "nearest" }); }
      }
    }, { once: true });
    dialog.showModal();
  }

  // The form of the new panel that does what `key` named in the old one.
  function formKey(form) {
    var act = form.querySelector("input[name=action]");
    return (form.getAttribute("action") || "") + "|" + (act ? act.value : "");
  }
  function findForm(key, root) {
    return all("form", root).filter(function (f) { return formKey(f) === key; })[0] || null;
  }

  // What was typed in a form: its fields, and the version it was based on (so that a later
  // save of text loaded at an older version still meets a conflict, never overwrites).
  function snapshot(form) {
    var base = form.classList.contains("claim-form");
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || /^(submit|button|reset|file|image)$/.test(el.type)) { return false; }
      if (el.type === "hidden") { return el.name === "updated_at" || (base && el.name === "version"); }
      return true;
    }).map(function (el) { return { name: el.name, type: el.type, value: el.value, checked: el.checked }; });
  }
  function putBack(form, values, visibleOnly) {
    values.forEach(function (v) {
      if (visibleOnly && v.type === "hidden") { return; }
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name !== v.name || el.readOnly || el.disabled) { return; }
        if (el.type === "radio" || el.type === "checkbox") { if (el.value === v.value) { el.checked = v.checked; } }
        else { el.value = v.value; }
      });
    });
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
    if (!close) { return false; }
    guard(function () { window.location.assign(close.href); });
    return true;
  }

  function dialogOpen() { return !!document.querySelector("dialog[open]"); }
  function idle() {
    // A request that never reported back (a lost connection) must not hold the keys forever.
    if (loading && Date.now() - loadingSince > 15000) { loading = 0; }
    return !loading && !advanceAfter && !afterSave && !dialogOpen();
  }

  // Keys pressed while the panel is on its way wait for it, then act on the claim it shows.
  function drain() {
    if (!queued.length || !idle()) { return; }
    whenSettled(function () {
      if (!queued.length || !idle()) { return; }
      var key = queued.shift();
      triage(key);
      window.setTimeout(drain, 0);
    });
  }

  // The keys that act on claims; return whether the key did something.
  function triage(key) {
    if (key === "j" || key === "k") { return move(key === "j" ? 1 : -1); }
    if (key === "Enter") {
      var cur = $("#claim-list .claim-item.current") || $("#claim-list .claim-item");
      if (cur && !$("#claim-panel[data-claim]")) { return open(cur); }
      return false;
    }
    if (key === "a" || key === "x" || key === "d") {
      var which = key === "a" ? "accept" : "dismiss";
      var selector = "#claim-panel .action-" + which + " button:not([disabled])";
      var button = $(selector);
      if (!button) { return false; }
      advanceAfter = true;
      whenSettled(function () {
        // The panel may have been drawn again meanwhile: press the button on screen now.
        var now = document.body.contains(button) ? button : $(selector);
        if (now) { now.click(); } else { dropPlans("Not done: that action is no longer offered."); }
      });
      return true;
    }
    return false;
  }

  document.addEventListener("keydown", function (ev) {
    if (dialogOpen()) { return; }  // a dialog answers its own keys (Esc closes it)
    if (ev.key === "Escape") {
      if (hideHelp()) { ev.preventDefault(); return; }
      var menu = $(".topnav.open");
      if (menu) { toggleMenu(false); ev.preventDefault(); return; }
      var p = panel();
      if (typing(ev.target)) {
        // Out of the field, onto the claim: the next key acts on it.
        if (p && p.contains(ev.target) && p.dataset.claim) { p.focus({ preventScroll: true }); } else { ev.target.blur(); }
        ev.preventDefault();
        return;
      }
      if (p && p.dataset.claim) { closePanel(); ev.preventDefault(); }
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
    var key = ev.key;
    if (key === "Enter" && ev.target.closest("a, button, summary")) { return; }
    if (/^(j|k|a|x|d|Enter)$/.test(key)) {
      if (!items().length) { return; }
      ev.preventDefault();
      // A key waits its turn behind those still queued, even once nothing is in flight (the
      // new panel not settled yet): acting at once would skip ahead of them.
      if (!idle() || queued.length) { if (queued.length < 20) { queued.push(key); } drain(); return; }
      triage(key);
    } else if (key === "e") {
      var field = firstField(panel());
      if (field && panel().dataset.claim) { field.focus(); ev.preventDefault(); }
    } else if (key === "c") {
      syncSelection();
      var form = document.getElementById("new-claim");
      if (form && form.elements.start.value) { form.requestSubmit(); ev.preventDefault(); }
    } else if (/^[1-9]$/.test(key)) {
      var select = $("#claim-panel select[name=verdict]:not([disabled])");
      if (select && select.options.length > Number(key)) {
        // The verdict is chosen, the focus stays on the claim (a select would eat the next key).
        select.selectedIndex = Number(key);
        select.dispatchEvent(new Event("input", { bubbles: true }));
        select.dispatchEvent(new Event("change", { bubbles: true }));
        announce("Verdict: " + select.options[select.selectedIndex].textContent.replace(/^\d+ · /, "") + " (not saved yet)");
        ev.preventDefault();
      }
    }
  });

  // A plain link (not htmx) that leaves the page: save or ask first.
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[href]");
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) { return; }
    if (a.target === "_blank" || a.hasAttribute("download") || a.hasAttribute("hx-get") || a.closest(".conflict")) { return; }
    if ((a.getAttribute("href") || "").charAt(0) === "#") { return; }
    if (!unsaved()) { return; }
    ev.preventDefault();
    guard(function () { window.location.assign(a.href); });
  }, true);

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

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if ((form.getAttribute("method") || "").toLowerCase() === "dialog") { return; }
    // A click on a just-swapped form before htmx has wired it: hold it until the swap
    // settles, then submit it through htmx, instead of letting the browser leave the page.
    var host = form.closest && form.closest(".htmx-added");
    var submitter = ev.submitter && ev.submitter.form === form ? ev.submitter : undefined;
    if (host) {
      ev.preventDefault();
      host.addEventListener("htmx:load", function () { form.requestSubmit(submitter); }, { once: true });
      return;
    }
    // A plain form (no htmx) leaves the page: what is typed in the panel is saved first.
    if (form.hasAttribute("hx-post") || !unsaved(form)) { return; }
    ev.preventDefault();
    var p = panel();
    if (!p || !p.contains(form)) { guard(function () { form.requestSubmit(submitter); }, form); return; }
    // A form of the panel is drawn again by the save: the new one is sent, with what was typed.
    var key = formKey(form);
    var typed = snapshot(form);
    guard(function () {
      var twin = findForm(key, panel());
      if (!twin) { dropPlans("Saved; that form is no longer offered for this claim."); return; }
      putBack(twin, typed, true);
      submit(twin);
    }, key);
  }, true);
  // The adder must not clear the selection before its click lands.
  document.addEventListener("mousedown", function (ev) { if (ev.target.closest("#adder")) { ev.preventDefault(); } });

  // The last word: a reload, the back button or a closed tab with text still unsaved.
  window.addEventListener("beforeunload", function (ev) {
    if (unsaved()) { ev.preventDefault(); ev.returnValue = ""; }
  });

  function toggleMenu(force) {
    var nav = document.getElementById("topnav");
    var button = $(".menu-toggle");
    if (!nav || !button) { return; }
    var on = force === undefined ? !nav.classList.contains("open") : force;
    nav.classList.toggle("open", on);
    button.setAttribute("aria-expanded", on ? "true" : "false");
    if (!on) { button.focus(); }
  }

  // Typing marks the panel unsaved: the live poll then only warns instead of re-rendering it.
  document.addEventListener("input", function (ev) {
    var p = panel();
    if (p && p.contains(ev.target) && ev.target.name !== "dirty") { syncDirty(); }
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

  function targetsPanel(detail) {
    var t = detail && (detail.target || (detail.requestConfig && detail.requestConfig.target));
    return !!t && t.id === "claim-panel";
  }
  // A request that will draw a new panel (the live poll only ever answers with a notice).
  function loadsPanel(detail) {
    var elt = detail && (detail.elt || (detail.requestConfig && detail.requestConfig.elt));
    return targetsPanel(detail) && !(elt && elt.id === "claim-live");
  }

  // Anything about to replace the panel (an action, another claim, "Show their change") waits
  // until what is typed in it is saved; saving one of its forms keeps the others' text.
  document.addEventListener("htmx:confirm", function (ev) {
    var d = ev.detail;
    var elt = d.elt;
    // The live poll may redraw the panel: never while a save, an action or a key is pending
    // (its swap would be taken for theirs); the next poll comes a few seconds later.
    if (elt.id === "claim-live" && !idle()) { ev.preventDefault(); return; }
    var p = panel();
    if (!p || !p.dataset.claim || !targetsPanel(d) || elt.id === "claim-live" || elt.closest(".conflict")) { return; }
    var form = elt.tagName === "FORM" ? elt : elt.closest("form");
    var inside = p.contains(elt);
    var acts = form && (form.classList.contains("action") || form.closest(".span-tools"));
    if (form && inside && !acts) { return; }
    var key = form ? formKey(form) : null;
    if (!unsaved(acts ? key : null)) { return; }
    ev.preventDefault();
    if (!inside) { guard(function () { d.issueRequest(true); }); return; }
    // The panel is drawn again by the save: the same action is taken from the new one.
    var typed = form ? snapshot(form) : null;
    var href = elt.getAttribute("hx-get");
    guard(function () {
      var again = panel();
      if (key) {
        var twin = findForm(key, again);
        if (!twin) { announce("Saved; that action is no longer offered for this claim."); dropPlans(); return; }
        putBack(twin, typed, true);
        submit(twin, twin.querySelector("button[type=submit]") || undefined);
      } else {
        var link = all("[hx-get]", again).filter(function (x) { return x.getAttribute("hx-get") === href; })[0];
        if (link) { whenSettled(function () { link.click(); }); }
      }
    }, acts ? key : null);
  });

  document.addEventListener("htmx:beforeRequest", function (ev) {
    if (loadsPanel(ev.detail)) { loading += 1; loadingSince = Date.now(); }
  });
  document.addEventListener("htmx:afterRequest", function (ev) {
    if (!loadsPanel(ev.detail)) { return; }
    loading = Math.max(0, loading - 1);
    if (!ev.detail.successful && (afterSave || advanceAfter || queued.length)) {
      dropPlans("Not done: the server did not answer. What you typed is still in the panel.");
    }
    window.setTimeout(drain, 0);
  });
  document.addEventListener("htmx:afterSettle", function () { window.setTimeout(drain, 0); });

  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (!ev.detail.target || ev.detail.target.id !== "claim-panel") { return; }
    var from = ev.detail.requestConfig && ev.detail.requestConfig.elt;
    if (from && from.id === "claim-live" && (!idle() || queued.length || unsaved())) {
      // A live redraw asked for before a key, a save or some typing: it would be taken for
      // their answer (or drop the typing). Skip it; the next poll sees the claim as it is.
      ev.detail.shouldSwap = false;
      return;
    }
    var old = ev.detail.target;
    kept = focusKey(document.activeElement);
    var src = ev.detail.requestConfig && ev.detail.requestConfig.elt;
    var sent = src && (src.tagName === "FORM" ? src : src.closest && src.closest("form"));
    carried = {
      claim: old.dataset.claim,
      forms: all("form", old).filter(function (f) {
        return f !== sent && !f.closest(".conflict") && changed(f);
      }).map(function (f) { return { key: formKey(f), values: snapshot(f) }; })
    };
  });

  document.addEventListener("htmx:oobAfterSwap", function () {
    var p = panel();
    if (p && p.dataset.claim) { markCurrent(p.dataset.claim, true); }
    paintHighlights();
  });

  document.addEventListener("htmx:afterSwap", function (ev) {
    var p = panel();
    if (!p || ev.detail.target !== p && ev.detail.target.id !== "claim-panel") { return; }
    markCurrent(p.dataset.claim);
    paintHighlights();
    // What was typed in the panel's other forms comes back into the new one.
    var back = carried;
    carried = null;
    if (back && back.claim === p.dataset.claim) {
      back.forms.forEach(function (f) {
        var twin = findForm(f.key, p);
        if (!twin) { return; }
        putBack(twin, f.values, false);
        var details = twin.closest("details");
        if (details) { details.open = true; }
      });
    }
    syncDirty();
    if (p.dataset.saved) { announce(p.dataset.saved); }
    if (afterSave) {
      var then = afterSave;
      afterSave = null;
      var refused = ev.detail.xhr && ev.detail.xhr.status >= 300 ||
        p.querySelector(".conflict, .form-error, [aria-invalid=true]");
      if (refused) {
        dropPlans("Not done: the save was refused. Your text is kept in the panel.");
        focusFirstError(p);
      } else {
        whenSettled(then);
      }
      kept = null;
      return;
    }
    // Only the answer to the workflow action itself moves on to the next proposal: another
    // redraw of the panel meanwhile (a save, a live update) is not that answer.
    var src = ev.detail.requestConfig && ev.detail.requestConfig.elt;
    var srcForm = src && (src.tagName === "FORM" ? src : src.closest && src.closest("form"));
    if (advanceAfter && srcForm && srcForm.classList.contains("action")) {
      advanceAfter = false;
      if (!p.querySelector(".flash.error, .form-error") && nextProposal()) { kept = null; return; }
    }
    if (focusFirstError(p)) { kept = null; pendingFocus = null; return; }
    var addedSource = kept && kept.action && /\/sources$/.test(kept.action) && p.dataset.saved;
    if (pendingFocus === "panel") {
      focusPanel(p);
    } else if (pendingFocus === "field") {
      (firstField(p) || p).focus();
    } else if (addedSource && $(".add-source input[name=url]", p)) {
      // The form stays open, empty, for the next source.
      $(".add-source input[name=url]", p).focus();
    } else if (kept) {
      if (!restore(kept)) { p.focus({ preventScroll: true }); }
    }
    pendingFocus = null;
    kept = null;
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
