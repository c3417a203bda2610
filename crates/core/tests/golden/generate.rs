//! The values the fixtures were written from. Only `write_fixtures` (ignored, run deliberately)
//! uses this module; the checks read the committed files and never these values.
//!
//! Operations, transaction bodies and the genesis are written as their JSON, which is the
//! external form the fixtures pin anyway, so a change of Rust construction syntax does not
//! touch them. Events, receipts and headers have no JSON decoder and are built in Rust: if
//! their construction syntax changes, only the constructors below need the edit.

use super::Entry;
use serde_json::{json, Value};
use tessera_core::block::{
    Block, BlockBody, BlockHeader, Event, Genesis, Outcome, Receipt, SystemReceipt, YieldPayment,
};
use tessera_core::collateral::{CallKind, CollateralEvent as C};
use tessera_core::crypto::Keypair;
use tessera_core::fund::{CashMovement, FundEvent};
use tessera_core::governance::OpClass;
use tessera_core::op::Op;
use tessera_core::oracle::FeedKind;
use tessera_core::tx::{SignedTx, TxBody};
use tessera_core::*;

fn key(name: &str) -> Keypair {
    Keypair::insecure_from_name(name)
}
fn w(name: &str) -> WalletId {
    key(name).wallet()
}
fn wh(name: &str) -> String {
    w(name).to_hex()
}
fn sym(s: &str) -> Symbol {
    Symbol::new(s)
}
fn party(s: &str) -> PartyId {
    PartyId::new(s)
}
fn t(s: &str) -> Time {
    Time::parse(s).expect("a valid time")
}

fn entry<T: borsh::BorshSerialize>(name: &str, value: &T, json: Option<Value>) -> Entry {
    Entry { name: name.into(), hex: hex::encode(borsh::to_vec(value).unwrap()), json, pins: Default::default() }
}

