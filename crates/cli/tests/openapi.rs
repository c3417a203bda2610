//! The OpenAPI document (3.1, generated from the node's types: `tessera_node::api::contract`)
//! is the contract of the HTTP API. These tests keep it true: the routes `router()` registers,
//! the `ROUTES` list and the document's paths are one set; real answers of a node serving a
//! scenario's ledger — successes and problem documents — have a documented status, content type,
//! headers and a body that validates (JSON Schema 2020-12, closed objects, nulls included)
//! against the documented schema; the copy at `docs/openapi.json` is the document the node
//! serves; and the responses' examples (`crates/node/src/api/examples.json`) are real answers
//! that still validate. `UPDATE_DOCS=1 cargo test -p tessera-cli --test openapi` captures the
//! examples again and rewrites `docs/openapi.json`.
//!
//! (They live in the CLI crate because the scenario runner does; the node crate cannot depend
//! on it.)

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Mutex;
use tessera_cli::scenario;
use tessera_core::crypto::Keypair;
use tessera_core::Code;
use tessera_node::api::{self, contract, Api, ROUTES};
use tessera_node::config::NodeConfig;

const METHODS: [&str; 8] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"];

fn doc() -> Value {
    serde_json::from_str(contract::document()).expect("the document is JSON")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_DOCS").is_some()
}

fn route_set(routes: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    routes.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect()
}

/// Every (method, path) the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            assert!(METHODS.contains(&method.to_uppercase().as_str()), "{path}: `{method}` is not a method");
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// The text from `open` (just past it) to its matching `)`.
fn balanced(s: &str) -> &str {
    let mut depth = 1;
    let mut in_str = false;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '(' if !in_str => depth += 1,
            ')' if !in_str => {
                depth -= 1;
                if depth == 0 {
                    return &s[..i];
                }
            }
            _ => {}
        }
        prev = c;
    }
    panic!("unbalanced parentheses after {:?}", &s[..s.len().min(80)]);
}

/// The routes registered in `routes.rs`, read from its `.route("path", get(h).post(h2))` calls
/// (comments left out), so that a route added there and nowhere else fails the test.
fn routes_in_source() -> BTreeSet<(String, String)> {
    // The unit tests at the end build routers of their own.
    let src = include_str!("../../node/src/api/routes.rs").split("#[cfg(test)]").next().unwrap_or_default();
    let code: String = src.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    for unsupported in [".nest(", ".nest_service(", ".route_service("] {
        assert!(!code.contains(unsupported), "routes.rs uses `{unsupported}`: teach this test to read it");
    }
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + ".route(".len()..];
        let args = balanced(rest);
        let a = args.trim_start();
        let path = a.strip_prefix('"').and_then(|a| a.split('"').next()).expect("a route's path is a string literal");
        let expr = a[path.len() + 2..].trim_start().strip_prefix(',').expect("`.route(path, methods)`");
        // The method router: calls at the top level, `get(h)`, `.post(h)`, `routing::put(h)`.
        let mut methods = Vec::new();
        let (mut depth, mut word) = (0, String::new());
        for c in expr.chars() {
            match c {
                '(' => {
                    if depth == 0 {
                        let name = word.rsplit("::").next().unwrap_or("").to_string();
                        assert!(
                            !["any", "on", "any_service", "on_service"].contains(&name.as_str()),
                            "{path}: `{name}`"
                        );
                        if METHODS.contains(&name.to_uppercase().as_str()) {
                            methods.push(name.to_uppercase());
                        }
                    }
                    depth += 1;
                    word.clear();
                }
                ')' => {
                    depth -= 1;
                    word.clear();
                }
                c if c.is_alphanumeric() || c == '_' || c == ':' => word.push(c),
                _ => word.clear(),
            }
        }
        assert!(!methods.is_empty(), "{path}: no method found in {expr:?}");
        for m in methods {
            assert!(out.insert((m.clone(), path.to_string())), "{m} {path} is registered twice");
        }
        rest = &rest[args.len()..];
    }
    out
}

#[test]
fn the_router_the_route_list_and_the_document_name_the_same_routes() {
    let listed = route_set(ROUTES);
    assert_eq!(listed.len(), ROUTES.len(), "ROUTES lists a route twice");
    let registered = routes_in_source();
    let unlisted: Vec<_> = registered.difference(&listed).collect();
    let unregistered: Vec<_> = listed.difference(&registered).collect();
    assert!(unlisted.is_empty(), "router() registers routes missing from ROUTES: {unlisted:?}");
    assert!(unregistered.is_empty(), "ROUTES lists routes router() does not register: {unregistered:?}");
    let doc = doc();
    let described = documented(&doc);
    let undocumented: Vec<_> = listed.difference(&described).collect();
    let unserved: Vec<_> = described.difference(&listed).collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.json: {undocumented:?}");
    assert!(unserved.is_empty(), "openapi.json describes routes the router lacks: {unserved:?}");
}

