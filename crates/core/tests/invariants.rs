//! The state invariants (`State::check_invariants`): random sequences of operations that lock
//! units in every way the ledger knows — settlement legs, hash time-locks, tender bonds, repo
//! collateral — interleaved with freezes, forced transfers and wallet recoveries keep every
//! invariant after every block, and the locks listed on each holding (`locks::on`, which the
//! pre-check names) add up to its locked units; a deliberately broken state is reported with a
//! message that names the asset, wallet or record; and a pre-check held back by locks and a
//! freeze names them, while an executed refusal keeps its journaled words.

use proptest::prelude::*;
use tessera_core::block::demo_genesis;
use tessera_core::crypto::{sha256, Keypair};
use tessera_core::exec::Chain;
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::settlement::{Leg, SettleMode};
use tessera_core::state::holding_key;
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;

const PARTIES: usize = 3;
const ASSETS: [&str; 2] = ["SEC", "CASH"];
const MINTED: u128 = 1_000;
const SECRET: &[u8] = b"invariant secret";

fn operator() -> Keypair {
    Keypair::insecure_from_name("inv-operator")
}
/// Wallet `i` of party `i % PARTIES`: 0..PARTIES hold the units, the rest are spare wallets a
/// recovery can move them to.
fn w(i: usize) -> Keypair {
    Keypair::insecure_from_name(&format!("inv-wallet-{i}"))
}

struct Sim {
    chain: Chain,
    time: Time,
}

impl Sim {
    /// Submits one transaction in its own block; a refusal at the door builds an empty block.
    fn submit(&mut self, k: &Keypair, ops: Vec<Op>) {
        let st = &self.chain.state;
        let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
        let tx = TxBody { network: "inv".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(k);
        let txs = CheckedTx::from_decoded(tx).into_iter().collect();
        self.chain.build_block(self.time, txs);
    }
}

fn setup() -> Sim {
    let op = operator();
    let mut g = demo_genesis("inv", Time(3_000_000), &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    g.trusted_issuers = vec![(op.wallet(), ClaimTopic::ALL.to_vec())];
    let (chain, _) = Chain::genesis(&g).unwrap();
    let mut sim = Sim { chain, time: Time(3_000_000) };
    let mut ops = Vec::new();
    for p in 0..PARTIES {
        let party = PartyId::new(format!("p{p}"));
        ops.push(Op::RegisterParty(op::RegisterParty {
            party: party.clone(),
            name: format!("P{p}"),
            kind: PartyKind::Institution,
        }));
        for i in [p, p + PARTIES] {
            ops.push(Op::AddWallet(op::AddWallet { party: party.clone(), wallet: w(i).wallet() }));
        }
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
            policy: compliance::Policy { rules: vec![compliance::Rule::Kyc] },
        }));
        for p in 0..PARTIES {
            ops.push(Op::Mint(op::Mint { asset: Symbol::new(s), to: w(p).wallet(), amount: MINTED }));
        }
    }
    sim.submit(&op, ops);
    sim.chain.state.check_invariants().expect("setup keeps the invariants");
    sim
}

#[derive(Clone, Debug)]
enum Act {
    Instruct { by: usize, legs: Vec<(usize, u128, usize, usize)>, at_value_date: bool },
    Affirm { by: usize, id: u64 },
    Withdraw { by: usize, id: u64 },
    Lock { by: usize, to: usize, asset: usize, amount: u128 },
    Claim { by: usize, id: u64 },
    Refund { by: usize, id: u64 },
    Tender { by: usize, asset: usize, bond: u128 },
    Bid { by: usize, id: u64 },
    Award { by: usize, id: u64, winner: usize },
    Complete { by: usize, id: u64 },
    Default { by: usize, id: u64 },
    Repo { lender: usize, borrower: usize, cash: u128, coll: u128 },
    AcceptRepo { by: usize, id: u64 },
    Substitute { by: usize, id: u64, coll: u128 },
    Transfer { by: usize, to: usize, asset: usize, amount: u128 },
    FreezeAmount { who: usize, asset: usize, amount: u128, on: bool },
    Force { from: usize, to: usize, asset: usize, amount: u128 },
    Recover { party: usize },
    Advance(u64),
}

