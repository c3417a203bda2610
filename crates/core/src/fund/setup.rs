//! Creating funds and share classes and setting a class's yield (F1, F4).

use super::*;

// ---------------------------------------------------------------- creation

pub fn create_fund(cx: &mut Ctx, spec: &FundSpec) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    if state.funds.contains(&spec.fund) {
        return refuse(Code::FundBadSpec, format!("fund {} exists", spec.fund));
    }
    let p = &spec.params;
    if p.valuation_seconds >= DAY as u32 || !(1..=28).contains(&p.fee_payout_day) {
        return refuse(Code::FundBadSpec, "valuation time within the day; fee payout day 1 to 28");
    }
    if p.min_dla_bps > 10_000 || p.min_wla_bps > 10_000 || p.liquidity_fee_bps > 10_000 || p.breaker_bps == 0 {
        return refuse(Code::FundBadSpec, "limits in basis points up to 10,000; a positive breaker bound");
    }
    for feed in [&p.yield_feed, &p.nav_feed].into_iter().flatten() {
        if !state.feeds.contains(feed) {
            return refuse(Code::OracleUnknownFeed, format!("no feed {feed}"));
        }
    }
    let manager = state.party_idx(&spec.manager)?;
    let cash_asset = state.asset_idx(&spec.cash_asset)?;
    if !matches!(state.asset(cash_asset).kind, AssetKind::CashToken { .. }) {
        return refuse(Code::FundBadSpec, format!("{} is not a cash token", spec.cash_asset));
    }
    let cash_wallet = state.wallet_idx(&spec.cash_wallet)?;
    let fee_wallet = state.wallet_idx(&spec.fee_wallet)?;
    if state.wallet(cash_wallet).party != manager {
        return refuse(Code::FundBadSpec, "the fund's cash wallet belongs to the manager");
    }
    let today = now.day();
    let first = if now.seconds() % DAY < p.valuation_seconds as u64 {
        today
    } else {
        today.checked_add(1).expect("a day number is far below u64::MAX")
    };
    let (y, m, ..) = now.to_civil();
    state.funds.put(
        spec.fund.clone(),
        Fund {
            spec: spec.clone(),
            manager,
            cash_asset,
            cash_wallet,
            fee_wallet,
            classes: vec![],
            custodian_cash: 0,
            halted: None,
            // Saturating on purpose: a fund created on day 0 has no day before its first.
            valued_through_day: first.saturating_sub(1),
            last: None,
            fee_accrued_scaled: 0,
            fee_paid: 0,
            last_fee_payout: (y, m),
            facility: (today, 0),
            queued: 0,
            arrived: 0,
            breaches: vec![],
            tripped_since_valuation: false,
            next_position: 1,
        },
    );
    ev.push(fe(FundEvent::FundCreated { fund: spec.fund.clone() }));
    Ok(())
}

