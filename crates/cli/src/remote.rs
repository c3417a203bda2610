//! `--node URL`: the CLI as a client of a running node's HTTP API. Problems come back as
//! the same `error[code]: message` the embedded commands print.

use serde_json::{json, Value};
use tessera_core::crypto::Keypair;
use tessera_core::{Code, Refusal};

pub struct Remote {
    base: String,
    agent: ureq::Agent,
    token: Option<String>,
}

/// A problem document (or a transport failure) as a refusal with its stable code.
fn refusal_from(e: ureq::Error) -> Refusal {
    match e {
        ureq::Error::Status(status, res) => {
            let text = res.into_string().unwrap_or_default();
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = v["code"].as_str().and_then(Code::parse).unwrap_or(Code::InputInvalid);
            let mut msg = v["detail"].as_str().map(str::to_string).unwrap_or_else(|| format!("HTTP {status}: {text}"));
            if let (Some(tx), Some(h)) = (v["tx"].as_str(), v["height"].as_u64()) {
                msg = format!("journaled as FAILED {tx} in block {h}: {msg}");
            }
            Refusal::new(code, msg)
        }
        ureq::Error::Transport(t) => Refusal::new(Code::StoreIo, format!("cannot reach the node: {t}")),
    }
}

/// `s` percent-encoded for a URL path segment or query value: every byte but the unreserved
/// ones (a CUSIP may hold `#`, which would end the path).
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn json_of(res: ureq::Response) -> Result<Value, Refusal> {
    let text = res.into_string().map_err(|e| Refusal::new(Code::StoreIo, format!("cannot read the answer: {e}")))?;
    serde_json::from_str(&text).map_err(|e| Refusal::new(Code::InputInvalid, format!("bad answer from the node: {e}")))
}

impl Remote {
    pub fn new(base: &str) -> Remote {
        let agent = ureq::AgentBuilder::new().timeout(std::time::Duration::from_secs(60)).build();
        Remote { base: base.trim_end_matches('/').to_string(), agent, token: None }
    }

    /// Signs the node's challenge with `key` and keeps the access token; returns the node's
    /// answer (token, expiry, party).
    pub fn login(&mut self, key: &Keypair) -> Result<Value, Refusal> {
        let c = self.post("/v1/auth/challenge", &json!({"wallet": key.wallet()}))?;
        let challenge = c["challenge"].as_str().unwrap_or_default().to_string();
        let sig = hex::encode(key.sign(challenge.as_bytes()));
        let t =
            self.post("/v1/auth/token", &json!({"wallet": key.wallet(), "challenge": challenge, "signature": sig}))?;
        self.token = t["token"].as_str().map(str::to_string);
        Ok(t)
    }

    fn auth(&self, r: ureq::Request) -> ureq::Request {
        match &self.token {
            Some(t) => r.set("Authorization", &format!("Bearer {t}")),
            None => r,
        }
    }

    /// Decimals and funds' cash assets, from what the node publishes (`GET /v1/assets`,
    /// `GET /v1/funds`), to print amounts in their asset's units.
    pub fn asset_book(&self) -> Result<crate::views::AssetBook, Refusal> {
        fn typed<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, Refusal> {
            serde_json::from_value(v)
                .map_err(|e| Refusal::new(Code::InputInvalid, format!("bad answer from the node: {e}")))
        }
        let assets: Vec<tessera_node::query::AssetRow> = typed(self.get("/v1/assets")?)?;
        let funds: Vec<tessera_core::fund::Fund> = tessera_node::query::from_answer(self.get("/v1/funds")?)
            .map_err(|e| Refusal::new(Code::InputInvalid, format!("bad answer from the node: {e}")))?;
        Ok(crate::views::AssetBook::new(&assets, &funds))
    }

    pub fn get(&self, path: &str) -> Result<Value, Refusal> {
        let r = self.auth(self.agent.get(&format!("{}{path}", self.base)));
        let res = r.call().map_err(refusal_from)?;
        json_of(res)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value, Refusal> {
        let r = self.auth(self.agent.post(&format!("{}{path}", self.base)));
        let res = r.set("Content-Type", "application/json").send_string(&body.to_string()).map_err(refusal_from)?;
        json_of(res)
    }

    /// Prepares `ops` on the node (sequence number, network, expiry), signs the id here, and
    /// submits; answers once the block is durable.
    pub fn submit(&self, key: &Keypair, ops: Value) -> Result<Value, Refusal> {
        let p = self.post("/v1/transactions/prepare", &json!({"signer": key.wallet(), "ops": ops}))?;
        let id = p["id"].as_str().unwrap_or_default();
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(id, &mut bytes)
            .map_err(|_| Refusal::new(Code::InputInvalid, "the node's prepared id is not 64 hex digits"))?;
        // The id is the hash of the body: check it rather than sign what we were told.
        let body_hex = p["body_hex"].as_str().unwrap_or_default();
        let body: tessera_core::tx::TxBody = hex::decode(body_hex)
            .ok()
            .and_then(|b| borsh::from_slice(&b).ok())
            .ok_or_else(|| Refusal::new(Code::InputInvalid, "the node's prepared body does not decode"))?;
        if body.id().0 != bytes || body.signer != key.wallet() {
            return Err(Refusal::new(Code::InputInvalid, "the node's prepared id does not match its body"));
        }
        let sig = hex::encode(key.sign(&bytes));
        self.post("/v1/transactions", &json!({"body_hex": body_hex, "signature": sig}))
    }
}
