//! `tessera reconcile`: a fund against a custodian statement.

use super::{open, out, read_text, DataDir};
use clap::Args;
use std::path::PathBuf;
use tessera_cli::views;
use tessera_core::*;

#[derive(Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    dir: DataDir,
    #[arg(long)]
    fund: String,
    #[arg(long)]
    statement: PathBuf,
}

pub fn execute(a: ReconcileArgs, json: bool) -> Result<(), Refusal> {
    let ReconcileArgs { dir, fund, statement } = a;
    let l = open(&dir)?;
    let text = read_text(&statement)?;
    let lines = tessera_core::statement::parse_statement(&text)
        .map_err(|e| Refusal::new(Code::FundBadStatement, format!("{}: {e}", statement.display())))?;
    let st = &l.chain.state;
    let rec = tessera_core::fund::reconcile(st, &Symbol::new(fund), &lines, l.chain.head.time)?;
    out(json, &rec, || views::reconciliation_lines(&rec).join("\n"));
    Ok(())
}
