//! `docs/formats.md` stays true: its test vectors (a signed transfer, Merkle roots, a block
//! header) and its layout tables (every operation, event, receipt and block part) are computed
//! here from the code and must appear in the document exactly as the code gives them, and
//! `docs/formats/layouts.json` must be exactly `tessera_core::layouts::layouts_json()`. The
//! layouts are proven against the real bytes: every golden vector decodes, to its last byte,
//! with a decoder that knows nothing but that JSON. After a deliberate change, rewrite the
//! generated parts with `UPDATE_DOCS=1 cargo test -p tessera-core --test formats`.

use serde_json::Value;
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

/// Checks that docs/formats.md holds `want` (which starts with `start` and ends with `end`), or
/// writes it there under `UPDATE_DOCS`.
fn check_section(start: &str, end: &str, want: &str) {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/formats.md");
    let (Some(a), Some(b)) = (doc.find(start), doc.find(end)) else {
        panic!("docs/formats.md has no section between {start} and {end}")
    };
    let now = &doc[a..b + end.len()];
    if now != want && std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(doc_path(), doc.replacen(now, want, 1)).expect("write docs/formats.md");
        return;
    }
    assert_eq!(
        now, want,
        "docs/formats.md's section {start} is stale: UPDATE_DOCS=1 cargo test -p tessera-core --test formats"
    );
}

#[test]
fn the_test_vectors_in_docs_formats_md_are_what_the_code_computes() {
    check_section(START, END, &vectors());
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

// ---------------------------------------------------------------------------------------------
// Layouts: docs/formats/layouts.json and the tables in docs/formats.md.

const LAYOUTS_START: &str =
    "<!-- layouts:start (written by crates/core/tests/formats.rs from docs/formats/layouts.json) -->";
const LAYOUTS_END: &str = "<!-- layouts:end -->";

fn layouts_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/formats/layouts.json")
}

#[test]
fn docs_formats_layouts_json_is_what_the_code_generates() {
    let want = serde_json::to_string_pretty(&tessera_core::layouts::layouts_json()).unwrap() + "\n";
    let now = std::fs::read_to_string(layouts_path()).unwrap_or_default();
    if now != want && std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(layouts_path().parent().unwrap()).unwrap();
        std::fs::write(layouts_path(), &want).expect("write docs/formats/layouts.json");
        return;
    }
    assert!(now == want, "docs/formats/layouts.json is stale: UPDATE_DOCS=1 cargo test -p tessera-core --test formats");
}

#[test]
fn the_layout_tables_in_docs_formats_md_are_what_the_code_generates() {
    check_section(LAYOUTS_START, LAYOUTS_END, &layout_tables(&tessera_core::layouts::layouts_json()));
}

/// serde's `rename_all = "snake_case"`, which every event enum uses for its JSON names.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A named type (a struct or an enum of ours), as opposed to a primitive, a string or a
/// container whose name says its layout (`Vec<T>`, `Option<T>`, `[T; N]`, a tuple).
fn is_named(types: &serde_json::Map<String, Value>, name: &str) -> bool {
    matches!(types[name]["kind"].as_str(), Some("struct" | "enum"))
}

