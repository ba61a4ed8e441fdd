//! Scenarios and design checks built on single replications.

use crate::cluster::LintInfo;
use crate::model::compile::{Element, Model};
use crate::model::diag::{Diagnostic, Severity, Source};
use crate::sim::{Injection, Overrun, RepOptions, RepOutcome, Replication, Trace};
use crate::time::{Human, Nanos, NANOS_PER_HOUR, NANOS_PER_MIN, NANOS_PER_SEC, NANOS_PER_YEAR};

/// Plays the given faults with random failures switched off and returns
/// what happened, with the timeline. `seed` still drives the random parts of
/// the transients (election timeouts, detection delays).
///
/// A replication that uses up its event budget is an error: its timeline
/// stops at the overrun, and showing it as if it were the whole story would
/// mislead.
pub fn scenario(
    model: &Model,
    injections: Vec<Injection>,
    horizon: Nanos,
    seed: u64,
) -> Result<(RepOutcome, Trace), Box<Overrun>> {
    let opts = RepOptions {
        horizon,
        random_faults: false,
        injections,
        trace: true,
    };
    traced(Replication::new(model, seed, 0).run(&opts))
}

/// Replays replication `index` of a Monte Carlo run with its timeline: the
/// same stream, so the same failures as in the run. `max_events` is the
/// run's event budget, so the replay stops where the run would have; that
/// overrun is an error, as for [`scenario`].
pub fn trace_replication(
    model: &Model,
    seed: u64,
    index: u64,
    horizon: Nanos,
    max_events: u64,
) -> Result<(RepOutcome, Trace), Box<Overrun>> {
    let opts = RepOptions {
        horizon,
        random_faults: true,
        injections: Vec::new(),
        trace: true,
    };
    traced(
        Replication::new(model, seed, index)
            .with_max_events(max_events)
            .run(&opts),
    )
}

fn traced(run: (RepOutcome, Option<Trace>)) -> Result<(RepOutcome, Trace), Box<Overrun>> {
    let (mut o, t) = run;
    if let Some(e) = o.overrun.take() {
        return Err(e);
    }
    // `trace: true` always yields a trace; an empty one is the honest
    // fallback should that ever change.
    Ok((o, t.unwrap_or_default()))
}

/// The effect of one element failing alone, once every transient settled.
#[derive(Debug, Clone)]
pub struct SingleFailure {
    pub element: usize,
    /// Services down an hour after the failure.
    pub services_down: Vec<usize>,
    /// Cluster quorum outputs lost, as (cluster, members down).
    pub quorum_lost: Vec<(usize, Vec<usize>)>,
    /// Set when the replay used up its event budget before the hour was
    /// over: then `services_down` and `quorum_lost` are empty, because a
    /// state that never settled says nothing about what the failure does.
    pub overrun: Option<Box<Overrun>>,
}

/// Fails each element alone (every other element healthy) and records what
/// stays down an hour later: an hour is far beyond any failover timer we
/// model, so what is still down then needs the element repaired.
pub fn single_failures(model: &Model) -> Vec<SingleFailure> {
    let settle = NANOS_PER_HOUR;
    (0..model.elements.len())
        .map(|e| {
            let inj = vec![Injection {
                element: e,
                at: NANOS_PER_SEC,
                down: true,
            }];
            let opts = RepOptions {
                horizon: settle,
                random_faults: false,
                injections: inj,
                trace: false,
            };
            let (mut o, _) = Replication::new(model, 0, 0).run(&opts);
            if let Some(overrun) = o.overrun.take() {
                return SingleFailure {
                    element: e,
                    services_down: Vec::new(),
                    quorum_lost: Vec::new(),
                    overrun: Some(overrun),
                };
            }
            let up = &o.final_up;
            let services_down = o.services_down(model);
            let quorum_lost = model
                .clusters
                .iter()
                .enumerate()
                .filter_map(|(c, cl)| {
                    let q = cl.kind.quorum_output()?;
                    if up[cl.outputs[q]] {
                        return None;
                    }
                    let down = (0..cl.n_members).filter(|m| !up[cl.inputs[*m]]).collect();
                    Some((c, down))
                })
                .collect();
            SingleFailure {
                element: e,
                services_down,
                quorum_lost,
                overrun: None,
            }
        })
        .collect()
}

