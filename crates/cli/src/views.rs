//! Read-only views of a ledger: balances, holders, history, receipts, alerts, proposals.
//! Each returns data that serializes to JSON, plus a human rendering.

use tessera_core::collateral::CallKind;
use tessera_core::state::State;
use tessera_core::words::and_list;
use tessera_core::*;
use tessera_node::query::{
    AssetRow, CallRow, Counterparty, Direction, FeedRow, FundView, HistoryEntry, LoanRow, MarginReport, Move, PartyRow,
    PledgeRow, Register, Statement, TxResult,
};
use tessera_node::Ledger;

pub use tessera_node::present::words::{event_text, receipt_text, units, Units};
pub use tessera_node::query::{holders, BalanceRow};
/// Moved with the scenario runner, whose `reconcile` step prints it.
pub use tessera_scenario::reconciliation_lines;

pub fn show(ledger: &Ledger, what: &crate::scenario::Show) -> Vec<String> {
    use crate::scenario::Show;
    let st = &ledger.chain.state;
    match what {
        Show::Holders(a) => match holders(st, a) {
            Ok(rows) if rows.is_empty() => vec![format!("{a}: no holders")],
            Ok(rows) => rows.iter().map(BalanceRow::human).collect(),
            Err(e) => vec![e.to_string()],
        },
        Show::Alerts => {
            let v: Vec<String> = st.alerts.sorted().into_iter().map(|(_, a)| alert_line(st, a)).collect();
            if v.is_empty() {
                vec!["no alerts".into()]
            } else {
                v
            }
        }
        Show::Proposals => {
            let v: Vec<String> = st.proposals.sorted().into_iter().map(|(_, p)| proposal_line(p)).collect();
            if v.is_empty() {
                vec!["no proposals".into()]
            } else {
                v
            }
        }
        Show::Instructions => {
            let v: Vec<String> = st.instructions.sorted().into_iter().map(|(_, i)| instruction_line(st, i)).collect();
            if v.is_empty() {
                vec!["no instructions".into()]
            } else {
                v
            }
        }
        Show::Htlcs => {
            let v: Vec<String> = st.htlcs.sorted().into_iter().map(|(_, h)| htlc_line(st, h)).collect();
            if v.is_empty() {
                vec!["no hash time-locks".into()]
            } else {
                v
            }
        }
        Show::Fund(f) => tessera_node::query::fund_view(st, f)
            .and_then(|v| fund_lines(&v, st))
            .unwrap_or_else(|e| vec![e.to_string()]),
        Show::Feed(f) => match tessera_node::query::feeds_named(st, st.meta().time, Some(f)) {
            Ok(rows) => rows.iter().flat_map(feed_lines).collect(),
            Err(e) => vec![e.to_string()],
        },
        Show::Block => {
            let h = &ledger.chain.head;
            vec![format!(
                "block {} at {} — hash {} state {}",
                h.height,
                h.time,
                h.hash().short(),
                h.state_digest.short()
            )]
        }
    }
}

/// Decimals and funds' cash assets from what a node publishes (`GET /v1/assets`, `GET /v1/funds`).
#[derive(Default)]
pub struct AssetBook {
    decimals: std::collections::BTreeMap<String, u8>,
    fund_cash: std::collections::BTreeMap<String, Symbol>,
    fund_classes: std::collections::BTreeMap<String, Vec<Symbol>>,
}

impl AssetBook {
    pub fn new(assets: &[AssetRow], funds: &[tessera_core::fund::Fund]) -> AssetBook {
        AssetBook {
            decimals: assets.iter().map(|a| (a.symbol.as_str().to_string(), a.decimals)).collect(),
            fund_cash: funds.iter().map(|f| (f.spec.fund.as_str().to_string(), f.spec.cash_asset.clone())).collect(),
            // A fund names its classes by asset number: assets are numbered from 0 as created,
            // and the node lists them in that order.
            fund_classes: funds
                .iter()
                .map(|f| {
                    let classes = f.classes.iter().filter_map(|c| assets.get(*c as usize)).map(|a| a.symbol.clone());
                    (f.spec.fund.as_str().to_string(), classes.collect())
                })
                .collect(),
        }
    }
}

