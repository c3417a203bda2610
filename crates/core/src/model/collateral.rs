//! Collateral and margin (C1–C5): clearing houses' schedules, pledges, margin accounts, calls,
//! the default waterfall and loans against pledged tokens. Records, operation payloads, events
//! and the pure arithmetic of haircuts (rules in `collateral`).
//!
//! Invariants (checked by `collateral::check`):
//! - every pledge's units are locked in the pledging wallet's holding (with the other open
//!   commitments, `invariants` invariant 3), and a pledging wallet belongs to the pledgor;
//! - a live account's stored coverage equals its coverage recomputed from scratch (the
//!   incremental revaluation touched every account a change touched);
//! - a schedule's haircut bands of one instrument do not overlap and every haircut is within
//!   0–100%.
//!
//! Data only: this module imports no rule module (see `model`).

use crate::code::{refuse, Code, Refusal};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Basis points in a whole.
pub const BPS: u32 = 10_000;
/// Pledges one account may hold, at most (one per asset and wallet).
pub const MAX_PLEDGES: usize = 64;
/// Rows of one schedule, at most.
pub const MAX_SCHEDULE_ROWS: usize = 512;
/// Collateral kinds as the shipped CCP table names them.
pub const KIND_SOVEREIGN_BOND: &str = "sovereign_bond";
pub const KIND_MUTUAL_FUND: &str = "mutual_fund";

/// The shipped reference data (DOMAIN.md §3), compiled in so that a schedule imported from it
/// is the same on every machine; the operation records the rows it imported.
pub const SHIPPED_ELIGIBILITY: &str = include_str!("../../../../data/ccp_eligible_collateral.csv");
pub const SHIPPED_HAIRCUTS: &str = include_str!("../../../../data/ust_haircuts.csv");

/// One accepted (kind, issuer country, currency) row of a schedule. An empty country
/// accepts any issuer (the shipped table leaves it empty for kinds such as funds).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Eligible {
    pub kind: String,
    #[serde(default)]
    pub issuer_country: String,
    pub currencies: Vec<String>,
}

/// Which Treasury instruments a haircut band covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BandInstrument {
    Bill,
    NoteOrBond,
    /// Bills, notes and bonds alike (OCC's table).
    Any,
}

/// A haircut for Treasuries with remaining maturity in `[from_days, to_days)` (no upper bound
/// when `to_days` is absent). Years in the shipped table are 365 days.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HaircutBand {
    pub instrument: BandInstrument,
    pub from_days: u32,
    #[serde(default)]
    pub to_days: Option<u32>,
    pub haircut_bps: u32,
}

/// Concentration limits. Values are in the schedule's cash asset, after haircuts; the part of
/// a member's collateral above a limit counts zero.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Fund shares counted per member, at most (CME IEF2: $5bn per member and affiliates).
    #[serde(with = "amount_serde_opt")]
    pub fund_shares_per_member: Option<Amount>,
    /// One fund's shares counted per member, at most this share of the fund's assets…
    pub per_fund_bps_of_assets: Option<u32>,
    /// …and at most this (IEF2: min(5% of the fund's assets, $1.5bn)).
    #[serde(with = "amount_serde_opt")]
    pub per_fund_cap: Option<Amount>,
    /// A member whose fund shares are worth at least this…
    #[serde(with = "amount_serde_opt")]
    pub single_fund_threshold: Option<Amount>,
    /// …counts at most this share of them in any one fund (IEF2: ≥ $200M → ≤ 50%).
    pub single_fund_max_bps: Option<u32>,
    /// All members' deposits of one fund, at most this share of the fund's assets: a pledge
    /// that would pass it is refused (IEF2: 15%).
    pub ccp_per_fund_bps_of_assets: Option<u32>,
    /// Collateral of one issuer other than cash and sovereign bonds, counted at most this share
    /// of the member's requirement… (LCH agency debt: 20%)
    pub per_issuer_bps_of_requirement: Option<u32>,
    /// …and at most this (LCH agency debt: $500M).
    #[serde(with = "amount_serde_opt")]
    pub per_issuer_cap: Option<Amount>,
}

