//! Roles and governance (L7). Every operation belongs to a class (routine, sensitive,
//! emergency) and needs an authority (a role at a scope, a trusted claim issuer, or being the
//! holder). A class has an approval threshold M: with M = 1 an eligible wallet acts alone;
//! otherwise the operation goes through a proposal that executes once M distinct eligible
//! wallets have approved it, is rejected once M have rejected it, or expires.

use crate::code::{refuse, Code, Refusal};
use crate::op::Op;
use crate::state::*;
use crate::types::*;

pub use crate::model::governance::*;
pub use crate::model::proposal::*;

/// Is `wallet` allowed to perform (or approve) `op`? Returns the refusal naming what is missing.
pub fn eligible(state: &State, wallet: WalletIdx, op: &Op) -> Result<(), Refusal> {
    let key = state.wallet(wallet).key;
    let (_, need) = op.authority();
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

/// The class of a list of operations: the strictest among them.
pub fn class_of(ops: &[Op]) -> OpClass {
    ops.iter().map(|o| o.authority().0).max().unwrap_or(OpClass::Routine)
}

/// Checks that every operation can go through a proposal and that `wallet` is eligible for all.
pub fn eligible_for_all(state: &State, wallet: WalletIdx, ops: &[Op]) -> Result<(), Refusal> {
    for op in ops {
        if op.authority().1 == Need::Holder {
            return refuse(
                Code::GovernanceNotEligible,
                format!("{} acts on the signer's own holdings and cannot be proposed", op.name()),
            );
        }
        eligible(state, wallet, op).map_err(|e| Refusal::new(Code::GovernanceNotEligible, e.message))?;
    }
    Ok(())
}
