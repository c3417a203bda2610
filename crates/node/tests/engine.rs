//! The pipelined engine: answers after durability, refusals with their codes, a clean
//! shutdown that leaves a snapshot, and a restart that reproduces the same state.

use tessera_core::block::demo_genesis;
use tessera_core::crypto::Keypair;
use tessera_core::op;
use tessera_core::op::Op;
use tessera_core::tx::TxBody;
use tessera_core::*;
use tessera_node::engine::{Config, Engine};
use tessera_node::Ledger;

#[test]
fn engine_answers_commits_and_restarts_to_the_same_state() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let op = Keypair::insecure_from_name("engine-op");
    let t0 = Time(1_800_000_000);
    let g = demo_genesis("engine", t0, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    let ledger = Ledger::create(&dir, &g).unwrap();
    let engine = Engine::start(ledger, Config { clock: std::sync::Arc::new(move || t0), ..Config::default() });
    let tx = |seq: u64, ops: Vec<Op>| {
        TxBody { network: "engine".into(), signer: op.wallet(), seq, expires_at: t0.plus(60), ops }.sign(&op)
    };
    let good: Vec<_> = (1..=50u64)
        .map(|i| {
            tx(
                i,
                vec![Op::RegisterParty(op::RegisterParty {
                    party: PartyId::new(format!("p{i}")),
                    name: "P".into(),
                    kind: PartyKind::Fund,
                })],
            )
        })
        .collect();
    let mut bad_sig = tx(
        51,
        vec![Op::RegisterParty(op::RegisterParty {
            party: PartyId::new("x"),
            name: "X".into(),
            kind: PartyKind::Fund,
        })],
    );
    bad_sig.signature[0] ^= 1;
    let replay = good[0].clone();
    let mut all = good.clone();
    all.push(bad_sig);
    all.push(replay);
    let answers = engine.submit_batch(all).wait();
    for a in &answers[..50] {
        let (height, receipt) = a.as_ref().expect("committed");
        assert!(*height >= 1 && receipt.is_ok());
    }
    assert_eq!(answers[50].as_ref().unwrap_err().code, Code::TxBadSignature);
    assert_eq!(answers[51].as_ref().unwrap_err().code, Code::TxReplayed);
    // Raw bytes through the door: garbage is refused with its code.
    let garbage = engine.submit_bytes(&[1, 2, 3]).recv().unwrap();
    assert_eq!(garbage.unwrap_err().code, Code::TxMalformed);
    let ledger = engine.shutdown().unwrap();
    let digest = ledger.chain.state.digest();
    let height = ledger.height();
    drop(ledger);
    let (reopened, recovery) = Ledger::open(&dir).unwrap();
    assert_eq!(recovery.snapshot_height, Some(height), "a clean shutdown leaves a snapshot at the head");
    assert_eq!(recovery.replayed_blocks, 0);
    assert_eq!(reopened.chain.state.digest(), digest);
    assert_eq!(reopened.chain.state.parties.len(), 51);
    let v = tessera_node::verify(&reopened.store, |_, _| {}).unwrap();
    assert!(v.first_mismatch.is_none());
}

fn register(op: &Keypair, network: &str, seq: u64, expires_at: Time, name: &str) -> tessera_core::tx::SignedTx {
    let ops = vec![Op::RegisterParty(op::RegisterParty {
        party: PartyId::new(name),
        name: "P".into(),
        kind: PartyKind::Fund,
    })];
    TxBody { network: network.into(), signer: op.wallet(), seq, expires_at, ops }.sign(op)
}

/// A new ledger on network `network` whose operator key is named after it, served by an engine
/// whose clock stands at `T0`. Keep `_tmp` bound: dropping it deletes the ledger.
struct Started {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    op: Keypair,
    engine: Engine,
}

const T0: Time = Time(1_800_000_000);

fn started(network: &str) -> Started {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let op = Keypair::insecure_from_name(&format!("{network}-op"));
    let g = demo_genesis(network, T0, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    let ledger = Ledger::create(&dir, &g).unwrap();
    let engine = Engine::start(ledger, Config { clock: std::sync::Arc::new(|| T0), ..Config::default() });
    Started { _tmp: tmp, dir, op, engine }
}

#[test]
fn refusals_at_the_door_write_no_block() {
    let Started { _tmp, op, engine, .. } = started("door");
    let t0 = T0;
    let first = engine.submit_each(vec![register(&op, "door", 1, t0.plus(60), "p1")]).remove(0).recv().unwrap();
    assert_eq!(first.unwrap().0, 1);
    let stranger = Keypair::insecure_from_name("stranger");
    let cases = [
        (register(&op, "door", 1, t0.plus(60), "again"), Code::TxReplayed),
        (register(&op, "door", 9, t0.plus(60), "ahead"), Code::TxSequenceGap),
        (register(&op, "door", 2, Time(t0.0 - 1), "late"), Code::TxExpired),
        (register(&op, "elsewhere", 2, t0.plus(60), "other"), Code::TxWrongNetwork),
        (register(&stranger, "door", 1, t0.plus(60), "unknown"), Code::TxUnknownSigner),
    ];
    for (tx, code) in cases {
        // One at a time, so each refusal would have been a block of its own before.
        let answer = engine.submit_each(vec![tx]).remove(0).recv().unwrap();
        assert_eq!(answer.unwrap_err().code, code);
    }
    // 2,000 unknown-signer submissions from a self-made key: still nothing written.
    let flood: Vec<_> = (1..=2_000u64).map(|i| register(&stranger, "door", i, t0.plus(60), "x")).collect();
    assert!(engine.submit_batch(flood).wait().iter().all(|a| a.as_ref().unwrap_err().code == Code::TxUnknownSigner));
    let ledger = engine.shutdown().unwrap();
    assert_eq!(ledger.height(), 1, "a refusal wrote a block");
    assert_eq!(ledger.store.head_height().unwrap(), Some(1));
}

#[test]
fn a_failed_commit_is_fatal_the_engine_refuses_everything_after_and_says_why() {
    let Started { _tmp, dir, op, engine } = started("fatal");
    let t0 = T0;
    // Something outside Tessera (bypassing the directory lock) writes the next block's row.
    tessera_store::testing::insert_placeholder_block(&dir, 1).unwrap();
    let answer = engine.submit_each(vec![register(&op, "fatal", 1, t0.plus(60), "p1")]).remove(0).recv().unwrap();
    let refusal = answer.unwrap_err();
    assert_eq!(refusal.code, Code::StoreIo);
    assert!(refusal.message.contains("stopped accepting"), "{}", refusal.message);
    let durable = engine.durable();
    assert_eq!(durable.failure().map(|f| f.code), Some(Code::StoreIo));
    // Everything after is refused at once with the same reason, not left waiting.
    let later = engine.submit_each(vec![register(&op, "fatal", 2, t0.plus(60), "p2")]).remove(0).recv().unwrap();
    assert!(later.unwrap_err().message.contains("stopped accepting"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let read = rt.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(5), durable.reached(1)).await });
    assert_eq!(read.expect("a reader waiting for durability is woken").unwrap_err().code, Code::StoreIo);
    assert!(engine.shutdown().is_err());
}
