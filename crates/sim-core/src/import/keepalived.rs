//! keepalived.conf: `vrrp_instance` and `vrrp_script` blocks.
//!
//! keepalived's format (keepalived.conf(5)) is a tree of blocks: a line is
//! a keyword with its words, a block is a line that ends with `{`, and `#`
//! or `!` start a comment. No Rust crate parses it, so this is a small
//! parser that keeps byte spans, so every error is `file:line:column` with
//! the offending text, as for model files.

use super::{ConfigFile, Found, Router, Script};
use crate::model::diag::Diagnostic;
use std::ops::Range;

/// One word of a line, with where it is.
#[derive(Debug, Clone)]
pub(super) struct Word<'a> {
    pub(super) text: &'a str,
    pub(super) span: Range<usize>,
}

/// A line (`priority 100`) or a block (`vrrp_instance VI_1 { ... }`).
#[derive(Debug)]
pub(super) struct Node<'a> {
    pub(super) words: Vec<Word<'a>>,
    pub(super) children: Option<Vec<Node<'a>>>,
}

/// The words of the text with their spans: `{` and `}` are words of their
/// own, a quoted string is one word (its quotes dropped), and comments end
/// at the end of the line.
fn words(text: &str) -> Vec<(usize, Word<'_>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut line = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b'#' | b'!' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' | b'}' => {
                out.push((
                    line,
                    Word {
                        text: &text[i..i + 1],
                        span: i..i + 1,
                    },
                ));
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != b'"' && bytes[j] != b'\n' {
                    j += 1;
                }
                out.push((
                    line,
                    Word {
                        text: &text[start..j],
                        span: i..(j + 1).min(text.len()),
                    },
                ));
                i = (j + 1).min(bytes.len());
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                while i < bytes.len()
                    && !bytes[i].is_ascii_whitespace()
                    && !matches!(bytes[i], b'{' | b'}' | b'#' | b'!' | b'"')
                {
                    i += 1;
                }
                out.push((
                    line,
                    Word {
                        text: &text[start..i],
                        span: start..i,
                    },
                ));
            }
        }
    }
    out
}

/// One open level while parsing: the nodes read so far, and for a block its
/// head words and where its `{` is.
type Level<'a> = (Vec<Node<'a>>, Option<(Vec<Word<'a>>, Range<usize>)>);

/// The block tree of a file, or the located brace that does not match.
/// corosync.conf has the same shape (`totem { token: 3000 }`), so its
/// importer reads it with this too.
pub(super) fn parse<'a>(file: &ConfigFile<'a>) -> Result<Vec<Node<'a>>, Diagnostic> {
    let src = file.source();
    let mut stack: Vec<Level<'a>> = vec![(Vec::new(), None)];
    let mut current: Vec<Word<'a>> = Vec::new();
    let mut current_line = usize::MAX;
    let flush = |current: &mut Vec<Word<'a>>, nodes: &mut Vec<Node<'a>>| {
        if !current.is_empty() {
            nodes.push(Node {
                words: std::mem::take(current),
                children: None,
            });
        }
    };
    for (line, w) in words(file.text) {
        if line != current_line {
            flush(&mut current, &mut stack.last_mut().expect("root").0);
            current_line = line;
        }
        match w.text {
            "{" if w.span.len() == 1 && file.text.as_bytes()[w.span.start] == b'{' => {
                let head = std::mem::take(&mut current);
                stack.push((Vec::new(), Some((head, w.span.clone()))));
            }
            "}" if w.span.len() == 1 && file.text.as_bytes()[w.span.start] == b'}' => {
                flush(&mut current, &mut stack.last_mut().expect("root").0);
                if stack.len() == 1 {
                    return Err(src
                        .error(w.span.clone(), "`}` closes no block")
                        .with_help("remove it, or open the block it ends with `{`"));
                }
                let (children, head) = stack.pop().expect("checked");
                let (words, _) = head.expect("a nested level has a head");
                stack.last_mut().expect("root").0.push(Node {
                    words,
                    children: Some(children),
                });
            }
            _ => current.push(w),
        }
    }
    flush(&mut current, &mut stack.last_mut().expect("root").0);
    if stack.len() > 1 {
        let (_, head) = stack.pop().expect("checked");
        let (words, open) = head.expect("a nested level has a head");
        let name = words.iter().map(|w| w.text).collect::<Vec<_>>().join(" ");
        return Err(src
            .error(open, format!("the block `{name}` is never closed"))
            .with_help("add the `}` that ends it"));
    }
    Ok(stack.pop().expect("root").0)
}

