//! `tessera report`: reports for people (and --json for machines).

use super::{bad, either_ref, open, out, DataDir, Global};
use clap::Subcommand;
use std::path::PathBuf;
use tessera_cli::remote::encode;
use tessera_cli::views;
use tessera_core::{Code, Refusal, Symbol};
use tessera_node::query::{self, MarginReport, Viewer};

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
    /// A clearing house's margin report at the ledger's time: per member, the requirement
    /// (initial and variation), coverage (counted, market, after haircut, cash), shortfall,
    /// the open call with its deadline and time left, each pledge valued with its haircut,
    /// concentration usage and the default fund. Through a node: every member for the
    /// clearing house and auditors, its own account for a member.
    Margin {
        #[command(flatten)]
        dir: DataDir,
        /// The clearing house's party id (or its name), e.g. cme.
        #[arg(value_name = "CCP", required_unless_present = "ccp_flag")]
        ccp: Option<String>,
        /// The clearing house (the spelling `--ccp CCP` of the positional CCP).
        #[arg(long = "ccp", value_name = "CCP", hide = true, conflicts_with = "ccp")]
        ccp_flag: Option<String>,
    },
}

pub fn execute(c: ReportCmd, json: bool) -> Result<(), Refusal> {
    match c {
        ReportCmd::Fund { dir, fund, chart } => report_fund(&dir, &fund, chart, json),
        ReportCmd::Margin { dir, ccp, ccp_flag } => {
            let l = open(&dir)?;
            let st = &l.chain.state;
            // Whoever holds the data directory reads everything in it.
            let r = query::margin_report(st, &Viewer::everything(), either_ref(&ccp, &ccp_flag))?;
            out(json, &r, || views::margin_lines(st, &r).join("\n"));
            Ok(())
        }
    }
}

/// Through a running node: the margin report (the fund report reads a data directory only;
/// `None` runs it embedded).
pub fn execute_remote(c: &ReportCmd, g: &Global, url: &str) -> Result<Option<()>, Refusal> {
    let ReportCmd::Margin { ccp, ccp_flag, .. } = c else { return Ok(None) };
    let node = super::remote(g, url, true)?;
    let path = format!("/v1/clearing/{}/margin", encode(either_ref(ccp, ccp_flag)));
    let v = node.get(&path).map_err(|e| super::with_auth_hint(g, e))?;
    let r: MarginReport = serde_json::from_value(v)
        .map_err(|e| Refusal::new(Code::InputInvalid, format!("bad answer from the node: {e}")))?;
    let book = node.asset_book()?;
    out(g.json, &r, || views::margin_lines(&book, &r).join("\n"));
    Ok(Some(()))
}

pub fn report_fund(dir: &DataDir, fund: &str, chart: Option<PathBuf>, json: bool) -> Result<(), Refusal> {
    let l = open(dir)?;
    let st = &l.chain.state;
    let mut r = tessera_cli::report::build(st, &Symbol::new(fund))?;
    if let Some(path) = chart {
        std::fs::write(&path, tessera_cli::report::svg(&r)).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        r.chart = Some(path.display().to_string());
    }
    out(json, &tessera_node::query::answer(st, &r), || tessera_cli::report::human(st, &r));
    Ok(())
}
