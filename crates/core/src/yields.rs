//! Daily yield on stable-NAV share classes, paid monthly as new tokens (SPEC F4; the BUIDL /
//! BENJI / WTGXX model). This is the accrual engine the funds issue builds on.
//!
//! Accrual costs the same for 10 holders or 10 million: each day at the class's cut-off the
//! class index grows by rate / basis per token (fixed point, `SCALE` = 10^18 per minor unit);
//! a holding's entitlement is brought up to date only when its balance changes (in
//! `State::put_holding`) or at payout: entitlement += balance × (index − index at last update).
//! So a holder who moves tokens mid-month keeps exactly what it earned while it held them.
//!
//! Payout, monthly on the class's payout day: every holder is paid floor(entitlement) as newly
//! minted tokens (checked like any mint; a refused holder keeps its entitlement for the next
//! payout); the fractional parts go to the class's residual, of which whole units are minted
//! to the residual wallet and the rest carried. Invariant (exact integers):
//!   accrued = Σ paid to holders + Σ minted to residual + residual carried + Σ unpaid entitlements.

use crate::action::*;
use crate::block::{Event, YieldPayment};
use crate::code::{refuse, Code, Refusal};
use crate::compliance::{self, Move, Movement};
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::state::*;
use crate::types::*;
use rayon::prelude::*;

pub use crate::model::yields::*;

#[allow(clippy::too_many_arguments)]
pub fn create_class(
    state: &mut State,
    asset: &Symbol,
    basis: u16,
    cutoff_seconds: u32,
    payout_day: u8,
    residual: &WalletId,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let a = state.asset_idx(asset)?;
    if !matches!(state.asset(a).kind, AssetKind::FundShare { nav: NavKind::Stable }) {
        return refuse(Code::YieldBadClass, format!("{asset} is not a stable-NAV fund share"));
    }
    if !(basis == 360 || basis == 365 || basis == 366) || cutoff_seconds >= 86_400 || !(1..=28).contains(&payout_day) {
        return refuse(Code::YieldBadClass, "basis 360, 365 or 366; cut-off within the day; payout day 1 to 28");
    }
    if state.yield_classes.contains(&a) {
        return refuse(Code::YieldBadClass, format!("{asset} already has a yield class"));
    }
    if state.asset(a).supply > 0 {
        return refuse(Code::YieldBadClass, "a yield class starts before the first issue");
    }
    state.wallet_idx(residual)?;
    let (y, m, ..) = now.to_civil();
    // Accrual starts with today's cut-off if it is still ahead.
    let today = now.day();
    let first_day = if now.seconds() % 86_400 < cutoff_seconds as u64 {
        today
    } else {
        today.checked_add(1).expect("a day number is far below u64::MAX")
    };
    state.yield_classes.put(
        a,
        YieldClass {
            asset: asset.clone(),
            basis,
            cutoff_seconds,
            payout_day,
            residual: *residual,
            rate_ppb: 0,
            index: 0,
            // Saturating on purpose: a class created on day 0 has no day before its first.
            accrued_through_day: first_day.saturating_sub(1),
            last_payout: (y, m),
            accrued: 0,
            paid: 0,
            residual_minted: 0,
            residual_carried: 0,
        },
    );
    ev.push(Event::YieldClassCreated { asset: asset.clone(), basis, cutoff_seconds, payout_day });
    Ok(())
}

pub fn set_rate(cx: &mut Ctx, asset: &Symbol, rate_ppb: u64) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let a = state.asset_idx(asset)?;
    let mut c = state
        .yield_classes
        .get(&a)
        .cloned()
        .ok_or_else(|| Refusal::new(Code::YieldBadClass, format!("{asset} has no yield class")))?;
    if rate_ppb > 1_000_000_000 {
        return refuse(Code::YieldBadClass, "a rate above 100% a year");
    }
    if state.rules() >= crate::block::RULES_V2 && state.share_classes.contains(&a) {
        return refuse(
            Code::YieldBadClass,
            format!("{asset} is a fund's class: its dividend is the fund's net income, declared daily"),
        );
    }
    c.rate_ppb = rate_ppb;
    state.yield_classes.put(a, c);
    ev.push(Event::YieldRateSet { asset: asset.clone(), rate_ppb });
    Ok(())
}

