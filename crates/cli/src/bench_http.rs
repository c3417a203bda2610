//! `tessera bench http`: the HTTP node measured over loopback by a load generator in this
//! process. The node runs as a `tessera node` child process by default (its own runtime,
//! threads and allocator, as deployed), or in this process on a tokio runtime of its own; rate
//! limits are off either way. Clients keep many HTTP/1.1 connections open (hyper), each sending
//! requests back to back. Every transaction is signed, encoded and wrapped in its JSON body
//! before the clock starts: what is timed is the node (and the client's HTTP work).
//!
//! Three phases, one after the other:
//! - single submissions, `POST /v1/transactions`, each answered only once its block is durable;
//! - optionally (`--batch N`) the same number of transfers in batches, `/v1/transactions/batch`;
//! - authenticated reads, `GET /v1/wallets/{w}/balances` with bearer tokens of several wallets.
//!
//! Each connection owns a fixed set of signing wallets and sends their transfers in sequence
//! order, so no transfer can arrive before the one it follows. `503 api.busy` answers are
//! retried (and counted); every other non-200 answer is counted by status and code.

use clap::{Args, ValueEnum};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{header, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_core::crypto::Keypair;
use tessera_core::*;

use crate::bench::{measure_ed25519, Setup};

#[derive(Args, Clone, Debug)]
pub struct HttpArgs {
    /// Funded wallets; each connection signs with its own share of them.
    #[arg(long, default_value_t = 10_000)]
    pub wallets: usize,
    /// Signed transfers submitted one per request.
    #[arg(long, default_value_t = 100_000)]
    pub txs: usize,
    /// Keep-alive connections, each sending requests back to back. A submission is answered
    /// only once its block is fsynced, so throughput ≤ connections / latency: enough of them
    /// must be in flight to fill each group commit.
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Authenticated balance reads.
    #[arg(long, default_value_t = 200_000)]
    pub reads: usize,
    /// Wallets whose tokens the reads use (spread over the connections).
    #[arg(long, default_value_t = 16)]
    pub readers: usize,
    /// Also submit --txs more transfers in batches of N through /v1/transactions/batch
    /// (at most 4096; 0 skips this phase).
    #[arg(long, default_value_t = 0)]
    pub batch: usize,
    /// Connections of the batch phase (each batch is a large request; a few in flight fill
    /// the sequencer's blocks).
    #[arg(long, default_value_t = 8)]
    pub batch_connections: usize,
    /// Where the node runs: a `tessera node` child process, or in this process on a runtime
    /// of its own.
    #[arg(long, value_enum, default_value_t = ServerMode::Process)]
    pub server: ServerMode,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// Worker threads of the node's runtime (0: one per core, the node's default).
    #[arg(long, default_value_t = 0)]
    pub server_threads: usize,
    /// The `tessera` executable to run as the node (default: this one).
    #[arg(long, hide = true)]
    pub node_exe: Option<PathBuf>,
}

impl Default for HttpArgs {
    fn default() -> Self {
        HttpArgs {
            wallets: 10_000,
            txs: 100_000,
            connections: 256,
            reads: 200_000,
            readers: 16,
            batch: 0,
            batch_connections: 8,
            server: ServerMode::Process,
            client_threads: 1,
            server_threads: 0,
            node_exe: None,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerMode {
    /// `tessera node` as a child process.
    Process,
    /// `tessera_node::api::serve` on its own tokio runtime inside this process.
    InProcess,
}

/// The targets, printed beside the figures (never asserted).
#[derive(Serialize)]
pub struct Targets {
    pub submit_tx_per_s: f64,
    pub latency_ms_p99: f64,
    pub read_req_per_s: f64,
}

const TARGETS: Targets = Targets { submit_tx_per_s: 20_000.0, latency_ms_p99: 25.0, read_req_per_s: 30_000.0 };

/// One timed phase.
#[derive(Serialize, Default, Clone)]
pub struct Phase {
    /// Requests answered (a retried `api.busy` counts once, when finally answered).
    pub requests: u64,
    /// Transactions committed (submissions) or reads answered 200.
    pub ok: u64,
    /// Transactions a batch answered 200 reported as not committed.
    pub not_committed: u64,
    pub seconds: f64,
    /// `ok` per second.
    pub per_s: f64,
    /// Request sent → response received (including any busy retries), per request.
    pub latency_ms_p50: f64,
    pub latency_ms_p99: f64,
    pub latency_ms_max: f64,
    /// Non-200 answers by "status code" (e.g. "409 tx.sequence_gap"); busy answers that were
    /// retried appear here too.
    pub non_200: BTreeMap<String, u64>,
    pub busy_retries: u64,
    pub transport_errors: u64,
    pub first_error: Option<String>,
    /// Blocks the ledger grew by during the phase, and `ok` per block.
    pub blocks: u64,
    pub ok_per_block: f64,
    /// CPU seconds used meanwhile by the node and by the load generator.
    pub server_cpu_s: f64,
    pub client_cpu_s: f64,
    /// CPU seconds used meanwhile by everything else on the machine (figures are only
    /// comparable when this is near zero).
    pub other_cpu_s: f64,
    /// CPU microseconds per transaction committed (or read answered): the node's, the load
    /// generator's.
    pub server_cpu_us_per_ok: f64,
    pub client_cpu_us_per_ok: f64,
    /// The node's CPU seconds by thread name (tokio workers are `tessera-http`).
    pub server_cpu_by_thread: BTreeMap<String, f64>,
}

#[derive(Serialize)]
pub struct HttpReport {
    pub server: String,
    pub rate_limit_per_s: u32,
    pub cores: usize,
    /// The machine's 1-minute load average just before the node started.
    pub load_average_1m: f64,
    pub wallets: usize,
    pub connections: usize,
    pub client_threads: usize,
    pub txs: usize,
    /// Signed transfers answered 200 per second, one per request, each after its block is
    /// durable.
    pub submit_tx_per_s: f64,
    pub latency_ms_p50: f64,
    pub latency_ms_p99: f64,
    pub batch: usize,
    pub batch_connections: usize,
    pub batch_submit_tx_per_s: Option<f64>,
    pub reads: usize,
    pub readers: usize,
    pub read_req_per_s: f64,
    pub read_latency_ms_p50: f64,
    pub read_latency_ms_p99: f64,
    /// Non-200 answers over all phases, by status and code.
    pub non_200: BTreeMap<String, u64>,
    pub busy_retries: u64,
    pub verify_single_per_s_per_core: f64,
    pub verify_batch_per_s_per_core: f64,
    /// `submit_tx_per_s / (verify_single_per_s_per_core × cores)`.
    pub ratio_submit_to_verify_single: f64,
    /// `batch_submit_tx_per_s / (verify_batch_per_s_per_core × cores)`.
    pub ratio_batch_to_verify_batch: Option<f64>,
    /// This disk's `fdatasync` after a 4 KiB append (where the ledger lives): every answered
    /// submission waits for at least one, so one connection cannot submit faster than about
    /// one transaction per fsync.
    pub fsync_ms_p50: f64,
    pub fsync_ms_max: f64,
    pub targets: Targets,
    pub submit: Phase,
    pub batch_submit: Option<Phase>,
    pub read: Phase,
    pub setup_seconds: f64,
    pub sign_seconds: f64,
}

/// Most transactions in one batch request (the node's limit).
const MAX_BATCH: usize = 4_096;

fn err(e: impl std::fmt::Display) -> Refusal {
    Refusal::new(Code::StoreIo, format!("bench http: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The node under test

struct Node {
    addr: SocketAddr,
    pid: u32,
    kind: NodeKind,
    description: String,
    stopped: bool,
}

enum NodeKind {
    Child(std::process::Child),
    InProcess {
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<Result<(), Refusal>>>,
    },
}

impl Node {
    fn start(dir: &Path, a: &HttpArgs, log: &Path) -> Result<Node, Refusal> {
        match a.server {
            ServerMode::Process => Node::child(dir, a, log),
            ServerMode::InProcess => Node::in_process(dir, a),
        }
    }

    fn child(dir: &Path, a: &HttpArgs, log: &Path) -> Result<Node, Refusal> {
        let exe = match &a.node_exe {
            Some(p) => p.clone(),
            None => std::env::current_exe().map_err(err)?,
        };
        // A free port: bound, read, released (the node binds it a moment later).
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(err)?.port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut cmd = std::process::Command::new(&exe);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("TESSERA_") {
                cmd.env_remove(k);
            }
        }
        if a.server_threads > 0 {
            cmd.env("TOKIO_WORKER_THREADS", a.server_threads.to_string());
        }
        let log_file = std::fs::File::create(log).map_err(err)?;
        cmd.arg("node")
            .arg("--data")
            .arg(dir)
            .args(["--listen", &addr.to_string(), "--rate-limit-per-s", "0", "--log-level", "warn"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log_file);
        let child = cmd.spawn().map_err(|e| err(format!("cannot start {}: {e}", exe.display())))?;
        let pid = child.id();
        let threads = if a.server_threads > 0 { a.server_threads.to_string() } else { "one per core".into() };
        let mut node = Node {
            addr,
            pid,
            kind: NodeKind::Child(child),
            stopped: false,
            description: format!(
                "child process `tessera node --rate-limit-per-s 0` (tokio workers: {threads}), load generator in this process"
            ),
        };
        if let Err(e) = node.wait_ready() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            node.stop();
            return Err(err(format!("the node did not become ready: {}; its log: {log}", e.message)));
        }
        Ok(node)
    }

    fn in_process(dir: &Path, a: &HttpArgs) -> Result<Node, Refusal> {
        use tessera_node::config::NodeConfig;
        let config = NodeConfig { data: dir.to_path_buf(), rate_limit_per_s: 0, ..NodeConfig::default() };
        let workers = if a.server_threads > 0 { a.server_threads } else { cores() };
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<Result<SocketAddr, Refusal>>();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bench-node".into())
            .spawn(move || -> Result<(), Refusal> {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .enable_all()
                    .thread_name("tessera-http")
                    .build()
                    .map_err(err)?;
                rt.block_on(async move {
                    let started = async {
                        let (api, _recovery) = tessera_node::api::Api::start(config)?;
                        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(err)?;
                        let addr = listener.local_addr().map_err(err)?;
                        Ok::<_, Refusal>((api, listener, addr))
                    }
                    .await;
                    let (api, listener) = match started {
                        Ok((api, listener, addr)) => {
                            let _ = addr_tx.send(Ok(addr));
                            (api, listener)
                        }
                        Err(e) => {
                            let _ = addr_tx.send(Err(e.clone()));
                            return Err(e);
                        }
                    };
                    tessera_node::api::serve(api, listener, async move {
                        let _ = stop_rx.await;
                    })
                    .await
                    .map(|_| ())
                })
            })
            .map_err(err)?;
        let addr = addr_rx.recv().map_err(|_| err("the in-process node stopped while starting"))??;
        let mut node = Node {
            addr,
            pid: std::process::id(),
            kind: NodeKind::InProcess { stop: Some(stop), thread: Some(thread) },
            stopped: false,
            description: format!(
                "in-process `tessera_node::api::serve` on its own tokio runtime ({workers} workers), load generator on another"
            ),
        };
        node.wait_ready()?;
        Ok(node)
    }

    /// Polls `GET /ready` until it answers 200 (up to a minute: the node recovers first).
    fn wait_ready(&mut self) -> Result<(), Refusal> {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(err)?;
        let deadline = Instant::now() + Duration::from_secs(60);
        let addr = self.addr;
        loop {
            if let NodeKind::Child(c) = &mut self.kind {
                if let Ok(Some(status)) = c.try_wait() {
                    return Err(err(format!("the node exited with {status}")));
                }
            }
            let ready = rt.block_on(async {
                let mut c = connect(addr).await.ok()?;
                let req = Request::get("/ready").header(header::HOST, addr.to_string()).body(Full::new(Bytes::new()));
                let (status, _) = send(&mut c, req.ok()?).await.ok()?;
                Some(status == StatusCode::OK)
            });
            if ready == Some(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(err("no 200 from /ready within 60 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the node gracefully (SIGTERM for the child; it drains and snapshots).
    fn stop(&mut self) {
        if std::mem::replace(&mut self.stopped, true) {
            return;
        }
        match &mut self.kind {
            NodeKind::Child(c) => {
                let termed = std::process::Command::new("kill")
                    .args(["-TERM", &c.id().to_string()])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
                let deadline = Instant::now() + Duration::from_secs(30);
                while termed && Instant::now() < deadline {
                    if let Ok(Some(_)) = c.try_wait() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                let _ = c.kill();
                let _ = c.wait();
            }
            NodeKind::InProcess { stop, thread } => {
                if let Some(s) = stop.take() {
                    let _ = s.send(());
                }
                if let Some(t) = thread.take() {
                    let _ = t.join();
                }
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc

/// Clock ticks per second of /proc times (USER_HZ, 100 on Linux).
const TICKS_PER_S: f64 = 100.0;

/// CPU seconds of every live thread of `pid`: thread id → (name, seconds).
fn thread_cpu(pid: u32) -> HashMap<u32, (String, f64)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return out };
    for entry in dir.flatten() {
        let Ok(tid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = stat[open + 1..close].to_string();
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // Fields 14 and 15 (utime, stime); the slice starts at field 3.
        let ticks: f64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum();
        out.insert(tid, (name, ticks / TICKS_PER_S));
    }
    out
}

/// CPU seconds of a whole process (live and exited threads).
fn process_cpu(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    let Some(close) = stat.rfind(')') else { return 0.0 };
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum::<f64>() / TICKS_PER_S
}

/// Threads of the load generator's runtime (only in the in-process mode do both share a pid).
const CLIENT_THREAD: &str = "bench-client";

/// Busy CPU seconds of the whole machine (all cores; idle and iowait excluded).
fn machine_busy() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return 0.0 };
    let Some(line) = stat.lines().next() else { return 0.0 };
    let v: Vec<f64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy: f64 = v.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, x)| x).sum();
    busy / TICKS_PER_S
}

/// The 1-minute load average.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(0.0)
}

struct CpuMark {
    threads: HashMap<u32, (String, f64)>,
    server_total: f64,
    client_total: f64,
    machine: f64,
}

fn cpu_mark(node: &Node) -> CpuMark {
    let me = std::process::id();
    CpuMark {
        threads: thread_cpu(node.pid),
        server_total: process_cpu(node.pid),
        client_total: process_cpu(me),
        machine: machine_busy(),
    }
}

fn cpu_since(node: &Node, before: &CpuMark, phase: &mut Phase) {
    let after = cpu_mark(node);
    let mut by_name: BTreeMap<String, f64> = BTreeMap::new();
    let (mut client_threads, mut server_threads) = (0.0, 0.0);
    for (tid, (name, s)) in &after.threads {
        let used = s - before.threads.get(tid).map(|b| b.1).unwrap_or(0.0);
        if used <= 0.0 {
            continue;
        }
        if name.starts_with(CLIENT_THREAD) {
            client_threads += used;
        } else {
            server_threads += used;
            *by_name.entry(name.clone()).or_default() += used;
        }
    }
    if node.pid == std::process::id() {
        // One process: split it by thread names.
        phase.server_cpu_s = server_threads;
        phase.client_cpu_s = client_threads;
    } else {
        phase.server_cpu_s = after.server_total - before.server_total;
        phase.client_cpu_s = after.client_total - before.client_total;
    }
    let ours = if node.pid == std::process::id() {
        after.client_total - before.client_total
    } else {
        phase.server_cpu_s + phase.client_cpu_s
    };
    phase.other_cpu_s = (after.machine - before.machine - ours).max(0.0);
    by_name.retain(|_, s| *s >= 0.005);
    phase.server_cpu_by_thread = by_name.into_iter().map(|(k, v)| (k, (v * 100.0).round() / 100.0)).collect();
}

// ---------------------------------------------------------------------------------------------
// The load generator

type Conn = SendRequest<Full<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Conn, String> {
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let (sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

async fn send(c: &mut Conn, req: Request<Full<Bytes>>) -> Result<(StatusCode, Bytes), String> {
    c.ready().await.map_err(|e| e.to_string())?;
    let res = c.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status();
    let body = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}

/// One request to make.
#[derive(Clone)]
struct Job {
    method: Method,
    path: Arc<str>,
    body: Bytes,
    token: Option<Arc<str>>,
}

impl Job {
    fn post(path: &str, body: String) -> Job {
        Job { method: Method::POST, path: path.into(), body: Bytes::from(body), token: None }
    }
    fn request(&self, host: &str) -> Result<Request<Full<Bytes>>, String> {
        let mut b = Request::builder().method(self.method.clone()).uri(&*self.path).header(header::HOST, host);
        if self.method == Method::POST {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(t) = &self.token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Full::new(self.body.clone())).map_err(|e| e.to_string())
    }
}

/// A connection's work: its jobs in order, the whole list `repeat` times.
struct Work {
    jobs: Vec<Job>,
    repeat: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// 200 = one transaction committed.
    One,
    /// 200 = a batch answer: `committed` of its transactions committed.
    Batch,
}

#[derive(Default)]
struct ConnStats {
    requests: u64,
    ok: u64,
    not_committed: u64,
    latencies_us: Vec<u32>,
    non_200: BTreeMap<String, u64>,
    busy_retries: u64,
    transport_errors: u64,
    first_error: Option<String>,
}

fn problem_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(|c| c.as_str()).map(str::to_string))
        .unwrap_or_else(|| "-".into())
}

#[derive(serde::Deserialize)]
struct BatchAnswer {
    committed: u64,
    not_committed: u64,
}

async fn drive(mut c: Conn, addr: SocketAddr, host: Arc<str>, work: Work, expect: Expect) -> ConnStats {
    let mut st = ConnStats { latencies_us: Vec::with_capacity(work.jobs.len() * work.repeat), ..ConnStats::default() };
    for _ in 0..work.repeat {
        for job in &work.jobs {
            let start = Instant::now();
            let mut reconnected = false;
            loop {
                let answer = match job.request(&host) {
                    Ok(req) => send(&mut c, req).await,
                    Err(e) => Err(e),
                };
                let (status, body) = match answer {
                    Ok(a) => a,
                    Err(e) => {
                        st.transport_errors += 1;
                        st.first_error.get_or_insert(e);
                        // Once: a fresh connection, then the same request again.
                        match (reconnected, connect(addr).await) {
                            (false, Ok(fresh)) => {
                                c = fresh;
                                reconnected = true;
                                continue;
                            }
                            _ => return st,
                        }
                    }
                };
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    let code = problem_code(&body);
                    if code == Code::ApiBusy.as_str() {
                        st.busy_retries += 1;
                        *st.non_200.entry(format!("503 {code} (retried)")).or_default() += 1;
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        continue;
                    }
                }
                st.requests += 1;
                st.latencies_us.push(start.elapsed().as_micros().min(u32::MAX as u128) as u32);
                if status == StatusCode::OK {
                    match expect {
                        Expect::One => st.ok += 1,
                        Expect::Batch => match serde_json::from_slice::<BatchAnswer>(&body) {
                            Ok(b) => {
                                st.ok += b.committed;
                                st.not_committed += b.not_committed;
                            }
                            Err(e) => {
                                st.first_error.get_or_insert(format!("unreadable batch answer: {e}"));
                            }
                        },
                    }
                } else {
                    *st.non_200.entry(format!("{} {}", status.as_u16(), problem_code(&body))).or_default() += 1;
                }
                break;
            }
        }
    }
    st
}

fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let i = ((sorted_us.len() as f64 * p).ceil() as usize).clamp(1, sorted_us.len()) - 1;
    sorted_us[i] as f64 / 1000.0
}

/// Opens one connection per work list, then starts the clock and runs them all at once.
fn run_phase(rt: &tokio::runtime::Runtime, node: &Node, works: Vec<Work>, expect: Expect) -> Result<Phase, Refusal> {
    let addr = node.addr;
    let host: Arc<str> = addr.to_string().into();
    let conns = rt.block_on(async {
        let mut v = Vec::with_capacity(works.len());
        for _ in 0..works.len() {
            v.push(connect(addr).await?);
        }
        Ok::<_, String>(v)
    });
    let conns = conns.map_err(|e| err(format!("cannot connect to {addr}: {e}")))?;
    let height0 = height(rt, addr)?;
    let cpu0 = cpu_mark(node);
    let start = Instant::now();
    let stats = rt.block_on(async {
        let tasks: Vec<_> =
            conns.into_iter().zip(works).map(|(c, w)| tokio::spawn(drive(c, addr, host.clone(), w, expect))).collect();
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.unwrap_or_default());
        }
        out
    });
    let seconds = start.elapsed().as_secs_f64();
    let mut phase = Phase { seconds, ..Phase::default() };
    cpu_since(node, &cpu0, &mut phase);
    phase.blocks = height(rt, addr)?.saturating_sub(height0);
    let mut lat = Vec::new();
    for s in stats {
        phase.requests += s.requests;
        phase.ok += s.ok;
        phase.not_committed += s.not_committed;
        phase.busy_retries += s.busy_retries;
        phase.transport_errors += s.transport_errors;
        if phase.first_error.is_none() {
            phase.first_error = s.first_error;
        }
        for (k, v) in s.non_200 {
            *phase.non_200.entry(k).or_default() += v;
        }
        lat.extend(s.latencies_us);
    }
    lat.sort_unstable();
    phase.per_s = phase.ok as f64 / seconds;
    phase.ok_per_block = if phase.blocks > 0 { phase.ok as f64 / phase.blocks as f64 } else { 0.0 };
    phase.server_cpu_us_per_ok = phase.server_cpu_s * 1e6 / phase.ok.max(1) as f64;
    phase.client_cpu_us_per_ok = phase.client_cpu_s * 1e6 / phase.ok.max(1) as f64;
    phase.latency_ms_p50 = percentile_ms(&lat, 0.50);
    phase.latency_ms_p99 = percentile_ms(&lat, 0.99);
    phase.latency_ms_max = percentile_ms(&lat, 1.0);
    Ok(phase)
}

/// The ledger's height (`GET /v1/status`).
fn height(rt: &tokio::runtime::Runtime, addr: SocketAddr) -> Result<u64, Refusal> {
    rt.block_on(async {
        let mut c = connect(addr).await?;
        let job = Job { method: Method::GET, path: "/v1/status".into(), body: Bytes::new(), token: None };
        let (status, body) = send(&mut c, job.request(&addr.to_string())?).await?;
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        v["height"].as_u64().ok_or_else(|| format!("status: {status} {v}"))
    })
    .map_err(|e: String| err(format!("the ledger's height: {e}")))
}

/// Splits signed transfers over connections by signer (wallet `j % n` signs transfer `j`), so
/// each wallet's transfers travel in order on one connection; `batch` > 0 groups them.
fn submission_works(txs: &[tx::SignedTx], first: usize, n: usize, conns: usize, batch: usize) -> Vec<Work> {
    let mut per_conn: Vec<Vec<String>> = (0..conns).map(|_| Vec::new()).collect();
    for (k, tx) in txs.iter().enumerate() {
        let j = first + k;
        per_conn[(j % n) % conns].push(hex::encode(tx.to_bytes()));
    }
    per_conn
        .into_iter()
        .filter(|hexes| !hexes.is_empty())
        .map(|hexes| {
            let jobs = if batch == 0 {
                hexes.into_iter().map(|h| Job::post("/v1/transactions", format!("{{\"tx\":\"{h}\"}}"))).collect()
            } else {
                hexes
                    .chunks(batch)
                    .map(|c| Job::post("/v1/transactions/batch", format!("{{\"txs\":[\"{}\"]}}", c.join("\",\""))))
                    .collect()
            };
            Work { jobs, repeat: 1 }
        })
        .collect()
}

/// Bearer tokens for `keys` (challenge, signature, token), and one checked read each.
fn tokens(rt: &tokio::runtime::Runtime, addr: SocketAddr, keys: &[&Keypair]) -> Result<Vec<Arc<str>>, Refusal> {
    let host = addr.to_string();
    rt.block_on(async {
        let mut c = connect(addr).await?;
        let mut out = Vec::new();
        for k in keys {
            let w = k.wallet().to_hex();
            let post = |path: &str, body: serde_json::Value| Job::post(path, body.to_string());
            let (s, body) =
                send(&mut c, post("/v1/auth/challenge", serde_json::json!({"wallet": w})).request(&host)?).await?;
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            let challenge = v["challenge"].as_str().ok_or(format!("challenge: {s} {v}"))?.to_string();
            let signature = hex::encode(k.sign(challenge.as_bytes()));
            let req = post(
                "/v1/auth/token",
                serde_json::json!({"wallet": w, "challenge": challenge, "signature": signature}),
            );
            let (s, body) = send(&mut c, req.request(&host)?).await?;
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            let token: Arc<str> = v["token"].as_str().ok_or(format!("token: {s} {v}"))?.into();
            let read = Job {
                method: Method::GET,
                path: format!("/v1/wallets/{w}/balances").into(),
                body: Bytes::new(),
                token: Some(token.clone()),
            };
            let (s, body) = send(&mut c, read.request(&host)?).await?;
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            if s != StatusCode::OK || v.as_array().is_none_or(|a| a.is_empty()) {
                return Err(format!("balances of {w}: {s} {v}"));
            }
            out.push(token);
        }
        Ok(out)
    })
    .map_err(|e: String| err(format!("authentication: {e}")))
}

/// This disk's fsync latency where the ledger lives: 4 KiB appended, then `fdatasync`, 40
/// times; (p50, max) in milliseconds. Every answered submission waits for at least one.
pub(crate) fn measure_fsync(dir: &Path) -> (f64, f64) {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let Ok(mut f) = std::fs::File::create(&path) else { return (0.0, 0.0) };
    let page = [7u8; 4096];
    let mut us: Vec<u32> = Vec::with_capacity(40);
    for _ in 0..40 {
        if f.write_all(&page).is_err() {
            break;
        }
        let t = Instant::now();
        if f.sync_data().is_err() {
            break;
        }
        us.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }
    drop(f);
    let _ = std::fs::remove_file(&path);
    us.sort_unstable();
    (percentile_ms(&us, 0.5), percentile_ms(&us, 1.0))
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|c| c.get()).unwrap_or(1)
}

/// Runs the three phases and returns the figures (`show`: progress on stderr).
pub fn measure(a: &HttpArgs, show: bool) -> Result<HttpReport, Refusal> {
    let say = |s: &str| {
        if show {
            eprintln!("{s}");
        }
    };
    let n = a.wallets.max(2);
    let conns = a.connections.clamp(1, n);
    let batch = a.batch.min(MAX_BATCH);
    let tmp = tempfile::tempdir().map_err(err)?;
    let dir = tmp.path().join("ledger");
    let setup_start = Instant::now();
    let setup = Setup::create(&dir, n, show)?;
    let setup_seconds = setup_start.elapsed().as_secs_f64();
    say(&format!("signing {} transfers", a.txs + if batch > 0 { a.txs } else { 0 }));
    let sign_start = Instant::now();
    let single = setup.sign_transfers_from(0, a.txs);
    let batched = if batch > 0 { setup.sign_transfers_from(a.txs, a.txs) } else { Vec::new() };
    let single_works = submission_works(&single, 0, n, conns, 0);
    let batch_conns = a.batch_connections.clamp(1, n);
    let batch_works = if batch > 0 { submission_works(&batched, a.txs, n, batch_conns, batch) } else { Vec::new() };
    drop((single, batched));
    let sign_seconds = sign_start.elapsed().as_secs_f64();
    let Setup { mut ledger, keys, .. } = setup;
    // The node starts from this snapshot without replaying the setup.
    ledger.snapshot()?;
    drop(ledger);
    say("measuring ed25519 and fsync on this machine");
    let (verify_single, verify_batch) = measure_ed25519();
    let (fsync_ms_p50, fsync_ms_max) = measure_fsync(tmp.path());

    let load_average_1m = load_average();
    let node = Node::start(&dir, a, &tmp.path().join("node.log"))?;
    say(&format!("node: {} on {}", node.description, node.addr));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.client_threads.max(1))
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()
        .map_err(err)?;

    say(&format!("submitting {} transfers, one per request, over {conns} connections", a.txs));
    let submit = run_phase(&rt, &node, single_works, Expect::One)?;
    let batch_submit = if batch > 0 {
        say(&format!("submitting {} transfers in batches of {batch} over {batch_conns} connections", a.txs));
        Some(run_phase(&rt, &node, batch_works, Expect::Batch)?)
    } else {
        None
    };

    let readers: Vec<&Keypair> = keys.iter().take(a.readers.clamp(1, n)).collect();
    let tokens = tokens(&rt, node.addr, &readers)?;
    say(&format!("reading balances {} times with {} tokens over {conns} connections", a.reads, tokens.len()));
    let read_works: Vec<Work> = (0..conns)
        .map(|c| {
            let r = c % readers.len();
            let job = Job {
                method: Method::GET,
                path: format!("/v1/wallets/{}/balances", readers[r].wallet().to_hex()).into(),
                body: Bytes::new(),
                token: Some(tokens[r].clone()),
            };
            Work { jobs: vec![job], repeat: a.reads / conns + usize::from(c < a.reads % conns) }
        })
        .filter(|w| w.repeat > 0)
        .collect();
    let read = run_phase(&rt, &node, read_works, Expect::One)?;
    drop(rt);
    let mut node = node;
    node.stop();

    let mut non_200 = BTreeMap::new();
    for p in [Some(&submit), batch_submit.as_ref(), Some(&read)].into_iter().flatten() {
        for (k, v) in &p.non_200 {
            *non_200.entry(k.clone()).or_default() += v;
        }
    }
    let busy_retries = submit.busy_retries + read.busy_retries + batch_submit.as_ref().map_or(0, |b| b.busy_retries);
    let cores = cores();
    Ok(HttpReport {
        server: node.description.clone(),
        rate_limit_per_s: 0,
        cores,
        load_average_1m,
        wallets: n,
        connections: conns,
        client_threads: a.client_threads.max(1),
        txs: a.txs,
        submit_tx_per_s: submit.per_s,
        latency_ms_p50: submit.latency_ms_p50,
        latency_ms_p99: submit.latency_ms_p99,
        batch,
        batch_connections: batch_conns,
        batch_submit_tx_per_s: batch_submit.as_ref().map(|b| b.per_s),
        reads: a.reads,
        readers: readers.len(),
        read_req_per_s: read.per_s,
        read_latency_ms_p50: read.latency_ms_p50,
        read_latency_ms_p99: read.latency_ms_p99,
        non_200,
        busy_retries,
        verify_single_per_s_per_core: verify_single,
        verify_batch_per_s_per_core: verify_batch,
        ratio_submit_to_verify_single: submit.per_s / (verify_single * cores as f64),
        ratio_batch_to_verify_batch: batch_submit.as_ref().map(|b| b.per_s / (verify_batch * cores as f64)),
        fsync_ms_p50,
        fsync_ms_max,
        targets: TARGETS,
        submit,
        batch_submit,
        read,
        setup_seconds,
        sign_seconds,
    })
}

fn cpu_line(p: &Phase) -> String {
    let threads: Vec<String> = p.server_cpu_by_thread.iter().map(|(k, v)| format!("{k} {v:.2}")).collect();
    format!(
        "node {:.2} s ({}), load generator {:.2} s, other processes {:.2} s, over {:.2} s\n                        = node {:.0} µs, load generator {:.0} µs per answer",
        p.server_cpu_s,
        threads.join(", "),
        p.client_cpu_s,
        p.other_cpu_s,
        p.seconds,
        p.server_cpu_us_per_ok,
        p.client_cpu_us_per_ok,
    )
}

fn answers_line(p: &Phase) -> String {
    let mut parts: Vec<String> = p.non_200.iter().map(|(k, v)| format!("{v} × {k}")).collect();
    if p.not_committed > 0 {
        parts.push(format!("{} not committed inside 200 batch answers", p.not_committed));
    }
    if p.transport_errors > 0 {
        parts.push(format!("{} transport errors ({})", p.transport_errors, p.first_error.as_deref().unwrap_or("")));
    }
    let answers = if parts.is_empty() { "all 200".into() } else { parts.join(", ") };
    if p.blocks > 0 {
        format!("{answers}; {} blocks, {:.0} transfers per block", p.blocks, p.ok_per_block)
    } else {
        answers
    }
}

pub fn run(a: HttpArgs, json: bool) -> Result<HttpReport, Refusal> {
    let r = measure(&a, crate::progress::shown(json))?;
    if json {
        say!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        return Ok(r);
    }
    let t = &r.targets;
    say!(
        "http: {} wallets, {} keep-alive connections, {} cores (load average {:.2} before the run); rate limits off\n  node                  {}\n  submit (POST /v1/transactions, one signed transfer each, answered once durable)\n    throughput          {:>10.0} tx/s        target ≥ {:.0}\n    latency p50 / p99   {:>10.2} / {:.2} ms   target p99 < {:.0} ms\n    answers             {}\n    cpu                 {}",
        r.wallets,
        r.connections,
        r.cores,
        r.load_average_1m,
        r.server,
        r.submit_tx_per_s,
        t.submit_tx_per_s,
        r.latency_ms_p50,
        r.latency_ms_p99,
        t.latency_ms_p99,
        answers_line(&r.submit),
        cpu_line(&r.submit),
    );
    if let Some(b) = &r.batch_submit {
        say!(
            "  batch submit (POST /v1/transactions/batch, {} per request, {} connections)\n    throughput          {:>10.0} tx/s\n    latency p50 / p99   {:>10.2} / {:.2} ms per request\n    answers             {}\n    cpu                 {}",
            r.batch,
            r.batch_connections,
            b.per_s,
            b.latency_ms_p50,
            b.latency_ms_p99,
            answers_line(b),
            cpu_line(b),
        );
    }
    say!(
        "  reads (GET /v1/wallets/{{w}}/balances, {} bearer tokens)\n    throughput          {:>10.0} req/s       target ≥ {:.0}\n    latency p50 / p99   {:>10.2} / {:.2} ms\n    answers             {}\n    cpu                 {}\n  ed25519 on this CPU   {:.0} single / {:.0} batched verifications per s per core\n  fsync on this disk    {:.2} ms p50, {:.2} ms max (4 KiB append + fdatasync)\n  ratio                 submit / (single × cores) = {:.2}{}",
        r.readers,
        r.read_req_per_s,
        t.read_req_per_s,
        r.read_latency_ms_p50,
        r.read_latency_ms_p99,
        answers_line(&r.read),
        cpu_line(&r.read),
        r.verify_single_per_s_per_core,
        r.verify_batch_per_s_per_core,
        r.fsync_ms_p50,
        r.fsync_ms_max,
        r.ratio_submit_to_verify_single,
        r.ratio_batch_to_verify_batch.map(|x| format!(", batch / (batched × cores) = {x:.2}")).unwrap_or_default(),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bench's logic at toy size (no figures checked): every submission and read is
    /// answered 200.
    #[test]
    fn small_run_answers_everything() {
        let a = HttpArgs {
            wallets: 40,
            txs: 200,
            connections: 2,
            reads: 200,
            readers: 2,
            batch: 50,
            server: ServerMode::InProcess,
            ..HttpArgs::default()
        };
        let r = measure(&a, false).unwrap();
        assert_eq!(r.submit.ok, 200, "{:?}", r.non_200);
        assert_eq!(r.batch_submit.as_ref().map(|b| b.ok), Some(200), "{:?}", r.non_200);
        assert_eq!(r.read.ok, 200, "{:?}", r.non_200);
        assert!(r.non_200.is_empty(), "{:?}", r.non_200);
        assert_eq!(r.submit.transport_errors + r.read.transport_errors, 0);
    }
}
