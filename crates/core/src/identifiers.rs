//! Security identifiers: CUSIP and ISIN as validated newtypes.
//!
//! "Parse, don't validate": the only ways to obtain a [`Cusip`] or an [`Isin`]
//! are [`Cusip::parse`] / [`Isin::parse`] (and the `FromStr`, `TryFrom` and
//! serde paths, which all delegate to them), [`Cusip::to_us_isin`],
//! [`Isin::to_cusip`] and [`Cusip::parse_cusip_or_isin`]. So every value of
//! these types satisfies, for its whole life:
//!
//! - CUSIP: exactly 9 ASCII characters; the first 8 are `0-9`, `A-Z`, `*`, `@`
//!   or `#`; the 9th is the "double-add-double" mod-10 check digit of the
//!   first 8 (see [`cusip_check_digit`]).
//! - ISIN (ISO 6166): exactly 12 ASCII characters; 2 uppercase letters
//!   (country), 9 of `0-9`/`A-Z` (national id), and the Luhn check digit of the
//!   base-36-expanded first 11 (see [`isin_check_digit`]).
//!
//! Lowercase is refused rather than normalised: identifiers are ledger keys
//! and must have exactly one spelling. For the same reason the ledger keys a
//! security by its CUSIP: where people may type either form,
//! [`Cusip::parse_cusip_or_isin`] reads 9 characters as a CUSIP and 12 as an
//! ISIN, which must be a US ISIN ("US" + CUSIP + check digit; ISO 6166), and
//! keeps the CUSIP inside it. An ISIN of another country holds no CUSIP and is
//! refused ([`IdentifierError::NotUsIsin`]).
//!
//! Known limit of the CUSIP check digit: it detects every substitution of one
//! digit by another in the first 8 characters and every change of the check
//! digit itself, but not a substitution between two characters whose
//! (possibly doubled) value has the same digit sum mod 10. Because letters are
//! worth 10..=35, every letter collides with some digit: e.g. `1`↔`A`
//! (10 → 1+0 = 1), `2`↔`B`, `3`↔`C` at any position. The tests enumerate the
//! exact undetectable set rather than pretend it is empty.
//!
//! Pure: no I/O, no panics reachable from input, no floats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

const CUSIP_LEN: usize = 9;
const ISIN_LEN: usize = 12;

/// Which identifier scheme an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentifierKind {
    Cusip,
    Isin,
}

impl fmt::Display for IdentifierKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdentifierKind::Cusip => "CUSIP",
            IdentifierKind::Isin => "ISIN",
        })
    }
}

/// Why a string is not a valid CUSIP / ISIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// `found` counts characters (not bytes), so the message matches what a
    /// human sees.
    #[error("{kind} must be {expected} characters long, found {found}")]
    BadLength { kind: IdentifierKind, expected: usize, found: usize },
    /// `position` is 1-based.
    #[error("{kind} has invalid character {character:?} at position {position}")]
    BadCharacter { kind: IdentifierKind, position: usize, character: char },
    #[error("{kind} check digit is {found}, expected {expected}")]
    BadCheckDigit { kind: IdentifierKind, expected: u8, found: u8 },
    /// Where either form is accepted: neither a CUSIP's length nor an ISIN's.
    #[error("a security identifier is a CUSIP (9 characters) or an ISIN (12), found {found} characters")]
    BadSecurityLength { found: usize },
    /// A CUSIP is required and the ISIN is another country's: only a US ISIN
    /// holds a CUSIP. `country` is the ISIN's first two letters.
    #[error("ISIN {isin} is from {country}, not US: it holds no CUSIP (a US ISIN is US + CUSIP + check digit)")]
    NotUsIsin { isin: String, country: String },
}

impl IdentifierError {
    /// Stable machine-readable code (part of the external API; never reword).
    pub fn code(&self) -> &'static str {
        match self {
            IdentifierError::BadLength { .. } | IdentifierError::BadSecurityLength { .. } => "identifier.bad_length",
            IdentifierError::BadCharacter { .. } => "identifier.bad_character",
            IdentifierError::BadCheckDigit { .. } => "identifier.bad_check_digit",
            IdentifierError::NotUsIsin { .. } => "identifier.not_us_isin",
        }
    }
}

