//! The daily valuation: NAV, NAV per share, liquidity and maturity (F2, F5). Pure: writes nothing.

use super::*;

// ---------------------------------------------------------------- valuation

/// Values the fund at `at` (oracle quotes judged fresh at `oracle_now`). Pure: writes nothing.
pub fn valuation(state: &State, f: &Fund, at: Time, oracle_now: Time) -> Result<Valuation, Refusal> {
    valuation_priced(state, f, at, oracle_now, Pricing::Market)
}

/// [`valuation`] with positions priced as asked.
pub fn valuation_priced(
    state: &State,
    f: &Fund,
    at: Time,
    oracle_now: Time,
    pricing: Pricing,
) -> Result<Valuation, Refusal> {
    let (mut total, mut weighted_days, mut dla, mut wla, mut longest) = (0u128, 0u128, 0u128, 0u128, 0u64);
    let (mut by_oracle, mut by_formula) = (0u32, 0u32);
    for ((fs, _), p) in state.positions.iter() {
        if fs != &f.spec.fund {
            continue;
        }
        let (v, days, oracle_priced) = position_value(state, p, at, oracle_now, pricing)?;
        let count = if oracle_priced { &mut by_oracle } else { &mut by_formula };
        *count = count.checked_add(1).expect("one per position; a fund holds far fewer than u32::MAX");
        total = total.checked_add(v).ok_or_else(overflow)?;
        weighted_days =
            weighted_days.checked_add(v.checked_mul(days as u128).ok_or_else(overflow)?).ok_or_else(overflow)?;
        longest = longest.max(days);
        let treasury = p.instrument.cusip().is_some();
        if treasury || days <= 1 {
            dla = dla.checked_add(v).expect("a part of total, which did not overflow");
        }
        if treasury || days <= 7 {
            wla = wla.checked_add(v).expect("a part of total, which did not overflow");
        }
    }
    let wallet_cash = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.total()).transpose()?.unwrap_or(0);
    let cash = f.custodian_cash.checked_add(wallet_cash).ok_or_else(overflow)?;
    let assets = total.checked_add(cash).ok_or_else(overflow)?;
    // Dividends accrued to stable classes' holders and not yet minted are owed to them.
    let mut dividends_payable = 0u128;
    for a in &f.classes {
        if let Some(y) = state.yield_classes.get(a) {
            // The accrual invariant (`yields::check`): accrued = (paid + minted) × SCALE + the rest.
            let owed = y
                .paid
                .checked_add(y.residual_minted)
                .and_then(|out| (y.accrued / yields::SCALE).checked_sub(out))
                .expect("paid and minted yield never exceed the accrual (yields::check)");
            dividends_payable = dividends_payable.checked_add(owed).ok_or_else(overflow)?;
        }
    }
    let liabilities =
        f.queued.checked_add(f.fee_accrued()).and_then(|l| l.checked_add(dividends_payable)).ok_or_else(overflow)?;
    // Saturating on purpose: an insolvent fund (liabilities above assets, say after its
    // positions fell in price) has a NAV of zero; the shortfall shows in the two totals.
    let nav = assets.saturating_sub(liabilities);
    let cash_dec = state.asset(f.cash_asset).decimals;
    let mut book = 0u128;
    let mut classes = Vec::with_capacity(f.classes.len());
    for a in &f.classes {
        let asset = state.asset(*a);
        let c = state.share_classes.get(a).ok_or_else(overflow)?;
        book = book.checked_add(book_value(asset.supply, c.price, asset.decimals, cash_dec)?).ok_or_else(overflow)?;
        let yc = state.yield_classes.get(a);
        classes.push(ClassNav {
            asset: asset.symbol.clone(),
            shares: asset.supply,
            price: c.price,
            nav_per_share: 0,
            rate_ppb: yc.map(|y| y.rate_ppb).unwrap_or(0),
            yield_paid: yc
                .map(|y| y.paid.checked_add(y.residual_minted).expect("at most the accrual / SCALE (yields::check)"))
                .unwrap_or(0),
        });
    }
    let ratio = if book == 0 { VALUE_SCALE as u64 } else { mul_div(nav, VALUE_SCALE, book)? as u64 };
    for c in &mut classes {
        c.nav_per_share = mul_div(c.price as u128, ratio as u128, VALUE_SCALE)? as u64;
    }
    // x is a part of the assets: the ratio is at most 10000 bps.
    let bps = |x: u128| -> Result<u32, Refusal> {
        if assets == 0 {
            return Ok(10_000);
        }
        Ok(mul_div(x, BPS, assets)? as u32)
    };
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
            dla_bps: bps(dla.checked_add(cash).expect("at most assets = total + cash"))?,
            wla_bps: bps(wla.checked_add(cash).expect("at most assets = total + cash"))?,
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
