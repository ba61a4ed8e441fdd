//! What hasim shows people, in one place for every front end: estimates
//! with their intervals ("99.69% ± 0.00498%"), durations, the results table
//! and its recovery cells, the Markdown document. No I/O and nothing
//! platform-specific, so the CLI and the wasm crate render the same strings
//! from the same code (the browser's tables are next; see ARCHITECTURE.md).

#[cfg(feature = "charts")]
pub mod charts;
pub mod format;
pub mod plan;
#[cfg(feature = "charts")]
pub mod review;
pub mod view;
