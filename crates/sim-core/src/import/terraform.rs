//! Terraform (`*.tf`): the Telmate provider's `proxmox_vm_qemu` VMs become
//! the Proxmox cluster's VMs, HA resources when `hastate` is set.
//!
//! Parsed with the `hcl-rs` crate's span-keeping parser (`hcl::edit`), so a
//! syntax error and a value hasim cannot use are both located. Read:
//! `target_node` (where the VM runs), `hastate` / `hagroup` (the provider's
//! HA settings, registry docs of telmate/proxmox), `cores` (times
//! `sockets`), `memory` (MiB) and `name`. `for_each = var.X` over a map
//! variable is expanded with the variable's `default`, as `terraform plan`
//! would without a tfvars file; `each.key` and `each.value.F` are
//! resolved, in plain values and in string templates. A value that needs
//! anything else (`var.x` without a default, a function) is reported as
//! templated.

use super::proxmox::Resource;
use super::{ConfigFile, Found};
use crate::model::diag::Diagnostic;
use hcl::edit::expr::{Expression, Object, ObjectKey, TraversalOperator};
use hcl::edit::structure::{Block, Body};
use hcl::edit::template::Element;
use hcl::edit::Span;

/// Whether `text` looks like Terraform: a `resource "..." "..." {` block
/// at the start of a line.
pub(super) fn looks_like(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        (t.starts_with("resource \"") || t.starts_with("variable \""))
            && t.trim_end().ends_with('{')
    })
}

/// A value once variables and `each` are resolved.
#[derive(Debug, Clone)]
enum Val<'e> {
    Str(String),
    Num(u64),
    Obj(&'e Object),
}

/// The values `each` stands for in a `for_each` instance.
type Each<'e> = Option<(&'e str, &'e Expression)>;

/// The attribute `name` of an object.
fn field<'e>(o: &'e Object, name: &str) -> Option<&'e Expression> {
    o.iter().find_map(|(k, v)| {
        let key = match k {
            ObjectKey::Ident(i) => i.value().as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
            _ => return None,
        };
        (key == name).then(|| v.expr())
    })
}

struct Ctx<'e> {
    vars: Vec<(String, &'e Expression)>,
}

