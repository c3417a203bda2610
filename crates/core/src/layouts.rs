//! The byte layout of every type a journal holds, generated from the code: what an outside
//! reader (the Python verifier in `verifier/`, the portable export's preamble,
//! `docs/formats/layouts.json`) needs to decode a block, a signed transaction or a genesis
//! without the Rust types.
//!
//! The layouts come from borsh's own schema (`#[derive(BorshSchema)]` beside every
//! `BorshSerialize` in this crate, and hand-written schemas where the encoding is hand-written:
//! `block::genesis_slot`, `table::Table`), so they cannot drift from the bytes;
//! `tests/formats.rs` decodes every golden vector with a decoder driven only by this JSON.
//! The JSON is our own, documented shape (below), not borsh's internal one, so it stays stable
//! if borsh's schema types change.
//!
//! Shape (version 1):
//!
//! ```text
//! { "format": "tessera-layouts", "version": 1,
//!   "roots": { "block": "Block", "block_header": "BlockHeader", "block_body": "BlockBody",
//!              "signed_tx": "SignedTx", "tx_body": "TxBody", "genesis": "Genesis" },
//!   "types": { NAME: LAYOUT, … } }
//! LAYOUT = {"kind": "primitive", "width": N, "repr": "unsigned" | "signed" | "bool" | "unit"}
//!        | {"kind": "string", "length_width": 4}               (u32 byte count, UTF-8 bytes)
//!        | {"kind": "sequence", "length_width": W, "element": NAME}   (W-byte LE count, items)
//!        | {"kind": "array", "length": N, "element": NAME}     (N items, no count)
//!        | {"kind": "option", "element": NAME}                 (tag 0, or tag 1 then the item)
//!        | {"kind": "tuple", "elements": [NAME, …]}
//!        | {"kind": "struct", "fields": [FIELD, …]}            (fields in order, nothing between)
//!        | {"kind": "enum", "tag_width": 1, "variants": [{"tag": T, "name": S, "fields": [FIELD, …]}, …]}
//! FIELD  = {"name": S, "type": NAME}      (unnamed fields are named "0", "1", …)
//! ```
//!
//! Every NAME a layout mentions is a key of `types`. Names are the Rust type names as borsh
//! spells them (`Vec<Op>`, `Option<Time>`, `[u8; 32]`, `(WalletId, Vec<ClaimTopic>)`); only
//! the key matters to a decoder.

