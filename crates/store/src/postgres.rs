//! The PostgreSQL backend: the journal and snapshots in a PostgreSQL database, for a ledger that
//! must survive losing a machine or that several nodes share (docs/operations.md).
//!
//! Tables (all prefixed `tessera_`): `blocks` (one row per block, the columns of
//! [`RawBlock`]), `snapshots`, `meta` (schema version, network id) and `writer` (one row: the
//! fencing term and who holds it).
//!
//! Invariants:
//! - One writer per database, by two mechanisms that guard different failures:
//!   - The writer holds a session-level advisory lock ([`WRITER_LOCK`]) for its life; a second
//!     writer is refused with `store.locked` naming the holder. PostgreSQL releases the lock
//!     when the writer's session ends (the process died, or its connection was lost), so a
//!     standby node takes it over within one poll.
//!   - Taking the lock raises the fencing term in `tessera_writer`, and every append and
//!     snapshot checks, inside its own transaction and under a share lock on that row, that the
//!     term is still its own. A writer whose session ended and who reconnects still believing
//!     it leads is refused (`store.fenced`) even if it never noticed losing the lock; the share
//!     lock makes a takeover wait for an append already running, so the new writer reads the
//!     head only after it.
//! - A group of blocks is one transaction: all rows or none. The session runs with
//!   `synchronous_commit = on`, so with a synchronous standby configured on the server
//!   (`synchronous_standby_names`) a commit returns only once the standby has the WAL too.
//!   A commit whose wait for the standby was cancelled (by a watchdog after [`COMMIT_TIMEOUT`]
//!   — `statement_timeout` does not end that wait — or by an operator) is committed on the
//!   primary only: PostgreSQL says so in a warning, which this
//!   backend turns into a failed append, so nothing is acknowledged on the primary's word alone.
//! - A lost connection mid-commit leaves the outcome unknown: the append fails (`store.io`),
//!   the node stops acknowledging, and whatever the database holds is what recovery replays.
//! - Nothing here deletes or rewrites a stored block; damage is returned as stored.
//! - The schema carries a version; a database written by a newer Tessera is refused
//!   (`store.schema`) rather than misread.

use crate::{stored_snapshot, Journal, RawBlock, Result, Snapshot, StoreError, StoredSnapshot, SNAPSHOTS_KEPT};
use postgres::Client;
use postgres_native_tls::MakeTlsConnector;
use std::cell::RefCell;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tessera_core::block::Block;
use tessera_core::crypto::sha256;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

/// The session advisory lock a database's writer holds ("tessera1" in ASCII).
pub const WRITER_LOCK: i64 = 0x7465_7373_6572_6131;

/// Longest a commit may wait (for the synchronous standby, mostly) before the append fails.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// Blocks read per query when scanning (a block may hold thousands of transactions).
const SCAN_BATCH: i64 = 64;
/// Blocks per query when reading the transaction-id index (8 bytes per transaction).
const INDEX_BATCH: i64 = 20_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tessera_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS tessera_writer (
    id     int PRIMARY KEY CHECK (id = 1),
    term   bigint NOT NULL,
    holder text NOT NULL,
    since  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS tessera_blocks (
    height      bigint PRIMARY KEY CHECK (height >= 0),
    hash        bytea NOT NULL,
    header      bytea NOT NULL,
    tx_prefixes bytea NOT NULL,
    body_hash   bytea NOT NULL,
    body        bytea NOT NULL
);
CREATE TABLE IF NOT EXISTS tessera_snapshots (
    height   bigint PRIMARY KEY,
    digest   bytea NOT NULL,
    state    bytea NOT NULL,
    checksum bytea NOT NULL
);
";

/// Block bodies and snapshots are compressed with LZ4 rather than PostgreSQL's default pglz:
/// on this benchmark's blocks (1.5 MB of signatures, keys and transfers each) it stores them as
/// small and inserts them twice as fast (docs/benchmarks.md), and the insert is on the commit
/// path. Reads decompress whichever method a value was written with.
const LZ4: &str = "
ALTER TABLE tessera_blocks ALTER COLUMN body SET COMPRESSION lz4;
ALTER TABLE tessera_snapshots ALTER COLUMN state SET COMPRESSION lz4;
";

/// Where a PostgreSQL journal lives: a connection URL (`postgres://user:pass@host:port/db`,
/// with libpq-style parameters such as `application_name` or `connect_timeout`).
///
/// TLS: `sslmode=disable` never uses it, `prefer` (the default) uses it when the server offers
/// it, `require` refuses a server without it. Whenever TLS is used, the server's certificate
/// must verify — against the system's roots and the PEM file named by `sslrootcert`, with its
/// host name (or IP address) matching: libpq's `verify-full`, which is stricter than libpq's
/// `require`.
#[derive(Clone)]
pub struct PgUrl {
    url: String,
    config: postgres::Config,
    tls: MakeTlsConnector,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgUrl({})", self.describe())
    }
}

