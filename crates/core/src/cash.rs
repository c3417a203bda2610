//! Cash tokens (S3): a stablecoin (or a bank's deposit token) issued against a recorded fiat
//! receipt and burned on redemption with a payout reference; and the central-bank model of
//! seed 003 — a wholesale CBDC held only by banks, converted 1:1 into a settlement token
//! through an omnibus account and back.
//!
//! Invariants: a fiat receipt or payout reference backs at most one issue or redemption; for
//! every registered conversion, the settlement token's supply never exceeds the CBDC held in
//! the omnibus wallet (tokens exist only against CBDC parked there); the omnibus wallet moves
//! CBDC only through conversions.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::{Move, Movement};
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::state::*;
use crate::types::*;

pub use crate::model::cash::*;

fn cash_kind(state: &State, asset: &Symbol) -> Result<(AssetIdx, CashKind, String), Refusal> {
    let a = state.asset_idx(asset)?;
    match &state.asset(a).kind {
        AssetKind::CashToken { cash, currency } => Ok((a, *cash, currency.clone())),
        _ => refuse(Code::CashWrongKind, format!("{asset} is not a cash token")),
    }
}

/// Issue against fiat and redemption for fiat apply to stablecoins and deposit tokens.
fn fiat_backed(state: &State, asset: &Symbol, what: &str) -> Result<(), Refusal> {
    let (_, kind, _) = cash_kind(state, asset)?;
    if !matches!(kind, CashKind::Stablecoin | CashKind::BankDeposit) {
        return refuse(
            Code::CashWrongKind,
            format!(
                "{asset} is {}: {what} applies to stablecoins and bank deposit tokens",
                crate::prose::with_article(kind)
            ),
        );
    }
    Ok(())
}

fn reference_key(asset: &Symbol, reference: &str) -> String {
    format!("{asset}/{reference}")
}

fn record_reference(state: &mut State, asset: &Symbol, reference: &str, rec: CashRecord) -> Result<(), Refusal> {
    if reference.is_empty() {
        return refuse(Code::CashDuplicateReference, "a fiat reference is required");
    }
    let key = reference_key(asset, reference);
    if state.cash_references.contains(&key) {
        return refuse(Code::CashDuplicateReference, format!("reference {reference:?} was already used for {asset}"));
    }
    state.cash_references.put(key, rec);
    Ok(())
}

/// Issuer mints against a fiat receipt (stablecoins and deposit tokens).
#[allow(clippy::too_many_arguments)]
pub fn issue(
    state: &mut State,
    asset: &Symbol,
    to: &WalletId,
    amount: Amount,
    reference: &str,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    fiat_backed(state, asset, "issue against fiat")?;
    record_reference(
        state,
        asset,
        reference,
        CashRecord { asset: asset.clone(), wallet: *to, amount, at: now, issue: true },
    )?;
    movement::mint(state, asset, to, amount, now, tx, ev)?;
    ev.push(Event::CashIssued { asset: asset.clone(), to: *to, amount, fiat_reference: reference.into() });
    Ok(())
}

/// A holder redeems at par: its tokens burn, the payout reference records where the fiat goes.
#[allow(clippy::too_many_arguments)]
pub fn redeem(
    state: &mut State,
    signer: WalletIdx,
    asset: &Symbol,
    amount: Amount,
    reference: &str,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    fiat_backed(state, asset, "redemption for fiat")?;
    let key = state.wallet(signer).key;
    record_reference(
        state,
        asset,
        reference,
        CashRecord { asset: asset.clone(), wallet: key, amount, at: now, issue: false },
    )?;
    movement::burn(state, asset, &key, amount, now, tx, ev)?;
    ev.push(Event::CashRedeemed { asset: asset.clone(), from: key, amount, payout_reference: reference.into() });
    Ok(())
}

pub fn register_conversion(cx: &mut Ctx, cbdc: &Symbol, token: &Symbol, omnibus: &WalletId) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let (_, ck, ccur) = cash_kind(state, cbdc)?;
    let (_, tk, tcur) = cash_kind(state, token)?;
    if ck != CashKind::WholesaleCbdc || tk != CashKind::SettlementToken || ccur != tcur {
        return refuse(
            Code::CashBadConversion,
            format!("{cbdc} must be a wholesale CBDC and {token} a settlement token of the same currency"),
        );
    }
    if state.conversions.contains(cbdc) || state.conversions.contains(token) {
        return refuse(Code::CashBadConversion, "either asset already has a conversion");
    }
    let w = state.wallet_idx(omnibus)?;
    let c = Conversion { cbdc: cbdc.clone(), token: token.clone(), omnibus: *omnibus };
    state.conversions.put(cbdc.clone(), c.clone());
    state.conversions.put(token.clone(), c);
    state.omnibus_wallets.put(w, ());
    ev.push(Event::ConversionRegistered { cbdc: cbdc.clone(), token: token.clone(), omnibus: *omnibus });
    Ok(())
}

