//! Parser for OFAC's legacy SDN list file (`sdn.csv`) and extraction of the
//! digital currency addresses that OFAC publishes inside its free-text Remarks.
//!
//! Format handled (OFAC "legacy flat file"): no header row; 12 double-quoted
//! CSV columns `ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
//! Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks`; null is `-0-`,
//! usually unquoted with a trailing space (`-0- `); CRLF line endings; the
//! file may end with a DOS end-of-file line holding a single 0x1A (Ctrl-Z).
//!
//! Invariants of a successful [`parse_sdn_csv`]:
//! - every record had exactly 12 columns and an all-digit `ent_num` that fits
//!   in `u64`, and a non-empty name; otherwise the whole file is rejected with
//!   the 1-based line of the offending record. Rejecting rather than skipping
//!   is deliberate: a silently dropped row is a silently unsanctioned party.
//! - at least one entity: an empty download must not replace a real list.
//! - entities and addresses are in file order (addresses in Remarks order),
//!   and each entity's `(currency, address)` pairs are de-duplicated, so the
//!   output is a deterministic function of the input bytes.
//! - invalid UTF-8 (OFAC files are mostly ASCII, sometimes Latin-1) is decoded
//!   lossily (U+FFFD) instead of failing; text fields are whitespace-trimmed.
//! - input larger than [`MAX_SDN_FILE_BYTES`] is refused up front.
//!
//! Known limit of the legacy format: Remarks is capped (1000 characters) and
//! the overflow lives in `sdn_comments.csv`, which this module does not read.
//! Addresses past the cut are therefore absent here, and the last address
//! before the cut may be truncated; it is still reported (it cannot be told
//! apart from a complete, unterminated one, and reporting it errs on the side
//! of screening), so consumers must match addresses exactly, never by prefix.
//!
//! Pure: no I/O, no panics reachable from input, no floats.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

/// Upper bound on accepted input (the real file is a few MiB).
pub const MAX_SDN_FILE_BYTES: usize = 256 * 1024 * 1024;

const SDN_COLUMNS: usize = 12;
const COL_ENT_NUM: usize = 0;
const COL_NAME: usize = 1;
const COL_TYPE: usize = 2;
const COL_PROGRAM: usize = 3;
const COL_REMARKS: usize = 11;

/// Matched ASCII-case-insensitively: a spelling variant must not make an
/// address disappear from screening.
const ADDRESS_MARKER: &[u8] = b"digital currency address";
/// Longest currency code accepted after the marker (real ones are 3–5).
const MAX_CURRENCY_LEN: usize = 10;
/// Longest text quoted back in an error message.
const PREVIEW_CHARS: usize = 40;

/// One row of `sdn.csv` (vessel/aircraft columns are not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdnEntity {
    pub ent_num: u64,
    pub name: String,
    /// `"individual"`, `"vessel"`, `"aircraft"`; `None` (null) for entities.
    pub sdn_type: Option<String>,
    /// Raw program field, e.g. `"CYBER2] [DPRK3"`.
    pub program: Option<String>,
    pub remarks: Option<String>,
}

/// A digital currency address listed in an entity's Remarks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalCurrencyAddress {
    pub ent_num: u64,
    pub name: String,
    /// OFAC's code, uppercased (`XBT`, `ETH`, `USDT`, ...).
    pub currency: String,
    /// Exactly as published (case matters for e.g. EIP-55 and base58).
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdnFile {
    pub entities: Vec<SdnEntity>,
    pub addresses: Vec<DigitalCurrencyAddress>,
}

/// A malformed SDN file. `line` is the 1-based line where the offending
/// record starts, or 0 when the problem concerns the whole file (size, empty).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad SDN file{}: {message}", at_line(.line))]
pub struct SdnError {
    pub line: u64,
    pub message: String,
}

fn at_line(line: &u64) -> String {
    if *line == 0 {
        String::new()
    } else {
        format!(" at line {line}")
    }
}

impl SdnError {
    /// Stable machine-readable code (part of the external API; never reword).
    pub fn code(&self) -> &'static str {
        "sanctions.bad_sdn_file"
    }

    fn new(line: u64, message: impl Into<String>) -> Self {
        SdnError { line, message: message.into() }
    }
}

