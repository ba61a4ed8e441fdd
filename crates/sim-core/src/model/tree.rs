//! A spanned value tree: the model text parsed into tables, arrays and
//! scalars, each carrying the byte range it came from.
//!
//! TOML and JSON both parse into this one tree, so validation is written once
//! and every semantic error (an unknown reference, a negative duration, a
//! dependency cycle) can point at line and column in either format. The sweep
//! command edits this tree by dotted path before compiling, so a swept value
//! that turns out invalid is reported at the place it replaces.

use super::diag::{Diagnostic, Source};
use std::ops::Range;

/// A byte range in the source text.
pub type Span = Range<usize>;

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub span: Span,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Value>),
    Table(Table),
}

/// A table keeps its entries in document order: elements are reported in the
/// order the user wrote them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub entries: Vec<(Key, Value)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

impl Kind {
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
        }
    }
}

impl Table {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }
}

/// The model's text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// Guesses the format from a file name, falling back to the first
    /// non-blank character (`{` means JSON).
    pub fn detect(name: &str, text: &str) -> Format {
        if name.ends_with(".json")
            || (!name.ends_with(".toml") && text.trim_start().starts_with('{'))
        {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

/// Parses model text into a tree. Syntax errors come back as diagnostics.
pub fn parse(src: &Source<'_>, format: Format) -> Result<Value, Diagnostic> {
    match format {
        Format::Toml => parse_toml(src),
        Format::Json => JsonParser {
            src,
            bytes: src.text.as_bytes(),
            pos: 0,
        }
        .document(),
    }
}

fn parse_toml(src: &Source<'_>) -> Result<Value, Diagnostic> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(src.text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        src.error(
            span,
            format!("TOML syntax error: {}", e.message().trim_end()),
        )
    })?;

    fn convert(src: &Source<'_>, v: &DeValue<'_>, span: Span) -> Result<Value, Diagnostic> {
        let kind = match v {
            DeValue::String(s) => Kind::Str(s.to_string()),
            DeValue::Integer(i) => {
                let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
                let (neg, digits) = match digits.strip_prefix('-') {
                    Some(d) => (true, d.to_string()),
                    None => (false, digits.trim_start_matches('+').to_string()),
                };
                let digits = digits
                    .trim_start_matches("0x")
                    .trim_start_matches("0o")
                    .trim_start_matches("0b");
                let n = i64::from_str_radix(digits, i.radix()).map_err(|_| {
                    src.error(
                        span.clone(),
                        format!("integer `{}` is out of range", i.as_str()),
                    )
                })?;
                Kind::Int(if neg { -n } else { n })
            }
            DeValue::Float(x) => {
                let t: String = x.as_str().chars().filter(|c| *c != '_').collect();
                let f: f64 = match t.as_str() {
                    "inf" | "+inf" => f64::INFINITY,
                    "-inf" => f64::NEG_INFINITY,
                    "nan" | "+nan" | "-nan" => f64::NAN,
                    _ => t
                        .parse()
                        .map_err(|_| src.error(span.clone(), format!("`{t}` is not a number")))?,
                };
                Kind::Float(f)
            }
            DeValue::Boolean(b) => Kind::Bool(*b),
            DeValue::Datetime(_) => {
                return Err(src.error(
                    span,
                    "dates are not used in hasim models; write durations such as \"30d\"",
                ))
            }
            DeValue::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for item in a.iter() {
                    out.push(convert(src, item.get_ref(), item.span())?);
                }
                Kind::Array(out)
            }
            DeValue::Table(t) => Kind::Table(convert_table(src, t)?),
        };
        Ok(Value { span, kind })
    }

    fn convert_table(src: &Source<'_>, t: &toml::de::DeTable<'_>) -> Result<Table, Diagnostic> {
        let mut entries = Vec::with_capacity(t.len());
        for (k, v) in t.iter() {
            let key = Key {
                name: k.get_ref().to_string(),
                span: k.span(),
            };
            // A table header such as `[hosts.a]` has an empty span in the
            // parser's tree; point at the key instead so errors still land.
            let vspan = if v.span().is_empty() {
                k.span()
            } else {
                v.span()
            };
            entries.push((key, convert(src, v.get_ref(), vspan)?));
        }
        Ok(Table { entries })
    }

    let span = 0..src.text.len();
    Ok(Value {
        span,
        kind: Kind::Table(convert_table(src, doc.get_ref())?),
    })
}

