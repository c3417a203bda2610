//! The background verifier behind the console's "verified to height H" badge: a thread with its
//! own read-only handle on the journal and its own chain, built from the genesis block alone,
//! that checks every durable block as fully as `tessera verify` does ([`follow_one`]: bytes,
//! checksum, hash link, index, every id and signature, then re-execution that must rebuild the
//! receipts and the state digest). It trusts nothing the node holds in memory, so the badge
//! says what an outside auditor replaying the journal would find.
//!
//! It stops at the first disagreement and keeps it (the console shows the block); it never
//! skips a block. Its cost is a second copy of the state and one core's share while it
//! catches up; once level with the head it checks each new block once.

use crate::ledger::{chain_at, follow_one};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tessera_core::exec::Chain;
use tessera_store::{Journal, Location};

/// How often the verifier looks for new blocks once level with the head.
const POLL: Duration = Duration::from_millis(500);

/// "Nothing verified yet" (not even the genesis block).
const NONE: u64 = u64::MAX;

/// What the background verifier has found so far.
#[derive(Default)]
pub struct Audit {
    /// The last block verified, or [`NONE`].
    verified: AtomicU64,
    /// The first disagreement, in words; the verifier stops there.
    mismatch: Mutex<Option<String>>,
    /// Why the verifier is not running (it could not open the journal), if so.
    idle: Mutex<Option<String>>,
    stop: AtomicBool,
}

/// The badge's facts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditStatus {
    /// The last block the verifier checked, if any.
    pub verified_height: Option<u64>,
    /// The first block that disagrees with the journal's own claims, in words.
    pub mismatch: Option<String>,
    /// Why it is not verifying, if it cannot.
    pub idle: Option<String>,
}

impl Audit {
    /// Starts verifying the journal at `at` on a thread of its own.
    pub fn start(at: Location) -> Arc<Audit> {
        let audit = Arc::new(Audit { verified: AtomicU64::new(NONE), ..Audit::default() });
        let me = audit.clone();
        let spawned = std::thread::Builder::new().name("tessera-audit".into()).spawn(move || me.run(&at));
        if let Err(e) = spawned {
            audit.set_idle(format!("cannot start the verifier thread: {e}"));
        }
        audit
    }

    /// A verifier that never runs (tests of the pages that do not need one).
    pub fn idle(why: &str) -> Arc<Audit> {
        let audit = Arc::new(Audit { verified: AtomicU64::new(NONE), ..Audit::default() });
        audit.set_idle(why.to_string());
        audit
    }

