//! The portable journal export (`tessera export --journal`, `verify --file`, `import`): it
//! verifies without a database to the ledger's own head and digest, imports into a ledger that
//! verifies the same, appends only new blocks (equal byte for byte to a fresh export), and
//! every damage — an edited byte, a changed check, a cut, a dropped or swapped record, another
//! network's or another history's ledger — is refused with its code, naming the record, its
//! offset and its block.

mod common;

use common::tessera;
use proptest::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use tessera_core::block::demo_genesis;
use tessera_core::crypto::Keypair;
use tessera_core::op::{self, Op};
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::{Code, PartyId, PartyKind, Role, Time};
use tessera_node::Ledger;
use tessera_store::export::{record_check, ExportReader, MAGIC};
use tessera_store::{export_journal, ExportError, MemoryJournal, MemoryVolume, Store};

fn run(args: &[&str], paths: &[&Path]) -> Output {
    let mut c = tessera();
    c.args(args);
    for p in paths {
        c.arg(p);
    }
    c.output().unwrap()
}

/// `tessera --json ARGS…`: (exit code, the JSON it printed).
fn json(args: &[&str], paths: &[&Path]) -> (i32, Value) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run(&all, paths);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code().unwrap_or(-1), v)
}

/// The demo scenario's ledger and its export, in a fresh directory.
fn demo_export() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (tmp, data) = common::demo_ledger();
    let file = tmp.path().join("demo.tj");
    let (code, v) = json(&["export", "--journal"], &[&file, Path::new("--data"), &data]);
    assert_eq!(code, 0, "{v}");
    (tmp, data, file)
}

/// `verify --file` on these bytes: (exit code, error code, message).
fn verify_bytes(dir: &Path, bytes: &[u8]) -> (i32, String, String) {
    let file = dir.join("damaged.tj");
    std::fs::write(&file, bytes).unwrap();
    let (code, v) = json(&["verify", "--file"], &[&file]);
    let err = &v["error"];
    (
        code,
        err["code"].as_str().unwrap_or_default().to_string(),
        err["message"].as_str().unwrap_or_default().to_string(),
    )
}

/// (offset, length) of every record after the magic.
fn records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = MAGIC.len();
    while at < bytes.len() {
        let len = u32::from_le_bytes(bytes[at + 1..at + 5].try_into().unwrap()) as usize;
        let whole = 5 + len + 32;
        out.push((at, whole));
        at += whole;
    }
    out
}

/// The records' checks written again over whatever they now hold: what a forger who knows
/// the format would do, so that only replay can tell.
fn rechain(bytes: &mut [u8]) {
    let mut prev = tessera_core::crypto::sha256(MAGIC);
    for (at, whole) in records(bytes) {
        let payload_end = at + whole - 32;
        let check = record_check(&prev, bytes[at], &[&bytes[at + 5..payload_end]]);
        bytes[payload_end..at + whole].copy_from_slice(&check.0);
        prev = check;
    }
}

#[test]
fn an_export_verifies_without_a_database_to_the_ledgers_own_head_and_state_digest() {
    let (_t, data, file) = demo_export();
    let (code, from_file) = json(&["verify", "--file"], &[&file]);
    assert_eq!(code, 0, "{from_file}");
    let (_, from_data) = json(&["verify", "--data"], &[&data]);
    assert!(from_file["first_mismatch"].is_null(), "{from_file}");
    for k in ["blocks", "transactions", "head_hash", "state_digest"] {
        assert_eq!(from_file[k], from_data[k], "{k}");
    }
    let text = run(&["verify", "--file"], &[&file]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("every signature, hash, receipt and digest agrees"));
}

#[test]
fn an_import_makes_a_ledger_that_verifies_to_the_same_head_and_a_second_import_into_it_is_refused() {
    let (tmp, data, file) = demo_export();
    let copy = tmp.path().join("copy");
    let (code, imported) = json(&["import", "--journal"], &[&file, Path::new("--data"), &copy]);
    assert_eq!(code, 0, "{imported}");
    let (_, original) = json(&["verify", "--data"], &[&data]);
    let (code, again) = json(&["verify", "--data"], &[&copy]);
    assert_eq!(code, 0, "{again}");
    assert_eq!((&again["head_hash"], &again["state_digest"]), (&original["head_hash"], &original["state_digest"]));
    assert_eq!(imported["head_hash"], original["head_hash"]);
    // The import ends with a snapshot: the copy opens without replaying its journal.
    let store = Store::open_read_only(&copy).unwrap();
    assert_eq!(store.snapshots(i64::MAX as u64).unwrap()[0].snapshot.height, original["blocks"].as_u64().unwrap() - 1);
    let (code, refused) = json(&["import", "--journal"], &[&file, Path::new("--data"), &copy]);
    assert_eq!((code, refused["error"]["code"].as_str()), (1, Some(Code::ImportNotEmpty.as_str())), "{refused}");
}

