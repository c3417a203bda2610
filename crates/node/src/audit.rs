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
