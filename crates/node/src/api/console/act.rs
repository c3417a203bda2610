//! Act: transactions signed in the browser. The page (`assets/act.js`) posts what a form says
//! to [`prepare`], which prepares the body through the same function as
//! `POST /v1/transactions/prepare` (signer: the signed-in wallet), says it in words with the
//! asset's decimals and pre-checks it ([`q::precheck_body`]). The page recomputes the id from
//! the body's bytes, signs it with the key the browser holds since sign-in and submits it to
//! `POST /v1/transactions` like any client; [`receipt`] then says the receipt in words.
//!
//! - Only the signed-in wallet signs: a form naming another wallet as `from` is refused
//!   (`api.forbidden`), and so is every operation the console does not offer.
//! - Preparing takes `application/json` only (a cross-site form cannot send it) and the
//!   session cookie (`SameSite=Strict`): no other site's page can prepare in a visitor's name,
//!   and nothing is signed without the page's own script and the key in this browser.
//! - Preparing changes nothing on the ledger; a refusal is a problem document with its code.

use super::{amount_of, problem_page, read, render, Page, Visitor, S};
use crate::api::problem::Problem;
use crate::api::routes::{prepare_body, problem_response, unreadable, Expiry};
use crate::present::words::{action_text, event_text};
use crate::query::{self as q};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::input::Resolver;
use tessera_core::settlement::InstructionStatus;
use tessera_core::{Code, Hash, WalletId};

/// The operations the console prepares, by their JSON name ("post margin" is a pledge in the
/// clearing house's cash asset).
pub const ACTIONS: &[&str] = &["transfer", "affirm_instruction", "approve", "redeem", "pledge_collateral"];

/// What the page's script posts: the operation as a form wrote it, and the wallet it acts from
/// (the signed-in one; optional).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActReq {
    from: Option<String>,
    ops: Vec<Value>,
}

fn sign_in_to_act() -> Problem {
    Problem::new(Code::ApiUnauthenticated, "sign in to act: transactions are signed in your browser with your key")
}

/// `POST /console/act/prepare`: the body to sign, in bytes and in words, with its pre-check.
pub async fn prepare(State(api): State<S>, visitor: Visitor, headers: HeaderMap, body: Bytes) -> Response {
    let r: Result<Value, Problem> = async {
        let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if ct.split(';').next().unwrap_or("").trim() != "application/json" {
            return Err(Problem::new(Code::ApiUnsupportedMediaType, "send the action as application/json"));
        }
        let Some(signer) = visitor.viewer.wallet else { return Err(sign_in_to_act()) };
        let req: ActReq = serde_json::from_slice(&body)
            .map_err(|e| Problem::new(Code::ApiBadRequest, format!("bad action body: {e}")))?;
        let [op] = req.ops.as_slice() else {
            return Err(Problem::new(Code::ApiBadRequest, "the console prepares one operation at a time"));
        };
        let name = op.as_object().filter(|o| o.len() == 1).and_then(|o| o.keys().next()).cloned().unwrap_or_default();
        if !ACTIONS.contains(&name.as_str()) {
            return Err(Problem::new(
                Code::ApiBadRequest,
                format!("the console prepares {}; not {name:?}", tessera_core::words::or_list(ACTIONS)),
            ));
        }
        if let Some(from) = req.from {
            let named =
                api.read(|c| Ok(Resolver::new(&c.state).wallet(&from).map(|w| (w, owner(&c.state, &w))))).await?;
            let (wallet, party) = named.map_err(unreadable)?;
            if wallet != signer {
                return Err(Problem::new(
                    Code::ApiForbidden,
                    format!(
                        "you act from your own wallet {} only; {from} is wallet {} of {party}",
                        signer.short(),
                        wallet.short()
                    ),
                ));
            }
        }
        let body = prepare_body(&api, signer, req.ops, None, Expiry::In(None)).await?;
        let viewer = visitor.viewer.clone();
        let (words, precheck) = api
            .read(|c| {
                let now = crate::engine::system_time().max(c.head.time);
                let words: Vec<String> = body.ops.iter().map(|o| action_text(&c.state, &signer, o)).collect();
                Ok((words.join("; "), q::precheck_body(&c.state, &viewer, &body, now)?))
            })
            .await?;
        let bytes = borsh::to_vec(&body).unwrap_or_default();
        Ok(json!({
            "id": body.id(),
            "body_hex": hex::encode(bytes),
            "words": words,
            "precheck": precheck,
        }))
    }
    .await;
    visitor.finish(match r {
        Ok(v) => Json(v).into_response(),
        Err(p) => problem_response(p),
    })
}

/// A wallet's party, for a refusal.
fn owner(st: &tessera_core::state::State, w: &WalletId) -> String {
    st.wallet_index.get(w).map(|i| format!("party {}", st.party(st.wallet(*i).party).id)).unwrap_or("nobody".into())
}

