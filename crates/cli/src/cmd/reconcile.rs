//! `tessera reconcile`: a fund against a custodian statement.

use super::{either, open, out, read_text, DataDir};
use clap::Args;
use std::path::PathBuf;
use tessera_cli::views;
use tessera_core::*;

#[derive(Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    dir: DataDir,
    /// The fund, e.g. ATLAS.
    #[arg(value_name = "FUND", required_unless_present = "fund_flag")]
    fund: Option<String>,
    /// The fund (the older spelling of the positional FUND).
    #[arg(long = "fund", value_name = "FUND", hide = true, conflicts_with = "fund")]
    fund_flag: Option<String>,
    /// The custodian's statement (CSV: instrument,quantity,price).
    #[arg(long)]
    statement: PathBuf,
}

pub fn execute(a: ReconcileArgs, json: bool) -> Result<(), Refusal> {
    let ReconcileArgs { dir, fund, fund_flag, statement } = a;
    let fund = either(fund, fund_flag);
    let l = open(&dir)?;
    let text = read_text(&statement)?;
    let lines = tessera_core::statement::parse_statement(&text)
        .map_err(|e| Refusal::new(Code::FundBadStatement, format!("{}: {e}", statement.display())))?;
    let st = &l.chain.state;
    let rec = tessera_core::fund::reconcile(st, &Symbol::new(fund), &lines, l.chain.head.time)?;
    out(json, &rec, || views::reconciliation_lines(&rec).join("\n"));
    Ok(())
}
