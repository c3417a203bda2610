//! A state table: a hash map with an undo log and an incremental set hash.
//!
//! Invariants:
//! - `digest` = Σ leaf(k, v) over every entry, mod 2^256, where leaf = SHA-256(tag ‖ k ‖ v) in
//!   canonical (borsh) bytes. Order-independent, so the digest never depends on hash-map
//!   iteration order, and each write costs two leaf hashes, not a pass over the table.
//! - Every write since the last `commit` is in `undo`; `rollback(mark)` restores the exact
//!   entries and digest of the mark. This is how a failing operation changes nothing.
//!
//! The additive set hash detects accidental and single-entry changes; it is not meant to resist
//! an adversary who can choose many entries (the hash-linked journal is the security boundary).

use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::hash::Hash as StdHash;

/// The map behind a table: a hash map for lookups, or an ordered map where a block-boundary
/// job needs "everything due up to now" without scanning (see [`Queue`]).
pub trait Map<K, V>: Default {
    type Iter<'a>: Iterator<Item = (&'a K, &'a V)>
    where
        Self: 'a,
        K: 'a,
        V: 'a;
    fn get(&self, k: &K) -> Option<&V>;
    fn insert(&mut self, k: K, v: V) -> Option<V>;
    fn remove(&mut self, k: &K) -> Option<V>;
    fn contains_key(&self, k: &K) -> bool;
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn iter(&self) -> Self::Iter<'_>;
    /// Bytes of the map's own storage (not heap data its values own).
    fn bytes(&self) -> usize;
    fn reserve(&mut self, _n: usize) {}
}

impl<K: StdHash + Eq, V> Map<K, V> for FxHashMap<K, V> {
    type Iter<'a>
        = std::collections::hash_map::Iter<'a, K, V>
    where
        K: 'a,
        V: 'a;
    fn get(&self, k: &K) -> Option<&V> {
        std::collections::HashMap::get(self, k)
    }
    fn insert(&mut self, k: K, v: V) -> Option<V> {
        std::collections::HashMap::insert(self, k, v)
    }
    fn remove(&mut self, k: &K) -> Option<V> {
        std::collections::HashMap::remove(self, k)
    }
    fn contains_key(&self, k: &K) -> bool {
        std::collections::HashMap::contains_key(self, k)
    }
    fn len(&self) -> usize {
        std::collections::HashMap::len(self)
    }
    fn iter(&self) -> Self::Iter<'_> {
        std::collections::HashMap::iter(self)
    }
    fn bytes(&self) -> usize {
        // Saturating on purpose: an estimate, and no map holds usize::MAX bytes.
        self.capacity().saturating_mul(std::mem::size_of::<(K, V)>().saturating_add(1))
    }
    fn reserve(&mut self, n: usize) {
        std::collections::HashMap::reserve(self, n)
    }
}

impl<K: Ord, V> Map<K, V> for BTreeMap<K, V> {
    type Iter<'a>
        = std::collections::btree_map::Iter<'a, K, V>
    where
        K: 'a,
        V: 'a;
    fn get(&self, k: &K) -> Option<&V> {
        BTreeMap::get(self, k)
    }
    fn insert(&mut self, k: K, v: V) -> Option<V> {
        BTreeMap::insert(self, k, v)
    }
    fn remove(&mut self, k: &K) -> Option<V> {
        BTreeMap::remove(self, k)
    }
    fn contains_key(&self, k: &K) -> bool {
        BTreeMap::contains_key(self, k)
    }
    fn len(&self) -> usize {
        BTreeMap::len(self)
    }
    fn iter(&self) -> Self::Iter<'_> {
        BTreeMap::iter(self)
    }
    fn bytes(&self) -> usize {
        // Saturating on purpose: an estimate, and no map holds usize::MAX bytes.
        self.len().saturating_mul(std::mem::size_of::<(K, V)>().saturating_add(16))
    }
}

/// A 256-bit sum of leaf hashes, as four little-endian limbs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetHash(pub [u64; 4]);

