//! What a transfer agent reads: history that says what moved, parties, the shareholder register
//! at any height, investor statements, and every list as CSV — for people, as JSON and as CSV,
//! on scenario ledgers.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tessera(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .env_remove("TESSERA_NODE")
        .env_remove("TESSERA_AUTH_KEY")
        .args(args)
        .output()
        .expect("run tessera");
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

/// A ledger made by running a scenario file.
fn ledger(scenario: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("ledger");
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios").join(format!("{scenario}.yaml"));
    let (ok, _, err) = tessera(&["scenario", "run", file.to_str().unwrap(), "--data", data.to_str().unwrap()]);
    assert!(ok, "{scenario}: {err}");
    (tmp, data)
}

/// `query ARGS` on the data directory, for people, as JSON and as CSV.
fn query(data: &Path, args: &[&str]) -> (String, Value, String) {
    let run = |format: Option<&str>| {
        let mut all: Vec<&str> = format.into_iter().collect();
        all.push("query");
        all.extend(args);
        all.extend(["--data", data.to_str().unwrap()]);
        let (ok, out, err) = tessera(&all);
        assert!(ok, "query {args:?} {format:?}: {err}");
        out
    };
    let json = serde_json::from_str(&run(Some("--json"))).expect("JSON");
    (run(None), json, run(Some("--csv")))
}

fn header(csv: &str) -> Vec<String> {
    csv.lines().next().unwrap_or_default().split(',').map(str::to_string).collect()
}

#[test]
fn history_names_the_operation_the_amount_in_the_assets_units_the_counterparty_and_the_refusal() {
    let (_t, data) = ledger("rule_kyc");
    let (human, json, csv) = query(&data, &["history", "--wallet", "@alpha"]);
    assert!(
        human.contains("block     2  transfer: out 100.00 FUND to bob (wallet 37990b09)  — ok"),
        "a transfer out, in FUND's two decimals, to bob by name:\n{human}"
    );
    assert!(
        human.contains("transfer: out 10.00 FUND to bob (wallet 37990b09)  — refused compliance.kyc_expired: party alpha: KYC expired"),
        "a refused transfer says what it asked to move and why it was refused:\n{human}"
    );
    assert!(!human.contains("events"), "no event counts:\n{human}");
    let first_transfer = &json[1];
    assert_eq!(first_transfer["operation"], "transfer");
    assert_eq!(first_transfer["result"], "ok");
    let m = &first_transfer["moves"][0];
    assert_eq!((m["amount"].as_str(), m["amount_units"].as_u64()), (Some("100.00"), Some(10_000)));
    assert_eq!((m["direction"].as_str(), m["counterparty"]["party"].as_str()), (Some("out"), Some("bob")));
    let refused = json.as_array().unwrap().iter().find(|h| h["result"] == "refused").expect("a refusal");
    assert_eq!(refused["code"], "compliance.kyc_missing");
    let cols = header(&csv);
    for c in [
        "time",
        "operation",
        "asset",
        "amount",
        "amount_units",
        "direction",
        "counterparty.party",
        "reference",
        "result",
    ] {
        assert!(cols.contains(&c.to_string()), "CSV column {c} in {cols:?}");
    }
    // One row per move: the first transaction minted once, then one move a transaction.
    assert_eq!(csv.lines().count(), 1 + json.as_array().unwrap().len(), "{csv}");
}

#[test]
fn the_register_at_a_height_shows_each_holders_kyc_as_it_stood_then() {
    let (_t, data) = ledger("rule_kyc");
    // Block 2: alpha's KYC runs to 1 February; block 5 is after it; block 9 revoked bob's.
    let (human, json, csv) = query(&data, &["register", "FUND", "--height", "2"]);
    assert!(
        human.starts_with("register of FUND — Treasury fund share at block 2 (2026-01-05T14:00:00Z): 2 holders"),
        "{human}"
    );
    assert!(
        human
            .contains("alpha                             900.00 FUND   90.0000%  KYC valid until 2026-02-01T00:00:00Z"),
        "{human}"
    );
    assert_eq!(json["holders"][0]["kyc"], "valid");
    assert_eq!(json["holders"][0]["balance"], "900.00");
    assert_eq!(json["holders"][0]["balance_units"], 90_000);
    let (human, json, _) = query(&data, &["register", "--asset", "FUND", "--height", "5"]);
    assert!(human.contains("KYC expired on 2026-02-01T00:00:00Z"), "{human}");
    assert_eq!(
        (json["holders"][0]["party"].as_str(), json["holders"][0]["kyc"].as_str()),
        (Some("alpha"), Some("expired"))
    );
    let (_, json, _) = query(&data, &["register", "--asset", "FUND", "--height", "9"]);
    assert_eq!(
        (json["holders"][1]["party"].as_str(), json["holders"][1]["kyc"].as_str()),
        (Some("bob"), Some("revoked"))
    );
    // CSV: one row per holder, the register's own fields repeated on each.
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let cols = header(&csv);
    for c in ["asset", "height", "party", "balance", "balance_units", "share_pct", "kyc", "kyc_expires_at"] {
        assert!(cols.contains(&c.to_string()), "CSV column {c} in {cols:?}");
    }
}

