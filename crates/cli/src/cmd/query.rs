//! `tessera query`: read the ledger, from a data directory or through a running node.

use super::{bad, either, either_ref, open, out, out_answer, out_list, wallet_arg, DataDir, Global};
use clap::Subcommand;
use tessera_cli::remote::encode;
use tessera_cli::views::{self, Units};
use tessera_core::fund::{Fund, Redemption};
use tessera_core::governance::Proposal;
use tessera_core::settlement::Instruction;
use tessera_core::state::Alert;
use tessera_core::*;
use tessera_node::engine::system_time;
use tessera_node::query::{self, AssetRow, BalanceRow, FeedRow, FundView, HistoryEntry, ReceiptView, Viewer};
use tessera_node::Ledger;

#[derive(Subcommand)]
pub enum QueryCmd {
    /// Balances of a wallet or of every wallet of a party.
    Balances {
        #[command(flatten)]
        dir: DataDir,
        /// A wallet: 64 hex digits, or @name for a demo key.
        #[arg(long)]
        wallet: Option<String>,
        /// A party's id: the balances of every wallet it holds.
        #[arg(long)]
        party: Option<String>,
    },
    /// The holder register of an asset, now or at a block height.
    Holders {
        #[command(flatten)]
        dir: DataDir,
        /// The asset's symbol, e.g. TBILL.
        #[arg(value_name = "ASSET", required_unless_present = "asset_flag")]
        asset: Option<String>,
        /// The asset's symbol (the older spelling of the positional ASSET).
        #[arg(long = "asset", value_name = "ASSET", hide = true, conflicts_with = "asset")]
        asset_flag: Option<String>,
        /// The register as it stood at this block height (default: now).
        #[arg(long)]
        height: Option<u64>,
    },
    /// Every transaction signed by or naming a wallet.
    History {
        #[command(flatten)]
        dir: DataDir,
        /// The wallet: 64 hex digits, or @name for a demo key.
        #[arg(long)]
        wallet: String,
    },
    /// Parties: id, name, kind, KYC status and expiry, wallets and roles (your own through a node,
    /// unless you audit).
    Parties {
        #[command(flatten)]
        dir: DataDir,
    },
    /// One party, by id or name: its claims with issuer and expiry, its wallets and roles.
    Party {
        #[command(flatten)]
        dir: DataDir,
        /// The party's id, or its name when no other party has it.
        party: String,
    },
    /// The shareholder register of an asset, now or at a block height: each holder's balance,
    /// share of the supply, KYC status and expiry, investor classes and jurisdiction.
    Register {
        #[command(flatten)]
        dir: DataDir,
        /// The asset's symbol, e.g. TLF.
        #[arg(value_name = "ASSET", required_unless_present = "asset_flag")]
        asset: Option<String>,
        /// The asset's symbol (the spelling of `holders --asset`).
        #[arg(long = "asset", value_name = "ASSET", hide = true, conflicts_with = "asset")]
        asset_flag: Option<String>,
        /// The block whose state to show (default: the head).
        #[arg(long)]
        height: Option<u64>,
    },
    /// An investor statement of a wallet or a party over a date range: per asset, the opening
    /// balance, each movement with the balance after it, and the closing balance.
    #[command(group(clap::ArgGroup::new("whose").required(true).args(["wallet", "party"])))]
    Statement {
        #[command(flatten)]
        dir: DataDir,
        /// A wallet: hex, @name for a demo key.
        #[arg(long)]
        wallet: Option<String>,
        /// A party id or name: every wallet of the party.
        #[arg(long)]
        party: Option<String>,
        /// First day covered, e.g. 2026-01-01 (or an RFC 3339 instant).
        #[arg(long)]
        from: String,
        /// Last day covered, whole (or an RFC 3339 instant, included).
        #[arg(long)]
        to: String,
    },
    /// A transaction's receipt by its id.
    Receipt {
        #[command(flatten)]
        dir: DataDir,
        /// The transaction id (64 hex digits).
        #[arg(long)]
        tx: String,
    },
    /// AML alerts raised by monitoring rules.
    Alerts {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Governance proposals.
    Proposals {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Settlement instructions with their legs, status and history.
    Instructions {
        #[command(flatten)]
        dir: DataDir,
        /// Only this instruction (with its full history).
        #[arg(long)]
        id: Option<u64>,
    },
    /// Hash time-locked transfers.
    Htlcs {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Tenders (escrow programs) with their bids and status.
    Tenders {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Repos with their terms and status.
    Repos {
        #[command(flatten)]
        dir: DataDir,
    },
    /// What a wallet's locked balances are committed to (instructions, hash locks, bid bonds,
    /// repo pledges).
    Locks {
        #[command(flatten)]
        dir: DataDir,
        /// The wallet: 64 hex digits, or @name for a demo key.
        #[arg(long)]
        wallet: String,
    },
    /// Assets with supply, holders and pause state.
    Assets {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Funds: NAV, classes, liquidity, cash, portfolio (only FUND when given).
    Funds {
        #[command(flatten)]
        dir: DataDir,
        /// Only this fund, e.g. ATLAS.
        #[arg(value_name = "FUND")]
        fund: Option<String>,
        /// Only this fund (the older spelling of the positional FUND).
        #[arg(long = "fund", value_name = "FUND", hide = true, conflicts_with = "fund")]
        fund_flag: Option<String>,
    },
    /// Oracle feeds with each source's latest quote and verdict (the discrepancy report).
    Feeds {
        #[command(flatten)]
        dir: DataDir,
        /// Only this feed.
        #[arg(value_name = "FEED")]
        feed: Option<String>,
        /// Only this feed (the older spelling of the positional FEED).
        #[arg(long = "feed", value_name = "FEED", hide = true, conflicts_with = "feed")]
        feed_flag: Option<String>,
    },
    /// Redemptions, queued and paid.
    Redemptions {
        #[command(flatten)]
        dir: DataDir,
    },
    /// A Treasury bill's days to maturity, price per 100, discount rate, investment rate
    /// (bond-equivalent yield) and money-market yield at settlement, rounded as TreasuryDirect
    /// publishes them. When the ledger holds the bill as a token, its maturity is the token's.
    #[command(group(clap::ArgGroup::new("given").required(true).args(["price", "discount_rate"])))]
    Bill {
        #[command(flatten)]
        dir: DataDir,
        /// The bill's CUSIP, or its US ISIN.
        #[arg(long)]
        cusip: String,
        /// Price per 100 of face, e.g. 99.651556.
        #[arg(long)]
        price: Option<String>,
        /// Bank discount rate in percent, e.g. 4.48 (the price is computed from it).
        #[arg(long)]
        discount_rate: Option<String>,
        /// Settlement date, e.g. 2026-01-02 (default: today by the clock, never before the
        /// head block).
        #[arg(long)]
        settlement: Option<String>,
        /// Maturity date, needed when the ledger holds no token for this bill.
        #[arg(long)]
        maturity: Option<String>,
    },
    /// Collateral pledged to clearing houses and lenders: per pledge its account, asset, kind,
    /// units, value, haircut and value after haircut (yours through a node; every one for a
    /// clearing house's members to it, and for auditors).
    Pledges {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Margin calls, open and closed: amount, deadline and, while open, the time left.
    Calls {
        #[command(flatten)]
        dir: DataDir,
        /// Only the calls still open.
        #[arg(long)]
        open: bool,
    },
    /// Loans against pledged tokens: terms, debt to date, collateral value and loan-to-value.
    Loans {
        #[command(flatten)]
        dir: DataDir,
    },
    /// Accrued interest on a tokenized Treasury note at a time (for pricing a trade).
    Accrued {
        #[command(flatten)]
        dir: DataDir,
        /// The note's symbol.
        #[arg(long)]
        asset: String,
        /// Settlement time (default: the head block's time).
        #[arg(long)]
        at: Option<String>,
        /// Clean price per 100, to print the dirty price.
        #[arg(long)]
        clean: Option<String>,
    },
}

pub fn execute(q: QueryCmd, json: bool) -> Result<(), Refusal> {
    // Whoever holds the data directory reads everything in it.
    let me = Viewer::everything();
    match q {
        QueryCmd::Balances { dir, wallet, party } => {
            let l = open(&dir)?;
            let st = &l.chain.state;
            let rows = match (wallet, party) {
                (Some(w), _) => query::wallet_balances(st, &me, &wallet_arg(&w)?)?,
                (None, Some(p)) => query::party_balances(st, &me, &p)?,
                (None, None) => return Err(bad("give --wallet or --party")),
            };
            out(json, &rows, || balances_human(&rows));
        }
        QueryCmd::Holders { dir, asset, asset_flag, height } => {
            let l = open(&dir)?;
            let asset = Symbol::new(either(asset, asset_flag));
            let rows = match height {
                None => query::asset_holders(&l.chain.state, &me, &asset)?,
                Some(h) => query::holders(&Ledger::chain_at(&l.store, h)?.state, &asset)?,
            };
            out(json, &rows, || holders_human(asset.as_str(), height, &rows));
        }
        QueryCmd::History { dir, wallet } => {
            let l = open(&dir)?;
            let st = &l.chain.state;
            let rows = query::wallet_history(&l.store, st, &me, &wallet_arg(&wallet)?)?;
            out_answer(json, &query::answer(st, &rows), &rows, "no transactions", |h| views::history_line(st, h));
        }
        QueryCmd::Parties { dir } => {
            let l = open(&dir)?;
            let rows = query::visible_parties(&l.chain.state, &me)?;
            out_list(json, &rows, "no parties", views::party_line);
        }
        QueryCmd::Party { dir, party } => {
            let l = open(&dir)?;
            let p = query::party(&l.chain.state, &me, &party)?;
            out(json, &p, || views::party_lines(&p).join("\n"));
        }
        QueryCmd::Register { dir, asset, asset_flag, height } => {
            let l = open(&dir)?;
            let asset = Symbol::new(either(asset, asset_flag));
            let r = match height {
                None => query::asset_register(&l.chain.state, &me, l.chain.height(), &asset)?,
                Some(h) => query::register(&Ledger::chain_at(&l.store, h)?.state, h, &asset)?,
            };
            out(json, &r, || views::register_lines(&l.chain.state, &r).join("\n"));
        }
        QueryCmd::Statement { dir, wallet, party, from, to } => {
            let l = open(&dir)?;
            let (from, until) = query::statement_range(&from, &to)?;
            let of = statement_of(wallet.as_deref(), party.as_deref())?;
            let s = query::statement(&l.store, &me, &of, from, until)?;
            out(json, &s, || views::statement_lines(&l.chain.state, &s).join("\n"));
        }
        QueryCmd::Receipt { dir, tx } => {
            let l = open(&dir)?;
            let id = Hash::from_hex(&tx).ok_or_else(|| bad("a transaction id is 64 hex digits"))?;
            let v = query::transaction(&l.store, &me, &l.store.tx_heights(&id)?, &id)?;
            out(json, &query::answer(&l.chain.state, &v), || receipt_human(&l.chain.state, &v));
        }
        QueryCmd::Alerts { dir } => {
            let l = open(&dir)?;
            let alerts = query::alerts(&l.chain.state, &me)?;
            out_answer(json, &query::answer(&l.chain.state, &alerts), &alerts, "no alerts", |a| {
                views::alert_line(&l.chain.state, a)
            });
        }
        QueryCmd::Proposals { dir } => {
            let l = open(&dir)?;
            let ps = query::proposals(&l.chain.state, &me)?;
            out_answer(json, &query::answer(&l.chain.state, &ps), &ps, "no proposals", views::proposal_line);
        }
        QueryCmd::Instructions { dir, id } => {
            let l = open(&dir)?;
            let all = query::instructions(&l.chain.state, &me, id)?;
            out(json, &query::answer(&l.chain.state, &all), || instructions_human(&l.chain.state, &all, id.is_some()));
        }
        QueryCmd::Htlcs { dir } => {
            let l = open(&dir)?;
            let all = query::htlcs(&l.chain.state, &me)?;
            out_list(json, &all, "no hash time-locks", |h| views::htlc_line(&l.chain.state, h));
        }
        QueryCmd::Tenders { dir } => {
            let l = open(&dir)?;
            let all = query::tenders(&l.chain.state, &me)?;
            out_list(json, &all, "no tenders", |t| views::tender_line(&l.chain.state, t));
        }
        QueryCmd::Repos { dir } => {
            let l = open(&dir)?;
            let all = query::repos(&l.chain.state, &me)?;
            out_list(json, &all, "no repos", |r| views::repo_line(&l.chain.state, r));
        }
        QueryCmd::Locks { dir, wallet } => {
            let l = open(&dir)?;
            let rows = query::wallet_locks(&l.chain.state, &me, &wallet_arg(&wallet)?)?;
            out_list(json, &rows, "no locked units", |r| lock_line(&l.chain.state, r));
        }
        QueryCmd::Assets { dir } => {
            let l = open(&dir)?;
            let rows = query::assets(&l.chain.state);
            out(json, &rows, || assets_human(&rows));
        }
        QueryCmd::Funds { dir, fund, fund_flag } => {
            let fund = fund.or(fund_flag);
            let l = open(&dir)?;
            let st = &l.chain.state;
            let funds = query::funds(st, fund.as_deref())?;
            let views: Vec<FundView> =
                funds.iter().map(|f| query::fund_view(st, &f.spec.fund)).collect::<Result<_, _>>()?;
            out(json, &query::answer(st, &funds), || funds_human(&views, st));
        }
        QueryCmd::Feeds { dir, feed, feed_flag } => {
            let feed = feed.or(feed_flag);
            let l = open(&dir)?;
            let st = &l.chain.state;
            let now = l.chain.head.time;
            let feeds = query::feeds_named(st, now, feed.as_deref())?;
            out_list(json, &feeds, "no feeds", |v| views::feed_lines(v).join("\n"));
        }
        QueryCmd::Redemptions { dir } => {
            let l = open(&dir)?;
            let all = query::redemptions(&l.chain.state, &me)?;
            out_answer(json, &query::answer(&l.chain.state, &all), &all, "no redemptions queued so far", |r| {
                views::redemption_line(&l.chain.state, r)
            });
        }
        QueryCmd::Pledges { dir } => {
            let l = open(&dir)?;
            let rows = query::pledges(&l.chain.state, &me)?;
            out_list(json, &rows, "no pledges", |p| views::pledge_line(&l.chain.state, p));
        }
        QueryCmd::Calls { dir, open: only_open } => {
            let l = open(&dir)?;
            let mut rows = query::calls(&l.chain.state, &me)?;
            rows.retain(|c| !only_open || c.seconds_left.is_some());
            out_list(json, &rows, "no margin calls", |c| views::call_line(&l.chain.state, c));
        }
        QueryCmd::Loans { dir } => {
            let l = open(&dir)?;
            let rows = query::loans(&l.chain.state, &me)?;
            out_list(json, &rows, "no loans", |r| views::loan_line(&l.chain.state, r));
        }
        QueryCmd::Bill { dir, cusip, price, discount_rate, settlement, maturity } => {
            let l = open(&dir)?;
            let today = system_time().max(l.chain.head.time);
            let q = query::BillQuery { price, discount_rate, settlement, maturity };
            let v = query::bill_yield(&l.chain.state, &cusip, &q, today)?;
            out(json, &v, || v.human());
        }
        QueryCmd::Accrued { dir, asset, at, clean } => {
            let l = open(&dir)?;
            let at = match at {
                Some(t) => Time::parse(&t).ok_or_else(|| bad(format!("bad time {t:?}: e.g. 2026-08-01T00:00:00Z")))?,
                None => l.chain.head.time,
            };
            let clean: Option<Decimal> = match clean {
                Some(c) => Some(c.parse().map_err(|_| bad(format!("bad clean price {c:?}: e.g. 99.50")))?),
                None => None,
            };
            let v = query::accrued(&l.chain.state, &asset, at, clean)?;
            out(json, &v, || match (&v.clean, &v.dirty) {
                (Some(c), Some(d)) => {
                    format!("{asset} at {at}: accrued {} per 100; clean {c} → dirty {d}", v.accrued_per_100)
                }
                _ => format!("{asset} at {at}: accrued {} per 100", v.accrued_per_100),
            });
        }
    }
    Ok(())
}

/// Balance rows for people, as both the embedded and the remote query print them.
fn balances_human(rows: &[BalanceRow]) -> String {
    if rows.is_empty() {
        "no holdings".into()
    } else {
        rows.iter().map(|r| r.human()).collect::<Vec<_>>().join("\n")
    }
}

fn assets_human(rows: &[AssetRow]) -> String {
    rows.iter().map(AssetRow::human).collect::<Vec<_>>().join("\n")
}

fn holders_human(asset: &str, height: Option<u64>, rows: &[BalanceRow]) -> String {
    let mut s =
        format!("{} holders of {asset}{}\n", rows.len(), height.map(|h| format!(" at block {h}")).unwrap_or_default());
    s.push_str(&rows.iter().map(|r| r.human()).collect::<Vec<_>>().join("\n"));
    s
}

/// Whose statement: `--wallet` or `--party` (clap requires exactly one).
fn statement_of(wallet: Option<&str>, party: Option<&str>) -> Result<query::StatementOf, Refusal> {
    match (wallet, party) {
        (Some(w), _) => Ok(query::StatementOf::Wallet(wallet_arg(w)?)),
        (None, Some(p)) => Ok(query::StatementOf::Party(p.to_string())),
        (None, None) => Err(bad("give --wallet or --party")),
    }
}

fn receipt_human(u: &(impl Units + ?Sized), v: &ReceiptView) -> String {
    let ops: Vec<&str> = v.ops.iter().map(|o| o.name()).collect();
    format!(
        "transaction {}\nblock {} (position {}) at {}, signed by wallet {} (sequence {})\noperations: {}\n{}",
        v.receipt.tx,
        v.height,
        v.index,
        v.time,
        v.signer.short(),
        v.seq,
        ops.join(", "),
        views::receipt_text(u, &v.receipt)
    )
}

/// Instructions one a line; with their full history when one was asked for.
fn instructions_human(u: &(impl Units + ?Sized), all: &[Instruction], with_history: bool) -> String {
    let mut lines = Vec::new();
    for i in all {
        lines.push(views::instruction_line(u, i));
        if with_history {
            lines.extend(i.history.iter().map(|(t, h)| format!("    {t}  {h}")));
        }
    }
    if lines.is_empty() {
        "no instructions".into()
    } else {
        lines.join("\n")
    }
}

fn lock_line(u: &(impl Units + ?Sized), r: &query::LockRow) -> String {
    format!("{:>32}  {}", views::units(u, &r.asset, r.amount_units), r.for_what)
}

fn funds_human(funds: &[FundView], u: &(impl Units + ?Sized)) -> String {
    if funds.is_empty() {
        return "no funds".into();
    }
    funds.iter().map(|f| views::fund_lines(f, u).unwrap_or_default().join("\n")).collect::<Vec<_>>().join("\n")
}

/// A node's answer as the typed answer the read model gave it.
fn typed<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Refusal> {
    serde_json::from_value(v).map_err(|e| Refusal::new(Code::InputInvalid, format!("bad answer from the node: {e}")))
}

/// An answer holding ledger records, read back into the view (`query::from_answer`).
fn written<T: query::Written + serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Refusal> {
    query::from_answer(v).map_err(|e| Refusal::new(Code::InputInvalid, format!("bad answer from the node: {e}")))
}

/// Through a running node's HTTP API.
pub fn execute_remote(q: &QueryCmd, g: &Global, url: &str) -> Result<(), Refusal> {
    let json = g.json;
    let node = super::remote(g, url, true)?;
    let path = match q {
        QueryCmd::Balances { wallet: Some(w), .. } => format!("/v1/wallets/{}/balances", wallet_arg(w)?),
        QueryCmd::Balances { party: Some(p), .. } => format!("/v1/parties/{p}/balances"),
        QueryCmd::Balances { .. } => return Err(bad("give --wallet or --party")),
        QueryCmd::Holders { asset, asset_flag, height, .. } => match height {
            Some(h) => format!("/v1/assets/{}/holders?height={h}", either_ref(asset, asset_flag)),
            None => format!("/v1/assets/{}/holders", either_ref(asset, asset_flag)),
        },
        QueryCmd::History { wallet, .. } => format!("/v1/wallets/{}/history", wallet_arg(wallet)?),
        QueryCmd::Parties { .. } => "/v1/parties".into(),
        QueryCmd::Party { party, .. } => format!("/v1/parties/{}", encode(party)),
        QueryCmd::Register { asset, asset_flag, height, .. } => match height {
            Some(h) => format!("/v1/assets/{}/register?height={h}", encode(either_ref(asset, asset_flag))),
            None => format!("/v1/assets/{}/register", encode(either_ref(asset, asset_flag))),
        },
        QueryCmd::Statement { wallet, party, from, to, .. } => {
            let range = format!("from={}&to={}", encode(from), encode(to));
            match statement_of(wallet.as_deref(), party.as_deref())? {
                query::StatementOf::Wallet(w) => format!("/v1/wallets/{w}/statement?{range}"),
                query::StatementOf::Party(p) => format!("/v1/parties/{}/statement?{range}", encode(&p)),
            }
        }
        QueryCmd::Receipt { tx, .. } => {
            Hash::from_hex(tx).ok_or_else(|| bad("a transaction id is 64 hex digits"))?;
            format!("/v1/transactions/{tx}")
        }
        QueryCmd::Alerts { .. } => "/v1/alerts".into(),
        QueryCmd::Proposals { .. } => "/v1/proposals".into(),
        QueryCmd::Instructions { .. } => "/v1/instructions".into(),
        QueryCmd::Locks { wallet, .. } => format!("/v1/wallets/{}/locks", wallet_arg(wallet)?),
        QueryCmd::Assets { .. } => "/v1/assets".into(),
        QueryCmd::Funds { fund, fund_flag, .. } => match fund.as_ref().or(fund_flag.as_ref()) {
            Some(f) => format!("/v1/funds/{f}"),
            None => "/v1/funds".into(),
        },
        QueryCmd::Feeds { .. } => "/v1/feeds".into(),
        QueryCmd::Redemptions { .. } => "/v1/redemptions".into(),
        QueryCmd::Pledges { .. } => "/v1/pledges".into(),
        QueryCmd::Calls { .. } => "/v1/calls".into(),
        QueryCmd::Loans { .. } => "/v1/loans".into(),
        QueryCmd::Bill { cusip, price, discount_rate, settlement, maturity, .. } => {
            let params: Vec<String> = [
                ("price", price),
                ("discount_rate", discount_rate),
                ("settlement", settlement),
                ("maturity", maturity),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
            .collect();
            format!("/v1/securities/{}/yield?{}", encode(cusip), params.join("&"))
        }
        QueryCmd::Htlcs { .. } | QueryCmd::Tenders { .. } | QueryCmd::Repos { .. } | QueryCmd::Accrued { .. } => {
            return Err(bad("this query is not served by the HTTP API yet; run it on the data directory"))
        }
    };
    let v = node.get(&path).map_err(|e| super::with_auth_hint(g, e))?;
    // Decimals and funds' cash assets, from what the node publishes.
    let book = || node.asset_book();
    // The same typed answers the embedded path prints, decoded from what the node sent, printed
    // by the same printers.
    match q {
        QueryCmd::Balances { .. } => {
            let rows: Vec<BalanceRow> = typed(v)?;
            out(json, &rows, || balances_human(&rows));
        }
        QueryCmd::Holders { asset, asset_flag, height, .. } => {
            let rows: Vec<BalanceRow> = typed(v)?;
            out(json, &rows, || holders_human(either_ref(asset, asset_flag), *height, &rows));
        }
        QueryCmd::History { .. } => {
            let rows: Vec<HistoryEntry> = written(v.clone())?;
            let book = book()?;
            out_answer(json, &v, &rows, "no transactions", |h| views::history_line(&book, h));
        }
        QueryCmd::Parties { .. } => {
            let rows: Vec<query::PartyRow> = typed(v)?;
            out_list(json, &rows, "no parties", views::party_line);
        }
        QueryCmd::Party { .. } => {
            let p: query::PartyRow = typed(v)?;
            out(json, &p, || views::party_lines(&p).join("\n"));
        }
        QueryCmd::Register { .. } => {
            let r: query::Register = typed(v)?;
            let book = book()?;
            out(json, &r, || views::register_lines(&book, &r).join("\n"));
        }
        QueryCmd::Statement { .. } => {
            let s: query::Statement = typed(v)?;
            let book = book()?;
            out(json, &s, || views::statement_lines(&book, &s).join("\n"));
        }
        QueryCmd::Receipt { .. } => {
            let r: ReceiptView = written(v.clone())?;
            let book = book()?;
            out(json, &v, || receipt_human(&book, &r));
        }
        QueryCmd::Alerts { .. } => {
            let alerts: Vec<Alert> = written(v.clone())?;
            let book = book()?;
            out_answer(json, &v, &alerts, "no alerts", |a| views::alert_line(&book, a));
        }
        QueryCmd::Proposals { .. } => {
            let ps: Vec<Proposal> = written(v.clone())?;
            out_answer(json, &v, &ps, "no proposals", views::proposal_line);
        }
        QueryCmd::Instructions { id, .. } => {
            let mut v = v;
            if let (Some(id), Some(items)) = (id, v.as_array_mut()) {
                items.retain(|i| i["id"].as_u64() == Some(*id));
                if items.is_empty() {
                    return Err(Refusal::new(Code::SettlementUnknown, format!("no instruction {id}")));
                }
            }
            let all: Vec<Instruction> = written(v.clone())?;
            let book = book()?;
            out(json, &v, || instructions_human(&book, &all, id.is_some()));
        }
        QueryCmd::Locks { .. } => {
            let rows: Vec<query::LockRow> = typed(v)?;
            let book = book()?;
            out_list(json, &rows, "no locked units", |r| lock_line(&book, r));
        }
        QueryCmd::Assets { .. } => {
            let rows: Vec<AssetRow> = typed(v)?;
            out(json, &rows, || assets_human(&rows));
        }
        QueryCmd::Funds { fund, fund_flag, .. } => {
            let fund = fund.as_ref().or(fund_flag.as_ref());
            // Each fund's own answer holds what its report shows (cash on the ledger, positions).
            let answers: Vec<serde_json::Value> = match fund {
                Some(_) => vec![v],
                None => written::<Vec<Fund>>(v)?
                    .iter()
                    .map(|f| node.get(&format!("/v1/funds/{}", encode(f.spec.fund.as_str()))))
                    .collect::<Result<_, _>>()?,
            };
            let funds: Vec<&serde_json::Value> = answers.iter().map(|a| &a["fund"]).collect();
            let views: Vec<FundView> = answers.iter().map(|a| written(a.clone())).collect::<Result<_, _>>()?;
            let book = book()?;
            out(json, &funds, || funds_human(&views, &book));
        }
        QueryCmd::Feeds { feed, feed_flag, .. } => {
            let mut feeds: Vec<FeedRow> = typed(v)?;
            if let Some(x) = feed.as_ref().or(feed_flag.as_ref()) {
                feeds.retain(|f| f.feed == *x);
                if feeds.is_empty() {
                    return Err(Refusal::new(Code::OracleUnknownFeed, format!("no feed {x}")));
                }
            }
            out_list(json, &feeds, "no feeds", |v| views::feed_lines(v).join("\n"));
        }
        QueryCmd::Redemptions { .. } => {
            let all: Vec<Redemption> = written(v.clone())?;
            let book = book()?;
            out_answer(json, &v, &all, "no redemptions queued so far", |r| views::redemption_line(&book, r));
        }
        QueryCmd::Pledges { .. } => {
            let rows: Vec<query::PledgeRow> = typed(v)?;
            let book = book()?;
            out_list(json, &rows, "no pledges", |p| views::pledge_line(&book, p));
        }
        QueryCmd::Calls { open, .. } => {
            let mut rows: Vec<query::CallRow> = typed(v)?;
            rows.retain(|c| !open || c.seconds_left.is_some());
            let book = book()?;
            out_list(json, &rows, "no margin calls", |c| views::call_line(&book, c));
        }
        QueryCmd::Loans { .. } => {
            let rows: Vec<query::LoanRow> = typed(v)?;
            let book = book()?;
            out_list(json, &rows, "no loans", |r| views::loan_line(&book, r));
        }
        QueryCmd::Bill { .. } => {
            let bill: query::BillYield = typed(v)?;
            out(json, &bill, || bill.human());
        }
        QueryCmd::Htlcs { .. } | QueryCmd::Tenders { .. } | QueryCmd::Repos { .. } | QueryCmd::Accrued { .. } => {
            unreachable!("refused above")
        }
    }
    Ok(())
}
