//! The daily job at each valuation time, and the block-boundary job that runs it (F2, F4, F5).

use super::*;

/// The daily work of one fund at one valuation time: matured positions and coupons into
/// custodian cash, accumulating prices, the fee accrual, the stable classes' net rate, the
/// valuation with its limits and breaker, and the monthly fee payment.
pub(super) fn daily(
    state: &mut State,
    f_sym: &Symbol,
    at: Time,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let mut f = fund(state, f_sym)?;
    let day = at.day();
    // Maturities and coupons.
    for p in positions(state, f_sym) {
        if p.instrument.maturity().day() <= day {
            let proceeds = maturity_proceeds(&p)?;
            state.positions.remove(&(f_sym.clone(), p.id));
            f.custodian_cash = f.custodian_cash.checked_add(proceeds).ok_or_else(overflow)?;
            ev.push(fe(FundEvent::PositionMatured { fund: f_sym.clone(), position: p.id, proceeds }));
        } else if let Instrument::Note { coupon_micros, maturity, .. } = &p.instrument {
            // A coupon falls due on this valuation day (a day after acquisition).
            if let Some((last, _)) = treasury::coupon_period(*maturity, at) {
                if last.day() == day && p.acquired.day() < day {
                    let c = mul_div(p.face, *coupon_micros as u128, 2_000_000)?;
                    f.custodian_cash = f.custodian_cash.checked_add(c).ok_or_else(overflow)?;
                    ev.push(fe(FundEvent::CouponReceived { fund: f_sym.clone(), position: p.id, amount: c }));
                }
            }
        }
    }
    let cash_dec = state.asset(f.cash_asset).decimals;
    let gross = f.spec.params.yield_feed.as_deref().and_then(|feed| oracle::usable(state, feed, now));
    for a in f.classes.clone() {
        let Some(mut c) = state.share_classes.get(&a).cloned() else { continue };
        let asset = state.asset(a).clone();
        if c.nav == NavKind::Accumulating && c.daily_rate_e10 > 0 {
            // Saturating on purpose: a valuation on or before the base day compounds no days.
            let n = day.saturating_sub(c.base_day) as u32;
            let p = treasury::accumulating_price(
                Decimal::new(c.base_price as i64, 8),
                Decimal::new(c.daily_rate_e10 as i64, treasury::DAILY_RATE_PLACES),
                n,
            )
            .ok_or_else(overflow)?;
            // Half up to 8 places: Ondo rounds stored prices to 8 decimals.
            c.price = oracle::to_fixed(&treasury::round_rate(p, 8).to_string()).ok_or_else(overflow)?;
        }
        let book = shares_to_cash(asset.supply, c.price, asset.decimals, cash_dec)?;
        let fee_scaled = u128::from(c.fee_bps).checked_mul(yields::SCALE).expect("a u32 × 10^18 fits in u128");
        let fee_day = mul_div(book, fee_scaled, BPS * 365)?;
        f.fee_accrued_scaled = f.fee_accrued_scaled.checked_add(fee_day).ok_or_else(overflow)?;
        if c.nav == NavKind::Stable && state.rules() == crate::block::RULES_V1 {
            if let (Some(g), Some(mut yc)) = (gross, state.yield_classes.get(&a).cloned()) {
                // × 10^-8 → ppb is × 10; one basis point is 100,000 ppb. Saturating on purpose:
                // fees above the gross yield leave a zero rate, never a negative one.
                let gross_ppb = g.checked_mul(10).ok_or_else(overflow)?;
                let fee_ppb = u64::from(c.fee_bps).checked_mul(100_000).expect("a u32 × 10^5 fits in u64");
                yc.rate_ppb = gross_ppb.saturating_sub(fee_ppb);
                state.yield_classes.put(a, yc);
            }
        }
        state.share_classes.put(a, c);
    }
    state.funds.put(f_sym.clone(), f.clone());
    let mut income =
        if state.rules() >= crate::block::RULES_V2 { Some(declare_income(state, &f, at, now, ev)?) } else { None };
    let v = valuation(state, &f, at, now)?;
    if let Some(income) = &mut income {
        income.shadow_ratio = v.ratio;
        monitor_shadow_nav(state, &mut f, &v, now, ev);
    }
    // Limits: alert on entering a breach.
    let p = &f.spec.params;
    let m = &v.metrics;
    let checks = liquidity_checks(p, m).map(|c| (c.rule, c.breached, c.detail()));
    // The shadow-NAV thresholds crossed are kept (`monitor_shadow_nav` maintains them).
    let mut breaches: Vec<String> =
        f.breaches.iter().filter(|b| b.starts_with("fund.shadow_nav_deviation.")).cloned().collect();
    for (rule, breached, detail) in checks {
        if breached {
            if !f.breaches.iter().any(|b| b == rule) {
                alert(state, &f, rule, v.assets, detail, now, ev);
            }
            breaches.push(rule.to_string());
        }
    }
    f.breaches = breaches;
    ev.push(fe(FundEvent::Valued {
        fund: f_sym.clone(),
        at,
        nav: v.nav,
        ratio: v.ratio,
        dla_bps: m.dla_bps,
        wla_bps: m.wla_bps,
        wam_days: m.wam_days,
    }));
    if let Some(income) = income {
        state.fund_income.put((f_sym.clone(), day), income);
    }
    let prev_ratio = f.last.as_ref().map(|l| l.ratio);
    f.tripped_since_valuation = false;
    f.last = Some(v.clone());
    state.fund_days.put((f_sym.clone(), day), v.clone());
    // Monthly fee payment, in whole units, as far as the fund's cash wallet allows.
    let (y, mo, d, ..) = at.to_civil();
    if (y, mo) != f.last_fee_payout && d >= p.fee_payout_day as u32 {
        f.last_fee_payout = (y, mo);
        let free = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.free).unwrap_or(0);
        // Saturating on purpose: when the queue claims all the free cash, no fee is paid.
        let pay = f.fee_accrued().min(free.saturating_sub(f.queued));
        if pay > 0 {
            let mv = Move {
                kind: Movement::Transfer,
                asset: f.cash_asset,
                from: Some(f.cash_wallet),
                to: Some(f.fee_wallet),
                amount: pay,
                now,
            };
            if movement::execute_or_undo(state, &mv, ev).is_ok() {
                f.fee_accrued_scaled = pay
                    .checked_mul(yields::SCALE)
                    .and_then(|paid| f.fee_accrued_scaled.checked_sub(paid))
                    .expect("pay is at most fee_accrued, the scaled accrual / 10^18");
                f.fee_paid = f.fee_paid.checked_add(pay).ok_or_else(overflow)?;
                ev.push(fe(FundEvent::FeePaid { fund: f_sym.clone(), amount: pay }));
            }
        }
    }
    state.funds.put(f_sym.clone(), f.clone());
    // The breaker: NAV per share moved beyond the bound since the last valuation.
    if let Some(prev) = prev_ratio {
        let moved = u128::from(v.ratio.abs_diff(prev))
            .checked_mul(BPS)
            .and_then(|x| x.checked_div(u128::from(prev.max(1))))
            .expect("a u64 × 10000 fits in u128 and the divisor is at least 1");
        if moved > p.breaker_bps as u128 {
            // Rules version 1 wrote the fixed-point integers (its journals carry the text).
            let (from, to) = if state.rules() >= crate::block::RULES_V2 {
                (crate::words::value(prev), crate::words::value(v.ratio))
            } else {
                (prev.to_string(), format!("{}, × 10^-8", v.ratio))
            };
            let why = format!("NAV per share moved {moved} bps (from {from} to {to}), beyond {} bps", p.breaker_bps);
            halt(state, f_sym, &why, now, ev);
        }
    }
    // Cross-check against the administrator's NAV, if fed.
    if let Some(feed) = p.nav_feed.as_deref() {
        if let (Some(reported), Some(c)) = (oracle::usable(state, feed, now), v.classes.first()) {
            let off = u128::from(reported.abs_diff(c.nav_per_share))
                .checked_mul(BPS)
                .and_then(|x| x.checked_div(u128::from(reported.max(1))))
                .expect("a u64 × 10000 fits in u128 and the divisor is at least 1");
            if off > p.breaker_bps as u128 {
                let f = fund(state, f_sym)?;
                let detail = if state.rules() >= crate::block::RULES_V2 {
                    let (reported, computed) = (crate::words::value(reported), crate::words::value(c.nav_per_share));
                    format!("reported NAV per share {reported} vs computed {computed}")
                } else {
                    format!("reported NAV per share {reported} vs computed {} (× 10^-8)", c.nav_per_share)
                };
                alert(state, &f, "fund.nav_discrepancy", v.nav, detail, now, ev);
            }
        }
    }
    Ok(())
}

