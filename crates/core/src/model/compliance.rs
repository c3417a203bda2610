//! Compliance policies as data: rules, tracking needs, movements as the rules see them (evaluation in `compliance`).
//!
//! Data only: this module imports no rule module (see `model`).

use crate::code::{refuse, Code, Refusal};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

pub const MAX_RULES: usize = 32;
pub const MAX_LIST: usize = 256;
pub const DAY_SECONDS: u64 = 86_400;

/// One configured rule. The order of rules in a policy is the order they are reported.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// Both parties hold a live KYC claim from a trusted issuer.
    Kyc,
    /// The receiving party holds one of these investor classes.
    InvestorClasses(Vec<InvestorClass>),
    /// The receiving party's jurisdiction is one of these (ISO 3166-1 alpha-2).
    JurisdictionsAllowed(Vec<String>),
    /// The receiving party's jurisdiction is none of these.
    JurisdictionsDenied(Vec<String>),
    /// No party or wallet involved is sanctioned (list entry, linked address or claim).
    Sanctions,
    /// Units can leave a holding only this long after they were acquired (Reg S, Rule 144).
    Lockup { seconds: u64 },
    /// A first investment (into an empty holding) is at least this much.
    MinInvestment(#[serde(with = "amount_serde")] Amount),
    /// A remaining balance is zero or at least this much.
    MinHolding(#[serde(with = "amount_serde")] Amount),
    /// At most this many holders of the asset.
    MaxHolders(u64),
    /// No holding above this amount.
    MaxBalance(#[serde(with = "amount_serde")] Amount),
    /// No holding above this share of supply, in basis points.
    MaxShareBps(u32),
    /// No single transfer above this amount.
    TransferLimit(#[serde(with = "amount_serde")] Amount),
    /// No sender moves more than this in any rolling 24 hours.
    #[serde(rename = "rolling_24h_limit")]
    Rolling24hLimit(#[serde(with = "amount_serde")] Amount),
    /// Transfers only between wallets of one party.
    SamePartyOnly,
    /// Alert: `count` transfers by one sender within `window_seconds`, each within 10% below
    /// `threshold` (splitting to stay under a reporting threshold).
    MonitorStructuring {
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        threshold: Amount,
        window_seconds: u64,
        count: u32,
    },
    /// Alert: a wallet sends on at least `share_bps` of what it received within
    /// `window_seconds` of receiving it.
    MonitorRapidInOut { window_seconds: u64, share_bps: u32 },
    /// Alert: a first transfer to a new counterparty above `amount`.
    MonitorNewCounterparty {
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    /// The receiving party is of one of these kinds (e.g. wholesale CBDC: banks only).
    PartyKinds(Vec<PartyKind>),
}

impl Rule {
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Kyc => "kyc",
            Rule::InvestorClasses(_) => "investor_classes",
            Rule::JurisdictionsAllowed(_) => "jurisdictions_allowed",
            Rule::JurisdictionsDenied(_) => "jurisdictions_denied",
            Rule::Sanctions => "sanctions",
            Rule::Lockup { .. } => "lockup",
            Rule::MinInvestment(_) => "min_investment",
            Rule::MinHolding(_) => "min_holding",
            Rule::MaxHolders(_) => "max_holders",
            Rule::MaxBalance(_) => "max_balance",
            Rule::MaxShareBps(_) => "max_share_bps",
            Rule::TransferLimit(_) => "transfer_limit",
            Rule::Rolling24hLimit(_) => "rolling_24h_limit",
            Rule::SamePartyOnly => "same_party_only",
            Rule::MonitorStructuring { .. } => "monitor_structuring",
            Rule::MonitorRapidInOut { .. } => "monitor_rapid_in_out",
            Rule::MonitorNewCounterparty { .. } => "monitor_new_counterparty",
            Rule::PartyKinds(_) => "party_kinds",
        }
    }
    pub fn is_monitoring(&self) -> bool {
        matches!(
            self,
            Rule::MonitorStructuring { .. } | Rule::MonitorRapidInOut { .. } | Rule::MonitorNewCounterparty { .. }
        )
    }
}

#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// What a policy needs tracked per holding.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tracking {
    pub lockup_seconds: Option<u64>,
    /// Longest window over which outflows must be remembered.
    pub outflow_window: Option<u64>,
    pub last_in: bool,
    pub counterparties: bool,
}

impl Policy {
    pub fn check(&self) -> Result<(), Refusal> {
        if self.rules.len() > MAX_RULES {
            return refuse(Code::PolicyInvalid, format!("a policy holds at most {MAX_RULES} rules"));
        }
        for r in &self.rules {
            let bad = |m: &str| refuse(Code::PolicyInvalid, format!("rule {}: {m}", r.name()));
            match r {
                Rule::InvestorClasses(v) if v.is_empty() || v.len() > MAX_LIST => return bad("list 1 to 256 classes"),
                Rule::PartyKinds(v) if v.is_empty() || v.len() > MAX_LIST => return bad("list 1 to 256 party kinds"),
                Rule::JurisdictionsAllowed(v) | Rule::JurisdictionsDenied(v) => {
                    if v.is_empty() || v.len() > MAX_LIST {
                        return bad("list 1 to 256 countries");
                    }
                    for c in v {
                        check_country(c).map_err(|e| Refusal::new(Code::PolicyInvalid, e.message))?;
                    }
                }
                Rule::MaxShareBps(b) if *b == 0 || *b > 10_000 => return bad("basis points 1 to 10000"),
                Rule::MaxHolders(0) => return bad("at least one holder"),
                Rule::MonitorStructuring { threshold, window_seconds, count }
                    if *threshold == 0 || *window_seconds == 0 || *count < 2 =>
                {
                    return bad("threshold and window positive, count at least 2");
                }
                Rule::MonitorRapidInOut { window_seconds, share_bps }
                    if *window_seconds == 0 || *share_bps == 0 || *share_bps > 10_000 =>
                {
                    return bad("window positive, share 1 to 10000 bps");
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub fn tracking(&self) -> Tracking {
        let mut t = Tracking::default();
        for r in &self.rules {
            match r {
                Rule::Lockup { seconds } => t.lockup_seconds = Some(t.lockup_seconds.unwrap_or(0).max(*seconds)),
                Rule::Rolling24hLimit(_) => t.outflow_window = Some(t.outflow_window.unwrap_or(0).max(DAY_SECONDS)),
                Rule::MonitorStructuring { window_seconds, .. } => {
                    t.outflow_window = Some(t.outflow_window.unwrap_or(0).max(*window_seconds))
                }
                Rule::MonitorRapidInOut { .. } => t.last_in = true,
                Rule::MonitorNewCounterparty { .. } => t.counterparties = true,
                _ => {}
            }
        }
        t
    }
}

/// Kinds of movement the rules distinguish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Movement {
    Mint,
    Burn,
    Transfer,
    /// Forced transfer (court order, seizure): only the receiver is screened.
    Forced,
    /// A settlement leg (DvP, HTLC claim, escrow release): a transfer of units the sender
    /// locked earlier. Checked like a transfer.
    Settlement,
}

impl Movement {
    /// Moves a holder makes by choice, which transfer limits and monitoring look at.
    pub fn is_transfer(self) -> bool {
        matches!(self, Movement::Transfer | Movement::Settlement)
    }
}

/// A proposed movement, as the rules see it.
#[derive(Clone, Copy, Debug)]
pub struct Move {
    pub kind: Movement,
    pub asset: AssetIdx,
    pub from: Option<WalletIdx>,
    pub to: Option<WalletIdx>,
    pub amount: Amount,
    pub now: Time,
}
