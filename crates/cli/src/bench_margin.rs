//! `tessera bench margin` (issue 13, "Speed"): a clearing house with N members, each pledging
//! ten kinds of collateral (nine Treasuries priced by oracle feeds, and cash). Every block goes
//! through `Ledger::submit`, durable (fsynced) before the clock stops, as in the other benches.
//!
//! Phases, each timed on its own:
//! - **revalue**: one oracle report moves the price of one bill every member pledges (every
//!   account is revalued in that block), and the next block raises a call on each member the
//!   move left short — all of them;
//! - **calls**: all but D members meet their call by pledging cash (signed transactions in
//!   blocks of 4,096, signatures checked inside the clock); at the deadline the D others
//!   default in one block, each liquidated to the standing bid and run down the waterfall;
//! - **liquidation**: one member at a time is called (a requirement rise) and left to default:
//!   the deadline block holding that one default, from the start of the block to its durable
//!   system receipt (median of five); and one more whose loss reaches the survivors' default
//!   fund.
//!
//! Beside the figures, the machine's own limits measured in the same run: Ed25519 verification
//! (as `bench transfers`), SHA-256 (every state write hashes its leaf for the state digest), and
//! fsync latency where the ledger lives.

use crate::bench::setup_refused;
use crate::progress::{shown, Progress};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;
use tessera_core::block::{Block, Event};
use tessera_core::collateral::{CollateralEvent, Limits, Schedule};
use tessera_core::crypto::{self, Keypair};
use tessera_core::op::{self, AssetSpec, Op};
use tessera_core::oracle::{FeedKind, FeedSpec};
use tessera_core::tx::{CheckedTx, SignedTx, TxBody};
use tessera_core::*;
use tessera_node::Ledger;

const NETWORK: &str = "bench-margin";
/// Single defaults timed for `liquidation_ms` (the median is reported).
const LIQUIDATIONS: usize = 5;
/// Face value each member pledges of each Treasury, and the cash it pledges, in whole dollars.
const FACE: u128 = 1_000_000;
const CASH_PLEDGED: u128 = 100_000;
const DEFAULT_FUND: u128 = 50_000;
/// What a member posts to meet its call (the price move leaves each short by about $20,000).
const CALL_POST: u128 = 25_000;
/// Excess of coverage over the requirement before the move, in whole dollars.
const EXCESS: u128 = 10_000;
const USD: u128 = 1_000_000;

#[derive(Serialize)]
pub struct MarginReport {
    pub members: usize,
    pub pledges_per_member: usize,
    pub cores: usize,
    /// The price block (every account revalued) plus the next block (every call raised), both
    /// durable.
    pub revalue_ms: f64,
    pub revalue_block_ms: f64,
    pub call_block_ms: f64,
    pub calls_raised: usize,
    /// Calls resolved (met + defaulted) per second of the blocks that resolved them.
    pub calls_per_s: f64,
    pub met: usize,
    pub met_per_s: f64,
    pub defaulted: usize,
    /// The deadline block holding every default of the mass call.
    pub deadline_block_ms: f64,
    pub defaults_per_s: f64,
    /// A deadline block holding one default (ten pledges sold by DvP, the waterfall), from its
    /// start to its durable system receipt: median and maximum of five.
    pub liquidation_ms: f64,
    pub liquidation_ms_max: f64,
    /// A default whose loss exceeds its margin, its default-fund contribution and the clearing
    /// house's capital: the survivors' default fund pays, every member's account is written.
    pub liquidation_survivors_ms: f64,
    pub verify_single_per_s_per_core: f64,
    pub verify_batch_per_s_per_core: f64,
    pub sha256_mb_per_s: f64,
    pub fsync_ms_p50: f64,
    pub setup_seconds: f64,
}

/// Signs transactions, keeping each signer's sequence.
struct Signer {
    seq: HashMap<WalletId, u64>,
}

impl Signer {
    fn sign(&mut self, k: &Keypair, ops: Vec<Op>) -> SignedTx {
        let seq = self.seq.entry(k.wallet()).or_insert(1);
        let tx = TxBody { network: NETWORK.into(), signer: k.wallet(), seq: *seq, expires_at: Time(u64::MAX / 2), ops }
            .sign(k);
        *seq += 1;
        tx
    }
}

