//! Roles and governance (L7). Every operation belongs to a class (routine, sensitive,
//! emergency) and needs an authority (a role at a scope, a trusted claim issuer, or being the
//! holder). A class has an approval threshold M: with M = 1 an eligible wallet acts alone;
//! otherwise the operation goes through a proposal that executes once M distinct eligible
//! wallets have approved it, is rejected once M have rejected it, or expires.

use crate::code::{refuse, Code, Refusal};
use crate::op::Op;
use crate::state::*;
use crate::types::*;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

pub const MAX_THRESHOLD: u8 = 32;
/// Defaults: routine 1-of-1, sensitive 2-of-3, emergency 3-of-5.
pub const DEFAULT_THRESHOLDS: [u8; 3] = [1, 2, 3];

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
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

/// The class and authority of an operation.
pub fn authority(op: &Op) -> (OpClass, Need) {
    use OpClass::*;
    use Role::*;
    let asset = |s: &Symbol| Some(s.clone());
    let scoped = |s: &Scope| match s {
        Scope::Global => None,
        Scope::Asset(a) => Some(a.clone()),
    };
    match op {
        Op::RegisterParty { .. }
        | Op::AddWallet { .. }
        | Op::LinkAddress { .. }
        | Op::SanctionAdd { .. }
        | Op::SanctionRemove { .. }
        | Op::FreezeWallet { .. } => (Routine, Need::Role(ComplianceOfficer, None)),
        Op::IssueClaim { claim, .. } => (Routine, Need::TrustedIssuer(claim.topic())),
        Op::RevokeClaim { claim, .. } => (Routine, Need::IssuerOrCompliance(claim.topic())),
        Op::TrustIssuer { .. } | Op::UntrustIssuer { .. } | Op::CreateAsset(_) | Op::SetThreshold { .. } => {
            (Sensitive, Need::Role(Admin, None))
        }
        Op::SetPolicy { asset: a, .. } => (Sensitive, Need::Role(ComplianceOfficer, asset(a))),
        Op::SetSupplyCap { asset: a, .. } => (Sensitive, Need::Role(Admin, asset(a))),
        Op::Mint { asset: a, .. } | Op::Burn { asset: a, .. } => (Routine, Need::Role(IssuerAgent, asset(a))),
        Op::Transfer { .. }
        | Op::CreateInstruction { .. }
        | Op::AffirmInstruction { .. }
        | Op::WithdrawAffirmation { .. }
        | Op::RejectInstruction { .. }
        | Op::CancelInstruction { .. }
        | Op::SettleInstruction { .. }
        | Op::HtlcLock { .. }
        | Op::HtlcClaim { .. }
        | Op::HtlcRefund { .. }
        | Op::RedeemCash { .. }
        | Op::ConvertCash { .. }
        | Op::OpenTender { .. }
        | Op::PlaceBid { .. }
        | Op::AwardTender { .. }
        | Op::CompleteTender { .. }
        | Op::DeclareDefault { .. }
        | Op::CancelTender { .. }
        | Op::ProposeRepo { .. }
        | Op::AcceptRepo { .. }
        | Op::CancelRepo { .. }
        | Op::SubstituteCollateral { .. } => (Routine, Need::Holder),
        Op::IssueCash { asset: a, .. } => (Routine, Need::Role(IssuerAgent, asset(a))),
        Op::CreateYieldClass { asset: a, .. } => (Sensitive, Need::Role(Admin, asset(a))),
        Op::SetYieldRate { asset: a, .. } => (Routine, Need::Role(Oracle, asset(a))),
        Op::RegisterConversion { .. } => (Sensitive, Need::Role(Admin, None)),
        Op::RegisterOracleSource { .. }
        | Op::CreateFeed(_)
        | Op::CreateFund(_)
        | Op::CreateShareClass(_)
        | Op::ServiceSecurity { .. } => (Sensitive, Need::Role(Admin, None)),
        // A source signs its own reports; the oracle module checks it is registered for the feed.
        Op::OracleReport { .. } | Op::Subscribe { .. } | Op::Redeem { .. } => (Routine, Need::Holder),
        Op::SetClassApy { asset: a, .. } => (Routine, Need::Role(IssuerAgent, asset(a))),
        Op::CustodianCash { .. } | Op::BuyPosition { .. } | Op::SellPosition { .. } => {
            (Routine, Need::Role(Custodian, None))
        }
        // Resuming a halted fund is governance's call: sensitive (M-of-N).
        Op::ResetBreaker { .. } => (Sensitive, Need::Role(Admin, None)),
        Op::GrantRole { scope, .. } | Op::RevokeRole { scope, .. } => (Sensitive, Need::Role(Admin, scoped(scope))),
        Op::Propose { .. } | Op::Approve { .. } | Op::Reject { .. } => (Routine, Need::Governance),
        Op::Pause { scope, .. } | Op::Unpause { scope, .. } => (Emergency, Need::Role(Pauser, scoped(scope))),
        Op::UnfreezeWallet { .. } => (Sensitive, Need::Role(ComplianceOfficer, None)),
        Op::FreezeAmount { asset: a, .. } => (Routine, Need::Role(ComplianceOfficer, asset(a))),
        Op::UnfreezeAmount { asset: a, .. } => (Sensitive, Need::Role(ComplianceOfficer, asset(a))),
        Op::ForceTransfer { asset: a, .. } => (Sensitive, Need::Role(IssuerAgent, asset(a))),
        Op::RecoverWallet { .. } => (Sensitive, Need::Role(IssuerAgent, None)),
    }
}

