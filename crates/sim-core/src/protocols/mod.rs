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
//! - [`proxmox`]: Proxmox VE HA: corosync quorum with an optional QDevice,
//!   watchdog self-fencing, agent-lock expiry before recovery, HA groups and
//!   VM placement on hosts with room (`kind = "proxmox-ha"`).
//! - [`patroni`]: Patroni leader key over a DCS (ttl, loop_wait,
//!   retry_timeout), leader race, synchronous mode, failsafe mode, and a
//!   plain primary/replica pair promoted by hand (`kind = "patroni"`,
//!   `kind = "postgres-manual"`).
//! - [`longhorn`]: Longhorn volumes (one, or several sharing the nodes):
//!   replicas, replenishment wait, rebuilds behind the per-node concurrent
//!   rebuild limit, Degraded/Faulted states, auto-salvage and restore from
//!   backup, data loss per volume (`kind = "longhorn"`).
//! - [`kubernetes`]: Deployments and StatefulSets: node-monitor grace period,
//!   NoExecute eviction after `tolerationSeconds`, scheduling with requests,
//!   capacity and pod anti-affinity, RWO volume detach, Recreate and
//!   RollingUpdate rollouts (`kind = "deployment"`, `kind = "statefulset"`).
//!
//! Every default cites its source; HA-FACTS.md (shared with the project)
//! collects most of them.

pub mod etcd;
pub mod failover;
pub mod haproxy;
pub mod kubernetes;
pub mod longhorn;
pub mod patroni;
pub mod proxmox;
pub mod quorum;
pub mod vrrp;

/// The kinds hasim ships, in the order the docs list them. Adding a kind is
/// its file above plus one line here; a library user registers theirs on a
/// clone of this registry instead.
pub fn builtin() -> &'static crate::cluster::Registry {
    static BUILTIN: std::sync::OnceLock<crate::cluster::Registry> = std::sync::OnceLock::new();
    BUILTIN.get_or_init(|| {
        let mut r = crate::cluster::Registry::default();
        for spec in [
            quorum::SPEC,
            failover::SPEC,
            etcd::SPEC,
            vrrp::SPEC,
            haproxy::SPEC,
            proxmox::SPEC,
            patroni::PATRONI_SPEC,
            patroni::POSTGRES_MANUAL_SPEC,
            longhorn::SPEC,
            kubernetes::DEPLOYMENT_SPEC,
            kubernetes::STATEFULSET_SPEC,
        ] {
            r.register(spec);
        }
        r
    })
}

use crate::model::diag::Diagnostic;
use crate::model::fields::Fields;
use crate::model::tree::Kind;
use crate::time::Nanos;

/// Reads `key` as one value for every member or a list with one value per
/// member, converting each with `one` (which reports its own located error).
fn per_member<T: Clone>(
    f: &mut Fields<'_, '_>,
    key: &str,
    n: usize,
    one: impl Fn(&Fields<'_, '_>, &crate::model::tree::Value) -> Result<T, Diagnostic>,
) -> Result<Option<Vec<T>>, Diagnostic> {
    let Some(v) = f.raw(key) else {
        return Ok(None);
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
            items
                .iter()
                .map(|x| one(f, x))
                .collect::<Result<_, _>>()
                .map(Some)
        }
        _ => Ok(Some(vec![one(f, v)?; n])),
    }
}

