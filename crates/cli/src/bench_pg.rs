//! `tessera bench transfers --store postgres://…`: the journal in a database of the
//! benchmark's own on the server named, the server's replication settings printed beside the
//! figures (did each commit wait for a standby?), and the ledger a user would build instead
//! on PostgreSQL — two UPDATEs and an INSERT per transfer, no signatures — measured in the same
//! run by the peer script `shared/peers/pg_naive_ledger.sh`.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use tessera_core::Refusal;
use tessera_store::{Location, PgUrl, StoreError};

/// A fresh database `tessera_bench_<pid>_<n>` on the server of the URL given (created through
/// the URL's own database), dropped when this is dropped.
pub struct BenchDatabase {
    server: PgUrl,
    name: String,
    pub url: PgUrl,
}

impl BenchDatabase {
    /// Creates the database; the URL's role needs `CREATEDB`.
    pub fn create(server: &PgUrl) -> Result<BenchDatabase, Refusal> {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("tessera_bench_{}_{n}", std::process::id());
        server.admin_session()?.batch_execute(&format!("CREATE DATABASE {name}")).map_err(StoreError::from)?;
        Ok(BenchDatabase { url: server.with_database(&name)?, server: server.clone(), name })
    }

    pub fn location(&self) -> Location {
        Location::Postgres(Box::new(self.url.clone()))
    }

    /// Bytes of the ledger's tables (blocks and snapshots, with their indexes and TOAST).
    pub fn journal_bytes(&self) -> Result<u64, Refusal> {
        let row = self
            .url
            .admin_session()?
            .query_one(
                "SELECT coalesce(sum(pg_total_relation_size(oid)), 0)::bigint FROM pg_class \
                 WHERE relkind = 'r' AND relname LIKE 'tessera\\_%'",
                &[],
            )
            .map_err(StoreError::from)?;
        Ok(row.try_get::<_, i64>(0).map_err(StoreError::from)?.max(0) as u64)
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        let dropped = self
            .server
            .admin_session()
            .and_then(|mut c| Ok(c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))?));
        if let Err(e) = dropped {
            eprintln!("bench: could not drop the database {} on {}: {e}", self.name, self.server.describe());
        }
    }
}

/// What decides whether a commit waited for a standby, as the server reports it.
#[derive(Clone, Debug, Default)]
pub struct Replication {
    /// `synchronous_standby_names`: empty means no commit waits for any standby.
    pub synchronous_standby_names: String,
    /// The server's default `synchronous_commit` (the journal's sessions set `on` whatever it is).
    pub synchronous_commit: String,
    /// Standbys streaming as synchronous (`pg_stat_replication.sync_state` sync or quorum) at
    /// the end of the run; 0 also when this role may not read that view.
    pub synchronous_standbys: i64,
}

pub fn replication(url: &PgUrl) -> Result<Replication, Refusal> {
    let mut c = url.admin_session()?;
    let mut show = |setting: &str| -> Result<String, Refusal> {
        Ok(c.query_one(&format!("SHOW {setting}"), &[]).and_then(|r| r.try_get(0)).map_err(StoreError::from)?)
    };
    let (synchronous_standby_names, synchronous_commit) =
        (show("synchronous_standby_names")?, show("synchronous_commit")?);
    let synchronous_standbys = c
        .query_one("SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')", &[])
        .and_then(|r| r.try_get(0))
        .map_err(StoreError::from)?;
    Ok(Replication { synchronous_standby_names, synchronous_commit, synchronous_standbys })
}

/// The peer script's figures (it prints more; these are the ones set beside Tessera's).
#[derive(Deserialize, Clone, Copy, Debug)]
pub struct NaiveFigures {
    pub uniform_tx_per_s: f64,
    pub hot_account_tx_per_s: f64,
}

/// Where the peer script is looked for when `--peer-script` is not given.
pub fn default_peer_script() -> PathBuf {
    let shared = Path::new("/work/shared/peers/pg_naive_ledger.sh");
    match shared.exists() {
        true => shared.to_path_buf(),
        false => Path::new("../shared/peers/pg_naive_ledger.sh").to_path_buf(),
    }
}

/// Runs the peer script (it starts and removes a throwaway cluster of its own); `Err` says why
/// there are no figures.
pub fn naive_ledger(script: &Path) -> Result<NaiveFigures, String> {
    if !script.exists() {
        return Err(format!("no peer script at {} (give --peer-script PATH)", script.display()));
    }
    let out = Command::new("bash").arg(script).output().map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).unwrap_or_default();
    serde_json::from_str(line)
        .map_err(|e| format!("{} printed no figures I can read ({e}): {stdout}", script.display()))
}
