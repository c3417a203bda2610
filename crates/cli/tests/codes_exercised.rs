//! Every failure code is exercised by at least one scenario or test: a code nobody can trigger
//! is either dead or untested. (Storage and tool codes are exercised by the Rust tests that
//! name them.)

use std::path::Path;
use tessera_core::Code;

/// Files under `dir` with one of `exts`, each as its own string.
fn files(dir: &Path, exts: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p, exts));
        } else if p.extension().is_some_and(|x| exts.iter().any(|e| x == *e)) {
            out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap_or_default()));
        }
    }
    out
}

#[test]
fn every_failure_code_is_exercised_somewhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scenarios: String = files(&root.join("scenarios"), &["yaml", "yml", "json"]).into_iter().map(|f| f.1).collect();
    let mut tests = String::new();
    for c in ["core", "store", "node", "cli"] {
        for (name, text) in files(&root.join("crates").join(c).join("tests"), &["rs"]) {
            // These two only describe codes.
            if !name.ends_with("docs_in_sync.rs") && !name.ends_with("codes_exercised.rs") {
                tests.push_str(&text);
            }
        }
        // Unit-test modules live beside the code: the part of each file after `#[cfg(test)]`.
        for (_, text) in files(&root.join("crates").join(c).join("src"), &["rs"]) {
            if let Some((_, t)) = text.split_once("#[cfg(test)]") {
                tests.push_str(t);
            }
        }
    }
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| {
            let s = c.as_str();
            let variant = format!("Code::{c:?}");
            !scenarios.contains(s) && !tests.contains(s) && !tests.contains(&variant)
        })
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "codes no scenario or test exercises: {missing:?}");
}
