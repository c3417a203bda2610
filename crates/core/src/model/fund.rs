//! Funds as records: specs (operation payloads), share classes, valuations, positions, redemptions and fund events (rules in `fund`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::code::{refuse, Code, Refusal};
use crate::model::oracle::FeedKind;
use crate::model::yields;
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

pub(crate) const BPS: u128 = 10_000;
pub(crate) const DAY: u64 = 86_400;

// ---------------------------------------------------------------- specs (operations' payloads)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct FundParams {
    /// Seconds after midnight UTC of the daily valuation (NAV strike).
    pub valuation_seconds: u32,
    pub min_dla_bps: u32,
    pub min_wla_bps: u32,
    pub max_wam_days: u32,
    pub max_wal_days: u32,
    pub max_maturity_days: u32,
    /// Cash the fund pays out instantly per day; beyond it redemptions queue.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub facility_daily_limit: Amount,
    /// Liquidity fee on redemptions while weekly liquid assets are below the threshold.
    pub liquidity_fee_bps: u32,
    pub liquidity_fee_below_wla_bps: u32,
    /// The breaker: a NAV per share move beyond this between valuations halts the fund.
    pub breaker_bps: u32,
    /// Day of the month from which the month's management fee is paid.
    pub fee_payout_day: u8,
    /// Oracle feed of the fund's gross yield (sets the stable classes' daily rate, net of fee).
    pub yield_feed: Option<String>,
    /// Oracle feed of the NAV per share as reported by the administrator (cross-check).
    pub nav_feed: Option<String>,
}

