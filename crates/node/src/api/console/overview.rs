//! The overview (assets, supply, holders, NAV, today's yield, pause state, height and the
//! verified block), holdings (free / locked / frozen, and what locks them) and the journal
//! (blocks, and each block's receipts as the viewer may see them).

use super::{amount, amount_of, csv, csv_link, csv_refused, fixed, problem_page, read, render, time, Page, Visitor, S};
use crate::api::problem::Problem;
use crate::query::{self as q};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::{Code, Refusal};

/// The overview: what the ledger holds now, for anyone.
pub async fn page(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    let got = read(&api, |c| {
        let st = &c.state;
        let funds: Vec<(tessera_core::fund::Fund, Option<tessera_core::fund::Valuation>)> = q::funds(st, None)?
            .into_iter()
            .map(|f| {
                let last = q::fund_history(st, &f.spec.fund).pop();
                (f, last)
            })
            .collect();
        Ok((q::assets(st), funds, st.meta().paused, c.head.clone(), c.head.hash()))
    })
    .await;
    let (assets, funds, paused, head, head_hash) = match got {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, "/console", p),
    };
    let decimals = |sym: &str| assets.iter().find(|a| a.symbol.as_str() == sym).map(|a| a.decimals).unwrap_or(0);
    let main = html! {
        h1 { "Overview" }
        section aria-labelledby="ledger-h" {
            h2 #ledger-h { "Ledger" }
            dl.facts {
                dt { "Network" } dd { (api.network()) }
                dt { "Height" } dd #ov-height { (head.height) }
                dt { "Head block" } dd.mono title=(head_hash.to_hex()) { (head_hash.short()) }
                dt { "Block time" } dd { (time(head.time)) }
                dt { "State" } dd #ov-paused {
                    @if paused { strong.bad { "paused (emergency): no movement is accepted" } } @else { "running" }
                }
                dt { "Verified" } dd { (verified_words(&api)) }
            }
        }
        section aria-labelledby="assets-h" {
            h2 #assets-h { "Assets" }
            (csv_link("/console/assets.csv"))
            table #assets {
                thead { tr {
                    th scope="col" { "Symbol" } th scope="col" { "Name" } th scope="col" { "Kind" }
                    th scope="col" .num { "Supply" } th scope="col" .num { "Holders" } th scope="col" { "State" }
                } }
                tbody {
                    @for a in &assets {
                        tr data-asset=(a.symbol.as_str()) {
                            th scope="row" { (a.symbol.as_str()) }
                            td { (a.name) }
                            td { (a.kind.name().replace('_', " ")) }
                            td.num { (amount(a.supply_units, a.decimals)) }
                            td.num { (a.holders) }
                            td { @if a.paused { strong.bad { "paused" } } @else { "active" } }
                        }
                    }
                }
            }
        }
        @if !funds.is_empty() {
            section aria-labelledby="funds-h" {
                h2 #funds-h { "Funds" }
                table #funds {
                    thead { tr {
                        th scope="col" { "Class" } th scope="col" { "Fund" } th scope="col" .num { "NAV per share" }
                        th scope="col" .num { "Today's yield (annual)" } th scope="col" .num { "Shares" } th scope="col" { "Valued" }
                    } }
                    tbody {
                        @for (f, last) in &funds {
                            @if let Some(v) = last {
                                @for c in &v.classes {
                                    tr data-class=(c.asset.as_str()) {
                                        th scope="row" { a href=(format!("/console/fund/{}", f.spec.fund.as_str())) { (c.asset.as_str()) } }
                                        td { (f.spec.fund.as_str()) }
                                        td.num { (fixed(c.nav_per_share, 8, 5)) }
                                        td.num { @if c.rate_ppb > 0 { (fixed(c.rate_ppb, 7, 3)) "%" } @else { "—" } }
                                        td.num { (amount(c.shares, decimals(c.asset.as_str()))) }
                                        td { (time(v.at)) @if v.halted { " " strong.bad { "halted" } } }
                                    }
                                }
                            } @else {
                                tr { th scope="row" { (f.spec.fund.as_str()) } td colspan="5" { "not valued yet" } }
                            }
                        }
                    }
                }
            }
        }
    };
    render(&api, &visitor, &headers, Page::new("Overview", "/console", main))
}