fn from_json<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// One JSON value per operation, in the order of `Op`'s variants (the borsh tag).
pub fn op_values() -> Vec<(&'static str, Value)> {
    vec![
        (
            "register_party",
            json!({"register_party": {"party": "acme-capital", "name": "Acme Capital LLC", "kind": "institution"}}),
        ),
        ("add_wallet", json!({"add_wallet": {"party": "acme-capital", "wallet": wh("acme")}})),
        (
            "issue_claim",
            json!({"issue_claim": {"party": "acme-capital", "claim": {"beneficial_owner": {"name": "Jane Roe", "share_bps": 4000}}, "expires_at": "2026-06-30T00:00:00Z"}}),
        ),
        (
            "revoke_claim",
            json!({"revoke_claim": {"party": "acme-capital", "claim": {"investor_class": "qualified_purchaser"}}}),
        ),
        (
            "link_address",
            json!({"link_address": {"party": "acme-capital", "currency": "XBT", "address": "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6"}}),
        ),
        (
            "trust_issuer",
            json!({"trust_issuer": {"wallet": wh("kyc-provider"), "topics": ["kyc", "jurisdiction", "beneficial_owner"]}}),
        ),
        ("untrust_issuer", json!({"untrust_issuer": {"wallet": wh("kyc-provider")}})),
        (
            "create_asset",
            json!({"create_asset": {"symbol": "TB0613", "name": "US T-Bill 2025-06-13", "kind": {"treasury_security": {"security": "bill", "cusip": "912797NP8", "maturity": "2025-06-13T00:00:00Z", "coupon_micros": 0}}, "decimals": 2, "issuer": "treasury-agent", "supply_cap": "500000000000000000000", "policy": {"rules": ["kyc", {"investor_classes": ["accredited", "qib"]}, {"jurisdictions_denied": ["KP", "IR"]}, {"lockup": {"seconds": 3600}}, {"min_investment": 100000}]}}}),
        ),
        (
            "set_policy",
            json!({"set_policy": {"asset": "USDX", "policy": {"rules": ["sanctions", {"jurisdictions_allowed": ["US", "GB"]}, {"min_holding": 500}, {"max_holders": 1999}, {"max_balance": 90000000}, {"max_share_bps": 2500}, {"transfer_limit": 7500000}, {"rolling_24h_limit": 12000000}, "same_party_only", {"monitor_structuring": {"threshold": 1000000, "window_seconds": 86400, "count": 3}}, {"monitor_rapid_in_out": {"window_seconds": 7200, "share_bps": 8000}}, {"monitor_new_counterparty": {"amount": 2500000}}, {"party_kinds": ["bank", "central_bank"]}]}}}),
        ),
        ("set_supply_cap", json!({"set_supply_cap": {"asset": "USDX", "cap": 1000000000000u64}})),
        ("mint", json!({"mint": {"asset": "USDX", "to": wh("alice"), "amount": 2500075}})),
        ("burn", json!({"burn": {"asset": "USDX", "from": wh("alice"), "amount": 1250}})),
        ("transfer", json!({"transfer": {"asset": "TB0613", "to": wh("bob"), "amount": "18446744073709551621"}})),
        (
            "grant_role",
            json!({"grant_role": {"wallet": wh("issuer"), "role": "issuer_agent", "scope": {"asset": "TB0613"}}}),
        ),
        ("revoke_role", json!({"revoke_role": {"wallet": wh("pauser"), "role": "pauser", "scope": "global"}})),
        ("set_threshold", json!({"set_threshold": {"class": "sensitive", "threshold": 3}})),
        (
            "propose",
            json!({"propose": {"ops": [
            {"set_threshold": {"class": "emergency", "threshold": 2}},
            {"grant_role": {"wallet": wh("venue"), "role": "venue", "scope": "global"}}
        ], "expires_at": "2025-03-20T17:00:00Z"}}),
        ),
        ("approve", json!({"approve": {"proposal": 17}})),
        ("reject", json!({"reject": {"proposal": 18}})),
        ("pause", json!({"pause": {"scope": {"asset": "USDX"}, "reason": "issuer bank outage"}})),
        ("unpause", json!({"unpause": {"scope": "global", "reason": "incident 42 closed"}})),
        ("freeze_wallet", json!({"freeze_wallet": {"wallet": wh("mallory"), "reason": "court order 2025-117"}})),
        ("unfreeze_wallet", json!({"unfreeze_wallet": {"wallet": wh("mallory"), "reason": "order lifted"}})),
        (
            "freeze_amount",
            json!({"freeze_amount": {"asset": "USDX", "wallet": wh("carol"), "amount": 333000, "reason": "disputed payment"}}),
        ),
        (
            "unfreeze_amount",
            json!({"unfreeze_amount": {"asset": "USDX", "wallet": wh("carol"), "amount": 111000, "reason": "dispute settled"}}),
        ),
        (
            "force_transfer",
            json!({"force_transfer": {"asset": "TB0613", "from": wh("mallory"), "to": wh("custodian"), "amount": 4200, "reason": "lawful_seizure", "reference": "warrant W-889"}}),
        ),
        (
            "recover_wallet",
            json!({"recover_wallet": {"lost": wh("dave-old"), "new": wh("dave-new"), "reference": "ticket 5531"}}),
        ),
        (
            "sanction_add",
            json!({"sanction_add": {"targets": [{"wallet": wh("mallory")}, {"party": "shell-co"}, {"address": {"currency": "ETH", "address": "0x8589427373d6d84e98730d7795d8f6f8731fda16"}}], "source": "OFAC SDN 2025-03-11"}}),
        ),
        (
            "sanction_remove",
            json!({"sanction_remove": {"targets": [{"party": "shell-co"}], "source": "OFAC delisting 2025-04-02"}}),
        ),
        (
            "create_instruction",
            json!({"create_instruction": {"legs": [
            {"asset": "TB0613", "amount": 1000000, "from": wh("alice"), "to": wh("bob")},
            {"asset": "USDX", "amount": 99123400, "from": wh("bob"), "to": wh("alice")}
        ], "settle": {"at_height": 120}, "trade_date": "2025-03-14T00:00:00Z", "value_date": "2025-03-17T00:00:00Z", "expires_at": "2025-03-18T00:00:00Z", "reference": "TRADE-7781"}}),
        ),
        ("affirm_instruction", json!({"affirm_instruction": {"instruction": 5}})),
        ("withdraw_affirmation", json!({"withdraw_affirmation": {"instruction": 6}})),
        ("reject_instruction", json!({"reject_instruction": {"instruction": 7, "reason": "wrong price"}})),
        ("cancel_instruction", json!({"cancel_instruction": {"instruction": 8, "reason": "duplicate"}})),
        ("settle_instruction", json!({"settle_instruction": {"instruction": 9}})),
        (
            "htlc_lock",
            json!({"htlc_lock": {"asset": "USDX", "to": wh("bob"), "amount": 7700, "hash_lock": hex::encode([0x5a; 32]), "deadline": "2025-03-15T12:00:00Z"}}),
        ),
        ("htlc_claim", json!({"htlc_claim": {"htlc": 3, "preimage": "736563726574"}})),
        ("htlc_refund", json!({"htlc_refund": {"htlc": 4}})),
        (
            "issue_cash",
            json!({"issue_cash": {"asset": "USDX", "to": wh("alice"), "amount": 50000000, "fiat_reference": "FED-WIRE 20250314-001"}}),
        ),
        ("redeem_cash", json!({"redeem_cash": {"asset": "USDX", "amount": 1250000, "payout_reference": "ACH 9981"}})),
        (
            "register_conversion",
            json!({"register_conversion": {"cbdc": "WCBDC", "token": "USDX", "omnibus": wh("omnibus")}}),
        ),
        ("convert_cash", json!({"convert_cash": {"from": "WCBDC", "to": "USDX", "amount": 640000}})),
        (
            "open_tender",
            json!({"open_tender": {"asset": "USDX", "bond": 25000, "bid_deadline": "2025-04-01T16:00:00Z", "reference": "RFP-2025-09"}}),
        ),
        ("place_bid", json!({"place_bid": {"tender": 2}})),
        ("award_tender", json!({"award_tender": {"tender": 2, "winner": wh("bob")}})),
        ("complete_tender", json!({"complete_tender": {"tender": 2}})),
        ("declare_default", json!({"declare_default": {"tender": 3, "reason": "no delivery"}})),
        ("cancel_tender", json!({"cancel_tender": {"tender": 4, "reason": "budget withdrawn"}})),
        (
            "propose_repo",
            json!({"propose_repo": {"terms": {"lender": wh("alice"), "borrower": wh("bob"), "cash_asset": "USDX", "cash_amount": 9800000, "collateral_asset": "TB0613", "collateral_amount": 100000, "price_micros": 99500000, "haircut_bps": 150, "rate_bps": 435, "maturity": "2025-03-21T15:00:00Z"}, "accept_by": "2025-03-14T18:00:00Z"}}),
        ),
        ("accept_repo", json!({"accept_repo": {"repo": 11}})),
        ("cancel_repo", json!({"cancel_repo": {"repo": 12}})),
        (
            "substitute_collateral",
            json!({"substitute_collateral": {"repo": 11, "asset": "TN2030", "amount": 98000, "price_micros": 101250000}}),
        ),
        (
            "create_yield_class",
            json!({"create_yield_class": {"asset": "YLDX", "basis": 360, "cutoff_seconds": 57600, "payout_day": 28, "residual": wh("residual")}}),
        ),
        ("set_yield_rate", json!({"set_yield_rate": {"asset": "YLDX", "rate_ppb": 43250000}})),
        (
            "register_oracle_source",
            json!({"register_oracle_source": {"wallet": wh("oracle-1"), "name": "Pricing Service One"}}),
        ),
        (
            "create_feed",
            json!({"create_feed": {"feed": "PX:912797NP8", "kind": "price", "sources": [wh("oracle-1"), wh("oracle-2")], "quorum": 2, "max_age_seconds": 7200, "max_deviation_bps": 40, "max_move_bps": 250}}),
        ),
        (
            "oracle_report",
            json!({"oracle_report": {"feed": "PX:912797NP8", "value": 9_912_345_678i64, "observed_at": "2025-03-14T14:59:30Z"}}),
        ),
        (
            "create_fund",
            json!({"create_fund": {"fund": "ATLAS", "name": "Atlas Treasury Fund", "manager": "atlas-am", "cash_asset": "USDX", "cash_wallet": wh("atlas-cash"), "fee_wallet": wh("atlas-fees"), "params": {"valuation_seconds": 55800, "min_dla_bps": 3000, "min_wla_bps": 5500, "max_wam_days": 55, "max_wal_days": 110, "max_maturity_days": 390, "facility_daily_limit": 250000000, "liquidity_fee_bps": 100, "liquidity_fee_below_wla_bps": 3000, "breaker_bps": 45, "fee_payout_day": 3, "yield_feed": "YIELD:ATLAS", "nav_feed": "NAV:ATLAS"}}}),
        ),
        (
            "create_share_class",
            json!({"create_share_class": {"fund": "ATLAS", "asset": "ATLASI", "basis": 360, "cutoff_seconds": 50400, "payout_day": 2, "residual": wh("residual"), "min_first": 500000000, "min_later": 10000000, "eligible": ["qualified_purchaser", "qib"], "denied_jurisdictions": ["US"], "fee_bps": 20, "domain_fees": [{"domain": "tessera-eu", "bps": 15}], "initial_price": 100_000_000u64, "redemption_fee_bps": 5}}),
        ),
        ("set_class_apy", json!({"set_class_apy": {"asset": "ATLASI", "apy_ppb": 48100000}})),
        (
            "custodian_cash",
            json!({"custodian_cash": {"fund": "ATLAS", "amount": 120000000, "movement": "to_ledger", "reference": "BNY 4471"}}),
        ),
        (
            "buy_position",
            json!({"buy_position": {"fund": "ATLAS", "instrument": {"note": {"cusip": "91282CJL6", "coupon_micros": 43750, "maturity": "2026-11-30T00:00:00Z"}}, "face": 100000000, "cost": 99621000}}),
        ),
        ("sell_position", json!({"sell_position": {"fund": "ATLAS", "position": 6, "proceeds": 50210000}})),
        ("subscribe", json!({"subscribe": {"class": "ATLASI", "amount": 750000000}})),
        ("redeem", json!({"redeem": {"class": "ATLASI", "shares": 1234567}})),
        ("reset_breaker", json!({"reset_breaker": {"fund": "ATLAS", "reason": "price feed corrected"}})),
        (
            "service_security",
            json!({"service_security": {"asset": "TB0613", "cash_asset": "USDX", "paying_agent": wh("paying-agent")}}),
        ),
        ("set_shadow_nav_alerts", json!({"set_shadow_nav_alerts": {"fund": "ATLAS", "bps": [25, 50]}})),
        (
            "set_collateral_schedule",
            json!({"set_collateral_schedule": {"ccp": "cme", "effective_from": "2025-03-14T00:00:00Z", "schedule": {
                "cash_asset": "USDX", "wallet": wh("cme-ops"),
                "eligible": [{"kind": "sovereign_bond", "issuer_country": "US", "currencies": ["USD"]}, {"kind": "mutual_fund", "issuer_country": "", "currencies": ["USD"]}],
                "haircuts": [{"instrument": "bill", "from_days": 0, "to_days": 365, "haircut_bps": 50}, {"instrument": "note_or_bond", "from_days": 3650, "to_days": null, "haircut_bps": 600}],
                "fund_share_haircut_bps": 300,
                "limits": {"fund_shares_per_member": "500000000000000", "per_fund_bps_of_assets": 500, "per_fund_cap": "150000000000000",
                           "single_fund_threshold": "20000000000000", "single_fund_max_bps": 5000, "ccp_per_fund_bps_of_assets": 1500,
                           "per_issuer_bps_of_requirement": null, "per_issuer_cap": null},
                "call_deadline_seconds": 3600, "daily_call_second": 28800, "excess_return_second": 33300, "intraday_threshold_bps": 100, "intraday_window": [32400, 75600],
                "liquidation_buyer": wh("dealer"), "liquidation_discount_bps": 50, "skin_in_the_game": "2500000000000", "custodian": "custody-bank"}}}),
        ),
        ("admit_member", json!({"admit_member": {"member": "alpha-clearing"}})),
        ("pledge_collateral", json!({"pledge_collateral": {"ccp": "cme", "asset": "ATLASI", "amount": 5000000}})),
        ("withdraw_collateral", json!({"withdraw_collateral": {"ccp": "cme", "asset": "USDX", "amount": 250000}})),
        (
            "release_collateral",
            json!({"release_collateral": {"member": "alpha-clearing", "wallet": wh("alpha"), "asset": "TB0613", "amount": 1000000}}),
        ),
        (
            "substitute_pledge",
            json!({"substitute_pledge": {"ccp": "cme", "release_asset": "TB0613", "release_amount": 1000000, "pledge_asset": "ATLASI", "pledge_amount": 1100000}}),
        ),
        (
            "set_margin_requirement",
            json!({"set_margin_requirement": {"ccp": "cme", "member": "alpha-clearing", "initial_margin": 90000000, "variation_margin": 1250000}}),
        ),
        ("contribute_default_fund", json!({"contribute_default_fund": {"ccp": "cme", "amount": 10000000}})),
        (
            "request_loan",
            json!({"request_loan": {"terms": {"lender": wh("bank-a"), "cash_asset": "USDX", "principal": 80000000, "rate_bps": 525,
                   "max_ltv_bps": 8000, "liquidation_ltv_bps": 9000, "liquidation_buyer": wh("dealer")},
                   "collateral_asset": "ATLASI", "collateral_amount": 100000000}}),
        ),
        ("fund_loan", json!({"fund_loan": {"loan": 4}})),
        ("repay_loan", json!({"repay_loan": {"loan": 4}})),
        ("cancel_loan", json!({"cancel_loan": {"loan": 5}})),
        (
            "open_segregated_account",
            json!({"open_segregated_account": {"ccp": "lch", "member": "alpha-clearing", "wallet": wh("alpha-at-custodian")}}),
        ),
        // More shapes of the nested types, so that a swapped variant inside them shows too.
        (
            "create_asset_cash_token",
            json!({"create_asset": {"symbol": "USDX", "name": "USD Token", "kind": {"cash_token": {"cash": "settlement_token", "currency": "USD"}}, "decimals": 6, "issuer": "bank-a", "policy": {"rules": []}}}),
        ),
        (
            "create_asset_fund_share",
            json!({"create_asset": {"symbol": "ATLASI", "name": "Atlas Institutional", "kind": {"fund_share": {"nav": "accumulating"}}, "decimals": 4, "issuer": "atlas-am", "policy": {"rules": []}}}),
        ),
        (
            "issue_claim_jurisdiction_no_expiry",
            json!({"issue_claim": {"party": "bob-co", "claim": {"jurisdiction": "DE"}, "expires_at": null}}),
        ),
        (
            "create_instruction_manual",
            json!({"create_instruction": {"legs": [{"asset": "USDX", "amount": 10, "from": wh("carol"), "to": wh("dave-new")}], "settle": "manual", "trade_date": null, "value_date": null, "expires_at": "2025-05-01T00:00:00Z", "reference": ""}}),
        ),
        (
            "buy_position_repo",
            json!({"buy_position": {"fund": "ATLAS", "instrument": {"repo": {"counterparty": "Dealer Bank NA", "rate_micros": 43100, "maturity": "2025-03-15T00:00:00Z"}}, "face": 20000000, "cost": 20000000}}),
        ),
        ("set_supply_cap_none", json!({"set_supply_cap": {"asset": "USDX", "cap": null}})),
    ]
}

