//! What changed between two versions of a design (`hasim diff`): elements,
//! clusters and services added or removed, and every parameter whose value
//! changed, each with the line it is on in each file. It compares the
//! spanned trees, not the texts, so reordering sections, comments and
//! whitespace are not changes, and TOML and JSON versions of one design
//! compare equal.

use super::compile::Loaded;
use super::tree::{Kind, Table, Value};

/// How one path differs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// In the head only: a new element, cluster, service or key.
    Added,
    /// In the base only.
    Removed,
    /// In both, with different values.
    Changed,
}

/// One difference: a dotted path (`hosts.proxmox-3`, `clusters.vip.priority`,
/// `hosts.nas.failures.0.repair`) with the value and line on each side.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub path: String,
    pub kind: ChangeKind,
    /// The value as the model writes it; a whole table added or removed is
    /// `{...}`.
    pub base: Option<String>,
    pub head: Option<String>,
    pub base_line: Option<usize>,
    pub head_line: Option<usize>,
}

/// The differences from `base` to `head`, in the order of the head's file
/// (removals where they stood in the base, after the head's paths).
pub fn diff(base: &Loaded, head: &Loaded) -> Vec<Change> {
    let mut out = Vec::new();
    let b = Side {
        text: &base.text,
        value: &base.tree,
    };
    let h = Side {
        text: &head.text,
        value: &head.tree,
    };
    walk(&mut out, "", 0, Some(b), Some(h));
    out
}

#[derive(Clone, Copy)]
struct Side<'a> {
    text: &'a str,
    value: &'a Value,
}

impl Side<'_> {
    fn line(&self) -> usize {
        let at = self.value.span.start.min(self.text.len());
        self.text[..at].matches('\n').count() + 1
    }
    fn at<'b>(&self, value: &'b Value) -> Side<'b>
    where
        Self: 'b,
    {
        Side {
            text: self.text,
            value,
        }
    }
}

/// Tables are compared key by key down to the entities of each section
/// (depth 2: `hosts.NAME`); an entity on one side only is one change, not
/// one per key. Arrays of tables (failure modes, VMs) are compared by
/// index; other arrays as one value.
fn walk(out: &mut Vec<Change>, path: &str, depth: usize, b: Option<Side<'_>>, h: Option<Side<'_>>) {
    match (b, h) {
        (Some(b), Some(h)) => match (&b.value.kind, &h.value.kind) {
            (Kind::Table(tb), Kind::Table(th)) => {
                for (k, vh) in &th.entries {
                    let p = join(path, &k.name);
                    walk(
                        out,
                        &p,
                        depth + 1,
                        get(tb, &k.name).map(|v| b.at(v)),
                        Some(h.at(vh)),
                    );
                }
                for (k, vb) in &tb.entries {
                    if get(th, &k.name).is_none() {
                        walk(out, &join(path, &k.name), depth + 1, Some(b.at(vb)), None);
                    }
                }
            }
            (Kind::Array(ab), Kind::Array(ah)) if tables(ab) && tables(ah) => {
                for i in 0..ab.len().max(ah.len()) {
                    let p = join(path, &i.to_string());
                    walk(
                        out,
                        &p,
                        depth + 1,
                        ab.get(i).map(|v| b.at(v)),
                        ah.get(i).map(|v| h.at(v)),
                    );
                }
            }
            _ => {
                let (vb, vh) = (render(b.value), render(h.value));
                if vb != vh {
                    out.push(Change {
                        path: path.to_string(),
                        kind: ChangeKind::Changed,
                        base: Some(vb),
                        head: Some(vh),
                        base_line: Some(b.line()),
                        head_line: Some(h.line()),
                    });
                }
            }
        },
        (None, Some(h)) if depth < 2 && matches!(h.value.kind, Kind::Table(_)) => {
            // A whole section new in the head: each of its entities.
            if let Kind::Table(t) = &h.value.kind {
                for (k, v) in &t.entries {
                    walk(out, &join(path, &k.name), depth + 1, None, Some(h.at(v)));
                }
            }
        }
        (Some(b), None) if depth < 2 && matches!(b.value.kind, Kind::Table(_)) => {
            if let Kind::Table(t) = &b.value.kind {
                for (k, v) in &t.entries {
                    walk(out, &join(path, &k.name), depth + 1, Some(b.at(v)), None);
                }
            }
        }
        (None, Some(h)) => out.push(Change {
            path: path.to_string(),
            kind: ChangeKind::Added,
            base: None,
            head: Some(render(h.value)),
            base_line: None,
            head_line: Some(h.line()),
        }),
        (Some(b), None) => out.push(Change {
            path: path.to_string(),
            kind: ChangeKind::Removed,
            base: Some(render(b.value)),
            head: None,
            base_line: Some(b.line()),
            head_line: None,
        }),
        (None, None) => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn get<'t>(t: &'t Table, key: &str) -> Option<&'t Value> {
    t.entries
        .iter()
        .find(|(k, _)| k.name == key)
        .map(|(_, v)| v)
}

