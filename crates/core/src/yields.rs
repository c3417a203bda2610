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

use crate::block::{Event, YieldPayment};
use crate::code::{refuse, Code, Refusal};
use crate::compliance::{self, Move, Movement};
use crate::movement;
use crate::state::*;
use crate::types::*;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

/// Fixed-point scale of the index and of entitlements: 10^18 per minor unit.
pub const SCALE: u128 = 1_000_000_000_000_000_000;
/// Rates are parts per billion a year: 4.25% = 42_500_000.
pub const PPB: u128 = 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct YieldClass {
    pub asset: Symbol,
    /// Days in the year for the daily rate (365 = ACT/365, 360 = ACT/360).
    pub basis: u16,
    /// Seconds after midnight UTC at which the holder of record earns the day (15:00 = 54000).
    pub cutoff_seconds: u32,
    /// Day of the month (1–28) from which the month's payout runs.
    pub payout_day: u8,
    pub residual: WalletId,
    /// Annual net rate, parts per billion.
    pub rate_ppb: u64,
    /// Σ rate/basis per token since inception, × SCALE.
    pub index: u128,
    /// The last day (days since epoch) whose cut-off has been accrued.
    pub accrued_through_day: u64,
    /// (year, month) of the last payout.
    pub last_payout: (i64, u32),
    /// Everything accrued since inception, × SCALE.
    #[serde(with = "amount_serde")]
    pub accrued: u128,
    /// Σ minted to holders at payouts (minor units).
    #[serde(with = "amount_serde")]
    pub paid: u128,
    /// Σ minted to the residual wallet (minor units).
    #[serde(with = "amount_serde")]
    pub residual_minted: u128,
    /// Fractional remainder not yet a whole unit, × SCALE.
    #[serde(with = "amount_serde")]
    pub residual_carried: u128,
}

fn overflow() -> Refusal {
    Refusal::new(Code::AmountOverflow, "yield arithmetic overflows")
}

/// Brings a holding's entitlement up to date at the class index; `old_total` is its balance
/// since the last update. Called by `State::put_holding` before every balance change.
pub fn settle(h: &mut Holding, index: u128, old_total: Amount) -> Result<(), Refusal> {
    let e = h.extra.get_or_insert_with(Default::default);
    let delta = index.checked_sub(e.yield_index).ok_or_else(overflow)?;
    let earned = old_total.checked_mul(delta).ok_or_else(overflow)?;
    e.yield_entitlement = e.yield_entitlement.checked_add(earned).ok_or_else(overflow)?;
    e.yield_index = index;
    Ok(())
}

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
    let first_day = if now.seconds() % 86_400 < cutoff_seconds as u64 { today } else { today + 1 };
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

pub fn set_rate(state: &mut State, asset: &Symbol, rate_ppb: u64, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let a = state.asset_idx(asset)?;
    let mut c = state
        .yield_classes
        .get(&a)
        .cloned()
        .ok_or_else(|| Refusal::new(Code::YieldBadClass, format!("{asset} has no yield class")))?;
    if rate_ppb > 1_000_000_000 {
        return refuse(Code::YieldBadClass, "a rate above 100% a year");
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
    for a in classes {
        let Some(mut c) = state.yield_classes.get(&a).cloned() else { continue };
        let supply = state.asset(a).supply;
        let per_token = (c.rate_ppb as u128) * SCALE / PPB / c.basis as u128;
        let mut day = c.accrued_through_day + 1;
        while day * 86_400 + c.cutoff_seconds as u64 <= now.seconds() {
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
                day: Time(day * 86_400),
                rate_ppb: c.rate_ppb,
                per_token_scaled: per_token.to_string(),
            });
            day += 1;
        }
        let (y, m, d, ..) = now.to_civil();
        let due = (y, m) != c.last_payout && d >= c.payout_day as u32;
        state.yield_classes.put(a, c.clone());
        if due {
            payout(state, a, now, ev);
        }
    }
}