/// A clearing house's collateral schedule and margin parameters.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The cash token values, requirements and variation margin are counted in. Variation
    /// margin is met in cash tokens of its currency only.
    pub cash_asset: Symbol,
    /// The clearing house's wallet: it receives appropriated collateral, liquidation proceeds
    /// and default-fund contributions.
    pub wallet: WalletId,
    /// Accepted collateral: a list of rows, or `{ shipped: CME }` for the shipped table's
    /// column of that clearing house.
    #[serde(deserialize_with = "shipped::eligible")]
    pub eligible: Vec<Eligible>,
    /// Treasury haircuts by remaining maturity: a list of bands, or `{ shipped: CME }`.
    #[serde(deserialize_with = "shipped::haircuts")]
    pub haircuts: Vec<HaircutBand>,
    /// Haircut on fund shares (IEF2: 3%).
    pub fund_share_haircut_bps: u32,
    #[serde(default)]
    pub limits: Limits,
    /// Time to meet a call (default one hour).
    #[serde(default = "default_deadline")]
    pub call_deadline_seconds: u64,
    /// The daily call: at this many seconds after midnight UTC every short account is called
    /// (LCH: by 08:00).
    #[serde(default = "default_daily_call")]
    pub daily_call_second: u32,
    /// When set, excess cash is returned automatically each day at this many seconds after
    /// midnight UTC (LCH: 09:15): cash pledged in the schedule's cash asset above what the
    /// requirement and the variation margin need goes back to the member.
    #[serde(default)]
    pub excess_return_second: Option<u32>,
    /// An intraday call when a price moves by at least this much and leaves an account short,
    /// or a requirement rises by at least this much (OCC: one intraday call on a large risk
    /// increase).
    #[serde(default = "default_intraday")]
    pub intraday_threshold_bps: u32,
    /// When set, intraday calls are raised only from the first to the second time of day
    /// (seconds after midnight UTC; LCH: 09:00–21:00); a trigger outside it waits for the
    /// window, unless the daily call catches the account first.
    #[serde(default)]
    pub intraday_window: Option<(u32, u32)>,
    /// The standing bid that buys a defaulter's securities by delivery versus payment.
    #[serde(default)]
    pub liquidation_buyer: Option<WalletId>,
    /// The standing bid's discount to market value.
    #[serde(default)]
    pub liquidation_discount_bps: u32,
    /// The clearing house's own capital at risk in a default, before survivors' default
    /// fund ("skin in the game", at least 25% of its minimum capital).
    #[serde(with = "amount_serde", default)]
    pub skin_in_the_game: Amount,
    /// Tri-party mode (C6): collateral is held by this custodian, in a segregated account in
    /// each member's name; the clearing house holds the mirror (the pledge record), which it
    /// can release or appropriate, moving the underlying in the same transaction.
    #[serde(default)]
    pub custodian: Option<PartyId>,
}

fn default_deadline() -> u64 {
    3_600
}
fn default_daily_call() -> u32 {
    8 * 3_600
}
fn default_intraday() -> u32 {
    100
}

