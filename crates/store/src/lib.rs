//! The journal and snapshots of the ledger (L10, N1), behind one trait with three backends.
//!
//! - [`Journal`] is what the node needs of storage: append a group of blocks atomically and
//!   durably, read blocks by height and in ranges, the head, snapshots, the transaction-id
//!   index, and independent read handles that read while the writer appends. Every backend
//!   passes the same conformance suite (`conformance`, with the `testing` feature).
//! - [`Store`] keeps the journal in embedded SQLite (the ledger's files; see [`sqlite`]).
//! - [`MemoryJournal`] keeps it in memory, for tests and in-memory runs (see [`memory`]).
//! - [`PgJournal`] keeps it in PostgreSQL, for a ledger that must survive losing a machine:
//!   one fenced writer, standby nodes, synchronous replication (see [`postgres`]).
//! - [`Location`] turns a command's `--data DIR` or `--store URL` into a journal.
//! - [`export`] is the portable journal export: the blocks of any journal in one checksummed,
//!   append-only file (docs/formats.md), and [`ExportFile`], such a file read as a journal.
//!
//! One stored block is a [`RawBlock`]: height, block hash, header bytes, body bytes, SHA-256 of
//! the body and the block's transaction-id index entry. Storage knows blocks, not their
//! meaning: replay and recovery live in the engine, which checks each stored block against
//! its checksum, its hash link and its contents.
//!
//! Invariants every backend keeps:
//! - A group of blocks is appended all or none; once `append` returns, the group is durable
//!   (for the memory backend: visible to every handle of its volume) and no part of a group
//!   that failed is ever visible. So a torn tail — a group cut by a crash or a fault while it
//!   was written — cannot be read back: the journal ends at the group before it.
//! - Nothing deletes or rewrites a stored block. Stored bytes that later stop matching their
//!   checksum (a bad disk, a careless hand) are returned as they are, so recovery reports the
//!   damage (`store.corrupt`) instead of cutting it away.
//! - One writer: a second writer is refused (`store.locked`) while the first lives; read-only
//!   handles read beside it and cannot write.

use borsh::BorshDeserialize;
use tessera_core::block::{Block, BlockBody, BlockHeader};
use tessera_core::crypto::sha256;
use tessera_core::{Code, Hash, Refusal};

pub mod export;
mod journal;
pub mod memory;
pub mod postgres;
pub mod sqlite;

#[cfg(any(test, feature = "testing"))]
pub mod conformance;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use export::{export_journal, ExportError, ExportFile};
pub use journal::Journal;
pub use memory::{MemoryJournal, MemoryVolume};
pub use postgres::{PgJournal, PgUrl};
pub use sqlite::{Checkpointer, Store, DB_FILE, LOCK_FILE};

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
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Schema(String),
    #[error("{0}")]
    Fenced(String),
}

