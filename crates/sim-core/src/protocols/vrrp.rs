//! VRRP / keepalived (`kind = "vrrp"`).
//!
//! The members are the routers (hosts or VMs running keepalived) of one
//! VRRP instance. Nothing is simulated while a master holds the VIP; the
//! model computes when each backup's Master_Down_Timer would expire from the
//! master's advert grid and schedules only that:
//!
//! - `Skew_Time = ((256 - Priority) * Advert_Interval) / 256`,
//!   `Master_Down_Interval = 3 * Advert_Interval + Skew_Time` (RFC 5798
//!   section 6.1). A backup's timer restarts on every advert it accepts, so
//!   after a master crash it fires Master_Down_Interval after the master's
//!   last advert: the VIP is gone for MDI - U(0, advert_int).
//! - A master that stops gracefully (a planned change: maintenance, a
//!   clean shutdown) or enters FAULT sends priority 0; backups then wait
//!   only Skew_Time (RFC 5798 section 6.4.2/6.4.3).
//! - Preemption (`preempt`, default on; `nopreempt`): a backup discards
//!   adverts of lower priority ("received lower priority advert -
//!   discarding", keepalived vrrp.c), so it takes over when its
//!   Master_Down_Timer expires, counted from the last higher-priority advert,
//!   after `preempt_delay` if set. The old master yields on the new master's
//!   first advert, so the VIP moves without a gap.
//! - `vrrp_script` tracking (`track`): the script runs every
//!   `track_interval`; `track_fall` consecutive failures mark it failed,
//!   `track_rise` successes mark it OK. With `track_weight` 0 a failed
//!   script means FAULT; a positive weight is added while the script is OK;
//!   a negative weight is added while it fails; a priority of 255 is never
//!   changed; the result is clamped to 1..254 (keepalived.conf(5),
//!   vrrp_parser.c, HA-FACTS section 2).
//! - Split brain: with `network` (an element the routers talk through) down
//!   but routers up, no adverts flow and every eligible backup becomes
//!   master after its Master_Down_Interval. The VIP is then unreliable:
//!   `vip` is down and `single_master` is down while two or more masters
//!   exist. When the network returns, the masters hear each other on their
//!   next advert and the lower priority steps back (RFC 5798).
//!
//! - Gray failures (a degradation read through [`ClusterCx::degraded`]):
//!   adverts from the master reach a backup `max(delay of the master, delay
//!   of the backup)` late (a shared slow switch counts once), and not at all
//!   while the master is paused. A backup's Master_Down_Timer restarts on
//!   each advert it receives, so after the last advert that arrived in time
//!   (sent at L) it fires at L + Master_Down_Interval unless the next one
//!   (sent at L + advert_int) arrives first: a delay above MDI - advert_int
//!   makes the backup MASTER while the old master still runs (RFC 5798
//!   6.4.2; HA-FACTS 10: "a master that is only slow gives two masters
//!   until adverts flow again"). Both claim the VIP until the new master
//!   hears the better one's delayed advert and returns to BACKUP (RFC 5798
//!   6.4.3): a VIP flap ([`ClusterCx::flap`]) and a split brain of
//!   advert_int + delay - MDI ([`ClusterCx::split_brain`]). A delay that
//!   ends early lets the next advert arrive on time and ends it sooner.
//!   Partial loss is not modelled.
//!
//! Equal priorities are broken by member order (the first member wins),
//! standing in for the RFC's higher-primary-IP rule. Advert delivery on the
//! LAN is taken as instantaneous (microseconds against seconds).
//!
//! Outputs: `vip` (default: exactly one live master holds the VIP),
//! `serving` (`vip` and that master's tracked input is up, for a
//! VIP-in-front-of-HAProxy design; equals `vip` for an untracked master),
//! `single_master` (down while split brain lasts).

use crate::cluster::{ClusterCx, ClusterKind, ClusterState, Inputs, Lint, Timer, TimerTag, Timers};
use crate::cluster::{KeyDefault as D, KeySpec, KeyType as T};
use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::protocols::{last_on_grid, per_member_ints};
use crate::time::{Human, Nanos, NANOS_PER_SEC};