    pub fn status(&self) -> AuditStatus {
        let v = self.verified.load(Ordering::Acquire);
        AuditStatus {
            verified_height: (v != NONE).then_some(v),
            mismatch: self.mismatch.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            idle: self.idle.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    fn set_idle(&self, why: String) {
        *self.idle.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
    }

    fn run(&self, at: &Location) {
        let (journal, mut chain) = loop {
            if self.stop.load(Ordering::Acquire) {
                return;
            }
            match at.open_read_only().map_err(tessera_core::Refusal::from).and_then(|j| Ok((chain_at(&*j, 0)?, j))) {
                Ok((chain, j)) => break (j, chain),
                Err(r) => self.set_idle(format!("cannot read the journal yet: {}", r.message)),
            }
            std::thread::sleep(POLL);
        };
        *self.idle.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.verified.store(0, Ordering::Release);
        while !self.stop.load(Ordering::Acquire) {
            match self.catch_up(&*journal, &mut chain) {
                Ok(()) => *self.idle.lock().unwrap_or_else(|e| e.into_inner()) = None,
                Err(Stop::Mismatch(m)) => {
                    tracing::error!(mismatch = %m, "the background verifier found a block that disagrees with the journal");
                    *self.mismatch.lock().unwrap_or_else(|e| e.into_inner()) = Some(m);
                    return;
                }
                Err(Stop::Unreadable(why)) => self.set_idle(why),
            }
            std::thread::sleep(POLL);
        }
    }

    fn catch_up(&self, journal: &dyn Journal, chain: &mut Chain) -> Result<(), Stop> {
        let mut found: Option<Stop> = None;
        let scanned = journal.scan(chain.height() + 1, &mut |raw| {
            if self.stop.load(Ordering::Acquire) {
                return Ok(false);
            }
            match follow_one(chain, &raw) {
                Ok(_) => {
                    self.verified.store(chain.height(), Ordering::Release);
                    Ok(true)
                }
                Err(m) => {
                    found = Some(Stop::Mismatch(m.to_string()));
                    Ok(false)
                }
            }
        });
        if let Some(stop) = found {
            return Err(stop);
        }
        scanned.map_err(|e| Stop::Unreadable(format!("cannot read the journal: {e}")))
    }
}

enum Stop {
    Mismatch(String),
    Unreadable(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ledger;
    use tessera_core::block::demo_genesis;
    use tessera_core::crypto::Keypair;
    use tessera_core::op::{self, Op};
    use tessera_core::tx::{CheckedTx, TxBody};
    use tessera_core::{PartyId, PartyKind, Role, Time};

    /// A ledger of `blocks` blocks after the genesis, each registering a party.
    fn ledger(dir: &std::path::Path, blocks: u64) -> Ledger<tessera_store::Store> {
        let k = Keypair::insecure_from_name("officer");
        let g = demo_genesis("t", Time(1_000), &[(&k, &[Role::ComplianceOfficer, Role::Admin])], [1, 1, 1]);
        let mut l = Ledger::create(dir, &g).unwrap();
        for seq in 1..=blocks {
            let ops = vec![Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(format!("p{seq}")),
                name: format!("p{seq}"),
                kind: PartyKind::Institution,
            })];
            let tx = TxBody { network: "t".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(&k);
            l.submit(Time(1_000 + seq), vec![CheckedTx::from_decoded(tx).unwrap()]).unwrap();
        }
        l
    }

    fn wait_for(audit: &Audit, done: impl Fn(&AuditStatus) -> bool) -> AuditStatus {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let s = audit.status();
            if done(&s) || std::time::Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn the_verifier_replays_the_journal_from_genesis_to_the_head_and_follows_new_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let l = ledger(dir.path(), 4);
        drop(l);
        let audit = Audit::start(Location::Dir(dir.path().to_path_buf()));
        let s = wait_for(&audit, |s| s.verified_height == Some(4));
        assert_eq!(s, AuditStatus { verified_height: Some(4), mismatch: None, idle: None });
        // Two more blocks written by another writer: verified as they come.
        let (mut l, _) = Ledger::open(dir.path()).unwrap();
        let k = Keypair::insecure_from_name("officer");
        for seq in 5..=6 {
            let ops = vec![Op::RegisterParty(op::RegisterParty {
                party: PartyId::new(format!("q{seq}")),
                name: "q".into(),
                kind: PartyKind::Institution,
            })];
            let tx = TxBody { network: "t".into(), signer: k.wallet(), seq, expires_at: Time(u64::MAX), ops }.sign(&k);
            l.submit(Time(2_000 + seq), vec![CheckedTx::from_decoded(tx).unwrap()]).unwrap();
        }
        assert_eq!(wait_for(&audit, |s| s.verified_height == Some(6)).verified_height, Some(6));
        audit.stop();
    }

    #[test]
    fn a_block_altered_in_the_journal_stops_the_verifier_at_the_block_before_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        drop(ledger(dir.path(), 5));
        let mut body = tessera_store::testing::read_block_column(dir.path(), 3, "body").unwrap();
        let last = body.len() - 1;
        body[last] ^= 0x01;
        tessera_store::testing::write_block_column(dir.path(), 3, "body", &body).unwrap();
        let audit = Audit::start(Location::Dir(dir.path().to_path_buf()));
        let s = wait_for(&audit, |s| s.mismatch.is_some());
        assert_eq!(s.verified_height, Some(2), "{s:?}");
        let m = s.mismatch.unwrap();
        assert!(m.contains("block 3"), "{m}");
    }
}
