//! Escrow programs (S5): a tender with bid bonds (seed 003, note 10).
//!
//! The tendering party opens a tender naming the deposit token and the bond. Until the bid
//! deadline each bidder (one per party) locks the bond. After the deadline the tenderer awards
//! it: every losing bond is released in the same transaction and the winner's bond stays
//! locked as a performance bond — released on completion, or forfeited to the tenderer on
//! default (a settlement leg, checked like a transfer). A tender cancelled before award
//! releases every bond. Every transition is an event in a journaled receipt.
//!
//! Invariant: while a tender is open, each bid's bond is locked in its bidder's holding; after
//! award only the winner's is; after completion, default or cancellation none is.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::Movement;
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::state::*;
use crate::types::*;

pub use crate::model::escrow::*;

fn load(state: &State, id: u64) -> Result<Tender, Refusal> {
    state.tenders.get(&id).cloned().ok_or_else(|| Refusal::new(Code::EscrowUnknown, format!("no tender {id}")))
}

fn owner_only(state: &State, signer: WalletIdx, t: &Tender) -> Result<(), Refusal> {
    if state.wallet(signer).key != t.owner {
        return refuse(Code::EscrowNotOwner, format!("only the tendering wallet acts on tender {}", t.id));
    }
    Ok(())
}

/// An open tender the signer owns.
fn owned_open(state: &State, signer: WalletIdx, id: u64) -> Result<Tender, Refusal> {
    let t = load(state, id)?;
    owner_only(state, signer, &t)?;
    if t.status != TenderStatus::Open {
        return refuse(Code::EscrowClosed, format!("tender {id} is closed"));
    }
    Ok(t)
}

fn bond_lock(state: &mut State, t: &Tender, bidder: &WalletId, lock: bool) -> Result<(), Refusal> {
    let (a, w) = (state.asset_idx(&t.asset)?, state.wallet_idx(bidder)?);
    movement::lock(state, a, w, t.bond, lock)
}

#[allow(clippy::too_many_arguments)]
pub fn create(
    state: &mut State,
    signer: WalletIdx,
    asset: &Symbol,
    bond: Amount,
    bid_deadline: Time,
    reference: &str,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    if bid_deadline <= now {
        return refuse(Code::EscrowBadTerms, "the bid deadline must be after the block time");
    }
    state.asset_idx(asset)?;
    let id = state.next_id(|m| &mut m.next_tender);
    let owner = state.wallet(signer).key;
    state.tenders.put(
        id,
        Tender {
            id,
            owner,
            asset: asset.clone(),
            bond,
            bid_deadline,
            reference: reference.into(),
            bids: vec![],
            status: TenderStatus::Open,
        },
    );
    ev.push(Event::TenderOpened { tender: id, asset: asset.clone(), bond, bid_deadline });
    Ok(())
}

pub fn bid(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut t = load(state, id)?;
    if t.status != TenderStatus::Open {
        return refuse(Code::EscrowClosed, format!("tender {id} is closed"));
    }
    if now >= t.bid_deadline {
        return refuse(Code::EscrowDeadline, format!("bids for tender {id} closed at {}", t.bid_deadline));
    }
    let key = state.wallet(signer).key;
    if key == t.owner {
        return refuse(Code::EscrowNotABidder, "the tendering wallet cannot bid");
    }
    let party = state.wallet(signer).party;
    if t.bids.iter().any(|b| state.wallet_index.get(b).is_some_and(|w| state.wallet(*w).party == party)) {
        return refuse(Code::EscrowAlreadyBid, format!("this party already bid on tender {id}"));
    }
    if t.bids.len() >= MAX_BIDS {
        return refuse(Code::EscrowBadTerms, format!("a tender takes at most {MAX_BIDS} bids"));
    }
    bond_lock(state, &t, &key, true)?;
    t.bids.push(key);
    state.tenders.put(id, t.clone());
    ev.push(Event::BidBondLocked { tender: id, bidder: key, asset: t.asset, amount: t.bond });
    Ok(())
}

pub fn award(cx: &mut Ctx, id: u64, winner: &WalletId) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut t = owned_open(state, signer, id)?;
    if now < t.bid_deadline {
        return refuse(Code::EscrowDeadline, format!("tender {id} can be awarded from {}", t.bid_deadline));
    }
    if !t.bids.contains(winner) {
        return refuse(Code::EscrowNotABidder, format!("wallet {} did not bid on tender {id}", winner.short()));
    }
    for b in t.bids.clone().iter().filter(|b| *b != winner) {
        bond_lock(state, &t, b, false)?;
        ev.push(Event::BidBondReleased { tender: id, bidder: *b, amount: t.bond });
    }
    t.status = TenderStatus::Awarded { at: now, winner: *winner };
    state.tenders.put(id, t);
    ev.push(Event::TenderAwarded { tender: id, winner: *winner });
    Ok(())
}

