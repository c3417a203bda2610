//! Invariants of the whole state, checked after every block in debug builds and in all tests
//! (`Chain` calls [`State::check_invariants`]). They sit above the rule modules because each
//! domain contributes its own checks:
//! - per asset, `supply` = Σ holdings (free + locked + frozen) and `holders` = number of
//!   holdings with a positive total; Σ lots of a holding ≤ its total;
//! - every sanctions entry and every party's linked address is canonical (`chain_address`);
//! - cash conversions: a settlement token's supply never exceeds the CBDC in its omnibus;
//! - yield: accrued = paid + residual minted + residual carried + unpaid entitlements;
//! - funds (`fund::check`);
//! - the incrementally kept digest equals the digest recomputed from the tables.

use crate::chain_address;
use crate::state::State;
use crate::types::*;

impl State {
    /// Checks the invariants in the module header. Returns the first broken one.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut supply: rustc_hash::FxHashMap<AssetIdx, (Amount, u64)> = Default::default();
        for (k, h) in self.holdings.iter() {
            let asset = (k >> 32) as AssetIdx;
            let total = h.total().map_err(|_| format!("holding {k:x} overflows"))?;
            let lots: Amount = h.lots().iter().map(|l| l.amount).sum();
            if lots > total {
                return Err(format!("holding {k:x}: lots {lots} exceed total {total}"));
            }
            let e = supply.entry(asset).or_default();
            e.0 = e.0.checked_add(total).ok_or("supply overflow")?;
            if total > 0 {
                e.1 += 1;
            }
        }
        for (idx, a) in self.assets.iter() {
            let (s, n) = supply.get(idx).copied().unwrap_or_default();
            if s != a.supply {
                return Err(format!("asset {}: supply {} but holdings sum to {s}", a.symbol, a.supply));
            }
            if n != a.holders {
                return Err(format!("asset {}: {} holders recorded, {n} counted", a.symbol, a.holders));
            }
        }
        for (target, _) in self.sanctions.iter() {
            if target.canonical() != *target {
                return Err(format!("sanctions entry {target:?} is not canonical"));
            }
        }
        for (_, p) in self.parties.iter() {
            for (currency, address) in &p.linked {
                if chain_address::canonical(currency, address) != (currency.clone(), address.clone()) {
                    return Err(format!("party {}: linked {currency} {address} is not canonical", p.id));
                }
            }
        }
        crate::cash::check_conversions(self)?;
        crate::yields::check(self)?;
        crate::fund::check(self)?;
        if self.digest() != self.recompute_digest() {
            return Err("incremental digest differs from recomputed digest".into());
        }
        Ok(())
    }
}
