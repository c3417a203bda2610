//! Scenario files run end to end: the runner (`tessera-scenario`) drives the node's [`Ledger`]
//! over the SQLite journal of a data directory, so every block is made durable and read back
//! by `check: verify` and `holders … at_height` as an operator's `tessera verify` would.

use std::path::Path;
use tessera_core::block::Block;
use tessera_core::exec::{Admission, Chain};
use tessera_core::tx::CheckedTx;
use tessera_core::{Refusal, Time};
use tessera_node::Ledger;
pub use tessera_scenario::*;

/// The node's ledger, durable in a data directory.
pub struct JournalLedger {
    pub ledger: Ledger,
    pub dir: String,
}

impl ScenarioLedger for JournalLedger {
    fn chain(&self) -> &Chain {
        &self.ledger.chain
    }

    fn submit(&mut self, time: Time, txs: Vec<CheckedTx>) -> Result<(Option<Block>, Vec<Admission>), Refusal> {
        self.ledger.submit(time, txs)
    }

    fn kept_height(&self) -> Result<u64, Refusal> {
        Ok(self.ledger.store.head_height()?.unwrap_or(0))
    }

    fn chain_at(&self, height: u64) -> Result<Chain, Refusal> {
        Ledger::chain_at(&self.ledger.store, height)
    }

    fn verify(&self) -> Result<Verified, Refusal> {
        let report = tessera_node::verify(&self.ledger.store, |_, _| {})?;
        Ok(Verified {
            blocks: report.blocks,
            transactions: report.transactions,
            first_mismatch: report.first_mismatch.map(|m| m.to_string()),
        })
    }

    fn show(&self, what: &Show) -> Vec<String> {
        crate::views::show(&self.ledger, what)
    }

    fn location(&self) -> String {
        self.dir.clone()
    }
}

/// Runs a scenario in `data_dir` (which must not hold a ledger yet). `on_step` sees each
/// result as it happens. Stops at the first failed expectation.
pub fn run(
    s: &Scenario,
    base: &Path,
    data_dir: &Path,
    on_step: impl FnMut(&StepResult),
) -> Result<ScenarioReport, Refusal> {
    let ledger = Ledger::create(data_dir, &genesis(s))?;
    run_on(s, base, &mut JournalLedger { ledger, dir: data_dir.display().to_string() }, on_step)
}
