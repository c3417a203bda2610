//! `tessera bench console`: each console page's time and weight on a large ledger — by default
//! 1,000,000 holders of a fund share and 100,000 journal blocks — served by a `tessera node`
//! child process and read over loopback, as an investor and as an auditor.
//!
//! The time is measured at the client, so it includes the loopback round trip; the same
//! client's `GET /health` (a route that does no work) is measured in the same run and printed
//! beside it as the floor. The weight is what a browser without a cache downloads: the page
//! plus its stylesheet and scripts.
//!
//! The node's background verifier replays the whole journal from genesis when it starts; the
//! pages are timed once it has caught up (its catch-up time is reported), so the figures are
//! the steady state, not the start-up.

use crate::bench::setup_refused;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, Instant};
use tessera_core::crypto::Keypair;
use tessera_core::op::{self, Op};
use tessera_core::tx::{CheckedTx, SignedTx, TxBody};
use tessera_core::*;

const NETWORK: &str = "bench-console";
/// Transfers in each of the filler blocks that make up the journal's length.
const TRANSFERS_PER_BLOCK: usize = 4;
/// Requests timed per page (after a warm-up of a tenth as many).
const SAMPLES: usize = 200;

#[derive(Serialize)]
pub struct PageTime {
    pub path: String,
    /// Who asked: "investor", "auditor" or "anonymous".
    pub as_who: String,
    pub status: u16,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The page's HTML.
    pub html_bytes: usize,
    /// What a browser without a cache downloads: the HTML, the stylesheet and the scripts.
    pub weight_bytes: usize,
}

#[derive(Serialize)]
pub struct ConsoleReport {
    pub holders: usize,
    pub blocks: u64,
    pub setup_s: f64,
    /// The node's background verifier: time to replay the journal from genesis at start.
    pub verifier_catch_up_s: f64,
    /// The floor: `GET /health` from the same client, p50 and p99.
    pub health_p50_ms: f64,
    pub health_p99_ms: f64,
    pub pages: Vec<PageTime>,
    /// The slowest page's p99 and the heaviest page's weight (targets: < 50 ms, < 200 KB).
    pub worst_p99_ms: f64,
    pub heaviest_bytes: usize,
}

fn err(e: impl std::fmt::Display) -> Refusal {
    Refusal::new(Code::InputInvalid, format!("bench console: {e}"))
}

