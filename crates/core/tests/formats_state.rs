//! `docs/formats.md`, "The state digest" and "Snapshots", stays true: its table of state
//! tables is the code's, in the code's order, and its test vectors (a table leaf, a set hash,
//! the digest of an empty state and of a small genesis state, and that state's snapshot) are
//! what the code computes. After a deliberate change, rewrite the section with
//! `UPDATE_DOCS=1 cargo test -p tessera-core --test formats_state`.

use std::path::{Path, PathBuf};
use tessera_core::block::demo_genesis;
use tessera_core::crypto::{self, Keypair};
use tessera_core::exec::Chain;
use tessera_core::state::State;
use tessera_core::{Role, Time};

const START: &str = "<!-- state-vectors:start (written by crates/core/tests/formats_state.rs) -->";
const END: &str = "<!-- state-vectors:end -->";

fn doc_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/formats.md")
}

/// Every table of the state as (field name, tag, set hash), in declaration order — the order
/// of the digest and of a snapshot — read field by field, as docs/formats.md lists them.
macro_rules! tables {
    ($state:expr; $($field:ident),* $(,)?) => {
        vec![$( (stringify!($field), borsh::to_vec(&$state.$field).unwrap()[0], $state.$field.digest().to_bytes(), $state.$field.is_empty()), )*]
    };
}

fn tables(s: &State) -> Vec<(&'static str, u8, [u8; 32], bool)> {
    tables!(s;
        meta, parties, party_index, wallets, wallet_index, assets, asset_index, policies, holdings, roles,
        trusted_issuers, sanctions, proposals, open_proposals, alerts, instructions, open_instructions,
        height_instructions, htlcs, open_htlcs, cash_references, conversions, omnibus_wallets, tenders, repos,
        open_repos, yield_classes, oracle_sources, feeds, funds, share_classes, positions, fund_days, redemptions,
        redemption_queue, servicing, rules, fund_monitoring, fund_income, collateral_counters, clearing_houses,
        collateral_accounts, margin_index, pledged_assets, price_marks, margin_calls, open_calls, loans, open_loans,
        schedule_due, watch, standings, ccp_members,
    )
}

/// Tables from this tag on join the digest only once they hold an entry.
const FIRST_LATER_TABLE: u8 = 37;

/// The vectors' state: the genesis of network `formats-demo` at 2026-01-01T00:00:00Z with one
/// wallet, alice's, holding the admin and compliance officer roles.
fn genesis_state() -> State {
    let alice = Keypair::insecure_from_name("alice");
    let g = demo_genesis(
        "formats-demo",
        Time(1_767_225_600),
        &[(&alice, &[Role::Admin, Role::ComplianceOfficer])],
        [1, 1, 1],
    );
    Chain::genesis(&g).unwrap().0.state
}

/// The digest as the document says to compute it, from the tables' set hashes.
fn digest_by_hand(s: &State) -> tessera_core::Hash {
    let mut parts = Vec::new();
    for (_, tag, set_hash, empty) in tables(s) {
        if tag < FIRST_LATER_TABLE || !empty {
            parts.extend(set_hash);
        }
    }
    crypto::sha256(&parts)
}

/// A set hash: the sum of 32-byte leaves read as little-endian 256-bit numbers, mod 2^256.
fn sum_mod_2_256(leaves: &[[u8; 32]]) -> [u8; 32] {
    let mut sum = [0u8; 32];
    for leaf in leaves {
        let mut carry = 0u16;
        for i in 0..32 {
            let t = u16::from(sum[i]) + u16::from(leaf[i]) + carry;
            sum[i] = t as u8;
            carry = t >> 8;
        }
    }
    sum
}

/// leaf = SHA-256(tag ‖ key bytes ‖ value bytes).
fn leaf(tag: u8, key: &impl borsh::BorshSerialize, value: &impl borsh::BorshSerialize) -> [u8; 32] {
    let mut bytes = vec![tag];
    bytes.extend(borsh::to_vec(key).unwrap());
    bytes.extend(borsh::to_vec(value).unwrap());
    crypto::sha256(&bytes).0
}

