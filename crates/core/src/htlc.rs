//! Hash time-locked transfers (S4), for atomic swaps with another ledger.
//!
//! The sender locks an amount for a receiver under SHA-256(secret) and a deadline. Before the
//! deadline the receiver claims it by revealing the secret (the claim is a settlement leg,
//! checked like a transfer); the revealed secret is in the claim's receipt, where the other
//! ledger's party reads it. Deadlines are handled at block boundaries: the first block at or
//! after the deadline marks the lock expired, after which only the sender's refund works.
//! See docs/atomic-swaps.md for the protocol and its timing margins.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::Movement;
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::state::*;
use crate::types::*;

pub use crate::model::htlc::*;

fn load(state: &State, id: u64) -> Result<Htlc, Refusal> {
    state.htlcs.get(&id).cloned().ok_or_else(|| Refusal::new(Code::HtlcUnknown, format!("no hash time-lock {id}")))
}

#[allow(clippy::too_many_arguments)]
pub fn lock(
    state: &mut State,
    signer: WalletIdx,
    asset: &Symbol,
    to: &WalletId,
    amount: Amount,
    hash_lock: Hash,
    deadline: Time,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    if deadline <= now {
        return refuse(Code::HtlcBadDeadline, format!("deadline {deadline} is not after the block time {now}"));
    }
    let a = state.asset_idx(asset)?;
    let r = state.wallet_idx(to)?;
    if r == signer {
        return refuse(Code::TransferToSelf, "a wallet cannot lock units for itself");
    }
    let asset_rec = state.asset(a);
    if state.meta().paused || asset_rec.paused {
        return refuse(
            if state.meta().paused { Code::LedgerPaused } else { Code::AssetPaused },
            "movements are paused",
        );
    }
    movement::lock(state, a, signer, amount, true)?;
    let id = state.next_id(|m| &mut m.next_htlc);
    let sender = state.wallet(signer).key;
    state.htlcs.put(
        id,
        Htlc {
            id,
            asset: asset.clone(),
            amount,
            sender,
            receiver: *to,
            hash_lock,
            deadline,
            status: HtlcStatus::Locked,
        },
    );
    state.open_htlcs.put((deadline, id), ());
    ev.push(Event::HtlcLocked { htlc: id, asset: asset.clone(), from: sender, to: *to, amount, hash_lock, deadline });
    Ok(())
}

pub fn claim(cx: &mut Ctx, id: u64, preimage: &[u8]) -> Result<(), Refusal> {
    let (signer, now, tx) = (cx.actor, cx.now, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut h = load(state, id)?;
    match h.status {
        HtlcStatus::Locked if h.deadline > now => {}
        HtlcStatus::Locked | HtlcStatus::Expired { .. } => {
            return refuse(Code::HtlcExpired, format!("lock {id} passed its deadline {}", h.deadline))
        }
        _ => return refuse(Code::HtlcClosed, format!("lock {id} is closed ({})", h.status)),
    }
    if state.wallet(signer).key != h.receiver {
        return refuse(Code::HtlcWrongParty, "only the lock's receiver may claim it");
    }
    if crate::crypto::sha256(preimage) != h.hash_lock {
        return refuse(Code::HtlcBadPreimage, "the preimage does not hash to the lock");
    }
    movement::deliver(state, Movement::Settlement, &h.asset, &h.sender, &h.receiver, h.amount, now, tx, ev)?;
    h.status = HtlcStatus::Claimed { at: now };
    state.open_htlcs.remove(&(h.deadline, id));
    ev.push(Event::HtlcClaimed { htlc: id, preimage: hex::encode(preimage), to: h.receiver, amount: h.amount });
    state.htlcs.put(id, h);
    Ok(())
}

pub fn refund(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut h = load(state, id)?;
    match h.status {
        HtlcStatus::Expired { .. } => {}
        HtlcStatus::Locked if h.deadline <= now => {}
        HtlcStatus::Locked => {
            return refuse(Code::HtlcNotExpired, format!("lock {id} can be refunded from {}", h.deadline))
        }
        _ => return refuse(Code::HtlcClosed, format!("lock {id} is closed ({})", h.status)),
    }
    if state.wallet(signer).key != h.sender {
        return refuse(Code::HtlcWrongParty, "only the lock's sender may refund it");
    }
    let (a, w) = (state.asset_idx(&h.asset)?, state.wallet_idx(&h.sender)?);
    movement::lock(state, a, w, h.amount, false)?;
    h.status = HtlcStatus::Refunded { at: now };
    if state.open_htlcs.contains(&(h.deadline, id)) {
        state.open_htlcs.remove(&(h.deadline, id));
    }
    ev.push(Event::HtlcRefunded { htlc: id, to: h.sender, amount: h.amount });
    state.htlcs.put(id, h);
    Ok(())
}

/// Block-boundary job: locks whose deadline has come are marked expired, in (deadline, id)
/// order. Only what is due is visited.
pub fn block_job(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    for (deadline, id) in state.open_htlcs.due(&(now, u64::MAX)) {
        // Stays open (for its refund) but leaves the deadline queue.
        state.open_htlcs.remove(&(deadline, id));
        let Some(mut h) = state.htlcs.get(&id).cloned() else { continue };
        if h.status == HtlcStatus::Locked {
            h.status = HtlcStatus::Expired { at: now };
            state.htlcs.put(id, h);
            ev.push(Event::HtlcExpired { htlc: id });
        }
    }
}

/// After a wallet recovery: open locks that name the lost wallet name the new one.
pub fn rekey(state: &mut State, lost: &WalletId, new: &WalletId) {
    let mut ids: Vec<u64> = state
        .htlcs
        .iter()
        .filter(|(_, h)| matches!(h.status, HtlcStatus::Locked | HtlcStatus::Expired { .. }))
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    for id in ids {
        let Some(mut h) = state.htlcs.get(&id).cloned() else { continue };
        let mut changed = false;
        for w in [&mut h.sender, &mut h.receiver] {
            if w == lost {
                *w = *new;
                changed = true;
            }
        }
        if changed {
            state.htlcs.put(id, h);
        }
    }
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for HtlcLock {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let HtlcLock { asset, amount, .. } = self;
        check_symbol(asset)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let HtlcLock { asset, to, amount, hash_lock, deadline } = self;
        lock(cx.state, cx.actor, asset, to, *amount, *hash_lock, *deadline, cx.now, cx.events)
    }
}

impl Action for HtlcClaim {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let HtlcClaim { preimage, .. } = self;
        if preimage.len() > crate::model::htlc::MAX_PREIMAGE_BYTES {
            return refuse(
                Code::FieldTooLong,
                format!("a preimage is at most {} bytes", crate::model::htlc::MAX_PREIMAGE_BYTES),
            );
        }
        Ok(())
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let HtlcClaim { htlc: id, preimage } = self;
        claim(cx, *id, preimage)
    }
}

impl Action for HtlcRefund {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let HtlcRefund { htlc: id } = self;
        refund(cx, *id)
    }
}
