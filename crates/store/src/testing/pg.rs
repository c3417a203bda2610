//! Real PostgreSQL servers for tests — never a mock.
//!
//! [`shared`] is the server the tests share: the primary CI started with `deploy/pg-ha.sh`
//! (its URL in `TESSERA_PG_PRIMARY`), or else a primary and synchronous standby this process
//! starts with the same script in a temporary directory (stopped when the process ends). Each
//! test takes a database of its own ([`fresh_database`]). [`Pair::start`] gives a test a pair
//! of its own, for faults that would disturb the others (killing the primary, promoting the
//! standby).
//!
//! Where this machine has no PostgreSQL server binaries, the functions return `None` and say
//! so once; with `TESSERA_PG_REQUIRED=1` (set by CI) they fail the test instead.

use crate::postgres::WRITER_LOCK;
use crate::{PgUrl, Result, StoreError};
use postgres::Client;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The deployment script the tests drive (the one operators use).
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/pg-ha.sh")
}

/// A primary and its synchronous standby (see the module documentation).
pub struct Pair {
    /// URL of the primary's `postgres` database.
    pub primary: String,
    /// URL of the standby's `postgres` database.
    pub standby: String,
    /// The clusters' directory (`deploy/pg-ha.sh` subcommands take it).
    pub dir: PathBuf,
    /// Stopped on drop when this process started it.
    owned: bool,
}

fn required() -> bool {
    std::env::var("TESSERA_PG_REQUIRED").is_ok_and(|v| v == "1")
}

fn no_server(why: String) -> Option<Pair> {
    if required() {
        panic!("TESSERA_PG_REQUIRED=1 but no PostgreSQL server: {why}");
    }
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| eprintln!("skipping the PostgreSQL tests: {why}"));
    None
}

fn has_binaries() -> bool {
    std::env::var_os("PG_BIN").is_some()
        || std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| d.flatten().any(|v| v.path().join("bin/initdb").exists()))
            .unwrap_or(false)
}

