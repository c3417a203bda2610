//! Collateral and margin (C1–C5): clearing houses publish schedules, members pledge holdings
//! that stay theirs (and keep earning), the risk engine sends requirements, calls are raised
//! when coverage falls short and, unmet at the deadline, end in default: the pledgee realizes
//! the collateral and the loss runs down the waterfall. Loans against pledged tokens are
//! liquidated when their loan-to-value crosses the threshold.
//!
//! Numbers. A pledge's value is counted in the account's cash asset (minor units): units ×
//! unit price × 10^cash decimals / (10^asset decimals × 10^8), rounded down. Unit prices, × 10^8
//! per whole unit: cash tokens 1.00 (their currency must be the account's); fund shares at
//! their class's NAV per share; Treasuries at the oracle's price per 100 of face (`PX:cusip`,
//! or for bills the price from `YLD:cusip`) plus, for notes and bonds, the interest accrued
//! (ACT/ACT), divided by 100 (one token is $1 of face); a matured Treasury at par. No price, no
//! value: a pledge without one counts zero (and is reported unpriced). Haircuts: cash 0, fund
//! shares the schedule's fund-share haircut, Treasuries the band of their remaining maturity
//! (none → counts zero); value × (1 − haircut) rounds down. Concentration limits (see
//! `model::collateral::Limits`) then cap fund shares per fund, per member and per issuer; the
//! excess counts zero. Loans count market value, without haircut or limits.
//!
//! Incremental revaluation. Each pledged asset keeps a [`PriceMark`]: its unit price and what
//! else its counted value depends on (a Treasury's days to maturity, a fund's assets). After
//! an operation that may move a price (an oracle report) and at each block boundary, the
//! marks are recomputed; only the accounts pledging an asset whose mark changed are revalued,
//! and an account is also revalued when its pledges, requirement or schedule change. The
//! invariant check recomputes every live account from scratch and compares.
//!
//! Calls and defaults (block boundary, after the other jobs, in this order): schedules due
//! come into force; marks are recomputed; calls past their deadline whose account is still
//! short default; the daily call runs once a day from the schedule's time; accounts a large
//! price move or requirement rise touched since the last boundary are called intraday; loans
//! at or above their liquidation threshold are liquidated. A call is met the moment coverage
//! reaches the requirement (a post, a price move, a lower requirement).
//!
//! The default waterfall (DOMAIN.md §3): the loss is the defaulter's requirement at default
//! (the risk engine's estimate of the close-out cost; no close-out is modelled). Layers, in
//! order: the defaulter's realized margin, its default-fund contribution, the clearing house's
//! skin in the game, the survivors' default fund (pro rata to contributions, rounded down,
//! the remaining units one each in member order), assessments on survivors (pro rata, capped
//! at one contribution each); what is left is reported uncovered. The layers sum to the loss
//! exactly; margin proceeds above the loss go back to the defaulter.
//!
//! Tri-party (C6). A clearing house whose schedule names a custodian holds collateral
//! tri-party: the custodian opens each member's segregated account (a wallet in the member's
//! name whose key it keeps), a pledge first moves the units there and locks them, and the
//! clearing house holds the mirror — the pledge record, which no one can transfer. Releasing
//! the mirror moves the underlying back to the member's own wallet in the same transaction;
//! appropriating or selling it moves the underlying out of the segregated account. Income on
//! pledged units accrues to the segregated account, which is the member's.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::{Move, Movement};
use crate::model::governance::{Need, OpClass};
use crate::model::oracle::VALUE_SCALE;
use crate::movement;
use crate::oracle;
use crate::state::*;
use crate::treasury;
use crate::types::*;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::convert::Infallible;

pub use crate::model::collateral::*;

fn event(e: CollateralEvent) -> Event {
    Event::Collateral(e)
}

/// Moves units between two wallets for the collateral rules (a post into custody, a
/// contribution, a loan's cash, a realization's legs) with the checks of its movement kind, and
/// reports it as a transfer so that histories and statements itemize it.
#[allow(clippy::too_many_arguments)]
fn move_units(
    state: &mut State,
    kind: Movement,
    asset: &Symbol,
    from: &WalletId,
    to: &WalletId,
    amount: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    movement::deliver(state, kind, asset, from, to, amount, now, tx, ev)?;
    ev.push(Event::Transferred { asset: asset.clone(), from: *from, to: *to, amount });
    Ok(())
}

fn overflow() -> Refusal {
    Refusal::new(Code::AmountOverflow, "collateral arithmetic overflows")
}

/// `a × b / c` rounded down, through a 256-bit product: a block-boundary job (a default's
/// pro-rata split, a loan's liquidation) must not fail on amounts whose product alone exceeds
/// u128. Refuses only when the quotient itself does not fit, or `c` is zero.
fn mul_div(a: u128, b: u128, c: u128) -> Result<u128, Refusal> {
    if let Some(x) = a.checked_mul(b) {
        return x.checked_div(c).ok_or_else(overflow);
    }
    wide_mul_div(a, b, c).ok_or_else(overflow)
}

/// `a × b / c` rounded down for products beyond u128: the product as two 128-bit halves, then
/// long division bit by bit. `None` if `c` is zero or the quotient needs more than 128 bits.
fn wide_mul_div(a: u128, b: u128, c: u128) -> Option<u128> {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a.checked_shr(64)?, a & LOW);
    let (b1, b0) = (b.checked_shr(64)?, b & LOW);
    // Each partial product of two 64-bit halves fits in u128.
    let (p00, p01, p10, p11) = (a0.checked_mul(b0)?, a0.checked_mul(b1)?, a1.checked_mul(b0)?, a1.checked_mul(b1)?);
    // product = p11·2^128 + (p01 + p10)·2^64 + p00, gathered into hi·2^128 + lo.
    let (mid, mid_carry) = p01.overflowing_add(p10);
    let (lo, lo_carry) = p00.overflowing_add(mid.checked_shl(64)?);
    let hi = p11
        .checked_add(mid.checked_shr(64)?)?
        .checked_add(if mid_carry { 1u128.checked_shl(64)? } else { 0 })?
        .checked_add(u128::from(lo_carry))?;
    if c == 0 || hi >= c {
        return None;
    }
    // Long division of hi·2^128 + lo by c: the remainder stays below c throughout.
    let (mut rem, mut q) = (hi, 0u128);
    for i in (0..128u32).rev() {
        let bit = lo.checked_shr(i)? & 1;
        let carry = rem.checked_shr(127)? == 1;
        rem = rem.wrapping_shl(1) | bit;
        if carry || rem >= c {
            rem = rem.wrapping_sub(c);
            q |= 1u128.checked_shl(i)?;
        }
    }
    Some(q)
}

/// `amount × bps / 10000`, rounded down.
fn bps_of(amount: Amount, bps: u32) -> Result<Amount, Refusal> {
    mul_div(amount, Amount::from(bps), Amount::from(BPS))
}

fn counters(state: &State) -> Counters {
    state.collateral_counters.get(&0).cloned().unwrap_or_default()
}

fn next_account(state: &mut State) -> u64 {
    let mut c = counters(state);
    c.next_account = c.next_account.checked_add(1).expect("one per account: never reaches u64::MAX");
    let id = c.next_account;
    state.collateral_counters.put(0, c);
    id
}

/// Takes `n` call ids in one write; returns the first (the others follow it).
fn next_calls(state: &mut State, n: usize) -> u64 {
    let mut c = counters(state);
    let first = c.next_call.checked_add(1).expect("one per call: never reaches u64::MAX");
    c.next_call = c.next_call.checked_add(n as u64).expect("one per call: never reaches u64::MAX");
    state.collateral_counters.put(0, c);
    first
}

// ---------------------------------------------------------------- lookups

pub fn clearing(state: &State, ccp: &PartyId) -> Result<Clearing, Refusal> {
    clearing_ref(state, ccp).cloned()
}

fn clearing_ref<'a>(state: &'a State, ccp: &PartyId) -> Result<&'a Clearing, Refusal> {
    state.clearing_houses.get(ccp).ok_or_else(|| {
        Refusal::new(Code::CollateralNotAClearingHouse, format!("{ccp} is not a clearing house with a schedule"))
    })
}

pub fn account(state: &State, id: u64) -> Result<Account, Refusal> {
    state
        .collateral_accounts
        .get(&id)
        .cloned()
        .ok_or_else(|| Refusal::new(Code::CollateralUnknownMember, format!("no collateral account {id}")))
}

/// The margin account of `member` at `ccp`.
pub fn margin_account(state: &State, ccp: &PartyId, member: &PartyId) -> Result<Account, Refusal> {
    clearing_ref(state, ccp)?;
    let id = state.margin_index.get(&(ccp.clone(), member.clone())).copied().ok_or_else(|| {
        Refusal::new(Code::CollateralUnknownMember, format!("{member} is not a member of clearing house {ccp}"))
    })?;
    account(state, id)
}

fn party_of(state: &State, wallet: WalletIdx) -> PartyId {
    state.party(state.wallet(wallet).party).id.clone()
}

/// The party's first wallet (where the ledger pays it).
fn first_wallet(state: &State, party: &PartyId) -> Result<WalletIdx, Refusal> {
    let p = state.party(state.party_idx(party)?);
    p.wallets
        .iter()
        .copied()
        .find(|w| state.wallet(*w).retired_to.is_none())
        .ok_or_else(|| Refusal::new(Code::WalletUnknown, format!("party {party} has no wallet")))
}

// ---------------------------------------------------------------- valuation

/// What a pledged asset is, for eligibility, haircuts and limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    Cash { currency: String },
    Treasury { bill: bool, days: u64 },
    FundShare { fund: Symbol, currency: String, issuer: PartyIdx },
}

/// The class of an asset at `now`.
pub fn class_of(state: &State, asset: AssetIdx, now: Time) -> Result<Class, Refusal> {
    let a = state.asset(asset);
    Ok(match &a.kind {
        AssetKind::CashToken { currency, .. } => Class::Cash { currency: currency.clone() },
        AssetKind::TreasurySecurity { security, maturity, .. } => Class::Treasury {
            bill: *security == SecurityType::Bill,
            // Saturating on purpose: a matured security has no days left.
            days: maturity.day().saturating_sub(now.day()),
        },
        AssetKind::FundShare { .. } => {
            let sc = state.share_classes.get(&asset).ok_or_else(|| {
                Refusal::new(Code::CollateralIneligible, format!("{} is not a share class of a fund", a.symbol))
            })?;
            let fund = state.funds.get(&sc.spec.fund).ok_or_else(|| {
                Refusal::new(Code::CollateralIneligible, format!("no fund {} for {}", sc.spec.fund, a.symbol))
            })?;
            let currency = match &state.asset(fund.cash_asset).kind {
                AssetKind::CashToken { currency, .. } => currency.clone(),
                _ => String::new(),
            };
            Class::FundShare { fund: sc.spec.fund.clone(), currency, issuer: a.issuer }
        }
    })
}

