/*
 * The Autograd panel: the graph of one small live expression (a neuron, an attention score),
 * drawn by the library (the server sends the SVG), and a walk through backward() one addition at
 * a time. The server sends backward()'s additions in order (child.grad += local × parent.grad,
 * with the numbers); the walk replays them on the picture, and at the end every grad equals the
 * grad a real Value.backward() gave, which the server also sends.
 */
"use strict";

const Autograd = (() => {
  const $ = id => document.getElementById(id);
  const panel = {
    graph: null,      // the server's answer
    grads: [],        // the walk's gradient of every node
    done: 0,          // how many additions have been made
    nodeGroups: [],   // the SVG group of every node, by id
    edgeGroups: [],   // the SVG group of every edge, by index
    loading: false,
  };

  const name = id => {
    const node = panel.graph.nodes[id];
    return node.label || "n" + id + (node.symbol ? " (" + node.symbol + ")" : "");
  };
  const num = x => (x === null ? "NaN" : String(Number(x.toPrecision(6))));

  function query() {
    const expr = $("ag-expr").value;
    let q = "expr=" + expr;
    if (expr === "attention") {
      if ($("ag-head").value !== "") q += "&head=" + $("ag-head").value;
      if ($("ag-key").value !== "") q += "&key=" + $("ag-key").value;
    }
    return q;
  }

  async function build() {
    if (panel.loading) return;
    panel.loading = true;
    try {
      let response;
      try {
        response = await fetch("/api/autograd?" + query());
      } catch (e) {
        return problem("The simulator server cannot be reached (" + e.message + ").");
      }
      let data = null;
      try { data = await response.json(); } catch (e) { /* reported below */ }
      if (!response.ok) {
        return problem(data && data.error ? data.error : "The server answered HTTP " + response.status + ".");
      }
      show(data);
    } finally {
      panel.loading = false;
    }
  }

  function problem(message) {
    panel.graph = null;
    $("ag-title").textContent = message;
    $("ag-title").classList.add("problem");
    $("ag-graph").innerHTML = "";
    $("ag-step-text").textContent = "";
    $("ag-progress").textContent = "";
    $("ag-built").textContent = "";
    enableWalk();
  }

  function show(g) {
    panel.graph = g;
    $("ag-title").classList.remove("problem");
    $("ag-title").textContent = g.title + ". " + g.formula + ".";
    $("ag-built").textContent = "built at step " + g.step + ", position " + g.posId;
    $("ag-built").dataset.paramsVersion = g.paramsVersion;
    for (const option of $("ag-expr").options) option.disabled = !g.available.includes(option.value);
    fillAttentionChoice(g);
    const holder = $("ag-graph");
    holder.innerHTML = g.svg;
    // The library names each edge's group "e" + its index in g.edges and each node's "n" + its id.
    const group = id => holder.querySelector('svg > g[id="' + id + '"]');
    panel.edgeGroups = g.edges.map((edge, k) => group("e" + k));
    panel.nodeGroups = g.nodes.map((node, id) => group("n" + id));
    const missing = panel.edgeGroups.filter(x => !x).length + panel.nodeGroups.filter(x => !x).length;
    if (missing > 0) {
      return problem("The picture does not match the graph (" + missing + " of its " + g.edges.length
        + " edges and " + g.nodes.length + " nodes are not in it).");
    }
    reset();
  }

  function fillAttentionChoice(g) {
    $("ag-attention-choice").hidden = $("ag-expr").value !== "attention";
    const head = $("ag-head");
    const heads = head.options.length;
    if (heads !== g.nHead) {
      const chosen = head.value;
      head.innerHTML = "";
      for (let h = 0; h < g.nHead; h++) head.add(new Option(String(h), String(h)));
      head.value = chosen !== "" && Number(chosen) < g.nHead ? chosen : "0";
    }
    const key = $("ag-key");
    const chosenKey = key.value;
    key.innerHTML = "";
    key.add(new Option("current (" + g.posId + ")", ""));
    for (let t = 0; t <= g.posId; t++) key.add(new Option(String(t), String(t)));
    key.value = chosenKey !== "" && Number(chosenKey) <= g.posId ? chosenKey : "";
  }

  // ------------------------------------------------------------------ the walk

  function reset() {
    const g = panel.graph;
    if (!g) return;
    panel.grads = g.nodes.map(() => 0);
    // backward() starts at the result: d(result)/d(result) = 1.
    panel.grads[g.nodes.length - 1] = 1;
    panel.done = 0;
    draw();
  }

  function step() {
    const g = panel.graph;
    if (!g || panel.done >= g.steps.length) return;
    const s = g.steps[panel.done];
    panel.grads[s.child] = s.after;
    panel.done++;
    draw();
  }

  function back() {
    const g = panel.graph;
    if (!g || panel.done === 0) return;
    panel.done--;
    const s = g.steps[panel.done];
    panel.grads[s.child] = s.before;
    draw();
  }

  function runToEnd() {
    const g = panel.graph;
    if (!g) return;
    while (panel.done < g.steps.length) {
      const s = g.steps[panel.done++];
      panel.grads[s.child] = s.after;
    }
    draw();
  }

  function draw() {
    const g = panel.graph;
    g.nodes.forEach((node, id) => {
      const group = panel.nodeGroups[id];
      const texts = group.querySelectorAll("text");
      texts[texts.length - 1].textContent = "grad " + panel.grads[id].toFixed(4);
      group.dataset.grad = String(panel.grads[id]);
      group.classList.remove("ag-parent", "ag-child");
    });
    panel.edgeGroups.forEach(group => group.classList.remove("ag-edge"));
    const text = $("ag-step-text");
    text.classList.remove("done");
    if (panel.done === 0) {
      text.textContent = name(g.nodes.length - 1) + ".grad = 1: backward() starts at the result. Press Step to pass"
        + " it on to the inputs, node by node.";
      panel.nodeGroups[g.nodes.length - 1].classList.add("ag-parent");
      // The walk starts at the result, at the graph's right end: show it, as the text speaks of it.
      scrollTo(panel.nodeGroups[g.nodes.length - 1]);
    } else {
      const s = g.steps[panel.done - 1];
      panel.nodeGroups[s.parent].classList.add("ag-parent");
      panel.nodeGroups[s.child].classList.add("ag-child");
      panel.edgeGroups[s.edge].classList.add("ag-edge");
      text.textContent = name(s.child) + ".grad += local × " + name(s.parent) + ".grad = " + num(s.local) + " × "
        + num(s.parentGrad) + "   →   " + num(s.before) + " + " + num(s.local * s.parentGrad) + " = " + num(s.after);
      scrollTo(panel.nodeGroups[s.child]);
    }
    if (panel.done === g.steps.length) {
      const same = g.nodes.every((node, id) => node.grad === panel.grads[id]);
      text.textContent += "\n" + (same
        ? "Done: every grad now equals what Value.backward() gave."
        : "Done, but some grads differ from Value.backward()'s.");
      text.classList.toggle("done", same);
    }
    $("ag-progress").textContent = "addition " + panel.done + " / " + g.steps.length;
    enableWalk();
  }

  function scrollTo(group) {
    const holder = $("ag-graph");
    const box = group.getBBox();
    if (box.x < holder.scrollLeft || box.x + box.width > holder.scrollLeft + holder.clientWidth) {
      holder.scrollLeft = Math.max(0, box.x - holder.clientWidth / 3);
    }
    if (box.y < holder.scrollTop || box.y + box.height > holder.scrollTop + holder.clientHeight) {
      holder.scrollTop = Math.max(0, box.y - holder.clientHeight / 3);
    }
  }

  function enableWalk() {
    const g = panel.graph;
    $("ag-reset").disabled = !g || panel.done === 0;
    $("ag-back").disabled = !g || panel.done === 0;
    $("ag-step").disabled = !g || panel.done === g.steps.length;
    $("ag-end").disabled = !g || panel.done === g.steps.length;
  }

  /** Says when the model has moved on since the graph was built (the page's state is app.js's). */
  function watchModel() {
    const built = $("ag-built");
    if (!panel.graph || typeof view === "undefined" || !view.state) return;
    const moved = view.state.paramsVersion !== panel.graph.paramsVersion || view.state.epoch !== panel.graph.epoch;
    const base = "built at step " + panel.graph.step + ", position " + panel.graph.posId;
    built.textContent = moved ? base + " · the model has moved on: Rebuild to see it now" : base;
  }

  $("autograd-panel").addEventListener("toggle", () => {
    if ($("autograd-panel").open && !panel.graph) build();
  });
  $("ag-build").addEventListener("click", build);
  $("ag-expr").addEventListener("change", () => {
    $("ag-attention-choice").hidden = $("ag-expr").value !== "attention";
    build();
  });
  $("ag-head").addEventListener("change", build);
  $("ag-key").addEventListener("change", build);
  $("ag-reset").addEventListener("click", reset);
  $("ag-back").addEventListener("click", back);
  $("ag-step").addEventListener("click", step);
  $("ag-end").addEventListener("click", runToEnd);
  setInterval(() => { if ($("autograd-panel").open) watchModel(); }, 500);
  enableWalk();

  return { build };
})();
