//! Tokenized Treasury funds (SPEC F1, F2, F5, F6, F7): funds and their share classes, the
//! portfolio and its daily valuation, liquidity and maturity limits, the management fee,
//! subscriptions and redemptions with a liquidity facility and a first-in-first-out queue, the
//! NAV breaker, and reconciliation against a custodian statement.
//!
//! Units. Cash amounts are minor units of the fund's cash token. Prices, NAV per share and
//! rates are fixed point with 8 decimals (`oracle::VALUE_SCALE`). Securities' face values are
//! in cash minor units.
//!
//! Rounding rules (all exact integer arithmetic):
//! - a position's value = face × price per 100 / 100, rounded down to the minor unit;
//! - NAV = assets − liabilities (queued redemptions, accrued fee, dividends accrued to stable
//!   classes and not yet paid); book value = Σ shares × class price, each rounded up; ratio =
//!   NAV / book rounded down to 8 decimals; NAV per share (per class) = class price × ratio,
//!   rounded down to 8 decimals. So Σ shares × NAV per share ≤ NAV, short by at most
//!   Σ (shares × 10^-8 + 1) + classes × ⌈NAV / book⌉ + book × 10^-8 + 1 minor units;
//! - shares issued on a subscription = cash / price, rounded down (the fraction stays with the
//!   fund); cash paid on a redemption = shares × price, rounded down, less fees rounded down;
//! - the management fee accrues daily as book value × bps / 10,000 / 365 in fixed point
//!   (× 10^18) and is paid monthly in whole minor units; the fraction carries.
//!
//! A position's `cost` is what was paid: for a note, the dirty price (clean + accrued interest).
//!
//! Liquidity (SEC Rule 2a-7 terms; thresholds are fund parameters): daily liquid assets = cash,
//! direct US Treasury obligations, and repo maturing within 1 day; weekly liquid assets = the
//! same with repo maturing within 7 calendar days (5 business days); WAM = Σ value × days to
//! maturity / assets (cash 0 days); WAL uses final maturity — with no floating-rate
//! instruments modelled, WAL = WAM.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::{Move, Movement, Rule};
use crate::model::governance::{Need, OpClass};
use crate::movement;
use crate::oracle::{self, VALUE_SCALE};
use crate::state::*;
use crate::treasury;
use crate::types::*;
use crate::yields;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;

pub use crate::model::fund::*;

fn fe(e: FundEvent) -> Event {
    Event::Fund(e)
}

fn overflow() -> Refusal {
    Refusal::new(Code::AmountOverflow, "fund arithmetic overflows")
}

fn mul_div(a: u128, b: u128, c: u128) -> Result<u128, Refusal> {
    if c == 0 {
        return Err(overflow());
    }
    a.checked_mul(b).map(|x| x / c).ok_or_else(overflow)
}

fn pow10(n: u8) -> u128 {
    10u128.pow(n as u32)
}

// ---------------------------------------------------------------- lookups

pub fn fund(state: &State, f: &Symbol) -> Result<Fund, Refusal> {
    state.funds.get(f).cloned().ok_or_else(|| Refusal::new(Code::FundUnknown, format!("no fund {f}")))
}

pub fn class(state: &State, asset: &Symbol) -> Result<(AssetIdx, ShareClass), Refusal> {
    let a = state.asset_idx(asset)?;
    let c = state
        .share_classes
        .get(&a)
        .cloned()
        .ok_or_else(|| Refusal::new(Code::FundUnknownClass, format!("{asset} is not a share class of a fund")))?;
    Ok((a, c))
}

/// Cash minor units worth of `shares` at `price` (× 10^8), rounded down.
pub fn shares_to_cash(shares: Amount, price: u64, share_decimals: u8, cash_decimals: u8) -> Result<Amount, Refusal> {
    let v = mul_div(shares, price as u128, VALUE_SCALE)?;
    mul_div(v, pow10(cash_decimals), pow10(share_decimals))
}

/// Book value of `shares` at `price` in cash minor units, rounded up (so that allocating NAV
/// by book value never hands out more than the NAV).
fn book_value(shares: Amount, price: u64, share_decimals: u8, cash_decimals: u8) -> Result<Amount, Refusal> {
    let num =
        shares.checked_mul(price as u128).and_then(|x| x.checked_mul(pow10(cash_decimals))).ok_or_else(overflow)?;
    Ok(num.div_ceil(VALUE_SCALE * pow10(share_decimals)))
}

/// Shares bought by `cash` at `price`, rounded down.
pub fn cash_to_shares(cash: Amount, price: u64, share_decimals: u8, cash_decimals: u8) -> Result<Amount, Refusal> {
    let v = mul_div(cash, pow10(share_decimals), pow10(cash_decimals))?;
    mul_div(v, VALUE_SCALE, price.max(1) as u128)
}

// ---------------------------------------------------------------- creation

pub fn create_fund(state: &mut State, spec: &FundSpec, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    if state.funds.contains(&spec.fund) {
        return refuse(Code::FundBadSpec, format!("fund {} exists", spec.fund));
    }
    let p = &spec.params;
    if p.valuation_seconds >= DAY as u32 || !(1..=28).contains(&p.fee_payout_day) {
        return refuse(Code::FundBadSpec, "valuation time within the day; fee payout day 1 to 28");
    }
    if p.min_dla_bps > 10_000 || p.min_wla_bps > 10_000 || p.liquidity_fee_bps > 10_000 || p.breaker_bps == 0 {
        return refuse(Code::FundBadSpec, "limits in basis points up to 10,000; a positive breaker bound");
    }
    for feed in [&p.yield_feed, &p.nav_feed].into_iter().flatten() {
        if !state.feeds.contains(feed) {
            return refuse(Code::OracleUnknownFeed, format!("no feed {feed}"));
        }
    }
    let manager = state.party_idx(&spec.manager)?;
    let cash_asset = state.asset_idx(&spec.cash_asset)?;
    if !matches!(state.asset(cash_asset).kind, AssetKind::CashToken { .. }) {
        return refuse(Code::FundBadSpec, format!("{} is not a cash token", spec.cash_asset));
    }
    let cash_wallet = state.wallet_idx(&spec.cash_wallet)?;
    let fee_wallet = state.wallet_idx(&spec.fee_wallet)?;
    if state.wallet(cash_wallet).party != manager {
        return refuse(Code::FundBadSpec, "the fund's cash wallet belongs to the manager");
    }
    let today = now.day();
    let first = if now.seconds() % DAY < p.valuation_seconds as u64 { today } else { today + 1 };
    let (y, m, ..) = now.to_civil();
    state.funds.put(
        spec.fund.clone(),
        Fund {
            spec: spec.clone(),
            manager,
            cash_asset,
            cash_wallet,
            fee_wallet,
            classes: vec![],
            custodian_cash: 0,
            halted: None,
            valued_through_day: first.saturating_sub(1),
            last: None,
            fee_accrued_scaled: 0,
            fee_paid: 0,
            last_fee_payout: (y, m),
            facility: (today, 0),
            queued: 0,
            arrived: 0,
            breaches: vec![],
            tripped_since_valuation: false,
            next_position: 1,
        },
    );
    ev.push(fe(FundEvent::FundCreated { fund: spec.fund.clone() }));
    Ok(())
}

