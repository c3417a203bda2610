//! Changing one stored byte of a transaction, signature, receipt or header makes `verify` fail
//! and name the block, the transaction and the field.

use std::path::{Path, PathBuf};
use tessera_cli::scenario;
use tessera_core::block::BlockBody;
use tessera_store::{testing, Store};

fn demo_ledger() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let s = scenario::parse(&std::fs::read_to_string(base.join("demo.yaml")).unwrap()).unwrap();
    let report = scenario::run(&s, &base, &dir, |_| {}).unwrap();
    assert!(report.passed);
    (tmp, dir)
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).expect("bytes present in the stored body")
}

/// Flips one bit of the stored body of `height` at `offset(body bytes, decoded body)`.
fn tamper(dir: &Path, height: u64, offset: impl Fn(&[u8], &BlockBody) -> usize) {
    let store = Store::open(dir).unwrap();
    let raw = store.raw_block(height).unwrap().unwrap();
    let body = raw.decode_body().unwrap();
    let mut bytes = raw.body.clone();
    let at = offset(&bytes, &body);
    bytes[at] ^= 0x01;
    testing::write_block_column(dir, height, "body", &bytes).unwrap();
}

fn verify(dir: &Path) -> tessera_node::Mismatch {
    let store = Store::open(dir).unwrap();
    tessera_node::verify(&store, |_, _| {}).unwrap().first_mismatch.expect("verify must fail")
}

#[test]
fn untouched_journal_verifies() {
    let (_t, dir) = demo_ledger();
    let store = Store::open(&dir).unwrap();
    assert!(tessera_node::verify(&store, |_, _| {}).unwrap().first_mismatch.is_none());
}

#[test]
fn altered_operation_byte_is_named() {
    let (_t, dir) = demo_ledger();
    // Block 8 holds alpha's first TBILL transfer: change a byte of its amount.
    tamper(&dir, 8, |bytes, body| {
        let tx = body.txs[0].to_bytes();
        find(bytes, &tx) + tx.len() - 64 - 3
    });
    let m = verify(&dir);
    assert_eq!((m.height, m.tx, m.field.as_str()), (8, Some(0), "transaction"), "{m}");
}

#[test]
fn altered_signature_byte_is_named() {
    let (_t, dir) = demo_ledger();
    tamper(&dir, 8, |bytes, body| {
        let tx = body.txs[0].to_bytes();
        find(bytes, &tx) + tx.len() - 10
    });
    let m = verify(&dir);
    assert_eq!((m.height, m.tx, m.field.as_str()), (8, Some(0), "signature"), "{m}");
}

#[test]
fn altered_receipt_byte_is_named() {
    let (_t, dir) = demo_ledger();
    tamper(&dir, 8, |bytes, body| {
        let r = borsh::to_vec(&body.receipts[0]).unwrap();
        // The last byte of the receipt: inside its final event.
        find(bytes, &r) + r.len() - 1
    });
    let m = verify(&dir);
    assert_eq!((m.height, m.tx), (8, Some(0)), "{m}");
    assert!(m.field.starts_with("receipt"), "{m}");
}

