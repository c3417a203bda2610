//! The web console (I4): operators and investors see and act on the ledger in a browser,
//! served by the node at `/console`.
//!
//! - Pages are rendered here, on the server, from the same read model and access rules the API
//!   uses ([`crate::query`] and its `Viewer`): what a person sees is exactly what their token
//!   would read over `/v1`. Reading works with JavaScript turned off.
//! - Sign-in never sends a key: the page signs the node's access challenge with WebCrypto
//!   Ed25519 and posts the signature; the session is the API's own short-lived bearer token,
//!   held in an `HttpOnly`, `SameSite=Strict` cookie that page scripts cannot read.
//! - Actions are prepared by the node, shown in words, signed in the page and submitted to
//!   `/v1/transactions` like any client's (see `console.js`).
//! - Live: the page follows `/v1/events` and re-renders its main part on each new block.
//! - Every tabular view exports CSV through the command line's writer ([`crate::present::table`]),
//!   from the same typed rows the API serves.
//! - Names, memos and every other ledger text are escaped by the template engine (maud); a
//!   strict Content-Security-Policy allows only this node's own script and style.

mod act;
mod collateral;
mod compliance;
mod format;
mod fund;
mod governance;
mod overview;
mod session;
mod settlement;

pub use format::*;
pub use session::Visitor;

use super::problem::Problem;
use super::Api;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Serialize;
use std::sync::Arc;
use tessera_core::Refusal;

type S = Arc<Api>;

/// The console's script and style, served from the binary (no build step, nothing fetched from
/// elsewhere). Their URLs carry a digest of their bytes, so they can be cached forever.
/// (name, bytes, content type) of every file under `/console/static/`.
const FILES: &[(&str, &str, &str)] = &[
    ("console.js", include_str!("assets/console.js"), "text/javascript; charset=utf-8"),
    ("console.css", include_str!("assets/console.css"), "text/css; charset=utf-8"),
    ("act.js", include_str!("assets/act.js"), "text/javascript; charset=utf-8"),
];

/// The request header the page's own script sends when it asks for just the main part of a
/// page (a live refresh).
pub const LIVE_HEADER: &str = "x-console-live";

/// The console's routes (merged into the node's router).
pub fn router(api: S) -> Router<S> {
    Router::new()
        .route("/console", get(overview::page))
        .route("/console/", get(|| async { Redirect::permanent("/console") }))
        .route("/console/assets.csv", get(overview::assets_csv))
        .route("/console/holdings", get(overview::holdings))
        .route("/console/holdings.csv", get(overview::holdings_csv))
        .route("/console/journal", get(overview::journal))
        .route("/console/journal.csv", get(overview::journal_csv))
        .route("/console/journal/{height}", get(overview::block))
        .route("/console/fund", get(fund::index))
        .route("/console/fund/{fund}", get(fund::page))
        .route("/console/fund/{fund}/reconcile", post(fund::reconcile))
        .route("/console/fund/{fund}/reconcile.csv", post(fund::reconcile_csv))
        .route("/console/fund/{fund}/valuations.csv", get(fund::valuations_csv))
        .route("/console/fund/{fund}/payouts.csv", get(fund::payouts_csv))
        .route("/console/fund/{fund}/liquidity.csv", get(fund::liquidity_csv))
        .route("/console/fund/{fund}/redemptions.csv", get(fund::redemptions_csv))
        .route("/console/settlement", get(settlement::page))
        .route("/console/settlement/instructions.csv", get(settlement::instructions_csv))
        .route("/console/settlement/htlcs.csv", get(settlement::htlcs_csv))
        .route("/console/settlement/tenders.csv", get(settlement::tenders_csv))
        .route("/console/settlement/repos.csv", get(settlement::repos_csv))
        .route("/console/collateral", get(collateral::page))
        .route("/console/collateral/calls.csv", get(collateral::calls_csv))
        .route("/console/collateral/pledges.csv", get(collateral::pledges_csv))
        .route("/console/collateral/loans.csv", get(collateral::loans_csv))
        .route("/console/collateral/{ccp}/margin.csv", get(collateral::margin_csv))
        .route("/console/compliance", get(compliance::page))
        .route("/console/compliance/refusals.csv", get(compliance::refusals_csv))
        .route("/console/compliance/alerts.csv", get(compliance::alerts_csv))
        .route("/console/compliance/sanctions.csv", get(compliance::sanctions_csv))
        .route("/console/governance", get(governance::page))
        .route("/console/governance/proposals.csv", get(governance::proposals_csv))
        .route("/console/act", get(act::page))
        .route("/console/act/prepare", post(act::prepare))
        .route("/console/act/tx/{id}", get(act::receipt))
        .route("/console/signin", get(session::signin_page))
        .route("/console/session", post(session::open))
        .route("/console/signout", post(session::close))
        .route("/console/static/{file}", get(asset))
        .route("/console/{*rest}", get(no_such_page))
        .layer(middleware::from_fn_with_state(api, secure_headers))
}

