//! `--csv`: any answer the CLI prints as JSON, as one CSV table whose columns are the JSON field
//! names. One writer for every list and report, by these rules:
//!
//! - A list is one row per item; a single answer (a report, a party) is one row.
//! - An item with exactly one field holding a list of objects (a history entry's `moves`, a
//!   register's `holders`, a statement's `assets` and their `movements`) becomes one row per
//!   object in that list, its other fields repeated on each row; an empty list leaves one row.
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
    let mut rows: Vec<Vec<(String, String)>> = Vec::new();
    for item in &items {
        expand(item, &mut rows);
    }
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

/// The rows of one item: expanded along its one list of objects, if it has exactly one.
fn expand(item: &Value, rows: &mut Vec<Vec<(String, String)>>) {
    let Value::Object(fields) = item else {
        rows.push(vec![("value".into(), cell(item))]);
        return;
    };
    let lists: Vec<&String> = fields.iter().filter(|(_, v)| is_list_of_objects(v)).map(|(k, _)| k).collect();
    let mut own = Vec::new();
    for (k, v) in fields {
        if lists.len() == 1 && k == lists[0] {
            continue;
        }
        flatten(k, v, &mut own);
    }
    let [list] = lists[..] else {
        rows.push(own);
        return;
    };
    let Some(Value::Array(inner)) = fields.get(list) else { return };
    let mut inner_rows = Vec::new();
    for x in inner {
        expand(x, &mut inner_rows);
    }
    if inner_rows.is_empty() {
        rows.push(own);
        return;
    }
    for r in inner_rows {
        let mut row = own.clone();
        row.extend(r);
        rows.push(row);
    }
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
        assert_eq!(to_csv(&json!([{"tx": "t", "moves": []}])), "tx,moves\r\nt,\r\n");
    }

    #[test]
    fn lists_of_scalars_are_joined_and_two_lists_of_objects_stay_json() {
        let v = json!({"wallets": ["w1", "w2"], "claims": [{"c": 1}], "roles": [{"r": 2}]});
        assert_eq!(to_csv(&v), "claims,roles,wallets\r\n\"[{\"\"c\"\":1}]\",\"[{\"\"r\"\":2}]\",w1;w2\r\n");
    }
}
