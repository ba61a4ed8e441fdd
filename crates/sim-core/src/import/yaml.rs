//! YAML with positions, for patroni.yml and Kubernetes manifests.
//!
//! The parser is `saphyr` (the maintained successor of yaml-rust2): its
//! `MarkedYamlOwned` keeps the span of every node, so a value hasim cannot
//! use is reported at its own `file:line:column`, not only syntax errors.
//! serde-based crates (serde-saphyr, yaml_serde) would give typed structs
//! but lose the position of a value once it has been read.
//!
//! Files in the wild are often Jinja templates (Ansible's `{{ lookup(...)
//! }}`), which are not YAML: `{` opens a flow mapping. Before parsing, each
//! `{{ ... }}` expression is masked as a double-quoted string of the same
//! length in bytes, and each `{% ... %}` statement as spaces, so every span
//! still points at the original text and a templated value is recognised by
//! its span.

use super::{ConfigFile, Lined};
use crate::model::diag::Diagnostic;
use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};
use std::ops::Range;

/// One parsed file: its documents and where its templates are.
pub(super) struct Yaml {
    pub docs: Vec<MarkedYamlOwned>,
    /// Byte ranges of `{{ ... }}` expressions.
    pub templates: Vec<Range<usize>>,
    /// Byte ranges of `{% ... %}` statements (masked as blanks).
    pub statements: Vec<Range<usize>>,
    /// Byte offset of each character of the text, and the length at the
    /// end: saphyr's markers count characters.
    offsets: Vec<usize>,
}

/// The text with its templates masked, and their ranges.
fn mask(text: &str) -> (String, Vec<Range<usize>>, Vec<Range<usize>>) {
    let mut out: Vec<u8> = text.as_bytes().to_vec();
    let mut exprs = Vec::new();
    let mut stmts = Vec::new();
    let mut i = 0;
    while let Some(k) = text[i..].find('{') {
        let start = i + k;
        let rest = &text[start..];
        let close = if rest.starts_with("{{") {
            "}}"
        } else if rest.starts_with("{%") || rest.starts_with("{#") {
            if rest.starts_with("{%") {
                "%}"
            } else {
                "#}"
            }
        } else {
            i = start + 1;
            continue;
        };
        // A template ends at its closing braces on the same line (or at the
        // end of the line when they are missing).
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let end = start + rest[..line_end].find(close).map_or(line_end, |e| e + 2);
        let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
        let before = &text[line_start..start];
        let quoted = before.matches('"').count() % 2 == 1 || before.matches('\'').count() % 2 == 1;
        if close == "}}" && quoted {
            // Inside a quoted string already: only the quotes and escapes
            // within the expression could end it early.
            for b in &mut out[start..end] {
                if matches!(*b, b'"' | b'\'' | b'\\') || *b >= 0x80 {
                    *b = b'_';
                }
            }
            exprs.push(start..end);
        } else if close == "}}" {
            // `"` + the expression with YAML's indicators blanked + `"`.
            for b in &mut out[start..end] {
                if matches!(
                    *b,
                    b'"' | b'\\' | b':' | b'#' | b',' | b'[' | b']' | b'{' | b'}'
                ) || *b >= 0x80
                {
                    *b = b'_';
                }
            }
            out[start] = b'"';
            if end - start >= 2 {
                out[end - 1] = b'"';
            } else {
                out[start] = b'_';
            }
            exprs.push(start..end);
        } else {
            for b in &mut out[start..end] {
                *b = b' ';
            }
            stmts.push(start..end);
        }
        i = end.max(start + 1);
    }
    // Only ASCII bytes were written over whole characters' bytes, so the
    // text is still UTF-8.
    (
        String::from_utf8(out).unwrap_or_else(|_| text.to_string()),
        exprs,
        stmts,
    )
}

