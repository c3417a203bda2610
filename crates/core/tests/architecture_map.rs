//! `docs/architecture.md` stays true. Its SPEC map names, for every section id of the product
//! specification, the modules, scenarios and tests that do and check it: every path it names
//! must exist, every test it names must be a function in the file (and module) it names, and
//! every SPEC id must have exactly one row. Its execution order lists the block-boundary jobs
//! and the reaction hooks: they must be the calls `exec::run_block_jobs` and `exec::react`
//! make, in the same order.
//!
//! The SPEC ids are copied below, so the check works on a clone of the repository alone.
//! When `SPEC.md` sits beside the repository (`../shared/SPEC.md`), a further test checks the
//! copy against it, so a new SPEC id fails here until the copy and the map have it.

use std::path::{Path, PathBuf};

/// Every section id of `SPEC.md`, in its order.
const SPEC_IDS: &[&str] = &[
    "L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8", "L9", "L10", // the ledger
    "S1", "S2", "S3", "S4", "S5", "S6", // settlement
    "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", // funds and Treasuries
    "C1", "C2", "C3", "C4", "C5", "C6", // collateral and margin
    "T1", "T2", // programmable treasury
    "R1", "R2", // stablecoin reserves
    "M1", "M2", "M3", // many domains
    "A1", "A2", "A3", "A4", // audit, reports, privacy
    "I1", "I2", "I3", "I4", "I5", // interfaces
    "N1", "N2", "N3", "N4", // qualities
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn architecture() -> String {
    read(&root().join("docs/architecture.md"))
}

/// The text under a heading (`## X` or `### X`, given with its hashes) up to the next heading
/// of the same or a higher level.
fn section<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let start = doc.lines().position(|l| l.trim_end() == heading)?;
    let lines: Vec<&str> = doc.lines().collect();
    let end = lines[start + 1..]
        .iter()
        .position(|l| {
            let hashes = l.chars().take_while(|c| *c == '#').count();
            hashes > 0 && hashes <= level && l[hashes..].starts_with(' ')
        })
        .map_or(lines.len(), |i| start + 1 + i);
    let from = lines[..=start].iter().map(|l| l.len() + 1).sum::<usize>().min(doc.len());
    let to = lines[..end].iter().map(|l| l.len() + 1).sum::<usize>().min(doc.len());
    Some(&doc[from..to])
}

/// What is between backticks, in order.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

struct Row {
    id: String,
    modules: String,
    scenarios: String,
    tests: String,
}

/// The rows of the first table in `text` (its header and separator skipped).
fn rows(text: &str) -> Result<Vec<Row>, String> {
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('|')).skip(2) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let [id, _what, modules, scenarios, tests] = cells.as_slice() else {
            return Err(format!("a row without five cells: {line}"));
        };
        out.push(Row {
            id: id.to_string(),
            modules: modules.to_string(),
            scenarios: scenarios.to_string(),
            tests: tests.to_string(),
        });
    }
    Ok(out)
}

/// Whether `code` holds `fn name(` or `fn name<`, inside `mod m {` for the last `m` of
/// `modules` (the nearest module opening above the function must be that one).
fn defines(code: &str, modules: &[&str], name: &str) -> bool {
    let lines: Vec<&str> = code.lines().collect();
    let is_fn = |l: &&str| l.contains(&format!("fn {name}(")) || l.contains(&format!("fn {name}<"));
    let Some(at) = lines.iter().position(is_fn) else { return false };
    let Some(last) = modules.last() else { return true };
    let opening = lines[..at].iter().rev().map(|l| l.trim_start()).find(|l| {
        let l = l.strip_prefix("pub ").unwrap_or(l);
        l.starts_with("mod ") && l.trim_end().ends_with('{')
    });
    opening.is_some_and(|l| l.strip_prefix("pub ").unwrap_or(l).trim_end() == format!("mod {last} {{"))
}

