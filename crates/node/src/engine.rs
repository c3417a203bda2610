//! The pipelined path: ingress → sequencer → journal writer.
//!
//! - Ingress (caller threads + rayon): decode with size limits, stateless checks, batched
//!   Ed25519 verification in parallel.
//! - Sequencer (one thread): admits and executes transactions into blocks of at most
//!   `max_block_txs`, taking whatever is queued when the previous block was handed on.
//! - Writer (one thread): takes every block waiting, appends them in one SQLite transaction
//!   (group commit, fsync), then answers each submitter with its receipt. So a client is
//!   answered only after its block is durable, and while one group is being fsynced the
//!   sequencer is already filling the next.
//!
//! Queues are bounded (`queue_capacity`); a full queue makes `submit` wait (backpressure).

use crate::ledger::Ledger;
use crossbeam_channel::{bounded, Receiver, Sender};
use rayon::prelude::*;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tessera_core::block::{Block, Receipt};
use tessera_core::exec::Admission;
use tessera_core::tx::{CheckedTx, SignedTx};
use tessera_core::{Code, Refusal, Time};
use tessera_store::Snapshot;

/// The answer to one submission.
pub type Answer = Result<(u64, Receipt), Refusal>;

pub struct Config {
    pub max_block_txs: usize,
    pub queue_capacity: usize,
    /// Block time source (whole seconds).
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_block_txs: 8_192, queue_capacity: 65_536, clock: Arc::new(system_time) }
    }
}

