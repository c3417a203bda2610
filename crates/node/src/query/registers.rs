//! What a transfer agent keeps: parties (claims with issuer and expiry, wallets, roles), the
//! shareholder register of an asset at any height (each holder's balance, share, KYC status and
//! expiry), and investor statements over a date range (opening balance, each movement, closing
//! balance, per asset).
//!
//! - Claim and KYC statuses are decided as the compliance rules decide them
//!   (`compliance::live_claims`: live and from an issuer still trusted for the topic), at the
//!   time of the state asked about, so a register at block 8 shows KYC as block 8 saw it.
//! - A statement's opening and closing balances are the ledger's own (the state replayed to
//!   the last block before the range and to the last block in it). Its movements are what the
//!   transactions moved and what block jobs moved (yield paid, queued redemptions paid), as
//!   `super::history` reads events. Coupons and principal carry no per-holder event, so any
//!   remainder is listed as one `not_itemized` line and every statement adds up:
//!   opening + movements = closing.

use super::history::{self, decimal_units, Counterparty, Direction};
use super::rows::{describe, journaled};
use super::viewer::{Involved, Involves, Viewer};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tessera_core::compliance::{issuer_trusted, live_claims};
use tessera_core::state::{ClaimRecord, Party, State};
use tessera_core::*;
use tessera_store::Journal;

/// A claim about a party, as the ledger holds it, with its status at the time asked about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct ClaimRow {
    pub topic: ClaimTopic,
    pub claim: Claim,
    /// `valid`, `expired`, `revoked`, or `untrusted` (its issuer is no longer trusted for it).
    pub status: String,
    pub issuer: Counterparty,
    pub issued_at: Time,
    pub expires_at: Option<Time>,
    pub revoked_at: Option<Time>,
}

/// A role one of the party's wallets holds.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct RoleRow {
    pub role: Role,
    /// The asset the role is limited to (none: every asset).
    pub asset: Option<Symbol>,
    pub wallet: WalletId,
}

/// A party as its members (and auditors) see it: who it is, its claims, wallets and roles.
/// The first fields in name order, as the API has always listed them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct PartyRow {
    pub id: PartyId,
    pub kind: PartyKind,
    pub name: String,
    pub wallets: Vec<WalletId>,
    /// `valid`, `expired`, `revoked` or `missing`, as the KYC rule would decide it now.
    pub kyc: String,
    pub kyc_expires_at: Option<Time>,
    pub claims: Vec<ClaimRow>,
    pub roles: Vec<RoleRow>,
}

fn claim_status(st: &State, c: &ClaimRecord, now: Time) -> &'static str {
    if c.revoked_at.is_some() {
        "revoked"
    } else if !c.live(now) {
        "expired"
    } else if !issuer_trusted(st, &c.issuer, c.claim.topic()) {
        "untrusted"
    } else {
        "valid"
    }
}

/// The party's KYC as the compliance rule decides it at `now`, and the expiry that matters:
/// the latest of its valid claims (none: never expires), or else of its expired ones.
pub fn kyc_status(st: &State, p: &Party, now: Time) -> (&'static str, Option<Time>) {
    let valid: Vec<&ClaimRecord> = live_claims(st, p, now, |c| *c == Claim::Kyc).collect();
    if !valid.is_empty() {
        let never = valid.iter().any(|c| c.expires_at.is_none());
        return ("valid", if never { None } else { valid.iter().filter_map(|c| c.expires_at).max() });
    }
    let kyc = || p.claims.iter().filter(|c| c.claim == Claim::Kyc);
    let expired = kyc().filter(|c| c.revoked_at.is_none()).filter_map(|c| c.expires_at.filter(|e| now >= *e)).max();
    match expired {
        Some(e) => ("expired", Some(e)),
        None if kyc().any(|c| c.revoked_at.is_some()) => ("revoked", None),
        None => ("missing", None),
    }
}

