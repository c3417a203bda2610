//! Administrative operations: parties, wallets, claims, trust, assets, policies, roles,
//! thresholds, pauses and sanctions lists. Authorization is checked before these run (see
//! `governance`); these functions check state and write.

use crate::action::*;
use crate::block::Event;
use crate::code::{refuse, Code, Refusal};
use crate::compliance::Policy;
pub use crate::model::admin::*;
use crate::model::governance::{Need, OpClass};
use crate::op::{MAX_SANCTION_TARGETS_PER_OP, MAX_TOPICS};
use crate::state::*;
use crate::types::*;

pub const MAX_CLAIMS_PER_PARTY: usize = 64;
pub const MAX_LINKED_ADDRESSES: usize = 16;
pub const MAX_WALLETS_PER_PARTY: usize = 4096;

pub fn register_party(
    state: &mut State,
    id: &PartyId,
    name: &str,
    kind: PartyKind,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    if state.party_index.contains(id) {
        return refuse(Code::PartyExists, format!("party {id} already exists"));
    }
    let idx = state.parties.len() as PartyIdx;
    state
        .parties
        .put(idx, Party { id: id.clone(), name: name.into(), kind, claims: vec![], wallets: vec![], linked: vec![] });
    state.party_index.put(id.clone(), idx);
    ev.push(Event::PartyRegistered { party: id.clone() });
    Ok(())
}

pub fn add_wallet(state: &mut State, party: &PartyId, wallet: &WalletId, ev: &mut Vec<Event>) -> Result<(), Refusal> {
    let p = state.party_idx(party)?;
    if state.wallet_index.contains(wallet) {
        return refuse(Code::WalletExists, format!("wallet {} is already registered", wallet.short()));
    }
    let mut rec = state.party(p).clone();
    if rec.wallets.len() >= MAX_WALLETS_PER_PARTY {
        return refuse(Code::FieldTooLong, format!("a party holds at most {MAX_WALLETS_PER_PARTY} wallets"));
    }
    let idx = state.wallets.len() as WalletIdx;
    state.wallets.put(idx, Wallet { key: *wallet, party: p, next_seq: 1, frozen: false, retired_to: None });
    state.wallet_index.put(*wallet, idx);
    rec.wallets.push(idx);
    state.parties.put(p, rec);
    ev.push(Event::WalletAdded { party: party.clone(), wallet: *wallet });
    Ok(())
}

/// Topics where a party has one value at a time: a new claim replaces the old one.
fn single_valued(t: ClaimTopic) -> bool {
    matches!(t, ClaimTopic::Kyc | ClaimTopic::Jurisdiction | ClaimTopic::Sanctioned)
}

pub fn issue_claim(
    cx: &mut Ctx,
    party: &PartyId,
    claim: &Claim,
    expires_at: Option<Time>,
    issuer: WalletId,
) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let p = state.party_idx(party)?;
    if expires_at.is_some_and(|e| e <= now) {
        return refuse(Code::ClaimInvalid, "the claim would expire before it is issued");
    }
    let mut rec = state.party(p).clone();
    let topic = claim.topic();
    rec.claims.retain(|c| {
        let superseded = if single_valued(topic) { c.claim.topic() == topic } else { c.claim == *claim };
        !superseded
    });
    if rec.claims.len() >= MAX_CLAIMS_PER_PARTY {
        // Forget dead claims first; the journal keeps their history.
        rec.claims.retain(|c| c.live(now));
        if rec.claims.len() >= MAX_CLAIMS_PER_PARTY {
            return refuse(Code::FieldTooLong, format!("a party holds at most {MAX_CLAIMS_PER_PARTY} claims"));
        }
    }
    rec.claims.push(ClaimRecord { claim: claim.clone(), issuer, issued_at: now, expires_at, revoked_at: None });
    state.parties.put(p, rec);
    ev.push(Event::ClaimIssued { party: party.clone(), claim: claim.clone(), issuer, expires_at });
    Ok(())
}

pub fn revoke_claim(cx: &mut Ctx, party: &PartyId, claim: &Claim) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let p = state.party_idx(party)?;
    let mut rec = state.party(p).clone();
    let Some(c) = rec.claims.iter_mut().find(|c| c.claim == *claim && c.revoked_at.is_none()) else {
        return refuse(Code::ClaimNotFound, format!("party {party} holds no unrevoked {claim} claim"));
    };
    c.revoked_at = Some(now);
    state.parties.put(p, rec);
    ev.push(Event::ClaimRevoked { party: party.clone(), claim: claim.clone() });
    Ok(())
}

