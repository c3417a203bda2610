//! `tessera reconcile`: a fund against a custodian statement.

use super::{either, open, out, read_text, DataDir};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
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

/// Exit status 1, after printing everything, when the statement does not agree (a break, or
/// reserves short of obligations): scripts and schedulers see a failed reconciliation.
pub fn execute(a: ReconcileArgs, json: bool) -> Result<ExitCode, Refusal> {
    let ReconcileArgs { dir, fund, fund_flag, statement } = a;
    let fund = either(fund, fund_flag);
    let l = open(&dir)?;
    let text = read_text(&statement)?;
    let lines = tessera_core::statement::parse_statement(&text)
        .map_err(|e| Refusal::new(Code::FundBadStatement, format!("{}: {e}", statement.display())))?;
    let st = &l.chain.state;
    let rec = tessera_core::fund::reconcile(st, &Symbol::new(fund), &lines, l.chain.head.time)?;
    if rec.agrees() {
        out(json, &rec, || views::reconciliation_lines(&rec).join("\n"));
        return Ok(ExitCode::SUCCESS);
    }
    // One document either way: the reconciliation, then the refusal that makes the exit status.
    let e = Refusal::new(
        Code::FundReconciliationBreak,
        format!("fund {} does not reconcile with {}: {}", rec.fund, statement.display(), rec.verdict()),
    );
    if json {
        let mut v = serde_json::to_value(&rec).map_err(|x| super::bad(x.to_string()))?;
        v["error"] = serde_json::json!({"code": e.code.as_str(), "message": e.message});
        out(true, &v, String::new);
    } else {
        out(false, &rec, || views::reconciliation_lines(&rec).join("\n"));
        eprintln!("error[{}]: {}", e.code, e.message);
    }
    Ok(ExitCode::from(1))
}
