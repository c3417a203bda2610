//! The Tessera engine: a ledger (state machine + durable journal) with recovery, verification
//! and the pipelined path (parallel signature checks → sequencer → group-committed journal).

pub mod api;
pub mod audit;
pub mod config;
pub mod engine;
pub mod follow;
pub mod ledger;
pub mod present;
pub mod query;
pub mod refusals;
pub mod replay;
pub mod txindex;

pub use ledger::{Ledger, Recovery};
pub use replay::{verify, Mismatch, VerifyReport};