impl Units for AssetBook {
    fn decimals(&self, asset: &Symbol) -> Option<u8> {
        self.decimals.get(asset.as_str()).copied()
    }
    fn fund_cash(&self, fund: &Symbol) -> Option<Symbol> {
        self.fund_cash.get(fund.as_str()).cloned()
    }
    fn fund_classes(&self, fund: &Symbol) -> Vec<Symbol> {
        self.fund_classes.get(fund.as_str()).cloned().unwrap_or_default()
    }
}

/// A governance proposal: its operations, approvals and status.
pub fn proposal_line(p: &tessera_core::governance::Proposal) -> String {
    let ops: Vec<&str> = p.ops.iter().map(|o| o.name()).collect();
    format!(
        "#{} {} [{}] {}/{} approvals — {}",
        p.id,
        p.class.as_str(),
        ops.join(", "),
        p.approvals.len(),
        p.threshold,
        p.status
    )
}

pub fn alert_line(u: &(impl Units + ?Sized), a: &tessera_core::state::Alert) -> String {
    let fund = if u.fund_cash(&a.asset).is_some() { format!(" of fund {}", a.asset) } else { String::new() };
    format!(
        "alert #{} {} {} wallet {}{fund} amount {} — {}",
        a.id,
        a.time,
        a.rule,
        a.wallet.short(),
        units(u, &a.asset, a.amount),
        a.detail
    )
}

pub fn instruction_line(u: &(impl Units + ?Sized), i: &tessera_core::settlement::Instruction) -> String {
    let legs: Vec<String> = i
        .legs
        .iter()
        .map(|l| format!("{} {}→{}", units(u, &l.asset, l.amount), l.from.short(), l.to.short()))
        .collect();
    let status = crate::scenario::status_tag(&i.status);
    let last = i.history.last().map(|(t, h)| format!("{h} at {t}")).unwrap_or_default();
    format!("#{} {status} [{}] {}, affirmed by {} — {last}", i.id, legs.join("; "), i.mode, and_list(&i.affirmed))
}

pub fn htlc_line(st: &State, h: &tessera_core::htlc::Htlc) -> String {
    format!(
        "#{} {} {}→{} lock {} deadline {} — {}",
        h.id,
        units(st, &h.asset, h.amount),
        h.sender.short(),
        h.receiver.short(),
        h.hash_lock.short(),
        h.deadline,
        h.status
    )
}

pub fn tender_line(st: &State, t: &tessera_core::escrow::Tender) -> String {
    let reference = if t.reference.is_empty() { String::new() } else { format!(" {}", t.reference) };
    format!(
        "#{}{reference}: bond {}, bids until {}, {} bids — {}",
        t.id,
        units(st, &t.asset, t.bond),
        t.bid_deadline,
        t.bids.len(),
        t.status
    )
}

pub fn repo_line(st: &State, r: &tessera_core::repo::Repo) -> String {
    use tessera_core::repo::RepoStatus;
    let t = &r.terms;
    // Interest is paid in the cash asset: shown in its decimals like the cash leg.
    let status = match &r.status {
        RepoStatus::Closed { at, interest } => {
            format!("closed at {at} with {} interest", units(st, &t.cash_asset, *interest))
        }
        other => other.to_string(),
    };
    format!(
        "#{} {} against {} (haircut {} bps, {} bps ACT/360) matures {} — {status}",
        r.id,
        units(st, &t.cash_asset, t.cash_amount),
        units(st, &t.collateral_asset, t.collateral_amount),
        t.haircut_bps,
        t.rate_bps,
        t.maturity
    )
}

/// Cash of a redemption is paid in the fund's cash asset.
pub fn redemption_line(u: &(impl Units + ?Sized), r: &tessera_core::fund::Redemption) -> String {
    format!(
        "#{} wallet {} redeems {} for {} cash (fee {}), requested {} — {}",
        r.id,
        r.wallet.short(),
        units(u, &r.class, r.shares),
        units(u, &r.fund, r.amount),
        units(u, &r.fund, r.fee),
        r.requested_at,
        r.status
    )
}