/// Everything wrong with the map's rows, checked against the files under `root`.
fn problems(rows: &[Row], root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for row in rows {
        let id = &row.id;
        let modules = backticked(&row.modules);
        if modules.is_empty() && !row.modules.contains("not built") {
            found.push(format!("{id}: the module column names no path and does not say \"not built\""));
        }
        for path in modules {
            if !root.join(path).exists() {
                found.push(format!("{id}: module {path} does not exist"));
            }
        }
        for path in backticked(&row.scenarios) {
            if !path.starts_with("scenarios/") {
                found.push(format!("{id}: scenario {path} is not under scenarios/"));
            } else if !root.join(path).exists() {
                found.push(format!("{id}: scenario {path} does not exist"));
            }
        }
        for test in backticked(&row.tests) {
            let Some((file, rest)) = test.split_once(".rs::") else {
                found.push(format!("{id}: test {test} is not written file.rs::name"));
                continue;
            };
            let file = format!("{file}.rs");
            let path = root.join(&file);
            let Ok(code) = std::fs::read_to_string(&path) else {
                found.push(format!("{id}: test file {file} does not exist"));
                continue;
            };
            let parts: Vec<&str> = rest.split("::").collect();
            let (name, modules) = parts.split_last().expect("split always yields one part");
            if !defines(&code, modules, name) {
                found.push(format!("{id}: {file} has no fn {name} in module {}", modules.join("::")));
            }
        }
    }
    found
}

/// The SPEC ids with no row, twice, or unknown.
fn coverage(rows: &[Row], ids: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for id in ids {
        match rows.iter().filter(|r| r.id == *id).count() {
            0 => found.push(format!("{id} has no row")),
            1 => {}
            n => found.push(format!("{id} has {n} rows")),
        }
    }
    for row in rows {
        if !ids.contains(&row.id.as_str()) {
            found.push(format!("{} is a row for no SPEC id", row.id));
        }
    }
    found
}

/// The section ids of a SPEC text: list items opening with a bold id such as `**L1 ` or `**R1**`.
fn spec_ids(spec: &str) -> Vec<String> {
    spec.lines()
        .filter_map(|l| l.trim_start().strip_prefix("- **"))
        .map(|rest| rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>())
        .filter(|id| {
            let mut chars = id.chars();
            chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.as_str().parse::<u32>().is_ok()
        })
        .collect()
}

/// The body of `fn name` in `code`, from its opening brace to the matching closing one.
fn body<'a>(code: &'a str, name: &str) -> &'a str {
    let at = code.find(&format!("fn {name}(")).unwrap_or_else(|| panic!("no fn {name}"));
    let open = at + code[at..].find('{').expect("a body");
    let mut depth = 0;
    for (i, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &code[open..=open + i];
                }
            }
            _ => {}
        }
    }
    panic!("fn {name} is not closed")
}

/// Calls of lower-case `module::function(` in `code`, in order.
fn calls(code: &str) -> Vec<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (i, _) in code.match_indices("::") {
        let module: String =
            code[..i].chars().rev().take_while(|c| word(*c)).collect::<Vec<_>>().into_iter().rev().collect();
        let function: String = code[i + 2..].chars().take_while(|c| word(*c)).collect();
        let next = code[i + 2 + function.len()..].chars().next();
        if module.starts_with(|c: char| c.is_ascii_lowercase())
            && function.starts_with(|c: char| c.is_ascii_lowercase())
            && next == Some('(')
        {
            out.push(format!("{module}::{function}"));
        }
    }
    out
}

/// The `module::function` names on the numbered lines of a section of the doc, in order.
fn listed(section: &str) -> Vec<String> {
    section
        .lines()
        .map(str::trim_start)
        .filter(|l| l.split_once(". ").is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())))
        .flat_map(backticked)
        .filter(|b| {
            b.split_once("::").is_some_and(|(m, f)| {
                m.starts_with(|c: char| c.is_ascii_lowercase()) && f.starts_with(|c: char| c.is_ascii_lowercase())
            })
        })
        .map(str::to_string)
        .collect()
}

fn spec_map() -> Vec<Row> {
    let doc = architecture();
    let map = section(&doc, "## SPEC map").expect("docs/architecture.md has a \"## SPEC map\" section");
    rows(map).unwrap_or_else(|e| panic!("{e}"))
}

fn exec() -> String {
    read(&root().join("crates/core/src/exec.rs"))
}

#[test]
fn every_path_in_the_spec_map_exists_and_every_test_it_names_is_a_function_in_its_file() {
    let rows = spec_map();
    assert!(rows.len() >= SPEC_IDS.len(), "the SPEC map has {} rows", rows.len());
    let found = problems(&rows, &root());
    assert!(found.is_empty(), "docs/architecture.md, SPEC map:\n{}", found.join("\n"));
}

