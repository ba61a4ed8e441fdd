pub mod diag;
pub mod tree;