impl PgUrl {
    /// Parses a URL; refused with `store.unreachable` when it is not one PostgreSQL accepts.
    pub fn parse(url: &str) -> Result<PgUrl> {
        // `sslrootcert` is libpq's; the driver does not know it, so it is read here.
        let (driver_url, rootcert) = take_param(url, "sslrootcert");
        let mut config = postgres::Config::from_str(&driver_url)
            .map_err(|e| StoreError::Unreachable(format!("{:?} is not a PostgreSQL URL ({e})", redact(url))))?;
        let tls = tls_connector(rootcert.as_deref())?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        if config.get_application_name().is_none() {
            config.application_name("tessera");
        }
        // A peer that vanished (a killed primary, a cut cable) is noticed in seconds, not hours.
        config
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .keepalives_interval(Duration::from_secs(2))
            .keepalives_retries(3);
        Ok(PgUrl { url: url.to_string(), config, tls })
    }

    /// The URL without its password, for messages and logs.
    pub fn describe(&self) -> String {
        redact(&self.url)
    }

    /// The URL as given (with its password: for connecting, never for printing).
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The same server, user and settings, database `db` instead.
    pub fn with_database(&self, db: &str) -> Result<PgUrl> {
        PgUrl::parse(&with_database(&self.url, db))
    }

    /// A plain session with this URL's connection settings (timeouts, keepalives), for
    /// administration: creating or dropping a database, reading the server's settings.
    pub fn admin_session(&self) -> Result<Client> {
        self.config.connect(self.tls.clone()).map_err(|e| self.unreachable(&e))
    }

    fn unreachable(&self, e: &postgres::Error) -> StoreError {
        StoreError::Unreachable(format!("cannot connect to {}: {}", self.describe(), pg_words(e)))
    }

    /// A new session with this backend's settings; `sync_warning` is raised when PostgreSQL
    /// says a commit's wait for the synchronous standby was cancelled.
    fn connect(&self, sync_warning: Arc<AtomicBool>) -> Result<Client> {
        let mut config = self.config.clone();
        config.notice_callback(move |notice| {
            if notice.message().contains("synchronous replication") {
                sync_warning.store(true, Ordering::SeqCst);
            }
        });
        let mut client = config.connect(self.tls.clone()).map_err(|e| self.unreachable(&e))?;
        client.batch_execute("SET synchronous_commit = on")?;
        Ok(client)
    }
}

/// `url` without the query parameter `key`, and that parameter's value if it was there.
fn take_param(url: &str, key: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else { return (url.to_string(), None) };
    let mut value = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.split_once('=') {
            Some((k, v)) if k == key => {
                value = Some(v.to_string());
                false
            }
            _ => true,
        })
        .collect();
    match kept.is_empty() {
        true => (base.to_string(), value),
        false => (format!("{base}?{}", kept.join("&")), value),
    }
}

/// The TLS connector for a URL: the system's roots, plus the PEM certificate(s) at
/// `rootcert` when given.
fn tls_connector(rootcert: Option<&str>) -> Result<MakeTlsConnector> {
    let mut builder = native_tls::TlsConnector::builder();
    if let Some(path) = rootcert {
        let pem =
            std::fs::read(path).map_err(|e| StoreError::Unreachable(format!("cannot read sslrootcert {path}: {e}")))?;
        let cert = native_tls::Certificate::from_pem(&pem)
            .map_err(|e| StoreError::Unreachable(format!("sslrootcert {path} is not a PEM certificate: {e}")))?;
        builder.add_root_certificate(cert);
    }
    let connector = builder.build().map_err(|e| StoreError::Unreachable(format!("cannot set up TLS: {e}")))?;
    Ok(MakeTlsConnector::new(connector))
}

/// `url` with its database replaced by `db` (its parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let Some((userinfo, host)) = rest.rsplit_once('@') else { return url.to_string() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// PostgreSQL's own words for an error: the server's message and detail when it sent one.
fn pg_words(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        // The driver's own words are terse ("error connecting to server"); the cause says which.
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        if e.is_closed() {
            return StoreError::Io(format!("the connection to PostgreSQL was lost ({e})"));
        }
        StoreError::Io(format!("PostgreSQL: {}", pg_words(&e)))
    }
}