/// Block-boundary job: accrue every cut-off passed since the last block, then run payouts
/// that are due. Accrual is O(classes × days), independent of the number of holders.
pub fn block_job(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    let mut classes: Vec<AssetIdx> = state.yield_classes.iter().map(|(a, _)| *a).collect();
    classes.sort_unstable();
    // Under rules version 2 a fund's stable classes are credited what the fund earns, declared
    // by the fund at each valuation (`declare`); only their payouts run here.
    let funds_declare = state.rules() >= crate::block::RULES_V2;
    for a in classes {
        let Some(mut c) = state.yield_classes.get(&a).cloned() else { continue };
        let declared_by_fund = funds_declare && state.share_classes.contains(&a);
        let supply = state.asset(a).supply;
        let per_token = (c.rate_ppb as u128)
            .checked_mul(SCALE)
            .and_then(|x| (x / PPB).checked_div(c.basis as u128))
            .expect("a u64 × 10^18 fits in u128; the basis is 360, 365 or 366");
        // None past the end of time, which is after `now`.
        let cutoff_at =
            |day: u64| day.checked_mul(86_400).and_then(|s| s.checked_add(c.cutoff_seconds as u64)).map(Time);
        let mut day = c.accrued_through_day.checked_add(1).expect("a day number is far below u64::MAX");
        while !declared_by_fund && cutoff_at(day).is_some_and(|at| at <= now) {
            let (Some(index), Some(accrued)) =
                (c.index.checked_add(per_token), supply.checked_mul(per_token).and_then(|x| c.accrued.checked_add(x)))
            else {
                break;
            };
            c.index = index;
            c.accrued = accrued;
            c.accrued_through_day = day;
            ev.push(Event::YieldAccrued {
                asset: c.asset.clone(),
                day: Time(day.checked_mul(86_400).expect("below the cut-off time, a u64")),
                rate_ppb: c.rate_ppb,
                per_token_scaled: per_token.to_string(),
            });
            day = day.checked_add(1).expect("day is at most now's day number");
        }
        let (y, m, d, ..) = now.to_civil();
        let due = (y, m) != c.last_payout && d >= c.payout_day as u32;
        state.yield_classes.put(a, c.clone());
        if due {
            payout(state, a, now, PAYOUT_BATCH, ev);
        }
    }
}

/// Credits the class's holders with `amount` minor units of the class between them, pro rata
/// to their balances, as one day's dividend (rules version 2: a fund declares its net income).
/// Per token rounded down to 10^-18 of a minor unit; returns what was credited (at most
/// `amount`; the rest stays with the fund). Nothing is credited to a class with no supply.
pub fn declare(
    state: &mut State,
    a: AssetIdx,
    amount: Amount,
    day: u64,
    ev: &mut Vec<Event>,
) -> Result<Amount, Refusal> {
    let overflow = || Refusal::new(Code::AmountOverflow, "yield arithmetic overflows");
    let Some(mut c) = state.yield_classes.get(&a).cloned() else {
        return refuse(Code::YieldBadClass, format!("{} has no yield class", state.asset(a).symbol));
    };
    let supply = state.asset(a).supply;
    if supply == 0 || amount == 0 {
        return Ok(0);
    }
    let per_token = amount.checked_mul(SCALE).and_then(|x| x.checked_div(supply)).ok_or_else(overflow)?;
    let credited_scaled = supply.checked_mul(per_token).expect("at most amount × SCALE, which fits");
    c.index = c.index.checked_add(per_token).ok_or_else(overflow)?;
    c.accrued = c.accrued.checked_add(credited_scaled).ok_or_else(overflow)?;
    // For display: the day's dividend per token as an annual rate on the class's basis.
    let rate = per_token
        .checked_mul(u128::from(c.basis))
        .and_then(|x| x.checked_mul(PPB))
        .map(|x| x / SCALE)
        .and_then(|x| u64::try_from(x).ok())
        .ok_or_else(overflow)?;
    c.rate_ppb = rate;
    c.accrued_through_day = day;
    ev.push(Event::YieldAccrued {
        asset: c.asset.clone(),
        day: Time(day.checked_mul(86_400).ok_or_else(overflow)?),
        rate_ppb: rate,
        per_token_scaled: per_token.to_string(),
    });
    state.yield_classes.put(a, c);
    Ok(credited_scaled / SCALE)
}

