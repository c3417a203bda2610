//! Stable failure codes. A code, once published, is never renamed or reused: clients, scenario
//! files and journaled failure receipts depend on the string. Add new codes at the end of
//! their group; `docs/errors.md` lists them all (a test keeps the two in step).

use std::fmt;

macro_rules! codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $s:literal, )*) => {
        /// A stable failure code, named after the rule that was broken.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $(#[doc = $doc])* $variant, )* }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// The stable string form, e.g. `compliance.kyc_expired`.
            pub fn as_str(self) -> &'static str {
                match self { $( Code::$variant => $s, )* }
            }

            /// One line saying what the code means.
            pub fn meaning(self) -> &'static str {
                match self { $( Code::$variant => concat!($($doc),*).trim_ascii(), )* }
            }

            /// Parses the stable string form.
            pub fn parse(s: &str) -> Option<Code> {
                match s { $( $s => Some(Code::$variant), )* _ => None }
            }
        }
    };
}

codes! {
    /// The bytes are not a well-formed transaction (bad encoding, trailing bytes, bad field).
    TxMalformed = "tx.malformed",
    /// The encoded transaction exceeds the size limit.
    TxTooLarge = "tx.too_large",
    /// The transaction holds no operation, or more than the limit.
    TxBadOpCount = "tx.bad_op_count",
    /// The signature does not verify against the signer's key.
    TxBadSignature = "tx.bad_signature",
    /// The transaction was signed for another network.
    TxWrongNetwork = "tx.wrong_network",
    /// The transaction's expiry is before the block time.
    TxExpired = "tx.expired",
    /// The sequence number was already used by this wallet (a replay).
    TxReplayed = "tx.replayed",
    /// The sequence number is ahead of the wallet's next sequence number.
    TxSequenceGap = "tx.sequence_gap",
    /// The signing key is not a registered wallet.
    TxUnknownSigner = "tx.unknown_signer",
    /// The signer lacks the role the operation requires.
    AuthMissingRole = "auth.missing_role",
    /// The operation's class needs more approvals than one signature: propose it instead.
    AuthApprovalRequired = "auth.approval_required",
    /// A party with this id already exists.
    PartyExists = "party.exists",
    /// No party has this id.
    PartyUnknown = "party.unknown",
    /// The party id is empty, too long or has characters outside [a-z0-9._-].
    PartyBadId = "party.bad_id",
    /// The key is already registered as a wallet.
    WalletExists = "wallet.exists",
    /// No wallet has this key.
    WalletUnknown = "wallet.unknown",
    /// The wallet is frozen: nothing moves out of or into it.
    WalletFrozen = "wallet.frozen",
    /// The wallet was recovered to another wallet and can no longer act or receive.
    WalletRetired = "wallet.retired",
    /// Recovery must move holdings to another wallet of the same party.
    WalletDifferentParty = "wallet.different_party",
    /// The signer is not a trusted issuer for this claim topic.
    ClaimUntrustedIssuer = "claim.untrusted_issuer",
    /// The party holds no such claim.
    ClaimNotFound = "claim.not_found",
    /// The claim is malformed (expiry in the past, bad country code, bad percentage).
    ClaimInvalid = "claim.invalid",
    /// An asset with this symbol already exists.
    AssetExists = "asset.exists",
    /// No asset has this symbol.
    AssetUnknown = "asset.unknown",
    /// The asset is paused: balances are kept, every movement is refused.
    AssetPaused = "asset.paused",
    /// Minting would take the supply above the asset's cap.
    AssetSupplyCapExceeded = "asset.supply_cap_exceeded",
    /// The asset definition is invalid (symbol, decimals, identifiers, coupon).
    AssetInvalid = "asset.invalid",
    /// The whole ledger is paused.
    LedgerPaused = "ledger.paused",
    /// An amount of zero was given where a positive amount is required.
    AmountZero = "amount.zero",
    /// Arithmetic on an amount would overflow.
    AmountOverflow = "amount.overflow",
    /// A wallet cannot send to itself.
    TransferToSelf = "transfer.to_self",
    /// The free balance is smaller than the amount.
    BalanceInsufficient = "balance.insufficient",
    /// The frozen balance is smaller than the amount to unfreeze.
    BalanceInsufficientFrozen = "balance.insufficient_frozen",
    /// A party lacks a valid KYC claim.
    ComplianceKycMissing = "compliance.kyc_missing",
    /// A party's KYC claim has expired.
    ComplianceKycExpired = "compliance.kyc_expired",
    /// The receiving party's investor class is not allowed by the policy.
    ComplianceInvestorClass = "compliance.investor_class",
    /// The party's jurisdiction is not on the policy's allow list (or is unknown).
    ComplianceJurisdictionNotAllowed = "compliance.jurisdiction_not_allowed",
    /// The party's jurisdiction is on the policy's deny list.
    ComplianceJurisdictionDenied = "compliance.jurisdiction_denied",
    /// A party or wallet is on the sanctions list or carries a sanctioned claim.
    ComplianceSanctioned = "compliance.sanctioned",
    /// The amount includes units still inside their holding period.
    ComplianceLockup = "compliance.lockup",
    /// A first investment is below the policy's minimum.
    ComplianceMinInvestment = "compliance.min_investment",
    /// A remaining balance would be positive but below the policy's minimum holding.
    ComplianceMinHolding = "compliance.min_holding",
    /// The asset would exceed its maximum number of holders.
    ComplianceMaxHolders = "compliance.max_holders",
    /// The receiver's balance would exceed the policy's maximum.
    ComplianceMaxBalance = "compliance.max_balance",
    /// The receiver's share of supply would exceed the policy's maximum.
    ComplianceMaxShare = "compliance.max_share",
    /// The amount exceeds the per-transfer limit.
    ComplianceTransferLimit = "compliance.transfer_limit",
    /// The amount would exceed the sender's rolling 24-hour limit.
    ComplianceRollingLimit = "compliance.rolling_limit",
    /// The policy allows transfers only between wallets of one party.
    ComplianceSamePartyOnly = "compliance.same_party_only",
    /// A rule in the policy has invalid parameters.
    PolicyInvalid = "policy.invalid",
    /// No proposal has this id.
    GovernanceProposalUnknown = "governance.proposal_unknown",
    /// The proposal has expired, executed or been rejected.
    GovernanceProposalClosed = "governance.proposal_closed",
    /// This wallet already approved or rejected the proposal.
    GovernanceAlreadyVoted = "governance.already_voted",
    /// The wallet lacks the role needed to approve this proposal.
    GovernanceNotEligible = "governance.not_eligible",
    /// A threshold must be between 1 and the limit.
    GovernanceBadThreshold = "governance.bad_threshold",
    /// A proposal cannot contain governance operations (propose, approve, reject).
    GovernanceNestedProposal = "governance.nested_proposal",
    /// The proposal's expiry is not after the block time.
    GovernanceBadExpiry = "governance.bad_expiry",
    /// A sanctions entry is malformed.
    SanctionsInvalid = "sanctions.invalid",
    /// An OFAC SDN file could not be parsed (the message gives the line).
    SanctionsBadSdnFile = "sanctions.bad_sdn_file",
    /// A file given to the sanctions import is another OFAC file than the one expected (an alias
    /// or physical-address file, the XML edition, or the SDN and comments files swapped); the
    /// message names it and what to give instead.
    SanctionsWrongFile = "sanctions.wrong_file",
    /// An identifier has the wrong length.
    IdentifierBadLength = "identifier.bad_length",
    /// An identifier holds a character not allowed at its position.
    IdentifierBadCharacter = "identifier.bad_character",
    /// An identifier's check digit does not match.
    IdentifierBadCheckDigit = "identifier.bad_check_digit",
    /// A CUSIP is required and the ISIN given is another country's: only a US ISIN holds a CUSIP.
    IdentifierNotUsIsin = "identifier.not_us_isin",
    /// A text field is longer than its limit.
    FieldTooLong = "field.too_long",
    /// The journal or a snapshot is damaged (checksum, hash link or decode failure).
    StoreCorrupt = "store.corrupt",
    /// The storage engine failed (disk full, permissions, I/O error).
    StoreIo = "store.io",
    /// The data directory already holds a ledger, or holds none.
    StoreState = "store.state",
    /// Another process is writing this data directory (the message names its PID).
    StoreLocked = "store.locked",
    /// The database cannot be reached: a malformed URL, a refused or timed-out connection,
    /// or bad credentials.
    StoreUnreachable = "store.unreachable",
    /// The database holds Tessera tables of a schema version this build does not read (newer,
    /// or unknown).
    StoreSchema = "store.schema",
    /// A deposed writer tried to append: another node took the writer's role (a higher fencing
    /// term) and this node's write was refused inside its own transaction.
    StoreFenced = "store.fenced",
    /// The journal holds the ledger of another network than the one expected.
    StoreOtherNetwork = "store.other_network",
    /// Replay disagrees with the journal (the message names block, transaction and field).
    VerifyMismatch = "verify.mismatch",
    /// A portable journal export (`tessera export --journal`) is not well formed: bad magic, a
    /// malformed record, or a record whose check does not chain (the message names the record,
    /// its byte offset and its block).
    ExportBadFile = "export.bad_file",
    /// A portable journal export ends inside a record (a write was cut off): the message names
    /// the byte offset of its last whole record. Nothing is cut without being asked.
    ExportTornTail = "export.torn_tail",
    /// The export file holds the ledger of another network than the one exported into it.
    ExportOtherNetwork = "export.other_network",
    /// The ledger no longer holds the export file's last block (another block at that height,
    /// or a shorter journal): an append would not continue the file's chain.
    ExportDiverged = "export.diverged",
    /// `tessera import` was given a target that already holds a ledger.
    ImportNotEmpty = "import.not_empty",
    /// A scenario expectation did not hold.
    ScenarioExpectation = "scenario.expectation",
    /// A scenario file is malformed.
    ScenarioInvalid = "scenario.invalid",
    /// Command-line input is invalid (bad key, bad amount, bad file).
    InputInvalid = "input.invalid",
    /// An amount is not a number the ledger can read: empty, negative, or with thousands
    /// separators out of place (the message names the input and the accepted form).
    InputBadAmount = "input.bad_amount",
    /// An amount has more decimal places than its asset (give fewer, or minor units as `*_units`).
    InputTooManyDecimals = "input.too_many_decimals",
    /// An amount, in minor units, is larger than the ledger can hold (2^128 − 1).
    InputAmountTooLarge = "input.amount_too_large",
    /// A wallet was named by something that names no wallet: no party has this id, no wallet's
    /// hex starts with it, or the party has no wallet.
    InputUnknownName = "input.unknown_name",
    /// A wallet's hex prefix matches more than one wallet (the message lists them).
    InputAmbiguousWallet = "input.ambiguous_wallet",
    /// No settlement instruction has this id.
    SettlementUnknown = "settlement.unknown",
    /// The legs are invalid: none, too many, a zero amount, a duplicate, or a wallet paying itself.
    SettlementBadLegs = "settlement.bad_legs",
    /// The settlement mode, value date or expiry do not fit together.
    SettlementBadSchedule = "settlement.bad_schedule",
    /// Only a party on the legs, or a registered venue, may create or reject the instruction.
    SettlementNotAParty = "settlement.not_a_party",
    /// The signer's party sends on no leg of this instruction: there is nothing for it to affirm.
    SettlementNotASender = "settlement.not_a_sender",
    /// The signer's party has already affirmed.
    SettlementAlreadyAffirmed = "settlement.already_affirmed",
    /// The signer's party has not affirmed, so there is nothing to withdraw.
    SettlementNotAffirmed = "settlement.not_affirmed",
    /// The instruction is no longer pending (settled, failed, cancelled, rejected or expired).
    SettlementClosed = "settlement.closed",
    /// Only the instruction's creator or venue may cancel it, and only the venue settles manually.
    SettlementNotVenue = "settlement.not_venue",
    /// The instruction cannot settle yet: not every sending party has affirmed, or it is not due.
    SettlementNotReady = "settlement.not_ready",
    /// No hash time-lock has this id.
    HtlcUnknown = "htlc.unknown",
    /// The preimage does not hash to the lock.
    HtlcBadPreimage = "htlc.bad_preimage",
    /// The deadline has passed: the lock can only be refunded.
    HtlcExpired = "htlc.expired",
    /// The deadline has not passed: the sender cannot refund yet.
    HtlcNotExpired = "htlc.not_expired",
    /// The lock was already claimed or refunded.
    HtlcClosed = "htlc.closed",
    /// Only the lock's receiver may claim it, and only its sender may refund it.
    HtlcWrongParty = "htlc.wrong_party",
    /// The deadline must be after the block time.
    HtlcBadDeadline = "htlc.bad_deadline",
    /// The receiving party's kind (bank, fund, ...) is not allowed to hold the asset.
    CompliancePartyKind = "compliance.party_kind",
    /// The operation needs a cash token of another kind (stablecoin, deposit token, CBDC, settlement token).
    CashWrongKind = "cash.wrong_kind",
    /// This fiat receipt or payout reference was already used: each backs one issue or redemption.
    CashDuplicateReference = "cash.duplicate_reference",
    /// No conversion is registered between these two assets.
    CashNoConversion = "cash.no_conversion",
    /// A conversion pair must join a wholesale CBDC and a settlement token of the same currency.
    CashBadConversion = "cash.bad_conversion",
    /// No tender has this id.
    EscrowUnknown = "escrow.unknown",
    /// The tender is not in a state that allows this (closed, not awarded, already awarded).
    EscrowClosed = "escrow.closed",
    /// Too late to bid, or too early to award.
    EscrowDeadline = "escrow.deadline",
    /// This party already placed a bid bond on the tender.
    EscrowAlreadyBid = "escrow.already_bid",
    /// Only the tendering wallet may award, complete, declare default or cancel.
    EscrowNotOwner = "escrow.not_owner",
    /// The wallet is not a bidder of this tender (or is its owner, who cannot bid).
    EscrowNotABidder = "escrow.not_a_bidder",
    /// The tender's terms are invalid (deadline, bond, number of bids).
    EscrowBadTerms = "escrow.bad_terms",
    /// No repo has this id.
    RepoUnknown = "repo.unknown",
    /// The repo is not in a state that allows this (not proposed, not open, past its deadline).
    RepoClosed = "repo.closed",
    /// Only the repo's lender or borrower (the right one for the step) may do this.
    RepoNotAParty = "repo.not_a_party",
    /// The collateral does not cover the cash after the haircut.
    RepoUndercollateralized = "repo.undercollateralized",
    /// The repo's terms are invalid (amounts, price, haircut, rate, dates, parties).
    RepoBadTerms = "repo.bad_terms",
    /// The yield class is invalid or missing (asset kind, basis, cut-off, payout day, rate).
    YieldBadClass = "yield.bad_class",
    /// The oracle feed or source definition is invalid (id, sources, quorum, bounds) or exists.
    OracleBadFeed = "oracle.bad_feed",
    /// The wallet is not a registered oracle source.
    OracleUnknownSource = "oracle.unknown_source",
    /// No oracle feed has this id.
    OracleUnknownFeed = "oracle.unknown_feed",
    /// The source is registered but not a source of this feed.
    OracleWrongFeed = "oracle.wrong_feed",
    /// The report is observed after the block time, or not after the source's previous report.
    OracleFuture = "oracle.future",
    /// The reported value is zero or negative.
    OracleBadValue = "oracle.bad_value",
    /// No fund has this id.
    FundUnknown = "fund.unknown",
    /// The asset is not a share class of a fund.
    FundUnknownClass = "fund.unknown_class",
    /// The fund, share class or serviced security definition is invalid.
    FundBadSpec = "fund.bad_spec",
    /// The portfolio position is invalid (identifier, amounts, maturity, rate) or unknown.
    FundBadPosition = "fund.bad_position",
    /// The fund's cash at the custodian does not cover the movement.
    FundInsufficientCash = "fund.insufficient_cash",
    /// The fund's breaker tripped: subscriptions and redemptions wait for a governance reset.
    FundHalted = "fund.halted",
    /// A breaker reset for a fund that is not halted.
    FundNotHalted = "fund.not_halted",
    /// The subscription is below the class's minimum first or later investment (or buys nothing).
    FundBelowMinimum = "fund.below_minimum",
    /// The custodian statement does not fit the fund (e.g. cash in another currency).
    FundBadStatement = "fund.bad_statement",
    /// A reconciliation found breaks against the custodian's statement, or a reserve ratio
    /// below 1 (`tessera reconcile` prints it all, then exits non-zero).
    FundReconciliationBreak = "fund.reconciliation_break",
    /// A bill's price per 100 or discount rate gives no price above 0 and below 200.
    BillBadPrice = "bill.bad_price",
    /// Settlement is not before the bill's maturity, or is more than a year before it.
    BillBadTerm = "bill.bad_term",
    /// The ledger holds no security with this CUSIP and no maturity was given.
    BillNoMaturity = "bill.no_maturity",
    /// The ledger's security with this CUSIP is a note or bond: discount yields are for bills.
    BillNotABill = "bill.not_a_bill",
    /// The HTTP request is not understood: malformed JSON, an unknown field, a bad parameter.
    ApiBadRequest = "api.bad_request",
    /// The request body is not of a content type this route accepts.
    ApiUnsupportedMediaType = "api.unsupported_media_type",
    /// The request body exceeds the node's size limit.
    ApiPayloadTooLarge = "api.payload_too_large",
    /// No such route, or no such resource (block, transaction, fund, …).
    ApiNotFound = "api.not_found",
    /// The route exists but not with this HTTP method.
    ApiMethodNotAllowed = "api.method_not_allowed",
    /// The request carries no credentials, or a bad or expired token or challenge.
    ApiUnauthenticated = "api.unauthenticated",
    /// The caller is authenticated but may not read this (someone else's data).
    ApiForbidden = "api.forbidden",
    /// Too many requests from this key or address; retry after the hinted delay.
    ApiRateLimited = "api.rate_limited",
    /// The sequencer's queue is full; nothing was accepted; retry after the hinted delay.
    ApiBusy = "api.busy",
    /// The request took longer than the node's time limit; a submission may still commit
    /// (look its id up).
    ApiTimeout = "api.timeout",
    /// The node is shutting down and takes no new work.
    ApiShuttingDown = "api.shutting_down",
    /// This node does not sequence transactions: it is a standby waiting to take over the
    /// writer's role, or a read replica. Retry (a standby may lead in seconds) or send to the
    /// leader.
    ApiNotLeader = "api.not_leader",
    /// A collateral schedule is malformed: a haircut or limit outside 0–100%, overlapping
    /// maturity bands, too many rows, a bad deadline.
    CollateralBadSchedule = "collateral.bad_schedule",
    /// The party is not a clearing house with a collateral schedule.
    CollateralNotAClearingHouse = "collateral.not_a_clearing_house",
    /// The party is not a member of this clearing house (no margin account).
    CollateralUnknownMember = "collateral.unknown_member",
    /// The party is already a member of this clearing house.
    CollateralAlreadyMember = "collateral.already_member",
    /// The input was not signed by a wallet of the clearing house or lender it speaks for.
    CollateralForeignInput = "collateral.foreign_input",
    /// Only the pledgee (or, within its rules, the pledgor) acts on a pledge; this signer is
    /// neither, or the wallet is not the pledgor's.
    CollateralNotPledgee = "collateral.not_pledgee",
    /// The clearing house's schedule does not accept this collateral (kind, issuer country,
    /// currency).
    CollateralIneligible = "collateral.ineligible",
    /// The pledge would take the clearing house's deposits of one fund above its limit.
    CollateralConcentration = "collateral.concentration",
    /// Taking this collateral out would leave coverage below the requirement.
    CollateralBelowRequirement = "collateral.below_requirement",
    /// After the swap the collateral would not cover the requirement.
    CollateralSubstitutionUndercovers = "collateral.substitution_undercovers",
    /// Less is pledged than the amount to release, withdraw or swap out.
    CollateralNotPledged = "collateral.not_pledged",
    /// The account defaulted (its call's deadline passed unmet): nothing more is posted or
    /// taken out.
    CollateralAccountDefaulted = "collateral.account_defaulted",
    /// The account holds the most pledges it may (one per asset and wallet).
    CollateralTooManyPledges = "collateral.too_many_pledges",
    /// Loan terms are malformed (loan-to-value limits, rate).
    CollateralBadLoan = "collateral.bad_loan",
    /// No loan has this id.
    CollateralLoanUnknown = "collateral.loan_unknown",
    /// The loan is not in a state that allows this (funded, repaid, liquidated, cancelled).
    CollateralLoanState = "collateral.loan_state",
    /// The loan would start above its maximum loan-to-value.
    CollateralLtvExceeded = "collateral.ltv_exceeded",
    /// The clearing house holds collateral tri-party and the member has no segregated account
    /// at its custodian yet, or the account named is not the member's.
    CollateralNoSegregatedAccount = "collateral.no_segregated_account",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A typed refusal: a stable code and a human message. The same value reaches the CLI, the
/// API and failure receipts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub message: String,
}

impl Refusal {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Refusal { code, message: message.into() }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Refusal {}

/// Shorthand for building an `Err(Refusal)`.
pub fn refuse<T>(code: Code, message: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal::new(code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert_eq!(Code::parse(c.as_str()), Some(*c));
            assert!(!c.meaning().is_empty(), "{c} has no meaning");
            assert!(c.as_str().contains('.'));
        }
    }
}