/// Short, single-line rendering of untrusted text for error messages.
fn preview(s: &str) -> String {
    let mut out: String = s.chars().take(PREVIEW_CHARS).flat_map(char::escape_debug).collect();
    if s.chars().nth(PREVIEW_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Drops the trailing DOS end-of-file marker (and the line breaks around
/// it). A 0x1A anywhere else stays and makes its line malformed.
fn strip_eof_marker(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b'\r' | b'\n' | 0x1A] = bytes {
        bytes = rest;
    }
    bytes
}

/// Maps csv record offsets to 1-based line numbers (counted by LF).
///
/// csv's own `Position::line` is not used: with CRLF endings it reports the
/// record's start before the previous record's `\n` is consumed, i.e. one
/// line early per preceding CRLF record.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, offset: 0, line: 1 }
    }

    /// Line of the record whose reported start is `byte`. The reported start
    /// may sit on the leftover terminator (and skipped blank lines) of the
    /// previous record; a record cannot begin with CR/LF, so skip those.
    /// Offsets arrive in increasing order, so counting is linear overall.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut pos = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        while matches!(self.bytes.get(pos), Some(b'\r' | b'\n')) {
            pos += 1;
        }
        if pos > self.offset {
            let skipped = self.bytes.get(self.offset..pos).unwrap_or_default();
            self.line += skipped.iter().filter(|&&b| b == b'\n').count() as u64;
            self.offset = pos;
        }
        self.line
    }
}

fn decode(field: &[u8]) -> String {
    String::from_utf8_lossy(field).trim().to_owned()
}

fn nullable(field: &[u8]) -> Option<String> {
    let s = decode(field);
    if s.is_empty() || s == "-0-" {
        None
    } else {
        Some(s)
    }
}

