//! Scenario files (I2): named steps run through the real path (canonical bytes → decode →
//! signature check → sequencer → a ledger), with expectations. Format: docs/scenarios.md.
//!
//! The runner drives any [`ScenarioLedger`]: the CLI's, over the durable journal (end to end),
//! or [`MemoryLedger`], the core's chain with its blocks kept in memory (fast, no store).
//!
//! Actors are named; `@name` anywhere in the file stands for the wallet whose key is derived
//! from the name — FOR TESTS AND DEMOS ONLY (anyone who knows the name knows the key).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tessera_core::block::{Block, Event, Genesis, GenesisGrant, Outcome};
use tessera_core::collateral::CollateralEvent;
use tessera_core::crypto::Keypair;
use tessera_core::exec::{Admission, Chain};
use tessera_core::governance::{OpClass, ProposalStatus};
use tessera_core::input::{money, Resolver};
use tessera_core::movement::{self, Intent};
use tessera_core::op;
use tessera_core::op::Op;
use tessera_core::tx::{CheckedTx, TxBody};
use tessera_core::*;

mod memory;
pub use memory::MemoryLedger;

/// The ledger a scenario drives: whatever the runner needs of it beyond the core's state.
pub trait ScenarioLedger {
    /// The chain after the last block kept: the state and the head.
    fn chain(&self) -> &Chain;
    /// Builds one block at `time` from the transactions and keeps it, or keeps nothing when
    /// there is nothing to record (see `Chain::try_build_block`).
    fn submit(&mut self, time: Time, txs: Vec<CheckedTx>) -> Result<(Option<Block>, Vec<Admission>), Refusal>;
    /// The height of the last block kept (refusals at the door add none).
    fn kept_height(&self) -> Result<u64, Refusal>;
    /// The chain as it was after block `height`.
    fn chain_at(&self, height: u64) -> Result<Chain, Refusal>;
    /// Replays every block kept so far and compares what each claims.
    fn verify(&self) -> Result<Verified, Refusal>;
    /// The lines of a `show` step.
    fn show(&self, what: &Show) -> Vec<String>;
    /// Where the blocks are kept, for the report.
    fn location(&self) -> String;
}

/// What verifying the blocks kept found.
#[derive(Clone, Debug)]
pub struct Verified {
    /// Blocks replayed, genesis included.
    pub blocks: u64,
    pub transactions: u64,
    /// The first disagreement between a kept block and its replay.
    pub first_mismatch: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default = "default_network")]
    pub network: String,
    pub start: Time,
    #[serde(default)]
    pub genesis: GenesisSpec,
    pub steps: Vec<Step>,
}