pub fn create_class(state: &mut State, spec: &ShareClassSpec, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut f = fund(state, &spec.fund)?;
    let a = state.asset_idx(&spec.asset)?;
    let nav = match state.asset(a).kind {
        AssetKind::FundShare { nav } => nav,
        _ => return refuse(Code::FundBadSpec, format!("{} is not a fund share", spec.asset)),
    };
    if state.share_classes.contains(&a) {
        return refuse(Code::FundBadSpec, format!("{} is already a share class", spec.asset));
    }
    if state.asset(a).issuer != f.manager {
        return refuse(Code::FundBadSpec, "a share class is issued by the fund's manager");
    }
    if spec.fee_bps > 1_000 || spec.domain_fees.iter().any(|d| d.bps > 1_000) || spec.redemption_fee_bps > 1_000 {
        return refuse(Code::FundBadSpec, "fees above 10% a year");
    }
    if spec.min_later > spec.min_first {
        return refuse(Code::FundBadSpec, "the later minimum exceeds the first");
    }
    let network = state.meta().network.clone();
    let fee_bps = spec.domain_fees.iter().find(|d| d.domain == network).map(|d| d.bps).unwrap_or(spec.fee_bps);
    let price = match nav {
        NavKind::Stable => {
            let residual = spec
                .residual
                .ok_or_else(|| Refusal::new(Code::FundBadSpec, "a stable class names a residual wallet"))?;
            yields::create_class(
                state,
                &spec.asset,
                spec.basis,
                spec.cutoff_seconds,
                spec.payout_day,
                &residual,
                now,
                ev,
            )?;
            VALUE_SCALE as u64
        }
        NavKind::Accumulating => {
            if state.asset(a).supply > 0 {
                return refuse(Code::FundBadSpec, "a share class starts before the first issue");
            }
            spec.initial_price.unwrap_or(VALUE_SCALE as u64)
        }
    };
    if price == 0 {
        return refuse(Code::FundBadSpec, "a zero price");
    }
    // Eligibility lives in the asset's policy: one place checks subscriptions and transfers.
    let mut policy = state.policy(a).clone();
    if !spec.eligible.is_empty() {
        policy.rules.push(Rule::InvestorClasses(spec.eligible.clone()));
    }
    if !spec.denied_jurisdictions.is_empty() {
        policy.rules.push(Rule::JurisdictionsDenied(spec.denied_jurisdictions.clone()));
    }
    policy.check()?;
    state.policies.put(a, policy);
    state.share_classes.put(
        a,
        ShareClass {
            spec: spec.clone(),
            nav,
            price,
            apy_ppb: 0,
            daily_rate_e10: 0,
            base_price: price,
            base_day: now.day(),
            fee_bps,
        },
    );
    f.classes.push(a);
    state.funds.put(spec.fund.clone(), f);
    ev.push(fe(FundEvent::ShareClassCreated { fund: spec.fund.clone(), asset: spec.asset.clone(), nav, fee_bps }));
    Ok(())
}

/// Sets an accumulating class's APY (the USDY monthly rate): the daily rate is
/// (1 + APY)^(1/365) − 1 rounded half up to 10 places (8 places of a percentage, as Ondo
/// publishes it; see [`treasury::daily_rate_from_apy`]), compounding from today's price.
pub fn set_apy(state: &mut State, asset: &Symbol, apy_ppb: u64, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let (a, mut c) = class(state, asset)?;
    if c.nav != NavKind::Accumulating {
        return refuse(Code::FundBadSpec, format!("{asset} is a stable class: its rate follows the yield feed"));
    }
    if apy_ppb > 1_000_000_000 {
        return refuse(Code::FundBadSpec, "an APY above 100%");
    }
    let apy = Decimal::new(apy_ppb as i64, 9);
    let r = treasury::daily_rate_from_apy(apy).ok_or_else(overflow)?;
    // Exact: `r` is already rounded to the places this scale keeps.
    let daily = (r * Decimal::from(10u64.pow(treasury::DAILY_RATE_PLACES))).trunc().to_u64().ok_or_else(overflow)?;
    c.base_price = c.price;
    c.base_day = now.day();
    c.apy_ppb = apy_ppb;
    c.daily_rate_e10 = daily;
    state.share_classes.put(a, c);
    ev.push(fe(FundEvent::ApySet { asset: asset.clone(), apy_ppb, daily_rate_e10: daily }));
    Ok(())
}

// ---------------------------------------------------------------- portfolio

#[allow(clippy::too_many_arguments)]
pub fn custodian_cash(
    state: &mut State,
    actor: WalletIdx,
    f_sym: &Symbol,
    amount: Amount,
    movement: CashMovement,
    reference: &str,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let mut f = fund(state, f_sym)?;
    let cash_symbol = state.asset(f.cash_asset).symbol.clone();
    match movement {
        CashMovement::Deposit => f.custodian_cash = f.custodian_cash.checked_add(amount).ok_or_else(overflow)?,
        CashMovement::Withdraw => f.take_custodian_cash(amount)?,
        CashMovement::ToLedger => {
            if !state.has_role(actor, Role::IssuerAgent, Some(f.cash_asset)) {
                return refuse(Code::AuthMissingRole, format!("moving cash onto the ledger issues {cash_symbol}"));
            }
            f.take_custodian_cash(amount)?;
            let to = state.wallet(f.cash_wallet).key;
            crate::cash::issue(state, &cash_symbol, &to, amount, reference, now, tx, ev)?;
            f.arrived = f.arrived.saturating_add(amount).min(f.queued);
        }
        CashMovement::FromLedger => {
            let from = state.wallet(f.cash_wallet).key;
            movement::burn(state, &cash_symbol, &from, amount, now, tx, ev)?;
            f.custodian_cash = f.custodian_cash.checked_add(amount).ok_or_else(overflow)?;
        }
    }
    ev.push(fe(FundEvent::CustodianCash { fund: f_sym.clone(), movement, amount, custodian_cash: f.custodian_cash }));
    state.funds.put(f_sym.clone(), f);
    Ok(())
}