pub fn link_address(cx: &mut Ctx, party: &PartyId, currency: &str, address: &str) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let p = state.party_idx(party)?;
    let mut rec = state.party(p).clone();
    // Stored canonical: linking another spelling of a linked address adds nothing.
    let pair = crate::chain_address::canonical(currency, address);
    if !rec.linked.contains(&pair) {
        if rec.linked.len() >= MAX_LINKED_ADDRESSES {
            return refuse(Code::FieldTooLong, format!("a party links at most {MAX_LINKED_ADDRESSES} addresses"));
        }
        rec.linked.push(pair);
        state.parties.put(p, rec);
    }
    ev.push(Event::AddressLinked { party: party.clone(), currency: currency.into(), address: address.into() });
    Ok(())
}

pub fn trust_issuer(
    state: &mut State,
    wallet: &WalletId,
    topics: Option<&[ClaimTopic]>,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let w = state.wallet_idx(wallet)?;
    match topics {
        Some(t) => {
            let mut t = t.to_vec();
            t.sort();
            t.dedup();
            state.trusted_issuers.put(w, t.clone());
            ev.push(Event::IssuerTrusted { wallet: *wallet, topics: t });
        }
        None => {
            if state.trusted_issuers.remove(&w).is_none() {
                return refuse(
                    Code::ClaimUntrustedIssuer,
                    format!("wallet {} is not a trusted issuer", wallet.short()),
                );
            }
            ev.push(Event::IssuerUntrusted { wallet: *wallet });
        }
    }
    Ok(())
}

pub fn create_asset(cx: &mut Ctx, spec: &AssetSpec) -> Result<(), Refusal> {
    let now = cx.now;
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    if state.asset_index.contains(&spec.symbol) {
        return refuse(Code::AssetExists, format!("asset {} already exists", spec.symbol));
    }
    if let AssetKind::TreasurySecurity { maturity, .. } = &spec.kind {
        if *maturity <= now {
            return refuse(Code::AssetInvalid, "the security has already matured");
        }
    }
    let issuer = state.party_idx(&spec.issuer)?;
    // A security given by its ISIN is kept under its CUSIP.
    let kind = spec.kind.canonical()?;
    let idx = state.assets.len() as AssetIdx;
    state.assets.put(
        idx,
        Asset {
            symbol: spec.symbol.clone(),
            name: spec.name.clone(),
            kind,
            decimals: spec.decimals,
            issuer,
            paused: false,
            supply: 0,
            supply_cap: spec.supply_cap,
            holders: 0,
            created_at: now,
        },
    );
    state.asset_index.put(spec.symbol.clone(), idx);
    if !spec.policy.rules.is_empty() {
        state.policies.put(idx, spec.policy.clone());
    }
    ev.push(Event::AssetCreated { asset: spec.symbol.clone(), kind: spec.kind.name().into() });
    Ok(())
}

pub fn set_policy(cx: &mut Ctx, asset: &Symbol, policy: &Policy) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let a = state.asset_idx(asset)?;
    state.policies.put(a, policy.clone());
    ev.push(Event::PolicySet { asset: asset.clone(), rules: policy.rules.len() as u32 });
    Ok(())
}

pub fn set_supply_cap(cx: &mut Ctx, asset: &Symbol, cap: Option<Amount>) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    let a = state.asset_idx(asset)?;
    let mut rec = state.asset(a).clone();
    if cap.is_some_and(|c| c < rec.supply) {
        return refuse(
            Code::AssetSupplyCapExceeded,
            format!("cap below the current supply {}", state.amount_text(a, rec.supply)),
        );
    }
    rec.supply_cap = cap;
    state.assets.put(a, rec);
    ev.push(Event::SupplyCapSet { asset: asset.clone(), cap });
    Ok(())
}

pub fn set_role(
    state: &mut State,
    wallet: &WalletId,
    role: Role,
    scope: &Scope,
    grant: bool,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let w = state.wallet_idx(wallet)?;
    let key = RoleKey { wallet: w, role, asset: state.scope_asset(scope)? };
    if grant {
        state.roles.put(key, ());
        ev.push(Event::RoleGranted { wallet: *wallet, role, scope: scope.clone() });
    } else {
        if state.roles.remove(&key).is_none() {
            return refuse(
                Code::AuthMissingRole,
                format!("wallet {} does not hold {} at {scope}", wallet.short(), role.as_str()),
            );
        }
        ev.push(Event::RoleRevoked { wallet: *wallet, role, scope: scope.clone() });
    }
    Ok(())
}

pub fn set_threshold(cx: &mut Ctx, class: OpClass, threshold: u8) -> Result<(), Refusal> {
    let (state, ev) = (&mut *cx.state, &mut *cx.events);
    crate::governance::check_threshold(threshold)?;
    let mut meta = state.meta().clone();
    meta.thresholds[class as usize] = threshold;
    state.put_meta(meta);
    ev.push(Event::ThresholdSet { class, threshold });
    Ok(())
}

