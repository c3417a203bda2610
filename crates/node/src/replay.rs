//! Replay and verification (L9). Replaying a block re-executes its transactions on the state
//! before it and compares everything the block claims: each transaction's id against its
//! receipt, each signature, each receipt field, the system receipt, both Merkle roots, the state
//! digest and the hash link. The first disagreement is reported with its block, transaction
//! and field.

use rayon::prelude::*;
use tessera_core::block::{Block, BlockHeader};
use tessera_core::exec::Chain;
pub use tessera_core::replay::{mismatch, reexecute, Mismatch};
use tessera_core::state::State;
use tessera_core::tx::CheckedTx;
use tessera_core::{crypto, Refusal};
use tessera_store::{Journal, RawBlock, StoredSnapshot};

/// Checks the stored form of a block against its claimed header, before decoding its meaning.
pub fn check_raw(raw: &RawBlock, expected_height: u64, prev: Option<&BlockHeader>) -> Result<Block, Mismatch> {
    let h = raw.height;
    let header = raw.decode_header().map_err(|e| mismatch(h, None, "header", e.to_string()))?;
    if header.height != expected_height || h != expected_height {
        return Err(mismatch(h, None, "header.height", format!("expected {expected_height}, found {}", header.height)));
    }
    if header.hash() != raw.hash {
        return Err(mismatch(
            h,
            None,
            "header",
            format!("the stored block hash is {}, the header bytes hash to {}", raw.hash, header.hash()),
        ));
    }
    if let Some(p) = prev {
        if header.prev != p.hash() {
            return Err(mismatch(
                h,
                None,
                "header.prev",
                format!("links to {}, the previous block hashes to {}", header.prev, p.hash()),
            ));
        }
        if header.time < p.time {
            return Err(mismatch(h, None, "header.time", "earlier than the previous block"));
        }
    }
    let body = raw.decode_body().map_err(|e| mismatch(h, None, "body", e.to_string()))?;
    if body.receipts.len() != body.txs.len() || header.tx_count as usize != body.txs.len() {
        return Err(mismatch(
            h,
            None,
            "body",
            format!(
                "{} transactions, {} receipts, header says {}",
                body.txs.len(),
                body.receipts.len(),
                header.tx_count
            ),
        ));
    }
    Ok(Block { header, body })
}

/// The stored body bytes against their stored checksum.
pub fn check_checksum(raw: &RawBlock) -> Result<(), Mismatch> {
    let found = crypto::sha256(&raw.body);
    if found != raw.body_hash {
        return Err(mismatch(
            raw.height,
            None,
            "body_hash",
            format!("the stored body hash is {}, the body bytes hash to {found}", raw.body_hash),
        ));
    }
    Ok(())
}

/// The block's stored transaction-id index entry against the one its receipts give (a wrong
/// entry would make a journaled transaction unfindable by id).
pub fn check_index(raw: &RawBlock, block: &Block) -> Result<(), Mismatch> {
    let want = RawBlock::tx_prefixes_of(block);
    if raw.tx_prefixes != want {
        let at = raw.tx_prefixes.chunks(8).zip(want.chunks(8)).position(|(a, b)| a != b);
        let detail = match at {
            Some(i) => format!(
                "entry {i} is {}, transaction {i}'s id begins {}",
                hex::encode(raw.tx_prefixes.chunks(8).nth(i).unwrap_or_default()),
                hex::encode(&want[i * 8..i * 8 + 8])
            ),
            None => format!(
                "it holds {} bytes for {} transactions ({} expected)",
                raw.tx_prefixes.len(),
                block.body.receipts.len(),
                want.len()
            ),
        };
        return Err(mismatch(raw.height, None, "tx_index", detail));
    }
    Ok(())
}

/// Per-transaction checks that need no state: id against receipt, then (optionally)
/// signatures, batched and in parallel.
/// On success the transactions are moved out of `block` (re-execution needs only its header
/// and receipts), so nothing is copied.
pub fn check_transactions(block: &mut Block, signatures: bool) -> Result<Vec<CheckedTx>, Mismatch> {
    let h = block.header.height;
    let ids: Vec<_> = block.body.txs.par_iter().map(|t| t.id()).collect();
    for (i, (id, r)) in ids.iter().zip(&block.body.receipts).enumerate() {
        if *id != r.tx {
            return Err(mismatch(
                h,
                Some(i as u32),
                "transaction",
                format!("its bytes hash to {}, but its receipt is for {}", id.short(), r.tx.short()),
            ));
        }
    }
    if signatures {
        const B: usize = crypto::VERIFY_BATCH;
        let bad: Option<usize> = block
            .body
            .txs
            .par_chunks(B)
            .enumerate()
            .filter_map(|(c, chunk)| {
                let items: Vec<_> =
                    chunk.iter().zip(&ids[c * B..]).map(|(t, id)| (&t.body.signer, &id.0[..], &t.signature)).collect();
                if crypto::verify_batch(&items) {
                    return None;
                }
                chunk
                    .iter()
                    .zip(&ids[c * B..])
                    .position(|(t, id)| !crypto::verify(&t.body.signer, &id.0, &t.signature))
                    .map(|p| c * B + p)
            })
            .min();
        if let Some(i) = bad {
            return Err(mismatch(h, Some(i as u32), "signature", "does not verify against the signer's key"));
        }
    }
    Ok(std::mem::take(&mut block.body.txs).into_iter().zip(ids).map(|(tx, id)| CheckedTx { tx, id }).collect())
}