/// Rules version 2: declares the fund's undistributed net income as the day's dividend to its
/// stable classes. Net income is what the fund's net assets at amortized cost (accreted
/// discount, interest accrued, less fees and other liabilities) stand above book value
/// (shares × class price); it is split between the stable classes by book value, rounded down,
/// and credited per share rounded down (`yields::declare`). What rounding leaves stays in the
/// fund and is declared the next day. Market prices take no part: they move the shadow NAV.
fn declare_income(state: &mut State, f: &Fund, at: Time, now: Time, ev: &mut Vec<Event>) -> Result<DayIncome, Refusal> {
    let before = valuation_priced(state, f, at, now, Pricing::AmortizedCost)?;
    // Saturating on purpose: below book there is no income to declare; the shortfall shows in
    // the NAV per share.
    let income = before.nav.saturating_sub(before.book);
    let cash_dec = state.asset(f.cash_asset).decimals;
    let mut dividends = Vec::new();
    for a in &f.classes {
        let c = state.share_classes.get(a).ok_or_else(overflow)?.clone();
        let asset = state.asset(*a).clone();
        if c.nav != NavKind::Stable || !state.yield_classes.contains(a) || before.book == 0 {
            continue;
        }
        let class_book = book_value(asset.supply, c.price, asset.decimals, cash_dec)?;
        let cash = mul_div(income, class_book, before.book)?;
        let shares = cash_to_shares(cash, c.price, asset.decimals, cash_dec)?;
        let credited = yields::declare(state, *a, shares, at.day(), ev)?;
        let rate_ppb = state.yield_classes.get(a).map(|y| y.rate_ppb).unwrap_or(0);
        dividends.push(Dividend {
            asset: asset.symbol.clone(),
            amount: shares_to_cash(credited, c.price, asset.decimals, cash_dec)?,
            rate_ppb,
        });
    }
    Ok(DayIncome { at, amortized_nav: before.nav, book: before.book, income, dividends, shadow_ratio: 0 })
}

