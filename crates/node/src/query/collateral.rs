//! Collateral and margin as their parties read them (issue 13 point 8): a clearing house's
//! margin report (per member: requirement, coverage, shortfall, the open call with the time
//! left, each pledge valued, concentration usage, default fund), and lists of pledges, margin
//! calls and loans.
//!
//! - Figures are the core's own (`tessera_core::collateral`): an account's coverage as stored
//!   (the invariant check keeps it equal to a recomputation), each pledge valued by
//!   `value_pledges` at the ledger's time (the head block's), a loan's debt by `debt`, its
//!   loan-to-value by `ltv_bps`. Nothing is computed twice.
//! - Amounts are in the account's cash asset (a pledge's units in its own asset), each given
//!   twice as the other answers give them: decimal text (`counted`, "950000.000000") and minor
//!   units (`counted_units`).
//! - Who sees what is `super::viewer`'s rule: a row names the parties (and wallets) it
//!   concerns. A margin account concerns its member and its clearing house, a loan its
//!   borrower and its lender, so a member sees its own account, the clearing house all its
//!   members', lender and borrower their loan, auditors and compliance officers everything.

use super::history::decimal_units;
use super::registers::find_party;
use super::viewer::{Involved, Involves, Viewer};
use serde::{Deserialize, Serialize};
use tessera_core::collateral::{self, Account, AccountKind, AccountStatus, CallKind, CallStatus, Loan, LoanStatus};
use tessera_core::state::State;
use tessera_core::*;

/// One pledge as valued at the ledger's time, in the account's cash asset.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct PledgeLine {
    pub asset: Symbol,
    /// `cash`, `bill`, `note`, `bond` or `fund_share`.
    pub kind: String,
    /// The pledging wallet (the units stay in it, locked).
    pub wallet: WalletId,
    /// Units pledged, in the asset's decimals.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub amount: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub amount_units: Amount,
    pub since: Time,
    /// Market value (with accrued interest; fund shares at NAV); none when no price stands.
    #[schema(value_type = Option<tessera_core::types::DecimalAmountSchema>)]
    pub value: Option<String>,
    #[serde(with = "amount_serde_opt")]
    #[schema(value_type = Option<tessera_core::types::AmountSchema>)]
    pub value_units: Option<Amount>,
    pub haircut_bps: u32,
    /// Value less the haircut: what the pledge counts before the account's concentration
    /// limits (which apply per fund, issuer and member, not per pledge).
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub after_haircut: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub after_haircut_units: Amount,
}

/// A margin call, with the time left to meet it while it is open.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct CallRow {
    pub id: u64,
    pub account: u64,
    pub ccp: PartyId,
    pub member: PartyId,
    pub kind: CallKind,
    pub raised_at: Time,
    pub deadline: Time,
    /// Open calls: seconds from the ledger's time to the deadline (0 once it has passed).
    pub seconds_left: Option<u64>,
    pub cash_asset: Symbol,
    /// The shortfall when the call was raised.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub amount: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub amount_units: Amount,
    /// `open`, `met` or `defaulted`.
    pub status: String,
    /// When it was met or defaulted.
    pub closed_at: Option<Time>,
}

/// One member's margin account at a clearing house.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct MarginRow {
    pub account: u64,
    pub member: PartyId,
    pub member_name: String,
    /// `active`, `defaulted` or `closed`.
    pub status: String,
    /// When it defaulted or closed.
    pub status_at: Option<Time>,
    /// Initial margin, as the clearing house's risk engine last sent it.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub initial: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub initial_units: Amount,
    /// Variation margin owed, met in cash only.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub variation: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub variation_units: Amount,
    /// Initial plus variation.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub requirement: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub requirement_units: Amount,
    /// When the requirement was last set.
    pub requirement_at: Option<Time>,
    /// Coverage that counts: after haircuts and concentration limits.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub counted: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub counted_units: Amount,
    /// Σ market value of the pledges.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub market_value: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub market_value_units: Amount,
    /// Σ value after haircuts, before concentration limits (named apart from the pledges'
    /// `after_haircut`, so the two stay apart in a flat table).
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub value_after_haircuts: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub value_after_haircuts_units: Amount,
    /// Of `counted`, cash (the only thing that meets variation margin).
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub cash: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub cash_units: Amount,
    /// Pledges no price stands for (counted zero).
    pub unpriced: u32,
    /// What the pledges stand short of the requirement (the larger of the total and the
    /// variation-in-cash shortfalls); none once the account defaulted or closed.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub shortfall: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub shortfall_units: Amount,
    /// Counted coverage above the requirement, none while anything is short (what the member
    /// may withdraw).
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub excess: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub excess_units: Amount,
    /// Concentration usage: after-haircut value the limits left out…
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub above_limits: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub above_limits_units: Amount,
    /// …fund shares after haircut…
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub fund_shares: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub fund_shares_units: Amount,
    /// …against the schedule's limit on fund shares per member, when it has one.
    #[schema(value_type = Option<tessera_core::types::DecimalAmountSchema>)]
    pub fund_shares_limit: Option<String>,
    #[serde(with = "amount_serde_opt")]
    #[schema(value_type = Option<tessera_core::types::AmountSchema>)]
    pub fund_shares_limit_units: Option<Amount>,
    /// The open call, if any.
    pub call: Option<CallRow>,
    pub pledges: Vec<PledgeLine>,
    /// Cash contributed to the clearing house's default fund.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub default_fund: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub default_fund_units: Amount,
    /// Assessments owed after a default exhausted the default fund.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub assessed: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub assessed_units: Amount,
}

