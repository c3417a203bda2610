//! A ledger on the core alone: the chain and every block it built, kept in memory. Nothing is
//! written, so a scenario runs in the time its transactions take to execute; what it cannot
//! prove (that the blocks survive the store's encoding) the end-to-end run proves.

use crate::{ScenarioLedger, Show, Verified};
use serde::Serialize;
use tessera_core::block::{Block, Genesis};
use tessera_core::exec::{Admission, Chain};
use tessera_core::replay::reexecute;
use tessera_core::tx::CheckedTx;
use tessera_core::{Code, Refusal, Time};

pub struct MemoryLedger {
    chain: Chain,
    /// Every block built, genesis first: block `h` is `blocks[h]`.
    blocks: Vec<Block>,
}

impl MemoryLedger {
    pub fn create(genesis: &Genesis) -> Result<MemoryLedger, Refusal> {
        let (chain, block) = Chain::genesis(genesis)?;
        Ok(MemoryLedger { chain, blocks: vec![block] })
    }

    /// The blocks kept, genesis first.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The genesis chain rebuilt from block 0, as a reader of the blocks would.
    fn replay_genesis(&self) -> Result<Chain, String> {
        let first = self.blocks.first().ok_or("no genesis block")?;
        let g = first.body.genesis.as_ref().ok_or("block 0 carries no genesis")?;
        let (chain, block) = Chain::genesis(g).map_err(|e| e.to_string())?;
        if block.header != first.header {
            return Err("block 0: header — differs from the one its genesis produces".into());
        }
        Ok(chain)
    }
}

/// A kept block's transactions as the door would check them again (signatures included).
fn recheck(block: &Block) -> Result<Vec<CheckedTx>, String> {
    block
        .body
        .txs
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            CheckedTx::from_bytes(&tx.to_bytes())
                .map_err(|r| format!("block {}, transaction {i}: {r}", block.header.height))
        })
        .collect()
}

/// Re-executes a kept block on `chain` and names the first thing that differs (the same
/// comparison the node's recovery and `verify` make over the journal).
fn replay(chain: &mut Chain, kept: &Block) -> Result<(), String> {
    reexecute(chain, kept, recheck(kept)?).map_err(|m| m.to_string())
}

impl ScenarioLedger for MemoryLedger {
    fn chain(&self) -> &Chain {
        &self.chain
    }

    fn submit(&mut self, time: Time, txs: Vec<CheckedTx>) -> Result<(Option<Block>, Vec<Admission>), Refusal> {
        let (block, admissions) = self.chain.try_build_block(time, txs);
        if let Some(b) = &block {
            self.blocks.push(b.clone());
        }
        Ok((block, admissions))
    }

    fn kept_height(&self) -> Result<u64, Refusal> {
        Ok(self.blocks.last().map(|b| b.header.height).unwrap_or(0))
    }

    fn chain_at(&self, height: u64) -> Result<Chain, Refusal> {
        let bad = |m: String| Refusal::new(Code::VerifyMismatch, m);
        let mut chain = self.replay_genesis().map_err(bad)?;
        for kept in self.blocks.iter().skip(1).take_while(|b| b.header.height <= height) {
            replay(&mut chain, kept).map_err(bad)?;
        }
        Ok(chain)
    }

    fn verify(&self) -> Result<Verified, Refusal> {
        let mut v = Verified { blocks: 0, transactions: 0, first_mismatch: None };
        let mut chain = match self.replay_genesis() {
            Ok(c) => c,
            Err(m) => {
                v.first_mismatch = Some(m);
                return Ok(v);
            }
        };
        v.blocks = 1;
        for kept in &self.blocks[1..] {
            if let Err(m) = replay(&mut chain, kept) {
                v.first_mismatch = Some(m);
                break;
            }
            v.blocks += 1;
            v.transactions += kept.body.txs.len() as u64;
        }
        if v.first_mismatch.is_none() && chain.state.digest() != self.chain.state.digest() {
            v.first_mismatch = Some(format!(
                "state — replay reaches {}, the ledger holds {}",
                chain.state.digest(),
                self.chain.state.digest()
            ));
        }
        Ok(v)
    }

