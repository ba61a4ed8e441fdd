//! Typed reading of a table from the spanned tree, with located errors.
//!
//! Every section of the model format (and every cluster kind's parameters)
//! is read through [`Fields`]: it converts values, reports the wrong type at
//! the value's position, and after reading rejects keys nobody asked for with
//! a "did you mean" hint, so a typo such as `advert_intt` never passes silently.

use super::diag::{did_you_mean, Diagnostic, Source};
use super::tree::{Kind, Span, Table, Value};
use crate::dist::Dist;
use crate::time::{parse_duration, InlineError, Nanos};

pub struct Fields<'t, 's> {
    pub src: &'s Source<'s>,
    pub table: &'t Table,
    /// Where the table is, for messages: `hosts.proxmox-1`.
    pub path: String,
    /// The span of the table itself (its key), for "missing key" errors.
    pub span: Span,
    used: Vec<bool>,
    /// Every key read (present or not), so an unknown key is offered the
    /// keys this table's reader knows (a kind's own parameters, not only
    /// the keys every cluster has).
    asked: Vec<String>,
}

/// Converts an error inside a string value into a diagnostic at the right
/// column: `+1` skips the opening quote of the string literal.
pub fn inline_error(src: &Source<'_>, value: &Value, e: InlineError) -> Diagnostic {
    let quote = usize::from(src.text.get(value.span.start..value.span.start + 1) == Some("\""));
    let start = value.span.start + quote + e.start;
    let end = (value.span.start + quote + e.end)
        .max(start + 1)
        .min(value.span.end.max(start + 1));
    src.error(start..end, e.message)
}

impl<'t, 's> Fields<'t, 's> {
    pub fn new(
        src: &'s Source<'s>,
        value: &'t Value,
        path: impl Into<String>,
    ) -> Result<Self, Diagnostic> {
        let path = path.into();
        match &value.kind {
            Kind::Table(table) => Ok(Fields {
                src,
                table,
                path,
                span: value.span.clone(),
                used: vec![false; table.entries.len()],
                asked: Vec::new(),
            }),
            other => Err(src.error(
                value.span.clone(),
                format!("`{path}` should be a table, found {}", other.type_name()),
            )),
        }
    }

    /// Every key read so far, present or not.
    pub fn asked(&self) -> impl Iterator<Item = &str> {
        self.asked.iter().map(String::as_str)
    }

