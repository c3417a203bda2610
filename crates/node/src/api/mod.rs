//! The HTTP node (I3): JSON API v1 over the engine. This layer translates and authorizes; the
//! rules live in the state machine. Routes, their bodies and answers are described by the
//! OpenAPI document generated from them (`contract`, served at `/v1/openapi.json`).
//!
//! - Submissions are answered after their block is durable, with the receipt.
//! - Reads run on the last executed state under a short read lock and answer once that state
//!   is durable; journal reads use a small pool of read-only connections.
//! - Every refusal is a problem document (`application/problem+json`) with the stable code.

pub mod auth;
pub mod console;
pub mod contract;
pub mod limits;
pub mod metrics;
pub mod problem;
mod routes;

pub use routes::ROUTES;

use crate::audit::Audit;
use crate::config::NodeConfig;
use crate::engine::{ChainView, Config as EngineConfig, DurableHeight, Engine};
use crate::follow::Tail;
use crate::ledger::{Ledger, Recovery};
use crate::txindex::TxIndex;
use auth::AuthKeys;
use axum::extract::DefaultBodyLimit;
use limits::RateLimiter;
use metrics::Metrics;
use problem::Problem;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::RwLock;
use std::sync::{Arc, Mutex};
use tessera_core::exec::Chain;
use tessera_core::{Code, Refusal};
use tessera_store::{Journal, Location};

/// Read-only journal connections kept for queries.
const READERS: usize = 4;

/// How often a standby or a read replica looks for new blocks (and a standby for the lock).
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// The journal as the node holds it: a data directory's SQLite file or a PostgreSQL database.
type AnyJournal = Box<dyn Journal>;

/// What a node does with its journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Sequences transactions and writes the journal (it holds the writer's lock).
    Leader,
    /// Follows the journal another node writes, serves reads, and takes over when that
    /// writer's lock is released.
    Standby,
    /// A read replica: follows and verifies the journal, serves reads, never writes.
    Follower,
}