fn genesis(network: &str) -> (tessera_core::block::Genesis, Keypair) {
    let k = Keypair::insecure_from_name("officer");
    (demo_genesis(network, Time(1_000), &[(&k, &[Role::ComplianceOfficer, Role::Admin])], [1, 1, 1]), k)
}

fn register(k: &Keypair, network: &str, seq: u64, name: &str) -> CheckedTx {
    let tx = TxBody {
        network: network.into(),
        signer: k.wallet(),
        seq,
        expires_at: Time(u64::MAX),
        ops: vec![Op::RegisterParty(op::RegisterParty {
            party: PartyId::new(name),
            name: name.into(),
            kind: PartyKind::Institution,
        })],
    }
    .sign(k);
    CheckedTx::from_decoded(tx).unwrap()
}

/// A ledger of `network` on disk with `blocks` blocks after genesis, each registering a party
/// named `prefix`N.
fn ledger(dir: &Path, network: &str, blocks: u64, prefix: &str) -> Ledger {
    let (g, k) = genesis(network);
    let mut l = Ledger::create(dir, &g).unwrap();
    grow(&mut l, network, blocks, prefix, &k);
    l
}

fn grow(l: &mut Ledger, network: &str, blocks: u64, prefix: &str, k: &Keypair) {
    for _ in 0..blocks {
        let seq = l.height() + 1;
        l.submit(Time(1_000 + seq), vec![register(k, network, seq, &format!("{prefix}{seq}"))]).unwrap();
    }
}

#[test]
fn an_append_after_more_blocks_writes_only_the_new_ones_and_equals_a_fresh_export_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let mut l = ledger(&tmp.path().join("l"), "t", 3, "p");
    let file = tmp.path().join("t.tj");
    let first = export_journal(&l.store, &file, &mut |_, _| {}).unwrap();
    assert_eq!((first.appended, first.blocks_written, first.head_height), (false, 4, 3));
    grow(&mut l, "t", 2, "p", &Keypair::insecure_from_name("officer"));
    let second = export_journal(&l.store, &file, &mut |_, _| {}).unwrap();
    assert_eq!((second.appended, second.blocks_written, second.first_written), (true, 2, Some(4)));
    let nothing = export_journal(&l.store, &file, &mut |_, _| {}).unwrap();
    assert_eq!((nothing.blocks_written, nothing.bytes), (0, second.bytes));
    let fresh = tmp.path().join("fresh.tj");
    export_journal(&l.store, &fresh, &mut |_, _| {}).unwrap();
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(&fresh).unwrap());
    assert_eq!(std::fs::metadata(&file).unwrap().len(), second.bytes);
}

