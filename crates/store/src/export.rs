//! The portable journal export: a ledger's blocks in one self-describing, checksummed,
//! append-only file, so that an auditor can archive and verify a ledger without a database
//! (`tessera export --journal FILE`, `tessera verify --file FILE`, `tessera import`). The
//! format is published in docs/formats.md, "The portable journal export":
//!
//! ```text
//! file   = magic record*
//! magic  = the 16 ASCII bytes "TESSERA-JOURNAL\n"
//! record = kind (u8) ‖ length (u32 LE) ‖ payload (length bytes) ‖ check (32 bytes)
//! check  = SHA-256(previous check ‖ kind ‖ length ‖ payload); first: previous = SHA-256(magic)
//! kind 1 = preamble (UTF-8 JSON), exactly once, first
//! kind 2 = block: borsh BlockHeader (148 bytes) ‖ borsh BlockBody; heights 0, 1, 2, …
//! ```
//!
//! The chained check makes an edit, a dropped or reordered record and a cut detectable, and
//! lets an append continue from the last check alone. Here: the writer ([`ExportWriter`],
//! [`export_journal`]), the reader ([`ExportReader`]: typed errors, never a panic, whatever
//! the bytes) and [`ExportFile`], a read-only [`Journal`] over a file, so replay, `verify` and
//! copying read an export exactly as they read a database. Everything streams: one block at
//! a time is in memory.

use crate::{Journal, RawBlock, Result as StoreResult, Snapshot, StoreError, StoredSnapshot};
use borsh::BorshDeserialize;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use tessera_core::block::{Block, BlockHeader};
use tessera_core::crypto::sha256;
use tessera_core::{Code, Hash, Refusal};

/// The first 16 bytes of every export.
pub const MAGIC: &[u8; 16] = b"TESSERA-JOURNAL\n";
/// The record kind of the preamble (first record, exactly once).
pub const KIND_PREAMBLE: u8 = 1;
/// The record kind of a block.
pub const KIND_BLOCK: u8 = 2;
/// The bytes of a borsh `BlockHeader`: height u64, prev 32, time u64, tx_count u32 and three
/// 32-byte hashes.
pub const HEADER_LEN: usize = 148;
/// The `format` field of the preamble.
pub const FORMAT: &str = "tessera-journal";
/// The `version` of the format this build writes and reads.
pub const VERSION: u32 = 1;
/// kind (1) + length (4) before the payload; the check (32) after it.
const RECORD_HEAD: usize = 5;
const CHECK_LEN: usize = 32;

/// The first record: what the file is and how to read its bytes.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Preamble {
    pub format: String,
    pub version: u32,
    /// The network of the ledger (its genesis' `network`).
    pub network: String,
    /// "tessera <version>" of the build that made the file.
    pub exported_by: String,
    /// The byte layout of every type the records hold.
    pub layouts: serde_json::Value,
}

/// The preamble this build writes for a ledger of `network` (the one place that builds it).
pub fn preamble(network: &str) -> Preamble {
    Preamble {
        format: FORMAT.into(),
        version: VERSION,
        network: network.into(),
        exported_by: format!("tessera {}", env!("CARGO_PKG_VERSION")),
        layouts: tessera_core::layouts::layouts_json(),
    }
}

/// Where in a file something is: its record (0 is the preamble, record n ≥ 1 holds block
/// n − 1 in a well-formed file) and the byte offset at which the record begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    pub record: u64,
    pub offset: u64,
}

impl Place {
    /// The block a well-formed file holds in this record.
    pub fn block(&self) -> Option<u64> {
        self.record.checked_sub(1)
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.block() {
            Some(b) => write!(f, "record {} (block {b}) at byte offset {}", self.record, self.offset),
            None => write!(f, "record 0 (the preamble) at byte offset {}", self.offset),
        }
    }
}

