//! `tessera bench yield`: the cost of daily accrual at 1,000 and at N holders (flat: an index,
//! not a loop over holders) and of a monthly payout to N holders, each a durable block.

use crate::bench::setup_refused;
use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;
use tessera_core::crypto::{self, Keypair};
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::tx::{CheckedTx, SignedTx, TxBody};
use tessera_core::*;
use tessera_node::Ledger;

const NETWORK: &str = "bench-yield";
/// Daily cut-offs timed (one block each) before the month's payout; the median is reported.
/// The first blocks after the setup share the disk and the cores with SQLite's checkpoint of
/// the setup's write-ahead log, so a handful of days would measure the checkpoint.
const ACCRUAL_DAYS: u64 = 29;

#[derive(Serialize)]
pub struct YieldReport {
    pub holders: usize,
    /// One day's accrual (a block whose only work is the cut-off), at 1,000 holders.
    pub accrual_us_1k: f64,
    /// The same at `holders` holders.
    pub accrual_us: f64,
    /// The monthly payout block to `holders` holders, built and made durable.
    pub payout_ms: f64,
    pub paid_holders: u64,
    /// One valuation of a 10,000-position portfolio (bills priced by oracle feeds and by
    /// the discount formula, notes with accrued interest, repo), median of five.
    pub nav_ms: Option<f64>,
    pub nav_positions: usize,
}