fn fields_cell(fields: &[Value]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("`{}`: `{}`", f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    if parts.is_empty() {
        "(none)".into()
    } else {
        parts.join(", ")
    }
}

fn field_table(fields: &[Value]) -> String {
    if fields.is_empty() {
        return "No fields (zero bytes).\n".into();
    }
    let mut out = String::from("| field | type |\n|---|---|\n");
    for f in fields {
        out.push_str(&format!("| `{}` | `{}` |\n", f["name"].as_str().unwrap(), f["type"].as_str().unwrap()));
    }
    out
}

fn variant_table(variants: &[Value]) -> String {
    let mut out = String::from("| tag | name | fields |\n|---|---|---|\n");
    for v in variants {
        out.push_str(&format!(
            "| {} | `{}` | {} |\n",
            v["tag"],
            v["name"].as_str().unwrap(),
            fields_cell(v["fields"].as_array().unwrap())
        ));
    }
    out
}

/// A named type's table: its fields in order (a struct) or its variants (an enum).
fn type_table(layout: &Value) -> String {
    match layout["kind"].as_str().unwrap() {
        "struct" => field_table(layout["fields"].as_array().unwrap()),
        "enum" => variant_table(layout["variants"].as_array().unwrap()),
        kind => panic!("no table for a {kind}"),
    }
}

/// One small table per variant of an enum whose variants are the things described (operations,
/// events). An operation's single field is its payload type, whose fields are shown.
fn per_variant(
    out: &mut String,
    types: &serde_json::Map<String, Value>,
    enum_name: &str,
    json_name: &dyn Fn(usize, &str) -> String,
    shown: &mut std::collections::BTreeSet<String>,
) {
    for v in types[enum_name]["variants"].as_array().unwrap() {
        let tag = v["tag"].as_u64().unwrap();
        let name = v["name"].as_str().unwrap();
        let fields = v["fields"].as_array().unwrap();
        out.push_str(&format!("#### {tag} `{}` ({name})\n\n", json_name(tag as usize, name)));
        match fields.as_slice() {
            [only] if only["name"] == "0" && is_named(types, only["type"].as_str().unwrap()) => {
                let payload = only["type"].as_str().unwrap();
                out.push_str(&format!("Payload `{payload}`:\n\n{}\n", type_table(&types[payload])));
                shown.insert(payload.to_string());
            }
            _ => out.push_str(&format!("{}\n", field_table(fields))),
        }
    }
}

/// The generated section of docs/formats.md, from the layouts JSON alone.
fn layout_tables(layouts: &Value) -> String {
    let types = layouts["types"].as_object().unwrap();
    let mut out = format!("{LAYOUTS_START}\n");
    let mut shown = std::collections::BTreeSet::new();
    let section = |out: &mut String, names: &[&str], shown: &mut std::collections::BTreeSet<String>| {
        for name in names {
            out.push_str(&format!("#### `{name}`\n\n{}\n", type_table(&types[*name])));
            shown.insert(name.to_string());
        }
    };
    out.push_str("### The block and its parts\n\n");
    section(
        &mut out,
        &["Block", "BlockHeader", "BlockBody", "GenesisSlot", "Genesis", "GenesisGrant", "SignedTx", "TxBody"],
        &mut shown,
    );
    out.push_str("### Receipts\n\n");
    section(&mut out, &["Receipt", "Outcome", "SystemReceipt", "YieldPayment"], &mut shown);
    out.push_str("### Operations (`Op`)\n\nThe heading gives the tag, the JSON name and the Rust name.\n\n");
    per_variant(&mut out, types, "Op", &|tag, _| op::Op::NAMES[tag].to_string(), &mut shown);
    shown.insert("Op".into());
    for (enum_name, title) in [
        ("Event", "Events (`Event`)"),
        ("FundEvent", "Fund events (`FundEvent`, inside `Event::Fund`)"),
        ("CollateralEvent", "Collateral events (`CollateralEvent`, inside `Event::Collateral`)"),
    ] {
        out.push_str(&format!("### {title}\n\nThe heading gives the tag, the JSON name and the Rust name.\n\n"));
        per_variant(&mut out, types, enum_name, &|_, name| snake(name), &mut shown);
        shown.insert(enum_name.into());
    }
    out.push_str("### Other types\n\nEvery other named type the tables above mention, by name.\n\n");
    let rest: Vec<&str> =
        types.keys().map(String::as_str).filter(|n| is_named(types, n) && !shown.contains(*n)).collect();
    for name in rest {
        out.push_str(&format!("#### `{name}`\n\n{}\n", type_table(&types[name])));
    }
    out.push_str(LAYOUTS_END);
    out
}

// ---------------------------------------------------------------------------------------------
// The layouts describe the real bytes: a decoder that reads only the JSON walks every golden
// vector to its last byte.

struct Decoder<'a> {
    types: &'a serde_json::Map<String, Value>,
    bytes: &'a [u8],
    at: usize,
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or(format!("{n} bytes past the end at {}", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn uint(&mut self, width: usize) -> Result<u64, String> {
        let b = self.take(width)?;
        let mut v = [0u8; 8];
        v[..width.min(8)].copy_from_slice(&b[..width.min(8)]);
        Ok(u64::from_le_bytes(v))
    }

    fn read(&mut self, name: &str) -> Result<(), String> {
        let layout = self.types.get(name).ok_or(format!("no layout for {name}"))?;
        let width = |key: &str| layout[key].as_u64().unwrap() as usize;
        match layout["kind"].as_str().unwrap() {
            "primitive" => {
                let first = self.take(width("width"))?.first().copied();
                if layout["repr"] == "bool" && first > Some(1) {
                    return Err(format!("{name}: {first:?} is not a bool"));
                }
            }
            "string" => {
                let n = self.uint(width("length_width"))? as usize;
                std::str::from_utf8(self.take(n)?).map_err(|e| format!("{name}: {e}"))?;
            }
            "sequence" => {
                let n = self.uint(width("length_width"))?;
                for _ in 0..n {
                    self.read(layout["element"].as_str().unwrap())?;
                }
            }
            "array" => {
                for _ in 0..layout["length"].as_u64().unwrap() {
                    self.read(layout["element"].as_str().unwrap())?;
                }
            }
            "option" => match self.uint(1)? {
                0 => {}
                1 => self.read(layout["element"].as_str().unwrap())?,
                t => return Err(format!("{name}: option tag {t}")),
            },
            "tuple" => {
                for e in layout["elements"].as_array().unwrap() {
                    self.read(e.as_str().unwrap())?;
                }
            }
            "struct" => {
                for f in layout["fields"].as_array().unwrap() {
                    self.read(f["type"].as_str().unwrap())?;
                }
            }
            "enum" => {
                let tag = self.uint(width("tag_width"))?;
                let variant = layout["variants"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|v| v["tag"].as_u64() == Some(tag))
                    .ok_or(format!("{name}: unknown tag {tag}"))?;
                for f in variant["fields"].as_array().unwrap() {
                    self.read(f["type"].as_str().unwrap())?;
                }
            }
            kind => return Err(format!("{name}: unknown kind {kind}")),
        }
        Ok(())
    }
}

/// Decodes `bytes` as `name` with the layouts alone; the bytes it did not consume, if any.
fn decode_with_layouts(layouts: &Value, name: &str, bytes: &[u8]) -> Result<usize, String> {
    let mut d = Decoder { types: layouts["types"].as_object().unwrap(), bytes, at: 0 };
    d.read(name)?;
    Ok(bytes.len() - d.at)
}

#[test]
fn every_golden_vector_decodes_to_its_last_byte_with_the_published_layouts_alone() {
    let layouts: Value =
        serde_json::from_str(&std::fs::read_to_string(layouts_path()).expect("docs/formats/layouts.json")).unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let files = [
        ("op", "Op"),
        ("event", "Event"),
        ("receipt", "Receipt"),
        ("system_receipt", "SystemReceipt"),
        ("block_header", "BlockHeader"),
        ("block", "Block"),
        ("tx", "SignedTx"),
        ("genesis", "Genesis"),
    ];
    let mut decoded = 0;
    for (file, root) in files {
        let entries: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(golden.join(format!("{file}.json"))).unwrap()).unwrap();
        for e in entries {
            let name = e["name"].as_str().unwrap();
            // tx.json holds bodies (named body_…) and signed transactions.
            let root = if name.starts_with("body_") { "TxBody" } else { root };
            let bytes = hex::decode(e["hex"].as_str().unwrap()).unwrap();
            match decode_with_layouts(&layouts, root, &bytes) {
                Ok(0) => decoded += 1,
                Ok(left) => panic!("{file}/{name}: {left} bytes left after a whole {root}"),
                Err(err) => panic!("{file}/{name} as {root}: {err}"),
            }
            // One byte short never decodes: the layout accounts for every byte.
            assert!(decode_with_layouts(&layouts, root, &bytes[..bytes.len() - 1]).is_err(), "{file}/{name} short");
        }
    }
    assert!(decoded > 200, "only {decoded} golden vectors decoded");
}

#[test]
fn the_event_names_in_the_layout_tables_are_the_json_names_of_the_golden_events() {
    let layouts = tessera_core::layouts::layouts_json();
    let variants = layouts["types"]["Event"]["variants"].as_array().unwrap().clone();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/event.json");
    let entries: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(golden).unwrap()).unwrap();
    for e in entries {
        let tag = u64::from(hex::decode(e["hex"].as_str().unwrap()).unwrap()[0]);
        let variant = variants.iter().find(|v| v["tag"].as_u64() == Some(tag)).unwrap();
        assert_eq!(e["json"]["event"].as_str().unwrap(), snake(variant["name"].as_str().unwrap()), "{}", e["name"]);
    }
}