#[test]
fn every_spec_id_has_exactly_one_row_in_the_spec_map() {
    let found = coverage(&spec_map(), SPEC_IDS);
    assert!(found.is_empty(), "docs/architecture.md, SPEC map:\n{}", found.join("\n"));
}

#[test]
fn the_spec_ids_copied_here_are_those_of_spec_md_when_it_is_beside_the_repository() {
    let path = root().join("../shared/SPEC.md");
    let Ok(spec) = std::fs::read_to_string(&path) else {
        eprintln!("{} is not beside the repository: checked against the copied SPEC ids only", path.display());
        return;
    };
    assert_eq!(spec_ids(&spec), SPEC_IDS, "SPEC.md's ids changed: update SPEC_IDS here and the SPEC map");
}

#[test]
fn the_block_jobs_in_the_doc_are_the_calls_of_exec_run_block_jobs_in_order() {
    let doc = architecture();
    let jobs = section(&doc, "### Block-boundary jobs").expect("a \"### Block-boundary jobs\" section");
    let code = exec();
    let in_code = calls(body(&code, "run_block_jobs"));
    assert!(!in_code.is_empty(), "run_block_jobs calls no module");
    assert_eq!(listed(jobs), in_code, "docs/architecture.md lists other block-boundary jobs than exec::run_block_jobs");
}

#[test]
fn the_hooks_in_the_doc_are_the_calls_of_exec_react_in_order() {
    let doc = architecture();
    let hooks = section(&doc, "### Reactions (hooks)").expect("a \"### Reactions (hooks)\" section");
    let code = exec();
    let in_code = calls(body(&code, "react"));
    assert!(!in_code.is_empty(), "react calls no module");
    assert_eq!(listed(hooks), in_code, "docs/architecture.md lists other hooks than exec::react");
}

#[test]
fn the_checks_find_a_missing_path_a_missing_test_a_missing_id_and_a_hook_out_of_order() {
    let doc = "## SPEC map\n\n| SPEC | what | module(s) | scenario(s) | test(s) |\n|---|---|---|---|---|\n\
        | L1 | here | `crates/core/src/exec.rs` | `scenarios/demo.yaml` | `crates/core/tests/layers.rs::the_layer_check_sees_an_upward_import` |\n\
        | L2 | gone | `crates/core/src/nowhere.rs` | `scenarios/nowhere.yaml` | `crates/core/tests/layers.rs::no_such_test` |\n\
        | L3 | wrong module | `crates/core/src/code.rs` | — | `crates/core/src/code.rs::elsewhere::codes_are_unique_and_parse_back` |\n\
        | L4 | silent | — | — | — |\n\n## Next\n";
    let rows = rows(section(doc, "## SPEC map").unwrap()).unwrap();
    assert_eq!(rows.len(), 4);
    assert!(problems(&rows[..1], &root()).is_empty(), "{:?}", problems(&rows[..1], &root()));
    let found = problems(&rows, &root());
    for needle in [
        "nowhere.rs does not exist",
        "nowhere.yaml does not exist",
        "no fn no_such_test",
        "in module elsewhere",
        "L4: the module column",
    ] {
        assert!(found.iter().any(|p| p.contains(needle)), "{needle} not found in {found:?}");
    }
    assert!(problems(&rows[2..3], &root()).len() == 1);
    let tests = "`crates/core/src/code.rs::tests::codes_are_unique_and_parse_back`".to_string();
    let row = Row { id: "L9".into(), modules: "not built".into(), scenarios: "—".into(), tests };
    assert!(problems(&[row], &root()).is_empty());
    assert_eq!(coverage(&rows, &["L1", "L2", "L3", "L4", "L5"]), ["L5 has no row"]);
    assert_eq!(spec_ids("- **L1 Parties.** x\n- **R1** Mint\n- **Who** no\n"), ["L1", "R1"]);
    let code =
        "fn react(cx: &mut Ctx) {\n    Reaction::X { a } => {\n        b::rekey(s);\n        a::rekey(s);\n    }\n}\n";
    let hooks = "1. `a::rekey` — first;\n2. `b::rekey` — second.\n";
    assert_eq!(calls(body(code, "react")), ["b::rekey", "a::rekey"]);
    assert_ne!(listed(hooks), calls(body(code, "react")));
}
