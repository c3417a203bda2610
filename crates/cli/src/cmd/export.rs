//! `tessera export --journal FILE`: the ledger's blocks in a portable, self-describing,
//! checksummed file (docs/formats.md, "The portable journal export"), new or appended to.

use super::{out, DataDir};
use clap::Args;
use std::path::PathBuf;
use tessera_cli::progress::{shown, Progress};
use tessera_core::Refusal;
use tessera_store::export::export_journal;

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    dir: DataDir,
    /// The export file. A new file gets every block; an existing one is checked, then gains
    /// only the blocks after its last (it must be this ledger's, up to that block).
    #[arg(long, value_name = "FILE")]
    journal: PathBuf,
}

pub fn execute(a: ExportArgs, json: bool) -> Result<(), Refusal> {
    let store = a.dir.location()?.open_read_only()?;
    let head = store.head_height()?.unwrap_or(0);
    let bar = Progress::bar(shown(json), head + 1, "blocks", "export");
    let s = export_journal(&store, &a.journal, &mut |done, to_do| bar.set_position(head + 1 - to_do + done)).map_err(
        |e| match e {
            // The ledger's own refusals (a damaged block, a locked file) name what they are about.
            tessera_store::ExportError::Store(s) => Refusal::from(s),
            e => Refusal::new(e.code(), format!("{}: {e}", a.journal.display())),
        },
    )?;
    bar.finish();
    out(json, &s, || {
        let file = s.file.display();
        let what = match s.first_written {
            None => format!("{file} already holds every block (0–{}): nothing written", s.head_height),
            Some(from) if s.appended => format!("appended blocks {from}–{} to {file}", s.head_height),
            Some(_) => format!("exported blocks 0–{} of network {} to {file}", s.head_height, s.network),
        };
        format!(
            "{what}\nhead block {} {}\nlast check {} (an append continues from it)\n{} bytes",
            s.head_height, s.head_hash, s.last_check, s.bytes
        )
    });
    Ok(())
}
