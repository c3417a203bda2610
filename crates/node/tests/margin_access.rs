//! Who reads margin (issue 13, reports and views): through the API, a clearing member sees its
//! own margin account, pledges and calls and no other member's; the clearing house sees all its
//! members'; an auditor sees everything; anyone else is refused the clearing house's report
//! without learning whether it exists; a loan shows to its borrower and its lender only.

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use std::sync::Arc;
use tessera_core::block::demo_genesis;
use tessera_core::crypto::Keypair;
use tessera_core::exec::Admission;
use tessera_core::op::Op;
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::{Role, Time};
use tessera_node::api::{router, Api};
use tessera_node::config::NodeConfig;
use tessera_node::Ledger;
use tower::ServiceExt;

const NETWORK: &str = "margin-access";

fn key(name: &str) -> Keypair {
    Keypair::insecure_from_name(&format!("margin-access-{name}"))
}

fn hex(name: &str) -> String {
    key(name).wallet().to_hex()
}

/// A ledger with clearing house `cme` and members `alpha` (covered) and `bravo` (short, called);
/// `carol` borrows from `lender`; `dave` is a party with no part in any of it; `examiner` holds
/// the auditor role. USDX has 6 decimals.
fn ledger(dir: &std::path::Path) {
    let (op, examiner) = (key("operator"), key("examiner"));
    let t0 = Time(1_800_000_000);
    let g = demo_genesis(NETWORK, t0, &[(&op, &Role::OPERATOR), (&examiner, &[Role::Auditor])], [1, 1, 1]);
    let mut l = Ledger::create(dir, &g).unwrap();
    let usd = |whole: u64| whole * 1_000_000;
    let mut parties = Vec::new();
    for (p, kind) in [
        ("cme", "clearing_house"),
        ("alpha", "institution"),
        ("bravo", "institution"),
        ("carol", "institution"),
        ("lender", "bank"),
        ("dave", "institution"),
    ] {
        parties.push(json!({"register_party": {"party": p, "name": p.to_uppercase(), "kind": kind}}));
        parties.push(json!({"add_wallet": {"party": p, "wallet": hex(p)}}));
    }
    let setup = [
        parties,
        vec![
            json!({"create_asset": {"symbol": "USDX", "name": "USDX", "kind": {"cash_token": {"cash": "stablecoin", "currency": "USD"}}, "decimals": 6, "issuer": "operator"}}),
        ],
        ["alpha", "bravo", "carol", "lender"]
            .iter()
            .map(|p| json!({"issue_cash": {"asset": "USDX", "to": hex(p), "amount": usd(10_000), "fiat_reference": format!("WIRE-{p}")}}))
            .collect(),
        vec![json!({"set_collateral_schedule": {"ccp": "cme", "effective_from": t0, "schedule": {
            "cash_asset": "USDX", "wallet": hex("cme"), "eligible": {"shipped": "CME"},
            "haircuts": {"shipped": "CME"}, "fund_share_haircut_bps": 300}}})],
    ]
    .concat();
    let txs: Vec<(&str, u64, Vec<Value>)> = vec![
        ("operator", 1, setup),
        ("cme", 1, vec![json!({"admit_member": {"member": "alpha"}}), json!({"admit_member": {"member": "bravo"}})]),
        ("alpha", 1, vec![json!({"pledge_collateral": {"ccp": "cme", "asset": "USDX", "amount": usd(1_000)}})]),
        ("bravo", 1, vec![json!({"pledge_collateral": {"ccp": "cme", "asset": "USDX", "amount": usd(2_000)}})]),
        (
            "cme",
            2,
            vec![
                json!({"set_margin_requirement": {"ccp": "cme", "member": "alpha", "initial_margin": usd(500)}}),
                json!({"set_margin_requirement": {"ccp": "cme", "member": "bravo", "initial_margin": usd(3_000)}}),
            ],
        ),
        (
            "carol",
            1,
            vec![json!({"request_loan": {
                "terms": {"lender": hex("lender"), "cash_asset": "USDX", "principal": usd(100), "rate_bps": 500,
                          "max_ltv_bps": 8000, "liquidation_ltv_bps": 9000},
                "collateral_asset": "USDX", "collateral_amount": usd(1_000)}})],
        ),
        // The block after a requirement rise raises the intraday call.
        ("operator", 2, vec![json!({"register_party": {"party": "tick", "name": "T", "kind": "individual"}})]),
    ];
    for (i, (signer, seq, ops)) in txs.into_iter().enumerate() {
        let k = key(signer);
        let ops: Vec<Op> = ops.into_iter().map(|o| serde_json::from_value(o).expect("an operation")).collect();
        let tx = TxBody { network: NETWORK.into(), signer: k.wallet(), seq, expires_at: t0.plus(3_600), ops }.sign(&k);
        let at = t0.plus(i as u64 + 1);
        let (block, admissions) = l.submit(at, vec![CheckedTx::from_bytes(&tx.to_bytes()).unwrap()]).unwrap();
        assert!(matches!(admissions[..], [Admission::Included(_)]), "{signer} #{seq} admitted: {admissions:?}");
        let receipt = &block.expect("a block").body.receipts[0];
        assert!(receipt.is_ok(), "{signer} #{seq}: {}", receipt.outcome);
    }
}

struct Node {
    _tmp: tempfile::TempDir,
    api: Arc<Api>,
    rt: tokio::runtime::Runtime,
}

impl Node {
    fn start() -> Node {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("ledger");
        ledger(&dir);
        let config = NodeConfig { data: dir, rate_limit_per_s: 0, ..NodeConfig::default() };
        let (api, _) = Api::start(config).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        Node { _tmp: tmp, api, rt }
    }

    fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.rt.block_on(async {
            let res = router(self.api.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
            let status = res.status().as_u16();
            let bytes = axum::body::to_bytes(res.into_body(), 1 << 22).await.unwrap();
            (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
        })
    }

    /// A bearer token for the wallet of `name`'s key.
    fn token(&self, name: &str) -> String {
        let k = key(name);
        let (_, c) = self.call("POST", "/v1/auth/challenge", None, Some(json!({"wallet": k.wallet()})));
        let challenge = c["challenge"].as_str().expect("a challenge").to_string();
        let signature = ::hex::encode(k.sign(challenge.as_bytes()));
        let body = json!({"wallet": k.wallet(), "challenge": challenge, "signature": signature});
        let (status, t) = self.call("POST", "/v1/auth/token", None, Some(body));
        assert_eq!(status, 200, "{t}");
        t["token"].as_str().expect("a token").to_string()
    }

    fn get(&self, path: &str, as_: &str) -> (u16, Value) {
        let t = self.token(as_);
        self.call("GET", path, Some(&t), None)
    }
}

/// The `field` of every item of a list answer.
fn column(v: &Value, field: &str) -> Vec<String> {
    v.as_array().expect("a list").iter().map(|x| x[field].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn a_member_reads_its_own_margin_account_pledges_and_calls_and_none_of_another_members() {
    let n = Node::start();
    let (status, r) = n.get("/v1/clearing/cme/margin", "alpha");
    assert_eq!(status, 200, "{r}");
    assert_eq!(column(&r["members"], "member"), ["alpha"]);
    assert_eq!(r["members"][0]["counted"], "1000.000000");
    assert_eq!(r["members"][0]["requirement_units"], 500_000_000);
    assert_eq!(column(&n.get("/v1/pledges", "alpha").1, "pledgor"), ["alpha"]);
    // bravo is short and called; alpha does not see it.
    assert_eq!(n.get("/v1/calls", "alpha").1, json!([]));
    let (status, b) = n.get("/v1/clearing/cme/margin", "bravo");
    assert_eq!(status, 200, "{b}");
    assert_eq!(column(&b["members"], "member"), ["bravo"]);
    assert_eq!(b["members"][0]["shortfall"], "1000.000000");
    assert_eq!(b["members"][0]["call"]["status"], "open");
    assert_eq!(column(&n.get("/v1/calls", "bravo").1, "member"), ["bravo"]);
}

#[test]
fn the_clearing_house_reads_every_members_margin_and_calls() {
    let n = Node::start();
    let (status, r) = n.get("/v1/clearing/cme/margin", "cme");
    assert_eq!(status, 200, "{r}");
    assert_eq!(column(&r["members"], "member"), ["alpha", "bravo"]);
    assert_eq!(column(&n.get("/v1/calls", "cme").1, "member"), ["bravo"]);
    assert_eq!(column(&n.get("/v1/pledges", "cme").1, "pledgor"), ["alpha", "bravo"]);
    // A loan's collateral is the lender's business, not the clearing house's.
    assert_eq!(n.get("/v1/loans", "cme").1, json!([]));
}

#[test]
fn an_auditor_reads_every_margin_account_pledge_call_and_loan() {
    let n = Node::start();
    let (status, r) = n.get("/v1/clearing/cme/margin", "examiner");
    assert_eq!(status, 200, "{r}");
    assert_eq!(column(&r["members"], "member"), ["alpha", "bravo"]);
    assert_eq!(column(&n.get("/v1/pledges", "examiner").1, "pledgor"), ["alpha", "bravo", "carol"]);
    assert_eq!(column(&n.get("/v1/calls", "examiner").1, "member"), ["bravo"]);
    assert_eq!(column(&n.get("/v1/loans", "examiner").1, "status"), ["requested"]);
    // An auditor asking about a party that does not exist is told so.
    let (status, p) = n.get("/v1/clearing/nobody/margin", "examiner");
    assert_eq!((status, p["code"].as_str()), (404, Some("party.unknown")), "{p}");
}

#[test]
fn a_party_outside_the_clearing_house_is_refused_its_report_whether_or_not_it_exists() {
    let n = Node::start();
    for path in ["/v1/clearing/cme/margin", "/v1/clearing/nobody/margin"] {
        let (status, p) = n.get(path, "dave");
        assert_eq!((status, p["code"].as_str()), (403, Some("api.forbidden")), "{path}: {p}");
    }
    for list in ["/v1/pledges", "/v1/calls", "/v1/loans"] {
        assert_eq!(n.get(list, "dave").1, json!([]), "{list}");
    }
    let (status, p) = n.call("GET", "/v1/clearing/cme/margin", None, None);
    assert_eq!((status, p["code"].as_str()), (401, Some("api.unauthenticated")), "{p}");
}

#[test]
fn a_loan_shows_to_its_borrower_and_its_lender_and_to_no_one_else() {
    let n = Node::start();
    for who in ["carol", "lender"] {
        let (_, loans) = n.get("/v1/loans", who);
        assert_eq!(column(&loans, "borrower_party"), ["carol"], "{who}");
        assert_eq!(loans[0]["principal"], "100.000000");
        assert_eq!(column(&n.get("/v1/pledges", who).1, "account_kind"), ["loan"], "{who}");
    }
    for who in ["alpha", "dave"] {
        assert_eq!(n.get("/v1/loans", who).1, json!([]), "{who}");
    }
}
