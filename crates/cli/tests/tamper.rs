//! Changing one stored byte of a transaction, signature, receipt or header makes `verify` fail
//! and name the block, the transaction and the field.

use std::path::{Path, PathBuf};
use tessera_cli::scenario;
use tessera_core::block::BlockBody;
use tessera_store::Store;

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
    store
        .connection()
        .execute("UPDATE blocks SET body = ?1 WHERE height = ?2", rusqlite::params![bytes, height as i64])
        .unwrap();
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
    store.connection().execute("UPDATE blocks SET header = ?1 WHERE height = 5", rusqlite::params![header]).unwrap();
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