pub fn buy(
    state: &mut State,
    f_sym: &Symbol,
    instrument: &Instrument,
    face: Amount,
    cost: Amount,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let mut f = fund(state, f_sym)?;
    let instrument = &instrument.canonical()?;
    instrument.check()?;
    if face == 0 || cost == 0 {
        return refuse(Code::FundBadPosition, "face and cost must be positive");
    }
    let days = instrument.maturity().day().saturating_sub(now.day());
    if instrument.maturity() <= now {
        return refuse(Code::FundBadPosition, "the instrument has matured");
    }
    if days > f.spec.params.max_maturity_days as u64 {
        return refuse(
            Code::FundBadPosition,
            format!("{days} days to maturity; the fund's longest is {}", f.spec.params.max_maturity_days),
        );
    }
    f.take_custodian_cash(cost)?;
    let id = f.next_position;
    f.next_position += 1;
    state
        .positions
        .put((f_sym.clone(), id), Position { id, instrument: instrument.clone(), face, cost, acquired: now });
    ev.push(fe(FundEvent::PositionBought {
        fund: f_sym.clone(),
        position: id,
        instrument: instrument.name(),
        face,
        cost,
    }));
    state.funds.put(f_sym.clone(), f);
    Ok(())
}

pub fn sell(state: &mut State, f_sym: &Symbol, id: u64, proceeds: Amount, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut f = fund(state, f_sym)?;
    let key = (f_sym.clone(), id);
    if !state.positions.contains(&key) {
        return refuse(Code::FundBadPosition, format!("fund {f_sym} has no position {id}"));
    }
    state.positions.remove(&key);
    f.custodian_cash = f.custodian_cash.checked_add(proceeds).ok_or_else(overflow)?;
    state.funds.put(f_sym.clone(), f);
    ev.push(fe(FundEvent::PositionSold { fund: f_sym.clone(), position: id, proceeds }));
    Ok(())
}

/// The fund's positions, by id.
pub fn positions(state: &State, f_sym: &Symbol) -> Vec<Position> {
    let mut v: Vec<Position> =
        state.positions.iter().filter(|((f, _), _)| f == f_sym).map(|(_, p)| p.clone()).collect();
    v.sort_by_key(|p| p.id);
    v
}

/// A position's value at `at` in cash minor units, its days to maturity, and whether an
/// oracle priced it.
pub fn value_position(state: &State, p: &Position, at: Time, oracle_now: Time) -> Result<(Amount, u64, bool), Refusal> {
    let days = p.instrument.maturity().day().saturating_sub(at.day());
    let per100 = |price: u64| mul_div(p.face, price as u128, 100 * VALUE_SCALE);
    match &p.instrument {
        Instrument::Bill { cusip, maturity } => {
            if days == 0 {
                return Ok((p.face, 0, false));
            }
            if let Some(px) = oracle::usable(state, &format!("PX:{cusip}"), oracle_now) {
                return Ok((per100(px)?, days, true));
            }
            if let Some(d) = oracle::usable(state, &format!("YLD:{cusip}"), oracle_now) {
                let price = treasury::bill_price(Decimal::new(d as i64, 8), days as u32);
                let fixed = oracle::to_fixed(&price.to_string()).ok_or_else(overflow)?;
                return Ok((per100(fixed)?, days, true));
            }
            // Amortized cost: the discount accretes evenly from purchase to maturity.
            let total = maturity.day().saturating_sub(p.acquired.day()).max(1) as u128;
            let run = (at.day().saturating_sub(p.acquired.day()) as u128).min(total);
            let accreted = mul_div(p.face.saturating_sub(p.cost), run, total)?;
            Ok((p.cost + accreted, days, false))
        }
        Instrument::Note { cusip, coupon_micros, maturity } => {
            // Accrued interest per 100 (× 10^8) at a time, ACT/ACT.
            let accrued = |t: Time| -> Result<u64, Refusal> {
                match treasury::coupon_period(*maturity, t) {
                    Some((last, next)) => {
                        let c = Decimal::new(*coupon_micros as i64, 6);
                        let ai = treasury::accrued_interest(c, last, next, t).unwrap_or_default();
                        oracle::to_fixed(&ai.to_string()).ok_or_else(overflow)
                    }
                    None => Ok(0),
                }
            };
            let oracle_px = oracle::usable(state, &format!("PX:{cusip}"), oracle_now);
            let clean = match oracle_px {
                Some(px) => px,
                // The cost paid was the dirty price: its clean part is cost less the interest
                // accrued when bought.
                None => {
                    let dirty =
                        u64::try_from(mul_div(p.cost, 100 * VALUE_SCALE, p.face.max(1))?).map_err(|_| overflow())?;
                    dirty.saturating_sub(accrued(p.acquired)?)
                }
            };
            Ok((per100(clean + accrued(at)?)?, days, oracle_px.is_some()))
        }
        Instrument::Repo { rate_micros, .. } => {
            let elapsed = at.day().saturating_sub(p.acquired.day()) as u128;
            let interest = mul_div(p.face, *rate_micros as u128 * elapsed, 1_000_000 * 360)?;
            Ok((p.face + interest, days, false))
        }
    }
}

/// What a matured position pays: face, plus the final coupon of a note, plus repo interest.
fn maturity_proceeds(p: &Position) -> Result<Amount, Refusal> {
    match &p.instrument {
        Instrument::Bill { .. } => Ok(p.face),
        Instrument::Note { coupon_micros, .. } => Ok(p.face + mul_div(p.face, *coupon_micros as u128, 2_000_000)?),
        Instrument::Repo { rate_micros, maturity, .. } => {
            let days = maturity.day().saturating_sub(p.acquired.day()) as u128;
            Ok(p.face + mul_div(p.face, *rate_micros as u128 * days, 1_000_000 * 360)?)
        }
    }
}

// ---------------------------------------------------------------- valuation

