//! Parser for OFAC's legacy SDN list files and extraction of the digital currency addresses
//! that OFAC publishes inside its free-text Remarks.
//!
//! OFAC publishes the legacy CSV edition as four files joined on `ent_num`. Tessera screens
//! digital currency addresses (and listed parties and wallets), never names or street
//! addresses, so it reads two of them and refuses the others by their shape:
//!
//! | file | columns | read? |
//! |---|---|---|
//! | `sdn.csv` | 12: `ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks` | yes: the primary file ([`parse_sdn_csv`]) |
//! | `sdn_comments.csv` | 2: `ent_num, remarks_extended` | yes: Remarks past OFAC's cut, which can hold addresses ([`parse_sdn_files`]) |
//! | `alt.csv` | 5: `ent_num, alt_num, alt_type, alt_name, alt_remarks` | no: aliases are names |
//! | `add.csv` | 6: `ent_num, add_num, address, city/state/postal, country, add_remarks` | no: physical addresses |
//!
//! The consolidated (non-SDN) list's `cons_alt.csv`, `cons_add.csv` and `cons_comments.csv`
//! have the same shapes and are told apart the same way; `cons_prim.csv` has exactly the
//! shape of `sdn.csv` and cannot be told apart from it by content. An XML edition is refused.
//! A file of the wrong kind is refused with [`Code::SanctionsWrongFile`] naming what it is.
//!
//! Format (both files read): no header row; double-quoted CSV; null is `-0-`, usually unquoted
//! with a trailing space (`-0- `); CRLF line endings; the file may end with a DOS end-of-file
//! line holding a single 0x1A (Ctrl-Z).
//!
//! Invariants of a successful parse:
//! - every record had exactly the file's column count and an all-digit `ent_num` that fits
//!   in `u64`; `sdn.csv` records have a non-empty name and distinct `ent_num`s; every
//!   `sdn_comments.csv` record continues an entity of the `sdn.csv` it was given with.
//!   Otherwise the whole import is rejected with the 1-based line of the offending record.
//!   Rejecting rather than skipping is deliberate: a silently dropped row is a silently
//!   unsanctioned party.
//! - at least one record per file: an empty download must not replace a real list.
//! - entities and addresses are in file order (addresses in Remarks order), and each entity's
//!   `(currency, address)` pairs are de-duplicated, so the output is a deterministic function
//!   of the input bytes.
//! - invalid UTF-8 (OFAC files are mostly ASCII, sometimes Latin-1) is decoded lossily
//!   (U+FFFD) instead of failing; text fields are whitespace-trimmed.
//! - input larger than [`MAX_SDN_FILE_BYTES`] is refused up front.
//!
//! Remarks is capped (1000 characters) and OFAC cuts it anywhere, even inside a word; the
//! rest is in `sdn_comments.csv`, one or more rows per entity, to be appended in file order
//! with nothing in between. Without that file, addresses past the cut are absent and the last
//! address before the cut may be truncated; it is still reported (it cannot be told apart
//! from a complete, unterminated one, and reporting it errs on the side of screening), so
//! consumers must match addresses exactly, never by prefix.
//!
//! Pure: no I/O, no panics reachable from input, no floats.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::code::Code;

/// Upper bound on accepted input, per file (the real `sdn.csv` is a few MiB).
pub const MAX_SDN_FILE_BYTES: usize = 256 * 1024 * 1024;

const SDN_COLUMNS: usize = 12;
const COL_ENT_NUM: usize = 0;
const COL_NAME: usize = 1;
const COL_TYPE: usize = 2;
const COL_PROGRAM: usize = 3;
const COL_REMARKS: usize = 11;
const COMMENTS_COLUMNS: usize = 2;
const COL_REMARKS_EXTENDED: usize = 1;
const ALT_COLUMNS: usize = 5;
const ADD_COLUMNS: usize = 6;

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
    /// Remarks, continued by `sdn_comments.csv` when it was given.
    pub remarks: Option<String>,
}

/// A digital currency address listed in an entity's Remarks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigitalCurrencyAddress {
    pub ent_num: u64,
    pub name: String,
    /// OFAC's code, uppercased (`XBT`, `ETH`, `USDT`, ...).
    pub currency: String,
    /// Exactly as published; screening compares canonical forms (`chain_address`).
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdnFile {
    pub entities: Vec<SdnEntity>,
    pub addresses: Vec<DigitalCurrencyAddress>,
}