/// Everything the handlers share.
pub struct Api {
    /// Set while this node leads (from start, or once a standby takes over; taken away when a
    /// leader on a shared journal steps down).
    engine: RwLock<Option<Arc<Engine<AnyJournal>>>>,
    /// Where the journal is (a standby reopens it after stepping down).
    at: Location,
    role: Mutex<NodeRole>,
    chain: ChainView,
    durable: Arc<DurableHeight>,
    network: String,
    readers: Vec<Mutex<AnyJournal>>,
    next_reader: AtomicUsize,
    /// Every journaled transaction's block, by id.
    txs: Arc<TxIndex>,
    auth: AuthKeys,
    limiter: RateLimiter,
    pub metrics: Arc<Metrics>,
    pub config: NodeConfig,
    stopping: AtomicBool,
    stop_signal: tokio::sync::watch::Sender<bool>,
    /// The thread following the journal (standby, follower).
    tail: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The background verifier (the console's "verified to height H").
    audit: Arc<Audit>,
    /// Refusals by day and rule (the console's compliance view), read from the journal once.
    refusals: crate::refusals::RefusalLog,
}

impl Api {
    /// Opens (recovers) the ledger at the configured store and starts: as the leader when it
    /// can take the writer's role; as a standby when another node holds it on a PostgreSQL
    /// journal; as a read replica with `follow`.
    pub fn start(config: NodeConfig) -> Result<(Arc<Api>, Recovery), Refusal> {
        let at = Location::of(config.store.as_deref(), &config.data)?;
        let (ledger, role) = if config.follow {
            (Ledger::open_read_only_at(&at)?, NodeRole::Follower)
        } else {
            match Ledger::open_at(&at) {
                Ok(opened) => (opened, NodeRole::Leader),
                Err(r) if r.code == Code::StoreLocked && matches!(at, Location::Postgres(_)) => {
                    tracing::info!(reason = %r.message, "another node writes this journal: starting as its standby");
                    (Ledger::open_read_only_at(&at)?, NodeRole::Standby)
                }
                Err(r) => return Err(r),
            }
        };
        let (ledger, recovery) = ledger;
        let network = ledger.chain.state.meta().network.clone();
        if let Some(expected) = config.network.as_ref().filter(|n| **n != network) {
            return Err(Refusal::new(
                Code::StoreOtherNetwork,
                format!("{} holds the ledger of network {network:?}, not {expected:?}", at.describe()),
            ));
        }
        let readers = (0..READERS).map(|_| at.open_read_only().map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        let metrics = Arc::new(Metrics::default());
        metrics.height.store(ledger.chain.height(), Ordering::Relaxed);
        let txs = Arc::new(TxIndex::build(&**readers[0].lock().unwrap_or_else(|e| e.into_inner()))?);
        let durable = Arc::new(DurableHeight::new(ledger.chain.height()));
        let (engine, chain, tail) = match role {
            NodeRole::Leader => {
                let engine = Engine::start_on(ledger, engine_config(&config, &txs, &metrics), None, durable.clone());
                let chain = engine.chain();
                (RwLock::new(Some(Arc::new(engine))), chain, None)
            }
            NodeRole::Standby | NodeRole::Follower => {
                let chain = ChainView::new(ledger.chain);
                let tail = Tail {
                    journal: ledger.store,
                    view: chain.clone(),
                    durable: durable.clone(),
                    on_durable: engine_config(&config, &txs, &metrics).on_durable,
                };
                (RwLock::new(None), chain, Some(tail))
            }
        };
        let api = Arc::new(Api {
            engine,
            at: at.clone(),
            role: Mutex::new(role),
            chain,
            durable,
            auth: AuthKeys::new(network.clone(), config.token_ttl_s),
            network,
            readers,
            next_reader: AtomicUsize::new(0),
            txs,
            limiter: RateLimiter::new(config.rate_limit_per_s, config.rate_limit_burst),
            metrics,
            config,
            stopping: AtomicBool::new(false),
            stop_signal: tokio::sync::watch::channel(false).0,
            tail: Mutex::new(None),
            audit: Audit::start(at.clone()),
            refusals: Default::default(),
        });
        if let Some(tail) = tail {
            let me = api.clone();
            let thread = std::thread::Builder::new()
                .name("tessera-follow".into())
                .spawn(move || me.follow(tail))
                .map_err(|e| Refusal::new(Code::StoreIo, format!("cannot start the follower: {e}")))?;
            *api.tail.lock().unwrap_or_else(|e| e.into_inner()) = Some(thread);
        } else {
            api.watch_leadership();
        }
        Ok((api, recovery))
    }

    /// On a journal other nodes share, a leader whose journal fails (fenced by a newer writer,
    /// its database lost, a commit its standby never confirmed) steps down to a standby
    /// instead of standing by refusing everything: the engine has already let go of the
    /// writer's lock, so another node can lead meanwhile.
    fn watch_leadership(self: &Arc<Self>) {
        if !matches!(self.at, Location::Postgres(_)) {
            return; // one writer per data directory: an operator restarts it (docs/guide.md)
        }
        let me = self.clone();
        let spawned = std::thread::Builder::new().name("tessera-leadership".into()).spawn(move || {
            while !me.stopping.load(Ordering::Acquire) {
                if let Some(why) = me.durable.failure() {
                    return me.step_down(why);
                }
                std::thread::sleep(FOLLOW_POLL);
            }
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot watch the leader's journal; a failure will need a restart");
        }
    }

    /// A leader whose journal failed becomes a standby: stops its engine, recovers the state
    /// from the journal as it is (the failed group was never acknowledged), and follows it.
    /// Until the journal can be read again, `/ready` and reads keep answering the failure.
    fn step_down(self: Arc<Self>, why: Refusal) {
        *self.role.lock().unwrap_or_else(|e| e.into_inner()) = NodeRole::Standby;
        let engine = self.engine.write().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(e) = engine {
            // The writer thread stopped on the failure; this joins both threads.
            let _ = e.shutdown();
        }
        tracing::warn!(code = %why.code, reason = %why.message, "the journal failed under this leader: stepping down to a standby");
        let mut said = false;
        let ledger = loop {
            if self.stopping.load(Ordering::Acquire) {
                return;
            }
            match Ledger::open_read_only_at(&self.at) {
                Ok((ledger, _)) => break ledger,
                Err(r) if !said => {
                    tracing::warn!(code = %r.code, reason = %r.message, "cannot reopen the journal yet; retrying");
                    said = true;
                }
                Err(_) => {}
            }
            std::thread::sleep(FOLLOW_POLL);
        };
        let height = ledger.chain.height();
        self.chain.put(ledger.chain);
        self.durable.restart_at(height);
        let tail = Tail {
            journal: ledger.store,
            view: self.chain.clone(),
            durable: self.durable.clone(),
            on_durable: engine_config(&self.config, &self.txs, &self.metrics).on_durable,
        };
        tracing::info!(height, "stepped down: following the journal as a standby");
        let me = self.clone();
        match std::thread::Builder::new().name("tessera-follow".into()).spawn(move || me.follow(tail)) {
            Ok(t) => *self.tail.lock().unwrap_or_else(|e| e.into_inner()) = Some(t),
            Err(e) => tracing::error!(error = %e, "cannot start following the journal"),
        }
    }

    /// The standby's and the read replica's loop: verify and apply new blocks; a standby also
    /// tries for the writer's role and, once it has it, starts sequencing on the state it
    /// verified.
    fn follow(self: Arc<Self>, mut tail: Tail) {
        // A database that cannot be reached is said once when it starts and once when it ends,
        // not every poll.
        let mut unreachable = false;
        let mut say = |problem: Option<Refusal>| match (problem, unreachable) {
            (Some(r), false) => {
                tracing::warn!(code = %r.code, reason = %r.message, "cannot reach the journal; retrying");
                unreachable = true;
            }
            (None, true) => {
                tracing::info!("the journal can be reached again");
                unreachable = false;
            }
            _ => {}
        };
        while !self.stopping.load(Ordering::Acquire) {
            match tail.catch_up() {
                Ok(_) => say(None),
                Err(r) if r.code == Code::VerifyMismatch => return,
                Err(r) => say(Some(r)),
            }
            if self.role() == NodeRole::Standby {
                match tail.journal.try_become_writer() {
                    Ok(true) => return self.take_over(tail),
                    Ok(false) => {}
                    Err(e) => say(Some(e.into())),
                }
            }
            std::thread::sleep(FOLLOW_POLL);
        }
    }

    /// A standby that just took the writer's role: applies what the deposed writer appended
    /// last (its final append finished before the term was raised), then starts the engine
    /// on the same view readers hold.
    fn take_over(self: Arc<Self>, mut tail: Tail) {
        if let Err(r) = tail.catch_up() {
            tracing::error!(code = %r.code, reason = %r.message, "took the writer's role but the journal does not verify; not leading");
            return;
        }
        let Some(chain) = tail.view.take() else { return };
        let height = chain.height();
        let term = tail.journal.fencing_term();
        let ledger = Ledger::from_parts(chain, tail.journal, crate::ledger::SNAPSHOT_EVERY_BLOCKS, height);
        let engine = Engine::start_on(
            ledger,
            engine_config(&self.config, &self.txs, &self.metrics),
            Some(tail.view),
            self.durable.clone(),
        );
        *self.engine.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(engine));
        *self.role.lock().unwrap_or_else(|e| e.into_inner()) = NodeRole::Leader;
        tracing::info!(height, term, "took over as the leader: sequencing from the last acknowledged block");
        self.watch_leadership();
    }

    pub fn role(&self) -> NodeRole {
        *self.role.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The engine, when this node leads; otherwise the refusal a submission gets.
    fn engine(&self) -> Result<Arc<Engine<AnyJournal>>, Problem> {
        let engine = self.engine.read().unwrap_or_else(|e| e.into_inner()).clone();
        match (engine, self.role()) {
            (Some(e), _) => Ok(e),
            (None, NodeRole::Follower) => Err(Problem::new(
                Code::ApiNotLeader,
                "this node is a read replica: it verifies and serves the journal but sequences nothing; \
                 submit to the leader",
            )),
            (None, _) => Err(Problem::new(
                Code::ApiNotLeader,
                "this node is a standby: another node writes the journal, and this one takes over if it \
                 stops; retry shortly or submit to the leader",
            )
            .retry_after(2)),
        }
    }

    /// Transactions waiting for the sequencer (0 on a node that does not lead).
    fn queue_depth(&self) -> usize {
        self.engine.read().unwrap_or_else(|e| e.into_inner()).as_ref().map(|e| e.queue_depth()).unwrap_or(0)
    }

    /// The height of the last durable block.
    pub fn durable_height(&self) -> u64 {
        self.durable.get()
    }

    pub fn network(&self) -> &str {
        &self.network
    }

    /// Runs `f` on the last executed state, then waits until that state is durable.
    async fn read<T>(&self, f: impl FnOnce(&Chain) -> Result<T, Refusal>) -> Result<T, Problem> {
        let (value, height) = self.chain.read(|c| (f(c), c.height()))?;
        self.durable.reached(height).await?;
        Ok(value?)
    }

    /// Runs `f` on a pooled journal connection, off the async workers.
    async fn journal<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&dyn Journal) -> Result<T, Refusal> + Send + 'static,
    ) -> Result<T, Problem> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let i = me.next_reader.fetch_add(1, Ordering::Relaxed) % me.readers.len();
            let store = me.readers[i].lock().unwrap_or_else(|e| e.into_inner());
            f(&**store)
        })
        .await
        .map_err(|_| Problem::new(Code::StoreIo, "a journal read stopped abnormally"))?
        .map_err(Problem::from)
    }

    fn refuse_if_stopping(&self) -> Result<(), Problem> {
        if self.stopping.load(Ordering::Acquire) {
            return Err(Problem::new(Code::ApiShuttingDown, "the node is shutting down").retry_after(5));
        }
        Ok(())
    }

    /// Stops taking new work and ends event streams; in-flight requests still finish.
    pub fn begin_stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.stop_signal.send_replace(true);
        self.audit.stop();
    }

    /// Drains the engine, if this node leads: every queued transaction is made durable and
    /// answered. Stops following otherwise. Returns the height reached.
    pub fn finish(&self) -> Result<u64, Refusal> {
        self.begin_stop();
        if let Some(t) = self.tail.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = t.join();
        }
        let engine = self.engine.read().unwrap_or_else(|e| e.into_inner()).clone();
        match engine {
            Some(e) => e.shutdown().map(|l| l.height()),
            None => Ok(self.durable.get()),
        }
    }
}

