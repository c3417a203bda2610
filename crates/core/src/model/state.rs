//! The ledger state: typed tables with undo logs and set hashes (see `table`).
//!
//! Invariants (checked by `check_invariants` in tests and debug builds):
//! - per asset, `supply` = Σ holdings (free + locked + frozen);
//! - per asset, `holders` = number of holdings with a positive total;
//! - Σ lots of a holding ≤ its total (the untracked rest counts as acquired long ago);
//! - every address in the sanctions list and every party's linked address is canonical
//!   (`chain_address`), so screening by equality matches by identity.

use crate::code::{refuse, Code, Refusal};
use crate::model::compliance::Policy;
use crate::model::governance::OpClass;
use crate::model::proposal::Proposal;
use crate::table::{Mark, Queue, Table};
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};

pub use crate::types::{AssetIdx, PartyIdx, WalletIdx};

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct ClaimRecord {
    pub claim: Claim,
    pub issuer: WalletId,
    pub issued_at: Time,
    pub expires_at: Option<Time>,
    pub revoked_at: Option<Time>,
}

impl ClaimRecord {
    pub fn live(&self, now: Time) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| now < e)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Party {
    pub id: PartyId,
    pub name: String,
    pub kind: PartyKind,
    pub claims: Vec<ClaimRecord>,
    pub wallets: Vec<WalletIdx>,
    /// (currency, address) pairs on other chains, screened against sanctions lists. Canonical
    /// (see `chain_address`), so two spellings of one address are one link.
    pub linked: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Wallet {
    pub key: WalletId,
    pub party: PartyIdx,
    pub next_seq: u64,
    pub frozen: bool,
    /// Set once the wallet was recovered: holdings moved to this wallet.
    pub retired_to: Option<WalletIdx>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Asset {
    pub symbol: Symbol,
    pub name: String,
    pub kind: AssetKind,
    pub decimals: u8,
    pub issuer: PartyIdx,
    pub paused: bool,
    pub supply: Amount,
    pub supply_cap: Option<Amount>,
    pub holders: u64,
    pub created_at: Time,
}

/// An acquisition lot, for holding-period rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Lot {
    pub acquired_at: Time,
    pub amount: Amount,
}

/// Per-holding data kept only when the asset's policy needs it (so a plain holding stays small).
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct HoldingExtra {
    /// Oldest first. Σ amount ≤ holding total.
    pub lots: Vec<Lot>,
    /// Recent outflows (time, amount), oldest first, for rolling limits and structuring.
    pub outflows: Vec<(Time, Amount)>,
    /// Last inflow, for rapid in-and-out monitoring.
    pub last_in: Option<(Time, Amount)>,
    /// Wallets this holding has sent to, for new-counterparty monitoring (bounded).
    pub counterparties: Vec<WalletIdx>,
    /// Yield class index when this holding's entitlement was last brought up to date.
    pub yield_index: u128,
    /// Yield earned and not yet paid, × `yields::SCALE`.
    pub yield_entitlement: u128,
}

pub const MAX_LOTS: usize = 64;
pub const MAX_OUTFLOWS: usize = 256;
pub const MAX_COUNTERPARTIES: usize = 256;

#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Holding {
    pub free: Amount,
    pub locked: Amount,
    pub frozen: Amount,
    pub extra: Option<Box<HoldingExtra>>,
}

