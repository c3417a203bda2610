//! Collateral: each clearing house's margin coverage per member (requirement, counted coverage,
//! shortfall, concentration usage), margin calls with a live countdown to their deadline,
//! pledges and loans. A clearing house sees its members, a member its own account, lender and
//! borrower their loan, auditors and compliance officers everything (the read model decides).

use super::overview::sign_in_needed;
use super::{
    amount, amount_of, bps, countdown, csv_link, problem_page, read, render, session_csv, time, wallet, Page, Visitor,
    S,
};
use crate::query::{self as q};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use maud::html;
use tessera_core::{Code, Refusal};

const VIEW: &str = "/console/collateral";

/// The margin reports of every clearing house the viewer may read (others are left out: the
/// read model refuses them).
fn margin_reports(st: &tessera_core::state::State, viewer: &q::Viewer) -> Result<Vec<q::MarginReport>, Refusal> {
    let mut out = Vec::new();
    for (ccp, _) in st.clearing_houses.sorted() {
        match q::margin_report(st, viewer, ccp.as_str()) {
            Ok(r) => out.push(r),
            Err(e) if e.code == Code::ApiForbidden => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

pub async fn page(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    if visitor.viewer.authenticated().is_err() {
        return problem_page(&api, &visitor, &headers, VIEW, sign_in_needed("collateral"));
    }
    let viewer = visitor.viewer.clone();
    let got = read(&api, |c| {
        let st = &c.state;
        Ok((
            margin_reports(st, &viewer)?,
            q::calls(st, &viewer)?,
            q::pledges(st, &viewer)?,
            q::loans(st, &viewer)?,
            super::Decimals::of(st),
            st.meta().time,
        ))
    })
    .await;
    let (reports, calls, pledges, loans, dec, now) = match got {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, VIEW, p),
    };
    let open_calls: Vec<&q::CallRow> = calls.iter().filter(|c| c.status == "open").collect();
    let main = html! {
        h1 { "Collateral" }
        @if reports.is_empty() { p { "No margin account at a clearing house concerns you." } }
        @for r in &reports {
            @let d = r.decimals;
            @let sym = r.cash_asset.as_str();
            section aria-labelledby=(format!("margin-{}-h", r.ccp)) {
                h2 id=(format!("margin-{}-h", r.ccp)) { "Margin at " (r.name) " (" (r.ccp) ")" }
                p { "Coverage in " (sym) " at " (time(r.time)) ", after haircuts and concentration limits; calls are due "
                    (super::duration(r.call_deadline_seconds)) " after they are raised." }
                (csv_link(&format!("/console/collateral/{}/margin.csv", super::overview::urlencode(r.ccp.as_str()))))
                table id=(format!("margin-{}", r.ccp)) .margin {
                    thead { tr {
                        th scope="col" { "Member" } th scope="col" { "Status" } th scope="col" .num { "Requirement" }
                        th scope="col" .num { "Coverage" } th scope="col" .num { "Shortfall" } th scope="col" .num { "Excess" }
                        th scope="col" .num { "Fund shares (limit)" } th scope="col" .num { "Above limits" } th scope="col" { "Open call" }
                    } }
                    tbody {
                        @for m in &r.members {
                            tr data-member=(m.member.as_str()) data-account=(m.account) {
                                th scope="row" { (m.member_name) " " span.mono { "(" (m.member) ")" } }
                                td { (m.status) }
                                td.num.requirement { (amount(m.requirement_units, d)) }
                                td.num.coverage { (amount(m.counted_units, d)) }
                                td.num.shortfall { @if m.shortfall_units > 0 { strong.bad { (amount(m.shortfall_units, d)) } } @else { (amount(0, d)) } }
                                td.num { (amount(m.excess_units, d)) }
                                td.num { (amount(m.fund_shares_units, d))
                                    @if let Some(l) = m.fund_shares_limit_units { " of " (amount(l, d)) } }
                                td.num { (amount(m.above_limits_units, d)) }
                                td { @if let Some(c) = &m.call { "call " (c.id) ", due " (countdown(c.deadline, now)) } @else { "—" } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="calls-h" {
            h2 #calls-h { "Margin calls" }
            p { (open_calls.len()) " open." }
            (csv_link("/console/collateral/calls.csv"))
            @if calls.is_empty() { p { "No margin calls concern you." } } @else {
                table #calls {
                    thead { tr {
                        th scope="col" .num { "Id" } th scope="col" { "Clearing house" } th scope="col" { "Member" }
                        th scope="col" { "Kind" } th scope="col" .num { "Amount" } th scope="col" { "Raised" }
                        th scope="col" { "Deadline" } th scope="col" { "Status" }
                    } }
                    tbody {
                        @for c in &calls {
                            tr data-call=(c.id) data-status=(c.status) {
                                th scope="row" .num { (c.id) }
                                td { (c.ccp) }
                                td { (c.member) }
                                td { (serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()) }
                                td.num { (dec.amount(c.amount_units, c.cash_asset.as_str())) }
                                td { (time(c.raised_at)) }
                                td { @if c.status == "open" { (countdown(c.deadline, now)) } @else { (time(c.deadline)) } }
                                td { (c.status) @if let Some(at) = c.closed_at { " " (time(at)) } }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="pledges-h" {
            h2 #pledges-h { "Pledges" }
            (csv_link("/console/collateral/pledges.csv"))
            @if pledges.is_empty() { p { "No pledges concern you." } } @else {
                table #pledges {
                    thead { tr {
                        th scope="col" .num { "Account" } th scope="col" { "For" } th scope="col" { "Pledgor" } th scope="col" { "Pledgee" }
                        th scope="col" .num { "Pledged" } th scope="col" .num { "Value" } th scope="col" .num { "Haircut" }
                        th scope="col" .num { "After haircut" } th scope="col" { "Since" }
                    } }
                    tbody {
                        @for p in &pledges {
                            @let cash = p.cash_asset.as_str();
                            tr data-account=(p.account) data-asset=(p.pledge.asset.as_str()) data-pledgor=(p.pledgor.as_str()) {
                                th scope="row" .num { (p.account) }
                                td { (p.account_kind) }
                                td { (p.pledgor) " " (wallet(&p.pledge.wallet)) }
                                td { (p.pledgee) }
                                td.num { (dec.amount(p.pledge.amount_units, p.pledge.asset.as_str())) }
                                td.num { @match p.pledge.value_units { Some(v) => (amount_of(v, dec.get(cash), cash)), None => "no price" } }
                                td.num { (bps(u64::from(p.pledge.haircut_bps))) }
                                td.num { (amount_of(p.pledge.after_haircut_units, dec.get(cash), cash)) }
                                td { (time(p.pledge.since)) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="loans-h" {
            h2 #loans-h { "Loans" }
            (csv_link("/console/collateral/loans.csv"))
            @if loans.is_empty() { p { "No loans concern you." } } @else {
                table #loans {
                    thead { tr {
                        th scope="col" .num { "Id" } th scope="col" { "Borrower" } th scope="col" { "Lender" }
                        th scope="col" .num { "Principal" } th scope="col" .num { "Rate" } th scope="col" .num { "Debt" }
                        th scope="col" .num { "Collateral value" } th scope="col" .num { "Loan to value (max, liquidation)" } th scope="col" { "Status" }
                    } }
                    tbody {
                        @for l in &loans {
                            @let cash = l.cash_asset.as_str();
                            tr data-loan=(l.id) {
                                th scope="row" .num { (l.id) }
                                td { (l.borrower_party) }
                                td { (l.lender_party) }
                                td.num { (dec.amount(l.principal_units, cash)) }
                                td.num { (bps(u64::from(l.rate_bps))) }
                                td.num { (dec.amount(l.debt_units, cash)) }
                                td.num { (dec.amount(l.collateral_value_units, cash)) }
                                td.num { @match l.ltv_bps { Some(v) => (bps(v)), None => "—" }
                                    " (" (bps(u64::from(l.max_ltv_bps))) ", " (bps(u64::from(l.liquidation_ltv_bps))) ")" }
                                td { (l.status) @if let Some(at) = l.status_at { " " (time(at)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    render(&api, &visitor, &headers, Page::new("Collateral", VIEW, main))
}

/// One clearing house's margin report as CSV: the answer of `/v1/clearing/{ccp}/margin`.
pub async fn margin_csv(State(api): State<S>, visitor: Visitor, Path(ccp): Path<String>) -> Response {
    session_csv(&api, visitor, "margin.csv", "collateral", move |st, v| q::margin_report(st, v, &ccp)).await
}

/// The margin calls as CSV: the rows `/v1/calls` answers.
pub async fn calls_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "calls.csv", "collateral", q::calls).await
}

/// The pledges as CSV: the rows `/v1/pledges` answers.
pub async fn pledges_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "pledges.csv", "collateral", q::pledges).await
}

/// The loans as CSV: the rows `/v1/loans` answers.
pub async fn loans_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "loans.csv", "collateral", q::loans).await
}
