//! The OpenAPI document (3.1), generated from the types the handlers answer with: each handler
//! in `routes.rs` carries `#[utoipa::path(..)]`, the answers derive `utoipa::ToSchema` (the
//! core's model behind its `openapi` feature), and the types whose serde is written by hand
//! (times, ids, amounts, problems) describe what they write. [`document`] builds it once.
//!
//! Three passes then make it easy on client generators, each a rule rather than a list:
//! every object variant of a `oneOf` becomes a named schema (`Event` is a `oneOf` of
//! `EventMinted`, `EventTransferred`, …: generators name classes after schemas, and inline
//! variants collide or get numbered); objects with fixed fields are closed
//! (`additionalProperties: false`, or `unevaluatedProperties: false` where `allOf` composes
//! them), so strict validation catches a field the document forgot; and responses carry the
//! examples of `examples.json`, real answers from a scenario ledger (captured and checked by
//! `crates/cli/tests/openapi.rs`; `docs/openapi.json` is a copy of this document).

use crate::query as q;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use utoipa::openapi::{self, RefOr};

pub(super) struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        use openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `/v1/auth/token`, bound to a wallet."))
                    .build(),
            ),
        );
    }
}

/// One server-sent event of `/v1/events`: the SSE fields as sent, `data` being the JSON of a
/// [`q::BlockView`]. (OpenAPI 3.1 has no item schema for streams: this names the event's
/// type, and the stream's response points to it.)
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct BlockEvent {
    /// Always `block`.
    #[schema(pattern = "^block$")]
    event: String,
    /// The block height (send it back as `Last-Event-ID` to resume after it).
    #[schema(pattern = "^[0-9]+$")]
    id: String,
    /// The block as `/v1/blocks/{height}` shows it to the caller, as JSON.
    data: q::BlockView,
}

/// The shared error responses: a problem document, one schema for all of them.
macro_rules! problem_responses {
    ($($name:ident = $description:literal $(, retry $required:literal)?;)*) => {
        $(
            pub(super) struct $name;

            impl<'r> utoipa::ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<openapi::Response>) {
                    #[allow(unused_mut)]
                    let mut r = openapi::ResponseBuilder::new().description($description).content(
                        "application/problem+json",
                        openapi::ContentBuilder::new()
                            .schema(Some(openapi::Ref::from_schema_name("Problem")))
                            .build(),
                    );
                    $(r = r.header("Retry-After", retry_after($required));)?
                    (stringify!($name), r.build().into())
                }
            }
        )*
    };
}

/// `Retry-After` (utoipa's `Header` has no `required`: [`finish`] sets it where it is).
fn retry_after(_always_sent: bool) -> openapi::header::Header {
    use openapi::schema::{ObjectBuilder, Type};
    openapi::header::HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)))
        .description(Some("Seconds to wait before retrying."))
        .build()
}

problem_responses! {
    BadRequest = "The request is malformed or refused before anything was journaled: bad JSON, an unknown field, a bad parameter (`api.bad_request`), or a transaction or operation refused by the stateless checks (`tx.*`, `field.*`, `identifier.*`, `amount.zero`, `party.bad_id`, `asset.invalid`, `policy.invalid`, `claim.invalid`, `input.invalid`, ...).";
    Unauthenticated = "No valid bearer token (`api.unauthenticated`): missing where one is needed, or invalid or expired.";
    Forbidden = "The caller may not read this, or the signer may not submit here (`api.forbidden`, `tx.unknown_signer`, `wallet.retired`).";
    NotFound = "Nothing by that name or number (`api.not_found`, `party.unknown`, `asset.unknown`, `fund.unknown`, ...).";
    Conflict = "Admission refused this transaction at this moment: expired, replayed or out of sequence (`tx.expired`, `tx.replayed`, `tx.sequence_gap`). Nothing was journaled.";
    PayloadTooLarge = "The body exceeds the node's limit (`api.payload_too_large`, `tx.too_large`).";
    UnsupportedMediaType = "The body is not `application/json` (`api.unsupported_media_type`).";
    Unprocessable = "The transaction was journaled with a failure receipt (its sequence number is used): the problem names the code of the failing operation, `tx` and `height`.";
    RateLimited = "Too many requests for this key (`api.rate_limited`).", retry true;
    ServerError = "The journal cannot be read as it should (`store.*`, `verify.mismatch`).";
    Unavailable = "The node cannot serve this now: busy, timed out, shutting down, not the leader, or its journal is unavailable (`api.busy`, `api.timeout`, `api.shutting_down`, `api.not_leader`, `store.*`).", retry false;
}

