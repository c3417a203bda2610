//! Compliance policy (L6): a per-asset list of configured rules, evaluated on every movement.
//!
//! Rules are data, not code paths. Blocking rules refuse a movement with a code named after
//! the rule; monitoring rules never refuse, they raise AML alerts after the movement.
//! `evaluate` is the one place rules are checked: execution stops at the first violation, the
//! pre-check collects them all, so the two can never disagree.

use crate::code::{refuse, Code, Refusal};
use crate::prose::{or_list, with_article};
use crate::state::*;
use crate::types::*;

pub use crate::model::compliance::*;

/// The party's live claims that match `wanted`, from issuers still trusted for their topic.
/// The cheap match runs first: trust is looked up only for claims that matter.
pub fn live_claims<'a>(
    state: &'a State,
    party: &'a Party,
    now: Time,
    wanted: impl Fn(&Claim) -> bool + 'a,
) -> impl Iterator<Item = &'a ClaimRecord> + 'a {
    party
        .claims
        .iter()
        .filter(move |c| wanted(&c.claim) && c.live(now) && issuer_trusted(state, &c.issuer, c.claim.topic()))
}

pub fn issuer_trusted(state: &State, issuer: &WalletId, topic: ClaimTopic) -> bool {
    state
        .wallet_index
        .get(issuer)
        .and_then(|i| state.trusted_issuers.get(i))
        .is_some_and(|topics| topics.contains(&topic))
}

fn kyc(state: &State, party: &Party, now: Time) -> Result<(), Refusal> {
    if live_claims(state, party, now, |c| *c == Claim::Kyc).next().is_some() {
        return Ok(());
    }
    let expired = party
        .claims
        .iter()
        .any(|c| c.claim == Claim::Kyc && c.revoked_at.is_none() && c.expires_at.is_some_and(|e| now >= e));
    if expired {
        refuse(Code::ComplianceKycExpired, format!("party {}: KYC expired", party.id))
    } else {
        refuse(Code::ComplianceKycMissing, format!("party {}: no valid KYC claim", party.id))
    }
}

fn jurisdiction<'a>(state: &'a State, party: &'a Party, now: Time) -> Option<&'a str> {
    live_claims(state, party, now, |c| matches!(c, Claim::Jurisdiction(_))).find_map(|c| match &c.claim {
        Claim::Jurisdiction(j) => Some(j.as_str()),
        _ => None,
    })
}

/// Is this wallet or its party on the sanctions list (directly, by linked address or claim)?
pub fn sanctioned(state: &State, wallet: WalletIdx, now: Time) -> Option<String> {
    let w = state.wallet(wallet);
    let party = state.party(w.party);
    if live_claims(state, party, now, |c| *c == Claim::Sanctioned).next().is_some() {
        return Some(format!("party {} carries a sanctioned claim", party.id));
    }
    if state.sanctions.is_empty() {
        return None;
    }
    if state.sanctions.contains(&SanctionTarget::Wallet(w.key)) {
        return Some(format!("wallet {} is on the sanctions list", w.key.short()));
    }
    if state.sanctions.contains(&SanctionTarget::Party(party.id.clone())) {
        return Some(format!("party {} is on the sanctions list", party.id));
    }
    // Linked addresses and list entries are both canonical (`chain_address`), so equality is
    // identity: an EIP-55 spelling on the list matches a lower-case link and vice versa.
    for (currency, address) in &party.linked {
        let target = SanctionTarget::Address { currency: currency.clone(), address: address.clone() };
        if let Some(info) = state.sanctions.get(&target) {
            let listed = info.listed_as.as_ref().map(|s| format!(" (listed as {s})")).unwrap_or_default();
            return Some(format!(
                "party {}: linked {currency} address {address} is on the sanctions list{listed}",
                party.id
            ));
        }
    }
    None
}

/// floor(x × bps / 10000) without overflow, for `bps` at most 10000 (policy validation).
fn share_of(x: Amount, bps: u32) -> Amount {
    debug_assert!(bps <= 10_000, "a policy's basis points are at most 10000");
    let bps = bps as Amount;
    let whole = (x / 10_000).checked_mul(bps).expect("x / 10000 × bps is at most x for bps ≤ 10000");
    let part = (x % 10_000).checked_mul(bps).expect("below 10000 × 2^32") / 10_000;
    whole.checked_add(part).expect("the two parts sum to at most x")
}

