//! Treasury arithmetic (DOMAIN.md §1): bill prices from discount rates and back, investment
//! (bond-equivalent) and money-market yields, and ACT/ACT accrued interest on notes and bonds.
//!
//! Numbers are exact decimals (`rust_decimal`, 28 significant digits); no float is involved.
//! Rounding rule: functions return unrounded values; `round_price` (6 places, half up — how
//! TreasuryDirect publishes prices per 100) and `round_rate` (places given, half up) are
//! applied by callers at the point a figure is published or compared. [`bill_quote`] does so
//! as TreasuryDirect publishes a bill: price to 6 places, rates to 3 places of a percentage.
//! Treasury's own rule (31 CFR 356, Appendix B) is to carry full precision and apply "normal
//! rounding" to the final figure, which is what half up to these places does.

use crate::code::{refuse, Code, Refusal};
use crate::time::{days_from_civil, is_leap_year, Time};
use rust_decimal::prelude::*;
use rust_decimal::MathematicalOps;

fn dec(n: u64) -> Decimal {
    Decimal::from(n)
}

/// Price per 100 of face of a bill bought at bank discount rate `d` (0.042 for 4.20%) with
/// `days` to maturity: P = 100 × (1 − d × t / 360). None if it overflows a decimal.
pub fn bill_price(d: Decimal, days: u32) -> Option<Decimal> {
    // Multiply before dividing: one rounding, in the last digit.
    let off = d.checked_mul(dec(days as u64))?.checked_mul(dec(100))?.checked_div(dec(360))?;
    dec(100).checked_sub(off)
}

/// Bank discount rate from a price per 100: d = (100 − P)/100 × 360/t.
pub fn discount_rate(price: Decimal, days: u32) -> Option<Decimal> {
    if days == 0 {
        return None;
    }
    dec(100).checked_sub(price)?.checked_mul(dec(360))?.checked_div(dec(100).checked_mul(dec(days as u64))?)
}

/// Money-market yield: (100 − P)/P × 360/t.
pub fn money_market_yield(price: Decimal, days: u32) -> Option<Decimal> {
    if days == 0 || price <= Decimal::ZERO {
        return None;
    }
    dec(100).checked_sub(price)?.checked_mul(dec(360))?.checked_div(price.checked_mul(dec(days as u64))?)
}

