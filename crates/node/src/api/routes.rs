//! Routes, extractors and middleware of API v1.

use super::auth::now_s;
use super::contract::{self, BearerAuth};
use super::limits::Key;
use super::problem::Problem;
use super::Api;
use crate::engine::Answer;
use crate::query::{self as q, Viewer};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_core::block::{Outcome, Receipt};
use tessera_core::input::Resolver;
use tessera_core::op::Op;
use tessera_core::tx::{SignedTx, TxBody};
use tessera_core::*;

type S = Arc<Api>;
type ApiResult<T> = Result<T, Problem>;

/// Every route [`router`] registers, as (method, path). Keep it in step when adding a route:
/// `crates/cli/tests/openapi.rs` reads `router()`'s `.route(..)` calls from this file and checks
/// them, this list and the OpenAPI document against one another, and calls each route over HTTP.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/v1/status"),
    ("POST", "/v1/auth/challenge"),
    ("POST", "/v1/auth/token"),
    ("POST", "/v1/transactions/prepare"),
    ("POST", "/v1/transactions"),
    ("POST", "/v1/transactions/batch"),
    ("GET", "/v1/transactions/{id}"),
    ("POST", "/v1/precheck"),
    ("GET", "/v1/assets"),
    ("GET", "/v1/assets/{asset}/holders"),
    ("GET", "/v1/assets/{asset}/register"),
    ("GET", "/v1/securities/{security}/yield"),
    ("GET", "/v1/parties"),
    ("GET", "/v1/parties/{party}"),
    ("GET", "/v1/parties/{party}/balances"),
    ("GET", "/v1/parties/{party}/statement"),
    ("GET", "/v1/wallets/{wallet}/balances"),
    ("GET", "/v1/wallets/{wallet}/history"),
    ("GET", "/v1/wallets/{wallet}/locks"),
    ("GET", "/v1/wallets/{wallet}/statement"),
    ("GET", "/v1/instructions"),
    ("GET", "/v1/funds"),
    ("GET", "/v1/funds/{fund}"),
    ("GET", "/v1/funds/{fund}/report"),
    ("GET", "/v1/feeds"),
    ("GET", "/v1/redemptions"),
    ("GET", "/v1/alerts"),
    ("GET", "/v1/proposals"),
    ("GET", "/v1/clearing/{ccp}/margin"),
    ("GET", "/v1/pledges"),
    ("GET", "/v1/calls"),
    ("GET", "/v1/loans"),
    ("GET", "/v1/blocks"),
    ("GET", "/v1/blocks/{height}"),
    ("GET", "/v1/events"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
];

/// Most transactions in one batch request.
pub const MAX_BATCH: usize = 4_096;
/// Most blocks listed by one request.
const MAX_BLOCKS_LISTED: u64 = 1_000;

pub fn router(api: S) -> Router {
    let timed = Router::new()
        .route("/v1/status", get(status))
        .route("/v1/auth/challenge", post(auth_challenge))
        .route("/v1/auth/token", post(auth_token))
        .route("/v1/transactions/prepare", post(prepare))
        .route("/v1/transactions", post(submit))
        .route("/v1/transactions/batch", post(submit_batch))
        .route("/v1/transactions/{id}", get(transaction))
        .route("/v1/precheck", post(precheck))
        .route("/v1/assets", get(assets))
        .route("/v1/assets/{asset}/holders", get(holders))
        .route("/v1/assets/{asset}/register", get(register))
        .route("/v1/securities/{security}/yield", get(security_yield))
        .route("/v1/parties", get(parties))
        .route("/v1/parties/{party}", get(party))
        .route("/v1/parties/{party}/balances", get(party_balances))
        .route("/v1/parties/{party}/statement", get(party_statement))
        .route("/v1/wallets/{wallet}/balances", get(wallet_balances))
        .route("/v1/wallets/{wallet}/history", get(wallet_history))
        .route("/v1/wallets/{wallet}/locks", get(wallet_locks))
        .route("/v1/wallets/{wallet}/statement", get(wallet_statement))
        .route("/v1/instructions", get(instructions))
        .route("/v1/funds", get(funds))
        .route("/v1/funds/{fund}", get(fund))
        .route("/v1/funds/{fund}/report", get(fund_report))
        .route("/v1/feeds", get(feeds))
        .route("/v1/redemptions", get(redemptions))
        .route("/v1/alerts", get(alerts))
        .route("/v1/proposals", get(proposals))
        .route("/v1/clearing/{ccp}/margin", get(margin_report))
        .route("/v1/pledges", get(pledges))
        .route("/v1/calls", get(calls))
        .route("/v1/loans", get(loans))
        .route("/v1/blocks", get(blocks))
        .route("/v1/blocks/{height}", get(block))
        .merge(super::console::router(api.clone()))
        .layer(middleware::from_fn_with_state(Duration::from_millis(api.config.request_timeout_ms), time_limit));
    Router::new()
        .merge(timed)
        // Long-lived: no time limit.
        .route("/v1/events", get(events))
        .route("/v1/openapi.json", get(openapi))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(api.clone(), observe))
        .with_state(api)
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// Counts responses and refusal codes, times requests, logs method, route and status.
async fn observe(State(api): State<S>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let res = next.run(req).await;
    let elapsed = start.elapsed();
    api.metrics.request_latency.observe(elapsed);
    api.metrics.responded(res.status().as_u16());
    if let Some(ProblemCode(code)) = res.extensions().get::<ProblemCode>() {
        api.metrics.refused(code);
    }
    tracing::debug!(%method, path, status = res.status().as_u16(), us = elapsed.as_micros() as u64, "request");
    res
}

/// The stable code of a problem response, for the metrics.
#[derive(Clone, Copy)]
struct ProblemCode(&'static str);

async fn time_limit(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => reply(Problem::new(
            Code::ApiTimeout,
            format!(
                "no answer within {} ms; a submission may still commit: look its id up at /v1/transactions/{{id}}",
                limit.as_millis()
            ),
        )),
    }
}

/// A problem as a response, counted by its code (the console answers its refusals this way too).
pub(super) fn problem_response(p: Problem) -> Response {
    reply(p)
}

fn reply(p: Problem) -> Response {
    let code = p.code.as_str();
    let mut res = p.into_response();
    res.extensions_mut().insert(ProblemCode(code));
    res
}

/// Handlers return `Result<_, Problem>`; this makes the error half a response with its code.
struct Reply<T>(ApiResult<T>);

impl<T: IntoResponse> IntoResponse for Reply<T> {
    fn into_response(self) -> Response {
        match self.0 {
            Ok(v) => v.into_response(),
            Err(p) => reply(p),
        }
    }
}

impl<T> From<ApiResult<T>> for Reply<T> {
    fn from(r: ApiResult<T>) -> Self {
        Reply(r)
    }
}

async fn not_found(req: Request) -> Response {
    reply(Problem::new(Code::ApiNotFound, format!("no route {} {}", req.method(), req.uri().path())))
}

async fn method_not_allowed(req: Request) -> Response {
    reply(Problem::new(Code::ApiMethodNotAllowed, format!("{} is not allowed on {}", req.method(), req.uri().path())))
}

// ---------------------------------------------------------------------------------------------
// Extractors

/// A JSON request body: `application/json` only, within the size limit, no unknown fields.
struct JsonBody<T>(T);

