//! `tessera verify`: replay the journal from genesis, checking every signature, hash, receipt
//! and digest.

use super::{out, DataDir};
use clap::Args;
use std::process::ExitCode;
use tessera_cli::progress::{shown, Progress};
use tessera_core::{Code, Refusal};

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    dir: DataDir,
}

pub fn execute(a: VerifyArgs, json: bool) -> Result<ExitCode, Refusal> {
    let store = a.dir.location()?.open_read_only()?;
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