impl Yaml {
    /// Parses every document of `file`, or the located syntax error.
    pub fn parse(file: &ConfigFile<'_>) -> Result<Yaml, Diagnostic> {
        let (masked, templates, statements) = mask(file.text);
        let mut offsets: Vec<usize> = masked.char_indices().map(|(b, _)| b).collect();
        offsets.push(masked.len());
        let docs = MarkedYamlOwned::load_from_str(&masked).map_err(|e| {
            let m = e.marker();
            let at = offsets.get(m.index()).copied().unwrap_or(masked.len());
            file.error_from(at, format!("this is not valid YAML: {}", e.info()))
        })?;
        Ok(Yaml {
            docs,
            templates,
            statements,
            offsets,
        })
    }

    /// The byte range of `node` in the original text.
    pub fn span(&self, node: &MarkedYamlOwned) -> Range<usize> {
        let at = |i: usize| {
            self.offsets
                .get(i)
                .copied()
                .unwrap_or(*self.offsets.last().unwrap_or(&0))
        };
        let start = at(node.span.start.index());
        let end = at(node.span.end.index()).max(start);
        start..end
    }

    /// The 1-based line of `node`.
    pub fn line(&self, node: &MarkedYamlOwned) -> usize {
        node.span.start.line()
    }

    /// Whether `node` is, or contains, a `{{ ... }}` template.
    pub fn templated(&self, node: &MarkedYamlOwned) -> bool {
        let s = self.span(node);
        self.templates
            .iter()
            .any(|t| t.start < s.end.max(s.start + 1) && s.start < t.end)
            || matches!(scalar(node), Some(v) if v.contains("${"))
    }
}

/// The value of `key` in a mapping node.
pub(super) fn get<'n>(node: &'n MarkedYamlOwned, key: &str) -> Option<&'n MarkedYamlOwned> {
    entry(node, key).map(|(_, v)| v)
}

/// The key node and the value of `key` in a mapping node (the key's line is
/// where a section starts; a nested mapping's own span starts at its first
/// entry).
pub(super) fn entry<'n>(
    node: &'n MarkedYamlOwned,
    key: &str,
) -> Option<(&'n MarkedYamlOwned, &'n MarkedYamlOwned)> {
    match &node.data {
        YamlDataOwned::Mapping(m) => m.iter().find(|(k, _)| scalar(k).as_deref() == Some(key)),
        YamlDataOwned::Tagged(_, inner) => entry(inner, key),
        _ => None,
    }
}

/// A path of keys: `path(doc, &["bootstrap", "dcs", "ttl"])`.
pub(super) fn path<'n>(node: &'n MarkedYamlOwned, keys: &[&str]) -> Option<&'n MarkedYamlOwned> {
    keys.iter().try_fold(node, |n, k| get(n, k))
}

/// The entries of a mapping, in document order.
pub(super) fn entries(node: &MarkedYamlOwned) -> Vec<(&MarkedYamlOwned, &MarkedYamlOwned)> {
    match &node.data {
        YamlDataOwned::Mapping(m) => m.iter().collect(),
        YamlDataOwned::Tagged(_, inner) => entries(inner),
        _ => Vec::new(),
    }
}

/// The items of a sequence.
pub(super) fn items(node: &MarkedYamlOwned) -> &[MarkedYamlOwned] {
    match &node.data {
        YamlDataOwned::Sequence(s) => s,
        YamlDataOwned::Tagged(_, inner) => items(inner),
        _ => &[],
    }
}

/// A scalar as text (`30`, `true`, `"3"` and `3` all have a text).
pub(super) fn scalar(node: &MarkedYamlOwned) -> Option<String> {
    match &node.data {
        YamlDataOwned::Value(v) => match v {
            ScalarOwned::Null => None,
            ScalarOwned::Boolean(b) => Some(b.to_string()),
            ScalarOwned::Integer(i) => Some(i.to_string()),
            ScalarOwned::FloatingPoint(f) => Some(f.to_string()),
            ScalarOwned::String(s) => Some(s.clone()),
        },
        YamlDataOwned::Representation(s, _, _) => Some(s.clone()),
        YamlDataOwned::Tagged(_, inner) => scalar(inner),
        _ => None,
    }
}

