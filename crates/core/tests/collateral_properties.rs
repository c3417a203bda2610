//! Collateral under random activity (pledges, withdrawals, releases, substitutions, requirements,
//! price moves, transfers, contributions, time passing through deadlines and daily calls):
//! - pledged units never leave a wallet, nor leave the pledge, without the pledgee: a drop in
//!   a pledging wallet's locked units (bilateral, or in a member's segregated account at the
//!   custodian when the clearing house holds collateral tri-party) is a release the block reports (by the clearing house, or
//!   the member's own withdrawal or substitution, which the rules allow only within coverage) or
//!   a realization at a default;
//! - coverage kept incrementally equals coverage recomputed from scratch after every block
//!   (`collateral::check`, part of the invariants);
//! - no account defaults while its coverage meets its requirement;
//! - the waterfall's layers sum to the loss, never take more than it, and every unit of cash
//!   is accounted for: the clearing house holds exactly the contributions, the cash
//!   appropriated and the liquidation proceeds, less what it returned.

use proptest::prelude::*;
use std::collections::BTreeMap;
use tessera_core::block::{demo_genesis, Event, Outcome};
use tessera_core::collateral::{CollateralEvent as C, Schedule};
use tessera_core::crypto::Keypair;
use tessera_core::exec::Chain;
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::oracle::{FeedKind, FeedSpec};
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;

const M: usize = 3;
const NET: &str = "cp";
const ASSETS: [&str; 3] = ["USDX", "TBA", "TBB"];
const CUSIPS: [&str; 2] = ["912796Y60", "912797GL5"];

fn op_key() -> Keypair {
    Keypair::insecure_from_name("cp-operator")
}
fn ccp_key() -> Keypair {
    Keypair::insecure_from_name("cp-ccp")
}
fn dealer() -> Keypair {
    Keypair::insecure_from_name("cp-dealer")
}
fn member(i: usize) -> Keypair {
    Keypair::insecure_from_name(&format!("cp-member-{i}"))
}
/// Member `i`'s segregated account at the custodian (a wallet of the member; tri-party runs).
fn segregated(i: usize) -> Keypair {
    Keypair::insecure_from_name(&format!("cp-segregated-{i}"))
}
fn custodian() -> Keypair {
    Keypair::insecure_from_name("cp-custodian")
}
/// Every wallet that holds a member's units: the members' own, then their segregated accounts.
fn holder(j: usize) -> (usize, Keypair) {
    if j < M {
        (j, member(j))
    } else {
        (j - M, segregated(j - M))
    }
}
fn party(i: usize) -> PartyId {
    PartyId::new(format!("m{i}"))
}
fn ccp() -> PartyId {
    PartyId::new("ccp")
}
fn sym(s: &str) -> Symbol {
    Symbol::new(s)
}

