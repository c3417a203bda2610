//! Input as people write it, resolved against the ledger into the canonical JSON of operations
//! (and pre-check intents). The one place the CLI (`submit --ops`, `precheck`), the HTTP API
//! (`POST /v1/transactions/prepare`, `POST /v1/precheck`) and the scenario runner read what a
//! person wrote; the binary encoding of an operation never changes: it always holds minor
//! units and wallet keys.
//!
//! - **Amounts** are written in the asset's units (`amount: 1.5`, `amount: "1,500.00"`) and
//!   read with the asset's decimals ([`crate::units::parse_units`]); more decimal places than
//!   the asset has are refused (`input.too_many_decimals`). Minor units stay available as the
//!   same field with `_units` appended (`amount_units: 1500000`). Which fields are amounts,
//!   and of which asset, is the table [`op_slots`]; an amount whose asset the ledger does not
//!   know yet (nor an earlier operation of the same input creates) cannot be read, and is
//!   refused with the asset's (or fund's) `*.unknown` code.
//! - **Wallets** may be named by a party id (its default wallet: the first wallet added to
//!   it), or by a prefix of a wallet's hex as printed (at least [`MIN_WALLET_PREFIX`] digits;
//!   a trailing `…` is ignored). A full 64-digit hex is taken as is. An exact party id wins
//!   over a hex prefix. A wallet being added (`add_wallet`, `recover_wallet`'s new wallet) must
//!   be given in full: it is not on the ledger yet.
//!
//! Resolution reads the state it is given and nothing else, so it is deterministic; the
//! scenario runner resolves each step against the state when the step runs.

use crate::code::{Code, Refusal};
use crate::movement::Intent;
use crate::op::Op;
use crate::state::State;
use crate::types::*;
use crate::units::{format_amount, parse_units, AmountText};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The fewest hex digits that may name a wallet (fewer would match half a small ledger).
pub const MIN_WALLET_PREFIX: usize = 4;
/// The most candidates an ambiguous prefix's refusal lists.
pub const MAX_CANDIDATES_LISTED: usize = 8;
/// The suffix that gives an amount field in minor units.
pub const UNITS_SUFFIX: &str = "_units";

