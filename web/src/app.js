// The playground page: designs in an editor with live validation, runs in
// a module Web Worker (see worker.js for the message protocol), results as
// tables and SVG charts, exports and shareable links.

import { PALETTE, downtimeByCause, recoveryCdf, sweepChart } from './charts.js';
import { decodeState, encodeState } from './share.js';

const $ = (id) => document.getElementById(id);

const state = {
  designs: [], // {name, text, validation}
  active: 0,
  examples: [], // file names under models/
  last: null, // {kind: 'compare' | 'sweep', result, ...}
};

// ---------------------------------------------------------------- workers

// One download and one compilation of the engine for the whole page: the
// compiled module is posted to each worker (a WebAssembly.Module is
// structured-cloneable), so two workers and every restart share it.
let engine = null;
function compiledEngine() {
  engine ??= WebAssembly.compileStreaming(fetch(new URL('./pkg/sim_wasm_bg.wasm', import.meta.url)));
  return engine;
}

/** A worker with request ids, sent the compiled engine first. */
function makeWorker(onMessage) {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (ev) => onMessage(ev.data);
  w.onerror = (ev) => showBanner(`worker error: ${ev.message || ev}`);
  compiledEngine().then(
    (module) => w.postMessage({ type: 'init', module }),
    (e) => showBanner(`cannot load the engine: ${e.message || e}`),
  );
  return w;
}

let nextId = 1;
let validator = null;
let runner = null;
let running = null; // {id, kind, started}
let pendingImport = null; // the id of the import the validator is reading
let pendingReview = null; // {id, name}: the design review the validator is rendering

function startValidator() {
  validator?.terminate();
  validator = makeWorker(onValidatorMessage);
}

// A comparison's replications are split over this many workers (the
// runner and helpers), each running a contiguous range; the runner merges
// the parts in replication order, which gives the bits of one run.
const WORKERS = Math.max(1, Math.min(4, Number(new URLSearchParams(location.search).get('workers')) || navigator.hardwareConcurrency || 1));
let helpers = [];

function startRunner() {
  runner?.terminate();
  for (const h of helpers) h.terminate();
  runner = makeWorker(onRunnerMessage);
  helpers = Array.from({ length: WORKERS - 1 }, () => makeWorker(onRunnerMessage));
}

/** The replication range of part `i` of `n` (study::shard::range's rule). */
function partRange(total, i, n) {
  return [Math.floor((total * i) / n), Math.floor((total * (i + 1)) / n)];
}

function onValidatorMessage(msg) {
  if (msg.type === 'ready') {
    $('version').textContent = msg.version;
    document.body.dataset.engine = 'ready';
  } else if (msg.type === 'validated') {
    const d = state.designs.find((x) => x.pending === msg.id);
    if (!d) return;
    d.validation = msg.result;
    d.pending = null;
    renderTabs();
    if (d === state.designs[state.active]) renderValidation();
    clearStaleError();
  } else if ((msg.type === 'done' || msg.type === 'error') && msg.id === pendingReview?.id) {
    const { name } = pendingReview;
    pendingReview = null;
    if (msg.type === 'done') download(name, msg.result, 'text/html');
    else $('status').textContent = `The review could not be written: ${msg.error.message}`;
  } else if ((msg.type === 'done' || msg.type === 'error') && msg.id === pendingImport) {
    pendingImport = null;
    if (msg.type === 'done') showImport(msg.result);
    else showImportError(msg.error.message);
  } else if (msg.type === 'panic') {
    showBanner(msg.message);
    startValidator(); // a trapped instance is not reused
    validateAll();
  }
}

/** A part of a split comparison reports: progress adds up over the parts;
 * once every part is in, the runner merges them. */
function onPartMessage(msg) {
  const r = running;
  if (msg.type === 'progress') {
    r.partDone[msg.part] = msg.done;
    setProgress(r.partDone.reduce((a, b) => a + b, 0), r.total);
  } else if (msg.type === 'done') {
    r.parts[msg.part] = msg.result;
    if (r.parts.every((p) => p !== null)) {
      const parts = r.parts;
      r.parts = null;
      $('status').textContent = `merging ${parts.length} parts…`;
      runner.postMessage({ type: 'compareMerge', id: r.id, designs: r.designs, options: r.json, parts });
    }
  } else {
    // An error or a panic in any part ends the run; the workers start afresh.
    r.parts = null;
    onRunnerMessage({ ...msg, part: undefined });
    if (msg.type !== 'panic') startRunner();
  }
}

function onRunnerMessage(msg) {
  if (msg.type === 'ready') return;
  if (!running || msg.id !== running.id) return;
  if (running.parts && msg.part !== undefined) {
    onPartMessage(msg);
    return;
  }
  if (msg.type === 'progress') {
    setProgress(msg.done, msg.total);
  } else if (msg.type === 'done') {
    const r = running;
    finishRun(`done in ${((performance.now() - r.started) / 1000).toFixed(1)} s`, true);
    if (r.kind === 'compare') showCompare(msg.result, r);
    else if (r.kind === 'exact') showExact(msg.result, r);
    else if (r.kind === 'topology') showTopology(msg.result, r);
    else if (r.kind === 'scenario') showScenario(msg.result, r);
    else showSweep(msg.result, r);
    focusableScrollers();
  } else if (msg.type === 'error') {
    finishRun(msg.error.name === 'Cancelled' ? 'cancelled' : 'failed', false);
    showRunError(msg.error);
  } else if (msg.type === 'panic') {
    finishRun('failed', false);
    showBanner(msg.message);
    startRunner();
  }
}

// ---------------------------------------------------------------- editor

function renderTabs() {
  const nav = $('tabs');
  nav.replaceChildren();
  state.designs.forEach((d, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `tab${i === state.active ? ' active' : ''}`;
    b.dataset.index = i;
    const dot = document.createElement('span');
    const v = d.validation;
    dot.className = `dot${!v ? '' : !v.ok ? ' err' : v.diagnostics.length ? ' warn' : ' ok'}`;
    b.append(dot, document.createTextNode(designLabel(d, i)));
    b.onclick = () => selectDesign(i);
    nav.append(b);
  });
  const add = document.createElement('button');
  add.type = 'button';
  add.className = 'tab add';
  add.id = 'add-design';
  add.textContent = '+';
  add.title = 'add a design (a copy of the selected one)';
  add.setAttribute('aria-label', 'add a design');
  add.onclick = () => {
    const base = state.designs[state.active];
    state.designs.push(copyOf(base));
    selectDesign(state.designs.length - 1);
    validateActive();
    changed();
  };
  nav.append(add);
  $('remove-design').disabled = state.designs.length < 2;
}

/** The names in use: every design's file name and model name. */
function namesInUse() {
  const used = new Set();
  for (const d of state.designs) {
    used.add(d.name.replace(/\.(toml|json)$/, ''));
    const m = modelName(d.text);
    if (m) used.add(m);
  }
  return used;
}