/// Values the fund at `at` (oracle quotes judged fresh at `oracle_now`). Pure: writes nothing.
pub fn valuation(state: &State, f: &Fund, at: Time, oracle_now: Time) -> Result<Valuation, Refusal> {
    let (mut total, mut weighted_days, mut dla, mut wla, mut longest) = (0u128, 0u128, 0u128, 0u128, 0u64);
    let (mut by_oracle, mut by_formula) = (0u32, 0u32);
    for ((fs, _), p) in state.positions.iter() {
        if fs != &f.spec.fund {
            continue;
        }
        let (v, days, oracle_priced) = value_position(state, p, at, oracle_now)?;
        if oracle_priced {
            by_oracle += 1
        } else {
            by_formula += 1
        }
        total = total.checked_add(v).ok_or_else(overflow)?;
        weighted_days =
            weighted_days.checked_add(v.checked_mul(days as u128).ok_or_else(overflow)?).ok_or_else(overflow)?;
        longest = longest.max(days);
        let treasury = p.instrument.cusip().is_some();
        if treasury || days <= 1 {
            dla += v;
        }
        if treasury || days <= 7 {
            wla += v;
        }
    }
    let wallet_cash = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.total()).transpose()?.unwrap_or(0);
    let cash = f.custodian_cash.checked_add(wallet_cash).ok_or_else(overflow)?;
    let assets = total.checked_add(cash).ok_or_else(overflow)?;
    // Dividends accrued to stable classes' holders and not yet minted are owed to them.
    let mut dividends_payable = 0u128;
    for a in &f.classes {
        if let Some(y) = state.yield_classes.get(a) {
            let owed = (y.accrued / yields::SCALE).saturating_sub(y.paid + y.residual_minted);
            dividends_payable = dividends_payable.checked_add(owed).ok_or_else(overflow)?;
        }
    }
    let liabilities =
        f.queued.checked_add(f.fee_accrued()).and_then(|l| l.checked_add(dividends_payable)).ok_or_else(overflow)?;
    let nav = assets.saturating_sub(liabilities);
    let cash_dec = state.asset(f.cash_asset).decimals;
    let mut book = 0u128;
    let mut classes = Vec::with_capacity(f.classes.len());
    for a in &f.classes {
        let asset = state.asset(*a);
        let c = state.share_classes.get(a).ok_or_else(overflow)?;
        book += book_value(asset.supply, c.price, asset.decimals, cash_dec)?;
        let yc = state.yield_classes.get(a);
        classes.push(ClassNav {
            asset: asset.symbol.clone(),
            shares: asset.supply,
            price: c.price,
            nav_per_share: 0,
            rate_ppb: yc.map(|y| y.rate_ppb).unwrap_or(0),
            yield_paid: yc.map(|y| y.paid + y.residual_minted).unwrap_or(0),
        });
    }
    let ratio = if book == 0 { VALUE_SCALE as u64 } else { mul_div(nav, VALUE_SCALE, book)? as u64 };
    for c in &mut classes {
        c.nav_per_share = mul_div(c.price as u128, ratio as u128, VALUE_SCALE)? as u64;
    }
    let bps = |x: u128| (x * BPS).checked_div(assets).unwrap_or(10_000) as u32;
    let wam = weighted_days.checked_div(assets).unwrap_or(0) as u32;
    let gross_yield = f.spec.params.yield_feed.as_deref().and_then(|feed| oracle::usable(state, feed, oracle_now));
    Ok(Valuation {
        at,
        positions: total,
        cash,
        assets,
        liabilities,
        nav,
        book,
        ratio,
        classes,
        metrics: Metrics {
            dla_bps: bps(dla + cash),
            wla_bps: bps(wla + cash),
            wam_days: wam,
            wal_days: wam,
            longest_days: longest as u32,
        },
        gross_yield,
        priced_by_oracle: by_oracle,
        priced_by_formula: by_formula,
        fee_accrued: f.fee_accrued(),
        dividends_payable,
        halted: f.halted.is_some() || f.tripped_since_valuation,
    })
}

fn alert(state: &mut State, f: &Fund, rule: &str, amount: Amount, detail: String, now: Time, ev: &mut Vec<Event>) {
    let a = Alert {
        id: 0,
        time: now,
        height: 0,
        rule: rule.into(),
        asset: f.spec.fund.clone(),
        wallet: state.wallet(f.cash_wallet).key,
        counterparty: None,
        amount,
        tx: Hash::default(),
        detail,
    };
    state.raise_alert(a, ev);
}

/// Halts a fund's subscriptions and redemptions (the breaker) and raises an alert.
pub fn halt(state: &mut State, f_sym: &Symbol, reason: &str, now: Time, ev: &mut Vec<Event>) {
    let Ok(mut f) = fund(state, f_sym) else { return };
    if f.halted.is_some() {
        return;
    }
    f.halted = Some(reason.to_string());
    f.tripped_since_valuation = true;
    alert(state, &f, "fund.breaker", 0, reason.to_string(), now, ev);
    ev.push(fe(FundEvent::BreakerTripped { fund: f_sym.clone(), reason: reason.to_string() }));
    state.funds.put(f_sym.clone(), f);
}

/// A feed tripped: halt every fund whose yield or NAV feed it is or whose positions it prices.
pub fn trip_for_feed(state: &mut State, feed: &str, detail: &str, now: Time, ev: &mut Vec<Event>) {
    let mut hit: Vec<Symbol> = state
        .funds
        .iter()
        .filter(|(_, f)| {
            f.spec.params.yield_feed.as_deref() == Some(feed) || f.spec.params.nav_feed.as_deref() == Some(feed)
        })
        .map(|(s, _)| s.clone())
        .collect();
    for ((fs, _), p) in state.positions.iter() {
        if let Some(c) = p.instrument.cusip() {
            if feed == format!("PX:{c}") || feed == format!("YLD:{c}") {
                hit.push(fs.clone());
            }
        }
    }
    hit.sort();
    hit.dedup();
    for f in hit {
        halt(state, &f, detail, now, ev);
    }
}

/// Governance clears the breaker: the fund resumes and its feeds re-base on their current value.
pub fn reset_breaker(
    state: &mut State,
    f_sym: &Symbol,
    reason: &str,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let mut f = fund(state, f_sym)?;
    if f.halted.is_none() {
        return refuse(Code::FundNotHalted, format!("fund {f_sym} is not halted"));
    }
    f.halted = None;
    let mut feeds: Vec<String> =
        [f.spec.params.yield_feed.clone(), f.spec.params.nav_feed.clone()].into_iter().flatten().collect();
    for p in positions(state, f_sym) {
        if let Some(c) = p.instrument.cusip() {
            feeds.push(format!("PX:{c}"));
            feeds.push(format!("YLD:{c}"));
        }
    }
    for feed in feeds {
        oracle::reset_feed(state, &feed, now);
    }
    state.funds.put(f_sym.clone(), f);
    ev.push(fe(FundEvent::BreakerReset { fund: f_sym.clone(), reason: reason.to_string() }));
    Ok(())
}