/// Real answers from a scenario ledger, by operation id (`crates/cli/tests/openapi.rs`
/// writes it with `UPDATE_DOCS=1` and otherwise checks every example against its schema).
pub const EXAMPLES: &str = include_str!("examples.json");

/// The document, as served at `/v1/openapi.json` (built once).
pub fn document() -> &'static str {
    static DOC: LazyLock<String> = LazyLock::new(|| document_with(EXAMPLES));
    &DOC
}

/// The document with other examples (`{operationId: {status: answer}}`, JSON): what
/// [`document`] will be once they are `examples.json`.
pub fn document_with(examples: &str) -> String {
    let mut v = serde_json::to_value(super::routes::api_doc()).expect("the document is JSON");
    let examples: Value = serde_json::from_str(examples).unwrap_or(Value::Null);
    finish(&mut v, &examples);
    let mut text = serde_json::to_string_pretty(&v).expect("the document is JSON");
    text.push('\n');
    text
}

/// The passes described at the top of this file.
fn finish(doc: &mut Value, examples: &Value) {
    let schemas = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut).map(std::mem::take);
    let mut schemas = schemas.unwrap_or_default();
    aliases(&mut schemas);
    schemas.values_mut().for_each(tuples);
    name_variants(&mut schemas);
    spread_compositions(&mut schemas);
    amount_pairs(&mut schemas);
    close_objects(&mut schemas);
    doc["components"]["schemas"] = Value::Object(schemas.into_iter().collect::<BTreeMap<_, _>>().into_iter().collect());
    if let Some(h) = doc.pointer_mut("/components/responses/RateLimited/headers/Retry-After") {
        h["required"] = json!(true);
    }
    // The document describes itself as an open object (any OpenAPI 3.1 document), so client
    // generators type it as a map rather than as an object with no fields.
    if let Some(media) = doc.pointer_mut("/paths/~1v1~1openapi.json/get/responses/200/content/application~1json") {
        media["schema"] = json!({"type": "object", "additionalProperties": true});
    }
    // The event stream's response names the event type it carries.
    if let Some(media) = doc.pointer_mut("/paths/~1v1~1events/get/responses/200/content/text~1event-stream") {
        media["schema"] = json!({"$ref": "#/components/schemas/BlockEvent"});
    }
    add_examples(doc, examples);
}

/// The schemas of the ledger's records that answers write with every amount twice
/// (`query::Written`, `tessera_core::output`), and what they hold.
const WRITTEN_RECORDS: &[&str] = &[
    "Op",
    "TxBody",
    "Event",
    "Receipt",
    "SystemReceipt",
    "Instruction",
    "Alert",
    "Redemption",
    "Proposal",
    "Fund",
    "Position",
    "DayIncome",
];

/// In the records answers write twice, every amount field `x` (minor units, as serde writes
/// the record) becomes the pair the answers hold: `x`, a `DecimalAmount` (null when the ledger
/// cannot tell the asset's decimals), and `x_units`, the `Amount` it was.
fn amount_pairs(schemas: &mut Map<String, Value>) {
    let mut todo: Vec<String> = WRITTEN_RECORDS.iter().map(|s| s.to_string()).collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.get(&name) {
            let mut refs = Vec::new();
            refs_of(schema, &mut refs);
            todo.extend(refs);
        }
    }
    for name in seen {
        if let Some(schema) = schemas.get_mut(&name) {
            pair_amounts(schema);
        }
    }
}