/// `GET /console/act/tx/{id}`: a transaction's receipt as the visitor may see it, its events in
/// words.
pub async fn receipt(State(api): State<S>, visitor: Visitor, Path(id): Path<String>) -> Response {
    let r: Result<Value, Problem> = async {
        let Some(id) = Hash::from_hex(&id) else {
            return Err(Problem::new(Code::ApiBadRequest, "a transaction id is 64 hex digits"));
        };
        let heights = api.txs.heights(&id);
        let viewer = visitor.viewer.clone();
        let v = api.journal(move |s| q::transaction(s, &viewer, &heights, &id)).await?;
        let events = api
            .read(|c| {
                let events = match &v.receipt.outcome {
                    tessera_core::block::Outcome::Ok { events } => {
                        events.iter().map(|e| event_text(&c.state, e)).collect()
                    }
                    _ => Vec::new(),
                };
                Ok::<Vec<String>, _>(events)
            })
            .await?;
        Ok(json!({"tx": id, "height": v.height, "outcome": v.receipt.outcome.to_string(), "events": events}))
    }
    .await;
    visitor.finish(match r {
        Ok(v) => Json(v).into_response(),
        Err(p) => problem_response(p),
    })
}

/// What the forms offer the visitor: its holdings, what waits for it, where it can pledge.
struct Offers {
    wallet: WalletId,
    party: String,
    /// (asset, free units, decimals, is a share class) of the visitor's own wallet.
    holdings: Vec<(String, u128, u8, bool)>,
    /// Pending instructions the visitor's party sends on and has not affirmed: (id, words).
    instructions: Vec<(u64, String)>,
    /// Open proposals the visitor may vote on: (id, words).
    proposals: Vec<(u64, String)>,
    clearing_houses: Vec<String>,
    /// Open margin calls on the visitor's party.
    calls: Vec<q::CallRow>,
    now: tessera_core::Time,
}