/// Keys this kind reads, with the keepalived defaults they mirror.
pub const KEYS: &[KeySpec] = &[
    KeySpec::new("priority", T::PerMemberInt { min: 1, max: 255 }, D::Is("100"), "Router priority, or one per router in member order (keepalived.conf(5) `priority`, default 100; 255 owns the address)."),
    KeySpec::new("advert_int", T::Duration, D::Is("1s"), "Advertisement interval (keepalived.conf(5) `advert_int`, default 1 s)."),
    KeySpec::new("preempt", T::Bool, D::Is("true"), "A higher-priority router takes the VIP back (keepalived: preemption on unless `nopreempt`)."),
    KeySpec::new("nopreempt", T::Bool, D::Is("false"), "keepalived's `nopreempt`: the same as `preempt = false`."),
    KeySpec::new("preempt_delay", T::Duration, D::Is("0s"), "Wait before preempting after start (keepalived.conf(5) `preempt_delay`, default 0, at most 1000 s)."),
    KeySpec::new("track", T::Refs, D::Follows("no tracked process"), "Per router, in member order, the element its `track_script` checks (\"\" for none)."),
    KeySpec::new("track_interval", T::Duration, D::Is("1s"), "vrrp_script `interval` (keepalived.conf(5), default 1 s)."),
    KeySpec::new("track_fall", T::Int { min: 1, max: 1000 }, D::Is("1"), "vrrp_script `fall`: failures before the script is failed (default 1)."),
    KeySpec::new("track_rise", T::Int { min: 1, max: 1000 }, D::Is("1"), "vrrp_script `rise`: successes before it is OK again (default 1)."),
    KeySpec::new("track_weight", T::Int { min: -253, max: 253 }, D::Is("0"), "vrrp_script `weight`: 0 puts the router in FAULT on failure; otherwise added to (or, negative, taken from) its priority (keepalived.conf(5), default 0)."),
];

/// `kind = "vrrp"` in the model format.
pub const SPEC: crate::cluster::KindSpec = crate::cluster::KindSpec {
    name: "vrrp",
    summary: "VRRP / keepalived: a virtual IP held by the highest-priority live router, with tracked processes.",
    keys: KEYS,
    lints: &[
        crate::cluster::LintInfo { id: "vrrp-nopreempt-keeps-vip", meaning: "A failed track script lowers the master below the backup, but preemption is off, so the VIP stays." },
        crate::cluster::LintInfo { id: "vrrp-weight-cannot-move-vip", meaning: "The track weight is too small to bring the master's priority below the backup's: the VIP never moves." },
    ],
    build,
};

fn build<'t>(
    f: &mut Fields<'t, '_>,
    inputs: &mut Inputs<'t>,
) -> Result<std::sync::Arc<dyn ClusterKind>, Diagnostic> {
    Ok(std::sync::Arc::new(Vrrp::from_fields(f, inputs)?))
}

#[derive(Debug, Clone)]
pub struct Vrrp {
    pub priority: Vec<u8>,
    pub advert_int: Nanos,
    pub preempt: bool,
    pub preempt_delay: Nanos,
    /// Per router, the input index of its tracked process (if any).
    pub track: Vec<Option<usize>>,
    pub track_interval: Nanos,
    pub track_fall: u64,
    pub track_rise: u64,
    pub track_weight: i64,
    /// Whether the cluster sees a network: routers up but not connected
    /// cannot hear each other's adverts.
    pub network: bool,
}

impl Vrrp {
    pub fn from_fields<'t>(
        f: &mut Fields<'t, '_>,
        inputs: &mut Inputs<'t>,
    ) -> Result<Self, Diagnostic> {
        let n = inputs.n_members();
        if n > 64 {
            return Err(f.src.error(
                f.span.clone(),
                "a VRRP group model supports at most 64 routers",
            ));
        }
        // keepalived default priority 100 (keepalived.conf(5), vrrp.h).
        let priority = per_member_ints(f, "priority", n, 1, 255)?
            .unwrap_or_else(|| vec![100; n])
            .into_iter()
            .map(|p| p as u8)
            .collect();
        // advert_int 1 s: keepalived.conf(5); RFC 5798 default 100 cs.
        let advert_int = f.duration("advert_int")?.unwrap_or(NANOS_PER_SEC);
        if advert_int == 0 {
            return Err(f
                .src
                .error(f.span.clone(), "`advert_int` must be above zero"));
        }
        // Preemption on by default; `nopreempt` disables it; preempt_delay
        // default 0, at most 1000 s (keepalived.conf(5)).
        let mut preempt = f.bool("preempt")?.unwrap_or(true);
        if f.bool("nopreempt")?.unwrap_or(false) {
            preempt = false;
        }
        let preempt_delay = f.duration("preempt_delay")?.unwrap_or(0);
        if preempt_delay > 1000 * NANOS_PER_SEC {
            return Err(f.src.error(
                f.raw("preempt_delay")
                    .map_or(f.span.clone(), |v| v.span.clone()),
                "`preempt_delay` is at most 1000s (keepalived.conf(5))",
            ));
        }
        let mut track = vec![None; n];
        if let Some(list) = f.strings("track")? {
            if list.len() != n {
                let at = f.raw("track").map_or(f.span.clone(), |v| v.span.clone());
                return Err(f
                    .src
                    .error(at, format!("`track` has {} entries but there are {n} routers", list.len()))
                    .with_help("one tracked element per router, in member order; \"\" for a router without a script"));
            }
            for (i, (name, v)) in list.into_iter().enumerate() {
                if !name.is_empty() {
                    track[i] = Some(inputs.add(name, v));
                }
            }
        }
        // vrrp_script defaults: interval 1 s, rise/fall 1, weight 0
        // (keepalived.conf(5), vrrp_parser.c; HA-FACTS section 2).
        let track_interval = f.duration("track_interval")?.unwrap_or(NANOS_PER_SEC);
        if track_interval == 0 {
            return Err(f
                .src
                .error(f.span.clone(), "`track_interval` must be above zero"));
        }
        let track_fall = f.int("track_fall", 1, 1000)?.unwrap_or(1) as u64;
        let track_rise = f.int("track_rise", 1, 1000)?.unwrap_or(1) as u64;
        let track_weight = f.int("track_weight", -253, 253)?.unwrap_or(0);
        // `network` is read by the compiler (every cluster may have one);
        // here it only switches partition handling on.
        let network = f.raw("network").is_some();
        Ok(Vrrp {
            priority,
            advert_int,
            preempt,
            preempt_delay,
            track,
            track_interval,
            track_fall,
            track_rise,
            track_weight,
            network,
        })
    }

    /// `Skew_Time = ((256 - Priority) * Advert_Interval) / 256` (RFC 5798).
    pub fn skew(&self, priority: u8) -> Nanos {
        (256 - u64::from(priority)) * self.advert_int / 256
    }

    /// `Master_Down_Interval = 3 * Advert_Interval + Skew_Time` (RFC 5798).
    pub fn master_down(&self, priority: u8) -> Nanos {
        3 * self.advert_int + self.skew(priority)
    }

    /// Effective priority with the tracked script OK or failed, or `None`
    /// for FAULT (weight 0 and failed).
    pub fn effective(&self, base: u8, script_ok: bool) -> Option<u8> {
        if base == 255 {
            return Some(255);
        }
        let w = self.track_weight;
        let p = i64::from(base)
            + match (w, script_ok) {
                (0, false) => return None,
                (w, true) if w > 0 => w,
                (w, false) if w < 0 => w,
                _ => 0,
            };
        // keepalived clamps the effective priority to 1..254.
        Some(p.clamp(1, 254) as u8)
    }
}

