//! The pipelined engine: answers after durability, refusals with their codes, a clean
//! shutdown that leaves a snapshot, and a restart that reproduces the same state.

use tessera_core::block::demo_genesis;
use tessera_core::crypto::Keypair;
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
                vec![Op::RegisterParty {
                    party: PartyId::new(format!("p{i}")),
                    name: "P".into(),
                    kind: PartyKind::Fund,
                }],
            )
        })
        .collect();
    let mut bad_sig =
        tx(51, vec![Op::RegisterParty { party: PartyId::new("x"), name: "X".into(), kind: PartyKind::Fund }]);
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
