//! Operations: what a transaction asks the ledger to do. One enum, canonical (borsh) encoding
//! for signing and the journal, serde (snake_case, externally tagged) for JSON and scenario
//! files. Never reorder or remove variants: the borsh tag is the variant's position.

use crate::compliance::Policy;
use crate::fund::{CashMovement, FundSpec, Instrument, ShareClassSpec};
use crate::governance::OpClass;
use crate::oracle::FeedSpec;
use crate::repo::RepoTerms;
use crate::settlement::{Leg, SettleMode};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Everything needed to create an asset.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetSpec {
    pub symbol: Symbol,
    pub name: String,
    pub kind: AssetKind,
    pub decimals: u8,
    /// The issuing party.
    pub issuer: PartyId,
    #[serde(default, with = "opt_amount_serde", skip_serializing_if = "Option::is_none")]
    pub supply_cap: Option<Amount>,
    #[serde(default)]
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Op {
    // ---- identity (L1, L2) ----
    RegisterParty {
        party: PartyId,
        name: String,
        kind: PartyKind,
    },
    AddWallet {
        party: PartyId,
        wallet: WalletId,
    },
    IssueClaim {
        party: PartyId,
        claim: Claim,
        #[serde(default)]
        expires_at: Option<Time>,
    },
    RevokeClaim {
        party: PartyId,
        claim: Claim,
    },
    /// Records an address the party controls on another chain, so sanctions lists that name
    /// such addresses (OFAC digital currency addresses) screen the party.
    LinkAddress {
        party: PartyId,
        currency: String,
        address: String,
    },
    TrustIssuer {
        wallet: WalletId,
        topics: Vec<ClaimTopic>,
    },
    UntrustIssuer {
        wallet: WalletId,
    },
    // ---- assets (L3, L4) ----
    CreateAsset(AssetSpec),
    SetPolicy {
        asset: Symbol,
        policy: Policy,
    },
    SetSupplyCap {
        asset: Symbol,
        #[serde(default, with = "opt_amount_serde")]
        cap: Option<Amount>,
    },
    Mint {
        asset: Symbol,
        to: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
    },
    Burn {
        asset: Symbol,
        from: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
    },
    Transfer {
        asset: Symbol,
        to: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
    },
    // ---- roles and governance (L7) ----
    GrantRole {
        wallet: WalletId,
        role: Role,
        scope: Scope,
    },
    RevokeRole {
        wallet: WalletId,
        role: Role,
        scope: Scope,
    },
    SetThreshold {
        class: OpClass,
        threshold: u8,
    },
    Propose {
        #[borsh(deserialize_with = "nested_ops::deserialize")]
        ops: Vec<Op>,
        expires_at: Time,
    },
    Approve {
        proposal: u64,
    },
    Reject {
        proposal: u64,
    },
    // ---- emergency controls and recovery (L8, L2) ----
    Pause {
        scope: Scope,
        reason: String,
    },
    Unpause {
        scope: Scope,
        reason: String,
    },
    FreezeWallet {
        wallet: WalletId,
        reason: String,
    },
    UnfreezeWallet {
        wallet: WalletId,
        reason: String,
    },
    FreezeAmount {
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
        reason: String,
    },
    UnfreezeAmount {
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
        reason: String,
    },
    ForceTransfer {
        asset: Symbol,
        from: WalletId,
        to: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
        reason: ForceReason,
        reference: String,
    },
    RecoverWallet {
        lost: WalletId,
        new: WalletId,
        reference: String,
    },
    // ---- sanctions (L6) ----
    SanctionAdd {
        targets: Vec<SanctionTarget>,
        source: String,
    },
    SanctionRemove {
        targets: Vec<SanctionTarget>,
        source: String,
    },
    // ---- settlement (S2, S4) ----
    CreateInstruction {
        legs: Vec<Leg>,
        settle: SettleMode,
        #[serde(default)]
        trade_date: Option<Time>,
        #[serde(default)]
        value_date: Option<Time>,
        expires_at: Time,
        #[serde(default)]
        reference: String,
    },
    AffirmInstruction {
        instruction: u64,
    },
    WithdrawAffirmation {
        instruction: u64,
    },
    RejectInstruction {
        instruction: u64,
        reason: String,
    },
    CancelInstruction {
        instruction: u64,
        reason: String,
    },
    SettleInstruction {
        instruction: u64,
    },
    HtlcLock {
        asset: Symbol,
        to: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
        hash_lock: Hash,
        deadline: Time,
    },
    HtlcClaim {
        htlc: u64,
        #[serde(with = "hex_bytes")]
        preimage: Vec<u8>,
    },
    HtlcRefund {
        htlc: u64,
    },
    // ---- cash tokens (S3) ----
    IssueCash {
        asset: Symbol,
        to: WalletId,
        #[serde(with = "amount_serde")]
        amount: Amount,
        fiat_reference: String,
    },
    RedeemCash {
        asset: Symbol,
        #[serde(with = "amount_serde")]
        amount: Amount,
        payout_reference: String,
    },
    RegisterConversion {
        cbdc: Symbol,
        token: Symbol,
        omnibus: WalletId,
    },
    ConvertCash {
        from: Symbol,
        to: Symbol,
        #[serde(with = "amount_serde")]
        amount: Amount,
    },
    // ---- escrow programs (S5) ----
    OpenTender {
        asset: Symbol,
        #[serde(with = "amount_serde")]
        bond: Amount,
        bid_deadline: Time,
        #[serde(default)]
        reference: String,
    },
    PlaceBid {
        tender: u64,
    },
    AwardTender {
        tender: u64,
        winner: WalletId,
    },
    CompleteTender {
        tender: u64,
    },
    DeclareDefault {
        tender: u64,
        reason: String,
    },
    CancelTender {
        tender: u64,
        reason: String,
    },
    // ---- repo (S6) ----
    ProposeRepo {
        terms: RepoTerms,
        accept_by: Time,
    },
    AcceptRepo {
        repo: u64,
    },
    CancelRepo {
        repo: u64,
    },
    SubstituteCollateral {
        repo: u64,
        asset: Symbol,
        #[serde(with = "amount_serde")]
        amount: Amount,
        #[serde(with = "amount_serde")]
        price_micros: Amount,
    },
    // ---- yield (F4) ----
    CreateYieldClass {
        asset: Symbol,
        basis: u16,
        cutoff_seconds: u32,
        payout_day: u8,
        residual: WalletId,
    },
    SetYieldRate {
        asset: Symbol,
        rate_ppb: u64,
    },
    // ---- oracle (F3) ----
    RegisterOracleSource {
        wallet: WalletId,
        name: String,
    },
    CreateFeed(FeedSpec),
    /// Signed by the source's own wallet: the transaction signature is the report's.
    OracleReport {
        feed: String,
        /// × 10^-8 (see `oracle`); signed so that a negative value is refused, not unparsable.
        value: i64,
        observed_at: Time,
    },
    // ---- funds (F1, F2, F5, F6) ----
    CreateFund(FundSpec),
    CreateShareClass(ShareClassSpec),
    SetClassApy {
        asset: Symbol,
        apy_ppb: u64,
    },
    CustodianCash {
        fund: Symbol,
        #[serde(with = "amount_serde")]
        amount: Amount,
        movement: CashMovement,
        #[serde(default)]
        reference: String,
    },
    BuyPosition {
        fund: Symbol,
        instrument: Instrument,
        #[serde(with = "amount_serde")]
        face: Amount,
        #[serde(with = "amount_serde")]
        cost: Amount,
    },
    SellPosition {
        fund: Symbol,
        position: u64,
        #[serde(with = "amount_serde")]
        proceeds: Amount,
    },
    Subscribe {
        class: Symbol,
        /// Cash paid, in the fund's cash token's minor units.
        #[serde(with = "amount_serde")]
        amount: Amount,
    },
    Redeem {
        class: Symbol,
        #[serde(with = "amount_serde")]
        shares: Amount,
    },
    ResetBreaker {
        fund: Symbol,
        reason: String,
    },
    // ---- tokenized Treasury securities (F8) ----
    ServiceSecurity {
        asset: Symbol,
        cash_asset: Symbol,
        paying_agent: WalletId,
    },
}

/// Decoding of a proposal's operations, bounded in nesting: without a bound, a transaction of a
/// few hundred kilobytes nesting proposals in proposals overflows the stack of whichever thread
/// decodes it. Valid transactions nest one level at most (the stateless checks refuse a proposal
/// in a proposal), so the bound never refuses what could be journaled.
mod nested_ops {
    use super::Op;
    use borsh::io::{Error, ErrorKind, Read};
    use std::cell::Cell;

    /// Proposals decoded inside proposals, at most.
    pub const MAX_DEPTH: u32 = 4;

    thread_local! {
        static DEPTH: Cell<u32> = const { Cell::new(0) };
    }

    /// Restores the depth however decoding ends.
    struct Level(u32);
    impl Drop for Level {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(self.0));
        }
    }

    pub fn deserialize<R: Read>(reader: &mut R) -> Result<Vec<Op>, Error> {
        let depth = DEPTH.with(|d| d.get());
        if depth >= MAX_DEPTH {
            return Err(Error::new(ErrorKind::InvalidData, "proposals nested too deep"));
        }
        let _level = Level(depth);
        DEPTH.with(|d| d.set(depth + 1));
        <Vec<Op> as borsh::BorshDeserialize>::deserialize_reader(reader)
    }
}

