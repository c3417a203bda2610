//! Execution: genesis, block-boundary jobs, admission, and applying a transaction atomically.
//!
//! Phases for each transaction: stateless checks and signature (before sequencing, see `tx`);
//! `admit` (network, expiry, signer, sequence — refused at the door, never journaled); then
//! the operations run against the state, writing into the tables' undo logs. If any operation
//! fails, everything it wrote is rolled back and the receipt names the operation and the code;
//! only the signer's sequence number advances. `Chain::build_block` ties it together.

use crate::admin;
use crate::block::*;
use crate::code::{refuse, Code, Refusal};
use crate::governance::{self, Need, Proposal, ProposalStatus};
use crate::movement;
use crate::op::Op;
use crate::state::*;
use crate::tx::{CheckedTx, SignedTx};
use crate::types::*;
use crate::{cash, escrow, fund, htlc, oracle, repo, securities, settlement, yields};

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
    let mut s = State::empty();
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
/// passed and pay it out monthly, (8) pay Treasury coupons and principal due.
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
    w.next_seq += 1;
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
    let (class, need) = governance::authority(op);
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
    match op {
        Op::Propose { ops, expires_at } => propose(state, ops, *expires_at, signer, ctx, tx, ev),
        Op::Approve { proposal } => vote(state, *proposal, signer, true, ctx, tx, ev),
        Op::Reject { proposal } => vote(state, *proposal, signer, false, ctx, tx, ev),
        _ => run_op(state, op, signer, ctx, tx, ev),
    }
}

