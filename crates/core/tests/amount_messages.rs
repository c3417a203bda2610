//! The amounts the ledger's own messages name — refusals (which failure receipts carry) and
//! alert details (which the state keeps) — read in the asset's units and symbol, "1,500.00
//! USDX", on a ledger running rules version 2, and oracle values (NAV per share) as decimals.
//! A version-1 ledger keeps the bare minor units and fixed-point integers it always printed:
//! its journal carries those messages, and it must replay byte for byte
//! (`crates/cli/tests/old_journal.rs`). Each test runs the same refusals of every kind.

// Every asset here has 2 decimals, so minor units are written units_cents: 1_000_00 is 1,000.00.
#![allow(clippy::inconsistent_digit_grouping)]

use tessera_core::block::{demo_genesis, Outcome, RulesVersion, RULES_V1, RULES_V2};
use tessera_core::compliance::{Policy, Rule};
use tessera_core::crypto::Keypair;
use tessera_core::exec::Chain;
use tessera_core::fund::{CashMovement, FundParams, FundSpec, ShareClassSpec};
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::oracle::{FeedKind, FeedSpec};
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;

const NET: &str = "am";
const START: u64 = 1_000_000;

fn operator() -> Keypair {
    Keypair::insecure_from_name("am-operator")
}
fn alpha() -> Keypair {
    Keypair::insecure_from_name("am-alpha")
}
fn bravo() -> Keypair {
    Keypair::insecure_from_name("am-bravo")
}
fn manager() -> Keypair {
    Keypair::insecure_from_name("am-manager")
}

struct Ledger {
    chain: Chain,
    time: u64,
}

/// Every asset has 2 decimals; each compliance rule sits on an asset of its own, so the rule
/// under test is the one that refuses.
const RULE_ASSETS: &[&str] = &["LOCK", "MININV", "MINHOLD", "MAXBAL", "MAXSHR", "LIMIT", "ROLL", "MON"];

fn rule_of(asset: &str) -> Vec<Rule> {
    match asset {
        "LOCK" => vec![Rule::Lockup { seconds: 86_400 }],
        "MININV" => vec![Rule::MinInvestment(100_00)],
        "MINHOLD" => vec![Rule::MinHolding(100_00)],
        "MAXBAL" => vec![Rule::MaxBalance(100_00)],
        "MAXSHR" => vec![Rule::MaxShareBps(5_000)],
        "LIMIT" => vec![Rule::TransferLimit(100_00)],
        "ROLL" => vec![Rule::Rolling24hLimit(100_00)],
        "MON" => vec![
            Rule::MonitorStructuring { threshold: 100_00, window_seconds: 86_400, count: 2 },
            Rule::MonitorRapidInOut { window_seconds: 86_400, share_bps: 50 },
            Rule::MonitorNewCounterparty { amount: 50_00 },
        ],
        _ => vec![],
    }
}

