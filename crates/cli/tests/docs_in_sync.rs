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
Where they appear (SPEC L9):\n\
- Refused at the door, never journaled, no block written, the signer's sequence number\n  unchanged: every `tx.*` code (malformed, badly signed, expired, replayed, out of sequence,\n  for another network, from an unregistered signer); codes from checks that need no state\n  (`amount.zero`, `party.bad_id`, `field.too_long`, `identifier.*`, `asset.invalid`,\n  `policy.invalid`, `claim.invalid`, `sanctions.invalid`, `governance.bad_threshold`,\n  `governance.nested_proposal`, recovery to the same wallet as `wallet.different_party`); and a\n  retired wallet signing (`wallet.retired`). Over HTTP: 400, or 403 for `tx.unknown_signer` and\n  `wallet.retired`, or 409 for `tx.replayed`, `tx.sequence_gap` and `tx.expired`.\n\
- Any other code from a well-formed, signed transaction — journaled in a failure receipt naming\n  the operation (so an attempted sanctioned transfer stays on the record); nothing changed but\n  the signer's sequence number. Over HTTP: 422 with the receipt's `tx` and `height`; 422 means\n  this and nothing else.\n\
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
