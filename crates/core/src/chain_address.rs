//! The identity of an address on another chain: OFAC's "Digital Currency Address" entries and
//! the addresses parties link with `link_address`.
//!
//! Two spellings name the same address exactly when their canonical forms are equal.
//! [`canonical`] is the only place that decides this; every address entering state (sanctions
//! entries, linked addresses) is stored canonical, so screening is plain equality and never
//! depends on how OFAC or a party happened to write the letters.
//!
//! | address form | currencies | canonical form | why |
//! |---|---|---|---|
//! | `0x` + hex digits | any (ETH, ETC, BSC, ARB, USDT/USDC on EVM chains, ...) | `0x` + lower-case hex | hex is a number; EIP-55 mixed case is a checksum, not identity. No case-sensitive encoding can start with `0x` (base58 has no `0`), so the shape alone decides and new EVM codes need no table change |
//! | bech32 `bc1…` | XBT | lower case | bech32 is case-insensitive (all capitals is valid, e.g. in QR codes) |
//! | bech32 `ltc1…` | LTC | lower case | as above |
//! | bech32 `zs1…` (Sapling), bech32m `u1…` (unified) | ZEC | lower case | as above |
//! | bech32 `btg1…` | BTG | lower case | as above |
//! | cashaddr `bitcoincash:q…`/`p…`, or bare `q…`/`p…` (42 characters) | BCH, BSV | lower case, without the `bitcoincash:` prefix | cashaddr is case-insensitive; the prefix names the network, which the currency already does |
//! | anything else: base58 (XBT, LTC, BCH, BSV legacy `1…`/`3…`; TRX and USDT on Tron `T…`; XMR; DASH; ZEC `t1…`/`zc…`; XRP `r…`; SOL; ...) | any | exactly as written | base58 letters differ by case: `1Abc` and `1abc` are two different addresses |
//!
//! Currency codes are OFAC's (upper case); the common ticker `BTC` is the same chain as OFAC's
//! `XBT` and becomes `XBT`, so a party linking a `BTC` address is screened against OFAC's list.
//!
//! Properties (tested): canonicalisation is idempotent; it only changes letter case and drops a
//! cashaddr prefix, so a non-empty printable-ASCII address stays non-empty printable ASCII and
//! never grows. ASCII-only operations on the input: deterministic on every platform, and the
//! state machine replays it identically.

/// OFAC's code for the chain a currency code names.
pub fn canonical_currency(currency: &str) -> &str {
    match currency {
        "BTC" => "XBT",
        other => other,
    }
}

/// The canonical spelling of `address` as an address of `currency` (see the module table).
pub fn canonical_address(currency: &str, address: &str) -> String {
    if let Some(hex) = strip_prefix_ignore_case(address, "0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return format!("0x{}", hex.to_ascii_lowercase());
        }
    }
    let bech32_prefixes: &[&str] = match canonical_currency(currency) {
        "XBT" => &["bc1"],
        "LTC" => &["ltc1"],
        "ZEC" => &["zs1", "u1"],
        "BTG" => &["btg1"],
        "BCH" | "BSV" => return cashaddr(address),
        _ => &[],
    };
    if bech32_prefixes.iter().any(|p| strip_prefix_ignore_case(address, p).is_some()) {
        return address.to_ascii_lowercase();
    }
    address.to_string()
}

/// Both parts canonical: the identity screening compares.
pub fn canonical(currency: &str, address: &str) -> (String, String) {
    (canonical_currency(currency).to_string(), canonical_address(currency, address))
}

const CASHADDR_PREFIX: &str = "bitcoincash:";
/// Length of a bare mainnet cashaddr (P2PKH and P2SH alike).
const CASHADDR_LEN: usize = 42;
/// The bech32 alphabet cashaddr uses (lower case).
const BECH32_CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn cashaddr(address: &str) -> String {
    if let Some(payload) = strip_prefix_ignore_case(address, CASHADDR_PREFIX) {
        // An empty payload keeps the prefix, so the result is never empty.
        if !payload.is_empty() {
            return payload.to_ascii_lowercase();
        }
        return address.to_ascii_lowercase();
    }
    // Without the prefix only the exact shape counts: legacy base58 addresses of these chains
    // start with `1` or `3` and are shorter, so they are never lower-cased here.
    let bare = address.len() == CASHADDR_LEN
        && matches!(address.as_bytes().first(), Some(b'q' | b'p' | b'Q' | b'P'))
        && address.bytes().all(|b| BECH32_CHARSET.contains(&b.to_ascii_lowercase()));
    if bare {
        address.to_ascii_lowercase()
    } else {
        address.to_string()
    }
}

