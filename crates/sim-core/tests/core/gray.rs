//! Gray failures: degradations that leave members up but slow, and each
//! protocol's reaction through its real timers, against the timelines its
//! documentation gives.

use sim_core::analysis;
use sim_core::model::load;
use sim_core::sim::{RepOutcome, Trace};
use sim_core::time::{Nanos, NANOS_PER_HOUR, NANOS_PER_SEC};

const S: Nanos = NANOS_PER_SEC;

/// Replication 0 of `model` for `horizon`, with its timeline.
fn traced(text: &str, seed: u64, horizon: Nanos) -> (sim_core::Model, RepOutcome, Trace) {
    let model = load("gray.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let (o, t) = analysis::trace_replication(&model, seed, 0, horizon, 1_000_000)
        .expect("stays within its event budget");
    (model, o, t)
}

/// When the timeline first says something containing `what`.
fn first(trace: &Trace, what: &str) -> Option<Nanos> {
    trace
        .entries
        .iter()
        .find(|e| e.what.contains(what))
        .map(|e| e.time_ns)
}

fn cluster(model: &sim_core::Model, name: &str) -> usize {
    model.clusters.iter().position(|c| c.name == name).unwrap()
}

fn service(model: &sim_core::Model, name: &str) -> usize {
    model.services.iter().position(|s| s.name == name).unwrap()
}

/// Three Patroni nodes on their own hosts behind one switch, over a
/// three-member etcd on other hosts behind a switch of their own. No
/// element fails; `deg_pg` and `deg_etcd` are `degradations` entries for
/// the primary's host and the etcd switch.
fn patroni_model(deg_pg: &str, deg_etcd: &str, extra: &str) -> String {
    format!(
        r#"
[model]
name = "gray-patroni"

[switches.sw-pg]
[switches.sw-etcd]
{deg_etcd}

[hosts.pg-1]
requires = "sw-pg"
{deg_pg}
[hosts.pg-2]
requires = "sw-pg"
[hosts.pg-3]
requires = "sw-pg"
[hosts.e-1]
requires = "sw-etcd"
[hosts.e-2]
requires = "sw-etcd"
[hosts.e-3]
requires = "sw-etcd"

[clusters.etcd]
kind = "etcd"
members = ["e-1", "e-2", "e-3"]

[clusters.pg]
kind = "patroni"
members = ["pg-1", "pg-2", "pg-3"]
dcs = "etcd.quorum"
{extra}

[services.writes]
requires = "pg.writes"
"#
    )
}

/// A 20 s delay on the primary's host from 3603 s: Patroni's defaults
/// (ttl 30 s, loop_wait 10 s, retry_timeout 10 s) and a loop that started
/// at 0, so the last renewal that landed was at 3600 s. The renewal of the
/// loop at 3610 s times out at 3620 s and the primary demotes itself; the
/// key expires at 3600 + ttl = 3630 s and a replica is promoted while the
/// old primary still runs.
const PRIMARY_DELAY: &str =
    r#"degradations = [{ kind = "delay", every = "3603s", duration = "2m", delay = "20s" }]"#;

#[test]
fn patroni_primary_with_delayed_dcs_updates_is_failed_over_at_ttl_after_its_last_renewal() {
    for seed in [1, 2, 3] {
        let (model, o, t) = traced(
            &patroni_model(PRIMARY_DELAY, "", ""),
            seed,
            2 * NANOS_PER_HOUR,
        );
        let pg = cluster(&model, "pg");
        assert_eq!(
            first(&t, "renewals fail"),
            Some(3603 * S),
            "seed {seed}: {t:#?}"
        );
        assert_eq!(
            first(&t, "demoted to read-only"),
            Some(3620 * S),
            "seed {seed}"
        );
        assert_eq!(
            first(&t, "leader key expired"),
            Some(3630 * S),
            "seed {seed}"
        );
        assert_eq!(o.gray[pg].false_failovers, 1, "seed {seed}: {t:#?}");
        // Writes are down from the demotion until the promotion (2-5 s
        // after the race at 3630 s).
        let w = &o.services[service(&model, "writes")];
        assert_eq!(w.outages, 1, "seed {seed}");
        assert!(
            (12 * S..=15 * S).contains(&w.downtime),
            "seed {seed}: writes down {} ns",
            w.downtime
        );
        assert_eq!(o.gray[pg].downtime, w.downtime, "seed {seed}");
        // A false failover's outage is not a recovery after a failure.
        assert!(w.recoveries.is_empty(), "seed {seed}");
    }
}

/// A delay on the etcd hosts' switch: every member's DCS requests time out,
/// so nobody can take the key. Without `failsafe_mode` the primary demotes
/// itself at its next loop + retry_timeout (3620 s); with it the primary
/// still reaches every member's REST API and keeps running.
#[test]
fn patroni_failsafe_mode_keeps_a_primary_that_sees_every_member() {
    let deg =
        r#"degradations = [{ kind = "delay", every = "3603s", duration = "2m", delay = "20s" }]"#;
    for seed in [1, 2] {
        let (model, o, t) = traced(&patroni_model("", deg, ""), seed, 2 * NANOS_PER_HOUR);
        let pg = cluster(&model, "pg");
        assert_eq!(
            first(&t, "demoted to read-only"),
            Some(3620 * S),
            "seed {seed}"
        );
        assert_eq!(o.gray[pg].false_failovers, 0, "seed {seed}");
        assert!(o.services[0].downtime > 100 * S, "seed {seed}: {t:#?}");

        let (model, o, t) = traced(
            &patroni_model("", deg, "failsafe_mode = true"),
            seed,
            2 * NANOS_PER_HOUR,
        );
        let pg = cluster(&model, "pg");
        assert_eq!(
            first(&t, "leader key expired"),
            Some(3630 * S),
            "seed {seed}"
        );
        assert_eq!(first(&t, "demoted"), None, "seed {seed}: {t:#?}");
        assert_eq!(o.gray[pg].false_failovers, 0, "seed {seed}");
        assert_eq!(o.services[0].downtime, 0, "seed {seed}");
    }
}

/// `failsafe_mode` does not help a primary whose own network is slow: its
/// `POST /failsafe` calls time out after 2 s too.
#[test]
fn patroni_failsafe_mode_does_not_keep_a_primary_that_cannot_reach_the_members() {
    let (model, o, t) = traced(
        &patroni_model(PRIMARY_DELAY, "", "failsafe_mode = true"),
        5,
        2 * NANOS_PER_HOUR,
    );
    assert_eq!(first(&t, "demoted to read-only"), Some(3620 * S));
    assert_eq!(o.gray[cluster(&model, "pg")].false_failovers, 1);
}

/// A delay within `retry_timeout` is ridden out: the renewals land late but
/// within ttl (the documented rule loop_wait + 2 * retry_timeout <= ttl).
#[test]
fn patroni_rides_out_a_delay_shorter_than_retry_timeout() {
    let deg =
        r#"degradations = [{ kind = "delay", every = "3603s", duration = "5m", delay = "4s" }]"#;
    let (model, o, t) = traced(&patroni_model(deg, "", ""), 1, 2 * NANOS_PER_HOUR);
    assert_eq!(first(&t, "renewals fail"), None, "{t:#?}");
    assert_eq!(o.gray[cluster(&model, "pg")].false_failovers, 0);
    assert_eq!(o.services[0].downtime, 0);
}

/// A paused primary (a stalled VM) sends nothing: the key expires ttl after
/// its last renewal and a replica takes over; when the pause ends the old
/// primary runs as a second primary until its next loop finds the key
/// taken, a split brain shorter than loop_wait.
#[test]
fn patroni_paused_primary_is_failed_over_and_splits_brain_until_its_next_loop() {
    let deg = r#"degradations = [{ kind = "pause", every = "3603s", duration = "45s" }]"#;
    let (model, o, t) = traced(&patroni_model(deg, "", ""), 1, 2 * NANOS_PER_HOUR);
    let pg = cluster(&model, "pg");
    assert_eq!(first(&t, "leader key expired"), Some(3630 * S), "{t:#?}");
    assert_eq!(first(&t, "demoted to read-only"), None);
    assert_eq!(o.gray[pg].false_failovers, 1);
    // Resumes at 3648 s; its loop grid is 3600 + 10k: next loop at 3650 s.
    assert_eq!(o.gray[pg].split_brain, 2 * S, "{t:#?}");
}

/// Two keepalived routers (priorities 150 and 100, advert_int 1 s) on
/// hosts behind one switch; `deg` is the master's degradations entry.
fn vrrp_model(deg: &str) -> String {
    format!(
        r#"
[model]
name = "gray-vrrp"

[switches.sw]
[hosts.r-1]
requires = "sw"
{deg}
[hosts.r-2]
requires = "sw"

[clusters.vip]
kind = "vrrp"
members = ["r-1", "r-2"]
priority = [150, 100]

[services.front]
requires = "vip"
"#
    )
}

/// Adverts 5 s late: the backup's Master_Down_Interval is 3 x 1 s +
/// (256 - 100)/256 s = 3.609375 s after the last advert that arrived in
/// time (sent at L), the next one arrives at L + 1 s + 5 s, so the backup
/// is MASTER beside the old one for 1 + 5 - 3.609375 = 2.390625 s (RFC
/// 5798 6.4.2, 6.4.3), once, whatever the advert phase.
#[test]
fn vrrp_delayed_adverts_cause_one_flap_and_a_split_brain_of_the_documented_length() {
    let deg = r#"degradations = [{ kind = "delay", every = "1h", duration = "1m", delay = "5s" }]"#;
    let split = S + 5 * S - (3 * S + (256 - 100) * S / 256);
    for seed in [1, 2, 3, 4] {
        let (model, o, t) = traced(&vrrp_model(deg), seed, 2 * NANOS_PER_HOUR - 1);
        let vip = cluster(&model, "vip");
        assert_eq!(o.gray[vip].flaps, 1, "seed {seed}: {t:#?}");
        assert_eq!(o.gray[vip].split_brain, split, "seed {seed}: {t:#?}");
        // The VIP is unreliable (two masters) for exactly that long.
        assert_eq!(o.services[0].downtime, split, "seed {seed}");
        assert_eq!(o.gray[vip].downtime, split, "seed {seed}");
        assert_eq!(o.services[0].outages, 1, "seed {seed}");
    }
    // A delay the timer absorbs (advert_int + delay < MDI) changes nothing.
    let short =
        r#"degradations = [{ kind = "delay", every = "1h", duration = "1m", delay = "2s" }]"#;
    let (model, o, _) = traced(&vrrp_model(short), 1, 2 * NANOS_PER_HOUR - 1);
    assert_eq!(o.gray[cluster(&model, "vip")].flaps, 0);
    assert_eq!(o.services[0].downtime, 0);
}

/// The timer trade-off on the bundled model: as `ttl` grows, false
/// failovers (delay spikes outlasting the key) fall and the recovery time
/// after real failures (ttl - U(0, loop_wait) + promotion) rises. Each
/// direction is asserted between settings whose 95% intervals separate,
/// and the shortest and longest ttl must separate on both.
/// Patroni 3.2+ runs its own check of the timers (patroni/config.py
/// `_validate_and_adjust_timeouts`): raise loop_wait to 1 s and
/// retry_timeout to 3 s at least, then fit loop_wait + 2 x retry_timeout
/// into ttl by lowering loop_wait, or, when even a 1 s loop does not fit,
/// by setting loop_wait to 1 s and retry_timeout to (ttl - 1 s) / 2 in
/// whole seconds.
#[test]
fn patroni_adjusts_timers_that_break_its_rule_as_patroni_3_2_does() {
    use sim_core::protocols::patroni::adjust_timeouts;
    // The defaults fit a 30 s ttl and stay.
    assert_eq!(adjust_timeouts(30 * S, 10 * S, 10 * S), (10 * S, 10 * S));
    // ttl 25 s: the loop shrinks to 25 - 2 x 10 = 5 s.
    assert_eq!(adjust_timeouts(25 * S, 10 * S, 10 * S), (5 * S, 10 * S));
    // ttl 20 s: 1 + 2 x 10 > 20, so loop 1 s and retry (20 - 1) // 2 = 9 s.
    assert_eq!(adjust_timeouts(20 * S, 10 * S, 10 * S), (S, 9 * S));
    // ttl 21 s: 1 + 2 x 10 = 21 fits with a 1 s loop, so only the loop moves.
    assert_eq!(adjust_timeouts(21 * S, 10 * S, 10 * S), (S, 10 * S));
    // Below the minimums, both are raised first.
    assert_eq!(adjust_timeouts(30 * S, 0, S), (S, 3 * S));
}

/// The `patroni-ttl-too-short` warning `hasim validate` gives the model.
fn ttl_lint(model: &sim_core::Model, text: &str) -> sim_core::model::Diagnostic {
    let src = sim_core::model::Source {
        name: "gray-patroni.toml",
        text,
    };
    analysis::lint(model, &src)
        .into_iter()
        .find(|d| d.id == Some("patroni-ttl-too-short"))
        .expect("the rule is broken as written")
}

/// The same 20 s delay on the primary's host as above, with ttl 20 s and
/// the default loop_wait 10 s / retry_timeout 10 s. Patroni 3.2+ (the
/// default here) runs loop_wait 1 s and retry_timeout 9 s: the primary's
/// loop fails to renew from 3603 s, it demotes itself 9 s into that
/// renewal, and the key expires ttl after the last renewal that landed, in
/// [3602 s, 3603 s], so writes are down for 10 s before a replica is even
/// allowed to race. Patroni 3.1 runs the values as written: the loop at
/// 3610 s times out at 3620 s, the very instant the key renewed at 3600 s
/// expires, so the demotion and the expiry coincide.
#[test]
fn patroni_ttl_20s_runs_the_adjusted_timers_unless_the_version_is_older_than_3_2() {
    for seed in [1, 2, 3] {
        let text = patroni_model(PRIMARY_DELAY, "", "ttl = \"20s\"");
        let (model, o, t) = traced(&text, seed, 2 * NANOS_PER_HOUR);
        let pg = cluster(&model, "pg");
        let demoted = first(&t, "demoted to read-only").expect("a demotion");
        let expired = first(&t, "leader key expired").expect("an expiry");
        assert!(
            (3612 * S..=3613 * S).contains(&demoted),
            "seed {seed}: demoted at {demoted} ns: {t:#?}"
        );
        assert!(
            (3622 * S..=3623 * S).contains(&expired),
            "seed {seed}: key expired at {expired} ns"
        );
        assert_eq!(o.gray[pg].false_failovers, 1, "seed {seed}");
        let l = ttl_lint(&model, &text);
        assert!(
            l.message
                .contains("adjusts it to loop_wait 1s and retry_timeout 9s"),
            "{}",
            l.message
        );

        let old = patroni_model(PRIMARY_DELAY, "", "ttl = \"20s\"\nversion = \"3.1\"");
        let (model, o, t) = traced(&old, seed, 2 * NANOS_PER_HOUR);
        assert_eq!(
            first(&t, "leader key expired"),
            Some(3620 * S),
            "seed {seed}: {t:#?}"
        );
        assert_eq!(o.gray[pg].false_failovers, 1, "seed {seed}");
        let l = ttl_lint(&model, &old);
        assert!(l.message.contains("can expire"), "{}", l.message);
    }
}

#[test]
fn patroni_ttl_sweep_trades_false_failovers_against_recovery_time() {
    use sim_core::runner::{run, summarize, RunOptions};
    let text = include_str!("../../../../models/patroni-delay-spikes.toml");
    let seed = 17;
    let opts = RunOptions {
        seed,
        replications: 30,
        ..RunOptions::default()
    };
    let mut points = Vec::new();
    for ttl in ["30s", "45s", "60s"] {
        let t = text.replace("ttl = \"30s\"", &format!("ttl = \"{ttl}\""));
        let model = load("patroni-delay-spikes.toml", &t).unwrap();
        let acc = run(&model, &opts).unwrap();
        let r = summarize(&model, &acc, opts.horizon);
        let pg = r.clusters.iter().find(|c| c.name == "pg").unwrap();
        let ff = pg
            .gray
            .as_ref()
            .expect("degradations reach pg")
            .false_failovers_per_year;
        let rec = &r.services[0].recovery_seconds;
        let rec = (rec.p50.unwrap(), rec.p50_ci95.unwrap());
        points.push((ttl, ff, rec));
    }
    let (first, last) = (&points[0], &points[points.len() - 1]);
    let ci = |e: &sim_core::stats::Estimate| e.ci95.expect("an interval");
    assert!(
        ci(&first.1)[0] > ci(&last.1)[1],
        "seed {seed}: false failovers/yr at ttl {} {:?} vs {} {:?}",
        first.0,
        first.1,
        last.0,
        last.1
    );
    assert!(
        first.2 .1[1] < last.2 .1[0],
        "seed {seed}: recovery p50 at ttl {} {:?} vs {} {:?}",
        first.0,
        first.2,
        last.0,
        last.2
    );
    for w in points.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if ci(&a.1)[1] < ci(&b.1)[0] {
            panic!(
                "seed {seed}: false failovers rose from ttl {} to {}: {:?} -> {:?}",
                a.0, b.0, a.1, b.1
            );
        }
        if a.2 .1[0] > b.2 .1[1] {
            panic!(
                "seed {seed}: recovery fell from ttl {} to {}: {:?} -> {:?}",
                a.0, b.0, a.2, b.2
            );
        }
    }
}
