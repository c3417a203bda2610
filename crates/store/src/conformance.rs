//! The conformance suite every [`Journal`] backend must pass, written once.
//!
//! A backend takes part by implementing [`Backend`] (how to create, open and damage one of
//! its journals in a fresh place) and invoking [`journal_conformance!`](crate::journal_conformance)
//! in a test module, which makes one `#[test]` per case:
//!
//! ```ignore
//! mod postgres {
//!     tessera_store::journal_conformance!(PgBackend::new());
//! }
//! ```
//!
//! What a torn tail means, for every backend: a group whose append was cut by a fault or a
//! crash. It must never be visible — the journal ends at the group before it, and the next
//! append starts there. SQLite commits a group in one transaction (the WAL checksums discard
//! a commit cut by a crash; a fault inside the group rolls it back); the memory backend
//! publishes a staged group under one lock. The suite injects a fault in the middle of a
//! group ([`Backend::fail_appends_at`]) and checks nothing of it is stored. Damage that
//! strikes stored bytes later (the last block's body changed on disk) is not a torn tail:
//! it must be read back as stored, refused by the block's check, and never cut.

use crate::{Journal, RawBlock, Result, Snapshot};
use borsh::BorshDeserialize;
use tessera_core::block::{demo_genesis, Block};
use tessera_core::crypto::Keypair;
use tessera_core::exec::Chain;
use tessera_core::op;
use tessera_core::op::Op;
use tessera_core::state::State;
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::{Code, Hash, PartyId, PartyKind, Role, Time};

/// One backend, as the suite drives it. Each case gets a new `Backend` (a fresh place) and
/// creates one journal in it.
pub trait Backend {
    type Journal: Journal + 'static;
    /// Creates the journal of this place, holding `genesis`, as its writer.
    fn create(&mut self, genesis: &Block) -> Result<Self::Journal>;
    /// Opens this place's journal to write it.
    fn open(&mut self) -> Result<Self::Journal>;
    /// Opens this place's journal to read it, beside the writer.
    fn open_read_only(&mut self) -> Result<Self::Journal>;
    /// Makes every append that reaches block `height` fail there, after the blocks before it
    /// in its group were written (a fault mid-group); `None` lifts it.
    fn fail_appends_at(&mut self, height: Option<u64>);
    /// Flips one bit of the stored body of block `height`, as a bad disk would.
    fn damage_block_body(&mut self, height: u64);
    /// Flips one bit of the stored state of the snapshot at `height`.
    fn damage_snapshot_state(&mut self, height: u64);
}

/// Makes one `#[test]` per conformance case for the backend `$make` evaluates to.
#[macro_export]
macro_rules! journal_conformance {
    ($make:expr) => {
        $crate::journal_conformance!(@skippable $make, |_: &_| true);
    };
    // A backend that may be absent on this machine (a server it needs): each case runs only
    // when `$present` says the backend is there.
    (@skippable $make:expr, $present:expr) => {
        $crate::journal_conformance!(@skippable_cases $make, $present;
            appended_groups_read_back_as_stored_in_order_and_move_the_head,
            a_group_cut_by_a_fault_midway_stores_none_of_its_blocks_and_the_next_append_starts_where_it_was,
            a_group_holding_a_height_already_stored_fails_and_stores_none_of_its_blocks,
            a_damaged_last_block_is_read_back_as_stored_refused_by_its_check_and_never_cut,
            snapshots_keep_the_two_newest_and_replay_from_the_newest_at_or_below_a_height_reaches_the_head,
            a_damaged_snapshot_is_read_back_with_what_is_wrong_beside_the_sound_one,
            a_transaction_is_found_by_its_id_in_the_block_that_holds_it,
            readers_on_other_threads_see_only_whole_groups_while_the_writer_appends,
            a_read_only_handle_reads_beside_the_writer_and_cannot_write,
            a_second_writer_is_refused_while_the_first_lives_and_a_journal_is_never_created_twice
        );
    };
    (@skippable_cases $make:expr, $present:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                let b = $make;
                if ($present)(&b) {
                    $crate::conformance::$case(b);
                }
            }
        )*
    };
}

