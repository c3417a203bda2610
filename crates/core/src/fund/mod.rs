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
//!   (× 10^18) and is paid monthly in whole minor units; the fraction carries;
//! - rules version 2, the daily dividend of stable classes: net income = NAV with every
//!   position at amortized cost (`amortized_value`, rounded down; a day's valuation counts the
//!   night ahead) − book value, zero when negative; split between stable classes by book value
//!   rounded down, turned into shares rounded down, credited per share rounded down to 10^-18
//!   of a minor unit (`yields::declare`); the remainder is declared the next day. Hence with no
//!   market price, NAV per share = 1.00000000 + at most 2 minor units of book at each valuation.
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

mod breaker;
mod daily;
mod dealing;
mod nav;
mod portfolio;
mod reconcile;
mod setup;

pub use breaker::*;
pub use daily::*;
pub use dealing::*;
pub use nav::*;
pub use portfolio::*;
pub use reconcile::*;
pub use setup::*;

pub(super) fn fe(e: FundEvent) -> Event {
    Event::Fund(e)
}

pub(super) fn overflow() -> Refusal {
    Refusal::new(Code::AmountOverflow, "fund arithmetic overflows")
}

pub(super) fn mul_div(a: u128, b: u128, c: u128) -> Result<u128, Refusal> {
    // A zero divisor is refused as an overflow too.
    a.checked_mul(b).and_then(|x| x.checked_div(c)).ok_or_else(overflow)
}

pub(super) fn pow10(n: u8) -> u128 {
    10u128.pow(n as u32)
}

/// Takes `amount` from the fund's cash at the custodian, or refuses when it does not cover it.
pub(super) fn take_custodian_cash(state: &State, f: &mut Fund, amount: Amount) -> Result<(), Refusal> {
    f.custodian_cash = f.custodian_cash.checked_sub(amount).ok_or_else(|| {
        let (held, amount) =
            (state.amount_text(f.cash_asset, f.custodian_cash), state.amount_text(f.cash_asset, amount));
        Refusal::new(Code::FundInsufficientCash, format!("custodian cash {held} does not cover {amount}"))
    })?;
    Ok(())
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
pub(super) fn book_value(shares: Amount, price: u64, share_decimals: u8, cash_decimals: u8) -> Result<Amount, Refusal> {
    let num =
        shares.checked_mul(price as u128).and_then(|x| x.checked_mul(pow10(cash_decimals))).ok_or_else(overflow)?;
    let unit = VALUE_SCALE.checked_mul(pow10(share_decimals)).expect("decimals are at most 18: 10^26 fits");
    Ok(num.div_ceil(unit))
}

/// Shares bought by `cash` at `price`, rounded down.
pub fn cash_to_shares(cash: Amount, price: u64, share_decimals: u8, cash_decimals: u8) -> Result<Amount, Refusal> {
    let v = mul_div(cash, pow10(share_decimals), pow10(cash_decimals))?;
    mul_div(v, VALUE_SCALE, price.max(1) as u128)
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
