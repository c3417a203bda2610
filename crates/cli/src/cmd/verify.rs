//! `tessera verify`: replay the journal from genesis, checking every signature, hash, receipt
//! and digest.

use super::{out, DataDir};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_cli::progress::{shown, Progress};
use tessera_core::{Code, Refusal};

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    dir: DataDir,
    /// Verify a portable journal export (`tessera export --journal`) instead, without any
    /// database: its records' checks, then every block replayed in memory.
    #[arg(long, value_name = "FILE", conflicts_with = "store")]
    file: Option<PathBuf>,
}

pub fn execute(a: VerifyArgs, json: bool) -> Result<ExitCode, Refusal> {
    let store: Box<dyn tessera_store::Journal> = match &a.file {
        Some(path) => Box::new(super::import::open_export(path, json)?),
        None => a.dir.location()?.open_read_only()?,
    };
    let head = store.head_height()?.unwrap_or(0);
    let bar = Progress::bar(shown(json), head + 1, "blocks", "verify");
    let report = tessera_node::verify(&store, |done, _| bar.set_position(done))?;
    bar.finish();
    out(json, &report, || {
        match &report.first_mismatch {
        None => format!(
            "verified {} blocks, {} transactions in {:.2} s ({:.0} tx/s): every signature, hash, receipt and digest agrees\nhead {}\nstate {}",
            report.blocks, report.transactions, report.seconds, report.tx_per_s, report.head_hash, report.state_digest
        ),
        Some(m) => format!("VERIFY FAILED at {m}"),
    }
    });
    if let Some(m) = report.first_mismatch {
        if !json {
            eprintln!("error[{}]: {m}", Code::VerifyMismatch);
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