    /// Takes a raw value by key, marking it used.
    pub fn raw(&mut self, key: &str) -> Option<&'t Value> {
        if !self.asked.iter().any(|k| k == key) {
            self.asked.push(key.to_string());
        }
        let i = self.table.entries.iter().position(|(k, _)| k.name == key)?;
        self.used[i] = true;
        Some(&self.table.entries[i].1)
    }

    pub fn missing(&self, key: &str, example: &str) -> Diagnostic {
        self.src
            .error(self.span.clone(), format!("`{}` needs `{key}`", self.path))
            .with_help(format!("add for example `{key} = {example}`"))
    }

    fn wrong_type(&self, key: &str, v: &Value, want: &str) -> Diagnostic {
        self.src.error(
            v.span.clone(),
            format!(
                "`{}.{key}` should be {want}, found {}",
                self.path,
                v.kind.type_name()
            ),
        )
    }

    pub fn string(&mut self, key: &str) -> Result<Option<(&'t str, &'t Value)>, Diagnostic> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => match &v.kind {
                Kind::Str(s) => Ok(Some((s.as_str(), v))),
                _ => Err(self.wrong_type(key, v, "a string")),
            },
        }
    }

    pub fn dist(&mut self, key: &str) -> Result<Option<Dist>, Diagnostic> {
        match self.string(key)? {
            None => Ok(None),
            Some((s, v)) => Dist::parse(s)
                .map(Some)
                .map_err(|e| inline_error(self.src, v, e)),
        }
    }

    pub fn duration(&mut self, key: &str) -> Result<Option<Nanos>, Diagnostic> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => match &v.kind {
                Kind::Str(s) => parse_duration(s).map(Some).map_err(|e| inline_error(self.src, v, e)),
                Kind::Int(_) | Kind::Float(_) => Err(self
                    .src
                    .error(v.span.clone(), format!("`{}.{key}` needs a unit", self.path))
                    .with_help("write durations as strings with a unit, for example \"150ms\", \"30s\" or \"8h\"")),
                _ => Err(self.wrong_type(key, v, "a duration string such as \"30s\"")),
            },
        }
    }

    pub fn int(&mut self, key: &str, min: i64, max: i64) -> Result<Option<i64>, Diagnostic> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => match v.kind {
                Kind::Int(i) if (min..=max).contains(&i) => Ok(Some(i)),
                Kind::Int(i) => Err(self.src.error(
                    v.span.clone(),
                    format!(
                        "`{}.{key}` = {i} is out of range ({min} to {max})",
                        self.path
                    ),
                )),
                _ => Err(self.wrong_type(key, v, "an integer")),
            },
        }
    }

    pub fn number(&mut self, key: &str, min: f64, max: f64) -> Result<Option<f64>, Diagnostic> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => {
                let x = match v.kind {
                    Kind::Int(i) => i as f64,
                    Kind::Float(f) => f,
                    _ => return Err(self.wrong_type(key, v, "a number")),
                };
                if !(min..=max).contains(&x) {
                    return Err(self.src.error(
                        v.span.clone(),
                        format!(
                            "`{}.{key}` = {x} is out of range ({min} to {max})",
                            self.path
                        ),
                    ));
                }
                Ok(Some(x))
            }
        }
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, Diagnostic> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => match v.kind {
                Kind::Bool(b) => Ok(Some(b)),
                _ => Err(self.wrong_type(key, v, "true or false")),
            },
        }
    }

    /// An array of strings, each with its value (for spans).
    pub fn strings(&mut self, key: &str) -> Result<Option<Vec<(&'t str, &'t Value)>>, Diagnostic> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => match &v.kind {
                Kind::Array(items) => items
                    .iter()
                    .map(|item| match &item.kind {
                        Kind::Str(s) => Ok((s.as_str(), item)),
                        _ => Err(self.wrong_type(key, item, "a list of strings")),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Some),
                _ => Err(self.wrong_type(key, v, "a list of strings")),
            },
        }
    }

    /// An array of tables.
    pub fn tables(&mut self, key: &str) -> Result<Option<Vec<&'t Value>>, Diagnostic> {
        match self.raw(key) {
            None => Ok(None),
            Some(v) => match &v.kind {
                Kind::Array(items) => {
                    for item in items {
                        if !matches!(item.kind, Kind::Table(_)) {
                            return Err(self.wrong_type(key, item, "a list of tables"));
                        }
                    }
                    Ok(Some(items.iter().collect()))
                }
                Kind::Table(_) => Ok(Some(vec![v])),
                _ => Err(self.wrong_type(key, v, "a list of tables")),
            },
        }
    }

    /// Rejects every key that was not read. `known` lists what is accepted
    /// besides the keys already read, for the hint.
    pub fn finish(self, known: &[&str]) -> Result<(), Diagnostic> {
        let mut keys: Vec<&str> = self.asked.iter().map(String::as_str).collect();
        for k in known {
            if !keys.contains(k) {
                keys.push(k);
            }
        }
        for (i, (k, _)) in self.table.entries.iter().enumerate() {
            if !self.used[i] {
                let mut d = self.src.error(
                    k.span.clone(),
                    format!("unknown key `{}` in `{}`", k.name, self.path),
                );
                let alt = k.name.replace('-', "_");
                d = match did_you_mean(&k.name, keys.iter().copied()) {
                    Some(h) => d.with_help(h),
                    None if keys.contains(&alt.as_str()) => {
                        d.with_help(format!("did you mean `{alt}`?"))
                    }
                    None => d.with_help(format!("known keys here: {}", keys.join(", "))),
                };
                return Err(d);
            }
        }
        Ok(())
    }
}
