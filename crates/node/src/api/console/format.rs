//! How the console writes numbers and times for people: amounts in the asset's decimals with
//! thousands separators (the command line's [`format_units`]), rates as percentages, times as
//! `<time>` elements the page's script shows in the viewer's zone (UTC on hover, and as the
//! text when scripts are off).

use maud::{html, Markup};
use tessera_core::state::State;
use tessera_core::{format_units, Amount, Time, WalletId};

/// An amount in minor units, in its asset's decimals: `1,234,567.50`.
pub fn amount(units: Amount, decimals: u8) -> Markup {
    html! { span.num data-units=(units) { (format_units(units, decimals)) } }
}

/// An amount with its symbol: `1,234,567.50 ATLAS`.
pub fn amount_of(units: Amount, decimals: u8, symbol: &str) -> Markup {
    html! { span.num data-units=(units) { (format_units(units, decimals)) " " span.sym { (symbol) } } }
}

/// Every asset's decimals, read once per page, to write amounts of any asset.
pub struct Decimals(Vec<(String, u8)>);

impl Decimals {
    pub fn of(st: &State) -> Decimals {
        Decimals(crate::query::assets(st).into_iter().map(|a| (a.symbol.as_str().to_string(), a.decimals)).collect())
    }

    /// An asset's decimals (0 for one the ledger does not hold).
    pub fn get(&self, symbol: &str) -> u8 {
        self.0.iter().find(|(s, _)| s == symbol).map(|(_, d)| *d).unwrap_or(0)
    }

    /// An amount of `symbol` in its decimals, with the symbol.
    pub fn amount(&self, units: Amount, symbol: &str) -> Markup {
        amount_of(units, self.get(symbol), symbol)
    }
}

/// A wallet: its short form, the whole key on hover.
pub fn wallet(w: &WalletId) -> Markup {
    html! { span.mono title=(w.to_hex()) { (w.short()) } }
}

/// Basis points as a percentage: `2,500` → `25.00%`.
pub fn bps(v: u64) -> String {
    format!("{}%", fixed(v, 2, 2))
}

/// A fixed-point value with `scale` decimals (NAV per share × 10^8, rates in ppb, …).
pub fn fixed(value: u64, scale: u8, shown: u8) -> String {
    let s = format_units(u128::from(value), scale);
    // Trim to `shown` decimals (rounding toward zero: a display, never a balance).
    match s.split_once('.') {
        Some((int, frac)) if shown == 0 => {
            let _ = frac;
            int.to_string()
        }
        Some((int, frac)) => format!("{int}.{}", &frac[..frac.len().min(shown as usize)]),
        None => s,
    }
}

/// A time: UTC text, turned into the viewer's zone by the page's script, UTC on hover.
pub fn time(t: Time) -> Markup {
    let utc = t.to_string();
    html! { time datetime=(utc) title=(format!("{utc} (UTC)")) { (utc.replace('T', " ").replace('Z', " UTC")) } }
}

/// A countdown to a deadline, kept live by the page's script ("in 12 min 30 s", "passed").
pub fn countdown(deadline: Time, now: Time) -> Markup {
    let left = deadline.0.saturating_sub(now.0);
    html! {
        span.countdown data-deadline=(deadline.0) title=(format!("{} (UTC)", deadline)) {
            @if left == 0 { "passed" } @else { "in " (duration(left)) }
        }
    }
}

/// A duration in seconds for people: "2 d 3 h", "12 min 30 s".
pub fn duration(s: u64) -> String {
    let (d, h, m, sec) = (s / 86_400, s / 3_600 % 24, s / 60 % 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec} s"),
        (0, 0, _) => format!("{m} min {sec} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_show_the_asset_decimals_with_thousands_separators() {
        assert_eq!(
            amount(123_456_789, 2).into_string(),
            r#"<span class="num" data-units="123456789">1,234,567.89</span>"#
        );
        assert!(amount_of(5, 6, "TBILL").into_string().contains("0.000005 <span class=\"sym\">TBILL</span>"));
    }

    #[test]
    fn fixed_point_values_are_cut_to_the_decimals_shown() {
        assert_eq!(fixed(100_000_000, 8, 4), "1.0000");
        assert_eq!(fixed(99_987_654, 8, 5), "0.99987");
        assert_eq!(fixed(4_321, 2, 0), "43");
    }

    #[test]
    fn durations_read_in_the_largest_units_that_matter() {
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(750), "12 min 30 s");
        assert_eq!(duration(3 * 3600 + 60), "3 h 1 min");
        assert_eq!(duration(2 * 86_400 + 3 * 3600), "2 d 3 h");
    }

    #[test]
    fn a_time_reads_as_utc_without_script_and_carries_its_instant() {
        let t = time(Time(86_400)).into_string();
        assert!(t.contains(r#"datetime="1970-01-02T00:00:00Z""#) && t.contains("1970-01-02 00:00:00 UTC"));
    }
}