/// A small JSON parser that keeps spans. serde_json drops positions once a
/// value is parsed, and the model needs them for semantic errors.
struct JsonParser<'s, 'a> {
    src: &'s Source<'a>,
    bytes: &'a [u8],
    pos: usize,
}

impl JsonParser<'_, '_> {
    fn err(&self, span: Span, msg: impl Into<String>) -> Diagnostic {
        let d = self
            .src
            .error(span.clone(), format!("JSON syntax error: {}", msg.into()));
        // The usual reasons a hand-written JSON file does not parse, said
        // plainly: JSON is stricter than the JavaScript it looks like.
        let at = |i: usize| self.bytes.get(i).copied();
        let prev = self.bytes[..span.start.min(self.bytes.len())]
            .iter()
            .rev()
            .find(|b| !b.is_ascii_whitespace());
        match (at(span.start), at(span.start + 1)) {
            (Some(b'/'), Some(b'/' | b'*')) | (Some(b'#'), _) => d.with_help(
                "JSON has no comments: remove them, or write the model in TOML, which has `#` comments",
            ),
            (Some(b'\''), _) => d.with_help("JSON strings and keys use double quotes: \"name\""),
            (Some(b'}' | b']'), _) if prev == Some(&b',') => {
                d.with_help("JSON allows no comma after the last entry")
            }
            _ => d,
        }
    }

    fn document(mut self) -> Result<Value, Diagnostic> {
        self.ws();
        let v = self.value(0)?;
        self.ws();
        if self.pos < self.bytes.len() {
            return Err(self.err(
                self.pos..self.pos + 1,
                "trailing characters after the JSON value",
            ));
        }
        Ok(v)
    }

