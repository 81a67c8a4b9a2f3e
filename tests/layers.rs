//! The crate's layers, read from its source: imports run downward only (ARCHITECTURE.md).
//!
//! Every module file under `src/` (the command line aside) is read without its test module and
//! comments; every path it names through `crate::` or `super::` (in `use` items, braces
//! expanded, and inline) is resolved to the module file that holds it. The checks: no module
//! under the building blocks and the lecture's algorithms imports `demos` (or the posters, or
//! the binding), and the module graph has no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// Every module file of the library, by module path ("recon/mod.rs" is ["recon"]).
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap().with_extension("");
        let mut parts: Module = rel.iter().map(|s| s.to_string_lossy().into()).collect();
        if parts[0] == "bin" {
            continue;
        }
        if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
            parts.pop();
        }
        out.insert(parts, std::fs::read_to_string(&f).unwrap());
    }
    out
}

/// The source without its test module and without comments.
fn code(text: &str) -> String {
    let cut = ["#[cfg(test)]", "#[cfg(all(test"]
        .iter()
        .filter_map(|m| text.find(m))
        .min()
        .unwrap_or(text.len());
    text[..cut]
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths of a `use` tree, braces expanded: "a::{b, c::{d}}" gives a::b and a::c::d.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Module>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Module = tree[..open]
            .split("::")
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_owned())
            .collect();
        let base: Module = prefix.iter().cloned().chain(head).collect();
        let inner = &tree[open + 1..tree.rfind('}').unwrap()];
        let (mut depth, mut start) = (0, 0);
        for (i, ch) in inner.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&base, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&base, &inner[start..], out);
    } else if !tree.is_empty() {
        let name = tree.split(" as ").next().unwrap();
        out.push(
            prefix
                .iter()
                .cloned()
                .chain(name.split("::").map(|s| s.trim().to_owned()))
                .collect(),
        );
    }
}

/// The module file that holds `path`, named from module `at`.
fn resolve(at: &Module, path: &[String], mods: &BTreeMap<Module, String>) -> Option<Module> {
    let mut full = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("super") | Some("self") => at.clone(),
        _ => return None,
    };
    let mut rest = if path[0] == "crate" { &path[1..] } else { path };
    while let Some(first) = rest.first() {
        match first.as_str() {
            "super" => {
                full.pop();
            }
            "self" => {}
            _ => break,
        }
        rest = &rest[1..];
    }
    full.extend(rest.iter().cloned());
    (0..=full.len())
        .rev()
        .map(|k| full[..k].to_vec())
        .find(|m| mods.contains_key(m))
}

/// Module -> the modules it names.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let mods = modules();
    let mut g = BTreeMap::new();
    for (m, text) in &mods {
        let c = code(text);
        let mut paths = Vec::new();
        let mut rest = c.as_str();
        while let Some(i) = rest.find("use ") {
            let before = rest[..i].chars().last();
            let after = &rest[i + 4..];
            let end = after.find(';').unwrap_or(after.len());
            if before.is_none_or(|ch| !ch.is_alphanumeric() && ch != '_') {
                expand(&[], &after[..end], &mut paths);
            }
            rest = &after[end.min(after.len())..];
        }
        // Inline paths: crate::a::b, super::a.
        for start in ["crate::", "super::"] {
            for (i, _) in c.match_indices(start) {
                if c[..i]
                    .chars()
                    .last()
                    .is_some_and(|ch| ch.is_alphanumeric() || ch == '_' || ch == ':')
                {
                    continue;
                }
                let tail: String = c[i..]
                    .chars()
                    .take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == ':')
                    .collect();
                paths.push(
                    tail.split("::")
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                );
            }
        }
        let mut refs = BTreeSet::new();
        for p in paths {
            if let Some(r) = resolve(m, &p, &mods) {
                if &r != m && !r.is_empty() {
                    refs.insert(r);
                }
            }
        }
        g.insert(m.clone(), refs);
    }
    g
}

fn name(m: &Module) -> String {
    m.join("::")
}

/// The top-level module ("" for the crate root).
fn top(m: &Module) -> &str {
    m.first().map_or("", String::as_str)
}

#[test]
fn the_reader_sees_the_imports() {
    // The checks below see what they should: recon::vjp names the solvers, posters name the
    // demos.
    let g = graph();
    let vjp = &g[&vec!["recon".to_owned(), "vjp".to_owned()]];
    assert!(vjp.iter().any(|m| top(m) == "solvers"), "{vjp:?}");
    assert!(g
        .iter()
        .any(|(m, r)| top(m) == "posters" && r.iter().any(|t| top(t) == "demos")));
}

#[test]
fn nothing_below_the_demos_imports_them() {
    let below = ["operators", "solvers", "recon", "render", "nn", "data"];
    let above = ["demos", "posters", "wasm"];
    let bad: Vec<String> = graph()
        .iter()
        .filter(|(m, _)| below.contains(&top(m)))
        .flat_map(|(m, r)| {
            r.iter()
                .filter(|t| above.contains(&top(t)))
                .map(move |t| format!("{} -> {}", name(m), name(t)))
        })
        .collect();
    assert!(bad.is_empty(), "upward imports: {bad:?}");
}

#[test]
fn the_modules_import_no_cycle() {
    // Depth-first search for a back edge; reports the cycle found.
    let g = graph();
    let mut state: BTreeMap<&Module, u8> = BTreeMap::new();
    fn visit<'a>(
        m: &'a Module,
        g: &'a BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<&'a Module, u8>,
        stack: &mut Vec<&'a Module>,
    ) -> Option<Vec<String>> {
        state.insert(m, 1);
        stack.push(m);
        for t in g.get(m).into_iter().flatten() {
            match state.get(t) {
                Some(1) => {
                    let from = stack.iter().position(|s| *s == t).unwrap();
                    let mut cycle: Vec<String> = stack[from..].iter().map(|s| name(s)).collect();
                    cycle.push(name(t));
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(t, g, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(m, 2);
        None
    }
    for m in g.keys() {
        if !state.contains_key(m) {
            let mut stack = Vec::new();
            if let Some(c) = visit(m, &g, &mut state, &mut stack) {
                panic!("import cycle: {}", c.join(" -> "));
            }
        }
    }
}