/// Executes an authorized operation (directly or from a proposal) acting as `actor`.
fn run_op(
    state: &mut State,
    op: &Op,
    actor: WalletIdx,
    ctx: &BlockContext,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let now = ctx.time;
    match op {
        Op::RegisterParty { party, name, kind } => admin::register_party(state, party, name, *kind, ev),
        Op::AddWallet { party, wallet } => admin::add_wallet(state, party, wallet, ev),
        Op::IssueClaim { party, claim, expires_at } => {
            let issuer = state.wallet(actor).key;
            admin::issue_claim(state, party, claim, *expires_at, issuer, now, ev)
        }
        Op::RevokeClaim { party, claim } => admin::revoke_claim(state, party, claim, now, ev),
        Op::LinkAddress { party, currency, address } => admin::link_address(state, party, currency, address, ev),
        Op::TrustIssuer { wallet, topics } => admin::trust_issuer(state, wallet, Some(topics), ev),
        Op::UntrustIssuer { wallet } => admin::trust_issuer(state, wallet, None, ev),
        Op::CreateAsset(spec) => admin::create_asset(state, spec, now, ev),
        Op::SetPolicy { asset, policy } => admin::set_policy(state, asset, policy, ev),
        Op::SetSupplyCap { asset, cap } => admin::set_supply_cap(state, asset, *cap, ev),
        Op::Mint { asset, to, amount } => movement::mint(state, asset, to, *amount, now, tx, ev),
        Op::Burn { asset, from, amount } => movement::burn(state, asset, from, *amount, now, tx, ev),
        Op::Transfer { asset, to, amount } => movement::transfer(state, asset, actor, to, *amount, now, tx, ev),
        Op::GrantRole { wallet, role, scope } => admin::set_role(state, wallet, *role, scope, true, ev),
        Op::RevokeRole { wallet, role, scope } => admin::set_role(state, wallet, *role, scope, false, ev),
        Op::SetThreshold { class, threshold } => admin::set_threshold(state, *class, *threshold, ev),
        Op::Pause { scope, reason } => admin::set_pause(state, scope, true, reason, ev),
        Op::Unpause { scope, reason } => admin::set_pause(state, scope, false, reason, ev),
        Op::FreezeWallet { wallet, reason } => admin::freeze_wallet(state, wallet, true, reason, ev),
        Op::UnfreezeWallet { wallet, reason } => admin::freeze_wallet(state, wallet, false, reason, ev),
        Op::FreezeAmount { asset, wallet, amount, reason } => {
            movement::freeze_amount(state, asset, wallet, *amount, true, reason, ev)
        }
        Op::UnfreezeAmount { asset, wallet, amount, reason } => {
            movement::freeze_amount(state, asset, wallet, *amount, false, reason, ev)
        }
        Op::ForceTransfer { asset, from, to, amount, reason, reference } => {
            movement::force_transfer(state, asset, from, to, *amount, *reason, reference, now, tx, ev)
        }
        Op::RecoverWallet { lost, new, reference } => movement::recover_wallet(state, lost, new, reference, ev),
        Op::SanctionAdd { targets, source } => admin::sanctions(state, targets, true, source, now, ev),
        Op::SanctionRemove { targets, source } => admin::sanctions(state, targets, false, source, now, ev),
        Op::Propose { .. } | Op::Approve { .. } | Op::Reject { .. } => {
            refuse(Code::GovernanceNestedProposal, "governance operations cannot run inside a proposal")
        }
        Op::CreateInstruction { legs, settle, trade_date, value_date, expires_at, reference } => {
            settlement::create(state, actor, legs, *settle, *trade_date, *value_date, *expires_at, reference, now, ev)
        }
        Op::AffirmInstruction { instruction } => {
            settlement::affirm(state, actor, *instruction, now, ctx.height, tx, ev)
        }
        Op::WithdrawAffirmation { instruction } => settlement::withdraw(state, actor, *instruction, now, ev),
        Op::RejectInstruction { instruction, reason } => {
            settlement::reject(state, actor, *instruction, reason, now, ev)
        }
        Op::CancelInstruction { instruction, reason } => {
            settlement::cancel(state, actor, *instruction, reason, now, ev)
        }
        Op::SettleInstruction { instruction } => settlement::settle_manual(state, actor, *instruction, now, tx, ev),
        Op::HtlcLock { asset, to, amount, hash_lock, deadline } => {
            htlc::lock(state, actor, asset, to, *amount, *hash_lock, *deadline, now, ev)
        }
        Op::HtlcClaim { htlc: id, preimage } => htlc::claim(state, actor, *id, preimage, now, tx, ev),
        Op::HtlcRefund { htlc: id } => htlc::refund(state, actor, *id, now, ev),
        Op::IssueCash { asset, to, amount, fiat_reference } => {
            cash::issue(state, asset, to, *amount, fiat_reference, now, tx, ev)
        }
        Op::RedeemCash { asset, amount, payout_reference } => {
            cash::redeem(state, actor, asset, *amount, payout_reference, now, tx, ev)
        }
        Op::RegisterConversion { cbdc, token, omnibus } => cash::register_conversion(state, cbdc, token, omnibus, ev),
        Op::ConvertCash { from, to, amount } => cash::convert(state, actor, from, to, *amount, now, tx, ev),
        Op::OpenTender { asset, bond, bid_deadline, reference } => {
            escrow::create(state, actor, asset, *bond, *bid_deadline, reference, now, ev)
        }
        Op::PlaceBid { tender } => escrow::bid(state, actor, *tender, now, ev),
        Op::AwardTender { tender, winner } => escrow::award(state, actor, *tender, winner, now, ev),
        Op::CompleteTender { tender } => escrow::complete(state, actor, *tender, now, ev),
        Op::DeclareDefault { tender, reason } => escrow::default(state, actor, *tender, reason, now, tx, ev),
        Op::CancelTender { tender, reason } => escrow::cancel(state, actor, *tender, reason, now, ev),
        Op::ProposeRepo { terms, accept_by } => repo::propose(state, actor, terms, *accept_by, now, ev),
        Op::AcceptRepo { repo: id } => repo::accept(state, actor, *id, now, tx, ev),
        Op::CancelRepo { repo: id } => repo::cancel(state, actor, *id, now, ev),
        Op::CreateYieldClass { asset, basis, cutoff_seconds, payout_day, residual } => {
            yields::create_class(state, asset, *basis, *cutoff_seconds, *payout_day, residual, now, ev)
        }
        Op::SetYieldRate { asset, rate_ppb } => yields::set_rate(state, asset, *rate_ppb, ev),
        Op::SubstituteCollateral { repo: id, asset, amount, price_micros } => {
            repo::substitute(state, actor, *id, asset, *amount, *price_micros, now, ev)
        }
        Op::RegisterOracleSource { wallet, name } => oracle::register_source(state, wallet, name, ev),
        Op::CreateFeed(spec) => oracle::create_feed(state, spec, ev),
        Op::OracleReport { feed, value, observed_at } => {
            oracle::report(state, actor, feed, *value, *observed_at, now, ev)
        }
        Op::CreateFund(spec) => fund::create_fund(state, spec, now, ev),
        Op::CreateShareClass(spec) => fund::create_class(state, spec, now, ev),
        Op::SetClassApy { asset, apy_ppb } => fund::set_apy(state, asset, *apy_ppb, now, ev),
        Op::CustodianCash { fund: f, amount, movement, reference } => {
            fund::custodian_cash(state, actor, f, *amount, *movement, reference, now, tx, ev)
        }
        Op::BuyPosition { fund: f, instrument, face, cost } => fund::buy(state, f, instrument, *face, *cost, now, ev),
        Op::SellPosition { fund: f, position, proceeds } => fund::sell(state, f, *position, *proceeds, ev),
        Op::Subscribe { class, amount } => fund::subscribe(state, actor, class, *amount, now, tx, ev),
        Op::Redeem { class, shares } => fund::redeem(state, actor, class, *shares, now, tx, ev),
        Op::ResetBreaker { fund: f, reason } => fund::reset_breaker(state, f, reason, now, ev),
        Op::ServiceSecurity { asset, cash_asset, paying_agent } => {
            securities::service(state, asset, cash_asset, paying_agent, now, ev)
        }
    }
}