/// Checks every blocking rule of the asset's policy against a movement. Stops at the first
/// violation unless `all` is set. Balance, pause and freeze checks are not rules: they live in
/// `exec` and are added to the pre-check there.
pub fn evaluate(state: &State, m: &Move, all: bool, out: &mut Vec<Refusal>) {
    let policy = state.policy(m.asset);
    if policy.rules.is_empty() {
        return;
    }
    let asset = state.asset(m.asset);
    let money = |amount| state.amount_text(m.asset, amount);
    let from_party = m.from.map(|w| state.party(state.wallet(w).party));
    let to_party = m.to.map(|w| state.party(state.wallet(w).party));
    // Which side each rule looks at: senders are not screened on a forced move.
    let sender = if m.kind == Movement::Forced { None } else { from_party };
    let receiver = if m.kind == Movement::Burn { None } else { to_party };
    let from_h = m.from.and_then(|w| state.holding_ref(m.asset, w));
    let to_h = m.to.and_then(|w| state.holding_ref(m.asset, w));
    let to_before = to_h.map(|h| h.total().unwrap_or(Amount::MAX)).unwrap_or(0);
    // Saturating on purpose: a balance past Amount::MAX is refused as `AmountOverflow` and an
    // amount above the sender's balance as `BalanceInsufficient` by `movement`; the rules here
    // only compare these against limits, where Amount::MAX reads as "too much" and 0 as "leaves".
    let to_after = to_before.saturating_add(m.amount);
    let from_after = from_h.map(|h| h.total().unwrap_or(0)).unwrap_or(0).saturating_sub(m.amount);

    macro_rules! fail {
        ($r:expr) => {{
            out.push($r);
            if !all {
                return;
            }
        }};
    }

    for rule in &policy.rules {
        match rule {
            Rule::Kyc => {
                for p in [sender, receiver].into_iter().flatten() {
                    if let Err(e) = kyc(state, p, m.now) {
                        fail!(e);
                    }
                }
            }
            Rule::InvestorClasses(allowed) => {
                if let Some(p) = receiver {
                    let ok =
                        live_claims(state, p, m.now, |c| matches!(c, Claim::InvestorClass(k) if allowed.contains(k)))
                            .next()
                            .is_some();
                    if !ok {
                        fail!(Refusal::new(
                            Code::ComplianceInvestorClass,
                            format!("party {} holds none of the allowed investor classes: {}", p.id, or_list(allowed))
                        ));
                    }
                }
            }
            Rule::JurisdictionsAllowed(list) => {
                if let Some(p) = receiver {
                    match jurisdiction(state, p, m.now) {
                        Some(j) if list.iter().any(|c| c == j) => {}
                        Some(j) => fail!(Refusal::new(
                            Code::ComplianceJurisdictionNotAllowed,
                            format!("party {} is in {j}, not in the allowed list", p.id)
                        )),
                        None => fail!(Refusal::new(
                            Code::ComplianceJurisdictionNotAllowed,
                            format!("party {} has no jurisdiction claim", p.id)
                        )),
                    }
                }
            }
            Rule::JurisdictionsDenied(list) => {
                if let Some(p) = receiver {
                    if let Some(j) = jurisdiction(state, p, m.now).filter(|j| list.iter().any(|c| c == j)) {
                        fail!(Refusal::new(
                            Code::ComplianceJurisdictionDenied,
                            format!("party {} is in {j}, which is denied", p.id)
                        ));
                    }
                }
            }
            Rule::Sanctions => {
                let sides =
                    [if sender.is_some() { m.from } else { None }, if receiver.is_some() { m.to } else { None }];
                for w in sides.into_iter().flatten() {
                    if let Some(why) = sanctioned(state, w, m.now) {
                        fail!(Refusal::new(Code::ComplianceSanctioned, why));
                    }
                }
            }
            Rule::Lockup { seconds } => {
                if let (Some(_), Some(h)) = (sender, from_h) {
                    let unlocked = h.unlocked(m.now, *seconds);
                    if m.amount > unlocked {
                        let (unlocked, asked) = (money(unlocked), money(m.amount));
                        fail!(Refusal::new(
                            Code::ComplianceLockup,
                            format!("only {unlocked} of the holding is past its {seconds}-second holding period; {asked} asked")
                        ));
                    }
                }
            }
            Rule::MinInvestment(min) => {
                if receiver.is_some() && m.kind != Movement::Forced && to_before == 0 && m.amount < *min {
                    fail!(Refusal::new(
                        Code::ComplianceMinInvestment,
                        format!("a first investment of {} is below the minimum {}", money(m.amount), money(*min))
                    ));
                }
            }
            Rule::MinHolding(min) => {
                if sender.is_some() && from_after > 0 && from_after < *min {
                    fail!(Refusal::new(
                        Code::ComplianceMinHolding,
                        format!(
                            "the sender would keep {}, below the minimum holding {}",
                            money(from_after),
                            money(*min)
                        )
                    ));
                }
                if receiver.is_some() && to_after < *min {
                    fail!(Refusal::new(
                        Code::ComplianceMinHolding,
                        format!(
                            "the receiver would hold {}, below the minimum holding {}",
                            money(to_after),
                            money(*min)
                        )
                    ));
                }
            }
            Rule::MaxHolders(max) => {
                if receiver.is_some() && to_before == 0 {
                    let leaving = u64::from(m.from.is_some() && from_after == 0 && from_h.is_some());
                    let after = asset
                        .holders
                        .checked_add(1)
                        .and_then(|n| n.checked_sub(leaving))
                        .expect("holders counts holdings, far below u64::MAX, and leaving is at most 1");
                    if after > *max {
                        fail!(Refusal::new(
                            Code::ComplianceMaxHolders,
                            format!("{} would have {after} holders; the maximum is {max}", asset.symbol)
                        ));
                    }
                }
            }
            Rule::MaxBalance(max) => {
                if receiver.is_some() && to_after > *max {
                    fail!(Refusal::new(
                        Code::ComplianceMaxBalance,
                        format!("the receiver would hold {}; the maximum is {}", money(to_after), money(*max))
                    ));
                }
            }
            Rule::MaxShareBps(bps) => {
                if receiver.is_some() {
                    // Saturating on purpose: a supply past Amount::MAX is refused by `movement`.
                    let supply_after =
                        if m.kind == Movement::Mint { asset.supply.saturating_add(m.amount) } else { asset.supply };
                    let cap = share_of(supply_after, *bps);
                    if to_after > cap {
                        let (held, supply, cap) = (money(to_after), money(supply_after), money(cap));
                        fail!(Refusal::new(
                            Code::ComplianceMaxShare,
                            format!("the receiver would hold {held} of {supply}, above {bps} bps ({cap})")
                        ));
                    }
                }
            }
            Rule::TransferLimit(limit) => {
                if m.kind.is_transfer() && m.amount > *limit {
                    fail!(Refusal::new(
                        Code::ComplianceTransferLimit,
                        format!("{} is above the per-transfer limit {}", money(m.amount), money(*limit))
                    ));
                }
            }
            Rule::Rolling24hLimit(limit) => {
                if m.kind.is_transfer() {
                    // Saturating on purpose: the sum is only compared against the limit.
                    let recent: Amount = from_h
                        .and_then(|h| h.extra.as_deref())
                        .map(|e| {
                            e.outflows
                                .iter()
                                .filter(|(t, _)| t.plus(DAY_SECONDS) > m.now)
                                .map(|(_, a)| *a)
                                .fold(0, Amount::saturating_add)
                        })
                        .unwrap_or(0);
                    if recent.saturating_add(m.amount) > *limit {
                        let (recent, amount, limit) = (money(recent), money(m.amount), money(*limit));
                        fail!(Refusal::new(
                            Code::ComplianceRollingLimit,
                            format!("{recent} sent in the last 24 hours plus {amount} is above the limit {limit}")
                        ));
                    }
                }
            }
            Rule::SamePartyOnly => {
                if m.kind.is_transfer() {
                    if let (Some(f), Some(t)) = (from_party, to_party) {
                        if f.id != t.id {
                            fail!(Refusal::new(
                                Code::ComplianceSamePartyOnly,
                                format!("{} and {} are different parties", f.id, t.id)
                            ));
                        }
                    }
                }
            }
            Rule::PartyKinds(kinds) => {
                if let Some(p) = receiver {
                    if !kinds.contains(&p.kind) {
                        fail!(Refusal::new(
                            Code::CompliancePartyKind,
                            format!(
                                "party {} is {}; only {} may hold the asset",
                                p.id,
                                with_article(p.kind),
                                or_list(&kinds.iter().map(with_article).collect::<Vec<_>>())
                            )
                        ));
                    }
                }
            }
            Rule::MonitorStructuring { .. } | Rule::MonitorRapidInOut { .. } | Rule::MonitorNewCounterparty { .. } => {}
        }
    }
}