impl<T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" {
            return Err(reply(Problem::new(
                Code::ApiUnsupportedMediaType,
                if ct.is_empty() {
                    "send the body as application/json (it came with no content type)".to_string()
                } else {
                    format!("send the body as application/json (it came as {ct})")
                },
            )));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                reply(Problem::new(
                    Code::ApiPayloadTooLarge,
                    format!("the body exceeds {} bytes", state.config.max_body_bytes),
                ))
            } else {
                reply(Problem::new(Code::ApiBadRequest, format!("cannot read the body: {e}")))
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| reply(Problem::new(Code::ApiBadRequest, format!("bad JSON body: {e}"))))
    }
}

/// Query parameters, refused with a problem when malformed or unknown.
struct Params<T>(T);

impl<T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_parse(q)
            .map(Params)
            .map_err(|e| reply(Problem::new(Code::ApiBadRequest, format!("bad query parameters: {e}"))))
    }
}

fn serde_urlencoded_parse<T: DeserializeOwned>(q: &str) -> Result<T, String> {
    axum::extract::Query::<T>::try_from_uri(&format!("/?{q}").parse().map_err(|e| format!("{e}"))?)
        .map(|axum::extract::Query(v)| v)
        .map_err(|e| e.body_text())
}

/// The caller: anonymous, or the wallet of a valid bearer token (rate-limited per key).
struct Who(Viewer);

impl FromRequestParts<S> for Who {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, api: &S) -> Result<Self, Response> {
        let auth = parts.headers.get(header::AUTHORIZATION);
        let Some(auth) = auth else {
            let ip = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
            limit(api, Key::Address(ip), 1).map_err(reply)?;
            return Ok(Who(Viewer::anonymous()));
        };
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(|| reply(Problem::new(Code::ApiUnauthenticated, "use Authorization: Bearer <token>")))?;
        let wallet = api.auth.check_token(token.trim(), now_s()).map_err(|e| reply(e.into()))?;
        limit(api, Key::Wallet(wallet.0), 1).map_err(reply)?;
        let caller = api.chain.read(|c| Viewer::resolve(c, wallet)).and_then(|c| c).map_err(|e| reply(e.into()))?;
        Ok(Who(caller))
    }
}

/// The client's address (for limits on requests no key vouches for).
struct ClientIp(std::net::IpAddr);

impl FromRequestParts<S> for ClientIp {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientIp(ip.unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))))
    }
}

/// A key is charged only for what it provably sent: a signer once its signature verifies, a
/// wallet once its challenge does. Anything unproven is charged to the client's address, so
/// nobody can spend another wallet's allowance by sending garbage in its name.
pub(super) fn limit(api: &Api, key: Key, n: u32) -> ApiResult<()> {
    api.limiter.take(key, n, Instant::now()).map_err(|wait| {
        Problem::new(Code::ApiRateLimited, "too many requests for this key; slow down").retry_after(wait)
    })
}

fn wallet_param(s: &str) -> ApiResult<WalletId> {
    WalletId::from_hex(s)
        .ok_or_else(|| Problem::new(Code::ApiBadRequest, format!("{s:?} is not a wallet id (64 hex digits)")))
}

fn symbol_param(s: &str) -> ApiResult<Symbol> {
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) {
        return Err(Problem::new(Code::ApiBadRequest, format!("{s:?} is not a symbol")));
    }
    Ok(Symbol::new(s))
}

// ---------------------------------------------------------------------------------------------
// Operations

/// The process is up.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub(super) struct Health {
    #[schema(value_type = String, pattern = "^ok$")]
    status: &'static str,
}

#[utoipa::path(
    get,
    path = "/health",
    operation_id = "health",
    tag = "node",
    summary = "Liveness: the process answers",
    responses(
        (status = 200, description = "OK", body = Health),
    ),
)]
async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The node serves: its journal is readable and writable.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Ready {
    #[schema(value_type = String, pattern = "^ready$")]
    status: &'static str,
    /// The durable height.
    height: u64,
}

#[utoipa::path(
    get,
    path = "/ready",
    operation_id = "ready",
    tag = "node",
    summary = "Readiness: the ledger is open and the node takes work",
    responses(
        (status = 200, description = "OK", body = Ready),
        (status = 503, response = contract::Unavailable),
    ),
)]
async fn ready(State(api): State<S>) -> Reply<Json<Ready>> {
    Reply((|| {
        api.refuse_if_stopping()?;
        if let Some(f) = api.durable.failure() {
            // Not ready, and not going to be: the journal cannot be written.
            return Err(Problem::with_status(StatusCode::SERVICE_UNAVAILABLE, f.code, f.message.clone()));
        }
        api.chain.read(|_| ())?;
        Ok(Json(Ready { status: "ready", height: api.durable.get() }))
    })())
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "node",
    summary = "Prometheus metrics",
    responses(
        (status = 200, description = "Metrics in the Prometheus text format (version 0.0.4).", body = String, content_type = "text/plain"),
    ),
)]
async fn metrics(State(api): State<S>) -> Response {
    let text = api.metrics.render(api.queue_depth(), api.config.queue_capacity);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

#[utoipa::path(
    get,
    path = "/v1/openapi.json",
    operation_id = "openapi",
    tag = "node",
    summary = "This document",
    responses(
        (status = 200, description = "The OpenAPI document.", body = Object, content_type = "application/json"),
    ),
)]
async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], contract::document()).into_response()
}

/// The node and its ledger now.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Status {
    /// The ledger's network id.
    network: String,
    /// Height of the head block.
    height: u64,
    head_hash: Hash,
    /// The head block's time.
    time: Time,
    /// Transactions waiting for the sequencer.
    queue_depth: usize,
    /// Transactions that may wait before submissions are refused with `api.busy`.
    queue_capacity: usize,
    /// What this node does with the journal: `leader` sequences and writes it; `standby` follows
    /// it and takes over when the writer's lock is released; `follower` is a read replica that
    /// verifies every block. Only a leader accepts submissions (others answer `api.not_leader`).
    role: super::NodeRole,
}

#[utoipa::path(
    get,
    path = "/v1/status",
    operation_id = "status",
    tag = "node",
    summary = "The head of the chain and the sequencer queue",
    description = "Public. The `Authorization` header is not read here.",
    responses(
        (status = 200, description = "OK", body = Status),
        (status = 503, response = contract::Unavailable),
    ),
)]
async fn status(State(api): State<S>) -> Reply<Json<Status>> {
    Reply(
        api.read(|c| {
            Ok(Status {
                network: api.network.clone(),
                height: c.height(),
                head_hash: c.head.hash(),
                time: c.head.time,
                queue_depth: api.queue_depth(),
                queue_capacity: api.config.queue_capacity,
                role: api.role(),
            })
        })
        .await
        .map(Json),
    )
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChallengeRequest {
    /// The wallet to sign in as.
    wallet: WalletId,
}

/// A challenge to sign.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Challenge {
    /// The text to sign (its exact UTF-8 bytes) with the wallet's Ed25519 key.
    challenge: String,
    /// When the challenge expires.
    expires_at: Time,
    /// How to use the challenge.
    sign: &'static str,
}

