//! Movements of units: mint, burn, transfer, forced transfer, freezes and wallet recovery
//! (L4, L6, L8, L2), and the pre-check that reports every failing rule of a movement.
//!
//! Every movement runs `checks` first — the same function the pre-check runs with
//! `all = true` — then writes. Check precedence (the order failures are reported):
//! ledger pause, asset pause, wallets (unknown, retired, frozen), balance, policy rules in
//! policy order.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::{self, Move, Movement};
use crate::locks;
use crate::model::governance::{Need, OpClass};
pub use crate::model::movement::*;
use crate::state::*;
use crate::types::*;

/// Generic checks (pause, wallet state, balance) followed by the asset's policy rules.
///
/// With `all` (the pre-check) every failure is reported, and a free balance too short because
/// of locks or frozen units names them: nothing journals a pre-check. Without it (a
/// transaction, a block-boundary job) only the first failure, in the words failure receipts
/// have always journaled — an old journal must replay to the same receipts.
pub fn checks(state: &State, m: &Move, all: bool, out: &mut Vec<Refusal>) {
    macro_rules! fail {
        ($code:expr, $msg:expr) => {{
            out.push(Refusal::new($code, $msg));
            if !all {
                return;
            }
        }};
    }
    let asset = state.asset(m.asset);
    if state.meta().paused {
        fail!(Code::LedgerPaused, "the ledger is paused");
    }
    if asset.paused {
        fail!(Code::AssetPaused, format!("{} is paused", asset.symbol));
    }
    if let Some(f) = m.from {
        let w = state.wallet(f);
        if w.retired_to.is_some() {
            fail!(Code::WalletRetired, format!("wallet {} was recovered and is retired", w.key.short()));
        }
        if w.frozen && m.kind != Movement::Forced {
            fail!(Code::WalletFrozen, format!("wallet {} is frozen", w.key.short()));
        }
        let h = state.holding_ref(m.asset, f);
        let available = match m.kind {
            // A forced move may take frozen units too (a seizure of frozen funds).
            Movement::Forced => h
                .map(|h| h.free.checked_add(h.frozen).expect("part of a stored holding's total, which fits"))
                .unwrap_or(0),
            // A settlement leg delivers what its sender locked for it.
            Movement::Settlement => h.map(|h| h.locked).unwrap_or(0),
            _ => h.map(|h| h.free).unwrap_or(0),
        };
        if available < m.amount {
            let held_back = h.filter(|h| h.locked > 0 || h.frozen > 0);
            let message = match held_back {
                // Only a movement of free units is held back by locks and freezes.
                Some(h) if all && !matches!(m.kind, Movement::Forced | Movement::Settlement) => {
                    short_free_balance(state, m.asset, f, h, m.amount)
                }
                _ => {
                    let (available, needed) =
                        (state.amount_text_with_symbol(m.asset, available), state.amount_text(m.asset, m.amount));
                    format!("wallet {} has {available} available; {needed} needed", w.key.short())
                }
            };
            fail!(Code::BalanceInsufficient, message);
        }
    }
    if let Some(t) = m.to {
        let w = state.wallet(t);
        if w.retired_to.is_some() {
            fail!(Code::WalletRetired, format!("wallet {} was recovered and is retired", w.key.short()));
        }
        if w.frozen {
            fail!(Code::WalletFrozen, format!("wallet {} is frozen", w.key.short()));
        }
    }
    if m.kind == Movement::Mint {
        match (asset.supply.checked_add(m.amount), asset.supply_cap) {
            (None, _) => fail!(
                Code::AmountOverflow,
                format!(
                    "minting {} would overflow the supply of {}",
                    state.amount_text(m.asset, m.amount),
                    asset.symbol
                )
            ),
            (Some(s), Some(cap)) if s > cap => {
                let (amount, cap) = (state.amount_text(m.asset, m.amount), state.amount_text(m.asset, cap));
                fail!(
                    Code::AssetSupplyCapExceeded,
                    format!("minting {amount} would take {} above its cap {cap}", asset.symbol)
                )
            }
            _ => {}
        }
    }
    if let Some(t) = m.to {
        let held = state.holding_ref(m.asset, t).map(|h| h.total().unwrap_or(Amount::MAX)).unwrap_or(0);
        if held.checked_add(m.amount).is_none() {
            fail!(Code::AmountOverflow, format!("the receiver's {} balance would overflow", asset.symbol));
        }
    }
    compliance::evaluate(state, m, all, out);
}

