//! HAProxy health checks (`kind = "haproxy"`).
//!
//! The members are the backend servers of one backend. HAProxy's view of a
//! server (marked UP or DOWN) lags its real state by the health-check
//! timeline (HAProxy configuration.txt, HA-FACTS section 3):
//!
//! - mark DOWN: the first failing check starts U(0, inter) after the server
//!   dies (checks run on a grid), then `fall - 1` more at `fastinter`; the
//!   last one fails `t_fail` after it starts. `t_fail` is ~0 when the port
//!   refuses (`failure = "refused"`: a crashed process on a live host) and
//!   one check timeout when packets are silently dropped (`failure =
//!   "dropped"`: a dead host or VM): `inter` without `timeout_check`,
//!   min(`timeout_connect`, `inter`) with it (the connect never completes).
//! - mark UP: U(0, downinter) + (rise - 1) * fastinter.
//! - A server that comes back (or dies again) before it is marked breaks the
//!   streak, and the pending mark is dropped.
//!
//! Until a dead server is marked DOWN, `balance roundrobin` (HAProxy's
//! default: "each server is used in turns, according to their weights",
//! configuration.txt, "balance") still sends it its turn of new
//! connections: with d dead servers among k marked UP, d/k of new
//! connections fail. Without `option redispatch` (off by default) a failed
//! connection is retried on the same server (`retries`, default 3,
//! configuration.txt), so those requests fail; servers have equal weights
//! here. The other spreading algorithms (`static-rr`, `random`, the hashes)
//! give the same d/k on average; `leastconn` is taken as the same.
//! Partial unavailability is reported two ways:
//!
//! - `up` (default): at least one server is alive and marked UP, so the
//!   backend answers (with `balance = "first"`: the first server marked UP
//!   is alive, since it takes all traffic). While `up` holds, the failing
//!   share d/k is published on it ([`ClusterKind::share_output`]): a
//!   service that depends on it reports request-weighted downtime, the
//!   integral of that share over time, besides its time-based downtime;
//! - `no_errors`: `up`, and no server marked UP is dead: no connection is
//!   sent to a dead server. Its down time is the time during which a share
//!   of requests fails; the share (k/m) is written to the timeline;
//! - `all_up`: every server alive and marked UP (full capacity).

use crate::cluster::{ClusterCx, ClusterKind, ClusterState, Inputs, Timer, TimerTag, Timers};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::time::{Human, Nanos, NANOS_PER_MILLI};

/// Keys this kind reads, with HAProxy's defaults (configuration.txt,
/// section 5.2, server options).
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("inter", T::Duration, D::Is("2s"), "Interval between health checks (`inter`, default 2000 ms)."),
    KeySpec::new("fastinter", T::Duration, D::Follows("inter"), "Interval while a server is changing state (`fastinter`, defaults to `inter`)."),
    KeySpec::new("downinter", T::Duration, D::Follows("inter"), "Interval while a server is DOWN (`downinter`, defaults to `inter`)."),
    KeySpec::new("fall", T::Int { min: 1, max: 1_000_000 }, D::Is("3"), "Failed checks before a server is marked DOWN (`fall`, default 3)."),
    KeySpec::new("rise", T::Int { min: 1, max: 1_000_000 }, D::Is("2"), "Passed checks before it is marked UP (`rise`, default 2)."),
    KeySpec::new("timeout_check", T::Duration, D::Follows("unset: inter bounds the whole check"), "`timeout check`: when set, a check of a server that drops packets fails after min(`timeout_connect`, `inter`) (configuration.txt, \"timeout check\")."),
    KeySpec::new("timeout_connect", T::Duration, D::Follows("inter"), "`timeout connect`, which bounds a check's connect phase when `timeout check` is set."),
    KeySpec::new("failure", T::Choice(&["dropped", "refused"]), D::Is("dropped"), "How a dead member answers a check: silently (a dead host; ASSUMPTION, the usual case) or with a reset (a crashed process)."),
    KeySpec::new("balance", T::Text, D::Is("roundrobin"), "`balance` algorithm; `first` sends every request to the first server marked UP."),
];

