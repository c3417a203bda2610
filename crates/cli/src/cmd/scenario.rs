//! `tessera scenario`: run scenario files.

use super::{out, read_text};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tessera_cli::progress::{shown, Progress};
use tessera_cli::{say, scenario};
use tessera_core::{Code, Refusal};

#[derive(Subcommand)]
pub enum ScenarioCmd {
    /// Run a scenario file; prints a line per step, exits 1 if an expectation fails.
    Run {
        /// The scenario file (YAML or JSON; docs/scenarios.md).
        file: PathBuf,
        /// Keep the ledger in this (new) directory instead of a temporary one.
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

pub fn execute(c: ScenarioCmd, json: bool) -> Result<ExitCode, Refusal> {
    let ScenarioCmd::Run { file, data } = c;
    run_scenario(&read_text(&file)?, file.parent().unwrap_or(Path::new(".")), data, json)
}

pub fn run_scenario(text: &str, base: &Path, data: Option<PathBuf>, json: bool) -> Result<ExitCode, Refusal> {
    let s = scenario::parse(text)?;
    let (dir, _tmp) = super::given_or_temporary(data)?;
    if !json {
        say!("scenario: {}", s.name);
        if !s.description.is_empty() {
            say!("  {}", s.description.trim());
        }
    }
    // The demos and long scenarios: a bar under the step lines, on a terminal only.
    let bar = Progress::bar(shown(json), s.steps.len() as u64, "steps", "running");
    let report = scenario::run(&s, base, &dir, |r| {
        bar.inc(1);
        if !json {
            bar.suspend(|| print_step(r));
        }
    })?;
    bar.finish();

    // Close with a full verification of the journal the scenario wrote.
    let store = tessera_store::Store::open_read_only(&dir)?;
    let v = tessera_node::verify(&store, |_, _| {})?;
    let ok = report.passed && v.first_mismatch.is_none();
    out(json, &serde_json::json!({"scenario": report, "verify": v}), || {
        format!(
            "\n{} {} — {} steps, {} blocks, {} transactions; verify: {}",
            if ok { "PASSED" } else { "FAILED" },
            report.name,
            report.steps.len(),
            report.blocks,
            report.transactions,
            match &v.first_mismatch {
                None => format!("{} blocks replayed, all signatures, hashes, receipts and digests agree", v.blocks),
                Some(m) => format!("MISMATCH {m}"),
            }
        )
    });
    if !ok {
        let why = match (report.steps.iter().find(|r| !r.passed), &v.first_mismatch) {
            (Some(r), _) => format!("step {} ({}): {}", r.step, r.summary, r.detail),
            (None, Some(m)) => format!("the journal does not verify: {m}"),
            (None, None) => "unknown".into(),
        };
        if !json {
            eprintln!("error[{}]: {why}", Code::ScenarioExpectation);
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// A step's line for people, and the lines of what a `show` step printed.
fn print_step(r: &scenario::StepResult) {
    let mark = if r.passed { "✓" } else { "✗" };
    if r.kind == "note" {
        say!("\n  — {}", r.summary);
    } else {
        say!(
            "{mark} {:>3} {:<8} {}{}",
            r.step,
            r.kind,
            r.summary,
            if r.detail.is_empty() { String::new() } else { format!(" — {}", r.detail) }
        );
    }
    for line in &r.output {
        say!("            {line}");
    }
}