/** The `name` of a design's `[model]` table, read from the text (the
 * validation may not have answered yet). */
function modelName(text) {
  const m = /^\[model\][^[]*?^\s*name\s*=\s*"([^"\n]*)"/m.exec(text);
  return m ? m[1] : null;
}

/** A copy of design `base` under a name no other design has: a comparison
 * needs every design told apart, so both the file name and the model's
 * `name` get the same fresh suffix. */
function copyOf(base) {
  const text = base ? base.text : '[model]\nname = "design"\n';
  const stem = modelName(text) || (base ? base.name.replace(/\.(toml|json)$/, '') : 'design');
  const root = stem.replace(/-copy(-\d+)?$/, '');
  const used = namesInUse();
  let name = `${root}-copy`;
  for (let k = 2; used.has(name); k++) name = `${root}-copy-${k}`;
  let out = text;
  if (modelName(text) !== null) {
    out = text.replace(/^(\[model\][^[]*?^\s*name\s*=\s*)"[^"\n]*"/m, (_, head) => `${head}"${name}"`);
  }
  return { name: `${name}.toml`, text: out };
}

function designLabel(d, i) {
  return d.validation?.model?.name || d.name.replace(/\.(toml|json)$/, '') || `design ${i + 1}`;
}

function selectDesign(i) {
  state.active = i;
  const d = state.designs[i];
  $('model').value = d.text;
  $('design-name').value = d.name;
  $('model').scrollTop = 0;
  renderTabs();
  renderValidation();
}

function renderGutter() {
  const d = state.designs[state.active];
  const lines = $('model').value.split('\n').length;
  const marks = new Map();
  for (const g of d?.validation?.diagnostics || []) {
    if (marks.get(g.line) !== 'err') marks.set(g.line, g.severity === 'error' ? 'err' : 'warn');
  }
  const gutter = $('gutter');
  const frag = document.createDocumentFragment();
  for (let n = 1; n <= lines; n++) {
    const s = document.createElement('span');
    s.textContent = n;
    const m = marks.get(n);
    if (m) {
      s.className = m;
      s.dataset.line = n;
    }
    frag.append(s);
  }
  // Room for the textarea's horizontal scrollbar.
  frag.append(document.createElement('br'), document.createElement('br'));
  gutter.replaceChildren(frag);
  gutter.scrollTop = $('model').scrollTop;
}

function renderValidation() {
  const d = state.designs[state.active];
  renderGutter();
  const v = d.validation;
  const status = $('validation-status');
  const list = $('diagnostics');
  list.replaceChildren();
  if (!v) {
    status.className = 'validation-status';
    status.textContent = 'checking…';
    return;
  }
  const warnings = v.diagnostics.filter((x) => x.severity === 'warning').length;
  if (v.ok) {
    const m = v.model;
    status.className = 'validation-status ok';
    status.textContent = v.summary;
  } else {
    status.className = 'validation-status err';
    status.textContent = v.summary;
  }
  for (const g of v.diagnostics) {
    const box = document.createElement('div');
    box.className = `diag ${g.severity}`;
    box.dataset.line = g.line;
    box.dataset.column = g.column;
    const pre = document.createElement('pre');
    pre.textContent = g.rendered;
    box.append(pre);
    box.title = 'go to line';
    box.tabIndex = 0;
    box.setAttribute('role', 'button');
    box.onclick = () => goToLine(g.line, g.column, g.snippet.length);
    box.onkeydown = (e) => {
      if (e.key === 'Enter') goToLine(g.line, g.column, g.snippet.length);
    };
    list.append(box);
  }
  if (v.ok && v.assumptions.length) {
    const a = document.createElement('div');
    a.className = 'diag warning assumptions';
    const pre = document.createElement('pre');
    pre.textContent = `assumptions (presets without an authoritative source; override them in the model):\n${v.assumptions.map((x) => `  ${x}`).join('\n')}`;
    a.append(pre);
    list.append(a);
  }
}

function goToLine(line, column, length) {
  const ta = $('model');
  const lines = ta.value.split('\n');
  let pos = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
  pos += Math.max(0, column - 1);
  ta.focus();
  ta.setSelectionRange(pos, pos + Math.max(1, length));
  ta.scrollTop = Math.max(0, (line - 5) * 19);
}

let validateTimer = null;
function validateActive() {
  const d = state.designs[state.active];
  d.pending = nextId++;
  validator.postMessage({ type: 'validate', id: d.pending, name: d.name, text: d.text });
}

function validateAll() {
  for (const d of state.designs) {
    d.pending = nextId++;
    validator.postMessage({ type: 'validate', id: d.pending, name: d.name, text: d.text });
  }
}

// ---------------------------------------------------------------- running

function readOptions() {
  const seed = $('seed').value.trim() || '1';
  if (!/^\d+$/.test(seed)) throw new Error('seed must be a whole number');
  const reps = $('replications').value.trim() || '1000';
  if (!/^\d+$/.test(reps)) throw new Error('replications must be a whole number');
  // The seed goes as text: JavaScript numbers lose digits above 2^53.
  const o = { seed, replications: Number(reps), horizon: $('horizon').value.trim() || '10y' };
  const t = $('target-ci').value.trim();
  if (t) {
    // Number('abc') is NaN, which JSON writes as null: the engine would see
    // no target at all, so the page refuses it here, in the engine's words.
    const v = Number(t);
    if (!/^[0-9.eE+-]+$/.test(t) || !Number.isFinite(v)) {
      throw new Error(`target CI is a fraction between 0 and 1 (0.05 means ±5%), got \`${t}\``);
    }
    o.target_ci = v;
  }
  return o;
}

function startRun(kind, extra) {
  if (running) return;
  let options;
  try {
    options = readOptions();
  } catch (e) {
    showRunError({ name: 'InputError', message: e.message });
    return;
  }
  const id = begin(kind, { options, ...extra });
  setProgress(0, options.replications);
  const json = JSON.stringify(options);
  const split = WORKERS > 1 && options.target_ci === undefined && options.replications >= 4 * WORKERS;
  if (kind === 'compare' && split) {
    const n = WORKERS;
    running.total = options.replications * running.designs.length;
    running.json = json;
    running.parts = Array(n).fill(null);
    running.partDone = Array(n).fill(0);
    document.body.dataset.workers = String(n);
    [runner, ...helpers].forEach((w, k) => {
      const [from, to] = partRange(options.replications, k, n);
      w.postMessage({ type: 'compareRange', id, part: k, designs: running.designs, options: json, from, to });
    });
  } else if (kind === 'compare') {
    document.body.dataset.workers = '1';
    runner.postMessage({ type: 'compare', id, designs: running.designs, options: json });
  } else {
    runner.postMessage({ type: 'sweep', id, name: extra.name, text: extra.text, options: json, axes: extra.axes });
  }
}

/** Marks the runner busy with a request of `kind`; returns its id. */
function begin(kind, extra) {
  const id = nextId++;
  running = { id, kind, started: performance.now(), ...extra };
  document.body.dataset.running = 'true';
  for (const b of ['run', 'sweep', 'exact', 'topology']) $(b).disabled = true;
  $('cancel').disabled = false;
  $('progress-bar').className = 'bar';
  return id;
}

/** The exact analysis of the selected design: computed, not simulated, so
 * it needs no run options and takes milliseconds. */
function startExact() {
  if (running) return;
  const d = state.designs[state.active];
  const id = begin('exact', { name: d.name, text: d.text });
  $('status').textContent = 'exact analysis…';
  runner.postMessage({ type: 'exact', id, name: d.name, text: d.text });
}

function setProgress(done, total) {
  $('progress-bar').style.width = `${total ? (100 * done) / total : 0}%`;
  const secs = running ? ((performance.now() - running.started) / 1000).toFixed(1) : '0.0';
  $('status').textContent = `${done.toLocaleString('en')} / ${total.toLocaleString('en')} replications · ${secs} s`;
}

function finishRun(text, ok) {
  running = null;
  delete document.body.dataset.running;
  for (const b of ['run', 'sweep', 'exact', 'topology']) $(b).disabled = false;
  $('cancel').disabled = true;
  $('status').textContent = text;
  $('status').dataset.state = text.split(' ')[0];
  $('progress-bar').className = ok ? 'bar done' : 'bar';
  $('progress-bar').style.width = ok ? '100%' : '0';
}

function cancelRun() {
  if (!running) return;
  // The run is one synchronous wasm call: replace the worker.
  startRunner();
  finishRun('cancelled', false);
}

function showRunError(err) {
  const box = document.createElement('div');
  box.className = 'error-box';
  box.id = 'run-error';
  box.dataset.kind = err.name;
  const h = document.createElement('strong');
  h.textContent = err.name === 'Cancelled' ? 'Run cancelled' : 'The run failed';
  const pre = document.createElement('pre');
  pre.textContent = err.message;
  box.append(h, pre);
  $('results').replaceChildren(box);
  $('exports').hidden = true;
}

// ---------------------------------------------------------------- results

function cell(tr, text, field, estimate, cls) {
  const td = document.createElement('td');
  // "mean ± half-width": the interval on a second, quieter line. The text
  // content stays exactly the one-line form.
  let i = text.indexOf(' ± ');
  if (i < 0) i = text.indexOf(' (95% CI ');
  if (i > 0) {
    const ci = document.createElement('span');
    ci.className = 'ci';
    ci.textContent = text.slice(i + 1);
    td.append(text.slice(0, i), ' ', ci);
  } else {
    td.textContent = text;
  }
  if (field) td.dataset.field = field;
  if (estimate && typeof estimate === 'object') {
    td.dataset.value = String(estimate.mean);
    if (estimate.ci95) {
      td.dataset.ciLow = String(estimate.ci95[0]);
      td.dataset.ciHigh = String(estimate.ci95[1]);
      td.title = `95% CI ${estimate.ci95[0]} … ${estimate.ci95[1]}`;
    }
  } else if (estimate !== undefined && estimate !== null) {
    td.dataset.value = String(estimate);
  }
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}

// What each column of the results means, in plain words (the review's
// glossary says the same). A header's tooltip is the renderer's where it
// has one, else this; the legend under the results lists them all.
const HELP = {
  design: 'the design (model) the row is about; the first one is the baseline the others are compared with.',
  delta: "this design's downtime a year minus the baseline's, from the same random streams, with its 95% interval; significant (coloured) when the interval excludes zero.",
  availability: 'the share of simulated time the service was up: the mean over replications with its 95% confidence interval.',
  nines: 'availability as a count of nines, -log10(1 - availability): 3.0 is 99.9%, 4.0 is 99.99%.',
  request_availability: 'the share of requests that succeeded: lower than the availability where a load balancer still sends requests to dead servers it has not yet marked DOWN.',
  downtime: 'how long a year the service was down, with the 95% interval of the availability in time units.',
  error_weighted: 'the share of failing requests integrated over time, as minutes a year: a half-failing minute counts half.',
  outages: 'how often a year the service went down, whatever the length.',
  recovery_p50: 'the outage length half of the outages were shorter than, with its 95% interval.',
  recovery_p99: 'the outage length 99% of the outages were shorter than (the long tail), with its 95% interval.',
  data_loss: 'events a year in which data was lost (a volume lost every replica, or a failover lost acknowledged writes).',
};

/** A table header row from the view's columns (labels and tooltips are the
 * renderer's, with the page's plain-language help where it has none). */
function headerRow(table, columns) {
  const thr = table.createTHead().insertRow();
  columns.forEach((c) => {
    const th = document.createElement('th');
    th.append(breakable(c.label));
    th.scope = 'col';
    th.dataset.field = c.key;
    const help = c.title || (HELP[c.key] && `${c.label}: ${HELP[c.key]}`);
    if (help) {
      th.title = help;
      th.className = 'explained';
    }
    thr.append(th);
  });
}

/** A header's text with break opportunities inside its long words (after
 * a slash, and soft hyphens in the longest words), so eleven columns fit a
 * 1280 px screen without the table scrolling sideways. The text content is
 * unchanged apart from the invisible soft hyphens' positions. */
function breakable(label) {
  const frag = document.createDocumentFragment();
  const parts = label
    .replace(/availability/g, 'avail\u00adability')
    .replace(/downtime/g, 'down\u00adtime')
    .replace(/recovery/g, 're\u00adcovery')
    .split('/');
  parts.forEach((p, i) => {
    if (i > 0) frag.append('/', document.createElement('wbr'));
    frag.append(p);
  });
  return frag;
}

/** The legend under the results: every column's header and its meaning. */
function legend(columns) {
  const box = document.createElement('details');
  box.className = 'card legend';
  box.open = true;
  const s = document.createElement('summary');
  s.textContent = 'What the columns mean';
  const dl = document.createElement('dl');
  for (const c of columns) {
    if (!HELP[c.key]) continue;
    const dt = document.createElement('dt');
    dt.textContent = c.label;
    const dd = document.createElement('dd');
    dd.textContent = HELP[c.key];
    dd.dataset.field = c.key;
    dl.append(dt, dd);
  }
  box.append(s, dl);
  return box;
}

/** The view's table with the difference right after the design's name, so
 * the column that says who wins is the first one read. */
function deltaFirst(t) {
  const order = (list) => {
    const i = list.findIndex((c) => c.key === 'delta');
    if (i < 0) return list;
    const out = list.slice();
    const [d] = out.splice(i, 1);
    out.splice(1, 0, d);
    return out;
  };
  return { columns: order(t.columns), rows: t.rows.map((r) => ({ ...r, cells: order(r.cells) })) };
}

/** A view cell (text, value, interval, style) as a table cell. */
function viewCell(tr, c) {
  const estimate = c.value === undefined ? null : c.ci95 ? { mean: c.value, ci95: c.ci95 } : c.value;
  return cell(tr, c.text, c.key, estimate, c.class);
}

function showCompare(result, run) {
  const docs = result.documents.map((j) => JSON.parse(j));
  const compare = JSON.parse(result.json);
  const view = result.view;
  state.last = { kind: 'compare', result, docs, compare, run };
  window.hasimLast = state.last;
  const root = $('results');
  root.replaceChildren();
  const head = document.createElement('p');
  head.className = 'muted run-head';
  head.textContent = view.head;
  root.append(head);
  root.append(verdicts(result.summary));
  for (const sv0 of view.services) {
    const sv = { ...sv0, table: deltaFirst(sv0.table) };
    const svc = sv.service;
    const card = document.createElement('section');
    card.className = 'card service';
    card.dataset.service = svc;
    const h = document.createElement('h2');
    h.textContent = `service ${svc} `;
    card.append(h);
    const wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    const table = document.createElement('table');
    table.className = 'results-table';
    headerRow(table, sv.table.columns);
    const body = table.createTBody();
    const cdfSeries = [];
    for (const row of sv.table.rows) {
      const di = docs.findIndex((d) => d.model.name === row.label);
      const tr = body.insertRow();
      tr.dataset.design = row.label;
      for (const c of row.cells) {
        if (c.key === 'design') {
          const name = cell(tr, '', 'design', null, 'design');
          const sw = document.createElement('span');
          sw.className = 'swatch';
          sw.style.background = PALETTE[di % PALETTE.length];
          name.append(sw, document.createTextNode(c.text));
        } else {
          viewCell(tr, c);
        }
      }
      const rec = result.recovery[di].find((x) => x.service === svc);
      cdfSeries.push({ label: row.label, color: PALETTE[di % PALETTE.length], points: rec.points, count: rec.count });
    }
    wrap.append(table);
    card.append(wrap);
    if (sv.exact) card.append(exactBeside(sv.exact));
    const charts = document.createElement('div');
    charts.className = 'charts';
    charts.append(recoveryCdf(cdfSeries, `${svc}: recovery time, cumulative`));
    charts.append(downtimeByCause(sv.causes));
    card.append(charts);
    root.append(card);
  }
  root.append(clustersTable(view.clusters));
  if (view.services.length) root.append(legend(view.services[0].table.columns));
  $('exports').hidden = false;
  $('export-csv').hidden = false;
  $('export-review').hidden = false;
}

/** A line of the shared summary (plain, code and strong runs) as inline
 * elements; its text content is the line's plain text. */
function inlineLine(line, tag = 'p', className = '') {
  const el = document.createElement(tag);
  if (className) el.className = className;
  for (const run of line) {
    if (run.kind === 'text') el.append(run.text);
    else {
      const e = document.createElement(run.kind === 'code' ? 'code' : 'strong');
      e.textContent = run.text;
      el.append(e);
    }
  }
  return el;
}

/** The answer first: per service the verdict `hasim report` opens with
 * (from sim_render::summary, so the sentences are the CLI's), then per
 * design the largest cause of its downtime with its fix, the rest folded. */
function verdicts(summary) {
  const card = document.createElement('section');
  card.className = 'card verdicts';
  card.id = 'verdicts';
  const h = document.createElement('h2');
  h.textContent = 'Verdict';
  card.append(h);
  for (const line of summary.verdicts) {
    const p = inlineLine(line, 'p', 'verdict');
    p.dataset.service = line[0]?.text ?? '';
    card.append(p);
  }
  for (const d of summary.designs) {
    if (d.findings.length === 0 && d.structure.length === 0 && !d.failures?.length) continue;
    const box = document.createElement('div');
    box.className = 'fix-first';
    box.dataset.design = d.design;
    const head = document.createElement('p');
    head.className = 'fix-head';
    head.append('What to fix first in ', Object.assign(document.createElement('strong'), { textContent: d.design }), ':');
    box.append(head);
    if (d.findings.length) box.append(inlineLine(d.findings[0], 'p', 'finding first'));
    // The rest of the review's first page: further causes, the structure
    // against the simulation, and what each single failure does.
    const rest = [...d.findings.slice(1), ...d.structure, ...(d.failures || [])];
    if (rest.length) {
      const more = document.createElement('details');
      const s = document.createElement('summary');
      s.textContent = `${rest.length} more finding${rest.length === 1 ? '' : 's'} (causes, structure against simulation, single failures)`;
      const ul = document.createElement('ul');
      for (const l of rest) ul.append(inlineLine(l, 'li', 'finding'));
      more.append(s, ul);
      box.append(more);
    }
    card.append(box);
  }
  return card;
}

/** A box that scrolls sideways (a table too wide for a phone, a large
 * topology) can be reached and scrolled with the keyboard, and says what it
 * holds. */
function focusableScrollers() {
  for (const w of document.querySelectorAll('.table-wrap:not([tabindex]), .topology-wrap:not([tabindex])')) {
    w.tabIndex = 0;
    w.setAttribute('role', 'region');
    const head = w.closest('section')?.querySelector('h2, h3');
    w.setAttribute('aria-label', head ? head.textContent.trim() : 'table');
  }
}

/** A view table as a results table, rows marked with `rowData(row)`. */
function viewTable(t, className = '', rowData = () => ({})) {
  const table = document.createElement('table');
  table.className = `results-table ${className}`.trim();
  headerRow(table, t.columns);
  const body = table.createTBody();
  for (const row of t.rows) {
    const tr = body.insertRow();
    Object.assign(tr.dataset, rowData(row));
    for (const c of row.cells) viewCell(tr, c);
  }
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  wrap.append(table);
  return wrap;
}

/** Each design's exact figures beside its simulated downtime: the
 * difference is the downtime the failover machinery adds. */
function exactBeside(t) {
  const box = document.createElement('div');
  box.className = 'exact-beside';
  const h = document.createElement('h3');
  h.textContent = 'exact steady state (structure only) beside the simulation';
  box.append(h, viewTable(t, 'failover-cost', (row) => ({ design: row.label })));
  return box;
}

/** A line of the exact analysis (a note, a heading, a reason). */
function para(text, className) {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = text;
  return p;
}

function showExact(result, run) {
  const view = result.view;
  state.last = { kind: 'exact', result, run, name: JSON.parse(result.json).model };
  window.hasimLast = state.last;
  const root = $('results');
  root.replaceChildren(para(view.head, 'muted run-head'));
  const summary = document.createElement('section');
  summary.className = 'card exact-summary';
  const h = document.createElement('h2');
  h.textContent = 'exact availability of each service';
  summary.append(h);
  if (view.services.rows.length) summary.append(viewTable(view.services, 'exact-services', (row) => ({ service: row.label })));
  for (const c of view.crews) summary.append(para(c, 'muted crew'));
  root.append(summary);
  for (const d of view.details) {
    const card = document.createElement('section');
    card.className = 'card exact-service';
    card.dataset.service = d.service;
    const t = document.createElement('h2');
    t.textContent = `service ${d.service}`;
    card.append(t);
    if (d.not_solved) card.append(para(d.not_solved, 'not-solved'));
    for (const n of d.notes) card.append(para(n, 'muted note'));
    if (d.cut_sets_heading) card.append(para(d.cut_sets_heading, 'table-head'));
    if (d.cut_sets.rows.length) card.append(viewTable(d.cut_sets, 'cut-sets'));
    if (d.importance_heading) card.append(para(d.importance_heading, 'table-head'));
    if (d.importance.rows.length) card.append(viewTable(d.importance, 'importance'));
    root.append(card);
  }
  $('exports').hidden = false;
  $('export-csv').hidden = true;
  $('export-review').hidden = true;
}

/** Down time of every cluster output, one column per design. */
function clustersTable(t) {
  if (t.rows.length === 0) return document.createDocumentFragment();
  const card = document.createElement('section');
  card.className = 'card clusters-card';
  const h = document.createElement('h2');
  h.textContent = 'clusters: time per year without quorum, or with an output down';
  card.append(h);
  const table = document.createElement('table');
  table.className = 'results-table';
  headerRow(table, t.columns);
  const body = table.createTBody();
  for (const row of t.rows) {
    const tr = body.insertRow();
    for (const c of row.cells) viewCell(tr, c);
  }
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  wrap.append(table);
  card.append(wrap);
  return card;
}

function showSweep(result, run) {
  const doc = JSON.parse(result.json);
  const view = result.view;
  state.last = { kind: 'sweep', result, docs: [doc], run };
  window.hasimLast = state.last;
  const root = $('results');
  root.replaceChildren();
  const path = run.axes.map((a) => a.path).join(' × ');
  const head = document.createElement('p');
  head.className = 'muted run-head';
  head.textContent = view.head;
  root.append(head);
  const card = document.createElement('section');
  card.className = 'card service sweep-result';
  const services = doc.points[0].services.map((s) => s.name);
  const series = services.map((name) => ({
    label: name,
    values: doc.points.map((p) => p.services.find((s) => s.name === name).availability),
  }));
  card.append(sweepChart(view.points, series, path, `availability versus ${path}`));
  const table = document.createElement('table');
  table.className = 'results-table';
  headerRow(table, view.table.columns);
  const body = table.createTBody();
  for (const row of view.table.rows) {
    const tr = body.insertRow();
    for (const c of row.cells) viewCell(tr, c);
  }
  const wrap = document.createElement('div');
  wrap.className = 'table-wrap';
  wrap.append(table);
  card.append(wrap);
  root.append(card);
  $('exports').hidden = false;
  $('export-csv').hidden = false;
  $('export-review').hidden = true;
}

// ---------------------------------------------------------------- topology

/** The selected design drawn: one node per element, cluster and service,
 * from the engine (sim_render::topology), laid out by dagre. */
function startTopology() {
  if (running) return;
  const d = state.designs[state.active];
  const id = begin('topology', { name: d.name, text: d.text });
  $('status').textContent = 'topology…';
  runner.postMessage({ type: 'topology', id, name: d.name, text: d.text });
}

/** Fails one element a minute in (random failures off) and plays the
 * hour after it: `hasim scenario MODEL --fail NAME@1m --seed SEED`. */
const FAIL_AT = '1m';
function startScenario(element) {
  if (running) return;
  const t = state.last?.kind === 'topology' || state.last?.kind === 'scenario' ? state.last.topoRun : null;
  if (!t) return;
  const seed = $('seed').value.trim() || '1';
  const id = begin('scenario', { name: t.name, text: t.text, element, seed, topoRun: t });
  $('status').textContent = `failing ${element}…`;
  runner.postMessage({ type: 'scenario', id, name: t.name, text: t.text, element, at: FAIL_AT, seed });
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function showTopology(topo, run) {
  const { default: dagre } = await import('./vendor/dagre.esm.js');
  state.last = { kind: 'topology', topo, topoRun: run };
  window.hasimLast = state.last;
  const g = new dagre.graphlib.Graph();
  // Top to bottom in the order things depend on each other: power and
  // switches first, services last.
  g.setGraph({ rankdir: 'TB', nodesep: 14, ranksep: 34, marginx: 6, marginy: 6 });
  g.setDefaultEdgeLabel(() => ({}));
  topo.nodes.forEach((n, i) => g.setNode(String(i), { width: Math.max(84, 7.2 * Math.max(n.name.length, n.kind.length) + 18), height: 36 }));
  for (const [a, b] of topo.edges) g.setEdge(String(a), String(b));
  dagre.layout(g);
  const { width, height } = g.graph();
  const s = svgEl('svg', { class: 'topology', viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`, width: Math.ceil(width), role: 'group', 'aria-label': `topology of ${topo.model}` });
  s.style.maxWidth = '100%';
  s.style.height = 'auto';
  const defs = svgEl('defs');
  const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 6, markerHeight: 6, orient: 'auto' });
  marker.append(svgEl('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#9ca3af' }));
  defs.append(marker);
  s.append(defs);
  for (const e of g.edges()) {
    const pts = g.edge(e).points;
    s.append(svgEl('path', { class: 'topo-edge', d: `M${pts.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' L')}`, 'marker-end': 'url(#arrow)' }));
  }
  topo.nodes.forEach((n, i) => {
    const p = g.node(String(i));
    const spof = n.spof_services?.length || n.cut_set_of_one?.length;
    const grp = svgEl('g', { class: `topo-node ${n.layer}${spof ? ' spof' : ''}`, transform: `translate(${(p.x - p.width / 2).toFixed(1)},${(p.y - p.height / 2).toFixed(1)})` });
    grp.dataset.name = n.name;
    grp.dataset.layer = n.layer;
    grp.dataset.kind = n.kind;
    const why = spof ? `; single point of failure: failing it alone takes down ${[...new Set([...(n.spof_services || []), ...(n.cut_set_of_one || [])])].join(', ')}` : '';
    // A failable node says all in its accessible name (below); a tooltip
    // there would be read as part of its content and differ from that name.
    if (!n.failable) grp.append(svgEl('title', {}, `${n.kind} ${n.name}${why}`));
    grp.append(svgEl('rect', { width: p.width, height: p.height, rx: n.layer === 'element' ? 4 : 14 }));
    // One text of two lines with a space between them, so the node's text
    // reads "proxmox-1 host · SPOF", as its accessible name begins.
    const label = svgEl('text', {});
    label.append(svgEl('tspan', { x: p.width / 2, y: 15, class: 'topo-name' }, n.name), ' ', svgEl('tspan', { x: p.width / 2, y: 28, class: 'topo-kind' }, spof ? `${n.kind} · SPOF` : n.kind));
    grp.append(label);
    if (n.failable) {
      grp.setAttribute('tabindex', '0');
      grp.setAttribute('role', 'button');
      // The accessible name starts with the visible text (WCAG 2.5.3).
      grp.setAttribute('aria-label', `${n.name} ${spof ? `${n.kind} · SPOF` : n.kind}: fail it${why}`);
      grp.addEventListener('click', () => startScenario(n.name));
      grp.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          startScenario(n.name);
        }
      });
    }
    s.append(grp);
  });
  const card = document.createElement('section');
  card.className = 'card topology-card';
  const h = document.createElement('h2');
  h.textContent = `topology of ${topo.model}`;
  const spofs = topo.nodes.filter((n) => n.spof_services?.length || n.cut_set_of_one?.length);
  const note = para(
    spofs.length
      ? `Single points of failure (red): ${spofs.map((n) => n.name).join(', ')}. Each takes a service down alone (found by failing every element alone and checking an hour later, as hasim validate does, and by the exact analysis's cut sets of one part where it solves the service). Click an element to fail it.`
      : 'No single element takes a service down alone. Click an element to fail it.',
    'muted topo-note',
  );
  const wrap = document.createElement('div');
  wrap.className = 'topology-wrap';
  wrap.append(s);
  card.append(h, note, wrap);
  const slot = document.createElement('div');
  slot.id = 'scenario-slot';
  $('results').replaceChildren(card, slot);
  $('exports').hidden = true;
  focusableScrollers();
}

/** A duration in seconds as the shortest readable text. */
function secs(x) {
  if (x < 60) return `${+x.toFixed(1)} s`;
  if (x < 3600) return `${+(x / 60).toFixed(1)} min`;
  return `${+(x / 3600).toFixed(2)} h`;
}

function showScenario(result, run) {
  const doc = result.doc;
  state.last = { kind: 'scenario', result, topoRun: run.topoRun, element: run.element };
  window.hasimLast = state.last;
  const slot = $('scenario-slot');
  if (!slot) return;
  const card = document.createElement('section');
  card.className = 'card scenario-card';
  card.dataset.element = run.element;
  const h = document.createElement('h2');
  h.textContent = `${run.element} fails at ${FAIL_AT}: what happens in the hour after`;
  card.append(h, para(`hasim scenario ${run.name} --fail ${run.element}@${FAIL_AT} --seed ${doc.seed} (random failures off)`, 'muted scenario-cmd'));
  for (const sv of doc.services) {
    const down = sv.downtime_seconds > 0;
    card.append(para(`${sv.name}: ${down ? `down ${secs(sv.downtime_seconds)} in ${sv.outages} outage${sv.outages === 1 ? '' : 's'}` : 'never down'}${sv.recovery_seconds.length < sv.outages ? ', still down at the end' : ''}`, `scenario-service${down ? ' down' : ''}`));
  }
  card.append(gantt(doc));
  $('scenario-slot').replaceChildren(card);
  document.querySelectorAll('.topo-node.failed').forEach((n) => n.classList.remove('failed'));
  document.querySelector(`.topo-node[data-layer="element"][data-name="${CSS.escape(run.element)}"]`)?.classList.add('failed');
}

/** The timeline as a Gantt chart: one row per subject in the order it
 * first appears, a bar for each span it was down (an element or cluster
 * output down, a service down, a fault active), ticks for cluster notes. */
function gantt(doc) {
  const horizon = doc.horizon_seconds;
  const rows = [];
  const byKey = new Map();
  const row = (e) => {
    const key = `${e.layer}\u0000${e.subject}`;
    if (!byKey.has(key)) {
      const r = { layer: e.layer, subject: e.subject, spans: [], open: null, notes: [] };
      byKey.set(key, r);
      rows.push(r);
    }
    return byKey.get(key);
  };
  for (const e of doc.timeline) {
    const r = row(e);
    const t = e.time_ns / 1e9;
    const ev = e.event;
    const goesDown = (ev.type === 'state' && !ev.up) || ev.type === 'service_down';
    const comesUp = (ev.type === 'state' && ev.up) || ev.type === 'service_up';
    if (goesDown && r.open === null) r.open = { from: t, what: e.what };
    else if (comesUp && r.open !== null) {
      r.spans.push({ ...r.open, to: t });
      r.open = null;
    } else if (!goesDown && !comesUp) r.notes.push({ t, what: e.what });
  }
  for (const r of rows) if (r.open !== null) r.spans.push({ ...r.open, to: horizon, open: true });
  const W = 760;
  const left = 190;
  const rowH = 18;
  const top = 22;
  const H = top + rows.length * rowH + 8;
  const x = (t) => left + ((W - left - 30) * t) / horizon;
  const s = svgEl('svg', { class: 'chart gantt', viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', 'aria-label': `timeline of the scenario, ${rows.length} rows` });
  for (let k = 0; k <= 6; k++) {
    const t = (horizon * k) / 6;
    s.append(svgEl('line', { x1: x(t), x2: x(t), y1: top - 4, y2: H - 6, class: 'grid' }));
    s.append(svgEl('text', { x: x(t), y: 12, class: 'tick', 'text-anchor': 'middle' }, secs(t)));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const g = svgEl('g', { class: `gantt-row ${r.layer}` });
    g.dataset.subject = r.subject;
    g.dataset.layer = r.layer;
    g.append(svgEl('text', { x: left - 6, y: y + 12, class: 'label', 'text-anchor': 'end' }, `${r.subject}`));
    for (const sp of r.spans) {
      const bar = svgEl('rect', { x: x(sp.from), y: y + 3, width: Math.max(2, x(sp.to) - x(sp.from)), height: rowH - 6, class: `gantt-bar ${r.layer}`, rx: 2 });
      bar.append(svgEl('title', {}, `${r.subject}: ${sp.what} at ${secs(sp.from)}, ${sp.open ? 'still down at the end' : `back at ${secs(sp.to)} (${secs(sp.to - sp.from)})`}`));
      g.append(bar);
    }
    for (const n of r.notes) {
      const tick = svgEl('rect', { x: x(n.t) - 1, y: y + 2, width: 2, height: rowH - 4, class: 'gantt-note' });
      tick.append(svgEl('title', {}, `${r.subject} at ${secs(n.t)}: ${n.what}`));
      g.append(tick);
    }
    s.append(g);
  });
  return s;
}

// ---------------------------------------------------------------- importing configs

/** Reads dropped or picked files and asks the engine for the model they
 * describe (`hasim import`); the format is recognised by content. */
async function importFiles(fileList) {
  const files = [];
  for (const f of fileList) files.push({ name: f.name, text: await f.text() });
  if (files.length === 0) return;
  pendingImport = nextId++;
  const box = $('import-status');
  box.hidden = false;
  box.className = 'import-status';
  box.textContent = `importing ${files.map((f) => f.name).join(', ')}…`;
  validator.postMessage({ type: 'import', id: pendingImport, files });
}

/** The imported model opens as a new design (the designs already open are
 * kept); a file that does not parse shows its located error instead. */
function showImport(r) {
  const box = $('import-status');
  if (!r.ok) {
    box.className = 'import-status';
    box.replaceChildren(para('The files could not be imported:', 'import-error-head'));
    for (const g of r.diagnostics) {
      const d = document.createElement('div');
      d.className = 'import-error';
      d.dataset.line = g.line;
      const pre = document.createElement('pre');
      pre.textContent = g.rendered;
      d.append(pre);
      box.append(d);
    }
    return;
  }
  state.designs.push({ name: 'imported.toml', text: r.model });
  selectDesign(state.designs.length - 1);
  validateActive();
  changed();
  box.className = 'import-status ok';
  const pre = document.createElement('pre');
  pre.textContent = r.summary.join('\n');
  box.replaceChildren(para('Imported as a new design:', 'import-ok-head'), pre);
}

function showImportError(message) {
  const box = $('import-status');
  box.className = 'import-status';
  const d = document.createElement('div');
  d.className = 'import-error';
  const pre = document.createElement('pre');
  pre.textContent = message;
  d.append(pre);
  box.replaceChildren(d);
}

// ---------------------------------------------------------------- exports, sharing

function download(name, text, type) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function exportName(ext) {
  const l = state.last;
  if (l.kind === 'exact') return `${l.name}-exact.${ext}`;
  if (l.kind === 'sweep') return `${l.docs[0].model.name}-sweep.${ext}`;
  return l.docs.length === 1 ? `${l.docs[0].model.name}.${ext}` : `compare-${l.docs.map((d) => d.model.name).join('-vs-')}.${ext}`.slice(0, 120);
}

function exportJson() {
  const l = state.last;
  if (!l) return;
  // One design: the run document, byte for byte `hasim run --export-json`.
  // Several: the document of `hasim compare --export-json`. The exact
  // analysis: the bytes of `hasim exact --export-json`.
  const text = l.kind === 'compare' && l.docs.length === 1 ? l.result.documents[0] : l.result.json;
  download(exportName('json'), text, 'application/json');
}

/** The design review of the last comparison (`hasim report
 * --no-design-search`'s HTML, the same bytes but for the two charts), rendered
 * by the validator worker from the comparison's accumulators. */
function exportReview() {
  const l = state.last;
  if (!l || l.kind !== 'compare' || pendingReview) return;
  const name = exportName('html').replace(/^compare-/, 'review-');
  pendingReview = { id: nextId++, name };
  validator.postMessage({
    type: 'review',
    id: pendingReview.id,
    designs: l.run.designs,
    options: JSON.stringify(l.run.options),
    parts: [l.result.accumulators],
    format: 'html',
    output: name,
  });
}

function exportCsv() {
  if (state.last) download(exportName('csv'), state.last.result.csv, 'text/csv');
}

function currentShareState() {
  const o = {};
  for (const k of ['seed', 'replications', 'horizon', 'target-ci', 'sweep-path', 'sweep-values']) o[k] = $(k).value;
  return { designs: state.designs.map((d) => ({ name: d.name, text: d.text })), active: state.active, options: o };
}

async function share() {
  const hash = await encodeState(currentShareState());
  history.replaceState(null, '', `#${hash}`);
  dirty = false;
  let copied = false;
  try {
    await navigator.clipboard.writeText(location.href);
    copied = true;
  } catch {
    // No clipboard permission: the address bar holds the link.
  }
  showBanner(copied ? 'Link copied: it holds every design and option of this page.' : 'The address bar now holds a link with every design and option of this page.', true);
}

function showBanner(text, info = false) {
  const b = $('banner');
  b.textContent = text;
  b.className = `banner${info ? ' info' : ''}`;
  b.hidden = false;
  if (info) setTimeout(() => (b.hidden = true), 4000);
}

// ---------------------------------------------------------------- nothing lost

// Every edit is saved to localStorage (debounced), so a closed tab or a
// reload loses nothing: the next visit offers to restore it. Leaving the
// page with edits no share link holds asks first.
const AUTOSAVE_KEY = 'hasim-playground-autosave';
let dirty = false;
let saveTimer = null;

/** Called after every change to the designs or the options. */
function changed() {
  dirty = true;
  clearTimeout(saveTimer);
  saveTimer = setTimeout(autosave, 300);
}

function autosave() {
  try {
    localStorage.setItem(AUTOSAVE_KEY, JSON.stringify({ v: 1, saved: Date.now(), ...currentShareState() }));
    document.body.dataset.autosaved = String(Date.now());
  } catch {
    // Storage full or disabled (private mode): the leave-page warning
    // still protects the edits.
  }
}

function savedState() {
  try {
    const s = JSON.parse(localStorage.getItem(AUTOSAVE_KEY) || 'null');
    return s && s.v === 1 && Array.isArray(s.designs) && s.designs.every((d) => typeof d.name === 'string' && typeof d.text === 'string') ? s : null;
  } catch {
    return null;
  }
}

function sameDesigns(a, b) {
  return a.length === b.length && a.every((d, i) => d.name === b[i].name && d.text === b[i].text);
}

/** Offers the autosaved designs when they differ from what the page opened with. */
function offerRestore() {
  const saved = savedState();
  if (!saved || sameDesigns(saved.designs, state.designs)) return;
  const box = $('restore');
  const when = new Date(saved.saved).toLocaleString('en-GB');
  const names = saved.designs.map((d) => d.name.replace(/\.(toml|json)$/, '')).join(', ');
  box.querySelector('.restore-text').textContent = `Unsaved edits from ${when} are kept in this browser (${saved.designs.length} design${saved.designs.length === 1 ? '' : 's'}: ${names}).`;
  box.hidden = false;
  $('restore-yes').onclick = () => {
    box.hidden = true;
    applyState(saved);
    dirty = true;
  };
  $('restore-no').onclick = () => {
    box.hidden = true;
    localStorage.removeItem(AUTOSAVE_KEY);
  };
}

/** Opens designs and options (from a link or the autosave). */
function applyState(s) {
  for (const [k, v] of Object.entries(s.options || {})) if ($(k)) $(k).value = v;
  if (s.options?.['sweep-path']) $('sweep-box').open = true;
  state.designs = s.designs.map((d) => ({ name: d.name, text: d.text }));
  selectDesign(Math.min(Math.max(0, s.active || 0), state.designs.length - 1));
  validateAll();
}

let removed = null; // {design, index}: what Undo puts back
let undoTimer = null;

function removeDesign() {
  if (state.designs.length < 2) return;
  const index = state.active;
  const [design] = state.designs.splice(index, 1);
  removed = { design, index };
  selectDesign(Math.max(0, index - 1));
  changed();
  const bar = $('undo-bar');
  bar.querySelector('.undo-text').textContent = `Removed ${designLabel(design, index)}.`;
  bar.hidden = false;
  clearTimeout(undoTimer);
  undoTimer = setTimeout(() => (bar.hidden = true), 20000);
}

function undoRemove() {
  if (!removed) return;
  state.designs.splice(Math.min(removed.index, state.designs.length), 0, removed.design);
  selectDesign(Math.min(removed.index, state.designs.length - 1));
  removed = null;
  $('undo-bar').hidden = true;
  changed();
}

/** A run that failed on a model error no longer applies once every
 * design validates: the box goes and the page says so. */
function clearStaleError() {
  const box = $('run-error');
  if (!box || box.dataset.kind !== 'ModelError') return;
  if (!state.designs.every((d) => d.validation?.ok)) return;
  $('results').replaceChildren(para('The error is fixed; press Run to see results.', 'muted intro fixed'));
}

// ---------------------------------------------------------------- start-up

async function fetchText(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.text();
}

async function loadExamples() {
  try {
    state.examples = JSON.parse(await fetchText('models/index.json'));
  } catch {
    state.examples = [];
  }
  const sel = $('examples');
  for (const f of state.examples) {
    const o = document.createElement('option');
    o.value = f;
    o.textContent = f;
    sel.append(o);
  }
}

let fromLink = false;

async function initialDesigns() {
  if (location.hash.length > 1) {
    try {
      const s = await decodeState(location.hash);
      if (s) {
        fromLink = true;
        for (const [k, v] of Object.entries(s.options || {})) if ($(k)) $(k).value = v;
        if (s.options?.['sweep-path']) $('sweep-box').open = true;
        return { designs: s.designs.map((d) => ({ name: d.name, text: d.text })), active: s.active || 0 };
      }
    } catch (e) {
      fromLink = false;
      showBanner(`This link is damaged and could not be opened: ${e.message}. Showing the examples instead.`);
    }
  }
  // By default, the first two examples side by side.
  const designs = [];
  for (const f of state.examples.slice(0, 2)) designs.push({ name: f, text: await fetchText(`models/${f}`) });
  if (designs.length === 0) designs.push({ name: 'model.toml', text: '[model]\nname = "empty"\n' });
  return { designs, active: 0 };
}

async function main() {
  startValidator();
  startRunner();
  await loadExamples();
  const init = await initialDesigns();
  state.designs = init.designs;
  selectDesign(Math.min(init.active, state.designs.length - 1));
  validateAll();
  // A link says what to show; otherwise the autosave may hold more recent work.
  if (!fromLink) offerRestore();
  $('undo').addEventListener('click', undoRemove);
  for (const k of ['seed', 'replications', 'horizon', 'target-ci', 'sweep-path', 'sweep-values']) $(k).addEventListener('change', changed);
  window.addEventListener('beforeunload', (e) => {
    if (!dirty) return;
    // Saved already, but the warning tells the user the page holds work.
    autosave();
    e.preventDefault();
    e.returnValue = '';
  });

  const ta = $('model');
  ta.addEventListener('input', () => {
    const d = state.designs[state.active];
    d.text = ta.value;
    renderGutter();
    changed();
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validateActive, 200);
  });
  ta.addEventListener('scroll', () => ($('gutter').scrollTop = ta.scrollTop));
  // Tab indents, as in a code editor; Esc first lets the next Tab leave
  // the editor, so the keyboard is never trapped in it (the convention
  // CodeMirror follows too).
  let tabLeaves = false;
  ta.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      tabLeaves = true;
      return;
    }
    if (e.key === 'Tab' && !e.shiftKey && !tabLeaves) {
      e.preventDefault();
      document.execCommand('insertText', false, '  ');
      return;
    }
    tabLeaves = false;
  });
  ta.addEventListener('blur', () => (tabLeaves = false));
  $('design-name').addEventListener('change', (e) => {
    state.designs[state.active].name = e.target.value.trim() || 'model.toml';
    validateActive();
    changed();
  });
  $('examples').addEventListener('change', async (e) => {
    const f = e.target.value;
    if (!f) return;
    const d = state.designs[state.active];
    d.name = f;
    d.text = await fetchText(`models/${f}`);
    d.validation = null;
    e.target.value = '';
    selectDesign(state.active);
    validateActive();
    changed();
  });
  $('remove-design').addEventListener('click', removeDesign);
  $('run-form').addEventListener('submit', (e) => {
    e.preventDefault();
    startRun('compare', { designs: state.designs.map((d) => ({ name: d.name, text: d.text })) });
  });
  $('cancel').addEventListener('click', cancelRun);
  $('exact').addEventListener('click', startExact);
  $('topology').addEventListener('click', startTopology);
  $('import-files').addEventListener('change', (e) => {
    // A copy: clearing the input (so picking the same files again fires
    // `change`) empties its live FileList while the files are being read.
    const files = [...e.target.files];
    e.target.value = '';
    importFiles(files);
  });
  // Config files dropped on the editor are imported; anything else dropped
  // (text dragged inside the editor) is left to the textarea.
  const zone = $('drop-zone');
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes('Files');
  zone.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    zone.classList.add('dropping');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dropping'));
  zone.addEventListener('drop', (e) => {
    zone.classList.remove('dropping');
    if (!hasFiles(e)) return;
    e.preventDefault();
    importFiles([...e.dataTransfer.files]);
  });
  $('sweep').addEventListener('click', () => {
    const d = state.designs[state.active];
    const path = $('sweep-path').value.trim();
    const values = $('sweep-values').value.split(',').map((v) => v.trim()).filter(Boolean);
    startRun('sweep', { name: d.name, text: d.text, axes: [{ path, values }] });
  });
  $('export-json').addEventListener('click', exportJson);
  $('export-csv').addEventListener('click', exportCsv);
  $('export-review').addEventListener('click', exportReview);
  $('share').addEventListener('click', share);
  // For the tests: a deliberate panic in the validation worker.
  window.hasimDebug = { panic: () => validator.postMessage({ type: 'panic', id: 0 }) };
  document.body.dataset.ui = 'ready';
}

main().catch((e) => showBanner(`The playground failed to start: ${e.message}`));
