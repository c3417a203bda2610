//! Answers that show ledger records (operations, receipts and their events, blocks, legs,
//! alerts, redemptions, proposals, a fund's record and valuations) write each record's amounts
//! twice, in the asset's units and in minor units (`tessera_core::output`), as every answer
//! does. Serde writes the record as the core holds it; [`Written::parts`] names where a view's
//! JSON holds records, [`answer`] then writes their amounts with the ledger at hand (the one way
//! the API, the console's CSV and the command line's `--json` turn such a view into JSON), and
//! [`from_answer`] reads an answer back into the view for readers of the core's types.

use super::{BlockView, FundReport, FundView, HistoryEntry, ReceiptView};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tessera_core::block::{Receipt, SystemReceipt};
use tessera_core::fund::{Fund, Redemption};
use tessera_core::governance::Proposal;
use tessera_core::output::{read_back, read_back_fields, write_events, write_fields, write_ops, Counts, EventSlot};
use tessera_core::settlement::Instruction;
use tessera_core::state::{Alert, State};
use tessera_core::tx::TxBody;

/// Where a view's JSON holds ledger records, and of what kind.
pub enum Part<'a> {
    /// A list of operations.
    Ops(&'a mut Value),
    /// A list of events.
    Events(&'a mut Value),
    /// One record, its amount fields and what they count.
    Fields(&'a mut Value, &'static [EventSlot]),
}

/// A view whose JSON holds ledger records: `parts` names them, for writing their amounts in
/// both forms and for reading them back.
pub trait Written: Serialize {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>);
}

/// A view as the JSON of an answer.
pub fn answer<T: Written>(st: &State, view: &T) -> Value {
    let mut v =
        serde_json::to_value(view).expect("a view serializes to JSON: its types hold no map with non-text keys");
    let mut parts = Vec::new();
    T::parts(&mut v, &mut parts);
    for part in parts {
        match part {
            Part::Ops(ops) => write_ops(st, ops),
            Part::Events(events) => write_events(st, events),
            Part::Fields(record, slots) => write_fields(st, record, slots),
        }
    }
    v
}

/// An answer read back into the view: its records' amounts in minor units again, as the core's
/// types read them.
pub fn from_answer<T: Written + DeserializeOwned>(mut v: Value) -> Result<T, serde_json::Error> {
    let mut parts = Vec::new();
    T::parts(&mut v, &mut parts);
    for part in parts {
        match part {
            Part::Ops(x) | Part::Events(x) => read_back(x),
            Part::Fields(x, slots) => read_back_fields(x, slots),
        }
    }
    serde_json::from_value(v)
}

fn field<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    v.get_mut(key).filter(|x| !x.is_null())
}

impl<T: Written> Written for Vec<T> {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        if let Some(items) = v.as_array_mut() {
            items.iter_mut().for_each(|item| T::parts(item, out));
        }
    }
}

impl<T: Written> Written for Option<T> {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        if !v.is_null() {
            T::parts(v, out);
        }
    }
}

impl Written for Receipt {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        if let Some(events) = v.get_mut("outcome").and_then(|o| o.get_mut("events")) {
            out.push(Part::Events(events));
        }
    }
}

impl Written for SystemReceipt {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.extend(field(v, "events").map(Part::Events));
    }
}

impl Written for TxBody {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.extend(field(v, "ops").map(Part::Ops));
    }
}

impl Written for ReceiptView {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        let Some(obj) = v.as_object_mut() else { return };
        for (k, x) in obj.iter_mut() {
            match k.as_str() {
                "ops" => out.push(Part::Ops(x)),
                "receipt" => Receipt::parts(x, out),
                _ => {}
            }
        }
    }
}

impl Written for HistoryEntry {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        if let Some(r) = field(v, "receipt") {
            Receipt::parts(r, out);
        }
    }
}

