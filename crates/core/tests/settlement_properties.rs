//! Property tests of settlement: after any sequence of instruction, hash-lock, tender and repo
//! operations
//! (interleaved with freezes, pauses, KYC revocations and the clock), conservation holds per
//! asset, the locked balances equal exactly what pending affirmed legs and open locks commit,
//! no instruction is ever partly settled, and every lock is released or consumed.

use proptest::prelude::*;
use std::collections::BTreeMap;
use tessera_core::block::{demo_genesis, Event, Outcome};
use tessera_core::compliance::{Policy, Rule};
use tessera_core::crypto::{sha256, Keypair};
use tessera_core::escrow::TenderStatus;
use tessera_core::exec::{Admission, Chain};
use tessera_core::htlc::HtlcStatus;
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::repo::RepoStatus;
use tessera_core::settlement::{InstructionStatus, Leg, SettleMode};
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;

const W: usize = 4;
const ASSETS: [&str; 2] = ["SEC", "CASH"];

fn op_key() -> Keypair {
    Keypair::insecure_from_name("sp-operator")
}
fn w(i: usize) -> Keypair {
    Keypair::insecure_from_name(&format!("sp-wallet-{i}"))
}

struct Sim {
    chain: Chain,
    time: Time,
}

impl Sim {
    fn submit(&mut self, k: &Keypair, ops: Vec<Op>) -> Option<Vec<Event>> {
        let st = &self.chain.state;
        let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
        let tx = TxBody { network: "sp".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(k);
        let checked = CheckedTx::from_decoded(tx).ok()?;
        let (block, adm) = self.chain.build_block(self.time, vec![checked]);
        let mut events: Vec<Event> = block.body.system.events.clone();
        if let Admission::Included(i) = adm[0] {
            if let Outcome::Ok { events: e } = &block.body.receipts[i].outcome {
                events.extend(e.iter().cloned());
            }
        }
        Some(events)
    }
}

fn setup() -> Sim {
    let op = op_key();
    let mut g = demo_genesis("sp", Time(2_000_000), &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    g.trusted_issuers = vec![(op.wallet(), ClaimTopic::ALL.to_vec())];
    let (chain, _) = Chain::genesis(&g).unwrap();
    let mut sim = Sim { chain, time: Time(2_000_000) };
    let mut ops = Vec::new();
    for i in 0..W {
        let party = PartyId::new(format!("p{i}"));
        ops.push(Op::RegisterParty(op::RegisterParty {
            party: party.clone(),
            name: format!("P{i}"),
            kind: PartyKind::Institution,
        }));
        ops.push(Op::AddWallet(op::AddWallet { party: party.clone(), wallet: w(i).wallet() }));
        ops.push(Op::IssueClaim(op::IssueClaim { party, claim: Claim::Kyc, expires_at: None }));
    }
    for s in ASSETS {
        ops.push(Op::CreateAsset(AssetSpec {
            symbol: Symbol::new(s),
            name: s.into(),
            kind: AssetKind::FundShare { nav: NavKind::Stable },
            decimals: 0,
            issuer: PartyId::new("operator"),
            supply_cap: None,
            policy: Policy { rules: vec![Rule::Kyc] },
        }));
        for i in 0..W {
            ops.push(Op::Mint(op::Mint { asset: Symbol::new(s), to: w(i).wallet(), amount: 1_000 }));
        }
    }
    sim.submit(&op, ops).expect("setup");
    sim
}

#[derive(Clone, Debug)]
enum Act {
    Create { by: usize, legs: Vec<(usize, u128, usize, usize)>, mode: u8 },
    Affirm { by: usize, id: u64 },
    Withdraw { by: usize, id: u64 },
    Reject { by: usize, id: u64 },
    Cancel { by: usize, id: u64 },
    Lock { by: usize, to: usize, asset: usize, amount: u128 },
    Claim { by: usize, id: u64, good: bool },
    Refund { by: usize, id: u64 },
    Transfer { by: usize, to: usize, asset: usize, amount: u128 },
    Freeze { who: usize, on: bool },
    Pause { asset: usize, on: bool },
    Kyc { who: usize, on: bool },
    Tender { by: usize, asset: usize, bond: u128 },
    Bid { by: usize, id: u64 },
    Award { by: usize, id: u64, winner: usize },
    Complete { by: usize, id: u64 },
    Default { by: usize, id: u64 },
    Repo { lender: usize, borrower: usize, cash: u128, coll: u128 },
    AcceptRepo { by: usize, id: u64 },
    Substitute { by: usize, id: u64, coll: u128 },
    Advance(u64),
}

fn act() -> impl Strategy<Value = Act> {
    let wi = 0..W;
    let leg = (0..ASSETS.len(), 1u128..400, 0..W, 0..W);
    prop_oneof![
        3 => (wi.clone(), proptest::collection::vec(leg, 1..4), 0u8..3).prop_map(|(by, legs, mode)| Act::Create { by, legs, mode }),
        5 => (wi.clone(), 1u64..8).prop_map(|(by, id)| Act::Affirm { by, id }),
        1 => (wi.clone(), 1u64..8).prop_map(|(by, id)| Act::Withdraw { by, id }),
        1 => (wi.clone(), 1u64..8).prop_map(|(by, id)| Act::Reject { by, id }),
        1 => (wi.clone(), 1u64..8).prop_map(|(by, id)| Act::Cancel { by, id }),
        2 => (wi.clone(), wi.clone(), 0..ASSETS.len(), 1u128..300).prop_map(|(by, to, asset, amount)| Act::Lock { by, to, asset, amount }),
        2 => (wi.clone(), 1u64..5, any::<bool>()).prop_map(|(by, id, good)| Act::Claim { by, id, good }),
        1 => (wi.clone(), 1u64..5).prop_map(|(by, id)| Act::Refund { by, id }),
        2 => (wi.clone(), wi.clone(), 0..ASSETS.len(), 1u128..300).prop_map(|(by, to, asset, amount)| Act::Transfer { by, to, asset, amount }),
        1 => (wi.clone(), any::<bool>()).prop_map(|(who, on)| Act::Freeze { who, on }),
        1 => (0..ASSETS.len(), any::<bool>()).prop_map(|(asset, on)| Act::Pause { asset, on }),
        1 => (wi.clone(), any::<bool>()).prop_map(|(who, on)| Act::Kyc { who, on }),
        2 => (1u64..5000).prop_map(Act::Advance),
        1 => (wi.clone(), 0..ASSETS.len(), 1u128..200).prop_map(|(by, asset, bond)| Act::Tender { by, asset, bond }),
        2 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::Bid { by, id }),
        1 => (wi.clone(), 1u64..4, wi.clone()).prop_map(|(by, id, winner)| Act::Award { by, id, winner }),
        1 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::Complete { by, id }),
        1 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::Default { by, id }),
        1 => (wi.clone(), wi.clone(), 1u128..300, 1u128..600).prop_map(|(lender, borrower, cash, coll)| Act::Repo { lender, borrower, cash, coll }),
        2 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::AcceptRepo { by, id }),
        1 => (wi.clone(), 1u64..4, 1u128..600).prop_map(|(by, id, coll)| Act::Substitute { by, id, coll }),
    ]
}