fn default_network() -> String {
    "scenario".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSpec {
    #[serde(default = "default_thresholds")]
    pub thresholds: Thresholds,
    #[serde(default = "default_grants")]
    pub grants: Vec<ActorRoles>,
    #[serde(default = "default_trusted")]
    pub trusted_issuers: Vec<ActorTopics>,
}

impl Default for GenesisSpec {
    fn default() -> Self {
        GenesisSpec { thresholds: default_thresholds(), grants: default_grants(), trusted_issuers: default_trusted() }
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub routine: u8,
    pub sensitive: u8,
    pub emergency: u8,
}

/// Scenarios default to one operator who may do everything alone; governance scenarios set
/// their own thresholds (the ledger's own default is 1 / 2 / 3).
fn default_thresholds() -> Thresholds {
    Thresholds { routine: 1, sensitive: 1, emergency: 1 }
}
fn default_grants() -> Vec<ActorRoles> {
    vec![ActorRoles { actor: "operator".into(), roles: Role::OPERATOR.to_vec() }]
}
fn default_trusted() -> Vec<ActorTopics> {
    vec![ActorTopics { actor: "operator".into(), topics: ClaimTopic::ALL.to_vec() }]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorRoles {
    pub actor: String,
    pub roles: Vec<Role>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorTopics {
    pub actor: String,
    pub topics: Vec<ClaimTopic>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// One signed transaction in its own block.
    Tx(TxStep),
    /// Several transactions in one block.
    Batch(Vec<TxStep>),
    /// Moves the clock forward: seconds, or "90s", "15m", "2h", "3d".
    Advance(Duration),
    /// Sets the clock (never backwards).
    SetTime(Time),
    Check(Check),
    Precheck(PrecheckStep),
    /// Imports an OFAC SDN CSV file (path relative to the scenario) as a sanctions update.
    ImportSdn(ImportSdn),
    /// Prints a view of the state.
    Show(Show),
    /// A line of narrative, printed as is.
    Note(String),
    /// Runs the template steps `times` times; see `Repeat`.
    Repeat(Repeat),
    /// Reconciles a fund against a custodian statement (CSV inline, or a file beside the
    /// scenario) and checks the breaks.
    Reconcile(ReconcileStep),
}

/// Template steps run `times` times. In every string of the templates, `${i}` is the
/// iteration (from 0), `${n}` the iteration from 1, `${now}` the scenario clock when the step
/// runs, and `${name}` the i-th value (cycling) of
/// the series `name`; a string that is only a placeholder becomes the value itself (a number
/// stays a number).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    pub times: u32,
    #[serde(default)]
    pub series: std::collections::BTreeMap<String, Vec<Value>>,
    pub steps: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileStep {
    pub fund: Symbol,
    #[serde(default)]
    pub statement: Option<String>,
    #[serde(default)]
    pub file: Option<String>,
    /// Expected number of breaks, reserve ratio, or the line of a malformed statement.
    #[serde(default)]
    pub breaks: Option<usize>,
    #[serde(default)]
    pub reserve_ratio: Option<String>,
    #[serde(default)]
    pub error_line: Option<usize>,
    /// The reconciliation is refused with this code.
    #[serde(default)]
    pub code: Option<String>,
}

fn substitute(v: &Value, i: u32, now: Time, series: &std::collections::BTreeMap<String, Vec<Value>>) -> Value {
    let lookup = |name: &str| -> Option<Value> {
        match name {
            "i" => Some(Value::from(i)),
            "n" => Some(Value::from(i + 1)),
            "now" => Some(Value::from(now.to_string())),
            _ => series.get(name).filter(|s| !s.is_empty()).map(|s| s[i as usize % s.len()].clone()),
        }
    };
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
                if !name.contains('$') {
                    if let Some(val) = lookup(name) {
                        return val;
                    }
                }
            }
            let mut out = s.clone();
            while let Some(start) = out.find("${") {
                let Some(len) = out[start..].find('}') else { break };
                let name = out[start + 2..start + len].to_string();
                let text = match lookup(&name) {
                    Some(Value::String(t)) => t,
                    Some(other) => other.to_string(),
                    None => break,
                };
                out.replace_range(start..start + len + 1, &text);
            }
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, i, now, series)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), substitute(x, i, now, series))).collect()),
        other => other.clone(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxStep {
    #[serde(rename = "as")]
    pub signer: String,
    /// The operations as written: resolved against the ledger when the step runs
    /// (`tessera_core::input`), so amounts are in their asset's units.
    pub ops: Vec<Value>,
    #[serde(default)]
    pub expect: Expect,
    /// Override the sequence number (replay tests).
    #[serde(default)]
    pub seq: Option<u64>,
    /// Override the network id (cross-network replay tests).
    #[serde(default)]
    pub network: Option<String>,
    /// Expiry relative to the block time (default one day).
    #[serde(default)]
    pub expires_in: Option<Duration>,
    /// Absolute expiry (may be in the past, to exercise `tx.expired`).
    #[serde(default)]
    pub expires_at: Option<Time>,
    /// Sign, then flip a bit of the signature.
    #[serde(default)]
    pub bad_signature: bool,
}

#[derive(Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Expect {
    #[default]
    Ok,
    /// Journaled with a failure receipt carrying this code.
    Failed(String),
    /// Refused before sequencing with this code (not journaled).
    Refused(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    Balance {
        wallet: WalletId,
        asset: Symbol,
        #[serde(default)]
        free: Option<Written>,
        #[serde(default)]
        locked: Option<Written>,
        #[serde(default)]
        frozen: Option<Written>,
        #[serde(default)]
        total: Option<Written>,
    },
    Supply {
        asset: Symbol,
        amount: Written,
    },
    /// The journal's height (its last block): refusals at the door add none.
    Height(u64),
    Holders {
        asset: Symbol,
        count: u64,
        #[serde(default)]
        at_height: Option<u64>,
    },
    Alerts {
        count: usize,
        #[serde(default)]
        rule: Option<String>,
    },
    Proposal {
        id: u64,
        status: String,
        /// For a failed proposal: the code its operations failed with.
        #[serde(default)]
        code: Option<String>,
    },
    Paused {
        scope: Scope,
        paused: bool,
    },
    Frozen {
        wallet: WalletId,
        frozen: bool,
    },
    Retired {
        wallet: WalletId,
        retired: bool,
    },
    Sanctioned {
        count: usize,
    },
    Threshold {
        class: OpClass,
        threshold: u8,
    },
    /// A settlement instruction's status: pending, settled, failed, cancelled, rejected,
    /// expired; for a failed one optionally the leg and code.
    Instruction {
        id: u64,
        status: String,
        #[serde(default)]
        leg: Option<u32>,
        #[serde(default)]
        code: Option<String>,
    },
    /// A hash time-lock's status: locked, claimed, expired, refunded.
    Htlc {
        id: u64,
        status: String,
    },
    /// A tender's status: open, awarded, completed, defaulted, cancelled.
    Tender {
        id: u64,
        status: String,
    },
    /// A repo's status: proposed, open, closed, defaulted, cancelled.
    Repo {
        id: u64,
        status: String,
    },
    /// A fund's state; every field given is compared. NAV per share and ratio are × 10^-8 as
    /// of the last valuation.
    Fund {
        fund: Symbol,
        #[serde(default)]
        halted: Option<bool>,
        #[serde(default)]
        queued: Option<Written>,
        #[serde(default)]
        custodian_cash: Option<Written>,
        #[serde(default)]
        positions: Option<usize>,
        #[serde(default)]
        ratio: Option<u64>,
        #[serde(default)]
        fee_paid: Option<Written>,
        #[serde(default)]
        breaches: Option<Vec<String>>,
    },
    /// A share class's price (× 10^-8) and, for stable classes, its net rate (ppb).
    Class {
        asset: Symbol,
        #[serde(default)]
        price: Option<u64>,
        #[serde(default)]
        rate_ppb: Option<u64>,
    },
    /// A redemption's status: queued or paid.
    Redemption {
        id: u64,
        status: String,
    },
    /// An oracle feed's standing value now (× 10^-8; null: none stands) and breaker.
    Feed {
        feed: String,
        #[serde(default)]
        value: Option<Option<u64>>,
        #[serde(default)]
        tripped: Option<bool>,
        /// source name → its latest verdict (used, stale, outlier).
        #[serde(default)]
        verdicts: std::collections::BTreeMap<String, String>,
    },
    /// Accrued interest per 100 of face of a Treasury security at a time (6 places).
    Accrued {
        asset: Symbol,
        at: Time,
        per_100: String,
    },
    /// A member's margin account at a clearing house; every field given is compared. Amounts
    /// are in the clearing house's cash asset; `coverage` is what counts (after haircuts and
    /// limits); `call` is the open call's id (null: none); status: active, defaulted.
    Margin {
        ccp: PartyId,
        member: PartyId,
        #[serde(default)]
        requirement: Option<Written>,
        #[serde(default)]
        coverage: Option<Written>,
        #[serde(default)]
        market: Option<Written>,
        #[serde(default)]
        cash: Option<Written>,
        #[serde(default)]
        default_fund: Option<Written>,
        #[serde(default)]
        assessed: Option<Written>,
        #[serde(default)]
        call: Option<Option<u64>>,
        #[serde(default)]
        status: Option<String>,
        /// asset → units pledged (all wallets of the member).
        #[serde(default)]
        pledged: std::collections::BTreeMap<Symbol, Written>,
    },
    /// A margin call's status: open, met, defaulted; optionally its kind (daily, intraday).
    Call {
        id: u64,
        status: String,
        #[serde(default)]
        kind: Option<String>,
    },
    /// A loan's status: requested, open, repaid, liquidated, cancelled.
    Loan {
        id: u64,
        status: String,
    },
    /// How the default on a call was covered, layer by layer (its `waterfall` event in a block
    /// this scenario built); every field given is compared, in the call's cash asset.
    Waterfall {
        call: u64,
        #[serde(default)]
        loss: Option<Written>,
        #[serde(default)]
        defaulter_margin: Option<Written>,
        #[serde(default)]
        defaulter_default_fund: Option<Written>,
        #[serde(default)]
        ccp_capital: Option<Written>,
        #[serde(default)]
        survivors_default_fund: Option<Written>,
        #[serde(default)]
        assessments: Option<Written>,
        #[serde(default)]
        uncovered: Option<Written>,
        #[serde(default)]
        returned: Option<Written>,
    },
    /// Supply = Σ holdings, free + locked + frozen = holding, digest consistent.
    Invariants,
    /// Replays the journal so far and checks every signature, hash, receipt and digest.
    Verify,
}

/// An amount in a check, as written (a number or a string in the asset's units); read with the
/// asset's decimals when the step runs.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub enum Written {
    Number(serde_json::Number),
    Text(String),
}

