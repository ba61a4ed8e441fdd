//! etcd / Raft (`kind = "etcd"`).
//!
//! The members are the voting members; `learners` (optional) never vote or
//! campaign, so they never change quorum or elections (etcd docs, raft.go
//! `promotable`). Quorum is floor(n/2)+1 voters.
//!
//! While a leader holds a majority nothing is simulated: heartbeats are not
//! ticked. When a fault touches the cluster, the election is played out
//! message by message, following etcd-io/raft `raft.go`:
//!
//! - every node has its own tick clock (phase uniform within one
//!   heartbeat-interval, fixed while the process lives); a follower campaigns
//!   at the tick where the ticks since the last leader message reach its
//!   randomized timeout, drawn uniformly from {et, et+hb, ..., 2et-hb}
//!   (`resetRandomizedElectionTimeout`), redrawn on every term change;
//! - the followers' last leader message is the leader's last heartbeat
//!   before it failed (heartbeats go out on the leader's ticks);
//! - pre-vote (`pre-vote`, default on), then the vote round; a node that
//!   heard from a leader within the last election timeout ignores
//!   (pre)votes (`inLease`, check-quorum is always on in etcd);
//! - candidates that start within a round trip of each other can split the
//!   vote; each then waits a fresh randomized timeout;
//! - a message with a higher term makes a leader or candidate a follower of
//!   that term (Raft paper section 5.1, raft.go `Step`), and an append from
//!   an older term is answered with the newer one (raft.go, `m.Term <
//!   r.Term` with check-quorum). A follower whose timer fired just before
//!   the new leader's first append arrived therefore makes that leader step
//!   down; its followers time out from the last heartbeat they heard and a
//!   new election follows. The transient ends when every live member
//!   follows one leader of one term, and the cluster sleeps again;
//! - WAL fsync time (`wal-fsync`, `slow-disks`) is paid before a vote
//!   request, a granted vote and an append acknowledgement leave; the
//!   leader writes its own entry in parallel with sending it;
//! - the new leader appends an empty entry; writes are possible again once
//!   a majority acknowledged it (that instant ends the `quorum` outage).
//!
//! A leader cut into a minority steps down by check-quorum within (et, 2et]
//! [HA-FACTS section 1, derived]. While fewer than a majority are up nothing
//! can be elected and the model sleeps; when a majority is back, the
//! survivors' election timers resume at a uniform point of their cycle (the
//! residual time of a periodic campaign is uniform over its period).
//!
//! Election timers, and why fixed timeouts hurt less in etcd than in the
//! Raft paper. etcd counts election time in ticks of its own process's
//! ticker (`timers = "ticks"`, the default). A follower restarts the count
//! when a heartbeat arrives, but times out at one of its own ticks, so even
//! with `randomized = false` the followers of a crashed leader campaign
//! spread over one heartbeat-interval by their unrelated tick phases: the
//! first round fails on the leader lease, the first to fire again wins the
//! next, and elections take about two timeouts instead of one. The Raft
//! paper's measurement (section 9.3, figure 16: 5 servers, heartbeats at
//! half the minimum timeout, "150-150ms" took over 10 s) ran on LogCabin,
//! whose timer is a real-time deadline set when a leader message arrives
//! (`timers = "continuous"`). The last heartbeat reaches all followers
//! within one network delay of each other, so with identical timeouts they
//! all campaign together, vote for themselves and split, round after round,
//! until the jitter of message delays pulls one ahead by more than a
//! message delay: the narrower the delay's spread, the longer that takes.
//!
//! Simplifications (stated, not hidden): logs are assumed equally
//! up-to-date (an idle cluster, or the usual case after a heartbeat), fsync
//! time is added only where a model gives it, etcd's `initial-election-tick-advance` on restart is
//! not modelled, and terms do not grow while a minority campaigns alone.

use crate::cluster::{ClusterCx, ClusterKind, ClusterState, Inputs, Timer, TimerTag};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::dist::Dist;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::protocols::{last_on_grid, next_on_grid};
use crate::time::{Human, Nanos, NANOS_PER_MICRO, NANOS_PER_MILLI};

/// Keys this kind reads, with etcd's defaults.
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("profile", T::Choice(&["etcd", "k3s"]), D::Is("etcd"), "Timer defaults: etcd's 100 ms / 1000 ms, or K3s's embedded etcd 500 ms / 5000 ms (k3s pkg/etcd/etcd.go)."),
    KeySpec::new("heartbeat-interval", T::Duration, D::Follows("profile: 100ms, or 500ms for k3s"), "etcd `--heartbeat-interval` (default 100 ms)."),
    KeySpec::new("election-timeout", T::Duration, D::Follows("profile: 1000ms, or 5000ms for k3s"), "etcd `--election-timeout` (default 1000 ms)."),
    KeySpec::new("election-timeout-max", T::Duration, D::Follows("2 x election-timeout, etcd's randomizedElectionTimeout"), "Election timeouts are drawn from [election-timeout, election-timeout-max) (raft.go draws [et, 2et))."),
    KeySpec::new("network-delay", T::Dist, D::Is("uniform(0.2ms, 1ms)"), "One-way message delay (ASSUMPTION: a LAN between VMs)."),
    KeySpec::new("wal-fsync", T::Dist, D::Follows("none: no disk time added"), "Every member's WAL fsync time, paid before a vote or an append is answered (etcd metric wal_fsync_duration_seconds)."),
    KeySpec::new("slow-disks", T::Tables(DISK_KEYS), D::Follows("none"), "Members whose WAL fsync takes its own time, overriding `wal-fsync` for them."),
    KeySpec::new("pre-vote", T::Bool, D::Is("true"), "etcd `--pre-vote` (default true since v3.5, op-guide/configuration)."),
    KeySpec::new("randomized", T::Bool, D::Is("true"), "Randomized election timeouts (raft.go); `false` is a what-if (Raft paper section 9.3)."),
    KeySpec::new("timers", T::Choice(&["ticks", "continuous"]), D::Is("ticks"), "Election timers in ticks of the heartbeat (etcd) or as real-time deadlines (the Raft paper's LogCabin)."),
    KeySpec::new("learners", T::Refs, D::Follows("none"), "Non-voting members (etcd learners): they replicate but do not count for quorum."),
];

