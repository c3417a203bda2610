//! Answers that show ledger records (operations, receipts and their events, legs, alerts,
//! redemptions) write each record's amounts twice, in the asset's units and in minor units
//! (`tessera_core::output`), as every answer does. Serde writes the record as the core holds
//! it; [`Written::write`] then adds the asset's units, which need the ledger at hand.
//! [`answer`] is the one way the API and the command line's `--json` turn such a view into
//! JSON; [`tessera_core::output::read_back`] turns it back for readers of the core's types.

use super::{BlockView, FundView, HistoryEntry, ReceiptView};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use tessera_core::block::{Receipt, SystemReceipt};
use tessera_core::fund::{Fund, Redemption};
use tessera_core::governance::Proposal;
use tessera_core::output::{read_back, write_events, write_fields, write_ops, Counts, EventSlot};
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
            Part::Ops(x) | Part::Events(x) | Part::Fields(x, _) => read_back(x),
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

/// A fund's record: its parameters' facility limit, in the fund's cash (the other amounts a
/// fund's record holds are not written twice yet).
impl Written for Fund {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        out.push(Part::Fields(v, &[("spec.params.facility_daily_limit", Counts::FundCash("spec.fund"))]));
    }
}

impl Written for FundView {
    fn parts<'a>(v: &'a mut Value, out: &mut Vec<Part<'a>>) {
        if let Some(f) = field(v, "fund") {
            Fund::parts(f, out);
        }
    }
}
