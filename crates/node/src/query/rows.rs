//! The answer rows and the unfiltered reads behind them: balances, holders, history, receipts,
//! locks, assets, feeds, the fund report and bill quotes. Each answer serializes to the JSON
//! the API serves; the CLI adds the human rendering. Who may see a row is `super::viewer`'s
//! business, not this file's.

use super::history::{self, decimal_units, Move, TxResult};
use super::viewer::{tx_involves, Involved, Involves};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use tessera_core::block::Receipt;
use tessera_core::fund::{self, DayIncome, Valuation};
use tessera_core::state::State;
use tessera_core::*;
use tessera_store::Journal;

/// One holding: each amount in the asset's units (`free`, "1500.000000") and in minor units
/// (`free_units`, 1500000000).
#[derive(Serialize, serde::Deserialize, Clone, utoipa::ToSchema)]
pub struct BalanceRow {
    pub wallet: WalletId,
    pub party: PartyId,
    pub asset: Symbol,
    /// Free to move.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub free: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub free_units: Amount,
    /// Committed (settlement, escrow, pledges…; `locks` says to what).
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub locked: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub locked_units: Amount,
    /// Frozen by an issuer agent.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub frozen: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub frozen_units: Amount,
    /// free + locked + frozen.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub total: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub total_units: Amount,
    pub decimals: u8,
}

impl BalanceRow {
    pub fn human(&self) -> String {
        let f = |a| format_units(a, self.decimals);
        format!(
            "{:<10} {:<16} {:>24} total  ({} free, {} locked, {} frozen)  wallet {}",
            self.asset.as_str(),
            self.party.as_str(),
            f(self.total_units),
            f(self.free_units),
            f(self.locked_units),
            f(self.frozen_units),
            self.wallet.short()
        )
    }
}

/// Every holding of the given wallets, sorted by asset then wallet.
pub fn balances(st: &State, wallets: &[WalletId]) -> Vec<BalanceRow> {
    let mut rows = Vec::new();
    for w in wallets {
        let Some(wi) = st.wallet_index.get(w) else {
            continue;
        };
        let wallet = st.wallet(*wi);
        for (ai, asset) in st.assets.sorted() {
            if let Some(h) = st.holding_ref(*ai, *wi) {
                rows.push(row(st, wallet.key, wallet.party, asset, h));
            }
        }
    }
    rows.sort_by(|a, b| (a.asset.as_str(), a.wallet).cmp(&(b.asset.as_str(), b.wallet)));
    rows
}

fn row(
    st: &State,
    key: WalletId,
    party: u32,
    asset: &tessera_core::state::Asset,
    h: &tessera_core::state::Holding,
) -> BalanceRow {
    let total = h.total().unwrap_or(Amount::MAX);
    let text = |a: Amount| decimal_units(a, asset.decimals);
    BalanceRow {
        wallet: key,
        party: st.party(party).id.clone(),
        asset: asset.symbol.clone(),
        free: text(h.free),
        free_units: h.free,
        locked: text(h.locked),
        locked_units: h.locked,
        frozen: text(h.frozen),
        frozen_units: h.frozen,
        total: text(total),
        total_units: total,
        decimals: asset.decimals,
    }
}

/// An asset's decimals (0 for one the state does not hold: every row names a held asset).
fn decimals_of(st: &State, asset: &Symbol) -> u8 {
    st.asset_index.get(asset).map(|i| st.asset(*i).decimals).unwrap_or(0)
}

/// The holder register of an asset: every positive holding, largest first.
pub fn holders(st: &State, asset: &Symbol) -> Result<Vec<BalanceRow>, Refusal> {
    let ai = st.asset_idx(asset)?;
    let a = st.asset(ai);
    let mut rows: Vec<BalanceRow> = st
        .holdings
        .iter()
        .filter(|(k, h)| (**k >> 32) as u32 == ai && h.total().unwrap_or(0) > 0)
        .map(|(k, h)| {
            let w = st.wallet(*k as u32);
            row(st, w.key, w.party, a, h)
        })
        .collect();
    rows.sort_by(|x, y| y.total_units.cmp(&x.total_units).then(x.wallet.cmp(&y.wallet)));
    Ok(rows)
}

