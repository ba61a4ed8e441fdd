//! Protocol models: cluster kinds that play out the real timers of the
//! software they stand for, only while a fault touches them (DESIGN.md
//! principle 1).
//!
//! - [`etcd`]: Raft leader election with pre-vote, check-quorum and the
//!   leader lease, message by message, with etcd's tick-based randomized
//!   election timeouts (`kind = "etcd"`).
//! - [`vrrp`]: keepalived / VRRP master election with skew time, preemption,
//!   graceful priority-0 hand-over, `vrrp_script` tracking weights and split
//!   brain under partition (`kind = "vrrp"`).
//! - [`haproxy`]: HAProxy health checks, `inter`/`fastinter`/`downinter`
//!   with `fall`/`rise`, and the share of traffic still sent to a dead server
//!   until it is marked DOWN (`kind = "haproxy"`).
//!
//! Every default cites its source; HA-FACTS.md (shared with the project)
//! collects most of them.

pub mod etcd;
pub mod haproxy;
pub mod vrrp;

use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::model::tree::Kind;
use crate::time::Nanos;

/// Reads `key` as either one integer (applied to every member) or a list of
/// integers, one per member, each in `min..=max`.
pub(crate) fn per_member_ints(
    f: &mut Fields<'_, '_>,
    key: &str,
    n: usize,
    min: i64,
    max: i64,
) -> Result<Option<Vec<i64>>, Diagnostic> {
    let Some(v) = f.raw(key) else {
        return Ok(None);
    };
    let one = |x: &crate::model::tree::Value| match x.kind {
        Kind::Int(i) if (min..=max).contains(&i) => Ok(i),
        _ => Err(f.src.error(
            x.span.clone(),
            format!("`{}.{key}` takes integers from {min} to {max}", f.path),
        )),
    };
    match &v.kind {
        Kind::Array(items) => {
            if items.len() != n {
                return Err(f.src.error(
                    v.span.clone(),
                    format!(
                        "`{key}` has {} entries but there are {n} members",
                        items.len()
                    ),
                ));
            }
            items.iter().map(one).collect::<Result<_, _>>().map(Some)
        }
        _ => Ok(Some(vec![one(v)?; n])),
    }
}

/// The first grid point `phase + k * period` strictly after `t`.
pub(crate) fn next_on_grid(phase: Nanos, period: Nanos, t: Nanos) -> Nanos {
    if t < phase {
        phase
    } else {
        phase + ((t - phase) / period + 1) * period
    }
}

/// The last grid point `phase + k * period` at or before `t` (or `t` itself
/// if the grid has not started yet).
pub(crate) fn last_on_grid(phase: Nanos, period: Nanos, t: Nanos) -> Nanos {
    if t < phase {
        t
    } else {
        phase + ((t - phase) / period) * period
    }
}

/// Member `i`'s name for the timeline (empty when no timeline is recorded,
/// so transients outside scenarios do not allocate).
pub(crate) fn name(cx: &crate::component::ClusterCx<'_>, i: usize) -> String {
    if cx.tracing() {
        cx.member_name(i).to_string()
    } else {
        String::new()
    }
}
