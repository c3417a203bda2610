//! Settlement: instructions with their legs and who has affirmed, hash-time locks, tenders and
//! repos — the rows the read model lets the viewer see (those it takes part in; all for
//! auditors and compliance officers).

use super::overview::sign_in_needed;
use super::{countdown, csv_link, problem_page, read, render, session_csv, time, wallet, Decimals, Page, Visitor, S};
use crate::query::{self as q};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::html;
use tessera_core::htlc::HtlcStatus;
use tessera_core::settlement::InstructionStatus;
use tessera_core::PartyId;

const VIEW: &str = "/console/settlement";

/// The page: four tables, each with its CSV export.
pub async fn page(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    if visitor.viewer.authenticated().is_err() {
        return problem_page(&api, &visitor, &headers, VIEW, sign_in_needed("settlement"));
    }
    let viewer = visitor.viewer.clone();
    let got = read(&api, |c| {
        let st = &c.state;
        let instructions: Vec<(tessera_core::settlement::Instruction, Vec<PartyId>)> =
            q::instructions(st, &viewer, None)?.into_iter().map(|i| (i.senders(st), i)).map(|(s, i)| (i, s)).collect();
        Ok((
            instructions,
            q::htlcs(st, &viewer)?,
            q::tenders(st, &viewer)?,
            q::repos(st, &viewer)?,
            Decimals::of(st),
            c.head.time,
        ))
    })
    .await;
    let (instructions, htlcs, tenders, repos, dec, now) = match got {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, VIEW, p),
    };
    let main = html! {
        h1 { "Settlement" }
        section aria-labelledby="instructions-h" {
            h2 #instructions-h { "Instructions" }
            (csv_link("/console/settlement/instructions.csv"))
            @if instructions.is_empty() { p { "No settlement instructions concern you." } } @else {
                table #instructions {
                    thead { tr {
                        th scope="col" .num { "Id" } th scope="col" { "Legs" } th scope="col" { "Settles" }
                        th scope="col" { "Affirmed by" } th scope="col" { "Awaiting" } th scope="col" { "Status" }
                        th scope="col" { "Expires" } th scope="col" { "Reference" }
                    } }
                    tbody {
                        @for (i, senders) in &instructions {
                            @let pending = matches!(i.status, InstructionStatus::Pending);
                            tr data-instruction=(i.id) data-status=(status_tag(&i.status)) {
                                th scope="row" .num { (i.id) }
                                td { ul.legs { @for l in &i.legs {
                                    li { (dec.amount(l.amount, l.asset.as_str())) " " (wallet(&l.from)) " → " (wallet(&l.to)) }
                                } } }
                                td { (i.mode) }
                                td { @if i.affirmed.is_empty() { "nobody yet" } @else { (tessera_core::prose::and_list(&i.affirmed)) } }
                                td { @if pending {
                                    @let waiting: Vec<&PartyId> = senders.iter().filter(|s| !i.affirmed.contains(s)).collect();
                                    @if waiting.is_empty() { "nobody" } @else { (tessera_core::prose::and_list(&waiting)) }
                                } @else { "—" } }
                                td { (i.status) }
                                td { @if pending { (countdown(i.expires_at, now)) } @else { (time(i.expires_at)) } }
                                td { (i.reference) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="htlcs-h" {
            h2 #htlcs-h { "Hash-time locks" }
            (csv_link("/console/settlement/htlcs.csv"))
            @if htlcs.is_empty() { p { "No hash-time locks concern you." } } @else {
                table #htlcs {
                    thead { tr {
                        th scope="col" .num { "Id" } th scope="col" .num { "Amount" } th scope="col" { "Sender" }
                        th scope="col" { "Receiver" } th scope="col" { "Hash lock" } th scope="col" { "Deadline" } th scope="col" { "Status" }
                    } }
                    tbody {
                        @for h in &htlcs {
                            tr data-htlc=(h.id) {
                                th scope="row" .num { (h.id) }
                                td.num { (dec.amount(h.amount, h.asset.as_str())) }
                                td { (wallet(&h.sender)) }
                                td { (wallet(&h.receiver)) }
                                td.mono title=(h.hash_lock.to_hex()) { (h.hash_lock.short()) }
                                td { @if matches!(h.status, HtlcStatus::Locked) { (countdown(h.deadline, now)) } @else { (time(h.deadline)) } }
                                td { (h.status) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="tenders-h" {
            h2 #tenders-h { "Tenders" }
            (csv_link("/console/settlement/tenders.csv"))
            @if tenders.is_empty() { p { "No tenders concern you." } } @else {
                table #tenders {
                    thead { tr {
                        th scope="col" .num { "Id" } th scope="col" { "Owner" } th scope="col" .num { "Bond" }
                        th scope="col" { "Bids close" } th scope="col" .num { "Bids" } th scope="col" { "Status" } th scope="col" { "Reference" }
                    } }
                    tbody {
                        @for t in &tenders {
                            tr data-tender=(t.id) {
                                th scope="row" .num { (t.id) }
                                td { (wallet(&t.owner)) }
                                td.num { (dec.amount(t.bond, t.asset.as_str())) }
                                td { @if matches!(t.status, tessera_core::escrow::TenderStatus::Open) { (countdown(t.bid_deadline, now)) } @else { (time(t.bid_deadline)) } }
                                td.num { (t.bids.len()) }
                                td { (t.status) }
                                td { (t.reference) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="repos-h" {
            h2 #repos-h { "Repos" }
            (csv_link("/console/settlement/repos.csv"))
            @if repos.is_empty() { p { "No repos concern you." } } @else {
                table #repos {
                    thead { tr {
                        th scope="col" .num { "Id" } th scope="col" { "Lender" } th scope="col" { "Borrower" }
                        th scope="col" .num { "Cash" } th scope="col" .num { "Collateral" } th scope="col" .num { "Haircut" }
                        th scope="col" .num { "Rate (ACT/360)" } th scope="col" { "Maturity" } th scope="col" { "Status" }
                    } }
                    tbody {
                        @for r in &repos {
                            @let t = &r.terms;
                            tr data-repo=(r.id) {
                                th scope="row" .num { (r.id) }
                                td { (wallet(&t.lender)) }
                                td { (wallet(&t.borrower)) }
                                td.num { (dec.amount(t.cash_amount, t.cash_asset.as_str())) }
                                td.num { (dec.amount(t.collateral_amount, t.collateral_asset.as_str())) }
                                td.num { (super::bps(u64::from(t.haircut_bps))) }
                                td.num { (super::bps(u64::from(t.rate_bps))) }
                                td { (time(t.maturity)) }
                                td { (r.status) }
                            }
                        }
                    }
                }
            }
        }
    };
    render(&api, &visitor, &headers, Page::new("Settlement", VIEW, main))
}

/// An instruction's state as one word (`pending`, `settled`, …), for tests and styles.
fn status_tag(s: &InstructionStatus) -> &'static str {
    match s {
        InstructionStatus::Pending => "pending",
        InstructionStatus::Settled { .. } => "settled",
        InstructionStatus::Failed { .. } => "failed",
        InstructionStatus::Cancelled { .. } => "cancelled",
        InstructionStatus::Rejected { .. } => "rejected",
        InstructionStatus::Expired { .. } => "expired",
    }
}

/// The instructions as CSV: the rows `/v1/instructions` answers.
pub async fn instructions_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "instructions.csv", "settlement", |st, v| {
        q::instructions(st, v, None).map(|rows| q::answer(st, &rows))
    })
    .await
}

/// The hash-time locks as CSV: the read model's rows.
pub async fn htlcs_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "htlcs.csv", "settlement", q::htlcs).await
}

/// The tenders as CSV: the read model's rows.
pub async fn tenders_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "tenders.csv", "settlement", q::tenders).await
}

/// The repos as CSV: the read model's rows.
pub async fn repos_csv(State(api): State<S>, visitor: Visitor) -> Response {
    session_csv(&api, visitor, "repos.csv", "settlement", q::repos).await
}
