//! Patroni / PostgreSQL (`kind = "patroni"`) and a plain primary/replica
//! pair failed over by hand (`kind = "postgres-manual"`).
//!
//! The members are the PostgreSQL nodes (hosts or VMs running Postgres and
//! Patroni); the first is the primary at time 0. Outputs: `writes` (a
//! primary accepts commits) and `reads` (some member serves reads).
//!
//! Patroni (Patroni docs, `patroni/ha.py`, HA-FACTS section 4):
//!
//! - the primary renews the leader key in the DCS (`dcs`, for example
//!   `"etcd.quorum"`) every `loop_wait`; after a crash the key expires `ttl`
//!   after its last renewal, so failover starts ttl - U(0, loop_wait) after
//!   the crash; then the leader race and `pg_ctl promote` take `promotion`;
//! - a graceful stop (a planned change) deletes the key: replicas race at
//!   once, downtime is `promotion` alone, nothing is lost;
//! - the race: a replica withdraws if its lag exceeds
//!   `maximum_lag_on_failover`; among the rest the one with the most WAL
//!   wins, equal ones by higher `failover_priority` (0 = never promote,
//!   like `nofailover`), then member order. Lag is drawn per failover from
//!   `replication_lag` (a duration) times `wal_rate` (bytes per second);
//! - asynchronous replication: promoting a replica with any lag loses the
//!   commits it had not received ([`ClusterCx::data_loss`]);
//! - `synchronous_mode`: only the synchronous standby may be promoted (no
//!   lost commits). When the synchronous standby dies, commits block until
//!   Patroni picks another, when the dead member's key expires (ttl -
//!   U(0, loop_wait), at most ttl); with no other replica, commits stay
//!   blocked under `synchronous_mode_strict`, otherwise Patroni falls back
//!   to asynchronous replication;
//! - DCS without quorum: the primary cannot renew its key; on its next
//!   loop, after retrying for `retry_timeout`, it demotes itself, so writes
//!   stop U(0, loop_wait) + retry_timeout after the DCS is lost. With
//!   `failsafe_mode` it stays primary while every member is up (all answer
//!   its /failsafe calls). When the DCS is back, the members race again:
//!   U(0, loop_wait) + `promotion`.
//!
//! Gray failures (a degradation on the primary's path to the DCS: its own
//! host's network, or the DCS members', read through
//! [`ClusterCx::degraded`] and [`ClusterCx::input_degraded`]):
//!
//! - the primary runs its HA loop every `loop_wait` from the moment it
//!   became primary, renewing the leader key on each;
//! - a renewal fails when its round trip (twice the one-way delay of the
//!   primary and of the DCS, plus the DCS's fsync delay) exceeds
//!   `retry_timeout`, or while the primary or a majority of the DCS is
//!   paused, or every message is lost ("DCS or network issues shorter than
//!   this will not cause Patroni to demote the leader", Patroni docs,
//!   `retry_timeout`; a partial loss is retried within it and not
//!   modelled);
//! - on a failed renewal the primary demotes itself `retry_timeout` after
//!   the loop began ("In case the update of the leader lock fails,
//!   Postgres is immediately demoted", Patroni docs, DCS Failsafe Mode),
//!   unless `failsafe_mode` is on and it still reaches every member's REST
//!   API: each `POST /failsafe` has a 2 s timeout (`ha.py`
//!   `call_failsafe_member`, `timeout=2`), so every member must be up and
//!   the round trip to it within 2 s. A paused primary demotes nothing;
//! - the key expires `ttl` after the last renewal that landed; then the
//!   replicas whose own DCS path works race. A replica withdraws while the
//!   old primary still answers as primary (`ha.py` `_is_healthiest_node`:
//!   "Primary is still alive"), so a failsafe primary keeps its role; a
//!   demoted or paused one does not, and a replica is promoted while the
//!   old primary still runs: a false failover, counted with
//!   [`ClusterCx::false_failover`], losing what the existing lag model
//!   says (asynchronous replication) or nothing (`synchronous_mode`);
//! - when the path works again the next loop renews the key; a primary
//!   that demoted itself but still holds the key promotes itself again
//!   (`promotion`);
//! - a primary paused through its own key's expiry resumes as primary and
//!   accepts writes beside the new one until its next loop finds the key
//!   taken and demotes it: a split brain of at most `loop_wait`.
//!
//! `postgres-manual` (seed 003's two PostgreSQL nodes, primary/replica with
//! no failover manager): after a primary crash, writes stay down until a
//! human notices and promotes the replica (`response` + `promotion`), or
//! the primary comes back first (crash recovery taken as immediate). A
//! planned stop of the primary is waited out (nobody promotes for a
//! reboot). Async data loss applies as above.
//!
//! Simplifications: Postgres crashing while Patroni lives (in-place crash
//! recovery) is not separate from a node crash; a returning old primary
//! rejoins as a replica (pg_rewind) without affecting writes.

use crate::cluster::{ClusterCx, ClusterKind, ClusterState, Inputs, Lint, Timer, TimerTag, Timers};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::dist::Dist;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::protocols::below;
use crate::time::{Human, Nanos, NANOS_PER_MIN, NANOS_PER_SEC};