impl Schedule {
    /// Checks the schedule's shape: haircuts within 0–100%, bands of one instrument not
    /// overlapping, sizes bounded.
    pub fn check(&self) -> Result<(), Refusal> {
        let bad = |m: String| refuse(Code::CollateralBadSchedule, m);
        check_symbol(&self.cash_asset)?;
        if self.eligible.len() > MAX_SCHEDULE_ROWS || self.haircuts.len() > MAX_SCHEDULE_ROWS {
            return bad(format!("a schedule holds at most {MAX_SCHEDULE_ROWS} rows of each kind"));
        }
        for e in &self.eligible {
            check_text("collateral kind", &e.kind, 64)?;
            check_text("issuer country", &e.issuer_country, 8)?;
            if e.currencies.is_empty() || e.currencies.len() > 16 {
                return bad(format!("eligible {}: between 1 and 16 currencies", e.kind));
            }
            for c in &e.currencies {
                check_text("currency", c, 8)?;
            }
        }
        let pct = |bps: u32, what: &str| -> Result<(), Refusal> {
            if bps > BPS {
                return refuse(
                    Code::CollateralBadSchedule,
                    format!("{what} of {bps} bps is outside 0–100% (0–10000 bps)"),
                );
            }
            Ok(())
        };
        pct(self.fund_share_haircut_bps, "the fund-share haircut")?;
        pct(self.liquidation_discount_bps, "the liquidation discount")?;
        for b in &self.haircuts {
            pct(b.haircut_bps, "a haircut")?;
            if b.to_days.is_some_and(|t| t <= b.from_days) {
                return bad(format!("a haircut band from {} days must end after it starts", b.from_days));
            }
        }
        for (i, a) in self.haircuts.iter().enumerate() {
            for b in &self.haircuts[..i] {
                let same = a.instrument == b.instrument
                    || a.instrument == BandInstrument::Any
                    || b.instrument == BandInstrument::Any;
                let overlap = a.to_days.is_none_or(|t| t > b.from_days) && b.to_days.is_none_or(|t| t > a.from_days);
                if same && overlap {
                    return bad(format!(
                        "haircut bands overlap: {} from {} days and {} from {} days",
                        a.instrument, a.from_days, b.instrument, b.from_days
                    ));
                }
            }
        }
        let l = &self.limits;
        for (bps, what) in [
            (l.per_fund_bps_of_assets, "the per-fund limit"),
            (l.single_fund_max_bps, "the single-fund limit"),
            (l.ccp_per_fund_bps_of_assets, "the clearing house's per-fund limit"),
            (l.per_issuer_bps_of_requirement, "the per-issuer limit"),
        ] {
            if let Some(b) = bps {
                pct(b, what)?;
            }
        }
        if self.call_deadline_seconds == 0 || self.call_deadline_seconds > 7 * 86_400 {
            return bad("the call deadline must be between 1 second and 7 days".into());
        }
        if self.intraday_window.is_some_and(|(from, to)| from >= to || to > 86_400) {
            return bad("the intraday window must start before it ends, within the day (0–86400 seconds)".into());
        }
        if self.daily_call_second >= 86_400 || self.excess_return_second.is_some_and(|s| s >= 86_400) {
            return bad("the daily call and excess return times must be within the day (0–86399 seconds)".into());
        }
        Ok(())
    }

    /// The haircut for a Treasury with `days` to maturity, if a band covers it.
    pub fn treasury_haircut(&self, bill: bool, days: u64) -> Option<u32> {
        self.haircuts
            .iter()
            .find(|b| {
                let fits = match b.instrument {
                    BandInstrument::Any => true,
                    BandInstrument::Bill => bill,
                    BandInstrument::NoteOrBond => !bill,
                };
                fits && days >= u64::from(b.from_days) && b.to_days.is_none_or(|t| days < u64::from(t))
            })
            .map(|b| b.haircut_bps)
            // A bill with no band of its own takes the note band of its maturity (CME's table
            // gives bills one band only).
            .or_else(|| if bill { self.treasury_haircut(false, days) } else { None })
    }

    /// Whether collateral of this kind, issuer country and currency is accepted.
    pub fn accepts(&self, kind: &str, country: &str, currency: &str) -> bool {
        self.eligible.iter().any(|e| {
            e.kind == kind
                && (e.issuer_country.is_empty() || e.issuer_country == country)
                && e.currencies.iter().any(|c| c == currency)
        })
    }
}

impl std::fmt::Display for BandInstrument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BandInstrument::Bill => "bill",
            BandInstrument::NoteOrBond => "note_or_bond",
            BandInstrument::Any => "any",
        })
    }
}

/// Importing the shipped CSV tables (pure: the text is compiled in).
pub mod shipped {
    use super::*;
    use serde::de::{Deserializer, Error};