impl Pair {
    /// Starts a primary and synchronous standby of this test's own, with `deploy/pg-ha.sh`.
    pub fn start() -> Option<Pair> {
        if !has_binaries() {
            return no_server("this machine has no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)".into());
        }
        let dir = std::env::temp_dir().join(format!(
            "tessera-pg-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let out = Command::new("bash").arg(script()).arg("start").arg(&dir).output();
        let out = match out {
            Ok(o) if o.status.success() => o,
            Ok(o) => {
                return no_server(format!(
                    "deploy/pg-ha.sh start failed: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
            Err(e) => return no_server(format!("cannot run deploy/pg-ha.sh: {e}")),
        };
        let env = String::from_utf8_lossy(&out.stdout).to_string();
        let get = |k: &str| {
            env.lines().find_map(|l| l.strip_prefix(&format!("{k}=")).map(str::to_string)).unwrap_or_default()
        };
        // Stop the clusters when this process ends, even if it never drops the pair.
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; bash '{script}' stop '{dir}' >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            script = script().display(),
            dir = dir.display()
        );
        let _ = Command::new("setsid")
            .args(["sh", "-c", &watchdog])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        Some(Pair { primary: get("TESSERA_PG_PRIMARY"), standby: get("TESSERA_PG_STANDBY"), dir, owned: true })
    }

    /// Runs a `deploy/pg-ha.sh` subcommand on this pair (`kill-primary`, `promote`, `status`).
    pub fn run(&self, subcommand: &str) -> std::result::Result<String, String> {
        let out =
            Command::new("bash").arg(script()).arg(subcommand).arg(&self.dir).output().map_err(|e| e.to_string())?;
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).to_string()),
            false => Err(String::from_utf8_lossy(&out.stderr).to_string()),
        }
    }
}

impl Pair {
    /// Turns TLS on at the primary with a new self-signed certificate for 127.0.0.1 (made with
    /// the `openssl` command) and returns the certificate's path, the root a client trusts.
    /// From then on a client that does not trust it cannot connect (`sslmode=prefer` tries TLS
    /// and verifies), so make databases first.
    pub fn enable_tls(&self) -> std::result::Result<PathBuf, String> {
        let data = self.dir.join("primary");
        let (crt, key) = (data.join("server.crt"), data.join("server.key"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"])
            .args(["-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&crt)
            .output()
            .map_err(|e| format!("openssl: {e}"))?;
        if !made.status.success() {
            return Err(String::from_utf8_lossy(&made.stderr).to_string());
        }
        // The server runs as the owner of its data directory and reads a key only it can read.
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let owner = std::fs::metadata(&data).map_err(|e| e.to_string())?;
        for f in [&crt, &key] {
            std::os::unix::fs::chown(f, Some(owner.uid()), Some(owner.gid())).map_err(|e| e.to_string())?;
        }
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).map_err(|e| e.to_string())?;
        let mut admin = outside(&self.primary).map_err(|e| e.to_string())?;
        // Two statements: ALTER SYSTEM may not run inside a transaction block.
        for sql in ["ALTER SYSTEM SET ssl = on", "SELECT pg_reload_conf()"] {
            admin.batch_execute(sql).map_err(|e| StoreError::from(e).to_string())?;
        }
        // The reload is asynchronous: wait until the server says TLS is on.
        // (Asked on the session opened before: a new one would now try TLS, and this client
        // does not trust the new certificate.)
        for _ in 0..100 {
            let on: String = admin
                .query_one("SHOW ssl", &[])
                .and_then(|r| r.try_get(0))
                .map_err(|e| StoreError::from(e).to_string())?;
            if on == "on" {
                return Ok(crt);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err("the primary never turned TLS on".into())
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        if self.owned {
            let _ = self.run("stop");
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The server the tests share (see the module documentation), or `None` with the reason said.
pub fn shared() -> Option<&'static Pair> {
    static SHARED: OnceLock<Option<Pair>> = OnceLock::new();
    SHARED
        .get_or_init(|| match std::env::var("TESSERA_PG_PRIMARY") {
            Ok(primary) if !primary.is_empty() => Some(Pair {
                primary,
                standby: std::env::var("TESSERA_PG_STANDBY").unwrap_or_default(),
                dir: std::env::var_os("TESSERA_PG_DIR").map(PathBuf::from).unwrap_or_default(),
                owned: false,
            }),
            _ => Pair::start(),
        })
        .as_ref()
}

pub use crate::postgres::with_database;

/// A new, empty database on the shared server for one test: its URL.
pub fn fresh_database() -> Option<String> {
    let pair = shared()?;
    Some(fresh_database_on(&pair.primary))
}

/// A new, empty database on the server at `url`: its URL.
pub fn fresh_database_on(url: &str) -> String {
    let name = format!("tessera_t_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let mut admin = outside(url).expect("the test server answers");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("CREATE DATABASE");
    with_database(url, &name)
}

/// A plain session on `url`, as an operator's `psql` or another program would open it.
pub fn outside(url: &str) -> Result<Client> {
    PgUrl::parse(url)?.admin_session()
}

/// Runs SQL on the database at `url` from outside Tessera; returns rows changed by the last
/// statement when it is a single one.
pub fn execute(url: &str, sql: &str) -> Result<u64> {
    let mut c = outside(url)?;
    Ok(c.execute(sql, &[])?)
}

/// Flips one bit of the first byte of a stored block's column, as a bad disk or a careless
/// hand would.
pub fn flip_block_byte(url: &str, height: u64, column: &str) -> Result<()> {
    let sql = format!(
        "UPDATE tessera_blocks SET {column} = set_byte({column}, 0, get_byte({column}, 0) # 1) WHERE height = {height}"
    );
    match execute(url, &sql)? {
        1 => Ok(()),
        _ => Err(StoreError::State(format!("no block {height} to damage"))),
    }
}

/// Flips one bit of the stored state of the snapshot at `height`.
pub fn flip_snapshot_byte(url: &str, height: u64) -> Result<()> {
    let sql = format!(
        "UPDATE tessera_snapshots SET state = set_byte(state, 0, get_byte(state, 0) # 1) WHERE height = {height}"
    );
    match execute(url, &sql)? {
        1 => Ok(()),
        _ => Err(StoreError::State(format!("no snapshot at {height} to damage"))),
    }
}

/// Makes every append that reaches block `height` fail there, inside the group's transaction
/// after the rows before it were inserted; `None` lifts it.
pub fn fail_appends_at(url: &str, height: Option<u64>) -> Result<()> {
    let mut c = outside(url)?;
    c.batch_execute("DROP TRIGGER IF EXISTS tessera_injected_fault ON tessera_blocks")?;
    if let Some(h) = height {
        c.batch_execute(&format!(
            "CREATE OR REPLACE FUNCTION tessera_injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.height = {h} THEN RAISE EXCEPTION 'injected fault while writing block {h}'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER tessera_injected_fault BEFORE INSERT ON tessera_blocks \
             FOR EACH ROW EXECUTE FUNCTION tessera_injected_fault();"
        ))?;
    }
    Ok(())
}

/// Ends the session of the database's writer (the one holding the writer's advisory lock), as
/// a lost connection or an operator's `pg_terminate_backend` would. Returns how many ended.
pub fn terminate_writer(url: &str) -> Result<i64> {
    let mut c = outside(url)?;
    let (hi, lo) = ((WRITER_LOCK >> 32) as u32, (WRITER_LOCK & 0xffff_ffff) as u32);
    let row = c.query_one(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND classid::bigint = $1 AND objid::bigint = $2 \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        &[&i64::from(hi), &i64::from(lo)],
    )?;
    Ok(row.try_get(0)?)
}
