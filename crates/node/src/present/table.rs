//! `--csv`: any answer the CLI prints as JSON, as one CSV table whose columns are the JSON field
//! names. One writer for every list and report, by these rules:
//!
//! - A list is one row per item; a single answer (a report, a party) is one row.
//! - When the items have exactly one field holding lists of objects (a history entry's `moves`,
//!   a register's `holders`, a statement's `assets` and their `movements`), each item becomes
//!   one row per object in its list, its other fields repeated on each row; an empty list
//!   leaves one row. Decided over all the items, so every row of an answer has one shape.
//! - A field holding an object becomes columns `field.inner` (`counterparty.party`).
//! - Other lists: scalars joined by `;`, anything else as compact JSON. Null is an empty cell.
//! - Columns appear in the order first met; quoting is the `csv` crate's (RFC 4180).

use serde::Serialize;
use serde_json::Value;

/// The CSV table of an answer.
pub fn to_csv<T: Serialize + ?Sized>(answer: &T) -> String {
    let v = serde_json::to_value(answer).unwrap_or(Value::Null);
    let items: Vec<Value> = match v {
        Value::Array(items) => items,
        other => vec![other],
    };
    let rows = expand_all(&items.iter().collect::<Vec<_>>());
    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        for (k, _) in row {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    // Writing to memory cannot fail but for a record of the wrong length, which this never writes.
    let _ = w.write_record(&columns);
    for row in &rows {
        let cells = columns.iter().map(|c| row.iter().find(|(k, _)| k == c).map(|(_, v)| v.as_str()).unwrap_or(""));
        let _ = w.write_record(cells);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn is_list_of_objects(v: &Value) -> bool {
    matches!(v, Value::Array(a) if a.iter().any(Value::is_object))
}

type Row = Vec<(String, String)>;

/// The rows of items that stand side by side (a list's items, or the inner lists of every
/// item above). Which field expands is decided over all of them together, so every row of
/// one answer has the same shape whatever each item happens to hold.
fn expand_all(items: &[&Value]) -> Vec<Row> {
    let mut lists: Vec<&String> = Vec::new();
    for item in items {
        if let Value::Object(fields) = item {
            for (k, v) in fields {
                if is_list_of_objects(v) && !lists.contains(&k) {
                    lists.push(k);
                }
            }
        }
    }
    let along = match lists[..] {
        [one] => Some(one.clone()),
        _ => None,
    };
    let mut rows = Vec::new();
    for item in items {
        let Value::Object(fields) = item else {
            rows.push(vec![("value".to_string(), cell(item))]);
            continue;
        };
        let mut own = Vec::new();
        for (k, v) in fields {
            if Some(k) != along.as_ref() {
                flatten(k, v, &mut own);
            }
        }
        let inner: Vec<&Value> = match along.as_ref().and_then(|k| fields.get(k)) {
            Some(Value::Array(xs)) => xs.iter().collect(),
            _ => Vec::new(),
        };
        if inner.is_empty() {
            rows.push(own);
            continue;
        }
        for r in expand_all(&inner) {
            let mut row = own.clone();
            row.extend(r);
            rows.push(row);
        }
    }
    rows
}

/// `v` under the column name `name`; objects become `name.inner` columns.
fn flatten(name: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in m {
                flatten(&format!("{name}.{k}"), x, out);
            }
        }
        other => out.push((name.to_string(), cell(other))),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            a.iter().map(cell).collect::<Vec<_>>().join(";")
        }
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_of_flat_objects_is_one_row_each_with_the_field_names_as_columns() {
        let csv = to_csv(&json!([{"a": 1, "b": "x"}, {"a": 2, "b": null}]));
        assert_eq!(csv, "a,b\r\n1,x\r\n2,\r\n");
    }

    #[test]
    fn a_field_with_a_comma_a_quote_or_a_line_break_is_quoted_with_quotes_doubled() {
        let csv = to_csv(&json!([{"name": "Smith, \"J\"\nJr"}]));
        assert_eq!(csv, "name\r\n\"Smith, \"\"J\"\"\nJr\"\r\n");
    }

    #[test]
    fn an_items_one_list_of_objects_becomes_one_row_per_object_with_the_item_repeated() {
        let v = json!({"asset": "X", "holders": [{"party": "a", "who": {"id": 1}}, {"party": "b", "who": {"id": 2}}]});
        assert_eq!(to_csv(&v), "asset,party,who.id\r\nX,a,1\r\nX,b,2\r\n");
    }

    #[test]
    fn an_item_whose_list_of_objects_is_empty_keeps_one_row() {
        let v = json!([{"tx": "t", "moves": []}, {"tx": "u", "moves": [{"asset": "X"}]}]);
        assert_eq!(to_csv(&v), "tx,asset\r\nt,\r\nu,X\r\n");
    }

    #[test]
    fn lists_of_scalars_are_joined_an_empty_list_is_empty_and_two_lists_of_objects_stay_json_in_every_row() {
        let v = json!([
            {"wallets": ["w1", "w2"], "claims": [{"c": 1}], "roles": []},
            {"wallets": [], "claims": [], "roles": [{"r": 2}]},
        ]);
        assert_eq!(to_csv(&v), "claims,roles,wallets\r\n\"[{\"\"c\"\":1}]\",,w1;w2\r\n,\"[{\"\"r\"\":2}]\",\r\n");
    }
}
