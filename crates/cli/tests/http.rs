//! The HTTP node over real loopback HTTP: the `tessera node` binary serving the demo ledger.
//! Submissions, read access control for every role and a foreign party, bad input, the event
//! stream, graceful shutdown, and a kill -9 under load.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera_core::crypto::Keypair;
use tessera_core::tx::TxBody;

mod common;
use common::*;

#[test]
fn submit_read_back_and_refusals_over_http() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    assert_eq!(node.get("/health", None).0, 200);
    assert_eq!(node.get("/ready", None).0, 200);
    let h0 = node.height();

    // A transfer: answered once durable, with its receipt.
    let (s, r) = node.transfer("alpha", "USDX", "bolt-new", 1_000_000);
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["status"], "committed");
    assert!(r["height"].as_u64().unwrap() > h0);
    let id = r["tx"].as_str().unwrap().to_string();
    let alpha = node.token("alpha");
    let (s, v) = node.get(&format!("/v1/transactions/{id}"), Some(&alpha));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["height"], r["height"]);

    // The same signed bytes again: the sequence number is spent.
    let k = Keypair::insecure_from_name("alpha");
    let (_, p) = node.post(
        "/v1/transactions/prepare",
        &json!({"signer": k.wallet(), "ops": [{"transfer": {"asset": "USDX", "to": wallet("bolt-new"), "amount": 1}}]}),
        None,
    );
    let sig = hex::encode(k.sign(&hex::decode(p["id"].as_str().unwrap()).unwrap()));
    let submit = json!({"body_hex": p["body_hex"], "signature": sig});
    assert_eq!(node.post("/v1/transactions", &submit, None).0, 200);
    let (s, v) = node.post("/v1/transactions", &submit, None);
    assert_eq!((s, v["code"].as_str()), (409, Some("tx.replayed")), "{v}");

    // An absolute expiry gives the same bytes each time; a past one, or both forms, is refused.
    let at = |extra: Value| {
        let mut req = json!({"signer": k.wallet(), "ops": [{"transfer": {"asset": "USDX", "to": wallet("bolt-new"), "amount": 1}}]});
        req.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        node.post("/v1/transactions/prepare", &req, None)
    };
    let (s1, a) = at(json!({"expires_at": "2099-01-01T00:00:00Z"}));
    let (_, b) = at(json!({"expires_at": "2099-01-01T00:00:00Z"}));
    assert_eq!((s1, &a["body_hex"], &a["body"]["expires_at"]), (200, &b["body_hex"], &json!("2099-01-01T00:00:00Z")));
    let (s, v) = at(json!({"expires_at": "2020-01-01T00:00:00Z"}));
    assert_eq!((s, v["code"].as_str()), (400, Some("tx.expired")), "{v}");
    let (s, v) = at(json!({"expires_at": "2099-01-01T00:00:00Z", "expires_in_s": 60}));
    assert_eq!((s, v["code"].as_str()), (400, Some("api.bad_request")), "{v}");

    // A business rule broken: journaled with a failure receipt, answered 422 with the code.
    let (s, v) = node.transfer("alpha", "USDX", "bolt-new", 1_000_000_000_000_000);
    assert_eq!((s, v["code"].as_str()), (422, Some("balance.insufficient")), "{v}");
    assert!(v["height"].as_u64().is_some() && v["tx"].as_str().is_some());

    // A bad signature never reaches the journal.
    let (_, p) = node.post(
        "/v1/transactions/prepare",
        &json!({"signer": k.wallet(), "ops": [{"transfer": {"asset": "USDX", "to": wallet("bolt-new"), "amount": 1}}]}),
        None,
    );
    let wrong =
        hex::encode(Keypair::insecure_from_name("carol").sign(&hex::decode(p["id"].as_str().unwrap()).unwrap()));
    let h = node.height();
    let (s, v) = node.post("/v1/transactions", &json!({"body_hex": p["body_hex"], "signature": wrong}), None);
    assert_eq!((s, v["code"].as_str()), (400, Some("tx.bad_signature")), "{v}");
    assert_eq!(node.height(), h);

    // A batch: answers in order, each with its own outcome.
    let mut txs = Vec::new();
    let next_seq = p["body"]["seq"].as_u64().unwrap();
    for i in 0..3 {
        let body = TxBody {
            network: "tessera-demo".into(),
            signer: k.wallet(),
            seq: next_seq + i,
            expires_at: tessera_core::Time(
                p["body"]["expires_at"].as_str().and_then(tessera_core::Time::parse).unwrap().0,
            ),
            ops: serde_json::from_value(
                json!([{"transfer": {"asset": "USDX", "to": wallet("bolt-new"), "amount": 5}}]),
            )
            .unwrap(),
        };
        txs.push(hex::encode(body.sign(&k).to_bytes()));
    }
    txs.push("00ff".into());
    let (s, v) = node.post("/v1/transactions/batch", &json!({"txs": txs}), None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["committed"], 3);
    assert_eq!(v["results"][3]["problem"]["code"], "tx.malformed");

    // Prechecks name every rule a movement would break.
    let (s, v) = node.post(
        "/v1/precheck",
        &json!({"transfer": {"asset": "USDX", "from": wallet("alpha"), "to": wallet("delta"), "amount": "1"}}),
        Some(&alpha),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["passes"], false);

    // Metrics count blocks, transactions and refusals by code.
    let (_, _, text) = call(agent().get(&format!("{}/metrics", node.base)), None);
    let text = text.as_str().unwrap().to_string();
    assert!(text.contains("tessera_blocks_total"));
    assert!(text.contains("tessera_refusals_total{code=\"tx.replayed\"} 1"), "{text}");
    assert!(text.contains("tessera_refusals_total{code=\"balance.insufficient\"}"));

    // Logs are JSON lines and carry no tokens, signatures or key material.
    let log = node.log.lock().unwrap().clone();
    assert!(log.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()), "{log}");
    assert!(!log.contains(&alpha) && !log.contains(&sig));
    assert!(!log.contains(&hex::encode(k.seed())));
}

