//! Custodian statements (SPEC F7): the holdings a custodian reports, parsed from CSV with every
//! malformed line reported by number, for reconciliation against the portfolio and the tokens
//! outstanding.
//!
//! Format: one line per position, `instrument,quantity,price`; `instrument` is a CUSIP or a US
//! ISIN (check digits verified; kept as the CUSIP) or `CASH:<ISO 4217>`; quantity ≥ 0 and price > 0 are decimals (face value
//! and price per unit of face for securities; amount and 1 for cash). An optional header line
//! `instrument,quantity,price` (before any position), blank lines and `#` comments are skipped.

use crate::identifiers::Cusip;
use rust_decimal::Decimal;
use std::str::FromStr;

pub const MAX_STATEMENT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    Security { cusip: Cusip, quantity: Decimal, price: Decimal },
    Cash { currency: String, amount: Decimal },
}

impl Position {
    /// Market value: quantity × price (cash: its amount); None if the product overflows.
    pub fn value(&self) -> Option<Decimal> {
        match self {
            Position::Security { quantity, price, .. } => quantity.checked_mul(*price),
            Position::Cash { amount, .. } => Some(*amount),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct StatementError {
    /// 1-based; 0 for the file as a whole.
    pub line: usize,
    pub message: String,
}

fn bad(line: usize, message: impl Into<String>) -> StatementError {
    StatementError { line, message: message.into() }
}

/// Parses a whole statement; the first malformed line is the error.
pub fn parse_statement(text: &str) -> Result<Vec<Position>, StatementError> {
    if text.len() > MAX_STATEMENT_BYTES {
        return Err(bad(0, format!("statement larger than {MAX_STATEMENT_BYTES} bytes")));
    }
    let mut out = Vec::new();
    let mut header_allowed = true;
    for (i, raw) in text.lines().enumerate() {
        let n = i.checked_add(1).expect("a line index is below the line count");
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // The header may only be the first line that is neither blank nor a comment.
        if std::mem::replace(&mut header_allowed, false) && line.eq_ignore_ascii_case("instrument,quantity,price") {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        let [instrument, quantity, price] = cols[..] else {
            return Err(bad(n, format!("expected 3 columns (instrument,quantity,price), found {}", cols.len())));
        };
        let number = |s: &str, what: &str| {
            Decimal::from_str(s).map_err(|_| bad(n, format!("{what} {s:?} is not a decimal number")))
        };
        let quantity = number(quantity, "quantity")?;
        let price = number(price, "price")?;
        if quantity.is_sign_negative() {
            return Err(bad(n, "quantity is negative"));
        }
        if price <= Decimal::ZERO {
            return Err(bad(n, "price must be positive"));
        }
        if let Some(cur) = instrument.strip_prefix("CASH:") {
            if cur.len() != 3 || !cur.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(n, format!("bad currency {cur:?}: ISO 4217, e.g. CASH:USD")));
            }
            if price != Decimal::ONE {
                return Err(bad(n, "a cash line has price 1"));
            }
            out.push(Position::Cash { currency: cur.to_string(), amount: quantity });
        } else {
            // A custodian may list a security by its US ISIN; it is matched by its CUSIP.
            let cusip = Cusip::parse_cusip_or_isin(instrument).map_err(|e| bad(n, format!("{instrument:?}: {e}")))?;
            out.push(Position::Security { cusip, quantity, price });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_after_comments_is_skipped_but_not_after_a_position() {
        let text = "# custodian: Example Trust\n\ninstrument,quantity,price\nCASH:USD,5,1\n";
        assert_eq!(parse_statement(text).unwrap().len(), 1);
        let late = "CASH:USD,5,1\ninstrument,quantity,price\n";
        assert_eq!(parse_statement(late).unwrap_err().line, 2);
    }

    #[test]
    fn parses_a_statement() {
        let text = "instrument,quantity,price\n# custodian: Example Trust\n912796Y60,10000000,0.99651556\nCASH:USD,1250000.00,1\n\n";
        let p = parse_statement(text).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].value(), Some(Decimal::from_str("9965155.6").unwrap()));
        assert_eq!(p[1], Position::Cash { currency: "USD".into(), amount: Decimal::from_str("1250000.00").unwrap() });
    }

    #[test]
    fn a_security_listed_by_its_us_isin_is_read_as_its_cusip_and_a_british_isin_is_refused() {
        let p = parse_statement("US912796Y601,10000000,0.99651556\n").unwrap();
        assert!(matches!(&p[0], Position::Security { cusip, .. } if cusip.as_str() == "912796Y60"));
        let e = parse_statement("CASH:USD,1,1\nGB0002634946,1,1\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not US: it holds no CUSIP"), "{}", e.message);
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let cases = [
            ("912796Y60,1,1\n912796Y61,1,1\n", 2, "check digit"),
            ("912796Y60,1\n", 1, "3 columns"),
            ("912796Y60,1,abc\n", 1, "not a decimal"),
            ("912796Y60,-5,1\n", 1, "negative"),
            ("912796Y60,5,0\n", 1, "positive"),
            ("# c\nCASH:usd,5,1\n", 2, "currency"),
            ("CASH:USD,5,2\n", 1, "price 1"),
        ];
        for (text, line, needle) in cases {
            let e = parse_statement(text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
            assert!(e.message.contains(needle), "{text:?}: {}", e.message);
        }
    }

    #[test]
    fn arbitrary_text_never_panics() {
        let mut x: u64 = 12345;
        for _ in 0..2_000 {
            let mut s = String::new();
            for _ in 0..(x % 60) {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                s.push(
                    [',', '\n', '1', '.', '-', 'C', 'A', 'S', 'H', ':', '9', 'Y', ' ', 'é'][(x >> 59) as usize % 14],
                );
            }
            let _ = parse_statement(&s);
        }
    }
}