/// A fixed-point value with 8 decimals (prices, NAV per share, rates): 100002000 → "1.00002000".
pub fn fixed8(v: u64) -> String {
    format!("{}.{:08}", v / 100_000_000, v % 100_000_000)
}

/// A rate × 10^-8 as a percentage with 4 places: 4_480_000 → "4.4800%".
pub fn pct8(v: u64) -> String {
    let bp4 = (v as u128 + 50) / 100; // 10^-6 units = 10^-4 %
    format!("{}.{:04}%", bp4 / 10_000, bp4 % 10_000)
}

/// A fund's state as lines for people: NAV, classes, liquidity, cash, portfolio, queue — from
/// the read model's answer, with `u` for the decimals.
pub fn fund_lines(v: &FundView, u: &(impl Units + ?Sized)) -> Result<Vec<String>, Refusal> {
    let f = &v.fund;
    let cash = &f.spec.cash_asset;
    let decimals = |a: &Symbol| u.decimals(a).ok_or_else(|| Refusal::new(Code::AssetUnknown, format!("no asset {a}")));
    let cash_decimals = decimals(cash)?;
    let money = |a: Amount| format_amount(a, cash_decimals, cash.as_str());
    let mut out = vec![format!("fund {} — {}", f.spec.fund, f.spec.name)];
    match &f.halted {
        Some(why) => out.push(format!("  HALTED (breaker): {why}")),
        None => out.push("  open for subscriptions and redemptions".into()),
    }
    if let Some(v) = &f.last {
        out.push(format!(
            "  valued {}: assets {}  liabilities {}  NAV {}  NAV per 1.00 of book {}",
            v.at,
            money(v.assets),
            money(v.liabilities),
            money(v.nav),
            fixed8(v.ratio)
        ));
        let m = &v.metrics;
        out.push(format!(
            "  liquidity: daily {:.2}%  weekly {:.2}%  WAM {} d  WAL {} d  longest {} d{}",
            m.dla_bps as f64 / 100.0,
            m.wla_bps as f64 / 100.0,
            m.wam_days,
            m.wal_days,
            m.longest_days,
            if f.breaches.is_empty() { String::new() } else { format!("  BREACHED: {}", f.breaches.join(", ")) }
        ));
        for c in &v.classes {
            out.push(format!(
                "  class {}: {} shares  price {}  NAV per share {}  net rate {}",
                c.asset,
                format_units(c.shares, decimals(&c.asset)?),
                fixed8(c.price),
                fixed8(c.nav_per_share),
                pct8(c.rate_ppb / 10)
            ));
        }
    } else {
        out.push("  not valued yet".into());
    }
    out.push(format!(
        "  cash: custodian {}  on ledger {}  fee accrued {}  fee paid {}  queued redemptions {}",
        money(f.custodian_cash),
        money(v.cash_on_ledger_units),
        money(f.fee_accrued()),
        money(f.fee_paid),
        money(f.queued)
    ));
    for p in &v.positions {
        out.push(format!(
            "  position #{} {} face {} cost {} matures {}",
            p.id,
            p.instrument.name(),
            money(p.face),
            money(p.cost),
            p.instrument.maturity()
        ));
    }
    Ok(out)
}

/// An oracle feed and its per-source discrepancy report, from the read model's answer.
pub fn feed_lines(r: &FeedRow) -> Vec<String> {
    let f = &r.definition;
    let mut out = vec![format!(
        "feed {} ({}): value {}{}  quorum {} of {}, max age {} s, max deviation {} bps, breaker {} bps",
        r.feed,
        f.spec.kind,
        r.value_now.map(fixed8).unwrap_or_else(|| "none (no quorum of fresh quotes)".into()),
        if f.tripped { "  TRIPPED" } else { "" },
        f.spec.quorum,
        f.sources.len(),
        f.spec.max_age_seconds,
        f.spec.max_deviation_bps,
        f.spec.max_move_bps
    )];
    for s in &f.sources {
        out.push(format!(
            "  {:<12} last {} at {}  reports {}  used {}  stale {}  outlier {}  now: {}{}",
            s.name,
            s.last.map(|(v, _)| fixed8(v)).unwrap_or_else(|| "-".into()),
            s.last.map(|(_, t)| t.to_string()).unwrap_or_else(|| "-".into()),
            s.reports,
            s.used,
            s.stale,
            s.outlier,
            s.verdict,
            s.deviation_bps.as_ref().map(|d| format!(" ({d} bps from the median)")).unwrap_or_default()
        ));
    }
    out
}