fn tables(items: &[Value]) -> bool {
    !items.is_empty() && items.iter().all(|v| matches!(v.kind, Kind::Table(_)))
}

/// A value as TOML writes it; tables as `{...}` (their keys are listed as
/// changes of their own where both sides have them).
fn render(v: &Value) -> String {
    match &v.kind {
        Kind::Bool(b) => b.to_string(),
        Kind::Int(i) => i.to_string(),
        Kind::Float(x) => format!("{x:?}"),
        Kind::Str(s) => format!("{s:?}"),
        Kind::Array(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Kind::Table(_) => "{...}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[model]
name = "two"

[hosts.a]
failures = [{ every = "exp(1y)", repair = "exp(4h)" }]

[hosts.b]
failures = [{ every = "exp(1y)", repair = "exp(4h)" }]

[clusters.q]
kind = "quorum"
members = ["a", "b"]

[services.s]
requires = "q.quorum"
"#;

    #[test]
    fn additions_removals_and_changes_with_their_lines() {
        // Reordered and reformatted, with one host added, one repair time
        // changed, the members list changed and a service's target added.
        let head = r#"
[model]
name = "two"   # same name, new comment

[services.s]
requires = "q.quorum"
target = "99.9%"

[hosts.b]
failures = [{ every = "exp(1y)", repair = "exp(4h)" }]

[hosts.a]
failures = [{ every = "exp(1y)", repair = "exp(2h)" }]

[hosts.c]

[clusters.q]
kind = "quorum"
members = ["a", "b", "c"]
"#;
        let b = Loaded::new("base.toml", BASE).unwrap();
        let h = Loaded::new("head.toml", head).unwrap();
        let d = diff(&b, &h);
        let summary: Vec<(String, ChangeKind, Option<usize>, Option<usize>)> = d
            .iter()
            .map(|c| (c.path.clone(), c.kind.clone(), c.base_line, c.head_line))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("services.s.target".into(), ChangeKind::Added, None, Some(7)),
                (
                    "hosts.a.failures.0.repair".into(),
                    ChangeKind::Changed,
                    Some(6),
                    Some(13)
                ),
                ("hosts.c".into(), ChangeKind::Added, None, Some(15)),
                (
                    "clusters.q.members".into(),
                    ChangeKind::Changed,
                    Some(13),
                    Some(19)
                ),
            ],
            "{d:#?}"
        );
        assert_eq!(d[1].base.as_deref(), Some("\"exp(4h)\""));
        assert_eq!(d[1].head.as_deref(), Some("\"exp(2h)\""));
        assert!(diff(&b, &b).is_empty());
        let back = diff(&h, &b);
        assert!(back
            .iter()
            .any(|c| c.path == "hosts.c" && c.kind == ChangeKind::Removed));
    }
}
