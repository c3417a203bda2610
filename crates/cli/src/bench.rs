//! `tessera bench`: throughput through the real path, printed beside this machine's own
//! Ed25519 verification rate measured in the same run (so a ratio can be quoted). Nothing
//! here is asserted in tests.

use crate::progress::{shown, Progress};
use clap::Subcommand;
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use tessera_core::op;

use tessera_core::compliance::{Policy, Rule};
use tessera_core::crypto::{self, Keypair};
use tessera_core::op::{AssetSpec, Op};
use tessera_core::tx::{CheckedTx, SignedTx, TxBody};
use tessera_core::*;
use tessera_node::engine::{Config, Engine};
use tessera_node::ledger::AnyLedger;
use tessera_store::Location;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Signed transfers under a compliance policy, through decode, verify, sequence, execute
    /// and a durable (fsynced) journal.
    Transfers(TransfersArgs),
    /// Two-leg DvP instructions through the real path: throughput, latency at an offered
    /// rate, and plain transfers for comparison.
    Dvp {
        /// Seller/buyer pairs.
        #[arg(long, default_value_t = 10_000)]
        pairs: usize,
        /// DvP instructions to settle.
        #[arg(long, default_value_t = 100_000)]
        dvps: usize,
        /// Offered rate of last affirmations for the latency measurement (DvP/s).
        #[arg(long, default_value_t = 10_000.0)]
        offered: f64,
    },
    /// Daily yield accrual at 1,000 and at N holders, and a monthly payout to N holders.
    Yield {
        /// Holders of the yield-bearing share.
        #[arg(long, default_value_t = 1_000_000)]
        holders: usize,
    },
    /// A clearing house with N members × 10 pledges: one price move revalued and called,
    /// calls met and defaulted, a default's liquidation; each block durable.
    Margin {
        /// Clearing members (each pledges nine Treasuries and cash).
        #[arg(long, default_value_t = 10_000)]
        members: usize,
        /// Members left to default at the mass call's deadline (default: 1% of them).
        #[arg(long)]
        defaults: Option<usize>,
    },
    /// Execution alone: the sequencer's admit + execute + block building on pre-verified
    /// transfers, one core, no journal. Shows what the state machine costs per transaction.
    Execute {
        /// Funded wallets.
        #[arg(long, default_value_t = 100_000)]
        wallets: usize,
        /// Pre-verified transfers to execute.
        #[arg(long, default_value_t = 500_000)]
        txs: usize,
    },
    /// The web console: each page's time (p50, p99) and weight on a ledger of N holders and
    /// B journal blocks, served by a `tessera node` child process, as an investor and as an
    /// auditor.
    Console {
        /// Holders of the fund share.
        #[arg(long, default_value_t = 1_000_000)]
        holders: usize,
        /// Blocks in the journal (filler blocks of transfers after the setup).
        #[arg(long, default_value_t = 100_000)]
        blocks: u64,
    },
    /// Signed transfers and authenticated reads through the HTTP node over loopback (a
    /// `tessera node` child process by default), rate limits off; many keep-alive connections,
    /// every transaction signed before the clock starts.
    Http(crate::bench_http::HttpArgs),
    /// Crash-test load: creates a ledger in DATA, then submits transfers through the engine
    /// and prints `ack <tx id>` for each one only after it is durable. Used by the kill -9 test.
    #[command(hide = true)]
    Load {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 200)]
        wallets: usize,
        #[arg(long, default_value_t = 100_000)]
        txs: usize,
    },
}

