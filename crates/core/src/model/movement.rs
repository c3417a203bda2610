//! Issuance, transfer, freezing, forced transfer and wallet recovery: the payloads of
//! the operations that move units (rules in `movement`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Mint {
    pub asset: Symbol,
    pub to: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Burn {
    pub asset: Symbol,
    pub from: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub asset: Symbol,
    pub to: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FreezeAmount {
    pub asset: Symbol,
    pub wallet: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UnfreezeAmount {
    pub asset: Symbol,
    pub wallet: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForceTransfer {
    pub asset: Symbol,
    pub from: WalletId,
    pub to: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub reason: ForceReason,
    pub reference: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecoverWallet {
    pub lost: WalletId,
    pub new: WalletId,
    pub reference: String,
}
