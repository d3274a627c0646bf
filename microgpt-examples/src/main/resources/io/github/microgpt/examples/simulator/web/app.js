/*
 * The simulator page. The model lives in the server; this script sends the button presses as
 * JSON requests, listens to the server's event stream (Server-Sent Events) for the live state and
 * weights, and draws them. It never polls.
 */
"use strict";

const $ = id => document.getElementById(id);
const LOG_LINES = 500;
const ROW_HEIGHT = 22;

const view = {
  state: null,          // the latest state from the server
  epoch: -1,            // changes on Reset: the loss history starts again
  losses: [],           // every step's loss, in order
  log: [],              // the last LOG_LINES step records
  weights: null,        // {matrices, values, grads, paramsVersion}
  filledEpoch: -1,      // the epoch whose settings are in the inputs
  diagramKey: "",
  overlayKey: "",
  renderQueued: false,
  weightsQueued: false,
  fetchingFull: false,
  logFollows: true,     // the log keeps its newest line in view unless the person scrolls up
  savedCurve: null,     // a saved run drawn beside the live one: {name, losses, model, step}
  // A Run this page asked for and has no answer to yet: it may be waiting for its turn behind
  // another tab's change. Meanwhile the button is Stop, and a Stop stops that Run before it begins.
  runPending: false,
  runStopped: false,    // Stop was pressed while the Run was pending: its refusal is no error
};

/**
 * The models of the progression: the configuration fields each one uses, whether it has
 * attention, and what the page says about it.
 */
const MODELS = {
  bigram: {
    title: "bigram: logits = table[token]",
    uses: ["cfg-block"],
    attention: false,
    note: "Bigram: one row of a V × V table of logits per current token. It uses only the block size (the"
      + " longest document it reads); layers, embedding size and heads do not apply.",
    noAttention: "The bigram model has no attention: it predicts the next token from the current token alone,"
      + " by reading one row of its table.",
  },
  mlp: {
    title: "MLP: embeddings of the last 3 tokens → hidden layer → logits",
    uses: ["cfg-embd", "cfg-block"],
    attention: false,
    note: "MLP: the embeddings of the last 3 tokens, one hidden layer of 4 × embedding size tanh units, and"
      + " lm_head. It uses the embedding size and the block size; layers and heads do not apply.",
    noAttention: "The MLP has no attention: it always reads the same window, the last 3 tokens, with fixed"
      + " weights for each place in the window. The attention model learns where to look.",
  },
  attention: {
    title: "attention only: embeddings + attention layers → logits, no MLP",
    uses: ["cfg-layers", "cfg-embd", "cfg-heads", "cfg-block"],
    attention: true,
    note: "Attention only: the GPT without its MLP. Every field applies.",
  },
  gpt: {
    title: "GPT: attention and MLP in every layer",
    uses: ["cfg-layers", "cfg-embd", "cfg-heads", "cfg-block"],
    attention: true,
    note: "GPT: microgpt.py's model. Every field applies, and the array engine can compute it.",
  },
};

function modelOf(s) {
  return MODELS[s.model] || MODELS.gpt;
}

// ------------------------------------------------------------------ talking to the server

function showError(message) {
  $("error-text").textContent = message;
  $("error").hidden = false;
}

function hideError() {
  $("error").hidden = true;
  $("error-text").textContent = "";
}

/**
 * POSTs a JSON body; shows the server's message if it refuses (unless expected(status) says the
 * refusal was asked for), else applies the new state.
 */
async function post(path, body, expected) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body ?? {}),
    });
  } catch (e) {
    showError("The simulator server cannot be reached (" + e.message + "). Is it still running?");
    return null;
  }
  let data = null;
  try { data = await response.json(); } catch (e) { /* not JSON: reported below */ }
  if (!response.ok) {
    if (!(expected && expected(response.status))) {
      showError(data && data.error ? data.error : "The server answered HTTP " + response.status + ".");
    }
    return null;
  }
  hideError();
  applyState(data);
  return data;
}

async function fetchFullState() {
  if (view.fetchingFull) return;
  view.fetchingFull = true;
  try {
    const response = await fetch("/api/state");
    if (response.ok) applyState(await response.json(), true);
  } finally {
    view.fetchingFull = false;
  }
}

function connect() {
  const source = new EventSource("/api/events");
  const status = $("connection");
  source.addEventListener("open", () => { status.textContent = "live"; status.className = "connection live"; });
  source.addEventListener("error", () => {
    status.textContent = "reconnecting…";
    status.className = "connection lost";
  });
  source.addEventListener("state", event => applyState(JSON.parse(event.data)));
  source.addEventListener("weights", event => applyWeights(JSON.parse(event.data)));
}

/**
 * Takes a state from the server. States carry only the steps the page does not have yet
 * (from recordsFrom on); anything older than what the page shows is ignored.
 */
