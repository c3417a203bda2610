//! `tessera token`: with --node, sign the node's access challenge with a key and print a bearer
//! token (for curl and other HTTP clients).

use super::{bad, out, read_key, Global};
use clap::Args;
use std::path::PathBuf;
use tessera_core::Refusal;

#[derive(Args)]
pub struct TokenArgs {
    /// The key file whose wallet signs the challenge.
    #[arg(long)]
    key: PathBuf,
}

pub fn execute() -> Result<(), Refusal> {
    Err(bad("`token` needs --node URL"))
}

pub fn execute_remote(a: &TokenArgs, g: &Global, url: &str) -> Result<(), Refusal> {
    let mut node = super::remote(g, url, false)?;
    let t = node.login(&read_key(&a.key)?)?;
    out(g.json, &t, || t["token"].as_str().unwrap_or_default().to_string());
    Ok(())
}
