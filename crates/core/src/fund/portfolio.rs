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
        CashMovement::Withdraw => f.take_custodian_cash(amount)?,
        CashMovement::ToLedger => {
            if !state.has_role(actor, Role::IssuerAgent, Some(f.cash_asset)) {
                return refuse(Code::AuthMissingRole, format!("moving cash onto the ledger issues {cash_symbol}"));
            }
            f.take_custodian_cash(amount)?;
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
    f.take_custodian_cash(cost)?;
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

/// A position's value at `at` in cash minor units, its days to maturity, and whether an
/// oracle priced it.
pub fn value_position(state: &State, p: &Position, at: Time, oracle_now: Time) -> Result<(Amount, u64, bool), Refusal> {
    // Saturating on purpose: a matured position has no days left.
    let days = p.instrument.maturity().day().saturating_sub(at.day());
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
            // Amortized cost: the discount accretes evenly from purchase to maturity. Saturating
            // on purpose: nothing accretes before the purchase, nor on a bill bought above face.
            let total = maturity.day().saturating_sub(p.acquired.day()).max(1) as u128;
            let run = (at.day().saturating_sub(p.acquired.day()) as u128).min(total);
            let accreted = mul_div(p.face.saturating_sub(p.cost), run, total)?;
            Ok((p.cost.checked_add(accreted).expect("accreted is at most face − cost"), days, false))
        }
        Instrument::Note { cusip, coupon_micros, maturity } => {
            // Accrued interest per 100 (× 10^8) at a time, ACT/ACT.
            let accrued = |t: Time| -> Result<u64, Refusal> {
                match treasury::coupon_period(*maturity, t) {
                    Some((last, next)) => {
                        let c = Decimal::new(*coupon_micros as i64, 6);
                        let ai = treasury::accrued_interest(c, last, next, t).unwrap_or_default();
                        oracle::to_fixed(&ai.to_string()).ok_or_else(overflow)
                    }
                    None => Ok(0),
                }
            };
            let oracle_px = oracle::usable(state, &format!("PX:{cusip}"), oracle_now);
            let clean = match oracle_px {
                Some(px) => px,
                // The cost paid was the dirty price: its clean part is cost less the interest
                // accrued when bought.
                None => {
                    let dirty =
                        u64::try_from(mul_div(p.cost, 100 * VALUE_SCALE, p.face.max(1))?).map_err(|_| overflow())?;
                    // Saturating on purpose: a clean price does not go below zero.
                    dirty.saturating_sub(accrued(p.acquired)?)
                }
            };
            let dirty = clean.checked_add(accrued(at)?).ok_or_else(overflow)?;
            Ok((per100(dirty)?, days, oracle_px.is_some()))
        }
        Instrument::Repo { rate_micros, .. } => {
            // Saturating on purpose: before the purchase no interest has run.
            let elapsed = at.day().saturating_sub(p.acquired.day()) as u128;
            let rate_days = (*rate_micros as u128).checked_mul(elapsed).expect("a u32 × a u64 fits in u128");
            let interest = mul_div(p.face, rate_days, 1_000_000 * 360)?;
            Ok((p.face.checked_add(interest).ok_or_else(overflow)?, days, false))
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
