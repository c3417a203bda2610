//! `tessera precheck`: list every rule a movement would break, without submitting it.

use super::{demo_or_name, open, out, read_key, DataDir, Global};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tessera_core::input::Resolver;
use tessera_core::movement;
use tessera_core::*;
use tessera_node::engine::system_time;

#[derive(Args)]
pub struct PrecheckArgs {
    #[command(flatten)]
    dir: DataDir,
    #[command(subcommand)]
    intent: IntentCmd,
}

/// A movement to pre-check. Amounts are in the asset's units (`--amount 1,500.00`; minor units
/// with `--amount-units`); a wallet is 64 hex digits, a party id (its first wallet), a unique
/// hex prefix as printed, or `@name` for a derived demo key, and a key file's wallet is given
/// with `--from-key`/`--to-key FILE`.
#[derive(Subcommand, Clone)]
pub enum IntentCmd {
    /// A transfer between two wallets.
    Transfer {
        /// The asset's symbol.
        #[arg(long)]
        asset: String,
        #[command(flatten)]
        from: FromWallet,
        #[command(flatten)]
        to: ToWallet,
        #[command(flatten)]
        amount: HowMuch,
    },
    /// A mint to a wallet.
    Mint {
        /// The asset's symbol.
        #[arg(long)]
        asset: String,
        #[command(flatten)]
        to: ToWallet,
        #[command(flatten)]
        amount: HowMuch,
    },
    /// A burn from a wallet.
    Burn {
        /// The asset's symbol.
        #[arg(long)]
        asset: String,
        #[command(flatten)]
        from: FromWallet,
        #[command(flatten)]
        amount: HowMuch,
    },
}

#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
pub struct FromWallet {
    /// The sending wallet: hex, hex prefix, party id or @name.
    #[arg(long)]
    from: Option<String>,
    /// The sending wallet is this key file's.
    #[arg(long, value_name = "FILE")]
    from_key: Option<PathBuf>,
}

#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
pub struct ToWallet {
    /// The receiving wallet: hex, hex prefix, party id or @name.
    #[arg(long)]
    to: Option<String>,
    /// The receiving wallet is this key file's.
    #[arg(long, value_name = "FILE")]
    to_key: Option<PathBuf>,
}

#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
pub struct HowMuch {
    /// In the asset's units: 1500, 1,500.00, 0.25.
    #[arg(long)]
    amount: Option<String>,
    /// In minor units (1,500.00 of a 2-decimal asset is 150000).
    #[arg(long)]
    amount_units: Option<String>,
}

fn wallet(name: &Option<String>, key: &Option<PathBuf>) -> Result<String, Refusal> {
    match (name, key) {
        (_, Some(file)) => Ok(read_key(file)?.wallet().to_hex()),
        (Some(n), None) => Ok(demo_or_name(n)),
        (None, None) => Err(super::bad("no wallet given")),
    }
}

impl HowMuch {
    fn put(&self, v: &mut serde_json::Map<String, serde_json::Value>) {
        match (&self.amount, &self.amount_units) {
            (_, Some(u)) => v.insert("amount_units".into(), u.clone().into()),
            (a, None) => v.insert("amount".into(), a.clone().unwrap_or_default().into()),
        };
    }
}

/// The movement as written, for the input resolver (here or at the node).
fn written(intent: &IntentCmd) -> Result<serde_json::Value, Refusal> {
    let mut v = serde_json::Map::new();
    let (kind, amount) = match intent {
        IntentCmd::Transfer { asset, from, to, amount } => {
            v.insert("asset".into(), asset.clone().into());
            v.insert("from".into(), wallet(&from.from, &from.from_key)?.into());
            v.insert("to".into(), wallet(&to.to, &to.to_key)?.into());
            ("transfer", amount)
        }
        IntentCmd::Mint { asset, to, amount } => {
            v.insert("asset".into(), asset.clone().into());
            v.insert("to".into(), wallet(&to.to, &to.to_key)?.into());
            ("mint", amount)
        }
        IntentCmd::Burn { asset, from, amount } => {
            v.insert("asset".into(), asset.clone().into());
            v.insert("from".into(), wallet(&from.from, &from.from_key)?.into());
            ("burn", amount)
        }
    };
    amount.put(&mut v);
    Ok(serde_json::json!({ kind: v }))
}

pub fn execute(a: PrecheckArgs, json: bool) -> Result<ExitCode, Refusal> {
    let PrecheckArgs { dir, intent } = a;
    let l = open(&dir)?;
    let intent = Resolver::new(&l.chain.state).intent(&written(&intent)?)?;
    let now = system_time().max(l.chain.head.time);
    let failures = movement::precheck(&l.chain.state, &intent, now);
    let rows: Vec<_> =
        failures.iter().map(|r| serde_json::json!({"code": r.code.as_str(), "message": r.message})).collect();
    out(json, &serde_json::json!({"passes": failures.is_empty(), "failures": rows}), || {
        if failures.is_empty() {
            "passes: no rule would refuse this movement".into()
        } else {
            failures.iter().map(|r| format!("✗ {:<36} {}", r.code.as_str(), r.message)).collect::<Vec<_>>().join("\n")
        }
    });
    if !failures.is_empty() {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn execute_remote(a: &PrecheckArgs, g: &Global, url: &str) -> Result<ExitCode, Refusal> {
    let node = super::remote(g, url, true)?;
    let r = node.post("/v1/precheck", &written(&a.intent)?)?;
    let passes = r["passes"].as_bool().unwrap_or(false);
    out(g.json, &r, || {
        if passes {
            "passes: no rule would refuse this movement".into()
        } else {
            r["failures"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| format!("✗ {:<36} {}", f["code"].as_str().unwrap_or(""), f["message"].as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\n")
        }
    });
    Ok(if passes { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
