//! The console's Act page over real loopback HTTP (issue 15, point 4): the node prepares each
//! action for the signed-in wallet, says it in words and pre-checks it; a body it prepared,
//! signed with the wallet's key and submitted, reaches the journal; every bad input is refused
//! with its code and changes nothing.

mod common;

use common::*;
use serde_json::{json, Value};
use tessera_core::crypto::Keypair;
use tessera_core::tx::TxBody;

/// A console session: the API's own token in the console's cookie.
fn cookie(node: &Node, name: &str) -> String {
    format!("tessera_console={}", node.token(name))
}

/// (status, answer) of `POST /console/act/prepare` with `content_type` and an optional session.
fn prepare_as(node: &Node, session: Option<&str>, content_type: &str, body: &Value) -> (u16, Value) {
    let mut r = agent().post(&format!("{}/console/act/prepare", node.base));
    if let Some(c) = session {
        r = r.set("Cookie", c);
    }
    let (s, _, v) = call(r, Some((content_type, body.to_string().as_bytes())));
    (s, v)
}

fn prepare(node: &Node, session: &str, body: &Value) -> (u16, Value) {
    prepare_as(node, Some(session), "application/json", body)
}

fn console_get(node: &Node, session: Option<&str>, path: &str) -> (u16, Value) {
    let mut r = agent().get(&format!("{}{path}", node.base));
    if let Some(c) = session {
        r = r.set("Cookie", c);
    }
    let (s, _, v) = call(r, None);
    (s, v)
}

/// Signs a prepared answer's id with the demo key `name` (after checking the id is the body's)
/// and submits it: the answer of `POST /v1/transactions`.
fn sign_and_submit(node: &Node, name: &str, prepared: &Value) -> (u16, Value) {
    let bytes = hex::decode(prepared["body_hex"].as_str().unwrap()).unwrap();
    let body: TxBody = borsh::from_slice(&bytes).unwrap();
    assert_eq!(hex::encode(body.id().0), prepared["id"].as_str().unwrap());
    let sig = hex::encode(Keypair::insecure_from_name(name).sign(&body.id().0));
    node.post("/v1/transactions", &json!({"body_hex": prepared["body_hex"], "signature": sig}), None)
}

/// Signs and submits operations as demo key `name` through the API (to set the scene).
fn submit_ops(node: &Node, name: &str, ops: Value) -> Value {
    let k = Keypair::insecure_from_name(name);
    let (s, p) = node.post("/v1/transactions/prepare", &json!({"signer": k.wallet(), "ops": ops}), None);
    assert_eq!(s, 200, "{p}");
    let (s, v) = sign_and_submit(node, name, &p);
    assert_eq!(s, 200, "{v}");
    v
}

