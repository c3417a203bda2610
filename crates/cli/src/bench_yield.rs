//! `tessera bench yield`: the cost of daily accrual at 1,000 and at N holders (flat: an index,
//! not a loop over holders) and of a monthly payout to N holders, each a durable block.

use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;
use tessera_core::crypto::{self, Keypair};
use tessera_core::op::{AssetSpec, Op};
use tessera_core::tx::{CheckedTx, SignedTx, TxBody};
use tessera_core::*;
use tessera_node::Ledger;

const NETWORK: &str = "bench-yield";

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
    /// Not measured yet: NAV arrives with the funds issue's portfolio.
    pub nav_ms: Option<f64>,
}

/// A ledger with `n` holders of a yield-bearing fund share; returns the ledger and its clock.
fn setup(dir: &std::path::Path, n: usize) -> Result<(Ledger, Time), Refusal> {
    let op = Keypair::insecure_from_name("bench-yield-operator");
    let start = Time::parse("2026-01-01T12:00:00Z").unwrap_or_default();
    let g = tessera_core::block::demo_genesis(NETWORK, start, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    let mut ledger = Ledger::create(dir, &g)?;
    ledger.snapshot_every_blocks = 0;
    let mut seq = 0u64;
    let mut sign = |ops: Vec<Op>| -> SignedTx {
        seq += 1;
        TxBody { network: NETWORK.into(), signer: op.wallet(), seq, expires_at: Time(u64::MAX / 2), ops }.sign(&op)
    };
    let wallets: Vec<WalletId> = (0..n)
        .into_par_iter()
        .map(|i| Keypair::from_seed(crypto::sha256(format!("yield-{i}").as_bytes()).0).wallet())
        .collect();
    // One party per 4,000 wallets (a party holds at most 4,096).
    let parties: Vec<Op> = (0..n.div_ceil(4_000))
        .map(|p| Op::RegisterParty {
            party: PartyId::new(format!("holders-{p}")),
            name: "Holders".into(),
            kind: PartyKind::Fund,
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
        Op::CreateYieldClass {
            asset: Symbol::new("TLF"),
            basis: 365,
            cutoff_seconds: 54_000,
            payout_day: 1,
            residual: op.wallet(),
        },
        Op::SetYieldRate { asset: Symbol::new("TLF"), rate_ppb: 42_000_000 },
    ]));
    for (c, chunk) in wallets.chunks(64).enumerate() {
        let party = PartyId::new(format!("holders-{}", c * 64 / 4_000));
        txs.push(sign(chunk.iter().map(|w| Op::AddWallet { party: party.clone(), wallet: *w }).collect()));
    }
    for chunk in wallets.chunks(64) {
        txs.push(sign(
            chunk.iter().map(|w| Op::Mint { asset: Symbol::new("TLF"), to: *w, amount: 1_000_000_000 }).collect(),
        ));
    }
    for block in txs.chunks(4_000) {
        let checked: Vec<CheckedTx> =
            block.to_vec().into_par_iter().map(CheckedTx::from_decoded).collect::<Result<_, _>>()?;
        let (b, _) = ledger.submit(start, checked)?;
        if let Some(r) = b.body.receipts.iter().find(|r| !r.is_ok()) {
            return Err(Refusal::new(Code::InputInvalid, format!("bench setup failed: {:?}", r.outcome)));
        }
    }
    Ok((ledger, start))
}

/// Time of one empty, durable block at `at` (its work is the block-boundary jobs).
fn block_at(ledger: &mut Ledger, at: Time) -> Result<(f64, tessera_core::block::Block), Refusal> {
    let t = Instant::now();
    let (block, _) = ledger.submit(at, vec![])?;
    Ok((t.elapsed().as_secs_f64(), block))
}

fn accrual_us(n: usize) -> Result<f64, Refusal> {
    let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
    let (mut ledger, start) = setup(&tmp.path().join("ledger"), n)?;
    // Five cut-offs, one block each; the median block time.
    let mut times: Vec<f64> = (0..5)
        .map(|d| block_at(&mut ledger, start.plus(3 * 3600 + 86_400 * d)).map(|(s, _)| s * 1e6))
        .collect::<Result<_, _>>()?;
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[2])
}

pub fn run(holders: usize, json: bool) -> Result<YieldReport, Refusal> {
    let say_err = |s: &str| {
        if !json {
            eprintln!("{s}");
        }
    };
    say_err("accrual at 1,000 holders");
    let accrual_us_1k = accrual_us(1_000)?;
    say_err(&format!("accrual and payout at {holders} holders"));
    let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
    let (mut ledger, start) = setup(&tmp.path().join("ledger"), holders)?;
    let mut times: Vec<f64> = (0..5)
        .map(|d| block_at(&mut ledger, start.plus(3 * 3600 + 86_400 * d)).map(|(s, _)| s * 1e6))
        .collect::<Result<_, _>>()?;
    times.sort_by(|a, b| a.total_cmp(b));
    let accrual_us = times[2];
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
    let r = YieldReport { holders, accrual_us_1k, accrual_us, payout_ms: payout_s * 1e3, paid_holders, nav_ms: None };
    if json {
        crate::say!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
    } else {
        crate::say!(
            "yield: daily accrual {:.0} µs at 1,000 holders, {:.0} µs at {} holders (a durable block each)\n  monthly payout to {} holders: {:.0} ms, durable\n  nav_ms: not measured yet (NAV arrives with the funds issue)",
            r.accrual_us_1k, r.accrual_us, holders, r.paid_holders, r.payout_ms
        );
    }
    Ok(r)
}
