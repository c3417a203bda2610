//! Yield classes as records and the fixed-point scales (rules in `yields`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Fixed-point scale of the index and of entitlements: 10^18 per minor unit.
pub const SCALE: u128 = 1_000_000_000_000_000_000;
/// Rates are parts per billion a year: 4.25% = 42_500_000.
pub const PPB: u128 = 1_000_000_000;

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YieldClass {
    pub asset: Symbol,
    /// Days in the year for the daily rate (365 = ACT/365, 360 = ACT/360).
    pub basis: u16,
    /// Seconds after midnight UTC at which the holder of record earns the day (15:00 = 54000).
    pub cutoff_seconds: u32,
    /// Day of the month (1–28) from which the month's payout runs.
    pub payout_day: u8,
    pub residual: WalletId,
    /// Annual net rate, parts per billion.
    pub rate_ppb: u64,
    /// Σ rate/basis per token since inception, × SCALE.
    pub index: u128,
    /// The last day (days since epoch) whose cut-off has been accrued.
    pub accrued_through_day: u64,
    /// (year, month) of the last payout.
    pub last_payout: (i64, u32),
    /// Everything accrued since inception, × SCALE.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub accrued: u128,
    /// Σ minted to holders at payouts (minor units).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub paid: u128,
    /// Σ minted to the residual wallet (minor units).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub residual_minted: u128,
    /// Fractional remainder not yet a whole unit, × SCALE.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub residual_carried: u128,
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateYieldClass {
    pub asset: Symbol,
    pub basis: u16,
    pub cutoff_seconds: u32,
    pub payout_day: u8,
    pub residual: WalletId,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetYieldRate {
    pub asset: Symbol,
    pub rate_ppb: u64,
}
