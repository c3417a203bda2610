//! Routes, extractors and middleware of API v1.

use super::auth::now_s;
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
use serde_json::{json, Value};
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

/// The OpenAPI document (the contract; `crates/cli/tests/openapi.rs` checks it against
/// [`ROUTES`] and real answers).
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every route [`router`] registers, as (method, path). Keep it in step when adding a route:
/// `crates/cli/tests/openapi.rs` reads `router()`'s `.route(..)` calls from this file and checks
/// them, this list and `openapi.json` against one another, and calls each route over HTTP.
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

async fn health() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn ready(State(api): State<S>) -> Reply<Json<Value>> {
    Reply((|| {
        api.refuse_if_stopping()?;
        if let Some(f) = api.durable.failure() {
            // Not ready, and not going to be: the journal cannot be written.
            return Err(Problem::with_status(StatusCode::SERVICE_UNAVAILABLE, f.code, f.message.clone()));
        }
        api.chain.read(|_| ())?;
        Ok(Json(json!({"status": "ready", "height": api.durable.get()})))
    })())
}

async fn metrics(State(api): State<S>) -> Response {
    let text = api.metrics.render(api.queue_depth(), api.config.queue_capacity);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn status(State(api): State<S>) -> Reply<Json<Value>> {
    Reply(
        api.read(|c| {
            Ok(json!({
                "network": api.network,
                "height": c.height(),
                "head_hash": c.head.hash(),
                "time": c.head.time,
                "queue_depth": api.queue_depth(),
                "queue_capacity": api.config.queue_capacity,
                "role": api.role(),
            }))
        })
        .await
        .map(Json),
    )
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeReq {
    wallet: WalletId,
}

async fn auth_challenge(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<ChallengeReq>,
) -> Reply<Json<Value>> {
    if let Err(p) = limit(&api, Key::Address(ip), 1) {
        return Reply(Err(p));
    }
    let (challenge, expires_at) = api.auth.challenge(&req.wallet, now_s());
    Reply(Ok(Json(json!({
        "challenge": challenge,
        "expires_at": expires_at,
        "sign": "sign the UTF-8 bytes of `challenge` with the wallet's Ed25519 key; POST it to /v1/auth/token",
    }))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenReq {
    wallet: WalletId,
    challenge: String,
    signature: String,
}

async fn auth_token(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<TokenReq>,
) -> Reply<Json<Value>> {
    Reply(
        async {
            limit(&api, Key::Address(ip), 1)?;
            let (token, expires_at) = api.auth.token(&req.wallet, &req.challenge, &req.signature, now_s())?;
            limit(&api, Key::Wallet(req.wallet.0), 1)?;
            let caller = api.read(|c| Viewer::resolve(c, req.wallet)).await?;
            if caller.party.is_none() {
                return Err(Problem::new(Code::ApiUnauthenticated, "this wallet is not on the ledger"));
            }
            Ok(Json(json!({"token": token, "expires_at": expires_at, "wallet": req.wallet, "party": caller.party})))
        }
        .await,
    )
}

// ---------------------------------------------------------------------------------------------
// Transactions

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrepareReq {
    signer: WalletId,
    ops: Vec<Value>,
    /// Default: the signer's next sequence number on the ledger.
    seq: Option<u64>,
    /// Default: one hour from the head block's time.
    expires_in_s: Option<u64>,
}

async fn prepare(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<PrepareReq>,
) -> Reply<Json<Value>> {
    Reply(
        async {
            limit(&api, Key::Address(ip), 1)?;
            let body = prepare_body(&api, req.signer, req.ops, req.seq, req.expires_in_s).await?;
            let bytes = borsh::to_vec(&body).unwrap_or_default();
            Ok(Json(json!({
                "id": body.id(),
                "body_hex": hex::encode(bytes),
                "body": body,
                "sign": "sign the 32 bytes of `id` with the signer's Ed25519 key; POST {body_hex, signature} to /v1/transactions",
            })))
        }
        .await,
    )
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
    expires_in_s: Option<u64>,
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
    let expires_in = expires_in_s.unwrap_or(3_600).min(366 * 86_400);
    let now = crate::engine::system_time().max(head_time);
    let body = TxBody {
        network: api.network.clone(),
        signer,
        seq: seq.unwrap_or(next_seq),
        expires_at: now.plus(expires_in),
        ops,
    };
    SignedTx { body: body.clone(), signature: [0; 64] }.check_stateless()?;
    Ok(body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitReq {
    /// The signed transaction's canonical bytes, hex.
    tx: Option<String>,
    /// Or: the body's canonical bytes (from prepare) and the signature, hex.
    body_hex: Option<String>,
    signature: Option<String>,
}

fn decode_submission(req: SubmitReq) -> Result<SignedTx, Refusal> {
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

/// What a submission became.
#[derive(Serialize)]
struct Committed {
    status: &'static str,
    tx: Hash,
    height: u64,
    receipt: Receipt,
}

fn answer_to_result(answer: Answer) -> ApiResult<Committed> {
    match answer {
        Err(r) => Err(r.into()),
        Ok((height, receipt)) => match &receipt.outcome {
            Outcome::Ok { .. } => Ok(Committed { status: "committed", tx: receipt.tx, height, receipt }),
            Outcome::Failed { code, message, op_index } => Err(Problem::journaled(
                Code::parse(code).unwrap_or(Code::InputInvalid),
                format!("operation {op_index}: {message}"),
                receipt.tx,
                height,
            )),
        },
    }
}

async fn submit(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<SubmitReq>,
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
        answer_to_result(answer)
    }
    .await;
    api.metrics.submit_latency.observe(start.elapsed());
    Reply(r.map(Json))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchReq {
    txs: Vec<String>,
}

async fn submit_batch(
    State(api): State<S>,
    ClientIp(ip): ClientIp,
    JsonBody(req): JsonBody<BatchReq>,
) -> Reply<Json<Value>> {
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
            .map(|t| decode_submission(SubmitReq { tx: Some(t), body_hex: None, signature: None }))
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
        let mut results = Vec::with_capacity(n);
        let (mut committed, mut failed) = (0u64, 0u64);
        for rx in receivers {
            let answer = rx.await.unwrap_or_else(|_| Err(Refusal::new(Code::ApiShuttingDown, "the engine stopped")));
            match answer_to_result(answer) {
                Ok(c) => {
                    committed += 1;
                    results.push(serde_json::to_value(c).unwrap_or(Value::Null));
                }
                Err(p) => {
                    failed += 1;
                    results
                        .push(json!({"status": if p.height().is_some() { "failed" } else { "refused" }, "problem": p}));
                }
            }
        }
        Ok(Json(json!({"committed": committed, "not_committed": failed, "results": results})))
    }
    .await;
    api.metrics.submit_latency.observe(start.elapsed());
    Reply(r)
}

async fn transaction(State(api): State<S>, Who(caller): Who, Path(id): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            let id = Hash::from_hex(&id)
                .ok_or_else(|| Problem::new(Code::ApiBadRequest, "a transaction id is 64 hex digits"))?;
            let heights = api.txs.heights(&id);
            let v = api.journal(move |s| q::transaction(s, &caller, &heights, &id)).await?;
            Ok(Json(serde_json::to_value(v).unwrap_or(Value::Null)))
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

async fn assets(State(api): State<S>, Who(_): Who) -> Reply<Json<Value>> {
    Reply(api.read(|c| Ok(answer(q::assets(&c.state)))).await)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeightParam {
    height: Option<u64>,
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeParams {
    from: String,
    to: String,
}

async fn statement_of(api: S, caller: Viewer, of: q::StatementOf, p: RangeParams) -> ApiResult<Json<Value>> {
    caller.authenticated()?;
    let (from, until) = q::statement_range(&p.from, &p.to)?;
    Ok(answer(api.journal(move |s| q::statement(s, &caller, &of, from, until)).await?))
}

/// An investor statement of a wallet over a date range.
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

async fn wallet_history(State(api): State<S>, Who(caller): Who, Path(w): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let w = wallet_param(&w)?;
            caller.may_read_wallet(&w)?;
            // The journal first (off the chain lock), then names and decimals from the state.
            let txs = api.journal(move |s| q::wallet_journaled(s, &caller, &w)).await?;
            api.read(|c| Ok(answer(q::describe(&c.state, &std::collections::BTreeSet::from([w]), txs)))).await
        }
        .await,
    )
}

async fn instructions(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::instructions(&c.state, &caller, None)?))).await
        }
        .await,
    )
}

async fn funds(State(api): State<S>, Who(_): Who) -> Reply<Json<Value>> {
    Reply(api.read(|c| Ok(answer(q::funds(&c.state, None)?))).await)
}

async fn fund(State(api): State<S>, Who(_): Who, Path(f): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let f = symbol_param(&f)?;
            api.read(|c| Ok(answer(q::fund_view(&c.state, &f)?))).await
        }
        .await,
    )
}

async fn fund_report(State(api): State<S>, Who(_): Who, Path(f): Path<String>) -> Reply<Json<Value>> {
    Reply(
        async {
            let f = symbol_param(&f)?;
            api.read(|c| Ok(answer(q::fund_report(&c.state, &f)?))).await
        }
        .await,
    )
}

async fn feeds(State(api): State<S>, Who(_): Who) -> Reply<Json<Value>> {
    Reply(api.read(|c| Ok(answer(q::feeds(&c.state, c.head.time, None)))).await)
}

async fn redemptions(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::redemptions(&c.state, &caller)?))).await
        }
        .await,
    )
}

