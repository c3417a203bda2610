//! `tessera`: the command-line interface (I1). Human output by default, `--json` for machines.
//! Every refusal prints its stable code and a message and exits with status 1 (2 for usage).
//! This file holds the clap root and the dispatch; each subcommand lives in `cmd/`.

mod cmd;

use clap::{Parser, Subcommand};
use cmd::Global;
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_cli::{bench, say};
use tessera_core::Refusal;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: a signed, compliance-checked, journaled ledger for tokenized Treasuries"
)]
struct Cli {
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Ledger data directory [env: TESSERA_DATA; default: tessera-data; demo and scenario run:
    /// a fresh temporary one]. Accepted before or after the subcommand.
    // Only for the help and the position: each command that reads a ledger declares its own
    // `--data` with the same id, and clap hands a value given here down to it.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Print lists and reports as CSV (columns named as the JSON fields).
    #[arg(long, global = true, conflicts_with = "json")]
    csv: bool,
    /// Work against a running node (e.g. http://127.0.0.1:8080) instead of a data directory:
    /// `submit`, `query` and `report margin` go through its HTTP API.
    #[arg(long, global = true, env = "TESSERA_NODE")]
    node: Option<String>,
    /// With --node: the key file whose wallet signs the read-access challenge (queries of
    /// private data need it).
    #[arg(long, global = true, env = "TESSERA_AUTH_KEY")]
    auth_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create and inspect Ed25519 wallet keys.
    #[command(subcommand)]
    Keys(cmd::keys::KeysCmd),
    /// Create a new ledger (genesis block) in a data directory.
    Init(cmd::init::InitArgs),
    /// Sign and submit operations from a YAML/JSON file (a list of operations).
    Submit(cmd::submit::SubmitArgs),
    /// Sanctions lists.
    #[command(subcommand)]
    Sanctions(cmd::sanctions::SanctionsCmd),
    /// Scenario files.
    #[command(subcommand)]
    Scenario(cmd::scenario::ScenarioCmd),
    /// Read the ledger.
    #[command(subcommand)]
    Query(cmd::query::QueryCmd),
    /// List every rule a movement would break, without submitting it.
    Precheck(cmd::precheck::PrecheckArgs),
    /// Replay the journal from genesis, checking every signature, hash, receipt and digest.
    Verify(cmd::verify::VerifyArgs),
    /// Write the ledger's blocks to a portable, checksummed journal export (a new file, or
    /// append the new blocks to an existing one): an archive `verify --file` checks without
    /// a database.
    Export(cmd::export::ExportArgs),
    /// Make a new ledger from a journal export, verifying every block as it is written.
    Import(cmd::import::ImportArgs),
    /// Run the demo: a ledger with parties, a Treasury fund share and a stablecoin, compliance,
    /// governance, emergency controls, then verify the journal. With --fund: a BUIDL-style
    /// fund over 90 days, then its report and chart.
    Demo(cmd::demo::DemoArgs),
    /// Reports for people (and --json for machines).
    #[command(subcommand)]
    Report(cmd::report::ReportCmd),
    /// Reconcile a fund against a custodian statement (CSV: instrument,quantity,price; a CUSIP
    /// or CASH:<currency> per line): breaks against the portfolio and the reserve ratio.
    Reconcile(cmd::reconcile::ReconcileArgs),
    /// Benchmarks (figures printed beside this machine's own limits).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Run the HTTP node over a ledger made with `tessera init`: API v1, event stream,
    /// /health, /ready, /metrics. Settings: defaults < --config file < TESSERA_* environment
    /// < flags (docs/guide.md, "Running a node").
    Node(cmd::node::NodeArgs),
    /// A verifying read replica: `tessera node --follow`. Tails the journal (`--store URL` or
    /// `--data DIR`), re-verifies every block as it applies it, serves read-only API traffic,
    /// and stops applying at the first block that disagrees, naming it.
    Follow(cmd::node::NodeArgs),
    /// With --node: sign the node's access challenge with a key and print a bearer token
    /// (for curl and other HTTP clients).
    Token(cmd::token::TokenArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::set_csv(cli.csv);
    let json = cli.json;
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            if json {
                say!("{}", serde_json::json!({"error": {"code": e.code.as_str(), "message": e.message}}));
            } else {
                eprintln!("error[{}]: {}", e.code, e.message);
            }
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Refusal> {
    let g = Global { json: cli.json, node: cli.node.as_deref(), auth_key: cli.auth_key.as_deref() };
    if let Some(code) = run_remote(&g, &cli.command)? {
        return Ok(code);
    }
    let json = g.json;
    match cli.command {
        Command::Keys(k) => cmd::keys::execute(k, json)?,
        Command::Init(a) => cmd::init::execute(a, json)?,
        Command::Submit(a) => cmd::submit::execute(a, json)?,
        Command::Sanctions(c) => cmd::sanctions::execute(c, json)?,
        Command::Scenario(c) => return cmd::scenario::execute(c, json),
        Command::Query(q) => cmd::query::execute(q, json)?,
        Command::Precheck(a) => return cmd::precheck::execute(a, json),
        Command::Verify(a) => return cmd::verify::execute(a, json),
        Command::Export(a) => cmd::export::execute(a, json)?,
        Command::Import(a) => cmd::import::execute(a, json)?,
        Command::Demo(a) => return cmd::demo::execute(a, json),
        Command::Report(c) => cmd::report::execute(c, json)?,
        Command::Reconcile(a) => return cmd::reconcile::execute(a, json),
        Command::Bench(b) => bench::run(b, json)?,
        Command::Node(a) => cmd::node::execute(a, json)?,
        Command::Follow(mut a) => {
            a.follow = true;
            cmd::node::execute(a, json)?
        }
        Command::Token(_) => cmd::token::execute()?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `--node URL`: `submit`, `query`, `precheck`, `token` and `report margin` through a running
/// node. Other
/// commands work on a data directory (None: run them embedded).
fn run_remote(g: &Global, command: &Command) -> Result<Option<ExitCode>, Refusal> {
    let Some(url) = g.node else { return Ok(None) };
    match command {
        Command::Submit(a) => cmd::submit::execute_remote(a, g, url)?,
        Command::Precheck(a) => return cmd::precheck::execute_remote(a, g, url).map(Some),
        Command::Query(q) => cmd::query::execute_remote(q, g, url)?,
        Command::Token(a) => cmd::token::execute_remote(a, g, url)?,
        Command::Report(c) => {
            if cmd::report::execute_remote(c, g, url)?.is_none() {
                return Ok(None);
            }
        }
        _ => return Ok(None),
    }
    Ok(Some(ExitCode::SUCCESS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Every subcommand and argument below `cmd` that has no help text, by its path.
    fn without_help(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            let builtin = matches!(a.get_id().as_str(), "help" | "version");
            if !builtin && !a.is_hide_set() && a.get_help().is_none() && a.get_long_help().is_none() {
                missing.push(format!(
                    "{path} {}",
                    a.get_long().map(|l| format!("--{l}")).unwrap_or(a.get_id().to_string())
                ));
            }
        }
        // Hidden commands (the crash test's load generator) are not for people.
        for sc in cmd.get_subcommands().filter(|s| s.get_name() != "help" && !s.is_hide_set()) {
            let sub = format!("{path} {}", sc.get_name());
            if sc.get_about().is_none() && sc.get_long_about().is_none() {
                missing.push(sub.clone());
            }
            without_help(sc, &sub, missing);
        }
    }

    #[test]
    fn every_subcommand_and_every_argument_has_help_text() {
        Cli::command().debug_assert();
        let mut missing = Vec::new();
        without_help(&Cli::command(), "tessera", &mut missing);
        assert!(missing.is_empty(), "no help text for:\n{}", missing.join("\n"));
    }

    #[test]
    fn the_data_directory_is_accepted_before_or_after_the_subcommand() {
        for args in [
            ["tessera", "--data", "d", "query", "assets"],
            ["tessera", "query", "--data", "d", "assets"],
            ["tessera", "query", "assets", "--data", "d"],
        ] {
            let cli = Cli::try_parse_from(args).expect("parses");
            let Command::Query(cmd::query::QueryCmd::Assets { dir }) = cli.command else { panic!("query assets") };
            assert_eq!(dir.data, PathBuf::from("d"), "{args:?}");
        }
    }
}