/// The pre-check's words for a free balance short of `needed` while part of the holding is
/// locked or frozen: "wallet ab12… has 100.00 USDX free; 250.00 USDX needed; 500.00 USDX locked
/// by instruction 4 leg 0 (300.00 USDX), repo 3 collateral (200.00 USDX); 50.00 USDX frozen by
/// compliance".
fn short_free_balance(state: &State, asset: AssetIdx, wallet: WalletIdx, h: &Holding, needed: Amount) -> String {
    let text = |amount| state.amount_text_with_symbol(asset, amount);
    let mut message =
        format!("wallet {} has {} free; {} needed", state.wallet(wallet).key.short(), text(h.free), text(needed));
    if h.locked > 0 {
        message.push_str(&format!("; {} locked", text(h.locked)));
        match locks::on(state, asset, wallet).as_slice() {
            [] => {}
            // One lock holds all of it: its amount is the one just written.
            [(lock, _)] => message.push_str(&format!(" by {lock}")),
            several => {
                let each: Vec<String> =
                    several.iter().map(|(lock, amount)| format!("{lock} ({})", text(*amount))).collect();
                message.push_str(&format!(" by {}", each.join(", ")));
            }
        }
    }
    if h.frozen > 0 {
        message.push_str(&format!("; {} frozen by compliance", text(h.frozen)));
    }
    message
}

fn first(state: &State, m: &Move) -> Result<(), Refusal> {
    let mut out = Vec::new();
    checks(state, m, false, &mut out);
    match out.into_iter().next() {
        Some(r) => Err(r),
        None => Ok(()),
    }
}

/// Applies a checked movement: debits, credits, supply, tracking, alerts.
fn apply(state: &mut State, m: &Move, alert_tx: Hash, events: &mut Vec<Event>) -> Result<(), Refusal> {
    let tracking = state.policy(m.asset).tracking();
    let alerts = compliance::monitor(state, m);
    if let Some(f) = m.from {
        let mut h = state.holding(m.asset, f);
        if m.kind == Movement::Forced {
            // Frozen units first: a seizure usually executes the order that froze them.
            let from_frozen = m.amount.min(h.frozen);
            h.frozen = h.frozen.checked_sub(from_frozen).expect("from_frozen is at most frozen");
            let from_free = m.amount.checked_sub(from_frozen).expect("from_frozen is at most the amount");
            h.free = state.sub_amount(m.asset, h.free, from_free, Code::BalanceInsufficient)?;
        } else if m.kind == Movement::Settlement {
            h.locked = state.sub_amount(m.asset, h.locked, m.amount, Code::BalanceInsufficient)?;
        } else {
            take_free(state, m.asset, &mut h, m.amount)?;
        }
        compliance::track_outflow(&mut h, &tracking, m.to, m.amount, m.now, m.kind.is_transfer());
        state.put_holding(m.asset, f, h)?;
    }
    if let Some(t) = m.to {
        let mut h = state.holding(m.asset, t);
        h.free = add(h.free, m.amount)?;
        h.total()?;
        compliance::track_inflow(&mut h, &tracking, m.amount, m.now);
        state.put_holding(m.asset, t, h)?;
    }
    match m.kind {
        Movement::Mint | Movement::Burn => {
            let mut a = state.asset(m.asset).clone();
            a.supply = if m.kind == Movement::Mint {
                add(a.supply, m.amount)?
            } else {
                state.sub_amount(m.asset, a.supply, m.amount, Code::BalanceInsufficient)?
            };
            state.assets.put(m.asset, a);
        }
        Movement::Transfer | Movement::Forced | Movement::Settlement => {}
    }
    if !alerts.is_empty() {
        let symbol = state.asset(m.asset).symbol.clone();
        for d in alerts {
            let alert = Alert {
                id: 0,
                time: m.now,
                height: 0,
                rule: d.rule.to_string(),
                asset: symbol.clone(),
                wallet: state.wallet(d.wallet).key,
                counterparty: d.counterparty.map(|c| state.wallet(c).key),
                amount: d.amount,
                tx: alert_tx,
                detail: d.detail,
            };
            state.raise_alert(alert, events);
        }
    }
    Ok(())
}

