//! The `requires` expression language.
//!
//! A service (or an element) is up while its `requires` expression holds:
//!
//! ```text
//! proxmox-1 & power-a                 all of (also: `and`, `all(a, b)`)
//! haproxy-1 | haproxy-2               any of (also: `or`, `any(a, b)`)
//! 2 of (master-1, master-2, master-3) at least k of n
//! etcd.quorum                         a state of a cluster
//! vip.up & (db-1 | db-2)              parentheses group
//! ```
//!
//! Names may contain letters, digits, `-` and `_`, so `k3s-master-1` is one
//! name. There is no negation: availability structures are monotone (more
//! things up never takes a service down), which keeps every model coherent.

use crate::time::InlineError;

/// A parsed expression. Names are not resolved yet; spans are byte offsets
/// inside the expression string.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `name` or `name.state`.
    Ref {
        name: String,
        state: Option<String>,
        start: usize,
        end: usize,
    },
    All(Vec<Expr>),
    Any(Vec<Expr>),
    AtLeast {
        k: u32,
        k_span: (usize, usize),
        of: Vec<Expr>,
    },
}

impl Expr {
    /// Visits every reference in the expression.
    pub fn refs(&self, f: &mut impl FnMut(&str, Option<&str>, usize, usize)) {
        match self {
            Expr::Ref {
                name,
                state,
                start,
                end,
            } => f(name, state.as_deref(), *start, *end),
            Expr::All(v) | Expr::Any(v) | Expr::AtLeast { of: v, .. } => {
                v.iter().for_each(|e| e.refs(f))
            }
        }
    }
}

/// A compiled `requires` expression over node indices.
#[derive(Debug, Clone)]
pub enum CExpr {
    Ref(usize),
    All(Vec<CExpr>),
    Any(Vec<CExpr>),
    AtLeast(u32, Vec<CExpr>),
}

impl CExpr {
    /// Evaluates the expression from scratch. The simulation keeps
    /// [`Counters`] instead; this is the reference they are checked against.
    #[inline]
    pub fn eval(&self, up: &[bool]) -> bool {
        match self {
            CExpr::Ref(n) => up[*n],
            CExpr::All(v) => v.iter().all(|e| e.eval(up)),
            CExpr::Any(v) => v.iter().any(|e| e.eval(up)),
            CExpr::AtLeast(k, v) => v.iter().filter(|e| e.eval(up)).count() >= *k as usize,
        }
    }

    /// Visits every node the expression names.
    pub fn refs_nodes(&self, f: &mut impl FnMut(usize)) {
        match self {
            CExpr::Ref(n) => f(*n),
            CExpr::All(v) | CExpr::Any(v) | CExpr::AtLeast(_, v) => {
                v.iter().for_each(|e| e.refs_nodes(f))
            }
        }
    }

    pub(crate) fn remap(&mut self, map: &[usize]) {
        match self {
            CExpr::Ref(n) => *n = map[*n],
            CExpr::All(v) | CExpr::Any(v) | CExpr::AtLeast(_, v) => {
                v.iter_mut().for_each(|e| e.remap(map))
            }
        }
    }
}

/// No operator: the end of a chain of parents.
const NONE: u32 = u32::MAX;

/// Every `requires` expression of a model as threshold operators, for
/// evaluating them incrementally: `a & b & c` holds while 3 of its 3
/// children hold, `a | b` while 1 of 2 does, `k of (...)` while k do. Each
/// operator keeps a count of its children that hold (in [`Counters`]);
/// when a node changes, only the operators that read it directly move
/// their count by one, and only an operator whose count crosses its
/// threshold tells its parent. An expression is then re-evaluated in time
/// proportional to what changed in it, never to its size (a service over
/// forty hosts costs one increment per host change, not forty reads).
#[derive(Debug, Clone, Default)]
pub struct CounterPlan {
    /// Per operator: how many of its children must hold.
    k: Vec<u32>,
    /// Per operator: the operator it is a child of, or `NONE` at a root.
    parent: Vec<u32>,
    /// Per operator, in `child_start[op]..child_start[op + 1]` of `children`:
    /// its children, a node (`Ok`) or an operator (`Err`), used only to
    /// count from scratch when a replication starts.
    child_start: Vec<u32>,
    children: Vec<Result<u32, u32>>,
    /// Per graph node, the root operator of its `requires`, or `NONE`.
    root: Vec<u32>,
    /// Per graph node, in `reader_start[n]..reader_start[n + 1]` of
    /// `readers`: the operators that name it directly (once per mention).
    reader_start: Vec<u32>,
    readers: Vec<u32>,
    /// Per root operator, the node whose `requires` it is (`NONE` for an
    /// inner operator): the node to re-evaluate when the root flips.
    owner: Vec<u32>,
    /// Per graph node, in `other_start[n]..other_start[n + 1]` of `others`:
    /// its dependents that do not read it through a `requires` (clusters
    /// reading their members, outputs reading their cluster). Those are
    /// marked on every change; a dependent that reads it through its
    /// `requires` is marked only when that expression's value flips.
    other_start: Vec<u32>,
    others: Vec<u32>,
}