/// One whole unit's value × 10^8 in its currency, and the mark's other input (see
/// [`PriceMark`]), at `now`.
pub fn mark_of(state: &State, asset: AssetIdx, now: Time) -> PriceMark {
    let a = state.asset(asset);
    match &a.kind {
        AssetKind::CashToken { .. } => PriceMark { unit_price: Some(VALUE_SCALE), aux: 0 },
        AssetKind::FundShare { .. } => {
            let sc = state.share_classes.get(&asset);
            let assets = sc
                .and_then(|sc| state.funds.get(&sc.spec.fund))
                .and_then(|f| f.last.as_ref())
                .map(|v| v.assets)
                .unwrap_or(0);
            PriceMark { unit_price: sc.map(|sc| u128::from(sc.price)), aux: assets }
        }
        AssetKind::TreasurySecurity { security, cusip, maturity, coupon_micros } => {
            // Saturating on purpose: a matured security has no days left.
            let days = maturity.day().saturating_sub(now.day());
            let per_100 = if days == 0 {
                Some(100 * VALUE_SCALE)
            } else if *security == SecurityType::Bill {
                oracle::usable(state, &format!("PX:{cusip}"), now).map(u128::from).or_else(|| {
                    let y = oracle::usable(state, &format!("YLD:{cusip}"), now)?;
                    let p = treasury::bill_price(Decimal::new(i64::try_from(y).ok()?, 8), u32::try_from(days).ok()?)?;
                    oracle::to_fixed(&p.to_string()).map(u128::from)
                })
            } else {
                oracle::usable(state, &format!("PX:{cusip}"), now).and_then(|clean| {
                    let accrued = match treasury::coupon_period(*maturity, now) {
                        Some((last, next)) => {
                            let c = Decimal::new(i64::from(*coupon_micros), 6);
                            let ai = treasury::accrued_interest(c, last, next, now).unwrap_or_default();
                            oracle::to_fixed(&ai.to_string())?
                        }
                        None => 0,
                    };
                    u128::from(clean).checked_add(u128::from(accrued))
                })
            };
            PriceMark { unit_price: per_100.map(|p| p / 100), aux: u128::from(days) }
        }
    }
}

/// `amount` of an asset with `asset_decimals` at `unit_price` (× 10^8 per whole unit), in
/// minor units of a cash asset with `cash_decimals`; rounded down. `None` if it overflows.
pub fn value_in(amount: Amount, unit_price: u128, asset_decimals: u8, cash_decimals: u8) -> Option<Amount> {
    let whole = amount.checked_mul(unit_price)?;
    let num = whole.checked_mul(10u128.checked_pow(u32::from(cash_decimals))?)?;
    let den = 10u128.checked_pow(u32::from(asset_decimals))?.checked_mul(VALUE_SCALE)?;
    num.checked_div(den)
}

/// What a valuation pass needs of each asset — its price mark, class and decimals — worked
/// out once per pass, however many accounts pledge it.
#[derive(Default)]
pub struct Prices {
    marks: FxHashMap<AssetIdx, PriceMark>,
    classes: FxHashMap<AssetIdx, (Class, u8)>,
}

impl Prices {
    fn mark(&mut self, state: &State, asset: AssetIdx, now: Time) -> &PriceMark {
        self.marks.entry(asset).or_insert_with(|| mark_of(state, asset, now))
    }
    fn class(&mut self, state: &State, asset: AssetIdx, now: Time) -> Result<&(Class, u8), Refusal> {
        Ok(match self.classes.entry(asset) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert((class_of(state, asset, now)?, state.asset(asset).decimals))
            }
        })
    }
}

fn price(state: &State, prices: &mut Prices, asset: AssetIdx, now: Time) -> PriceMark {
    prices.mark(state, asset, now).clone()
}

/// One pledge as valued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub asset: Symbol,
    pub wallet: WalletId,
    pub amount: Amount,
    pub class: Class,
    /// `None`: no price stands (or it overflows).
    pub value: Option<Amount>,
    pub haircut_bps: u32,
    pub after_haircut: Amount,
}

/// The pledges valued and the coverage they give, at `now`.
pub fn value_pledges(
    state: &State,
    acc: &Account,
    schedule: Option<&Schedule>,
    prices: &mut Prices,
    now: Time,
) -> Result<(Coverage, Vec<Line>), Refusal> {
    valuate(state, acc, schedule, prices, now, true)
}

/// [`value_pledges`]; `every_line`: the lines of every pledge, else only those the
/// concentration limits need (fund shares), so a revaluation allocates next to nothing.
fn valuate(
    state: &State,
    acc: &Account,
    schedule: Option<&Schedule>,
    prices: &mut Prices,
    now: Time,
    every_line: bool,
) -> Result<(Coverage, Vec<Line>), Refusal> {
    let (kind, cash_asset, pledges, requirement) = (&acc.kind, &acc.cash_asset, &acc.pledges, &acc.requirement);
    let cash_idx = state.asset_idx(cash_asset)?;
    let cash_dec = state.asset(cash_idx).decimals;
    let cash_currency: &str = match &state.asset(cash_idx).kind {
        AssetKind::CashToken { currency, .. } => currency,
        _ => "",
    };
    let mut lines = Vec::with_capacity(if every_line { pledges.len() } else { 0 });
    let mut c = Coverage::default();
    for p in pledges {
        let a = state.asset_idx(&p.asset)?;
        let unit_price = prices.mark(state, a, now).unit_price;
        let (class, decimals) = prices.class(state, a, now)?;
        let currency_ok = match class {
            Class::Cash { currency } | Class::FundShare { currency, .. } => currency == cash_currency,
            Class::Treasury { .. } => cash_currency == "USD",
        };
        let value = unit_price.filter(|_| currency_ok).and_then(|px| value_in(p.amount, px, *decimals, cash_dec));
        let haircut_bps = match (kind, schedule, class) {
            (AccountKind::Loan, _, _) | (_, _, Class::Cash { .. }) | (_, None, _) => 0,
            (_, Some(s), Class::FundShare { .. }) => s.fund_share_haircut_bps,
            (_, Some(s), Class::Treasury { bill, days }) => s.treasury_haircut(*bill, *days).unwrap_or(BPS),
        };
        let v = value.unwrap_or(0);
        let after = v.checked_sub(bps_of(v, haircut_bps)?).expect("a haircut is at most 100%");
        c.market = add(c.market, v)?;
        c.after_haircut = add(c.after_haircut, after)?;
        if value.is_none() {
            c.unpriced = c.unpriced.saturating_add(1);
        }
        if matches!(class, Class::Cash { .. }) {
            c.cash = add(c.cash, after)?;
        }
        if every_line || matches!(class, Class::FundShare { .. }) {
            lines.push(Line {
                asset: p.asset.clone(),
                wallet: p.wallet,
                amount: p.amount,
                class: class.clone(),
                value,
                haircut_bps,
                after_haircut: after,
            });
        }
    }
    c.counted = match (kind, schedule) {
        (AccountKind::Margin, Some(s)) => {
            counted_within_limits(state, s, &lines, c.after_haircut, requirement, cash_dec)?
        }
        _ => c.after_haircut,
    };
    Ok((c, lines))
}

/// Σ after-haircut value with the concentration limits applied: per fund (a share of its
/// assets, a cap, and the single-fund rule), then per issuer, then per member for all fund
/// shares. Cash and sovereign bonds are not limited.
/// `after_haircut` is the whole after-haircut value; `lines` must hold at least every
/// fund-share pledge (the only ones limited).
fn counted_within_limits(
    state: &State,
    s: &Schedule,
    lines: &[Line],
    after_haircut: Amount,
    requirement: &Requirement,
    cash_dec: u8,
) -> Result<Amount, Refusal> {
    let l = &s.limits;
    let mut limited = 0 as Amount;
    // fund → (after-haircut value, fund's assets in the account's cash units, issuer)
    let mut funds: std::collections::BTreeMap<Symbol, (Amount, Amount, PartyIdx)> = Default::default();
    for line in lines {
        match &line.class {
            Class::Cash { .. } | Class::Treasury { .. } => {}
            Class::FundShare { fund, issuer, .. } => {
                limited = add(limited, line.after_haircut)?;
                let f = state.funds.get(fund).expect("a share class's fund exists");
                let fund_dec = state.asset(f.cash_asset).decimals;
                let assets = f.last.as_ref().map(|v| v.assets).unwrap_or(0);
                let assets = value_in(assets, VALUE_SCALE, fund_dec, cash_dec).ok_or_else(overflow)?;
                let e = funds.entry(fund.clone()).or_insert((0, assets, *issuer));
                e.0 = add(e.0, line.after_haircut)?;
            }
        }
    }
    let all_funds = funds.values().try_fold(0 as Amount, |t, (v, _, _)| add(t, *v))?;
    let single = match (l.single_fund_threshold, l.single_fund_max_bps) {
        (Some(t), Some(b)) if all_funds >= t => Some(bps_of(all_funds, b)?),
        _ => None,
    };
    let mut issuers: std::collections::BTreeMap<PartyIdx, Amount> = Default::default();
    for (v, assets, issuer) in funds.values() {
        let mut cap = *v;
        if let Some(b) = l.per_fund_bps_of_assets {
            cap = cap.min(bps_of(*assets, b)?);
        }
        if let Some(c) = l.per_fund_cap {
            cap = cap.min(c);
        }
        if let Some(c) = single {
            cap = cap.min(c);
        }
        let e = issuers.entry(*issuer).or_insert(0);
        *e = add(*e, cap)?;
    }
    let issuer_cap = match (l.per_issuer_bps_of_requirement, l.per_issuer_cap) {
        (None, None) => None,
        (b, c) => {
            let by_req = match b {
                Some(b) => Some(bps_of(requirement.total()?, b)?),
                None => None,
            };
            Some(by_req.unwrap_or(Amount::MAX).min(c.unwrap_or(Amount::MAX)))
        }
    };
    let mut fund_total = 0 as Amount;
    for v in issuers.values() {
        fund_total = add(fund_total, issuer_cap.map_or(*v, |c| (*v).min(c)))?;
    }
    if let Some(c) = l.fund_shares_per_member {
        fund_total = fund_total.min(c);
    }
    // Cash and sovereign bonds are not limited: everything but the fund shares counts whole.
    let free = after_haircut.checked_sub(limited).expect("the fund shares are part of the whole");
    add(free, fund_total)
}

/// An account's coverage recomputed from scratch at `now`.
pub fn coverage_of(state: &State, acc: &Account, prices: &mut Prices, now: Time) -> Result<Coverage, Refusal> {
    let schedule = match acc.kind {
        AccountKind::Margin => Some(state.clearing_houses.get(&acc.pledgee).map(|c| &c.schedule).ok_or_else(|| {
            Refusal::new(Code::CollateralNotAClearingHouse, format!("no clearing house {}", acc.pledgee))
        })?),
        AccountKind::Loan => None,
    };
    let (c, _) = valuate(state, acc, schedule, prices, now, false)?;
    Ok(c)
}

/// An account's standing (coverage as last valued, open call); nothing for an account that
/// was never valued.
pub fn standing(state: &State, id: u64) -> Standing {
    state.standings.get(&id).cloned().unwrap_or_default()
}

/// Revalues one account, stores its standing, and marks its open call met once nothing is
/// short. Reads the account in place: a revaluation rewrites only the standing.
fn revalue(state: &mut State, id: u64, prices: &mut Prices, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    match assess(state, id, prices, now)? {
        Some((coverage, short)) => {
            record_standing(state, id, coverage, short, now, ev);
            Ok(())
        }
        None => Ok(()),
    }
}

/// An active account's coverage and shortfall as of now (nothing for an inactive one). Reads
/// only, so a pass can assess many accounts at once.
fn assess(state: &State, id: u64, prices: &mut Prices, now: Time) -> Result<Option<(Coverage, Amount)>, Refusal> {
    let acc = state
        .collateral_accounts
        .get(&id)
        .ok_or_else(|| Refusal::new(Code::CollateralUnknownMember, format!("no collateral account {id}")))?;
    if !acc.active() {
        return Ok(None);
    }
    let coverage = coverage_of(state, acc, prices, now)?;
    let short = shortfall(&acc.requirement, &coverage)?;
    Ok(Some((coverage, short)))
}

/// Stores an assessed account's standing, and meets its open call once nothing is short.
fn record_standing(state: &mut State, id: u64, coverage: Coverage, short: Amount, now: Time, ev: &mut Vec<Event>) {
    let mut s = standing(state, id);
    if s.coverage == coverage && (s.call.is_none() || short > 0) && state.standings.contains(&id) {
        return;
    }
    s.coverage = coverage;
    if let Some(call) = s.call {
        if short == 0 {
            s.call = None;
            meet_call(state, call, now, ev);
        }
    }
    state.standings.put(id, s);
}