/// Keys of a Patroni cluster, with Patroni's defaults (Patroni docs,
/// patroni/config.py).
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("dcs", T::Ref, D::Required, "The `cluster.output` of the DCS holding the leader key (`etcd.quorum`)."),
    KeySpec::new("version", T::Text, D::Follows("unset: Patroni 3.2 or later"), "The Patroni version (\"3.1\", \"4.0.4\"): from 3.2 Patroni adjusts `loop_wait` and `retry_timeout` until loop_wait + 2 x retry_timeout <= ttl (patroni/config.py `_validate_and_adjust_timeouts`, Patroni 3.2.0 release notes); before 3.2 it runs the values as written."),
    KeySpec::new("ttl", T::Duration, D::Is("30s"), "Leader key lifetime (`ttl`, default 30 s, at least 20 s)."),
    KeySpec::new("loop_wait", T::Duration, D::Is("10s"), "HA loop interval (`loop_wait`, default 10 s, at least 1 s from Patroni 3.2, which lowers it to ttl - 2 x retry_timeout when the rule is broken)."),
    KeySpec::new("retry_timeout", T::Duration, D::Is("10s"), "DCS and PostgreSQL retry timeout (`retry_timeout`, default 10 s, at least 3 s from Patroni 3.2, which lowers it to (ttl - 1 s) / 2 when even loop_wait 1 s breaks the rule)."),
    KeySpec::new("maximum_lag_on_failover", T::Quantity("a byte size"), D::Is("1048576"), "A replica further behind does not take over (default 1048576 bytes)."),
    KeySpec::new("replication_lag", T::Dist, D::Is("exp(5ms)"), "How far replicas trail the primary (ASSUMPTION: streaming replication on a LAN)."),
    KeySpec::new("wal_rate", T::Quantity("a byte size per second"), D::Is("100000"), "WAL written per second, which turns lag into bytes lost (ASSUMPTION: 100 kB/s)."),
    KeySpec::new("promotion", T::Dist, D::Is("uniform(2s, 5s)"), "Leader race and `pg_ctl promote` (HA-FACTS 4: \"a few seconds\")."),
    KeySpec::new("failover_priority", T::PerMemberInt { min: 0, max: 1_000_000 }, D::Is("1"), "Patroni's `failover_priority` tag; 0 never promotes (`nofailover`)."),
    KeySpec::new("synchronous_mode", T::Bool, D::Is("false"), "`synchronous_mode`: commits wait for one synchronous standby."),
    KeySpec::new("synchronous_mode_strict", T::Bool, D::Is("false"), "`synchronous_mode_strict`: commits block while no standby is left."),
    KeySpec::new("failsafe_mode", T::Bool, D::Is("false"), "`failsafe_mode`: the primary keeps running without the DCS while it sees every member (default off)."),
];

/// Keys of `kind = "postgres-manual"`.
pub const MANUAL_KEYS: &[KeySpec] = &[
    KeySpec::new("response", T::Dist, D::Is("lognormal(1h, 1.0)"), "How long the operator takes to notice and promote (ASSUMPTION: about an hour awake, longer at night)."),
    KeySpec::new("promotion", T::Dist, D::Is("uniform(2s, 5s)"), "`pg_ctl promote`."),
    KeySpec::new("replication_lag", T::Dist, D::Is("exp(5ms)"), "How far replicas trail the primary (ASSUMPTION)."),
    KeySpec::new("wal_rate", T::Quantity("a byte size per second"), D::Is("100000"), "WAL written per second (ASSUMPTION)."),
];

/// `kind = "patroni"` in the model format.
pub const PATRONI_SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "patroni",
    summary: "Patroni / PostgreSQL: leader lock in a DCS, automatic failover to a replica.",
    keys: KEYS,
    lints: &[crate::cluster::LintInfo { id: "patroni-ttl-too-short", meaning: "loop_wait + 2 x retry_timeout exceeds ttl: Patroni 3.2+ lowers loop_wait (and retry_timeout) to fit, older versions let the leader key expire while the primary retries." }],
    build: build_patroni,
};

fn build_patroni<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Patroni::from_fields(f, inputs, false)?))
}

/// `kind = "postgres-manual"` in the model format.
pub const POSTGRES_MANUAL_SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "postgres-manual",
    summary: "A PostgreSQL primary/replica pair failed over by hand.",
    keys: MANUAL_KEYS,
    lints: &[],
    build: build_postgres_manual,
};

fn build_postgres_manual<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Patroni::from_fields(f, inputs, true)?))
}

/// Patroni's own check of its timers (patroni/config.py
/// `_validate_and_adjust_timeouts`, enforced from Patroni 3.2.0): raise
/// `loop_wait` to at least 1 s and `retry_timeout` to at least 3 s; then,
/// if `loop_wait + 2 * retry_timeout > ttl`, lower `loop_wait` to
/// `ttl - 2 * retry_timeout`, or, when even a 1 s loop breaks the rule, set
/// `loop_wait` to 1 s and `retry_timeout` to `(ttl - 1 s) / 2` in whole
/// seconds (Patroni keeps these timers as integers). Patroni logs a warning
/// and runs the adjusted values, so hasim simulates those. Without it a
/// ttl of 20 s with the default 10 s loop and 10 s retry would demote the
/// primary at the very instant its key expires.
pub fn adjust_timeouts(ttl: Nanos, loop_wait: Nanos, retry_timeout: Nanos) -> (Nanos, Nanos) {
    const MIN_LOOP_WAIT: Nanos = NANOS_PER_SEC;
    let loop_wait = loop_wait.max(MIN_LOOP_WAIT);
    let retry_timeout = retry_timeout.max(3 * NANOS_PER_SEC);
    if MIN_LOOP_WAIT + 2 * retry_timeout > ttl {
        let whole = |t: Nanos| t / NANOS_PER_SEC;
        let retry = (whole(ttl) - whole(MIN_LOOP_WAIT)) / 2 * NANOS_PER_SEC;
        (MIN_LOOP_WAIT, retry)
    } else if loop_wait + 2 * retry_timeout > ttl {
        (ttl - 2 * retry_timeout, retry_timeout)
    } else {
        (loop_wait, retry_timeout)
    }
}