/// The keys of one `slow-disks` entry.
pub const DISK_KEYS: &[KeySpec] = &[
    KeySpec::new(
        "member",
        T::Ref,
        D::Required,
        "The member whose disk this is.",
    ),
    KeySpec::new(
        "wal-fsync",
        T::Dist,
        D::Required,
        "Its WAL fsync time (a distribution).",
    ),
];

/// The lints this kind reports.
pub const LINTS: &[crate::cluster::LintInfo] = &[
    crate::cluster::LintInfo { id: "etcd-timeout-near-round-trip", meaning: "The election timeout is under 10 round trips (message delays and WAL fsync): elections split or fire spuriously." },
    crate::cluster::LintInfo { id: "etcd-timeouts-not-randomized", meaning: "Election timeouts are not randomized (or their range is narrower than a round trip): candidates split the vote." },
];

/// `kind = "etcd"` in the model format.
pub const SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "etcd",
    summary: "etcd / Raft: leader election with tick-based timers, quorum of the voting members.",
    keys: KEYS,
    lints: LINTS,
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Etcd::from_fields(f, inputs)?))
}

/// Compiled etcd cluster parameters.
#[derive(Debug, Clone)]
pub struct Etcd {
    pub voters: usize,
    pub learners: usize,
    /// heartbeat-interval = one raft tick.
    pub heartbeat: Nanos,
    pub election: Nanos,
    /// The exclusive upper end of the randomized election timeout, when the
    /// model sets one (`election-timeout-max`); etcd's is twice the timeout.
    pub election_max: Option<Nanos>,
    /// Each voter's WAL fsync time (`wal-fsync`, `slow-disks`), or `None`
    /// when no disk time is modelled for it.
    pub fsync: Vec<Option<Dist>>,
    /// One-way message delay between members.
    pub delay: Dist,
    pub pre_vote: bool,
    pub randomized: bool,
    /// How election timers count time (`timers`, default `ticks`).
    pub timers: Timers,
}

/// How a member's election timer measures the time since it last heard
/// from a leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timers {
    /// etcd: every process has its own ticker (one tick per
    /// heartbeat-interval, started with the process, so the phases of
    /// different members are unrelated); a follower counts ticks since the
    /// last leader message and campaigns at the tick where the count
    /// reaches its randomized timeout (raft.go `tickElection`).
    Ticks,
    /// The Raft paper's implementation (LogCabin `setElectionTimer`): a
    /// timer in real time, set to the randomized timeout at the instant a
    /// leader message arrives. The last heartbeat before a leader crash
    /// reaches all followers within one network delay of each other, so
    /// with a fixed timeout they all time out together.
    Continuous,
}

