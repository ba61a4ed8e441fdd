//! A design-review tool in about fifty lines, using only the libraries:
//! load two designs, run them with the same random streams, and render the
//! review `hasim report` writes, as Markdown with its charts as SVG.
//!
//! Run it with `cargo run -p sim-render --example design_review -- DIR`
//! (it writes `DIR/review.md` and the charts beside it); the test suite
//! runs it too (tests/examples.rs).

use sim_core::export::CompareDoc;
use sim_core::model::Loaded;
use sim_core::runner::{run, RunOptions};
use sim_render::review::{draw_charts, render, Format, Rendered, Review};

/// The review of the home-lab write-up as written against its corrected
/// layout, from `replications` replications of ten years each.
pub fn review(replications: u64) -> Rendered {
    let models = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/");
    let loaded: Vec<Loaded> = ["homelab-k3s-as-written.toml", "homelab-k3s-spread.toml"]
        .iter()
        .map(|f| {
            let name = format!("{models}{f}");
            let text = std::fs::read_to_string(&name).expect("a bundled model");
            Loaded::new(&name, &text).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let opts = RunOptions {
        replications,
        ..Default::default()
    };
    // Replication i of every design uses random stream i of the seed, so
    // the difference between designs is the design's, not the dice's.
    let accs: Vec<_> = loaded
        .iter()
        .map(|l| run(&l.model, &opts).expect("within the event budget"))
        .collect();
    let models: Vec<_> = loaded.iter().map(|l| &l.model).collect();
    let doc = CompareDoc::new(&models, &accs, &opts);
    let charts = draw_charts(&doc).expect("the charts draw");
    let review = Review {
        loaded: &loaded,
        doc: &doc,
        opts: &opts,
        horizon: "10y",
        output: "review.md",
        // An embedder that wants the first page to name the cheapest design
        // runs `sim_core::plan::design::search` and passes it here.
        searches: &[],
        charts: Some(&charts),
    };
    render(&review, Format::Markdown)
}

#[allow(dead_code)]
fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let r = review(200);
    for (name, svg) in &r.charts {
        std::fs::write(dir.join(name), svg)?;
    }
    std::fs::write(dir.join("review.md"), &r.text)?;
    println!(
        "wrote {} with {} charts",
        dir.join("review.md").display(),
        r.charts.len()
    );
    Ok(())
}
