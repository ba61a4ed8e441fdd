//! `hasim`: how available is your high-availability design, really?
//!
//! The binary parses arguments, reads files, prints tables and writes
//! exports; everything else is sim-core. `main` returns an exit code, prints
//! the error chain on failure, and treats a closed stdout (`hasim ... | head`)
//! as success.

mod check;
mod commands;
mod merge;
use sim_render::format;
mod output;
mod plan;
mod plot;
mod rare;
mod report;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "hasim", version, about = "Deterministic simulator and capacity planner for high-availability infrastructure", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Monte Carlo simulation of a model and report availability per service.
    Run {
        /// Model files (TOML or JSON); each is run and reported in turn.
        #[arg(required = true)]
        models: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
        /// Also print the timeline of replication N (the same failures as in the run).
        #[arg(long, value_name = "N")]
        trace: Option<u64>,
        /// Run only shard I of N (I counts from 0) and write mergeable results
        /// to the --export-json file; combine shards with `hasim merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        /// How to estimate: `mc` (plain Monte Carlo over replications), `is`
        /// (importance sampling over regenerative cycles, for designs of
        /// five nines and more) or `auto` (`is` when the model qualifies and
        /// every service's exact unavailability is below 1e-4).
        #[arg(long, value_name = "mc|is|auto", default_value = "auto")]
        estimator: sim_core::rare::Choice,
        /// Regenerative cycles for importance sampling (the most, with
        /// --target-ci); -n counts plain Monte Carlo's replications.
        #[arg(long, value_name = "N", default_value_t = 200_000)]
        cycles: u64,
    },
    /// Vary model parameters and run every combination (hyperfine style).
    Sweep {
        /// The model file (TOML or JSON) whose parameters are varied.
        model: PathBuf,
        /// A parameter (a dotted path into the model) and its comma-separated
        /// values: -L clusters.vip.track_weight -60,2. Repeat for every combination.
        #[arg(short = 'L', long = "parameter-list", num_args = 2, value_names = ["NAME", "VALUES"], action = clap::ArgAction::Append, allow_hyphen_values = true)]
        list: Vec<String>,
        /// A numeric (or duration) range: -P clusters.vip.advert_int 1s 3s -D 1s.
        #[arg(short = 'P', long = "parameter-scan", num_args = 3, value_names = ["NAME", "MIN", "MAX"], action = clap::ArgAction::Append, allow_hyphen_values = true)]
        scan: Vec<String>,
        /// Step for each --parameter-scan, in order (default 1).
        #[arg(short = 'D', long = "parameter-step-size", value_name = "STEP", action = clap::ArgAction::Append, allow_hyphen_values = true)]
        step: Vec<String>,
        #[command(flatten)]
        common: Common,
        /// Run only shard I of N (I counts from 0) of the sweep's points ×
        /// replications and write mergeable results to the --export-json
        /// file; combine shards with `hasim merge`.
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
    },
    /// Run several designs with the same seeds and compare them service by service.
    Compare {
        /// Two or more model files (TOML or JSON); the first is the baseline.
        #[arg(required = true, num_args = 2..)]
        models: Vec<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// Check models without running them: errors, design smells and assumptions.
    Validate {
        /// Model files (TOML or JSON) to check.
        #[arg(required = true)]
        models: Vec<PathBuf>,
        /// Exit with status 1 when there are warnings.
        #[arg(long)]
        deny_warnings: bool,
        /// Do not report this lint (its id, as in `warning[ID]`; repeatable;
        /// the README lists every id).
        #[arg(long, value_name = "ID")]
        allow: Vec<String>,
        /// Exit with status 1 when this lint is reported (repeatable).
        #[arg(long, value_name = "ID")]
        deny: Vec<String>,
    },
    /// Inject faults by hand and print what each layer does, and when.
    Scenario {
        /// The model file (TOML or JSON).
        model: PathBuf,
        /// Fail an element at a time: --fail proxmox-1@1h (repeatable).
        #[arg(long, value_name = "NAME@TIME")]
        fail: Vec<String>,
        /// Repair an element at a time: --repair proxmox-1@3h (repeatable).
        #[arg(long, value_name = "NAME@TIME")]
        repair: Vec<String>,
        /// How long to simulate (default: an hour after the last injection).
        #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
        horizon: Option<String>,
        /// Seed for the random parts of transients (election timeouts...).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the timeline and the downtime per service as JSON; `-` for stdout.
        #[arg(long, value_name = "FILE")]
        export_json: Option<String>,
        /// Draw the timeline (what was down when) to an .svg or .png file.
        #[arg(long, value_name = "FILE")]
        plot: Option<String>,
    },
    /// Capacity planner: headroom after every failure of a host, power feed
    /// or switch (N+1 / N+2 verdicts), a proposed placement (--place), and
    /// the cheapest design meeting an availability target (--target).
    #[command(mut_arg("plot", |a| a.help("With --target, draw the Pareto chart of the design search to an .svg or .png file (by extension): cost against downtime/yr of every simulated design, the cost/downtime frontier and the cheapest design meeting the target")))]
    Plan {
        /// The model file (TOML or JSON); --target searches its `[design]` section.
        model: PathBuf,
        /// Play every combination of up to this many failure domains at once
        /// (2 checks N+2).
        #[arg(long, default_value_t = plan::DEFAULT_FAILURES, value_parser = clap::value_parser!(u8).range(1..=3))]
        failures: u8,
        /// Search the model's `[design]` space for the cheapest design whose
        /// availability meets this target with 95% confidence: 99.95% or 0.9995.
        #[arg(long, value_name = "AVAILABILITY", allow_hyphen_values = true)]
        target: Option<String>,
        /// The service the target is for (default: the model's only service).
        #[arg(long, value_name = "NAME")]
        service: Option<String>,
        /// Also propose a placement of the HA VMs and VMs (capacity, HA
        /// groups, quorum spread, N+1, fewest moves) and verify it.
        #[arg(long)]
        place: bool,
        /// With --target, plan with the valid designs only when some
        /// combinations of the design space do not give a valid model
        /// (without it, any invalid design makes the command fail).
        #[arg(long)]
        skip_invalid: bool,
        #[command(flatten)]
        common: Common,
        /// With --target, simulate only shard I of N (I counts from 0) of the
        /// search's designs × replications and write mergeable results to
        /// the --export-json file; combine shards with `hasim merge`.
        #[arg(long, value_name = "I/N", requires = "target")]
        shard: Option<String>,
    },
    /// Combine shard results (from `run`, `sweep` or `plan --target` with
    /// `--shard`) into the output of the whole command.
    Merge {
        /// Shard files written by `run`, `sweep` or `plan --target` with
        /// `--shard I/N --export-json FILE`, in any order, all of one command.
        #[arg(required = true)]
        shards: Vec<PathBuf>,
        /// Draw the whole command's chart to an .svg or .png file: what its
        /// --plot would have drawn (results of a run, availability against the
        /// swept parameter, the Pareto chart of a design search).
        #[arg(long, value_name = "FILE")]
        plot: Option<String>,
        #[command(flatten)]
        exports: Exports,
    },
    /// Compute each service's steady-state availability exactly, without
    /// simulation: availability, outages/yr, mean outage, minimal cut sets
    /// and importance measures, from the structure (failover transients are
    /// not included); says which part of the model it could not solve and why.
    Exact {
        /// The model file (TOML or JSON).
        model: PathBuf,
        /// List minimal cut sets of up to this many parts.
        #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=6))]
        max_cut_order: u8,
        /// Write the analysis as JSON (with its `schema_version`); `-` for stdout.
        #[arg(long, value_name = "FILE")]
        export_json: Option<String>,
        /// Also measure each element's importance by simulation: every
        /// replication runs with the element as modelled, made perfect and
        /// always failed, with the same random streams, so the failover
        /// timers are included (1 + 2 x elements runs of -n replications).
        #[arg(long)]
        simulated_importance: bool,
        /// Replications of each run for --simulated-importance.
        #[arg(
            short = 'n',
            long,
            default_value_t = 1000,
            requires = "simulated_importance"
        )]
        replications: u64,
        /// Seed for --simulated-importance.
        #[arg(long, default_value_t = 1, requires = "simulated_importance")]
        seed: u64,
        /// Simulated time per replication for --simulated-importance.
        #[arg(long, default_value = "10y", requires = "simulated_importance")]
        horizon: String,
        /// Worker threads for --simulated-importance (default: all cores).
        #[arg(short = 'j', long, requires = "simulated_importance")]
        threads: Option<usize>,
    },
    /// List the built-in failure presets and where their numbers come from.
    Presets,
    /// Print the JSON Schema of the model format (also in models/hasim.schema.json).
    Schema {
        /// List every cluster kind's keys with their types, defaults and
        /// sources instead, as tables.
        #[arg(long)]
        keys: bool,
    },
    /// Turn real configuration files into a model: keepalived.conf (one
    /// file per router; routers of one virtual_router_id become one vrrp
    /// cluster), haproxy.cfg, patroni.yml, Kubernetes manifests and
    /// Longhorn StorageClasses, corosync.conf with the Proxmox HA
    /// resources.cfg and groups.cfg, Terraform for Proxmox VMs and the K3s
    /// config, each recognised by its content. Each value cites its file
    /// and line; what no config says is a marked ASSUMPTION.
    Import {
        /// Configuration files, recognised by their content.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Write the model to this file instead of stdout.
        #[arg(short, long)]
        output: Option<String>,
    },
    /// The availability gate for CI: run each model and exit 1 when a
    /// service's availability (the lower end of its 95% CI) is under its
    /// target, saying why; exit 0 when every service meets it, 2 on an
    /// error. Targets come from --target or from `target = "99.9%"` in
    /// the model's [services.NAME] tables.
    Check {
        /// Model files (TOML or JSON), each checked on its own.
        #[arg(required = true)]
        models: Vec<PathBuf>,
        /// The availability every gated service must reach: 99.9% or 0.999
        /// (overrides the model's targets).
        #[arg(long)]
        target: Option<String>,
        /// Gate only this service (default: every service with a target).
        #[arg(long)]
        service: Option<String>,
        /// Write the verdicts as JSON (schema_version 1) to this file.
        #[arg(long, value_name = "FILE")]
        export_json: Option<String>,
        #[command(flatten)]
        sim: SimOptions,
    },
    /// What changed from one version of a design to another (elements,
    /// clusters, services and parameters, with their lines) next to what
    /// the change does to availability: both run with the same seeds and
    /// compared, as `compare` does.
    Diff {
        /// The design before the change (TOML or JSON).
        base: PathBuf,
        /// The design after it.
        head: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Write a design-review document: the designs, validation warnings,
    /// results with 95% CIs (compared side by side for several models), charts,
    /// top downtime causes, the capacity planner's N+1 verdicts and the
    /// command that reproduces it.
    Report {
        /// Model files (TOML or JSON); several are compared against the first.
        #[arg(required = true)]
        models: Vec<PathBuf>,
        /// The document: FILE.html is one self-contained page (inline CSS and
        /// SVG charts, no external resources); FILE.md is Markdown whose charts
        /// are written beside it as FILE.recovery.svg and FILE.causes.svg
        /// (sidecar files, because common Markdown viewers do not show
        /// images inlined as data: URIs).
        #[arg(short = 'o', long, value_name = "FILE")]
        output: String,
        /// html, md, or gfm (GitHub-flavoured Markdown for a pull-request
        /// comment: the summary first, the details folded, no charts);
        /// by default from the file's extension. With `-o -` the document
        /// goes to stdout (html or gfm).
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
        /// The availability target of the design search on the first page
        /// (for models with a `[design]` space): the cheapest design
        /// meeting it with 95% confidence, for every service. Without it,
        /// each service's own `target = "99.9%"`.
        #[arg(long, value_name = "AVAILABILITY")]
        target: Option<String>,
        /// Do not run the design search (it simulates every design of the
        /// space).
        #[arg(long)]
        no_design_search: bool,
        #[command(flatten)]
        sim: SimOptions,
    },
}

