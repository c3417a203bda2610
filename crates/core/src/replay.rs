//! Re-executing a stored block and naming the first thing that differs (L9): the node's
//! recovery and `verify` run it over the journal, the scenario runner over the blocks it keeps
//! in memory. Each receipt, the system receipt, the hash link and every header field are
//! compared; the first disagreement is reported with its block, transaction and field.

use crate::block::{Block, Event, Outcome, Receipt};
use crate::code::{Code, Refusal};
use crate::exec::{Admission, Chain};
use crate::tx::CheckedTx;
use std::fmt;

/// Where replay and the journal disagree.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    pub height: u64,
    pub tx: Option<u32>,
    pub field: String,
    pub detail: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "block {}", self.height)?;
        if let Some(t) = self.tx {
            write!(f, ", transaction {t}")?;
        }
        write!(f, ": {} — {}", self.field, self.detail)
    }
}

impl From<Mismatch> for Refusal {
    fn from(m: Mismatch) -> Refusal {
        Refusal::new(Code::VerifyMismatch, m.to_string())
    }
}

pub fn mismatch(height: u64, tx: Option<u32>, field: &str, detail: impl Into<String>) -> Mismatch {
    Mismatch { height, tx, field: field.into(), detail: detail.into() }
}

/// Re-executes a stored block on `chain` and compares every result with the journal.
pub fn reexecute(chain: &mut Chain, stored: &Block, txs: Vec<CheckedTx>) -> Result<(), Mismatch> {
    let h = stored.header.height;
    let next = chain.height().checked_add(1).expect("a chain's height is far below u64::MAX");
    if h != next {
        return Err(mismatch(h, None, "header.height", format!("expected {next}")));
    }
    if stored.header.prev != chain.head.hash() {
        return Err(mismatch(h, None, "header.prev", "does not link to the previous block's hash"));
    }
    let (block, admissions) = chain.build_block(stored.header.time, txs);
    for (i, a) in admissions.iter().enumerate() {
        if let Admission::Refused(r) = a {
            return Err(mismatch(h, Some(i as u32), "admission", format!("replay refuses it at the door: {r}")));
        }
    }
    for (i, (s, r)) in stored.body.receipts.iter().zip(&block.body.receipts).enumerate() {
        if s != r {
            let (field, detail) = describe_receipt_difference(s, r);
            return Err(mismatch(h, Some(i as u32), &field, detail));
        }
    }
    if stored.body.system != block.body.system {
        return Err(mismatch(
            h,
            None,
            "system_receipt",
            describe_system_difference(&stored.body.system.events, &block.body.system.events),
        ));
    }
    let (a, b) = (&stored.header, &block.header);
    let fields: [(&str, String, String); 5] = [
        ("header.time", a.time.to_string(), b.time.to_string()),
        ("header.tx_count", a.tx_count.to_string(), b.tx_count.to_string()),
        ("header.tx_root", a.tx_root.to_hex(), b.tx_root.to_hex()),
        ("header.receipt_root", a.receipt_root.to_hex(), b.receipt_root.to_hex()),
        ("header.state_digest", a.state_digest.to_hex(), b.state_digest.to_hex()),
    ];
    for (name, journal, replay) in fields {
        if journal != replay {
            return Err(mismatch(h, None, name, format!("the journal holds {journal}, replay computes {replay}")));
        }
    }
    Ok(())
}

fn describe_receipt_difference(stored: &Receipt, replayed: &Receipt) -> (String, String) {
    match (&stored.outcome, &replayed.outcome) {
        (Outcome::Ok { events: a }, Outcome::Ok { events: b }) => {
            if a.len() != b.len() {
                return ("receipt.events".into(), format!("journal has {} events, replay gives {}", a.len(), b.len()));
            }
            let i = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
            (
                format!("receipt.events[{i}]"),
                format!("journal: {}; replay: {}", event_text(a.get(i)), event_text(b.get(i))),
            )
        }
        (a, b) => {
            ("receipt.outcome".into(), format!("journal: {}; replay: {}", outcome_summary(a), outcome_summary(b)))
        }
    }
}

/// An event for the mismatch report, or "none" past the end of the list.
fn event_text(e: Option<&Event>) -> String {
    e.map(|e| e.to_string()).unwrap_or_else(|| "none".into())
}

/// Where two system receipts part: the first event that differs.
fn describe_system_difference(stored: &[Event], replayed: &[Event]) -> String {
    if stored.len() != replayed.len() {
        return format!("journal has {} events, replay gives {}", stored.len(), replayed.len());
    }
    let i = stored.iter().zip(replayed).position(|(x, y)| x != y).unwrap_or(0);
    format!("event {i}: journal: {}; replay: {}", event_text(stored.get(i)), event_text(replayed.get(i)))
}

fn outcome_summary(o: &Outcome) -> String {
    match o {
        Outcome::Ok { events } => format!("ok with {} events", events.len()),
        Outcome::Failed { op_index, code, .. } => {
            format!("failed at operation {op_index} with {code}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{Hash, Symbol, WalletId};

    #[test]
    fn a_differing_event_is_described_in_words() {
        let alert = |amount| Event::AlertRaised {
            alert: 1,
            rule: "monitor_new_counterparty".into(),
            asset: Symbol::new("FUND"),
            wallet: WalletId([7; 32]),
            amount,
        };
        let receipt = |events| Receipt { tx: Hash([1; 32]), outcome: Outcome::Ok { events } };
        let (field, detail) = describe_receipt_difference(&receipt(vec![alert(5)]), &receipt(vec![alert(6)]));
        assert_eq!(field, "receipt.events[0]");
        assert_eq!(
            detail,
            "journal: alert 1 raised by monitor_new_counterparty on 5 FUND of wallet 07070707; \
             replay: alert 1 raised by monitor_new_counterparty on 6 FUND of wallet 07070707"
        );
        let system = describe_system_difference(&[alert(5)], &[]);
        assert_eq!(system, "journal has 1 events, replay gives 0");
    }
}
