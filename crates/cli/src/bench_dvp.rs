//! `tessera bench dvp`: two-leg delivery-versus-payment instructions (a fund share against a
//! stablecoin), each created by the seller and affirmed by both parties, through the real path
//! (batched signature checks, sequencer, fsynced group commits). Also measures the latency
//! from the last affirmation's submission to its durable settled receipt at an offered rate,
//! and plain transfers in the same run for comparison.

use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tessera_core::block::{Event, Outcome};
use tessera_core::compliance::{Policy, Rule};
use tessera_core::crypto::{self, Keypair};
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::settlement::{Leg, SettleMode};
use tessera_core::tx::{CheckedTx, SignedTx, TxBody};
use tessera_core::*;
use tessera_node::engine::{Answer, Config, Engine};
use tessera_node::Ledger;

const NETWORK: &str = "bench-dvp";

#[derive(Serialize, Default)]
pub struct DvpReport {
    pub pairs: usize,
    pub dvps: usize,
    pub cores: usize,
    /// DvPs per second over the whole life of each: create + two affirmations, all durable.
    pub dvp_per_s: f64,
    /// Settlements per second in the last-affirmation phase alone.
    pub settle_per_s: f64,
    pub create_s: f64,
    pub first_affirm_s: f64,
    pub last_affirm_s: f64,
    pub offered_dvp_per_s: f64,
    pub latency_ms_p50: f64,
    pub latency_ms_p99: f64,
    pub latency_samples: usize,
    pub transfer_tx_per_s: f64,
    pub failed: usize,
}

struct Actors {
    op: Keypair,
    sellers: Vec<Keypair>,
    buyers: Vec<Keypair>,
    seq: HashMap<WalletId, u64>,
    now: Time,
}

impl Actors {
    fn sign(&mut self, k: &Keypair, ops: Vec<Op>) -> SignedTx {
        let seq = self.seq.entry(k.wallet()).or_insert(1);
        let tx = TxBody { network: NETWORK.into(), signer: k.wallet(), seq: *seq, expires_at: Time(u64::MAX / 2), ops }
            .sign(k);
        *seq += 1;
        tx
    }
}

fn key(prefix: &str, i: usize) -> Keypair {
    Keypair::from_seed(crypto::sha256(format!("bench-dvp-{prefix}-{i}").as_bytes()).0)
}