/// How to simulate: what `run`, `sweep`, `compare` and `report` share.
#[derive(Args, Clone)]
pub struct SimOptions {
    /// Seed of the random streams; the same seed gives the same results.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Replications (the maximum when --target-ci is given).
    #[arg(short = 'n', long, default_value_t = 1000)]
    replications: u64,
    /// Simulated time per replication, a duration such as 10y, 90d or 8h.
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "10y",
        allow_hyphen_values = true
    )]
    horizon: String,
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(short = 'j', long)]
    pub(crate) threads: Option<usize>,
    /// Stop when every service's downtime/yr CI half-width is below this
    /// fraction of its mean (0.05 = ±5%).
    #[arg(long, value_name = "FRACTION", allow_negative_numbers = true)]
    target_ci: Option<f64>,
    /// Replications per batch (progress, cancellation and --target-ci checks).
    #[arg(long, default_value_t = 100)]
    batch: u64,
    /// Events one replication may take before the run stops with an error
    /// naming what scheduled them (a guard against a model that would run
    /// for hours; real designs need thousands per simulated year).
    #[arg(long, value_name = "N", default_value_t = sim_core::runner::DEFAULT_MAX_EVENTS)]
    max_events: u64,
}

/// The simulation options and the outputs of `run`, `sweep` and `compare`.
#[derive(Args, Clone)]
pub struct Common {
    #[command(flatten)]
    sim: SimOptions,
    /// Draw charts to an .svg or .png file: recovery-time CDFs and downtime
    /// by cause (run, compare), availability against the swept parameter
    /// (sweep).
    #[arg(long, value_name = "FILE")]
    plot: Option<String>,
    #[command(flatten)]
    exports: Exports,
}