/// One transaction in its own block; the events of the block (system receipt first).
fn submit(chain: &mut Chain, time: Time, k: &Keypair, ops: Vec<Op>) -> Vec<Event> {
    let st = &chain.state;
    let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
    let tx = TxBody { network: NET.into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(k);
    let Ok(c) = CheckedTx::from_decoded(tx) else { return vec![] };
    let (block, _) = chain.build_block(time, vec![c]);
    let mut ev = block.body.system.events.clone();
    for r in &block.body.receipts {
        if let Outcome::Ok { events } = &r.outcome {
            ev.extend(events.iter().cloned());
        }
    }
    ev
}

fn schedule(triparty: bool) -> Schedule {
    let mut s: Schedule = serde_json::from_value(serde_json::json!({
        "cash_asset": "USDX", "wallet": ccp_key().wallet().to_hex(),
        "eligible": { "shipped": "CME" }, "haircuts": { "shipped": "CME" },
        "fund_share_haircut_bps": 300, "call_deadline_seconds": 3600, "daily_call_second": 28800,
        "intraday_threshold_bps": 100, "liquidation_buyer": dealer().wallet().to_hex(),
        "liquidation_discount_bps": 50, "skin_in_the_game": "50000000000"
    }))
    .unwrap();
    if triparty {
        s.custodian = Some(PartyId::new("custodian"));
    }
    s
}

fn setup(time: Time, triparty: bool) -> Chain {
    let op = op_key();
    let g = demo_genesis(NET, time, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    let (mut chain, _) = Chain::genesis(&g).unwrap();
    let reg = |p: &PartyId, kind: PartyKind, k: &Keypair| {
        vec![
            Op::RegisterParty(op::RegisterParty { party: p.clone(), name: p.to_string(), kind }),
            Op::AddWallet(op::AddWallet { party: p.clone(), wallet: k.wallet() }),
        ]
    };
    let mut ops = reg(&ccp(), PartyKind::ClearingHouse, &ccp_key());
    ops.extend(reg(&PartyId::new("dealer"), PartyKind::Bank, &dealer()));
    ops.extend(reg(&PartyId::new("issuer"), PartyKind::Institution, &Keypair::insecure_from_name("cp-issuer")));
    ops.extend(reg(&PartyId::new("custodian"), PartyKind::Bank, &custodian()));
    for i in 0..M {
        ops.extend(reg(&party(i), PartyKind::Institution, &member(i)));
        ops.push(Op::AddWallet(op::AddWallet { party: party(i), wallet: segregated(i).wallet() }));
    }
    ops.push(Op::RegisterOracleSource(op::RegisterOracleSource { wallet: op.wallet(), name: "vendor".into() }));
    for cusip in CUSIPS {
        ops.push(Op::CreateFeed(FeedSpec {
            feed: format!("PX:{cusip}"),
            kind: FeedKind::Price,
            sources: vec![op.wallet()],
            quorum: 1,
            max_age_seconds: 365 * 86_400,
            max_deviation_bps: 50,
            max_move_bps: 10_000,
        }));
    }
    let bill = |cusip: &str, days: u64| AssetKind::TreasurySecurity {
        security: SecurityType::Bill,
        cusip: cusip.into(),
        maturity: time.plus(days * 86_400),
        coupon_micros: 0,
    };
    for (s, kind) in [
        ("USDX", AssetKind::CashToken { cash: CashKind::Stablecoin, currency: "USD".into() }),
        ("TBA", bill(CUSIPS[0], 120)),
        ("TBB", bill(CUSIPS[1], 200)),
    ] {
        ops.push(Op::CreateAsset(AssetSpec {
            symbol: sym(s),
            name: s.into(),
            kind,
            decimals: 6,
            issuer: PartyId::new("issuer"),
            supply_cap: None,
            policy: Default::default(),
        }));
    }
    for i in 0..M {
        for s in ASSETS {
            ops.push(Op::Mint(op::Mint { asset: sym(s), to: member(i).wallet(), amount: 2_000_000_000_000 }));
        }
    }
    ops.push(Op::Mint(op::Mint { asset: sym("USDX"), to: dealer().wallet(), amount: 100_000_000_000_000 }));
    for cusip in CUSIPS {
        ops.push(Op::OracleReport(op::OracleReport {
            feed: format!("PX:{cusip}"),
            value: 9_900_000_000,
            observed_at: time,
        }));
    }
    ops.push(Op::SetCollateralSchedule(op::SetCollateralSchedule {
        ccp: ccp(),
        effective_from: time,
        schedule: schedule(triparty),
    }));
    submit(&mut chain, time, &op, ops);
    let admits = (0..M).map(|i| Op::AdmitMember(op::AdmitMember { member: party(i) })).collect();
    let admitted = submit(&mut chain, time, &ccp_key(), admits);
    assert_eq!(admitted.len(), M, "the setup admits every member: {admitted:?}");
    if triparty {
        let open = (0..M)
            .map(|i| {
                Op::OpenSegregatedAccount(op::OpenSegregatedAccount {
                    ccp: ccp(),
                    member: party(i),
                    wallet: segregated(i).wallet(),
                })
            })
            .collect();
        let opened = submit(&mut chain, time, &custodian(), open);
        assert_eq!(opened.len(), M, "the custodian opens every segregated account: {opened:?}");
    }
    assert_eq!(balance(&chain, &member(0), "TBB").0, 2_000_000_000_000, "the setup mints the bills");
    chain
}

#[derive(Clone, Debug)]
enum Act {
    Pledge(usize, usize, u128),
    Withdraw(usize, usize, u128),
    Release(usize, usize, u128),
    Substitute(usize, usize, u128, usize, u128),
    Requirement(usize, u128, u128),
    Price(usize, i64),
    Transfer(usize, usize, u128),
    Contribute(usize, u128),
    Advance(u64),
}

fn act() -> impl Strategy<Value = Act> {
    let amount = 1_000_000u128..800_000_000_000;
    prop_oneof![
        5 => (0..M, 0..3usize, amount.clone()).prop_map(|(m, a, x)| Act::Pledge(m, a, x)),
        2 => (0..M, 0..3usize, amount.clone()).prop_map(|(m, a, x)| Act::Withdraw(m, a, x)),
        1 => (0..M, 0..3usize, amount.clone()).prop_map(|(m, a, x)| Act::Release(m, a, x)),
        2 => (0..M, 0..3usize, amount.clone(), 0..3usize, amount.clone())
            .prop_map(|(m, a, x, b, y)| Act::Substitute(m, a, x, b, y)),
        3 => (0..M, 0u128..1_500_000_000_000, 0u128..100_000_000_000).prop_map(|(m, i, v)| Act::Requirement(m, i, v)),
        3 => (0..2usize, 8_500_000_000i64..10_000_000_000).prop_map(|(a, p)| Act::Price(a, p)),
        2 => (0..M, 0..3usize, amount.clone()).prop_map(|(m, a, x)| Act::Transfer(m, a, x)),
        1 => (0..M, 1_000_000u128..50_000_000_000).prop_map(|(m, x)| Act::Contribute(m, x)),
        3 => (60u64..(30 * 3_600)).prop_map(Act::Advance),
    ]
}

fn ops_of(act: &Act, time: Time) -> (Keypair, Vec<Op>) {
    match act.clone() {
        Act::Pledge(m, a, x) => (
            member(m),
            vec![Op::PledgeCollateral(op::PledgeCollateral { ccp: ccp(), asset: sym(ASSETS[a]), amount: x })],
        ),
        Act::Withdraw(m, a, x) => (
            member(m),
            vec![Op::WithdrawCollateral(op::WithdrawCollateral { ccp: ccp(), asset: sym(ASSETS[a]), amount: x })],
        ),
        Act::Release(m, a, x) => (
            ccp_key(),
            vec![Op::ReleaseCollateral(op::ReleaseCollateral {
                member: party(m),
                wallet: member(m).wallet(),
                asset: sym(ASSETS[a]),
                amount: x,
            })],
        ),
        Act::Substitute(m, a, x, b, y) => (
            member(m),
            vec![Op::SubstitutePledge(op::SubstitutePledge {
                ccp: ccp(),
                release_asset: sym(ASSETS[a]),
                release_amount: x,
                pledge_asset: sym(ASSETS[b]),
                pledge_amount: y,
            })],
        ),
        Act::Requirement(m, i, v) => (
            ccp_key(),
            vec![Op::SetMarginRequirement(op::SetMarginRequirement {
                ccp: ccp(),
                member: party(m),
                initial_margin: i,
                variation_margin: v,
            })],
        ),
        Act::Price(a, p) => (
            op_key(),
            vec![Op::OracleReport(op::OracleReport { feed: format!("PX:{}", CUSIPS[a]), value: p, observed_at: time })],
        ),
        Act::Transfer(m, a, x) => (
            member(m),
            vec![Op::Transfer(op::Transfer { asset: sym(ASSETS[a]), to: member((m + 1) % M).wallet(), amount: x })],
        ),
        Act::Contribute(m, x) => {
            (member(m), vec![Op::ContributeDefaultFund(op::ContributeDefaultFund { ccp: ccp(), amount: x })])
        }
        Act::Advance(_) => (op_key(), vec![]),
    }
}

/// (free, locked) of a wallet's holding of an asset.
fn balance(chain: &Chain, k: &Keypair, asset: &str) -> (u128, u128) {
    let st = &chain.state;
    let (a, w) = (st.asset_idx(&sym(asset)).unwrap(), st.wallet_idx(&k.wallet()).unwrap());
    let h = st.holding(a, w);
    (h.free, h.locked)
}

thread_local! {
    /// (runs, calls, defaults, pledges left): printed now and then, to see that the random acts
    /// reach calls and defaults at all.
    static STATS: std::cell::RefCell<(usize, usize, usize, usize)> = const { std::cell::RefCell::new((0, 0, 0, 0)) };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pledges_move_only_through_the_pledgee_coverage_stays_exact_and_defaults_conserve_every_unit(
        acts in prop::collection::vec(act(), 1..60),
        triparty in any::<bool>(),
    ) {
        let mut time = Time::parse("2026-01-05T10:00:00Z").unwrap();
        let mut chain = setup(time, triparty);
        let supply0: Vec<u128> = ASSETS.iter().map(|s| {
            let st = &chain.state;
            st.asset(st.asset_idx(&sym(s)).unwrap()).supply
        }).collect();
        // Cash into and out of the clearing house's wallet, as the events report it.
        let mut ccp_cash_expected: u128 = 0;
        for (n, act) in acts.iter().enumerate() {
            if let Act::Advance(s) = act {
                time = time.plus(*s);
            } else {
                time = time.plus(1);
            }
            let before: BTreeMap<(usize, &str), (u128, u128)> = (0..2 * M)
                .flat_map(|j| ASSETS.iter().map(move |s| (j, *s)))
                .map(|(j, s)| ((j, s), balance(&chain, &holder(j).1, s)))
                .collect();
            let ccp_before = balance(&chain, &ccp_key(), "USDX").0;
            let (k, ops) = ops_of(act, time);
            let events = if ops.is_empty() {
                // A block with only the boundary jobs: a harmless transaction carries it.
                let tick = Op::RegisterParty(op::RegisterParty {
                    party: PartyId::new(format!("tick{n}")),
                    name: "tick".into(),
                    kind: PartyKind::Individual,
                });
                submit(&mut chain, time, &k, vec![tick])
            } else {
                submit(&mut chain, time, &k, ops)
            };
            chain.state.check_invariants().map_err(TestCaseError::fail)?;

            // What the block says left pledges (released) or was realized, per (member, asset).
            let mut released: BTreeMap<(usize, String), u128> = BTreeMap::new();
            let mut realized: BTreeMap<(usize, String), u128> = BTreeMap::new();
            let who = |w: &WalletId| (0..2 * M).find(|j| holder(*j).1.wallet() == *w);
            let mut in_flow: u128 = 0;
            let mut out_flow: u128 = 0;
            for e in &events {
                match e {
                    Event::Collateral(C::Released { asset, wallet, amount, .. }) => {
                        if let Some(m) = who(wallet) {
                            *released.entry((m, asset.to_string())).or_default() += amount;
                        }
                    }
                    Event::Collateral(C::Appropriated { asset, wallet, amount, .. }) => {
                        if let Some(m) = who(wallet) {
                            *realized.entry((m, asset.to_string())).or_default() += amount;
                        }
                        if asset.as_str() == "USDX" {
                            in_flow += amount;
                        }
                    }
                    Event::Collateral(C::Liquidated { asset, amount, proceeds, .. }) => {
                        // One member defaults per call; its wallet is the only pledging one.
                        for j in 0..2 * M {
                            *realized.entry((j, asset.to_string())).or_default() += amount;
                        }
                        in_flow += proceeds;
                    }
                    Event::Collateral(C::DefaultFundContributed { amount, .. }) => in_flow += amount,
                    Event::Collateral(C::CallDefaulted { shortfall, .. }) => {
                        prop_assert!(*shortfall > 0, "a default with nothing short: {e:?}");
                    }
                    Event::Collateral(C::Waterfall {
                        loss, defaulter_margin, defaulter_default_fund, ccp_capital,
                        survivors_default_fund, assessments, uncovered, returned, ..
                    }) => {
                        let layers = defaulter_margin + defaulter_default_fund + ccp_capital
                            + survivors_default_fund + assessments + uncovered;
                        prop_assert_eq!(layers, *loss, "the waterfall's layers must sum to the loss: {:?}", e);
                        prop_assert!(defaulter_margin <= loss);
                        out_flow += returned;
                    }
                    _ => {}
                }
            }
            for j in 0..2 * M {
                let (m, k) = holder(j);
                for s in ASSETS {
                    let (f0, l0) = before[&(j, s)];
                    let (f1, l1) = balance(&chain, &k, s);
                    let key = (j, s.to_string());
                    let r = released.get(&key).copied().unwrap_or(0);
                    let z = realized.get(&key).copied().unwrap_or(0);
                    prop_assert!(
                        l0.saturating_sub(l1) <= r + z,
                        "act {act:?}: {s} locked of member {m} fell {l0} → {l1} with {r} released and {z} realized"
                    );
                    // Released units may leave too: tri-party, they go back to the member's own
                    // wallet in the same transaction.
                    prop_assert!(
                        (f0 + l0).saturating_sub(f1 + l1) <= f0 + r + z,
                        "act {act:?}: member {m}'s {s} fell {} → {} but only {f0} was free, {r} released and {z} realized",
                        f0 + l0, f1 + l1
                    );
                }
            }
            let ccp_after = balance(&chain, &ccp_key(), "USDX").0;
            ccp_cash_expected = ccp_cash_expected + in_flow - out_flow;
            prop_assert_eq!(ccp_after, ccp_cash_expected, "clearing house cash before {} after act {:?}", ccp_before, act);
        }
        STATS.with(|st| {
            let mut st = st.borrow_mut();
            st.0 += 1;
            st.1 += chain.state.margin_calls.len();
            st.2 += chain.state.margin_calls.iter().filter(|(_, c)| matches!(c.status, tessera_core::collateral::CallStatus::Defaulted { .. })).count();
            st.3 += chain.state.collateral_accounts.iter().map(|(_, a)| a.pledges.len()).sum::<usize>();
            if st.0 % 16 == 0 {
                eprintln!("{} runs: {} calls, {} defaults, {} pledges standing at the end", st.0, st.1, st.2, st.3);
            }
        });
        for (s, s0) in ASSETS.iter().zip(supply0) {
            let st = &chain.state;
            prop_assert_eq!(st.asset(st.asset_idx(&sym(s)).unwrap()).supply, s0, "supply of {} changed", s);
        }
    }
}

#[test]
fn an_account_holds_at_most_64_pledges_and_the_65th_is_refused_with_too_many_pledges() {
    let time = Time::parse("2026-01-05T10:00:00Z").unwrap();
    let mut chain = setup(time, false);
    let n = tessera_core::collateral::MAX_PLEDGES + 1;
    let mut ops = Vec::new();
    for i in 0..n {
        ops.push(Op::CreateAsset(AssetSpec {
            symbol: sym(&format!("USD{i}")),
            name: format!("USD token {i}"),
            kind: AssetKind::CashToken { cash: CashKind::Stablecoin, currency: "USD".into() },
            decimals: 6,
            issuer: PartyId::new("issuer"),
            supply_cap: None,
            policy: Default::default(),
        }));
        ops.push(Op::Mint(op::Mint { asset: sym(&format!("USD{i}")), to: member(0).wallet(), amount: 1_000_000 }));
    }
    for batch in ops.chunks(32) {
        let events = submit(&mut chain, time, &op_key(), batch.to_vec());
        assert!(!events.is_empty(), "a setup batch was refused");
    }
    let pledge = |i: usize| {
        Op::PledgeCollateral(op::PledgeCollateral { ccp: ccp(), asset: sym(&format!("USD{i}")), amount: 1_000_000 })
    };
    let events = submit(&mut chain, time, &member(0), (0..n - 1).map(pledge).collect());
    assert_eq!(events.len(), n - 1, "64 pledges, one per asset, are taken");
    let st = &chain.state;
    let seq = st.wallet(st.wallet_idx(&member(0).wallet()).unwrap()).next_seq;
    let tx = TxBody {
        network: NET.into(),
        signer: member(0).wallet(),
        seq,
        expires_at: Time(u64::MAX),
        ops: vec![pledge(n - 1)],
    }
    .sign(&member(0));
    let (block, _) = chain.build_block(time, vec![CheckedTx::from_decoded(tx).unwrap()]);
    match &block.body.receipts[0].outcome {
        Outcome::Failed { code, .. } => assert_eq!(code, "collateral.too_many_pledges"),
        other => panic!("the 65th pledge was not refused: {other:?}"),
    }
}