/// One row of `sdn_comments.csv`: more Remarks text for an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SdnComment {
    pub ent_num: u64,
    /// 1-based line where the record starts, for errors found when joining.
    pub line: u64,
    /// Decoded but not trimmed: a space at OFAC's cut belongs to the joined text.
    pub remarks_extended: String,
}

/// The OFAC legacy files a file's first record can be recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfacFile {
    Sdn,
    Comments,
    Aliases,
    Addresses,
    Xml,
}

impl OfacFile {
    /// How errors name the file being read.
    fn label(self) -> &'static str {
        match self {
            OfacFile::Sdn => "SDN file",
            OfacFile::Comments => "SDN comments file",
            OfacFile::Aliases => "alias file",
            OfacFile::Addresses => "address file",
            OfacFile::Xml => "XML file",
        }
    }

    /// What the file is, why Tessera does not take it where it was given, and what to give.
    fn refusal(self, given_as: OfacFile) -> String {
        const INSTEAD: &str = "give sdn.csv as the SDN file, with sdn_comments.csv as its comments file";
        match self {
            OfacFile::Aliases => format!(
                "this is OFAC's alt.csv (or cons_alt.csv): its first record has the {ALT_COLUMNS} columns of the \
                 alias file (ent_num, alt_num, alt_type, alt_name, alt_remarks). Aliases are names, and Tessera \
                 screens digital currency addresses, listed parties and wallets, not names; {INSTEAD}"
            ),
            OfacFile::Addresses => format!(
                "this is OFAC's add.csv (or cons_add.csv): its first record has the {ADD_COLUMNS} columns of the \
                 address file (ent_num, add_num, address, city/state/postal, country, add_remarks). Tessera does \
                 not screen by physical address; {INSTEAD}"
            ),
            OfacFile::Comments => format!(
                "this is OFAC's sdn_comments.csv (or cons_comments.csv): its first record has the \
                 {COMMENTS_COLUMNS} columns of the comments file (ent_num, remarks_extended), the part of \
                 sdn.csv's Remarks past OFAC's cut, given as the {}; {INSTEAD}",
                given_as.label()
            ),
            OfacFile::Sdn => format!(
                "this is OFAC's sdn.csv (or cons_prim.csv): its first record has the {SDN_COLUMNS} columns of the \
                 primary file, given as the {}; {INSTEAD}",
                given_as.label()
            ),
            OfacFile::Xml => format!(
                "this is an XML edition of OFAC's list (sdn.xml, SDN_ENHANCED.XML, ...), given as the {}; Tessera \
                 reads the legacy CSV edition: {INSTEAD}",
                given_as.label()
            ),
        }
    }
}

/// A malformed SDN file, or a different OFAC file than expected. `line` is the 1-based line
/// where the offending record starts, or 0 when the problem concerns the whole file (size,
/// empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdnError {
    /// The file being read when the problem was found.
    pub file: OfacFile,
    pub line: u64,
    pub message: String,
    wrong_file: bool,
}

