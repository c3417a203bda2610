//! Amounts as people write and read them: "1,500.00 USDX" is 150000 minor units of an asset
//! with 2 decimals. The ledger itself only ever holds minor units (integers); this module is
//! the one place that turns them into text ([`format_units`], [`format_amount`]) and text back
//! into them ([`parse_units`]), so what is printed can be pasted back as input.
//!
//! A leaf module (it imports nothing from the crate): every message, view and input reader
//! can use it.

use std::fmt;

/// Formats minor units with the asset's decimals: `format_units(1234500, 2)` = "12,345.00".
pub fn format_units(amount: u128, decimals: u8) -> String {
    let s = amount.to_string();
    let d = decimals as usize;
    let (int, frac) = match s.len().checked_sub(d) {
        Some(int_len) if int_len > 0 => s.split_at(int_len),
        _ => ("0", s.as_str()),
    };
    let frac = format!("{frac:0>d$}");
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && int.len().checked_sub(i).expect("i indexes int's ASCII digits") % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if d == 0 {
        grouped
    } else {
        format!("{grouped}.{frac}")
    }
}

/// `amount` in `decimals` as a plain decimal string ("1500.00"): the machine-readable twin of
/// [`format_units`] (which groups thousands for people), what every JSON answer writes beside
/// the minor units.
pub fn decimal_units(amount: u128, decimals: u8) -> String {
    format_units(amount, decimals).replace(',', "")
}

/// An amount of an asset for people: `format_amount(150000, 2, "USDX")` = "1,500.00 USDX".
pub fn format_amount(amount: u128, decimals: u8, symbol: &str) -> String {
    format!("{} {symbol}", format_units(amount, decimals))
}

/// Why a written amount is not one: each says what was wrong; [`AmountText::accepted`] says
/// what would have been read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountText {
    /// Nothing written.
    Empty,
    /// A minus sign: amounts are never negative.
    Negative,
    /// Not digits with at most one decimal point and thousands separators every three digits.
    Malformed,
    /// More decimal places (other than trailing zeros) than the asset has.
    TooManyDecimals { given: usize, allowed: u8 },
    /// More than the largest amount the ledger holds (2^128 − 1 minor units).
    TooLarge,
}

impl AmountText {
    /// What the input should look like, for an asset with `decimals` decimals.
    pub fn accepted(decimals: u8) -> String {
        let example = format_units(1_500u128.saturating_mul(10u128.saturating_pow(decimals.into())), decimals);
        match decimals {
            0 => format!("a whole number (the asset has no decimals), e.g. {example}"),
            d => format!("a number with at most {d} decimals, e.g. {example} or {}", example.replace(',', "")),
        }
    }
}

impl fmt::Display for AmountText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountText::Empty => f.write_str("no amount given"),
            AmountText::Negative => f.write_str("amounts are never negative"),
            AmountText::Malformed => {
                f.write_str("not a number: digits, one decimal point, and commas (if any) every three digits")
            }
            AmountText::TooManyDecimals { given, allowed } => {
                write!(f, "{given} decimal places, and the asset has {allowed}")
            }
            AmountText::TooLarge => f.write_str("larger than any amount the ledger can hold"),
        }
    }
}

/// Reads an amount written in the asset's units into minor units: "1,500.00" with 2 decimals
/// is 150000. Accepted: digits, an optional decimal point followed by digits, and either no
/// thousands separators or a comma (or an underscore) between every group of three digits
/// of the whole part. Decimal places past the asset's are refused unless they are zeros
/// ("1.500" is 1.50 of a 2-decimal asset; "1.505" is refused).
pub fn parse_units(text: &str, decimals: u8) -> Result<u128, AmountText> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AmountText::Empty);
    }
    if t.starts_with('-') {
        return Err(AmountText::Negative);
    }
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (t, None),
    };
    let whole = whole_digits(whole).ok_or(AmountText::Malformed)?;
    let frac = match frac {
        Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => return Err(AmountText::Malformed),
        Some(f) => f,
        None => "",
    };
    let d = decimals as usize;
    let (kept, dropped) = frac.split_at(frac.len().min(d));
    if dropped.bytes().any(|b| b != b'0') {
        let given = frac.trim_end_matches('0').len();
        return Err(AmountText::TooManyDecimals { given, allowed: decimals });
    }
    let mut digits = whole;
    digits.push_str(kept);
    digits.extend(std::iter::repeat_n('0', d.saturating_sub(kept.len())));
    // Only ASCII digits remain, so the one way to fail is a value past u128.
    digits.parse::<u128>().map_err(|_| AmountText::TooLarge)
}