#[test]
fn a_party_is_found_by_id_or_name_with_its_claims_issuers_expiries_wallets_and_roles() {
    let (_t, data) = ledger("rule_kyc");
    let (human, json, csv) = query(&data, &["party", "Alpha Fund LP"]);
    assert!(human.starts_with("party alpha — Alpha Fund LP (fund), KYC valid until 2027-03-01T00:00:00Z"), "{human}");
    assert!(human.contains("  claim valid     KYC — issued 2026-02-04T14:00:00Z by operator (wallet"), "{human}");
    assert!(human.contains(", expires 2027-03-01T00:00:00Z"), "{human}");
    assert_eq!(json["id"], "alpha");
    assert_eq!(json["claims"][0]["issuer"]["party"], "operator");
    assert_eq!(json["claims"][0]["expires_at"], "2027-03-01T00:00:00Z");
    assert_eq!(csv.lines().count(), 2, "one party, one row (claims as JSON in a cell): {csv}");
    let (_, by_id, _) = query(&data, &["party", "alpha"]);
    assert_eq!(by_id, json, "the same party by id and by name");
    let (human, json, _) = query(&data, &["party", "operator"]);
    assert!(human.contains("roles: admin"), "{human}");
    assert!(json["roles"].as_array().is_some_and(|r| !r.is_empty()));
    let (ok, _, err) = tessera(&["query", "party", "Nobody Ltd", "--data", data.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("error[party.unknown]: no party with the id or name \"Nobody Ltd\""), "{err}");
}

#[test]
fn parties_list_one_line_and_one_csv_row_each() {
    let (_t, data) = ledger("rule_kyc");
    let (human, json, csv) = query(&data, &["parties"]);
    let n = json.as_array().unwrap().len();
    assert_eq!(human.lines().count(), n, "{human}");
    assert_eq!(csv.lines().count(), n + 1, "{csv}");
    assert!(human.lines().any(|l| l.starts_with("carol ") && l.contains("KYC missing")), "{human}");
    assert!(header(&csv).contains(&"kyc".to_string()));
}

#[test]
fn a_statement_adds_up_opening_balance_plus_each_movement_to_the_closing_balance() {
    let (_t, data) = ledger("rule_kyc");
    let (human, json, csv) =
        query(&data, &["statement", "--party", "alpha", "--from", "2026-01-01", "--to", "2026-12-31"]);
    assert!(human.contains("opening balance"), "{human}");
    let fund = &json["assets"][0];
    assert_eq!(
        (fund["asset"].as_str(), fund["opening"].as_str(), fund["closing"].as_str()),
        (Some("FUND"), Some("0.00"), Some("890.00"))
    );
    assert!(human.contains("transfer: out 100.00 FUND to bob (wallet 37990b09)  → balance 900.00 FUND"), "{human}");
    // Refused transactions moved nothing: they are not on a statement.
    assert!(!human.contains("refused"), "{human}");
    assert_eq!(csv.lines().count(), 1 + fund["movements"].as_array().unwrap().len(), "{csv}");
    // A range before anything happened: no holdings and no movements.
    let (human, json, _) =
        query(&data, &["statement", "--wallet", "@alpha", "--from", "2025-01-01", "--to", "2025-12-31"]);
    assert!(human.contains("no holdings and no movements"), "{human}");
    assert_eq!(json["closing_height"], 0);
}

#[test]
fn a_fund_investors_statement_itemizes_subscriptions_redemptions_and_yield_paid_and_adds_up() {
    let (_t, data) = ledger("fund_buidl_90_days");
    let (_, json, _) = query(&data, &["statement", "--party", "alpha", "--from", "2026-01-01", "--to", "2026-04-30"]);
    for a in json["assets"].as_array().unwrap() {
        let units = |v: &Value| v.as_u64().map(u128::from).unwrap_or_else(|| v.as_str().unwrap().parse().unwrap());
        let mut balance = units(&a["opening_units"]);
        for l in a["movements"].as_array().unwrap() {
            assert_ne!(l["kind"], "not_itemized", "every movement itemized: {l}");
            balance = if l["direction"] == "in" {
                balance + units(&l["amount_units"])
            } else {
                balance - units(&l["amount_units"])
            };
            assert_eq!(balance, units(&l["balance_units"]), "{l}");
        }
        assert_eq!(balance, units(&a["closing_units"]), "{}: opening + movements = closing", a["asset"]);
    }
    let kinds: Vec<&str> = json["assets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["movements"].as_array().unwrap())
        .filter_map(|l| l["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"yield_payment"), "{kinds:?}");
}

#[test]
fn csv_works_for_lists_and_reports_alike_with_the_json_field_names_as_columns() {
    let (_t, data) = ledger("fund_buidl_90_days");
    let d = data.to_str().unwrap();
    for args in [
        vec!["query", "balances", "--party", "alpha"],
        vec!["query", "holders", "--asset", "TLF"],
        vec!["query", "alerts"],
        vec!["query", "proposals"],
        vec!["query", "instructions"],
        vec!["query", "funds"],
        vec!["query", "feeds"],
        vec!["report", "fund", "ATLAS"],
    ] {
        let mut csv_args = vec!["--csv"];
        csv_args.extend(&args);
        csv_args.extend(["--data", d]);
        let (ok, csv, err) = tessera(&csv_args);
        assert!(ok, "{args:?}: {err}");
        let mut json_args = vec!["--json"];
        json_args.extend(&args);
        json_args.extend(["--data", d]);
        let (_, json, _) = tessera(&json_args);
        let json: Value = serde_json::from_str(&json).unwrap();
        let first = match &json {
            Value::Array(a) => a.first().cloned(),
            other => Some(other.clone()),
        };
        if let Some(Value::Object(fields)) = first {
            // Every column is a JSON field (a dotted path into it, or one of its rows' fields).
            let cols = header(&csv);
            let any = |c: &str| fields.keys().any(|k| c == k || c.starts_with(&format!("{k}.")));
            assert!(cols.iter().any(|c| any(c)), "{args:?}: {cols:?} against {:?}", fields.keys());
        }
    }
    let (ok, _, err) = tessera(&["--csv", "--json", "query", "parties", "--data", d]);
    assert!(!ok && err.contains("--json"), "one format at a time: {err}");
}