/// Value of a CUSIP character: digit → 0..=9, `A`..=`Z` → 10..=35,
/// `*` → 36, `@` → 37, `#` → 38.
fn cusip_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' | b'A'..=b'Z' => char::from(b).to_digit(36),
        b'*' => Some(36),
        b'@' => Some(37),
        b'#' => Some(38),
        _ => None,
    }
}

/// Value of an ISIN character: digit → 0..=9, `A`..=`Z` → 10..=35.
fn isin_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' | b'A'..=b'Z' => char::from(b).to_digit(36),
        _ => None,
    }
}

/// "Double-add-double" over values already known to be valid CUSIP values.
fn cusip_check_from_values(values: impl Iterator<Item = u32>) -> u8 {
    let mut sum: u32 = 0;
    for (i, v) in values.enumerate() {
        // 1-based even positions are 0-based odd indices.
        let v = if i % 2 == 1 { v.checked_mul(2).expect(SMALL_SUM) } else { v };
        sum = sum.checked_add(v / 10).and_then(|s| s.checked_add(v % 10)).expect(SMALL_SUM);
    }
    check_digit(sum)
}

/// What a check-digit sum of at most a few hundred cannot overflow.
const SMALL_SUM: &str = "at most a few dozen values of at most 38, doubled";

/// The digit that brings `sum` to a multiple of 10.
fn check_digit(sum: u32) -> u8 {
    // `% 10` keeps the result in 0..=9, so the cast cannot truncate.
    (10u32.checked_sub(sum % 10).expect("sum % 10 is below 10") % 10) as u8
}

/// CUSIP check digit (0..=9) of the first 8 characters, or `None` if `first8`
/// is not exactly 8 characters from `0-9A-Z*@#`.
pub fn cusip_check_digit(first8: &str) -> Option<u8> {
    let bytes = first8.as_bytes();
    if bytes.len() != CUSIP_LEN - 1 {
        return None;
    }
    let mut values = [0u32; CUSIP_LEN - 1];
    for (slot, &b) in values.iter_mut().zip(bytes) {
        *slot = cusip_value(b)?;
    }
    Some(cusip_check_from_values(values.into_iter()))
}

/// Luhn check digit of the base-36 expansion of `bytes` (each letter becomes
/// the two decimal digits of its value, e.g. `U` → `3`,`0`).
fn isin_check_from_bytes(bytes: &[u8]) -> Option<u8> {
    // Expanded length is at most 2 × 11 = 22 digits for an ISIN body.
    let mut digits: Vec<u32> = Vec::with_capacity(2 * ISIN_LEN);
    for &b in bytes {
        let v = isin_value(b)?;
        if v >= 10 {
            digits.push(v / 10);
        }
        digits.push(v % 10);
    }
    // The check digit will be appended on the right, so Luhn doubles the
    // rightmost payload digit and every second one leftwards from it.
    let mut sum: u32 = 0;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = if i % 2 == 0 { d.checked_mul(2).expect(SMALL_SUM) } else { d };
        sum = sum.checked_add(d / 10).and_then(|s| s.checked_add(d % 10)).expect(SMALL_SUM);
    }
    Some(check_digit(sum))
}

/// ISIN check digit (0..=9) of the first 11 characters, or `None` if `first11`
/// is not exactly 11 characters from `0-9A-Z`. (The "country is two letters"
/// rule is structural and enforced by [`Isin::parse`], not here.)
pub fn isin_check_digit(first11: &str) -> Option<u8> {
    let bytes = first11.as_bytes();
    if bytes.len() != ISIN_LEN - 1 {
        return None;
    }
    isin_check_from_bytes(bytes)
}

/// Length check by characters, so non-ASCII input reports a length a human
/// would agree with and later byte-indexing sees only ASCII.
fn check_length(kind: IdentifierKind, s: &str, expected: usize) -> Result<(), IdentifierError> {
    let found = s.chars().count();
    if found != expected {
        return Err(IdentifierError::BadLength { kind, expected, found });
    }
    Ok(())
}

fn bad_char(kind: IdentifierKind, s: &str, index: usize) -> IdentifierError {
    IdentifierError::BadCharacter {
        kind,
        position: index.checked_add(1).expect("an index within s"),
        // `index` comes from enumerating `s.chars()`, so this always finds it;
        // the fallback only exists to stay panic-free.
        character: s.chars().nth(index).unwrap_or(char::REPLACEMENT_CHARACTER),
    }
}