/// The daily work of one fund at one valuation time: matured positions and coupons into
/// custodian cash, accumulating prices, the fee accrual, the stable classes' net rate, the
/// valuation with its limits and breaker, and the monthly fee payment.
fn daily(state: &mut State, f_sym: &Symbol, at: Time, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut f = fund(state, f_sym)?;
    let day = at.day();
    // Maturities and coupons.
    for p in positions(state, f_sym) {
        if p.instrument.maturity().day() <= day {
            let proceeds = maturity_proceeds(&p)?;
            state.positions.remove(&(f_sym.clone(), p.id));
            f.custodian_cash = f.custodian_cash.checked_add(proceeds).ok_or_else(overflow)?;
            ev.push(fe(FundEvent::PositionMatured { fund: f_sym.clone(), position: p.id, proceeds }));
        } else if let Instrument::Note { coupon_micros, maturity, .. } = &p.instrument {
            // A coupon falls due on this valuation day (a day after acquisition).
            if let Some((last, _)) = treasury::coupon_period(*maturity, at) {
                if last.day() == day && p.acquired.day() < day {
                    let c = mul_div(p.face, *coupon_micros as u128, 2_000_000)?;
                    f.custodian_cash = f.custodian_cash.checked_add(c).ok_or_else(overflow)?;
                    ev.push(fe(FundEvent::CouponReceived { fund: f_sym.clone(), position: p.id, amount: c }));
                }
            }
        }
    }
    let cash_dec = state.asset(f.cash_asset).decimals;
    let gross = f.spec.params.yield_feed.as_deref().and_then(|feed| oracle::usable(state, feed, now));
    for a in f.classes.clone() {
        let Some(mut c) = state.share_classes.get(&a).cloned() else { continue };
        let asset = state.asset(a).clone();
        if c.nav == NavKind::Accumulating && c.daily_rate_e10 > 0 {
            let n = day.saturating_sub(c.base_day) as u32;
            let p = treasury::accumulating_price(
                Decimal::new(c.base_price as i64, 8),
                Decimal::new(c.daily_rate_e10 as i64, treasury::DAILY_RATE_PLACES),
                n,
            )
            .ok_or_else(overflow)?;
            // Half up to 8 places: Ondo rounds stored prices to 8 decimals.
            c.price = oracle::to_fixed(&treasury::round_rate(p, 8).to_string()).ok_or_else(overflow)?;
        }
        let book = shares_to_cash(asset.supply, c.price, asset.decimals, cash_dec)?;
        let fee_day = mul_div(book, c.fee_bps as u128 * yields::SCALE, BPS * 365)?;
        f.fee_accrued_scaled = f.fee_accrued_scaled.checked_add(fee_day).ok_or_else(overflow)?;
        if c.nav == NavKind::Stable {
            if let (Some(g), Some(mut yc)) = (gross, state.yield_classes.get(&a).cloned()) {
                // × 10^-8 → ppb is × 10; one basis point is 100,000 ppb.
                yc.rate_ppb = (g * 10).saturating_sub(c.fee_bps as u64 * 100_000);
                state.yield_classes.put(a, yc);
            }
        }
        state.share_classes.put(a, c);
    }
    state.funds.put(f_sym.clone(), f.clone());
    let v = valuation(state, &f, at, now)?;
    // Limits: alert on entering a breach.
    let p = &f.spec.params;
    let m = &v.metrics;
    let checks = [
        (
            "fund.dla_below_minimum",
            m.dla_bps < p.min_dla_bps,
            format!("daily liquid assets {} bps < {}", m.dla_bps, p.min_dla_bps),
        ),
        (
            "fund.wla_below_minimum",
            m.wla_bps < p.min_wla_bps,
            format!("weekly liquid assets {} bps < {}", m.wla_bps, p.min_wla_bps),
        ),
        (
            "fund.wam_above_maximum",
            m.wam_days > p.max_wam_days,
            format!("WAM {} days > {}", m.wam_days, p.max_wam_days),
        ),
        (
            "fund.wal_above_maximum",
            m.wal_days > p.max_wal_days,
            format!("WAL {} days > {}", m.wal_days, p.max_wal_days),
        ),
    ];
    let mut breaches = Vec::new();
    for (rule, breached, detail) in checks {
        if breached {
            if !f.breaches.iter().any(|b| b == rule) {
                alert(state, &f, rule, v.assets, detail, now, ev);
            }
            breaches.push(rule.to_string());
        }
    }
    f.breaches = breaches;
    ev.push(fe(FundEvent::Valued {
        fund: f_sym.clone(),
        at,
        nav: v.nav,
        ratio: v.ratio,
        dla_bps: m.dla_bps,
        wla_bps: m.wla_bps,
        wam_days: m.wam_days,
    }));
    let prev_ratio = f.last.as_ref().map(|l| l.ratio);
    f.tripped_since_valuation = false;
    f.last = Some(v.clone());
    state.fund_days.put((f_sym.clone(), day), v.clone());
    // Monthly fee payment, in whole units, as far as the fund's cash wallet allows.
    let (y, mo, d, ..) = at.to_civil();
    if (y, mo) != f.last_fee_payout && d >= p.fee_payout_day as u32 {
        f.last_fee_payout = (y, mo);
        let free = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.free).unwrap_or(0);
        let pay = f.fee_accrued().min(free.saturating_sub(f.queued));
        if pay > 0 {
            let mv = Move {
                kind: Movement::Transfer,
                asset: f.cash_asset,
                from: Some(f.cash_wallet),
                to: Some(f.fee_wallet),
                amount: pay,
                now,
            };
            if movement::execute_or_undo(state, &mv, ev).is_ok() {
                f.fee_accrued_scaled -= pay * yields::SCALE;
                f.fee_paid += pay;
                ev.push(fe(FundEvent::FeePaid { fund: f_sym.clone(), amount: pay }));
            }
        }
    }
    state.funds.put(f_sym.clone(), f.clone());
    // The breaker: NAV per share moved beyond the bound since the last valuation.
    if let Some(prev) = prev_ratio {
        let moved = (v.ratio.abs_diff(prev) as u128) * BPS / prev.max(1) as u128;
        if moved > p.breaker_bps as u128 {
            let why = format!(
                "NAV per share moved {moved} bps (from {} to {}, × 10^-8), beyond {} bps",
                prev, v.ratio, p.breaker_bps
            );
            halt(state, f_sym, &why, now, ev);
        }
    }
    // Cross-check against the administrator's NAV, if fed.
    if let Some(feed) = p.nav_feed.as_deref() {
        if let (Some(reported), Some(c)) = (oracle::usable(state, feed, now), v.classes.first()) {
            let off = (reported.abs_diff(c.nav_per_share) as u128) * BPS / reported.max(1) as u128;
            if off > p.breaker_bps as u128 {
                let f = fund(state, f_sym)?;
                let detail = format!("reported NAV per share {reported} vs computed {} (× 10^-8)", c.nav_per_share);
                alert(state, &f, "fund.nav_discrepancy", v.nav, detail, now, ev);
            }
        }
    }
    Ok(())
}