#[derive(Debug, Clone)]
pub struct Patroni {
    pub manual: bool,
    pub nodes: usize,
    pub dcs: Option<usize>,
    pub ttl: Nanos,
    pub loop_wait: Nanos,
    pub retry_timeout: Nanos,
    /// `loop_wait` and `retry_timeout` as the model wrote them, before
    /// Patroni's adjustment (for the lint that says what changed).
    pub written: (Nanos, Nanos),
    pub max_lag: u64,
    pub lag: Dist,
    pub wal_rate: u64,
    pub promotion: Dist,
    pub priority: Vec<i64>,
    pub sync: bool,
    pub strict: bool,
    pub failsafe: bool,
    pub response: Dist,
}

impl Patroni {
    pub fn from_fields<'t>(
        f: &mut Fields<'t, '_>,
        inputs: &mut Inputs<'t>,
        manual: bool,
    ) -> Result<Self, Diagnostic> {
        let n = inputs.n_members();
        // ASSUMPTION: streaming replication on a LAN replays within a few
        // milliseconds; set `replication_lag` from pg_stat_replication.
        let lag = f
            .dist("replication_lag")?
            .unwrap_or(Dist::Exponential { mean: 5e6 });
        // ASSUMPTION: a small database writing 100 kB of WAL per second.
        let wal_rate =
            super::quantity(f, "wal_rate", super::BYTES, super::parse_bytes)?.unwrap_or(100_000);
        // HA-FACTS 4: leader race + `pg_ctl promote` take "a few seconds"
        // (an assumption within that statement).
        let promotion = f.dist("promotion")?.unwrap_or(Dist::Uniform {
            min: 2 * NANOS_PER_SEC,
            max: 5 * NANOS_PER_SEC,
        });
        if manual {
            // ASSUMPTION: a home-lab operator notices and promotes within
            // about an hour when awake, much longer at night.
            let response = f.dist("response")?.unwrap_or(Dist::Lognormal {
                mu: libm::log(60.0 * NANOS_PER_MIN as f64),
                sigma: 1.0,
            });
            return Ok(Patroni {
                manual,
                nodes: n,
                dcs: None,
                ttl: 0,
                loop_wait: 0,
                retry_timeout: 0,
                written: (0, 0),
                max_lag: u64::MAX,
                lag,
                wal_rate,
                promotion,
                priority: vec![1; n],
                sync: false,
                strict: false,
                failsafe: false,
                response,
            });
        }
        let dcs = match f.string("dcs")? {
            Some((name, v)) => Some(inputs.add(name, v)),
            None => return Err(f.missing("dcs", "\"etcd.quorum\"")),
        };
        // Patroni docs / patroni/config.py: ttl 30 s (minimum 20), loop_wait
        // 10 s, retry_timeout 10 s, maximum_lag_on_failover 1048576 bytes.
        let ttl = f.duration("ttl")?.unwrap_or(30 * NANOS_PER_SEC);
        if ttl < 20 * NANOS_PER_SEC {
            return Err(f.src.error(
                f.raw("ttl").map_or(f.span.clone(), |v| v.span.clone()),
                "Patroni's `ttl` is at least 20s (patroni/config.py)",
            ));
        }
        let version = super::version(f, "Patroni", "\"3.1\" or \"4.0.4\"")?;
        let written_loop = f.duration("loop_wait")?.unwrap_or(10 * NANOS_PER_SEC);
        let written_retry = f.duration("retry_timeout")?.unwrap_or(10 * NANOS_PER_SEC);
        let (loop_wait, retry_timeout) = match version {
            Some(v) if v < (3, 2) => (written_loop, written_retry),
            _ => adjust_timeouts(ttl, written_loop, written_retry),
        };
        let max_lag = super::quantity(
            f,
            "maximum_lag_on_failover",
            super::BYTES,
            super::parse_bytes,
        )?
        .unwrap_or(1_048_576);
        // failover_priority 1 by default; 0 means never promote (Patroni tags).
        let priority = super::per_member_ints(f, "failover_priority", n, 0, 1_000_000)?
            .unwrap_or_else(|| vec![1; n]);
        let sync = f.bool("synchronous_mode")?.unwrap_or(false);
        let strict = f.bool("synchronous_mode_strict")?.unwrap_or(false);
        // failsafe_mode off by default (Patroni docs).
        let failsafe = f.bool("failsafe_mode")?.unwrap_or(false);
        Ok(Patroni {
            manual,
            nodes: n,
            dcs,
            ttl,
            loop_wait,
            retry_timeout,
            written: (written_loop, written_retry),
            max_lag,
            lag,
            wal_rate,
            promotion,
            priority,
            sync,
            strict,
            failsafe,
            response: Dist::Fixed { value: 0 },
        })
    }

    /// When the key of a member that crashed now expires: ttl after its
    /// last renewal, which was U(0, loop_wait) ago.
    fn key_expiry(&self, cx: &mut ClusterCx<'_>) -> Nanos {
        self.ttl - below(cx, self.loop_wait).min(self.ttl)
    }
}

