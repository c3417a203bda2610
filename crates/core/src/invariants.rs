//! Invariants of the whole state, checked after every block in debug builds and in all tests
//! (`Chain::build` and `Chain::genesis` call [`State::check_invariants`] under
//! `debug_assertions` and panic on a broken one: an impossible state is a bug). They sit above
//! the rule modules because each domain contributes its own checks. In check order:
//!
//! 1. Holdings: every holding names an existing asset and wallet; free + locked + frozen does
//!    not overflow; Σ lots ≤ the total; a retired (recovered) wallet holds nothing.
//! 2. Per asset: `supply` = Σ holdings (free + locked + frozen) and `holders` = the number of
//!    holdings with a positive total.
//! 3. Locks = commitments: for every (asset, wallet), `locked` equals exactly what open
//!    commitments hold, as `locks` lists them (affirmed legs of pending settlement
//!    instructions, hash time-locks, tender bonds, repo collateral, collateral pledges).
//! 4. Indexes: the symbol, wallet-key and party-id indexes are exact inverses of their
//!    tables; each wallet's party lists it; a retired wallet's successor exists.
//! 5. Open records and their queues: every record's id is its key and below its meta
//!    counter; open proposals, hash time-locks, repos and queued redemptions are exactly the
//!    entries of their queues; every pending instruction has its expiry in the wake-up queue
//!    (wallet recovery finds open instructions there) and every queue entry names a pending
//!    instruction at one of its times; an instruction's affirmations are sorted, distinct
//!    sending parties; an awarded tender's winner bid, and no wallet bids twice.
//! 6. Sanctions entries and parties' linked addresses are canonical (`chain_address`).
//! 7. Cash conversions: a settlement token's supply never exceeds the CBDC in its omnibus.
//! 8. Yield: accrued = paid + residual minted + residual carried + Σ unpaid entitlements.
//! 9. Funds: Σ queued redemptions owed = the fund's liability; earmarked cash ≤ that.
//!    Collateral: pledges indexed and priced, pledging wallets the pledgor's, and every live
//!    account's stored coverage equal to its coverage recomputed from scratch
//!    (`collateral::check`).
//! 10. The incrementally kept digest equals the digest recomputed from the tables. This one
//!     hashes the whole state, so after blocks it runs every `DIGEST_CHECK_EVERY` blocks
//!     (and at genesis); an explicit `check_invariants` call always runs it.
//!
//! The checker itself uses checked arithmetic only: an overflow is reported, never wrapped.

use crate::chain_address;
use crate::escrow::TenderStatus;
use crate::fund::RedemptionStatus;
use crate::governance::ProposalStatus;
use crate::htlc::HtlcStatus;
use crate::locks::{self, Held, Lock};
use crate::repo::RepoStatus;
use crate::settlement::{InstructionStatus, SettleMode};
use crate::state::State;
use crate::types::*;
use rustc_hash::FxHashMap;

/// What open commitments hold per (asset, wallet), with the commitments for messages.
type Commitments = FxHashMap<(AssetIdx, WalletIdx), (Amount, Vec<(Lock, Amount)>)>;

/// `Chain::build` recomputes the state digest after every block whose height is a multiple
/// of this, in debug builds; the other invariants run after every block.
pub const DIGEST_CHECK_EVERY: u64 = 16;

fn split(key: u64) -> (AssetIdx, WalletIdx) {
    // The high half is the asset, the low half the wallet (`holding_key`).
    ((key.checked_shr(32).unwrap_or(0)) as AssetIdx, key as WalletIdx)
}

impl State {
    /// Checks the invariants in the module header. Returns the first broken one, naming the
    /// asset, wallet or record.
    pub fn check_invariants(&self) -> Result<(), String> {
        self.check_invariants_but_digest()?;
        self.check_digest()
    }

    /// Invariant 10 alone: it hashes every entry of every table, so `Chain::build` runs it on
    /// every `DIGEST_CHECK_EVERY`-th block only (it dominated the cost of the other checks).
    pub fn check_digest(&self) -> Result<(), String> {
        if self.digest() != self.recompute_digest() {
            return Err("incremental digest differs from recomputed digest".into());
        }
        Ok(())
    }

