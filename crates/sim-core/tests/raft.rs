//! etcd / Raft under tight timing (issue 17, item 5): elections that end,
//! the time-to-leader distribution against its derivation, WAL fsync time
//! in votes and appends, and the lints on timers close to the round trip.
//! Every statistical test uses a fixed seed and prints it on failure.

#[path = "shared/mod.rs"]
mod shared;

use sim_core::model::load;
use sim_core::sim::{Injection, RepOptions, Replication};
use sim_core::time::{Nanos, NANOS_PER_MILLI, NANOS_PER_SEC};
use sim_core::Model;

const MS: Nanos = NANOS_PER_MILLI;
const S: Nanos = NANOS_PER_SEC;
const DAY: Nanos = 86_400 * S;

/// A cluster of `members` etcd members `e1..`, each failing every `every`
/// (exponential) for a `repair` (both written as durations, or `None` for
/// members that never fail), with `extra` cluster keys.
fn etcd_model(members: usize, faults: Option<(&str, &str)>, extra: &str) -> String {
    let mut t = String::new();
    let mut names = Vec::new();
    for i in 1..=members {
        t.push_str(&format!("[components.e{i}]\n"));
        if let Some((every, repair)) = faults {
            t.push_str(&format!(
                "failures = [{{ every = \"{every}\", repair = \"{repair}\" }}]\n"
            ));
        }
        names.push(format!("\"e{i}\""));
    }
    t.push_str(&format!(
        "[clusters.etcd]\nkind = \"etcd\"\nmembers = [{}]\n{extra}\n[services.writes]\nrequires = \"etcd\"\n",
        names.join(", ")
    ));
    t
}

/// Scenario replications `0..reps` with random faults off and `faults`
/// injected; returns each one's downtime of the first service.
fn downtimes(model: &Model, seed: u64, reps: u64, faults: &[(&str, Nanos, bool)]) -> Vec<Nanos> {
    shared::scenario_runs(model, seed, reps, 60 * S, faults)
        .iter()
        .enumerate()
        .map(|(i, out)| {
            assert!(out.overrun.is_none(), "seed {seed} replication {i} overran");
            out.services[0].downtime
        })
        .collect()
}

/// The reproducer of issue 17: five members with continuous 12 ms
/// timeouts, 6 ms heartbeats, message delays of a few milliseconds, and
/// crashes on every member. Before the fix a follower whose timer fired
/// just before the new leader's first append moved to a higher term,
/// ignored that append (an older term), and campaigned alone for the rest
/// of the run: about 36 million events per simulated day. etcd answers an
/// append from an older term with its own term (raft.go Step,
/// `m.Term < r.Term` with check-quorum), so the leader steps down and a new
/// election, which ends, follows.
///
/// The bound, derived: each member fails about every 30 days and is
/// repaired an hour later, so a year holds about 5 x 365 / 30 = 61 failures
/// and as many repairs. An election round is at most 4 pre-votes, 4 answers,
/// 4 vote requests, 4 answers, 4 appends, 4 acknowledgements and 5 timers,
/// 29 events; even 30 rounds per fault (split votes, a step-down) is under
/// 1,000 events per fault, so 122 x 1,000 / 365 = 334 events per simulated
/// day. The livelock costs 100,000 times that.
#[test]
fn tight_timing_reproducer_runs_a_year_with_elections_that_end() {
    let seed = 1;
    let per_day_bound = 334.0;
    for (delay, pre_vote, reps) in [
        // Seed 1 replication 0 (pre-vote off) and replication 18 (pre-vote
        // on) campaigned forever before the fix.
        ("exponential(3ms)", false, 4),
        ("exponential(3ms)", true, 24),
        ("uniform(4ms, 8ms)", false, 4),
    ] {
        let extra = format!(
            "timers = \"continuous\"\nelection-timeout = \"12ms\"\nheartbeat-interval = \"6ms\"\nnetwork-delay = \"{delay}\"\npre-vote = {pre_vote}\n"
        );
        let model = load("tight.toml", &etcd_model(5, Some(("30d", "1h")), &extra)).unwrap();
        let horizon = 365 * DAY;
        let mut total = 0u64;
        let mut worst = 0u64;
        for i in 0..reps {
            let opts = RepOptions {
                horizon,
                random_faults: true,
                injections: Vec::new(),
                trace: false,
            };
            // A budget of ten times the bound stops a livelock quickly.
            let budget = (10.0 * per_day_bound * 365.0) as u64;
            let out = Replication::new(&model, seed, i)
                .with_max_events(budget)
                .run(&opts)
                .0;
            assert!(
                out.overrun.is_none(),
                "seed {seed} replication {i} ({delay}, pre-vote {pre_vote}): {}",
                out.overrun.map(|o| o.to_string()).unwrap_or_default()
            );
            total += out.events;
            worst = worst.max(out.events);
        }
        let per_day = worst as f64 / 365.0;
        println!(
            "{delay}, pre-vote {pre_vote}: {reps} replication-years, mean {:.0} events per year, worst {worst} ({per_day:.1} per simulated day)",
            total as f64 / reps as f64
        );
        assert!(
            per_day < per_day_bound,
            "seed {seed} ({delay}, pre-vote {pre_vote}): {per_day:.1} events per simulated day, bound {per_day_bound}"
        );
    }
}