/// A clearing house's margin report at the ledger's time: its members' accounts as the
/// viewer may see them (all for the clearing house and auditors, its own for a member).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct MarginReport {
    pub ccp: PartyId,
    pub name: String,
    pub height: u64,
    pub time: Time,
    /// The asset requirements and coverage are counted in.
    pub cash_asset: Symbol,
    pub decimals: u8,
    /// When the schedule in force took effect.
    pub schedule_from: Time,
    pub call_deadline_seconds: u64,
    pub fund_share_haircut_bps: u32,
    /// The clearing house's own capital at risk in a default, and what defaults used of it.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub skin_in_the_game: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub skin_in_the_game_units: Amount,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub capital_used: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub capital_used_units: Amount,
    /// In the clearing house's member order.
    pub members: Vec<MarginRow>,
}

/// A pledge with the account it belongs to (a margin account, or a loan's collateral).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct PledgeRow {
    pub account: u64,
    /// `margin` or `loan`.
    pub account_kind: String,
    /// The clearing house or the lender.
    pub pledgee: PartyId,
    pub pledgor: PartyId,
    /// The asset values are counted in.
    pub cash_asset: Symbol,
    #[serde(flatten)]
    pub pledge: PledgeLine,
}

/// A loan against pledged tokens, with its debt and loan-to-value at the ledger's time.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub struct LoanRow {
    pub id: u64,
    /// `requested`, `open`, `repaid`, `liquidated` or `cancelled`.
    pub status: String,
    /// When it was funded (open) or closed.
    pub status_at: Option<Time>,
    pub borrower: WalletId,
    pub borrower_party: PartyId,
    pub lender: WalletId,
    pub lender_party: PartyId,
    pub cash_asset: Symbol,
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub principal: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub principal_units: Amount,
    /// Annual rate, ACT/360.
    pub rate_bps: u32,
    pub max_ltv_bps: u32,
    pub liquidation_ltv_bps: u32,
    /// Interest to date (open), as paid (repaid), or as counted at liquidation.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub interest: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub interest_units: Amount,
    /// Principal plus interest: to date while open, as settled once repaid or liquidated; none
    /// before funding or once cancelled.
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub debt: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub debt_units: Amount,
    /// Market value of the collateral still pledged (no haircut).
    #[schema(value_type = tessera_core::types::DecimalAmountSchema)]
    pub collateral_value: String,
    #[serde(with = "amount_serde")]
    #[schema(value_type = tessera_core::types::AmountSchema)]
    pub collateral_value_units: Amount,
    /// Debt over collateral value, rounded up; none when the loan is not open or its
    /// collateral is worth nothing.
    pub ltv_bps: Option<u64>,
    pub pledges: Vec<PledgeLine>,
}

/// `Option<Amount>` as `amount_serde` writes an amount (a number while it fits), or null; the
/// core's `collateral::amount_serde_opt` writes schedules' limits as strings, as they are input.
mod amount_serde_opt {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Amount>, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct W<'a>(#[serde(with = "amount_serde")] &'a Amount);
        v.as_ref().map(W).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Amount>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "amount_serde")] Amount);
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

// ---------------------------------------------------------------- building the rows

