//! `docs/errors.md` lists every failure code with its meaning, in code order. Regenerate with
//! `UPDATE_DOCS=1 cargo test -p tessera-cli --test docs_in_sync`.

use std::path::Path;
use tessera_core::Code;

fn render() -> String {
    let mut s = String::from(
        "# Failure codes\n\n\
Every refusal in Tessera carries a stable code and a human message; the same code reaches the\n\
CLI (`error[CODE]: message`, exit status 1; `{\"error\": {\"code\", \"message\"}}` with `--json`),\n\
failure receipts in the journal, and (later) the HTTP API. Codes are never renamed or reused.\n\n\
Where they appear:\n\
- `tx.*` — refused at the door (decode, signature, network, expiry, sequence): not journaled.\n\
- other codes from a transaction — journaled in a failure receipt; nothing changed but the\n  signer's sequence number.\n\
- `store.*`, `verify.*`, `scenario.*`, `input.*` — tools and storage.\n\n\
Precedence within a movement: ledger pause, asset pause, wallet state (retired, frozen),\n\
balance, supply cap, then the asset's policy rules in the order the policy lists them.\n\n\
| code | meaning |\n|---|---|\n",
    );
    for c in Code::ALL {
        s.push_str(&format!("| `{}` | {} |\n", c.as_str(), c.meaning()));
    }
    s
}

#[test]
fn errors_md_lists_every_code() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/errors.md");
    let want = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/errors.md is out of date: run UPDATE_DOCS=1 cargo test -p tessera-cli --test docs_in_sync");
}
