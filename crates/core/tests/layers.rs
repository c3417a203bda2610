//! The core's modules form layers, and no module imports one above it: base (identifiers,
//! codes, arithmetic), then the model (records, specs, events, operations, state), then the
//! contract between execution and rules (`action`), then the rule modules in a fixed order,
//! then execution. Each module may import only modules listed before it. This test reads the
//! sources, so an upward import — which would bring back the import cycle the layers replaced —
//! fails here, naming the file and the import.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bottom to top. Paths are module paths under `crate::`; `op`, `state`, `block` and `tx` are
/// the model's modules re-exported at the root.
const ORDER: &[(&str, &[&str])] = &[
    (
        "base",
        &[
            "code",
            "prose",
            "units",
            "identifiers",
            "time",
            "chain_address",
            "types",
            "wallet_refs",
            "crypto",
            "table",
            "oracle_math",
            "statement",
            "treasury",
            "ofac",
        ],
    ),
    (
        "model",
        &[
            "model::compliance",
            "model::governance",
            "model::cash",
            "model::collateral",
            "model::escrow",
            "model::htlc",
            "model::movement",
            "model::repo",
            "model::securities",
            "model::settlement",
            "model::yields",
            "model::oracle",
            "model::fund",
            "model::admin",
            "model::op",
            "model::proposal",
            "model::tx",
            "model::block",
            "model::state",
            "words",
            "layouts",
        ],
    ),
    ("contract", &["action"]),
    (
        "rules",
        &[
            "compliance",
            "governance",
            "locks",
            "movement",
            "admin",
            "settlement",
            "htlc",
            "escrow",
            "repo",
            "cash",
            "yields",
            "securities",
            "oracle",
            "fund",
            "collateral",
        ],
    ),
    ("execution", &["invariants", "exec", "replay", "input", "output"]),
];

/// The model's modules re-exported at the crate root (`pub use model::{block, op, state, tx}`).
fn canonical(path: &str) -> String {
    let first = path.split("::").next().unwrap_or(path);
    match first {
        "op" | "state" | "block" | "tx" => format!("model::{first}"),
        "model" => {
            let mut parts = path.split("::");
            parts.next();
            match parts.next() {
                Some(m) => format!("model::{m}"),
                None => "model".into(),
            }
        }
        _ => first.to_string(),
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The module a source file belongs to (a directory module's files belong to it, except the
/// model's, each of which is its own module).
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).ok()?.with_extension("");
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    match parts.as_slice() {
        [one] if one == "lib" => None,
        [one] => Some(one.clone()),
        [dir, file] if dir == "model" && file == "mod" => None,
        [dir, file] if dir == "model" => Some(format!("model::{file}")),
        [dir, ..] => Some(dir.clone()),
        [] => None,
    }
}

/// Code without comments and without the unit tests (tests may import anything).
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Every `crate::…` path a file names, including those inside `use crate::{a, b::c}` groups.
fn imports(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String =
                    part.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
                if !name.is_empty() && name != "self" {
                    found.push(name);
                }
            }
            continue;
        }
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':').collect();
        found.push(name.trim_end_matches(':').to_string());
    }
    found
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn rank() -> BTreeMap<String, (usize, &'static str)> {
    let mut rank = BTreeMap::new();
    let mut i = 0;
    for (layer, modules) in ORDER {
        for m in *modules {
            rank.insert(m.to_string(), (i, *layer));
            i += 1;
        }
    }
    rank
}

#[test]
fn no_core_module_imports_a_module_above_it() {
    let rank = rank();
    let mut all = Vec::new();
    files(&src(), &mut all);
    let mut upward = Vec::new();
    for file in all {
        let Some(module) = module_of(&file) else { continue };
        let (mine, my_layer) = rank[&module];
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        for import in imports(&code) {
            let target = canonical(&import);
            if target == module || target == "model" {
                continue;
            }
            let Some(&(theirs, their_layer)) = rank.get(&target) else {
                upward.push(format!("{}: imports crate::{import}, which is in no layer", file.display()));
                continue;
            };
            if theirs >= mine {
                upward.push(format!(
                    "{}: {module} ({my_layer}) imports crate::{import} ({target}, {their_layer}), which is not below it",
                    file.display()
                ));
            }
        }
    }
    assert!(upward.is_empty(), "imports that point up or sideways:\n{}", upward.join("\n"));
}

#[test]
fn every_core_module_has_a_place_in_the_layers() {
    let rank = rank();
    let mut all = Vec::new();
    files(&src(), &mut all);
    let missing: Vec<String> = all.iter().filter_map(|f| module_of(f)).filter(|m| !rank.contains_key(m)).collect();
    assert!(missing.is_empty(), "modules with no layer: {missing:?}");
}

#[test]
fn the_layer_check_sees_an_upward_import() {
    // The checker itself: a model module naming a rule module is found.
    let code =
        code_of("use crate::model::state::State;\nuse crate::{fund, movement::mint};\n// crate::exec in a comment\n");
    assert_eq!(imports(&code), vec!["model::state::State", "fund", "movement::mint"]);
    let rank = rank();
    assert!(rank[&canonical("fund")].0 > rank["model::state"].0);
    assert_eq!(canonical("op::Op"), "model::op");
}