use crate::block::{Block, BlockBody, BlockHeader, Genesis};
use crate::tx::{SignedTx, TxBody};
use borsh::schema::{Declaration, Definition, Fields};
use borsh::BorshSchema;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The version of the JSON shape above. Changes only if the shape does (a new kind, a renamed
/// key); new types and variants appear without a new version.
pub const LAYOUTS_VERSION: u32 = 1;

/// The layouts of every type reachable from a block, a signed transaction and a genesis.
pub fn layouts_json() -> Value {
    let mut definitions = BTreeMap::new();
    Block::add_definitions_recursively(&mut definitions);
    SignedTx::add_definitions_recursively(&mut definitions);
    Genesis::add_definitions_recursively(&mut definitions);
    let roots = [
        ("block", Block::declaration()),
        ("block_body", BlockBody::declaration()),
        ("block_header", BlockHeader::declaration()),
        ("genesis", Genesis::declaration()),
        ("signed_tx", SignedTx::declaration()),
        ("tx_body", TxBody::declaration()),
    ];
    let types = convert(&definitions);
    for (_, name) in &roots {
        assert!(types.contains_key(name), "root {name} has no layout");
    }
    sorted(json!({
        "format": "tessera-layouts",
        "version": LAYOUTS_VERSION,
        "roots": roots.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<Map<String, Value>>(),
        "types": types.into_iter().collect::<Map<String, Value>>(),
    }))
}

/// Borsh's definitions in our shape. An enum variant's fields are written into the enum (borsh
/// describes each variant as a struct of its own, named `Enum__Variant`; those are dropped).
fn convert(definitions: &BTreeMap<Declaration, Definition>) -> BTreeMap<String, Value> {
    let struct_fields = |declaration: &str| -> Option<Vec<Value>> {
        match definitions.get(declaration)? {
            Definition::Struct { fields } => Some(fields_json(fields)),
            _ => None,
        }
    };
    let mut inlined = BTreeSet::new();
    let mut out = BTreeMap::new();
    for (name, definition) in definitions {
        let layout = match definition {
            Definition::Primitive(width) => json!({"kind": "primitive", "width": width, "repr": repr(name)}),
            Definition::Sequence { length_width, length_range, elements } => {
                if name == "String" && elements == "u8" && *length_width == 4 {
                    json!({"kind": "string", "length_width": 4})
                } else if *length_width == 0 && length_range.start() == length_range.end() {
                    json!({"kind": "array", "length": length_range.start(), "element": elements})
                } else if *length_width > 0 {
                    json!({"kind": "sequence", "length_width": length_width, "element": elements})
                } else {
                    panic!("{name}: a sequence without a count or a fixed length has no layout")
                }
            }
            Definition::Tuple { elements } => json!({"kind": "tuple", "elements": elements}),
            Definition::Struct { fields } => json!({"kind": "struct", "fields": fields_json(fields)}),
            Definition::Enum { tag_width, variants } => match option_of(variants) {
                Some(element) if *tag_width == 1 => json!({"kind": "option", "element": element}),
                _ => {
                    let variants: Vec<Value> = variants
                        .iter()
                        .map(|(tag, variant, declaration)| {
                            let fields = match struct_fields(declaration) {
                                Some(fields) => {
                                    inlined.insert(declaration.clone());
                                    fields
                                }
                                None => vec![json!({"name": "0", "type": declaration})],
                            };
                            json!({"tag": tag, "name": variant, "fields": fields})
                        })
                        .collect();
                    json!({"kind": "enum", "tag_width": tag_width, "variants": variants})
                }
            },
        };
        out.insert(name.clone(), layout);
    }
    for name in inlined {
        assert!(name.contains("__"), "{name} is used as an enum variant and as a type");
        out.remove(&name);
    }
    out
}

fn fields_json(fields: &Fields) -> Vec<Value> {
    match fields {
        Fields::NamedFields(named) => named.iter().map(|(n, t)| json!({"name": n, "type": t})).collect(),
        Fields::UnnamedFields(types) => {
            types.iter().enumerate().map(|(i, t)| json!({"name": i.to_string(), "type": t})).collect()
        }
        Fields::Empty => Vec::new(),
    }
}

/// The element type, if the enum is borsh's `Option` (tag 0 none, tag 1 the value).
fn option_of(variants: &[(i64, String, Declaration)]) -> Option<&str> {
    match variants {
        [(0, none, unit), (1, some, element)] if none == "None" && unit == "()" && some == "Some" => Some(element),
        _ => None,
    }
}

fn repr(primitive: &str) -> &'static str {
    match primitive {
        "bool" => "bool",
        "()" => "unit",
        p if p.starts_with('i') => "signed",
        p if p.starts_with('u') => "unsigned",
        p => panic!("primitive {p} has no layout (floats never reach the journal)"),
    }
}

/// The same value with every object's keys in order, whichever map serde_json is built with.
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let entries: BTreeMap<String, Value> = m.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_a_layout_mentions_has_a_layout() {
        let v = layouts_json();
        let types = v["types"].as_object().unwrap();
        let mut mentioned = Vec::new();
        for layout in types.values() {
            for key in ["element"] {
                if let Some(n) = layout.get(key).and_then(Value::as_str) {
                    mentioned.push(n.to_string());
                }
            }
            for e in layout.get("elements").and_then(Value::as_array).into_iter().flatten() {
                mentioned.push(e.as_str().unwrap().to_string());
            }
            let fields = layout.get("fields").and_then(Value::as_array).into_iter().flatten();
            let variant_fields = layout
                .get("variants")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .flat_map(|v| v["fields"].as_array().unwrap().iter());
            for f in fields.chain(variant_fields) {
                mentioned.push(f["type"].as_str().unwrap().to_string());
            }
        }
        for name in mentioned {
            assert!(types.contains_key(&name), "{name} is mentioned but has no layout");
        }
    }

    #[test]
    fn the_genesis_slot_is_described_with_its_three_tags() {
        let v = layouts_json();
        let slot = &v["types"]["GenesisSlot"];
        let names: Vec<(u64, &str)> = slot["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["tag"].as_u64().unwrap(), v["name"].as_str().unwrap()))
            .collect();
        assert_eq!(names, [(0, "None"), (1, "Genesis"), (2, "GenesisWithRules")]);
        assert_eq!(v["types"]["BlockBody"]["fields"][0], json!({"name": "genesis", "type": "GenesisSlot"}));
    }
}
