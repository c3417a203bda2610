//! The pipelined path: ingress → sequencer → journal writer.
//!
//! - Ingress (caller threads + rayon): decode with size limits, stateless checks, batched
//!   Ed25519 verification in parallel.
//! - Sequencer (one thread): admits and executes transactions into blocks of at most
//!   `max_block_txs`, taking whatever is queued when the previous block was handed on.
//! - Writer (one thread): takes every block waiting, appends them to the journal in one
//!   all-or-none, durable commit (group commit; SQLite: one transaction and an fsync), then answers each submitter with its receipt. So a client is
//!   answered only after its block is durable, and while one group is being fsynced the
//!   sequencer is already filling the next.
//!
//! The queue is bounded in transactions (`queue_capacity`): a full queue makes the blocking
//! `submit_*` calls wait, and makes [`Engine::try_submit`] refuse with `api.busy` without
//! taking anything (the HTTP node's backpressure).
//!
//! Readers share the chain ([`ChainView`]): the sequencer holds its write lock only while it
//! builds a block; queries take the read lock on the last executed state and, before they
//! answer, wait until that state is durable ([`Engine::durable`]), so no read ever reveals a
//! state a crash could take back.

use crate::ledger::Ledger;
use crossbeam_channel::{bounded, Receiver, Sender};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tessera_core::block::{Block, Receipt};
use tessera_core::exec::{Admission, Chain};
use tessera_core::tx::{CheckedTx, SignedTx};
use tessera_core::{Code, Refusal, Time};
use tessera_store::{Journal, Snapshot, Store};

/// The answer to one submission.
pub type Answer = Result<(u64, Receipt), Refusal>;

/// Called by the writer with each group of blocks once they are durable, before any of their
/// submitters is answered (so a client that got its receipt finds it in every index).
pub type OnDurable = Arc<dyn Fn(&[Block]) + Send + Sync>;

pub struct Config {
    pub max_block_txs: usize,
    /// Transactions that may wait for the sequencer.
    pub queue_capacity: usize,
    /// Block time source (whole seconds).
    pub clock: Arc<dyn Fn() -> Time + Send + Sync>,
    pub on_durable: Option<OnDurable>,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_block_txs: 8_192, queue_capacity: 65_536, clock: Arc::new(system_time), on_durable: None }
    }
}

/// The chain as the sequencer last left it, shared with readers. `None` once the engine has
/// stopped and handed the chain back.
#[derive(Clone)]
pub struct ChainView(Arc<RwLock<Option<Chain>>>);

impl ChainView {
    /// A view of `chain` for readers (a node that does not sequence: it follows the journal).
    pub fn new(chain: Chain) -> ChainView {
        ChainView(Arc::new(RwLock::new(Some(chain))))
    }

    /// Runs `f` on the chain under the write lock (the follower applying a block).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut Chain) -> T) -> Result<T, Refusal> {
        let mut g = self.0.write().unwrap_or_else(|e| e.into_inner());
        match g.as_mut() {
            Some(c) => Ok(f(c)),
            None => Err(Refusal::new(Code::ApiShuttingDown, "the engine has stopped")),
        }
    }

    /// Puts a recovered chain in (a node that stepped down and recovered from the journal).
    pub(crate) fn put(&self, chain: Chain) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(chain);
    }

    /// Takes the chain out, for an engine to take over (readers wait on the lock meanwhile).
    pub(crate) fn take(&self) -> Option<Chain> {
        self.0.write().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Runs `f` on the chain under the read lock (keep `f` short: the sequencer waits for it).
    pub fn read<T>(&self, f: impl FnOnce(&Chain) -> T) -> Result<T, Refusal> {
        let g = self.0.read().unwrap_or_else(|e| e.into_inner());
        match g.as_ref() {
            Some(c) => Ok(f(c)),
            None => Err(Refusal::new(Code::ApiShuttingDown, "the engine has stopped")),
        }
    }
}

/// The number of transactions queued for the sequencer, bounded by the capacity.
struct QueueGauge {
    queued: Mutex<usize>,
    freed: Condvar,
    capacity: usize,
}