pub fn ops() -> Vec<Entry> {
    op_values()
        .into_iter()
        .map(|(name, v)| {
            let op: Op = from_json(&v);
            entry(name, &op, Some(serde_json::to_value(&op).unwrap()))
        })
        .collect()
}

/// One value per event, in the order of `Event`'s variants, then the fund events.
pub fn event_values() -> Vec<(&'static str, Event)> {
    let usdx = || sym("USDX");
    let tb = || sym("TB0613");
    let atlas = || sym("ATLAS");
    vec![
        ("party_registered", Event::PartyRegistered { party: party("acme-capital") }),
        ("wallet_added", Event::WalletAdded { party: party("acme-capital"), wallet: w("acme") }),
        (
            "claim_issued",
            Event::ClaimIssued {
                party: party("acme-capital"),
                claim: Claim::InvestorClass(InvestorClass::Accredited),
                issuer: w("kyc-provider"),
                expires_at: Some(t("2026-01-31T00:00:00Z")),
            },
        ),
        ("claim_revoked", Event::ClaimRevoked { party: party("acme-capital"), claim: Claim::Sanctioned }),
        (
            "address_linked",
            Event::AddressLinked {
                party: party("acme-capital"),
                currency: "ETH".into(),
                address: "0x8589427373d6d84e98730d7795d8f6f8731fda16".into(),
            },
        ),
        (
            "issuer_trusted",
            Event::IssuerTrusted {
                wallet: w("kyc-provider"),
                topics: vec![ClaimTopic::Kyc, ClaimTopic::InvestorClass],
            },
        ),
        ("issuer_untrusted", Event::IssuerUntrusted { wallet: w("kyc-provider") }),
        ("asset_created", Event::AssetCreated { asset: tb(), kind: "treasury_security".into() }),
        ("policy_set", Event::PolicySet { asset: usdx(), rules: 7 }),
        ("supply_cap_set", Event::SupplyCapSet { asset: usdx(), cap: Some(1_000_000_000_000) }),
        ("minted", Event::Minted { asset: usdx(), to: w("alice"), amount: 2_500_075 }),
        ("burned", Event::Burned { asset: usdx(), from: w("alice"), amount: 1_250 }),
        (
            "transferred",
            Event::Transferred { asset: tb(), from: w("alice"), to: w("bob"), amount: 18_446_744_073_709_551_621 },
        ),
        (
            "role_granted",
            Event::RoleGranted { wallet: w("issuer"), role: Role::IssuerAgent, scope: Scope::Asset(tb()) },
        ),
        ("role_revoked", Event::RoleRevoked { wallet: w("pauser"), role: Role::Pauser, scope: Scope::Global }),
        ("threshold_set", Event::ThresholdSet { class: OpClass::Sensitive, threshold: 3 }),
        (
            "proposal_created",
            Event::ProposalCreated {
                proposal: 17,
                class: OpClass::Emergency,
                threshold: 2,
                expires_at: t("2025-03-20T17:00:00Z"),
            },
        ),
        ("proposal_approved", Event::ProposalApproved { proposal: 17, by: w("admin-2"), approvals: 2 }),
        ("proposal_rejected", Event::ProposalRejected { proposal: 18, by: w("admin-3"), rejections: 1 }),
        ("proposal_executed", Event::ProposalExecuted { proposal: 17, approvers: vec![w("admin-1"), w("admin-2")] }),
        (
            "proposal_failed",
            Event::ProposalFailed {
                proposal: 19,
                code: "auth.missing_role".into(),
                message: "wallet 1a2b3c4d lacks role admin".into(),
            },
        ),
        ("proposal_closed", Event::ProposalClosed { proposal: 20, outcome: "expired".into() }),
        ("paused", Event::Paused { scope: Scope::Asset(usdx()), reason: "issuer bank outage".into() }),
        ("unpaused", Event::Unpaused { scope: Scope::Global, reason: "incident 42 closed".into() }),
        ("wallet_frozen", Event::WalletFrozen { wallet: w("mallory"), reason: "court order 2025-117".into() }),
        ("wallet_unfrozen", Event::WalletUnfrozen { wallet: w("mallory"), reason: "order lifted".into() }),
        (
            "amount_frozen",
            Event::AmountFrozen {
                asset: usdx(),
                wallet: w("carol"),
                amount: 333_000,
                reason: "disputed payment".into(),
            },
        ),
        (
            "amount_unfrozen",
            Event::AmountUnfrozen {
                asset: usdx(),
                wallet: w("carol"),
                amount: 111_000,
                reason: "dispute settled".into(),
            },
        ),
        (
            "forced_transfer",
            Event::ForcedTransfer {
                asset: tb(),
                from: w("mallory"),
                to: w("custodian"),
                amount: 4_200,
                reason: ForceReason::CourtOrder,
                reference: "warrant W-889".into(),
            },
        ),
        (
            "wallet_recovered",
            Event::WalletRecovered {
                lost: w("dave-old"),
                new: w("dave-new"),
                assets: 3,
                reference: "ticket 5531".into(),
            },
        ),
        ("sanctions_updated", Event::SanctionsUpdated { added: 3, removed: 1, source: "OFAC SDN 2025-03-11".into() }),
        ("instruction_created", Event::InstructionCreated { instruction: 5, legs: 2, venue: Some(w("venue")) }),
        ("instruction_affirmed", Event::InstructionAffirmed { instruction: 5, party: party("alice-co") }),
        ("affirmation_withdrawn", Event::AffirmationWithdrawn { instruction: 6, party: party("bob-co") }),
        (
            "leg_settled",
            Event::LegSettled {
                instruction: 5,
                leg: 1,
                asset: usdx(),
                from: w("bob"),
                to: w("alice"),
                amount: 99_123_400,
            },
        ),
        ("instruction_settled", Event::InstructionSettled { instruction: 5, legs: 2 }),
        (
            "instruction_failed",
            Event::InstructionFailed {
                instruction: 9,
                leg: 0,
                code: "balance.insufficient".into(),
                message: "holds 10, needs 1000000".into(),
            },
        ),
        (
            "instruction_rejected",
            Event::InstructionRejected { instruction: 7, party: party("bob-co"), reason: "wrong price".into() },
        ),
        (
            "instruction_cancelled",
            Event::InstructionCancelled { instruction: 8, by: w("venue"), reason: "duplicate".into() },
        ),
        ("instruction_expired", Event::InstructionExpired { instruction: 10 }),
        (
            "htlc_locked",
            Event::HtlcLocked {
                htlc: 3,
                asset: usdx(),
                from: w("alice"),
                to: w("bob"),
                amount: 7_700,
                hash_lock: Hash([0x5a; 32]),
                deadline: t("2025-03-15T12:00:00Z"),
            },
        ),
        ("htlc_claimed", Event::HtlcClaimed { htlc: 3, preimage: "736563726574".into(), to: w("bob"), amount: 7_700 }),
        ("htlc_expired", Event::HtlcExpired { htlc: 4 }),
        ("htlc_refunded", Event::HtlcRefunded { htlc: 4, to: w("alice"), amount: 6_600 }),
        (
            "cash_issued",
            Event::CashIssued {
                asset: usdx(),
                to: w("alice"),
                amount: 50_000_000,
                fiat_reference: "FED-WIRE 20250314-001".into(),
            },
        ),
        (
            "cash_redeemed",
            Event::CashRedeemed {
                asset: usdx(),
                from: w("alice"),
                amount: 1_250_000,
                payout_reference: "ACH 9981".into(),
            },
        ),
        (
            "conversion_registered",
            Event::ConversionRegistered { cbdc: sym("WCBDC"), token: usdx(), omnibus: w("omnibus") },
        ),
        (
            "cash_converted",
            Event::CashConverted { from: sym("WCBDC"), to: usdx(), wallet: w("carol"), amount: 640_000 },
        ),
        (
            "tender_opened",
            Event::TenderOpened { tender: 2, asset: usdx(), bond: 25_000, bid_deadline: t("2025-04-01T16:00:00Z") },
        ),
        ("bid_bond_locked", Event::BidBondLocked { tender: 2, bidder: w("bob"), asset: usdx(), amount: 25_000 }),
        ("bid_bond_released", Event::BidBondReleased { tender: 2, bidder: w("carol"), amount: 25_000 }),
        ("tender_awarded", Event::TenderAwarded { tender: 2, winner: w("bob") }),
        ("tender_completed", Event::TenderCompleted { tender: 2 }),
        (
            "bond_forfeited",
            Event::BondForfeited {
                tender: 3,
                bidder: w("carol"),
                to: w("buyer"),
                amount: 25_000,
                reason: "no delivery".into(),
            },
        ),
        ("tender_cancelled", Event::TenderCancelled { tender: 4, reason: "budget withdrawn".into() }),
        ("repo_proposed", Event::RepoProposed { repo: 11, maturity: t("2025-03-21T15:00:00Z") }),
        ("repo_opened", Event::RepoOpened { repo: 11, cash: 9_800_000, collateral: 100_000 }),
        ("repo_cancelled", Event::RepoCancelled { repo: 12 }),
        (
            "collateral_substituted",
            Event::CollateralSubstituted {
                repo: 11,
                old_asset: tb(),
                old_amount: 100_000,
                new_asset: sym("TN2030"),
                new_amount: 98_000,
            },
        ),
        ("repo_closed", Event::RepoClosed { repo: 11, repaid: 9_808_289, interest: 8_289 }),
        (
            "repo_defaulted",
            Event::RepoDefaulted { repo: 13, code: "balance.insufficient".into(), collateral_delivered: true },
        ),
        (
            "yield_class_created",
            Event::YieldClassCreated { asset: sym("YLDX"), basis: 360, cutoff_seconds: 57_600, payout_day: 28 },
        ),
        ("yield_rate_set", Event::YieldRateSet { asset: sym("YLDX"), rate_ppb: 43_250_000 }),
        (
            "yield_accrued",
            Event::YieldAccrued {
                asset: sym("YLDX"),
                day: t("2025-03-14"),
                rate_ppb: 43_250_000,
                per_token_scaled: "118493150684931".into(),
            },
        ),
        (
            "yield_paid",
            Event::YieldPaid {
                asset: sym("YLDX"),
                payments: vec![
                    YieldPayment { wallet_index: 3, amount: 1_204 },
                    YieldPayment { wallet_index: 9, amount: 88_017 },
                ],
            },
        ),
        (
            "yield_withheld",
            Event::YieldWithheld { asset: sym("YLDX"), wallet: w("mallory"), code: "compliance.sanctioned".into() },
        ),
        ("yield_payout", Event::YieldPayout { asset: sym("YLDX"), holders: 2, paid: 89_221, residual: 7 }),
        (
            "alert_raised",
            Event::AlertRaised {
                alert: 21,
                rule: "monitor_structuring".into(),
                asset: usdx(),
                wallet: w("mallory"),
                amount: 950_000,
            },
        ),
        ("fund_fund_created", Event::Fund(FundEvent::FundCreated { fund: atlas() })),
        (
            "fund_share_class_created",
            Event::Fund(FundEvent::ShareClassCreated {
                fund: atlas(),
                asset: sym("ATLASI"),
                nav: NavKind::Accumulating,
                fee_bps: 20,
            }),
        ),
        (
            "fund_apy_set",
            Event::Fund(FundEvent::ApySet { asset: sym("ATLASS"), apy_ppb: 48_100_000, daily_rate_e10: 1_288_431 }),
        ),
        (
            "fund_custodian_cash",
            Event::Fund(FundEvent::CustodianCash {
                fund: atlas(),
                movement: CashMovement::FromLedger,
                amount: 120_000_000,
                custodian_cash: 345_000_000,
            }),
        ),
        (
            "fund_position_bought",
            Event::Fund(FundEvent::PositionBought {
                fund: atlas(),
                position: 6,
                instrument: "note 91282CJL6".into(),
                face: 100_000_000,
                cost: 99_621_000,
            }),
        ),
        (
            "fund_position_sold",
            Event::Fund(FundEvent::PositionSold { fund: atlas(), position: 6, proceeds: 50_210_000 }),
        ),
        (
            "fund_position_matured",
            Event::Fund(FundEvent::PositionMatured { fund: atlas(), position: 2, proceeds: 20_000_000 }),
        ),
        (
            "fund_coupon_received",
            Event::Fund(FundEvent::CouponReceived { fund: atlas(), position: 6, amount: 2_187_500 }),
        ),
        (
            "fund_valued",
            Event::Fund(FundEvent::Valued {
                fund: atlas(),
                at: t("2025-03-14T15:30:00Z"),
                nav: 1_503_220_118,
                ratio: 100_021_000,
                dla_bps: 3_412,
                wla_bps: 6_120,
                wam_days: 41,
            }),
        ),
        ("fund_fee_paid", Event::Fund(FundEvent::FeePaid { fund: atlas(), amount: 24_657 })),
        (
            "fund_subscribed",
            Event::Fund(FundEvent::Subscribed {
                fund: atlas(),
                class: sym("ATLASI"),
                investor: w("alice"),
                cash: 750_000_000,
                shares: 7_498_425,
                price: 100_021_000,
            }),
        ),
        (
            "fund_redemption_paid",
            Event::Fund(FundEvent::RedemptionPaid {
                fund: atlas(),
                redemption: Some(4),
                investor: w("bob"),
                shares: 1_234_567,
                cash: 123_482_636,
                fee: 61_741,
            }),
        ),
        (
            "fund_redemption_queued",
            Event::Fund(FundEvent::RedemptionQueued {
                fund: atlas(),
                redemption: 5,
                investor: w("carol"),
                cash: 300_000_000,
            }),
        ),
        ("fund_redemption_held", Event::Fund(FundEvent::RedemptionHeld { redemption: 5, code: "fund.halted".into() })),
        (
            "fund_breaker_tripped",
            Event::Fund(FundEvent::BreakerTripped { fund: atlas(), reason: "NAV per share moved 61 bps".into() }),
        ),
        (
            "fund_breaker_reset",
            Event::Fund(FundEvent::BreakerReset { fund: atlas(), reason: "price feed corrected".into() }),
        ),
        (
            "fund_oracle_source_registered",
            Event::Fund(FundEvent::OracleSourceRegistered {
                wallet: w("oracle-1"),
                name: "Pricing Service One".into(),
            }),
        ),
        (
            "fund_feed_created",
            Event::Fund(FundEvent::FeedCreated { feed: "YIELD:ATLAS".into(), kind: FeedKind::Yield }),
        ),
        (
            "fund_oracle_reported",
            Event::Fund(FundEvent::OracleReported {
                feed: "PX:912797NP8".into(),
                source: w("oracle-2"),
                value: 9_912_345_678,
                aggregate: Some(9_912_300_000),
                used: 2,
            }),
        ),
        (
            "fund_security_serviced",
            Event::Fund(FundEvent::SecurityServiced { asset: sym("TN2030"), cash_asset: usdx() }),
        ),
        (
            "fund_coupon_paid",
            Event::Fund(FundEvent::CouponPaid {
                asset: sym("TN2030"),
                date: t("2025-05-31"),
                holders: 14,
                paid: 2_187_500_000,
            }),
        ),
        ("fund_principal_paid", Event::Fund(FundEvent::PrincipalPaid { asset: tb(), holders: 9, paid: 5_000_000_000 })),
        (
            "fund_payment_withheld",
            Event::Fund(FundEvent::PaymentWithheld { asset: tb(), wallet: w("mallory"), code: "wallet.frozen".into() }),
        ),
        (
            "fund_payment_short",
            Event::Fund(FundEvent::PaymentShort { asset: tb(), needed: 5_000_000_000, available: 4_999_000_000 }),
        ),
        ("fund_security_retired", Event::Fund(FundEvent::SecurityRetired { asset: tb() })),
        ("fund_shadow_nav_alerts_set", Event::Fund(FundEvent::ShadowNavAlertsSet { fund: atlas(), bps: vec![25, 50] })),
        (
            "collateral_schedule_set",
            Event::Collateral(C::ScheduleSet {
                ccp: party("cme"),
                effective_from: t("2025-03-14T00:00:00Z"),
                eligible: 44,
                bands: 6,
            }),
        ),
        (
            "collateral_schedule_in_force",
            Event::Collateral(C::ScheduleInForce { ccp: party("cme"), effective_from: t("2025-03-15T00:00:00Z") }),
        ),
        (
            "collateral_member_admitted",
            Event::Collateral(C::MemberAdmitted { ccp: party("cme"), member: party("alpha-clearing"), account: 1 }),
        ),
        (
            "collateral_pledged",
            Event::Collateral(C::Pledged { account: 1, asset: sym("ATLASI"), wallet: w("alpha"), amount: 5_000_000 }),
        ),
        (
            "collateral_released",
            Event::Collateral(C::Released { account: 1, asset: usdx(), wallet: w("alpha"), amount: 250_000 }),
        ),
        (
            "collateral_requirement_set",
            Event::Collateral(C::RequirementSet {
                account: 1,
                cash_asset: usdx(),
                initial: 90_000_000,
                variation: 1_250_000,
            }),
        ),
        (
            "collateral_default_fund_contributed",
            Event::Collateral(C::DefaultFundContributed { account: 1, cash_asset: usdx(), amount: 10_000_000 }),
        ),
        (
            "collateral_call_raised",
            Event::Collateral(C::CallRaised {
                call: 3,
                account: 1,
                kind: CallKind::Intraday,
                cash_asset: usdx(),
                amount: 2_500_000,
                deadline: t("2025-03-14T11:00:00Z"),
            }),
        ),
        ("collateral_call_met", Event::Collateral(C::CallMet { call: 3, account: 1 })),
        (
            "collateral_call_defaulted",
            Event::Collateral(C::CallDefaulted { call: 4, account: 2, cash_asset: usdx(), shortfall: 7_000_000 }),
        ),
        (
            "collateral_appropriated",
            Event::Collateral(C::Appropriated {
                call: 4,
                asset: usdx(),
                wallet: w("bravo"),
                amount: 1_000_000,
                value: 1_000_000,
            }),
        ),
        (
            "collateral_liquidated",
            Event::Collateral(C::Liquidated {
                call: 4,
                asset: tb(),
                amount: 5_000_000,
                buyer: w("dealer"),
                cash_asset: usdx(),
                proceeds: 4_950_000,
            }),
        ),
        (
            "collateral_not_realized",
            Event::Collateral(C::NotRealized {
                call: 4,
                asset: tb(),
                wallet: w("bravo"),
                code: "compliance.kyc_missing".into(),
            }),
        ),
        (
            "collateral_waterfall",
            Event::Collateral(C::Waterfall {
                call: 4,
                cash_asset: usdx(),
                loss: 12_000_000,
                defaulter_margin: 5_950_000,
                defaulter_default_fund: 1_000_000,
                ccp_capital: 2_500_000,
                survivors_default_fund: 2_550_000,
                assessments: 0,
                uncovered: 0,
                returned: 0,
            }),
        ),
        (
            "collateral_loan_requested",
            Event::Collateral(C::LoanRequested { loan: 5, cash_asset: usdx(), principal: 80_000_000 }),
        ),
        ("collateral_loan_funded", Event::Collateral(C::LoanFunded { loan: 5, ltv_bps: 7_990 })),
        (
            "collateral_loan_repaid",
            Event::Collateral(C::LoanRepaid { loan: 5, cash_asset: usdx(), principal: 80_000_000, interest: 350_000 }),
        ),
        ("collateral_loan_cancelled", Event::Collateral(C::LoanCancelled { loan: 6 })),
        (
            "collateral_loan_liquidated",
            Event::Collateral(C::LoanLiquidated {
                loan: 5,
                ltv_bps: 9_012,
                cash_asset: usdx(),
                debt: 80_350_000,
                proceeds: 89_150_000,
                returned: 8_800_000,
            }),
        ),
        (
            "collateral_segregated_account_opened",
            Event::Collateral(C::SegregatedAccountOpened {
                ccp: party("lch"),
                member: party("alpha-clearing"),
                custodian: party("custody-bank"),
                wallet: w("alpha-at-custodian"),
            }),
        ),
        // More shapes of nested values.
        ("instruction_created_without_venue", Event::InstructionCreated { instruction: 6, legs: 1, venue: None }),
        ("supply_cap_removed", Event::SupplyCapSet { asset: usdx(), cap: None }),
        (
            "fund_redemption_paid_instantly",
            Event::Fund(FundEvent::RedemptionPaid {
                fund: atlas(),
                redemption: None,
                investor: w("alice"),
                shares: 10_000,
                cash: 1_000_210,
                fee: 0,
            }),
        ),
    ]
}