/// One holder's payout as worked out against the state before it: its entitlement settled at
/// the class index, split into whole units and the fraction.
struct Due {
    wallet: WalletIdx,
    /// Whether the holding's total is positive (it counts as a holder).
    holds: bool,
    whole: Amount,
    fraction: u128,
    /// Whether the free balance can take the whole units.
    creditable: bool,
    /// The first refusal of the payment checked as a mint, when there are whole units to pay.
    refusal: Option<Refusal>,
}

/// What the payout does to a holding (already settled at the class index).
#[derive(Clone, Copy)]
enum Change {
    /// Refused: the holding keeps its entitlement for the next payout.
    Withhold,
    /// Credit the whole units; the entitlement is paid (its fraction went to the residual).
    Pay(Amount),
    /// Nothing whole to pay; the fraction went to the residual.
    Clear,
}

/// Holders are worked out, decided and written in batches of this many, small enough that a
/// batch's holdings are still in cache when it is written.
const PAYOUT_BATCH: usize = 4096;

/// Why adding a fraction to the residual cannot overflow.
const CARRIED: &str = "a fraction moves from unpaid to carried: both parts of the accrual (`check`)";

/// Works out the payouts of a run of holders (sorted holding keys of asset `a`) against the
/// state as it is.
fn work_out(state: &State, a: AssetIdx, index: u128, now: Time, keys: &[u64]) -> Vec<Due> {
    // The holdings and wallets are read at random from tables far larger than the caches:
    // touched first in tight passes, the reads overlap (see `State::prefetch_holdings`).
    state.prefetch_holdings(keys);
    let wallets = keys.iter().filter_map(|k| state.wallets.get(&(*k as u32)));
    std::hint::black_box(wallets.fold(0u64, |x, w| x ^ w.next_seq ^ u64::from(w.frozen)));
    let mut dues = Vec::with_capacity(keys.len());
    for key in keys {
        let w = *key as u32;
        let Some(h) = state.holding_ref(a, w) else { continue };
        let Ok(total) = h.total() else { continue };
        let Ok(entitlement) = h.settled_entitlement(index, total) else { continue };
        let (whole, fraction) = (entitlement / SCALE, entitlement % SCALE);
        let refusal = if whole > 0 { mint_check(state, a, w, whole, now) } else { None };
        let creditable = h.free.checked_add(whole).is_some();
        dues.push(Due { wallet: w, holds: total > 0, whole, fraction, creditable, refusal });
    }
    dues
}

/// The first refusal of minting `amount` of `a` to wallet `w`.
fn mint_check(state: &State, a: AssetIdx, w: WalletIdx, amount: Amount, now: Time) -> Option<Refusal> {
    let m = Move { kind: Movement::Mint, asset: a, from: None, to: Some(w), amount, now };
    let mut refusals = Vec::new();
    movement::checks(state, &m, false, &mut refusals);
    refusals.into_iter().next()
}

