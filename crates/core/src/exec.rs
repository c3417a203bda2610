//! Execution: genesis, block-boundary jobs, admission, and applying a transaction atomically.
//!
//! Phases for each transaction: stateless checks and signature (before sequencing, see `tx`);
//! `admit` (network, expiry, signer, sequence — refused at the door, never journaled); then
//! the operations run against the state, writing into the tables' undo logs. If any operation
//! fails, everything it wrote is rolled back and the receipt names the operation and the code;
//! only the signer's sequence number advances. `Chain::build_block` ties it together.

use crate::action::{Action, Ctx, Reaction};
use crate::admin;
use crate::block::*;
use crate::code::{refuse, Code, Refusal};
use crate::governance::{self, Need, OpClass, Proposal, ProposalStatus};
use crate::op::{Approve, Op, Propose, Reject, MAX_OPS_PER_TX};
use crate::state::*;
use crate::tx::{CheckedTx, SignedTx};
use crate::types::*;
use crate::{collateral, escrow, fund, htlc, repo, securities, settlement, yields};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockContext {
    pub height: u64,
    pub time: Time,
}

/// Builds the state a genesis describes.
pub fn genesis_state(g: &Genesis) -> Result<State, Refusal> {
    crate::tx::SignedTx::check_network(&g.network)?;
    for t in g.thresholds {
        governance::check_threshold(t)?;
    }
    check_party_id(&g.operator)?;
    if !(crate::block::RULES_V1..=crate::block::RULES_CURRENT).contains(&g.rules.0) {
        return refuse(
            Code::InputInvalid,
            format!("rules version {}: this release runs versions 1 to {}", g.rules.0, crate::block::RULES_CURRENT),
        );
    }
    let mut s = State::empty();
    if g.rules.0 != crate::block::RULES_V1 {
        s.rules.put(0, g.rules.0);
    }
    s.put_meta(Meta {
        network: g.network.clone(),
        paused: false,
        thresholds: g.thresholds,
        next_proposal: 1,
        next_instruction: 1,
        next_htlc: 1,
        next_tender: 1,
        next_repo: 1,
        next_redemption: 1,
        next_alert: 1,
        height: 0,
        time: g.time,
    });
    let mut ev = Vec::new();
    admin::register_party(&mut s, &g.operator, &g.operator_name, PartyKind::Operator, &mut ev)?;
    for grant in &g.grants {
        if !s.wallet_index.contains(&grant.wallet) {
            admin::add_wallet(&mut s, &g.operator, &grant.wallet, &mut ev)?;
        }
        for role in &grant.roles {
            admin::set_role(&mut s, &grant.wallet, *role, &Scope::Global, true, &mut ev)?;
        }
    }
    for (w, topics) in &g.trusted_issuers {
        if !s.wallet_index.contains(w) {
            admin::add_wallet(&mut s, &g.operator, w, &mut ev)?;
        }
        admin::trust_issuer(&mut s, w, Some(topics), &mut ev)?;
    }
    s.commit();
    Ok(s)
}

/// Block-boundary jobs, in fixed order: (1) record height and time, (2) expire proposals,
/// (3) settle due instructions and expire old ones, (4) mark hash time-locks past deadline,
/// (5) close repos at maturity, (6) value funds at each valuation time passed (which sets the
/// stable classes' daily rate) and pay queued redemptions, (7) accrue yield at each cut-off
/// passed and pay it out monthly, (8) pay Treasury coupons and principal due, (9) collateral:
/// schedules due, revaluation, margin-call deadlines, daily and intraday calls, loan
/// liquidations (`collateral::block_job`).
pub fn begin_block(state: &mut State, ctx: &BlockContext) -> SystemReceipt {
    let system = run_block_jobs(state, ctx);
    state.commit();
    system
}

