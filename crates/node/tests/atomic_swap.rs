//! A cross-ledger atomic swap (S4, M2) between two independent ledgers (two data directories,
//! two network ids), as in docs/atomic-swaps.md: Alice holds USDX on ledger A and wants TBILL
//! on ledger B; Bob the reverse. Alice, who knows the secret s, locks first with the longer
//! deadline: USDX for Bob on A under H = SHA-256(s), deadline T + 2h. Bob, having seen it,
//! locks TBILL for Alice on B under the same H, deadline T + 1h. Alice claims on B, revealing s
//! in her claim's receipt; Bob reads s from B's journal and claims on A before T + 2h.

use tessera_core::block::{demo_genesis, Event, Outcome};
use tessera_core::crypto::{sha256, Keypair};
use tessera_core::exec::Admission;
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;
use tessera_node::Ledger;

struct Net {
    ledger: Ledger,
    name: &'static str,
    clock: Time,
}

impl Net {
    fn new(dir: &std::path::Path, name: &'static str, start: Time) -> Net {
        let op = Keypair::insecure_from_name("swap-operator");
        let mut g = demo_genesis(name, start, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
        g.trusted_issuers = vec![(op.wallet(), ClaimTopic::ALL.to_vec())];
        Net { ledger: Ledger::create(dir, &g).unwrap(), name, clock: start }
    }
    /// Submits one transaction in its own block; returns its events or the failure code.
    fn tx(&mut self, who: &Keypair, ops: Vec<Op>) -> Result<Vec<Event>, String> {
        let st = &self.ledger.chain.state;
        let seq = st.wallet_index.get(&who.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
        let tx =
            TxBody { network: self.name.into(), signer: who.wallet(), seq, expires_at: self.clock.plus(3600), ops }
                .sign(who);
        let checked = CheckedTx::from_bytes(&tx.to_bytes()).map_err(|e| e.code.to_string())?;
        let (block, adm) = self.ledger.submit(self.clock, vec![checked]).unwrap();
        match &adm[0] {
            Admission::Refused(r) => Err(r.code.to_string()),
            Admission::Included(i) => {
                match &block.expect("an included transaction is in a block").body.receipts[*i].outcome {
                    Outcome::Ok { events } => Ok(events.clone()),
                    Outcome::Failed { code, .. } => Err(code.clone()),
                }
            }
        }
    }
    fn setup(&mut self, asset: &str, holder: &Keypair, amount: u128) {
        let op = Keypair::insecure_from_name("swap-operator");
        let ops = vec![
            Op::RegisterParty(op::RegisterParty {
                party: PartyId::new("alice"),
                name: "Alice".into(),
                kind: PartyKind::Institution,
            }),
            Op::RegisterParty(op::RegisterParty {
                party: PartyId::new("bob"),
                name: "Bob".into(),
                kind: PartyKind::Institution,
            }),
            Op::AddWallet(op::AddWallet { party: PartyId::new("alice"), wallet: alice().wallet() }),
            Op::AddWallet(op::AddWallet { party: PartyId::new("bob"), wallet: bob().wallet() }),
            Op::IssueClaim(op::IssueClaim { party: PartyId::new("alice"), claim: Claim::Kyc, expires_at: None }),
            Op::IssueClaim(op::IssueClaim { party: PartyId::new("bob"), claim: Claim::Kyc, expires_at: None }),
            Op::CreateAsset(AssetSpec {
                symbol: Symbol::new(asset),
                name: asset.into(),
                kind: AssetKind::FundShare { nav: NavKind::Stable },
                decimals: 0,
                issuer: PartyId::new("operator"),
                supply_cap: None,
                policy: tessera_core::compliance::Policy { rules: vec![tessera_core::compliance::Rule::Kyc] },
            }),
            Op::Mint(op::Mint { asset: Symbol::new(asset), to: holder.wallet(), amount }),
        ];
        self.tx(&op, ops).unwrap();
    }
    fn balance(&self, who: &Keypair, asset: &str) -> (u128, u128) {
        let st = &self.ledger.chain.state;
        let h = st.holding(st.asset_idx(&Symbol::new(asset)).unwrap(), st.wallet_idx(&who.wallet()).unwrap());
        (h.free, h.locked)
    }
}

fn alice() -> Keypair {
    Keypair::insecure_from_name("swap-alice")
}
fn bob() -> Keypair {
    Keypair::insecure_from_name("swap-bob")
}

fn two_ledgers() -> (tempfile::TempDir, Net, Net) {
    let tmp = tempfile::tempdir().unwrap();
    let t0 = Time::parse("2026-03-02T14:00:00Z").unwrap();
    let mut a = Net::new(&tmp.path().join("ledger-a"), "ledger-a", t0);
    let mut b = Net::new(&tmp.path().join("ledger-b"), "ledger-b", t0);
    a.setup("USDX", &alice(), 5_000);
    b.setup("TBILL", &bob(), 5_000);
    (tmp, a, b)
}

fn lock(net: &mut Net, who: &Keypair, asset: &str, to: &Keypair, amount: u128, h: Hash, deadline: Time) -> u64 {
    let ev = net
        .tx(
            who,
            vec![Op::HtlcLock(op::HtlcLock {
                asset: Symbol::new(asset),
                to: to.wallet(),
                amount,
                hash_lock: h,
                deadline,
            })],
        )
        .unwrap();
    ev.iter().find_map(|e| if let Event::HtlcLocked { htlc, .. } = e { Some(*htlc) } else { None }).unwrap()
}

#[test]
fn a_cross_ledger_swap_completes_on_both_sides() {
    let (_tmp, mut a, mut b) = two_ledgers();
    let secret = b"alice's one-time secret 7f3a".to_vec();
    let h = sha256(&secret);
    let t0 = a.clock;
    let on_a = lock(&mut a, &alice(), "USDX", &bob(), 1_000, h, t0.plus(2 * 3600));
    let on_b = lock(&mut b, &bob(), "TBILL", &alice(), 1_000, h, t0.plus(3600));
    b.tx(&alice(), vec![Op::HtlcClaim(op::HtlcClaim { htlc: on_b, preimage: secret.clone() })])
        .expect("Alice claims on B");
    // Bob reads the secret from B's journal: the claim's receipt carries it.
    let revealed = {
        let store = &b.ledger.store;
        let mut found = None;
        store
            .scan(1, |raw| {
                for r in raw.check()?.body.receipts {
                    if let Outcome::Ok { events } = r.outcome {
                        for e in events {
                            if let Event::HtlcClaimed { htlc, preimage, .. } = e {
                                if htlc == on_b {
                                    found = Some(hex::decode(preimage).unwrap());
                                }
                            }
                        }
                    }
                }
                Ok(true)
            })
            .unwrap();
        found.expect("the claim on B reveals the secret")
    };
    a.clock = a.clock.plus(1800);
    a.tx(&bob(), vec![Op::HtlcClaim(op::HtlcClaim { htlc: on_a, preimage: revealed })]).unwrap();
    assert_eq!(a.balance(&bob(), "USDX"), (1_000, 0));
    assert_eq!(a.balance(&alice(), "USDX"), (4_000, 0));
    assert_eq!(b.balance(&alice(), "TBILL"), (1_000, 0));
    assert_eq!(b.balance(&bob(), "TBILL"), (4_000, 0));
    for net in [&a, &b] {
        let v = tessera_node::verify(&net.ledger.store, |_, _| {}).unwrap();
        assert!(v.first_mismatch.is_none());
    }
}

#[test]
fn if_alice_never_claims_both_sides_refund() {
    let (_tmp, mut a, mut b) = two_ledgers();
    let h = sha256(b"never revealed");
    let t0 = a.clock;
    let on_a = lock(&mut a, &alice(), "USDX", &bob(), 1_000, h, t0.plus(2 * 3600));
    let on_b = lock(&mut b, &bob(), "TBILL", &alice(), 1_000, h, t0.plus(3600));
    // Before its deadline Bob cannot take his TBILL back.
    assert_eq!(
        b.tx(&bob(), vec![Op::HtlcRefund(op::HtlcRefund { htlc: on_b })]).err().as_deref(),
        Some("htlc.not_expired")
    );
    b.clock = t0.plus(3600);
    b.tx(&bob(), vec![Op::HtlcRefund(op::HtlcRefund { htlc: on_b })]).unwrap();
    a.clock = t0.plus(2 * 3600);
    a.tx(&alice(), vec![Op::HtlcRefund(op::HtlcRefund { htlc: on_a })]).unwrap();
    assert_eq!(a.balance(&alice(), "USDX"), (5_000, 0));
    assert_eq!(b.balance(&bob(), "TBILL"), (5_000, 0));
}

#[test]
fn a_transaction_for_one_ledger_is_refused_by_the_other() {
    let (_tmp, a, b) = two_ledgers();
    let who = alice();
    let st = &b.ledger.chain.state;
    let seq = st.wallet(st.wallet_idx(&who.wallet()).unwrap()).next_seq;
    // Signed for ledger B, submitted to ledger A.
    let tx = TxBody {
        network: b.name.into(),
        signer: who.wallet(),
        seq,
        expires_at: a.clock.plus(60),
        ops: vec![Op::Transfer(op::Transfer { asset: Symbol::new("USDX"), to: bob().wallet(), amount: 1 })],
    }
    .sign(&who);
    let mut a = a;
    let clock = a.clock;
    let (_, adm) = a.ledger.submit(clock, vec![CheckedTx::from_bytes(&tx.to_bytes()).unwrap()]).unwrap();
    match &adm[0] {
        Admission::Refused(r) => assert_eq!(r.code, Code::TxWrongNetwork),
        other => panic!("accepted across networks: {other:?}"),
    }
}
