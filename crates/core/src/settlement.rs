//! Settlement instructions (S2): delivery versus payment with any number of legs.
//!
//! Life of an instruction: created (by a party on its legs or by a venue) → each sending party
//! affirms, which locks its legs (free → locked) → settles atomically, by the mode chosen:
//! on the last affirmation, at the value date, at a block height, or by the venue. At
//! settlement every leg is checked again as a transfer (pause, freeze, compliance); the legs
//! run in the order listed; if one fails, none moves, everything unlocks and the receipt
//! names the leg and the code. Cancellation, rejection and expiry also unlock.
//!
//! Invariant: while an instruction is pending, each affirming party's legs hold exactly their
//! amounts in the senders' `locked` balances; when it closes, they are delivered or released.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::Movement;
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::state::*;
use crate::types::*;

pub use crate::model::settlement::*;

impl Instruction {
    /// Parties that send on at least one leg, sorted.
    pub fn senders(&self, state: &State) -> Vec<PartyId> {
        let mut v: Vec<PartyId> = self.legs.iter().filter_map(|l| Instruction::party_of(state, &l.from)).collect();
        v.sort();
        v.dedup();
        v
    }
    fn party_of(state: &State, w: &WalletId) -> Option<PartyId> {
        state.wallet_index.get(w).map(|i| signer_party(state, *i))
    }
}

fn signer_party(state: &State, wallet: WalletIdx) -> PartyId {
    state.party(state.wallet(wallet).party).id.clone()
}

/// Does the party send or receive on any of the legs?
fn legs_involve(state: &State, legs: &[Leg], party: &PartyId) -> bool {
    legs.iter().any(|l| {
        Instruction::party_of(state, &l.from).as_ref() == Some(party)
            || Instruction::party_of(state, &l.to).as_ref() == Some(party)
    })
}

fn load(state: &State, id: u64) -> Result<Instruction, Refusal> {
    state
        .instructions
        .get(&id)
        .cloned()
        .ok_or_else(|| Refusal::new(Code::SettlementUnknown, format!("no instruction {id}")))
}

