//! Servicing records of tokenized Treasury securities (rules in `securities`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Servicing {
    pub asset: Symbol,
    pub cash_asset: AssetIdx,
    pub paying_agent: WalletIdx,
    /// The next coupon date not yet paid (None for bills, or after the last coupon).
    pub next_coupon: Option<Time>,
    pub coupons_paid: u32,
    pub retired: bool,
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceSecurity {
    pub asset: Symbol,
    pub cash_asset: Symbol,
    pub paying_agent: WalletId,
}
