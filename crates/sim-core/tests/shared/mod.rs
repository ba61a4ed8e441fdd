//! Test helpers that more than one of sim-core's test binaries use (each
//! binary includes this file as a module, so it is not a test of its own).

// Each binary uses a different subset.
#![allow(dead_code)]

/// A k-of-n system: `n` components, each failing every exp(`mtbf_h`) hours
/// and repaired in exp(`mttr_h`) hours, and a service up while at least
/// `k` of them are. With `repairers` > 0, every repair queues for one crew
/// of that size.
pub fn k_of_n(k: u32, n: u32, mtbf_h: f64, mttr_h: f64, repairers: u32) -> String {
    let mut text = String::from("[model]\nname = \"k-of-n\"\n");
    if repairers > 0 {
        text.push_str(&format!("[crews.ops]\nsize = {repairers}\n"));
    }
    let crew_key = if repairers > 0 {
        ", crew = \"ops\""
    } else {
        ""
    };
    let mut names = Vec::new();
    for i in 1..=n {
        text.push_str(&format!(
            "[components.c{i}]\nfailures = [{{ every = \"exp({mtbf_h}h)\", repair = \"exp({mttr_h}h)\"{crew_key} }}]\n"
        ));
        names.push(format!("c{i}"));
    }
    text.push_str(&format!(
        "[services.system]\nrequires = \"{k} of ({})\"\n",
        names.join(", ")
    ));
    text
}

/// The characters a mutant's replaced bytes are drawn from: the model
/// format's punctuation, digits, units and a few letters.
pub const ALPHABET: &[u8] = b"[]{}()\"=,.&|-_0123456789 \nabcxyzhmsy#";

/// A deterministic mutation fuzzer (xorshift64 from a fixed seed): byte
/// replacements, deletions, duplications and truncations, so every run of a
/// test tries the same mutants.
pub struct Mutator {
    state: u64,
}

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Mutator { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// `base` with 1 to `max_edits` random edits.
    pub fn mutant(&mut self, base: &str, max_edits: u64) -> String {
        let mut bytes = base.as_bytes().to_vec();
        for _ in 0..1 + self.next() % max_edits {
            if bytes.is_empty() {
                break;
            }
            let at = (self.next() % bytes.len() as u64) as usize;
            match self.next() % 4 {
                0 => bytes[at] = ALPHABET[(self.next() % ALPHABET.len() as u64) as usize],
                1 => {
                    bytes.remove(at);
                }
                2 => {
                    let end = (at + 1 + (self.next() % 20) as usize).min(bytes.len());
                    let chunk = bytes[at..end].to_vec();
                    bytes.splice(at..at, chunk);
                }
                _ => bytes.truncate(at),
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Runs replications `0..reps` of `model` with random failures off and the
/// given faults injected, each `(element name, time, down)`, and returns
/// what each replication measured.
pub fn scenario_runs(
    model: &sim_core::Model,
    seed: u64,
    reps: u64,
    horizon: sim_core::time::Nanos,
    faults: &[(&str, sim_core::time::Nanos, bool)],
) -> Vec<sim_core::sim::RepOutcome> {
    use sim_core::sim::{Injection, RepOptions, Replication};
    let injections: Vec<Injection> = faults
        .iter()
        .map(|(name, at, down)| Injection {
            element: model
                .elements
                .iter()
                .position(|e| e.name == *name)
                .unwrap_or_else(|| panic!("no element {name}")),
            at: *at,
            down: *down,
        })
        .collect();
    (0..reps)
        .map(|i| {
            let opts = RepOptions {
                horizon,
                random_faults: false,
                injections: injections.clone(),
                trace: false,
            };
            Replication::new(model, seed, i).run(&opts).0
        })
        .collect()
}