/// Rules version 2: an alert the first time the shadow NAV per share (market-based NAV per 1.00
/// of book) stands at least each monitoring threshold away from 1.0000; the fund remembers
/// which thresholds are crossed (in its breaches) until the NAV comes back inside.
fn monitor_shadow_nav(state: &mut State, f: &mut Fund, v: &Valuation, now: Time, ev: &mut Vec<Event>) {
    let has_stable = f.classes.iter().any(|a| state.share_classes.get(a).is_some_and(|c| c.nav == NavKind::Stable));
    if !has_stable {
        return;
    }
    let limits = state.fund_monitoring.get(&f.spec.fund).cloned().unwrap_or_default();
    // |ratio − 1| in hundredths of a basis point (× 10^-8 → bps is ÷ 10^4).
    let off = u128::from(v.ratio.abs_diff(VALUE_SCALE as u64));
    for bps in limits.shadow_nav_alert_bps {
        let key = format!("fund.shadow_nav_deviation.{bps}bps");
        let crossed = off.checked_mul(BPS).is_some_and(|x| x >= u128::from(bps).saturating_mul(VALUE_SCALE));
        let known = f.breaches.contains(&key);
        if crossed && !known {
            let detail = format!(
                "shadow NAV per share {} is {} bps from 1.0000, at or beyond {bps} bps{}",
                format_units(u128::from(v.ratio), oracle::VALUE_DECIMALS as u8),
                format_units(off / 100, 2),
                if v.ratio < VALUE_SCALE as u64 && bps >= 50 {
                    " (below 0.9950: SEC Rule 2a-7's \"breaking the buck\")"
                } else {
                    ""
                },
            );
            alert(state, f, "fund.shadow_nav_deviation", v.nav, detail, now, ev);
            f.breaches.push(key);
        } else if !crossed && known {
            f.breaches.retain(|b| *b != key);
        }
    }
}