#[derive(clap::Args)]
pub struct TransfersArgs {
    /// Funded wallets under the policy.
    #[arg(long, default_value_t = 100_000)]
    pub wallets: usize,
    /// Signed transfers to push through, round-robin over the wallets.
    #[arg(long, default_value_t = 1_000_000)]
    pub txs: usize,
    /// Then transfers that all debit one wallet (the hot account), on the same ledger; 0 skips.
    #[arg(long, default_value_t = 200_000)]
    pub hot_txs: usize,
    /// Keep the ledger here (default: a temporary directory).
    #[arg(long, conflicts_with = "store")]
    pub data: Option<PathBuf>,
    /// Keep the journal in PostgreSQL (postgres://user:pass@host:port/db): the benchmark
    /// creates a fresh database tessera_bench_<pid>_<n> on that server (the role needs
    /// CREATEDB), drops it afterwards, prints the server's synchronous-standby settings, and
    /// measures the naive PostgreSQL ledger with --peer-script after its own run.
    #[arg(long)]
    pub store: Option<String>,
    /// The naive PostgreSQL ledger's script (prints uniform and hot-account tx/s as JSON)
    /// [default: /work/shared/peers/pg_naive_ledger.sh, else ../shared/peers/pg_naive_ledger.sh]
    #[arg(long)]
    pub peer_script: Option<PathBuf>,
    /// Skip replaying the journal with `verify` afterwards.
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Serialize, Default)]
pub struct TransfersReport {
    /// "sqlite" or "postgresql".
    pub store: String,
    pub wallets: usize,
    pub txs: usize,
    pub cores: usize,
    pub durable_tx_per_s: f64,
    pub verify_single_per_s_per_core: f64,
    pub verify_batch_per_s_per_core: f64,
    pub ratio_to_verify_bound: f64,
    pub seconds: f64,
    pub time_split: TimeSplit,
    pub blocks: u64,
    pub commits: u64,
    pub refused: usize,
    pub failed: usize,
    /// Bytes of the holdings table per holding (map buckets + heap owned by values).
    pub bytes_per_holding: f64,
    /// Resident-memory growth per holding while the holdings were created (includes allocator
    /// slack and everything else the process did meanwhile).
    pub rss_bytes_per_holding: f64,
    pub setup_seconds: f64,
    pub sign_seconds: f64,
    pub verify_replay_tx_per_s: Option<f64>,
    pub verify_replay_ok: Option<bool>,
    pub journal_bytes: u64,
    /// Transfers that all debit one wallet, run after the uniform ones on the same ledger.
    pub hot_txs: usize,
    pub hot_account_tx_per_s: Option<f64>,
    /// On PostgreSQL, what decided whether each commit waited for a standby (see
    /// `bench_pg::Replication`).
    pub synchronous_standby_names: Option<String>,
    pub synchronous_commit: Option<String>,
    pub synchronous_standbys: Option<i64>,
    /// On PostgreSQL: the naive ledger of the peer script, measured in the same run.
    pub naive_pg_tx_per_s: Option<f64>,
    pub naive_pg_hot_tx_per_s: Option<f64>,
    /// `durable_tx_per_s / naive_pg_tx_per_s`.
    pub vs_naive_pg_uniform: Option<f64>,
    /// `hot_account_tx_per_s / naive_pg_hot_tx_per_s`.
    pub vs_naive_pg_hot: Option<f64>,
}

#[derive(Serialize, Default)]
pub struct TimeSplit {
    /// Seconds spent in ingress (decode + batched signature checks), summed over calls.
    pub verify_s: f64,
    /// Seconds the sequencer spent admitting and executing.
    pub execute_s: f64,
    /// Seconds the writer spent appending and fsyncing.
    pub journal_s: f64,
}

const NETWORK: &str = "bench";

/// A benchmark's setup block built nothing: every one of its transactions was refused.
pub fn setup_refused() -> Refusal {
    Refusal::new(Code::InputInvalid, "bench setup failed: every transaction of a setup block was refused")
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|p| p.parse::<u64>().ok()))
        .map(|pages| pages * 4096)
        .unwrap_or(0)
}

/// Ed25519 verifications per second on one core: one by one, and in batches of the size the
/// engine uses (keys already decompressed, as in the engine's steady state). Runs ~0.3 s each.
pub fn measure_ed25519() -> (f64, f64) {
    let b = crypto::VERIFY_BATCH;
    let items: Vec<(WalletId, [u8; 32], [u8; 64])> = (0..b)
        .map(|i| {
            let k = Keypair::insecure_from_name(&format!("calibrate-{i}"));
            let msg = crypto::sha256(&(i as u64).to_le_bytes()).0;
            (k.wallet(), msg, k.sign(&msg))
        })
        .collect();
    let refs: Vec<(&WalletId, &[u8], &[u8; 64])> = items.iter().map(|(w, m, s)| (w, &m[..], s)).collect();
    let mut ok = crypto::verify_batch(&refs);
    let rate = |f: &mut dyn FnMut() -> usize| {
        let t = Instant::now();
        let mut n = 0;
        while t.elapsed().as_secs_f64() < 0.3 {
            n += f();
        }
        n as f64 / t.elapsed().as_secs_f64()
    };
    let mut i = 0;
    let single = rate(&mut || {
        let (w, m, s) = &items[i % b];
        i += 1;
        ok &= crypto::verify(w, m, s);
        1
    });
    let batched = rate(&mut || {
        ok &= crypto::verify_batch(&refs);
        b
    });
    assert!(ok, "calibration signatures must verify");
    (single, batched)
}

