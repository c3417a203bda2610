//! The model layer: records, specs (operation payloads), events, ids and bounds — what the
//! ledger holds and says, with no rules. Nothing here imports a rule module (`admin`,
//! `movement`, `settlement`, …) or execution (`exec`); rule modules sit above this layer and
//! execution on top (`docs/architecture.md`; `tests/layers.rs` refuses an upward import).
//!
//! Order inside the layer (each may import those before it): the records of each domain,
//! then `op` (operations), `proposal`, `tx`, `block` (events, receipts, blocks), `state`.

pub mod admin;
pub mod block;
pub mod cash;
pub mod collateral;
pub mod compliance;
pub mod escrow;
pub mod fund;
pub mod governance;
pub mod htlc;
pub mod movement;
pub mod op;
pub mod oracle;
pub mod proposal;
pub mod repo;
pub mod securities;
pub mod settlement;
pub mod state;
pub mod tx;
pub mod yields;