/// A validated 9-character CUSIP (see module docs for the invariant).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cusip(String);

impl Cusip {
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::Cusip;
        check_length(kind, s, CUSIP_LEN)?;
        // Exactly 9 chars; any non-ASCII char fails the per-position checks
        // below, so byte index == char index wherever we get past them.
        let mut values = [0u32; CUSIP_LEN - 1];
        for (i, c) in s.chars().enumerate() {
            let ok = if i < CUSIP_LEN - 1 {
                match u8::try_from(c).ok().and_then(cusip_value) {
                    Some(v) => {
                        if let Some(slot) = values.get_mut(i) {
                            *slot = v;
                        }
                        true
                    }
                    None => false,
                }
            } else {
                c.is_ascii_digit()
            };
            if !ok {
                return Err(bad_char(kind, s, i));
            }
        }
        let expected = cusip_check_from_values(values.into_iter());
        let found = s.as_bytes().get(CUSIP_LEN - 1).map_or(0, |b| b.checked_sub(b'0').expect("a digit, checked above"));
        if expected != found {
            return Err(IdentifierError::BadCheckDigit { kind, expected, found });
        }
        Ok(Cusip(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The US ISIN for this CUSIP: `"US" + CUSIP + check digit`.
    ///
    /// Fails (with [`IdentifierError::BadCharacter`], position within the
    /// ISIN) only for CUSIPs containing `*`, `@` or `#`: those private
    /// placement numbers have no ISIN because ISIN allows only `0-9A-Z`.
    pub fn to_us_isin(&self) -> Result<Isin, IdentifierError> {
        let mut body = String::with_capacity(ISIN_LEN);
        body.push_str("US");
        body.push_str(&self.0);
        let Some(check) = isin_check_from_bytes(body.as_bytes()) else {
            let index = body.bytes().position(|b| isin_value(b).is_none()).unwrap_or(0);
            return Err(bad_char(IdentifierKind::Isin, &body, index));
        };
        body.push(char::from_digit(u32::from(check), 10).expect("a check digit is 0..=9"));
        Ok(Isin(body))
    }

    /// A CUSIP typed by a person, who may give the security's US ISIN instead:
    /// 9 characters are parsed as a CUSIP, 12 as an ISIN whose CUSIP is kept
    /// ([`Isin::to_cusip`]). Any other length is [`IdentifierError::BadSecurityLength`].
    pub fn parse_cusip_or_isin(s: &str) -> Result<Self, IdentifierError> {
        match s.chars().count() {
            CUSIP_LEN => Cusip::parse(s),
            ISIN_LEN => Isin::parse(s)?.to_cusip(),
            found => Err(IdentifierError::BadSecurityLength { found }),
        }
    }
}

/// A validated 12-character ISIN (see module docs for the invariant).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Isin(String);

impl Isin {
    pub fn parse(s: &str) -> Result<Self, IdentifierError> {
        let kind = IdentifierKind::Isin;
        check_length(kind, s, ISIN_LEN)?;
        for (i, c) in s.chars().enumerate() {
            let ok = match i {
                0 | 1 => c.is_ascii_uppercase(),
                11 => c.is_ascii_digit(),
                _ => c.is_ascii_digit() || c.is_ascii_uppercase(),
            };
            if !ok {
                return Err(bad_char(kind, s, i));
            }
        }
        // All 12 chars are ASCII now, so byte slicing is exact.
        let bytes = s.as_bytes();
        let body = bytes.get(..ISIN_LEN - 1).unwrap_or_default();
        let Some(expected) = isin_check_from_bytes(body) else {
            // Unreachable after the character checks; kept panic-free.
            return Err(bad_char(kind, s, 0));
        };
        let found = bytes.get(ISIN_LEN - 1).map_or(0, |b| b.checked_sub(b'0').expect("a digit, checked above"));
        if expected != found {
            return Err(IdentifierError::BadCheckDigit { kind, expected, found });
        }
        Ok(Isin(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The country code: the first two letters (ISO 3166-1 alpha-2, or `XS` and the like).
    pub fn country(&self) -> &str {
        // ASCII by the invariant, so the byte range is a character range.
        self.0.get(..2).unwrap_or_default()
    }

    /// The CUSIP inside a US ISIN (characters 3 to 11). Another country's ISIN
    /// is [`IdentifierError::NotUsIsin`]; a US ISIN whose body is not a valid
    /// CUSIP (its ISIN check digit can be right while the CUSIP's is wrong)
    /// fails as that CUSIP does.
    pub fn to_cusip(&self) -> Result<Cusip, IdentifierError> {
        if self.country() != "US" {
            return Err(IdentifierError::NotUsIsin { isin: self.0.clone(), country: self.country().to_owned() });
        }
        Cusip::parse(self.0.get(2..ISIN_LEN - 1).unwrap_or_default())
    }
}

impl fmt::Display for Cusip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Isin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Cusip {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cusip::parse(s)
    }
}

impl FromStr for Isin {
    type Err = IdentifierError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Isin::parse(s)
    }
}

// serde goes through these, so deserialisation cannot bypass validation.
impl TryFrom<String> for Cusip {
    type Error = IdentifierError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Cusip::parse(&s)
    }
}

impl TryFrom<String> for Isin {
    type Error = IdentifierError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Isin::parse(&s)
    }
}

impl From<Cusip> for String {
    fn from(c: Cusip) -> String {
        c.0
    }
}

impl From<Isin> for String {
    fn from(i: Isin) -> String {
        i.0
    }
}

impl AsRef<str> for Cusip {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Isin {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUSIP_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*@#";