    fn ws(&mut self) {
        while self.pos < self.bytes.len()
            && matches!(self.bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r')
        {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Diagnostic> {
        // Deep nesting is never a real model; refusing it keeps a hostile
        // input from overflowing the stack.
        if depth > 128 {
            return Err(self.err(self.pos..self.pos + 1, "nesting deeper than 128 levels"));
        }
        let start = self.pos;
        let Some(&c) = self.bytes.get(self.pos) else {
            return Err(self.err(start..start, "unexpected end of input"));
        };
        let kind = match c {
            b'{' => {
                self.pos += 1;
                let mut entries: Vec<(Key, Value)> = Vec::new();
                self.ws();
                if self.bytes.get(self.pos) == Some(&b'}') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        let kstart = self.pos;
                        if self.bytes.get(self.pos) != Some(&b'"') {
                            return Err(self.err(kstart..kstart + 1, "expected a quoted key"));
                        }
                        let name = self.string()?;
                        let key = Key {
                            name,
                            span: kstart..self.pos,
                        };
                        if entries.iter().any(|(k, _)| k.name == key.name) {
                            return Err(
                                self.err(key.span.clone(), format!("duplicate key `{}`", key.name))
                            );
                        }
                        self.ws();
                        if self.bytes.get(self.pos) != Some(&b':') {
                            return Err(
                                self.err(self.pos..self.pos + 1, "expected `:` after the key")
                            );
                        }
                        self.pos += 1;
                        self.ws();
                        let v = self.value(depth + 1)?;
                        entries.push((key, v));
                        self.ws();
                        match self.bytes.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b'}') => {
                                self.pos += 1;
                                break;
                            }
                            _ => {
                                return Err(self.err(self.pos..self.pos + 1, "expected `,` or `}`"))
                            }
                        }
                    }
                }
                Kind::Table(Table { entries })
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.bytes.get(self.pos) {
                            Some(b',') => self.pos += 1,
                            Some(b']') => {
                                self.pos += 1;
                                break;
                            }
                            _ => {
                                return Err(self.err(self.pos..self.pos + 1, "expected `,` or `]`"))
                            }
                        }
                    }
                }
                Kind::Array(items)
            }
            b'"' => Kind::Str(self.string()?),
            b't' if self.bytes[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Kind::Bool(true)
            }
            b'f' if self.bytes[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Kind::Bool(false)
            }
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(self.err(start..start + 1, "expected a value")),
        };
        Ok(Value {
            span: start..self.pos,
            kind,
        })
    }

    fn number(&mut self) -> Result<Kind, Diagnostic> {
        let start = self.pos;
        while self.pos < self.bytes.len()
            && matches!(
                self.bytes[self.pos],
                b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
            )
        {
            self.pos += 1;
        }
        let text = &self.src.text[start..self.pos];
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Kind::Int(i));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Kind::Float(f)),
            _ => Err(self.err(start..self.pos, format!("`{text}` is not a number"))),
        }
    }

    fn string(&mut self) -> Result<String, Diagnostic> {
        let start = self.pos;
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let Some(&c) = self.bytes.get(self.pos) else {
                return Err(self.err(start..self.pos, "unterminated string"));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    let esc = self.bytes.get(self.pos + 1).copied();
                    self.pos += 2;
                    match esc {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'n') => out.push('\n'),
                        Some(b't') => out.push('\t'),
                        Some(b'r') => out.push('\r'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'u') => {
                            let hex = self.src.text.get(self.pos..self.pos + 4).unwrap_or("");
                            let code = u32::from_str_radix(hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| {
                                self.err(self.pos - 2..self.pos + 4, "bad \\u escape")
                            })?;
                            out.push(code);
                            self.pos += 4;
                        }
                        _ => return Err(self.err(self.pos - 2..self.pos, "unknown escape")),
                    }
                }
                c if c < 0x20 => {
                    return Err(self.err(self.pos..self.pos + 1, "control character in string"))
                }
                _ => {
                    // Copy one whole UTF-8 character.
                    let ch = self.src.text[self.pos..]
                        .chars()
                        .next()
                        .expect("valid UTF-8 at a char boundary");
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_give_the_same_tree_shape() {
        let t = Source {
            name: "a.toml",
            text: "[hosts.a]\ncpu = 4\nrequires = \"p\"\n",
        };
        let j = Source {
            name: "a.json",
            text: r#"{"hosts": {"a": {"cpu": 4, "requires": "p"}}}"#,
        };
        let strip = |v: &Value| format!("{:?}", v.kind).split("span").count();
        let tv = parse(&t, Format::Toml).unwrap();
        let jv = parse(&j, Format::Json).unwrap();
        assert_eq!(strip(&tv), strip(&jv));
        let Kind::Table(root) = &jv.kind else {
            panic!()
        };
        let Kind::Table(hosts) = &root.get("hosts").unwrap().kind else {
            panic!()
        };
        let Kind::Table(a) = &hosts.get("a").unwrap().kind else {
            panic!()
        };
        assert_eq!(&j.text[a.get("requires").unwrap().span.clone()], "\"p\"");
        let Kind::Table(root) = &tv.kind else {
            panic!()
        };
        let Kind::Table(hosts) = &root.get("hosts").unwrap().kind else {
            panic!()
        };
        let Kind::Table(a) = &hosts.get("a").unwrap().kind else {
            panic!()
        };
        assert_eq!(&t.text[a.get("requires").unwrap().span.clone()], "\"p\"");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let t = Source {
            name: "a.toml",
            text: "[hosts.a]\ncpu = = 4\n",
        };
        let e = parse(&t, Format::Toml).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let j = Source {
            name: "a.json",
            text: "{\n  \"a\": [1, 2,, 3]\n}",
        };
        let e = parse(&j, Format::Json).unwrap_err();
        assert_eq!((e.line, e.column), (2, 14), "{e}");
        let deep = "[".repeat(10_000);
        assert!(parse(
            &Source {
                name: "d.json",
                text: &deep
            },
            Format::Json
        )
        .is_err());
    }
}