/// Builds real blocks: each holds one signed transaction (a party registration).
struct Fixture {
    chain: Chain,
    key: Keypair,
    seq: u64,
}

impl Fixture {
    fn new() -> (Fixture, Block) {
        let key = Keypair::insecure_from_name("conformance-officer");
        let g = demo_genesis("conformance", Time(1_000), &[(&key, &[Role::ComplianceOfficer, Role::Admin])], [1, 1, 1]);
        let (chain, genesis) = Chain::genesis(&g).expect("the demo genesis is valid");
        (Fixture { chain, key, seq: 0 }, genesis)
    }

    fn tx(&mut self) -> CheckedTx {
        self.seq += 1;
        let name = format!("party-{}", self.seq);
        let tx = TxBody {
            network: "conformance".into(),
            signer: self.key.wallet(),
            seq: self.seq,
            expires_at: Time(u64::MAX),
            ops: vec![Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(&name),
                name,
                kind: PartyKind::Institution,
            })],
        }
        .sign(&self.key);
        CheckedTx::from_decoded(tx).expect("a freshly signed transaction checks")
    }

    /// The next `n` blocks, `txs` transactions each.
    fn blocks_of(&mut self, n: usize, txs: usize) -> Vec<Block> {
        (0..n)
            .map(|_| {
                let txs = (0..txs).map(|_| self.tx()).collect();
                let time = Time(self.chain.head.time.0 + 1);
                let (block, _) = self.chain.build_block(time, txs);
                assert_eq!(block.body.receipts.len(), block.body.txs.len());
                block
            })
            .collect()
    }

    fn blocks(&mut self, n: usize) -> Vec<Block> {
        self.blocks_of(n, 1)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            height: self.chain.height(),
            digest: self.chain.state.digest(),
            state: borsh::to_vec(&self.chain.state).expect("the state encodes"),
        }
    }
}

fn heights(j: &dyn Journal, from: u64) -> Vec<u64> {
    let mut out = Vec::new();
    j.scan(from, &mut |raw| {
        out.push(raw.height);
        Ok(true)
    })
    .expect("scan");
    out
}

fn head(j: &dyn Journal) -> Option<u64> {
    j.head_height().expect("head")
}

fn code<T>(r: Result<T>) -> Code {
    match r {
        Ok(_) => panic!("expected a refusal"),
        Err(e) => e.code(),
    }
}

pub fn appended_groups_read_back_as_stored_in_order_and_move_the_head(mut b: impl Backend) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).expect("create");
    assert!(j.is_writer());
    assert_eq!(head(&j), Some(0));
    let mut all = vec![genesis];
    for n in [3, 1] {
        let group = fx.blocks(n);
        j.append(&group).expect("append");
        all.extend(group);
    }
    assert_eq!(head(&j), Some(4));
    for block in &all {
        let h = block.header.height;
        assert_eq!(j.raw_block(h).unwrap(), Some(RawBlock::encode(block)), "block {h} as stored");
        assert_eq!(j.block(h).unwrap().as_ref(), Some(block), "block {h} decoded");
    }
    assert_eq!(j.raw_block(5).unwrap(), None);
    assert!(j.block(5).unwrap().is_none());
    assert_eq!(heights(&j, 0), vec![0, 1, 2, 3, 4]);
    assert_eq!(heights(&j, 2), vec![2, 3, 4]);
    assert_eq!(heights(&j, 9), Vec::<u64>::new());
    // A range read: the visitor stops it.
    let mut range = Vec::new();
    j.scan(1, &mut |raw| {
        range.push(raw.height);
        Ok(raw.height < 2)
    })
    .unwrap();
    assert_eq!(range, vec![1, 2]);
    // Durable: a new writer finds every block as it was.
    drop(j);
    let j = b.open().expect("reopen");
    assert_eq!(head(&j), Some(4));
    for block in &all {
        assert_eq!(j.raw_block(block.header.height).unwrap(), Some(RawBlock::encode(block)));
    }
}

