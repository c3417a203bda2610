//! `tessera node`: run the HTTP node over a ledger made with `tessera init`.

use super::{bad, out, read_text};
use clap::Args;
use std::path::PathBuf;
use tessera_core::Refusal;

#[derive(Args)]
pub struct NodeArgs {
    /// TOML configuration file.
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Ledger data directory [default: tessera-data].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Where the journal lives instead of --data: a PostgreSQL URL (postgres://…). Several
    /// nodes may share one: one leads, the others wait as standbys (docs/operations.md).
    #[arg(long)]
    store: Option<String>,
    /// Follow the journal as a read replica: verify every block, serve reads, never write.
    #[arg(long)]
    pub follow: bool,
    /// Refuse to start unless the journal holds the ledger of this network.
    #[arg(long)]
    network: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
    /// Largest request body in bytes [default: 4194304].
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// Time limit per request in milliseconds [default: 10000].
    #[arg(long)]
    request_timeout_ms: Option<u64>,
    /// Requests per second per key; 0 = no limit [default: 5000].
    #[arg(long)]
    rate_limit_per_s: Option<u32>,
    /// Burst above the rate per key [default: 10000].
    #[arg(long)]
    rate_limit_burst: Option<u32>,
    /// Transactions waiting for the sequencer before `api.busy` [default: 65536].
    #[arg(long)]
    queue_capacity: Option<usize>,
    /// Most transactions per block [default: 8192].
    #[arg(long)]
    max_block_txs: Option<usize>,
    /// Access token lifetime in seconds [default: 900].
    #[arg(long)]
    token_ttl_s: Option<u64>,
    /// Log format: text or json [default: text].
    #[arg(long)]
    log_format: Option<String>,
    /// Log filter, e.g. info or tessera_node=debug [default: info].
    #[arg(long)]
    log_level: Option<String>,
    /// Print the resolved configuration and exit.
    #[arg(long)]
    print_config: bool,
}

pub fn execute(a: NodeArgs, json: bool) -> Result<(), Refusal> {
    use tessera_node::config::{LogFormat, NodeConfig, Overrides};
    let file = match &a.config {
        Some(p) => Some(read_text(p)?),
        None => None,
    };
    let log_format = match a.log_format.as_deref() {
        None => None,
        Some("text") => Some(LogFormat::Text),
        Some("json") => Some(LogFormat::Json),
        Some(other) => return Err(bad(format!("--log-format {other:?}: text or json"))),
    };
    let flags = Overrides {
        data: a.data,
        store: a.store,
        follow: a.follow.then_some(true),
        network: a.network,
        listen: a.listen,
        max_body_bytes: a.max_body_bytes,
        request_timeout_ms: a.request_timeout_ms,
        rate_limit_per_s: a.rate_limit_per_s,
        rate_limit_burst: a.rate_limit_burst,
        queue_capacity: a.queue_capacity,
        max_block_txs: a.max_block_txs,
        token_ttl_s: a.token_ttl_s,
        log_format,
        log_level: a.log_level,
    };
    let env = Overrides::from_env(|k| std::env::var(k).ok())?;
    let config = NodeConfig::resolve(file.as_deref(), env, flags)?;
    if a.print_config {
        out(json, &config, || serde_json::to_string_pretty(&config).unwrap_or_default());
        return Ok(());
    }
    tessera_node::api::run(config)
}