#[derive(Args, Clone, Default)]
pub struct Exports {
    /// Write results as JSON (the versioned contract); `-` for stdout.
    #[arg(long, value_name = "FILE")]
    export_json: Option<String>,
    /// Write one CSV row per service (and sweep point); `-` for stdout.
    #[arg(long, value_name = "FILE")]
    export_csv: Option<String>,
    /// Write Markdown tables; `-` for stdout.
    #[arg(long, value_name = "FILE")]
    export_markdown: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            models,
            common,
            trace,
            shard,
            estimator,
            cycles,
        } => commands::run_many(
            &models,
            &common,
            trace,
            shard.as_deref(),
            commands::Estimation {
                choice: estimator,
                cycles,
            },
        ),
        Command::Sweep {
            model,
            list,
            scan,
            step,
            common,
            shard,
        } => commands::sweep(&model, &list, &scan, &step, &common, shard.as_deref()),
        Command::Compare { models, common } => commands::compare(&models, &common),
        Command::Validate {
            models,
            deny_warnings,
            allow,
            deny,
        } => commands::validate(&models, deny_warnings, &allow, &deny),
        Command::Scenario {
            model,
            fail,
            repair,
            horizon,
            seed,
            export_json,
            plot,
        } => commands::scenario(
            &model,
            &fail,
            &repair,
            horizon.as_deref(),
            seed,
            export_json.as_deref(),
            plot.as_deref(),
        ),
        Command::Plan {
            model,
            failures,
            target,
            service,
            place,
            skip_invalid,
            common,
            shard,
        } => plan::command(
            &model,
            usize::from(failures),
            plan::SearchArgs {
                target: target.as_deref(),
                service: service.as_deref(),
                skip_invalid,
                shard: shard.as_deref(),
            },
            place,
            &common,
        ),
        Command::Merge {
            shards,
            plot,
            exports,
        } => merge::merge(&shards, &exports, plot.as_deref()),
        Command::Exact {
            model,
            max_cut_order,
            export_json,
            simulated_importance,
            replications,
            seed,
            horizon,
            threads,
        } => commands::exact(
            &model,
            usize::from(max_cut_order),
            export_json.as_deref(),
            simulated_importance.then_some(commands::SimulatedImportance {
                replications,
                seed,
                horizon: &horizon,
                threads,
            }),
        ),
        Command::Presets => commands::presets(),
        Command::Report {
            models,
            output,
            format,
            target,
            no_design_search,
            sim,
        } => report::report(
            &models,
            &output,
            format.as_deref(),
            report::SearchArgs {
                target: target.as_deref(),
                skip: no_design_search,
            },
            &sim,
        ),
        Command::Check {
            models,
            target,
            service,
            export_json,
            sim,
        } => {
            let args = check::Args {
                target: target.as_deref(),
                service: service.as_deref(),
                export_json: export_json.as_deref(),
            };
            // A broken model or option exits 2, apart from a missed target.
            return match check::command(&models, &args, &sim) {
                Ok(code) => code,
                Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{e:#}");
                    ExitCode::from(2)
                }
            };
        }
        Command::Diff { base, head, common } => commands::diff(&base, &head, &common),
        Command::Import { files, output } => commands::import(&files, output.as_deref()),
        Command::Schema { keys: true } => output::print(&sim_render::format::kind_keys(
            sim_core::protocols::builtin(),
        ))
        .map(|_| ExitCode::SUCCESS),
        Command::Schema { keys: false } => {
            output::print(&sim_core::model::schema::json_schema_text()).map(|_| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// Every argument and subcommand of `cmd` (recursively) without a help
    /// text, as "hasim sweep: <model>".
    fn without_help(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        let path = format!("{path} {}", cmd.get_name()).trim().to_string();
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if a.get_help().is_none() && a.get_long_help().is_none() {
                missing.push(format!("{path}: {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(format!("{path} {}: the subcommand", sub.get_name()));
            }
            without_help(sub, &path, missing);
        }
    }

    #[test]
    fn every_argument_has_help() {
        let mut missing = Vec::new();
        without_help(&Cli::command(), "", &mut missing);
        assert!(
            missing.is_empty(),
            "arguments without a description in --help:\n  {}",
            missing.join("\n  ")
        );
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn plan_plot_describes_the_pareto_chart() {
        let cmd = Cli::command();
        let plan = cmd.find_subcommand("plan").expect("plan");
        let plot = plan
            .get_arguments()
            .find(|a| a.get_id() == "plot")
            .expect("plan --plot");
        let help = plot.get_help().expect("help").to_string();
        assert!(help.contains("Pareto"), "{help}");
    }
}