/// Expected status for each caller on each private route.
#[test]
fn read_access_by_role_and_party() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    // A transaction of alpha's that names delta (refused: delta's KYC lapsed) but not carol.
    let (_, r) = node.transfer("alpha", "USDX", "delta", 1);
    let tx = r["tx"].as_str().unwrap().to_string();
    let height = r["height"].as_u64().unwrap();
    let callers = ["alpha", "carol", "auditor", "co-1", "ta-1", "pauser-1", "delta"];
    let tokens: Vec<(String, Option<String>)> = std::iter::once(("anonymous".to_string(), None))
        .chain(callers.iter().map(|c| (c.to_string(), Some(node.token(c)))))
        .collect();
    let a = wallet("alpha");
    //                                                  anon alpha carol audit co-1 ta-1 paus delta
    let table: Vec<(String, [u16; 8])> = vec![
        (format!("/v1/wallets/{a}/balances"), [401, 200, 403, 200, 200, 403, 403, 403]),
        (format!("/v1/wallets/{a}/history"), [401, 200, 403, 200, 200, 403, 403, 403]),
        (format!("/v1/wallets/{a}/locks"), [401, 200, 403, 200, 200, 403, 403, 403]),
        ("/v1/parties/alpha-fund/balances".into(), [401, 200, 403, 200, 200, 403, 403, 403]),
        ("/v1/assets/USDX/holders".into(), [401, 403, 403, 200, 200, 200, 403, 403]),
        ("/v1/assets/USDX/holders?height=10".into(), [401, 403, 403, 200, 200, 200, 403, 403]),
        ("/v1/alerts".into(), [401, 403, 403, 200, 200, 403, 403, 403]),
        ("/v1/proposals".into(), [401, 403, 403, 200, 200, 200, 200, 403]),
        (format!("/v1/transactions/{tx}"), [401, 200, 403, 200, 200, 403, 403, 200]),
        ("/v1/parties".into(), [401, 200, 200, 200, 200, 200, 200, 200]),
        ("/v1/instructions".into(), [401, 200, 200, 200, 200, 200, 200, 200]),
        ("/v1/redemptions".into(), [401, 200, 200, 200, 200, 200, 200, 200]),
        // Published information.
        ("/v1/assets".into(), [200; 8]),
        ("/v1/funds".into(), [200; 8]),
        ("/v1/feeds".into(), [200; 8]),
        ("/v1/blocks".into(), [200; 8]),
        (format!("/v1/blocks/{height}"), [200; 8]),
        ("/v1/status".into(), [200; 8]),
    ];
    for (path, expected) in &table {
        for ((who, token), want) in tokens.iter().zip(expected) {
            let (s, v) = node.get(path, token.as_deref());
            assert_eq!(s, *want, "{who} GET {path}: {v}");
            let code = match s {
                401 => Some("api.unauthenticated"),
                403 => Some("api.forbidden"),
                _ => None,
            };
            if code.is_some() {
                assert_eq!(v["code"].as_str(), code, "{who} GET {path}: {v}");
            }
        }
    }
    // Lists are cut to what the caller may see.
    let t = |who: &str| tokens.iter().find(|(w, _)| w == who).and_then(|(_, t)| t.clone());
    let parties = |who| node.get("/v1/parties", t(who).as_deref()).1;
    assert_eq!(parties("alpha").as_array().unwrap().len(), 1);
    assert_eq!(parties("alpha")[0]["id"], "alpha-fund");
    assert!(parties("auditor").as_array().unwrap().len() > 5);
    let receipts = |who: Option<String>| {
        node.get(&format!("/v1/blocks/{height}"), who.as_deref()).1["receipts"].as_array().unwrap().len()
    };
    assert_eq!(receipts(None), 0);
    assert_eq!(receipts(t("carol")), 0);
    assert_eq!(receipts(t("alpha")), 1);
    assert_eq!(receipts(t("delta")), 1);
    assert_eq!(receipts(t("auditor")), 1);
}

/// An oversized body. The node answers 413 as soon as it reads the headers and closes the
/// connection with the body unread, so a client still writing may see the connection reset
/// before it reads the answer (curl and ureq alike); a few attempts get the answer.
fn oversized(base: &str) -> (u16, String, Value) {
    for _ in 0..10 {
        let res = agent()
            .post(&format!("{base}/v1/transactions"))
            .set("Content-Type", "application/json")
            .send_bytes(&vec![b' '; 70_000]);
        match res {
            Ok(r) | Err(ureq::Error::Status(_, r)) => {
                let (status, ct) = (r.status(), r.content_type().to_string());
                let text = r.into_string().unwrap();
                return (status, ct, serde_json::from_str(&text).unwrap_or(Value::String(text)));
            }
            Err(ureq::Error::Transport(_)) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    panic!("no answer to an oversized body in 10 attempts");
}

#[test]
fn bad_input_gets_a_problem_never_a_server_error_and_changes_nothing() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &["--max-body-bytes", "65536", "--token-ttl-s", "1"]);
    let h = node.height();
    let base = node.base.clone();
    let post = |path: &str, ct: &str, body: &[u8]| call(agent().post(&format!("{base}{path}")), Some((ct, body)));
    type Answer = (u16, String, Value);
    let cases: Vec<(&str, Answer, u16, &str)> = vec![
        ("oversized", oversized(&base), 413, "api.payload_too_large"),
        ("malformed JSON", post("/v1/transactions", "application/json", b"{\"tx\": "), 400, "api.bad_request"),
        ("wrong type", post("/v1/transactions", "text/plain", b"{}"), 415, "api.unsupported_media_type"),
        ("no type", call(agent().post(&format!("{base}/v1/transactions")), None), 415, "api.unsupported_media_type"),
        (
            "unknown field",
            post("/v1/transactions", "application/json", b"{\"tx\":\"00\",\"x\":1}"),
            400,
            "api.bad_request",
        ),
        ("not hex", post("/v1/transactions", "application/json", b"{\"tx\":\"zz\"}"), 400, "tx.malformed"),
        ("garbage tx", post("/v1/transactions", "application/json", b"{\"tx\":\"0102030405\"}"), 400, "tx.malformed"),
        ("empty batch", post("/v1/transactions/batch", "application/json", b"{\"txs\":[]}"), 400, "api.bad_request"),
        (
            "bad ops",
            post("/v1/transactions/prepare", "application/json", b"{\"signer\":\"00\",\"ops\":[]}"),
            400,
            "api.bad_request",
        ),
        ("unknown route", call(agent().get(&format!("{base}/v2/nothing")), None), 404, "api.not_found"),
        ("wrong method", call(agent().delete(&format!("{base}/v1/assets")), None), 405, "api.method_not_allowed"),
        ("bad query", call(agent().get(&format!("{base}/v1/blocks?from=x")), None), 400, "api.bad_request"),
        ("unknown param", call(agent().get(&format!("{base}/v1/blocks?nope=1")), None), 400, "api.bad_request"),
        ("bad height", call(agent().get(&format!("{base}/v1/blocks/abc")), None), 400, "api.bad_request"),
        ("future block", call(agent().get(&format!("{base}/v1/blocks/999999")), None), 404, "api.not_found"),
        ("unknown fund", call(agent().get(&format!("{base}/v1/funds/NOPE")), None), 404, "fund.unknown"),
        (
            "not bearer",
            call(agent().get(&format!("{base}/v1/alerts")).set("Authorization", "Basic eDp5"), None),
            401,
            "api.unauthenticated",
        ),
        (
            "forged token",
            call(agent().get(&format!("{base}/v1/alerts")).set("Authorization", "Bearer tsr1.00.99.00"), None),
            401,
            "api.unauthenticated",
        ),
        (
            "forged challenge",
            post(
                "/v1/auth/token",
                "application/json",
                json!({"wallet": wallet("alpha"), "challenge": "tessera-auth/v1|x|y|1|2|3", "signature": "00"})
                    .to_string()
                    .as_bytes(),
            ),
            401,
            "api.unauthenticated",
        ),
    ];
    for (what, (status, ct, v), want, code) in &cases {
        assert_eq!((*status, v["code"].as_str()), (*want, Some(*code)), "{what}: {v}");
        assert_eq!(ct, "application/problem+json", "{what}");
    }
    // A challenge signed by another key.
    let (_, c) = node.post("/v1/auth/challenge", &json!({"wallet": wallet("alpha")}), None);
    let ch = c["challenge"].as_str().unwrap();
    let sig = hex::encode(Keypair::insecure_from_name("carol").sign(ch.as_bytes()));
    let (s, _) =
        node.post("/v1/auth/token", &json!({"wallet": wallet("alpha"), "challenge": ch, "signature": sig}), None);
    assert_eq!(s, 401);
    // Someone else's challenge.
    let sig = hex::encode(Keypair::insecure_from_name("carol").sign(ch.as_bytes()));
    let (s, _) =
        node.post("/v1/auth/token", &json!({"wallet": wallet("carol"), "challenge": ch, "signature": sig}), None);
    assert_eq!(s, 401);
    // An expired token (1 s lifetime here).
    let t = node.token("auditor");
    assert_eq!(node.get("/v1/alerts", Some(&t)).0, 200);
    std::thread::sleep(Duration::from_millis(2_100));
    let (s, v) = node.get("/v1/alerts", Some(&t));
    assert_eq!((s, v["code"].as_str()), (401, Some("api.unauthenticated")), "{v}");
    // None of it wrote anything.
    assert_eq!(node.height(), h);
}