fn decimals_of(st: &State, asset: &Symbol) -> Result<u8, Refusal> {
    Ok(st.asset(st.asset_idx(asset)?).decimals)
}

/// What kind of collateral an asset is, as its input names it.
fn kind_of(st: &State, asset: &Symbol) -> Result<String, Refusal> {
    Ok(match &st.asset(st.asset_idx(asset)?).kind {
        AssetKind::CashToken { .. } => "cash".into(),
        AssetKind::TreasurySecurity { security, .. } => security.to_string(),
        AssetKind::FundShare { .. } => "fund_share".into(),
    })
}

/// An account's pledges valued at `now` by the core's own valuation, and the after-haircut
/// value of its fund shares.
fn pledge_lines(st: &State, acc: &Account, now: Time) -> Result<(Vec<PledgeLine>, Amount), Refusal> {
    let schedule = match acc.kind {
        AccountKind::Margin => Some(collateral::clearing(st, &acc.pledgee)?.schedule),
        AccountKind::Loan => None,
    };
    let (_, lines) = collateral::value_pledges(st, acc, schedule.as_ref(), &mut Default::default(), now)?;
    let cash_dec = decimals_of(st, &acc.cash_asset)?;
    let mut fund_shares: Amount = 0;
    let mut out = Vec::with_capacity(lines.len());
    for (line, pledge) in lines.iter().zip(&acc.pledges) {
        if matches!(line.class, collateral::Class::FundShare { .. }) {
            fund_shares = fund_shares.saturating_add(line.after_haircut);
        }
        out.push(PledgeLine {
            asset: line.asset.clone(),
            kind: kind_of(st, &line.asset)?,
            wallet: line.wallet,
            amount: decimal_units(line.amount, decimals_of(st, &line.asset)?),
            amount_units: line.amount,
            since: pledge.since,
            value: line.value.map(|v| decimal_units(v, cash_dec)),
            value_units: line.value,
            haircut_bps: line.haircut_bps,
            after_haircut: decimal_units(line.after_haircut, cash_dec),
            after_haircut_units: line.after_haircut,
        });
    }
    Ok((out, fund_shares))
}

fn call_row(st: &State, c: &tessera_core::collateral::MarginCall, now: Time) -> Result<CallRow, Refusal> {
    let (status, closed_at) = match c.status {
        CallStatus::Open => ("open", None),
        CallStatus::Met { at } => ("met", Some(at)),
        CallStatus::Defaulted { at } => ("defaulted", Some(at)),
    };
    Ok(CallRow {
        id: c.id,
        account: c.account,
        ccp: c.ccp.clone(),
        member: c.member.clone(),
        kind: c.kind,
        raised_at: c.raised_at,
        deadline: c.deadline,
        // Saturating on purpose: a deadline passed leaves no time.
        seconds_left: (c.status == CallStatus::Open).then(|| c.deadline.0.saturating_sub(now.0)),
        cash_asset: c.cash_asset.clone(),
        amount: decimal_units(c.amount, decimals_of(st, &c.cash_asset)?),
        amount_units: c.amount,
        status: status.into(),
        closed_at,
    })
}

fn margin_row(st: &State, acc: &Account, now: Time) -> Result<MarginRow, Refusal> {
    let dec = decimals_of(st, &acc.cash_asset)?;
    let text = |a: Amount| decimal_units(a, dec);
    let (status, status_at) = match acc.status {
        AccountStatus::Active => ("active", None),
        AccountStatus::Defaulted { at, .. } => ("defaulted", Some(at)),
        AccountStatus::Closed { at } => ("closed", Some(at)),
    };
    let (pledges, fund_shares) = pledge_lines(st, acc, now)?;
    let r = &acc.requirement;
    let standing = collateral::standing(st, acc.id);
    let c = &standing.coverage;
    let requirement = r.total()?;
    // An account in default or closed is settled: nothing short, nothing to withdraw.
    let shortfall = if acc.active() { collateral::shortfall(r, c)? } else { 0 };
    // Nothing is withdrawable while anything is short (variation margin in cash included).
    let excess = if shortfall > 0 || !acc.active() { 0 } else { c.counted.saturating_sub(requirement) };
    let limit = collateral::clearing(st, &acc.pledgee)?.schedule.limits.fund_shares_per_member;
    let call = match standing.call.and_then(|id| st.margin_calls.get(&id)) {
        Some(call) => Some(call_row(st, call, now)?),
        None => None,
    };
    Ok(MarginRow {
        account: acc.id,
        member: acc.pledgor.clone(),
        member_name: st.party(st.party_idx(&acc.pledgor)?).name.clone(),
        status: status.into(),
        status_at,
        initial: text(r.initial),
        initial_units: r.initial,
        variation: text(r.variation),
        variation_units: r.variation,
        requirement: text(requirement),
        requirement_units: requirement,
        requirement_at: r.at,
        counted: text(c.counted),
        counted_units: c.counted,
        market_value: text(c.market),
        market_value_units: c.market,
        value_after_haircuts: text(c.after_haircut),
        value_after_haircuts_units: c.after_haircut,
        cash: text(c.cash),
        cash_units: c.cash,
        unpriced: c.unpriced,
        shortfall: text(shortfall),
        shortfall_units: shortfall,
        excess: text(excess),
        excess_units: excess,
        above_limits: text(c.above_limits()),
        above_limits_units: c.above_limits(),
        fund_shares: text(fund_shares),
        fund_shares_units: fund_shares,
        fund_shares_limit: limit.map(text),
        fund_shares_limit_units: limit,
        call,
        pledges,
        default_fund: text(acc.default_fund),
        default_fund_units: acc.default_fund,
        assessed: text(acc.assessed),
        assessed_units: acc.assessed,
    })
}