pub fn a_group_cut_by_a_fault_midway_stores_none_of_its_blocks_and_the_next_append_starts_where_it_was(
    mut b: impl Backend,
) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    j.append(&fx.blocks(1)).unwrap();
    let group = fx.blocks(4); // blocks 2..=5
    b.fail_appends_at(Some(4));
    assert_eq!(code(j.append(&group)), Code::StoreIo);
    assert_eq!(head(&j), Some(1), "the journal ends at the group before the torn one");
    for h in 2..=5 {
        assert_eq!(j.raw_block(h).unwrap(), None, "block {h} of the torn group is visible");
    }
    assert_eq!(heights(&j, 0), vec![0, 1]);
    assert!(j.tx_heights(&group[0].body.receipts[0].tx).unwrap().is_empty(), "the torn group is indexed");
    // Nothing of it surfaces when the journal is opened again.
    drop(j);
    let mut j = b.open().unwrap();
    assert_eq!(head(&j), Some(1));
    b.fail_appends_at(None);
    j.append(&group).expect("the same group, once the fault is gone");
    assert_eq!(heights(&j, 0), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(j.block(5).unwrap().as_ref(), group.last());
}

pub fn a_group_holding_a_height_already_stored_fails_and_stores_none_of_its_blocks(mut b: impl Backend) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    let first = fx.blocks(2);
    j.append(&first).unwrap();
    let next = fx.blocks(1); // block 3
    let stored_before = j.raw_block(2).unwrap();
    assert_eq!(code(j.append(&[next[0].clone(), first[1].clone()])), Code::StoreIo);
    assert_eq!(head(&j), Some(2));
    assert_eq!(j.raw_block(3).unwrap(), None);
    assert_eq!(j.raw_block(2).unwrap(), stored_before, "a stored block was rewritten");
    j.append(&next).unwrap();
    assert_eq!(head(&j), Some(3));
}

pub fn a_damaged_last_block_is_read_back_as_stored_refused_by_its_check_and_never_cut(mut b: impl Backend) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    let blocks = fx.blocks(3);
    j.append(&blocks).unwrap();
    drop(j);
    b.damage_block_body(3);
    let written = RawBlock::encode(&blocks[2]);
    for j in [b.open().unwrap(), b.open_read_only().unwrap()] {
        assert_eq!(head(&j), Some(3), "the damaged block was cut");
        let raw = j.raw_block(3).unwrap().expect("the damaged block is still stored");
        assert_ne!(raw.body, written.body, "the damage is read back as it is");
        assert_eq!(raw.body.len(), written.body.len());
        assert_eq!((raw.hash, raw.body_hash, &raw.header), (written.hash, written.body_hash, &written.header));
        let err = j.block(3).expect_err("a damaged block passes its check");
        assert_eq!(err.code(), Code::StoreCorrupt);
        assert!(err.to_string().contains("block 3: body_hash"), "{err}");
        assert_eq!(heights(&j, 0), vec![0, 1, 2, 3]);
        assert!(j.block(2).unwrap().is_some());
    }
}

