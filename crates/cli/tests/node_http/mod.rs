//! Shared by the tests that talk to a `tessera node` over real loopback HTTP (`http.rs`,
//! `console_act.rs`): a scenario's ledger in a fresh directory, a node started on it, and
//! calls with their status and JSON answer.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tessera_core::crypto::Keypair;
use tessera_core::tx::TxBody;

pub fn tessera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo ledger (parties, assets, roles: auditor, compliance officers, issuer agents,
/// pausers) in a fresh directory.
pub fn demo_ledger() -> (tempfile::TempDir, PathBuf) {
    scenario_ledger("demo")
}

/// The ledger a scenario file of `scenarios/` leaves, in a fresh directory.
pub fn scenario_ledger(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("ledger");
    let st = tessera()
        .args(["scenario", "run"])
        .arg(repo().join(format!("scenarios/{name}.yaml")))
        .arg("--data")
        .arg(&data)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
    (tmp, data)
}

pub struct Node {
    pub child: Child,
    pub base: String,
    pub log: Arc<Mutex<String>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `tessera node` on a free port with JSON logs; returns once it listens.
pub fn start(data: &Path, extra: &[&str]) -> Node {
    let mut child = tessera()
        .args(["node", "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "debug", "--data"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let l2 = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                if v["message"] == "listening" {
                    let _ = tx.send(v["listen"].as_str().unwrap_or_default().to_string());
                }
            }
            let mut g = l2.lock().unwrap();
            g.push_str(&line);
            g.push('\n');
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).expect("the node did not start listening");
    Node { child, base: format!("http://{addr}"), log }
}

pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build()
}

/// (status, content type, body as JSON or as a string).
pub fn call(req: ureq::Request, body: Option<(&str, &[u8])>) -> (u16, String, Value) {
    let res = match body {
        Some((ct, b)) => req.set("Content-Type", ct).send_bytes(b),
        None => req.call(),
    };
    let res = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport: {e}"),
    };
    let status = res.status();
    let ct = res.content_type().to_string();
    let text = res.into_string().unwrap();
    (status, ct, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

impl Node {
    /// The log once it contains `needle`: the node writes its log through a background
    /// writer, so a line can reach the pipe after the answer that it explains.
    pub fn log_containing(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.log.lock().unwrap().clone();
            if log.contains(needle) || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut r = agent().get(&format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.set("Authorization", &format!("Bearer {t}"));
        }
        let (s, _, v) = call(r, None);
        (s, v)
    }
    pub fn post(&self, path: &str, body: &Value, token: Option<&str>) -> (u16, Value) {
        let mut r = agent().post(&format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.set("Authorization", &format!("Bearer {t}"));
        }
        let (s, _, v) = call(r, Some(("application/json", body.to_string().as_bytes())));
        (s, v)
    }
    /// Signs the node's challenge with the demo key `name` and asks for a token: the answer.
    pub fn ask_token(&self, name: &str) -> (u16, Value) {
        let k = Keypair::insecure_from_name(name);
        let (s, c) = self.post("/v1/auth/challenge", &json!({"wallet": k.wallet()}), None);
        assert_eq!(s, 200, "{c}");
        let challenge = c["challenge"].as_str().unwrap();
        let sig = hex::encode(k.sign(challenge.as_bytes()));
        self.post("/v1/auth/token", &json!({"wallet": k.wallet(), "challenge": challenge, "signature": sig}), None)
    }
    /// A bearer token for the demo key `name`.
    pub fn token(&self, name: &str) -> String {
        let (s, t) = self.ask_token(name);
        assert_eq!(s, 200, "{t}");
        t["token"].as_str().unwrap().to_string()
    }
    /// Prepares, signs (as demo key `name`) and submits a transfer.
    pub fn transfer(&self, name: &str, asset: &str, to: &str, amount: u64) -> (u16, Value) {
        let k = Keypair::insecure_from_name(name);
        let to = Keypair::insecure_from_name(to).wallet();
        let ops = json!([{"transfer": {"asset": asset, "to": to, "amount": amount}}]);
        let (s, p) = self.post("/v1/transactions/prepare", &json!({"signer": k.wallet(), "ops": ops}), None);
        assert_eq!(s, 200, "{p}");
        let body: TxBody = borsh::from_slice(&hex::decode(p["body_hex"].as_str().unwrap()).unwrap()).unwrap();
        assert_eq!(hex::encode(body.id().0), p["id"].as_str().unwrap());
        let sig = hex::encode(k.sign(&body.id().0));
        self.post("/v1/transactions", &json!({"body_hex": p["body_hex"], "signature": sig}), None)
    }
    pub fn height(&self) -> u64 {
        self.get("/v1/status", None).1["height"].as_u64().unwrap()
    }
}

pub fn wallet(name: &str) -> String {
    Keypair::insecure_from_name(name).wallet().to_hex()
}
