//! A ledger: the chain (state + head) over a durable journal ([`Journal`]; on disk, the SQLite
//! [`Store`] of a data directory).
//!
//! Recovery (`open`): the newest snapshot whose checksum and digest hold, then replay of every
//! later block, each checked against what it claims. Every journal appends each group of
//! blocks atomically, so there is no torn tail to cut: every stored block was acknowledged,
//! and damage anywhere refuses to open (`store.corrupt`, naming the block, the field and the
//! expected and found hash) and leaves the files as they are. A snapshot that does not hold
//! is skipped and named in [`Recovery::skipped_snapshots`]; replay covers the gap.

use crate::replay::{check_checksum, check_index, check_raw, check_transactions, reexecute};
use borsh::BorshDeserialize;
use std::path::Path;
use tessera_core::block::{Block, Genesis};
use tessera_core::exec::{Admission, Chain};
use tessera_core::state::State;
use tessera_core::tx::CheckedTx;
use tessera_core::{Code, Refusal, Time};
use tessera_store::{Journal, Location, RawBlock, Snapshot, Store, StoreError, StoredSnapshot};

/// What recovery did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Recovery {
    pub snapshot_height: Option<u64>,
    pub replayed_blocks: u64,
    /// (height, reason) of each snapshot recovery could not use.
    pub skipped_snapshots: Vec<(u64, String)>,
}

/// A ledger over the journal `J`; by default the SQLite [`Store`] of a data directory.
pub struct Ledger<J: Journal = Store> {
    pub chain: Chain,
    pub store: J,
    /// Write a snapshot after this many blocks (0: never automatically).
    pub snapshot_every_blocks: u64,
    last_snapshot: u64,
}

/// A snapshot every this many blocks, unless set otherwise.
pub const SNAPSHOT_EVERY_BLOCKS: u64 = 10_000;

/// How an operator gets a damaged ledger back (docs/guide.md, "Restoring a damaged ledger").
pub const RESTORE_HINT: &str = "the files were left as they are; restore the data directory from a replica or \
a backup, then run `tessera verify`";

impl Ledger<Store> {
    pub fn create(dir: &Path, genesis: &Genesis) -> Result<Ledger, Refusal> {
        Ledger::create_with(genesis, |block| Store::create(dir, block))
    }

    /// Opens the ledger to write it (taking the data directory's writer lock) and recovers it.
    pub fn open(dir: &Path) -> Result<(Ledger, Recovery), Refusal> {
        Ledger::recover(Store::open(dir)?)
    }

    /// Opens the ledger to read it, beside a writer if one runs; nothing is written.
    pub fn open_read_only(dir: &Path) -> Result<(Ledger, Recovery), Refusal> {
        Ledger::recover(Store::open_read_only(dir)?)
    }
}

/// A ledger on whichever journal a [`Location`] names (a data directory or a database).
pub type AnyLedger = Ledger<Box<dyn Journal>>;

impl AnyLedger {
    /// Creates a ledger from its genesis at `at`.
    pub fn create_at(at: &Location, genesis: &Genesis) -> Result<AnyLedger, Refusal> {
        Ledger::create_with(genesis, |block| at.create(block, &genesis.network))
    }

    /// Opens the ledger at `at` to write it (its writer's lock) and recovers it.
    pub fn open_at(at: &Location) -> Result<(AnyLedger, Recovery), Refusal> {
        Ledger::recover(at.open()?)
    }

    /// Opens the ledger at `at` to read it, beside a writer if one runs.
    pub fn open_read_only_at(at: &Location) -> Result<(AnyLedger, Recovery), Refusal> {
        Ledger::recover(at.open_read_only()?)
    }
}

impl<J: Journal> Ledger<J> {
    /// Creates a ledger from its genesis on a journal `create` makes holding the genesis
    /// block (e.g. `|b| MemoryJournal::create(&volume, b)`).
    pub fn create_with(
        genesis: &Genesis,
        create: impl FnOnce(&Block) -> Result<J, StoreError>,
    ) -> Result<Self, Refusal> {
        let (chain, block) = Chain::genesis(genesis)?;
        let store = create(&block)?;
        Ok(Ledger { chain, store, snapshot_every_blocks: SNAPSHOT_EVERY_BLOCKS, last_snapshot: 0 })
    }

