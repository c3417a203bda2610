//! `docs/formats.md` stays true: its test vectors (a signed transfer, Merkle roots, a block
//! header) are computed here from the code and must appear in the document exactly as the code
//! gives them. After a deliberate change, rewrite the section with
//! `UPDATE_DOCS=1 cargo test -p tessera-core --test formats`.

use std::path::{Path, PathBuf};
use tessera_core::block::{merkle_root, BlockHeader};
use tessera_core::crypto::{self, Keypair};
use tessera_core::op::{self, Op};
use tessera_core::tx::TxBody;
use tessera_core::{Hash, Symbol, Time};

const START: &str = "<!-- vectors:start (written by crates/core/tests/formats.rs) -->";
const END: &str = "<!-- vectors:end -->";

fn doc_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/formats.md")
}

/// The vectors' transfer: alice sends bob 1,500,000 minor units of USDX.
fn transfer() -> (Keypair, Keypair, TxBody) {
    let alice = Keypair::insecure_from_name("alice");
    let bob = Keypair::insecure_from_name("bob");
    let body = TxBody {
        network: "formats-demo".into(),
        signer: alice.wallet(),
        seq: 1,
        expires_at: Time(1_767_225_600),
        ops: vec![Op::Transfer(op::Transfer { asset: Symbol::new("USDX"), to: bob.wallet(), amount: 1_500_000 })],
    };
    (alice, bob, body)
}

/// The vectors section as the code computes it.
fn vectors() -> String {
    let (alice, bob, body) = transfer();
    let body_bytes = borsh::to_vec(&body).unwrap();
    let id = body.id();
    let signed = body.clone().sign(&alice);
    assert!(crypto::verify(&alice.wallet(), &id.0, &signed.signature));
    let leaves: Vec<Hash> = ["a", "b", "c"].iter().map(|s| crypto::sha256(s.as_bytes())).collect();
    let header = BlockHeader {
        height: 1,
        prev: Hash([0x11; 32]),
        time: Time(1_767_225_600),
        tx_count: 1,
        tx_root: merkle_root(&[id]),
        receipt_root: Hash([0x22; 32]),
        state_digest: Hash([0x33; 32]),
    };
    let header_bytes = borsh::to_vec(&header).unwrap();
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<30} {v}\n"));
    line("alice.seed", hex::encode(alice.seed()));
    line("alice.wallet", alice.wallet().to_hex());
    line("bob.wallet", bob.wallet().to_hex());
    line("transfer.body", hex::encode(&body_bytes));
    line("transfer.id", id.to_hex());
    line("transfer.signature", hex::encode(signed.signature));
    line("transfer.signed_tx", hex::encode(signed.to_bytes()));
    line("h(a) = sha256(\"a\")", leaves[0].to_hex());
    line("h(b)", leaves[1].to_hex());
    line("h(c)", leaves[2].to_hex());
    line("merkle.root([])", merkle_root(&[]).to_hex());
    line("merkle.root([h(a)])", merkle_root(&leaves[..1]).to_hex());
    line("merkle.root([h(a),h(b)])", merkle_root(&leaves[..2]).to_hex());
    line("merkle.root([h(a),h(b),h(c)])", merkle_root(&leaves).to_hex());
    line("header.bytes", hex::encode(&header_bytes));
    line("header.hash", header.hash().to_hex());
    format!("{START}\n```text\n{out}```\n{END}")
}

#[test]
fn the_test_vectors_in_docs_formats_md_are_what_the_code_computes() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/formats.md");
    let (Some(a), Some(b)) = (doc.find(START), doc.find(END)) else {
        panic!("docs/formats.md has no vectors section between {START} and {END}")
    };
    let now = &doc[a..b + END.len()];
    let want = vectors();
    if now != want && std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(doc_path(), doc.replacen(now, &want, 1)).expect("write docs/formats.md");
        return;
    }
    assert_eq!(
        now, want,
        "docs/formats.md's vectors are stale: UPDATE_DOCS=1 cargo test -p tessera-core --test formats"
    );
}

/// The rules the document states, checked on the vectors themselves (so a reader who follows
/// the text gets the same bytes).
#[test]
fn the_layout_the_document_describes_rebuilds_the_transfer_byte_for_byte() {
    let (alice, bob, body) = transfer();
    // By hand, as docs/formats.md lays it out.
    let mut by_hand = Vec::new();
    let network = b"formats-demo";
    by_hand.extend((network.len() as u32).to_le_bytes());
    by_hand.extend(network);
    by_hand.extend(alice.wallet().0);
    by_hand.extend(1u64.to_le_bytes());
    by_hand.extend(1_767_225_600u64.to_le_bytes());
    by_hand.extend(1u32.to_le_bytes()); // one operation
    by_hand.push(12); // transfer's tag: its place in the operation list
    by_hand.extend(4u32.to_le_bytes());
    by_hand.extend(b"USDX");
    by_hand.extend(bob.wallet().0);
    by_hand.extend(1_500_000u128.to_le_bytes());
    assert_eq!(by_hand, borsh::to_vec(&body).unwrap());
    let id = crypto::sha256_parts(&[b"tessera/tx/v1", &by_hand]);
    assert_eq!(id, body.id());
    // Merkle: leaf = H(0x00 ‖ h), node = H(0x01 ‖ left ‖ right), an odd node carried up.
    let l: Vec<Hash> = ["a", "b", "c"].iter().map(|s| crypto::sha256(s.as_bytes())).collect();
    let leaf = |h: &Hash| crypto::sha256_parts(&[&[0u8], &h.0]);
    let node = |a: &Hash, b: &Hash| crypto::sha256_parts(&[&[1u8], &a.0, &b.0]);
    assert_eq!(merkle_root(&l), node(&node(&leaf(&l[0]), &leaf(&l[1])), &leaf(&l[2])));
    assert_eq!(merkle_root(&[]), crypto::sha256(b"tessera/merkle/empty"));
}

#[test]
fn a_client_that_signs_the_body_instead_of_the_id_is_told_what_to_sign() {
    let (alice, _, body) = transfer();
    let wrong = alice.sign(&borsh::to_vec(&body).unwrap());
    let tx = tessera_core::tx::SignedTx { body, signature: wrong };
    let refusal = tessera_core::tx::CheckedTx::from_decoded(tx).unwrap_err();
    assert_eq!(refusal.code, tessera_core::Code::TxBadSignature);
    assert!(
        refusal.message.contains("sign the 32 bytes of the transaction id")
            && refusal.message.contains("SHA-256(\"tessera/tx/v1\"")
            && refusal.message.contains("docs/formats.md"),
        "{}",
        refusal.message
    );
}