/// Pays every holder its whole entitlement; fractions go to the residual.
///
/// The result — state, events, digest — is that of paying the holders one by one in wallet
/// order, each payment checked as a mint against the state the earlier ones left. For speed
/// the holders go in batches: a batch is first worked out in parallel against the state
/// before it (settling, the mint check), then decided in order, then written with one
/// `update_holdings`. Of what an earlier payment changes, a later holder's mint check reads
/// only the asset's holder count (a check reads the receiver's own holding, never another
/// holder's; the supply is updated once at the end, and the supply cap is checked here, in
/// order): when the count moves, the holdings decided so far are written and the holder is
/// checked again against the state as it then is.
fn payout(state: &mut State, a: AssetIdx, now: Time, batch_size: usize, ev: &mut Vec<Event>) {
    let Some(mut c) = state.yield_classes.get(&a).cloned() else { return };
    let paid = pay_holders(state, a, &mut c, now, batch_size, ev);
    close_payout(state, a, c, paid, now, ev);
}

/// What a payout paid to holders.
struct Paid {
    payments: Vec<YieldPayment>,
    /// Σ paid.
    amount: Amount,
    /// The asset's supply after the payments.
    supply: Amount,
}

/// Pays the holders of `a` (see `payout`), adding the fractions to the class's residual.
fn pay_holders(
    state: &mut State,
    a: AssetIdx,
    c: &mut YieldClass,
    now: Time,
    batch_size: usize,
    ev: &mut Vec<Event>,
) -> Paid {
    let mut holders: Vec<u64> =
        state.holdings.iter().filter(|(k, _)| (**k >> 32) as u32 == a).map(|(k, _)| *k).collect();
    holders.par_sort_unstable();
    let mut paid_now = 0u128;
    let tracking = state.policy(a).tracking();
    let cap = state.asset(a).supply_cap;
    let mut supply = state.asset(a).supply;
    let index = c.index;
    let change = |change: Change, h: &mut Holding| {
        let Ok(old_total) = h.total() else { return };
        h.settle_yield(index, old_total).expect("settled when worked out, so this cannot fail");
        if let Change::Pay(whole) = change {
            h.free = h.free.checked_add(whole).expect("found creditable when worked out");
            compliance::track_inflow(h, &tracking, whole, now);
        }
        if let (Change::Pay(_) | Change::Clear, Some(e)) = (change, h.extra.as_deref_mut()) {
            e.yield_entitlement = 0;
        }
    };
    let mut payments = Vec::with_capacity(holders.len());
    for batch in holders.chunks(batch_size.max(1)) {
        let holders_seen = state.asset(a).holders;
        let dues: Vec<Vec<Due>> = {
            let state = &*state;
            batch.par_chunks(256).map(|keys| work_out(state, a, index, now, keys)).collect()
        };
        // Holdings decided and not yet written, and whether writing them moves the holder count.
        let mut decided: Vec<(WalletIdx, Change)> = Vec::with_capacity(batch.len());
        let mut moves_holders = false;
        for d in dues.into_iter().flatten() {
            let w = d.wallet;
            if d.whole == 0 {
                decided.push((w, Change::Clear));
                c.residual_carried = c.residual_carried.checked_add(d.fraction).expect(CARRIED);
                continue;
            }
            let refusal = if moves_holders || state.asset(a).holders != holders_seen {
                state
                    .update_holdings(a, std::mem::take(&mut decided), change)
                    .expect("the writes cannot refuse: see below");
                moves_holders = false;
                mint_check(state, a, w, d.whole, now)
            } else {
                d.refusal
            };
            let over_cap = supply.checked_add(d.whole).is_none_or(|s| cap.is_some_and(|cap| s > cap));
            let refusal = refusal.or_else(|| {
                over_cap.then(|| Refusal::new(Code::AssetSupplyCapExceeded, "the payout would pass the supply cap"))
            });
            match (refusal, d.creditable) {
                (Some(r), _) => {
                    // Withheld: the holding keeps its (settled) entitlement for the next payout.
                    decided.push((w, Change::Withhold));
                    let wallet = state.wallet(w).key;
                    ev.push(Event::YieldWithheld { asset: c.asset.clone(), wallet, code: r.code.as_str().into() });
                }
                (None, false) => {}
                (None, true) => {
                    supply = supply.checked_add(d.whole).expect("checked against the cap above");
                    paid_now = paid_now.checked_add(d.whole).expect("at most what the supply grew by");
                    payments.push(YieldPayment { wallet_index: w, amount: d.whole });
                    decided.push((w, Change::Pay(d.whole)));
                    moves_holders |= !d.holds;
                    c.residual_carried = c.residual_carried.checked_add(d.fraction).expect(CARRIED);
                }
            }
        }
        // Every holding here was read, its total checked and its entitlement settled when
        // worked out, and a paid one's new total checked by the mint check: the writes cannot
        // refuse.
        state.update_holdings(a, decided, change).expect("checked when worked out: the writes cannot refuse");
    }
    Paid { payments, amount: paid_now, supply }
}