/// A wallet on the other side for people: "beta-fund (wallet 3f2a1b2c)", or the wallet alone
/// when the ledger does not know it.
pub fn counterparty_text(c: &Counterparty) -> String {
    match &c.party {
        Some(p) => format!("{p} (wallet {})", c.wallet.short()),
        None => format!("wallet {}", c.wallet.short()),
    }
}

/// A move for people: "out 1,500.00 USDX to beta-fund (wallet 3f2a1b2c)".
pub fn move_text(u: &(impl Units + ?Sized), m: &Move) -> String {
    let amount = units(u, &m.asset, m.amount_units);
    // A move that is not a plain transfer says how it happened.
    let how = match m.kind.as_str() {
        "forced_transfer" => " (forced transfer)",
        "settlement_leg" => " (settlement leg)",
        "redemption_paid" => " (queued redemption paid)",
        _ => "",
    };
    let cp = m.counterparty.as_ref().map(|c| format!("{}{how}", counterparty_text(c)));
    match (m.direction, cp) {
        (Direction::In, Some(c)) => format!("in {amount} from {c}"),
        (Direction::In, None) => format!("in {amount} {}", kind_words(&m.kind)),
        (Direction::Out, Some(c)) => format!("out {amount} to {c}"),
        (Direction::Out, None) => format!("out {amount} {}", kind_words(&m.kind)),
        (Direction::Internal, _) => format!("{amount} between own wallets"),
        (Direction::Between, Some(c)) => format!("{amount} {} to {c}", kind_words(&m.kind)),
        (Direction::Between, None) => format!("{amount} {}", kind_words(&m.kind)),
    }
}

/// A move's kind as a past participle: "minted", "forced transfer" → "moved by force".
fn kind_words(kind: &str) -> &'static str {
    match kind {
        "mint" => "minted",
        "burn" => "burned",
        "forced_transfer" => "moved by forced transfer",
        "settlement_leg" => "settled",
        "yield_payment" => "paid as yield",
        "not_itemized" => "paid or taken by the ledger (not itemized)",
        _ => "transferred",
    }
}

/// A transaction's result for people: "ok", or "refused compliance.kyc_expired: …".
pub fn result_text(r: &TxResult) -> String {
    match (&r.code, &r.message) {
        (Some(code), Some(msg)) => format!("{} {code}: {msg}", r.result),
        (Some(code), None) => format!("{} {code}", r.result),
        _ => r.result.clone(),
    }
}

/// One history entry a line: time, block, operation, what moved, reference, result.
pub fn history_line(u: &(impl Units + ?Sized), h: &HistoryEntry) -> String {
    let moved: Vec<String> = h.moves.iter().map(|m| move_text(u, m)).collect();
    let mut line = format!("{}  block {:>5}  {}", h.time, h.height, h.operation);
    if !moved.is_empty() {
        line.push_str(&format!(": {}", moved.join("; ")));
    }
    if !h.reference.is_empty() {
        line.push_str(&format!("  ref {}", h.reference));
    }
    line.push_str(&format!("  — {}  (tx {})", result_text(&h.result), h.tx.short()));
    line
}

/// A KYC status with the expiry that matters: "valid until …", "expired on …", "missing".
pub fn kyc_text(status: &str, expires_at: Option<Time>) -> String {
    match (status, expires_at) {
        ("expired", Some(t)) => format!("expired on {t}"),
        (s, Some(t)) => format!("{s} until {t}"),
        (s, None) => s.to_string(),
    }
}