/// A movement the ledger makes on its own at a block boundary (a payout, a coupon, a queued
/// redemption): checked and applied, or, if refused, leaving nothing behind — there is no
/// transaction around it to roll back.
pub fn execute_or_undo(state: &mut State, m: &Move, events: &mut Vec<Event>) -> Result<(), Refusal> {
    let mark = state.mark();
    execute(state, m, Hash::default(), events).inspect_err(|_| state.rollback(mark))
}

/// Checks and applies one movement.
pub fn execute(state: &mut State, m: &Move, tx: Hash, events: &mut Vec<Event>) -> Result<(), Refusal> {
    first(state, m)?;
    apply(state, m, tx, events)
}

/// Delivers `amount` of `asset` between two wallets named by key, as a movement of `kind`
/// (a settlement leg, a repo repayment, a forfeited bond...): resolves the indices, checks and
/// applies. The one entry point the programs use.
#[allow(clippy::too_many_arguments)]
pub fn deliver(
    state: &mut State,
    kind: Movement,
    asset: &Symbol,
    from: &WalletId,
    to: &WalletId,
    amount: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let m = Move {
        kind,
        asset: state.asset_idx(asset)?,
        from: Some(idx(state, from)?),
        to: Some(idx(state, to)?),
        amount,
        now,
    };
    execute(state, &m, tx, ev)
}

/// Resolves an optional wallet key into its index.
fn idx(state: &State, w: &WalletId) -> Result<WalletIdx, Refusal> {
    state.wallet_idx(w)
}

pub fn mint(
    state: &mut State,
    asset: &Symbol,
    to: &WalletId,
    amount: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let m = Move {
        kind: Movement::Mint,
        asset: state.asset_idx(asset)?,
        from: None,
        to: Some(idx(state, to)?),
        amount,
        now,
    };
    execute(state, &m, tx, ev)?;
    ev.push(Event::Minted { asset: asset.clone(), to: *to, amount });
    Ok(())
}

