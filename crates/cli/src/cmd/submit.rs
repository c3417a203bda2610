//! `tessera submit`: sign and submit operations from a YAML/JSON file, to the ledger in a data
//! directory or through a running node.

use super::{bad, open_writer, out, read_key, read_text, DataDir, Global};
use clap::Args;
use std::path::PathBuf;
use tessera_cli::scenario;
use tessera_cli::views::{self, Units};
use tessera_core::block::{Outcome, Receipt};
use tessera_core::crypto::Keypair;
use tessera_core::input::Resolver;
use tessera_core::op::Op;
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;
use tessera_node::engine::system_time;

#[derive(Args)]
pub struct SubmitArgs {
    #[command(flatten)]
    dir: DataDir,
    /// Signing key file.
    #[arg(long)]
    key: PathBuf,
    /// File with a list of operations.
    #[arg(long)]
    ops: PathBuf,
}

pub fn execute(a: SubmitArgs, json: bool) -> Result<(), Refusal> {
    let k = read_key(&a.key)?;
    let mut v: serde_json::Value = serde_norway::from_str(&read_text(&a.ops)?).map_err(|e| bad(e.to_string()))?;
    scenario::resolve_actors(&mut v);
    // Amounts in their asset's units and wallets by name, read against the ledger.
    let file = a.ops.display().to_string();
    submit_with(&a.dir, &k, json, |st| {
        let v = Resolver::new(st).canonical_ops(&v)?;
        serde_json::from_value(v).map_err(|e| bad(format!("{file}: {e}")))
    })
}

/// Through a running node: it prepares the transaction, the key signs it here.
pub fn execute_remote(a: &SubmitArgs, g: &Global, url: &str) -> Result<(), Refusal> {
    let node = super::remote(g, url, false)?;
    let k = read_key(&a.key)?;
    let mut v: serde_json::Value = serde_norway::from_str(&read_text(&a.ops)?).map_err(|e| bad(e.to_string()))?;
    scenario::resolve_actors(&mut v);
    let r = node.submit(&k, v)?;
    let receipt: Option<Receipt> = tessera_node::query::from_answer(r["receipt"].clone()).ok();
    out(g.json, &r, || match &receipt {
        Some(receipt) => {
            // Committed already: a node that will not say its assets' decimals leaves the
            // amounts in minor units rather than turn the commit into an error.
            let book = node.asset_book().unwrap_or_default();
            let (tx, height) = (r["tx"].as_str().unwrap_or_default(), r["height"].as_u64().unwrap_or_default());
            committed_human(&book, tx, height, receipt)
        }
        None => format!(
            "committed {} in block {}",
            r["tx"].as_str().unwrap_or_default(),
            r["height"].as_u64().unwrap_or_default()
        ),
    });
    Ok(())
}

/// A committed transaction for people: where it went and, one a line, what it did (a proposal
/// it created by its number, so the approvers know what to approve).
fn committed_human(u: &(impl Units + ?Sized), tx: impl std::fmt::Display, height: u64, receipt: &Receipt) -> String {
    match &receipt.outcome {
        Outcome::Ok { events } => {
            let mut lines = vec![format!("committed {tx} in block {height} ({} events)", events.len())];
            lines.extend(events.iter().map(|e| format!("  {}", views::event_text(u, e))));
            lines.join("\n")
        }
        Outcome::Failed { code, message, op_index } => {
            format!("journaled as FAILED {tx} in block {height}: operation {op_index}: {code}: {message}")
        }
    }
}

/// Signs `ops` with `key` as one transaction and commits it to the ledger in `dir`.
pub fn submit(dir: &DataDir, key: &Keypair, ops: Vec<Op>, json: bool) -> Result<(), Refusal> {
    submit_with(dir, key, json, |_| Ok(ops))
}

/// Signs the operations `ops` builds from the ledger's state as one transaction and commits it.
fn submit_with(
    dir: &DataDir,
    key: &Keypair,
    json: bool,
    ops: impl FnOnce(&tessera_core::state::State) -> Result<Vec<Op>, Refusal>,
) -> Result<(), Refusal> {
    let mut l = open_writer(dir)?;
    let ops = ops(&l.chain.state)?;
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
            let receipt = tessera_node::query::answer(&l.chain.state, r);
            out(json, &serde_json::json!({"tx": id, "height": block.header.height, "receipt": receipt}), || {
                committed_human(&l.chain.state, id, block.header.height, r)
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