impl Written {
    fn value(&self) -> Value {
        match self {
            Written::Number(n) => Value::Number(n.clone()),
            Written::Text(t) => Value::String(t.clone()),
        }
    }
}

#[derive(Deserialize)]
pub struct PrecheckStep {
    /// The movement as written (`transfer: {asset, from, to, amount}`), resolved when the step
    /// runs.
    #[serde(flatten)]
    pub intent: serde_json::Map<String, Value>,
    /// Every code expected, in order; empty means the movement would pass.
    #[serde(default)]
    pub expect: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSdn {
    #[serde(rename = "as")]
    pub signer: String,
    /// OFAC's `sdn.csv` (or a sample of it).
    pub file: String,
    /// Its `sdn_comments.csv`, whose text continues the Remarks.
    #[serde(default)]
    pub comments: Option<String>,
    /// A file refused by the import (wrong or malformed file) is `refused` with its code.
    #[serde(default)]
    pub expect: Expect,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Show {
    Holders(Symbol),
    Alerts,
    Proposals,
    Instructions,
    Htlcs,
    Block,
    Fund(Symbol),
    Feed(String),
}

/// A duration in seconds, written as an integer or with a unit suffix (s, m, h, d).
#[derive(Clone, Copy, Debug)]
pub struct Duration(pub u64);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            N(u64),
            S(String),
        }
        match Repr::deserialize(d)? {
            Repr::N(n) => Ok(Duration(n)),
            Repr::S(s) => parse_duration(&s)
                .map(Duration)
                .ok_or_else(|| serde::de::Error::custom(format!("bad duration {s:?}: e.g. 90s, 15m, 2h, 3d"))),
        }
    }
}

pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num.parse().ok()?;
    let mult = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Replaces every string "@name" with the hex wallet id derived from the name.
pub fn resolve_actors(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix('@') {
                *s = Keypair::insecure_from_name(name).wallet().to_hex();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(resolve_actors),
        Value::Object(o) => o.values_mut().for_each(resolve_actors),
        _ => {}
    }
}

/// Parses a scenario (YAML or JSON — JSON is YAML).
pub fn parse(text: &str) -> Result<Scenario, Refusal> {
    let mut v: Value = serde_norway::from_str(text).map_err(|e| Refusal::new(Code::ScenarioInvalid, e.to_string()))?;
    resolve_actors(&mut v);
    serde_json::from_value(v).map_err(|e| Refusal::new(Code::ScenarioInvalid, e.to_string()))
}

/// One step's result.
#[derive(Clone, Debug, Serialize)]
pub struct StepResult {
    pub step: usize,
    pub kind: &'static str,
    pub summary: String,
    pub passed: bool,
    pub detail: String,
    /// Lines a `show` step printed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    pub steps: Vec<StepResult>,
    pub passed: bool,
    pub blocks: u64,
    pub transactions: u64,
    pub data_dir: String,
}

pub struct Runner<'a, L> {
    pub ledger: &'a mut L,
    pub network: String,
    pub clock: Time,
    pub base: PathBuf,
    pub transactions: u64,
    /// The default waterfalls of the blocks built so far (for `check: waterfall`).
    pub waterfalls: Vec<CollateralEvent>,
}

/// The genesis a scenario's ledger starts from.
pub fn genesis(s: &Scenario) -> Genesis {
    let g = &s.genesis;
    Genesis {
        network: s.network.clone(),
        time: s.start,
        operator: PartyId::new("operator"),
        operator_name: "Ledger operator".into(),
        grants: g
            .grants
            .iter()
            .map(|a| GenesisGrant { wallet: Keypair::insecure_from_name(&a.actor).wallet(), roles: a.roles.clone() })
            .collect(),
        thresholds: [g.thresholds.routine, g.thresholds.sensitive, g.thresholds.emergency],
        trusted_issuers: g
            .trusted_issuers
            .iter()
            .map(|t| (Keypair::insecure_from_name(&t.actor).wallet(), t.topics.clone()))
            .collect(),
        rules: tessera_core::block::RulesVersion(tessera_core::block::RULES_CURRENT),
    }
}