impl Ledger {
    fn new(rules: u32) -> Ledger {
        let op = operator();
        let mut g = demo_genesis(NET, Time(START), &[(&op, &Role::OPERATOR)], [1, 1, 1]);
        g.rules = RulesVersion(rules);
        let (chain, _) = Chain::genesis(&g).expect("a valid genesis");
        assert_eq!(chain.state.rules(), rules);
        let mut l = Ledger { chain, time: START };
        let mut ops = Vec::new();
        for (id, k) in [("alpha", alpha()), ("bravo", bravo()), ("mgr", manager())] {
            ops.push(Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(id),
                name: id.into(),
                kind: PartyKind::Institution,
            }));
            ops.push(Op::AddWallet(op::AddWallet { party: PartyId::new(id), wallet: k.wallet() }));
        }
        ops.push(Op::RegisterOracleSource(op::RegisterOracleSource { wallet: op.wallet(), name: "admin".into() }));
        ops.push(Op::CreateFeed(FeedSpec {
            feed: "NAV:F".into(),
            kind: FeedKind::Nav,
            sources: vec![op.wallet()],
            quorum: 1,
            max_age_seconds: 86_400,
            max_deviation_bps: 50,
            max_move_bps: 50,
        }));
        let asset = |symbol: &str, kind: AssetKind, supply_cap: Option<Amount>| {
            Op::CreateAsset(AssetSpec {
                symbol: Symbol::new(symbol),
                name: symbol.into(),
                kind,
                decimals: 2,
                issuer: PartyId::new("mgr"),
                supply_cap,
                policy: Policy { rules: rule_of(symbol) },
            })
        };
        let share = || AssetKind::FundShare { nav: NavKind::Accumulating };
        ops.push(asset("PLAIN", share(), Some(10_000_00)));
        for s in RULE_ASSETS {
            ops.push(asset(s, share(), None));
        }
        ops.push(asset("USDX", AssetKind::CashToken { cash: CashKind::Stablecoin, currency: "USD".into() }, None));
        ops.push(asset("ACC", share(), None));
        ops.push(Op::CreateFund(FundSpec {
            fund: Symbol::new("F"),
            name: "Fund".into(),
            manager: PartyId::new("mgr"),
            cash_asset: Symbol::new("USDX"),
            cash_wallet: manager().wallet(),
            fee_wallet: manager().wallet(),
            params: FundParams { breaker_bps: 10_000, nav_feed: Some("NAV:F".into()), ..Default::default() },
        }));
        ops.push(Op::CreateShareClass(ShareClassSpec {
            fund: Symbol::new("F"),
            asset: Symbol::new("ACC"),
            basis: 365,
            cutoff_seconds: 54_000,
            payout_day: 1,
            residual: None,
            min_first: 1_000_00,
            min_later: 500_00,
            eligible: vec![],
            denied_jurisdictions: vec![],
            fee_bps: 0,
            domain_fees: vec![],
            initial_price: None,
            redemption_fee_bps: 0,
        }));
        ops.push(mint("USDX", 10_000_00));
        l.ok(&op, ops);
        l
    }

    fn run(&mut self, k: &Keypair, ops: Vec<Op>) -> Outcome {
        let st = &self.chain.state;
        let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
        let body = TxBody { network: NET.into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops };
        let tx = CheckedTx::from_decoded(body.sign(k)).expect("well-formed transaction");
        self.time += 1;
        let (b, _) = self.chain.build_block(Time(self.time), vec![tx]);
        b.body.receipts[0].outcome.clone()
    }

    fn ok(&mut self, k: &Keypair, ops: Vec<Op>) {
        let outcome = self.run(k, ops);
        assert!(matches!(outcome, Outcome::Ok { .. }), "{outcome}");
    }

    /// The code and message of a refused transaction.
    fn refused(&mut self, k: &Keypair, op: Op) -> (String, String) {
        match self.run(k, vec![op]) {
            Outcome::Failed { code, message, .. } => (code, message),
            ok => panic!("expected a refusal, got {ok}"),
        }
    }

    /// One refusal of each kind that names an amount (or an oracle value), then the details of
    /// the alerts raised (the fund's breaker, then the monitors).
    fn messages(&mut self) -> (Vec<(String, String)>, Vec<String>) {
        let (op, a) = (operator(), alpha());
        let mut out = Vec::new();
        self.ok(&op, vec![mint("PLAIN", 500_00)]);
        out.push(self.refused(&a, transfer("PLAIN", 600_00)));
        out.push(self.refused(&op, mint("PLAIN", 9_996_00)));
        out.push(
            self.refused(&op, Op::SetSupplyCap(op::SetSupplyCap { asset: Symbol::new("PLAIN"), cap: Some(100_00) })),
        );
        out.push(self.refused(&op, freeze(true, 600_00)));
        out.push(self.refused(&op, freeze(false, 1_00)));

        for s in ["LOCK", "MININV", "LIMIT", "ROLL"] {
            self.ok(&op, vec![mint(s, 500_00)]);
        }
        out.push(self.refused(&a, transfer("LOCK", 50_00)));
        out.push(self.refused(&a, transfer("MININV", 50_00)));
        self.ok(&op, vec![mint("MINHOLD", 150_00)]);
        out.push(self.refused(&a, transfer("MINHOLD", 100_00)));
        self.ok(&op, vec![mint("MAXBAL", 50_00)]);
        out.push(self.refused(&op, mint("MAXBAL", 60_00)));
        out.push(self.refused(&op, mint("MAXSHR", 100_00)));
        out.push(self.refused(&a, transfer("LIMIT", 200_00)));
        self.ok(&a, vec![transfer("ROLL", 80_00)]);
        out.push(self.refused(&a, transfer("ROLL", 30_00)));

        out.push(self.refused(&a, Op::Subscribe(op::Subscribe { class: Symbol::new("ACC"), amount: 500_00 })));
        out.push(self.refused(&a, Op::Redeem(op::Redeem { class: Symbol::new("ACC"), shares: 1_00 })));
        out.push(self.refused(
            &op,
            Op::CustodianCash(op::CustodianCash {
                fund: Symbol::new("F"),
                amount: 1_00,
                movement: CashMovement::Withdraw,
                reference: String::new(),
            }),
        ));

        // The administrator's NAV moves 1% (from 1.00 to 0.99), beyond the feed's 50 bps: the
        // fund halts, and a subscription is refused naming why.
        for value in [100_000_000, 99_000_000] {
            let nav = op::OracleReport { feed: "NAV:F".into(), value, observed_at: Time(self.time) };
            self.ok(&op, vec![Op::OracleReport(nav)]);
        }
        out.push(self.refused(&a, Op::Subscribe(op::Subscribe { class: Symbol::new("ACC"), amount: 2_000_00 })));

        self.ok(&op, vec![mint("MON", 1_000_00)]);
        self.ok(&a, vec![transfer("MON", 95_00)]);
        self.ok(&a, vec![transfer("MON", 95_00)]);
        let alerts = self.chain.state.alerts.sorted().into_iter().map(|(_, a)| a.detail.clone()).collect();
        (out, alerts)
    }
}

