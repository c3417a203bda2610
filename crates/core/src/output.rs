//! Operations and events as answers write them: every amount twice, the convention every JSON
//! answer follows (the HTTP API, the command line's `--json`, the console's data).
//!
//! - `x` is the amount in its asset's units, a decimal string with exactly the asset's
//!   decimals and no grouping ([`decimal_units`]: "1500.000000"); `x_units` is the same amount
//!   in minor units, as the signed bytes hold it (a JSON integer, or a digit string past
//!   2^64 − 1). It is the form [`crate::input`] reads, so an answer can be sent back as input.
//! - Which fields are amounts, and of which asset, is one table per kind of record: an
//!   operation's is [`op_slots`] (the table input reads with), an event's is [`event_slots`].
//! - `x` is null only when the ledger cannot tell the asset's decimals: an operation refused
//!   for naming an asset that does not exist, or a fund's shares where the fund's classes have
//!   different decimals and the event does not say which class. `x_units` is always there.
//!
//! The binary encoding never changes: this is a view of the serde JSON of the record, and
//! [`read_back`] undoes it (`x_units` becomes `x` again) for readers that decode answers into
//! the core's types.

use crate::input::{each_field, op_slots, AssetOf, Resolver, Slot, UNITS_SUFFIX};
use crate::state::State;
use crate::types::*;
use crate::units::decimal_units;
use crate::words::Counted;
use serde_json::{Map, Value};