/// A writer's transaction begun by [`PgJournal::writer_client`]: rolled back when dropped
/// uncommitted (a failure inside a group leaves nothing of it).
struct Group<'a>(&'a mut Client);

impl Group<'_> {
    fn commit(self) -> std::result::Result<(), postgres::Error> {
        let r = self.0.batch_execute("COMMIT");
        std::mem::forget(self);
        r
    }
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        // Best effort: on a lost session PostgreSQL has rolled it back already.
        let _ = self.0.batch_execute("ROLLBACK");
    }
}

impl std::ops::Deref for Group<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.0
    }
}

impl std::ops::DerefMut for Group<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.0
    }
}

/// A journal in PostgreSQL (see the module documentation).
pub struct PgJournal {
    url: PgUrl,
    client: RefCell<Client>,
    /// The fencing term this handle writes under; `None` for a reader.
    term: Option<i64>,
    sync_warning: Arc<AtomicBool>,
}

/// Who takes the writer's role, for the refusal a second writer gets and for operators:
/// host, PID and program arguments.
fn holder_text() -> String {
    let args: Vec<String> = std::env::args().take(3).collect();
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    format!("{host} pid {} ({})", std::process::id(), args.join(" "))
}

fn sql_height(h: u64) -> Result<i64> {
    i64::try_from(h).map_err(|_| StoreError::State(format!("height {h} is beyond what PostgreSQL's bigint holds")))
}

fn stored_height(h: i64) -> Result<u64> {
    u64::try_from(h).map_err(|_| StoreError::Corrupt(format!("a stored height is negative ({h})")))
}

fn hash32(v: &[u8], what: &str, height: i64) -> Result<tessera_core::Hash> {
    <[u8; 32]>::try_from(v)
        .map(tessera_core::Hash)
        .map_err(|_| StoreError::Corrupt(format!("block {height}: {what} holds {} bytes, not 32", v.len())))
}

fn row_to_raw(row: &postgres::Row) -> Result<RawBlock> {
    let height: i64 = row.try_get(0)?;
    Ok(RawBlock {
        height: stored_height(height)?,
        hash: hash32(row.try_get(1)?, "hash", height)?,
        header: row.try_get(2)?,
        body: row.try_get(3)?,
        body_hash: hash32(row.try_get(4)?, "body_hash", height)?,
        tx_prefixes: row.try_get(5)?,
    })
}

impl PgJournal {
    /// Creates the journal in an empty database, holding `genesis`, for the network `network`,
    /// and becomes its writer. Refused (`store.state`) if the database already holds a ledger.
    pub fn create(url: &PgUrl, genesis: &Block, network: &str) -> Result<PgJournal> {
        let sync_warning = Arc::new(AtomicBool::new(false));
        let mut client = url.connect(sync_warning.clone())?;
        let already = || StoreError::State(format!("{} already holds a ledger", url.describe()));
        if Self::holds_ledger(&mut client)? {
            return Err(already());
        }
        if !Self::try_lock(&mut client)? {
            return Err(already());
        }
        let mut tx = client.transaction()?;
        tx.batch_execute(SCHEMA)?;
        {
            // A server without lz4 (before PostgreSQL 14, or built without it) keeps pglz:
            // the savepoint is rolled back when dropped uncommitted.
            let mut lz4 = tx.savepoint("lz4")?;
            if lz4.batch_execute(LZ4).is_ok() {
                lz4.commit()?;
            }
        }
        if tx.query_one("SELECT count(*) FROM tessera_blocks", &[])?.try_get::<_, i64>(0)? > 0 {
            return Err(already());
        }
        tx.execute(
            "INSERT INTO tessera_meta (key, value) VALUES ('schema_version', $1), ('network', $2)",
            &[&SCHEMA_VERSION.to_string(), &network],
        )?;
        tx.execute("INSERT INTO tessera_writer (id, term, holder) VALUES (1, 1, $1)", &[&holder_text()])?;
        tx.commit()?;
        let mut j = PgJournal { url: url.clone(), client: RefCell::new(client), term: Some(1), sync_warning };
        j.append(std::slice::from_ref(genesis))?;
        Ok(j)
    }