    #[test]
    fn valid_cusips() {
        for s in ["037833100", "912796Y60"] {
            let c = Cusip::parse(s).unwrap();
            assert_eq!(c.as_str(), s);
            assert_eq!(c.to_string(), s);
        }
        assert_eq!(cusip_check_digit("03783310"), Some(0));
        assert_eq!(cusip_check_digit("912796Y6"), Some(0));
    }

    #[test]
    fn bad_cusip_check_digit() {
        let e = Cusip::parse("037833101").unwrap_err();
        assert_eq!(e, IdentifierError::BadCheckDigit { kind: IdentifierKind::Cusip, expected: 0, found: 1 });
        assert_eq!(e.code(), "identifier.bad_check_digit");
    }

    #[test]
    fn cusip_lengths_and_characters() {
        for s in ["", "03783310", "0378331000", "037833100 "] {
            let e = Cusip::parse(s).unwrap_err();
            assert_eq!(e.code(), "identifier.bad_length", "{s:?}");
        }
        // Non-ASCII: length is counted in characters, not bytes.
        let e = Cusip::parse("03783310é").unwrap_err();
        assert_eq!(e, IdentifierError::BadCharacter { kind: IdentifierKind::Cusip, position: 9, character: 'é' });
        // Check digit must be a digit, even though letters are fine earlier.
        let e = Cusip::parse("03783310A").unwrap_err();
        assert_eq!(e.code(), "identifier.bad_character");
        // Special characters are legal in the first 8 (private placements).
        let first8 = "12345*@#";
        let check = cusip_check_digit(first8).unwrap();
        let c = Cusip::parse(&format!("{first8}{check}")).unwrap();
        assert_eq!(c.as_str().len(), 9);
        assert_eq!(cusip_check_digit("1234567"), None);
        assert_eq!(cusip_check_digit("1234567a"), None);
    }

    #[test]
    fn lowercase_refused() {
        // 912796Y60 is valid; its lowercase spelling is not.
        let e = Cusip::parse("912796y60").unwrap_err();
        assert_eq!(e, IdentifierError::BadCharacter { kind: IdentifierKind::Cusip, position: 7, character: 'y' });
        assert_eq!(e.code(), "identifier.bad_character");
        let e = Isin::parse("us0378331005").unwrap_err();
        assert_eq!(e, IdentifierError::BadCharacter { kind: IdentifierKind::Isin, position: 1, character: 'u' });
        assert_eq!(Isin::parse("US912796y601").unwrap_err().code(), "identifier.bad_character");
    }