/// The block-boundary jobs of [`begin_block`], left uncommitted so that a block with nothing
/// to record can be rolled back whole.
fn run_block_jobs(state: &mut State, ctx: &BlockContext) -> SystemReceipt {
    let mut meta = state.meta().clone();
    meta.height = ctx.height;
    meta.time = ctx.time;
    state.put_meta(meta);
    let mut events = Vec::new();
    for (at, id) in state.open_proposals.due(&(ctx.time, u64::MAX)) {
        state.open_proposals.remove(&(at, id));
        if let Some(mut p) = state.proposals.get(&id).cloned() {
            p.status = ProposalStatus::Expired { at: ctx.time };
            state.proposals.put(id, p);
        }
        events.push(Event::ProposalClosed { proposal: id, outcome: "expired".into() });
    }
    settlement::block_job(state, ctx.time, ctx.height, &mut events);
    htlc::block_job(state, ctx.time, &mut events);
    repo::block_job(state, ctx.time, &mut events);
    fund::block_job(state, ctx.time, &mut events);
    yields::block_job(state, ctx.time, &mut events);
    securities::block_job(state, ctx.time, &mut events);
    collateral::block_job(state, ctx.time, &mut events);
    SystemReceipt { events }
}

/// Door checks that need state. A refusal here means the transaction is not journaled.
pub fn admit(state: &State, tx: &SignedTx, now: Time) -> Result<WalletIdx, Refusal> {
    let b = &tx.body;
    let meta = state.meta();
    if b.network != meta.network {
        return refuse(
            Code::TxWrongNetwork,
            format!("the transaction is signed for network {}; this ledger is network {}", b.network, meta.network),
        );
    }
    if b.expires_at < now {
        return refuse(Code::TxExpired, format!("expired at {}; block time is {now}", b.expires_at));
    }
    let w =
        state.wallet_index.get(&b.signer).copied().ok_or_else(|| {
            Refusal::new(Code::TxUnknownSigner, format!("wallet {} is not registered", b.signer.short()))
        })?;
    let wallet = state.wallet(w);
    if wallet.retired_to.is_some() {
        return refuse(
            Code::WalletRetired,
            format!("wallet {} was recovered and can no longer sign", b.signer.short()),
        );
    }
    if b.seq < wallet.next_seq {
        return refuse(Code::TxReplayed, format!("sequence {} already used; next is {}", b.seq, wallet.next_seq));
    }
    if b.seq > wallet.next_seq {
        return refuse(Code::TxSequenceGap, format!("sequence {} is ahead; next is {}", b.seq, wallet.next_seq));
    }
    Ok(w)
}

/// Applies an admitted, signature-checked transaction. Always returns a receipt; on failure
/// the state is as before except the signer's sequence number.
pub fn apply(state: &mut State, tx: &CheckedTx, signer: WalletIdx, ctx: &BlockContext) -> Receipt {
    let mark = state.mark();
    let mut events = Vec::new();
    let mut failure = None;
    for (i, op) in tx.tx.body.ops.iter().enumerate() {
        if let Err(r) = run_direct(state, op, signer, ctx, tx.id, &mut events) {
            failure = Some((i as u32, r));
            break;
        }
    }
    if failure.is_some() {
        state.rollback(mark);
    }
    let mut w = state.wallet(signer).clone();
    w.next_seq = w.next_seq.checked_add(1).expect("one per transaction: no wallet signs 2^64 of them");
    state.wallets.put(signer, w);
    state.commit();
    let outcome = match failure {
        None => Outcome::Ok { events },
        Some((op_index, r)) => Outcome::Failed { op_index, code: r.code.as_str().into(), message: r.message },
    };
    Receipt { tx: tx.id, outcome }
}

/// One operation signed directly by `signer`: authority and class threshold first.
fn run_direct(
    state: &mut State,
    op: &Op,
    signer: WalletIdx,
    ctx: &BlockContext,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let (class, need) = op.authority();
    if !matches!(need, Need::Holder | Need::Governance) {
        governance::eligible(state, signer, op)?;
        let threshold = state.meta().threshold(class);
        if threshold > 1 {
            return refuse(
                Code::AuthApprovalRequired,
                format!("{} is {}: it needs {threshold} approvals; propose it", op.name(), class.as_str()),
            );
        }
    }
    let mut cx = Ctx { state, now: ctx.time, height: ctx.height, tx, actor: signer, events: ev, reactions: Vec::new() };
    match op {
        // Governance operations run here, never inside a proposal (`run_op` refuses them).
        Op::Propose(_) | Op::Approve(_) | Op::Reject(_) => op.action().execute(&mut cx),
        _ => run_op(&mut cx, op),
    }
}