fn meet_call(state: &mut State, id: u64, now: Time, ev: &mut Vec<Event>) {
    let Some(mut c) = state.margin_calls.get(&id).cloned() else { return };
    state.open_calls.remove(&(c.deadline, id));
    c.status = CallStatus::Met { at: now };
    ev.push(event(CollateralEvent::CallMet { call: id, account: c.account }));
    state.margin_calls.put(id, c);
}

/// Recomputes the marks of every pledged asset; revalues the accounts pledging those whose
/// mark changed, and puts on the watch list those a move of at least their schedule's
/// intraday threshold touched.
pub fn revalue_moved(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    if state.price_marks.is_empty() {
        return;
    }
    let mut prices = Prices::default();
    let mut moved: Vec<(AssetIdx, u64)> = Vec::new();
    let mut marks: Vec<(AssetIdx, PriceMark)> = state.price_marks.iter().map(|(a, m)| (*a, m.clone())).collect();
    marks.sort_unstable_by_key(|(a, _)| *a);
    for (asset, old) in marks {
        let new = price(state, &mut prices, asset, now);
        if new == old {
            continue;
        }
        let move_bps = match (old.unit_price, new.unit_price) {
            (Some(o), Some(n)) if o > 0 => {
                let diff = o.abs_diff(n).saturating_mul(u128::from(BPS));
                u64::try_from(diff.checked_div(o).expect("o > 0")).unwrap_or(u64::MAX)
            }
            // A price appearing or vanishing is as large a move as there is.
            _ if old.unit_price != new.unit_price => u64::MAX,
            _ => 0,
        };
        state.price_marks.put(asset, new);
        moved.push((asset, move_bps));
    }
    let mut touched: std::collections::BTreeMap<u64, u64> = Default::default();
    for (asset, move_bps) in moved {
        for (_, id) in state.pledged_assets.range(&(asset, 0), &(asset, u64::MAX)) {
            let e = touched.entry(id).or_insert(0);
            *e = (*e).max(move_bps);
        }
    }
    // Every touched account is assessed at once on all cores (reads only), then its standing
    // is written in account order, so the result does not depend on the scheduling.
    let touched: Vec<(u64, u64)> = touched.into_iter().collect();
    let assessed: Vec<_> = {
        let state = &*state;
        touched.par_iter().map_init(Prices::default, |prices, (id, _)| assess(state, *id, prices, now)).collect()
    };
    for ((id, move_bps), assessed) in touched.into_iter().zip(assessed) {
        match assessed {
            Ok(Some((coverage, short))) => record_standing(state, id, coverage, short, now, ev),
            Ok(None) => {}
            // Valuation refuses only on arithmetic overflow, which stored amounts cannot reach.
            Err(r) => unreachable!("revaluing account {id}: {r}"),
        }
        let Some(acc) = state.collateral_accounts.get(&id) else { continue };
        let big = match acc.kind {
            AccountKind::Loan => true,
            AccountKind::Margin => state
                .clearing_houses
                .get(&acc.pledgee)
                .is_some_and(|c| move_bps >= u64::from(c.schedule.intraday_threshold_bps)),
        };
        if big {
            state.watch.put(id, ());
        }
    }
}

// ---------------------------------------------------------------- schedules and members

pub fn set_schedule(cx: &mut Ctx, ccp: &PartyId, effective_from: Time, schedule: &Schedule) -> Result<(), Refusal> {
    let (state, now) = (&mut *cx.state, cx.now);
    let p = state.party(state.party_idx(ccp)?);
    if p.kind != PartyKind::ClearingHouse {
        return refuse(
            Code::CollateralNotAClearingHouse,
            format!("{ccp} is a party of kind {}, not a clearing house", p.kind),
        );
    }
    state.asset_idx(&schedule.cash_asset)?;
    if !matches!(state.asset(state.asset_idx(&schedule.cash_asset)?).kind, AssetKind::CashToken { .. }) {
        return refuse(Code::CollateralBadSchedule, format!("{} is not a cash token", schedule.cash_asset));
    }
    let w = state.wallet_idx(&schedule.wallet)?;
    if party_of(state, w) != *ccp {
        return refuse(Code::CollateralBadSchedule, format!("wallet {} is not {ccp}'s", schedule.wallet.short()));
    }
    if let Some(b) = &schedule.liquidation_buyer {
        state.wallet_idx(b)?;
    }
    let c = match state.clearing_houses.get(ccp).cloned() {
        None => Clearing {
            ccp: ccp.clone(),
            schedule: schedule.clone(),
            effective_from: effective_from.min(now),
            pending: Vec::new(),
            capital_used: 0,
            daily_call_day: now.day(),
            excess_return_day: now.day(),
        },
        Some(mut c) => {
            if schedule.cash_asset != c.schedule.cash_asset {
                return refuse(
                    Code::CollateralBadSchedule,
                    format!("{ccp} counts in {}; a schedule cannot change its cash asset", c.schedule.cash_asset),
                );
            }
            if effective_from <= now {
                c.schedule = schedule.clone();
                c.effective_from = now;
            } else {
                c.pending.retain(|(t, _)| *t != effective_from);
                c.pending.push((effective_from, schedule.clone()));
                c.pending.sort_by_key(|(t, _)| *t);
                state.schedule_due.put((effective_from, ccp.clone()), ());
            }
            c
        }
    };
    let in_force = effective_from <= now;
    state.clearing_houses.put(ccp.clone(), c);
    cx.events.push(event(CollateralEvent::ScheduleSet {
        ccp: ccp.clone(),
        effective_from: effective_from.max(now),
        eligible: schedule.eligible.len() as u32,
        bands: schedule.haircuts.len() as u32,
    }));
    if in_force {
        revalue_members(cx.state, ccp, now, cx.events)?;
    }
    Ok(())
}

/// The margin accounts of a clearing house's members, in admission order.
pub fn member_accounts(state: &State, ccp: &PartyId) -> Vec<u64> {
    state.ccp_members.range(&(ccp.clone(), 0), &(ccp.clone(), u64::MAX)).into_iter().map(|(_, id)| id).collect()
}

fn revalue_members(state: &mut State, ccp: &PartyId, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut prices = Prices::default();
    for id in member_accounts(state, ccp) {
        revalue(state, id, &mut prices, now, ev)?;
        state.watch.put(id, ());
    }
    Ok(())
}

pub fn admit(cx: &mut Ctx, member: &PartyId) -> Result<(), Refusal> {
    let state = &mut *cx.state;
    let ccp = party_of(state, cx.actor);
    let cash_asset = clearing_ref(state, &ccp)?.schedule.cash_asset.clone();
    state.party_idx(member)?;
    if *member == ccp {
        return refuse(Code::CollateralAlreadyMember, "a clearing house is not its own member");
    }
    if state.margin_index.contains(&(ccp.clone(), member.clone())) {
        return refuse(Code::CollateralAlreadyMember, format!("{member} is already a member of {ccp}"));
    }
    let id = next_account(state);
    state.collateral_accounts.put(
        id,
        Account {
            id,
            kind: AccountKind::Margin,
            pledgee: ccp.clone(),
            pledgor: member.clone(),
            cash_asset,
            pledges: Vec::new(),
            requirement: Requirement::default(),
            default_fund: 0,
            assessed: 0,
            status: AccountStatus::Active,
            segregated: None,
        },
    );
    state.margin_index.put((ccp.clone(), member.clone()), id);
    state.ccp_members.put((ccp.clone(), id), ());
    cx.events.push(event(CollateralEvent::MemberAdmitted { ccp, member: member.clone(), account: id }));
    Ok(())
}

// ---------------------------------------------------------------- pledges

/// Whether the clearing house's schedule accepts the asset now.
fn check_eligible(state: &State, s: &Schedule, asset: AssetIdx, now: Time) -> Result<Class, Refusal> {
    let a = state.asset(asset);
    let class = class_of(state, asset, now)?;
    let cash_currency = match &state.asset(state.asset_idx(&s.cash_asset)?).kind {
        AssetKind::CashToken { currency, .. } => currency.clone(),
        _ => String::new(),
    };
    let ok = match &class {
        Class::Cash { currency } => *currency == cash_currency,
        Class::Treasury { bill, days } => {
            s.accepts(KIND_SOVEREIGN_BOND, "US", "USD") && s.treasury_haircut(*bill, *days).is_some()
        }
        Class::FundShare { currency, .. } => *currency == cash_currency && s.accepts(KIND_MUTUAL_FUND, "", currency),
    };
    if !ok {
        let why = match &class {
            Class::Cash { currency } => format!("cash in {currency}; variation margin is paid in {cash_currency}"),
            Class::Treasury { days, .. } => format!("a US Treasury with {days} days to maturity"),
            Class::FundShare { currency, .. } => format!("fund shares in {currency}"),
        };
        return refuse(Code::CollateralIneligible, format!("the schedule does not accept {} ({why})", a.symbol));
    }
    Ok(class)
}

/// Adds units to an account's pledges (locking them) and indexes the asset.
fn add_pledge(
    state: &mut State,
    acc: &mut Account,
    asset: &Symbol,
    wallet: WalletIdx,
    amount: Amount,
    now: Time,
) -> Result<(), Refusal> {
    let a = state.asset_idx(asset)?;
    movement::lock(state, a, wallet, amount, true)?;
    let key = state.wallet(wallet).key;
    match acc.pledges.iter_mut().find(|p| p.asset == *asset && p.wallet == key) {
        Some(p) => p.amount = add(p.amount, amount)?,
        None => {
            if acc.pledges.len() >= MAX_PLEDGES {
                return refuse(
                    Code::CollateralTooManyPledges,
                    format!("an account holds at most {MAX_PLEDGES} pledges"),
                );
            }
            acc.pledges.push(Pledge { asset: asset.clone(), wallet: key, amount, since: now });
            acc.pledges.sort_by(|x, y| (&x.asset, x.wallet).cmp(&(&y.asset, y.wallet)));
        }
    }
    state.pledged_assets.put((a, acc.id), ());
    if !state.price_marks.contains(&a) {
        let m = mark_of(state, a, now);
        state.price_marks.put(a, m);
    }
    Ok(())
}

/// Takes units out of an account's pledges. `unlock`: back to the owner's free balance (else
/// the caller moves them from the locked balance itself).
fn remove_pledge(
    state: &mut State,
    acc: &mut Account,
    asset: &Symbol,
    wallet: &WalletId,
    amount: Amount,
    unlock: bool,
) -> Result<(), Refusal> {
    let pledged = acc.pledged(asset, wallet);
    if pledged < amount {
        let a = state.asset_idx(asset)?;
        return refuse(
            Code::CollateralNotPledged,
            format!(
                "wallet {} has {} pledged to {}; {} asked for",
                wallet.short(),
                state.amount_text_with_symbol(a, pledged),
                acc.pledgee,
                state.amount_text(a, amount)
            ),
        );
    }
    let a = state.asset_idx(asset)?;
    if unlock {
        movement::lock(state, a, state.wallet_idx(wallet)?, amount, false)?;
    }
    let i = acc.pledges.iter().position(|p| p.asset == *asset && p.wallet == *wallet).expect("pledged above");
    acc.pledges[i].amount = pledged.checked_sub(amount).expect("checked above");
    if acc.pledges[i].amount == 0 {
        acc.pledges.remove(i);
    }
    if !acc.pledges.iter().any(|p| p.asset == *asset) {
        state.pledged_assets.remove(&(a, acc.id));
        if !state.pledged_assets.any_in(&(a, 0), &(a, u64::MAX)) {
            state.price_marks.remove(&a);
        }
    }
    Ok(())
}