#[test]
fn rate_limits_answer_429_with_a_retry_hint() {
    let (_tmp, data) = demo_ledger();
    // Per key: 1 a second, 5 at once. Getting a token costs the address two (challenge, token).
    let node = start(&data, &["--rate-limit-per-s", "1", "--rate-limit-burst", "5"]);
    let t = node.token("auditor");
    let statuses: Vec<u16> = (0..8).map(|_| node.get("/v1/alerts", Some(&t)).0).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    let res = agent().get(&format!("{}/v1/alerts", node.base)).set("Authorization", &format!("Bearer {t}")).call();
    match res {
        Err(ureq::Error::Status(429, r)) => {
            assert!(r.header("retry-after").is_some());
            assert_eq!(r.content_type(), "application/problem+json");
            let v: Value = serde_json::from_str(&r.into_string().unwrap()).unwrap();
            assert_eq!(v["code"], "api.rate_limited");
        }
        other => panic!("expected 429, got {:?}", other.map(|r| r.status())),
    }
    // Another key is unaffected.
    let other = node.token("co-1");
    assert_eq!(node.get("/v1/alerts", Some(&other)).0, 200);
    // Forged submissions in alpha's name are charged to the sender's address, not to alpha:
    // they soon get 429, and alpha's own signed transfer still goes through.
    let k = Keypair::insecure_from_name("alpha");
    let (_, p) = node.post(
        "/v1/transactions/prepare",
        &json!({"signer": k.wallet(), "ops": [{"transfer": {"asset": "USDX", "to": wallet("bolt-new"), "amount": 1}}]}),
        None,
    );
    let forged = json!({"body_hex": p["body_hex"], "signature": "00".repeat(64)});
    let statuses: Vec<u16> = (0..8).map(|_| node.post("/v1/transactions", &forged, None).0).collect();
    assert!(statuses.iter().all(|s| [400, 429].contains(s)) && statuses.contains(&429), "{statuses:?}");
    let sig = hex::encode(k.sign(&hex::decode(p["id"].as_str().unwrap()).unwrap()));
    let (s, v) = node.post("/v1/transactions", &json!({"body_hex": p["body_hex"], "signature": sig}), None);
    assert_eq!(s, 200, "{v}");
}

