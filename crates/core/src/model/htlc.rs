//! Hash time-locks as records (rules in `htlc`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

pub const MAX_PREIMAGE_BYTES: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum HtlcStatus {
    Locked,
    Claimed {
        at: Time,
    },
    /// The deadline passed; only a refund remains.
    Expired {
        at: Time,
    },
    Refunded {
        at: Time,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Htlc {
    pub id: u64,
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub sender: WalletId,
    pub receiver: WalletId,
    pub hash_lock: Hash,
    pub deadline: Time,
    pub status: HtlcStatus,
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HtlcLock {
    pub asset: Symbol,
    pub to: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub hash_lock: Hash,
    pub deadline: Time,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HtlcClaim {
    pub htlc: u64,
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^([0-9a-fA-F]{2})*$"))]
    pub preimage: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HtlcRefund {
    pub htlc: u64,
}