/// `s` without `prefix`, compared ASCII-case-insensitively. Never splits a character.
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (currency, as written, canonical) — one row per rule of the module table.
    const CASES: &[(&str, &str, &str)] = &[
        // EVM hex: EIP-55 checksum case, all caps, upper-case prefix, truncated hex.
        ("ETH", "0x8576aCC5C05D6Ce88f4e49bf65BdF0C62F91353C", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"),
        ("ETH", "0X8576ACC5C05D6CE88F4E49BF65BDF0C62F91353C", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"),
        ("USDT", "0x7F367cC41522cE07553e823bf3be79A889DEbe1B", "0x7f367cc41522ce07553e823bf3be79a889debe1b"),
        ("USDC", "0xAbC", "0xabc"),
        ("ETC", "0xDEADbeef", "0xdeadbeef"),
        ("BSC", "0xDEADbeef", "0xdeadbeef"),
        ("ARB", "0xDEADbeef", "0xdeadbeef"),
        // Not hex after 0x: left alone.
        ("ETH", "0xNotHex", "0xNotHex"),
        ("ETH", "0x", "0x"),
        // XBT: bech32 lower-cased, base58 exact; BTC is XBT.
        ("XBT", "BC1QXY2KGDYGJRSQTZQ2N0YRF2493P83KKFJHX0WLH", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"),
        ("BTC", "bc1QXY2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"),
        ("XBT", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h"),
        ("XBT", "3ExampLeSecondXbtAddre55AbCdEfGh", "3ExampLeSecondXbtAddre55AbCdEfGh"),
        // LTC: bech32 lower-cased, legacy exact.
        ("LTC", "LTC1QG82TF0ZNQDUC8VQ5LJ6ZZGXYH5T7E5GXKQW6CF", "ltc1qg82tf0znqduc8vq5lj6zzgxyh5t7e5gxkqw6cf"),
        ("LTC", "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9", "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9"),
        // ZEC: Sapling and unified lower-cased; transparent and Sprout exact.
        ("ZEC", "ZS1ABCDEF", "zs1abcdef"),
        ("ZEC", "U1QPZRY9", "u1qpzry9"),
        ("ZEC", "t1U9yhDa5XEjgfnTgZoKddeSiEN1aoLkQxq", "t1U9yhDa5XEjgfnTgZoKddeSiEN1aoLkQxq"),
        ("BTG", "BTG1QABC", "btg1qabc"),
        // BCH / BSV cashaddr: prefix optional, case-insensitive; legacy base58 exact.
        ("BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
        ("BCH", "BITCOINCASH:QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
        ("BCH", "QPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
        ("BSV", "bitcoincash:PPM2QSZNHKS23Z7629MMS6S4CWEF74VCWVY22GDX6A", "ppm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"),
        ("BCH", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"),
        ("BCH", "bitcoincash:", "bitcoincash:"),
        // Base58 everywhere else: exact.
        ("TRX", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
        ("USDT", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
        ("XMR", "4AbCdEf", "4AbCdEf"),
        ("DASH", "XdAbCdEf", "XdAbCdEf"),
        ("XRP", "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe", "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe"),
        ("SOL", "So11111111111111111111111111111111111111112", "So11111111111111111111111111111111111111112"),
        // A bech32 prefix under a currency that does not use it is not special.
        ("TRX", "BC1QABC", "BC1QABC"),
    ];

    #[test]
    fn each_currency_rule_maps_a_spelling_to_its_canonical_form() {
        for &(currency, written, want) in CASES {
            assert_eq!(canonical_address(currency, written), want, "{currency} {written}");
        }
    }

    #[test]
    fn btc_is_the_xbt_chain_and_other_codes_are_kept() {
        assert_eq!(canonical_currency("BTC"), "XBT");
        for c in ["XBT", "ETH", "USDT", "LTC", "BCH"] {
            assert_eq!(canonical_currency(c), c);
        }
        assert_eq!(canonical("BTC", "BC1QABC"), ("XBT".to_string(), "bc1qabc".to_string()));
    }

    #[test]
    fn base58_spellings_that_differ_only_in_case_stay_different() {
        for (currency, a) in [
            ("XBT", "1ExampLeXbtAddr3ss5anct10nedAbCdEf"),
            ("TRX", "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7"),
            ("XMR", "4AbCdEf"),
            ("LTC", "LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9"),
            ("XRP", "rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe"),
            ("SOL", "So11111111111111111111111111111111111111112"),
        ] {
            let lower = a.to_ascii_lowercase();
            assert_ne!(canonical_address(currency, a), canonical_address(currency, &lower), "{currency} {a}");
        }
    }

    #[test]
    fn every_rule_is_idempotent() {
        for &(currency, written, _) in CASES {
            let once = canonical(currency, written);
            assert_eq!(canonical(&once.0, &once.1), once, "{currency} {written}");
        }
    }

    #[test]
    fn non_ascii_input_never_panics() {
        for a in ["0x\u{e9}", "b\u{e9}1", "\u{e9}", "bitcoincash\u{e9}", "", "bitcoin\u{1F600}"] {
            for c in ["ETH", "XBT", "BCH", "ZEC"] {
                let _ = canonical_address(c, a);
            }
        }
    }
}
