//! Coalesced signature checks of single submissions (`Engine::check_one`): many at once, some
//! forged, each answered with its own verdict whatever batch it landed in.

use std::sync::Arc;
use tessera_core::block::demo_genesis;
use tessera_core::crypto::Keypair;
use tessera_core::op;
use tessera_core::op::Op;
use tessera_core::tx::TxBody;
use tessera_core::*;
use tessera_node::engine::{Config, Engine};
use tessera_node::Ledger;

#[test]
fn concurrent_single_checks_each_get_their_own_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let op = Keypair::insecure_from_name("check-one-op");
    let t0 = Time(1_800_000_000);
    let g = demo_genesis("check-one", t0, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    let ledger = Ledger::create(&tmp.path().join("ledger"), &g).unwrap();
    let engine = Arc::new(Engine::start(ledger, Config::default()));
    let txs: Vec<_> = (0..400u64)
        .map(|i| {
            let k = Keypair::insecure_from_name(&format!("check-one-{i}"));
            let party = PartyId::new(format!("p{i}"));
            let mut tx = TxBody {
                network: "check-one".into(),
                signer: k.wallet(),
                seq: 1,
                expires_at: t0.plus(60),
                ops: vec![Op::RegisterParty(op::RegisterParty { party, name: "P".into(), kind: PartyKind::Fund })],
            }
            .sign(&k);
            if i % 37 == 5 {
                tx.signature[3] ^= 1;
            }
            tx
        })
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
    let verdicts = rt.block_on(async {
        let tasks: Vec<_> = txs
            .iter()
            .cloned()
            .map(|tx| {
                let e = engine.clone();
                tokio::spawn(async move { e.check_one(tx).await })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    for (i, (tx, v)) in txs.iter().zip(verdicts).enumerate() {
        if i % 37 == 5 {
            assert_eq!(v.unwrap_err().code, Code::TxBadSignature, "forged #{i}");
        } else {
            assert_eq!(v.expect("a good signature passes").id, tx.id());
        }
    }
    engine.shutdown().unwrap();
}
