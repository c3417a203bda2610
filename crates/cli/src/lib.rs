//! The `tessera` command's library: scenario runner, views, benchmarks, and shared helpers.

/// Prints a line to stdout. A closed pipe (`tessera ... | head`) ends the program quietly
/// instead of panicking as `println!` would.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

pub mod bench;
pub mod bench_dvp;
pub mod bench_http;
pub mod bench_yield;
pub mod chart;
pub mod remote;
pub mod report;
pub mod scenario;
pub mod views;

use tessera_core::op;
use tessera_core::op::Op;
use tessera_core::{Code, Refusal, SanctionTarget};

/// Builds a sanctions update from OFAC's `sdn.csv` and, when given, its `sdn_comments.csv`
/// (the Remarks past OFAC's cut): every digital currency address in them, as published.
/// `source` names the files in the update.
pub fn sanctions_op_from_sdn(sdn: &[u8], comments: Option<&[u8]>, source: &str) -> Result<Op, Refusal> {
    let file = tessera_core::ofac::parse_sdn_files(sdn, comments).map_err(|e| Refusal::new(e.code(), e.to_string()))?;
    let mut targets: Vec<SanctionTarget> = file
        .addresses
        .into_iter()
        .map(|a| SanctionTarget::Address { currency: a.currency, address: a.address })
        .collect();
    targets.sort();
    targets.dedup();
    if targets.is_empty() {
        return Err(Refusal::new(Code::SanctionsBadSdnFile, "the file names no digital currency address"));
    }
    Ok(Op::SanctionAdd(op::SanctionAdd { targets, source: format!("OFAC SDN {source}") }))
}