#[utoipa::path(
    post,
    path = "/v1/auth/challenge",
    operation_id = "authChallenge",
    tag = "auth",
    summary = "A challenge for a wallet to sign",
    description = "Read access: sign the returned challenge's UTF-8 bytes with the wallet's Ed25519 key, then POST it to `/v1/auth/token`. Challenges expire after 120 seconds.",
    request_body(content = ChallengeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = Challenge),
        (status = 400, response = contract::BadRequest),
        (status = 413, response = contract::PayloadTooLarge),
        (status = 415, response = contract::UnsupportedMediaType),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
)]
async fn auth_challenge(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<ChallengeRequest>,
) -> Reply<Json<Challenge>> {
    if let Err(p) = limit(&api, Key::Address(ip), 1) {
        return Reply(Err(p));
    }
    let (challenge, expires_at) = api.auth.challenge(&req.wallet, now_s());
    Reply(Ok(Json(Challenge {
        challenge,
        expires_at: Time(expires_at),
        sign: "sign the UTF-8 bytes of `challenge` with the wallet's Ed25519 key; POST it to /v1/auth/token",
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenRequest {
    wallet: WalletId,
    /// The challenge, exactly as received.
    challenge: String,
    /// The Ed25519 signature of the challenge's UTF-8 bytes, 128 hex digits.
    signature: String,
}

/// A bearer token for a wallet.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Token {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    /// When the token expires.
    expires_at: Time,
    wallet: WalletId,
    /// The wallet's party.
    #[schema(value_type = Option<PartyId>)]
    party: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/auth/token",
    operation_id = "authToken",
    tag = "auth",
    summary = "A bearer token for a signed challenge",
    description = "Tokens are bound to the wallet, expire (`expires_at`) and do not survive a node restart.",
    request_body(content = TokenRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = Token),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 413, response = contract::PayloadTooLarge),
        (status = 415, response = contract::UnsupportedMediaType),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
)]
async fn auth_token(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<TokenRequest>,
) -> Reply<Json<Token>> {
    Reply(
        async {
            limit(&api, Key::Address(ip), 1)?;
            let (token, expires_at) = api.auth.token(&req.wallet, &req.challenge, &req.signature, now_s())?;
            limit(&api, Key::Wallet(req.wallet.0), 1)?;
            let caller = api.read(|c| Viewer::resolve(c, req.wallet)).await?;
            if caller.party.is_none() {
                return Err(Problem::new(Code::ApiUnauthenticated, "this wallet is not on the ledger"));
            }
            Ok(Json(Token { token, expires_at: Time(expires_at), wallet: req.wallet, party: caller.party }))
        }
        .await,
    )
}

// ---------------------------------------------------------------------------------------------
// Transactions

/// Operations to prepare as a transaction body for `signer`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PrepareRequest {
    signer: WalletId,
    /// The operations, as answers write them (`Op`). Each amount may be given as `x` in the
    /// asset's units (`"1,500.00"` or `1.5`), as `x_units` in minor units (`x` null or left
    /// out), or both when they agree; wallets by hex, party id or an unambiguous hex prefix.
    /// The body holds minor units and wallet keys.
    #[schema(value_type = Vec<tessera_core::op::Op>, min_items = 1)]
    ops: Vec<Value>,
    /// Default: the signer's next sequence number on the ledger.
    seq: Option<u64>,
    /// Seconds until the body expires. Default: one hour from now (the node's clock, or the
    /// head block's time when later); at most 366 days.
    expires_in_s: Option<u64>,
    /// Or the expiry itself (ISO 8601): a body to be signed later by several keys, or one that
    /// must come out the same bytes each time it is prepared. Not with `expires_in_s`.
    expires_at: Option<Time>,
}

/// When a prepared body expires.
#[derive(Clone, Copy, Debug)]
pub(super) enum Expiry {
    /// Seconds from now (default one hour).
    In(Option<u64>),
    /// At this time.
    At(Time),
}

impl PrepareRequest {
    fn expiry(&self) -> ApiResult<Expiry> {
        match (self.expires_in_s, self.expires_at) {
            (Some(_), Some(_)) => Err(Problem::new(Code::ApiBadRequest, "give expires_in_s or expires_at, not both")),
            (_, Some(at)) => Ok(Expiry::At(at)),
            (seconds, None) => Ok(Expiry::In(seconds)),
        }
    }
}

#[utoipa::path(
    post,
    path = "/v1/transactions/prepare",
    operation_id = "prepare",
    tag = "transactions",
    summary = "The canonical body of a transaction, to sign",
    description = "Reads the operations as people write them, against the ledger as it stands (tessera_core::input): amounts in the asset's units (`\"amount\": \"1,500.00\"` or `1.5`; minor units as `amount_units`), wallets by party id (its first wallet) or by an unambiguous hex prefix. The body returned holds minor units and wallet keys. Refusals: input.bad_amount, input.too_many_decimals, input.amount_too_large, input.unknown_name, input.ambiguous_wallet (400). Then runs the same stateless checks as submission, so a prepared body can be signed and sent.",
    request_body(content = PrepareRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = Prepared),
        (status = 400, response = contract::BadRequest),
        (status = 413, response = contract::PayloadTooLarge),
        (status = 415, response = contract::UnsupportedMediaType),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
)]
async fn prepare(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<PrepareRequest>,
) -> Reply<Json<Prepared>> {
    Reply(
        async {
            limit(&api, Key::Address(ip), 1)?;
            let expiry = req.expiry()?;
            let body = prepare_body(&api, req.signer, req.ops, req.seq, expiry).await?;
            let bytes = borsh::to_vec(&body).unwrap_or_default();
            let id = body.id();
            let body = api.read(|c| Ok(q::answer(&c.state, &body))).await?;
            Ok(Json(Prepared {
                id,
                body_hex: hex::encode(bytes),
                body,
                sign: "sign the 32 bytes of `id` with the signer's Ed25519 key; POST {body_hex, signature} to /v1/transactions",
            }))
        }
        .await,
    )
}

/// A transaction body ready to sign.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Prepared {
    /// The transaction id: SHA-256 of `tessera/tx/v1` and the body's bytes (docs/formats.md).
    /// Sign these 32 bytes.
    id: Hash,
    /// The body's canonical (borsh) bytes, hex.
    #[schema(pattern = "^([0-9a-f]{2})*$")]
    body_hex: String,
    /// The body decoded, its amounts in the asset's units beside the minor units it holds.
    #[schema(value_type = TxBody)]
    body: Value,
    /// How to sign and submit.
    sign: &'static str,
}

/// A transaction body for `signer` from operations as people write them: amounts in their
/// asset's units and wallets by name are read against the ledger as it stands
/// (`tessera_core::input`); the body holds minor units and wallet keys. The sequence number
/// defaults to the signer's next, the expiry to one hour from the head block's time. The
/// body passes the checks the door runs without state, so a prepared body is one that can be
/// sent. `POST /v1/transactions/prepare` and the console's actions both prepare through here.
pub(super) async fn prepare_body(
    api: &Api,
    signer: WalletId,
    ops: Vec<Value>,
    seq: Option<u64>,
    expiry: Expiry,
) -> ApiResult<TxBody> {
    let (written, next_seq, head_time) = api
        .read(|c| {
            let st = &c.state;
            let written = Resolver::new(st).canonical_ops(&Value::Array(ops));
            let seq = st.wallet_index.get(&signer).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
            Ok((written, seq, c.head.time))
        })
        .await?;
    let ops: Vec<Op> = serde_json::from_value(written.map_err(unreadable)?)
        .map_err(|e| Problem::new(Code::ApiBadRequest, format!("bad operations: {e}")))?;
    let now = crate::engine::system_time().max(head_time);
    let expires_at = match expiry {
        Expiry::In(seconds) => now.plus(seconds.unwrap_or(3_600).min(366 * 86_400)),
        Expiry::At(at) if at <= now => {
            // A bad request: nothing was sent (`tx.expired` answers 409 only at submission).
            return Err(Problem::with_status(
                StatusCode::BAD_REQUEST,
                Code::TxExpired,
                format!("expires_at {at} is not after now ({now}): the body could not be sent"),
            ));
        }
        Expiry::At(at) => at,
    };
    let body = TxBody { network: api.network.clone(), signer, seq: seq.unwrap_or(next_seq), expires_at, ops };
    SignedTx { body: body.clone(), signature: [0; 64] }.check_stateless()?;
    Ok(body)
}