/// The whole part's digits without separators, or None when it is not digits grouped by a
/// comma or an underscore every three digits (one kind of separator per amount).
fn whole_digits(w: &str) -> Option<String> {
    if w.is_empty() {
        return None;
    }
    let sep = [',', '_'].into_iter().find(|c| w.contains(*c));
    let groups: Vec<&str> = match sep {
        Some(s) => w.split(s).collect(),
        None => vec![w],
    };
    if !groups.iter().all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    if sep.is_some() {
        let (first, rest) = groups.split_first()?;
        if first.len() > 3 || rest.iter().any(|g| g.len() != 3) {
            return None;
        }
    }
    Some(groups.concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minor_units_print_with_the_assets_decimals_and_thousands_separators() {
        assert_eq!(format_units(1_234_500, 2), "12,345.00");
        assert_eq!(format_units(5, 6), "0.000005");
        assert_eq!(format_units(0, 0), "0");
        assert_eq!(format_units(1_000_000, 0), "1,000,000");
        assert_eq!(format_units(u128::MAX, 18), "340,282,366,920,938,463,463.374607431768211455");
        assert_eq!(format_amount(150_000, 2, "USDX"), "1,500.00 USDX");
    }

    #[test]
    fn decimal_amounts_read_in_the_assets_units() {
        assert_eq!(parse_units("1.5", 6), Ok(1_500_000));
        assert_eq!(parse_units("1,500.00", 2), Ok(150_000));
        assert_eq!(parse_units("1500", 2), Ok(150_000));
        assert_eq!(parse_units(" 0.000001 ", 6), Ok(1));
        assert_eq!(parse_units("1_000_000", 0), Ok(1_000_000));
        assert_eq!(parse_units("12,345,678.9", 2), Ok(1_234_567_890));
        assert_eq!(parse_units("0", 18), Ok(0));
        // Trailing zeros past the asset's decimals change nothing, so they are read.
        assert_eq!(parse_units("1.500", 2), Ok(150));
        assert_eq!(parse_units("7.000", 0), Ok(7));
    }

    #[test]
    fn more_decimals_than_the_asset_has_are_refused_naming_both_counts() {
        assert_eq!(parse_units("1.505", 2), Err(AmountText::TooManyDecimals { given: 3, allowed: 2 }));
        assert_eq!(parse_units("0.5", 0), Err(AmountText::TooManyDecimals { given: 1, allowed: 0 }));
        assert_eq!(parse_units("1.0000001", 6), Err(AmountText::TooManyDecimals { given: 7, allowed: 6 }));
    }

    #[test]
    fn separators_in_the_wrong_place_are_refused() {
        for bad in ["1,50.00", "1,5000", ",500", "1,,500", "1500,", "1,500_000", "12345,678", "1,500.000,0", "1.5.0"] {
            assert_eq!(parse_units(bad, 4), Err(AmountText::Malformed), "{bad}");
        }
    }

    #[test]
    fn negative_empty_and_non_numbers_are_refused() {
        assert_eq!(parse_units("-1", 2), Err(AmountText::Negative));
        assert_eq!(parse_units("-0.5", 2), Err(AmountText::Negative));
        assert_eq!(parse_units("", 2), Err(AmountText::Empty));
        assert_eq!(parse_units("   ", 2), Err(AmountText::Empty));
        for bad in ["abc", "1e6", "+5", ".5", "5.", "1 000", "0x10", "１"] {
            assert_eq!(parse_units(bad, 2), Err(AmountText::Malformed), "{bad}");
        }
    }

    #[test]
    fn amounts_past_the_largest_the_ledger_holds_are_refused() {
        let max = u128::MAX.to_string();
        assert_eq!(parse_units(&max, 0), Ok(u128::MAX));
        assert_eq!(parse_units("340282366920938463463374607431768211456", 0), Err(AmountText::TooLarge));
        // Fits as a whole number, overflows once scaled to minor units.
        assert_eq!(parse_units("340282366920938463463374607431768211455", 1), Err(AmountText::TooLarge));
        assert_eq!(parse_units(&"9".repeat(100), 2), Err(AmountText::TooLarge));
    }

    #[test]
    fn the_accepted_form_is_shown_in_the_assets_decimals() {
        assert_eq!(AmountText::accepted(2), "a number with at most 2 decimals, e.g. 1,500.00 or 1500.00");
        assert_eq!(AmountText::accepted(0), "a whole number (the asset has no decimals), e.g. 1,500");
    }

    proptest! {
        #[test]
        fn what_is_printed_reads_back_as_the_same_amount(amount in any::<u128>(), decimals in 0u8..=18) {
            prop_assert_eq!(parse_units(&format_units(amount, decimals), decimals), Ok(amount));
        }

        #[test]
        fn parsing_any_text_never_panics(text in ".{0,64}", decimals in 0u8..=18) {
            let _ = parse_units(&text, decimals);
        }
    }
}