/// An alert a monitoring rule raised, before it is numbered and stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertDraft {
    pub rule: &'static str,
    pub wallet: WalletIdx,
    pub counterparty: Option<WalletIdx>,
    pub amount: Amount,
    pub detail: String,
}

/// Runs the monitoring rules for a transfer about to be applied (reads the holdings before the
/// move). Never refuses.
pub fn monitor(state: &State, m: &Move) -> Vec<AlertDraft> {
    let mut alerts = Vec::new();
    let (Some(from), Some(to)) = (m.from, m.to) else {
        return alerts;
    };
    if !m.kind.is_transfer() {
        return alerts;
    }
    let rules = &state.policy(m.asset).rules;
    if !rules.iter().any(Rule::is_monitoring) {
        return alerts;
    }
    let extra = state.holding_ref(m.asset, from).and_then(|h| h.extra.as_deref());
    let money = |amount| state.amount_text(m.asset, amount);
    for rule in rules {
        match rule {
            Rule::MonitorStructuring { threshold, window_seconds, count } => {
                let lower = threshold.checked_sub(threshold / 10).expect("a tenth is at most the whole");
                let in_band = |a: Amount| a >= lower && a < *threshold;
                if in_band(m.amount) {
                    let earlier = extra
                        .map(|e| {
                            e.outflows.iter().filter(|(t, a)| t.plus(*window_seconds) > m.now && in_band(*a)).count()
                        })
                        .unwrap_or(0);
                    let seen = earlier.checked_add(1).expect("earlier counts a bounded list of outflows");
                    if seen >= *count as usize {
                        alerts.push(AlertDraft {
                            rule: rule.name(),
                            wallet: from,
                            counterparty: Some(to),
                            amount: m.amount,
                            detail: format!(
                                "{seen} transfers just below {} within {window_seconds} s",
                                money(*threshold)
                            ),
                        });
                    }
                }
            }
            Rule::MonitorRapidInOut { window_seconds, share_bps } => {
                if let Some((t, received)) = extra.and_then(|e| e.last_in) {
                    if t.plus(*window_seconds) > m.now && m.amount >= share_of(received, *share_bps).max(1) {
                        alerts.push(AlertDraft {
                            rule: rule.name(),
                            wallet: from,
                            counterparty: Some(to),
                            amount: m.amount,
                            detail: format!(
                                "received {} at {t}, sent {} within {window_seconds} s",
                                money(received),
                                money(m.amount)
                            ),
                        });
                    }
                }
            }
            Rule::MonitorNewCounterparty { amount } => {
                let known = extra.is_some_and(|e| e.counterparties.contains(&to));
                if !known && m.amount > *amount {
                    alerts.push(AlertDraft {
                        rule: rule.name(),
                        wallet: from,
                        counterparty: Some(to),
                        amount: m.amount,
                        detail: format!("first transfer to this counterparty, above {}", money(*amount)),
                    });
                }
            }
            _ => {}
        }
    }
    alerts
}