    /// Contribution of character `b` at 0-based index `i` to the CUSIP sum.
    fn contribution(b: u8, i: usize) -> u32 {
        let v = cusip_value(b).unwrap();
        let v = if i % 2 == 1 { v * 2 } else { v };
        (v / 10 + v % 10) % 10
    }

    /// Every single-character substitution of a valid CUSIP, over printable
    /// ASCII plus some non-ASCII: rejected unless it is in the undetectable
    /// class documented in the module header (same contribution mod 10), and
    /// that class never contains a digit-for-digit substitution or a change
    /// to the check digit.
    #[test]
    fn every_single_substitution_is_classified() {
        let mut replacements: Vec<char> = (0x20u8..=0x7e).map(char::from).collect();
        replacements.extend(['é', 'Ω', '\u{0}', '\u{1A}', '０']);
        for valid in ["037833100", "912796Y60"] {
            let original: Vec<char> = valid.chars().collect();
            let mut undetected = 0usize;
            for i in 0..CUSIP_LEN {
                for &r in &replacements {
                    if r == original[i] {
                        continue;
                    }
                    let mut chars = original.clone();
                    chars[i] = r;
                    let candidate: String = chars.iter().collect();
                    let result = Cusip::parse(&candidate);
                    let in_alphabet = r.is_ascii() && CUSIP_ALPHABET.contains(&(r as u8));
                    if i == CUSIP_LEN - 1 {
                        // The check digit position: any change is caught.
                        let e = result.unwrap_err();
                        if r.is_ascii_digit() {
                            assert_eq!(e.code(), "identifier.bad_check_digit", "{candidate}");
                        } else {
                            assert_eq!(e.code(), "identifier.bad_character", "{candidate}");
                        }
                    } else if !in_alphabet {
                        assert_eq!(
                            result.unwrap_err(),
                            IdentifierError::BadCharacter {
                                kind: IdentifierKind::Cusip,
                                position: i + 1,
                                character: r
                            },
                            "{candidate}"
                        );
                    } else if contribution(r as u8, i) == contribution(original[i] as u8, i) {
                        // Documented blind spot of double-add-double.
                        assert!(result.is_ok(), "{candidate}");
                        assert!(
                            !(r.is_ascii_digit() && original[i].is_ascii_digit()),
                            "digit-for-digit substitution must never be undetected: {candidate}"
                        );
                        undetected += 1;
                    } else {
                        assert_eq!(result.unwrap_err().code(), "identifier.bad_check_digit", "{candidate}");
                    }
                }
            }
            // Sanity: the blind spot exists (so the documentation is honest)
            // but is a small fraction of the 8 × 38 in-alphabet substitutions.
            assert!(undetected > 0 && undetected < 8 * 38 / 5, "{valid}: {undetected}");
        }
        // Concrete examples from the module docs: '1'↔'A' at position 7.
        assert!(Cusip::parse("037833A00").is_ok());
        assert!(Cusip::parse("037833200").is_err());
    }

    #[test]
    fn every_digit_substitution_is_detected() {
        // Stated separately because it is the guarantee people rely on.
        let valid = b"037833100";
        for i in 0..CUSIP_LEN {
            for d in b'0'..=b'9' {
                if d == valid[i] {
                    continue;
                }
                let mut s = valid.to_vec();
                s[i] = d;
                let s = String::from_utf8(s).unwrap();
                assert_eq!(Cusip::parse(&s).unwrap_err().code(), "identifier.bad_check_digit", "{s}");
            }
        }
    }