pub fn complete(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut t = load(state, id)?;
    owner_only(state, signer, &t)?;
    let TenderStatus::Awarded { winner, .. } = t.status.clone() else {
        return refuse(Code::EscrowClosed, format!("tender {id} is not awarded"));
    };
    bond_lock(state, &t, &winner, false)?;
    t.status = TenderStatus::Completed { at: now };
    state.tenders.put(id, t.clone());
    ev.push(Event::BidBondReleased { tender: id, bidder: winner, amount: t.bond });
    ev.push(Event::TenderCompleted { tender: id });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn default(
    state: &mut State,
    signer: WalletIdx,
    id: u64,
    reason: &str,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let mut t = load(state, id)?;
    owner_only(state, signer, &t)?;
    let TenderStatus::Awarded { winner, .. } = t.status.clone() else {
        return refuse(Code::EscrowClosed, format!("tender {id} is not awarded"));
    };
    movement::deliver(state, Movement::Settlement, &t.asset, &winner, &t.owner, t.bond, now, tx, ev)?;
    t.status = TenderStatus::Defaulted { at: now, reason: reason.into() };
    state.tenders.put(id, t.clone());
    ev.push(Event::BondForfeited { tender: id, bidder: winner, to: t.owner, amount: t.bond, reason: reason.into() });
    Ok(())
}

pub fn cancel(
    state: &mut State,
    signer: WalletIdx,
    id: u64,
    reason: &str,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let mut t = owned_open(state, signer, id)?;
    for b in t.bids.clone() {
        bond_lock(state, &t, &b, false)?;
        ev.push(Event::BidBondReleased { tender: id, bidder: b, amount: t.bond });
    }
    t.status = TenderStatus::Cancelled { at: now, reason: reason.into() };
    state.tenders.put(id, t);
    ev.push(Event::TenderCancelled { tender: id, reason: reason.into() });
    Ok(())
}

/// After a wallet recovery: bids of the lost wallet become the new wallet's.
pub fn rekey(state: &mut State, lost: &WalletId, new: &WalletId) {
    let ids: Vec<u64> = {
        let mut v: Vec<u64> = state
            .tenders
            .iter()
            .filter(|(_, t)| {
                t.bids.contains(lost)
                    || t.owner == *lost
                    || matches!(&t.status, TenderStatus::Awarded { winner, .. } if winner == lost)
            })
            .map(|(id, _)| *id)
            .collect();
        v.sort_unstable();
        v
    };
    for id in ids {
        let Some(mut t) = state.tenders.get(&id).cloned() else { continue };
        for b in &mut t.bids {
            if b == lost {
                *b = *new;
            }
        }
        if t.owner == *lost {
            t.owner = *new;
        }
        if let TenderStatus::Awarded { winner, .. } = &mut t.status {
            if winner == lost {
                *winner = *new;
            }
        }
        state.tenders.put(id, t);
    }
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for OpenTender {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let OpenTender { asset, bond, reference, .. } = self;
        check_symbol(asset)?;
        if *bond == 0 {
            return refuse(Code::EscrowBadTerms, "the bond must be positive");
        }
        check_text("reference", reference, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let OpenTender { asset, bond, bid_deadline, reference } = self;
        create(cx.state, cx.actor, asset, *bond, *bid_deadline, reference, cx.now, cx.events)
    }
}

impl Action for PlaceBid {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let PlaceBid { tender } = self;
        bid(cx, *tender)
    }
}

impl Action for AwardTender {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let AwardTender { tender, winner } = self;
        award(cx, *tender, winner)
    }
}

impl Action for CompleteTender {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CompleteTender { tender } = self;
        complete(cx, *tender)
    }
}

impl Action for DeclareDefault {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let DeclareDefault { reason: r, .. } = self;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let DeclareDefault { tender, reason } = self;
        default(cx.state, cx.actor, *tender, reason, cx.now, cx.tx, cx.events)
    }
}

impl Action for CancelTender {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let CancelTender { reason: r, .. } = self;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CancelTender { tender, reason } = self;
        cancel(cx.state, cx.actor, *tender, reason, cx.now, cx.events)
    }
}
