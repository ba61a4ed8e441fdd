//! A small reduced ordered binary decision diagram (ROBDD).
//!
//! Why a BDD: a service's structure function over shared parts (one power
//! feed under forty hosts) has a probability that inclusion-exclusion or
//! state enumeration only gets in 2^n terms, while a BDD in a good variable
//! order represents it in a few thousand nodes, and the probability of a
//! BDD is one memoised pass over its nodes because the two branches of a
//! node are disjoint events (Bryant, "Graph-Based Algorithms for Boolean
//! Function Manipulation", IEEE Trans. Computers C-35, 1986; Rauzy, "New
//! algorithms for fault trees analysis", Reliability Engineering & System
//! Safety 40, 1993). A crate was not worth a dependency: the operations
//! needed here (if-then-else, probability, derivatives, minimal cut sets)
//! fit in this file, and the simulator's determinism rules (no hash-map
//! iteration order in results) are easier to keep in code we own.
//!
//! Conventions: a variable is true when its part is up; variable `v` is
//! tested before every variable greater than `v`; node 0 is the constant
//! false and node 1 the constant true.

use std::collections::HashMap;

pub type NodeId = u32;
pub const FALSE: NodeId = 0;
pub const TRUE: NodeId = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Node {
    var: u32,
    /// The function when the variable is false (the part is down).
    lo: NodeId,
    /// The function when the variable is true (the part is up).
    hi: NodeId,
}

/// A BDD manager: every function built in it shares its nodes.
#[derive(Debug, Default)]
pub struct Bdd {
    nodes: Vec<Node>,
    unique: HashMap<Node, NodeId>,
    ite_memo: HashMap<(NodeId, NodeId, NodeId), NodeId>,
}

/// The manager refuses to grow past this many nodes, so a structure that
/// no variable order makes small is reported instead of eating the memory.
pub const MAX_NODES: usize = 2_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge;

impl Bdd {
    pub fn new() -> Bdd {
        let terminal = Node {
            var: u32::MAX,
            lo: 0,
            hi: 0,
        };
        Bdd {
            nodes: vec![
                terminal,
                Node {
                    hi: 1,
                    lo: 1,
                    ..terminal
                },
            ],
            unique: HashMap::new(),
            ite_memo: HashMap::new(),
        }
    }

