//! Funds: NAV per share and daily yield (the chart `tessera report fund` draws), distributions
//! (payouts as new tokens, dividends declared from net income), liquidity against the fund's
//! limits, the redemption queue (the viewer's own; all for auditors), fees, and a
//! reconciliation against a custodian statement the viewer pastes (breaks and reserve ratio,
//! computed by the same core function as `tessera reconcile`).
//!
//! What a fund publishes (valuations, positions, fees) is public; redemptions follow the read
//! model's rule.

use super::overview::urlencode;
use super::{
    amount_of, bps, csv, csv_link, csv_refused, fixed, problem_page, read, refusal_box, render, time, trusted_svg,
    Page, Visitor, S,
};
use crate::api::problem::Problem;
use crate::query::{self as q};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use tessera_core::fund::{LimitCheck, Reconciliation, Redemption, RedemptionStatus};
use tessera_core::{Code, Refusal, Symbol};

const VIEW: &str = "/console/fund";

/// `/console/fund`: the only fund, or the list of funds.
pub async fn index(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    let funds = match read(&api, |c| q::funds(&c.state, None)).await {
        Ok(f) => f,
        Err(p) => return problem_page(&api, &visitor, &headers, VIEW, p),
    };
    if let [only] = funds.as_slice() {
        return visitor.finish(Redirect::to(&fund_href(&only.spec.fund)).into_response());
    }
    let main = html! {
        h1 { "Funds" }
        @if funds.is_empty() { p { "This ledger holds no fund." } } @else {
            table #funds {
                thead { tr { th scope="col" { "Fund" } th scope="col" { "Name" } th scope="col" { "Manager" } th scope="col" { "State" } } }
                tbody {
                    @for f in &funds {
                        tr data-fund=(f.spec.fund.as_str()) {
                            th scope="row" { a href=(fund_href(&f.spec.fund)) { (f.spec.fund.as_str()) } }
                            td { (f.spec.name) }
                            td { (f.spec.manager) }
                            td { @if let Some(why) = &f.halted { strong.bad { "halted: " (why) } } @else { "dealing" } }
                        }
                    }
                }
            }
        }
    };
    render(&api, &visitor, &headers, Page::new("Funds", VIEW, main))
}

fn fund_href(f: &Symbol) -> String {
    format!("/console/fund/{}", urlencode(f.as_str()))
}

/// What one fund page shows, read under one lock.
struct FundPage {
    view: q::FundView,
    report: q::FundReport,
    limits: Vec<LimitCheck>,
    classes: Vec<(Symbol, u8, u32, u32)>,
    cash: (String, u8),
    /// The viewer's redemptions of this fund, or why they may not see any.
    redemptions: Result<Vec<Redemption>, Problem>,
    fee_accrued: tessera_core::Amount,
}

fn fund_page(c: &tessera_core::exec::Chain, viewer: &q::Viewer, f: &Symbol) -> Result<FundPage, Refusal> {
    let st = &c.state;
    let view = q::fund_view(st, f)?;
    let report = q::fund_report(st, f)?;
    let limits = view
        .latest_valuation
        .as_ref()
        .map(|v| tessera_core::fund::liquidity_checks(&view.fund.spec.params, &v.metrics).to_vec())
        .unwrap_or_default();
    let classes = view
        .fund
        .classes
        .iter()
        .map(|a| {
            let asset = st.asset(*a);
            let (fee, redemption_fee) =
                st.share_classes.get(a).map(|s| (s.fee_bps, s.spec.redemption_fee_bps)).unwrap_or((0, 0));
            (asset.symbol.clone(), asset.decimals, fee, redemption_fee)
        })
        .collect();
    let cash_asset = st.asset(view.fund.cash_asset);
    let redemptions =
        q::redemptions(st, viewer).map(|rs| rs.into_iter().filter(|r| &r.fund == f).collect()).map_err(Problem::from);
    Ok(FundPage {
        fee_accrued: view.fund.fee_accrued(),
        view,
        report,
        limits,
        classes,
        cash: (cash_asset.symbol.as_str().to_string(), cash_asset.decimals),
        redemptions,
    })
}

