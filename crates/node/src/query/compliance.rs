//! Compliance as its readers see it: refusals counted by rule and day from the journal, and the
//! sanctions lists the ledger screens against.
//!
//! - Refusals are counted by `crate::refusals::RefusalLog` (read from the journal once, kept).
//!   A refusal counts for a viewer when its transaction concerns them (the rule `/v1/blocks/{h}`
//!   applies to receipts, [`Viewer::sees_involved`] on [`tx_involves`]): auditors and
//!   compliance officers count every refusal, a party those of its own transactions.
//! - A sanctions list is known by its source (what `sanction_add` named it, e.g. "OFAC SDN
//!   update 2026-01-06") and when its entries were loaded.

use super::viewer::Viewer;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tessera_core::state::State;
use tessera_core::{Refusal, Time};

/// How many transactions one rule refused on one day (UTC).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct RefusalCount {
    /// The day, `2026-01-05`.
    pub day: String,
    /// The refusal's stable code (`docs/errors.md`).
    pub code: String,
    pub count: u64,
}

/// A day as the counts name it: `2026-01-05` (UTC).
pub fn day_of(t: Time) -> String {
    let (y, m, d, ..) = t.to_civil();
    format!("{y:04}-{m:02}-{d:02}")
}

/// One sanctions list the ledger holds entries of: its source, how many entries, and when
/// they were first and last loaded.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct SanctionsList {
    pub source: String,
    pub entries: u64,
    pub first_loaded: Time,
    pub last_loaded: Time,
}

/// The sanctions lists in force (the sources of the entries the ledger screens against), the
/// latest loaded first. Which lists are in force is no secret; the entries are not listed.
pub fn sanctions_lists(st: &State, viewer: &Viewer) -> Result<Vec<SanctionsList>, Refusal> {
    viewer.authenticated()?;
    let mut by_source: BTreeMap<String, SanctionsList> = BTreeMap::new();
    for (_, info) in st.sanctions.iter() {
        let e = by_source.entry(info.source.clone()).or_insert_with(|| SanctionsList {
            source: info.source.clone(),
            entries: 0,
            first_loaded: info.added_at,
            last_loaded: info.added_at,
        });
        e.entries += 1;
        e.first_loaded = e.first_loaded.min(info.added_at);
        e.last_loaded = e.last_loaded.max(info.added_at);
    }
    let mut lists: Vec<SanctionsList> = by_source.into_values().collect();
    lists.sort_by(|a, b| b.last_loaded.cmp(&a.last_loaded).then_with(|| a.source.cmp(&b.source)));
    Ok(lists)
}
