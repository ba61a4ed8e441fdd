//! The `[design]` section: a design space for the capacity planner.
//!
//! A model is one design. `[design]` lists choices, each with options that
//! edit the model (`set` a value at a dotted path, `unset` a path) and cost
//! something (a one-off `price`, a `monthly` cost, a `power` draw in watts).
//! `hasim plan --target` simulates the combinations and reports the cheapest
//! that meets an availability target. `hasim run` ignores the section (it
//! runs the model as written, the first option of every choice being the
//! usual "as written"), but every run checks it, so a typo in a design
//! space fails early with its line and column.
//!
//! ```toml
//! [design]
//! currency = "EUR"
//! months = 36            # monthly and energy costs count over this period
//! energy_price = 0.30    # per kWh; power is only reported when 0
//! [[design.choices]]
//! name = "etcd members"
//! ordered = true         # options from least to most available
//! options = [
//!   { label = "3" },
//!   { label = "5", price = 300, power = "20W", set = { "clusters.etcd.members" = ["a", "b", "c", "d", "e"] } },
//! ]
//! ```

use super::diag::{Diagnostic, Source};
use super::edit::{remove_path, set_path};
use super::fields::Fields;
use super::tree::{Key, Kind, Span, Value};

pub const DESIGN_KEYS: &[&str] = &["currency", "months", "energy_price", "choices"];
pub const CHOICE_KEYS: &[&str] = &["name", "ordered", "options", "description"];
pub const OPTION_KEYS: &[&str] = &[
    "label",
    "price",
    "monthly",
    "power",
    "set",
    "unset",
    "description",
];

/// At most this many combinations: every one may be simulated.
pub const MAX_DESIGNS: usize = 4096;

#[derive(Debug, Clone)]
pub struct DesignSpace {
    pub currency: String,
    pub months: u32,
    /// Per kWh.
    pub energy_price: f64,
    pub choices: Vec<Choice>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub name: String,
    /// The options are listed from least to most available: a design that
    /// picks a later option everywhere and costs no more is at least as
    /// good, so the planner may drop the other before simulating it.
    pub ordered: bool,
    pub options: Vec<DesignOption>,
}

#[derive(Debug, Clone)]
pub struct DesignOption {
    pub label: String,
    pub price: f64,
    pub monthly: f64,
    /// Watts.
    pub power: f64,
    /// Paths (with the span of each path's key, for errors) and values.
    pub set: Vec<(Key, Value)>,
    pub unset: Vec<Key>,
    pub span: Span,
}

/// Reads `[design]`; errors point at the offending value.
pub fn read<'s>(src: &'s Source<'s>, v: &Value) -> Result<DesignSpace, Diagnostic> {
    let mut d = Fields::new(src, v, "design")?;
    let currency = d
        .string("currency")?
        .map_or_else(String::new, |(s, _)| s.to_string());
    let months = d.int("months", 0, 1200)?.unwrap_or(36) as u32;
    let energy_price = d.number("energy_price", 0.0, 1e6)?.unwrap_or(0.0);
    let mut choices = Vec::new();
    let tables = d
        .tables("choices")?
        .ok_or_else(|| d.missing("choices", "[{ name = \"etcd members\", options = [...] }]"))?;
    if tables.is_empty() {
        return Err(src
            .error(v.span.clone(), "the design space has no choices")
            .with_help("add `[[design.choices]]` with `name` and `options`"));
    }
    let mut total: usize = 1;
    for t in tables {
        let mut c = Fields::new(src, t, format!("design.choices[{}]", choices.len()))?;
        let name = c
            .string("name")?
            .ok_or_else(|| c.missing("name", "\"etcd members\""))?
            .0
            .to_string();
        let ordered = c.bool("ordered")?.unwrap_or(false);
        c.string("description")?;
        let opts = c.tables("options")?.ok_or_else(|| {
            c.missing(
                "options",
                "[{ label = \"3\" }, { label = \"5\", price = 300 }]",
            )
        })?;
        if opts.is_empty() {
            return Err(src.error(t.span.clone(), format!("choice `{name}` has no options")));
        }
        let mut options = Vec::new();
        for o in opts {
            options.push(read_option(src, o, &name, options.len())?);
        }
        total = total.saturating_mul(options.len());
        if total > MAX_DESIGNS {
            return Err(src
                .error(
                    t.span.clone(),
                    format!("the design space has more than {MAX_DESIGNS} combinations"),
                )
                .with_help("split it: fix some choices in the model and plan the rest"));
        }
        c.finish(CHOICE_KEYS)?;
        choices.push(Choice {
            name,
            ordered,
            options,
        });
    }
    d.finish(DESIGN_KEYS)?;
    Ok(DesignSpace {
        currency,
        months,
        energy_price,
        choices,
        span: v.span.clone(),
    })
}