    /// The eligibility rows of one clearing house's column ("CME", "EUREX", "ICE_CLEAR_EUROPE",
    /// "LCH_LTD", "OCC"), in file order.
    pub fn eligibility(ccp: &str) -> Option<Vec<Eligible>> {
        let mut lines = SHIPPED_ELIGIBILITY.lines();
        let header: Vec<&str> = lines.next()?.split(',').collect();
        let col = header.iter().position(|h| h.trim() == ccp)?;
        Some(
            lines
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(',').map(str::trim).collect();
                    (f.get(col) == Some(&"Y")).then(|| Eligible {
                        kind: f[0].to_string(),
                        issuer_country: f.get(1).copied().unwrap_or_default().to_string(),
                        currencies: f.get(2).copied().unwrap_or_default().split('|').map(String::from).collect(),
                    })
                })
                .collect(),
        )
    }

    /// The Treasury haircut bands of one clearing house ("CME", "OCC", "ICE_CLEAR_CREDIT").
    pub fn haircut_bands(ccp: &str) -> Option<Vec<HaircutBand>> {
        let rows: Vec<HaircutBand> = SHIPPED_HAIRCUTS
            .lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').map(str::trim).collect();
                if f.first() != Some(&ccp) {
                    return None;
                }
                let instrument = match *f.get(1)? {
                    "bill" => BandInstrument::Bill,
                    "note_or_bond" => BandInstrument::NoteOrBond,
                    _ => BandInstrument::Any,
                };
                let years = |s: &str| s.parse::<u32>().ok().and_then(|y| y.checked_mul(365));
                let from_days = years(f.get(2)?)?;
                let to_days = match *f.get(3)? {
                    "" => None,
                    s => Some(years(s)?),
                };
                let haircut_bps = pct_to_bps(f.get(4)?)?;
                Some(HaircutBand { instrument, from_days, to_days, haircut_bps })
            })
            .collect();
        (!rows.is_empty()).then_some(rows)
    }

    /// "2.75" (percent) → 275 bps, exactly; more than two decimals is not a bps figure.
    fn pct_to_bps(s: &str) -> Option<u32> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if frac.len() > 2 {
            return None;
        }
        let frac = format!("{frac:0<2}");
        whole.parse::<u32>().ok()?.checked_mul(100)?.checked_add(frac.parse::<u32>().ok()?)
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OrShipped<T> {
        List(Vec<T>),
        Shipped { shipped: String },
    }

    pub fn eligible<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Eligible>, D::Error> {
        match OrShipped::<Eligible>::deserialize(d)? {
            OrShipped::List(v) => Ok(v),
            OrShipped::Shipped { shipped } => eligibility(&shipped).ok_or_else(|| {
                D::Error::custom(format!(
                    "no clearing house {shipped} in the shipped eligibility table (CME, EUREX, ICE_CLEAR_EUROPE, LCH_LTD, OCC)"
                ))
            }),
        }
    }

    pub fn haircuts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<HaircutBand>, D::Error> {
        match OrShipped::<HaircutBand>::deserialize(d)? {
            OrShipped::List(v) => Ok(v),
            OrShipped::Shipped { shipped } => haircut_bands(&shipped).ok_or_else(|| {
                D::Error::custom(format!(
                    "no clearing house {shipped} in the shipped haircut table (CME, OCC, ICE_CLEAR_CREDIT)"
                ))
            }),
        }
    }
}

/// `Option<Amount>` as an optional decimal string (as `amount_serde`).
pub mod amount_serde_opt {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Amount>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(a) => s.serialize_some(&a.to_string()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Amount>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "amount_serde")] Amount);
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

/// A clearing house's record: its schedule in force, those waiting for their time, and what
/// its defaults have used.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Clearing {
    pub ccp: PartyId,
    pub schedule: Schedule,
    pub effective_from: Time,
    /// Later schedules, by the time they apply from (sorted).
    pub pending: Vec<(Time, Schedule)>,
    /// Skin in the game used by defaults so far.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub capital_used: Amount,
    /// The last day (days since epoch) the daily call ran.
    pub daily_call_day: u64,
    /// The last day (days since epoch) excess cash was returned.
    pub excess_return_day: u64,
}

