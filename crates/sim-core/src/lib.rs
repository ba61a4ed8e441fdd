//! # sim-core: the hasim engine
//!
//! A deterministic discrete-event simulator for high-availability
//! infrastructure. Describe a design once — power feeds, switches, hosts,
//! VMs, cluster software, and the services users reach — and ask what
//! availability each service really gets, how long outages last and which
//! fault causes the downtime. Every number comes with a 95% confidence
//! interval over Monte Carlo replications.
//!
//! The crate does no I/O: it takes model text and returns typed results, so
//! it embeds in a CLI, a browser (compiled to wasm32) or a design-review tool.
//!
//! ```
//! use sim_core::{load, run, summarize, RunOptions, NANOS_PER_YEAR};
//!
//! let model = load("two-hosts.toml", r#"
//!     [power.feed]
//!     failures = [{ preset = "utility-power" }]
//!
//!     [hosts.pve-1]
//!     requires = "feed"
//!     failures = [{ every = "exp(2y)", repair = "lognormal(median=8h, sigma=1)" }]
//!
//!     [hosts.pve-2]
//!     requires = "feed"
//!     failures = [{ every = "exp(2y)", repair = "lognormal(median=8h, sigma=1)" }]
//!
//!     [services.web]
//!     requires = "pve-1 | pve-2"
//! "#).expect("the model is valid");
//!
//! let opts = RunOptions { seed: 7, replications: 200, horizon: 5 * NANOS_PER_YEAR, ..Default::default() };
//! let result = summarize(&model, &run(&model, &opts).unwrap(), opts.horizon);
//! let web = &result.services[0];
//! let [lo, hi] = web.availability.ci95.unwrap();
//! assert!(lo <= web.availability.mean && web.availability.mean <= hi);
//! // Both hosts share one power feed: the feed is the largest cause of downtime.
//! assert_eq!(web.downtime_causes[0].cause, "feed power outage");
//! ```
//!
//! Errors point into the text:
//!
//! ```
//! let err = sim_core::load("m.toml", "[hosts.a]\n[services.s]\nrequires = \"a & b\"\n").unwrap_err();
//! let d = &err.diagnostics[0];
//! assert_eq!((d.line, d.column, d.snippet.as_str()), (3, 17, "b"));
//! println!("{err}"); // error: unknown reference `b` --> m.toml:3:17 ...
//! ```
//!
//! Module map: [`time`], [`units`] and [`dist`] (durations, quantities and distributions), [`rng`]
//! (one ChaCha stream per replication), [`engine`] (the event list),
//! [`model`] (format, validation, compilation), [`cluster`] (the interface
//! cluster models implement), [`sim`] (one replication), [`runner`] (Monte
//! Carlo and results), [`stats`] (exact accumulators and intervals),
//! [`exact`] (steady-state availability computed without simulation).

// A `Diagnostic` is large (it carries the offending source line), and
// returning it by value is only ever the cold error path of model loading.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod cluster;
pub mod dist;
pub mod engine;
pub mod event;
pub mod exact;
pub mod export;
pub mod import;
pub mod model;
pub mod plan;
pub mod protocols;
pub mod rare;
pub mod rng;
pub mod runner;
pub mod sim;
pub mod stats;
pub mod study;
pub mod text;
pub mod time;
pub mod units;

pub use model::{load, Diagnostic, Model, ModelError, Severity};
pub use runner::{run, run_range, summarize, Accumulator, RunOptions, RunResult};
pub use time::{parse_duration, NANOS_PER_YEAR};