fn party_row(st: &State, p: &Party, now: Time) -> PartyRow {
    let wallet_idxs: BTreeSet<u32> = p.wallets.iter().copied().collect();
    let roles = st
        .roles
        .sorted()
        .into_iter()
        .filter(|(k, _)| wallet_idxs.contains(&k.wallet))
        .map(|(k, _)| RoleRow {
            role: k.role,
            asset: k.asset.map(|a| st.asset(a).symbol.clone()),
            wallet: st.wallet(k.wallet).key,
        })
        .collect();
    let (kyc, kyc_expires_at) = kyc_status(st, p, now);
    PartyRow {
        id: p.id.clone(),
        kind: p.kind,
        name: p.name.clone(),
        wallets: p.wallets.iter().map(|w| st.wallet(*w).key).collect(),
        kyc: kyc.into(),
        kyc_expires_at,
        claims: p
            .claims
            .iter()
            .map(|c| ClaimRow {
                topic: c.claim.topic(),
                claim: c.claim.clone(),
                status: claim_status(st, c, now).into(),
                issuer: history::counterparty(st, c.issuer),
                issued_at: c.issued_at,
                expires_at: c.expires_at,
                revoked_at: c.revoked_at,
            })
            .collect(),
        roles,
    }
}

/// Every party, in registration order, as of the state's time.
pub fn parties(st: &State) -> Vec<PartyRow> {
    let now = st.meta().time;
    st.parties.sorted().into_iter().map(|(_, p)| party_row(st, p, now)).collect()
}

/// A party by its id, or else by its name (case aside) when exactly one party has it.
pub fn find_party<'a>(st: &'a State, id_or_name: &str) -> Result<&'a Party, Refusal> {
    if let Some(i) = st.party_index.get(&PartyId::new(id_or_name)) {
        return Ok(st.party(*i));
    }
    let named: Vec<&Party> =
        st.parties.sorted().into_iter().map(|(_, p)| p).filter(|p| p.name.eq_ignore_ascii_case(id_or_name)).collect();
    match named[..] {
        [p] => Ok(p),
        [] => Err(Refusal::new(Code::PartyUnknown, format!("no party with the id or name {id_or_name:?}"))),
        _ => {
            let ids: Vec<&str> = named.iter().map(|p| p.id.as_str()).collect();
            Err(Refusal::new(
                Code::PartyUnknown,
                format!("{id_or_name:?} is the name of {} parties ({}): give the id", ids.len(), ids.join(", ")),
            ))
        }
    }
}

/// A party's id from its id or name, as the viewer may ask it: a party asks only about itself,
/// and a refusal does not tell another party's existence.
fn party_for(st: &State, viewer: &Viewer, id_or_name: &str) -> Result<PartyId, Refusal> {
    viewer.authenticated()?;
    match find_party(st, id_or_name) {
        Ok(p) => viewer.may_read_party(p.id.as_str()).map(|_| p.id.clone()),
        Err(e) if viewer.sees_all => Err(e),
        Err(_) => Err(Refusal::new(Code::ApiForbidden, "this party's holdings are its own")),
    }
}

/// One party (by id or name) with its claims, wallets and roles.
pub fn party(st: &State, viewer: &Viewer, id_or_name: &str) -> Result<PartyRow, Refusal> {
    let id = party_for(st, viewer, id_or_name)?;
    let p = st.party(st.party_idx(&id)?);
    Ok(party_row(st, p, st.meta().time))
}

/// A holder in a shareholder register.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct RegisterRow {
    pub party: PartyId,
    pub name: String,
    pub wallet: WalletId,
    /// free + locked + frozen, in the asset's decimals.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub balance: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub balance_units: Amount,
    /// Of the supply, in percent with 4 places, rounded down.
    pub share_pct: String,
    /// `valid`, `expired`, `revoked` or `missing`, at the register's time.
    pub kyc: String,
    pub kyc_expires_at: Option<Time>,
    /// The investor classes of the party's valid claims, as written in operations.
    pub investor_classes: Vec<InvestorClass>,
    pub jurisdiction: Option<String>,
}

