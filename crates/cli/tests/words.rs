//! Words, not Rust: what the `tessera` binary prints for people never shows Rust's debug form of
//! a value (`Settled { at: Time(…) }`, `Some(3)`, `[QualifiedPurchaser, Accredited]`,
//! `OnAffirmation`). Every scenario runs with human output (each step's line, `show` steps'
//! output and refusal messages), then every list query reads the ledger it left; all of it is
//! scanned.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Words that are CamelCase on purpose (market terms a scenario or a view uses).
const CAMEL_CASE_WORDS: &[&str] = &["DvP"];

/// The first piece of Rust debug text in `text`, with its line, if any.
fn debug_text(text: &str) -> Option<String> {
    for line in text.lines() {
        for marker in ["{ at:", "Time(", "Some(", "None", ": Time", "Hash("] {
            if line.contains(marker) {
                return Some(format!("{marker:?} in: {line}"));
            }
        }
        for word in line.split(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
            // A variant name: an upper-case letter, lower case, then another upper-case
            // letter (`QualifiedPurchaser`, `OnAffirmation`).
            let b = word.as_bytes();
            let camel = b.len() > 2
                && b[0].is_ascii_uppercase()
                && b[1].is_ascii_lowercase()
                && b[2..].iter().any(u8::is_ascii_uppercase)
                && b.iter().all(u8::is_ascii_alphanumeric);
            if camel && !CAMEL_CASE_WORDS.contains(&word) {
                return Some(format!("{word:?} in: {line}"));
            }
        }
        // A debug list of unit variants: `[Accredited]`, `[Retail, Qib]`.
        if let Some(i) = line.find('[') {
            let inner = &line[i + 1..];
            let first = inner.split([',', ']']).next().unwrap_or_default();
            let rest_ok = inner.len() > first.len() && matches!(inner.as_bytes()[first.len()], b',' | b']');
            let b = first.as_bytes();
            if rest_ok && b.len() > 1 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_lowercase) {
                return Some(format!("a debug list in: {line}"));
            }
        }
    }
    None
}

#[test]
fn the_scan_finds_the_debug_text_people_were_shown_before() {
    for bad in [
        "instruction 3: Settled { at: Time(1767225600) }",
        "party carol holds none of [QualifiedPurchaser, Accredited]",
        "settles OnAffirmation",
        "cap Some(1000)",
        "expires None",
        "classes [Accredited]",
    ] {
        assert!(debug_text(bad).is_some(), "not caught: {bad}");
    }
    for good in [
        "instruction 3 settled at 2026-01-05T14:00:00Z",
        "party carol holds none of the allowed investor classes: qualified purchaser or accredited",
        "two-leg DvP settles on the last affirmation",
        "#1 sensitive [create_asset, set_policy] 2/2 approvals",
        "error[compliance.kyc_missing]: party dan has no KYC claim",
        "ISIN US912796Y601, CUSIP 912796Y60 [B-912796Y60]",
    ] {
        assert_eq!(debug_text(good), None, "{good}");
    }
}

fn scenarios() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files: Vec<PathBuf> = [root.clone(), root.join("unit")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).expect("scenarios/ and scenarios/unit/"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// `tessera ARGS` with human output: stdout and stderr together.
fn tessera(args: &[&str], data: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("TESSERA_NODE")
        .output()
        .expect("run tessera");
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn no_scenario_and_no_query_of_its_ledger_prints_rust_debug_text() {
    let files = scenarios();
    assert!(files.len() >= 30, "the full scenario set, found {}", files.len());
    let tmp = tempfile::tempdir().unwrap();
    let mut found = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let data = tmp.path().join(i.to_string());
        let mut texts =
            vec![("scenario run".to_string(), tessera(&["scenario", "run", file.to_str().unwrap()], &data))];
        assert!(texts[0].1.contains("PASSED"), "{}: {}", file.display(), texts[0].1);
        for q in [
            "alerts",
            "proposals",
            "instructions",
            "htlcs",
            "tenders",
            "repos",
            "assets",
            "funds",
            "feeds",
            "redemptions",
            "pledges",
            "calls",
            "loans",
        ] {
            texts.push((format!("query {q}"), tessera(&["query", q], &data)));
        }
        // Each clearing house the scenario registers, by its margin report.
        for line in
            std::fs::read_to_string(file).unwrap_or_default().lines().filter(|l| l.contains("kind: clearing_house"))
        {
            let Some(ccp) = line.split("party: ").nth(1).and_then(|r| r.split(',').next()) else { continue };
            texts.push((format!("report margin {ccp}"), tessera(&["report", "margin", ccp], &data)));
        }
        for (what, text) in texts {
            if let Some(d) = debug_text(&text) {
                found.push(format!("{} ({what}): {d}", file.display()));
            }
        }
    }
    assert!(found.is_empty(), "Rust debug text in what people read:\n{}", found.join("\n"));
}