impl Holding {
    /// free + locked + frozen; checked even though every write keeps it in range.
    pub fn total(&self) -> Result<Amount, Refusal> {
        add(add(self.free, self.locked)?, self.frozen)
    }
    /// Brings the yield entitlement up to date at the class index; `old_total` is the balance
    /// since the last update. Called by `State::put_holding` before every balance change.
    // Inline: on the payout and transfer paths, once per holding touched.
    #[inline]
    pub fn settle_yield(&mut self, index: u128, old_total: Amount) -> Result<(), Refusal> {
        let entitlement = self.settled_entitlement(index, old_total)?;
        let e = self.extra.get_or_insert_with(Default::default);
        e.yield_entitlement = entitlement;
        e.yield_index = index;
        Ok(())
    }
    /// The entitlement `settle_yield` would leave in the holding.
    #[inline]
    pub fn settled_entitlement(&self, index: u128, old_total: Amount) -> Result<u128, Refusal> {
        let overflow = || Refusal::new(Code::AmountOverflow, "yield arithmetic overflows");
        let (yield_index, entitlement) =
            self.extra.as_deref().map(|e| (e.yield_index, e.yield_entitlement)).unwrap_or((0, 0));
        let delta = index.checked_sub(yield_index).ok_or_else(overflow)?;
        let earned = old_total.checked_mul(delta).ok_or_else(overflow)?;
        entitlement.checked_add(earned).ok_or_else(overflow)
    }
    pub fn lots(&self) -> &[Lot] {
        self.extra.as_deref().map(|e| &e.lots[..]).unwrap_or(&[])
    }
    /// Units whose holding period has passed (or that were never tracked).
    pub fn unlocked(&self, now: Time, lockup_seconds: u64) -> Amount {
        let total = self.total().unwrap_or(Amount::MAX);
        let young = self
            .lots()
            .iter()
            .filter(|l| l.acquired_at.plus(lockup_seconds) > now)
            .try_fold(0, |a: Amount, l| a.checked_add(l.amount))
            .expect(LOTS_FIT);
        total.checked_sub(young).expect(LOTS_FIT)
    }
}

/// Key of a holding: asset index in the high half, wallet index in the low half.
pub fn holding_key(asset: AssetIdx, wallet: WalletIdx) -> u64 {
    ((asset as u64) << 32) | wallet as u64
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct RoleKey {
    pub wallet: WalletIdx,
    pub role: Role,
    pub asset: Option<AssetIdx>,
}

impl std::hash::Hash for RoleKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.wallet.hash(h);
        (self.role as u8).hash(h);
        self.asset.hash(h);
    }
}
impl PartialOrd for RoleKey {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for RoleKey {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.wallet, self.role, self.asset).cmp(&(o.wallet, o.role, o.asset))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct SanctionInfo {
    pub source: String,
    pub added_at: Time,
    /// An address entry's spelling as listed, when it differs from the canonical key (e.g.
    /// OFAC's EIP-55 mixed case), so messages can quote the list as published.
    pub listed_as: Option<String>,
}

#[derive(
    Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, serde::Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Alert {
    pub id: u64,
    pub time: Time,
    pub height: u64,
    pub rule: String,
    pub asset: Symbol,
    pub wallet: WalletId,
    pub counterparty: Option<WalletId>,
    #[serde(with = "crate::types::amount_serde")]
    pub amount: Amount,
    pub tx: Hash,
    pub detail: String,
}

/// Ledger-wide settings and counters: one entry.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Meta {
    pub network: String,
    pub paused: bool,
    /// Approval thresholds for routine, sensitive and emergency operations.
    pub thresholds: [u8; 3],
    pub next_proposal: u64,
    pub next_alert: u64,
    pub next_instruction: u64,
    pub next_htlc: u64,
    pub next_tender: u64,
    pub next_repo: u64,
    pub next_redemption: u64,
    pub height: u64,
    pub time: Time,
}

impl Meta {
    pub fn threshold(&self, class: OpClass) -> u8 {
        self.thresholds[class as usize]
    }
}

