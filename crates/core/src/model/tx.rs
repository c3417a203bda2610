//! Transactions (L5): canonical bytes, signatures, and the checks that need no state.
//!
//! Canonical encoding is borsh: fixed-width little-endian integers, length-prefixed vectors
//! and strings, one byte per enum tag, no optional padding. Decoding refuses trailing bytes,
//! unknown tags, booleans other than 0/1 and invalid UTF-8, so every accepted byte string
//! re-encodes to itself (the fuzz target asserts this).
//!
//! What is signed: SHA-256("tessera/tx/v1" ‖ body), where the body carries the network id, the
//! signer, its sequence number, the expiry and the operations. That hash is the transaction id.

use crate::code::{refuse, Code, Refusal};
use crate::crypto::{self, Keypair};
use crate::op::{Op, MAX_OPS_PER_TX};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Largest encoded transaction accepted at the door.
pub const MAX_TX_BYTES: usize = 512 * 1024;
pub const MAX_NETWORK_LEN: usize = 32;
const TX_DOMAIN: &[u8] = b"tessera/tx/v1";

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TxBody {
    pub network: String,
    pub signer: WalletId,
    pub seq: u64,
    pub expires_at: Time,
    pub ops: Vec<Op>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct SignedTx {
    pub body: TxBody,
    pub signature: [u8; 64],
}

impl TxBody {
    /// The transaction id: the hash that is signed.
    pub fn id(&self) -> Hash {
        let bytes = borsh::to_vec(self).unwrap_or_default();
        crypto::sha256_parts(&[TX_DOMAIN, &bytes])
    }
    pub fn sign(self, key: &Keypair) -> SignedTx {
        let id = self.id();
        SignedTx { signature: key.sign(&id.0), body: self }
    }
}

impl SignedTx {
    pub fn id(&self) -> Hash {
        self.body.id()
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        borsh::to_vec(self).unwrap_or_default()
    }
    /// Decodes with the size limit first, then runs every check that needs no state.
    /// The signature is checked separately (`verify_signature`) so it can be batched.
    pub fn decode(bytes: &[u8]) -> Result<SignedTx, Refusal> {
        if bytes.len() > MAX_TX_BYTES {
            return refuse(Code::TxTooLarge, format!("{} bytes; the limit is {MAX_TX_BYTES}", bytes.len()));
        }
        let tx: SignedTx =
            borsh::from_slice(bytes).map_err(|e| Refusal::new(Code::TxMalformed, format!("cannot decode: {e}")))?;
        tx.check_stateless()?;
        Ok(tx)
    }
    pub fn check_network(network: &str) -> Result<(), Refusal> {
        if network.is_empty() || network.len() > MAX_NETWORK_LEN {
            return refuse(Code::TxMalformed, "network id must be 1 to 32 bytes");
        }
        Ok(())
    }
    pub fn check_stateless(&self) -> Result<(), Refusal> {
        let b = &self.body;
        Self::check_network(&b.network)?;
        if b.ops.is_empty() || b.ops.len() > MAX_OPS_PER_TX {
            return refuse(Code::TxBadOpCount, format!("{} operations; 1 to {MAX_OPS_PER_TX} allowed", b.ops.len()));
        }
        for op in &b.ops {
            op.check_stateless(0)?;
        }
        Ok(())
    }
    pub fn verify_signature(&self) -> Result<(), Refusal> {
        if crypto::verify(&self.body.signer, &self.id().0, &self.signature) {
            Ok(())
        } else {
            Err(bad_signature(&self.body.signer))
        }
    }
}

/// The refusal of a signature that does not verify, with what the signer should have signed:
/// a client signing the wrong bytes (the body, or a hex string) learns the layout here.
fn bad_signature(signer: &WalletId) -> Refusal {
    Refusal::new(
        Code::TxBadSignature,
        format!(
            "signature does not verify for wallet {}: sign the 32 bytes of the transaction id, \
             SHA-256(\"tessera/tx/v1\" followed by the body's canonical bytes), with the signer's Ed25519 key \
             (docs/formats.md)",
            signer.short()
        ),
    )
}

/// A transaction that passed decoding, stateless checks and signature verification, with its
/// id computed once.
#[derive(Clone, Debug)]
pub struct CheckedTx {
    pub tx: SignedTx,
    pub id: Hash,
}

impl CheckedTx {
    /// Full door check of one transaction (single signature verification).
    pub fn from_bytes(bytes: &[u8]) -> Result<CheckedTx, Refusal> {
        let tx = SignedTx::decode(bytes)?;
        CheckedTx::from_decoded(tx)
    }
    pub fn from_decoded(tx: SignedTx) -> Result<CheckedTx, Refusal> {
        tx.check_stateless()?;
        let id = tx.id();
        if !crypto::verify(&tx.body.signer, &id.0, &tx.signature) {
            return Err(bad_signature(&tx.body.signer));
        }
        Ok(CheckedTx { tx, id })
    }
    /// Checks many decoded transactions with one batch verification; falls back to one by one
    /// when the batch fails, so each bad one gets its own refusal.
    pub fn check_batch(txs: Vec<SignedTx>) -> Vec<Result<CheckedTx, Refusal>> {
        let ids: Vec<Hash> = txs.iter().map(|t| t.id()).collect();
        let stateless: Vec<Result<(), Refusal>> = txs.iter().map(|t| t.check_stateless()).collect();
        let items: Vec<(&WalletId, &[u8], &[u8; 64])> = txs
            .iter()
            .zip(&ids)
            .zip(&stateless)
            .filter(|(_, s)| s.is_ok())
            .map(|((t, id), _)| (&t.body.signer, &id.0[..], &t.signature))
            .collect();
        let all_good = crypto::verify_batch(&items);
        txs.into_iter()
            .zip(ids)
            .zip(stateless)
            .map(|((tx, id), st)| {
                st?;
                if !all_good && !crypto::verify(&tx.body.signer, &id.0, &tx.signature) {
                    return Err(bad_signature(&tx.body.signer));
                }
                Ok(CheckedTx { tx, id })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op;

    fn sample() -> SignedTx {
        let k = Keypair::insecure_from_name("alice");
        TxBody {
            network: "test".into(),
            signer: k.wallet(),
            seq: 1,
            expires_at: Time(100),
            ops: vec![Op::Transfer(op::Transfer { asset: Symbol::new("USDX"), to: WalletId([7; 32]), amount: 5 })],
        }
        .sign(&k)
    }

    #[test]
    fn round_trip_and_signature() {
        let tx = sample();
        let bytes = tx.to_bytes();
        let back = CheckedTx::from_bytes(&bytes).unwrap();
        assert_eq!(back.tx, tx);
        assert_eq!(back.id, tx.id());
    }

    #[test]
    fn every_single_byte_change_is_refused_or_changes_the_id() {
        let tx = sample();
        let bytes = tx.to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            match CheckedTx::from_bytes(&b) {
                Err(_) => {}
                Ok(c) => panic!("byte {i} flipped and still accepted as {:?}", c.id),
            }
        }
    }

    #[test]
    fn trailing_bytes_and_oversize_refused() {
        let mut bytes = sample().to_bytes();
        bytes.push(0);
        assert_eq!(SignedTx::decode(&bytes).unwrap_err().code, Code::TxMalformed);
        let big = vec![0u8; MAX_TX_BYTES + 1];
        assert_eq!(SignedTx::decode(&big).unwrap_err().code, Code::TxTooLarge);
    }

    /// The bytes of a transaction whose one operation is `depth` proposals nested in one another
    /// around an approval (built by hand: such a value is too deep to build as an `Op`).
    fn nested_proposals(depth: usize) -> Vec<u8> {
        let propose = borsh::to_vec(&Op::Propose(op::Propose { ops: vec![], expires_at: Time(0) })).unwrap();
        let mut b = borsh::to_vec(&("test".to_string(), [1u8; 32], 1u64, 100u64)).unwrap();
        b.extend(1u32.to_le_bytes());
        for _ in 0..depth {
            b.push(propose[0]);
            b.extend(1u32.to_le_bytes());
        }
        b.extend(borsh::to_vec(&Op::Approve(op::Approve { proposal: 1 })).unwrap());
        for _ in 0..depth {
            b.extend(100u64.to_le_bytes());
        }
        b.extend([0u8; 64]);
        b
    }

    #[test]
    fn deeply_nested_proposals_are_refused_without_exhausting_the_stack() {
        // One level decodes (the stateless checks judge it); a few more are refused as
        // malformed; a depth that once overflowed the stack is refused the same way.
        let one = SignedTx::decode(&nested_proposals(1));
        assert_eq!(one.unwrap_err().code, Code::GovernanceNestedProposal);
        let deep = nested_proposals(30_000);
        assert!(deep.len() < MAX_TX_BYTES);
        for bytes in [nested_proposals(8), deep] {
            assert_eq!(SignedTx::decode(&bytes).unwrap_err().code, Code::TxMalformed);
        }
        // Decoding left no depth behind: a proposal still decodes on this thread.
        let ok = TxBody {
            network: "test".into(),
            signer: WalletId([1; 32]),
            seq: 1,
            expires_at: Time(100),
            ops: vec![Op::Propose(op::Propose {
                ops: vec![Op::Approve(op::Approve { proposal: 1 })],
                expires_at: Time(100),
            })],
        };
        let bytes = SignedTx { body: ok.clone(), signature: [0; 64] }.to_bytes();
        let back: SignedTx = borsh::from_slice(&bytes).unwrap();
        assert_eq!(back.body, ok);
    }

    #[test]
    fn wrong_network_changes_what_is_signed() {
        let mut tx = sample();
        tx.body.network = "other".into();
        assert_eq!(tx.verify_signature().unwrap_err().code, Code::TxBadSignature);
    }

    #[test]
    fn batch_finds_the_bad_one() {
        let good = sample();
        let mut bad = sample();
        bad.signature[0] ^= 1;
        let out = CheckedTx::check_batch(vec![good.clone(), bad, good]);
        assert!(out[0].is_ok());
        assert_eq!(out[1].as_ref().unwrap_err().code, Code::TxBadSignature);
        assert!(out[2].is_ok());
    }
}
