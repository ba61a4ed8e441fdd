//! The study layer: what every front end does with a model besides drawing
//! it. Run options are checked here, with their defaults, once for the CLI,
//! the browser and embedders; the sweep size limit is one number; and the
//! shard format with its merge rules lives here so a design-review tool can
//! split a study across machines without the CLI.

pub mod gate;
pub mod shard;

use crate::model::edit::{parse_cli_value, set_path, PointError};
use crate::runner::RunOptions;
use crate::time::{parse_duration, Human, MAX_HORIZON};

/// The most points one sweep may have, so a typo (`-P x 1 1000000`) is
/// refused at once instead of running for days; the same in every front
/// end.
pub const MAX_SWEEP_POINTS: usize = 10_000;

/// Run options as a front end received them: anything left out takes the
/// default of [`RunOptions::default`].
#[derive(Debug, Clone, Default)]
pub struct OptionsIn {
    pub seed: Option<u64>,
    pub replications: Option<u64>,
    /// A duration (`10y`).
    pub horizon: Option<String>,
    pub target_ci: Option<f64>,
    pub batch: Option<u64>,
    pub max_events: Option<u64>,
}

/// Which option is wrong, so each front end names it its own way (the CLI
/// `--max-events`, the browser's JSON `max_events`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    Horizon,
    Replications,
    TargetCi,
    Batch,
    MaxEvents,
}

impl Opt {
    /// The command-line flag, without its dashes.
    pub fn flag(self) -> &'static str {
        match self {
            Opt::Horizon => "horizon",
            Opt::Replications => "replications",
            Opt::TargetCi => "target-ci",
            Opt::Batch => "batch",
            Opt::MaxEvents => "max-events",
        }
    }
    /// The key in the JSON options of the wasm API.
    pub fn key(self) -> &'static str {
        match self {
            Opt::TargetCi => "target_ci",
            Opt::MaxEvents => "max_events",
            o => o.flag(),
        }
    }
}

/// A refused option: `message` follows the option's name ("must be at
/// least 1").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionError {
    pub option: Opt,
    pub message: String,
}

/// Checks run options and fills in the defaults.
pub fn run_options(o: &OptionsIn) -> Result<RunOptions, OptionError> {
    let d = RunOptions::default();
    let err = |option, message: String| Err(OptionError { option, message });
    let horizon = match &o.horizon {
        None => d.horizon,
        Some(h) => match parse_duration(h) {
            Ok(n) => n,
            Err(e) => return err(Opt::Horizon, format!("{h}: {}", e.message)),
        },
    };
    if horizon == 0 || horizon > MAX_HORIZON {
        return err(
            Opt::Horizon,
            format!(
                "must be longer than zero and at most {} (got {})",
                Human(MAX_HORIZON),
                o.horizon.as_deref().unwrap_or("")
            ),
        );
    }
    let replications = o.replications.unwrap_or(d.replications);
    if replications == 0 {
        return err(Opt::Replications, "must be at least 1".into());
    }
    if let Some(t) = o.target_ci {
        if !(t > 0.0 && t < 1.0) {
            return err(
                Opt::TargetCi,
                format!("is a fraction between 0 and 1 (0.05 means ±5%), got {t}"),
            );
        }
    }
    let batch = o.batch.unwrap_or(d.batch);
    if batch == 0 {
        return err(Opt::Batch, "must be at least 1".into());
    }
    let max_events = o.max_events.unwrap_or(d.max_events);
    if max_events == 0 {
        return err(Opt::MaxEvents, "must be at least 1".into());
    }
    Ok(RunOptions {
        seed: o.seed.unwrap_or(d.seed),
        replications,
        horizon,
        target_ci: o.target_ci,
        batch,
        max_events,
    })
}

/// Refuses a sweep of more than [`MAX_SWEEP_POINTS`] points.
pub fn check_sweep_size(points: usize) -> Result<(), String> {
    if points > MAX_SWEEP_POINTS {
        return Err(format!(
            "{points} sweep points is too many (at most {MAX_SWEEP_POINTS})"
        ));
    }
    Ok(())
}