fn codes(precheck: &Value) -> Vec<String> {
    precheck["failures"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_console_prepares_a_transfer_in_words_with_its_precheck_and_signed_in_rust_it_reaches_the_journal() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    let alpha = cookie(&node, "alpha");

    let (s, p) = prepare(
        &node,
        &alpha,
        &json!({"from": wallet("alpha"), "ops": [{"transfer": {"asset": "USDX", "to": "carol", "amount": "1,000.5"}}]}),
    );
    assert_eq!(s, 200, "{p}");
    let words = p["words"].as_str().unwrap();
    let carol = Keypair::insecure_from_name("carol").wallet().short();
    assert!(
        words.starts_with(&format!(
            "transfer 1,000.500000 USDX from alpha-fund (wallet {}) to carol (wallet {carol}); fee: none",
            Keypair::insecure_from_name("alpha").wallet().short()
        )),
        "{words}"
    );
    assert_eq!(p["precheck"], json!({"passes": true, "failures": []}));

    let h = node.height();
    let (s, r) = sign_and_submit(&node, "alpha", &p);
    assert_eq!((s, r["status"].as_str()), (200, Some("committed")), "{r}");
    assert!(r["height"].as_u64().unwrap() > h);
    assert_eq!(r["tx"], p["id"]);
    // In the journal, and said in words on the console.
    let tx = p["id"].as_str().unwrap();
    let (s, v) = node.get(&format!("/v1/transactions/{tx}"), Some(&node.token("alpha")));
    assert_eq!((s, &v["height"]), (200, &r["height"]), "{v}");
    let (s, v) = console_get(&node, Some(&alpha), &format!("/console/act/tx/{tx}"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["height"], r["height"]);
    let event = v["events"][0].as_str().unwrap();
    assert!(event.starts_with("1,000.500000 USDX transferred from "), "{v}");

    // The page offers the forms to the signed-in wallet and loads its script.
    let (s, page) = console_get(&node, Some(&alpha), "/console/act");
    let page = page.as_str().unwrap();
    assert_eq!(s, 200);
    for id in
        ["form-transfer", "form-affirm", "form-approve", "form-redeem", "form-pledge", "form-margin", "act-result"]
    {
        assert!(page.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert!(page.contains("/console/static/act.js?v="));
    assert!(!page.contains(" style="), "no inline style under the CSP");
    // Other pages do not load it.
    let (_, overview) = console_get(&node, Some(&alpha), "/console");
    assert!(!overview.as_str().unwrap().contains("act.js"));
}

#[test]
fn a_transfer_that_would_break_rules_lists_every_rule_before_anything_is_signed() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    let carol = cookie(&node, "carol");
    // Carol holds 1,000 TBILL minor units; far more than she holds, to a party the rules bar.
    let (s, p) = prepare(
        &node,
        &carol,
        &json!({"ops": [{"transfer": {"asset": "TBILL", "to": "delta-dao", "amount": "5,000,000"}}]}),
    );
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["precheck"]["passes"], false);
    let c = codes(&p["precheck"]);
    assert!(c.contains(&"balance.insufficient".to_string()) && c.len() >= 2, "{p}");
    assert!(p["words"].as_str().unwrap().starts_with("transfer 5,000,000"), "{p}");
}

#[test]
fn an_affirmation_and_a_proposal_approval_are_prepared_in_words_prechecked_and_reach_the_journal() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    // A delivery-versus-payment instruction between alpha and bolt, and a sensitive proposal by
    // one admin that needs a second approval.
    submit_ops(
        &node,
        "alpha",
        json!([{"create_instruction": {"legs": [
            {"asset": "TBILL", "amount": "100", "from": wallet("alpha"), "to": wallet("bolt-new")},
            {"asset": "USDX", "amount": "100", "from": wallet("bolt-new"), "to": wallet("alpha")}
        ], "settle": "on_affirmation", "expires_at": "2030-01-01"}}]),
    );
    let (_, list) = node.get("/v1/instructions", Some(&node.token("alpha")));
    let instruction = list.as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).max().unwrap();
    submit_ops(
        &node,
        "admin-1",
        json!([{"propose": {"expires_at": "2030-01-01", "ops": [{"set_supply_cap": {"asset": "USDX", "cap": "90,000,000"}}]}}]),
    );
    let (_, list) = node.get("/v1/proposals", Some(&node.token("admin-1")));
    let proposal = list.as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).max().unwrap();

    // Affirming: alpha sends on a leg.
    let alpha = cookie(&node, "alpha");
    let (_, page) = console_get(&node, Some(&alpha), "/console/act");
    assert!(page.as_str().unwrap().contains(&format!("data-id=\"{instruction}\"")), "the page lists the instruction");
    let (s, p) = prepare(&node, &alpha, &json!({"ops": [{"affirm_instruction": {"instruction": instruction}}]}));
    assert_eq!(s, 200, "{p}");
    assert!(
        p["words"]
            .as_str()
            .unwrap()
            .starts_with(&format!("affirm instruction {instruction} (100.000000 TBILL from alpha-fund")),
        "{p}"
    );
    assert_eq!(p["precheck"]["passes"], true, "{p}");
    let (s, r) = sign_and_submit(&node, "alpha", &p);
    assert_eq!(s, 200, "{r}");
    // Twice: the pre-check says so before anything is signed.
    let (_, p) = prepare(&node, &alpha, &json!({"ops": [{"affirm_instruction": {"instruction": instruction}}]}));
    assert_eq!(codes(&p["precheck"]), ["settlement.already_affirmed"], "{p}");

    // Approving: the second admin; the proposal then executes.
    let admin2 = cookie(&node, "admin-2");
    let (_, page) = console_get(&node, Some(&admin2), "/console/act");
    assert!(page.as_str().unwrap().contains(&format!("data-id=\"{proposal}\"")), "the page lists the proposal");
    let (s, p) = prepare(&node, &admin2, &json!({"ops": [{"approve": {"proposal": proposal}}]}));
    assert_eq!(s, 200, "{p}");
    assert!(
        p["words"]
            .as_str()
            .unwrap()
            .starts_with(&format!("approve proposal {proposal} (sensitive, 1 of 2 approvals so far")),
        "{p}"
    );
    assert_eq!(p["precheck"]["passes"], true, "{p}");
    let (s, r) = sign_and_submit(&node, "admin-2", &p);
    assert_eq!(s, 200, "{r}");
    let tx = r["tx"].as_str().unwrap();
    let (_, v) = console_get(&node, Some(&admin2), &format!("/console/act/tx/{tx}"));
    let events: Vec<&str> = v["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap()).collect();
    assert!(events.iter().any(|e| e.starts_with(&format!("proposal {proposal} executed"))), "{v}");
    assert!(events.iter().any(|e| e.contains("supply cap of USDX set to 90,000,000.000000")), "{v}");

    // A party that is no admin may not approve: its authority fails the pre-check.
    let (_, p) = prepare(&node, &alpha, &json!({"ops": [{"approve": {"proposal": proposal}}]}));
    assert_eq!(p["precheck"]["passes"], false, "{p}");
}

