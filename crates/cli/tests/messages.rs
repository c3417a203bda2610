//! What people read is words, not Rust debug text: every scenario's step lines and mismatch
//! reports, the views (`query …`) of the ledgers the scenarios leave, both demos and the fund
//! report. `--json` output, meant for programs, stays structured.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Words that have an inner capital yet are words: "DvP" (delivery versus payment).
const WORDS_WITH_INNER_CAPITALS: &[&str] = &["DvP"];

/// Why a line reads as debug text, if it does.
fn debug_text(line: &str) -> Option<String> {
    for needle in ["{", "}", "Some(", "Time(", "[\""] {
        if line.contains(needle) {
            return Some(format!("contains {needle}"));
        }
    }
    let bytes = line.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_alphanumeric() {
            start += 1;
            continue;
        }
        let end = (start..bytes.len()).find(|&i| !bytes[i].is_ascii_alphanumeric()).unwrap_or(bytes.len());
        let word = &line[start..end];
        let capital = word.as_bytes()[0].is_ascii_uppercase();
        // An inner capital after a small letter: `QualifiedPurchaser`, `AtValueDate`.
        let camel = word.as_bytes().windows(2).any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
        if word == "None" {
            return Some("names None".into());
        }
        if capital && camel && !WORDS_WITH_INNER_CAPITALS.contains(&word) {
            return Some(format!("a CamelCase name {word}"));
        }
        // A capitalised name opening a tuple: `AtHeight(12)`, `WalletId(…)`.
        if capital && bytes.get(end) == Some(&b'(') {
            return Some(format!("a tuple {word}("));
        }
        start = end;
    }
    None
}

struct Reader {
    cwd: PathBuf,
    lines: usize,
    problems: Vec<String>,
}

impl Reader {
    /// Runs `tessera` and scans every line it prints on either stream.
    fn run(&mut self, args: &[&str]) {
        let o = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(args)
            .current_dir(&self.cwd)
            .output()
            .expect("run tessera");
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        self.lines += lines.len();
        // The first offending line of each command, so one long dump does not hide the rest.
        if let Some((line, why)) = lines.iter().find_map(|l| debug_text(l).map(|why| (l, why))) {
            self.problems.push(format!("tessera {}: {why}:\n    {line}", args.join(" ")));
        }
    }