#[test]
fn the_document_is_openapi_3_1_and_lists_every_failure_code_as_an_open_string() {
    let doc = doc();
    assert_eq!(doc["openapi"], "3.1.0");
    let code = &doc["components"]["schemas"]["Problem"]["properties"]["code"];
    assert_eq!(code["type"], "string");
    assert!(code["enum"].is_null(), "Problem.code is an open string, not an enum");
    let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for list in ["examples", "x-known-values"] {
        let codes: Vec<&str> = code[list].as_array().expect("a list").iter().filter_map(Value::as_str).collect();
        assert_eq!(codes, all, "Problem.code's {list} must list Code::ALL, in order");
    }
    // One problem schema: every error response of every operation refers to it.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for (name, s) in schemas {
        for v in s["oneOf"].as_array().into_iter().flatten() {
            assert!(v["$ref"].is_string() || v["type"] != "object", "{name}: an inline object variant");
        }
        assert!(s.get("nullable").is_none(), "{name}: `nullable` is OpenAPI 3.0");
        let text = s.to_string();
        assert!(!text.contains("\"nullable\""), "{name}: `nullable` is OpenAPI 3.0");
        assert!(!text.contains("#/components/schemas/u128"), "{name}: an amount that is not `Amount`");
    }
    // Every operation answers JSON problems for its errors and documents its parameters fully.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("200"), "{method} {path}: no 200");
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let r = resolve(&doc, r);
                    let schema = &r["content"]["application/problem+json"]["schema"];
                    assert_eq!(schema["$ref"], "#/components/schemas/Problem", "{method} {path} {status}");
                }
            }
            for name in path.split('{').skip(1).map(|s| s.split('}').next().unwrap_or("")) {
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path" && p["name"] == name));
                assert!(declared, "{method} {path}: path parameter `{name}` not declared");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The amount convention: every amount twice, `x` in the asset's units and `x_units` in minor units

/// The schemas of the read model's rows: every type `crates/node/src/query/*.rs` derives
/// `ToSchema` for.
fn read_model_schemas() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node/src/query");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("crates/node/src/query") {
        let src = std::fs::read_to_string(entry.expect("an entry").path()).expect("a source file");
        let mut derives = false;
        for line in src.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                derives = line.contains("ToSchema");
            }
            let named = line.strip_prefix("pub struct ").or_else(|| line.strip_prefix("pub enum "));
            if let (true, Some(rest)) = (derives, named) {
                out.insert(rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap_or("").to_string());
                derives = false;
            }
        }
    }
    out
}

/// What a property holds when it is an amount: `DecimalAmount` or `Amount`, and whether it may
/// be null.
fn amount_property(p: &Value) -> Option<(&'static str, bool)> {
    let named = |v: &Value| match v["$ref"].as_str() {
        Some("#/components/schemas/DecimalAmount") => Some("DecimalAmount"),
        Some("#/components/schemas/Amount") => Some("Amount"),
        _ => None,
    };
    if let Some(n) = named(p) {
        return Some((n, false));
    }
    let variants = p["oneOf"].as_array()?;
    let null = variants.iter().any(|v| v["type"] == "null");
    variants.iter().find_map(named).map(|n| (n, null))
}

#[test]
fn every_decimal_amount_in_a_read_model_row_has_its_minor_units_twin_and_every_minor_units_field_its_decimal() {
    let doc = doc();
    let schemas = &doc["components"]["schemas"];
    let mut checked = BTreeSet::new();
    let mut twins = 0;
    // Rows no route answers (the CLI's alone) are not in the document.
    for name in read_model_schemas() {
        let s = &schemas[name.as_str()];
        if !s.is_object() {
            continue;
        }
        checked.insert(name.clone());
        // A row that flattens another has its own fields in an `allOf` part (the other is
        // checked as a row of its own).
        let parts = std::iter::once(s).chain(s["allOf"].as_array().into_iter().flatten());
        for props in parts.filter_map(|p| p["properties"].as_object()) {
            for (field, p) in props {
                let Some((kind, nullable)) = amount_property(p) else { continue };
                let (decimal, units) = match field.strip_suffix("_units") {
                    Some(x) => (x.to_string(), field.clone()),
                    None => (field.clone(), format!("{field}_units")),
                };
                let want = if field.ends_with("_units") { "Amount" } else { "DecimalAmount" };
                assert_eq!(kind, want, "{name}.{field}: an {kind} named as the {want}");
                let twin = if field.ends_with("_units") { &decimal } else { &units };
                let other = if kind == "Amount" { "DecimalAmount" } else { "Amount" };
                assert_eq!(
                    props.get(twin).and_then(amount_property),
                    Some((other, nullable)),
                    "{name}.{field}: no {other} `{twin}` beside it (null alike)"
                );
                twins += 1;
            }
        }
    }
    for row in ["BalanceRow", "LockRow", "AssetRow", "FundView", "FundReport", "PayoutRow", "Register", "MarginRow"] {
        assert!(checked.contains(row), "{row} is a read-model row in the document");
    }
    assert!(twins >= 80, "only {twins} amount fields in the rows");
}

#[test]
fn a_balance_row_writes_free_locked_frozen_and_total_in_the_assets_decimals_beside_the_same_amounts_in_minor_units() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("freeze.yaml");
    let yaml = r#"name: a partly frozen holding
start: 2026-01-05T14:00:00Z
steps:
  - tx:
      as: operator
      ops:
        - register_party: { party: usdx-trust, name: "USDX Trust", kind: institution }
        - register_party: { party: alpha, name: "Alpha Fund LP", kind: fund }
        - add_wallet: { party: alpha, wallet: "@alpha" }
        - create_asset: { symbol: USDX, name: "USDX stablecoin", kind: { cash_token: { cash: stablecoin, currency: USD } }, decimals: 2, issuer: usdx-trust }
        - mint: { asset: USDX, to: "@alpha", amount: "1,500.00" }
        - freeze_amount: { asset: USDX, wallet: "@alpha", amount: 0.25, reason: "court order" }
