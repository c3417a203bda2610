//! Repo (S6): cash against Treasury collateral with a haircut, unwound automatically.
//!
//! One side proposes the terms; the other accepts, and the opening leg executes atomically:
//! the borrower's collateral is pledged (locked in its holding, still its own) and the cash
//! moves lender → borrower. Before maturity the borrower may substitute collateral if the new
//! collateral still covers the cash after the haircut. At maturity the block-boundary job runs
//! the closing leg: cash plus interest (ACT/360) borrower → lender and the pledge released; if
//! the borrower cannot deliver, the collateral goes to the lender instead.
//!
//! Numbers: collateral is valued at the agreed price, in cash minor units per collateral minor
//! unit times 10^6 (`price_micros`); it covers when value × (1 − haircut) ≥ cash. Interest =
//! cash × rate × days / 360, days = whole days from opening to maturity, rounded half up to the
//! cash token's minor unit.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::Movement;
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::state::*;
use crate::types::*;

pub use crate::model::repo::*;

fn load(state: &State, id: u64) -> Result<Repo, Refusal> {
    state.repos.get(&id).cloned().ok_or_else(|| Refusal::new(Code::RepoUnknown, format!("no repo {id}")))
}

pub fn propose(
    state: &mut State,
    signer: WalletIdx,
    terms: &RepoTerms,
    accept_by: Time,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let key = state.wallet(signer).key;
    if key != terms.lender && key != terms.borrower {
        return refuse(Code::RepoNotAParty, "only the lender or the borrower proposes a repo");
    }
    if terms.maturity <= now || accept_by <= now || accept_by > terms.maturity {
        return refuse(Code::RepoBadTerms, "acceptance deadline and maturity must be ahead, acceptance first");
    }
    state.asset_idx(&terms.cash_asset)?;
    state.asset_idx(&terms.collateral_asset)?;
    state.wallet_idx(&terms.lender)?;
    state.wallet_idx(&terms.borrower)?;
    if !covers(terms.cash_amount, terms.collateral_amount, terms.price_micros, terms.haircut_bps)? {
        return refuse(Code::RepoUndercollateralized, "the collateral does not cover the cash after the haircut");
    }
    let id = state.next_id(|m| &mut m.next_repo);
    state.repos.put(id, Repo { id, proposer: key, terms: terms.clone(), accept_by, status: RepoStatus::Proposed });
    ev.push(Event::RepoProposed { repo: id, maturity: terms.maturity });
    Ok(())
}

/// The other side accepts: collateral pledged and cash delivered, atomically.
pub fn accept(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (signer, now, tx) = (cx.actor, cx.now, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut r = load(state, id)?;
    if r.status != RepoStatus::Proposed || r.accept_by <= now {
        return refuse(Code::RepoClosed, format!("repo {id} cannot be accepted ({})", r.status));
    }
    let key = state.wallet(signer).key;
    let t = r.terms.clone();
    if key == r.proposer || (key != t.lender && key != t.borrower) {
        return refuse(Code::RepoNotAParty, "the counterparty of the proposer accepts");
    }
    let coll = state.asset_idx(&t.collateral_asset)?;
    let borrower = state.wallet_idx(&t.borrower)?;
    movement::lock(state, coll, borrower, t.collateral_amount, true)?;
    movement::deliver(state, Movement::Transfer, &t.cash_asset, &t.lender, &t.borrower, t.cash_amount, now, tx, ev)?;
    r.status = RepoStatus::Open { at: now };
    state.repos.put(id, r);
    state.open_repos.put((t.maturity, id), ());
    ev.push(Event::RepoOpened { repo: id, cash: t.cash_amount, collateral: t.collateral_amount });
    Ok(())
}

pub fn cancel(state: &mut State, signer: WalletIdx, id: u64, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut r = load(state, id)?;
    if r.status != RepoStatus::Proposed {
        return refuse(Code::RepoClosed, format!("repo {id} is not a proposal"));
    }
    if state.wallet(signer).key != r.proposer {
        return refuse(Code::RepoNotAParty, "only the proposer withdraws a repo proposal");
    }
    r.status = RepoStatus::Cancelled { at: now };
    state.repos.put(id, r);
    ev.push(Event::RepoCancelled { repo: id });
    Ok(())
}

/// The borrower swaps the pledged collateral for other collateral that still covers.
pub fn substitute(cx: &mut Ctx, id: u64, asset: &Symbol, amount: Amount, price_micros: Amount) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut r = load(state, id)?;
    if !matches!(r.status, RepoStatus::Open { .. }) || r.terms.maturity <= now {
        return refuse(Code::RepoClosed, format!("repo {id} is not open"));
    }
    if state.wallet(signer).key != r.terms.borrower {
        return refuse(Code::RepoNotAParty, "only the borrower substitutes collateral");
    }
    if price_micros == 0 || !covers(r.terms.cash_amount, amount, price_micros, r.terms.haircut_bps)? {
        return refuse(Code::RepoUndercollateralized, "the new collateral does not cover the cash after the haircut");
    }
    let new_asset = state.asset_idx(asset)?;
    let old_asset = state.asset_idx(&r.terms.collateral_asset)?;
    // Release first, then pledge: a substitution into more of the same asset must be able to
    // reuse the units it frees.
    movement::lock(state, old_asset, signer, r.terms.collateral_amount, false)?;
    movement::lock(state, new_asset, signer, amount, true)?;
    let old = (r.terms.collateral_asset.clone(), r.terms.collateral_amount);
    r.terms.collateral_asset = asset.clone();
    r.terms.collateral_amount = amount;
    r.terms.price_micros = price_micros;
    state.repos.put(id, r);
    ev.push(Event::CollateralSubstituted {
        repo: id,
        old_asset: old.0,
        old_amount: old.1,
        new_asset: asset.clone(),
        new_amount: amount,
    });
    Ok(())
}

