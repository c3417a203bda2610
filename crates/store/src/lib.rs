//! The journal and snapshots on embedded SQLite (L10).
//!
//! One row per block: height, block hash, header bytes, body bytes and SHA-256 of the body.
//! `append` writes any number of blocks in one SQLite transaction (group commit); in WAL mode
//! with `synchronous=FULL` the commit returns only after the WAL is fsynced, so a block
//! reported appended survives kill -9 and power loss. SQLite's WAL frame checksums discard a
//! torn write of the WAL itself; the per-row body hash and the hash links let the ledger detect
//! damage SQLite cannot see (see `check_block`).
//!
//! Storage knows blocks, not their meaning: replay and recovery live in the engine.
//!
//! Invariants:
//! - One writer per data directory: [`Store::create`] and [`Store::open`] hold an exclusive
//!   advisory lock on `DIR/ledger.lock` for the store's life (released by the kernel when the
//!   process dies, even by kill -9); a second writer is refused at once with `store.locked`
//!   naming the holder's PID. [`Store::open_read_only`] takes no lock and cannot write.
//! - Nothing here deletes or rewrites a committed block: SQLite commits a group of blocks
//!   atomically, so a half-written block cannot exist, and damage found later is reported
//!   (`store.corrupt`), never repaired by cutting.
//! - The data directory is created 0700 and the database file 0600 (SQLite gives its WAL and
//!   shared-memory files the database file's mode): the journal holds every party's holdings.

use borsh::BorshDeserialize;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use tessera_core::block::{Block, BlockBody, BlockHeader};
use tessera_core::crypto::sha256;
use tessera_core::{Code, Hash, Refusal};

pub const DB_FILE: &str = "ledger.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage engine: {0}")]
    Io(String),
    #[error("journal damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    State(String),
    #[error("{0}")]
    Locked(String),
}