fn vectors() -> String {
    let empty = State::empty();
    let s = genesis_state();
    let snapshot = borsh::to_vec(&s).unwrap();
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<34} {v}\n"));
    line("empty.digest", empty.digest().to_hex());
    line("genesis.meta.entry", hex::encode(borsh::to_vec(s.meta()).unwrap()));
    line("genesis.meta.leaf", hex::encode(leaf(1, &0u8, s.meta())));
    for (name, tag, set_hash, is_empty) in tables(&s) {
        if !is_empty {
            line(&format!("genesis.set_hash.{name} ({tag})"), hex::encode(set_hash));
        }
    }
    line("genesis.digest", s.digest().to_hex());
    line("genesis.snapshot.state", hex::encode(&snapshot));
    line("genesis.snapshot.checksum", crypto::sha256(&snapshot).to_hex());
    format!("{START}\n```text\n{out}```\n{END}")
}

#[test]
fn the_state_vectors_in_docs_formats_md_are_what_the_code_computes() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/formats.md");
    let (Some(a), Some(b)) = (doc.find(START), doc.find(END)) else {
        panic!("docs/formats.md has no state vectors section between {START} and {END}")
    };
    let now = &doc[a..b + END.len()];
    let want = vectors();
    if now != want && std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(doc_path(), doc.replacen(now, &want, 1)).expect("write docs/formats.md");
        return;
    }
    assert_eq!(
        now, want,
        "docs/formats.md's state vectors are stale: UPDATE_DOCS=1 cargo test -p tessera-core --test formats_state"
    );
}

#[test]
fn the_documents_table_of_state_tables_is_the_codes_in_the_codes_order() {
    // A snapshot of the empty state is each table's tag and a zero count, in order.
    let bytes = borsh::to_vec(&State::empty()).unwrap();
    let code_tags: Vec<u8> = bytes.chunks(9).map(|c| c[0]).collect();
    let listed: Vec<(&str, u8)> = tables(&State::empty()).into_iter().map(|(n, t, _, _)| (n, t)).collect();
    assert_eq!(
        listed.iter().map(|x| x.1).collect::<Vec<_>>(),
        code_tags,
        "a table was added: list it here and in docs/formats.md"
    );
    let doc = std::fs::read_to_string(doc_path()).expect("docs/formats.md");
    let rows: Vec<(String, u8)> = doc
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let (name, tag) = (cells.get(2)?.trim_matches('`'), cells.get(3)?.parse().ok()?);
            cells.get(1)?.parse::<usize>().ok()?;
            Some((name.to_string(), tag))
        })
        .collect();
    let want: Vec<(String, u8)> = listed.iter().map(|(n, t)| (n.to_string(), *t)).collect();
    assert_eq!(rows, want, "docs/formats.md's table of state tables");
}

#[test]
fn the_digest_rebuilt_by_hand_as_the_document_says_is_the_codes() {
    let empty = State::empty();
    assert_eq!(empty.digest(), crypto::sha256(&[0u8; 36 * 32]), "36 tables before tag 37, each summing to zero");
    let s = genesis_state();
    assert_eq!(s.digest(), digest_by_hand(&s));
    assert_eq!(s.digest(), s.recompute_digest());
    // One entry: its set hash is its leaf.
    assert_eq!(s.meta.digest().to_bytes(), leaf(1, &0u8, s.meta()));
    // Several: the sum of their leaves mod 2^256.
    let roles: Vec<[u8; 32]> = s.roles.sorted().into_iter().map(|(k, v)| leaf(10, k, v)).collect();
    assert!(roles.len() > 1, "two roles granted");
    assert_eq!(s.roles.digest().to_bytes(), sum_mod_2_256(&roles));
    // A snapshot is the borsh state: it decodes to the same digest.
    let back: State = borsh::from_slice(&borsh::to_vec(&s).unwrap()).unwrap();
    assert_eq!(back.recompute_digest(), s.digest());
}
