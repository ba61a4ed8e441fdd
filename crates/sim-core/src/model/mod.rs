//! The model format: parsing, validation and compilation.
pub mod compile;
pub mod design;
pub mod diag;
pub mod diff;
pub mod edit;
pub mod element;
pub mod expr;
pub mod fields;
pub mod gray;
pub mod network;
pub mod presets;
pub mod schema;
pub mod tree;

pub use compile::{decode, load, load_with, Loaded, Model};
pub use diag::{Diagnostic, ModelError, Severity, Source};