/// Block-boundary job: each fund's daily valuations since the last block, then the
/// redemption queue paid in order as far as the fund's cash allows.
pub fn block_job(state: &mut State, now: Time, ev: &mut Vec<Event>) {
    let mut funds: Vec<Symbol> = state.funds.iter().map(|(s, _)| s.clone()).collect();
    funds.sort();
    for f_sym in funds {
        let Ok(f) = fund(state, &f_sym) else { continue };
        let secs = f.spec.params.valuation_seconds as u64;
        let mut day = f.valued_through_day + 1;
        while day * DAY + secs <= now.seconds() {
            let mark = state.mark();
            if daily(state, &f_sym, Time(day * DAY + secs), now, ev).is_err() {
                // An overflowing valuation changes nothing; the day is still marked done.
                state.rollback(mark);
            }
            if let Ok(mut f) = fund(state, &f_sym) {
                f.valued_through_day = day;
                state.funds.put(f_sym.clone(), f);
            }
            day += 1;
        }
        pay_queue(state, &f_sym, now, ev);
    }
}

// ---------------------------------------------------------------- subscriptions and redemptions

pub fn subscribe(
    state: &mut State,
    actor: WalletIdx,
    class_sym: &Symbol,
    cash: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let (a, c) = class(state, class_sym)?;
    let f = fund(state, &c.spec.fund)?;
    if let Some(why) = &f.halted {
        return refuse(Code::FundHalted, format!("fund {} is halted: {why}", f.spec.fund));
    }
    let held = state.holding_ref(a, actor).map(|h| h.total()).transpose()?.unwrap_or(0);
    let (min, which) = if held == 0 { (c.spec.min_first, "first") } else { (c.spec.min_later, "later") };
    if cash < min {
        return refuse(Code::FundBelowMinimum, format!("{cash} is below the minimum {which} investment {min}"));
    }
    let share_dec = state.asset(a).decimals;
    let cash_dec = state.asset(f.cash_asset).decimals;
    let shares = cash_to_shares(cash, c.price, share_dec, cash_dec)?;
    if shares == 0 {
        return refuse(Code::FundBelowMinimum, "the payment buys no whole share unit");
    }
    let cash_symbol = state.asset(f.cash_asset).symbol.clone();
    let fund_wallet = state.wallet(f.cash_wallet).key;
    movement::transfer(state, &cash_symbol, actor, &fund_wallet, cash, now, tx, ev)?;
    let investor = state.wallet(actor).key;
    movement::mint(state, class_sym, &investor, shares, now, tx, ev)?;
    ev.push(fe(FundEvent::Subscribed {
        fund: f.spec.fund.clone(),
        class: class_sym.clone(),
        investor,
        cash,
        shares,
        price: c.price,
    }));
    Ok(())
}

pub fn redeem(
    state: &mut State,
    actor: WalletIdx,
    class_sym: &Symbol,
    shares: Amount,
    now: Time,
    tx: Hash,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let (a, c) = class(state, class_sym)?;
    let mut f = fund(state, &c.spec.fund)?;
    if let Some(why) = &f.halted {
        return refuse(Code::FundHalted, format!("fund {} is halted: {why}", f.spec.fund));
    }
    let free = state.holding_ref(a, actor).map(|h| h.free).unwrap_or(0);
    if shares > free {
        return refuse(Code::BalanceInsufficient, format!("redeeming {shares} of a free balance of {free}"));
    }
    let gross = shares_to_cash(shares, c.price, state.asset(a).decimals, state.asset(f.cash_asset).decimals)?;
    let wla_low = f.last.as_ref().is_some_and(|l| l.metrics.wla_bps < f.spec.params.liquidity_fee_below_wla_bps);
    let fee_bps = c.spec.redemption_fee_bps as u128 + if wla_low { f.spec.params.liquidity_fee_bps as u128 } else { 0 };
    let fee = mul_div(gross, fee_bps, BPS)?;
    let net = gross - fee;
    if net == 0 {
        return refuse(Code::FundBelowMinimum, "the redemption is worth no whole cash unit");
    }
    let investor = state.wallet(actor).key;
    movement::burn(state, class_sym, &investor, shares, now, tx, ev)?;
    let today = now.day();
    if f.facility.0 != today {
        f.facility = (today, 0);
    }
    let queue_empty = !state.redemption_queue.iter().any(|((fs, _), _)| fs == &f.spec.fund);
    let wallet_free = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.free).unwrap_or(0);
    let within = f.facility.1.checked_add(net).is_some_and(|u| u <= f.spec.params.facility_daily_limit);
    if queue_empty && within && wallet_free >= net {
        let cash_symbol = state.asset(f.cash_asset).symbol.clone();
        movement::transfer(state, &cash_symbol, f.cash_wallet, &investor, net, now, tx, ev)?;
        f.facility.1 += net;
        ev.push(fe(FundEvent::RedemptionPaid {
            fund: f.spec.fund.clone(),
            redemption: None,
            investor,
            shares,
            cash: net,
            fee,
        }));
    } else {
        let id = state.next_id(|m| &mut m.next_redemption);
        let r = Redemption {
            id,
            fund: f.spec.fund.clone(),
            class: class_sym.clone(),
            wallet: investor,
            shares,
            amount: net,
            fee,
            requested_at: now,
            status: RedemptionStatus::Queued,
        };
        state.redemptions.put(id, r);
        state.redemption_queue.put((f.spec.fund.clone(), id), ());
        f.queued = f.queued.checked_add(net).ok_or_else(overflow)?;
        ev.push(fe(FundEvent::RedemptionQueued { fund: f.spec.fund.clone(), redemption: id, investor, cash: net }));
    }
    state.funds.put(f.spec.fund.clone(), f);
    Ok(())
}

