// The CFIR workbench page. Every text from the notes reaches the page through textContent, never as HTML.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const state = {
  files: [], name: null, file: null, codes: [], byId: {}, ratings: [],
  current: -1,          // index of the paragraph the keyboard is on
  selection: null,      // {line, text}
  chosen: [],           // [{id, label, rating}]
  suggestions: [],
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c);
  return node;
}

async function api(path, body) {
  const opts = {headers: {"X-Workbench-Token": TOKEN}};
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const response = await fetch(path, opts);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: response.statusText}; }
  return {status: response.status, data};
}

function say(text) { $("status").textContent = text; }

function message(text, kind = "error", action = null) {
  const box = $("message");
  box.textContent = "";
  box.className = kind === "ok" ? "ok" : "";
  if (!text) return;
  box.append(el("div", {text}));
  if (action) {
    const button = el("button", {type: "button", text: action.label, id: action.id || ""});
    button.addEventListener("click", action.run);
    box.append(button);
    button.focus();
  }
}

// ---- the notes ---------------------------------------------------------------------------------------------

function blocks() { return Array.from($("doc").querySelectorAll(".block.text")); }

function renderFile() {
  const f = state.file;
  const doc = $("doc");
  doc.textContent = "";
  $("file-meta").textContent = `case ${f.case || "(none)"} · ${f.source}` + (f.meta.date ? ` · ${f.meta.date}` : "");
  f.blocks.forEach((b, i) => {
    if (b.kind === "heading") {
      doc.append(el("h4", {class: "block heading", text: b.text.replace(/^#+\s*/, "")}));
      return;
    }
    const p = el("div", {class: "block text" + (b.bullet ? " bullet" : "") + (b.codes.length ? " coded" : ""),
                         id: `b${b.line}`, "data-line": String(b.line), "data-end": String(b.end_line),
                         role: "option"});
    p.append(el("span", {class: "clean", text: b.clean}));
    for (const c of b.codes) {
      const chip = el("span", {class: "code", text: c.code + (c.rating !== "M" ? " " + c.rating : "")});
      if (c.memo) chip.append(el("span", {class: "memo", text: " | " + c.memo}));
      p.append(" ", chip);
    }
    for (const m of b.markers) p.append(" ", el("span", {class: "marker", text: "to review: " + m}));
    doc.append(p);
  });
  const problems = $("problems");
  problems.textContent = "";
  if (!f.problems.length) problems.append(el("li", {class: "none", text: "No problems: 'cfir validate' finds none."}));
  for (const p of f.problems) problems.append(el("li", {text: p.text}));
  if (state.selection) {
    const again = doc.querySelector(`.block[data-line="${state.selection.line}"]`);
    if (again) again.classList.add("selected");
  }
  setCurrent(Math.min(Math.max(state.current, 0), blocks().length - 1), false);
}

function setCurrent(i, scroll = true) {
  const all = blocks();
  all.forEach((b) => b.classList.remove("current"));
  if (!all.length || i < 0) { state.current = -1; return; }
  state.current = i;
  all[i].classList.add("current");
  $("doc").setAttribute("aria-activedescendant", all[i].id);
  if (scroll) all[i].scrollIntoView({block: "nearest"});
}

async function loadFile(name, keepSelection = false) {
  const {status, data} = await api(`/api/file?name=${encodeURIComponent(name)}`);
  if (status !== 200) { message(data.error || "cannot load the file"); return; }
  state.name = name;
  state.file = data.file;
  if (!keepSelection) { state.selection = null; state.current = 0; showSelection(); }
  renderFile();
  renderProject(data.project);
  say(`${name} loaded`);
}

// ---- the selection and its suggestions ---------------------------------------------------------------------

function showSelection() {
  const box = $("selection");
  if (!state.selection) {
    box.textContent = "Nothing selected yet.";
    box.classList.add("empty");
  } else {
    box.textContent = state.selection.text;
    box.classList.remove("empty");
  }
  document.querySelectorAll("#doc .block.selected").forEach((b) => b.classList.remove("selected"));
  if (state.selection) {
    const b = $("doc").querySelector(`.block[data-line="${state.selection.line}"]`);
    if (b) b.classList.add("selected");
  }
  updatePreview();
}

async function choose(block, text) {
  text = text.replace(/\s+/g, " ").trim();
  if (!text) return;
  state.selection = {line: Number(block.dataset.line), text};
  const i = blocks().indexOf(block);
  if (i >= 0) setCurrent(i, false);
  showSelection();
  message("");
  const t0 = performance.now();
  const {status, data} = await api("/api/suggest", {text, top: 5});
  const ms = performance.now() - t0;
  if (status !== 200) { message(data.error || "no suggestions"); return; }
  state.suggestions = data.candidates;
  renderSuggestions(ms, data);
}

function renderSuggestions(ms, data) {
  const list = $("suggestions");
  list.textContent = "";
  list.dataset.ms = ms.toFixed(1);
  $("timing").textContent = `(${Math.round(ms)} ms; from ${data.evidence_used})`;
  state.suggestions.forEach((c, i) => {
    const box = el("input", {type: "checkbox", value: c.id, id: `s-${c.id}`});
    box.checked = state.chosen.some((x) => x.id === c.id);
    box.addEventListener("change", () => toggle(c.id, box.checked));
    const label = el("label", {htmlFor: `s-${c.id}`});
    label.append(box, " ", el("strong", {text: c.label}), ` (${c.id}) `,
                 el("span", {class: "score", text: `score ${c.score.toFixed(2)}`}));
    const item = el("li", {"data-id": c.id}, label);
    if (c.evidence) item.append(el("div", {class: "evidence", text: c.evidence}));
    list.append(item);
  });
}

// ---- the codebook ------------------------------------------------------------------------------------------

function renderCodebook() {
  const words = $("search").value.toLowerCase().split(/\s+/).filter(Boolean);
  const list = $("codebook");
  list.textContent = "";
  const hits = state.codes.filter((c) => {
    const hay = `${c.id} ${c.label} ${c.domain} ${c.definition}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  for (const c of hits) {
    const box = el("input", {type: "checkbox", value: c.id, id: `c-${c.id}`});
    box.checked = state.chosen.some((x) => x.id === c.id);
    box.addEventListener("change", () => toggle(c.id, box.checked));
    const label = el("label", {htmlFor: `c-${c.id}`});
    label.append(box, " ", el("strong", {text: c.label}), ` (${c.id}) `, el("span", {class: "domain", text: c.domain}));
    list.append(el("li", {"data-id": c.id}, label, el("div", {class: "definition", text: c.definition})));
  }
  if (!hits.length) list.append(el("li", {class: "muted", text: "No code matches."}));
}

// ---- the codes to write ------------------------------------------------------------------------------------

function toggle(id, on) {
  const known = state.chosen.findIndex((x) => x.id === id);
  if (on && known < 0) state.chosen.push({id, label: state.byId[id].label, rating: ""});
  if (!on && known >= 0) state.chosen.splice(known, 1);
  for (const box of document.querySelectorAll(`input[type=checkbox][value="${id}"]`)) box.checked = on;
  renderChosen();
  if (on) $(`r-${id}`).focus();  // the rating is the next thing to choose
}

const RATING_WORDS = {"+2": "+2 strong facilitator", "+1": "+1 facilitator", "0": "0 neutral",
                      "-1": "-1 barrier", "-2": "-2 strong barrier", "X": "X mixed", "M": "M not rated"};

function renderChosen() {
  const list = $("chosen");
  list.textContent = "";
  for (const c of state.chosen) {
    const select = el("select", {id: `r-${c.id}`, "data-id": c.id});
    select.setAttribute("aria-label", `Rating of ${c.label}`);
    select.append(el("option", {value: "", text: "rating…"}));
    for (const r of state.ratings) select.append(el("option", {value: r, text: RATING_WORDS[r] || r}));
    select.value = c.rating;
    select.addEventListener("change", () => { c.rating = select.value; updatePreview(); });
    const remove = el("button", {type: "button", text: "×", title: `Remove ${c.label}`});
    remove.setAttribute("aria-label", `Remove ${c.label}`);
    remove.addEventListener("click", () => toggle(c.id, false));
    list.append(el("li", {}, el("span", {text: `${c.label} (${c.id})`}), select, remove));
  }
  if (!state.chosen.length) list.append(el("li", {class: "muted", text: "Tick suggested constructs or codebook entries."}));
  updatePreview();
}

function preview() {
  const memo = $("memo").value.trim();
  const items = state.chosen.map((c) => (c.rating && c.rating !== "M") ? `${c.label} ${c.rating}` : c.label);
  if (!items.length) return "";
  return `[[${items.join("; ")}${memo ? " | " + memo : ""}]]`;
}

function updatePreview() {
  const text = preview();
  $("preview").textContent = text ? `Will write: ${text}` : "";
  $("apply").disabled = !(state.selection && state.chosen.length);
}

async function applyCodes() {
  if (!state.selection) { message("Select text in the notes first (or take a paragraph with Enter)."); return; }
  if (!state.chosen.length) { message("Tick at least one construct."); return; }
  const unrated = state.chosen.filter((c) => !c.rating);
  if (unrated.length) {
    message(`Choose a rating for ${unrated.map((c) => c.label).join(", ")} (M if it was not rated).`);
    $(`r-${unrated[0].id}`).focus();
    return;
  }
  const body = {name: state.name, line: state.selection.line, sha256: state.file.sha256,
                selection: state.selection.text, memo: $("memo").value.trim(),
                codes: state.chosen.map((c) => ({id: c.id, rating: c.rating}))};
  const {status, data} = await api("/api/apply", body);
  if (status === 200) {
    state.file = data.file;
    state.chosen = [];
    $("memo").value = "";
    renderFile();
    renderProject(data.project);
    renderChosen();
    for (const box of document.querySelectorAll("#suggestions input, #codebook input")) box.checked = false;
    message(`Wrote ${data.written} at the end of line ${data.line} of ${state.name} ` +
            `(previous version kept as ${data.backup}).`, "ok");
    say("saved");
    $("doc").focus();
  } else if (status === 409) {
    message(data.error, "error", {label: "Reload the file", id: "reload-after-conflict",
                                  run: () => loadFile(state.name, false).then(() => $("doc").focus())});
    say("not written");
  } else {
    message(data.error || "The codes were not written.");
    say("not written");
  }
}

// ---- the project -------------------------------------------------------------------------------------------

function table(node, spec, options = {}) {
  node.textContent = "";
  const head = el("tr");
  spec.columns.forEach((c, j) => {
    const th = el("th", {text: options.header ? options.header(c, j) : c, scope: "col"});
    if (options.highlightColumn === c) th.classList.add("current-case");
    head.append(th);
  });
  node.append(el("thead", {}, head));
  const body = el("tbody");
  for (const row of spec.rows) {
    const tr = el("tr");
    row.forEach((v, j) => {
      const td = el("td", {text: v === null ? "" : String(v)});
      const col = spec.columns[j];
      if (options.cell) options.cell(td, v, col, j, row);
      if (options.highlightColumn === col) td.classList.add("current-case");
      tr.append(td);
    });
    if (options.highlightRow && options.highlightRow(row)) tr.classList.add("current-case");
    body.append(tr);
  }
  node.append(body);
}

const RATING_CLASS = {"+2": "r-p2", "+1": "r-p1", "-1": "r-m1", "-2": "r-m2", "M": "r-M"};

function renderProject(project) {
  const caseName = state.file ? state.file.case : null;
  if (!project.coverage.rows.length) {
    $("coverage").textContent = "Nothing coded yet.";
    $("matrix").textContent = "";
    return;
  }
  table($("coverage"), project.coverage, {highlightRow: (row) => row[0] === caseName,
    cell: (td, v, col, j) => { if (j === 0) td.classList.add("name"); }});
  table($("matrix"), project.matrix, {highlightColumn: caseName,
    header: (c) => c === "construct_id" ? "ID" : c === "construct" ? "Construct" : c,
    cell: (td, v, col, j) => {
      if (j === 1) { td.classList.add("name"); td.title = String(v); }
      if (j > 1 && RATING_CLASS[v]) td.classList.add(RATING_CLASS[v]);
    }});
}

// ---- keys and events ---------------------------------------------------------------------------------------

function onDocKey(event) {
  const all = blocks();
  if (["ArrowDown", "j"].includes(event.key)) { setCurrent(Math.min(state.current + 1, all.length - 1)); }
  else if (["ArrowUp", "k"].includes(event.key)) { setCurrent(Math.max(state.current - 1, 0)); }
  else if (event.key === "Home") { setCurrent(0); }
  else if (event.key === "End") { setCurrent(all.length - 1); }
  else if (event.key === "Enter" || event.key === " ") {
    if (state.current >= 0) {
      const b = all[state.current];
      choose(b, b.querySelector(".clean").textContent).then(() => {
        const first = document.querySelector("#suggestions input");
        if (first) first.focus();
      });
    }
  } else return;
  event.preventDefault();
}

function clip(range, node) {
  // the text of the part of ``range`` inside ``node``
  if (!range.intersectsNode(node)) return "";
  const r = document.createRange();
  r.selectNodeContents(node);
  if (range.compareBoundaryPoints(Range.START_TO_START, r) > 0) r.setStart(range.startContainer, range.startOffset);
  if (range.compareBoundaryPoints(Range.END_TO_END, r) < 0) r.setEnd(range.endContainer, range.endOffset);
  return r.toString();
}

function onMouseUp() {
  // A selection counts within one paragraph's own text (not its code chips); a triple click that runs
  // into the start of the next paragraph still counts as the one clicked.
  const sel = window.getSelection();
  if (!sel || sel.isCollapsed || !sel.rangeCount) return;
  const range = sel.getRangeAt(0);
  const touched = blocks().filter((b) => clip(range, b.querySelector(".clean")).trim());
  if (!touched.length) return;
  if (touched.length > 1) { message("Select text within one paragraph or bullet: its codes go at the end of it."); return; }
  choose(touched[0], clip(range, touched[0].querySelector(".clean")));
}

function onGlobalKey(event) {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); applyCodes(); return; }
  if (event.key === "Escape") { $("doc").focus(); return; }
  if (typing) return;
  if (event.key === "/") { event.preventDefault(); $("search").focus(); $("search").select(); }
  else if (event.key === "r" || event.key === "R") { if (!event.ctrlKey && !event.metaKey) loadFile(state.name, false); }
}

async function start() {
  if (!TOKEN) { message("Open the address the workbench printed (it carries a token)."); return; }
  const cb = await api("/api/codebook");
  if (cb.status !== 200) { message(cb.data.error || "cannot reach the workbench"); return; }
  state.codes = cb.data.codes;
  state.ratings = cb.data.ratings;
  for (const c of state.codes) state.byId[c.id] = c;
  renderCodebook();
  renderChosen();
  const {data} = await api("/api/project");
  state.files = data.files;
  const select = $("file");
  for (const f of state.files) select.append(el("option", {value: f, text: f}));
  select.addEventListener("change", () => loadFile(select.value));
  $("reload").addEventListener("click", () => loadFile(state.name, false));
  $("doc").addEventListener("keydown", onDocKey);
  $("doc").addEventListener("mouseup", onMouseUp);
  $("doc").addEventListener("click", (e) => {
    const b = e.target.closest(".block.text");
    if (b && window.getSelection().isCollapsed) setCurrent(blocks().indexOf(b), false);
  });
  $("search").addEventListener("input", renderCodebook);
  $("search").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); const first = document.querySelector("#codebook input"); if (first) first.focus(); }
  });
  $("memo").addEventListener("input", updatePreview);
  $("apply").addEventListener("click", applyCodes);
  document.addEventListener("keydown", onGlobalKey);
  if (state.files.length) await loadFile(state.files[0]);
  else message("The folder holds no notes files (.md).");
  $("doc").focus();
  document.body.dataset.ready = "1";
}

start();