fn loan_row(st: &State, l: &Loan, now: Time) -> Result<LoanRow, Refusal> {
    let t = &l.terms;
    let dec = decimals_of(st, &t.cash_asset)?;
    let text = |a: Amount| decimal_units(a, dec);
    let party_of = |w: &WalletId| -> Result<PartyId, Refusal> {
        let wi = st.wallet_idx(w)?;
        Ok(st.party(st.wallet(wi).party).id.clone())
    };
    let acc = collateral::account(st, l.id)?;
    let (pledges, _) = pledge_lines(st, &acc, now)?;
    // Valued now: a closed loan's account keeps its last coverage but pledges nothing.
    let value = pledges.iter().try_fold(0, |t: Amount, p| add(t, p.value_units.unwrap_or(0)))?;
    let (status, status_at, debt, interest) = match &l.status {
        // Nothing is owed before the cash is lent, or when it never was.
        LoanStatus::Requested => ("requested", None, 0, 0),
        LoanStatus::Open { at } => {
            let (debt, interest) = collateral::debt(l, now)?;
            ("open", Some(*at), debt, interest)
        }
        LoanStatus::Repaid { at, interest } => ("repaid", Some(*at), add(t.principal, *interest)?, *interest),
        // Saturating on purpose: a liquidated debt is never below its principal.
        LoanStatus::Liquidated { at, debt, .. } => ("liquidated", Some(*at), *debt, debt.saturating_sub(t.principal)),
        LoanStatus::Cancelled { at } => ("cancelled", Some(*at), 0, 0),
    };
    let open = matches!(l.status, LoanStatus::Open { .. });
    Ok(LoanRow {
        id: l.id,
        status: status.into(),
        status_at,
        borrower: l.borrower,
        borrower_party: party_of(&l.borrower)?,
        lender: t.lender,
        lender_party: party_of(&t.lender)?,
        cash_asset: t.cash_asset.clone(),
        principal: text(t.principal),
        principal_units: t.principal,
        rate_bps: t.rate_bps,
        max_ltv_bps: t.max_ltv_bps,
        liquidation_ltv_bps: t.liquidation_ltv_bps,
        interest: text(interest),
        interest_units: interest,
        debt: text(debt),
        debt_units: debt,
        collateral_value: text(value),
        collateral_value_units: value,
        ltv_bps: (open && value > 0).then(|| collateral::ltv_bps(debt, value)),
        pledges,
    })
}

// ---------------------------------------------------------------- the reads

/// The clearing house `ccp` (id or name) as the viewer may ask about it: itself, a member of
/// it, or whoever sees everything. A refusal does not tell another party's existence.
fn clearing_for(st: &State, viewer: &Viewer, ccp: &str) -> Result<collateral::Clearing, Refusal> {
    viewer.authenticated()?;
    let forbidden =
        || Refusal::new(Code::ApiForbidden, "a clearing house's margin accounts are for it, its members and auditors");
    let p = match find_party(st, ccp) {
        Ok(p) => p.id.clone(),
        Err(e) if viewer.sees_all => return Err(e),
        Err(_) => return Err(forbidden()),
    };
    let own = viewer.party.as_deref() == Some(p.as_str());
    let member = viewer.party.as_ref().is_some_and(|v| st.margin_index.contains(&(p.clone(), PartyId::new(v))));
    if !(viewer.sees_all || own || member) {
        return Err(forbidden());
    }
    collateral::clearing(st, &p)
}

