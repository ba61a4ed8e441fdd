//! The text of an importance-sampling run (`hasim run --estimator is`, and
//! the playground through the same function): one row per service, then
//! which estimator ran and how far its likelihood ratios can be trusted.

use crate::format::{availability, minutes, percent, pm, sig, table};
use sim_core::exact::Analysis;
use sim_core::rare::RareResult;

/// What `hasim run` prints for an importance-sampling run of `model`: the
/// header line and [`report`] with the exact analysis beside it.
pub fn text(model: &sim_core::Model, seed: u64, r: &RareResult) -> String {
    let exact = sim_core::exact::analyse(
        model,
        sim_core::exact::Options {
            max_cut_order: 1,
            max_rows: 0,
        },
    );
    format!(
        "model {} (hash {}) · {} cycles · seed {}\n\n{}",
        model.name,
        model.text_hash,
        r.cycles,
        seed,
        report(r, Some(&exact))
    )
}

/// The report of `r`, with each service's structural (exact) unavailability
/// beside the estimate where the exact analysis solved it.
pub fn report(r: &RareResult, exact: Option<&Analysis>) -> String {
    let rows: Vec<Vec<String>> = r
        .services
        .iter()
        .map(|s| {
            let structural = exact
                .and_then(|a| a.services.iter().find(|x| x.name == s.name))
                .and_then(|x| x.result.as_ref().ok())
                .map_or("-".to_string(), |x| percent(x.availability));
            let down = s.downtime_hours_per_year;
            vec![
                s.name.clone(),
                availability(&s.availability),
                structural,
                pm(&down, |h| minutes(h * 60.0)),
                pm(&s.outages_per_year, sig),
                s.hits.to_string(),
            ]
        })
        .collect();
    let mut text = table(
        &[
            "service",
            "availability",
            "exact (structure)",
            "downtime/yr",
            "outages/yr",
            "cycles down",
        ],
        &rows,
    );
    text.push_str(&format!(
        "\nestimator: {} (p = {}): {} cycles from the settled all-up state, \
         mean cycle {} h",
        r.estimator.describe(),
        r.failure_bias,
        r.cycles,
        sig(r.mean_cycle_hours)
    ));
    if r.cut > 0 {
        text.push_str(&format!(
            "; {} cycles did not return to all up within 10 years and were cut there",
            r.cut
        ));
    }
    text.push_str(&format!(
        "\nlikelihood ratio mean {} (1 in expectation; far from 1, the biasing missed paths that matter)\n",
        pm(&r.likelihood_ratio, |x| format!("{x:.3}"))
    ));
    for s in &r.services {
        if let Some(f) = s.plain_mc_factor {
            text.push_str(&format!(
                "{}: plain Monte Carlo would need about {} times the cycles for this interval \
                 ({} simulated years)\n",
                s.name,
                sig(f),
                sig(f * r.cycles as f64 * r.mean_cycle_hours / 8766.0)
            ));
        }
    }
    text
}