impl CounterPlan {
    /// The plan of a graph of `n_nodes` nodes, from each node that has a
    /// `requires` and its expression. Operators are numbered children
    /// first, so counting from scratch is one pass in index order.
    /// `dependents(n)` lists the nodes that read node `n`; a node for which
    /// `always(d)` holds is marked on every change of what it reads even
    /// through its `requires` (a service integrating a failing share
    /// settles it whenever an input changes).
    pub fn new<'e, 'd>(
        n_nodes: usize,
        exprs: impl Iterator<Item = (usize, &'e CExpr)>,
        dependents: impl Fn(usize) -> &'d [usize],
        always: impl Fn(usize) -> bool,
    ) -> Self {
        let mut plan = CounterPlan {
            root: vec![NONE; n_nodes],
            ..CounterPlan::default()
        };
        let mut mentions: Vec<(u32, u32)> = Vec::new();
        let mut children: Vec<Vec<Result<u32, u32>>> = Vec::new();
        for (node, e) in exprs {
            let root = plan.add(e, &mut children, &mut mentions);
            plan.root[node] = root;
            plan.owner.resize(plan.k.len(), NONE);
            plan.owner[root as usize] = node as u32;
        }
        // Which node's expression each mention is in, to tell a dependent
        // reading a node through its `requires` from one that does not.
        let mut read_by: Vec<(u32, u32)> = mentions
            .iter()
            .map(|&(n, op)| {
                let mut top = op;
                while plan.parent[top as usize] != NONE {
                    top = plan.parent[top as usize];
                }
                (n, plan.owner[top as usize])
            })
            .collect();
        read_by.sort_unstable();
        plan.other_start.push(0);
        for n in 0..n_nodes {
            for &d in dependents(n) {
                if always(d) || read_by.binary_search(&(n as u32, d as u32)).is_err() {
                    plan.others.push(d as u32);
                }
            }
            plan.other_start.push(plan.others.len() as u32);
        }
        plan.child_start.push(0);
        for c in &children {
            plan.children.extend_from_slice(c);
            plan.child_start.push(plan.children.len() as u32);
        }
        // Readers grouped by node (a counting sort keeps each node's
        // operators in the order they were mentioned).
        let mut count = vec![0u32; n_nodes + 1];
        for (n, _) in &mentions {
            count[*n as usize + 1] += 1;
        }
        for i in 0..n_nodes {
            count[i + 1] += count[i];
        }
        plan.reader_start = count.clone();
        plan.readers = vec![0; mentions.len()];
        for (n, op) in mentions {
            let at = &mut count[n as usize];
            plan.readers[*at as usize] = op;
            *at += 1;
        }
        plan
    }

    /// Adds `e` as an operator (a bare reference becomes `1 of (it)`) and
    /// returns its index.
    fn add(
        &mut self,
        e: &CExpr,
        children: &mut Vec<Vec<Result<u32, u32>>>,
        mentions: &mut Vec<(u32, u32)>,
    ) -> u32 {
        let (k, items): (usize, &[CExpr]) = match e {
            CExpr::Ref(_) => (1, std::slice::from_ref(e)),
            CExpr::All(v) => (v.len(), v),
            CExpr::Any(v) => (1, v),
            CExpr::AtLeast(k, v) => (*k as usize, v),
        };
        let mut kids = Vec::with_capacity(items.len());
        let mut sub = Vec::new();
        for item in items {
            match item {
                CExpr::Ref(n) => kids.push(Ok(*n as u32)),
                other => {
                    let child = self.add(other, children, mentions);
                    sub.push(child);
                    kids.push(Err(child));
                }
            }
        }
        let op = self.k.len() as u32;
        self.k.push(k as u32);
        self.parent.push(NONE);
        for child in sub {
            self.parent[child as usize] = op;
        }
        for n in kids.iter().flatten() {
            mentions.push((*n, op));
        }
        children.push(kids);
        op
    }

    /// The dependents of node `n` that must be re-evaluated whenever it
    /// changes, whatever the expressions do (see `others`).
    #[inline]
    pub fn other_dependents(&self, n: usize) -> &[u32] {
        &self.others[self.other_start[n] as usize..self.other_start[n + 1] as usize]
    }
}

/// One replication's counts for a [`CounterPlan`].
#[derive(Debug, Clone, Default)]
pub struct Counters {
    count: Vec<u32>,
}

impl Counters {
    /// Counts every operator's children that hold under `up`, from scratch.
    pub fn new(plan: &CounterPlan, up: &[bool]) -> Self {
        let mut c = Counters {
            count: vec![0; plan.k.len()],
        };
        c.recount(plan, up);
        c
    }

