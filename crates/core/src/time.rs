//! Ledger time: whole seconds since the Unix epoch (UTC), always supplied by the block.
//! Includes the civil-calendar conversions the ledger needs (RFC 3339 parse and print) so no
//! clock or time-zone database is ever consulted.

use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize, BorshSchema,
)]
pub struct Time(pub u64);

pub const SECONDS_PER_DAY: u64 = 86_400;

impl Time {
    pub fn seconds(self) -> u64 {
        self.0
    }
    /// Saturating: a deadline that would pass the end of time stays at the end of time.
    pub fn plus(self, seconds: u64) -> Time {
        Time(self.0.saturating_add(seconds))
    }
    /// Day number since the epoch.
    pub fn day(self) -> u64 {
        self.0 / SECONDS_PER_DAY
    }
    /// Builds a time from a civil date and time of day (UTC). `None` if out of range.
    pub fn from_civil(y: i64, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> Option<Time> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60 {
            return None;
        }
        // No time of u64 seconds lies beyond these years.
        if !(-MAX_CIVIL_YEAR..=MAX_CIVIL_YEAR).contains(&y) {
            return None;
        }
        let days = days_from_civil(y, m, d);
        let of_day = hh
            .checked_mul(3600)
            .and_then(|h| h.checked_add(mm.checked_mul(60)?))
            .and_then(|x| x.checked_add(ss))
            .expect("hh ≤ 23, mm ≤ 59, ss ≤ 60, checked above");
        let secs = days.checked_mul(86_400)?.checked_add(i64::from(of_day))?;
        u64::try_from(secs).ok().map(Time)
    }
    /// (year, month, day, hour, minute, second) in UTC.
    pub fn to_civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = (self.0 / 86_400) as i64;
        let rem = self.0 % 86_400;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32, (rem % 60) as u32)
    }
    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or a plain integer of seconds.
    pub fn parse(s: &str) -> Option<Time> {
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().ok().map(Time);
        }
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = s.get(r)?;
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let (y, m, d) = (num(0..4)? as i64, num(5..7)?, num(8..10)?);
        if b.len() == 10 {
            return Time::from_civil(y, m, d, 0, 0, 0);
        }
        if b.len() != 20 || (b[10] != b'T' && b[10] != b' ') || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return None;
        }
        Time::from_civil(y, m, d, num(11..13)?, num(14..16)?, num(17..19)?)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d, hh, mm, ss) = self.to_civil();
        write!(f, "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
    }
}

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Secs(u64),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Secs(s) => Ok(Time(s)),
            Repr::Text(t) => Time::parse(&t).ok_or_else(|| {
                serde::de::Error::custom(format!("bad time {t:?}: use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or seconds"))
            }),
        }
    }
}

pub fn is_leap_year(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The largest year (either side of year 0) the civil-date functions take: a u64 of seconds
/// ends in year 584,554,051,223 or so, well inside it.
pub const MAX_CIVIL_YEAR: i64 = 1_000_000_000_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm), for years up to
/// [`MAX_CIVIL_YEAR`] either side of year 0 and a month in 1..=12.
// Unchecked on purpose: with |y| ≤ 10^12 every step stays below 10^18 in size, inside i64.
#[allow(clippy::arithmetic_side_effects)]
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    debug_assert!((-MAX_CIVIL_YEAR..=MAX_CIVIL_YEAR).contains(&y) && (1..=12).contains(&m) && d <= 31);
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`], for the day numbers of its years (|z| below 4 × 10^14).
// Unchecked on purpose: with |z| < 4 × 10^14 every step stays far inside i64.
#[allow(clippy::arithmetic_side_effects)]
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    debug_assert!(z.unsigned_abs() < 400_000_000_000_000);
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// As serde writes it: ISO 8601 text in UTC, whole seconds.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Time {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .pattern(Some("^[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"))
            .description(Some(
                "Ledger time: a UTC instant, `YYYY-MM-DDTHH:MM:SSZ` (whole seconds; the year may have more than \
                 four digits for instants far in the future).",
            ))
            .examples(["2026-01-02T00:00:00Z"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Time {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_dates() {
        assert_eq!(Time::parse("1970-01-01"), Some(Time(0)));
        assert_eq!(Time::parse("2025-01-02T15:00:00Z"), Some(Time(1_735_830_000)));
        assert_eq!(Time(1_735_830_000).to_string(), "2025-01-02T15:00:00Z");
        assert_eq!(Time::parse("2024-02-29"), Time::from_civil(2024, 2, 29, 0, 0, 0));
        assert_eq!(Time::parse("2025-02-29"), None);
        assert_eq!(Time::parse("2025-13-01"), None);
        assert_eq!(Time::parse("12345"), Some(Time(12345)));
        assert_eq!(Time::parse("2025-01-02T15:00:00"), None);
        assert_eq!(Time::parse("２０２５-01-01"), None);
    }

    proptest! {
        #[test]
        fn civil_round_trip(secs in 0u64..10_000_000_000) {
            let t = Time(secs);
            prop_assert_eq!(Time::parse(&t.to_string()), Some(t));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = Time::parse(&s);
        }
    }
}