#[test]
fn altered_header_is_named_and_the_cli_exits_non_zero() {
    let (_t, dir) = demo_ledger();
    let store = Store::open(&dir).unwrap();
    let raw = store.raw_block(5).unwrap().unwrap();
    let mut header = raw.header.clone();
    let last = header.len() - 1;
    header[last] ^= 0x80; // inside state_digest
    testing::write_block_column(&dir, 5, "header", &header).unwrap();
    drop(store);
    let m = verify(&dir);
    assert_eq!((m.height, m.field.as_str()), (5, "header"), "{m}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["verify", "--data", dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("verify.mismatch") && stderr.contains("block 5"), "{stderr}");
}

fn tessera(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tessera")).args(args).output().unwrap()
}

/// Flips one bit of a stored column of the last block, through SQL (as a bad disk or a
/// careless hand would), and returns the head height.
fn flip_in_last_block(dir: &Path, column: &str) -> u64 {
    let store = Store::open(dir).unwrap();
    let head = store.head_height().unwrap().unwrap();
    let mut bytes = testing::read_block_column(dir, head, column).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x04;
    testing::write_block_column(dir, head, column, &bytes).unwrap();
    head
}

/// Everything the journal stores, row by row (what "the files are untouched" means to a
/// ledger: SQLite may still fold its WAL into the main file when a connection closes).
fn stored_rows(dir: &Path) -> Vec<String> {
    testing::stored_rows(dir).unwrap()
}

#[test]
fn a_flipped_bit_in_the_last_committed_block_refuses_to_open_names_it_and_changes_nothing() {
    for column in ["body", "header", "body_hash", "hash"] {
        let (_t, dir) = demo_ledger();
        let head = flip_in_last_block(&dir, column);
        let before = stored_rows(&dir);
        let d = dir.to_str().unwrap();
        // A command that recovers the ledger refuses, names the block, and says how to restore.
        let out = tessera(&["query", "assets", "--data", d]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{column}: {stderr}");
        assert!(stderr.contains("error[store.corrupt]"), "{column}: {stderr}");
        assert!(stderr.contains(&format!("block {head}")), "{column}: {stderr}");
        assert!(stderr.contains("restore"), "{column}: {stderr}");
        // The node refuses to start the same way, and neither cut anything.
        let out = tessera(&["node", "--data", d, "--listen", "127.0.0.1:0"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{column}: {stderr}");
        assert!(stderr.contains("error[store.corrupt]") && stderr.contains(&format!("block {head}")), "{stderr}");
        assert!(stored_rows(&dir) == before, "{column}: the stored rows changed");
        // And verify keeps failing: the acknowledged block is still there, still damaged.
        let out = tessera(&["verify", "--data", d]);
        assert_eq!(out.status.code(), Some(1), "{column}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("block {head}")), "{column}");
    }
}

#[test]
fn a_flipped_byte_in_the_transaction_index_fails_verify_and_recovery() {
    let (_t, dir) = demo_ledger();
    let index = testing::read_block_column(&dir, 8, "tx_prefixes").unwrap();
    testing::write_block_column(&dir, 8, "tx_prefixes", &vec![0; index.len()]).unwrap();
    let m = verify(&dir);
    assert_eq!((m.height, m.field.as_str()), (8, "tx_index"), "{m}");
    let out = tessera(&["query", "assets", "--data", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("store.corrupt") && stderr.contains("block 8: tx_index"), "{stderr}");
}

/// The demo ledger with a snapshot of its head state (the demo is too short for the automatic
/// ones); returns the head height.
fn demo_ledger_with_a_snapshot_at_its_head() -> (tempfile::TempDir, PathBuf, u64) {
    let (t, dir) = demo_ledger();
    let (mut ledger, _) = tessera_node::Ledger::open(&dir).unwrap();
    let h = ledger.height();
    ledger.snapshot().unwrap();
    (t, dir, h)
}

#[test]
fn a_damaged_snapshot_fails_verify_by_height_and_recovery_warns_by_name() {
    let (_t, dir, h) = demo_ledger_with_a_snapshot_at_its_head();
    assert!(tessera_node::verify(&Store::open_read_only(&dir).unwrap(), |_, _| {}).unwrap().first_mismatch.is_none());
    // Damage the snapshot's state; its checksum no longer holds.
    let state = testing::read_snapshot_column(&dir, h, "state").unwrap();
    testing::write_snapshot_column(&dir, h, "state", &vec![0; state.len()]).unwrap();
    let m = verify(&dir);
    assert_eq!((m.height, m.field.as_str()), (h, "snapshot"), "{m}");
    let out = tessera(&["query", "assets", "--data", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("warning: skipped the snapshot at block {h}")), "{stderr}");
}

#[test]
fn a_snapshot_whose_digest_replay_does_not_reach_fails_verify() {
    let (_t, dir, h) = demo_ledger_with_a_snapshot_at_its_head();
    // A consistent snapshot (checksum holds) of a state the journal never reached.
    testing::write_snapshot_column(&dir, h, "digest", &[0; 32]).unwrap();
    let m = verify(&dir);
    assert_eq!((m.height, m.field.as_str()), (h, "snapshot"), "{m}");
    assert!(m.detail.contains("replay reaches"), "{m}");
}

#[test]
fn a_file_that_is_not_a_ledger_is_store_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("ledger.sqlite"),
        b"this is not a database, but it is long enough to look like one....",
    )
    .unwrap();
    let out = tessera(&["query", "assets", "--data", tmp.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error[store.corrupt]"), "{stderr}");
}