pub fn events() -> Vec<Entry> {
    event_values().iter().map(|(n, e)| entry(n, e, Some(serde_json::to_value(e).unwrap()))).collect()
}

fn tx_body_values() -> Vec<(&'static str, Value)> {
    let ops = op_values();
    let op = |name: &str| ops.iter().find(|(n, _)| *n == name).expect("an operation fixture").1.clone();
    vec![
        (
            "transfer_and_claim",
            json!({"network": "tessera-golden", "signer": wh("alice"), "seq": 41, "expires_at": "2025-03-14T16:00:00Z",
                   "ops": [op("transfer"), op("issue_claim")]}),
        ),
        (
            "proposal",
            json!({"network": "tessera-golden", "signer": wh("admin-1"), "seq": 7, "expires_at": "2025-03-14T16:05:00Z",
                   "ops": [op("propose")]}),
        ),
    ]
}

fn tx_bodies() -> Vec<(&'static str, TxBody)> {
    tx_body_values().iter().map(|(n, v)| (*n, from_json(v))).collect()
}

fn signer(body: &TxBody) -> Keypair {
    ["alice", "admin-1"].into_iter().map(key).find(|k| k.wallet() == body.signer).expect("a known signer")
}

fn signed_txs() -> Vec<(&'static str, SignedTx)> {
    tx_bodies().into_iter().map(|(n, b)| (n, b.clone().sign(&signer(&b)))).collect()
}