function applyState(s, full) {
  if (!s || (!full && view.state && s.revision <= view.state.revision)) return;
  if (s.epoch !== view.epoch) {
    if (s.recordsFrom !== 0) { fetchFullState(); return; }
    view.epoch = s.epoch;
    view.losses = [];
    view.log = [];
  }
  if (s.recordsFrom > view.losses.length) { fetchFullState(); return; }
  view.losses.length = s.recordsFrom;
  for (const l of s.losses) view.losses.push(l);
  view.log = view.log.filter(r => r.step <= s.recordsFrom);
  for (const r of s.log) view.log.push(r);
  if (view.log.length > LOG_LINES) view.log = view.log.slice(-LOG_LINES);
  view.state = s;
  if (!view.renderQueued) {
    view.renderQueued = true;
    requestAnimationFrame(render);
  }
}

function applyWeights(w) {
  if (view.weights && w.epoch === view.weights.epoch && w.paramsVersion < view.weights.paramsVersion) return;
  const names = w.matrices.map(m => m.name).join();
  if (!view.weights || view.weights.matrices.map(m => m.name).join() !== names) fillMatrixFilter(w.matrices);
  view.weights = w;
  if (!view.weightsQueued) {
    view.weightsQueued = true;
    requestAnimationFrame(renderWeights);
  }
}

// ------------------------------------------------------------------ controls

function stepMode() {
  return document.querySelector('input[name="step-mode"]:checked').value;
}

function temperature() {
  return $("temperature").value;
}

function numSteps() {
  return $("num-steps").value.trim();
}

$("btn-step").addEventListener("click", () => post("/api/step", { mode: stepMode(), numSteps: numSteps() }));
$("btn-run").addEventListener("click", async () => {
  if (view.runPending || (view.state && view.state.running)) {
    view.runStopped = view.runPending;
    post("/api/stop");
    return;
  }
  view.runPending = true;
  view.runStopped = false;
  renderRunButton();
  try {
    // A Run stopped before it began is refused with 409, which the person asked for.
    await post("/api/run", { mode: stepMode(), numSteps: numSteps() }, status => view.runStopped && status === 409);
  } finally {
    view.runPending = false;
    renderRunButton();
  }
});
$("btn-genstep").addEventListener("click", () => post("/api/gen-step", { temperature: temperature() }));
$("btn-generate").addEventListener("click", () => post("/api/generate", { temperature: temperature(), count: 20 }));
$("btn-reset").addEventListener("click", reset);
$("error-close").addEventListener("click", hideError);
$("temperature").addEventListener("input", () => {
  $("temperature-value").textContent = Number(temperature()).toFixed(2);
});

async function reset() {
  const source = document.querySelector('input[name="dataset"]:checked').value;
  const dataset = { source };
  if (source === "text") {
    const text = $("dataset-text").value;
    if (text.length > 1000000) {
      showError("The dataset text is " + text.length.toLocaleString("en-US")
        + " characters long; the limit is 1,000,000.");
      return;
    }
    dataset.text = text;
    dataset.name = $("dataset-text").dataset.fileName || "pasted text";
  }
  const model = $("cfg-model").value;
  const body = {
    numSteps: numSteps(),
    model,
    // The array engine computes only the GPT; the other models are made of Values.
    engine: model === "gpt" ? $("cfg-engine").value : "value",
    config: {
      nLayer: $("cfg-layers").value.trim(),
      nEmbd: $("cfg-embd").value.trim(),
      nHead: $("cfg-heads").value.trim(),
      blockSize: $("cfg-block").value.trim(),
      learningRate: $("cfg-lr").value.trim(),
      seed: $("cfg-seed").value.trim(),
    },
    dataset,
  };
  const state = await post("/api/reset", body);
  if (state) {
    view.filledEpoch = -1;
    document.querySelector('input[name="dataset"][value="current"]').checked = true;
  }
}

/** Greys out the fields and the engine the chosen model does not use, and says why. */
function updateModelFields() {
  const model = $("cfg-model").value;
  const info = MODELS[model];
  for (const id of ["cfg-layers", "cfg-embd", "cfg-heads", "cfg-block"]) {
    const used = info.uses.includes(id);
    $(id).disabled = !used;
    $(id).title = used ? "" : "the " + model + " model does not use this";
  }
  $("cfg-engine").disabled = model !== "gpt";
  if (model !== "gpt") $("cfg-engine").value = "value";
  $("model-note").textContent = info.note;
}
$("cfg-model").addEventListener("change", updateModelFields);

$("dataset-text").addEventListener("input", () => {
  document.querySelector('input[name="dataset"][value="text"]').checked = true;
  delete $("dataset-text").dataset.fileName;
  describeText();
});

$("dataset-file").addEventListener("change", () => {
  const file = $("dataset-file").files[0];
  if (!file) return;
  if (file.size > 4 * 1024 * 1024) {
    showError("The file " + file.name + " is " + (file.size / 1048576).toFixed(1) + " MiB; the limit is 4 MiB (1,000,000 characters).");
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    $("dataset-text").value = reader.result;
    $("dataset-text").dataset.fileName = file.name;
    document.querySelector('input[name="dataset"][value="text"]').checked = true;
    describeText();
  };
  reader.onerror = () => showError("The file " + file.name + " cannot be read.");
  reader.readAsText(file);
});

