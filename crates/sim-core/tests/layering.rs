//! The layout's invariants, checked on the source itself: the modules of
//! sim-core import each other without a cycle (file by file, as `use
//! crate::...` and inline `crate::...` paths say), the core names no kind
//! (only `protocols/` does, apart from `protocols::builtin()`), and nothing
//! outside a kind's own file downcasts to a concrete kind.

use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every source file of sim-core, by module path (`model::compile`).
fn modules() -> BTreeMap<String, PathBuf> {
    modules_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// Every source file under a crate's `src`, by module path.
fn modules_in(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            if p.is_dir() {
                walk(&p, &format!("{prefix}{stem}::"), out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let name = match stem.as_str() {
                    "lib" | "main" if prefix.is_empty() => "crate".to_string(),
                    "mod" => prefix.trim_end_matches("::").to_string(),
                    _ => format!("{prefix}{stem}"),
                };
                out.insert(name, p);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, "", &mut out);
    out
}

/// The module a `crate::a::b::c` path lands in: its longest prefix that is
/// a file.
fn target(path: &str, mods: &BTreeMap<String, PathBuf>) -> Option<String> {
    let parts: Vec<&str> = path.split("::").collect();
    (1..=parts.len())
        .rev()
        .map(|n| parts[..n].join("::"))
        .find(|m| mods.contains_key(m))
}

/// The `crate::...` paths a file names, outside comments, with `use
/// crate::a::{b, c}` groups expanded one level.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + "crate::".len()..];
            let path: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let path = path.trim_end_matches(':').to_string();
            let after = &tail[path.len()..];
            if let Some(group) = after.strip_prefix("::{") {
                for item in group.split(['}', ',']).map(str::trim) {
                    let item: String = item
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    if !item.is_empty() && item != "self" {
                        out.push(format!("{path}::{item}"));
                    }
                }
            }
            out.push(path);
            rest = tail;
        }
        // Paths relative to the file's parent, as `super::x` in model/.
        let mut rest = code;
        while let Some(i) = rest.find("super::") {
            let tail = &rest[i + "super::".len()..];
            let path: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            out.push(format!("super::{}", path.trim_end_matches(':')));
            rest = tail;
        }
    }
    out
}

/// The file-level import graph of one crate, and its cycles.
fn import_cycles(mods: &BTreeMap<String, PathBuf>) -> (DiGraph<&str, ()>, Vec<Vec<&str>>) {
    let names: Vec<&String> = mods.keys().collect();
    let mut g = DiGraph::<&str, ()>::new();
    let nodes: BTreeMap<&str, _> = names
        .iter()
        .map(|n| (n.as_str(), g.add_node(n.as_str())))
        .collect();
    for (name, path) in mods {
        let text = std::fs::read_to_string(path).unwrap();
        // Unit tests may use anything; they are not part of the layering.
        let text = text.split("#[cfg(test)]").next().unwrap();
        let parent = match name.rsplit_once("::") {
            Some((p, _)) => p.to_string(),
            None => String::new(),
        };
        // A `mod.rs` file's `super` is its own parent module.
        let is_mod = path.file_name().is_some_and(|f| f == "mod.rs");
        let base = if is_mod {
            parent
                .rsplit_once("::")
                .map_or(String::new(), |(p, _)| p.to_string())
        } else {
            parent.clone()
        };
        for r in references(text) {
            let full = match r.strip_prefix("super::") {
                Some(rel) if base.is_empty() => rel.to_string(),
                Some(rel) => format!("{base}::{rel}"),
                None => r,
            };
            if let Some(t) = target(&full, mods) {
                if &t != name && t != "crate" {
                    g.update_edge(nodes[name.as_str()], nodes[t.as_str()], ());
                }
            }
        }
    }
    let cycles: Vec<Vec<&str>> = tarjan_scc(&g)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| c.into_iter().map(|n| g[n]).collect())
        .collect();
    (g, cycles)
}

#[test]
fn the_core_has_no_import_cycle() {
    let mods = modules();
    let (g, cycles) = import_cycles(&mods);
    assert!(
        cycles.is_empty(),
        "import cycles between modules: {cycles:?}"
    );
    // The check sees the arrows it should: the compiler imports the
    // cluster interface.
    let node = |n: &str| g.node_indices().find(|&i| g[i] == n).unwrap();
    assert!(g.contains_edge(node("model::compile"), node("cluster")));
}

/// The other crates keep the same rule: the renderer, the CLI and the wasm
/// bindings have no circle among their files either (crates cannot import
/// each other in a circle: cargo refuses).
#[test]
fn no_crate_has_an_import_cycle() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["sim-render", "sim-cli", "sim-wasm"] {
        let mods = modules_in(&crates.join(krate).join("src"));
        assert!(mods.len() > 1, "{krate}: no modules found");
        let (g, cycles) = import_cycles(&mods);
        assert!(cycles.is_empty(), "{krate}: import cycles: {cycles:?}");
        // The wasm crate's two files name each other by `api::`, not by
        // `crate::`; the others must show the arrows the check reads.
        assert!(
            krate == "sim-wasm" || g.edge_count() > 0,
            "{krate}: the check saw no import"
        );
    }
}

#[test]
fn the_core_names_no_kind_and_downcasts_to_none() {
    for (name, path) in modules() {
        if name.starts_with("protocols") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let at = format!("{}:{}", path.display(), i + 1);
            if let Some(j) = code.find("protocols::") {
                assert!(
                    code[j..].starts_with("protocols::builtin()"),
                    "{at} names a kind's module: {line}"
                );
            }
            assert!(!code.contains("downcast"), "{at} downcasts: {line}");
        }
    }
}