/// Why an export cannot be read, written or appended to.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Not the magic, a malformed record, or a check that does not chain.
    #[error("{why}")]
    BadFile { place: Option<Place>, why: String },
    /// The file ends inside a record: a write was cut off.
    #[error(
        "the file ends {len} bytes into {place}: a write was cut off (a crash during an export?). \
         Nothing was changed. Keep a copy of the file, then cut it back to its last whole record with \
         `truncate -s {} {file}` and export again",
        place.offset
    )]
    TornTail { place: Place, len: u64, file: String },
    #[error("the file holds the ledger of network {file:?}, this ledger is of network {ledger:?}")]
    OtherNetwork { file: String, ledger: String },
    /// The ledger no longer holds the file's last block.
    #[error("{0}")]
    Diverged(String),
    #[error("{0}")]
    Io(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ExportError {
    pub fn code(&self) -> Code {
        match self {
            ExportError::BadFile { .. } => Code::ExportBadFile,
            ExportError::TornTail { .. } => Code::ExportTornTail,
            ExportError::OtherNetwork { .. } => Code::ExportOtherNetwork,
            ExportError::Diverged(_) => Code::ExportDiverged,
            ExportError::Io(_) => Code::StoreIo,
            ExportError::Store(e) => e.code(),
        }
    }
    /// The record the error is about, if any.
    pub fn place(&self) -> Option<Place> {
        match self {
            ExportError::BadFile { place, .. } => *place,
            ExportError::TornTail { place, .. } => Some(*place),
            _ => None,
        }
    }
    /// The error with the file's path in its advice.
    pub fn in_file(self, path: &Path) -> ExportError {
        match self {
            ExportError::TornTail { place, len, .. } => {
                ExportError::TornTail { place, len, file: path.display().to_string() }
            }
            e => e,
        }
    }
    fn bad(place: Place, why: impl std::fmt::Display) -> ExportError {
        ExportError::BadFile { place: Some(place), why: format!("{place}: {why}") }
    }
}

impl From<ExportError> for Refusal {
    fn from(e: ExportError) -> Self {
        Refusal::new(e.code(), e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, ExportError>;

/// The check before the first record.
pub fn first_check() -> Hash {
    sha256(MAGIC)
}

/// The check of a record whose payload is `parts` concatenated, after `prev`.
pub fn record_check(prev: &Hash, kind: u8, parts: &[&[u8]]) -> Hash {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut h = Sha256::new();
    h.update(prev.0);
    h.update([kind]);
    h.update((len as u32).to_le_bytes());
    for p in parts {
        h.update(p);
    }
    Hash(h.finalize().into())
}

/// Writes records, chaining their checks.
pub struct ExportWriter<W: Write> {
    out: W,
    prev: Hash,
    bytes: u64,
}

impl<W: Write> ExportWriter<W> {
    /// A new file: the magic and the preamble.
    pub fn start(out: W, preamble: &Preamble) -> Result<Self> {
        let mut w = ExportWriter { out, prev: first_check(), bytes: 0 };
        w.write(&[MAGIC])?;
        let json = serde_json::to_vec(preamble).map_err(|e| ExportError::Io(e.to_string()))?;
        w.record(KIND_PREAMBLE, &[&json])?;
        Ok(w)
    }

    /// Continues a file whose last record's check is `prev` and which is `bytes` long.
    pub fn resume(out: W, prev: Hash, bytes: u64) -> Self {
        ExportWriter { out, prev, bytes }
    }

    /// Appends one block as stored: its header and body bytes.
    pub fn block(&mut self, raw: &RawBlock) -> Result<()> {
        if raw.header.len() != HEADER_LEN {
            return Err(ExportError::Store(StoreError::Corrupt(format!(
                "block {}: its stored header holds {} bytes, not {HEADER_LEN}",
                raw.height,
                raw.header.len()
            ))));
        }
        self.record(KIND_BLOCK, &[&raw.header, &raw.body])
    }

    fn record(&mut self, kind: u8, parts: &[&[u8]]) -> Result<()> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let len = u32::try_from(len)
            .map_err(|_| ExportError::Io(format!("a record of {len} bytes does not fit the format (at most 4 GiB)")))?;
        let check = record_check(&self.prev, kind, parts);
        self.write(&[&[kind], &len.to_le_bytes()])?;
        self.write(parts)?;
        self.write(&[&check.0])?;
        self.prev = check;
        Ok(())
    }

    fn write(&mut self, parts: &[&[u8]]) -> Result<()> {
        for p in parts {
            self.out.write_all(p).map_err(|e| ExportError::Io(format!("write: {e}")))?;
            self.bytes += p.len() as u64;
        }
        Ok(())
    }

    /// The check of the last record written (the file's head).
    pub fn last_check(&self) -> Hash {
        self.prev
    }
    /// The bytes of the file so far.
    pub fn len(&self) -> u64 {
        self.bytes
    }
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }
    pub fn into_inner(self) -> W {
        self.out
    }
}

/// One block read from an export, with where it is.
#[derive(Clone, Debug)]
pub struct ExportedBlock {
    pub place: Place,
    pub raw: RawBlock,
}

/// Reads an export record by record, checking the chain of checks and the heights; every
/// failure is a typed error naming the record, its offset and its block.
pub struct ExportReader<R: Read> {
    input: R,
    /// Where the next record begins.
    offset: u64,
    record: u64,
    prev: Hash,
    preamble: Preamble,
    next_height: u64,
    last_hash: Option<Hash>,
}

/// What the raw bytes of one record were.
enum Next {
    End,
    Record { kind: u8, payload: Vec<u8>, check: [u8; 32] },
}

impl<R: Read> ExportReader<R> {
    /// Reads the magic and the preamble.
    pub fn open(mut input: R) -> Result<Self> {
        let mut magic = [0u8; 16];
        let n = read_full(&mut input, &mut magic)?;
        if n < magic.len() || &magic != MAGIC {
            return Err(ExportError::BadFile {
                place: None,
                why: format!(
                    "not a Tessera journal export: it begins {:?}, an export begins {:?}",
                    String::from_utf8_lossy(&magic[..n]),
                    std::str::from_utf8(MAGIC).unwrap_or_default()
                ),
            });
        }
        let placeholder = preamble("");
        let mut r = ExportReader {
            input,
            offset: MAGIC.len() as u64,
            record: 0,
            prev: first_check(),
            preamble: placeholder,
            next_height: 0,
            last_hash: None,
        };
        let place = r.place();
        let (kind, payload) = match r.next_record()? {
            Some(x) => x,
            None => return Err(ExportError::bad(place, "the file ends before its preamble")),
        };
        if kind != KIND_PREAMBLE {
            return Err(ExportError::bad(
                place,
                format!("the first record is of kind {kind}, not the preamble (kind 1)"),
            ));
        }
        let p: Preamble = serde_json::from_slice(&payload)
            .map_err(|e| ExportError::bad(place, format!("the preamble is not the expected JSON: {e}")))?;
        if p.format != FORMAT {
            return Err(ExportError::bad(place, format!("the preamble names format {:?}, not {FORMAT:?}", p.format)));
        }
        if p.version != VERSION {
            return Err(ExportError::bad(
                place,
                format!("version {} of the format; this build reads version {VERSION}", p.version),
            ));
        }
        r.preamble = p;
        Ok(r)
    }

    pub fn preamble(&self) -> &Preamble {
        &self.preamble
    }

    /// The next block, or `None` at the end of the file.
    pub fn next_block(&mut self) -> Result<Option<ExportedBlock>> {
        let place = self.place();
        let Some((kind, payload)) = self.next_record()? else { return Ok(None) };
        if kind != KIND_BLOCK {
            let what = if kind == KIND_PREAMBLE { "a second preamble" } else { "an unknown kind" };
            return Err(ExportError::bad(
                place,
                format!("a record of kind {kind} ({what}) where a block (kind 2) belongs"),
            ));
        }
        if payload.len() < HEADER_LEN {
            return Err(ExportError::bad(
                place,
                format!("a block record of {} bytes, shorter than its {HEADER_LEN}-byte header", payload.len()),
            ));
        }
        let (header_bytes, body) = payload.split_at(HEADER_LEN);
        let header = BlockHeader::try_from_slice(header_bytes)
            .map_err(|e| ExportError::bad(place, format!("the block header does not decode: {e}")))?;
        if header.height != self.next_height {
            return Err(ExportError::bad(
                place,
                format!(
                    "holds block {}, block {} belongs here (heights run 0, 1, 2, …)",
                    header.height, self.next_height
                ),
            ));
        }
        self.next_height += 1;
        let hash = header.hash();
        self.last_hash = Some(hash);
        let tx_prefixes = tessera_core::block::BlockBody::try_from_slice(body)
            .map(|b| b.receipts.iter().flat_map(|r| r.tx.0[..8].to_vec()).collect())
            .unwrap_or_default();
        let raw = RawBlock {
            height: header.height,
            hash,
            header: header_bytes.to_vec(),
            body_hash: sha256(body),
            body: body.to_vec(),
            tx_prefixes,
        };
        Ok(Some(ExportedBlock { place, raw }))
    }

    /// Where the next record begins.
    pub fn place(&self) -> Place {
        Place { record: self.record, offset: self.offset }
    }
    /// The check of the last record read.
    pub fn last_check(&self) -> Hash {
        self.prev
    }
    /// The height the next block must have (the number of blocks read).
    pub fn next_height(&self) -> u64 {
        self.next_height
    }
    /// The hash of the last block read.
    pub fn last_hash(&self) -> Option<Hash> {
        self.last_hash
    }

    fn next_record(&mut self) -> Result<Option<(u8, Vec<u8>)>> {
        let place = self.place();
        match self.raw_record(place)? {
            Next::End => Ok(None),
            Next::Record { kind, payload, check } => {
                let want = record_check(&self.prev, kind, &[&payload]);
                if want.0 != check {
                    return Err(ExportError::bad(
                        place,
                        format!(
                            "its check is {}, but SHA-256 of the previous check and its bytes is {want}: the file was \
                             changed after it was written (an edited, dropped or reordered record); the records \
                             before it are intact",
                            Hash(check)
                        ),
                    ));
                }
                self.prev = want;
                self.offset += (RECORD_HEAD + payload.len() + CHECK_LEN) as u64;
                self.record += 1;
                Ok(Some((kind, payload)))
            }
        }
    }

    fn raw_record(&mut self, place: Place) -> Result<Next> {
        let torn = |got: usize| ExportError::TornTail { place, len: got as u64, file: "FILE".into() };
        let mut head = [0u8; RECORD_HEAD];
        let n = read_full(&mut self.input, &mut head)?;
        if n == 0 {
            return Ok(Next::End);
        }
        if n < RECORD_HEAD {
            return Err(torn(n));
        }
        let kind = head[0];
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
        let mut payload = Vec::new();
        // `take` grows the buffer as bytes arrive: a damaged length cannot make it allocate
        // more than the file holds.
        (&mut self.input)
            .take(u64::from(len))
            .read_to_end(&mut payload)
            .map_err(|e| ExportError::Io(format!("read: {e}")))?;
        if payload.len() < len as usize {
            return Err(torn(RECORD_HEAD + payload.len()));
        }
        let mut check = [0u8; CHECK_LEN];
        let c = read_full(&mut self.input, &mut check)?;
        if c < CHECK_LEN {
            return Err(torn(RECORD_HEAD + payload.len() + c));
        }
        Ok(Next::Record { kind, payload, check })
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(ExportError::Io(format!("read: {e}"))),
        }
    }
    Ok(got)
}

/// What a whole pass over a file found: where it ends and how to continue it.
#[derive(Clone, Debug)]
pub struct FileHead {
    pub preamble: Preamble,
    /// The number of blocks (the next height).
    pub blocks: u64,
    /// The hash of the last block, if any.
    pub last_hash: Option<Hash>,
    /// The check of the last record.
    pub last_check: Hash,
    /// The file's length: the end of its last record.
    pub len: u64,
}

/// Reads a whole export, checking every record; `progress` gets the blocks read.
pub fn read_head(input: impl Read, progress: &mut dyn FnMut(u64)) -> Result<FileHead> {
    let mut r = ExportReader::open(input)?;
    while r.next_block()?.is_some() {
        progress(r.next_height());
    }
    Ok(FileHead {
        preamble: r.preamble.clone(),
        blocks: r.next_height,
        last_hash: r.last_hash,
        last_check: r.prev,
        len: r.offset,
    })
}

fn open_file(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| ExportError::Io(format!("open {}: {e}", path.display())))
}