/// Bounds on what one operation may carry.
pub const MAX_OPS_PER_TX: usize = 64;
pub const MAX_SANCTION_TARGETS_PER_OP: usize = 10_000;
pub const MAX_TOPICS: usize = 8;

impl Op {
    /// The operation's name as written in JSON and scenario files.
    pub fn name(&self) -> &'static str {
        match self {
            Op::RegisterParty { .. } => "register_party",
            Op::AddWallet { .. } => "add_wallet",
            Op::IssueClaim { .. } => "issue_claim",
            Op::RevokeClaim { .. } => "revoke_claim",
            Op::LinkAddress { .. } => "link_address",
            Op::TrustIssuer { .. } => "trust_issuer",
            Op::UntrustIssuer { .. } => "untrust_issuer",
            Op::CreateAsset(_) => "create_asset",
            Op::SetPolicy { .. } => "set_policy",
            Op::SetSupplyCap { .. } => "set_supply_cap",
            Op::Mint { .. } => "mint",
            Op::Burn { .. } => "burn",
            Op::Transfer { .. } => "transfer",
            Op::GrantRole { .. } => "grant_role",
            Op::RevokeRole { .. } => "revoke_role",
            Op::SetThreshold { .. } => "set_threshold",
            Op::Propose { .. } => "propose",
            Op::Approve { .. } => "approve",
            Op::Reject { .. } => "reject",
            Op::Pause { .. } => "pause",
            Op::Unpause { .. } => "unpause",
            Op::FreezeWallet { .. } => "freeze_wallet",
            Op::UnfreezeWallet { .. } => "unfreeze_wallet",
            Op::FreezeAmount { .. } => "freeze_amount",
            Op::UnfreezeAmount { .. } => "unfreeze_amount",
            Op::ForceTransfer { .. } => "force_transfer",
            Op::RecoverWallet { .. } => "recover_wallet",
            Op::SanctionAdd { .. } => "sanction_add",
            Op::SanctionRemove { .. } => "sanction_remove",
            Op::CreateInstruction { .. } => "create_instruction",
            Op::AffirmInstruction { .. } => "affirm_instruction",
            Op::WithdrawAffirmation { .. } => "withdraw_affirmation",
            Op::RejectInstruction { .. } => "reject_instruction",
            Op::CancelInstruction { .. } => "cancel_instruction",
            Op::SettleInstruction { .. } => "settle_instruction",
            Op::HtlcLock { .. } => "htlc_lock",
            Op::HtlcClaim { .. } => "htlc_claim",
            Op::HtlcRefund { .. } => "htlc_refund",
            Op::IssueCash { .. } => "issue_cash",
            Op::RedeemCash { .. } => "redeem_cash",
            Op::RegisterConversion { .. } => "register_conversion",
            Op::ConvertCash { .. } => "convert_cash",
            Op::OpenTender { .. } => "open_tender",
            Op::PlaceBid { .. } => "place_bid",
            Op::AwardTender { .. } => "award_tender",
            Op::CompleteTender { .. } => "complete_tender",
            Op::DeclareDefault { .. } => "declare_default",
            Op::CancelTender { .. } => "cancel_tender",
            Op::ProposeRepo { .. } => "propose_repo",
            Op::AcceptRepo { .. } => "accept_repo",
            Op::CancelRepo { .. } => "cancel_repo",
            Op::SubstituteCollateral { .. } => "substitute_collateral",
            Op::CreateYieldClass { .. } => "create_yield_class",
            Op::SetYieldRate { .. } => "set_yield_rate",
            Op::RegisterOracleSource { .. } => "register_oracle_source",
            Op::CreateFeed(_) => "create_feed",
            Op::OracleReport { .. } => "oracle_report",
            Op::CreateFund(_) => "create_fund",
            Op::CreateShareClass(_) => "create_share_class",
            Op::SetClassApy { .. } => "set_class_apy",
            Op::CustodianCash { .. } => "custodian_cash",
            Op::BuyPosition { .. } => "buy_position",
            Op::SellPosition { .. } => "sell_position",
            Op::Subscribe { .. } => "subscribe",
            Op::Redeem { .. } => "redeem",
            Op::ResetBreaker { .. } => "reset_breaker",
            Op::ServiceSecurity { .. } => "service_security",
        }
    }

    /// Checks that need no state: text lengths, id shapes, bounds. Runs before sequencing.
    pub fn check_stateless(&self, depth: u8) -> Result<(), crate::Refusal> {
        use crate::code::{refuse, Code};
        let reason = |r: &str| check_text("reason", r, MAX_TEXT_LEN);
        match self {
            Op::RegisterParty { party, name, .. } => {
                check_party_id(party)?;
                check_text("name", name, MAX_TEXT_LEN)
            }
            Op::AddWallet { party, .. } => check_party_id(party),
            Op::IssueClaim { party, claim, .. } | Op::RevokeClaim { party, claim } => {
                check_party_id(party)?;
                claim.check()
            }
            Op::LinkAddress { party, currency, address } => {
                check_party_id(party)?;
                SanctionTarget::Address { currency: currency.clone(), address: address.clone() }.check()
            }
            Op::TrustIssuer { topics, .. } => {
                if topics.is_empty() || topics.len() > MAX_TOPICS {
                    return refuse(Code::ClaimInvalid, "trust needs 1 to 8 claim topics");
                }
                Ok(())
            }
            Op::UntrustIssuer { .. } => Ok(()),
            Op::CreateAsset(spec) => {
                check_symbol(&spec.symbol)?;
                check_text("name", &spec.name, MAX_TEXT_LEN)?;
                check_party_id(&spec.issuer)?;
                if spec.decimals > MAX_DECIMALS {
                    return refuse(Code::AssetInvalid, format!("decimals {} above {MAX_DECIMALS}", spec.decimals));
                }
                spec.kind.check()?;
                spec.policy.check()
            }
            Op::SetPolicy { asset, policy } => {
                check_symbol(asset)?;
                policy.check()
            }
            Op::SetSupplyCap { asset, .. } => check_symbol(asset),
            Op::Mint { asset, amount, .. } | Op::Burn { asset, amount, .. } | Op::Transfer { asset, amount, .. } => {
                check_symbol(asset)?;
                nonzero(*amount)
            }
            Op::GrantRole { scope, .. } | Op::RevokeRole { scope, .. } => check_scope(scope),
            Op::SetThreshold { threshold, .. } => crate::governance::check_threshold(*threshold),
            Op::Propose { ops, .. } => {
                if depth > 0 {
                    return refuse(Code::GovernanceNestedProposal, "a proposal cannot contain a proposal");
                }
                if ops.is_empty() || ops.len() > MAX_OPS_PER_TX {
                    return refuse(Code::TxBadOpCount, format!("a proposal holds 1 to {MAX_OPS_PER_TX} operations"));
                }
                for op in ops {
                    if matches!(op, Op::Approve { .. } | Op::Reject { .. } | Op::Propose { .. }) {
                        return refuse(
                            Code::GovernanceNestedProposal,
                            "a proposal cannot contain propose, approve or reject",
                        );
                    }
                    op.check_stateless(depth + 1)?;
                }
                Ok(())
            }
            Op::Approve { .. } | Op::Reject { .. } => Ok(()),
            Op::Pause { scope, reason: r } | Op::Unpause { scope, reason: r } => {
                check_scope(scope)?;
                reason(r)
            }
            Op::FreezeWallet { reason: r, .. } | Op::UnfreezeWallet { reason: r, .. } => reason(r),
            Op::FreezeAmount { asset, amount, reason: r, .. } | Op::UnfreezeAmount { asset, amount, reason: r, .. } => {
                check_symbol(asset)?;
                nonzero(*amount)?;
                reason(r)
            }
            Op::ForceTransfer { asset, amount, reference, .. } => {
                check_symbol(asset)?;
                nonzero(*amount)?;
                check_text("reference", reference, MAX_TEXT_LEN)
            }
            Op::RecoverWallet { lost, new, reference } => {
                if lost == new {
                    return refuse(Code::WalletDifferentParty, "recovery needs a new wallet, not the lost one");
                }
                check_text("reference", reference, MAX_TEXT_LEN)
            }
            Op::SanctionAdd { targets, source } | Op::SanctionRemove { targets, source } => {
                if targets.is_empty() || targets.len() > MAX_SANCTION_TARGETS_PER_OP {
                    return refuse(
                        Code::SanctionsInvalid,
                        format!("1 to {MAX_SANCTION_TARGETS_PER_OP} targets per operation"),
                    );
                }
                for t in targets {
                    t.check()?;
                }
                check_text("source", source, MAX_TEXT_LEN)
            }
            Op::CreateInstruction { legs, reference, .. } => {
                crate::settlement::check_legs(legs)?;
                check_text("reference", reference, MAX_TEXT_LEN)
            }
            Op::RejectInstruction { reason: r, .. } | Op::CancelInstruction { reason: r, .. } => reason(r),
            Op::AffirmInstruction { .. } | Op::WithdrawAffirmation { .. } | Op::SettleInstruction { .. } => Ok(()),
            Op::HtlcLock { asset, amount, .. } => {
                check_symbol(asset)?;
                nonzero(*amount)
            }
            Op::HtlcClaim { preimage, .. } => {
                if preimage.len() > crate::htlc::MAX_PREIMAGE_BYTES {
                    return refuse(
                        Code::FieldTooLong,
                        format!("a preimage is at most {} bytes", crate::htlc::MAX_PREIMAGE_BYTES),
                    );
                }
                Ok(())
            }
            Op::HtlcRefund { .. } => Ok(()),
            Op::IssueCash { asset, amount, fiat_reference: r, .. }
            | Op::RedeemCash { asset, amount, payout_reference: r } => {
                check_symbol(asset)?;
                nonzero(*amount)?;
                check_text("reference", r, MAX_TEXT_LEN)
            }
            Op::RegisterConversion { cbdc, token, .. } => {
                check_symbol(cbdc)?;
                check_symbol(token)
            }
            Op::ConvertCash { from, to, amount } => {
                check_symbol(from)?;
                check_symbol(to)?;
                nonzero(*amount)
            }
            Op::OpenTender { asset, bond, reference, .. } => {
                check_symbol(asset)?;
                if *bond == 0 {
                    return refuse(Code::EscrowBadTerms, "the bond must be positive");
                }
                check_text("reference", reference, MAX_TEXT_LEN)
            }
            Op::DeclareDefault { reason: r, .. } | Op::CancelTender { reason: r, .. } => reason(r),
            Op::PlaceBid { .. } | Op::AwardTender { .. } | Op::CompleteTender { .. } => Ok(()),
            Op::ProposeRepo { terms, .. } => crate::repo::check_terms(terms),
            Op::AcceptRepo { .. } | Op::CancelRepo { .. } => Ok(()),
            Op::SubstituteCollateral { asset, amount, .. } => {
                check_symbol(asset)?;
                nonzero(*amount)
            }
            Op::CreateYieldClass { asset, .. } | Op::SetYieldRate { asset, .. } => check_symbol(asset),
            Op::RegisterOracleSource { name, .. } => check_text("name", name, MAX_TEXT_LEN),
            Op::CreateFeed(spec) => crate::oracle::check_spec(spec),
            Op::OracleReport { feed, .. } => check_text("feed", feed, crate::oracle::MAX_FEED_ID),
            Op::CreateFund(spec) => {
                check_symbol(&spec.fund)?;
                check_text("name", &spec.name, MAX_TEXT_LEN)?;
                check_party_id(&spec.manager)?;
                check_symbol(&spec.cash_asset)
            }
            Op::CreateShareClass(spec) => {
                check_symbol(&spec.fund)?;
                check_symbol(&spec.asset)?;
                if spec.domain_fees.len() > 16 || spec.eligible.len() > 8 || spec.denied_jurisdictions.len() > 256 {
                    return refuse(Code::FundBadSpec, "too many domain fees, classes or jurisdictions");
                }
                Ok(())
            }
            Op::SetClassApy { asset, .. } => check_symbol(asset),
            Op::CustodianCash { fund, amount, reference, .. } => {
                check_symbol(fund)?;
                nonzero(*amount)?;
                check_text("reference", reference, MAX_TEXT_LEN)
            }
            Op::BuyPosition { fund, instrument, .. } => {
                check_symbol(fund)?;
                instrument.check()
            }
            Op::SellPosition { fund, .. } => check_symbol(fund),
            Op::Subscribe { class, amount } | Op::Redeem { class, shares: amount } => {
                check_symbol(class)?;
                nonzero(*amount)
            }
            Op::ResetBreaker { fund, reason: r } => {
                check_symbol(fund)?;
                reason(r)
            }
            Op::ServiceSecurity { asset, cash_asset, .. } => {
                check_symbol(asset)?;
                check_symbol(cash_asset)
            }
        }
    }
}

fn nonzero(a: Amount) -> Result<(), crate::Refusal> {
    if a == 0 {
        return crate::code::refuse(crate::Code::AmountZero, "the amount must be positive");
    }
    Ok(())
}

fn check_scope(s: &Scope) -> Result<(), crate::Refusal> {
    match s {
        Scope::Global => Ok(()),
        Scope::Asset(sym) => check_symbol(sym),
    }
}
