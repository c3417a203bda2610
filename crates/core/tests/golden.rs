//! Golden vectors: the canonical (borsh) bytes and the JSON of every operation, event,
//! receipt, header, block, transaction and genesis, as committed under `tests/golden/`.
//!
//! The checks only read the fixtures: each one is decoded from its bytes, re-encoded to the
//! same bytes, serialized to the same JSON and (where the type reads JSON) read back from that
//! JSON to the same value. They never build a value in Rust, so restructuring the types cannot
//! change what they compare against. Coverage is checked on the bytes: the enum tags present
//! must be exactly 0..N and tag N must be unknown, so a new variant fails until it has a fixture.
//!
//! To rewrite the fixtures on purpose (an intended change of encoding):
//! `cargo test --workspace --test golden -- --ignored write_fixtures`, then review the diff.

#[path = "golden/generate.rs"]
mod generate;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::path::PathBuf;
use tessera_core::block::{Block, BlockHeader, Event, Genesis, Receipt, SystemReceipt};
use tessera_core::op::Op;
use tessera_core::tx::{SignedTx, TxBody};

/// One fixture: a named value's canonical bytes, its JSON (for types with a JSON form) and
/// pinned digests (`id` of a transaction, `hash` of a header).
#[derive(Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub hex: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pins: BTreeMap<String, String>,
}

type Generator = fn() -> Vec<Entry>;

const FILES: [(&str, Generator); 8] = [
    ("op", generate::ops),
    ("event", generate::events),
    ("receipt", generate::receipts),
    ("system_receipt", generate::system_receipts),
    ("block_header", generate::headers),
    ("block", generate::blocks),
    ("tx", generate::txs),
    ("genesis", generate::genesis),
];

fn path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{file}.json"))
}

fn load(file: &str) -> Vec<Entry> {
    let p = path(file);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| {
        panic!("golden fixture {} is missing ({e}); write fixtures only on purpose, see tests/golden.rs", p.display())
    });
    let entries: Vec<Entry> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert!(!entries.is_empty(), "{} holds no fixture", p.display());
    let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), entries.len(), "{}: fixture names repeat", p.display());
    entries
}

fn bytes(e: &Entry) -> Vec<u8> {
    hex::decode(&e.hex).unwrap_or_else(|err| panic!("{}: bad hex: {err}", e.name))
}

/// Decodes the fixture's bytes and checks they re-encode to themselves.
fn decode<T: BorshDeserialize + BorshSerialize>(e: &Entry) -> T {
    let v: T = borsh::from_slice(&bytes(e)).unwrap_or_else(|err| panic!("{}: bytes no longer decode: {err}", e.name));
    assert_eq!(hex::encode(borsh::to_vec(&v).unwrap()), e.hex, "{}: re-encoding changed the bytes", e.name);
    v
}

fn json(e: &Entry) -> &Value {
    e.json.as_ref().unwrap_or_else(|| panic!("{}: fixture has no json", e.name))
}

/// The decoded value serializes to the fixture's JSON.
fn json_out<T: Serialize>(e: &Entry, v: &T) {
    assert_eq!(&serde_json::to_value(v).unwrap(), json(e), "{}: JSON changed", e.name);
}

/// The fixture's JSON reads back to the value its bytes decode to.
fn json_in<T: DeserializeOwned + PartialEq + Debug>(e: &Entry, v: &T) {
    let back: T =
        serde_json::from_value(json(e).clone()).unwrap_or_else(|err| panic!("{}: JSON no longer reads: {err}", e.name));
    assert_eq!(&back, v, "{}: JSON reads to a different value than the bytes", e.name);
}

fn pin<'a>(e: &'a Entry, key: &str) -> &'a str {
    e.pins.get(key).unwrap_or_else(|| panic!("{}: no pinned {key}", e.name))
}

/// Asserts that the tags at `at` of the fixtures whose bytes start with `prefix` are exactly
/// 0..N, and that a value with tag N after `prefix` does not decode as an unknown tag; returns N.
fn assert_tags_complete<T: BorshDeserialize + Debug>(entries: &[Entry], prefix: &[u8]) -> u8 {
    let tags: BTreeSet<u8> =
        entries.iter().map(bytes).filter(|b| b.starts_with(prefix)).map(|b| b[prefix.len()]).collect();
    let n = u8::try_from(tags.len()).unwrap();
    assert_eq!(tags, (0..n).collect(), "fixtures after prefix {prefix:?} miss a variant");
    let mut next = prefix.to_vec();
    next.push(n);
    let err = borsh::from_slice::<T>(&next).expect_err("a variant past the last fixture decodes: add its fixture");
    assert!(
        err.to_string().contains("Unexpected variant tag"),
        "tag {n} after {prefix:?} is a variant without a fixture ({err}): add its fixture"
    );
    n
}

#[test]
fn every_operation_fixture_keeps_its_bytes_and_its_json_both_ways() {
    for e in load("op") {
        let op: Op = decode(&e);
        json_out(&e, &op);
        json_in(&e, &op);
    }
}

