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
