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
pub mod bench_console;
pub mod bench_dvp;
pub mod bench_http;
pub mod bench_margin;
pub mod bench_pg;
pub mod bench_yield;

pub mod progress;
pub mod remote;
pub mod report;
pub mod scenario;

pub mod views;

/// Charts and CSV live with the node (the console draws them too).
pub use tessera_node::present::{chart, table};

/// Moved with the scenario runner, which imports SDN files too.
pub use tessera_scenario::sanctions_op_from_sdn;
