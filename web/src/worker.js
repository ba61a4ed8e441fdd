// The simulation runs here, in a module Web Worker, so the page never
// freezes. A small tagged protocol, in the manner of Biome's playground:
//
//   page -> worker: {type: 'init', module}   (first: the compiled wasm)
//                   {type: 'validate', id, name, text}
//                   {type: 'compare', id, designs: [{name, text}], options}
//                   {type: 'sweep', id, name, text, options, axes}
//                   {type: 'exact', id, name, text}
//                   {type: 'import', id, files: [{name, text}]}
//                   {type: 'compareRange', id, part, designs, options, from, to}
//                   {type: 'compareMerge', id, designs, options, parts: [string]}
//                   {type: 'topology', id, name, text}
//                   {type: 'scenario', id, name, text, element, at, seed}
//   worker -> page: {type: 'ready', version}
//                   {type: 'validated', id, result}
//                   {type: 'progress', id, done, total}
//                   {type: 'done', id, result}
//                   {type: 'error', id, error: {name, message, diagnostics}}
//                   {type: 'panic', id, message}   (the worker must be replaced)
//
// Cancelling a run terminates this worker and starts a fresh one: the run is
// one synchronous wasm call, so no message could reach it before it ends.

import init, * as hasim from './pkg/sim_wasm.js';

// The page compiles the wasm once (WebAssembly.compileStreaming) and posts
// the module as the first message, so every worker, and every replacement
// after a cancel, instantiates it without downloading or compiling again.
let loaded;
const ready = new Promise((resolve) => (loaded = resolve));

function load(module) {
  init({ module_or_path: module }).then(
    () => {
      loaded();
      postMessage({ type: 'ready', version: hasim.version() });
    },
    (e) => postMessage({ type: 'panic', id: null, message: `cannot load the engine: ${e}` }),
  );
}

let lastProgress = 0;
function progress(id, part) {
  return (done, total) => {
    // At most ~30 messages a second, but always the last one.
    const now = performance.now();
    if (done === total || now - lastProgress > 33) {
      lastProgress = now;
      postMessage({ type: 'progress', id, part, done, total });
    }
    return true;
  };
}

/** What the page reads of a comparison. */
function compareResult(r) {
  return {
    json: r.json,
    view: JSON.parse(r.view),
    csv: r.csv,
    documents: JSON.parse(r.documents),
    recovery: JSON.parse(r.recovery),
    summary: JSON.parse(r.summary),
    // Opaque: the integer sums the design review is rendered from.
    accumulators: r.accumulators,
  };
}

function handle(msg) {
  switch (msg.type) {
    case 'validate':
      return JSON.parse(hasim.validate(msg.name, msg.text));
    case 'compare': {
      const r = hasim.compare(JSON.stringify(msg.designs), msg.options, progress(msg.id));
      return compareResult(r);
    }
    case 'compareRange':
      // An opaque string: its integer sums must not become JS numbers.
      return hasim.compareRange(JSON.stringify(msg.designs), msg.options, msg.from, msg.to, progress(msg.id, msg.part));
    case 'compareMerge':
      return compareResult(hasim.compareMerge(JSON.stringify(msg.designs), msg.options, JSON.stringify(msg.parts)));
    case 'sweep': {
      const r = hasim.sweep(msg.name, msg.text, msg.options, JSON.stringify(msg.axes), progress(msg.id));
      return { json: r.json, view: JSON.parse(r.view), csv: r.csv };
    }
    case 'exact': {
      const r = hasim.exact(msg.name, msg.text);
      return { json: r.json, view: JSON.parse(r.view) };
    }
    case 'topology':
      return JSON.parse(hasim.topology(msg.name, msg.text));
    case 'scenario': {
      const json = hasim.scenario(msg.name, msg.text, msg.element, msg.at, msg.seed);
      return { json, doc: JSON.parse(json) };
    }
    case 'import':
      return JSON.parse(hasim.importConfigs(JSON.stringify(msg.files)));
    case 'review':
      // The design review of a comparison already run, rendered from its
      // accumulators: no replication runs again.
      return hasim.review(JSON.stringify(msg.designs), msg.options, JSON.stringify(msg.parts), msg.format, msg.output);
    case 'panic':
      return hasim.debugPanic();
    default:
      throw new Error(`unknown request ${msg.type}`);
  }
}

onmessage = async (ev) => {
  const msg = ev.data;
  if (msg.type === 'init') {
    load(msg.module);
    return;
  }
  await ready;
  try {
    const result = handle(msg);
    postMessage({ type: msg.type === 'validate' ? 'validated' : 'done', id: msg.id, part: msg.part, result });
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A Rust panic traps the instance; the hook stored its message.
      const message = globalThis.hasimLastPanic || String(e);
      globalThis.hasimLastPanic = undefined;
      postMessage({ type: 'panic', id: msg.id, part: msg.part, message });
    } else {
      postMessage({
        type: 'error',
        id: msg.id,
        part: msg.part,
        error: { name: e.name, message: e.message, diagnostics: e.diagnostics || null },
      });
    }
  }
};