/// A party on one line, for lists: id, name, kind, KYC, wallets and roles.
pub fn party_line(p: &PartyRow) -> String {
    let mut roles: Vec<&str> = Vec::new();
    for r in &p.roles {
        if !roles.contains(&r.role.as_str()) {
            roles.push(r.role.as_str());
        }
    }
    format!(
        "{:<16} {:<28} {:<12} KYC {}  {} wallet{}{}",
        p.id.as_str(),
        p.name,
        p.kind.to_string(),
        kyc_text(&p.kyc, p.kyc_expires_at),
        p.wallets.len(),
        if p.wallets.len() == 1 { "" } else { "s" },
        if roles.is_empty() { String::new() } else { format!("  roles: {}", roles.join(", ")) }
    )
}

/// A party for people: who it is, its KYC, wallets, roles, and each claim with issuer and expiry.
pub fn party_lines(p: &PartyRow) -> Vec<String> {
    let expiry = |t: &Option<Time>| t.map(|t| format!(", expires {t}")).unwrap_or_default();
    let mut out = vec![format!("party {} — {} ({}), KYC {}", p.id, p.name, p.kind, kyc_text(&p.kyc, p.kyc_expires_at))];
    for w in &p.wallets {
        let roles: Vec<String> = p
            .roles
            .iter()
            .filter(|r| r.wallet == *w)
            .map(|r| match &r.asset {
                Some(a) => format!("{} for {a}", r.role.as_str()),
                None => r.role.as_str().to_string(),
            })
            .collect();
        let roles = if roles.is_empty() { String::new() } else { format!("  roles: {}", roles.join(", ")) };
        out.push(format!("  wallet {}{roles}", w.to_hex()));
    }
    for c in &p.claims {
        let revoked = c.revoked_at.map(|t| format!(", revoked {t}")).unwrap_or_default();
        out.push(format!(
            "  claim {:<9} {} — issued {} by {}{}{revoked}",
            c.status,
            c.claim,
            c.issued_at,
            counterparty_text(&c.issuer),
            expiry(&c.expires_at)
        ));
    }
    if p.claims.is_empty() {
        out.push("  no claims".into());
    }
    out
}

/// A shareholder register for people: a heading, then a holder a line.
pub fn register_lines(u: &(impl Units + ?Sized), r: &Register) -> Vec<String> {
    let mut out = vec![format!(
        "register of {} — {} at block {} ({}): {} holders, supply {}",
        r.asset,
        r.name,
        r.height,
        r.time,
        r.holders.len(),
        units(u, &r.asset, r.supply_units)
    )];
    for h in &r.holders {
        let classes: Vec<String> = h
            .investor_classes
            .iter()
            .map(|c| serde_json::to_value(c).unwrap_or_default().as_str().unwrap_or_default().to_string())
            .collect();
        out.push(format!(
            "  {:<16} {:>28} {:>9}%  KYC {}  {}{}  wallet {}",
            h.party.as_str(),
            units(u, &r.asset, h.balance_units),
            h.share_pct,
            kyc_text(&h.kyc, h.kyc_expires_at),
            if classes.is_empty() { "-".to_string() } else { classes.join(",") },
            h.jurisdiction.as_deref().map(|j| format!(" {j}")).unwrap_or_default(),
            h.wallet.short()
        ));
    }
    out
}