/// Days in the year for the investment rate: 366 when the year after settlement contains a
/// 29 February, else 365.
pub fn year_basis(settlement: Time) -> u32 {
    let (y, m, d, ..) = settlement.to_civil();
    let start = days_from_civil(y, m, d);
    // The year after settlement: (settlement, settlement + 1 year]; it holds 29 Feb if a leap
    // day falls in that span.
    let next_year = y.checked_add(1).expect("the year of a u64 time is below 6 × 10^11");
    for year in [y, next_year] {
        if is_leap_year(year) {
            let leap = days_from_civil(year, 2, 29);
            let (ny, nm, nd) = (next_year, m, d.min(crate::time::days_in_month(next_year, m)));
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
    let simple = || dec(100).checked_sub(price)?.checked_mul(y)?.checked_div(price.checked_mul(t)?);
    if days <= 182 {
        return simple();
    }
    let x = t.checked_div(y)?;
    let two = dec(2);
    let a = two.checked_mul(x)?.checked_sub(Decimal::ONE)?;
    if a.is_zero() {
        // Exactly half a year (183 days of a 366-day year): the quadratic is linear there and
        // its root is the simple form.
        return simple();
    }
    let disc =
        x.checked_mul(x)?.checked_sub(a.checked_mul(Decimal::ONE.checked_sub(dec(100).checked_div(price)?)?)?)?;
    let root = disc.sqrt()?;
    two.checked_mul(root)?.checked_sub(two.checked_mul(x)?)?.checked_div(a)
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
    let since = dec(settlement.day().checked_sub(last_coupon.day()).expect("last coupon ≤ settlement, checked above"));
    let period = dec(next_coupon.day().checked_sub(last_coupon.day()).expect("last < next coupon, checked above"));
    coupon_rate.checked_mul(dec(100))?.checked_div(dec(2))?.checked_mul(since)?.checked_div(period)
}

/// A price per 100 as published: 6 places, half up.
pub fn round_price(p: Decimal) -> Decimal {
    p.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
}

/// A rate (as a decimal fraction) to `places`, half up.
pub fn round_rate(r: Decimal, places: u32) -> Decimal {
    r.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// Places TreasuryDirect publishes bill rates to, as a fraction: 3 places of a percentage
/// (4.480%).
pub const BILL_RATE_PLACES: u32 = 5;
/// Longest bill term a quote accepts, in days: bills mature within a year (52 weeks = 364
/// days), and the investment-rate formulas hold only up to a year.
pub const MAX_BILL_DAYS: u32 = 366;
/// A price per 100 a quote accepts lies strictly between 0 and this (above 100 is a negative
/// yield, which bills have traded at; 200 would be a yield below −100% a year).
pub const MAX_BILL_PRICE: u64 = 200;

/// What a bill quote starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BillGiven {
    /// Price per 100 of face.
    Price(Decimal),
    /// Bank discount rate as a fraction (0.0448 for 4.480%).
    DiscountRate(Decimal),
}

/// A bill's price and yields at a settlement date, as TreasuryDirect publishes them: the price
/// per 100 rounded half up to 6 places, and from that price the discount rate, investment rate
/// (bond-equivalent yield) and money-market yield, each rounded half up to [`BILL_RATE_PLACES`]
/// (fractions: 0.04558 is 4.558%). Given a discount rate, the price is computed from it and
/// rounded first (the price is what a buyer pays), and the discount rate is the one given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillQuote {
    pub days: u32,
    /// 365, or 366 when a 29 February falls in the year after settlement ([`year_basis`]).
    pub year_basis: u32,
    pub price_per_100: Decimal,
    pub discount_rate: Decimal,
    pub investment_rate: Decimal,
    pub money_market_yield: Decimal,
}

/// Quotes a bill settling at `settlement` and maturing at `maturity` (calendar days between
/// the two dates, UTC) from a price or a discount rate. Refuses a term outside 1 to
/// [`MAX_BILL_DAYS`] days (`bill.bad_term`) and a price, given or implied, outside
/// (0, [`MAX_BILL_PRICE`]) (`bill.bad_price`); a discount rate is refused before any
/// arithmetic when outside ±100% (it could not give such a price in a year anyway).
pub fn bill_quote(settlement: Time, maturity: Time, given: BillGiven) -> Result<BillQuote, Refusal> {
    if maturity.day() <= settlement.day() {
        return refuse(Code::BillBadTerm, format!("settlement {settlement} is not before maturity {maturity}"));
    }
    let days = maturity.day().checked_sub(settlement.day()).expect("settlement is before maturity, checked above");
    let days = u32::try_from(days).unwrap_or(u32::MAX);
    if days > MAX_BILL_DAYS {
        return refuse(
            Code::BillBadTerm,
            format!("{days} days from settlement to maturity: a bill matures within {MAX_BILL_DAYS} days"),
        );
    }
    let price_ok = |p: Decimal| p > Decimal::ZERO && p < dec(MAX_BILL_PRICE);
    let (price, discount) = match given {
        BillGiven::Price(p) => {
            if !price_ok(p) {
                return refuse(
                    Code::BillBadPrice,
                    format!("price {p} per 100 is not above 0 and below {MAX_BILL_PRICE}"),
                );
            }
            let p = round_price(p);
            (p, discount_rate(p, days))
        }
        BillGiven::DiscountRate(d) => {
            if d.abs() >= Decimal::ONE {
                // No arithmetic on `d` yet: it may be any decimal.
                return refuse(Code::BillBadPrice, format!("discount rate {d} is not between −1 and 1 (±100%)"));
            }
            let p = round_price(bill_price(d, days).expect("|d| < 1 over at most MAX_BILL_DAYS days"));
            if !price_ok(p) {
                let pct = d.checked_mul(dec(100)).expect("|d| < 1");
                return refuse(
                    Code::BillBadPrice,
                    format!("a discount rate of {pct}% over {days} days gives a price of {p} per 100"),
                );
            }
            (p, Some(d))
        }
    };
    let year = year_basis(settlement);
    // `days` ≥ 1 and the price is positive, so none of these is None.
    let (Some(d), Some(ir), Some(mmy)) =
        (discount, investment_rate(price, days, year), money_market_yield(price, days))
    else {
        return refuse(Code::BillBadPrice, format!("no yield at a price of {price} over {days} days"));
    };
    Ok(BillQuote {
        days,
        year_basis: year,
        price_per_100: price,
        discount_rate: round_rate(d, BILL_RATE_PLACES),
        investment_rate: round_rate(ir, BILL_RATE_PLACES),
        money_market_yield: round_rate(mmy, BILL_RATE_PLACES),
    })
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
        let p = bill_price(d("0.042"), 91).unwrap();
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
        let p = bill_price(d("0.043"), 182).unwrap();
        let simple = investment_rate(p, 182, 365).unwrap();
        let p183 = bill_price(d("0.043"), 183).unwrap();
        let compounding = investment_rate(p183, 183, 365).unwrap();
        assert!((simple - compounding).abs() < d("0.0005"), "{simple} vs {compounding}");
        // A 52-week bill at 4.09% discount: a coupon-equivalent rate near the 4.28% published in
        // Nov 2024 (the exact term and date there are not given, so only the magnitude is checked).
        let p364 = bill_price(d("0.0409"), 364).unwrap();
        let r = investment_rate(p364, 364, 365).unwrap();
        assert!(r > d("0.0420") && r < d("0.0435"), "{r}");
    }

    #[test]
    fn a_26_week_bill_auctioned_on_28_august_2017_at_1_115_percent_costs_99_436306_and_yields_1_137_percent() {
        // Treasury's results of the 28 August auction of 182-day bills as reported by The Bond
        // Buyer ("26-week T-bills go at 1.115% high rate on Aug. 28", bondbuyer.com): high rate
        // 1.115%, price 99.436306, coupon equivalent (investment rate) 1.137%. The report gives
        // no year, CUSIP or bill dates; the year is 2017 because the same report's two-year
        // notes are "dated August 31 and due August 31, 2019", and bills auctioned that Monday
        // were issued that Thursday, 31 August, maturing 182 days later on 1 March 2018.
        let (settle, mature) = (t("2017-08-31"), t("2018-03-01"));
        let from_rate = bill_quote(settle, mature, BillGiven::DiscountRate(d("0.01115"))).unwrap();
        let want = BillQuote {
            days: 182,
            year_basis: 365,
            price_per_100: d("99.436306"),
            discount_rate: d("0.01115"),
            investment_rate: d("0.01137"),
            money_market_yield: d("0.01121"),
        };
        assert_eq!(from_rate, want);
        // And back: the published price gives the published rates.
        assert_eq!(bill_quote(settle, mature, BillGiven::Price(d("99.436306"))).unwrap(), want);
    }

    #[test]
    fn the_4_week_bill_912796y60_at_99_651556_quotes_4_480_discount_and_4_558_investment_rate() {
        // DOMAIN.md's TreasuryDirect figures (28 days; price 99.651556 → 4.480%, 4.558%). The
        // auction's dates are not given there: any settlement 28 days before maturity outside a
        // leap year's reach gives the same quote.
        let q = bill_quote(t("2026-01-02"), t("2026-01-30"), BillGiven::Price(d("99.651556"))).unwrap();
        assert_eq!((q.days, q.year_basis), (28, 365));
        assert_eq!(
            (q.discount_rate, q.investment_rate, q.money_market_yield),
            (d("0.04480"), d("0.04558"), d("0.04496"))
        );
    }

    #[test]
    fn a_one_year_bill_at_2_290_percent_uses_the_compounding_form_for_its_2_363_percent_investment_rate() {
        // The Bond Buyer, "Treasury One-Year Bills Go At 2.290% High Rate": price 97.684556,
        // coupon equivalent 2.363% (the report gives no dates; 364 days, and a 365-day year —
        // a 366-day year would give 2.369%).
        let p = bill_price(d("0.0229"), 364).unwrap();
        assert_eq!(round_price(p), d("97.684556"));
        assert_eq!(round_rate(investment_rate(d("97.684556"), 364, 365).unwrap(), 5), d("0.02363"));
        assert_eq!(round_rate(investment_rate(d("97.684556"), 364, 366).unwrap(), 5), d("0.02369"));
    }

    #[test]
    fn exactly_half_a_leap_year_the_compounding_form_is_the_simple_form() {
        // 183 days of a 366-day year: 2x − 1 = 0, where the quadratic's root is the simple form.
        let p = d("97.8");
        assert_eq!(investment_rate(p, 183, 366).unwrap(), (d("100") - p) * d("366") / (p * d("183")));
    }

    #[test]
    fn a_quote_refuses_a_matured_or_overlong_term_and_a_price_outside_0_to_200() {
        let q = |s: &str, m: &str, g| bill_quote(t(s), t(m), g).map_err(|r| r.code);
        let p = BillGiven::Price(d("99"));
        assert_eq!(q("2026-03-01", "2026-03-01", p), Err(Code::BillBadTerm));
        assert_eq!(q("2026-03-02", "2026-03-01", p), Err(Code::BillBadTerm));
        assert_eq!(q("2026-03-01", "2027-03-03", p), Err(Code::BillBadTerm));
        assert_eq!(q("2026-03-01", "2027-03-02", p).map(|q| q.days), Ok(366));
        for bad in ["0", "-1", "200", "100000000000000000000"] {
            assert_eq!(q("2026-03-01", "2026-06-01", BillGiven::Price(d(bad))), Err(Code::BillBadPrice), "{bad}");
        }
        for bad in ["1", "-1", "79228162514264337593543950335", "0.99"] {
            let g = BillGiven::DiscountRate(d(bad));
            assert_eq!(q("2026-03-01", "2027-02-28", g), Err(Code::BillBadPrice), "{bad}");
        }
        // A negative discount rate is a price above par: quoted, with negative yields.
        let neg = bill_quote(t("2026-03-01"), t("2026-04-01"), BillGiven::DiscountRate(d("-0.001"))).unwrap();
        assert_eq!(neg.price_per_100, d("100.008611"));
        assert!(neg.investment_rate < Decimal::ZERO);
    }

    #[test]
    fn degenerate_inputs_are_none_not_panics() {
        assert!(discount_rate(d("99"), 0).is_none());
        assert!(money_market_yield(d("0"), 30).is_none());
        assert!(investment_rate(d("-1"), 30, 365).is_none());
    }
}

