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
//! time is not added, etcd's `initial-election-tick-advance` on restart is
//! not modelled, and terms do not grow while a minority campaigns alone.

use crate::cluster::{ClusterCx, ClusterKind, ClusterState, Inputs, Timer, TimerTag};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::dist::Dist;
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::protocols::{last_on_grid, next_on_grid};
use crate::time::{Human, Nanos, NANOS_PER_MICRO, NANOS_PER_MILLI};

/// Keys this kind reads.
/// Keys this kind reads, with etcd's defaults.
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("profile", T::Choice(&["etcd", "k3s"]), D::Is("etcd"), "Timer defaults: etcd's 100 ms / 1000 ms, or K3s's embedded etcd 500 ms / 5000 ms (k3s pkg/etcd/etcd.go)."),
    KeySpec::new("heartbeat-interval", T::Duration, D::Follows("profile: 100ms, or 500ms for k3s"), "etcd `--heartbeat-interval` (default 100 ms)."),
    KeySpec::new("election-timeout", T::Duration, D::Follows("profile: 1000ms, or 5000ms for k3s"), "etcd `--election-timeout` (default 1000 ms)."),
    KeySpec::new("network-delay", T::Dist, D::Is("uniform(0.2ms, 1ms)"), "One-way message delay (ASSUMPTION: a LAN between VMs)."),
    KeySpec::new("pre-vote", T::Bool, D::Is("true"), "etcd `--pre-vote` (default true since v3.5, op-guide/configuration)."),
    KeySpec::new("randomized", T::Bool, D::Is("true"), "Randomized election timeouts (raft.go); `false` is a what-if (Raft paper section 9.3)."),
    KeySpec::new("timers", T::Choice(&["ticks", "continuous"]), D::Is("ticks"), "Election timers in ticks of the heartbeat (etcd) or as real-time deadlines (the Raft paper's LogCabin)."),
    KeySpec::new("learners", T::Refs, D::Follows("none"), "Non-voting members (etcd learners): they replicate but do not count for quorum."),
];

/// `kind = "etcd"` in the model format.
pub const SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "etcd",
    summary: "etcd / Raft: leader election with tick-based timers, quorum of the voting members.",
    keys: KEYS,
    lints: &[],
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
            // electionTimeout + rand.Intn(electionTimeout) ticks (raft.go).
            Timers::Ticks => {
                (self.cfg.ticks() + cx.rng().below(self.cfg.ticks())) * self.cfg.heartbeat
            }
            // LogCabin: randomRange(ELECTION_TIMEOUT, 2 * ELECTION_TIMEOUT).
            Timers::Continuous => min + cx.rng().below(min),
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

    fn send(
        &mut self,
        cx: &mut ClusterCx<'_>,
        msg: Msg,
        from: usize,
        to: usize,
        reject: bool,
        term: u64,
    ) {
        let d = cx.sample(&self.cfg.delay);
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
        for j in 0..self.nodes.len() {
            if j != from {
                self.send(cx, msg, from, j, false, term);
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
        self.broadcast(cx, Msg::Vote, i, term);
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
            match msg {
                Msg::PreVote => {}
                Msg::PreVoteResp if !reject => {}
                Msg::App => self.become_follower(cx, to, mterm, Some(from)),
                _ => self.become_follower(cx, to, mterm, None),
            }
        } else if mterm < term {
            if msg == Msg::PreVote {
                self.send(cx, Msg::PreVoteResp, to, from, true, term);
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
                    self.send(cx, resp, to, from, false, mterm);
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
                self.send(cx, Msg::AppResp, to, from, false, mterm);
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
