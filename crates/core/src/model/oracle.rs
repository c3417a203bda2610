//! Feeds, sources and their stateless checks (rules in `oracle`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::code::{refuse, Code, Refusal};
use crate::oracle_math::{self, FeedRules, Quote};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub const VALUE_SCALE: u128 = 100_000_000;
pub const VALUE_DECIMALS: u32 = 8;
pub const MAX_SOURCES: usize = 16;
pub const MAX_FEED_ID: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    /// Price per 100 of face of an instrument (feed id `PX:<CUSIP>`).
    Price,
    /// A yield or rate as a decimal fraction: a bill's discount rate (`YLD:<CUSIP>`) or a
    /// fund's gross yield (`YIELD:<fund>`).
    Yield,
    /// A fund's NAV per share reported by its administrator (`NAV:<fund>`).
    Nav,
}

/// Parameters of a feed, as created.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    pub feed: String,
    pub kind: FeedKind,
    pub sources: Vec<WalletId>,
    pub quorum: u8,
    pub max_age_seconds: u64,
    pub max_deviation_bps: u32,
    /// The breaker: a new value further than this from the previous one trips it.
    pub max_move_bps: u32,
}

/// One source's record on a feed: its latest quote and what became of its quotes.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SourceRecord {
    pub wallet: WalletId,
    pub name: String,
    /// Latest quote (value × 10^8, observed at).
    pub last: Option<(u64, Time)>,
    pub reports: u64,
    /// Aggregations in which the source's quote was used / stale / outlying.
    pub used: u64,
    pub stale: u64,
    pub outlier: u64,
    /// The latest verdict and deviation from the median, in basis points (when known).
    pub verdict: String,
    pub deviation_bps: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Feed {
    pub spec: FeedSpec,
    pub sources: Vec<SourceRecord>,
    /// The aggregated value and when it was set.
    pub value: Option<(u64, Time)>,
    /// Set when a move beyond `max_move_bps` was seen; cleared by a governance reset.
    pub tripped: bool,
}

impl Feed {
    /// The value if it still stands at `now`: recomputed from the sources' quotes, so stale
    /// quotes drop out and a lost quorum yields nothing.
    pub fn value_at(&self, now: Time) -> Option<u64> {
        let a = oracle_math::aggregate(&self.quotes(), self.rules(), now);
        a.value.and_then(|v| to_fixed(&v))
    }
    fn quotes(&self) -> Vec<Quote> {
        self.sources
            .iter()
            .filter_map(|s| {
                s.last.map(|(v, at)| Quote {
                    source: s.name.clone(),
                    value: Decimal::new(v as i64, VALUE_DECIMALS),
                    at,
                })
            })
            .collect()
    }
    fn rules(&self) -> FeedRules {
        FeedRules {
            max_age_seconds: self.spec.max_age_seconds,
            max_deviation_bps: self.spec.max_deviation_bps,
            quorum: self.spec.quorum as usize,
        }
    }
    /// The per-source discrepancy report at `now`.
    pub fn discrepancies(&self, now: Time) -> oracle_math::Aggregate {
        oracle_math::aggregate(&self.quotes(), self.rules(), now)
    }
}

/// A decimal as a fixed-point value with 8 places, truncated; None if negative or too large.
pub fn to_fixed(s: &str) -> Option<u64> {
    let d: Decimal = s.parse().ok()?;
    let scaled = d.checked_mul(Decimal::from(VALUE_SCALE as u64))?.trunc();
    u64::try_from(scaled).ok()
}

pub fn check_spec(spec: &FeedSpec) -> Result<(), Refusal> {
    let bad = |m: &str| refuse(Code::OracleBadFeed, m.to_string());
    if spec.feed.is_empty() || spec.feed.len() > MAX_FEED_ID || !spec.feed.chars().all(|c| c.is_ascii_graphic()) {
        return bad("a feed id is 1 to 32 printable ASCII characters");
    }
    if spec.sources.is_empty() || spec.sources.len() > MAX_SOURCES {
        return bad("a feed has 1 to 16 sources");
    }
    let mut s = spec.sources.clone();
    s.sort();
    s.dedup();
    if s.len() != spec.sources.len() {
        return bad("a source is listed twice");
    }
    if spec.quorum == 0 || spec.quorum as usize > spec.sources.len() {
        return bad("the quorum is 1 to the number of sources");
    }
    if spec.max_age_seconds == 0 || spec.max_deviation_bps == 0 || spec.max_move_bps == 0 {
        return bad("maximum age, deviation and move must be positive");
    }
    Ok(())
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegisterOracleSource {
    pub wallet: WalletId,
    pub name: String,
}

/// Signed by the source's own wallet: the transaction signature is the report's.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OracleReport {
    pub feed: String,
    /// × 10^-8 (see `oracle`); signed so that a negative value is refused, not unparsable.
    pub value: i64,
    pub observed_at: Time,
}
