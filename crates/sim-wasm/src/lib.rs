//! # sim-wasm: the hasim engine for the browser
//!
//! A thin wasm-bindgen layer over `sim-core` for the playground in `web/`.
//! Everything here is plain Rust over strings (see [`api`]), so it is tested
//! natively; the `#[wasm_bindgen]` functions below only convert to and from
//! JavaScript values.
//!
//! Results are produced by `sim_core::export::Document::to_json`, the same
//! code the CLI's `--export-json` uses, so a model run in the browser gives
//! the same bytes as `hasim run MODEL --export-json -` with the same seed and
//! options: the core is deterministic (integer accumulators, `libm`), and
//! without the `parallel` feature the runner merges replications in the same
//! order rayon does.
//!
//! Errors become JavaScript `Error`s whose `message` is the CLI's text (for a
//! model: every diagnostic rendered like rustc, with file, line, column and
//! the offending text) and which carry the structured diagnostics in
//! `error.diagnostics` so the page can mark the lines.
//!
//! A panic is a bug, but it must not leave the page dead: the panic hook
//! logs the message and stores it in `globalThis.hasimLastPanic` before the
//! wasm instance traps. The worker catches the trap (a `RuntimeError`),
//! reports the stored message and is replaced by a fresh one.

pub mod api;

use api::{ApiError, ErrorKind};
use wasm_bindgen::prelude::*;

/// Installs the panic hook. Runs when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("hasim panicked (this is a bug): {info}");
        let _ = js_sys::Reflect::set(
            &js_sys::global(),
            &JsValue::from_str("hasimLastPanic"),
            &JsValue::from_str(&message),
        );
        web_sys_console_error(&message);
    }));
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn web_sys_console_error(s: &str);
}

/// The crate version and the export schema version, for the page footer.
#[wasm_bindgen]
pub fn version() -> String {
    api::version()
}

/// Validates a model without running it. Never throws for a bad model: it
/// returns JSON `{ ok, diagnostics: [...], model: {...} | null, assumptions }`
/// where each diagnostic carries `severity`, `message`, `line`, `column`,
/// `snippet`, `help`, `rule` and `rendered` (the CLI's text).
#[wasm_bindgen]
pub fn validate(name: &str, text: &str) -> String {
    api::validate(name, text)
}

/// Runs one model. `options` is JSON `{seed, replications, horizon, target_ci,
/// batch}` (all optional; the CLI's defaults). `progress(done, total)` is
/// called after every batch; returning `false` cancels the run, which then
/// throws an Error named `Cancelled`.
///
/// Returns `{ json, csv, recovery, markdown }`: `json` is the export
/// document (the bytes of `hasim run --export-json`), `csv` the CLI's CSV
/// export, `recovery` (JSON) the recovery-time distribution of each service
/// and `markdown` the bytes of `--export-markdown`.
#[wasm_bindgen]
pub fn run(
    name: &str,
    text: &str,
    options: &str,
    progress: Option<js_sys::Function>,
) -> Result<JsValue, JsValue> {
    let mut cb = callback(progress);
    let out = api::run(name, text, options, &mut cb).map_err(to_js_error)?;
    Ok(object(&[
        ("json", out.json.into()),
        ("csv", out.csv.into()),
        ("recovery", out.recovery.into()),
        ("markdown", out.markdown.into()),
    ]))
}

/// Importance sampling for designs of five nines and more (`hasim run
/// --estimator is --cycles CYCLES`). `options` is `run`'s JSON;
/// `progress(done, total)` counts cycles. Returns `{ json, text }`: the
/// bytes of the CLI's `--export-json` and of what it prints. A model that
/// does not qualify throws an input Error saying why.
#[wasm_bindgen]
pub fn rare(
    name: &str,
    text: &str,
    options: &str,
    cycles: u32,
    progress: Option<js_sys::Function>,
) -> Result<JsValue, JsValue> {
    let mut cb = callback(progress);
    let out = api::rare(name, text, options, u64::from(cycles), &mut cb).map_err(to_js_error)?;
    Ok(object(&[
        ("json", out.json.into()),
        ("text", out.text.into()),
    ]))
}

/// Runs several designs with the same seeds. `designs` is JSON
/// `[{name, text}, ...]`. Returns `{ json, csv, documents, recovery }`:
/// `json` is the document of `hasim compare --export-json`, `documents` a
/// JSON array of the per-design run documents (each the bytes `hasim run`
/// exports for that design), `csv` the compare CSV (one row per design and
/// service), `recovery` one recovery distribution list per design, and
/// `view` (JSON) the tables and chart labels the page shows, rendered by
/// sim-render like the CLI's tables, each service with its exact
/// steady-state figures beside the simulated ones, `summary` (JSON) the
/// review's first page from `sim_render::summary`: each service's verdict
/// and each design's largest causes of downtime with their fixes, and
/// `accumulators` (an opaque string) what `review` renders the design
/// review from without running again.
#[wasm_bindgen]
pub fn compare(
    designs: &str,
    options: &str,
    progress: Option<js_sys::Function>,
) -> Result<JsValue, JsValue> {
    let mut cb = callback(progress);
    let out = api::compare(designs, options, &mut cb).map_err(to_js_error)?;
    Ok(compare_object(out))
}

fn compare_object(out: api::CompareOut) -> JsValue {
    object(&[
        ("json", out.json.into()),
        ("view", out.view.into()),
        ("csv", out.csv.into()),
        ("documents", out.documents.into()),
        ("recovery", out.recovery.into()),
        ("summary", out.summary.into()),
        ("accumulators", out.accumulators.into()),
    ])
}