function describeText() {
  const text = $("dataset-text").value;
  const lines = text.split(/\r\n|\r|\n/).filter(l => l.trim().length > 0).length;
  const name = $("dataset-text").dataset.fileName;
  $("dataset-info").textContent = (name ? name + ": " : "") + lines.toLocaleString("en-US") + " non-empty lines, "
    + text.length.toLocaleString("en-US") + " characters";
}

// ------------------------------------------------------------------ saving and loading the model

/** Fills the list of saved models from the server. */
async function refreshCheckpoints() {
  let response, data = null;
  try {
    response = await fetch("/api/checkpoints");
    data = await response.json();
  } catch (e) {
    showError("The list of saved models cannot be read (" + e.message + ").");
    return;
  }
  if (!response.ok) {
    showError(data && data.error ? data.error : "The server answered HTTP " + response.status + ".");
    return;
  }
  const list = $("ckpt-list");
  const chosen = list.value;
  const options = data.checkpoints.map(c => new Option(c.name + modelKind(c, " · ")
    + (c.step != null ? " · step " + c.step + " / " + c.totalSteps : "")
    + " · " + c.savedAt.replace("T", " ").replace("Z", " UTC"), c.name));
  if (options.length === 0) {
    const none = new Option("no saved models yet", "");
    none.disabled = true;
    options.push(none);
  }
  list.replaceChildren(...options);
  if (data.checkpoints.some(c => c.name === chosen)) list.value = chosen;
  list.dataset.count = String(data.checkpoints.length);
  // The loss chart's list: the saved runs whose curve can be drawn beside the live one.
  const runs = $("overlay-run");
  const run = runs.value;
  runs.replaceChildren(new Option("choose a saved model…", ""), ...data.checkpoints
    .map(c => new Option(c.name + modelKind(c, " · ") + (c.step != null ? " · " + c.step + " steps" : ""), c.name)));
  if (data.checkpoints.some(c => c.name === run)) runs.value = run;
  runs.dataset.count = String(data.checkpoints.length);
  $("ckpt-dir").textContent = "Saved in " + data.directory + (data.truncated ? " (only the first ones are listed)" : "");
}

/** A saved model's kind as the list shows it ("gpt", "gpt f32"), after the separator; "" when unknown. */
function modelKind(c, separator) {
  if (!c.model) return "";
  return separator + c.model + (c.precision ? " " + c.precision : "");
}

/**
 * The name as typed, not trimmed: the server alone checks names (CheckpointStore.check) and says
 * what is wrong, so that a name it refuses is never saved under another name.
 */
function checkpointName() {
  return $("ckpt-name").value;
}

$("models").addEventListener("toggle", () => { if ($("models").open) refreshCheckpoints(); });
$("ckpt-list").addEventListener("change", () => { if ($("ckpt-list").value) $("ckpt-name").value = $("ckpt-list").value; });
$("btn-save").addEventListener("click", async () => {
  if (await post("/api/save", { name: checkpointName() })) refreshCheckpoints();
});
$("btn-load").addEventListener("click", async () => {
  if (await post("/api/load", { name: checkpointName() })) view.filledEpoch = -1;
});

// ------------------------------------------------------------------ a saved run beside the live one

$("btn-overlay").addEventListener("click", async () => {
  const name = $("overlay-run").value;
  if (!name) {
    showError("Choose a saved model to draw its loss curve beside the live one (Save model keeps one).");
    return;
  }
  let response, data = null;
  try {
    response = await fetch("/api/loss-curve?name=" + encodeURIComponent(name));
    data = await response.json();
  } catch (e) {
    showError("The loss curve of \u201c" + name + "\u201d cannot be read (" + e.message + ").");
    return;
  }
  if (!response.ok) {
    showError(data && data.error ? data.error : "The server answered HTTP " + response.status + ".");
    return;
  }
  hideError();
  view.savedCurve = data;
  showSavedCurve();
});
$("btn-unoverlay").addEventListener("click", () => {
  view.savedCurve = null;
  showSavedCurve();
});

function showSavedCurve() {
  const c = view.savedCurve;
  $("legend-saved").hidden = !c;
  $("saved-name").textContent = c ? "saved: " + c.name + " (" + c.model + ", " + c.step + " steps)" : "";
  if (view.state) render();
}

// ------------------------------------------------------------------ rendering the state

function tokenText(id) {
  const vocab = view.state.vocab;
  return id >= 0 && id < vocab.length ? shownToken(vocab[id]) : "?";
}

/**
 * A token as the page shows it: a tab is a character of the vocabulary like any other, shown as \t, not as blank
 * space; a character that would not show as itself (a control, format or separator character, such as a zero-width
 * joiner or a right-to-left override, or a space other than the plain one) as its escape, \u200D, as the library's
 * VisibleText writes it: alone in a chip it would show as nothing, or reorder the chips around it.
 */
function shownToken(text) {
  return text === "\t" ? "\\t" : text.replace(HIDDEN, escapeUnits);
}

/** What VisibleText.isHidden escapes. */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;

