//! The oracle as ledger operations (SPEC F3): registered sources sign reports with their own
//! wallet keys (the transaction signature is the report's signature); each feed names its
//! sources, quorum, maximum age, maximum deviation from the median and maximum move between
//! values. The value is what `oracle_math::aggregate` makes of the sources' latest quotes: the
//! median of fresh, in-band quotes when a quorum remains. A value that moves beyond the feed's
//! bound trips its breaker: funds that depend on the feed halt subscriptions and redemptions
//! until governance resets them (`fund::reset_breaker`).
//!
//! Values are fixed point with 8 decimals (`VALUE_SCALE`): a price per 100 of face
//! 99.65155600 is 9_965_155_600; a yield or rate 4.48% is 0.04480000 = 4_480_000; a NAV per
//! share 1.00000000 is 100_000_000. Reports carry a signed integer so that a negative value
//! decodes and is refused with a code rather than failing to parse.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::model::fund::FundEvent;
use crate::model::governance::{Need, OpClass};
use crate::oracle_math::Verdict;
use crate::state::*;
use crate::types::*;

/// Why a source's report counters cannot overflow.
const ONE_PER_REPORT: &str = "one per report: no source sends 2^64 of them";

pub use crate::model::oracle::*;

pub fn register_source(cx: &mut Ctx, wallet: &WalletId, name: &str) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let w = state.wallet_idx(wallet)?;
    if state.oracle_sources.contains(&w) {
        return refuse(Code::OracleBadFeed, format!("wallet {} is already a source", wallet.short()));
    }
    state.oracle_sources.put(w, name.to_string());
    ev.push(Event::Fund(FundEvent::OracleSourceRegistered { wallet: *wallet, name: name.to_string() }));
    Ok(())
}

pub fn create_feed(cx: &mut Ctx, spec: &FeedSpec) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    check_spec(spec)?;
    if state.feeds.contains(&spec.feed) {
        return refuse(Code::OracleBadFeed, format!("feed {} exists", spec.feed));
    }
    let mut sources = Vec::with_capacity(spec.sources.len());
    for w in &spec.sources {
        let idx = state.wallet_idx(w)?;
        let name = state.oracle_sources.get(&idx).cloned().ok_or_else(|| {
            Refusal::new(Code::OracleUnknownSource, format!("wallet {} is not a registered source", w.short()))
        })?;
        sources.push(SourceRecord { wallet: *w, name, ..Default::default() });
    }
    state.feeds.put(spec.feed.clone(), Feed { spec: spec.clone(), sources, value: None, tripped: false });
    ev.push(Event::Fund(FundEvent::FeedCreated { feed: spec.feed.clone(), kind: spec.kind }));
    Ok(())
}