/// A clearing house's margin report at the ledger's time (the head block's).
pub fn margin_report(st: &State, viewer: &Viewer, ccp: &str) -> Result<MarginReport, Refusal> {
    let c = clearing_for(st, viewer, ccp)?;
    let meta = st.meta();
    let now = meta.time;
    let s = &c.schedule;
    let dec = decimals_of(st, &s.cash_asset)?;
    let mut members = Vec::new();
    for id in collateral::member_accounts(st, &c.ccp) {
        let acc = collateral::account(st, id)?;
        if viewer.sees(&acc) {
            members.push(margin_row(st, &acc, now)?);
        }
    }
    Ok(MarginReport {
        name: st.party(st.party_idx(&c.ccp)?).name.clone(),
        ccp: c.ccp.clone(),
        height: meta.height,
        time: now,
        cash_asset: s.cash_asset.clone(),
        decimals: dec,
        schedule_from: c.effective_from,
        call_deadline_seconds: s.call_deadline_seconds,
        fund_share_haircut_bps: s.fund_share_haircut_bps,
        skin_in_the_game: decimal_units(s.skin_in_the_game, dec),
        skin_in_the_game_units: s.skin_in_the_game,
        capital_used: decimal_units(c.capital_used, dec),
        capital_used_units: c.capital_used,
        members,
    })
}

/// Every pledge the viewer may see, by account then asset and wallet.
pub fn pledges(st: &State, viewer: &Viewer) -> Result<Vec<PledgeRow>, Refusal> {
    viewer.authenticated()?;
    let now = st.meta().time;
    let mut out = Vec::new();
    for (_, acc) in st.collateral_accounts.sorted() {
        if acc.pledges.is_empty() || !viewer.sees(acc) {
            continue;
        }
        let (lines, _) = pledge_lines(st, acc, now)?;
        out.extend(lines.into_iter().map(|pledge| PledgeRow {
            account: acc.id,
            account_kind: match acc.kind {
                AccountKind::Margin => "margin".into(),
                AccountKind::Loan => "loan".into(),
            },
            pledgee: acc.pledgee.clone(),
            pledgor: acc.pledgor.clone(),
            cash_asset: acc.cash_asset.clone(),
            pledge,
        }));
    }
    Ok(out)
}

/// Every margin call the viewer may see, open and closed, by id.
pub fn calls(st: &State, viewer: &Viewer) -> Result<Vec<CallRow>, Refusal> {
    viewer.authenticated()?;
    let now = st.meta().time;
    let mut out = Vec::new();
    for (_, c) in st.margin_calls.sorted() {
        let row = call_row(st, c, now)?;
        if viewer.sees(&row) {
            out.push(row);
        }
    }
    Ok(out)
}

/// Every loan the viewer may see (as borrower or lender), by id.
pub fn loans(st: &State, viewer: &Viewer) -> Result<Vec<LoanRow>, Refusal> {
    viewer.authenticated()?;
    let now = st.meta().time;
    let mut out = Vec::new();
    for (_, l) in st.loans.sorted() {
        let row = loan_row(st, l, now)?;
        if viewer.sees(&row) {
            out.push(row);
        }
    }
    Ok(out)
}

// Whom each row concerns (the visibility rule in `super::viewer` reads these).

fn parties(ps: [&PartyId; 2]) -> Involved {
    Involved { parties: ps.into_iter().cloned().collect(), ..Involved::default() }
}

impl Involves for Account {
    fn involves(&self) -> Involved {
        parties([&self.pledgor, &self.pledgee]).with_wallets_in(&self.pledges)
    }
}

impl Involves for CallRow {
    fn involves(&self) -> Involved {
        parties([&self.member, &self.ccp])
    }
}

impl Involves for PledgeRow {
    fn involves(&self) -> Involved {
        let mut i = parties([&self.pledgor, &self.pledgee]);
        i.wallets.insert(self.pledge.wallet);
        i
    }
}

impl Involves for LoanRow {
    fn involves(&self) -> Involved {
        let mut i = parties([&self.borrower_party, &self.lender_party]);
        i.wallets.extend([self.borrower, self.lender]);
        i
    }
}