fn act() -> impl Strategy<Value = Act> {
    let wi = 0..2 * PARTIES;
    let asset = 0..ASSETS.len();
    let leg = (asset.clone(), 1u128..300, wi.clone(), wi.clone());
    prop_oneof![
        3 => (wi.clone(), proptest::collection::vec(leg, 1..4), any::<bool>())
            .prop_map(|(by, legs, at_value_date)| Act::Instruct { by, legs, at_value_date }),
        4 => (wi.clone(), 1u64..8).prop_map(|(by, id)| Act::Affirm { by, id }),
        1 => (wi.clone(), 1u64..8).prop_map(|(by, id)| Act::Withdraw { by, id }),
        2 => (wi.clone(), wi.clone(), asset.clone(), 1u128..300).prop_map(|(by, to, asset, amount)| Act::Lock { by, to, asset, amount }),
        2 => (wi.clone(), 1u64..5).prop_map(|(by, id)| Act::Claim { by, id }),
        1 => (wi.clone(), 1u64..5).prop_map(|(by, id)| Act::Refund { by, id }),
        1 => (wi.clone(), asset.clone(), 1u128..200).prop_map(|(by, asset, bond)| Act::Tender { by, asset, bond }),
        2 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::Bid { by, id }),
        1 => (wi.clone(), 1u64..4, wi.clone()).prop_map(|(by, id, winner)| Act::Award { by, id, winner }),
        1 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::Complete { by, id }),
        1 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::Default { by, id }),
        1 => (wi.clone(), wi.clone(), 1u128..300, 1u128..600).prop_map(|(lender, borrower, cash, coll)| Act::Repo { lender, borrower, cash, coll }),
        2 => (wi.clone(), 1u64..4).prop_map(|(by, id)| Act::AcceptRepo { by, id }),
        1 => (wi.clone(), 1u64..4, 1u128..600).prop_map(|(by, id, coll)| Act::Substitute { by, id, coll }),
        2 => (wi.clone(), wi.clone(), asset.clone(), 1u128..300).prop_map(|(by, to, asset, amount)| Act::Transfer { by, to, asset, amount }),
        1 => (wi.clone(), asset.clone(), 1u128..300, any::<bool>()).prop_map(|(who, asset, amount, on)| Act::FreezeAmount { who, asset, amount, on }),
        1 => (wi.clone(), wi.clone(), asset.clone(), 1u128..300).prop_map(|(from, to, asset, amount)| Act::Force { from, to, asset, amount }),
        1 => (0..PARTIES).prop_map(|party| Act::Recover { party }),
        2 => (1u64..4000).prop_map(Act::Advance),
    ]
}