fn member_key(i: usize) -> Keypair {
    Keypair::from_seed(crypto::sha256(format!("bench-margin-member-{i}").as_bytes()).0)
}

fn member(i: usize) -> PartyId {
    PartyId::new(format!("m{i}"))
}

/// One of the nine Treasuries pledged.
struct Security {
    symbol: Symbol,
    cusip: String,
    bill: bool,
    maturity: Time,
    coupon_micros: u32,
    /// Clean price per 100 of face, × 10^8.
    price: i64,
}

fn securities(start: Time) -> Vec<Security> {
    // Bills of 2, 5 and 10 months; notes of 2 to 20 years.
    let days = [60u64, 150, 300, 2 * 365, 3 * 365, 5 * 365, 7 * 365, 10 * 365, 20 * 365];
    days.iter()
        .enumerate()
        .map(|(k, d)| {
            let first8 = format!("9128BM{k:02}");
            let check = tessera_core::identifiers::cusip_check_digit(&first8).unwrap_or(0);
            let bill = k < 3;
            Security {
                symbol: Symbol::new(format!("UST{k}")),
                cusip: format!("{first8}{check}"),
                bill,
                maturity: start.plus(86_400 * d),
                coupon_micros: if bill { 0 } else { 40_000 },
                price: if bill { 9_800_000_000 } else { 9_950_000_000 },
            }
        })
        .collect()
}

fn cash() -> Symbol {
    Symbol::new("USDX")
}

fn submit(ledger: &mut Ledger, at: Time, txs: Vec<SignedTx>) -> Result<Block, Refusal> {
    let checked: Vec<CheckedTx> = txs.into_par_iter().map(CheckedTx::from_decoded).collect::<Result<_, _>>()?;
    let block = ledger.submit(at, checked)?.0.ok_or_else(setup_refused)?;
    if let Some(r) = block.body.receipts.iter().find(|r| !r.is_ok()) {
        return Err(Refusal::new(Code::InputInvalid, format!("bench margin: a transaction failed: {}", r.outcome)));
    }
    Ok(block)
}

/// An empty block at `at` (its work is the block-boundary jobs), durable; its seconds.
fn tick(ledger: &mut Ledger, at: Time) -> Result<(f64, Block), Refusal> {
    let t = Instant::now();
    let block = ledger
        .submit(at, vec![])?
        .0
        .ok_or_else(|| Refusal::new(Code::InputInvalid, format!("no block at {at}: no block-boundary job was due")))?;
    Ok((t.elapsed().as_secs_f64(), block))
}

fn collateral_events(b: &Block) -> impl Iterator<Item = &CollateralEvent> {
    b.body.system.events.iter().filter_map(|e| match e {
        Event::Collateral(c) => Some(c),
        _ => None,
    })
}

struct Setup {
    ledger: Ledger,
    signer: Signer,
    op: Keypair,
    ccp: Keypair,
    members: Vec<Keypair>,
    securities: Vec<Security>,
    start: Time,
}