pub fn create_class(state: &mut State, spec: &ShareClassSpec, now: Time, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let mut f = fund(state, &spec.fund)?;
    let a = state.asset_idx(&spec.asset)?;
    let nav = match state.asset(a).kind {
        AssetKind::FundShare { nav } => nav,
        _ => return refuse(Code::FundBadSpec, format!("{} is not a fund share", spec.asset)),
    };
    if state.share_classes.contains(&a) {
        return refuse(Code::FundBadSpec, format!("{} is already a share class", spec.asset));
    }
    if state.asset(a).issuer != f.manager {
        return refuse(Code::FundBadSpec, "a share class is issued by the fund's manager");
    }
    if spec.fee_bps > 1_000 || spec.domain_fees.iter().any(|d| d.bps > 1_000) || spec.redemption_fee_bps > 1_000 {
        return refuse(Code::FundBadSpec, "fees above 10% a year");
    }
    if spec.min_later > spec.min_first {
        return refuse(Code::FundBadSpec, "the later minimum exceeds the first");
    }
    let network = state.meta().network.clone();
    let fee_bps = spec.domain_fees.iter().find(|d| d.domain == network).map(|d| d.bps).unwrap_or(spec.fee_bps);
    let price = match nav {
        NavKind::Stable => {
            let residual = spec
                .residual
                .ok_or_else(|| Refusal::new(Code::FundBadSpec, "a stable class names a residual wallet"))?;
            yields::create_class(
                state,
                &spec.asset,
                spec.basis,
                spec.cutoff_seconds,
                spec.payout_day,
                &residual,
                now,
                ev,
            )?;
            VALUE_SCALE as u64
        }
        NavKind::Accumulating => {
            if state.asset(a).supply > 0 {
                return refuse(Code::FundBadSpec, "a share class starts before the first issue");
            }
            spec.initial_price.unwrap_or(VALUE_SCALE as u64)
        }
    };
    if price == 0 {
        return refuse(Code::FundBadSpec, "a zero price");
    }
    // Eligibility lives in the asset's policy: one place checks subscriptions and transfers.
    let mut policy = state.policy(a).clone();
    if !spec.eligible.is_empty() {
        policy.rules.push(Rule::InvestorClasses(spec.eligible.clone()));
    }
    if !spec.denied_jurisdictions.is_empty() {
        policy.rules.push(Rule::JurisdictionsDenied(spec.denied_jurisdictions.clone()));
    }
    policy.check()?;
    state.policies.put(a, policy);
    state.share_classes.put(
        a,
        ShareClass {
            spec: spec.clone(),
            nav,
            price,
            apy_ppb: 0,
            daily_rate_e10: 0,
            base_price: price,
            base_day: now.day(),
            fee_bps,
        },
    );
    f.classes.push(a);
    state.funds.put(spec.fund.clone(), f);
    ev.push(fe(FundEvent::ShareClassCreated { fund: spec.fund.clone(), asset: spec.asset.clone(), nav, fee_bps }));
    Ok(())
}

/// Sets an accumulating class's APY (the USDY monthly rate): the daily rate is
/// (1 + APY)^(1/365) − 1 rounded half up to 10 places (8 places of a percentage, as Ondo
/// publishes it; see [`treasury::daily_rate_from_apy`]), compounding from today's price.
pub fn set_apy(cx: &mut Ctx, asset: &Symbol, apy_ppb: u64) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let (a, mut c) = class(state, asset)?;
    if c.nav != NavKind::Accumulating {
        return refuse(Code::FundBadSpec, format!("{asset} is a stable class: its rate follows the yield feed"));
    }
    if apy_ppb > 1_000_000_000 {
        return refuse(Code::FundBadSpec, "an APY above 100%");
    }
    let apy = Decimal::new(apy_ppb as i64, 9);
    let r = treasury::daily_rate_from_apy(apy).ok_or_else(overflow)?;
    // Exact: `r` is already rounded to the places this scale keeps.
    let daily = r
        .checked_mul(Decimal::from(10u64.pow(treasury::DAILY_RATE_PLACES)))
        .and_then(|d| d.trunc().to_u64())
        .ok_or_else(overflow)?;
    c.base_price = c.price;
    c.base_day = now.day();
    c.apy_ppb = apy_ppb;
    c.daily_rate_e10 = daily;
    state.share_classes.put(a, c);
    ev.push(fe(FundEvent::ApySet { asset: asset.clone(), apy_ppb, daily_rate_e10: daily }));
    Ok(())
}

impl Action for FundSpec {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let spec = self;
        check_symbol(&spec.fund)?;
        check_text("name", &spec.name, MAX_TEXT_LEN)?;
        check_party_id(&spec.manager)?;
        check_symbol(&spec.cash_asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let spec = self;
        create_fund(cx, spec)
    }
}

impl Action for ShareClassSpec {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let spec = self;
        check_symbol(&spec.fund)?;
        check_symbol(&spec.asset)?;
        if spec.domain_fees.len() > 16 || spec.eligible.len() > 8 || spec.denied_jurisdictions.len() > 256 {
            return refuse(Code::FundBadSpec, "too many domain fees, classes or jurisdictions");
        }
        Ok(())
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let spec = self;
        create_class(cx.state, spec, cx.now, cx.events)
    }
}

impl Action for SetClassApy {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::IssuerAgent, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SetClassApy { asset, .. } = self;
        check_symbol(asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetClassApy { asset, apy_ppb } = self;
        set_apy(cx, asset, *apy_ppb)
    }
}
