//! Treasury arithmetic (DOMAIN.md §1): bill prices from discount rates and back, investment
//! (bond-equivalent) and money-market yields, and ACT/ACT accrued interest on notes and bonds.
//!
//! Numbers are exact decimals (`rust_decimal`, 28 significant digits); no float is involved.
//! Rounding rule: functions return unrounded values; `round_price` (6 places, half up — how
//! TreasuryDirect publishes prices per 100) and `round_rate` (places given, half up) are
//! applied by callers at the point a figure is published or compared.

use crate::time::{days_from_civil, is_leap_year, Time};
use rust_decimal::prelude::*;
use rust_decimal::MathematicalOps;

fn dec(n: u64) -> Decimal {
    Decimal::from(n)
}

/// Price per 100 of face of a bill bought at bank discount rate `d` (0.042 for 4.20%) with
/// `days` to maturity: P = 100 × (1 − d × t / 360).
pub fn bill_price(d: Decimal, days: u32) -> Decimal {
    // Multiply before dividing: one rounding, in the last digit.
    dec(100) - d * dec(days as u64) * dec(100) / dec(360)
}

/// Bank discount rate from a price per 100: d = (100 − P)/100 × 360/t.
pub fn discount_rate(price: Decimal, days: u32) -> Option<Decimal> {
    if days == 0 {
        return None;
    }
    Some((dec(100) - price) * dec(360) / (dec(100) * dec(days as u64)))
}

/// Money-market yield: (100 − P)/P × 360/t.
pub fn money_market_yield(price: Decimal, days: u32) -> Option<Decimal> {
    if days == 0 || price <= Decimal::ZERO {
        return None;
    }
    Some((dec(100) - price) * dec(360) / (price * dec(days as u64)))
}

/// Days in the year for the investment rate: 366 when the year after settlement contains a
/// 29 February, else 365.
pub fn year_basis(settlement: Time) -> u32 {
    let (y, m, d, ..) = settlement.to_civil();
    let start = days_from_civil(y, m, d);
    // The year after settlement: (settlement, settlement + 1 year]; it holds 29 Feb if a leap
    // day falls in that span.
    for year in [y, y + 1] {
        if is_leap_year(year) {
            let leap = days_from_civil(year, 2, 29);
            let (ny, nm, nd) = (y + 1, m, d.min(crate::time::days_in_month(y + 1, m)));
            if leap > start && leap <= days_from_civil(ny, nm, nd) {
                return 366;
            }
        }
    }
    365
}

/// Investment rate (bond-equivalent yield) of a bill priced `price` per 100 with `days` to
/// maturity, `year` days in the year (see [`year_basis`]). Up to 182 days:
/// (100 − P)/P × Y/t; beyond, the semiannual-compounding form
/// (−2x + 2·√(x² − (2x − 1)(1 − 100/P))) / (2x − 1), x = t/Y.
pub fn investment_rate(price: Decimal, days: u32, year: u32) -> Option<Decimal> {
    if days == 0 || price <= Decimal::ZERO {
        return None;
    }
    let (t, y) = (dec(days as u64), dec(year as u64));
    if days <= 182 {
        return Some((dec(100) - price) * y / (price * t));
    }
    let x = t / y;
    let two = dec(2);
    let a = two * x - Decimal::ONE;
    if a.is_zero() {
        return None;
    }
    let disc = x * x - a * (Decimal::ONE - dec(100) / price);
    let root = disc.sqrt()?;
    Some((-two * x + two * root) / a)
}

/// Accrued interest per 100 of face on a note or bond, ACT/ACT: (c/2) × days since the last
/// coupon / days in the coupon period; the count excludes the last coupon date and includes
/// settlement.
pub fn accrued_interest(
    coupon_rate: Decimal,
    last_coupon: Time,
    next_coupon: Time,
    settlement: Time,
) -> Option<Decimal> {
    if !(last_coupon <= settlement && settlement <= next_coupon) || last_coupon >= next_coupon {
        return None;
    }
    let since = dec(settlement.day() - last_coupon.day());
    let period = dec(next_coupon.day() - last_coupon.day());
    Some(coupon_rate * dec(100) / dec(2) * since / period)
}

/// A price per 100 as published: 6 places, half up.
pub fn round_price(p: Decimal) -> Decimal {
    p.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
}

