//! `tessera report fund F`: a fund's NAV, yield and payout history from its daily valuations,
//! with a chart (SVG) of NAV per share and the daily yield.

use crate::views::{fixed8, pct8};
use tessera_core::fund::{self};
use tessera_core::state::State;
use tessera_core::units::format_amount;
use tessera_core::*;

pub use tessera_node::present::fund::{date, svg};
pub use tessera_node::query::{fund_history as history, fund_report as build, payouts, FundReport, PayoutRow};

/// Rules version 2: the dividends' total and the shadow NAV against its alert thresholds (SEC
/// Rule 2a-7's 0.9950 is 50 bps), with the alerts raised.
fn shadow_nav_lines(st: &State, r: &FundReport, cash_dec: u8) -> Vec<String> {
    if r.income.is_empty() {
        return Vec::new();
    }
    let mut out = vec![String::new()];
    let declared: Amount = r.income.iter().flat_map(|i| i.dividends.iter()).map(|x| x.amount).sum();
    out.push(format!(
        "dividends declared from net income: {} over {} days (each day's income at amortized cost, less fees)",
        format_amount(declared, cash_dec, &cash_symbol(st, r)),
        r.income.len()
    ));
    let thresholds: Vec<String> = r.shadow_nav_alert_bps.iter().map(|b| format!("{b} bps")).collect();
    let off_bps = |ratio: u64| ratio.abs_diff(100_000_000) as f64 / 10_000.0;
    if let (Some(last), Some(worst)) =
        (r.income.last(), r.income.iter().max_by_key(|i| i.shadow_ratio.abs_diff(100_000_000)))
    {
        out.push(format!(
            "shadow NAV per share: {} now ({:.2} bps from 1.0000), furthest {} on {} ({:.2} bps); alerts at {}",
            fixed8(last.shadow_ratio),
            off_bps(last.shadow_ratio),
            fixed8(worst.shadow_ratio),
            date(worst.at),
            off_bps(worst.shadow_ratio),
            tessera_core::words::and_list(&thresholds)
        ));
    }
    let alerts: Vec<String> = st
        .alerts
        .sorted()
        .into_iter()
        .filter(|(_, a)| a.rule == "fund.shadow_nav_deviation" && a.asset == r.fund)
        .map(|(_, a)| format!("  alert #{} {}: {}", a.id, a.time, a.detail))
        .collect();
    if alerts.is_empty() {
        out.push("  no shadow-NAV alerts".into());
    }
    out.extend(alerts);
    out
}

/// The fund's cash token's symbol (empty for a fund the state does not hold).
fn cash_symbol(st: &State, r: &FundReport) -> String {
    fund::fund(st, &r.fund).map(|f| st.asset(f.cash_asset).symbol.as_str().to_string()).unwrap_or_default()
}

pub fn human(st: &State, r: &FundReport) -> String {
    let mut out =
        tessera_node::query::fund_view(st, &r.fund).and_then(|v| crate::views::fund_lines(&v, st)).unwrap_or_default();
    let cash_dec = fund::fund(st, &r.fund).map(|f| st.asset(f.cash_asset).decimals).unwrap_or(0);
    let cash_sym = cash_symbol(st, r);
    out.push(String::new());
    // Under rules version 2 a stable class's NAV per share is its shadow NAV (market-based),
    // and each day shows the dividend declared from the fund's net income.
    let income_on = |at: Time| r.income.iter().find(|i| i.at == at);
    out.push(format!(
        "{:<10} {:>20} {:>12} {:>16} {:>9} {:>9} {:>7} {:>7} {:>5}",
        "day",
        format!("NAV ({cash_sym})"),
        if r.income.is_empty() { "NAV/share" } else { "shadow NAV" },
        format!("dividend ({cash_sym})"),
        "gross",
        "net",
        "DLA",
        "WLA",
        "WAM"
    ));
    for d in &r.days {
        let first = d.classes.first();
        let dividend = income_on(d.at)
            .map(|i| format_units(i.dividends.iter().map(|x| x.amount).sum(), cash_dec))
            .unwrap_or_else(|| "-".into());
        out.push(format!(
            "{:<10} {:>20} {:>12} {:>16} {:>9} {:>9} {:>6.1}% {:>6.1}% {:>4}d{}",
            date(d.at),
            format_units(d.nav, cash_dec),
            first.map(|c| fixed8(c.nav_per_share)).unwrap_or_default(),
            dividend,
            d.gross_yield.map(pct8).unwrap_or_else(|| "-".into()),
            first.map(|c| pct8(c.rate_ppb / 10)).unwrap_or_default(),
            d.metrics.dla_bps as f64 / 100.0,
            d.metrics.wla_bps as f64 / 100.0,
            d.metrics.wam_days,
            if d.halted { "  HALTED" } else { "" }
        ));
    }
    out.extend(shadow_nav_lines(st, r, cash_dec));
    out.push(String::new());
    if r.payouts.is_empty() {
        out.push("no payouts yet".into());
    }
    for p in &r.payouts {
        let dec = st.asset_idx(&p.class).map(|a| st.asset(a).decimals).unwrap_or(0);
        out.push(format!(
            "payout {}  {} as new tokens",
            date(p.day),
            format_amount(p.paid_units, dec, p.class.as_str())
        ));
    }
    out.push(format!("management fee paid: {}", format_amount(r.fee_paid_units, cash_dec, &cash_sym)));
    if let Some(c) = &r.chart {
        out.push(format!("chart: {c}"));
    }
    out.join("\n")
}
