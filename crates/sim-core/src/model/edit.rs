//! Editing a parsed model by dotted path, for parameter sweeps.
//!
//! `etcd.members`, `vrrp.api.advert_int` or `hosts.pve-1.failures.0.repair`
//! name a value in the tree; numeric segments index arrays. The new value
//! keeps the span of the one it replaces, so if the swept value is invalid
//! the error points at the line being swept.

use super::tree::{Key, Kind, Table, Value};

/// Converts a command-line value to a tree value: an integer, a number,
/// true/false, or else a string (`8h`, `exp(2y)`).
pub fn parse_cli_value(text: &str) -> Kind {
    if let Ok(i) = text.parse::<i64>() {
        return Kind::Int(i);
    }
    if let Ok(f) = text.parse::<f64>() {
        if f.is_finite() {
            return Kind::Float(f);
        }
    }
    match text {
        "true" => Kind::Bool(true),
        "false" => Kind::Bool(false),
        _ => Kind::Str(text.to_string()),
    }
}

/// Sets the value at `path`. A missing last key is added to its table (so a
/// sweep can set a parameter the file leaves at its default); anything else
/// missing is an error naming the part of the path that was not found.
pub fn set_path(root: &mut Value, path: &str, kind: Kind) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "`{path}` is not a valid parameter path (empty segment)"
        ));
    }
    let mut cur = root;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let here = parts[..i].join(".");
        let span = cur.span.clone();
        cur = match &mut cur.kind {
            Kind::Table(t) => {
                if last && t.get(part).is_none() {
                    t.entries.push((
                        Key {
                            name: part.to_string(),
                            span: span.clone(),
                        },
                        Value { span, kind },
                    ));
                    return Ok(());
                }
                if t.get(part).is_none() {
                    let known: Vec<&str> = t.entries.iter().map(|(k, _)| k.name.as_str()).collect();
                    let at = if here.is_empty() {
                        "the model".to_string()
                    } else {
                        format!("`{here}`")
                    };
                    return Err(
                        match super::diag::did_you_mean(part, known.iter().copied()) {
                            Some(h) => format!("{at} has no `{part}`; {h}"),
                            None => format!("{at} has no `{part}` (it has: {})", known.join(", ")),
                        },
                    );
                }
                t.get_mut(part).expect("checked above")
            }
            Kind::Array(items) => {
                let idx: usize = part.parse().map_err(|_| {
                    format!("`{here}` is a list: index it with a number, not `{part}`")
                })?;
                let n = items.len();
                items.get_mut(idx).ok_or_else(|| {
                    format!("`{here}` has {n} entries, so `{part}` is out of range")
                })?
            }
            _ => {
                return Err(format!(
                    "`{here}` is a single value, so `{path}` does not exist"
                ))
            }
        };
    }
    cur.kind = kind;
    Ok(())
}

/// Removes the value at `path` (a table key or a list entry): a design
/// option that takes something away, such as a second load balancer.
pub fn remove_path(root: &mut Value, path: &str) -> Result<(), String> {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let mut cur = root;
    if let Some(parent) = parent {
        for part in parent.split('.') {
            cur = match &mut cur.kind {
                Kind::Table(t) => t
                    .get_mut(part)
                    .ok_or_else(|| format!("`{path}` does not exist (no `{part}`)"))?,
                Kind::Array(items) => part
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get_mut(i))
                    .ok_or_else(|| format!("`{path}` does not exist (no entry `{part}`)"))?,
                _ => return Err(format!("`{path}` does not exist")),
            };
        }
    }
    match &mut cur.kind {
        Kind::Table(t) => {
            let i = t
                .entries
                .iter()
                .position(|(k, _)| k.name == last)
                .ok_or_else(|| format!("`{path}` does not exist (no `{last}`)"))?;
            t.entries.remove(i);
        }
        Kind::Array(items) => {
            let i = last
                .parse::<usize>()
                .ok()
                .filter(|i| *i < items.len())
                .ok_or_else(|| format!("`{path}` does not exist (no entry `{last}`)"))?;
            items.remove(i);
        }
        _ => return Err(format!("`{path}` does not exist")),
    }
    Ok(())
}

/// Every combination of the axes' values, the first axis varying slowest:
/// the points of a sweep, each a list of (path, value).
pub fn combinations(axes: &[(String, Vec<String>)]) -> Vec<Vec<(String, String)>> {
    let mut points: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for (axis, values) in axes {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((axis.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// Why a sweep point could not be built.
#[derive(Debug, Clone)]
pub enum PointError {
    /// The path does not exist.
    Path(String),
    /// The edited model does not compile; the first field labels the point.
    Model(String, super::ModelError),
}

impl std::fmt::Display for PointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PointError::Path(e) => write!(f, "{e}"),
            PointError::Model(label, e) => write!(f, "at sweep point {label}:\n{e}"),
        }
    }
}

/// An empty table, for building trees by hand.
pub fn empty_table() -> Kind {
    Kind::Table(Table::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::diag::Source;
    use crate::model::tree::{parse, Format};

    #[test]
    fn sets_existing_and_new_values() {
        let text = "[clusters.etcd]\nkind = \"quorum\"\nmembers = [\"a\"]\n[hosts.a]\nfailures = [{ every = \"exp(1y)\", repair = \"1h\" }]\n";
        let src = Source {
            name: "m.toml",
            text,
        };
        let mut v = parse(&src, Format::Toml).unwrap();
        set_path(&mut v, "hosts.a.failures.0.repair", parse_cli_value("4h")).unwrap();
        set_path(&mut v, "clusters.etcd.description", parse_cli_value("x")).unwrap();
        let Kind::Table(root) = &v.kind else { panic!() };
        let Kind::Table(hosts) = &root.get("hosts").unwrap().kind else {
            panic!()
        };
        let Kind::Table(a) = &hosts.get("a").unwrap().kind else {
            panic!()
        };
        let Kind::Array(f) = &a.get("failures").unwrap().kind else {
            panic!()
        };
        let Kind::Table(f0) = &f[0].kind else {
            panic!()
        };
        assert_eq!(f0.get("repair").unwrap().kind, Kind::Str("4h".into()));
        assert!(set_path(&mut v, "hosts.b.cpu", Kind::Int(1))
            .unwrap_err()
            .contains("`hosts` has no `b`"));
        assert!(set_path(&mut v, "hosts.a.failures.7.repair", Kind::Int(1))
            .unwrap_err()
            .contains("out of range"));
        assert!(set_path(&mut v, "hosts..x", Kind::Int(1)).is_err());
    }
}