/// The time of one fund valuation over `n` positions.
fn nav_ms(n: usize) -> Result<f64, Refusal> {
    use tessera_core::exec::Chain;
    use tessera_core::fund::{CashMovement, FundParams, FundSpec, Instrument};
    use tessera_core::oracle::{FeedKind, FeedSpec};
    let op = Keypair::insecure_from_name("bench-nav-operator");
    let start = Time::parse("2026-01-05T09:00:00Z").unwrap_or_default();
    let g = tessera_core::block::demo_genesis(NETWORK, start, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    let (mut chain, _) = Chain::genesis(&g)?;
    let mut seq = 0u64;
    let mut run = |chain: &mut Chain, ops: Vec<Op>| -> Result<(), Refusal> {
        seq += 1;
        let tx =
            TxBody { network: NETWORK.into(), signer: op.wallet(), seq, expires_at: Time(u64::MAX / 2), ops }.sign(&op);
        let (b, _) = chain.build_block(start, vec![CheckedTx::from_decoded(tx)?]);
        match b.body.receipts.iter().find(|r| !r.is_ok()) {
            Some(r) => Err(Refusal::new(Code::InputInvalid, format!("bench setup failed: {}", r.outcome))),
            None => Ok(()),
        }
    };
    let cash_wallet = Keypair::insecure_from_name("bench-nav-cash").wallet();
    let cusips = ["912796Y60", "912797NQ6", "912797NR4", "912797PA9", "912797PB7"];
    let mut ops = vec![
        Op::RegisterParty(op::RegisterParty {
            party: PartyId::new("mgr"),
            name: "Manager".into(),
            kind: PartyKind::Institution,
        }),
        Op::AddWallet(op::AddWallet { party: PartyId::new("mgr"), wallet: cash_wallet }),
        Op::RegisterOracleSource(op::RegisterOracleSource { wallet: op.wallet(), name: "vendor".into() }),
        Op::CreateAsset(AssetSpec {
            symbol: Symbol::new("USDX"),
            name: "USDX".into(),
            kind: AssetKind::CashToken { cash: CashKind::Stablecoin, currency: "USD".into() },
            decimals: 6,
            issuer: PartyId::new("mgr"),
            supply_cap: None,
            policy: Default::default(),
        }),
        Op::CreateFund(FundSpec {
            fund: Symbol::new("NAVF"),
            name: "NAV bench fund".into(),
            manager: PartyId::new("mgr"),
            cash_asset: Symbol::new("USDX"),
            cash_wallet,
            fee_wallet: cash_wallet,
            params: FundParams::default(),
        }),
        Op::CustodianCash(op::CustodianCash {
            fund: Symbol::new("NAVF"),
            amount: u64::MAX as u128,
            movement: CashMovement::Deposit,
            reference: String::new(),
        }),
    ];
    for (i, c) in cusips.iter().enumerate() {
        let kind = if i % 2 == 0 { FeedKind::Price } else { FeedKind::Yield };
        let feed = format!("{}:{c}", if i % 2 == 0 { "PX" } else { "YLD" });
        ops.push(Op::CreateFeed(FeedSpec {
            feed: feed.clone(),
            kind,
            sources: vec![op.wallet()],
            quorum: 1,
            max_age_seconds: 86_400,
            max_deviation_bps: 50,
            max_move_bps: 1_000,
        }));
        let value = if i % 2 == 0 { 9_950_000_000 } else { 4_400_000 };
        ops.push(Op::OracleReport(op::OracleReport { feed, value, observed_at: start }));
    }
    run(&mut chain, ops)?;
    let positions: Vec<Op> = (0..n)
        .map(|i| {
            let maturity = start.plus(86_400 * (2 + (i as u64 % 300)));
            let instrument = match i % 4 {
                0 | 1 => Instrument::Bill { cusip: cusips[i % cusips.len()].into(), maturity },
                2 => Instrument::Note { cusip: "91282CKZ3".into(), coupon_micros: 42_500, maturity },
                _ => Instrument::Repo { counterparty: format!("dealer-{}", i % 17), rate_micros: 44_000, maturity },
            };
            Op::BuyPosition(op::BuyPosition {
                fund: Symbol::new("NAVF"),
                instrument,
                face: 1_000_000_000,
                cost: 990_000_000,
            })
        })
        .collect();
    for chunk in positions.chunks(64) {
        run(&mut chain, chunk.to_vec())?;
    }
    let st = &chain.state;
    let f = tessera_core::fund::fund(st, &Symbol::new("NAVF"))?;
    let at = start.plus(3_600);
    let mut times: Vec<f64> = (0..ACCRUAL_DAYS)
        .map(|_| {
            let t = Instant::now();
            let v = tessera_core::fund::valuation(st, &f, at, at);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            v.map(|_| ms)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[times.len() / 2])
}

/// A ledger of holders of TLF, a stable fund share paying daily yield, as the yield and console
/// benchmarks build it.
pub(crate) struct Holders {
    pub ledger: Ledger,
    /// The operator (it holds every role): `<network>-operator`'s demo key.
    pub operator: Keypair,
    /// The holders' key seeds and wallets, in order.
    pub seeds: Vec<[u8; 32]>,
    pub wallets: Vec<WalletId>,
    pub start: Time,
}

/// `n` holders of 1,000 TLF each (one party per 4,000 wallets), made durable in blocks of 4,000
/// setup transactions at `start`; `extra` (signed by the operator) runs once TLF exists.
pub(crate) fn holders(
    dir: &std::path::Path,
    network: &str,
    n: usize,
    start: Time,
    extra: Vec<Op>,
) -> Result<Holders, Refusal> {
    let op = Keypair::insecure_from_name(&format!("{network}-operator"));
    let g = tessera_core::block::demo_genesis(network, start, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    let mut ledger = Ledger::create(dir, &g)?;
    ledger.snapshot_every_blocks = 0;
    let mut seq = 0u64;
    let mut sign = |ops: Vec<Op>| -> SignedTx {
        seq += 1;
        TxBody { network: network.into(), signer: op.wallet(), seq, expires_at: Time(u64::MAX / 2), ops }.sign(&op)
    };
    let seeds: Vec<[u8; 32]> =
        (0..n).into_par_iter().map(|i| crypto::sha256(format!("{network}-{i}").as_bytes()).0).collect();
    let wallets: Vec<WalletId> = seeds.par_iter().map(|s| Keypair::from_seed(*s).wallet()).collect();
    // One party per 4,000 wallets (a party holds at most 4,096).
    let parties: Vec<Op> = (0..n.div_ceil(4_000))
        .map(|p| {
            Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(format!("holders-{p}")),
                name: "Holders".into(),
                kind: PartyKind::Fund,
            })
        })
        .collect();
    let mut txs: Vec<SignedTx> = parties.chunks(64).map(|c| sign(c.to_vec())).collect();
    txs.push(sign(vec![
        Op::CreateAsset(AssetSpec {
            symbol: Symbol::new("TLF"),
            name: "Treasury Liquidity Fund".into(),
            kind: AssetKind::FundShare { nav: NavKind::Stable },
            decimals: 6,
            issuer: PartyId::new("operator"),
            supply_cap: None,
            policy: Default::default(),
        }),
        Op::CreateYieldClass(op::CreateYieldClass {
            asset: Symbol::new("TLF"),
            basis: 365,
            cutoff_seconds: 54_000,
            payout_day: 1,
            residual: op.wallet(),
        }),
        Op::SetYieldRate(op::SetYieldRate { asset: Symbol::new("TLF"), rate_ppb: 42_000_000 }),
    ]));
    if !extra.is_empty() {
        txs.push(sign(extra));
    }
    for (c, chunk) in wallets.chunks(64).enumerate() {
        let party = PartyId::new(format!("holders-{}", c * 64 / 4_000));
        txs.push(sign(
            chunk.iter().map(|w| Op::AddWallet(op::AddWallet { party: party.clone(), wallet: *w })).collect(),
        ));
    }
    for chunk in wallets.chunks(64) {
        txs.push(sign(
            chunk
                .iter()
                .map(|w| Op::Mint(op::Mint { asset: Symbol::new("TLF"), to: *w, amount: 1_000_000_000 }))
                .collect(),
        ));
    }
    for block in txs.chunks(4_000) {
        let checked: Vec<CheckedTx> =
            block.to_vec().into_par_iter().map(CheckedTx::from_decoded).collect::<Result<_, _>>()?;
        let b = ledger.submit(start, checked)?.0.ok_or_else(setup_refused)?;
        if let Some(r) = b.body.receipts.iter().find(|r| !r.is_ok()) {
            return Err(Refusal::new(Code::InputInvalid, format!("bench setup failed: {}", r.outcome)));
        }
    }
    Ok(Holders { ledger, operator: op, seeds, wallets, start })
}

/// A ledger with `n` holders of a yield-bearing fund share; returns the ledger and its clock.
fn setup(dir: &std::path::Path, n: usize) -> Result<(Ledger, Time), Refusal> {
    let start = Time::parse("2026-01-01T12:00:00Z").unwrap_or_default();
    let h = holders(dir, NETWORK, n, start, Vec::new())?;
    Ok((h.ledger, h.start))
}

/// Time of one empty, durable block at `at` (its work is the block-boundary jobs).
fn block_at(ledger: &mut Ledger, at: Time) -> Result<(f64, tessera_core::block::Block), Refusal> {
    let t = Instant::now();
    let block = ledger
        .submit(at, vec![])?
        .0
        .ok_or_else(|| Refusal::new(Code::InputInvalid, format!("no block at {at}: no block-boundary job was due")))?;
    Ok((t.elapsed().as_secs_f64(), block))
}

fn accrual_us(n: usize) -> Result<f64, Refusal> {
    let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
    let (mut ledger, start) = setup(&tmp.path().join("ledger"), n)?;
    // A month of cut-offs, one block each; the median block time.
    let mut times: Vec<f64> = (0..ACCRUAL_DAYS)
        .map(|d| block_at(&mut ledger, start.plus(3 * 3600 + 86_400 * d)).map(|(s, _)| s * 1e6))
        .collect::<Result<_, _>>()?;
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[times.len() / 2])
}

