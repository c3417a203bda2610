//! The read model: every read the CLI, the `--node` client and the HTTP API offer, answered
//! here once, with typed answers, and filtered by one visibility rule.
//!
//! - Each read takes the state (or the journal) and a [`Viewer`], checks what the viewer may
//!   ask, and returns a typed answer that serializes to the JSON the API serves.
//! - Visibility (SPEC A2) lives in [`viewer`]: rows say whom they involve ([`Involves`]), the
//!   viewer decides. The CLI on a data directory reads as [`Viewer::everything`].
//! - Reads never write: the CLI opens the store read-only, the node reads under its chain lock.

mod collateral;
mod compliance;
pub mod history;
mod registers;
mod rows;
pub mod viewer;
mod written;

pub use collateral::*;
pub use compliance::*;
pub use history::{decimal_units, Counterparty, Direction, Move, TxResult};
pub use registers::*;
pub use rows::*;
pub use viewer::{tx_involves, Involved, Involves, Viewer};
pub use written::{answer, from_answer, Part, Written};

use tessera_core::block::Block;
use tessera_core::escrow::Tender;
use tessera_core::fund::{Fund, Redemption};
use tessera_core::governance::Proposal;
use tessera_core::htlc::Htlc;
use tessera_core::movement::{self, Intent};
use tessera_core::repo::Repo;
use tessera_core::settlement::Instruction;
use tessera_core::state::{Alert, State};
use tessera_core::*;
use tessera_store::Journal;

/// The rows of a table the viewer sees, in key order.
fn visible<'a, T: Involves + Clone + 'a>(viewer: &Viewer, rows: impl IntoIterator<Item = &'a T>) -> Vec<T> {
    rows.into_iter().filter(|r| viewer.sees(*r)).cloned().collect()
}

/// The holdings of one wallet.
pub fn wallet_balances(st: &State, viewer: &Viewer, w: &WalletId) -> Result<Vec<BalanceRow>, Refusal> {
    viewer.may_read_wallet(w)?;
    Ok(balances(st, &[*w]))
}

/// The holdings of every wallet of a party.
pub fn party_balances(st: &State, viewer: &Viewer, party: &str) -> Result<Vec<BalanceRow>, Refusal> {
    // Permission first: a refusal must not tell whether the party exists.
    viewer.may_read_party(party)?;
    let pi = st.party_idx(&PartyId::new(party))?;
    let wallets: Vec<WalletId> = st.party(pi).wallets.iter().map(|w| st.wallet(*w).key).collect();
    Ok(balances(st, &wallets))
}

/// The holder register of an asset now.
pub fn asset_holders(st: &State, viewer: &Viewer, asset: &Symbol) -> Result<Vec<BalanceRow>, Refusal> {
    viewer.may_read_holders(st, asset)?;
    holders(st, asset)
}

/// What a wallet's locked balances are committed to.
pub fn wallet_locks(st: &State, viewer: &Viewer, w: &WalletId) -> Result<Vec<LockRow>, Refusal> {
    viewer.may_read_wallet(w)?;
    Ok(locks(st, w))
}

/// A wallet's journaled transactions, as they were (the journal's side of the history; the
/// node reads it off the chain lock, then names it with [`describe`]).
pub fn wallet_journaled(store: &dyn Journal, viewer: &Viewer, w: &WalletId) -> Result<Vec<JournaledTx>, Refusal> {
    viewer.may_read_wallet(w)?;
    journaled(store, &std::collections::BTreeSet::from([*w]))
}

/// A wallet's history: every transaction it signed or that involves it, with what it moved.
pub fn wallet_history(
    store: &dyn Journal,
    st: &State,
    viewer: &Viewer,
    w: &WalletId,
) -> Result<Vec<HistoryEntry>, Refusal> {
    viewer.may_read_wallet(w)?;
    history(store, st, w)
}

/// A journaled transaction, if it concerns the viewer.
pub fn transaction(store: &dyn Journal, viewer: &Viewer, heights: &[u64], id: &Hash) -> Result<ReceiptView, Refusal> {
    viewer.authenticated()?;
    let v = receipt_in(store, heights, id)?;
    if !viewer.sees(&v) {
        return Err(Refusal::new(Code::ApiForbidden, "this transaction concerns other parties"));
    }
    Ok(v)
}

/// The parties the viewer sees (its own; all for auditors).
pub fn visible_parties(st: &State, viewer: &Viewer) -> Result<Vec<PartyRow>, Refusal> {
    viewer.authenticated()?;
    Ok(parties(st).into_iter().filter(|p| viewer.may_read_party(p.id.as_str()).is_ok()).collect())
}

