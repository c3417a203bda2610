//! What a journaled transaction did, for people and machines alike: its operation, the units it
//! moved (asset, amount in the asset's decimals, direction, counterparty), its reference and its
//! result. Derived here once, from the transaction's operations and its receipt's events, so the
//! CLI, the `--node` client and the API say the same thing.
//!
//! - A transaction that succeeded moved what its events say (`minted`, `burned`, `transferred`,
//!   `forced_transfer`, `leg_settled`): the events are the truth, whatever the operation.
//! - A refused transaction moved nothing; its moves are what its operations asked for, so a
//!   refused payment still reads "transfer 1,500.00 USDX to beta — refused".
//! - Directions are seen from a set of wallets (one wallet's history, a party's statement):
//!   `in`, `out`, `internal` (between two of the set) or `between` (neither side is in the set,
//!   e.g. a forced transfer an issuer agent signed).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tessera_core::block::{Event, Outcome, Receipt};
use tessera_core::fund::FundEvent;
use tessera_core::op::Op;
use tessera_core::state::State;
use tessera_core::*;

/// Which way units went, seen from the wallets asked about.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    In,
    Out,
    Internal,
    Between,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Internal => "internal",
            Direction::Between => "between",
        }
    }
}

/// A wallet on the other side of a move, with its party when the ledger knows the wallet.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Counterparty {
    pub party: Option<PartyId>,
    /// The party's name as registered.
    pub name: Option<String>,
    pub wallet: WalletId,
}

/// Units moved by a transaction: a mint, burn, transfer, forced transfer or settlement leg.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Move {
    /// `mint`, `burn`, `transfer`, `forced_transfer`, `settlement_leg`, `yield_payment`,
    /// or `redemption_paid` (a queued redemption paid from the fund's cash wallet). Units the
    /// collateral rules move (a loan's cash, a post into custody, a realization) are transfers.
    pub kind: String,
    pub direction: Direction,
    pub asset: Symbol,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub amount: String,
    /// In minor units.
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub amount_units: Amount,
    /// The other side (none for a mint or burn seen from its holder).
    pub counterparty: Option<Counterparty>,
}

pub use tessera_core::units::decimal_units;

/// A transaction's result: `ok`, or `refused` with the refusal's code and message.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct TxResult {
    /// `ok` or `refused`.
    pub result: String,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl TxResult {
    pub fn of(r: &Receipt) -> TxResult {
        match &r.outcome {
            Outcome::Ok { .. } => TxResult { result: "ok".into(), code: None, message: None },
            Outcome::Failed { code, message, .. } => {
                TxResult { result: "refused".into(), code: Some(code.clone()), message: Some(message.clone()) }
            }
        }
    }
}

/// A move before names and decimals are looked up.
struct RawMove {
    kind: &'static str,
    asset: Symbol,
    from: Option<WalletId>,
    to: Option<WalletId>,
    amount: Amount,
}

fn raw(kind: &'static str, asset: &Symbol, from: Option<WalletId>, to: Option<WalletId>, amount: Amount) -> RawMove {
    RawMove { kind, asset: asset.clone(), from, to, amount }
}

/// The units an event moved between holders. A yield payout names its holders by wallet index
/// (`YieldPayment`), looked up in `st` (indexes are never reused).
fn event_moves(st: &State, e: &Event) -> Vec<RawMove> {
    match e {
        Event::YieldPaid { asset, payments } => payments
            .iter()
            .filter_map(|p| {
                st.wallets.get(&p.wallet_index).map(|w| raw("yield_payment", asset, None, Some(w.key), p.amount))
            })
            .collect(),
        // A queued redemption paid later moves the fund's cash with no `transferred` event
        // (one paid at once has its own and names no redemption).
        Event::Fund(FundEvent::RedemptionPaid { fund, redemption: Some(_), investor, cash, .. }) => st
            .funds
            .get(fund)
            .map(|f| {
                let asset = &st.asset(f.cash_asset).symbol;
                raw("redemption_paid", asset, Some(st.wallet(f.cash_wallet).key), Some(*investor), *cash)
            })
            .into_iter()
            .collect(),
        other => event_move(other).into_iter().collect(),
    }
}