impl ClusterKind for Vrrp {
    /// In steady state a live router that is not in FAULT (a failed track
    /// script with weight 0) holds the VIP, so `vip` holds while any such
    /// router is up. `single_master` only fails in a split brain, which
    /// needs a `network` (the analysis refuses clusters with one).
    /// `serving` is `vip` without tracked processes; with them it depends
    /// on which router the election makes master (`serving_rule` below).
    fn structure(&self, output: usize) -> Result<crate::cluster::Structure, String> {
        use crate::cluster::Structure;
        let eligible = |i: usize| match (self.track[i], self.track_weight) {
            (Some(t), 0) if self.priority[i] != 255 => {
                Structure::All(vec![Structure::Input(i), Structure::Input(t)])
            }
            _ => Structure::Input(i),
        };
        let vip = Structure::Any((0..self.priority.len()).map(eligible).collect());
        match output {
            0 => Ok(vip),
            1 if self.track.iter().all(Option::is_none) => Ok(vip),
            1 => serving_rule(self),
            _ => Ok(Structure::Const(true)),
        }
    }
    fn kind(&self) -> &'static str {
        "vrrp"
    }
    /// A track script that cannot move the VIP: when the healthy master's
    /// script fails, its effective priority must fall below some healthy
    /// backup's (or the master must enter FAULT), and the backup must be
    /// allowed to preempt; otherwise the VIP stays on a router whose tracked
    /// process is dead. Seed 000 tracks HAProxy with weight 2 on priorities
    /// 100/50: 102 falls to 100, still above 52.
    fn lint(&self) -> Vec<Lint> {
        let n = self.priority.len();
        let healthy: Vec<u8> = (0..n)
            .map(|i| self.effective(self.priority[i], true).unwrap_or(0))
            .collect();
        // The master when everything is healthy: highest priority, first wins ties.
        let Some(m) = (0..n).max_by_key(|i| (healthy[*i], std::cmp::Reverse(*i))) else {
            return Vec::new();
        };
        if self.track[m].is_none() || n < 2 {
            return Vec::new();
        }
        let failed = self.effective(self.priority[m], false);
        let best_other = (0..n)
            .filter(|i| *i != m)
            .max_by_key(|i| (healthy[*i], std::cmp::Reverse(*i)));
        let Some(b) = best_other else {
            return Vec::new();
        };
        let rule = "keepalived: with weight > 0 the weight is added while the script succeeds, with weight < 0 \
                    it is added while it fails, weight 0 means FAULT; a backup takes over only with a higher \
                    priority and preemption (keepalived.conf(5), RFC 5798 6.4.3)"
            .to_string();
        match failed {
            // FAULT releases the VIP whatever the priorities.
            None => Vec::new(),
            Some(p) if p < healthy[b] && self.preempt => Vec::new(),
            Some(p) if p < healthy[b] => vec![Lint {
                id: "vrrp-nopreempt-keeps-vip",
                message: format!(
                    "a failed track script lowers the master to priority {p}, below the backup's {}, but preemption is off, so the VIP does not move",
                    healthy[b]
                ),
                rule,
            }],
            Some(p) => vec![Lint {
                id: "vrrp-weight-cannot-move-vip",
                message: format!(
                    "track_weight {} can never move the VIP: when the master's tracked process fails its priority goes from {} to {p}, still not below the backup's {}; use a weight of -{} or lower (or weight 0 for FAULT)",
                    self.track_weight,
                    healthy[m],
                    healthy[b],
                    // With a negative weight the backup keeps its base
                    // priority, so the master must fall strictly below it.
                    i64::from(self.priority[m]) - i64::from(self.priority[b]) + 1
                ),
                rule,
            }],
        }
    }
    fn outputs(&self) -> &'static [&'static str] {
        &["vip", "serving", "single_master"]
    }
    fn reacts_to_degradation(&self) -> bool {
        true
    }
    fn new_state(&self) -> Box<dyn ClusterState> {
        let n = self.priority.len();
        Box::new(VrrpState {
            cfg: self.clone(),
            r: (0..n)
                .map(|_| Router {
                    up: true,
                    script_ok: true,
                    script_timer: None,
                    script_phase: 0,
                    track_seen: true,
                    master: false,
                    adv_phase: 0,
                    accepting: None,
                    heard_until: 0,
                    lower_since: None,
                    prio0_at: None,
                    down_timer: None,
                })
                .collect(),
            started: false,
            net_up: true,
            meet: None,
            timers: Timers::new(),
            vip_lost_at: None,
            deaf: vec![None; n],
        })
    }
}