/// A signed transaction: `tx`, or `body_hex` with `signature`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SubmitRequest {
    /// The signed transaction's canonical bytes, hex.
    tx: Option<String>,
    /// Or: the body's canonical bytes (from prepare) and the signature, hex.
    body_hex: Option<String>,
    signature: Option<String>,
}

fn decode_submission(req: SubmitRequest) -> Result<SignedTx, Refusal> {
    let malformed = |m: &str| Refusal::new(Code::TxMalformed, m.to_string());
    match (req.tx, req.body_hex, req.signature) {
        (Some(tx), None, None) => {
            let bytes = hex::decode(tx.trim()).map_err(|_| malformed("`tx` is not hex"))?;
            SignedTx::decode(&bytes)
        }
        (None, Some(body), Some(sig)) => {
            let bytes = hex::decode(body.trim()).map_err(|_| malformed("`body_hex` is not hex"))?;
            if bytes.len() > tessera_core::tx::MAX_TX_BYTES {
                return Err(Refusal::new(Code::TxTooLarge, "the body exceeds the transaction size limit"));
            }
            let body: TxBody =
                borsh::from_slice(&bytes).map_err(|e| malformed(&format!("cannot decode the body: {e}")))?;
            let mut signature = [0u8; 64];
            hex::decode_to_slice(sig.trim(), &mut signature)
                .map_err(|_| malformed("`signature` must be 128 hex digits"))?;
            let tx = SignedTx { body, signature };
            tx.check_stateless()?;
            Ok(tx)
        }
        _ => Err(malformed("send either `tx`, or `body_hex` with `signature`")),
    }
}

/// A committed transaction: its block is durable.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Committed {
    #[schema(value_type = String, pattern = "^committed$")]
    status: &'static str,
    tx: Hash,
    height: u64,
    #[schema(value_type = Receipt)]
    receipt: Value,
}

/// The engine's answer for a submission: committed (its receipt written with the state), or
/// the problem.
fn answer_to_result(st: &tessera_core::state::State, answer: Answer) -> ApiResult<Committed> {
    match answer {
        Err(r) => Err(r.into()),
        Ok((height, receipt)) => match &receipt.outcome {
            Outcome::Ok { .. } => {
                Ok(Committed { status: "committed", tx: receipt.tx, height, receipt: q::answer(st, &receipt) })
            }
            Outcome::Failed { code, message, op_index } => Err(Problem::journaled(
                Code::parse(code).unwrap_or(Code::InputInvalid),
                format!("operation {op_index}: {message}"),
                receipt.tx,
                height,
            )),
        },
    }
}

#[utoipa::path(
    post,
    path = "/v1/transactions",
    operation_id = "submit",
    tag = "transactions",
    summary = "Submit one signed transaction; answered once its block is durable",
    description = "Authenticated by the transaction's signature (the `Authorization` header is not read). Rate-limited per signer.",
    request_body(content = SubmitRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Journaled and succeeded.", body = Committed),
        (status = 400, response = contract::BadRequest),
        (status = 403, response = contract::Forbidden),
        (status = 409, response = contract::Conflict),
        (status = 413, response = contract::PayloadTooLarge),
        (status = 415, response = contract::UnsupportedMediaType),
        (status = 422, response = contract::Unprocessable),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
)]
async fn submit(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<SubmitRequest>,
) -> Reply<Json<Committed>> {
    let start = Instant::now();
    let r = async {
        api.refuse_if_stopping()?;
        let refused = |r: Refusal| limit(&api, Key::Address(ip), 1).and(Err(Problem::from(r)));
        let tx = match decode_submission(req) {
            Ok(tx) => tx,
            Err(r) => return refused(r),
        };
        let checked = match api.engine()?.check_one(tx).await {
            Ok(c) => c,
            Err(r) => return refused(r),
        };
        limit(&api, Key::Wallet(checked.tx.body.signer.0), 1)?;
        let checked = Ok(checked);
        let mut rx = api.engine()?.try_submit(vec![checked])?;
        let answer = rx
            .pop()
            .ok_or_else(|| Problem::new(Code::StoreState, "no answer"))?
            .await
            .map_err(|_| Problem::new(Code::ApiShuttingDown, "the engine stopped before answering"))?;
        api.read(|c| Ok(answer_to_result(&c.state, answer))).await?
    }
    .await;
    api.metrics.submit_latency.observe(start.elapsed());
    Reply(r.map(Json))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BatchRequest {
    /// Signed transactions' canonical bytes, hex (1 to 4096).
    #[schema(min_items = 1, max_items = 4096)]
    txs: Vec<String>,
}

/// What each transaction of a batch became, in order.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct BatchResult {
    committed: u64,
    not_committed: u64,
    results: Vec<BatchItem>,
}

/// One transaction of a batch: committed, or not (with its problem).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub(super) enum BatchItem {
    Committed(Committed),
    NotCommitted(NotCommitted),
}

/// A transaction of a batch that was not committed: `failed` (journaled with a failure
/// receipt: the problem names its `tx` and `height`) or `refused` (nothing journaled).
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct NotCommitted {
    #[schema(value_type = String, pattern = "^(failed|refused)$")]
    status: &'static str,
    problem: Problem,
}

#[utoipa::path(
    post,
    path = "/v1/transactions/batch",
    operation_id = "submitBatch",
    tag = "transactions",
    summary = "Submit up to 4096 signed transactions; answered once they are durable",
    request_body(content = BatchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Each transaction's result; refusals of single transactions are results, not errors.", body = BatchResult),
        (status = 400, response = contract::BadRequest),
        (status = 413, response = contract::PayloadTooLarge),
        (status = 415, response = contract::UnsupportedMediaType),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
)]
async fn submit_batch(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<BatchRequest>,
) -> Reply<Json<BatchResult>> {
    let start = Instant::now();
    let r = async {
        api.refuse_if_stopping()?;
        if req.txs.is_empty() || req.txs.len() > MAX_BATCH {
            return Err(Problem::new(Code::ApiBadRequest, format!("a batch holds 1 to {MAX_BATCH} transactions")));
        }
        let n = req.txs.len();
        let decoded: Vec<Result<SignedTx, Refusal>> = req
            .txs
            .into_iter()
            .map(|t| decode_submission(SubmitRequest { tx: Some(t), body_hex: None, signature: None }))
            .collect();
        // Signatures checked in batches, in parallel, off the async workers (on the leader).
        api.engine()?;
        let a = api.clone();
        let checked = tokio::task::spawn_blocking(move || {
            let mut slots: Vec<Option<Result<tessera_core::tx::CheckedTx, Refusal>>> = (0..n).map(|_| None).collect();
            let mut good = Vec::new();
            let mut at = Vec::new();
            for (i, d) in decoded.into_iter().enumerate() {
                match d {
                    Ok(tx) => {
                        good.push(tx);
                        at.push(i);
                    }
                    Err(r) => slots[i] = Some(Err(r)),
                }
            }
            let checks = match a.engine() {
                Ok(e) => e.check(good),
                Err(p) => good.iter().map(|_| Err(Refusal::new(p.code, p.detail.clone()))).collect(),
            };
            for (i, c) in at.into_iter().zip(checks) {
                // Charged after the check: to the signer when it signed, else to the address.
                let key = match &c {
                    Ok(c) => Key::Wallet(c.tx.body.signer.0),
                    Err(_) => Key::Address(ip),
                };
                slots[i] = Some(limit(&a, key, 1).map_err(|p| Refusal::new(Code::ApiRateLimited, p.detail)).and(c));
            }
            if slots.iter().any(|s| matches!(s, Some(Err(_)))) {
                let _ = limit(&a, Key::Address(ip), 1);
            }
            slots.into_iter().map(|s| s.unwrap_or_else(|| Err(Refusal::new(Code::StoreState, "no check")))).collect()
        })
        .await
        .map_err(|_| Problem::new(Code::StoreState, "the signature checks stopped abnormally"))?;
        let receivers = api.engine()?.try_submit(checked)?;
        let mut answers = Vec::with_capacity(n);
        for rx in receivers {
            answers.push(rx.await.unwrap_or_else(|_| Err(Refusal::new(Code::ApiShuttingDown, "the engine stopped"))));
        }
        let answers: Vec<ApiResult<Committed>> =
            api.read(|c| Ok(answers.into_iter().map(|a| answer_to_result(&c.state, a)).collect())).await?;
        let mut results = Vec::with_capacity(n);
        let (mut committed, mut failed) = (0u64, 0u64);
        for answer in answers {
            match answer {
                Ok(c) => {
                    committed += 1;
                    results.push(BatchItem::Committed(c));
                }
                Err(p) => {
                    failed += 1;
                    let status = if p.height().is_some() { "failed" } else { "refused" };
                    results.push(BatchItem::NotCommitted(NotCommitted { status, problem: p }));
                }
            }
        }
        Ok(Json(BatchResult { committed, not_committed: failed, results }))
    }
    .await;
    api.metrics.submit_latency.observe(start.elapsed());
    Reply(r)
}

