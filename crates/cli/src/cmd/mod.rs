//! One module per subcommand, each with its clap arguments and an `execute` (and, for the
//! commands that work through a running node, an `execute_remote`). Shared flags and helpers
//! live here, defined once.

pub mod demo;
pub mod export;
pub mod import;
pub mod init;
pub mod keys;
pub mod node;
pub mod precheck;
pub mod query;
pub mod reconcile;
pub mod report;
pub mod sanctions;
pub mod scenario;
pub mod submit;
pub mod token;
pub mod verify;

use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};
use tessera_cli::say;
use tessera_core::crypto::Keypair;
use tessera_core::*;
use tessera_node::ledger::AnyLedger;
use tessera_node::Ledger;

#[derive(Args, Clone)]
pub struct DataDir {
    /// Ledger data directory.
    #[arg(long, env = "TESSERA_DATA", default_value = "tessera-data")]
    pub data: PathBuf,
    /// Where the journal lives instead: a PostgreSQL URL (postgres://user:pass@host:port/db);
    /// see docs/operations.md.
    #[arg(long, env = "TESSERA_STORE")]
    pub store: Option<String>,
}

impl DataDir {
    /// The data directory alone (no `--store`).
    pub fn at(data: PathBuf) -> DataDir {
        DataDir { data, store: None }
    }

    /// Where the journal is: `--store` when given, else the data directory.
    pub fn location(&self) -> Result<tessera_store::Location, Refusal> {
        Ok(tessera_store::Location::of(self.store.as_deref(), &self.data)?)
    }
}

/// The flags every command sees: output format and, for remote work, the node and the key
/// that signs its read-access challenge.
pub struct Global<'a> {
    pub json: bool,
    pub node: Option<&'a str>,
    pub auth_key: Option<&'a Path>,
}

/// The data directory given, or a fresh temporary one; the guard removes it when dropped.
pub fn given_or_temporary(data: Option<PathBuf>) -> Result<(PathBuf, Option<tempfile::TempDir>), Refusal> {
    match data {
        Some(d) => Ok((d, None)),
        None => {
            let tmp = tempfile::tempdir().map_err(|e| bad(e.to_string()))?;
            Ok((tmp.path().join("ledger"), Some(tmp)))
        }
    }
}

/// A command's main object, given positionally (`reconcile ATLAS`) or by the older flag
/// (`--fund ATLAS`, hidden from the help); clap requires one of them.
pub fn either(positional: Option<String>, flag: Option<String>) -> String {
    positional.or(flag).unwrap_or_default()
}

/// [`either`], borrowed.
pub fn either_ref<'a>(positional: &'a Option<String>, flag: &'a Option<String>) -> &'a str {
    positional.as_deref().or(flag.as_deref()).unwrap_or_default()
}

pub fn bad(msg: impl Into<String>) -> Refusal {
    Refusal::new(Code::InputInvalid, msg)
}

/// A wallet argument: 64 hex digits, or @name for a derived test key.
pub fn wallet_arg(s: &str) -> Result<WalletId, Refusal> {
    if let Some(name) = s.strip_prefix('@') {
        return Ok(Keypair::insecure_from_name(name).wallet());
    }
    WalletId::from_hex(s).ok_or_else(|| bad(format!("bad wallet {s:?}: 64 hex digits or @name")))
}

/// A wallet as the input resolver reads it: `@name` becomes the derived demo key's hex, anything
/// else (hex, a hex prefix, a party id) is left for the resolver, which knows the ledger.
pub fn demo_or_name(s: &str) -> String {
    match s.strip_prefix('@') {
        Some(name) => Keypair::insecure_from_name(name).wallet().to_hex(),
        None => s.to_string(),
    }
}

pub fn read_key(path: &Path) -> Result<Keypair, Refusal> {
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

pub fn read_text(path: &Path) -> Result<String, Refusal> {
    std::fs::read_to_string(path).map_err(|e| bad(format!("{}: {e}", path.display())))
}

/// `--csv`: set once by `main` from the flag, before any command runs. Kept here beside [`out`],
/// the one place that prints answers, so no command's signature has to carry it.
static CSV: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

pub fn set_csv(csv: bool) {
    let _ = CSV.set(csv);
}

/// Prints an answer: as CSV with --csv (`tessera_cli::table`), as JSON with --json, else for people.
pub fn out<T: Serialize>(json: bool, value: &T, human: impl FnOnce() -> String) {
    if CSV.get().copied().unwrap_or(false) {
        use std::io::Write as _;
        // The table ends its own lines; a closed pipe ends the program quietly, as `say!` does.
        if std::io::stdout().lock().write_all(tessera_cli::table::to_csv(value).as_bytes()).is_err() {
            std::process::exit(0);
        }
    } else if json {
        say!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
    } else {
        say!("{}", human());
    }
}

/// A list for people (one line per item, or `none` when empty) or, with --json, as JSON.
pub fn out_list<T: Serialize>(json: bool, items: &[T], none: &str, line: impl Fn(&T) -> String) {
    out_answer(json, &items, items, none, line)
}

/// A list as [`out_list`] prints it for people, with `answer` as its JSON: the list as an
/// answer writes it when it holds ledger records (`query::answer`).
pub fn out_answer<J: Serialize, T>(json: bool, answer: &J, items: &[T], none: &str, line: impl Fn(&T) -> String) {
    out(json, answer, || {
        if items.is_empty() {
            return none.to_string();
        }
        items.iter().map(line).collect::<Vec<_>>().join("\n")
    });
}

/// Opens a ledger to read it: no lock, nothing written, so it runs beside a node or a writer.
pub fn open(dir: &DataDir) -> Result<AnyLedger, Refusal> {
    let (ledger, recovery) = Ledger::open_read_only_at(&dir.location()?)?;
    warn_recovery(&recovery);
    Ok(ledger)
}

/// Opens a ledger to write it, holding the data directory's writer lock until it is dropped.
pub fn open_writer(dir: &DataDir) -> Result<AnyLedger, Refusal> {
    let (ledger, recovery) = Ledger::open_at(&dir.location()?)?;
    warn_recovery(&recovery);
    Ok(ledger)
}

fn warn_recovery(recovery: &tessera_node::ledger::Recovery) {
    for (h, why) in &recovery.skipped_snapshots {
        eprintln!("warning: skipped the snapshot at block {h}: {why}; replayed from an earlier point instead");
    }
}

/// A node's refusal of a read that needs a login, when none was given, with what to add.
pub fn with_auth_hint(g: &Global, e: Refusal) -> Refusal {
    let needs_login = matches!(e.code, Code::ApiForbidden | Code::ApiUnauthenticated);
    if g.auth_key.is_some() || !needs_login {
        return e;
    }
    let message =
        format!("{}; add --auth-key FILE (the key of a wallet allowed to read this) to log in to the node", e.message);
    Refusal::new(e.code, message)
}

/// A client of the node at `url`, logged in with the `--auth-key` when one is given (queries
/// of private data need it).
pub fn remote(g: &Global, url: &str, login: bool) -> Result<tessera_cli::remote::Remote, Refusal> {
    let mut node = tessera_cli::remote::Remote::new(url);
    if let (true, Some(k)) = (login, g.auth_key) {
        node.login(&read_key(k)?)?;
    }
    Ok(node)
}