struct Router {
    up: bool,
    /// The tracked script's result as keepalived sees it.
    script_ok: bool,
    script_timer: Option<Timer>,
    script_phase: Nanos,
    /// The tracked input as last seen.
    track_seen: bool,
    master: bool,
    /// Adverts go out at `adv_phase + k * advert_int` while master.
    adv_phase: Nanos,
    /// The master whose adverts currently restart this backup's timer.
    accepting: Option<usize>,
    /// The last accepted advert when `accepting` is `None`.
    heard_until: Nanos,
    /// Since when a lower-priority master has been seen (preempt_delay).
    lower_since: Option<Nanos>,
    /// A priority-0 advert was received at this time.
    prio0_at: Option<Nanos>,
    down_timer: Option<(Nanos, Timer)>,
}

/// What a VRRP timer is for.
#[derive(Debug, Clone, Copy)]
enum VrrpTimer {
    /// Router `i`'s Master_Down_Timer expires: it becomes MASTER.
    BecomeMaster(usize),
    /// Router `i`'s tracked script reaches its `fall`-th (`rise`-th) result.
    Script(usize),
    /// The network is back and the masters of a split brain meet.
    Resolve,
    /// Router `i` receives the delayed advert of the master it was deaf to.
    Heard(usize),
}

struct VrrpState {
    cfg: Vrrp,
    r: Vec<Router>,
    started: bool,
    /// Whether adverts flow between the routers.
    net_up: bool,
    /// The network is back; masters meet at this event.
    meet: Option<Timer>,
    timers: Timers<VrrpTimer>,
    vip_lost_at: Option<Nanos>,
    /// Per router, a master whose adverts it does not receive in time (a
    /// gray failure): (that master, when its last timely advert was sent,
    /// when the next one arrives, the timer for that arrival).
    deaf: Vec<Option<Deaf>>,
}

#[derive(Debug, Clone, Copy)]
struct Deaf {
    master: usize,
    last: Nanos,
    until: Nanos,
    timer: Option<Timer>,
}

/// A set of routers by index (a group has at most 64), iterated in index
/// order like the `Vec` it replaces.
#[derive(Clone, Copy)]
struct Routers(u64);

impl Routers {
    fn iter(self) -> impl Iterator<Item = usize> {
        let mut rest = self.0;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                i
            })
        })
    }
    fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// The lowest index; only called on a non-empty set.
    fn first(self) -> usize {
        self.0.trailing_zeros() as usize
    }
}

impl VrrpState {
    fn prio(&self, i: usize) -> Option<u8> {
        if !self.r[i].up {
            return None;
        }
        self.cfg
            .effective(self.cfg.priority[i], self.r[i].script_ok)
    }