"#;
    std::fs::write(&file, yaml).unwrap();
    let s = scenario::parse(&std::fs::read_to_string(&file).unwrap()).expect("it parses");
    let dir = tmp.path().join("ledger");
    let report = scenario::run(&s, tmp.path(), &dir, |_| {}).expect("it runs");
    assert!(report.passed, "the scenario passes");
    let node = Node::start(&dir);
    let alpha = Keypair::insecure_from_name("alpha").wallet().to_hex();
    let a = http("GET", &format!("{}/v1/wallets/{alpha}/balances", node.base), Some(&token(&node.base, "alpha")), None);
    assert_eq!(a.status, 200, "{}", a.body);
    let rows = a.json();
    let row = &rows[0];
    assert_eq!(row["asset"], "USDX", "{rows}");
    assert_eq!(row["decimals"], 2);
    for (field, decimal, units) in
        [("free", "1499.75", 149_975), ("locked", "0.00", 0), ("frozen", "0.25", 25), ("total", "1500.00", 150_000)]
    {
        assert_eq!(row[field], decimal, "{field}: {row}");
        assert_eq!(row[format!("{field}_units")], units, "{field}_units: {row}");
    }
    Contract::new().check("GET", "/v1/wallets/{wallet}/balances", &a);
}

// ---------------------------------------------------------------------------------------------
// Validation of real answers

/// A `$ref` to a shared response, followed.
fn resolve<'a>(doc: &'a Value, r: &'a Value) -> &'a Value {
    match r["$ref"].as_str() {
        Some(p) => doc.pointer(p.trim_start_matches('#')).expect("a $ref resolves"),
        None => r,
    }
}

struct Contract {
    doc: Value,
    components: Value,
    /// (method, path template, status) seen.
    seen: BTreeSet<(String, String, u16)>,
    /// Whether this ledger's answers become the document's examples (one ledger only, so the
    /// examples do not depend on which test runs first).
    captures_examples: bool,
}

struct Answer {
    status: u16,
    content_type: String,
    headers: BTreeMap<String, String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Contract {
    fn new() -> Contract {
        let doc = doc();
        let components = doc["components"].clone();
        Contract { doc, components, seen: BTreeSet::new(), captures_examples: false }
    }

    /// OpenAPI 3.1 schemas are JSON Schema 2020-12.
    fn validate(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let root = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "allOf": [schema], "components": self.components});
        let v = jsonschema::draft202012::options().build(&root).map_err(|e| format!("bad schema: {e}"))?;
        let errors: Vec<String> = v.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Checks one answer of `method path` (a documented template) against the document.
    fn check(&mut self, method: &str, path: &str, a: &Answer) {
        let what = format!("{method} {path} → {}: {}", a.status, a.body.chars().take(300).collect::<String>());
        let op = &self.doc["paths"][path][method.to_lowercase()];
        assert!(op.is_object(), "{what}: not documented");
        let r = &op["responses"][a.status.to_string()];
        assert!(r.is_object(), "{what}: status not documented");
        let r = resolve(&self.doc, r).clone();
        let mime = a.content_type.split(';').next().unwrap_or("").trim().to_string();
        let media = &r["content"][&mime];
        assert!(media.is_object(), "{what}: content type {:?} not documented", a.content_type);
        if mime.ends_with("json") {
            if let Err(e) = self.validate(&media["schema"], &a.json()) {
                panic!("{what}: the body does not match the schema: {e}");
            }
            // (The document's own example would be the document.)
            if self.captures_examples && a.status == 200 && path != "/v1/openapi.json" {
                let id = op["operationId"].as_str().expect("an operation id").to_string();
                CAPTURED.lock().unwrap().entry(id).or_insert_with(|| example_of(a.json()));
            }
        }
        for (name, h) in r["headers"].as_object().into_iter().flatten() {
            let h = resolve(&self.doc, h);
            match a.headers.get(&name.to_ascii_lowercase()) {
                Some(v) => {
                    let parsed: Value = v.parse::<u64>().map(Value::from).unwrap_or(Value::String(v.clone()));
                    if let Err(e) = self.validate(&h["schema"], &parsed) {
                        panic!("{what}: header {name}: {e}");
                    }
                }
                None => assert!(h["required"] != true, "{what}: header {name} missing"),
            }
        }
        self.seen.insert((method.to_string(), path.to_string(), a.status));
    }

    /// A problem document answered outside any documented operation (fallbacks).
    fn check_problem(&self, a: &Answer, status: u16, code: &str) {
        assert_eq!(a.status, status, "{}", a.body);
        assert_eq!(a.json()["code"], code, "{}", a.body);
        assert_eq!(a.content_type, "application/problem+json");
        let schema = json!({"$ref": "#/components/schemas/Problem"});
        if let Err(e) = self.validate(&schema, &a.json()) {
            panic!("{}: {e}", a.body);
        }
    }
}

/// The first 200 answer of each operation in the tests' scenario ledgers, for the examples.
static CAPTURED: Mutex<BTreeMap<String, Value>> = Mutex::new(BTreeMap::new());

/// A real answer as an example: every list keeps its first two items (the document says so).
fn example_of(v: Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.into_iter().take(2).map(example_of).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, example_of(v))).collect()),
        other => other,
    }
}