impl Default for FundParams {
    fn default() -> Self {
        FundParams {
            valuation_seconds: 54_000,
            min_dla_bps: 2_500,
            min_wla_bps: 5_000,
            max_wam_days: 60,
            max_wal_days: 120,
            max_maturity_days: 397,
            facility_daily_limit: 0,
            liquidity_fee_bps: 0,
            liquidity_fee_below_wla_bps: 0,
            breaker_bps: 50,
            fee_payout_day: 1,
            yield_feed: None,
            nav_feed: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FundSpec {
    pub fund: Symbol,
    pub name: String,
    pub manager: PartyId,
    /// The cash token subscriptions are paid in and redemptions paid out in.
    pub cash_asset: Symbol,
    /// The fund's account in the cash token.
    pub cash_wallet: WalletId,
    /// Where the management fee is paid.
    pub fee_wallet: WalletId,
    #[serde(default)]
    pub params: FundParams,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DomainFee {
    /// The deployment domain: the ledger's network id.
    pub domain: String,
    pub bps: u32,
}

fn d365() -> u16 {
    365
}
fn d_cutoff() -> u32 {
    54_000
}
fn d_one() -> u8 {
    1
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareClassSpec {
    pub fund: Symbol,
    /// An existing fund-share asset (stable or accumulating NAV) with no supply yet.
    pub asset: Symbol,
    /// Stable classes: day count (365 = ACT/365), cut-off of the holder of record, payout day,
    /// and the wallet that receives rounding remainders.
    #[serde(default = "d365")]
    pub basis: u16,
    #[serde(default = "d_cutoff")]
    pub cutoff_seconds: u32,
    #[serde(default = "d_one")]
    pub payout_day: u8,
    #[serde(default)]
    pub residual: Option<WalletId>,
    /// Minimum first and later investment, in cash minor units.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub min_first: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub min_later: Amount,
    /// Investor classes admitted (empty: any). Installed into the asset's policy.
    #[serde(default)]
    pub eligible: Vec<InvestorClass>,
    /// Jurisdictions refused (a non-US-only class: ["US"]). Installed into the asset's policy.
    #[serde(default)]
    pub denied_jurisdictions: Vec<String>,
    /// Management fee, basis points a year; `domain_fees` override it per deployment.
    #[serde(default)]
    pub fee_bps: u32,
    #[serde(default)]
    pub domain_fees: Vec<DomainFee>,
    /// Accumulating classes: the starting price (× 10^8; default 1.00000000).
    #[serde(default)]
    pub initial_price: Option<u64>,
    /// A fee on every redemption of this class (USDY: 20 bps).
    #[serde(default)]
    pub redemption_fee_bps: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Instrument {
    Bill {
        cusip: String,
        maturity: Time,
    },
    /// A note or bond: semiannual coupons counted back from maturity.
    Note {
        cusip: String,
        coupon_micros: u32,
        maturity: Time,
    },
    /// Reverse repo lent by the fund: principal = face; interest ACT/360.
    Repo {
        counterparty: String,
        rate_micros: u32,
        maturity: Time,
    },
}

impl Instrument {
    pub fn maturity(&self) -> Time {
        match self {
            Instrument::Bill { maturity, .. }
            | Instrument::Note { maturity, .. }
            | Instrument::Repo { maturity, .. } => *maturity,
        }
    }
    pub fn cusip(&self) -> Option<&str> {
        match self {
            Instrument::Bill { cusip, .. } | Instrument::Note { cusip, .. } => Some(cusip),
            Instrument::Repo { .. } => None,
        }
    }
    pub fn name(&self) -> String {
        match self {
            Instrument::Bill { cusip, .. } => format!("bill {cusip}"),
            Instrument::Note { cusip, .. } => format!("note {cusip}"),
            Instrument::Repo { counterparty, .. } => format!("repo with {counterparty}"),
        }
    }
    /// The same instrument with its identifier as a CUSIP (an ISIN given in the operation is
    /// kept as the CUSIP inside it, so positions and `PX:`/`YLD:` feeds match on one spelling).
    pub fn canonical(&self) -> Result<Instrument, Refusal> {
        let mut i = self.clone();
        if let Instrument::Bill { cusip, .. } | Instrument::Note { cusip, .. } = &mut i {
            *cusip = canonical_cusip(cusip)?;
        }
        Ok(i)
    }
    pub fn check(&self) -> Result<(), Refusal> {
        if let Some(c) = self.cusip() {
            canonical_cusip(c)?;
        }
        match self {
            Instrument::Note { coupon_micros, .. } if *coupon_micros > 200_000 => {
                refuse(Code::FundBadPosition, "a coupon above 20%")
            }
            Instrument::Repo { counterparty, rate_micros, .. } => {
                check_text("counterparty", counterparty, MAX_TEXT_LEN)?;
                if *rate_micros > 200_000 {
                    return refuse(Code::FundBadPosition, "a repo rate above 20%");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CashMovement {
    /// Cash received at the custodian from outside the ledger.
    Deposit,
    /// Cash paid out by the custodian outside the ledger.
    Withdraw,
    /// Custodian cash turned into cash tokens in the fund's wallet (the signer must be able
    /// to issue the cash token).
    ToLedger,
    /// Cash tokens in the fund's wallet redeemed into custodian cash.
    FromLedger,
}

// ---------------------------------------------------------------- records

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareClass {
    pub spec: ShareClassSpec,
    pub nav: NavKind,
    /// Price per share × 10^8 (stable classes: 1.00000000).
    pub price: u64,
    /// Accumulating classes: the monthly APY (ppb), the daily rate it implies (× 10^10: the
    /// USDY rule keeps 8 places of a percentage), and the price and day the current rate
    /// compounds from.
    pub apy_ppb: u64,
    pub daily_rate_e10: u64,
    pub base_price: u64,
    pub base_day: u64,
    /// The fee that applies on this ledger's domain.
    pub fee_bps: u32,
}

#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Metrics {
    pub dla_bps: u32,
    pub wla_bps: u32,
    pub wam_days: u32,
    pub wal_days: u32,
    pub longest_days: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassNav {
    pub asset: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub shares: Amount,
    pub price: u64,
    pub nav_per_share: u64,
    /// Stable classes: the net annual rate set for the day (ppb) and Σ yield paid so far.
    pub rate_ppb: u64,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub yield_paid: Amount,
}

/// A fund's shadow-NAV monitoring (rules version 2): an alert each time the market-based NAV
/// per share of its stable classes first moves at least one of these distances from 1.0000,
/// in basis points (SEC Rule 2a-7's "breaking the buck" is 50: below 0.9950).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    pub shadow_nav_alert_bps: Vec<u32>,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring { shadow_nav_alert_bps: vec![25, 50] }
    }
}

/// The dividend declared to one stable class on one valuation day.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dividend {
    pub asset: Symbol,
    /// Cash minor units of income declared (what the class's holders were credited).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    /// The same as an annual rate per share on the class's basis, ppb (for display).
    pub rate_ppb: u64,
}

/// One valuation day's income and dividends (rules version 2; DOMAIN "Stable NAV: the daily
/// dividend"). All amounts in cash minor units.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DayIncome {
    pub at: Time,
    /// Net assets with every position at amortized cost, before the day's dividend.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amortized_nav: Amount,
    /// Σ shares × class price: what 1.0000 per share is worth.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub book: Amount,
    /// Undistributed net income: amortized NAV above book value (zero when below).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub income: Amount,
    pub dividends: Vec<Dividend>,
    /// The market-based NAV per 1.00 of book after the dividend (× 10^8): the shadow NAV.
    pub shadow_ratio: u64,
}

/// One daily valuation.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Valuation {
    pub at: Time,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub positions: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub cash: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub assets: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub liabilities: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub nav: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub book: Amount,
    /// NAV per 1.00 of book value × 10^8 (the shadow NAV of a stable class).
    pub ratio: u64,
    pub classes: Vec<ClassNav>,
    pub metrics: Metrics,
    /// The fund's gross yield from its feed (× 10^8), if it stood.
    pub gross_yield: Option<u64>,
    /// Positions priced from oracle feeds, from the yield formulas / amortized cost.
    pub priced_by_oracle: u32,
    pub priced_by_formula: u32,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub fee_accrued: Amount,
    /// Yield accrued to stable classes' holders, not yet paid (rounded down).
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub dividends_payable: Amount,
    /// Whether the fund was halted by its breaker when valued, or tripped since the last
    /// valuation.
    pub halted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fund {
    pub spec: FundSpec,
    pub manager: PartyIdx,
    pub cash_asset: AssetIdx,
    pub cash_wallet: WalletIdx,
    pub fee_wallet: WalletIdx,
    pub classes: Vec<AssetIdx>,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub custodian_cash: Amount,
    /// Why subscriptions and redemptions are halted (the breaker), until governance resets.
    pub halted: Option<String>,
    /// The last day (days since epoch) valued.
    pub valued_through_day: u64,
    pub last: Option<Valuation>,
    /// Management fee accrued and not yet paid, × `yields::SCALE`.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::LargeIntegerSchema))]
    pub fee_accrued_scaled: u128,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub fee_paid: Amount,
    pub last_fee_payout: (i64, u32),
    /// (day, instant redemptions paid that day).
    pub facility: (u64, Amount),
    /// Σ owed on queued redemptions.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub queued: Amount,
    /// Cash brought onto the ledger (`to_ledger`: bill maturities, repo unwinds) earmarked for
    /// the queue and not yet paid out. The queue is paid from this, not from the facility.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub arrived: Amount,
    /// Limits currently breached (an alert is raised on entering a breach).
    pub breaches: Vec<String>,
    /// The breaker tripped since the last valuation (recorded in the next one).
    pub tripped_since_valuation: bool,
    pub next_position: u64,
}

impl Fund {
    pub fn fee_accrued(&self) -> Amount {
        self.fee_accrued_scaled / yields::SCALE
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Position {
    pub id: u64,
    pub instrument: Instrument,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub face: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub cost: Amount,
    pub acquired: Time,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum RedemptionStatus {
    Queued,
    Paid { at: Time },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Redemption {
    pub id: u64,
    pub fund: Symbol,
    pub class: Symbol,
    pub wallet: WalletId,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub shares: Amount,
    /// Cash owed, after fees.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub fee: Amount,
    pub requested_at: Time,
    pub status: RedemptionStatus,
}

// ---------------------------------------------------------------- events

/// Everything the funds, oracle and Treasury-servicing modules announce.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FundEvent {
    FundCreated {
        fund: Symbol,
    },
    ShareClassCreated {
        fund: Symbol,
        asset: Symbol,
        nav: NavKind,
        fee_bps: u32,
    },
    ApySet {
        asset: Symbol,
        apy_ppb: u64,
        daily_rate_e10: u64,
    },
    CustodianCash {
        fund: Symbol,
        movement: CashMovement,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        custodian_cash: Amount,
    },
    PositionBought {
        fund: Symbol,
        position: u64,
        instrument: String,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        face: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        cost: Amount,
    },
    PositionSold {
        fund: Symbol,
        position: u64,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        proceeds: Amount,
    },
    PositionMatured {
        fund: Symbol,
        position: u64,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        proceeds: Amount,
    },
    CouponReceived {
        fund: Symbol,
        position: u64,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    Valued {
        fund: Symbol,
        at: Time,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        nav: Amount,
        ratio: u64,
        dla_bps: u32,
        wla_bps: u32,
        wam_days: u32,
    },
    FeePaid {
        fund: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    Subscribed {
        fund: Symbol,
        class: Symbol,
        investor: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        cash: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        shares: Amount,
        price: u64,
    },
    RedemptionPaid {
        fund: Symbol,
        redemption: Option<u64>,
        investor: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        shares: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        cash: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        fee: Amount,
    },
    RedemptionQueued {
        fund: Symbol,
        redemption: u64,
        investor: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        cash: Amount,
    },
    RedemptionHeld {
        redemption: u64,
        code: String,
    },
    BreakerTripped {
        fund: Symbol,
        reason: String,
    },
    BreakerReset {
        fund: Symbol,
        reason: String,
    },
    OracleSourceRegistered {
        wallet: WalletId,
        name: String,
    },
    FeedCreated {
        feed: String,
        kind: FeedKind,
    },
    OracleReported {
        feed: String,
        source: WalletId,
        value: u64,
        aggregate: Option<u64>,
        used: u32,
    },
    SecurityServiced {
        asset: Symbol,
        cash_asset: Symbol,
    },
    CouponPaid {
        asset: Symbol,
        date: Time,
        holders: u32,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        paid: Amount,
    },
    PrincipalPaid {
        asset: Symbol,
        holders: u32,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        paid: Amount,
    },
    PaymentWithheld {
        asset: Symbol,
        wallet: WalletId,
        code: String,
    },
    PaymentShort {
        asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        needed: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        available: Amount,
    },
    SecurityRetired {
        asset: Symbol,
    },
    /// Added after the first release (new events go last: the encoding's tags).
    ShadowNavAlertsSet {
        fund: Symbol,
        bps: Vec<u32>,
    },
}

// ---- operation payloads (see `op`)

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetClassApy {
    pub asset: Symbol,
    pub apy_ppb: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustodianCash {
    pub fund: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
    pub movement: CashMovement,
    #[serde(default)]
    pub reference: String,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BuyPosition {
    pub fund: Symbol,
    pub instrument: Instrument,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub face: Amount,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub cost: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SellPosition {
    pub fund: Symbol,
    pub position: u64,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub proceeds: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Subscribe {
    pub class: Symbol,
    /// Cash paid, in the fund's cash token's minor units.
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Redeem {
    pub class: Symbol,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub shares: Amount,
}

/// Sets a fund's shadow-NAV alert thresholds (rules version 2), in basis points from 1.0000.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetShadowNavAlerts {
    pub fund: Symbol,
    pub bps: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResetBreaker {
    pub fund: Symbol,
    pub reason: String,
}