impl StoreError {
    pub fn code(&self) -> Code {
        match self {
            StoreError::Io(_) => Code::StoreIo,
            StoreError::Corrupt(_) => Code::StoreCorrupt,
            StoreError::State(_) => Code::StoreState,
            StoreError::Locked(_) => Code::StoreLocked,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match e.sqlite_error_code() {
            // A file that is not a SQLite database, or one whose pages are damaged.
            Some(DatabaseCorrupt | NotADatabase) => {
                StoreError::Corrupt(format!("the database file is damaged or not a Tessera ledger ({e})"))
            }
            // A column holding the wrong type was written by something other than Tessera.
            _ if matches!(
                e,
                rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..)
            ) =>
            {
                StoreError::Corrupt(format!("a stored value has the wrong type ({e})"))
            }
            _ => StoreError::Io(e.to_string()),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        Refusal::new(e.code(), e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A block as stored, before decoding.
#[derive(Clone, Debug)]
pub struct RawBlock {
    pub height: u64,
    pub hash: Hash,
    pub header: Vec<u8>,
    pub body: Vec<u8>,
    pub body_hash: Hash,
    /// The stored transaction-id index of this block (see [`RawBlock::tx_prefixes_of`]).
    pub tx_prefixes: Vec<u8>,
}

impl RawBlock {
    pub fn encode(block: &Block) -> RawBlock {
        let header = borsh::to_vec(&block.header).unwrap_or_default();
        let body = borsh::to_vec(&block.body).unwrap_or_default();
        RawBlock {
            height: block.header.height,
            hash: block.header.hash(),
            body_hash: sha256(&body),
            header,
            body,
            tx_prefixes: Self::tx_prefixes_of(block),
        }
    }
    /// The index entry of a block: the first 8 bytes of each transaction id, in block order.
    pub fn tx_prefixes_of(block: &Block) -> Vec<u8> {
        block.body.receipts.iter().flat_map(|r| r.tx.0[..8].to_vec()).collect()
    }
    pub fn decode_header(&self) -> Result<BlockHeader> {
        BlockHeader::try_from_slice(&self.header)
            .map_err(|e| StoreError::Corrupt(format!("block {}: header does not decode: {e}", self.height)))
    }
    pub fn decode_body(&self) -> Result<BlockBody> {
        BlockBody::try_from_slice(&self.body)
            .map_err(|e| StoreError::Corrupt(format!("block {}: body does not decode: {e}", self.height)))
    }
    /// Cheap integrity check of one stored block: body checksum, header hash, roots.
    pub fn check(&self) -> Result<Block> {
        let found = sha256(&self.body);
        if found != self.body_hash {
            return Err(StoreError::Corrupt(format!(
                "block {}: body_hash — stored {}, the body bytes hash to {}",
                self.height, self.body_hash, found
            )));
        }
        let header = self.decode_header()?;
        if header.hash() != self.hash || header.height != self.height {
            return Err(StoreError::Corrupt(format!(
                "block {}: header — stored block hash {}, the header bytes hash to {}",
                self.height,
                self.hash,
                header.hash()
            )));
        }
        let body = self.decode_body()?;
        if body.tx_root() != header.tx_root {
            return Err(StoreError::Corrupt(format!("block {}: transaction root mismatch", self.height)));
        }
        if body.receipt_root() != header.receipt_root {
            return Err(StoreError::Corrupt(format!("block {}: receipt root mismatch", self.height)));
        }
        Ok(Block { header, body })
    }
}

/// A stored snapshot of the whole state after block `height`.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub height: u64,
    pub digest: Hash,
    pub state: Vec<u8>,
}

/// A stored snapshot as read back, with what is wrong with it if it is damaged.
#[derive(Clone, Debug)]
pub struct StoredSnapshot {
    pub snapshot: Snapshot,
    /// `Some(why)` when the stored checksum or digest does not hold.
    pub damage: Option<String>,
}

pub struct Store {
    conn: Connection,
    dir: PathBuf,
    /// Held for the store's life by a writer; `None` for a read-only store.
    _lock: Option<DirLock>,
}

/// The exclusive advisory lock of a data directory's writer (see the module invariants).
struct DirLock {
    _file: std::fs::File,
}

impl DirLock {
    fn acquire(dir: &Path) -> Result<DirLock> {
        use std::io::{Read, Seek, Write};
        let path = dir.join(LOCK_FILE);
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(&path).map_err(|e| StoreError::Io(format!("open {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() { "another process".to_string() } else { format!("process {holder}") };
                return Err(StoreError::Locked(format!(
                    "{} is being written by {who}; one writer per data directory — stop it, or send \
                     transactions through it (`tessera --node URL submit`); read-only commands (query, \
                     verify, report) may run beside it",
                    dir.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(StoreError::Io(format!("lock {}: {e}", path.display())));
            }
        }
        // Say who holds it, for the refusal a second writer gets: "PID (program arguments)".
        let args: Vec<String> = std::env::args().take(3).collect();
        let me = format!("{} ({})\n", std::process::id(), args.join(" "));
        let written = file.set_len(0).and_then(|_| file.rewind()).and_then(|_| file.write_all(me.as_bytes()));
        written.map_err(|e| StoreError::Io(format!("write {}: {e}", path.display())))?;
        Ok(DirLock { _file: file })
    }
}

/// The lock file a writer holds (see [`DirLock`]).
pub const LOCK_FILE: &str = "ledger.lock";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS blocks (
    height    INTEGER PRIMARY KEY,
    hash      BLOB NOT NULL,
    header    BLOB NOT NULL,
    -- First 8 bytes of each transaction id, in block order: finds a transaction by id with
    -- one sequential pass, at 8 bytes per transaction and no B-tree insert on the write path.
    -- Stored before the body so that reading it never walks the body's overflow pages.
    tx_prefixes BLOB NOT NULL,
    body_hash BLOB NOT NULL,
    body      BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    height   INTEGER PRIMARY KEY,
    digest   BLOB NOT NULL,
    state    BLOB NOT NULL,
    checksum BLOB NOT NULL
);
";

impl Store {
    pub fn db_path(dir: &Path) -> PathBuf {
        dir.join(DB_FILE)
    }

    pub fn exists(dir: &Path) -> bool {
        Self::db_path(dir).exists()
    }

    fn connect(dir: &Path) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            Self::db_path(dir),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // WAL + FULL: a commit returns after the WAL is on stable storage.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        conn.execute_batch(SCHEMA)?;
        Ok(conn)
    }

    /// Creates a new journal holding the genesis block, in a directory only its owner can
    /// read. Refuses if one exists.
    pub fn create(dir: &Path, genesis: &Block) -> Result<Store> {
        if Self::exists(dir) {
            return Err(StoreError::State(format!("{} already holds a ledger", dir.display())));
        }
        private_dir(dir)?;
        let lock = DirLock::acquire(dir)?;
        if Self::exists(dir) {
            return Err(StoreError::State(format!("{} already holds a ledger", dir.display())));
        }
        // Created here with mode 0600 so that SQLite never creates it with the umask's mode.
        let db = Self::db_path(dir);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(&db).map_err(|e| StoreError::Io(format!("create {}: {e}", db.display())))?;
        let mut s = Store { conn: Self::connect(dir)?, dir: dir.to_path_buf(), _lock: Some(lock) };
        s.append(std::slice::from_ref(genesis))?;
        Ok(s)
    }

    /// Opens the journal to write it: refused with `store.locked` while another process
    /// writes this directory.
    pub fn open(dir: &Path) -> Result<Store> {
        if !Self::exists(dir) {
            return Err(StoreError::State(format!("no ledger in {} (run `tessera init` first)", dir.display())));
        }
        let lock = DirLock::acquire(dir)?;
        Ok(Store { conn: Self::connect(dir)?, dir: dir.to_path_buf(), _lock: Some(lock) })
    }

    /// Opens the journal to read it, beside a writer if one runs: takes no lock, and SQLite
    /// refuses any write on this connection.
    pub fn open_read_only(dir: &Path) -> Result<Store> {
        if !Self::exists(dir) {
            return Err(StoreError::State(format!("no ledger in {} (run `tessera init` first)", dir.display())));
        }
        let conn = Connection::open_with_flags(
            Self::db_path(dir),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        // A file that is not a ledger fails here, on its first read, rather than later.
        conn.query_row("SELECT COUNT(*) FROM sqlite_master WHERE name = 'blocks'", [], |r| r.get::<_, i64>(0))
            .map_err(StoreError::from)
            .and_then(|n| match n {
                1 => Ok(()),
                _ => Err(StoreError::Corrupt(format!("{} holds no journal table", Self::db_path(dir).display()))),
            })?;
        Ok(Store { conn, dir: dir.to_path_buf(), _lock: None })
    }

    /// Whether this store may write (it holds the directory's lock).
    pub fn is_writer(&self) -> bool {
        self._lock.is_some()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends blocks in one durable transaction (group commit).
    pub fn append(&mut self, blocks: &[Block]) -> Result<()> {
        let raws: Vec<RawBlock> = blocks.iter().map(RawBlock::encode).collect();
        self.append_raw(&raws, blocks)
    }

    /// Appends already-encoded blocks; `blocks` supplies transaction ids for lookups.
    pub fn append_raw(&mut self, raws: &[RawBlock], blocks: &[Block]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO blocks (height, hash, header, body, body_hash, tx_prefixes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (raw, block) in raws.iter().zip(blocks) {
                debug_assert_eq!(raw.height, block.header.height);
                ins.execute(params![
                    raw.height as i64,
                    &raw.hash.0[..],
                    raw.header,
                    raw.body,
                    &raw.body_hash.0[..],
                    RawBlock::tx_prefixes_of(block)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Height of the last stored block, if any.
    pub fn head_height(&self) -> Result<Option<u64>> {
        let h: Option<i64> = self.conn.query_row("SELECT MAX(height) FROM blocks", [], |r| r.get(0))?;
        Ok(h.map(|h| h as u64))
    }

    pub fn raw_block(&self, height: u64) -> Result<Option<RawBlock>> {
        let mut st = self.conn.prepare_cached(
            "SELECT height, hash, header, body, body_hash, tx_prefixes FROM blocks WHERE height = ?1",
        )?;
        let mut rows = st.query([height as i64])?;
        match rows.next()? {
            Some(row) => row_to_raw(row).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes and integrity-checks one block.
    pub fn block(&self, height: u64) -> Result<Option<Block>> {
        match self.raw_block(height)? {
            None => Ok(None),
            Some(raw) => raw.check().map(Some),
        }
    }

    /// Visits stored blocks from `from` upward, in order, until `f` returns false.
    pub fn scan(&self, from: u64, mut f: impl FnMut(RawBlock) -> Result<bool>) -> Result<()> {
        let mut st = self.conn.prepare(
            "SELECT height, hash, header, body, body_hash, tx_prefixes FROM blocks WHERE height >= ?1 ORDER BY height",
        )?;
        let mut rows = st.query([from as i64])?;
        while let Some(row) = rows.next()? {
            if !f(row_to_raw(row)?)? {
                break;
            }
        }
        Ok(())
    }

    /// Heights of blocks that may hold a transaction with this id (matched on its first 8
    /// bytes: callers confirm the full id). One sequential pass over 8 bytes per transaction.
    pub fn tx_heights(&self, id: &Hash) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        self.scan_tx_prefixes(|height, prefix| {
            if prefix == id.0[..8] {
                out.push(height);
            }
        })?;
        out.dedup();
        Ok(out)
    }

    /// Visits every stored transaction-id prefix with its block's height, in journal order
    /// (for an in-memory index of the whole journal).
    pub fn scan_tx_prefixes(&self, mut f: impl FnMut(u64, [u8; 8])) -> Result<()> {
        let mut st = self.conn.prepare_cached("SELECT height, tx_prefixes FROM blocks ORDER BY height")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let height = row.get::<_, i64>(0)? as u64;
            let prefixes = row.get_ref(1)?.as_blob().unwrap_or(&[]);
            for p in prefixes.chunks_exact(8) {
                let mut a = [0u8; 8];
                a.copy_from_slice(p);
                f(height, a);
            }
        }
        Ok(())
    }

    pub fn put_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        let checksum = sha256(&snap.state);
        self.conn.execute(
            "INSERT OR REPLACE INTO snapshots (height, digest, state, checksum) VALUES (?1, ?2, ?3, ?4)",
            params![snap.height as i64, &snap.digest.0[..], snap.state, &checksum.0[..]],
        )?;
        // Keep the two newest: one may be damaged.
        self.conn.execute(
            "DELETE FROM snapshots WHERE height NOT IN (SELECT height FROM snapshots ORDER BY height DESC LIMIT 2)",
            [],
        )?;
        Ok(())
    }

    /// Every stored snapshot at or below `max_height`, newest first, each with what is wrong
    /// with it if its checksum or digest field does not hold (callers say so and skip it).
    pub fn snapshots(&self, max_height: u64) -> Result<Vec<StoredSnapshot>> {
        let mut st = self
            .conn
            .prepare("SELECT height, digest, state, checksum FROM snapshots WHERE height <= ?1 ORDER BY height DESC")?;
        let rows = st.query_map([max_height as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, Vec<u8>>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (height, digest, state, checksum) = row?;
            let found = sha256(&state);
            let damage = if digest.len() != 32 {
                Some(format!("its digest field holds {} bytes, not 32", digest.len()))
            } else if found.0[..] != checksum[..] {
                Some(format!("stored checksum {}, the state bytes hash to {found}", hex_of(&checksum)))
            } else {
                None
            };
            out.push(StoredSnapshot {
                snapshot: Snapshot { height: height as u64, digest: to_hash(&digest), state },
                damage,
            });
        }
        Ok(out)
    }

    /// Moves WAL checkpointing off the commit path: this connection stops checkpointing on
    /// commit, and a background thread with its own connection runs passive checkpoints
    /// (which never block the writer) every `every`. Without it, a commit that crosses the
    /// auto-checkpoint size copies the WAL into the database before returning — a latency
    /// spike of tens of milliseconds. Dropping the handle stops the thread.
    pub fn spawn_checkpointer(&self, every: std::time::Duration) -> Result<Checkpointer> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let conn = Connection::open_with_flags(
            Self::db_path(&self.dir),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("tessera-checkpoint".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(every);
                    // Best effort: a busy or failed checkpoint is retried next round; the WAL
                    // keeps every committed block meanwhile.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Checkpointer { stop, thread: Some(thread) })
    }

    /// Direct access for tests and tools that must alter stored bytes (tamper tests).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// A running background checkpointer (see [`Store::spawn_checkpointer`]).
pub struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A stored 32-byte hash; a field of another length reads as all zeros, which no real hash
/// is, so the comparison that follows reports it.
fn to_hash(v: &[u8]) -> Hash {
    let mut h = [0u8; 32];
    if v.len() == 32 {
        h.copy_from_slice(v);
    }
    Hash(h)
}

fn hex_of(v: &[u8]) -> String {
    v.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates `dir` (and missing parents) readable only by its owner, or tightens an existing
/// empty one to that. A directory that already holds other files is left as it is (it is not
/// only the ledger's); the ledger's own files are 0600 regardless.
fn private_dir(dir: &Path) -> Result<()> {
    let holds_files = std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(false);
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| StoreError::Io(format!("create {}: {e}", dir.display())))?;
    #[cfg(unix)]
    if !holds_files {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| StoreError::Io(format!("chmod {}: {e}", dir.display())))?;
    }
    Ok(())
}

/// One stored block row; a column of the wrong type (written by something other than
/// Tessera) is reported as damage of that block and column.
fn row_to_raw(r: &rusqlite::Row<'_>) -> Result<RawBlock> {
    let height = r.get::<_, i64>(0)? as u64;
    let blob = |i: usize, name: &str| -> Result<Vec<u8>> {
        r.get::<_, Vec<u8>>(i).map_err(|e| StoreError::Corrupt(format!("block {height}: {name} — {e}")))
    };
    Ok(RawBlock {
        height,
        hash: to_hash(&blob(1, "hash")?),
        header: blob(2, "header")?,
        body: blob(3, "body")?,
        body_hash: to_hash(&blob(4, "body_hash")?),
        tx_prefixes: blob(5, "tx_index")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::block::demo_genesis;
    use tessera_core::crypto::Keypair;
    use tessera_core::exec::Chain;
    use tessera_core::{Role, Time};

    fn chain() -> (Chain, Block) {
        let admin = Keypair::insecure_from_name("admin");
        Chain::genesis(&demo_genesis("t", Time(1_000), &[(&admin, &[Role::Admin])], [1, 1, 1])).unwrap()
    }

    #[test]
    fn append_read_and_check() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, g) = chain();
        let mut s = Store::create(dir.path(), &g).unwrap();
        let (b1, _) = c.build_block(Time(1_001), vec![]);
        let (b2, _) = c.build_block(Time(1_002), vec![]);
        s.append(&[b1.clone(), b2.clone()]).unwrap();
        drop(s);
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.head_height().unwrap(), Some(2));
        assert_eq!(s.block(2).unwrap().unwrap(), b2);
        assert!(Store::create(dir.path(), &g).is_err());
    }

    #[test]
    fn altered_body_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let (_, g) = chain();
        let s = Store::create(dir.path(), &g).unwrap();
        let raw = s.raw_block(0).unwrap().unwrap();
        let mut body = raw.body.clone();
        let last = body.len() - 1;
        body[last] ^= 1;
        s.connection().execute("UPDATE blocks SET body = ?1 WHERE height = 0", [body]).unwrap();
        let err = s.block(0).unwrap_err();
        assert_eq!(err.code(), Code::StoreCorrupt);
    }

    #[test]
    fn damaged_snapshots_are_returned_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let (_, g) = chain();
        let mut s = Store::create(dir.path(), &g).unwrap();
        s.put_snapshot(&Snapshot { height: 0, digest: Hash([1; 32]), state: vec![1, 2, 3] }).unwrap();
        s.put_snapshot(&Snapshot { height: 5, digest: Hash([2; 32]), state: vec![4, 5, 6] }).unwrap();
        s.connection().execute("UPDATE snapshots SET state = x'000000' WHERE height = 5", []).unwrap();
        let snaps = s.snapshots(10).unwrap();
        assert_eq!(snaps.iter().map(|s| s.snapshot.height).collect::<Vec<_>>(), vec![5, 0]);
        assert!(snaps[0].damage.as_deref().is_some_and(|d| d.contains("checksum")), "{:?}", snaps[0].damage);
        assert!(snaps[1].damage.is_none());
    }

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid_and_a_reader_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let (_, g) = chain();
        let writer = Store::create(dir.path(), &g).unwrap();
        let err = Store::open(dir.path()).err().expect("a second writer must be refused");
        assert_eq!(err.code(), Code::StoreLocked);
        assert!(err.to_string().contains(&std::process::id().to_string()), "{err}");
        let reader = Store::open_read_only(dir.path()).unwrap();
        assert_eq!(reader.head_height().unwrap(), Some(0));
        assert!(!reader.is_writer());
        // SQLite itself refuses a write through the reader.
        assert!(reader.connection().execute("DELETE FROM blocks", []).is_err());
        drop(writer);
        assert!(Store::open(dir.path()).unwrap().is_writer());
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_and_its_files_are_private_to_their_owner() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/ledger");
        let (mut c, g) = chain();
        let mut s = Store::create(&dir, &g).unwrap();
        let (b1, _) = c.build_block(Time(1_001), vec![]);
        s.append(&[b1]).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_holding_other_files_keeps_its_mode_and_the_ledger_files_are_still_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "not the ledger's").unwrap();
        let (_, g) = chain();
        Store::create(tmp.path(), &g).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(tmp.path()), 0o755);
        assert_eq!(mode(&Store::db_path(tmp.path())), 0o600);
    }

    #[test]
    fn a_file_that_is_not_a_database_is_corrupt_not_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(Store::db_path(dir.path()), vec![0x5a; 8192]).unwrap();
        assert_eq!(Store::open(dir.path()).err().map(|e| e.code()), Some(Code::StoreCorrupt));
        assert_eq!(Store::open_read_only(dir.path()).err().map(|e| e.code()), Some(Code::StoreCorrupt));
    }
}