/// Executes an authorized operation (directly or from a proposal) acting as `cx.actor`, then
/// runs the reactions it raised.
fn run_op(cx: &mut Ctx, op: &Op) -> Result<(), Refusal> {
    if matches!(op, Op::Propose(_) | Op::Approve(_) | Op::Reject(_)) {
        return refuse(Code::GovernanceNestedProposal, "governance operations cannot run inside a proposal");
    }
    op.action().execute(cx)?;
    for reaction in std::mem::take(&mut cx.reactions) {
        react(cx, reaction);
    }
    Ok(())
}

/// The hooks by which one domain reacts to another, run after the operation that raised the
/// reaction succeeded, in this fixed order:
/// - a wallet recovered: settlement instructions, hash time-locks, tenders, repos, then funds
///   re-key the commitments they recorded under the lost wallet (its locked units moved);
/// - a feed's breaker tripped: every fund whose yield or NAV feed it is, or whose positions
///   it prices, halts (`fund::trip_for_feed`).
fn react(cx: &mut Ctx, reaction: Reaction) {
    match reaction {
        Reaction::WalletRecovered { lost, new } => {
            settlement::rekey(cx.state, &lost, &new);
            htlc::rekey(cx.state, &lost, &new);
            escrow::rekey(cx.state, &lost, &new);
            repo::rekey(cx.state, &lost, &new);
            fund::rekey(cx.state, &lost, &new);
            collateral::rekey(cx.state, &lost, &new);
        }
        Reaction::FeedTripped { feed, detail } => fund::trip_for_feed(cx.state, &feed, &detail, cx.now, cx.events),
        Reaction::FeedReported => collateral::revalue_moved(cx.state, cx.now, cx.events),
    }
}

impl Action for Propose {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Governance)
    }
    fn check(&self) -> Result<(), Refusal> {
        let Propose { ops, .. } = self;
        if ops.is_empty() || ops.len() > MAX_OPS_PER_TX {
            return refuse(Code::TxBadOpCount, format!("a proposal holds 1 to {MAX_OPS_PER_TX} operations"));
        }
        for op in ops {
            if matches!(op, Op::Approve(_) | Op::Reject(_) | Op::Propose(_)) {
                return refuse(Code::GovernanceNestedProposal, "a proposal cannot contain propose, approve or reject");
            }
            op.check_stateless(1)?;
        }
        Ok(())
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        propose(cx, &self.ops, self.expires_at)
    }
}

impl Action for Approve {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Governance)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        vote(cx, self.proposal, true)
    }
}

impl Action for Reject {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Governance)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        vote(cx, self.proposal, false)
    }
}

fn propose(cx: &mut Ctx, ops: &[Op], expires_at: Time) -> Result<(), Refusal> {
    if expires_at <= cx.now {
        return refuse(
            Code::GovernanceBadExpiry,
            format!("expiry {expires_at} is not after the block time {}", cx.now),
        );
    }
    let state = &mut *cx.state;
    governance::eligible_for_all(state, cx.actor, ops)?;
    let class = governance::class_of(ops);
    let mut meta = state.meta().clone();
    let threshold = meta.threshold(class);
    let id = meta.next_proposal;
    meta.next_proposal =
        meta.next_proposal.checked_add(1).expect("one per proposal: the chain never holds 2^64 of them");
    state.put_meta(meta);
    let key = state.wallet(cx.actor).key;
    let p = Proposal {
        id,
        proposer: key,
        ops: ops.to_vec(),
        class,
        threshold,
        created_at: cx.now,
        expires_at,
        approvals: vec![key],
        rejections: vec![],
        status: ProposalStatus::Open,
    };
    cx.events.push(Event::ProposalCreated { proposal: id, class, threshold, expires_at });
    cx.events.push(Event::ProposalApproved { proposal: id, by: key, approvals: 1 });
    state.proposals.put(id, p.clone());
    state.open_proposals.put((expires_at, id), ());
    if threshold <= 1 {
        execute_proposal(cx, p);
    }
    Ok(())
}

