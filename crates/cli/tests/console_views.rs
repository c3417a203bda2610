//! The console's fund, settlement, collateral, compliance and governance views over real HTTP:
//! a node on a scenario ledger, a console session opened by a demo key's signature. Each view
//! shows a party the figures the `/v1` API gives it (in the asset's decimals), not another
//! party's rows, refuses an anonymous visitor where the API does, and each CSV export is
//! byte for byte the CLI's CSV of the matching `/v1` answer.

use serde_json::{json, Value};
use tessera_cli::table::to_csv;
use tessera_core::crypto::Keypair;
use tessera_core::format_units;

mod common;
use common::*;

/// Opens a console session for demo key `name` (its signature of the node's challenge): the
/// cookie to send.
fn session(node: &Node, name: &str) -> String {
    let k = Keypair::insecure_from_name(name);
    let (s, c) = node.post("/v1/auth/challenge", &json!({"wallet": k.wallet()}), None);
    assert_eq!(s, 200, "{c}");
    let challenge = c["challenge"].as_str().unwrap();
    let sig = hex::encode(k.sign(challenge.as_bytes()));
    let res = agent()
        .post(&format!("{}/console/session", node.base))
        .set("Content-Type", "application/json")
        .send_string(&json!({"wallet": k.wallet(), "challenge": challenge, "signature": sig}).to_string())
        .expect("a console session opens");
    let cookie = res.header("set-cookie").expect("a session cookie").split(';').next().unwrap().to_string();
    assert!(cookie.starts_with("tessera_console="), "{cookie}");
    cookie
}

/// GET a console URL, signed in with `cookie` or anonymous: (status, body).
fn console(node: &Node, path: &str, cookie: Option<&str>) -> (u16, String) {
    let mut r = agent().get(&format!("{}{path}", node.base));
    if let Some(c) = cookie {
        r = r.set("Cookie", c);
    }
    let res = match r.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport: {e}"),
    };
    (res.status(), res.into_string().unwrap())
}

/// A `/v1` answer for `token`, which must succeed.
fn api(node: &Node, path: &str, token: &str) -> Value {
    let (s, v) = node.get(path, Some(token));
    assert_eq!(s, 200, "{path}: {v}");
    v
}

/// The console's CSV export is the CLI's CSV of the `/v1` answer, byte for byte.
fn assert_csv_is_the_api_answer(node: &Node, csv_path: &str, cookie: &str, answer: &Value) {
    let (s, body) = console(node, csv_path, Some(cookie));
    assert_eq!(s, 200, "{csv_path}: {body}");
    assert_eq!(body, to_csv(answer), "{csv_path}");
}

/// An anonymous visitor gets the refusal box with the API's code and status.
fn assert_anonymous_refused(node: &Node, path: &str) {
    let (s, body) = console(node, path, None);
    assert_eq!(s, 401, "{path}: {body}");
    assert!(body.contains("class=\"refusal\"") && body.contains("api.unauthenticated"), "{path}: {body}");
}

