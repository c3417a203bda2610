//! Read access (A2): a wallet proves it holds its key by signing a challenge from the node and
//! receives a short-lived bearer token bound to that wallet. Challenges and tokens are
//! stateless: each carries its own expiry and an HMAC-SHA256 under a secret drawn at start-up
//! (so a restart invalidates every token; clients sign a new challenge).
//!
//! Who sees what is decided here, in one place ([`Caller`]): a party reads its own wallets,
//! holdings and transactions; auditors and compliance officers read everything; an issuer
//! agent reads the holders of the assets its role covers; operators (any role) read the
//! proposals. Published information — assets, funds and NAV, feeds, block headers — is public.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeSet;
use tessera_core::exec::Chain;
use tessera_core::state::State;
use tessera_core::{crypto, Code, Refusal, Role, Symbol, WalletId};

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

/// Who is asking, and what their roles let them read.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    /// The authenticated wallet (None: anonymous).
    pub wallet: Option<WalletId>,
    /// Every wallet of the caller's party.
    pub own: BTreeSet<WalletId>,
    pub party: Option<String>,
    /// Auditor or compliance officer: reads everything.
    pub sees_all: bool,
    /// Holds any governance role (reads proposals).
    pub operator: bool,
    /// Issuer agent for every asset (`None` in the set = all assets).
    pub issuer_for: BTreeSet<Option<Symbol>>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller::default()
    }

    /// Resolves an authenticated wallet against the ledger's parties and roles. A wallet
    /// retired by a recovery (its key lost or stolen) is refused: its tokens stop working at
    /// the block that retires it, and it gets no new one.
    pub fn resolve(chain: &Chain, wallet: WalletId) -> Result<Caller, Refusal> {
        let st = &chain.state;
        let mut c = Caller { wallet: Some(wallet), ..Caller::default() };
        let Some(&wi) = st.wallet_index.get(&wallet) else {
            return Ok(c);
        };
        let w = st.wallet(wi);
        if let Some(new) = w.retired_to {
            return Err(unauthenticated(format!(
                "wallet {} was retired by a wallet recovery (replaced by {}): it can no longer sign or read",
                wallet.short(),
                st.wallet(new).key.short()
            )));
        }
        let party = st.party(w.party);
        c.party = Some(party.id.as_str().to_string());
        c.own = party.wallets.iter().map(|i| st.wallet(*i).key).collect();
        c.sees_all = st.has_role(wi, Role::Auditor, None) || st.has_role(wi, Role::ComplianceOfficer, None);
        for (k, _) in st.roles.iter() {
            if k.wallet == wi {
                c.operator = true;
                if k.role == Role::IssuerAgent {
                    c.issuer_for.insert(k.asset.map(|a| st.asset(a).symbol.clone()));
                }
            }
        }
        Ok(c)
    }

    pub fn authenticated(&self) -> Result<(), Refusal> {
        match self.wallet {
            Some(_) => Ok(()),
            None => {
                Err(unauthenticated("this route needs a bearer token (POST /v1/auth/challenge, then /v1/auth/token)"))
            }
        }
    }

    fn forbidden(what: &str) -> Refusal {
        Refusal::new(Code::ApiForbidden, format!("{what} belongs to another party"))
    }

    /// May read this wallet's holdings, history and locks.
    pub fn may_read_wallet(&self, w: &WalletId) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.sees_all || self.own.contains(w) {
            Ok(())
        } else {
            Err(Self::forbidden("this wallet"))
        }
    }

    /// May read the holder register of an asset (its issuer's party, its issuer agents).
    pub fn may_read_holders(&self, st: &State, asset: &Symbol) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.sees_all || self.issuer_for.contains(&None) || self.issuer_for.contains(&Some(asset.clone())) {
            return Ok(());
        }
        let issuer = st.asset_idx(asset).ok().map(|a| st.party(st.asset(a).issuer).id.as_str().to_string());
        if issuer.is_some() && issuer == self.party {
            return Ok(());
        }
        Err(Refusal::new(
            Code::ApiForbidden,
            format!("the holders of {asset} are for its issuer, issuer agents and auditors"),
        ))
    }

    pub fn may_read_everything(&self, what: &str) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.sees_all {
            Ok(())
        } else {
            Err(Refusal::new(Code::ApiForbidden, format!("{what} are for auditors and compliance officers")))
        }
    }

    pub fn may_read_proposals(&self) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.sees_all || self.operator {
            Ok(())
        } else {
            Err(Refusal::new(Code::ApiForbidden, "proposals are for operators and auditors"))
        }
    }

    /// Whether a journaled transaction concerns the caller: signed by one of its wallets, or
    /// naming one in an operation or an event.
    pub fn sees_tx(&self, signer: &WalletId, ops_and_outcome_json: impl FnOnce() -> String) -> bool {
        if self.sees_all || self.own.contains(signer) {
            return true;
        }
        if self.own.is_empty() {
            return false;
        }
        let text = ops_and_outcome_json();
        self.own.iter().any(|w| text.contains(&w.to_hex()))
    }
}

pub fn now_s() -> u64 {
    crate::engine::system_time().0
}