/**
 * What must not reach a line of text as it is (Terminals.disturbsALine): a control character (a tab too), the line
 * and paragraph separators, and the bidirectional controls, which reorder the rest of the line. A document may hold
 * them (right-to-left text uses its marks): a right-to-left override in "step 3 | loss 2.9 | ab[RLO]cd[2]" showed the
 * rest of the line, the position too, reversed.
 */
const DISTURBING = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** A document or a sample as the page shows it in a line: as it is, but with what would reorder the line escaped. */
function shownText(text) {
  return text.replace(DISTURBING, escapeUnits);
}

/** Each UTF-16 unit of a character as \uXXXX. */
function escapeUnits(c) {
  let out = "";
  for (let i = 0; i < c.length; i++) out += "\\u" + c.charCodeAt(i).toString(16).toUpperCase().padStart(4, "0");
  return out;
}

function chip(id, extra) {
  const span = document.createElement("span");
  const bos = id === view.state.bos;
  span.className = "tok" + (bos ? " bos" : "") + (extra ? " " + extra : "");
  span.textContent = bos ? "BOS" : tokenText(id);
  return span;
}

/** Run, or Stop while a run goes on or this page's Run waits for its turn. */
function renderRunButton() {
  const stops = view.runPending || !!(view.state && view.state.running);
  const run = $("btn-run");
  run.textContent = stops ? "Stop" : "Run";
  run.classList.toggle("running", stops);
  // Said before it happens: a run nobody watches stops (SimulatorSession's "A Run nobody watches").
  $("run-note").hidden = !stops;
}

function render() {
  view.renderQueued = false;
  const s = view.state;
  if (!s) return;
  const fmt = n => Number(n).toLocaleString("en-US");
  $("num-docs").textContent = fmt(s.stats.numDocs);
  $("vocab-size").textContent = fmt(s.stats.vocabSize);
  $("num-params").textContent = fmt(s.stats.numParams);
  $("step-counter").textContent = "Step: " + s.step + " / " + s.totalSteps;
  $("progress-bar").style.width = (100 * s.step / Math.max(1, s.totalSteps)).toFixed(2) + "%";
  $("speed").textContent = s.stepsPerSecond > 0
    ? (s.stepsPerSecond >= 100 ? s.stepsPerSecond.toFixed(0) : s.stepsPerSecond.toFixed(1)) + " steps/s" + (s.running ? "" : " (last run)")
    : "";

  renderRunButton();
  for (const id of ["btn-step", "btn-genstep", "btn-generate", "btn-reset", "btn-save", "btn-load"]) $(id).disabled = s.running;
  $("notice").hidden = !s.message;
  $("notice").textContent = s.message || "";

  if (view.filledEpoch !== s.epoch) fillSettings(s);
  $("dataset-current").textContent = s.dataset.name + " (" + fmt(s.dataset.numDocs) + " docs)";
  $("baseline-text").textContent = "−log(1/" + s.stats.vocabSize + ") = " + s.baseline.toFixed(3);

  renderOverlay(s);
  Charts.loss($("loss-canvas"), view.losses, s.baseline, s.totalSteps, view.savedCurve);
  renderAttention(s);
  renderDistribution(s);
  renderLog(s);
  renderSamples(s);
}

function fillSettings(s) {
  view.filledEpoch = s.epoch;
  if (document.activeElement !== $("num-steps")) $("num-steps").value = s.config.numSteps;
  $("cfg-model").value = s.model;
  $("cfg-engine").value = s.engine;
  $("cfg-layers").value = s.config.nLayer;
  $("cfg-embd").value = s.config.nEmbd;
  $("cfg-heads").value = s.config.nHead;
  $("cfg-block").value = s.config.blockSize;
  $("cfg-lr").value = s.config.learningRate;
  $("cfg-seed").value = s.config.seed;
  updateModelFields();
}

function renderOverlay(s) {
  const o = s.overlay;
  const badge = $("overlay-mode");
  const generation = o && o.mode === "generation";
  badge.textContent = generation ? "Generation" : "Training";
  badge.classList.toggle("generation", generation);
  $("ov-target-head").textContent = generation ? "Sampled" : "Target";
  renderDiagram(s);
  if (!o) {
    for (const id of ["ov-pos", "ov-input", "ov-in", "ov-target", "ov-out"]) $(id).textContent = "–";
    $("overlay-detail").textContent = "press Step Fwd to train one position, or Gen Step to generate one token";
    return;
  }
  $("ov-pos").textContent = o.posId;
  const input = $("ov-input");
  input.replaceChildren(...o.context.map((id, i) => chip(id, i === o.context.length - 1 ? "current" : "")));
  $("ov-in").textContent = o.inputToken;
  $("ov-target").replaceChildren(chip(o.outputToken, generation ? "sampled" : "target"));
  $("ov-out").textContent = o.outputToken;
  if (generation) {
    $("overlay-detail").textContent = "sample " + o.sample + " · T = " + Number(o.temperature).toFixed(2) + " · "
      + (o.sampleDone ? "finished: \u201c" + shownText(o.sampleText) + "\u201d" : "so far: \u201c" + shownText(o.sampleText) + "\u201d");
  } else {
    $("overlay-detail").textContent = "step " + o.step + " · document \u201c" + shownText(o.document) + "\u201d"
      + (o.perDocument ? " · per-document step (loss " + fmtLoss(view.losses.length ? view.losses[view.losses.length - 1] : null)
        + "), last position shown" : " · loss " + fmtLoss(o.loss));
  }
  const key = s.revision + ":" + o.mode + ":" + o.step + ":" + o.posId + ":" + o.sample;
  if (key !== view.overlayKey) {
    view.overlayKey = key;
    if (!s.running) flashDiagram();
  }
}