fn propose(
    state: &mut State,
    ops: &[Op],
    expires_at: Time,
    signer: WalletIdx,
    ctx: &BlockContext,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    if expires_at <= ctx.time {
        return refuse(
            Code::GovernanceBadExpiry,
            format!("expiry {expires_at} is not after the block time {}", ctx.time),
        );
    }
    governance::eligible_for_all(state, signer, ops)?;
    let class = governance::class_of(ops);
    let mut meta = state.meta().clone();
    let threshold = meta.threshold(class);
    let id = meta.next_proposal;
    meta.next_proposal += 1;
    state.put_meta(meta);
    let key = state.wallet(signer).key;
    let p = Proposal {
        id,
        proposer: key,
        ops: ops.to_vec(),
        class,
        threshold,
        created_at: ctx.time,
        expires_at,
        approvals: vec![key],
        rejections: vec![],
        status: ProposalStatus::Open,
    };
    ev.push(Event::ProposalCreated { proposal: id, class, threshold, expires_at });
    ev.push(Event::ProposalApproved { proposal: id, by: key, approvals: 1 });
    state.proposals.put(id, p.clone());
    state.open_proposals.put((expires_at, id), ());
    if threshold <= 1 {
        execute_proposal(state, p, ctx, tx, ev);
    }
    Ok(())
}

fn vote(
    state: &mut State,
    id: u64,
    signer: WalletIdx,
    approve: bool,
    ctx: &BlockContext,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let mut p = state
        .proposals
        .get(&id)
        .cloned()
        .ok_or_else(|| Refusal::new(Code::GovernanceProposalUnknown, format!("no proposal {id}")))?;
    if p.status != ProposalStatus::Open || p.expires_at <= ctx.time {
        return refuse(Code::GovernanceProposalClosed, format!("proposal {id} is closed ({})", p.status));
    }
    let key = state.wallet(signer).key;
    if p.approvals.contains(&key) || p.rejections.contains(&key) {
        return refuse(Code::GovernanceAlreadyVoted, format!("wallet {} already voted on proposal {id}", key.short()));
    }
    governance::eligible_for_all(state, signer, &p.ops)?;
    if approve {
        p.approvals.push(key);
        ev.push(Event::ProposalApproved { proposal: id, by: key, approvals: p.approvals.len() as u8 });
        state.proposals.put(id, p.clone());
        if p.approvals.len() >= p.threshold as usize {
            execute_proposal(state, p, ctx, tx, ev);
        }
    } else {
        p.rejections.push(key);
        ev.push(Event::ProposalRejected { proposal: id, by: key, rejections: p.rejections.len() as u8 });
        if p.rejections.len() >= p.threshold as usize {
            p.status = ProposalStatus::Rejected { at: ctx.time };
            state.open_proposals.remove(&(p.expires_at, id));
            ev.push(Event::ProposalClosed { proposal: id, outcome: "rejected".into() });
        }
        state.proposals.put(id, p);
    }
    Ok(())
}

/// Runs an approved proposal's operations atomically. Their failure does not fail the
/// approving transaction: the proposal is closed as failed and nothing else changes.
fn execute_proposal(state: &mut State, mut p: Proposal, ctx: &BlockContext, tx: Hash, ev: &mut Vec<Event>) {
    let mark = state.mark();
    let mut inner = Vec::new();
    let actor = state.wallet_index.get(&p.proposer).copied();
    let mut result = Ok(());
    if let Some(actor) = actor {
        for op in &p.ops {
            result = run_op(state, op, actor, ctx, tx, &mut inner);
            if result.is_err() {
                break;
            }
        }
    } else {
        result = refuse(Code::WalletUnknown, "the proposer's wallet is gone");
    }
    state.open_proposals.remove(&(p.expires_at, p.id));
    match result {
        Ok(()) => {
            ev.push(Event::ProposalExecuted { proposal: p.id, approvers: p.approvals.clone() });
            ev.extend(inner);
            p.status = ProposalStatus::Executed { at: ctx.time };
        }
        Err(r) => {
            // The rollback also undid the removal above: close the proposal again.
            state.rollback(mark);
            state.open_proposals.remove(&(p.expires_at, p.id));
            ev.push(Event::ProposalFailed { proposal: p.id, code: r.code.as_str().into(), message: r.message.clone() });
            p.status = ProposalStatus::Failed { at: ctx.time, code: r.code.as_str().into(), message: r.message };
        }
    }
    state.proposals.put(p.id, p);
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
        let ctx = BlockContext { height: self.head.height + 1, time };
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