/// The long-run downtime per year that one failure mode of an element
/// causes the element, in nanoseconds: for a failure, the fraction of an
/// alternating up/down cycle spent down, mean repair divided by the sum of
/// mean time to failure and mean repair (the renewal-reward theorem, which
/// holds whatever the distributions); for maintenance, whose windows start every `every`
/// regardless of their length, mean duration / mean interval.
///
/// It ignores repair crews (queueing only lengthens repairs) and overlaps
/// between modes, so it is an estimate for ranking warnings, not a result.
pub fn mode_downtime_per_year(mode: &crate::model::compile::FailureMode) -> f64 {
    let (every, repair) = (mode.every.mean(), mode.repair.mean());
    let cycle = if mode.planned { every } else { every + repair };
    let fraction = repair / cycle;
    // A zero or non-finite cycle (a degenerate distribution) has no
    // meaningful fraction; the fault-rate lint speaks about such modes.
    if fraction.is_finite() {
        fraction.clamp(0.0, 1.0) * NANOS_PER_YEAR as f64
    } else {
        0.0
    }
}

/// The expected downtime per year of an element from all its modes (see
/// [`mode_downtime_per_year`]), at most a year.
pub fn element_downtime_per_year(el: &Element) -> f64 {
    let total: f64 = el.modes.iter().map(mode_downtime_per_year).sum();
    total.min(NANOS_PER_YEAR as f64)
}

/// The horizon the fault-rate lint assumes: the CLI's and the playground's
/// default `--horizon 10y`. `validate` has no horizon of its own.
const LINT_HORIZON: f64 = 10.0 * NANOS_PER_YEAR as f64;

/// The shortest mean time between failures that is not a typo: a minute.
/// Real failure modes strike every few weeks to years and even a flapping
/// process is restarted by systemd after seconds; a mean below a minute is
/// almost always a unit slip (`"1s"` for `"1y"`, `"5m"` meaning months).
const MIN_MEAN_EVERY: f64 = NANOS_PER_MIN as f64;

/// The most failure and repair events one mode may schedule in a
/// replication of [`LINT_HORIZON`] before the lint speaks. The bundled
/// models cost hundreds to thousands of events per simulated year, so at
/// most about 10^5 per replication (DESIGN.md principle 1); each failure
/// also plays out cluster transients of a few to a few dozen timer events,
/// so 10^6 fault events alone come within reach of the runner's budget of
/// 10^8 events ([`crate::sim::DEFAULT_MAX_EVENTS`]) and make a thousand
/// replications cost minutes instead of seconds.
const MAX_FAULT_EVENTS: f64 = 1e6;

/// Design smells, each located at the definition it is about and citing the
/// rule behind it.
///
/// The order is by what matters most: first the warnings that make every
/// number meaningless (nothing can fail, fault processes too fast to
/// simulate), then the single failures, one warning per failing element
/// with every service and quorum it takes down, most expected downtime
/// first, then the other smells in source order.
/// The lints of the model as a whole, with their stable ids; each kind adds
/// its own ([`crate::cluster::KindSpec::lints`]).
pub const LINTS: &[LintInfo] = &[
    LintInfo { id: "nothing-can-fail", meaning: "No element has a failure mode: every availability would be 100%." },
    LintInfo { id: "faults-too-frequent", meaning: "A failure mode strikes more often than once a minute on average, or over a million times per replication: usually a unit slip." },
    LintInfo { id: "single-point-of-failure", meaning: "One element failing alone takes down a service (ranked by the downtime it costs)." },
    LintInfo { id: "quorum-lost-by-one-failure", meaning: "One element failing alone loses a cluster's quorum, though services stay up." },
    LintInfo { id: "single-failure-unchecked", meaning: "Replaying one element's failure used up the event budget, so it could not be checked." },
    LintInfo { id: "even-quorum", meaning: "A quorum of an even number of members tolerates no more failures than one member fewer." },
];