/// Arithmetic on a `SetHash` is modulo 2^256 on purpose: the carry out of the top limb is
/// dropped, so adding and removing the same leaves in any order gives the same sum.
impl SetHash {
    fn limbs(h: &[u8; 32]) -> [u64; 4] {
        let mut limbs = [0u64; 4];
        for (limb, bytes) in limbs.iter_mut().zip(h.chunks_exact(8)) {
            *limb = u64::from_le_bytes(bytes.try_into().expect("chunks of exactly 8 bytes"));
        }
        limbs
    }
    fn add(&mut self, h: &[u8; 32]) {
        let mut carry = false;
        for (limb, x) in self.0.iter_mut().zip(Self::limbs(h)) {
            let (s, c1) = limb.overflowing_add(x);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            *limb = s;
            carry = c1 || c2;
        }
    }
    fn sub(&mut self, h: &[u8; 32]) {
        let mut borrow = false;
        for (limb, x) in self.0.iter_mut().zip(Self::limbs(h)) {
            let (d, b1) = limb.overflowing_sub(x);
            let (d, b2) = d.overflowing_sub(u64::from(borrow));
            *limb = d;
            borrow = b1 || b2;
        }
    }
    pub fn combine(&mut self, other: &SetHash) {
        let bytes = other.to_bytes();
        self.add(&bytes);
    }
    pub fn to_bytes(self) -> [u8; 32] {
        let mut bytes = [0u8; 32];
        for (chunk, limb) in bytes.chunks_exact_mut(8).zip(self.0) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        bytes
    }
}

/// A point to roll back to.
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    undo_len: usize,
    digest: SetHash,
}

impl Mark {
    /// The table's set hash when the mark was taken: equal to the current one exactly when
    /// the table holds the same entries again.
    pub fn digest(&self) -> SetHash {
        self.digest
    }
}

pub struct Table<K, V, M = FxHashMap<K, V>> {
    tag: u8,
    map: M,
    undo: Vec<(K, Option<V>)>,
    digest: SetHash,
    scratch: Vec<u8>,
    _v: std::marker::PhantomData<V>,
}

/// An ordered set of keys, e.g. (deadline, id): the jobs that must run at block boundaries
/// take what is due with `due` instead of scanning everything open.
pub type Queue<K> = Table<K, (), BTreeMap<K, ()>>;