impl<'e> Ctx<'e> {
    fn eval(&self, e: &'e Expression, each: Each<'e>) -> Option<Val<'e>> {
        match e {
            Expression::String(s) => Some(Val::Str(s.value().to_string())),
            Expression::Number(n) => n.value().as_u64().map(Val::Num),
            Expression::Bool(b) => Some(Val::Str(b.value().to_string())),
            Expression::Object(o) => Some(Val::Obj(o)),
            Expression::Parenthesis(p) => self.eval(p.inner(), each),
            Expression::StringTemplate(t) => {
                let mut out = String::new();
                for el in t.iter() {
                    match el {
                        Element::Literal(s) => out.push_str(s.value()),
                        Element::Interpolation(i) => match self.eval(&i.expr, each)? {
                            Val::Str(s) => out.push_str(&s),
                            Val::Num(n) => out.push_str(&n.to_string()),
                            Val::Obj(_) => return None,
                        },
                        Element::Directive(_) => return None,
                    }
                }
                Some(Val::Str(out))
            }
            Expression::Traversal(t) => {
                let Expression::Variable(root) = &t.expr else {
                    return None;
                };
                let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
                let attr = |i: usize| match ops.get(i) {
                    Some(TraversalOperator::GetAttr(a)) => Some(a.value().as_str()),
                    _ => None,
                };
                match root.value().as_str() {
                    "each" => {
                        let (key, value) = each?;
                        match attr(0)? {
                            "key" if ops.len() == 1 => Some(Val::Str(key.to_string())),
                            "value" => {
                                let mut v = self.eval(value, None)?;
                                for i in 1..ops.len() {
                                    let Val::Obj(o) = v else { return None };
                                    v = self.eval(field(o, attr(i)?)?, None)?;
                                }
                                Some(v)
                            }
                            _ => None,
                        }
                    }
                    "var" => {
                        let name = attr(0)?;
                        let (_, d) = self.vars.iter().find(|(n, _)| n == name)?;
                        let mut v = self.eval(d, None)?;
                        for i in 1..ops.len() {
                            let Val::Obj(o) = v else { return None };
                            v = self.eval(field(o, attr(i)?)?, None)?;
                        }
                        Some(v)
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

fn label(b: &Block, i: usize) -> &str {
    b.labels.get(i).map_or("", |l| l.as_str())
}

/// What one Terraform file holds: its Proxmox VMs.
pub(super) fn read(file: &ConfigFile<'_>, found: &mut Found) -> Result<(), Diagnostic> {
    let body: Body = hcl::edit::parser::parse_body(file.text).map_err(|e| {
        file.error_from(
            e.location().offset(),
            format!("this is not valid HCL: {}", e.message()),
        )
    })?;
    let mut ctx = Ctx { vars: Vec::new() };
    for b in body.blocks().filter(|b| b.has_ident("variable")) {
        if let Some(d) = b.body.get_attribute("default") {
            ctx.vars.push((label(b, 0).to_string(), &d.value));
        }
    }
    let src = file.source();
    let line = |e: &dyn Span| e.span().map_or(1, |s| file.line_of(s.start));
    for b in body.blocks().filter(|b| b.has_ident("resource")) {
        let rtype = label(b, 0);
        let rname = label(b, 1);
        let bline = line(b);
        if rtype != "proxmox_vm_qemu" {
            found.ignored(
                file,
                bline,
                &format!("resource {rtype}.{rname}"),
                "not modelled",
            );
            continue;
        }
        // The instances: one, or one per entry of the for_each map.
        let mut instances: Vec<(Each<'_>, String)> = Vec::new();
        match b.body.get_attribute("for_each") {
            None => instances.push((None, rname.to_string())),
            Some(fe) => match ctx.eval(&fe.value, None) {
                Some(Val::Obj(o)) => {
                    for (k, v) in o.iter() {
                        let key = match k {
                            ObjectKey::Ident(i) => i.value().as_str(),
                            ObjectKey::Expression(Expression::String(s)) => s.value().as_str(),
                            _ => continue,
                        };
                        instances.push((Some((key, v.expr())), key.to_string()));
                    }
                }
                _ => {
                    found.ignored.push(format!(
                        "{}: `for_each` of {rtype}.{rname} is templated (no default to expand): set its VMs in the model",
                        file.at(line(&fe.value))
                    ));
                    continue;
                }
            },
        }
        for (each, key) in instances {
            let get = |k: &str| b.body.get_attribute(k).map(|a| &a.value);
            let mut note = |k: &str, e: &Expression| {
                found.ignored.push(format!(
                    "{}: `{k}` of {rtype}.{rname}[{key}] is templated: set it in the model",
                    file.at(line(e))
                ));
            };
            let mut string = |k: &str| -> Option<(String, usize)> {
                let e = get(k)?;
                match ctx.eval(e, each) {
                    Some(Val::Str(s)) => Some((s, line(e))),
                    Some(Val::Num(n)) => Some((n.to_string(), line(e))),
                    _ => {
                        note(k, e);
                        None
                    }
                }
            };
            let name = string("name").map_or(key.clone(), |(s, _)| s);
            let target = string("target_node");
            let hastate = string("hastate");
            let hagroup = string("hagroup");
            let mut num = |k: &str| -> Result<Option<(u64, usize)>, Diagnostic> {
                let Some(e) = get(k) else { return Ok(None) };
                match ctx.eval(e, each) {
                    Some(Val::Num(n)) => Ok(Some((n, line(e)))),
                    Some(Val::Str(s)) => match s.parse::<u64>() {
                        Ok(n) => Ok(Some((n, line(e)))),
                        Err(_) => Err(src.error(
                            e.span().unwrap_or(0..0),
                            format!("`{k}` takes a whole number, not `{s}`"),
                        )),
                    },
                    _ => {
                        found.ignored.push(format!(
                            "{}: `{k}` of {rtype}.{rname}[{key}] is templated: set it in the model",
                            file.at(line(e))
                        ));
                        Ok(None)
                    }
                }
            };
            let cores = num("cores")?;
            let sockets = num("sockets")?;
            let memory = num("memory")?;
            if let Some((s, _)) = &hastate {
                // The provider's hastate: started, stopped, enabled,
                // disabled, ignored (as ha-manager).
                if !matches!(
                    s.as_str(),
                    "started" | "stopped" | "enabled" | "disabled" | "ignored"
                ) {
                    let e = get("hastate").expect("read");
                    return Err(src
                        .error(e.span().unwrap_or(0..0), format!("unknown hastate `{s}`"))
                        .with_help("the Proxmox provider takes started, stopped, enabled, disabled or ignored"));
                }
            }
            let r = Resource {
                file: file.name.to_string(),
                line: bline,
                name,
                group: hagroup.map(|g| g.0),
                state: hastate.clone(),
                home: target.clone(),
                cores: cores.map(|(c, l)| (c * sockets.map_or(1, |s| s.0.max(1)), l)),
                memory,
                ..Resource::default()
            };
            if let Some((t, _)) = &target {
                if !found.pve.extra_nodes.contains(t) {
                    found.pve.extra_nodes.push(t.clone());
                }
            }
            if hastate.is_some() {
                found.pve.resources.push(r);
            } else {
                found.pve.plain.push(r);
            }
        }
        for a in b.body.attributes() {
            let k = a.key.value().as_str();
            if !matches!(
                k,
                "for_each"
                    | "name"
                    | "target_node"
                    | "hastate"
                    | "hagroup"
                    | "cores"
                    | "sockets"
                    | "memory"
            ) {
                found.ignored(
                    file,
                    line(a),
                    &format!("{rtype}.{rname}.{k}"),
                    "not modelled",
                );
            }
        }
        for inner in b.body.blocks() {
            found.ignored(
                file,
                line(inner),
                &format!("{rtype}.{rname} block {}", inner.ident.value().as_str()),
                "not modelled",
            );
        }
    }
    Ok(())
}
