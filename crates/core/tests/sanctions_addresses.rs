//! Sanctions screening by linked address matches by identity, not by spelling: an EVM address
//! listed in EIP-55 mixed case screens a party that linked it in lower case (and the reverse),
//! while base58 addresses that differ only in case stay two addresses.

use proptest::prelude::*;
use tessera_core::block::{demo_genesis, Block};
use tessera_core::chain_address::{canonical, canonical_address};
use tessera_core::compliance::{Policy, Rule};
use tessera_core::crypto::Keypair;
use tessera_core::exec::Chain;
use tessera_core::op;
use tessera_core::op::{AssetSpec, Op};
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;

/// The EIP-55 spelling OFAC publishes, and the same address as wallets usually print it.
const EIP55: &str = "0x8576aCC5C05D6Ce88f4e49bf65BdF0C62F91353C";
const LOWER: &str = "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c";
const TRON: &str = "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7";

fn operator() -> Keypair {
    Keypair::insecure_from_name("sa-operator")
}
fn alpha() -> Keypair {
    Keypair::insecure_from_name("sa-alpha")
}
fn echo() -> Keypair {
    Keypair::insecure_from_name("sa-echo")
}

struct Ledger {
    chain: Chain,
    time: u64,
}

impl Ledger {
    /// Alpha and Echo hold USDX under a `sanctions` policy; Echo has linked `(currency, address)`.
    fn new(currency: &str, address: &str) -> Ledger {
        let op = operator();
        let g = demo_genesis(
            "sa",
            Time(1_000_000),
            &[(&op, &[Role::Admin, Role::IssuerAgent, Role::ComplianceOfficer])],
            [1, 1, 1],
        );
        let (chain, _) = Chain::genesis(&g).unwrap();
        let mut l = Ledger { chain, time: 1_000_000 };
        let mut ops = Vec::new();
        for (id, k) in [("alpha", alpha()), ("echo", echo())] {
            ops.push(Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(id),
                name: id.into(),
                kind: PartyKind::Institution,
            }));
            ops.push(Op::AddWallet(op::AddWallet { party: PartyId::new(id), wallet: k.wallet() }));
        }
        ops.push(Op::LinkAddress(op::LinkAddress {
            party: PartyId::new("echo"),
            currency: currency.into(),
            address: address.into(),
        }));
        ops.push(Op::CreateAsset(AssetSpec {
            symbol: Symbol::new("USDX"),
            name: "USDX".into(),
            kind: AssetKind::FundShare { nav: NavKind::Stable },
            decimals: 0,
            issuer: PartyId::new("operator"),
            supply_cap: None,
            policy: Policy { rules: vec![Rule::Sanctions] },
        }));
        for k in [alpha(), echo()] {
            ops.push(Op::Mint(op::Mint { asset: Symbol::new("USDX"), to: k.wallet(), amount: 1_000 }));
        }
        l.ok(&op, ops);
        l
    }

    fn run(&mut self, k: &Keypair, ops: Vec<Op>) -> Block {
        let st = &self.chain.state;
        let seq = st.wallet_index.get(&k.wallet()).map(|i| st.wallet(*i).next_seq).unwrap_or(1);
        let body = TxBody { network: "sa".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops };
        let tx = CheckedTx::from_decoded(body.sign(k)).expect("well-formed transaction");
        self.time += 1;
        let (b, _) = self.chain.build_block(Time(self.time), vec![tx]);
        assert_eq!(self.chain.state.check_invariants(), Ok(()));
        b
    }

    fn ok(&mut self, k: &Keypair, ops: Vec<Op>) {
        let b = self.run(k, ops);
        assert!(b.body.receipts[0].is_ok(), "{:?}", b.body.receipts[0]);
    }

    /// The failure code and message of a transfer, or `None` if it went through.
    fn transfer(&mut self, from: &Keypair, to: &Keypair) -> Option<(String, String)> {
        let b =
            self.run(from, vec![Op::Transfer(op::Transfer { asset: Symbol::new("USDX"), to: to.wallet(), amount: 1 })]);
        match &b.body.receipts[0].outcome {
            tessera_core::block::Outcome::Ok { .. } => None,
            tessera_core::block::Outcome::Failed { code, message, .. } => Some((code.clone(), message.clone())),
        }
    }

    fn list(&mut self, add: bool, currency: &str, address: &str) {
        let targets = vec![SanctionTarget::Address { currency: currency.into(), address: address.into() }];
        let source = "OFAC SDN test".to_string();
        let op = if add {
            Op::SanctionAdd(op::SanctionAdd { targets, source })
        } else {
            Op::SanctionRemove(op::SanctionRemove { targets, source })
        };
        self.ok(&operator(), vec![op]);
    }
}

#[test]
fn a_lower_case_link_is_refused_compliance_sanctioned_once_ofac_lists_the_eip55_spelling() {
    let mut l = Ledger::new("ETH", LOWER);
    assert_eq!(l.transfer(&alpha(), &echo()), None);
    l.list(true, "ETH", EIP55);
    let (code, message) = l.transfer(&alpha(), &echo()).expect("transfer to echo refused");
    assert_eq!(code, "compliance.sanctioned");
    // The message names the linked address and quotes the list's own spelling.
    assert!(message.contains(LOWER) && message.contains(&format!("listed as {EIP55}")), "{message}");
    assert_eq!(l.transfer(&echo(), &alpha()).map(|r| r.0).as_deref(), Some("compliance.sanctioned"));
}