    /// Counts from scratch again (children come before their parents).
    pub fn recount(&mut self, plan: &CounterPlan, up: &[bool]) {
        for op in 0..plan.k.len() {
            let kids =
                &plan.children[plan.child_start[op] as usize..plan.child_start[op + 1] as usize];
            self.count[op] = kids
                .iter()
                .filter(|kid| match kid {
                    Ok(n) => up[*n as usize],
                    Err(child) => self.holds(plan, *child),
                })
                .count() as u32;
        }
    }

    #[inline]
    fn holds(&self, plan: &CounterPlan, op: u32) -> bool {
        self.count[op as usize] >= plan.k[op as usize]
    }

    /// Whether the `requires` of node `n` holds (true for a node without one).
    #[inline]
    pub fn value(&self, plan: &CounterPlan, n: usize) -> bool {
        let root = plan.root[n];
        root == NONE || self.holds(plan, root)
    }

    /// Node `n` has just changed to `up`: moves the count of every operator
    /// that reads it, and of their parents while a threshold is crossed;
    /// `flipped` is called with each node whose `requires` changed value.
    #[inline]
    pub fn changed(
        &mut self,
        plan: &CounterPlan,
        n: usize,
        up: bool,
        mut flipped: impl FnMut(usize),
    ) {
        let readers =
            &plan.readers[plan.reader_start[n] as usize..plan.reader_start[n + 1] as usize];
        for &first in readers {
            let (mut op, mut up) = (first as usize, up);
            loop {
                let k = plan.k[op];
                let before = self.count[op] >= k;
                if up {
                    self.count[op] += 1;
                } else {
                    self.count[op] -= 1;
                }
                if (self.count[op] >= k) == before {
                    break;
                }
                up = !before;
                match plan.parent[op] {
                    NONE => {
                        flipped(plan.owner[op] as usize);
                        break;
                    }
                    p => op = p as usize,
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Int(u32),
    And,
    Or,
    Of,
    LParen,
    RParen,
    Comma,
    Dot,
}

fn lex(text: &str) -> Result<Vec<(Tok, usize, usize)>, InlineError> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'&' => {
                i += if b.get(i + 1) == Some(&b'&') { 2 } else { 1 };
                Tok::And
            }
            b'|' => {
                i += if b.get(i + 1) == Some(&b'|') { 2 } else { 1 };
                Tok::Or
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'.' => {
                i += 1;
                Tok::Dot
            }
            c if is_name(c) => {
                while i < b.len() && is_name(b[i]) {
                    i += 1;
                }
                let word = &text[start..i];
                match word {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "of" => Tok::Of,
                    w if w.bytes().all(|c| c.is_ascii_digit()) => {
                        Tok::Int(w.parse().map_err(|_| InlineError {
                            message: format!("`{w}` is too large"),
                            start,
                            end: i,
                        })?)
                    }
                    w => Tok::Name(w.to_string()),
                }
            }
            _ => {
                let ch = text[i..].chars().next().unwrap_or('?');
                let hint = if ch == '!' || ch == '~' {
                    " (there is no negation: a service is up while what it requires is up)"
                } else {
                    ""
                };
                return Err(InlineError {
                    message: format!("unexpected character `{ch}`{hint}"),
                    start,
                    end: start + ch.len_utf8(),
                });
            }
        };
        out.push((tok, start, i));
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
    text: &'a str,
    depth: usize,
}

/// Parses a `requires` expression.
pub fn parse(text: &str) -> Result<Expr, InlineError> {
    let toks = lex(text)?;
    if toks.is_empty() {
        return Err(InlineError {
            message: "empty expression".into(),
            start: 0,
            end: text.len(),
        });
    }
    let mut p = Parser {
        toks,
        pos: 0,
        text,
        depth: 0,
    };
    let e = p.or()?;
    if let Some((_, s, e2)) = p.toks.get(p.pos) {
        return Err(InlineError {
            message: format!(
                "unexpected `{}`: expected `&`, `|` or the end",
                &text[*s..*e2]
            ),
            start: *s,
            end: *e2,
        });
    }
    Ok(e)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn here(&self) -> (usize, usize) {
        self.toks
            .get(self.pos)
            .map_or((self.text.len(), self.text.len()), |t| (t.1, t.2))
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), InlineError> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            let (s, e) = self.here();
            let found = if s == e {
                "the end".to_string()
            } else {
                format!("`{}`", &self.text[s..e])
            };
            Err(InlineError {
                message: format!("expected {what}, found {found}"),
                start: s,
                end: e,
            })
        }
    }

    fn or(&mut self) -> Result<Expr, InlineError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Expr::Any(items)
        })
    }

    fn and(&mut self) -> Result<Expr, InlineError> {
        let mut items = vec![self.atom()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            items.push(self.atom()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Expr::All(items)
        })
    }

    fn list(&mut self) -> Result<Vec<Expr>, InlineError> {
        self.expect(Tok::LParen, "`(`")?;
        let mut items = vec![self.or()?];
        while self.peek() == Some(&Tok::Comma) {
            self.pos += 1;
            items.push(self.or()?);
        }
        self.expect(Tok::RParen, "`,` or `)`")?;
        Ok(items)
    }

    fn atom(&mut self) -> Result<Expr, InlineError> {
        self.depth += 1;
        if self.depth > 64 {
            let (s, e) = self.here();
            return Err(InlineError {
                message: "expression nested too deeply".into(),
                start: s,
                end: e,
            });
        }
        let (s, e) = self.here();
        let result = match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let inner = self.or()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Some(Tok::Int(k)) => {
                self.pos += 1;
                self.expect(Tok::Of, "`of` (as in `2 of (a, b, c)`)")?;
                let of = self.list()?;
                if k == 0 || k as usize > of.len() {
                    return Err(InlineError {
                        message: format!(
                            "`{k} of` needs 1 <= k <= {} (the number of items listed)",
                            of.len()
                        ),
                        start: s,
                        end: e,
                    });
                }
                Ok(Expr::AtLeast {
                    k,
                    k_span: (s, e),
                    of,
                })
            }
            Some(Tok::Name(name)) => {
                self.pos += 1;
                match (name.as_str(), self.peek()) {
                    ("all", Some(Tok::LParen)) => Ok(Expr::All(self.list()?)),
                    ("any", Some(Tok::LParen)) => Ok(Expr::Any(self.list()?)),
                    _ => {
                        let mut end = e;
                        let state = if self.peek() == Some(&Tok::Dot) {
                            self.pos += 1;
                            match self.toks.get(self.pos).cloned() {
                                Some((Tok::Name(st), _, se)) => {
                                    self.pos += 1;
                                    end = se;
                                    Some(st)
                                }
                                _ => {
                                    let (s2, e2) = self.here();
                                    return Err(InlineError {
                                        message:
                                            "expected a state name after `.` (as in `etcd.quorum`)"
                                                .into(),
                                        start: s2,
                                        end: e2,
                                    });
                                }
                            }
                        } else {
                            None
                        };
                        Ok(Expr::Ref {
                            name,
                            state,
                            start: s,
                            end,
                        })
                    }
                }
            }
            _ => {
                let found = if s == e {
                    "the end".to_string()
                } else {
                    format!("`{}`", &self.text[s..e])
                };
                Err(InlineError {
                    message: format!("expected a name, `(` or `k of (...)`, found {found}"),
                    start: s,
                    end: e,
                })
            }
        };
        self.depth -= 1;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> String {
        name.to_string()
    }

    #[test]
    fn parses_precedence_and_forms() {
        let e = parse("a & b | c").unwrap();
        assert!(matches!(&e, Expr::Any(v) if v.len() == 2 && matches!(&v[0], Expr::All(_))));
        let e = parse("2 of (k3s-master-1, k3s-master-2, k3s-master-3) and vip.up").unwrap();
        let mut names = Vec::new();
        e.refs(&mut |n, s, _, _| names.push((r(n), s.map(r))));
        assert_eq!(names[0], (r("k3s-master-1"), None));
        assert_eq!(names[3], (r("vip"), Some(r("up"))));
        assert!(matches!(parse("any(a, all(b, c))").unwrap(), Expr::Any(_)));
    }

    /// A random expression over nodes `0..leaves`, nested up to `depth`.
    fn random_expr(rng: &mut crate::rng::SimRng, leaves: usize, depth: u32) -> CExpr {
        if depth == 0 || rng.below(3) == 0 {
            return CExpr::Ref(rng.below(leaves as u64) as usize);
        }
        let n = 1 + rng.below(4) as usize;
        let items: Vec<CExpr> = (0..n)
            .map(|_| random_expr(rng, leaves, depth - 1))
            .collect();
        match rng.below(3) {
            0 => CExpr::All(items),
            1 => CExpr::Any(items),
            _ => CExpr::AtLeast(1 + rng.below(n as u64) as u32, items),
        }
    }

    /// The counters agree with evaluating from scratch after every change,
    /// on random expressions (repeated names, nesting, `k of` at every k,
    /// an empty `all`) under random flips, and report exactly the nodes
    /// whose value flipped.
    #[test]
    fn counters_follow_every_change() {
        let mut rng = crate::rng::SimRng::for_replication(18, 0);
        for _ in 0..200 {
            let leaves = 6;
            let exprs: Vec<CExpr> = (0..4)
                .map(|_| random_expr(&mut rng, leaves, 3))
                .chain([CExpr::All(vec![])])
                .collect();
            let n = leaves + exprs.len();
            let deps: Vec<Vec<usize>> = (0..n)
                .map(|i| {
                    if i < leaves {
                        (leaves..n).collect()
                    } else {
                        vec![]
                    }
                })
                .collect();
            let plan = CounterPlan::new(
                n,
                exprs.iter().enumerate().map(|(j, e)| (leaves + j, e)),
                |i| &deps[i],
                |_| false,
            );
            let mut up: Vec<bool> = (0..n).map(|_| rng.below(2) == 1).collect();
            let mut c = Counters::new(&plan, &up);
            for _ in 0..50 {
                let before: Vec<bool> = exprs.iter().map(|e| e.eval(&up)).collect();
                let leaf = rng.below(leaves as u64) as usize;
                up[leaf] = !up[leaf];
                let mut flipped = Vec::new();
                c.changed(&plan, leaf, up[leaf], |d| flipped.push(d));
                flipped.sort_unstable();
                flipped.dedup();
                let mut want = Vec::new();
                for (j, e) in exprs.iter().enumerate() {
                    let v = e.eval(&up);
                    assert_eq!(c.value(&plan, leaves + j), v, "{e:?} under {up:?}");
                    if v != before[j] {
                        want.push(leaves + j);
                    }
                }
                assert_eq!(flipped, want, "flips of {exprs:?}");
                // A leaf read only through expressions has no other dependents.
                let others: Vec<u32> = plan.other_dependents(leaf).to_vec();
                let unread: Vec<u32> = (0..exprs.len())
                    .filter(|j| {
                        let mut reads = false;
                        exprs[*j].refs_nodes(&mut |m| reads |= m == leaf);
                        !reads
                    })
                    .map(|j| (leaves + j) as u32)
                    .collect();
                assert_eq!(others, unread);
            }
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        let text = "a & (b | c";
        let e = parse(text).unwrap_err();
        assert!(e.message.contains("expected `)`"), "{}", e.message);
        let e = parse("4 of (a, b)").unwrap_err();
        assert!(e.message.contains("1 <= k <= 2"));
        let e = parse("a & !b").unwrap_err();
        assert_eq!(&"a & !b"[e.start..e.end], "!");
        assert!(parse("").is_err());
        assert!(parse("a b").is_err());
        assert!(parse("etcd.").is_err());
        assert!(parse(&"(".repeat(1000)).is_err());
    }
}