#[test]
fn redeeming_pledging_and_posting_margin_are_prepared_in_words_with_the_assets_decimals() {
    let (_tmp, data) = scenario_ledger("demo_collateral");
    let node = start(&data, &[]);
    let bravo = cookie(&node, "bravo");
    let (s, p) = prepare(&node, &bravo, &json!({"ops": [{"redeem": {"class": "TLF", "shares": "1,000"}}]}));
    assert_eq!(s, 200, "{p}");
    assert!(
        p["words"].as_str().unwrap().starts_with("redeem 1,000.000000 shares of TLF (fund ATLAS), paid in USDX"),
        "{p}"
    );
    assert_eq!(p["precheck"], json!({"passes": true, "failures": []}));
    let (s, p) = prepare(
        &node,
        &bravo,
        &json!({"ops": [{"pledge_collateral": {"ccp": "cme", "asset": "TLF", "amount": "10"}}]}),
    );
    assert_eq!(s, 200, "{p}");
    assert!(
        p["words"].as_str().unwrap().starts_with("pledge 10.000000 TLF to clearing house cme as collateral"),
        "{p}"
    );
    let (s, p) = prepare(
        &node,
        &bravo,
        &json!({"ops": [{"pledge_collateral": {"ccp": "cme", "asset": "USDX", "amount": "2,500.25"}}]}),
    );
    assert_eq!(s, 200, "{p}");
    assert!(p["words"].as_str().unwrap().starts_with("post margin of 2,500.250000 USDX to clearing house cme"), "{p}");
    // Signed and submitted, a redemption reaches the journal.
    let (_, p) = prepare(&node, &bravo, &json!({"ops": [{"redeem": {"class": "TLF", "shares": "1"}}]}));
    let (s, r) = sign_and_submit(&node, "bravo", &p);
    assert_eq!((s, r["status"].as_str()), (200, Some("committed")), "{r}");
    // More shares than bravo holds free (some are pledged): every rule is listed first.
    let (_, p) = prepare(&node, &bravo, &json!({"ops": [{"redeem": {"class": "TLF", "shares": "5,000,000"}}]}));
    assert_eq!(codes(&p["precheck"]), ["balance.insufficient"], "{p}");
}