impl<L: ScenarioLedger> Runner<'_, L> {
    fn state(&self) -> &tessera_core::state::State {
        &self.ledger.chain().state
    }

    fn sign(&self, step: &TxStep, ops: Vec<Op>) -> Result<Vec<u8>, Refusal> {
        let key = Keypair::insecure_from_name(&step.signer);
        let seq = step.seq.unwrap_or_else(|| {
            self.state().wallet_index.get(&key.wallet()).map(|i| self.state().wallet(*i).next_seq).unwrap_or(1)
        });
        let body = TxBody {
            network: step.network.clone().unwrap_or_else(|| self.network.clone()),
            signer: key.wallet(),
            seq,
            expires_at: step
                .expires_at
                .unwrap_or_else(|| self.clock.plus(step.expires_in.map(|d| d.0).unwrap_or(86_400))),
            ops,
        };
        let mut tx = body.sign(&key);
        if step.bad_signature {
            tx.signature[10] ^= 0x04;
        }
        Ok(tx.to_bytes())
    }

    /// Submits transactions as one block; returns per-transaction (outcome text, code).
    fn submit(&mut self, steps: &[&TxStep]) -> Result<Vec<(Expect, String)>, Refusal> {
        let mut results: Vec<Option<(Expect, String)>> = vec![None; steps.len()];
        let mut checked = Vec::new();
        let mut slots = Vec::new();
        // Every transaction of the block is read against the state before it, and sees what
        // the transactions before it in the block set up.
        let resolved: Vec<Result<Vec<Op>, Refusal>> = {
            let mut resolver = Resolver::new(self.state());
            steps.iter().map(|s| resolver.ops(&Value::Array(s.ops.clone()))).collect()
        };
        for (i, (s, ops)) in steps.iter().zip(resolved).enumerate() {
            let ops = match ops {
                Ok(ops) => ops,
                // Refused as it was written: nothing is signed or submitted.
                Err(r) => {
                    results[i] = Some((Expect::Refused(r.code.as_str().into()), r.message));
                    continue;
                }
            };
            let bytes = self.sign(s, ops)?;
            match CheckedTx::from_bytes(&bytes) {
                Ok(c) => {
                    checked.push(c);
                    slots.push(i);
                }
                Err(r) => results[i] = Some((Expect::Refused(r.code.as_str().into()), r.message)),
            }
        }
        if !checked.is_empty() {
            let (block, admissions) = self.ledger.submit(self.clock, checked)?;
            if let Some(b) = &block {
                self.waterfalls.extend(b.body.system.events.iter().filter_map(|e| match e {
                    Event::Collateral(w @ CollateralEvent::Waterfall { .. }) => Some(w.clone()),
                    _ => None,
                }));
            }
            for (slot, a) in slots.into_iter().zip(admissions) {
                results[slot] = Some(match (a, &block) {
                    (Admission::Refused(r), _) => (Expect::Refused(r.code.as_str().into()), r.message),
                    (Admission::Included(_), None) => unreachable!("an included transaction is in a block"),
                    (Admission::Included(i), Some(block)) => {
                        self.transactions += 1;
                        match &block.body.receipts[i].outcome {
                            Outcome::Ok { events } => {
                                (Expect::Ok, format!("block {}, {} events", block.header.height, events.len()))
                            }
                            Outcome::Failed { code, message, op_index } => (
                                Expect::Failed(code.clone()),
                                format!("block {}, operation {op_index}: {message}", block.header.height),
                            ),
                        }
                    }
                });
            }
        }
        Ok(results.into_iter().map(|r| r.unwrap_or((Expect::Ok, String::new()))).collect())
    }

    fn run_step(&mut self, step: &Step) -> Result<(String, bool, String, Vec<String>), Refusal> {
        Ok(match step {
            Step::Tx(t) => {
                let r = self.submit(&[t])?.remove(0);
                (tx_summary(t), r.0 == t.expect, describe(&r, &t.expect), vec![])
            }
            Step::Batch(ts) => {
                let refs: Vec<&TxStep> = ts.iter().collect();
                let rs = self.submit(&refs)?;
                let bad: Vec<String> = ts
                    .iter()
                    .zip(&rs)
                    .enumerate()
                    .filter(|(_, (t, r))| r.0 != t.expect)
                    .map(|(i, (t, r))| format!("#{i}: {}", describe(r, &t.expect)))
                    .collect();
                (
                    format!("batch of {} transactions", ts.len()),
                    bad.is_empty(),
                    if bad.is_empty() { "all as expected".into() } else { bad.join("; ") },
                    vec![],
                )
            }
            Step::Advance(d) => {
                self.clock = self.clock.plus(d.0);
                (format!("advance {} s", d.0), true, format!("now {}", self.clock), vec![])
            }
            Step::SetTime(t) => {
                let ok = *t >= self.clock;
                if ok {
                    self.clock = *t;
                }
                (
                    format!("set time {t}"),
                    ok,
                    if ok { String::new() } else { "time cannot go backwards".into() },
                    vec![],
                )
            }
            Step::Check(c) => {
                let (summary, result) = self.check(c)?;
                (summary, result.is_ok(), result.err().unwrap_or_default(), vec![])
            }
            Step::Precheck(p) => {
                let written = Value::Object(p.intent.clone());
                let (summary, got) = match Resolver::new(self.state()).intent(&written) {
                    Ok(intent) => (
                        intent_summary(self.state(), &intent),
                        movement::precheck(self.state(), &intent, self.clock)
                            .into_iter()
                            .map(|r| r.code.as_str().to_string())
                            .collect(),
                    ),
                    // Refused as written: the code is what the pre-check answers.
                    Err(r) => {
                        let kind = p.intent.keys().next().map_or("movement", String::as_str);
                        (format!("{kind} (as written, not readable)"), vec![r.code.as_str().to_string()])
                    }
                };
                let ok = got == p.expect;
                (
                    format!("precheck {summary}"),
                    ok,
                    format!("codes {}, expected {}", words(&got), words(&p.expect)),
                    vec![],
                )
            }
            Step::ImportSdn(imp) => {
                let read = |file: &str| {
                    let path = self.base.join(file);
                    std::fs::read(&path)
                        .map_err(|e| Refusal::new(Code::InputInvalid, format!("{}: {e}", path.display())))
                };
                let bytes = read(&imp.file)?;
                let comments = imp.comments.as_deref().map(read).transpose()?;
                let names = match &imp.comments {
                    Some(c) => format!("{} + {c}", imp.file),
                    None => imp.file.clone(),
                };
                let op = match sanctions_op_from_sdn(&bytes, comments.as_deref(), &names) {
                    Ok(op) => op,
                    // Refused like a transaction at the door: nothing is submitted.
                    Err(r) => {
                        let got = (Expect::Refused(r.code.as_str().into()), r.message);
                        return Ok((
                            format!("import SDN {names}"),
                            got.0 == imp.expect,
                            describe(&got, &imp.expect),
                            vec![],
                        ));
                    }
                };
                let n = match &op {
                    Op::SanctionAdd(op::SanctionAdd { targets, .. }) => targets.len(),
                    _ => 0,
                };
                let t = TxStep {
                    signer: imp.signer.clone(),
                    ops: vec![serde_json::to_value(&op)
                        .map_err(|e| Refusal::new(Code::InputInvalid, format!("sanctions update: {e}")))?],
                    expect: imp.expect.clone(),
                    seq: None,
                    network: None,
                    expires_in: None,
                    expires_at: None,
                    bad_signature: false,
                };
                let r = self.submit(&[&t])?.remove(0);
                (format!("import SDN {names} ({n} addresses)"), r.0 == imp.expect, describe(&r, &imp.expect), vec![])
            }
            Step::Show(s) => {
                let lines = self.ledger.show(s);
                (
                    format!(
                        "show {}",
                        match s {
                            Show::Holders(a) => format!("holders of {a}"),
                            Show::Alerts => "alerts".into(),
                            Show::Proposals => "proposals".into(),
                            Show::Instructions => "instructions".into(),
                            Show::Htlcs => "hash time-locks".into(),
                            Show::Block => "head block".into(),
                            Show::Fund(f) => format!("fund {f}"),
                            Show::Feed(f) => format!("feed {f}"),
                        }
                    ),
                    true,
                    String::new(),
                    lines,
                )
            }
            Step::Note(n) => (n.clone(), true, String::new(), vec![]),
            Step::Repeat(r) => {
                let mut steps = 0usize;
                for i in 0..r.times {
                    for (j, t) in r.steps.iter().enumerate() {
                        let step: Step = serde_json::from_value(substitute(t, i, self.clock, &r.series))
                            .map_err(|e| Refusal::new(Code::ScenarioInvalid, format!("repeat step {}: {e}", j + 1)))?;
                        let (summary, ok, detail, _) = self.run_step(&step)?;
                        steps += 1;
                        if !ok {
                            return Ok((
                                format!("repeat {} times", r.times),
                                false,
                                format!("iteration {i}, step {}: {summary}: {detail}", j + 1),
                                vec![],
                            ));
                        }
                    }
                }
                (format!("repeat {} times", r.times), true, format!("{steps} steps as expected"), vec![])
            }
            Step::Reconcile(rc) => {
                let text = match (&rc.statement, &rc.file) {
                    (Some(t), _) => t.clone(),
                    (None, Some(f)) => std::fs::read_to_string(self.base.join(f))
                        .map_err(|e| Refusal::new(Code::InputInvalid, format!("{f}: {e}")))?,
                    (None, None) => {
                        return Err(Refusal::new(Code::ScenarioInvalid, "reconcile needs statement or file"))
                    }
                };
                let summary = format!("reconcile {}", rc.fund);
                match tessera_core::statement::parse_statement(&text) {
                    Err(e) => {
                        let ok = rc.error_line == Some(e.line);
                        (summary, ok, e.to_string(), vec![])
                    }
                    Ok(lines) => {
                        let rec = match tessera_core::fund::reconcile(self.state(), &rc.fund, &lines, self.clock) {
                            Ok(rec) => rec,
                            Err(e) => {
                                let ok = rc.code.as_deref() == Some(e.code.as_str());
                                return Ok((summary, ok, format!("refused {}: {}", e.code, e.message), vec![]));
                            }
                        };
                        let mut problems = Vec::new();
                        if rc.error_line.is_some() || rc.code.is_some() {
                            problems.push("the statement reconciled; a refusal was expected".to_string());
                        }
                        if let Some(n) = rc.breaks {
                            if rec.breaks.len() != n {
                                problems.push(format!("{} breaks, expected {n}", rec.breaks.len()));
                            }
                        }
                        if let Some(want) = &rc.reserve_ratio {
                            if rec.reserve_ratio.as_ref() != Some(want) {
                                problems.push(format!(
                                    "reserve ratio {}, expected {want}",
                                    rec.reserve_ratio.as_deref().unwrap_or("n/a")
                                ));
                            }
                        }
                        let lines = reconciliation_lines(&rec);
                        (summary, problems.is_empty(), problems.join("; "), lines)
                    }
                }
            }
        })
    }

    fn check(&self, c: &Check) -> Result<(String, Result<(), String>), Refusal> {
        let st = self.state();
        let eq = |what: &str, got: String, want: String| {
            if got == want {
                Ok(())
            } else {
                Err(format!("{what} is {got}, expected {want}"))
            }
        };
        let resolver = Resolver::new(st);
        // A written amount of `asset` against the ledger's, both shown in the asset's units.
        let eq_amount =
            |what: &str, asset: &Symbol, got: Amount, want: &Written| -> Result<Result<(), String>, Refusal> {
                let want = resolver.amount(asset.as_str(), &want.value(), &format!("check {what}"))?;
                Ok(if got == want {
                    Ok(())
                } else {
                    Err(format!("{what} is {}, expected {}", money(st, asset, got), money(st, asset, want)))
                })
            };
        Ok(match c {
            Check::Balance { wallet, asset, free, locked, frozen, total } => {
                let h = match (st.wallet_index.get(wallet), st.asset_index.get(asset)) {
                    (Some(w), Some(a)) => st.holding(*a, *w),
                    _ => Default::default(),
                };
                let mut r = Ok(());
                for (name, want, got) in [
                    ("free", free, h.free),
                    ("locked", locked, h.locked),
                    ("frozen", frozen, h.frozen),
                    ("total", total, h.total().unwrap_or(0)),
                ] {
                    if let Some(w) = want {
                        if r.is_ok() {
                            r = eq_amount(name, asset, got, w)?;
                        }
                    }
                }
                (format!("balance of {} in {asset}", wallet.short()), r)
            }
            Check::Supply { asset, amount } => {
                let got = st.asset_index.get(asset).map(|a| st.asset(*a).supply).unwrap_or(0);
                (format!("supply of {asset}"), eq_amount("supply", asset, got, amount)?)
            }
            Check::Height(want) => {
                let got = self.ledger.kept_height()?;
                ("journal height".to_string(), eq("height", got.to_string(), want.to_string()))
            }
            Check::Holders { asset, count, at_height } => {
                let got = match at_height {
                    None => st.asset_index.get(asset).map(|a| st.asset(*a).holders).unwrap_or(0),
                    Some(h) => {
                        let chain = self.ledger.chain_at(*h)?;
                        chain.state.asset_index.get(asset).map(|a| chain.state.asset(*a).holders).unwrap_or(0)
                    }
                };
                (
                    format!("holders of {asset}{}", at_height.map(|h| format!(" at height {h}")).unwrap_or_default()),
                    eq("holder count", got.to_string(), count.to_string()),
                )
            }
            Check::Alerts { count, rule } => {
                let got = st.alerts.iter().filter(|(_, a)| rule.as_ref().is_none_or(|r| &a.rule == r)).count();
                (
                    format!("alerts{}", rule.as_ref().map(|r| format!(" of {r}")).unwrap_or_default()),
                    eq("alert count", got.to_string(), count.to_string()),
                )
            }
            Check::Proposal { id, status, code } => {
                let p = st.proposals.get(id);
                let got = p.map(|p| status_name(&p.status).to_string()).unwrap_or_else(|| "unknown".into());
                let got_code = match p.map(|p| &p.status) {
                    Some(ProposalStatus::Failed { code, .. }) => Some(code.clone()),
                    _ => None,
                };
                let r = eq("status", got, status.clone()).and_then(|_| match code {
                    Some(c) => eq("failure code", got_code.unwrap_or_else(|| "none".into()), c.clone()),
                    None => Ok(()),
                });
                (format!("proposal {id}"), r)
            }
            Check::Paused { scope, paused } => {
                let got = match scope {
                    Scope::Global => st.meta().paused,
                    Scope::Asset(a) => st.asset_index.get(a).is_some_and(|i| st.asset(*i).paused),
                };
                (format!("pause of {scope}"), eq("paused", got.to_string(), paused.to_string()))
            }
            Check::Frozen { wallet, frozen } => {
                let got = st.wallet_index.get(wallet).is_some_and(|i| st.wallet(*i).frozen);
                (format!("wallet {} frozen", wallet.short()), eq("frozen", got.to_string(), frozen.to_string()))
            }
            Check::Retired { wallet, retired } => {
                let got = st.wallet_index.get(wallet).is_some_and(|i| st.wallet(*i).retired_to.is_some());
                (format!("wallet {} retired", wallet.short()), eq("retired", got.to_string(), retired.to_string()))
            }
            Check::Sanctioned { count } => {
                ("sanctions list".into(), eq("entries", st.sanctions.len().to_string(), count.to_string()))
            }
            Check::Threshold { class, threshold } => (
                format!("{} threshold", class.as_str()),
                eq("threshold", st.meta().threshold(*class).to_string(), threshold.to_string()),
            ),
            Check::Instruction { id, status, leg, code } => {
                use tessera_core::settlement::InstructionStatus as S;
                let i = st.instructions.get(id);
                let got = match i.map(|i| &i.status) {
                    None => "unknown",
                    Some(S::Pending) => "pending",
                    Some(S::Settled { .. }) => "settled",
                    Some(S::Failed { .. }) => "failed",
                    Some(S::Cancelled { .. }) => "cancelled",
                    Some(S::Rejected { .. }) => "rejected",
                    Some(S::Expired { .. }) => "expired",
                };
                let (got_leg, got_code) = match i.map(|i| &i.status) {
                    Some(S::Failed { leg, code, .. }) => (Some(*leg), Some(code.clone())),
                    _ => (None, None),
                };
                let mut r = eq("status", got.into(), status.clone());
                if r.is_ok() && leg.is_some() {
                    r = eq("failed leg", or_none(got_leg), or_none(*leg));
                }
                if r.is_ok() && code.is_some() {
                    r = eq("failure code", or_none(got_code), or_none(code.clone()));
                }
                (format!("instruction {id}"), r)
            }
            Check::Htlc { id, status } => {
                use tessera_core::htlc::HtlcStatus as H;
                let got = match st.htlcs.get(id).map(|h| &h.status) {
                    None => "unknown",
                    Some(H::Locked) => "locked",
                    Some(H::Claimed { .. }) => "claimed",
                    Some(H::Expired { .. }) => "expired",
                    Some(H::Refunded { .. }) => "refunded",
                };
                (format!("hash time-lock {id}"), eq("status", got.into(), status.clone()))
            }
            Check::Tender { id, status } => {
                let got = st.tenders.get(id).map(|t| status_tag(&t.status)).unwrap_or_else(|| "unknown".into());
                (format!("tender {id}"), eq("status", got, status.clone()))
            }
            Check::Repo { id, status } => {
                let got = st.repos.get(id).map(|r| status_tag(&r.status)).unwrap_or_else(|| "unknown".into());
                (format!("repo {id}"), eq("status", got, status.clone()))
            }
            Check::Fund { fund, halted, queued, custodian_cash, positions, ratio, fee_paid, breaches } => {
                let f = tessera_core::fund::fund(st, fund)?;
                // A fund's cash amounts are in its cash asset.
                let cash = st.asset(f.cash_asset).symbol.clone();
                let mut r: Vec<String> = Vec::new();
                for (what, got, want) in [
                    ("queued", f.queued, queued),
                    ("custodian cash", f.custodian_cash, custodian_cash),
                    ("fee paid", f.fee_paid, fee_paid),
                ] {
                    if let Some(w) = want {
                        if let Err(e) = eq_amount(what, &cash, got, w)? {
                            r.push(e);
                        }
                    }
                }
                let mut cmp = |what: &str, got: String, want: Option<String>| {
                    if let Some(w) = want {
                        if got != w {
                            r.push(format!("{what} is {got}, expected {w}"));
                        }
                    }
                };
                cmp("halted", f.halted.is_some().to_string(), halted.map(|x| x.to_string()));
                let n = tessera_core::fund::positions(st, fund).len();
                cmp("positions", n.to_string(), positions.map(|x| x.to_string()));
                let got_ratio = f.last.as_ref().map(|v| v.ratio.to_string()).unwrap_or_default();
                cmp("NAV ratio", got_ratio, ratio.map(|x| x.to_string()));
                cmp("breaches", words(&f.breaches), breaches.as_ref().map(|b| words(b)));
                (format!("fund {fund}"), if r.is_empty() { Ok(()) } else { Err(r.join("; ")) })
            }
            Check::Class { asset, price, rate_ppb } => {
                let (a, c) = tessera_core::fund::class(st, asset)?;
                let rate = st.yield_classes.get(&a).map(|y| y.rate_ppb).unwrap_or(0);
                let mut r = Ok(());
                if let Some(p) = price {
                    r = r.and(eq("price", c.price.to_string(), p.to_string()));
                }
                if let Some(p) = rate_ppb {
                    r = r.and(eq("rate", rate.to_string(), p.to_string()));
                }
                (format!("class {asset}"), r)
            }
            Check::Redemption { id, status } => {
                let got = st.redemptions.get(id).map(|r| status_tag(&r.status)).unwrap_or_else(|| "unknown".into());
                (format!("redemption {id}"), eq("status", got, status.clone()))
            }
            Check::Feed { feed, value, tripped, verdicts } => {
                let f = st
                    .feeds
                    .get(feed)
                    .ok_or_else(|| Refusal::new(Code::OracleUnknownFeed, format!("no feed {feed}")))?;
                let mut r = Ok(());
                if let Some(v) = value {
                    r = r.and(eq("value", or_none(f.value_at(self.clock)), or_none(*v)));
                }
                if let Some(t) = tripped {
                    r = r.and(eq("tripped", f.tripped.to_string(), t.to_string()));
                }
                for (name, want) in verdicts {
                    let got = f.sources.iter().find(|s| &s.name == name).map(|s| s.verdict.clone()).unwrap_or_default();
                    r = r.and(eq(&format!("{name}'s verdict"), got, want.clone()));
                }
                (format!("feed {feed}"), r)
            }
            Check::Accrued { asset, at, per_100 } => {
                let ai = tessera_core::securities::accrued_per_100(st, asset, *at)?;
                (
                    format!("accrued interest on {asset} at {at}"),
                    eq("per 100", ai.round_dp(6).to_string(), per_100.clone()),
                )
            }
            Check::Margin {
                ccp,
                member,
                requirement,
                coverage,
                market,
                cash,
                default_fund,
                assessed,
                call,
                status,
                pledged,
            } => {
                let acc = tessera_core::collateral::margin_account(st, ccp, member)?;
                let standing = tessera_core::collateral::standing(st, acc.id);
                let c = &acc.cash_asset;
                let mut r: Vec<String> = Vec::new();
                for (what, got, want) in [
                    ("requirement", acc.requirement.total()?, requirement),
                    ("coverage", standing.coverage.counted, coverage),
                    ("market value", standing.coverage.market, market),
                    ("cash", standing.coverage.cash, cash),
                    ("default fund", acc.default_fund, default_fund),
                    ("assessed", acc.assessed, assessed),
                ] {
                    if let Some(w) = want {
                        if let Err(e) = eq_amount(what, c, got, w)? {
                            r.push(e);
                        }
                    }
                }
                for (asset, want) in pledged {
                    let got = acc.pledges.iter().filter(|p| p.asset == *asset).map(|p| p.amount).sum::<Amount>();
                    if let Err(e) = eq_amount(&format!("{asset} pledged"), asset, got, want)? {
                        r.push(e);
                    }
                }
                if let Some(want) = call {
                    if standing.call != *want {
                        r.push(format!("open call is {:?}, expected {want:?}", standing.call));
                    }
                }
                if let Some(want) = status {
                    let got = status_tag(&acc.status);
                    if got != *want {
                        r.push(format!("status is {got}, expected {want}"));
                    }
                }
                (format!("margin account of {member} at {ccp}"), if r.is_empty() { Ok(()) } else { Err(r.join("; ")) })
            }
            Check::Call { id, status, kind } => {
                let call = st.margin_calls.get(id);
                let got = call.map(|c| status_tag(&c.status)).unwrap_or_else(|| "unknown".into());
                let mut r = eq("status", got, status.clone());
                if let (Some(want), Some(c)) = (kind, call) {
                    let got = serde_json::to_value(c.kind).ok().and_then(|v| v.as_str().map(String::from));
                    r = r.and(eq("kind", got.unwrap_or_default(), want.clone()));
                }
                (format!("margin call {id}"), r)
            }
            Check::Loan { id, status } => {
                let got = st.loans.get(id).map(|l| status_tag(&l.status)).unwrap_or_else(|| "unknown".into());
                (format!("loan {id}"), eq("status", got, status.clone()))
            }
            Check::Waterfall {
                call,
                loss,
                defaulter_margin,
                defaulter_default_fund,
                ccp_capital,
                survivors_default_fund,
                assessments,
                uncovered,
                returned,
            } => {
                let what = format!("waterfall of call {call}");
                let found = self.waterfalls.iter().find_map(|e| match e {
                    CollateralEvent::Waterfall {
                        call: c,
                        cash_asset,
                        loss,
                        defaulter_margin,
                        defaulter_default_fund,
                        ccp_capital,
                        survivors_default_fund,
                        assessments,
                        uncovered,
                        returned,
                    } if c == call => Some((
                        cash_asset,
                        [
                            *loss,
                            *defaulter_margin,
                            *defaulter_default_fund,
                            *ccp_capital,
                            *survivors_default_fund,
                            *assessments,
                            *uncovered,
                            *returned,
                        ],
                    )),
                    _ => None,
                });
                let Some((cash, got)) = found else {
                    return Ok((what, Err(format!("no default on call {call} in the blocks built so far"))));
                };
                let names = [
                    "loss",
                    "defaulter's margin",
                    "defaulter's default fund",
                    "clearing house's capital",
                    "survivors' default fund",
                    "assessments",
                    "uncovered",
                    "returned",
                ];
                let wants = [
                    loss,
                    defaulter_margin,
                    defaulter_default_fund,
                    ccp_capital,
                    survivors_default_fund,
                    assessments,
                    uncovered,
                    returned,
                ];
                let mut r: Vec<String> = Vec::new();
                for ((name, got), want) in names.iter().zip(got).zip(wants) {
                    if let Some(w) = want {
                        if let Err(e) = eq_amount(name, cash, got, w)? {
                            r.push(e);
                        }
                    }
                }
                (what, if r.is_empty() { Ok(()) } else { Err(r.join("; ")) })
            }
            Check::Invariants => ("invariants".into(), st.check_invariants()),
            Check::Verify => {
                let report = self.ledger.verify()?;
                let r = match report.first_mismatch {
                    None => Ok(()),
                    Some(m) => Err(m),
                };
                (format!("verify {} blocks, {} transactions", report.blocks, report.transactions), r)
            }
        })
    }
}