pub fn run(cmd: BenchCmd, json: bool) -> Result<(), Refusal> {
    match cmd {
        BenchCmd::Transfers(args) => {
            let r = transfers(args, shown(json))?;
            if json {
                say!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            } else {
                say!(
                    "transfers: {} wallets, {} signed transfers on {} cores, journal in {}\n  durable throughput    {:>12.0} tx/s\n  hot account           {}\n  ed25519 on this CPU   {:>12.0} single / {:.0} batched verifications per s per core\n  ratio to verify bound {:>12.2}  (durable / (batched × cores))\n  time split            verify {:.2} s, execute {:.2} s, journal {:.2} s  ({} blocks, {} commits)\n  memory                {:.0} bytes per holding in the table, {:.0} RSS growth per holding\n  verify replay         {}",
                    r.wallets, r.txs, r.cores, r.store, r.durable_tx_per_s,
                    r.hot_account_tx_per_s.map(|v| format!("{v:>12.0} tx/s  ({} transfers, every one debiting one wallet)", r.hot_txs)).unwrap_or_else(|| "skipped".into()),
                    r.verify_single_per_s_per_core, r.verify_batch_per_s_per_core,
                    r.ratio_to_verify_bound, r.time_split.verify_s, r.time_split.execute_s, r.time_split.journal_s, r.blocks, r.commits,
                    r.bytes_per_holding, r.rss_bytes_per_holding,
                    r.verify_replay_tx_per_s.map(|v| format!("{v:.0} tx/s, ok: {}", r.verify_replay_ok.unwrap_or(false))).unwrap_or_else(|| "skipped".into())
                );
                if let Some(names) = &r.synchronous_standby_names {
                    say!(
                        "  PostgreSQL            synchronous_standby_names '{names}', synchronous_commit {} (server default; the journal sets on), {} synchronous standby(s) streaming",
                        r.synchronous_commit.as_deref().unwrap_or("?"),
                        r.synchronous_standbys.unwrap_or(0)
                    );
                    let tx_per_s = |v: Option<f64>| v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into());
                    let times = |v: Option<f64>| v.map(|v| format!("{v:.1}×")).unwrap_or_else(|| "—".into());
                    say!(
                        "  naive PostgreSQL      {:>12} uniform / {} hot-account tx/s  (2 UPDATEs + 1 INSERT per transfer, no signatures)\n  vs naive PostgreSQL   {:>12} uniform / {} hot account",
                        tx_per_s(r.naive_pg_tx_per_s), tx_per_s(r.naive_pg_hot_tx_per_s),
                        times(r.vs_naive_pg_uniform), times(r.vs_naive_pg_hot)
                    );
                }
            }
            Ok(())
        }
        BenchCmd::Load { data, wallets, txs } => load(&data, wallets, txs),
        BenchCmd::Console { holders, blocks } => crate::bench_console::run(holders, blocks, json).map(|_| ()),
        BenchCmd::Yield { holders } => crate::bench_yield::run(holders, json).map(|_| ()),
        BenchCmd::Http(args) => crate::bench_http::run(args, json).map(|_| ()),
        BenchCmd::Margin { members, defaults } => crate::bench_margin::run(members, defaults, json).map(|_| ()),
        BenchCmd::Dvp { pairs, dvps, offered } => crate::bench_dvp::run(pairs, dvps, offered, json).map(|_| ()),
        BenchCmd::Execute { wallets, txs } => {
            let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
            let setup = Setup::create(&tmp.path().join("ledger"), wallets.max(2), shown(json))?;
            let txs: Vec<CheckedTx> =
                setup.sign_transfers(txs).into_iter().map(|tx| CheckedTx { id: tx.id(), tx }).collect();
            let n = txs.len();
            let mut chain = setup.ledger.chain;
            let t = Instant::now();
            let mut it = txs.into_iter();
            loop {
                let block: Vec<CheckedTx> = it.by_ref().take(8_192).collect();
                if block.is_empty() {
                    break;
                }
                chain.build_block(setup.start_time, block);
            }
            let secs = t.elapsed().as_secs_f64();
            let out = serde_json::json!({"txs": n, "execute_tx_per_s": n as f64 / secs, "execute_us_per_tx": secs * 1e6 / n as f64});
            if json {
                say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            } else {
                say!(
                    "execution alone: {:.0} tx/s on one core ({:.2} µs per transfer)",
                    n as f64 / secs,
                    secs * 1e6 / n as f64
                );
            }
            Ok(())
        }
    }
}

