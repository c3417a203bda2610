//! The portfolio: custodian cash, positions bought and sold, and their values (F2).

use super::*;

// ---------------------------------------------------------------- portfolio

pub fn custodian_cash(
    cx: &mut Ctx,
    f_sym: &Symbol,
    amount: Amount,
    movement: CashMovement,
    reference: &str,
) -> Result<(), Refusal> {
    let (actor, now, tx) = (cx.actor, cx.now, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut f = fund(state, f_sym)?;
    let cash_symbol = state.asset(f.cash_asset).symbol.clone();
    match movement {
        CashMovement::Deposit => f.custodian_cash = f.custodian_cash.checked_add(amount).ok_or_else(overflow)?,
        CashMovement::Withdraw => take_custodian_cash(state, &mut f, amount)?,
        CashMovement::ToLedger => {
            if !state.has_role(actor, Role::IssuerAgent, Some(f.cash_asset)) {
                return refuse(Code::AuthMissingRole, format!("moving cash onto the ledger issues {cash_symbol}"));
            }
            take_custodian_cash(state, &mut f, amount)?;
            let to = state.wallet(f.cash_wallet).key;
            crate::cash::issue(state, &cash_symbol, &to, amount, reference, now, tx, ev)?;
            // Saturating is exact here: the result is capped at `queued` either way.
            f.arrived = f.arrived.saturating_add(amount).min(f.queued);
        }
        CashMovement::FromLedger => {
            let from = state.wallet(f.cash_wallet).key;
            movement::burn(state, &cash_symbol, &from, amount, now, tx, ev)?;
            f.custodian_cash = f.custodian_cash.checked_add(amount).ok_or_else(overflow)?;
        }
    }
    ev.push(fe(FundEvent::CustodianCash { fund: f_sym.clone(), movement, amount, custodian_cash: f.custodian_cash }));
    state.funds.put(f_sym.clone(), f);
    Ok(())
}

pub fn buy(cx: &mut Ctx, f_sym: &Symbol, instrument: &Instrument, face: Amount, cost: Amount) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut f = fund(state, f_sym)?;
    let instrument = &instrument.canonical()?;
    instrument.check()?;
    if face == 0 || cost == 0 {
        return refuse(Code::FundBadPosition, "face and cost must be positive");
    }
    if instrument.maturity() <= now {
        return refuse(Code::FundBadPosition, "the instrument has matured");
    }
    let days = instrument.maturity().day().checked_sub(now.day()).expect("the maturity is after now, checked above");
    if days > f.spec.params.max_maturity_days as u64 {
        return refuse(
            Code::FundBadPosition,
            format!("{days} days to maturity; the fund's longest is {}", f.spec.params.max_maturity_days),
        );
    }
    take_custodian_cash(state, &mut f, cost)?;
    let id = f.next_position;
    f.next_position = f.next_position.checked_add(1).expect("one per purchase: a fund never makes 2^64 of them");
    state
        .positions
        .put((f_sym.clone(), id), Position { id, instrument: instrument.clone(), face, cost, acquired: now });
    ev.push(fe(FundEvent::PositionBought {
        fund: f_sym.clone(),
        position: id,
        instrument: instrument.name(),
        face,
        cost,
    }));
    state.funds.put(f_sym.clone(), f);
    Ok(())
}

pub fn sell(cx: &mut Ctx, f_sym: &Symbol, id: u64, proceeds: Amount) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut f = fund(state, f_sym)?;
    let key = (f_sym.clone(), id);
    if !state.positions.contains(&key) {
        return refuse(Code::FundBadPosition, format!("fund {f_sym} has no position {id}"));
    }
    state.positions.remove(&key);
    f.custodian_cash = f.custodian_cash.checked_add(proceeds).ok_or_else(overflow)?;
    state.funds.put(f_sym.clone(), f);
    ev.push(fe(FundEvent::PositionSold { fund: f_sym.clone(), position: id, proceeds }));
    Ok(())
}

/// The fund's positions, by id.
pub fn positions(state: &State, f_sym: &Symbol) -> Vec<Position> {
    let mut v: Vec<Position> =
        state.positions.iter().filter(|((f, _), _)| f == f_sym).map(|(_, p)| p.clone()).collect();
    v.sort_by_key(|p| p.id);
    v
}

/// How positions are priced in a valuation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pricing {
    /// Market: an oracle's price where one stands, else the formula (amortized cost under
    /// rules version 2). This is the NAV the fund reports, and a stable class's shadow NAV.
    Market,
    /// Amortized cost throughout, whatever the oracles say: the basis of net income.
    AmortizedCost,
}