const SECRET: &[u8] = b"property secret";

fn run(sim: &mut Sim, a: &Act) -> Option<Vec<Event>> {
    let op = op_key();
    let sym = |i: usize| Symbol::new(ASSETS[i]);
    match a.clone() {
        Act::Create { by, legs, mode } => {
            let legs = legs
                .into_iter()
                .map(|(s, amount, f, t)| Leg { asset: sym(s), amount, from: w(f).wallet(), to: w(t).wallet() })
                .collect();
            let settle = match mode {
                0 => SettleMode::OnAffirmation,
                1 => SettleMode::AtValueDate,
                _ => SettleMode::AtHeight(sim.chain.height() + 3),
            };
            let now = sim.time;
            sim.submit(
                &w(by),
                vec![Op::CreateInstruction(op::CreateInstruction {
                    legs,
                    settle,
                    trade_date: None,
                    value_date: Some(now.plus(3000)),
                    expires_at: now.plus(9000),
                    reference: String::new(),
                })],
            )
        }
        Act::Affirm { by, id } => {
            sim.submit(&w(by), vec![Op::AffirmInstruction(op::AffirmInstruction { instruction: id })])
        }
        Act::Withdraw { by, id } => {
            sim.submit(&w(by), vec![Op::WithdrawAffirmation(op::WithdrawAffirmation { instruction: id })])
        }
        Act::Reject { by, id } => sim
            .submit(&w(by), vec![Op::RejectInstruction(op::RejectInstruction { instruction: id, reason: "p".into() })]),
        Act::Cancel { by, id } => sim
            .submit(&w(by), vec![Op::CancelInstruction(op::CancelInstruction { instruction: id, reason: "p".into() })]),
        Act::Lock { by, to, asset, amount } => {
            let deadline = sim.time.plus(2000);
            sim.submit(
                &w(by),
                vec![Op::HtlcLock(op::HtlcLock {
                    asset: sym(asset),
                    to: w(to).wallet(),
                    amount,
                    hash_lock: sha256(SECRET),
                    deadline,
                })],
            )
        }
        Act::Claim { by, id, good } => {
            let preimage = if good { SECRET.to_vec() } else { b"nope".to_vec() };
            sim.submit(&w(by), vec![Op::HtlcClaim(op::HtlcClaim { htlc: id, preimage })])
        }
        Act::Refund { by, id } => sim.submit(&w(by), vec![Op::HtlcRefund(op::HtlcRefund { htlc: id })]),
        Act::Transfer { by, to, asset, amount } => {
            sim.submit(&w(by), vec![Op::Transfer(op::Transfer { asset: sym(asset), to: w(to).wallet(), amount })])
        }
        Act::Freeze { who, on } => sim.submit(
            &op,
            vec![if on {
                Op::FreezeWallet(op::FreezeWallet { wallet: w(who).wallet(), reason: "p".into() })
            } else {
                Op::UnfreezeWallet(op::UnfreezeWallet { wallet: w(who).wallet(), reason: "p".into() })
            }],
        ),
        Act::Pause { asset, on } => {
            let scope = Scope::Asset(sym(asset));
            sim.submit(
                &op,
                vec![if on {
                    Op::Pause(op::Pause { scope, reason: "p".into() })
                } else {
                    Op::Unpause(op::Unpause { scope, reason: "p".into() })
                }],
            )
        }
        Act::Kyc { who, on } => {
            let party = PartyId::new(format!("p{who}"));
            sim.submit(
                &op,
                vec![if on {
                    Op::IssueClaim(op::IssueClaim { party, claim: Claim::Kyc, expires_at: None })
                } else {
                    Op::RevokeClaim(op::RevokeClaim { party, claim: Claim::Kyc })
                }],
            )
        }
        Act::Tender { by, asset, bond } => {
            let deadline = sim.time.plus(1500);
            sim.submit(
                &w(by),
                vec![Op::OpenTender(op::OpenTender {
                    asset: sym(asset),
                    bond,
                    bid_deadline: deadline,
                    reference: String::new(),
                })],
            )
        }
        Act::Bid { by, id } => sim.submit(&w(by), vec![Op::PlaceBid(op::PlaceBid { tender: id })]),
        Act::Award { by, id, winner } => {
            sim.submit(&w(by), vec![Op::AwardTender(op::AwardTender { tender: id, winner: w(winner).wallet() })])
        }
        Act::Complete { by, id } => sim.submit(&w(by), vec![Op::CompleteTender(op::CompleteTender { tender: id })]),
        Act::Default { by, id } => {
            sim.submit(&w(by), vec![Op::DeclareDefault(op::DeclareDefault { tender: id, reason: "p".into() })])
        }
        Act::Repo { lender, borrower, cash, coll } => {
            let terms = tessera_core::repo::RepoTerms {
                lender: w(lender).wallet(),
                borrower: w(borrower).wallet(),
                cash_asset: sym(1),
                cash_amount: cash,
                collateral_asset: sym(0),
                collateral_amount: coll,
                price_micros: 1_000_000,
                haircut_bps: 100,
                rate_bps: 500,
                maturity: sim.time.plus(4000),
            };
            let accept_by = sim.time.plus(2000);
            sim.submit(&w(borrower), vec![Op::ProposeRepo(op::ProposeRepo { terms, accept_by })])
        }
        Act::AcceptRepo { by, id } => sim.submit(&w(by), vec![Op::AcceptRepo(op::AcceptRepo { repo: id })]),
        Act::Substitute { by, id, coll } => sim.submit(
            &w(by),
            vec![Op::SubstituteCollateral(op::SubstituteCollateral {
                repo: id,
                asset: sym(0),
                amount: coll,
                price_micros: 1_000_000,
            })],
        ),
        Act::Advance(s) => {
            sim.time = sim.time.plus(s);
            None
        }
    }
}