/// Block-boundary job: each fund's daily valuations since the last block, then the
/// redemption queue paid in order as far as the fund's cash allows.
pub fn block_job(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    let mut funds: Vec<Symbol> = state.funds.iter().map(|(s, _)| s.clone()).collect();
    funds.sort();
    for f_sym in funds {
        let Ok(f) = fund(state, &f_sym) else { continue };
        let secs = f.spec.params.valuation_seconds as u64;
        // None past the end of time, which is after `now`.
        let valuation_at = |day: u64| day.checked_mul(DAY).and_then(|s| s.checked_add(secs)).map(Time);
        let mut day = f.valued_through_day.checked_add(1).expect("a day number is far below u64::MAX");
        while let Some(at) = valuation_at(day).filter(|at| *at <= now) {
            let mark = state.mark();
            if daily(state, &f_sym, at, now, ev).is_err() {
                // An overflowing valuation changes nothing; the day is still marked done.
                state.rollback(mark);
            }
            if let Ok(mut f) = fund(state, &f_sym) {
                f.valued_through_day = day;
                state.funds.put(f_sym.clone(), f);
            }
            day = day.checked_add(1).expect("day is at most now's day number");
        }
        pay_queue(state, &f_sym, now, ev);
    }
}

/// One liquidity or maturity limit of a fund (F2) against a valuation's measure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LimitCheck {
    /// The alert raised on entering a breach, e.g. `fund.dla_below_minimum`.
    pub rule: &'static str,
    /// `DLA`, `WLA`, `WAM` or `WAL`.
    pub measure: &'static str,
    pub value: u32,
    /// `bps` (of total assets) or `days`.
    pub unit: &'static str,
    /// `min` or `max`.
    pub bound: &'static str,
    pub limit: u32,
    /// Below a minimum or above a maximum.
    pub breached: bool,
}

impl LimitCheck {
    /// The breach in words, as its alert gives it.
    pub fn detail(&self) -> String {
        match self.measure {
            "DLA" => format!("daily liquid assets {} bps < {}", self.value, self.limit),
            "WLA" => format!("weekly liquid assets {} bps < {}", self.value, self.limit),
            m => format!("{m} {} days > {}", self.value, self.limit),
        }
    }
}

/// The fund's liquidity and maturity limits against a valuation's measures: daily and weekly
/// liquid assets at least their minimums, weighted average maturity and life at most their
/// maximums.
pub fn liquidity_checks(p: &FundParams, m: &Metrics) -> [LimitCheck; 4] {
    let check = |rule, measure, value: u32, unit, bound, limit: u32| {
        let breached = if bound == "min" { value < limit } else { value > limit };
        LimitCheck { rule, measure, value, unit, bound, limit, breached }
    };
    [
        check("fund.dla_below_minimum", "DLA", m.dla_bps, "bps", "min", p.min_dla_bps),
        check("fund.wla_below_minimum", "WLA", m.wla_bps, "bps", "min", p.min_wla_bps),
        check("fund.wam_above_maximum", "WAM", m.wam_days, "days", "max", p.max_wam_days),
        check("fund.wal_above_maximum", "WAL", m.wal_days, "days", "max", p.max_wal_days),
    ]
}