fn refs_of(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.extend(r.strip_prefix("#/components/schemas/").map(str::to_string)),
                    _ => refs_of(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| refs_of(x, out)),
        _ => {}
    }
}

/// Whether a property is an amount in minor units, and whether it may be null.
fn amount_property(p: &Value) -> Option<bool> {
    const AMOUNT: &str = "#/components/schemas/Amount";
    if p.get("$ref").and_then(Value::as_str) == Some(AMOUNT) {
        return Some(false);
    }
    let variants = p.get("oneOf")?.as_array()?;
    let amount = variants.iter().any(|v| v.get("$ref").and_then(Value::as_str) == Some(AMOUNT));
    let null = variants.iter().any(|v| v.get("type").and_then(Value::as_str) == Some("null"));
    (amount && variants.len() == if null { 2 } else { 1 }).then_some(null)
}

fn pair_amounts(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(props) = o.get_mut("properties").and_then(Value::as_object_mut) {
                let amounts: Vec<String> = props
                    .iter()
                    .filter(|(k, p)| !k.ends_with(tessera_core::input::UNITS_SUFFIX) && amount_property(p).is_some())
                    .map(|(k, _)| k.clone())
                    .collect();
                let mut twins = Vec::new();
                for key in amounts {
                    let Some(units) = props.remove(&key) else { continue };
                    let description = units.get("description").cloned();
                    let mut decimal =
                        json!({"oneOf": [{"$ref": "#/components/schemas/DecimalAmount"}, {"type": "null"}]});
                    if let Some(d) = description {
                        decimal["description"] = d;
                    }
                    let twin = format!("{key}{}", tessera_core::input::UNITS_SUFFIX);
                    props.insert(key.clone(), decimal);
                    props.insert(twin.clone(), units);
                    twins.push((key, twin));
                }
                if let Some(required) = o.get_mut("required").and_then(Value::as_array_mut) {
                    for (key, twin) in twins {
                        if required.iter().any(|r| r.as_str() == Some(key.as_str())) {
                            required.push(Value::String(twin));
                        }
                    }
                }
            }
            o.values_mut().for_each(pair_amounts);
        }
        Value::Array(items) => items.iter_mut().for_each(pair_amounts),
        _ => {}
    }
}

/// utoipa takes a type alias for a type of its own and names it after the aliased type: a
/// field of `Amount` (`u128`) that cannot say `#[schema(value_type = AmountSchema)]` (a tuple
/// variant's field) refers to a component `u128`, an index (`AssetIdx`, a `u32`) to `u32`.
/// Every `u128` in the JSON is an amount written by `amount_serde` (the only `u128` alias is
/// `Amount`), so it becomes `Amount`; the other primitives are written in place.
fn aliases(schemas: &mut Map<String, Value>) {
    const PRIMITIVES: [&str; 10] = ["u8", "u16", "u32", "u64", "u128", "i8", "i16", "i32", "i64", "i128"];
    let found: BTreeMap<String, Value> =
        PRIMITIVES.iter().filter_map(|p| schemas.remove(*p).map(|s| (p.to_string(), s))).collect();
    fn replace(v: &mut Value, found: &BTreeMap<String, Value>) {
        match v {
            Value::Object(m) => {
                let target =
                    m.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"));
                if let Some(p) = target.filter(|p| found.contains_key(*p)).map(str::to_string) {
                    m.remove("$ref");
                    if p == "u128" {
                        m.insert("$ref".into(), json!("#/components/schemas/Amount"));
                    } else if let Value::Object(inline) = &found[&p] {
                        m.extend(inline.clone());
                    }
                }
                m.values_mut().for_each(|x| replace(x, found));
            }
            Value::Array(a) => a.iter_mut().for_each(|x| replace(x, found)),
            _ => {}
        }
    }
    schemas.values_mut().for_each(|s| replace(s, &found));
}

