//! Read-only views of a ledger: balances, holders, history, receipts, alerts, proposals.
//! Each returns data that serializes to JSON, plus a human rendering.

use tessera_core::state::State;
use tessera_core::words::and_list;
use tessera_core::*;
use tessera_node::Ledger;

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
            let v: Vec<String> = st
                .proposals
                .sorted()
                .into_iter()
                .map(|(_, p)| {
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
                })
                .collect();
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
        Show::Fund(f) => fund_lines(st, f).unwrap_or_else(|e| vec![e.to_string()]),
        Show::Feed(f) => feed_lines(st, f, st.meta().time).unwrap_or_else(|e| vec![e.to_string()]),
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

/// An amount of an asset for people: "1,000.00 USDX" in the asset's decimals. A fund's amounts
/// are in its cash asset; anything else unknown stays in minor units.
pub fn units(st: &State, asset: &Symbol, amount: Amount) -> String {
    let a = match (st.asset_index.get(asset), st.funds.get(asset)) {
        (Some(a), _) => st.asset(*a),
        (None, Some(f)) => st.asset(f.cash_asset),
        (None, None) => return format!("{amount} {asset}"),
    };
    format!("{} {}", format_units(amount, a.decimals), a.symbol)
}

pub fn alert_line(st: &State, a: &tessera_core::state::Alert) -> String {
    let fund = if st.funds.get(&a.asset).is_some() { format!(" of fund {}", a.asset) } else { String::new() };
    format!(
        "alert #{} {} {} wallet {}{fund} amount {} — {}",
        a.id,
        a.time,
        a.rule,
        a.wallet.short(),
        units(st, &a.asset, a.amount),
        a.detail
    )
}

pub fn instruction_line(st: &State, i: &tessera_core::settlement::Instruction) -> String {
    let legs: Vec<String> = i
        .legs
        .iter()
        .map(|l| format!("{} {}→{}", units(st, &l.asset, l.amount), l.from.short(), l.to.short()))
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
pub fn redemption_line(st: &State, r: &tessera_core::fund::Redemption) -> String {
    format!(
        "#{} wallet {} redeems {} for {} cash (fee {}), requested {} — {}",
        r.id,
        r.wallet.short(),
        units(st, &r.class, r.shares),
        units(st, &r.fund, r.amount),
        units(st, &r.fund, r.fee),
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

/// A fund's state as lines for people: NAV, classes, liquidity, portfolio, queue.
pub fn fund_lines(st: &State, f_sym: &Symbol) -> Result<Vec<String>, Refusal> {
    use tessera_core::fund;
    let f = fund::fund(st, f_sym)?;
    let cash = st.asset(f.cash_asset);
    let money = |a: Amount| format!("{} {}", format_units(a, cash.decimals), cash.symbol);
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
            let a = st.asset_idx(&c.asset)?;
            out.push(format!(
                "  class {}: {} shares  price {}  NAV per share {}  net rate {}",
                c.asset,
                format_units(c.shares, st.asset(a).decimals),
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
        money(st.holding_ref(f.cash_asset, f.cash_wallet).map(|h| h.free).unwrap_or(0)),
        money(f.fee_accrued()),
        money(f.fee_paid),
        money(f.queued)
    ));
    for p in fund::positions(st, f_sym) {
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

/// An oracle feed and its per-source discrepancy report.
pub fn feed_lines(st: &State, feed: &str, now: Time) -> Result<Vec<String>, Refusal> {
    let f = st
        .feeds
        .get(&feed.to_string())
        .ok_or_else(|| Refusal::new(Code::OracleUnknownFeed, format!("no feed {feed}")))?;
    let mut out = vec![format!(
        "feed {} ({}): value {}{}  quorum {} of {}, max age {} s, max deviation {} bps, breaker {} bps",
        feed,
        f.spec.kind,
        f.value_at(now).map(fixed8).unwrap_or_else(|| "none (no quorum of fresh quotes)".into()),
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
    Ok(out)
}