/// The model at one sweep point: `base` with every (path, value) set, then
/// compiled against `src` (errors point at the swept value's line).
pub fn compile_point(
    src: &crate::model::Source<'_>,
    base: &crate::model::tree::Value,
    point: &[(String, String)],
) -> Result<crate::model::Model, PointError> {
    compile_point_with(crate::protocols::builtin(), src, base, point)
}

/// [`compile_point`] with the kinds of `registry`, so a sweep over a model
/// that uses a kind defined outside the library compiles every point.
pub fn compile_point_with(
    registry: &crate::cluster::Registry,
    src: &crate::model::Source<'_>,
    base: &crate::model::tree::Value,
    point: &[(String, String)],
) -> Result<crate::model::Model, PointError> {
    let mut t = base.clone();
    for (k, v) in point {
        set_path(&mut t, k, parse_cli_value(v))
            .map_err(|e| PointError::Path(format!("parameter `{k}`: {e}")))?;
    }
    let label: Vec<String> = point.iter().map(|(k, v)| format!("{k}={v}")).collect();
    crate::model::compile::compile_with(registry, src, &t)
        .map_err(|e| PointError::Model(label.join(", "), e))
}

/// One point of a sweep: its (path, value) pairs and the model there.
pub type SweepPoint = (Vec<(String, String)>, crate::model::Model);

/// Why a sweep cannot start.
#[derive(Debug)]
pub enum SweepError {
    /// Too many points (see [`MAX_SWEEP_POINTS`]).
    Size(String),
    /// A point's path or value is wrong.
    Point(PointError),
}

impl std::fmt::Display for SweepError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepError::Size(e) => f.write_str(e),
            SweepError::Point(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SweepError {}

/// Every point of a sweep over `axes` (each combination, the first axis
/// varying slowest), each compiled with the kinds of `registry`, after the
/// sweep's size is checked. Every point compiles before any runs, so a bad
/// value fails at once and nothing is written: the CLI and the browser
/// both start a sweep here.
pub fn sweep_points(
    registry: &crate::cluster::Registry,
    src: &crate::model::Source<'_>,
    base: &crate::model::tree::Value,
    axes: &[(String, Vec<String>)],
) -> Result<Vec<SweepPoint>, SweepError> {
    check_sweep_size(axes.iter().map(|(_, v)| v.len()).product()).map_err(SweepError::Size)?;
    crate::model::edit::combinations(axes)
        .into_iter()
        .map(|p| {
            let model = compile_point_with(registry, src, base, &p).map_err(SweepError::Point)?;
            Ok((p, model))
        })
        .collect()
}

/// A sweep point's parameters as the export document holds them, each
/// value typed as the model would read it.
pub fn point_parameters(point: &[(String, String)]) -> crate::export::Parameters {
    point
        .iter()
        .map(|(k, v)| (k.clone(), crate::export::json_value(v)))
        .collect()
}

/// Runs every design with the same options, so replication `i` of each
/// uses the same random stream, and compares them against the first: the
/// document of `hasim compare`. `simulate(i, model)` runs design `i` (the
/// CLI on a thread pool with a progress bar, the browser in its worker);
/// the first error stops the comparison.
pub fn compare<E>(
    models: &[&crate::model::Model],
    opts: &RunOptions,
    mut simulate: impl FnMut(usize, &crate::model::Model) -> Result<crate::runner::Accumulator, E>,
) -> Result<crate::export::CompareDoc, E> {
    let accs = models
        .iter()
        .enumerate()
        .map(|(i, m)| simulate(i, m))
        .collect::<Result<Vec<_>, E>>()?;
    Ok(crate::export::CompareDoc::new(models, &accs, opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_take_defaults_and_name_what_is_wrong() {
        assert_eq!(
            run_options(&OptionsIn::default()),
            Ok(RunOptions::default())
        );
        let e = run_options(&OptionsIn {
            horizon: Some("-1y".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(e.option, Opt::Horizon);
        assert!(e.message.starts_with("-1y: "), "{e:?}");
        let e = run_options(&OptionsIn {
            max_events: Some(0),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            (e.option.flag(), e.option.key()),
            ("max-events", "max_events")
        );
        assert!(check_sweep_size(MAX_SWEEP_POINTS).is_ok());
        assert!(check_sweep_size(MAX_SWEEP_POINTS + 1).is_err());
    }
}