#[utoipa::path(
    get,
    path = "/v1/transactions/{id}",
    operation_id = "transaction",
    tag = "transactions",
    summary = "A journaled transaction and its receipt",
    description = "For parties it concerns (signed by or naming one of their wallets), auditors and compliance officers.",
    params(("id" = String, Path, description = "The transaction id (64 hex digits).", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "OK", body = q::ReceiptView),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn transaction(State(api): State<S>, Who(caller): Who, Path(id): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            let id = Hash::from_hex(&id)
                .ok_or_else(|| Problem::new(Code::ApiBadRequest, "a transaction id is 64 hex digits"))?;
            let heights = api.txs.heights(&id);
            let v = api.journal(move |s| q::transaction(s, &caller, &heights, &id)).await?;
            api.read(|c| Ok(Json(q::answer(&c.state, &v)))).await
        }
        .await,
    )
}

/// Input a request body names that cannot be read against the ledger (an asset, fund or party
/// that does not exist, an ambiguous wallet prefix, too many decimals): a bad request, whatever
/// the code — `asset.unknown` answers 404 only where the asset is the resource in the path.
pub(super) fn unreadable(r: Refusal) -> Problem {
    Problem::with_status(StatusCode::BAD_REQUEST, r.code, r.message)
}

#[utoipa::path(
    post,
    path = "/v1/precheck",
    operation_id = "precheck",
    tag = "transactions",
    summary = "Every rule a movement would break now, without submitting it",
    description = "Transfers and burns: for the sending wallet's party (and auditors). Mints: for issuer agents. The movement is read like prepare's operations: the amount in the asset's units (or `amount_units`), wallets by hex, party id or hex prefix.",
    request_body(content = tessera_core::movement::Intent, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = q::Precheck),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 413, response = contract::PayloadTooLarge),
        (status = 415, response = contract::UnsupportedMediaType),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn precheck(State(api): State<S>, Who(caller): Who, JsonBody(written): JsonBody<Value>) -> Reply<Json<Value>> {
    Reply(
        async {
            // Names are read against the ledger only for a caller who may pre-check at all.
            caller.authenticated()?;
            api.read(|c| {
                let intent = match Resolver::new(&c.state).intent(&written) {
                    Ok(intent) => intent,
                    Err(r) => return Ok(Err(unreadable(r))),
                };
                caller.may_precheck(&intent)?;
                let now = crate::engine::system_time().max(c.head.time);
                Ok(Ok(answer(q::precheck(&c.state, &caller, &intent, now)?)))
            })
            .await?
        }
        .await,
    )
}

// ---------------------------------------------------------------------------------------------
// Queries: each answers from the read model (`crate::query`), which decides what the caller sees.

/// An answer as the JSON body of a response.
fn answer<T: Serialize>(v: T) -> Json<Value> {
    Json(serde_json::to_value(v).unwrap_or(Value::Null))
}

