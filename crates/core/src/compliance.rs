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
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

pub const MAX_RULES: usize = 32;
pub const MAX_LIST: usize = 256;
pub const DAY_SECONDS: u64 = 86_400;

/// One configured rule. The order of rules in a policy is the order they are reported.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// Both parties hold a live KYC claim from a trusted issuer.
    Kyc,
    /// The receiving party holds one of these investor classes.
    InvestorClasses(Vec<InvestorClass>),
    /// The receiving party's jurisdiction is one of these (ISO 3166-1 alpha-2).
    JurisdictionsAllowed(Vec<String>),
    /// The receiving party's jurisdiction is none of these.
    JurisdictionsDenied(Vec<String>),
    /// No party or wallet involved is sanctioned (list entry, linked address or claim).
    Sanctions,
    /// Units can leave a holding only this long after they were acquired (Reg S, Rule 144).
    Lockup { seconds: u64 },
    /// A first investment (into an empty holding) is at least this much.
    MinInvestment(#[serde(with = "amount_serde")] Amount),
    /// A remaining balance is zero or at least this much.
    MinHolding(#[serde(with = "amount_serde")] Amount),
    /// At most this many holders of the asset.
    MaxHolders(u64),
    /// No holding above this amount.
    MaxBalance(#[serde(with = "amount_serde")] Amount),
    /// No holding above this share of supply, in basis points.
    MaxShareBps(u32),
    /// No single transfer above this amount.
    TransferLimit(#[serde(with = "amount_serde")] Amount),
    /// No sender moves more than this in any rolling 24 hours.
    #[serde(rename = "rolling_24h_limit")]
    Rolling24hLimit(#[serde(with = "amount_serde")] Amount),
    /// Transfers only between wallets of one party.
    SamePartyOnly,
    /// Alert: `count` transfers by one sender within `window_seconds`, each within 10% below
    /// `threshold` (splitting to stay under a reporting threshold).
    MonitorStructuring {
        #[serde(with = "amount_serde")]
        threshold: Amount,
        window_seconds: u64,
        count: u32,
    },
    /// Alert: a wallet sends on at least `share_bps` of what it received within
    /// `window_seconds` of receiving it.
    MonitorRapidInOut { window_seconds: u64, share_bps: u32 },
    /// Alert: a first transfer to a new counterparty above `amount`.
    MonitorNewCounterparty {
        #[serde(with = "amount_serde")]
        amount: Amount,
    },
    /// The receiving party is of one of these kinds (e.g. wholesale CBDC: banks only).
    PartyKinds(Vec<PartyKind>),
}

impl Rule {
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Kyc => "kyc",
            Rule::InvestorClasses(_) => "investor_classes",
            Rule::JurisdictionsAllowed(_) => "jurisdictions_allowed",
            Rule::JurisdictionsDenied(_) => "jurisdictions_denied",
            Rule::Sanctions => "sanctions",
            Rule::Lockup { .. } => "lockup",
            Rule::MinInvestment(_) => "min_investment",
            Rule::MinHolding(_) => "min_holding",
            Rule::MaxHolders(_) => "max_holders",
            Rule::MaxBalance(_) => "max_balance",
            Rule::MaxShareBps(_) => "max_share_bps",
            Rule::TransferLimit(_) => "transfer_limit",
            Rule::Rolling24hLimit(_) => "rolling_24h_limit",
            Rule::SamePartyOnly => "same_party_only",
            Rule::MonitorStructuring { .. } => "monitor_structuring",
            Rule::MonitorRapidInOut { .. } => "monitor_rapid_in_out",
            Rule::MonitorNewCounterparty { .. } => "monitor_new_counterparty",
            Rule::PartyKinds(_) => "party_kinds",
        }
    }
    pub fn is_monitoring(&self) -> bool {
        matches!(
            self,
            Rule::MonitorStructuring { .. } | Rule::MonitorRapidInOut { .. } | Rule::MonitorNewCounterparty { .. }
        )
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// What a policy needs tracked per holding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tracking {
    pub lockup_seconds: Option<u64>,
    /// Longest window over which outflows must be remembered.
    pub outflow_window: Option<u64>,
    pub last_in: bool,
    pub counterparties: bool,
}

impl Policy {
    pub fn check(&self) -> Result<(), Refusal> {
        if self.rules.len() > MAX_RULES {
            return refuse(Code::PolicyInvalid, format!("a policy holds at most {MAX_RULES} rules"));
        }
        for r in &self.rules {
            let bad = |m: &str| refuse(Code::PolicyInvalid, format!("rule {}: {m}", r.name()));
            match r {
                Rule::InvestorClasses(v) if v.is_empty() || v.len() > MAX_LIST => return bad("list 1 to 256 classes"),
                Rule::PartyKinds(v) if v.is_empty() || v.len() > MAX_LIST => return bad("list 1 to 256 party kinds"),
                Rule::JurisdictionsAllowed(v) | Rule::JurisdictionsDenied(v) => {
                    if v.is_empty() || v.len() > MAX_LIST {
                        return bad("list 1 to 256 countries");
                    }
                    for c in v {
                        check_country(c).map_err(|e| Refusal::new(Code::PolicyInvalid, e.message))?;
                    }
                }
                Rule::MaxShareBps(b) if *b == 0 || *b > 10_000 => return bad("basis points 1 to 10000"),
                Rule::MaxHolders(0) => return bad("at least one holder"),
                Rule::MonitorStructuring { threshold, window_seconds, count }
                    if *threshold == 0 || *window_seconds == 0 || *count < 2 =>
                {
                    return bad("threshold and window positive, count at least 2");
                }
                Rule::MonitorRapidInOut { window_seconds, share_bps }
                    if *window_seconds == 0 || *share_bps == 0 || *share_bps > 10_000 =>
                {
                    return bad("window positive, share 1 to 10000 bps");
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub fn tracking(&self) -> Tracking {
        let mut t = Tracking::default();
        for r in &self.rules {
            match r {
                Rule::Lockup { seconds } => t.lockup_seconds = Some(t.lockup_seconds.unwrap_or(0).max(*seconds)),
                Rule::Rolling24hLimit(_) => t.outflow_window = Some(t.outflow_window.unwrap_or(0).max(DAY_SECONDS)),
                Rule::MonitorStructuring { window_seconds, .. } => {
                    t.outflow_window = Some(t.outflow_window.unwrap_or(0).max(*window_seconds))
                }
                Rule::MonitorRapidInOut { .. } => t.last_in = true,
                Rule::MonitorNewCounterparty { .. } => t.counterparties = true,
                _ => {}
            }
        }
        t
    }
}

/// Kinds of movement the rules distinguish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    Mint,
    Burn,
    Transfer,
    /// Forced transfer (court order, seizure): only the receiver is screened.
    Forced,
    /// A settlement leg (DvP, HTLC claim, escrow release): a transfer of units the sender
    /// locked earlier. Checked like a transfer.
    Settlement,
}

impl Movement {
    /// Moves a holder makes by choice, which transfer limits and monitoring look at.
    pub fn is_transfer(self) -> bool {
        matches!(self, Movement::Transfer | Movement::Settlement)
    }
}

/// A proposed movement, as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Move {
    pub kind: Movement,
    pub asset: AssetIdx,
    pub from: Option<WalletIdx>,
    pub to: Option<WalletIdx>,
    pub amount: Amount,
    pub now: Time,
}

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

/// floor(x × bps / 10000) without overflow.
fn share_of(x: Amount, bps: u32) -> Amount {
    let bps = bps as Amount;
    (x / 10_000) * bps + (x % 10_000) * bps / 10_000
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
    let from_party = m.from.map(|w| state.party(state.wallet(w).party));
    let to_party = m.to.map(|w| state.party(state.wallet(w).party));
    // Which side each rule looks at: senders are not screened on a forced move.
    let sender = if m.kind == Movement::Forced { None } else { from_party };
    let receiver = if m.kind == Movement::Burn { None } else { to_party };
    let from_h = m.from.and_then(|w| state.holding_ref(m.asset, w));
    let to_h = m.to.and_then(|w| state.holding_ref(m.asset, w));
    let to_before = to_h.map(|h| h.total().unwrap_or(Amount::MAX)).unwrap_or(0);
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
                        fail!(Refusal::new(
                            Code::ComplianceLockup,
                            format!(
                                "only {unlocked} of the holding is past its {seconds}-second holding period; {} asked",
                                m.amount
                            )
                        ));
                    }
                }
            }
            Rule::MinInvestment(min) => {
                if receiver.is_some() && m.kind != Movement::Forced && to_before == 0 && m.amount < *min {
                    fail!(Refusal::new(
                        Code::ComplianceMinInvestment,
                        format!("a first investment of {} is below the minimum {min}", m.amount)
                    ));
                }
            }
            Rule::MinHolding(min) => {
                if sender.is_some() && from_after > 0 && from_after < *min {
                    fail!(Refusal::new(
                        Code::ComplianceMinHolding,
                        format!("the sender would keep {from_after}, below the minimum holding {min}")
                    ));
                }
                if receiver.is_some() && to_after < *min {
                    fail!(Refusal::new(
                        Code::ComplianceMinHolding,
                        format!("the receiver would hold {to_after}, below the minimum holding {min}")
                    ));
                }
            }
            Rule::MaxHolders(max) => {
                if receiver.is_some() && to_before == 0 {
                    let leaving = u64::from(m.from.is_some() && from_after == 0 && from_h.is_some());
                    let after = asset.holders + 1 - leaving;
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
                        format!("the receiver would hold {to_after}; the maximum is {max}")
                    ));
                }
            }
            Rule::MaxShareBps(bps) => {
                if receiver.is_some() {
                    let supply_after =
                        if m.kind == Movement::Mint { asset.supply.saturating_add(m.amount) } else { asset.supply };
                    let cap = share_of(supply_after, *bps);
                    if to_after > cap {
                        fail!(Refusal::new(
                            Code::ComplianceMaxShare,
                            format!("the receiver would hold {to_after} of {supply_after}, above {bps} bps ({cap})")
                        ));
                    }
                }
            }
            Rule::TransferLimit(limit) => {
                if m.kind.is_transfer() && m.amount > *limit {
                    fail!(Refusal::new(
                        Code::ComplianceTransferLimit,
                        format!("{} is above the per-transfer limit {limit}", m.amount)
                    ));
                }
            }
            Rule::Rolling24hLimit(limit) => {
                if m.kind.is_transfer() {
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
                        fail!(Refusal::new(
                            Code::ComplianceRollingLimit,
                            format!("{recent} sent in the last 24 hours plus {} is above the limit {limit}", m.amount)
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
    for rule in rules {
        match rule {
            Rule::MonitorStructuring { threshold, window_seconds, count } => {
                let lower = threshold - threshold / 10;
                let in_band = |a: Amount| a >= lower && a < *threshold;
                if in_band(m.amount) {
                    let earlier = extra
                        .map(|e| {
                            e.outflows.iter().filter(|(t, a)| t.plus(*window_seconds) > m.now && in_band(*a)).count()
                        })
                        .unwrap_or(0);
                    if earlier + 1 >= *count as usize {
                        alerts.push(AlertDraft {
                            rule: rule.name(),
                            wallet: from,
                            counterparty: Some(to),
                            amount: m.amount,
                            detail: format!(
                                "{} transfers just below {threshold} within {window_seconds} s",
                                earlier + 1
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
                            detail: format!("received {received} at {t}, sent {} within {window_seconds} s", m.amount),
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
                        detail: format!("first transfer to this counterparty, above {amount}"),
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
