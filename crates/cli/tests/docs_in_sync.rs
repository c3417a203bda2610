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
- Refused at the door, never journaled, the signer's sequence number unchanged: every `tx.*`\n  code; codes from checks that need no state (`amount.zero`, `party.bad_id`, `field.too_long`,\n  `identifier.*`, `asset.invalid`, `policy.invalid`, `claim.invalid`, `sanctions.invalid`,\n  `governance.bad_threshold`, `governance.nested_proposal`, recovery to the same wallet as\n  `wallet.different_party`); and a retired wallet signing (`wallet.retired`).\n\
- Any other code from a transaction — journaled in a failure receipt naming the operation;\n  nothing changed but the signer's sequence number.\n\
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
    assert!(
        have == want,
        "docs/errors.md is out of date: run UPDATE_DOCS=1 cargo test -p tessera-cli --test docs_in_sync"
    );
}