/// Every lint id `registry`'s models can report, with its meaning: the
/// model-wide ones, then each kind's.
pub fn lint_ids(registry: &crate::cluster::Registry) -> Vec<LintInfo> {
    let mut out = LINTS.to_vec();
    for k in registry.kinds() {
        for l in k.lints {
            if !out.iter().any(|o| o.id == l.id) {
                out.push(*l);
            }
        }
    }
    out
}

pub fn lint(model: &Model, src: &Source<'_>) -> Vec<Diagnostic> {
    lint_with(model, src, None)
}

/// [`lint`] after a Monte Carlo run of the model: the single failures are
/// ranked by the downtime the run attributed to each element's failure
/// modes (in the service it hurt most, since one outage often takes down
/// several services), which also counts what the estimate leaves out:
/// queues for repair crews, transients, failures that overlap.
pub fn lint_measured(
    model: &Model,
    src: &Source<'_>,
    measured: &crate::runner::RunResult,
) -> Vec<Diagnostic> {
    lint_with(model, src, Some(measured))
}

fn lint_with(
    model: &Model,
    src: &Source<'_>,
    measured: Option<&crate::runner::RunResult>,
) -> Vec<Diagnostic> {
    let mut out = run_lints(model, src);
    out.extend(single_failure_lints(model, src, measured));
    let mut rest = Vec::new();
    for cl in &model.clusters {
        if cl.kind.quorum_output().is_some() && cl.n_members % 2 == 0 {
            rest.push(warning(
                src,
                "even-quorum",
                cl.span.clone(),
                format!(
                    "`{}` has {} voting members: an even count tolerates no more failures than {} would",
                    cl.name,
                    cl.n_members,
                    crate::text::plural((cl.n_members - 1) as u64, "member")
                ),
                "quorum is floor(n/2)+1, so n = 2k tolerates k-1 failures, like n = 2k-1 (etcd FAQ; Raft, Ongaro & Ousterhout 2014)",
            ));
        }
        for w in cl.kind.lint() {
            rest.push(warning(
                src,
                w.id,
                cl.span.clone(),
                format!("`{}`: {}", cl.name, w.message),
                &w.rule,
            ));
        }
    }
    rest.sort_by_key(|d| (d.span.start, d.message.clone()));
    out.extend(rest);
    out
}

fn warning(
    src: &Source<'_>,
    id: &'static str,
    span: std::ops::Range<usize>,
    msg: String,
    rule: &str,
) -> Diagnostic {
    src.diagnostic(Severity::Warning, span, msg)
        .with_rule(rule.to_string())
        .with_id(id)
}