/// Where the asset of an amount field is named.
#[derive(Clone, Copy, Debug)]
pub enum AssetOf {
    /// A field beside the amount, in the same object (`asset` beside a leg's `amount`).
    Sibling(&'static str),
    /// A field at the top of the payload (a policy rule's limit is in the asset being set up).
    Field(&'static str),
    /// The fund named by a field at the top of the payload: amounts in its cash asset.
    FundCash(&'static str),
    /// The share class named by a field at the top of the payload: amounts in its fund's cash
    /// asset (a subscription pays cash).
    ClassCash(&'static str),
    /// The clearing house named by a field at the top of the payload: amounts in the cash
    /// asset of its collateral schedule (requirements, default-fund contributions).
    CcpCash(&'static str),
}

/// A field of an input value that resolution rewrites. Paths are field names separated by
/// dots; `name[]` steps into every element of the list `name`.
#[derive(Clone, Copy, Debug)]
pub enum Slot {
    /// An amount of an asset.
    Amount(&'static str, AssetOf),
    /// A wallet, or a list of wallets when the path ends in `[]`.
    Wallet(&'static str),
    /// A list of operations (a proposal's).
    Ops(&'static str),
}

use AssetOf::*;
use Slot::*;

/// Policy rules whose values are amounts of the asset named by `asset_field`.
macro_rules! policy_slots {
    ($prefix:literal, $asset:expr) => {
        [
            Amount(concat!($prefix, "policy.rules[].min_investment"), $asset),
            Amount(concat!($prefix, "policy.rules[].min_holding"), $asset),
            Amount(concat!($prefix, "policy.rules[].max_balance"), $asset),
            Amount(concat!($prefix, "policy.rules[].transfer_limit"), $asset),
            Amount(concat!($prefix, "policy.rules[].rolling_24h_limit"), $asset),
            Amount(concat!($prefix, "policy.rules[].monitor_structuring.threshold"), $asset),
            Amount(concat!($prefix, "policy.rules[].monitor_new_counterparty.amount"), $asset),
        ]
    };
}

const CREATE_ASSET: &[Slot] = &{
    let p = policy_slots!("", Field("symbol"));
    [Amount("supply_cap", Field("symbol")), p[0], p[1], p[2], p[3], p[4], p[5], p[6]]
};
const SET_POLICY: &[Slot] = &policy_slots!("", Field("asset"));

/// The amount and wallet fields of each operation, by its JSON name. Every operation is
/// listed (a test checks it), most with nothing to resolve. Prices, rates, basis points and
/// oracle values are not amounts of an asset: they stay as written.
pub fn op_slots(op: &str) -> Option<&'static [Slot]> {
    const AMOUNT_IN_ASSET: Slot = Amount("amount", Sibling("asset"));
    Some(match op {
        "register_party" | "issue_claim" | "revoke_claim" | "link_address" | "add_wallet" => &[],
        "trust_issuer" | "untrust_issuer" | "grant_role" | "revoke_role" | "freeze_wallet" | "unfreeze_wallet" => {
            &[Wallet("wallet")]
        }
        "create_asset" => CREATE_ASSET,
        "set_policy" => SET_POLICY,
        "set_supply_cap" => &[Amount("cap", Sibling("asset"))],
        "mint" | "transfer" | "htlc_lock" | "issue_cash" => &[AMOUNT_IN_ASSET, Wallet("to")],
        "burn" => &[AMOUNT_IN_ASSET, Wallet("from")],
        "freeze_amount" | "unfreeze_amount" => &[AMOUNT_IN_ASSET, Wallet("wallet")],
        "force_transfer" => &[AMOUNT_IN_ASSET, Wallet("from"), Wallet("to")],
        "recover_wallet" => &[Wallet("lost")],
        "set_threshold" | "approve" | "reject" | "pause" | "unpause" | "sanction_add" | "sanction_remove" => &[],
        "propose" => &[Ops("ops")],
        "create_instruction" => {
            &[Amount("legs[].amount", Sibling("asset")), Wallet("legs[].from"), Wallet("legs[].to")]
        }
        "affirm_instruction"
        | "withdraw_affirmation"
        | "reject_instruction"
        | "cancel_instruction"
        | "settle_instruction"
        | "htlc_claim"
        | "htlc_refund" => &[],
        "redeem_cash" => &[AMOUNT_IN_ASSET],
        "register_conversion" => &[Wallet("omnibus")],
        // Converted from the `from` cash token into the `to` one at par.
        "convert_cash" => &[Amount("amount", Sibling("from"))],
        "open_tender" => &[Amount("bond", Sibling("asset"))],
        "place_bid" | "complete_tender" | "declare_default" | "cancel_tender" => &[],
        "award_tender" => &[Wallet("winner")],
        "propose_repo" => &[
            Amount("terms.cash_amount", Sibling("cash_asset")),
            Amount("terms.collateral_amount", Sibling("collateral_asset")),
            Wallet("terms.lender"),
            Wallet("terms.borrower"),
        ],
        "accept_repo" | "cancel_repo" => &[],
        "substitute_collateral" => &[AMOUNT_IN_ASSET],
        "create_yield_class" => &[Wallet("residual")],
        "set_yield_rate" => &[],
        "register_oracle_source" => &[Wallet("wallet")],
        "create_feed" => &[Wallet("sources[]")],
        "oracle_report" => &[],
        "create_fund" => {
            &[Amount("params.facility_daily_limit", Field("cash_asset")), Wallet("cash_wallet"), Wallet("fee_wallet")]
        }
        "create_share_class" => {
            &[Amount("min_first", FundCash("fund")), Amount("min_later", FundCash("fund")), Wallet("residual")]
        }
        "set_class_apy" | "reset_breaker" | "set_shadow_nav_alerts" => &[],
        "custodian_cash" => &[Amount("amount", FundCash("fund"))],
        "buy_position" => &[Amount("face", FundCash("fund")), Amount("cost", FundCash("fund"))],
        "sell_position" => &[Amount("proceeds", FundCash("fund"))],
        "subscribe" => &[Amount("amount", ClassCash("class"))],
        "redeem" => &[Amount("shares", Sibling("class"))],
        "service_security" => &[Wallet("paying_agent")],
        "set_collateral_schedule" => &[
            Wallet("schedule.wallet"),
            Wallet("schedule.liquidation_buyer"),
            Amount("schedule.skin_in_the_game", Sibling("cash_asset")),
            Amount("schedule.limits.fund_shares_per_member", Field("schedule.cash_asset")),
            Amount("schedule.limits.per_fund_cap", Field("schedule.cash_asset")),
            Amount("schedule.limits.single_fund_threshold", Field("schedule.cash_asset")),
            Amount("schedule.limits.per_issuer_cap", Field("schedule.cash_asset")),
        ],
        "admit_member" | "fund_loan" | "repay_loan" | "cancel_loan" => &[],
        "open_segregated_account" => &[Wallet("wallet")],
        "pledge_collateral" | "withdraw_collateral" => &[AMOUNT_IN_ASSET],
        "contribute_default_fund" => &[Amount("amount", CcpCash("ccp"))],
        "release_collateral" => &[AMOUNT_IN_ASSET, Wallet("wallet")],
        "substitute_pledge" => {
            &[Amount("release_amount", Sibling("release_asset")), Amount("pledge_amount", Sibling("pledge_asset"))]
        }
        "set_margin_requirement" => {
            &[Amount("initial_margin", CcpCash("ccp")), Amount("variation_margin", CcpCash("ccp"))]
        }
        "request_loan" => &[
            Amount("terms.principal", Sibling("cash_asset")),
            Amount("collateral_amount", Sibling("collateral_asset")),
            Wallet("terms.lender"),
            Wallet("terms.liquidation_buyer"),
        ],
        _ => return None,
    })
}

/// The fields of a pre-checked movement ([`Intent`]).
pub fn intent_slots(kind: &str) -> Option<&'static [Slot]> {
    const AMOUNT: Slot = Amount("amount", Sibling("asset"));
    Some(match kind {
        "transfer" => &[AMOUNT, Wallet("from"), Wallet("to")],
        "mint" => &[AMOUNT, Wallet("to")],
        "burn" => &[AMOUNT, Wallet("from")],
        _ => return None,
    })
}

/// Reads input against a state. Remembers what earlier operations of the same input create
/// (an asset's decimals, a fund's cash asset, a class's fund, a party's first wallet), so a
/// transaction — or a block of them — may set something up and use it at once.
pub struct Resolver<'a> {
    state: &'a State,
    decimals: BTreeMap<String, u8>,
    fund_cash: BTreeMap<String, String>,
    class_fund: BTreeMap<String, String>,
    party_wallet: BTreeMap<String, WalletId>,
}

fn invalid(msg: impl Into<String>) -> Refusal {
    Refusal::new(Code::InputInvalid, msg)
}

impl<'a> Resolver<'a> {
    pub fn new(state: &'a State) -> Resolver<'a> {
        Resolver {
            state,
            decimals: BTreeMap::new(),
            fund_cash: BTreeMap::new(),
            class_fund: BTreeMap::new(),
            party_wallet: BTreeMap::new(),
        }
    }

    /// A list of operations as written → their canonical JSON (minor units, wallet keys).
    pub fn canonical_ops(&mut self, ops: &Value) -> Result<Value, Refusal> {
        let list = ops.as_array().ok_or_else(|| invalid("operations: expected a list"))?;
        let mut out = Vec::with_capacity(list.len());
        for (i, op) in list.iter().enumerate() {
            let mut op = op.clone();
            self.tagged(&mut op, op_slots, &format!("operation {}", i.saturating_add(1)))?;
            out.push(op);
        }
        Ok(Value::Array(out))
    }

    /// A list of operations as written → the operations.
    pub fn ops(&mut self, ops: &Value) -> Result<Vec<Op>, Refusal> {
        let v = self.canonical_ops(ops)?;
        serde_json::from_value(v).map_err(|e| invalid(format!("bad operations: {e}")))
    }

    /// A movement to pre-check as written → the movement.
    pub fn intent(&mut self, intent: &Value) -> Result<Intent, Refusal> {
        let mut v = intent.clone();
        self.tagged(&mut v, intent_slots, "the movement")?;
        serde_json::from_value(v).map_err(|e| invalid(format!("bad movement: {e}")))
    }

    /// Resolves a value tagged by its kind (`{"transfer": {...}}`) in place, with `slots`
    /// naming the fields to rewrite for each kind; `what` names the value in refusals. An
    /// unknown kind, or a value of another shape, is left for deserialization to refuse.
    pub fn tagged(
        &mut self,
        v: &mut Value,
        slots: fn(&str) -> Option<&'static [Slot]>,
        what: &str,
    ) -> Result<(), Refusal> {
        let Some(obj) = v.as_object_mut() else { return Ok(()) };
        if obj.len() != 1 {
            return Ok(());
        }
        let Some((kind, payload)) = obj.iter_mut().next() else { return Ok(()) };
        let Some(slots) = slots(kind) else { return Ok(()) };
        let kind = kind.clone();
        let name = format!("{what} ({kind})");
        self.learn(&kind, payload);
        let root = payload.clone();
        for slot in slots {
            match *slot {
                Amount(path, asset_of) => {
                    let segs: Vec<&str> = path.split('.').collect();
                    let mut result = Ok(());
                    each_field(payload, &segs, &mut |obj, key| {
                        if result.is_ok() {
                            result = self.amount_field(obj, key, asset_of, &root, &name, path);
                        }
                    });
                    result?;
                }
                Wallet(path) => {
                    let segs: Vec<&str> = path.split('.').collect();
                    let mut result = Ok(());
                    each_value(payload, &segs, &mut |v| {
                        if result.is_ok() {
                            if let Value::String(s) = v {
                                match self.wallet(s) {
                                    Ok(w) => *s = w.to_hex(),
                                    Err(e) => result = Err(e),
                                }
                            }
                        }
                    });
                    result.map_err(|e| Refusal::new(e.code, format!("{name} {path}: {}", e.message)))?;
                }
                Ops(path) => {
                    if let Some(list) = payload.get_mut(path) {
                        if let Some(items) = list.as_array_mut() {
                            for (i, op) in items.iter_mut().enumerate() {
                                self.tagged(
                                    op,
                                    op_slots,
                                    &format!("{name}, proposed operation {}", i.saturating_add(1)),
                                )?;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Notes what an operation sets up, for the operations after it.
    pub(crate) fn learn(&mut self, kind: &str, p: &Value) {
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
        match kind {
            "create_asset" => {
                if let (Some(s), Some(d)) = (text("symbol"), p.get("decimals").and_then(Value::as_u64)) {
                    if let Ok(d) = u8::try_from(d) {
                        self.decimals.insert(s, d);
                    }
                }
            }
            "create_fund" => {
                if let (Some(f), Some(c)) = (text("fund"), text("cash_asset")) {
                    self.fund_cash.insert(f, c);
                }
            }
            "create_share_class" => {
                if let (Some(f), Some(a)) = (text("fund"), text("asset")) {
                    self.class_fund.insert(a, f);
                }
            }
            "add_wallet" => {
                let wallet = text("wallet").and_then(|w| WalletId::from_hex(&w));
                if let (Some(party), Some(w)) = (text("party"), wallet) {
                    let has_one = self
                        .state
                        .party_index
                        .get(&PartyId::new(party.as_str()))
                        .and_then(|i| self.state.parties.get(i))
                        .is_some_and(|p| !p.wallets.is_empty());
                    if !has_one {
                        self.party_wallet.entry(party).or_insert(w);
                    }
                }
            }
            _ => {}
        }
    }

    /// An asset's decimals, from the state or an earlier operation of the input.
    pub fn decimals(&self, asset: &str) -> Option<u8> {
        match self.state.asset_index.get(&Symbol::new(asset)) {
            Some(i) => Some(self.state.asset(*i).decimals),
            None => self.decimals.get(asset).copied(),
        }
    }

    /// The cash asset a fund's amounts are in.
    pub fn fund_cash(&self, fund: &str) -> Result<String, Refusal> {
        match self.state.funds.get(&Symbol::new(fund)) {
            Some(f) => Ok(self.state.asset(f.cash_asset).symbol.as_str().to_string()),
            None => self.fund_cash.get(fund).cloned().ok_or_else(|| {
                Refusal::new(Code::FundUnknown, format!("no fund {fund}, so its cash asset's decimals are unknown"))
            }),
        }
    }

    fn ccp_cash(&self, ccp: &str) -> Result<String, Refusal> {
        match self.state.clearing_houses.get(&PartyId::new(ccp)) {
            Some(c) => Ok(c.schedule.cash_asset.as_str().to_string()),
            None => Err(Refusal::new(
                Code::CollateralNotAClearingHouse,
                format!("{ccp} is not a clearing house with a schedule, so the decimals of its cash asset are unknown"),
            )),
        }
    }

    fn class_cash(&self, class: &str) -> Result<String, Refusal> {
        let on_ledger = self
            .state
            .asset_index
            .get(&Symbol::new(class))
            .and_then(|a| self.state.share_classes.get(a))
            .map(|c| c.spec.fund.as_str().to_string());
        match on_ledger.or_else(|| self.class_fund.get(class).cloned()) {
            Some(fund) => self.fund_cash(&fund),
            None => Err(Refusal::new(
                Code::FundUnknownClass,
                format!(
                    "{class} is not a share class of a fund, so the decimals of the cash it is paid in are unknown"
                ),
            )),
        }
    }

    /// Rewrites `obj[key]` (in the asset's units) or `obj[key_units]` (minor units) into the
    /// canonical `obj[key]` in minor units.
    fn amount_field(
        &self,
        obj: &mut Map<String, Value>,
        key: &str,
        asset_of: AssetOf,
        root: &Value,
        name: &str,
        path: &str,
    ) -> Result<(), Refusal> {
        let units_key = format!("{key}{UNITS_SUFFIX}");
        let field = format!("{name} {path}");
        // An answer's pair sent back as it was: its minor units are the amount, and the
        // decimal beside them (null when the asset's decimals were unknown) must agree.
        if let (Some(written), Some(units)) = (obj.get(key).cloned(), obj.get(&units_key).cloned()) {
            let minor = read_amount(&units, 0).map_err(|why| {
                amount_refusal(&format!("{field} ({units_key})"), &units, why, "a whole number of minor units")
            })?;
            if !written.is_null() {
                let asset = self.asset_of(asset_of, obj, root, &field)?;
                let agrees = self.decimals(&asset).and_then(|d| read_amount(&written, d).ok()) == Some(minor);
                if !agrees {
                    return Err(Refusal::new(
                        Code::InputBadAmount,
                        format!(
                            "{field}: {key} {written} and {units_key} {units} are not the same amount of {asset}; give one of them, or both agreeing"
                        ),
                    ));
                }
            }
            obj.remove(&units_key);
            obj.insert(key.to_string(), canonical(minor));
            return Ok(());
        }
        match (obj.get(key), obj.get(&units_key)) {
            // Minor units alone (both forms were read above).
            (_, Some(v)) => {
                let units = read_amount(v, 0).map_err(|why| {
                    amount_refusal(&format!("{field} ({units_key})"), v, why, "a whole number of minor units")
                })?;
                obj.remove(&units_key);
                obj.insert(key.to_string(), canonical(units));
                Ok(())
            }
            (Some(Value::Null), None) | (None, None) => Ok(()),
            (Some(v), None) => {
                let asset = self.asset_of(asset_of, obj, root, &field)?;
                // A symbol that cannot be one is refused as the door would refuse it.
                check_symbol(&Symbol::new(asset.as_str()))?;
                let decimals = self.decimals(&asset).ok_or_else(|| {
                    Refusal::new(
                        Code::AssetUnknown,
                        format!(
                            "{field}: no asset {asset}, so the amount cannot be read in its units; give minor units as {units_key}"
                        ),
                    )
                })?;
                let units = read_amount(v, decimals).map_err(|why| {
                    let accepted = format!("{}, or minor units as {units_key}", AmountText::accepted(decimals));
                    amount_refusal(&format!("{field} in {asset}"), v, why, &accepted)
                })?;
                obj.insert(key.to_string(), canonical(units));
                Ok(())
            }
        }
    }

    /// The asset an amount field is in: `obj` holds the field, `root` is the operation's
    /// payload; `field` names the field in refusals.
    pub(crate) fn asset_of(
        &self,
        asset_of: AssetOf,
        obj: &Map<String, Value>,
        root: &Value,
        field: &str,
    ) -> Result<String, Refusal> {
        let text = |k: &str, from: &Value| -> Result<String, Refusal> {
            // A dotted path reaches into objects (`schedule.cash_asset`).
            k.split('.')
                .try_fold(from, |v, part| v.get(part))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid(format!("{field}: the amount's asset ({k}) is missing")))
        };
        match asset_of {
            Sibling(k) => obj
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid(format!("{field}: the amount's asset ({k}) is missing"))),
            Field(k) => text(k, root),
            FundCash(k) => self.fund_cash(&text(k, root)?),
            ClassCash(k) => self.class_cash(&text(k, root)?),
            CcpCash(k) => self.ccp_cash(&text(k, root)?),
        }
    }

    /// One amount of `asset` as written (a number or a string, in the asset's units); `input`
    /// names it in refusals.
    pub fn amount(&self, asset: &str, v: &Value, input: &str) -> Result<crate::types::Amount, Refusal> {
        let decimals = self.decimals(asset).ok_or_else(|| {
            Refusal::new(Code::AssetUnknown, format!("{input}: no asset {asset}, so the amount cannot be read"))
        })?;
        read_amount(v, decimals)
            .map_err(|why| amount_refusal(&format!("{input} in {asset}"), v, why, &AmountText::accepted(decimals)))
    }

    /// The wallet a name stands for: 64 hex digits as they are, a party's default wallet (its
    /// first), or the one wallet whose hex starts with the prefix given.
    pub fn wallet(&self, text: &str) -> Result<WalletId, Refusal> {
        let t = text.trim();
        if let Some(w) = WalletId::from_hex(t) {
            return Ok(w);
        }
        let party = PartyId::new(t);
        if let Some(p) = self.state.party_index.get(&party).and_then(|i| self.state.parties.get(i)) {
            return match p.wallets.first() {
                Some(w) => Ok(self.state.wallet(*w).key),
                None => self.party_wallet.get(t).copied().ok_or_else(|| {
                    Refusal::new(
                        Code::InputUnknownName,
                        format!("party {t} has no wallet yet, so it has no default wallet: add one with add_wallet"),
                    )
                }),
            };
        }
        if let Some(w) = self.party_wallet.get(t) {
            return Ok(*w);
        }
        let prefix = t.trim_end_matches('…').trim_end_matches("...").to_ascii_lowercase();
        let is_hex = !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex && prefix.len() >= MIN_WALLET_PREFIX {
            let mut found: Vec<WalletId> =
                self.state.wallet_index.iter().map(|(w, _)| *w).filter(|w| w.to_hex().starts_with(&prefix)).collect();
            found.sort();
            return match found.as_slice() {
                [one] => Ok(*one),
                [] => Err(Refusal::new(
                    Code::InputUnknownName,
                    format!("no wallet on the ledger starts with {prefix:?}; {}", wallet_forms()),
                )),
                many => {
                    let listed: Vec<String> =
                        many.iter().take(MAX_CANDIDATES_LISTED).map(|w| self.candidate(w, prefix.len())).collect();
                    let more = many.len().saturating_sub(MAX_CANDIDATES_LISTED);
                    let more = if more > 0 { format!(" and {more} more") } else { String::new() };
                    Err(Refusal::new(
                        Code::InputAmbiguousWallet,
                        format!(
                            "{prefix:?} starts {} wallets: {}{more}; give more hex digits",
                            many.len(),
                            listed.join(", ")
                        ),
                    ))
                }
            };
        }
        let why = if is_hex {
            format!("{t:?} is no party id, and a wallet prefix needs at least {MIN_WALLET_PREFIX} hex digits")
        } else {
            format!("no party {t:?} and no wallet by that name")
        };
        Err(Refusal::new(Code::InputUnknownName, format!("{why}; {}", wallet_forms())))
    }

    /// A candidate of an ambiguous prefix: enough hex to tell it apart, and its party.
    fn candidate(&self, w: &WalletId, prefix_len: usize) -> String {
        let hex = w.to_hex();
        let shown = &hex[..prefix_len.saturating_add(8).min(hex.len())];
        let party = self
            .state
            .wallet_index
            .get(w)
            .map(|i| self.state.wallet(*i).party)
            .and_then(|p| self.state.parties.get(&p))
            .map(|p| format!(" (party {})", p.id))
            .unwrap_or_default();
        format!("{shown}…{party}")
    }
}

/// What names a wallet, for refusals.
fn wallet_forms() -> String {
    format!(
        "name a wallet by its party's id (its first wallet), by at least {MIN_WALLET_PREFIX} hex digits of it as printed, or in full (64 hex digits)"
    )
}

/// Every object holding the path's last field, with that field's name.
pub(crate) fn each_field(v: &mut Value, segs: &[&str], f: &mut dyn FnMut(&mut Map<String, Value>, &str)) {
    match segs {
        [] => {}
        [last] => {
            if let Some(obj) = v.as_object_mut() {
                f(obj, last);
            }
        }
        [first, rest @ ..] => step(v, first, &mut |inner| each_field(inner, rest, f)),
    }
}

/// Every value at the path (each element when it ends in a list).
fn each_value(v: &mut Value, segs: &[&str], f: &mut dyn FnMut(&mut Value)) {
    match segs {
        [] => f(v),
        [first, rest @ ..] => step(v, first, &mut |inner| each_value(inner, rest, f)),
    }
}

/// Steps into field `seg` of an object (into each element for `name[]`).
fn step(v: &mut Value, seg: &str, f: &mut dyn FnMut(&mut Value)) {
    let (key, list) = match seg.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (seg, false),
    };
    let Some(inner) = v.as_object_mut().and_then(|o| o.get_mut(key)) else { return };
    if list {
        if let Some(items) = inner.as_array_mut() {
            items.iter_mut().for_each(f);
        }
    } else {
        f(inner);
    }
}

/// An amount in minor units as canonical JSON: a number, or a string past 2^64.
fn canonical(units: crate::types::Amount) -> Value {
    match u64::try_from(units) {
        Ok(small) => Value::from(small),
        Err(_) => Value::String(units.to_string()),
    }
}

/// The most significant digits a number written without quotes keeps exactly (JSON and YAML
/// readers hold it as a 64-bit float).
const EXACT_FLOAT_DIGITS: usize = 15;

/// Floats at or above 2^53 may not be the integer that was written.
const EXACT_FLOAT_WHOLE: f64 = 9_007_199_254_740_992.0;

/// A number's text without an exponent: "1e-6" → "0.000001", "1.5e3" → "1500", "2.0" → "2".
fn plain_decimal(text: &str) -> Option<String> {
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{frac}");
    // Where the decimal point falls in `digits`, counted from its start.
    let point = i64::try_from(whole.len()).ok()?.checked_add(i64::from(exp))?;
    let len = i64::try_from(digits.len()).ok()?;
    let out = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(point.checked_neg()?).ok()?))
    } else if point >= len {
        format!("{digits}{}", "0".repeat(usize::try_from(point.checked_sub(len)?).ok()?))
    } else {
        let (w, f) = digits.split_at(usize::try_from(point).ok()?);
        format!("{w}.{f}")
    };
    let out = match out.split_once('.') {
        Some((w, f)) if f.bytes().all(|b| b == b'0') => w.to_string(),
        _ => out,
    };
    let trimmed = out.trim_start_matches('0');
    Some(if trimmed.is_empty() || trimmed.starts_with('.') { format!("0{trimmed}") } else { trimmed.to_string() })
}

/// Reads a written amount (a JSON/YAML number or a string) with `decimals` decimals.
fn read_amount(v: &Value, decimals: u8) -> Result<crate::types::Amount, AmountText> {
    match v {
        Value::String(s) => parse_units(s, decimals),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                return parse_units(&u.to_string(), decimals);
            }
            if n.as_i64().is_some_and(|i| i < 0) || n.as_f64().is_some_and(|f| f.is_sign_negative()) {
                return Err(AmountText::Negative);
            }
            // A float: its shortest form is what was written when it keeps few enough digits
            // and its whole part is below 2^53, where every integer is exact.
            let f = n.as_f64().unwrap_or(f64::NAN);
            let text = plain_decimal(&n.to_string()).ok_or(AmountText::Malformed)?;
            let digits = text.bytes().filter(u8::is_ascii_digit).skip_while(|b| *b == b'0').count();
            if !f.is_finite() || f >= EXACT_FLOAT_WHOLE || digits > EXACT_FLOAT_DIGITS {
                return Err(AmountText::Malformed);
            }
            parse_units(&text, decimals)
        }
        _ => Err(AmountText::Malformed),
    }
}

/// The refusal for an amount that cannot be read: its code, the input named, what was written
/// and what would be accepted.
fn amount_refusal(input: &str, v: &Value, why: AmountText, accepted: &str) -> Refusal {
    let code = match why {
        AmountText::TooManyDecimals { .. } => Code::InputTooManyDecimals,
        AmountText::TooLarge => Code::InputAmountTooLarge,
        AmountText::Empty | AmountText::Negative | AmountText::Malformed => Code::InputBadAmount,
    };
    let written = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    let hint = if matches!(v, Value::Number(n) if n.is_f64()) && why == AmountText::Malformed {
        " (a number this long loses digits unless quoted: write it as a string)"
    } else {
        ""
    };
    Refusal::new(code, format!("{input}: {written}: {why}{hint}; write {accepted}"))
}

/// An amount of an asset for people, "1,500.00 USDX", in the asset's decimals as the state
/// knows them (minor units and the symbol when it does not know the asset).
pub fn money(state: &State, asset: &Symbol, amount: crate::types::Amount) -> String {
    match state.asset_index.get(asset) {
        Some(i) => format_amount(amount, state.asset(*i).decimals, asset.as_str()),
        None => format!("{amount} minor units of {asset}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::demo_genesis;
    use crate::crypto::Keypair;
    use crate::exec::Chain;
    use serde_json::json;

    fn every_op_is_listed() -> Vec<&'static str> {
        Op::NAMES.iter().copied().filter(|n| op_slots(n).is_none()).collect()
    }

    #[test]
    fn every_operation_has_an_entry_in_the_slot_table() {
        assert_eq!(every_op_is_listed(), Vec::<&str>::new());
    }

    #[test]
    fn a_float_with_too_many_digits_is_refused_and_asked_to_be_quoted() {
        let st = State::empty();
        let r = Resolver::new(&st);
        let mut obj = json!({"asset": "X", "amount": 0.12345678901234567}).as_object().cloned().unwrap();
        let e = r.amount_field(&mut obj, "amount", Sibling("asset"), &Value::Null, "op", "amount").unwrap_err();
        // The asset is unknown: the amount cannot be read at all.
        assert_eq!(e.code, Code::AssetUnknown);
        assert_eq!(read_amount(&json!(0.12345678901234567), 18), Err(AmountText::Malformed));
        assert_eq!(read_amount(&json!(1e21), 2), Err(AmountText::Malformed));
        assert_eq!(read_amount(&json!(1.5), 2), Ok(150));
        assert_eq!(read_amount(&json!(100.0), 2), Ok(10_000));
        assert_eq!(read_amount(&json!(-3), 2), Err(AmountText::Negative));
        assert_eq!(read_amount(&json!(-0.5), 2), Err(AmountText::Negative));
        assert_eq!(read_amount(&json!(true), 2), Err(AmountText::Malformed));
        assert_eq!(read_amount(&json!(0.000001), 6), Ok(1));
        assert_eq!(read_amount(&json!(0.0000015), 6), Err(AmountText::TooManyDecimals { given: 7, allowed: 6 }));
        assert_eq!(read_amount(&json!(123456789012.5), 2), Ok(12_345_678_901_250));
        assert_eq!(plain_decimal("1e-6").as_deref(), Some("0.000001"));
        assert_eq!(plain_decimal("1.5e3").as_deref(), Some("1500"));
        assert_eq!(plain_decimal("2.0").as_deref(), Some("2"));
        assert_eq!(plain_decimal("0.25").as_deref(), Some("0.25"));
    }

    #[test]
    fn canonical_amounts_past_2_pow_64_are_strings() {
        assert_eq!(canonical(5), json!(5));
        assert_eq!(canonical(u64::MAX as u128 + 1), json!("18446744073709551616"));
    }

    #[test]
    fn an_operation_reads_amounts_in_the_assets_units_and_names_as_wallets() {
        let op = Keypair::insecure_from_name("op");
        let (chain, _) = Chain::genesis(&demo_genesis("t", Time(0), &[(&op, &Role::OPERATOR)], [1, 1, 1])).unwrap();
        let mut r = Resolver::new(&chain.state);
        let ops = json!([
            {"create_asset": {"symbol": "USDX", "decimals": 6}},
            {"transfer": {"asset": "USDX", "to": op.wallet().to_hex(), "amount": "1,500.25"}},
            {"transfer": {"asset": "USDX", "to": &op.wallet().to_hex()[..6], "amount_units": 7}},
        ]);
        let v = r.canonical_ops(&ops).unwrap();
        assert_eq!(v[1]["transfer"]["amount"], json!(1_500_250_000u64));
        assert_eq!(v[2]["transfer"]["amount"], json!(7));
        assert_eq!(v[2]["transfer"]["to"], json!(op.wallet().to_hex()));
    }

    #[test]
    fn an_answers_pair_reads_back_when_it_agrees_and_is_refused_naming_both_when_not() {
        let op = Keypair::insecure_from_name("op");
        let (chain, _) = Chain::genesis(&demo_genesis("t", Time(0), &[(&op, &Role::OPERATOR)], [1, 1, 1])).unwrap();
        let mut r = Resolver::new(&chain.state);
        let to = op.wallet().to_hex();
        let ops = json!([
            {"create_asset": {"symbol": "USDX", "decimals": 6}},
            {"transfer": {"asset": "USDX", "to": to, "amount": "1500.250000", "amount_units": 1_500_250_000u64}},
            {"transfer": {"asset": "USDX", "to": to, "amount": null, "amount_units": 7}},
        ]);
        let v = r.canonical_ops(&ops).unwrap();
        assert_eq!(v[1]["transfer"], json!({"asset": "USDX", "to": to, "amount": 1_500_250_000u64}));
        assert_eq!(v[2]["transfer"]["amount"], json!(7));
        let e = r
            .canonical_ops(&json!([{"transfer": {"asset": "USDX", "to": to, "amount": "1.00", "amount_units": 100}}]))
            .unwrap_err();
        assert_eq!(e.code, Code::InputBadAmount);
        assert!(
            e.message.contains("amount \"1.00\" and amount_units 100 are not the same amount of USDX"),
            "{}",
            e.message
        );
    }
}
