//! Every scenario in `scenarios/` runs on the core alone, with the same expectations as end to
//! end, and the blocks it leaves replay to the same headers and state.

use std::path::{Path, PathBuf};
use tessera_scenario::{genesis, run_on, MemoryLedger, ScenarioLedger};

fn scenario_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the directory exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml" || x == "json"))
        .collect();
    files.sort();
    files
}

/// Runs a file in memory; the error names the file and the first step that failed.
fn run_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let s = tessera_scenario::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut ledger = MemoryLedger::create(&genesis(&s)).map_err(|e| e.to_string())?;
    let report = run_on(&s, path.parent().unwrap_or(Path::new(".")), &mut ledger, |_| {}).map_err(|e| e.to_string())?;
    if let Some(bad) = report.steps.iter().find(|r| !r.passed) {
        return Err(format!("{}: step {} ({}) failed: {}", path.display(), bad.step, bad.summary, bad.detail));
    }
    let v = ledger.verify().map_err(|e| e.to_string())?;
    match v.first_mismatch {
        Some(m) => Err(format!("{}: the blocks do not replay: {m}", path.display())),
        None if v.blocks != report.blocks + 1 => {
            Err(format!("{}: {} blocks replayed of {}", path.display(), v.blocks, report.blocks + 1))
        }
        None => Ok(()),
    }
}

#[test]
fn every_scenario_in_the_repository_passes_on_the_core_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let files = scenario_files(&root);
    assert!(files.len() >= 30, "expected the full scenario set, found {}", files.len());
    let start = std::time::Instant::now();
    let failures: Vec<String> = files.iter().filter_map(|f| run_file(f).err()).collect();
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), files.len(), failures.join("\n"));
    eprintln!("{} scenarios passed in memory in {:.2} s", files.len(), start.elapsed().as_secs_f64());
}
