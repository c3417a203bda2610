//! `tessera precheck`: list every rule a movement would break, without submitting it.

use super::{amount_arg, open, out, wallet_arg, DataDir, Global};
use clap::{Args, Subcommand};
use std::process::ExitCode;
use tessera_core::movement::{self, Intent};
use tessera_core::*;
use tessera_node::engine::system_time;

#[derive(Args)]
pub struct PrecheckArgs {
    #[command(flatten)]
    dir: DataDir,
    #[command(subcommand)]
    intent: IntentCmd,
}

#[derive(Subcommand, Clone)]
pub enum IntentCmd {
    /// A transfer between two wallets.
    Transfer {
        /// The asset's symbol.
        #[arg(long)]
        asset: String,
        /// The wallet the units leave: 64 hex digits, or @name for a demo key.
        #[arg(long)]
        from: String,
        /// The wallet the units reach: 64 hex digits, or @name for a demo key.
        #[arg(long)]
        to: String,
        /// The amount in minor units.
        #[arg(long)]
        amount: String,
    },
    /// A mint to a wallet.
    Mint {
        /// The asset's symbol.
        #[arg(long)]
        asset: String,
        /// The wallet the units reach: 64 hex digits, or @name for a demo key.
        #[arg(long)]
        to: String,
        /// The amount in minor units.
        #[arg(long)]
        amount: String,
    },
    /// A burn from a wallet.
    Burn {
        /// The asset's symbol.
        #[arg(long)]
        asset: String,
        /// The wallet the units leave: 64 hex digits, or @name for a demo key.
        #[arg(long)]
        from: String,
        /// The amount in minor units.
        #[arg(long)]
        amount: String,
    },
}

pub fn execute(a: PrecheckArgs, json: bool) -> Result<ExitCode, Refusal> {
    let PrecheckArgs { dir, intent } = a;
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
    let body = match a.intent.clone() {
        IntentCmd::Transfer { asset, from, to, amount } => serde_json::json!({"transfer": {
            "asset": asset, "from": wallet_arg(&from)?, "to": wallet_arg(&to)?, "amount": amount}}),
        IntentCmd::Mint { asset, to, amount } => {
            serde_json::json!({"mint": {"asset": asset, "to": wallet_arg(&to)?, "amount": amount}})
        }
        IntentCmd::Burn { asset, from, amount } => {
            serde_json::json!({"burn": {"asset": asset, "from": wallet_arg(&from)?, "amount": amount}})
        }
    };
    let r = node.post("/v1/precheck", &body).map_err(|e| super::with_auth_hint(g, e))?;
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