const EXAMPLES_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../node/src/api/examples.json");
const DOCS_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");

fn http(method: &str, url: &str, token: Option<&str>, body: Option<(&str, String)>) -> Answer {
    // The node answers an oversized body with 413 before reading it and closes the connection,
    // so a client still writing may see a reset before the answer: try again a few times.
    let mut attempt = 0;
    let res = loop {
        let mut req = ureq::request(method, url);
        if let Some(t) = token {
            req = req.set("Authorization", &format!("Bearer {t}"));
        }
        let res = match &body {
            Some((ct, b)) => req.set("Content-Type", ct).send_string(b),
            None => req.call(),
        };
        match res {
            Ok(r) | Err(ureq::Error::Status(_, r)) => break r,
            Err(e) if attempt >= 9 => panic!("{method} {url}: {e}"),
            Err(_) => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    };
    let headers = res
        .headers_names()
        .into_iter()
        .filter_map(|n| res.header(&n).map(|v| (n.to_ascii_lowercase(), v.to_string())))
        .collect();
    Answer {
        status: res.status(),
        content_type: res.header("content-type").unwrap_or("").to_string(),
        headers,
        body: res.into_string().unwrap_or_default(),
    }
}

/// A node serving `data` in-process on a free port, stopped when dropped.
struct Node {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Node {
    /// The tests' settings: a small body limit, no rate limit.
    fn config(data: &Path) -> NodeConfig {
        NodeConfig { data: data.to_path_buf(), max_body_bytes: 64 * 1024, rate_limit_per_s: 0, ..NodeConfig::default() }
    }

    fn start(data: &Path) -> Node {
        Node::start_with(Node::config(data))
    }

    fn start_with(config: NodeConfig) -> Node {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let (a, _) = Api::start(config).expect("the node starts");
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
                addr_tx.send(listener.local_addr().expect("an address")).expect("the test waits");
                api::serve(a, listener, async {
                    let _ = stopped.await;
                })
                .await
                .expect("the node stops cleanly");
            });
        });
        let addr = addr_rx.recv().expect("the node listens");
        Node { base: format!("http://{addr}"), stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A bearer token for the wallet of an insecure test key (scenario actors' keys).
fn token(base: &str, actor: &str) -> String {
    let key = Keypair::insecure_from_name(actor);
    let wallet = key.wallet().to_hex();
    let ch = http(
        "POST",
        &format!("{base}/v1/auth/challenge"),
        None,
        Some(("application/json", json!({"wallet": wallet}).to_string())),
    );
    assert_eq!(ch.status, 200, "{}", ch.body);
    let challenge = ch.json()["challenge"].as_str().expect("a challenge").to_string();
    let signature = hex::encode(key.sign(challenge.as_bytes()));
    let body = json!({"wallet": wallet, "challenge": challenge, "signature": signature}).to_string();
    let t = http("POST", &format!("{base}/v1/auth/token"), None, Some(("application/json", body)));
    assert_eq!(t.status, 200, "{}", t.body);
    t.json()["token"].as_str().expect("a token").to_string()
}

fn scenario_ledger(name: &str, dir: &Path) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../scenarios/{name}.yaml"));
    let s = scenario::parse(&std::fs::read_to_string(&file).expect("the scenario")).expect("it parses");
    let report = scenario::run(&s, file.parent().expect("a directory"), dir, |_| {}).expect("it runs");
    assert!(report.passed, "the scenario passes");
}

#[test]
fn real_answers_match_the_document() {
    real_answers_match_the_document_on_the_fund_ledger();
    if updating() {
        // The examples: real answers of this ledger, written where the node's build reads them.
        let captured = CAPTURED.lock().unwrap().clone();
        let mut text = serde_json::to_string_pretty(&captured).unwrap();
        text.push('\n');
        std::fs::write(EXAMPLES_FILE, &text).unwrap();
        std::fs::write(DOCS_FILE, contract::document_with(&text)).unwrap();
    }
}

#[test]
fn the_copy_in_docs_is_the_document_the_node_serves_and_its_examples_validate() {
    if updating() {
        return; // written by `real_answers_match_the_document`
    }
    let copy = std::fs::read_to_string(DOCS_FILE).expect("docs/openapi.json");
    assert!(
        copy == contract::document(),
        "docs/openapi.json is not the document the node serves: run `UPDATE_DOCS=1 cargo test -p tessera-cli --test openapi`"
    );
    let c = Contract::new();
    let examples: Value = serde_json::from_str(contract::EXAMPLES).expect("examples.json is JSON");
    let mut seen = 0;
    for item in c.doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap();
            let Some(example) = examples.get(id) else { continue };
            let media = &op["responses"]["200"]["content"]["application/json"];
            assert_eq!(&media["example"], example, "{id}: the example is not in the document");
            c.validate(&media["schema"], example)
                .unwrap_or_else(|e| panic!("{id}: the example does not validate: {e}"));
            seen += 1;
        }
    }
    assert!(seen >= 30, "examples for only {seen} operations");
}

