//! Read access (A2): a wallet proves it holds its key by signing a challenge from the node and
//! receives a short-lived bearer token bound to that wallet. Challenges and tokens are
//! stateless: each carries its own expiry and an HMAC-SHA256 under a secret drawn at start-up
//! (so a restart invalidates every token; clients sign a new challenge).
//!
//! Who sees what is decided in one place, the read model's [`crate::query::Viewer`]; this
//! module only proves which wallet is asking.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tessera_core::{crypto, Code, Refusal, WalletId};

type HmacSha256 = Hmac<Sha256>;

pub const CHALLENGE_TTL_S: u64 = 120;
const CHALLENGE_PREFIX: &str = "tessera-auth/v1";
const TOKEN_PREFIX: &str = "tsr1";

pub struct AuthKeys {
    secret: [u8; 32],
    pub token_ttl_s: u64,
    pub network: String,
}

fn unauthenticated(msg: impl Into<String>) -> Refusal {
    Refusal::new(Code::ApiUnauthenticated, msg)
}

impl AuthKeys {
    pub fn new(network: String, token_ttl_s: u64) -> AuthKeys {
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
        AuthKeys { secret, token_ttl_s, network }
    }

    fn mac(&self, parts: &[&str]) -> String {
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!());
        for p in parts {
            m.update(p.as_bytes());
            m.update(b"|");
        }
        hex::encode(m.finalize().into_bytes())
    }

    fn mac_ok(&self, parts: &[&str], mac: &str) -> bool {
        let Ok(bytes) = hex::decode(mac) else { return false };
        let mut m = <HmacSha256 as Mac>::new_from_slice(&self.secret).unwrap_or_else(|_| unreachable!());
        for p in parts {
            m.update(p.as_bytes());
            m.update(b"|");
        }
        m.verify_slice(&bytes).is_ok()
    }

    /// A challenge for `wallet` to sign (the exact UTF-8 bytes of the returned string).
    pub fn challenge(&self, wallet: &WalletId, now: u64) -> (String, u64) {
        let expires = now + CHALLENGE_TTL_S;
        let mut nonce = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
        let (w, e, n) = (wallet.to_hex(), expires.to_string(), hex::encode(nonce));
        let mac = self.mac(&[CHALLENGE_PREFIX, &self.network, &w, &e, &n]);
        (format!("{CHALLENGE_PREFIX}|{}|{w}|{e}|{n}|{mac}", self.network), expires)
    }

    /// Checks a signed challenge and issues a token: (token, expiry).
    pub fn token(
        &self,
        wallet: &WalletId,
        challenge: &str,
        signature: &str,
        now: u64,
    ) -> Result<(String, u64), Refusal> {
        let parts: Vec<&str> = challenge.split('|').collect();
        let [prefix, network, w, e, n, mac] = parts[..] else {
            return Err(unauthenticated("the challenge is not one this node issued"));
        };
        if prefix != CHALLENGE_PREFIX || !self.mac_ok(&[prefix, network, w, e, n], mac) {
            return Err(unauthenticated("the challenge is not one this node issued"));
        }
        if w != wallet.to_hex() {
            return Err(unauthenticated("the challenge was issued to another wallet"));
        }
        if e.parse::<u64>().map_or(true, |e| e < now) {
            return Err(unauthenticated("the challenge has expired; ask for a new one"));
        }
        let mut sig = [0u8; 64];
        if hex::decode_to_slice(signature, &mut sig).is_err() || !crypto::verify(wallet, challenge.as_bytes(), &sig) {
            return Err(unauthenticated("the signature does not verify for this wallet"));
        }
        let expires = now + self.token_ttl_s;
        let (w, e) = (wallet.to_hex(), expires.to_string());
        let mac = self.mac(&[TOKEN_PREFIX, &self.network, &w, &e]);
        Ok((format!("{TOKEN_PREFIX}.{w}.{e}.{mac}"), expires))
    }

    /// The wallet a bearer token was issued to, if the token is ours and unexpired.
    pub fn check_token(&self, token: &str, now: u64) -> Result<WalletId, Refusal> {
        let parts: Vec<&str> = token.split('.').collect();
        let [prefix, w, e, mac] = parts[..] else {
            return Err(unauthenticated("malformed token"));
        };
        if prefix != TOKEN_PREFIX || !self.mac_ok(&[prefix, &self.network, w, e], mac) {
            return Err(unauthenticated("the token is not one this node issued (or the node restarted)"));
        }
        if e.parse::<u64>().map_or(true, |e| e < now) {
            return Err(unauthenticated("the token has expired; sign a new challenge"));
        }
        WalletId::from_hex(w).ok_or_else(|| unauthenticated("malformed token"))
    }
}

pub fn now_s() -> u64 {
    crate::engine::system_time().0
}