/// The units an event moved between holders, if it moved any.
fn event_move(e: &Event) -> Option<RawMove> {
    Some(match e {
        Event::Minted { asset, to, amount } => raw("mint", asset, None, Some(*to), *amount),
        Event::Burned { asset, from, amount } => raw("burn", asset, Some(*from), None, *amount),
        Event::Transferred { asset, from, to, amount } => raw("transfer", asset, Some(*from), Some(*to), *amount),
        Event::ForcedTransfer { asset, from, to, amount, .. } => {
            raw("forced_transfer", asset, Some(*from), Some(*to), *amount)
        }
        Event::LegSettled { asset, from, to, amount, .. } => {
            raw("settlement_leg", asset, Some(*from), Some(*to), *amount)
        }
        _ => return None,
    })
}

/// The units an operation asks to move (for a refused transaction: what was attempted).
fn op_move(signer: &WalletId, op: &Op) -> Option<RawMove> {
    Some(match op {
        Op::Transfer(t) => raw("transfer", &t.asset, Some(*signer), Some(t.to), t.amount),
        Op::Mint(m) => raw("mint", &m.asset, None, Some(m.to), m.amount),
        Op::Burn(b) => raw("burn", &b.asset, Some(b.from), None, b.amount),
        Op::IssueCash(c) => raw("mint", &c.asset, None, Some(c.to), c.amount),
        Op::RedeemCash(c) => raw("burn", &c.asset, Some(*signer), None, c.amount),
        Op::ForceTransfer(f) => raw("forced_transfer", &f.asset, Some(f.from), Some(f.to), f.amount),
        _ => return None,
    })
}

/// The reference an operation carries (a court order, a fiat receipt, a tender's), if any.
fn op_reference(op: &Op) -> Option<&str> {
    let r = match op {
        Op::ForceTransfer(f) => &f.reference,
        Op::RecoverWallet(r) => &r.reference,
        Op::IssueCash(c) => &c.fiat_reference,
        Op::RedeemCash(c) => &c.payout_reference,
        Op::OpenTender(t) => &t.reference,
        Op::CreateInstruction(i) => &i.reference,
        Op::CustodianCash(c) => &c.reference,
        _ => return None,
    };
    (!r.is_empty()).then_some(r.as_str())
}

/// What a transaction moved, seen from `wallets`, with names and decimals from `st` (assets
/// and wallets are never removed, so the state now names everything the journal ever held).
pub fn moves(st: &State, wallets: &BTreeSet<WalletId>, signer: &WalletId, ops: &[Op], r: &Receipt) -> Vec<Move> {
    let raws: Vec<RawMove> = match &r.outcome {
        Outcome::Ok { events } => events.iter().flat_map(|e| event_moves(st, e)).collect(),
        Outcome::Failed { .. } => ops.iter().filter_map(|o| op_move(signer, o)).collect(),
    };
    raws.into_iter().map(|m| named(st, wallets, m)).collect()
}

/// What the ledger moved on its own in a block (its system receipt's events: queued redemptions
/// paid, yield paid), seen from `wallets`: only the moves that touch them.
pub fn system_moves(st: &State, wallets: &BTreeSet<WalletId>, events: &[Event]) -> Vec<Move> {
    events
        .iter()
        .flat_map(|e| event_moves(st, e))
        .filter(|m| [m.from, m.to].iter().any(|w| w.is_some_and(|w| wallets.contains(&w))))
        .map(|m| named(st, wallets, m))
        .collect()
}

fn named(st: &State, wallets: &BTreeSet<WalletId>, m: RawMove) -> Move {
    let ours = |w: &Option<WalletId>| w.is_some_and(|w| wallets.contains(&w));
    let (direction, other) = match (ours(&m.from), ours(&m.to)) {
        (true, true) => (Direction::Internal, m.to),
        (true, false) => (Direction::Out, m.to),
        (false, true) => (Direction::In, m.from),
        (false, false) => (Direction::Between, m.to.or(m.from)),
    };
    let decimals = st.asset_idx(&m.asset).map(|a| st.asset(a).decimals).unwrap_or(0);
    Move {
        kind: m.kind.into(),
        direction,
        amount: decimal_units(m.amount, decimals),
        amount_units: m.amount,
        asset: m.asset,
        counterparty: other.map(|w| counterparty(st, w)),
    }
}

/// A wallet with its party's id and name, when the ledger knows the wallet.
pub fn counterparty(st: &State, wallet: WalletId) -> Counterparty {
    let party = st.wallet_index.get(&wallet).map(|wi| st.party(st.wallet(*wi).party));
    Counterparty { party: party.map(|p| p.id.clone()), name: party.map(|p| p.name.clone()), wallet }
}

