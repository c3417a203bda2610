//! The SQLite backend: the journal and snapshots of a data directory on embedded SQLite.
//!
//! One row per block: height, block hash, header bytes, body bytes and SHA-256 of the body.
//! `append` writes any number of blocks in one SQLite transaction (group commit); in WAL mode
//! with `synchronous=FULL` the commit returns only after the WAL is fsynced, so a block
//! reported appended survives kill -9 and power loss. SQLite's WAL frame checksums discard a
//! torn write of the WAL itself (a group cut mid-commit is not there when the file is opened
//! again), and a fault inside a group rolls the whole transaction back; the per-row body hash
//! and the hash links let the ledger detect damage SQLite cannot see (see [`RawBlock::check`]).
//!
//! Invariants:
//! - One writer per data directory: [`Store::create`] and [`Store::open`] hold an exclusive
//!   advisory lock on `DIR/ledger.lock` for the store's life (released by the kernel when the
//!   process dies, even by kill -9); a second writer is refused with `store.locked` naming
//!   the holder's PID — at once when the holder is another process. [`Store::open_read_only`] takes no lock and cannot write.
//! - Nothing here deletes or rewrites a committed block: SQLite commits a group of blocks
//!   atomically, so a half-written block cannot exist, and damage found later is reported
//!   (`store.corrupt`), never repaired by cutting.
//! - The data directory is created 0700 and the database file 0600 (SQLite gives its WAL and
//!   shared-memory files the database file's mode): the journal holds every party's holdings.

use crate::{
    stored_snapshot, to_hash, Journal, RawBlock, Result, Snapshot, StoreError, StoredSnapshot, SNAPSHOTS_KEPT,
};
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tessera_core::block::Block;
use tessera_core::crypto::sha256;
use tessera_core::Hash;

pub const DB_FILE: &str = "ledger.sqlite";

/// The lock file a writer holds (see [`DirLock`]).
pub const LOCK_FILE: &str = "ledger.lock";

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

/// The journal of one data directory in SQLite (see the module documentation).
///
/// Besides [`Journal`], `Store` has the same reads as inherent methods, so code holding a
/// concrete `Store` need not import the trait.
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
        use std::io::{Seek, Write};
        let path = dir.join(LOCK_FILE);
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(&path).map_err(|e| StoreError::Io(format!("open {}: {e}", path.display())))?;
        match Self::try_lock(&mut file) {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = Self::holder(&mut file);
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

    /// Takes the lock, waiting briefly only while the holder is this very process: a lock
    /// this process just released can still be held for a moment by a child being spawned by
    /// another thread (between fork and exec the child shares the lock's open file, even
    /// with close-on-exec set). Another process's lock is refused at once.
    fn try_lock(file: &mut std::fs::File) -> std::result::Result<(), std::fs::TryLockError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        loop {
            match file.try_lock() {
                Err(std::fs::TryLockError::WouldBlock)
                    if Self::holder_pid(&Self::holder(file)) == Some(std::process::id())
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => return other,
            }
        }
    }

    /// What the lock file says about its holder: "PID (program arguments)", or nothing.
    fn holder(file: &mut std::fs::File) -> String {
        use std::io::{Read, Seek};
        let mut holder = String::new();
        // Unreadable or empty: the refusal then says "another process".
        if file.rewind().is_ok() && file.read_to_string(&mut holder).is_err() {
            holder.clear();
        }
        holder
    }

    fn holder_pid(holder: &str) -> Option<u32> {
        holder.split_whitespace().next()?.parse().ok()
    }
}

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

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // The reads and writes of `Journal`, callable without importing it.

    /// See [`Journal::is_writer`].
    pub fn is_writer(&self) -> bool {
        Journal::is_writer(self)
    }
    /// See [`Journal::append`].
    pub fn append(&mut self, blocks: &[Block]) -> Result<()> {
        Journal::append(self, blocks)
    }
    /// See [`Journal::head_height`].
    pub fn head_height(&self) -> Result<Option<u64>> {
        Journal::head_height(self)
    }
    /// See [`Journal::raw_block`].
    pub fn raw_block(&self, height: u64) -> Result<Option<RawBlock>> {
        Journal::raw_block(self, height)
    }
    /// See [`Journal::block`].
    pub fn block(&self, height: u64) -> Result<Option<Block>> {
        Journal::block(self, height)
    }
    /// See [`Journal::scan`].
    pub fn scan(&self, from: u64, mut f: impl FnMut(RawBlock) -> Result<bool>) -> Result<()> {
        Journal::scan(self, from, &mut f)
    }
    /// See [`Journal::tx_heights`].
    pub fn tx_heights(&self, id: &Hash) -> Result<Vec<u64>> {
        Journal::tx_heights(self, id)
    }
    /// See [`Journal::scan_tx_prefixes`].
    pub fn scan_tx_prefixes(&self, mut f: impl FnMut(u64, [u8; 8])) -> Result<()> {
        Journal::scan_tx_prefixes(self, &mut f)
    }
    /// See [`Journal::put_snapshot`].
    pub fn put_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        Journal::put_snapshot(self, snap)
    }
    /// See [`Journal::snapshots`].
    pub fn snapshots(&self, max_height: u64) -> Result<Vec<StoredSnapshot>> {
        Journal::snapshots(self, max_height)
    }
}

