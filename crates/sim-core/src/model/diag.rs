//! Diagnostics: errors and design warnings that point into the model text.

use serde::Serialize;
use std::fmt;
use std::ops::Range;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One message about the model, located in its source text.
///
/// `line` and `column` are 1-based; the column counts characters, not bytes,
/// so it matches what an editor shows. `snippet` is the offending text itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Byte range of the offending text in the source.
    pub span: Range<usize>,
    pub snippet: String,
    /// The whole source line, for rendering.
    pub source_line: String,
    /// A hint on how to fix it.
    pub help: Option<String>,
    /// For warnings: the rule behind it, with its source.
    pub rule: Option<String>,
    /// For warnings: the stable id of the lint (`vrrp-weight-cannot-move-vip`),
    /// which `validate --allow` and `--deny` take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'static str>,
}

/// A source text with a name to report it by.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// Builds a diagnostic for the byte range `span` of this source.
    pub fn diagnostic(
        &self,
        severity: Severity,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Diagnostic {
        let text = self.text;
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        Diagnostic {
            severity,
            message: message.into(),
            file: self.name.to_string(),
            line,
            column,
            span: start..end,
            snippet: text[start..end].to_string(),
            source_line: text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            help: None,
            rule: None,
            id: None,
        }
    }

    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.diagnostic(Severity::Error, span, message)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Diagnostic {
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_id(mut self, id: &'static str) -> Self {
        self.id = Some(id);
        self
    }

    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }
}

/// Renders like rustc: the message, `--> file:line:col`, the source line and
/// a caret under the offending text. The browser playground shows the same
/// text, so both say exactly the same thing.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.id {
            Some(id) => writeln!(f, "{label}[{id}]: {}", self.message)?,
            None => writeln!(f, "{label}: {}", self.message)?,
        }
        let gutter = self.line.to_string().len();
        writeln!(
            f,
            "{:gutter$}--> {}:{}:{}",
            "", self.file, self.line, self.column
        )?;
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{} | {}", self.line, self.source_line)?;
        let width = self
            .snippet
            .lines()
            .next()
            .map_or(0, |l| l.chars().count())
            .max(1);
        let width = width.min(
            self.source_line
                .chars()
                .count()
                .saturating_sub(self.column - 1)
                .max(1),
        );
        write!(
            f,
            "{:gutter$} | {:pad$}{}",
            "",
            "",
            "^".repeat(width),
            pad = self.column - 1
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n{:gutter$} = help: {help}", "")?;
        }
        if let Some(rule) = &self.rule {
            write!(f, "\n{:gutter$} = rule: {rule}", "")?;
        }
        Ok(())
    }
}

/// The error returned when a model cannot be loaded: one or more diagnostics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelError {
    pub diagnostics: Vec<Diagnostic>,
}

impl From<Diagnostic> for ModelError {
    fn from(d: Diagnostic) -> Self {
        ModelError {
            diagnostics: vec![d],
        }
    }
}

/// At most this many errors are rendered (all stay in `diagnostics`): past
/// that, the first ones are what the user fixes next anyway.
pub const MAX_SHOWN: usize = 20;

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        let n = self.diagnostics.len();
        if n > MAX_SHOWN {
            write!(f, "\n... and {} more errors", n - MAX_SHOWN)?;
        }
        if n > 1 {
            let file = &self.diagnostics[0].file;
            write!(f, "\nerror: could not load `{file}`: {n} errors")?;
        }
        Ok(())
    }
}

impl std::error::Error for ModelError {}

/// Names longer than this get no suggestion: nobody misspells a 65-character
/// name into another one, and the edit distance is quadratic in the length,
/// so a pasted 200,000-character name would otherwise take a minute (the
/// browser validates on every keystroke).
const SUGGEST_MAX_LEN: usize = 64;

/// Suggests the closest known name for a misspelt one (edit distance at most
/// a third of the name's length), for "did you mean" hints.
pub fn did_you_mean<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let len = name.chars().count();
    if len > SUGGEST_MAX_LEN {
        return None;
    }
    let limit = len.max(3) / 3;
    let mut best: Option<(usize, &str)> = None;
    for k in known {
        // The edit distance is at least the difference in length, so a name
        // of a very different length is skipped without computing it.
        let klen = k.chars().count();
        if klen.abs_diff(len) > limit || klen > SUGGEST_MAX_LEN {
            continue;
        }
        let d = edit_distance(name, k);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| format!("did you mean `{k}`?"))
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_column_and_caret() {
        let src = Source {
            name: "m.toml",
            text: "[hosts.a]\nrequires = \"pwr & zz\"\n",
        };
        let at = src.text.find("zz").unwrap();
        let d = src
            .error(at..at + 2, "unknown reference `zz`")
            .with_help("did you mean `a`?");
        assert_eq!((d.line, d.column), (2, 19));
        let text = d.to_string();
        assert!(text.contains("--> m.toml:2:19"), "{text}");
        assert!(text.contains("                  ^^"), "{text}");
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("proxmox-4", ["proxmox-1", "power-a"]).as_deref(),
            Some("did you mean `proxmox-1`?")
        );
        assert_eq!(did_you_mean("zzz", ["proxmox-1"]), None);
        // Very long names get no suggestion (and no quadratic comparison).
        let long = "p".repeat(200_000);
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
    }
}