/// The `status` tag of a status enum serialized with `tag = "status"`.
pub fn status_tag<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(String::from))
        .unwrap_or_default()
}

pub fn status_name(s: &ProposalStatus) -> &'static str {
    match s {
        ProposalStatus::Open => "open",
        ProposalStatus::Executed { .. } => "executed",
        ProposalStatus::Failed { .. } => "failed",
        ProposalStatus::Rejected { .. } => "rejected",
        ProposalStatus::Expired { .. } => "expired",
    }
}

/// A list in a step's report: "a, b" or "none".
fn words(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// An optional value in a step's report: the value or "none".
fn or_none<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "none".into())
}

fn expect_text(e: &Expect) -> String {
    match e {
        Expect::Ok => "ok".into(),
        Expect::Failed(c) => format!("failed {c}"),
        Expect::Refused(c) => format!("refused {c}"),
    }
}

fn describe(got: &(Expect, String), want: &Expect) -> String {
    if got.0 == *want {
        format!("{} ({})", expect_text(&got.0), got.1)
    } else {
        format!("got {} ({}), expected {}", expect_text(&got.0), got.1, expect_text(want))
    }
}

fn tx_summary(t: &TxStep) -> String {
    let names: Vec<&str> =
        t.ops.iter().map(|o| o.as_object().and_then(|m| m.keys().next()).map_or("?", String::as_str)).collect();
    format!("{} signs {}", t.signer, names.join(", "))
}

