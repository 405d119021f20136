//! The top-level modules point one way: routes -> ops -> models -> domain / schema, with
//! error, db, auth, mail, layout and htmx beside them. This test reads `src/` and fails
//! when a module imports from a layer above it or when the module graph gets a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Which top-level modules each module refers to through `crate::`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).unwrap();
            let first = relative.components().next().unwrap().as_os_str();
            let module = first.to_string_lossy().trim_end_matches(".rs").to_owned();
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            let uses = graph.entry(module.clone()).or_default();
            for target in crate_references(&text) {
                if target != module && target != "self" {
                    uses.insert(target);
                }
            }
        }
    }
    graph
}

/// The first segment after each `crate::`, including those in `crate::{a, b::c}`.
fn crate_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name = item.trim().split("::").next().unwrap_or("").trim();
                if !name.is_empty() {
                    found.push(name.to_owned());
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

/// A cycle in the graph, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_top_level_modules_have_no_cycle() {
    let graph = module_graph();
    assert!(graph.contains_key("ops") && graph.contains_key("routes"));
    if let Some(cycle) = find_cycle(&graph) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn lower_layers_never_import_from_higher_ones() {
    let graph = module_graph();
    let forbidden: &[(&str, &[&str])] = &[
        (
            "domain",
            &[
                "models", "ops", "routes", "error", "db", "auth", "mail", "htmx", "layout",
            ],
        ),
        (
            "models",
            &["ops", "routes", "error", "auth", "mail", "htmx", "layout"],
        ),
        (
            "ops",
            &["routes", "error", "auth", "htmx", "layout", "startup"],
        ),
        (
            "mail",
            &["ops", "routes", "error", "auth", "htmx", "layout"],
        ),
        (
            "stream",
            &["ops", "routes", "error", "auth", "htmx", "layout"],
        ),
        ("db", &["error", "routes", "ops"]),
        ("error", &["routes", "startup", "htmx", "auth"]),
    ];
    for (module, above) in forbidden {
        let uses = graph.get(*module).cloned().unwrap_or_default();
        for higher in *above {
            assert!(!uses.contains(*higher), "{module} imports from {higher}");
        }
    }
}

#[test]
fn crate_references_are_read_from_paths_and_groups() {
    let text = "use crate::models::x;\nuse crate::{domain::Role, error};\nlet a = crate::ops::tx;";
    assert_eq!(crate_references(text), ["models", "domain", "error", "ops"]);
}