fn run(sim: &mut Sim, a: &Act) {
    let op = operator();
    let sym = |i: usize| Symbol::new(ASSETS[i]);
    let reason = || "property".to_string();
    match a.clone() {
        Act::Instruct { by, legs, at_value_date } => {
            let legs = legs
                .into_iter()
                .map(|(s, amount, f, t)| Leg { asset: sym(s), amount, from: w(f).wallet(), to: w(t).wallet() })
                .collect();
            let settle = if at_value_date { SettleMode::AtValueDate } else { SettleMode::OnAffirmation };
            let now = sim.time;
            let create = op::CreateInstruction {
                legs,
                settle,
                trade_date: None,
                value_date: Some(now.plus(3000)),
                expires_at: now.plus(9000),
                reference: String::new(),
            };
            sim.submit(&w(by), vec![Op::CreateInstruction(create)])
        }
        Act::Affirm { by, id } => {
            sim.submit(&w(by), vec![Op::AffirmInstruction(op::AffirmInstruction { instruction: id })])
        }
        Act::Withdraw { by, id } => {
            sim.submit(&w(by), vec![Op::WithdrawAffirmation(op::WithdrawAffirmation { instruction: id })])
        }
        Act::Lock { by, to, asset, amount } => {
            let lock = op::HtlcLock {
                asset: sym(asset),
                to: w(to).wallet(),
                amount,
                hash_lock: sha256(SECRET),
                deadline: sim.time.plus(2000),
            };
            sim.submit(&w(by), vec![Op::HtlcLock(lock)])
        }
        Act::Claim { by, id } => {
            sim.submit(&w(by), vec![Op::HtlcClaim(op::HtlcClaim { htlc: id, preimage: SECRET.to_vec() })])
        }
        Act::Refund { by, id } => sim.submit(&w(by), vec![Op::HtlcRefund(op::HtlcRefund { htlc: id })]),
        Act::Tender { by, asset, bond } => {
            let open =
                op::OpenTender { asset: sym(asset), bond, bid_deadline: sim.time.plus(1500), reference: String::new() };
            sim.submit(&w(by), vec![Op::OpenTender(open)])
        }
        Act::Bid { by, id } => sim.submit(&w(by), vec![Op::PlaceBid(op::PlaceBid { tender: id })]),
        Act::Award { by, id, winner } => {
            sim.submit(&w(by), vec![Op::AwardTender(op::AwardTender { tender: id, winner: w(winner).wallet() })])
        }
        Act::Complete { by, id } => sim.submit(&w(by), vec![Op::CompleteTender(op::CompleteTender { tender: id })]),
        Act::Default { by, id } => {
            sim.submit(&w(by), vec![Op::DeclareDefault(op::DeclareDefault { tender: id, reason: reason() })])
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
        Act::Substitute { by, id, coll } => {
            let sub = op::SubstituteCollateral { repo: id, asset: sym(0), amount: coll, price_micros: 1_000_000 };
            sim.submit(&w(by), vec![Op::SubstituteCollateral(sub)])
        }
        Act::Transfer { by, to, asset, amount } => {
            sim.submit(&w(by), vec![Op::Transfer(op::Transfer { asset: sym(asset), to: w(to).wallet(), amount })])
        }
        Act::FreezeAmount { who, asset, amount, on } => {
            let (asset, wallet) = (sym(asset), w(who).wallet());
            sim.submit(
                &op,
                vec![if on {
                    Op::FreezeAmount(op::FreezeAmount { asset, wallet, amount, reason: reason() })
                } else {
                    Op::UnfreezeAmount(op::UnfreezeAmount { asset, wallet, amount, reason: reason() })
                }],
            )
        }
        Act::Force { from, to, asset, amount } => {
            let force = op::ForceTransfer {
                asset: sym(asset),
                from: w(from).wallet(),
                to: w(to).wallet(),
                amount,
                reason: ForceReason::CourtOrder,
                reference: "order".into(),
            };
            sim.submit(&op, vec![Op::ForceTransfer(force)])
        }
        Act::Recover { party } => {
            // Once per party: the main wallet's holdings and commitments move to the spare.
            let recover = op::RecoverWallet {
                lost: w(party).wallet(),
                new: w(party + PARTIES).wallet(),
                reference: "lost".into(),
            };
            sim.submit(&op, vec![Op::RecoverWallet(recover)])
        }
        Act::Advance(s) => {
            sim.time = sim.time.plus(s);
            sim.submit(&op, vec![])
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

    #[test]
    fn random_operations_keep_every_invariant_after_every_block(acts in proptest::collection::vec(act(), 1..60)) {
        let mut sim = setup();
        for a in &acts {
            run(&mut sim, a);
            // Debug builds check inside `Chain::build` too; this holds in release test runs.
            if let Err(e) = sim.chain.state.check_invariants() {
                prop_assert!(false, "after {:?}: {}", a, e);
            }
            let st = &sim.chain.state;
            for (k, h) in st.holdings.iter() {
                let (asset, wallet) = ((k >> 32) as u32, *k as u32);
                let listed: u128 = locks::on(st, asset, wallet).iter().map(|(_, amount)| amount).sum();
                prop_assert_eq!(listed, h.locked, "after {:?}: locks listed on holding {:x}", a, k);
            }
        }
    }
}

// ---------------------------------------------------------------- the locks on one holding

/// Wallet 0 of party 0, recovered to its spare: 100 SEC in hash time-lock 1, 200 SEC as repo 1's
/// collateral and 30 SEC on leg 0 of instruction 1, and its bond of 50 CASH in tender 1 (it
/// borrowed 100 CASH in the repo).
fn every_kind_of_lock() -> Sim {
    let mut sim = setup();
    for a in [
        Act::Lock { by: 0, to: 1, asset: 0, amount: 100 },
        Act::Tender { by: 2, asset: 1, bond: 50 },
        Act::Bid { by: 0, id: 1 },
        Act::Repo { lender: 1, borrower: 0, cash: 100, coll: 200 },
        Act::AcceptRepo { by: 1, id: 1 },
        Act::Instruct { by: 0, legs: vec![(0, 30, 0, 1), (1, 30, 1, 0)], at_value_date: true },
        Act::Affirm { by: 0, id: 1 },
        Act::Recover { party: 0 },
    ] {
        run(&mut sim, &a);
    }
    sim
}

#[test]
fn the_locks_on_a_holding_are_listed_by_kind_then_id_in_words_and_follow_a_recovered_wallet() {
    let sim = every_kind_of_lock();
    let st = &sim.chain.state;
    let (sec, spare) = idx(&sim, "SEC", PARTIES);
    let words: Vec<(String, u128)> =
        locks::on(st, sec, spare).into_iter().map(|(lock, amount)| (lock.to_string(), amount)).collect();
    let want = [("instruction 1 leg 0", 30), ("hash time-lock 1", 100), ("repo 1 collateral", 200)];
    assert_eq!(words, want.map(|(w, a)| (w.to_string(), a)));
    let (cash, _) = idx(&sim, "CASH", PARTIES);
    assert_eq!(locks::on(st, cash, spare), vec![(locks::Lock::TenderBond { tender: 1 }, 50)]);
    let (_, lost) = idx(&sim, "SEC", 0);
    assert_eq!(locks::on(st, sec, lost), vec![], "the retired wallet holds nothing");
    let (_, other) = idx(&sim, "SEC", 1);
    assert_eq!(locks::on(st, sec, other), vec![], "party 1 affirmed nothing and locked nothing");
}

#[test]
fn a_precheck_short_of_free_units_names_every_lock_and_the_frozen_units_while_execution_keeps_its_words() {
    let mut sim = every_kind_of_lock();
    run(&mut sim, &Act::FreezeAmount { who: PARTIES, asset: 0, amount: 20, on: true });
    let st = &sim.chain.state;
    let spare = w(PARTIES).wallet();
    // 1,000 SEC held: 330 locked, 20 frozen, 650 free.
    let intent = movement::Intent::Transfer { asset: Symbol::new("SEC"), from: spare, to: w(1).wallet(), amount: 700 };
    let refusals = movement::precheck(st, &intent, sim.time);
    let messages: Vec<(&str, &str)> = refusals.iter().map(|r| (r.code.as_str(), r.message.as_str())).collect();
    let want = format!(
        "wallet {} has 650 SEC free; 700 SEC needed; 330 SEC locked by instruction 1 leg 0 (30 SEC), \
         hash time-lock 1 (100 SEC), repo 1 collateral (200 SEC); 20 SEC frozen by compliance",
        spare.short()
    );
    assert_eq!(messages, vec![("balance.insufficient", want.as_str())]);

    // One lock: its amount is the locked total, written once. 1,100 CASH held (the repo's
    // 100 CASH came in), 50 locked.
    let intent = movement::Intent::Burn { asset: Symbol::new("CASH"), from: spare, amount: 1_100 };
    let refusals = movement::precheck(st, &intent, sim.time);
    let want =
        format!("wallet {} has 1,050 CASH free; 1,100 CASH needed; 50 CASH locked by tender 1 bond", spare.short());
    assert_eq!(refusals.iter().map(|r| r.message.as_str()).collect::<Vec<_>>(), vec![want.as_str()]);

    // The same transfer, executed: its failure receipt keeps the words journals already hold.
    let body = TxBody {
        network: "inv".into(),
        signer: spare,
        seq: st.wallet(st.wallet_idx(&spare).unwrap()).next_seq,
        expires_at: Time(u64::MAX),
        ops: vec![Op::Transfer(op::Transfer { asset: Symbol::new("SEC"), to: w(1).wallet(), amount: 700 })],
    };
    let tx = CheckedTx::from_decoded(body.sign(&w(PARTIES))).unwrap();
    let (block, _) = sim.chain.build_block(sim.time, vec![tx]);
    match &block.body.receipts[0].outcome {
        block::Outcome::Failed { code, message, .. } => {
            assert_eq!(code, "balance.insufficient");
            assert_eq!(message, &format!("wallet {} has 650 SEC available; 700 SEC needed", spare.short()));
        }
        other => panic!("expected a refusal, got {other}"),
    }
}

#[test]
fn a_precheck_short_of_units_nothing_locks_keeps_the_plain_words() {
    let sim = setup();
    let intent =
        movement::Intent::Transfer { asset: Symbol::new("SEC"), from: w(0).wallet(), to: w(1).wallet(), amount: 1_001 };
    let refusals = movement::precheck(&sim.chain.state, &intent, sim.time);
    let want = format!("wallet {} has 1,000 SEC available; 1,001 SEC needed", w(0).wallet().short());
    assert_eq!(refusals.iter().map(|r| r.message.as_str()).collect::<Vec<_>>(), vec![want.as_str()]);
}

// ---------------------------------------------------------------- broken states

fn idx(sim: &Sim, asset: &str, wallet: usize) -> (u32, u32) {
    let st = &sim.chain.state;
    (st.asset_idx(&Symbol::new(asset)).unwrap(), st.wallet_idx(&w(wallet).wallet()).unwrap())
}

/// Rewrites a holding's parts directly, bypassing every rule.
fn set_holding(sim: &mut Sim, asset: &str, wallet: usize, change: impl FnOnce(&mut state::Holding)) {
    let (a, wi) = idx(sim, asset, wallet);
    let mut h = sim.chain.state.holding(a, wi);
    change(&mut h);
    sim.chain.state.holdings.put(holding_key(a, wi), h);
}

#[test]
fn a_healthy_ledger_with_open_commitments_of_every_kind_passes() {
    let mut sim = setup();
    for a in [
        Act::Lock { by: 0, to: 1, asset: 0, amount: 100 },
        Act::Tender { by: 2, asset: 1, bond: 50 },
        Act::Bid { by: 0, id: 1 },
        Act::Repo { lender: 1, borrower: 0, cash: 100, coll: 200 },
        Act::AcceptRepo { by: 1, id: 1 },
        Act::Instruct { by: 0, legs: vec![(0, 30, 0, 1), (1, 30, 1, 0)], at_value_date: true },
        Act::Affirm { by: 0, id: 1 },
        Act::Recover { party: 0 },
    ] {
        run(&mut sim, &a);
    }
    let st = &sim.chain.state;
    let (a, spare) = idx(&sim, "SEC", PARTIES);
    assert_eq!(st.holding(a, spare).locked, 100 + 200 + 30, "the locks moved to the spare wallet");
    assert_eq!(st.check_invariants(), Ok(()));
}

#[test]
fn a_lock_with_no_commitment_is_reported() {
    let mut sim = setup();
    set_holding(&mut sim, "SEC", 0, |h| {
        h.free -= 5;
        h.locked += 5;
    });
    assert_eq!(
        sim.chain.state.check_invariants(),
        Err(format!(
            "locked 5 of SEC of wallet {} but open commitments hold 0 (no open commitment)",
            w(0).wallet().short()
        ))
    );
}

#[test]
fn a_commitment_whose_units_are_not_locked_is_reported() {
    let mut sim = setup();
    run(&mut sim, &Act::Lock { by: 1, to: 2, asset: 1, amount: 70 });
    set_holding(&mut sim, "CASH", 1, |h| {
        h.free += h.locked;
        h.locked = 0;
    });
    assert_eq!(
        sim.chain.state.check_invariants(),
        Err(format!(
            "locked 0 of CASH of wallet {} but open commitments hold 70 (hash time-lock 1: 70)",
            w(1).wallet().short()
        ))
    );
}

#[test]
fn a_lock_larger_than_its_commitments_names_each_commitment() {
    let mut sim = setup();
    run(&mut sim, &Act::Tender { by: 2, asset: 0, bond: 40 });
    run(&mut sim, &Act::Bid { by: 0, id: 1 });
    run(&mut sim, &Act::Lock { by: 0, to: 1, asset: 0, amount: 25 });
    set_holding(&mut sim, "SEC", 0, |h| {
        h.free -= 1;
        h.locked += 1;
    });
    let got = sim.chain.state.check_invariants().unwrap_err();
    let wallet = w(0).wallet().short();
    let want = [
        format!("locked 66 of SEC of wallet {wallet} but open commitments hold 65 (tender 1 bond: 40, hash time-lock 1: 25)"),
        format!("locked 66 of SEC of wallet {wallet} but open commitments hold 65 (hash time-lock 1: 25, tender 1 bond: 40)"),
    ];
    assert!(want.contains(&got), "{got}");
}

#[test]
fn a_supply_off_by_one_is_reported() {
    let mut sim = setup();
    let (a, _) = idx(&sim, "SEC", 0);
    let mut rec = sim.chain.state.asset(a).clone();
    rec.supply += 1;
    sim.chain.state.assets.put(a, rec);
    assert_eq!(
        sim.chain.state.check_invariants(),
        Err(format!("asset SEC: supply {} but holdings sum to {}", 3 * MINTED + 1, 3 * MINTED))
    );
}

#[test]
fn a_holding_that_overflows_is_reported() {
    let mut sim = setup();
    set_holding(&mut sim, "CASH", 2, |h| h.frozen = u128::MAX);
    assert_eq!(
        sim.chain.state.check_invariants(),
        Err(format!(
            "holding CASH of wallet {}: free {MINTED} + locked 0 + frozen {} overflows",
            w(2).wallet().short(),
            u128::MAX
        ))
    );
}

#[test]
fn a_miscounted_holder_is_reported() {
    let mut sim = setup();
    let (a, _) = idx(&sim, "CASH", 0);
    let mut rec = sim.chain.state.asset(a).clone();
    rec.holders -= 1;
    sim.chain.state.assets.put(a, rec);
    assert_eq!(
        sim.chain.state.check_invariants(),
        Err(format!("asset CASH: {} holders recorded, {PARTIES} counted", PARTIES - 1))
    );
}

#[test]
fn an_open_lock_missing_from_its_deadline_queue_is_reported() {
    let mut sim = setup();
    run(&mut sim, &Act::Lock { by: 0, to: 1, asset: 0, amount: 10 });
    let deadline = sim.chain.state.htlcs.get(&1).unwrap().deadline;
    sim.chain.state.open_htlcs.remove(&(deadline, 1));
    assert_eq!(
        sim.chain.state.check_invariants(),
        Err("hash time-lock 1 is locked but not queued at its deadline".into())
    );
}

#[test]
fn a_retired_wallet_that_still_holds_units_is_reported() {
    let mut sim = setup();
    run(&mut sim, &Act::Recover { party: 1 });
    set_holding(&mut sim, "SEC", 1, |h| h.free = 3);
    let (a, _) = idx(&sim, "SEC", 1);
    let mut rec = sim.chain.state.asset(a).clone();
    rec.supply += 3;
    rec.holders += 1;
    sim.chain.state.assets.put(a, rec);
    assert_eq!(
        sim.chain.state.check_invariants(),
        Err(format!("holding SEC of wallet {}: wallet is retired but holds 3", w(1).wallet().short()))
    );
}

#[cfg(debug_assertions)]
#[test]
#[should_panic(expected = "broken invariant: asset SEC: supply")]
fn a_block_built_on_a_broken_state_panics_in_debug_builds() {
    let mut sim = setup();
    let (a, _) = idx(&sim, "SEC", 0);
    let mut rec = sim.chain.state.asset(a).clone();
    rec.supply -= 1;
    sim.chain.state.assets.put(a, rec);
    sim.chain.state.commit();
    run(&mut sim, &Act::Advance(1));
}