/// Whether `wallet` may vote on proposal `id` at `now`: the proposal, or the refusal a vote
/// would get. Read-only, so a pre-check asks the same question the vote does.
pub fn may_vote(state: &State, wallet: WalletIdx, id: u64, now: Time) -> Result<Proposal, Refusal> {
    let p = state
        .proposals
        .get(&id)
        .cloned()
        .ok_or_else(|| Refusal::new(Code::GovernanceProposalUnknown, format!("no proposal {id}")))?;
    if p.status != ProposalStatus::Open || p.expires_at <= now {
        return refuse(Code::GovernanceProposalClosed, format!("proposal {id} is closed ({})", p.status));
    }
    let key = state.wallet(wallet).key;
    if p.approvals.contains(&key) || p.rejections.contains(&key) {
        return refuse(Code::GovernanceAlreadyVoted, format!("wallet {} already voted on proposal {id}", key.short()));
    }
    governance::eligible_for_all(state, wallet, &p.ops)?;
    Ok(p)
}

fn vote(cx: &mut Ctx, id: u64, approve: bool) -> Result<(), Refusal> {
    let mut p = may_vote(cx.state, cx.actor, id, cx.now)?;
    let state = &mut *cx.state;
    let key = state.wallet(cx.actor).key;
    if approve {
        p.approvals.push(key);
        cx.events.push(Event::ProposalApproved { proposal: id, by: key, approvals: p.approvals.len() as u8 });
        state.proposals.put(id, p.clone());
        if p.approvals.len() >= p.threshold as usize {
            execute_proposal(cx, p);
        }
    } else {
        p.rejections.push(key);
        cx.events.push(Event::ProposalRejected { proposal: id, by: key, rejections: p.rejections.len() as u8 });
        if p.rejections.len() >= p.threshold as usize {
            p.status = ProposalStatus::Rejected { at: cx.now };
            state.open_proposals.remove(&(p.expires_at, id));
            cx.events.push(Event::ProposalClosed { proposal: id, outcome: "rejected".into() });
        }
        state.proposals.put(id, p);
    }
    Ok(())
}

/// Runs an approved proposal's operations atomically. Their failure does not fail the
/// approving transaction: the proposal is closed as failed and nothing else changes.
fn execute_proposal(cx: &mut Ctx, mut p: Proposal) {
    let mark = cx.state.mark();
    let mut inner = Vec::new();
    let actor = cx.state.wallet_index.get(&p.proposer).copied();
    let mut result = Ok(());
    if let Some(actor) = actor {
        let mut as_proposer = Ctx {
            state: &mut *cx.state,
            now: cx.now,
            height: cx.height,
            tx: cx.tx,
            actor,
            events: &mut inner,
            reactions: Vec::new(),
        };
        for op in &p.ops {
            result = run_op(&mut as_proposer, op);
            if result.is_err() {
                break;
            }
        }
    } else {
        result = refuse(Code::WalletUnknown, "the proposer's wallet is gone");
    }
    cx.state.open_proposals.remove(&(p.expires_at, p.id));
    match result {
        Ok(()) => {
            cx.events.push(Event::ProposalExecuted { proposal: p.id, approvers: p.approvals.clone() });
            cx.events.extend(inner);
            p.status = ProposalStatus::Executed { at: cx.now };
        }
        Err(r) => {
            // The rollback also undid the removal above: close the proposal again.
            cx.state.rollback(mark);
            cx.state.open_proposals.remove(&(p.expires_at, p.id));
            cx.events.push(Event::ProposalFailed {
                proposal: p.id,
                code: r.code.as_str().into(),
                message: r.message.clone(),
            });
            p.status = ProposalStatus::Failed { at: cx.now, code: r.code.as_str().into(), message: r.message };
        }
    }
    cx.state.proposals.put(p.id, p);
}

/// What happened to a submitted transaction.
#[derive(Clone, Debug)]
pub enum Admission {
    /// Journaled in the block at this index, with this receipt.
    Included(usize),
    /// Refused at the door: not journaled.
    Refused(Refusal),
}

/// The ledger as a chain of blocks over a state: the deterministic heart shared by the node,
/// the scenario runner and `verify`.
pub struct Chain {
    pub state: State,
    pub head: BlockHeader,
}