pub fn snapshots_keep_the_two_newest_and_replay_from_the_newest_at_or_below_a_height_reaches_the_head(
    mut b: impl Backend,
) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    let mut taken = Vec::new();
    for _ in 0..3 {
        j.append(&fx.blocks(2)).unwrap();
        let snap = fx.snapshot();
        j.put_snapshot(&snap).unwrap();
        taken.push(snap);
    }
    j.append(&fx.blocks(2)).unwrap(); // blocks 7, 8: past the last snapshot
    let at = |j: &dyn Journal, max: u64| {
        j.snapshots(max).unwrap().into_iter().map(|s| s.snapshot.height).collect::<Vec<_>>()
    };
    assert_eq!(at(&j, u64::MAX), vec![6, 4], "the two newest, newest first");
    assert_eq!(at(&j, 5), vec![4]);
    assert_eq!(at(&j, 3), Vec::<u64>::new(), "the oldest was dropped");
    let stored = j.snapshots(5).unwrap().remove(0);
    assert_eq!(stored.damage, None);
    assert_eq!(stored.snapshot, taken[1]);
    // Writing one at a height already held replaces it.
    j.put_snapshot(&taken[2]).unwrap();
    assert_eq!(at(&j, u64::MAX), vec![6, 4]);

    // Replay from the snapshot at 4: its state, the stored header at 4, then every later block
    // re-executed, rebuilds each stored block exactly and reaches the head's state.
    drop(j);
    let j = b.open_read_only().unwrap();
    let snap = j.snapshots(5).unwrap().remove(0).snapshot;
    let state = State::try_from_slice(&snap.state).expect("the snapshot's state decodes");
    assert_eq!(state.recompute_digest(), snap.digest);
    let header = j.block(snap.height).unwrap().expect("the snapshot's block").header;
    assert_eq!(header.state_digest, snap.digest);
    let mut chain = Chain { state, head: header };
    let mut replayed = Vec::new();
    j.scan(snap.height + 1, &mut |raw| {
        let stored = raw.check()?;
        let txs =
            stored.body.txs.iter().map(|t| CheckedTx::from_decoded(t.clone()).expect("stored tx checks")).collect();
        let (rebuilt, _) = chain.build_block(stored.header.time, txs);
        assert_eq!(rebuilt, stored, "block {} rebuilt from the snapshot", raw.height);
        replayed.push(raw.height);
        Ok(true)
    })
    .unwrap();
    assert_eq!(replayed, vec![5, 6, 7, 8]);
    assert_eq!(chain.state.digest(), fx.chain.state.digest());
    assert_eq!(chain.head, fx.chain.head);
}

pub fn a_damaged_snapshot_is_read_back_with_what_is_wrong_beside_the_sound_one(mut b: impl Backend) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    for _ in 0..2 {
        j.append(&fx.blocks(1)).unwrap();
        j.put_snapshot(&fx.snapshot()).unwrap();
    }
    b.damage_snapshot_state(2);
    let snaps = j.snapshots(u64::MAX).unwrap();
    assert_eq!(snaps.iter().map(|s| s.snapshot.height).collect::<Vec<_>>(), vec![2, 1]);
    let why = snaps[0].damage.as_deref().expect("the damaged snapshot is reported");
    assert!(why.starts_with("stored checksum ") && why.contains("the state bytes hash to"), "{why}");
    assert_eq!(snaps[1].damage, None);
}

pub fn a_transaction_is_found_by_its_id_in_the_block_that_holds_it(mut b: impl Backend) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    let mut blocks = fx.blocks_of(2, 3);
    blocks.extend(fx.blocks(1));
    j.append(&blocks).unwrap();
    for block in &blocks {
        for r in &block.body.receipts {
            assert_eq!(j.tx_heights(&r.tx).unwrap(), vec![block.header.height], "{}", r.tx);
        }
    }
    assert_eq!(j.tx_heights(&Hash([9; 32])).unwrap(), Vec::<u64>::new());
    let mut index = Vec::new();
    j.scan_tx_prefixes(&mut |h, p| index.push((h, p))).unwrap();
    let want: Vec<(u64, [u8; 8])> = blocks
        .iter()
        .flat_map(|b| b.body.receipts.iter().map(|r| (b.header.height, r.tx.0[..8].try_into().unwrap())))
        .collect();
    assert_eq!(index, want, "every prefix, in journal order");
    // A reader finds it the same way.
    let r = j.reader().unwrap();
    assert_eq!(r.tx_heights(&blocks[1].body.receipts[2].tx).unwrap(), vec![2]);
}

