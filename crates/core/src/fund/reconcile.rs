//! Reconciliation against a custodian statement (F7).

use super::*;

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
    /// The fund's cash token, and its decimals: every amount below is in its units.
    pub cash_asset: Symbol,
    pub decimals: u8,
    pub at: Time,
    pub breaks: Vec<Break>,
    /// Market value of the statement (securities at its prices, plus cash).
    pub custodian_value: String,
    /// Cash tokens in the fund's wallet on the ledger.
    pub ledger_cash: String,
    /// Repo (held with the tri-party agent, not on the statement) at the ledger's value.
    pub repo: String,
    /// What the fund owes: shares outstanding at NAV per share, dividends declared and not yet
    /// paid, and queued redemptions.
    pub obligations: String,
    /// (custodian value + ledger cash + repo) / obligations, 6 places, rounded down.
    pub reserve_ratio: Option<String>,
}

impl Reconciliation {
    /// Whether reserves fall short of obligations (a reserve ratio below 1).
    pub fn short(&self) -> bool {
        self.reserve_ratio.as_deref().and_then(|r| r.parse::<Decimal>().ok()).is_some_and(|r| r < Decimal::ONE)
    }
    /// Whether the statement agrees with the ledger: no break, and reserves cover obligations.
    pub fn agrees(&self) -> bool {
        self.breaks.is_empty() && !self.short()
    }
    /// The verdict in words: "agrees", or what is wrong.
    pub fn verdict(&self) -> String {
        let mut wrong = Vec::new();
        match self.breaks.len() {
            0 => {}
            1 => wrong.push("1 break".to_string()),
            n => wrong.push(format!("{n} breaks")),
        }
        if self.short() {
            wrong.push(format!(
                "reserve ratio {} below 1",
                self.reserve_ratio.as_deref().expect("short only with a ratio")
            ));
        }
        if wrong.is_empty() {
            "agrees".into()
        } else {
            wrong.join(" and ")
        }
    }
}

/// An amount the reconciliation holds as decimal text (in the cash token's units) formatted as
/// every amount is for people: thousands separated, the token's decimals (cut, not rounded),
/// and its symbol. Text that is not a number is shown as it is.
pub fn money_text(text: &str, decimals: u8, symbol: &Symbol) -> String {
    let Ok(d) = text.parse::<Decimal>() else { return text.to_string() };
    let scaled = d.abs().checked_mul(Decimal::from(10u64.pow(u32::from(decimals.min(18)))));
    match scaled.and_then(|x| x.trunc().to_u128()) {
        Some(units) => format!(
            "{}{} {symbol}",
            if d.is_sign_negative() && !d.is_zero() { "-" } else { "" },
            format_units(units, decimals)
        ),
        None => format!("{text} {symbol}"),
    }
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
    let add = |a: Decimal, b: Decimal| a.checked_add(b).ok_or_else(overflow);
    let sub = |a: Decimal, b: Decimal| a.checked_sub(b).ok_or_else(overflow);
    let mut ledger: BTreeMap<String, Decimal> = BTreeMap::new();
    for p in positions(state, f_sym) {
        if let Some(c) = p.instrument.cusip() {
            let e = ledger.entry(c.to_string()).or_default();
            *e = add(*e, dec(p.face))?;
        }
    }
    let mut custodian: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut custodian_cash = Decimal::ZERO;
    let mut custodian_value = Decimal::ZERO;
    for s in statement {
        custodian_value = add(custodian_value, s.value().ok_or_else(overflow)?)?;
        match s {
            S::Security { cusip, quantity, .. } => {
                let e = custodian.entry(cusip.to_string()).or_default();
                *e = add(*e, *quantity)?;
            }
            S::Cash { currency, amount } => {
                if let AssetKind::CashToken { currency: c, .. } = &cash_asset.kind {
                    if c != currency {
                        return refuse(Code::FundBadStatement, format!("cash in {currency}; the fund's cash is {c}"));
                    }
                }
                custodian_cash = add(custodian_cash, *amount)?;
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
            difference: sub(c, l)?.normalize().to_string(),
        });
    }
    let ledger_custodian_cash = dec(f.custodian_cash);
    let cash_difference = sub(custodian_cash, ledger_custodian_cash)?;
    if cash_difference.abs() >= unit {
        breaks.push(Break {
            instrument: "CASH".into(),
            kind: "cash".into(),
            ledger: ledger_custodian_cash.normalize().to_string(),
            custodian: custodian_cash.normalize().to_string(),
            difference: cash_difference.normalize().to_string(),
        });
    }
    let v = valuation(state, &f, now, now)?;
    // Holders are owed their shares at NAV, the dividends declared and not yet paid, and the
    // queued redemptions.
    let mut obligations = f.queued.checked_add(v.dividends_payable).ok_or_else(overflow)?;
    for c in &v.classes {
        let a = state.asset_idx(&c.asset)?;
        let owed = shares_to_cash(c.shares, c.nav_per_share, state.asset(a).decimals, cash_asset.decimals)?;
        obligations = obligations.checked_add(owed).ok_or_else(overflow)?;
    }
    let wallet_cash = state.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.total()).transpose()?.unwrap_or(0);
    // Repo sits with the tri-party agent, not on the custodian's statement: at ledger value.
    let mut repo_value = 0u128;
    for p in positions(state, f_sym) {
        if p.instrument.cusip().is_none() {
            repo_value = repo_value.checked_add(value_position(state, &p, now, now)?.0).ok_or_else(overflow)?;
        }
    }
    let reserves = add(add(custodian_value, dec(wallet_cash))?, dec(repo_value))?;
    let reserve_ratio = match obligations {
        0 => None,
        _ => Some(
            reserves
                .checked_div(dec(obligations))
                .ok_or_else(overflow)?
                .round_dp_with_strategy(6, rust_decimal::RoundingStrategy::ToZero)
                .to_string(),
        ),
    };
    Ok(Reconciliation {
        fund: f_sym.clone(),
        cash_asset: cash_asset.symbol.clone(),
        decimals: cash_asset.decimals,
        at: now,
        breaks,
        custodian_value: custodian_value.normalize().to_string(),
        ledger_cash: dec(wallet_cash).normalize().to_string(),
        repo: dec(repo_value).normalize().to_string(),
        obligations: dec(obligations).normalize().to_string(),
        reserve_ratio,
    })
}