impl StoreError {
    pub fn code(&self) -> Code {
        match self {
            StoreError::Io(_) => Code::StoreIo,
            StoreError::Corrupt(_) => Code::StoreCorrupt,
            StoreError::State(_) => Code::StoreState,
            StoreError::Locked(_) => Code::StoreLocked,
            StoreError::Unreachable(_) => Code::StoreUnreachable,
            StoreError::Schema(_) => Code::StoreSchema,
            StoreError::Fenced(_) => Code::StoreFenced,
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Visits each transaction-id prefix of a stored index entry (see [`Self::tx_prefixes_of`])
    /// with its block's height; a trailing partial prefix (damage) is skipped.
    pub fn visit_tx_prefixes(height: u64, prefixes: &[u8], f: &mut dyn FnMut(u64, [u8; 8])) {
        for p in prefixes.chunks_exact(8) {
            let mut a = [0u8; 8];
            a.copy_from_slice(p);
            f(height, a);
        }
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
#[derive(Clone, Debug, PartialEq, Eq)]
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

/// How many snapshots a journal keeps: the newest may be damaged, so one more.
pub const SNAPSHOTS_KEPT: usize = 2;

/// A snapshot as read back: `damage` says why its stored checksum or digest field does not
/// hold (the same words for every backend).
fn stored_snapshot(height: u64, digest: &[u8], state: Vec<u8>, checksum: &[u8]) -> StoredSnapshot {
    let found = sha256(&state);
    let damage = if digest.len() != 32 {
        Some(format!("its digest field holds {} bytes, not 32", digest.len()))
    } else if found.0[..] != checksum[..] {
        Some(format!("stored checksum {}, the state bytes hash to {found}", hex_of(checksum)))
    } else {
        None
    };
    StoredSnapshot { snapshot: Snapshot { height, digest: to_hash(digest), state }, damage }
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

/// Where a ledger's journal lives: a data directory (embedded SQLite, the default) or a
/// PostgreSQL database. Commands take `--data DIR` or `--store URL`; this is the one place
/// that turns either into a journal.
#[derive(Clone, Debug)]
pub enum Location {
    Dir(std::path::PathBuf),
    Postgres(Box<PgUrl>),
}

impl Location {
    /// `postgres://…` / `postgresql://…` is a database; anything else (optionally `sqlite:`
    /// before it) is a data directory.
    pub fn parse(s: &str) -> Result<Location> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(Location::Postgres(Box::new(PgUrl::parse(s)?)));
        }
        Ok(Location::Dir(s.strip_prefix("sqlite:").unwrap_or(s).into()))
    }

    /// The store a command names: `--store` when given, else the data directory.
    pub fn of(store: Option<&str>, data: &std::path::Path) -> Result<Location> {
        match store {
            Some(s) => Location::parse(s),
            None => Ok(Location::Dir(data.to_path_buf())),
        }
    }

    /// For messages and logs (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            Location::Dir(d) => d.display().to_string(),
            Location::Postgres(u) => u.describe(),
        }
    }

    /// Creates a new journal holding `genesis` for `network`, as its writer.
    pub fn create(&self, genesis: &Block, network: &str) -> Result<Box<dyn Journal>> {
        Ok(match self {
            Location::Dir(d) => Box::new(Store::create(d, genesis)?),
            Location::Postgres(u) => Box::new(PgJournal::create(u, genesis, network)?),
        })
    }

    /// Opens the journal to write it (refused with `store.locked` while another writer lives).
    pub fn open(&self) -> Result<Box<dyn Journal>> {
        Ok(match self {
            Location::Dir(d) => Box::new(Store::open(d)?),
            Location::Postgres(u) => Box::new(PgJournal::open(u)?),
        })
    }

    /// Opens the journal to read it, beside a writer if one runs.
    pub fn open_read_only(&self) -> Result<Box<dyn Journal>> {
        Ok(match self {
            Location::Dir(d) => Box::new(Store::open_read_only(d)?),
            Location::Postgres(u) => Box::new(PgJournal::open_read_only(u)?),
        })
    }
}

/// Copies every block of `from` into a new journal at `to` (a move from SQLite to PostgreSQL),
/// in groups, each block integrity-checked on the way; snapshots are not copied (the next
/// start replays, then writes its own). Returns the height copied. Replay and signatures are
/// checked by `tessera verify` afterwards, not here.
pub fn copy_journal(from: &dyn Journal, to: &Location) -> Result<u64> {
    let genesis =
        from.block(0)?.ok_or_else(|| StoreError::State("the journal to copy holds no genesis block".into()))?;
    let network = genesis.body.genesis.as_ref().map(|g| g.network.clone()).unwrap_or_default();
    let mut out = to.create(&genesis, &network)?;
    let mut group = Vec::new();
    let mut height = 0;
    let mut flush = |group: &mut Vec<Block>| -> Result<()> {
        if !group.is_empty() {
            out.append(group)?;
            group.clear();
        }
        Ok(())
    };
    from.scan(1, &mut |raw| {
        height = raw.height;
        group.push(raw.check()?);
        if group.len() >= 256 {
            flush(&mut group)?;
        }
        Ok(true)
    })?;
    flush(&mut group)?;
    Ok(height)
}