impl Journal for Store {
    fn head_height(&self) -> Result<Option<u64>> {
        let h: Option<i64> = self.conn.query_row("SELECT MAX(height) FROM blocks", [], |r| r.get(0))?;
        Ok(h.map(|h| h as u64))
    }

    fn raw_block(&self, height: u64) -> Result<Option<RawBlock>> {
        let mut st = self.conn.prepare_cached(
            "SELECT height, hash, header, body, body_hash, tx_prefixes FROM blocks WHERE height = ?1",
        )?;
        let mut rows = st.query([sql_height(height)])?;
        match rows.next()? {
            Some(row) => row_to_raw(row).map(Some),
            None => Ok(None),
        }
    }

    fn scan(&self, from: u64, f: &mut dyn FnMut(RawBlock) -> Result<bool>) -> Result<()> {
        // One statement: it reads the journal as it was when it began, whatever is appended.
        let mut st = self.conn.prepare(
            "SELECT height, hash, header, body, body_hash, tx_prefixes FROM blocks WHERE height >= ?1 ORDER BY height",
        )?;
        let mut rows = st.query([sql_height(from)])?;
        while let Some(row) = rows.next()? {
            if !f(row_to_raw(row)?)? {
                break;
            }
        }
        Ok(())
    }

    fn scan_tx_prefixes(&self, f: &mut dyn FnMut(u64, [u8; 8])) -> Result<()> {
        let mut st = self.conn.prepare_cached("SELECT height, tx_prefixes FROM blocks ORDER BY height")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let height = row.get::<_, i64>(0)? as u64;
            let prefixes = row.get_ref(1)?.as_blob().unwrap_or(&[]);
            RawBlock::visit_tx_prefixes(height, prefixes, f);
        }
        Ok(())
    }

    fn snapshots(&self, max_height: u64) -> Result<Vec<StoredSnapshot>> {
        let mut st = self
            .conn
            .prepare("SELECT height, digest, state, checksum FROM snapshots WHERE height <= ?1 ORDER BY height DESC")?;
        let rows = st.query_map([sql_height(max_height)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, Vec<u8>>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (height, digest, state, checksum) = row?;
            out.push(stored_snapshot(height as u64, &digest, state, &checksum));
        }
        Ok(out)
    }

    fn reader(&self) -> Result<Box<dyn Journal>> {
        Ok(Box::new(Store::open_read_only(&self.dir)?))
    }

    fn is_writer(&self) -> bool {
        self._lock.is_some()
    }

    fn append(&mut self, blocks: &[Block]) -> Result<()> {
        let raws: Vec<RawBlock> = blocks.iter().map(RawBlock::encode).collect();
        let tx = self.conn.transaction()?;
        {
            let mut ins = tx.prepare_cached(
                "INSERT INTO blocks (height, hash, header, body, body_hash, tx_prefixes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for raw in &raws {
                ins.execute(params![
                    raw.height as i64,
                    &raw.hash.0[..],
                    raw.header,
                    raw.body,
                    &raw.body_hash.0[..],
                    raw.tx_prefixes
                ])?;
            }
        }
        // A failure above drops `tx` uncommitted: SQLite rolls the whole group back.
        tx.commit()?;
        Ok(())
    }

    fn put_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        let checksum = sha256(&snap.state);
        self.conn.execute(
            "INSERT OR REPLACE INTO snapshots (height, digest, state, checksum) VALUES (?1, ?2, ?3, ?4)",
            params![snap.height as i64, &snap.digest.0[..], snap.state, &checksum.0[..]],
        )?;
        // Keep the two newest: one may be damaged.
        self.conn.execute(
            "DELETE FROM snapshots WHERE height NOT IN (SELECT height FROM snapshots ORDER BY height DESC LIMIT ?1)",
            [SNAPSHOTS_KEPT as i64],
        )?;
        Ok(())
    }

    /// Moves WAL checkpointing off the commit path: this connection stops checkpointing on
    /// commit, and a background thread with its own connection runs passive checkpoints
    /// (which never block the writer) every `every`. Without it, a commit that crosses the
    /// auto-checkpoint size copies the WAL into the database before returning — a latency
    /// spike of tens of milliseconds. Dropping the handle stops the thread.
    fn spawn_checkpointer(&self, every: Duration) -> Result<Option<Checkpointer>> {
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
        Ok(Some(Checkpointer { stop, thread: Some(thread) }))
    }
}

