//! The `tessera` binary: exit codes, stable error codes on stderr and in `--json`, keys.

use std::process::{Command, Output};

fn tessera(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tessera")).args(args).output().expect("run tessera")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_missing_ledger_is_store_state() {
    let o = tessera(&["query", "assets", "--data", "/nonexistent/tessera"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[store.state]"), "{}", stderr(&o));
}

#[test]
fn json_errors_carry_the_code() {
    let o = tessera(&["--json", "query", "assets", "--data", "/nonexistent/tessera"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["error"]["code"], "store.state");
}

#[test]
fn keys_init_submit_query_precheck() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("op.key");
    let data = tmp.path().join("ledger");
    let (key_s, data_s) = (key.to_str().unwrap(), data.to_str().unwrap());
    assert!(tessera(&["keys", "new", "--out", key_s]).status.success());
    // Never overwrites a key.
    let again = tessera(&["keys", "new", "--out", key_s]);
    assert!(stderr(&again).contains("input.invalid"));
    let shown = tessera(&["keys", "show", key_s]);
    let wallet = String::from_utf8_lossy(&shown.stdout).trim().to_string();
    assert_eq!(wallet.len(), 64);
    assert!(tessera(&["init", "--data", data_s, "--key", key_s, "--thresholds", "1,1,1"]).status.success());
    // A second init in the same place is refused.
    assert!(stderr(&tessera(&["init", "--data", data_s, "--key", key_s])).contains("store.state"));

    let ops = tmp.path().join("ops.yaml");
    std::fs::write(
        &ops,
        "- register_party: { party: alpha, name: Alpha, kind: fund }\n\
         - add_wallet: { party: alpha, wallet: \"@alpha\" }\n\
         - create_asset: { symbol: USDX, name: USDX, kind: { cash_token: { cash: stablecoin, currency: USD } }, decimals: 2, issuer: operator, policy: { rules: [kyc] } }\n",
    )
    .unwrap();
    let o = tessera(&["submit", "--data", data_s, "--key", key_s, "--ops", ops.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // A mint to a party without KYC is journaled as failed: exit 1 with the rule's code.
    std::fs::write(&ops, "- mint: { asset: USDX, to: \"@alpha\", amount: 100 }\n").unwrap();
    let o = tessera(&["submit", "--data", data_s, "--key", key_s, "--ops", ops.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("compliance.kyc_missing"), "{}", stderr(&o));

    let o = tessera(&["precheck", "--data", data_s, "mint", "--asset", "USDX", "--to", "@alpha", "--amount", "5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("compliance.kyc_missing"));
    let o =
        tessera(&["precheck", "--data", data_s, "mint", "--asset", "USDX", "--to", "not-a-wallet", "--amount", "5"]);
    assert!(stderr(&o).contains("error[input.unknown_name]"), "{}", stderr(&o));

    let o = tessera(&["--json", "query", "assets", "--data", data_s]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["symbol"], "USDX");
    let o = tessera(&["verify", "--data", data_s]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn init_names_the_operator_party_and_submit_and_precheck_read_amounts_in_units_and_wallets_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, bob_key, data) = (tmp.path().join("op.key"), tmp.path().join("bob.key"), tmp.path().join("ledger"));
    let (key_s, data_s) = (key.to_str().unwrap(), data.to_str().unwrap());
    assert!(tessera(&["keys", "new", "--out", key_s]).status.success());
    assert!(tessera(&["keys", "new", "--out", bob_key.to_str().unwrap()]).status.success());
    let bob = String::from_utf8_lossy(&tessera(&["keys", "show", bob_key.to_str().unwrap()]).stdout).trim().to_string();
    let o = tessera(&["init", "--data", data_s, "--key", key_s, "--thresholds", "1,1,1"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("operator party: operator (Ledger operator)"));

    let ops = tmp.path().join("ops.yaml");
    std::fs::write(
        &ops,
        format!(
            "- register_party: {{ party: alpha, name: Alpha, kind: fund }}\n\
             - register_party: {{ party: bob, name: Bob, kind: individual }}\n\
             - add_wallet: {{ party: alpha, wallet: \"@alpha\" }}\n\
             - add_wallet: {{ party: bob, wallet: \"{bob}\" }}\n\
             - create_asset: {{ symbol: USDX, name: USDX, kind: {{ cash_token: {{ cash: stablecoin, currency: USD }} }}, decimals: 2, issuer: operator }}\n\
             - mint: {{ asset: USDX, to: alpha, amount: \"1,500.00\" }}\n"
        ),
    )
    .unwrap();
    let o = tessera(&["submit", "--data", data_s, "--key", key_s, "--ops", ops.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = tessera(&["--json", "query", "balances", "--data", data_s, "--wallet", "@alpha"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("150000"), "{}", String::from_utf8_lossy(&o.stdout));

    // The destination by party id, by hex prefix, by key file; amounts in the asset's units.
    for to in [vec!["--to", "bob"], vec!["--to", &bob[..8]], vec!["--to-key", bob_key.to_str().unwrap()]] {
        let mut args = vec!["precheck", "--data", data_s, "transfer", "--asset", "USDX", "--from", "alpha"];
        args.extend(to);
        args.extend(["--amount", "1,500.00"]);
        let o = tessera(&args);
        assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    }
    let too_much =
        ["precheck", "--data", data_s, "transfer", "--asset", "USDX", "--from", "alpha", "--to", "bob", "--amount"];
    let o = tessera(&[&too_much[..], &["1,500.01"]].concat());
    assert!(String::from_utf8_lossy(&o.stdout).contains("balance.insufficient"));
    let o = tessera(&[&too_much[..], &["1.001"]].concat());
    assert!(stderr(&o).contains("error[input.too_many_decimals]"), "{}", stderr(&o));
    assert!(stderr(&o).contains("at most 2 decimals"), "{}", stderr(&o));
    let o = tessera(&[&too_much[..], &["1,50.00"]].concat());
    assert!(stderr(&o).contains("error[input.bad_amount]"), "{}", stderr(&o));
    let o = tessera(&["precheck", "--data", data_s, "transfer", "--asset", "USDX", "--from", "alpha", "--to", "carol"]);
    assert_eq!(o.status.code(), Some(2), "clap refuses a missing amount");
}

#[test]
fn a_failing_scenario_exits_1_with_scenario_expectation() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.yaml");
    std::fs::write(&f, "name: x\nstart: 2026-01-01\nsteps:\n  - check: { supply: { asset: NONE, amount: 5 } }\n")
        .unwrap();
    let o = tessera(&["scenario", "run", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[scenario.expectation]"), "{}", stderr(&o));
}

#[test]
fn a_data_dir_that_cannot_be_created_is_store_io() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let key = tmp.path().join("k");
    assert!(tessera(&["keys", "new", "--out", key.to_str().unwrap()]).status.success());
    let inside = file.join("ledger");
    let o = tessera(&["init", "--data", inside.to_str().unwrap(), "--key", key.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("error[store.io]"), "{}", stderr(&o));
}

#[test]
fn settlement_views_read_a_scenario_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    for (file, query, count) in [
        ("settlement_failures.yaml", "instructions", 6),
        ("htlc.yaml", "htlcs", 2),
        ("escrow_tender.yaml", "tenders", 3),
        ("repo.yaml", "repos", 2),
    ] {
        let data = tmp.path().join(file);
        let o = tessera(&["scenario", "run", root.join(file).to_str().unwrap(), "--data", data.to_str().unwrap()]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        let o = tessera(&["--json", "query", query, "--data", data.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v.as_array().map(|a| a.len()), Some(count), "{query}");
    }
    // Locks: an affirmed, pending instruction shows up against the sender's wallet.
    let data = tmp.path().join("locks");
    let f = tmp.path().join("locks.yaml");
    std::fs::write(
        &f,
        "name: locks\nstart: 2026-01-01\nsteps:\n  - tx:\n      as: operator\n      ops:\n        - register_party: { party: a, name: A, kind: fund }\n        - register_party: { party: b, name: B, kind: fund }\n        - add_wallet: { party: a, wallet: \"@a\" }\n        - add_wallet: { party: b, wallet: \"@b\" }\n        - create_asset: { symbol: X, name: X, kind: { fund_share: { nav: stable } }, decimals: 0, issuer: operator }\n        - mint: { asset: X, to: \"@a\", amount: 10 }\n  - tx: { as: a, ops: [ { create_instruction: { legs: [ { asset: X, amount: 4, from: \"@a\", to: \"@b\" } ], settle: manual, expires_at: 2026-01-05 } } ] }\n  - tx: { as: a, ops: [ { affirm_instruction: { instruction: 1 } } ] }\n",
    )
    .unwrap();
    assert!(tessera(&["scenario", "run", f.to_str().unwrap(), "--data", data.to_str().unwrap()]).status.success());
    let o = tessera(&["--json", "query", "locks", "--data", data.to_str().unwrap(), "--wallet", "@a"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (&v[0]["amount"], &v[0]["amount_units"]),
        (&serde_json::json!("4"), &serde_json::json!(4)),
        "X has no decimals: {v}"
    );
    assert_eq!(v[0]["for_what"], "instruction 1 leg 0");
}

#[cfg(unix)]
#[test]
fn init_makes_a_private_data_directory_and_a_key_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("op.key");
    let data = tmp.path().join("ledger");
    let (key_s, data_s) = (key.to_str().unwrap(), data.to_str().unwrap());
    assert!(tessera(&["keys", "new", "--out", key_s]).status.success());
    let o = tessera(&["init", "--data", data_s, "--key", key_s, "--thresholds", "1,1,1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "a 0600 key is not warned about: {}", stderr(&o));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for e in std::fs::read_dir(&data).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = tessera(&["keys", "show", key_s]);
    assert!(o.status.success());
    assert!(
        stderr(&o).contains("can be read by others (mode 0644)") && stderr(&o).contains("chmod 600"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn sanctions_import_refuses_an_alias_file_as_wrong_file_and_reads_the_comments_file() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("op.key");
    let data = tmp.path().join("ledger");
    let (key_s, data_s) = (key.to_str().unwrap(), data.to_str().unwrap());
    assert!(tessera(&["keys", "new", "--out", key_s]).status.success());
    assert!(tessera(&["init", "--data", data_s, "--key", key_s, "--thresholds", "1,1,1"]).status.success());
    let sample = |f: &str| format!("{}/../../scenarios/data/{f}", env!("CARGO_MANIFEST_DIR"));
    let import = |args: &[&str]| {
        let mut all = vec!["sanctions", "import", "--data", data_s, "--key", key_s];
        all.extend_from_slice(args);
        tessera(&all)
    };

    let o = import(&["--sdn", &sample("alt_sample.csv")]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[sanctions.wrong_file]: this is OFAC's alt.csv"), "{err}");
    assert!(err.contains("not names") && err.contains("give sdn.csv"), "{err}");

    // Swapped files are named as such.
    let o = import(&["--sdn", &sample("sdn_comments_sample.csv"), "--comments", &sample("sdn_sample.csv")]);
    assert!(stderr(&o).contains("error[sanctions.wrong_file]: this is OFAC's sdn_comments.csv"), "{}", stderr(&o));

    let o = import(&["--sdn", &sample("sdn_sample.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("note: no --comments"), "{}", stderr(&o));
    let o = import(&["--sdn", &sample("sdn_sample.csv"), "--comments", &sample("sdn_comments_sample.csv")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("note:"), "{}", stderr(&o));
}

#[test]
fn query_bill_prices_a_ledger_bill_named_by_cusip_or_isin_as_treasurydirect_publishes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let data = tmp.path().join("ledger");
    let data_s = data.to_str().unwrap();
    let o = tessera(&["scenario", "run", root.join("identifiers_isin.yaml").to_str().unwrap(), "--data", data_s]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bill = |args: &[&str]| {
        let mut all = vec!["--json", "query", "bill", "--data", data_s];
        all.extend_from_slice(args);
        tessera(&all)
    };
    // DOMAIN.md's TreasuryDirect figures for 912796Y60: 28 days, 99.651556 → 4.480%, 4.558%.
    // The ledger's token (created under the ISIN) gives the maturity, 2026-01-30.
    let o = bill(&["--cusip", "US912796Y601", "--price", "99.651556", "--settlement", "2026-01-02"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "cusip": "912796Y60", "isin": "US912796Y601", "asset": "B-912796Y60",
            "settlement": "2026-01-02T00:00:00Z", "maturity": "2026-01-30T00:00:00Z",
            "days_to_maturity": 28, "year_basis_days": 365, "given": "price",
            "price_per_100": "99.651556", "discount_rate_pct": "4.480", "investment_rate_pct": "4.558",
            "money_market_yield_pct": "4.496",
            "rounding": "price per 100 to 6 places, rates to 3 places of a percentage, half up (TreasuryDirect's precision); yields from the rounded price"
        })
    );
    // The inverse: the discount rate gives the price.
    let o = bill(&["--cusip", "912796Y60", "--discount-rate", "4.48", "--settlement", "2026-01-02"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["price_per_100"].as_str(), v["given"].as_str()), (Some("99.651556"), Some("discount_rate")));
    // For people: the figures and the rounding rule.
    let o = tessera(&[
        "query",
        "bill",
        "--data",
        data_s,
        "--cusip",
        "912796Y60",
        "--price",
        "99.651556",
        "--settlement",
        "2026-01-02",
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.starts_with(
            "bill 912796Y60 (US912796Y601, token B-912796Y60)\n  settles 2026-01-02, matures 2026-01-30: 28 days"
        ),
        "{text}"
    );
    assert!(
        text.contains("investment rate      4.558%  (bond-equivalent)")
            && text.contains("rounding: price per 100 to 6 places"),
        "{text}"
    );
    // Refusals, each with its code.
    for (args, code) in [
        (&["--cusip", "91282CJL6", "--price", "99"][..], "bill.not_a_bill"),
        (&["--cusip", "912797NQ6", "--price", "99"][..], "bill.no_maturity"),
        (&["--cusip", "GB0002634946", "--price", "99"][..], "identifier.not_us_isin"),
        (&["--cusip", "US912796Y602", "--price", "99"][..], "identifier.bad_check_digit"),
        (
            &["--cusip", "912796Y60", "--price", "99", "--maturity", "2026-02-01", "--settlement", "2026-01-02"][..],
            "bill.bad_term",
        ),
        (&["--cusip", "912796Y60", "--price", "99", "--settlement", "2026-01-30"][..], "bill.bad_term"),
        (&["--cusip", "912796Y60", "--price", "0", "--settlement", "2026-01-02"][..], "bill.bad_price"),
    ] {
        let o = bill(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["error"]["code"], code, "{args:?}: {v}");
    }
    // A price and a discount rate together, or neither: a usage error.
    assert_eq!(bill(&["--cusip", "912796Y60", "--price", "99", "--discount-rate", "4"]).status.code(), Some(2));
    assert_eq!(bill(&["--cusip", "912796Y60"]).status.code(), Some(2));
}

/// Every file under `dir` with its bytes, by path.
fn files(dir: &std::path::Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn every_read_command_leaves_the_data_directory_byte_for_byte_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let data = tmp.path().join("ledger");
    let d = data.to_str().unwrap();
    let o = tessera(&["scenario", "run", root.join("fund_accumulating_price.yaml").to_str().unwrap(), "--data", d]);
    assert!(o.status.success(), "{}", stderr(&o));
    let before = files(&data);
    assert!(!before.is_empty());
    let o = tessera(&["--json", "query", "history", "--data", d, "--wallet", "@fund-cash"]);
    let history: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let tx = history[0]["receipt"]["tx"].as_str().unwrap().to_string();
    let statement = root.join("data/atlas_custodian_statement.csv");
    let reads: &[&[&str]] = &[
        &["query", "balances", "--wallet", "@fund-cash"],
        &["query", "balances", "--party", "atlas"],
        &["query", "holders", "--asset", "TLY"],
        &["query", "holders", "--asset", "TLY", "--height", "1"],
        &["query", "history", "--wallet", "@fund-cash"],
        &["query", "receipt", "--tx", &tx],
        &["query", "parties"],
        &["query", "party", "atlas"],
        &["query", "register", "--asset", "TLY"],
        &["query", "register", "--asset", "TLY", "--height", "1"],
        &["query", "statement", "--party", "atlas", "--from", "2026-01-01", "--to", "2026-12-31"],
        &["query", "alerts"],
        &["query", "proposals"],
        &["query", "instructions"],
        &["query", "htlcs"],
        &["query", "tenders"],
        &["query", "repos"],
        &["query", "locks", "--wallet", "@fund-cash"],
        &["query", "assets"],
        &["query", "funds"],
        &["query", "funds", "--fund", "ATLAS"],
        &["query", "feeds"],
        &["query", "redemptions"],
        &["query", "bill", "--cusip", "912796Y60", "--price", "99", "--maturity", "2026-03-30"],
        &["precheck", "transfer", "--asset", "USDX", "--from", "@fund-cash", "--to", "@fees", "--amount", "1"],
        &["verify"],
        &["report", "fund", "ATLAS"],
        &["reconcile", "--fund", "ATLAS", "--statement", statement.to_str().unwrap()],
    ];
    for args in reads {
        for json in [false, true] {
            let mut all: Vec<&str> = if json { vec!["--json"] } else { vec![] };
            // --data belongs to the command (`precheck --data D transfer ...`).
            let at = if matches!(args[0], "query" | "report") { 2 } else { 1 };
            all.extend_from_slice(&args[..at]);
            all.extend_from_slice(&["--data", d]);
            all.extend_from_slice(&args[at..]);
            let o = tessera(&all);
            // Some reads refuse (nothing to reconcile against, a movement that fails a rule);
            // what matters is that none of them writes.
            assert!(o.status.code().is_some_and(|c| c <= 1), "{args:?}: {}", stderr(&o));
            assert!(files(&data) == before, "{args:?} changed the data directory");
        }
    }
}

#[test]
fn reconcile_prints_every_amount_in_the_cash_token_and_exits_1_with_reconciliation_break_on_a_break() {
    let tmp = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let data = tmp.path().join("ledger");
    let d = data.to_str().unwrap();
    let o = tessera(&["scenario", "run", root.join("fund_stable_nav.yaml").to_str().unwrap(), "--data", d]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The custodian holds 100,000 of face less than the ledger's bill.
    let statement = tmp.path().join("statement.csv");
    std::fs::write(&statement, "instrument,quantity,price\n912796Y60,8966000,0.9935\nCASH:USD,0,1\n").unwrap();
    let o = tessera(&["reconcile", "ATLAS", "--data", d, "--statement", statement.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.lines().next().unwrap().ends_with(": 1 break and reserve ratio 0.989944 below 1"), "{out}");
    assert!(out.contains("custodian value         8,907,721.000000 USDX"), "{out}");
    assert!(out.contains("obligations            10,008,361.643836 USDX"), "{out}");
    assert!(
        out.contains(
            "BREAK 912796Y60 (quantity): ledger 9,066,000.000000 USDX  custodian 8,966,000.000000 USDX  difference -100,000.000000 USDX"
        ),
        "{out}"
    );
    assert!(out.contains("reserve ratio    0.989944 — BELOW 1: reserves do not cover obligations"), "{out}");
    assert!(
        stderr(&o).starts_with("error[fund.reconciliation_break]: fund ATLAS does not reconcile with"),
        "{}",
        stderr(&o)
    );
    // --json prints the same reconciliation for machines and exits 1 too.
    let o = tessera(&["--json", "reconcile", "ATLAS", "--data", d, "--statement", statement.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["breaks"][0]["difference"], "-100000");
    assert_eq!(v["cash_asset"], "USDX");
    assert_eq!(v["error"]["code"], "fund.reconciliation_break");
}

#[test]
fn a_submission_that_needs_approvals_prints_the_number_of_the_proposal_it_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("op.key");
    let data = tmp.path().join("ledger");
    let (key_s, data_s) = (key.to_str().unwrap(), data.to_str().unwrap());
    assert!(tessera(&["keys", "new", "--out", key_s]).status.success());
    assert!(tessera(&["init", "--data", data_s, "--key", key_s, "--thresholds", "1,2,3"]).status.success());
    // Trusting a claim issuer is sensitive: with 2 approvals needed, it is proposed.
    let ops = tmp.path().join("ops.yaml");
    std::fs::write(
        &ops,
        "- propose: { expires_at: \"2099-01-01\", ops: [ { trust_issuer: { wallet: \"@kyc-desk\", topics: [kyc] } } ] }\n",
    )
    .unwrap();
    let o = tessera(&["submit", "--data", data_s, "--key", key_s, "--ops", ops.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.contains("proposal 1 created (sensitive, needs 2 approvals"), "{out}");
}

#[test]
fn long_commands_print_no_progress_when_stderr_is_not_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("ledger");
    let data_s = data.to_str().unwrap();
    let scenario = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/rule_lockup.yaml");
    for args in [vec!["scenario", "run", scenario, "--data", data_s], vec!["verify", "--data", data_s]] {
        let o = tessera(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{args:?} wrote to a stderr that is a pipe");
    }
}

#[test]
fn receipts_and_submissions_print_event_amounts_in_the_asset_decimals_and_symbol() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = tmp.path().join("demo");
    let demo_s = demo.to_str().unwrap();
    assert!(tessera(&["demo", "--data", demo_s]).status.success());
    let o = tessera(&["--json", "query", "history", "--data", demo_s, "--wallet", "@alpha"]);
    let history: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let first_transfer = history.as_array().unwrap().iter().find(|h| h["operation"] == "transfer").unwrap();
    let o = tessera(&["query", "receipt", "--data", demo_s, "--tx", first_transfer["tx"].as_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.ends_with(
            "ok with 2 events\n  \
             alert 1 raised by monitor_new_counterparty on 6,000,000.000000 TBILL of wallet e0d12678\n  \
             6,000,000.000000 TBILL transferred from e0d12678 to 2f446c97\n"
        ),
        "{out}"
    );

    // A 2-decimal asset: submit prints each event with the amount as its asset writes it.
    let (key, data) = (tmp.path().join("op.key"), tmp.path().join("ledger"));
    let (key_s, data_s) = (key.to_str().unwrap(), data.to_str().unwrap());
    assert!(tessera(&["keys", "new", "--out", key_s]).status.success());
    assert!(tessera(&["init", "--data", data_s, "--key", key_s, "--thresholds", "1,1,1"]).status.success());
    let ops = tmp.path().join("ops.yaml");
    std::fs::write(
        &ops,
        "- register_party: { party: alpha, name: Alpha, kind: fund }\n\
         - add_wallet: { party: alpha, wallet: \"@alpha\" }\n\
         - create_asset: { symbol: USDX, name: USDX, kind: { cash_token: { cash: stablecoin, currency: USD } }, decimals: 2, issuer: operator }\n\
         - mint: { asset: USDX, to: alpha, amount: \"1,500.25\" }\n",
    )
    .unwrap();
    let o = tessera(&["submit", "--data", data_s, "--key", key_s, "--ops", ops.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    let minted = "  1,500.25 USDX minted to e0d12678";
    assert_eq!(out.lines().last(), Some(minted), "{out}");
    let tx = out.split_whitespace().nth(1).unwrap();
    let o = tessera(&["query", "receipt", "--data", data_s, "--tx", tx]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().last(), Some(minted), "{out}");
}

#[test]
fn a_precheck_of_a_transfer_held_back_by_an_affirmed_instruction_or_a_repo_names_the_instruction_leg_or_the_repo() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("ledger");
    let data_s = data.to_str().unwrap();
    // Alpha's affirmed leg of a pending sale locks 300.00 of its 1,000.00 TBILL; its repo locks
    // 400.00 of its 1,000.00 NOTE as collateral, and a court order froze 100.00 NOTE.
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/precheck_locks.yaml");
    let o = tessera(&["scenario", "run", file.to_str().unwrap(), "--data", data_s]);
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    let o = tessera(&["--json", "query", "locks", "--data", data_s, "--wallet", "@alpha"]);
    let locks: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let for_what: Vec<&str> = locks.as_array().unwrap().iter().map(|l| l["for_what"].as_str().unwrap()).collect();
    assert_eq!(for_what, ["instruction 1 leg 0", "repo 1 collateral"]);

    let precheck = |asset: &str| {
        let args = ["precheck", "--data", data_s, "transfer", "--asset", asset, "--from", "alpha", "--to", "bolt"];
        let o = tessera(&[&args[..], &["--amount", "800"]].concat());
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).trim_end().to_string()
    };
    let alpha = {
        let o = tessera(&["--json", "query", "balances", "--data", data_s, "--party", "alpha"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v[0]["wallet"].as_str().expect("alpha's wallet")[..8].to_string()
    };
    assert_eq!(
        precheck("TBILL"),
        format!(
            "✗ balance.insufficient                 wallet {alpha} has 700.00 TBILL free; 800.00 TBILL needed; \
             300.00 TBILL locked by instruction 1 leg 0"
        )
    );
    assert_eq!(
        precheck("NOTE"),
        format!(
            "✗ balance.insufficient                 wallet {alpha} has 500.00 NOTE free; 800.00 NOTE needed; \
             400.00 NOTE locked by repo 1 collateral; 100.00 NOTE frozen by compliance"
        )
    );
}

#[test]
fn a_precheck_of_a_transfer_of_pledged_units_names_the_pledge_and_its_pledgee() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("ledger");
    let data_s = data.to_str().unwrap();
    // At its end alpha has 970,000 of its 2,000,000 TB0306 pledged to the clearing house cme.
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/collateral_margin.yaml");
    let o = tessera(&["scenario", "run", file.to_str().unwrap(), "--data", data_s]);
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    let args = ["precheck", "--data", data_s, "transfer", "--asset", "TB0306", "--from", "@alpha", "--to", "@bravo"];
    let o = tessera(&[&args[..], &["--amount", "1,500,000"]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("✗ balance.insufficient"), "{out}");
    assert!(out.contains("; 970,000.000000 TB0306 locked by pledge to cme in collateral account 1"), "{out}");
}

#[test]
fn bench_margin_calls_every_member_on_the_price_move_and_resolves_each_call() {
    let o = tessera(&["--json", "bench", "margin", "--members", "20", "--defaults", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(r["members"], 20);
    assert_eq!(r["pledges_per_member"], 10);
    // Every member is short after the move; 13 meet their call in the timed blocks, 5 more
    // (kept for the single defaults) meet theirs outside them, 2 default at the deadline.
    assert_eq!(r["calls_raised"], 20);
    assert_eq!(r["met"], 13);
    assert_eq!(r["defaulted"], 2);
}

#[test]
fn bench_transfers_on_postgresql_names_the_standby_settings_drops_its_database_and_says_why_the_naive_ledger_is_missing(
) {
    let Some(pair) = tessera_store::testing::pg::shared() else { return };
    let args = ["--json", "bench", "transfers", "--wallets", "50", "--txs", "500", "--hot-txs", "100"];
    let o = tessera(&[&args[..], &["--store", &pair.primary, "--peer-script", "/nonexistent/peer.sh"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(r["store"], "postgresql");
    // The hot account's sequence numbers follow on from its share of the uniform transfers.
    assert_eq!((r["refused"].as_u64(), r["failed"].as_u64()), (Some(0), Some(0)), "{r}");
    assert_eq!(r["verify_replay_ok"], true);
    assert!(r["hot_account_tx_per_s"].as_f64().is_some_and(|v| v > 0.0), "{r}");
    assert_eq!(r["synchronous_standby_names"], "FIRST 1 (tessera_standby)");
    assert_eq!(r["synchronous_commit"], "on");
    assert_eq!(r["synchronous_standbys"], 1);
    assert!(r["journal_bytes"].as_u64().is_some_and(|b| b > 0), "{r}");
    for field in ["naive_pg_tx_per_s", "naive_pg_hot_tx_per_s", "vs_naive_pg_uniform", "vs_naive_pg_hot"] {
        assert!(r[field].is_null(), "{field}: {r}");
    }
    assert!(
        stderr(&o).contains("the naive PostgreSQL ledger was not measured: no peer script at /nonexistent/peer.sh"),
        "{}",
        stderr(&o)
    );
    let mut server = tessera_store::testing::pg::outside(&pair.primary).unwrap();
    let left: i64 = server
        .query_one("SELECT count(*) FROM pg_database WHERE datname LIKE 'tessera\\_bench\\_%'", &[])
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "the benchmark's database is dropped");
}