    /// Whether `a` beats `b` in an election (priority, then member order).
    fn beats(&self, a: usize, b: usize) -> bool {
        match (self.prio(a), self.prio(b)) {
            (Some(pa), Some(pb)) => pa > pb || (pa == pb && a < b),
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// The routers in MASTER state. A bit set rather than a `Vec`: this runs
    /// several times per callback, and a group has at most 64 routers.
    fn masters(&self) -> Routers {
        Routers(
            (0..self.r.len())
                .filter(|i| self.r[*i].master)
                .fold(0, |set, i| set | (1 << i)),
        )
    }

    fn step_down(&mut self, cx: &mut ClusterCx<'_>, i: usize, why: &str) {
        if self.r[i].master {
            self.r[i].master = false;
            let why = why.to_string();
            let who = super::name(cx, i);
            cx.trace(|| format!("{who} leaves MASTER ({why})"));
        }
    }

    /// Masters that can hear each other keep only the best one: the others
    /// yield on its advert (RFC 5798 6.4.3; keepalived answers a lower
    /// priority advert with its own at once).
    fn resolve(&mut self, cx: &mut ClusterCx<'_>) {
        if !self.net_up {
            return;
        }
        let ms = self.masters();
        if let Some(best) = ms
            .iter()
            .reduce(|a, b| if self.beats(b, a) { b } else { a })
        {
            for m in ms.iter() {
                if m != best && !self.deaf_to(m, best, cx.now()) {
                    self.step_down(cx, m, "hears a better master");
                }
            }
        }
    }

    /// Whether router `i` does not yet receive master `m`'s adverts.
    fn deaf_to(&self, i: usize, m: usize, now: Nanos) -> bool {
        self.deaf[i].is_some_and(|d| d.master == m && now < d.until)
    }

    /// Works out which backups stop receiving the single master's adverts
    /// in time, or receive them again, after a degradation started or
    /// ended (see the module documentation).
    fn degradation_changed(&mut self, cx: &mut ClusterCx<'_>) {
        let now = cx.now();
        let adv = self.cfg.advert_int;
        let masters = self.masters();
        // Deafness to a router that is no longer master is over.
        for i in 0..self.r.len() {
            if let Some(d) = self.deaf[i].filter(|d| !self.r[d.master].master) {
                if let Some(t) = d.timer {
                    self.timers.cancel(cx, t);
                }
                self.deaf[i] = None;
            }
        }
        if !self.net_up || masters.len() != 1 {
            return;
        }
        let m = masters.first();
        let dm = cx.degraded(m);
        for i in 0..self.r.len() {
            let Some(my) = self.prio(i).filter(|_| i != m && !self.r[i].master) else {
                continue;
            };
            let delay = dm.delay.max(cx.degraded(i).delay);
            let phase = self.r[m].adv_phase;
            match self.deaf[i] {
                None if dm.paused || delay > 0 => {
                    let last = last_on_grid(phase, adv, now);
                    let until = if dm.paused {
                        Nanos::MAX
                    } else {
                        crate::protocols::next_on_grid(phase, adv, now) + delay
                    };
                    if until > last + self.cfg.master_down(my) {
                        let timer = (until != Nanos::MAX)
                            .then(|| self.timers.schedule(cx, until - now, VrrpTimer::Heard(i)));
                        self.deaf[i] = Some(Deaf {
                            master: m,
                            last,
                            until,
                            timer,
                        });
                    }
                }
                Some(d) if d.master == m && !dm.paused && delay == 0 => {
                    // The next advert goes out on time (a resumed master
                    // sends at once: its advert timer is overdue).
                    let next = if d.until == Nanos::MAX {
                        now
                    } else {
                        crate::protocols::next_on_grid(phase, adv, now)
                    };
                    if next < d.until {
                        if let Some(t) = d.timer {
                            self.timers.cancel(cx, t);
                        }
                        let timer = Some(self.timers.schedule(cx, next - now, VrrpTimer::Heard(i)));
                        self.deaf[i] = Some(Deaf {
                            until: next,
                            timer,
                            ..d
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// Recomputes every backup's Master_Down_Timer.
    fn plan(&mut self, cx: &mut ClusterCx<'_>) {
        let now = cx.now();
        let adv = self.cfg.advert_int;
        let masters = self.masters();
        for i in 0..self.r.len() {
            let Some(my) = self.prio(i) else {
                // Down or FAULT: no timer; it restarts when it is eligible again.
                self.cancel_down(cx, i);
                let r = &mut self.r[i];
                r.accepting = None;
                r.heard_until = now;
                r.prio0_at = None;
                r.lower_since = None;
                continue;
            };
            if self.r[i].master {
                self.cancel_down(cx, i);
                self.r[i].accepting = None;
                continue;
            }
            // The master whose adverts reach this backup (none if partitioned).
            let heard = if self.net_up {
                masters.iter().filter(|m| *m != i).reduce(
                    |a, b| {
                        if self.beats(b, a) {
                            b
                        } else {
                            a
                        }
                    },
                )
            } else {
                None
            };
            let heard = match (heard, self.deaf[i]) {
                (Some(m), Some(d)) if d.master == m && now < d.until => {
                    // Its adverts do not arrive in time: the timer runs
                    // from the last one that did.
                    self.r[i].accepting = None;
                    self.r[i].heard_until = d.last;
                    None
                }
                _ => heard,
            };
            let mut accept = None;
            if let Some(m) = heard {
                let mp = self.prio(m).unwrap_or(0);
                if mp >= my || !self.cfg.preempt {
                    accept = Some(m);
                    self.r[i].lower_since = None;
                } else {
                    // A lower-priority master: preempt, after preempt_delay.
                    let since = *self.r[i].lower_since.get_or_insert(now);
                    if now < since + self.cfg.preempt_delay {
                        accept = Some(m);
                    }
                }
            } else {
                self.r[i].lower_since = None;
            }
            match accept {
                Some(m) => {
                    self.r[i].accepting = Some(m);
                    self.r[i].prio0_at = None;
                    if heard.is_some_and(|h| self.prio(h).unwrap_or(0) < my) {
                        // Accepting only until the preempt delay runs out.
                        let until = self.r[i].lower_since.unwrap_or(now) + self.cfg.preempt_delay;
                        let last = last_on_grid(self.r[m].adv_phase, adv, until);
                        self.set_down(cx, i, last + self.cfg.master_down(my));
                    } else {
                        self.cancel_down(cx, i);
                    }
                }
                None => {
                    if let Some(m) = self.r[i].accepting.take() {
                        // Timer restarts stopped at the last advert it accepted.
                        self.r[i].heard_until = last_on_grid(self.r[m].adv_phase, adv, now);
                    }
                    let expiry = match self.r[i].prio0_at {
                        Some(t) => t + self.cfg.skew(my),
                        None => self.r[i].heard_until + self.cfg.master_down(my),
                    };
                    self.set_down(cx, i, expiry);
                }
            }
        }
    }

    fn set_down(&mut self, cx: &mut ClusterCx<'_>, i: usize, at: Nanos) {
        let at = at.max(cx.now());
        if let Some((t, _)) = self.r[i].down_timer {
            if t == at {
                return;
            }
        }
        self.cancel_down(cx, i);
        let id = self
            .timers
            .schedule(cx, at - cx.now(), VrrpTimer::BecomeMaster(i));
        self.r[i].down_timer = Some((at, id));
    }

    fn cancel_down(&mut self, cx: &mut ClusterCx<'_>, i: usize) {
        if let Some((_, id)) = self.r[i].down_timer.take() {
            self.timers.cancel(cx, id);
        }
    }

    /// A master leaving gracefully (or for FAULT) sends priority 0: backups
    /// that were listening to it wait only Skew_Time.
    fn announce_prio0(&mut self, cx: &mut ClusterCx<'_>, m: usize) {
        if !self.net_up {
            return;
        }
        let now = cx.now();
        for j in 0..self.r.len() {
            if j != m && self.r[j].accepting == Some(m) {
                self.r[j].accepting = None;
                self.r[j].heard_until = now;
                self.r[j].prio0_at = Some(now);
            }
        }
    }

    /// Re-schedules the tracked script's state flip of router `i`.
    fn track_changed(&mut self, cx: &mut ClusterCx<'_>, i: usize, input_up: bool) {
        if let Some(id) = self.r[i].script_timer.take() {
            self.timers.cancel(cx, id);
        }
        if input_up == self.r[i].script_ok || !self.r[i].up {
            return;
        }
        // The script runs on its own grid; the flip happens at the
        // fall-th (rise-th) consecutive result.
        let iv = self.cfg.track_interval;
        let first = crate::protocols::next_on_grid(self.r[i].script_phase, iv, cx.now());
        let count = if input_up {
            self.cfg.track_rise
        } else {
            self.cfg.track_fall
        };
        let at = first + (count - 1) * iv;
        self.r[i].script_timer = Some(self.timers.schedule(
            cx,
            at - cx.now(),
            VrrpTimer::Script(i),
        ));
    }

    fn update_outputs(&mut self, cx: &mut ClusterCx<'_>) {
        let live = Routers(
            self.masters()
                .iter()
                .filter(|m| self.r[*m].up)
                .fold(0, |set, m| set | (1 << m)),
        );
        let vip = live.len() == 1;
        let serving = vip
            && match self.cfg.track[live.first()] {
                Some(t) => cx.input(t),
                None => true,
            };
        if vip != cx.output(0) {
            if vip {
                let m = live.first();
                let took = self.vip_lost_at.take().map(|t| cx.now() - t);
                let who = super::name(cx, m);
                cx.trace(|| match took {
                    Some(d) => format!(
                        "{who} holds the VIP (after {} without a single master)",
                        Human(d)
                    ),
                    None => format!("{who} holds the VIP"),
                });
            } else {
                self.vip_lost_at = Some(cx.now());
                let k = live.len();
                cx.trace(|| {
                    if k == 0 {
                        "no master: the VIP is not held".to_string()
                    } else {
                        format!("split brain: {k} masters claim the VIP")
                    }
                });
            }
        }
        if live.len() > 1 {
            if cx.gray_cause() {
                cx.split_brain(true);
            }
        } else {
            cx.split_brain(false);
        }
        cx.set_output(0, vip);
        cx.set_output(1, serving);
        cx.set_output(2, live.len() <= 1);
    }

    fn settle(&mut self, cx: &mut ClusterCx<'_>) {
        self.resolve(cx);
        self.plan(cx);
        self.update_outputs(cx);
    }
}

impl ClusterState for VrrpState {
    fn on_degradation(&mut self, cx: &mut ClusterCx<'_>) {
        self.degradation_changed(cx);
        self.settle(cx);
    }

    fn on_inputs(&mut self, cx: &mut ClusterCx<'_>) {
        let n = self.r.len();
        if !self.started {
            self.started = true;
            for i in 0..n {
                let phase = cx.rng().below(self.cfg.track_interval);
                let adv = cx.rng().below(self.cfg.advert_int);
                let up = cx.member_up(i);
                let ok = self.cfg.track[i].is_none_or(|t| cx.input(t));
                let r = &mut self.r[i];
                r.script_phase = phase;
                r.track_seen = ok;
                r.adv_phase = adv;
                r.up = up;
                r.script_ok = ok;
            }
            self.net_up = !self.cfg.network || cx.all_connected();
            // The best router starts as master, the others listen to it.
            if let Some(best) = (0..n).filter(|i| self.prio(*i).is_some()).reduce(|a, b| {
                if self.beats(b, a) {
                    b
                } else {
                    a
                }
            }) {
                self.r[best].master = true;
                for j in 0..n {
                    if j != best && self.net_up {
                        self.r[j].accepting = Some(best);
                    }
                }
            }
            self.settle(cx);
            return;
        }
        let now = cx.now();
        let planned = cx.planned();
        if self.cfg.network {
            let up = cx.all_connected();
            let physical = self.net_up || self.meet.is_some();
            if up != physical {
                self.net_up = up;
                if let Some(id) = self.meet.take() {
                    self.timers.cancel(cx, id);
                }
                if up {
                    // Masters hear each other on the next advert of any of them.
                    let next = self
                        .masters()
                        .iter()
                        .map(|m| {
                            crate::protocols::next_on_grid(
                                self.r[m].adv_phase,
                                self.cfg.advert_int,
                                now,
                            )
                        })
                        .min();
                    if let Some(t) = next {
                        self.net_up = false;
                        cx.trace(|| {
                            "network back: masters will hear each other on the next advert".into()
                        });
                        self.meet = Some(self.timers.schedule(cx, t - now, VrrpTimer::Resolve));
                    }
                } else {
                    cx.trace(|| "network down: routers no longer hear each other's adverts".into());
                }
            }
        }
        for i in 0..n {
            let up = cx.member_up(i);
            if up != self.r[i].up {
                if up {
                    // keepalived starts in BACKUP; its Master_Down_Timer
                    // starts at startup. The script is read afresh.
                    let ok = self.cfg.track[i].is_none_or(|t| cx.input(t));
                    let r = &mut self.r[i];
                    r.up = true;
                    r.script_ok = ok;
                    r.track_seen = ok;
                    r.master = false;
                    r.accepting = None;
                    r.heard_until = now;
                    r.prio0_at = None;
                    r.lower_since = None;
                    let who = super::name(cx, i);
                    cx.trace(|| format!("{who} starts as BACKUP"));
                } else {
                    let was_master = self.r[i].master;
                    self.r[i].up = false;
                    self.r[i].master = false;
                    self.cancel_down(cx, i);
                    if let Some(id) = self.r[i].script_timer.take() {
                        self.timers.cancel(cx, id);
                    }
                    if was_master {
                        if planned {
                            let who = super::name(cx, i);
                            cx.trace(|| format!("master {who} stops gracefully: sends priority 0"));
                            self.announce_prio0(cx, i);
                        } else {
                            let who = super::name(cx, i);
                            cx.trace(|| format!("master {who} lost"));
                        }
                    }
                }
            }
            if let Some(t) = self.cfg.track[i] {
                let input = cx.input(t);
                if self.r[i].up && input != self.r[i].track_seen {
                    self.track_changed(cx, i, input);
                }
                self.r[i].track_seen = input;
            }
        }
        self.settle(cx);
    }

    fn on_timer(&mut self, cx: &mut ClusterCx<'_>, tag: TimerTag) {
        match self.timers.fired(tag) {
            VrrpTimer::BecomeMaster(i) => {
                self.r[i].down_timer = None;
                if self.prio(i).is_some() && !self.r[i].master {
                    let r = &mut self.r[i];
                    r.master = true;
                    r.adv_phase = cx.now();
                    r.accepting = None;
                    r.prio0_at = None;
                    let who = super::name(cx, i);
                    cx.trace(|| format!("{who} becomes MASTER (Master_Down_Timer expired)"));
                    if cx.gray_cause() && self.masters().iter().any(|m| m != i && self.r[m].up) {
                        // The old master still runs: the VIP flaps.
                        cx.flap();
                    }
                }
                self.settle(cx);
            }
            VrrpTimer::Heard(i) => {
                if let Some(d) = self.deaf[i].take() {
                    let (who, m) = (super::name(cx, i), super::name(cx, d.master));
                    cx.trace(|| format!("{who} receives {m}'s advert again"));
                }
                self.settle(cx);
            }
            VrrpTimer::Script(i) => {
                self.r[i].script_timer = None;
                let was_master = self.r[i].master;
                let ok = !self.r[i].script_ok;
                let before = self.prio(i);
                self.r[i].script_ok = ok;
                let after = self.prio(i);
                let who = super::name(cx, i);
                cx.trace(|| {
                    let p = |x: Option<u8>| x.map_or("FAULT".to_string(), |p| p.to_string());
                    format!(
                        "{who}: tracked script {} (priority {} -> {})",
                        if ok { "OK" } else { "failed" },
                        p(before),
                        p(after)
                    )
                });
                if after.is_none() && was_master {
                    // FAULT: keepalived leaves MASTER and sends priority 0.
                    self.r[i].master = false;
                    self.announce_prio0(cx, i);
                }
                if before.is_none() && after.is_some() {
                    // Out of FAULT into BACKUP: the Master_Down_Timer starts now.
                    self.r[i].accepting = None;
                    self.r[i].heard_until = cx.now();
                }
                self.settle(cx);
            }
            VrrpTimer::Resolve => {
                self.meet = None;
                self.net_up = true;
                // Backups listen to whoever is master again.
                self.settle(cx);
            }
        }
    }
}

/// The steady-state rule of `serving` with tracked processes: the master
/// is the live router of the highest effective priority (first in member
/// order on a tie; a failed script with weight 0 is FAULT and never
/// master), and `serving` holds while it exists and its tracked process is
/// up. The rule is read off the truth table of that election over the
/// routers and their tracked processes (at most 16 inputs) and given as
/// the disjunction of its minimal true points, when it is monotone. It is
/// not when a router whose process failed still wins the election (a track
/// weight too small to move the VIP: `serving` then comes back when that
/// router goes down), which is refused with that reason, as is a group
/// without preemption, whose master depends on history.
fn serving_rule(cfg: &Vrrp) -> Result<crate::cluster::Structure, String> {
    use crate::cluster::Structure;
    let n = cfg.priority.len();
    if !cfg.preempt && cfg.track_weight != 0 {
        return Err("without preemption, which router holds the VIP after a track script changes its priority depends on history".to_string());
    }
    let mut vars: Vec<usize> = (0..n).collect();
    for t in cfg.track.iter().flatten() {
        if !vars.contains(t) {
            vars.push(*t);
        }
    }
    if vars.len() > 16 {
        return Err(format!(
            "`serving` reads {} routers and tracked processes; its election is tabulated for at most 16",
            vars.len()
        ));
    }
    let bit = |input: usize| {
        vars.iter()
            .position(|v| *v == input)
            .expect("a listed input")
    };
    let serving = |x: u32| -> bool {
        let on = |input: usize| x >> bit(input) & 1 == 1;
        let mut master: Option<(u8, usize)> = None;
        for i in 0..n {
            if !on(i) {
                continue;
            }
            let ok = cfg.track[i].is_none_or(on);
            let Some(p) = cfg.effective(cfg.priority[i], ok) else {
                continue;
            };
            if master.is_none_or(|(best, _)| p > best) {
                master = Some((p, i));
            }
        }
        master.is_some_and(|(_, m)| cfg.track[m].is_none_or(on))
    };
    let all = 1u32 << vars.len();
    let table: Vec<bool> = (0..all).map(serving).collect();
    let mut minimal = Vec::new();
    for x in 0..all {
        if !table[x as usize] {
            continue;
        }
        for (j, input) in vars.iter().enumerate() {
            let with = x | 1 << j;
            if !table[with as usize] {
                let name = |input: usize| {
                    if input < n {
                        "a router"
                    } else {
                        "a tracked process"
                    }
                };
                return Err(format!(
                    "with these priorities and track_weight {}, {} coming back can take `serving` down (a router whose tracked process failed still wins the election), so it is not a monotone function of the inputs",
                    cfg.track_weight,
                    name(*input)
                ));
            }
        }
        if (0..vars.len()).all(|j| x >> j & 1 == 0 || !table[(x & !(1 << j)) as usize]) {
            minimal.push(x);
        }
    }
    Ok(Structure::Any(
        minimal
            .into_iter()
            .map(|x| {
                Structure::All(
                    (0..vars.len())
                        .filter(|j| x >> j & 1 == 1)
                        .map(|j| Structure::Input(vars[j]))
                        .collect(),
                )
            })
            .collect(),
    ))
}