fn ensure_pending(i: &Instruction, now: Time) -> Result<(), Refusal> {
    if i.status != InstructionStatus::Pending || i.expires_at <= now {
        return refuse(Code::SettlementClosed, format!("instruction {} is not pending ({})", i.id, i.status));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn create(
    state: &mut State,
    signer: WalletIdx,
    legs: &[Leg],
    mode: SettleMode,
    trade_date: Option<Time>,
    value_date: Option<Time>,
    expires_at: Time,
    reference: &str,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    if expires_at <= now {
        return refuse(Code::SettlementBadSchedule, "the instruction would expire before it is created");
    }
    match (mode, value_date) {
        (SettleMode::AtValueDate, None) => {
            return refuse(Code::SettlementBadSchedule, "settling at the value date needs a value date")
        }
        (_, Some(v)) if v >= expires_at => {
            return refuse(Code::SettlementBadSchedule, "the value date must come before the expiry")
        }
        _ => {}
    }
    if let (Some(t), Some(v)) = (trade_date, value_date) {
        if v < t {
            return refuse(Code::SettlementBadSchedule, "the value date precedes the trade date");
        }
    }
    for l in legs {
        state.asset_idx(&l.asset)?;
        state.wallet_idx(&l.from)?;
        state.wallet_idx(&l.to)?;
    }
    let key = state.wallet(signer).key;
    let party = signer_party(state, signer);
    let is_venue = state.has_role(signer, Role::Venue, None);
    if !legs_involve(state, legs, &party) && !is_venue {
        return refuse(
            Code::SettlementNotAParty,
            "only a party on the legs or a registered venue may create an instruction",
        );
    }
    let id = state.next_id(|m| &mut m.next_instruction);
    let instr = Instruction {
        id,
        creator: key,
        venue: is_venue.then_some(key),
        legs: legs.to_vec(),
        mode,
        trade_date,
        value_date,
        expires_at,
        reference: reference.to_string(),
        affirmed: vec![],
        status: InstructionStatus::Pending,
        history: vec![(now, format!("created by {party}"))],
    };
    schedule(state, &instr, true);
    state.instructions.put(id, instr);
    ev.push(Event::InstructionCreated { instruction: id, legs: legs.len() as u32, venue: is_venue.then_some(key) });
    Ok(())
}

/// Locks (or releases) every leg a party sends on.
fn lock_party_legs(state: &mut State, i: &Instruction, party: &PartyId, lock: bool) -> Result<(), Refusal> {
    for (n, l) in i.legs.iter().enumerate() {
        if Instruction::party_of(state, &l.from).as_ref() == Some(party) {
            let (a, w) = (state.asset_idx(&l.asset)?, state.wallet_idx(&l.from)?);
            movement::lock(state, a, w, l.amount, lock)
                .map_err(|e| Refusal::new(e.code, format!("leg {n}: {}", e.message)))?;
        }
    }
    Ok(())
}

/// Releases every affirmed party's locks.
fn release_all(state: &mut State, i: &Instruction) -> Result<(), Refusal> {
    for p in i.affirmed.clone() {
        lock_party_legs(state, i, &p, false)?;
    }
    Ok(())
}

/// Adds (or removes) the instruction's wake-ups: its expiry, its value date when it settles
/// then, its height when it settles at one.
fn schedule(state: &mut State, i: &Instruction, add: bool) {
    let mut times = vec![i.expires_at];
    if let (SettleMode::AtValueDate, Some(v)) = (i.mode, i.value_date) {
        times.push(v);
    }
    for t in times {
        if add {
            state.open_instructions.put((t, i.id), ());
        } else if state.open_instructions.contains(&(t, i.id)) {
            state.open_instructions.remove(&(t, i.id));
        }
    }
    if let SettleMode::AtHeight(h) = i.mode {
        if add {
            state.height_instructions.put((h, i.id), ());
        } else if state.height_instructions.contains(&(h, i.id)) {
            state.height_instructions.remove(&(h, i.id));
        }
    }
}

/// Is a scheduled instruction due to settle now (its value date or height has come)?
fn due(i: &Instruction, now: Time, height: u64) -> bool {
    match i.mode {
        SettleMode::AtValueDate => i.value_date.is_some_and(|v| v <= now),
        SettleMode::AtHeight(h) => h <= height,
        SettleMode::OnAffirmation => true,
        SettleMode::Manual => false,
    }
}

fn close(state: &mut State, mut i: Instruction, status: InstructionStatus, note: String, now: Time) {
    i.status = status;
    i.history.push((now, note));
    schedule(state, &i, false);
    state.instructions.put(i.id, i);
}

/// Whether `signer` may affirm instruction `id` at `now`: the instruction and the signer's
/// party, or the refusal the affirmation would get before locking anything. Read-only, so a
/// pre-check asks the same question the affirmation does.
pub fn may_affirm(state: &State, signer: WalletIdx, id: u64, now: Time) -> Result<(Instruction, PartyId), Refusal> {
    let i = load(state, id)?;
    ensure_pending(&i, now)?;
    let party = signer_party(state, signer);
    if !i.senders(state).contains(&party) {
        return refuse(Code::SettlementNotASender, format!("party {party} sends on no leg of instruction {id}"));
    }
    if i.affirmed.contains(&party) {
        return refuse(Code::SettlementAlreadyAffirmed, format!("party {party} already affirmed instruction {id}"));
    }
    Ok((i, party))
}

pub fn affirm(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (signer, ctx_time, height, tx) = (cx.actor, cx.now, cx.height, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let (mut i, party) = may_affirm(state, signer, id, ctx_time)?;
    lock_party_legs(state, &i, &party, true)?;
    i.affirmed.push(party.clone());
    i.affirmed.sort();
    i.history.push((ctx_time, format!("affirmed by {party}")));
    ev.push(Event::InstructionAffirmed { instruction: id, party });
    let ready = i.affirmed.len() == i.senders(state).len();
    state.instructions.put(id, i.clone());
    // On affirmation, or a scheduled instruction whose date or height has already come.
    if ready && due(&i, ctx_time, height) {
        settle(state, i, ctx_time, tx, ev);
    }
    Ok(())
}

pub fn withdraw(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let mut i = load(state, id)?;
    ensure_pending(&i, now)?;
    let party = signer_party(state, signer);
    if !i.affirmed.contains(&party) {
        return refuse(Code::SettlementNotAffirmed, format!("party {party} has not affirmed instruction {id}"));
    }
    lock_party_legs(state, &i, &party, false)?;
    i.affirmed.retain(|p| *p != party);
    i.history.push((now, format!("affirmation withdrawn by {party}")));
    state.instructions.put(id, i);
    ev.push(Event::AffirmationWithdrawn { instruction: id, party });
    Ok(())
}

pub fn reject(cx: &mut Ctx, id: u64, reason: &str) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let i = load(state, id)?;
    ensure_pending(&i, now)?;
    let party = signer_party(state, signer);
    if !legs_involve(state, &i.legs, &party) {
        return refuse(Code::SettlementNotAParty, format!("party {party} is on no leg of instruction {id}"));
    }
    release_all(state, &i)?;
    ev.push(Event::InstructionRejected { instruction: id, party: party.clone(), reason: reason.into() });
    close(
        state,
        i,
        InstructionStatus::Rejected { at: now, by: party.clone(), reason: reason.into() },
        format!("rejected by {party}: {reason}"),
        now,
    );
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
    let i = load(state, id)?;
    ensure_pending(&i, now)?;
    let key = state.wallet(signer).key;
    if key != i.creator && Some(key) != i.venue {
        return refuse(Code::SettlementNotVenue, "only the instruction's creator or venue may cancel it");
    }
    release_all(state, &i)?;
    ev.push(Event::InstructionCancelled { instruction: id, by: key, reason: reason.into() });
    close(
        state,
        i,
        InstructionStatus::Cancelled { at: now, by: key, reason: reason.into() },
        format!("cancelled: {reason}"),
        now,
    );
    Ok(())
}

/// Manual settlement by the venue.
pub fn settle_manual(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (signer, now, tx) = (cx.actor, cx.now, cx.tx);
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let i = load(state, id)?;
    ensure_pending(&i, now)?;
    let key = state.wallet(signer).key;
    if i.mode != SettleMode::Manual || Some(key) != i.venue {
        return refuse(Code::SettlementNotVenue, "only the venue settles, and only a manual instruction");
    }
    if i.affirmed.len() != i.senders(state).len() {
        return refuse(Code::SettlementNotReady, format!("instruction {id}: not every sending party has affirmed"));
    }
    settle(state, i, now, tx, ev);
    Ok(())
}

/// Delivers every leg, in order, as one unit. On any failure nothing is delivered, every lock
/// is released, and the instruction closes as failed naming the leg and the code. Never
/// fails the surrounding transaction: the outcome is in the events.
pub fn settle(state: &mut State, i: Instruction, now: Time, tx: Hash, ev: &mut Vec<Event>) {
    let mark = state.mark();
    let mut delivered = Vec::new();
    let mut failure = None;
    for (n, l) in i.legs.iter().enumerate() {
        match movement::deliver(
            state,
            Movement::Settlement,
            &l.asset,
            &l.from,
            &l.to,
            l.amount,
            now,
            tx,
            &mut delivered,
        ) {
            Ok(()) => delivered.push(Event::LegSettled {
                instruction: i.id,
                leg: n as u32,
                asset: l.asset.clone(),
                from: l.from,
                to: l.to,
                amount: l.amount,
            }),
            Err(r) => {
                failure = Some((n as u32, r));
                break;
            }
        }
    }
    match failure {
        None => {
            ev.extend(delivered);
            ev.push(Event::InstructionSettled { instruction: i.id, legs: i.legs.len() as u32 });
            close(state, i, InstructionStatus::Settled { at: now }, "settled".into(), now);
        }
        Some((leg, r)) => {
            state.rollback(mark);
            release_all(state, &i).expect("the affirmed parties' locks are there (the invariants)");
            ev.push(Event::InstructionFailed {
                instruction: i.id,
                leg,
                code: r.code.as_str().into(),
                message: r.message.clone(),
            });
            close(
                state,
                i,
                InstructionStatus::Failed { at: now, leg, code: r.code.as_str().into(), message: r.message.clone() },
                format!("failed at leg {leg}: {}", r.code),
                now,
            );
        }
    }
}

/// Block-boundary job: expire instructions past their expiry, settle those whose value date
/// or height has come (if every sending party has affirmed). Visits only what is due, in
/// (time, id) order, then (height, id) order.
pub fn block_job(state: &mut State, now: Time, height: u64, ev: &mut Vec<Event>) {
    let mut due_ids: Vec<u64> = state.open_instructions.due(&(now, u64::MAX)).into_iter().map(|(_, id)| id).collect();
    due_ids.extend(state.height_instructions.due(&(height, u64::MAX)).into_iter().map(|(_, id)| id));
    let mut seen = std::collections::BTreeSet::new();
    for id in due_ids {
        if !seen.insert(id) {
            continue;
        }
        let Some(i) = state.instructions.get(&id).cloned() else { continue };
        if i.status != InstructionStatus::Pending {
            continue;
        }
        if i.expires_at <= now {
            release_all(state, &i).expect("the affirmed parties' locks are there (the invariants)");
            ev.push(Event::InstructionExpired { instruction: id });
            close(state, i, InstructionStatus::Expired { at: now }, "expired".into(), now);
            continue;
        }
        // Its date or height has come: this wake-up is used up either way.
        if let (SettleMode::AtValueDate, Some(v)) = (i.mode, i.value_date) {
            state.open_instructions.remove(&(v, id));
        }
        if let SettleMode::AtHeight(h) = i.mode {
            state.height_instructions.remove(&(h, id));
        }
        if i.affirmed.len() == i.senders(state).len() {
            settle(state, i, now, Hash::default(), ev);
        }
    }
}

/// After a wallet recovery: open instructions that name the lost wallet name the new one.
pub fn rekey(state: &mut State, lost: &WalletId, new: &WalletId) {
    let mut open: Vec<u64> = state.open_instructions.iter().map(|((_, id), _)| *id).collect();
    open.sort_unstable();
    open.dedup();
    for id in open {
        let Some(mut i) = state.instructions.get(&id).cloned() else { continue };
        let mut changed = false;
        for l in &mut i.legs {
            for w in [&mut l.from, &mut l.to] {
                if w == lost {
                    *w = *new;
                    changed = true;
                }
            }
        }
        if changed {
            state.instructions.put(id, i);
        }
    }
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for CreateInstruction {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let CreateInstruction { legs, reference, .. } = self;
        crate::model::settlement::check_legs(legs)?;
        check_text("reference", reference, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CreateInstruction { legs, settle, trade_date, value_date, expires_at, reference } = self;
        create(cx.state, cx.actor, legs, *settle, *trade_date, *value_date, *expires_at, reference, cx.now, cx.events)
    }
}

impl Action for AffirmInstruction {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let AffirmInstruction { instruction } = self;
        affirm(cx, *instruction)
    }
}

impl Action for WithdrawAffirmation {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let WithdrawAffirmation { instruction } = self;
        withdraw(cx, *instruction)
    }
}

impl Action for RejectInstruction {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let RejectInstruction { reason: r, .. } = self;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RejectInstruction { instruction, reason } = self;
        reject(cx, *instruction, reason)
    }
}

impl Action for CancelInstruction {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let CancelInstruction { reason: r, .. } = self;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CancelInstruction { instruction, reason } = self;
        cancel(cx.state, cx.actor, *instruction, reason, cx.now, cx.events)
    }
}

impl Action for SettleInstruction {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SettleInstruction { instruction } = self;
        settle_manual(cx, *instruction)
    }
}