impl Chain {
    /// The chain after its genesis block.
    pub fn genesis(g: &Genesis) -> Result<(Chain, Block), Refusal> {
        let state = genesis_state(g)?;
        #[cfg(debug_assertions)]
        if let Err(e) = state.check_invariants() {
            panic!("genesis: broken invariant: {e}");
        }
        let body =
            BlockBody { genesis: Some(g.clone()), txs: vec![], receipts: vec![], system: SystemReceipt::default() };
        let header = BlockHeader {
            height: 0,
            prev: Hash::default(),
            time: g.time,
            tx_count: 0,
            tx_root: body.tx_root(),
            receipt_root: body.receipt_root(),
            state_digest: state.digest(),
        };
        let block = Block { header: header.clone(), body };
        Ok((Chain { state, head: header }, block))
    }

    pub fn height(&self) -> u64 {
        self.head.height
    }

    /// Orders checked transactions into the next block at `time` (never before the head's
    /// time). Returns the block and, per input, whether it was included or refused. Always
    /// builds a block, even one with nothing in it: replay uses it to rebuild stored blocks.
    pub fn build_block(&mut self, time: Time, txs: Vec<CheckedTx>) -> (Block, Vec<Admission>) {
        let (block, admissions) = self.build(time, txs, true);
        (block.unwrap_or_else(|| unreachable!("an empty block is always built when asked for")), admissions)
    }

    /// Like [`Chain::build_block`], but builds nothing when there is nothing to record: no
    /// transaction was admitted (so every one was refused at the door, which is never
    /// journaled), no block-boundary job reported an event and none changed the state. Then
    /// the chain is exactly as before (height, time, state) and the answer is `None` — time
    /// passing with nothing to do writes nothing.
    pub fn try_build_block(&mut self, time: Time, txs: Vec<CheckedTx>) -> (Option<Block>, Vec<Admission>) {
        self.build(time, txs, false)
    }

    fn build(&mut self, time: Time, txs: Vec<CheckedTx>, always: bool) -> (Option<Block>, Vec<Admission>) {
        let time = time.max(self.head.time);
        let height = self.head.height.checked_add(1).expect("one per block: the chain never reaches 2^64 blocks");
        let ctx = BlockContext { height, time };
        let before = self.state.mark();
        let system = run_block_jobs(&mut self.state, &ctx);
        let mut included = Vec::with_capacity(txs.len());
        let mut receipts = Vec::with_capacity(txs.len());
        let mut admissions = Vec::with_capacity(txs.len());
        for tx in txs {
            match admit(&self.state, &tx.tx, time) {
                Err(r) => admissions.push(Admission::Refused(r)),
                Ok(signer) => {
                    receipts.push(apply(&mut self.state, &tx, signer, &ctx));
                    admissions.push(Admission::Included(included.len()));
                    included.push(tx.tx);
                }
            }
        }
        if !always && included.is_empty() && system.events.is_empty() && !self.state.changed_beyond_meta(&before) {
            self.state.rollback(before);
            debug_assert_eq!(self.state.meta().height, self.head.height);
            return (None, admissions);
        }
        self.state.commit();
        // An impossible state is a bug: stop at the block that made it, in debug builds and
        // tests only (the checks walk the whole state; release builds do not pay for them).
        #[cfg(debug_assertions)]
        {
            // Rehashing the whole state after every block cost more than all the other checks
            // together (half again the debug test time): it runs on a sample of blocks.
            let checked = if ctx.height.is_multiple_of(crate::invariants::DIGEST_CHECK_EVERY) {
                self.state.check_invariants()
            } else {
                self.state.check_invariants_but_digest()
            };
            if let Err(e) = checked {
                panic!("block {}: broken invariant: {e}", ctx.height);
            }
        }
        let body = BlockBody { genesis: None, txs: included, receipts, system };
        let header = BlockHeader {
            height: ctx.height,
            prev: self.head.hash(),
            time,
            tx_count: body.txs.len() as u32,
            // Each receipt names its transaction's id, computed once at the door.
            tx_root: merkle_root(&body.receipts.iter().map(|r| r.tx).collect::<Vec<_>>()),
            receipt_root: body.receipt_root(),
            state_digest: self.state.digest(),
        };
        debug_assert_eq!(header.tx_root, body.tx_root());
        self.head = header.clone();
        (Some(Block { header, body }), admissions)
    }
}
