//! Operations: what a transaction asks the ledger to do. One enum, canonical (borsh) encoding
//! for signing and the journal, serde (snake_case, externally tagged) for JSON and scenario
//! files. Never reorder or remove entries: the borsh tag is the entry's position.
//!
//! [`with_operations!`] is the one list of operations. Each entry names the variant, its name
//! in JSON, and its payload: a type owned by its domain's model module, whose rules
//! (authority, stateless check, execution) are its `Action` impl (see `action`) in the
//! domain's rule module. The enum, `name`, the `From` conversions and the dispatch in
//! `action` are all generated from this list, so adding an operation is: its payload type, its
//! `Action` impl, and one line here.

use crate::model::{
    admin, cash, collateral, escrow, fund, htlc, movement, oracle, repo, securities, settlement, yields,
};
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

/// Calls `$then!` with the list of operations, in borsh tag order.
macro_rules! with_operations {
    ($then:ident) => {
        $then! {
            // identity (L1, L2)
            RegisterParty = "register_party" (admin::RegisterParty),
            AddWallet = "add_wallet" (admin::AddWallet),
            IssueClaim = "issue_claim" (admin::IssueClaim),
            RevokeClaim = "revoke_claim" (admin::RevokeClaim),
            LinkAddress = "link_address" (admin::LinkAddress),
            TrustIssuer = "trust_issuer" (admin::TrustIssuer),
            UntrustIssuer = "untrust_issuer" (admin::UntrustIssuer),
            // assets (L3, L4)
            CreateAsset = "create_asset" (admin::AssetSpec),
            SetPolicy = "set_policy" (admin::SetPolicy),
            SetSupplyCap = "set_supply_cap" (admin::SetSupplyCap),
            Mint = "mint" (movement::Mint),
            Burn = "burn" (movement::Burn),
            Transfer = "transfer" (movement::Transfer),
            // roles and governance (L7)
            GrantRole = "grant_role" (admin::GrantRole),
            RevokeRole = "revoke_role" (admin::RevokeRole),
            SetThreshold = "set_threshold" (admin::SetThreshold),
            Propose = "propose" (proposing::Propose),
            Approve = "approve" (proposing::Approve),
            Reject = "reject" (proposing::Reject),
            // emergency controls and recovery (L8, L2)
            Pause = "pause" (admin::Pause),
            Unpause = "unpause" (admin::Unpause),
            FreezeWallet = "freeze_wallet" (admin::FreezeWallet),
            UnfreezeWallet = "unfreeze_wallet" (admin::UnfreezeWallet),
            FreezeAmount = "freeze_amount" (movement::FreezeAmount),
            UnfreezeAmount = "unfreeze_amount" (movement::UnfreezeAmount),
            ForceTransfer = "force_transfer" (movement::ForceTransfer),
            RecoverWallet = "recover_wallet" (movement::RecoverWallet),
            // sanctions (L6)
            SanctionAdd = "sanction_add" (admin::SanctionAdd),
            SanctionRemove = "sanction_remove" (admin::SanctionRemove),
            // settlement (S2, S4)
            CreateInstruction = "create_instruction" (settlement::CreateInstruction),
            AffirmInstruction = "affirm_instruction" (settlement::AffirmInstruction),
            WithdrawAffirmation = "withdraw_affirmation" (settlement::WithdrawAffirmation),
            RejectInstruction = "reject_instruction" (settlement::RejectInstruction),
            CancelInstruction = "cancel_instruction" (settlement::CancelInstruction),
            SettleInstruction = "settle_instruction" (settlement::SettleInstruction),
            HtlcLock = "htlc_lock" (htlc::HtlcLock),
            HtlcClaim = "htlc_claim" (htlc::HtlcClaim),
            HtlcRefund = "htlc_refund" (htlc::HtlcRefund),
            // cash tokens (S3)
            IssueCash = "issue_cash" (cash::IssueCash),
            RedeemCash = "redeem_cash" (cash::RedeemCash),
            RegisterConversion = "register_conversion" (cash::RegisterConversion),
            ConvertCash = "convert_cash" (cash::ConvertCash),
            // escrow programs (S5)
            OpenTender = "open_tender" (escrow::OpenTender),
            PlaceBid = "place_bid" (escrow::PlaceBid),
            AwardTender = "award_tender" (escrow::AwardTender),
            CompleteTender = "complete_tender" (escrow::CompleteTender),
            DeclareDefault = "declare_default" (escrow::DeclareDefault),
            CancelTender = "cancel_tender" (escrow::CancelTender),
            // repo (S6)
            ProposeRepo = "propose_repo" (repo::ProposeRepo),
            AcceptRepo = "accept_repo" (repo::AcceptRepo),
            CancelRepo = "cancel_repo" (repo::CancelRepo),
            SubstituteCollateral = "substitute_collateral" (repo::SubstituteCollateral),
            // yield (F4)
            CreateYieldClass = "create_yield_class" (yields::CreateYieldClass),
            SetYieldRate = "set_yield_rate" (yields::SetYieldRate),
            // oracle (F3)
            RegisterOracleSource = "register_oracle_source" (oracle::RegisterOracleSource),
            CreateFeed = "create_feed" (oracle::FeedSpec),
            OracleReport = "oracle_report" (oracle::OracleReport),
            // funds (F1, F2, F5, F6)
            CreateFund = "create_fund" (fund::FundSpec),
            CreateShareClass = "create_share_class" (fund::ShareClassSpec),
            SetClassApy = "set_class_apy" (fund::SetClassApy),
            CustodianCash = "custodian_cash" (fund::CustodianCash),
            BuyPosition = "buy_position" (fund::BuyPosition),
            SellPosition = "sell_position" (fund::SellPosition),
            Subscribe = "subscribe" (fund::Subscribe),
            Redeem = "redeem" (fund::Redeem),
            ResetBreaker = "reset_breaker" (fund::ResetBreaker),
            // tokenized Treasury securities (F8)
            ServiceSecurity = "service_security" (securities::ServiceSecurity),
            // added after the first release: new operations go last (the encoding's tags)
            SetShadowNavAlerts = "set_shadow_nav_alerts" (fund::SetShadowNavAlerts),
            // collateral and margin (C1–C5)
            SetCollateralSchedule = "set_collateral_schedule" (collateral::SetCollateralSchedule),
            AdmitMember = "admit_member" (collateral::AdmitMember),
            PledgeCollateral = "pledge_collateral" (collateral::PledgeCollateral),
            WithdrawCollateral = "withdraw_collateral" (collateral::WithdrawCollateral),
            ReleaseCollateral = "release_collateral" (collateral::ReleaseCollateral),
            SubstitutePledge = "substitute_pledge" (collateral::SubstitutePledge),
            SetMarginRequirement = "set_margin_requirement" (collateral::SetMarginRequirement),
            ContributeDefaultFund = "contribute_default_fund" (collateral::ContributeDefaultFund),
            RequestLoan = "request_loan" (collateral::RequestLoan),
            FundLoan = "fund_loan" (collateral::FundLoan),
            RepayLoan = "repay_loan" (collateral::RepayLoan),
            CancelLoan = "cancel_loan" (collateral::CancelLoan),
            OpenSegregatedAccount = "open_segregated_account" (collateral::OpenSegregatedAccount),
        }
    };
}
pub(crate) use with_operations;