pub fn txs() -> Vec<Entry> {
    let mut out = Vec::new();
    for (n, b) in tx_bodies() {
        let mut e = entry(&format!("body_{n}"), &b, Some(serde_json::to_value(&b).unwrap()));
        e.pins.insert("id".into(), b.id().to_hex());
        out.push(e);
    }
    for (n, s) in signed_txs() {
        let mut e = entry(&format!("signed_{n}"), &s, None);
        e.pins.insert("id".into(), s.id().to_hex());
        out.push(e);
    }
    out
}

fn genesis_value() -> Value {
    json!({
        "network": "tessera-golden",
        "time": "2025-03-14T09:00:00Z",
        "operator": "operator",
        "operator_name": "Golden Ledger Operator",
        "grants": [
            {"wallet": wh("admin-1"), "roles": ["admin", "issuer_agent"]},
            {"wallet": wh("admin-2"), "roles": ["admin", "compliance_officer", "pauser"]},
            {"wallet": wh("oracle-1"), "roles": ["oracle", "custodian", "auditor", "venue"]}
        ],
        "thresholds": [1, 2, 3],
        "trusted_issuers": [[wh("kyc-provider"), ["kyc", "investor_class", "jurisdiction", "beneficial_owner", "sanctioned"]]],
        "rules": 1
    })
}