fn intent_summary(st: &tessera_core::state::State, i: &Intent) -> String {
    match i {
        Intent::Transfer { asset, amount, .. } => format!("transfer {}", money(st, asset, *amount)),
        Intent::Mint { asset, amount, .. } => format!("mint {}", money(st, asset, *amount)),
        Intent::Burn { asset, amount, .. } => format!("burn {}", money(st, asset, *amount)),
    }
}

/// Runs a scenario on `ledger` (fresh from the scenario's [`genesis`]); paths in the file are
/// relative to `base`. `on_step` sees each result as it happens. Stops at the first failed
/// expectation; the ledger is left as the steps made it, to be verified or inspected.
pub fn run_on<L: ScenarioLedger>(
    s: &Scenario,
    base: &Path,
    ledger: &mut L,
    mut on_step: impl FnMut(&StepResult),
) -> Result<ScenarioReport, Refusal> {
    let mut r = Runner {
        ledger,
        network: s.network.clone(),
        clock: s.start,
        base: base.to_path_buf(),
        transactions: 0,
        waterfalls: Vec::new(),
    };
    let mut steps = Vec::new();
    let mut passed = true;
    for (i, step) in s.steps.iter().enumerate() {
        let (summary, ok, detail, output) = match r.run_step(step) {
            Ok(x) => x,
            Err(e) => ("step error".into(), false, e.to_string(), vec![]),
        };
        let kind = match step {
            Step::Tx(_) => "tx",
            Step::Batch(_) => "batch",
            Step::Advance(_) | Step::SetTime(_) => "clock",
            Step::Check(_) => "check",
            Step::Precheck(_) => "precheck",
            Step::ImportSdn(_) => "import",
            Step::Show(_) => "show",
            Step::Note(_) => "note",
            Step::Repeat(_) => "repeat",
            Step::Reconcile(_) => "reconcile",
        };
        let res = StepResult { step: i + 1, kind, summary, passed: ok, detail, output };
        on_step(&res);
        steps.push(res);
        if !ok {
            passed = false;
            break;
        }
    }
    Ok(ScenarioReport {
        name: s.name.clone(),
        steps,
        passed,
        blocks: r.ledger.chain().height(),
        transactions: r.transactions,
        data_dir: r.ledger.location(),
    })
}