/// A position's value at `at` in cash minor units, its days to maturity, and whether an
/// oracle priced it.
pub fn value_position(state: &State, p: &Position, at: Time, oracle_now: Time) -> Result<(Amount, u64, bool), Refusal> {
    position_value(state, p, at, oracle_now, Pricing::Market)
}

/// [`value_position`] under a chosen pricing.
pub fn position_value(
    state: &State,
    p: &Position,
    at: Time,
    oracle_now: Time,
    pricing: Pricing,
) -> Result<(Amount, u64, bool), Refusal> {
    // Saturating on purpose: a matured position has no days left.
    let days = p.instrument.maturity().day().saturating_sub(at.day());
    let amortized = state.rules() >= crate::block::RULES_V2;
    if pricing == Pricing::AmortizedCost {
        return Ok((amortized_value(p, at)?, days, false));
    }
    let per100 = |price: u64| mul_div(p.face, price as u128, 100 * VALUE_SCALE);
    match &p.instrument {
        Instrument::Bill { cusip, maturity } => {
            if days == 0 {
                return Ok((p.face, 0, false));
            }
            if let Some(px) = oracle::usable(state, &format!("PX:{cusip}"), oracle_now) {
                return Ok((per100(px)?, days, true));
            }
            if let Some(d) = oracle::usable(state, &format!("YLD:{cusip}"), oracle_now) {
                let price = treasury::bill_price(Decimal::new(d as i64, 8), days as u32).ok_or_else(overflow)?;
                let fixed = oracle::to_fixed(&price.to_string()).ok_or_else(overflow)?;
                return Ok((per100(fixed)?, days, true));
            }
            if amortized {
                return Ok((amortized_value(p, at)?, days, false));
            }
            // Rules version 1: the discount accretes evenly from purchase to maturity.
            // Saturating on purpose: nothing accretes before the purchase, nor on a bill bought
            // above face.
            let total = maturity.day().saturating_sub(p.acquired.day()).max(1) as u128;
            let run = (at.day().saturating_sub(p.acquired.day()) as u128).min(total);
            let accreted = mul_div(p.face.saturating_sub(p.cost), run, total)?;
            Ok((p.cost.checked_add(accreted).expect("accreted is at most face − cost"), days, false))
        }
        Instrument::Note { cusip, coupon_micros, maturity } => {
            let oracle_px = oracle::usable(state, &format!("PX:{cusip}"), oracle_now);
            let clean = match oracle_px {
                Some(px) => px,
                None if amortized => return Ok((amortized_value(p, at)?, days, false)),
                // Rules version 1: the clean part of the dirty price paid, held flat.
                None => {
                    let dirty =
                        u64::try_from(mul_div(p.cost, 100 * VALUE_SCALE, p.face.max(1))?).map_err(|_| overflow())?;
                    // Saturating on purpose: a clean price does not go below zero.
                    dirty.saturating_sub(note_accrued(*coupon_micros, *maturity, p.acquired)?)
                }
            };
            let dirty = clean.checked_add(note_accrued(*coupon_micros, *maturity, at)?).ok_or_else(overflow)?;
            Ok((per100(dirty)?, days, oracle_px.is_some()))
        }
        Instrument::Repo { .. } if amortized => Ok((amortized_value(p, at)?, days, false)),
        Instrument::Repo { rate_micros, .. } => {
            // Rules version 1: interest to the valuation's day. Saturating on purpose: before
            // the purchase no interest has run.
            let elapsed = at.day().saturating_sub(p.acquired.day()) as u128;
            let rate_days = (*rate_micros as u128).checked_mul(elapsed).expect("a u32 × a u64 fits in u128");
            let interest = mul_div(p.face, rate_days, 1_000_000 * 360)?;
            Ok((p.face.checked_add(interest).ok_or_else(overflow)?, days, false))
        }
    }
}

/// A note's interest accrued at `t` per 100 of face (× 10^8), ACT/ACT.
fn note_accrued(coupon_micros: u32, maturity: Time, t: Time) -> Result<u64, Refusal> {
    match treasury::coupon_period(maturity, t) {
        Some((last, next)) => {
            let c = Decimal::new(coupon_micros as i64, 6);
            let ai = treasury::accrued_interest(c, last, next, t).unwrap_or_default();
            oracle::to_fixed(&ai.to_string()).ok_or_else(overflow)
        }
        None => Ok(0),
    }
}

