//! Following a journal another process writes (N1): a read replica (`tessera follow`) and a
//! standby node waiting to lead both tail the journal, verify every new block as fully as
//! `tessera verify` does ([`follow_one`]: bytes, checksum, hash link, index, every id and
//! signature, then re-execution that must rebuild the receipts and the state digest), and
//! only then let readers see it.
//!
//! On the first disagreement the follower stops applying: readers keep the last verified
//! state, `/ready` and every read that needs a newer block answer `verify.mismatch` naming the
//! block, and the log says the same. It never skips a block and never repairs one.

use crate::engine::{ChainView, DurableHeight, OnDurable};
use crate::ledger::follow_one;
use std::sync::Arc;
use tessera_core::block::Block;
use tessera_core::{Code, Refusal};
use tessera_store::Journal;

/// Blocks handed to the indexes at once while catching up.
const HAND_ON: usize = 64;

/// The verifying tail of one journal into the view readers read.
pub struct Tail {
    pub journal: Box<dyn Journal>,
    pub view: ChainView,
    pub durable: Arc<DurableHeight>,
    pub on_durable: Option<OnDurable>,
}

impl Tail {
    /// Verifies and applies every block the journal holds beyond the view's head; returns how
    /// many. On a disagreement: applies nothing more, marks the durable height failed (so
    /// reads and `/ready` say why) and returns the refusal.
    pub fn catch_up(&mut self) -> Result<u64, Refusal> {
        if let Some(f) = self.durable.failure() {
            return Err(f);
        }
        let Tail { journal, view, durable, on_durable } = self;
        let from = view.read(|c| c.height())? + 1;
        let mut applied: Vec<Block> = Vec::new();
        let mut count = 0u64;
        let mut failure: Option<Refusal> = None;
        let hand_on = |blocks: &mut Vec<Block>| {
            if let Some(hook) = on_durable.as_ref() {
                hook(blocks);
            }
            if let Some(last) = blocks.last() {
                durable.set(last.header.height);
            }
            blocks.clear();
        };
        let scanned = journal.scan(from, &mut |raw| match view.write(|chain| follow_one(chain, &raw)) {
            Ok(Ok(block)) => {
                applied.push(block);
                count += 1;
                if applied.len() >= HAND_ON {
                    hand_on(&mut applied);
                }
                Ok(true)
            }
            Ok(Err(m)) => {
                failure = Some(Refusal::new(
                    Code::VerifyMismatch,
                    format!("the journal disagrees at {m}; this node stopped following it at the block before"),
                ));
                Ok(false)
            }
            Err(r) => {
                failure = Some(r);
                Ok(false)
            }
        });
        hand_on(&mut applied);
        if let Some(r) = failure {
            tracing::error!(code = %r.code, reason = %r.message, "stopped following the journal");
            durable.fail(r.clone());
            return Err(r);
        }
        // A journal that cannot be read now may be readable at the next poll (a restarting
        // server): say so and keep the verified state.
        scanned?;
        Ok(count)
    }
}