#[test]
fn a_ledger_on_the_memory_journal_exports_the_same_bytes_as_the_same_ledger_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = ledger(&tmp.path().join("l"), "t", 2, "p");
    let volume = MemoryVolume::new();
    let (g, k) = genesis("t");
    let mut mem = Ledger::create_with(&g, |b| MemoryJournal::create(&volume, b)).unwrap();
    for seq in 1..=2 {
        mem.submit(Time(1_000 + seq), vec![register(&k, "t", seq, &format!("p{seq}"))]).unwrap();
    }
    let (a, b) = (tmp.path().join("a.tj"), tmp.path().join("b.tj"));
    export_journal(&disk.store, &a, &mut |_, _| {}).unwrap();
    export_journal(&mem.store, &b, &mut |_, _| {}).unwrap();
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn appending_another_networks_ledger_is_refused_with_export_other_network_and_the_file_is_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = ledger(&tmp.path().join("a"), "t", 1, "p");
    let theirs = ledger(&tmp.path().join("b"), "elsewhere", 2, "p");
    let file = tmp.path().join("t.tj");
    export_journal(&ours.store, &file, &mut |_, _| {}).unwrap();
    let before = std::fs::read(&file).unwrap();
    let e = export_journal(&theirs.store, &file, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.code(), Code::ExportOtherNetwork, "{e}");
    assert!(e.to_string().contains("\"t\"") && e.to_string().contains("\"elsewhere\""), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn appending_a_ledger_that_holds_another_block_or_none_at_the_files_last_height_is_refused_with_export_diverged() {
    let tmp = tempfile::tempdir().unwrap();
    let ours = ledger(&tmp.path().join("a"), "t", 2, "p");
    let other = ledger(&tmp.path().join("b"), "t", 3, "q");
    let shorter = ledger(&tmp.path().join("c"), "t", 1, "p");
    let file = tmp.path().join("t.tj");
    export_journal(&ours.store, &file, &mut |_, _| {}).unwrap();
    let before = std::fs::read(&file).unwrap();
    for (journal, says) in [(&other.store, "the ledger's block 2 is"), (&shorter.store, "the ledger at block 1")] {
        let e = export_journal(journal, &file, &mut |_, _| {}).unwrap_err();
        assert_eq!(e.code(), Code::ExportDiverged, "{e}");
        assert!(e.to_string().contains(says), "{e}");
    }
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

#[test]
fn appending_to_a_file_cut_inside_its_last_record_is_refused_with_export_torn_tail_naming_the_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let l = ledger(&tmp.path().join("a"), "t", 2, "p");
    let file = tmp.path().join("t.tj");
    export_journal(&l.store, &file, &mut |_, _| {}).unwrap();
    let mut bytes = std::fs::read(&file).unwrap();
    let (last_at, _) = *records(&bytes).last().unwrap();
    bytes.truncate(bytes.len() - 7);
    std::fs::write(&file, &bytes).unwrap();
    let e = export_journal(&l.store, &file, &mut |_, _| {}).unwrap_err();
    assert_eq!(e.code(), Code::ExportTornTail, "{e}");
    let place = e.place().unwrap();
    assert_eq!((place.record, place.offset, place.block()), (3, last_at as u64, Some(2)));
    assert!(e.to_string().contains(&format!("truncate -s {last_at} {}", file.display())), "{e}");
    assert_eq!(std::fs::read(&file).unwrap(), bytes, "nothing is cut without being asked");
}

/// Every refusal of a damaged file names the record, its byte offset and its block.
fn assert_refused(got: (i32, String, String), code: Code, record: usize, at: usize) {
    let (exit, c, message) = got;
    assert_eq!((exit, c.as_str()), (1, code.as_str()), "{message}");
    let named = format!("record {record} (block {}) at byte offset {at}", record - 1);
    assert!(message.contains(&named), "{message} should name {named}");
}

#[test]
fn a_flipped_byte_in_a_body_is_refused_with_export_bad_file_naming_the_record_offset_and_block() {
    let (tmp, _, file) = demo_export();
    let mut bytes = std::fs::read(&file).unwrap();
    let (at, whole) = records(&bytes)[9];
    bytes[at + 5 + 148 + (whole - 5 - 148 - 32) / 2] ^= 0x01;
    assert_refused(verify_bytes(tmp.path(), &bytes), Code::ExportBadFile, 9, at);
}

#[test]
fn a_changed_check_is_refused_with_export_bad_file_at_its_record() {
    let (tmp, _, file) = demo_export();
    let mut bytes = std::fs::read(&file).unwrap();
    let (at, whole) = records(&bytes)[4];
    bytes[at + whole - 1] ^= 0x80;
    assert_refused(verify_bytes(tmp.path(), &bytes), Code::ExportBadFile, 4, at);
}

#[test]
fn a_truncated_record_is_refused_with_export_torn_tail_at_its_offset() {
    let (tmp, _, file) = demo_export();
    let mut bytes = std::fs::read(&file).unwrap();
    let recs = records(&bytes);
    let (at, whole) = recs[recs.len() - 1];
    bytes.truncate(at + whole / 2);
    assert_refused(verify_bytes(tmp.path(), &bytes), Code::ExportTornTail, recs.len() - 1, at);
}

#[test]
fn a_dropped_record_is_refused_with_export_bad_file_at_the_record_after_the_gap() {
    let (tmp, _, file) = demo_export();
    let bytes = std::fs::read(&file).unwrap();
    let (at, whole) = records(&bytes)[6];
    let dropped = [&bytes[..at], &bytes[at + whole..]].concat();
    assert_refused(verify_bytes(tmp.path(), &dropped), Code::ExportBadFile, 6, at);
}

#[test]
fn a_swapped_pair_of_blocks_is_refused_with_export_bad_file_at_the_first_of_them() {
    let (tmp, _, file) = demo_export();
    let bytes = std::fs::read(&file).unwrap();
    let recs = records(&bytes);
    let ((a, la), (b, lb)) = (recs[7], recs[8]);
    let swapped = [&bytes[..a], &bytes[b..b + lb], &bytes[a..a + la], &bytes[b + lb..]].concat();
    assert_refused(verify_bytes(tmp.path(), &swapped), Code::ExportBadFile, 7, a);
}

#[test]
fn a_file_that_is_not_an_export_is_refused_with_export_bad_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (exit, code, message) = verify_bytes(tmp.path(), b"SQLite format 3\0");
    assert_eq!((exit, code.as_str()), (1, Code::ExportBadFile.as_str()), "{message}");
    assert!(message.contains("not a Tessera journal export"), "{message}");
}

