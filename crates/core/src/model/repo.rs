//! Repo terms, statuses and the pure arithmetic of collateral cover and interest (rules in `repo`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::code::{refuse, Code, Refusal};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RepoTerms {
    pub lender: WalletId,
    pub borrower: WalletId,
    pub cash_asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub cash_amount: Amount,
    pub collateral_asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub collateral_amount: Amount,
    /// Cash minor units per collateral minor unit, × 10^6.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::LargeIntegerSchema))]
    pub price_micros: Amount,
    pub haircut_bps: u32,
    /// Annual repo rate in basis points, ACT/360.
    pub rate_bps: u32,
    pub maturity: Time,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum RepoStatus {
    Proposed,
    Open {
        at: Time,
    },
    Closed {
        at: Time,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        interest: Amount,
    },
    /// The borrower did not repay; `delivered` says whether the collateral reached the lender
    /// (if not, it stays pledged for a forced transfer to resolve).
    Defaulted {
        at: Time,
        code: String,
        delivered: bool,
    },
    Cancelled {
        at: Time,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repo {
    pub id: u64,
    pub proposer: WalletId,
    pub terms: RepoTerms,
    pub accept_by: Time,
    pub status: RepoStatus,
}

pub fn check_terms(t: &RepoTerms) -> Result<(), Refusal> {
    check_symbol(&t.cash_asset)?;
    check_symbol(&t.collateral_asset)?;
    if t.cash_amount == 0 || t.collateral_amount == 0 || t.price_micros == 0 {
        return refuse(Code::RepoBadTerms, "cash, collateral and price must be positive");
    }
    if t.haircut_bps >= 10_000 || t.rate_bps > 100_000 {
        return refuse(Code::RepoBadTerms, "haircut below 100% and rate at most 1000%");
    }
    if t.lender == t.borrower {
        return refuse(Code::RepoBadTerms, "lender and borrower must differ");
    }
    Ok(())
}

/// Does `amount` of collateral at `price_micros` cover `cash` after the haircut?
pub fn covers(cash: Amount, amount: Amount, price_micros: Amount, haircut_bps: u32) -> Result<bool, Refusal> {
    let overflow = || Refusal::new(Code::AmountOverflow, "collateral value overflows");
    let value = amount.checked_mul(price_micros).ok_or_else(overflow)? / 1_000_000;
    let kept_bps = (10_000 as Amount).checked_sub(haircut_bps as Amount).ok_or_else(overflow)?;
    let lhs = value.checked_mul(kept_bps).ok_or_else(overflow)?;
    let rhs = cash.checked_mul(10_000).ok_or_else(overflow)?;
    Ok(lhs >= rhs)
}

/// Repo interest, ACT/360, rounded half up to the minor unit.
pub fn interest(cash: Amount, rate_bps: u32, days: u64) -> Result<Amount, Refusal> {
    let num = cash
        .checked_mul(rate_bps as Amount)
        .and_then(|x| x.checked_mul(days as Amount))
        .ok_or_else(|| Refusal::new(Code::AmountOverflow, "interest overflows"))?;
    let den: Amount = 10_000 * 360;
    let rounded = num.checked_add(den / 2).ok_or_else(|| Refusal::new(Code::AmountOverflow, "interest overflows"))?;
    Ok(rounded / den)
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProposeRepo {
    pub terms: RepoTerms,
    pub accept_by: Time,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptRepo {
    pub repo: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelRepo {
    pub repo: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubstituteCollateral {
    pub repo: u64,
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::LargeIntegerSchema))]
    pub price_micros: Amount,
}