#[test]
fn collateral_shows_a_member_its_own_coverage_calls_and_pledges_in_the_cash_decimals_and_no_other_members() {
    let (_tmp, data) = scenario_ledger("demo_collateral");
    let node = start(&data, &[]);
    let (alpha, alpha_token) = (session(&node, "alpha"), node.token("alpha"));
    let report = api(&node, "/v1/clearing/cme/margin", &alpha_token);
    let members: Vec<&str> =
        report["members"].as_array().unwrap().iter().map(|m| m["member"].as_str().unwrap()).collect();
    assert_eq!(members, ["alpha"], "the API gives alpha its own account only");
    let decimals = report["decimals"].as_u64().unwrap() as u8;
    let requirement = report["members"][0]["requirement_units"].as_u64().unwrap();
    let coverage = report["members"][0]["counted_units"].as_u64().unwrap();

    let (s, page) = console(&node, "/console/collateral", Some(&alpha));
    assert_eq!(s, 200, "{page}");
    assert!(page.contains(r#"id="margin-cme""#), "{page}");
    assert!(page.contains(r#"data-member="alpha""#));
    assert!(!page.contains(r#"data-member="bravo""#) && !page.contains(r#"data-member="charlie""#), "{page}");
    for units in [requirement, coverage] {
        let shown = format_units(u128::from(units), decimals);
        assert!(page.contains(&format!(r#"data-units="{units}">{shown}<"#)), "{shown} missing: {page}");
    }
    let calls = api(&node, "/v1/calls", &alpha_token);
    assert!(!calls.as_array().unwrap().is_empty());
    for c in calls.as_array().unwrap() {
        assert_eq!(c["member"], "alpha");
        assert!(page.contains(&format!(r#"data-call="{}""#, c["id"])), "call {} missing", c["id"]);
    }
    // Bravo's calls are not alpha's to see.
    let bravo_calls = api(&node, "/v1/calls", &node.token("bravo"));
    for c in bravo_calls.as_array().unwrap() {
        assert!(!page.contains(&format!(r#"data-call="{}""#, c["id"])), "bravo's call {} shown to alpha", c["id"]);
    }

    assert_csv_is_the_api_answer(&node, "/console/collateral/cme/margin.csv", &alpha, &report);
    assert_csv_is_the_api_answer(&node, "/console/collateral/calls.csv", &alpha, &calls);
    assert_csv_is_the_api_answer(
        &node,
        "/console/collateral/pledges.csv",
        &alpha,
        &api(&node, "/v1/pledges", &alpha_token),
    );
    let (bank, bank_token) = (session(&node, "bank"), node.token("bank"));
    let loans = api(&node, "/v1/loans", &bank_token);
    assert!(!loans.as_array().unwrap().is_empty(), "the bank lent");
    assert_csv_is_the_api_answer(&node, "/console/collateral/loans.csv", &bank, &loans);
    let (_, bank_page) = console(&node, "/console/collateral", Some(&bank));
    assert!(bank_page.contains(&format!(r#"data-loan="{}""#, loans[0]["id"])));
    let alpha_loans = api(&node, "/v1/loans", &alpha_token);
    for l in loans.as_array().unwrap().iter().filter(|l| !alpha_loans.as_array().unwrap().contains(l)) {
        assert!(!page.contains(&format!(r#"data-loan="{}""#, l["id"])), "the bank's loan {} is not alpha's", l["id"]);
    }

    // The clearing house sees every member; anonymous visitors are refused as the API refuses.
    let (_, cme_page) = console(&node, "/console/collateral", Some(&session(&node, "cme")));
    assert!(["alpha", "bravo", "charlie"].iter().all(|m| cme_page.contains(&format!(r#"data-member="{m}""#))));
    assert_anonymous_refused(&node, "/console/collateral");
    assert_eq!(node.get("/v1/calls", None).0, 401);
    let (s, body) = console(&node, "/console/collateral/calls.csv", None);
    assert_eq!(s, 401, "{body}");
}

#[test]
fn the_fund_page_charts_nav_and_yield_lists_payouts_and_liquidity_and_exports_what_the_api_answers() {
    let (_tmp, data) = scenario_ledger("demo_collateral");
    let node = start(&data, &[]);
    let funds = node.get("/v1/funds", None).1;
    let fund = funds[0]["spec"]["fund"].as_str().unwrap().to_string();
    // One fund: the index goes straight to it.
    let res =
        ureq::AgentBuilder::new().redirects(0).build().get(&format!("{}/console/fund", node.base)).call().unwrap();
    assert_eq!((res.status(), res.header("location")), (303, Some(format!("/console/fund/{fund}").as_str())));

    let (s, page) = console(&node, &format!("/console/fund/{fund}"), None);
    assert_eq!(s, 200, "a fund's published figures are for anyone: {page}");
    let view = node.get(&format!("/v1/funds/{fund}"), None).1;
    let last = &view["latest_valuation"];
    let nav_per_share = last["classes"][0]["nav_per_share"].as_u64().unwrap();
    let shown = format!("{}.{:05}", nav_per_share / 100_000_000, nav_per_share % 100_000_000 / 1000);
    assert!(page.contains(&shown), "NAV per share {shown}: {page}");
    assert!(page.contains("<svg") && page.contains(r#"id="fund-chart""#), "the chart is drawn on the server");
    let report = node.get(&format!("/v1/funds/{fund}/report"), None).1;
    assert!(!report["payouts"].as_array().unwrap().is_empty(), "the month-end payout");
    assert!(page.contains(r#"<table id="payouts""#) && page.contains(r#"<table id="liquidity""#));
    assert!(page.contains(r#"data-measure="WLA""#));
    let token = node.token("operator");
    let cookie = session(&node, "operator");
    assert_csv_is_the_api_answer(&node, &format!("/console/fund/{fund}/payouts.csv"), &cookie, &report["payouts"]);
    assert_csv_is_the_api_answer(&node, &format!("/console/fund/{fund}/valuations.csv"), &cookie, &report["days"]);
    let mine: Vec<Value> = api(&node, "/v1/redemptions", &token)
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["fund"] == fund)
        .cloned()
        .collect();
    assert_csv_is_the_api_answer(&node, &format!("/console/fund/{fund}/redemptions.csv"), &cookie, &json!(mine));
    // Redemptions follow who asks: anonymous visitors are asked to sign in, the CSV refused.
    assert!(page.contains("to see your redemptions"));
    assert_eq!(console(&node, &format!("/console/fund/{fund}/redemptions.csv"), None).0, 401);
    // An unknown fund is the API's refusal.
    let (s, body) = console(&node, "/console/fund/NOPE", None);
    assert!(s == 404 && body.contains("fund.unknown"), "{s} {body}");
}

#[test]
fn a_fund_reconciled_against_a_pasted_statement_shows_its_breaks_and_reserve_ratio() {
    let (_tmp, data) = scenario_ledger("fund_liquidity_limits");
    let node = start(&data, &[]);
    // A statement that holds none of the fund's bills: one break, as `tessera reconcile` finds.
    let res = agent()
        .post(&format!("{}/console/fund/LIQ/reconcile", node.base))
        .send_form(&[("statement", "instrument,quantity,price\nCASH:USD,10000000,1\n")])
        .unwrap();
    let page = res.into_string().unwrap();
    assert!(page.contains(r#"id="reserve-ratio""#), "{page}");
    let (ok, out, err) = cli(&[
        "reconcile".into(),
        "--data".into(),
        data.display().to_string(),
        "LIQ".into(),
        "--statement".into(),
        write_statement(&data, "instrument,quantity,price\nCASH:USD,10000000,1\n"),
        "--json".into(),
    ]);
    let _ = (ok, err);
    let rec: Value = serde_json::from_str(&out).unwrap();
    assert!(page.contains(&format!(r#"id="reserve-ratio">{}<"#, rec["reserve_ratio"].as_str().unwrap())), "{page}");
    for b in rec["breaks"].as_array().unwrap() {
        assert!(page.contains(&format!(r#"data-instrument="{}""#, b["instrument"].as_str().unwrap())), "{page}");
    }
    let res = agent()
        .post(&format!("{}/console/fund/LIQ/reconcile.csv", node.base))
        .send_form(&[("statement", "instrument,quantity,price\nCASH:USD,10000000,1\n")])
        .unwrap();
    assert_eq!(res.into_string().unwrap(), to_csv(&rec["breaks"]));
    // The liquidity table: the latest valuation's measures against the fund's limits (the
    // 30-day maturity limits of the scenario).
    let (_, page) = console(&node, "/console/fund/LIQ", None);
    let metrics = &node.get("/v1/funds/LIQ", None).1["latest_valuation"]["metrics"];
    let wam = format!(r#"<td class="num">{} days</td><td class="num">at most 30 days</td>"#, metrics["wam_days"]);
    assert!(page.contains(&wam), "{wam}: {page}");
    // A statement that is not one is refused with its code, on the page.
    let res = agent()
        .post(&format!("{}/console/fund/LIQ/reconcile", node.base))
        .send_form(&[("statement", "instrument,quantity,price\n912797PA9,abc,99\n")])
        .unwrap();
    assert!(res.into_string().unwrap().contains("fund.bad_statement"));
}

fn write_statement(data: &std::path::Path, text: &str) -> String {
    let path = data.parent().unwrap().join("statement.csv");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn cli(args: &[String]) -> (bool, String, String) {
    let out = tessera().args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn settlement_lists_a_partys_own_instructions_with_their_legs_and_affirmations_only() {
    let (_tmp, data) = scenario_ledger("treasury_coupons");
    let node = start(&data, &[]);
    let (alpha, alpha_token) = (session(&node, "alpha"), node.token("alpha"));
    let mine = api(&node, "/v1/instructions", &alpha_token);
    assert!(!mine.as_array().unwrap().is_empty(), "alpha sells a note against cash");
    let (s, page) = console(&node, "/console/settlement", Some(&alpha));
    assert_eq!(s, 200, "{page}");
    let assets = node.get("/v1/assets", None).1;
    for i in mine.as_array().unwrap() {
        assert!(page.contains(&format!(r#"data-instruction="{}""#, i["id"])));
        for leg in i["legs"].as_array().unwrap() {
            let decimals = assets.as_array().unwrap().iter().find(|a| a["symbol"] == leg["asset"]).unwrap()["decimals"]
                .as_u64()
                .unwrap() as u8;
            let shown = format_units(u128::from(leg["amount_units"].as_u64().unwrap()), decimals);
            assert_eq!(
                leg["amount"].as_str().unwrap(),
                shown.replace(',', ""),
                "the leg's amount in the asset's units"
            );
            let want = format!(">{shown} <span class=\"sym\">{}</span>", leg["asset"].as_str().unwrap());
            assert!(page.contains(&want), "{want}: {page}");
        }
    }
    assert_csv_is_the_api_answer(&node, "/console/settlement/instructions.csv", &alpha, &mine);
    // Bravo takes part in none of them: none is shown, the CSV is the API's empty answer.
    let bravo = session(&node, "bravo");
    let theirs = api(&node, "/v1/instructions", &node.token("bravo"));
    assert_eq!(theirs, json!([]));
    let (_, page) = console(&node, "/console/settlement", Some(&bravo));
    assert!(!page.contains("data-instruction=") && page.contains("No settlement instructions concern you."));
    assert_csv_is_the_api_answer(&node, "/console/settlement/instructions.csv", &bravo, &theirs);
    assert_anonymous_refused(&node, "/console/settlement");
    assert_eq!(node.get("/v1/instructions", None).0, 401);
}

#[test]
fn hash_time_locks_show_to_their_sender_and_receiver_with_a_countdown_while_locked() {
    let (_tmp, data) = scenario_ledger("htlc");
    let node = start(&data, &[]);
    let (_, alice_page) = console(&node, "/console/settlement", Some(&session(&node, "alice")));
    assert!(alice_page.contains(r#"<table id="htlcs""#), "{alice_page}");
    let (_, op_page) = console(&node, "/console/settlement", Some(&session(&node, "operator")));
    let rows = |p: &str| p.matches("data-htlc=").count();
    assert!(rows(&alice_page) >= 1 && rows(&op_page) >= rows(&alice_page));
    let (_, repo_tmp) = (0, scenario_ledger("repo"));
    let node = start(&repo_tmp.1, &[]);
    let (_, dealer_page) = console(&node, "/console/settlement", Some(&session(&node, "dealer")));
    assert!(dealer_page.contains(r#"<table id="repos""#) && dealer_page.contains("data-repo="), "{dealer_page}");
    let (s, csv) = console(&node, "/console/settlement/repos.csv", Some(&session(&node, "dealer")));
    assert_eq!(s, 200);
    assert_eq!(csv.lines().count() - 1, dealer_page.matches("data-repo=").count(), "one CSV row per repo shown");
}

#[test]
fn governance_shows_operators_each_proposal_with_approvals_against_threshold_and_refuses_a_plain_party() {
    let (_tmp, data) = scenario_ledger("governance_double_vote_and_ineligible");
    let node = start(&data, &[]);
    let (admin, admin_token) = (session(&node, "admin-1"), node.token("admin-1"));
    let proposals = api(&node, "/v1/proposals", &admin_token);
    assert!(!proposals.as_array().unwrap().is_empty());
    let (s, page) = console(&node, "/console/governance", Some(&admin));
    assert_eq!(s, 200, "{page}");
    for p in proposals.as_array().unwrap() {
        assert!(page.contains(&format!(r#"data-proposal="{}""#, p["id"])));
        let approvals = format!("{} of {}", p["approvals"].as_array().unwrap().len(), p["threshold"]);
        assert!(page.contains(&approvals), "{approvals}: {page}");
    }
    assert_csv_is_the_api_answer(&node, "/console/governance/proposals.csv", &admin, &proposals);
    // A party with no governance role: the API's refusal, on the page and for the CSV.
    let alpha = session(&node, "alpha");
    assert_eq!(node.get("/v1/proposals", Some(&node.token("alpha"))).0, 403);
    let (s, body) = console(&node, "/console/governance", Some(&alpha));
    assert!(s == 403 && body.contains("api.forbidden") && !body.contains("data-proposal="), "{s} {body}");
    assert_eq!(console(&node, "/console/governance/proposals.csv", Some(&alpha)).0, 403);
    assert_anonymous_refused(&node, "/console/governance");
}

#[test]
fn compliance_counts_every_refusal_for_an_officer_a_partys_own_for_the_party_and_alerts_only_for_officers() {
    let (_tmp, data) = scenario_ledger("monitor_structuring");
    let node = start(&data, &[]);
    let (op, op_token) = (session(&node, "operator"), node.token("operator"));
    let alerts = api(&node, "/v1/alerts", &op_token);
    assert!(!alerts.as_array().unwrap().is_empty(), "structuring raises alerts");
    let (s, page) = console(&node, "/console/compliance", Some(&op));
    assert_eq!(s, 200, "{page}");
    for a in alerts.as_array().unwrap() {
        assert!(page.contains(&format!(r#"data-alert="{}""#, a["id"])));
    }
    assert_csv_is_the_api_answer(&node, "/console/compliance/alerts.csv", &op, &alerts);
    // Alpha is no compliance officer: the alerts section is the API's refusal.
    let alpha = session(&node, "alpha");
    assert_eq!(node.get("/v1/alerts", Some(&node.token("alpha"))).0, 403);
    let (s, alpha_page) = console(&node, "/console/compliance", Some(&alpha));
    assert_eq!(s, 200);
    assert!(alpha_page.contains("api.forbidden") && !alpha_page.contains("data-alert="), "{alpha_page}");
    assert_eq!(console(&node, "/console/compliance/alerts.csv", Some(&alpha)).0, 403);
    assert_anonymous_refused(&node, "/console/compliance");
}

#[test]
fn refusals_by_rule_count_the_failed_receipts_the_blocks_api_shows_the_viewer() {
    let (_tmp, data) = scenario_ledger("settlement_failures");
    let node = start(&data, &[]);
    for who in ["operator", "bolt"] {
        let (cookie, token) = (session(&node, who), node.token(who));
        // Count the failed receipts of every block as `/v1/blocks/{h}` shows them to `who`.
        let mut expected = std::collections::BTreeMap::<(String, String), u64>::new();
        for h in 1..=node.height() {
            let b = api(&node, &format!("/v1/blocks/{h}"), &token);
            let day = b["header"]["time"].as_str().unwrap()[..10].to_string();
            for r in b["receipts"].as_array().unwrap() {
                if r["receipt"]["outcome"]["status"] == "failed" {
                    let code = r["receipt"]["outcome"]["code"].as_str().unwrap().to_string();
                    *expected.entry((day.clone(), code)).or_default() += 1;
                }
            }
        }
        assert!(!expected.is_empty(), "{who} has refusals");
        let rows: Vec<Value> =
            expected.iter().map(|((day, code), n)| json!({"day": day, "code": code, "count": n})).collect();
        assert_csv_is_the_api_answer(&node, "/console/compliance/refusals.csv", &cookie, &json!(rows));
        let (_, page) = console(&node, "/console/compliance", Some(&cookie));
        for ((day, code), n) in &expected {
            assert!(page.contains(&format!(r#"data-day="{day}""#)));
            assert!(page.contains(&format!(r#"<code>{code}</code>"#)), "{code}");
            let _ = n;
        }
    }
}

#[test]
fn the_sanctions_lists_in_force_are_named_by_source_with_their_entries_counted() {
    let (_tmp, data) = scenario_ledger("emergency_forced_transfer");
    let node = start(&data, &[]);
    let (s, page) = console(&node, "/console/compliance", Some(&session(&node, "operator")));
    assert_eq!(s, 200, "{page}");
    assert!(page.contains(r#"data-source="OFAC SDN update 2026-01-06""#), "{page}");
}
