//! How ledger values read to people: `Display` for the enums that refusals, receipts, views and
//! reports show (statuses, kinds, classes, modes, events), plus small helpers for lists.
//!
//! Invariants:
//! - Text only. Nothing here touches an encoding: borsh and serde forms are derived on the
//!   types themselves and never go through `Display`, so the journal and the API are unchanged.
//! - Words in lower case, times as RFC 3339 (`Time`'s `Display`), wallets by their short form.
//!   Events carry amounts in minor units and no decimals: `Display` writes them bare, and a
//!   reader with the ledger at hand writes them in the asset's units through [`EventText`].
//! - No `Debug` output reaches a person: a refusal or a view that names one of these types
//!   uses its `Display`.

use crate::block::{Event, Outcome, Receipt};
use crate::model::collateral::{CallKind, CollateralEvent};
use crate::model::escrow::TenderStatus;
use crate::model::fund::{CashMovement, FundEvent, RedemptionStatus};
use crate::model::governance::OpClass;
use crate::model::htlc::HtlcStatus;
use crate::model::oracle::{FeedKind, VALUE_DECIMALS};
use crate::model::proposal::ProposalStatus;
use crate::model::repo::RepoStatus;
use crate::model::settlement::{InstructionStatus, SettleMode};
use crate::types::*;
use std::fmt;

pub use crate::prose::{and_list, article, or_list, with_article};

impl fmt::Display for InvestorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InvestorClass::Retail => "retail",
            InvestorClass::Accredited => "accredited",
            InvestorClass::QualifiedPurchaser => "qualified purchaser",
            InvestorClass::Qib => "qualified institutional buyer",
            InvestorClass::NonUsPerson => "non-US person",
        })
    }
}

impl fmt::Display for PartyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PartyKind::Individual => "individual",
            PartyKind::Institution => "institution",
            PartyKind::Fund => "fund",
            PartyKind::Dao => "DAO",
            PartyKind::Operator => "operator",
            PartyKind::Bank => "bank",
            PartyKind::CentralBank => "central bank",
            PartyKind::ClearingHouse => "clearing house",
        })
    }
}

impl fmt::Display for ClaimTopic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClaimTopic::Kyc => "KYC",
            ClaimTopic::InvestorClass => "investor class",
            ClaimTopic::Jurisdiction => "jurisdiction",
            ClaimTopic::BeneficialOwner => "beneficial owner",
            ClaimTopic::Sanctioned => "sanctions",
        })
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Kyc => f.write_str("KYC"),
            Claim::InvestorClass(c) => write!(f, "investor class ({c})"),
            Claim::Jurisdiction(c) => write!(f, "jurisdiction ({c})"),
            Claim::BeneficialOwner { name, share_bps } => write!(f, "beneficial owner ({name}, {share_bps} bps)"),
            Claim::Sanctioned => f.write_str("sanctions"),
        }
    }
}

impl fmt::Display for NavKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NavKind::Stable => "stable",
            NavKind::Accumulating => "accumulating",
        })
    }
}

impl fmt::Display for SecurityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecurityType::Bill => "bill",
            SecurityType::Note => "note",
            SecurityType::Bond => "bond",
        })
    }
}

impl fmt::Display for CashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CashKind::Stablecoin => "stablecoin",
            CashKind::BankDeposit => "bank deposit token",
            CashKind::WholesaleCbdc => "wholesale CBDC",
            CashKind::SettlementToken => "settlement token",
        })
    }
}

impl fmt::Display for ForceReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForceReason::CourtOrder => "court order",
            ForceReason::LawfulSeizure => "lawful seizure",
            ForceReason::RegulatoryAction => "regulatory action",
            ForceReason::ErrorCorrection => "error correction",
            ForceReason::Other => "other reason",
        })
    }
}

impl fmt::Display for OpClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FeedKind::Price => "price",
            FeedKind::Yield => "yield",
            FeedKind::Nav => "NAV",
        })
    }
}

impl fmt::Display for CashMovement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CashMovement::Deposit => "deposit",
            CashMovement::Withdraw => "withdrawal",
            CashMovement::ToLedger => "move onto the ledger",
            CashMovement::FromLedger => "move off the ledger",
        })
    }
}

