//! The decoder under hostile input (the same property the cargo-fuzz target checks, run here
//! on stable with proptest): never a panic, and every accepted byte string is canonical.

use proptest::prelude::*;
use tessera_core::crypto::Keypair;
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
            Op::Transfer { asset: Symbol::new("USDX"), to: WalletId([3; 32]), amount: 10 },
            Op::IssueClaim {
                party: PartyId::new("p"),
                claim: Claim::Jurisdiction("US".into()),
                expires_at: Some(Time(5)),
            },
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
