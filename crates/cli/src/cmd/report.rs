//! `tessera report`: reports for people (and --json for machines).

use super::{bad, open, out, DataDir};
use clap::Subcommand;
use std::path::PathBuf;
use tessera_core::{Refusal, Symbol};

#[derive(Subcommand)]
pub enum ReportCmd {
    /// A fund's NAV, yield and payout history, with a chart of NAV per share and daily yield.
    Fund {
        #[command(flatten)]
        dir: DataDir,
        /// The fund, e.g. ATLAS.
        fund: String,
        /// Where to write the chart (SVG).
        #[arg(long)]
        chart: Option<PathBuf>,
    },
}

pub fn execute(c: ReportCmd, json: bool) -> Result<(), Refusal> {
    let ReportCmd::Fund { dir, fund, chart } = c;
    report_fund(&dir, &fund, chart, json)
}

pub fn report_fund(dir: &DataDir, fund: &str, chart: Option<PathBuf>, json: bool) -> Result<(), Refusal> {
    let l = open(dir)?;
    let st = &l.chain.state;
    let mut r = tessera_cli::report::build(st, &Symbol::new(fund))?;
    if let Some(path) = chart {
        std::fs::write(&path, tessera_cli::report::svg(&r)).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        r.chart = Some(path.display().to_string());
    }
    out(json, &r, || tessera_cli::report::human(st, &r));
    Ok(())
}