fn real_answers_match_the_document_on_the_fund_ledger() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    scenario_ledger("fund_buidl_90_days", &dir);
    let node = Node::start(&dir);
    let base = node.base.clone();
    let mut c = Contract { captures_examples: true, ..Contract::new() };
    // The operator holds the compliance officer role (reads everything); alpha is an investor.
    let operator = token(&base, "operator");
    let alpha = token(&base, "alpha");
    let alpha_wallet = Keypair::insecure_from_name("alpha").wallet().to_hex();
    let json_body = |v: Value| Some(("application/json", v.to_string()));

    // A transaction to look up: the first receipt of block 2.
    let b2 = http("GET", &format!("{base}/v1/blocks/2"), Some(&operator), None);
    let tx_id = b2.json()["receipts"][0]["receipt"]["tx"].as_str().expect("block 2 has a receipt").to_string();
    let sample = |p: &str| {
        p.replace("{id}", &tx_id)
            .replace("{asset}", "TLF")
            .replace("{party}", "alpha")
            .replace("{wallet}", &alpha_wallet)
            .replace("{fund}", "ATLAS")
            .replace("{height}", "50")
            .replace("{security}", "US912796Y601")
            .replace("{ccp}", "cme")
            + if p.ends_with("/yield") { "?price=99.651556&settlement=2026-01-02&maturity=2026-01-30" } else { "" }
            + if p.ends_with("/statement") { "?from=2026-01-01&to=2026-03-31" } else { "" }
    };

    // Every GET route, as the operator, as an investor and anonymously (the collateral routes on
    // a ledger with a clearing house, below).
    let here = |p: &str| p != "/v1/events" && !COLLATERAL_ROUTES.iter().any(|(_, c)| *c == p);
    for (method, path) in ROUTES.iter().filter(|(m, p)| *m == "GET" && here(p)) {
        let url = format!("{base}{}", sample(path));
        let a = http(method, &url, Some(&operator), None);
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        c.check(method, path, &a);
        for t in [Some(alpha.as_str()), None] {
            let a = http(method, &url, t, None);
            c.check(method, path, &a);
        }
    }

    // A bill quote, figures as TreasuryDirect published them (DOMAIN.md: the 4-week bill
    // 912796Y60, 28 days, price 99.651556 → discount rate 4.480%, investment rate 4.558%).
    let q = http("GET", &format!("{base}{}", sample("/v1/securities/{security}/yield")), None, None).json();
    let figures = ["cusip", "days_to_maturity", "price_per_100", "discount_rate_pct", "investment_rate_pct"]
        .map(|k| q[k].clone());
    assert_eq!(figures, [json!("912796Y60"), json!(28), json!("99.651556"), json!("4.480"), json!("4.558")], "{q}");

    // The event stream: named `block` events carrying blocks as `/v1/blocks/{height}` shows them.
    let res = ureq::get(&format!("{base}/v1/events?from=1")).set("Authorization", &format!("Bearer {operator}")).call();
    let res = res.expect("the stream opens");
    assert_eq!(res.status(), 200);
    assert_eq!(res.header("content-type"), Some("text/event-stream"));
    c.seen.insert(("GET".into(), "/v1/events".into(), 200));
    let mut lines = BufReader::new(res.into_reader()).lines();
    let data = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("data:").map(|d| d.trim().to_string()))
        .expect("an event");
    let block: Value = serde_json::from_str(&data).expect("JSON data");
    assert_eq!(block["height"], 1);
    c.validate(&json!({"$ref": "#/components/schemas/BlockView"}), &block).expect("a block");
    drop(lines);

    // Writes: prepare, sign, submit; the same again (a replay); a journaled failure; a bad
    // signature; a batch.
    let op_key = Keypair::insecure_from_name("operator");
    // A fixed expiry, so the bodies (and the examples captured from them) are the same bytes
    // every run.
    let prepare = |ops: Value| {
        let body = json_body(json!({"signer": op_key.wallet(), "ops": ops, "expires_at": "2099-01-01T00:00:00Z"}));
        http("POST", &format!("{base}/v1/transactions/prepare"), None, body)
    };
    let p1 = prepare(json!([{"register_party": {"party": "openapi-test", "name": "OpenAPI", "kind": "institution"}}]));
    c.check("POST", "/v1/transactions/prepare", &p1);
    let p1 = p1.json();
    let id: [u8; 32] = hex::decode(p1["id"].as_str().unwrap()).unwrap().try_into().unwrap();
    let signed = json!({"body_hex": p1["body_hex"], "signature": hex::encode(op_key.sign(&id))});
    let submit = |v: &Value| http("POST", &format!("{base}/v1/transactions"), None, json_body(v.clone()));
    let a = submit(&signed);
    assert_eq!(a.status, 200, "{}", a.body);
    c.check("POST", "/v1/transactions", &a);
    let a = submit(&signed);
    assert_eq!(a.status, 409, "a replay: {}", a.body);
    c.check("POST", "/v1/transactions", &a);
    let bad_sig = json!({"body_hex": p1["body_hex"], "signature": "00".repeat(64)});
    let a = submit(&bad_sig);
    assert_eq!(a.status, 400, "{}", a.body);
    c.check("POST", "/v1/transactions", &a);
    let p2 = prepare(json!([{"register_party": {"party": "alpha", "name": "Again", "kind": "fund"}}])).json();
    let id: [u8; 32] = hex::decode(p2["id"].as_str().unwrap()).unwrap().try_into().unwrap();
    let a = submit(&json!({"body_hex": p2["body_hex"], "signature": hex::encode(op_key.sign(&id))}));
    assert_eq!(a.status, 422, "party.exists, journaled: {}", a.body);
    c.check("POST", "/v1/transactions", &a);
    assert!(a.json()["tx"].is_string() && a.json()["height"].is_u64());
    let a = prepare(json!([{"mint": {"asset": "bad symbol", "to": op_key.wallet(), "amount": 1}}]));
    assert_eq!(a.status, 400, "asset.invalid, refused before anything is journaled: {}", a.body);
    c.check("POST", "/v1/transactions/prepare", &a);
    let p3 = prepare(json!([{"register_party": {"party": "openapi-batch", "name": "Batch", "kind": "fund"}}])).json();
    let body: tessera_core::tx::TxBody = serde_json::from_value(p3["body"].clone()).expect("the body round-trips");
    let tx = hex::encode(body.sign(&op_key).to_bytes());
    let a = http("POST", &format!("{base}/v1/transactions/batch"), None, json_body(json!({"txs": [tx, "00"]})));
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!((a.json()["committed"].as_u64(), a.json()["not_committed"].as_u64()), (Some(1), Some(1)));
    c.check("POST", "/v1/transactions/batch", &a);

    // Pre-checks, auth and the problems of bodies and parameters.
    let intent = json!({"transfer": {"asset": "TLF", "from": alpha_wallet, "to": op_key.wallet(), "amount": 1}});
    for t in [Some(&operator), Some(&alpha), None] {
        let a = http("POST", &format!("{base}/v1/precheck"), t.map(|s| s.as_str()), json_body(intent.clone()));
        c.check("POST", "/v1/precheck", &a);
    }
    // A body naming what the ledger does not hold cannot be read: 400 with the code, not the
    // 404 the same code answers when the asset is the resource in the path.
    let unknown = json!({"transfer": {"asset": "NOPE", "from": alpha_wallet, "to": op_key.wallet(), "amount": 1}});
    let a = http("POST", &format!("{base}/v1/precheck"), Some(operator.as_str()), json_body(unknown));
    assert_eq!((a.status, a.json()["code"].as_str()), (400, Some("asset.unknown")), "{}", a.body);
    c.check("POST", "/v1/precheck", &a);
    let a = prepare(json!([{"mint": {"asset": "NOPE", "to": op_key.wallet(), "amount": "1.5"}}]));
    assert_eq!((a.status, a.json()["code"].as_str()), (400, Some("asset.unknown")), "{}", a.body);
    c.check("POST", "/v1/transactions/prepare", &a);
    // (method, documented path, URL path, token, body, expected status and code)
    type Case<'a> = (&'a str, &'a str, String, Option<&'a str>, Option<(&'a str, String)>, (u16, &'a str));
    let op = Some(operator.as_str());
    let cases: Vec<Case> = vec![
        (
            "POST",
            "/v1/auth/challenge",
            "/v1/auth/challenge".into(),
            None,
            Some(("text/plain", "{}".into())),
            (415, "api.unsupported_media_type"),
        ),
        (
            "POST",
            "/v1/auth/challenge",
            "/v1/auth/challenge".into(),
            None,
            json_body(json!({"wallet": 1})),
            (400, "api.bad_request"),
        ),
        (
            "POST",
            "/v1/auth/challenge",
            "/v1/auth/challenge".into(),
            None,
            json_body(json!({"wallet": "00".repeat(32), "pad": "x".repeat(70_000)})),
            (413, "api.payload_too_large"),
        ),
        (
            "POST",
            "/v1/auth/token",
            "/v1/auth/token".into(),
            None,
            json_body(json!({"wallet": alpha_wallet, "challenge": "x", "signature": "00"})),
            (401, "api.unauthenticated"),
        ),
        (
            "POST",
            "/v1/transactions/batch",
            "/v1/transactions/batch".into(),
            None,
            json_body(json!({"txs": []})),
            (400, "api.bad_request"),
        ),
        ("GET", "/v1/assets", "/v1/assets".into(), Some("junk"), None, (401, "api.unauthenticated")),
        ("GET", "/v1/alerts", "/v1/alerts".into(), Some(alpha.as_str()), None, (403, "api.forbidden")),
        ("GET", "/v1/blocks", "/v1/blocks?bogus=1".into(), None, None, (400, "api.bad_request")),
        ("GET", "/v1/blocks/{height}", "/v1/blocks/99999".into(), None, None, (404, "api.not_found")),
        ("GET", "/v1/funds/{fund}", "/v1/funds/NOPE".into(), None, None, (404, "fund.unknown")),
        ("GET", "/v1/assets/{asset}/holders", "/v1/assets/TLF/holders?height=40".into(), op, None, (200, "")),
        ("GET", "/v1/assets/{asset}/register", "/v1/assets/TLF/register?height=40".into(), op, None, (200, "")),
        ("GET", "/v1/parties/{party}", "/v1/parties/bravo".into(), Some(alpha.as_str()), None, (403, "api.forbidden")),
        ("GET", "/v1/parties/{party}", "/v1/parties/nobody".into(), op, None, (404, "party.unknown")),
        (
            "GET",
            "/v1/wallets/{wallet}/statement",
            format!("/v1/wallets/{alpha_wallet}/statement?from=2026-02-01&to=2026-01-01"),
            op,
            None,
            (400, "input.invalid"),
        ),
        (
            "GET",
            "/v1/parties/{party}/statement",
            "/v1/parties/alpha/statement?from=2026-01-01".into(),
            op,
            None,
            (400, "api.bad_request"),
        ),
        (
            "GET",
            "/v1/transactions/{id}",
            format!("/v1/transactions/{}", "ab".repeat(32)),
            op,
            None,
            (404, "api.not_found"),
        ),
        ("GET", "/v1/wallets/{wallet}/locks", "/v1/wallets/xyz/locks".into(), op, None, (400, "api.bad_request")),
        (
            "GET",
            "/v1/securities/{security}/yield",
            "/v1/securities/GB0002634946/yield?price=99".into(),
            None,
            None,
            (400, "identifier.not_us_isin"),
        ),
        (
            "GET",
            "/v1/securities/{security}/yield",
            "/v1/securities/912796Y60/yield?yield=4".into(),
            None,
            None,
            (400, "api.bad_request"),
        ),
        (
            "GET",
            "/v1/securities/{security}/yield",
            "/v1/securities/912796Y60/yield?price=99".into(),
            None,
            None,
            (400, "bill.no_maturity"),
        ),
        (
            "GET",
            "/v1/securities/{security}/yield",
            "/v1/securities/912796Y60/yield?price=250&settlement=2026-01-02&maturity=2026-01-30".into(),
            None,
            None,
            (400, "bill.bad_price"),
        ),
    ];
    for (method, template, url, t, body, (status, code)) in cases {
        let a = http(method, &format!("{base}{url}"), t, body);
        assert_eq!(a.status, status, "{method} {url}: {}", a.body);
        if status >= 400 {
            assert_eq!(a.json()["code"], code, "{method} {url}");
        }
        c.check(method, template, &a);
    }

    // Outside the routes: an unknown path (404) and a known path with another method (405).
    c.check_problem(&http("GET", &format!("{base}/v1/nothing"), None, None), 404, "api.not_found");
    let matches = |template: &str, path: &str| {
        let path = path.split('?').next().unwrap_or(path);
        let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
    };
    for (_, path) in ROUTES {
        let concrete = sample(path);
        for other in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            if ROUTES.iter().any(|(m, p)| *m == other && matches(p, &concrete)) {
                continue;
            }
            let a = http(other, &format!("{base}{concrete}"), None, None);
            c.check_problem(&a, 405, "api.method_not_allowed");
        }
    }

    // Every route was called and answered as documented (the collateral routes below).
    let called: BTreeSet<(String, String)> = c.seen.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    let elsewhere = route_set(COLLATERAL_ROUTES);
    assert_eq!(called, &route_set(ROUTES) - &elsewhere, "routes not exercised");
    let statuses: BTreeSet<u16> = c.seen.iter().map(|(_, _, s)| *s).collect();
    assert_eq!(statuses, BTreeSet::from([200, 400, 401, 403, 404, 409, 413, 415, 422]));
}

