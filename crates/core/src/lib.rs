//! Tessera core: the pure, deterministic state machine of the ledger.
//!
//! No I/O, no clock, no randomness, no floats. Time is the block's time, given as input.
//! `(state, block context, transaction) → receipt` is a function: replaying the same journal
//! always yields the same receipts and the same state digest.
//!
//! Arithmetic is checked: an overflow the input can cause is a typed refusal, one that cannot
//! happen is an `expect` naming the reason. Tests (unit and integration) are exempt: their
//! arithmetic is scaffolding.
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

pub mod action;
pub mod admin;
pub mod cash;
pub mod chain_address;
pub mod code;
pub mod collateral;
pub mod compliance;
pub mod crypto;
pub mod escrow;
pub mod exec;
pub mod fund;
pub mod governance;
pub mod htlc;
pub mod identifiers;
pub mod input;
pub mod invariants;
pub mod layouts;
pub mod locks;
pub mod model;
pub mod movement;
pub mod ofac;
pub mod oracle;
pub mod oracle_math;
pub mod output;
pub mod prose;
pub mod replay;
pub mod repo;
pub mod securities;
pub mod settlement;
pub mod statement;
pub mod table;
pub mod time;
pub mod treasury;
pub mod types;
pub mod units;
pub mod wallet_refs;
pub mod words;
pub mod yields;

pub use code::{Code, Refusal};
pub use model::{block, op, state, tx};
pub use rust_decimal::Decimal;
pub use types::*;