/// What the pending instructions and open locks commit, per (asset, wallet).
fn committed(st: &tessera_core::state::State) -> BTreeMap<(String, WalletId), u128> {
    let mut m = BTreeMap::new();
    for (_, i) in st.instructions.iter() {
        if i.status != InstructionStatus::Pending {
            continue;
        }
        for l in &i.legs {
            let party = st.party(st.wallet(st.wallet_idx(&l.from).unwrap()).party).id.clone();
            if i.affirmed.contains(&party) {
                *m.entry((l.asset.0.clone(), l.from)).or_insert(0) += l.amount;
            }
        }
    }
    for (_, t) in st.tenders.iter() {
        let bonded = match &t.status {
            TenderStatus::Open => t.bids.clone(),
            TenderStatus::Awarded { winner, .. } => vec![*winner],
            _ => vec![],
        };
        for wallet in bonded {
            *m.entry((t.asset.0.clone(), wallet)).or_insert(0) += t.bond;
        }
    }
    for (_, r) in st.repos.iter() {
        if matches!(r.status, RepoStatus::Open { .. } | RepoStatus::Defaulted { delivered: false, .. }) {
            *m.entry((r.terms.collateral_asset.0.clone(), r.terms.borrower)).or_insert(0) += r.terms.collateral_amount;
        }
    }
    for (_, h) in st.htlcs.iter() {
        if matches!(h.status, HtlcStatus::Locked | HtlcStatus::Expired { .. }) {
            *m.entry((h.asset.0.clone(), h.sender)).or_insert(0) += h.amount;
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn settlement_is_all_or_nothing_and_locks_are_exact(acts in proptest::collection::vec(act(), 1..70)) {
        let mut sim = setup();
        let mut settled_legs: BTreeMap<u64, u32> = BTreeMap::new();
        for a in &acts {
            let Some(events) = run(&mut sim, a) else { continue };
            for e in &events {
                if let Event::LegSettled { instruction, .. } = e {
                    *settled_legs.entry(*instruction).or_insert(0) += 1;
                }
            }
            let st = &sim.chain.state;
            if let Err(e) = st.check_invariants() { prop_assert!(false, "{}", e); }
            // Locked balances are exactly what is committed.
            let want = committed(st);
            for (i, s) in ASSETS.iter().enumerate() {
                let _ = i;
                let ai = st.asset_idx(&Symbol::new(*s)).unwrap();
                prop_assert_eq!(st.asset(ai).supply, 1_000 * W as u128, "conservation of {}", s);
                for k in 0..W {
                    let wi = st.wallet_idx(&w(k).wallet()).unwrap();
                    let h = st.holding(ai, wi);
                    let c = want.get(&(s.to_string(), w(k).wallet())).copied().unwrap_or(0);
                    prop_assert_eq!(h.locked, c, "locked {} of wallet {} differs from its commitments", s, k);
                }
            }
        }
        // No instruction partly settled: settled ones delivered every leg, others none.
        for (id, i) in sim.chain.state.instructions.iter() {
            let n = settled_legs.get(id).copied().unwrap_or(0);
            match i.status {
                InstructionStatus::Settled { .. } => prop_assert_eq!(n as usize, i.legs.len()),
                _ => prop_assert_eq!(n, 0, "instruction {} moved legs without settling", id),
            }
        }
    }
}
