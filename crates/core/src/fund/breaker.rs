//! The NAV breaker: alerts, halting a fund when a feed trips, and governance's reset (F6).

use super::*;

pub(super) fn alert(
    state: &mut State,
    f: &Fund,
    rule: &str,
    amount: Amount,
    detail: String,
    now: Time,
    ev: &mut Vec<Event>,
) {
    let a = Alert {
        id: 0,
        time: now,
        height: 0,
        rule: rule.into(),
        asset: f.spec.fund.clone(),
        wallet: state.wallet(f.cash_wallet).key,
        counterparty: None,
        amount,
        tx: Hash::default(),
        detail,
    };
    state.raise_alert(a, ev);
}

/// Halts a fund's subscriptions and redemptions (the breaker) and raises an alert.
pub fn halt(state: &mut State, f_sym: &Symbol, reason: &str, now: Time, ev: &mut Vec<Event>) {
    let Ok(mut f) = fund(state, f_sym) else { return };
    if f.halted.is_some() {
        return;
    }
    f.halted = Some(reason.to_string());
    f.tripped_since_valuation = true;
    alert(state, &f, "fund.breaker", 0, reason.to_string(), now, ev);
    ev.push(fe(FundEvent::BreakerTripped { fund: f_sym.clone(), reason: reason.to_string() }));
    state.funds.put(f_sym.clone(), f);
}

/// A feed tripped: halt every fund whose yield or NAV feed it is or whose positions it prices.
pub fn trip_for_feed(state: &mut State, feed: &str, detail: &str, now: Time, ev: &mut Vec<Event>) {
    let mut hit: Vec<Symbol> = state
        .funds
        .iter()
        .filter(|(_, f)| {
            f.spec.params.yield_feed.as_deref() == Some(feed) || f.spec.params.nav_feed.as_deref() == Some(feed)
        })
        .map(|(s, _)| s.clone())
        .collect();
    for ((fs, _), p) in state.positions.iter() {
        if let Some(c) = p.instrument.cusip() {
            if feed == format!("PX:{c}") || feed == format!("YLD:{c}") {
                hit.push(fs.clone());
            }
        }
    }
    hit.sort();
    hit.dedup();
    for f in hit {
        halt(state, &f, detail, now, ev);
    }
}

/// Governance clears the breaker: the fund resumes and its feeds re-base on their current value.
pub fn reset_breaker(cx: &mut Ctx, f_sym: &Symbol, reason: &str) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut f = fund(state, f_sym)?;
    if f.halted.is_none() {
        return refuse(Code::FundNotHalted, format!("fund {f_sym} is not halted"));
    }
    f.halted = None;
    let mut feeds: Vec<String> =
        [f.spec.params.yield_feed.clone(), f.spec.params.nav_feed.clone()].into_iter().flatten().collect();
    for p in positions(state, f_sym) {
        if let Some(c) = p.instrument.cusip() {
            feeds.push(format!("PX:{c}"));
            feeds.push(format!("YLD:{c}"));
        }
    }
    for feed in feeds {
        oracle::reset_feed(state, &feed, now);
    }
    state.funds.put(f_sym.clone(), f);
    ev.push(fe(FundEvent::BreakerReset { fund: f_sym.clone(), reason: reason.to_string() }));
    Ok(())
}

impl Action for ResetBreaker {
    fn authority(&self) -> (OpClass, Need) {
        // Resuming a halted fund is governance's call: sensitive (M-of-N).
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let ResetBreaker { fund, reason: r } = self;
        check_symbol(fund)?;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let ResetBreaker { fund: f, reason } = self;
        reset_breaker(cx, f, reason)
    }
}

/// At most this many thresholds, each at most 10,000 bps (a NAV of zero).
const MAX_SHADOW_ALERTS: usize = 8;

impl Action for SetShadowNavAlerts {
    fn authority(&self) -> (OpClass, Need) {
        // Loosening a risk control is governance's call, like resuming a halted fund.
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SetShadowNavAlerts { fund, bps } = self;
        check_symbol(fund)?;
        let ascending = bps.windows(2).all(|w| w[0] < w[1]);
        if bps.is_empty()
            || bps.len() > MAX_SHADOW_ALERTS
            || !ascending
            || bps.iter().any(|b| !(1..=10_000).contains(b))
        {
            return refuse(
                Code::FundBadSpec,
                format!("shadow-NAV alert thresholds: 1 to {MAX_SHADOW_ALERTS} distinct basis points from 1 to 10000, ascending (e.g. [25, 50])"),
            );
        }
        Ok(())
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetShadowNavAlerts { fund: f_sym, bps } = self;
        let state = &mut *cx.state;
        let mut f = fund(state, f_sym)?;
        if state.rules() < crate::block::RULES_V2 {
            return refuse(
                Code::FundBadSpec,
                "shadow-NAV monitoring needs rules version 2 (a ledger created by this release)",
            );
        }
        // Thresholds no longer set are forgotten; the next valuation alerts afresh on the new ones.
        f.breaches.retain(|b| !b.starts_with("fund.shadow_nav_deviation."));
        state.funds.put(f_sym.clone(), f);
        state.fund_monitoring.put(f_sym.clone(), Monitoring { shadow_nav_alert_bps: bps.clone() });
        cx.events.push(fe(FundEvent::ShadowNavAlertsSet { fund: f_sym.clone(), bps: bps.clone() }));
        Ok(())
    }
}