/// An investor statement for people: per asset, opening balance, each movement with the
/// balance after it, closing balance.
pub fn statement_lines(u: &(impl Units + ?Sized), s: &Statement) -> Vec<String> {
    let last_day = Time(s.until.0.saturating_sub(1));
    let mut out = vec![format!(
        "statement of {} — {} from {} to {} ({}), wallets {}",
        s.party,
        s.name,
        s.from,
        last_day,
        if s.closing_height > s.opening_height {
            format!("blocks {} to {}", s.opening_height.saturating_add(1), s.closing_height)
        } else {
            "no blocks".into()
        },
        s.wallets.iter().map(|w| w.short()).collect::<Vec<_>>().join(", ")
    )];
    if s.assets.is_empty() {
        out.push("  no holdings and no movements".into());
    }
    for a in &s.assets {
        out.push(format!("  {}", a.asset));
        out.push(format!("    opening balance {:>46}", units(u, &a.asset, a.opening_units)));
        for l in &a.movements {
            let m = Move {
                kind: l.kind.clone(),
                direction: l.direction,
                asset: a.asset.clone(),
                amount: l.amount.clone(),
                amount_units: l.amount_units,
                counterparty: l.counterparty.clone(),
            };
            let reference = if l.reference.is_empty() { String::new() } else { format!("  ref {}", l.reference) };
            let op = if l.operation.is_empty() { String::new() } else { format!("{}: ", l.operation) };
            out.push(format!(
                "    {}  {op}{}{reference}  → balance {}",
                l.time,
                move_text(u, &m),
                units(u, &a.asset, l.balance_units)
            ));
        }
        out.push(format!("    closing balance {:>46}", units(u, &a.asset, a.closing_units)));
    }
    out
}

/// Basis points as a percentage with two places: 50 → "0.50%".
pub fn bps_pct(bps: impl Into<u64>) -> String {
    let b: u64 = bps.into();
    format!("{}.{:02}%", b / 100, b % 100)
}

/// Seconds as people count them, zero parts left out: "1 h", "59 min 12 s", "12 s".
pub fn time_left(seconds: u64) -> String {
    let parts = [(seconds / 3_600, "h"), (seconds % 3_600 / 60, "min"), (seconds % 60, "s")];
    let words: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, unit)| format!("{n} {unit}")).collect();
    if words.is_empty() {
        "0 s".into()
    } else {
        words.join(" ")
    }
}

/// A margin call on one line: "intraday call 2 on alpha at cme: 13,804.500000 USDX due by … —
/// open, 59 min 12 s left".
pub fn call_line(u: &(impl Units + ?Sized), c: &CallRow) -> String {
    let state = match (c.seconds_left, c.closed_at) {
        (Some(0), _) => "open, deadline passed".to_string(),
        (Some(s), _) => format!("open, {} left", time_left(s)),
        (None, Some(at)) => format!("{} at {at}", c.status),
        (None, None) => c.status.clone(),
    };
    format!(
        "{} call {} on {} at {}: {} due by {} (raised {}) — {state}",
        match c.kind {
            CallKind::Daily => "daily",
            CallKind::Intraday => "intraday",
        },
        c.id,
        c.member,
        c.ccp,
        units(u, &c.cash_asset, c.amount_units),
        c.deadline,
        c.raised_at
    )
}

/// Units of an asset for people, in its decimals when `u` knows them.
fn asset_units(u: &(impl Units + ?Sized), asset: &Symbol, amount: Amount) -> String {
    match u.decimals(asset) {
        Some(d) => format_amount(amount, d, asset.as_str()),
        None => format!("{amount} {asset}"),
    }
}

/// A pledge on one line, with the account it is pledged to and its value in the account's cash
/// asset.
pub fn pledge_line(u: &(impl Units + ?Sized), p: &PledgeRow) -> String {
    let l = &p.pledge;
    let value = match l.value_units {
        Some(v) => units(u, &p.cash_asset, v),
        None => "no price (counts zero)".into(),
    };
    format!(
        "{} account {} of {} at {}: {} ({}) from wallet {} since {}, value {value}, haircut {}, after haircut {}",
        p.account_kind,
        p.account,
        p.pledgor,
        p.pledgee,
        asset_units(u, &l.asset, l.amount_units),
        l.kind,
        l.wallet.short(),
        l.since,
        bps_pct(l.haircut_bps),
        units(u, &p.cash_asset, l.after_haircut_units)
    )
}