macro_rules! state_tables {
    ($( $(#[$m:meta])* $field:ident : $t:ty = $tag:literal, )*) => {
        /// The whole ledger state. Each field is a table; see the module invariants.
        #[derive(BorshSerialize, BorshDeserialize, BorshSchema)]
        pub struct State { $( $(#[$m])* pub $field: $t, )* }

        /// Rollback point for every table at once.
        #[derive(Clone, Copy, Debug)]
        pub struct StateMark { $( $field: Mark, )* }

        impl State {
            pub fn empty() -> State { State { $( $field: <$t>::new($tag), )* } }
            pub fn mark(&self) -> StateMark { StateMark { $( $field: self.$field.mark(), )* } }
            pub fn rollback(&mut self, m: StateMark) { $( self.$field.rollback(m.$field); )* }
            pub fn commit(&mut self) { $( self.$field.commit(); )* }
            /// Whether any table but `meta` (the height and time every block records) holds
            /// other entries than at the mark.
            pub fn changed_beyond_meta(&self, m: &StateMark) -> bool {
                false $( || (stringify!($field) != "meta" && self.$field.digest() != m.$field.digest()) )*
            }
            /// Digest of the whole state: combines every table's set hash.
            pub fn digest(&self) -> Hash {
                let mut parts: Vec<[u8; 32]> = Vec::new();
                $( if $tag < FIRST_LATER_TABLE || !self.$field.is_empty() {
                    parts.push(self.$field.digest().to_bytes());
                } )*
                let refs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
                crate::crypto::sha256_parts(&refs)
            }
            /// The digest recomputed from every entry (slow; for checks).
            pub fn recompute_digest(&self) -> Hash {
                let mut parts: Vec<[u8; 32]> = Vec::new();
                $( if $tag < FIRST_LATER_TABLE || !self.$field.is_empty() {
                    parts.push(self.$field.recompute_digest().to_bytes());
                } )*
                let refs: Vec<&[u8]> = parts.iter().map(|p| &p[..]).collect();
                crate::crypto::sha256_parts(&refs)
            }
        }
    };
}

state_tables! {
    meta: Table<u8, Meta> = 1,
    parties: Table<PartyIdx, Party> = 2,
    party_index: Table<PartyId, PartyIdx> = 3,
    wallets: Table<WalletIdx, Wallet> = 4,
    wallet_index: Table<WalletId, WalletIdx> = 5,
    assets: Table<AssetIdx, Asset> = 6,
    asset_index: Table<Symbol, AssetIdx> = 7,
    policies: Table<AssetIdx, Policy> = 8,
    holdings: Table<u64, Holding> = 9,
    roles: Table<RoleKey, ()> = 10,
    trusted_issuers: Table<WalletIdx, Vec<ClaimTopic>> = 11,
    sanctions: Table<SanctionTarget, SanctionInfo> = 12,
    proposals: Table<u64, Proposal> = 13,
    /// (expiry, proposal id) of open proposals.
    open_proposals: Queue<(Time, u64)> = 14,
    alerts: Table<u64, Alert> = 15,
    instructions: Table<u64, crate::model::settlement::Instruction> = 16,
    /// (next time the block job must look at it, instruction id) of pending instructions.
    open_instructions: Queue<(Time, u64)> = 17,
    /// (height, instruction id) of pending instructions that settle at a height.
    height_instructions: Queue<(u64, u64)> = 26,
    htlcs: Table<u64, crate::model::htlc::Htlc> = 18,
    /// (deadline, lock id) of locks not yet past their deadline.
    open_htlcs: Queue<(Time, u64)> = 19,
    cash_references: Table<String, crate::model::cash::CashRecord> = 20,
    conversions: Table<Symbol, crate::model::cash::Conversion> = 21,
    omnibus_wallets: Table<WalletIdx, ()> = 22,
    tenders: Table<u64, crate::model::escrow::Tender> = 23,
    repos: Table<u64, crate::model::repo::Repo> = 24,
    /// (maturity, repo id) of open repos.
    open_repos: Queue<(Time, u64)> = 25,
    yield_classes: Table<AssetIdx, crate::model::yields::YieldClass> = 27,
    /// Registered oracle sources and their names.
    oracle_sources: Table<WalletIdx, String> = 28,
    feeds: Table<String, crate::model::oracle::Feed> = 29,
    funds: Table<Symbol, crate::model::fund::Fund> = 30,
    share_classes: Table<AssetIdx, crate::model::fund::ShareClass> = 31,
    positions: Table<(Symbol, u64), crate::model::fund::Position> = 32,
    /// Each fund's daily valuations, by day.
    fund_days: Table<(Symbol, u64), crate::model::fund::Valuation> = 33,
    redemptions: Table<u64, crate::model::fund::Redemption> = 34,
    /// (fund, redemption id) of queued redemptions: first in, first out.
    redemption_queue: Queue<(Symbol, u64)> = 35,
    servicing: Table<AssetIdx, crate::model::securities::Servicing> = 36,
    /// The rules version, when not 1 (one entry, key 0; see `block::RULES_V2`).
    rules: Table<u8, u32> = 37,
    /// Each fund's shadow-NAV alert thresholds, when set (rules version 2).
    fund_monitoring: Table<Symbol, crate::model::fund::Monitoring> = 38,
    /// Each fund's daily income and dividends declared, by day (rules version 2).
    fund_income: Table<(Symbol, u64), crate::model::fund::DayIncome> = 39,
    /// Collateral and margin (see `collateral`): record counters (one entry, key 0).
    collateral_counters: Table<u8, crate::model::collateral::Counters> = 40,
    clearing_houses: Table<PartyId, crate::model::collateral::Clearing> = 41,
    /// Margin and loan accounts, with their pledges.
    collateral_accounts: Table<u64, crate::model::collateral::Account> = 42,
    /// (clearing house, member) → margin account.
    margin_index: Table<(PartyId, PartyId), u64> = 43,
    /// (asset, account) for every account pledging the asset: whom a price move touches.
    pledged_assets: Queue<(AssetIdx, u64)> = 44,
    /// Each pledged asset's price as last valued.
    price_marks: Table<AssetIdx, crate::model::collateral::PriceMark> = 45,
    margin_calls: Table<u64, crate::model::collateral::MarginCall> = 46,
    /// (deadline, call id) of open calls.
    open_calls: Queue<(Time, u64)> = 47,
    loans: Table<u64, crate::model::collateral::Loan> = 48,
    /// Funded loans not yet repaid or liquidated.
    open_loans: Queue<u64> = 49,
    /// (time, clearing house) of schedules waiting for their time.
    schedule_due: Queue<(Time, PartyId)> = 50,
    /// Accounts a large move or a requirement rise touched since the last block boundary.
    watch: Queue<u64> = 51,
    /// Each live collateral account's coverage and open call (see `collateral::Standing`).
    standings: Table<u64, crate::model::collateral::Standing> = 52,
    /// (clearing house, account) of every member's margin account, in admission order: the
    /// member list is an index rather than part of the clearing house's record, which a
    /// default rewrites.
    ccp_members: Queue<(PartyId, u64)> = 53,
}

/// Tables from this tag on were added after ledgers were first written: each joins the state
/// digest only once it holds an entry, so a ledger that never used one keeps the digest it
/// had (and a journal written before it existed verifies unchanged).
const FIRST_LATER_TABLE: u8 = 37;

impl State {
    pub fn meta(&self) -> &Meta {
        // The genesis writes the one entry; every state the ledger builds has it.
        self.meta.get(&0).expect("state without meta: not built from a genesis")
    }
    /// The rules version this ledger runs (`block::RULES_V1` for ledgers from before versions).
    pub fn rules(&self) -> u32 {
        self.rules.get(&0).copied().unwrap_or(crate::model::block::RULES_V1)
    }
    /// An amount of an asset as the ledger's own messages print it (refusals, alert details,
    /// halt reasons): "1,500.00 USDX", in the asset's decimals (`units::format_amount`), from
    /// rules version 2 on. Under version 1 the bare minor units ("150000"): those messages are
    /// journaled (a failure receipt carries its refusal; alerts are state), and an old journal
    /// must replay to the same receipts byte for byte.
    pub fn amount_text(&self, asset: AssetIdx, amount: Amount) -> String {
        self.amount_in_units(asset, amount).unwrap_or_else(|| amount.to_string())
    }
    /// [`State::amount_text`] for the messages whose version-1 text put the symbol after the
    /// minor units ("150000 USDX"); from version 2 on the same "1,500.00 USDX".
    pub fn amount_text_with_symbol(&self, asset: AssetIdx, amount: Amount) -> String {
        self.amount_in_units(asset, amount).unwrap_or_else(|| format!("{amount} {}", self.asset(asset).symbol))
    }
    /// The amount in the asset's units, when the rules version prints it so.
    fn amount_in_units(&self, asset: AssetIdx, amount: Amount) -> Option<String> {
        let a = self.asset(asset);
        (self.rules() >= crate::model::block::RULES_V2)
            .then(|| crate::units::format_amount(amount, a.decimals, a.symbol.as_str()))
    }
    /// `a − b` of one asset's amounts, or a refusal with `code` saying "{a} is less than {b}"
    /// (each in [`State::amount_text`]).
    pub fn sub_amount(&self, asset: AssetIdx, a: Amount, b: Amount, code: Code) -> Result<Amount, Refusal> {
        a.checked_sub(b).ok_or_else(|| {
            Refusal::new(code, format!("{} is less than {}", self.amount_text(asset, a), self.amount_text(asset, b)))
        })
    }
    pub fn put_meta(&mut self, m: Meta) {
        self.meta.put(0, m);
    }
    /// Takes the next id from one of the meta counters (`|m| &mut m.next_repo`).
    pub fn next_id(&mut self, counter: impl FnOnce(&mut Meta) -> &mut u64) -> u64 {
        let mut meta = self.meta().clone();
        let c = counter(&mut meta);
        let id = *c;
        *c = c.checked_add(1).expect("one per record: a counter never reaches u64::MAX");
        self.put_meta(meta);
        id
    }

    pub fn wallet_idx(&self, w: &WalletId) -> Result<WalletIdx, Refusal> {
        self.wallet_index
            .get(w)
            .copied()
            .ok_or_else(|| Refusal::new(Code::WalletUnknown, format!("no wallet {}", w.short())))
    }
    pub fn wallet(&self, idx: WalletIdx) -> &Wallet {
        self.wallets.get(&idx).expect("wallet index without wallet")
    }
    pub fn party_idx(&self, p: &PartyId) -> Result<PartyIdx, Refusal> {
        self.party_index.get(p).copied().ok_or_else(|| Refusal::new(Code::PartyUnknown, format!("no party {p}")))
    }
    pub fn party(&self, idx: PartyIdx) -> &Party {
        self.parties.get(&idx).expect("party index without party")
    }
    pub fn asset_idx(&self, s: &Symbol) -> Result<AssetIdx, Refusal> {
        self.asset_index.get(s).copied().ok_or_else(|| Refusal::new(Code::AssetUnknown, format!("no asset {s}")))
    }
    pub fn asset(&self, idx: AssetIdx) -> &Asset {
        self.assets.get(&idx).expect("asset index without asset")
    }
    pub fn policy(&self, idx: AssetIdx) -> &Policy {
        static EMPTY: Policy = Policy { rules: Vec::new() };
        self.policies.get(&idx).unwrap_or(&EMPTY)
    }
    pub fn holding(&self, asset: AssetIdx, wallet: WalletIdx) -> Holding {
        self.holdings.get(&holding_key(asset, wallet)).cloned().unwrap_or_default()
    }
    pub fn holding_ref(&self, asset: AssetIdx, wallet: WalletIdx) -> Option<&Holding> {
        self.holdings.get(&holding_key(asset, wallet))
    }

    /// Writes a holding and keeps the asset's holder count in step. Drops empty holdings that
    /// carry no tracking data.
    pub fn put_holding(&mut self, asset: AssetIdx, wallet: WalletIdx, mut h: Holding) -> Result<(), Refusal> {
        let key = holding_key(asset, wallet);
        let old_total = match self.holdings.get(&key) {
            Some(old) => old.total()?,
            None => 0,
        };
        // Yield classes: what the old balance earned is settled before the balance changes.
        if let Some(c) = self.yield_classes.get(&asset) {
            h.settle_yield(c.index, old_total)?;
        }
        let before = old_total > 0;
        let after = h.total()? > 0;
        if h.total()? == 0 && !h.extra.as_deref().is_some_and(keeps_empty_holding) {
            if self.holdings.contains(&key) {
                self.holdings.remove(&key);
            }
        } else {
            self.holdings.put(key, h);
        }
        if before != after {
            let mut a = self.asset(asset).clone();
            a.holders = if after { a.holders.checked_add(1) } else { a.holders.checked_sub(1) }
                .expect("holders counts the holdings with a positive total, this one among them when it leaves");
            self.assets.put(asset, a);
        }
        Ok(())
    }

    /// Records an alert (its id and height assigned here) and announces it.
    pub fn raise_alert(&mut self, mut alert: Alert, ev: &mut Vec<crate::block::Event>) -> u64 {
        let id = self.next_id(|m| &mut m.next_alert);
        alert.id = id;
        alert.height = self.meta().height;
        ev.push(crate::block::Event::AlertRaised {
            alert: id,
            rule: alert.rule.clone(),
            asset: alert.asset.clone(),
            wallet: alert.wallet,
            amount: alert.amount,
        });
        self.alerts.put(id, alert);
        id
    }

    /// Many `put_holding`s of one asset at once (distinct wallets), each of the wallet's
    /// current holding as `change` leaves it: the same entries, holder count and digest as
    /// reading, changing and writing each in turn, with the state-digest leaf hashes computed
    /// in parallel (see `Table::update_many`). Refuses, writing nothing, if any one
    /// `put_holding` would refuse.
    pub fn update_holdings<A>(
        &mut self,
        asset: AssetIdx,
        items: Vec<(WalletIdx, A)>,
        mut change: impl FnMut(A, &mut Holding),
    ) -> Result<(), Refusal> {
        let index = self.yield_classes.get(&asset).map(|c| c.index);
        let items: Vec<(u64, A)> = items.into_iter().map(|(w, a)| (holding_key(asset, w), a)).collect();
        self.prefetch_holdings(items.iter().map(|(k, _)| k));
        let moved = self.holdings.update_many(items, |_, a, old| {
            let old_total = old.map(Holding::total).transpose()?.unwrap_or(0);
            let mut h = old.cloned().unwrap_or_default();
            change(a, &mut h);
            if let Some(index) = index {
                h.settle_yield(index, old_total)?;
            }
            let total = h.total()?;
            let keep = total > 0 || h.extra.as_deref().is_some_and(keeps_empty_holding);
            let moved: i64 = match (old_total > 0, total > 0) {
                (false, true) => 1,
                (true, false) => -1,
                _ => 0,
            };
            Ok::<_, Refusal>((keep.then_some(h), moved))
        })?;
        let moved: i64 = moved.iter().sum();
        if moved != 0 {
            let mut a = self.asset(asset).clone();
            a.holders = a
                .holders
                .checked_add_signed(moved)
                .expect("holders counts the holdings with a positive total, those leaving among them");
            self.assets.put(asset, a);
        }
        Ok(())
    }

    /// Reads these holdings (with their extra data) in one tight pass and drops what it read.
    /// For batch work over a table far larger than the caches: here the reads overlap, where a
    /// loop doing more per holding waits for each in turn; that loop then finds them in cache.
    pub(crate) fn prefetch_holdings<'a>(&self, keys: impl IntoIterator<Item = &'a u64>) {
        let holdings = keys.into_iter().filter_map(|k| self.holdings.get(k));
        let extra = holdings.filter_map(|h| h.extra.as_deref());
        std::hint::black_box(extra.fold(0u128, |x, e| x ^ e.yield_index));
    }

    pub fn has_role(&self, wallet: WalletIdx, role: Role, asset: Option<AssetIdx>) -> bool {
        self.roles.contains(&RoleKey { wallet, role, asset: None })
            || asset.is_some_and(|a| self.roles.contains(&RoleKey { wallet, role, asset: Some(a) }))
    }

    /// Wallets holding `role` at `scope` or globally, sorted.
    pub fn role_holders(&self, role: Role, asset: Option<AssetIdx>) -> Vec<WalletIdx> {
        let mut v: Vec<WalletIdx> = self
            .roles
            .iter()
            .filter(|(k, _)| k.role == role && (k.asset.is_none() || k.asset == asset))
            .map(|(k, _)| k.wallet)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn scope_asset(&self, scope: &Scope) -> Result<Option<AssetIdx>, Refusal> {
        match scope {
            Scope::Global => Ok(None),
            Scope::Asset(s) => self.asset_idx(s).map(Some),
        }
    }
}

/// Whether a holding with nothing in it is kept, for its tracking data or unpaid yield.
fn keeps_empty_holding(e: &HoldingExtra) -> bool {
    !e.outflows.is_empty() || !e.counterparties.is_empty() || e.yield_entitlement > 0
}

/// Moves a holding's units out, oldest lots first, then trims tracking so Σ lots ≤ total.
pub fn consume_lots(h: &mut Holding) {
    let Ok(total) = h.total() else { return };
    if let Some(extra) = h.extra.as_deref_mut() {
        let tracked = extra.lots.iter().try_fold(0, |a: Amount, l| a.checked_add(l.amount)).expect(LOTS_FIT);
        // Saturating on purpose: lots within the total leave nothing to trim.
        let mut excess = tracked.saturating_sub(total);
        // The untracked rest is oldest, so it was spent first; trim the oldest tracked lots.
        while excess > 0 && !extra.lots.is_empty() {
            let take = excess.min(extra.lots[0].amount);
            extra.lots[0].amount = extra.lots[0].amount.checked_sub(take).expect("take is at most the lot");
            excess = excess.checked_sub(take).expect("take is at most the excess");
            if extra.lots[0].amount == 0 {
                extra.lots.remove(0);
            }
        }
    }
}

/// Records a new acquisition lot, merging with a lot of the same time and bounding the count
/// (merging young lots into the later time keeps them locked at least as long).
pub fn add_lot(h: &mut Holding, at: Time, amount: Amount) {
    let extra = h.extra.get_or_insert_with(Default::default);
    if let Some(last) = extra.lots.last_mut() {
        if last.acquired_at == at {
            last.amount = last.amount.checked_add(amount).expect(LOTS_FIT);
            return;
        }
    }
    extra.lots.push(Lot { acquired_at: at, amount });
    if extra.lots.len() > MAX_LOTS {
        merge_newest_lots(&mut extra.lots);
    }
}

/// Why sums of a holding's lots cannot overflow: Σ lots ≤ total, and a stored total fits
/// (`put_holding` refuses one that does not; the invariants check Σ lots ≤ total).
pub(crate) const LOTS_FIT: &str = "Σ lots ≤ the holding's total, which fits in an Amount";

/// Merges the two newest lots into the later time (keeping them locked at least as long).
pub(crate) fn merge_newest_lots(lots: &mut Vec<Lot>) {
    if let [.., older, newest] = lots.as_mut_slice() {
        older.amount = older.amount.checked_add(newest.amount).expect(LOTS_FIT);
        older.acquired_at = newest.acquired_at;
        lots.pop();
    }
}

/// Sender-side helper: refuses when the free balance of `asset` in the holding is short.
pub fn take_free(state: &State, asset: AssetIdx, h: &mut Holding, amount: Amount) -> Result<(), Refusal> {
    if h.free < amount {
        let (free, amount) = (state.amount_text(asset, h.free), state.amount_text(asset, amount));
        return refuse(Code::BalanceInsufficient, format!("free balance {free} is less than {amount}"));
    }
    h.free = h.free.checked_sub(amount).expect("checked above");
    Ok(())
}