/// A rate (as a decimal fraction) to `places`, half up.
pub fn round_rate(r: Decimal, places: u32) -> Decimal {
    r.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn t(s: &str) -> Time {
        Time::parse(s).unwrap()
    }

    #[test]
    fn worked_example_91_day_bill() {
        // DOMAIN.md: 91-day bill at d = 4.20% → P = 98.938333; BEY 4.3040%; MMY 4.2451%.
        let p = bill_price(d("0.042"), 91);
        assert_eq!(round_price(p), d("98.938333"));
        assert_eq!(round_rate(investment_rate(p, 91, 365).unwrap(), 6), d("0.043040"));
        assert_eq!(round_rate(money_market_yield(p, 91).unwrap(), 6), d("0.042451"));
        // Per $1M face: $989,383.33.
        assert_eq!((p * d("10000")).round_dp(2), d("989383.33"));
        // Round trip: the rate behind the price is 4.20% again (the price is a repeating
        // decimal, held to 28 digits).
        assert_eq!(round_rate(discount_rate(p, 91).unwrap(), 20), d("0.042"));
    }

    #[test]
    fn treasurydirect_auction_912796y60() {
        // 4-week bill, 28 days, price 99.651556 → high discount rate 4.480%, investment rate 4.558%.
        let p = d("99.651556");
        assert_eq!(round_rate(discount_rate(p, 28).unwrap(), 5), d("0.04480"));
        assert_eq!(round_rate(investment_rate(p, 28, 365).unwrap(), 5), d("0.04558"));
        assert!(crate::identifiers::Cusip::parse("912796Y60").is_ok());
    }

    #[test]
    fn worked_example_note_accrued_interest() {
        // 4.25% note, coupons 15 May / 15 Nov 2025 (184 days), settle 1 Aug 2025 → 78 days →
        // AI = 2.125 × 78/184 = 0.900815 per 100; clean 99.50 → dirty 100.400815.
        let ai = accrued_interest(d("0.0425"), t("2025-05-15"), t("2025-11-15"), t("2025-08-01")).unwrap();
        assert_eq!(round_price(ai), d("0.900815"));
        assert_eq!(round_price(d("99.50") + ai), d("100.400815"));
        assert!(accrued_interest(d("0.0425"), t("2025-05-15"), t("2025-11-15"), t("2025-12-01")).is_none());
    }

    #[test]
    fn year_basis_counts_leap_days_in_the_year_after_settlement() {
        assert_eq!(year_basis(t("2025-01-02")), 365);
        assert_eq!(year_basis(t("2027-06-01")), 366); // 29 Feb 2028 follows
        assert_eq!(year_basis(t("2028-03-01")), 365); // 29 Feb 2028 already past
        assert_eq!(year_basis(t("2028-02-28")), 366);
    }

    #[test]
    fn long_bills_use_the_compounding_form_and_join_at_182_days() {
        // At the 182-day boundary the two forms should give nearly the same rate.
        let p = bill_price(d("0.043"), 182);
        let simple = investment_rate(p, 182, 365).unwrap();
        let p183 = bill_price(d("0.043"), 183);
        let compounding = investment_rate(p183, 183, 365).unwrap();
        assert!((simple - compounding).abs() < d("0.0005"), "{simple} vs {compounding}");
        // A 52-week bill at 4.09% discount: a coupon-equivalent rate near the 4.28% published in
        // Nov 2024 (the exact term and date there are not given, so only the magnitude is checked).
        let p364 = bill_price(d("0.0409"), 364);
        let r = investment_rate(p364, 364, 365).unwrap();
        assert!(r > d("0.0420") && r < d("0.0435"), "{r}");
    }

    #[test]
    fn degenerate_inputs_are_none_not_panics() {
        assert!(discount_rate(d("99"), 0).is_none());
        assert!(money_market_yield(d("0"), 30).is_none());
        assert!(investment_rate(d("-1"), 30, 365).is_none());
    }
}

/// Daily rate of an accumulating share class from its monthly-set APY (the USDY rule in
/// DOMAIN.md §2): r_d = (1 + APY)^(1/365) − 1, rounded half up to 8 places.
pub fn daily_rate_from_apy(apy: Decimal) -> Option<Decimal> {
    let base = Decimal::ONE + apy;
    if base <= Decimal::ZERO {
        return None;
    }
    // x^(1/365) = exp(ln(x) / 365): ln and exp are exact to well past 8 places here.
    let r = (base.checked_ln()? / dec(365)).checked_exp()? - Decimal::ONE;
    Some(round_rate(r, 8))
}

