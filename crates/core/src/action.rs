//! The contract between execution and the rule modules: an operation's payload implements
//! [`Action`] — who may perform it (class and authority), what it checks without state, and
//! what it does to the state through an execution context [`Ctx`]. The impls live in the
//! domain's rule module; `Op`'s dispatch below is generated from the one list of operations
//! (`op::with_operations!`).
//!
//! Reactions: a rule that changes something other domains keep commitments on does not call
//! them (that would point an import sideways or up); it raises a [`Reaction`] and execution
//! runs the hooks after the operation succeeds, in the fixed order documented on
//! `exec::react`.

use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::model::governance::{Need, OpClass};
use crate::model::op::proposing;
use crate::model::op::{with_operations, Op};
use crate::model::{
    admin, cash, collateral, escrow, fund, htlc, movement, oracle, repo, securities, settlement, yields,
};
use crate::state::State;
use crate::types::*;

/// What an operation executes against.
pub struct Ctx<'a> {
    pub state: &'a mut State,
    /// The block's time and height.
    pub now: Time,
    pub height: u64,
    /// The transaction being applied: the reference its movements record.
    pub tx: Hash,
    /// The wallet acting: the signer, or the proposer when an approved proposal runs.
    pub actor: WalletIdx,
    /// The events the operation reports, in order.
    pub events: &'a mut Vec<Event>,
    /// Raised during the operation, run by execution once it succeeds.
    pub reactions: Vec<Reaction>,
}

/// Something other rule modules must react to (see `exec::react` for the order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reaction {
    /// A lost wallet's holdings moved to a new wallet: commitments recorded under the lost
    /// wallet (instructions, hash time-locks, tenders, repos, fund records) follow.
    WalletRecovered { lost: WalletId, new: WalletId },
    /// A feed's breaker tripped: funds that depend on the feed halt.
    FeedTripped { feed: String, detail: String },
    /// A feed took a report: collateral priced by it is revalued.
    FeedReported,
}

/// An operation's rules.
pub trait Action {
    /// The operation's class (for the approval threshold) and the authority it needs.
    fn authority(&self) -> (OpClass, Need);
    /// Checks that need no state: text lengths, id shapes, bounds. Runs before sequencing.
    fn check(&self) -> Result<(), Refusal> {
        Ok(())
    }
    /// Applies the operation. On a refusal the caller rolls the state back.
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal>;
}

macro_rules! define_dispatch {
    ($($variant:ident = $name:literal ($m:ident :: $t:ident),)*) => {
        impl Op {
            /// The payload's rules.
            pub fn action(&self) -> &dyn Action {
                match self {
                    $(Op::$variant(payload) => payload,)*
                }
            }
        }
        // Every payload implements `Action` (a missing impl fails here, naming the type).
        const _: fn() = || {
            fn implements<A: Action>() {}
            $(implements::<$m::$t>();)*
        };
    };
}
with_operations!(define_dispatch);

impl Op {
    /// The class and authority of the operation.
    pub fn authority(&self) -> (OpClass, Need) {
        self.action().authority()
    }

    /// Checks that need no state. `depth` is the proposal nesting: a proposal's operations are
    /// checked at depth 1, where a proposal is refused.
    pub fn check_stateless(&self, depth: u8) -> Result<(), Refusal> {
        if depth > 0 && matches!(self, Op::Propose(_)) {
            return refuse(Code::GovernanceNestedProposal, "a proposal cannot contain a proposal");
        }
        self.action().check()
    }
}

// ---- helpers the impls share

/// The amount must be positive.
pub fn nonzero(a: Amount) -> Result<(), Refusal> {
    if a == 0 {
        return refuse(Code::AmountZero, "the amount must be positive");
    }
    Ok(())
}

pub fn check_scope(s: &Scope) -> Result<(), Refusal> {
    match s {
        Scope::Global => Ok(()),
        Scope::Asset(sym) => check_symbol(sym),
    }
}

pub fn check_reason(r: &str) -> Result<(), Refusal> {
    check_text("reason", r, MAX_TEXT_LEN)
}

/// A role scoped to the asset.
pub fn on_asset(s: &Symbol) -> Option<Symbol> {
    Some(s.clone())
}

/// A role scoped as the operation's scope says.
pub fn scoped(s: &Scope) -> Option<Symbol> {
    match s {
        Scope::Global => None,
        Scope::Asset(a) => Some(a.clone()),
    }
}
