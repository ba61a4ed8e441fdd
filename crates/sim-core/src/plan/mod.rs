//! The capacity planner: headroom after failures, placement, and the
//! cheapest design that meets an availability target.
//!
//! Everything here is built on the simulation itself (settled scenarios for
//! headroom, Monte Carlo runs for designs), so the planner and `hasim run`
//! can never disagree about how a cluster places or recovers its workloads.

pub mod design;
pub mod headroom;
pub mod place;
pub mod text;

pub use headroom::{headroom, Case, Headroom, Shortfall, Verdict};

/// The version of the planner's JSON document (`hasim plan --export-json`):
/// it changes when a field changes meaning, and fields are only added
/// otherwise, like the run documents' `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;
