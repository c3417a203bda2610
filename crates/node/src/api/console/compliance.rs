//! Compliance: refusals by rule over time (from the journal's receipts: every refusal for
//! auditors and compliance officers, a party's own transactions' for a party), the monitoring
//! alerts (auditors and compliance officers only) and the sanctions lists in force.

use super::overview::sign_in_needed;
use super::{csv_link, problem_page, read, refusal_box, render, session_csv, time, wallet, Decimals, Page, Visitor, S};
use crate::api::problem::Problem;
use crate::query::{self as q};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::html;
use std::collections::BTreeMap;

const VIEW: &str = "/console/compliance";

/// Days of refusals the page shows (the CSV has every day).
pub const REFUSAL_DAYS: u64 = 90;

/// The refusals the viewer may count, by day and rule, from `since` (the refusal log reads
/// the journal once, then only its new blocks).
async fn refusals(api: &S, viewer: &q::Viewer, since: tessera_core::Time) -> Result<Vec<q::RefusalCount>, Problem> {
    let head = api.durable_height();
    let viewer = viewer.clone();
    let me = api.clone();
    api.journal(move |s| me.refusals.counts(s, head, &viewer, since)).await
}

/// The first day the page shows: [`REFUSAL_DAYS`] back from the head block's day.
async fn page_since(api: &S) -> Result<tessera_core::Time, Problem> {
    let head_time = read(api, |c| Ok(c.head.time)).await?;
    Ok(tessera_core::Time(head_time.0.saturating_sub((REFUSAL_DAYS - 1) * tessera_core::time::SECONDS_PER_DAY)))
}

pub async fn page(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    if visitor.viewer.authenticated().is_err() {
        return problem_page(&api, &visitor, &headers, VIEW, sign_in_needed("compliance"));
    }
    let viewer = visitor.viewer.clone();
    let counts = match page_since(&api).await {
        Ok(since) => refusals(&api, &viewer, since).await,
        Err(p) => Err(p),
    };
    let counts = match counts {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, VIEW, p),
    };
    let got = read(&api, |c| {
        let st = &c.state;
        // Alerts are for auditors and compliance officers: anyone else sees the refusal itself.
        let alerts = q::alerts(st, &viewer).map_err(Problem::from);
        Ok((alerts, q::sanctions_lists(st, &viewer)?, Decimals::of(st)))
    })
    .await;
    let (alerts, lists, dec) = match got {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, VIEW, p),
    };
    // Days down, codes across: one row per day, the codes any day saw as columns.
    let codes: Vec<&str> = {
        let mut c: Vec<&str> = counts.iter().map(|r| r.code.as_str()).collect();
        c.sort();
        c.dedup();
        c
    };
    let mut days: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for r in &counts {
        days.entry(r.day.as_str()).or_default().insert(r.code.as_str(), r.count);
    }
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for r in &counts {
        *totals.entry(r.code.as_str()).or_default() += r.count;
    }
    let main = html! {
        h1 { "Compliance" }
        section aria-labelledby="refusals-h" {
            h2 #refusals-h { "Refusals by rule" }
            p { @if viewer.sees_all { "Every refused transaction" } @else { "Your refused transactions" }
                ", by day (UTC) and the rule that refused them, over the last " (REFUSAL_DAYS) " days (the CSV has every day)." }
            (csv_link("/console/compliance/refusals.csv"))
            @if counts.is_empty() { p { "No refusals." } } @else {
                table #refusals {
                    thead { tr {
                        th scope="col" { "Day" }
                        @for c in &codes { th scope="col" .num { code { (c) } } }
                    } }
                    tbody {
                        @for (day, by_code) in days.iter().rev() {
                            tr data-day=(day) {
                                th scope="row" { (day) }
                                @for c in &codes {
                                    td.num data-code=(c) { (by_code.get(c).copied().unwrap_or(0)) }
                                }
                            }
                        }
                    }
                    tfoot { tr {
                        th scope="row" { "Total" }
                        @for c in &codes { td.num data-code=(c) { (totals.get(c).copied().unwrap_or(0)) } }
                    } }
                }
            }
        }
        section aria-labelledby="alerts-h" {
            h2 #alerts-h { "Monitoring alerts" }
            @match &alerts {
                Err(p) => (refusal_box(p.code.as_str(), &p.detail)),
                Ok(alerts) => {
                    (csv_link("/console/compliance/alerts.csv"))
                    @if alerts.is_empty() { p { "No alerts." } } @else {
                        table #alerts {
                            thead { tr {
                                th scope="col" .num { "Id" } th scope="col" { "Time" } th scope="col" { "Rule" }
                                th scope="col" { "Wallet" } th scope="col" .num { "Amount" } th scope="col" { "Detail" }
                            } }
                            tbody {
                                @for a in alerts.iter().rev() {
                                    tr data-alert=(a.id) data-rule=(a.rule) {
                                        th scope="row" .num { (a.id) }
                                        td { (time(a.time)) }
                                        td { code { (a.rule) } }
                                        td { (wallet(&a.wallet)) }
                                        td.num { (dec.amount(a.amount, a.asset.as_str())) }
                                        td { (a.detail) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="sanctions-h" {
            h2 #sanctions-h { "Sanctions lists in force" }
            (csv_link("/console/compliance/sanctions.csv"))
            @if lists.is_empty() { p #sanctions-none { "No sanctions list is loaded: nothing is screened." } } @else {
                table #sanctions {
                    thead { tr {
                        th scope="col" { "List (source)" } th scope="col" .num { "Entries" }
                        th scope="col" { "Loaded" } th scope="col" { "Last entry added" }
                    } }
                    tbody {
                        @for l in &lists {
                            tr data-source=(l.source) {
                                th scope="row" { (l.source) }
                                td.num { (l.entries) }
                                td { (time(l.first_loaded)) }
                                td { (time(l.last_loaded)) }
                            }
                        }
                    }
                }
            }
        }
    };
    render(&api, &visitor, &headers, Page::new("Compliance", VIEW, main))
}

/// The refusal counts as CSV (day, code, count): the read model's rows.
pub async fn refusals_csv(State(api): State<S>, visitor: Visitor) -> Response {
    if visitor.viewer.authenticated().is_err() {
        return super::csv_refused(&visitor, sign_in_needed("compliance"));
    }
    match refusals(&api, &visitor.viewer, tessera_core::Time(0)).await {
        Ok(rows) => super::csv(&visitor, "refusals.csv", &rows),
        Err(p) => super::csv_refused(&visitor, p),
    }
}

/// The alerts as CSV: the rows `/v1/alerts` answers.
pub async fn alerts_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "alerts.csv", "compliance", |st, v| q::alerts(st, v).map(|rows| q::answer(st, &rows)))
        .await
}

/// The sanctions lists as CSV: the read model's rows.
pub async fn sanctions_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "sanctions.csv", "compliance", q::sanctions_lists).await
}