    /// The records a view is made of, one JSON line each: how to render them for people is
    /// the CLI's business (its views read the node's query layer, which this crate does not
    /// depend on).
    fn show(&self, what: &Show) -> Vec<String> {
        let st = &self.chain.state;
        let lines: Vec<String> = match what {
            Show::Holders(a) => match st.asset_idx(a) {
                Err(e) => vec![e.to_string()],
                Ok(ai) => st
                    .wallet_index
                    .iter()
                    .filter_map(|(w, wi)| {
                        let h = st.holding_ref(ai, *wi)?;
                        let total = h.total().unwrap_or(0);
                        (total > 0).then(|| {
                            json(&serde_json::json!({
                                "wallet": w, "total": total.to_string(), "free": h.free.to_string(),
                                "locked": h.locked.to_string(), "frozen": h.frozen.to_string(),
                            }))
                        })
                    })
                    .collect(),
            },
            Show::Alerts => st.alerts.sorted().into_iter().map(|(_, a)| json(a)).collect(),
            Show::Proposals => st.proposals.sorted().into_iter().map(|(_, p)| json(p)).collect(),
            Show::Instructions => st.instructions.sorted().into_iter().map(|(_, i)| json(i)).collect(),
            Show::Htlcs => st.htlcs.sorted().into_iter().map(|(_, h)| json(h)).collect(),
            Show::Block => vec![json(&self.chain.head)],
            Show::Fund(f) => match tessera_core::fund::fund(st, f) {
                Ok(f) => vec![json(&f)],
                Err(e) => vec![e.to_string()],
            },
            Show::Feed(f) => match st.feeds.get(f) {
                Some(f) => vec![json(f)],
                None => vec![format!("no feed {f}")],
            },
        };
        if lines.is_empty() {
            vec!["none".into()]
        } else {
            lines
        }
    }

    fn location(&self) -> String {
        "memory".into()
    }
}

/// A record as one JSON line.
fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| format!("(not serializable: {e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{genesis, parse, run_on};

    fn ledger_after(text: &str) -> MemoryLedger {
        let s = parse(text).expect("the scenario parses");
        let mut ledger = MemoryLedger::create(&genesis(&s)).expect("the genesis is valid");
        let report = run_on(&s, std::path::Path::new("."), &mut ledger, |_| {}).expect("it runs");
        assert!(report.passed, "{:?}", report.steps.iter().find(|r| !r.passed));
        ledger
    }

    const TWO_BLOCKS: &str = r#"
name: two blocks
start: 2026-01-05T14:00:00Z
steps:
  - tx: { as: operator, ops: [ { register_party: { party: a, name: A, kind: individual } } ] }
  - tx: { as: operator, ops: [ { register_party: { party: b, name: B, kind: individual } } ] }
"#;

    #[test]
    fn untouched_blocks_verify_and_count_genesis() {
        let v = ledger_after(TWO_BLOCKS).verify().expect("it replays");
        assert_eq!((v.blocks, v.transactions, v.first_mismatch), (3, 2, None));
    }

    #[test]
    fn a_kept_block_whose_state_digest_was_changed_fails_verify_by_height() {
        let mut ledger = ledger_after(TWO_BLOCKS);
        ledger.blocks[1].header.state_digest = ledger.blocks[2].header.state_digest;
        let m = ledger.verify().expect("it replays").first_mismatch.expect("a mismatch");
        assert!(m.starts_with("block 1: header"), "{m}");
    }

    #[test]
    fn a_kept_block_whose_receipt_was_changed_fails_verify_by_transaction() {
        let mut ledger = ledger_after(TWO_BLOCKS);
        ledger.blocks[2].body.receipts[0].outcome = tessera_core::block::Outcome::Ok { events: vec![] };
        let m = ledger.verify().expect("it replays").first_mismatch.expect("a mismatch");
        assert!(m.starts_with("block 2, transaction 0: receipt"), "{m}");
    }

    #[test]
    fn the_chain_at_a_height_is_the_state_after_that_block() {
        let ledger = ledger_after(TWO_BLOCKS);
        let at_1 = ledger.chain_at(1).expect("it replays");
        assert_eq!(at_1.head, ledger.blocks[1].header);
        assert_eq!(ledger.chain_at(2).expect("it replays").state.digest(), ledger.chain.state.digest());
    }
}
