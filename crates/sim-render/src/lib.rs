//! What hasim shows people, in one place for every front end: estimates
//! with their intervals ("99.69% ± 0.00498%"), durations, the results table
//! and its recovery cells, the Markdown document, the planner's documents,
//! the playground's tables, the charts and the design review. No I/O, so
//! the CLI, the wasm crate and an embedder render the same strings from the
//! same code.

#[cfg(feature = "charts")]
pub mod charts;
pub mod exact;
pub mod format;
pub mod place;
pub mod plan;
pub mod rare;
pub mod review;
pub mod scenario;
pub mod summary;
pub mod topology;
pub mod view;
