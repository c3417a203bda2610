//! Oracle aggregation (SPEC F3), as a pure function the oracle module of the funds issue builds
//! on: from the quotes of the registered sources for one feed, drop the stale ones, take the
//! median of the fresh ones, drop those further than the allowed deviation from it, require a
//! quorum of what remains, and report the median of that. Every source's fate is reported
//! (the discrepancy report).
//!
//! Median of an even count: the mean of the two middle values (exact decimal). Deviation is
//! |quote − median| / median in basis points, compared exactly.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::types::Time;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    pub source: String,
    pub value: Decimal,
    pub at: Time,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedRules {
    pub max_age_seconds: u64,
    pub max_deviation_bps: u32,
    pub quorum: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum Verdict {
    Used,
    Stale {
        age_seconds: u64,
    },
    Outlier {
        deviation_bps: String,
    },
    /// Reported from the future or not positive.
    Invalid {
        why: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceReport {
    pub source: String,
    pub value: String,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Aggregate {
    /// The feed's value, if the quorum was met.
    pub value: Option<String>,
    pub used: usize,
    pub sources: Vec<SourceReport>,
}

fn median(sorted: &[Decimal]) -> Option<Decimal> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        // None if the two middle values overflow a decimal.
        _ => {
            let below = (n / 2).checked_sub(1).expect("n is even and not 0 here");
            sorted[below].checked_add(sorted[n / 2])?.checked_div(Decimal::TWO)
        }
    }
}

/// Aggregates one feed's quotes at time `now`. Sources are reported in name order.
pub fn aggregate(quotes: &[Quote], rules: FeedRules, now: Time) -> Aggregate {
    let mut reports: Vec<SourceReport> = Vec::with_capacity(quotes.len());
    let mut fresh: Vec<(usize, Decimal)> = Vec::new();
    let mut sorted_quotes: Vec<&Quote> = quotes.iter().collect();
    sorted_quotes.sort_by(|a, b| a.source.cmp(&b.source));
    for q in sorted_quotes {
        // None when reported from the future.
        let age = now.seconds().checked_sub(q.at.seconds());
        let verdict = match age {
            None => Verdict::Invalid { why: "reported from the future".into() },
            Some(_) if q.value <= Decimal::ZERO => Verdict::Invalid { why: "not positive".into() },
            Some(age_seconds) if age_seconds > rules.max_age_seconds => Verdict::Stale { age_seconds },
            Some(_) => {
                fresh.push((reports.len(), q.value));
                Verdict::Used
            }
        };
        reports.push(SourceReport { source: q.source.clone(), value: q.value.to_string(), verdict });
    }
    let mut values: Vec<Decimal> = fresh.iter().map(|(_, v)| *v).collect();
    values.sort();
    let Some(mid) = median(&values) else {
        return Aggregate { value: None, used: 0, sources: reports };
    };
    let bps = Decimal::from(10_000u32);
    let mut kept = Vec::new();
    for (i, v) in fresh {
        // Saturating on purpose: a deviation too large for a decimal is past every bound.
        let dev = v
            .checked_sub(mid)
            .and_then(|d| d.abs().checked_div(mid))
            .and_then(|d| d.checked_mul(bps))
            .unwrap_or(Decimal::MAX);
        if dev > Decimal::from(rules.max_deviation_bps) {
            reports[i].verdict = Verdict::Outlier { deviation_bps: dev.round_dp(2).to_string() };
        } else {
            kept.push(v);
        }
    }
    kept.sort();
    let value = if kept.len() >= rules.quorum.max(1) { median(&kept) } else { None };
    Aggregate { value: value.map(|v| v.normalize().to_string()), used: kept.len(), sources: reports }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn q(source: &str, value: &str, at: u64) -> Quote {
        Quote { source: source.into(), value: Decimal::from_str(value).unwrap(), at: Time(at) }
    }
    const RULES: FeedRules = FeedRules { max_age_seconds: 3_600, max_deviation_bps: 50, quorum: 2 };

    #[test]
    fn stale_and_outlying_quotes_are_dropped_and_reported() {
        let now = Time(100_000);
        let quotes = [
            q("alpha", "1.0001", 99_000),
            q("bravo", "1.0003", 99_500),
            q("charlie", "1.0002", 90_000), // stale: 10,000 s old
            q("delta", "1.0150", 99_900),   // outlier: ~148 bps from the median
        ];
        let a = aggregate(&quotes, RULES, now);
        // Fresh: alpha, bravo, delta → median 1.0003; delta is 146 bps away → dropped.
        assert_eq!(a.value.as_deref(), Some("1.0002"));
        assert_eq!(a.used, 2);
        let verdict = |s: &str| a.sources.iter().find(|r| r.source == s).unwrap().verdict.clone();
        assert_eq!(verdict("alpha"), Verdict::Used);
        assert_eq!(verdict("charlie"), Verdict::Stale { age_seconds: 10_000 });
        assert!(matches!(verdict("delta"), Verdict::Outlier { .. }));
    }

    #[test]
    fn no_quorum_no_value() {
        let a = aggregate(&[q("alpha", "1.0", 100), q("bravo", "1.0", 0)], RULES, Time(10_000));
        assert_eq!(a.value, None);
        assert_eq!(a.used, 0);
    }

    #[test]
    fn future_and_non_positive_quotes_are_invalid() {
        let a = aggregate(
            &[q("a", "1.0", 200), q("b", "-1", 100), q("c", "1.0", 100), q("d", "1.0", 100)],
            RULES,
            Time(150),
        );
        assert!(matches!(a.sources[0].verdict, Verdict::Invalid { .. }));
        assert!(matches!(a.sources[1].verdict, Verdict::Invalid { .. }));
        assert_eq!(a.value.as_deref(), Some("1"));
    }

    #[test]
    fn order_of_quotes_does_not_matter() {
        let mut quotes = vec![q("a", "1.01", 10), q("b", "1.02", 10), q("c", "1.00", 10), q("d", "1.03", 10)];
        let first = aggregate(&quotes, FeedRules { max_deviation_bps: 500, ..RULES }, Time(20));
        quotes.reverse();
        assert_eq!(aggregate(&quotes, FeedRules { max_deviation_bps: 500, ..RULES }, Time(20)), first);
        assert_eq!(first.value.as_deref(), Some("1.015"));
    }
}