/// Places a daily rate is kept to, as a fraction: Ondo publishes the USDY daily rate to 8
/// decimal places *of a percentage* (0.01074598%), which is 10 places of the fraction.
pub const DAILY_RATE_PLACES: u32 = 10;

/// Daily rate of an accumulating share class from its monthly-set APY (the USDY rule in
/// DOMAIN.md §2): r_d = (1 + APY)^(1/365) − 1, rounded to [`DAILY_RATE_PLACES`] (8 places of a
/// percentage). Rounding: to nearest, ties half up. Ondo says "we round"; its worked example
/// (4.00% APY → 0.0107459782…% published as 0.01074598%) rounds up where truncation would not,
/// and a tie (an exact half in the 11th place) would need an APY no published rate has.
pub fn daily_rate_from_apy(apy: Decimal) -> Option<Decimal> {
    let base = Decimal::ONE.checked_add(apy)?;
    if base <= Decimal::ZERO {
        return None;
    }
    // x^(1/365) = exp(ln(x) / 365): ln and exp are good to ~20 places here, far past the 10 kept.
    let r = base.checked_ln()?.checked_div(dec(365))?.checked_exp()?.checked_sub(Decimal::ONE)?;
    Some(round_rate(r, DAILY_RATE_PLACES))
}

/// Price of an accumulating share after `n` days at daily rate `r_d`: p_n = p_0 × (1 + r_d)^n.
pub fn accumulating_price(p0: Decimal, daily_rate: Decimal, n: u32) -> Option<Decimal> {
    let mut f = Decimal::ONE;
    let step = Decimal::ONE.checked_add(daily_rate)?;
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
/// ACT/365): balance × rate / basis, unrounded. None if it overflows or `basis` is 0.
pub fn daily_dividend(balance: Decimal, rate: Decimal, basis: u32) -> Option<Decimal> {
    balance.checked_mul(rate)?.checked_div(dec(basis as u64))
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
        let day = daily_dividend(d("10000000"), d("0.04"), 365).unwrap();
        assert_eq!(day.round_dp(2), d("1095.89"));
        assert_eq!((day * d("30")).round_dp(2), d("32876.71"));
    }

    #[test]
    fn ondo_worked_example_four_percent_apy_gives_0_01074598_percent_a_day_and_100_02149311_on_day_two() {
        // Ondo, USDY FAQ "Economics & Fees" (docs.ondo.finance/general-access-products/usdy/faq/
        // economics-and-fees): a June APY of 4.00% → (1 + .04)^(1/365) − 1 = 0.01074598%
        // ("We round to 8 decimals places"), and a Reference Token Price of $100.00000000 on
        // June 1 is $100.02149311 on June 3. Prices are stored to 8 places too.
        let r = daily_rate_from_apy(d("0.04")).unwrap();
        assert_eq!(r, d("0.0001074598"));
        assert_eq!((r * d("100")).to_string(), "0.0107459800");
        let p = accumulating_price(d("100"), r, 2).unwrap();
        assert_eq!(round_rate(p, 8), d("100.02149311"));
        // The unrounded rate is 0.0107459782…%: truncating to 8 places would publish …97, so the
        // published …98 is a rounding to nearest.
        let exact = (d("1.04").ln() / d("365")).exp() - Decimal::ONE;
        assert_eq!(exact.round_dp_with_strategy(10, RoundingStrategy::ToZero), d("0.0001074597"));
    }

    #[test]
    fn five_percent_apy_gives_a_daily_rate_of_0_0001336806_and_compounds_back_to_the_apy() {
        // 1.05^(1/365) − 1 = 0.000133680617… → 0.0001336806 (10 places, the 11th is 1).
        let r = daily_rate_from_apy(d("0.05")).unwrap();
        assert_eq!(r, d("0.0001336806"));
        // 365 days at r_d compound back to the APY within the rounding of r_d.
        let p = accumulating_price(Decimal::ONE, r, 365).unwrap();
        assert_eq!(round_rate(p, 8), d("1.04999999"));
        assert_eq!(accumulating_price(d("1.10"), r, 0).unwrap(), d("1.10"));
        assert!(daily_rate_from_apy(d("-1")).is_none());
    }
}