    /// Opens the journal to write it: takes the writer's lock and raises the fencing term.
    /// Refused with `store.locked` (naming the holder) while another writer lives.
    pub fn open(url: &PgUrl) -> Result<PgJournal> {
        let mut j = Self::open_read_only(url)?;
        if !j.try_become_writer()? {
            let holder = j
                .client
                .get_mut()
                .query_opt("SELECT holder, term, since::text FROM tessera_writer WHERE id = 1", &[])?
                .map(|r| {
                    let (h, t, s): (String, i64, String) = (r.get(0), r.get(1), r.get(2));
                    format!("{h}, term {t} since {s}")
                })
                .unwrap_or_else(|| "another session".into());
            return Err(StoreError::Locked(format!(
                "{} is being written by {holder}; one writer per database — other nodes on it serve \
                 reads and take over when it stops",
                url.describe()
            )));
        }
        Ok(j)
    }

    /// Opens the journal to read it, beside a writer if one runs.
    pub fn open_read_only(url: &PgUrl) -> Result<PgJournal> {
        let sync_warning = Arc::new(AtomicBool::new(false));
        let mut client = url.connect(sync_warning.clone())?;
        Self::check_schema(&mut client, url)?;
        Ok(PgJournal { url: url.clone(), client: RefCell::new(client), term: None, sync_warning })
    }

    /// Tries to become the writer: takes the lock if it is free and raises the fencing term.
    /// Returns whether this handle now writes. A standby node calls this until it leads.
    pub fn try_become_writer(&mut self) -> Result<bool> {
        if self.term.is_some() {
            return Ok(true);
        }
        if self.client.get_mut().is_closed() {
            *self.client.get_mut() = self.url.connect(self.sync_warning.clone())?;
        }
        let client = self.client.get_mut();
        if !Self::try_lock(client)? {
            return Ok(false);
        }
        // Waits for an append of the deposed writer that is still running (it holds the row
        // in share mode), so the head this writer reads next includes it.
        let row = client.query_one(
            "UPDATE tessera_writer SET term = term + 1, holder = $1, since = now() WHERE id = 1 RETURNING term",
            &[&holder_text()],
        )?;
        self.term = Some(row.try_get(0)?);
        Ok(true)
    }

    /// The fencing term this handle writes under (`None` for a reader).
    pub fn term(&self) -> Option<i64> {
        self.term
    }

    /// The network id the database's ledger was created for.
    pub fn network(&self) -> Result<String> {
        let row = self.client.borrow_mut().query_opt("SELECT value FROM tessera_meta WHERE key = 'network'", &[])?;
        Ok(row.map(|r| r.get(0)).unwrap_or_default())
    }

    pub fn url(&self) -> &PgUrl {
        &self.url
    }

    fn try_lock(client: &mut Client) -> Result<bool> {
        Ok(client.query_one("SELECT pg_try_advisory_lock($1)", &[&WRITER_LOCK])?.try_get(0)?)
    }

    fn holds_ledger(client: &mut Client) -> Result<bool> {
        let row = client.query_one("SELECT to_regclass('tessera_blocks') IS NOT NULL", &[])?;
        if !row.try_get::<_, bool>(0)? {
            return Ok(false);
        }
        Ok(client.query_one("SELECT EXISTS (SELECT 1 FROM tessera_blocks)", &[])?.try_get(0)?)
    }

    fn check_schema(client: &mut Client, url: &PgUrl) -> Result<()> {
        if !Self::holds_ledger(client)? {
            return Err(StoreError::State(format!(
                "no ledger in {} (run `tessera init --store URL` first)",
                url.describe()
            )));
        }
        let version = client
            .query_opt("SELECT value FROM tessera_meta WHERE key = 'schema_version'", &[])?
            .map(|r| r.get::<_, String>(0));
        match version.as_deref().map(str::parse::<i64>) {
            Some(Ok(SCHEMA_VERSION)) => Ok(()),
            Some(Ok(v)) if v > SCHEMA_VERSION => Err(StoreError::Schema(format!(
                "{} holds a ledger in schema version {v}, newer than this Tessera's {SCHEMA_VERSION}: \
                 upgrade Tessera to read it",
                url.describe()
            ))),
            other => Err(StoreError::Schema(format!(
                "{} holds tessera tables with schema version {:?}, which this Tessera ({SCHEMA_VERSION}) \
                 does not know",
                url.describe(),
                other.map(|_| version.clone().unwrap_or_default())
            ))),
        }
    }