/// Settlement instructions the viewer takes part in; `only` keeps one (refused when unknown).
pub fn instructions(st: &State, viewer: &Viewer, only: Option<u64>) -> Result<Vec<Instruction>, Refusal> {
    viewer.authenticated()?;
    let rows = st.instructions.sorted().into_iter().filter(|(k, _)| only.is_none_or(|i| **k == i)).map(|(_, i)| i);
    let all = visible(viewer, rows);
    if let (Some(id), true) = (only, all.is_empty()) {
        return Err(Refusal::new(Code::SettlementUnknown, format!("no instruction {id}")));
    }
    Ok(all)
}

pub fn htlcs(st: &State, viewer: &Viewer) -> Result<Vec<Htlc>, Refusal> {
    viewer.authenticated()?;
    Ok(visible(viewer, st.htlcs.sorted().into_iter().map(|(_, h)| h)))
}

pub fn tenders(st: &State, viewer: &Viewer) -> Result<Vec<Tender>, Refusal> {
    viewer.authenticated()?;
    Ok(visible(viewer, st.tenders.sorted().into_iter().map(|(_, t)| t)))
}

pub fn repos(st: &State, viewer: &Viewer) -> Result<Vec<Repo>, Refusal> {
    viewer.authenticated()?;
    Ok(visible(viewer, st.repos.sorted().into_iter().map(|(_, r)| r)))
}

pub fn redemptions(st: &State, viewer: &Viewer) -> Result<Vec<Redemption>, Refusal> {
    viewer.authenticated()?;
    Ok(visible(viewer, st.redemptions.sorted().into_iter().map(|(_, r)| r)))
}

/// AML alerts: for auditors and compliance officers.
pub fn alerts(st: &State, viewer: &Viewer) -> Result<Vec<Alert>, Refusal> {
    viewer.may_read_everything("alerts")?;
    Ok(st.alerts.sorted().into_iter().map(|(_, a)| a.clone()).collect())
}

/// Governance proposals: for operators and auditors.
pub fn proposals(st: &State, viewer: &Viewer) -> Result<Vec<Proposal>, Refusal> {
    viewer.may_read_proposals()?;
    Ok(st.proposals.sorted().into_iter().map(|(_, p)| p.clone()).collect())
}

/// Funds (published); `only` keeps one (refused when unknown).
pub fn funds(st: &State, only: Option<&str>) -> Result<Vec<Fund>, Refusal> {
    let all: Vec<Fund> = st
        .funds
        .sorted()
        .into_iter()
        .map(|(_, f)| f)
        .filter(|f| only.is_none_or(|x| f.spec.fund.as_str() == x))
        .cloned()
        .collect();
    if let (Some(x), true) = (only, all.is_empty()) {
        return Err(Refusal::new(Code::FundUnknown, format!("no fund {x}")));
    }
    Ok(all)
}

/// One fund with its latest valuation, cash on the ledger and positions (published).
pub fn fund_view(st: &State, f: &Symbol) -> Result<FundView, Refusal> {
    let fund = tessera_core::fund::fund(st, f)?.clone();
    let cash_on_ledger = st.holding_ref(fund.cash_asset, fund.cash_wallet).map(|h| h.free).unwrap_or(0);
    Ok(FundView {
        latest_valuation: fund_history(st, f).pop(),
        cash_on_ledger: decimal_units(cash_on_ledger, st.asset(fund.cash_asset).decimals),
        cash_on_ledger_units: cash_on_ledger,
        fund,
        positions: tessera_core::fund::positions(st, f),
    })
}

/// Oracle feeds (published); `only` keeps one (refused when unknown).
pub fn feeds_named(st: &State, now: Time, only: Option<&str>) -> Result<Vec<FeedRow>, Refusal> {
    let rows = feeds(st, now, only);
    if let (Some(x), true) = (only, rows.is_empty()) {
        return Err(Refusal::new(Code::OracleUnknownFeed, format!("no feed {x}")));
    }
    Ok(rows)
}

/// Accrued interest on a note at `at` per 100 of face, with the dirty price for a clean one.
pub fn accrued(st: &State, asset: &str, at: Time, clean: Option<Decimal>) -> Result<Accrued, Refusal> {
    let ai = tessera_core::securities::accrued_per_100(st, &Symbol::new(asset), at)?.round_dp(6);
    Ok(Accrued {
        accrued_per_100: ai.to_string(),
        asset: asset.to_string(),
        at,
        clean: clean.map(|c| c.to_string()),
        dirty: clean.map(|c| (c + ai).to_string()),
    })
}

