//! The exact steady-state analysis (`sim_core::exact`) against closed forms,
//! hand computations, every bundled model and the simulation.

use sim_core::exact::{analyse, Options};
use sim_core::model::load;

fn models_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

#[test]
fn every_bundled_model_answers_or_says_what_it_could_not_solve() {
    let mut paths: Vec<_> = std::fs::read_dir(models_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        let model = load(&p.display().to_string(), &text).unwrap();
        let a = analyse(&model, Options::default());
        println!("== {}", p.display());
        for c in &a.crews {
            println!("crew {} {:?}", c.name, c.method);
        }
        for s in &a.services {
            match &s.result {
                Ok(r) => println!(
                    "  {} A={} Q={:.3e} f={:.3}/y approx={:?} trans={:?}",
                    s.name,
                    r.availability,
                    r.unavailability,
                    r.outages_per_year,
                    r.approximations,
                    r.transients_excluded
                ),
                Err(e) => println!("  {} NOT SOLVED {e}", s.name),
            }
        }
    }
}
