//! The decoder under hostile input (the same property the cargo-fuzz target checks, run here
//! on stable with proptest): never a panic, and every accepted byte string is canonical.

use proptest::prelude::*;
use tessera_core::crypto::Keypair;
use tessera_core::op;
use tessera_core::op::Op;
use tessera_core::tx::{CheckedTx, SignedTx, TxBody};
use tessera_core::*;

fn valid() -> Vec<u8> {
    let k = Keypair::insecure_from_name("fuzz");
    TxBody {
        network: "net".into(),
        signer: k.wallet(),
        seq: 7,
        expires_at: Time(99),
        ops: vec![
            Op::Transfer(op::Transfer { asset: Symbol::new("USDX"), to: WalletId([3; 32]), amount: 10 }),
            Op::IssueClaim(op::IssueClaim {
                party: PartyId::new("p"),
                claim: Claim::Jurisdiction("US".into()),
                expires_at: Some(Time(5)),
            }),
        ],
    }
    .sign(&k)
    .to_bytes()
}

fn check(bytes: &[u8]) {
    if let Ok(tx) = SignedTx::decode(bytes) {
        assert_eq!(tx.to_bytes(), bytes, "non-canonical encoding accepted");
    }
    let _ = CheckedTx::from_bytes(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, .. ProptestConfig::default() })]
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn mutated_transactions_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
        let mut bytes = valid();
        for (i, b) in edits {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        check(&bytes);
        let n = cut.index(bytes.len());
        check(&bytes[..n]);
    }
}

#[test]
fn huge_length_prefixes_do_not_allocate_or_panic() {
    let mut bytes = valid();
    // The network string's length prefix: claim 4 GiB.
    bytes[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(SignedTx::decode(&bytes).unwrap_err().code, Code::TxMalformed);
}

/// Writes valid transactions as fuzzing seeds when `WRITE_FUZZ_SEEDS=1` (see docs/fuzzing.md).
#[test]
fn write_fuzz_seeds() {
    if std::env::var_os("WRITE_FUZZ_SEEDS").is_none() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/tx_decode");
    std::fs::create_dir_all(&dir).unwrap();
    let k = Keypair::insecure_from_name("seed");
    let samples: Vec<Vec<Op>> = vec![
        vec![Op::Transfer(op::Transfer { asset: Symbol::new("TBILL"), to: WalletId([9; 32]), amount: 1_000_000 })],
        vec![Op::Mint(op::Mint { asset: Symbol::new("USDX"), to: WalletId([8; 32]), amount: u128::MAX })],
        vec![Op::Propose(op::Propose {
            ops: vec![Op::Pause(op::Pause { scope: Scope::Global, reason: "incident".into() })],
            expires_at: Time(10),
        })],
        vec![Op::SanctionAdd(op::SanctionAdd {
            targets: vec![SanctionTarget::Address { currency: "XBT".into(), address: "1Abc".into() }],
            source: "OFAC".into(),
        })],
    ];
    for (i, ops) in samples.into_iter().enumerate() {
        let tx = TxBody { network: "seed".into(), signer: k.wallet(), seq: 1 + i as u64, expires_at: Time(99), ops }
            .sign(&k);
        std::fs::write(dir.join(format!("seed-{i}.bin")), tx.to_bytes()).unwrap();
    }
}