fn symbol_of(f: &str) -> Result<Symbol, Problem> {
    if f.is_empty() || f.len() > 16 {
        return Err(Problem::new(Code::ApiBadRequest, "a fund symbol is 1 to 16 characters"));
    }
    Ok(Symbol::new(f))
}

/// `/console/fund/{fund}`.
pub async fn page(State(api): State<S>, visitor: Visitor, headers: HeaderMap, Path(f): Path<String>) -> Response {
    show(&api, &visitor, &headers, &f, None).await
}

#[derive(Deserialize)]
pub struct StatementForm {
    statement: String,
}

/// `POST /console/fund/{fund}/reconcile`: the page, with the fund reconciled against the
/// statement posted.
pub async fn reconcile(
    State(api): State<S>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(f): Path<String>,
    Form(form): Form<StatementForm>,
) -> Response {
    let rec = reconciliation(&api, &f, &form.statement).await;
    show(&api, &visitor, &headers, &f, Some((form.statement, rec))).await
}

/// `POST /console/fund/{fund}/reconcile.csv`: the breaks as CSV (the `breaks` of
/// `tessera reconcile --json`).
pub async fn reconcile_csv(
    State(api): State<S>,
    visitor: Visitor,
    Path(f): Path<String>,
    Form(form): Form<StatementForm>,
) -> Response {
    match reconciliation(&api, &f, &form.statement).await {
        Ok(rec) => csv(&visitor, "breaks.csv", &rec.breaks),
        Err(p) => csv_refused(&visitor, p),
    }
}

/// The fund against a custodian statement (CSV: instrument,quantity,price), as of the ledger's
/// head: `tessera reconcile`'s computation.
async fn reconciliation(api: &S, f: &str, statement: &str) -> Result<Reconciliation, Problem> {
    let f = symbol_of(f)?;
    let lines = tessera_core::statement::parse_statement(statement)
        .map_err(|e| Problem::new(Code::FundBadStatement, format!("the statement: {e}")))?;
    read(api, |c| tessera_core::fund::reconcile(&c.state, &f, &lines, c.head.time)).await
}

async fn show(
    api: &S,
    visitor: &Visitor,
    headers: &HeaderMap,
    f: &str,
    reconciled: Option<(String, Result<Reconciliation, Problem>)>,
) -> Response {
    let f = match symbol_of(f) {
        Ok(f) => f,
        Err(p) => return problem_page(api, visitor, headers, VIEW, p),
    };
    let viewer = visitor.viewer.clone();
    let fp = match read(api, |c| fund_page(c, &viewer, &f)).await {
        Ok(v) => v,
        Err(p) => return problem_page(api, visitor, headers, VIEW, p),
    };
    let main = fund_main(&fp, visitor, reconciled);
    render(api, visitor, headers, Page::new(format!("Fund {}", f.as_str()), VIEW, main))
}

fn class_decimals(fp: &FundPage, class: &Symbol) -> u8 {
    fp.classes.iter().find(|(s, ..)| s == class).map(|(_, d, ..)| *d).unwrap_or(0)
}

