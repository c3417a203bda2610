//! `tessera import --journal FILE`: a new ledger from a portable journal export, every block
//! verified (re-executed to the same receipts and state digest) before it is written.

use super::{out, DataDir};
use clap::Args;
use std::path::PathBuf;
use tessera_cli::progress::{shown, Progress};
use tessera_core::Refusal;
use tessera_store::ExportFile;

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    dir: DataDir,
    /// The export file to import (made by `tessera export --journal`).
    #[arg(long, value_name = "FILE")]
    journal: PathBuf,
}

pub fn execute(a: ImportArgs, json: bool) -> Result<(), Refusal> {
    let at = a.dir.location()?;
    let file = open_export(&a.journal, json)?;
    let bar = Progress::bar(shown(json), file.head().blocks, "blocks", "import");
    let r = tessera_node::ledger::import(&file, &at, |done, _| bar.set_position(done))?;
    bar.finish();
    out(json, &r, || {
        format!(
            "imported blocks 0–{} ({} transactions) of network {} from {} into {}: every block re-executed to the same receipts and state digest\nhead {}\nstate {}",
            r.blocks.saturating_sub(1),
            r.transactions,
            r.network,
            a.journal.display(),
            r.data,
            r.head_hash,
            r.state_digest
        )
    });
    Ok(())
}

/// Opens an export, checking every record's check, with a spinner while it reads; a refusal
/// names the file.
pub fn open_export(path: &std::path::Path, json: bool) -> Result<ExportFile, Refusal> {
    let spinner = Progress::spinner(shown(json), "checking the records");
    let file =
        ExportFile::open(path, &mut |_| {}).map_err(|e| Refusal::new(e.code(), format!("{}: {e}", path.display())))?;
    spinner.finish();
    Ok(file)
}