/// `from` moved in a straight line towards `to` over the days from `start` to `end`, as it
/// stands on `day` (before `start`: `from`; from `end` on: `to`). The step is rounded down in
/// size, so the value never passes `to`.
fn straight_line(from: u128, to: u128, start: u64, end: u64, day: u64) -> Result<u128, Refusal> {
    // Saturating on purpose: no days run before the start, and a zero-length run is one day.
    let total = end.saturating_sub(start).max(1) as u128;
    let run = (day.saturating_sub(start) as u128).min(total);
    Ok(if to >= from {
        from.checked_add(mul_div(to.checked_sub(from).expect("to ≥ from"), run, total)?).ok_or_else(overflow)?
    } else {
        from.checked_sub(mul_div(from.checked_sub(to).expect("from > to"), run, total)?)
            .expect("the step is at most from − to")
    })
}

/// A position at amortized cost at `at`, in cash minor units: a bill's value, and a note's
/// clean price, move in a straight line from what was paid to par at maturity (a discount
/// accretes, a premium amortizes); a note adds the interest accrued; a repo is its principal
/// plus the interest (ACT/360). Rounded down to the minor unit.
///
/// A day's valuation counts the night ahead, as the fee accrual does (and as a fund's daily
/// dividend does): a bill bought today has earned one day by today's valuation, and the day
/// before maturity it stands at par.
pub fn amortized_value(p: &Position, at: Time) -> Result<Amount, Refusal> {
    let start = p.acquired.day();
    let day = at.day().checked_add(1).ok_or_else(overflow)?;
    match &p.instrument {
        Instrument::Bill { maturity, .. } => straight_line(p.cost, p.face, start, maturity.day(), day),
        Instrument::Note { coupon_micros, maturity, .. } => {
            // The cost paid was the dirty price: its clean part is cost less the interest
            // accrued when bought.
            let dirty_paid = mul_div(p.cost, 100 * VALUE_SCALE, p.face.max(1))?;
            let clean_paid = dirty_paid.saturating_sub(note_accrued(*coupon_micros, *maturity, p.acquired)? as u128);
            let clean = straight_line(clean_paid, 100 * VALUE_SCALE, start, maturity.day(), day)?;
            let dirty = clean.checked_add(note_accrued(*coupon_micros, *maturity, at)? as u128).ok_or_else(overflow)?;
            mul_div(p.face, dirty, 100 * VALUE_SCALE)
        }
        Instrument::Repo { rate_micros, maturity, .. } => {
            // Saturating on purpose: before the purchase no interest has run.
            let elapsed = day.min(maturity.day()).saturating_sub(start) as u128;
            let rate_days = (*rate_micros as u128).checked_mul(elapsed).expect("a u32 × a u64 fits in u128");
            let interest = mul_div(p.face, rate_days, 1_000_000 * 360)?;
            p.face.checked_add(interest).ok_or_else(overflow)
        }
    }
}

/// What a matured position pays: face, plus the final coupon of a note, plus repo interest.
pub(super) fn maturity_proceeds(p: &Position) -> Result<Amount, Refusal> {
    match &p.instrument {
        Instrument::Bill { .. } => Ok(p.face),
        Instrument::Note { coupon_micros, .. } => {
            p.face.checked_add(mul_div(p.face, *coupon_micros as u128, 2_000_000)?).ok_or_else(overflow)
        }
        Instrument::Repo { rate_micros, maturity, .. } => {
            // Saturating on purpose: a repo bought on or after its maturity earns nothing.
            let days = maturity.day().saturating_sub(p.acquired.day()) as u128;
            let rate_days = (*rate_micros as u128).checked_mul(days).expect("a u32 × a u64 fits in u128");
            p.face.checked_add(mul_div(p.face, rate_days, 1_000_000 * 360)?).ok_or_else(overflow)
        }
    }
}

impl Action for CustodianCash {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::Custodian, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let CustodianCash { fund, amount, reference, .. } = self;
        check_symbol(fund)?;
        nonzero(*amount)?;
        check_text("reference", reference, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CustodianCash { fund: f, amount, movement, reference } = self;
        custodian_cash(cx, f, *amount, *movement, reference)
    }
}

impl Action for BuyPosition {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::Custodian, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let BuyPosition { fund, instrument, .. } = self;
        check_symbol(fund)?;
        instrument.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let BuyPosition { fund: f, instrument, face, cost } = self;
        buy(cx, f, instrument, *face, *cost)
    }
}

impl Action for SellPosition {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::Custodian, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SellPosition { fund, .. } = self;
        check_symbol(fund)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SellPosition { fund: f, position, proceeds } = self;
        sell(cx, f, *position, *proceeds)
    }
}