/// The same genesis under rules version 2 (its block carries the version after the genesis).
fn genesis_v2_value() -> Value {
    let mut v = genesis_value();
    v["rules"] = json!(2);
    v
}

pub fn genesis() -> Vec<Entry> {
    let g: Genesis = from_json(&genesis_value());
    vec![entry("genesis", &g, Some(serde_json::to_value(&g).unwrap()))]
}

fn event(name: &str) -> Event {
    event_values().into_iter().find(|(n, _)| *n == name).expect("an event fixture").1
}

fn receipt_values() -> Vec<(&'static str, Receipt)> {
    let txs = signed_txs();
    vec![
        (
            "ok",
            Receipt {
                tx: txs[0].1.id(),
                outcome: Outcome::Ok { events: vec![event("transferred"), event("claim_issued")] },
            },
        ),
        (
            "failed",
            Receipt {
                tx: txs[1].1.id(),
                outcome: Outcome::Failed {
                    op_index: 1,
                    code: "governance.not_eligible".into(),
                    message: "wallet 1a2b3c4d holds no admin role".into(),
                },
            },
        ),
    ]
}

pub fn receipts() -> Vec<Entry> {
    receipt_values().iter().map(|(n, r)| entry(n, r, Some(serde_json::to_value(r).unwrap()))).collect()
}