/// A stored snapshot against the state replay reached at its height.
fn check_snapshot(stored: &StoredSnapshot, chain: &Chain) -> Result<(), Mismatch> {
    let snap = &stored.snapshot;
    let bad = |detail: String| mismatch(snap.height, None, "snapshot", format!("{detail} (recovery skips it)"));
    if let Some(why) = &stored.damage {
        return Err(bad(why.clone()));
    }
    let replayed = chain.state.digest();
    if snap.digest != replayed {
        return Err(bad(format!("stored digest {}, replay reaches {replayed}", snap.digest)));
    }
    let state = <State as borsh::BorshDeserialize>::try_from_slice(&snap.state)
        .map_err(|e| bad(format!("its state does not decode: {e}")))?;
    let held = state.recompute_digest();
    if held != replayed {
        return Err(bad(format!("its state hashes to {held}, replay reaches {replayed}")));
    }
    Ok(())
}

/// The chain a stored block 0 starts: its genesis, which must produce exactly that block.
pub fn genesis_chain(block: &Block) -> Result<Chain, Mismatch> {
    let g = block.body.genesis.as_ref().ok_or_else(|| mismatch(0, None, "genesis", "block 0 carries no genesis"))?;
    let (chain, produced) = Chain::genesis(g).map_err(|e| mismatch(0, None, "genesis", e.to_string()))?;
    if produced.header != block.header {
        return Err(mismatch(0, None, "header", "genesis header differs from the one its genesis produces"));
    }
    Ok(chain)
}

/// What `verify` found.
#[derive(Clone, Debug, serde::Serialize)]
pub struct VerifyReport {
    pub blocks: u64,
    pub transactions: u64,
    pub head_hash: String,
    pub state_digest: String,
    pub first_mismatch: Option<Mismatch>,
    pub seconds: f64,
    pub tx_per_s: f64,
}

/// A block after the checks that need no state, on its way to re-execution.
struct Prepared {
    block: Block,
    txs: Vec<CheckedTx>,
    /// The stored checksum and index entry; reported after re-execution, so that a changed
    /// byte is named by what it changed (a transaction, a signature, a receipt) first.
    stored: Result<(), Mismatch>,
}

/// Replays the whole journal from genesis, checking every signature, hash, receipt and digest,
/// every block's checksum and transaction-id index entry, and every stored snapshot against
/// the state replay reaches at its height. `progress` is called with (blocks done, head + 1).
///
/// Two stages overlap: a reader thread (its own read handle on the journal) decodes each block, checks
/// its hash link and transaction ids and verifies its signatures in parallel batches, while
/// this thread re-executes the block before it. Disagreements travel in order with the
/// blocks, so the first one reported is the first in the journal.
pub fn verify<J: Journal + ?Sized>(store: &J, mut progress: impl FnMut(u64, u64)) -> Result<VerifyReport, Refusal> {
    let start = std::time::Instant::now();
    let head = store.head_height()?.unwrap_or(0);
    let reader_store = store.reader()?;
    let mut snapshots: std::collections::BTreeMap<u64, StoredSnapshot> =
        store.snapshots(i64::MAX as u64)?.into_iter().map(|s| (s.snapshot.height, s)).collect();
    let (tx, rx) = crossbeam_channel::bounded::<Result<Prepared, Mismatch>>(4);
    let mut chain: Option<Chain> = None;
    let mut last_header: Option<BlockHeader> = None;
    let mut txs_total = 0u64;
    let mut blocks = 0u64;
    let mut first: Option<Mismatch> = None;
    let read_result = std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut prev: Option<BlockHeader> = None;
            let mut expected = 0u64;
            reader_store.scan(0, &mut |raw| {
                let prepared = check_raw(&raw, expected, prev.as_ref()).and_then(|mut block| {
                    let stored = check_checksum(&raw).and_then(|_| check_index(&raw, &block));
                    let txs = if block.header.height == 0 { Vec::new() } else { check_transactions(&mut block, true)? };
                    Ok(Prepared { block, txs, stored })
                });
                expected += 1;
                let go_on = match &prepared {
                    Ok(p) => {
                        prev = Some(p.block.header.clone());
                        true
                    }
                    Err(_) => false,
                };
                // The executor hung up (it found a mismatch): stop reading.
                Ok(tx.send(prepared).is_ok() && go_on)
            })
        });
        for item in rx.iter() {
            let result = item.and_then(|p| {
                let h = p.block.header.height;
                if h == 0 {
                    chain = Some(genesis_chain(&p.block)?);
                } else {
                    let c = chain.as_mut().ok_or_else(|| mismatch(h, None, "genesis", "missing"))?;
                    txs_total += p.txs.len() as u64;
                    reexecute(c, &p.block, p.txs)?;
                }
                p.stored?;
                if let (Some(snap), Some(c)) = (snapshots.remove(&h), chain.as_ref()) {
                    check_snapshot(&snap, c)?;
                }
                last_header = Some(p.block.header);
                Ok(())
            });
            blocks += 1;
            progress(blocks, head + 1);
            if let Err(m) = result {
                first = Some(m);
                break;
            }
        }
        drop(rx);
        reader.join().unwrap_or_else(|_| Err(tessera_store::StoreError::Io("verify reader panicked".into())))
    });
    read_result?;
    if first.is_none() && blocks != head + 1 {
        first = Some(mismatch(blocks, None, "height", "a block is missing from the journal"));
    }
    if first.is_none() {
        if let Some((h, _)) = snapshots.pop_first() {
            first = Some(mismatch(h, None, "snapshot", format!("a snapshot at block {h}, past the journal's end")));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(VerifyReport {
        blocks,
        transactions: txs_total,
        head_hash: last_header.as_ref().map(|h| h.hash().to_hex()).unwrap_or_default(),
        state_digest: chain.as_ref().map(|c| c.state.digest().to_hex()).unwrap_or_default(),
        first_mismatch: first,
        seconds,
        tx_per_s: if seconds > 0.0 { txs_total as f64 / seconds } else { 0.0 },
    })
}