/// `kind = "haproxy"` in the model format.
pub const SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "haproxy",
    summary: "HAProxy health checks: which backend servers a frontend sends requests to.",
    keys: KEYS,
    lints: &[],
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Haproxy::from_fields(f, inputs)?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Refused,
    Dropped,
}

#[derive(Debug, Clone)]
pub struct Haproxy {
    pub servers: usize,
    pub inter: Nanos,
    pub fastinter: Nanos,
    pub downinter: Nanos,
    pub fall: u64,
    pub rise: u64,
    pub timeout_check: Option<Nanos>,
    pub timeout_connect: Option<Nanos>,
    pub failure: Failure,
    /// `balance first` sends everything to the first server marked UP.
    pub first: bool,
}

/// `balance` algorithms HAProxy accepts (configuration.txt, "balance").
const BALANCE: &[&str] = &[
    "roundrobin",
    "static-rr",
    "leastconn",
    "first",
    "source",
    "uri",
    "url_param",
    "hdr",
    "random",
    "rdp-cookie",
    "hash",
];

impl Haproxy {
    pub fn from_fields(
        f: &mut Fields<'_, '_>,
        inputs: &mut Inputs<'_>,
    ) -> Result<Self, Diagnostic> {
        let servers = inputs.n_members();
        // `inter` 2000 ms, `fall` 3, `rise` 2; `fastinter` and `downinter`
        // default to `inter` (HAProxy configuration.txt, server options).
        let inter = f.duration("inter")?.unwrap_or(2000 * NANOS_PER_MILLI);
        let fastinter = f.duration("fastinter")?.unwrap_or(inter);
        let downinter = f.duration("downinter")?.unwrap_or(inter);
        if inter == 0 || fastinter == 0 || downinter == 0 {
            return Err(f
                .src
                .error(f.span.clone(), "check intervals must be above zero"));
        }
        let fall = f.int("fall", 1, 1_000_000)?.unwrap_or(3) as u64;
        let rise = f.int("rise", 1, 1_000_000)?.unwrap_or(2) as u64;
        let timeout_check = f.duration("timeout_check")?;
        let timeout_connect = f.duration("timeout_connect")?;
        // Default "dropped": a member going down is usually a host or VM,
        // whose address stops answering rather than refusing (an
        // assumption; set "refused" for a crashed process on a live host).
        let failure = match f.string("failure")? {
            None | Some(("dropped", _)) => Failure::Dropped,
            Some(("refused", _)) => Failure::Refused,
            Some((other, v)) => {
                return Err(f
                    .src
                    .error(v.span.clone(), format!("unknown failure behaviour `{other}`"))
                    .with_help("use \"refused\" (the port answers with a reset) or \"dropped\" (packets are silently lost)"))
            }
        };
        let mut first = false;
        if let Some((b, v)) = f.string("balance")? {
            let algo = b.split_whitespace().next().unwrap_or("");
            let base = algo.split('(').next().unwrap_or("");
            if !BALANCE.contains(&base) {
                return Err(f
                    .src
                    .error(v.span.clone(), format!("unknown balance algorithm `{b}`"))
                    .with_help(format!("known: {}", BALANCE.join(", "))));
            }
            first = base == "first";
        }
        Ok(Haproxy {
            servers,
            inter,
            fastinter,
            downinter,
            fall,
            rise,
            timeout_check,
            timeout_connect,
            failure,
            first,
        })
    }

    /// How long a failing check takes to fail.
    pub fn t_fail(&self) -> Nanos {
        match self.failure {
            Failure::Refused => 0,
            // Without `timeout check`, `inter` bounds the whole check; with
            // it the connect phase is bounded by min(timeout connect, inter)
            // (configuration.txt, "timeout check").
            Failure::Dropped => match self.timeout_check {
                None => self.inter,
                Some(_) => self.timeout_connect.unwrap_or(self.inter).min(self.inter),
            },
        }
    }
}