/// Is `wallet` allowed to perform (or approve) `op`? Returns the refusal naming what is missing.
pub fn eligible(state: &State, wallet: WalletIdx, op: &Op) -> Result<(), Refusal> {
    let key = state.wallet(wallet).key;
    let (_, need) = authority(op);
    let trusted = |topic| state.trusted_issuers.get(&wallet).is_some_and(|t: &Vec<ClaimTopic>| t.contains(&topic));
    match need {
        Need::Role(role, scope) => {
            let asset = match &scope {
                Some(sym) => state.asset_index.get(sym).copied(),
                None => None,
            };
            if state.has_role(wallet, role, asset) {
                Ok(())
            } else {
                let at = scope.map(|s| format!(" on {s}")).unwrap_or_default();
                refuse(
                    Code::AuthMissingRole,
                    format!("{} needs role {}{at}; wallet {} lacks it", op.name(), role.as_str(), key.short()),
                )
            }
        }
        Need::TrustedIssuer(topic) => {
            if trusted(topic) {
                Ok(())
            } else {
                refuse(
                    Code::ClaimUntrustedIssuer,
                    format!("wallet {} is not a trusted issuer of {topic} claims", key.short()),
                )
            }
        }
        Need::IssuerOrCompliance(topic) => {
            if trusted(topic) || state.has_role(wallet, Role::ComplianceOfficer, None) {
                Ok(())
            } else {
                refuse(
                    Code::AuthMissingRole,
                    format!(
                        "revoking {} claim needs its issuer or a compliance officer",
                        crate::prose::with_article(topic)
                    ),
                )
            }
        }
        Need::Holder | Need::Governance => Ok(()),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
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

/// The class of a list of operations: the strictest among them.
pub fn class_of(ops: &[Op]) -> OpClass {
    ops.iter().map(|o| authority(o).0).max().unwrap_or(OpClass::Routine)
}

/// Checks that every operation can go through a proposal and that `wallet` is eligible for all.
pub fn eligible_for_all(state: &State, wallet: WalletIdx, ops: &[Op]) -> Result<(), Refusal> {
    for op in ops {
        if authority(op).1 == Need::Holder {
            return refuse(
                Code::GovernanceNotEligible,
                format!("{} acts on the signer's own holdings and cannot be proposed", op.name()),
            );
        }
        eligible(state, wallet, op).map_err(|e| Refusal::new(Code::GovernanceNotEligible, e.message))?;
    }
    Ok(())
}
