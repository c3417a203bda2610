//! Tokenized Treasury securities (SPEC F8): one token per CUSIP (an asset of kind
//! `treasury_security`), serviced by a paying agent in a cash token. On each coupon date the
//! holders of record at that block boundary are paid face × coupon / 2; at maturity each holder
//! is paid the principal (and the final coupon), its tokens are retired, and once no token is
//! left the asset is closed. Accrued interest (ACT/ACT) prices secondary trades.
//!
//! Units: one whole token is one unit of currency of face (a token with 6 decimals: 1,000,000
//! minor units = $1.00 face). Payments round down per holder; what rounding leaves stays with
//! the paying agent. A payment the cash token's rules refuse (a frozen or sanctioned holder) is
//! withheld with an event, and the units stay outstanding until the holder can be paid. Units
//! locked (pledged, in settlement) or frozen at maturity are paid when released.
//!
//! The coupon job walks the security's holders (O(holders of that CUSIP) on a coupon date).

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::{Move, Movement};
use crate::model::fund::FundEvent;
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::state::*;
use crate::treasury;
use crate::types::*;
use rust_decimal::Decimal;

/// Why sums of an asset's holdings cannot overflow or pass its supply.
const HOLDINGS_IN_SUPPLY: &str = "Σ holdings of an asset = its supply (the invariants)";

pub use crate::model::securities::*;

fn terms(state: &State, a: AssetIdx) -> Option<(Time, u32)> {
    match &state.asset(a).kind {
        AssetKind::TreasurySecurity { maturity, coupon_micros, .. } => Some((*maturity, *coupon_micros)),
        _ => None,
    }
}

pub fn service(cx: &mut Ctx, asset: &Symbol, cash_asset: &Symbol, paying_agent: &WalletId) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let a = state.asset_idx(asset)?;
    let Some((maturity, coupon)) = terms(state, a) else {
        return refuse(Code::FundBadSpec, format!("{asset} is not a Treasury security"));
    };
    let c = state.asset_idx(cash_asset)?;
    if !matches!(state.asset(c).kind, AssetKind::CashToken { .. }) {
        return refuse(Code::FundBadSpec, format!("{cash_asset} is not a cash token"));
    }
    if state.servicing.contains(&a) {
        return refuse(Code::FundBadSpec, format!("{asset} is already serviced"));
    }
    if maturity <= now {
        return refuse(Code::FundBadSpec, format!("{asset} has matured"));
    }
    let agent = state.wallet_idx(paying_agent)?;
    let next_coupon = if coupon > 0 { treasury::coupon_period(maturity, now).map(|(_, next)| next) } else { None };
    state.servicing.put(
        a,
        Servicing {
            asset: asset.clone(),
            cash_asset: c,
            paying_agent: agent,
            next_coupon,
            coupons_paid: 0,
            retired: false,
        },
    );
    ev.push(Event::Fund(FundEvent::SecurityServiced { asset: asset.clone(), cash_asset: cash_asset.clone() }));
    Ok(())
}

/// Accrued interest per 100 of face at `at` (ACT/ACT), for pricing a secondary trade.
pub fn accrued_per_100(state: &State, asset: &Symbol, at: Time) -> Result<Decimal, Refusal> {
    let a = state.asset_idx(asset)?;
    let (maturity, coupon) = terms(state, a)
        .ok_or_else(|| Refusal::new(Code::FundBadSpec, format!("{asset} is not a Treasury security")))?;
    if coupon == 0 {
        return Ok(Decimal::ZERO);
    }
    let (last, next) = treasury::coupon_period(maturity, at)
        .ok_or_else(|| Refusal::new(Code::FundBadSpec, format!("{asset} has matured at {maturity}")))?;
    Ok(treasury::accrued_interest(Decimal::new(coupon as i64, 6), last, next, at).unwrap_or_default())
}