fn fund_main(
    fp: &FundPage,
    visitor: &Visitor,
    reconciled: Option<(String, Result<Reconciliation, Problem>)>,
) -> Markup {
    let fund = &fp.view.fund;
    let sym = fund.spec.fund.as_str();
    let (cash_sym, cash_dec) = (fp.cash.0.as_str(), fp.cash.1);
    let last = fp.view.latest_valuation.as_ref();
    let report = &fp.report;
    let base = fund_href(&fund.spec.fund);
    let declared: Vec<(&tessera_core::fund::DayIncome, &tessera_core::fund::Dividend)> = report
        .income
        .iter()
        .flat_map(|i| i.dividends.iter().map(move |d| (i, d)))
        .filter(|(_, d)| d.amount > 0)
        .collect();
    html! {
        h1 { (fund.spec.name) " (" (sym) ")" }
        dl.facts #fund-facts {
            dt { "Manager" } dd { (fund.spec.manager) }
            dt { "State" } dd #fund-state { @if let Some(why) = &fund.halted { strong.bad { "halted: " (why) } } @else { "dealing" } }
            @if let Some(v) = last {
                dt { "Net assets" } dd #fund-nav { (amount_of(v.nav, cash_dec, cash_sym)) }
                dt { "Valued" } dd { (time(v.at)) }
                @for c in &v.classes {
                    dt { (c.asset.as_str()) " NAV per share" }
                    dd data-class=(c.asset.as_str()) .nav-per-share { (fixed(c.nav_per_share, 8, 5))
                        @if c.rate_ppb > 0 { " · today's yield " (fixed(c.rate_ppb, 7, 3)) "% a year" } }
                }
            } @else {
                dt { "Valued" } dd { "not yet" }
            }
            dt { "Cash on the ledger" } dd { (amount_of(fp.view.cash_on_ledger_units, cash_dec, cash_sym)) }
            dt { "Positions" } dd { (fp.view.positions.len()) }
        }
        section aria-labelledby="chart-h" {
            h2 #chart-h { "NAV per share and daily yield" }
            @if report.days.is_empty() { p { "No valuation yet: nothing to draw." } } @else {
                figure.chart #fund-chart {
                    (trusted_svg(crate::present::fund::svg(report)))
                    figcaption { (report.days.len()) " daily valuations; the same chart as " code { "tessera report fund " (sym) } "." }
                }
                (csv_link(&format!("{base}/valuations.csv")))
            }
        }
        section aria-labelledby="distributions-h" {
            h2 #distributions-h { "Distributions" }
            (csv_link(&format!("{base}/payouts.csv")))
            @if report.payouts.is_empty() { p { "No payouts yet." } } @else {
                table #payouts {
                    thead { tr { th scope="col" { "Day" } th scope="col" { "Class" } th scope="col" .num { "Paid as new tokens" } } }
                    tbody {
                        @for p in report.payouts.iter().rev() {
                            tr data-day=(crate::present::fund::date(p.day)) data-class=(p.class.as_str()) {
                                th scope="row" { (time(p.day)) }
                                td { (p.class.as_str()) }
                                td.num { (amount_of(p.paid_units, class_decimals(fp, &p.class), p.class.as_str())) }
                            }
                        }
                    }
                }
            }
            @if !declared.is_empty() {
                h3 { "Dividends declared from net income" }
                table #dividends {
                    thead { tr { th scope="col" { "Day" } th scope="col" { "Class" } th scope="col" .num { "Declared" } th scope="col" .num { "Shadow NAV" } } }
                    tbody {
                        @for (i, d) in declared.iter().rev() {
                            tr data-day=(crate::present::fund::date(i.at)) data-class=(d.asset.as_str()) {
                                th scope="row" { (time(i.at)) }
                                td { (d.asset.as_str()) }
                                td.num { (amount_of(d.amount, cash_dec, cash_sym)) }
                                td.num { (fixed(i.shadow_ratio, 8, 4)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="liquidity-h" {
            h2 #liquidity-h { "Liquidity" }
            @if fp.limits.is_empty() { p { "Not valued yet." } } @else {
                (csv_link(&format!("{base}/liquidity.csv")))
                table #liquidity {
                    thead { tr { th scope="col" { "Measure" } th scope="col" .num { "Now" } th scope="col" .num { "Limit" } th scope="col" { "" } } }
                    tbody {
                        @for l in &fp.limits {
                            tr data-measure=(l.measure) data-breached=(l.breached) {
                                th scope="row" { (measure_name(l.measure)) }
                                td.num { (limit_value(l.value, l.unit)) }
                                td.num { @if l.bound == "min" { "at least " } @else { "at most " } (limit_value(l.limit, l.unit)) }
                                td { @if l.breached { strong.bad { "breached" } } @else { "within" } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="redemptions-h" {
            h2 #redemptions-h { "Redemption queue" }
            @match &fp.redemptions {
                Err(_) if !visitor.signed_in() => p { a href="/console/signin" { "Sign in" } " to see your redemptions." },
                Err(p) => (refusal_box(p.code.as_str(), &p.detail)),
                Ok(rs) => {
                    p { (rs.iter().filter(|r| r.status == RedemptionStatus::Queued).count()) " queued; "
                        (amount_of(fund.queued, cash_dec, cash_sym)) " owed on the whole queue." }
                    (csv_link(&format!("{base}/redemptions.csv")))
                    @if rs.is_empty() { p { "No redemptions of this fund concern you." } } @else {
                        table #redemptions {
                            thead { tr {
                                th scope="col" .num { "Id" } th scope="col" { "Class" } th scope="col" { "Wallet" } th scope="col" .num { "Shares" }
                                th scope="col" .num { "Owed" } th scope="col" .num { "Fee" } th scope="col" { "Requested" } th scope="col" { "Status" }
                            } }
                            tbody {
                                @for r in rs {
                                    tr data-redemption=(r.id) {
                                        th scope="row" .num { (r.id) }
                                        td { (r.class.as_str()) }
                                        td { (super::wallet(&r.wallet)) }
                                        td.num { (amount_of(r.shares, class_decimals(fp, &r.class), r.class.as_str())) }
                                        td.num { (amount_of(r.amount, cash_dec, cash_sym)) }
                                        td.num { (amount_of(r.fee, cash_dec, cash_sym)) }
                                        td { (time(r.requested_at)) }
                                        td { (r.status) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="fees-h" {
            h2 #fees-h { "Fees" }
            dl.facts #fees {
                @for (class, _, fee, redemption_fee) in &fp.classes {
                    dt { (class.as_str()) } dd { "management " (bps(u64::from(*fee))) " a year"
                        @if *redemption_fee > 0 { ", redemption " (bps(u64::from(*redemption_fee))) } }
                }
                dt { "Management fee accrued" } dd #fee-accrued { (amount_of(fp.fee_accrued, cash_dec, cash_sym)) }
                dt { "Management fee paid" } dd #fee-paid { (amount_of(report.fee_paid_units, cash_dec, cash_sym)) }
                @if fund.spec.params.liquidity_fee_bps > 0 {
                    dt { "Liquidity fee" } dd { (bps(u64::from(fund.spec.params.liquidity_fee_bps))) " while weekly liquid assets are below "
                        (bps(u64::from(fund.spec.params.liquidity_fee_below_wla_bps))) }
                }
            }
        }
        section aria-labelledby="reconcile-h" {
            h2 #reconcile-h { "Reconciliation and reserve ratio" }
            p { "Paste the custodian's statement (CSV: instrument,quantity,price; cash as " code { "CASH-USD,amount," }
                "): the ledger's positions, cash and obligations are compared with it, as " code { "tessera reconcile" } " does." }
            @match &reconciled {
                Some((_, Err(p))) => (refusal_box(p.code.as_str(), &p.detail)),
                Some((statement, Ok(rec))) => (reconciliation_markup(rec, &base, statement)),
                None => {}
            }
            form method="post" action=(format!("{base}/reconcile")) #reconcile-form {
                label for="statement" { "Custodian statement" }
                textarea #statement name="statement" rows="6" required { @if let Some((s, _)) = &reconciled { (s) } }
                button type="submit" { "Reconcile" }
            }
        }
    }
}

fn reconciliation_markup(rec: &Reconciliation, base: &str, statement: &str) -> Markup {
    let money = |text: &str| tessera_core::fund::money_text(text, rec.decimals, &rec.cash_asset);
    html! {
        dl.facts #reconciliation data-agrees=(rec.agrees()) {
            dt { "Verdict" } dd #verdict { @if rec.agrees() { "agrees" } @else { strong.bad { (rec.verdict()) } } }
            dt { "Reserve ratio" } dd #reserve-ratio { (rec.reserve_ratio.as_deref().unwrap_or("— (nothing owed)")) }
            dt { "Custodian value" } dd { (money(&rec.custodian_value)) }
            dt { "Cash on the ledger" } dd { (money(&rec.ledger_cash)) }
            dt { "Repo (at ledger value)" } dd { (money(&rec.repo)) }
            dt { "Obligations" } dd { (money(&rec.obligations)) }
            dt { "As of" } dd { (time(rec.at)) }
        }
        @if rec.breaks.is_empty() { p { "No breaks." } } @else {
            form method="post" action=(format!("{base}/reconcile.csv")) {
                input type="hidden" name="statement" value=(statement);
                button.csv type="submit" { "Download CSV" }
            }
            table #breaks {
                thead { tr {
                    th scope="col" { "Instrument" } th scope="col" { "Break" } th scope="col" .num { "Ledger" }
                    th scope="col" .num { "Custodian" } th scope="col" .num { "Difference" }
                } }
                tbody {
                    @for b in &rec.breaks {
                        tr data-instrument=(b.instrument) data-kind=(b.kind) {
                            th scope="row" { (b.instrument) }
                            td { (b.kind.replace('_', " ")) }
                            td.num { (b.ledger) }
                            td.num { (b.custodian) }
                            td.num { (b.difference) }
                        }
                    }
                }
            }
        }
    }
}

fn measure_name(m: &str) -> &'static str {
    match m {
        "DLA" => "Daily liquid assets (DLA)",
        "WLA" => "Weekly liquid assets (WLA)",
        "WAM" => "Weighted average maturity (WAM)",
        _ => "Weighted average life (WAL)",
    }
}

fn limit_value(v: u32, unit: &str) -> String {
    if unit == "bps" {
        bps(u64::from(v))
    } else {
        format!("{v} days")
    }
}

/// A table of a fund as CSV.
async fn fund_csv<T: serde::Serialize>(
    api: &S,
    visitor: Visitor,
    f: &str,
    file: &str,
    rows: impl FnOnce(&tessera_core::exec::Chain, &q::Viewer, &Symbol) -> Result<T, Refusal>,
) -> Response {
    let f = match symbol_of(f) {
        Ok(f) => f,
        Err(p) => return csv_refused(&visitor, p),
    };
    let viewer = visitor.viewer.clone();
    match read(api, |c| rows(c, &viewer, &f)).await {
        Ok(rows) => csv(&visitor, file, &rows),
        Err(p) => csv_refused(&visitor, p),
    }
}

/// The daily valuations as CSV: the `days` of `/v1/funds/{fund}/report`.
pub async fn valuations_csv(State(api): State<S>, visitor: Visitor, Path(f): Path<String>) -> Response {
    fund_csv(&api, visitor, &f, "valuations.csv", |c, _, f| {
        // The days as `/v1/funds/{fund}/report` writes them: amounts twice.
        Ok(q::answer(&c.state, &q::fund_report(&c.state, f)?)["days"].take())
    })
    .await
}

/// The payouts as CSV: the `payouts` of `/v1/funds/{fund}/report`.
pub async fn payouts_csv(State(api): State<S>, visitor: Visitor, Path(f): Path<String>) -> Response {
    fund_csv(&api, visitor, &f, "payouts.csv", |c, _, f| Ok(q::fund_report(&c.state, f)?.payouts)).await
}

/// The liquidity measures against their limits as CSV.
pub async fn liquidity_csv(State(api): State<S>, visitor: Visitor, Path(f): Path<String>) -> Response {
    fund_csv(&api, visitor, &f, "liquidity.csv", |c, _, f| {
        let v = q::fund_view(&c.state, f)?;
        Ok(v.latest_valuation
            .map(|l| tessera_core::fund::liquidity_checks(&v.fund.spec.params, &l.metrics).to_vec())
            .unwrap_or_default())
    })
    .await
}

/// The viewer's redemptions of this fund as CSV: the rows of `/v1/redemptions` for this fund.
pub async fn redemptions_csv(State(api): State<S>, visitor: Visitor, Path(f): Path<String>) -> Response {
    if visitor.viewer.authenticated().is_err() {
        return csv_refused(&visitor, super::overview::sign_in_needed("your redemptions"));
    }
    fund_csv(&api, visitor, &f, "redemptions.csv", |c, v, f| {
        tessera_core::fund::fund(&c.state, f)?;
        let rows: Vec<_> = q::redemptions(&c.state, v)?.into_iter().filter(|r| &r.fund == f).collect();
        Ok(q::answer(&c.state, &rows))
    })
    .await
}