/// A tuple (`prefixItems` with `items: false`) says its length with `minItems`/`maxItems`
/// instead: the same constraint in 2020-12, and one that generators read (a boolean schema
/// stops `openapi-python-client`).
fn tuples(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let (Some(Value::Bool(false)), Some(n)) =
                (m.get("items"), m.get("prefixItems").and_then(Value::as_array).map(Vec::len))
            {
                m.remove("items");
                m.insert("minItems".into(), json!(n));
                m.insert("maxItems".into(), json!(n));
            }
            m.values_mut().for_each(tuples);
        }
        Value::Array(a) => a.iter_mut().for_each(tuples),
        _ => {}
    }
}

/// PascalCase of a JSON name: `nav_struck` → `NavStruck`.
fn pascal(s: &str) -> String {
    s.split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// The name a variant goes by: the value of its tag property (internally tagged: a property
/// whose schema is one string `enum` value), or its one required key (externally tagged).
fn variant_name(v: &Value) -> Option<String> {
    let object =
        if v["allOf"].is_array() { v["allOf"].as_array()?.iter().find(|s| s["properties"].is_object())? } else { v };
    let props = object["properties"].as_object()?;
    for p in props.values() {
        if let Some([Value::String(tag)]) = p["enum"].as_array().map(Vec::as_slice) {
            return Some(tag.clone());
        }
    }
    match object["required"].as_array().map(Vec::as_slice) {
        Some([Value::String(key)]) if props.len() == 1 => Some(key.clone()),
        _ => None,
    }
}

/// Every inline object variant of a component's `oneOf` becomes a component of its own,
/// `<Component><Variant>`, and the `oneOf` refers to it. So does a one-word string variant
/// beside object variants (`Claim`'s `"kyc"` becomes `ClaimKyc`): generators would number it.
fn name_variants(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(variants) = schemas[&name]["oneOf"].as_array().cloned() else { continue };
        let object = |v: &Value| !v["$ref"].is_null() || v["type"] == "object" || v["allOf"].is_array();
        let mixed = variants.iter().any(object);
        let mut refs = Vec::new();
        let mut added = Vec::new();
        for v in variants {
            let inline_object = v["$ref"].is_null() && (v["type"] == "object" || v["allOf"].is_array());
            let word = match v["enum"].as_array().map(Vec::as_slice) {
                Some([Value::String(word)]) if mixed && v["type"] == "string" => Some(word.clone()),
                _ => None,
            };
            match variant_name(&v).filter(|_| inline_object).or(word) {
                Some(variant) => {
                    let full = format!("{name}{}", pascal(&variant));
                    assert!(!schemas.contains_key(&full), "a variant's name {full} is taken");
                    refs.push(json!({"$ref": format!("#/components/schemas/{full}")}));
                    added.push((full, v));
                }
                None => refs.push(v),
            }
        }
        schemas[&name]["oneOf"] = Value::Array(refs);
        for (full, v) in added {
            schemas.insert(full, v);
        }
    }
}

/// A composition of a `oneOf` with fields (`EventFund`: a `FundEvent` with `event: fund`) is
/// spread into a `oneOf` of one composition per variant (`EventFundNavStruck`), since
/// generators cannot take `allOf` of a union.
fn spread_compositions(schemas: &mut Map<String, Value>) {
    let names: Vec<String> = schemas.keys().cloned().collect();
    for name in names {
        let Some(parts) = schemas[&name]["allOf"].as_array().cloned() else { continue };
        let Some((at, union)) = parts.iter().enumerate().find_map(|(i, p)| {
            let target = p["$ref"].as_str()?.strip_prefix("#/components/schemas/")?;
            schemas.get(target).filter(|u| u["oneOf"].is_array()).map(|_| (i, target.to_string()))
        }) else {
            continue;
        };
        let mut refs = Vec::new();
        for v in schemas[&union]["oneOf"].as_array().cloned().unwrap_or_default() {
            let Some(target) = v["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) else {
                continue;
            };
            let full = format!("{name}{}", target.strip_prefix(union.as_str()).unwrap_or(target));
            let mut composed = parts.clone();
            composed[at] = json!({"$ref": format!("#/components/schemas/{target}")});
            schemas.insert(full.clone(), json!({"allOf": composed}));
            refs.push(json!({"$ref": format!("#/components/schemas/{full}")}));
        }
        let description = schemas[&name]["description"].clone();
        schemas[&name] = json!({"oneOf": refs});
        if !description.is_null() {
            schemas[&name]["description"] = description;
        }
    }
}