/// The operations' names, in order, a run of one name counted: "subscribe",
/// "register_party ×7, add_wallet ×5".
pub fn operation(ops: &[Op]) -> String {
    let mut runs: Vec<(&str, usize)> = Vec::new();
    for o in ops {
        match runs.last_mut() {
            Some((name, n)) if *name == o.name() => *n += 1,
            _ => runs.push((o.name(), 1)),
        }
    }
    runs.iter()
        .map(|(name, n)| if *n == 1 { name.to_string() } else { format!("{name} ×{n}") })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first reference the operations carry (empty when none does).
pub fn reference(ops: &[Op]) -> String {
    ops.iter().find_map(op_reference).unwrap_or_default().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tessera_core::block::Receipt;

    fn w(n: u8) -> WalletId {
        WalletId([n; 32])
    }

    fn op(v: serde_json::Value) -> Op {
        serde_json::from_value(v).unwrap()
    }

    fn ok(events: Vec<Event>) -> Receipt {
        Receipt { tx: Hash([1; 32]), outcome: Outcome::Ok { events } }
    }

    #[test]
    fn a_transfer_out_reads_as_out_with_the_receiver_as_counterparty_and_the_amount_in_decimal_and_minor_units() {
        let st = State::empty();
        let e = Event::Transferred { asset: Symbol::new("X"), from: w(1), to: w(2), amount: 150_000 };
        let m = moves(&st, &BTreeSet::from([w(1)]), &w(1), &[], &ok(vec![e]));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].direction, Direction::Out);
        assert_eq!(m[0].counterparty.as_ref().unwrap().wallet, w(2));
        assert_eq!((m[0].amount.as_str(), m[0].amount_units), ("150000", 150_000), "unknown asset: 0 decimals");
    }

    #[test]
    fn a_refused_transfer_reads_as_the_transfer_it_asked_for() {
        let st = State::empty();
        let ops = [op(json!({"transfer": {"asset": "X", "to": w(2), "amount": 5}}))];
        let r = Receipt {
            tx: Hash([1; 32]),
            outcome: Outcome::Failed { op_index: 0, code: "c".into(), message: "m".into() },
        };
        let m = moves(&st, &BTreeSet::from([w(2)]), &w(1), &ops, &r);
        assert_eq!(m[0].direction, Direction::In);
        assert_eq!(m[0].counterparty.as_ref().unwrap().wallet, w(1));
        assert_eq!(TxResult::of(&r).result, "refused");
        assert_eq!(TxResult::of(&r).code.as_deref(), Some("c"));
    }

    #[test]
    fn a_successful_transaction_reads_from_its_events_not_its_operations() {
        let st = State::empty();
        let ops = [op(json!({"subscribe": {"class": "F", "amount": 100}}))];
        let events = vec![
            Event::Transferred { asset: Symbol::new("USD"), from: w(1), to: w(9), amount: 100 },
            Event::Minted { asset: Symbol::new("F"), to: w(1), amount: 100 },
            Event::PartyRegistered { party: PartyId::new("p") },
        ];
        let m = moves(&st, &BTreeSet::from([w(1)]), &w(1), &ops, &ok(events));
        let seen: Vec<(&str, Direction)> = m.iter().map(|m| (m.kind.as_str(), m.direction)).collect();
        assert_eq!(seen, [("transfer", Direction::Out), ("mint", Direction::In)]);
        assert!(m[1].counterparty.is_none(), "a mint to the holder has no other side");
    }

    #[test]
    fn a_forced_transfer_between_others_reads_as_between_and_carries_its_reference() {
        let st = State::empty();
        let ops = [op(json!({"force_transfer": {"asset": "X", "from": w(2), "to": w(3), "amount": 7,
            "reason": "court_order", "reference": "case 42"}}))];
        let e = Event::ForcedTransfer {
            asset: Symbol::new("X"),
            from: w(2),
            to: w(3),
            amount: 7,
            reason: serde_json::from_value(json!("court_order")).unwrap(),
            reference: "case 42".into(),
        };
        let m = moves(&st, &BTreeSet::from([w(1)]), &w(1), &ops, &ok(vec![e]));
        assert_eq!(m[0].direction, Direction::Between);
        assert_eq!(reference(&ops), "case 42");
        assert_eq!(operation(&ops), "force_transfer");
        let twice = [ops[0].clone(), ops[0].clone(), op(json!({"transfer": {"asset": "X", "to": w(2), "amount": 5}}))];
        assert_eq!(operation(&twice), "force_transfer ×2, transfer");
    }

    #[test]
    fn decimal_units_has_the_assets_decimals_and_no_grouping() {
        assert_eq!(decimal_units(150_000_000, 2), "1500000.00");
        assert_eq!(decimal_units(5, 6), "0.000005");
    }
}