#[utoipa::path(
    get,
    path = "/v1/assets",
    operation_id = "assets",
    tag = "assets",
    summary = "Every asset",
    responses(
        (status = 200, description = "OK", body = Vec<q::AssetRow>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn assets(State(api): State<S>, Who(_): Who) -> Reply<Json<Value>> {
    Reply(api.read(|c| Ok(answer(q::assets(&c.state)))).await)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct HeightParam {
    /// A block height (default: the head).
    height: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/v1/assets/{asset}/holders",
    operation_id = "holders",
    tag = "assets",
    summary = "The holder register of an asset, largest holding first",
    description = "For the issuer's party, issuer agents, auditors and compliance officers. With `height`, the register as it stood after that block (replayed from the journal).",
    params(("asset" = String, Path, description = "The asset's symbol.", example = "TLF", pattern = "^[A-Za-z0-9._:-]{1,32}$"), HeightParam),
    responses(
        (status = 200, description = "OK", body = Vec<q::BalanceRow>),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn holders(
    State(api): State<S>,
    Who(caller): Who,
    Path(asset): Path<String>,
    Params(p): Params<HeightParam>,
) -> Reply<Json<Value>> {
    Reply(
        async {
            let asset = symbol_param(&asset)?;
            let a = asset.clone();
            let (rows, head) = api
                .read(|c| {
                    let now = q::asset_holders(&c.state, &caller, &a)?;
                    Ok((p.height.is_none().then_some(now), c.height()))
                })
                .await?;
            let rows = match (rows, p.height) {
                (Some(r), _) => r,
                (None, Some(h)) => {
                    if h > head {
                        return Err(Problem::new(Code::ApiNotFound, format!("no block {h} yet (head {head})")));
                    }
                    api.journal(move |s| q::holders(&crate::ledger::chain_at(s, h)?.state, &asset)).await?
                }
                (None, None) => Vec::new(),
            };
            Ok(answer(rows))
        }
        .await,
    )
}

/// A bill's price and yields at settlement from a price or a discount rate (public: the
/// inputs are the caller's, and the ledger lends only a token's published maturity).
#[utoipa::path(
    get,
    path = "/v1/securities/{security}/yield",
    operation_id = "securityYield",
    tag = "securities",
    summary = "A Treasury bill's price and yields at settlement",
    description = "From a price per 100 or a bank discount rate (exactly one): days to maturity, the price, the discount rate, the investment rate (bond-equivalent yield) and the money-market yield, by TreasuryDirect's formulas and rounded as it publishes them: the price per 100 to 6 places, rates to 3 places of a percentage, half up; the yields follow from the rounded price. When the ledger holds the bill as a token, the token's maturity is used (`asset` names it; a different `maturity` is refused with `bill.bad_term`); otherwise `maturity` is required (`bill.no_maturity`). A security the ledger holds as a note or bond answers `bill.not_a_bill`. A bad identifier answers 400 (`identifier.*`, `identifier.not_us_isin` for another country's ISIN); an unusable price, rate or date answers 422 (`bill.bad_price`, `bill.bad_term`).",
    params(("security" = String, Path, description = "The bill's CUSIP (9 characters) or US ISIN (12), check digits verified.", example = "912796Y60", min_length = 1, max_length = 64), q::BillQuery),
    responses(
        (status = 200, description = "OK", body = q::BillYield),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn security_yield(
    State(api): State<S>,
    Who(_): Who,
    Path(security): Path<String>,
    Params(query): Params<q::BillQuery>,
) -> Reply<Json<Value>> {
    Reply(
        api.read(|c| {
            let today = crate::engine::system_time().max(c.head.time);
            Ok(answer(q::bill_yield(&c.state, &security, &query, today)?))
        })
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/parties",
    operation_id = "parties",
    tag = "parties",
    summary = "Parties: every one for auditors and compliance officers, else the caller's own",
    responses(
        (status = 200, description = "OK", body = Vec<q::PartyRow>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn parties(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::visible_parties(&c.state, &caller)?))).await
        }
        .await,
    )
}

fn party_param(party: &str) -> ApiResult<()> {
    if party.is_empty() || party.len() > 64 {
        return Err(Problem::new(Code::ApiBadRequest, "a party id or name is 1 to 64 characters"));
    }
    Ok(())
}

/// A party (by id or name) with its claims, wallets and roles: its own, or any for auditors.
#[utoipa::path(
    get,
    path = "/v1/parties/{party}",
    operation_id = "party",
    tag = "parties",
    summary = "A party with its claims (issuer, expiry, status), wallets and roles",
    description = "The caller's own party; any for auditors and compliance officers.",
    params(("party" = String, Path, description = "The party's id, or its name when no other party has it.", example = "alpha", min_length = 1, max_length = 64)),
    responses(
        (status = 200, description = "OK", body = q::PartyRow),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn party(State(api): State<S>, Who(caller): Who, Path(party): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            party_param(&party)?;
            api.read(|c| Ok(answer(q::party(&c.state, &caller, &party)?))).await
        }
        .await,
    )
}

/// The shareholder register of an asset now or at a block: holders with KYC status and expiry.
#[utoipa::path(
    get,
    path = "/v1/assets/{asset}/register",
    operation_id = "register",
    tag = "assets",
    summary = "The shareholder register of an asset: each holder's balance, share, KYC status and expiry, investor classes and jurisdiction",
    description = "For the issuer's party, issuer agents, auditors and compliance officers. With `height`, as it stood after that block (replayed from the journal), KYC as of that block's time.",
    params(("asset" = String, Path, description = "The asset's symbol.", example = "TLF", pattern = "^[A-Za-z0-9._:-]{1,32}$"), HeightParam),
    responses(
        (status = 200, description = "OK", body = q::Register),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn register(
    State(api): State<S>,
    Who(caller): Who,
    Path(asset): Path<String>,
    Params(p): Params<HeightParam>,
) -> Reply<Json<Value>> {
    Reply(
        async {
            let asset = symbol_param(&asset)?;
            let Some(h) = p.height else {
                return api.read(|c| Ok(answer(q::asset_register(&c.state, &caller, c.height(), &asset)?))).await;
            };
            // The permission is decided on the state now; the register is replayed to `h`.
            let head = api.read(|c| caller.may_read_holders(&c.state, &asset).map(|_| c.height())).await?;
            if h > head {
                return Err(Problem::new(Code::ApiNotFound, format!("no block {h} yet (head {head})")));
            }
            Ok(answer(api.journal(move |s| q::register(&crate::ledger::chain_at(s, h)?.state, h, &asset)).await?))
        }
        .await,
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct RangeParams {
    /// The first day covered (`2026-01-01`) or an RFC 3339 instant.
    #[param(example = "2026-01-01")]
    from: String,
    /// The last day covered, whole (`2026-03-31`), or an RFC 3339 instant, included.
    #[param(example = "2026-03-31")]
    to: String,
}

async fn statement_of(api: S, caller: Viewer, of: q::StatementOf, p: RangeParams) -> ApiResult<Json<Value>> {
    caller.authenticated()?;
    let (from, until) = q::statement_range(&p.from, &p.to)?;
    Ok(answer(api.journal(move |s| q::statement(s, &caller, &of, from, until)).await?))
}

/// An investor statement of a wallet over a date range.
#[utoipa::path(
    get,
    path = "/v1/wallets/{wallet}/statement",
    operation_id = "walletStatement",
    tag = "wallets",
    summary = "An investor statement of a wallet over a date range",
    description = "As `/v1/parties/{party}/statement`, for one wallet. For the wallet's party, auditors and compliance officers.",
    params(("wallet" = String, Path, description = "The wallet id (64 hex digits).", example = "e0d126782bfc2b8562e1b825495ca1d13a3ba8ef36a5d24087c3ea7f5f41d97d", pattern = "^[0-9a-fA-F]{64}$"), RangeParams),
    responses(
        (status = 200, description = "OK", body = q::Statement),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn wallet_statement(
    State(api): State<S>,
    Who(caller): Who,
    Path(w): Path<String>,
    Params(p): Params<RangeParams>,
) -> Reply<Json<Value>> {
    Reply(
        async {
            let w = wallet_param(&w)?;
            caller.may_read_wallet(&w)?;
            statement_of(api, caller, q::StatementOf::Wallet(w), p).await
        }
        .await,
    )
}

/// An investor statement of every wallet of a party (by id or name) over a date range.
#[utoipa::path(
    get,
    path = "/v1/parties/{party}/statement",
    operation_id = "partyStatement",
    tag = "parties",
    summary = "An investor statement of every wallet of a party over a date range",
    description = "Per asset: the opening balance (the state after the last block before `from`), each movement with the balance after it, and the closing balance. The caller's own party; any for auditors and compliance officers.",
    params(("party" = String, Path, description = "The party's id, or its name when no other party has it.", example = "alpha", min_length = 1, max_length = 64), RangeParams),
    responses(
        (status = 200, description = "OK", body = q::Statement),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn party_statement(
    State(api): State<S>,
    Who(caller): Who,
    Path(party): Path<String>,
    Params(p): Params<RangeParams>,
) -> Reply<Json<Value>> {
    Reply(
        async {
            party_param(&party)?;
            statement_of(api, caller, q::StatementOf::Party(party), p).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/parties/{party}/balances",
    operation_id = "partyBalances",
    tag = "parties",
    summary = "Every holding of a party's wallets",
    description = "For the party itself, auditors and compliance officers.",
    params(("party" = String, Path, description = "The party id.", example = "alpha", pattern = "^[a-z0-9._-]{1,64}$")),
    responses(
        (status = 200, description = "OK", body = Vec<q::BalanceRow>),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn party_balances(State(api): State<S>, Who(caller): Who, Path(party): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            if party.is_empty() || party.len() > 64 {
                return Err(Problem::new(Code::ApiBadRequest, "a party id is 1 to 64 characters"));
            }
            api.read(|c| Ok(answer(q::party_balances(&c.state, &caller, &party)?))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/wallets/{wallet}/balances",
    operation_id = "walletBalances",
    tag = "wallets",
    summary = "A wallet's holdings",
    description = "For the wallet's party, auditors and compliance officers.",
    params(("wallet" = String, Path, description = "The wallet id (64 hex digits).", example = "e0d126782bfc2b8562e1b825495ca1d13a3ba8ef36a5d24087c3ea7f5f41d97d", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "OK", body = Vec<q::BalanceRow>),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn wallet_balances(State(api): State<S>, Who(caller): Who, Path(w): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let w = wallet_param(&w)?;
            caller.may_read_wallet(&w)?;
            api.read(|c| Ok(answer(q::wallet_balances(&c.state, &caller, &w)?))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/wallets/{wallet}/locks",
    operation_id = "walletLocks",
    tag = "wallets",
    summary = "The commitments behind a wallet's locked balances",
    description = "For the wallet's party, auditors and compliance officers.",
    params(("wallet" = String, Path, description = "The wallet id (64 hex digits).", example = "e0d126782bfc2b8562e1b825495ca1d13a3ba8ef36a5d24087c3ea7f5f41d97d", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "OK", body = Vec<q::LockRow>),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn wallet_locks(State(api): State<S>, Who(caller): Who, Path(w): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let w = wallet_param(&w)?;
            caller.may_read_wallet(&w)?;
            api.read(|c| Ok(answer(q::wallet_locks(&c.state, &caller, &w)?))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/wallets/{wallet}/history",
    operation_id = "walletHistory",
    tag = "wallets",
    summary = "Every journaled transaction signed by the wallet or naming it, oldest first",
    description = "For the wallet's party, auditors and compliance officers.",
    params(("wallet" = String, Path, description = "The wallet id (64 hex digits).", example = "e0d126782bfc2b8562e1b825495ca1d13a3ba8ef36a5d24087c3ea7f5f41d97d", pattern = "^[0-9a-fA-F]{64}$")),
    responses(
        (status = 200, description = "OK", body = Vec<q::HistoryEntry>),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn wallet_history(State(api): State<S>, Who(caller): Who, Path(w): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let w = wallet_param(&w)?;
            caller.may_read_wallet(&w)?;
            // The journal first (off the chain lock), then names and decimals from the state.
            let txs = api.journal(move |s| q::wallet_journaled(s, &caller, &w)).await?;
            api.read(|c| {
                Ok(Json(q::answer(&c.state, &q::describe(&c.state, &std::collections::BTreeSet::from([w]), txs))))
            })
            .await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/instructions",
    operation_id = "instructions",
    tag = "settlement",
    summary = "Settlement instructions: every one for auditors, else those naming the caller's wallets",
    responses(
        (status = 200, description = "OK", body = Vec<tessera_core::settlement::Instruction>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn instructions(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(Json(q::answer(&c.state, &q::instructions(&c.state, &caller, None)?)))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/funds",
    operation_id = "funds",
    tag = "funds",
    summary = "Every fund",
    responses(
        (status = 200, description = "OK", body = Vec<tessera_core::fund::Fund>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn funds(State(api): State<S>, Who(_): Who) -> Reply<Json<Value>> {
    Reply(api.read(|c| Ok(Json(q::answer(&c.state, &q::funds(&c.state, None)?)))).await)
}

#[utoipa::path(
    get,
    path = "/v1/funds/{fund}",
    operation_id = "fund",
    tag = "funds",
    summary = "A fund, its latest valuation, cash on the ledger and positions",
    params(("fund" = String, Path, description = "The fund's symbol.", example = "ATLAS", pattern = "^[A-Za-z0-9._:-]{1,32}$")),
    responses(
        (status = 200, description = "OK", body = q::FundView),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn fund(State(api): State<S>, Who(_): Who, Path(f): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let f = symbol_param(&f)?;
            api.read(|c| Ok(Json(q::answer(&c.state, &q::fund_view(&c.state, &f)?)))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/funds/{fund}/report",
    operation_id = "fundReport",
    tag = "funds",
    summary = "A fund's daily valuations, payouts and fee paid",
    params(("fund" = String, Path, description = "The fund's symbol.", example = "ATLAS", pattern = "^[A-Za-z0-9._:-]{1,32}$")),
    responses(
        (status = 200, description = "OK", body = q::FundReport),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn fund_report(State(api): State<S>, Who(_): Who, Path(f): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let f = symbol_param(&f)?;
            api.read(|c| Ok(Json(q::answer(&c.state, &q::fund_report(&c.state, &f)?)))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/feeds",
    operation_id = "feeds",
    tag = "funds",
    summary = "Every oracle feed, its sources and how their quotes count now",
    responses(
        (status = 200, description = "OK", body = Vec<q::FeedRow>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn feeds(State(api): State<S>, Who(_): Who) -> Reply<Json<Value>> {
    Reply(api.read(|c| Ok(answer(q::feeds(&c.state, c.head.time, None)))).await)
}

#[utoipa::path(
    get,
    path = "/v1/redemptions",
    operation_id = "redemptions",
    tag = "funds",
    summary = "Fund redemptions: every one for auditors, else the caller's",
    responses(
        (status = 200, description = "OK", body = Vec<tessera_core::fund::Redemption>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn redemptions(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(Json(q::answer(&c.state, &q::redemptions(&c.state, &caller)?)))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/alerts",
    operation_id = "alerts",
    tag = "compliance",
    summary = "Monitoring alerts",
    description = "For auditors and compliance officers.",
    responses(
        (status = 200, description = "OK", body = Vec<tessera_core::state::Alert>),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn alerts(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.may_read_everything("alerts")?;
            api.read(|c| Ok(Json(q::answer(&c.state, &q::alerts(&c.state, &caller)?)))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/proposals",
    operation_id = "proposals",
    tag = "governance",
    summary = "Governance proposals",
    description = "For holders of any role (operators), auditors and compliance officers.",
    responses(
        (status = 200, description = "OK", body = Vec<tessera_core::governance::Proposal>),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn proposals(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.may_read_proposals()?;
            api.read(|c| Ok(Json(q::answer(&c.state, &q::proposals(&c.state, &caller)?)))).await
        }
        .await,
    )
}

/// A clearing house's margin report: every member's account for the clearing house and
/// auditors, its own for a member.
#[utoipa::path(
    get,
    path = "/v1/clearing/{ccp}/margin",
    operation_id = "margin_report",
    tag = "collateral",
    summary = "A clearing house's margin report: per member, requirement, coverage, shortfall, open call with time left, pledges valued, concentration usage",
    description = "Every member's account for the clearing house itself and for auditors and compliance officers; a member sees its own account only. Anyone else is refused (403), whether or not the party exists.",
    params(("ccp" = String, Path, description = "The clearing house's party id, or its name when no other party has it (the example names the clearing house of `scenarios/collateral_views.yaml`).", example = "cme", min_length = 1, max_length = 64)),
    responses(
        (status = 200, description = "OK", body = q::MarginReport),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 403, response = contract::Forbidden),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn margin_report(State(api): State<S>, Who(caller): Who, Path(ccp): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            party_param(&ccp)?;
            api.read(|c| Ok(answer(q::margin_report(&c.state, &caller, &ccp)?))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/pledges",
    operation_id = "pledges",
    tag = "collateral",
    summary = "Collateral pledged to clearing houses and lenders, valued at the ledger's time",
    description = "A pledge shows to its pledgor and its pledgee (clearing house or lender); every one to auditors and compliance officers.",
    responses(
        (status = 200, description = "OK", body = Vec<q::PledgeRow>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn pledges(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::pledges(&c.state, &caller)?))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/calls",
    operation_id = "calls",
    tag = "collateral",
    summary = "Margin calls, open and closed, with the time left on open ones",
    description = "A call shows to its member and its clearing house; every one to auditors and compliance officers.",
    responses(
        (status = 200, description = "OK", body = Vec<q::CallRow>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn calls(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::calls(&c.state, &caller)?))).await
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/loans",
    operation_id = "loans",
    tag = "collateral",
    summary = "Loans against pledged tokens, with debt to date and loan-to-value",
    description = "A loan shows to its borrower and its lender; every one to auditors and compliance officers.",
    responses(
        (status = 200, description = "OK", body = Vec<q::LoanRow>),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn loans(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::loans(&c.state, &caller)?))).await
        }
        .await,
    )
}

// ---------------------------------------------------------------------------------------------
// Blocks and the event stream

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct BlocksParam {
    /// First height (default: the last `limit` blocks).
    from: Option<u64>,
    /// Most blocks (1 to 1000, default 20).
    limit: Option<u64>,
}

/// Block headers with their hashes, and the durable height.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct BlockList {
    /// The durable height.
    head: u64,
    /// Oldest first.
    blocks: Vec<BlockSummary>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct BlockSummary {
    hash: Hash,
    header: tessera_core::block::BlockHeader,
}

#[utoipa::path(
    get,
    path = "/v1/blocks",
    operation_id = "blocks",
    tag = "blocks",
    summary = "Block headers, oldest first",
    params(BlocksParam),
    responses(
        (status = 200, description = "OK", body = BlockList),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn blocks(State(api): State<S>, Who(_): Who, Params(p): Params<BlocksParam>) -> Reply<Json<BlockList>> {
    Reply(
        async {
            let head = api.durable.get();
            let limit = p.limit.unwrap_or(20).clamp(1, MAX_BLOCKS_LISTED);
            let from = p.from.unwrap_or_else(|| head.saturating_sub(limit - 1));
            let to = from.saturating_add(limit - 1).min(head);
            let headers = api
                .journal(move |s| {
                    let mut out = Vec::new();
                    let mut h = from;
                    while h <= to {
                        if let Some(raw) = s.raw_block(h)? {
                            let header = raw.decode_header()?;
                            out.push(BlockSummary { hash: header.hash(), header });
                        }
                        h += 1;
                    }
                    Ok(out)
                })
                .await?;
            Ok(Json(BlockList { head, blocks: headers }))
        }
        .await,
    )
}

#[utoipa::path(
    get,
    path = "/v1/blocks/{height}",
    operation_id = "block",
    tag = "blocks",
    summary = "A block: its header for everyone, the receipts that concern the caller",
    params(("height" = u64, Path, description = "The block height.", example = 50)),
    responses(
        (status = 200, description = "OK", body = q::BlockView),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 404, response = contract::NotFound),
        (status = 429, response = contract::RateLimited),
        (status = 500, response = contract::ServerError),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn block(State(api): State<S>, Who(caller): Who, Path(h): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let h: u64 = h.parse().map_err(|_| Problem::new(Code::ApiBadRequest, "a block height is a number"))?;
            if h > api.durable.get() {
                return Err(Problem::new(Code::ApiNotFound, format!("no block {h} yet")));
            }
            let b = api
                .journal(move |s| s.block(h).map_err(Refusal::from))
                .await?
                .ok_or_else(|| Problem::new(Code::ApiNotFound, format!("no block {h}")))?;
            api.read(|c| Ok(Json(q::answer(&c.state, &q::block_view(&b, &caller))))).await
        }
        .await,
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct EventsParam {
    /// First height (default: the next block).
    from: Option<u64>,
}

/// Server-sent events, one per durable block from `from` (default: the next block), each with
/// the block height as its id: a client that reconnects with `Last-Event-ID` resumes after it.
#[utoipa::path(
    get,
    path = "/v1/events",
    operation_id = "events",
    tag = "blocks",
    summary = "Server-sent events: one `block` event per durable block",
    description = "No time limit applies. The stream ends when the node shuts down.",
    params(("Last-Event-ID" = Option<String>, Header, description = "Resume after this height (wins over `from`; ignored unless a number)."), EventsParam),
    responses(
        (status = 200, description = "An endless stream. Each event is named `block`, has the block height as its id and a `Block` (as from `/v1/blocks/{height}`, seen as the caller may see it) as its JSON data; comments keep the connection alive every 15 seconds. Reconnect with `Last-Event-ID` to resume after that block.", body = String, content_type = "text/event-stream"),
        (status = 400, response = contract::BadRequest),
        (status = 401, response = contract::Unauthenticated),
        (status = 429, response = contract::RateLimited),
        (status = 503, response = contract::Unavailable),
    ),
    security((), ("bearerAuth" = [])),
)]
async fn events(
    State(api): State<S>,
    Who(caller): Who,
    headers: HeaderMap,
    Params(p): Params<EventsParam>,
) -> Response {
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|h| h + 1);
    let from = resume.or(p.from).unwrap_or_else(|| api.durable.get() + 1);
    let stop = api.stop_signal.subscribe();
    let caller = Arc::new(caller);
    let stream = futures_util::stream::unfold((api, from, caller), move |(api, next, caller)| {
        let mut stop = stop.clone();
        async move {
            if *stop.borrow() {
                return None;
            }
            tokio::select! {
                r = api.durable.reached(next) => r.ok()?,
                _ = stop.changed() => return None,
            }
            let b = api.journal(move |s| s.block(next).map_err(Refusal::from)).await.ok()??;
            let view = q::block_view(&b, &caller);
            let data = api.read(|c| Ok(q::answer(&c.state, &view))).await.ok()?;
            let ev = Event::default().id(next.to_string()).event("block").json_data(data).ok()?;
            Some((Ok::<Event, Infallible>(ev), (api, next + 1, caller)))
        }
    });
    let mut res = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
}

// ---------------------------------------------------------------------------------------------
// The contract: the routes above and what they answer (`super::contract` finishes it).

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Tessera node API",
        version = "1",
        description = include_str!("contract.md"),
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        health, ready, metrics, openapi, status, auth_challenge, auth_token, prepare, submit, submit_batch,
        transaction, precheck, assets, holders, register, security_yield, parties, party, party_balances,
        party_statement, wallet_balances, wallet_history, wallet_locks, wallet_statement, instructions, funds,
        fund, fund_report, feeds, redemptions, alerts, proposals, margin_report, pledges, calls, loans, blocks,
        block, events,
    ),
    components(
        schemas(Problem, contract::BlockEvent),
        responses(
            contract::BadRequest, contract::Unauthenticated, contract::Forbidden, contract::NotFound, contract::Conflict, contract::PayloadTooLarge, contract::UnsupportedMediaType,
            contract::Unprocessable, contract::RateLimited, contract::ServerError, contract::Unavailable,
        ),
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "node", description = "Liveness, readiness, metrics, status and this document."),
        (name = "auth", description = "Sign a challenge for a bearer token."),
        (name = "transactions", description = "Prepare, submit, look up and pre-check transactions."),
        (name = "assets"), (name = "securities"), (name = "parties"), (name = "wallets"),
        (name = "settlement"), (name = "funds"), (name = "compliance"), (name = "collateral"),
        (name = "governance"), (name = "blocks", description = "Blocks and the event stream."),
    ),
)]
struct ApiDoc;

/// The OpenAPI document as utoipa builds it from the annotations above.
pub(super) fn api_doc() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_slow_request_gets_a_timeout_problem_with_a_retry_hint() {
        let app: Router = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .layer(middleware::from_fn_with_state(Duration::from_millis(20), time_limit));
        let res = app.oneshot(Request::builder().uri("/slow").body(axum::body::Body::empty()).unwrap()).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
        assert!(res.headers().contains_key(header::RETRY_AFTER));
        let body = axum::body::to_bytes(res.into_body(), 1 << 16).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], Code::ApiTimeout.as_str());
    }
}