#[test]
fn bad_input_on_the_act_page_is_refused_with_its_code_and_changes_nothing() {
    let (_tmp, data) = demo_ledger();
    let node = start(&data, &[]);
    let alpha = cookie(&node, "alpha");
    let h = node.height();
    let transfer = |amount: Value| json!({"ops": [{"transfer": {"asset": "USDX", "to": "carol", "amount": amount}}]});
    let refused = |(s, v): (u16, Value), status: u16, code: &str| {
        assert_eq!((s, v["code"].as_str()), (status, Some(code)), "{v}");
        assert!(!v["detail"].as_str().unwrap().is_empty());
    };

    // An operation the console does not offer, or a made-up one.
    refused(
        prepare(&node, &alpha, &json!({"ops": [{"mint": {"asset": "USDX", "to": "alpha-fund", "amount": "1"}}]})),
        400,
        "api.bad_request",
    );
    refused(prepare(&node, &alpha, &json!({"ops": [{"steal": {}}]})), 400, "api.bad_request");
    refused(prepare(&node, &alpha, &json!({"ops": []})), 400, "api.bad_request");
    refused(
        prepare(&node, &alpha, &json!({"ops": [{"transfer": {}}], "signer": wallet("carol")})),
        400,
        "api.bad_request",
    );
    // Amounts: negative, more decimals than the asset has, not a number.
    refused(prepare(&node, &alpha, &transfer(json!("-5"))), 400, "input.bad_amount");
    refused(prepare(&node, &alpha, &transfer(json!("1.0000001"))), 400, "input.too_many_decimals");
    refused(prepare(&node, &alpha, &transfer(json!("lots"))), 400, "input.bad_amount");
    // A party that does not exist.
    refused(
        prepare(&node, &alpha, &json!({"ops": [{"transfer": {"asset": "USDX", "to": "mallory", "amount": "1"}}]})),
        400,
        "input.unknown_name",
    );
    // Another party's wallet as `from`.
    refused(
        prepare(
            &node,
            &alpha,
            &json!({"from": wallet("carol"), "ops": [{"transfer": {"asset": "USDX", "to": "carol", "amount": "1"}}]}),
        ),
        403,
        "api.forbidden",
    );
    // Cross-site: a form post (not JSON), with the session.
    refused(
        prepare_as(&node, Some(&alpha), "application/x-www-form-urlencoded", &transfer(json!("1"))),
        415,
        "api.unsupported_media_type",
    );
    refused(prepare_as(&node, Some(&alpha), "text/plain", &transfer(json!("1"))), 415, "api.unsupported_media_type");
    // Without a session, or with a forged one.
    refused(prepare_as(&node, None, "application/json", &transfer(json!("1"))), 401, "api.unauthenticated");
    refused(
        prepare_as(&node, Some("tessera_console=forged.token"), "application/json", &transfer(json!("1"))),
        401,
        "api.unauthenticated",
    );
    let (s, page) = console_get(&node, None, "/console/act");
    assert_eq!(s, 401);
    let page = page.as_str().unwrap();
    assert!(page.contains("api.unauthenticated") && page.contains("id=\"act-signin\""), "{page}");

    // A signature that is not the signer's: the node answers tx.bad_signature.
    let (s, p) = prepare(&node, &alpha, &transfer(json!("1")));
    assert_eq!(s, 200, "{p}");
    let wrong =
        hex::encode(Keypair::insecure_from_name("carol").sign(&hex::decode(p["id"].as_str().unwrap()).unwrap()));
    refused(
        node.post("/v1/transactions", &json!({"body_hex": p["body_hex"], "signature": wrong}), None),
        400,
        "tx.bad_signature",
    );

    assert_eq!(node.height(), h, "nothing reached the journal");
}
