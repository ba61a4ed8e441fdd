//! The failure modes one repair crew serves, as a continuous-time Markov
//! chain.
//!
//! Modes that share a crew are not independent: a repair waits while the
//! crew is busy, so two failures together last longer than apart. The
//! simulation serves a crew's queue first come, first served with `size`
//! repairs at a time, so the state is the ordered list of the modes that
//! are down: the first `size` are being repaired, the rest wait in order.
//! With exponential times to failure and repair this chain is the
//! simulation's process exactly; with other distributions it is the usual
//! exponential approximation with the same means (FIFO queues are not
//! insensitive to the shape of the service time, so the result then is an
//! approximation, and the analysis says so).

use std::collections::HashMap;

/// The chain refuses more states than this (the ordered lists of n modes
/// number sum_j n!/(n-j)!: about 10^5 for 8 modes).
pub const MAX_STATES: usize = 200_000;

/// Below this many states the balance equations are solved directly
/// (Gaussian elimination); above, by Gauss-Seidel iteration.
const DENSE_STATES: usize = 600;

/// The steady state of one crew's chain, folded onto which modes are down.
#[derive(Debug, Clone)]
pub struct CrewSolution {
    /// (bit mask of the modes down, in the order given, probability): every
    /// down set with a positive probability, in increasing mask order.
    pub down_sets: Vec<(u64, f64)>,
    pub n_states: usize,
}

/// Solves the chain of modes with failure rates `fail[i]` and repair rates
/// `repair[i]` (per unit time, any unit) served by `size` repairers in
/// first-come order. `Err` says why it was not solved.
pub fn solve_crew(fail: &[f64], repair: &[f64], size: u32) -> Result<CrewSolution, String> {
    let n = fail.len();
    if n > 20 {
        return Err(format!(
            "{n} failure modes share the crew; the chain of their repair queue is too large"
        ));
    }
    // Enumerate the reachable ordered lists breadth-first from "all up".
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut states: Vec<Vec<u8>> = vec![Vec::new()];
    index.insert(Vec::new(), 0);
    // Transitions as (from, to, rate).
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    let mut i = 0;
    while i < states.len() {
        let s = states[i].clone();
        let mut add = |t: Vec<u8>,
                       rate: f64,
                       states: &mut Vec<Vec<u8>>,
                       index: &mut HashMap<Vec<u8>, usize>|
         -> Result<(), String> {
            let j = match index.get(&t) {
                Some(j) => *j,
                None => {
                    if states.len() >= MAX_STATES {
                        return Err(format!(
                            "the repair queue of {n} modes sharing {size} repairer(s) has over {MAX_STATES} states"
                        ));
                    }
                    states.push(t.clone());
                    index.insert(t, states.len() - 1);
                    states.len() - 1
                }
            };
            if rate > 0.0 {
                edges.push((i, j, rate));
            }
            Ok(())
        };
        for m in 0..n as u8 {
            if !s.contains(&m) {
                let mut t = s.clone();
                t.push(m);
                add(t, fail[m as usize], &mut states, &mut index)?;
            }
        }
        for pos in 0..s.len().min(size as usize) {
            let mut t = s.clone();
            let m = t.remove(pos);
            add(t, repair[m as usize], &mut states, &mut index)?;
        }
        i += 1;
    }
    let pi = stationary(states.len(), &edges)?;
    let mut by_mask: Vec<(u64, f64)> = states
        .iter()
        .zip(&pi)
        .map(|(s, p)| (s.iter().fold(0u64, |m, b| m | 1 << b), *p))
        .collect();
    by_mask.sort_by_key(|(m, _)| *m);
    let mut down_sets: Vec<(u64, f64)> = Vec::new();
    for (m, p) in by_mask {
        match down_sets.last_mut() {
            Some((lm, lp)) if *lm == m => *lp += p,
            _ => down_sets.push((m, p)),
        }
    }
    down_sets.retain(|(_, p)| *p > 0.0);
    Ok(CrewSolution {
        down_sets,
        n_states: states.len(),
    })
}

/// The stationary distribution pi of the chain (pi Q = 0, sum pi = 1).
fn stationary(n: usize, edges: &[(usize, usize, f64)]) -> Result<Vec<f64>, String> {
    let mut out_rate = vec![0.0; n];
    for (i, _, r) in edges {
        out_rate[*i] += r;
    }
    if n == 1 {
        return Ok(vec![1.0]);
    }
    if n <= DENSE_STATES {
        // Rows are the balance equations sum_i pi_i q_ij = 0 for j, with
        // the last replaced by the normalisation sum pi = 1.
        let mut a = vec![vec![0.0; n + 1]; n];
        for (i, j, r) in edges {
            a[*j][*i] += r;
        }
        for (j, row) in a.iter_mut().enumerate() {
            row[j] -= out_rate[j];
        }
        a[n - 1] = vec![1.0; n + 1];
        for col in 0..n {
            let pivot = (col..n)
                .max_by(|x, y| a[*x][col].abs().total_cmp(&a[*y][col].abs()))
                .expect("rows remain");
            if a[pivot][col].abs() < 1e-300 {
                return Err("the repair chain is singular".to_string());
            }
            a.swap(col, pivot);
            let p = a[col][col];
            for v in a[col].iter_mut().skip(col) {
                *v /= p;
            }
            let pivot_row = a[col].clone();
            for (r, row) in a.iter_mut().enumerate() {
                if r != col && row[col] != 0.0 {
                    let factor = row[col];
                    for (c, v) in row.iter_mut().enumerate().skip(col) {
                        *v -= factor * pivot_row[c];
                    }
                }
            }
        }
        return Ok(a.iter().map(|row| row[n].max(0.0)).collect());
    }
    // Gauss-Seidel on pi_j = sum_i pi_i q_ij / q_j, renormalised each sweep.
    let mut incoming: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (i, j, r) in edges {
        incoming[*j].push((*i, *r));
    }
    let mut pi = vec![1.0 / n as f64; n];
    for _ in 0..100_000 {
        let mut change: f64 = 0.0;
        for j in 0..n {
            if out_rate[j] == 0.0 {
                continue;
            }
            let v: f64 = incoming[j].iter().map(|(i, r)| pi[*i] * r).sum::<f64>() / out_rate[j];
            change = change.max((v - pi[j]).abs() / v.max(1e-300));
            pi[j] = v;
        }
        let total: f64 = pi.iter().sum();
        pi.iter_mut().for_each(|p| *p /= total);
        if change < 1e-13 {
            return Ok(pi);
        }
    }
    Err("the repair chain's iteration did not converge".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_modes_one_repairer_match_the_birth_death_chain() {
        // Identical modes: P(j down) ∝ n!/(n-j)! rho^j (one repairer).
        let (l, m) = (0.01, 0.5);
        let s = solve_crew(&[l, l], &[m, m], 1).unwrap();
        let rho = l / m;
        let z = 1.0 + 2.0 * rho + 2.0 * rho * rho;
        let p_none = s.down_sets[0].1;
        assert!((p_none - 1.0 / z).abs() < 1e-14);
        let p_both = s.down_sets.iter().find(|(k, _)| *k == 3).unwrap().1;
        assert!((p_both - 2.0 * rho * rho / z).abs() < 1e-14);
    }
}
