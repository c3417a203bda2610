//! Governance: proposals with their operations, approvals against the threshold, and the time
//! left before an open one expires — for operators (any governance role) and auditors, as the
//! read model decides.

use super::overview::sign_in_needed;
use super::{countdown, csv_link, problem_page, read, render, session_csv, time, wallet, Page, Visitor, S};
use crate::query::{self as q};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::html;
use tessera_core::governance::ProposalStatus;

const VIEW: &str = "/console/governance";

pub async fn page(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    if visitor.viewer.authenticated().is_err() {
        return problem_page(&api, &visitor, &headers, VIEW, sign_in_needed("governance"));
    }
    let viewer = visitor.viewer.clone();
    let got = read(&api, |c| Ok((q::proposals(&c.state, &viewer)?, c.state.meta().thresholds, c.head.time))).await;
    let (proposals, thresholds, now) = match got {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, VIEW, p),
    };
    let open = proposals.iter().filter(|p| matches!(p.status, ProposalStatus::Open)).count();
    let main = html! {
        h1 { "Governance" }
        dl.facts {
            dt { "Approvals needed now" }
            dd #thresholds { "routine " (thresholds[0]) ", sensitive " (thresholds[1]) ", emergency " (thresholds[2]) }
            dt { "Open proposals" } dd #open-proposals { (open) }
        }
        section aria-labelledby="proposals-h" {
            h2 #proposals-h { "Proposals" }
            (csv_link("/console/governance/proposals.csv"))
            @if proposals.is_empty() { p { "No proposals yet." } } @else {
                table #proposals {
                    thead { tr {
                        th scope="col" .num { "Id" } th scope="col" { "Class" } th scope="col" { "Operations" }
                        th scope="col" { "Proposer" } th scope="col" .num { "Approvals" } th scope="col" { "Approved by" }
                        th scope="col" { "Status" } th scope="col" { "Expires" }
                    } }
                    tbody {
                        @for p in proposals.iter().rev() {
                            @let is_open = matches!(p.status, ProposalStatus::Open);
                            tr data-proposal=(p.id) data-open=(is_open) {
                                th scope="row" .num { (p.id) }
                                td { (p.class) }
                                td { @for (k, o) in p.ops.iter().enumerate() { @if k > 0 { ", " } code { (o.name()) } } }
                                td { (wallet(&p.proposer)) }
                                td.num .approvals { (p.approvals.len()) " of " (p.threshold)
                                    @if !p.rejections.is_empty() { " (" (p.rejections.len()) " against)" } }
                                td { @for (k, w) in p.approvals.iter().enumerate() { @if k > 0 { ", " } (wallet(w)) } }
                                td { @match &p.status {
                                    ProposalStatus::Open => "open",
                                    ProposalStatus::Executed { at } => { "executed " (time(*at)) }
                                    ProposalStatus::Rejected { at } => { "rejected " (time(*at)) }
                                    ProposalStatus::Expired { at } => { "expired " (time(*at)) }
                                    ProposalStatus::Failed { at, code, message } => {
                                        span.bad { "failed " (time(*at)) ": " code { (code) } " " (message) }
                                    }
                                } }
                                td { @if is_open { (countdown(p.expires_at, now)) } @else { (time(p.expires_at)) } }
                            }
                        }
                    }
                }
            }
        }
    };
    render(&api, &visitor, &headers, Page::new("Governance", VIEW, main))
}

/// The proposals as CSV: the rows `/v1/proposals` answers.
pub async fn proposals_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "proposals.csv", "governance", |st, v| {
        q::proposals(st, v).map(|rows| q::answer(st, &rows))
    })
    .await
}