/// The background verifier's state in words.
fn verified_words(api: &super::Api) -> Markup {
    let s = api.audit.status();
    html! {
        @if let Some(m) = s.mismatch { strong.bad { "the journal disagrees: " (m) } }
        @else if let Some(h) = s.verified_height { "replayed and verified from genesis to block " (h) }
        @else { "not yet" @if let Some(why) = s.idle { " (" (why) ")" } }
    }
}

/// The asset table as CSV: the rows `/v1/assets` answers.
pub async fn assets_csv(State(api): State<S>, visitor: Visitor) -> Response {
    match read(&api, |c| Ok(q::assets(&c.state))).await {
        Ok(rows) => csv(&visitor, "assets.csv", &rows),
        Err(p) => csv_refused(&visitor, p),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyParam {
    party: Option<String>,
    /// Holdings pages hold [`ROWS_PER_PAGE`] rows; the first is 0.
    page: Option<usize>,
}

/// Most rows one holdings page shows (a party may hold 4,096 wallets; the CSV has them all).
const ROWS_PER_PAGE: usize = 100;

/// A page's query parameters; unknown or malformed ones are refused with a problem.
pub fn params<T: serde::de::DeserializeOwned>(uri: &Uri) -> Result<T, Problem> {
    let q = uri.query().unwrap_or("");
    let parsed =
        format!("/?{q}").parse::<Uri>().map_err(|e| Problem::new(Code::ApiBadRequest, format!("bad query: {e}")))?;
    axum::extract::Query::<T>::try_from_uri(&parsed)
        .map(|axum::extract::Query(v)| v)
        .map_err(|e| Problem::new(Code::ApiBadRequest, format!("bad query parameters: {}", e.body_text())))
}

/// Whose holdings a page shows: the party asked for (refused unless the viewer may read it), or
/// the viewer's own.
fn party_of(visitor: &Visitor, asked: Option<String>) -> Result<String, Problem> {
    visitor.viewer.authenticated().map_err(|_| sign_in_needed("holdings"))?;
    let party = asked.or_else(|| visitor.viewer.party.clone()).ok_or_else(|| sign_in_needed("holdings"))?;
    if party.is_empty() || party.len() > 64 {
        return Err(Problem::new(Code::ApiBadRequest, "a party id or name is 1 to 64 characters"));
    }
    Ok(party)
}

/// The problem a page that needs a session answers to a visitor without one.
pub fn sign_in_needed(what: &str) -> Problem {
    Problem::new(Code::ApiUnauthenticated, format!("sign in to see {what}: they follow who you are"))
}

/// Holdings: free, locked and frozen per asset and wallet, and what each lock is for.
pub async fn holdings(State(api): State<S>, visitor: Visitor, headers: HeaderMap, uri: Uri) -> Response {
    let (party, page) =
        match params::<PartyParam>(&uri).and_then(|p| Ok((party_of(&visitor, p.party)?, p.page.unwrap_or(0)))) {
            Ok(v) => v,
            Err(p) => return problem_page(&api, &visitor, &headers, "/console/holdings", p),
        };
    let viewer = visitor.viewer.clone();
    let got = read(&api, |c| {
        let st = &c.state;
        let all = q::party_balances(st, &viewer, &party)?;
        let total = all.len();
        let rows: Vec<q::BalanceRow> =
            all.into_iter().skip(page.saturating_mul(ROWS_PER_PAGE)).take(ROWS_PER_PAGE).collect();
        let mut wallets: Vec<tessera_core::WalletId> = rows.iter().map(|r| r.wallet).collect();
        wallets.dedup();
        let locks: Vec<(tessera_core::WalletId, Vec<q::LockRow>)> =
            wallets.iter().map(|w| (*w, q::locks(st, w))).filter(|(_, l)| !l.is_empty()).collect();
        let decimals: Vec<(String, u8)> =
            q::assets(st).into_iter().map(|a| (a.symbol.as_str().to_string(), a.decimals)).collect();
        Ok((rows, locks, decimals, total))
    })
    .await;
    let (rows, locks, decimals, total) = match got {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, "/console/holdings", p),
    };
    let dec = |s: &str| decimals.iter().find(|(x, _)| x == s).map(|(_, d)| *d).unwrap_or(0);
    let csv_href = format!("/console/holdings.csv?party={}", urlencode(&party));
    let pages = total.div_ceil(ROWS_PER_PAGE);
    let page_href = |n: usize| format!("/console/holdings?party={}&page={n}", urlencode(&party));
    let main = html! {
        h1 { "Holdings of " (party) }
        (csv_link(&csv_href))
        @if rows.is_empty() {
            p { @if total == 0 { "No holdings." } @else { "No page " (page) "; there are " (pages) "." } }
        } @else {
            @if pages > 1 {
                p { "Holdings " (page * ROWS_PER_PAGE + 1) " to " (page * ROWS_PER_PAGE + rows.len()) " of " (total) " (the CSV has them all)." }
            }
            table #holdings {
                thead { tr {
                    th scope="col" { "Asset" } th scope="col" { "Wallet" } th scope="col" .num { "Free" }
                    th scope="col" .num { "Locked" } th scope="col" .num { "Frozen" } th scope="col" .num { "Total" }
                } }
                tbody {
                    @for r in &rows {
                        tr data-asset=(r.asset.as_str()) data-wallet=(r.wallet.to_hex()) {
                            th scope="row" { (r.asset.as_str()) }
                            td.mono title=(r.wallet.to_hex()) { (r.wallet.short()) }
                            td.num { (amount(r.free_units, r.decimals)) }
                            td.num { (amount(r.locked_units, r.decimals)) }
                            td.num { (amount(r.frozen_units, r.decimals)) }
                            td.num { (amount(r.total_units, r.decimals)) }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav.pager aria-label="Holdings pages" {
                    @if page > 0 { a href=(page_href(page - 1)) { "Previous" } " " }
                    @if page + 1 < pages { a href=(page_href(page + 1)) { "Next" } }
                }
            }
        }
        section aria-labelledby="locks-h" {
            h2 #locks-h { "What locks them" }
            @if locks.is_empty() {
                p { "Nothing is locked: no pending instruction, pledge, bond, call or escrow holds these tokens." }
            } @else {
                table #locks {
                    thead { tr { th scope="col" { "Wallet" } th scope="col" { "Asset" } th scope="col" .num { "Amount" } th scope="col" { "Locked for" } } }
                    tbody {
                        @for (w, ls) in &locks {
                            @for l in ls {
                                tr {
                                    td.mono title=(w.to_hex()) { (w.short()) }
                                    th scope="row" { (l.asset.as_str()) }
                                    td.num { (amount_of(l.amount_units, dec(l.asset.as_str()), l.asset.as_str())) }
                                    td { (l.for_what) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    render(&api, &visitor, &headers, Page::new(format!("Holdings of {party}"), "/console/holdings", main))
}

/// The holdings table as CSV: the rows `/v1/parties/{party}/balances` answers.
pub async fn holdings_csv(State(api): State<S>, visitor: Visitor, uri: Uri) -> Response {
    // The export has every row, whatever page the table shows.
    let party = match params::<PartyParam>(&uri).and_then(|p| party_of(&visitor, p.party)) {
        Ok(party) => party,
        Err(p) => return csv_refused(&visitor, p),
    };
    let viewer = visitor.viewer.clone();
    match read(&api, |c| q::party_balances(&c.state, &viewer, &party)).await {
        Ok(rows) => csv(&visitor, "holdings.csv", &rows),
        Err(p) => csv_refused(&visitor, p),
    }
}

/// Most blocks one journal page lists.
const BLOCKS_PER_PAGE: u64 = 25;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalParam {
    /// The highest block to list (default: the head).
    to: Option<u64>,
}

/// Block headers `from..=to` as `/v1/blocks` lists them: `{hash, header}`.
async fn headers_between(api: &S, from: u64, to: u64) -> Result<Vec<Value>, Problem> {
    api.journal(move |s| {
        let mut out = Vec::new();
        for h in (from..=to).rev() {
            if let Some(raw) = s.raw_block(h)? {
                let header = raw.decode_header()?;
                out.push(json!({"hash": header.hash(), "header": header}));
            }
        }
        Ok(out)
    })
    .await
}

fn page_range(head: u64, to: Option<u64>) -> (u64, u64) {
    let to = to.unwrap_or(head).min(head);
    (to.saturating_sub(BLOCKS_PER_PAGE - 1), to)
}

/// The journal: the latest blocks, newest first, a page at a time.
pub async fn journal(State(api): State<S>, visitor: Visitor, headers: HeaderMap, uri: Uri) -> Response {
    let p = match params::<JournalParam>(&uri) {
        Ok(p) => p,
        Err(p) => return problem_page(&api, &visitor, &headers, "/console/journal", p),
    };
    let head = api.durable_height();
    let (from, to) = page_range(head, p.to);
    let blocks = match headers_between(&api, from, to).await {
        Ok(b) => b,
        Err(p) => return problem_page(&api, &visitor, &headers, "/console/journal", p),
    };
    let main = html! {
        h1 { "Journal" }
        p { "Blocks " (from) " to " (to) " of " (head) ". Each block links to its transactions and receipts (those that concern you)." }
        (csv_link(&format!("/console/journal.csv?to={to}")))
        table #blocks {
            thead { tr {
                th scope="col" .num { "Height" } th scope="col" { "Hash" } th scope="col" { "Time" }
                th scope="col" .num { "Transactions" } th scope="col" { "State digest" }
            } }
            tbody {
                @for b in &blocks {
                    @let h = b["header"]["height"].as_u64().unwrap_or(0);
                    tr data-height=(h) {
                        th scope="row" .num { a href=(format!("/console/journal/{h}")) { (h) } }
                        td.mono { (short_hex(&b["hash"])) }
                        td { (b["header"]["time"].as_str().map(time_text).unwrap_or_default()) }
                        td.num { (b["header"]["tx_count"]) }
                        td.mono { (short_hex(&b["header"]["state_digest"])) }
                    }
                }
            }
        }
        nav.pager aria-label="Journal pages" {
            @if to < head { a href=(format!("/console/journal?to={}", (to + BLOCKS_PER_PAGE).min(head))) { "Newer" } " " }
            @if from > 0 { a href=(format!("/console/journal?to={}", from - 1)) { "Older" } }
        }
    };
    render(&api, &visitor, &headers, Page::new("Journal", "/console/journal", main))
}

/// The journal page's blocks as CSV: the `blocks` `/v1/blocks` answers.
pub async fn journal_csv(State(api): State<S>, visitor: Visitor, uri: Uri) -> Response {
    let p = match params::<JournalParam>(&uri) {
        Ok(p) => p,
        Err(p) => return csv_refused(&visitor, p),
    };
    let (from, to) = page_range(api.durable_height(), p.to);
    match headers_between(&api, from, to).await {
        Ok(mut rows) => {
            rows.reverse(); // oldest first, as the API lists them
            csv(&visitor, "blocks.csv", &rows)
        }
        Err(p) => csv_refused(&visitor, p),
    }
}

/// One block: its header, and the receipts of the transactions that concern the viewer.
pub async fn block(State(api): State<S>, visitor: Visitor, headers: HeaderMap, Path(h): Path<String>) -> Response {
    let r: Result<Value, Problem> = async {
        let h: u64 = h.parse().map_err(|_| Problem::new(Code::ApiBadRequest, "a block height is a number"))?;
        if h > api.durable_height() {
            return Err(Problem::new(Code::ApiNotFound, format!("no block {h} yet")));
        }
        let b = api
            .journal(move |s| s.block(h).map_err(Refusal::from))
            .await?
            .ok_or_else(|| Problem::new(Code::ApiNotFound, format!("no block {h}")))?;
        Ok(serde_json::to_value(q::block_view(&b, &visitor.viewer)).unwrap_or(Value::Null))
    }
    .await;
    let v = match r {
        Ok(v) => v,
        Err(p) => return problem_page(&api, &visitor, &headers, "/console/journal", p),
    };
    let h = v["height"].as_u64().unwrap_or(0);
    let receipts = v["receipts"].as_array().cloned().unwrap_or_default();
    let count = v["header"]["tx_count"].as_u64().unwrap_or(0);
    let main = html! {
        h1 { "Block " (h) }
        dl.facts {
            dt { "Hash" } dd.mono { (v["hash"].as_str().unwrap_or("")) }
            dt { "Previous" } dd.mono { (v["header"]["prev"].as_str().unwrap_or("")) }
            dt { "Time" } dd { (v["header"]["time"].as_str().map(time_text).unwrap_or_default()) }
            dt { "Transactions" } dd { (count) }
            dt { "Transactions root" } dd.mono { (v["header"]["tx_root"].as_str().unwrap_or("")) }
            dt { "Receipts root" } dd.mono { (v["header"]["receipt_root"].as_str().unwrap_or("")) }
            dt { "State digest" } dd.mono { (v["header"]["state_digest"].as_str().unwrap_or("")) }
        }
        h2 { "Receipts" }
        @if receipts.is_empty() {
            p { @if count == 0 { "No transactions in this block." } @else { "None of this block's " (count) " transactions concern you." } }
        } @else {
            @if (receipts.len() as u64) < count { p { "Showing the " (receipts.len()) " of " (count) " transactions that concern you." } }
            table #receipts {
                thead { tr { th scope="col" { "Transaction" } th scope="col" { "Signer" } th scope="col" .num { "Seq" } th scope="col" { "Result" } } }
                tbody {
                    @for r in &receipts {
                        tr {
                            td.mono { (short_hex(&r["receipt"]["tx"])) }
                            td.mono { (short_hex(&r["signer"])) }
                            td.num { (r["seq"]) }
                            td { (outcome(&r["receipt"]["outcome"])) }
                        }
                    }
                }
            }
        }
        p { a href=(format!("/console/journal?to={h}")) { "Back to the journal" } }
    };
    render(&api, &visitor, &headers, Page::new(format!("Block {h}"), "/console/journal", main))
}

/// A receipt's outcome in words: "ok" with its events counted, or the refusal's code and message.
fn outcome(o: &Value) -> Markup {
    html! {
        @match o["status"].as_str() {
            Some("ok") => { "ok" @if let Some(n) = o["events"].as_array().map(Vec::len) { " · " (n) " events" } }
            Some("failed") => span.bad { code { (o["code"].as_str().unwrap_or("")) } " " (o["message"].as_str().unwrap_or("")) },
            _ => (o.to_string()),
        }
    }
}

fn short_hex(v: &Value) -> String {
    let s = v.as_str().unwrap_or("");
    if s.len() > 12 {
        format!("{}…", &s[..12])
    } else {
        s.to_string()
    }
}

/// A time the API wrote as text ("2026-01-05T00:00:00Z"), as a `<time>` element.
fn time_text(s: &str) -> Markup {
    match tessera_core::Time::parse(s) {
        Some(t) => time(t),
        None => html! { (s) },
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
