//! Test support for the SQLite backend: what tests do to a data directory's journal from
//! outside Tessera — as a bad disk, a careless hand with the `sqlite3` shell or a second
//! program would — without seeing SQLite. Every function opens the journal file directly and
//! bypasses the writer lock (a writer may be running). Errors are returned, not hidden.
//!
//! Enabled by the `testing` feature; never used by the ledger itself.

pub mod pg;

use crate::{Result, Store, StoreError};
use rusqlite::{params, Connection, OpenFlags};
use std::path::Path;

/// The columns of a stored block that tests may read and overwrite.
const BLOCK_COLUMNS: [&str; 5] = ["hash", "header", "tx_prefixes", "body_hash", "body"];
/// The columns of a stored snapshot that tests may read and overwrite.
const SNAPSHOT_COLUMNS: [&str; 3] = ["digest", "state", "checksum"];

/// The journal file of `dir`, opened read-write without the writer lock.
fn outside(dir: &Path) -> Result<Connection> {
    Ok(Connection::open_with_flags(Store::db_path(dir), OpenFlags::SQLITE_OPEN_READ_WRITE)?)
}

fn checked<'a>(column: &'a str, allowed: &[&str]) -> Result<&'a str> {
    match allowed.contains(&column) {
        true => Ok(column),
        false => Err(StoreError::State(format!("no column {column:?} (one of {allowed:?})"))),
    }
}

/// The stored bytes of one column (`hash`, `header`, `tx_prefixes`, `body_hash`, `body`) of
/// block `height`.
pub fn read_block_column(dir: &Path, height: u64, column: &str) -> Result<Vec<u8>> {
    let sql = format!("SELECT {} FROM blocks WHERE height = ?1", checked(column, &BLOCK_COLUMNS)?);
    Ok(outside(dir)?.query_row(&sql, [height as i64], |r| r.get(0))?)
}

/// Overwrites one column of block `height` with `bytes`.
pub fn write_block_column(dir: &Path, height: u64, column: &str, bytes: &[u8]) -> Result<()> {
    let sql = format!("UPDATE blocks SET {} = ?1 WHERE height = ?2", checked(column, &BLOCK_COLUMNS)?);
    match outside(dir)?.execute(&sql, params![bytes, height as i64])? {
        1 => Ok(()),
        _ => Err(StoreError::State(format!("no block {height} to overwrite"))),
    }
}

/// The stored bytes of one column (`digest`, `state`, `checksum`) of the snapshot at `height`.
pub fn read_snapshot_column(dir: &Path, height: u64, column: &str) -> Result<Vec<u8>> {
    let sql = format!("SELECT {} FROM snapshots WHERE height = ?1", checked(column, &SNAPSHOT_COLUMNS)?);
    Ok(outside(dir)?.query_row(&sql, [height as i64], |r| r.get(0))?)
}

/// Overwrites one column of the snapshot at `height` with `bytes`.
pub fn write_snapshot_column(dir: &Path, height: u64, column: &str, bytes: &[u8]) -> Result<()> {
    let sql = format!("UPDATE snapshots SET {} = ?1 WHERE height = ?2", checked(column, &SNAPSHOT_COLUMNS)?);
    match outside(dir)?.execute(&sql, params![bytes, height as i64])? {
        1 => Ok(()),
        _ => Err(StoreError::State(format!("no snapshot at {height} to overwrite"))),
    }
}

/// Runs one SQL statement on the journal file: for damage the column functions cannot make
/// (a value of the wrong type, a truncation written in SQL). Returns the rows changed.
pub fn execute_sql(dir: &Path, sql: &str) -> Result<usize> {
    Ok(outside(dir)?.execute(sql, [])?)
}

/// Writes a placeholder row for block `height`, as another program ignoring the lock would:
/// the writer's next commit of that height then fails (`UNIQUE constraint failed`).
pub fn insert_placeholder_block(dir: &Path, height: u64) -> Result<()> {
    outside(dir)?.execute(
        "INSERT INTO blocks (height, hash, header, tx_prefixes, body_hash, body) VALUES (?1, x'00', x'00', x'', x'00', x'00')",
        [height as i64],
    )?;
    Ok(())
}

/// Makes every append that reaches block `height` fail there — after the rows before it in
/// the same group were inserted, inside the group's transaction — or, with `None`, lifts it.
/// A fault in the middle of a group commit, to show the group is rolled back whole.
pub fn fail_appends_at(dir: &Path, height: Option<u64>) -> Result<()> {
    let conn = outside(dir)?;
    conn.execute_batch("DROP TRIGGER IF EXISTS tessera_injected_fault")?;
    if let Some(h) = height {
        conn.execute_batch(&format!(
            "CREATE TRIGGER tessera_injected_fault BEFORE INSERT ON blocks WHEN NEW.height = {h} \
             BEGIN SELECT RAISE(ABORT, 'injected fault while writing block {h}'); END"
        ))?;
    }
    Ok(())
}

/// Everything the journal stores, row by row, blocks then snapshots, each as its height and
/// its columns in hex: what "the files are untouched" means to a ledger (SQLite may still
/// fold its WAL into the main file when a connection closes).
pub fn stored_rows(dir: &Path) -> Result<Vec<String>> {
    let conn = Connection::open_with_flags(Store::db_path(dir), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut rows = Vec::new();
    for sql in [
        "SELECT height || ':' || hex(hash) || hex(header) || hex(tx_prefixes) || hex(body_hash) || hex(body) FROM blocks ORDER BY height",
        "SELECT height || ':' || hex(digest) || hex(state) || hex(checksum) FROM snapshots ORDER BY height",
    ] {
        let mut st = conn.prepare(sql)?;
        let mut q = st.query([])?;
        while let Some(r) = q.next()? {
            rows.push(r.get::<_, String>(0)?);
        }
    }
    Ok(rows)
}
