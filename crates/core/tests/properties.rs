//! Property tests of the state machine's invariants over random sequences of transactions:
//! conservation per asset, free + locked + frozen = holding, a refused transaction changes
//! nothing but its signer's sequence number, and replay is deterministic.

use borsh::BorshDeserialize;
use proptest::prelude::*;
use tessera_core::block::{demo_genesis, Block, Event, Outcome};
use tessera_core::compliance::{Policy, Rule};
use tessera_core::crypto::Keypair;
use tessera_core::exec::{self, BlockContext, Chain};
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::state::State;
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;

const PARTIES: usize = 4;
const ASSETS: [&str; 2] = ["AAA", "BBB"];

fn operator() -> Keypair {
    Keypair::insecure_from_name("prop-operator")
}
fn holder(i: usize) -> Keypair {
    Keypair::insecure_from_name(&format!("prop-holder-{i}"))
}
/// Wallets 0..PARTIES belong to parties 0..PARTIES; wallet PARTIES is a second wallet of party 0.
fn wallets() -> Vec<Keypair> {
    (0..=PARTIES).map(holder).collect()
}

/// Signs with the wallet's next sequence number; `None` if refused at the door (e.g. amount 0).
fn try_tx(chain: &Chain, k: &Keypair, ops: Vec<Op>) -> Option<CheckedTx> {
    let st = &chain.state;
    let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
    CheckedTx::from_decoded(
        TxBody { network: "prop".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(k),
    )
    .ok()
}

fn tx(chain: &Chain, k: &Keypair, ops: Vec<Op>) -> CheckedTx {
    try_tx(chain, k, ops).expect("well-formed transaction")
}

fn setup() -> (Chain, Vec<Block>) {
    let op = operator();
    let mut g = demo_genesis(
        "prop",
        Time(1_000_000),
        &[(&op, &[Role::Admin, Role::IssuerAgent, Role::ComplianceOfficer, Role::Pauser])],
        [1, 1, 1],
    );
    g.trusted_issuers = vec![(op.wallet(), vec![ClaimTopic::Kyc, ClaimTopic::InvestorClass, ClaimTopic::Jurisdiction])];
    let (mut chain, genesis) = Chain::genesis(&g).unwrap();
    let ws = wallets();
    let mut ops = Vec::new();
    for (p, w) in ws.iter().enumerate().take(PARTIES) {
        let party = PartyId::new(format!("p{p}"));
        ops.push(Op::RegisterParty(op::RegisterParty {
            party: party.clone(),
            name: format!("P{p}"),
            kind: PartyKind::Institution,
        }));
        ops.push(Op::AddWallet(op::AddWallet { party: party.clone(), wallet: w.wallet() }));
        // Party 3 never gets KYC, so rules refuse it.
        if p != 3 {
            ops.push(Op::IssueClaim(op::IssueClaim { party: party.clone(), claim: Claim::Kyc, expires_at: None }));
        }
        ops.push(Op::IssueClaim(op::IssueClaim {
            party,
            claim: Claim::InvestorClass(InvestorClass::Qib),
            expires_at: None,
        }));
    }
    ops.push(Op::AddWallet(op::AddWallet { party: PartyId::new("p0"), wallet: ws[PARTIES].wallet() }));
    for (i, s) in ASSETS.iter().enumerate() {
        let rules = if i == 0 {
            vec![
                Rule::Kyc,
                Rule::Lockup { seconds: 50 },
                Rule::Rolling24hLimit(500),
                Rule::MonitorNewCounterparty { amount: 10 },
            ]
        } else {
            vec![
                Rule::Kyc,
                Rule::MaxHolders(3),
                Rule::MinHolding(5),
                Rule::MonitorStructuring { threshold: 100, window_seconds: 1000, count: 2 },
            ]
        };
        ops.push(Op::CreateAsset(AssetSpec {
            symbol: Symbol::new(*s),
            name: s.to_string(),
            kind: AssetKind::FundShare { nav: NavKind::Stable },
            decimals: 0,
            issuer: PartyId::new("operator"),
            supply_cap: Some(1_000_000),
            policy: Policy { rules },
        }));
    }
    let t = tx(&chain, &op, ops);
    let (b1, _) = chain.build_block(Time(1_000_001), vec![t]);
    assert!(b1.body.receipts[0].is_ok(), "{:?}", b1.body.receipts[0]);
    (chain, vec![genesis, b1])
}

#[derive(Clone, Debug)]
enum Action {
    Transfer {
        from: usize,
        to: usize,
        asset: usize,
        amount: u128,
    },
    Mint {
        to: usize,
        asset: usize,
        amount: u128,
    },
    Burn {
        from: usize,
        asset: usize,
        amount: u128,
    },
    Freeze {
        w: usize,
        asset: usize,
        amount: u128,
    },
    Unfreeze {
        w: usize,
        asset: usize,
        amount: u128,
    },
    Force {
        from: usize,
        to: usize,
        asset: usize,
        amount: u128,
    },
    FreezeWallet {
        w: usize,
        frozen: bool,
    },
    Pause {
        asset: usize,
        paused: bool,
    },
    /// Two transfers in one transaction: all or nothing.
    Pair {
        from: usize,
        a: usize,
        b: usize,
        asset: usize,
        amount: u128,
    },
    Advance(u64),
}

fn action() -> impl Strategy<Value = Action> {
    let w = 0..=PARTIES;
    let a = 0..ASSETS.len();
    let amt = prop_oneof![1u128..200, Just(0u128), Just(u128::MAX)];
    prop_oneof![
        6 => (w.clone(), w.clone(), a.clone(), amt.clone()).prop_map(|(from, to, asset, amount)| Action::Transfer { from, to, asset, amount }),
        3 => (w.clone(), a.clone(), 1u128..400).prop_map(|(to, asset, amount)| Action::Mint { to, asset, amount }),
        1 => (w.clone(), a.clone(), amt.clone()).prop_map(|(from, asset, amount)| Action::Burn { from, asset, amount }),
        1 => (w.clone(), a.clone(), amt.clone()).prop_map(|(w, asset, amount)| Action::Freeze { w, asset, amount }),
        1 => (w.clone(), a.clone(), amt.clone()).prop_map(|(w, asset, amount)| Action::Unfreeze { w, asset, amount }),
        1 => (w.clone(), w.clone(), a.clone(), amt.clone()).prop_map(|(from, to, asset, amount)| Action::Force { from, to, asset, amount }),
        1 => (w.clone(), any::<bool>()).prop_map(|(w, frozen)| Action::FreezeWallet { w, frozen }),
        1 => (a.clone(), any::<bool>()).prop_map(|(asset, paused)| Action::Pause { asset, paused }),
        2 => (w.clone(), w.clone(), w.clone(), a.clone(), 1u128..300).prop_map(|(from, a, b, asset, amount)| Action::Pair { from, a, b, asset, amount }),
        2 => (1u64..100).prop_map(Action::Advance),
    ]
}

fn to_tx(chain: &Chain, act: &Action) -> Option<CheckedTx> {
    let ws = wallets();
    let op = operator();
    let sym = |a: usize| Symbol::new(ASSETS[a]);
    let (signer, ops) = match act.clone() {
        Action::Transfer { from, to, asset, amount } => {
            (&ws[from], vec![Op::Transfer(op::Transfer { asset: sym(asset), to: ws[to].wallet(), amount })])
        }
        Action::Mint { to, asset, amount } => {
            (&op, vec![Op::Mint(op::Mint { asset: sym(asset), to: ws[to].wallet(), amount })])
        }
        Action::Burn { from, asset, amount } => {
            (&op, vec![Op::Burn(op::Burn { asset: sym(asset), from: ws[from].wallet(), amount })])
        }
        Action::Freeze { w, asset, amount } => (
            &op,
            vec![Op::FreezeAmount(op::FreezeAmount {
                asset: sym(asset),
                wallet: ws[w].wallet(),
                amount,
                reason: "p".into(),
            })],
        ),
        Action::Unfreeze { w, asset, amount } => (
            &op,
            vec![Op::UnfreezeAmount(op::UnfreezeAmount {
                asset: sym(asset),
                wallet: ws[w].wallet(),
                amount,
                reason: "p".into(),
            })],
        ),
        Action::Force { from, to, asset, amount } => (
            &op,
            vec![Op::ForceTransfer(op::ForceTransfer {
                asset: sym(asset),
                from: ws[from].wallet(),
                to: ws[to].wallet(),
                amount,
                reason: ForceReason::CourtOrder,
                reference: "r".into(),
            })],
        ),
        Action::FreezeWallet { w, frozen } => (
            &op,
            vec![if frozen {
                Op::FreezeWallet(op::FreezeWallet { wallet: ws[w].wallet(), reason: "p".into() })
            } else {
                Op::UnfreezeWallet(op::UnfreezeWallet { wallet: ws[w].wallet(), reason: "p".into() })
            }],
        ),
        Action::Pause { asset, paused } => {
            let scope = Scope::Asset(sym(asset));
            (
                &op,
                vec![if paused {
                    Op::Pause(op::Pause { scope, reason: "p".into() })
                } else {
                    Op::Unpause(op::Unpause { scope, reason: "p".into() })
                }],
            )
        }
        Action::Pair { from, a, b, asset, amount } => (
            &ws[from],
            vec![
                Op::Transfer(op::Transfer { asset: sym(asset), to: ws[a].wallet(), amount }),
                Op::Transfer(op::Transfer { asset: sym(asset), to: ws[b].wallet(), amount }),
            ],
        ),
        Action::Advance(_) => return None,
    };
    // Zero amounts are refused at the door (stateless checks): nothing to sequence.
    try_tx(chain, signer, ops)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold_and_refusals_change_nothing(actions in proptest::collection::vec(action(), 1..60)) {
        let (mut chain, _) = setup();
        let mut applied: Vec<(Time, CheckedTx)> = Vec::new();
        let mut time = chain.head.time;
        let mut expected_supply = [0u128; 2];
        for act in &actions {
            if let Action::Advance(s) = act { time = time.plus(*s); continue; }
            let Some(t) = to_tx(&chain, act) else { continue };
            // Apply by hand so the state can be compared just before the transaction.
            let ctx = BlockContext { height: chain.head.height + 1, time };
            exec::begin_block(&mut chain.state, &ctx);
            let before = borsh::to_vec(&chain.state).unwrap();
            let signer = exec::admit(&chain.state, &t.tx, time).unwrap();
            let receipt = exec::apply(&mut chain.state, &t, signer, &ctx);
            match &receipt.outcome {
                Outcome::Failed { .. } => {
                    let mut expect = State::try_from_slice(&before).unwrap();
                    let mut w = expect.wallet(signer).clone();
                    w.next_seq += 1;
                    expect.wallets.put(signer, w);
                    prop_assert_eq!(expect.digest(), chain.state.digest(), "a refused transaction changed more than the sequence number: {:?}", receipt);
                }
                Outcome::Ok { events } => {
                    for e in events {
                        match e {
                            Event::Minted { asset, amount, .. } => expected_supply[ASSETS.iter().position(|s| *s == asset.as_str()).unwrap()] += amount,
                            Event::Burned { asset, amount, .. } => expected_supply[ASSETS.iter().position(|s| *s == asset.as_str()).unwrap()] -= amount,
                            _ => {}
                        }
                    }
                }
            }
            chain.state.commit();
            if let Err(e) = chain.state.check_invariants() { prop_assert!(false, "{}", e); }
            for (i, s) in ASSETS.iter().enumerate() {
                let a = chain.state.asset_idx(&Symbol::new(*s)).unwrap();
                prop_assert_eq!(chain.state.asset(a).supply, expected_supply[i], "supply moved without a mint or burn");
            }
            applied.push((time, t));
            chain.head.height += 1;
            chain.head.time = time;
        }
        // Determinism: two independent replays of the same transactions give the same digests.
        let digests: Vec<Vec<Hash>> = (0..2).map(|_| {
            let (mut c, _) = setup();
            applied.iter().map(|(t, tx)| c.build_block(*t, vec![tx.clone()]).0.header.state_digest).collect()
        }).collect();
        prop_assert_eq!(&digests[0], &digests[1]);
        if let Some(last) = digests[0].last() {
            prop_assert_eq!(*last, chain.state.digest());
        }
    }
}

/// A transaction that admission refuses, by kind: replayed, out of sequence, expired, for
/// another network, from an unregistered signer.
fn refused_at_admission(chain: &Chain, kind: u8, salt: u64) -> CheckedTx {
    let op = operator();
    let next = chain.state.wallet(*chain.state.wallet_index.get(&op.wallet()).unwrap()).next_seq;
    let ops = vec![Op::RegisterParty(op::RegisterParty {
        party: PartyId::new(format!("r{salt}")),
        name: "R".into(),
        kind: PartyKind::Institution,
    })];
    let (signer, network, seq, expires_at) = match kind % 5 {
        0 => (operator(), "prop", next - 1, Time(u64::MAX)),
        1 => (operator(), "prop", next + 1 + salt % 7, Time(u64::MAX)),
        2 => (operator(), "prop", next, Time(chain.head.time.0 - 1)),
        3 => (operator(), "elsewhere", next, Time(u64::MAX)),
        _ => (Keypair::insecure_from_name(&format!("stranger-{salt}")), "prop", 1, Time(u64::MAX)),
    };
    CheckedTx::from_decoded(
        TxBody { network: network.into(), signer: signer.wallet(), seq, expires_at, ops }.sign(&signer),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Time passing with nothing due and transactions refused at admission record nothing:
    /// no block, and the chain (head, height, time, state) exactly as before. One admitted
    /// transaction among them makes exactly one block holding only it.
    #[test]
    fn nothing_to_record_builds_no_block_and_changes_nothing(
        rounds in proptest::collection::vec((0u64..100_000, proptest::collection::vec((0u8..5, 0u64..1_000), 0..6)), 1..8),
        admit_one in any::<bool>(),
    ) {
        let (mut chain, _) = setup();
        for (advance, refused) in &rounds {
            let (head, digest) = (chain.head.clone(), chain.state.digest());
            let txs: Vec<CheckedTx> = refused.iter().map(|(k, salt)| refused_at_admission(&chain, *k, *salt)).collect();
            let n = txs.len();
            let (block, admissions) = chain.try_build_block(chain.head.time.plus(*advance), txs);
            prop_assert!(block.is_none(), "a block with nothing to record was built");
            prop_assert_eq!(admissions.len(), n);
            prop_assert!(admissions.iter().all(|a| matches!(a, exec::Admission::Refused(_))));
            prop_assert_eq!(&chain.head, &head);
            prop_assert_eq!(chain.state.digest(), digest);
            prop_assert_eq!(chain.state.meta().height, head.height);
            prop_assert_eq!(chain.state.meta().time, head.time);
        }
        if admit_one {
            let good = tx(&chain, &operator(), vec![Op::RegisterParty(op::RegisterParty { party: PartyId::new("admitted"), name: "A".into(), kind: PartyKind::Institution })]);
            let mut txs = vec![refused_at_admission(&chain, 4, 1), good];
            txs.push(refused_at_admission(&chain, 3, 2));
            let h = chain.height();
            let (block, _) = chain.try_build_block(chain.head.time.plus(1), txs);
            let block = block.expect("an admitted transaction makes a block");
            prop_assert_eq!(block.header.height, h + 1);
            prop_assert_eq!(block.body.txs.len(), 1);
        }
    }
}