impl QueueGauge {
    /// Reserves room for `n`, waiting while the queue is full. A batch larger than the whole
    /// capacity waits for an empty queue.
    fn reserve_wait(&self, n: usize) {
        let mut q = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        while *q > 0 && *q + n > self.capacity {
            q = self.freed.wait(q).unwrap_or_else(|e| e.into_inner());
        }
        *q += n;
    }
    /// Reserves room for `n` or says the queue is full.
    fn try_reserve(&self, n: usize) -> bool {
        let mut q = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        if *q > 0 && *q + n > self.capacity {
            return false;
        }
        *q += n;
        true
    }
    fn release(&self, n: usize) {
        let mut q = self.queued.lock().unwrap_or_else(|e| e.into_inner());
        *q = q.saturating_sub(n);
        self.freed.notify_all();
    }
    fn depth(&self) -> usize {
        *self.queued.lock().unwrap_or_else(|e| e.into_inner())
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
    Async(tokio::sync::oneshot::Sender<Answer>),
}

impl Reply {
    fn send(mut self, answer: Answer) {
        match self.0.take() {
            Some(ReplyTo::One(tx)) => {
                let _ = tx.send(answer);
            }
            Some(ReplyTo::Batch(b, i)) => b.fill(i, answer),
            Some(ReplyTo::Async(tx)) => {
                let _ = tx.send(answer);
            }
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

/// The journal writer's thread: it hands the ledger back when it stops.
type WriterThread<J> = JoinHandle<Result<Ledger<J>, Refusal>>;

/// The pipelined ledger over the journal `J` (by default the SQLite [`Store`]).
pub struct Engine<J: Journal = Store> {
    intake: RwLock<Option<Sender<Vec<Pending>>>>,
    sequencer: Mutex<Option<JoinHandle<()>>>,
    writer: Mutex<Option<WriterThread<J>>>,
    pub times: Arc<Mutex<StageTimes>>,
    chain: ChainView,
    durable: Arc<DurableHeight>,
    gauge: Arc<QueueGauge>,
    /// Signature checks of single submissions, coalesced (started on first use).
    coalescer: std::sync::OnceLock<Coalescer>,
}

/// The height of the last durable block, with a way to wait for it to reach a height.
/// Also carries the journal's fatal failure, once there is one: every waiter wakes and gets it.
pub struct DurableHeight {
    height: AtomicU64,
    watch: tokio::sync::watch::Sender<u64>,
    failure: Mutex<Option<Refusal>>,
}

impl DurableHeight {
    pub fn new(height: u64) -> DurableHeight {
        DurableHeight {
            height: AtomicU64::new(height),
            watch: tokio::sync::watch::channel(height).0,
            failure: Mutex::new(None),
        }
    }
    pub fn get(&self) -> u64 {
        self.height.load(Ordering::Acquire)
    }
    pub(crate) fn set(&self, h: u64) {
        self.height.store(h, Ordering::Release);
        self.watch.send_replace(h);
    }
    /// Records that the journal can no longer be written and wakes every waiter.
    pub(crate) fn fail(&self, why: Refusal) {
        {
            let mut f = self.failure.lock().unwrap_or_else(|e| e.into_inner());
            // The first failure is the cause; anything after it is a consequence.
            match f.as_ref() {
                Some(_) => tracing::debug!("a later journal failure after the first"),
                None => *f = Some(why),
            }
        }
        self.watch.send_modify(|_| {});
    }
    /// Why the journal stopped being written, if it did: the engine accepts nothing after.
    pub fn failure(&self) -> Option<Refusal> {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    /// A node that stepped down and recovered from the journal starts over at `height`.
    pub(crate) fn restart_at(&self, height: u64) {
        *self.failure.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.set(height);
    }
    /// Resolves once the block at `height` is durable (or the engine stops or fails: then an
    /// error).
    pub async fn reached(&self, height: u64) -> Result<(), Refusal> {
        if self.get() >= height {
            return Ok(());
        }
        if let Some(f) = self.failure() {
            return Err(f);
        }
        let mut rx = self.watch.subscribe();
        let waited = rx.wait_for(|h| *h >= height || self.failure().is_some()).await.map(|_| ());
        if let Some(f) = self.failure() {
            if self.get() < height {
                return Err(f);
            }
        }
        waited.map_err(|_| Refusal::new(Code::ApiShuttingDown, "the engine stopped"))
    }
}

impl<J: Journal + 'static> Engine<J> {
    pub fn start(ledger: Ledger<J>, config: Config) -> Self {
        let height = ledger.chain.height();
        Self::start_on(ledger, config, None, Arc::new(DurableHeight::new(height)))
    }

    /// Starts on the view and durable height readers already hold (a standby node taking
    /// over: its readers keep their handles). `view`'s chain, if any, is replaced by the
    /// ledger's.
    pub fn start_on(ledger: Ledger<J>, config: Config, view: Option<ChainView>, durable: Arc<DurableHeight>) -> Self {
        // Submissions travel in batches: one channel operation per batch, not per transaction.
        // The gauge bounds the queue in transactions; the channel only carries them.
        let (intake_tx, intake_rx) = crossbeam_channel::unbounded::<Vec<Pending>>();
        let gauge = Arc::new(QueueGauge {
            queued: Mutex::new(0),
            freed: Condvar::new(),
            capacity: config.queue_capacity.max(1),
        });
        durable.set(ledger.chain.height());
        // A `None` block carries only refusals (nothing to record): they are answered in order
        // with the blocks around them, once what came before is durable.
        let (block_tx, block_rx) = bounded::<(Option<Block>, Vec<(Admission, Reply)>, Option<Snapshot>)>(4);
        let times = Arc::new(Mutex::new(StageTimes::default()));
        // The sequencer owns the chain; the writer owns the store. They meet through blocks.
        let last_snapshot = ledger.last_snapshot();
        let Ledger { chain, store, snapshot_every_blocks, .. } = ledger;
        // The sequencer hands the chain back through this when it stops; if it died, the
        // sender is dropped and the writer learns it instead of waiting forever.
        let shared = match view {
            Some(v) => {
                *v.0.write().unwrap_or_else(|e| e.into_inner()) = Some(chain);
                v
            }
            None => ChainView::new(chain),
        };
        let (chain_back, chain_rx) = bounded::<Chain>(1);
        let t1 = times.clone();
        let seq_gauge = gauge.clone();
        let seq_chain = shared.clone();
        let max = config.max_block_txs;
        let clock = config.clock.clone();
        let sequencer = std::thread::Builder::new()
            .name("tessera-sequencer".into())
            .spawn(move || {
                let mut last_snap = last_snapshot;
                while let Ok(mut batch) = intake_rx.recv() {
                    while batch.len() < max {
                        match intake_rx.try_recv() {
                            Ok(more) => batch.extend(more),
                            Err(_) => break,
                        }
                    }
                    seq_gauge.release(batch.len());
                    let start = Instant::now();
                    let (txs, replies): (Vec<_>, Vec<_>) = batch.into_iter().map(|p| (p.tx, p.reply)).unzip();
                    let mut guard = seq_chain.0.write().unwrap_or_else(|e| e.into_inner());
                    let Some(chain) = guard.as_mut() else { break };
                    let (block, admissions) = chain.try_build_block(clock(), txs);
                    {
                        let mut t = t1.lock().unwrap_or_else(|e| e.into_inner());
                        t.execute_ns += start.elapsed().as_nanos() as u64;
                        t.blocks += u64::from(block.is_some());
                    }
                    // A snapshot travels with its block and is stored only once the block is.
                    let snapshot = (block.is_some()
                        && snapshot_every_blocks > 0
                        && chain.height() >= last_snap + snapshot_every_blocks)
                        .then(|| {
                            last_snap = chain.height();
                            Snapshot {
                                height: chain.height(),
                                digest: chain.state.digest(),
                                state: borsh::to_vec(&chain.state).unwrap_or_default(),
                            }
                        });
                    drop(guard);
                    if block_tx.send((block, admissions.into_iter().zip(replies).collect(), snapshot)).is_err() {
                        break;
                    }
                }
                let taken = seq_chain.0.write().unwrap_or_else(|e| e.into_inner()).take();
                if let Some(chain) = taken {
                    let _ = chain_back.send(chain);
                }
            })
            .expect("spawn sequencer thread");
        let t2 = times.clone();
        let on_durable = config.on_durable.clone();
        let writer_durable = durable.clone();
        let writer = std::thread::Builder::new()
            .name("tessera-writer".into())
            .spawn(move || {
                let mut store = store;
                let checkpointer = store.spawn_checkpointer(Duration::from_millis(1000)).ok().flatten();
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
                        answers.push((b.as_ref().map(|b: &Block| b.header.height), a));
                        blocks.extend(b);
                        snapshots.extend(snap);
                    }
                    let result = if blocks.is_empty() { Ok(()) } else { store.append(&blocks) };
                    if result.is_ok() {
                        for snap in &snapshots {
                            // A snapshot only saves replay time: failing to store one loses nothing.
                            if let Err(e) = store.put_snapshot(snap) {
                                tracing::warn!(height = snap.height, error = %e, "could not store a snapshot");
                            }
                        }
                    }
                    {
                        let mut t = t2.lock().unwrap_or_else(|e| e.into_inner());
                        t.journal_ns += start.elapsed().as_nanos() as u64;
                        t.commits += u64::from(!blocks.is_empty());
                    }
                    if result.is_ok() {
                        if let Some(hook) = &on_durable {
                            hook(&blocks);
                        }
                        if let Some(last) = blocks.last() {
                            writer_durable.set(last.header.height);
                        }
                    }
                    let fatal = result.err().map(|e| {
                        let r = Refusal::new(
                            e.code(),
                            format!("the journal could not be written, so the node stopped accepting work: {e}"),
                        );
                        tracing::error!(code = %r.code, reason = %r.message, "journal commit failed; no longer accepting work");
                        writer_durable.fail(r.clone());
                        r
                    });
                    let mut in_group = blocks.iter();
                    for (height, answers) in answers {
                        let block = height.and_then(|_| in_group.next());
                        debug_assert_eq!(block.map(|b| b.header.height), height);
                        for (admission, reply) in answers {
                            let answer = match (&fatal, admission, block) {
                                (Some(f), _, _) => Err(f.clone()),
                                (None, Admission::Refused(r), _) => Err(r),
                                (None, Admission::Included(i), Some(block)) => {
                                    Ok((block.header.height, block.body.receipts[i].clone()))
                                }
                                (None, Admission::Included(_), None) => {
                                    unreachable!("an included transaction travels with its block")
                                }
                            };
                            reply.send(answer);
                        }
                    }
                    if let Some(f) = fatal {
                        // Not durable: stop, so nothing later is acknowledged on top of a gap.
                        return Err(f);
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
        Engine {
            intake: RwLock::new(Some(intake_tx)),
            sequencer: Mutex::new(Some(sequencer)),
            writer: Mutex::new(Some(writer)),
            times,
            chain: shared,
            durable,
            gauge,
            coalescer: std::sync::OnceLock::new(),
        }
    }

    /// The chain as last executed (possibly ahead of [`Engine::durable`]).
    pub fn chain(&self) -> ChainView {
        self.chain.clone()
    }

    pub fn durable(&self) -> Arc<DurableHeight> {
        self.durable.clone()
    }

    /// Transactions waiting for the sequencer.
    pub fn queue_depth(&self) -> usize {
        self.gauge.depth()
    }

    /// Takes already-checked transactions without waiting: if the queue has no room for all of
    /// them, takes none and refuses with `api.busy` (nothing is lost; the caller retries).
    /// Refusals from the door checks are answered through their receivers at once.
    pub fn try_submit(
        &self,
        checked: Vec<Result<CheckedTx, Refusal>>,
    ) -> Result<Vec<tokio::sync::oneshot::Receiver<Answer>>, Refusal> {
        let n = checked.iter().filter(|c| c.is_ok()).count();
        if n > 0 && !self.gauge.try_reserve(n) {
            return Err(Refusal::new(
                Code::ApiBusy,
                format!("the sequencer queue is full ({} transactions waiting)", self.gauge.capacity),
            ));
        }
        let mut receivers = Vec::with_capacity(checked.len());
        let items = checked
            .into_iter()
            .map(|c| {
                let (reply, rx) = tokio::sync::oneshot::channel();
                receivers.push(rx);
                (c, Reply(Some(ReplyTo::Async(reply))))
            })
            .collect();
        self.enqueue_reserved(items);
        Ok(receivers)
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

    /// Door checks for decoded transactions: stateless rules, then signatures batched and in
    /// parallel.
    pub fn check(&self, txs: Vec<SignedTx>) -> Vec<Result<CheckedTx, Refusal>> {
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

    /// Door checks for one decoded transaction (stateless rules, then its signature), batched
    /// with whatever other single submissions are waiting for a check at that moment: see
    /// [`Coalescer`]. A lone submission is checked alone, at once.
    pub async fn check_one(&self, tx: SignedTx) -> Result<CheckedTx, Refusal> {
        let c = self.coalescer.get_or_init(|| Coalescer::start(self.times.clone()));
        let (reply, rx) = tokio::sync::oneshot::channel();
        if let Err(e) = c.queue.send((tx, reply)) {
            // No verifier thread (none could be started): check here.
            return CheckedTx::from_decoded(e.0 .0);
        }
        rx.await.unwrap_or_else(|_| Err(Refusal::new(Code::StoreState, "a signature check stopped abnormally")))
    }

    /// Decodes raw bytes and queues them.
    pub fn submit_bytes(&self, bytes: &[u8]) -> Receiver<Answer> {
        let (reply, rx) = bounded(1);
        self.enqueue(vec![(CheckedTx::from_bytes(bytes), Reply(Some(ReplyTo::One(reply))))]);
        rx
    }

    /// Waits for room in the queue, then queues.
    fn enqueue(&self, items: Vec<(Result<CheckedTx, Refusal>, Reply)>) {
        let n = items.iter().filter(|(c, _)| c.is_ok()).count();
        if n > 0 {
            self.gauge.reserve_wait(n);
        }
        self.enqueue_reserved(items)
    }

    /// Answers refusals at once and queues the rest as one batch (room already reserved).
    fn enqueue_reserved(&self, items: Vec<(Result<CheckedTx, Refusal>, Reply)>) {
        let failure = self.durable.failure();
        let stopped =
            || failure.clone().unwrap_or_else(|| Refusal::new(Code::ApiShuttingDown, "the engine has stopped"));
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
        let n = pending.len();
        let intake = self.intake.read().unwrap_or_else(|e| e.into_inner());
        match intake.as_ref().filter(|_| self.durable.failure().is_none()) {
            Some(intake) => {
                if let Err(e) = intake.send(pending) {
                    self.gauge.release(n);
                    e.0.into_iter().for_each(|p| p.reply.send(Err(stopped())));
                }
            }
            None => {
                self.gauge.release(n);
                pending.into_iter().for_each(|p| p.reply.send(Err(stopped())))
            }
        }
    }

    /// Stops intake, drains every queued transaction into durable blocks, and returns the ledger.
    /// Callable once; later calls answer `api.shutting_down`.
    pub fn shutdown(&self) -> Result<Ledger<J>, Refusal> {
        self.intake.write().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(s) = self.sequencer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = s.join();
        }
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if writer.is_none() {
            return Err(Refusal::new(Code::ApiShuttingDown, "the engine was already stopped"));
        }
        match writer.map(|w| w.join()) {
            Some(Ok(r)) => r,
            _ => Err(Refusal::new(Code::StoreIo, "the journal writer stopped abnormally")),
        }
    }
}

type CheckReply = tokio::sync::oneshot::Sender<Result<CheckedTx, Refusal>>;

/// Coalesces the signature checks of transactions submitted one at a time (the HTTP node's
/// single submissions). One verifier thread per core waits for work; when it comes free it takes
/// everything waiting (up to [`tessera_core::crypto::VERIFY_BATCH`]) and checks it with one
/// batch verification, which costs a third to a half of single checks per signature and
/// reuses decompressed keys. Under load, batches form by themselves; a lone submission is
/// checked alone. The threads end when the engine is dropped.
struct Coalescer {
    queue: Sender<(SignedTx, CheckReply)>,
}

impl Coalescer {
    fn start(times: Arc<Mutex<StageTimes>>) -> Coalescer {
        let (queue, rx) = crossbeam_channel::unbounded::<(SignedTx, CheckReply)>();
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        for _ in 0..threads {
            let rx = rx.clone();
            let times = times.clone();
            let spawned = std::thread::Builder::new().name("tessera-verify".into()).spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut items = vec![first];
                    while items.len() < tessera_core::crypto::VERIFY_BATCH {
                        match rx.try_recv() {
                            Ok(more) => items.push(more),
                            Err(_) => break,
                        }
                    }
                    let start = Instant::now();
                    let (txs, replies): (Vec<SignedTx>, Vec<CheckReply>) = items.into_iter().unzip();
                    let checked = if txs.len() == 1 {
                        txs.into_iter().map(CheckedTx::from_decoded).collect()
                    } else {
                        CheckedTx::check_batch(txs)
                    };
                    times.lock().unwrap_or_else(|e| e.into_inner()).verify_ns += start.elapsed().as_nanos() as u64;
                    for (c, reply) in checked.into_iter().zip(replies) {
                        let _ = reply.send(c);
                    }
                }
            });
            // Without any thread the queue's receiver is gone and `check_one` checks inline.
            drop(spawned);
        }
        Coalescer { queue }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::block::demo_genesis;
    use tessera_core::crypto::Keypair;
    use tessera_core::op;
    use tessera_core::op::Op;
    use tessera_core::tx::TxBody;
    use tessera_core::{PartyId, PartyKind, Role};

    #[test]
    fn a_full_queue_refuses_with_busy_takes_nothing_and_loses_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let op = Keypair::insecure_from_name("busy-op");
        let t0 = Time(1_800_000_000);
        let g = demo_genesis("busy", t0, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
        let ledger = Ledger::create(&tmp.path().join("l"), &g).unwrap();
        let capacity = 4;
        let engine = Engine::start(
            ledger,
            Config { queue_capacity: capacity, clock: Arc::new(move || t0), ..Config::default() },
        );
        let tx = |seq: u64| {
            let ops = vec![Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(format!("p{seq}")),
                name: "P".into(),
                kind: PartyKind::Fund,
            })];
            let t = TxBody { network: "busy".into(), signer: op.wallet(), seq, expires_at: t0.plus(60), ops }.sign(&op);
            CheckedTx::from_decoded(t)
        };
        // A reader holding the chain stalls the sequencer after it takes its first batch.
        let reader = engine.chain.0.read().unwrap();
        let mut accepted = Vec::new();
        let mut busy = None;
        for seq in 1..=(capacity as u64 + 8) {
            match engine.try_submit(vec![tx(seq)]) {
                Ok(mut rx) => accepted.push(rx.pop().unwrap()),
                Err(r) => {
                    busy = Some((seq, r));
                    break;
                }
            }
        }
        let (seq, refusal) = busy.expect("the queue never filled");
        assert_eq!(refusal.code, Code::ApiBusy);
        assert!(engine.queue_depth() <= capacity);
        drop(reader);
        // Every accepted transaction commits; the refused one was never taken, so it can be
        // sent again with the same sequence number.
        for rx in accepted {
            assert!(rx.blocking_recv().unwrap().unwrap().1.is_ok());
        }
        let retry = engine.try_submit(vec![tx(seq)]).unwrap().pop().unwrap();
        assert!(retry.blocking_recv().unwrap().unwrap().1.is_ok());
        let ledger = engine.shutdown().unwrap();
        assert_eq!(ledger.chain.state.wallet(0).next_seq, seq + 1);
        // A stopped engine says so.
        assert_eq!(engine.shutdown().err().map(|r| r.code), Some(Code::ApiShuttingDown));
    }

    #[test]
    fn the_engine_commits_to_the_memory_journal_and_a_clean_stop_leaves_a_snapshot_there() {
        use tessera_store::{MemoryJournal, MemoryVolume};
        let volume = MemoryVolume::new();
        let op = Keypair::insecure_from_name("memory-op");
        let t0 = Time(1_800_000_000);
        let g = demo_genesis("memory", t0, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
        let ledger = Ledger::create_with(&g, |b| MemoryJournal::create(&volume, b)).unwrap();
        let engine = Engine::start(ledger, Config { clock: Arc::new(move || t0), ..Config::default() });
        let txs = (1..=3u64)
            .map(|seq| {
                let ops = vec![Op::RegisterParty(op::RegisterParty {
                    party: PartyId::new(format!("p{seq}")),
                    name: "P".into(),
                    kind: PartyKind::Fund,
                })];
                TxBody { network: "memory".into(), signer: op.wallet(), seq, expires_at: t0.plus(60), ops }.sign(&op)
            })
            .collect();
        let answers = engine.submit_batch(txs).wait();
        let heights: Vec<u64> = answers.into_iter().map(|a| a.unwrap().0).collect();
        let ledger = engine.shutdown().unwrap();
        let head = ledger.height();
        assert_eq!(heights.last(), Some(&head));
        // Every acknowledged block is in the volume, and a new writer recovers from the
        // snapshot the stop wrote, replaying nothing.
        drop(ledger);
        let (again, recovery) = Ledger::recover(MemoryJournal::open(&volume).unwrap()).unwrap();
        assert_eq!((again.height(), recovery.snapshot_height, recovery.replayed_blocks), (head, Some(head), 0));
    }
}