/// The routes answered from a ledger with a clearing house, a loan and an open call.
const COLLATERAL_ROUTES: &[(&str, &str)] =
    &[("GET", "/v1/clearing/{ccp}/margin"), ("GET", "/v1/pledges"), ("GET", "/v1/calls"), ("GET", "/v1/loans")];

#[test]
fn margin_reports_pledges_calls_and_loans_match_the_document_for_every_reader() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    scenario_ledger("collateral_views", &dir);
    let node = Node::start(&dir);
    let base = node.base.clone();
    let mut c = Contract { captures_examples: true, ..Contract::new() };
    // The operator holds the compliance officer role and the examiner the auditor's: both read
    // everything; alpha and bravo are members of cme, carol borrows from lender-bank.
    let readers = ["operator", "examiner", "cme", "alpha", "bravo", "carol", "lender"];
    let tokens: Vec<(&str, String)> = readers.iter().map(|r| (*r, token(&base, r))).collect();
    for (method, path) in COLLATERAL_ROUTES {
        let url = format!("{base}{}", path.replace("{ccp}", "cme"));
        for (who, t) in &tokens {
            let a = http(method, &url, Some(t), None);
            c.check(method, path, &a);
            if ["operator", "examiner"].contains(who) {
                assert_eq!(a.status, 200, "{who} {path}: {}", a.body);
                // Real rows, not empty lists, are what the schemas are checked against.
                let v = a.json();
                let rows = v.as_array().or(v["members"].as_array()).expect("a list or a report");
                assert!(!rows.is_empty(), "{path}: {v}");
            }
        }
        c.check(method, path, &http(method, &url, None, None));
    }
    let op = tokens[0].1.as_str();
    let carol = tokens[5].1.as_str();
    for (url, t, (status, code)) in [
        ("/v1/clearing/alpha/margin", op, (400, "collateral.not_a_clearing_house")),
        ("/v1/clearing/nobody/margin", op, (404, "party.unknown")),
        ("/v1/clearing/cme/margin", carol, (403, "api.forbidden")),
    ] {
        let a = http("GET", &format!("{base}{url}"), Some(t), None);
        assert_eq!((a.status, a.json()["code"].as_str()), (status, Some(code)), "{url}: {}", a.body);
        c.check("GET", "/v1/clearing/{ccp}/margin", &a);
    }
    let called: BTreeSet<(String, String)> = c.seen.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    assert_eq!(called, route_set(COLLATERAL_ROUTES));
}