/// What the browser may load and run on a console page: this node's script, style and data
/// images, nothing inline, no framing.
async fn secure_headers(State(_): State<S>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// A static file's URL, carrying a digest of its bytes (so it can be cached for good).
pub fn static_url(name: &str) -> String {
    let bytes = FILES.iter().find(|(n, _, _)| *n == name).map(|(_, b, _)| *b).unwrap_or("");
    format!("/console/static/{name}?v={}", &tessera_core::crypto::sha256(bytes.as_bytes()).to_hex()[..12])
}

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == file) {
        Some((_, body, kind)) => {
            ([(header::CONTENT_TYPE, *kind), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], *body)
                .into_response()
        }
        None => not_found_page(&format!("no console file {file:?}")),
    }
}

/// The views, in the order the navigation lists them: (path, label).
pub const VIEWS: &[(&str, &str)] = &[
    ("/console", "Overview"),
    ("/console/holdings", "Holdings"),
    ("/console/fund", "Fund"),
    ("/console/settlement", "Settlement"),
    ("/console/collateral", "Collateral"),
    ("/console/compliance", "Compliance"),
    ("/console/governance", "Governance"),
    ("/console/journal", "Journal"),
    ("/console/act", "Act"),
];

/// One page: its title, the view it belongs to (for the navigation), its main part, and the
/// scripts of `FILES` it loads besides `console.js`.
pub struct Page {
    pub title: String,
    pub view: &'static str,
    pub main: Markup,
    pub scripts: Vec<&'static str>,
}

impl Page {
    pub fn new(title: impl Into<String>, view: &'static str, main: Markup) -> Page {
        Page { title: title.into(), view, main, scripts: Vec::new() }
    }

    /// The page also loads `file` (one of `FILES`), after `console.js`.
    pub fn with_script(mut self, file: &'static str) -> Page {
        self.scripts.push(file);
        self
    }
}

/// Renders a page for `visitor`: the whole document, or only its main part when the page's
/// script asks for a live refresh.
pub fn render(api: &Api, visitor: &Visitor, headers: &axum::http::HeaderMap, page: Page) -> Response {
    let height = api.durable_height();
    if headers.contains_key(LIVE_HEADER) {
        // The main part, and the status bar for the script to swap in beside it.
        let fresh = html! { (page.main) template #status-fresh { (status_bar(api, height)) } };
        return visitor.finish(Html(fresh.into_string()).into_response());
    }
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="data:,";
                title { (page.title) " · Tessera " (api.network()) }
                link rel="stylesheet" href=(static_url("console.css"));
                script src=(static_url("console.js")) defer {}
                @for file in &page.scripts { script src=(static_url(file)) defer {} }
            }
            body data-wallet=[visitor.viewer.wallet.map(|w| w.to_hex())] data-height=(height) {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.brand {
                        a href="/console" { "Tessera" }
                        span.network { (api.network()) }
                    }
                    nav aria-label="Views" {
                        ul {
                            @for (path, label) in VIEWS {
                                li {
                                    @if *path == page.view {
                                        a href=(path) aria-current="page" { (label) }
                                    } @else {
                                        a href=(path) { (label) }
                                    }
                                }
                            }
                        }
                    }
                    div.who {
                        (session::identity(visitor))
                    }
                }
                div.status #status role="status" aria-live="polite" {
                    (status_bar(api, height))
                }
                @if let Some(note) = &visitor.notice {
                    p.notice role="alert" { (note) }
                }
                main #main tabindex="-1" {
                    (page.main)
                }
                footer {
                    "Every figure here is read from the journal of network " (api.network())
                    ". Times in your zone; hover for UTC."
                }
            }
        }
    };
    visitor.finish(Html(doc.into_string()).into_response())
}