fn read_option<'s>(
    src: &'s Source<'s>,
    o: &Value,
    choice: &str,
    index: usize,
) -> Result<DesignOption, Diagnostic> {
    let mut of = Fields::new(src, o, format!("design `{choice}` option {index}"))?;
    let label = of
        .string("label")?
        .ok_or_else(|| of.missing("label", "\"5 members\""))?
        .0
        .to_string();
    let price = of.number("price", 0.0, 1e12)?.unwrap_or(0.0);
    let monthly = of.number("monthly", 0.0, 1e12)?.unwrap_or(0.0);
    let power = match of.raw("power") {
        None => 0.0,
        Some(v) => watts(v).ok_or_else(|| {
            src.error(v.span.clone(), "`power` is a draw in watts")
                .with_help("write 25, 25.5 or \"25W\"")
        })?,
    };
    let mut set = Vec::new();
    if let Some(v) = of.raw("set") {
        let Kind::Table(t) = &v.kind else {
            return Err(src
                .error(v.span.clone(), "`set` is a table of paths and values")
                .with_help("set = { \"clusters.etcd.members\" = [\"a\", \"b\", \"c\"] }"));
        };
        for (k, val) in &t.entries {
            set.push((k.clone(), val.clone()));
        }
    }
    let unset = of
        .strings("unset")?
        .unwrap_or_default()
        .into_iter()
        .map(|(s, v)| Key {
            name: s.to_string(),
            span: v.span.clone(),
        })
        .collect();
    of.string("description")?;
    of.finish(OPTION_KEYS)?;
    Ok(DesignOption {
        label,
        price,
        monthly,
        power,
        set,
        unset,
        span: o.span.clone(),
    })
}

impl DesignOption {
    /// Applies this option's edits to a model tree; an error names the path
    /// and gives the span of its key.
    pub fn apply(&self, t: &mut Value) -> Result<(), (Span, String)> {
        for p in &self.unset {
            remove_path(t, &p.name).map_err(|e| (p.span.clone(), format!("unset {e}")))?;
        }
        for (p, v) in &self.set {
            set_path(t, &p.name, v.kind.clone())
                .map_err(|e| (p.span.clone(), format!("set `{}`: {e}", p.name)))?;
        }
        Ok(())
    }
}

/// Checks every option of the design space on its own: its paths exist and
/// the model it gives compiles. So `validate` and `run` catch a typo in a
/// design path at its line and column, not only `plan --target`. Options are
/// checked one at a time (not every combination, which can be thousands);
/// the planner reports a combination that fails.
pub(super) fn check(
    src: &Source<'_>,
    root: &Value,
    space: &DesignSpace,
    compile: impl Fn(&Value) -> Result<(), super::ModelError>,
) -> Result<(), Diagnostic> {
    for c in &space.choices {
        for o in &c.options {
            if o.set.is_empty() && o.unset.is_empty() {
                continue;
            }
            let what = format!("design option `{} = {}`", c.name, o.label);
            let mut t = root.clone();
            if let Err((span, e)) = o.apply(&mut t) {
                return Err(src.error(span, format!("{what}: cannot {e}")));
            }
            let Err(e) = compile(&t) else { continue };
            let Some(d) = e.diagnostics.into_iter().next() else {
                continue;
            };
            // An error inside a value the option sets already points into
            // the option; anything else is moved to the option's first path,
            // keeping the compiler's message and hint.
            if d.span.start >= o.span.start && d.span.end <= o.span.end {
                return Err(Diagnostic {
                    message: format!("{what}: {}", d.message),
                    ..d
                });
            }
            let at = o
                .set
                .first()
                .map(|(k, _)| k.span.clone())
                .or_else(|| o.unset.first().map(|k| k.span.clone()))
                .unwrap_or_else(|| o.span.clone());
            let mut moved = src.error(at, format!("{what} gives an invalid model: {}", d.message));
            moved.help = Some(match d.help {
                Some(h) => format!(
                    "{h} (at {}:{} once the option is applied)",
                    d.line, d.column
                ),
                None => format!("at {}:{} once the option is applied", d.line, d.column),
            });
            return Err(moved);
        }
    }
    Ok(())
}

fn watts(v: &Value) -> Option<f64> {
    let x = match &v.kind {
        Kind::Int(i) => *i as f64,
        Kind::Float(x) => *x,
        Kind::Str(s) => s.trim().strip_suffix('W')?.trim().parse().ok()?,
        _ => return None,
    };
    (x.is_finite() && x >= 0.0).then_some(x)
}