    #[test]
    fn valid_and_invalid_isins() {
        let isin = Isin::parse("US0378331005").unwrap();
        assert_eq!(isin.as_str(), "US0378331005");
        assert_eq!(isin.to_string(), "US0378331005");
        assert_eq!(isin_check_digit("US037833100"), Some(5));
        // Computed, not copied: the T-bill CUSIP 912796Y60 has ISIN check 1.
        assert_eq!(isin_check_digit("US912796Y60"), Some(1));
        Isin::parse("US912796Y601").unwrap();
        for wrong in 0..=9u8 {
            if wrong != 1 {
                let s = format!("US912796Y60{wrong}");
                assert_eq!(Isin::parse(&s).unwrap_err().code(), "identifier.bad_check_digit");
            }
        }
        // Transposition example from the domain doc.
        let e = Isin::parse("US0373831005").unwrap_err();
        assert_eq!(e.code(), "identifier.bad_check_digit");
        // Other well-known ISINs (non-US country codes, letters in the body).
        for s in ["GB0002634946", "DE000BAY0017", "AU0000XVGZA3", "XS2021832634"] {
            Isin::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
    }

    #[test]
    fn isin_structure() {
        assert_eq!(Isin::parse("US037833100").unwrap_err().code(), "identifier.bad_length");
        assert_eq!(Isin::parse("US03783310055").unwrap_err().code(), "identifier.bad_length");
        // Country must be letters.
        assert_eq!(
            Isin::parse("1S0378331005").unwrap_err(),
            IdentifierError::BadCharacter { kind: IdentifierKind::Isin, position: 1, character: '1' }
        );
        // Check digit must be a digit.
        assert_eq!(Isin::parse("US037833100A").unwrap_err().code(), "identifier.bad_character");
        assert_eq!(Isin::parse("US03783310*5").unwrap_err().code(), "identifier.bad_character");
        assert_eq!(isin_check_digit("US03783310"), None);
        assert_eq!(isin_check_digit("US03783310*"), None);
    }

    #[test]
    fn cusip_to_us_isin_round_trip() {
        let c = Cusip::parse("037833100").unwrap();
        let isin = c.to_us_isin().unwrap();
        assert_eq!(isin.as_str(), "US0378331005");
        assert_eq!(Isin::parse(isin.as_str()).unwrap(), isin);
        let t_bill = Cusip::parse("912796Y60").unwrap().to_us_isin().unwrap();
        assert_eq!(t_bill.as_str(), "US912796Y601");
        // Private placement numbers have no ISIN.
        let first8 = "12345*@#";
        let ppn = Cusip::parse(&format!("{first8}{}", cusip_check_digit(first8).unwrap())).unwrap();
        assert_eq!(
            ppn.to_us_isin().unwrap_err(),
            IdentifierError::BadCharacter { kind: IdentifierKind::Isin, position: 8, character: '*' }
        );
    }

    #[test]
    fn from_str_and_serde_validate() {
        let c: Cusip = "037833100".parse().unwrap();
        assert_eq!(String::from(c.clone()), "037833100");
        assert!("037833101".parse::<Cusip>().is_err());
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"037833100\"");
        let back: Cusip = serde_json::from_str("\"037833100\"").unwrap();
        assert_eq!(back, c);
        assert!(serde_json::from_str::<Cusip>("\"037833101\"").is_err());
        assert!(serde_json::from_str::<Isin>("\"US0373831005\"").is_err());
        let i: Isin = serde_json::from_str("\"US0378331005\"").unwrap();
        assert_eq!(i.as_str(), "US0378331005");
    }

    #[test]
    fn us912796y601_is_the_isin_of_the_bill_912796y60_and_converts_back() {
        // US + 912796Y60, letters expanded (U=30, S=28, Y=34) → 30289127963460; Luhn gives 1.
        let isin = Isin::parse("US912796Y601").unwrap();
        assert_eq!(isin.country(), "US");
        assert_eq!(isin.to_cusip().unwrap().as_str(), "912796Y60");
        assert_eq!(Isin::parse("US0378331005").unwrap().to_cusip().unwrap().as_str(), "037833100");
    }

    #[test]
    fn a_cusip_or_a_us_isin_both_give_the_cusip() {
        for s in ["912796Y60", "US912796Y601"] {
            assert_eq!(Cusip::parse_cusip_or_isin(s).unwrap().as_str(), "912796Y60", "{s}");
        }
    }

    #[test]
    fn an_isin_with_a_wrong_check_digit_is_refused_as_an_isin() {
        assert_eq!(
            Cusip::parse_cusip_or_isin("US912796Y602").unwrap_err(),
            IdentifierError::BadCheckDigit { kind: IdentifierKind::Isin, expected: 1, found: 2 }
        );
    }