/// A signed report from a registered source. Returns the feed's new value, if any.
pub fn report(cx: &mut Ctx, feed_id: &str, value: i64, observed_at: Time) -> Result<(), Refusal> {
    let (signer, now) = (cx.actor, cx.now);
    let (state, ev, reactions) = (&mut *cx.state, &mut *cx.events, &mut cx.reactions);
    let key = state.wallet(signer).key;
    if !state.oracle_sources.contains(&signer) {
        return refuse(Code::OracleUnknownSource, format!("wallet {} is not a registered oracle source", key.short()));
    }
    let mut feed = state
        .feeds
        .get(&feed_id.to_string())
        .cloned()
        .ok_or_else(|| Refusal::new(Code::OracleUnknownFeed, format!("no feed {feed_id}")))?;
    let Some(pos) = feed.sources.iter().position(|s| s.wallet == key) else {
        return refuse(Code::OracleWrongFeed, format!("wallet {} is not a source of feed {feed_id}", key.short()));
    };
    if observed_at > now {
        return refuse(Code::OracleFuture, format!("observed at {observed_at}, after the block time {now}"));
    }
    if value <= 0 {
        return refuse(Code::OracleBadValue, format!("value {value} is not positive"));
    }
    if let Some((_, prev)) = feed.sources[pos].last {
        if observed_at <= prev {
            return refuse(
                Code::OracleFuture,
                format!("observed at {observed_at}, not after the source's previous report at {prev}"),
            );
        }
    }
    feed.sources[pos].last = Some((value as u64, observed_at));
    {
        let reports = &mut feed.sources[pos].reports;
        *reports = reports.checked_add(1).expect(ONE_PER_REPORT);
    }
    let agg = feed.discrepancies(now);
    for r in &agg.sources {
        let Some(s) = feed.sources.iter_mut().find(|s| s.name == r.source) else { continue };
        s.deviation_bps = None;
        s.verdict = match &r.verdict {
            Verdict::Used => {
                s.used = s.used.checked_add(1).expect(ONE_PER_REPORT);
                "used".into()
            }
            Verdict::Stale { .. } => {
                s.stale = s.stale.checked_add(1).expect(ONE_PER_REPORT);
                "stale".into()
            }
            Verdict::Outlier { deviation_bps } => {
                s.outlier = s.outlier.checked_add(1).expect(ONE_PER_REPORT);
                s.deviation_bps = Some(deviation_bps.clone());
                "outlier".into()
            }
            Verdict::Invalid { .. } => "invalid".into(),
        };
    }
    let new = agg.value.as_deref().and_then(to_fixed);
    ev.push(Event::Fund(FundEvent::OracleReported {
        feed: feed_id.to_string(),
        source: key,
        value: value as u64,
        aggregate: new,
        used: agg.used as u32,
    }));
    if let Some(v) = new {
        if let Some((prev, _)) = feed.value {
            let moved_bps = u128::from(v.abs_diff(prev))
                .checked_mul(10_000)
                .and_then(|x| x.checked_div(u128::from(prev.max(1))))
                .expect("a u64 × 10000 fits in u128 and the divisor is at least 1");
            if moved_bps > feed.spec.max_move_bps as u128 && !feed.tripped {
                feed.tripped = true;
                // Rules version 1 wrote the fixed-point integers (its journals carry the text).
                let (from, to) = if state.rules() >= crate::block::RULES_V2 {
                    (crate::words::value(prev), crate::words::value(v))
                } else {
                    (prev.to_string(), format!("{v}, × 10^-8"))
                };
                let detail = format!(
                    "feed {feed_id} moved {moved_bps} bps (from {from} to {to}), beyond {} bps",
                    feed.spec.max_move_bps
                );
                reactions.push(Reaction::FeedTripped { feed: feed_id.to_string(), detail });
            }
        }
        feed.value = Some((v, now));
    }
    state.feeds.put(feed_id.to_string(), feed);
    reactions.push(Reaction::FeedReported);
    Ok(())
}

/// Clears a feed's breaker and re-bases its reference value (called by the governance reset).
pub fn reset_feed(state: &mut State, feed_id: &str, now: Time) {
    if let Some(mut f) = state.feeds.get(&feed_id.to_string()).cloned() {
        f.tripped = false;
        f.value = f.value_at(now).map(|v| (v, now));
        state.feeds.put(feed_id.to_string(), f);
    }
}

/// The feed's value at `now` if it exists, stands (quorum of fresh quotes) and is not tripped.
pub fn usable(state: &State, feed_id: &str, now: Time) -> Option<u64> {
    let f = state.feeds.get(&feed_id.to_string())?;
    if f.tripped {
        return None;
    }
    f.value_at(now)
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for RegisterOracleSource {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let RegisterOracleSource { name, .. } = self;
        check_text("name", name, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RegisterOracleSource { wallet, name } = self;
        register_source(cx, wallet, name)
    }
}

impl Action for FeedSpec {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let spec = self;
        crate::model::oracle::check_spec(spec)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let spec = self;
        create_feed(cx, spec)
    }
}

impl Action for OracleReport {
    fn authority(&self) -> (OpClass, Need) {
        // A source signs its own reports; the oracle module checks it is registered for the feed.
        (OpClass::Routine, Need::Holder)
    }
    fn check(&self) -> Result<(), Refusal> {
        let OracleReport { feed, .. } = self;
        check_text("feed", feed, crate::model::oracle::MAX_FEED_ID)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let OracleReport { feed, value, observed_at } = self;
        report(cx, feed, *value, *observed_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_conversion_truncates_and_refuses_negatives() {
        assert_eq!(to_fixed("99.651556"), Some(9_965_155_600));
        assert_eq!(to_fixed("1.000000015"), Some(100_000_001));
        assert_eq!(to_fixed("-1"), None);
    }

    #[test]
    fn spec_bounds() {
        let w = WalletId([1; 32]);
        let mut s = FeedSpec {
            feed: "PX:912796Y60".into(),
            kind: FeedKind::Price,
            sources: vec![w],
            quorum: 1,
            max_age_seconds: 86_400,
            max_deviation_bps: 50,
            max_move_bps: 100,
        };
        assert!(check_spec(&s).is_ok());
        s.quorum = 2;
        assert_eq!(check_spec(&s).unwrap_err().code, Code::OracleBadFeed);
        s.quorum = 1;
        s.sources = vec![w, w];
        assert_eq!(check_spec(&s).unwrap_err().code, Code::OracleBadFeed);
    }
}