/// A loan on one line: terms, debt to date, collateral value and loan-to-value.
pub fn loan_line(u: &(impl Units + ?Sized), l: &LoanRow) -> String {
    let money = |a| units(u, &l.cash_asset, a);
    let when = if l.status == "open" { "since" } else { "at" };
    let since = l.status_at.map(|t| format!(" {when} {t}")).unwrap_or_default();
    let ltv = l.ltv_bps.map(|b| format!(", loan-to-value {}", bps_pct(b))).unwrap_or_default();
    let collateral: Vec<String> = l.pledges.iter().map(|p| asset_units(u, &p.asset, p.amount_units)).collect();
    let collateral = match &collateral[..] {
        [] => "no collateral pledged now".to_string(),
        c => format!("against {} worth {}", and_list(c), money(l.collateral_value_units)),
    };
    format!(
        "loan {} — {}{since}: {} {} {} {} {} at {} ACT/360, {collateral}; debt {} (interest {}){ltv}; \
         funded up to {}, liquidated from {}",
        l.id,
        l.status,
        money(l.principal_units),
        // Cash changed hands only once the lender funded the loan.
        if matches!(l.status.as_str(), "requested" | "cancelled") { "asked of" } else { "lent by" },
        l.lender_party,
        if matches!(l.status.as_str(), "requested" | "cancelled") { "by" } else { "to" },
        l.borrower_party,
        bps_pct(l.rate_bps),
        money(l.debt_units),
        money(l.interest_units),
        bps_pct(l.max_ltv_bps),
        bps_pct(l.liquidation_ltv_bps)
    )
}

