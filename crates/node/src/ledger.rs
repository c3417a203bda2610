//! A ledger on disk: the chain (state + head) over the durable journal.
//!
//! Recovery (`open`): the newest snapshot whose checksum and digest hold, then replay of every
//! later block. A damaged last block (torn tail) is cut and reported; damage anywhere else
//! refuses to open (`store.corrupt`) — acknowledged history is never silently dropped.

use crate::replay::{check_raw, check_transactions, reexecute};
use borsh::BorshDeserialize;
use std::path::Path;
use tessera_core::block::{Block, Genesis};
use tessera_core::exec::{Admission, Chain};
use tessera_core::state::State;
use tessera_core::tx::CheckedTx;
use tessera_core::{Code, Refusal, Time};
use tessera_store::{Snapshot, Store};

/// What recovery did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Recovery {
    pub snapshot_height: Option<u64>,
    pub replayed_blocks: u64,
    /// (height, reason) of a cut damaged tail.
    pub cut_tail: Option<(u64, String)>,
}

pub struct Ledger {
    pub chain: Chain,
    pub store: Store,
    /// Write a snapshot after this many blocks (0: never automatically).
    pub snapshot_every_blocks: u64,
    last_snapshot: u64,
}

impl Ledger {
    pub fn create(dir: &Path, genesis: &Genesis) -> Result<Ledger, Refusal> {
        let (chain, block) = Chain::genesis(genesis)?;
        let store = Store::create(dir, &block)?;
        Ok(Ledger { chain, store, snapshot_every_blocks: 10_000, last_snapshot: 0 })
    }

    pub fn open(dir: &Path) -> Result<(Ledger, Recovery), Refusal> {
        let mut store = Store::open(dir)?;
        let head = store
            .head_height()?
            .ok_or_else(|| Refusal::new(Code::StoreCorrupt, "the journal holds no genesis block"))?;
        let mut recovery = Recovery::default();
        let mut chain = Self::start_point(&store, head, &mut recovery)?;
        let from = chain.height() + 1;
        let mut failure: Option<(u64, String)> = None;
        let mut prev = chain.head.clone();
        store.scan(from, |raw| {
            let h = raw.height;
            let res = check_raw(&raw, h, Some(&prev))
                .and_then(|b| {
                    if raw.body_hash != tessera_core::crypto::sha256(&raw.body) {
                        return Err(crate::Mismatch {
                            height: h,
                            tx: None,
                            field: "body_checksum".into(),
                            detail: "mismatch".into(),
                        });
                    }
                    Ok(b)
                })
                .and_then(|mut b| check_transactions(&mut b, false).map(|t| (b, t)))
                .and_then(|(b, txs)| reexecute(&mut chain, &b, txs).map(|_| b));
            match res {
                Ok(b) => {
                    prev = b.header;
                    recovery.replayed_blocks += 1;
                    Ok(true)
                }
                Err(m) => {
                    failure = Some((h, m.to_string()));
                    Ok(false)
                }
            }
        })?;
        if let Some((h, why)) = failure {
            if h == head {
                store.truncate_from(h)?;
                recovery.cut_tail = Some((h, why));
                // The chain may hold a partial replay of the cut block: rebuild to be exact.
                return Self::open(dir).map(|(l, mut r)| {
                    r.cut_tail = recovery.cut_tail;
                    (l, r)
                });
            }
            return Err(Refusal::new(
                Code::StoreCorrupt,
                format!("cannot recover: {why}; run `tessera verify` for details"),
            ));
        }
        let last_snapshot = recovery.snapshot_height.unwrap_or(0);
        Ok((Ledger { chain, store, snapshot_every_blocks: 10_000, last_snapshot }, recovery))
    }

    /// The chain at the newest usable snapshot at or below `max_height`, or at genesis.
    fn start_point(store: &Store, max_height: u64, recovery: &mut Recovery) -> Result<Chain, Refusal> {
        for snap in store.snapshots(max_height)? {
            let Ok(state) = State::try_from_slice(&snap.state) else {
                continue;
            };
            if state.digest() != snap.digest {
                continue;
            }
            let Some(block) = store.block(snap.height).ok().flatten() else {
                continue;
            };
            if block.header.state_digest != snap.digest {
                continue;
            }
            recovery.snapshot_height = Some(snap.height);
            return Ok(Chain { state, head: block.header });
        }
        let g = store
            .block(0)?
            .and_then(|b| b.body.genesis)
            .ok_or_else(|| Refusal::new(Code::StoreCorrupt, "block 0 carries no genesis"))?;
        Ok(Chain::genesis(&g)?.0)
    }

    /// The chain as it was after block `height` (for holders at a height and audits).
    pub fn chain_at(store: &Store, height: u64) -> Result<Chain, Refusal> {
        let mut ignored = Recovery::default();
        let mut chain = Self::start_point(store, height, &mut ignored)?;
        let mut err = None;
        store.scan(chain.height() + 1, |raw| {
            if raw.height > height {
                return Ok(false);
            }
            let res = check_raw(&raw, raw.height, Some(&chain.head.clone()))
                .and_then(|mut b| check_transactions(&mut b, false).map(|t| (b, t)))
                .and_then(|(b, txs)| reexecute(&mut chain, &b, txs));
            match res {
                Ok(()) => Ok(true),
                Err(m) => {
                    err = Some(m);
                    Ok(false)
                }
            }
        })?;
        if let Some(m) = err {
            return Err(m.into());
        }
        Ok(chain)
    }

