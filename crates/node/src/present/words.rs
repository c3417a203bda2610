//! Ledger values in words for people, with the ledger at hand: amounts in their asset's
//! decimals, events and receipts, and the actions the console prepares. Shared by the command
//! line (`views`) and the console, so each is worded once.

use tessera_core::block::{Event, Outcome, Receipt};
use tessera_core::op::Op;
use tessera_core::state::State;
use tessera_core::words::{Counted, EventText};
use tessera_core::*;

/// What printing amounts needs: each asset's decimals, and the cash asset each fund's amounts
/// are in. The state answers on a data directory; [`AssetBook`] answers from a node's published
/// assets and funds.
pub trait Units {
    fn decimals(&self, asset: &Symbol) -> Option<u8>;
    fn fund_cash(&self, fund: &Symbol) -> Option<Symbol>;
    /// The asset an event's amount is in when only the ledger's records say it (a lock's, a
    /// tender's, a repo's, a security's cash). What a node publishes does not say it: such
    /// amounts stay in minor units there.
    fn counted_asset(&self, _counted: Counted<'_>) -> Option<Symbol> {
        None
    }
    /// A fund's share classes.
    fn fund_classes(&self, fund: &Symbol) -> Vec<Symbol>;
}

impl Units for State {
    fn decimals(&self, asset: &Symbol) -> Option<u8> {
        self.asset_index.get(asset).map(|a| self.asset(*a).decimals)
    }
    fn fund_cash(&self, fund: &Symbol) -> Option<Symbol> {
        self.funds.get(fund).map(|f| self.asset(f.cash_asset).symbol.clone())
    }
    fn fund_classes(&self, fund: &Symbol) -> Vec<Symbol> {
        let classes = self.funds.get(fund).map(|f| f.classes.clone()).unwrap_or_default();
        classes.into_iter().map(|c| self.asset(c).symbol.clone()).collect()
    }
    fn counted_asset(&self, counted: Counted<'_>) -> Option<Symbol> {
        tessera_core::output::ledger_asset(self, counted)
    }
}

/// An amount of an asset for people: "1,000.00 USDX" in the asset's decimals
/// (`tessera_core::units::format_amount`). A fund's amounts are in its cash asset; anything
/// else unknown stays in minor units.
pub fn units(u: &(impl Units + ?Sized), asset: &Symbol, amount: Amount) -> String {
    let (decimals, symbol) = match (u.decimals(asset), u.fund_cash(asset)) {
        (Some(d), _) => (d, asset.clone()),
        (None, Some(cash)) => match u.decimals(&cash) {
            Some(d) => (d, cash),
            None => return format!("{amount} {asset}"),
        },
        (None, None) => return format!("{amount} {asset}"),
    };
    format_amount(amount, decimals, symbol.as_str())
}

/// An event for people, its amounts in their asset's units: "6,000,000.000000 TBILL
/// transferred from e0d12678 to 2f446c97"; shares as a number of shares in the class's
/// decimals. An amount whose asset `u` cannot tell stays in minor units.
pub fn event_text(u: &(impl Units + ?Sized), e: &Event) -> String {
    EventText::new(e, &|counted, amount| counted_text(u, counted, amount)).to_string()
}

fn counted_text(u: &(impl Units + ?Sized), counted: Counted<'_>, amount: Amount) -> String {
    let asset = match counted {
        // An asset the event names may be a fund's symbol (an alert on a fund): `units` says it.
        Counted::Asset(a) | Counted::Units(a) => return units(u, a, amount),
        Counted::FundCash(fund) => u.fund_cash(fund),
        Counted::Shares { class: Some(class), .. } => Some(class.clone()),
        // Which class is not said; a number of shares needs only the decimals, which a fund's
        // classes may all share.
        Counted::Shares { fund, class: None } => {
            let classes = u.fund_classes(fund);
            let decimals: Vec<Option<u8>> = classes.iter().map(|c| u.decimals(c)).collect();
            decimals.windows(2).all(|w| w[0] == w[1]).then(|| classes.first().cloned()).flatten()
        }
        other => u.counted_asset(other),
    };
    match (asset, counted) {
        (Some(class), Counted::Shares { .. }) => match u.decimals(&class) {
            Some(d) => format_units(amount, d),
            None => counted.bare(amount),
        },
        (Some(asset), _) => units(u, &asset, amount),
        (None, _) => counted.bare(amount),
    }
}

