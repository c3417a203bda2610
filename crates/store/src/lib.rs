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

use borsh::BorshDeserialize;
use rusqlite::{params, Connection, OptionalExtension};
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
}

impl StoreError {
    pub fn code(&self) -> Code {
        match self {
            StoreError::Io(_) => Code::StoreIo,
            StoreError::Corrupt(_) => Code::StoreCorrupt,
            StoreError::State(_) => Code::StoreState,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Io(e.to_string())
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
}

impl RawBlock {
    pub fn encode(block: &Block) -> RawBlock {
        let header = borsh::to_vec(&block.header).unwrap_or_default();
        let body = borsh::to_vec(&block.body).unwrap_or_default();
        RawBlock { height: block.header.height, hash: block.header.hash(), body_hash: sha256(&body), header, body }
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
        if sha256(&self.body) != self.body_hash {
            return Err(StoreError::Corrupt(format!("block {}: body checksum mismatch", self.height)));
        }
        let header = self.decode_header()?;
        if header.hash() != self.hash || header.height != self.height {
            return Err(StoreError::Corrupt(format!("block {}: header hash mismatch", self.height)));
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

pub struct Store {
    conn: Connection,
    dir: PathBuf,
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
        let conn = Connection::open(Self::db_path(dir))?;
        // WAL + FULL: a commit returns after the WAL is on stable storage.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        conn.execute_batch(SCHEMA)?;
        Ok(conn)
    }

    /// Creates a new journal holding the genesis block. Refuses if one exists.
    pub fn create(dir: &Path, genesis: &Block) -> Result<Store> {
        if Self::exists(dir) {
            return Err(StoreError::State(format!("{} already holds a ledger", dir.display())));
        }
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(format!("create {}: {e}", dir.display())))?;
        let mut s = Store { conn: Self::connect(dir)?, dir: dir.to_path_buf() };
        s.append(std::slice::from_ref(genesis))?;
        Ok(s)
    }

    pub fn open(dir: &Path) -> Result<Store> {
        if !Self::exists(dir) {
            return Err(StoreError::State(format!("no ledger in {} (run `tessera init` first)", dir.display())));
        }
        Ok(Store { conn: Self::connect(dir)?, dir: dir.to_path_buf() })
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
                let prefixes: Vec<u8> = block.body.receipts.iter().flat_map(|r| r.tx.0[..8].to_vec()).collect();
                ins.execute(params![
                    raw.height as i64,
                    &raw.hash.0[..],
                    raw.header,
                    raw.body,
                    &raw.body_hash.0[..],
                    prefixes
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
        let mut st =
            self.conn.prepare_cached("SELECT height, hash, header, body, body_hash FROM blocks WHERE height = ?1")?;
        Ok(st.query_row([height as i64], row_to_raw).optional()?)
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
        let mut st = self
            .conn
            .prepare("SELECT height, hash, header, body, body_hash FROM blocks WHERE height >= ?1 ORDER BY height")?;
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
        let mut st = self.conn.prepare_cached("SELECT height, tx_prefixes FROM blocks ORDER BY height")?;
        let mut rows = st.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let prefixes = row.get_ref(1)?.as_blob().unwrap_or(&[]);
            if prefixes.chunks_exact(8).any(|p| p == &id.0[..8]) {
                out.push(row.get::<_, i64>(0)? as u64);
            }
        }
        Ok(out)
    }

    /// Removes every block from `height` on (a damaged tail), and snapshots above it.
    pub fn truncate_from(&mut self, height: u64) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM blocks WHERE height >= ?1", [height as i64])?;
        tx.execute("DELETE FROM snapshots WHERE height >= ?1", [height as i64])?;
        tx.commit()?;
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

    /// Snapshots at or below `max_height` whose checksum holds, newest first.
    pub fn snapshots(&self, max_height: u64) -> Result<Vec<Snapshot>> {
        let mut st = self
            .conn
            .prepare("SELECT height, digest, state, checksum FROM snapshots WHERE height <= ?1 ORDER BY height DESC")?;
        let rows = st.query_map([max_height as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, Vec<u8>>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (height, digest, state, checksum) = row?;
            if sha256(&state).0[..] != checksum[..] || digest.len() != 32 {
                continue; // a damaged snapshot is skipped; replay covers the gap
            }
            let mut d = [0u8; 32];
            d.copy_from_slice(&digest);
            out.push(Snapshot { height: height as u64, digest: Hash(d), state });
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
        let conn = Connection::open(Self::db_path(&self.dir))?;
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

fn row_to_raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawBlock> {
    let hash: Vec<u8> = r.get(1)?;
    let body_hash: Vec<u8> = r.get(4)?;
    let to_hash = |v: &[u8]| {
        let mut h = [0u8; 32];
        if v.len() == 32 {
            h.copy_from_slice(v);
        }
        Hash(h)
    };
    Ok(RawBlock {
        height: r.get::<_, i64>(0)? as u64,
        hash: to_hash(&hash),
        header: r.get(2)?,
        body: r.get(3)?,
        body_hash: to_hash(&body_hash),
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
    fn snapshots_skip_damaged_ones() {
        let dir = tempfile::tempdir().unwrap();
        let (_, g) = chain();
        let mut s = Store::create(dir.path(), &g).unwrap();
        s.put_snapshot(&Snapshot { height: 0, digest: Hash([1; 32]), state: vec![1, 2, 3] }).unwrap();
        s.put_snapshot(&Snapshot { height: 5, digest: Hash([2; 32]), state: vec![4, 5, 6] }).unwrap();
        s.connection().execute("UPDATE snapshots SET state = x'000000' WHERE height = 5", []).unwrap();
        let snaps = s.snapshots(10).unwrap();
        assert_eq!(snaps.len(), 1);
        assert_eq!(snaps[0].height, 0);
    }
}