/// What an account is for.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// A clearing member's margin account at a clearing house.
    Margin,
    /// The collateral of a loan (same id).
    Loan,
}

/// Units of one asset in one wallet, pledged to the account's pledgee: still the pledgor's
/// (yield keeps accruing to the wallet), locked, moved only by the pledgee.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pledge {
    pub asset: Symbol,
    pub wallet: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub since: Time,
}

/// An account's coverage as last valued, in the schedule's (or loan's) cash asset.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// Σ market value (with accrued interest; fund shares at NAV).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub market: Amount,
    /// Σ value × (1 − haircut).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub after_haircut: Amount,
    /// What counts: after haircuts and concentration limits.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub counted: Amount,
    /// Of `counted`, cash (the only thing that meets variation margin).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub cash: Amount,
    /// Pledges no price stands for (counted zero).
    pub unpriced: u32,
}

impl Coverage {
    /// What concentration limits left out.
    pub fn above_limits(&self) -> Amount {
        self.after_haircut.checked_sub(self.counted).expect("limits only remove value")
    }
}

/// A margin requirement as the clearing house's risk engine last sent it.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Requirement {
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub initial: Amount,
    /// Mark-to-market losses owed, met in cash only.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub variation: Amount,
    pub at: Option<Time>,
}

impl Requirement {
    pub fn total(&self) -> Result<Amount, Refusal> {
        add(self.initial, self.variation)
    }
}

/// What an account's pledges stand in, in the account's cash asset: `max(requirement −
/// counted, variation − cash, 0)`.
pub fn shortfall(r: &Requirement, c: &Coverage) -> Result<Amount, Refusal> {
    let total = r.total()?;
    // Saturating on purpose: coverage above the requirement leaves no shortfall.
    Ok(total.saturating_sub(c.counted).max(r.variation.saturating_sub(c.cash)))
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum AccountStatus {
    Active,
    Defaulted { at: Time, call: u64 },
    Closed { at: Time },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: u64,
    pub kind: AccountKind,
    pub pledgee: PartyId,
    pub pledgor: PartyId,
    /// The cash asset coverage is counted in.
    pub cash_asset: Symbol,
    /// Sorted by (asset, wallet).
    pub pledges: Vec<Pledge>,
    pub requirement: Requirement,
    /// Cash contributed to the clearing house's default fund (held in its wallet).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub default_fund: Amount,
    /// Assessments the member owes after a default exhausted the default fund.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub assessed: Amount,
    pub status: AccountStatus,
    /// Tri-party: the member's segregated account at the clearing house's custodian, where
    /// its pledged units are held (a wallet of the member's party whose key the custodian
    /// keeps).
    pub segregated: Option<WalletId>,
}

/// An account's standing as last valued: its coverage and its open call. Kept apart from the
/// account, whose pledges change only when posted or released, because every revaluation
/// rewrites it and a small record costs little to hash into the state digest.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Standing {
    pub coverage: Coverage,
    pub call: Option<u64>,
}