/// An export file read as a journal (read-only: no snapshots, no writes). Opening reads the
/// whole file once and checks every record; each scan reads it again from the start, checking
/// again, and sees the blocks the file held when it was opened.
#[derive(Clone, Debug)]
pub struct ExportFile {
    path: PathBuf,
    head: FileHead,
}

impl ExportFile {
    pub fn open(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<ExportFile> {
        let head = read_head(std::io::BufReader::new(open_file(path)?), progress).map_err(|e| e.in_file(path))?;
        Ok(ExportFile { path: path.to_path_buf(), head })
    }
    pub fn head(&self) -> &FileHead {
        &self.head
    }
    pub fn path(&self) -> &Path {
        &self.path
    }
    fn damaged(&self, e: ExportError) -> StoreError {
        StoreError::Corrupt(format!("{}: {e}", self.path.display()))
    }
    fn read_only(&self) -> StoreError {
        StoreError::Io(format!(
            "{} is an export, read here as a journal: it is not written this way",
            self.path.display()
        ))
    }
}

impl Journal for ExportFile {
    fn head_height(&self) -> StoreResult<Option<u64>> {
        Ok(self.head.blocks.checked_sub(1))
    }
    fn raw_block(&self, height: u64) -> StoreResult<Option<RawBlock>> {
        let mut found = None;
        self.scan(height, &mut |raw| {
            found = Some(raw);
            Ok(false)
        })?;
        Ok(found)
    }
    fn scan(&self, from: u64, f: &mut dyn FnMut(RawBlock) -> StoreResult<bool>) -> StoreResult<()> {
        let file = open_file(&self.path).map_err(|e| self.damaged(e))?;
        let mut r = ExportReader::open(std::io::BufReader::new(file)).map_err(|e| self.damaged(e))?;
        while r.next_height() < self.head.blocks {
            let Some(b) = r.next_block().map_err(|e| self.damaged(e))? else {
                return Err(self.damaged(ExportError::Io(format!(
                    "the file now ends at block {}, it held {} blocks when it was opened",
                    r.next_height(),
                    self.head.blocks
                ))));
            };
            if b.raw.height >= from && !f(b.raw)? {
                break;
            }
        }
        Ok(())
    }
    fn scan_tx_prefixes(&self, f: &mut dyn FnMut(u64, [u8; 8])) -> StoreResult<()> {
        self.scan(0, &mut |raw| {
            RawBlock::visit_tx_prefixes(raw.height, &raw.tx_prefixes, f);
            Ok(true)
        })
    }
    fn snapshots(&self, _max_height: u64) -> StoreResult<Vec<StoredSnapshot>> {
        Ok(Vec::new())
    }
    fn reader(&self) -> StoreResult<Box<dyn Journal>> {
        Ok(Box::new(self.clone()))
    }
    fn is_writer(&self) -> bool {
        false
    }
    fn append(&mut self, _blocks: &[Block]) -> StoreResult<()> {
        Err(self.read_only())
    }
    fn put_snapshot(&mut self, _snap: &Snapshot) -> StoreResult<()> {
        Err(self.read_only())
    }
}

/// What an export wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ExportSummary {
    pub file: PathBuf,
    pub network: String,
    /// Whether blocks were appended to an existing file (false: a new file).
    pub appended: bool,
    pub blocks_written: u64,
    /// The first height written, when any was.
    pub first_written: Option<u64>,
    /// The last block the file holds, and its hash.
    pub head_height: u64,
    pub head_hash: Hash,
    /// The check of the file's last record: an append continues from it.
    pub last_check: Hash,
    pub bytes: u64,
}