#[test]
fn a_forged_file_whose_checks_were_written_again_is_caught_by_replay_naming_the_block_as_verify_does() {
    let (tmp, _, file) = demo_export();
    let mut bytes = std::fs::read(&file).unwrap();
    // Swap blocks 7 and 8 and chain the checks again: the records hold, the heights do not.
    let recs = records(&bytes);
    let ((a, la), (b, lb)) = (recs[8], recs[9]);
    let mut swapped = [&bytes[..a], &bytes[b..b + lb], &bytes[a..a + la], &bytes[b + lb..]].concat();
    rechain(&mut swapped);
    let (exit, code, message) = verify_bytes(tmp.path(), &swapped);
    assert_eq!((exit, code.as_str()), (1, Code::ExportBadFile.as_str()), "{message}");
    assert!(message.contains("holds block 8, block 7 belongs here"), "{message}");
    // An amount changed in a transfer of block 7 (record 8), checks chained again.
    let (at, whole) = recs[8];
    let body = at + 5 + 148;
    let last_tx_byte = body + (whole - 5 - 148 - 32) / 3;
    bytes[last_tx_byte] ^= 0x01;
    rechain(&mut bytes);
    let forged = tmp.path().join("forged.tj");
    std::fs::write(&forged, &bytes).unwrap();
    let (exit, report) = json(&["verify", "--file"], &[&forged]);
    assert_eq!(exit, 1, "{report}");
    assert_eq!(report["first_mismatch"]["height"], 7, "{report}");
    let text = run(&["verify", "--file"], &[&forged]);
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(stderr.contains("error[verify.mismatch]: block 7"), "{stderr}");
    // Import stops at the same block and says what the target holds.
    let copy = tmp.path().join("copy");
    let (exit, refused) = json(&["import", "--journal"], &[&forged, Path::new("--data"), &copy]);
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert_eq!((exit, refused["error"]["code"].as_str()), (1, Some(Code::VerifyMismatch.as_str())), "{refused}");
    assert!(message.starts_with("block 7") && message.contains("verified blocks 0–6 only"), "{message}");
}