/// What an event's amount counts, named by a field of the event (as `words::Counted` says it
/// in sentences).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counts {
    /// Units of the asset the field names (a fund's symbol counts its cash asset).
    Asset(&'static str),
    /// Cash of the fund the field names.
    FundCash(&'static str),
    /// Shares of the share class the field names.
    ClassShares(&'static str),
    /// Shares of the fund the field names, class unsaid: its classes' decimals when they agree.
    FundShares(&'static str),
    /// Cash paid on the serviced security the field names.
    ServicedCash(&'static str),
    /// Units held by the hash time-lock the field numbers.
    Htlc(&'static str),
    /// A bid bond of the tender the field numbers.
    TenderBond(&'static str),
    /// Cash of the repo the field numbers.
    RepoCash(&'static str),
    /// Collateral of the repo the field numbers.
    RepoCollateral(&'static str),
    /// Cash of the margin call the field numbers.
    CallCash(&'static str),
}

/// An amount field of an event and what it counts. The field is a path of names separated by
/// dots (`name[]` steps into each element of a list); what it counts is named from the event's
/// top, by a field or a dotted path.
pub type EventSlot = (&'static str, Counts);

/// The amount fields of each event, by its JSON name: `event` for most, `fund.<kind>` and
/// `collateral.<kind>` for the fund's and collateral's events (whose fields sit under the
/// kind). Every event is listed (a test checks it against the golden examples), most with
/// nothing. Prices, rates, ratios and basis points are not amounts of an asset.
pub fn event_slots(name: &str) -> Option<&'static [EventSlot]> {
    use Counts::*;
    const AMOUNT: EventSlot = ("amount", Asset("asset"));
    const CCP_CASH: Counts = Asset("cash_asset");
    Some(match name {
        "address_linked"
        | "affirmation_withdrawn"
        | "asset_created"
        | "claim_issued"
        | "claim_revoked"
        | "conversion_registered"
        | "htlc_expired"
        | "instruction_affirmed"
        | "instruction_cancelled"
        | "instruction_created"
        | "instruction_expired"
        | "instruction_failed"
        | "instruction_rejected"
        | "instruction_settled"
        | "issuer_trusted"
        | "issuer_untrusted"
        | "party_registered"
        | "paused"
        | "policy_set"
        | "proposal_approved"
        | "proposal_closed"
        | "proposal_created"
        | "proposal_executed"
        | "proposal_failed"
        | "proposal_rejected"
        | "repo_cancelled"
        | "repo_defaulted"
        | "repo_proposed"
        | "role_granted"
        | "role_revoked"
        | "sanctions_updated"
        | "tender_awarded"
        | "tender_cancelled"
        | "tender_completed"
        | "threshold_set"
        | "unpaused"
        | "wallet_added"
        | "wallet_frozen"
        | "wallet_recovered"
        | "wallet_unfrozen"
        | "yield_accrued"
        | "yield_class_created"
        | "yield_rate_set"
        | "yield_withheld"
        | "fund.fund_created"
        | "fund.share_class_created"
        | "fund.apy_set"
        | "fund.redemption_held"
        | "fund.breaker_tripped"
        | "fund.breaker_reset"
        | "fund.oracle_source_registered"
        | "fund.feed_created"
        | "fund.oracle_reported"
        | "fund.security_serviced"
        | "fund.payment_withheld"
        | "fund.security_retired"
        | "fund.shadow_nav_alerts_set"
        | "collateral.schedule_set"
        | "collateral.schedule_in_force"
        | "collateral.member_admitted"
        | "collateral.call_met"
        | "collateral.not_realized"
        | "collateral.loan_funded"
        | "collateral.loan_cancelled"
        | "collateral.segregated_account_opened" => &[],
        "supply_cap_set" => &[("cap", Asset("asset"))],
        "minted" | "burned" | "transferred" | "amount_frozen" | "amount_unfrozen" | "forced_transfer"
        | "cash_issued" | "cash_redeemed" | "leg_settled" | "htlc_locked" | "bid_bond_locked" | "alert_raised" => {
            &[AMOUNT]
        }
        "htlc_claimed" | "htlc_refunded" => &[("amount", Htlc("htlc"))],
        "cash_converted" => &[("amount", Asset("from"))],
        "tender_opened" => &[("bond", Asset("asset"))],
        "bid_bond_released" | "bond_forfeited" => &[("amount", TenderBond("tender"))],
        "repo_opened" => &[("cash", RepoCash("repo")), ("collateral", RepoCollateral("repo"))],
        "repo_closed" => &[("repaid", RepoCash("repo")), ("interest", RepoCash("repo"))],
        "collateral_substituted" => &[("old_amount", Asset("old_asset")), ("new_amount", Asset("new_asset"))],
        "yield_payout" => &[("paid", Asset("asset")), ("residual", Asset("asset"))],
        "yield_paid" => &[("payments[].amount", Asset("asset"))],
        "fund.custodian_cash" => &[("amount", FundCash("fund")), ("custodian_cash", FundCash("fund"))],
        "fund.position_bought" => &[("face", FundCash("fund")), ("cost", FundCash("fund"))],
        "fund.position_sold" | "fund.position_matured" => &[("proceeds", FundCash("fund"))],
        "fund.coupon_received" | "fund.fee_paid" => &[("amount", FundCash("fund"))],
        "fund.valued" => &[("nav", FundCash("fund"))],
        "fund.subscribed" => &[("cash", FundCash("fund")), ("shares", ClassShares("class"))],
        "fund.redemption_queued" => &[("cash", FundCash("fund"))],
        "fund.redemption_paid" => {
            &[("shares", FundShares("fund")), ("cash", FundCash("fund")), ("fee", FundCash("fund"))]
        }
        "fund.coupon_paid" | "fund.principal_paid" => &[("paid", ServicedCash("asset"))],
        "fund.payment_short" => &[("needed", ServicedCash("asset")), ("available", ServicedCash("asset"))],
        "collateral.pledged" | "collateral.released" => &[AMOUNT],
        "collateral.appropriated" => &[AMOUNT, ("value", CallCash("call"))],
        "collateral.liquidated" => &[AMOUNT, ("proceeds", CCP_CASH)],
        "collateral.call_raised" | "collateral.default_fund_contributed" => &[("amount", CCP_CASH)],
        "collateral.call_defaulted" => &[("shortfall", CCP_CASH)],
        "collateral.requirement_set" => &[("initial", CCP_CASH), ("variation", CCP_CASH)],
        "collateral.loan_requested" => &[("principal", CCP_CASH)],
        "collateral.loan_repaid" => &[("principal", CCP_CASH), ("interest", CCP_CASH)],
        "collateral.loan_liquidated" => &[("debt", CCP_CASH), ("proceeds", CCP_CASH), ("returned", CCP_CASH)],
        "collateral.waterfall" => &[
            ("loss", CCP_CASH),
            ("defaulter_margin", CCP_CASH),
            ("defaulter_default_fund", CCP_CASH),
            ("ccp_capital", CCP_CASH),
            ("survivors_default_fund", CCP_CASH),
            ("assessments", CCP_CASH),
            ("uncovered", CCP_CASH),
            ("returned", CCP_CASH),
        ],
        _ => return None,
    })
}

/// An event's name in [`event_slots`], and the object holding its fields.
fn event_parts(event: &mut Value) -> Option<(String, &mut Value)> {
    let tag = event.get("event")?.as_str()?.to_string();
    if tag == "fund" || tag == "collateral" {
        let kind = event.as_object()?.keys().find(|k| k.as_str() != "event")?.clone();
        return Some((format!("{tag}.{kind}"), event.get_mut(&kind)?));
    }
    Some((tag, event))
}

/// Writes one event's amounts in both forms, in place.
pub fn write_event(st: &State, event: &mut Value) {
    let Some((name, fields)) = event_parts(event) else { return };
    if let Some(slots) = event_slots(&name) {
        write_fields(st, fields, slots);
    }
}

/// Writes the amount fields `slots` name in one record (an event's fields, a leg, an alert,
/// a redemption, a fund and its valuations), in place. What a field counts is read from the
/// object holding the field when it names it there (a class's shares beside its symbol), else
/// from the record's top.
pub fn write_fields(st: &State, v: &mut Value, slots: &[EventSlot]) {
    for (path, counts) in slots {
        let at_top = v.as_object().and_then(|obj| counted_decimals(st, obj, *counts));
        let segs: Vec<&str> = path.split('.').collect();
        each_field(v, &segs, &mut |obj, key| {
            let decimals = counted_decimals(st, obj, *counts).or(at_top);
            write_pair(obj, key, decimals)
        });
    }
}

/// Undoes [`write_fields`] for the same slots: each field's `_units` twin replaces it.
pub fn read_back_fields(v: &mut Value, slots: &[EventSlot]) {
    for (path, _) in slots {
        let segs: Vec<&str> = path.split('.').collect();
        each_field(v, &segs, &mut |obj, key| {
            if let Some(units) = obj.remove(&format!("{key}{UNITS_SUFFIX}")) {
                obj.insert(key.to_string(), units);
            }
        });
    }
}

/// Writes every event of a list in place.
pub fn write_events(st: &State, events: &mut Value) {
    if let Some(list) = events.as_array_mut() {
        list.iter_mut().for_each(|e| write_event(st, e));
    }
}

/// Writes every operation of a list (their JSON, `[{"transfer": {...}}, ...]`) in place. An
/// operation may use an asset an earlier one of the list creates.
pub fn write_ops(st: &State, ops: &mut Value) {
    let mut r = Resolver::new(st);
    if let Some(list) = ops.as_array_mut() {
        list.iter_mut().for_each(|op| write_op(&mut r, op));
    }
}

fn write_op(r: &mut Resolver<'_>, op: &mut Value) {
    let Some(obj) = op.as_object_mut() else { return };
    if obj.len() != 1 {
        return;
    }
    let Some((kind, payload)) = obj.iter_mut().next() else { return };
    let Some(slots) = op_slots(kind) else { return };
    r.learn(kind, payload);
    let root = payload.clone();
    for slot in slots {
        match *slot {
            Slot::Amount(path, asset_of) => {
                let segs: Vec<&str> = path.split('.').collect();
                each_field(payload, &segs, &mut |obj, key| {
                    let decimals = op_decimals(r, asset_of, obj, &root);
                    write_pair(obj, key, decimals);
                });
            }
            Slot::Ops(path) => {
                if let Some(items) = payload.get_mut(path).and_then(Value::as_array_mut) {
                    items.iter_mut().for_each(|op| write_op(r, op));
                }
            }
            Slot::Wallet(_) => {}
        }
    }
}

fn op_decimals(r: &Resolver<'_>, asset_of: AssetOf, obj: &Map<String, Value>, root: &Value) -> Option<u8> {
    let asset = r.asset_of(asset_of, obj, root, "").ok()?;
    r.decimals(&asset)
}

/// The asset an event's amount is in: the event's field read as what it counts.
fn counted_asset(st: &State, obj: &Map<String, Value>, counts: Counts) -> Option<Symbol> {
    let at = |k: &str| {
        let mut parts = k.split('.');
        let first = obj.get(parts.next()?)?;
        parts.try_fold(first, |v, part| v.get(part))
    };
    let text = |k: &str| at(k).and_then(Value::as_str).map(Symbol::new);
    let id = |k: &str| at(k).and_then(Value::as_u64);
    let symbol;
    let counted = match counts {
        Counts::Asset(k) => {
            symbol = text(k)?;
            Counted::Asset(&symbol)
        }
        Counts::FundCash(k) => {
            symbol = text(k)?;
            Counted::FundCash(&symbol)
        }
        Counts::ClassShares(k) => return text(k),
        Counts::FundShares(k) => {
            symbol = text(k)?;
            Counted::Shares { fund: &symbol, class: None }
        }
        Counts::ServicedCash(k) => {
            symbol = text(k)?;
            Counted::ServicedCash(&symbol)
        }
        Counts::Htlc(k) => Counted::Htlc(id(k)?),
        Counts::TenderBond(k) => Counted::TenderBond(id(k)?),
        Counts::RepoCash(k) => Counted::RepoCash(id(k)?),
        Counts::RepoCollateral(k) => Counted::RepoCollateral(id(k)?),
        Counts::CallCash(k) => return st.margin_calls.get(&id(k)?).map(|c| c.cash_asset.clone()),
    };
    ledger_asset(st, counted)
}

/// The asset an amount counts, as the ledger's records tell it: an asset the event names (a
/// fund's symbol counts its cash), a fund's cash, a class's shares (a fund's, when its classes
/// share their decimals), or the asset of the lock, tender, repo or serviced security an id
/// names. The one lookup the answers and the words for people share.
pub fn ledger_asset(st: &State, counted: Counted<'_>) -> Option<Symbol> {
    let fund_cash = |fund: &Symbol| st.funds.get(fund).map(|f| st.asset(f.cash_asset).symbol.clone());
    match counted {
        Counted::Asset(asset) | Counted::Units(asset) => match st.asset_index.get(asset) {
            Some(_) => Some(asset.clone()),
            None => fund_cash(asset),
        },
        Counted::FundCash(fund) => fund_cash(fund),
        Counted::Shares { class: Some(class), .. } => Some(class.clone()),
        Counted::Shares { fund, class: None } => {
            let f = st.funds.get(fund)?;
            let decimals: Vec<u8> = f.classes.iter().map(|c| st.asset(*c).decimals).collect();
            let first = f.classes.first().map(|c| st.asset(*c).symbol.clone());
            decimals.windows(2).all(|w| w[0] == w[1]).then_some(first).flatten()
        }
        Counted::ServicedCash(security) => {
            let s = st.servicing.get(st.asset_index.get(security)?)?;
            Some(st.asset(s.cash_asset).symbol.clone())
        }
        Counted::Htlc(id) => st.htlcs.get(&id).map(|h| h.asset.clone()),
        Counted::TenderBond(id) => st.tenders.get(&id).map(|t| t.asset.clone()),
        Counted::RepoCash(id) => st.repos.get(&id).map(|r| r.terms.cash_asset.clone()),
        Counted::RepoCollateral(id) => st.repos.get(&id).map(|r| r.terms.collateral_asset.clone()),
    }
}

fn counted_decimals(st: &State, obj: &Map<String, Value>, counts: Counts) -> Option<u8> {
    let asset = counted_asset(st, obj, counts)?;
    st.asset_index.get(&asset).map(|i| st.asset(*i).decimals)
}

/// `obj[key]`, minor units as the record's JSON holds them, becomes the pair: `key` in the
/// asset's units (null when `decimals` is unknown) and `key_units` in minor units. A null
/// (an optional amount not given) gives two nulls; a field not there is left alone.
fn write_pair(obj: &mut Map<String, Value>, key: &str, decimals: Option<u8>) {
    let units_key = format!("{key}{UNITS_SUFFIX}");
    let units = match obj.get(key) {
        None => return,
        Some(Value::Null) => {
            obj.insert(units_key, Value::Null);
            return;
        }
        Some(Value::Number(n)) => n.as_u64().map(Amount::from),
        Some(Value::String(s)) => s.parse::<Amount>().ok(),
        Some(_) => None,
    };
    // The record's own serialization wrote minor units; anything else is left as it is, for
    // the document's validation of every answer to catch.
    let Some(units) = units else { return };
    // The minor units stay as the record's serde wrote them.
    if let Some(written) = obj.get(key).cloned() {
        obj.insert(units_key, written);
    }
    obj.insert(key.to_string(), decimals.map_or(Value::Null, |d| Value::String(decimal_units(units, d))));
}

/// Undoes the answer form anywhere in `v`: wherever an object holds `x_units`, it replaces `x`
/// (the decimal) and is removed, so the core's types read the record as they wrote it.
pub fn read_back(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            let twins: Vec<String> = obj
                .keys()
                .filter_map(|k| k.strip_suffix(UNITS_SUFFIX))
                .filter(|base| !base.is_empty())
                .map(str::to_string)
                .collect();
            for base in twins {
                if let Some(units) = obj.remove(&format!("{base}{UNITS_SUFFIX}")) {
                    obj.insert(base, units);
                }
            }
            obj.values_mut().for_each(read_back);
        }
        Value::Array(items) => items.iter_mut().for_each(read_back),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pair_keeps_big_minor_units_exact_and_reads_back_to_the_record() {
        let mut obj =
            json!({"asset": "X", "amount": "340282366920938463463374607431768211455"}).as_object().cloned().unwrap();
        write_pair(&mut obj, "amount", Some(2));
        assert_eq!(obj["amount"], json!("3402823669209384634633746074317682114.55"));
        assert_eq!(obj["amount_units"], json!("340282366920938463463374607431768211455"));
        let mut v = Value::Object(obj);
        read_back(&mut v);
        assert_eq!(v, json!({"asset": "X", "amount": "340282366920938463463374607431768211455"}));
    }

    #[test]
    fn an_amount_of_an_unknown_asset_keeps_its_minor_units_and_a_null_decimal() {
        let mut obj = json!({"amount": 5, "cap": null}).as_object().cloned().unwrap();
        write_pair(&mut obj, "amount", None);
        write_pair(&mut obj, "cap", Some(2));
        assert_eq!(Value::Object(obj), json!({"amount": null, "amount_units": 5, "cap": null, "cap_units": null}));
    }
}