    pub fn height(&self) -> u64 {
        self.chain.height()
    }

    /// Rebuilds a ledger from parts the engine's threads owned.
    pub(crate) fn from_parts(chain: Chain, store: Store, snapshot_every_blocks: u64, last_snapshot: u64) -> Ledger {
        Ledger { chain, store, snapshot_every_blocks, last_snapshot }
    }
    pub fn last_snapshot(&self) -> u64 {
        self.last_snapshot
    }

    /// Builds one block from checked transactions, makes it durable, then returns it.
    pub fn submit(&mut self, time: Time, txs: Vec<CheckedTx>) -> Result<(Block, Vec<Admission>), Refusal> {
        let (block, admissions) = self.chain.build_block(time, txs);
        self.store.append(std::slice::from_ref(&block))?;
        self.maybe_snapshot()?;
        Ok((block, admissions))
    }

    /// Appends blocks already built on `self.chain` (the pipelined path) in one commit.
    pub fn persist(&mut self, blocks: &[Block]) -> Result<(), Refusal> {
        self.store.append(blocks)?;
        Ok(())
    }

    pub fn maybe_snapshot(&mut self) -> Result<(), Refusal> {
        if self.snapshot_every_blocks > 0 && self.height() >= self.last_snapshot + self.snapshot_every_blocks {
            self.snapshot()?;
        }
        Ok(())
    }

    /// Writes a snapshot of the current state (which must be durable up to its height).
    pub fn snapshot(&mut self) -> Result<(), Refusal> {
        let state = borsh::to_vec(&self.chain.state).map_err(|e| Refusal::new(Code::StoreIo, e.to_string()))?;
        self.store.put_snapshot(&Snapshot { height: self.height(), digest: self.chain.state.digest(), state })?;
        self.last_snapshot = self.height();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::block::demo_genesis;
    use tessera_core::crypto::Keypair;
    use tessera_core::op::Op;
    use tessera_core::tx::TxBody;
    use tessera_core::{PartyId, PartyKind, Role};

    fn genesis() -> (Genesis, Keypair) {
        let k = Keypair::insecure_from_name("officer");
        (demo_genesis("t", Time(1_000), &[(&k, &[Role::ComplianceOfficer, Role::Admin])], [1, 1, 1]), k)
    }

    fn register(k: &Keypair, seq: u64, name: &str) -> CheckedTx {
        let tx = TxBody {
            network: "t".into(),
            signer: k.wallet(),
            seq,
            expires_at: Time(u64::MAX),
            ops: vec![Op::RegisterParty { party: PartyId::new(name), name: name.into(), kind: PartyKind::Institution }],
        }
        .sign(k);
        CheckedTx::from_decoded(tx).unwrap()
    }

    #[test]
    fn reopen_replays_and_snapshots_shortcut() {
        let dir = tempfile::tempdir().unwrap();
        let (g, k) = genesis();
        let mut l = Ledger::create(dir.path(), &g).unwrap();
        for i in 1..=5 {
            l.submit(Time(1_000 + i), vec![register(&k, i, &format!("p{i}"))]).unwrap();
        }
        l.snapshot().unwrap();
        l.submit(Time(2_000), vec![register(&k, 6, "p6")]).unwrap();
        let digest = l.chain.state.digest();
        drop(l);
        let (l, rec) = Ledger::open(dir.path()).unwrap();
        assert_eq!(rec.snapshot_height, Some(5));
        assert_eq!(rec.replayed_blocks, 1);
        assert_eq!(l.chain.state.digest(), digest);
        let at3 = Ledger::chain_at(&l.store, 3).unwrap();
        assert_eq!(at3.state.parties.len(), 1 + 3);
    }

    #[test]
    fn damaged_tail_is_cut_damaged_middle_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let (g, k) = genesis();
        let mut l = Ledger::create(dir.path(), &g).unwrap();
        for i in 1..=3 {
            l.submit(Time(1_000 + i), vec![register(&k, i, &format!("p{i}"))]).unwrap();
        }
        drop(l);
        let s = Store::open(dir.path()).unwrap();
        s.connection()
            .execute("UPDATE blocks SET body = substr(body, 1, length(body) - 3) WHERE height = 3", [])
            .unwrap();
        drop(s);
        let (l, rec) = Ledger::open(dir.path()).unwrap();
        assert_eq!(rec.cut_tail.as_ref().map(|c| c.0), Some(3));
        assert_eq!(l.height(), 2);
        drop(l);
        let s = Store::open(dir.path()).unwrap();
        s.connection()
            .execute("UPDATE blocks SET body = substr(body, 1, length(body) - 3) WHERE height = 1", [])
            .unwrap();
        drop(s);
        let err = Ledger::open(dir.path()).err().unwrap();
        assert_eq!(err.code, Code::StoreCorrupt);
    }
}