pub fn burn(
    state: &mut State,
    asset: &Symbol,
    from: &WalletId,
    amount: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let m = Move {
        kind: Movement::Burn,
        asset: state.asset_idx(asset)?,
        from: Some(idx(state, from)?),
        to: None,
        amount,
        now,
    };
    execute(state, &m, tx, ev)?;
    ev.push(Event::Burned { asset: asset.clone(), from: *from, amount });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn transfer(
    state: &mut State,
    asset: &Symbol,
    from: WalletIdx,
    to: &WalletId,
    amount: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let a = state.asset_idx(asset)?;
    let t = idx(state, to)?;
    if t == from {
        return refuse(Code::TransferToSelf, "a wallet cannot transfer to itself");
    }
    if state.omnibus_wallets.contains(&from) {
        return refuse(Code::CashBadConversion, "an omnibus wallet moves funds only through conversions");
    }
    let m = Move { kind: Movement::Transfer, asset: a, from: Some(from), to: Some(t), amount, now };
    execute(state, &m, tx, ev)?;
    ev.push(Event::Transferred { asset: asset.clone(), from: state.wallet(from).key, to: *to, amount });
    Ok(())
}

pub fn force_transfer(
    cx: &mut Ctx,
    asset: &Symbol,
    from: &WalletId,
    to: &WalletId,
    amount: Amount,
    reason: ForceReason,
    reference: &str,
) -> Result<(), Refusal> {
    let (now, tx) = (cx.now, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let (f, t) = (idx(state, from)?, idx(state, to)?);
    if f == t {
        return refuse(Code::TransferToSelf, "a forced transfer needs two different wallets");
    }
    let m = Move { kind: Movement::Forced, asset: state.asset_idx(asset)?, from: Some(f), to: Some(t), amount, now };
    execute(state, &m, tx, ev)?;
    ev.push(Event::ForcedTransfer {
        asset: asset.clone(),
        from: *from,
        to: *to,
        amount,
        reason,
        reference: reference.to_string(),
    });
    Ok(())
}

/// Moves `amount` between the free and locked parts of a holding (a settlement commitment).
pub fn lock(state: &mut State, asset: AssetIdx, wallet: WalletIdx, amount: Amount, lock: bool) -> Result<(), Refusal> {
    let mut h = state.holding(asset, wallet);
    if lock {
        let w = state.wallet(wallet);
        if w.frozen {
            return refuse(Code::WalletFrozen, format!("wallet {} is frozen", w.key.short()));
        }
        take_free(state, asset, &mut h, amount)?;
        h.locked = add(h.locked, amount)?;
    } else {
        h.locked = state.sub_amount(asset, h.locked, amount, Code::BalanceInsufficient)?;
        h.free = add(h.free, amount)?;
    }
    state.put_holding(asset, wallet, h)
}

/// Moves `amount` between the free and frozen parts of a holding.
pub fn freeze_amount(
    state: &mut State,
    asset: &Symbol,
    wallet: &WalletId,
    amount: Amount,
    freeze: bool,
    reason: &str,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let a = state.asset_idx(asset)?;
    let w = idx(state, wallet)?;
    let mut h = state.holding(a, w);
    if freeze {
        take_free(state, a, &mut h, amount)?;
        h.frozen = add(h.frozen, amount)?;
    } else {
        h.frozen = state.sub_amount(a, h.frozen, amount, Code::BalanceInsufficientFrozen)?;
        h.free = add(h.free, amount)?;
    }
    state.put_holding(a, w, h)?;
    ev.push(if freeze {
        Event::AmountFrozen { asset: asset.clone(), wallet: *wallet, amount, reason: reason.into() }
    } else {
        Event::AmountUnfrozen { asset: asset.clone(), wallet: *wallet, amount, reason: reason.into() }
    });
    Ok(())
}

/// Moves every holding of a lost wallet to a new wallet of the same party, across every asset
/// at once, keeping acquisition lots (a recovery is not a new acquisition), and retires the
/// lost wallet. Refused while the ledger is paused; asset pauses do not block it, since
/// re-keying a holder is not a market movement.
pub fn recover_wallet(cx: &mut Ctx, lost: &WalletId, new: &WalletId, reference: &str) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let (l, n) = (idx(state, lost)?, idx(state, new)?);
    let (lw, nw) = (state.wallet(l).clone(), state.wallet(n).clone());
    if state.meta().paused {
        return refuse(Code::LedgerPaused, "the ledger is paused");
    }
    if lw.party != nw.party {
        return refuse(Code::WalletDifferentParty, "the new wallet belongs to another party");
    }
    if lw.retired_to.is_some() {
        return refuse(Code::WalletRetired, format!("wallet {} was already recovered", lost.short()));
    }
    if nw.retired_to.is_some() {
        return refuse(Code::WalletRetired, format!("wallet {} is retired", new.short()));
    }
    let mut moved = 0u32;
    // Few assets, many holdings: visiting assets in index order is cheap and deterministic.
    for a in 0..state.assets.len() as AssetIdx {
        let Some(old) = state.holding_ref(a, l).cloned() else {
            continue;
        };
        let mut h = state.holding(a, n);
        h.free = add(h.free, old.free)?;
        h.locked = add(h.locked, old.locked)?;
        h.frozen = add(h.frozen, old.frozen)?;
        h.total()?;
        if !old.lots().is_empty() {
            let e = h.extra.get_or_insert_with(Default::default);
            e.lots.extend_from_slice(old.lots());
            e.lots.sort_by_key(|l| l.acquired_at);
            while e.lots.len() > MAX_LOTS {
                crate::state::merge_newest_lots(&mut e.lots);
            }
        }
        state.put_holding(a, n, h)?;
        state.put_holding(a, l, Holding::default())?;
        // Unpaid yield follows the holdings too.
        if state.yield_classes.contains(&a) {
            let mut lost_h = state.holding(a, l);
            let owed = lost_h.extra.as_deref().map(|e| e.yield_entitlement).unwrap_or(0);
            if owed > 0 {
                if let Some(e) = lost_h.extra.as_deref_mut() {
                    e.yield_entitlement = 0;
                }
                state.put_holding(a, l, lost_h)?;
                let mut new_h = state.holding(a, n);
                let e = new_h.extra.get_or_insert_with(Default::default);
                e.yield_entitlement = e
                    .yield_entitlement
                    .checked_add(owed)
                    .ok_or_else(|| Refusal::new(Code::AmountOverflow, "yield overflows"))?;
                state.put_holding(a, n, new_h)?;
            }
        }
        moved = moved.checked_add(1).expect("one per holding of the lost wallet");
    }
    // A wallet-wide freeze follows the holdings: recovery is not a way around a freeze.
    if lw.frozen && !nw.frozen {
        let mut nw = nw;
        nw.frozen = true;
        state.wallets.put(n, nw);
    }
    let mut lw = lw;
    lw.retired_to = Some(n);
    state.wallets.put(l, lw);
    // Locked units moved with the holdings: the commitments they back follow them (the
    // `RecoverWallet` action raises the reaction; `exec::react` runs the hooks).
    ev.push(Event::WalletRecovered { lost: *lost, new: *new, assets: moved, reference: reference.into() });
    Ok(())
}

/// A movement to pre-check.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Intent {
    Transfer {
        asset: Symbol,
        from: WalletId,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    Mint {
        asset: Symbol,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    Burn {
        asset: Symbol,
        from: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
}

/// Every reason the movement would be refused now, in precedence order; empty if it would pass.
pub fn precheck(state: &State, intent: &Intent, now: Time) -> Vec<Refusal> {
    let resolve = || -> Result<Move, Refusal> {
        Ok(match intent {
            Intent::Transfer { asset, from, to, amount } => {
                let (f, t) = (state.wallet_idx(from)?, state.wallet_idx(to)?);
                if f == t {
                    return refuse(Code::TransferToSelf, "a wallet cannot transfer to itself");
                }
                Move {
                    kind: Movement::Transfer,
                    asset: state.asset_idx(asset)?,
                    from: Some(f),
                    to: Some(t),
                    amount: *amount,
                    now,
                }
            }
            Intent::Mint { asset, to, amount } => Move {
                kind: Movement::Mint,
                asset: state.asset_idx(asset)?,
                from: None,
                to: Some(state.wallet_idx(to)?),
                amount: *amount,
                now,
            },
            Intent::Burn { asset, from, amount } => Move {
                kind: Movement::Burn,
                asset: state.asset_idx(asset)?,
                from: Some(state.wallet_idx(from)?),
                to: None,
                amount: *amount,
                now,
            },
        })
    };
    match resolve() {
        Err(r) => vec![r],
        Ok(m) => {
            let mut out = Vec::new();
            if m.amount == 0 {
                out.push(Refusal::new(Code::AmountZero, "the amount must be positive"));
            }
            checks(state, &m, true, &mut out);
            out
        }
    }
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for Mint {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::IssuerAgent, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let Mint { asset, amount, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Mint { asset, to, amount } = self;
        mint(cx.state, asset, to, *amount, cx.now, cx.tx, cx.events)
    }
}

impl Action for Burn {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::IssuerAgent, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let Burn { asset, amount, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Burn { asset, from, amount } = self;
        burn(cx.state, asset, from, *amount, cx.now, cx.tx, cx.events)
    }
}

impl Action for Transfer {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let Transfer { asset, amount, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Transfer { asset, to, amount } = self;
        transfer(cx.state, asset, cx.actor, to, *amount, cx.now, cx.tx, cx.events)
    }
}

impl Action for FreezeAmount {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::ComplianceOfficer, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let FreezeAmount { asset, amount, reason: r, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)?;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let FreezeAmount { asset, wallet, amount, reason } = self;
        freeze_amount(cx.state, asset, wallet, *amount, true, reason, cx.events)
    }
}

impl Action for UnfreezeAmount {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::ComplianceOfficer, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let UnfreezeAmount { asset, amount, reason: r, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)?;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let UnfreezeAmount { asset, wallet, amount, reason } = self;
        freeze_amount(cx.state, asset, wallet, *amount, false, reason, cx.events)
    }
}

impl Action for ForceTransfer {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::IssuerAgent, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let ForceTransfer { asset, amount, reference, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)?;
        check_text("reference", reference, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let ForceTransfer { asset, from, to, amount, reason, reference } = self;
        force_transfer(cx, asset, from, to, *amount, *reason, reference)
    }
}

impl Action for RecoverWallet {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::IssuerAgent, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let RecoverWallet { lost, new, reference } = self;
        if lost == new {
            return refuse(Code::WalletDifferentParty, "recovery needs a new wallet, not the lost one");
        }
        check_text("reference", reference, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RecoverWallet { lost, new, reference } = self;
        recover_wallet(cx, lost, new, reference)?;
        cx.reactions.push(Reaction::WalletRecovered { lost: *lost, new: *new });
        Ok(())
    }
}