impl ClusterKind for Haproxy {
    /// Once the health checks have caught up, every dead server is marked
    /// DOWN and every live one UP: `up` and `no_errors` hold while any
    /// server is up (with `balance first` too: the first server marked UP
    /// is then alive), `all_up` while every server is.
    fn structure(&self, output: usize) -> Result<crate::cluster::Structure, String> {
        use crate::cluster::Structure;
        Ok(match output {
            0 | 1 => Structure::any_of(0..self.servers),
            _ => Structure::All((0..self.servers).map(Structure::Input).collect()),
        })
    }
    fn kind(&self) -> &'static str {
        "haproxy"
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["up", "no_errors", "all_up"]
    }
    fn share_output(&self) -> Option<usize> {
        Some(0)
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(HaproxyState {
            cfg: self.clone(),
            alive: vec![true; self.servers],
            marked: vec![true; self.servers],
            pending: vec![None; self.servers],
            timers: Timers::new(),
            started: false,
            share: (0, 0),
        })
    }
}

struct HaproxyState {
    cfg: Haproxy,
    alive: Vec<bool>,
    /// HAProxy's view: marked UP.
    marked: Vec<bool>,
    pending: Vec<Option<Timer>>,
    timers: Timers<Mark>,
    started: bool,
    /// (dead servers marked UP, servers marked UP), for the timeline.
    share: (usize, usize),
}

impl HaproxyState {
    fn update(&mut self, cx: &mut ClusterCx<'_>) {
        let n = self.alive.len();
        // Counted in place: this runs on every health-check transition and
        // collecting the marked servers into a `Vec` cost an allocation.
        let marked = (0..n).filter(|i| self.marked[*i]);
        let n_marked = marked.clone().count();
        let dead_marked = marked.clone().filter(|i| !self.alive[*i]).count();
        let up = if self.cfg.first {
            marked.clone().next().is_some_and(|i| self.alive[i])
        } else {
            n_marked > dead_marked
        };
        let no_errors = up && dead_marked == 0;
        let all_up = (0..n).all(|i| self.alive[i] && self.marked[i]);
        let share = (dead_marked, n_marked);
        if share != self.share && dead_marked > 0 {
            cx.trace(|| {
                format!(
                    "{dead_marked} of {} servers marked UP are dead: about {dead_marked}/{} of new connections fail",
                    share.1, share.1
                )
            });
        }
        self.share = share;
        // `balance first` sends everything to the first server marked UP:
        // all requests fail (up is false) or none do.
        let failing = if up && !self.cfg.first {
            dead_marked
        } else {
            0
        };
        cx.set_failing_share(failing as u64, n_marked as u64);
        cx.set_output(0, up);
        cx.set_output(1, no_errors);
        cx.set_output(2, all_up);
    }
}

/// HAProxy's one timer: the health checks mark server `server` with what it
/// is now (UP after `rise` passes, DOWN after `fall` failures).
#[derive(Debug, Clone, Copy)]
struct Mark {
    server: usize,
}

impl ClusterState for HaproxyState {
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        let n = self.alive.len();
        if !self.started {
            self.started = true;
            for i in 0..n {
                self.alive[i] = cx.member_up(i);
                self.marked[i] = self.alive[i];
            }
            self.update(cx);
            return;
        }
        for i in 0..n {
            let alive = cx.member_up(i);
            if alive == self.alive[i] {
                continue;
            }
            self.alive[i] = alive;
            if let Some(id) = self.pending[i].take() {
                self.timers.cancel(cx, id);
            }
            if alive == self.marked[i] {
                continue; // came back before being marked: nothing changes
            }
            let c = &self.cfg;
            let delay = if alive {
                cx.rng().below(c.downinter) + (c.rise - 1) * c.fastinter
            } else {
                cx.rng().below(c.inter) + (c.fall - 1) * c.fastinter + c.t_fail()
            };
            let what = if alive { "UP" } else { "DOWN" };
            let who = super::name(cx, i);
            cx.trace(|| {
                format!(
                    "{who} {}; health checks mark it {what} in {}",
                    if alive { "back" } else { "dead" },
                    Human(delay)
                )
            });
            self.pending[i] = Some(self.timers.schedule(cx, delay, Mark { server: i }));
        }
        self.update(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        let Mark { server: i } = self.timers.fired(tag);
        self.pending[i] = None;
        self.marked[i] = self.alive[i];
        let what = if self.marked[i] { "UP" } else { "DOWN" };
        let who = super::name(cx, i);
        cx.trace(|| format!("{who} marked {what}"));
        self.update(cx);
    }
}