/// The derivation the next test checks. Continuous timers, pre-vote on,
/// a 5-member cluster whose leader crashes at a time uniform within its
/// heartbeat cycle, a constant one-way delay `d` and a constant WAL fsync
/// `f` on every member, timeouts uniform in [a, b).
///
/// The leader's last heartbeat left at `h`, U = crash - h ~ U(0, hb). It
/// reached the 4 followers at h + d, and each arms its timeout T_j there.
/// The first to fire, at h + d + T1 with T1 = min of 4 draws, is past
/// every other follower's lease (T1 >= a), so its pre-vote is granted
/// (2d), it persists its term and vote (f) and asks for votes, the voters
/// persist their votes (d + f + d), it appends an empty entry, and two
/// followers persist and acknowledge it (d + f + d; the leader's own write
/// runs in parallel). Writes are back after
///
///   D = T1 + 7d + 3f - U.
///
/// It loses only if a second follower fires within the round trip, before
/// the first candidate's vote request reaches it: with constant delays the
/// earlier request still reaches the other voters first, so the vote splits
/// only when two more followers fire within that window of about 2d + f,
/// with probability about 3 (w / (b - a))^2 (under 0.5% below).
///
/// With M the minimum of 4 uniforms on [0, 1), E[M] = 1/5, so
/// E[D] = a + (b - a)/5 + 7d + 3f - hb/2, and
/// P(D <= x) = (1/hb) * integral over u in [0, hb) of F1(x - 7d - 3f + u) du,
/// F1(t) = 1 - (1 - clamp((t - a)/(b - a), 0, 1))^4.
///
/// A member whose WAL fsync takes longer than the whole timeout range
/// (`slow-disks`) never wins: when it times out first it is granted its
/// pre-vote (no fsync) but persists its term for so long that the next
/// follower to time out, not yet asked for its vote, pre-votes, campaigns
/// and wins in the same term. T1 is then the minimum over the k = 3 fast
/// followers: E[D] = a + (b - a)/4 + 7d + 3f - hb/2, with power 3 in F1.
/// The slow member follows the new leader on its first append: one
/// election, one leader change.
struct Timing {
    /// Followers whose timeouts race (4, or 3 with one slow disk).
    k: i32,
    a: f64,
    b: f64,
    hb: f64,
    d: f64,
    f: f64,
}

