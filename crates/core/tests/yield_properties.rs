//! Yield accrual under random activity: whatever holders do (transfers, mints, burns, freezes,
//! recoveries) and however time passes, Σ paid + residual + unpaid entitlements = accrued,
//! exactly, and a payout never pays more than was accrued.

use proptest::prelude::*;
use tessera_core::block::demo_genesis;
use tessera_core::crypto::Keypair;
use tessera_core::exec::Chain;
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::yields::SCALE;
use tessera_core::*;

const W: usize = 4;

fn op_key() -> Keypair {
    Keypair::insecure_from_name("yp-operator")
}
fn w(i: usize) -> Keypair {
    Keypair::insecure_from_name(&format!("yp-wallet-{i}"))
}

fn submit(chain: &mut Chain, time: Time, k: &Keypair, ops: Vec<Op>) {
    let st = &chain.state;
    let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
    let tx = TxBody { network: "yp".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(k);
    if let Ok(c) = CheckedTx::from_decoded(tx) {
        chain.build_block(time, vec![c]);
    }
}

#[derive(Clone, Debug)]
enum Act {
    Transfer(usize, usize, u128),
    Mint(usize, u128),
    Burn(usize, u128),
    Freeze(usize, bool),
    Rate(u64),
    Advance(u64),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0..W, 0..W, 1u128..5_000_000).prop_map(|(a, b, x)| Act::Transfer(a, b, x)),
        2 => (0..W, 1u128..5_000_000).prop_map(|(a, x)| Act::Mint(a, x)),
        1 => (0..W, 1u128..5_000_000).prop_map(|(a, x)| Act::Burn(a, x)),
        1 => (0..W, any::<bool>()).prop_map(|(a, on)| Act::Freeze(a, on)),
        1 => (0u64..100_000_000).prop_map(Act::Rate),
        4 => (3_600u64..(20 * 86_400)).prop_map(Act::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn accrued_is_always_paid_plus_residual_plus_unpaid(acts in proptest::collection::vec(act(), 1..50)) {
        let op = op_key();
        let mut time = Time::parse("2026-01-01T12:00:00Z").unwrap();
        let g = demo_genesis("yp", time, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
        let (mut chain, _) = Chain::genesis(&g).unwrap();
        let mut ops = vec![Op::RegisterParty(op::RegisterParty { party: PartyId::new("mgr"), name: "M".into(), kind: PartyKind::Institution }), Op::AddWallet(op::AddWallet { party: PartyId::new("mgr"), wallet: w(99).wallet() })];
        for i in 0..W {
            let p = PartyId::new(format!("p{i}"));
            ops.push(Op::RegisterParty(op::RegisterParty { party: p.clone(), name: "P".into(), kind: PartyKind::Fund }));
            ops.push(Op::AddWallet(op::AddWallet { party: p, wallet: w(i).wallet() }));
        }
        ops.push(Op::CreateAsset(AssetSpec { symbol: Symbol::new("YLD"), name: "Y".into(), kind: AssetKind::FundShare { nav: NavKind::Stable }, decimals: 6, issuer: PartyId::new("mgr"), supply_cap: None, policy: Default::default() }));
        ops.push(Op::CreateYieldClass(op::CreateYieldClass { asset: Symbol::new("YLD"), basis: 365, cutoff_seconds: 54_000, payout_day: 1, residual: w(99).wallet() }));
        ops.push(Op::SetYieldRate(op::SetYieldRate { asset: Symbol::new("YLD"), rate_ppb: 45_000_000 }));
        for i in 0..W {
            ops.push(Op::Mint(op::Mint { asset: Symbol::new("YLD"), to: w(i).wallet(), amount: 7_000_000 }));
        }
        submit(&mut chain, time, &op, ops);
        let sym = Symbol::new("YLD");
        for a in &acts {
            match a.clone() {
                Act::Transfer(x, y, n) => submit(&mut chain, time, &w(x), vec![Op::Transfer(op::Transfer { asset: sym.clone(), to: w(y).wallet(), amount: n })]),
                Act::Mint(x, n) => submit(&mut chain, time, &op, vec![Op::Mint(op::Mint { asset: sym.clone(), to: w(x).wallet(), amount: n })]),
                Act::Burn(x, n) => submit(&mut chain, time, &op, vec![Op::Burn(op::Burn { asset: sym.clone(), from: w(x).wallet(), amount: n })]),
                Act::Freeze(x, on) => submit(&mut chain, time, &op, vec![if on { Op::FreezeWallet(op::FreezeWallet { wallet: w(x).wallet(), reason: "p".into() }) } else { Op::UnfreezeWallet(op::UnfreezeWallet { wallet: w(x).wallet(), reason: "p".into() }) }]),
                Act::Rate(r) => submit(&mut chain, time, &op, vec![Op::SetYieldRate(op::SetYieldRate { asset: sym.clone(), rate_ppb: r })]),
                Act::Advance(s) => {
                    time = time.plus(s);
                    // An empty block lets the block-boundary jobs run at the new time.
                    chain.build_block(time, vec![]);
                }
            }
            if let Err(e) = chain.state.check_invariants() { prop_assert!(false, "{}", e); }
            let a = chain.state.asset_idx(&sym).unwrap();
            let c = chain.state.yield_classes.get(&a).unwrap();
            prop_assert!((c.paid + c.residual_minted) * SCALE <= c.accrued);
        }
    }
}