/// See `BenchCmd::Load`.
fn load(dir: &std::path::Path, n: usize, m: usize) -> Result<(), Refusal> {
    use std::io::Write;
    let mut setup = Setup::create(dir, n, false)?;
    let txs = setup.sign_transfers(m);
    // Frequent snapshots, so that recovery after the kill goes through snapshot + replay.
    setup.ledger.snapshot_every_blocks = 5;
    let engine = Engine::start(setup.ledger, Config { max_block_txs: 512, ..Config::default() });
    type Handle = (Vec<tessera_core::Hash>, std::sync::Arc<tessera_node::engine::Batch>);
    let (tx, rx) = crossbeam_channel::bounded::<Handle>(1_000);
    // Prints each acknowledgement once its block is durable, while submission goes on.
    let printer = std::thread::spawn(move || {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        while let Ok((ids, batch)) = rx.recv() {
            for (id, answer) in ids.iter().zip(batch.wait()) {
                if answer.is_ok() {
                    let _ = writeln!(out, "ack {id}");
                }
            }
            let _ = out.flush();
        }
    });
    for chunk in txs.chunks(256) {
        let ids: Vec<_> = chunk.iter().map(|t| t.id()).collect();
        if tx.send((ids, engine.submit_batch(chunk.to_vec()))).is_err() {
            break;
        }
    }
    drop(tx);
    let _ = printer.join();
    engine.shutdown()?;
    Ok(())
}

fn operator() -> Keypair {
    Keypair::insecure_from_name("bench-operator")
}

fn wallet_key(i: usize) -> Keypair {
    Keypair::from_seed(crypto::sha256(format!("bench-wallet-{i}").as_bytes()).0)
}

fn signed(k: &Keypair, seq: u64, ops: Vec<Op>) -> SignedTx {
    TxBody { network: NETWORK.into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX / 2), ops }.sign(k)
}

fn bench_policy() -> Policy {
    Policy {
        rules: vec![
            Rule::Kyc,
            Rule::InvestorClasses(vec![
                InvestorClass::Accredited,
                InvestorClass::QualifiedPurchaser,
                InvestorClass::Qib,
            ]),
            Rule::JurisdictionsAllowed(vec!["US".into(), "GB".into(), "SG".into(), "CH".into()]),
            Rule::Sanctions,
            Rule::TransferLimit(1_000_000_000_000),
            Rule::MaxBalance(1_000_000_000_000_000),
        ],
    }
}

/// A ledger with `n` onboarded, funded wallets under the benchmark policy.
pub struct Setup {
    pub ledger: AnyLedger,
    pub keys: Vec<Keypair>,
    pub wallets: Vec<WalletId>,
    pub asset: Symbol,
    pub start_time: Time,
    pub bytes_per_holding: f64,
    pub rss_bytes_per_holding: f64,
}

impl Setup {
    pub fn create(dir: &std::path::Path, n: usize, show: bool) -> Result<Setup, Refusal> {
        Setup::create_at(&Location::Dir(dir.to_path_buf()), n, show)
    }

