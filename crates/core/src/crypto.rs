//! Hashing and signatures. SHA-256 everywhere a digest is stored; Ed25519 for every signature.
//! Signatures are over a 32-byte, domain-separated hash of the canonical bytes, so a signature
//! made for one purpose (a transaction, a read challenge) can never be replayed as another.

use crate::types::{Hash, WalletId};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

pub fn sha256(data: &[u8]) -> Hash {
    Hash(Sha256::digest(data).into())
}

/// SHA-256 over several parts, without concatenating them first.
pub fn sha256_parts(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    Hash(h.finalize().into())
}

/// A wallet's secret key. Never printed, never logged.
pub struct Keypair {
    signing: SigningKey,
}

impl Keypair {
    pub fn from_seed(seed: [u8; 32]) -> Keypair {
        Keypair {
            signing: SigningKey::from_bytes(&seed),
        }
    }
    /// A key derived from a name. FOR TESTS AND DEMOS ONLY: anyone who knows the name knows
    /// the key. Scenario files use it so that actors can be named instead of configured.
    pub fn insecure_from_name(name: &str) -> Keypair {
        Keypair::from_seed(sha256_parts(&[b"tessera/insecure-test-key/v1/", name.as_bytes()]).0)
    }
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }
    pub fn wallet(&self) -> WalletId {
        WalletId(self.signing.verifying_key().to_bytes())
    }
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.signing.sign(msg).to_bytes()
    }
}

/// Verifies one signature strictly (rejects small-order keys and non-canonical encodings).
pub fn verify(wallet: &WalletId, msg: &[u8], sig: &[u8; 64]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(&wallet.0) else {
        return false;
    };
    key.verify(msg, &Signature::from_bytes(sig)).is_ok()
}

/// Verifies many signatures at once (about twice as fast per signature). On failure the
/// caller falls back to [`verify`] one by one to find the bad ones.
pub fn verify_batch(items: &[(&WalletId, &[u8], &[u8; 64])]) -> bool {
    if items.is_empty() {
        return true;
    }
    let mut keys = Vec::with_capacity(items.len());
    for (w, _, _) in items {
        match VerifyingKey::from_bytes(&w.0) {
            Ok(k) => keys.push(k),
            Err(_) => return false,
        }
    }
    let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| *m).collect();
    let sigs: Vec<Signature> = items
        .iter()
        .map(|(_, _, s)| Signature::from_bytes(s))
        .collect();
    ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let k = Keypair::insecure_from_name("alice");
        let sig = k.sign(b"hello");
        assert!(verify(&k.wallet(), b"hello", &sig));
        assert!(!verify(&k.wallet(), b"hellO", &sig));
        let other = Keypair::insecure_from_name("bob");
        assert!(!verify(&other.wallet(), b"hello", &sig));
        assert!(verify_batch(&[(&k.wallet(), b"hello", &sig)]));
        let bad = [0u8; 64];
        assert!(!verify_batch(&[
            (&k.wallet(), b"hello", &sig),
            (&other.wallet(), b"x", &bad)
        ]));
    }

    #[test]
    fn names_give_stable_distinct_keys() {
        assert_eq!(
            Keypair::insecure_from_name("a").wallet(),
            Keypair::insecure_from_name("a").wallet()
        );
        assert_ne!(
            Keypair::insecure_from_name("a").wallet(),
            Keypair::insecure_from_name("b").wallet()
        );
    }
}