#[test]
fn settlement_instructions_in_every_state_match_the_document() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    scenario_ledger("settlement_failures", &dir);
    let node = Node::start(&dir);
    let mut c = Contract::new();
    let operator = token(&node.base, "operator");
    let a = http("GET", &format!("{}/v1/instructions", node.base), Some(&operator), None);
    c.check("GET", "/v1/instructions", &a);
    let states: BTreeSet<String> =
        a.json().as_array().unwrap().iter().map(|i| i["status"]["status"].as_str().unwrap().to_string()).collect();
    assert!(states.len() >= 4, "the scenario leaves instructions in several states: {states:?}");
}

#[test]
fn rate_and_time_limits_answer_documented_problems() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    scenario_ledger("fund_buidl_90_days", &dir);
    let mut c = Contract::new();
    {
        // One request per second, no burst: the second anonymous request from this address waits.
        let node = Node::start_with(NodeConfig { rate_limit_per_s: 1, rate_limit_burst: 1, ..Node::config(&dir) });
        let url = format!("{}/v1/assets", node.base);
        assert_eq!(http("GET", &url, None, None).status, 200);
        let a = http("GET", &url, None, None);
        assert_eq!((a.status, a.json()["code"].as_str()), (429, Some("api.rate_limited")), "{}", a.body);
        assert!(a.headers.contains_key("retry-after"));
        c.check("GET", "/v1/assets", &a);
    }
    {
        // No time at all: a request that waits on the journal (replaying 50 blocks) runs out of it.
        let node = Node::start_with(NodeConfig { request_timeout_ms: 0, ..Node::config(&dir) });
        let operator = token(&node.base, "operator");
        let a = http("GET", &format!("{}/v1/assets/TLF/holders?height=50", node.base), Some(&operator), None);
        assert_eq!((a.status, a.json()["code"].as_str()), (503, Some("api.timeout")), "{}", a.body);
        c.check("GET", "/v1/assets/{asset}/holders", &a);
    }
}