    /// Like [`Setup::create`], with the journal wherever `at` says (a directory or PostgreSQL).
    pub fn create_at(at: &Location, n: usize, show: bool) -> Result<Setup, Refusal> {
        let op = operator();
        let start_time = Time::parse("2026-01-05T15:00:00Z").unwrap_or_default();
        let mut g = tessera_core::block::demo_genesis(
            NETWORK,
            start_time,
            &[(&op, &[Role::Admin, Role::IssuerAgent, Role::ComplianceOfficer])],
            [1, 1, 1],
        );
        g.trusted_issuers =
            vec![(op.wallet(), vec![ClaimTopic::Kyc, ClaimTopic::InvestorClass, ClaimTopic::Jurisdiction])];
        let mut ledger = AnyLedger::create_at(at, &g)?;
        ledger.snapshot_every_blocks = 0;
        let say = |s: &str| {
            if show {
                eprintln!("{s}");
            }
        };
        say(&format!("setup: {n} parties with KYC, class and jurisdiction claims, one wallet each"));
        let mut seq = 1u64;
        let submit_block = |ledger: &mut AnyLedger, txs: Vec<SignedTx>| -> Result<(), Refusal> {
            let checked: Vec<CheckedTx> = txs.into_par_iter().map(CheckedTx::from_decoded).collect::<Result<_, _>>()?;
            let block = ledger.submit(start_time, checked)?.0.ok_or_else(setup_refused)?;
            if let Some(r) = block.body.receipts.iter().find(|r| !r.is_ok()) {
                return Err(Refusal::new(Code::InputInvalid, format!("bench setup failed: {}", r.outcome)));
            }
            Ok(())
        };
        let asset = Symbol::new("BENCH");
        let spec = AssetSpec {
            symbol: asset.clone(),
            name: "Benchmark Treasury fund".into(),
            kind: AssetKind::FundShare { nav: NavKind::Stable },
            decimals: 6,
            issuer: PartyId::new("operator"),
            supply_cap: None,
            policy: bench_policy(),
        };
        submit_block(&mut ledger, vec![signed(&op, seq, vec![Op::CreateAsset(spec)])])?;
        seq += 1;
        let keys: Vec<Keypair> = (0..n).into_par_iter().map(wallet_key).collect();
        let wallets: Vec<WalletId> = keys.iter().map(|k| k.wallet()).collect();
        let jurisdictions = ["US", "GB", "SG", "CH"];
        let mut pending = Vec::new();
        let bar = Progress::bar(show, n as u64, "parties", "registering");
        for chunk in (0..n).collect::<Vec<_>>().chunks(12) {
            bar.inc(chunk.len() as u64);
            let mut ops = Vec::new();
            for &i in chunk {
                let party = PartyId::new(format!("p{i}"));
                ops.push(Op::RegisterParty(op::RegisterParty {
                    party: party.clone(),
                    name: format!("Investor {i}"),
                    kind: PartyKind::Institution,
                }));
                ops.push(Op::AddWallet(op::AddWallet { party: party.clone(), wallet: wallets[i] }));
                ops.push(Op::IssueClaim(op::IssueClaim { party: party.clone(), claim: Claim::Kyc, expires_at: None }));
                ops.push(Op::IssueClaim(op::IssueClaim {
                    party: party.clone(),
                    claim: Claim::InvestorClass(InvestorClass::Qib),
                    expires_at: None,
                }));
                ops.push(Op::IssueClaim(op::IssueClaim {
                    party,
                    claim: Claim::Jurisdiction(jurisdictions[i % 4].into()),
                    expires_at: None,
                }));
            }
            pending.push(signed(&op, seq, ops));
            seq += 1;
            if pending.len() == 2_000 {
                submit_block(&mut ledger, std::mem::take(&mut pending))?;
            }
        }
        submit_block(&mut ledger, std::mem::take(&mut pending))?;
        bar.finish();
        say(&format!("setup: minting to {n} wallets"));
        let rss0 = rss_bytes();
        let bar = Progress::bar(show, n as u64, "wallets", "minting");
        for chunk in wallets.chunks(64) {
            bar.inc(chunk.len() as u64);
            let ops = chunk
                .iter()
                .map(|w| Op::Mint(op::Mint { asset: asset.clone(), to: *w, amount: 1_000_000_000 }))
                .collect();
            pending.push(signed(&op, seq, ops));
            seq += 1;
            if pending.len() == 2_000 {
                submit_block(&mut ledger, std::mem::take(&mut pending))?;
            }
        }
        submit_block(&mut ledger, std::mem::take(&mut pending))?;
        bar.finish();
        let rss1 = rss_bytes();
        let holdings = &ledger.chain.state.holdings;
        let bytes_per_holding = holdings.map_bytes() as f64 / holdings.len().max(1) as f64;
        Ok(Setup {
            ledger,
            keys,
            wallets,
            asset,
            start_time,
            bytes_per_holding,
            rss_bytes_per_holding: rss1.saturating_sub(rss0) as f64 / n as f64,
        })
    }