#[test]
fn operation_fixtures_cover_every_variant_and_the_next_tag_is_unknown() {
    let entries = load("op");
    assert_tags_complete::<Op>(&entries, &[]);
    // A proposal holds operations, decoded by their own (depth-bounded) path: its vector must
    // nest several. Read from the JSON so that this check does not depend on Rust syntax.
    let nested = entries
        .iter()
        .filter_map(|e| e.json.as_ref()?.get("propose")?.get("ops")?.as_array().map(Vec::len))
        .max()
        .expect("a proposal fixture");
    assert!(nested > 1, "the proposal fixture nests several operations");
}

#[test]
fn every_event_fixture_keeps_its_bytes_and_its_json_and_reads_back() {
    for e in load("event") {
        let ev: Event = decode(&e);
        json_out(&e, &ev);
        json_in(&e, &ev);
    }
}

#[test]
fn event_fixtures_cover_every_event_and_every_fund_and_collateral_event_and_the_next_tags_are_unknown() {
    let entries = load("event");
    let n = assert_tags_complete::<Event>(&entries, &[]);
    // The fund events are wrapped by the last-but-one event variant, the collateral events by
    // the last.
    for wrapper in [n - 2, n - 1] {
        assert_tags_complete::<Event>(&entries, &[wrapper]);
        let wrapped = entries.iter().filter(|e| bytes(e)[0] == wrapper).count();
        assert!(wrapped > 1, "event variant {wrapper} wraps several events");
    }
}

#[test]
fn receipts_in_both_outcomes_keep_their_bytes_and_json_and_read_back() {
    let entries = load("receipt");
    let receipts: Vec<Receipt> = entries.iter().map(decode).collect();
    for (e, r) in entries.iter().zip(&receipts) {
        json_out(e, r);
        json_in(e, r);
    }
    assert!(receipts.iter().any(|r| r.is_ok()), "an ok receipt");
    assert!(receipts.iter().any(|r| !r.is_ok()), "a failed receipt");
    // The outcome tag follows the 32-byte transaction id; a third outcome would be unknown.
    let mut third = bytes(&entries[0])[..32].to_vec();
    third.push(2);
    let err = borsh::from_slice::<Receipt>(&third).unwrap_err();
    assert!(err.to_string().contains("Unexpected variant tag"), "{err}");
}

#[test]
fn system_receipts_keep_their_bytes_and_json_and_read_back() {
    for e in load("system_receipt") {
        let s: SystemReceipt = decode(&e);
        json_out(&e, &s);
        json_in(&e, &s);
    }
}

#[test]
fn block_headers_keep_their_bytes_json_and_hash() {
    for e in load("block_header") {
        let h: BlockHeader = decode(&e);
        json_out(&e, &h);
        json_in(&e, &h);
        assert_eq!(h.hash().to_hex(), pin(&e, "hash"), "{}: header hash moved", e.name);
    }
}

#[test]
fn blocks_with_a_genesis_and_with_transactions_keep_their_bytes_hash_and_roots() {
    let entries = load("block");
    let blocks: Vec<Block> = entries.iter().map(decode).collect();
    for (e, b) in entries.iter().zip(&blocks) {
        assert_eq!(b.header.hash().to_hex(), pin(e, "hash"), "{}: block hash moved", e.name);
        assert_eq!(b.body.tx_root(), b.header.tx_root, "{}: transaction root moved", e.name);
        assert_eq!(b.body.receipt_root(), b.header.receipt_root, "{}: receipt root moved", e.name);
    }
    assert!(blocks.iter().any(|b| b.body.genesis.is_some()), "a genesis block");
    assert!(
        blocks.iter().any(|b| !b.body.txs.is_empty() && !b.body.system.events.is_empty()),
        "a block with transactions and system events"
    );
    // Blocks chain: the second names the first's hash.
    assert_eq!(blocks[1].header.prev, blocks[0].header.hash());
}

#[test]
fn transactions_keep_their_bytes_json_id_and_signature() {
    let entries = load("tx");
    let mut signed = 0;
    for e in &entries {
        if e.json.is_some() {
            let body: TxBody = decode(e);
            json_out(e, &body);
            json_in(e, &body);
            assert_eq!(body.id().to_hex(), pin(e, "id"), "{}: transaction id moved", e.name);
        } else {
            let tx: SignedTx = decode(e);
            assert_eq!(tx.id().to_hex(), pin(e, "id"), "{}: transaction id moved", e.name);
            let checked =
                SignedTx::decode(&bytes(e)).unwrap_or_else(|r| panic!("{}: refused at the door: {r:?}", e.name));
            checked.verify_signature().unwrap_or_else(|r| panic!("{}: signature: {r:?}", e.name));
            signed += 1;
        }
    }
    assert!(signed > 0 && signed < entries.len(), "both bodies and signed transactions are pinned");
}

#[test]
fn genesis_keeps_its_bytes_and_its_json_both_ways() {
    for e in load("genesis") {
        let g: Genesis = decode(&e);
        json_out(&e, &g);
        json_in(&e, &g);
    }
}

/// Writes every fixture file from the values in `golden/generate.rs`. Run it only to change
/// an encoding on purpose; the diff of `tests/golden/` is then the change to review.
#[test]
#[ignore = "rewrites the committed fixtures; run deliberately"]
fn write_fixtures() {
    for (file, generate) in FILES {
        let mut text = serde_json::to_string_pretty(&generate()).unwrap();
        text.push('\n');
        std::fs::write(path(file), text).unwrap();
    }
}