/// Whether `node` is a mapping.
pub(super) fn is_mapping(node: &MarkedYamlOwned) -> bool {
    match &node.data {
        YamlDataOwned::Mapping(_) => true,
        YamlDataOwned::Tagged(_, inner) => is_mapping(inner),
        _ => false,
    }
}

/// Reads the values of one YAML config file the way every YAML importer
/// needs them: located errors quoting the offending text, and a templated
/// value (`{{ ... }}`) noted as "set it in the model" and read as unset.
pub(super) struct Reader<'f, 'a> {
    pub file: &'f ConfigFile<'a>,
    pub y: &'f Yaml,
    pub notes: Vec<String>,
}

impl Reader<'_, '_> {
    pub fn err(&self, node: &MarkedYamlOwned, message: impl Into<String>) -> Diagnostic {
        self.file.source().error(self.y.span(node), message)
    }

    pub fn text(&self, node: &MarkedYamlOwned) -> String {
        self.file
            .text
            .get(self.y.span(node))
            .unwrap_or("")
            .trim()
            .to_string()
    }

    /// A templated value hasim needs: noted, and read as unset.
    pub fn templated(&mut self, key: &str, node: &MarkedYamlOwned) -> bool {
        if self.y.templated(node) {
            self.notes.push(format!(
                "{}: `{key}: {}` is templated: set it in the model",
                self.file.at(self.y.line(node)),
                self.text(node)
            ));
            return true;
        }
        false
    }

    /// A whole number at most `max`, also when quoted (StorageClass
    /// parameters are strings: `numberOfReplicas: "3"`).
    pub fn uint(
        &mut self,
        node: Option<&MarkedYamlOwned>,
        key: &str,
        max: u64,
    ) -> Result<Lined<u64>, Diagnostic> {
        self.uint_as(node, key, &format!("a whole number up to {max}"), max)
    }

    /// The same, with `what` the key takes in the error (`ttl: 30`).
    pub fn uint_as(
        &mut self,
        node: Option<&MarkedYamlOwned>,
        key: &str,
        what: &str,
        max: u64,
    ) -> Result<Lined<u64>, Diagnostic> {
        let Some(n) = node else { return Ok(None) };
        if self.templated(key, n) {
            return Ok(None);
        }
        match scalar(n).and_then(|s| s.trim().parse::<u64>().ok()) {
            Some(v) if v <= max => Ok(Some((v, self.y.line(n)))),
            _ => Err(self.err(n, format!("`{key}` takes {what}, not `{}`", self.text(n)))),
        }
    }

    pub fn string(&mut self, node: Option<&MarkedYamlOwned>, key: &str) -> Lined<String> {
        let n = node?;
        if self.templated(key, n) {
            return None;
        }
        scalar(n).map(|s| (s, self.y.line(n)))
    }

    /// A boolean as Patroni reads it (`parse_bool` in patroni/utils.py:
    /// true/false, yes/no, on/off, 1/0, any case).
    pub fn boolean(
        &mut self,
        node: Option<&MarkedYamlOwned>,
        key: &str,
    ) -> Result<Lined<bool>, Diagnostic> {
        let Some(n) = node else { return Ok(None) };
        if self.templated(key, n) {
            return Ok(None);
        }
        let v = scalar(n).map(|s| s.trim().to_lowercase());
        match v.as_deref() {
            Some("true" | "yes" | "on" | "1") => Ok(Some((true, self.y.line(n)))),
            Some("false" | "no" | "off" | "0") => Ok(Some((false, self.y.line(n)))),
            _ => Err(self.err(
                n,
                format!("`{key}` takes true or false, not `{}`", self.text(n)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_masked_in_place() {
        let text = "a: {{ lookup('x', 'y') }}\nb: pg-{{ n }}.local\n{% if x %}\nc: 1\nd: \"{{ v | default(\"x\") }}\"\n";
        let (m, exprs, stmts) = mask(text);
        assert_eq!(m.len(), text.len());
        assert_eq!(exprs.len(), 3);
        assert_eq!(stmts.len(), 1);
        assert!(MarkedYamlOwned::load_from_str(&m).is_ok(), "{m}");
    }
}
