/* Small canvas charts for the simulator: the loss curve, heatmaps and bars. No library needed. */
"use strict";

const Charts = (() => {
  const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif';
  const MONO = '12px ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace';

  /** Sizes a canvas for its CSS box and the screen's pixel ratio; returns a context in CSS pixels. */
  function prepare(canvas, cssWidth, cssHeight) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(10, Math.round(cssWidth ?? canvas.clientWidth ?? 300));
    const height = Math.max(10, Math.round(cssHeight ?? canvas.clientHeight ?? 150));
    if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
      canvas.width = width * ratio;
      canvas.height = height * ratio;
    }
    if (cssWidth != null) canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    return { ctx, width, height };
  }

  function niceStep(range, ticks) {
    const raw = range / Math.max(1, ticks);
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= raw) return m * power;
    return 10 * power;
  }

  /** The colour of a saved run's curve drawn beside the live one. */
  const SAVED = "#9333ea";
  const SAVED_RAW = "rgba(147, 51, 234, 0.28)";

  /** The smoothing of a curve of n steps: an exponential moving average's beta. */
  function smoothing(n) {
    return n < 50 ? 0.8 : n < 500 ? 0.95 : 0.99;
  }

  /**
   * Draws one run's losses: every step (thin, or each pixel column's min and max when there are
   * more steps than pixels) and the moving average with bias correction (thick). Returns the last
   * smoothed value.
   */
  function curve(ctx, losses, x, y, w, rawColour, smoothColour, smoothWidth) {
    const n = losses.length;
    ctx.strokeStyle = rawColour;
    ctx.lineWidth = 1;
    ctx.beginPath();
    const perPixel = n / w;
    if (perPixel <= 1.5) {
      losses.forEach((l, i) => { if (l != null) (i === 0 ? ctx.moveTo : ctx.lineTo).call(ctx, x(i + 1), y(l)); });
    } else {
      const columns = Math.ceil(w);
      for (let c = 0; c < columns; c++) {
        const from = Math.floor(c * perPixel), to = Math.min(n, Math.floor((c + 1) * perPixel));
        let lo = Infinity, hi = -Infinity;
        for (let i = from; i < to; i++) { const l = losses[i]; if (l != null) { lo = Math.min(lo, l); hi = Math.max(hi, l); } }
        if (lo === Infinity) continue;
        const px = x(from + 1);
        ctx.moveTo(px, y(lo)); ctx.lineTo(px, y(hi) - 0.5);
      }
    }
    ctx.stroke();

    // Smoothed: an exponential moving average, corrected for starting at 0 (as Adam's moments are).
    const beta = smoothing(n);
    ctx.strokeStyle = smoothColour;
    ctx.lineWidth = smoothWidth;
    ctx.beginPath();
    let avg = 0, k = 0, last = null;
    const stride = Math.max(1, Math.floor(n / (w * 2)));
    for (let i = 0; i < n; i++) {
      const l = losses[i];
      if (l == null) continue;
      avg = beta * avg + (1 - beta) * l;
      k++;
      last = avg / (1 - Math.pow(beta, k));
      if (i % stride === 0 || i === n - 1) (k === 1 ? ctx.moveTo : ctx.lineTo).call(ctx, x(i + 1), y(last));
    }
    ctx.stroke();
    return last;
  }

  /**
   * The loss curve: every step's loss (thin), an exponential moving average with bias correction
   * (thick), and the loss of a uniform guess, log(vocab), dashed. With saved = {name, losses}, a
   * saved run's curve is drawn beside the live one, in purple.
   */
  function loss(canvas, losses, baseline, totalSteps, saved) {
    const { ctx, width, height } = prepare(canvas, null, 230);
    const pad = { left: 44, right: 14, top: 12, bottom: 26 };
    const w = width - pad.left - pad.right;
    const h = height - pad.top - pad.bottom;
    const n = losses.length;
    const savedLosses = saved ? saved.losses : [];
    // The x axis grows with the run (so that a long run is readable from its first steps) up to
    // Num steps, and holds the whole saved run.
    const xMax = Math.max(2, Math.min(totalSteps || 1, Math.max(100, Math.ceil(n * 1.25))), n, savedLosses.length);
    let yMax = baseline * 1.25;
    for (const l of losses) if (l != null && l > yMax) yMax = l;
    for (const l of savedLosses) if (l != null && l > yMax) yMax = l;
    yMax = Math.min(yMax, baseline * 2.2);
    const x = step => pad.left + (step - 1) / (xMax - 1) * w;
    const y = value => pad.top + h - Math.min(value, yMax) / yMax * h;

    ctx.font = FONT;
    ctx.strokeStyle = "#e7e9f0";
    ctx.fillStyle = "#6a7386";
    ctx.lineWidth = 1;
    const yStep = niceStep(yMax, 5);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (let v = 0; v <= yMax + 1e-9; v += yStep) {
      ctx.beginPath(); ctx.moveTo(pad.left, y(v)); ctx.lineTo(width - pad.right, y(v)); ctx.stroke();
      ctx.fillText(v.toFixed(yStep < 1 ? 1 : 0), pad.left - 6, y(v));
    }
    const xStep = niceStep(xMax, 8);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let s = xStep; s <= xMax; s += xStep) ctx.fillText(String(s), x(s), height - pad.bottom + 6);
    ctx.fillText("1", x(1), height - pad.bottom + 6);

    // The baseline: a model that knows nothing guesses uniformly.
    ctx.save();
    ctx.setLineDash([6, 4]);
    ctx.strokeStyle = "#c2410c";
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(pad.left, y(baseline)); ctx.lineTo(width - pad.right, y(baseline)); ctx.stroke();
    ctx.restore();
    // Labelled last, so that no curve hides the label.
    const labelBaseline = () => {
      const note = "uniform guess −log(1/V) = " + baseline.toFixed(3);
      ctx.font = FONT;
      ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
      ctx.fillRect(pad.left + 4, y(baseline) - 18, ctx.measureText(note).width + 8, 15);
      ctx.fillStyle = "#c2410c";
      ctx.textAlign = "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(note, pad.left + 8, y(baseline) - 4);
    };

    canvas.dataset.savedPoints = String(savedLosses.length);
    if (savedLosses.length > 0) {
      const lastSaved = curve(ctx, savedLosses, x, y, w, SAVED_RAW, SAVED, 1.8);
      if (lastSaved != null) {
        ctx.fillStyle = SAVED;
        ctx.beginPath(); ctx.arc(x(savedLosses.length), y(lastSaved), 3, 0, Math.PI * 2); ctx.fill();
        ctx.font = MONO;
        ctx.textAlign = "right";
        ctx.textBaseline = "top";
        ctx.fillText(saved.name + " " + lastSaved.toFixed(3), x(savedLosses.length) - 6, y(lastSaved) + 4);
      }
    }

    if (n === 0) {
      ctx.fillStyle = "#9aa2b5";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText("no steps yet: press Step Fwd or Run", pad.left + w / 2, pad.top + h / 2);
      labelBaseline();
      canvas.dataset.points = "0";
      return;
    }

    // The live run: per-step losses (with more steps than pixels, each column's min and max) and smoothed.
    const last = curve(ctx, losses, x, y, w, "#b7c2e6", "#3454d1", 2.4);
    if (last != null) {
      ctx.fillStyle = "#3454d1";
      ctx.beginPath(); ctx.arc(x(n), y(last), 3.5, 0, Math.PI * 2); ctx.fill();
      ctx.font = MONO;
      ctx.textAlign = n > xMax * 0.8 ? "right" : "left";
      ctx.textBaseline = "bottom";
      ctx.fillText(last.toFixed(3), x(n) + (ctx.textAlign === "left" ? 6 : -6), y(last) - 4);
    }
    labelBaseline();
    canvas.dataset.points = String(n);
  }

  /** A blue scale for weights in [0, 1]. */
  function blue(v) {
    const t = Math.max(0, Math.min(1, v));
    const r = Math.round(247 - t * (247 - 30));
    const g = Math.round(249 - t * (249 - 64));
    const b = Math.round(255 - t * (255 - 175));
    return `rgb(${r},${g},${b})`;
  }

  /** Blue for negative, white for 0, red for positive, scaled by the largest magnitude. */
  function diverging(v, scale) {
    const t = scale > 0 ? Math.max(-1, Math.min(1, v / scale)) : 0;
    const a = Math.pow(Math.abs(t), 0.7);
    if (t >= 0) return `rgb(${Math.round(255 - a * (255 - 190))},${Math.round(255 - a * (255 - 40))},${Math.round(255 - a * (255 - 30))})`;
    return `rgb(${Math.round(255 - a * (255 - 30))},${Math.round(255 - a * (255 - 80))},${Math.round(255 - a * (255 - 190))})`;
  }

  /**
   * One head's attention: row t holds the weights position t gives to positions 0..t.
   * labels are the context tokens; the current row is outlined.
   */
  function attention(canvas, rows, labels, currentRow, size) {
    const n = labels.length;
    const label = 16;
    const cell = Math.max(8, Math.min(40, Math.floor((size - label - 2) / Math.max(n, 1))));
    const { ctx } = prepare(canvas, label + cell * n + 2, label + cell * n + 2);
    ctx.font = n > 12 ? '10px ui-monospace, "DejaVu Sans Mono", monospace' : MONO;
    ctx.fillStyle = "#6a7386";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (let i = 0; i < n; i++) {
      const text = labels[i];
      ctx.fillText(text, label + cell * i + cell / 2, label / 2);
      ctx.fillText(text, label / 2, label + cell * i + cell / 2);
    }
    for (let r = 0; r < n; r++) {
      const row = rows[r];
      for (let c = 0; c < n; c++) {
        const px = label + c * cell, py = label + r * cell;
        if (c > r) { ctx.fillStyle = "#f3f4f7"; ctx.fillRect(px, py, cell - 1, cell - 1); continue; }
        ctx.fillStyle = row ? blue(row[c]) : "#eceef3";
        ctx.fillRect(px, py, cell - 1, cell - 1);
      }
    }
    if (currentRow != null && currentRow < n) {
      ctx.strokeStyle = "#c2410c";
      ctx.lineWidth = 2;
      ctx.strokeRect(label - 1, label + currentRow * cell - 1, cell * (currentRow + 1) + 1, cell + 1);
    }
  }

  /** A weight matrix (or its gradient) as a heatmap, one cell per entry. */
  function matrix(canvas, values, offset, rows, cols, maxWidth, maxHeight) {
    const cell = Math.max(2, Math.min(18, Math.floor(maxWidth / cols), Math.floor(maxHeight / rows)));
    const { ctx } = prepare(canvas, cols * cell, rows * cell);
    let scale = 0;
    for (let i = 0; i < rows * cols; i++) scale = Math.max(scale, Math.abs(values[offset + i]));
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        ctx.fillStyle = diverging(values[offset + r * cols + c], scale);
        ctx.fillRect(c * cell, r * cell, cell, cell);
      }
    }
    return scale;
  }

  /** Probabilities of every token as bars; "good" (green) marks the target, "pick" (orange) the drawn token. */
  function bars(canvas, probabilities, labels, good, pick) {
    const { ctx, width, height } = prepare(canvas, null, 180);
    const n = probabilities.length;
    const pad = { left: 36, right: 6, top: 10, bottom: 22 };
    const w = (width - pad.left - pad.right) / Math.max(n, 1);
    const h = height - pad.top - pad.bottom;
    let top = 0;
    for (const p of probabilities) top = Math.max(top, p ?? 0);
    top = top <= 0 ? 1 : Math.min(1, Math.ceil(top * 10 + 0.0001) / 10);
    ctx.font = FONT;
    ctx.fillStyle = "#6a7386";
    ctx.strokeStyle = "#e7e9f0";
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of [0, top / 2, top]) {
      const py = pad.top + h - v / top * h;
      ctx.beginPath(); ctx.moveTo(pad.left, py); ctx.lineTo(width - pad.right, py); ctx.stroke();
      ctx.fillText(v.toFixed(2), pad.left - 4, py);
    }
    ctx.font = n > 40 ? '9px ui-monospace, monospace' : MONO;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (let i = 0; i < n; i++) {
      const p = probabilities[i] ?? 0;
      const bh = p / top * h;
      ctx.fillStyle = i === good ? "#1a8f5a" : i === pick ? "#e26a1b" : "#8fa1e3";
      ctx.fillRect(pad.left + i * w + 1, pad.top + h - bh, Math.max(1, w - 2), bh);
      ctx.fillStyle = i === good ? "#1a8f5a" : i === pick ? "#c2410c" : "#4a5268";
      const text = labels[i] === "<BOS>" ? "⏎" : labels[i];
      if (w >= 7) ctx.fillText(text, pad.left + i * w + w / 2, height - pad.bottom + 5);
    }
  }

  return { loss, attention, matrix, bars, diverging };
})();