/// The warnings that say a Monte Carlo run of this model will be
/// meaningless or will not finish: nothing can fail, or a fault process
/// fires too often to simulate. `hasim run` prints these before it starts;
/// they are also the first of [`lint`]'s.
pub fn run_lints(model: &Model, src: &Source<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if model.elements.iter().all(|e| e.modes.is_empty()) {
        // Only elements have fault processes (clusters react to their
        // members), so a model without any failure mode or maintenance
        // window stays up forever. The warning points at the `[model]`
        // table, the model as a whole.
        let span = src
            .text
            .find("model")
            .map_or(0..0, |i| i..i + "model".len());
        out.push(
            warning(
                src,
                "nothing-can-fail",
                span,
                "nothing in this model can fail: every availability will be 100%".to_string(),
                "availability comes from failure modes: an element without `failures` or `maintenance` never goes down",
            )
            .with_help(
                "give the elements failure modes, for example `failures = [{ preset = \"server\" }]` or `failures = [{ every = \"exp(1y)\", repair = \"exp(4h)\" }]` (`hasim presets` lists the presets)",
            ),
        );
    }
    let mut fast = Vec::new();
    for el in &model.elements {
        for m in &el.modes {
            let every = m.every.mean();
            let cycle = if m.planned {
                every
            } else {
                every + m.repair.mean()
            };
            // Two events per cycle: the failure and its repair.
            let events = 2.0 * LINT_HORIZON / cycle;
            let too_short = every < MIN_MEAN_EVERY;
            if !(too_short || events > MAX_FAULT_EVENTS) {
                continue;
            }
            let what = if m.planned {
                "maintenance"
            } else {
                "failure mode"
            };
            let mean = if every.is_finite() {
                Human(every.max(0.0) as Nanos).to_string()
            } else {
                "an undefined time".to_string()
            };
            let count = if events.is_finite() {
                format!("about {events:.1e} fault events")
            } else {
                "unboundedly many fault events".to_string()
            };
            let msg = format!(
                "{what} `{}` of `{}` strikes every {mean} on average: {count} per 10-year replication, which the run's event budget of {:.0e} events stops",
                m.name,
                el.name,
                crate::sim::DEFAULT_MAX_EVENTS as f64,
            );
            fast.push((
                events,
                warning(
                    src,
                    "faults-too-frequent",
                    el.span.clone(),
                    msg,
                    "real failures strike every few weeks to years; a mean below a minute, or over a million fault events per replication, is usually a unit slip (`1s` for `1y`)",
                )
                .with_help("check the unit of `every` (y, d, h, m for minutes)"),
            ));
        }
    }
    // The costliest first; equal counts keep the model's order.
    fast.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.extend(fast.into_iter().map(|(_, d)| d));
    out
}

/// One warning per element whose failure alone takes down a service or a
/// quorum, ranked by the element's expected downtime per year.
fn single_failure_lints(
    model: &Model,
    src: &Source<'_>,
    measured: Option<&crate::runner::RunResult>,
) -> Vec<Diagnostic> {
    const SPOF_RULE: &str =
        "found by failing each element alone and checking what is still down an hour later";
    const QUORUM_RULE: &str =
        "spread quorum members over failure domains so that no single failure holds a majority of them";
    let mut ranked = Vec::new();
    for f in single_failures(model) {
        let el = &model.elements[f.element];
        if let Some(o) = &f.overrun {
            ranked.push((
                f64::INFINITY,
                warning(
                    src,
                    "single-failure-unchecked",
                    el.span.clone(),
                    format!("failing `{}` alone could not be checked: {o}", el.name),
                    SPOF_RULE,
                ),
            ));
            continue;
        }
        if f.services_down.is_empty() && f.quorum_lost.is_empty() {
            continue;
        }
        let quorums: Vec<String> = f
            .quorum_lost
            .iter()
            .map(|(c, down)| {
                let cl = &model.clusters[*c];
                let names: Vec<&str> = down.iter().map(|m| cl.member_names[*m].as_str()).collect();
                format!(
                    "`{}` ({} of {} members down: {})",
                    cl.name,
                    down.len(),
                    cl.n_members,
                    names.join(", ")
                )
            })
            .collect();
        let services: Vec<&str> = f
            .services_down
            .iter()
            .map(|s| model.services[*s].name.as_str())
            .collect();
        let expected = element_downtime_per_year(el);
        let mut cost = if el.modes.is_empty() {
            "it has no failure mode of its own".to_string()
        } else {
            let modes: Vec<String> = el
                .modes
                .iter()
                .map(|m| format!("{} {}", m.name, Human(mode_downtime_per_year(m) as Nanos)))
                .collect();
            format!(
                "about {}/yr if nothing else fails ({})",
                Human(expected as Nanos),
                modes.join(", ")
            )
        };
        let downtime = match measured {
            None => expected,
            Some(r) => {
                let got = measured_downtime(model, r, f.element, &f.services_down);
                cost = format!(
                    "the run measured {}/yr from its failures, {cost}",
                    Human(got as Nanos)
                );
                got
            }
        };
        let (id, msg, rule) = if services.is_empty() {
            (
                "quorum-lost-by-one-failure",
                format!(
                    "losing `{}` alone loses the quorum of {}; {cost}",
                    el.name,
                    quorums.join(" and ")
                ),
                QUORUM_RULE.to_string(),
            )
        } else {
            let mut msg = format!(
                "single point of failure: `{}` failing alone takes down {}, {cost}",
                el.name,
                services.join(", ")
            );
            let mut rule = SPOF_RULE.to_string();
            if !quorums.is_empty() {
                msg.push_str(&format!(
                    "; it loses the quorum of {}",
                    quorums.join(" and ")
                ));
                rule.push_str("; ");
                rule.push_str(QUORUM_RULE);
            }
            ("single-point-of-failure", msg, rule)
        };
        let help = single_failure_fix(model, el, &f.quorum_lost);
        ranked.push((
            downtime,
            warning(src, id, el.span.clone(), msg, &rule).with_help(help),
        ));
    }
    // Most expected downtime first; ties (elements without failure modes)
    // stay in the model's order, which is source order.
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranked.into_iter().map(|(_, d)| d).collect()
}