impl Etcd {
    pub fn from_fields<'t>(
        f: &mut Fields<'t, '_>,
        inputs: &mut Inputs<'t>,
    ) -> Result<Self, Diagnostic> {
        let voters = inputs.n_members();
        if voters > 64 {
            return Err(f.src.error(
                f.span.clone(),
                "an etcd cluster model supports at most 64 voting members",
            ));
        }
        // Defaults: etcd op-guide/configuration (--heartbeat-interval 100 ms,
        // --election-timeout 1000 ms); K3s sets 500 ms / 5000 ms for its
        // embedded etcd (k3s pkg/etcd/etcd.go, HA-FACTS section 1).
        let (mut hb, mut et) = (100 * NANOS_PER_MILLI, 1000 * NANOS_PER_MILLI);
        if let Some((p, v)) = f.string("profile")? {
            match p {
                "etcd" | "default" => {}
                "k3s" => (hb, et) = (500 * NANOS_PER_MILLI, 5000 * NANOS_PER_MILLI),
                _ => {
                    return Err(f
                        .src
                        .error(v.span.clone(), format!("unknown etcd profile `{p}`"))
                        .with_help(
                            "known profiles: \"etcd\" (100ms/1000ms), \"k3s\" (500ms/5000ms)",
                        ))
                }
            }
        }
        if let Some(x) = f.duration("heartbeat-interval")? {
            hb = x;
        }
        if let Some(x) = f.duration("election-timeout")? {
            et = x;
        }
        if hb == 0 || et < hb {
            return Err(f
                .src
                .error(f.span.clone(), "`election-timeout` must be at least one `heartbeat-interval` (and both above zero)")
                .with_help("etcd counts the election timeout in heartbeat ticks; its default is 10 ticks (1000ms / 100ms)"));
        }
        // ASSUMPTION (not from a source): one-way delay on a LAN between
        // VMs, 0.2-1 ms. Override with `network-delay`.
        let delay = f.dist("network-delay")?.unwrap_or(Dist::Uniform {
            min: 200 * NANOS_PER_MICRO,
            max: NANOS_PER_MILLI,
        });
        // etcd --pre-vote defaults to true since v3.5 (etcd op-guide/configuration).
        let pre_vote = f.bool("pre-vote")?.unwrap_or(true);
        // raft.go resetRandomizedElectionTimeout; `false` is a what-if
        // (Raft paper section 9.3: without randomization elections can
        // fail for a long time).
        let randomized = f.bool("randomized")?.unwrap_or(true);
        // `ticks` is etcd (raft.go counts election time in ticks of
        // heartbeat-interval on each process's own ticker). `continuous` is
        // the timer of the Raft paper's experiments (Ongaro & Ousterhout,
        // USENIX ATC 2014, section 9.3, run on LogCabin, whose
        // `setElectionTimer` arms a real-time deadline when a leader message
        // arrives): a what-if for comparing with the paper and with Raft
        // implementations that time out in real time.
        let timers_value = f.string("timers")?;
        let timers = match timers_value {
            None | Some(("ticks", _)) => Timers::Ticks,
            Some(("continuous", _)) => Timers::Continuous,
            Some((other, v)) => {
                return Err(f
                    .src
                    .error(v.span.clone(), format!("unknown election timer `{other}`"))
                    .with_help(
                        "\"ticks\" (etcd: ticks of heartbeat-interval) or \"continuous\" (the Raft paper's LogCabin: real-time deadlines)",
                    ))
            }
        };
        if let (Timers::Continuous, false, Some((_, v))) = (timers, randomized, timers_value) {
            // With deadlines in real time, identical timeouts and a delay
            // without spread, every follower hears the last heartbeat, times
            // out, campaigns and gives up at the same nanosecond, round after
            // round: the election never ends (and the run never would).
            if delay.variance() == 0.0 {
                return Err(f
                    .src
                    .error(
                        v.span.clone(),
                        "continuous election timers with `randomized = false` and a constant `network-delay` never elect a leader: nothing breaks the tie between the followers",
                    )
                    .with_help("give `network-delay` a spread, e.g. \"uniform(0.2ms, 1ms)\" (real networks jitter), or keep `randomized = true`"));
            }
        }
        // etcd draws the randomized timeout from [et, 2et)
        // (raft.go `resetRandomizedElectionTimeout`: electionTimeout +
        // rand.Intn(electionTimeout) ticks). Other Raft implementations and
        // what-ifs set their own range; its upper end is exclusive.
        let election_max = match f.raw("election-timeout-max") {
            None => None,
            Some(v) => {
                let max = f.duration("election-timeout-max")?.unwrap_or(2 * et);
                let (lowest, what) = match timers {
                    Timers::Ticks => (
                        (et / hb + 1) * hb,
                        "one `heartbeat-interval` above `election-timeout` (etcd draws whole ticks)",
                    ),
                    Timers::Continuous => (et + 1, "above `election-timeout`"),
                };
                if max < lowest {
                    return Err(f
                        .src
                        .error(
                            v.span.clone(),
                            format!(
                                "`election-timeout-max` {} leaves no range to draw from: it must be at least {what}",
                                Human(max)
                            ),
                        )
                        .with_help(format!(
                            "write for example `election-timeout-max = \"{}\"` (etcd's own range is [et, 2et)), or `randomized = false` for fixed timeouts",
                            Human(2 * et)
                        )));
                }
                Some(max)
            }
        };
        // etcd persists the term, the vote and new entries to its WAL (with
        // fsync) before the messages that depend on them leave: the vote
        // request, the granted vote and the append response (etcd
        // server/etcdserver/raft.go: a follower saves the Ready's HardState
        // and entries before `transport.Send`; the tuning guide: "each
        // request and response may be impacted by slow disks on both the
        // leader and follower"). ASSUMPTION: without `wal-fsync` no disk time
        // is added, as before this key existed.
        let all_disks = f.dist("wal-fsync")?;
        let mut fsync = vec![all_disks; voters];
        if let Some(tables) = f.tables("slow-disks")? {
            let names: Vec<String> = inputs.refs[..voters]
                .iter()
                .map(|(m, _)| m.to_string())
                .collect();
            for (k, t) in tables.into_iter().enumerate() {
                let mut df = Fields::new(f.src, t, format!("{}.slow-disks[{k}]", f.path))?;
                let (name, nv) = match df.string("member")? {
                    Some(x) => x,
                    None => return Err(df.missing("member", "\"etcd-3\"")),
                };
                let i = super::member_index(f, &names, name, nv)?;
                let d = match df.dist("wal-fsync")? {
                    Some(d) => d,
                    None => return Err(df.missing("wal-fsync", "\"uniform(5ms, 40ms)\"")),
                };
                df.finish(&crate::cluster::key_names(DISK_KEYS))?;
                fsync[i] = Some(d);
            }
        }
        let mut learners = 0;
        if let Some(ls) = f.strings("learners")? {
            for (name, v) in ls {
                learners += 1;
                inputs.add(name, v);
            }
        }
        Ok(Etcd {
            voters,
            learners,
            heartbeat: hb,
            election: et,
            election_max,
            fsync,
            delay,
            pre_vote,
            randomized,
            timers,
        })
    }

    /// Votes needed: floor(n/2)+1 (etcd docs, raft quorum).
    pub fn quorum(&self) -> usize {
        self.voters / 2 + 1
    }

    /// The mean time one vote takes: a request and a response across the
    /// network plus the candidate's and the voter's WAL fsync (the slowest
    /// disk's mean, as any member may be the one asked).
    pub fn round_trip(&self) -> f64 {
        let disk = self
            .fsync
            .iter()
            .flatten()
            .map(Dist::mean)
            .fold(0.0, f64::max);
        2.0 * self.delay.mean() + 2.0 * disk
    }

    /// The width of the range election timeouts are drawn from (0 when
    /// they are not randomized).
    pub fn timeout_spread(&self) -> Nanos {
        if !self.randomized {
            return 0;
        }
        match self.timers {
            Timers::Ticks => {
                let lo = self.ticks();
                let hi = match self.election_max {
                    Some(max) => (max / self.heartbeat).max(lo + 1),
                    None => 2 * lo,
                };
                (hi - lo) * self.heartbeat
            }
            Timers::Continuous => {
                let min = self.election;
                self.election_max.unwrap_or(2 * min).max(min + 1) - min
            }
        }
    }

    /// The election timeout in ticks (`electionTimeout`, 10 by default).
    fn ticks(&self) -> u64 {
        (self.election / self.heartbeat).max(1)
    }

    /// The shortest election timeout as a duration: whole ticks for etcd,
    /// the configured value for continuous timers.
    fn min_timeout(&self) -> Nanos {
        match self.timers {
            Timers::Ticks => self.ticks() * self.heartbeat,
            Timers::Continuous => self.election,
        }
    }
}