/// The shareholder register of an asset at a block: every holder, largest first.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Register {
    pub asset: Symbol,
    pub name: String,
    pub height: u64,
    pub time: Time,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub supply: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub supply_units: Amount,
    pub holders: Vec<RegisterRow>,
}

/// `part` of `whole` in percent with 4 places, rounded down ("12.5000").
fn share_pct(part: Amount, whole: Amount) -> String {
    let scaled = part.checked_mul(1_000_000).and_then(|p| p.checked_div(whole)).unwrap_or(0);
    decimal_units(scaled, 4)
}

/// The register of `asset` in `st`, the state after block `height`.
pub fn register(st: &State, height: u64, asset: &Symbol) -> Result<Register, Refusal> {
    let a = st.asset(st.asset_idx(asset)?);
    let now = st.meta().time;
    let holders = super::holders(st, asset)?
        .into_iter()
        .map(|b| {
            let p = st.party(st.party_idx(&b.party)?);
            let (kyc, kyc_expires_at) = kyc_status(st, p, now);
            let valid = |c: &ClaimRecord| claim_status(st, c, now) == "valid";
            Ok(RegisterRow {
                party: b.party.clone(),
                name: p.name.clone(),
                wallet: b.wallet,
                balance: decimal_units(b.total_units, a.decimals),
                balance_units: b.total_units,
                share_pct: share_pct(b.total_units, a.supply),
                kyc: kyc.into(),
                kyc_expires_at,
                investor_classes: p
                    .claims
                    .iter()
                    .filter(|c| valid(c))
                    .filter_map(|c| match c.claim {
                        Claim::InvestorClass(k) => Some(k),
                        _ => None,
                    })
                    .collect(),
                jurisdiction: p.claims.iter().filter(|c| valid(c)).find_map(|c| match &c.claim {
                    Claim::Jurisdiction(j) => Some(j.clone()),
                    _ => None,
                }),
            })
        })
        .collect::<Result<Vec<_>, Refusal>>()?;
    Ok(Register {
        asset: asset.clone(),
        name: a.name.clone(),
        height,
        time: now,
        supply: decimal_units(a.supply, a.decimals),
        supply_units: a.supply,
        holders,
    })
}

/// The register as the viewer may ask it (the asset's issuer, its issuer agents, auditors).
pub fn asset_register(st: &State, viewer: &Viewer, height: u64, asset: &Symbol) -> Result<Register, Refusal> {
    viewer.may_read_holders(st, asset)?;
    register(st, height, asset)
}

/// Whose statement: one wallet, or every wallet of a party.
#[derive(Clone, Debug)]
pub enum StatementOf {
    Wallet(WalletId),
    /// A party id or name.
    Party(String),
}

/// One line of a statement: a movement, with the balance after it. A line without a transaction
/// is the ledger's own doing: a block job (`yield_payment`, a queued redemption paid) or the
/// `not_itemized` remainder.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct StatementLine {
    pub time: Time,
    pub height: u64,
    /// None for what the ledger did on its own.
    pub tx: Option<Hash>,
    pub operation: String,
    /// `mint`, `burn`, `transfer`, `forced_transfer`, `settlement_leg`, `yield_payment`,
    /// `redemption_paid` or `not_itemized`.
    pub kind: String,
    /// `in` or `out`.
    pub direction: Direction,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub amount: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub amount_units: Amount,
    pub counterparty: Option<Counterparty>,
    pub reference: String,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub balance: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub balance_units: Amount,
}

/// One asset's part of a statement.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct AssetStatement {
    pub asset: Symbol,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub opening: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub opening_units: Amount,
    pub movements: Vec<StatementLine>,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub closing: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub closing_units: Amount,
}

/// An investor statement: per asset, the opening balance, each movement and the closing balance.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Statement {
    pub party: PartyId,
    pub name: String,
    /// The wallets the statement covers.
    pub wallets: Vec<WalletId>,
    /// The first instant covered.
    pub from: Time,
    /// The first instant no longer covered.
    pub until: Time,
    /// The last block before `from` (0: none), whose state gives the opening balances.
    pub opening_height: u64,
    /// The last block before `until`, whose state gives the closing balances.
    pub closing_height: u64,
    pub assets: Vec<AssetStatement>,
}