function fmtLoss(l) {
  return l == null ? "–" : Number(l).toFixed(4);
}

// ------------------------------------------------------------------ the architecture diagram

const SVG = "http://www.w3.org/2000/svg";

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

function renderDiagram(s) {
  const svg = $("diagram");
  const key = s.model + "/" + s.config.nLayer + "/" + s.config.nHead;
  if (key !== view.diagramKey) {
    view.diagramKey = key;
    buildDiagram(svg, s.config, s.model);
    svg.dataset.model = s.model;
    svg.setAttribute("aria-label", "the architecture of the " + s.model + " model");
    $("arch-caption").textContent = "· " + modelOf(s).title;
  }
  const o = s.overlay;
  const generation = o && o.mode === "generation";
  const show = (id, text) => { svg.querySelector("#" + id).textContent = text; };
  if (!o) {
    show("tag-in", ""); show("tag-pos", ""); show("tag-out", ""); show("tag-out2", "");
    return;
  }
  const quote = id => id === s.bos ? "BOS" : "\u201c" + tokenText(id) + "\u201d";
  show("tag-in", quote(o.inputToken) + " = " + o.inputToken);
  show("tag-pos", "posId " + o.posId + (s.model === "bigram" || s.model === "mlp" ? " (not read)" : ""));
  const out = svg.querySelector("#tag-out");
  out.setAttribute("class", "tag " + (generation ? "gen" : "out"));
  out.textContent = (generation ? "drew " : "target ") + quote(o.outputToken) + " = " + o.outputToken;
  const p = o.probabilities[o.outputToken];
  svg.querySelector("#tag-out2").setAttribute("class", "tag " + (generation ? "gen" : "out"));
  show("tag-out2", "p = " + (p == null ? "–" : p.toFixed(3)));
}