impl<K, V, M> Table<K, V, M>
where
    K: StdHash + Eq + Clone + Ord + BorshSerialize + BorshDeserialize,
    V: Clone + BorshSerialize + BorshDeserialize,
    M: Map<K, V>,
{
    pub fn new(tag: u8) -> Self {
        Table {
            tag,
            map: M::default(),
            undo: Vec::new(),
            digest: SetHash::default(),
            scratch: Vec::new(),
            _v: std::marker::PhantomData,
        }
    }

    fn leaf(tag: u8, scratch: &mut Vec<u8>, k: &K, v: &V) -> [u8; 32] {
        scratch.clear();
        scratch.push(tag);
        k.serialize(scratch).expect("writing into a Vec cannot fail");
        v.serialize(scratch).expect("writing into a Vec cannot fail");
        Sha256::digest(&scratch[..]).into()
    }

    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }
    pub fn contains(&self, k: &K) -> bool {
        self.map.contains_key(k)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn digest(&self) -> SetHash {
        self.digest
    }

    /// Inserts or replaces, recording the old value for rollback.
    pub fn put(&mut self, k: K, v: V) {
        let new_leaf = Self::leaf(self.tag, &mut self.scratch, &k, &v);
        self.digest.add(&new_leaf);
        let old = self.map.insert(k.clone(), v);
        if let Some(old_v) = &old {
            let old_leaf = Self::leaf(self.tag, &mut self.scratch, &k, old_v);
            self.digest.sub(&old_leaf);
        }
        self.undo.push((k, old));
    }

    /// Reads and rewrites many entries (keys distinct): `f(key, arg, current value)` gives
    /// the value to write (`None`: remove if present) and a result. The same entries, undo log
    /// and digest as a `get` then `put`/`remove` of each in turn; if `f` fails for an entry,
    /// nothing is written and that failure is returned. The leaf hashes of the old and new
    /// values are computed afterwards, in parallel: the set hash is a sum, so the digest does
    /// not depend on how that work is scheduled.
    pub fn update_many<A, R, E>(
        &mut self,
        items: Vec<(K, A)>,
        mut f: impl FnMut(&K, A, Option<&V>) -> Result<(Option<V>, R), E>,
    ) -> Result<Vec<R>, E>
    where
        K: Send + Sync,
        V: Send + Sync,
        M: Sync,
    {
        debug_assert!(
            items.iter().map(|(k, _)| k).collect::<std::collections::BTreeSet<_>>().len() == items.len(),
            "update_many: keys must be distinct"
        );
        let mark = self.mark();
        let mut results = Vec::with_capacity(items.len());
        self.undo.reserve(items.len());
        for (k, a) in items {
            let (new, r) = match f(&k, a, self.map.get(&k)) {
                Ok(done) => done,
                Err(e) => {
                    self.rollback(mark);
                    return Err(e);
                }
            };
            let put = new.is_some();
            let old = match new {
                Some(v) => self.map.insert(k.clone(), v),
                None => self.map.remove(&k),
            };
            if put || old.is_some() {
                self.undo.push((k, old));
            }
            results.push(r);
        }
        // The undo log since the mark holds each written key with its old value.
        let (tag, map) = (self.tag, &self.map);
        let change = self.undo[mark.undo_len..]
            .par_iter()
            .fold(
                || (SetHash::default(), Vec::new()),
                |(mut change, mut scratch), (k, old)| {
                    if let Some(v) = map.get(k) {
                        change.add(&Self::leaf(tag, &mut scratch, k, v));
                    }
                    if let Some(v) = old {
                        change.sub(&Self::leaf(tag, &mut scratch, k, v));
                    }
                    (change, scratch)
                },
            )
            .map(|(change, _)| change)
            .reduce(SetHash::default, |mut a, b| {
                a.combine(&b);
                a
            });
        self.digest.combine(&change);
        Ok(results)
    }

    pub fn remove(&mut self, k: &K) -> Option<V> {
        let old = self.map.remove(k)?;
        let old_leaf = Self::leaf(self.tag, &mut self.scratch, k, &old);
        self.digest.sub(&old_leaf);
        self.undo.push((k.clone(), Some(old.clone())));
        Some(old)
    }

    pub fn mark(&self) -> Mark {
        Mark { undo_len: self.undo.len(), digest: self.digest }
    }

    pub fn rollback(&mut self, mark: Mark) {
        while self.undo.len() > mark.undo_len {
            let Some((k, old)) = self.undo.pop() else {
                break;
            };
            match old {
                Some(v) => {
                    self.map.insert(k, v);
                }
                None => {
                    self.map.remove(&k);
                }
            }
        }
        self.digest = mark.digest;
    }

    /// Forgets the undo log: what was written stays.
    pub fn commit(&mut self) {
        self.undo.clear();
    }

    pub fn iter(&self) -> M::Iter<'_> {
        self.map.iter()
    }

    /// Entries in key order: use wherever iteration order could reach a result.
    pub fn sorted(&self) -> Vec<(&K, &V)> {
        let mut v: Vec<_> = self.map.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// Recomputes the digest from scratch (snapshot load and tests).
    pub fn recompute_digest(&self) -> SetHash {
        let mut d = SetHash::default();
        let mut scratch = Vec::new();
        for (k, v) in self.map.iter() {
            d.add(&Self::leaf(self.tag, &mut scratch, k, v));
        }
        d
    }

    /// Bytes the table's map occupies (buckets, control bytes), not counting heap data its
    /// values own. For memory figures.
    pub fn map_bytes(&self) -> usize {
        self.map.bytes()
    }

    pub fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
    }
}