/// Pays every holder its whole entitlement; fractions go to the residual.
fn payout(state: &mut State, a: AssetIdx, now: Time, ev: &mut Vec<Event>) {
    let Some(mut c) = state.yield_classes.get(&a).cloned() else { return };
    let mut holders: Vec<u64> =
        state.holdings.iter().filter(|(k, _)| (**k >> 32) as u32 == a).map(|(k, _)| *k).collect();
    holders.sort_unstable();
    let (mut paid_now, mut holders_paid) = (0u128, 0u32);
    let tracking = state.policy(a).tracking();
    let cap = state.asset(a).supply_cap;
    let mut supply = state.asset(a).supply;
    let mut payments = Vec::new();
    // One pass, one write per holding: each payment is checked as a mint to the holder
    // (pause, wallet state, policy — against the supply before the payout), credited in
    // place, and the supply is updated once at the end.
    for key in holders {
        let w = key as u32;
        let mut h = state.holding(a, w);
        let Ok(old_total) = h.total() else { continue };
        if settle(&mut h, c.index, old_total).is_err() {
            continue;
        }
        let entitlement = h.extra.as_deref().map(|e| e.yield_entitlement).unwrap_or(0);
        let (whole, fraction) = (entitlement / SCALE, entitlement % SCALE);
        if whole > 0 {
            let m = Move { kind: Movement::Mint, asset: a, from: None, to: Some(w), amount: whole, now };
            let mut refusals = Vec::new();
            movement::checks(state, &m, false, &mut refusals);
            let over_cap = supply.checked_add(whole).is_none_or(|s| cap.is_some_and(|cap| s > cap));
            let credited = h.free.checked_add(whole);
            let refusal = refusals.into_iter().next().or_else(|| {
                over_cap.then(|| Refusal::new(Code::AssetSupplyCapExceeded, "the payout would pass the supply cap"))
            });
            match (refusal, credited) {
                (Some(r), _) => {
                    // Withheld: the holding keeps its (settled) entitlement for the next payout.
                    let _ = state.put_holding(a, w, h);
                    ev.push(Event::YieldWithheld {
                        asset: c.asset.clone(),
                        wallet: state.wallet(w).key,
                        code: r.code.as_str().into(),
                    });
                    continue;
                }
                (None, None) => continue,
                (None, Some(free)) => {
                    h.free = free;
                    compliance::track_inflow(&mut h, &tracking, whole, now);
                    supply += whole;
                    paid_now += whole;
                    holders_paid += 1;
                    payments.push(YieldPayment { wallet_index: w, amount: whole });
                }
            }
        }
        if let Some(e) = h.extra.as_deref_mut() {
            e.yield_entitlement = 0;
        }
        // The entitlement was settled above: put_holding finds nothing more to settle.
        if state.put_holding(a, w, h).is_err() {
            continue;
        }
        c.residual_carried += fraction;
    }
    if !payments.is_empty() {
        ev.push(Event::YieldPaid { asset: c.asset.clone(), payments });
    }
    if paid_now > 0 {
        let mut rec = state.asset(a).clone();
        rec.supply = supply;
        state.assets.put(a, rec);
    }
    c.paid += paid_now;
    let residual_units = c.residual_carried / SCALE;
    if residual_units > 0 {
        if let Ok(rw) = state.wallet_idx(&c.residual) {
            let m = Move { kind: Movement::Mint, asset: a, from: None, to: Some(rw), amount: residual_units, now };
            let mark = state.mark();
            match movement::execute(state, &m, Hash::default(), ev) {
                Ok(()) => {
                    c.residual_carried -= residual_units * SCALE;
                    c.residual_minted += residual_units;
                    // The residual wallet's own new entitlement starts now; its holding was
                    // settled by the mint.
                }
                Err(_) => state.rollback(mark),
            }
        }
    }
    let (y, m, ..) = now.to_civil();
    c.last_payout = (y, m);
    ev.push(Event::YieldPayout {
        asset: c.asset.clone(),
        holders: holders_paid,
        paid: paid_now,
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
            unpaid += ent + total * (c.index - idx);
        }
        let lhs = c.accrued;
        let rhs = c.paid * SCALE + c.residual_minted * SCALE + c.residual_carried + unpaid;
        // Newly minted payout units also earn from their mint onwards: they entered at the
        // current index, so they add nothing to `unpaid` until the index moves again.
        if lhs != rhs {
            return Err(format!("{}: accrued {lhs} ≠ paid + residual + unpaid {rhs}", c.asset));
        }
    }
    Ok(())
}