/// The golden fixtures hold one of every operation and every event (`crates/core/tests/golden`).
fn golden(kind: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../core/tests/golden/{kind}.json"));
    let entries: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    entries.into_iter().map(|e| e["json"].clone()).collect()
}

#[test]
fn every_operation_and_event_writes_each_amount_twice_as_the_document_says_and_reads_back() {
    use tessera_core::output::{read_back, write_event, write_ops};
    let c = Contract::new();
    // No asset is known to an empty ledger: every decimal is null, every minor amount kept. An
    // amount field missing from the tables stays a bare integer, which the document refuses.
    let st = tessera_core::state::State::empty();
    let ops = golden("op");
    let mut written = Value::Array(ops.clone());
    write_ops(&st, &mut written);
    c.validate(&json!({"type": "array", "items": {"$ref": "#/components/schemas/Op"}}), &written)
        .unwrap_or_else(|e| panic!("operations as answers write them: {e}"));
    assert!(written.to_string().contains("\"amount_units\""), "some operation holds an amount");
    read_back(&mut written);
    for (back, op) in written.as_array().unwrap().iter().zip(&ops) {
        assert_eq!(back, op, "the operation reads back to what it was");
    }
    for event in golden("event") {
        let mut w = event.clone();
        write_event(&st, &mut w);
        c.validate(&json!({"$ref": "#/components/schemas/Event"}), &w)
            .unwrap_or_else(|e| panic!("{event}: as answers write it: {e}"));
        read_back(&mut w);
        assert_eq!(w, event, "the event reads back to what it was");
    }
}

#[test]
fn no_answer_of_any_route_holds_minor_units_without_the_decimal_beside_them() {
    let doc = doc();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => o.iter().for_each(|(k, x)| match (k.as_str(), x.as_str()) {
                ("$ref", Some(r)) => out.push(r.trim_start_matches('#').to_string()),
                _ => refs(x, out),
            }),
            Value::Array(items) => items.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    // Every schema an answer of a route can reach.
    let mut todo = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            refs(&op["responses"], &mut todo);
        }
    }
    // Pointers into the document (`/components/responses/…`, `/components/schemas/…`).
    let mut seen = BTreeSet::new();
    while let Some(pointer) = todo.pop() {
        if seen.insert(pointer.clone()) {
            refs(doc.pointer(&pointer).unwrap_or_else(|| panic!("{pointer} is in the document")), &mut todo);
        }
    }
    let reached: BTreeSet<String> =
        seen.iter().filter_map(|p| p.strip_prefix("/components/schemas/")).map(str::to_string).collect();
    // Each object's properties: minor units only as `x_units`, beside a decimal `x`.
    fn check(name: &str, v: &Value, bad: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(props) = o.get("properties").and_then(Value::as_object) {
                    for (k, p) in props {
                        let is_units = p.to_string().contains("\"#/components/schemas/Amount\"")
                            && p.get("properties").is_none()
                            && p.get("items").is_none();
                        match k.strip_suffix("_units") {
                            Some(base) if is_units => {
                                let twin = props.get(base).map(Value::to_string).unwrap_or_default();
                                if !twin.contains("\"#/components/schemas/DecimalAmount\"") {
                                    bad.push(format!("{name}.{k} has no decimal {base}"));
                                }
                            }
                            None if is_units => bad.push(format!("{name}.{k} is minor units alone")),
                            _ => {}
                        }
                    }
                }
                o.values().for_each(|x| check(name, x, bad));
            }
            Value::Array(items) => items.iter().for_each(|x| check(name, x, bad)),
            _ => {}
        }
    }
    let mut bad = Vec::new();
    for name in &reached {
        check(name, &schemas[name], &mut bad);
    }
    assert!(reached.contains("BalanceRow") && reached.contains("EventMinted") && reached.contains("Valuation"));
    assert_eq!(bad, Vec::<String>::new());
}