    /// How many nodes the manager holds (both terminals included).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    fn var_of(&self, f: NodeId) -> u32 {
        self.nodes[f as usize].var
    }

    /// The node testing `var`, reduced: equal branches collapse, and equal
    /// nodes are one node (the unique table).
    fn mk(&mut self, var: u32, lo: NodeId, hi: NodeId) -> Result<NodeId, TooLarge> {
        if lo == hi {
            return Ok(lo);
        }
        let n = Node { var, lo, hi };
        if let Some(id) = self.unique.get(&n) {
            return Ok(*id);
        }
        if self.nodes.len() >= MAX_NODES {
            return Err(TooLarge);
        }
        let id = self.nodes.len() as NodeId;
        self.nodes.push(n);
        self.unique.insert(n, id);
        Ok(id)
    }

    /// The function "variable `var` is true".
    pub fn var(&mut self, var: u32) -> Result<NodeId, TooLarge> {
        self.mk(var, FALSE, TRUE)
    }

    fn cofactors(&self, f: NodeId, var: u32) -> (NodeId, NodeId) {
        let n = self.nodes[f as usize];
        if n.var == var {
            (n.lo, n.hi)
        } else {
            (f, f)
        }
    }

    /// If `f` then `g` else `h`, the one operation everything is built on.
    pub fn ite(&mut self, f: NodeId, g: NodeId, h: NodeId) -> Result<NodeId, TooLarge> {
        if f == TRUE {
            return Ok(g);
        }
        if f == FALSE {
            return Ok(h);
        }
        if g == h {
            return Ok(g);
        }
        if g == TRUE && h == FALSE {
            return Ok(f);
        }
        if let Some(r) = self.ite_memo.get(&(f, g, h)) {
            return Ok(*r);
        }
        let top = self.var_of(f).min(self.var_of(g)).min(self.var_of(h));
        let (f0, f1) = self.cofactors(f, top);
        let (g0, g1) = self.cofactors(g, top);
        let (h0, h1) = self.cofactors(h, top);
        let lo = self.ite(f0, g0, h0)?;
        let hi = self.ite(f1, g1, h1)?;
        let r = self.mk(top, lo, hi)?;
        self.ite_memo.insert((f, g, h), r);
        Ok(r)
    }

    pub fn and(&mut self, f: NodeId, g: NodeId) -> Result<NodeId, TooLarge> {
        self.ite(f, g, FALSE)
    }

    pub fn or(&mut self, f: NodeId, g: NodeId) -> Result<NodeId, TooLarge> {
        self.ite(f, TRUE, g)
    }

    /// True while the functions `terms` that hold weigh at least `needed`:
    /// the recursion T(i, r) = if term_i then T(i+1, r - w_i) else
    /// T(i+1, r), memoised on (i, r), which builds `k of n` in O(n k)
    /// operations instead of enumerating the C(n, k) subsets.
    pub fn threshold(&mut self, needed: u32, terms: &[(u32, NodeId)]) -> Result<NodeId, TooLarge> {
        let mut memo: HashMap<(usize, u32), NodeId> = HashMap::new();
        // What the terms from `i` on can still add, to stop early.
        let mut rest = vec![0u64; terms.len() + 1];
        for i in (0..terms.len()).rev() {
            rest[i] = rest[i + 1] + u64::from(terms[i].0);
        }
        self.threshold_from(0, needed, terms, &rest, &mut memo)
    }

    fn threshold_from(
        &mut self,
        i: usize,
        needed: u32,
        terms: &[(u32, NodeId)],
        rest: &[u64],
        memo: &mut HashMap<(usize, u32), NodeId>,
    ) -> Result<NodeId, TooLarge> {
        if needed == 0 {
            return Ok(TRUE);
        }
        if rest[i] < u64::from(needed) {
            return Ok(FALSE);
        }
        if let Some(r) = memo.get(&(i, needed)) {
            return Ok(*r);
        }
        let (w, f) = terms[i];
        let with = self.threshold_from(i + 1, needed.saturating_sub(w), terms, rest, memo)?;
        let without = self.threshold_from(i + 1, needed, terms, rest, memo)?;
        let r = self.ite(f, with, without)?;
        memo.insert((i, needed), r);
        Ok(r)
    }

    /// `f` with variable `var` fixed to `value`.
    pub fn restrict(&mut self, f: NodeId, var: u32, value: bool) -> Result<NodeId, TooLarge> {
        let mut memo = HashMap::new();
        self.restrict_memo(f, var, value, &mut memo)
    }

    fn restrict_memo(
        &mut self,
        f: NodeId,
        var: u32,
        value: bool,
        memo: &mut HashMap<NodeId, NodeId>,
    ) -> Result<NodeId, TooLarge> {
        let n = self.nodes[f as usize];
        if f <= TRUE || n.var > var {
            return Ok(f);
        }
        if n.var == var {
            return Ok(if value { n.hi } else { n.lo });
        }
        if let Some(r) = memo.get(&f) {
            return Ok(*r);
        }
        let lo = self.restrict_memo(n.lo, var, value, memo)?;
        let hi = self.restrict_memo(n.hi, var, value, memo)?;
        let r = self.mk(n.var, lo, hi)?;
        memo.insert(f, r);
        Ok(r)
    }

    /// The nodes reachable from `f` (terminals excluded), in increasing
    /// variable order, so every node comes before its children.
    fn reachable(&self, f: NodeId) -> Vec<NodeId> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![f];
        let mut out = Vec::new();
        while let Some(n) = stack.pop() {
            if n <= TRUE || seen[n as usize] {
                continue;
            }
            seen[n as usize] = true;
            out.push(n);
            let node = self.nodes[n as usize];
            stack.push(node.lo);
            stack.push(node.hi);
        }
        out.sort_by_key(|n| (self.nodes[*n as usize].var, *n));
        out
    }

    /// How many nodes the function `f` uses.
    pub fn size(&self, f: NodeId) -> usize {
        self.reachable(f).len()
    }

    /// The variables `f` depends on, in order.
    pub fn support(&self, f: NodeId) -> Vec<u32> {
        let mut vars: Vec<u32> = self
            .reachable(f)
            .iter()
            .map(|n| self.nodes[*n as usize].var)
            .collect();
        vars.dedup();
        vars
    }

    /// P(f), or P(not f) with `negated`, when variable `v` is true with
    /// probability `up[v]` and false with `down[v]` (both given, so a tiny
    /// unavailability keeps its digits), the variables independent:
    /// P(node) = up P(hi) + down P(lo), each node once (the Shannon
    /// decomposition into disjoint events). Also every partial derivative
    /// dP/d up(v) (the Birnbaum importance of v, up to sign when negated),
    /// from the probability of reaching each node: a path tests each
    /// variable at most once, so the derivative is the sum over the nodes
    /// testing v of reach(node) (P(hi) - P(lo)).
    pub fn probability_and_gradient(
        &self,
        f: NodeId,
        up: &[f64],
        down: &[f64],
        negated: bool,
    ) -> (f64, Vec<f64>) {
        let order = self.reachable(f);
        let (t, fa) = if negated { (0.0, 1.0) } else { (1.0, 0.0) };
        let mut value: HashMap<NodeId, f64> = HashMap::with_capacity(order.len() + 2);
        value.insert(FALSE, fa);
        value.insert(TRUE, t);
        for n in order.iter().rev() {
            let node = self.nodes[*n as usize];
            let v =
                up[node.var as usize] * value[&node.hi] + down[node.var as usize] * value[&node.lo];
            value.insert(*n, v);
        }
        let mut reach: HashMap<NodeId, f64> = HashMap::with_capacity(order.len() + 2);
        reach.insert(f, 1.0);
        let mut grad = vec![0.0; up.len()];
        for n in &order {
            let node = self.nodes[*n as usize];
            let r = reach.get(n).copied().unwrap_or(0.0);
            grad[node.var as usize] += r * (value[&node.hi] - value[&node.lo]);
            *reach.entry(node.hi).or_insert(0.0) += r * up[node.var as usize];
            *reach.entry(node.lo).or_insert(0.0) += r * down[node.var as usize];
        }
        (value[&f], grad)
    }

    /// P(f) (see [`Bdd::probability_and_gradient`]).
    pub fn probability(&self, f: NodeId, up: &[f64]) -> f64 {
        let down: Vec<f64> = up.iter().map(|p| 1.0 - p).collect();
        self.probability_and_gradient(f, up, &down, false).0
    }

    /// The minimal cut sets of order at most `max_order` of a monotone
    /// function `f`: minimal sets of variables whose being false makes `f`
    /// false. Rauzy's decomposition (1993): with v the top variable,
    /// MCS(f) = MCS(f_hi) ∪ { {v} ∪ c : c ∈ MCS(f_lo), c ∉ MCS(f_hi) },
    /// truncated by order, which is exact for the orders kept. Each set is
    /// sorted; the list is in a deterministic order. `None` when some
    /// intermediate list exceeds [`MAX_CUT_SETS`] (a 35-of-40 has C(40, 6)
    /// cut sets of order 6): the caller asks again for a lower order.
    pub fn minimal_cut_sets(&self, f: NodeId, max_order: usize) -> Option<Vec<Vec<u32>>> {
        let mut memo = HashMap::new();
        let mut out = self.mcs(f, max_order, &mut memo)?;
        for c in &mut out {
            c.sort_unstable();
        }
        out.sort();
        Some(out)
    }

    fn mcs(
        &self,
        f: NodeId,
        k: usize,
        memo: &mut HashMap<(NodeId, usize), Vec<Vec<u32>>>,
    ) -> Option<Vec<Vec<u32>>> {
        if f == TRUE {
            return Some(Vec::new());
        }
        if f == FALSE {
            return Some(vec![Vec::new()]);
        }
        if let Some(r) = memo.get(&(f, k)) {
            return Some(r.clone());
        }
        let node = self.nodes[f as usize];
        let hi = self.mcs(node.hi, k, memo)?;
        let mut out = hi.clone();
        if k > 0 {
            let hi_set: std::collections::HashSet<&Vec<u32>> = hi.iter().collect();
            for c in self.mcs(node.lo, k - 1, memo)? {
                if !hi_set.contains(&c) {
                    let mut with = Vec::with_capacity(c.len() + 1);
                    with.push(node.var);
                    with.extend(c);
                    out.push(with);
                }
            }
        }
        if out.len() > MAX_CUT_SETS {
            return None;
        }
        memo.insert((f, k), out.clone());
        Some(out)
    }
}