/// Parses a legacy-format `sdn.csv`; see the module docs for guarantees.
pub fn parse_sdn_csv(bytes: &[u8]) -> Result<SdnFile, SdnError> {
    if bytes.len() > MAX_SDN_FILE_BYTES {
        return Err(SdnError::new(
            0,
            format!("file is {} bytes, larger than the {MAX_SDN_FILE_BYTES}-byte limit", bytes.len()),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bytes = strip_eof_marker(bytes);

    // `flexible` so that a wrong column count reaches our own check, which
    // reports it with the line number.
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut lines = LineCounter::new(bytes);
    let mut record = csv::ByteRecord::new();
    let mut file = SdnFile { entities: Vec::new(), addresses: Vec::new() };

    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                return Err(SdnError::new(line, format!("unreadable CSV: {e}")));
            }
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if record.len() != SDN_COLUMNS {
            return Err(SdnError::new(line, format!("expected {SDN_COLUMNS} columns, found {}", record.len())));
        }
        let col = |i: usize| record.get(i).unwrap_or_default();

        let ent_text = decode(col(COL_ENT_NUM));
        // `u64::from_str` would also accept a leading '+'; OFAC ids are bare digits.
        let ent_num = if !ent_text.is_empty() && ent_text.bytes().all(|b| b.is_ascii_digit()) {
            ent_text.parse::<u64>().ok()
        } else {
            None
        };
        let Some(ent_num) = ent_num else {
            return Err(SdnError::new(
                line,
                format!("ent_num is not a non-negative integer: \"{}\"", preview(&ent_text)),
            ));
        };
        let Some(name) = nullable(col(COL_NAME)) else {
            return Err(SdnError::new(line, format!("SDN_Name is empty for ent_num {ent_num}")));
        };
        let remarks = nullable(col(COL_REMARKS));

        if let Some(r) = &remarks {
            for (currency, address) in extract_digital_currency_addresses(r) {
                file.addresses.push(DigitalCurrencyAddress { ent_num, name: name.clone(), currency, address });
            }
        }
        file.entities.push(SdnEntity {
            ent_num,
            name,
            sdn_type: nullable(col(COL_TYPE)),
            program: nullable(col(COL_PROGRAM)),
            remarks,
        });
    }

    if file.entities.is_empty() {
        return Err(SdnError::new(0, "file contains no SDN records"));
    }
    Ok(file)
}

fn skip_whitespace(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn find_marker(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    rest.windows(ADDRESS_MARKER.len()).position(|w| w.eq_ignore_ascii_case(ADDRESS_MARKER)).map(|p| from + p)
}

/// `(currency, address)` pairs from OFAC Remarks text such as
/// `Digital Currency Address - XBT 12QtD5...; alt. Digital Currency Address - ETH 0x85...;`
/// in order of appearance, without duplicates.
///
/// An address runs from after the currency code to the next `;`, whitespace
/// or end of text; trailing `.`/`,` (sentence punctuation) is dropped, and a
/// candidate containing anything but printable ASCII is skipped. A mention
/// cut off before its address (e.g. `... Address - XB`) yields nothing.
pub fn extract_digital_currency_addresses(remarks: &str) -> Vec<(String, String)> {
    let b = remarks.as_bytes();
    let mut out = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut from = 0;

    while let Some(marker_at) = find_marker(b, from) {
        let mut i = marker_at + ADDRESS_MARKER.len();
        // Resume after this marker whatever happens below, so scanning
        // always makes progress.
        from = i;

        i = skip_whitespace(b, i);
        if b.get(i) != Some(&b'-') {
            continue;
        }
        i = skip_whitespace(b, i + 1);

        let currency_start = i;
        while b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        let currency = b.get(currency_start..i).unwrap_or_default();
        // The code must be followed by whitespace: at end of text it may
        // itself be truncated, and then there is no address anyway.
        if currency.is_empty() || currency.len() > MAX_CURRENCY_LEN || !b.get(i).is_some_and(u8::is_ascii_whitespace) {
            continue;
        }
        i = skip_whitespace(b, i);

        let address_start = i;
        while b.get(i).is_some_and(|&c| c != b';' && !c.is_ascii_whitespace()) {
            i += 1;
        }
        let mut address = b.get(address_start..i).unwrap_or_default();
        while let [rest @ .., b'.' | b','] = address {
            address = rest;
        }
        if address.is_empty() || !address.iter().all(u8::is_ascii_graphic) {
            continue;
        }
        from = i;

        // Both slices are ASCII by the checks above, so this is lossless.
        let currency = String::from_utf8_lossy(currency).to_ascii_uppercase();
        let address = String::from_utf8_lossy(address).into_owned();
        if seen.insert((currency.clone(), address.clone())) {
            out.push((currency, address));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const XBT_1: &str = "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h";
    const XBT_2: &str = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh";
    const ETH_1: &str = "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c";
    const USDT_1: &str = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7";

    /// Synthetic names, real layout: unquoted `-0- ` nulls, quoted text,
    /// commas inside quotes, CRLF, and the trailing Ctrl-Z line.
    fn fixture() -> Vec<u8> {
        let lines = [
            // 1: organisation, all nulls, no addresses.
            "36,\"AEROCARIBBEAN AIRLINES\",-0- ,\"CUBA\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ".to_owned(),
            // 2: two XBT + one ETH, plus a repeat of the first XBT.
            format!(
                "50001,\"SAMPLE, Ivan Petrovich\",\"individual\",\"CYBER2] [RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 01 Jan 1980; nationality Russia; Email Address ivan@example.com; Digital Currency Address - XBT {XBT_1}; alt. Digital Currency Address - XBT {XBT_2}; Digital Currency Address - ETH {ETH_1}; alt. Digital Currency Address - XBT {XBT_1}; Gender Male; Secondary sanctions risk: Ukraine-/Russia-Related Sanctions Regulations, 31 CFR 589.201.\""
            ),
            // 3: vessel, remarks without addresses, commas inside numbers.
            "50002,\"EXAMPLE STAR\",\"vessel\",\"IRAN\",-0- ,\"9BXX\",\"Crude Oil Tanker\",\"300,000\",\"160,000\",\"Iran\",\"EXAMPLE SHIPPING CO\",\"Vessel Registration Identification IMO 9000000.\"".to_owned(),
            // 4: remarks cut off by the 1000-char limit, mid-address.
            format!(
                "50003,\"EXAMPLE EXCHANGE LLC\",-0- ,\"CYBER2\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Website www.example.com; Digital Currency Address - USDT {USDT_1}; Digital Currency Address - XBT 1Ex4mp\""
            ),
        ];
        let mut out = lines.join("\r\n").into_bytes();
        out.extend_from_slice(b"\r\n\x1A");
        out
    }

    #[test]
    fn parses_realistic_file() {
        let file = parse_sdn_csv(&fixture()).unwrap();
        let nums: Vec<u64> = file.entities.iter().map(|e| e.ent_num).collect();
        assert_eq!(nums, [36, 50001, 50002, 50003]);

        let aero = &file.entities[0];
        assert_eq!(aero.name, "AEROCARIBBEAN AIRLINES");
        assert_eq!(aero.sdn_type, None);
        assert_eq!(aero.program.as_deref(), Some("CUBA"));
        assert_eq!(aero.remarks, None);

        let ivan = &file.entities[1];
        assert_eq!(ivan.name, "SAMPLE, Ivan Petrovich");
        assert_eq!(ivan.sdn_type.as_deref(), Some("individual"));
        assert_eq!(ivan.program.as_deref(), Some("CYBER2] [RUSSIA-EO14024"));
        assert!(ivan.remarks.as_deref().unwrap().starts_with("DOB 01 Jan 1980"));

        assert_eq!(file.entities[2].remarks.as_deref(), Some("Vessel Registration Identification IMO 9000000."));

        let got: Vec<(u64, &str, &str, &str)> = file
            .addresses
            .iter()
            .map(|a| (a.ent_num, a.name.as_str(), a.currency.as_str(), a.address.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (50001, "SAMPLE, Ivan Petrovich", "XBT", XBT_1),
                (50001, "SAMPLE, Ivan Petrovich", "XBT", XBT_2),
                (50001, "SAMPLE, Ivan Petrovich", "ETH", ETH_1),
                (50003, "EXAMPLE EXCHANGE LLC", "USDT", USDT_1),
                // Truncated by OFAC's field limit; kept (see module docs).
                (50003, "EXAMPLE EXCHANGE LLC", "XBT", "1Ex4mp"),
            ]
        );
    }

    #[test]
    fn output_is_deterministic() {
        let a = parse_sdn_csv(&fixture()).unwrap();
        let b = parse_sdn_csv(&fixture()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn eof_marker_variants() {
        let base = fixture();
        let without: Vec<u8> = base.strip_suffix(b"\r\n\x1A").unwrap().to_vec();
        let expected = parse_sdn_csv(&base).unwrap();
        for tail in [&b""[..], b"\r\n", b"\n\x1A", b"\r\n\x1A\r\n", b"\x1A"] {
            let mut input = without.clone();
            input.extend_from_slice(tail);
            assert_eq!(parse_sdn_csv(&input).unwrap(), expected, "tail {tail:?}");
        }
        // A Ctrl-Z line followed by more data is not an end marker.
        let mut input = without.clone();
        input.extend_from_slice(b"\r\n\x1A\r\n");
        input.extend_from_slice(b"7,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n");
        let e = parse_sdn_csv(&input).unwrap_err();
        assert_eq!(e.line, 5);
    }

    #[test]
    fn wrong_column_count_reports_line() {
        let input = b"1,\"A\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\
                      2,\"B\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\r\n\
                      4,\"C\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
        // CRLF endings and a blank line 3 (skipped): the short record is on
        // line 4, not where csv's own line counter would put it.
        let e = parse_sdn_csv(input).unwrap_err();
        assert_eq!(e.line, 4);
        assert_eq!(e.code(), "sanctions.bad_sdn_file");
        assert!(e.to_string().contains("line 4"), "{e}");
        assert!(e.message.contains("found 11"), "{e}");
    }

    #[test]
    fn bad_ent_num_reports_line_even_after_multiline_field() {
        // Record 2 spans lines 2–3 (newline inside quotes), so the bad
        // record starts on physical line 4.
        let input = b"1,\"A\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n\
                      2,\"B\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"first\nsecond\"\n\
                      12a,\"C\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n";
        let e = parse_sdn_csv(input).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("12a"), "{e}");
        for bad in ["-1", "+5", "", "-0-", "99999999999999999999999"] {
            let line = format!("{bad},\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ");
            let e = parse_sdn_csv(line.as_bytes()).unwrap_err();
            assert_eq!(e.line, 1, "{bad}");
        }
    }

    #[test]
    fn missing_name_is_rejected() {
        let e = parse_sdn_csv(b"5,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ").unwrap_err();
        assert_eq!(e.line, 1);
    }

    #[test]
    fn latin1_is_decoded_lossily() {
        let input = b"7,\"MU\xD1OZ, Jos\xE9\",\"individual\",\"SDNT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Cedula No. 123 (Colombia).\"\r\n";
        let file = parse_sdn_csv(input).unwrap();
        assert_eq!(file.entities[0].name, "MU\u{FFFD}OZ, Jos\u{FFFD}");
        assert_eq!(file.entities[0].ent_num, 7);
    }

    #[test]
    fn bom_blank_lines_and_null_spacing() {
        let input = b"\xEF\xBB\xBF8,\" SPACED \", -0- ,\"  -0-  \",-0-,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"\"\r\n\r\n";
        let file = parse_sdn_csv(input).unwrap();
        let e = &file.entities[0];
        assert_eq!((e.ent_num, e.name.as_str()), (8, "SPACED"));
        assert_eq!((&e.sdn_type, &e.program, &e.remarks), (&None, &None, &None));
    }

    #[test]
    fn empty_and_oversized_input_rejected() {
        for input in [&b""[..], b"\r\n", b"\x1A", b"\r\n\x1A"] {
            let e = parse_sdn_csv(input).unwrap_err();
            assert_eq!((e.line, e.code()), (0, "sanctions.bad_sdn_file"));
        }
        // calloc-backed, so this does not actually touch 256 MiB.
        let big = vec![0u8; MAX_SDN_FILE_BYTES + 1];
        let e = parse_sdn_csv(&big).unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.message.contains("limit"), "{e}");
    }

    #[test]
    fn extraction_variants() {
        let r = format!(
            "digital currency address - xbt {XBT_1}.  Digital Currency Address -USDC 0xAbC; \
             Digital Currency Address - TRX ; Digital Currency Address XMR 4abc; \
             Digital Currency Address - ETH\t{ETH_1},"
        );
        assert_eq!(
            extract_digital_currency_addresses(&r),
            [
                ("XBT".to_owned(), XBT_1.to_owned()),
                ("USDC".to_owned(), "0xAbC".to_owned()),
                ("ETH".to_owned(), ETH_1.to_owned()),
            ]
        );
        assert!(extract_digital_currency_addresses("DOB 1980; Gender Male.").is_empty());
        // Non-ASCII in the candidate: not an address.
        assert!(extract_digital_currency_addresses("Digital Currency Address - XBT 1ab\u{FFFD}c").is_empty());
        // Same address under two currencies is two pairs.
        let two = extract_digital_currency_addresses(
            "Digital Currency Address - ETH 0xAA; Digital Currency Address - ARB 0xAA;",
        );
        assert_eq!(two.len(), 2);
    }

    #[test]
    fn remarks_cut_anywhere_never_misattribute() {
        let full = format!(
            "Website x.io; Digital Currency Address - XBT {XBT_1}; alt. Digital Currency Address - ETH {ETH_1};"
        );
        let expected = [("XBT", XBT_1), ("ETH", ETH_1)];
        for cut in 0..=full.len() {
            let got = extract_digital_currency_addresses(&full[..cut]);
            assert!(got.len() <= expected.len(), "cut {cut}");
            for ((cur, addr), (ecur, eaddr)) in got.iter().zip(expected) {
                // Right currency, and the address is a prefix of the real
                // one (a strict prefix only when cut inside it).
                assert_eq!(cur, ecur, "cut {cut}");
                assert!(eaddr.starts_with(addr.as_str()) && !addr.is_empty(), "cut {cut}: {addr}");
            }
        }
        // Cut inside the marker or currency code: nothing.
        assert!(extract_digital_currency_addresses("Digital Currency Addr").is_empty());
        assert!(extract_digital_currency_addresses("Digital Currency Address - XB").is_empty());
        assert!(extract_digital_currency_addresses("Digital Currency Address - XBT ").is_empty());
    }

    /// Deterministic LCG so the "never panics" test needs no extra crates.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
        fn below(&mut self, n: usize) -> usize {
            self.next() as usize % n
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let pieces: [&[u8]; 16] = [
            b"\"",
            b",",
            b"\r\n",
            b"\n",
            b"-0- ",
            b"123",
            b"\x1A",
            b"Digital Currency Address - ",
            b"XBT ",
            b"; ",
            b"\xFF\xD1",
            b"abc",
            b"18446744073709551616",
            b"\xEF\xBB\xBF",
            b"1,\"A\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"",
            b"\"\r\n",
        ];
        let mut rng = Lcg(0x5d_0fac);
        for round in 0..4000 {
            let mut input = Vec::new();
            let len = rng.below(64);
            if round % 2 == 0 {
                // Structured noise reaches the deeper code paths.
                for _ in 0..len {
                    input.extend_from_slice(pieces[rng.below(pieces.len())]);
                }
            } else {
                input.extend((0..len * 4).map(|_| rng.next() as u8));
            }
            if let Ok(file) = parse_sdn_csv(&input) {
                assert!(!file.entities.is_empty());
                for a in &file.addresses {
                    assert!(file.entities.iter().any(|e| e.ent_num == a.ent_num));
                    assert!(!a.address.is_empty() && a.address.is_ascii());
                }
            }
            let text = String::from_utf8_lossy(&input);
            for (cur, addr) in extract_digital_currency_addresses(&text) {
                assert!(!cur.is_empty() && !addr.is_empty());
            }
        }
    }
}