/// The router with every route and layer.
pub fn router(api: Arc<Api>) -> axum::Router {
    routes::router(api.clone()).layer(DefaultBodyLimit::max(api.config.max_body_bytes))
}

/// Serves until `shutdown` resolves, then stops gracefully: no new connections or submissions,
/// in-flight requests answered, the queue drained into durable blocks, a final snapshot.
pub async fn serve(
    api: Arc<Api>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<u64, Refusal> {
    let app = router(api.clone());
    let stopper = api.clone();
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: no new work; answering in-flight requests");
            stopper.begin_stop();
        })
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "the HTTP server stopped with an error");
    }
    let a = api.clone();
    let height = tokio::task::spawn_blocking(move || a.finish())
        .await
        .map_err(|_| Refusal::new(Code::StoreIo, "the engine stopped abnormally"))??;
    tracing::info!(height, "stopped; every accepted transaction is durable");
    Ok(height)
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called (inside the
/// runtime), not when the future is first polled: a signal sent the moment the node says it is
/// listening must already find them, or the default action would end the process undrained.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{signal, SignalKind};
        (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {},
                _ = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Sets up logging: text or one JSON object per line, filtered by `level`. Request logs carry
/// method, route, status and time — never headers, bodies, tokens or keys.
pub fn init_logging(config: &NodeConfig) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only for a person at a terminal: a log file or a collector gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = match config.log_format {
        crate::config::LogFormat::Json => builder.json().flatten_event(true).try_init(),
        crate::config::LogFormat::Text => builder.try_init(),
    };
}

/// `tessera node`: starts the engine and serves until Ctrl-C or SIGTERM.
pub fn run(config: NodeConfig) -> Result<(), Refusal> {
    init_logging(&config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tessera-http")
        .build()
        .map_err(|e| Refusal::new(Code::StoreIo, format!("cannot start the runtime: {e}")))?;
    // Recovery reads the journal through blocking clients (PostgreSQL's among them), so it
    // runs before the runtime takes this thread.
    let (api, recovery) = Api::start(config.clone())?;
    rt.block_on(async move {
        let listen = config.listen.clone();
        let shutdown = shutdown_signal();
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| Refusal::new(Code::InputInvalid, format!("cannot listen on {listen}: {e}")))?;
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or(listen);
        tracing::info!(
            network = api.network(),
            height = api.durable.get(),
            store = %Location::of(config.store.as_deref(), &config.data).map(|l| l.describe()).unwrap_or_default(),
            role = ?api.role(),
            snapshot = ?recovery.snapshot_height,
            replayed_blocks = recovery.replayed_blocks,
            "recovered"
        );
        for (h, why) in &recovery.skipped_snapshots {
            tracing::warn!(height = h, reason = %why, "skipped a damaged snapshot; replayed from an earlier point");
        }
        tracing::info!(
            listen = %addr,
            max_body_bytes = config.max_body_bytes,
            request_timeout_ms = config.request_timeout_ms,
            rate_limit_per_s = config.rate_limit_per_s,
            queue_capacity = config.queue_capacity,
            "listening"
        );
        serve(api, listener, shutdown).await.map(|_| ())
    })
}

/// The engine's settings for this node: its limits, and the hook that indexes every durable
/// block and counts it (the same hook the follower calls).
fn engine_config(config: &NodeConfig, txs: &Arc<TxIndex>, metrics: &Arc<Metrics>) -> EngineConfig {
    let (m, index) = (metrics.clone(), txs.clone());
    EngineConfig {
        max_block_txs: config.max_block_txs,
        queue_capacity: config.queue_capacity,
        on_durable: Some(Arc::new(move |blocks| {
            index.add(blocks);
            m.blocks_durable(blocks)
        })),
        ..EngineConfig::default()
    }
}