impl std::fmt::Display for SdnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.wrong_file {
            return f.write_str(&self.message);
        }
        write!(f, "bad {}", self.file.label())?;
        if self.line != 0 {
            write!(f, " at line {}", self.line)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SdnError {}

impl SdnError {
    /// Stable machine-readable code (part of the external API).
    pub fn code(&self) -> Code {
        if self.wrong_file {
            Code::SanctionsWrongFile
        } else {
            Code::SanctionsBadSdnFile
        }
    }

    fn new(file: OfacFile, line: u64, message: impl Into<String>) -> Self {
        SdnError { file, line, message: message.into(), wrong_file: false }
    }

    fn wrong(given_as: OfacFile, line: u64, found: OfacFile) -> Self {
        SdnError { file: given_as, line, message: found.refusal(given_as), wrong_file: true }
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
            pos = pos.checked_add(1).expect(INDEX);
        }
        if pos > self.offset {
            let skipped = self.bytes.get(self.offset..pos).unwrap_or_default();
            let lines = skipped.iter().filter(|&&b| b == b'\n').count() as u64;
            self.line = self.line.checked_add(lines).expect("a line count is at most the file's length");
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

/// A Remarks-like field for joining: decoded, untrimmed, null as empty.
fn raw_text(field: &[u8]) -> String {
    let s = String::from_utf8_lossy(field);
    if matches!(s.trim(), "" | "-0-") {
        String::new()
    } else {
        s.into_owned()
    }
}

fn is_digits(field: &[u8]) -> bool {
    let t = field.trim_ascii();
    !t.is_empty() && t.iter().all(u8::is_ascii_digit)
}

/// Which OFAC file a first record looks like: the column count, and integer keys where
/// the file has them. `None` when it looks like none of them.
fn shape(record: &csv::ByteRecord) -> Option<OfacFile> {
    let digits = |i: usize| record.get(i).is_some_and(is_digits);
    match record.len() {
        SDN_COLUMNS if digits(0) => Some(OfacFile::Sdn),
        COMMENTS_COLUMNS if digits(0) => Some(OfacFile::Comments),
        ALT_COLUMNS if digits(0) && digits(1) => Some(OfacFile::Aliases),
        ADD_COLUMNS if digits(0) && digits(1) => Some(OfacFile::Addresses),
        _ => None,
    }
}

/// `ent_num` of a record, or an error quoting it.
fn ent_num(file: OfacFile, line: u64, field: &[u8]) -> Result<u64, SdnError> {
    let text = decode(field);
    // `u64::from_str` would also accept a leading '+'; OFAC ids are bare digits.
    let parsed =
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) { text.parse::<u64>().ok() } else { None };
    parsed.ok_or_else(|| {
        SdnError::new(file, line, format!("ent_num is not a non-negative integer: \"{}\"", preview(&text)))
    })
}

/// Reads every record of one OFAC CSV file expected to be `file` with `columns` columns,
/// calling `each` with the record's line. Owns everything the files share: the size limit,
/// BOM, Ctrl-Z end, line numbers, CSV errors, column counts and wrong-file detection.
fn read_records(
    bytes: &[u8],
    file: OfacFile,
    columns: usize,
    mut each: impl FnMut(u64, &csv::ByteRecord) -> Result<(), SdnError>,
) -> Result<(), SdnError> {
    if bytes.len() > MAX_SDN_FILE_BYTES {
        return Err(SdnError::new(
            file,
            0,
            format!("file is {} bytes, larger than the {MAX_SDN_FILE_BYTES}-byte limit", bytes.len()),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bytes = strip_eof_marker(bytes);
    if bytes.trim_ascii_start().starts_with(b"<") {
        let newlines = bytes.iter().take_while(|b| b.is_ascii_whitespace()).filter(|&&b| b == b'\n').count() as u64;
        let line = newlines.checked_add(1).expect("a line count is at most the file's length");
        return Err(SdnError::wrong(file, line, OfacFile::Xml));
    }

    // `flexible` so that a wrong column count reaches our own check, which
    // reports it with the line number.
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut lines = LineCounter::new(bytes);
    let mut record = csv::ByteRecord::new();
    let mut first = true;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                return Err(SdnError::new(file, line, format!("unreadable CSV: {e}")));
            }
        }
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        if std::mem::take(&mut first) {
            if let Some(found) = shape(&record).filter(|&f| f != file) {
                return Err(SdnError::wrong(file, line, found));
            }
        }
        if record.len() != columns {
            return Err(SdnError::new(file, line, format!("expected {columns} columns, found {}", record.len())));
        }
        each(line, &record)?;
    }
    if first {
        return Err(SdnError::new(file, 0, "file contains no records"));
    }
    Ok(())
}

/// Parses a legacy-format `sdn.csv` alone; see the module docs for guarantees.
pub fn parse_sdn_csv(bytes: &[u8]) -> Result<SdnFile, SdnError> {
    parse_sdn_files(bytes, None)
}

/// Parses `sdn_comments.csv`: the Remarks overflow, in file order.
pub fn parse_sdn_comments_csv(bytes: &[u8]) -> Result<Vec<SdnComment>, SdnError> {
    let mut out = Vec::new();
    read_records(bytes, OfacFile::Comments, COMMENTS_COLUMNS, |line, record| {
        let col = |i: usize| record.get(i).unwrap_or_default();
        let ent_num = ent_num(OfacFile::Comments, line, col(COL_ENT_NUM))?;
        out.push(SdnComment { ent_num, line, remarks_extended: raw_text(col(COL_REMARKS_EXTENDED)) });
        Ok(())
    })?;
    Ok(out)
}

/// Parses `sdn.csv` and, when given, its `sdn_comments.csv`, whose text continues the
/// Remarks of the same `ent_num` before addresses are extracted; see the module docs.
pub fn parse_sdn_files(sdn: &[u8], comments: Option<&[u8]>) -> Result<SdnFile, SdnError> {
    let mut entities = Vec::new();
    // Remarks as published, untrimmed, so a continuation joins exactly at OFAC's cut.
    let mut remarks = Vec::new();
    // ent_num → (index, line): for joining, and to refuse a second record with one ent_num.
    let mut index: HashMap<u64, (usize, u64)> = HashMap::new();
    read_records(sdn, OfacFile::Sdn, SDN_COLUMNS, |line, record| {
        let col = |i: usize| record.get(i).unwrap_or_default();
        let ent_num = ent_num(OfacFile::Sdn, line, col(COL_ENT_NUM))?;
        let Some(name) = nullable(col(COL_NAME)) else {
            return Err(SdnError::new(OfacFile::Sdn, line, format!("SDN_Name is empty for ent_num {ent_num}")));
        };
        if let Some((_, first)) = index.insert(ent_num, (entities.len(), line)) {
            return Err(SdnError::new(
                OfacFile::Sdn,
                line,
                format!("ent_num {ent_num} appears twice (first on line {first})"),
            ));
        }
        remarks.push(raw_text(col(COL_REMARKS)));
        entities.push(SdnEntity {
            ent_num,
            name,
            sdn_type: nullable(col(COL_TYPE)),
            program: nullable(col(COL_PROGRAM)),
            remarks: None,
        });
        Ok(())
    })?;

    if let Some(comments) = comments {
        for c in parse_sdn_comments_csv(comments)? {
            let Some(&(i, _)) = index.get(&c.ent_num) else {
                return Err(SdnError::new(
                    OfacFile::Comments,
                    c.line,
                    format!(
                        "ent_num {} is not in the SDN file: the two files must come from the same publication",
                        c.ent_num
                    ),
                ));
            };
            if let Some(r) = remarks.get_mut(i) {
                r.push_str(&c.remarks_extended);
            }
        }
    }

    let mut addresses = Vec::new();
    for (e, text) in entities.iter_mut().zip(remarks) {
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        for (currency, address) in extract_digital_currency_addresses(text) {
            addresses.push(DigitalCurrencyAddress { ent_num: e.ent_num, name: e.name.clone(), currency, address });
        }
        e.remarks = Some(text.to_owned());
    }
    Ok(SdnFile { entities, addresses })
}

fn skip_whitespace(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i = i.checked_add(1).expect(INDEX);
    }
    i
}

/// Why stepping past a byte the text has cannot overflow.
const INDEX: &str = "an index below the text's length";

fn find_marker(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    let p = rest.windows(ADDRESS_MARKER.len()).position(|w| w.eq_ignore_ascii_case(ADDRESS_MARKER))?;
    Some(from.checked_add(p).expect(INDEX))
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
        let mut i = marker_at.checked_add(ADDRESS_MARKER.len()).expect("the marker lies within the text");
        // Resume after this marker whatever happens below, so scanning
        // always makes progress.
        from = i;

        i = skip_whitespace(b, i);
        if b.get(i) != Some(&b'-') {
            continue;
        }
        i = skip_whitespace(b, i.checked_add(1).expect(INDEX));

        let currency_start = i;
        while b.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i = i.checked_add(1).expect(INDEX);
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
            i = i.checked_add(1).expect(INDEX);
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
        assert_eq!(e.code(), Code::SanctionsBadSdnFile);
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
            assert_eq!((e.line, e.code()), (0, Code::SanctionsBadSdnFile));
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

    #[test]
    fn arbitrary_bytes_as_the_comments_file_never_panic() {
        let pieces: [&[u8]; 14] = [
            b"\"",
            b",",
            b"\r\n",
            b"-0- ",
            b"50001",
            b"50003",
            b"\x1A",
            b"Digital Currency Address - ",
            b"ETH 0xAb",
            b"; ",
            b"\xFF\xD1",
            b"<",
            b"50001,\"",
            b"1,2,\"aka\",\"X\",-0- ",
        ];
        let sdn = fixture();
        let mut rng = Lcg(0xc0_face);
        for round in 0..4000 {
            let mut input = Vec::new();
            let len = rng.below(48);
            if round % 2 == 0 {
                for _ in 0..len {
                    input.extend_from_slice(pieces[rng.below(pieces.len())]);
                }
            } else {
                input.extend((0..len * 4).map(|_| rng.next() as u8));
            }
            if let Err(e) = parse_sdn_comments_csv(&input) {
                assert_eq!(e.file, OfacFile::Comments);
            }
            match parse_sdn_files(&sdn, Some(&input)) {
                // Joining only ever adds text after each entity's own Remarks.
                Ok(file) => assert_eq!(file.entities.len(), 4),
                Err(e) => assert!(matches!(e.file, OfacFile::Comments)),
            }
        }
    }

    /// OFAC's alias and address files, as published (synthetic names).
    const ALT_CSV: &[u8] = b"36,12,\"aka\",\"AERO-CARIBBEAN\",-0- \r\n50001,101,\"aka\",\"SAMPLE, Ivan\",-0- \r\n\x1A";
    const ADD_CSV: &[u8] =
        b"36,25,-0- ,\"Havana\",\"Cuba\",-0- \r\n50001,26,\"1 Example St\",\"Moscow\",\"Russia\",-0- \r\n";
    const COMMENTS_CSV: &[u8] = b"50003,\"le3xAmpLeXbtAddr; alt. Digital Currency Address - ETH 0xAbC\"\r\n";

    #[test]
    fn an_alias_file_given_as_the_sdn_file_is_refused_wrong_file_naming_alt_csv_and_why() {
        let e = parse_sdn_csv(ALT_CSV).unwrap_err();
        assert_eq!((e.code(), e.line, e.file), (Code::SanctionsWrongFile, 1, OfacFile::Sdn));
        let m = e.to_string();
        for part in ["alt.csv", "cons_alt.csv", "not names", "give sdn.csv", "sdn_comments.csv"] {
            assert!(m.contains(part), "{part:?} missing from: {m}");
        }
        // The same file given as the comments file is refused the same way.
        let e = parse_sdn_files(&fixture(), Some(ALT_CSV)).unwrap_err();
        assert_eq!((e.code(), e.file), (Code::SanctionsWrongFile, OfacFile::Comments));
        assert!(e.message.contains("alt.csv"), "{e}");
    }

    #[test]
    fn an_address_file_given_as_the_sdn_file_is_refused_wrong_file_naming_add_csv_and_why() {
        let e = parse_sdn_csv(ADD_CSV).unwrap_err();
        assert_eq!((e.code(), e.line), (Code::SanctionsWrongFile, 1));
        let m = e.to_string();
        for part in ["add.csv", "cons_add.csv", "physical address", "give sdn.csv"] {
            assert!(m.contains(part), "{part:?} missing from: {m}");
        }
    }

    #[test]
    fn the_sdn_and_comments_files_swapped_are_refused_wrong_file_naming_each() {
        let e = parse_sdn_csv(COMMENTS_CSV).unwrap_err();
        assert_eq!((e.code(), e.file), (Code::SanctionsWrongFile, OfacFile::Sdn));
        assert!(e.message.contains("this is OFAC's sdn_comments.csv") && e.message.contains("as the SDN file"), "{e}");
        let e = parse_sdn_files(COMMENTS_CSV, Some(&fixture())).unwrap_err();
        assert_eq!(e.code(), Code::SanctionsWrongFile);
        assert!(e.message.contains("this is OFAC's sdn_comments.csv"), "{e}");
        let e = parse_sdn_comments_csv(&fixture()).unwrap_err();
        assert_eq!((e.code(), e.file), (Code::SanctionsWrongFile, OfacFile::Comments));
        assert!(e.message.contains("this is OFAC's sdn.csv") && e.message.contains("as the SDN comments file"), "{e}");
    }

    #[test]
    fn the_xml_edition_is_refused_wrong_file_on_the_line_it_starts() {
        let xml = b"\xEF\xBB\xBF\r\n<?xml version=\"1.0\" standalone=\"yes\"?>\r\n<sdnList>\r\n";
        let e = parse_sdn_csv(xml).unwrap_err();
        assert_eq!((e.code(), e.line), (Code::SanctionsWrongFile, 2));
        assert!(e.message.contains("XML edition") && e.message.contains("give sdn.csv"), "{e}");
    }

    #[test]
    fn comments_continue_remarks_at_the_cut_even_inside_an_address() {
        // Entity 50003's Remarks end mid-address ("1Ex4mp"); the comments file holds the rest
        // of it and one more address, split over two rows.
        let comments = b"50003,\"le3xAmpLeXbtAddr; alt. Digital Currency Add\"\r\n\
                         50003,\"ress - ETH 0xAbC; Gender Male.\"\r\n\x1A";
        let file = parse_sdn_files(&fixture(), Some(comments)).unwrap();
        let of_50003: Vec<(&str, &str)> = file
            .addresses
            .iter()
            .filter(|a| a.ent_num == 50003)
            .map(|a| (a.currency.as_str(), a.address.as_str()))
            .collect();
        assert_eq!(of_50003, [("USDT", USDT_1), ("XBT", "1Ex4mple3xAmpLeXbtAddr"), ("ETH", "0xAbC")]);
        assert!(file.entities[3].remarks.as_deref().unwrap().ends_with("ETH 0xAbC; Gender Male."));
        // Other entities are untouched.
        let alone = parse_sdn_csv(&fixture()).unwrap();
        assert_eq!(file.entities[..3], alone.entities[..3]);
    }

    #[test]
    fn a_space_at_the_cut_is_kept_when_joining() {
        let sdn = b"7,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Digital Currency Address - XBT \"\r\n";
        let file = parse_sdn_files(sdn, Some(b"7,\"1AbC; \"")).unwrap();
        assert_eq!(file.addresses[0].address, "1AbC");
        // A null Remarks continued by a comment is just the comment.
        let sdn = b"7,\"X\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
        let file = parse_sdn_files(sdn, Some(b"7,\"Digital Currency Address - ETH 0xAA\"")).unwrap();
        assert_eq!(file.addresses[0].address, "0xAA");
    }

    #[test]
    fn comments_are_read_like_sdn_csv_quoted_nulls_crlf_ctrl_z_latin1() {
        let input = b"\xEF\xBB\xBF50001,-0- \r\n50003,\"caf\xE9, \"\"quoted\"\"\nsecond line\"\r\n\x1A";
        let rows = parse_sdn_comments_csv(input).unwrap();
        let got: Vec<(u64, u64, &str)> =
            rows.iter().map(|c| (c.ent_num, c.line, c.remarks_extended.as_str())).collect();
        assert_eq!(got, [(50001, 1, ""), (50003, 2, "caf\u{FFFD}, \"quoted\"\nsecond line")]);
    }

    #[test]
    fn a_bad_comments_row_refuses_the_import_with_its_line_instead_of_being_skipped() {
        // Line 2 spans two physical lines, so the short row starts on line 4.
        let short = b"50001,\"a\"\r\n50003,\"b\r\nc\"\r\n50003\r\n";
        let e = parse_sdn_files(&fixture(), Some(short)).unwrap_err();
        assert_eq!((e.code(), e.file, e.line), (Code::SanctionsBadSdnFile, OfacFile::Comments, 4));
        assert!(e.to_string().starts_with("bad SDN comments file at line 4: expected 2 columns, found 1"), "{e}");
        let e = parse_sdn_comments_csv(b"50001,\"a\"\r\n5O003,\"b\"\r\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("5O003"), "{e}");
        for empty in [&b""[..], b"\r\n\x1A"] {
            let e = parse_sdn_comments_csv(empty).unwrap_err();
            assert_eq!((e.code(), e.line), (Code::SanctionsBadSdnFile, 0));
        }
    }

    #[test]
    fn a_comment_for_an_entity_missing_from_the_sdn_file_is_refused_with_its_line() {
        let e = parse_sdn_files(&fixture(), Some(b"50001,\"a\"\r\n99999,\"b\"\r\n")).unwrap_err();
        assert_eq!((e.code(), e.file, e.line), (Code::SanctionsBadSdnFile, OfacFile::Comments, 2));
        assert!(e.message.contains("ent_num 99999 is not in the SDN file"), "{e}");
    }

    #[test]
    fn an_ent_num_listed_twice_in_the_sdn_file_is_refused_with_both_lines() {
        let mut input = fixture();
        input.truncate(input.len() - 3);
        input.extend_from_slice(b"\r\n50002,\"AGAIN\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n");
        let e = parse_sdn_csv(&input).unwrap_err();
        assert_eq!((e.code(), e.line), (Code::SanctionsBadSdnFile, 5));
        assert!(e.message.contains("ent_num 50002 appears twice (first on line 3)"), "{e}");
    }
}