async fn alerts(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.may_read_everything("alerts")?;
            api.read(|c| Ok(answer(q::alerts(&c.state, &caller)?))).await
        }
        .await,
    )
}

async fn proposals(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.may_read_proposals()?;
            api.read(|c| Ok(answer(q::proposals(&c.state, &caller)?))).await
        }
        .await,
    )
}

/// A clearing house's margin report: every member's account for the clearing house and
/// auditors, its own for a member.
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

async fn pledges(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::pledges(&c.state, &caller)?))).await
        }
        .await,
    )
}

async fn calls(State(api): State<S>, Who(caller): Who) -> Reply<Json<Value>> {
    Reply(
        async {
            caller.authenticated()?;
            api.read(|c| Ok(answer(q::calls(&c.state, &caller)?))).await
        }
        .await,
    )
}

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlocksParam {
    from: Option<u64>,
    limit: Option<u64>,
}

async fn blocks(State(api): State<S>, Who(_): Who, Params(p): Params<BlocksParam>) -> Reply<Json<Value>> {
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
                            out.push(json!({"hash": header.hash(), "header": header}));
                        }
                        h += 1;
                    }
                    Ok(out)
                })
                .await?;
            Ok(Json(json!({"head": head, "blocks": headers})))
        }
        .await,
    )
}

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
            Ok(Json(q::block_view(&b, &caller)))
        }
        .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsParam {
    from: Option<u64>,
}

/// Server-sent events, one per durable block from `from` (default: the next block), each with
/// the block height as its id: a client that reconnects with `Last-Event-ID` resumes after it.
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
            let ev = Event::default().id(next.to_string()).event("block").json_data(q::block_view(&b, &caller)).ok()?;
            Some((Ok::<Event, Infallible>(ev), (api, next + 1, caller)))
        }
    });
    let mut res = Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))).into_response();
    res.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    res
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
