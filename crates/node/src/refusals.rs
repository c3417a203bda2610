//! Every refusal the journal records (a failed receipt), with its day, code and whom its
//! transaction involves — the console's "refusals by rule over time", answered without reading
//! the journal again on each page.
//!
//! Kept in memory and extended on demand: a reader reads only the blocks past the last one it
//! read, so the first page after a start reads the whole journal once and every later page
//! reads the few new blocks. About 100 bytes per refusal (refusals are a small share of the
//! transactions; a ledger refusing a million carries ~100 MB here).
//!
//! Who may count which refusal is the read model's rule, applied per row on each read
//! ([`Viewer::sees_involved`] on [`tx_involves`], as `/v1/blocks/{h}` filters receipts).

use crate::query::{day_of, tx_involves, Involved, RefusalCount, Viewer};
use std::collections::BTreeMap;
use std::sync::Mutex;
use tessera_core::block::Outcome;
use tessera_core::time::SECONDS_PER_DAY;
use tessera_core::{Refusal, Time};
use tessera_store::Journal;

struct Row {
    /// Days since 1970-01-01 (UTC) of the block that recorded it.
    day: u64,
    code: String,
    involved: Involved,
}

#[derive(Default)]
struct Read {
    /// The next block to read (0 until the first read).
    next: u64,
    rows: Vec<Row>,
}

/// The refusals the journal holds, as far as it has been read.
#[derive(Default)]
pub struct RefusalLog {
    read: Mutex<Read>,
}

impl RefusalLog {
    /// Counts the refusals the viewer may see in blocks up to `head`, by day then code, reading
    /// first whatever blocks up to `head` it has not read yet. `since`: only from that day on.
    pub fn counts(
        &self,
        store: &dyn Journal,
        head: u64,
        viewer: &Viewer,
        since: Time,
    ) -> Result<Vec<RefusalCount>, Refusal> {
        viewer.authenticated()?;
        let mut read = self.read.lock().unwrap_or_else(|e| e.into_inner());
        if read.next <= head {
            let from = read.next.max(1);
            let mut rows = Vec::new();
            let mut next = from;
            store.scan(from, &mut |raw| {
                if raw.height > head {
                    return Ok(false);
                }
                let header = raw.decode_header()?;
                let body = raw.decode_body()?;
                for (tx, r) in body.txs.iter().zip(&body.receipts) {
                    if let Outcome::Failed { code, .. } = &r.outcome {
                        rows.push(Row {
                            day: header.time.0 / SECONDS_PER_DAY,
                            code: code.clone(),
                            involved: tx_involves(&tx.body.signer, &tx.body.ops, r),
                        });
                    }
                }
                next = raw.height + 1;
                Ok(true)
            })?;
            read.rows.extend(rows);
            read.next = next.max(read.next);
        }
        let since_day = since.0 / SECONDS_PER_DAY;
        let mut counts: BTreeMap<(u64, &str), u64> = BTreeMap::new();
        for row in read.rows.iter().filter(|r| r.day >= since_day && viewer.sees_involved(&r.involved)) {
            *counts.entry((row.day, row.code.as_str())).or_default() += 1;
        }
        Ok(counts
            .into_iter()
            .map(|((day, code), count)| RefusalCount {
                day: day_of(Time(day * SECONDS_PER_DAY)),
                code: code.to_string(),
                count,
            })
            .collect())
    }
}