/// Pays queued redemptions in order while the cash that arrived for them (and the fund's
/// wallet) covers the next one. A payment the cash token's rules refuse (the investor frozen,
/// say) stays queued and does not hold up those behind it.
fn pay_queue(state: &mut State, f_sym: &Symbol, now: Time, ev: &mut Vec<Event>) {
    let queued: Vec<(Symbol, u64)> =
        state.redemption_queue.due(&(f_sym.clone(), u64::MAX)).into_iter().filter(|(fs, _)| fs == f_sym).collect();
    if queued.is_empty() {
        return;
    }
    let Ok(mut f) = fund(state, f_sym) else { return };
    for key in queued {
        let Some(mut r) = state.redemptions.get(&key.1).cloned() else { continue };
        let free = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.free).unwrap_or(0);
        if free < r.amount || f.arrived < r.amount {
            break;
        }
        let Ok(to) = state.wallet_idx(&r.wallet) else { continue };
        let m = Move {
            kind: Movement::Transfer,
            asset: f.cash_asset,
            from: Some(f.cash_wallet),
            to: Some(to),
            amount: r.amount,
            now,
        };
        match movement::execute_or_undo(state, &m, ev) {
            Ok(()) => {
                state.redemption_queue.remove(&key);
                f.queued -= r.amount;
                f.arrived -= r.amount;
                r.status = RedemptionStatus::Paid { at: now };
                ev.push(fe(FundEvent::RedemptionPaid {
                    fund: f_sym.clone(),
                    redemption: Some(r.id),
                    investor: r.wallet,
                    shares: r.shares,
                    cash: r.amount,
                    fee: r.fee,
                }));
                state.redemptions.put(r.id, r);
            }
            Err(e) => {
                ev.push(fe(FundEvent::RedemptionHeld { redemption: r.id, code: e.code.as_str().into() }));
            }
        }
    }
    if f.queued == 0 {
        f.arrived = 0;
    }
    state.funds.put(f_sym.clone(), f);
}

/// A wallet was recovered: queued redemptions are paid to the new wallet, and a fund's cash or
/// fee wallet, a paying agent or an oracle source moves to it.
pub fn rekey(state: &mut State, lost: &WalletId, new: &WalletId) {
    let (Ok(l), Ok(n)) = (state.wallet_idx(lost), state.wallet_idx(new)) else { return };
    let queued: Vec<u64> = state.redemption_queue.iter().map(|((_, id), _)| *id).collect();
    for id in queued {
        if let Some(mut r) = state.redemptions.get(&id).cloned() {
            if r.wallet == *lost {
                r.wallet = *new;
                state.redemptions.put(id, r);
            }
        }
    }
    let funds: Vec<Symbol> = state.funds.iter().map(|(s, _)| s.clone()).collect();
    for f_sym in funds {
        let Some(mut f) = state.funds.get(&f_sym).cloned() else { continue };
        if f.cash_wallet == l || f.fee_wallet == l {
            if f.cash_wallet == l {
                f.cash_wallet = n;
                f.spec.cash_wallet = *new;
            }
            if f.fee_wallet == l {
                f.fee_wallet = n;
                f.spec.fee_wallet = *new;
            }
            state.funds.put(f_sym, f);
        }
    }
    let serviced: Vec<AssetIdx> = state.servicing.iter().map(|(a, _)| *a).collect();
    for a in serviced {
        if let Some(mut sv) = state.servicing.get(&a).cloned() {
            if sv.paying_agent == l {
                sv.paying_agent = n;
                state.servicing.put(a, sv);
            }
        }
    }
    if let Some(name) = state.oracle_sources.get(&l).cloned() {
        state.oracle_sources.remove(&l);
        state.oracle_sources.put(n, name);
        let feeds: Vec<String> = state.feeds.iter().map(|(k, _)| k.clone()).collect();
        for id in feeds {
            if let Some(mut feed) = state.feeds.get(&id).cloned() {
                let mut hit = false;
                for w in feed.spec.sources.iter_mut().filter(|w| **w == *lost) {
                    *w = *new;
                    hit = true;
                }
                for src in feed.sources.iter_mut().filter(|src| src.wallet == *lost) {
                    src.wallet = *new;
                    hit = true;
                }
                if hit {
                    state.feeds.put(id, feed);
                }
            }
        }
    }
}

