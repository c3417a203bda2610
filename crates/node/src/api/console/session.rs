//! Console sessions. The page proves a wallet by signing the node's access challenge in the
//! browser (the key never leaves the page); this module checks that signature with the API's
//! own [`AuthKeys`](crate::api::auth::AuthKeys) and keeps the API's own bearer token in a cookie:
//!
//! - `HttpOnly` (page scripts, and so injected ones, cannot read it), `SameSite=Strict` (no
//!   other site's page sends it), `Path=/console`, and `Max-Age` the token's lifetime.
//! - A forged, expired or retired token reads as anonymous, the page says why, and the cookie
//!   is cleared in the same answer.
//! - Opening a session takes `application/json` only, which a cross-site form cannot send.

use super::super::auth::now_s;
use super::super::limits::Key;
use super::super::problem::Problem;
use super::{render, Page, S};
use crate::query::Viewer;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use maud::{html, Markup};
use serde::Deserialize;
use std::net::SocketAddr;
use tessera_core::{Code, WalletId};

/// The session cookie's name.
pub const COOKIE: &str = "tessera_console";

/// Who is looking at a console page.
pub struct Visitor {
    pub viewer: Viewer,
    /// Something to tell them at the top of the page (an expired session).
    pub notice: Option<String>,
    /// The cookie to clear in the answer (it held a token that no longer works).
    clear_cookie: bool,
}

impl Visitor {
    /// Adds what the visit must change in the browser to a response: clearing a dead cookie.
    pub fn finish(&self, mut res: Response) -> Response {
        if self.clear_cookie {
            res.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static(CLEARED));
        }
        res
    }

    pub fn signed_in(&self) -> bool {
        self.viewer.wallet.is_some()
    }
}

const CLEARED: &str = "tessera_console=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0";

/// The session token in a request's cookies, if any.
fn token_in(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn client_ip(parts: &Parts) -> std::net::IpAddr {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))
}

impl FromRequestParts<S> for Visitor {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, api: &S) -> Result<Self, Response> {
        let refused = |p: Problem| super::super::routes::problem_response(p);
        let Some(token) = token_in(&parts.headers) else {
            super::super::routes::limit(api, Key::Address(client_ip(parts)), 1).map_err(refused)?;
            return Ok(Visitor { viewer: Viewer::anonymous(), notice: None, clear_cookie: false });
        };
        let dead = |why: String| Visitor {
            viewer: Viewer::anonymous(),
            notice: Some(format!("You are signed out: {why}. Sign in again to see your own figures.")),
            clear_cookie: true,
        };
        let wallet = match api.auth.check_token(&token, now_s()) {
            Ok(w) => w,
            Err(r) => {
                super::super::routes::limit(api, Key::Address(client_ip(parts)), 1).map_err(refused)?;
                return Ok(dead(r.message));
            }
        };
        super::super::routes::limit(api, Key::Wallet(wallet.0), 1).map_err(refused)?;
        match api.chain.read(|c| Viewer::resolve(c, wallet)) {
            Ok(Ok(viewer)) => Ok(Visitor { viewer, notice: None, clear_cookie: false }),
            Ok(Err(r)) => Ok(dead(r.message)),
            Err(r) => Err(refused(r.into())),
        }
    }
}

/// The header's corner: who is signed in, with a sign-out button; or a sign-in link.
pub fn identity(visitor: &Visitor) -> Markup {
    let v = &visitor.viewer;
    html! {
        @if let Some(w) = v.wallet {
            span.party title=(w.to_hex()) {
                (v.party.as_deref().unwrap_or("(no party)"))
                " · " span.mono { (w.short()) }
                @if v.sees_all { " · auditor" } @else if v.operator { " · operator" }
            }
            form.inline method="post" action="/console/signout" #signout {
                button type="submit" { "Sign out" }
            }
        } @else {
            a.signin href="/console/signin" { "Sign in" }
        }
    }
}

/// The sign-in page: the key file is read and used by the page's script only.
pub async fn signin_page(State(api): State<S>, visitor: Visitor, headers: HeaderMap) -> Response {
    let main = html! {
        h1 { "Sign in" }
        p {
            "Choose your wallet's key file (" code { "tessera keys new" } " writes one: 64 hex digits). "
            "This page signs the node's access challenge with it, in your browser; the key is never sent anywhere. "
            "It is kept in this browser, unreadable even to this page's scripts, until you sign out, "
            "so that you can sign transactions."
        }
        noscript {
            p.notice { "Signing in needs JavaScript (the signature is made in your browser). Reading public pages does not." }
        }
        form #signin-form {
            label for="keyfile" { "Key file" }
            input #keyfile type="file" name="keyfile" required;
            button type="submit" { "Sign in" }
        }
        p #signin-result role="status" aria-live="polite" {}
    };
    render(&api, &visitor, &headers, Page::new("Sign in", "/console/signin", main))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Open {
    wallet: WalletId,
    challenge: String,
    signature: String,
}

/// Opens a session from a signed access challenge (JSON only): the API's token, in the cookie.
pub async fn open(
    State(api): State<S>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let r: Result<Response, Problem> = async {
        super::super::routes::limit(&api, Key::Address(addr.ip()), 1)?;
        let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(Problem::new(Code::ApiUnsupportedMediaType, "send the signed challenge as application/json"));
        }
        let req: Open = serde_json::from_slice(&body)
            .map_err(|e| Problem::new(Code::ApiBadRequest, format!("bad sign-in body: {e}")))?;
        let (token, expires_at) = api.auth.token(&req.wallet, &req.challenge, &req.signature, now_s())?;
        let viewer = api.read(|c| Viewer::resolve(c, req.wallet)).await?;
        let Some(party) = viewer.party.clone() else {
            return Err(Problem::new(Code::ApiUnauthenticated, "this wallet is not on the ledger"));
        };
        let cookie = format!(
            "{COOKIE}={token}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}",
            expires_at.saturating_sub(now_s())
        );
        let mut res =
            Json(serde_json::json!({"party": party, "wallet": req.wallet, "expires_at": expires_at})).into_response();
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().insert(header::SET_COOKIE, v);
        }
        Ok(res)
    }
    .await;
    r.unwrap_or_else(super::super::routes::problem_response)
}

/// Ends the session: clears the cookie (the page's script also forgets the key).
pub async fn close() -> Response {
    let mut res = Redirect::to("/console").into_response();
    *res.status_mut() = StatusCode::SEE_OTHER;
    res.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static(CLEARED));
    res
}