fn system_receipt() -> SystemReceipt {
    SystemReceipt { events: vec![event("instruction_expired"), event("fund_valued"), event("yield_paid")] }
}

pub fn system_receipts() -> Vec<Entry> {
    let s = system_receipt();
    vec![
        entry("jobs", &s, Some(serde_json::to_value(&s).unwrap())),
        entry("empty", &SystemReceipt::default(), Some(serde_json::to_value(SystemReceipt::default()).unwrap())),
    ]
}

fn block_values() -> Vec<(&'static str, Block)> {
    let g: Genesis = from_json(&genesis_value());
    let genesis_body =
        BlockBody { genesis: Some(g.clone()), txs: vec![], receipts: vec![], system: Default::default() };
    let genesis_header = BlockHeader {
        height: 0,
        prev: Hash::default(),
        time: g.time,
        tx_count: 0,
        tx_root: genesis_body.tx_root(),
        receipt_root: genesis_body.receipt_root(),
        state_digest: Hash([0x11; 32]),
    };
    let body = BlockBody {
        genesis: None,
        txs: signed_txs().into_iter().map(|(_, s)| s).collect(),
        receipts: receipt_values().into_iter().map(|(_, r)| r).collect(),
        system: system_receipt(),
    };
    let header = BlockHeader {
        height: 1,
        prev: genesis_header.hash(),
        time: t("2025-03-14T15:00:00Z"),
        tx_count: 2,
        tx_root: body.tx_root(),
        receipt_root: body.receipt_root(),
        state_digest: Hash([0x22; 32]),
    };
    let g2: Genesis = from_json(&genesis_v2_value());
    let genesis_v2_body =
        BlockBody { genesis: Some(g2.clone()), txs: vec![], receipts: vec![], system: Default::default() };
    let genesis_v2_header = BlockHeader {
        height: 0,
        prev: Hash::default(),
        time: g2.time,
        tx_count: 0,
        tx_root: genesis_v2_body.tx_root(),
        receipt_root: genesis_v2_body.receipt_root(),
        state_digest: Hash([0x33; 32]),
    };
    vec![
        ("genesis", Block { header: genesis_header, body: genesis_body }),
        ("with_transactions", Block { header, body }),
        ("genesis_rules_v2", Block { header: genesis_v2_header, body: genesis_v2_body }),
    ]
}

pub fn blocks() -> Vec<Entry> {
    block_values()
        .iter()
        .map(|(n, b)| {
            let mut e = entry(n, b, None);
            e.pins.insert("hash".into(), b.header.hash().to_hex());
            e
        })
        .collect()
}

pub fn headers() -> Vec<Entry> {
    block_values()
        .iter()
        .map(|(n, b)| {
            let mut e = entry(n, &b.header, Some(serde_json::to_value(&b.header).unwrap()));
            e.pins.insert("hash".into(), b.header.hash().to_hex());
            e
        })
        .collect()
}