/// The components an `allOf` composes, and what they refer to through `oneOf`: they stay open
/// (another part of the `allOf` adds fields) and the composition is closed instead.
fn composed(schemas: &Map<String, Value>) -> BTreeSet<String> {
    fn refs_in(v: &Value, key: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == key {
                        for item in x.as_array().into_iter().flatten() {
                            if let Some(r) = item["$ref"].as_str() {
                                out.push(r.trim_start_matches("#/components/schemas/").to_string());
                            }
                        }
                    }
                    refs_in(x, key, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs_in(x, key, out)),
            _ => {}
        }
    }
    let mut open = Vec::new();
    schemas.values().for_each(|s| refs_in(s, "allOf", &mut open));
    let mut seen = BTreeSet::new();
    while let Some(n) = open.pop() {
        if seen.insert(n.clone()) {
            if let Some(s) = schemas.get(&n) {
                let mut more = Vec::new();
                refs_in(s, "oneOf", &mut more);
                open.extend(more);
            }
        }
    }
    seen
}

fn close_objects(schemas: &mut Map<String, Value>) {
    fn close(v: &mut Value, open: bool) {
        match v {
            Value::Object(m) => {
                let fixed = m.contains_key("properties") && !m.contains_key("additionalProperties");
                if m.contains_key("allOf") && !open {
                    m.insert("unevaluatedProperties".into(), Value::Bool(false));
                    if let Some(Value::Array(parts)) = m.get_mut("allOf") {
                        // The parts are closed together, by the line above.
                        parts.iter_mut().for_each(|p| close(p, true));
                    }
                    for (k, x) in m.iter_mut().filter(|(k, _)| *k != "allOf") {
                        close_child(k, x);
                    }
                    return;
                }
                if fixed && !open {
                    m.insert("additionalProperties".into(), Value::Bool(false));
                }
                for (k, x) in m.iter_mut() {
                    close_child(k, x);
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| close(x, false)),
            _ => {}
        }
    }
    /// A property's own schema is closed on its own terms (the `open` of its parent is about
    /// the parent's fields only).
    fn close_child(key: &str, v: &mut Value) {
        match key {
            "properties" => {
                if let Value::Object(props) = v {
                    props.values_mut().for_each(|p| close(p, false));
                }
            }
            "items" | "oneOf" | "anyOf" | "additionalProperties" => close(v, false),
            _ => {}
        }
    }
    let open = composed(schemas);
    for (name, s) in schemas.iter_mut() {
        close(s, open.contains(name));
    }
}

/// `examples.json`: `{operationId: answer}`, set on the JSON content of each operation's 200.
fn add_examples(doc: &mut Value, examples: &Value) {
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for item in paths.values_mut() {
        for op in item.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
            let Some(example) = op["operationId"].as_str().and_then(|id| examples.get(id)).cloned() else { continue };
            if let Some(media) = op.pointer_mut("/responses/200/content/application~1json") {
                media["example"] = example;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_built_and_has_no_inline_variants() {
        let doc: Value = serde_json::from_str(document()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        for (name, s) in doc["components"]["schemas"].as_object().unwrap() {
            let variants = s["oneOf"].as_array().cloned().unwrap_or_default();
            let mixed = variants.iter().any(|v| !v["$ref"].is_null());
            for v in &variants {
                assert!(v["type"] != "object", "{name} has an inline object variant: {v}");
                assert!(!(mixed && v["enum"].is_array()), "{name} has an unnamed word beside named variants: {v}");
            }
        }
    }
}