/** Draws the blocks of the chosen model of the progression, with the tags the overlay fills in. */
function buildDiagram(svg, config, model) {
  svg.replaceChildren();
  const defs = el("defs");
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
  marker.appendChild(el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#8b95b2" }));
  defs.appendChild(marker);
  svg.appendChild(defs);
  const drawing = (DIAGRAMS[model] || DIAGRAMS.gpt)(config);
  for (const [x, y, width, height, label, labelX, labelY] of drawing.groups) {
    svg.appendChild(el("rect", { class: "group", x, y, width, height }));
    if (label) svg.appendChild(el("text", { class: "group-label", x: labelX ?? x + 10, y: labelY ?? y + 16 }, label));
  }
  for (const d of drawing.edges) svg.appendChild(el("path", { class: "edge", d }));
  for (const d of drawing.residuals || []) svg.appendChild(el("path", { class: "edge residual", d }));
  for (const [text, x, y] of drawing.notes || []) svg.appendChild(el("text", { class: "group-label", x, y }, text));
  for (const [label, x, y, w, h, kind] of drawing.nodes) {
    const g = el("g", { class: "node " + kind });
    g.appendChild(el("rect", { x, y, width: w, height: h, rx: 7 }));
    g.appendChild(el("text", { x: x + w / 2, y: y + h / 2 }, label));
    svg.appendChild(g);
  }
  const t = drawing.tags;
  svg.appendChild(el("text", { id: "tag-in", class: "tag in", x: t.in[0], y: t.in[1], "text-anchor": "middle" }, ""));
  svg.appendChild(el("text", { id: "tag-pos", class: "tag in", x: t.pos[0], y: t.pos[1], "text-anchor": t.pos[2] || "middle" }, ""));
  svg.appendChild(el("text", { id: "tag-out", class: "tag out", x: 993, y: t.out[0], "text-anchor": "end" }, ""));
  svg.appendChild(el("text", { id: "tag-out2", class: "tag out", x: 993, y: t.out[1], "text-anchor": "end" }, ""));
}

/** The GPT and the attention-only model share the embeddings, the attention block and lm_head. */
function transformerDiagram(config, withMlp) {
  const layers = config.nLayer === 1 ? "LAYER 0" : "LAYERS 0–" + (config.nLayer - 1) + "  (× " + config.nLayer + ", one after another)";
  const groups = [
    [452, 14, 385, withMlp ? 236 : 140, layers],
    [462, 40, 365, 88, "ATTENTION"],
  ];
  const edges = [
    "M110 67 L140 67", "M110 187 L140 187",
    "M210 67 L236 67 L236 112 L242 112", "M210 187 L236 187 L236 122 L242 122",
    "M332 117 L350 117", "M436 117 L448 117 L448 88 L472 88",
    "M528 88 L546 88", "M612 88 L630 88", "M712 88 L728 88",
    "M917 117 L933 117",
  ];
  // The residual connections: each block's input is added back to its output.
  const residuals = ["M456 100 L456 112 L800 112 L800 98"];
  const nodes = [
    ["token_id", 20, 50, 90, 34, "input"], ["pos_id", 20, 170, 90, 34, "input"],
    ["Wte", 140, 50, 70, 34, "weight"], ["Wpe", 140, 170, 70, 34, "weight"],
    ["Sum (Add)", 242, 100, 90, 34, "op"], ["RMSNorm", 350, 100, 86, 34, "op"],
    ["RMS", 472, 73, 56, 30, "op"], ["Q, K, V", 546, 73, 66, 30, "weight"],
    [config.nHead + "h-Attn", 630, 73, 82, 30, "op"], ["out", 728, 73, 58, 30, "weight"],
    ["lm_head", 853, 100, 64, 34, "weight"], ["Logits", 933, 100, 60, 34, "out"],
  ];
  let notes;
  if (withMlp) {
    groups.push([462, 142, 365, 98, "FEED FORWARD (MLP)"]);
    edges.push("M757 103 L757 134 L501 134 L501 172", "M528 187 L546 187", "M612 187 L630 187",
      "M712 187 L728 187", "M786 187 L845 187 L845 122 L853 122");
    residuals.push("M470 205 L470 226 L800 226 L800 200");
    nodes.push(["RMS", 472, 172, 56, 30, "op"], ["FC 4d", 546, 172, 66, 30, "weight"],
      ["ReLU", 630, 172, 82, 30, "op"], ["FC d", 728, 172, 58, 30, "weight"]);
    notes = [["+ residual", 740, 238]];
  } else {
    edges.push("M786 88 L845 88 L845 112 L853 112");
    notes = [["+ residual", 740, 146], ["no MLP: attention output goes straight to lm_head", 462, 178]];
  }
  return { groups, edges, residuals, notes, nodes, tags: { in: [65, 38], pos: [65, 222], out: [84, 152] } };
}

const DIAGRAMS = {
  bigram: () => ({
    groups: [[220, 60, 500, 120, "BIGRAM: ONE TABLE OF V × V LOGITS"]],
    edges: ["M110 117 L260 117", "M700 117 L933 117"],
    notes: [["the next token depends on the current token only; the position is not read", 230, 166]],
    nodes: [
      ["token_id", 20, 100, 90, 34, "input"], ["pos_id", 20, 190, 90, 34, "input unused"],
      ["table[token_id]: one row of logits", 260, 100, 440, 34, "weight"],
      ["Logits", 933, 100, 60, 34, "out"],
    ],
    tags: { in: [65, 88], pos: [120, 212, "start"], out: [84, 152] },
  }),
  mlp: () => ({
    groups: [[372, 55, 298, 76, "HIDDEN LAYER (4d UNITS)"]],
    edges: [
      "M110 45 L140 45", "M110 100 L140 100", "M110 165 L140 165",
      "M204 45 L222 45 L222 93 L240 93", "M204 100 L240 100", "M204 165 L222 165 L222 107 L240 107",
      "M336 100 L390 100", "M530 100 L560 100", "M650 100 L853 100", "M917 100 L933 100",
    ],
    notes: [["window: the last 3 tokens (BOS repeats before the start)", 240, 160]],
    nodes: [
      ["token t−2", 20, 30, 90, 30, "input"], ["token t−1", 20, 85, 90, 30, "input"],
      ["token_id", 20, 150, 90, 30, "input"], ["pos_id", 20, 215, 90, 30, "input unused"],
      ["Wte", 140, 30, 64, 30, "weight"], ["Wte", 140, 85, 64, 30, "weight"], ["Wte", 140, 150, 64, 30, "weight"],
      ["Concat 3d", 240, 85, 96, 30, "op"],
      ["FC 4d", 390, 85, 140, 30, "weight"], ["tanh", 560, 85, 90, 30, "op"],
      ["lm_head", 853, 83, 64, 34, "weight"], ["Logits", 933, 83, 60, 34, "out"],
    ],
    tags: { in: [65, 143], pos: [120, 234, "start"], out: [67, 135] },
  }),
  attention: config => transformerDiagram(config, false),
  gpt: config => transformerDiagram(config, true),
};

function flashDiagram() {
  for (const node of $("diagram").querySelectorAll(".node")) {
    node.classList.remove("flash");
    void node.getBBox();
    node.classList.add("flash");
  }
}
$("diagram").addEventListener("animationend", event => {
  const node = event.target.closest(".node");
  if (node) node.classList.remove("flash");
});

// ------------------------------------------------------------------ attention and distribution

function renderAttention(s) {
  const grid = $("attn-grid");
  const o = s.overlay;
  const info = modelOf(s);
  $("h-attn").parentElement.classList.toggle("inapplicable", !info.attention);
  $("attn-note").hidden = info.attention;
  $("attn-note").textContent = info.attention ? "" : info.noAttention;
  if (!info.attention) {
    grid.replaceChildren();
    $("attn-caption").textContent = "(not in the " + s.model + " model)";
    $("attn-layer-row").hidden = true;
    return;
  }
  const layerSelect = $("attn-layer");
  if (layerSelect.options.length !== s.config.nLayer) {
    layerSelect.replaceChildren(...Array.from({ length: s.config.nLayer }, (_, i) => new Option(String(i), String(i))));
  }
  $("attn-layer-row").hidden = s.config.nLayer < 2;
  if (!o || !s.attention.length || !s.attention[0][0].length) {
    grid.replaceChildren();
    const p = document.createElement("p");
    p.className = "attn-empty";
    p.textContent = "no forward pass yet";
    grid.appendChild(p);
    $("attn-caption").textContent = "";
    return;
  }
  const layer = Math.min(Number(layerSelect.value || 0), s.attention.length - 1);
  const heads = s.attention[layer];
  const n = heads[0].length;
  // The rows belong to the latest pass; label them with its tokens.
  const tokens = o.context.slice(0, n);
  const labels = tokens.map(id => id === s.bos ? "·" : tokenText(id));
  $("attn-caption").textContent = "(layer " + layer + ", " + heads.length + " heads, " + n + " position" + (n === 1 ? "" : "s")
    + "; · = BOS)";
  // Up to four heads side by side, as large as the card allows.
  const columns = Math.min(heads.length, 4);
  const size = Math.max(90, Math.min(220, Math.floor((grid.clientWidth - (columns - 1) * 14) / columns)));
  while (grid.children.length > heads.length || (grid.firstElementChild && grid.firstElementChild.tagName !== "FIGURE")) {
    grid.removeChild(grid.lastChild);
  }
  while (grid.children.length < heads.length) {
    const figure = document.createElement("figure");
    figure.appendChild(document.createElement("canvas"));
    figure.appendChild(document.createElement("figcaption"));
    grid.appendChild(figure);
  }
  heads.forEach((rows, h) => {
    const figure = grid.children[h];
    Charts.attention(figure.firstChild, rows, labels, o.posId < n ? o.posId : n - 1, size);
    figure.lastChild.textContent = "head " + h;
  });
}
$("attn-layer").addEventListener("change", () => view.state && renderAttention(view.state));

function renderDistribution(s) {
  const o = s.overlay;
  const canvas = $("dist-canvas");
  if (!o) {
    Charts.bars(canvas, s.vocab.map(() => 0), s.vocab.map(shownToken), -1, -1);
    $("dist-caption").textContent = "The model's prediction of the next token appears here.";
    return;
  }
  const generation = o.mode === "generation";
  Charts.bars(canvas, o.probabilities, s.vocab.map(shownToken), generation ? -1 : o.outputToken, generation ? o.outputToken : -1);
  const p = o.probabilities[o.outputToken] ?? 0;
  let best = 0;
  o.probabilities.forEach((q, i) => { if (q > o.probabilities[best]) best = i; });
  const name = id => id === s.bos ? "BOS (end)" : "\u201c" + tokenText(id) + "\u201d";
  $("dist-caption").textContent = generation
    ? "Drew " + name(o.outputToken) + " with probability " + p.toFixed(3) + " (softmax of logits / T, T = "
      + Number(o.temperature).toFixed(2) + "). Most likely: " + name(best) + ". ⏎ = BOS."
    : o.perDocument
      // A document step's loss is the mean over its positions; the bars are those of its last position only.
      ? "Last position of the document: target " + name(o.outputToken) + " (green), p = " + p.toFixed(4)
        + ", so its loss is −log p = " + fmtLoss(o.loss) + "; the step's loss is the mean over all " + (o.posId + 1)
        + " positions, " + fmtLoss(view.losses.length ? view.losses[view.losses.length - 1] : null)
        + ". The model's favourite: " + name(best) + " (p = " + o.probabilities[best].toFixed(3) + "). ⏎ = BOS."
      : "Target " + name(o.outputToken) + " (green): p = " + p.toFixed(4) + ", so the loss is −log p = " + fmtLoss(o.loss)
        + ". The model's favourite: " + name(best) + " (p = " + o.probabilities[best].toFixed(3) + "). ⏎ = BOS.";
}

// ------------------------------------------------------------------ log and samples

function renderLog(s) {
  const box = $("log");
  const width = String(s.totalSteps).length;
  // As microgpt.py prints it, plus what was trained: the document, and the position in brackets
  // ("[3…]": a document step that trained the rest of a document, from position 3, after position steps).
  const where = r => r.perDocument ? (r.posId > 0 ? "[" + r.posId + "\u2026]" : "") : "[" + r.posId + "]";
  const lines = view.log.map(r => "step " + String(r.step).padStart(width) + " / " + s.totalSteps
    + " | loss " + fmtLoss(r.loss) + " | " + shownText(r.document) + where(r));
  box.textContent = lines.join("\n");
  $("log-count").textContent = s.recordCount > view.log.length
    ? "(last " + view.log.length + " of " + s.recordCount + " steps)"
    : "(" + s.recordCount + " step" + (s.recordCount === 1 ? "" : "s") + ")";
  if (view.logFollows) box.scrollTop = box.scrollHeight;
}

function renderSamples(s) {
  const list = $("samples");
  if (s.samples.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "press Generate for 20 samples, or Gen Step for one token at a time";
    list.replaceChildren(li);
    list.dataset.count = "0";
  } else {
    list.replaceChildren(...s.samples.map(text => {
      const li = document.createElement("li");
      li.textContent = text === "" ? "(empty)" : shownText(text);
      return li;
    }));
    list.dataset.count = String(s.samples.length);
  }
  const o = s.overlay;
  $("gen-progress").textContent = o && o.mode === "generation" && !o.sampleDone
    ? "Sample " + o.sample + " so far: \u201c" + shownText(o.sampleText) + "\u201d (press Gen Step for the next token)"
    : "";
}

// ------------------------------------------------------------------ weights

function fillMatrixFilter(matrices) {
  const select = $("weights-filter");
  const current = select.value;
  select.replaceChildren(new Option("all", ""), ...matrices.map(m => new Option(m.name + "  (" + m.rows + " × " + m.cols + ")", m.name)));
  select.value = matrices.some(m => m.name === current) ? current : "";
}

function selectedMatrices() {
  const name = $("weights-filter").value;
  const all = view.weights.matrices;
  return name ? all.filter(m => m.name === name) : all;
}

/**
 * The colour of a number in the weights table, as in the heatmaps: blue below 0, red above, grey
 * for 0 (most gradients of a step are 0: a token's embedding row has none unless the token was read).
 */
function signClass(x) {
  return x < 0 ? "neg" : x > 0 ? "pos" : "zero";
}

function renderWeights() {
  view.weightsQueued = false;
  const w = view.weights;
  if (!w) return;
  const matrices = selectedMatrices();
  const total = matrices.reduce((sum, m) => sum + m.rows * m.cols, 0);
  $("weights-count").textContent = total.toLocaleString("en-US") + " parameters" + ($("weights-filter").value ? "" : " in " + matrices.length + (matrices.length === 1 ? " matrix" : " matrices"))
    + " · step " + w.step;
  $("weights-spacer").style.height = total * ROW_HEIGHT + "px";
  const scroll = $("weights-scroll");
  const first = Math.max(0, Math.floor(scroll.scrollTop / ROW_HEIGHT) - 2);
  const count = Math.ceil(scroll.clientHeight / ROW_HEIGHT) + 5;
  let html = "";
  let shownMatrix = matrices[0];
  let skip = first;
  let row = 0;
  for (const m of matrices) {
    const size = m.rows * m.cols;
    if (skip >= size) { skip -= size; continue; }
    if (row === 0) shownMatrix = m;
    for (let i = skip; i < size && row < count; i++, row++) {
      const index = m.offset + i;
      const value = w.values[index];
      const grad = w.grads[index];
      html += '<div class="wrow"><span>' + index + "</span><span>" + m.name + "</span><span>" + Math.floor(i / m.cols)
        + "</span><span>" + (i % m.cols) + '</span><span class="' + signClass(value) + '">' + value.toFixed(6)
        + '</span><span class="' + signClass(grad) + '">' + (grad === 0 ? "0" : grad.toExponential(2)) + "</span></div>";
    }
    skip = 0;
    if (row >= count) break;
  }
  const rows = $("weights-rows");
  rows.style.top = first * ROW_HEIGHT + "px";
  rows.innerHTML = html;
  // The heatmaps show the chosen matrix, or the one at the top of the table.
  if (shownMatrix) {
    const width = Math.max(120, (document.querySelector(".heatmaps").clientWidth - 18) / 2);
    const vmax = Charts.matrix($("w-values"), w.values, shownMatrix.offset, shownMatrix.rows, shownMatrix.cols, width, 330);
    const gmax = Charts.matrix($("w-grads"), w.grads, shownMatrix.offset, shownMatrix.rows, shownMatrix.cols, width, 330);
    $("w-values-cap").textContent = shownMatrix.name + " values (" + shownMatrix.rows + " × " + shownMatrix.cols + ", ±" + vmax.toFixed(3) + ")";
    $("w-grads-cap").textContent = "gradients of the last step (±" + (gmax === 0 ? "0" : gmax.toExponential(1)) + ")";
  }
}

$("log").addEventListener("scroll", () => {
  const box = $("log");
  view.logFollows = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
});
$("weights-scroll").addEventListener("scroll", () => {
  if (!view.weightsQueued) { view.weightsQueued = true; requestAnimationFrame(renderWeights); }
});
$("weights-filter").addEventListener("change", () => { $("weights-scroll").scrollTop = 0; renderWeights(); });
window.addEventListener("resize", () => { if (view.state) render(); renderWeights(); });

// ------------------------------------------------------------------ start

fetchFullState();
connect();
refreshCheckpoints();