    /// The session for a read, reconnected first if PostgreSQL closed it (a restarted server, a
    /// failover): a read that failed on a lost session fails once, the next one reconnects.
    fn session(&self) -> Result<std::cell::RefMut<'_, Client>> {
        let mut client = self.client.borrow_mut();
        if client.is_closed() {
            *client = self.url.connect(self.sync_warning.clone())?;
        }
        Ok(client)
    }

    /// The writer's session with a transaction begun on it, reconnected if the session was
    /// lost (without the lock: the fence inside the transaction decides whether this handle
    /// still writes). Only a `BEGIN` that failed on a closed connection is retried: nothing of
    /// the group had been sent.
    fn writer_client(&self) -> Result<std::cell::RefMut<'_, Client>> {
        let mut client = self.client.borrow_mut();
        let lost = match client.batch_execute("BEGIN") {
            Ok(()) => false,
            Err(e) if e.is_closed() || client.is_closed() => true,
            Err(e) => return Err(e.into()),
        };
        if lost {
            *client = self.url.connect(self.sync_warning.clone())?;
            client.batch_execute("BEGIN")?;
        }
        Ok(client)
    }

    /// Inside a writer's transaction: refuses unless the fencing term is still this handle's.
    fn check_fence(tx: &mut Group<'_>, mine: i64) -> Result<()> {
        let row = tx.query_one("SELECT term, holder FROM tessera_writer WHERE id = 1 FOR SHARE", &[])?;
        let (term, holder): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        if term != mine {
            return Err(StoreError::Fenced(format!(
                "this node wrote under term {mine}, and {holder} took over at term {term}: a deposed \
                 writer appends nothing"
            )));
        }
        Ok(())
    }

    fn refuse_reader(&self) -> Result<i64> {
        self.term.ok_or_else(|| {
            StoreError::Io(format!("{}: this handle only reads (it is not the writer)", self.url.describe()))
        })
    }

    /// Commits, turning a commit PostgreSQL kept on the primary only into a failure.
    fn commit(&self, tx: Group<'_>) -> Result<()> {
        self.sync_warning.store(false, Ordering::SeqCst);
        // PostgreSQL's statement_timeout does not end a commit's wait for the synchronous
        // standby; a cancel request does. A watchdog sends one after COMMIT_TIMEOUT.
        let cancel = tx.cancel_token();
        let tls = self.url.tls.clone();
        let (done, waiting) = std::sync::mpsc::channel::<()>();
        let watchdog = std::thread::Builder::new()
            .name("tessera-pg-commit-watchdog".into())
            .spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = waiting.recv_timeout(COMMIT_TIMEOUT) {
                    let _ = cancel.cancel_query(tls);
                }
            })
            .map_err(|e| StoreError::Io(format!("cannot start the commit watchdog: {e}")))?;
        let committed = tx.commit();
        let _ = done.send(());
        let _ = watchdog.join();
        committed?;
        if self.sync_warning.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Io(format!(
                "the commit's wait for the synchronous standby was cancelled after {}s: the group is \
                 on the primary only and is not acknowledged (is the standby down or its disk full?)",
                COMMIT_TIMEOUT.as_secs()
            )));
        }
        Ok(())
    }
}

impl Drop for PgJournal {
    /// A writer lets go of its lock before its session closes: the server ends a closed
    /// session a moment later, and a writer opened in that moment (a restart, the next
    /// command) would be refused the lock. Best effort: a lost session holds nothing.
    fn drop(&mut self) {
        if self.term.is_some() {
            let client = self.client.get_mut();
            if !client.is_closed() {
                let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&WRITER_LOCK]);
            }
        }
    }
}

impl Journal for PgJournal {
    fn head_height(&self) -> Result<Option<u64>> {
        let h: Option<i64> = self.session()?.query_one("SELECT max(height) FROM tessera_blocks", &[])?.try_get(0)?;
        h.map(stored_height).transpose()
    }

    fn raw_block(&self, height: u64) -> Result<Option<RawBlock>> {
        let row = self.session()?.query_opt(
            "SELECT height, hash, header, body, body_hash, tx_prefixes FROM tessera_blocks WHERE height = $1",
            &[&sql_height(height)?],
        )?;
        row.as_ref().map(row_to_raw).transpose()
    }