/// `GET /console/act`: the forms.
pub async fn page(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    let (Some(wallet), Some(party)) = (visitor.viewer.wallet, visitor.viewer.party.clone()) else {
        let p = sign_in_to_act();
        let main = html! {
            (super::refusal_box(p.code.as_str(), &p.detail))
            p { a href="/console/signin" #act-signin { "Sign in" } " with your key file to transfer, affirm, approve, redeem, pledge or post margin." }
        };
        let mut res = render(&api, &visitor, &headers, Page::new("Act", "/console/act", main));
        *res.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
        return res;
    };
    let viewer = visitor.viewer.clone();
    let got = read(&api, |c| {
        let st = &c.state;
        let now = crate::engine::system_time().max(c.head.time);
        let holdings = q::party_balances(st, &viewer, &party)?
            .into_iter()
            .filter(|b| b.wallet == wallet && b.free_units > 0)
            .map(|b| {
                let class = st.asset_index.get(&b.asset).is_some_and(|a| st.share_classes.get(a).is_some());
                (b.asset.to_string(), b.free_units, b.decimals, class)
            })
            .collect();
        let signer = st.wallet_index.get(&wallet).copied();
        let instructions = q::instructions(st, &viewer, None)?
            .into_iter()
            .filter(|i| i.status == InstructionStatus::Pending)
            .filter(|i| signer.is_some_and(|w| tessera_core::settlement::may_affirm(st, w, i.id, now).is_ok()))
            .map(|i| {
                (i.id, action_text(st, &wallet, &tessera_core::op::AffirmInstruction { instruction: i.id }.into()))
            })
            .collect();
        // Proposals are for operators and auditors; anyone else has none to vote on.
        let proposals = q::proposals(st, &viewer)
            .unwrap_or_default()
            .into_iter()
            .filter(|p| signer.is_some_and(|w| tessera_core::exec::may_vote(st, w, p.id, now).is_ok()))
            .map(|p| (p.id, action_text(st, &wallet, &tessera_core::op::Approve { proposal: p.id }.into())))
            .collect();
        let clearing_houses = st.clearing_houses.iter().map(|(k, _)| k.to_string()).collect();
        let calls =
            q::calls(st, &viewer)?.into_iter().filter(|c| c.member.as_str() == party && c.status == "open").collect();
        Ok(Offers { wallet, party: party.clone(), holdings, instructions, proposals, clearing_houses, calls, now })
    })
    .await;
    let offers = match got {
        Ok(o) => o,
        Err(p) => return problem_page(&api, &visitor, &headers, "/console/act", p),
    };
    let page = Page::new("Act", "/console/act", forms(&offers)).with_script("act.js");
    render(&api, &visitor, &headers, page)
}

fn forms(o: &Offers) -> Markup {
    let wallet = o.wallet.to_hex();
    let from = html! { input type="hidden" name="from" value=(wallet); };
    html! {
        h1 { "Act" }
        p {
            "Acting as " strong { (o.party) } " from wallet " span.mono title=(wallet) { (o.wallet.short()) } ". "
            "Each action is prepared by the node, said in words and pre-checked; you sign it in this browser "
            "with the key you signed in with, and only then is it sent."
        }
        noscript { p.notice { "Acting needs JavaScript: transactions are signed in your browser." } }
        datalist #act-assets { @for h in &o.holdings { option value=(h.0) {} } }
        datalist #act-classes { @for h in o.holdings.iter().filter(|h| h.3) { option value=(h.0) {} } }
        datalist #act-ccps { @for c in &o.clearing_houses { option value=(c) {} } }
        section.act aria-labelledby="transfer-h" {
            h2 #transfer-h { "Transfer" }
            @if o.holdings.is_empty() { p { "You hold nothing free to transfer." } } @else {
                p { "Free in your wallet: "
                    @for (i, h) in o.holdings.iter().enumerate() {
                        @if i > 0 { ", " } (amount_of(h.1, h.2, &h.0))
                    }
                }
            }
            form.act-form #form-transfer data-op="transfer" {
                (from)
                label for="transfer-asset" { "Asset" }
                input #transfer-asset name="asset" list="act-assets" required autocomplete="off";
                label for="transfer-to" { "To (a party, or a wallet's first hex digits)" }
                input #transfer-to name="to" required autocomplete="off";
                label for="transfer-amount" { "Amount" }
                input #transfer-amount name="amount" inputmode="decimal" required autocomplete="off";
                button type="submit" { "Prepare" }
            }
        }
        section.act aria-labelledby="affirm-h" {
            h2 #affirm-h { "Affirm a settlement instruction" }
            (waiting(&o.instructions, "No instruction waits for your affirmation.", "act-instruction"))
            form.act-form #form-affirm data-op="affirm_instruction" {
                (from)
                label for="affirm-instruction" { "Instruction" }
                input #affirm-instruction name="instruction" data-number inputmode="numeric" required autocomplete="off";
                button type="submit" { "Prepare" }
            }
        }
        section.act aria-labelledby="approve-h" {
            h2 #approve-h { "Approve a governance proposal" }
            (waiting(&o.proposals, "No open proposal waits for your vote.", "act-proposal"))
            form.act-form #form-approve data-op="approve" {
                (from)
                label for="approve-proposal" { "Proposal" }
                input #approve-proposal name="proposal" data-number inputmode="numeric" required autocomplete="off";
                button type="submit" { "Prepare" }
            }
        }
        section.act aria-labelledby="redeem-h" {
            h2 #redeem-h { "Redeem fund shares" }
            form.act-form #form-redeem data-op="redeem" {
                (from)
                label for="redeem-class" { "Share class" }
                input #redeem-class name="class" list="act-classes" required autocomplete="off";
                label for="redeem-shares" { "Shares" }
                input #redeem-shares name="shares" inputmode="decimal" required autocomplete="off";
                button type="submit" { "Prepare" }
            }
        }
        section.act aria-labelledby="pledge-h" {
            h2 #pledge-h { "Pledge collateral" }
            form.act-form #form-pledge data-op="pledge_collateral" {
                (from)
                label for="pledge-ccp" { "Clearing house" }
                input #pledge-ccp name="ccp" list="act-ccps" required autocomplete="off";
                label for="pledge-asset" { "Asset" }
                input #pledge-asset name="asset" list="act-assets" required autocomplete="off";
                label for="pledge-amount" { "Amount" }
                input #pledge-amount name="amount" inputmode="decimal" required autocomplete="off";
                button type="submit" { "Prepare" }
            }
        }
        section.act aria-labelledby="margin-h" {
            h2 #margin-h { "Post margin" }
            @if o.calls.is_empty() { p { "No margin call is open on you." } } @else {
                ul #act-calls {
                    @for c in &o.calls {
                        li data-call=(c.id) { "Call " (c.id) " from " (c.ccp) ": short " (c.amount) " " (c.cash_asset)
                            ", due " (super::countdown(c.deadline, o.now)) }
                    }
                }
            }
            p { "Margin is posted in the clearing house's cash asset and counts toward your requirement at once." }
            @let first = o.calls.first();
            form.act-form #form-margin data-op="pledge_collateral" {
                (from)
                label for="margin-ccp" { "Clearing house" }
                input #margin-ccp name="ccp" list="act-ccps" value=[first.map(|c| c.ccp.to_string())] required autocomplete="off";
                label for="margin-asset" { "Cash asset" }
                input #margin-asset name="asset" value=[first.map(|c| c.cash_asset.to_string())] required autocomplete="off";
                label for="margin-amount" { "Amount" }
                input #margin-amount name="amount" inputmode="decimal" value=[first.map(|c| c.amount.clone())] required autocomplete="off";
                button type="submit" { "Prepare" }
            }
        }
        section #act-review aria-labelledby="review-h" hidden {
            h2 #review-h { "Review" }
            p #act-words {}
            div #act-precheck {}
            button #act-sign type="button" hidden { "Sign and submit" }
        }
        div #act-result role="status" aria-live="polite" {}
    }
}

/// What waits for the visitor's action, each line with its id to copy into the form.
fn waiting(items: &[(u64, String)], none: &str, id: &str) -> Markup {
    html! {
        @if items.is_empty() { p { (none) } } @else {
            ul id=(id) {
                @for (n, words) in items { li data-id=(n) { strong { (n) } ": " (words) } }
            }
        }
    }
}