/// Pays each holder `per_holder(free units)` from the agent; all or nothing on the agent's
/// balance. Returns (holders paid, total paid, wallets paid), or None if the agent is short.
fn pay_holders(
    state: &mut State,
    a: AssetIdx,
    s: &Servicing,
    per_holder: &dyn Fn(Amount) -> Amount,
    now: Time,
    ev: &mut Vec<Event>,
) -> Option<(u32, Amount, Vec<WalletIdx>)> {
    let mut holders: Vec<(WalletIdx, Amount)> = state
        .holdings
        .iter()
        .filter(|(k, h)| (**k >> 32) as u32 == a && h.free > 0)
        .map(|(k, h)| (*k as u32, h.free))
        .collect();
    holders.sort_unstable();
    let due: Vec<(WalletIdx, Amount)> = holders.iter().map(|(w, units)| (*w, per_holder(*units))).collect();
    let needed = due.iter().map(|(_, x)| *x).fold(0u128, |t, x| t.saturating_add(x));
    let available = state.holding_ref(s.cash_asset, s.paying_agent).map(|h| h.free).unwrap_or(0);
    if available < needed {
        ev.push(Event::Fund(FundEvent::PaymentShort { asset: s.asset.clone(), needed, available }));
        return None;
    }
    let (mut n, mut total, mut paid) = (0u32, 0u128, Vec::new());
    for (w, amount) in due {
        if amount == 0 || w == s.paying_agent {
            paid.push(w);
            continue;
        }
        let m = Move {
            kind: Movement::Transfer,
            asset: s.cash_asset,
            from: Some(s.paying_agent),
            to: Some(w),
            amount,
            now,
        };
        match movement::execute_or_undo(state, &m, ev) {
            Ok(()) => {
                n = n.checked_add(1).expect("one per holder paid");
                total = total.checked_add(amount).expect("paid out of the paying agent's balance, which fits");
                paid.push(w);
            }
            Err(r) => {
                ev.push(Event::Fund(FundEvent::PaymentWithheld {
                    asset: s.asset.clone(),
                    wallet: state.wallet(w).key,
                    code: r.code.as_str().into(),
                }));
            }
        }
    }
    Some((n, total, paid))
}

/// Block-boundary job: coupons due, then principal at maturity.
pub fn block_job(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    let mut serviced: Vec<AssetIdx> = state.servicing.iter().filter(|(_, s)| !s.retired).map(|(a, _)| *a).collect();
    serviced.sort_unstable();
    for a in serviced {
        let Some(mut s) = state.servicing.get(&a).cloned() else { continue };
        let Some((maturity, coupon)) = terms(state, a) else { continue };
        let sec_dec = state.asset(a).decimals;
        let cash_dec = state.asset(s.cash_asset).decimals;
        // Face in cash minor units of `units` security minor units, and its half-year coupon.
        // Saturating: a holding so large its face passes Amount::MAX is paid Amount::MAX (left
        // as it was; the payment then fails for want of cash and is withheld).
        let face = move |units: Amount| {
            units.saturating_mul(10u128.pow(cash_dec as u32)).checked_div(10u128.pow(sec_dec as u32)).expect("10^d ≥ 1")
        };
        let half_coupon = move |units: Amount| face(units).saturating_mul(coupon as u128) / 2_000_000;
        let maturity_day = Time(maturity.day().checked_mul(86_400).expect("the start of a u64 time's day is a u64"));
        while let Some(date) = s.next_coupon.filter(|d| *d <= now && *d < maturity_day) {
            let Some((holders, paid, _)) = pay_holders(state, a, &s, &half_coupon, now, ev) else { break };
            ev.push(Event::Fund(FundEvent::CouponPaid { asset: s.asset.clone(), date, holders, paid }));
            s.coupons_paid = s.coupons_paid.checked_add(1).expect("one per coupon date of the bond");
            s.next_coupon = treasury::coupon_period(maturity, date).map(|(_, next)| next);
        }
        if now >= maturity {
            let last_coupon = s.next_coupon.is_some();
            let principal =
                move |units: Amount| face(units).saturating_add(if last_coupon { half_coupon(units) } else { 0 });
            if let Some((holders, paid, wallets)) = pay_holders(state, a, &s, &principal, now, ev) {
                ev.push(Event::Fund(FundEvent::PrincipalPaid { asset: s.asset.clone(), holders, paid }));
                let mut retired = 0u128;
                for w in wallets {
                    let mut h = state.holding(a, w);
                    retired = retired.checked_add(h.free).expect(HOLDINGS_IN_SUPPLY);
                    h.free = 0;
                    // Only `free` shrinks in a holding stored with a checked total.
                    state.put_holding(a, w, h).expect("emptying a stored holding cannot refuse");
                }
                let mut rec = state.asset(a).clone();
                rec.supply = rec.supply.checked_sub(retired).expect(HOLDINGS_IN_SUPPLY);
                if rec.supply == 0 {
                    rec.paused = true;
                    s.retired = true;
                    s.next_coupon = None;
                    ev.push(Event::Fund(FundEvent::SecurityRetired { asset: s.asset.clone() }));
                }
                state.assets.put(a, rec);
            }
        }
        state.servicing.put(a, s);
    }
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for ServiceSecurity {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let ServiceSecurity { asset, cash_asset, .. } = self;
        check_symbol(asset)?;
        check_symbol(cash_asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let ServiceSecurity { asset, cash_asset, paying_agent } = self;
        service(cx, asset, cash_asset, paying_agent)
    }
}