impl fmt::Display for SettleMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettleMode::OnAffirmation => f.write_str("settles on the last affirmation"),
            SettleMode::AtValueDate => f.write_str("settles at the value date"),
            SettleMode::AtHeight(h) => write!(f, "settles at block {h}"),
            SettleMode::Manual => f.write_str("settled by the venue"),
        }
    }
}

impl fmt::Display for ProposalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProposalStatus::Open => f.write_str("open"),
            ProposalStatus::Executed { at } => write!(f, "executed at {at}"),
            ProposalStatus::Failed { at, code, message } => write!(f, "failed at {at}: {code}: {message}"),
            ProposalStatus::Rejected { at } => write!(f, "rejected at {at}"),
            ProposalStatus::Expired { at } => write!(f, "expired at {at}"),
        }
    }
}

impl fmt::Display for InstructionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstructionStatus::Pending => f.write_str("pending"),
            InstructionStatus::Settled { at } => write!(f, "settled at {at}"),
            InstructionStatus::Failed { at, leg, code, message } => {
                write!(f, "failed at {at} on leg {leg}: {code}: {message}")
            }
            InstructionStatus::Cancelled { at, by, reason } => {
                write!(f, "cancelled at {at} by wallet {}: {reason}", by.short())
            }
            InstructionStatus::Rejected { at, by, reason } => write!(f, "rejected at {at} by {by}: {reason}"),
            InstructionStatus::Expired { at } => write!(f, "expired at {at}"),
        }
    }
}

impl fmt::Display for HtlcStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HtlcStatus::Locked => f.write_str("locked"),
            HtlcStatus::Claimed { at } => write!(f, "claimed at {at}"),
            HtlcStatus::Expired { at } => write!(f, "expired at {at}"),
            HtlcStatus::Refunded { at } => write!(f, "refunded at {at}"),
        }
    }
}

impl fmt::Display for RepoStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RepoStatus::Proposed => f.write_str("proposed"),
            RepoStatus::Open { at } => write!(f, "open since {at}"),
            RepoStatus::Closed { at, interest } => write!(f, "closed at {at} with {interest} interest"),
            RepoStatus::Defaulted { at, code, delivered } => write!(
                f,
                "defaulted at {at} ({code}); the collateral {}",
                if *delivered { "went to the lender" } else { "stays pledged" }
            ),
            RepoStatus::Cancelled { at } => write!(f, "cancelled at {at}"),
        }
    }
}

impl fmt::Display for TenderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TenderStatus::Open => f.write_str("open"),
            TenderStatus::Awarded { at, winner } => write!(f, "awarded at {at} to wallet {}", winner.short()),
            TenderStatus::Completed { at } => write!(f, "completed at {at}"),
            TenderStatus::Defaulted { at, reason } => write!(f, "defaulted at {at}: {reason}"),
            TenderStatus::Cancelled { at, reason } => write!(f, "cancelled at {at}: {reason}"),
        }
    }
}

impl fmt::Display for RedemptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RedemptionStatus::Queued => f.write_str("queued"),
            RedemptionStatus::Paid { at } => write!(f, "paid at {at}"),
        }
    }
}

/// A pause's scope as the subject of a sentence.
fn scope_subject(s: &Scope) -> String {
    match s {
        Scope::Global => "the ledger".into(),
        Scope::Asset(a) => format!("asset {a}"),
    }
}

/// An oracle value — a price, a yield or a NAV per share (fixed point, `VALUE_DECIMALS`
/// places) — as people read it: 99700000 is "0.99700000".
pub fn value(v: u64) -> String {
    format_units(v as Amount, VALUE_DECIMALS as u8)
}

/// An event in words with one way of writing its amounts: each amount goes through
/// `amount` with what it counts, so the wording of every event is written once. `Event`'s
/// `Display` writes the bare minor units ([`Counted::bare`]); a reader with the ledger at hand
/// passes one that writes them in the asset's decimals and symbol.
pub struct EventText<'a> {
    event: &'a Event,
    amount: &'a dyn Fn(Counted<'_>, Amount) -> String,
}