/// A clearing house's margin report for people: a heading, then per member a small table of
/// its figures and one line per pledge.
pub fn margin_lines(u: &(impl Units + ?Sized), r: &MarginReport) -> Vec<String> {
    let money = |a: Amount| format_units(a, r.decimals);
    let mut out = vec![
        format!(
            "margin report of {} — {} at block {} ({}), amounts in {}",
            r.ccp, r.name, r.height, r.time, r.cash_asset
        ),
        format!(
            "  schedule in force since {}; calls due within {}; fund shares haircut {}; skin in the game {} ({} used)",
            r.schedule_from,
            time_left(r.call_deadline_seconds),
            bps_pct(r.fund_share_haircut_bps),
            money(r.skin_in_the_game_units),
            money(r.capital_used_units)
        ),
    ];
    if r.members.is_empty() {
        out.push("  no members".into());
    }
    for m in &r.members {
        let status = match m.status_at {
            Some(at) => format!("{} since {at}", m.status),
            None => m.status.clone(),
        };
        out.push(String::new());
        out.push(format!("  {} — {} (account {}, {status})", m.member, m.member_name, m.account));
        let row = |label: &str, amount: Amount, note: String| {
            format!("    {label:<15} {:>28}{}", money(amount), if note.is_empty() { note } else { format!("  {note}") })
        };
        out.push(row(
            "requirement",
            m.requirement_units,
            format!("initial {}, variation {}", money(m.initial_units), money(m.variation_units)),
        ));
        let unpriced = match m.unpriced {
            0 => String::new(),
            n => format!(", {n} unpriced (counted zero)"),
        };
        out.push(row(
            "coverage",
            m.counted_units,
            format!(
                "market {}, after haircut {}, cash {}{unpriced}",
                money(m.market_value_units),
                money(m.value_after_haircuts_units),
                money(m.cash_units)
            ),
        ));
        out.push(row("shortfall", m.shortfall_units, String::new()));
        out.push(row("excess", m.excess_units, "withdrawable above the requirement".into()));
        let limit = match m.fund_shares_limit_units {
            Some(l) => format!("fund shares {} of a {} limit", money(m.fund_shares_units), money(l)),
            None => format!("fund shares {} (no per-member limit)", money(m.fund_shares_units)),
        };
        out.push(row("above limits", m.above_limits_units, limit));
        out.push(row("default fund", m.default_fund_units, format!("assessed {}", money(m.assessed_units))));
        match &m.call {
            Some(c) => out.push(format!("    {:<15} {}", "open call", call_line(u, c))),
            None => out.push(format!("    {:<15} {:>28}", "open call", "none")),
        }
        if m.pledges.is_empty() {
            out.push(format!("    {:<15} {:>28}", "pledges", "none"));
            continue;
        }
        out.push(format!(
            "    {:<10} {:<10} {:>24} {:>22} {:>8} {:>22}  wallet",
            "pledged", "kind", "units", "value", "haircut", "after haircut"
        ));
        for p in &m.pledges {
            let amount = u
                .decimals(&p.asset)
                .map(|d| format_units(p.amount_units, d))
                .unwrap_or_else(|| p.amount_units.to_string());
            out.push(format!(
                "    {:<10} {:<10} {:>24} {:>22} {:>8} {:>22}  {}",
                p.asset.as_str(),
                p.kind,
                amount,
                p.value_units.map(money).unwrap_or_else(|| "no price".into()),
                bps_pct(p.haircut_bps),
                money(p.after_haircut_units),
                p.wallet.short()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::block::Event;
    use tessera_core::fund::FundEvent;

    /// USDX with 2 decimals; fund ATLAS keeps its cash in USDX; its class ATLAS-A has 6.
    struct TwoDecimals;

    impl Units for TwoDecimals {
        fn decimals(&self, asset: &Symbol) -> Option<u8> {
            match asset.as_str() {
                "USDX" => Some(2),
                "ATLAS-A" => Some(6),
                _ => None,
            }
        }
        fn fund_cash(&self, fund: &Symbol) -> Option<Symbol> {
            (fund.as_str() == "ATLAS").then(|| Symbol::new("USDX"))
        }
        fn fund_classes(&self, _fund: &Symbol) -> Vec<Symbol> {
            vec![Symbol::new("ATLAS-A")]
        }
    }

    #[test]
    fn an_event_reads_its_amounts_in_the_asset_decimals_and_display_keeps_the_minor_units() {
        let (usdx, atlas, class) = (Symbol::new("USDX"), Symbol::new("ATLAS"), Symbol::new("ATLAS-A"));
        let (from, to) = (WalletId([1; 32]), WalletId([2; 32]));
        let t = Event::Transferred { asset: usdx.clone(), from, to, amount: 150_000 };
        let (f, w) = (from.short(), to.short());
        assert_eq!(event_text(&TwoDecimals, &t), format!("1,500.00 USDX transferred from {f} to {w}"));
        assert_eq!(t.to_string(), format!("150000 USDX transferred from {f} to {w}"));

        // A fund's cash in its cash asset; shares as a number of shares in the class's decimals.
        let s = Event::Fund(FundEvent::Subscribed {
            fund: atlas.clone(),
            class,
            investor: from,
            cash: 100_050,
            shares: 1_000_500_000,
            price: 100_000_000,
        });
        assert_eq!(
            event_text(&TwoDecimals, &s),
            format!("wallet {f} subscribed 1,000.50 USDX cash to ATLAS-A of fund ATLAS for 1,000.500000 shares")
        );
        assert_eq!(
            s.to_string(),
            format!("wallet {f} subscribed 100050 cash to ATLAS-A of fund ATLAS for 1000500000 shares")
        );

        // Shares of a redemption name no class: in the decimals the fund's classes share.
        let r = Event::Fund(FundEvent::RedemptionPaid {
            fund: atlas,
            redemption: None,
            investor: from,
            shares: 2_000_000,
            cash: 200,
            fee: 0,
        });
        assert_eq!(
            event_text(&TwoDecimals, &r),
            format!(
                "redemption paid: 2.000000 shares of fund ATLAS from wallet {f} for 2.00 USDX cash (fee 0.00 USDX)"
            )
        );

        // An asset the reader cannot tell stays in minor units, as `Display` writes it.
        let lock = Event::HtlcRefunded { htlc: 4, to, amount: 250 };
        assert_eq!(event_text(&TwoDecimals, &lock), lock.to_string());
        assert_eq!(lock.to_string(), format!("hash time-lock 4 refunded: 250 back to {w}"));
        let unknown = Event::Minted { asset: Symbol::new("ZZZ"), to, amount: 7 };
        assert_eq!(event_text(&TwoDecimals, &unknown), format!("7 ZZZ minted to {w}"));
    }
}
