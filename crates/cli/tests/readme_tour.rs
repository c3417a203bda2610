//! The README's tour, run as written: the commands of the ```sh block under "## A tour", in
//! order, as one bash script from the repository's root, twice (a second paste must work as
//! well as the first), so the tour cannot drift from what the binary does.
//!
//! What the test changes, and why:
//! - `cargo build --release && alias tessera=…` becomes an alias of this test's binary:
//!   building a release binary inside a test would take most of the run.
//! - The `tessera bench …` lines are skipped: at the tour's sizes they run for minutes and take
//!   the whole machine; they are measurements, not checks (each benchmark's code is built and
//!   its small cases tested elsewhere).
//! - The node's port 8080 is replaced by a free one (tests run side by side), given to the
//!   node as `TESSERA_LISTEN`, and the script waits for `/ready` after starting the node: a
//!   person pasting the next line gives it that moment, a script does not.
//! - A command whose comment on the next line says `exit 1` (a precheck that lists the rules
//!   a transfer would break) must exit non-zero; the script checks that it does.
//! - Everything else runs unchanged, with `set -eu`: any command that fails fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shell block under "## A tour" in README.md.
fn tour() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let after = readme.split_once("## A tour").expect("README.md has a \"## A tour\" section").1;
    let block = after.split_once("```sh\n").expect("the tour is a ```sh block").1;
    block.split_once("```").expect("the tour's block is closed").0.to_string()
}

/// The tour as the test runs it (see the module's comment for each change).
fn script(tour: &str, port: u16) -> String {
    let mut out = vec![
        "set -eu".to_string(),
        // Whatever happens, the node this run started does not outlive it.
        "trap 'kill ${NODE:-} 2>/dev/null || true' EXIT".to_string(),
    ];
    let mut skipped = Vec::new();
    let lines: Vec<&str> = tour.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let next = lines.get(i + 1).copied().unwrap_or_default();
        let refused = next.trim_start().starts_with('#') && next.contains("exit 1");
        if refused {
            assert!(!line.contains('#'), "a command expected to fail carries its comment on the next line: {line}");
            out.push(format!("if {line}; then echo 'expected to exit 1: {line}' >&2; exit 1; fi"));
        } else if line.starts_with("cargo build --release") {
            assert!(line.contains("alias tessera="), "the first line names the binary: {line}");
            // An alias as in the README: `tessera node … & NODE=$!` is then the node's own id.
            out.push("shopt -s expand_aliases; alias tessera=\"$TESSERA_BIN\"".into());
        } else if line.starts_with("tessera bench ") {
            skipped.push(line);
        } else if line.starts_with("tessera node ") {
            out.push(line.replace("8080", &port.to_string()));
            out.push(format!(
                "for _ in $(seq 600); do curl -sf localhost:{port}/ready >/dev/null && break; sleep 0.1; done"
            ));
        } else {
            out.push(line.replace("8080", &port.to_string()));
        }
    }
    assert_eq!(skipped.len(), 5, "the tour's five benchmark lines, and only those, are skipped: {skipped:?}");
    out.join("\n")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn root_listing() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

#[test]
fn the_readme_tour_runs_as_written_twice_and_writes_nothing_into_the_repository() {
    for tool in ["bash", "curl", "jq"] {
        let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
        assert!(found.status.success(), "the tour needs {tool} (.ci/run installs it)");
    }
    let before = root_listing();
    let tmp = tempfile::tempdir().unwrap();
    for run in 1..=2 {
        let port = free_port();
        let out = Command::new("bash")
            .arg("-c")
            .arg(script(&tour(), port))
            .current_dir(repo())
            .env("TESSERA_BIN", env!("CARGO_BIN_EXE_tessera"))
            .env("TESSERA_LISTEN", format!("127.0.0.1:{port}"))
            .env("TMPDIR", tmp.path())
            .env_remove("TESSERA_NODE")
            .env_remove("TESSERA_AUTH_KEY")
            .env_remove("TESSERA_DATA")
            .output()
            .unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "run {run} of the tour failed:\n{stdout}\n{stderr}");
        for expected in [
            "verified",                 // tessera verify
            "fund ATLAS",               // the fund report
            "reconciliation of ATLAS",  // reconcile
            "PASSED rule lockup",       // scenario run
            "sanctions list updated",   // sanctions import
            "committed",                // submit through the node
            "\"status\":\"committed\"", // the same transfer with curl
            "event: block",             // the event stream
            "tessera_",                 // metrics
        ] {
            assert!(stdout.contains(expected), "run {run}: no {expected:?} in the tour's output:\n{stdout}\n{stderr}");
        }
    }
    assert_eq!(root_listing(), before, "the tour wrote into the repository's root");
}
