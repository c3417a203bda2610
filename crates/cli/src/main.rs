//! `tessera`: the command-line interface (I1). Human output by default, `--json` for machines.
//! Every refusal prints its stable code and a message and exits with status 1 (2 for usage).

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tessera_cli::{bench, say, scenario, views};
use tessera_core::block::{Genesis, Outcome};
use tessera_core::crypto::Keypair;
use tessera_core::movement::{self, Intent};
use tessera_core::op::Op;
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;
use tessera_node::engine::system_time;
use tessera_node::Ledger;

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
    /// Work against a running node (e.g. http://127.0.0.1:8080) instead of a data directory:
    /// `submit` and `query` go through its HTTP API.
    #[arg(long, global = true, env = "TESSERA_NODE")]
    node: Option<String>,
    /// With --node: the key file whose wallet signs the read-access challenge (queries of
    /// private data need it).
    #[arg(long, global = true, env = "TESSERA_AUTH_KEY")]
    auth_key: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DataDir {
    /// Ledger data directory.
    #[arg(long, env = "TESSERA_DATA", default_value = "tessera-data")]
    data: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Create and inspect Ed25519 wallet keys.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// Create a new ledger (genesis block) in a data directory.
    Init {
        #[command(flatten)]
        dir: DataDir,
        /// Genesis file (YAML or JSON); see docs/guide.md.
        #[arg(long, conflicts_with = "key")]
        genesis: Option<PathBuf>,
        /// Single operator key file that receives every role (alternative to --genesis).
        #[arg(long)]
        key: Option<PathBuf>,
        #[arg(long, default_value = "tessera-local")]
        network: String,
        /// Approval thresholds routine,sensitive,emergency.
        #[arg(long, default_value = "1,2,3")]
        thresholds: String,
    },
    /// Sign and submit operations from a YAML/JSON file (a list of operations).
    Submit {
        #[command(flatten)]
        dir: DataDir,
        /// Signing key file.
        #[arg(long)]
        key: PathBuf,
        /// File with a list of operations.
        #[arg(long)]
        ops: PathBuf,
    },
    /// Sanctions lists.
    #[command(subcommand)]
    Sanctions(SanctionsCmd),
    /// Scenario files.
    #[command(subcommand)]
    Scenario(ScenarioCmd),
    /// Read the ledger.
    #[command(subcommand)]
    Query(QueryCmd),
    /// List every rule a movement would break, without submitting it.
    Precheck {
        #[command(flatten)]
        dir: DataDir,
        #[command(subcommand)]
        intent: IntentCmd,
    },
    /// Replay the journal from genesis, checking every signature, hash, receipt and digest.
    Verify {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Run the demo: a ledger with parties, a Treasury fund share and a stablecoin, compliance,
    /// governance, emergency controls, then verify the journal. With --fund: a BUIDL-style
    /// fund over 90 days, then its report and chart.
    Demo {
        /// Where to keep the demo ledger (default: a fresh temporary directory).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Run the 90-day fund demo instead (writes the chart to --chart).
        #[arg(long)]
        fund: bool,
        /// Where the fund demo writes its chart.
        #[arg(long, default_value = "tessera-fund-ATLAS.svg")]
        chart: PathBuf,
    },
    /// Reports for people (and --json for machines).
    #[command(subcommand)]
    Report(ReportCmd),
    /// Reconcile a fund against a custodian statement (CSV: instrument,quantity,price; a CUSIP
    /// or CASH:<currency> per line): breaks against the portfolio and the reserve ratio.
    Reconcile {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        fund: String,
        #[arg(long)]
        statement: PathBuf,
    },
    /// Benchmarks (figures printed beside this machine's own limits).
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Run the HTTP node over a ledger made with `tessera init`: API v1, event stream,
    /// /health, /ready, /metrics. Settings: defaults < --config file < TESSERA_* environment
    /// < flags (docs/guide.md, "Running a node").
    Node(NodeArgs),
    /// With --node: sign the node's access challenge with a key and print a bearer token
    /// (for curl and other HTTP clients).
    Token {
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Args)]
struct NodeArgs {
    /// TOML configuration file.
    #[arg(long, env = "TESSERA_CONFIG")]
    config: Option<PathBuf>,
    /// Ledger data directory [default: tessera-data].
    #[arg(long)]
    data: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
    /// Largest request body in bytes [default: 4194304].
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// Time limit per request in milliseconds [default: 10000].
    #[arg(long)]
    request_timeout_ms: Option<u64>,
    /// Requests per second per key; 0 = no limit [default: 5000].
    #[arg(long)]
    rate_limit_per_s: Option<u32>,
    /// Burst above the rate per key [default: 10000].
    #[arg(long)]
    rate_limit_burst: Option<u32>,
    /// Transactions waiting for the sequencer before `api.busy` [default: 65536].
    #[arg(long)]
    queue_capacity: Option<usize>,
    /// Most transactions per block [default: 8192].
    #[arg(long)]
    max_block_txs: Option<usize>,
    /// Access token lifetime in seconds [default: 900].
    #[arg(long)]
    token_ttl_s: Option<u64>,
    /// Log format: text or json [default: text].
    #[arg(long)]
    log_format: Option<String>,
    /// Log filter, e.g. info or tessera_node=debug [default: info].
    #[arg(long)]
    log_level: Option<String>,
    /// Print the resolved configuration and exit.
    #[arg(long)]
    print_config: bool,
}

#[derive(Subcommand)]
enum ReportCmd {
    /// A fund's NAV, yield and payout history, with a chart of NAV per share and daily yield.
    Fund {
        #[command(flatten)]
        dir: DataDir,
        fund: String,
        /// Where to write the chart (SVG).
        #[arg(long)]
        chart: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Generate a key; writes the secret seed (hex) to FILE with mode 0600.
    New {
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the wallet id of a key file.
    Show { file: PathBuf },
    /// Print the wallet id derived from a name (TEST AND DEMO KEYS ONLY: the name is the secret);
    /// with --out, also write its key file (e.g. to act as a demo scenario's actor).
    Derive {
        name: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign with a key file: a prepared transaction id (--hex, 64 hex digits) or an access
    /// challenge (--text). Prints the signature in hex.
    Sign {
        #[arg(long)]
        key: PathBuf,
        #[arg(long, conflicts_with = "text", required_unless_present = "text")]
        hex: Option<String>,
        #[arg(long)]
        text: Option<String>,
    },
}

#[derive(Subcommand)]
enum SanctionsCmd {
    /// Import every digital currency address from OFAC's legacy CSV edition: sdn.csv, and
    /// sdn_comments.csv for the Remarks past OFAC's 1000-character cut. alt.csv (aliases) and
    /// add.csv (physical addresses) are refused: Tessera does not screen names or street
    /// addresses.
    Import {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        key: PathBuf,
        /// OFAC's primary file, sdn.csv.
        #[arg(long)]
        sdn: PathBuf,
        /// OFAC's sdn_comments.csv from the same publication. Without it, addresses past the
        /// cut are not screened.
        #[arg(long)]
        comments: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ScenarioCmd {
    /// Run a scenario file; prints a line per step, exits 1 if an expectation fails.
    Run {
        file: PathBuf,
        /// Keep the ledger in this (new) directory instead of a temporary one.
        #[arg(long)]
        data: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum QueryCmd {
    /// Balances of a wallet or of every wallet of a party.
    Balances {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        wallet: Option<String>,
        #[arg(long)]
        party: Option<String>,
    },
    /// The holder register of an asset, now or at a block height.
    Holders {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        asset: String,
        #[arg(long)]
        height: Option<u64>,
    },
    /// Every transaction signed by or naming a wallet.
    History {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        wallet: String,
    },
    /// A transaction's receipt by its id.
    Receipt {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        tx: String,
    },
    /// AML alerts raised by monitoring rules.
    Alerts {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Governance proposals.
    Proposals {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Settlement instructions with their legs, status and history.
    Instructions {
        #[command(flatten)]
        dir: DataDir,
        /// Only this instruction (with its full history).
        #[arg(long)]
        id: Option<u64>,
    },
    /// Hash time-locked transfers.
    Htlcs {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Tenders (escrow programs) with their bids and status.
    Tenders {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Repos with their terms and status.
    Repos {
        #[command(flatten)]
        dir: DataDir,
    },
    /// What a wallet's locked balances are committed to (instructions, hash locks, bid bonds,
    /// repo pledges).
    Locks {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        wallet: String,
    },
    /// Assets with supply, holders and pause state.
    Assets {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Funds: NAV, classes, liquidity, cash, portfolio (one fund with --fund).
    Funds {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        fund: Option<String>,
    },
    /// Oracle feeds with each source's latest quote and verdict (the discrepancy report).
    Feeds {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        feed: Option<String>,
    },
    /// Redemptions, queued and paid.
    Redemptions {
        #[command(flatten)]
        dir: DataDir,
    },
    /// A Treasury bill's days to maturity, price per 100, discount rate, investment rate
    /// (bond-equivalent yield) and money-market yield at settlement, rounded as TreasuryDirect
    /// publishes them. When the ledger holds the bill as a token, its maturity is the token's.
    #[command(group(clap::ArgGroup::new("given").required(true).args(["price", "discount_rate"])))]
    Bill {
        #[command(flatten)]
        dir: DataDir,
        /// The bill's CUSIP, or its US ISIN.
        #[arg(long)]
        cusip: String,
        /// Price per 100 of face, e.g. 99.651556.
        #[arg(long)]
        price: Option<String>,
        /// Bank discount rate in percent, e.g. 4.48 (the price is computed from it).
        #[arg(long)]
        discount_rate: Option<String>,
        /// Settlement date, e.g. 2026-01-02 (default: today by the clock, never before the
        /// head block).
        #[arg(long)]
        settlement: Option<String>,
        /// Maturity date, needed when the ledger holds no token for this bill.
        #[arg(long)]
        maturity: Option<String>,
    },
    /// Accrued interest on a tokenized Treasury note at a time (for pricing a trade).
    Accrued {
        #[command(flatten)]
        dir: DataDir,
        #[arg(long)]
        asset: String,
        /// Settlement time (default: the head block's time).
        #[arg(long)]
        at: Option<String>,
        /// Clean price per 100, to print the dirty price.
        #[arg(long)]
        clean: Option<String>,
    },
}

#[derive(Subcommand, Clone)]
enum IntentCmd {
    Transfer {
        #[arg(long)]
        asset: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: String,
    },
    Mint {
        #[arg(long)]
        asset: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        amount: String,
    },
    Burn {
        #[arg(long)]
        asset: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        amount: String,
    },
}

fn bad(msg: impl Into<String>) -> Refusal {
    Refusal::new(Code::InputInvalid, msg)
}

/// A wallet argument: 64 hex digits, or @name for a derived test key.
fn wallet_arg(s: &str) -> Result<WalletId, Refusal> {
    if let Some(name) = s.strip_prefix('@') {
        return Ok(Keypair::insecure_from_name(name).wallet());
    }
    WalletId::from_hex(s).ok_or_else(|| bad(format!("bad wallet {s:?}: 64 hex digits or @name")))
}

fn amount_arg(s: &str) -> Result<Amount, Refusal> {
    amount_serde::parse_amount(s).ok_or_else(|| bad(format!("bad amount {s:?}: an integer in minor units")))
}

fn read_key(path: &Path) -> Result<Keypair, Refusal> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            // A secret seed others can read is a key others may already hold.
            eprintln!(
                "warning: the key file {} can be read by others (mode {mode:04o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    let mut seed = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut seed)
        .map_err(|_| bad(format!("{}: not a 64-hex-digit key seed", path.display())))?;
    Ok(Keypair::from_seed(seed))
}

fn read_text(path: &Path) -> Result<String, Refusal> {
    std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))
}

fn out<T: Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    if json {
        say!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        say!("{}", human());
    }
}

/// A list for people (one line per item, or `none` when empty) or, with --json, as JSON.
fn out_list<T: Serialize>(json: bool, items: &[T], none: &str, line: impl Fn(&T) -> String) {
    out(json, &items, || {
        if items.is_empty() {
            return none.to_string();
        }
        items.iter().map(line).collect::<Vec<_>>().join("\n")
    });
}

/// Opens a ledger to read it: no lock, nothing written, so it runs beside a node or a writer.
fn open(dir: &DataDir) -> Result<Ledger, Refusal> {
    let (ledger, recovery) = Ledger::open_read_only(&dir.data)?;
    warn_recovery(&recovery);
    Ok(ledger)
}

/// Opens a ledger to write it, holding the data directory's writer lock until it is dropped.
fn open_writer(dir: &DataDir) -> Result<Ledger, Refusal> {
    let (ledger, recovery) = Ledger::open(&dir.data)?;
    warn_recovery(&recovery);
    Ok(ledger)
}

fn warn_recovery(recovery: &tessera_node::ledger::Recovery) {
    for (h, why) in &recovery.skipped_snapshots {
        eprintln!("warning: skipped the snapshot at block {h}: {why}; replayed from an earlier point instead");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    let json = cli.json;
    if let Some(url) = &cli.node {
        if let Some(code) = run_remote(url, cli.auth_key.as_deref(), &cli.command, json)? {
            return Ok(code);
        }
    }
    match cli.command {
        Command::Keys(k) => keys(k, json)?,
        Command::Init { dir, genesis, key, network, thresholds } => {
            let g = match (genesis, key) {
                (Some(path), _) => {
                    let v: serde_json::Value =
                        serde_norway::from_str(&read_text(&path)?).map_err(|e| bad(e.to_string()))?;
                    serde_json::from_value::<Genesis>(v).map_err(|e| bad(format!("{}: {e}", path.display())))?
                }
                (None, Some(keyfile)) => {
                    let k = read_key(&keyfile)?;
                    let t: Vec<u8> = thresholds
                        .split(',')
                        .map(|x| x.trim().parse::<u8>())
                        .collect::<Result<_, _>>()
                        .map_err(|_| bad("thresholds: three numbers, e.g. 1,2,3"))?;
                    let t: [u8; 3] = t.try_into().map_err(|_| bad("thresholds: three numbers, e.g. 1,2,3"))?;
                    let roles = Role::OPERATOR;
                    let mut g = tessera_core::block::demo_genesis(&network, system_time(), &[(&k, &roles)], t);
                    g.trusted_issuers = vec![(k.wallet(), ClaimTopic::ALL.to_vec())];
                    g
                }
                (None, None) => return Err(bad("give --genesis FILE or --key FILE")),
            };
            let l = Ledger::create(&dir.data, &g)?;
            let head = l.chain.head.clone();
            out(
                json,
                &serde_json::json!({"data": dir.data, "network": g.network, "genesis_hash": head.hash()}),
                || {
                    format!(
                        "created ledger for network {} in {} (genesis {})",
                        g.network,
                        dir.data.display(),
                        head.hash().short()
                    )
                },
            );
        }
        Command::Submit { dir, key, ops } => {
            let k = read_key(&key)?;
            let mut v: serde_json::Value = serde_norway::from_str(&read_text(&ops)?).map_err(|e| bad(e.to_string()))?;
            scenario::resolve_actors(&mut v);
            let ops: Vec<Op> = serde_json::from_value(v).map_err(|e| bad(format!("{}: {e}", ops.display())))?;
            submit(&dir, &k, ops, json)?;
        }
        Command::Sanctions(SanctionsCmd::Import { dir, key, sdn, comments }) => {
            let read = |p: &Path| std::fs::read(p).map_err(|e| bad(format!("{}: {e}", p.display())));
            let bytes = read(&sdn)?;
            let (extra, source) = match &comments {
                Some(c) => (Some(read(c)?), format!("{} + {}", sdn.display(), c.display())),
                None => {
                    eprintln!(
                        "note: no --comments: digital currency addresses in sdn_comments.csv (Remarks past \
                         OFAC's cut) are not imported"
                    );
                    (None, sdn.display().to_string())
                }
            };
            let op = tessera_cli::sanctions_op_from_sdn(&bytes, extra.as_deref(), &source)?;
            submit(&dir, &read_key(&key)?, vec![op], json)?;
        }
        Command::Scenario(ScenarioCmd::Run { file, data }) => {
            return run_scenario(&read_text(&file)?, file.parent().unwrap_or(Path::new(".")), data, json)
        }
        Command::Query(q) => query(q, json)?,
        Command::Precheck { dir, intent } => {
            let l = open(&dir)?;
            let intent = match intent {
                IntentCmd::Transfer { asset, from, to, amount } => Intent::Transfer {
                    asset: Symbol::new(asset),
                    from: wallet_arg(&from)?,
                    to: wallet_arg(&to)?,
                    amount: amount_arg(&amount)?,
                },
                IntentCmd::Mint { asset, to, amount } => {
                    Intent::Mint { asset: Symbol::new(asset), to: wallet_arg(&to)?, amount: amount_arg(&amount)? }
                }
                IntentCmd::Burn { asset, from, amount } => {
                    Intent::Burn { asset: Symbol::new(asset), from: wallet_arg(&from)?, amount: amount_arg(&amount)? }
                }
            };
            let now = system_time().max(l.chain.head.time);
            let failures = movement::precheck(&l.chain.state, &intent, now);
            let rows: Vec<_> =
                failures.iter().map(|r| serde_json::json!({"code": r.code.as_str(), "message": r.message})).collect();
            out(json, &serde_json::json!({"passes": failures.is_empty(), "failures": rows}), || {
                if failures.is_empty() {
                    "passes: no rule would refuse this movement".into()
                } else {
                    failures
                        .iter()
                        .map(|r| format!("✗ {:<36} {}", r.code.as_str(), r.message))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
            if !failures.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        Command::Verify { dir } => {
            let store = tessera_store::Store::open_read_only(&dir.data)?;
            let head = store.head_height()?.unwrap_or(0);
            let bar = (!json).then(|| progress(head + 1, "verify"));
            let report = tessera_node::verify(&store, |done, _| {
                if let Some(b) = &bar {
                    b.set_position(done);
                }
            })?;
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            out(json, &report, || {
                match &report.first_mismatch {
                None => format!(
                    "verified {} blocks, {} transactions in {:.2} s ({:.0} tx/s): every signature, hash, receipt and digest agrees\nhead {}\nstate {}",
                    report.blocks, report.transactions, report.seconds, report.tx_per_s, report.head_hash, report.state_digest
                ),
                Some(m) => format!("VERIFY FAILED at {m}"),
            }
            });
            if let Some(m) = report.first_mismatch {
                if !json {
                    eprintln!("error[{}]: {m}", Code::VerifyMismatch);
                }
                return Ok(ExitCode::from(1));
            }
        }
        Command::Demo { data, fund: true, chart } => {
            let tmp;
            let dir = match data {
                Some(d) => d,
                None => {
                    tmp = tempfile::tempdir().map_err(|e| bad(e.to_string()))?;
                    tmp.path().join("ledger")
                }
            };
            let code = run_scenario(
                include_str!("../../../scenarios/fund_buidl_90_days.yaml"),
                Path::new("."),
                Some(dir.clone()),
                json,
            )?;
            if code != ExitCode::SUCCESS {
                return Ok(code);
            }
            report_fund(&DataDir { data: dir }, "ATLAS", Some(chart), json)?;
        }
        Command::Report(ReportCmd::Fund { dir, fund, chart }) => report_fund(&dir, &fund, chart, json)?,
        Command::Reconcile { dir, fund, statement } => {
            let l = open(&dir)?;
            let text = read_text(&statement)?;
            let lines = tessera_core::statement::parse_statement(&text)
                .map_err(|e| Refusal::new(Code::FundBadStatement, format!("{}: {e}", statement.display())))?;
            let st = &l.chain.state;
            let rec = tessera_core::fund::reconcile(st, &Symbol::new(fund), &lines, l.chain.head.time)?;
            out(json, &rec, || views::reconciliation_lines(&rec).join("\n"));
        }
        Command::Demo { data, fund: false, .. } => {
            // The demo's OFAC file travels inside the binary; the scenario reads it from here.
            let base = tempfile::tempdir().map_err(|e| bad(e.to_string()))?;
            std::fs::create_dir_all(base.path().join("data")).map_err(|e| bad(e.to_string()))?;
            std::fs::write(
                base.path().join("data/sdn_sample.csv"),
                include_bytes!("../../../scenarios/data/sdn_sample.csv"),
            )
            .map_err(|e| bad(e.to_string()))?;
            return run_scenario(include_str!("../../../scenarios/demo.yaml"), base.path(), data, json);
        }
        Command::Bench(b) => bench::run(b, json)?,
        Command::Node(args) => run_node(args, json)?,
        Command::Token { .. } => return Err(bad("`token` needs --node URL")),
    }
    Ok(ExitCode::SUCCESS)
}

/// `--node URL`: `submit`, `query` and `precheck` through a running node. Other commands work
/// on a data directory (None: run them embedded).
fn run_remote(url: &str, auth_key: Option<&Path>, cmd: &Command, json: bool) -> Result<Option<ExitCode>, Refusal> {
    use tessera_cli::remote::Remote;
    let mut node = Remote::new(url);
    let login = |node: &mut Remote| -> Result<(), Refusal> {
        match auth_key {
            Some(k) => node.login(&read_key(k)?).map(|_| ()),
            None => Ok(()),
        }
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    match cmd {
        Command::Submit { key, ops, .. } => {
            let k = read_key(key)?;
            let mut v: serde_json::Value = serde_norway::from_str(&read_text(ops)?).map_err(|e| bad(e.to_string()))?;
            scenario::resolve_actors(&mut v);
            let r = node.submit(&k, v)?;
            out(json, &r, || {
                let events = r["receipt"]["outcome"]["events"].as_array().map(|e| e.len()).unwrap_or(0);
                format!(
                    "committed {} in block {} ({events} events)",
                    r["tx"].as_str().unwrap_or_default(),
                    r["height"].as_u64().unwrap_or_default()
                )
            });
        }
        Command::Precheck { intent, .. } => {
            login(&mut node)?;
            let body = match intent.clone() {
                IntentCmd::Transfer { asset, from, to, amount } => serde_json::json!({"transfer": {
                    "asset": asset, "from": wallet_arg(&from)?, "to": wallet_arg(&to)?, "amount": amount}}),
                IntentCmd::Mint { asset, to, amount } => {
                    serde_json::json!({"mint": {"asset": asset, "to": wallet_arg(&to)?, "amount": amount}})
                }
                IntentCmd::Burn { asset, from, amount } => {
                    serde_json::json!({"burn": {"asset": asset, "from": wallet_arg(&from)?, "amount": amount}})
                }
            };
            let r = node.post("/v1/precheck", &body)?;
            let passes = r["passes"].as_bool().unwrap_or(false);
            out(json, &r, || {
                if passes {
                    "passes: no rule would refuse this movement".into()
                } else {
                    r["failures"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|f| {
                            format!(
                                "✗ {:<36} {}",
                                f["code"].as_str().unwrap_or(""),
                                f["message"].as_str().unwrap_or("")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
            return Ok(Some(if passes { ExitCode::SUCCESS } else { ExitCode::from(1) }));
        }
        Command::Query(q) => {
            login(&mut node)?;
            let path = match q {
                QueryCmd::Balances { wallet: Some(w), .. } => format!("/v1/wallets/{}/balances", wallet_arg(w)?),
                QueryCmd::Balances { party: Some(p), .. } => format!("/v1/parties/{p}/balances"),
                QueryCmd::Balances { .. } => return Err(bad("give --wallet or --party")),
                QueryCmd::Holders { asset, height, .. } => match height {
                    Some(h) => format!("/v1/assets/{asset}/holders?height={h}"),
                    None => format!("/v1/assets/{asset}/holders"),
                },
                QueryCmd::History { wallet, .. } => format!("/v1/wallets/{}/history", wallet_arg(wallet)?),
                QueryCmd::Receipt { tx, .. } => format!("/v1/transactions/{tx}"),
                QueryCmd::Alerts { .. } => "/v1/alerts".into(),
                QueryCmd::Proposals { .. } => "/v1/proposals".into(),
                QueryCmd::Instructions { .. } => "/v1/instructions".into(),
                QueryCmd::Locks { wallet, .. } => format!("/v1/wallets/{}/locks", wallet_arg(wallet)?),
                QueryCmd::Assets { .. } => "/v1/assets".into(),
                QueryCmd::Funds { fund: Some(f), .. } => format!("/v1/funds/{f}"),
                QueryCmd::Funds { fund: None, .. } => "/v1/funds".into(),
                QueryCmd::Feeds { .. } => "/v1/feeds".into(),
                QueryCmd::Redemptions { .. } => "/v1/redemptions".into(),
                QueryCmd::Bill { cusip, price, discount_rate, settlement, maturity, .. } => {
                    use tessera_cli::remote::encode;
                    let params: Vec<String> = [
                        ("price", price),
                        ("discount_rate", discount_rate),
                        ("settlement", settlement),
                        ("maturity", maturity),
                    ]
                    .into_iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
                    .collect();
                    format!("/v1/securities/{}/yield?{}", encode(cusip), params.join("&"))
                }
                QueryCmd::Htlcs { .. }
                | QueryCmd::Tenders { .. }
                | QueryCmd::Repos { .. }
                | QueryCmd::Accrued { .. } => {
                    return Err(bad("this query is not served by the HTTP API yet; run it on the data directory"))
                }
            };
            let mut v = node.get(&path)?;
            if let QueryCmd::Instructions { id: Some(id), .. } = q {
                let one: Vec<_> =
                    v.as_array().into_iter().flatten().filter(|i| i["id"].as_u64() == Some(*id)).cloned().collect();
                if one.is_empty() {
                    return Err(Refusal::new(Code::SettlementUnknown, format!("no instruction {id}")));
                }
                v = serde_json::Value::Array(one);
            }
            if let QueryCmd::Bill { .. } = q {
                let bill: Option<tessera_node::views::BillYield> = serde_json::from_value(v.clone()).ok();
                out(json, &v, || bill.map(|b| b.human()).unwrap_or_else(|| pretty(&v)));
                return Ok(Some(ExitCode::SUCCESS));
            }
            let rows: Option<Vec<views::BalanceRow>> = match q {
                QueryCmd::Balances { .. } | QueryCmd::Holders { .. } => serde_json::from_value(v.clone()).ok(),
                _ => None,
            };
            out(json, &v, || match &rows {
                Some(r) if r.is_empty() => "no holdings".into(),
                Some(r) => r.iter().map(|r| r.human()).collect::<Vec<_>>().join("\n"),
                None => pretty(&v),
            });
        }
        Command::Token { key } => {
            let t = node.login(&read_key(key)?)?;
            out(json, &t, || t["token"].as_str().unwrap_or_default().to_string());
        }
        _ => return Ok(None),
    }
    Ok(Some(ExitCode::SUCCESS))
}

fn run_node(a: NodeArgs, json: bool) -> Result<(), Refusal> {
    use tessera_node::config::{LogFormat, NodeConfig, Overrides};
    let file = match &a.config {
        Some(p) => Some(read_text(p)?),
        None => None,
    };
    let log_format = match a.log_format.as_deref() {
        None => None,
        Some("text") => Some(LogFormat::Text),
        Some("json") => Some(LogFormat::Json),
        Some(other) => return Err(bad(format!("--log-format {other:?}: text or json"))),
    };
    let flags = Overrides {
        data: a.data,
        listen: a.listen,
        max_body_bytes: a.max_body_bytes,
        request_timeout_ms: a.request_timeout_ms,
        rate_limit_per_s: a.rate_limit_per_s,
        rate_limit_burst: a.rate_limit_burst,
        queue_capacity: a.queue_capacity,
        max_block_txs: a.max_block_txs,
        token_ttl_s: a.token_ttl_s,
        log_format,
        log_level: a.log_level,
    };
    let env = Overrides::from_env(|k| std::env::var(k).ok())?;
    let config = NodeConfig::resolve(file.as_deref(), env, flags)?;
    if a.print_config {
        out(json, &config, || serde_json::to_string_pretty(&config).unwrap_or_default());
        return Ok(());
    }
    tessera_node::api::run(config)
}

fn report_fund(dir: &DataDir, fund: &str, chart: Option<PathBuf>, json: bool) -> Result<(), Refusal> {
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

fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} blocks {per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b.set_message(what.to_string());
    b
}

fn submit(dir: &DataDir, key: &Keypair, ops: Vec<Op>, json: bool) -> Result<(), Refusal> {
    let mut l = open_writer(dir)?;
    let st = &l.chain.state;
    let seq = st.wallet_index.get(&key.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
    let now = system_time().max(l.chain.head.time);
    let tx = TxBody { network: st.meta().network.clone(), signer: key.wallet(), seq, expires_at: now.plus(3_600), ops }
        .sign(key);
    let checked = CheckedTx::from_bytes(&tx.to_bytes())?;
    let id = checked.id;
    let (block, adm) = l.submit(now, vec![checked])?;
    match (&adm[0], block) {
        (tessera_core::exec::Admission::Refused(r), _) => Err(r.clone()),
        (tessera_core::exec::Admission::Included(_), None) => unreachable!("an included transaction is in a block"),
        (tessera_core::exec::Admission::Included(i), Some(block)) => {
            let r = &block.body.receipts[*i];
            out(json, &serde_json::json!({"tx": id, "height": block.header.height, "receipt": r}), || {
                match &r.outcome {
                    Outcome::Ok { events } => {
                        format!("committed {} in block {} ({} events)", id, block.header.height, events.len())
                    }
                    Outcome::Failed { code, message, op_index } => format!(
                        "journaled as FAILED {id} in block {}: operation {op_index}: {code}: {message}",
                        block.header.height
                    ),
                }
            });
            match &r.outcome {
                Outcome::Failed { code, message, .. } => {
                    Err(Refusal::new(Code::parse(code).unwrap_or(Code::InputInvalid), message.clone()))
                }
                Outcome::Ok { .. } => Ok(()),
            }
        }
    }
}

fn keys(k: KeysCmd, json: bool) -> Result<(), Refusal> {
    match k {
        KeysCmd::New { out: path } => {
            if path.exists() {
                return Err(bad(format!("{} exists; not overwriting a key", path.display())));
            }
            let mut seed = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
            let k = Keypair::from_seed(seed);
            write_secret(&path, &hex::encode(seed))?;
            out(json, &serde_json::json!({"wallet": k.wallet(), "file": path}), || {
                format!("wallet {}\nsecret seed written to {} (mode 0600)", k.wallet(), path.display())
            });
        }
        KeysCmd::Show { file } => {
            let k = read_key(&file)?;
            out(json, &serde_json::json!({"wallet": k.wallet()}), || k.wallet().to_hex());
        }
        KeysCmd::Sign { key, hex: hex_in, text } => {
            let k = read_key(&key)?;
            let msg = match (hex_in, text) {
                (Some(h), _) => hex::decode(h.trim()).map_err(|_| bad("--hex: not hex"))?,
                (None, Some(t)) => t.into_bytes(),
                (None, None) => return Err(bad("give --hex or --text")),
            };
            let sig = hex::encode(k.sign(&msg));
            out(json, &serde_json::json!({"wallet": k.wallet(), "signature": sig}), || sig.clone());
        }
        KeysCmd::Derive { name, out: file } => {
            let k = Keypair::insecure_from_name(&name);
            if let Some(path) = &file {
                if path.exists() {
                    return Err(bad(format!("{} exists; not overwriting a key", path.display())));
                }
                write_secret(path, &hex::encode(k.seed()))?;
            }
            out(json, &serde_json::json!({"wallet": k.wallet(), "insecure": true}), || {
                format!("{}  (derived from a name: for tests and demos only)", k.wallet())
            });
        }
    }
    Ok(())
}

fn write_secret(path: &Path, text: &str) -> Result<(), Refusal> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    f.write_all(text.as_bytes()).map_err(|e| bad(e.to_string()))
}

fn query(q: QueryCmd, json: bool) -> Result<(), Refusal> {
    match q {
        QueryCmd::Balances { dir, wallet, party } => {
            let l = open(&dir)?;
            let st = &l.chain.state;
            let wallets: Vec<WalletId> = match (wallet, party) {
                (Some(w), _) => vec![wallet_arg(&w)?],
                (None, Some(p)) => {
                    let pi = st.party_idx(&PartyId::new(p))?;
                    st.party(pi).wallets.iter().map(|w| st.wallet(*w).key).collect()
                }
                (None, None) => return Err(bad("give --wallet or --party")),
            };
            let rows = views::balances(st, &wallets);
            out(json, &rows, || {
                if rows.is_empty() {
                    "no holdings".into()
                } else {
                    rows.iter().map(|r| r.human()).collect::<Vec<_>>().join("\n")
                }
            });
        }
        QueryCmd::Holders { dir, asset, height } => {
            let l = open(&dir)?;
            let asset = Symbol::new(asset);
            let rows = match height {
                None => views::holders(&l.chain.state, &asset)?,
                Some(h) => views::holders(&Ledger::chain_at(&l.store, h)?.state, &asset)?,
            };
            out(json, &rows, || {
                let mut s = format!(
                    "{} holders of {asset}{}\n",
                    rows.len(),
                    height.map(|h| format!(" at block {h}")).unwrap_or_default()
                );
                s.push_str(&rows.iter().map(|r| r.human()).collect::<Vec<_>>().join("\n"));
                s
            });
        }
        QueryCmd::History { dir, wallet } => {
            let l = open(&dir)?;
            let rows = views::history(&l.store, &wallet_arg(&wallet)?)?;
            out(json, &rows, || {
                rows.iter()
                    .map(|h| {
                        let status = match &h.receipt.outcome {
                            Outcome::Ok { events } => format!("ok, {} events", events.len()),
                            Outcome::Failed { code, .. } => format!("FAILED {code}"),
                        };
                        format!(
                            "block {:>6} {} tx {} by {} — {status}",
                            h.height,
                            h.time,
                            h.receipt.tx.short(),
                            h.signer.short()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        QueryCmd::Receipt { dir, tx } => {
            let l = open(&dir)?;
            let id = Hash::from_hex(&tx).ok_or_else(|| bad("a transaction id is 64 hex digits"))?;
            let v = views::receipt(&l.store, &id)?;
            out(json, &v, || {
                let ops: Vec<&str> = v.ops.iter().map(|o| o.name()).collect();
                format!(
                    "transaction {}\nblock {} (position {}) at {}, signed by wallet {} (sequence {})\noperations: {}\n{}",
                    v.receipt.tx,
                    v.height,
                    v.index,
                    v.time,
                    v.signer.short(),
                    v.seq,
                    ops.join(", "),
                    v.receipt
                )
            });
        }
        QueryCmd::Alerts { dir } => {
            let l = open(&dir)?;
            let alerts: Vec<_> = l.chain.state.alerts.sorted().into_iter().map(|(_, a)| a.clone()).collect();
            out(json, &alerts, || {
                if alerts.is_empty() {
                    "no alerts".into()
                } else {
                    alerts.iter().map(|a| views::alert_line(&l.chain.state, a)).collect::<Vec<_>>().join("\n")
                }
            });
        }
        QueryCmd::Proposals { dir } => {
            let l = open(&dir)?;
            let ps: Vec<_> = l.chain.state.proposals.sorted().into_iter().map(|(_, p)| p.clone()).collect();
            out(json, &ps, || views::show(&l, &scenario::Show::Proposals).join("\n"));
        }
        QueryCmd::Instructions { dir, id } => {
            let l = open(&dir)?;
            let all: Vec<_> = l
                .chain
                .state
                .instructions
                .sorted()
                .into_iter()
                .filter(|(k, _)| id.is_none_or(|i| **k == i))
                .map(|(_, i)| i.clone())
                .collect();
            if id.is_some() && all.is_empty() {
                return Err(Refusal::new(Code::SettlementUnknown, format!("no instruction {}", id.unwrap_or(0))));
            }
            out(json, &all, || {
                let mut lines = Vec::new();
                for i in &all {
                    lines.push(views::instruction_line(&l.chain.state, i));
                    if id.is_some() {
                        lines.extend(i.history.iter().map(|(t, h)| format!("    {t}  {h}")));
                    }
                }
                if lines.is_empty() {
                    "no instructions".into()
                } else {
                    lines.join("\n")
                }
            });
        }
        QueryCmd::Htlcs { dir } => {
            let l = open(&dir)?;
            let all: Vec<_> = l.chain.state.htlcs.sorted().into_iter().map(|(_, h)| h.clone()).collect();
            out(json, &all, || {
                if all.is_empty() {
                    "no hash time-locks".into()
                } else {
                    all.iter().map(|h| views::htlc_line(&l.chain.state, h)).collect::<Vec<_>>().join("\n")
                }
            });
        }
        QueryCmd::Tenders { dir } => {
            let l = open(&dir)?;
            let all: Vec<_> = l.chain.state.tenders.sorted().into_iter().map(|(_, t)| t.clone()).collect();
            out_list(json, &all, "no tenders", |t| views::tender_line(&l.chain.state, t));
        }
        QueryCmd::Repos { dir } => {
            let l = open(&dir)?;
            let all: Vec<_> = l.chain.state.repos.sorted().into_iter().map(|(_, r)| r.clone()).collect();
            out_list(json, &all, "no repos", |r| views::repo_line(&l.chain.state, r));
        }
        QueryCmd::Locks { dir, wallet } => {
            let l = open(&dir)?;
            let rows = views::locks(&l.chain.state, &wallet_arg(&wallet)?);
            out(json, &rows, || {
                if rows.is_empty() {
                    "no locked units".into()
                } else {
                    rows.iter()
                        .map(|r| format!("{:>32}  {}", views::units(&l.chain.state, &r.asset, r.amount), r.for_what))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
        }
        QueryCmd::Assets { dir } => {
            let l = open(&dir)?;
            let st = &l.chain.state;
            let rows = tessera_node::views::assets(st);
            out(json, &rows, || {
                st.assets
                    .sorted()
                    .into_iter()
                    .map(|(_, a)| {
                        format!(
                            "{:<10} {:<18} supply {:>24}  {} holders{}  — {}",
                            a.symbol.as_str(),
                            a.kind.name(),
                            format_units(a.supply, a.decimals),
                            a.holders,
                            if a.paused { "  PAUSED" } else { "" },
                            a.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        QueryCmd::Funds { dir, fund } => {
            let l = open(&dir)?;
            let st = &l.chain.state;
            let funds: Vec<&tessera_core::fund::Fund> = st
                .funds
                .sorted()
                .into_iter()
                .map(|(_, f)| f)
                .filter(|f| fund.as_deref().is_none_or(|x| f.spec.fund.as_str() == x))
                .collect();
            if let (Some(x), true) = (&fund, funds.is_empty()) {
                return Err(Refusal::new(Code::FundUnknown, format!("no fund {x}")));
            }
            out_list(json, &funds, "no funds", |f| views::fund_lines(st, &f.spec.fund).unwrap_or_default().join("\n"));
        }
        QueryCmd::Feeds { dir, feed } => {
            let l = open(&dir)?;
            let st = &l.chain.state;
            let now = l.chain.head.time;
            let feeds = tessera_node::views::feeds(st, now, feed.as_deref());
            if let (Some(x), true) = (&feed, feeds.is_empty()) {
                return Err(Refusal::new(Code::OracleUnknownFeed, format!("no feed {x}")));
            }
            out_list(json, &feeds, "no feeds", |v| {
                views::feed_lines(st, v["feed"].as_str().unwrap_or_default(), now).unwrap_or_default().join("\n")
            });
        }
        QueryCmd::Redemptions { dir } => {
            let l = open(&dir)?;
            let all: Vec<_> = l.chain.state.redemptions.sorted().into_iter().map(|(_, r)| r.clone()).collect();
            out_list(json, &all, "no redemptions queued so far", |r| views::redemption_line(&l.chain.state, r));
        }
        QueryCmd::Bill { dir, cusip, price, discount_rate, settlement, maturity } => {
            let l = open(&dir)?;
            let today = system_time().max(l.chain.head.time);
            let q = tessera_node::views::BillQuery { price, discount_rate, settlement, maturity };
            let v = tessera_node::views::bill_yield(&l.chain.state, &cusip, &q, today)?;
            out(json, &v, || v.human());
        }
        QueryCmd::Accrued { dir, asset, at, clean } => {
            let l = open(&dir)?;
            let at = match at {
                Some(t) => Time::parse(&t).ok_or_else(|| bad(format!("bad time {t:?}: e.g. 2026-08-01T00:00:00Z")))?,
                None => l.chain.head.time,
            };
            let ai = tessera_core::securities::accrued_per_100(&l.chain.state, &Symbol::new(&asset), at)?.round_dp(6);
            let clean: Option<Decimal> = match clean {
                Some(c) => Some(c.parse().map_err(|_| bad(format!("bad clean price {c:?}: e.g. 99.50")))?),
                None => None,
            };
            let dirty = clean.map(|c| c + ai);
            let v = serde_json::json!({"asset": asset, "at": at, "accrued_per_100": ai.to_string(),
                "clean": clean.map(|c| c.to_string()), "dirty": dirty.map(|d| d.to_string())});
            out(json, &v, || match (clean, dirty) {
                (Some(c), Some(d)) => format!("{asset} at {at}: accrued {ai} per 100; clean {c} → dirty {d}"),
                _ => format!("{asset} at {at}: accrued {ai} per 100"),
            });
        }
    }
    Ok(())
}

fn run_scenario(text: &str, base: &Path, data: Option<PathBuf>, json: bool) -> Result<ExitCode, Refusal> {
    let s = scenario::parse(text)?;
    let tmp;
    let dir = match data {
        Some(d) => d,
        None => {
            tmp = tempfile::tempdir().map_err(|e| bad(e.to_string()))?;
            tmp.path().join("ledger")
        }
    };
    if !json {
        say!("scenario: {}", s.name);
        if !s.description.is_empty() {
            say!("  {}", s.description.trim());
        }
    }
    let report = scenario::run(&s, base, &dir, |r| {
        if !json {
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
    })?;
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