/// One journaled transaction in a wallet's (or a party's) history: when, what operation, what
/// it moved (`super::history`), its reference and its result. `receipt` is the receipt as
/// journaled, for machines that want the events.
#[derive(Serialize, Deserialize, Clone, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub height: u64,
    pub time: Time,
    pub tx: Hash,
    pub signer: WalletId,
    pub operation: String,
    pub moves: Vec<Move>,
    pub reference: String,
    #[serde(flatten)]
    pub result: TxResult,
    pub receipt: Receipt,
}

/// A journaled transaction, before its moves are named.
#[derive(Clone)]
pub struct JournaledTx {
    pub height: u64,
    pub time: Time,
    pub signer: WalletId,
    pub ops: Vec<tessera_core::op::Op>,
    pub receipt: Receipt,
}

/// Every journaled transaction signed by one of the wallets or involving one, oldest first:
/// naming it in an operation (so refused attempts to pay it show too) or in an event (so
/// recoveries and forced moves show). Scans the journal: O(journal size).
pub fn journaled(store: &dyn Journal, wallets: &BTreeSet<WalletId>) -> Result<Vec<JournaledTx>, Refusal> {
    let mut out = Vec::new();
    store.scan(1, &mut |raw| {
        let b = raw.check()?;
        for (tx, r) in b.body.txs.iter().zip(&b.body.receipts) {
            if tx_involves(&tx.body.signer, &tx.body.ops, r).wallets.iter().any(|w| wallets.contains(w)) {
                out.push(JournaledTx {
                    height: b.header.height,
                    time: b.header.time,
                    signer: tx.body.signer,
                    ops: tx.body.ops.clone(),
                    receipt: r.clone(),
                });
            }
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Journaled transactions as history entries, their moves seen from `wallets`, named with `st`.
pub fn describe(st: &State, wallets: &BTreeSet<WalletId>, txs: Vec<JournaledTx>) -> Vec<HistoryEntry> {
    txs.into_iter()
        .map(|t| HistoryEntry {
            height: t.height,
            time: t.time,
            tx: t.receipt.tx,
            signer: t.signer,
            operation: history::operation(&t.ops),
            moves: history::moves(st, wallets, &t.signer, &t.ops, &t.receipt),
            reference: history::reference(&t.ops),
            result: TxResult::of(&t.receipt),
            receipt: t.receipt,
        })
        .collect()
}

/// A wallet's history: every transaction it signed or that involves it, oldest first.
pub fn history(store: &dyn Journal, st: &State, wallet: &WalletId) -> Result<Vec<HistoryEntry>, Refusal> {
    let wallets = BTreeSet::from([*wallet]);
    Ok(describe(st, &wallets, journaled(store, &wallets)?))
}

#[derive(Serialize, Deserialize, Clone, utoipa::ToSchema)]
pub struct ReceiptView {
    pub height: u64,
    pub index: usize,
    pub time: Time,
    pub signer: WalletId,
    pub seq: u64,
    pub ops: Vec<tessera_core::op::Op>,
    pub receipt: Receipt,
}

/// A journaled transaction by id, looked up through the journal's index column (one pass).
pub fn receipt(store: &dyn Journal, id: &Hash) -> Result<ReceiptView, Refusal> {
    receipt_in(store, &store.tx_heights(id)?, id)
}

/// A journaled transaction by id, in the blocks at `heights` (from an index).
pub fn receipt_in(store: &dyn Journal, heights: &[u64], id: &Hash) -> Result<ReceiptView, Refusal> {
    for &h in heights {
        if let Some(b) = store.block(h)? {
            if let Some(i) = b.body.receipts.iter().position(|r| r.tx == *id) {
                let tx = &b.body.txs[i];
                return Ok(ReceiptView {
                    height: h,
                    index: i,
                    time: b.header.time,
                    signer: tx.body.signer,
                    seq: tx.body.seq,
                    ops: tx.body.ops.clone(),
                    receipt: b.body.receipts[i].clone(),
                });
            }
        }
    }
    Err(Refusal::new(Code::ApiNotFound, format!("no transaction {id} in the journal")))
}

#[derive(Serialize, Deserialize, Clone, utoipa::ToSchema)]
pub struct LockRow {
    pub asset: Symbol,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub amount: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub amount_units: Amount,
    pub for_what: String,
}

/// Every commitment behind a wallet's locked balances (`tessera_core::locks`), by kind then id.
pub fn locks(st: &State, wallet: &WalletId) -> Vec<LockRow> {
    let Some(w) = st.wallet_index.get(wallet) else { return Vec::new() };
    tessera_core::locks::on_wallet(st, *w)
        .into_iter()
        .map(|(asset, lock, amount)| LockRow {
            amount: decimal_units(amount, decimals_of(st, &asset)),
            amount_units: amount,
            asset,
            for_what: lock.to_string(),
        })
        .collect()
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct PayoutRow {
    pub day: Time,
    pub class: Symbol,
    /// New shares of the class, in its units.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub paid: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub paid_units: Amount,
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
pub struct FundReport {
    pub fund: Symbol,
    pub name: String,
    /// The ledger's rules version: under 2, stable classes are paid the fund's net income
    /// (`income`) and the shadow NAV is monitored.
    pub rules: u32,
    pub days: Vec<Valuation>,
    /// Rules version 2: each day's net income and the dividends declared, in day order.
    pub income: Vec<DayIncome>,
    /// Rules version 2: the shadow-NAV alert thresholds, bps from 1.0000 (empty under 1).
    pub shadow_nav_alert_bps: Vec<u32>,
    pub payouts: Vec<PayoutRow>,
    /// The management fee paid so far, in the fund's cash asset.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub fee_paid: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub fee_paid_units: Amount,
    pub chart: Option<String>,
}

/// The fund's valuations in day order.
pub fn fund_history(st: &State, f: &Symbol) -> Vec<Valuation> {
    let mut v: Vec<(u64, Valuation)> =
        st.fund_days.iter().filter(|((s, _), _)| s == f).map(|((_, d), v)| (*d, v.clone())).collect();
    v.sort_by_key(|(d, _)| *d);
    v.into_iter().map(|(_, v)| v).collect()
}

/// Month-end payouts seen as steps in each stable class's cumulative paid yield (in each
/// class's decimals, as `st` holds them).
pub fn payouts(st: &State, days: &[Valuation]) -> Vec<PayoutRow> {
    let mut out = Vec::new();
    for w in days.windows(2) {
        for c in &w[1].classes {
            let before = w[0].classes.iter().find(|p| p.asset == c.asset).map(|p| p.yield_paid).unwrap_or(0);
            if c.yield_paid > before {
                let paid = c.yield_paid - before;
                out.push(PayoutRow {
                    day: w[1].at,
                    class: c.asset.clone(),
                    paid: decimal_units(paid, decimals_of(st, &c.asset)),
                    paid_units: paid,
                });
            }
        }
    }
    out
}

/// A fund's report: daily valuations, payouts and fee paid.
pub fn fund_report(st: &State, f_sym: &Symbol) -> Result<FundReport, Refusal> {
    let f = fund::fund(st, f_sym)?;
    let days = fund_history(st, f_sym);
    let payouts = payouts(st, &days);
    let mut income: Vec<(u64, DayIncome)> =
        st.fund_income.iter().filter(|((s, _), _)| s == f_sym).map(|((_, d), i)| (*d, i.clone())).collect();
    income.sort_by_key(|(d, _)| *d);
    let rules = st.rules();
    let shadow_nav_alert_bps = if rules >= tessera_core::block::RULES_V2 {
        st.fund_monitoring.get(f_sym).cloned().unwrap_or_default().shadow_nav_alert_bps
    } else {
        Vec::new()
    };
    Ok(FundReport {
        fund: f_sym.clone(),
        name: f.spec.name.clone(),
        rules,
        days,
        income: income.into_iter().map(|(_, i)| i).collect(),
        shadow_nav_alert_bps,
        payouts,
        fee_paid: decimal_units(f.fee_paid, st.asset(f.cash_asset).decimals),
        fee_paid_units: f.fee_paid,
        chart: None,
    })
}

/// An asset as published: supply, holder count and pause state. Fields in name order, as the
/// API has always listed them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct AssetRow {
    pub decimals: u8,
    pub holders: u64,
    pub isin: Option<String>,
    pub issuer: PartyId,
    pub kind: AssetKind,
    pub name: String,
    pub paused: bool,
    /// Units in issue, in the asset's units.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub supply: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub supply_units: Amount,
    pub symbol: Symbol,
}

impl AssetRow {
    pub fn human(&self) -> String {
        format!(
            "{:<10} {:<18} supply {:>24}  {} holders{}  — {}",
            self.symbol.as_str(),
            self.kind.name(),
            format_units(self.supply_units, self.decimals),
            self.holders,
            if self.paused { "  PAUSED" } else { "" },
            self.name
        )
    }
}

/// Every asset with its supply, holder count and pause state (published information).
pub fn assets(st: &State) -> Vec<AssetRow> {
    st.assets
        .sorted()
        .into_iter()
        .map(|(_, a)| AssetRow {
            decimals: a.decimals,
            holders: a.holders,
            isin: a.kind.isin(),
            issuer: st.party(a.issuer).id.clone(),
            kind: a.kind.clone(),
            name: a.name.clone(),
            paused: a.paused,
            supply: decimal_units(a.supply, a.decimals),
            supply_units: a.supply,
            symbol: a.symbol.clone(),
        })
        .collect()
}

/// An oracle feed: its value now, definition and per-source discrepancy report. Fields in
/// name order, as the API has always listed them.
#[derive(Serialize, Deserialize, Clone, utoipa::ToSchema)]
pub struct FeedRow {
    pub definition: tessera_core::oracle::Feed,
    pub feed: String,
    pub report: tessera_core::oracle_math::Aggregate,
    pub value_now: Option<u64>,
}

/// Oracle feeds with each one's value now, definition and per-source discrepancy report
/// (published information); `only` keeps one feed.
pub fn feeds(st: &State, now: Time, only: Option<&str>) -> Vec<FeedRow> {
    st.feeds
        .sorted()
        .into_iter()
        .filter(|(id, _)| only.is_none_or(|x| id.as_str() == x))
        .map(|(id, f)| FeedRow {
            definition: f.clone(),
            feed: id.clone(),
            report: f.discrepancies(now),
            value_now: f.value_at(now),
        })
        .collect()
}

/// What a bill quote is asked for, as the CLI flags and the API's query parameters give it:
/// `security` a CUSIP or US ISIN, and exactly one of a price per 100 or a discount rate in
/// percent; settlement and maturity as `YYYY-MM-DD` (or RFC 3339).
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BillQuery {
    /// Price per 100 of face, above 0 and below 200.
    #[serde(default)]
    #[param(pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "99.651556")]
    pub price: Option<String>,
    /// Bank discount rate in percent (4.48 for 4.48%), instead of a price.
    #[serde(default)]
    #[param(pattern = "^-?[0-9]+(\\.[0-9]+)?$", example = "4.48")]
    pub discount_rate: Option<String>,
    /// Settlement date, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (default: today by the node's
    /// clock, never before the head block).
    #[serde(default)]
    #[param(example = "2026-01-02")]
    pub settlement: Option<String>,
    /// Maturity date, when the ledger holds no token for this bill.
    #[serde(default)]
    #[param(example = "2026-01-30")]
    pub maturity: Option<String>,
}

/// How a bill quote's figures are rounded (also printed, so nobody has to guess).
pub const BILL_ROUNDING: &str = "price per 100 to 6 places, rates to 3 places of a percentage, half up \
(TreasuryDirect's precision); yields from the rounded price";

/// A bill's price and yields at settlement (TreasuryDirect's formulas, DOMAIN.md §1).
#[derive(Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct BillYield {
    pub cusip: String,
    pub isin: Option<String>,
    /// The ledger's token for this bill, when it holds one (its maturity is the one used).
    pub asset: Option<Symbol>,
    pub settlement: Time,
    pub maturity: Time,
    pub days_to_maturity: u32,
    pub year_basis_days: u32,
    /// `price` or `discount_rate`: what the quote started from.
    pub given: String,
    pub price_per_100: String,
    pub discount_rate_pct: String,
    /// The bond-equivalent yield.
    pub investment_rate_pct: String,
    pub money_market_yield_pct: String,
    pub rounding: String,
}

impl BillYield {
    pub fn human(&self) -> String {
        let mut head = format!("bill {}", self.cusip);
        let names: Vec<String> =
            self.isin.iter().cloned().chain(self.asset.iter().map(|a| format!("token {a}"))).collect();
        if !names.is_empty() {
            head.push_str(&format!(" ({})", names.join(", ")));
        }
        format!(
            "{head}\n  settles {}, matures {}: {} days ({}-day year)\n  price per 100        {}\n  \
             discount rate        {}%\n  investment rate      {}%  (bond-equivalent)\n  money-market yield   {}%\n\
             rounding: {}",
            date(self.settlement),
            date(self.maturity),
            self.days_to_maturity,
            self.year_basis_days,
            self.price_per_100,
            self.discount_rate_pct,
            self.investment_rate_pct,
            self.money_market_yield_pct,
            self.rounding
        )
    }
}

fn date(t: Time) -> String {
    let (y, m, d, ..) = t.to_civil();
    format!("{y:04}-{m:02}-{d:02}")
}

/// `x` with exactly `places` decimals (it is already rounded to at most that many).
fn fixed(mut x: Decimal, places: u32) -> String {
    x.rescale(places);
    x.to_string()
}

/// The first asset that tokenizes the security with this CUSIP, with its type and maturity.
fn tokenized(st: &State, cusip: &str) -> Option<(Symbol, SecurityType, Time)> {
    st.assets.sorted().into_iter().find_map(|(_, a)| match &a.kind {
        AssetKind::TreasurySecurity { security, cusip: c, maturity, .. } if c == cusip => {
            Some((a.symbol.clone(), *security, *maturity))
        }
        _ => None,
    })
}

/// Quotes a bill: the maturity of the ledger's token for that CUSIP when there is one (a
/// different `maturity` is refused), else the one given; settlement defaults to `today`.
pub fn bill_yield(st: &State, security: &str, q: &BillQuery, today: Time) -> Result<BillYield, Refusal> {
    use tessera_core::treasury::{self, BillGiven};
    let cusip = canonical_cusip(security)?;
    let date_param = |name: &str, s: &str| {
        Time::parse(s)
            .ok_or_else(|| Refusal::new(Code::BillBadTerm, format!("{name} {s:?} is not a date: e.g. 2026-03-02")))
    };
    let number = |name: &str, s: &str| {
        s.trim()
            .parse::<Decimal>()
            .map_err(|_| Refusal::new(Code::BillBadPrice, format!("{name} {s:?} is not a decimal number")))
    };
    let given = match (&q.price, &q.discount_rate) {
        (Some(p), None) => BillGiven::Price(number("price", p)?),
        // Percent in, fraction for the formulas; bounded before any arithmetic.
        (None, Some(r)) => {
            let pct = number("discount rate", r)?;
            if pct.abs() >= Decimal::from(100) {
                return Err(Refusal::new(Code::BillBadPrice, format!("a discount rate of {pct}% is not a bill's")));
            }
            BillGiven::DiscountRate(pct / Decimal::from(100))
        }
        _ => return Err(Refusal::new(Code::BillBadPrice, "give one of a price per 100 and a discount rate")),
    };
    let settlement = match &q.settlement {
        Some(s) => date_param("settlement", s)?,
        None => today,
    };
    let given_maturity = q.maturity.as_deref().map(|m| date_param("maturity", m)).transpose()?;
    let token = tokenized(st, &cusip);
    let maturity = match (&token, given_maturity) {
        (Some((sym, security, _)), _) if *security != SecurityType::Bill => {
            return Err(Refusal::new(
                Code::BillNotABill,
                format!("{cusip} is {sym}, a {security} on this ledger: discount yields are for bills"),
            ))
        }
        (Some((sym, _, m)), Some(g)) if m.day() != g.day() => {
            return Err(Refusal::new(
                Code::BillBadTerm,
                format!("{cusip} is {sym} on this ledger, maturing {}; the maturity given is {}", date(*m), date(g)),
            ))
        }
        (Some((_, _, m)), _) => *m,
        (None, Some(g)) => g,
        (None, None) => {
            return Err(Refusal::new(
                Code::BillNoMaturity,
                format!("this ledger holds no security {cusip}: give its maturity"),
            ))
        }
    };
    let quote = treasury::bill_quote(settlement, maturity, given)?;
    let pct = |r: Decimal| fixed(r * Decimal::from(100), treasury::BILL_RATE_PLACES - 2);
    Ok(BillYield {
        isin: tessera_core::identifiers::Cusip::parse(&cusip)
            .ok()
            .and_then(|c| c.to_us_isin().ok())
            .map(|i| i.to_string()),
        cusip,
        asset: token.map(|(sym, ..)| sym),
        settlement,
        maturity,
        days_to_maturity: quote.days,
        year_basis_days: quote.year_basis,
        given: if q.price.is_some() { "price" } else { "discount_rate" }.into(),
        price_per_100: fixed(quote.price_per_100, 6),
        discount_rate_pct: pct(quote.discount_rate),
        investment_rate_pct: pct(quote.investment_rate),
        money_market_yield_pct: pct(quote.money_market_yield),
        rounding: BILL_ROUNDING.into(),
    })
}

/// One fund with its latest valuation, the cash tokens in its cash wallet and its portfolio:
/// everything its report for people shows.
#[derive(Serialize, Deserialize, Clone, utoipa::ToSchema)]
pub struct FundView {
    pub fund: fund::Fund,
    pub latest_valuation: Option<Valuation>,
    /// The fund's free cash tokens in its cash wallet.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub cash_on_ledger: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub cash_on_ledger_units: Amount,
    /// The fund's positions, by id.
    pub positions: Vec<fund::Position>,
}

/// Accrued interest on a note at a time, and the dirty price when a clean one is given.
/// Fields in name order, as the CLI has always printed them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Accrued {
    pub accrued_per_100: String,
    pub asset: String,
    pub at: Time,
    pub clean: Option<String>,
    pub dirty: Option<String>,
}

/// Every rule a movement would break. Fields in name order, as the API has always listed them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct Precheck {
    pub failures: Vec<PrecheckFailure>,
    pub passes: bool,
}

impl Precheck {
    /// The answer for these failures (none: it passes).
    pub fn of(failures: &[Refusal]) -> Precheck {
        Precheck {
            passes: failures.is_empty(),
            failures: failures
                .iter()
                .map(|r| PrecheckFailure { code: r.code.as_str().to_string(), message: r.message.clone() })
                .collect(),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct PrecheckFailure {
    pub code: String,
    pub message: String,
}

// Whom each row concerns (the visibility rule in `super::viewer` reads these).

impl Involves for BalanceRow {
    fn involves(&self) -> Involved {
        let mut i = Involved::wallets([self.wallet]);
        i.parties.insert(self.party.clone());
        i
    }
}

impl Involves for HistoryEntry {
    fn involves(&self) -> Involved {
        Involved::wallets([self.signer]).with_wallets_in(&self.receipt.outcome).with_wallets_in(&self.moves)
    }
}

impl Involves for ReceiptView {
    fn involves(&self) -> Involved {
        tx_involves(&self.signer, &self.ops, &self.receipt)
    }
}

impl Involves for tessera_core::settlement::Instruction {
    fn involves(&self) -> Involved {
        let legs = self.legs.iter().flat_map(|l| [l.from, l.to]);
        Involved::wallets([self.creator].into_iter().chain(self.venue).chain(legs))
    }
}

impl Involves for tessera_core::htlc::Htlc {
    fn involves(&self) -> Involved {
        Involved::wallets([self.sender, self.receiver])
    }
}

impl Involves for tessera_core::escrow::Tender {
    fn involves(&self) -> Involved {
        use tessera_core::escrow::TenderStatus;
        let winner = match &self.status {
            TenderStatus::Awarded { winner, .. } => Some(*winner),
            _ => None,
        };
        Involved::wallets([self.owner].into_iter().chain(self.bids.iter().copied()).chain(winner))
    }
}

impl Involves for tessera_core::repo::Repo {
    fn involves(&self) -> Involved {
        Involved::wallets([self.proposer, self.terms.lender, self.terms.borrower])
    }
}

impl Involves for fund::Redemption {
    fn involves(&self) -> Involved {
        Involved::wallets([self.wallet])
    }
}

impl Involves for tessera_core::state::Alert {
    fn involves(&self) -> Involved {
        Involved::wallets([self.wallet].into_iter().chain(self.counterparty))
    }
}
