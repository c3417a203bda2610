//! Subscriptions and redemptions, with the liquidity facility and the FIFO queue (F1, F5).

use super::*;

// ---------------------------------------------------------------- subscriptions and redemptions

pub fn subscribe(cx: &mut Ctx, class_sym: &Symbol, cash: Amount) -> Result<(), Refusal> {
    let (actor, now, tx) = (cx.actor, cx.now, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let (a, c) = class(state, class_sym)?;
    let f = fund(state, &c.spec.fund)?;
    if let Some(why) = &f.halted {
        return refuse(Code::FundHalted, format!("fund {} is halted: {why}", f.spec.fund));
    }
    let held = state.holding_ref(a, actor).map(|h| h.total()).transpose()?.unwrap_or(0);
    let (min, which) = if held == 0 { (c.spec.min_first, "first") } else { (c.spec.min_later, "later") };
    if cash < min {
        let (cash, min) = (state.amount_text(f.cash_asset, cash), state.amount_text(f.cash_asset, min));
        return refuse(Code::FundBelowMinimum, format!("{cash} is below the minimum {which} investment {min}"));
    }
    let share_dec = state.asset(a).decimals;
    let cash_dec = state.asset(f.cash_asset).decimals;
    let shares = cash_to_shares(cash, c.price, share_dec, cash_dec)?;
    if shares == 0 {
        return refuse(Code::FundBelowMinimum, "the payment buys no whole share unit");
    }
    let cash_symbol = state.asset(f.cash_asset).symbol.clone();
    let fund_wallet = state.wallet(f.cash_wallet).key;
    movement::transfer(state, &cash_symbol, actor, &fund_wallet, cash, now, tx, ev)?;
    let investor = state.wallet(actor).key;
    movement::mint(state, class_sym, &investor, shares, now, tx, ev)?;
    ev.push(fe(FundEvent::Subscribed {
        fund: f.spec.fund.clone(),
        class: class_sym.clone(),
        investor,
        cash,
        shares,
        price: c.price,
    }));
    Ok(())
}

pub fn redeem(
    state: &mut State,
    actor: WalletIdx,
    class_sym: &Symbol,
    shares: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let (a, c) = class(state, class_sym)?;
    let mut f = fund(state, &c.spec.fund)?;
    if let Some(why) = &f.halted {
        return refuse(Code::FundHalted, format!("fund {} is halted: {why}", f.spec.fund));
    }
    let free = state.holding_ref(a, actor).map(|h| h.free).unwrap_or(0);
    if shares > free {
        let (shares, free) = (state.amount_text(a, shares), state.amount_text(a, free));
        return refuse(Code::BalanceInsufficient, format!("redeeming {shares} of a free balance of {free}"));
    }
    let gross = shares_to_cash(shares, c.price, state.asset(a).decimals, state.asset(f.cash_asset).decimals)?;
    let wla_low = f.last.as_ref().is_some_and(|l| l.metrics.wla_bps < f.spec.params.liquidity_fee_below_wla_bps);
    let liquidity_fee_bps = if wla_low { f.spec.params.liquidity_fee_bps as u128 } else { 0 };
    let fee_bps = (c.spec.redemption_fee_bps as u128).checked_add(liquidity_fee_bps).expect("two u32s fit in u128");
    let fee = mul_div(gross, fee_bps, BPS)?;
    // The fees can pass 100% (a liquidity fee near it on top of the redemption fee): then, as
    // when they round the payment to zero, nothing is left to pay.
    let Some(net) = gross.checked_sub(fee).filter(|net| *net > 0) else {
        return refuse(Code::FundBelowMinimum, "the redemption is worth no whole cash unit");
    };
    let investor = state.wallet(actor).key;
    movement::burn(state, class_sym, &investor, shares, now, tx, ev)?;
    let today = now.day();
    if f.facility.0 != today {
        f.facility = (today, 0);
    }
    let queue_empty = !state.redemption_queue.iter().any(|((fs, _), _)| fs == &f.spec.fund);
    let wallet_free = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.free).unwrap_or(0);
    let within = f.facility.1.checked_add(net).is_some_and(|u| u <= f.spec.params.facility_daily_limit);
    if queue_empty && within && wallet_free >= net {
        let cash_symbol = state.asset(f.cash_asset).symbol.clone();
        movement::transfer(state, &cash_symbol, f.cash_wallet, &investor, net, now, tx, ev)?;
        f.facility.1 = f.facility.1.checked_add(net).expect("checked against the daily limit above");
        ev.push(fe(FundEvent::RedemptionPaid {
            fund: f.spec.fund.clone(),
            redemption: None,
            investor,
            shares,
            cash: net,
            fee,
        }));
    } else {
        let id = state.next_id(|m| &mut m.next_redemption);
        let r = Redemption {
            id,
            fund: f.spec.fund.clone(),
            class: class_sym.clone(),
            wallet: investor,
            shares,
            amount: net,
            fee,
            requested_at: now,
            status: RedemptionStatus::Queued,
        };
        state.redemptions.put(id, r);
        state.redemption_queue.put((f.spec.fund.clone(), id), ());
        f.queued = f.queued.checked_add(net).ok_or_else(overflow)?;
        ev.push(fe(FundEvent::RedemptionQueued { fund: f.spec.fund.clone(), redemption: id, investor, cash: net }));
    }
    state.funds.put(f.spec.fund.clone(), f);
    Ok(())
}