/// The checks a transfer of the pledged units to the pledgee would face (pause, frozen
/// wallets, free balance, the asset's compliance policy): a pledge is only worth taking if the
/// pledgee may hold what it may have to appropriate.
fn check_as_transfer(
    state: &State,
    asset: AssetIdx,
    from: WalletIdx,
    to: WalletIdx,
    amount: Amount,
    now: Time,
) -> Result<(), Refusal> {
    let m = Move { kind: Movement::Transfer, asset, from: Some(from), to: Some(to), amount, now };
    let mut out = Vec::new();
    movement::checks(state, &m, false, &mut out);
    match out.into_iter().next() {
        Some(r) => Err(r),
        None => Ok(()),
    }
}

/// The clearing house's deposits of one fund after adding `extra`, against its limit.
fn check_ccp_fund_limit(state: &State, c: &Clearing, asset: AssetIdx, extra: Amount, now: Time) -> Result<(), Refusal> {
    let Some(limit_bps) = c.schedule.limits.ccp_per_fund_bps_of_assets else { return Ok(()) };
    let Class::FundShare { fund, .. } = class_of(state, asset, now)? else { return Ok(()) };
    let f = state.funds.get(&fund).expect("a share class's fund exists");
    let mut prices = Prices::default();
    let cash = state.asset_idx(&c.schedule.cash_asset)?;
    let cash_dec = state.asset(cash).decimals;
    let value = |state: &State, prices: &mut Prices, a: AssetIdx, amount: Amount| -> Amount {
        let m = price(state, prices, a, now);
        m.unit_price.and_then(|px| value_in(amount, px, state.asset(a).decimals, cash_dec)).unwrap_or(0)
    };
    let mut total = value(state, &mut prices, asset, extra);
    for class in &f.classes {
        for (_, id) in state.pledged_assets.range(&(*class, 0), &(*class, u64::MAX)) {
            let Some(acc) = state.collateral_accounts.get(&id) else { continue };
            if acc.pledgee != c.ccp || acc.kind != AccountKind::Margin {
                continue;
            }
            let sym = &state.asset(*class).symbol;
            for p in acc.pledges.iter().filter(|p| p.asset == *sym) {
                total = add(total, value(state, &mut prices, *class, p.amount))?;
            }
        }
    }
    let assets = f.last.as_ref().map(|v| v.assets).unwrap_or(0);
    let assets = value_in(assets, VALUE_SCALE, state.asset(f.cash_asset).decimals, cash_dec).ok_or_else(overflow)?;
    let limit = bps_of(assets, limit_bps)?;
    if total > limit {
        return refuse(
            Code::CollateralConcentration,
            format!(
                "{}'s deposits of fund {fund} would be {}, above {} bps of the fund's assets ({})",
                c.ccp,
                state.amount_text_with_symbol(cash, total),
                limit_bps,
                state.amount_text(cash, limit)
            ),
        );
    }
    Ok(())
}

pub fn pledge(cx: &mut Ctx, ccp: &PartyId, asset: &Symbol, amount: Amount) -> Result<(), Refusal> {
    let (state, now, signer) = (&mut *cx.state, cx.now, cx.actor);
    let member = party_of(state, signer);
    let mut acc = active_margin_account(state, ccp, &member)?;
    let a = state.asset_idx(asset)?;
    let custodian = {
        let c = clearing_ref(state, ccp)?;
        check_eligible(state, &c.schedule, a, now)?;
        c.schedule.custodian.clone()
    };
    let holder = into_custody(state, custodian.as_ref(), ccp, &acc, signer, asset, amount, now, cx.tx, cx.events)?;
    {
        let c = clearing_ref(state, ccp)?;
        let ccp_wallet = state.wallet_idx(&c.schedule.wallet)?;
        check_as_transfer(state, a, holder, ccp_wallet, amount, now)?;
        check_ccp_fund_limit(state, c, a, amount, now)?;
    }
    add_pledge(state, &mut acc, asset, holder, amount, now)?;
    let id = acc.id;
    state.collateral_accounts.put(id, acc);
    cx.events.push(event(CollateralEvent::Pledged {
        account: id,
        asset: asset.clone(),
        wallet: state.wallet(holder).key,
        amount,
    }));
    revalue(cx.state, id, &mut Prices::default(), now, cx.events)
}