/// CBDC → settlement token (parks the CBDC in the omnibus, mints the token) or back (burns the
/// token, releases the CBDC), 1:1, both movements checked as usual, atomically.
pub fn convert(cx: &mut Ctx, from: &Symbol, to: &Symbol, amount: Amount) -> Result<(), Refusal> {
    let (signer, now, tx) = (cx.actor, cx.now, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let c = state
        .conversions
        .get(from)
        .filter(|c| (c.cbdc == *from && c.token == *to) || (c.token == *from && c.cbdc == *to))
        .cloned()
        .ok_or_else(|| Refusal::new(Code::CashNoConversion, format!("no conversion from {from} to {to}")))?;
    let omnibus = state.wallet_idx(&c.omnibus)?;
    if omnibus == signer {
        return refuse(Code::CashBadConversion, "the omnibus wallet does not convert for itself");
    }
    let key = state.wallet(signer).key;
    let cbdc = state.asset_idx(&c.cbdc)?;
    if *from == c.cbdc {
        let park = Move { kind: Movement::Transfer, asset: cbdc, from: Some(signer), to: Some(omnibus), amount, now };
        movement::execute(state, &park, tx, ev)?;
        movement::mint(state, &c.token, &key, amount, now, tx, ev)?;
    } else {
        movement::burn(state, &c.token, &key, amount, now, tx, ev)?;
        let release =
            Move { kind: Movement::Settlement, asset: cbdc, from: Some(omnibus), to: Some(signer), amount, now };
        // The released CBDC is free in the omnibus: lock it for the leg so the settlement
        // movement (which delivers locked units) applies.
        movement::lock(state, cbdc, omnibus, amount, true)?;
        movement::execute(state, &release, tx, ev)?;
    }
    ev.push(Event::CashConverted { from: from.clone(), to: to.clone(), wallet: key, amount });
    Ok(())
}

/// Checks the conversion invariant (used by `State::check_invariants`).
pub fn check_conversions(state: &State) -> Result<(), String> {
    for (sym, c) in state.conversions.iter() {
        if *sym != c.cbdc {
            continue;
        }
        let (Ok(cb), Ok(tk), Ok(om)) =
            (state.asset_idx(&c.cbdc), state.asset_idx(&c.token), state.wallet_idx(&c.omnibus))
        else {
            return Err(format!("conversion {}→{} names a missing asset or wallet", c.cbdc, c.token));
        };
        let parked = state.holding(cb, om).total().unwrap_or(0);
        let supply = state.asset(tk).supply;
        if supply > parked {
            return Err(format!("{} supply {supply} exceeds the {parked} {} parked in the omnibus", c.token, c.cbdc));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for IssueCash {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::IssuerAgent, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let IssueCash { asset, amount, fiat_reference: r, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)?;
        check_text("reference", r, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let IssueCash { asset, to, amount, fiat_reference } = self;
        issue(cx.state, asset, to, *amount, fiat_reference, cx.now, cx.tx, cx.events)
    }
}

impl Action for RedeemCash {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let RedeemCash { asset, amount, payout_reference: r } = self;
        check_symbol(asset)?;
        nonzero(*amount)?;
        check_text("reference", r, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RedeemCash { asset, amount, payout_reference } = self;
        redeem(cx.state, cx.actor, asset, *amount, payout_reference, cx.now, cx.tx, cx.events)
    }
}

impl Action for RegisterConversion {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let RegisterConversion { cbdc, token, .. } = self;
        check_symbol(cbdc)?;
        check_symbol(token)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RegisterConversion { cbdc, token, omnibus } = self;
        register_conversion(cx, cbdc, token, omnibus)
    }
}

impl Action for ConvertCash {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let ConvertCash { from, to, amount } = self;
        check_symbol(from)?;
        check_symbol(to)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let ConvertCash { from, to, amount } = self;
        convert(cx, from, to, *amount)
    }
}