impl<K> Queue<K>
where
    K: StdHash + Eq + Clone + Ord + BorshSerialize + BorshDeserialize,
{
    /// Keys from `from` to `to`, both included, in order (none when `from` is after `to`).
    pub fn range(&self, from: &K, to: &K) -> Vec<K> {
        self.keys_in(from, to).cloned().collect()
    }

    /// Whether any key lies from `from` to `to`, both included (without collecting them).
    pub fn any_in(&self, from: &K, to: &K) -> bool {
        self.keys_in(from, to).next().is_some()
    }

    fn keys_in<'a>(&'a self, from: &K, to: &K) -> impl Iterator<Item = &'a K> + 'a {
        // BTreeMap::range panics on reversed bounds; reversed bounds hold nothing.
        let bounds = (from <= to).then(|| from.clone()..=to.clone());
        bounds.into_iter().flat_map(|b| self.map.range(b).map(|(k, _)| k))
    }

    /// Keys up to and including `upto`, in order.
    pub fn due(&self, upto: &K) -> Vec<K> {
        self.map.range(..=upto.clone()).map(|(k, _)| k.clone()).collect()
    }
}

/// Snapshot form: the entries in key order, so equal tables give equal bytes.
impl<K, V, M> BorshSerialize for Table<K, V, M>
where
    K: StdHash + Eq + Clone + Ord + BorshSerialize + BorshDeserialize,
    V: Clone + BorshSerialize + BorshDeserialize,
    M: Map<K, V>,
{
    fn serialize<W: std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        self.tag.serialize(w)?;
        (self.map.len() as u64).serialize(w)?;
        for (k, v) in self.sorted() {
            k.serialize(w)?;
            v.serialize(w)?;
        }
        Ok(())
    }
}

/// The layout of the snapshot form above: the table's tag, then its entries in key order
/// behind a `u64` count (not borsh's usual `u32`: a table may outgrow it).
impl<K, V, M> BorshSchema for Table<K, V, M>
where
    K: StdHash + Eq + Clone + Ord + BorshSerialize + BorshDeserialize + BorshSchema,
    V: Clone + BorshSerialize + BorshDeserialize + BorshSchema,
    M: Map<K, V>,
{
    fn declaration() -> borsh::schema::Declaration {
        format!("Table<{}, {}>", K::declaration(), V::declaration())
    }

    fn add_definitions_recursively(definitions: &mut BTreeMap<borsh::schema::Declaration, borsh::schema::Definition>) {
        use borsh::schema::{add_definition, Definition, Fields};
        let entries = format!("TableEntries<{}, {}>", K::declaration(), V::declaration());
        add_definition(
            entries.clone(),
            Definition::Sequence { length_width: 8, length_range: 0..=u64::MAX, elements: <(K, V)>::declaration() },
            definitions,
        );
        add_definition(
            Self::declaration(),
            Definition::Struct {
                fields: Fields::NamedFields(vec![("tag".into(), u8::declaration()), ("entries".into(), entries)]),
            },
            definitions,
        );
        u8::add_definitions_recursively(definitions);
        <(K, V)>::add_definitions_recursively(definitions);
    }
}