impl Written for BlockView {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        let Some(obj) = v.as_object_mut() else { return };
        for (k, x) in obj.iter_mut() {
            match k.as_str() {
                "receipts" => {
                    for r in x.as_array_mut().into_iter().flatten() {
                        if let Some(r) = field(r, "receipt") {
                            Receipt::parts(r, out);
                        }
                    }
                }
                "system_receipts" => Option::<SystemReceipt>::parts(x, out),
                _ => {}
            }
        }
    }
}

impl Written for Proposal {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.extend(field(v, "ops").map(Part::Ops));
    }
}

impl Written for Instruction {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        for leg in field(v, "legs").and_then(Value::as_array_mut).into_iter().flatten() {
            out.push(Part::Fields(leg, &[("amount", Counts::Asset("asset"))]));
        }
    }
}

impl Written for Alert {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.push(Part::Fields(v, &[("amount", Counts::Asset("asset"))]));
    }
}

impl Written for Redemption {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.push(Part::Fields(
            v,
            &[
                ("shares", Counts::ClassShares("class")),
                ("amount", Counts::FundCash("fund")),
                ("fee", Counts::FundCash("fund")),
            ],
        ));
    }
}

/// The amounts of a fund's record and of what its answers show with it, each list a table of
/// paths from the answer's top: cash in the fund's cash asset (named at `$fund`), shares of the
/// class beside them. A macro, so each answer's table is a constant built from the shared rows.
macro_rules! fund_amounts {
    ($fund:literal; $($cash:literal),* $(,)?; $($shares:literal),* $(,)?) => {
        &[$(($cash, Counts::FundCash($fund)),)* $(($shares, Counts::ClassShares("asset")),)*]
    };
}

/// A fund's record (`/v1/funds`), its last valuation with it. `fee_accrued_scaled` is a scaled
/// fee, not minor units, and `facility` a (day, amount) pair: both are written once.
const FUND: &[EventSlot] = fund_amounts!("spec.fund";
    "arrived", "custodian_cash", "fee_paid", "queued", "spec.params.facility_daily_limit",
    "last.assets", "last.book", "last.cash", "last.dividends_payable", "last.fee_accrued", "last.liabilities",
    "last.nav", "last.positions";
    "last.classes[].shares", "last.classes[].yield_paid");

/// A fund as `/v1/funds/{fund}` shows it: its record, latest valuation and positions.
const FUND_VIEW: &[EventSlot] = fund_amounts!("fund.spec.fund";
    "fund.arrived", "fund.custodian_cash", "fund.fee_paid", "fund.queued", "fund.spec.params.facility_daily_limit",
    "fund.last.assets", "fund.last.book", "fund.last.cash", "fund.last.dividends_payable", "fund.last.fee_accrued",
    "fund.last.liabilities", "fund.last.nav", "fund.last.positions",
    "latest_valuation.assets", "latest_valuation.book", "latest_valuation.cash", "latest_valuation.dividends_payable",
    "latest_valuation.fee_accrued", "latest_valuation.liabilities", "latest_valuation.nav", "latest_valuation.positions",
    "positions[].face", "positions[].cost";
    "fund.last.classes[].shares", "fund.last.classes[].yield_paid",
    "latest_valuation.classes[].shares", "latest_valuation.classes[].yield_paid");

/// A fund's report: each day's valuation and income, and the dividends declared.
const FUND_REPORT: &[EventSlot] = fund_amounts!("fund";
    "days[].assets", "days[].book", "days[].cash", "days[].dividends_payable", "days[].fee_accrued",
    "days[].liabilities", "days[].nav", "days[].positions",
    "income[].amortized_nav", "income[].book", "income[].income", "income[].dividends[].amount";
    "days[].classes[].shares", "days[].classes[].yield_paid");

impl Written for Fund {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.push(Part::Fields(v, FUND));
    }
}

impl Written for FundView {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.push(Part::Fields(v, FUND_VIEW));
    }
}

impl Written for FundReport {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.push(Part::Fields(v, FUND_REPORT));
    }
}