    #[test]
    fn a_non_us_isin_is_refused_where_a_cusip_is_required_naming_its_country() {
        // GB0002634946 is a valid ISIN (its check digit is right) but British: no CUSIP inside.
        let e = Cusip::parse_cusip_or_isin("GB0002634946").unwrap_err();
        assert_eq!(e, IdentifierError::NotUsIsin { isin: "GB0002634946".into(), country: "GB".into() });
        assert_eq!(e.code(), "identifier.not_us_isin");
        assert_eq!(
            e.to_string(),
            "ISIN GB0002634946 is from GB, not US: it holds no CUSIP (a US ISIN is US + CUSIP + check digit)"
        );
    }

    #[test]
    fn a_us_isin_whose_body_is_not_a_cusip_fails_on_the_cusip_check_digit() {
        // Body 912796Y61 (CUSIP check should be 0); the ISIN check digit is computed to be right.
        let body = "US912796Y61";
        let isin = format!("{body}{}", isin_check_digit(body).unwrap());
        assert_eq!(
            Cusip::parse_cusip_or_isin(&isin).unwrap_err(),
            IdentifierError::BadCheckDigit { kind: IdentifierKind::Cusip, expected: 0, found: 1 }
        );
    }

    #[test]
    fn a_security_identifier_of_neither_length_names_both() {
        let e = Cusip::parse_cusip_or_isin("912796Y6").unwrap_err();
        assert_eq!(e, IdentifierError::BadSecurityLength { found: 8 });
        assert_eq!(e.code(), "identifier.bad_length");
        assert_eq!(
            e.to_string(),
            "a security identifier is a CUSIP (9 characters) or an ISIN (12), found 8 characters"
        );
    }

    /// Any valid CUSIP: 8 characters from the ISIN alphabet (CUSIPs with `*@#` have no ISIN)
    /// and its check digit.
    fn any_cusip() -> impl proptest::strategy::Strategy<Value = Cusip> {
        use proptest::prelude::*;
        proptest::collection::vec(proptest::sample::select(&CUSIP_ALPHABET[..36]), 8).prop_map(|first8| {
            let first8 = String::from_utf8(first8).unwrap();
            let check = cusip_check_digit(&first8).unwrap();
            Cusip::parse(&format!("{first8}{check}")).unwrap()
        })
    }

    proptest::proptest! {
        #[test]
        fn the_us_isin_of_any_cusip_parses_back_to_that_cusip(c in any_cusip()) {
            let isin = c.to_us_isin().unwrap();
            proptest::prop_assert_eq!(Isin::parse(isin.as_str()).unwrap().to_cusip().unwrap(), c.clone());
            proptest::prop_assert_eq!(Cusip::parse_cusip_or_isin(isin.as_str()).unwrap(), c);
        }
    }

    #[test]
    fn error_codes_are_stable() {
        let kind = IdentifierKind::Cusip;
        let cases = [
            (IdentifierError::BadLength { kind, expected: 9, found: 1 }, "identifier.bad_length"),
            (IdentifierError::BadCharacter { kind, position: 1, character: 'x' }, "identifier.bad_character"),
            (IdentifierError::BadCheckDigit { kind, expected: 0, found: 1 }, "identifier.bad_check_digit"),
            (IdentifierError::BadSecurityLength { found: 3 }, "identifier.bad_length"),
            (
                IdentifierError::NotUsIsin { isin: "GB0002634946".into(), country: "GB".into() },
                "identifier.not_us_isin",
            ),
        ];
        for (e, code) in cases {
            assert_eq!(e.code(), code);
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn arbitrary_strings_never_panic() {
        // Tiny LCG (Numerical Recipes constants): deterministic, no deps.
        let mut state: u64 = 0x7e55_e7a0;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        let pool: Vec<char> = "0123456789ABCXYZaz*@#US é\u{0}".chars().collect();
        for _ in 0..5000 {
            let len = (next() % 14) as usize;
            let s: String = (0..len).map(|_| pool[next() as usize % pool.len()]).collect();
            if let Ok(c) = Cusip::parse(&s) {
                assert_eq!(c.as_str(), s);
                let _ = c.to_us_isin();
            }
            if let Ok(i) = Isin::parse(&s) {
                assert_eq!(i.as_str(), s);
                let _ = i.to_cusip();
            }
            if let Ok(c) = Cusip::parse_cusip_or_isin(&s) {
                assert!(Cusip::parse(c.as_str()).is_ok());
            }
            let _ = cusip_check_digit(&s);
            let _ = isin_check_digit(&s);
        }
    }
}