impl<K, V, M> BorshDeserialize for Table<K, V, M>
where
    K: StdHash + Eq + Clone + Ord + BorshSerialize + BorshDeserialize,
    V: Clone + BorshSerialize + BorshDeserialize,
    M: Map<K, V>,
{
    fn deserialize_reader<R: std::io::Read>(r: &mut R) -> std::io::Result<Self> {
        let tag = u8::deserialize_reader(r)?;
        let n = u64::deserialize_reader(r)?;
        let mut t: Table<K, V, M> = Table::new(tag);
        let mut prev: Option<K> = None;
        for _ in 0..n {
            let k = K::deserialize_reader(r)?;
            let v = V::deserialize_reader(r)?;
            if prev.as_ref().is_some_and(|p| p >= &k) {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "table keys out of order"));
            }
            prev = Some(k.clone());
            t.map.insert(k, v);
        }
        t.digest = t.recompute_digest();
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The incremental digest always equals the digest recomputed from scratch, and a
        /// rollback restores entries and digest exactly.
        #[test]
        fn digest_is_incremental_and_rollback_exact(
            before in proptest::collection::vec((0u8..16, any::<u32>()), 0..40),
            after in proptest::collection::vec((0u8..16, proptest::option::of(any::<u32>())), 0..40),
        ) {
            let mut t: Table<u8, u32> = Table::new(7);
            for (k, v) in before { t.put(k, v); }
            t.commit();
            prop_assert_eq!(t.digest(), t.recompute_digest());
            let snapshot: Vec<(u8, u32)> = t.sorted().into_iter().map(|(k, v)| (*k, *v)).collect();
            let digest = t.digest();
            let mark = t.mark();
            for (k, v) in after {
                match v { Some(v) => t.put(k, v), None => { t.remove(&k); } }
                prop_assert_eq!(t.digest(), t.recompute_digest());
            }
            t.rollback(mark);
            let restored: Vec<(u8, u32)> = t.sorted().into_iter().map(|(k, v)| (*k, *v)).collect();
            prop_assert_eq!(restored, snapshot);
            prop_assert_eq!(t.digest(), digest);
        }
    }

    proptest! {
        /// `any_in` answers whether `range` over the same bounds would find anything.
        #[test]
        fn any_in_agrees_with_range(
            keys in proptest::collection::btree_set(any::<u8>(), 0..40),
            from in any::<u8>(),
            to in any::<u8>(),
        ) {
            let mut q: Queue<u8> = Queue::new(9);
            for k in keys { q.put(k, ()); }
            prop_assert_eq!(q.any_in(&from, &to), !q.range(&from, &to).is_empty());
        }
    }

    proptest! {
        /// `update_many` leaves the same entries and digest as a `put`/`remove` of each in
        /// turn, rolls back exactly, and writes nothing when one entry fails.
        #[test]
        fn update_many_is_put_or_remove_of_each(
            before in proptest::collection::vec((0u8..32, any::<u32>()), 0..40),
            writes in proptest::collection::btree_map(0u8..32, proptest::option::of(any::<u32>()), 0..40),
            fail_at in proptest::option::of(0usize..40),
        ) {
            let mut t: Table<u8, u32> = Table::new(7);
            for (k, v) in before { t.put(k, v); }
            t.commit();
            let mut one_by_one: Table<u8, u32> = Table::new(7);
            for (k, v) in t.sorted() { one_by_one.put(*k, *v); }
            let mut expected_results = Vec::new();
            for (k, v) in &writes {
                expected_results.push(t.get(k).copied());
                match v { Some(v) => one_by_one.put(*k, *v), None => { one_by_one.remove(k); } }
            }
            let snapshot: Vec<(u8, u32)> = t.sorted().into_iter().map(|(k, v)| (*k, *v)).collect();
            let (digest, mark) = (t.digest(), t.mark());
            let items: Vec<(u8, Option<u32>)> = writes.into_iter().collect();
            let n = items.len();
            let mut i = 0;
            let res = t.update_many(items, |_, v, old| {
                i += 1;
                if fail_at == Some(i - 1) { Err("refused") } else { Ok((v, old.copied())) }
            });
            let current: Vec<(u8, u32)> = t.sorted().into_iter().map(|(k, v)| (*k, *v)).collect();
            if fail_at.is_some_and(|f| f < n) {
                prop_assert_eq!(res, Err("refused"));
                prop_assert_eq!(current, snapshot);
                prop_assert_eq!(t.digest(), digest);
            } else {
                prop_assert_eq!(res, Ok(expected_results));
                let expected: Vec<(u8, u32)> = one_by_one.sorted().into_iter().map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(current, expected);
                prop_assert_eq!(t.digest(), one_by_one.digest());
                prop_assert_eq!(t.digest(), t.recompute_digest());
                t.rollback(mark);
                let restored: Vec<(u8, u32)> = t.sorted().into_iter().map(|(k, v)| (*k, *v)).collect();
                prop_assert_eq!(restored, snapshot);
                prop_assert_eq!(t.digest(), digest);
            }
        }
    }

    #[test]
    fn snapshot_round_trip() {
        let mut t: Table<u32, String> = Table::new(3);
        t.put(5, "five".into());
        t.put(1, "one".into());
        let bytes = borsh::to_vec(&t).unwrap();
        let back: Table<u32, String> = borsh::from_slice(&bytes).unwrap();
        assert_eq!(back.digest(), t.digest());
        assert_eq!(back.get(&5).map(String::as_str), Some("five"));
    }
}