/// Block-boundary job: closing legs of repos at maturity (id order).
pub fn block_job(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    for (maturity, id) in state.open_repos.due(&(now, u64::MAX)) {
        state.open_repos.remove(&(maturity, id));
        let Some(r) = state.repos.get(&id).cloned() else { continue };
        let RepoStatus::Open { at: opened } = r.status else { continue };
        close(state, r, opened, now, ev);
    }
}

fn close(state: &mut State, mut r: Repo, opened: Time, now: Time, ev: &mut Vec<Event>) {
    let t = r.terms.clone();
    let days = t.maturity.day().saturating_sub(opened.day());
    let mark = state.mark();
    let repaid = (|| -> Result<Amount, Refusal> {
        let due_interest = interest(t.cash_amount, t.rate_bps, days)?;
        let total = add(t.cash_amount, due_interest)?;
        movement::deliver(
            state,
            Movement::Transfer,
            &t.cash_asset,
            &t.borrower,
            &t.lender,
            total,
            now,
            Hash::default(),
            ev,
        )?;
        let (coll, borrower) = (state.asset_idx(&t.collateral_asset)?, state.wallet_idx(&t.borrower)?);
        movement::lock(state, coll, borrower, t.collateral_amount, false)?;
        Ok(due_interest)
    })();
    match repaid {
        Ok(i) => {
            r.status = RepoStatus::Closed { at: now, interest: i };
            ev.push(Event::RepoClosed { repo: r.id, repaid: t.cash_amount.saturating_add(i), interest: i });
        }
        Err(why) => {
            state.rollback(mark);
            // Default: the pledged collateral goes to the lender.
            let delivered = movement::deliver(
                state,
                Movement::Settlement,
                &t.collateral_asset,
                &t.borrower,
                &t.lender,
                t.collateral_amount,
                now,
                Hash::default(),
                ev,
            );
            let ok = delivered.is_ok();
            r.status = RepoStatus::Defaulted { at: now, code: why.code.as_str().into(), delivered: ok };
            ev.push(Event::RepoDefaulted { repo: r.id, code: why.code.as_str().into(), collateral_delivered: ok });
        }
    }
    state.repos.put(r.id, r);
}

/// After a wallet recovery: repos naming the lost wallet name the new one.
pub fn rekey(state: &mut State, lost: &WalletId, new: &WalletId) {
    let mut ids: Vec<u64> = state
        .repos
        .iter()
        .filter(|(_, r)| r.terms.lender == *lost || r.terms.borrower == *lost || r.proposer == *lost)
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    for id in ids {
        let Some(mut r) = state.repos.get(&id).cloned() else { continue };
        for w in [&mut r.terms.lender, &mut r.terms.borrower, &mut r.proposer] {
            if w == lost {
                *w = *new;
            }
        }
        state.repos.put(id, r);
    }
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for ProposeRepo {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let ProposeRepo { terms, .. } = self;
        crate::model::repo::check_terms(terms)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let ProposeRepo { terms, accept_by } = self;
        propose(cx.state, cx.actor, terms, *accept_by, cx.now, cx.events)
    }
}

impl Action for AcceptRepo {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let AcceptRepo { repo: id } = self;
        accept(cx, *id)
    }
}

impl Action for CancelRepo {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CancelRepo { repo: id } = self;
        cancel(cx.state, cx.actor, *id, cx.now, cx.events)
    }
}

impl Action for SubstituteCollateral {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let SubstituteCollateral { asset, amount, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SubstituteCollateral { repo: id, asset, amount, price_micros } = self;
        substitute(cx, *id, asset, *amount, *price_micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_act_360() {
        // 10,000,000.00 at 4.30% for 7 days: 10,000,000 × 0.043 × 7 / 360 = 8,361.11
        assert_eq!(interest(1_000_000_000, 430, 7).unwrap(), 836_111);
        // Half up: 1 unit at 1% for 18,000 days = 0.5 → 1
        assert_eq!(interest(1, 100, 18_000).unwrap(), 1);
        assert_eq!(interest(0, 430, 7).unwrap(), 0);
        assert_eq!(interest(u128::MAX, 430, 7).unwrap_err().code, Code::AmountOverflow);
    }

    #[test]
    fn haircut_coverage() {
        // 1,000 bills at 98.938333 per 100 face (0.98938333 per unit, × 10^6 = 989,383) with a
        // 2% haircut: value 989.383 → after haircut 969.6; covers 969 cash, not 970.
        assert!(covers(969, 1_000, 989_383, 200).unwrap());
        assert!(!covers(970, 1_000, 989_383, 200).unwrap());
    }
}