fn setup(dir: &std::path::Path, pairs: usize) -> Result<(Ledger, Actors), Refusal> {
    let op = Keypair::insecure_from_name("bench-dvp-operator");
    let now = Time::parse("2026-03-02T15:00:00Z").unwrap_or_default();
    let mut g = tessera_core::block::demo_genesis(NETWORK, now, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    g.trusted_issuers = vec![(op.wallet(), ClaimTopic::ALL.to_vec())];
    let mut ledger = Ledger::create(dir, &g)?;
    ledger.snapshot_every_blocks = 0;
    let sellers: Vec<Keypair> = (0..pairs).into_par_iter().map(|i| key("seller", i)).collect();
    let buyers: Vec<Keypair> = (0..pairs).into_par_iter().map(|i| key("buyer", i)).collect();
    let mut a = Actors { op, sellers, buyers, seq: HashMap::new(), now };
    let policy = |r: Vec<Rule>| Policy { rules: r };
    let mut txs = vec![];
    let op_key = a.op.signing_clone();
    txs.push(a.sign(
        &op_key,
        vec![
            Op::CreateAsset(AssetSpec {
                symbol: Symbol::new("FUND"),
                name: "Treasury fund share".into(),
                kind: AssetKind::FundShare { nav: NavKind::Stable },
                decimals: 6,
                issuer: PartyId::new("operator"),
                supply_cap: None,
                policy: policy(vec![Rule::Kyc, Rule::InvestorClasses(vec![InvestorClass::Qib]), Rule::Sanctions]),
            }),
            Op::CreateAsset(AssetSpec {
                symbol: Symbol::new("USDX"),
                name: "USDX stablecoin".into(),
                kind: AssetKind::CashToken { cash: CashKind::Stablecoin, currency: "USD".into() },
                decimals: 6,
                issuer: PartyId::new("operator"),
                supply_cap: None,
                policy: policy(vec![Rule::Kyc, Rule::Sanctions]),
            }),
        ],
    ));
    let everyone: Vec<WalletId> = a.sellers.iter().chain(a.buyers.iter()).map(|k| k.wallet()).collect();
    for chunk in everyone.chunks(12) {
        let mut ops = Vec::new();
        for w in chunk {
            let party = PartyId::new(format!("p{}", w.short()));
            ops.push(Op::RegisterParty(op::RegisterParty {
                party: party.clone(),
                name: "Investor".into(),
                kind: PartyKind::Institution,
            }));
            ops.push(Op::AddWallet(op::AddWallet { party: party.clone(), wallet: *w }));
            ops.push(Op::IssueClaim(op::IssueClaim { party: party.clone(), claim: Claim::Kyc, expires_at: None }));
            ops.push(Op::IssueClaim(op::IssueClaim {
                party,
                claim: Claim::InvestorClass(InvestorClass::Qib),
                expires_at: None,
            }));
        }
        txs.push(a.sign(&op_key, ops));
    }
    let mints: Vec<Op> = a
        .sellers
        .iter()
        .map(|k| Op::Mint(op::Mint { asset: Symbol::new("FUND"), to: k.wallet(), amount: 1_000_000_000_000 }))
        .chain(
            a.buyers
                .iter()
                .map(|k| Op::Mint(op::Mint { asset: Symbol::new("USDX"), to: k.wallet(), amount: 1_000_000_000_000 })),
        )
        .collect();
    for chunk in mints.chunks(64) {
        txs.push(a.sign(&op_key, chunk.to_vec()));
    }
    for block in txs.chunks(2_000) {
        let checked: Vec<CheckedTx> =
            block.to_vec().into_par_iter().map(CheckedTx::from_decoded).collect::<Result<_, _>>()?;
        let b = ledger.submit(now, checked)?.0.ok_or_else(crate::bench::setup_refused)?;
        if let Some(r) = b.body.receipts.iter().find(|r| !r.is_ok()) {
            return Err(Refusal::new(Code::InputInvalid, format!("bench setup failed: {}", r.outcome)));
        }
    }
    Ok((ledger, a))
}

trait SigningClone {
    fn signing_clone(&self) -> Keypair;
}
impl SigningClone for Keypair {
    fn signing_clone(&self) -> Keypair {
        Keypair::from_seed(self.seed())
    }
}

/// Runs `txs` through the engine in batches; returns the answers in order and the seconds taken.
fn run_phase(engine: &Engine, txs: Vec<SignedTx>) -> (Vec<Answer>, f64) {
    let t = Instant::now();
    let mut batches = Vec::new();
    let mut it = txs.into_iter();
    loop {
        let chunk: Vec<SignedTx> = it.by_ref().take(4_096).collect();
        if chunk.is_empty() {
            break;
        }
        batches.push(engine.submit_batch(chunk));
    }
    let answers: Vec<Answer> = batches.into_iter().flat_map(|b| b.wait()).collect();
    (answers, t.elapsed().as_secs_f64())
}

fn created_ids(answers: &[Answer]) -> Vec<Option<u64>> {
    answers
        .iter()
        .map(|a| match a {
            Ok((_, r)) => match &r.outcome {
                Outcome::Ok { events } => events.iter().find_map(|e| {
                    if let Event::InstructionCreated { instruction, .. } = e {
                        Some(*instruction)
                    } else {
                        None
                    }
                }),
                _ => None,
            },
            Err(_) => None,
        })
        .collect()
}

fn settled(a: &Answer) -> bool {
    matches!(a, Ok((_, r)) if matches!(&r.outcome, Outcome::Ok { events } if events.iter().any(|e| matches!(e, Event::InstructionSettled { .. }))))
}

/// Create + seller affirmation for `n` DvPs; returns the instruction ids and phase times.
fn prepare(engine: &Engine, a: &mut Actors, n: usize, offset: usize) -> (Vec<u64>, f64, f64) {
    let pairs = a.sellers.len();
    let creates: Vec<SignedTx> = (0..n)
        .map(|j| {
            let i = (offset + j) % pairs;
            let (s, b) = (a.sellers[i].signing_clone(), a.buyers[i].wallet());
            a.sign(
                &s,
                vec![Op::CreateInstruction(op::CreateInstruction {
                    legs: vec![
                        Leg { asset: Symbol::new("FUND"), amount: 1_000_000 + j as u128 % 97, from: s.wallet(), to: b },
                        Leg { asset: Symbol::new("USDX"), amount: 1_000_000 + j as u128 % 97, from: b, to: s.wallet() },
                    ],
                    settle: SettleMode::OnAffirmation,
                    trade_date: None,
                    value_date: None,
                    expires_at: a.now.plus(86_400),
                    reference: String::new(),
                })],
            )
        })
        .collect();
    let (answers, t_create) = run_phase(engine, creates);
    let ids: Vec<u64> = created_ids(&answers).into_iter().flatten().collect();
    let affirms: Vec<SignedTx> = ids
        .iter()
        .enumerate()
        .map(|(j, id)| {
            let s = a.sellers[(offset + j) % pairs].signing_clone();
            a.sign(&s, vec![Op::AffirmInstruction(op::AffirmInstruction { instruction: *id })])
        })
        .collect();
    let (_, t_affirm) = run_phase(engine, affirms);
    (ids, t_create, t_affirm)
}

pub fn run(pairs: usize, dvps: usize, offered: f64, json: bool) -> Result<DvpReport, Refusal> {
    let pairs = pairs.max(1);
    let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
    let show = |s: &str| {
        if crate::progress::shown(json) {
            eprintln!("{s}");
        }
    };
    show(&format!("setup: {pairs} sellers holding FUND, {pairs} buyers holding USDX"));
    let (ledger, mut a) = setup(&tmp.path().join("ledger"), pairs)?;
    let now = a.now;
    let engine = Engine::start(ledger, Config { clock: std::sync::Arc::new(move || now), ..Config::default() });

    show(&format!("throughput: {dvps} DvPs (create, seller affirms, buyer affirms)"));
    let (ids, create_s, first_affirm_s) = prepare(&engine, &mut a, dvps, 0);
    let last: Vec<SignedTx> = ids
        .iter()
        .enumerate()
        .map(|(j, id)| {
            let b = a.buyers[j % pairs].signing_clone();
            a.sign(&b, vec![Op::AffirmInstruction(op::AffirmInstruction { instruction: *id })])
        })
        .collect();
    let (answers, last_affirm_s) = run_phase(&engine, last);
    let ok = answers.iter().filter(|x| settled(x)).count();
    let failed = dvps - ok;

    // Latency at an offered rate: prepared instructions, last affirmations paced.
    let lat_n = ((offered * 2.0) as usize).clamp(1_000, 40_000);
    show(&format!("latency: {lat_n} DvPs with last affirmations offered at {offered:.0}/s"));
    let (ids2, _, _) = prepare(&engine, &mut a, lat_n, dvps);
    let lasts: Vec<SignedTx> = ids2
        .iter()
        .enumerate()
        .map(|(j, id)| {
            let b = a.buyers[(dvps + j) % pairs].signing_clone();
            a.sign(&b, vec![Op::AffirmInstruction(op::AffirmInstruction { instruction: *id })])
        })
        .collect();
    let tick = Duration::from_millis(1);
    let per_tick = ((offered / 1_000.0).round() as usize).max(1);
    let (tx, rx) = crossbeam_channel::unbounded::<(Instant, crossbeam_channel::Receiver<Answer>)>();
    let collector = std::thread::spawn(move || {
        let mut lat = Vec::new();
        while let Ok((t0, r)) = rx.recv() {
            if let Ok(a) = r.recv() {
                if settled(&a) {
                    lat.push(t0.elapsed().as_secs_f64() * 1e3);
                }
            }
        }
        lat
    });
    let start = Instant::now();
    for (k, chunk) in lasts.chunks(per_tick).enumerate() {
        let due = start + tick * k as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t0 = Instant::now();
        for r in engine.submit_each(chunk.to_vec()) {
            let _ = tx.send((t0, r));
        }
    }
    drop(tx);
    let mut lat = collector.join().unwrap_or_default();
    lat.sort_by(|x, y| x.total_cmp(y));
    let pct = |p: f64| if lat.is_empty() { 0.0 } else { lat[((lat.len() as f64 - 1.0) * p).round() as usize] };

    // Plain transfers between the same wallets, for comparison.
    let m = dvps;
    show(&format!("comparison: {m} transfers"));
    let transfers: Vec<SignedTx> = (0..m)
        .map(|j| {
            let s = a.sellers[j % pairs].signing_clone();
            let to = a.buyers[j % pairs].wallet();
            a.sign(&s, vec![Op::Transfer(op::Transfer { asset: Symbol::new("FUND"), to, amount: 1 })])
        })
        .collect();
    let (_, transfer_s) = run_phase(&engine, transfers);
    engine.shutdown()?;
    let report = DvpReport {
        pairs,
        dvps,
        cores: std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1),
        dvp_per_s: dvps as f64 / (create_s + first_affirm_s + last_affirm_s),
        settle_per_s: dvps as f64 / last_affirm_s,
        create_s,
        first_affirm_s,
        last_affirm_s,
        offered_dvp_per_s: offered,
        latency_ms_p50: pct(0.50),
        latency_ms_p99: pct(0.99),
        latency_samples: lat.len(),
        transfer_tx_per_s: m as f64 / transfer_s,
        failed,
    };
    if json {
        say!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        say!(
            "dvp: {} DvPs, {} pairs, {} cores\n  full DvP (create + 2 affirmations, durable) {:>10.0} DvP/s\n  settlement on the last affirmation          {:>10.0} DvP/s\n  latency at {:.0} DvP/s offered              p50 {:.2} ms, p99 {:.2} ms ({} samples)\n  plain transfers in the same run             {:>10.0} tx/s\n  failed: {}",
            report.dvps, report.pairs, report.cores, report.dvp_per_s, report.settle_per_s, offered, report.latency_ms_p50, report.latency_ms_p99, report.latency_samples, report.transfer_tx_per_s, report.failed
        );
    }
    Ok(report)
}
