//! Unit-level scenarios: one short story per rule module (`scenarios/unit/`), run on the core
//! alone. Each names its refusals by code and checks the balances they leave.

use std::path::Path;
use tessera_scenario::{genesis, run_on, MemoryLedger, ScenarioLedger};

/// Runs `scenarios/unit/<file>` in memory and fails with the first step that did not hold.
fn story(file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/unit").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let s = tessera_scenario::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut ledger = MemoryLedger::create(&genesis(&s)).expect("the genesis is valid");
    let report = run_on(&s, path.parent().expect("a directory"), &mut ledger, |_| {}).expect("it runs");
    if let Some(bad) = report.steps.iter().find(|r| !r.passed) {
        panic!("{file}: step {} ({}) failed: {}", bad.step, bad.summary, bad.detail);
    }
    assert!(report.blocks > 1, "{file}: the story built no block");
    let v = ledger.verify().expect("the blocks replay");
    assert_eq!(v.first_mismatch, None, "{file}");
}

#[test]
fn settlement_legs_lock_on_affirmation_and_settle_together() {
    story("settlement_affirmations.yaml");
}

#[test]
fn htlc_pays_the_receiver_with_the_preimage_and_refunds_the_sender_after_the_deadline() {
    story("htlc_claim_and_refund.yaml");
}

#[test]
fn escrow_refunds_the_losing_bond_at_award_and_releases_the_winning_one_on_completion() {
    story("escrow_bid_bonds.yaml");
}

#[test]
fn repo_pledges_collateral_at_opening_and_closes_itself_at_maturity_with_interest() {
    story("repo_open_and_close.yaml");
}

#[test]
fn cash_is_issued_and_redeemed_against_references_used_once() {
    story("cash_fiat_receipts.yaml");
}

#[test]
fn yields_accrue_daily_and_pay_the_month_as_new_tokens() {
    story("yields_daily_accrual.yaml");
}

#[test]
fn oracle_stands_on_the_median_of_a_quorum_and_drops_outliers() {
    story("oracle_quorum.yaml");
}

#[test]
fn fund_subscriptions_buy_shares_at_the_class_price_above_the_minimum() {
    story("fund_subscription_minimums.yaml");
}

#[test]
fn governance_executes_a_proposal_on_its_second_approval_and_counts_each_wallet_once() {
    story("governance_two_approvals.yaml");
}

#[test]
fn compliance_refuses_holders_without_kyc_until_the_claim_is_issued() {
    story("compliance_kyc.yaml");
}

#[test]
fn movement_keeps_frozen_units_in_place_and_forced_transfers_move_them() {
    story("movement_freeze.yaml");
}