    /// `m` transfers, round-robin over the wallets, each to the next wallet.
    pub fn sign_transfers(&self, m: usize) -> Vec<SignedTx> {
        self.sign_transfers_from(0, m)
    }

    /// `m` transfers that all debit the first wallet (the hot account), to the others in turn,
    /// its sequence numbers counting from `first_seq`.
    pub fn sign_hot_transfers(&self, first_seq: u64, m: usize) -> Vec<SignedTx> {
        let n = self.keys.len();
        let (hot, wallets, asset) = (&self.keys[0], &self.wallets, &self.asset);
        (0..m)
            .into_par_iter()
            .map(|j| {
                signed(
                    hot,
                    first_seq + j as u64,
                    vec![Op::Transfer(op::Transfer {
                        asset: asset.clone(),
                        to: wallets[1 + j % (n - 1)],
                        amount: 1 + (j % 7) as u128,
                    })],
                )
            })
            .collect()
    }

    /// Transfers number `start..start + m` of the same round-robin sequence: wallet `j % n`
    /// signs transfer `j` with sequence number `j / n + 1`, so ranges signed separately chain.
    pub fn sign_transfers_from(&self, start: usize, m: usize) -> Vec<SignedTx> {
        let n = self.keys.len();
        let (keys, wallets, asset) = (&self.keys, &self.wallets, &self.asset);
        (start..start + m)
            .into_par_iter()
            .map(|j| {
                let i = j % n;
                let round = (j / n) as u64;
                signed(
                    &keys[i],
                    round + 1,
                    vec![Op::Transfer(op::Transfer {
                        asset: asset.clone(),
                        to: wallets[(i + 1) % n],
                        amount: 1 + (j % 7) as u128,
                    })],
                )
            })
            .collect()
    }
}

/// Submits `txs` to the engine in batches and waits for every answer: (refused, failed).
fn push(engine: &Engine<Box<dyn tessera_store::Journal>>, txs: Vec<SignedTx>, bar: &Progress) -> (usize, usize) {
    let mut batches = Vec::with_capacity(txs.len() / 4_096 + 1);
    let mut it = txs.into_iter();
    loop {
        let chunk: Vec<SignedTx> = it.by_ref().take(4_096).collect();
        if chunk.is_empty() {
            break;
        }
        let k = chunk.len() as u64;
        batches.push(engine.submit_batch(chunk));
        bar.inc(k);
    }
    let (mut refused, mut failed) = (0, 0);
    for b in batches {
        for answer in b.wait() {
            match answer {
                Ok((_, receipt)) if receipt.is_ok() => {}
                Ok(_) => failed += 1,
                Err(_) => refused += 1,
            }
        }
    }
    (refused, failed)
}