#[test]
fn event_stream_follows_blocks_and_resumes_from_last_event_id() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    let auditor = node.token("auditor");
    let read_events = |headers: &[(&str, String)], path: &str, n: usize| -> Vec<(u64, Value)> {
        let mut r = agent().get(&format!("{}{path}", node.base)).set("Authorization", &format!("Bearer {auditor}"));
        for (k, v) in headers {
            r = r.set(k, v);
        }
        let res = r.call().unwrap();
        assert_eq!(res.content_type(), "text/event-stream");
        let mut reader = BufReader::new(res.into_reader());
        let mut out = Vec::new();
        let (mut id, mut data) = (None, String::new());
        let mut line = String::new();
        while out.len() < n {
            line.clear();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let l = line.trim_end();
            if let Some(v) = l.strip_prefix("id:") {
                id = v.trim().parse::<u64>().ok();
            } else if let Some(v) = l.strip_prefix("data:") {
                data.push_str(v.trim());
            } else if l.is_empty() && !data.is_empty() {
                out.push((id.unwrap(), serde_json::from_str(&data).unwrap()));
                data.clear();
            }
        }
        out
    };
    // History from block 1.
    let first = read_events(&[], "/v1/events?from=1", 5);
    assert_eq!(first.iter().map(|(h, _)| *h).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
    assert_eq!(first[0].1["height"], 1);
    // Resume after block 5.
    let resumed = read_events(&[("Last-Event-ID", "5".into())], "/v1/events", 2);
    assert_eq!(resumed.iter().map(|(h, _)| *h).collect::<Vec<_>>(), vec![6, 7]);
    // Live: a stream from the next block sees a new transfer.
    let next = node.height() + 1;
    let base = node.base.clone();
    let t = auditor.clone();
    let live = std::thread::spawn(move || {
        let res = agent()
            .get(&format!("{base}/v1/events?from={next}"))
            .set("Authorization", &format!("Bearer {t}"))
            .call()
            .unwrap();
        let mut buf = [0u8; 4096];
        let mut text = String::new();
        let mut r = res.into_reader();
        while !text.contains("\n\n") {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        text
    });
    std::thread::sleep(Duration::from_millis(300));
    let (s, r) = node.transfer("alpha", "USDX", "bolt-new", 7);
    assert_eq!(s, 200);
    let text = live.join().unwrap();
    assert!(text.contains(&format!("id: {next}")) || text.contains(&format!("id:{next}")), "{text}");
    assert!(text.contains(r["tx"].as_str().unwrap()), "{text}");
}

/// POSTs JSON; None when the node is unreachable (killed). Any HTTP error status fails.
fn send(a: &ureq::Agent, url: &str, body: &Value) -> Option<Value> {
    match a.post(url).set("Content-Type", "application/json").send_string(&body.to_string()) {
        Ok(r) => Some(serde_json::from_str(&r.into_string().ok()?).unwrap()),
        // A node shutting down refuses new work; it is gone for this client.
        Err(ureq::Error::Status(503, _)) => None,
        Err(ureq::Error::Status(s, r)) => panic!("HTTP {s}: {}", r.into_string().unwrap_or_default()),
        Err(ureq::Error::Transport(_)) => None,
    }
}

type Answered = Arc<std::sync::atomic::AtomicUsize>;

/// Load from several clients: each answered transaction id, per client; `answered` counts them
/// as they come.
fn load(
    base: &str,
    stop: Arc<std::sync::atomic::AtomicBool>,
    answered_so_far: Answered,
) -> Vec<std::thread::JoinHandle<Vec<String>>> {
    let senders = [("alpha", "bolt-new"), ("bolt-new", "alpha")];
    senders
        .iter()
        .map(|(from, to)| {
            let (from, to, base) = (from.to_string(), to.to_string(), base.to_string());
            let stop = stop.clone();
            let answered_so_far = answered_so_far.clone();
            std::thread::spawn(move || {
                let k = Keypair::insecure_from_name(&from);
                let to = Keypair::insecure_from_name(&to).wallet();
                let a = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
                // The starting sequence number from a prepare; then signed locally.
                let prepare =
                    json!({"signer": k.wallet(), "ops": [{"transfer": {"asset": "USDX", "to": to, "amount": 1}}]});
                let p: Value = match send(&a, &format!("{base}/v1/transactions/prepare"), &prepare) {
                    Some(v) => v,
                    None => return Vec::new(),
                };
                let mut seq = p["body"]["seq"].as_u64().unwrap();
                let mut answered = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Batches of 8 consecutive sequence numbers keep one signer's order.
                    let txs: Vec<String> = (0..8)
                        .map(|i| {
                            let body = TxBody {
                                network: "tessera-demo".into(),
                                signer: k.wallet(),
                                seq: seq + i,
                                expires_at: tessera_core::Time(4_000_000_000),
                                ops: serde_json::from_value(
                                    json!([{"transfer": {"asset": "USDX", "to": to, "amount": 1}}]),
                                )
                                .unwrap(),
                            };
                            hex::encode(body.sign(&k).to_bytes())
                        })
                        .collect();
                    match send(&a, &format!("{base}/v1/transactions/batch"), &json!({"txs": txs})) {
                        Some(v) => {
                            let results = v["results"].as_array().unwrap();
                            // A journal that can no longer be written (its database lost): the
                            // node refuses the rest, and this client is done with it.
                            if results.iter().any(|r| {
                                r["status"] != "committed"
                                    && r["problem"]["code"].as_str().is_some_and(|c| c.starts_with("store."))
                            }) {
                                break;
                            }
                            for r in results {
                                assert_eq!(r["status"], "committed", "{r}");
                                answered.push(r["tx"].as_str().unwrap().to_string());
                                answered_so_far.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            }
                            seq += 8;
                        }
                        None => break, // the node is gone
                    }
                }
                answered
            })
        })
        .collect()
}

