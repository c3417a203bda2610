//! Operation classes, approval thresholds and the authority an operation needs, as data
//! (eligibility and proposals' rules in `governance`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::code::{refuse, Code, Refusal};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

pub const MAX_THRESHOLD: u8 = 32;
/// Defaults: routine 1-of-1, sensitive 2-of-3, emergency 3-of-5.
pub const DEFAULT_THRESHOLDS: [u8; 3] = [1, 2, 3];

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OpClass {
    Routine,
    Sensitive,
    Emergency,
}

impl OpClass {
    pub fn as_str(self) -> &'static str {
        match self {
            OpClass::Routine => "routine",
            OpClass::Sensitive => "sensitive",
            OpClass::Emergency => "emergency",
        }
    }
}

pub fn check_threshold(t: u8) -> Result<(), Refusal> {
    if t == 0 || t > MAX_THRESHOLD {
        return refuse(Code::GovernanceBadThreshold, format!("threshold {t}: must be 1 to {MAX_THRESHOLD}"));
    }
    Ok(())
}

/// Who may perform an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// A role, globally or on the asset.
    Role(Role, Option<Symbol>),
    /// A wallet trusted to issue claims of this topic.
    TrustedIssuer(ClaimTopic),
    /// A trusted issuer of the topic, or a compliance officer.
    IssuerOrCompliance(ClaimTopic),
    /// The signer acts on its own holdings; no approval applies.
    Holder,
    /// Governance operations: eligibility follows the proposal.
    Governance,
}