impl Account {
    pub fn active(&self) -> bool {
        self.status == AccountStatus::Active
    }
    pub fn pledged(&self, asset: &Symbol, wallet: &WalletId) -> Amount {
        self.pledges.iter().find(|p| p.asset == *asset && p.wallet == *wallet).map(|p| p.amount).unwrap_or(0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    Daily,
    Intraday,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CallStatus {
    Open,
    Met { at: Time },
    Defaulted { at: Time },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarginCall {
    pub id: u64,
    pub account: u64,
    pub ccp: PartyId,
    pub member: PartyId,
    pub kind: CallKind,
    pub raised_at: Time,
    pub deadline: Time,
    pub cash_asset: Symbol,
    /// The shortfall when raised.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub status: CallStatus,
}

/// Loan terms (C5): cash against pledged tokens, interest ACT/360.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoanTerms {
    pub lender: WalletId,
    pub cash_asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub principal: Amount,
    /// Annual rate, ACT/360.
    pub rate_bps: u32,
    /// Funding is refused above this loan-to-value.
    pub max_ltv_bps: u32,
    /// At or above this loan-to-value the collateral is liquidated at the next block boundary.
    pub liquidation_ltv_bps: u32,
    /// Buys the collateral by delivery versus payment on liquidation; without one, the lender
    /// takes the collateral at market value.
    #[serde(default)]
    pub liquidation_buyer: Option<WalletId>,
}

impl LoanTerms {
    pub fn check(&self) -> Result<(), Refusal> {
        check_symbol(&self.cash_asset)?;
        if self.principal == 0 {
            return refuse(Code::AmountZero, "the principal must be positive");
        }
        if self.max_ltv_bps == 0 || self.max_ltv_bps >= self.liquidation_ltv_bps || self.liquidation_ltv_bps > BPS {
            return refuse(
                Code::CollateralBadLoan,
                format!(
                    "maximum loan-to-value {} bps must be positive and below the liquidation threshold {} bps, itself at most 10000",
                    self.max_ltv_bps, self.liquidation_ltv_bps
                ),
            );
        }
        if self.rate_bps > 100_000 {
            return refuse(Code::CollateralBadLoan, "the rate is at most 1000% (100000 bps)");
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum LoanStatus {
    Requested,
    Open {
        at: Time,
    },
    Repaid {
        at: Time,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        interest: Amount,
    },
    Liquidated {
        at: Time,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        debt: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        proceeds: Amount,
    },
    Cancelled {
        at: Time,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Loan {
    /// Also the id of the account holding its collateral.
    pub id: u64,
    pub borrower: WalletId,
    pub terms: LoanTerms,
    pub status: LoanStatus,
}

/// Interest ACT/360 on `principal` for `days`, rounded half up to the minor unit.
pub fn interest_act_360(principal: Amount, rate_bps: u32, days: u64) -> Result<Amount, Refusal> {
    let overflow = || Refusal::new(Code::AmountOverflow, "interest overflows");
    let num = principal
        .checked_mul(Amount::from(rate_bps))
        .and_then(|x| x.checked_mul(Amount::from(days)))
        .ok_or_else(overflow)?;
    let den: Amount = 10_000 * 360;
    Ok(num.checked_add(den / 2).ok_or_else(overflow)? / den)
}

/// Loan-to-value in basis points, rounded up (so a threshold is never missed by rounding);
/// collateral worth nothing is an infinite loan-to-value.
pub fn ltv_bps(debt: Amount, value: Amount) -> u64 {
    if value == 0 {
        return u64::MAX;
    }
    let num = debt.saturating_mul(Amount::from(BPS));
    // Saturating on purpose: an LTV beyond u64 is "above any threshold".
    u64::try_from(num.div_ceil(value)).unwrap_or(u64::MAX)
}

/// Counters of this module's records (one entry, key 0).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Counters {
    pub next_account: u64,
    pub next_call: u64,
    /// The last day (days since epoch) every open loan's loan-to-value was checked.
    pub loans_day: u64,
}

/// What a pledged asset was last valued at: the revaluation compares against it to find the
/// accounts a change touched.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct PriceMark {
    /// One whole unit's value × 10^8 in its currency; `None` when no price stands.
    pub unit_price: Option<u128>,
    /// What else its counted value depends on: a Treasury's days to maturity (its haircut
    /// band), a fund's assets (its concentration limit).
    pub aux: u128,
}

// ---- operation payloads (see `op`)

/// Sets a clearing house's collateral schedule from a time (the first one registers it).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetCollateralSchedule {
    pub ccp: PartyId,
    pub effective_from: Time,
    pub schedule: Schedule,
}

/// The clearing house admits a member: opens its margin account.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdmitMember {
    pub member: PartyId,
}

/// A member pledges units of its own holding to a clearing house (posts margin).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PledgeCollateral {
    pub ccp: PartyId,
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

/// A member takes back pledged units, down to its requirement.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WithdrawCollateral {
    pub ccp: PartyId,
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

/// The pledgee releases pledged units to their owner.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseCollateral {
    pub member: PartyId,
    pub wallet: WalletId,
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

/// A member swaps pledged collateral for other collateral, atomically.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubstitutePledge {
    pub ccp: PartyId,
    pub release_asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub release_amount: Amount,
    pub pledge_asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub pledge_amount: Amount,
}

/// The clearing house's risk engine sends a member's requirement.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetMarginRequirement {
    /// The clearing house whose risk engine speaks (the signer must be its wallet).
    pub ccp: PartyId,
    pub member: PartyId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub initial_margin: Amount,
    #[serde(with = "amount_serde", default)]
    pub variation_margin: Amount,
}

/// A member pays cash into the clearing house's default fund.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContributeDefaultFund {
    pub ccp: PartyId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

/// Tri-party (C6): the custodian names the member's segregated account (a wallet of the
/// member's party it keeps the key of) where collateral for this clearing house is held.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenSegregatedAccount {
    pub ccp: PartyId,
    pub member: PartyId,
    pub wallet: WalletId,
}

/// A borrower asks for a loan and pledges its collateral to the lender at once.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequestLoan {
    pub terms: LoanTerms,
    pub collateral_asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub collateral_amount: Amount,
}