impl<'a> EventText<'a> {
    pub fn new(event: &'a Event, amount: &'a dyn Fn(Counted<'_>, Amount) -> String) -> EventText<'a> {
        EventText { event, amount }
    }
}

/// What an amount in an event counts. Events carry bare minor units; the asset (and so its
/// decimals) is either named by the event or known to the ledger from an id the event names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted<'a> {
    /// Units of an asset the amount is written with: the bare form is "500 TBILL".
    Asset(&'a Symbol),
    /// Units of an asset the sentence names elsewhere: the bare form is the number alone.
    Units(&'a Symbol),
    /// Cash of a fund, in the fund's cash asset.
    FundCash(&'a Symbol),
    /// Shares of a fund, of `class` when the event names it (else in the decimals its classes
    /// share). Written as a number of shares, no symbol.
    Shares { fund: &'a Symbol, class: Option<&'a Symbol> },
    /// Cash paid on a serviced security, in the asset it is serviced in.
    ServicedCash(&'a Symbol),
    /// Units held by a hash time-lock, in its asset.
    Htlc(u64),
    /// A tender's bid bond, in the tender's asset.
    TenderBond(u64),
    /// A repo's cash (repaid, interest), in its cash asset.
    RepoCash(u64),
    /// A repo's collateral, in its collateral asset.
    RepoCollateral(u64),
}

impl Counted<'_> {
    /// The amount as the event alone can write it: minor units, followed by the asset when
    /// it is written with one (`Asset`).
    pub fn bare(self, amount: Amount) -> String {
        match self {
            Counted::Asset(asset) => format!("{amount} {asset}"),
            _ => amount.to_string(),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        EventText::new(self, &|c, n| c.bare(n)).fmt(f)
    }
}

impl fmt::Display for FundEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fund_event(f, self, &|c, n| c.bare(n))
    }
}

impl fmt::Display for EventText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.amount;
        match self.event {
            Event::PartyRegistered { party } => write!(f, "party {party} registered"),
            Event::WalletAdded { party, wallet } => write!(f, "wallet {} added to party {party}", wallet.short()),
            Event::ClaimIssued { party, claim, issuer, expires_at } => {
                write!(f, "{claim} claim issued to {party} by wallet {}", issuer.short())?;
                match expires_at {
                    Some(t) => write!(f, ", expiring at {t}"),
                    None => Ok(()),
                }
            }
            Event::ClaimRevoked { party, claim } => write!(f, "{claim} claim of {party} revoked"),
            Event::AddressLinked { party, currency, address } => {
                write!(f, "{currency} address {address} linked to {party}")
            }
            Event::IssuerTrusted { wallet, topics } => {
                write!(f, "wallet {} trusted to issue {} claims", wallet.short(), and_list(topics))
            }
            Event::IssuerUntrusted { wallet } => {
                write!(f, "wallet {} no longer trusted to issue claims", wallet.short())
            }
            Event::AssetCreated { asset, kind } => write!(f, "asset {asset} created ({})", kind.replace('_', " ")),
            Event::PolicySet { asset, rules } => write!(f, "policy of {asset} set: {rules} rules"),
            Event::SupplyCapSet { asset, cap } => match cap {
                Some(c) => write!(f, "supply cap of {asset} set to {}", a(Counted::Units(asset), *c)),
                None => write!(f, "supply cap of {asset} removed"),
            },
            Event::Minted { asset, to, amount } => {
                write!(f, "{} minted to {}", a(Counted::Asset(asset), *amount), to.short())
            }
            Event::Burned { asset, from, amount } => {
                write!(f, "{} burned from {}", a(Counted::Asset(asset), *amount), from.short())
            }
            Event::Transferred { asset, from, to, amount } => {
                write!(f, "{} transferred from {} to {}", a(Counted::Asset(asset), *amount), from.short(), to.short())
            }
            Event::RoleGranted { wallet, role, scope } => {
                write!(f, "role {} granted to wallet {} ({scope})", role.as_str(), wallet.short())
            }
            Event::RoleRevoked { wallet, role, scope } => {
                write!(f, "role {} revoked from wallet {} ({scope})", role.as_str(), wallet.short())
            }
            Event::ThresholdSet { class, threshold } => write!(f, "{class} threshold set to {threshold}"),
            Event::ProposalCreated { proposal, class, threshold, expires_at } => {
                write!(f, "proposal {proposal} created ({class}, needs {threshold} approvals, expires at {expires_at})")
            }
            Event::ProposalApproved { proposal, by, approvals } => {
                write!(f, "proposal {proposal} approved by wallet {} ({approvals} approvals)", by.short())
            }
            Event::ProposalRejected { proposal, by, rejections } => {
                write!(f, "proposal {proposal} rejected by wallet {} ({rejections} rejections)", by.short())
            }
            Event::ProposalExecuted { proposal, approvers } => {
                let who: Vec<String> = approvers.iter().map(|w| w.short()).collect();
                write!(f, "proposal {proposal} executed, approved by {}", and_list(&who))
            }
            Event::ProposalFailed { proposal, code, message } => {
                write!(f, "proposal {proposal} failed when executed: {code}: {message}")
            }
            Event::ProposalClosed { proposal, outcome } => write!(f, "proposal {proposal} closed: {outcome}"),
            Event::Paused { scope, reason } => write!(f, "{} paused: {reason}", scope_subject(scope)),
            Event::Unpaused { scope, reason } => write!(f, "{} unpaused: {reason}", scope_subject(scope)),
            Event::WalletFrozen { wallet, reason } => write!(f, "wallet {} frozen: {reason}", wallet.short()),
            Event::WalletUnfrozen { wallet, reason } => write!(f, "wallet {} unfrozen: {reason}", wallet.short()),
            Event::AmountFrozen { asset, wallet, amount, reason } => {
                write!(f, "{} frozen in wallet {}: {reason}", a(Counted::Asset(asset), *amount), wallet.short())
            }
            Event::AmountUnfrozen { asset, wallet, amount, reason } => {
                write!(f, "{} unfrozen in wallet {}: {reason}", a(Counted::Asset(asset), *amount), wallet.short())
            }
            Event::ForcedTransfer { asset, from, to, amount, reason, reference } => write!(
                f,
                "{} forced from {} to {} ({reason}, reference {reference})",
                a(Counted::Asset(asset), *amount),
                from.short(),
                to.short()
            ),
            Event::WalletRecovered { lost, new, assets, reference } => write!(
                f,
                "wallet {} recovered to {} ({assets} assets, reference {reference})",
                lost.short(),
                new.short()
            ),
            Event::SanctionsUpdated { added, removed, source } => {
                write!(f, "sanctions list updated from {source}: {added} added, {removed} removed")
            }
            Event::InstructionCreated { instruction, legs, venue } => {
                write!(f, "instruction {instruction} created with {legs} legs")?;
                match venue {
                    Some(v) => write!(f, " by venue {}", v.short()),
                    None => Ok(()),
                }
            }
            Event::InstructionAffirmed { instruction, party } => {
                write!(f, "instruction {instruction} affirmed by {party}")
            }
            Event::AffirmationWithdrawn { instruction, party } => {
                write!(f, "{party} withdrew its affirmation of instruction {instruction}")
            }
            Event::LegSettled { instruction, leg, asset, from, to, amount } => write!(
                f,
                "instruction {instruction} leg {leg} settled: {} from {} to {}",
                a(Counted::Asset(asset), *amount),
                from.short(),
                to.short()
            ),
            Event::InstructionSettled { instruction, legs } => {
                write!(f, "instruction {instruction} settled ({legs} legs)")
            }
            Event::InstructionFailed { instruction, leg, code, message } => {
                write!(f, "instruction {instruction} failed on leg {leg}: {code}: {message}")
            }
            Event::InstructionRejected { instruction, party, reason } => {
                write!(f, "instruction {instruction} rejected by {party}: {reason}")
            }
            Event::InstructionCancelled { instruction, by, reason } => {
                write!(f, "instruction {instruction} cancelled by wallet {}: {reason}", by.short())
            }
            Event::InstructionExpired { instruction } => write!(f, "instruction {instruction} expired"),
            Event::HtlcLocked { htlc, asset, from, to, amount, hash_lock, deadline } => write!(
                f,
                "hash time-lock {htlc}: {} locked by {} for {} under hash {} until {deadline}",
                a(Counted::Asset(asset), *amount),
                from.short(),
                to.short(),
                hash_lock.short()
            ),
            Event::HtlcClaimed { htlc, preimage, to, amount } => {
                write!(
                    f,
                    "hash time-lock {htlc} claimed: {} to {} (preimage {preimage})",
                    a(Counted::Htlc(*htlc), *amount),
                    to.short()
                )
            }
            Event::HtlcExpired { htlc } => write!(f, "hash time-lock {htlc} expired"),
            Event::HtlcRefunded { htlc, to, amount } => {
                write!(f, "hash time-lock {htlc} refunded: {} back to {}", a(Counted::Htlc(*htlc), *amount), to.short())
            }
            Event::CashIssued { asset, to, amount, fiat_reference } => {
                write!(
                    f,
                    "{} issued to {} against fiat (reference {fiat_reference})",
                    a(Counted::Asset(asset), *amount),
                    to.short()
                )
            }
            Event::CashRedeemed { asset, from, amount, payout_reference } => write!(
                f,
                "{} redeemed from {} for fiat (payout reference {payout_reference})",
                a(Counted::Asset(asset), *amount),
                from.short()
            ),
            Event::ConversionRegistered { cbdc, token, omnibus } => {
                write!(f, "conversion between {cbdc} and {token} registered (omnibus wallet {})", omnibus.short())
            }
            Event::CashConverted { from, to, wallet, amount } => {
                write!(f, "{} converted to {to} in wallet {}", a(Counted::Asset(from), *amount), wallet.short())
            }
            Event::TenderOpened { tender, asset, bond, bid_deadline } => {
                write!(f, "tender {tender} opened: bond {}, bids until {bid_deadline}", a(Counted::Asset(asset), *bond))
            }
            Event::BidBondLocked { tender, bidder, asset, amount } => {
                write!(
                    f,
                    "tender {tender}: bid bond of {} locked by {}",
                    a(Counted::Asset(asset), *amount),
                    bidder.short()
                )
            }
            Event::BidBondReleased { tender, bidder, amount } => {
                write!(
                    f,
                    "tender {tender}: bid bond of {} released to {}",
                    a(Counted::TenderBond(*tender), *amount),
                    bidder.short()
                )
            }
            Event::TenderAwarded { tender, winner } => write!(f, "tender {tender} awarded to {}", winner.short()),
            Event::TenderCompleted { tender } => write!(f, "tender {tender} completed"),
            Event::BondForfeited { tender, bidder, to, amount, reason } => write!(
                f,
                "tender {tender}: bid bond of {} forfeited by {} to {}: {reason}",
                a(Counted::TenderBond(*tender), *amount),
                bidder.short(),
                to.short()
            ),
            Event::TenderCancelled { tender, reason } => write!(f, "tender {tender} cancelled: {reason}"),
            Event::RepoProposed { repo, maturity } => write!(f, "repo {repo} proposed, maturing at {maturity}"),
            Event::RepoOpened { repo, cash, collateral } => {
                write!(
                    f,
                    "repo {repo} opened: {} cash against {} collateral",
                    a(Counted::RepoCash(*repo), *cash),
                    a(Counted::RepoCollateral(*repo), *collateral)
                )
            }
            Event::RepoCancelled { repo } => write!(f, "repo {repo} cancelled"),
            Event::CollateralSubstituted { repo, old_asset, old_amount, new_asset, new_amount } => {
                write!(
                    f,
                    "repo {repo}: collateral of {} replaced by {}",
                    a(Counted::Asset(old_asset), *old_amount),
                    a(Counted::Asset(new_asset), *new_amount)
                )
            }
            Event::RepoClosed { repo, repaid, interest } => {
                write!(
                    f,
                    "repo {repo} closed: {} repaid with {} interest",
                    a(Counted::RepoCash(*repo), *repaid),
                    a(Counted::RepoCash(*repo), *interest)
                )
            }
            Event::RepoDefaulted { repo, code, collateral_delivered } => write!(
                f,
                "repo {repo} defaulted ({code}); the collateral {}",
                if *collateral_delivered { "went to the lender" } else { "stays pledged" }
            ),
            Event::YieldClassCreated { asset, basis, cutoff_seconds, payout_day } => write!(
                f,
                "yield class {asset} created ({basis}-day basis, cutoff {cutoff_seconds} s into the day, \
                 payout on day {payout_day})"
            ),
            Event::YieldRateSet { asset, rate_ppb } => write!(f, "yield rate of {asset} set to {rate_ppb} ppb"),
            Event::YieldAccrued { asset, day, rate_ppb, .. } => {
                write!(f, "yield accrued on {asset} for {day} at {rate_ppb} ppb")
            }
            Event::YieldPaid { asset, payments } => {
                write!(f, "yield on {asset} paid to {} holders", payments.len())
            }
            Event::YieldWithheld { asset, wallet, code } => {
                write!(f, "yield on {asset} withheld from wallet {}: {code}", wallet.short())
            }
            Event::YieldPayout { asset, holders, paid, residual } => {
                write!(
                    f,
                    "yield payout on {asset}: {} to {holders} holders, {} left over",
                    a(Counted::Units(asset), *paid),
                    a(Counted::Units(asset), *residual)
                )
            }
            Event::AlertRaised { alert, rule, asset, wallet, amount } => {
                write!(
                    f,
                    "alert {alert} raised by {rule} on {} of wallet {}",
                    a(Counted::Asset(asset), *amount),
                    wallet.short()
                )
            }
            Event::Fund(e) => fund_event(f, e, a),
            Event::Collateral(e) => collateral_event(f, e, a),
        }
    }
}

fn collateral_event(
    f: &mut fmt::Formatter<'_>,
    e: &CollateralEvent,
    a: &dyn Fn(Counted<'_>, Amount) -> String,
) -> fmt::Result {
    use CollateralEvent as C;
    match e {
        C::ScheduleSet { ccp, effective_from, eligible, bands } => write!(
            f,
            "collateral schedule of {ccp} set from {effective_from}: {eligible} eligible kinds, {bands} haircut bands"
        ),
        C::ScheduleInForce { ccp, effective_from } => {
            write!(f, "collateral schedule of {ccp} from {effective_from} in force")
        }
        C::MemberAdmitted { ccp, member, account } => {
            write!(f, "{member} admitted as a member of {ccp} (margin account {account})")
        }
        C::Pledged { account, asset, wallet, amount } => {
            write!(f, "{} of wallet {} pledged to account {account}", a(Counted::Asset(asset), *amount), wallet.short())
        }
        C::Released { account, asset, wallet, amount } => write!(
            f,
            "{} of wallet {} released from account {account}",
            a(Counted::Asset(asset), *amount),
            wallet.short()
        ),
        C::RequirementSet { account, cash_asset, initial, variation } => write!(
            f,
            "margin requirement of account {account} set: initial {}, variation {}",
            a(Counted::Asset(cash_asset), *initial),
            a(Counted::Asset(cash_asset), *variation)
        ),
        C::DefaultFundContributed { account, cash_asset, amount } => write!(
            f,
            "{} paid into the default fund by account {account}",
            a(Counted::Asset(cash_asset), *amount)
        ),
        C::CallRaised { call, account, kind, cash_asset, amount, deadline } => write!(
            f,
            "{} margin call {call} on account {account}: {} due by {deadline}",
            match kind {
                CallKind::Daily => "daily",
                CallKind::Intraday => "intraday",
            },
            a(Counted::Asset(cash_asset), *amount)
        ),
        C::CallMet { call, account } => write!(f, "margin call {call} on account {account} met"),
        C::CallDefaulted { call, account, cash_asset, shortfall } => write!(
            f,
            "margin call {call} unmet at its deadline: account {account} in default, {} short",
            a(Counted::Asset(cash_asset), *shortfall)
        ),
        C::Appropriated { call, asset, wallet, amount, .. } => write!(
            f,
            "call {call}: {} of wallet {} appropriated by the pledgee",
            a(Counted::Asset(asset), *amount),
            wallet.short()
        ),
        C::Liquidated { call, asset, amount, buyer, cash_asset, proceeds } => write!(
            f,
            "call {call}: {} sold to {} for {}",
            a(Counted::Asset(asset), *amount),
            buyer.short(),
            a(Counted::Asset(cash_asset), *proceeds)
        ),
        C::NotRealized { call, asset, wallet, code } => {
            write!(f, "call {call}: {asset} of wallet {} could not be realized ({code})", wallet.short())
        }
        C::Waterfall {
            call,
            cash_asset,
            loss,
            defaulter_margin,
            defaulter_default_fund,
            ccp_capital,
            survivors_default_fund,
            assessments,
            uncovered,
            returned,
        } => {
            let m = |x: &Amount| a(Counted::Asset(cash_asset), *x);
            write!(
                f,
                "default waterfall of call {call}: loss {} covered by margin {}, own default fund {}, clearing house capital {}, survivors' default fund {}, assessments {}; uncovered {}; returned to the defaulter {}",
                m(loss),
                m(defaulter_margin),
                m(defaulter_default_fund),
                m(ccp_capital),
                m(survivors_default_fund),
                m(assessments),
                m(uncovered),
                m(returned)
            )
        }
        C::LoanRequested { loan, cash_asset, principal } => {
            write!(f, "loan {loan} of {} requested", a(Counted::Asset(cash_asset), *principal))
        }
        C::LoanFunded { loan, ltv_bps } => write!(f, "loan {loan} funded at a loan-to-value of {ltv_bps} bps"),
        C::LoanRepaid { loan, cash_asset, principal, interest } => write!(
            f,
            "loan {loan} repaid: {} and interest {}",
            a(Counted::Asset(cash_asset), *principal),
            a(Counted::Asset(cash_asset), *interest)
        ),
        C::LoanCancelled { loan } => write!(f, "loan {loan} withdrawn"),
        C::SegregatedAccountOpened { ccp, member, custodian, wallet } => write!(
            f,
            "{custodian} holds {member}'s collateral for {ccp} in segregated account {}",
            wallet.short()
        ),
        C::LoanLiquidated { loan, ltv_bps, cash_asset, debt, proceeds, returned } => write!(
            f,
            "loan {loan} liquidated at a loan-to-value of {ltv_bps} bps: debt {}, proceeds {}, {} returned to the borrower",
            a(Counted::Asset(cash_asset), *debt),
            a(Counted::Asset(cash_asset), *proceeds),
            a(Counted::Asset(cash_asset), *returned)
        ),
    }
}

fn fund_event(f: &mut fmt::Formatter<'_>, e: &FundEvent, a: &dyn Fn(Counted<'_>, Amount) -> String) -> fmt::Result {
    match e {
        FundEvent::FundCreated { fund } => write!(f, "fund {fund} created"),
        FundEvent::ShareClassCreated { fund, asset, nav, fee_bps } => {
            write!(f, "share class {asset} of fund {fund} created ({nav} NAV, fee {fee_bps} bps)")
        }
        FundEvent::ApySet { asset, apy_ppb, .. } => write!(f, "APY of {asset} set to {apy_ppb} ppb"),
        FundEvent::CustodianCash { fund, movement, amount, custodian_cash } => {
            let cash = |n: &Amount| a(Counted::FundCash(fund), *n);
            write!(f, "fund {fund} custodian cash {movement} of {} (now {})", cash(amount), cash(custodian_cash))
        }
        FundEvent::PositionBought { fund, position, instrument, face, cost } => {
            write!(
                f,
                "fund {fund} bought position {position}: {instrument}, face {}, cost {}",
                a(Counted::FundCash(fund), *face),
                a(Counted::FundCash(fund), *cost)
            )
        }
        FundEvent::PositionSold { fund, position, proceeds } => {
            write!(f, "fund {fund} sold position {position} for {}", a(Counted::FundCash(fund), *proceeds))
        }
        FundEvent::PositionMatured { fund, position, proceeds } => {
            write!(f, "position {position} of fund {fund} matured, paying {}", a(Counted::FundCash(fund), *proceeds))
        }
        FundEvent::CouponReceived { fund, position, amount } => {
            write!(f, "fund {fund} received a coupon of {} on position {position}", a(Counted::FundCash(fund), *amount))
        }
        FundEvent::Valued { fund, at, nav, .. } => {
            write!(f, "fund {fund} valued at {at}: NAV {}", a(Counted::FundCash(fund), *nav))
        }
        FundEvent::FeePaid { fund, amount } => {
            write!(f, "fund {fund} paid a management fee of {}", a(Counted::FundCash(fund), *amount))
        }
        FundEvent::Subscribed { fund, class, investor, cash, shares, .. } => write!(
            f,
            "wallet {} subscribed {} cash to {class} of fund {fund} for {} shares",
            investor.short(),
            a(Counted::FundCash(fund), *cash),
            a(Counted::Shares { fund, class: Some(class) }, *shares)
        ),
        FundEvent::RedemptionPaid { fund, redemption, investor, shares, cash, fee } => {
            f.write_str("redemption ")?;
            if let Some(r) = redemption {
                write!(f, "{r} ")?;
            }
            write!(
                f,
                "paid: {} shares of fund {fund} from wallet {} for {} cash (fee {})",
                a(Counted::Shares { fund, class: None }, *shares),
                investor.short(),
                a(Counted::FundCash(fund), *cash),
                a(Counted::FundCash(fund), *fee)
            )
        }
        FundEvent::RedemptionQueued { fund, redemption, investor, cash } => write!(
            f,
            "redemption {redemption} of wallet {} queued at fund {fund}: {} cash owed",
            investor.short(),
            a(Counted::FundCash(fund), *cash)
        ),
        FundEvent::RedemptionHeld { redemption, code } => write!(f, "redemption {redemption} held: {code}"),
        FundEvent::BreakerTripped { fund, reason } => write!(f, "fund {fund} breaker tripped: {reason}"),
        FundEvent::BreakerReset { fund, reason } => write!(f, "fund {fund} breaker reset: {reason}"),
        FundEvent::ShadowNavAlertsSet { fund, bps } => {
            let bps: Vec<String> = bps.iter().map(|b| format!("{b} bps")).collect();
            write!(f, "fund {fund} alerts when its shadow NAV per share is {} from 1.0000", or_list(&bps))
        }
        FundEvent::OracleSourceRegistered { wallet, name } => {
            write!(f, "oracle source {name} registered (wallet {})", wallet.short())
        }
        FundEvent::FeedCreated { feed, kind } => write!(f, "{kind} feed {feed} created"),
        FundEvent::OracleReported { feed, source, value: v, aggregate, used } => {
            write!(f, "wallet {} reported {} to feed {feed}; ", source.short(), value(*v))?;
            match aggregate {
                Some(a) => write!(f, "the feed reads {} from {used} sources", value(*a)),
                None => write!(f, "no quorum yet ({used} sources)"),
            }
        }
        FundEvent::SecurityServiced { asset, cash_asset } => write!(f, "{asset} serviced in {cash_asset}"),
        FundEvent::CouponPaid { asset, date, holders, paid } => {
            write!(
                f,
                "coupon of {asset} for {date} paid: {} to {holders} holders",
                a(Counted::ServicedCash(asset), *paid)
            )
        }
        FundEvent::PrincipalPaid { asset, holders, paid } => {
            write!(f, "principal of {asset} paid: {} to {holders} holders", a(Counted::ServicedCash(asset), *paid))
        }
        FundEvent::PaymentWithheld { asset, wallet, code } => {
            write!(f, "payment on {asset} withheld from wallet {}: {code}", wallet.short())
        }
        FundEvent::PaymentShort { asset, needed, available } => {
            write!(
                f,
                "payment on {asset} short: {} needed, {} available",
                a(Counted::ServicedCash(asset), *needed),
                a(Counted::ServicedCash(asset), *available)
            )
        }
        FundEvent::SecurityRetired { asset } => write!(f, "{asset} retired"),
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok { events } => write!(f, "ok with {} events", events.len()),
            Outcome::Failed { op_index, code, message } => {
                write!(f, "failed at operation {op_index}: {code}: {message}")
            }
        }
    }
}

