//! What locks units: the one list of the open commitments that hold a holding's `locked`
//! part, read by the invariant checker (every locked unit is held for one of these, and each
//! of these is locked: `invariants`, invariant 3) and by the pre-check (`movement::precheck`
//! names the locks that keep a wallet from moving what it holds).
//!
//! A commitment locks the sending wallet's units:
//! - a leg of a pending settlement instruction, once the leg's sending party has affirmed
//!   (`settlement::affirm` locks every leg a party sends on);
//! - a hash time-lock not yet claimed or refunded (its sender's units);
//! - a tender's bond: every bidder's while the tender is open, the winner's once awarded;
//! - a repo's collateral while the repo is open, or defaulted without delivery (borrower);
//! - collateral pledged to a clearing house or lender, while the collateral account lists the
//!   pledge (the pledging wallet's units).
//!
//! Nothing else locks: `cash::convert` locks and delivers within one operation.
//!
//! Adding a kind of lock: a variant of [`Lock`] (with its words in `Display`) and a function
//! naming, for one record, what it locks, called from [`each`] — both lists below have a
//! marked place for it. The module reads records only, so it sits below the rule modules that
//! write them; the rules that lock and unlock stay theirs.

use crate::model::collateral::Account;
use crate::model::escrow::{Tender, TenderStatus};
use crate::model::htlc::{Htlc, HtlcStatus};
use crate::model::repo::{Repo, RepoStatus};
use crate::model::settlement::{Instruction, InstructionStatus};
use crate::state::State;
use crate::types::*;
use std::fmt;

/// One open commitment that locks units, as a person reads it ("instruction 4 leg 0").
/// Ordered as the pre-check lists them: by kind, then id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lock {
    /// Leg `leg` (from 0) of a pending settlement instruction its sender's party affirmed.
    InstructionLeg { instruction: u64, leg: usize },
    /// A hash time-lock not yet claimed or refunded.
    HashTimeLock { htlc: u64 },
    /// A bidder's (or the awarded winner's) bond in a tender.
    TenderBond { tender: u64 },
    /// A repo's collateral, pledged by its borrower.
    RepoCollateral { repo: u64 },
    /// Collateral pledged to `pledgee` (a clearing house or lender) in a collateral account.
    Pledge { account: u64, pledgee: PartyId },
    // A new kind of lock goes here, with its words below and its records in `each`.
}

impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lock::InstructionLeg { instruction, leg } => write!(f, "instruction {instruction} leg {leg}"),
            Lock::HashTimeLock { htlc } => write!(f, "hash time-lock {htlc}"),
            Lock::TenderBond { tender } => write!(f, "tender {tender} bond"),
            Lock::RepoCollateral { repo } => write!(f, "repo {repo} collateral"),
            Lock::Pledge { account, pledgee } => write!(f, "pledge to {pledgee} in collateral account {account}"),
        }
    }
}

/// One lock on one holding: the asset and wallet it holds units of, and how many.
pub struct Held<'a> {
    pub asset: &'a Symbol,
    pub wallet: &'a WalletId,
    pub lock: Lock,
    pub amount: Amount,
}

/// Which records [`each`] visits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Records {
    /// Every record of every table: the invariant checker finds a commitment even when an
    /// open-record queue lost it.
    All,
    /// Pending instructions through their wake-up queue (the instruction table keeps every
    /// instruction ever made); the other tables whole, filtered by status.
    Open,
}