/// Exports the blocks of `journal` to `path`: a new file holds every block; an existing one
/// is read and checked first, must hold the same network and a block the ledger still holds
/// at its last height, and gains only the blocks after it, made durable (fsync) before this
/// returns. `progress` gets (blocks done, blocks to do).
pub fn export_journal(journal: &dyn Journal, path: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<ExportSummary> {
    let head = journal.head_height()?.ok_or_else(|| StoreError::State("the journal holds no genesis block".into()))?;
    let genesis = journal.block(0)?.ok_or_else(|| StoreError::State("the journal holds no genesis block".into()))?;
    let network = genesis.body.genesis.as_ref().map(|g| g.network.clone()).unwrap_or_default();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| ExportError::Io(format!("open {}: {e}", path.display())))?;
    // Two exports appending to one file would interleave their records. A lock is waited for
    // briefly: one this process just released can still be held for a moment by a child being
    // spawned by another thread (between fork and exec it shares the open file).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while let Err(e) = file.try_lock() {
        if !matches!(e, std::fs::TryLockError::WouldBlock) || std::time::Instant::now() >= deadline {
            let held = format!("another process is writing {} (an export running?)", path.display());
            return Err(StoreError::Locked(held).into());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let existing = file.metadata().map_err(|e| ExportError::Io(format!("{}: {e}", path.display())))?.len();
    let appended = existing > 0;
    let (mut writer, from) = if appended {
        let found = read_head(std::io::BufReader::new(&mut file), &mut |_| {}).map_err(|e| e.in_file(path))?;
        if found.preamble.network != network {
            return Err(ExportError::OtherNetwork { file: found.preamble.network, ledger: network });
        }
        if let (Some(last), Some(file_hash)) = (found.blocks.checked_sub(1), found.last_hash) {
            let ours = journal.raw_block(last)?;
            match ours {
                Some(raw) if raw.hash == file_hash => {}
                Some(raw) => {
                    return Err(ExportError::Diverged(format!(
                        "the file's last block {last} is {file_hash}, the ledger's block {last} is {}: this ledger is \
                         not the one the file was exported from (export into a new file)",
                        raw.hash
                    )))
                }
                None => {
                    return Err(ExportError::Diverged(format!(
                        "the file ends at block {last}, the ledger at block {head}: the ledger no longer holds the \
                         file's last block (export into a new file)"
                    )))
                }
            }
        }
        file.seek(SeekFrom::Start(found.len)).map_err(|e| ExportError::Io(format!("seek: {e}")))?;
        (ExportWriter::resume(std::io::BufWriter::new(&mut file), found.last_check, found.len), found.blocks)
    } else {
        (ExportWriter::start(std::io::BufWriter::new(&mut file), &preamble(&network))?, 0)
    };
    let total = head.saturating_add(1).saturating_sub(from);
    let mut written = 0u64;
    let mut failure: Option<ExportError> = None;
    if from <= head {
        journal.scan(from, &mut |raw| {
            if raw.height > head {
                return Ok(false);
            }
            // A damaged stored block is refused here, not archived for a verifier to find.
            raw.check()?;
            if let Err(e) = writer.block(&raw) {
                failure = Some(e);
                return Ok(false);
            }
            written += 1;
            progress(written, total);
            Ok(true)
        })?;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let (last_check, bytes) = (writer.last_check(), writer.len());
    let mut out = writer.into_inner();
    out.flush().map_err(|e| ExportError::Io(format!("write {}: {e}", path.display())))?;
    drop(out);
    file.sync_all().map_err(|e| ExportError::Io(format!("fsync {}: {e}", path.display())))?;
    if !appended {
        sync_parent(path);
    }
    let head_hash = journal.raw_block(head)?.map(|r| r.hash).unwrap_or_default();
    Ok(ExportSummary {
        file: path.to_path_buf(),
        network,
        appended,
        blocks_written: written,
        first_written: (written > 0).then_some(from),
        head_height: head,
        head_hash,
        last_check,
        bytes,
    })
}

/// Makes a new file's directory entry durable too (best effort: not every system can).
fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_input_is_refused_as_not_an_export_and_a_cut_magic_too() {
        for input in [&b""[..], b"TESSERA-JOUR"] {
            let e = ExportReader::open(input).err().expect("refused");
            assert_eq!(e.code(), Code::ExportBadFile, "{e}");
        }
    }

    #[test]
    fn a_file_cut_inside_its_preamble_is_a_torn_tail_at_the_preamble() {
        let mut bytes = Vec::new();
        ExportWriter::start(&mut bytes, &preamble("n")).unwrap();
        bytes.truncate(bytes.len() - 1);
        let e = ExportReader::open(&bytes[..]).err().expect("refused");
        assert_eq!(e.code(), Code::ExportTornTail, "{e}");
        assert_eq!(e.place(), Some(Place { record: 0, offset: 16 }));
    }
}
