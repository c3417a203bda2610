//! Blocks, receipts and events (L9), and the Merkle tree over them.
//!
//! Block hash = SHA-256("tessera/block/v1" ‖ header). Each header names the previous block's
//! hash, the Merkle roots of the block's transactions and receipts, and the state digest after
//! the block, so one changed byte anywhere breaks a root or a link.
//! Merkle: leaves SHA-256(0x00 ‖ item), nodes SHA-256(0x01 ‖ left ‖ right); an odd node is
//! promoted unchanged (never duplicated, so two different lists cannot share a root).

use crate::crypto::{sha256_parts, Keypair};
use crate::model::governance::OpClass;
use crate::tx::SignedTx;
use crate::types::*;
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    PartyRegistered {
        party: PartyId,
    },
    WalletAdded {
        party: PartyId,
        wallet: WalletId,
    },
    ClaimIssued {
        party: PartyId,
        claim: Claim,
        issuer: WalletId,
        expires_at: Option<Time>,
    },
    ClaimRevoked {
        party: PartyId,
        claim: Claim,
    },
    AddressLinked {
        party: PartyId,
        currency: String,
        address: String,
    },
    IssuerTrusted {
        wallet: WalletId,
        topics: Vec<ClaimTopic>,
    },
    IssuerUntrusted {
        wallet: WalletId,
    },
    AssetCreated {
        asset: Symbol,
        kind: String,
    },
    PolicySet {
        asset: Symbol,
        rules: u32,
    },
    SupplyCapSet {
        asset: Symbol,
        #[serde(with = "opt_amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::types::AmountSchema>))]
        cap: Option<Amount>,
    },
    Minted {
        asset: Symbol,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    Burned {
        asset: Symbol,
        from: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    Transferred {
        asset: Symbol,
        from: WalletId,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    RoleGranted {
        wallet: WalletId,
        role: Role,
        scope: Scope,
    },
    RoleRevoked {
        wallet: WalletId,
        role: Role,
        scope: Scope,
    },
    ThresholdSet {
        class: OpClass,
        threshold: u8,
    },
    ProposalCreated {
        proposal: u64,
        class: OpClass,
        threshold: u8,
        expires_at: Time,
    },
    ProposalApproved {
        proposal: u64,
        by: WalletId,
        approvals: u8,
    },
    ProposalRejected {
        proposal: u64,
        by: WalletId,
        rejections: u8,
    },
    ProposalExecuted {
        proposal: u64,
        approvers: Vec<WalletId>,
    },
    ProposalFailed {
        proposal: u64,
        code: String,
        message: String,
    },
    ProposalClosed {
        proposal: u64,
        outcome: String,
    },
    Paused {
        scope: Scope,
        reason: String,
    },
    Unpaused {
        scope: Scope,
        reason: String,
    },
    WalletFrozen {
        wallet: WalletId,
        reason: String,
    },
    WalletUnfrozen {
        wallet: WalletId,
        reason: String,
    },
    AmountFrozen {
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        reason: String,
    },
    AmountUnfrozen {
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        reason: String,
    },
    ForcedTransfer {
        asset: Symbol,
        from: WalletId,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        reason: ForceReason,
        reference: String,
    },
    WalletRecovered {
        lost: WalletId,
        new: WalletId,
        assets: u32,
        reference: String,
    },
    SanctionsUpdated {
        added: u32,
        removed: u32,
        source: String,
    },
    InstructionCreated {
        instruction: u64,
        legs: u32,
        venue: Option<WalletId>,
    },
    InstructionAffirmed {
        instruction: u64,
        party: PartyId,
    },
    AffirmationWithdrawn {
        instruction: u64,
        party: PartyId,
    },
    LegSettled {
        instruction: u64,
        leg: u32,
        asset: Symbol,
        from: WalletId,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    InstructionSettled {
        instruction: u64,
        legs: u32,
    },
    InstructionFailed {
        instruction: u64,
        leg: u32,
        code: String,
        message: String,
    },
    InstructionRejected {
        instruction: u64,
        party: PartyId,
        reason: String,
    },
    InstructionCancelled {
        instruction: u64,
        by: WalletId,
        reason: String,
    },
    InstructionExpired {
        instruction: u64,
    },
    HtlcLocked {
        htlc: u64,
        asset: Symbol,
        from: WalletId,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        hash_lock: Hash,
        deadline: Time,
    },
    HtlcClaimed {
        htlc: u64,
        preimage: String,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    HtlcExpired {
        htlc: u64,
    },
    HtlcRefunded {
        htlc: u64,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    CashIssued {
        asset: Symbol,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        fiat_reference: String,
    },
    CashRedeemed {
        asset: Symbol,
        from: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        payout_reference: String,
    },
    ConversionRegistered {
        cbdc: Symbol,
        token: Symbol,
        omnibus: WalletId,
    },
    CashConverted {
        from: Symbol,
        to: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    TenderOpened {
        tender: u64,
        asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        bond: Amount,
        bid_deadline: Time,
    },
    BidBondLocked {
        tender: u64,
        bidder: WalletId,
        asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    BidBondReleased {
        tender: u64,
        bidder: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    TenderAwarded {
        tender: u64,
        winner: WalletId,
    },
    TenderCompleted {
        tender: u64,
    },
    BondForfeited {
        tender: u64,
        bidder: WalletId,
        to: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
        reason: String,
    },
    TenderCancelled {
        tender: u64,
        reason: String,
    },
    RepoProposed {
        repo: u64,
        maturity: Time,
    },
    RepoOpened {
        repo: u64,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        cash: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        collateral: Amount,
    },
    RepoCancelled {
        repo: u64,
    },
    CollateralSubstituted {
        repo: u64,
        old_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        old_amount: Amount,
        new_asset: Symbol,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        new_amount: Amount,
    },
    RepoClosed {
        repo: u64,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        repaid: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        interest: Amount,
    },
    RepoDefaulted {
        repo: u64,
        code: String,
        collateral_delivered: bool,
    },
    YieldClassCreated {
        asset: Symbol,
        basis: u16,
        cutoff_seconds: u32,
        payout_day: u8,
    },
    YieldRateSet {
        asset: Symbol,
        rate_ppb: u64,
    },
    YieldAccrued {
        asset: Symbol,
        day: Time,
        rate_ppb: u64,
        per_token_scaled: String,
    },
    /// The holders a payout paid and how much, in wallet order: one event per payout.
    YieldPaid {
        asset: Symbol,
        payments: Vec<YieldPayment>,
    },
    YieldWithheld {
        asset: Symbol,
        wallet: WalletId,
        code: String,
    },
    YieldPayout {
        asset: Symbol,
        holders: u32,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        paid: Amount,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        residual: Amount,
    },
    AlertRaised {
        alert: u64,
        rule: String,
        asset: Symbol,
        wallet: WalletId,
        #[serde(with = "amount_serde")]
        #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
        amount: Amount,
    },
    /// Funds, oracle and Treasury servicing (see `fund::FundEvent`).
    Fund(crate::model::fund::FundEvent),
    /// Collateral and margin (see `collateral::CollateralEvent`).
    Collateral(crate::model::collateral::CollateralEvent),
}

/// One holder's part of a yield payout (in `Event::YieldPaid`): the whole units minted to it.
/// A payout reaches every holder, so the wallet is named by its index (4 bytes) rather than
/// its key (32). Wallets are numbered from 0 in the order they were added (the genesis's
/// first, then one per `wallet_added` event in journal order), as replay numbers them.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YieldPayment {
    pub wallet_index: u32,
    #[serde(with = "amount_serde")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::types::AmountSchema))]
    pub amount: Amount,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Outcome {
    Ok {
        events: Vec<Event>,
    },
    /// Nothing changed but the signer's sequence number.
    Failed {
        op_index: u32,
        code: String,
        message: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub tx: Hash,
    pub outcome: Outcome,
}

impl Receipt {
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok { .. })
    }
    pub fn code(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Failed { code, .. } => Some(code),
            Outcome::Ok { .. } => None,
        }
    }
}

/// What the ledger did on its own at the start of a block (expiries and other jobs).
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemReceipt {
    pub events: Vec<Event>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlockHeader {
    pub height: u64,
    pub prev: Hash,
    pub time: Time,
    pub tx_count: u32,
    pub tx_root: Hash,
    pub receipt_root: Hash,
    pub state_digest: Hash,
}

impl BlockHeader {
    pub fn hash(&self) -> Hash {
        let bytes = borsh::to_vec(self).unwrap_or_default();
        sha256_parts(&[b"tessera/block/v1", &bytes])
    }
}

/// The first block's content: who runs the ledger and under which rules.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub network: String,
    pub time: Time,
    /// The operator party that owns the genesis wallets.
    pub operator: PartyId,
    pub operator_name: String,
    /// Wallets of the operator and the roles they start with.
    pub grants: Vec<GenesisGrant>,
    /// Approval thresholds: routine, sensitive, emergency.
    pub thresholds: [u8; 3],
    /// Claim issuers trusted from the start.
    #[serde(default)]
    pub trusted_issuers: Vec<(WalletId, Vec<ClaimTopic>)>,
    /// The rules version the ledger runs ([`RULES_CURRENT`] unless stated). Not part of the
    /// genesis's own encoding: the block body carries it beside the genesis (see
    /// [`genesis_slot`]), so a journal written before versions existed reads as version 1.
    #[borsh(skip)]
    #[serde(default = "rules_current")]
    pub rules: RulesVersion,
}

/// A ledger's rules version. Bytes of a genesis carry none and read as version 1 (the
/// `Default`); a genesis written as JSON without one gets [`RULES_CURRENT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct RulesVersion(pub u32);

impl Default for RulesVersion {
    fn default() -> Self {
        RulesVersion(RULES_V1)
    }
}

/// Rules version 1: what every ledger ran before versions were recorded. A stable-NAV fund
/// class's daily dividend is its yield feed's gross quote less the class fee.
pub const RULES_V1: u32 = 1;
/// Rules version 2: a stable-NAV fund class's daily dividend is the fund's own net income
/// (DOMAIN: "daily net investment income"), positions without a market price are carried at
/// amortized cost, and the shadow NAV is monitored against thresholds.
pub const RULES_V2: u32 = 2;
/// The version a new ledger runs.
pub const RULES_CURRENT: u32 = RULES_V2;

fn rules_current() -> RulesVersion {
    RulesVersion(RULES_CURRENT)
}

/// The encoding of a block body's genesis slot. Tags 0 and 1 are exactly `Option<Genesis>`'s
/// (none; a genesis, rules version 1), so journals written before rules versions existed
/// decode unchanged; tag 2 is a genesis followed by its rules version (a `u32`).
pub mod genesis_slot {
    use super::{Genesis, RulesVersion, RULES_V1};
    use borsh::schema::{add_definition, Declaration, Definition, Fields};
    use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
    use std::collections::BTreeMap;
    use std::io::{Error, ErrorKind, Read, Result, Write};

    /// The slot's layout (see `crate::layouts`): an enum whose tags are the ones below.
    pub fn declaration() -> Declaration {
        "GenesisSlot".into()
    }

    pub fn add_definitions_recursively(definitions: &mut BTreeMap<Declaration, Definition>) {
        let variant = |name: &str, fields: Fields, definitions: &mut BTreeMap<Declaration, Definition>| {
            let declaration = format!("GenesisSlot__{name}");
            add_definition(declaration.clone(), Definition::Struct { fields }, definitions);
            declaration
        };
        let genesis = || ("genesis".to_string(), Genesis::declaration());
        let variants = vec![
            (0, "None".to_string(), variant("None", Fields::Empty, definitions)),
            (1, "Genesis".to_string(), variant("Genesis", Fields::NamedFields(vec![genesis()]), definitions)),
            (
                2,
                "GenesisWithRules".to_string(),
                variant(
                    "GenesisWithRules",
                    Fields::NamedFields(vec![genesis(), ("rules".to_string(), u32::declaration())]),
                    definitions,
                ),
            ),
        ];
        add_definition(declaration(), Definition::Enum { tag_width: 1, variants }, definitions);
        Genesis::add_definitions_recursively(definitions);
        u32::add_definitions_recursively(definitions);
    }

    pub fn serialize<W: Write>(g: &Option<Genesis>, w: &mut W) -> Result<()> {
        match g {
            None => 0u8.serialize(w),
            Some(g) if g.rules.0 == RULES_V1 => {
                1u8.serialize(w)?;
                g.serialize(w)
            }
            Some(g) => {
                2u8.serialize(w)?;
                g.serialize(w)?;
                g.rules.0.serialize(w)
            }
        }
    }

    pub fn deserialize<R: Read>(r: &mut R) -> Result<Option<Genesis>> {
        match u8::deserialize_reader(r)? {
            0 => Ok(None),
            1 => Ok(Some(Genesis { rules: RulesVersion(RULES_V1), ..Genesis::deserialize_reader(r)? })),
            2 => {
                let g = Genesis::deserialize_reader(r)?;
                let rules = u32::deserialize_reader(r)?;
                if rules == RULES_V1 {
                    // Version 1 has one spelling, tag 1: two would give one block two hashes.
                    return Err(Error::new(ErrorKind::InvalidData, "rules version 1 under tag 2"));
                }
                Ok(Some(Genesis { rules: RulesVersion(rules), ..g }))
            }
            t => Err(Error::new(ErrorKind::InvalidData, format!("genesis slot tag {t}"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenesisGrant {
    pub wallet: WalletId,
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct BlockBody {
    #[borsh(
        serialize_with = "genesis_slot::serialize",
        deserialize_with = "genesis_slot::deserialize",
        schema(with_funcs(
            declaration = "genesis_slot::declaration",
            definitions = "genesis_slot::add_definitions_recursively"
        ))
    )]
    pub genesis: Option<Genesis>,
    pub txs: Vec<SignedTx>,
    pub receipts: Vec<Receipt>,
    pub system: SystemReceipt,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema)]
pub struct Block {
    pub header: BlockHeader,
    pub body: BlockBody,
}

/// Root over a list of already-hashed leaves.
pub fn merkle_root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return sha256_parts(&[b"tessera/merkle/empty"]);
    }
    let mut level: Vec<Hash> = leaves.iter().map(|l| sha256_parts(&[&[0u8], &l.0])).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => sha256_parts(&[&[1u8], &a.0, &b.0]),
                [a] => *a,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level[0]
}

impl BlockBody {
    pub fn tx_root(&self) -> Hash {
        let mut leaves: Vec<Hash> = self.txs.iter().map(|t| t.id()).collect();
        if let Some(g) = &self.genesis {
            leaves.insert(0, crate::crypto::sha256(&borsh::to_vec(g).unwrap_or_default()));
        }
        merkle_root(&leaves)
    }
    /// Roots cover the signatures too: a transaction's leaf is its id (body hash) bound to
    /// its signature bytes through the receipt list, and the receipts root covers the system
    /// receipt as its last leaf.
    pub fn receipt_root(&self) -> Hash {
        let mut scratch = Vec::with_capacity(256);
        let mut leaf = |r: &Receipt, sig: &[u8]| {
            scratch.clear();
            borsh::BorshSerialize::serialize(r, &mut scratch).expect("writing into a Vec cannot fail");
            sha256_parts(&[&scratch, sig])
        };
        let mut leaves: Vec<Hash> =
            self.receipts.iter().zip(self.txs.iter()).map(|(r, t)| leaf(r, &t.signature)).collect();
        // A receipt without its transaction (a damaged body) still counts.
        for r in self.receipts.iter().skip(self.txs.len()) {
            leaves.push(leaf(r, &[]));
        }
        leaves.push(crate::crypto::sha256(&borsh::to_vec(&self.system).unwrap_or_default()));
        merkle_root(&leaves)
    }
}

/// Default genesis for demos and tests: one operator wallet per role name.
pub fn demo_genesis(network: &str, time: Time, grants: &[(&Keypair, &[Role])], thresholds: [u8; 3]) -> Genesis {
    Genesis {
        network: network.into(),
        time,
        operator: PartyId::new("operator"),
        operator_name: "Ledger operator".into(),
        grants: grants.iter().map(|(k, r)| GenesisGrant { wallet: k.wallet(), roles: r.to_vec() }).collect(),
        thresholds,
        trusted_issuers: Vec::new(),
        rules: RulesVersion(RULES_CURRENT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_distinguishes_lists() {
        let a = Hash([1; 32]);
        let b = Hash([2; 32]);
        let c = Hash([3; 32]);
        assert_ne!(merkle_root(&[a, b, c]), merkle_root(&[a, b, c, c]));
        assert_ne!(merkle_root(&[a, b]), merkle_root(&[b, a]));
        assert_ne!(merkle_root(&[a]), merkle_root(&[]));
        assert_eq!(merkle_root(&[a, b, c]), merkle_root(&[a, b, c]));
    }
}