/// Runs a scenario on the core alone: a [`MemoryLedger`], nothing written anywhere.
pub fn run_in_memory(s: &Scenario, base: &Path, on_step: impl FnMut(&StepResult)) -> Result<ScenarioReport, Refusal> {
    run_on(s, base, &mut MemoryLedger::create(&genesis(s))?, on_step)
}

/// Builds a sanctions update from OFAC's `sdn.csv` and, when given, its `sdn_comments.csv`
/// (the Remarks past OFAC's cut): every digital currency address in them, as published.
/// `source` names the files in the update.
pub fn sanctions_op_from_sdn(sdn: &[u8], comments: Option<&[u8]>, source: &str) -> Result<Op, Refusal> {
    let file = tessera_core::ofac::parse_sdn_files(sdn, comments).map_err(|e| Refusal::new(e.code(), e.to_string()))?;
    let mut targets: Vec<SanctionTarget> = file
        .addresses
        .into_iter()
        .map(|a| SanctionTarget::Address { currency: a.currency, address: a.address })
        .collect();
    targets.sort();
    targets.dedup();
    if targets.is_empty() {
        return Err(Refusal::new(Code::SanctionsBadSdnFile, "the file names no digital currency address"));
    }
    Ok(Op::SanctionAdd(op::SanctionAdd { targets, source: format!("OFAC SDN {source}") }))
}