impl Timing {
    fn cdf(&self, x: f64) -> f64 {
        let c = 7.0 * self.d + 3.0 * self.f;
        let steps = 4000;
        let mut sum = 0.0;
        for k in 0..steps {
            let u = (k as f64 + 0.5) / steps as f64 * self.hb;
            let t = ((x - c + u - self.a) / (self.b - self.a)).clamp(0.0, 1.0);
            sum += 1.0 - (1.0 - t).powi(self.k);
        }
        sum / steps as f64
    }
    fn quantile(&self, p: f64) -> f64 {
        let (mut lo, mut hi) = (0.0, 4.0 * self.b);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if self.cdf(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (lo + hi) / 2.0
    }
    fn mean(&self) -> f64 {
        self.a + (self.b - self.a) / f64::from(self.k + 1) + 7.0 * self.d + 3.0 * self.f
            - self.hb / 2.0
    }
    fn split_bound(&self) -> f64 {
        let w = 2.0 * self.d + self.f;
        3.0 * (w / (self.b - self.a)).powi(2)
    }
}

#[test]
fn time_to_leader_matches_the_derivation_for_a_range_of_timeouts() {
    let seed = 21;
    // 20 checks (a mean and three percentiles for five settings) at 99.9%
    // each: a correct model fails one of them with probability under 2%.
    // 20,000 replications of this seed matched every derived percentile
    // from 0.1% to 99% within 1%, the 99.9% tail showing the rare split
    // votes; 2,000 keep the test under a second.
    let reps: u64 = 2000;
    let z = 3.29;
    let ms = |x: f64| x / MS as f64;
    // (election-timeout, election-timeout-max, heartbeat, delay, fsync,
    // e2's slow fsync), ms.
    for (a, b, hb, d, f, slow) in [
        (150.0, 300.0, 75.0, 0.2, 0.0, 0.0),
        (12.0, 24.0, 6.0, 0.2, 0.0, 0.0),
        (100.0, 150.0, 50.0, 0.5, 2.0, 0.0),
        (1000.0, 2000.0, 100.0, 0.5, 1.0, 0.0),
        (150.0, 300.0, 75.0, 0.2, 0.0, 1000.0),
    ] {
        let mut fsync = if f > 0.0 {
            format!("wal-fsync = \"{f}ms\"\n")
        } else {
            String::new()
        };
        if slow > 0.0 {
            fsync.push_str(&format!(
                "slow-disks = [{{ member = \"e2\", wal-fsync = \"{slow}ms\" }}]\n"
            ));
        }
        let extra = format!(
            "timers = \"continuous\"\nelection-timeout = \"{a}ms\"\nelection-timeout-max = \"{b}ms\"\nheartbeat-interval = \"{hb}ms\"\nnetwork-delay = \"{d}ms\"\n{fsync}"
        );
        let model = load("timing.toml", &etcd_model(5, None, &extra)).unwrap();
        let mut dt: Vec<f64> = downtimes(&model, seed, reps, &[("e1", S, true)])
            .into_iter()
            .map(|x| x as f64)
            .collect();
        dt.sort_by(f64::total_cmp);
        let msf = MS as f64;
        let t = Timing {
            k: if slow > 0.0 { 3 } else { 4 },
            a: a * msf,
            b: b * msf,
            hb: hb * msf,
            d: d * msf,
            f: f * msf,
        };
        let n = dt.len() as f64;
        let mean = dt.iter().sum::<f64>() / n;
        let sd = (dt.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let half = z * sd / n.sqrt();
        let split = t.split_bound();
        // A split costs at most another round of at most b plus the round
        // trips; it raises the mean by at most split x 2b.
        let (lo, hi) = (t.mean() - half, t.mean() + half + split * 2.0 * t.b);
        println!(
            "[{a}, {b}) ms, hb {hb} ms, delay {d} ms, fsync {f} ms, e2's fsync {slow} ms: mean {:.2} ms (derived {:.2}, interval {:.2}..{:.2})",
            ms(mean), ms(t.mean()), ms(lo), ms(hi)
        );
        assert!(
            (lo..=hi).contains(&mean),
            "seed {seed}, [{a}, {b}) ms: mean {:.3} ms outside {:.3}..{:.3} ms",
            ms(mean),
            ms(lo),
            ms(hi)
        );
        // Percentiles: the empirical p-quantile lies between the derived
        // quantiles at p -/+ the binomial 99.9% half-width (split votes only
        // move mass upwards, by at most `split`).
        for p in [0.1, 0.5, 0.9] {
            let e = z * (p * (1.0 - p) / n).sqrt() + 1.0 / n;
            let got = dt[((n - 1.0) * p).round() as usize];
            let (qlo, qhi) = (t.quantile(p - e - split), t.quantile(p + e));
            println!(
                "  p{:.0}: {:.2} ms (derived {:.2}, interval {:.2}..{:.2})",
                100.0 * p,
                ms(got),
                ms(t.quantile(p)),
                ms(qlo),
                ms(qhi)
            );
            assert!(
                (qlo..=qhi).contains(&got),
                "seed {seed}, [{a}, {b}) ms: p{p} {:.3} ms outside {:.3}..{:.3} ms",
                ms(got),
                ms(qlo),
                ms(qhi)
            );
        }
    }
}

#[test]
fn election_timeout_range_is_checked_and_linted() {
    // An empty range is a located error naming the key.
    let text = etcd_model(
        3,
        None,
        "election-timeout = \"150ms\"\nelection-timeout-max = \"150ms\"\n",
    );
    let err = load("range.toml", &text).unwrap_err().to_string();
    assert!(
        err.contains("range.toml:") && err.contains("election-timeout-max"),
        "{err}"
    );
    let text = etcd_model(
        3,
        None,
        "slow-disks = [{ member = \"e9\", wal-fsync = \"20ms\" }]\n",
    );
    let err = load("disk.toml", &text).unwrap_err().to_string();
    assert!(
        err.contains("disk.toml:") && err.contains("`e9` is not a member"),
        "{err}"
    );
    let lints = |extra: &str| -> Vec<&'static str> {
        let m = load("lint.toml", &etcd_model(3, None, extra)).unwrap();
        m.clusters[0].kind.lint().iter().map(|l| l.id).collect()
    };
    // etcd's defaults (1000 ms against a sub-millisecond LAN) are quiet.
    assert!(lints("").is_empty(), "{:?}", lints(""));
    // 12 ms against 2-5 ms delays: under 10 round trips.
    assert_eq!(
        lints("timers = \"continuous\"\nelection-timeout = \"12ms\"\nheartbeat-interval = \"6ms\"\nnetwork-delay = \"uniform(2ms, 5ms)\"\n"),
        vec!["etcd-timeout-near-round-trip"]
    );
    // A slow disk counts in the round trip.
    assert_eq!(
        lints("slow-disks = [{ member = \"e3\", wal-fsync = \"uniform(40ms, 80ms)\" }]\n"),
        vec!["etcd-timeout-near-round-trip"]
    );
    // Randomization off, or a range narrower than a round trip.
    assert_eq!(
        lints("randomized = false\n"),
        vec!["etcd-timeouts-not-randomized"]
    );
    assert_eq!(
        lints("timers = \"continuous\"\nelection-timeout-max = \"1000.5ms\"\nnetwork-delay = \"1ms\"\n"),
        vec!["etcd-timeouts-not-randomized"]
    );
}

/// Runs replication `i` of `model` with `faults` and its timeline; returns
/// the cluster's lines.
fn timeline(model: &Model, seed: u64, i: u64, faults: &[(&str, Nanos)]) -> Vec<String> {
    let injections = faults
        .iter()
        .map(|(name, at)| Injection {
            element: model.elements.iter().position(|e| e.name == *name).unwrap(),
            at: *at,
            down: true,
        })
        .collect();
    let opts = RepOptions {
        horizon: 60 * S,
        random_faults: false,
        injections,
        trace: true,
    };
    let (_, trace) = Replication::new(model, seed, i).run(&opts);
    trace
        .unwrap()
        .entries
        .into_iter()
        .filter(|e| e.layer == "cluster" && e.subject == "etcd")
        .map(|e| e.what)
        .collect()
}

/// A follower whose WAL fsync (1 s) is longer than the whole timeout range
/// [150, 300) ms, in a cluster whose leader crashes. Documented timeline
/// (the derivation above): when the slow member times out first, it is
/// granted its pre-vote but its vote requests wait for its WAL, so the
/// next follower to time out is elected; in every case there is exactly
/// one election, never won by the slow member, and its late answers
/// (an older or equal term) change nothing.
#[test]
fn a_follower_with_a_disk_slower_than_the_election_timeout_costs_one_election() {
    let seed = 22;
    let extra = "timers = \"continuous\"\nelection-timeout = \"150ms\"\nelection-timeout-max = \"300ms\"\nheartbeat-interval = \"75ms\"\nnetwork-delay = \"0.2ms\"\nslow-disks = [{ member = \"e2\", wal-fsync = \"1s\" }]\n";
    let model = load("slow.toml", &etcd_model(5, None, extra)).unwrap();
    let mut slow_first = 0;
    for i in 0..200 {
        let lines = timeline(&model, seed, i, &[("e1", S)]);
        let wins: Vec<&String> = lines
            .iter()
            .filter(|l| l.contains("wins the election"))
            .collect();
        assert_eq!(wins.len(), 1, "seed {seed} replication {i}: {lines:#?}");
        assert!(
            !wins[0].starts_with("e2 "),
            "seed {seed} replication {i}: {lines:#?}"
        );
        assert!(
            !lines.iter().any(|l| l.contains("steps down")),
            "seed {seed} replication {i}: {lines:#?}"
        );
        if lines.iter().position(|l| l.contains("campaigns"))
            == lines.iter().position(|l| l.starts_with("e2 campaigns"))
        {
            slow_first += 1;
        }
    }
    // The slow member times out first in about a quarter of the elections
    // (one of four racing followers): the case the test is about happened.
    println!("the slow member campaigned first in {slow_first} of 200");
    assert!(
        (25..=75).contains(&slow_first),
        "seed {seed}: {slow_first} of 200"
    );
}

/// The livelock's exit, as a timeline: with pre-vote off and jittery
/// delays, some replications of the reproducer have a member at a newer
/// term when the new leader's first append arrives; the leader then steps
/// down and one more election ends the transient with a single leader.
#[test]
fn a_leader_that_hears_a_newer_term_steps_down_and_the_next_election_ends() {
    let seed = 23;
    let extra = "timers = \"continuous\"\nelection-timeout = \"12ms\"\nheartbeat-interval = \"6ms\"\nnetwork-delay = \"exponential(3ms)\"\npre-vote = false\n";
    let model = load("tight.toml", &etcd_model(5, None, extra)).unwrap();
    let mut seen = 0;
    for i in 0..200 {
        let lines = timeline(&model, seed, i, &[("e1", S)]);
        let last_win = lines.iter().rposition(|l| l.contains("wins the election"));
        assert!(
            last_win.is_some(),
            "seed {seed} replication {i}: no leader: {lines:#?}"
        );
        if lines.iter().any(|l| l.contains("steps down")) {
            seen += 1;
            // After the step-down a later election is won.
            let down = lines
                .iter()
                .rposition(|l| l.contains("steps down"))
                .unwrap();
            assert!(
                last_win.unwrap() > down,
                "seed {seed} replication {i}: {lines:#?}"
            );
        }
        // The transient ends with writes possible: the last stall is
        // followed by a leader with a majority. A follower whose timer fires
        // just after that (before the leader's first append reached it) may
        // still campaign in the leader's term; the append of that same term
        // turns it back into a follower (Raft paper section 5.2), so writes
        // are not lost again and nothing more is traced.
        let stall = lines.iter().rposition(|l| l.contains("writes stall"));
        let back = lines
            .iter()
            .rposition(|l| l.contains("writes possible again"));
        assert!(
            back.is_some() && back > stall,
            "seed {seed} replication {i}: {lines:#?}"
        );
        assert!(
            lines[back.unwrap()..]
                .iter()
                .all(|l| !l.contains("wins the election") && !l.contains("steps down")),
            "seed {seed} replication {i}: {lines:#?}"
        );
    }
    println!("{seen} of 200 replications had a leader step down on a newer term");
    assert!(seen > 0, "seed {seed}: the step-down path never ran");
}
