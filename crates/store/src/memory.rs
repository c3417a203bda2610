//! The in-memory backend: a journal that lives as long as its [`MemoryVolume`], for tests and
//! for running a ledger without files.
//!
//! A [`MemoryVolume`] plays the data directory: handles opened on it share its blocks,
//! snapshots and transaction-id index. It keeps the same contract as the SQLite backend:
//! - A group is appended all or none: it is checked and staged whole, then published under
//!   one write lock, so no reader ever sees part of it; a fault while it is staged (a height
//!   already stored, or an injected fault) publishes nothing. "Durable" here means visible to
//!   every handle of the volume once `append` returns, and kept after the writer is dropped.
//! - Stored bytes are kept as they were appended (the testing hooks may damage them, as a bad
//!   disk would) and returned as they are; nothing is cut or repaired.
//! - One writer per volume (`store.locked` for a second one while it lives); read-only
//!   handles refuse to write with `store.io`, as SQLite refuses a write on a read-only
//!   connection.

use crate::{stored_snapshot, Journal, RawBlock, Result, Snapshot, StoreError, StoredSnapshot, SNAPSHOTS_KEPT};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tessera_core::block::Block;
use tessera_core::crypto::sha256;

/// A snapshot as kept: the fields SQLite keeps, so that damage reads back the same way.
struct StoredState {
    digest: Vec<u8>,
    state: Vec<u8>,
    /// SHA-256 of `state` when it was stored.
    checksum: Vec<u8>,
}

/// Where an in-memory journal lives (the memory backend's data directory). Clones share it.
#[derive(Clone, Default)]
pub struct MemoryVolume(Arc<Volume>);

#[derive(Default)]
struct Volume {
    /// `None` until a journal is created on the volume.
    data: RwLock<Option<Data>>,
    /// Whether a writer handle is open (the volume's one-writer lock).
    writer: AtomicBool,
}

#[derive(Default)]
struct Data {
    blocks: BTreeMap<u64, RawBlock>,
    snapshots: BTreeMap<u64, StoredState>,
    /// An injected fault: an append reaching this height fails there (testing hooks).
    fail_at: Option<u64>,
}

impl MemoryVolume {
    pub fn new() -> MemoryVolume {
        MemoryVolume::default()
    }

    /// Whether a journal was created on this volume.
    pub fn exists(&self) -> bool {
        self.read().is_some()
    }

    fn read(&self) -> RwLockReadGuard<'_, Option<Data>> {
        self.0.data.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Option<Data>> {
        self.0.data.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_writer(&self) -> Result<()> {
        match self.0.writer.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => Ok(()),
            Err(_) => Err(StoreError::Locked(
                "the in-memory journal is being written by another handle; one writer per journal".into(),
            )),
        }
    }
}

/// A handle on the journal of a [`MemoryVolume`] (see the module documentation).
pub struct MemoryJournal {
    volume: MemoryVolume,
    writer: bool,
}

impl Drop for MemoryJournal {
    fn drop(&mut self) {
        if self.writer {
            self.volume.0.writer.store(false, Ordering::Release);
        }
    }
}

fn already_holds() -> StoreError {
    StoreError::State("this in-memory volume already holds a ledger".into())
}

fn no_journal() -> StoreError {
    StoreError::State("no ledger in this in-memory volume (create one first)".into())
}

impl MemoryJournal {
    /// Creates the volume's journal holding the genesis block. Refuses if one exists.
    pub fn create(volume: &MemoryVolume, genesis: &Block) -> Result<MemoryJournal> {
        if volume.exists() {
            return Err(already_holds());
        }
        volume.lock_writer()?;
        // From here the handle releases the writer lock when dropped, on any path.
        let mut journal = MemoryJournal { volume: volume.clone(), writer: true };
        {
            let mut data = volume.write();
            if data.is_some() {
                return Err(already_holds());
            }
            *data = Some(Data::default());
        }
        journal.append(std::slice::from_ref(genesis))?;
        Ok(journal)
    }

    /// Opens the volume's journal to write it: refused with `store.locked` while another
    /// writer handle lives.
    pub fn open(volume: &MemoryVolume) -> Result<MemoryJournal> {
        if !volume.exists() {
            return Err(no_journal());
        }
        volume.lock_writer()?;
        Ok(MemoryJournal { volume: volume.clone(), writer: true })
    }

    /// Opens the volume's journal to read it, beside a writer if one lives.
    pub fn open_read_only(volume: &MemoryVolume) -> Result<MemoryJournal> {
        if !volume.exists() {
            return Err(no_journal());
        }
        Ok(MemoryJournal { volume: volume.clone(), writer: false })
    }

    pub fn volume(&self) -> &MemoryVolume {
        &self.volume
    }

