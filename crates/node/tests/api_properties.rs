//! The API under hostile input: any method, route, content type and body gets an answer below
//! 500 — a problem document when refused — and nothing reaches the journal unless the answer
//! was a commit.

use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use std::sync::Arc;
use tessera_core::block::demo_genesis;
use tessera_core::crypto::Keypair;
use tessera_core::{Role, Time};
use tessera_node::api::{router, Api};
use tessera_node::config::NodeConfig;
use tessera_node::Ledger;
use tower::ServiceExt;

fn node() -> (tempfile::TempDir, Arc<Api>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let op = Keypair::insecure_from_name("fuzz-op");
    let g = demo_genesis("fuzz", Time(1_800_000_000), &[(&op, &Role::OPERATOR)], [1, 1, 1]);
    drop(Ledger::create(&dir, &g).unwrap());
    let config = NodeConfig { data: dir, max_body_bytes: 8 * 1024, rate_limit_per_s: 0, ..NodeConfig::default() };
    let (api, _) = Api::start(config).unwrap();
    (tmp, api)
}

const PATHS: &[&str] = &[
    "/v1/transactions",
    "/v1/transactions/batch",
    "/v1/transactions/prepare",
    "/v1/precheck",
    "/v1/auth/challenge",
    "/v1/auth/token",
    "/v1/blocks",
    "/v1/blocks/0",
    "/v1/assets",
    "/v1/assets/X/holders",
    "/v1/wallets/00/balances",
    "/v1/funds/F",
    "/v1/status",
    "/nowhere",
];

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        // JSON-shaped noise around the real field names.
        (
            prop::sample::select(vec![
                "tx",
                "txs",
                "body_hex",
                "signature",
                "signer",
                "ops",
                "wallet",
                "challenge",
                "transfer"
            ]),
            prop::sample::select(vec!["\"00\"", "[]", "{}", "null", "1e999", "\"zz\"", "[\"00\"]", "-1", "\"\u{0}\""]),
        )
            .prop_map(|(k, v)| format!("{{\"{k}\": {v}}}").into_bytes()),
        Just(vec![b'['; 10_000]),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]
    #[test]
    fn any_request_is_answered_below_500_and_writes_nothing(
        method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        path in prop::sample::select(PATHS.to_vec()),
        content_type in prop::sample::select(vec!["application/json", "text/plain", "", "application/json; charset=utf-8"]),
        body in body_strategy(),
        auth in prop::sample::select(vec!["", "Bearer x", "Bearer tsr1.a.b.c", "Basic abc"]),
    ) {
        let (_tmp, api) = NODE.with(|n| n.clone());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let before = api.durable_height();
        let mut req = Request::builder().method(method).uri(path);
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        if !auth.is_empty() {
            req = req.header("authorization", auth);
        }
        let res = rt.block_on(router(api.clone()).oneshot(req.body(Body::from(body)).unwrap())).unwrap();
        let status = res.status();
        prop_assert!(status.as_u16() < 500, "{method} {path}: {status}");
        if status.is_client_error() {
            prop_assert_eq!(res.headers()["content-type"].to_str().unwrap(), "application/problem+json");
        }
        prop_assert_eq!(api.durable_height(), before);
    }
}

thread_local! {
    static NODE: (Arc<tempfile::TempDir>, Arc<Api>) = {
        let (tmp, api) = node();
        (Arc::new(tmp), api)
    };
}
