"use strict";
// The steppers of a model page: every counterexample is ready at its first step; the one in use
// (the last clicked, the first at the start) highlights its step in the source pane and answers
// the arrow keys: right/left (or j/k) the next/previous step, Home/End the first/last.
(function () {
  var data = JSON.parse(document.getElementById("traces").textContent);
  var colours = JSON.parse(document.getElementById("colours").textContent);
  var rows = document.querySelectorAll("table.src tr");
  var pos = data.map(function () { return 0; });
  var active = 0;
  function clear() {
    for (var i = 0; i < rows.length; i++) {
      rows[i].classList.remove("cur");
      rows[i].querySelector("td.c").style.background = "";
      rows[i].querySelector("td.who").textContent = "";
    }
  }
  function row(s) { return document.getElementById((s.fi ? "F" + s.fi : "") + "L" + s.line); }
  function showFile(fi) {  // the source pane shows the file of the current step (a model or a header)
    var files = document.querySelectorAll("div.file");
    for (var i = 0; i < files.length; i++) files[i].hidden = (files[i].dataset.fi !== String(fi || 0));
  }
  function clamp(t, k) { return Math.max(0, Math.min(k, data[t].steps.length - 1)); }
  function render(t, k) {  // the stepper's own box: position, current step, buttons, list
    var tr = data[t], s = tr.steps[k];
    var box = document.getElementById("stepper-" + t);
    box.querySelector(".pos").textContent = "step " + (k + 1) + " / " + tr.steps.length;
    box.querySelector(".now").textContent = (k + 1) + ". " + s.thread + "  " + s.func + ":" + s.where +
      "  " + s.text + (s.ops.length ? "\n    " + s.ops.join("\n    ") : "") + (s.note ? "\n    !! " + s.note : "");
    box.querySelector("button.prev").disabled = (k === 0);
    box.querySelector("button.next").disabled = (k === tr.steps.length - 1);
    var items = box.querySelectorAll("ol.steps li");
    for (var j = 0; j < items.length; j++) items[j].classList.toggle("cur", j === k);
  }
  function show(t, k) {
    k = clamp(t, k);
    pos[t] = k;
    active = t;
    var tr = data[t];
    clear();
    var last = {};
    for (var i = 0; i <= k; i++) last[tr.steps[i].tid] = tr.steps[i];
    Object.keys(last).forEach(function (tid) {
      var s = last[tid], r = row(s);
      if (!r) return;
      var c = colours[tr.threads.indexOf(s.thread) % colours.length];
      r.querySelector("td.c").style.background = c + "33";
      var who = r.querySelector("td.who");
      who.textContent = (who.textContent ? who.textContent + " " : "") + s.thread;
      who.style.color = c;
    });
    var s = tr.steps[k], cur = row(s);
    showFile(s.fi);
    if (cur) {
      cur.classList.add("cur");
      var pane = cur.closest(".source"), a = cur.getBoundingClientRect(), b = pane.getBoundingClientRect();
      if (a.top < b.top || a.bottom > b.bottom) pane.scrollTop += a.top - b.top - b.height / 2;
    }
    render(t, k);
    var boxes = document.querySelectorAll(".stepper");
    for (var m = 0; m < boxes.length; m++) boxes[m].classList.toggle("active", boxes[m].id === "stepper-" + t);
    document.body.dataset.activeTrace = String(t);
    document.body.dataset.activeLine = String(s.line);
  }
  data.forEach(function (tr, t) {
    var box = document.getElementById("stepper-" + t);
    box.querySelector("button.prev").addEventListener("click", function () { show(t, pos[t] - 1); });
    box.querySelector("button.next").addEventListener("click", function () { show(t, pos[t] + 1); });
    box.querySelector("button.first").addEventListener("click", function () { show(t, 0); });
    var items = box.querySelectorAll("ol.steps li");
    for (var j = 0; j < items.length; j++) {
      (function (j) { items[j].addEventListener("click", function () { show(t, j); }); })(j);
    }
    render(t, 0);
  });
  document.addEventListener("keydown", function (e) {
    if (!data.length || e.altKey || e.ctrlKey || e.metaKey) return;
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    var k = {ArrowRight: pos[active] + 1, j: pos[active] + 1, ArrowLeft: pos[active] - 1, k: pos[active] - 1,
             Home: 0, End: data[active].steps.length - 1}[e.key];
    if (k === undefined) return;
    e.preventDefault();
    show(active, k);
  });
  if (data.length) show(0, 0);
})();
