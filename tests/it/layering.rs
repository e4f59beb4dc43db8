//! The module graph of `src/` as the source text shows it: no import circles, neither between
//! top-level modules nor between the files of one folder, and each top-level module imports only
//! the layers below it (ARCHITECTURE.md, "Dependency rules").

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
};

/// A module path below the crate root (`["imap", "encode", "name"]`).
type Module = Vec<String>;

/// The top-level modules, lowest layer first. A module may import only modules before it;
/// modules on one line (one layer) import none of each other.
const LAYERS: &[&[&str]] = &[
    &["random", "metrics", "telemetry", "patterns"],
    &["config"],
    &["views"],
    &["convert", "compose"],
    &["store"],
    &["imap"],
    &["smtp"],
    &["sync"],
    &["auth"],
    &["follow"],
    &["webhooks"],
    &["state"],
    &["http"],
    &["startup"],
    &["cli"],
];

/// Every module of `src/` and the modules each one names (`crate::`, `super::`, `self::` paths,
/// use trees included), test-only code left out.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    collect(&root, &root, &mut files);
    let modules: BTreeSet<Module> = files.keys().cloned().collect();
    let mut edges = BTreeMap::new();
    for (module, text) in &files {
        let mut deps = BTreeSet::new();
        for path in references(&code_only(text), module) {
            let Some(target) = (1..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p)) else {
                continue;
            };
            // Naming an ancestor (its items) or itself is no dependency between siblings.
            if target != *module && !module.starts_with(&target) {
                deps.insert(target);
            }
        }
        edges.insert(module.clone(), deps);
    }
    edges
}

/// Reads every non-test `.rs` file below `dir`, by module path.
fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<Module, String>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(root, &path, out);
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.ends_with(".rs") || name.ends_with("_tests.rs") || name == "tests.rs" {
            continue;
        }
        let rel = path.strip_prefix(root).expect("below src").with_extension("");
        let mut module: Module = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        if module.last().is_some_and(|m| m == "mod") || module == ["lib"] || module == ["main"] {
            module.pop();
        }
        if !module.is_empty() {
            out.insert(module, std::fs::read_to_string(&path).expect("read file"));
        }
    }
}

/// The text without line comments and without a trailing `#[cfg(test)] mod tests { … }`.
fn code_only(text: &str) -> String {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    match code.find("#[cfg(test)]\nmod tests {") {
        Some(i) => code[..i].to_string(),
        None => code,
    }
}

/// The absolute module paths named in `code`, from inside `module`.
fn references(code: &str, module: &Module) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let word_start = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let Some(kw) = ["crate::", "super::", "self::"].into_iter().find(|k| word_start && rest.starts_with(k)) else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        // Where a path starts: `self` is this module, `super` its parent (a `mod.rs` is its
        // folder's module, so the same rule holds for it).
        let mut base: Vec<String> = match kw {
            "crate::" => Vec::new(),
            "super::" => module[..module.len().saturating_sub(1)].to_vec(),
            _ => module.clone(),
        };
        i += kw.len();
        loop {
            let seg: String = code[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if seg.is_empty() {
                break;
            }
            i += seg.len();
            if seg == "super" {
                base.pop();
            } else {
                base.push(seg);
            }
            if code[i..].starts_with("::") && !code[i..].starts_with("::{") {
                i += 2;
            } else {
                break;
            }
        }
        out.push(base.clone());
        let tree = ["::{", "{"].into_iter().find(|open| code[i..].starts_with(open));
        if let Some(open) = tree {
            let start = i + open.len();
            let mut depth = 1;
            let mut end = start;
            for (k, c) in code[start..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = start + k;
                    break;
                }
            }
            use_tree(&code[start..end], &base, &mut out);
            i = end;
        }
    }
    out
}

/// The paths of a use tree body (`a::{b, c}, d as e`) below `prefix`.
fn use_tree(body: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let (mut depth, mut part, mut parts) = (0, String::new(), Vec::new());
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut part));
                continue;
            }
            _ => {}
        }
        part.push(c);
    }
    parts.push(part);
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if let Some((head, tail)) = p.split_once('{') {
            let mut path = prefix.to_vec();
            path.extend(head.trim().trim_end_matches("::").split("::").filter(|s| !s.is_empty()).map(String::from));
            use_tree(&tail[..tail.rfind('}').unwrap_or(tail.len())], &path, out);
        } else {
            let mut path = prefix.to_vec();
            let p = p.split(" as ").next().unwrap_or(p);
            path.extend(p.split("::").map(str::trim).filter(|s| !s.is_empty() && *s != "self").map(String::from));
            out.push(path);
        }
    }
}

/// The strongly connected components with more than one member (Tarjan).
fn circles(nodes: &BTreeSet<Module>, adj: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Walk<'a> {
        adj: &'a BTreeMap<Module, BTreeSet<Module>>,
        nodes: &'a BTreeSet<Module>,
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        out: Vec<Vec<Module>>,
    }
    impl Walk<'_> {
        fn visit(&mut self, v: &Module) {
            let n = self.index.len();
            self.index.insert(v.clone(), n);
            self.low.insert(v.clone(), n);
            self.stack.push(v.clone());
            for w in self.adj.get(v).into_iter().flatten().filter(|w| self.nodes.contains(*w)) {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v.clone(), low);
                } else if self.stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v.clone(), low);
                }
            }
            if self.low[v] == self.index[v] {
                let at = self.stack.iter().rposition(|m| m == v).unwrap_or(0);
                let component = self.stack.split_off(at);
                if component.len() > 1 {
                    self.out.push(component);
                }
            }
        }
    }
    let mut walk =
        Walk { adj, nodes, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), out: Vec::new() };
    for v in nodes {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.out
}