/// A receipt for people: the outcome, then one indented line per event ([`event_text`]).
pub fn receipt_text(u: &(impl Units + ?Sized), r: &Receipt) -> String {
    let mut text = r.outcome.to_string();
    if let Outcome::Ok { events } = &r.outcome {
        for e in events {
            text.push_str(&format!("\n  {}", event_text(u, e)));
        }
    }
    text
}

/// A wallet for people: its party and short form, "bravo (wallet 1a2b3c4d)"; a wallet the
/// ledger does not know by its short form alone.
pub fn wallet_text(st: &State, w: &WalletId) -> String {
    match st.wallet_index.get(w) {
        Some(i) => format!("{} (wallet {})", st.party(st.wallet(*i).party).id, w.short()),
        None => format!("wallet {} (not on the ledger)", w.short()),
    }
}

/// An operation as the console shows it before it is signed, its amounts in their asset's
/// decimals: "transfer 1,000.00 USDX from alpha (wallet 0a1b2c3d) to bravo (wallet 1a2b3c4d);
/// fee: none". `signer` is the wallet that signs. Operations the console does not prepare are
/// named.
pub fn action_text(st: &State, signer: &WalletId, op: &Op) -> String {
    const NO_FEE: &str = "fee: none (the ledger charges no transaction fee)";
    match op {
        Op::Transfer(t) => format!(
            "transfer {} from {} to {}; {NO_FEE}",
            units(st, &t.asset, t.amount),
            wallet_text(st, signer),
            wallet_text(st, &t.to)
        ),
        Op::AffirmInstruction(a) => match st.instructions.get(&a.instruction) {
            Some(i) => {
                let legs: Vec<String> = i
                    .legs
                    .iter()
                    .map(|l| {
                        format!(
                            "{} from {} to {}",
                            units(st, &l.asset, l.amount),
                            wallet_text(st, &l.from),
                            wallet_text(st, &l.to)
                        )
                    })
                    .collect();
                format!(
                    "affirm instruction {} ({}; {}): your legs are locked until it settles; {NO_FEE}",
                    i.id,
                    legs.join("; "),
                    i.mode
                )
            }
            None => format!("affirm instruction {} (not on the ledger)", a.instruction),
        },
        Op::Approve(a) => match st.proposals.get(&a.proposal) {
            Some(p) => {
                let ops: Vec<String> = p.ops.iter().map(|o| action_text(st, &p.proposer, o)).collect();
                format!(
                    "approve proposal {} ({}, {} of {} approvals so far, proposed by {}): {}",
                    p.id,
                    p.class,
                    p.approvals.len(),
                    p.threshold,
                    wallet_text(st, &p.proposer),
                    ops.join("; ")
                )
            }
            None => format!("approve proposal {} (not on the ledger)", a.proposal),
        },
        Op::Redeem(r) => {
            let class = st.asset_index.get(&r.class).and_then(|a| st.share_classes.get(a));
            let shares = st
                .asset_index
                .get(&r.class)
                .map(|a| format_units(r.shares, st.asset(*a).decimals))
                .unwrap_or_else(|| r.shares.to_string());
            match class {
                Some(c) => format!(
                    "redeem {shares} shares of {} (fund {}), paid in {}; redemption fee {} bps",
                    r.class,
                    c.spec.fund,
                    st.funds.get(&c.spec.fund).map(|f| st.asset(f.cash_asset).symbol.to_string()).unwrap_or_default(),
                    c.spec.redemption_fee_bps
                ),
                None => format!("redeem {shares} shares of {} (not a share class on the ledger)", r.class),
            }
        }
        Op::PledgeCollateral(p) => {
            let cash = st.clearing_houses.get(&p.ccp).map(|c| c.schedule.cash_asset.clone());
            let what = if cash.as_ref() == Some(&p.asset) { "post margin of" } else { "pledge" };
            format!(
                "{what} {} to clearing house {} as collateral (the units stay yours, locked while pledged); {NO_FEE}",
                units(st, &p.asset, p.amount),
                p.ccp
            )
        }
        other => other.name().replace('_', " "),
    }
}