pub fn set_pause(
    state: &mut State,
    scope: &Scope,
    paused: bool,
    reason: &str,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    match state.scope_asset(scope)? {
        None => {
            let mut meta = state.meta().clone();
            meta.paused = paused;
            state.put_meta(meta);
        }
        Some(a) => {
            let mut rec = state.asset(a).clone();
            rec.paused = paused;
            state.assets.put(a, rec);
        }
    }
    ev.push(if paused {
        Event::Paused { scope: scope.clone(), reason: reason.into() }
    } else {
        Event::Unpaused { scope: scope.clone(), reason: reason.into() }
    });
    Ok(())
}

pub fn freeze_wallet(
    state: &mut State,
    wallet: &WalletId,
    frozen: bool,
    reason: &str,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let w = state.wallet_idx(wallet)?;
    let mut rec = state.wallet(w).clone();
    rec.frozen = frozen;
    state.wallets.put(w, rec);
    ev.push(if frozen {
        Event::WalletFrozen { wallet: *wallet, reason: reason.into() }
    } else {
        Event::WalletUnfrozen { wallet: *wallet, reason: reason.into() }
    });
    Ok(())
}

pub fn sanctions(
    state: &mut State,
    targets: &[SanctionTarget],
    add: bool,
    source: &str,
    now: Time,
    ev: &mut Vec<Event>,
) -> Result<(), Refusal> {
    let (mut added, mut removed) = (0u32, 0u32);
    for t in targets {
        // Keyed by canonical identity: any spelling of a listed address finds (and removes) it.
        let key = t.canonical();
        if add {
            if !state.sanctions.contains(&key) {
                let listed_as = match (t, &key) {
                    (SanctionTarget::Address { address, .. }, SanctionTarget::Address { address: canon, .. })
                        if address != canon =>
                    {
                        Some(address.clone())
                    }
                    _ => None,
                };
                state.sanctions.put(key, SanctionInfo { source: source.into(), added_at: now, listed_as });
                added = added.checked_add(1).expect("one per target, and a transaction holds fewer than u32::MAX");
            }
        } else if state.sanctions.remove(&key).is_some() {
            removed = removed.checked_add(1).expect("one per target, and a transaction holds fewer than u32::MAX");
        }
    }
    ev.push(Event::SanctionsUpdated { added, removed, source: source.into() });
    Ok(())
}

// ---------------------------------------------------------------- operations (see `action`)

impl Action for RegisterParty {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::ComplianceOfficer, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let RegisterParty { party, name, .. } = self;
        check_party_id(party)?;
        check_text("name", name, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RegisterParty { party, name, kind } = self;
        register_party(cx.state, party, name, *kind, cx.events)
    }
}

impl Action for AddWallet {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::ComplianceOfficer, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let AddWallet { party, .. } = self;
        check_party_id(party)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let AddWallet { party, wallet } = self;
        add_wallet(cx.state, party, wallet, cx.events)
    }
}

impl Action for IssueClaim {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::TrustedIssuer(self.claim.topic()))
    }
    fn check(&self) -> Result<(), Refusal> {
        let IssueClaim { party, claim, .. } = self;
        check_party_id(party)?;
        claim.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let IssueClaim { party, claim, expires_at } = self;
        let issuer = cx.state.wallet(cx.actor).key;
        issue_claim(cx, party, claim, *expires_at, issuer)
    }
}

impl Action for RevokeClaim {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::IssuerOrCompliance(self.claim.topic()))
    }
    fn check(&self) -> Result<(), Refusal> {
        let RevokeClaim { party, claim } = self;
        check_party_id(party)?;
        claim.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RevokeClaim { party, claim } = self;
        revoke_claim(cx, party, claim)
    }
}

impl Action for LinkAddress {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::ComplianceOfficer, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let LinkAddress { party, currency, address } = self;
        check_party_id(party)?;
        SanctionTarget::Address { currency: currency.clone(), address: address.clone() }.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let LinkAddress { party, currency, address } = self;
        link_address(cx, party, currency, address)
    }
}

impl Action for TrustIssuer {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let TrustIssuer { topics, .. } = self;
        if topics.is_empty() || topics.len() > MAX_TOPICS {
            return refuse(Code::ClaimInvalid, "trust needs 1 to 8 claim topics");
        }
        Ok(())
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let TrustIssuer { wallet, topics } = self;
        trust_issuer(cx.state, wallet, Some(topics), cx.events)
    }
}

impl Action for UntrustIssuer {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let UntrustIssuer { wallet } = self;
        trust_issuer(cx.state, wallet, None, cx.events)
    }
}