impl ClusterKind for Patroni {
    /// `reads` holds while any member is up (replicas serve reads). Once a
    /// failover is over, `writes` holds while a member that may be primary
    /// is up and, for Patroni, the DCS has quorum (or, with
    /// `failsafe_mode`, every member is up). A member with
    /// `failover_priority = 0` is never promoted, so it counts only if it
    /// is the first member (the primary at time 0) and then the rule is
    /// refused: whether it still holds the primary role is history. With
    /// `synchronous_mode` only the synchronous standby may be promoted,
    /// which is history too.
    fn structure(&self, output: usize) -> Result<crate::cluster::Structure, String> {
        use crate::cluster::Structure;
        if output == 1 {
            return Ok(Structure::MembersUp(1));
        }
        if self.manual {
            // A human promotes the replica after `response`; the primary
            // coming back first resumes: either way writes return while a
            // member is up.
            return Ok(Structure::MembersUp(1));
        }
        if self.sync {
            return Err("with `synchronous_mode` only the synchronous standby may be promoted, and which member that is depends on history".to_string());
        }
        if self.priority.first() == Some(&0) {
            return Err("the first member (primary at time 0) has `failover_priority = 0`: whether it still holds the primary role depends on history".to_string());
        }
        let primary = Structure::Any(
            (0..self.nodes)
                .filter(|i| self.priority.get(*i).is_none_or(|p| *p > 0))
                .map(Structure::Input)
                .collect(),
        );
        Ok(match self.dcs {
            None => primary,
            Some(d) if self.failsafe => Structure::All(vec![
                primary,
                Structure::Any(vec![Structure::Input(d), Structure::AllMembers]),
            ]),
            Some(d) => Structure::All(vec![primary, Structure::Input(d)]),
        })
    }
    fn structure_caveat(&self) -> Option<String> {
        (!self.manual).then(|| {
            "a failover in which every replica lags past `maximum_lag_on_failover` is left out (the rule takes every failover to succeed)".to_string()
        })
    }
    fn kind(&self) -> &'static str {
        if self.manual {
            "postgres-manual"
        } else {
            "patroni"
        }
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["writes", "reads"]
    }
    fn reacts_to_degradation(&self) -> bool {
        !self.manual
    }
    fn lint(&self) -> Vec<Lint> {
        let (loop_wait, retry_timeout) = self.written;
        if !self.manual && loop_wait + 2 * retry_timeout > self.ttl {
            let adjusted = (self.loop_wait, self.retry_timeout) != self.written;
            let consequence = if adjusted {
                format!(
                    "Patroni 3.2+ adjusts it to loop_wait {} and retry_timeout {}, and hasim runs those",
                    Human(self.loop_wait),
                    Human(self.retry_timeout)
                )
            } else {
                "the leader key can expire while the primary is still retrying, so a DCS hiccup demotes it".to_string()
            };
            return vec![Lint {
                id: "patroni-ttl-too-short",
                message: format!(
                    "loop_wait {} + 2 * retry_timeout {} exceeds ttl {}: {consequence}",
                    Human(loop_wait),
                    Human(retry_timeout),
                    Human(self.ttl)
                ),
                rule: "Patroni docs: loop_wait + 2 * retry_timeout <= ttl (enforced from Patroni 3.2.0, patroni/config.py _validate_and_adjust_timeouts)".into(),
            }];
        }
        Vec::new()
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(PgState {
            cfg: self.clone(),
            up: vec![true; self.nodes],
            dcs_ok: true,
            phase: Phase::Leader(0),
            timer: None,
            demoted: false,
            demote_timer: None,
            sync_sb: None,
            blocked: false,
            block_timer: None,
            timers: Timers::new(),
            lags: vec![0; self.nodes],
            started: false,
            leader_since: 0,
            gray: None,
            excluded: None,
            zombie: None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// This member holds the leader key and runs as primary.
    Leader(usize),
    /// The primary died; its key is still held (or nobody has promoted yet
    /// in manual mode).
    KeyHeld(usize),
    /// The race is won by this member; `pg_ctl promote` is running.
    Promoting(usize),
    /// No leader and nobody eligible yet.
    Leaderless,
}

struct PgState {
    cfg: Patroni,
    up: Vec<bool>,
    dcs_ok: bool,
    phase: Phase,
    timer: Option<Timer>,
    /// The primary demoted itself because the DCS was unreachable.
    demoted: bool,
    demote_timer: Option<Timer>,
    sync_sb: Option<usize>,
    /// Commits wait for a synchronous standby that is gone.
    blocked: bool,
    block_timer: Option<Timer>,
    /// Per member, the bytes of commits it lacked when the last writing
    /// primary crashed (zero after a graceful stop or a demotion: without
    /// a writing primary the replicas catch up).
    lags: Vec<u64>,
    started: bool,
    timers: Timers<PgTimer>,
    /// When the current primary took the role: its HA loop (and each
    /// leader-key renewal) runs at `leader_since + k * loop_wait`.
    leader_since: Nanos,
    /// The primary's renewals are failing (a gray failure).
    gray: Option<PgGray>,
    /// A member the leader race skips (the old primary of a false
    /// failover, which cannot reach the DCS).
    excluded: Option<usize>,
    /// An old primary, paused through a false failover, that will run as
    /// a second primary when it resumes: (member, its loop's phase).
    zombie: Option<(usize, Nanos)>,
}

/// A primary whose leader-key renewals fail.
#[derive(Debug, Clone, Copy)]
struct PgGray {
    primary: usize,
    /// The key expires `ttl` after the last renewal that landed.
    expiry: Timer,
    /// The path works again; the next loop renews at this timer.
    refresh: Option<Timer>,
}

/// What a Patroni timer is for.
#[derive(Debug, Clone, Copy)]
enum PgTimer {
    /// The leader key's `ttl` ran out without a renewal.
    Expired,
    /// The elected replica finished promoting.
    Promoted,
    /// The primary, cut off from the DCS, demotes itself.
    Demote,
    /// A new synchronous standby is chosen after the old one left.
    Resync,
    /// The leader key of a primary whose renewals fail has expired.
    GrayExpired,
    /// The primary's loop renews the key after its path recovered.
    GrayRefresh,
    /// A paused old primary's next loop finds the key taken: it demotes.
    ZombieDemote,
}

impl PgState {
    fn primary(&self) -> Option<usize> {
        match self.phase {
            Phase::Leader(p) => Some(p),
            _ => None,
        }
    }

    fn publish(&mut self, cx: &mut ClusterCx<'_>) {
        let w = self.primary().is_some() && !self.demoted && !self.blocked;
        cx.set_output(0, w);
        cx.set_output(1, self.up.iter().any(|u| *u));
    }

    fn set_timer(&mut self, cx: &mut ClusterCx<'_>, delay: Nanos, what: PgTimer) {
        if let Some(id) = self.timer.take() {
            self.timers.cancel(cx, id);
        }
        self.timer = Some(self.timers.schedule(cx, delay, what));
    }

    fn clear_timer(&mut self, cx: &mut ClusterCx<'_>) {
        if let Some(id) = self.timer.take() {
            self.timers.cancel(cx, id);
        }
    }

    /// The synchronous standby for primary `p`: the first live replica.
    fn pick_sync(&self, p: usize) -> Option<usize> {
        (0..self.up.len()).find(|i| *i != p && self.up[*i])
    }

    /// The leader race among live members (Patroni ha.py
    /// `is_failover_possible` / `_is_healthiest_node`).
    fn try_elect(&mut self, cx: &mut ClusterCx<'_>, planned: bool, old: Option<usize>) {
        if !self.cfg.manual && !self.dcs_ok {
            return; // nobody can take the key
        }
        let mut best: Option<(u64, i64, usize)> = None;
        for i in 0..self.up.len() {
            if !self.up[i] || self.cfg.priority[i] == 0 && Some(i) != old {
                continue;
            }
            if Some(i) == self.excluded || self.renewal_fails(cx, i) {
                continue; // cannot reach the DCS to take the key
            }
            if self.cfg.sync && self.sync_sb.is_some() && self.sync_sb != Some(i) && Some(i) != old
            {
                continue; // synchronous mode: only the sync standby may win
            }
            // The old primary (back) has everything; a planned stop ships the
            // shutdown checkpoint; a sync standby has every commit.
            let lag = if Some(i) == old || planned || (self.cfg.sync && self.sync_sb == Some(i)) {
                0
            } else {
                self.lags[i]
            };
            if lag > self.cfg.max_lag {
                let who = super::name(cx, i);
                cx.trace(|| format!("{who} lags {lag} bytes > maximum_lag_on_failover: withdraws"));
                continue;
            }
            let key = (lag, -self.cfg.priority[i], i);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
        let Some((lag, _, winner)) = best else {
            self.phase = Phase::Leaderless;
            cx.trace(|| "no member is eligible for promotion: waiting".to_string());
            return;
        };
        if Some(winner) == old {
            self.phase = Phase::Leader(winner);
            self.after_new_leader(cx);
            return;
        }
        if lag > 0 {
            cx.data_loss();
            cx.trace(|| {
                format!(
                    "asynchronous failover: {lag} bytes of commits not on the new primary are lost"
                )
            });
        }
        let d = cx.sample(&self.cfg.promotion);
        let who = super::name(cx, winner);
        cx.trace(|| format!("{who} wins the leader race; promoted in {}", Human(d)));
        self.phase = Phase::Promoting(winner);
        self.set_timer(cx, d, PgTimer::Promoted);
    }

    /// The primary crashed while taking writes: what each replica lacks is
    /// `replication_lag` x `wal_rate`, drawn now.
    fn draw_lags(&mut self, cx: &mut ClusterCx<'_>, primary: usize) {
        for i in 0..self.lags.len() {
            self.lags[i] = if i == primary || (self.cfg.sync && self.sync_sb == Some(i)) {
                0
            } else {
                let t = cx.sample(&self.cfg.lag);
                (t as u128 * self.cfg.wal_rate as u128 / 1_000_000_000) as u64
            };
        }
    }

    fn after_new_leader(&mut self, cx: &mut ClusterCx<'_>) {
        self.leader_since = cx.now();
        self.lags.iter_mut().for_each(|l| *l = 0);
        self.demoted = false;
        self.blocked = false;
        if let Some(id) = self.block_timer.take() {
            self.timers.cancel(cx, id);
        }
        if let Some(p) = self.primary() {
            self.sync_sb = if self.cfg.sync {
                self.pick_sync(p)
            } else {
                None
            };
            let who = super::name(cx, p);
            cx.trace(|| format!("{who} is primary"));
        }
        self.gray_check(cx);
        self.check_dcs(cx);
    }

    /// Whether member `i`'s DCS requests fail now: the round trip exceeds
    /// `retry_timeout`, it or a majority of the DCS is paused, or every
    /// message is lost (see the module documentation).
    fn renewal_fails(&self, cx: &ClusterCx<'_>, i: usize) -> bool {
        if self.cfg.manual {
            return false;
        }
        let me = cx.degraded(i);
        let dcs = self
            .cfg
            .dcs
            .map(|d| cx.input_degraded(d))
            .unwrap_or_default();
        let rtt = 2 * (me.delay + dcs.delay) + dcs.disk;
        me.paused || dcs.paused || me.loss >= 1.0 || rtt > self.cfg.retry_timeout
    }

    /// Whether the primary `p` reaches every member's REST API within the
    /// 2 s of `POST /failsafe` (`ha.py` `call_failsafe_member`).
    fn sees_all(&self, cx: &ClusterCx<'_>, p: usize) -> bool {
        const FAILSAFE_TIMEOUT: Nanos = 2 * NANOS_PER_SEC;
        let me = cx.degraded(p);
        !me.paused
            && (0..self.up.len()).all(|j| {
                let other = cx.degraded(j);
                self.up[j]
                    && (j == p || cx.connected(p, j))
                    && !other.paused
                    && 2 * (me.delay + other.delay) <= FAILSAFE_TIMEOUT
            })
    }

    /// Starts or ends the gray-failure handling of the primary's renewals.
    fn gray_check(&mut self, cx: &mut ClusterCx<'_>) {
        if let Some((z, phase)) = self.zombie {
            if !cx.degraded(z).paused && cx.member_up(z) && cx.gray_cause() {
                // It resumes as primary beside the new one until its next
                // loop finds the key taken.
                self.zombie = None;
                let at = super::next_on_grid(phase, self.cfg.loop_wait, cx.now());
                let who = super::name(cx, z);
                let wait = at - cx.now();
                cx.trace(|| {
                    format!(
                        "{who} resumes still running as primary: split brain until its next loop in {}",
                        Human(wait)
                    )
                });
                cx.split_brain(true);
                self.timers
                    .schedule(cx, at - cx.now(), PgTimer::ZombieDemote);
            }
        }
        let Some(p) = self.primary().filter(|_| !self.cfg.manual) else {
            return;
        };
        let failing = self.renewal_fails(cx, p);
        match (failing, self.gray) {
            (true, None) => {
                let now = cx.now();
                let last = super::last_on_grid(self.leader_since, self.cfg.loop_wait, now);
                let expires = (last + self.cfg.ttl).max(now);
                let who = super::name(cx, p);
                cx.trace(|| {
                    format!(
                        "{who}'s leader-key renewals fail (DCS path degraded): the key expires in {}",
                        Human(expires - now)
                    )
                });
                let expiry = self
                    .timers
                    .schedule(cx, expires - now, PgTimer::GrayExpired);
                self.gray = Some(PgGray {
                    primary: p,
                    expiry,
                    refresh: None,
                });
            }
            (true, Some(mut g)) => {
                // Failing again before the renewal that would have landed.
                if let Some(t) = g.refresh.take() {
                    self.timers.cancel(cx, t);
                }
                self.gray = Some(g);
            }
            (false, Some(mut g)) if g.refresh.is_none() => {
                let at = super::next_on_grid(self.leader_since, self.cfg.loop_wait, cx.now());
                g.refresh = Some(
                    self.timers
                        .schedule(cx, at - cx.now(), PgTimer::GrayRefresh),
                );
                self.gray = Some(g);
            }
            _ => {}
        }
    }

    /// Forgets the gray-failure handling (the primary crashed or a renewal
    /// landed).
    fn clear_gray(&mut self, cx: &mut ClusterCx<'_>) {
        if let Some(g) = self.gray.take() {
            self.timers.cancel(cx, g.expiry);
            if let Some(t) = g.refresh {
                self.timers.cancel(cx, t);
            }
        }
    }

    /// Schedules or cancels the demotion of a primary that lost the DCS.
    fn check_dcs(&mut self, cx: &mut ClusterCx<'_>) {
        if self.cfg.manual || self.primary().is_none() {
            return;
        }
        let p = self.primary().expect("checked above");
        let gray = self.gray.is_some();
        let safe =
            self.cfg.failsafe && self.up.iter().all(|u| *u) && (!gray || self.sees_all(cx, p));
        let reachable = self.dcs_ok && !gray;
        if gray && cx.degraded(p).paused {
            // A frozen primary demotes nothing.
            if let Some(id) = self.demote_timer.take() {
                self.timers.cancel(cx, id);
            }
            return;
        }
        if reachable || safe {
            if let Some(id) = self.demote_timer.take() {
                self.timers.cancel(cx, id);
            }
            if self.demoted && reachable {
                // The members race again; the old primary has the most WAL.
                let d = below(cx, self.cfg.loop_wait) + cx.sample(&self.cfg.promotion);
                let p = self.primary().expect("checked above");
                cx.trace(|| {
                    format!(
                        "DCS back: primary re-acquires the leader key in {}",
                        Human(d)
                    )
                });
                self.phase = Phase::Promoting(p);
                self.set_timer(cx, d, PgTimer::Promoted);
            }
        } else if !self.demoted && self.demote_timer.is_none() {
            // A renewal that fails on a degraded path times out at the
            // primary's next loop; a DCS without quorum is found on a loop
            // whose phase is not tracked.
            let d = if gray {
                super::next_on_grid(self.leader_since, self.cfg.loop_wait, cx.now()) - cx.now()
                    + self.cfg.retry_timeout
            } else {
                below(cx, self.cfg.loop_wait) + self.cfg.retry_timeout
            };
            cx.trace(|| {
                format!(
                    "DCS unreachable: the primary demotes itself in {}",
                    Human(d)
                )
            });
            self.demote_timer = Some(self.timers.schedule(cx, d, PgTimer::Demote));
        }
    }
}

impl ClusterState for PgState {
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        let n = self.up.len();
        if !self.started {
            self.started = true;
            for i in 0..n {
                self.up[i] = cx.member_up(i);
            }
            self.dcs_ok = self.cfg.dcs.is_none_or(|d| cx.input(d));
            self.phase = match (0..n).find(|i| self.up[*i]) {
                Some(p) => Phase::Leader(p),
                None => Phase::Leaderless,
            };
            self.after_new_leader(cx);
            self.publish(cx);
            return;
        }
        let planned = cx.planned();
        let was_dcs = self.dcs_ok;
        self.dcs_ok = self.cfg.dcs.is_none_or(|d| cx.input(d));
        let mut changed = Vec::new();
        for i in 0..n {
            let u = cx.member_up(i);
            if u != self.up[i] {
                self.up[i] = u;
                changed.push(i);
            }
        }
        for i in changed {
            let up = self.up[i];
            match self.phase {
                Phase::Leader(p) if p == i && !up => {
                    if let Some(id) = self.demote_timer.take() {
                        self.timers.cancel(cx, id);
                    }
                    self.clear_gray(cx);
                    let writing = !self.demoted && !self.blocked;
                    self.lags.iter_mut().for_each(|l| *l = 0);
                    if writing && !planned {
                        self.draw_lags(cx, p);
                    }
                    self.demoted = false;
                    let who = super::name(cx, i);
                    if self.cfg.manual {
                        self.phase = Phase::KeyHeld(p);
                        if planned {
                            cx.trace(|| {
                                format!("primary {who} stopped for maintenance: writes wait for it")
                            });
                        } else {
                            let d = cx.sample(&self.cfg.response) + cx.sample(&self.cfg.promotion);
                            cx.trace(|| {
                                format!(
                                    "primary {who} crashed: an operator promotes the replica in {}",
                                    Human(d)
                                )
                            });
                            self.set_timer(cx, d, PgTimer::Expired);
                        }
                    } else if planned {
                        cx.trace(|| format!("primary {who} stops gracefully: leader key released"));
                        self.phase = Phase::Leaderless;
                        self.try_elect(cx, true, None);
                    } else {
                        let d = self.cfg.key_expiry(cx);
                        cx.trace(|| {
                            format!("primary {who} crashed: leader key expires in {}", Human(d))
                        });
                        self.phase = Phase::KeyHeld(p);
                        self.set_timer(cx, d, PgTimer::Expired);
                    }
                }
                Phase::KeyHeld(p) if p == i && up => {
                    // Back before anyone took over: it still holds the key.
                    self.clear_timer(cx);
                    self.phase = Phase::Leader(p);
                    self.after_new_leader(cx);
                }
                Phase::Promoting(w) if w == i && !up => {
                    self.clear_timer(cx);
                    self.phase = Phase::Leaderless;
                    self.try_elect(cx, false, None);
                }
                Phase::Leaderless if up => self.try_elect(cx, false, None),
                Phase::Leader(_) if self.cfg.sync && self.sync_sb == Some(i) && !up => {
                    // Commits wait until Patroni drops the dead standby.
                    self.blocked = true;
                    let d = self.cfg.key_expiry(cx);
                    let who = super::name(cx, i);
                    cx.trace(|| {
                        format!(
                            "synchronous standby {who} lost: commits block for {}",
                            Human(d)
                        )
                    });
                    if let Some(id) = self.block_timer.take() {
                        self.timers.cancel(cx, id);
                    }
                    self.block_timer = Some(self.timers.schedule(cx, d, PgTimer::Resync));
                }
                Phase::Leader(_) if self.cfg.sync && up && self.sync_sb.is_none() => {
                    // A replica is back: it becomes the sync standby at the
                    // primary's next loop; strict mode unblocks then.
                    self.sync_sb = Some(i);
                    if self.blocked && self.block_timer.is_none() {
                        let d = below(cx, self.cfg.loop_wait);
                        self.block_timer = Some(self.timers.schedule(cx, d, PgTimer::Resync));
                    }
                }
                _ => {}
            }
        }
        if was_dcs != self.dcs_ok {
            let ok = self.dcs_ok;
            cx.trace(|| format!("DCS {}", if ok { "reachable again" } else { "lost quorum" }));
            if ok && self.phase == Phase::Leaderless {
                self.try_elect(cx, false, None);
            }
        }
        self.check_dcs(cx);
        self.publish(cx);
    }

    fn on_degradation(&mut self, cx: &mut ClusterCx<'_>) {
        self.gray_check(cx);
        self.check_dcs(cx);
        self.publish(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        match self.timers.fired(tag) {
            PgTimer::GrayExpired => {
                let Some(g) = self.gray.take() else {
                    return;
                };
                if let Some(t) = g.refresh {
                    self.timers.cancel(cx, t);
                }
                let p = g.primary;
                let paused = cx.degraded(p).paused;
                // The replicas ask the old primary over its REST API, which
                // answers only if it runs, is still primary and its answer
                // comes back in time (the same 2 s as `POST /failsafe`).
                let answers = !paused && !self.demoted && self.sees_all(cx, p);
                cx.trace(|| "leader key expired while the primary still runs".to_string());
                if answers {
                    // Failsafe kept it primary: replicas ask it over the
                    // REST API and withdraw ("Primary is still alive").
                    cx.trace(|| "replicas see the primary still alive: no failover".to_string());
                    self.gray_check(cx);
                    self.check_dcs(cx);
                    self.publish(cx);
                    return;
                }
                let writing = !self.demoted && !self.blocked;
                if writing || paused {
                    self.draw_lags(cx, p);
                }
                if let Some(id) = self.demote_timer.take() {
                    self.timers.cancel(cx, id);
                }
                self.excluded = Some(p);
                self.phase = Phase::Leaderless;
                self.try_elect(cx, false, None);
                self.excluded = None;
                if let Phase::Promoting(w) = self.phase {
                    cx.false_failover();
                    let (old, new) = (super::name(cx, p), super::name(cx, w));
                    cx.trace(|| format!("false failover: {new} takes over while {old} still runs"));
                    if paused {
                        self.zombie = Some((p, self.leader_since));
                    }
                } else {
                    // Nobody else can take the key: the old primary keeps
                    // it once its renewals land again.
                    self.phase = Phase::Leader(p);
                    self.gray_check(cx);
                    self.check_dcs(cx);
                }
            }
            PgTimer::GrayRefresh => {
                if let Some(mut g) = self.gray.take() {
                    g.refresh = None;
                    if Some(g.primary) == self.primary() && !self.renewal_fails(cx, g.primary) {
                        self.timers.cancel(cx, g.expiry);
                        let who = super::name(cx, g.primary);
                        cx.trace(|| format!("{who} renews the leader key again"));
                        self.check_dcs(cx);
                    } else {
                        self.gray = Some(g);
                        self.gray_check(cx);
                    }
                }
            }
            PgTimer::ZombieDemote => {
                cx.split_brain(false);
                cx.trace(|| "the old primary finds the leader key taken and demotes".to_string());
            }
            PgTimer::Expired => {
                self.timer = None;
                if let Phase::KeyHeld(old) = self.phase {
                    self.phase = Phase::Leaderless;
                    cx.trace(|| "leader key expired: replicas race".to_string());
                    if self.cfg.manual {
                        // The operator promotes the replica directly.
                        match (0..self.up.len()).find(|i| self.up[*i] && *i != old) {
                            Some(w) => {
                                if self.lags[w] > 0 {
                                    cx.data_loss();
                                }
                                self.phase = Phase::Leader(w);
                                self.after_new_leader(cx);
                            }
                            None => self.phase = Phase::KeyHeld(old),
                        }
                    } else {
                        self.try_elect(cx, false, None);
                    }
                }
            }
            PgTimer::Promoted => {
                self.timer = None;
                if let Phase::Promoting(w) = self.phase {
                    self.phase = Phase::Leader(w);
                    self.after_new_leader(cx);
                }
            }
            PgTimer::Demote => {
                self.demote_timer = None;
                self.demoted = true;
                cx.trace(|| "primary demoted to read-only: no DCS".to_string());
            }
            PgTimer::Resync => {
                self.block_timer = None;
                if let Some(p) = self.primary() {
                    self.sync_sb = self.pick_sync(p);
                    match self.sync_sb {
                        Some(s) => {
                            let who = super::name(cx, s);
                            cx.trace(|| {
                                format!("{who} is the new synchronous standby: commits resume")
                            });
                            self.blocked = false;
                        }
                        None if self.cfg.strict => {
                            cx.trace(|| {
                                "no replica left: synchronous_mode_strict keeps commits blocked"
                                    .to_string()
                            });
                        }
                        None => {
                            cx.trace(|| {
                                "no replica left: synchronous replication disabled, commits resume"
                                    .to_string()
                            });
                            self.blocked = false;
                        }
                    }
                }
            }
        }
        self.publish(cx);
    }
}
