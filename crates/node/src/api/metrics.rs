//! Prometheus metrics in the text exposition format (written by hand: a dozen series do not
//! need a metrics framework).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use tessera_core::block::{Block, Outcome};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }
    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (b, c) in BUCKETS.iter().zip(&self.counts) {
            cumulative += c.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_us.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

#[derive(Default)]
pub struct Metrics {
    pub blocks: AtomicU64,
    pub height: AtomicU64,
    pub tx_committed: AtomicU64,
    pub tx_failed: AtomicU64,
    /// Refusals (at the door, at admission, journaled failures, API problems) by code.
    refusals: Mutex<BTreeMap<&'static str, u64>>,
    /// Responses by HTTP status.
    responses: Mutex<BTreeMap<u16, u64>>,
    /// Submission: request in → durable receipt out.
    pub submit_latency: Histogram,
    /// Every request.
    pub request_latency: Histogram,
}

impl Metrics {
    pub fn refused(&self, code: &'static str) {
        *self.refusals.lock().unwrap_or_else(|e| e.into_inner()).entry(code).or_default() += 1;
    }
    pub fn responded(&self, status: u16) {
        *self.responses.lock().unwrap_or_else(|e| e.into_inner()).entry(status).or_default() += 1;
    }
    /// Counts durable blocks and their receipts (called by the engine's writer).
    pub fn blocks_durable(&self, blocks: &[Block]) {
        for b in blocks {
            self.blocks.fetch_add(1, Ordering::Relaxed);
            self.height.store(b.header.height, Ordering::Relaxed);
            for r in &b.body.receipts {
                match &r.outcome {
                    Outcome::Ok { .. } => {
                        self.tx_committed.fetch_add(1, Ordering::Relaxed);
                    }
                    Outcome::Failed { code, .. } => {
                        self.tx_failed.fetch_add(1, Ordering::Relaxed);
                        if let Some(c) = tessera_core::Code::parse(code) {
                            self.refused(c.as_str());
                        }
                    }
                }
            }
        }
    }

    pub fn render(&self, queue_depth: usize, queue_capacity: usize) -> String {
        let mut o = String::new();
        let counter = |o: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter(&mut o, "tessera_blocks_total", "Blocks made durable.", self.blocks.load(Ordering::Relaxed));
        let _ = writeln!(
            o,
            "# HELP tessera_transactions_total Journaled transactions by outcome.\n# TYPE tessera_transactions_total counter"
        );
        let _ =
            writeln!(o, "tessera_transactions_total{{outcome=\"ok\"}} {}", self.tx_committed.load(Ordering::Relaxed));
        let _ =
            writeln!(o, "tessera_transactions_total{{outcome=\"failed\"}} {}", self.tx_failed.load(Ordering::Relaxed));
        let _ = writeln!(
            o,
            "# HELP tessera_height Height of the last durable block.\n# TYPE tessera_height gauge\ntessera_height {}",
            self.height.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            o,
            "# HELP tessera_queue_depth Transactions waiting for the sequencer.\n# TYPE tessera_queue_depth gauge\ntessera_queue_depth {queue_depth}"
        );
        let _ = writeln!(
            o,
            "# HELP tessera_queue_capacity Transactions the queue holds before api.busy.\n# TYPE tessera_queue_capacity gauge\ntessera_queue_capacity {queue_capacity}"
        );
        let _ = writeln!(o, "# HELP tessera_refusals_total Refusals and failure receipts by stable code.\n# TYPE tessera_refusals_total counter");
        for (code, n) in self.refusals.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(o, "tessera_refusals_total{{code=\"{code}\"}} {n}");
        }
        let _ = writeln!(o, "# HELP tessera_http_responses_total HTTP responses by status.\n# TYPE tessera_http_responses_total counter");
        for (status, n) in self.responses.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(o, "tessera_http_responses_total{{status=\"{status}\"}} {n}");
        }
        self.submit_latency.write(
            &mut o,
            "tessera_submit_latency_seconds",
            "From a submission's arrival to its durable receipt.",
        );
        self.request_latency.write(&mut o, "tessera_http_request_duration_seconds", "Time to answer a request.");
        o
    }
}