/// Builds the ledger in `dir`: `holders` holders of TLF (one party per 4,000 wallets), an
/// investor party with one wallet, and filler blocks of transfers up to `blocks`. Ends with a
/// snapshot, so the node starts from it.
fn setup(dir: &Path, holders: usize, blocks: u64, show: bool) -> Result<(Keypair, Keypair), Refusal> {
    let investor = Keypair::insecure_from_name("bench-console-investor");
    let start = Time::parse("2026-01-05T12:00:00Z").unwrap_or_default();
    let tlf = Symbol::new("TLF");
    let crate::bench_yield::Holders { mut ledger, operator, seeds, wallets, .. } = crate::bench_yield::holders(
        dir,
        NETWORK,
        holders,
        start,
        vec![
            Op::RegisterParty(op::RegisterParty {
                party: PartyId::new("investor"),
                name: "An investor".into(),
                kind: PartyKind::Fund,
            }),
            Op::AddWallet(op::AddWallet { party: PartyId::new("investor"), wallet: investor.wallet() }),
            Op::Mint(op::Mint { asset: tlf.clone(), to: investor.wallet(), amount: 1_000_000_000_000 }),
        ],
    )?;
    let progress = crate::progress::Progress::bar(show, blocks, "blocks", "building the ledger");
    // Filler blocks: the investor and the first thousand holders trade small amounts, one
    // block a second, so the journal has its length and the investor a long history.
    let traders: Vec<Keypair> = seeds.iter().take(1_000).map(|s| Keypair::from_seed(*s)).collect();
    let mut next_seq = vec![1u64; traders.len()];
    let mut investor_seq = 1u64;
    let first_filler = ledger.height() + 1;
    let mut h = first_filler;
    let mut t = start.plus(1);
    while h <= blocks {
        let group: Vec<u64> = (h..=blocks.min(h + 999)).collect();
        let signed: Vec<Vec<SignedTx>> = group
            .iter()
            .map(|b| {
                (0..TRANSFERS_PER_BLOCK)
                    .map(|k| {
                        let i = ((*b as usize) * TRANSFERS_PER_BLOCK + k) % traders.len();
                        let (key, seq) = if k == 0 && b % 10 == 0 {
                            investor_seq += 1;
                            (&investor, investor_seq - 1)
                        } else {
                            next_seq[i] += 1;
                            (&traders[i], next_seq[i] - 1)
                        };
                        let to = wallets[(i + 1) % traders.len()];
                        (key, seq, to)
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|plan| {
                plan.into_iter()
                    .map(|(key, seq, to)| {
                        TxBody {
                            network: NETWORK.into(),
                            signer: key.wallet(),
                            seq,
                            expires_at: Time(u64::MAX / 2),
                            ops: vec![Op::Transfer(op::Transfer { asset: tlf.clone(), to, amount: 1_000 })],
                        }
                        .sign(key)
                    })
                    .collect()
            })
            .collect();
        let mut group_blocks = Vec::with_capacity(signed.len());
        for txs in signed {
            let checked: Vec<CheckedTx> = txs.into_iter().map(CheckedTx::from_decoded).collect::<Result<_, _>>()?;
            let (b, _) = ledger.chain.try_build_block(t, checked);
            let b = b.ok_or_else(setup_refused)?;
            if let Some(r) = b.body.receipts.iter().find(|r| !r.is_ok()) {
                return Err(Refusal::new(Code::InputInvalid, format!("bench setup failed: {}", r.outcome)));
            }
            group_blocks.push(b);
            t = t.plus(1);
        }
        ledger.persist(&group_blocks)?;
        h += group.len() as u64;
        progress.set_position(ledger.height());
    }
    progress.finish();
    ledger.snapshot()?;
    Ok((operator, investor))
}

/// A `tessera node` child on the ledger, stopped on drop.
struct Node {
    child: std::process::Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_node(dir: &Path) -> Result<Node, Refusal> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(err)?.port();
    let exe = std::env::current_exe().map_err(err)?;
    let child = std::process::Command::new(exe)
        .args(["node", "--data"])
        .arg(dir)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--rate-limit-per-s", "0", "--log-level", "warn"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(err)?;
    let node = Node { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(300);
    while Instant::now() < deadline {
        if ureq::get(&format!("{}/ready", node.base)).call().is_ok() {
            return Ok(node);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(err("the node did not become ready within 5 minutes"))
}

/// POSTs JSON: (the answer as JSON, its `Set-Cookie` header).
fn post_json(url: &str, body: serde_json::Value) -> Result<(serde_json::Value, String), Refusal> {
    let res = ureq::post(url).set("content-type", "application/json").send_string(&body.to_string()).map_err(err)?;
    let cookie = res.header("set-cookie").unwrap_or_default().to_string();
    let text = res.into_string().map_err(err)?;
    Ok((serde_json::from_str(&text).map_err(err)?, cookie))
}

/// Signs in to the console as `key`: the session cookie.
fn sign_in(base: &str, key: &Keypair) -> Result<String, Refusal> {
    let w = key.wallet().to_hex();
    let (ch, _) = post_json(&format!("{base}/v1/auth/challenge"), serde_json::json!({"wallet": w}))?;
    let challenge = ch["challenge"].as_str().unwrap_or_default().to_string();
    let signature = hex::encode(key.sign(challenge.as_bytes()));
    let (_, cookie) = post_json(
        &format!("{base}/console/session"),
        serde_json::json!({"wallet": w, "challenge": challenge, "signature": signature}),
    )?;
    Ok(cookie.split(';').next().unwrap_or_default().to_string())
}

/// GET `url` with an optional cookie: (status, body, seconds).
fn get(url: &str, cookie: Option<&str>) -> (u16, String, f64) {
    let mut req = ureq::get(url);
    if let Some(c) = cookie {
        req = req.set("cookie", c);
    }
    let t = Instant::now();
    let (status, body) = match req.call() {
        Ok(r) => (r.status(), r.into_string().unwrap_or_default()),
        Err(ureq::Error::Status(s, r)) => (s, r.into_string().unwrap_or_default()),
        Err(_) => (0, String::new()),
    };
    (status, body, t.elapsed().as_secs_f64())
}

fn percentile_ms(sorted_s: &[f64], p: f64) -> f64 {
    if sorted_s.is_empty() {
        return 0.0;
    }
    let i = ((sorted_s.len() as f64 - 1.0) * p).round() as usize;
    sorted_s[i.min(sorted_s.len() - 1)] * 1e3
}

/// p50 and p99 of `SAMPLES` requests (after a warm-up), and the last body.
fn time_page(url: &str, cookie: Option<&str>) -> (u16, f64, f64, String) {
    for _ in 0..SAMPLES / 10 {
        get(url, cookie);
    }
    let mut times = Vec::with_capacity(SAMPLES);
    let (mut status, mut body) = (0, String::new());
    for _ in 0..SAMPLES {
        let (s, b, t) = get(url, cookie);
        times.push(t);
        (status, body) = (s, b);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (status, percentile_ms(&times, 0.5), percentile_ms(&times, 0.99), body)
}

/// The stylesheet and scripts a page loads (`/console/static/...`), summed.
fn assets_bytes(base: &str, html: &str) -> usize {
    html.match_indices("/console/static/")
        .filter_map(|(i, _)| html[i..].split('"').next())
        .map(|path| get(&format!("{base}{path}"), None).1.len())
        .sum()
}

/// The verified height the console's badge shows.
fn verified_height(html: &str) -> Option<u64> {
    let at = html.find("data-verified=\"")? + "data-verified=\"".len();
    html[at..].split('"').next()?.parse().ok()
}

pub fn run(holders: usize, blocks: u64, json: bool) -> Result<ConsoleReport, Refusal> {
    let show = crate::progress::shown(json);
    let tmp = tempfile::tempdir().map_err(err)?;
    let dir = tmp.path().join("ledger");
    let t = Instant::now();
    let (operator, investor) = setup(&dir, holders, blocks, show)?;
    let setup_s = t.elapsed().as_secs_f64();
    let node = start_node(&dir)?;
    let base = node.base.clone();
    let ready: serde_json::Value = serde_json::from_str(&get(&format!("{base}/ready"), None).1).map_err(err)?;
    let head = ready["height"].as_u64().unwrap_or(0);
    let t = Instant::now();
    loop {
        let (_, body, _) = get(&format!("{base}/console/journal"), None);
        if verified_height(&body).is_some_and(|v| v >= head) {
            break;
        }
        if t.elapsed() > Duration::from_secs(1_800) {
            return Err(err("the background verifier did not catch up within 30 minutes"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let verifier_catch_up_s = t.elapsed().as_secs_f64();
    let investor_cookie = sign_in(&base, &investor)?;
    let auditor_cookie = sign_in(&base, &operator)?;
    let (_, health_p50_ms, health_p99_ms, _) = time_page(&format!("{base}/health"), None);
    let mut pages = Vec::new();
    let mut paths: Vec<String> = tessera_node::api::console::VIEWS.iter().map(|(p, _)| p.to_string()).collect();
    paths.push(format!("/console/journal/{}", head / 2));
    paths.push("/console/holdings?party=holders-0".to_string());
    for path in &paths {
        for (who, cookie) in [("investor", &investor_cookie), ("auditor", &auditor_cookie)] {
            // A party with 4,000 wallets is an auditor's question, not an investor's.
            if path.contains("party=") && who == "investor" {
                continue;
            }
            let url = format!("{base}{path}");
            let (status, p50_ms, p99_ms, body) = time_page(&url, Some(cookie));
            let weight_bytes = body.len() + assets_bytes(&base, &body);
            pages.push(PageTime {
                path: path.clone(),
                as_who: who.into(),
                status,
                p50_ms,
                p99_ms,
                html_bytes: body.len(),
                weight_bytes,
            });
        }
    }
    drop(node);
    let worst_p99_ms = pages.iter().map(|p| p.p99_ms).fold(0.0, f64::max);
    let heaviest_bytes = pages.iter().map(|p| p.weight_bytes).max().unwrap_or(0);
    let report = ConsoleReport {
        holders,
        blocks: head,
        setup_s,
        verifier_catch_up_s,
        health_p50_ms,
        health_p99_ms,
        pages,
        worst_p99_ms,
        heaviest_bytes,
    };
    if json {
        crate::say!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        crate::say!(
            "console on a ledger of {} holders and {} blocks (setup {:.0} s; the background verifier replayed it from genesis in {:.0} s)",
            report.holders,
            report.blocks,
            report.setup_s,
            report.verifier_catch_up_s
        );
        crate::say!(
            "  floor: GET /health {:.2} ms p50, {:.2} ms p99 (same client, loopback)",
            report.health_p50_ms,
            report.health_p99_ms
        );
        crate::say!("  {:<40} {:<9} {:>6} {:>9} {:>9} {:>10}", "page", "as", "status", "p50 ms", "p99 ms", "weight KB");
        for p in &report.pages {
            crate::say!(
                "  {:<40} {:<9} {:>6} {:>9.2} {:>9.2} {:>10.1}",
                p.path,
                p.as_who,
                p.status,
                p.p50_ms,
                p.p99_ms,
                p.weight_bytes as f64 / 1024.0
            );
        }
        crate::say!(
            "  slowest p99 {:.2} ms (target < 50), heaviest page {:.1} KB (target < 200)",
            report.worst_p99_ms,
            report.heaviest_bytes as f64 / 1024.0
        );
    }
    Ok(report)
}