fn mint(asset: &str, amount: Amount) -> Op {
    Op::Mint(op::Mint { asset: Symbol::new(asset), to: alpha().wallet(), amount })
}

fn transfer(asset: &str, amount: Amount) -> Op {
    Op::Transfer(op::Transfer { asset: Symbol::new(asset), to: bravo().wallet(), amount })
}

fn freeze(freeze: bool, amount: Amount) -> Op {
    let (asset, wallet, reason) = (Symbol::new("PLAIN"), alpha().wallet(), "court order".to_string());
    if freeze {
        Op::FreezeAmount(op::FreezeAmount { asset, wallet, amount, reason })
    } else {
        Op::UnfreezeAmount(op::UnfreezeAmount { asset, wallet, amount, reason })
    }
}

fn pairs(expected: &[(&str, String)]) -> Vec<(String, String)> {
    expected.iter().map(|(c, m)| (c.to_string(), m.clone())).collect()
}

/// When the MON asset was minted to alpha (the rapid in-and-out alerts name it), two blocks
/// before the last.
fn mon_minted_at(l: &Ledger) -> Time {
    Time(l.time - 2)
}

#[test]
fn under_rules_version_2_refusals_and_alerts_name_amounts_in_the_assets_decimals_and_symbol() {
    let mut l = Ledger::new(RULES_V2);
    let (refusals, alerts) = l.messages();
    let a = alpha().wallet().short();
    assert_eq!(
        refusals,
        pairs(&[
            ("balance.insufficient", format!("wallet {a} has 500.00 PLAIN available; 600.00 PLAIN needed")),
            (
                "asset.supply_cap_exceeded",
                "minting 9,996.00 PLAIN would take PLAIN above its cap 10,000.00 PLAIN".into()
            ),
            ("asset.supply_cap_exceeded", "cap below the current supply 500.00 PLAIN".into()),
            ("balance.insufficient", "free balance 500.00 PLAIN is less than 600.00 PLAIN".into()),
            ("balance.insufficient_frozen", "0.00 PLAIN is less than 1.00 PLAIN".into()),
            (
                "compliance.lockup",
                "only 0.00 LOCK of the holding is past its 86400-second holding period; 50.00 LOCK asked".into()
            ),
            (
                "compliance.min_investment",
                "a first investment of 50.00 MININV is below the minimum 100.00 MININV".into()
            ),
            (
                "compliance.min_holding",
                "the sender would keep 50.00 MINHOLD, below the minimum holding 100.00 MINHOLD".into()
            ),
            ("compliance.max_balance", "the receiver would hold 110.00 MAXBAL; the maximum is 100.00 MAXBAL".into()),
            (
                "compliance.max_share",
                "the receiver would hold 100.00 MAXSHR of 100.00 MAXSHR, above 5000 bps (50.00 MAXSHR)".into()
            ),
            ("compliance.transfer_limit", "200.00 LIMIT is above the per-transfer limit 100.00 LIMIT".into()),
            (
                "compliance.rolling_limit",
                "80.00 ROLL sent in the last 24 hours plus 30.00 ROLL is above the limit 100.00 ROLL".into()
            ),
            ("fund.below_minimum", "500.00 USDX is below the minimum first investment 1,000.00 USDX".into()),
            ("balance.insufficient", "redeeming 1.00 ACC of a free balance of 0.00 ACC".into()),
            ("fund.insufficient_cash", "custodian cash 0.00 USDX does not cover 1.00 USDX".into()),
            (
                "fund.halted",
                "fund F is halted: feed NAV:F moved 100 bps (from 1.00000000 to 0.99000000), beyond 50 bps".into()
            ),
        ])
    );
    let t = mon_minted_at(&l);
    assert_eq!(
        alerts,
        [
            "feed NAV:F moved 100 bps (from 1.00000000 to 0.99000000), beyond 50 bps".to_string(),
            format!("received 1,000.00 MON at {t}, sent 95.00 MON within 86400 s"),
            "first transfer to this counterparty, above 50.00 MON".to_string(),
            "2 transfers just below 100.00 MON within 86400 s".to_string(),
            format!("received 1,000.00 MON at {t}, sent 95.00 MON within 86400 s"),
        ]
    );
}