/// Every rule a movement would break. A party prechecks moves from its own wallets; a mint is
/// for the asset's issuer agents.
pub fn precheck(st: &State, viewer: &Viewer, intent: &Intent, now: Time) -> Result<Precheck, Refusal> {
    viewer.may_precheck(intent)?;
    Ok(Precheck::of(&movement::precheck(st, intent, now)))
}

/// Every rule a prepared transaction would break, as far as they can be told before it is
/// signed, for its signer: the door's checks that need state (network, expiry, signer,
/// sequence), each operation's stateless checks and the signer's authority (role and approval
/// threshold); a transfer's every movement rule (as [`precheck`]), a redemption's as the burn
/// of its shares, an affirmation's and a vote's own conditions. Execution can still refuse
/// what only it can tell (a lock a later transaction takes first).
pub fn precheck_body(st: &State, viewer: &Viewer, body: &tx::TxBody, now: Time) -> Result<Precheck, Refusal> {
    viewer.may_read_wallet(&body.signer)?;
    let mut failures: Vec<Refusal> = Vec::new();
    let unsigned = tx::SignedTx { body: body.clone(), signature: [0; 64] };
    let signer = match exec::admit(st, &unsigned, now) {
        Ok(w) => Some(w),
        Err(r) => {
            failures.push(r);
            st.wallet_index.get(&body.signer).copied()
        }
    };
    for op in &body.ops {
        if let Err(r) = op.check_stateless(0) {
            failures.push(r);
        }
        let Some(w) = signer else { continue };
        let (class, need) = op.authority();
        if !matches!(need, governance::Need::Holder | governance::Need::Governance) {
            let threshold = st.meta().threshold(class);
            match governance::eligible(st, w, op) {
                Err(r) => failures.push(r),
                Ok(()) if threshold > 1 => failures.push(Refusal::new(
                    Code::AuthApprovalRequired,
                    format!("{} is {}: it needs {threshold} approvals; propose it", op.name(), class.as_str()),
                )),
                Ok(()) => {}
            }
        }
        let movement = |intent: Intent| movement::precheck(st, &intent, now);
        match op {
            op::Op::Transfer(t) => failures.extend(movement(Intent::Transfer {
                asset: t.asset.clone(),
                from: body.signer,
                to: t.to,
                amount: t.amount,
            })),
            op::Op::Redeem(r) => {
                failures.extend(movement(Intent::Burn { asset: r.class.clone(), from: body.signer, amount: r.shares }))
            }
            op::Op::AffirmInstruction(a) => failures.extend(settlement::may_affirm(st, w, a.instruction, now).err()),
            op::Op::Approve(a) => failures.extend(exec::may_vote(st, w, a.proposal, now).err()),
            op::Op::Reject(a) => failures.extend(exec::may_vote(st, w, a.proposal, now).err()),
            _ => {}
        }
    }
    // A rule said once: a zero amount fails both the stateless and the movement check.
    let mut seen = std::collections::BTreeSet::new();
    failures.retain(|r| seen.insert(r.code.as_str()));
    Ok(Precheck::of(&failures))
}

/// A block as the viewer may see it: the header for everyone, the receipts of the
/// transactions that concern the viewer, and what the ledger did on its own (payouts,
/// deadlines) for auditors.
/// A block as a caller sees it (`/v1/blocks/{height}` and the event stream).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BlockView {
    pub height: u64,
    pub hash: Hash,
    pub header: tessera_core::block::BlockHeader,
    /// The receipts that concern the caller (all of them for auditors and compliance officers).
    pub receipts: Vec<BlockReceipt>,
    /// What the ledger did on its own at the start of the block; null unless the caller is an
    /// auditor or compliance officer.
    pub system_receipts: Option<tessera_core::block::SystemReceipt>,
}

/// A transaction's receipt in a block, with its signer and sequence number.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BlockReceipt {
    pub signer: WalletId,
    pub seq: u64,
    pub receipt: tessera_core::block::Receipt,
}

pub fn block_view(b: &Block, viewer: &Viewer) -> BlockView {
    let receipts = b
        .body
        .txs
        .iter()
        .zip(&b.body.receipts)
        .filter(|(tx, r)| viewer.sees_involved(&tx_involves(&tx.body.signer, &tx.body.ops, r)))
        .map(|(tx, r)| BlockReceipt { signer: tx.body.signer, seq: tx.body.seq, receipt: r.clone() })
        .collect();
    BlockView {
        height: b.header.height,
        hash: b.header.hash(),
        header: b.header.clone(),
        receipts,
        system_receipts: viewer.sees_all.then(|| b.body.system.clone()),
    }
}