pub fn readers_on_other_threads_see_only_whole_groups_while_the_writer_appends(mut b: impl Backend) {
    const GROUP: u64 = 3;
    const GROUPS: usize = 20;
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    let groups: Vec<Vec<Block>> = (0..GROUPS).map(|_| fx.blocks(GROUP as usize)).collect();
    let last = GROUP * GROUPS as u64;
    let readers: Vec<Box<dyn Journal>> =
        vec![j.reader().unwrap(), j.reader().unwrap(), Box::new(b.open_read_only().unwrap())];
    std::thread::scope(|s| {
        let watching: Vec<_> = readers
            .into_iter()
            .map(|r| {
                s.spawn(move || {
                    let mut seen = 0u64;
                    let mut reads = 0u32;
                    // Bounded, so that a writer that fails ends the case instead of hanging it.
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
                    while seen < last {
                        assert!(std::time::Instant::now() < deadline, "the writer never reached block {last}");
                        let h = head(r.as_ref()).expect("a head");
                        assert!(h >= seen, "the head went back from {seen} to {h}");
                        assert!(h.is_multiple_of(GROUP), "head {h} is inside a group");
                        let mut n = 0u64;
                        r.scan(0, &mut |raw| {
                            assert_eq!(raw.height, n, "a gap in the journal");
                            raw.check().expect("every block read is whole");
                            n += 1;
                            Ok(true)
                        })
                        .unwrap();
                        assert!(n > h && (n - 1).is_multiple_of(GROUP), "a scan saw {n} blocks after head {h}");
                        seen = h;
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        for g in &groups {
            j.append(g).unwrap();
        }
        for w in watching {
            assert!(w.join().expect("a reader failed") >= 1);
        }
    });
    assert_eq!(head(&j), Some(last));
}

pub fn a_read_only_handle_reads_beside_the_writer_and_cannot_write(mut b: impl Backend) {
    let (mut fx, genesis) = Fixture::new();
    let mut j = b.create(&genesis).unwrap();
    j.append(&fx.blocks(1)).unwrap();
    let next = fx.blocks(1);
    let snap = fx.snapshot();
    let readers: Vec<Box<dyn Journal>> = vec![Box::new(b.open_read_only().unwrap()), j.reader().unwrap()];
    for mut r in readers {
        assert!(!r.is_writer());
        assert_eq!(head(&r), Some(1));
        assert_eq!(code(r.append(&next)), Code::StoreIo);
        assert_eq!(code(r.put_snapshot(&snap)), Code::StoreIo);
        assert_eq!(head(&r), Some(1));
        assert!(r.snapshots(u64::MAX).unwrap().is_empty());
        assert_eq!(head(&j), Some(1));
    }
    let r = b.open_read_only().unwrap();
    j.append(&next).unwrap();
    assert_eq!(head(&r), Some(2), "a reader sees what the writer appends");
}

pub fn a_second_writer_is_refused_while_the_first_lives_and_a_journal_is_never_created_twice(mut b: impl Backend) {
    let (_, genesis) = Fixture::new();
    let j = b.create(&genesis).unwrap();
    assert_eq!(code(b.open()), Code::StoreLocked);
    assert_eq!(code(b.create(&genesis)), Code::StoreState);
    assert!(b.open_read_only().is_ok());
    drop(j);
    assert_eq!(code(b.create(&genesis)), Code::StoreState);
    let j = b.open().expect("a writer once the first is gone");
    assert!(j.is_writer());
    assert_eq!(head(&j), Some(0));
}

#[cfg(test)]
mod backends {
    use super::Backend;
    use crate::{testing, MemoryJournal, MemoryVolume, Result, Store};
    use tessera_core::block::Block;

    struct Sqlite(tempfile::TempDir);

    impl Sqlite {
        fn new() -> Sqlite {
            Sqlite(tempfile::tempdir().expect("a temporary directory"))
        }
    }

    fn flip_first_byte(mut v: Vec<u8>) -> Vec<u8> {
        v[0] ^= 0x01;
        v
    }

    impl Backend for Sqlite {
        type Journal = Store;
        fn create(&mut self, genesis: &Block) -> Result<Store> {
            Store::create(self.0.path(), genesis)
        }
        fn open(&mut self) -> Result<Store> {
            Store::open(self.0.path())
        }
        fn open_read_only(&mut self) -> Result<Store> {
            Store::open_read_only(self.0.path())
        }
        fn fail_appends_at(&mut self, height: Option<u64>) {
            testing::fail_appends_at(self.0.path(), height).unwrap();
        }
        fn damage_block_body(&mut self, height: u64) {
            let body = testing::read_block_column(self.0.path(), height, "body").unwrap();
            testing::write_block_column(self.0.path(), height, "body", &flip_first_byte(body)).unwrap();
        }
        fn damage_snapshot_state(&mut self, height: u64) {
            let state = testing::read_snapshot_column(self.0.path(), height, "state").unwrap();
            testing::write_snapshot_column(self.0.path(), height, "state", &flip_first_byte(state)).unwrap();
        }
    }

    struct Memory(MemoryVolume);

    impl Backend for Memory {
        type Journal = MemoryJournal;
        fn create(&mut self, genesis: &Block) -> Result<MemoryJournal> {
            MemoryJournal::create(&self.0, genesis)
        }
        fn open(&mut self) -> Result<MemoryJournal> {
            MemoryJournal::open(&self.0)
        }
        fn open_read_only(&mut self) -> Result<MemoryJournal> {
            MemoryJournal::open_read_only(&self.0)
        }
        fn fail_appends_at(&mut self, height: Option<u64>) {
            self.0.fail_appends_at(height);
        }
        fn damage_block_body(&mut self, height: u64) {
            self.0.damage_block(height, |raw| raw.body[0] ^= 0x01);
        }
        fn damage_snapshot_state(&mut self, height: u64) {
            self.0.damage_snapshot_state(height, |state| state[0] ^= 0x01);
        }
    }

    /// A fresh database on a real PostgreSQL server (`testing::pg`); `None` where the machine
    /// has none (said once, and refused under `TESSERA_PG_REQUIRED=1`).
    pub(super) struct Postgres(Option<crate::PgUrl>);

    impl Postgres {
        fn new() -> Postgres {
            Postgres(testing::pg::fresh_database().map(|u| crate::PgUrl::parse(&u).expect("a test URL")))
        }
        fn url(&self) -> &crate::PgUrl {
            self.0.as_ref().expect("a server")
        }
    }

    impl Backend for Postgres {
        type Journal = crate::PgJournal;
        fn create(&mut self, genesis: &Block) -> Result<crate::PgJournal> {
            crate::PgJournal::create(self.url(), genesis, "conformance")
        }
        fn open(&mut self) -> Result<crate::PgJournal> {
            crate::PgJournal::open(self.url())
        }
        fn open_read_only(&mut self) -> Result<crate::PgJournal> {
            crate::PgJournal::open_read_only(self.url())
        }
        fn fail_appends_at(&mut self, height: Option<u64>) {
            testing::pg::fail_appends_at(self.url().as_str(), height).unwrap();
        }
        fn damage_block_body(&mut self, height: u64) {
            testing::pg::flip_block_byte(self.url().as_str(), height, "body").unwrap();
        }
        fn damage_snapshot_state(&mut self, height: u64) {
            testing::pg::flip_snapshot_byte(self.url().as_str(), height).unwrap();
        }
    }

    mod sqlite {
        crate::journal_conformance!(super::Sqlite::new());
    }

    mod postgres {
        crate::journal_conformance!(@skippable super::Postgres::new(), |b: &super::Postgres| b.0.is_some());
    }

    mod memory {
        crate::journal_conformance!(super::Memory(crate::MemoryVolume::new()));
    }
}