/// The most minimal cut sets one list may hold (see
/// [`Bdd::minimal_cut_sets`]).
pub const MAX_CUT_SETS: usize = 100_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_of_three_has_the_binomial_probability_and_three_cut_sets() {
        let mut b = Bdd::new();
        let xs: Vec<NodeId> = (0..3).map(|v| b.var(v).unwrap()).collect();
        let terms: Vec<(u32, NodeId)> = xs.iter().map(|x| (1, *x)).collect();
        let f = b.threshold(2, &terms).unwrap();
        let a: f64 = 0.9;
        let p = b.probability(f, &[a; 3]);
        assert!((p - (a.powi(3) + 3.0 * a * a * (1.0 - a))).abs() < 1e-15);
        let (_, grad) = b.probability_and_gradient(f, &[a; 3], &[1.0 - a; 3], false);
        // dA/da_i = P(exactly one of the other two up) = 2 a (1 - a).
        assert!((grad[0] - 2.0 * a * (1.0 - a)).abs() < 1e-15);
        assert_eq!(
            b.minimal_cut_sets(f, 3).unwrap(),
            vec![vec![0, 1], vec![0, 2], vec![1, 2]]
        );
        assert_eq!(b.minimal_cut_sets(f, 1).unwrap(), Vec::<Vec<u32>>::new());
    }

    #[test]
    fn a_shared_variable_is_counted_once() {
        // feed & (h1 | h2): not 1 - (1 - a b)(1 - a c), which counts the feed twice.
        let mut b = Bdd::new();
        let (feed, h1, h2) = (b.var(0).unwrap(), b.var(1).unwrap(), b.var(2).unwrap());
        let l = b.and(feed, h1).unwrap();
        let r = b.and(feed, h2).unwrap();
        let f = b.or(l, r).unwrap();
        let p = b.probability(f, &[0.99, 0.9, 0.9]);
        assert!((p - 0.99 * (1.0 - 0.01)).abs() < 1e-15);
        assert_eq!(b.minimal_cut_sets(f, 2).unwrap(), vec![vec![0], vec![1, 2]]);
    }
}
