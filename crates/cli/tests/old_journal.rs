//! A journal written by the previous release (`tests/fixtures/ledger-v0.1/`, see its README)
//! still verifies with this binary, to the same head, and read-only commands leave its files
//! exactly as they were.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// What the release that wrote the fixture reported for it (`tessera --json verify`).
const BLOCKS: u64 = 21;
const TRANSACTIONS: u64 = 20;
const HEAD_HASH: &str = "94296f38098cfa10b48bbecce05d8b6905d2496d5ef546acdc6e09eca2be651a";
const STATE_DIGEST: &str = "7c5d80800ecb451aa802c883e8897178383277cbaca8812f279eeff1145d7028";

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera")).args(args).output().expect("run tessera")
}

/// A private copy of the fixture ledger: the tests must never touch the committed files.
fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ledger-v0.1/data");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    std::fs::create_dir(&dir).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    (tmp, dir)
}

/// Every file of the directory and its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn the_previous_release_journal_verifies_to_its_pinned_head() {
    let (_t, dir) = fixture_copy();
    let o = tessera(&["--json", "verify", "--data", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(report["first_mismatch"], serde_json::Value::Null, "{report}");
    assert_eq!(report["blocks"], BLOCKS, "{report}");
    assert_eq!(report["transactions"], TRANSACTIONS, "{report}");
    assert_eq!(report["head_hash"], HEAD_HASH, "{report}");
    assert_eq!(report["state_digest"], STATE_DIGEST, "{report}");
}

#[test]
fn verify_and_queries_of_the_previous_release_journal_leave_its_files_byte_for_byte_and_write_no_wal() {
    let (_t, dir) = fixture_copy();
    let before = files(&dir);
    let d = dir.to_str().unwrap();
    for args in [
        vec!["verify", "--data", d],
        vec!["query", "assets", "--data", d],
        vec!["query", "balances", "--party", "alpha", "--data", d],
        vec!["query", "history", "--wallet", "@bravo", "--data", d],
        vec!["query", "funds", "--data", d],
        vec!["query", "repos", "--data", d],
        vec!["query", "proposals", "--data", d],
        vec!["query", "holders", "--asset", "USDX", "--data", d],
        vec!["query", "htlcs", "--data", d],
    ] {
        let o = tessera(&args);
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(!o.stdout.is_empty(), "{args:?} printed nothing");
        let after = files(&dir);
        for (name, bytes) in &before {
            assert!(after.get(name) == Some(bytes), "{args:?} changed {name}");
        }
        // A reader of a WAL-mode database may leave SQLite's shared-memory index and an empty
        // WAL beside it; anything else, or a WAL holding frames, would be a write.
        for (name, bytes) in &after {
            if !before.contains_key(name) {
                assert!(name == "ledger.sqlite-shm" || name == "ledger.sqlite-wal", "{args:?} created {name}");
                assert!(name != "ledger.sqlite-wal" || bytes.is_empty(), "{args:?} wrote to the WAL");
            }
        }
    }
}