/// Price of an accumulating share after `n` days at daily rate `r_d`: p_n = p_0 × (1 + r_d)^n.
pub fn accumulating_price(p0: Decimal, daily_rate: Decimal, n: u32) -> Option<Decimal> {
    let mut f = Decimal::ONE;
    let step = Decimal::ONE + daily_rate;
    // Repeated squaring keeps the factor exact to Decimal precision.
    let (mut base, mut e) = (step, n);
    while e > 0 {
        if e & 1 == 1 {
            f = f.checked_mul(base)?;
        }
        base = base.checked_mul(base)?;
        e >>= 1;
    }
    p0.checked_mul(f)
}

/// One day's dividend on `balance` tokens at annual `rate` with a `basis`-day year (365 for
/// ACT/365): balance × rate / basis, unrounded.
pub fn daily_dividend(balance: Decimal, rate: Decimal, basis: u32) -> Decimal {
    balance * rate / dec(basis as u64)
}

#[cfg(test)]
mod fund_tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn buidl_daily_dividend_example() {
        // DOMAIN.md: 10,000,000 tokens at 4.00% net, ACT/365 → 1,095.89 a day → 32,876.71 for 30 days.
        let day = daily_dividend(d("10000000"), d("0.04"), 365);
        assert_eq!(day.round_dp(2), d("1095.89"));
        assert_eq!((day * d("30")).round_dp(2), d("32876.71"));
    }

    #[test]
    fn usdy_daily_compounding() {
        // 5.00% APY → r_d = 1.05^(1/365) − 1 = 0.000133680... → 0.00013368.
        let r = daily_rate_from_apy(d("0.05")).unwrap();
        assert_eq!(r, d("0.00013368"));
        // 365 days at r_d compound back to the APY within the 8-place rounding of r_d.
        let p = accumulating_price(Decimal::ONE, r, 365).unwrap();
        assert!((p - d("1.05")).abs() < d("0.00001"), "{p}");
        assert_eq!(accumulating_price(d("1.10"), r, 0).unwrap(), d("1.10"));
        assert!(daily_rate_from_apy(d("-1")).is_none());
    }
}

/// The date `months` calendar months before `t` (same day of month, clamped to the month's
/// end; a month-end date stays at month end — Treasury coupons on the 15th or the last day).
pub fn months_before(t: Time, months: u32) -> Option<Time> {
    let (y, m, d, ..) = t.to_civil();
    let end = crate::time::days_in_month(y, m) == d;
    let total = y * 12 + (m as i64 - 1) - months as i64;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let dim = crate::time::days_in_month(ny, nm);
    let nd = if end { dim } else { d.min(dim) };
    Time::from_civil(ny, nm, nd, 0, 0, 0)
}

/// The semiannual coupon period of a note or bond maturing at `maturity` that contains `at`:
/// (last coupon date ≤ at, next coupon date > at), dates counted back from maturity.
pub fn coupon_period(maturity: Time, at: Time) -> Option<(Time, Time)> {
    let mat = Time(maturity.day() * 86_400);
    if at >= mat {
        return None;
    }
    let mut next = mat;
    let mut k = 0u32;
    loop {
        k += 6;
        let last = months_before(mat, k)?;
        if last <= at {
            return Some((last, next));
        }
        next = last;
        if k > 12 * 100 {
            return None;
        }
    }
}

#[cfg(test)]
mod coupon_tests {
    use super::*;

    #[test]
    fn coupon_period_of_the_domain_example() {
        // 4.25% note paying 15 May / 15 Nov; settle 1 Aug 2025 → period 15 May – 15 Nov 2025.
        let mat = Time::parse("2030-11-15T00:00:00Z").unwrap();
        let (last, next) = coupon_period(mat, Time::parse("2025-08-01T00:00:00Z").unwrap()).unwrap();
        assert_eq!(last, Time::parse("2025-05-15T00:00:00Z").unwrap());
        assert_eq!(next, Time::parse("2025-11-15T00:00:00Z").unwrap());
        let ai = accrued_interest(dec(425) / dec(10_000), last, next, Time::parse("2025-08-01T00:00:00Z").unwrap());
        assert_eq!(ai.unwrap().round_dp(6).to_string(), "0.900815");
        // Month-end maturities keep month-end coupons.
        let mat = Time::parse("2027-08-31T00:00:00Z").unwrap();
        let (last, next) = coupon_period(mat, Time::parse("2026-12-01T00:00:00Z").unwrap()).unwrap();
        assert_eq!(last, Time::parse("2026-08-31T00:00:00Z").unwrap());
        assert_eq!(next, Time::parse("2027-02-28T00:00:00Z").unwrap());
        assert!(coupon_period(mat, mat).is_none());
    }
}