    /// Invariants 1 to 9: everything but the digest recomputation.
    pub fn check_invariants_but_digest(&self) -> Result<(), String> {
        self.check_holdings()?;
        self.check_locks()?;
        self.check_indexes()?;
        self.check_open_records()?;
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
        crate::collateral::check(self)
    }

    /// Names an (asset, wallet) pair for messages, even if either is missing.
    fn pair_name(&self, asset: AssetIdx, wallet: WalletIdx) -> String {
        let a = self.assets.get(&asset).map(|a| a.symbol.to_string()).unwrap_or_else(|| format!("#{asset}"));
        let w = self.wallets.get(&wallet).map(|w| w.key.short()).unwrap_or_else(|| format!("#{wallet}"));
        format!("{a} of wallet {w}")
    }

    /// Invariants 1 and 2: holdings, supply and holders.
    fn check_holdings(&self) -> Result<(), String> {
        let mut supply: FxHashMap<AssetIdx, (Amount, u64)> = Default::default();
        for (k, h) in self.holdings.iter() {
            let (asset, wallet) = split(*k);
            let (Some(_), Some(w)) = (self.assets.get(&asset), self.wallets.get(&wallet)) else {
                return Err(format!("holding {k:x} names a missing asset or wallet"));
            };
            let name = || self.pair_name(asset, wallet);
            let total = h.free.checked_add(h.locked).and_then(|t| t.checked_add(h.frozen)).ok_or_else(|| {
                format!("holding {}: free {} + locked {} + frozen {} overflows", name(), h.free, h.locked, h.frozen)
            })?;
            let lots = h
                .lots()
                .iter()
                .try_fold(0 as Amount, |s, l| s.checked_add(l.amount))
                .ok_or_else(|| format!("holding {}: lots overflow", name()))?;
            if lots > total {
                return Err(format!("holding {}: lots {lots} exceed total {total}", name()));
            }
            if w.retired_to.is_some() && total > 0 {
                return Err(format!("holding {}: wallet is retired but holds {total}", name()));
            }
            let e = supply.entry(asset).or_default();
            e.0 = e.0.checked_add(total).ok_or_else(|| format!("supply of {} overflows", name()))?;
            if total > 0 {
                e.1 = e.1.checked_add(1).ok_or("holder count overflows")?;
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
        Ok(())
    }

    /// What open commitments hold, per (asset, wallet) (`locks`, over every record).
    fn commitments(&self) -> Result<Commitments, String> {
        let mut out = Commitments::default();
        locks::all(self, |Held { asset, wallet, lock, amount }| {
            let (Some(a), Some(w)) = (self.asset_index.get(asset), self.wallet_index.get(wallet)) else {
                return Err(format!("{lock} commits {amount} {asset} of unknown wallet {}", wallet.short()));
            };
            let e = out.entry((*a, *w)).or_default();
            e.0 =
                e.0.checked_add(amount).ok_or_else(|| format!("commitments on {} overflow", self.pair_name(*a, *w)))?;
            e.1.push((lock, amount));
            Ok(())
        })?;
        Ok(out)
    }

    /// Invariant 3: every locked unit is held for an open commitment, and every open
    /// commitment's units are locked.
    fn check_locks(&self) -> Result<(), String> {
        let want = self.commitments()?;
        let describe = |key: &(AssetIdx, WalletIdx)| -> String {
            match want.get(key) {
                None => "no open commitment".into(),
                Some((_, cs)) => {
                    let cs: Vec<String> = cs.iter().map(|(c, a)| format!("{c}: {a}")).collect();
                    cs.join(", ")
                }
            }
        };
        for (k, h) in self.holdings.iter() {
            let key = split(*k);
            let committed = want.get(&key).map(|(a, _)| *a).unwrap_or(0);
            if h.locked != committed {
                return Err(format!(
                    "locked {} of {} but open commitments hold {committed} ({})",
                    h.locked,
                    self.pair_name(key.0, key.1),
                    describe(&key)
                ));
            }
        }
        // Commitments whose wallet has no holding at all.
        let mut missing: Vec<&(AssetIdx, WalletIdx)> =
            want.iter().filter(|(k, (a, _))| *a > 0 && self.holding_ref(k.0, k.1).is_none()).map(|(k, _)| k).collect();
        missing.sort_unstable();
        if let Some(key) = missing.first() {
            let committed = want.get(key).map(|(a, _)| *a).unwrap_or(0);
            return Err(format!(
                "locked 0 of {} but open commitments hold {committed} ({})",
                self.pair_name(key.0, key.1),
                describe(key)
            ));
        }
        Ok(())
    }

    /// Invariant 4: indexes and the wallet ↔ party links.
    fn check_indexes(&self) -> Result<(), String> {
        if self.asset_index.len() != self.assets.len() {
            return Err(format!("{} assets but {} symbols indexed", self.assets.len(), self.asset_index.len()));
        }
        for (s, i) in self.asset_index.iter() {
            if self.assets.get(i).map(|a| &a.symbol) != Some(s) {
                return Err(format!("symbol {s} indexes asset #{i}, which has another symbol"));
            }
        }
        if self.wallet_index.len() != self.wallets.len() {
            return Err(format!("{} wallets but {} keys indexed", self.wallets.len(), self.wallet_index.len()));
        }
        for (k, i) in self.wallet_index.iter() {
            if self.wallets.get(i).map(|w| &w.key) != Some(k) {
                return Err(format!("wallet key {} indexes wallet #{i}, which has another key", k.short()));
            }
        }
        if self.party_index.len() != self.parties.len() {
            return Err(format!("{} parties but {} ids indexed", self.parties.len(), self.party_index.len()));
        }
        for (id, i) in self.party_index.iter() {
            if self.parties.get(i).map(|p| &p.id) != Some(id) {
                return Err(format!("party id {id} indexes party #{i}, which has another id"));
            }
        }
        for (i, w) in self.wallets.iter() {
            let Some(p) = self.parties.get(&w.party) else {
                return Err(format!("wallet {} belongs to missing party #{}", w.key.short(), w.party));
            };
            if !p.wallets.contains(i) {
                return Err(format!("wallet {} is not listed by its party {}", w.key.short(), p.id));
            }
            if let Some(n) = w.retired_to {
                if n == *i || !self.wallets.contains(&n) {
                    return Err(format!("wallet {} is retired to a missing wallet #{n}", w.key.short()));
                }
            }
        }
        for (_, p) in self.parties.iter() {
            for i in &p.wallets {
                if self.wallets.get(i).map(|w| w.party) != self.party_index.get(&p.id).copied() {
                    return Err(format!("party {} lists wallet #{i}, which is not its own", p.id));
                }
            }
        }
        Ok(())
    }

    /// Invariant 5: record ids, counters and the queues of open records.
    fn check_open_records(&self) -> Result<(), String> {
        let m = self.meta();
        fn ids<'a, V: 'a>(
            what: &str,
            next: u64,
            rows: impl Iterator<Item = (&'a u64, &'a V)>,
            id: impl Fn(&V) -> u64,
        ) -> Result<(), String> {
            for (k, v) in rows {
                if id(v) != *k || *k >= next {
                    return Err(format!("{what} {k}: recorded id {} (next id {next})", id(v)));
                }
            }
            Ok(())
        }
        ids("proposal", m.next_proposal, self.proposals.iter(), |p| p.id)?;
        ids("alert", m.next_alert, self.alerts.iter(), |a| a.id)?;
        ids("instruction", m.next_instruction, self.instructions.iter(), |i| i.id)?;
        ids("hash time-lock", m.next_htlc, self.htlcs.iter(), |h| h.id)?;
        ids("tender", m.next_tender, self.tenders.iter(), |t| t.id)?;
        ids("repo", m.next_repo, self.repos.iter(), |r| r.id)?;
        ids("redemption", m.next_redemption, self.redemptions.iter(), |r| r.id)?;

        // Proposals: open ⇔ queued at their expiry.
        let mut open = 0usize;
        for (id, p) in self.proposals.iter() {
            if p.status == ProposalStatus::Open {
                open = open.checked_add(1).ok_or("proposal count overflows")?;
                if !self.open_proposals.contains(&(p.expires_at, *id)) {
                    return Err(format!("proposal {id} is open but not queued at its expiry"));
                }
            }
        }
        if open != self.open_proposals.len() {
            return Err(format!("{open} open proposals but {} queued", self.open_proposals.len()));
        }

        // Instructions: pending ⇒ expiry queued; every queue entry names a pending one.
        for (id, i) in self.instructions.iter() {
            if i.status == InstructionStatus::Pending && !self.open_instructions.contains(&(i.expires_at, *id)) {
                return Err(format!("instruction {id} is pending but its expiry is not queued"));
            }
            let mut seen: Option<&PartyId> = None;
            for p in &i.affirmed {
                if seen.is_some_and(|s| s >= p) {
                    return Err(format!("instruction {id}: affirmations are not sorted and distinct"));
                }
                seen = Some(p);
            }
            if !i.affirmed.is_empty() && i.status == InstructionStatus::Pending {
                let senders = i.senders(self);
                if let Some(p) = i.affirmed.iter().find(|p| !senders.contains(p)) {
                    return Err(format!("instruction {id}: party {p} affirmed but sends on no leg"));
                }
            }
        }
        for ((t, id), _) in self.open_instructions.iter() {
            let ok = self.instructions.get(id).is_some_and(|i| {
                i.status == InstructionStatus::Pending
                    && (i.expires_at == *t || (i.mode == SettleMode::AtValueDate && i.value_date == Some(*t)))
            });
            if !ok {
                return Err(format!("instruction {id} is queued at {t} but is not pending with that date"));
            }
        }
        for ((h, id), _) in self.height_instructions.iter() {
            let ok = self
                .instructions
                .get(id)
                .is_some_and(|i| i.status == InstructionStatus::Pending && i.mode == SettleMode::AtHeight(*h));
            if !ok {
                return Err(format!("instruction {id} is queued at height {h} but is not pending at that height"));
            }
        }

        // Hash time-locks: locked ⇔ queued at the deadline.
        let mut locked = 0usize;
        for (id, h) in self.htlcs.iter() {
            if h.status == HtlcStatus::Locked {
                locked = locked.checked_add(1).ok_or("lock count overflows")?;
                if !self.open_htlcs.contains(&(h.deadline, *id)) {
                    return Err(format!("hash time-lock {id} is locked but not queued at its deadline"));
                }
            }
        }
        if locked != self.open_htlcs.len() {
            return Err(format!("{locked} hash time-locks locked but {} queued", self.open_htlcs.len()));
        }

        // Repos: open ⇔ queued at maturity.
        let mut open = 0usize;
        for (id, r) in self.repos.iter() {
            if matches!(r.status, RepoStatus::Open { .. }) {
                open = open.checked_add(1).ok_or("repo count overflows")?;
                if !self.open_repos.contains(&(r.terms.maturity, *id)) {
                    return Err(format!("repo {id} is open but not queued at its maturity"));
                }
            }
        }
        if open != self.open_repos.len() {
            return Err(format!("{open} repos open but {} queued", self.open_repos.len()));
        }

        // Tenders: one bid per wallet; an awarded winner bid.
        for (id, t) in self.tenders.iter() {
            for (n, b) in t.bids.iter().enumerate() {
                if t.bids.get(..n).is_some_and(|before| before.contains(b)) {
                    return Err(format!("tender {id}: wallet {} bid twice", b.short()));
                }
            }
            if let TenderStatus::Awarded { winner, .. } = &t.status {
                if !t.bids.contains(winner) {
                    return Err(format!("tender {id}: winner {} did not bid", winner.short()));
                }
            }
        }

        // Redemptions: queued ⇔ in their fund's queue.
        let mut queued = 0usize;
        for (id, r) in self.redemptions.iter() {
            if r.status == RedemptionStatus::Queued {
                queued = queued.checked_add(1).ok_or("redemption count overflows")?;
                if !self.redemption_queue.contains(&(r.fund.clone(), *id)) {
                    return Err(format!("redemption {id} of fund {} is queued but not in its queue", r.fund));
                }
            }
        }
        if queued != self.redemption_queue.len() {
            return Err(format!("{queued} redemptions queued but {} in the queues", self.redemption_queue.len()));
        }
        Ok(())
    }
}
