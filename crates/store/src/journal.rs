//! The storage contract the node writes and reads the ledger through.

use crate::{Checkpointer, RawBlock, Result, Snapshot, StoredSnapshot};
use std::time::Duration;
use tessera_core::block::Block;
use tessera_core::Hash;

/// A journal of blocks with snapshots and a transaction-id index.
///
/// A handle is either the one writer of its journal (from a backend's `create` or `open`;
/// a second writer is refused with `store.locked` while it lives) or a reader (a backend's
/// `open_read_only`, or [`Journal::reader`]), whose writes fail with `store.io` and change
/// nothing. Readers read while the writer appends, each on its own thread.
///
/// Contract (checked for every backend by the conformance suite, `conformance`):
/// - [`append`](Journal::append) stores a group of blocks all or none, and is durable when it
///   returns. A group cut by a fault or a crash (a torn tail) is never visible, so the
///   journal ends at the group before it.
/// - Stored bytes are returned exactly as stored, damaged or not: recovery detects damage by
///   [`RawBlock::check`] and the hash links and refuses to open; nothing here cuts or repairs.
/// - A read sees whole groups only, and a scan sees the journal as it was when it began.
/// - The two newest snapshots are kept ([`crate::SNAPSHOTS_KEPT`]).
///
/// Appends are group commits, so a call through `dyn Journal` costs nothing that matters;
/// `Box<dyn Journal>` is itself a journal.
pub trait Journal: Send {
    /// Height of the last stored block, if any.
    fn head_height(&self) -> Result<Option<u64>>;

    /// One stored block as stored, without checking it.
    fn raw_block(&self, height: u64) -> Result<Option<RawBlock>>;

    /// Visits stored blocks from `from` upward, in order, until `f` returns false (a range
    /// read: stop at the range's end).
    fn scan(&self, from: u64, f: &mut dyn FnMut(RawBlock) -> Result<bool>) -> Result<()>;

    /// Visits every stored transaction-id prefix with its block's height, in journal order
    /// (for an in-memory index of the whole journal).
    fn scan_tx_prefixes(&self, f: &mut dyn FnMut(u64, [u8; 8])) -> Result<()>;

    /// Every stored snapshot at or below `max_height`, newest first, each with what is wrong
    /// with it if its checksum or digest field does not hold (callers say so and skip it).
    fn snapshots(&self, max_height: u64) -> Result<Vec<StoredSnapshot>>;

    /// A new read handle on the same journal, for another thread.
    fn reader(&self) -> Result<Box<dyn Journal>>;

    /// Whether this handle may write (it is the journal's one writer).
    fn is_writer(&self) -> bool;

    /// Tries to become the journal's writer, if the backend lets a reader take over once the
    /// writer is gone (PostgreSQL: its advisory lock and a new fencing term). Returns whether
    /// this handle now writes.
    fn try_become_writer(&mut self) -> Result<bool> {
        Ok(self.is_writer())
    }

    /// The fencing term this handle writes under, for backends that fence writers.
    fn fencing_term(&self) -> Option<i64> {
        None
    }

    /// Appends blocks in one durable, all-or-none transaction (group commit).
    fn append(&mut self, blocks: &[Block]) -> Result<()>;

    /// Stores a snapshot (replacing one at the same height) and drops all but the newest
    /// [`crate::SNAPSHOTS_KEPT`].
    fn put_snapshot(&mut self, snap: &Snapshot) -> Result<()>;

    /// Moves the backend's housekeeping off the commit path, if it has any (SQLite: WAL
    /// checkpoints, every `every`). Dropping the handle stops it.
    fn spawn_checkpointer(&self, _every: Duration) -> Result<Option<Checkpointer>> {
        Ok(None)
    }

    /// Decodes and integrity-checks one block.
    fn block(&self, height: u64) -> Result<Option<Block>> {
        match self.raw_block(height)? {
            None => Ok(None),
            Some(raw) => raw.check().map(Some),
        }
    }

    /// Heights of blocks that may hold a transaction with this id (matched on its first 8
    /// bytes: callers confirm the full id). One sequential pass over 8 bytes per transaction.
    fn tx_heights(&self, id: &Hash) -> Result<Vec<u64>> {
        let mut out = Vec::new();
        self.scan_tx_prefixes(&mut |height, prefix| {
            if prefix == id.0[..8] {
                out.push(height);
            }
        })?;
        out.dedup();
        Ok(out)
    }
}

impl<J: Journal + ?Sized> Journal for Box<J> {
    fn head_height(&self) -> Result<Option<u64>> {
        (**self).head_height()
    }
    fn raw_block(&self, height: u64) -> Result<Option<RawBlock>> {
        (**self).raw_block(height)
    }
    fn scan(&self, from: u64, f: &mut dyn FnMut(RawBlock) -> Result<bool>) -> Result<()> {
        (**self).scan(from, f)
    }
    fn scan_tx_prefixes(&self, f: &mut dyn FnMut(u64, [u8; 8])) -> Result<()> {
        (**self).scan_tx_prefixes(f)
    }
    fn snapshots(&self, max_height: u64) -> Result<Vec<StoredSnapshot>> {
        (**self).snapshots(max_height)
    }
    fn reader(&self) -> Result<Box<dyn Journal>> {
        (**self).reader()
    }
    fn is_writer(&self) -> bool {
        (**self).is_writer()
    }
    fn append(&mut self, blocks: &[Block]) -> Result<()> {
        (**self).append(blocks)
    }
    fn try_become_writer(&mut self) -> Result<bool> {
        (**self).try_become_writer()
    }
    fn fencing_term(&self) -> Option<i64> {
        (**self).fencing_term()
    }
    fn put_snapshot(&mut self, snap: &Snapshot) -> Result<()> {
        (**self).put_snapshot(snap)
    }
    fn spawn_checkpointer(&self, every: Duration) -> Result<Option<Checkpointer>> {
        (**self).spawn_checkpointer(every)
    }
    fn block(&self, height: u64) -> Result<Option<tessera_core::block::Block>> {
        (**self).block(height)
    }
    fn tx_heights(&self, id: &Hash) -> Result<Vec<u64>> {
        (**self).tx_heights(id)
    }
}