impl Involves for Statement {
    fn involves(&self) -> Involved {
        let mut i = Involved::wallets(self.wallets.iter().copied());
        i.parties.insert(self.party.clone());
        i
    }
}

/// Each asset's total over `wallets` in `st`.
fn totals(st: &State, wallets: &BTreeSet<WalletId>) -> BTreeMap<Symbol, Amount> {
    let mut out = BTreeMap::new();
    let ws: Vec<WalletId> = wallets.iter().copied().collect();
    for b in super::balances(st, &ws) {
        let t: &mut Amount = out.entry(b.asset).or_default();
        *t = t.saturating_add(b.total_units);
    }
    out
}

/// A statement's range from its `from` and `to` as people give them: dates (`2026-01-01`, the
/// whole of each day, `to` included) or RFC 3339 instants (`to` included).
pub fn statement_range(from: &str, to: &str) -> Result<(Time, Time), Refusal> {
    let parse = |name: &str, s: &str| {
        Time::parse(s).ok_or_else(|| {
            Refusal::new(
                Code::InputInvalid,
                format!("{name} {s:?} is not a date: e.g. 2026-01-31 or 2026-01-31T17:00:00Z"),
            )
        })
    };
    let start = parse("from", from)?;
    let end = parse("to", to)?;
    // A date covers its whole day; an instant only itself.
    let is_date = to.trim().len() == 10 && to.contains('-');
    let until = if is_date { end.plus(86_400) } else { end.plus(1) };
    if until <= start {
        return Err(Refusal::new(Code::InputInvalid, format!("the statement ends ({to}) before it starts ({from})")));
    }
    Ok((start, until))
}

/// The last block before `t` (0 when none is), from the journal's headers.
fn last_before(store: &dyn Journal, t: Time) -> Result<u64, Refusal> {
    let mut last = 0;
    store.scan(1, &mut |raw| {
        let h = raw.decode_header()?;
        if h.time >= t {
            return Ok(false);
        }
        last = h.height;
        Ok(true)
    })?;
    Ok(last)
}