#[test]
fn export_prints_for_people_what_it_wrote_and_nothing_new_the_second_time() {
    let (_t, data, file) = demo_export();
    let again = run(&["export", "--journal"], &[&file, Path::new("--data"), &data]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(text.contains("already holds every block (0–") && text.contains("nothing written"), "{text}");
}

/// The blocks the reader gives for these bytes, or its refusal.
fn read_all(bytes: &[u8]) -> Result<Vec<u64>, ExportError> {
    let mut r = ExportReader::open(bytes)?;
    let mut heights = Vec::new();
    while let Some(b) = r.next_block()? {
        heights.push(b.raw.height);
    }
    Ok(heights)
}

fn small_export() -> Vec<u8> {
    let tmp = tempfile::tempdir().unwrap();
    let l = ledger(&tmp.path().join("l"), "t", 3, "p");
    let file = tmp.path().join("t.tj");
    export_journal(&l.store, &file, &mut |_, _| {}).unwrap();
    std::fs::read(file).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Bad bytes never panic the reader: a changed byte is always refused, and a cut file
    /// either is refused or (cut between records) reads as the blocks before the cut.
    #[test]
    fn the_reader_refuses_every_changed_byte_and_never_panics(at in any::<prop::sample::Index>(), bit in 0u8..8, cut in any::<prop::sample::Index>(), junk in prop::collection::vec(any::<u8>(), 0..64)) {
        thread_local!(static FILE: Vec<u8> = small_export());
        let good = FILE.with(|f| f.clone());
        let mut flipped = good.clone();
        flipped[at.index(good.len())] ^= 1 << bit;
        prop_assert!(read_all(&flipped).is_err());
        let cut_at = cut.index(good.len());
        match read_all(&good[..cut_at]) {
            Ok(heights) => {
                let n = heights.len() as u64;
                prop_assert_eq!(heights, (0..n).collect::<Vec<_>>())
            }
            Err(e) => prop_assert!(matches!(e.code(), Code::ExportBadFile | Code::ExportTornTail)),
        }
        let extended = [&good[..], &junk[..]].concat();
        let _ = read_all(&extended);
        let _ = read_all(&junk);
    }
}

const VECTORS_START: &str = "<!-- export-vectors:start (written by crates/cli/tests/export.rs) -->";
const VECTORS_END: &str = "<!-- export-vectors:end -->";

/// The export vectors of docs/formats.md: the genesis block of its state vectors, with a
/// fixed preamble (so the vectors do not move when the layouts do).
fn export_vectors() -> (Vec<u8>, String) {
    use tessera_store::export::{ExportWriter, Preamble};
    let alice = Keypair::insecure_from_name("alice");
    let g = demo_genesis(
        "formats-demo",
        Time(1_767_225_600),
        &[(&alice, &[Role::Admin, Role::ComplianceOfficer])],
        [1, 1, 1],
    );
    let (_, block) = tessera_core::exec::Chain::genesis(&g).unwrap();
    let preamble = Preamble {
        format: "tessera-journal".into(),
        version: 1,
        network: "formats-demo".into(),
        exported_by: "tessera 0.1.0".into(),
        layouts: Value::Null,
    };
    let mut w = ExportWriter::start(Vec::new(), &preamble).unwrap();
    let check0 = w.last_check();
    w.block(&tessera_store::RawBlock::encode(&block)).unwrap();
    let check1 = w.last_check();
    let bytes = w.into_inner();
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<16} {v}\n"));
    line("sha256(magic)", tessera_core::crypto::sha256(MAGIC).to_hex());
    line("check.0", check0.to_hex());
    line("check.1", check1.to_hex());
    line("block.0.hash", block.header.hash().to_hex());
    line("file", hex::encode(&bytes));
    (bytes, format!("{VECTORS_START}\n```text\n{out}```\n{VECTORS_END}"))
}

#[test]
fn the_export_vectors_in_docs_formats_md_are_what_the_writer_writes_and_the_reader_reads_back() {
    let path = common::repo().join("docs/formats.md");
    let doc = std::fs::read_to_string(&path).expect("docs/formats.md");
    let (Some(a), Some(b)) = (doc.find(VECTORS_START), doc.find(VECTORS_END)) else {
        panic!("docs/formats.md has no export vectors between {VECTORS_START} and {VECTORS_END}")
    };
    let now = &doc[a..b + VECTORS_END.len()];
    let (bytes, want) = export_vectors();
    if now != want && std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, doc.replacen(now, &want, 1)).expect("write docs/formats.md");
    } else {
        assert_eq!(
            now, want,
            "docs/formats.md's export vectors are stale: UPDATE_DOCS=1 cargo test -p tessera-cli --test export"
        );
    }
    let mut r = ExportReader::open(&bytes[..]).unwrap();
    assert_eq!(r.preamble().network, "formats-demo");
    let block = r.next_block().unwrap().unwrap();
    assert!(r.next_block().unwrap().is_none());
    // By hand, as the document says: the preamble record's length and check.
    let len = u32::from_le_bytes(bytes[17..21].try_into().unwrap()) as usize;
    assert_eq!((block.raw.height, block.place.record, block.place.offset), (0, 1, (21 + len + 32) as u64));
    let mut chained = tessera_core::crypto::sha256(MAGIC).0.to_vec();
    chained.extend(&bytes[16..21 + len]);
    assert_eq!(tessera_core::crypto::sha256(&chained).0[..], bytes[21 + len..21 + len + 32]);
}
