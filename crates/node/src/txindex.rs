//! Where each journaled transaction is, by id, for the whole journal, in memory.
//!
//! Built at start from the journal's stored index column (8 bytes per transaction, read in
//! one sequential pass; `verify` checks that column against the bodies) and extended with every
//! block as it becomes durable, before its submitters are answered — so a client holding a
//! receipt always finds its transaction. Keys are the first 8 bytes of the id (callers confirm
//! the full id in the block); two ids sharing them (about one pair in 2^32 at a billion
//! transactions) both keep their heights. About 16–24 bytes per transaction.

use rustc_hash::FxHashMap;
use std::sync::RwLock;
use tessera_core::block::Block;
use tessera_core::Hash;
use tessera_store::Journal;

#[derive(Default)]
pub struct TxIndex {
    inner: RwLock<Heights>,
}

#[derive(Default)]
struct Heights {
    /// The first block holding a transaction whose id starts with the key.
    first: FxHashMap<u64, u64>,
    /// Later blocks for the same key (ids that share their first 8 bytes).
    more: FxHashMap<u64, Vec<u64>>,
}

fn key(prefix: [u8; 8]) -> u64 {
    u64::from_le_bytes(prefix)
}

impl Heights {
    fn insert(&mut self, prefix: [u8; 8], height: u64) {
        let k = key(prefix);
        match self.first.get(&k) {
            None => {
                self.first.insert(k, height);
            }
            Some(&h) if h == height => {}
            Some(_) => {
                let more = self.more.entry(k).or_default();
                if more.last() != Some(&height) {
                    more.push(height);
                }
            }
        }
    }
}

impl TxIndex {
    /// The index of every transaction in the journal.
    pub fn build(store: &dyn Journal) -> Result<TxIndex, tessera_store::StoreError> {
        let mut h = Heights::default();
        store.scan_tx_prefixes(&mut |height, prefix| {
            h.insert(prefix, height);
        })?;
        Ok(TxIndex { inner: RwLock::new(h) })
    }

    /// Adds durable blocks (in height order).
    pub fn add(&self, blocks: &[Block]) {
        let mut g = self.inner.write().unwrap_or_else(|e| e.into_inner());
        for b in blocks {
            for r in &b.body.receipts {
                let mut p = [0u8; 8];
                p.copy_from_slice(&r.tx.0[..8]);
                g.insert(p, b.header.height);
            }
        }
    }

    /// Heights of the blocks that may hold transaction `id`, lowest first.
    pub fn heights(&self, id: &Hash) -> Vec<u64> {
        let mut p = [0u8; 8];
        p.copy_from_slice(&id.0[..8]);
        let k = key(p);
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<u64> = g.first.get(&k).copied().into_iter().collect();
        out.extend(g.more.get(&k).into_iter().flatten().copied());
        out
    }

    /// Transactions indexed.
    pub fn len(&self) -> usize {
        let g = self.inner.read().unwrap_or_else(|e| e.into_inner());
        g.first.len() + g.more.values().map(Vec::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sharing_a_prefix_keep_every_height() {
        let mut h = Heights::default();
        h.insert([1; 8], 3);
        h.insert([1; 8], 3);
        h.insert([1; 8], 9);
        h.insert([2; 8], 4);
        let idx = TxIndex { inner: RwLock::new(h) };
        let mut id = Hash([0; 32]);
        id.0[..8].copy_from_slice(&[1; 8]);
        assert_eq!(idx.heights(&id), vec![3, 9]);
        id.0[..8].copy_from_slice(&[7; 8]);
        assert!(idx.heights(&id).is_empty());
        assert_eq!(idx.len(), 3);
    }
}