#[test]
fn an_eip55_link_is_refused_compliance_sanctioned_when_the_list_names_it_in_lower_case() {
    let mut l = Ledger::new("ETH", EIP55);
    l.list(true, "ETH", LOWER);
    assert_eq!(l.transfer(&echo(), &alpha()).map(|r| r.0).as_deref(), Some("compliance.sanctioned"));
    assert_eq!(l.transfer(&alpha(), &echo()).map(|r| r.0).as_deref(), Some("compliance.sanctioned"));
    // Delisting under yet another spelling removes the one entry.
    l.list(false, "ETH", &LOWER.to_ascii_uppercase().replace("0X", "0x"));
    assert!(l.chain.state.sanctions.is_empty());
    assert_eq!(l.transfer(&echo(), &alpha()), None);
}

#[test]
fn two_spellings_of_one_address_are_one_list_entry_and_one_link() {
    let mut l = Ledger::new("ETH", LOWER);
    l.ok(
        &operator(),
        vec![Op::LinkAddress(op::LinkAddress {
            party: PartyId::new("echo"),
            currency: "ETH".into(),
            address: EIP55.into(),
        })],
    );
    let echo_idx = l.chain.state.party_index.get(&PartyId::new("echo")).copied().unwrap();
    assert_eq!(l.chain.state.party(echo_idx).linked, [("ETH".to_string(), LOWER.to_string())]);
    l.list(true, "ETH", EIP55);
    l.list(true, "ETH", LOWER);
    assert_eq!(l.chain.state.sanctions.len(), 1);
}

#[test]
fn a_btc_link_is_screened_against_ofacs_xbt_entry() {
    let mut l = Ledger::new("BTC", "BC1QXY2KGDYGJRSQTZQ2N0YRF2493P83KKFJHX0WLH");
    l.list(true, "XBT", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh");
    assert_eq!(l.transfer(&alpha(), &echo()).map(|r| r.0).as_deref(), Some("compliance.sanctioned"));
}

#[test]
fn base58_addresses_differing_only_in_case_are_not_conflated() {
    let mut l = Ledger::new("TRX", TRON);
    l.list(true, "TRX", &TRON.to_ascii_lowercase());
    l.list(true, "TRX", &TRON.to_ascii_uppercase());
    assert_eq!(l.chain.state.sanctions.len(), 2);
    assert_eq!(l.transfer(&alpha(), &echo()), None);
    l.list(true, "TRX", TRON);
    assert_eq!(l.transfer(&alpha(), &echo()).map(|r| r.0).as_deref(), Some("compliance.sanctioned"));
}

/// The same hex digits with each letter's case chosen by `mask`.
fn recase(hex: &str, mask: &[bool]) -> String {
    hex.chars().zip(mask.iter().cycle()).map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c }).collect()
}

proptest! {
    #[test]
    fn case_variants_of_a_hex_address_are_one_identity(
        digits in "[0-9a-f]{40}",
        mask in proptest::collection::vec(any::<bool>(), 1..41),
        currency in prop_oneof![Just("ETH"), Just("USDT"), Just("USDC"), Just("ETC"), Just("BSC"), Just("ARB")],
        upper_prefix in any::<bool>(),
    ) {
        let prefix = if upper_prefix { "0X" } else { "0x" };
        let variant = format!("{prefix}{}", recase(&digits, &mask));
        prop_assert_eq!(canonical_address(currency, &variant), format!("0x{digits}"));
    }

    #[test]
    fn canonicalisation_is_idempotent_and_keeps_an_address_valid(
        currency in prop_oneof![
            Just("ETH"), Just("XBT"), Just("BTC"), Just("LTC"), Just("ZEC"), Just("BTG"), Just("BCH"),
            Just("BSV"), Just("TRX"), Just("XMR"), Just("USDT"), Just("SOL"), Just("XRP"),
        ],
        address in prop_oneof![
            "[!-~]{1,60}",
            "0[xX][0-9a-fA-F]{0,44}",
            "(bc1|BC1|ltc1|LTC1|zs1|ZS1|u1|U1|btg1)[0-9a-zA-Z]{0,50}",
            "(bitcoincash:|BITCOINCASH:)?[qpQP][qpzry9x8gf2tvdw0s3jn54khce6mua7lQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{41}",
        ],
    ) {
        let once = canonical(currency, &address);
        prop_assert_eq!(canonical(&once.0, &once.1), once.clone());
        // A target that passed its check still passes it after canonicalisation.
        let target = SanctionTarget::Address { currency: currency.to_string(), address: address.clone() };
        if target.check().is_ok() {
            prop_assert!(target.canonical().check().is_ok(), "{:?}", target.canonical());
        }
        prop_assert!(once.1.len() <= address.len());
    }
}
