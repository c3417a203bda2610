//! The `waterfall` check compares the numbers of a default's `waterfall` event: a wrong layer,
//! or a call that never defaulted, fails the step and says which.

use std::path::Path;
use tessera_scenario::{run_in_memory, StepResult};

const DEMO: &str = include_str!("../../../scenarios/demo_collateral.yaml");

/// The first failing step of the collateral demo with `from` replaced by `to`.
fn first_failure(from: &str, to: &str) -> Option<StepResult> {
    assert!(DEMO.contains(from), "the demo has {from}");
    let s = tessera_scenario::parse(&DEMO.replacen(from, to, 1)).expect("the demo parses");
    let report = run_in_memory(&s, Path::new("."), |_| {}).expect("the demo runs");
    report.steps.into_iter().find(|r| !r.passed)
}

#[test]
fn a_waterfall_layer_other_than_the_event_fails_naming_the_layer_and_both_amounts() {
    let bad = first_failure("survivors_default_fund: \"17,000\"", "survivors_default_fund: \"17,001\"")
        .expect("the check fails");
    assert_eq!(bad.summary, "waterfall of call 3");
    assert_eq!(bad.detail, "survivors' default fund is 17,000.000000 USDX, expected 17,001.000000 USDX");
}

#[test]
fn a_waterfall_check_on_a_call_that_did_not_default_fails() {
    let bad = first_failure("waterfall: { call: 3,", "waterfall: { call: 2,").expect("the check fails");
    assert_eq!(bad.summary, "waterfall of call 2");
    assert_eq!(bad.detail, "no default on call 2 in the blocks built so far");
}