/// The status bar: the height, the verified badge, and whether the page is live.
fn status_bar(api: &Api, height: u64) -> Markup {
    html! {
        span.badge #height { "height " (height) }
        (verified_badge(&api.audit.status(), height))
        span.badge.live #live hidden { "live" }
    }
}

/// The "verified to height H" badge: what the background verifier has checked by replaying
/// the journal from its genesis.
fn verified_badge(audit: &crate::audit::AuditStatus, height: u64) -> Markup {
    html! {
        @if let Some(m) = &audit.mismatch {
            span.badge.bad #verified title=(m) { "journal disagrees: " (m) }
        } @else if let Some(v) = audit.verified_height {
            @if v >= height {
                span.badge.good #verified data-verified=(v) title="replayed from genesis by this node's background verifier" {
                    "verified to height " (v)
                }
            } @else {
                span.badge #verified data-verified=(v) title="replayed from genesis by this node's background verifier; catching up" {
                    "verified to height " (v) " (catching up)"
                }
            }
        } @else {
            span.badge #verified title=[audit.idle.as_deref()] { "not verified yet" }
        }
    }
}

/// An HTML body.
pub struct Html(pub String);

impl IntoResponse for Html {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], self.0)
            .into_response()
    }
}

/// A refusal as a page: its code and message, with the status the API would answer.
pub fn problem_page(
    api: &Api,
    visitor: &Visitor,
    headers: &axum::http::HeaderMap,
    view: &'static str,
    p: Problem,
) -> Response {
    let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
    let main = refusal_box(p.code.as_str(), &p.detail);
    let mut res = render(api, visitor, headers, Page::new("Refused", view, main));
    *res.status_mut() = status;
    res
}

/// A refusal's code and message, as every page shows one.
pub fn refusal_box(code: &str, message: &str) -> Markup {
    html! {
        section.refusal role="alert" {
            h1 { "Refused" }
            p { code { (code) } }
            p { (message) }
        }
    }
}

/// A console address that names no page: the page says so, with the navigation.
async fn no_such_page(
    State(api): State<S>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let p = Problem::new(tessera_core::Code::ApiNotFound, format!("no console page {}", uri.path()));
    problem_page(&api, &visitor, &headers, "", p)
}

fn not_found_page(msg: &str) -> Response {
    (StatusCode::NOT_FOUND, Html(html! { (DOCTYPE) html lang="en" { body { p { (msg) } } } }.into_string()))
        .into_response()
}

/// A table as CSV, named `file`, through the command line's writer (its columns are the JSON
/// field names the API answers with).
pub fn csv<T: Serialize + ?Sized>(visitor: &Visitor, file: &str, rows: &T) -> Response {
    let body = crate::present::table::to_csv(rows);
    let disposition = format!("attachment; filename=\"{file}\"");
    let mut res = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    visitor.finish(res)
}

/// A CSV route of a view that needs a session: the rows `rows` reads for the visitor (the read
/// model's, as the matching `/v1` route serves them), or the problem the API would answer.
pub async fn session_csv<T: Serialize>(
    api: &Api,
    visitor: Visitor,
    file: &str,
    what: &str,
    rows: impl FnOnce(&tessera_core::state::State, &crate::query::Viewer) -> Result<T, Refusal>,
) -> Response {
    if visitor.viewer.authenticated().is_err() {
        return csv_refused(&visitor, overview::sign_in_needed(what));
    }
    let viewer = visitor.viewer.clone();
    match read(api, |c| rows(&c.state, &viewer)).await {
        Ok(rows) => csv(&visitor, file, &rows),
        Err(p) => csv_refused(&visitor, p),
    }
}

/// A CSV route's refusal: the problem document the API would answer.
pub fn csv_refused(visitor: &Visitor, p: Problem) -> Response {
    visitor.finish(super::routes::problem_response(p))
}

/// Reads the state for a page, then waits until what it read is durable (as the API does).
pub async fn read<T>(
    api: &Api,
    f: impl FnOnce(&tessera_core::exec::Chain) -> Result<T, Refusal>,
) -> Result<T, Problem> {
    api.read(f).await
}

/// A link to a CSV export, beside the table it exports.
pub fn csv_link(href: &str) -> Markup {
    html! { a.csv href=(href) download { "Download CSV" } }
}

/// Raw markup that is already safe (an SVG chart the server drew from numbers).
pub fn trusted_svg(svg: String) -> PreEscaped<String> {
    PreEscaped(svg)
}
