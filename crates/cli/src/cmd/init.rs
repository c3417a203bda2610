//! `tessera init`: create a new ledger (genesis block) in a data directory.

use super::{bad, out, read_key, read_text, DataDir};
use clap::Args;
use std::path::PathBuf;
use tessera_core::block::Genesis;
use tessera_core::*;
use tessera_node::engine::system_time;
use tessera_node::Ledger;

#[derive(Args)]
pub struct InitArgs {
    #[command(flatten)]
    dir: DataDir,
    /// Copy the journal of this existing data directory into --store instead of making a new
    /// ledger (moving from SQLite to PostgreSQL); run `tessera verify --store URL` after.
    #[arg(long, conflicts_with_all = ["key", "genesis"], requires = "store")]
    copy_from: Option<PathBuf>,
    /// Genesis file (YAML or JSON); see docs/guide.md.
    #[arg(long, conflicts_with = "key")]
    genesis: Option<PathBuf>,
    /// Single operator key file that receives every role (alternative to --genesis).
    #[arg(long)]
    key: Option<PathBuf>,
    /// The network name every transaction must carry (with --key).
    #[arg(long, default_value = "tessera-local")]
    network: String,
    /// Approval thresholds routine,sensitive,emergency.
    #[arg(long, default_value = "1,2,3")]
    thresholds: String,
}

pub fn execute(a: InitArgs, json: bool) -> Result<(), Refusal> {
    let InitArgs { dir, copy_from, genesis, key, network, thresholds } = a;
    if let Some(from) = copy_from {
        let at = dir.location()?;
        let source = tessera_store::Store::open_read_only(&from)?;
        let height = tessera_store::copy_journal(&source, &at)?;
        let v = serde_json::json!({"from": from, "to": at.describe(), "height": height});
        out(json, &v, || format!("copied blocks 0–{height} of {} into {}", from.display(), at.describe()));
        return Ok(());
    }
    let g = match (genesis, key) {
        (Some(path), _) => {
            let v: serde_json::Value = serde_norway::from_str(&read_text(&path)?).map_err(|e| bad(e.to_string()))?;
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
    let at = dir.location()?;
    let l = Ledger::create_at(&at, &g)?;
    let head = l.chain.head.clone();
    let wallets: Vec<String> = g.grants.iter().map(|w| w.wallet.to_hex()).collect();
    out(
        json,
        &serde_json::json!({
            "data": at.describe(),
            "network": g.network,
            "genesis_hash": head.hash(),
            "operator": g.operator,
            "operator_name": g.operator_name,
            "wallets": wallets,
        }),
        || {
            let mut lines = vec![
                format!(
                    "created ledger for network {} in {} (genesis {})",
                    g.network,
                    at.describe(),
                    head.hash().short()
                ),
                format!("operator party: {} ({})", g.operator, g.operator_name),
            ];
            for grant in &g.grants {
                let roles: Vec<&str> = grant.roles.iter().map(|r| r.as_str()).collect();
                lines.push(format!("  wallet {}: {}", grant.wallet.to_hex(), roles.join(", ")));
            }
            lines.join("\n")
        },
    );
    Ok(())
}