impl ClusterKind for Etcd {
    /// Both `quorum` and `leader` hold in steady state while a majority of
    /// the voters is up: an election then always ends with a leader that a
    /// majority acknowledges (learners never vote, so they do not count).
    fn structure(&self, _output: usize) -> Result<crate::cluster::Structure, String> {
        Ok(crate::cluster::Structure::majority(&vec![1; self.voters]))
    }
    fn kind(&self) -> &'static str {
        "etcd"
    }
    fn lint(&self) -> Vec<crate::cluster::Lint> {
        let mut out = Vec::new();
        let rtt = self.round_trip();
        let min = self.min_timeout();
        // etcd docs, tuning ("Time parameters"): the election timeout should
        // be at least 10 times the round-trip time between members, to
        // absorb its variance; slow disks on either side count too.
        if (min as f64) < 10.0 * rtt {
            out.push(crate::cluster::Lint {
                id: "etcd-timeout-near-round-trip",
                message: format!(
                    "the election timeout {} is within 10 round trips of the message delays and WAL fsync (one vote takes about {} on average): followers time out on slow messages and candidates that start within a round trip of each other split the vote",
                    Human(min),
                    Human(rtt as Nanos)
                ),
                rule: "etcd docs, tuning: election timeout at least 10 x the round-trip time between members".into(),
            });
        }
        let spread = self.timeout_spread();
        if (spread as f64) < rtt || spread == 0 {
            let why = if self.randomized {
                format!(
                    "election timeouts are drawn from a range only {} wide, less than one round trip ({})",
                    Human(spread),
                    Human(rtt as Nanos)
                )
            } else {
                "election timeouts are not randomized (`randomized = false`)".to_string()
            };
            out.push(crate::cluster::Lint {
                id: "etcd-timeouts-not-randomized",
                message: format!(
                    "{why}: followers of a lost leader time out together and split the vote, round after round"
                ),
                rule: "Raft paper (Ongaro & Ousterhout 2014) sections 5.2 and 9.3: randomized election timeouts spread over more than the broadcast time keep split votes rare".into(),
            });
        }
        out
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["quorum", "leader"]
    }
    fn quorum_output(&self) -> Option<usize> {
        Some(0)
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        Box::new(EtcdState {
            cfg: self.clone(),
            nodes: (0..self.voters)
                .map(|_| Node {
                    up: true,
                    term: 1,
                    vote: None,
                    role: Role::Follower,
                    lead: None,
                    reset_at: 0,
                    phase: 0,
                    rt: self.min_timeout(),
                    timer: None,
                    dormant: false,
                    granted: 0,
                    rejected: 0,
                    disk_free: 0,
                })
                .collect(),
            leader: None,
            acks: 0,
            stepdown: None,
            started: false,
            pending: crate::cluster::Timers::new(),
            lost_at: None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Follower,
    PreCandidate,
    Candidate,
    Leader,
}

struct Node {
    up: bool,
    term: u64,
    vote: Option<usize>,
    role: Role,
    /// Who this node believes leads (raft `lead`).
    lead: Option<usize>,
    /// When `electionElapsed` was last reset to 0.
    reset_at: Nanos,
    /// Tick phase of this process in [0, heartbeat).
    phase: Nanos,
    /// Randomized election timeout (a whole number of ticks with etcd's
    /// tick timers).
    rt: Nanos,
    timer: Option<Timer>,
    /// Its election timer was put to sleep while no majority was up.
    dormant: bool,
    granted: u64,
    rejected: u64,
    /// When its WAL writes in progress are done (0 when idle).
    disk_free: Nanos,
}

/// The Raft messages the model sends (raft.go's `MsgPreVote`... `MsgAppResp`;
/// heartbeats travel as `App`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Msg {
    PreVote,
    PreVoteResp,
    Vote,
    VoteResp,
    App,
    AppResp,
}

/// What an etcd timer is for.
#[derive(Debug, Clone, Copy)]
enum EtcdTimer {
    /// Node `i`'s election timeout (raft `MsgHup`).
    Hup(usize),
    /// Leader `i`'s check-quorum: it heard from no majority and steps down.
    StepDown(usize),
    /// A message arrives at `to` after its network delay.
    Deliver {
        msg: Msg,
        from: usize,
        to: usize,
        reject: bool,
        term: u64,
    },
}

struct EtcdState {
    cfg: Etcd,
    nodes: Vec<Node>,
    /// The current leader (raft state Leader and up).
    leader: Option<usize>,
    /// Up members known to follow the current leader in its term (the
    /// leader included): writes commit while this is a majority.
    acks: u64,
    stepdown: Option<Timer>,
    started: bool,
    pending: crate::cluster::Timers<EtcdTimer>,
    /// When writes became impossible, for the timeline.
    lost_at: Option<Nanos>,
}

impl EtcdState {
    fn q(&self) -> usize {
        self.cfg.quorum()
    }
    fn up_count(&self) -> usize {
        self.nodes.iter().filter(|n| n.up).count()
    }
    fn draw_rt(&self, cx: &mut ClusterCx<'_>) -> Nanos {
        let min = self.cfg.min_timeout();
        if !self.cfg.randomized {
            return min;
        }
        match self.cfg.timers {
            // electionTimeout + rand.Intn(electionTimeout) ticks (raft.go),
            // or whole ticks in [election-timeout, election-timeout-max).
            Timers::Ticks => {
                let lo = self.cfg.ticks();
                let hi = match self.cfg.election_max {
                    Some(max) => (max / self.cfg.heartbeat).max(lo + 1),
                    None => 2 * lo,
                };
                (lo + cx.rng().below(hi - lo)) * self.cfg.heartbeat
            }
            // LogCabin: randomRange(ELECTION_TIMEOUT, 2 * ELECTION_TIMEOUT),
            // or [election-timeout, election-timeout-max).
            Timers::Continuous => {
                let max = self.cfg.election_max.unwrap_or(2 * min).max(min + 1);
                min + cx.rng().below(max - min)
            }
        }
    }
    /// Whether node `i` still honours its leader's lease at `t`: it heard
    /// from a leader less than one election timeout ago. etcd counts ticks
    /// (raft.go `inLease`: `electionElapsed < electionTimeout`); LogCabin
    /// compares real time (`withholdVotesUntil`).
    fn lease_running(&self, i: usize, t: Nanos) -> bool {
        match self.cfg.timers {
            Timers::Ticks => self.elapsed(i, t) < self.cfg.ticks(),
            Timers::Continuous => t.saturating_sub(self.nodes[i].reset_at) < self.cfg.election,
        }
    }
    /// Ticks of node `i` in (reset_at, t]: raft `electionElapsed`.
    fn elapsed(&self, i: usize, t: Nanos) -> u64 {
        let n = &self.nodes[i];
        let hb = self.cfg.heartbeat;
        let le = |x: Nanos| {
            if x < n.phase {
                0
            } else {
                (x - n.phase) / hb + 1
            }
        };
        le(t).saturating_sub(le(n.reset_at))
    }

    fn arm(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        let hb = self.cfg.heartbeat;
        let n = &mut self.nodes[i];
        if let Some(id) = n.timer.take() {
            self.pending.cancel(cx, id);
        }
        if !n.up || n.role == Role::Leader {
            return;
        }
        let fire = match self.cfg.timers {
            // The tick that brings `electionElapsed` to the timeout.
            Timers::Ticks => next_on_grid(n.phase, hb, n.reset_at) + n.rt - hb,
            Timers::Continuous => n.reset_at + n.rt,
        };
        let delay = fire.saturating_sub(cx.now());
        n.timer = Some(self.pending.schedule(cx, delay, EtcdTimer::Hup(i)));
    }

    fn disarm(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        if let Some(id) = self.nodes[i].timer.take() {
            self.pending.cancel(cx, id);
        }
    }

    /// Member `i` writes to its WAL: the write starts when its previous
    /// ones are done (etcd saves one Ready after another) and takes one
    /// fsync. Returns how long from now until it is durable.
    fn write(&mut self, cx: &mut ClusterCx<'_>, i: usize) -> Nanos {
        let now = cx.now();
        let start = now.max(self.nodes[i].disk_free);
        if let Some(d) = &self.cfg.fsync[i] {
            let f = cx.sample(d);
            self.nodes[i].disk_free = start + f;
        }
        self.nodes[i].disk_free.max(start) - now
    }

    /// How long until member `i`'s pending WAL writes are done: a
    /// non-leader sends a Ready's messages only after saving it, and the
    /// next Ready waits for that (etcd server/etcdserver/raft.go), so even
    /// a message that needs no write of its own waits for the disk.
    fn ready(&self, now: Nanos, i: usize) -> Nanos {
        self.nodes[i].disk_free.saturating_sub(now)
    }

    fn send(
        &mut self,
        cx: &mut ClusterCx<'_>,
        msg: Msg,
        from: usize,
        to: usize,
        reject: bool,
        term: u64,
    ) {
        let after = self.ready(cx.now(), from);
        self.send_after(cx, after, msg, from, to, reject, term);
    }

    /// Sends a message that leaves `after` from now (once its sender's WAL
    /// write is durable) and then takes one network delay.
    #[allow(clippy::too_many_arguments)]
    fn send_after(
        &mut self,
        cx: &mut ClusterCx<'_>,
        after: Nanos,
        msg: Msg,
        from: usize,
        to: usize,
        reject: bool,
        term: u64,
    ) {
        // A member's message to itself (the leader's own WAL write) does
        // not cross the network.
        let d = if from == to {
            after
        } else {
            after + cx.sample(&self.cfg.delay)
        };
        let what = EtcdTimer::Deliver {
            msg,
            from,
            to,
            reject,
            term,
        };
        self.pending.schedule(cx, d, what);
    }

    fn broadcast(&mut self, cx: &mut ClusterCx<'_>, msg: Msg, from: usize, term: u64) {
        let after = self.ready(cx.now(), from);
        self.broadcast_after(cx, after, msg, from, term);
    }

    fn broadcast_after(
        &mut self,
        cx: &mut ClusterCx<'_>,
        after: Nanos,
        msg: Msg,
        from: usize,
        term: u64,
    ) {
        for j in 0..self.nodes.len() {
            if j != from {
                self.send_after(cx, after, msg, from, j, false, term);
            }
        }
    }

    /// The leader `l` stopped leading while still up (it stepped down on a
    /// message with a higher term): its followers stop hearing heartbeats
    /// and time out counted from the last one that reached them, as after a
    /// crash.
    fn orphan_followers(&mut self, cx: &mut ClusterCx<'_>, l: usize) {
        let now = cx.now();
        let last_hb = last_on_grid(self.nodes[l].phase, self.cfg.heartbeat, now);
        for j in 0..self.nodes.len() {
            if j != l && self.nodes[j].up && self.nodes[j].lead == Some(l) {
                let d = cx.sample(&self.cfg.delay);
                let n = &mut self.nodes[j];
                // The heartbeat sent at `last_hb` may still be in flight.
                n.reset_at = (last_hb + d).min(now);
                self.arm(cx, j);
            }
        }
    }

    /// raft `becomeFollower(term, lead)`.
    fn become_follower(
        &mut self,
        cx: &mut ClusterCx<'_>,
        i: usize,
        term: u64,
        lead: Option<usize>,
    ) {
        let now = cx.now();
        let rt = self.draw_rt(cx);
        let was_leader = self.leader == Some(i);
        let n = &mut self.nodes[i];
        if n.term != term {
            n.term = term;
            n.vote = None;
        }
        n.role = Role::Follower;
        n.lead = lead;
        n.reset_at = now;
        n.rt = rt;
        if was_leader {
            self.leader = None;
            self.acks = 0;
            if let Some(id) = self.stepdown.take() {
                self.pending.cancel(cx, id);
            }
            self.orphan_followers(cx, i);
        }
        if lead.is_some() {
            // A live leader's heartbeats keep it quiet: no timer needed.
            self.disarm(cx, i);
        } else {
            self.arm(cx, i);
        }
    }

    /// The election timer of node `i` fired (raft `tickElection` -> MsgHup).
    fn hup(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        self.nodes[i].timer = None;
        if !self.nodes[i].up || self.nodes[i].role == Role::Leader {
            return;
        }
        if self.up_count() < self.q() {
            // No majority can answer: sleep until one is back.
            self.nodes[i].dormant = true;
            return;
        }
        let now = cx.now();
        if self.nodes[i].disk_free > now {
            // etcd ticks raft from the loop that saves to the WAL (etcd
            // server/etcdserver/raft.go), so no election tick reaches raft
            // while a write is in progress. SIMPLIFICATION: the timeout
            // fires when the write is done, not one stall later.
            let wait = self.nodes[i].disk_free - now;
            self.nodes[i].timer = Some(self.pending.schedule(cx, wait, EtcdTimer::Hup(i)));
            return;
        }
        self.nodes[i].reset_at = now;
        if self.cfg.pre_vote {
            let n = &mut self.nodes[i];
            n.role = Role::PreCandidate;
            n.lead = None;
            n.granted = 1 << i;
            n.rejected = 0;
            let term = n.term + 1;
            let who = super::name(cx, i);
            cx.trace(|| format!("{who} times out, starts pre-vote for term {term}"));
            self.arm(cx, i);
            self.broadcast(cx, Msg::PreVote, i, term);
            self.poll(cx, i);
        } else {
            self.campaign(cx, i);
        }
    }

    /// raft `becomeCandidate` + vote requests.
    fn campaign(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        let now = cx.now();
        let rt = self.draw_rt(cx);
        let n = &mut self.nodes[i];
        n.term += 1;
        n.vote = Some(i);
        n.role = Role::Candidate;
        n.lead = None;
        n.reset_at = now;
        n.rt = rt;
        n.granted = 1 << i;
        n.rejected = 0;
        let term = n.term;
        let who = super::name(cx, i);
        cx.trace(|| format!("{who} campaigns for term {term}"));
        self.arm(cx, i);
        // The new term and the self-vote reach the WAL before the vote
        // requests leave (a non-leader sends a Ready's messages after
        // saving it: etcd server/etcdserver/raft.go).
        let persist = self.write(cx, i);
        self.broadcast_after(cx, persist, Msg::Vote, i, term);
        self.poll(cx, i);
    }

    /// raft `poll`: count grants and rejections.
    fn poll(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        let q = self.q() as u32;
        let n = &self.nodes[i];
        if n.granted.count_ones() >= q {
            match n.role {
                Role::PreCandidate => self.campaign(cx, i),
                Role::Candidate => self.become_leader(cx, i),
                _ => {}
            }
        } else if n.rejected.count_ones() >= q {
            let term = n.term;
            self.become_follower(cx, i, term, None);
        }
    }

    fn become_leader(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        self.disarm(cx, i);
        let n = &mut self.nodes[i];
        n.role = Role::Leader;
        n.lead = Some(i);
        let term = n.term;
        self.leader = Some(i);
        self.acks = 1 << i;
        let who = super::name(cx, i);
        cx.trace(|| format!("{who} wins the election for term {term}"));
        // The new leader appends an empty entry and sends it to everyone.
        self.broadcast(cx, Msg::App, i, term);
        if self.cfg.fsync[i].is_some() {
            // The leader writes the entry to its own WAL in parallel with
            // sending it (etcd server/etcdserver/raft.go, Raft thesis
            // 10.2.1): it counts for the commit once its fsync is done.
            self.acks = 0;
            let persist = self.write(cx, i);
            self.send_after(cx, persist, Msg::AppResp, i, i, false, term);
        }
        self.update_outputs(cx);
    }

    fn update_outputs(&mut self, cx: &mut ClusterCx<'_>) {
        let leader = self.leader.filter(|l| self.nodes[*l].up);
        let quorum = leader.is_some() && self.acks.count_ones() as usize >= self.q();
        if quorum != cx.output(0) {
            if quorum {
                if let Some(since) = self.lost_at.take() {
                    let l = leader.unwrap_or(0);
                    let took = cx.now().saturating_sub(since);
                    let who = super::name(cx, l);
                    cx.trace(|| {
                        format!(
                            "{who} leads with a majority: writes possible again after {}",
                            Human(took)
                        )
                    });
                }
            } else {
                self.lost_at = Some(cx.now());
                cx.trace(|| "no leader with a majority: writes stall".to_string());
            }
        }
        cx.set_output(0, quorum);
        cx.set_output(1, leader.is_some());
    }

    /// Handles a message delivered to `to` (raft `Step`).
    fn deliver(
        &mut self,
        cx: &mut ClusterCx<'_>,
        msg: Msg,
        from: usize,
        to: usize,
        reject: bool,
        mterm: u64,
    ) {
        if !self.nodes[to].up {
            return;
        }
        let now = cx.now();
        let term = self.nodes[to].term;
        if mterm > term {
            if msg == Msg::Vote || msg == Msg::PreVote {
                // raft `inLease` (check-quorum is always on in etcd). A
                // follower of a live leader hears its heartbeats all along.
                let lead = self.nodes[to].lead;
                let in_lease = lead.is_some()
                    && (self.nodes[to].role == Role::Leader
                        || (lead == self.leader && lead.is_some_and(|l| self.nodes[l].up))
                        || self.lease_running(to, now));
                if in_lease {
                    return;
                }
            }
            if self.leader == Some(to) && !matches!(msg, Msg::PreVote | Msg::PreVoteResp) {
                let (who, other) = (super::name(cx, to), super::name(cx, from));
                cx.trace(|| format!("leader {who} hears term {mterm} from {other}: steps down"));
            }
            match msg {
                Msg::PreVote => {}
                Msg::PreVoteResp if !reject => {}
                Msg::App => self.become_follower(cx, to, mterm, Some(from)),
                _ => self.become_follower(cx, to, mterm, None),
            }
        } else if mterm < term {
            match msg {
                Msg::PreVote => self.send(cx, Msg::PreVoteResp, to, from, true, term),
                // raft.go Step, `m.Term < r.Term` with check-quorum (always
                // on in etcd) or pre-vote: an append from a leader of an
                // older term is answered with this node's term, so that a
                // node which moved to a higher term just before the new
                // leader's first append (its timer fired while the append
                // was in flight) makes that leader step down and a new
                // election follows, instead of campaigning alone forever.
                Msg::App => self.send(cx, Msg::AppResp, to, from, false, term),
                _ => {}
            }
            return;
        }
        let term = self.nodes[to].term;
        match msg {
            Msg::PreVote | Msg::Vote => {
                let n = &self.nodes[to];
                let can_vote = n.vote == Some(from)
                    || (n.vote.is_none() && n.lead.is_none())
                    || (msg == Msg::PreVote && mterm > n.term);
                let resp = if msg == Msg::PreVote {
                    Msg::PreVoteResp
                } else {
                    Msg::VoteResp
                };
                if can_vote {
                    // A granted vote is persisted before it is sent.
                    let persist = if msg == Msg::Vote {
                        self.write(cx, to)
                    } else {
                        self.ready(now, to)
                    };
                    self.send_after(cx, persist, resp, to, from, false, mterm);
                    if msg == Msg::Vote {
                        self.nodes[to].vote = Some(from);
                        self.nodes[to].reset_at = now;
                        self.arm(cx, to);
                    }
                } else {
                    self.send(cx, resp, to, from, true, term);
                }
            }
            Msg::PreVoteResp | Msg::VoteResp => {
                let want = if msg == Msg::PreVoteResp {
                    Role::PreCandidate
                } else {
                    Role::Candidate
                };
                if self.nodes[to].role == want {
                    let n = &mut self.nodes[to];
                    if reject {
                        n.rejected |= 1 << from;
                    } else {
                        n.granted |= 1 << from;
                    }
                    self.poll(cx, to);
                }
            }
            Msg::App => {
                // From the leader of our term (a heartbeat planned for a
                // restarted member is not sent if the leader died meanwhile).
                if !self.nodes[from].up || self.nodes[from].role != Role::Leader {
                    return;
                }
                let n = &mut self.nodes[to];
                if n.role != Role::Follower {
                    self.become_follower(cx, to, mterm, Some(from));
                } else {
                    n.lead = Some(from);
                    n.reset_at = now;
                    self.disarm(cx, to);
                }
                // The follower appends the entry to its WAL before it
                // acknowledges it.
                let persist = self.write(cx, to);
                self.send_after(cx, persist, Msg::AppResp, to, from, false, mterm);
            }
            Msg::AppResp
                if self.leader == Some(to)
                    && self.nodes[from].up
                    && self.nodes[from].lead == Some(to) =>
            {
                self.acks |= 1 << from;
                self.update_outputs(cx);
            }
            _ => {}
        }
    }

    fn node_down(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        let now = cx.now();
        self.disarm(cx, i);
        let n = &mut self.nodes[i];
        n.up = false;
        n.dormant = false;
        n.role = Role::Follower;
        n.lead = None;
        self.acks &= !(1 << i);
        if self.leader == Some(i) {
            self.leader = None;
            self.acks = 0;
            if let Some(id) = self.stepdown.take() {
                self.pending.cancel(cx, id);
            }
            let who = super::name(cx, i);
            cx.trace(|| format!("leader {who} lost"));
            // Its followers last heard it at its last heartbeat (sent on the
            // leader's ticks), and campaign after their own timeouts.
            let last_hb = last_on_grid(self.nodes[i].phase, self.cfg.heartbeat, now);
            for j in 0..self.nodes.len() {
                if self.nodes[j].up && self.nodes[j].lead == Some(i) {
                    let d = cx.sample(&self.cfg.delay);
                    let rt = self.draw_rt(cx);
                    let n = &mut self.nodes[j];
                    n.reset_at = last_hb + d;
                    n.rt = rt;
                    self.arm(cx, j);
                }
            }
        }
    }

    fn node_up(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        let now = cx.now();
        // A restarted process: a new tick phase, a fresh timeout; term and
        // vote are persisted (raft HardState).
        let phase = cx.rng().below(self.cfg.heartbeat);
        let rt = self.draw_rt(cx);
        let n = &mut self.nodes[i];
        n.up = true;
        n.disk_free = 0;
        n.dormant = false;
        n.role = Role::Follower;
        n.lead = None;
        n.phase = phase;
        n.rt = rt;
        n.reset_at = now;
        match self.leader {
            Some(l) => {
                // The leader's next heartbeat reaches it.
                let lp = self.nodes[l].phase;
                let at = next_on_grid(lp, self.cfg.heartbeat, now);
                let d = cx.sample(&self.cfg.delay);
                let term = self.nodes[l].term;
                self.pending.schedule(
                    cx,
                    at - now + d,
                    EtcdTimer::Deliver {
                        msg: Msg::App,
                        from: l,
                        to: i,
                        reject: false,
                        term,
                    },
                );
                self.arm(cx, i);
            }
            None => self.arm(cx, i),
        }
    }

    /// After inputs changed: quorum bookkeeping, check-quorum, waking the
    /// election when a majority is back.
    fn reconcile(&mut self, cx: &mut ClusterCx<'_>) {
        let majority = self.up_count() >= self.q();
        if let Some(l) = self.leader {
            if !majority && self.stepdown.is_none() {
                // check-quorum: the leader checks every election timeout; the
                // first check still sees the lost followers as recently
                // active, the next one steps down: (et, 2et] (HA-FACTS 1).
                let first = 1 + cx.rng().below(self.cfg.election);
                let at = first + self.cfg.election;
                self.stepdown = Some(self.pending.schedule(cx, at, EtcdTimer::StepDown(l)));
            } else if majority {
                if let Some(id) = self.stepdown.take() {
                    self.pending.cancel(cx, id);
                }
            }
        } else if majority {
            // Wake election timers that slept through the minority period.
            for i in 0..self.nodes.len() {
                let n = &self.nodes[i];
                if n.up
                    && n.role != Role::Leader
                    && n.timer.is_none()
                    && (n.dormant || n.lead.is_none())
                {
                    let span = self.nodes[i].rt.max(1);
                    let back = if self.nodes[i].dormant {
                        cx.rng().below(span)
                    } else {
                        0
                    };
                    let n = &mut self.nodes[i];
                    n.dormant = false;
                    n.reset_at = cx.now().saturating_sub(back);
                    self.arm(cx, i);
                }
            }
        }
        self.update_outputs(cx);
    }
}

impl ClusterState for EtcdState {
    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        if !self.started {
            self.started = true;
            for i in 0..self.nodes.len() {
                let phase = cx.rng().below(self.cfg.heartbeat);
                let rt = self.draw_rt(cx);
                let n = &mut self.nodes[i];
                n.phase = phase;
                n.rt = rt;
                n.up = cx.member_up(i) && !cx.partitioned_away(i);
            }
            // Member 0 starts as the leader of term 1.
            if self.nodes[0].up {
                self.leader = Some(0);
                for i in 0..self.nodes.len() {
                    if self.nodes[i].up {
                        self.nodes[i].lead = Some(0);
                        self.acks |= 1 << i;
                    }
                }
                self.nodes[0].role = Role::Leader;
            }
            self.reconcile(cx);
            return;
        }
        for i in 0..self.nodes.len() {
            // A member cut off from the majority side of a partition can
            // neither lead nor vote with it: for writes it is down. A leader
            // there steps down by check-quorum, and the majority elects.
            let up = cx.member_up(i) && !cx.partitioned_away(i);
            if up != self.nodes[i].up {
                if up {
                    self.node_up(cx, i);
                } else {
                    self.node_down(cx, i);
                }
            }
        }
        self.reconcile(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        match self.pending.fired(tag) {
            EtcdTimer::Hup(to) => self.hup(cx, to),
            EtcdTimer::StepDown(to) => {
                self.stepdown = None;
                if self.leader == Some(to) {
                    let who = super::name(cx, to);
                    cx.trace(|| {
                        format!("leader {who} cannot reach a majority: steps down (check-quorum)")
                    });
                    let term = self.nodes[to].term;
                    self.become_follower(cx, to, term, None);
                    if self.up_count() < self.q() {
                        self.disarm(cx, to);
                        self.nodes[to].dormant = true;
                    }
                    self.update_outputs(cx);
                }
            }
            EtcdTimer::Deliver {
                msg,
                from,
                to,
                reject,
                term,
            } => {
                self.deliver(cx, msg, from, to, reject, term);
                // A reply can arrive after the majority went away again.
                self.update_outputs(cx);
            }
        }
    }
}