/// Replications `from..to` of every design of a comparison, for one of the
/// page's workers: an opaque JSON string (exact integer sums, which must
/// not pass through JavaScript numbers) for `compareMerge`.
#[wasm_bindgen(js_name = compareRange)]
pub fn compare_range(
    designs: &str,
    options: &str,
    from: f64,
    to: f64,
    progress: Option<js_sys::Function>,
) -> Result<String, JsValue> {
    let mut cb = callback(progress);
    api::compare_range(designs, options, from as u64, to as u64, &mut cb).map_err(to_js_error)
}

/// Merges the parts of `compareRange` (a JSON array of their strings, in
/// replication order) into what `compare` returns for the same designs
/// and options, bit for bit.
#[wasm_bindgen(js_name = compareMerge)]
pub fn compare_merge(designs: &str, options: &str, parts: &str) -> Result<JsValue, JsValue> {
    let out = api::compare_merge(designs, options, parts).map_err(to_js_error)?;
    Ok(compare_object(out))
}

/// The design review of a comparison the page has run (`hasim report
/// --no-design-search`): `designs` and `options` as given to `compare`,
/// `parts` a JSON array of opaque strings (`[result.accumulators]` of
/// `compare` or `compareMerge`), `format` `html`, `md` or `gfm`, `output`
/// the file name its Reproduce command names. Returns the document, the
/// CLI's bytes except for the charts, which this build cannot draw.
#[wasm_bindgen]
pub fn review(
    designs: &str,
    options: &str,
    parts: &str,
    format: &str,
    output: &str,
) -> Result<String, JsValue> {
    api::review(designs, options, parts, format, output).map_err(to_js_error)
}

/// Sweeps parameters of one model. `axes` is JSON `[{path, values: [..]}]`
/// (every combination, the first axis varying slowest, like `hasim sweep -L`).
/// Returns `{ json, view, csv, markdown }`: the sweep document, the page's
/// table (JSON), its CSV and its Markdown.
#[wasm_bindgen]
pub fn sweep(
    name: &str,
    text: &str,
    options: &str,
    axes: &str,
    progress: Option<js_sys::Function>,
) -> Result<JsValue, JsValue> {
    let mut cb = callback(progress);
    let out = api::sweep(name, text, options, axes, &mut cb).map_err(to_js_error)?;
    Ok(object(&[
        ("json", out.json.into()),
        ("view", out.view.into()),
        ("csv", out.csv.into()),
        ("markdown", out.markdown.into()),
    ]))
}

/// The exact steady-state analysis of one model (`hasim exact`, with its
/// default options). Returns `{ json, view }`: `json` is the bytes of
/// `hasim exact --export-json`, `view` (JSON) the page's tables, rendered
/// by sim-render as the CLI prints them. A model that does not load throws
/// the `ModelError` `run` throws.
#[wasm_bindgen]
pub fn exact(name: &str, text: &str) -> Result<JsValue, JsValue> {
    let out = api::exact(name, text).map_err(to_js_error)?;
    Ok(object(&[
        ("json", out.json.into()),
        ("view", out.view.into()),
    ]))
}

/// The design as a picture (JSON): one node per element, cluster and
/// service with its drawing rank, the dependency edges, and the single
/// points of failure found by replay and by the exact analysis.
#[wasm_bindgen]
pub fn topology(name: &str, text: &str) -> Result<String, JsValue> {
    api::topology(name, text).map_err(to_js_error)
}

/// Fails `element` at `at` with random failures off (`hasim scenario
/// --fail ELEMENT@AT --seed SEED`); returns the bytes of its
/// `--export-json`, the timeline the page draws as a Gantt chart.
#[wasm_bindgen]
pub fn scenario(
    name: &str,
    text: &str,
    element: &str,
    at: &str,
    seed: &str,
) -> Result<String, JsValue> {
    api::scenario(name, text, element, at, seed).map_err(to_js_error)
}

/// Imports configuration files (`hasim import`). `files` is JSON
/// `[{name, text}, ...]`; returns JSON `{ok, model, summary, diagnostics}`
/// with the model the CLI writes for the same files, or the located error.
/// Named `importConfigs` in JavaScript, where `import` is a keyword.
#[wasm_bindgen(js_name = importConfigs)]
pub fn import(files: &str) -> Result<String, JsValue> {
    api::import(files).map_err(to_js_error)
}

/// Deliberately panics, so tests can check that a panic is reported and
/// the page recovers.
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic() {
    panic!("debugPanic was called");
}

/// Wraps an optional JS callback as a progress function. A callback that
/// throws or returns `false` cancels.
fn callback(f: Option<js_sys::Function>) -> impl FnMut(u64, u64) -> bool {
    move |done, total| match &f {
        None => true,
        Some(f) => match f.call2(
            &JsValue::NULL,
            &JsValue::from_f64(done as f64),
            &JsValue::from_f64(total as f64),
        ) {
            Ok(v) => v.as_bool() != Some(false),
            Err(_) => false,
        },
    }
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

fn to_js_error(e: ApiError) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    let name = match e.kind {
        ErrorKind::Model => "ModelError",
        ErrorKind::Input => "InputError",
        ErrorKind::Cancelled => "Cancelled",
    };
    err.set_name(name);
    if let Some(d) = e.diagnostics_json {
        if let Ok(v) = js_sys::JSON::parse(&d) {
            let _ = js_sys::Reflect::set(&err, &JsValue::from_str("diagnostics"), &v);
        }
    }
    err.into()
}
