//! The HTTP node (I3): JSON API v1 over the engine. This layer translates and authorizes; the
//! rules live in the state machine. Routes, their bodies and answers are described in
//! `openapi.json` (served at `/v1/openapi.json`; a test keeps the two in step).
//!
//! - Submissions are answered after their block is durable, with the receipt.
//! - Reads run on the last executed state under a short read lock and answer once that state
//!   is durable; journal reads use a small pool of read-only connections.
//! - Every refusal is a problem document (`application/problem+json`) with the stable code.

pub mod auth;
pub mod limits;
pub mod metrics;
pub mod problem;
mod routes;

pub use routes::{OPENAPI, ROUTES};

use crate::config::NodeConfig;
use crate::engine::{ChainView, Config as EngineConfig, DurableHeight, Engine};
use crate::ledger::{Ledger, Recovery};
use crate::txindex::TxIndex;
use auth::AuthKeys;
use axum::extract::DefaultBodyLimit;
use limits::RateLimiter;
use metrics::Metrics;
use problem::Problem;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tessera_core::exec::Chain;
use tessera_core::{Code, Refusal};
use tessera_store::Store;

/// Read-only journal connections kept for queries.
const READERS: usize = 4;

/// Everything the handlers share.
pub struct Api {
    engine: Engine,
    chain: ChainView,
    durable: Arc<DurableHeight>,
    network: String,
    readers: Vec<Mutex<Store>>,
    next_reader: AtomicUsize,
    /// Every journaled transaction's block, by id.
    txs: Arc<TxIndex>,
    auth: AuthKeys,
    limiter: RateLimiter,
    pub metrics: Arc<Metrics>,
    pub config: NodeConfig,
    stopping: AtomicBool,
    stop_signal: tokio::sync::watch::Sender<bool>,
}

impl Api {
    /// Opens (recovers) the ledger in `config.data` and starts the engine.
    pub fn start(config: NodeConfig) -> Result<(Arc<Api>, Recovery), Refusal> {
        let (ledger, recovery) = Ledger::open(&config.data)?;
        let network = ledger.chain.state.meta().network.clone();
        let readers =
            (0..READERS).map(|_| Store::open_read_only(&config.data).map(Mutex::new)).collect::<Result<Vec<_>, _>>()?;
        let metrics = Arc::new(Metrics::default());
        metrics.height.store(ledger.chain.height(), Ordering::Relaxed);
        let txs = Arc::new(TxIndex::build(&readers[0].lock().unwrap_or_else(|e| e.into_inner()))?);
        let (m, index) = (metrics.clone(), txs.clone());
        let engine = Engine::start(
            ledger,
            EngineConfig {
                max_block_txs: config.max_block_txs,
                queue_capacity: config.queue_capacity,
                on_durable: Some(Arc::new(move |blocks| {
                    index.add(blocks);
                    m.blocks_durable(blocks)
                })),
                ..EngineConfig::default()
            },
        );
        let api = Api {
            chain: engine.chain(),
            durable: engine.durable(),
            engine,
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
        };
        Ok((Arc::new(api), recovery))
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
        f: impl FnOnce(&Store) -> Result<T, Refusal> + Send + 'static,
    ) -> Result<T, Problem> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let i = me.next_reader.fetch_add(1, Ordering::Relaxed) % me.readers.len();
            let store = me.readers[i].lock().unwrap_or_else(|e| e.into_inner());
            f(&store)
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
    }

    /// Drains the engine: every queued transaction is made durable and answered.
    pub fn finish(&self) -> Result<Ledger, Refusal> {
        self.begin_stop();
        self.engine.shutdown()
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
) -> Result<Ledger, Refusal> {
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
    let ledger = tokio::task::spawn_blocking(move || a.finish())
        .await
        .map_err(|_| Refusal::new(Code::StoreIo, "the engine stopped abnormally"))??;
    tracing::info!(height = ledger.height(), "stopped; every accepted transaction is durable");
    Ok(ledger)
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
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
    rt.block_on(async move {
        let listen = config.listen.clone();
        let (api, recovery) = Api::start(config.clone())?;
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .map_err(|e| Refusal::new(Code::InputInvalid, format!("cannot listen on {listen}: {e}")))?;
        let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or(listen);
        tracing::info!(
            network = api.network(),
            height = api.durable.get(),
            data = %config.data.display(),
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
        serve(api, listener, shutdown_signal()).await.map(|_| ())
    })
}
