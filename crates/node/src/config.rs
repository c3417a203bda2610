//! The node's configuration: defaults, then a TOML file, then `TESSERA_*` environment
//! variables, then command-line flags — each later source overrides the earlier ones, field by
//! field. The same names are used everywhere: `max_body_bytes` in the file is
//! `TESSERA_MAX_BODY_BYTES` in the environment and `--max-body-bytes` on the command line.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use tessera_core::{Code, Refusal};

/// Every setting, resolved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeConfig {
    /// Ledger data directory (made with `tessera init`).
    pub data: PathBuf,
    /// Where the journal lives instead of the data directory: a PostgreSQL URL
    /// (`postgres://…`). Printed without its password.
    #[serde(serialize_with = "redacted")]
    pub store: Option<String>,
    /// Only follow the journal, verifying every block, and serve reads (a read replica);
    /// never sequence. Without it, a node on a PostgreSQL journal that another node writes
    /// waits as a standby and takes over when that writer stops.
    pub follow: bool,
    /// The network the journal must belong to: a node pointed at another network's database
    /// refuses to start (`store.other_network`). Unset: any.
    pub network: Option<String>,
    /// Address to listen on.
    pub listen: String,
    /// Largest request body accepted (bytes).
    pub max_body_bytes: usize,
    /// Time limit for one request (milliseconds); the event stream is exempt.
    pub request_timeout_ms: u64,
    /// Sustained requests per second allowed per key (a token's wallet, a transaction's
    /// signer, or the client address when anonymous); 0 turns rate limiting off.
    pub rate_limit_per_s: u32,
    /// Requests a key may make at once above the sustained rate.
    pub rate_limit_burst: u32,
    /// Transactions that may wait for the sequencer before submissions get `api.busy`.
    pub queue_capacity: usize,
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Lifetime of an access token (seconds).
    pub token_ttl_s: u64,
    /// Logs as text for people or one JSON object per line.
    pub log_format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `tessera_node=debug`.
    pub log_level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            data: PathBuf::from("tessera-data"),
            store: None,
            follow: false,
            network: None,
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 4 * 1024 * 1024,
            request_timeout_ms: 10_000,
            rate_limit_per_s: 5_000,
            rate_limit_burst: 10_000,
            queue_capacity: 65_536,
            max_block_txs: 8_192,
            token_ttl_s: 900,
            log_format: LogFormat::Text,
            log_level: "info".into(),
        }
    }
}

/// One source's settings: every field optional (absent = keep what earlier sources said).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    pub data: Option<PathBuf>,
    pub store: Option<String>,
    pub follow: Option<bool>,
    pub network: Option<String>,
    pub listen: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub request_timeout_ms: Option<u64>,
    pub rate_limit_per_s: Option<u32>,
    pub rate_limit_burst: Option<u32>,
    pub queue_capacity: Option<usize>,
    pub max_block_txs: Option<usize>,
    pub token_ttl_s: Option<u64>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<String>,
}

macro_rules! fields {
    ($m:ident) => {
        $m!(
            data,
            listen,
            max_body_bytes,
            request_timeout_ms,
            rate_limit_per_s,
            rate_limit_burst,
            queue_capacity,
            max_block_txs,
            token_ttl_s,
            log_format,
            log_level
        )
    };
}

fn redacted<S: serde::Serializer>(store: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match store {
        None => s.serialize_none(),
        Some(url) => match tessera_store::Location::parse(url) {
            Ok(at) => s.serialize_some(&at.describe()),
            Err(_) => s.serialize_some("(not a valid store URL)"),
        },
    }
}

fn bad(msg: impl Into<String>) -> Refusal {
    Refusal::new(Code::InputInvalid, msg)
}

impl Overrides {
    /// A TOML configuration file's settings.
    pub fn from_toml(text: &str) -> Result<Overrides, Refusal> {
        toml::from_str(text).map_err(|e| bad(format!("configuration file: {e}")))
    }