/// A reconciliation as lines for people.
pub fn reconciliation_lines(r: &tessera_core::fund::Reconciliation) -> Vec<String> {
    let money = |t: &str| tessera_core::fund::money_text(t, r.decimals, &r.cash_asset);
    let ratio = match (&r.reserve_ratio, r.short()) {
        (Some(x), true) => format!("{x} — BELOW 1: reserves do not cover obligations"),
        (Some(x), false) => x.clone(),
        (None, _) => "n/a (nothing owed)".into(),
    };
    let mut out = vec![
        format!("reconciliation of {} at {}: {}", r.fund, r.at, r.verdict()),
        format!("  custodian value  {:>28}", money(&r.custodian_value)),
        format!("  ledger cash      {:>28}", money(&r.ledger_cash)),
        format!("  repo             {:>28}", money(&r.repo)),
        format!("  obligations      {:>28}", money(&r.obligations)),
        format!("  reserve ratio    {ratio}"),
    ];
    if r.breaks.is_empty() {
        out.push("  no breaks".into());
    }
    for b in &r.breaks {
        out.push(format!(
            "  BREAK {} ({}): ledger {}  custodian {}  difference {}",
            b.instrument,
            b.kind.replace('_', " "),
            money(&b.ledger),
            money(&b.custodian),
            money(&b.difference)
        ));
    }
    out
}