/// Where a member's pledged units are held: its segregated account at the custodian when the
/// clearing house holds collateral tri-party (the units move there first, in the same
/// transaction), else the signing wallet itself.
#[allow(clippy::too_many_arguments)]
fn into_custody(
    state: &mut State,
    custodian: Option<&PartyId>,
    ccp: &PartyId,
    acc: &Account,
    signer: WalletIdx,
    asset: &Symbol,
    amount: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<WalletIdx, Refusal> {
    let Some(custodian) = custodian else { return Ok(signer) };
    let Some(seg) = acc.segregated else {
        return refuse(
            Code::CollateralNoSegregatedAccount,
            format!("{ccp} holds collateral at {custodian}: {} has no segregated account there yet", acc.pledgor),
        );
    };
    let seg_idx = state.wallet_idx(&seg)?;
    if seg_idx != signer {
        let from = state.wallet(signer).key;
        move_units(state, Movement::Transfer, asset, &from, &seg, amount, now, tx, ev)?;
    }
    Ok(seg_idx)
}

/// The wallet a member's pledges are held in: its segregated account in tri-party mode, else
/// the signer's own.
fn holding_wallet(state: &State, acc: &Account, signer: WalletIdx) -> Result<WalletIdx, Refusal> {
    match acc.segregated {
        Some(seg) => state.wallet_idx(&seg),
        None => Ok(signer),
    }
}

/// Released units held in custody go back to `to` (the member's own wallet) in the same
/// transaction.
#[allow(clippy::too_many_arguments)]
fn out_of_custody(
    state: &mut State,
    holder: WalletIdx,
    to: WalletIdx,
    asset: &Symbol,
    amount: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    if holder == to {
        return Ok(());
    }
    let (from, to) = (state.wallet(holder).key, state.wallet(to).key);
    move_units(state, Movement::Transfer, asset, &from, &to, amount, now, tx, ev)
}

/// The member's own wallet that released custody units return to: its first wallet that is
/// not the segregated account.
fn return_wallet(state: &State, acc: &Account) -> Result<WalletIdx, Refusal> {
    let p = state.party(state.party_idx(&acc.pledgor)?);
    p.wallets
        .iter()
        .copied()
        .find(|w| state.wallet(*w).retired_to.is_none() && Some(state.wallet(*w).key) != acc.segregated)
        .ok_or_else(|| {
            Refusal::new(Code::WalletUnknown, format!("{} has no wallet besides its segregated account", acc.pledgor))
        })
}

pub fn open_segregated(cx: &mut Ctx, ccp: &PartyId, member: &PartyId, wallet: &WalletId) -> Result<(), Refusal> {
    let state = &mut *cx.state;
    let c = clearing(state, ccp)?;
    let Some(custodian) = c.schedule.custodian.clone() else {
        return refuse(
            Code::CollateralNoSegregatedAccount,
            format!("{ccp} holds collateral bilaterally (its schedule names no custodian)"),
        );
    };
    let by = party_of(state, cx.actor);
    if by != custodian {
        return refuse(
            Code::CollateralForeignInput,
            format!("{ccp}'s segregated accounts are opened by its custodian {custodian}, not by {by}"),
        );
    }
    let mut acc = margin_account(state, ccp, member)?;
    let w = state.wallet_idx(wallet)?;
    if party_of(state, w) != *member {
        return refuse(
            Code::CollateralNoSegregatedAccount,
            format!("wallet {} is not {member}'s: a segregated account is in the member's name", wallet.short()),
        );
    }
    if acc.segregated.is_some() || !acc.pledges.is_empty() {
        return refuse(
            Code::CollateralNoSegregatedAccount,
            format!("{member}'s account at {ccp} already holds collateral or has its segregated account"),
        );
    }
    acc.segregated = Some(*wallet);
    let id = acc.id;
    state.collateral_accounts.put(id, acc);
    cx.events.push(event(CollateralEvent::SegregatedAccountOpened {
        ccp: ccp.clone(),
        member: member.clone(),
        custodian,
        wallet: *wallet,
    }));
    Ok(())
}

/// The margin account of `member` at `ccp`, refused once it defaulted or closed: nothing more
/// is posted to it, taken out of it or asked of it.
fn active_margin_account(state: &State, ccp: &PartyId, member: &PartyId) -> Result<Account, Refusal> {
    let acc = margin_account(state, ccp, member)?;
    if !acc.active() {
        return refuse(
            Code::CollateralAccountDefaulted,
            format!("{member}'s account at {ccp} is {}", status_words(&acc)),
        );
    }
    Ok(acc)
}

fn status_words(acc: &Account) -> String {
    match &acc.status {
        AccountStatus::Active => "active".into(),
        AccountStatus::Defaulted { at, call } => format!("in default since {at} (call {call})"),
        AccountStatus::Closed { at } => format!("closed since {at}"),
    }
}

/// Coverage an account would have with other pledges, and its shortfall then.
fn shortfall_with(
    state: &State,
    acc: &Account,
    pledges: Vec<Pledge>,
    now: Time,
) -> Result<(Coverage, Amount), Refusal> {
    let trial = Account { pledges, ..acc.clone() };
    let c = coverage_of(state, &trial, &mut Prices::default(), now)?;
    let s = shortfall(&acc.requirement, &c)?;
    Ok((c, s))
}

fn without(pledges: &[Pledge], asset: &Symbol, wallet: &WalletId, amount: Amount) -> Vec<Pledge> {
    let mut v = pledges.to_vec();
    if let Some(p) = v.iter_mut().find(|p| p.asset == *asset && p.wallet == *wallet) {
        // Saturating on purpose: taking out more than is pledged is refused before this is used.
        p.amount = p.amount.saturating_sub(amount);
    }
    v.retain(|p| p.amount > 0);
    v
}

pub fn withdraw(cx: &mut Ctx, ccp: &PartyId, asset: &Symbol, amount: Amount) -> Result<(), Refusal> {
    let (state, now, signer) = (&mut *cx.state, cx.now, cx.actor);
    let member = party_of(state, signer);
    let mut acc = active_margin_account(state, ccp, &member)?;
    let holder = holding_wallet(state, &acc, signer)?;
    let key = state.wallet(holder).key;
    if acc.pledged(asset, &key) < amount {
        return remove_pledge(state, &mut acc, asset, &key, amount, true);
    }
    let (c, short) = shortfall_with(state, &acc, without(&acc.pledges, asset, &key, amount), now)?;
    if short > 0 {
        let cash = state.asset_idx(&acc.cash_asset)?;
        return refuse(
            Code::CollateralBelowRequirement,
            format!(
                "after taking out {} coverage would be {} against a requirement of {} (variation margin {} in cash, {} cash left)",
                state.amount_text_with_symbol(state.asset_idx(asset)?, amount),
                state.amount_text_with_symbol(cash, c.counted),
                state.amount_text(cash, acc.requirement.total()?),
                state.amount_text(cash, acc.requirement.variation),
                state.amount_text(cash, c.cash),
            ),
        );
    }
    remove_pledge(state, &mut acc, asset, &key, amount, true)?;
    let id = acc.id;
    state.collateral_accounts.put(id, acc);
    cx.events.push(event(CollateralEvent::Released { account: id, asset: asset.clone(), wallet: key, amount }));
    out_of_custody(cx.state, holder, signer, asset, amount, now, cx.tx, cx.events)?;
    revalue(cx.state, id, &mut Prices::default(), now, cx.events)
}

pub fn release(
    cx: &mut Ctx,
    member: &PartyId,
    wallet: &WalletId,
    asset: &Symbol,
    amount: Amount,
) -> Result<(), Refusal> {
    let (state, now, signer) = (&mut *cx.state, cx.now, cx.actor);
    let ccp = party_of(state, signer);
    if !state.clearing_houses.contains(&ccp) {
        return refuse(
            Code::CollateralNotPledgee,
            format!("only the pledgee releases a pledge; {ccp} is not a clearing house holding one"),
        );
    }
    let mut acc = margin_account(state, &ccp, member)?;
    let w = state.wallet_idx(wallet)?;
    if party_of(state, w) != *member {
        return refuse(Code::CollateralNotPledgee, format!("wallet {} is not {member}'s", wallet.short()));
    }
    remove_pledge(state, &mut acc, asset, wallet, amount, true)?;
    // Units held in custody go back to the member's own wallet with the release.
    let back = if acc.segregated == Some(*wallet) { Some(return_wallet(state, &acc)?) } else { None };
    let id = acc.id;
    state.collateral_accounts.put(id, acc);
    cx.events.push(event(CollateralEvent::Released { account: id, asset: asset.clone(), wallet: *wallet, amount }));
    if let Some(to) = back {
        out_of_custody(cx.state, w, to, asset, amount, now, cx.tx, cx.events)?;
    }
    revalue(cx.state, id, &mut Prices::default(), now, cx.events)
}

pub fn substitute(cx: &mut Ctx, s: &SubstitutePledge) -> Result<(), Refusal> {
    let (state, now, signer) = (&mut *cx.state, cx.now, cx.actor);
    let member = party_of(state, signer);
    let mut acc = active_margin_account(state, &s.ccp, &member)?;
    let c = clearing(state, &s.ccp)?;
    let holder = holding_wallet(state, &acc, signer)?;
    let key = state.wallet(holder).key;
    let new = state.asset_idx(&s.pledge_asset)?;
    check_eligible(state, &c.schedule, new, now)?;
    if acc.pledged(&s.release_asset, &key) < s.release_amount {
        return remove_pledge(state, &mut acc, &s.release_asset, &key, s.release_amount, true);
    }
    // The swap as one: release first (a swap into more of the same asset reuses the units).
    let mut trial = without(&acc.pledges, &s.release_asset, &key, s.release_amount);
    match trial.iter_mut().find(|p| p.asset == s.pledge_asset && p.wallet == key) {
        Some(p) => p.amount = add(p.amount, s.pledge_amount)?,
        None => trial.push(Pledge { asset: s.pledge_asset.clone(), wallet: key, amount: s.pledge_amount, since: now }),
    }
    let (cov, short) = shortfall_with(state, &acc, trial, now)?;
    if short > 0 {
        let cash = state.asset_idx(&acc.cash_asset)?;
        return refuse(
            Code::CollateralSubstitutionUndercovers,
            format!(
                "after the swap coverage would be {} against a requirement of {}",
                state.amount_text_with_symbol(cash, cov.counted),
                state.amount_text(cash, acc.requirement.total()?)
            ),
        );
    }
    remove_pledge(state, &mut acc, &s.release_asset, &key, s.release_amount, true)?;
    out_of_custody(state, holder, signer, &s.release_asset, s.release_amount, now, cx.tx, cx.events)?;
    let holder = into_custody(
        state,
        c.schedule.custodian.as_ref(),
        &s.ccp,
        &acc,
        signer,
        &s.pledge_asset,
        s.pledge_amount,
        now,
        cx.tx,
        cx.events,
    )?;
    let ccp_wallet = state.wallet_idx(&c.schedule.wallet)?;
    check_as_transfer(state, new, holder, ccp_wallet, s.pledge_amount, now)?;
    check_ccp_fund_limit(state, &c, new, s.pledge_amount, now)?;
    add_pledge(state, &mut acc, &s.pledge_asset, holder, s.pledge_amount, now)?;
    let id = acc.id;
    state.collateral_accounts.put(id, acc);
    cx.events.push(event(CollateralEvent::Released {
        account: id,
        asset: s.release_asset.clone(),
        wallet: key,
        amount: s.release_amount,
    }));
    cx.events.push(event(CollateralEvent::Pledged {
        account: id,
        asset: s.pledge_asset.clone(),
        wallet: key,
        amount: s.pledge_amount,
    }));
    revalue(cx.state, id, &mut Prices::default(), now, cx.events)
}

pub fn set_requirement(
    cx: &mut Ctx,
    ccp: &PartyId,
    member: &PartyId,
    initial: Amount,
    variation: Amount,
) -> Result<(), Refusal> {
    let (state, now, signer) = (&mut *cx.state, cx.now, cx.actor);
    clearing_ref(state, ccp)?;
    let by = party_of(state, signer);
    if by != *ccp {
        return refuse(
            Code::CollateralForeignInput,
            format!("a margin requirement at {ccp} must be signed by {ccp}'s risk engine, not by {by}"),
        );
    }
    let ccp = ccp.clone();
    let mut acc = active_margin_account(state, &ccp, member)?;
    let old = acc.requirement.total()?;
    acc.requirement = Requirement { initial, variation, at: Some(now) };
    let new = acc.requirement.total()?;
    let id = acc.id;
    let cash_asset = acc.cash_asset.clone();
    state.collateral_accounts.put(id, acc);
    cx.events.push(event(CollateralEvent::RequirementSet { account: id, cash_asset, initial, variation }));
    revalue(cx.state, id, &mut Prices::default(), now, cx.events)?;
    let threshold = clearing_ref(cx.state, &ccp)?.schedule.intraday_threshold_bps;
    // Saturating on purpose: a rise beyond u64 bps (or from nothing) is "above any threshold".
    let rise_bps = new
        .saturating_sub(old)
        .saturating_mul(u128::from(BPS))
        .checked_div(old)
        .map_or(u64::MAX, |r| u64::try_from(r).unwrap_or(u64::MAX));
    if new > old && rise_bps >= u64::from(threshold) {
        cx.state.watch.put(id, ());
    }
    Ok(())
}

pub fn contribute(cx: &mut Ctx, ccp: &PartyId, amount: Amount) -> Result<(), Refusal> {
    let (now, tx, signer) = (cx.now, cx.tx, cx.actor);
    let state = &mut *cx.state;
    let member = party_of(state, signer);
    let mut acc = active_margin_account(state, ccp, &member)?;
    let (cash_asset, ccp_wallet) = {
        let c = clearing_ref(state, ccp)?;
        (c.schedule.cash_asset.clone(), c.schedule.wallet)
    };
    let from = state.wallet(signer).key;
    move_units(state, Movement::Transfer, &cash_asset, &from, &ccp_wallet, amount, now, tx, cx.events)?;
    acc.default_fund = add(acc.default_fund, amount)?;
    let id = acc.id;
    state.collateral_accounts.put(id, acc);
    cx.events.push(event(CollateralEvent::DefaultFundContributed { account: id, cash_asset, amount }));
    Ok(())
}

// ---------------------------------------------------------------- calls and defaults

/// Raises a call on each of `ids` (in that order) that is active, short and not already
/// called. The reads come first and the writes after, each table written in one batch whose
/// digest work runs on all cores; the entries, ids and events are those of raising the calls
/// one by one, since no call changes what another account owes.
fn raise_calls(state: &mut State, ids: &[u64], kind: CallKind, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    struct Due {
        account: u64,
        short: Amount,
        deadline: Time,
        ccp: PartyId,
        member: PartyId,
        cash_asset: Symbol,
    }
    let mut due = Vec::new();
    for &id in ids {
        let acc = state
            .collateral_accounts
            .get(&id)
            .ok_or_else(|| Refusal::new(Code::CollateralUnknownMember, format!("no collateral account {id}")))?;
        let st = state.standings.get(&id);
        if !acc.active() || st.is_some_and(|s| s.call.is_some()) || acc.kind != AccountKind::Margin {
            continue;
        }
        let never_valued = Coverage::default();
        let short = shortfall(&acc.requirement, st.map_or(&never_valued, |s| &s.coverage))?;
        if short == 0 {
            continue;
        }
        due.push(Due {
            account: id,
            short,
            deadline: now.plus(clearing_ref(state, &acc.pledgee)?.schedule.call_deadline_seconds),
            ccp: acc.pledgee.clone(),
            member: acc.pledgor.clone(),
            cash_asset: acc.cash_asset.clone(),
        });
    }
    if due.is_empty() {
        return Ok(());
    }
    let first = next_calls(state, due.len());
    let (mut calls, mut open, mut called) =
        (Vec::with_capacity(due.len()), Vec::with_capacity(due.len()), Vec::with_capacity(due.len()));
    for (call, d) in (first..).zip(due) {
        ev.push(event(CollateralEvent::CallRaised {
            call,
            account: d.account,
            kind,
            cash_asset: d.cash_asset.clone(),
            amount: d.short,
            deadline: d.deadline,
        }));
        open.push(((d.deadline, call), ()));
        called.push((d.account, call));
        calls.push((
            call,
            MarginCall {
                id: call,
                account: d.account,
                ccp: d.ccp,
                member: d.member,
                kind,
                raised_at: now,
                deadline: d.deadline,
                cash_asset: d.cash_asset,
                amount: d.short,
                status: CallStatus::Open,
            },
        ));
    }
    let written: Result<_, Infallible> = state.margin_calls.update_many(calls, |_, c, _| Ok((Some(c), ())));
    let written = written.and_then(|_| state.open_calls.update_many(open, |_, (), _| Ok((Some(()), ()))));
    let written = written.and_then(|_| {
        state.standings.update_many(called, |_, call, old| {
            let mut s = old.cloned().unwrap_or_default();
            s.call = Some(call);
            Ok((Some(s), ()))
        })
    });
    match written {
        Ok(_) => Ok(()),
        Err(never) => match never {},
    }
}

/// Realizes one pledge for the pledgee: cash (and, failing a buyer, securities) appropriated,
/// securities sold by delivery versus payment to `buyer` at market value less `discount_bps`.
/// Returns the value realized in the account's cash asset, or the refusal that stopped it
/// (nothing changed then).
#[allow(clippy::too_many_arguments)]
fn realize(
    state: &mut State,
    call: u64,
    line: &Line,
    cash_asset: &Symbol,
    pledgee_wallet: &WalletId,
    buyer: Option<&WalletId>,
    discount_bps: u32,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<Amount, Refusal> {
    let value = line.value.unwrap_or(0);
    // A security without a price is not sold (at nothing): it is appropriated in kind.
    if !matches!(line.class, Class::Cash { .. }) && line.value.is_some() {
        if let Some(buyer) = buyer {
            let price = value.checked_sub(bps_of(value, discount_bps)?).expect("a discount is at most 100%");
            let mark = state.mark();
            let mut legs = Vec::new();
            let sold = move_units(
                state,
                Movement::Settlement,
                &line.asset,
                &line.wallet,
                buyer,
                line.amount,
                now,
                Hash::default(),
                &mut legs,
            )
            .and_then(|_| {
                move_units(
                    state,
                    Movement::Transfer,
                    cash_asset,
                    buyer,
                    pledgee_wallet,
                    price,
                    now,
                    Hash::default(),
                    &mut legs,
                )
            });
            match sold {
                Ok(()) => {
                    ev.append(&mut legs);
                    ev.push(event(CollateralEvent::Liquidated {
                        call,
                        asset: line.asset.clone(),
                        amount: line.amount,
                        buyer: *buyer,
                        cash_asset: cash_asset.clone(),
                        proceeds: price,
                    }));
                    return Ok(price);
                }
                Err(_) => state.rollback(mark),
            }
        }
    }
    let mark = state.mark();
    let mut legs = Vec::new();
    match move_units(
        state,
        Movement::Settlement,
        &line.asset,
        &line.wallet,
        pledgee_wallet,
        line.amount,
        now,
        Hash::default(),
        &mut legs,
    ) {
        Ok(()) => {
            ev.append(&mut legs);
            // Securities taken in kind count at their value after the haircut.
            let counted = if matches!(line.class, Class::Cash { .. }) { value } else { line.after_haircut };
            ev.push(event(CollateralEvent::Appropriated {
                call,
                asset: line.asset.clone(),
                wallet: line.wallet,
                amount: line.amount,
                value: counted,
            }));
            Ok(counted)
        }
        Err(r) => {
            state.rollback(mark);
            Err(r)
        }
    }
}

/// Returns the cash an account holds above its need: the least of the excess over the
/// requirement, the cash above the variation margin, and the cash pledged in the schedule's
/// cash asset; back to the member's own wallet (out of custody, tri-party).
fn return_excess_cash(
    state: &mut State,
    id: u64,
    cash_asset: &Symbol,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let Some(acc) = state.collateral_accounts.get(&id) else { return Ok(()) };
    let st = standing(state, id);
    if !acc.active() || st.call.is_some() {
        return Ok(());
    }
    let need = acc.requirement.total()?;
    // Saturating on purpose: an account at or below its need has nothing to return.
    let excess =
        st.coverage.counted.saturating_sub(need).min(st.coverage.cash.saturating_sub(acc.requirement.variation));
    let Some(p) = acc.pledges.iter().find(|p| p.asset == *cash_asset).cloned() else { return Ok(()) };
    let amount = excess.min(p.amount);
    if amount == 0 {
        return Ok(());
    }
    let mut acc = acc.clone();
    let holder = state.wallet_idx(&p.wallet)?;
    remove_pledge(state, &mut acc, cash_asset, &p.wallet, amount, true)?;
    let back = if acc.segregated == Some(p.wallet) { return_wallet(state, &acc)? } else { holder };
    state.collateral_accounts.put(id, acc);
    ev.push(event(CollateralEvent::Released { account: id, asset: cash_asset.clone(), wallet: p.wallet, amount }));
    out_of_custody(state, holder, back, cash_asset, amount, now, Hash::default(), ev)?;
    revalue(state, id, &mut Prices::default(), now, ev)
}

/// Splits `total` across `weights` pro rata (rounded down), the units left one each in
/// order to those with room, never giving one more than its `cap`. Σ result = min(total, Σ caps).
pub fn pro_rata(total: Amount, weights: &[Amount], caps: &[Amount]) -> Result<Vec<Amount>, Refusal> {
    let sum = weights.iter().try_fold(0 as Amount, |t, w| add(t, *w))?;
    let room = caps.iter().try_fold(0 as Amount, |t, c| add(t, *c))?;
    let total = total.min(room);
    if sum == 0 || total == 0 {
        return Ok(vec![0; weights.len()]);
    }
    let mut out: Vec<Amount> = Vec::with_capacity(weights.len());
    for (w, cap) in weights.iter().zip(caps) {
        out.push(mul_div(total, *w, sum)?.min(*cap));
    }
    let mut given = out.iter().try_fold(0 as Amount, |t, x| add(t, *x))?;
    // The rounding left fewer than one unit per share; loops end as Σ caps ≥ total.
    while given < total {
        for (x, cap) in out.iter_mut().zip(caps) {
            if given < total && *x < *cap {
                *x = add(*x, 1)?;
                given = add(given, 1)?;
            }
        }
    }
    Ok(out)
}

/// The deadline passed with the account still short: realize every pledge and run the loss
/// down the waterfall.
fn default(state: &mut State, call: u64, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut mc = state.margin_calls.get(&call).cloned().expect("an open call's record exists");
    let mut acc = account(state, mc.account)?;
    let mut c = clearing(state, &acc.pledgee)?;
    let s = c.schedule.clone();
    let short = shortfall(&acc.requirement, &standing(state, acc.id).coverage)?;
    ev.push(event(CollateralEvent::CallDefaulted {
        call,
        account: acc.id,
        cash_asset: acc.cash_asset.clone(),
        shortfall: short,
    }));
    let (_, lines) = value_pledges(state, &acc, Some(&s), &mut Prices::default(), now)?;
    let mut proceeds = 0 as Amount;
    for line in &lines {
        match realize(
            state,
            call,
            line,
            &acc.cash_asset,
            &s.wallet,
            s.liquidation_buyer.as_ref(),
            s.liquidation_discount_bps,
            now,
            ev,
        ) {
            Ok(v) => {
                proceeds = add(proceeds, v)?;
                remove_pledge(state, &mut acc, &line.asset, &line.wallet, line.amount, false)?;
            }
            Err(r) => ev.push(event(CollateralEvent::NotRealized {
                call,
                asset: line.asset.clone(),
                wallet: line.wallet,
                code: r.code.as_str().into(),
            })),
        }
    }
    // The waterfall.
    let loss = acc.requirement.total()?;
    let margin = proceeds.min(loss);
    let mut left = loss.checked_sub(margin).expect("margin ≤ loss");
    let own_df = acc.default_fund.min(left);
    acc.default_fund = acc.default_fund.checked_sub(own_df).expect("own_df ≤ default_fund");
    left = left.checked_sub(own_df).expect("own_df ≤ left");
    // Saturating on purpose: capital used never exceeds what a schedule committed, but a later
    // schedule may commit less.
    let capital = s.skin_in_the_game.saturating_sub(c.capital_used).min(left);
    c.capital_used = add(c.capital_used, capital)?;
    left = left.checked_sub(capital).expect("capital ≤ left");
    // The survivors are read only when the loss reaches them.
    let survivors: Vec<u64> = if left == 0 {
        Vec::new()
    } else {
        member_accounts(state, &c.ccp)
            .into_iter()
            .filter(|id| *id != acc.id && state.collateral_accounts.get(id).is_some_and(|a| a.active()))
            .collect()
    };
    let dfs: Vec<Amount> =
        survivors.iter().map(|id| state.collateral_accounts.get(id).map(|a| a.default_fund).unwrap_or(0)).collect();
    let from_df = pro_rata(left, &dfs, &dfs)?;
    let survivors_df = from_df.iter().try_fold(0 as Amount, |t, x| add(t, *x))?;
    left = left.checked_sub(survivors_df).expect("Σ shares ≤ left");
    // Assessments: pro rata to contributions before this default, at most one each.
    let assessed = pro_rata(left, &dfs, &dfs)?;
    let assessments = assessed.iter().try_fold(0 as Amount, |t, x| add(t, *x))?;
    let uncovered = left.checked_sub(assessments).expect("Σ assessments ≤ left");
    for ((id, take), owe) in survivors.iter().zip(&from_df).zip(&assessed) {
        if *take == 0 && *owe == 0 {
            continue;
        }
        let mut s_acc = account(state, *id)?;
        s_acc.default_fund = s_acc.default_fund.checked_sub(*take).expect("a share is at most the contribution");
        s_acc.assessed = add(s_acc.assessed, *owe)?;
        state.collateral_accounts.put(*id, s_acc);
    }
    // Margin above the loss goes back to the defaulter, in cash the clearing house holds.
    let excess = proceeds.checked_sub(margin).expect("margin ≤ proceeds");
    let mut returned = 0;
    if excess > 0 {
        let cash = state.asset_idx(&acc.cash_asset)?;
        let ccp_w = state.wallet_idx(&s.wallet)?;
        let to = first_wallet(state, &acc.pledgor)?;
        let held = state.holding_ref(cash, ccp_w).map(|h| h.free).unwrap_or(0);
        let pay = excess.min(held);
        if pay > 0 {
            let (from, to) = (state.wallet(ccp_w).key, state.wallet(to).key);
            let mark = state.mark();
            let mut legs = Vec::new();
            match move_units(
                state,
                Movement::Transfer,
                &acc.cash_asset,
                &from,
                &to,
                pay,
                now,
                Hash::default(),
                &mut legs,
            ) {
                Ok(()) => {
                    ev.append(&mut legs);
                    returned = pay;
                }
                Err(_) => state.rollback(mark),
            }
        }
    }
    ev.push(event(CollateralEvent::Waterfall {
        call,
        cash_asset: acc.cash_asset.clone(),
        loss,
        defaulter_margin: margin,
        defaulter_default_fund: own_df,
        ccp_capital: capital,
        survivors_default_fund: survivors_df,
        assessments,
        uncovered,
        returned,
    }));
    state.open_calls.remove(&(mc.deadline, call));
    mc.status = CallStatus::Defaulted { at: now };
    state.margin_calls.put(call, mc);
    acc.status = AccountStatus::Defaulted { at: now, call };
    state.standings.remove(&acc.id);
    state.collateral_accounts.put(acc.id, acc);
    state.clearing_houses.put(c.ccp.clone(), c);
    Ok(())
}

// ---------------------------------------------------------------- loans

fn loan(state: &State, id: u64) -> Result<Loan, Refusal> {
    state.loans.get(&id).cloned().ok_or_else(|| Refusal::new(Code::CollateralLoanUnknown, format!("no loan {id}")))
}

/// Principal plus interest to `now` (ACT/360, whole days from funding).
pub fn debt(l: &Loan, now: Time) -> Result<(Amount, Amount), Refusal> {
    let LoanStatus::Open { at } = l.status else { return Ok((l.terms.principal, 0)) };
    let days = now.day().saturating_sub(at.day());
    let interest = interest_act_360(l.terms.principal, l.terms.rate_bps, days)?;
    Ok((add(l.terms.principal, interest)?, interest))
}

pub fn request_loan(cx: &mut Ctx, r: &RequestLoan) -> Result<(), Refusal> {
    let (state, now, signer) = (&mut *cx.state, cx.now, cx.actor);
    let t = &r.terms;
    let lender = state.wallet_idx(&t.lender)?;
    let cash = state.asset_idx(&t.cash_asset)?;
    if !matches!(state.asset(cash).kind, AssetKind::CashToken { .. }) {
        return refuse(Code::CollateralBadLoan, format!("{} is not a cash token", t.cash_asset));
    }
    if let Some(b) = &t.liquidation_buyer {
        state.wallet_idx(b)?;
    }
    let borrower = party_of(state, signer);
    let lender_party = party_of(state, lender);
    if borrower == lender_party {
        return refuse(Code::CollateralBadLoan, "lender and borrower must be different parties");
    }
    let a = state.asset_idx(&r.collateral_asset)?;
    check_as_transfer(state, a, signer, lender, r.collateral_amount, now)?;
    let id = next_account(state);
    let mut acc = Account {
        id,
        kind: AccountKind::Loan,
        pledgee: lender_party,
        pledgor: borrower,
        cash_asset: t.cash_asset.clone(),
        pledges: Vec::new(),
        requirement: Requirement::default(),
        default_fund: 0,
        assessed: 0,
        status: AccountStatus::Active,
        segregated: None,
    };
    add_pledge(state, &mut acc, &r.collateral_asset, signer, r.collateral_amount, now)?;
    let key = state.wallet(signer).key;
    state.collateral_accounts.put(id, acc);
    state.loans.put(id, Loan { id, borrower: key, terms: t.clone(), status: LoanStatus::Requested });
    cx.events.push(event(CollateralEvent::LoanRequested {
        loan: id,
        cash_asset: t.cash_asset.clone(),
        principal: t.principal,
    }));
    cx.events.push(event(CollateralEvent::Pledged {
        account: id,
        asset: r.collateral_asset.clone(),
        wallet: key,
        amount: r.collateral_amount,
    }));
    revalue(cx.state, id, &mut Prices::default(), now, cx.events)
}

pub fn fund_loan(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (now, tx, signer) = (cx.now, cx.tx, cx.actor);
    let state = &mut *cx.state;
    let mut l = loan(state, id)?;
    if state.wallet(signer).key != l.terms.lender {
        return refuse(
            Code::CollateralForeignInput,
            format!("only the lender {} funds loan {id}", l.terms.lender.short()),
        );
    }
    if l.status != LoanStatus::Requested {
        return refuse(Code::CollateralLoanState, format!("loan {id} is {}", loan_words(&l)));
    }
    let acc = account(state, id)?;
    let value = coverage_of(state, &acc, &mut Prices::default(), now)?.market;
    let ltv = ltv_bps(l.terms.principal, value);
    if ltv > u64::from(l.terms.max_ltv_bps) {
        let cash = state.asset_idx(&l.terms.cash_asset)?;
        return refuse(
            Code::CollateralLtvExceeded,
            format!(
                "{} against collateral worth {} is a loan-to-value of {} bps, above the maximum {} bps",
                state.amount_text_with_symbol(cash, l.terms.principal),
                state.amount_text(cash, value),
                if ltv == u64::MAX { "unbounded".to_string() } else { ltv.to_string() },
                l.terms.max_ltv_bps
            ),
        );
    }
    move_units(
        state,
        Movement::Transfer,
        &l.terms.cash_asset,
        &l.terms.lender,
        &l.borrower,
        l.terms.principal,
        now,
        tx,
        cx.events,
    )?;
    l.status = LoanStatus::Open { at: now };
    state.loans.put(id, l);
    state.open_loans.put(id, ());
    cx.events.push(event(CollateralEvent::LoanFunded { loan: id, ltv_bps: ltv }));
    Ok(())
}

fn loan_words(l: &Loan) -> String {
    match &l.status {
        LoanStatus::Requested => "requested, not yet funded".into(),
        LoanStatus::Open { at } => format!("open since {at}"),
        LoanStatus::Repaid { at, .. } => format!("repaid at {at}"),
        LoanStatus::Liquidated { at, .. } => format!("liquidated at {at}"),
        LoanStatus::Cancelled { at } => format!("cancelled at {at}"),
    }
}

/// Releases every pledge of a loan's account and closes it.
fn close_loan_account(state: &mut State, id: u64, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut acc = account(state, id)?;
    for p in acc.pledges.clone() {
        remove_pledge(state, &mut acc, &p.asset, &p.wallet, p.amount, true)?;
        ev.push(event(CollateralEvent::Released { account: id, asset: p.asset, wallet: p.wallet, amount: p.amount }));
    }
    acc.status = AccountStatus::Closed { at: now };
    state.standings.remove(&id);
    state.collateral_accounts.put(id, acc);
    Ok(())
}

pub fn repay_loan(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (now, tx, signer) = (cx.now, cx.tx, cx.actor);
    let state = &mut *cx.state;
    let mut l = loan(state, id)?;
    if state.wallet(signer).key != l.borrower {
        return refuse(
            Code::CollateralNotPledgee,
            format!("only the borrower {} repays loan {id}", l.borrower.short()),
        );
    }
    if !matches!(l.status, LoanStatus::Open { .. }) {
        return refuse(Code::CollateralLoanState, format!("loan {id} is {}", loan_words(&l)));
    }
    let (owed, interest) = debt(&l, now)?;
    move_units(state, Movement::Transfer, &l.terms.cash_asset, &l.borrower, &l.terms.lender, owed, now, tx, cx.events)?;
    close_loan_account(state, id, now, cx.events)?;
    state.open_loans.remove(&id);
    cx.events.push(event(CollateralEvent::LoanRepaid {
        loan: id,
        cash_asset: l.terms.cash_asset.clone(),
        principal: l.terms.principal,
        interest,
    }));
    l.status = LoanStatus::Repaid { at: now, interest };
    state.loans.put(id, l);
    Ok(())
}

pub fn cancel_loan(cx: &mut Ctx, id: u64) -> Result<(), Refusal> {
    let (now, signer) = (cx.now, cx.actor);
    let state = &mut *cx.state;
    let mut l = loan(state, id)?;
    let key = state.wallet(signer).key;
    if key != l.borrower && key != l.terms.lender {
        return refuse(Code::CollateralNotPledgee, format!("only the borrower or the lender withdraws loan {id}"));
    }
    if l.status != LoanStatus::Requested {
        return refuse(Code::CollateralLoanState, format!("loan {id} is {}", loan_words(&l)));
    }
    close_loan_account(state, id, now, cx.events)?;
    l.status = LoanStatus::Cancelled { at: now };
    state.loans.put(id, l);
    cx.events.push(event(CollateralEvent::LoanCancelled { loan: id }));
    Ok(())
}

/// Liquidates a loan at or above its threshold (every pledge priced): with a buyer, every pledge is sold by delivery
/// versus payment, the buyer paying the debt to the lender and the rest to the borrower;
/// without one (or if the sale fails), the lender takes the units the debt needs at market
/// value (rounded up) and the rest is released. Returns whether it was liquidated.
fn liquidate_loan(state: &mut State, id: u64, now: Time, ev: &mut Vec<Event>) -> Result<bool, Refusal> {
    let mut l = loan(state, id)?;
    let acc = account(state, id)?;
    let (owed, _) = debt(&l, now)?;
    let (cov, lines) = value_pledges(state, &acc, None, &mut Prices::default(), now)?;
    // Without a price for every pledge the loan-to-value is unknown, not infinite: the loan
    // waits for prices rather than being sold at nothing.
    let ltv = ltv_bps(owed, cov.market);
    if cov.unpriced > 0 || ltv < u64::from(l.terms.liquidation_ltv_bps) {
        return Ok(false);
    }
    let mark = state.mark();
    let mut steps = Vec::new();
    let t = l.terms.clone();
    // Each path returns (proceeds, returned to the borrower, units delivered per line).
    let sold = (|| -> Result<(Amount, Amount, Vec<Amount>), Refusal> {
        let buyer = t.liquidation_buyer.ok_or_else(|| Refusal::new(Code::CollateralLoanState, "no buyer"))?;
        let mut proceeds = 0 as Amount;
        for line in &lines {
            move_units(
                state,
                Movement::Settlement,
                &line.asset,
                &line.wallet,
                &buyer,
                line.amount,
                now,
                Hash::default(),
                &mut steps,
            )?;
            proceeds = add(proceeds, line.value.unwrap_or(0))?;
        }
        let to_lender = proceeds.min(owed);
        move_units(
            state,
            Movement::Transfer,
            &t.cash_asset,
            &buyer,
            &t.lender,
            to_lender,
            now,
            Hash::default(),
            &mut steps,
        )?;
        let rest = proceeds.checked_sub(to_lender).expect("to_lender ≤ proceeds");
        if rest > 0 {
            move_units(
                state,
                Movement::Transfer,
                &t.cash_asset,
                &buyer,
                &l.borrower,
                rest,
                now,
                Hash::default(),
                &mut steps,
            )?;
        }
        Ok((proceeds, rest, lines.iter().map(|x| x.amount).collect()))
    })();
    let (proceeds, returned, delivered) = match sold {
        Ok(done) => done,
        Err(_) => {
            state.rollback(mark);
            steps.clear();
            // The lender takes what the debt needs, pledge by pledge, at market value.
            let mark = state.mark();
            let taken = (|| -> Result<(Amount, Amount, Vec<Amount>), Refusal> {
                let mut need = owed;
                let mut got = 0 as Amount;
                let mut delivered = Vec::with_capacity(lines.len());
                for line in &lines {
                    let value = line.value.unwrap_or(0);
                    if need == 0 || value == 0 {
                        delivered.push(0);
                        continue;
                    }
                    // Units worth the debt still owed, rounded up (never more than pledged).
                    let (units, worth) = if value <= need {
                        (line.amount, value)
                    } else {
                        (mul_div(line.amount, need, value)?.saturating_add(1).min(line.amount), need)
                    };
                    move_units(
                        state,
                        Movement::Settlement,
                        &line.asset,
                        &line.wallet,
                        &t.lender,
                        units,
                        now,
                        Hash::default(),
                        &mut steps,
                    )?;
                    got = add(got, worth)?;
                    need = need.checked_sub(worth).expect("worth ≤ need");
                    delivered.push(units);
                }
                Ok((got, 0, delivered))
            })();
            match taken {
                Ok(done) => done,
                Err(r) => {
                    state.rollback(mark);
                    ev.push(event(CollateralEvent::NotRealized {
                        call: 0,
                        asset: lines.first().map(|x| x.asset.clone()).unwrap_or_default(),
                        wallet: l.borrower,
                        code: r.code.as_str().into(),
                    }));
                    return Ok(false);
                }
            }
        }
    };
    ev.append(&mut steps);
    // What was delivered left the locked balance; the rest of each pledge is released.
    let mut acc = account(state, id)?;
    for (line, units) in lines.iter().zip(delivered) {
        remove_pledge(state, &mut acc, &line.asset, &line.wallet, units, false)?;
        let rest = acc.pledged(&line.asset, &line.wallet);
        if rest > 0 {
            remove_pledge(state, &mut acc, &line.asset, &line.wallet, rest, true)?;
            ev.push(event(CollateralEvent::Released {
                account: id,
                asset: line.asset.clone(),
                wallet: line.wallet,
                amount: rest,
            }));
        }
    }
    acc.status = AccountStatus::Closed { at: now };
    state.standings.remove(&id);
    state.collateral_accounts.put(id, acc);
    state.open_loans.remove(&id);
    ev.push(event(CollateralEvent::LoanLiquidated {
        loan: id,
        ltv_bps: ltv,
        cash_asset: t.cash_asset.clone(),
        debt: owed,
        proceeds,
        returned,
    }));
    l.status = LoanStatus::Liquidated { at: now, debt: owed, proceeds };
    state.loans.put(id, l);
    Ok(true)
}

// ---------------------------------------------------------------- block job

/// Block-boundary job (see the module header for the order).
pub fn block_job(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    if state.clearing_houses.is_empty() && state.loans.is_empty() {
        return;
    }
    // 1. Schedules due.
    for (t, ccp) in state.schedule_due.due(&(now, PartyId::new("~"))) {
        state.schedule_due.remove(&(t, ccp.clone()));
        let Some(mut c) = state.clearing_houses.get(&ccp).cloned() else { continue };
        while c.pending.first().is_some_and(|(at, _)| *at <= now) {
            let (at, s) = c.pending.remove(0);
            c.schedule = s;
            c.effective_from = at;
        }
        let at = c.effective_from;
        state.clearing_houses.put(ccp.clone(), c);
        ev.push(event(CollateralEvent::ScheduleInForce { ccp: ccp.clone(), effective_from: at }));
        revalue_members(state, &ccp, now, ev).unwrap_or_else(|r| unreachable!("revaluing {ccp}'s members: {r}"));
    }
    // 2. Marks that time moved (accrued interest, days to maturity, stale quotes, NAV).
    revalue_moved(state, now, ev);
    // 3. Deadlines.
    for (deadline, call) in state.open_calls.due(&(now, u64::MAX)) {
        let Some(mc) = state.margin_calls.get(&call) else { continue };
        let account = mc.account;
        let short = state
            .collateral_accounts
            .get(&account)
            .map(|a| shortfall(&a.requirement, &standing(state, account).coverage).unwrap_or(Amount::MAX))
            .unwrap_or(0);
        if short == 0 {
            // Revaluation meets a call the moment nothing is short; kept for safety.
            if let Some(mut st) = state.standings.get(&account).cloned() {
                st.call = None;
                state.standings.put(account, st);
            }
            meet_call(state, call, now, ev);
            continue;
        }
        let _ = deadline;
        default(state, call, now, ev).unwrap_or_else(|r| unreachable!("default on call {call}: {r}"));
    }
    // 4. The daily call.
    let mut ccps: Vec<PartyId> = state.clearing_houses.iter().map(|(k, _)| k.clone()).collect();
    ccps.sort_unstable();
    let second = now.0.checked_rem(crate::time::SECONDS_PER_DAY).expect("a non-zero divisor");
    for ccp in ccps {
        let Some(mut c) = state.clearing_houses.get(&ccp).cloned() else { continue };
        if c.daily_call_day >= now.day() || second < u64::from(c.schedule.daily_call_second) {
            continue;
        }
        c.daily_call_day = now.day();
        state.clearing_houses.put(ccp.clone(), c);
        let members = member_accounts(state, &ccp);
        raise_calls(state, &members, CallKind::Daily, now, ev).unwrap_or_else(|r| unreachable!("daily call: {r}"));
    }
    // 4b. The automatic return of excess cash.
    let mut ccps: Vec<PartyId> = state.clearing_houses.iter().map(|(k, _)| k.clone()).collect();
    ccps.sort_unstable();
    for ccp in ccps {
        let Some(mut c) = state.clearing_houses.get(&ccp).cloned() else { continue };
        let Some(at) = c.schedule.excess_return_second else { continue };
        if c.excess_return_day >= now.day() || second < u64::from(at) {
            continue;
        }
        c.excess_return_day = now.day();
        let cash_asset = c.schedule.cash_asset.clone();
        state.clearing_houses.put(ccp.clone(), c);
        for id in member_accounts(state, &ccp) {
            return_excess_cash(state, id, &cash_asset, now, ev)
                .unwrap_or_else(|r| unreachable!("returning excess cash of account {id}: {r}"));
        }
    }
    // 5. Interest moves every open loan's loan-to-value: each is checked once a day.
    let mut c = counters(state);
    if c.loans_day < now.day() && !state.open_loans.is_empty() {
        c.loans_day = now.day();
        state.collateral_counters.put(0, c);
        for id in state.open_loans.due(&u64::MAX) {
            state.watch.put(id, ());
        }
    }
    // 6. Intraday calls and loan liquidations for the accounts watched, in account order.
    let mut calls = Vec::new();
    for id in state.watch.due(&u64::MAX) {
        let Some(acc) = state.collateral_accounts.get(&id) else {
            state.watch.remove(&id);
            continue;
        };
        let outside_window = acc.kind == AccountKind::Margin
            && state
                .clearing_houses
                .get(&acc.pledgee)
                .and_then(|c| c.schedule.intraday_window)
                .is_some_and(|(from, to)| second < u64::from(from) || second >= u64::from(to));
        if outside_window {
            // Watched until the window opens (or the daily call calls it first).
            continue;
        }
        state.watch.remove(&id);
        match acc.kind {
            AccountKind::Margin => calls.push(id),
            AccountKind::Loan => {
                // The calls watched before this loan are raised before it is liquidated.
                raise_calls(state, &std::mem::take(&mut calls), CallKind::Intraday, now, ev)
                    .unwrap_or_else(|r| unreachable!("intraday call: {r}"));
                if state.open_loans.contains(&id) {
                    liquidate_loan(state, id, now, ev).unwrap_or_else(|r| unreachable!("liquidating loan {id}: {r}"));
                }
            }
        }
    }
    raise_calls(state, &calls, CallKind::Intraday, now, ev).unwrap_or_else(|r| unreachable!("intraday call: {r}"));
}

/// After a wallet recovery: pledges and loans naming the lost wallet name the new one (its
/// locked units moved with the holdings).
pub fn rekey(state: &mut State, lost: &WalletId, new: &WalletId) {
    let mut ids: Vec<u64> = state
        .collateral_accounts
        .iter()
        .filter(|(_, a)| a.segregated == Some(*lost) || a.pledges.iter().any(|p| p.wallet == *lost))
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    for id in ids {
        let Some(mut a) = state.collateral_accounts.get(&id).cloned() else { continue };
        let mut merged: Vec<Pledge> = Vec::new();
        for mut p in a.pledges.drain(..) {
            if p.wallet == *lost {
                p.wallet = *new;
            }
            match merged.iter_mut().find(|q| q.asset == p.asset && q.wallet == p.wallet) {
                Some(q) => q.amount = q.amount.saturating_add(p.amount),
                None => merged.push(p),
            }
        }
        merged.sort_by(|x, y| (&x.asset, x.wallet).cmp(&(&y.asset, y.wallet)));
        a.pledges = merged;
        if a.segregated == Some(*lost) {
            a.segregated = Some(*new);
        }
        state.collateral_accounts.put(id, a);
    }
    let mut loans: Vec<u64> =
        state.loans.iter().filter(|(_, l)| l.borrower == *lost || l.terms.lender == *lost).map(|(id, _)| *id).collect();
    loans.sort_unstable();
    for id in loans {
        let Some(mut l) = state.loans.get(&id).cloned() else { continue };
        for w in [&mut l.borrower, &mut l.terms.lender] {
            if w == lost {
                *w = *new;
            }
        }
        state.loans.put(id, l);
    }
}

/// This module's invariants (see `model::collateral`).
pub fn check(state: &State) -> Result<(), String> {
    let now = state.meta().time;
    let mut prices = Prices::default();
    for (id, a) in state.collateral_accounts.iter() {
        if let Some(seg) = &a.segregated {
            let w = state.wallet_index.get(seg).ok_or_else(|| format!("account {id}: unknown segregated account"))?;
            if state.party(state.wallet(*w).party).id != a.pledgor {
                return Err(format!("account {id}: segregated account {} is not {}'s", seg.short(), a.pledgor));
            }
            if a.pledges.iter().any(|p| p.wallet != *seg) {
                return Err(format!("account {id}: a tri-party pledge held outside the segregated account"));
            }
        }
        for p in &a.pledges {
            let w =
                state.wallet_index.get(&p.wallet).ok_or_else(|| format!("account {id}: unknown pledging wallet"))?;
            let by = &state.party(state.wallet(*w).party).id;
            if *by != a.pledgor {
                return Err(format!("account {id}: wallet {} of {by} pledges for {}", p.wallet.short(), a.pledgor));
            }
            let asset =
                state.asset_index.get(&p.asset).ok_or_else(|| format!("account {id}: unknown asset {}", p.asset))?;
            if !state.pledged_assets.contains(&(*asset, *id)) {
                return Err(format!("account {id} pledges {} but is not indexed under it", p.asset));
            }
            if !state.price_marks.contains(asset) {
                return Err(format!("{} is pledged but has no price mark", p.asset));
            }
        }
        if !a.active() {
            if state.standings.contains(id) {
                return Err(format!("account {id} is {} but keeps a standing", status_words(a)));
            }
            continue;
        }
        let st = standing(state, *id);
        let fresh = coverage_of(state, a, &mut prices, now).map_err(|r| format!("account {id}: {r}"))?;
        if fresh != st.coverage {
            return Err(format!("account {id}: stored coverage {:?} but recomputed {fresh:?}", st.coverage));
        }
        if let Some(c) = st.call {
            if shortfall(&a.requirement, &st.coverage).map_err(|r| r.to_string())? == 0 {
                return Err(format!("account {id}: call {c} open but nothing is short"));
            }
        }
    }
    for (c, s) in state.clearing_houses.iter() {
        s.schedule.check().map_err(|r| format!("clearing house {c}: {r}"))?;
    }
    // The member index lists exactly the margin accounts, each under its clearing house.
    let margins = state.collateral_accounts.iter().filter(|(_, a)| a.kind == AccountKind::Margin).count();
    if margins != state.ccp_members.len() || margins != state.margin_index.len() {
        return Err(format!(
            "{margins} margin accounts but {} in the member index and {} in the (clearing house, member) index",
            state.ccp_members.len(),
            state.margin_index.len()
        ));
    }
    for ((ccp, id), _) in state.ccp_members.iter() {
        let a = state.collateral_accounts.get(id).ok_or_else(|| format!("member index names no account {id}"))?;
        if a.pledgee != *ccp || state.margin_index.get(&(ccp.clone(), a.pledgor.clone())) != Some(id) {
            return Err(format!("member index: account {id} is not {ccp}'s margin account of {}", a.pledgor));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for SetCollateralSchedule {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.ccp)?;
        self.schedule.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetCollateralSchedule { ccp, effective_from, schedule } = self;
        set_schedule(cx, ccp, *effective_from, schedule)
    }
}

impl Action for AdmitMember {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.member)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        admit(cx, &self.member)
    }
}

impl Action for PledgeCollateral {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.ccp)?;
        check_symbol(&self.asset)?;
        nonzero(self.amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        pledge(cx, &self.ccp, &self.asset, self.amount)
    }
}

