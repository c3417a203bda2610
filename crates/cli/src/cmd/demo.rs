//! `tessera demo`: the demo ledger, the 90-day fund demo with its report and chart, or the
//! collateral demo (a clearing house, margin calls, a default and a loan liquidation).

use super::scenario::run_scenario;
use super::{bad, DataDir};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tessera_core::Refusal;

#[derive(Args)]
pub struct DemoArgs {
    /// Where to keep the demo ledger (default: a fresh temporary directory).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Run the 90-day fund demo instead (writes the chart to --chart).
    #[arg(long, conflicts_with = "collateral")]
    fund: bool,
    /// Run the collateral demo instead: a CME-style clearing house, three members pledging fund
    /// shares, bills and notes, a rate shock, margin calls met and one default through the
    /// waterfall, and a loan liquidated on a price move.
    #[arg(long)]
    collateral: bool,
    /// Where the fund demo writes its chart.
    #[arg(long, default_value = "tessera-fund-ATLAS.svg")]
    chart: PathBuf,
}

pub fn execute(a: DemoArgs, json: bool) -> Result<ExitCode, Refusal> {
    match a {
        DemoArgs { data, collateral: true, .. } => {
            run_scenario(include_str!("../../../../scenarios/demo_collateral.yaml"), Path::new("."), data, json)
        }
        DemoArgs { data, fund: true, chart, .. } => {
            let (dir, _tmp) = super::given_or_temporary(data)?;
            let code = run_scenario(
                include_str!("../../../../scenarios/fund_buidl_90_days.yaml"),
                Path::new("."),
                Some(dir.clone()),
                json,
            )?;
            if code != ExitCode::SUCCESS {
                return Ok(code);
            }
            super::report::report_fund(&DataDir::at(dir), "ATLAS", Some(chart), json)?;
            Ok(ExitCode::SUCCESS)
        }
        DemoArgs { data, fund: false, .. } => {
            // The demo's OFAC file travels inside the binary; the scenario reads it from here.
            let base = tempfile::tempdir().map_err(|e| bad(e.to_string()))?;
            std::fs::create_dir_all(base.path().join("data")).map_err(|e| bad(e.to_string()))?;
            std::fs::write(
                base.path().join("data/sdn_sample.csv"),
                include_bytes!("../../../../scenarios/data/sdn_sample.csv"),
            )
            .map_err(|e| bad(e.to_string()))?;
            run_scenario(include_str!("../../../../scenarios/demo.yaml"), base.path(), data, json)
        }
    }
}