/// Ends a payout: the supply, the residual's whole units, the events.
fn close_payout(state: &mut State, a: AssetIdx, mut c: YieldClass, paid: Paid, now: Time, ev: &mut Vec<Event>) {
    let holders_paid = paid.payments.len() as u32;
    if !paid.payments.is_empty() {
        ev.push(Event::YieldPaid { asset: c.asset.clone(), payments: paid.payments });
    }
    if paid.amount > 0 {
        let mut rec = state.asset(a).clone();
        rec.supply = paid.supply;
        state.assets.put(a, rec);
    }
    c.paid = c.paid.checked_add(paid.amount).expect("paid × SCALE is at most the accrual (`check`)");
    let residual_units = c.residual_carried / SCALE;
    if residual_units > 0 {
        if let Ok(rw) = state.wallet_idx(&c.residual) {
            let m = Move { kind: Movement::Mint, asset: a, from: None, to: Some(rw), amount: residual_units, now };
            // The residual wallet's own new entitlement starts now; its holding was settled by
            // the mint.
            if movement::execute_or_undo(state, &m, ev).is_ok() {
                c.residual_carried = residual_units
                    .checked_mul(SCALE)
                    .and_then(|minted| c.residual_carried.checked_sub(minted))
                    .expect("the whole units of residual_carried / SCALE");
                c.residual_minted = c
                    .residual_minted
                    .checked_add(residual_units)
                    .expect("minted × SCALE is at most the accrual (`check`)");
            }
        }
    }
    let (y, m, ..) = now.to_civil();
    c.last_payout = (y, m);
    ev.push(Event::YieldPayout {
        asset: c.asset.clone(),
        holders: holders_paid,
        paid: paid.amount,
        residual: residual_units,
    });
    state.yield_classes.put(a, c);
}