macro_rules! define_op {
    ($($variant:ident = $name:literal ($m:ident :: $t:ident),)*) => {
        #[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
        pub enum Op {
            // The listed name is the JSON name: one spelling, used by serde and by `name`.
            $(#[serde(rename = $name)] $variant($m::$t),)*
        }

        impl Op {
            /// Every operation's name as written in JSON and scenario files, in tag order.
            pub const NAMES: &'static [&'static str] = &[$($name,)*];

            /// The operation's name as written in JSON and scenario files.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Op::$variant(_) => $name,)*
                }
            }
        }

        /// One operation: an object with one key, its JSON name, holding its payload. Each is a
        /// named schema, `Op` + the variant (`OpTransfer`: `{"transfer": Transfer}`), so that
        /// generated clients get one class per operation.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for Op {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::OneOfBuilder::new()
                    $(.item(utoipa::openapi::Ref::from_schema_name(concat!("Op", stringify!($variant)))))*
                    .description(Some("One operation, externally tagged: an object with one key, the operation's name."))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for Op {
            fn schemas(out: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
                use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Type};
                use utoipa::{PartialSchema, ToSchema};
                $(
                    out.push((
                        concat!("Op", stringify!($variant)).to_string(),
                        ObjectBuilder::new()
                            .schema_type(Type::Object)
                            .property($name, utoipa::openapi::Ref::from_schema_name(<$m::$t as ToSchema>::name()))
                            .required($name)
                            .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                            .into(),
                    ));
                    out.push((<$m::$t as ToSchema>::name().into_owned(), <$m::$t as PartialSchema>::schema()));
                    <$m::$t as ToSchema>::schemas(out);
                )*
            }
        }

        $(impl From<$m::$t> for Op {
            fn from(payload: $m::$t) -> Op {
                Op::$variant(payload)
            }
        })*

        $(pub use $m::$t;)*
    };
}
with_operations!(define_op);

/// The governance operations' payloads. They hold operations, so they live beside `Op` (a
/// proposal record, `proposal::Proposal`, is data about them and sits above).
pub mod proposing {
    use super::Op;
    use crate::types::*;
    use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(deny_unknown_fields)]
    pub struct Propose {
        #[borsh(deserialize_with = "super::nested_ops::deserialize")]
        #[cfg_attr(feature = "openapi", schema(no_recursion))]
        pub ops: Vec<Op>,
        pub expires_at: Time,
    }

    #[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(deny_unknown_fields)]
    pub struct Approve {
        pub proposal: u64,
    }

    #[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(deny_unknown_fields)]
    pub struct Reject {
        pub proposal: u64,
    }
}

/// Decoding of a proposal's operations, bounded in nesting: without a bound, a transaction of a
/// few hundred kilobytes nesting proposals in proposals overflows the stack of whichever thread
/// decodes it. Valid transactions nest one level at most (the stateless checks refuse a proposal
/// in a proposal), so the bound never refuses what could be journaled.
pub(crate) mod nested_ops {
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
        DEPTH.with(|d| d.set(depth.checked_add(1).expect("below MAX_DEPTH, checked above")));
        <Vec<Op> as borsh::BorshDeserialize>::deserialize_reader(reader)
    }
}

/// Bounds on what one operation may carry.
pub const MAX_OPS_PER_TX: usize = 64;
pub const MAX_SANCTION_TARGETS_PER_OP: usize = 10_000;
pub const MAX_TOPICS: usize = 8;