/// Checks the funds' invariants: Σ queued redemptions owed = the fund's recorded liability.
pub fn check(state: &State) -> Result<(), String> {
    for (s, f) in state.funds.iter() {
        let owed: Amount = state
            .redemption_queue
            .iter()
            .filter(|((fs, _), _)| fs == s)
            .filter_map(|((_, id), _)| state.redemptions.get(id))
            .map(|r| r.amount)
            .sum();
        if owed != f.queued {
            return Err(format!("fund {s}: queue owes {owed}, fund records {}", f.queued));
        }
        if f.arrived > f.queued {
            return Err(format!("fund {s}: {} earmarked for a queue owing {}", f.arrived, f.queued));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- reconciliation (F7)

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Break {
    pub instrument: String,
    /// `quantity` (both hold it, different amounts), `missing_at_custodian`,
    /// `unknown_to_ledger`, or `cash`.
    pub kind: String,
    pub ledger: String,
    pub custodian: String,
    pub difference: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub fund: Symbol,
    pub at: Time,
    pub breaks: Vec<Break>,
    /// Market value of the statement (securities at its prices, plus cash).
    pub custodian_value: String,
    /// Cash tokens in the fund's wallet on the ledger.
    pub ledger_cash: String,
    /// Repo (held with the tri-party agent, not on the statement) at the ledger's value.
    pub repo: String,
    /// What the fund owes: shares outstanding at NAV per share, plus queued redemptions.
    pub obligations: String,
    /// (custodian value + ledger cash + repo) / obligations, 6 places, rounded down.
    pub reserve_ratio: Option<String>,
}

/// Compares a custodian statement with the fund's portfolio, cash and tokens outstanding.
pub fn reconcile(
    state: &State,
    f_sym: &Symbol,
    statement: &[crate::statement::Position],
    now: Time,
) -> Result<Reconciliation, Refusal> {
    use crate::statement::Position as S;
    use std::collections::BTreeMap;
    let f = fund(state, f_sym)?;
    let cash_asset = state.asset(f.cash_asset);
    let unit = Decimal::from_i128_with_scale(1, cash_asset.decimals as u32);
    let dec = |a: Amount| Decimal::from_i128_with_scale(a as i128, cash_asset.decimals as u32);
    let mut ledger: BTreeMap<String, Decimal> = BTreeMap::new();
    for p in positions(state, f_sym) {
        if let Some(c) = p.instrument.cusip() {
            *ledger.entry(c.to_string()).or_default() += dec(p.face);
        }
    }
    let mut custodian: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut custodian_cash = Decimal::ZERO;
    let mut custodian_value = Decimal::ZERO;
    for s in statement {
        custodian_value += s.value();
        match s {
            S::Security { cusip, quantity, .. } => *custodian.entry(cusip.to_string()).or_default() += quantity,
            S::Cash { currency, amount } => {
                if let AssetKind::CashToken { currency: c, .. } = &cash_asset.kind {
                    if c != currency {
                        return refuse(Code::FundBadStatement, format!("cash in {currency}; the fund's cash is {c}"));
                    }
                }
                custodian_cash += amount;
            }
        }
    }
    let mut breaks = Vec::new();
    let keys: std::collections::BTreeSet<&String> = ledger.keys().chain(custodian.keys()).collect();
    for k in keys {
        let (l, c) = (ledger.get(k).copied(), custodian.get(k).copied());
        let kind = match (l, c) {
            (Some(l), Some(c)) if l == c => continue,
            (Some(_), Some(_)) => "quantity",
            (Some(_), None) => "missing_at_custodian",
            _ => "unknown_to_ledger",
        };
        let (l, c) = (l.unwrap_or_default(), c.unwrap_or_default());
        breaks.push(Break {
            instrument: k.clone(),
            kind: kind.into(),
            ledger: l.normalize().to_string(),
            custodian: c.normalize().to_string(),
            difference: (c - l).normalize().to_string(),
        });
    }
    let ledger_custodian_cash = dec(f.custodian_cash);
    if (custodian_cash - ledger_custodian_cash).abs() >= unit {
        breaks.push(Break {
            instrument: "CASH".into(),
            kind: "cash".into(),
            ledger: ledger_custodian_cash.normalize().to_string(),
            custodian: custodian_cash.normalize().to_string(),
            difference: (custodian_cash - ledger_custodian_cash).normalize().to_string(),
        });
    }
    let v = valuation(state, &f, now, now)?;
    let mut obligations = f.queued;
    for c in &v.classes {
        let a = state.asset_idx(&c.asset)?;
        obligations += shares_to_cash(c.shares, c.nav_per_share, state.asset(a).decimals, cash_asset.decimals)?;
    }
    let wallet_cash = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.total()).transpose()?.unwrap_or(0);
    // Repo sits with the tri-party agent, not on the custodian's statement: at ledger value.
    let mut repo_value = 0u128;
    for p in positions(state, f_sym) {
        if p.instrument.cusip().is_none() {
            repo_value += value_position(state, &p, now, now)?.0;
        }
    }
    let reserves = custodian_value + dec(wallet_cash) + dec(repo_value);
    let reserve_ratio = (obligations > 0).then(|| {
        (reserves / dec(obligations)).round_dp_with_strategy(6, rust_decimal::RoundingStrategy::ToZero).to_string()
    });
    Ok(Reconciliation {
        fund: f_sym.clone(),
        at: now,
        breaks,
        custodian_value: custodian_value.normalize().to_string(),
        ledger_cash: dec(wallet_cash).normalize().to_string(),
        repo: dec(repo_value).normalize().to_string(),
        obligations: dec(obligations).normalize().to_string(),
        reserve_ratio,
    })
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for FundSpec {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let spec = self;
        check_symbol(&spec.fund)?;
        check_text("name", &spec.name, MAX_TEXT_LEN)?;
        check_party_id(&spec.manager)?;
        check_symbol(&spec.cash_asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let spec = self;
        create_fund(cx.state, spec, cx.now, cx.events)
    }
}

impl Action for ShareClassSpec {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let spec = self;
        check_symbol(&spec.fund)?;
        check_symbol(&spec.asset)?;
        if spec.domain_fees.len() > 16 || spec.eligible.len() > 8 || spec.denied_jurisdictions.len() > 256 {
            return refuse(Code::FundBadSpec, "too many domain fees, classes or jurisdictions");
        }
        Ok(())
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let spec = self;
        create_class(cx.state, spec, cx.now, cx.events)
    }
}

impl Action for SetClassApy {
    fn authority(&self) -> (OpClass, Need) {
        let SetClassApy { asset: a, .. } = self;
        (OpClass::Routine, Need::Role(Role::IssuerAgent, on_asset(a)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SetClassApy { asset, .. } = self;
        check_symbol(asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetClassApy { asset, apy_ppb } = self;
        set_apy(cx.state, asset, *apy_ppb, cx.now, cx.events)
    }
}

impl Action for CustodianCash {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::Custodian, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let CustodianCash { fund, amount, reference, .. } = self;
        check_symbol(fund)?;
        nonzero(*amount)?;
        check_text("reference", reference, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let CustodianCash { fund: f, amount, movement, reference } = self;
        custodian_cash(cx.state, cx.actor, f, *amount, *movement, reference, cx.now, cx.tx, cx.events)
    }
}

impl Action for BuyPosition {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::Custodian, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let BuyPosition { fund, instrument, .. } = self;
        check_symbol(fund)?;
        instrument.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let BuyPosition { fund: f, instrument, face, cost } = self;
        buy(cx.state, f, instrument, *face, *cost, cx.now, cx.events)
    }
}

impl Action for SellPosition {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::Custodian, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SellPosition { fund, .. } = self;
        check_symbol(fund)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SellPosition { fund: f, position, proceeds } = self;
        sell(cx.state, f, *position, *proceeds, cx.events)
    }
}

impl Action for Subscribe {
    fn authority(&self) -> (OpClass, Need) {
        // A source signs its own reports; the oracle module checks it is registered for the feed.
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let Subscribe { class, amount } = self;
        check_symbol(class)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Subscribe { class, amount } = self;
        subscribe(cx.state, cx.actor, class, *amount, cx.now, cx.tx, cx.events)
    }
}

impl Action for Redeem {
    fn authority(&self) -> (OpClass, Need) {
        // A source signs its own reports; the oracle module checks it is registered for the feed.
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let Redeem { class, shares: amount } = self;
        check_symbol(class)?;
        nonzero(*amount)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Redeem { class, shares } = self;
        redeem(cx.state, cx.actor, class, *shares, cx.now, cx.tx, cx.events)
    }
}

impl Action for ResetBreaker {
    fn authority(&self) -> (OpClass, Need) {
        // Resuming a halted fund is governance's call: sensitive (M-of-N).
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let ResetBreaker { fund, reason: r } = self;
        check_symbol(fund)?;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let ResetBreaker { fund: f, reason } = self;
        reset_breaker(cx.state, f, reason, cx.now, cx.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_cash_conversions_round_down() {
        // 1,000.000000 cash at 1.11234567 per share → 899.0011178... shares, rounded down.
        assert_eq!(cash_to_shares(1_000_000_000, 111_234_567, 6, 6).unwrap(), 899_001_117);
        assert_eq!(shares_to_cash(899_001_117, 111_234_567, 6, 6).unwrap(), 999_999_999);
        // Different decimals: 18-decimal shares, 6-decimal cash, at 1.00.
        assert_eq!(cash_to_shares(1_000_000, 100_000_000, 18, 6).unwrap(), 1_000_000_000_000_000_000);
        assert_eq!(shares_to_cash(1_000_000_000_000_000_000, 100_000_000, 18, 6).unwrap(), 1_000_000);
    }
}