/// Pays queued redemptions in order while the cash that arrived for them (and the fund's
/// wallet) covers the next one. A payment the cash token's rules refuse (the investor frozen,
/// say) stays queued and does not hold up those behind it.
pub(super) fn pay_queue(state: &mut State, f_sym: &Symbol, now: Time, ev: &mut Vec<Event>) {
    let queued: Vec<(Symbol, u64)> =
        state.redemption_queue.due(&(f_sym.clone(), u64::MAX)).into_iter().filter(|(fs, _)| fs == f_sym).collect();
    if queued.is_empty() {
        return;
    }
    let Ok(mut f) = fund(state, f_sym) else { return };
    for key in queued {
        let Some(mut r) = state.redemptions.get(&key.1).cloned() else { continue };
        let free = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.free).unwrap_or(0);
        if free < r.amount || f.arrived < r.amount {
            break;
        }
        let Ok(to) = state.wallet_idx(&r.wallet) else { continue };
        let m = Move {
            kind: Movement::Transfer,
            asset: f.cash_asset,
            from: Some(f.cash_wallet),
            to: Some(to),
            amount: r.amount,
            now,
        };
        match movement::execute_or_undo(state, &m, ev) {
            Ok(()) => {
                state.redemption_queue.remove(&key);
                f.queued =
                    f.queued.checked_sub(r.amount).expect("queued is the sum of the queue's amounts, this among them");
                f.arrived = f.arrived.checked_sub(r.amount).expect("checked to cover this payment above");
                r.status = RedemptionStatus::Paid { at: now };
                ev.push(fe(FundEvent::RedemptionPaid {
                    fund: f_sym.clone(),
                    redemption: Some(r.id),
                    investor: r.wallet,
                    shares: r.shares,
                    cash: r.amount,
                    fee: r.fee,
                }));
                state.redemptions.put(r.id, r);
            }
            Err(e) => {
                ev.push(fe(FundEvent::RedemptionHeld { redemption: r.id, code: e.code.as_str().into() }));
            }
        }
    }
    if f.queued == 0 {
        f.arrived = 0;
    }
    state.funds.put(f_sym.clone(), f);
}

impl Action for Subscribe {
    fn authority(&self) -> (OpClass, Need) {
        // A source signs its own reports; the oracle module checks it is registered for the feed.
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let Subscribe { class, amount } = self;
        check_symbol(class)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Subscribe { class, amount } = self;
        subscribe(cx, class, *amount)
    }
}

impl Action for Redeem {
    fn authority(&self) -> (OpClass, Need) {
        // A source signs its own reports; the oracle module checks it is registered for the feed.
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let Redeem { class, shares: amount } = self;
        check_symbol(class)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Redeem { class, shares } = self;
        redeem(cx.state, cx.actor, class, *shares, cx.now, cx.tx, cx.events)
    }
}