/// Reads `key` as either one integer (applied to every member) or a list of
/// integers, one per member, each in `min..=max`.
/// A software version as `(major, minor)`: "1.32", "v1.32", "1.32.4",
/// "v1.32.4+k3s1" and "3.2.0" all read as their first two numbers. `None`
/// when it is not one.
pub fn parse_version(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    let s = s.strip_prefix('v').unwrap_or(s);
    let mut parts = s.split(['.', '+', '-']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// Reads a kind's optional `version` key (the upstream release whose
/// defaults and rules the model follows), with a located error naming the
/// software and an example when it is not a version.
pub(crate) fn version(
    f: &mut Fields<'_, '_>,
    software: &str,
    example: &str,
) -> Result<Option<(u32, u32)>, Diagnostic> {
    match f.string("version")? {
        None => Ok(None),
        Some((s, v)) => parse_version(s).map(Some).ok_or_else(|| {
            f.src
                .error(
                    v.span.clone(),
                    format!("`{}.version` `{s}` is not a {software} version", f.path),
                )
                .with_help(format!("write the minor version, for example {example}"))
        }),
    }
}

pub(crate) fn per_member_ints(
    f: &mut Fields<'_, '_>,
    key: &str,
    n: usize,
    min: i64,
    max: i64,
) -> Result<Option<Vec<i64>>, Diagnostic> {
    per_member(f, key, n, |f, x| match x.kind {
        Kind::Int(i) if (min..=max).contains(&i) => Ok(i),
        _ => Err(f.src.error(
            x.span.clone(),
            format!("`{}.{key}` takes integers from {min} to {max}", f.path),
        )),
    })
}

/// Reads the `name` of a list entry (Proxmox `vms`, Longhorn `volumes`):
/// required, and usable as an output name (letters, digits, `-`, `_`).
/// `what` names the entry in messages ("VM"), `example` is shown when the
/// name is missing.
pub(crate) fn entry_name<'t>(
    vf: &mut Fields<'t, '_>,
    what: &str,
    example: &str,
) -> Result<(&'t str, &'t crate::model::tree::Value), Diagnostic> {
    let (name, v) = vf
        .string("name")?
        .ok_or_else(|| vf.missing("name", example))?;
    if name.is_empty()
        || !name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err(vf
            .src
            .error(
                v.span.clone(),
                format!("`{name}` is not a valid {what} name"),
            )
            .with_help("use letters, digits, `-` and `_`"));
    }
    Ok((name, v))
}

/// The index of member `name` in `members`, or an error at `at` listing
/// the members.
pub(crate) fn member_index(
    f: &Fields<'_, '_>,
    members: &[String],
    name: &str,
    at: &crate::model::tree::Value,
) -> Result<usize, Diagnostic> {
    members.iter().position(|m| m == name).ok_or_else(|| {
        f.src
            .error(
                at.span.clone(),
                format!("`{name}` is not a member of this cluster"),
            )
            .with_help(format!("members: {}", members.join(", ")))
    })
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
pub(crate) fn name(cx: &crate::cluster::ClusterCx<'_>, i: usize) -> String {
    if cx.tracing() {
        cx.member_name(i).to_string()
    } else {
        String::new()
    }
}

/// A uniform draw in [0, max) (0 when `max` is 0).
pub(crate) fn below(cx: &mut crate::cluster::ClusterCx<'_>, max: Nanos) -> Nanos {
    if max == 0 {
        0
    } else {
        cx.rng().below(max)
    }
}

pub(crate) use crate::units::{parse_bytes, parse_millicores};

/// Reads `key` as one quantity or a list with one per member, each parsed
/// by `parse` from a string (or an integer / float, written as text first).
pub(crate) fn per_member_quantity(
    f: &mut Fields<'_, '_>,
    key: &str,
    n: usize,
    what: &str,
    parse: fn(&str) -> Option<u64>,
) -> Result<Option<Vec<u64>>, Diagnostic> {
    per_member(f, key, n, |f, x| {
        let text = match &x.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(x) => Some(x.to_string()),
            _ => None,
        };
        text.as_deref().and_then(parse).ok_or_else(|| {
            f.src.error(
                x.span.clone(),
                format!("`{}.{key}` should be {what}", f.path),
            )
        })
    })
}

/// Reads one quantity (see [`per_member_quantity`]).
pub(crate) fn quantity(
    f: &mut Fields<'_, '_>,
    key: &str,
    what: &str,
    parse: fn(&str) -> Option<u64>,
) -> Result<Option<u64>, Diagnostic> {
    if let Some(v) = f.raw(key) {
        if matches!(v.kind, Kind::Array(_)) {
            return Err(f.src.error(
                v.span.clone(),
                format!("`{}.{key}` should be {what}", f.path),
            ));
        }
    }
    Ok(per_member_quantity(f, key, 1, what, parse)?.map(|v| v[0]))
}

/// Bytes: `parse_bytes` for [`quantity`].
pub(crate) const BYTES: &str = "a byte size such as \"10Gi\", \"512Mi\" or \"100MB\"";
/// Millicores: `parse_millicores` for [`quantity`].
pub(crate) const CPU: &str = "a CPU quantity such as \"500m\" or 2";
