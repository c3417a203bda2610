//! `tessera sanctions`: sanctions lists.

use super::{bad, read_key, DataDir};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tessera_cli::progress::{shown, Progress};
use tessera_core::Refusal;

#[derive(Subcommand)]
pub enum SanctionsCmd {
    /// Import every digital currency address from OFAC's legacy CSV edition: sdn.csv, and
    /// sdn_comments.csv for the Remarks past OFAC's 1000-character cut. alt.csv (aliases) and
    /// add.csv (physical addresses) are refused: Tessera does not screen names or street
    /// addresses.
    Import {
        #[command(flatten)]
        dir: DataDir,
        /// The signing key file (a compliance officer's).
        #[arg(long)]
        key: PathBuf,
        /// OFAC's primary file, sdn.csv.
        #[arg(long)]
        sdn: PathBuf,
        /// OFAC's sdn_comments.csv from the same publication. Without it, addresses past the
        /// cut are not screened.
        #[arg(long)]
        comments: Option<PathBuf>,
    },
}

pub fn execute(c: SanctionsCmd, json: bool) -> Result<(), Refusal> {
    let SanctionsCmd::Import { dir, key, sdn, comments } = c;
    let read = |p: &Path| std::fs::read(p).map_err(|e| bad(format!("{}: {e}", p.display())));
    let bytes = read(&sdn)?;
    let (extra, source) = match &comments {
        Some(c) => (Some(read(c)?), format!("{} + {}", sdn.display(), c.display())),
        None => {
            eprintln!(
                "note: no --comments: digital currency addresses in sdn_comments.csv (Remarks past \
                 OFAC's cut) are not imported"
            );
            (None, sdn.display().to_string())
        }
    };
    let spinner = Progress::spinner(shown(json), &format!("importing {source}"));
    let op = tessera_cli::sanctions_op_from_sdn(&bytes, extra.as_deref(), &source)?;
    spinner.suspend(|| super::submit::submit(&dir, &read_key(&key)?, vec![op], json))
}