    /// Recovers the ledger a journal holds (see the module documentation): a writer's journal
    /// gives a ledger that can write, a reader's one that only reads.
    pub fn recover(store: J) -> Result<(Self, Recovery), Refusal> {
        Self::recover_inner(store).map_err(|r| match r.code {
            Code::StoreCorrupt => Refusal::new(r.code, format!("{}; {RESTORE_HINT}", r.message)),
            _ => r,
        })
    }

    fn recover_inner(store: J) -> Result<(Self, Recovery), Refusal> {
        let head = store
            .head_height()?
            .ok_or_else(|| Refusal::new(Code::StoreCorrupt, "the journal holds no genesis block"))?;
        let mut recovery = Recovery::default();
        let mut chain = start_point(&store, head, &mut recovery)?;
        let mut failure: Option<crate::Mismatch> = None;
        store.scan(chain.height() + 1, &mut |raw| {
            match replay_one(&mut chain, &raw) {
                Ok(()) => recovery.replayed_blocks += 1,
                Err(m) => failure = Some(m),
            }
            Ok(failure.is_none())
        })?;
        if let Some(m) = failure {
            return Err(Refusal::new(Code::StoreCorrupt, format!("the journal is damaged at {m}")));
        }
        if chain.height() != head {
            return Err(Refusal::new(
                Code::StoreCorrupt,
                format!("the journal ends at block {} but holds block {head}", chain.height()),
            ));
        }
        let last_snapshot = recovery.snapshot_height.unwrap_or(0);
        Ok((Ledger { chain, store, snapshot_every_blocks: SNAPSHOT_EVERY_BLOCKS, last_snapshot }, recovery))
    }

    /// The chain as it was after block `height` (for holders at a height and audits).
    pub fn chain_at(store: &J, height: u64) -> Result<Chain, Refusal> {
        chain_at(store, height)
    }

    pub fn height(&self) -> u64 {
        self.chain.height()
    }

    /// Rebuilds a ledger from parts the engine's threads owned.
    pub(crate) fn from_parts(chain: Chain, store: J, snapshot_every_blocks: u64, last_snapshot: u64) -> Self {
        Ledger { chain, store, snapshot_every_blocks, last_snapshot }
    }
    pub fn last_snapshot(&self) -> u64 {
        self.last_snapshot
    }

