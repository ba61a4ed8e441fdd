//! A fixed amount of benchmark work, for instruction counts that repeat
//! exactly under `valgrind --tool=callgrind` (criterion's iteration counts
//! depend on the wall clock, so they do not):
//!
//! ```text
//! cargo build --release -p hasim-benches --example profile
//! valgrind --tool=callgrind target/release/examples/profile engine 64
//! valgrind --tool=callgrind target/release/examples/profile model homelab-k3s-spread 100
//! ```
//!
//! `engine LIVE [ROUNDS]` runs the hold benchmark ROUNDS times (default
//! once; 100,000 steps with LIVE pending events); `model NAME REPS` runs REPS replication-years of a
//! bundled model, as the `replication_year` benchmark does. Both print the
//! events processed, to divide the instruction count by.

use hasim_benches::{bundled_models, hold_delays, hold_model};
use sim_core::runner::run_replication;
use sim_core::NANOS_PER_YEAR;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, what: &str| -> String {
        args.get(i).cloned().unwrap_or_else(|| {
            panic!("usage: profile engine LIVE [ROUNDS] | profile model NAME REPS (missing {what})")
        })
    };
    let number = |i: usize, what: &str| -> u64 {
        arg(i, what)
            .parse()
            .unwrap_or_else(|_| panic!("{what} must be a whole number"))
    };
    match arg(0, "engine or model").as_str() {
        "engine" => {
            let live = number(1, "LIVE") as usize;
            let rounds = args.get(2).map_or(1, |_| number(2, "ROUNDS"));
            let delays = hold_delays(live, 100_000);
            let events: u64 = (0..rounds).map(|_| hold_model(live, &delays)).sum();
            println!("{events} events");
        }
        "model" => {
            let name = arg(1, "NAME");
            let reps = number(2, "REPS");
            let (_, model) = bundled_models()
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("no bundled model named {name}"));
            let events: u64 = (0..reps)
                .map(|i| run_replication(&model, 1, i, NANOS_PER_YEAR).events)
                .sum();
            println!("{events} events");
        }
        other => panic!("unknown workload {other}: use engine or model"),
    }
}