/// The concrete change that removes a single point of failure, by what
/// the element is: a second power path or switch for the shared
/// infrastructure, spreading quorum members (with the placement the planner
/// proposes) or another vote where one failure takes a quorum, and a second
/// instance behind a failover cluster for a lone host, VM or process.
fn single_failure_fix(
    model: &Model,
    el: &crate::model::compile::Element,
    quorum_lost: &[(usize, Vec<usize>)],
) -> String {
    use crate::model::compile::ElementKind as K;
    let name = &el.name;
    match el.kind {
        K::PowerFeed => format!(
            "put a UPS between `{name}` and what it powers, or give the hosts a second, independent feed (`requires = \"({name} | feed-b) & ...\"`)"
        ),
        K::Switch => format!(
            "add a second switch and bond each host's links across both (`requires = \"... & ({name} | switch-b)\"`)"
        ),
        K::Site => format!("replicate to a second site so that `{name}` is not needed alone"),
        _ if !quorum_lost.is_empty() => {
            let mut fix = Vec::new();
            for (c, down) in quorum_lost {
                let cl = &model.clusters[*c];
                if down.len() * 2 <= cl.n_members {
                    // Losing a minority still loses the quorum: the
                    // cluster has too few votes, not too many on one host.
                    fix.push(format!(
                        "give `{}` another vote (a third node, or a QDevice for Proxmox) so that one member down leaves a majority",
                        cl.name
                    ));
                } else {
                    fix.push(format!(
                        "spread `{}`'s members so that no single failure holds a majority of them (`hasim plan --place MODEL` proposes such a placement)",
                        cl.name
                    ));
                }
            }
            fix.join("; ")
        }
        _ => format!(
            "run a second `{name}` on another host behind a failover cluster (vrrp, haproxy or replicas), so that it is not needed alone"
        ),
    }
}

/// The downtime per year, in nanoseconds, that a run attributed to the
/// failure modes of `element`, in whichever of `services` (all services
/// when empty) it cost the most.
fn measured_downtime(
    model: &Model,
    r: &crate::runner::RunResult,
    element: usize,
    services: &[usize],
) -> f64 {
    let labels: Vec<&str> = model
        .causes
        .iter()
        .filter(|c| c.element == element)
        .map(|c| c.label.as_str())
        .collect();
    r.services
        .iter()
        .filter(|s| {
            services.is_empty() || services.iter().any(|i| model.services[*i].name == s.name)
        })
        .map(|s| {
            s.downtime_causes
                .iter()
                .filter(|c| labels.contains(&c.cause.as_str()))
                .map(|c| c.minutes_per_year)
                .sum::<f64>()
        })
        .fold(0.0, f64::max)
        * NANOS_PER_MIN as f64
}