impl fmt::Display for Receipt {
    /// The outcome, then one indented line per event.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.outcome)?;
        if let Outcome::Ok { events } = &self.outcome {
            for e in events {
                write!(f, "\n  {e}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(or_list(&[PartyKind::Institution, PartyKind::Individual]), "institution or individual");
        assert_eq!(
            or_list(&[InvestorClass::Accredited, InvestorClass::QualifiedPurchaser, InvestorClass::Qib]),
            "accredited, qualified purchaser or qualified institutional buyer"
        );
        assert_eq!(and_list(&["alpha", "bolt"]), "alpha and bolt");
        assert_eq!(and_list::<&str>(&[]), "nobody");
        assert_eq!(with_article(PartyKind::Individual), "an individual");
        assert_eq!(with_article(CashKind::WholesaleCbdc), "a wholesale CBDC");
    }

    #[test]
    fn statuses_name_their_time() {
        let at = Time::parse("2026-01-05T14:00:00Z").unwrap();
        assert_eq!(ProposalStatus::Executed { at }.to_string(), "executed at 2026-01-05T14:00:00Z");
        assert_eq!(HtlcStatus::Refunded { at }.to_string(), "refunded at 2026-01-05T14:00:00Z");
        assert_eq!(SettleMode::AtHeight(12).to_string(), "settles at block 12");
        let e = Event::ProposalClosed { proposal: 3, outcome: "rejected".into() };
        assert_eq!(e.to_string(), "proposal 3 closed: rejected");
    }
}