/// An investor statement over `[from, until)`, as the viewer may ask it.
pub fn statement(
    store: &dyn Journal,
    viewer: &Viewer,
    of: &StatementOf,
    from: Time,
    until: Time,
) -> Result<Statement, Refusal> {
    viewer.authenticated()?;
    if let StatementOf::Wallet(w) = of {
        viewer.may_read_wallet(w)?;
    }
    if until <= from {
        return Err(Refusal::new(
            Code::InputInvalid,
            format!("the statement ends ({until}) before it starts ({from})"),
        ));
    }
    let closing_height = last_before(store, until)?;
    let opening_height = last_before(store, from)?;
    // Names come from this state; with no block in the range yet, from the first one.
    let closing = crate::ledger::chain_at(store, closing_height.max(1))?.state;
    let (party, wallets) = match of {
        StatementOf::Wallet(w) => {
            let wi = closing.wallet_idx(w)?;
            (closing.party(closing.wallet(wi).party), BTreeSet::from([*w]))
        }
        StatementOf::Party(p) => {
            let id = party_for(&closing, viewer, p)?;
            let p = closing.party(closing.party_idx(&id)?);
            (p, p.wallets.iter().map(|w| closing.wallet(*w).key).collect())
        }
    };
    let opening = if opening_height == 0 {
        BTreeMap::new()
    } else {
        totals(&crate::ledger::chain_at(store, opening_height)?.state, &wallets)
    };
    let closed = if closing_height == 0 { BTreeMap::new() } else { totals(&closing, &wallets) };
    let txs = journaled(store, &wallets)?
        .into_iter()
        .filter(|t| t.height > opening_height && t.height <= closing_height)
        .collect();
    let entries = describe(&closing, &wallets, txs);
    // What the ledger did on its own in the range (block jobs): (time, height, move).
    let mut jobs = Vec::new();
    store.scan(opening_height + 1, &mut |raw| {
        if raw.height > closing_height {
            return Ok(false);
        }
        let b = raw.check()?;
        for m in history::system_moves(&closing, &wallets, &b.body.system.events) {
            jobs.push((b.header.time, b.header.height, m));
        }
        Ok(true)
    })?;
    let decimals = |a: &Symbol| closing.asset_idx(a).map(|i| closing.asset(i).decimals).unwrap_or(0);
    let mut symbols: BTreeSet<Symbol> = opening.keys().chain(closed.keys()).cloned().collect();
    symbols.extend(entries.iter().flat_map(|e| e.moves.iter().map(|m| m.asset.clone())));
    let mut assets = Vec::new();
    for asset in symbols {
        let d = decimals(&asset);
        let open = opening.get(&asset).copied().unwrap_or(0);
        let close = closed.get(&asset).copied().unwrap_or(0);
        let line =
            |time, height, tx, operation: &str, kind: &str, direction, amount, cp, reference: &str| StatementLine {
                time,
                height,
                tx,
                operation: operation.into(),
                kind: kind.into(),
                direction,
                amount: decimal_units(amount, d),
                amount_units: amount,
                counterparty: cp,
                reference: reference.into(),
                balance: String::new(),
                balance_units: 0,
            };
        let mut movements = Vec::new();
        for e in entries.iter().filter(|e| e.result.result == "ok") {
            for m in e.moves.iter().filter(|m| m.asset == asset) {
                if matches!(m.direction, Direction::In | Direction::Out) {
                    let (op, cp) = (&e.operation, m.counterparty.clone());
                    let l =
                        line(e.time, e.height, Some(e.tx), op, &m.kind, m.direction, m.amount_units, cp, &e.reference);
                    movements.push(l);
                }
            }
        }
        for (time, height, m) in jobs.iter().filter(|(.., m)| m.asset == asset) {
            if matches!(m.direction, Direction::In | Direction::Out) {
                let l =
                    line(*time, *height, None, "", &m.kind, m.direction, m.amount_units, m.counterparty.clone(), "");
                movements.push(l);
            }
        }
        // In journal order: a block's jobs run before its transactions.
        movements.sort_by_key(|l| (l.height, l.tx.is_some()));
        let after = |balance: Amount, l: &StatementLine| match l.direction {
            Direction::In => balance.saturating_add(l.amount_units),
            _ => balance.saturating_sub(l.amount_units),
        };
        let itemized = movements.iter().fold(open, after);
        // What the ledger paid or took on its own, so the statement adds up.
        if itemized != close {
            let (direction, amount) =
                if close > itemized { (Direction::In, close - itemized) } else { (Direction::Out, itemized - close) };
            let at = closing.meta().time;
            movements.push(line(at, closing_height, None, "", "not_itemized", direction, amount, None, ""));
        }
        let mut balance = open;
        for l in &mut movements {
            balance = after(balance, l);
            l.balance = decimal_units(balance, d);
            l.balance_units = balance;
        }
        assets.push(AssetStatement {
            opening: decimal_units(open, d),
            opening_units: open,
            movements,
            closing: decimal_units(close, d),
            closing_units: close,
            asset,
        });
    }
    let st = Statement {
        party: party.id.clone(),
        name: party.name.clone(),
        wallets: wallets.into_iter().collect(),
        from,
        until,
        opening_height,
        closing_height,
        assets,
    };
    if !viewer.sees(&st) {
        return Err(Refusal::new(Code::ApiForbidden, "this party's holdings are its own"));
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_a_percentage_with_four_places_rounded_down() {
        assert_eq!(share_pct(1, 3), "33.3333");
        assert_eq!(share_pct(5, 5), "100.0000");
        assert_eq!(share_pct(0, 0), "0.0000", "an empty supply: no share, no division by zero");
    }
}
