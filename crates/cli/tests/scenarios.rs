//! Every scenario in `scenarios/` runs through the real path and must pass, and the journal it
//! leaves must verify.

use std::path::{Path, PathBuf};
use tessera_cli::scenario;

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios")
}

fn run_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let s = scenario::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = tmp.path().join("ledger");
    let report = scenario::run(&s, path.parent().unwrap_or(Path::new(".")), &dir, |_| {}).map_err(|e| e.to_string())?;
    if let Some(bad) = report.steps.iter().find(|r| !r.passed) {
        return Err(format!("{}: step {} ({}) failed: {}", path.display(), bad.step, bad.summary, bad.detail));
    }
    let store = tessera_store::Store::open(&dir).map_err(|e| e.to_string())?;
    let v = tessera_node::verify(&store, |_, _| {}).map_err(|e| e.to_string())?;
    if let Some(m) = v.first_mismatch {
        return Err(format!("{}: journal does not verify: {m}", path.display()));
    }
    Ok(())
}

#[test]
fn every_scenario_in_the_repository_passes_and_verifies() {
    // The unit-level stories of scenarios/unit/ run here end to end too.
    let mut files: Vec<PathBuf> = [scenario_dir(), scenario_dir().join("unit")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).expect("scenarios/ and scenarios/unit/ exist"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "expected the full scenario set, found {}", files.len());
    let failures: Vec<String> = files.iter().filter_map(|f| run_file(f).err()).collect();
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    eprintln!("{} scenarios passed", files.len());
}

#[test]
fn a_failed_expectation_fails_the_scenario() {
    let text = r#"
name: wrong expectation
start: 2026-01-01
steps:
  - tx:
      as: operator
      ops: [ { register_party: { party: a, name: A, kind: individual } } ]
      expect: { failed: party.exists }
  - note: never reached
"#;
    let s = scenario::parse(text).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let report = scenario::run(&s, Path::new("."), &tmp.path().join("l"), |_| {}).unwrap();
    assert!(!report.passed);
    assert_eq!(report.steps.len(), 1, "stops at the first failed expectation");
}

#[test]
fn malformed_scenarios_are_refused_with_a_code() {
    for text in [
        "name: x",
        "name: x\nstart: 2026-01-01\nsteps: [ { teleport: 1 } ]",
        ":::",
        "name: x\nstart: yesterday\nsteps: []",
    ] {
        let err = scenario::parse(text).err().expect("refused");
        assert_eq!(err.code, tessera_core::Code::ScenarioInvalid, "{text}");
    }
}