impl Action for WithdrawCollateral {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.ccp)?;
        check_symbol(&self.asset)?;
        nonzero(self.amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        withdraw(cx, &self.ccp, &self.asset, self.amount)
    }
}

impl Action for ReleaseCollateral {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.member)?;
        check_symbol(&self.asset)?;
        nonzero(self.amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let ReleaseCollateral { member, wallet, asset, amount } = self;
        release(cx, member, wallet, asset, *amount)
    }
}

impl Action for SubstitutePledge {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.ccp)?;
        check_symbol(&self.release_asset)?;
        check_symbol(&self.pledge_asset)?;
        nonzero(self.release_amount)?;
        nonzero(self.pledge_amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        substitute(cx, self)
    }
}

impl Action for SetMarginRequirement {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.ccp)?;
        check_party_id(&self.member)?;
        add(self.initial_margin, self.variation_margin).map(|_| ())
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetMarginRequirement { ccp, member, initial_margin, variation_margin } = self;
        set_requirement(cx, ccp, member, *initial_margin, *variation_margin)
    }
}

impl Action for ContributeDefaultFund {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.ccp)?;
        nonzero(self.amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        contribute(cx, &self.ccp, self.amount)
    }
}

impl Action for OpenSegregatedAccount {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        check_party_id(&self.ccp)?;
        check_party_id(&self.member)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let OpenSegregatedAccount { ccp, member, wallet } = self;
        open_segregated(cx, ccp, member, wallet)
    }
}