    /// Builds one block from checked transactions, makes it durable, then returns it — or
    /// writes nothing and returns `None` when there is nothing to record (every transaction
    /// refused at the door, no block-boundary job due): see [`Chain::try_build_block`].
    pub fn submit(&mut self, time: Time, txs: Vec<CheckedTx>) -> Result<(Option<Block>, Vec<Admission>), Refusal> {
        let (block, admissions) = self.chain.try_build_block(time, txs);
        if let Some(block) = &block {
            self.store.append(std::slice::from_ref(block))?;
            self.maybe_snapshot()?;
        }
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

/// The chain as it was after block `height` (for holders at a height and audits).
pub fn chain_at<J: Journal + ?Sized>(store: &J, height: u64) -> Result<Chain, Refusal> {
    let mut ignored = Recovery::default();
    let mut chain = start_point(store, height, &mut ignored)?;
    let mut err = None;
    store.scan(chain.height() + 1, &mut |raw| {
        if raw.height > height {
            return Ok(false);
        }
        if let Err(m) = replay_one(&mut chain, &raw) {
            err = Some(m);
        }
        Ok(err.is_none())
    })?;
    if let Some(m) = err {
        return Err(m.into());
    }
    Ok(chain)
}

/// The chain at the newest usable snapshot at or below `max_height`, or at genesis. Each
/// snapshot passed over is recorded with the reason.
fn start_point<J: Journal + ?Sized>(store: &J, max_height: u64, recovery: &mut Recovery) -> Result<Chain, Refusal> {
    for stored in store.snapshots(max_height)? {
        let snap = &stored.snapshot;
        match usable_snapshot(store, &stored) {
            Ok(chain) => {
                recovery.snapshot_height = Some(snap.height);
                return Ok(chain);
            }
            Err(why) => recovery.skipped_snapshots.push((snap.height, why)),
        }
    }
    let g = store
        .block(0)?
        .and_then(|b| b.body.genesis)
        .ok_or_else(|| Refusal::new(Code::StoreCorrupt, "block 0 carries no genesis"))?;
    Ok(Chain::genesis(&g)?.0)
}

/// Checks one stored block against the chain before it — its bytes, checksum, index entry,
/// hash link and transaction ids — and re-executes it (signatures were checked when it was
/// admitted; `verify` checks them again).
fn replay_one(chain: &mut Chain, raw: &RawBlock) -> Result<(), crate::Mismatch> {
    check_checksum(raw)?;
    let mut block = check_raw(raw, chain.height() + 1, Some(&chain.head))?;
    check_index(raw, &block)?;
    let txs = check_transactions(&mut block, false)?;
    reexecute(chain, &block, txs)
}

/// Checks one block a journal gained since the chain's head as fully as `verify` does — bytes,
/// checksum, index entry, hash link, every transaction id and signature — and applies it by
/// re-execution, which must rebuild its receipts and state digest exactly. Returns the block
/// (its transactions moved out) for the indexes. A follower calls this for every new block.
pub fn follow_one(chain: &mut Chain, raw: &RawBlock) -> Result<Block, crate::Mismatch> {
    check_checksum(raw)?;
    let mut block = check_raw(raw, chain.height() + 1, Some(&chain.head))?;
    check_index(raw, &block)?;
    let txs = check_transactions(&mut block, true)?;
    reexecute(chain, &block, txs)?;
    Ok(block)
}

/// What [`import`] made.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportReport {
    pub data: String,
    pub network: String,
    pub blocks: u64,
    pub transactions: u64,
    pub head_hash: String,
    pub state_digest: String,
}

/// Makes a new ledger at `at` from the blocks of `source` (a portable export read as a
/// journal, or any journal), checking each block as a follower does ([`follow_one`]: bytes,
/// hash link, ids, signatures, re-execution to the same receipts and state digest) before it
/// is written, and ends with a snapshot of the state reached. The target must hold no ledger
/// (`import.not_empty`). At the first block that disagrees the import stops with
/// `verify.mismatch` naming it; the target then holds the blocks verified before it.
/// `progress` gets (blocks done, blocks in the source).
pub fn import<J: Journal + ?Sized>(
    source: &J,
    at: &Location,
    mut progress: impl FnMut(u64, u64),
) -> Result<ImportReport, Refusal> {
    if let Some(head) = at.open_read_only().ok().and_then(|j| j.head_height().ok().flatten()) {
        return Err(Refusal::new(
            Code::ImportNotEmpty,
            format!(
                "{} already holds a ledger (blocks 0–{head}): import makes a new ledger, give an empty place",
                at.describe()
            ),
        ));
    }
    let head = source.head_height()?.ok_or_else(|| Refusal::new(Code::StoreCorrupt, "the source holds no block"))?;
    let first = source.raw_block(0)?.ok_or_else(|| Refusal::new(Code::StoreCorrupt, "the source holds no block 0"))?;
    check_checksum(&first)?;
    let genesis_block = check_raw(&first, 0, None)?;
    check_index(&first, &genesis_block)?;
    let chain = crate::replay::genesis_chain(&genesis_block)?;
    let Some(genesis) = genesis_block.body.genesis else {
        return Err(Refusal::new(Code::VerifyMismatch, "block 0: genesis — block 0 carries no genesis"));
    };
    let mut ledger = AnyLedger::create_at(at, &genesis)?;
    ledger.chain = chain;
    progress(1, head + 1);
    let mut group: Vec<Block> = Vec::new();
    let mut transactions = 0u64;
    let mut failure: Option<Refusal> = None;
    let flush = |ledger: &mut AnyLedger, group: &mut Vec<Block>| -> Result<(), Refusal> {
        if !group.is_empty() {
            ledger.persist(group)?;
            group.clear();
            ledger.maybe_snapshot()?;
        }
        Ok(())
    };
    source.scan(1, &mut |raw| {
        if raw.height > head {
            return Ok(false);
        }
        let checked = follow_one(&mut ledger.chain, &raw).map_err(Refusal::from).and_then(|_| Ok(raw.check()?));
        match checked {
            Ok(block) => {
                transactions += block.body.txs.len() as u64;
                group.push(block);
                progress(raw.height + 1, head + 1);
                if group.len() >= 256 {
                    if let Err(e) = flush(&mut ledger, &mut group) {
                        failure = Some(e);
                    }
                }
            }
            Err(e) => failure = Some(e),
        }
        Ok(failure.is_none())
    })?;
    // The blocks verified before a failure are written too: the target then holds a
    // verified prefix, which the refusal names.
    flush(&mut ledger, &mut group)?;
    if let Some(e) = failure {
        let message = format!(
            "{}; {} now holds the verified blocks 0–{} only: remove it before importing again",
            e.message,
            at.describe(),
            ledger.height()
        );
        return Err(Refusal::new(e.code, message));
    }
    if ledger.height() != head {
        return Err(Refusal::new(
            Code::VerifyMismatch,
            format!("block {}: height — the source ends before its head {head}", ledger.height() + 1),
        ));
    }
    ledger.snapshot()?;
    Ok(ImportReport {
        data: at.describe(),
        network: genesis.network,
        blocks: head + 1,
        transactions,
        head_hash: ledger.chain.head.hash().to_hex(),
        state_digest: ledger.chain.state.digest().to_hex(),
    })
}

/// The chain a stored snapshot gives, or why it cannot be used.
fn usable_snapshot<J: Journal + ?Sized>(store: &J, stored: &StoredSnapshot) -> Result<Chain, String> {
    let snap = &stored.snapshot;
    if let Some(why) = &stored.damage {
        return Err(why.clone());
    }
    let state = State::try_from_slice(&snap.state).map_err(|e| format!("its state does not decode: {e}"))?;
    let digest = state.recompute_digest();
    if digest != snap.digest {
        return Err(format!("stored digest {}, its state hashes to {digest}", snap.digest));
    }
    let block = store
        .block(snap.height)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("block {} is not in the journal", snap.height))?;
    if block.header.state_digest != snap.digest {
        return Err(format!(
            "block {} records state digest {}, the snapshot holds {}",
            snap.height, block.header.state_digest, snap.digest
        ));
    }
    Ok(Chain { state, head: block.header })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::block::demo_genesis;
    use tessera_core::crypto::Keypair;
    use tessera_core::op;
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
            ops: vec![Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(name),
                name: name.into(),
                kind: PartyKind::Institution,
            })],
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
    fn a_ledger_on_the_memory_journal_writes_recovers_from_its_snapshot_and_verifies_like_one_on_disk() {
        use tessera_store::{MemoryJournal, MemoryVolume};
        let volume = MemoryVolume::new();
        let (g, k) = genesis();
        let mut l = Ledger::create_with(&g, |b| MemoryJournal::create(&volume, b)).unwrap();
        for i in 1..=5 {
            l.submit(Time(1_000 + i), vec![register(&k, i, &format!("p{i}"))]).unwrap();
        }
        l.snapshot().unwrap();
        l.submit(Time(2_000), vec![register(&k, 6, "p6")]).unwrap();
        let digest = l.chain.state.digest();
        assert_eq!(MemoryJournal::open(&volume).err().map(|e| e.code()), Some(Code::StoreLocked));
        drop(l);
        let (l, rec) = Ledger::recover(MemoryJournal::open(&volume).unwrap()).unwrap();
        assert_eq!((rec.snapshot_height, rec.replayed_blocks), (Some(5), 1));
        assert_eq!(l.chain.state.digest(), digest);
        assert_eq!(Ledger::chain_at(&l.store, 3).unwrap().state.parties.len(), 1 + 3);
        let report = crate::verify(&l.store, |_, _| {}).unwrap();
        assert_eq!((report.blocks, report.first_mismatch), (7, None));
    }

    fn ledger_of_three_blocks() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("l");
        let (g, k) = genesis();
        let mut l = Ledger::create(&dir, &g).unwrap();
        for i in 1..=3 {
            l.submit(Time(1_000 + i), vec![register(&k, i, &format!("p{i}"))]).unwrap();
        }
        (tmp, dir)
    }

    fn alter(dir: &Path, sql: &str) {
        tessera_store::testing::execute_sql(dir, sql).unwrap();
    }

    fn file_bytes(dir: &Path) -> Vec<u8> {
        std::fs::read(Store::db_path(dir)).unwrap()
    }

    #[test]
    fn a_damaged_last_block_refuses_to_open_names_the_block_and_leaves_the_files_alone() {
        for (field, sql) in [
            ("body", "UPDATE blocks SET body = substr(body, 1, length(body) - 3) WHERE height = 3"),
            ("body", "UPDATE blocks SET body_hash = zeroblob(32) WHERE height = 3"),
            ("header", "UPDATE blocks SET header = CAST(substr(header, 1, length(header) - 1) || x'00' AS BLOB) WHERE height = 3"),
            ("header", "UPDATE blocks SET header = CAST('text' AS TEXT) WHERE height = 3"),
            ("header", "UPDATE blocks SET hash = zeroblob(32) WHERE height = 3"),
            ("tx_index", "UPDATE blocks SET tx_prefixes = zeroblob(8) WHERE height = 3"),
        ] {
            let (_t, dir) = ledger_of_three_blocks();
            alter(&dir, sql);
            let before = file_bytes(&dir);
            let err = Ledger::open(&dir).err().unwrap_or_else(|| panic!("{sql}: opened a damaged journal"));
            assert_eq!(err.code, Code::StoreCorrupt, "{sql}");
            assert!(err.message.contains("block 3") && err.message.contains(field), "{sql}: {}", err.message);
            assert!(err.message.contains("restore"), "{}", err.message);
            assert_eq!(file_bytes(&dir), before, "{sql}: recovery changed the files");
            // Still all there: nothing was cut.
            assert_eq!(Store::open_read_only(&dir).unwrap().head_height().unwrap(), Some(3));
        }
    }

    #[test]
    fn damage_in_the_middle_refuses_to_open() {
        let (_t, dir) = ledger_of_three_blocks();
        alter(&dir, "UPDATE blocks SET body = substr(body, 1, length(body) - 3) WHERE height = 1");
        let err = Ledger::open(&dir).err().unwrap();
        assert_eq!(err.code, Code::StoreCorrupt);
        assert!(err.message.contains("block 1"), "{}", err.message);
    }

    #[test]
    fn a_damaged_snapshot_is_skipped_by_name() {
        let (_t, dir) = ledger_of_three_blocks();
        let (mut l, _) = Ledger::open(&dir).unwrap();
        let digest = l.chain.state.digest();
        l.snapshot().unwrap();
        drop(l);
        alter(&dir, "UPDATE snapshots SET state = zeroblob(length(state)) WHERE height = 3");
        let (l, rec) = Ledger::open(&dir).unwrap();
        assert_eq!(l.chain.state.digest(), digest);
        assert_eq!(rec.snapshot_height, None);
        assert_eq!(rec.skipped_snapshots.len(), 1, "{:?}", rec.skipped_snapshots);
        assert_eq!(rec.skipped_snapshots[0].0, 3);
    }

    #[test]
    fn a_reader_opens_beside_the_writer_and_a_second_writer_is_refused() {
        let (_t, dir) = ledger_of_three_blocks();
        let (writer, _) = Ledger::open(&dir).unwrap();
        assert_eq!(Ledger::open(&dir).err().map(|e| e.code), Some(Code::StoreLocked));
        let (reader, _) = Ledger::open_read_only(&dir).unwrap();
        assert_eq!(reader.chain.state.digest(), writer.chain.state.digest());
    }
}