    /// `TESSERA_<FIELD>` variables, read through `var` (the process environment in use).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Overrides, Refusal> {
        let mut o = Overrides::default();
        macro_rules! read {
            ($($f:ident),*) => {$(
                let name = format!("TESSERA_{}", stringify!($f).to_ascii_uppercase());
                if let Some(v) = var(&name) {
                    o.$f = Some(parse_value(&name, &v)?);
                }
            )*};
        }
        fields!(read);
        if let Some(v) = var("TESSERA_STORE") {
            o.store = Some(v);
        }
        if let Some(v) = var("TESSERA_NETWORK") {
            o.network = Some(v);
        }
        if let Some(v) = var("TESSERA_FOLLOW") {
            o.follow = Some(parse_value("TESSERA_FOLLOW", &v)?);
        }
        Ok(o)
    }

    fn apply(self, c: &mut NodeConfig) {
        if let Some(s) = self.store {
            c.store = Some(s);
        }
        if let Some(f) = self.follow {
            c.follow = f;
        }
        if let Some(n) = self.network {
            c.network = Some(n);
        }
        macro_rules! apply {
            ($($f:ident),*) => {$(
                if let Some(v) = self.$f {
                    c.$f = v;
                }
            )*};
        }
        fields!(apply);
    }
}

/// Parses one environment value with the same rules as the file (a TOML value, or a bare
/// string).
fn parse_value<T: serde::de::DeserializeOwned>(name: &str, v: &str) -> Result<T, Refusal> {
    #[derive(Deserialize)]
    struct One<T> {
        v: T,
    }
    let as_toml = |s: &str| toml::from_str::<One<T>>(&format!("v = {s}")).map(|o| o.v);
    as_toml(v)
        .or_else(|_| as_toml(&toml_string(v)))
        .map_err(|_| bad(format!("{name}={v:?} is not a valid value for this setting")))
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl NodeConfig {
    /// Defaults ← file ← environment ← flags.
    pub fn resolve(file: Option<&str>, env: Overrides, flags: Overrides) -> Result<NodeConfig, Refusal> {
        let mut c = NodeConfig::default();
        if let Some(text) = file {
            Overrides::from_toml(text)?.apply(&mut c);
        }
        env.apply(&mut c);
        flags.apply(&mut c);
        c.check()?;
        Ok(c)
    }

    fn check(&self) -> Result<(), Refusal> {
        if self.max_body_bytes < 1024 {
            return Err(bad("max_body_bytes must be at least 1024"));
        }
        if self.request_timeout_ms == 0 || self.token_ttl_s == 0 || self.queue_capacity == 0 || self.max_block_txs == 0
        {
            return Err(bad("request_timeout_ms, token_ttl_s, queue_capacity and max_block_txs must be positive"));
        }
        if let Some(url) = &self.store {
            tessera_store::Location::parse(url).map_err(Refusal::from)?;
        }
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(bad(format!("listen {:?} is not an address such as 127.0.0.1:8080", self.listen)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_sources_override_earlier_ones_field_by_field() {
        let file = "listen = \"127.0.0.1:9000\"\nrate_limit_per_s = 10\nlog_format = \"json\"\n";
        let env = Overrides::from_env(|k| match k {
            "TESSERA_RATE_LIMIT_PER_S" => Some("20".into()),
            "TESSERA_LOG_LEVEL" => Some("debug".into()),
            _ => None,
        })
        .unwrap();
        let flags = Overrides { log_level: Some("warn".into()), ..Overrides::default() };
        let c = NodeConfig::resolve(Some(file), env, flags).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000"); // file over default
        assert_eq!(c.rate_limit_per_s, 20); // env over file
        assert_eq!(c.log_level, "warn"); // flag over env
        assert_eq!(c.log_format, LogFormat::Json); // file, nothing later
        assert_eq!(c.max_body_bytes, NodeConfig::default().max_body_bytes); // default
    }

    #[test]
    fn bad_settings_are_refused_with_their_name() {
        assert!(Overrides::from_toml("no_such_setting = 1").is_err());
        let e = Overrides::from_env(|k| (k == "TESSERA_MAX_BODY_BYTES").then(|| "lots".into())).unwrap_err();
        assert!(e.message.contains("TESSERA_MAX_BODY_BYTES"));
        let flags = Overrides { listen: Some("nowhere".into()), ..Overrides::default() };
        assert!(NodeConfig::resolve(None, Overrides::default(), flags).is_err());
    }
}
