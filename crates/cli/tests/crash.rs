//! kill -9 during a write load: every transaction acknowledged before the kill is in the
//! journal after restart, and the journal verifies.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tessera_core::Hash;
use tessera_node::Ledger;

#[test]
fn acknowledged_transactions_survive_kill_9() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["bench", "load", "--data", dir.to_str().unwrap(), "--wallets", "300", "--txs", "30000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tessera bench load");
    let stdout = child.stdout.take().unwrap();
    let mut acked: Vec<Hash> = Vec::new();
    let start = Instant::now();
    let mut lines = BufReader::new(stdout).lines();
    // Kill in the middle of the load: after a few thousand acknowledgements.
    while acked.len() < 5_000 && start.elapsed() < Duration::from_secs(120) {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(id) = line.strip_prefix("ack ").and_then(Hash::from_hex) {
                    acked.push(id);
                }
            }
            _ => break,
        }
    }
    child.kill().expect("kill -9"); // SIGKILL on Unix
                                    // Acknowledgements already written to the pipe before the kill count too.
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("ack ").and_then(Hash::from_hex) {
            acked.push(id);
        }
    }
    let _ = child.wait();
    assert!(acked.len() >= 1_000, "the load acknowledged only {} transactions", acked.len());

    let (ledger, recovery) = Ledger::open(&dir).expect("recovery after kill -9");
    assert!(recovery.snapshot_height.is_some(), "recovery should start from a snapshot: {recovery:?}");
    let mut journaled = std::collections::HashSet::new();
    ledger
        .store
        .scan(1, |raw| {
            journaled.extend(raw.check()?.body.receipts.iter().map(|r| r.tx));
            Ok(true)
        })
        .unwrap();
    let missing = acked.iter().filter(|id| !journaled.contains(*id)).count();
    assert_eq!(missing, 0, "{missing} of {} acknowledged transactions lost (recovery: {recovery:?})", acked.len());
    // The id index finds them too.
    for id in acked.iter().step_by(97) {
        assert!(!ledger.store.tx_heights(id).unwrap().is_empty(), "tx index lacks {id}");
    }
    let report = tessera_node::verify(&ledger.store, |_, _| {}).unwrap();
    assert!(report.first_mismatch.is_none(), "verify after crash: {:?}", report.first_mismatch);
    eprintln!("{} acknowledged before kill -9, all present; {} blocks verify", acked.len(), report.blocks);
}