    /// Runs `f` on the stored data under the read lock.
    fn with<T>(&self, f: impl FnOnce(&Data) -> T) -> Result<T> {
        self.volume.read().as_ref().map(f).ok_or_else(no_journal)
    }

    /// Runs `f` on the stored data under the write lock, if this handle may write.
    fn with_mut<T>(&self, f: impl FnOnce(&mut Data) -> Result<T>) -> Result<T> {
        if !self.writer {
            // The words SQLite uses for a write on a read-only connection.
            return Err(StoreError::Io("attempt to write a readonly database".into()));
        }
        self.volume.write().as_mut().ok_or_else(no_journal).and_then(f)
    }
}

impl Journal for MemoryJournal {
    fn head_height(&self) -> Result<Option<u64>> {
        self.with(|d| d.blocks.last_key_value().map(|(h, _)| *h))
    }

    fn raw_block(&self, height: u64) -> Result<Option<RawBlock>> {
        self.with(|d| d.blocks.get(&height).cloned())
    }

    fn scan(&self, from: u64, f: &mut dyn FnMut(RawBlock) -> Result<bool>) -> Result<()> {
        // The journal as it was when the scan began: blocks appended meanwhile are past `end`.
        // The lock is taken per block, so that `f` may take its time without holding up the
        // writer.
        let Some(end) = self.head_height()? else { return Ok(()) };
        let mut next = from;
        while next <= end {
            let Some(raw) = self.with(|d| d.blocks.range(next..=end).next().map(|(_, r)| r.clone()))? else {
                break;
            };
            let last = raw.height == end;
            next = raw.height.saturating_add(1);
            if !f(raw)? || last {
                break;
            }
        }
        Ok(())
    }

    fn scan_tx_prefixes(&self, f: &mut dyn FnMut(u64, [u8; 8])) -> Result<()> {
        self.with(|d| {
            for (height, raw) in &d.blocks {
                RawBlock::visit_tx_prefixes(*height, &raw.tx_prefixes, f);
            }
        })
    }

    fn snapshots(&self, max_height: u64) -> Result<Vec<StoredSnapshot>> {
        self.with(|d| {
            d.snapshots
                .range(..=max_height)
                .rev()
                .map(|(h, s)| stored_snapshot(*h, &s.digest, s.state.clone(), &s.checksum))
                .collect()
        })
    }

    fn reader(&self) -> Result<Box<dyn Journal>> {
        Ok(Box::new(MemoryJournal::open_read_only(&self.volume)?))
    }

    fn is_writer(&self) -> bool {
        self.writer
    }

    fn append(&mut self, blocks: &[Block]) -> Result<()> {
        let staged: Vec<RawBlock> = blocks.iter().map(RawBlock::encode).collect();
        self.with_mut(|d| {
            let mut group = BTreeMap::new();
            for raw in staged {
                let h = raw.height;
                if d.fail_at == Some(h) {
                    return Err(StoreError::Io(format!("injected fault while writing block {h}")));
                }
                if d.blocks.contains_key(&h) || group.insert(h, raw).is_some() {
                    return Err(StoreError::Io(format!("block {h} is already stored")));
                }
            }
            d.blocks.append(&mut group);
            Ok(())
        })
    }

    fn put_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        let entry = StoredState {
            digest: snap.digest.0.to_vec(),
            state: snap.state.clone(),
            checksum: sha256(&snap.state).0.to_vec(),
        };
        self.with_mut(|d| {
            d.snapshots.insert(snap.height, entry);
            while d.snapshots.len() > SNAPSHOTS_KEPT {
                d.snapshots.pop_first();
            }
            Ok(())
        })
    }
}

/// Fault injection and damage, as the conformance suite and other tests need them.
#[cfg(any(test, feature = "testing"))]
impl MemoryVolume {
    /// Makes every append that reaches block `height` fail there, after the blocks before it
    /// in its group were staged (a fault mid-group); `None` lifts it.
    pub fn fail_appends_at(&self, height: Option<u64>) {
        if let Some(d) = self.write().as_mut() {
            d.fail_at = height;
        }
    }

    /// Changes the stored form of block `height` in place, as a bad disk would.
    pub fn damage_block(&self, height: u64, f: impl FnOnce(&mut RawBlock)) {
        if let Some(raw) = self.write().as_mut().and_then(|d| d.blocks.get_mut(&height)) {
            f(raw);
        }
    }

    /// Changes the stored state bytes of the snapshot at `height` in place.
    pub fn damage_snapshot_state(&self, height: u64, f: impl FnOnce(&mut Vec<u8>)) {
        if let Some(stored) = self.write().as_mut().and_then(|d| d.snapshots.get_mut(&height)) {
            f(&mut stored.state);
        }
    }
}