fn setup(dir: &std::path::Path, n: usize, show: bool) -> Result<Setup, Refusal> {
    let op = Keypair::insecure_from_name("bench-margin-operator");
    let ccp = Keypair::insecure_from_name("bench-margin-ccp");
    let buyer = Keypair::insecure_from_name("bench-margin-buyer");
    let start = Time::parse("2026-03-02T09:00:00Z").unwrap_or_default();
    let mut g = tessera_core::block::demo_genesis(NETWORK, start, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    g.trusted_issuers = vec![(op.wallet(), ClaimTopic::ALL.to_vec())];
    let mut ledger = Ledger::create(dir, &g)?;
    ledger.snapshot_every_blocks = 0;
    let mut signer = Signer { seq: HashMap::new() };
    let secs = securities(start);
    let kyc = || tessera_core::compliance::Policy { rules: vec![tessera_core::compliance::Rule::Kyc] };
    let party = |id: &str, kind: PartyKind| {
        Op::RegisterParty(op::RegisterParty { party: PartyId::new(id), name: id.into(), kind })
    };
    let mut ops = vec![
        party("ccp", PartyKind::ClearingHouse),
        Op::AddWallet(op::AddWallet { party: PartyId::new("ccp"), wallet: ccp.wallet() }),
        Op::IssueClaim(op::IssueClaim { party: PartyId::new("ccp"), claim: Claim::Kyc, expires_at: None }),
        party("buyer", PartyKind::Institution),
        Op::AddWallet(op::AddWallet { party: PartyId::new("buyer"), wallet: buyer.wallet() }),
        Op::IssueClaim(op::IssueClaim { party: PartyId::new("buyer"), claim: Claim::Kyc, expires_at: None }),
        Op::RegisterOracleSource(op::RegisterOracleSource { wallet: op.wallet(), name: "vendor".into() }),
        Op::CreateAsset(AssetSpec {
            symbol: cash(),
            name: "USDX stablecoin".into(),
            kind: AssetKind::CashToken { cash: CashKind::Stablecoin, currency: "USD".into() },
            decimals: 6,
            issuer: PartyId::new("operator"),
            supply_cap: None,
            policy: kyc(),
        }),
        Op::Mint(op::Mint { asset: cash(), to: buyer.wallet(), amount: 1_000_000_000_000 * USD }),
    ];
    for s in &secs {
        ops.push(Op::CreateAsset(AssetSpec {
            symbol: s.symbol.clone(),
            name: format!("UST {}", s.cusip),
            kind: AssetKind::TreasurySecurity {
                security: if s.bill { SecurityType::Bill } else { SecurityType::Note },
                cusip: s.cusip.clone(),
                maturity: s.maturity,
                coupon_micros: s.coupon_micros,
            },
            decimals: 6,
            issuer: PartyId::new("operator"),
            supply_cap: None,
            policy: kyc(),
        }));
        let feed = format!("PX:{}", s.cusip);
        ops.push(Op::CreateFeed(FeedSpec {
            feed: feed.clone(),
            kind: FeedKind::Price,
            sources: vec![op.wallet()],
            quorum: 1,
            max_age_seconds: 10 * 86_400,
            max_deviation_bps: 50,
            max_move_bps: 1_000,
        }));
        ops.push(Op::OracleReport(op::OracleReport { feed, value: s.price, observed_at: start }));
    }
    let schedule = Schedule {
        cash_asset: cash(),
        wallet: ccp.wallet(),
        eligible: tessera_core::collateral::shipped::eligibility("CME").unwrap_or_default(),
        haircuts: tessera_core::collateral::shipped::haircut_bands("CME").unwrap_or_default(),
        fund_share_haircut_bps: 300,
        limits: Limits::default(),
        call_deadline_seconds: 3_600,
        daily_call_second: 8 * 3_600,
        intraday_threshold_bps: 100,
        liquidation_buyer: Some(buyer.wallet()),
        liquidation_discount_bps: 50,
        skin_in_the_game: 1_000_000 * USD,
        excess_return_second: None,
        intraday_window: None,
        custodian: None,
    };
    ops.push(Op::SetCollateralSchedule(op::SetCollateralSchedule {
        ccp: PartyId::new("ccp"),
        effective_from: start,
        schedule,
    }));
    let mut txs = vec![signer.sign(&op, ops)];
    submit(&mut ledger, start, std::mem::take(&mut txs))?;

    let members: Vec<Keypair> = (0..n).into_par_iter().map(member_key).collect();
    let say = |s: &str| {
        if show {
            eprintln!("{s}");
        }
    };
    say(&format!("setup: {n} clearing members, each with a wallet, KYC, cash and nine Treasuries"));
    let mut blocks: Vec<Vec<SignedTx>> = Vec::new();
    for (c, chunk) in members.chunks(12).enumerate() {
        let mut ops = Vec::new();
        for (j, k) in chunk.iter().enumerate() {
            let p = member(c * 12 + j);
            ops.push(Op::RegisterParty(op::RegisterParty {
                party: p.clone(),
                name: "Clearing member".into(),
                kind: PartyKind::Institution,
            }));
            ops.push(Op::AddWallet(op::AddWallet { party: p.clone(), wallet: k.wallet() }));
            ops.push(Op::IssueClaim(op::IssueClaim { party: p, claim: Claim::Kyc, expires_at: None }));
        }
        txs.push(signer.sign(&op, ops));
    }
    blocks.push(std::mem::take(&mut txs));
    let mints: Vec<Op> = members
        .iter()
        .flat_map(|k| {
            let w = k.wallet();
            std::iter::once(Op::Mint(op::Mint { asset: cash(), to: w, amount: 10_000_000 * USD })).chain(
                secs.iter().map(move |s| Op::Mint(op::Mint { asset: s.symbol.clone(), to: w, amount: FACE * USD })),
            )
        })
        .collect();
    for chunk in mints.chunks(64) {
        txs.push(signer.sign(&op, chunk.to_vec()));
    }
    blocks.push(std::mem::take(&mut txs));
    let admits: Vec<Op> = (0..n).map(|i| Op::AdmitMember(op::AdmitMember { member: member(i) })).collect();
    for chunk in admits.chunks(64) {
        txs.push(signer.sign(&ccp, chunk.to_vec()));
    }
    blocks.push(std::mem::take(&mut txs));
    let total: usize = blocks.iter().map(Vec::len).sum();
    let bar = Progress::bar(show, total as u64, "transactions", "onboarding");
    for txs in blocks {
        for block in txs.chunks(2_000) {
            submit(&mut ledger, start, block.to_vec())?;
            bar.inc(block.len() as u64);
        }
    }
    bar.finish();

    say(&format!("setup: {n} members pledge ten kinds of collateral each and pay into the default fund"));
    let bar = Progress::bar(show, n as u64, "members", "pledging");
    let pledges: Vec<SignedTx> = members
        .iter()
        .map(|k| {
            let mut ops: Vec<Op> = secs
                .iter()
                .map(|s| {
                    Op::PledgeCollateral(op::PledgeCollateral {
                        ccp: PartyId::new("ccp"),
                        asset: s.symbol.clone(),
                        amount: FACE * USD,
                    })
                })
                .collect();
            ops.push(Op::PledgeCollateral(op::PledgeCollateral {
                ccp: PartyId::new("ccp"),
                asset: cash(),
                amount: CASH_PLEDGED * USD,
            }));
            ops.push(Op::ContributeDefaultFund(op::ContributeDefaultFund {
                ccp: PartyId::new("ccp"),
                amount: DEFAULT_FUND * USD,
            }));
            signer.sign(k, ops)
        })
        .collect();
    for block in pledges.chunks(2_000) {
        submit(&mut ledger, start, block.to_vec())?;
        bar.inc(block.len() as u64);
    }
    bar.finish();

    // Every member's coverage is the same: the requirement leaves each a small excess.
    let st = &ledger.chain.state;
    let first = tessera_core::collateral::margin_account(st, &PartyId::new("ccp"), &member(0))?;
    let requirement = tessera_core::collateral::standing(st, first.id).coverage.counted.saturating_sub(EXCESS * USD);
    let reqs: Vec<Op> = (0..n)
        .map(|i| {
            Op::SetMarginRequirement(op::SetMarginRequirement {
                ccp: PartyId::new("ccp"),
                member: member(i),
                initial_margin: requirement,
                variation_margin: 0,
            })
        })
        .collect();
    let txs: Vec<SignedTx> = reqs.chunks(64).map(|c| signer.sign(&ccp, c.to_vec())).collect();
    for block in txs.chunks(2_000) {
        submit(&mut ledger, start, block.to_vec())?;
    }
    // The block after the requirements empties the watch list (nobody is short: no call), so
    // that the timed blocks do only their own work.
    tick(&mut ledger, start.plus(60))?;
    Ok(Setup { ledger, signer, op, ccp, members, securities: secs, start })
}

/// SHA-256 throughput on 1 KiB messages (a state record's size), MB/s on one core.
fn measure_sha256() -> f64 {
    let msg = [0x5au8; 1024];
    let t = Instant::now();
    let mut n = 0u64;
    let mut acc = 0u8;
    while t.elapsed().as_secs_f64() < 0.3 {
        for _ in 0..256 {
            acc ^= crypto::sha256(&msg).0[0];
            n += 1;
        }
    }
    std::hint::black_box(acc);
    (n * 1024) as f64 / t.elapsed().as_secs_f64() / 1e6
}

pub fn run(n: usize, defaults: Option<usize>, json: bool) -> Result<MarginReport, Refusal> {
    let show = shown(json);
    let n = n.max(LIQUIDATIONS + 2);
    let d = defaults.unwrap_or(n / 100).clamp(1, n - LIQUIDATIONS - 1);
    let say = |s: &str| {
        if show {
            eprintln!("{s}");
        }
    };
    let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
    let t0 = Instant::now();
    let mut s = setup(&tmp.path().join("ledger"), n, show)?;
    let setup_seconds = t0.elapsed().as_secs_f64();

    say("measuring ed25519, SHA-256 and fsync on this machine");
    let (verify_single, verify_batch) = crate::bench::measure_ed25519();
    let sha256_mb_per_s = measure_sha256();
    let (fsync_ms_p50, _) = crate::bench_http::measure_fsync(tmp.path());

    // Revalue: the 2-month bill falls 98.00 → 95.00; every member is short by about $20,000.
    say(&format!("revalue: one price move on collateral all {n} members pledge"));
    let at = s.start.plus(3_600);
    let bill = &s.securities[0];
    let report = s.signer.sign(
        &s.op,
        vec![Op::OracleReport(op::OracleReport {
            feed: format!("PX:{}", bill.cusip),
            value: 9_500_000_000,
            observed_at: at,
        })],
    );
    let t = Instant::now();
    submit(&mut s.ledger, at, vec![report])?;
    let revalue_block_s = t.elapsed().as_secs_f64();
    let (call_block_s, block) = tick(&mut s.ledger, at)?;
    let calls: Vec<(u64, u64)> = collateral_events(&block)
        .filter_map(|e| match e {
            CollateralEvent::CallRaised { call, account, .. } => Some((*call, *account)),
            _ => None,
        })
        .collect();

    // Calls met: every member but the last `d + LIQUIDATIONS` posts cash; the last `d` default.
    let meeting = n - d - LIQUIDATIONS;
    say(&format!("calls: {meeting} met with cash, {} left to the deadline", n - meeting));
    // Each member posts the call's cash as one signed pledge.
    let mut post_cash = |members: &[Keypair]| -> Vec<SignedTx> {
        members
            .iter()
            .map(|k| {
                s.signer.sign(
                    k,
                    vec![Op::PledgeCollateral(op::PledgeCollateral {
                        ccp: PartyId::new("ccp"),
                        asset: cash(),
                        amount: CALL_POST * USD,
                    })],
                )
            })
            .collect()
    };
    let posts = post_cash(&s.members[..meeting]);
    // The members kept for the single defaults also post, in a block of their own (not timed).
    let kept = post_cash(&s.members[meeting..meeting + LIQUIDATIONS]);
    let bar = Progress::bar(show, meeting as u64, "calls", "meeting");
    let t = Instant::now();
    let mut met = 0usize;
    for block in posts.chunks(4_096) {
        let b = submit(&mut s.ledger, at.plus(60), block.to_vec())?;
        met += b
            .body
            .receipts
            .iter()
            .filter_map(|r| match &r.outcome {
                tessera_core::block::Outcome::Ok { events } => Some(events),
                _ => None,
            })
            .flatten()
            .filter(|e| matches!(e, Event::Collateral(CollateralEvent::CallMet { .. })))
            .count();
        bar.inc(block.len() as u64);
    }
    let met_s = t.elapsed().as_secs_f64();
    bar.finish();
    submit(&mut s.ledger, at.plus(60), kept)?;

    say(&format!("calls: the deadline, {d} defaults in one block"));
    let (deadline_s, block) = tick(&mut s.ledger, at.plus(3_600))?;
    let defaulted = collateral_events(&block).filter(|e| matches!(e, CollateralEvent::CallDefaulted { .. })).count();

    // Single defaults: one member's requirement rises $150,000 above its coverage (1.6%) (its margin
    // still covers the loss, the usual case); at the deadline it defaults alone. The last one's
    // rises to $20M: the loss runs through the survivors' default fund, touching every account.
    say(&format!("liquidation: {} single defaults, one deadline block each", LIQUIDATIONS + 1));
    let mut liquidations = Vec::with_capacity(LIQUIDATIONS);
    let mut liquidation_survivors_ms = 0.0;
    for k in 0..=LIQUIDATIONS {
        let i = if k < LIQUIDATIONS { meeting + k } else { 0 };
        let when = at.plus(3_600 + 60 + 3_700 * k as u64);
        let acc = tessera_core::collateral::margin_account(&s.ledger.chain.state, &PartyId::new("ccp"), &member(i))?;
        let counted = tessera_core::collateral::standing(&s.ledger.chain.state, acc.id).coverage.counted;
        let requirement = if k < LIQUIDATIONS { counted + 150_000 * USD } else { 20_000_000 * USD };
        let raise = s.signer.sign(
            &s.ccp,
            vec![Op::SetMarginRequirement(op::SetMarginRequirement {
                ccp: PartyId::new("ccp"),
                member: member(i),
                initial_margin: requirement,
                variation_margin: 0,
            })],
        );
        submit(&mut s.ledger, when, vec![raise])?;
        tick(&mut s.ledger, when)?;
        let (secs, block) = tick(&mut s.ledger, when.plus(3_600))?;
        let n_defaults =
            collateral_events(&block).filter(|e| matches!(e, CollateralEvent::CallDefaulted { .. })).count();
        if n_defaults != 1 {
            return Err(Refusal::new(
                Code::InputInvalid,
                format!("bench margin: the deadline block held {n_defaults} defaults, not one"),
            ));
        }
        if k < LIQUIDATIONS {
            liquidations.push(secs * 1e3);
        } else {
            liquidation_survivors_ms = secs * 1e3;
        }
    }
    liquidations.sort_by(|a, b| a.total_cmp(b));

    let cores = std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1);
    let r = MarginReport {
        members: n,
        pledges_per_member: s.securities.len() + 1,
        cores,
        revalue_ms: (revalue_block_s + call_block_s) * 1e3,
        revalue_block_ms: revalue_block_s * 1e3,
        call_block_ms: call_block_s * 1e3,
        calls_raised: calls.len(),
        calls_per_s: (met + defaulted) as f64 / (met_s + deadline_s),
        met,
        met_per_s: met as f64 / met_s,
        defaulted,
        deadline_block_ms: deadline_s * 1e3,
        defaults_per_s: defaulted as f64 / deadline_s,
        liquidation_ms: liquidations[liquidations.len() / 2],
        liquidation_ms_max: liquidations[liquidations.len() - 1],
        liquidation_survivors_ms,
        verify_single_per_s_per_core: verify_single,
        verify_batch_per_s_per_core: verify_batch,
        sha256_mb_per_s,
        fsync_ms_p50,
        setup_seconds,
    };
    if json {
        crate::say!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
    } else {
        crate::say!(
            "margin: {} members × {} pledges on {} cores\n  revalue               {:>10.1} ms  (price block {:.1} ms: every account revalued; next block {:.1} ms: {} calls raised; target < 50 ms)\n  calls                 {:>10.0} per s  ({} met, {:.0}/s; {} defaulted in one deadline block of {:.1} ms, {:.0}/s)\n  liquidation           {:>10.2} ms  (one default's deadline block to its durable receipt, median of {}; max {:.2} ms; target < 10 ms)\n  a default paid by the survivors' default fund {:.1} ms\n  ed25519 on this CPU   {:.0} single / {:.0} batched verifications per s per core\n  SHA-256 on this CPU   {:.0} MB/s (1 KiB messages, one core)\n  fsync on this disk    {:.2} ms p50 (4 KiB append + fdatasync)",
            r.members, r.pledges_per_member, r.cores,
            r.revalue_ms, r.revalue_block_ms, r.call_block_ms, r.calls_raised,
            r.calls_per_s, r.met, r.met_per_s, r.defaulted, r.deadline_block_ms, r.defaults_per_s,
            r.liquidation_ms, LIQUIDATIONS, r.liquidation_ms_max, r.liquidation_survivors_ms,
            r.verify_single_per_s_per_core, r.verify_batch_per_s_per_core, r.sha256_mb_per_s, r.fsync_ms_p50
        );
    }
    Ok(r)
}