/// Calls `visit` with every lock the open commitments hold, in no particular order. The first
/// error `visit` returns stops the walk.
fn each<E>(state: &State, records: Records, mut visit: impl FnMut(Held<'_>) -> Result<(), E>) -> Result<(), E> {
    match records {
        Records::All => {
            for (_, i) in state.instructions.iter() {
                instruction_locks(state, i, &mut visit)?;
            }
        }
        Records::Open => {
            // An instruction is in the queue once per wake-up time.
            let mut open: Vec<u64> = state.open_instructions.iter().map(|((_, id), _)| *id).collect();
            open.sort_unstable();
            open.dedup();
            for i in open.iter().filter_map(|id| state.instructions.get(id)) {
                instruction_locks(state, i, &mut visit)?;
            }
        }
    }
    for (_, h) in state.htlcs.iter() {
        htlc_locks(h, &mut visit)?;
    }
    for (_, t) in state.tenders.iter() {
        tender_locks(t, &mut visit)?;
    }
    for (_, r) in state.repos.iter() {
        repo_locks(r, &mut visit)?;
    }
    for (_, a) in state.collateral_accounts.iter() {
        pledge_locks(a, &mut visit)?;
    }
    // A new kind of lock: its records' locks here.
    Ok(())
}

fn instruction_locks<E>(
    state: &State,
    i: &Instruction,
    visit: &mut impl FnMut(Held<'_>) -> Result<(), E>,
) -> Result<(), E> {
    if i.status != InstructionStatus::Pending {
        return Ok(());
    }
    for (n, l) in i.legs.iter().enumerate() {
        // As `settlement::affirm`: a leg is locked when its sender's party affirmed.
        let party = state.wallet_index.get(&l.from).and_then(|w| state.wallets.get(w)).map(|w| w.party);
        let party = party.and_then(|p| state.parties.get(&p)).map(|p| &p.id);
        if party.is_some_and(|p| i.affirmed.contains(p)) {
            let lock = Lock::InstructionLeg { instruction: i.id, leg: n };
            visit(Held { asset: &l.asset, wallet: &l.from, lock, amount: l.amount })?;
        }
    }
    Ok(())
}

fn htlc_locks<E>(h: &Htlc, visit: &mut impl FnMut(Held<'_>) -> Result<(), E>) -> Result<(), E> {
    if matches!(h.status, HtlcStatus::Locked | HtlcStatus::Expired { .. }) {
        visit(Held { asset: &h.asset, wallet: &h.sender, lock: Lock::HashTimeLock { htlc: h.id }, amount: h.amount })?;
    }
    Ok(())
}

fn tender_locks<E>(t: &Tender, visit: &mut impl FnMut(Held<'_>) -> Result<(), E>) -> Result<(), E> {
    let lock = Lock::TenderBond { tender: t.id };
    match &t.status {
        TenderStatus::Open => {
            for b in &t.bids {
                visit(Held { asset: &t.asset, wallet: b, lock: lock.clone(), amount: t.bond })?;
            }
        }
        TenderStatus::Awarded { winner, .. } => visit(Held { asset: &t.asset, wallet: winner, lock, amount: t.bond })?,
        _ => {}
    }
    Ok(())
}

fn repo_locks<E>(r: &Repo, visit: &mut impl FnMut(Held<'_>) -> Result<(), E>) -> Result<(), E> {
    if matches!(r.status, RepoStatus::Open { .. } | RepoStatus::Defaulted { delivered: false, .. }) {
        let t = &r.terms;
        let lock = Lock::RepoCollateral { repo: r.id };
        visit(Held { asset: &t.collateral_asset, wallet: &t.borrower, lock, amount: t.collateral_amount })?;
    }
    Ok(())
}

fn pledge_locks<E>(a: &Account, visit: &mut impl FnMut(Held<'_>) -> Result<(), E>) -> Result<(), E> {
    for p in &a.pledges {
        let lock = Lock::Pledge { account: a.id, pledgee: a.pledgee.clone() };
        visit(Held { asset: &p.asset, wallet: &p.wallet, lock, amount: p.amount })?;
    }
    Ok(())
}

/// Every lock the open commitments hold, whatever wallet it names (the invariant checker
/// resolves and sums them). A walk over every record table.
pub fn all<E>(state: &State, visit: impl FnMut(Held<'_>) -> Result<(), E>) -> Result<(), E> {
    each(state, Records::All, visit)
}

/// The locks on one holding, by kind then id, each with the units it holds. A holding with
/// nothing locked costs one lookup; otherwise this walks the open-record tables, which is for
/// the pre-check and views, never for the path that moves units.
pub fn on(state: &State, asset: AssetIdx, wallet: WalletIdx) -> Vec<(Lock, Amount)> {
    if state.holding_ref(asset, wallet).is_none_or(|h| h.locked == 0) {
        return Vec::new();
    }
    let symbol = &state.asset(asset).symbol;
    of_wallet(state, wallet, |s| s == symbol).into_iter().map(|(_, lock, amount)| (lock, amount)).collect()
}

/// The locks on every holding of one wallet, by kind then id (then asset), as [`on`]: a
/// wallet with nothing locked costs one lookup per asset.
pub fn on_wallet(state: &State, wallet: WalletIdx) -> Vec<(Symbol, Lock, Amount)> {
    // Asset indices are dense: few assets, one lookup each.
    let assets = AssetIdx::try_from(state.assets.len()).unwrap_or(AssetIdx::MAX);
    if !(0..assets).any(|a| state.holding_ref(a, wallet).is_some_and(|h| h.locked > 0)) {
        return Vec::new();
    }
    of_wallet(state, wallet, |_| true)
}

/// The locks naming `wallet` on the assets `asset` accepts, sorted.
fn of_wallet(state: &State, wallet: WalletIdx, asset: impl Fn(&Symbol) -> bool) -> Vec<(Symbol, Lock, Amount)> {
    let key = &state.wallet(wallet).key;
    let mut out = Vec::new();
    let walked: Result<(), std::convert::Infallible> = each(state, Records::Open, |h| {
        if h.wallet == key && asset(h.asset) {
            out.push((h.asset.clone(), h.lock, h.amount));
        }
        Ok(())
    });
    let Ok(()) = walked;
    out.sort_unstable_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    out
}