pub fn system_time() -> Time {
    Time(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

/// Where an answer goes: one channel per transaction, or a slot in a batch. A reply dropped
/// unanswered (the engine stopped on a storage failure) answers with an error, so no waiter
/// hangs.
struct Reply(Option<ReplyTo>);

enum ReplyTo {
    One(Sender<Answer>),
    Batch(Arc<Batch>, usize),
}

impl Reply {
    fn send(mut self, answer: Answer) {
        match self.0.take() {
            Some(ReplyTo::One(tx)) => {
                let _ = tx.send(answer);
            }
            Some(ReplyTo::Batch(b, i)) => b.fill(i, answer),
            None => {}
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if self.0.is_some() {
            Reply(self.0.take())
                .send(Err(Refusal::new(Code::StoreIo, "the engine stopped before this transaction was durable")));
        }
    }
}

/// Answers to a batch of submissions, filled as their blocks become durable.
pub struct Batch {
    slots: Mutex<(Vec<Option<Answer>>, usize)>,
    done: std::sync::Condvar,
}

impl Batch {
    fn new(n: usize) -> Arc<Batch> {
        Arc::new(Batch { slots: Mutex::new(((0..n).map(|_| None).collect(), n)), done: std::sync::Condvar::new() })
    }
    fn fill(&self, i: usize, answer: Answer) {
        let mut g = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if g.0[i].is_none() {
            g.0[i] = Some(answer);
            g.1 -= 1;
            if g.1 == 0 {
                self.done.notify_all();
            }
        }
    }
    /// Blocks until every submission of the batch is answered; answers in submission order.
    pub fn wait(&self) -> Vec<Answer> {
        let mut g = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        while g.1 > 0 {
            g = self.done.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        g.0.drain(..).map(|a| a.unwrap_or_else(|| Err(Refusal::new(Code::StoreState, "no answer")))).collect()
    }
}

struct Pending {
    tx: CheckedTx,
    reply: Reply,
}

/// Time spent in each stage, for benchmarks (nanoseconds, summed over threads).
#[derive(Default, Debug, Clone, Copy, serde::Serialize)]
pub struct StageTimes {
    pub verify_ns: u64,
    pub execute_ns: u64,
    pub journal_ns: u64,
    pub blocks: u64,
    pub commits: u64,
}

pub struct Engine {
    intake: Option<Sender<Vec<Pending>>>,
    sequencer: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<Result<Ledger, Refusal>>>,
    pub times: Arc<Mutex<StageTimes>>,
}

impl Engine {
    pub fn start(ledger: Ledger, config: Config) -> Engine {
        // Submissions travel in batches: one channel operation per batch, not per transaction.
        let (intake_tx, intake_rx) = bounded::<Vec<Pending>>(config.queue_capacity.div_ceil(256).max(1));
        let (block_tx, block_rx) = bounded::<(Block, Vec<(Admission, Reply)>, Option<Snapshot>)>(4);
        let times = Arc::new(Mutex::new(StageTimes::default()));
        // The sequencer owns the chain; the writer owns the store. They meet through blocks.
        let last_snapshot = ledger.last_snapshot();
        let Ledger { chain, store, snapshot_every_blocks, .. } = ledger;
        // The sequencer hands the chain back through this when it stops; if it died, the
        // sender is dropped and the writer learns it instead of waiting forever.
        let (chain_back, chain_rx) = bounded::<tessera_core::exec::Chain>(1);
        let t1 = times.clone();
        let max = config.max_block_txs;
        let clock = config.clock.clone();
        let sequencer = std::thread::Builder::new()
            .name("tessera-sequencer".into())
            .spawn(move || {
                let mut chain = chain;
                let mut last_snap = last_snapshot;
                while let Ok(mut batch) = intake_rx.recv() {
                    while batch.len() < max {
                        match intake_rx.try_recv() {
                            Ok(more) => batch.extend(more),
                            Err(_) => break,
                        }
                    }
                    let start = Instant::now();
                    let (txs, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|p| (p.tx, p.reply)).unzip();
                    let (block, admissions) = chain.build_block(clock(), txs);
                    {
                        let mut t = t1.lock().unwrap_or_else(|e| e.into_inner());
                        t.execute_ns += start.elapsed().as_nanos() as u64;
                        t.blocks += 1;
                    }
                    // A snapshot travels with its block and is stored only once the block is.
                    let snapshot = (snapshot_every_blocks > 0 && chain.height() >= last_snap + snapshot_every_blocks)
                        .then(|| {
                            last_snap = chain.height();
                            Snapshot {
                                height: chain.height(),
                                digest: chain.state.digest(),
                                state: borsh::to_vec(&chain.state).unwrap_or_default(),
                            }
                        });
                    if block_tx.send((block, admissions.into_iter().zip(replies).collect(), snapshot)).is_err() {
                        break;
                    }
                }
                let _ = chain_back.send(chain);
            })
            .expect("spawn sequencer thread");
        let t2 = times.clone();
        let writer = std::thread::Builder::new()
            .name("tessera-writer".into())
            .spawn(move || {
                let mut store = store;
                let checkpointer = store.spawn_checkpointer(Duration::from_millis(1000)).ok();
                while let Ok(first) = block_rx.recv() {
                    let mut group = vec![first];
                    while let Ok(more) = block_rx.try_recv() {
                        group.push(more);
                    }
                    let start = Instant::now();
                    let mut blocks = Vec::with_capacity(group.len());
                    let mut answers = Vec::with_capacity(group.len());
                    let mut snapshots = Vec::new();
                    for (b, a, snap) in group {
                        blocks.push(b);
                        answers.push(a);
                        snapshots.extend(snap);
                    }
                    let result = store.append(&blocks);
                    if result.is_ok() {
                        for snap in &snapshots {
                            // A snapshot only saves replay time: failing to store one loses nothing.
                            let _ = store.put_snapshot(snap);
                        }
                    }
                    {
                        let mut t = t2.lock().unwrap_or_else(|e| e.into_inner());
                        t.journal_ns += start.elapsed().as_nanos() as u64;
                        t.commits += 1;
                    }
                    for (block, answers) in blocks.iter().zip(answers) {
                        for (admission, reply) in answers {
                            let answer = match (&result, admission) {
                                (Err(e), _) => Err(Refusal::new(e.code(), e.to_string())),
                                (Ok(()), Admission::Refused(r)) => Err(r),
                                (Ok(()), Admission::Included(i)) => {
                                    Ok((block.header.height, block.body.receipts[i].clone()))
                                }
                            };
                            reply.send(answer);
                        }
                    }
                    if let Err(e) = result {
                        // Not durable: stop, so nothing later is acknowledged on top of a gap.
                        return Err(Refusal::new(e.code(), e.to_string()));
                    }
                }
                drop(block_rx);
                drop(checkpointer);
                let chain =
                    chain_rx.recv().map_err(|_| Refusal::new(Code::StoreIo, "the sequencer stopped abnormally"))?;
                let mut ledger = Ledger::from_parts(chain, store, snapshot_every_blocks, last_snapshot);
                // A clean stop leaves a snapshot, so the next start replays nothing.
                ledger.snapshot()?;
                Ok(ledger)
            })
            .expect("spawn writer thread");
        Engine { intake: Some(intake_tx), sequencer: Some(sequencer), writer: Some(writer), times }
    }

    /// Checks a batch of decoded transactions (signatures batched, in parallel) and queues
    /// the good ones. Returns one receiver per input, in order.
    pub fn submit_each(&self, txs: Vec<SignedTx>) -> Vec<Receiver<Answer>> {
        let checked = self.check(txs);
        let mut receivers = Vec::with_capacity(checked.len());
        let pending = checked.into_iter().map(|c| {
            let (reply, rx) = bounded(1);
            receivers.push(rx);
            (c, Reply(Some(ReplyTo::One(reply))))
        });
        self.enqueue(pending.collect());
        receivers
    }

    /// Like [`Engine::submit_each`], with one handle for the whole batch (cheaper at volume).
    pub fn submit_batch(&self, txs: Vec<SignedTx>) -> Arc<Batch> {
        let checked = self.check(txs);
        let batch = Batch::new(checked.len());
        self.enqueue(
            checked.into_iter().enumerate().map(|(i, c)| (c, Reply(Some(ReplyTo::Batch(batch.clone(), i))))).collect(),
        );
        batch
    }

    fn check(&self, txs: Vec<SignedTx>) -> Vec<Result<CheckedTx, Refusal>> {
        let start = Instant::now();
        let checked: Vec<Result<CheckedTx, Refusal>> = txs
            .into_par_iter()
            .chunks(tessera_core::crypto::VERIFY_BATCH)
            .flat_map_iter(CheckedTx::check_batch)
            .collect();
        let mut t = self.times.lock().unwrap_or_else(|e| e.into_inner());
        t.verify_ns += start.elapsed().as_nanos() as u64;
        checked
    }

    /// Decodes raw bytes and queues them.
    pub fn submit_bytes(&self, bytes: &[u8]) -> Receiver<Answer> {
        let (reply, rx) = bounded(1);
        self.enqueue(vec![(CheckedTx::from_bytes(bytes), Reply(Some(ReplyTo::One(reply))))]);
        rx
    }

    /// Answers refusals at once and queues the rest as one batch.
    fn enqueue(&self, items: Vec<(Result<CheckedTx, Refusal>, Reply)>) {
        let stopped = || Refusal::new(Code::StoreState, "the engine has stopped");
        let mut pending = Vec::with_capacity(items.len());
        for (checked, reply) in items {
            match checked {
                Err(r) => reply.send(Err(r)),
                Ok(tx) => pending.push(Pending { tx, reply }),
            }
        }
        if pending.is_empty() {
            return;
        }
        match &self.intake {
            Some(intake) => {
                if let Err(e) = intake.send(pending) {
                    e.0.into_iter().for_each(|p| p.reply.send(Err(stopped())));
                }
            }
            None => pending.into_iter().for_each(|p| p.reply.send(Err(stopped()))),
        }
    }

    /// Stops intake, drains every queued transaction into durable blocks, and returns the ledger.
    pub fn shutdown(mut self) -> Result<Ledger, Refusal> {
        self.intake = None;
        if let Some(s) = self.sequencer.take() {
            let _ = s.join();
        }
        match self.writer.take().map(|w| w.join()) {
            Some(Ok(r)) => r,
            _ => Err(Refusal::new(Code::StoreIo, "the journal writer stopped abnormally")),
        }
    }
}