pub fn transfers(a: TransfersArgs, show: bool) -> Result<TransfersReport, Refusal> {
    let (n, m, hot) = (a.wallets.max(2), a.txs, a.hot_txs);
    let cores = std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1);
    let tmp = tempfile::tempdir().map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
    let (location, database) = match a.store.as_deref().map(Location::parse).transpose()? {
        Some(Location::Postgres(server)) => {
            let db = crate::bench_pg::BenchDatabase::create(&server)?;
            (db.location(), Some(db))
        }
        Some(dir) => (dir, None),
        None => (Location::Dir(a.data.unwrap_or_else(|| tmp.path().join("ledger"))), None),
    };
    let say = |s: &str| {
        if show {
            eprintln!("{s}");
        }
    };
    if let Some(db) = &database {
        say(&format!("journal in the fresh database {} (dropped afterwards)", db.url.describe()));
    }
    let setup_start = Instant::now();
    let setup = Setup::create_at(&location, n, show)?;
    let setup_seconds = setup_start.elapsed().as_secs_f64();
    let (bytes_per_holding, rss_bytes_per_holding, start_time) =
        (setup.bytes_per_holding, setup.rss_bytes_per_holding, setup.start_time);
    say(&format!("signing {m} transfers and {hot} from the hot account"));
    let sign_start = Instant::now();
    let txs = setup.sign_transfers(m);
    // The hot account is the first wallet: it signed every n-th of the uniform transfers.
    let hot_txs = setup.sign_hot_transfers(m.div_ceil(n) as u64 + 1, hot);
    let sign_seconds = sign_start.elapsed().as_secs_f64();
    let ledger = setup.ledger;
    let (single, batched) = measure_ed25519();
    say("running transfers through the engine");
    let engine = Engine::start(ledger, Config { clock: std::sync::Arc::new(move || start_time), ..Config::default() });
    let bar = Progress::bar(show, m as u64, "transfers", "submitting");
    let t0 = Instant::now();
    let (mut refused, mut failed) = push(&engine, txs, &bar);
    let seconds = t0.elapsed().as_secs_f64();
    bar.finish();
    let times = *engine.times.lock().unwrap_or_else(|e| e.into_inner());
    let mut hot_account_tx_per_s = None;
    if hot > 0 {
        let bar = Progress::bar(show, hot as u64, "transfers", "hot account");
        let t = Instant::now();
        let (r, f) = push(&engine, hot_txs, &bar);
        hot_account_tx_per_s = Some(hot as f64 / t.elapsed().as_secs_f64());
        bar.finish();
        (refused, failed) = (refused + r, failed + f);
    }
    let ledger = engine.shutdown()?;
    let journal_bytes = match (&database, &location) {
        (Some(db), _) => db.journal_bytes()?,
        (None, Location::Dir(dir)) => {
            std::fs::metadata(tessera_store::Store::db_path(dir)).map(|m| m.len()).unwrap_or(0)
                + std::fs::metadata(dir.join(format!("{}-wal", tessera_store::DB_FILE))).map(|m| m.len()).unwrap_or(0)
        }
        (None, Location::Postgres(_)) => 0,
    };
    let (mut verify_replay_tx_per_s, mut verify_replay_ok) = (None, None);
    if !a.no_verify {
        say("replaying the journal with verify");
        let v = tessera_node::verify(&ledger.store, |_, _| {})?;
        verify_replay_tx_per_s = Some(v.tx_per_s);
        verify_replay_ok = Some(v.first_mismatch.is_none());
    }
    let replication = database.as_ref().map(|db| crate::bench_pg::replication(&db.url)).transpose()?;
    drop(ledger);
    let naive = match database {
        Some(db) => {
            drop(db);
            let script = a.peer_script.unwrap_or_else(crate::bench_pg::default_peer_script);
            say(&format!("measuring the naive PostgreSQL ledger with {} (about a minute)", script.display()));
            crate::bench_pg::naive_ledger(&script)
                .map_err(|why| eprintln!("bench: the naive PostgreSQL ledger was not measured: {why}"))
                .ok()
        }
        None => None,
    };
    let durable = m as f64 / seconds;
    let store = match location {
        Location::Postgres(_) => "postgresql",
        Location::Dir(_) => "sqlite",
    };
    Ok(TransfersReport {
        store: store.into(),
        wallets: n,
        txs: m,
        cores,
        durable_tx_per_s: durable,
        verify_single_per_s_per_core: single,
        verify_batch_per_s_per_core: batched,
        ratio_to_verify_bound: durable / (batched * cores as f64),
        seconds,
        time_split: TimeSplit {
            verify_s: times.verify_ns as f64 / 1e9,
            execute_s: times.execute_ns as f64 / 1e9,
            journal_s: times.journal_ns as f64 / 1e9,
        },
        blocks: times.blocks,
        commits: times.commits,
        refused,
        failed,
        bytes_per_holding,
        rss_bytes_per_holding,
        setup_seconds,
        sign_seconds,
        verify_replay_tx_per_s,
        verify_replay_ok,
        journal_bytes,
        hot_txs: hot,
        hot_account_tx_per_s,
        synchronous_standby_names: replication.as_ref().map(|r| r.synchronous_standby_names.clone()),
        synchronous_commit: replication.as_ref().map(|r| r.synchronous_commit.clone()),
        synchronous_standbys: replication.map(|r| r.synchronous_standbys),
        naive_pg_tx_per_s: naive.map(|f| f.uniform_tx_per_s),
        naive_pg_hot_tx_per_s: naive.map(|f| f.hot_account_tx_per_s),
        vs_naive_pg_uniform: naive.map(|f| durable / f.uniform_tx_per_s),
        vs_naive_pg_hot: hot_account_tx_per_s.zip(naive).map(|(h, f)| h / f.hot_account_tx_per_s),
    })
}
