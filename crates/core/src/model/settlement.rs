//! Settlement instructions as records: legs, modes, statuses (rules in `settlement`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::code::{refuse, Code, Refusal};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

pub const MAX_LEGS: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Leg {
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub from: WalletId,
    pub to: WalletId,
}

/// When an instruction settles once every sending party has affirmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SettleMode {
    /// In the transaction that brings the last affirmation.
    OnAffirmation,
    /// At the first block at or after the value date.
    AtValueDate,
    /// At the first block at or after this height.
    AtHeight(u64),
    /// When the venue says so (`settle_instruction`).
    Manual,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum InstructionStatus {
    Pending,
    Settled { at: Time },
    Failed { at: Time, leg: u32, code: String, message: String },
    Cancelled { at: Time, by: WalletId, reason: String },
    Rejected { at: Time, by: PartyId, reason: String },
    Expired { at: Time },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Instruction {
    pub id: u64,
    pub creator: WalletId,
    /// Set when a venue created it: the venue may cancel it and settle it manually.
    pub venue: Option<WalletId>,
    pub legs: Vec<Leg>,
    pub mode: SettleMode,
    pub trade_date: Option<Time>,
    pub value_date: Option<Time>,
    pub expires_at: Time,
    pub reference: String,
    /// Sending parties that have affirmed (their legs are locked), sorted.
    pub affirmed: Vec<PartyId>,
    pub status: InstructionStatus,
    /// (time, what happened), oldest first.
    pub history: Vec<(Time, String)>,
}

/// Shape checks that need no state.
pub fn check_legs(legs: &[Leg]) -> Result<(), Refusal> {
    if legs.is_empty() || legs.len() > MAX_LEGS {
        return refuse(Code::SettlementBadLegs, format!("an instruction has 1 to {MAX_LEGS} legs"));
    }
    for (i, l) in legs.iter().enumerate() {
        check_symbol(&l.asset)?;
        if l.amount == 0 {
            return refuse(Code::SettlementBadLegs, format!("leg {i}: the amount must be positive"));
        }
        if l.from == l.to {
            return refuse(Code::SettlementBadLegs, format!("leg {i}: a wallet cannot deliver to itself"));
        }
        if legs[..i].iter().any(|o| o.asset == l.asset && o.from == l.from && o.to == l.to) {
            return refuse(
                Code::SettlementBadLegs,
                format!("leg {i} repeats an earlier leg (same asset, sender and receiver)"),
            );
        }
    }
    Ok(())
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInstruction {
    pub legs: Vec<Leg>,
    pub settle: SettleMode,
    #[serde(default)]
    pub trade_date: Option<Time>,
    #[serde(default)]
    pub value_date: Option<Time>,
    pub expires_at: Time,
    #[serde(default)]
    pub reference: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AffirmInstruction {
    pub instruction: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawAffirmation {
    pub instruction: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RejectInstruction {
    pub instruction: u64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelInstruction {
    pub instruction: u64,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SettleInstruction {
    pub instruction: u64,
}