/// Updates per-holding tracking after units left `h` (sender side). Only a holder's own
/// transfers count towards rolling limits and monitoring (`by_holder`); burns and forced moves
/// only consume lots.
pub fn track_outflow(h: &mut Holding, t: &Tracking, to: Option<WalletIdx>, amount: Amount, now: Time, by_holder: bool) {
    consume_lots(h);
    if !by_holder {
        prune_extra(h);
        return;
    }
    if let Some(window) = t.outflow_window {
        let e = h.extra.get_or_insert_with(Default::default);
        e.outflows.retain(|(at, _)| at.plus(window) > now);
        e.outflows.push((now, amount));
        if e.outflows.len() > MAX_OUTFLOWS {
            // Merge the two oldest into the later time: the sum stays inside the window longer,
            // so limits only get stricter, never looser.
            // Saturating on purpose: the merged entry is only compared against limits, and at
            // Amount::MAX it already exceeds every one of them.
            let (t1, a1) = e.outflows[1];
            e.outflows[1] = (t1, a1.saturating_add(e.outflows[0].1));
            e.outflows.remove(0);
        }
    }
    if let (true, Some(to)) = (t.counterparties, to) {
        let e = h.extra.get_or_insert_with(Default::default);
        if !e.counterparties.contains(&to) {
            e.counterparties.push(to);
            if e.counterparties.len() > MAX_COUNTERPARTIES {
                e.counterparties.remove(0);
            }
        }
    }
    prune_extra(h);
}

/// Updates per-holding tracking after units arrived in `h` (receiver side).
pub fn track_inflow(h: &mut Holding, t: &Tracking, amount: Amount, now: Time) {
    if t.lockup_seconds.is_some() {
        add_lot(h, now, amount);
    }
    if t.last_in {
        h.extra.get_or_insert_with(Default::default).last_in = Some((now, amount));
    }
}

fn prune_extra(h: &mut Holding) {
    if h.extra.as_deref().is_some_and(|e| *e == HoldingExtra::default()) {
        h.extra = None;
    }
}