/// The date `months` calendar months before `t` (same day of month, clamped to the month's
/// end; a month-end date stays at month end — Treasury coupons on the 15th or the last day).
pub fn months_before(t: Time, months: u32) -> Option<Time> {
    let (y, m, d, ..) = t.to_civil();
    let end = crate::time::days_in_month(y, m) == d;
    let total = y
        .checked_mul(12)
        .and_then(|x| x.checked_add(i64::from(m)))
        .and_then(|x| x.checked_sub(1))
        .and_then(|x| x.checked_sub(i64::from(months)))
        .expect("the year of a u64 time is below 6 × 10^11: its months fit in i64");
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) as u32);
    let nm = nm.checked_add(1).expect("a remainder of 12 is below 12");
    let dim = crate::time::days_in_month(ny, nm);
    let nd = if end { dim } else { d.min(dim) };
    Time::from_civil(ny, nm, nd, 0, 0, 0)
}

/// The semiannual coupon period of a note or bond maturing at `maturity` that contains `at`:
/// (last coupon date ≤ at, next coupon date > at), dates counted back from maturity.
pub fn coupon_period(maturity: Time, at: Time) -> Option<(Time, Time)> {
    let mat = Time(maturity.day().checked_mul(86_400).expect("the start of a u64 time's day is a u64"));
    if at >= mat {
        return None;
    }
    let mut next = mat;
    let mut k = 0u32;
    loop {
        k = k.checked_add(6)?;
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
