pub mod dist;
pub mod engine;
pub mod model;
pub mod rng;
pub mod stats;
pub mod time;