impl Action for AssetSpec {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let spec = self;
        check_symbol(&spec.symbol)?;
        check_text("name", &spec.name, MAX_TEXT_LEN)?;
        check_party_id(&spec.issuer)?;
        if spec.decimals > MAX_DECIMALS {
            return refuse(Code::AssetInvalid, format!("decimals {} above {MAX_DECIMALS}", spec.decimals));
        }
        spec.kind.check()?;
        spec.policy.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let spec = self;
        create_asset(cx, spec)
    }
}

impl Action for SetPolicy {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::ComplianceOfficer, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SetPolicy { asset, policy } = self;
        check_symbol(asset)?;
        policy.check()
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetPolicy { asset, policy } = self;
        set_policy(cx, asset, policy)
    }
}

impl Action for SetSupplyCap {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, on_asset(&self.asset)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SetSupplyCap { asset, .. } = self;
        check_symbol(asset)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetSupplyCap { asset, cap } = self;
        set_supply_cap(cx, asset, *cap)
    }
}

impl Action for GrantRole {
    fn authority(&self) -> (OpClass, Need) {
        let GrantRole { scope, .. } = self;
        (OpClass::Sensitive, Need::Role(Role::Admin, scoped(scope)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let GrantRole { scope, .. } = self;
        check_scope(scope)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let GrantRole { wallet, role, scope } = self;
        set_role(cx.state, wallet, *role, scope, true, cx.events)
    }
}

impl Action for RevokeRole {
    fn authority(&self) -> (OpClass, Need) {
        let RevokeRole { scope, .. } = self;
        (OpClass::Sensitive, Need::Role(Role::Admin, scoped(scope)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let RevokeRole { scope, .. } = self;
        check_scope(scope)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let RevokeRole { wallet, role, scope } = self;
        set_role(cx.state, wallet, *role, scope, false, cx.events)
    }
}

impl Action for SetThreshold {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::Admin, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SetThreshold { threshold, .. } = self;
        crate::model::governance::check_threshold(*threshold)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SetThreshold { class, threshold } = self;
        set_threshold(cx, *class, *threshold)
    }
}

impl Action for Pause {
    fn authority(&self) -> (OpClass, Need) {
        let Pause { scope, .. } = self;
        (OpClass::Emergency, Need::Role(Role::Pauser, scoped(scope)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let Pause { scope, reason: r } = self;
        check_scope(scope)?;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Pause { scope, reason } = self;
        set_pause(cx.state, scope, true, reason, cx.events)
    }
}

impl Action for Unpause {
    fn authority(&self) -> (OpClass, Need) {
        let Unpause { scope, .. } = self;
        (OpClass::Emergency, Need::Role(Role::Pauser, scoped(scope)))
    }
    fn check(&self) -> Result<(), Refusal> {
        let Unpause { scope, reason: r } = self;
        check_scope(scope)?;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let Unpause { scope, reason } = self;
        set_pause(cx.state, scope, false, reason, cx.events)
    }
}

impl Action for FreezeWallet {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::ComplianceOfficer, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let FreezeWallet { reason: r, .. } = self;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let FreezeWallet { wallet, reason } = self;
        freeze_wallet(cx.state, wallet, true, reason, cx.events)
    }
}

impl Action for UnfreezeWallet {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Sensitive, Need::Role(Role::ComplianceOfficer, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let UnfreezeWallet { reason: r, .. } = self;
        check_reason(r)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let UnfreezeWallet { wallet, reason } = self;
        freeze_wallet(cx.state, wallet, false, reason, cx.events)
    }
}

impl Action for SanctionAdd {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::ComplianceOfficer, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SanctionAdd { targets, source } = self;
        if targets.is_empty() || targets.len() > MAX_SANCTION_TARGETS_PER_OP {
            return refuse(Code::SanctionsInvalid, format!("1 to {MAX_SANCTION_TARGETS_PER_OP} targets per operation"));
        }
        for t in targets {
            t.check()?;
        }
        check_text("source", source, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SanctionAdd { targets, source } = self;
        sanctions(cx.state, targets, true, source, cx.now, cx.events)
    }
}

impl Action for SanctionRemove {
    fn authority(&self) -> (OpClass, Need) {
        (OpClass::Routine, Need::Role(Role::ComplianceOfficer, None))
    }
    fn check(&self) -> Result<(), Refusal> {
        let SanctionRemove { targets, source } = self;
        if targets.is_empty() || targets.len() > MAX_SANCTION_TARGETS_PER_OP {
            return refuse(Code::SanctionsInvalid, format!("1 to {MAX_SANCTION_TARGETS_PER_OP} targets per operation"));
        }
        for t in targets {
            t.check()?;
        }
        check_text("source", source, MAX_TEXT_LEN)
    }
    fn execute(&self, cx: &mut Ctx) -> Result<(), Refusal> {
        let SanctionRemove { targets, source } = self;
        sanctions(cx.state, targets, false, source, cx.now, cx.events)
    }
}