#[test]
fn under_rules_version_1_refusals_and_alerts_keep_the_bare_minor_units_old_journals_carry() {
    let mut l = Ledger::new(RULES_V1);
    let (refusals, alerts) = l.messages();
    let a = alpha().wallet().short();
    assert_eq!(
        refusals,
        pairs(&[
            ("balance.insufficient", format!("wallet {a} has 50000 PLAIN available; 60000 needed")),
            ("asset.supply_cap_exceeded", "minting 999600 would take PLAIN above its cap 1000000".into()),
            ("asset.supply_cap_exceeded", "cap below the current supply 50000".into()),
            ("balance.insufficient", "free balance 50000 is less than 60000".into()),
            ("balance.insufficient_frozen", "0 is less than 100".into()),
            ("compliance.lockup", "only 0 of the holding is past its 86400-second holding period; 5000 asked".into()),
            ("compliance.min_investment", "a first investment of 5000 is below the minimum 10000".into()),
            ("compliance.min_holding", "the sender would keep 5000, below the minimum holding 10000".into()),
            ("compliance.max_balance", "the receiver would hold 11000; the maximum is 10000".into()),
            ("compliance.max_share", "the receiver would hold 10000 of 10000, above 5000 bps (5000)".into()),
            ("compliance.transfer_limit", "20000 is above the per-transfer limit 10000".into()),
            ("compliance.rolling_limit", "8000 sent in the last 24 hours plus 3000 is above the limit 10000".into()),
            ("fund.below_minimum", "50000 is below the minimum first investment 100000".into()),
            ("balance.insufficient", "redeeming 100 of a free balance of 0".into()),
            ("fund.insufficient_cash", "custodian cash 0 does not cover 100".into()),
            (
                "fund.halted",
                "fund F is halted: feed NAV:F moved 100 bps (from 100000000 to 99000000, × 10^-8), beyond 50 bps"
                    .into()
            ),
        ])
    );
    let t = mon_minted_at(&l);
    assert_eq!(
        alerts,
        [
            "feed NAV:F moved 100 bps (from 100000000 to 99000000, × 10^-8), beyond 50 bps".to_string(),
            format!("received 100000 at {t}, sent 9500 within 86400 s"),
            "first transfer to this counterparty, above 5000".to_string(),
            "2 transfers just below 10000 within 86400 s".to_string(),
            format!("received 100000 at {t}, sent 9500 within 86400 s"),
        ]
    );
}
