//! Tenders and their statuses as records (rules in `escrow`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

pub const MAX_BIDS: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum TenderStatus {
    Open,
    Awarded { at: Time, winner: WalletId },
    Completed { at: Time },
    Defaulted { at: Time, reason: String },
    Cancelled { at: Time, reason: String },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tender {
    pub id: u64,
    pub owner: WalletId,
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub bond: Amount,
    pub bid_deadline: Time,
    pub reference: String,
    /// Bidding wallets in the order they bid.
    pub bids: Vec<WalletId>,
    pub status: TenderStatus,
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenTender {
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub bond: Amount,
    pub bid_deadline: Time,
    #[serde(default)]
    pub reference: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlaceBid {
    pub tender: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AwardTender {
    pub tender: u64,
    pub winner: WalletId,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteTender {
    pub tender: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeclareDefault {
    pub tender: u64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelTender {
    pub tender: u64,
    pub reason: String,
}