/// A running background checkpointer (see [`Journal::spawn_checkpointer`]).
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

/// A height as SQLite's signed integer. Heights past `i64::MAX` are never stored, so they
/// stand for `i64::MAX`: a bound of `u64::MAX` means "all", not a negative number.
fn sql_height(h: u64) -> i64 {
    i64::try_from(h).unwrap_or(i64::MAX)
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
    use crate::testing;
    use tessera_core::block::demo_genesis;
    use tessera_core::crypto::Keypair;
    use tessera_core::exec::Chain;
    use tessera_core::{Code, Role, Time};

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
    fn a_lock_this_process_released_is_taken_again_once_a_spawning_child_lets_go_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let (_, g) = chain();
        let s = Store::create(dir.path(), &g).unwrap();
        // A child being spawned by another thread shares the lock's open file until it execs.
        let child = s._lock.as_ref().unwrap()._file.try_clone().unwrap();
        drop(s);
        let spawning = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(100));
            drop(child);
        });
        Store::open(dir.path()).expect("the writer waits out the spawning child");
        spawning.join().unwrap();
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
        testing::write_block_column(dir.path(), 0, "body", &body).unwrap();
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
        testing::write_snapshot_column(dir.path(), 5, "state", &[0, 0, 0]).unwrap();
        let snaps = s.snapshots(10).unwrap();
        assert_eq!(snaps.iter().map(|s| s.snapshot.height).collect::<Vec<_>>(), vec![5, 0]);
        assert!(snaps[0].damage.as_deref().is_some_and(|d| d.contains("checksum")), "{:?}", snaps[0].damage);
        assert!(snaps[1].damage.is_none());
    }

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid_and_a_reader_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, g) = chain();
        let writer = Store::create(dir.path(), &g).unwrap();
        let err = Store::open(dir.path()).err().expect("a second writer must be refused");
        assert_eq!(err.code(), Code::StoreLocked);
        assert!(err.to_string().contains(&std::process::id().to_string()), "{err}");
        let mut reader = Store::open_read_only(dir.path()).unwrap();
        assert_eq!(reader.head_height().unwrap(), Some(0));
        assert!(!reader.is_writer());
        // SQLite itself refuses a write through the reader.
        let (b1, _) = c.build_block(Time(1_001), vec![]);
        assert!(reader.append(&[b1]).is_err());
        drop(writer);
        assert!(Store::open(dir.path()).unwrap().is_writer());
    }

    #[test]
    fn a_write_through_a_reader_is_refused_with_sqlites_words_and_the_code_store_io() {
        let dir = tempfile::tempdir().unwrap();
        let (mut c, g) = chain();
        let _writer = Store::create(dir.path(), &g).unwrap();
        let mut reader = Store::open_read_only(dir.path()).unwrap();
        let (b1, _) = c.build_block(Time(1_001), vec![]);
        let err = reader.append(&[b1]).unwrap_err();
        assert_eq!(err.code(), Code::StoreIo);
        assert_eq!(err.to_string(), "storage engine: attempt to write a readonly database");
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
