//! `tessera keys`: create and inspect Ed25519 wallet keys.

use super::{bad, out, read_key};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use tessera_core::crypto::Keypair;
use tessera_core::Refusal;

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Generate a key; writes the secret seed (hex) to FILE with mode 0600.
    New {
        /// Where to write the key (refused if the file exists).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the wallet id of a key file.
    Show {
        /// The key file.
        file: PathBuf,
    },
    /// Print the wallet id derived from a name (TEST AND DEMO KEYS ONLY: the name is the secret);
    /// with --out, also write its key file (e.g. to act as a demo scenario's actor).
    Derive {
        /// The name, e.g. alpha (a demo scenario's actor).
        name: String,
        /// Also write the key file here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Sign with a key file: a prepared transaction id (--hex, 64 hex digits) or an access
    /// challenge (--text). Prints the signature in hex.
    Sign {
        /// The signing key file.
        #[arg(long)]
        key: PathBuf,
        /// A prepared transaction id: 64 hex digits, signed as its 32 bytes.
        #[arg(long, conflicts_with = "text", required_unless_present = "text")]
        hex: Option<String>,
        /// Text to sign as its UTF-8 bytes (an access challenge).
        #[arg(long)]
        text: Option<String>,
    },
}

pub fn execute(k: KeysCmd, json: bool) -> Result<(), Refusal> {
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