/// The value of a one-word setting (`priority 100`), with its line.
fn value<'n, 'a>(node: &'n Node<'a>) -> Option<&'n Word<'a>> {
    node.words.get(1)
}

fn int(file: &ConfigFile<'_>, node: &Node<'_>, min: i64, max: i64) -> Result<i64, Diagnostic> {
    let key = node.words[0].text;
    let Some(w) = value(node) else {
        return Err(file
            .source()
            .error(node.words[0].span.clone(), format!("`{key}` needs a value")));
    };
    match w.text.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(v) => Err(file.source().error(
            w.span.clone(),
            format!("`{key} {v}` is out of range: keepalived accepts {min} to {max}"),
        )),
        Err(_) => Err(file.source().error(
            w.span.clone(),
            format!("`{key}` takes a whole number, not `{}`", w.text),
        )),
    }
}

/// A duration in seconds as keepalived writes it (`advert_int 1`,
/// `interval 0.5`), in milliseconds.
fn seconds_ms(file: &ConfigFile<'_>, node: &Node<'_>) -> Result<u64, Diagnostic> {
    let key = node.words[0].text;
    let Some(w) = value(node) else {
        return Err(file
            .source()
            .error(node.words[0].span.clone(), format!("`{key}` needs a value")));
    };
    match w.text.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 86_400.0 => Ok((v * 1000.0).round() as u64),
        _ => Err(file.source().error(
            w.span.clone(),
            format!(
                "`{key}` takes seconds above zero (`{key} 1`), not `{}`",
                w.text
            ),
        )),
    }
}

/// What one keepalived.conf holds: its routers (one per `vrrp_instance`)
/// and its scripts.
pub(super) fn read(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let nodes = parse(file)?;
    for n in &nodes {
        match (n.words[0].text, &n.children) {
            ("vrrp_script", Some(children)) => {
                let name = n.words.get(1).map_or("", |w| w.text).to_string();
                let mut s = Script {
                    name,
                    file: file.name.to_string(),
                    interval_ms: None,
                    weight: None,
                    fall: None,
                    rise: None,
                };
                for c in children {
                    let line = file.line_of(c.words[0].span.start);
                    match c.words[0].text {
                        "interval" => s.interval_ms = Some((seconds_ms(file, c)?, line)),
                        // keepalived.conf(5): weight -253..253.
                        "weight" => s.weight = Some((int(file, c, -253, 253)?, line)),
                        "fall" => s.fall = Some((int(file, c, 1, 1000)?, line)),
                        "rise" => s.rise = Some((int(file, c, 1, 1000)?, line)),
                        other => found.ignored(file, line, other, "not modelled"),
                    }
                }
                found.scripts.push(s);
            }
            ("vrrp_instance", Some(children)) => {
                let mut r = Router {
                    file: file.name.to_string(),
                    instance: n.words.get(1).map_or("", |w| w.text).to_string(),
                    ..Router::default()
                };
                for c in children {
                    let line = file.line_of(c.words[0].span.start);
                    match c.words[0].text {
                        "virtual_router_id" => {
                            r.virtual_router_id = Some((int(file, c, 1, 255)? as u8, line))
                        }
                        "priority" => r.priority = Some((int(file, c, 1, 255)? as u8, line)),
                        "advert_int" => r.advert_int_ms = Some((seconds_ms(file, c)?, line)),
                        "state" => r.state = value(c).map(|w| (w.text.to_string(), line)),
                        "nopreempt" => r.nopreempt = Some(line),
                        "preempt_delay" => r.preempt_delay_ms = Some((seconds_ms(file, c)?, line)),
                        "track_script" => {
                            for s in c.children.iter().flatten() {
                                r.track_scripts.push(s.words[0].text.to_string());
                            }
                        }
                        "virtual_ipaddress" => {
                            for a in c.children.iter().flatten() {
                                r.vips.push(a.words[0].text.to_string());
                            }
                        }
                        "unicast_src_ip" | "unicast_peer" | "interface" | "authentication" => found
                            .ignored(
                                file,
                                line,
                                c.words[0].text,
                                "addressing and authentication do not change availability",
                            ),
                        other => found.ignored(file, line, other, "not modelled"),
                    }
                }
                if r.virtual_router_id.is_none() {
                    return Err(file
                        .source()
                        .error(
                            n.words[0].span.clone(),
                            format!("vrrp_instance `{}` has no `virtual_router_id`", r.instance),
                        )
                        .with_help("keepalived requires it: routers of one VIP share it"));
                }
                found.routers.push(r);
            }
            (other, _) => {
                let line = file.line_of(n.words[0].span.start);
                found.ignored(file, line, other, "not modelled");
            }
        }
    }
    Ok(())
}