/// Waits until the load has `n` acknowledged transactions: the faults below strike a node under
/// load, however slow the machine is today (a count, not a time, decides when).
fn wait_for_answers(answered: &Answered, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while answered.load(std::sync::atomic::Ordering::Relaxed) < n {
        assert!(
            Instant::now() < deadline,
            "the load never got going: {} answered in 120 s",
            answered.load(std::sync::atomic::Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn verify(data: &Path) {
    let out = tessera().args(["verify", "--json", "--data"]).arg(data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

fn assert_all_present(node: &Node, ids: &[String]) {
    let auditor = node.token("auditor");
    for id in ids {
        let (s, v) = node.get(&format!("/v1/transactions/{id}"), Some(&auditor));
        assert_eq!(s, 200, "acknowledged transaction {id} is missing: {v}");
    }
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_transaction() {
    let (_tmp, data) = demo_ledger();
    let mut node = start(&data, &[]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answered = Answered::default();
    let clients = load(&node.base, stop.clone(), answered.clone());
    wait_for_answers(&answered, 16);
    node.child.kill().unwrap(); // SIGKILL
    node.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ids: Vec<String> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert!(ids.len() >= 16, "the load never got going: {} answered", ids.len());
    verify(&data);
    let node = start(&data, &[]);
    assert_all_present(&node, &ids);
}

#[test]
fn sigterm_drains_in_flight_work_then_exits_cleanly() {
    let (_tmp, data) = demo_ledger();
    let mut node = start(&data, &[]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answered = Answered::default();
    let clients = load(&node.base, stop.clone(), answered.clone());
    wait_for_answers(&answered, 8);
    let pid = node.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = Instant::now();
    let status = node.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(status.success(), "{status:?}\n{}", node.log.lock().unwrap());
    assert!(started.elapsed() < Duration::from_secs(30));
    let ids: Vec<String> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert!(!ids.is_empty());
    let log = node.log_containing("every accepted transaction is durable");
    assert!(log.contains("every accepted transaction is durable"), "{log}");
    verify(&data);
    let node = start(&data, &[]);
    assert_all_present(&node, &ids);
}

#[test]
fn the_cli_works_against_a_running_node() {
    let (tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    let key = tmp.path().join("alpha.key");
    assert!(tessera().args(["keys", "derive", "alpha", "--out"]).arg(&key).output().unwrap().status.success());
    let ops = tmp.path().join("pay.yaml");
    // In USDX's units: 1.00 USDX (1000000 minor units).
    std::fs::write(&ops, "- transfer: { asset: USDX, to: \"@bolt-new\", amount: 1.00 }\n").unwrap();
    let run = |args: &[&str]| {
        let out = tessera().args(["--node", &node.base]).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let k = key.to_str().unwrap();
    let (ok, stdout, stderr) = run(&["submit", "--key", k, "--ops", ops.to_str().unwrap()]);
    assert!(ok && stdout.contains("committed") && stdout.contains("(1 events)"), "{stdout}{stderr}");
    assert!(
        stdout.lines().nth(1).is_some_and(|l| l.starts_with("  1.000000 USDX transferred from e0d12678 to ")),
        "the event, one a line, its amount in USDX's decimals: {stdout}"
    );
    // Its receipt through the node says the same.
    let tx = stdout.split_whitespace().nth(1).unwrap().to_string();
    let (ok, receipt, stderr) = run(&["--auth-key", k, "query", "receipt", "--tx", &tx]);
    assert!(ok && receipt.ends_with(&format!("{}\n", stdout.lines().nth(1).unwrap())), "{receipt}{stderr}");
    let (ok, stdout, _) = run(&["--auth-key", k, "query", "balances", "--wallet", "@alpha"]);
    assert!(ok && stdout.contains("USDX") && stdout.contains("22,499,999.000000"), "{stdout}");
    // Without a login the node refuses private data, and the CLI says what to add.
    let (ok, _, stderr) = run(&["query", "balances", "--wallet", "@alpha"]);
    assert!(!ok && stderr.contains("error[api.unauthenticated]") && stderr.contains("add --auth-key FILE"), "{stderr}");
    // Someone else's wallet: the node's problem, as the CLI's error line.
    let (ok, _, stderr) = run(&["--auth-key", k, "query", "balances", "--wallet", "@carol"]);
    assert!(!ok && stderr.contains("error[api.forbidden]"), "{stderr}");
    // A journaled failure.
    std::fs::write(&ops, "- transfer: { asset: USDX, to: \"@bolt-new\", amount: \"1,000,000,000,000\" }\n").unwrap();
    let (ok, _, stderr) = run(&["submit", "--key", k, "--ops", ops.to_str().unwrap()]);
    assert!(!ok && stderr.contains("error[balance.insufficient]") && stderr.contains("journaled"), "{stderr}");
    let (ok, stdout, _) = run(&["token", "--key", k]);
    assert!(ok && stdout.starts_with("tsr1."), "{stdout}");
    // A bill quote through /v1/securities/{security}/yield, printed for people: the demo's
    // token B-912796Y60 matures on 3 February, 28 days after 6 January.
    let (ok, stdout, stderr) =
        run(&["query", "bill", "--cusip", "US912796Y601", "--price", "99.651556", "--settlement", "2026-01-06"]);
    assert!(
        ok && stdout.starts_with("bill 912796Y60 (US912796Y601, token B-912796Y60)")
            && stdout.contains("discount rate        4.480%")
            && stdout.contains("investment rate      4.558%"),
        "{stdout}{stderr}"
    );
    let (ok, _, stderr) = run(&["query", "bill", "--cusip", "912796Y60", "--price", "99", "--maturity", "2026-01-30"]);
    assert!(!ok && stderr.contains("error[bill.bad_term]") && stderr.contains("maturing 2026-02-03"), "{stderr}");
    let (ok, _, stderr) = run(&["query", "bill", "--cusip", "GB0002634946", "--price", "99"]);
    assert!(!ok && stderr.contains("error[identifier.not_us_isin]"), "{stderr}");
}

#[test]
fn a_node_logging_to_a_file_writes_plain_text_without_colour_codes() {
    let (tmp, data) = demo_ledger();
    let log_path = tmp.path().join("node.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = tessera()
        .args(["node", "--listen", "127.0.0.1:0", "--log-format", "text", "--data"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !std::fs::read_to_string(&log_path).unwrap().contains("listening") {
        assert!(started.elapsed() < Duration::from_secs(60), "the node did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("listening") && text.contains("INFO"), "{text}");
    assert!(!text.contains('\u{1b}'), "ANSI escape codes in a log file:\n{text:?}");
}

/// `tessera ARGS`: (success, stdout, stderr).
fn cli(args: &[String]) -> (bool, String, String) {
    let out = tessera().env_remove("TESSERA_NODE").env_remove("TESSERA_AUTH_KEY").args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn every_query_the_node_serves_prints_through_the_node_what_it_prints_on_the_data_directory_for_people_as_json_and_as_csv(
) {
    // (scenario, a reader that sees everything, a wallet, its party)
    let ledgers = [
        ("demo", "auditor", "@alpha", "alpha-fund"),
        ("fund_buidl_90_days", "operator", "@alpha", "alpha"),
        ("settlement_dvp", "operator", "@alpha", "alpha"),
        ("collateral_views", "examiner", "@bravo", "bravo"),
    ];
    for (scenario, reader, wallet, party) in ledgers {
        let (tmp, data) = scenario_ledger(scenario);
        let key = tmp.path().join("reader.key");
        assert!(tessera().args(["keys", "derive", reader, "--out"]).arg(&key).output().unwrap().status.success());
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
        // `format`: none (for people), `--json` or `--csv`.
        let local = |q: &[String], format: Option<&str>| {
            let mut args: Vec<String> = format.into_iter().map(str::to_string).collect();
            args.push("query".into());
            args.extend(q.iter().cloned());
            args.extend(s(&["--data", data.to_str().unwrap()]));
            cli(&args)
        };
        let listed = |q: &[&str]| -> Value {
            let (ok, out, err) = local(&s(q), Some("--json"));
            assert!(ok, "{scenario}: query {q:?}: {err}");
            serde_json::from_str(&out).unwrap()
        };
        // Every query the API serves, over what this ledger holds.
        let mut queries: Vec<Vec<String>> = vec![
            s(&["assets"]),
            s(&["balances", "--wallet", wallet]),
            s(&["balances", "--party", party]),
            s(&["history", "--wallet", wallet]),
            s(&["locks", "--wallet", wallet]),
            s(&["alerts"]),
            s(&["proposals"]),
            s(&["instructions"]),
            s(&["funds"]),
            s(&["feeds"]),
            s(&["redemptions"]),
            s(&["pledges"]),
            s(&["calls"]),
            s(&["calls", "--open"]),
            s(&["loans"]),
            s(&["parties"]),
            s(&["party", party]),
            s(&["party", "no-such-party"]),
            s(&["statement", "--wallet", wallet, "--from", "2026-01-01", "--to", "2026-12-31"]),
            s(&["statement", "--party", party, "--from", "2026-01-01", "--to", "2026-01-31"]),
            s(&["statement", "--party", party, "--from", "2026-02-01", "--to", "2026-01-01"]),
        ];
        for a in listed(&["assets"]).as_array().unwrap() {
            let asset = a["symbol"].as_str().unwrap();
            queries.push(s(&["holders", "--asset", asset]));
            queries.push(s(&["holders", "--asset", asset, "--height", "2"]));
            queries.push(s(&["register", "--asset", asset]));
            queries.push(s(&["register", "--asset", asset, "--height", "2"]));
            if let Some(isin) = a["isin"].as_str().filter(|_| a["kind"].to_string().contains("bill")) {
                queries.push(s(&["bill", "--cusip", isin, "--discount-rate", "4.48", "--settlement", "2026-01-02"]));
            }
        }
        for h in listed(&["history", "--wallet", wallet]).as_array().unwrap().iter().take(3) {
            queries.push(s(&["receipt", "--tx", h["receipt"]["tx"].as_str().unwrap()]));
        }
        for i in listed(&["instructions"]).as_array().unwrap() {
            queries.push(s(&["instructions", "--id", &i["id"].to_string()]));
        }
        for f in listed(&["funds"]).as_array().unwrap() {
            queries.push(s(&["funds", "--fund", f["spec"]["fund"].as_str().unwrap()]));
        }
        for f in listed(&["feeds"]).as_array().unwrap().iter().take(3) {
            queries.push(s(&["feeds", "--feed", f["feed"].as_str().unwrap()]));
        }
        queries.push(s(&["instructions", "--id", "999"]));
        queries.push(s(&["feeds", "--feed", "NO-SUCH-FEED"]));

        let node = start(&data, &[]);
        let remote = |q: &[String], format: Option<&str>| {
            let mut args = s(&["--node", &node.base, "--auth-key", key.to_str().unwrap()]);
            args.extend(format.map(str::to_string));
            args.push("query".into());
            args.extend(q.iter().cloned());
            cli(&args)
        };
        // The margin report (a report, not a query) goes the same way.
        let report = |q: &[String], format: Option<&str>, node: Option<&str>| {
            let mut args = match node {
                Some(url) => s(&["--node", url, "--auth-key", key.to_str().unwrap()]),
                None => s(&["--data", data.to_str().unwrap()]),
            };
            args.extend(format.map(str::to_string));
            args.push("report".into());
            args.extend(q.iter().cloned());
            cli(&args)
        };
        let reports: Vec<Vec<String>> =
            if scenario == "collateral_views" { vec![s(&["margin", "cme"]), s(&["margin", "nobody"])] } else { vec![] };
        let asked = queries.iter().map(|q| (q, false)).chain(reports.iter().map(|q| (q, true)));
        for (q, is_report) in asked {
            for format in [None, Some("--json"), Some("--csv")] {
                let ((ok, here, here_err), (ok_there, there, there_err)) = if is_report {
                    (report(q, format, None), report(q, format, Some(&node.base)))
                } else {
                    (local(q, format), remote(q, format))
                };
                let what = format!(
                    "{scenario}: {} {} {}",
                    if is_report { "report" } else { "query" },
                    q.join(" "),
                    format.unwrap_or_default()
                );
                assert_eq!(ok, ok_there, "{what}: here {here}{here_err}, through the node {there}{there_err}");
                if !ok {
                    assert_eq!(here_err, there_err, "{what}: the refusals differ");
                    continue;
                }
                let (a, b): (Vec<&str>, Vec<&str>) = (here.lines().collect(), there.lines().collect());
                for (n, (x, y)) in a.iter().zip(&b).enumerate() {
                    assert_eq!(x, y, "{what}: line {} differs\n--- data directory:\n{here}--- node:\n{there}", n + 1);
                }
                assert_eq!(
                    a.len(),
                    b.len(),
                    "{what}: line counts differ\n--- data directory:\n{here}--- node:\n{there}"
                );
            }
        }
    }
}

#[test]
fn one_writer_per_data_directory_a_second_writer_is_refused_naming_the_node_and_readers_run_beside_it() {
    let (_t, data) = demo_ledger();
    let node = start(&data, &[]);
    let height = node.height();
    let pid = node.child.id().to_string();
    let d = data.to_str().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("co.key");
    assert!(tessera().args(["keys", "derive", "co-1", "--out"]).arg(&key).output().unwrap().status.success());
    let ops = tmp.path().join("ops.yaml");
    std::fs::write(&ops, "- register_party: { party: beside, name: Beside, kind: institution }\n").unwrap();
    // A second writer through the data directory: refused at once, naming the node's PID.
    let out = tessera().args(["submit", "--data", d, "--key"]).arg(&key).arg("--ops").arg(&ops).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[store.locked]") && stderr.contains(&pid), "{stderr}");
    // A second node too.
    let out = tessera().args(["node", "--listen", "127.0.0.1:0", "--data", d]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("store.locked") && stderr.contains(&pid), "{stderr}");
    // Read-only commands run beside the node.
    let out = tessera().args(["query", "assets", "--data", d]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = tessera().args(["verify", "--data", d]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // And the node is untouched: still ready, still writing the next block.
    assert_eq!(node.get("/ready", None).0, 200);
    let (s, v) = node.transfer("alpha", "USDX", "bolt-new", 100);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["height"].as_u64(), Some(height + 1));
}

#[test]
fn refusals_at_the_door_write_no_block_and_answer_a_status_that_is_not_422() {
    let (_t, data) = demo_ledger();
    let node = start(&data, &["--rate-limit-per-s", "0"]);
    let height = node.height();
    // An unknown signer with a self-made key, many times over.
    let stranger = Keypair::insecure_from_name("stranger");
    let prepared = |k: &Keypair, seq: u64, ops: Value| {
        let body = TxBody {
            network: "tessera-demo".into(),
            signer: k.wallet(),
            seq,
            expires_at: tessera_core::Time(u64::MAX / 2),
            ops: serde_json::from_value(ops).unwrap(),
        };
        let sig = hex::encode(k.sign(&body.id().0));
        json!({"body_hex": hex::encode(borsh::to_vec(&body).unwrap()), "signature": sig})
    };
    for seq in 1..=50 {
        let reg = json!([{"register_party": {"party": format!("s{seq}"), "name": "S", "kind": "institution"}}]);
        let (s, v) = node.post("/v1/transactions", &prepared(&stranger, seq, reg), None);
        assert_eq!((s, v["code"].as_str()), (403, Some("tx.unknown_signer")), "{v}");
    }
    // Stateless refusals: 400, not 422 (nothing was journaled).
    let alpha = Keypair::insecure_from_name("alpha");
    let zero = json!([{"transfer": {"asset": "USDX", "to": wallet("echo"), "amount": 0}}]);
    let (s, v) = node.post("/v1/transactions", &prepared(&alpha, 1, zero), None);
    assert_eq!((s, v["code"].as_str()), (400, Some("amount.zero")), "{v}");
    let bad_id = json!([{"register_party": {"party": "Bad Id", "name": "B", "kind": "institution"}}]);
    let (s, v) = node.post("/v1/transactions", &prepared(&alpha, 1, bad_id), None);
    assert_eq!((s, v["code"].as_str()), (400, Some("party.bad_id")), "{v}");
    assert!(v.get("height").is_none() && v.get("tx").is_none(), "{v}");
    // A replay of a sequence number already spent: 409, no block.
    let (s, v) = node.post(
        "/v1/transactions",
        &prepared(&alpha, 1, json!([{"transfer": {"asset": "USDX", "to": wallet("echo"), "amount": 1}}])),
        None,
    );
    assert_eq!((s, v["code"].as_str()), (409, Some("tx.replayed")), "{v}");
    assert_eq!(node.height(), height, "a refusal wrote a block");
    // A journaled failure still answers 422 and names its block.
    let (s, v) = node.transfer("alpha", "USDX", "echo", u64::MAX / 4);
    assert_eq!((s, v["code"].as_str()), (422, Some("balance.insufficient")), "{v}");
    assert_eq!(v["height"].as_u64(), Some(height + 1));
}

#[test]
fn a_retired_wallet_gets_no_token_and_its_tokens_stop_working_at_the_block_that_retires_it() {
    let (_t, data) = demo_ledger();
    let node = start(&data, &[]);
    // Bolt's old key was retired by the demo's recovery: no token for it.
    let (s, v) = node.ask_token("bolt");
    assert_eq!((s, v["code"].as_str()), (401, Some("api.unauthenticated")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("retired"), "{v}");
    // A token issued before the retirement stops working once the recovery's block is in.
    let carol = node.token("carol");
    let (s, _) = node.get(&format!("/v1/wallets/{}/balances", wallet("carol")), Some(&carol));
    assert_eq!(s, 200);
    let add = json!([{"add_wallet": {"party": "carol", "wallet": wallet("carol-new")}}]);
    let recover = json!([{"propose": {"expires_at": "2027-12-31", "ops": [{"recover_wallet": {"lost": wallet("carol"), "new": wallet("carol-new"), "reference": "ticket 1"}}]}}]);
    let submit = |who: &str, ops: Value| {
        let k = Keypair::insecure_from_name(who);
        let (s, p) = node.post("/v1/transactions/prepare", &json!({"signer": k.wallet(), "ops": ops}), None);
        assert_eq!(s, 200, "{p}");
        let id = hex::decode(p["id"].as_str().unwrap()).unwrap();
        let (s, v) = node.post(
            "/v1/transactions",
            &json!({"body_hex": p["body_hex"], "signature": hex::encode(k.sign(&id))}),
            None,
        );
        assert_eq!(s, 200, "{v}");
        v
    };
    submit("co-1", add);
    let proposed = submit("ta-1", recover);
    let proposal = proposed["receipt"]["outcome"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| (e["event"] == "proposal_created").then(|| e["proposal"].as_u64()).flatten())
        .expect("a proposal id");
    submit("ta-2", json!([{"approve": {"proposal": proposal}}]));
    let (s, v) = node.get(&format!("/v1/wallets/{}/balances", wallet("carol-new")), Some(&carol));
    assert_eq!((s, v["code"].as_str()), (401, Some("api.unauthenticated")), "{v}");
    let (s, _) = node.get(&format!("/v1/wallets/{}/history", wallet("carol")), Some(&carol));
    assert_eq!(s, 401);
    // The new wallet reads its party's holdings.
    let new = node.token("carol-new");
    assert_eq!(node.get(&format!("/v1/wallets/{}/balances", wallet("carol-new")), Some(&new)).0, 200);
}

#[test]
fn a_failed_commit_stops_the_node_accepting_ready_says_503_and_the_log_says_why() {
    let (_t, data) = demo_ledger();
    let node = start(&data, &[]);
    let next = node.height() + 1;
    // Something outside Tessera, ignoring the directory lock, writes the next block's row:
    // the node's next commit fails (the outside test's `UNIQUE constraint failed`).
    tessera_store::testing::insert_placeholder_block(&data, next).unwrap();
    let (s, v) = node.transfer("alpha", "USDX", "bolt-new", 100);
    assert_eq!((s, v["code"].as_str()), (503, Some("store.io")), "{v}");
    // Every later request that needs the journal is refused at once with the reason.
    let started = Instant::now();
    let ops = json!([{"transfer": {"asset": "USDX", "to": wallet("bolt-new"), "amount": 1}}]);
    let (s, v) = node.post("/v1/transactions/prepare", &json!({"signer": wallet("alpha"), "ops": ops}), None);
    assert_eq!((s, v["code"].as_str()), (503, Some("store.io")), "{v}");
    assert!(started.elapsed() < Duration::from_secs(5), "refused at once, not after a timeout");
    let (s, v) = node.get("/ready", None);
    assert_eq!((s, v["code"].as_str()), (503, Some("store.io")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("stopped accepting"), "{v}");
    let log = node.log_containing("journal commit failed");
    assert!(log.contains("journal commit failed"), "{log}");
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: several nodes on one database, a read replica, and the loss of the primary. Real
// servers (`tessera_store::testing::pg`); skipped with a printed reason only where the machine
// has no PostgreSQL binaries, never in CI.

use tessera_store::testing::pg;

/// The demo ledger copied into a fresh database on the server at `server` (as an operator moves
/// a ledger to PostgreSQL): its URL.
fn demo_ledger_in(server: &str) -> String {
    let url = pg::fresh_database_on(server);
    let (_tmp, data) = demo_ledger();
    let out = tessera().args(["init", "--store", &url, "--copy-from"]).arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    url
}

/// A node on the journal at `url` (its `--data` is unused).
fn start_on(url: &str, extra: &[&str]) -> Node {
    let mut args = vec!["--store", url];
    args.extend_from_slice(extra);
    start(Path::new("/nonexistent-tessera-data"), &args)
}

fn role(node: &Node) -> String {
    node.get("/v1/status", None).1["role"].as_str().unwrap_or_default().to_string()
}

fn verify_store(url: &str) {
    let out = tessera().args(["verify", "--json", "--store", url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn killing_the_leader_under_load_hands_the_ledger_to_a_standby_that_loses_no_acknowledged_transaction() {
    let Some(server) = pg::shared() else { return };
    let url = demo_ledger_in(&server.primary);
    let mut leader = start_on(&url, &[]);
    let standby = start_on(&url, &[]);
    assert_eq!((role(&leader), role(&standby)), ("leader".into(), "standby".into()));
    // A standby serves reads and refuses submissions with a retry hint.
    let (s, v) = standby.transfer("alpha", "USDX", "bolt-new", 1);
    assert_eq!((s, v["code"].as_str()), (503, Some("api.not_leader")), "{v}");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answered = Answered::default();
    let clients = load(&leader.base, stop.clone(), answered.clone());
    wait_for_answers(&answered, 16);
    leader.child.kill().unwrap(); // SIGKILL
    leader.child.wait().unwrap();
    let killed = Instant::now();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ids: Vec<String> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert!(ids.len() >= 16, "the load never got going: {} answered", ids.len());
    // The standby takes the writer's role once PostgreSQL ends the dead leader's session.
    let deadline = Instant::now() + Duration::from_secs(60);
    while role(&standby) != "leader" {
        assert!(Instant::now() < deadline, "the standby never took over:\n{}", standby.log.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    let (s, v) = standby.transfer("alpha", "USDX", "bolt-new", 1);
    assert_eq!(s, 200, "{v}");
    eprintln!("failover: leader killed → first new block acknowledged in {:?}", killed.elapsed());
    assert_all_present(&standby, &ids);
    let log = standby.log_containing("took over as the leader");
    assert!(log.contains("took over as the leader"), "{log}");
    drop(standby);
    verify_store(&url);
}

#[test]
fn a_read_replica_verifies_every_block_and_stops_at_a_block_altered_in_the_database_naming_it() {
    let Some(server) = pg::shared() else { return };
    let url = demo_ledger_in(&server.primary);
    let leader = start_on(&url, &[]);
    let replica = start_on(&url, &["--follow"]);
    assert_eq!(role(&replica), "follower");
    let (s, v) = leader.transfer("alpha", "USDX", "bolt-new", 5);
    assert_eq!(s, 200, "{v}");
    let first = v["height"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while replica.height() < first {
        assert!(Instant::now() < deadline, "the replica never caught up");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Reads are served; submissions are not.
    let (s, v) = replica.transfer("alpha", "USDX", "bolt-new", 1);
    assert_eq!((s, v["code"].as_str()), (503, Some("api.not_leader")), "{v}");
    // Someone with write access to the database alters the next block as it is stored: its
    // body changes and its stored checksum is recomputed to match, so only replay can tell.
    let altered = first + 1;
    pg::execute(
        &url,
        &format!(
            "CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.height = {altered} THEN NEW.body := set_byte(NEW.body, length(NEW.body) - 1, \
             get_byte(NEW.body, length(NEW.body) - 1) # 1); NEW.body_hash := sha256(NEW.body); END IF; \
             RETURN NEW; END $$"
        ),
    )
    .unwrap();
    pg::execute(&url, "CREATE TRIGGER tamper BEFORE INSERT ON tessera_blocks FOR EACH ROW EXECUTE FUNCTION tamper()")
        .unwrap();
    let (s, v) = leader.transfer("alpha", "USDX", "bolt-new", 7);
    assert_eq!(s, 200, "the leader wrote what it meant to: {v}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let detail = loop {
        let (s, v) = replica.get("/ready", None);
        if s == 503 {
            assert_eq!(v["code"], "verify.mismatch", "{v}");
            break v["detail"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "the replica never noticed: {v}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(detail.contains(&format!("block {altered}")), "{detail}");
    // It keeps the last verified state and says where it stopped.
    assert_eq!(replica.get("/v1/status", None).1["height"].as_u64(), Some(first));
    let log = replica.log_containing("stopped following the journal");
    assert!(log.contains(&format!("block {altered}")), "{log}");
}

#[test]
fn losing_the_postgresql_primary_under_load_then_promoting_its_standby_keeps_every_acknowledged_transaction() {
    let Some(pair) = pg::Pair::start() else { return };
    let url = demo_ledger_in(&pair.primary);
    let db = url.rsplit('/').next().unwrap().to_string();
    let mut node = start_on(&url, &[]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let answered = Answered::default();
    let clients = load(&node.base, stop.clone(), answered.clone());
    wait_for_answers(&answered, 16);
    pair.run("kill-primary").expect("the primary is killed");
    // The node cannot commit: it acknowledges nothing more and says why.
    let deadline = Instant::now() + Duration::from_secs(60);
    while node.get("/ready", None).0 != 503 {
        assert!(Instant::now() < deadline, "the node still says it is ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let ids: Vec<String> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    assert!(ids.len() >= 16);
    node.child.kill().unwrap();
    node.child.wait().unwrap();
    // The operator promotes the standby and points the nodes at it.
    pair.run("promote").expect("the standby is promoted");
    let promoted = pg::with_database(&pair.standby, &db);
    let node = start_on(&promoted, &[]);
    assert_eq!(role(&node), "leader");
    assert_all_present(&node, &ids);
    let (s, v) = node.transfer("alpha", "USDX", "bolt-new", 1);
    assert_eq!(s, 200, "the ledger continues on the promoted server: {v}");
    drop(node);
    verify_store(&promoted);
}

#[test]
fn a_node_told_which_network_to_expect_refuses_a_journal_of_another_network() {
    let (_t, data) = demo_ledger();
    let out = tessera()
        .args(["node", "--listen", "127.0.0.1:0", "--network", "mainnet", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("store.other_network") && err.contains(r#"network "tessera-demo", not "mainnet""#), "{err}");
}

#[test]
fn a_leader_that_lost_its_session_while_a_standby_took_over_is_refused_by_the_fence_appends_nothing_and_steps_down() {
    let Some(server) = pg::shared() else { return };
    let url = demo_ledger_in(&server.primary);
    let old = start_on(&url, &[]);
    let new = start_on(&url, &[]);
    let (s, v) = old.transfer("alpha", "USDX", "bolt-new", 3);
    assert_eq!(s, 200, "{v}");
    // The leader's session ends (a network cut, an operator's pg_terminate_backend); the
    // leader itself notices nothing, and the standby takes the writer's role.
    assert_eq!(pg::terminate_writer(&url).unwrap(), 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    while role(&new) != "leader" {
        assert!(Instant::now() < deadline, "the standby never took over");
        std::thread::sleep(Duration::from_millis(50));
    }
    let height = new.height();
    // The old leader still believes it leads: its next block is refused inside its own
    // transaction, and nothing of it reaches the journal.
    let (s, v) = old.transfer("alpha", "USDX", "bolt-new", 4);
    assert_eq!((s, v["code"].as_str()), (503, Some("store.fenced")), "{v}");
    assert!(v["detail"].as_str().unwrap().contains("took over at term"), "{v}");
    let (s, v) = new.transfer("alpha", "USDX", "bolt-new", 5);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["height"].as_u64(), Some(height + 1), "the deposed leader's block is not in the journal");
    // The deposed leader steps down: it follows the new leader's journal as a standby.
    let deadline = Instant::now() + Duration::from_secs(30);
    while role(&old) != "standby" || old.height() < height + 1 {
        assert!(Instant::now() < deadline, "the deposed leader never followed:\n{}", old.log.lock().unwrap());
        std::thread::sleep(Duration::from_millis(50));
    }
    let (s, v) = old.transfer("alpha", "USDX", "bolt-new", 6);
    assert_eq!((s, v["code"].as_str()), (503, Some("api.not_leader")), "{v}");
    drop((old, new));
    verify_store(&url);
}