pub fn run(holders: usize, json: bool) -> Result<YieldReport, Refusal> {
    let say_err = |s: &str| {
        if crate::progress::shown(json) {
            eprintln!("{s}");
        }
    };
    say_err("accrual at 1,000 holders");
    let accrual_us_1k = accrual_us(1_000)?;
    say_err(&format!("accrual and payout at {holders} holders"));
    let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
    let (mut ledger, start) = setup(&tmp.path().join("ledger"), holders)?;
    let mut times: Vec<f64> = (0..ACCRUAL_DAYS)
        .map(|d| block_at(&mut ledger, start.plus(3 * 3600 + 86_400 * d)).map(|(s, _)| s * 1e6))
        .collect::<Result<_, _>>()?;
    times.sort_by(|a, b| a.total_cmp(b));
    let accrual_us = times[times.len() / 2];
    // The payout runs in the first block on 1 February (after January's last cut-off).
    block_at(&mut ledger, Time::parse("2026-01-31T16:00:00Z").unwrap_or_default())?;
    let (payout_s, block) = block_at(&mut ledger, Time::parse("2026-02-01T01:00:00Z").unwrap_or_default())?;
    let paid_holders = block
        .body
        .system
        .events
        .iter()
        .map(|e| match e {
            tessera_core::block::Event::YieldPaid { payments, .. } => payments.len() as u64,
            _ => 0,
        })
        .sum();
    drop(ledger);
    say_err("NAV of a 10,000-position portfolio");
    let nav_positions = 10_000;
    let nav = nav_ms(nav_positions)?;
    let r = YieldReport {
        holders,
        accrual_us_1k,
        accrual_us,
        payout_ms: payout_s * 1e3,
        paid_holders,
        nav_ms: Some(nav),
        nav_positions,
    };
    if json {
        crate::say!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
    } else {
        crate::say!(
            "yield: daily accrual {:.0} µs at 1,000 holders, {:.0} µs at {} holders (a durable block each)\n  monthly payout to {} holders: {:.0} ms, durable\n  NAV of a {}-position portfolio: {:.2} ms",
            r.accrual_us_1k, r.accrual_us, holders, r.paid_holders, r.payout_ms, r.nav_positions, nav
        );
    }
    Ok(r)
}