    /// The same command with `--json`, parsed (not scanned: it is for programs).
    fn json(&self, args: &[&str]) -> serde_json::Value {
        let o = Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("--json")
            .args(args)
            .current_dir(&self.cwd)
            .output()
            .expect("run tessera");
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("tessera --json {}: not JSON ({e}): {}", args.join(" "), o.stdout.len()))
    }

    /// Every list view of a ledger, the instructions one by one, and the history, receipts,
    /// balances and locks of some wallets.
    fn views(&mut self, data: &str, wallets: &[&str]) {
        for q in ["alerts", "proposals", "instructions", "htlcs", "tenders", "repos", "assets", "funds", "feeds"] {
            self.run(&["query", q, "--data", data]);
        }
        self.run(&["query", "redemptions", "--data", data]);
        let instructions = self.json(&["query", "instructions", "--data", data]);
        for i in instructions.as_array().into_iter().flatten() {
            let id = i["id"].as_u64().expect("an instruction id").to_string();
            self.run(&["query", "instructions", "--id", &id, "--data", data]);
        }
        for wallet in wallets {
            self.run(&["query", "history", "--wallet", wallet, "--data", data]);
            self.run(&["query", "balances", "--wallet", wallet, "--data", data]);
            self.run(&["query", "locks", "--wallet", wallet, "--data", data]);
            let history = self.json(&["query", "history", "--wallet", wallet, "--data", data]);
            // Receipts repeat themselves soon: a dozen per wallet show every kind it has.
            for h in history.as_array().into_iter().flatten().take(12) {
                let tx = h["receipt"]["tx"].as_str().expect("a transaction id");
                self.run(&["query", "receipt", "--tx", tx, "--data", data]);
            }
        }
    }
}

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn no_output_a_person_reads_shows_debug_text() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = Reader { cwd: tmp.path().to_path_buf(), lines: 0, problems: Vec::new() };
    let files = scenario_files();
    assert!(files.len() >= 30, "expected the full scenario set, found {}", files.len());
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        let data = format!("sc-{name}");
        r.run(&["scenario", "run", &f.display().to_string(), "--data", &data]);
        r.views(&data, &["@alpha"]);
    }
    r.run(&["demo", "--data", "demo"]);
    r.views("demo", &["@alpha", "@bolt"]);
    r.run(&["demo", "--fund", "--data", "fund"]);
    r.views("fund", &["@alpha", "@src-a"]);
    r.run(&["report", "fund", "--fund", "ATLAS", "--data", "fund"]);
    assert!(r.lines > 3_000, "only {} lines read: the commands did not run as expected", r.lines);
    assert!(
        r.problems.is_empty(),
        "{} commands print debug text ({} lines read); the first line of each:\n{}",
        r.problems.len(),
        r.lines,
        r.problems.iter().take(40).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_debug_text_check_catches_what_it_should() {
    for bad in [
        "proposal 1 is closed (Executed { at: Time(1767621600) })",
        "journal: Some(AlertRaised); replay: None",
        "party x is a Fund; the asset may be held only by [Institution, QualifiedPurchaser]",
        "#2 settled [500 USDX a→b] AtHeight(12), affirmed by alpha",
        "affirmed by [\"alpha\", \"bolt\"]",
    ] {
        assert!(debug_text(bad).is_some(), "{bad}");
    }
    for good in [
        "proposal 1 is closed (executed at 2026-01-05T14:00:00Z)",
        "scenario: settlement — two-leg DvP settles on the last affirmation",
        "party carol holds none of the allowed investor classes: qualified purchaser or non-US person",
        "1,000.00 B-912796Y60 e0d12678→b530782a; NAV 0.99955193 (yield)",
    ] {
        assert_eq!(debug_text(good), None, "{good}");
    }
}

#[test]
fn json_output_stays_structured() {
    let tmp = tempfile::tempdir().unwrap();
    let r = Reader { cwd: tmp.path().to_path_buf(), lines: 0, problems: Vec::new() };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let run = r.json(&["scenario", "run", &dir.join("settlement_failures.yaml").display().to_string(), "--data", "s"]);
    assert_eq!(run["scenario"]["passed"], true, "{run}");
    assert!(run["scenario"]["steps"].as_array().is_some_and(|s| !s.is_empty()));

    // Statuses stay tagged objects with their times as RFC 3339 strings; modes stay names.
    let instructions = r.json(&["query", "instructions", "--data", "s"]);
    let first = &instructions[0];
    assert!(first["status"]["status"].is_string(), "{first}");
    assert!(first["status"]["at"].as_str().is_some_and(|t| t.ends_with('Z')), "{first}");
    assert!(first["mode"].is_string() || first["mode"].is_object(), "{first}");
    // Amounts twice: in the asset's units (this ledger's USDX has no decimals) and minor units.
    assert_eq!(first["legs"][0]["amount"], "100", "{first}");
    assert!(first["legs"][0]["amount_units"].is_u64(), "{first}");

    r.json(&["demo", "--data", "d"]);
    let proposals = r.json(&["query", "proposals", "--data", "d"]);
    assert_eq!(proposals[0]["status"]["status"], "executed", "{}", proposals[0]);
    let alerts = r.json(&["query", "alerts", "--data", "d"]);
    assert_eq!(alerts[0]["amount"], "6000000.000000", "{}", alerts[0]);
    assert!(alerts[0]["amount_units"].is_u64(), "{}", alerts[0]);
    let history = r.json(&["query", "history", "--wallet", "@alpha", "--data", "d"]);
    let tx = history[0]["receipt"]["tx"].as_str().expect("a transaction id");
    let receipt = r.json(&["query", "receipt", "--tx", tx, "--data", "d"]);
    assert_eq!(receipt["receipt"]["outcome"]["status"], "ok", "{receipt}");
    assert!(receipt["receipt"]["outcome"]["events"][0]["event"].is_string(), "{receipt}");
}
