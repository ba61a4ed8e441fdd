//! The mean time to a service's first outage, from everything new.
//!
//! Where the service reads few parts, the parts' up/down states form a
//! continuous-time Markov chain whose states with the service down are
//! absorbing; the mean time to absorption from "every part up" solves one
//! linear system over the states with the service up (the standard
//! mean-time-to-absorption equations of an absorbing chain, e.g. Trivedi,
//! "Probability and Statistics with Reliability, Queuing, and Computer
//! Science Applications", 2nd ed., section 8.5): for every up state s,
//! `q(s) m(s) - sum over up states s' of q(s, s') m(s') = 1`, where q(s)
//! is the total rate out of s. The chain is exact when failure and repair
//! times are exponential; otherwise each time is replaced by an exponential
//! of the same mean, and the result says so.
//!
//! Where the chain would be too large, the result is the steady-state mean
//! up time, availability over outage frequency (exact for any
//! distributions, since both are). It equals the mean time to first outage
//! when outages are rare against repairs, and the result names which one it
//! is.

use super::bdd::{Bdd, NodeId};
use super::Part;
use crate::dist::Dist;
use crate::model::compile::{FailureMode, Model};
use crate::time::NANOS_PER_YEAR;

/// The chain is built when the service reads at most this many parts
/// (2^14 states to classify) ...
pub const MAX_CHAIN_PARTS: usize = 14;
/// ... and has at most this many states with the service up (the unknowns
/// of a dense linear system: 400^3 / 3 is about 21 million operations, a
/// few milliseconds).
pub const MAX_UP_STATES: usize = 400;

/// How the mean time to first outage was found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum FirstOutageMethod {
    /// The absorbing chain over the parts the service reads.
    AbsorbingChain {
        parts: usize,
        up_states: usize,
        /// False when some time is not exponential or repairs queue for a
        /// crew (then the chain is an approximation).
        exact: bool,
    },
    /// Availability over outage frequency: the steady-state mean up time.
    MeanUpTime,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FirstOutage {
    pub mean_seconds: f64,
    #[serde(flatten)]
    pub method: FirstOutageMethod,
}

impl FirstOutage {
    /// The sentence the reports show after a service's figures.
    pub fn describe(&self) -> String {
        match &self.method {
            FirstOutageMethod::AbsorbingChain {
                parts,
                up_states,
                exact,
            } => format!(
                "from everything up (absorbing Markov chain over {parts} part{}, {up_states} up state{}{})",
                if *parts == 1 { "" } else { "s" },
                if *up_states == 1 { "" } else { "s" },
                if *exact {
                    ""
                } else {
                    "; times taken as exponential of the same means, crew queues as shared repair"
                }
            ),
            FirstOutageMethod::MeanUpTime => format!(
                "taken as the steady-state mean up time, availability over outage frequency (too many parts for the absorbing chain: over {MAX_CHAIN_PARTS}, or over {MAX_UP_STATES} up states); close to it when outages are rare against repairs"
            ),
        }
    }
}

/// The rates (per year) of one part: failure while up, repair while down.
fn rates(fm: &FailureMode) -> (f64, f64, bool) {
    let y = NANOS_PER_YEAR as f64;
    let (every, repair) = (fm.every.mean().max(1.0), fm.repair.mean().max(1.0));
    let exponential = matches!(fm.every, Dist::Exponential { .. })
        && matches!(fm.repair, Dist::Exponential { .. })
        && !fm.planned;
    if fm.planned {
        // A maintenance window starts every `every` after the last ended no
        // earlier than its end (see `renewal`): up for the rest of the
        // cycle, down for the window.
        let cycle = every.max(repair);
        let up = (cycle - repair).max(1.0);
        (y / up, y / repair, false)
    } else {
        (y / every, y / repair, exponential)
    }
}