    fn scan(&self, from: u64, f: &mut dyn FnMut(RawBlock) -> Result<bool>) -> Result<()> {
        // The journal as it was when the scan began: up to the head then (groups are committed
        // whole and never rewritten, so a bound on the height is a consistent view).
        let Some(head) = self.head_height()? else { return Ok(()) };
        let (mut next, head) = (sql_height(from)?, sql_height(head)?);
        while next <= head {
            let rows = self.session()?.query(
                "SELECT height, hash, header, body, body_hash, tx_prefixes FROM tessera_blocks \
                 WHERE height >= $1 AND height <= $2 ORDER BY height LIMIT $3",
                &[&next, &head, &SCAN_BATCH],
            )?;
            let Some(last) = rows.last() else { return Ok(()) };
            next = last.try_get::<_, i64>(0)?.saturating_add(1);
            for row in &rows {
                if !f(row_to_raw(row)?)? {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn scan_tx_prefixes(&self, f: &mut dyn FnMut(u64, [u8; 8])) -> Result<()> {
        let Some(head) = self.head_height()? else { return Ok(()) };
        let (mut next, head) = (0i64, sql_height(head)?);
        while next <= head {
            let rows = self.session()?.query(
                "SELECT height, tx_prefixes FROM tessera_blocks WHERE height >= $1 AND height <= $2 \
                 ORDER BY height LIMIT $3",
                &[&next, &head, &INDEX_BATCH],
            )?;
            let Some(last) = rows.last() else { return Ok(()) };
            next = last.try_get::<_, i64>(0)?.saturating_add(1);
            for row in &rows {
                let height = stored_height(row.try_get(0)?)?;
                let prefixes: &[u8] = row.try_get(1)?;
                RawBlock::visit_tx_prefixes(height, prefixes, f);
            }
        }
        Ok(())
    }

    fn snapshots(&self, max_height: u64) -> Result<Vec<StoredSnapshot>> {
        let max = i64::try_from(max_height).unwrap_or(i64::MAX);
        let rows = self.session()?.query(
            "SELECT height, digest, state, checksum FROM tessera_snapshots WHERE height <= $1 ORDER BY height DESC",
            &[&max],
        )?;
        rows.iter()
            .map(|r| {
                let (digest, state, checksum): (&[u8], Vec<u8>, &[u8]) = (r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
                Ok(stored_snapshot(stored_height(r.try_get(0)?)?, digest, state, checksum))
            })
            .collect()
    }

    fn reader(&self) -> Result<Box<dyn Journal>> {
        Ok(Box::new(PgJournal::open_read_only(&self.url)?))
    }

    fn is_writer(&self) -> bool {
        self.term.is_some()
    }

    fn try_become_writer(&mut self) -> Result<bool> {
        PgJournal::try_become_writer(self)
    }

    fn fencing_term(&self) -> Option<i64> {
        self.term
    }

    fn append(&mut self, blocks: &[Block]) -> Result<()> {
        let term = self.refuse_reader()?;
        let raws: Vec<RawBlock> = blocks.iter().map(RawBlock::encode).collect();
        let mut client = self.writer_client()?;
        let mut tx = Group(&mut client);
        Self::check_fence(&mut tx, term)?;
        let ins = tx.prepare(
            "INSERT INTO tessera_blocks (height, hash, header, tx_prefixes, body_hash, body) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )?;
        for raw in &raws {
            tx.execute(
                &ins,
                &[
                    &sql_height(raw.height)?,
                    &&raw.hash.0[..],
                    &raw.header,
                    &raw.tx_prefixes,
                    &&raw.body_hash.0[..],
                    &raw.body,
                ],
            )?;
        }
        // A failure above drops `tx` uncommitted: PostgreSQL rolls the whole group back.
        self.commit(tx)
    }

    fn put_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        let term = self.refuse_reader()?;
        let checksum = sha256(&snap.state);
        let mut client = self.writer_client()?;
        let mut tx = Group(&mut client);
        Self::check_fence(&mut tx, term)?;
        tx.execute(
            "INSERT INTO tessera_snapshots (height, digest, state, checksum) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (height) DO UPDATE SET digest = EXCLUDED.digest, state = EXCLUDED.state, \
             checksum = EXCLUDED.checksum",
            &[&sql_height(snap.height)?, &&snap.digest.0[..], &snap.state, &&checksum.0[..]],
        )?;
        // Keep the newest few: one may be damaged.
        tx.execute(
            "DELETE FROM tessera_snapshots WHERE height NOT IN \
             (SELECT height FROM tessera_snapshots ORDER BY height DESC LIMIT $1)",
            &[&(SNAPSHOTS_KEPT as i64)],
        )?;
        self.commit(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_printed_without_its_password() {
        assert_eq!(redact("postgres://ta:s3cret@db.example:5432/ledger"), "postgres://ta:***@db.example:5432/ledger");
        assert_eq!(redact("postgres://ta@db/ledger"), "postgres://ta@db/ledger");
        assert_eq!(PgUrl::parse("postgres://a:b@h/d").unwrap().describe(), "postgres://a:***@h/d");
    }

    #[test]
    fn a_malformed_url_is_refused_with_store_unreachable_and_never_echoes_the_password() {
        let e = PgUrl::parse("postgres://u:pw@h:notaport/db").unwrap_err();
        assert_eq!(e.code(), tessera_core::Code::StoreUnreachable);
        assert!(!e.to_string().contains("pw@"), "{e}");
    }

    use crate::testing::pg;
    use tessera_core::block::demo_genesis;
    use tessera_core::crypto::Keypair;
    use tessera_core::exec::Chain;
    use tessera_core::{Code, Role, Time};

    /// A fresh database on the shared test server with a ledger in it: (url, writer, chain).
    fn ledger() -> Option<(PgUrl, PgJournal, Chain)> {
        let url = PgUrl::parse(&pg::fresh_database()?).unwrap();
        let key = Keypair::insecure_from_name("pg-officer");
        let g = demo_genesis("pg-test", Time(1_000), &[(&key, &[Role::Admin])], [1, 1, 1]);
        let (chain, genesis) = Chain::genesis(&g).unwrap();
        let j = PgJournal::create(&url, &genesis, "pg-test").unwrap();
        Some((url, j, chain))
    }

    fn next_block(chain: &mut Chain) -> Block {
        let time = Time(chain.head.time.0 + 1);
        chain.build_block(time, vec![]).0
    }

    #[test]
    fn a_deposed_writer_whose_session_ended_reconnects_and_is_refused_by_the_fence() {
        let Some((url, mut old, mut chain)) = ledger() else { return };
        assert_eq!(old.term(), Some(1));
        old.append(&[next_block(&mut chain)]).unwrap();
        // The old writer's session ends (a lost connection); it never notices losing the lock.
        assert_eq!(pg::terminate_writer(url.as_str()).unwrap(), 1);
        let mut new = (0..100)
            .find_map(|_| {
                std::thread::sleep(Duration::from_millis(20));
                PgJournal::open(&url).ok()
            })
            .expect("a new writer once the old session is gone");
        assert_eq!(new.term(), Some(2));
        // The old writer reconnects and tries to append block 2: refused inside its transaction.
        let stale = next_block(&mut chain);
        let e = old.append(std::slice::from_ref(&stale)).unwrap_err();
        assert_eq!(e.code(), Code::StoreFenced, "{e}");
        assert!(e.to_string().contains("term 1") && e.to_string().contains("term 2"), "{e}");
        let e = old.put_snapshot(&Snapshot { height: 1, digest: chain.state.digest(), state: vec![1] }).unwrap_err();
        assert_eq!(e.code(), Code::StoreFenced);
        assert_eq!(new.head_height().unwrap(), Some(1), "the deposed writer appended nothing");
        new.append(&[stale]).unwrap();
        assert_eq!(new.head_height().unwrap(), Some(2));
    }

    #[test]
    fn a_new_journal_compresses_block_bodies_and_snapshots_with_lz4_where_the_server_has_it() {
        let Some((url, _writer, _)) = ledger() else { return };
        let mut c = pg::outside(url.as_str()).unwrap();
        let has_lz4: bool = c
            .query_one(
                "SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) FROM pg_settings \
                 WHERE name = 'default_toast_compression'",
                &[],
            )
            .unwrap()
            .get(0);
        let methods: Vec<String> = c
            .query(
                "SELECT attcompression::text FROM pg_attribute WHERE (attrelid, attname) IN \
                 (('tessera_blocks'::regclass, 'body'), ('tessera_snapshots'::regclass, 'state'))",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let expected = if has_lz4 { "l" } else { "" };
        assert_eq!(methods, vec![expected.to_string(); 2]);
    }

    #[test]
    fn a_second_writer_is_told_who_holds_the_database_and_under_which_term() {
        let Some((url, _writer, _)) = ledger() else { return };
        let e = PgJournal::open(&url).err().expect("refused");
        assert_eq!(e.code(), Code::StoreLocked);
        assert!(e.to_string().contains("term 1") && e.to_string().contains("pid"), "{e}");
    }

    #[test]
    fn a_database_written_by_a_newer_tessera_is_refused_with_store_schema() {
        let Some((url, writer, _)) = ledger() else { return };
        drop(writer);
        pg::execute(url.as_str(), "UPDATE tessera_meta SET value = '99' WHERE key = 'schema_version'").unwrap();
        for e in [PgJournal::open(&url).err(), PgJournal::open_read_only(&url).err()] {
            let e = e.expect("refused");
            assert_eq!(e.code(), Code::StoreSchema);
            assert!(e.to_string().contains("schema version 99, newer than this Tessera's 1"), "{e}");
        }
    }

    #[test]
    fn an_empty_database_holds_no_ledger_and_a_ledger_is_not_created_twice() {
        let Some(url) = pg::fresh_database() else { return };
        let url = PgUrl::parse(&url).unwrap();
        let e = PgJournal::open(&url).err().expect("refused");
        assert_eq!(e.code(), Code::StoreState);
        assert!(e.to_string().contains("no ledger in") && e.to_string().contains("tessera init --store"), "{e}");
        let Some((url, _w, mut chain)) = ledger() else { return };
        let e = PgJournal::create(&url, &next_block(&mut chain), "pg-test").err().expect("refused");
        assert_eq!(e.code(), Code::StoreState);
    }

    #[test]
    fn an_unreachable_server_is_refused_with_store_unreachable_naming_it_without_its_password() {
        let url = PgUrl::parse("postgres://ta:hunter2@127.0.0.1:1/ledger?connect_timeout=2").unwrap();
        let e = PgJournal::open_read_only(&url).err().expect("refused");
        assert_eq!(e.code(), Code::StoreUnreachable);
        let text = e.to_string();
        assert!(text.contains("cannot connect to postgres://ta:***@127.0.0.1:1/ledger"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_commit_waiting_for_a_standby_that_is_down_fails_after_the_timeout_instead_of_hanging() {
        let Some(pair) = pg::Pair::start() else { return };
        let url = PgUrl::parse(&pg::fresh_database_on(&pair.primary)).unwrap();
        let key = Keypair::insecure_from_name("pg-officer");
        let g = demo_genesis("pg-test", Time(1_000), &[(&key, &[Role::Admin])], [1, 1, 1]);
        let (mut chain, genesis) = Chain::genesis(&g).unwrap();
        let mut j = PgJournal::create(&url, &genesis, "pg-test").unwrap();
        pair.run("stop-standby").expect("the standby stops");
        let started = std::time::Instant::now();
        let e = j.append(&[next_block(&mut chain)]).unwrap_err();
        assert_eq!(e.code(), Code::StoreIo, "{e}");
        assert!(e.to_string().contains("synchronous standby") && e.to_string().contains("not acknowledged"), "{e}");
        assert!(started.elapsed() >= COMMIT_TIMEOUT, "the append failed before waiting for the standby");
    }

    #[test]
    fn a_server_speaking_tls_is_reached_over_it_with_its_certificate_verified_and_refused_without_its_root() {
        let Some(pair) = pg::Pair::start() else { return };
        let db = pg::fresh_database_on(&pair.primary);
        let root = pair.enable_tls().expect("TLS on the primary");
        let url = PgUrl::parse(&format!("{db}?sslmode=require&sslrootcert={}", root.display())).unwrap();
        let key = Keypair::insecure_from_name("pg-officer");
        let g = demo_genesis("pg-test", Time(1_000), &[(&key, &[Role::Admin])], [1, 1, 1]);
        let (mut chain, genesis) = Chain::genesis(&g).unwrap();
        let mut j = PgJournal::create(&url, &genesis, "pg-test").unwrap();
        j.append(&[next_block(&mut chain)]).unwrap();
        let over_tls: bool = j
            .client
            .get_mut()
            .query_one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
            .unwrap()
            .get(0);
        assert!(over_tls, "the journal's session is not encrypted");
        // A certificate this client has no root for is refused, not trusted on first use.
        let e = PgJournal::open_read_only(&PgUrl::parse(&format!("{db}?sslmode=require")).unwrap()).err().unwrap();
        assert_eq!(e.code(), Code::StoreUnreachable);
        assert!(e.to_string().contains("certificate"), "{e}");
        // A root file that is not there is named.
        let e = PgUrl::parse(&format!("{db}?sslrootcert=/nonexistent/root.pem")).unwrap_err();
        assert!(e.to_string().contains("cannot read sslrootcert /nonexistent/root.pem"), "{e}");
    }

    #[test]
    fn requiring_tls_of_a_server_without_it_is_refused_with_store_unreachable() {
        let Some(server) = pg::shared() else { return };
        let url = PgUrl::parse(&format!("{}?sslmode=require", server.primary)).unwrap();
        let e = url.admin_session().err().expect("refused");
        assert_eq!(e.code(), Code::StoreUnreachable);
        assert!(e.to_string().contains("TLS"), "{e}");
    }
}