/// The lender funds a requested loan (cash to the borrower).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FundLoan {
    pub loan: u64,
}

/// The borrower repays principal and interest; the pledge is released.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RepayLoan {
    pub loan: u64,
}

/// Either side withdraws a loan not yet funded; the pledge is released.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelLoan {
    pub loan: u64,
}

// ---- events

/// What the collateral rules did (inside `Event::Collateral`). Never reorder: the borsh tag
/// is the position.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CollateralEvent {
    ScheduleSet {
        ccp: PartyId,
        effective_from: Time,
        eligible: u32,
        bands: u32,
    },
    ScheduleInForce {
        ccp: PartyId,
        effective_from: Time,
    },
    MemberAdmitted {
        ccp: PartyId,
        member: PartyId,
        account: u64,
    },
    Pledged {
        account: u64,
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    Released {
        account: u64,
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    RequirementSet {
        account: u64,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        initial: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        variation: Amount,
    },
    DefaultFundContributed {
        account: u64,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    CallRaised {
        call: u64,
        account: u64,
        kind: CallKind,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        deadline: Time,
    },
    CallMet {
        call: u64,
        account: u64,
    },
    CallDefaulted {
        call: u64,
        account: u64,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        shortfall: Amount,
    },
    /// Pledged cash (or securities no buyer took) moved to the pledgee.
    Appropriated {
        call: u64,
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        value: Amount,
    },
    /// Pledged securities sold by delivery versus payment.
    Liquidated {
        call: u64,
        asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        buyer: WalletId,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        proceeds: Amount,
    },
    /// A pledge the default could not realize (the code says why); it stays pledged.
    NotRealized {
        call: u64,
        asset: Symbol,
        wallet: WalletId,
        code: String,
    },
    /// How a default's loss was covered, layer by layer; the layers sum to the loss.
    Waterfall {
        call: u64,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        loss: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        defaulter_margin: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        defaulter_default_fund: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        ccp_capital: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        survivors_default_fund: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        assessments: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        uncovered: Amount,
        /// Margin proceeds above the loss, returned to the defaulter.
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        returned: Amount,
    },
    LoanRequested {
        loan: u64,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        principal: Amount,
    },
    LoanFunded {
        loan: u64,
        ltv_bps: u64,
    },
    LoanRepaid {
        loan: u64,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        principal: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        interest: Amount,
    },
    LoanCancelled {
        loan: u64,
    },
    LoanLiquidated {
        loan: u64,
        ltv_bps: u64,
        cash_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        debt: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        proceeds: Amount,
        /// Proceeds above the debt, paid to the borrower.
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        returned: Amount,
    },
    SegregatedAccountOpened {
        ccp: PartyId,
        member: PartyId,
        custodian: PartyId,
        wallet: WalletId,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_cme_column_accepts_us_treasuries_and_usd_funds() {
        let cme = shipped::eligibility("CME").unwrap();
        let s = |e: Vec<Eligible>| Schedule {
            cash_asset: Symbol::new("USDX"),
            wallet: WalletId([0; 32]),
            eligible: e,
            haircuts: shipped::haircut_bands("CME").unwrap(),
            fund_share_haircut_bps: 300,
            limits: Limits::default(),
            call_deadline_seconds: 3600,
            daily_call_second: 28_800,
            excess_return_second: None,
            intraday_threshold_bps: 100,
            intraday_window: None,
            liquidation_buyer: None,
            liquidation_discount_bps: 0,
            skin_in_the_game: 0,
            custodian: None,
        };
        let cme = s(cme);
        assert!(cme.accepts(KIND_SOVEREIGN_BOND, "US", "USD"));
        assert!(cme.accepts(KIND_MUTUAL_FUND, "", "USD"));
        assert!(!cme.accepts(KIND_MUTUAL_FUND, "", "EUR"));
        assert!(!cme.accepts(KIND_SOVEREIGN_BOND, "IT", "EUR"));
        cme.check().unwrap();
        // CME 2014: bills 0.5% under a year, notes 1% under a year, 2% 1–3y, 6% beyond 10y.
        assert_eq!(cme.treasury_haircut(true, 90), Some(50));
        assert_eq!(cme.treasury_haircut(false, 90), Some(100));
        assert_eq!(cme.treasury_haircut(false, 400), Some(200));
        assert_eq!(cme.treasury_haircut(false, 365 * 30), Some(600));
        assert_eq!(shipped::haircut_bands("ICE_CLEAR_CREDIT").unwrap()[1].haircut_bps, 275);
        assert!(shipped::eligibility("NOPE").is_none());
    }

    #[test]
    fn overlapping_bands_and_haircuts_above_100_percent_are_refused() {
        let mut s: Schedule = serde_json::from_value(serde_json::json!({
            "cash_asset": "USDX", "wallet": "00".repeat(32),
            "eligible": { "shipped": "OCC" }, "haircuts": { "shipped": "OCC" },
            "fund_share_haircut_bps": 300
        }))
        .unwrap();
        s.check().unwrap();
        s.haircuts.push(HaircutBand {
            instrument: BandInstrument::Bill,
            from_days: 100,
            to_days: Some(200),
            haircut_bps: 10,
        });
        assert_eq!(s.check().unwrap_err().code, Code::CollateralBadSchedule);
        s.haircuts.pop();
        s.fund_share_haircut_bps = 10_001;
        assert_eq!(s.check().unwrap_err().code, Code::CollateralBadSchedule);
    }

    #[test]
    fn interest_and_loan_to_value() {
        // 1,000,000.00 at 5% for 30 days ACT/360 = 4,166.67
        assert_eq!(interest_act_360(100_000_000, 500, 30).unwrap(), 416_667);
        assert_eq!(ltv_bps(80, 100), 8_000);
        assert_eq!(ltv_bps(1, 3), 3_334);
        assert_eq!(ltv_bps(1, 0), u64::MAX);
    }

    #[test]
    fn shortfall_counts_variation_margin_in_cash_only() {
        let r = Requirement { initial: 100, variation: 30, at: None };
        let c = Coverage { counted: 200, cash: 10, ..Default::default() };
        assert_eq!(shortfall(&r, &c).unwrap(), 20);
        let c = Coverage { counted: 120, cash: 40, ..Default::default() };
        assert_eq!(shortfall(&r, &c).unwrap(), 10);
    }
}