impl Action for RequestLoan {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        self.terms.check()?;
        check_symbol(&self.collateral_asset)?;
        nonzero(self.collateral_amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        request_loan(cx, self)
    }
}

impl Action for FundLoan {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        fund_loan(cx, self.loan)
    }
}

impl Action for RepayLoan {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        repay_loan(cx, self.loan)
    }
}

impl Action for CancelLoan {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Holder)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        cancel_loan(cx, self.loan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pro_rata_conserves_every_unit_and_respects_caps() {
        assert_eq!(pro_rata(10, &[1, 1, 1], &[1, 1, 1]).unwrap(), vec![1, 1, 1]);
        assert_eq!(pro_rata(10, &[1, 1, 1], &[10, 10, 10]).unwrap(), vec![4, 3, 3]);
        assert_eq!(pro_rata(7, &[0, 0], &[0, 0]).unwrap(), vec![0, 0]);
        assert_eq!(pro_rata(5, &[3, 1], &[3, 1]).unwrap(), vec![3, 1]);
    }

    #[test]
    fn mul_div_handles_products_beyond_u128_and_refuses_only_a_quotient_that_does_not_fit() {
        let big = u128::MAX / 3;
        assert_eq!(mul_div(big, 6, 6).unwrap(), big);
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX).unwrap(), u128::MAX);
        assert_eq!(mul_div(1 << 100, 1 << 100, 1 << 90).unwrap(), 1 << 110);
        // (2^127 + 1)(2^64 + 3) / (2^70 + 5), checked against the exact value.
        let (a, b, c) = ((1u128 << 127) + 1, (1u128 << 64) + 3, (1u128 << 70) + 5);
        assert_eq!(mul_div(a, b, c).unwrap(), 2_658_455_991_569_831_746_228_700_685_719_830_528);
        assert!(mul_div(u128::MAX, 2, 1).is_err());
        assert!(mul_div(u128::MAX, 2, 0).is_err());
        // The split of a default's loss does not fail on huge contributions.
        let dfs = [u128::MAX / 4, u128::MAX / 4];
        let shares = pro_rata(u128::MAX / 4, &dfs, &dfs).unwrap();
        assert_eq!(shares.iter().sum::<u128>(), u128::MAX / 4);
    }

    #[test]
    fn values_convert_between_decimals_rounding_down() {
        // 1,000.000000 units at 0.99 → 990.00 in a 2-decimal cash token
        assert_eq!(value_in(1_000_000_000, 99_000_000, 6, 2), Some(99_000));
        assert_eq!(value_in(1, 99_000_000, 6, 2), Some(0));
        assert_eq!(value_in(u128::MAX, 2, 0, 0), None);
    }
}