/// Checks the accrual invariant for every class (tests and debug builds).
pub fn check(state: &State) -> Result<(), String> {
    for (a, c) in state.yield_classes.iter() {
        let mut unpaid: u128 = 0;
        for (k, h) in state.holdings.iter() {
            if (*k >> 32) as u32 != *a {
                continue;
            }
            let (idx, ent) = h.extra.as_deref().map(|e| (e.yield_index, e.yield_entitlement)).unwrap_or((0, 0));
            let total = h.total().unwrap_or(0);
            let earned = c.index.checked_sub(idx).and_then(|d| total.checked_mul(d));
            unpaid = earned.and_then(|e| e.checked_add(ent)).and_then(|e| unpaid.checked_add(e)).ok_or_else(|| {
                format!("{}: unpaid yield overflows (holding index {idx}, class index {})", c.asset, c.index)
            })?;
        }
        let lhs = c.accrued;
        let rhs = c
            .paid
            .checked_add(c.residual_minted)
            .and_then(|out| out.checked_mul(SCALE))
            .and_then(|out| out.checked_add(c.residual_carried))
            .and_then(|out| out.checked_add(unpaid))
            .ok_or_else(|| format!("{}: paid + residual + unpaid overflows", c.asset))?;
        // Newly minted payout units also earn from their mint onwards: they entered at the
        // current index, so they add nothing to `unpaid` until the index moves again.
        if lhs != rhs {
            return Err(format!("{}: accrued {lhs} ≠ paid + residual + unpaid {rhs}", c.asset));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for CreateYieldClass {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let CreateYieldClass { asset, .. } = self;
        check_symbol(asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CreateYieldClass { asset, basis, cutoff_seconds, payout_day, residual } = self;
        create_class(cx.state, asset, *basis, *cutoff_seconds, *payout_day, residual, cx.now, cx.events)
    }
}

impl Action for SetYieldRate {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::Oracle, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SetYieldRate { asset, .. } = self;
        check_symbol(asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetYieldRate { asset, rate_ppb } = self;
        set_rate(cx, asset, *rate_ppb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::demo_genesis;
    use crate::compliance::{Policy, Rule};
    use crate::crypto::Keypair;
    use crate::exec::Chain;
    use crate::op;
    use crate::op::{AssetSpec, Op};
    use crate::tx::{CheckedTx, TxBody};
    use proptest::prelude::*;

    /// Paying the holders as it was done before batching: one at a time, each written
    /// before the next is checked. The batched payout must give exactly this.
    fn pay_holders_one_by_one(
        state: &mut State,
        a: AssetIdx,
        c: &mut YieldClass,
        now: Time,
        ev: &mut Vec<Event>,
    ) -> Paid {
        let mut holders: Vec<u64> =
            state.holdings.iter().filter(|(k, _)| (**k >> 32) as u32 == a).map(|(k, _)| *k).collect();
        holders.sort_unstable();
        let mut paid_now = 0u128;
        let tracking = state.policy(a).tracking();
        let cap = state.asset(a).supply_cap;
        let mut supply = state.asset(a).supply;
        let mut payments = Vec::new();
        for key in holders {
            let w = key as u32;
            let mut h = state.holding(a, w);
            let Ok(old_total) = h.total() else { continue };
            if h.settle_yield(c.index, old_total).is_err() {
                continue;
            }
            let entitlement = h.extra.as_deref().map(|e| e.yield_entitlement).unwrap_or(0);
            let (whole, fraction) = (entitlement / SCALE, entitlement % SCALE);
            if whole > 0 {
                let over_cap = supply.checked_add(whole).is_none_or(|s| cap.is_some_and(|cap| s > cap));
                let credited = h.free.checked_add(whole);
                let refusal = mint_check(state, a, w, whole, now).or_else(|| {
                    over_cap.then(|| Refusal::new(Code::AssetSupplyCapExceeded, "the payout would pass the supply cap"))
                });
                match (refusal, credited) {
                    (Some(r), _) => {
                        state.put_holding(a, w, h).expect("settled and totalled just above: cannot refuse");
                        let wallet = state.wallet(w).key;
                        ev.push(Event::YieldWithheld { asset: c.asset.clone(), wallet, code: r.code.as_str().into() });
                        continue;
                    }
                    (None, None) => continue,
                    (None, Some(free)) => {
                        h.free = free;
                        compliance::track_inflow(&mut h, &tracking, whole, now);
                        supply += whole;
                        paid_now += whole;
                        payments.push(YieldPayment { wallet_index: w, amount: whole });
                    }
                }
            }
            if let Some(e) = h.extra.as_deref_mut() {
                e.yield_entitlement = 0;
            }
            if state.put_holding(a, w, h).is_err() {
                continue;
            }
            c.residual_carried += fraction;
        }
        Paid { payments, amount: paid_now, supply }
    }

    fn payout_one_by_one(state: &mut State, a: AssetIdx, now: Time, ev: &mut Vec<Event>) {
        let mut c = state.yield_classes.get(&a).cloned().unwrap();
        let paid = pay_holders_one_by_one(state, a, &mut c, now, ev);
        close_payout(state, a, c, paid, now, ev);
    }

    const W: usize = 10;

    fn key(i: usize) -> Keypair {
        Keypair::insecure_from_name(&format!("payout-wallet-{i}"))
    }

    fn submit(chain: &mut Chain, time: Time, k: &Keypair, ops: Vec<Op>) {
        let st = &chain.state;
        let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
        let tx = TxBody { network: "po".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(k);
        chain.build_block(time, vec![CheckedTx::from_decoded(tx).unwrap()]);
    }

    /// A month of a yield class with `W` holders: `mints[i]` to wallet i, then on 16 January
    /// each `(from, to)` moves all of `from`'s balance to `to` (leaving `from` with an
    /// entitlement and nothing else); then the policy allows `max_holders_over` more holders
    /// than there are, the supply cap `cap_over` more units than the supply, and the `frozen`
    /// wallets are frozen. Returns the state just before the 1 February payout.
    fn month(
        mints: &[u64],
        moves: &[(usize, usize)],
        max_holders_over: Option<u64>,
        cap_over: Option<u64>,
        frozen: &[usize],
        residual: usize,
    ) -> (State, AssetIdx) {
        let op = Keypair::insecure_from_name("payout-operator");
        let t0 = Time::parse("2026-01-01T12:00:00Z").unwrap();
        let g = demo_genesis("po", t0, &[(&op, &Role::OPERATOR)], [1, 1, 1]);
        let (mut chain, _) = Chain::genesis(&g).unwrap();
        let sym = Symbol::new("YLD");
        let mut ops = vec![];
        for i in 0..W {
            let p = PartyId::new(format!("p{i}"));
            ops.push(Op::RegisterParty(op::RegisterParty {
                party: p.clone(),
                name: "P".into(),
                kind: PartyKind::Fund,
            }));
            ops.push(Op::AddWallet(op::AddWallet { party: p, wallet: key(i).wallet() }));
        }
        ops.push(Op::CreateAsset(AssetSpec {
            symbol: sym.clone(),
            name: "Y".into(),
            kind: AssetKind::FundShare { nav: NavKind::Stable },
            decimals: 6,
            issuer: PartyId::new("p0"),
            supply_cap: None,
            policy: Default::default(),
        }));
        let residual = key(residual).wallet();
        ops.push(Op::CreateYieldClass(op::CreateYieldClass {
            asset: sym.clone(),
            basis: 365,
            cutoff_seconds: 54_000,
            payout_day: 1,
            residual,
        }));
        ops.push(Op::SetYieldRate(op::SetYieldRate { asset: sym.clone(), rate_ppb: 45_000_000 }));
        for (i, m) in mints.iter().enumerate().filter(|(_, m)| **m > 0) {
            ops.push(Op::Mint(op::Mint { asset: sym.clone(), to: key(i).wallet(), amount: *m as u128 }));
        }
        submit(&mut chain, t0, &op, ops);
        let mid = Time::parse("2026-01-16T10:00:00Z").unwrap();
        chain.build_block(mid, vec![]);
        for (from, to) in moves {
            let a = chain.state.asset_idx(&sym).unwrap();
            let w = chain.state.wallet_idx(&key(*from).wallet()).unwrap();
            let amount = chain.state.holding(a, w).free;
            if amount > 0 && from != to {
                submit(
                    &mut chain,
                    mid,
                    &key(*from),
                    vec![Op::Transfer(op::Transfer { asset: sym.clone(), to: key(*to).wallet(), amount })],
                );
            }
        }
        let a = chain.state.asset_idx(&sym).unwrap();
        let mut ops = vec![];
        if let Some(over) = max_holders_over {
            let policy = Policy { rules: vec![Rule::MaxHolders(chain.state.asset(a).holders + over)] };
            ops.push(Op::SetPolicy(op::SetPolicy { asset: sym.clone(), policy }));
        }
        if let Some(over) = cap_over {
            ops.push(Op::SetSupplyCap(op::SetSupplyCap {
                asset: sym.clone(),
                cap: Some(chain.state.asset(a).supply + over as u128),
            }));
        }
        for i in frozen {
            ops.push(Op::FreezeWallet(op::FreezeWallet { wallet: key(*i).wallet(), reason: "test".into() }));
        }
        if !ops.is_empty() {
            submit(&mut chain, mid, &op, ops);
        }
        // January's last cut-off.
        chain.build_block(Time::parse("2026-01-31T16:00:00Z").unwrap(), vec![]);
        (chain.state, a)
    }

    fn copy(state: &State) -> State {
        borsh::from_slice(&borsh::to_vec(state).unwrap()).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]

        /// In batches of any size, the payout leaves the same state, digest and events as
        /// paying the holders one by one — with refusals (frozen wallets, the supply cap) and
        /// holders with nothing but an entitlement whose payment moves the holder count that
        /// a max-holders rule checks.
        #[test]
        fn batched_payout_is_one_by_one(
            mints in proptest::collection::vec(prop_oneof![1 => Just(0u64), 4 => 1u64..50_000_000_000], W),
            moves in proptest::collection::vec((0..W, 0..W), 0..4),
            max_holders_over in proptest::option::of(0u64..3),
            cap_over in proptest::option::of(0u64..400_000_000),
            frozen in proptest::collection::vec(0..W, 0..3),
            residual in 0..W,
        ) {
            let (state, a) = month(&mints, &moves, max_holders_over, cap_over, &frozen, residual);
            let now = Time::parse("2026-02-01T01:00:00Z").unwrap();
            let mut reference = copy(&state);
            let mut expected = Vec::new();
            payout_one_by_one(&mut reference, a, now, &mut expected);
            for batch in [1, 2, 3, PAYOUT_BATCH] {
                let mut s = copy(&state);
                let mut ev = Vec::new();
                payout(&mut s, a, now, batch, &mut ev);
                prop_assert_eq!(&ev, &expected, "batch {}", batch);
                prop_assert_eq!(s.digest(), reference.digest(), "batch {}", batch);
                prop_assert_eq!(s.recompute_digest(), s.digest());
                if let Err(e) = s.check_invariants() {
                    prop_assert!(false, "batch {}: {}", batch, e);
                }
            }
        }
    }

    /// Three holders sold out mid-month and a max-holders rule leaves room for one more
    /// holder: the first of them is paid (and so becomes a holder), the other two are
    /// refused — which the checks made against the state before the batch would not see.
    #[test]
    fn a_payment_that_adds_a_holder_is_seen_by_the_next_check() {
        let mints = [9_000_000_000u64; W];
        let (state, a) = month(&mints, &[(1, 0), (2, 0), (3, 0)], Some(1), None, &[], 9);
        let now = Time::parse("2026-02-01T01:00:00Z").unwrap();
        let mut reference = copy(&state);
        let mut expected = Vec::new();
        payout_one_by_one(&mut reference, a, now, &mut expected);
        let refused: Vec<&str> = expected
            .iter()
            .filter_map(|e| match e {
                Event::YieldWithheld { code, .. } => Some(code.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(refused, ["compliance.max_holders", "compliance.max_holders"]);
        for batch in [1, 2, PAYOUT_BATCH] {
            let mut s = copy(&state);
            let mut ev = Vec::new();
            payout(&mut s, a, now, batch, &mut ev);
            assert_eq!(ev, expected, "batch {batch}");
            assert_eq!(s.digest(), reference.digest(), "batch {batch}");
            s.check_invariants().unwrap();
        }
    }
}
