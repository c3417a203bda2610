//! Proposals as records (rules in `governance`, execution in `exec`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::model::governance::OpClass;
use crate::op::Op;
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum ProposalStatus {
    Open,
    Executed {
        at: Time,
    },
    /// Approved, but the operations failed when executed; nothing changed.
    Failed {
        at: Time,
        code: String,
        message: String,
    },
    Rejected {
        at: Time,
    },
    Expired {
        at: Time,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Proposal {
    pub id: u64,
    pub proposer: WalletId,
    pub ops: Vec<Op>,
    pub class: OpClass,
    /// The class threshold when the proposal was made.
    pub threshold: u8,
    pub created_at: Time,
    pub expires_at: Time,
    pub approvals: Vec<WalletId>,
    pub rejections: Vec<WalletId>,
    pub status: ProposalStatus,
}