/// `edges` collapsed to the children of `parent` (a dependency of a grandchild counts for its child).
fn children_graph(
    edges: &BTreeMap<Module, BTreeSet<Module>>,
    parent: &[String],
) -> (BTreeSet<Module>, BTreeMap<Module, BTreeSet<Module>>) {
    let child = |m: &Module| (m.len() > parent.len() && m.starts_with(parent)).then(|| m[..=parent.len()].to_vec());
    let nodes: BTreeSet<Module> = edges.keys().filter_map(child).collect();
    let mut adj: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, deps) in edges {
        let Some(a) = child(m) else { continue };
        for b in deps.iter().filter_map(child).filter(|b| *b != a) {
            adj.entry(a.clone()).or_default().insert(b);
        }
    }
    (nodes, adj)
}

fn show(circle: &[Module]) -> String {
    circle.iter().map(|m| m.join("/")).collect::<Vec<_>>().join(" <-> ")
}

#[test]
fn no_module_is_part_of_an_import_circle() {
    let edges = graph();
    let mut parents: BTreeSet<Module> = edges.keys().map(|m| m[..m.len() - 1].to_vec()).collect();
    parents.insert(Vec::new());
    let found: Vec<String> = parents
        .iter()
        .flat_map(|p| {
            let (nodes, adj) = children_graph(&edges, p);
            circles(&nodes, &adj)
        })
        .map(|c| show(&c))
        .collect();
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn each_top_level_module_imports_only_the_layers_below_it() {
    let edges = graph();
    let layer = |name: &str| LAYERS.iter().position(|l| l.contains(&name));
    let mut wrong = Vec::new();
    for (module, deps) in &edges {
        let from = &module[0];
        let Some(own) = layer(from) else {
            wrong.push(format!("{from} is in no layer of LAYERS"));
            continue;
        };
        for dep in deps.iter().filter(|d| d[0] != *from) {
            if layer(&dep[0]).is_none_or(|l| l >= own) {
                wrong.push(format!("{} -> {}", module.join("/"), dep.join("/")));
            }
        }
    }
    wrong.dedup();
    assert!(wrong.is_empty(), "imports against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_graph_sees_the_imports_it_must() {
    // A parser that found nothing would pass both tests above: check known edges are seen.
    let edges = graph();
    let has = |from: &[&str], to: &[&str]| {
        let (from, to): (Module, Module) =
            (from.iter().map(|s| s.to_string()).collect(), to.iter().map(|s| s.to_string()).collect());
        edges.get(&from).is_some_and(|d| d.contains(&to))
    };
    assert!(has(&["imap", "session"], &["imap", "connect"]), "a `use super::{{…}}` tree");
    assert!(has(&["http", "extract"], &["auth", "jwt"]), "a `use crate::{{…}}` tree");
    assert!(edges.len() > 100, "every module is read: {}", edges.len());
    let (nodes, adj) = children_graph(
        &BTreeMap::from([
            (vec!["a".to_string(), "x".to_string()], BTreeSet::from([vec!["a".to_string(), "y".to_string()]])),
            (vec!["a".to_string(), "y".to_string()], BTreeSet::from([vec!["a".to_string(), "x".to_string()]])),
        ]),
        &["a".to_string()],
    );
    assert_eq!(circles(&nodes, &adj).len(), 1, "a two-module circle is found");
}

#[test]
fn module_files_follow_one_convention() {
    // A folder module is `name/mod.rs` (never `name.rs` beside `name/`); unit tests too long to
    // stay in their file sit beside it as `<file>_tests.rs`; every file opens with a `//!` line.
    let mut wrong = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            let shown = path.display().to_string();
            if path.is_dir() {
                if path.with_extension("rs").exists() {
                    wrong.push(format!("{shown}.rs beside {shown}/ (use {shown}/mod.rs)"));
                }
                stack.push(path);
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.ends_with("tests.rs") && !name.ends_with("_tests.rs") {
                wrong.push(format!("{shown}: a test file is named after the file it tests, <file>_tests.rs"));
            }
            let text = std::fs::read_to_string(&path).expect("read file");
            if name.ends_with(".rs") && !text.starts_with("//!") {
                wrong.push(format!("{shown}: no //! line first"));
            }
        }
    }
    assert!(wrong.is_empty(), "module files:\n{}", wrong.join("\n"));
}

#[test]
fn only_the_request_account_takes_a_pool() {
    // "A pool only from a verified sub": `http::account::Account` is the one caller of
    // `pool_for` (state forwards it to the credential policy, which defines it).
    let allowed = ["src/http/account.rs", "src/state/mod.rs", "src/auth/credentials/mod.rs"];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut callers = Vec::new();
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(root).expect("below root").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("read file");
            if code_only(&text).contains("pool_for(") && !allowed.contains(&rel.as_str()) {
                callers.push(rel);
            }
        }
    }
    assert!(callers.is_empty(), "pool_for called outside http/account.rs: {callers:?}");
    let account = std::fs::read_to_string(root.join("src/http/account.rs")).expect("account.rs");
    assert!(account.contains(".pool_for(&self.user.claims.sub)"), "the account takes the pool of its verified sub");
}