/// The service's mean time to first outage, or `None` when it never has
/// one (nothing it reads can fail).
#[allow(clippy::too_many_arguments)]
pub fn first_outage(
    model: &Model,
    bdd: &Bdd,
    f: NodeId,
    support: &[u32],
    parts: &[Part],
    modes: &[&FailureMode],
    availability: f64,
    outages_per_year: f64,
) -> Option<FirstOutage> {
    if outages_per_year <= 0.0 {
        return None;
    }
    let seconds_per_year = NANOS_PER_YEAR as f64 / 1e9;
    let mean_up = FirstOutage {
        mean_seconds: availability / outages_per_year * seconds_per_year,
        method: FirstOutageMethod::MeanUpTime,
    };
    let n = support.len();
    if n > MAX_CHAIN_PARTS {
        return Some(mean_up);
    }
    // State bit i: support[i] is down. Classify every state.
    let mut index = vec![usize::MAX; 1usize << n];
    let mut up_states = Vec::new();
    let mut point = vec![1.0; parts.len()];
    for (s, slot) in index.iter_mut().enumerate() {
        for (i, v) in support.iter().enumerate() {
            point[*v as usize] = if s >> i & 1 == 1 { 0.0 } else { 1.0 };
        }
        if bdd.probability(f, &point) > 0.5 {
            *slot = up_states.len();
            up_states.push(s);
            if up_states.len() > MAX_UP_STATES {
                return Some(mean_up);
            }
        }
    }
    if index[0] == usize::MAX {
        // Down with everything up: an outage from the start.
        return Some(FirstOutage {
            mean_seconds: 0.0,
            method: FirstOutageMethod::AbsorbingChain {
                parts: n,
                up_states: 0,
                exact: true,
            },
        });
    }
    let mut exact = true;
    let r: Vec<(f64, f64)> = support
        .iter()
        .map(|v| {
            let (lambda, mu, e) = rates(modes[*v as usize]);
            exact &= e && parts[*v as usize].crew.is_none();
            (lambda, mu)
        })
        .collect();
    // Repairs that queue for a crew: the crew's size shared among its
    // down modes (processor sharing), an approximation of its queue.
    let crew_of: Vec<Option<usize>> = support.iter().map(|v| parts[*v as usize].crew).collect();
    let m = up_states.len();
    let mut a = vec![0.0; m * m];
    let mut b = vec![1.0; m];
    for (row, &s) in up_states.iter().enumerate() {
        let mut out = 0.0;
        for i in 0..n {
            let down = s >> i & 1 == 1;
            let rate = if down {
                let share = match crew_of[i] {
                    Some(c) => {
                        let busy = (0..n)
                            .filter(|j| s >> j & 1 == 1 && crew_of[*j] == Some(c))
                            .count() as f64;
                        (f64::from(model.crews[c].size) / busy).min(1.0)
                    }
                    None => 1.0,
                };
                r[i].1 * share
            } else {
                r[i].0
            };
            out += rate;
            let t = s ^ (1 << i);
            if index[t] != usize::MAX {
                a[row * m + index[t]] -= rate;
            }
        }
        a[row * m + row] += out;
    }
    let x = solve(&mut a, &mut b, m)?;
    Some(FirstOutage {
        mean_seconds: x[index[0]] * seconds_per_year,
        method: FirstOutageMethod::AbsorbingChain {
            parts: n,
            up_states: m,
            exact,
        },
    })
}

/// Gaussian elimination with partial pivoting on the dense m x m system
/// `a x = b` (row-major); `None` when it is singular (an up state from which
/// no outage is reachable, which a monotone structure with failing parts
/// does not have).
fn solve(a: &mut [f64], b: &mut [f64], m: usize) -> Option<Vec<f64>> {
    for col in 0..m {
        let pivot =
            (col..m).max_by(|x, y| a[x * m + col].abs().total_cmp(&a[y * m + col].abs()))?;
        if a[pivot * m + col].abs() < 1e-300 {
            return None;
        }
        if pivot != col {
            for k in 0..m {
                a.swap(pivot * m + k, col * m + k);
            }
            b.swap(pivot, col);
        }
        let d = a[col * m + col];
        for row in col + 1..m {
            let factor = a[row * m + col] / d;
            if factor == 0.0 {
                continue;
            }
            for k in col..m {
                a[row * m + k] -= factor * a[col * m + k];
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; m];
    for row in (0..m).rev() {
        let mut s = b[row];
        for k in row + 1..m {
            s -= a[row * m + k] * x[k];
        }
        x[row] = s / a[row * m + row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

#[cfg(test)]
mod tests {
    use super::solve;

    #[test]
    fn solves_a_small_system() {
        // 2x + y = 3, x + 3y = 5: x = 0.8, y = 1.4.
        let mut a = vec![2.0, 1.0, 1.0, 3.0];
        let mut b = vec![3.0, 5.0];
        let x = solve(&mut a, &mut b, 2).unwrap();
        assert!(
            (x[0] - 0.8).abs() < 1e-12 && (x[1] - 1.4).abs() < 1e-12,
            "{x:?}"
        );
    }
}
