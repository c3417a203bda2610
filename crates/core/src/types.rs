//! Domain types shared by every module: amounts, keys, ids, roles, claims, asset kinds.
//! Text-bearing ids are validated by `check_*` functions in the stateless phase, so the state
//! machine only ever sees well-formed values.

use crate::code::{refuse, Code, Refusal};
use borsh::{BorshDeserialize, BorshSchema, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

pub use crate::time::Time;
pub use crate::units::{format_amount, format_units, parse_units, AmountText};

/// An amount in an asset's minor units. All arithmetic on it is checked.
pub type Amount = u128;

/// Limits on text fields (bytes), named so they can be tested at the bound.
pub const MAX_ID_LEN: usize = 64;
pub const MAX_SYMBOL_LEN: usize = 16;
pub const MAX_TEXT_LEN: usize = 256;
pub const MAX_DECIMALS: u8 = 18;

/// Adds two amounts or refuses with `amount.overflow`.
pub fn add(a: Amount, b: Amount) -> Result<Amount, Refusal> {
    a.checked_add(b).ok_or_else(|| Refusal::new(Code::AmountOverflow, "amount overflow"))
}

/// Serde for amounts: a JSON/YAML integer, or a decimal string for values beyond 2^64.
pub mod amount_serde {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Amount, s: S) -> Result<S::Ok, S::Error> {
        match u64::try_from(*v) {
            Ok(small) => s.serialize_u64(small),
            Err(_) => s.serialize_str(&v.to_string()),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Num(u64),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Num(n) => Ok(n as Amount),
            Repr::Text(t) => parse_amount(&t).ok_or_else(|| {
                serde::de::Error::custom(format!("bad amount {t:?}: a non-negative integer in minor units"))
            }),
        }
    }
    pub fn parse_amount(t: &str) -> Option<Amount> {
        let digits: String = t.trim().chars().filter(|c| *c != '_' && *c != ',').collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }
}

/// Serde for `Option<Amount>`.
pub mod opt_amount_serde {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<Amount>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(a) => amount_serde::serialize(a, s),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Amount>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "amount_serde")] Amount);
        Ok(Option::<W>::deserialize(d)?.map(|w| w.0))
    }
}

macro_rules! hex32 {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(
            Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, BorshSerialize, BorshDeserialize, BorshSchema,
        )]
        pub struct $name(pub [u8; 32]);

        impl $name {
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
            pub fn from_hex(s: &str) -> Option<Self> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s.trim(), &mut out).ok()?;
                Some($name(out))
            }
            /// First 8 hex digits, for people.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..4])
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                // A newtype struct is transparent in JSON and YAML; its name lets
                // `wallet_refs` tell a wallet from any other 32 bytes.
                s.serialize_newtype_struct(stringify!($name), &self.to_hex())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as Deserialize>::deserialize(d)?;
                $name::from_hex(&s)
                    .ok_or_else(|| serde::de::Error::custom(format!("expected 64 hex digits, got {s:?}")))
            }
        }
    };
}

hex32!(WalletId, "A wallet: the Ed25519 public key that signs for it.");
hex32!(Hash, "A SHA-256 digest.");

macro_rules! text_id {
    ($name:ident, $doc:literal) => {
        #[doc = $doc]
        #[derive(
            Clone,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            Default,
            BorshSerialize,
            BorshDeserialize,
            BorshSchema,
            Serialize,
            Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                $name(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
    };
}

text_id!(PartyId, "A party's id: 1–64 chars of [a-z0-9._-].");
text_id!(Symbol, "An asset's symbol: 1–16 chars of [A-Z0-9._-], starting with a letter.");

pub fn check_party_id(p: &PartyId) -> Result<(), Refusal> {
    let s = p.as_str();
    let ok = !s.is_empty()
        && s.len() <= MAX_ID_LEN
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        refuse(Code::PartyBadId, format!("bad party id {s:?}: 1-64 chars of [a-z0-9._-]"))
    }
}

pub fn check_symbol(sym: &Symbol) -> Result<(), Refusal> {
    let s = sym.as_str();
    let ok = !s.is_empty()
        && s.len() <= MAX_SYMBOL_LEN
        && s.as_bytes()[0].is_ascii_uppercase()
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        refuse(Code::AssetInvalid, format!("bad symbol {s:?}: 1-16 chars of [A-Z0-9._-], starting with a letter"))
    }
}

pub fn check_text(field: &str, s: &str, max: usize) -> Result<(), Refusal> {
    if s.len() > max {
        return refuse(Code::FieldTooLong, format!("{field} is {} bytes; the limit is {max}", s.len()));
    }
    Ok(())
}

/// ISO 3166-1 alpha-2 shape: two ASCII uppercase letters.
pub fn check_country(c: &str) -> Result<(), Refusal> {
    if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        refuse(Code::ClaimInvalid, format!("bad country code {c:?}: ISO 3166-1 alpha-2, e.g. US"))
    }
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    /// Mints and burns; acts as transfer agent (forced transfers, recovery).
    IssuerAgent,
    ComplianceOfficer,
    Oracle,
    Custodian,
    /// Emergency pause.
    Pauser,
    /// Reads everything, changes nothing.
    Auditor,
    /// A trading venue: creates settlement instructions for others and settles them manually.
    Venue,
}

impl Role {
    /// What a single ledger operator holds: every role but auditor.
    pub const OPERATOR: [Role; 6] =
        [Role::Admin, Role::IssuerAgent, Role::ComplianceOfficer, Role::Pauser, Role::Oracle, Role::Custodian];
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::IssuerAgent,
        Role::ComplianceOfficer,
        Role::Oracle,
        Role::Custodian,
        Role::Pauser,
        Role::Auditor,
        Role::Venue,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::IssuerAgent => "issuer_agent",
            Role::ComplianceOfficer => "compliance_officer",
            Role::Oracle => "oracle",
            Role::Custodian => "custodian",
            Role::Pauser => "pauser",
            Role::Auditor => "auditor",
            Role::Venue => "venue",
        }
    }
}

/// Where a role or a pause applies.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Global,
    Asset(Symbol),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Asset(s) => write!(f, "asset {s}"),
        }
    }
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InvestorClass {
    Retail,
    Accredited,
    QualifiedPurchaser,
    /// Qualified institutional buyer (Rule 144A).
    Qib,
    /// Non-US person (Regulation S).
    NonUsPerson,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Individual,
    Institution,
    Fund,
    Dao,
    Operator,
    /// A commercial bank (may hold wholesale central-bank money).
    Bank,
    CentralBank,
    /// A central counterparty: publishes a collateral schedule, takes pledges as margin.
    #[serde(alias = "ccp")]
    ClearingHouse,
}

/// A claim made about a party by a trusted claim issuer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    Kyc,
    InvestorClass(InvestorClass),
    /// ISO 3166-1 alpha-2 country of residence or incorporation.
    Jurisdiction(String),
    /// A beneficial owner at 25% or more; share in basis points.
    BeneficialOwner {
        name: String,
        share_bps: u16,
    },
    Sanctioned,
}

/// What a claim is about, without its value: trust is granted per topic, and a party holds at
/// most one live claim per topic value.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimTopic {
    Kyc,
    InvestorClass,
    Jurisdiction,
    BeneficialOwner,
    Sanctioned,
}

impl ClaimTopic {
    pub const ALL: [ClaimTopic; 5] = [
        ClaimTopic::Kyc,
        ClaimTopic::InvestorClass,
        ClaimTopic::Jurisdiction,
        ClaimTopic::BeneficialOwner,
        ClaimTopic::Sanctioned,
    ];
}

impl Claim {
    pub fn topic(&self) -> ClaimTopic {
        match self {
            Claim::Kyc => ClaimTopic::Kyc,
            Claim::InvestorClass(_) => ClaimTopic::InvestorClass,
            Claim::Jurisdiction(_) => ClaimTopic::Jurisdiction,
            Claim::BeneficialOwner { .. } => ClaimTopic::BeneficialOwner,
            Claim::Sanctioned => ClaimTopic::Sanctioned,
        }
    }
    pub fn check(&self) -> Result<(), Refusal> {
        match self {
            Claim::Jurisdiction(c) => check_country(c),
            Claim::BeneficialOwner { name, share_bps } => {
                check_text("beneficial owner name", name, MAX_TEXT_LEN)?;
                if !(2500..=10_000).contains(share_bps) {
                    return refuse(Code::ClaimInvalid, "a beneficial owner claim is for 25% (2500 bps) to 100%");
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NavKind {
    /// $1.00 per token; yield is paid as new tokens (BUIDL, BENJI, WTGXX).
    Stable,
    /// Fixed balance, rising price (USDY, OUSG, USYC).
    Accumulating,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecurityType {
    Bill,
    Note,
    Bond,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CashKind {
    Stablecoin,
    BankDeposit,
    WholesaleCbdc,
    SettlementToken,
}

/// The three asset kinds of L3.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AssetKind {
    FundShare {
        nav: NavKind,
    },
    TreasurySecurity {
        security: SecurityType,
        /// Validated by check digit. An operation may give the US ISIN instead; the asset keeps
        /// the CUSIP (see [`canonical_cusip`]).
        cusip: String,
        maturity: Time,
        /// Annual coupon rate in millionths (4.25% = 42_500); zero for bills.
        coupon_micros: u32,
    },
    CashToken {
        cash: CashKind,
        /// ISO 4217 code of the currency it stands for.
        currency: String,
    },
}

impl AssetKind {
    pub fn name(&self) -> &'static str {
        match self {
            AssetKind::FundShare { .. } => "fund_share",
            AssetKind::TreasurySecurity { .. } => "treasury_security",
            AssetKind::CashToken { .. } => "cash_token",
        }
    }
    /// The ISIN derived from the CUSIP, for Treasury securities.
    pub fn isin(&self) -> Option<String> {
        match self {
            AssetKind::TreasurySecurity { cusip, .. } => {
                crate::identifiers::Cusip::parse(cusip).ok().and_then(|c| c.to_us_isin().ok()).map(|i| i.to_string())
            }
            _ => None,
        }
    }
    pub fn check(&self) -> Result<(), Refusal> {
        match self {
            AssetKind::FundShare { .. } => Ok(()),
            AssetKind::TreasurySecurity { security, cusip, coupon_micros, .. } => {
                canonical_cusip(cusip)?;
                if *security == SecurityType::Bill && *coupon_micros != 0 {
                    return refuse(Code::AssetInvalid, "a bill pays no coupon: coupon_micros must be 0");
                }
                if *coupon_micros > 1_000_000 {
                    return refuse(Code::AssetInvalid, "coupon above 100%");
                }
                Ok(())
            }
            AssetKind::CashToken { currency, .. } => {
                if currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase()) {
                    Ok(())
                } else {
                    refuse(Code::AssetInvalid, format!("bad currency {currency:?}: ISO 4217, e.g. USD"))
                }
            }
        }
    }

    /// The same kind with a Treasury security's identifier as its CUSIP (an ISIN given in the
    /// operation is stored as the CUSIP inside it).
    pub fn canonical(&self) -> Result<AssetKind, Refusal> {
        let mut k = self.clone();
        if let AssetKind::TreasurySecurity { cusip, .. } = &mut k {
            *cusip = canonical_cusip(cusip)?;
        }
        Ok(k)
    }
}

/// Maps the identifiers module's stable code strings onto [`Code`].
pub fn identifier_code(s: &str) -> Code {
    Code::parse(s).unwrap_or(Code::AssetInvalid)
}

/// The CUSIP of a security identifier given by a person or an operation: a CUSIP, or a US ISIN
/// whose CUSIP is taken. The ledger keys securities by CUSIP, so each has one spelling.
pub fn canonical_cusip(s: &str) -> Result<String, Refusal> {
    crate::identifiers::Cusip::parse_cusip_or_isin(s)
        .map(String::from)
        .map_err(|e| Refusal::new(identifier_code(e.code()), e.to_string()))
}

/// Why a forced transfer happened (L8).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, BorshSerialize, BorshDeserialize, BorshSchema, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ForceReason {
    CourtOrder,
    LawfulSeizure,
    RegulatoryAction,
    ErrorCorrection,
    Other,
}

/// What an entry of the sanctions list matches.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    BorshSchema,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SanctionTarget {
    Wallet(WalletId),
    Party(PartyId),
    /// An address on another chain (as published by OFAC), matched against parties' linked
    /// addresses. Currency code upper case. An operation carries the address as published;
    /// the sanctions list holds it canonical (see `chain_address`).
    Address {
        currency: String,
        address: String,
    },
}

impl SanctionTarget {
    /// The same target with an address in canonical form, the key the sanctions list uses.
    pub fn canonical(&self) -> SanctionTarget {
        match self {
            SanctionTarget::Address { currency, address } => {
                let (currency, address) = crate::chain_address::canonical(currency, address);
                SanctionTarget::Address { currency, address }
            }
            other => other.clone(),
        }
    }

    pub fn check(&self) -> Result<(), Refusal> {
        match self {
            SanctionTarget::Wallet(_) => Ok(()),
            SanctionTarget::Party(p) => check_party_id(p),
            SanctionTarget::Address { currency, address } => {
                let ok = !currency.is_empty()
                    && currency.len() <= 10
                    && currency.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                    && !address.is_empty()
                    && address.len() <= 128
                    && address.bytes().all(|b| b.is_ascii_graphic());
                if ok {
                    Ok(())
                } else {
                    refuse(Code::SanctionsInvalid, format!("bad sanctioned address {currency}:{address}"))
                }
            }
        }
    }
}

/// Serde for byte strings as hex.
pub mod hex_bytes {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let t = <String as Deserialize>::deserialize(d)?;
        hex::decode(t.trim()).map_err(|_| serde::de::Error::custom(format!("bad hex {t:?}")))
    }
}

/// Dense indexes of wallets, parties and assets in the state's tables (assigned in order of
/// registration, never reused).
pub type WalletIdx = u32;
pub type PartyIdx = u32;
pub type AssetIdx = u32;

/// JSON schemas of the types whose serde is written by hand, saying exactly what it writes
/// (the node's OpenAPI document is built from them).
#[cfg(feature = "openapi")]
mod schemas {
    use super::*;
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
    use utoipa::openapi::RefOr;

    fn text(pattern: Option<&str>, min_length: Option<usize>, description: &str, example: &str) -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(pattern)
            .min_length(min_length)
            .description(Some(description))
            .examples([example])
            .into()
    }

    impl utoipa::PartialSchema for WalletId {
        fn schema() -> RefOr<Schema> {
            text(
                Some("^[0-9a-f]{64}$"),
                None,
                "A wallet: its Ed25519 public key, 64 lower-case hex digits.",
                "37990b0953a1d0e8e7c9fae5e05e1f5aa0c5cfe1b1fbe0c8e1d2f4e5a6b7c8d9",
            )
        }
    }
    impl utoipa::ToSchema for WalletId {}

    impl utoipa::PartialSchema for Hash {
        fn schema() -> RefOr<Schema> {
            text(
                Some("^[0-9a-f]{64}$"),
                None,
                "A SHA-256 digest, 64 lower-case hex digits.",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            )
        }
    }
    impl utoipa::ToSchema for Hash {}

    impl utoipa::PartialSchema for PartyId {
        fn schema() -> RefOr<Schema> {
            text(None, Some(1), "A party's id, e.g. `alpha-fund`.", "alpha-fund")
        }
    }
    impl utoipa::ToSchema for PartyId {}

    impl utoipa::PartialSchema for Symbol {
        fn schema() -> RefOr<Schema> {
            text(None, Some(1), "An asset, fund or share-class symbol, e.g. `USDX`.", "USDX")
        }
    }
    impl utoipa::ToSchema for Symbol {}

    /// What `amount_serde` writes: the schema of every [`Amount`] in JSON (`Amount` itself is a
    /// `u128`; fields name this type with `#[schema(value_type = AmountSchema)]`).
    pub struct AmountSchema;

    /// What `amount_serde` writes for any `u128`: a JSON integer, or a digit string past 2^64 − 1.
    fn integer_or_digits(description: &str) -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)).maximum(Some(u64::MAX as f64)))
            .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[0-9]+$")))
            .description(Some(description))
            .into()
    }

    impl utoipa::PartialSchema for AmountSchema {
        fn schema() -> RefOr<Schema> {
            integer_or_digits(
                "An amount in the asset's minor units: a JSON integer, or a decimal string when it exceeds 2^64 - 1.",
            )
        }
    }
    impl utoipa::ToSchema for AmountSchema {
        fn name() -> std::borrow::Cow<'static, str> {
            "Amount".into()
        }
    }

    /// What [`crate::units::decimal_units`] writes: an amount in the asset's units, the twin
    /// of every minor-units field in an answer (`amount` beside `amount_units`).
    pub struct DecimalAmountSchema;

    impl utoipa::PartialSchema for DecimalAmountSchema {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[0-9]+(\\.[0-9]+)?$"))
                .description(Some(
                    "An amount in the asset's units: a decimal string with exactly the asset's decimals and no \
                     grouping (\"1500.000000\" for 1,500 of an asset with 6 decimals). The same amount in minor \
                     units is the field of the same name with `_units` appended.",
                ))
                .examples(["1500.000000"])
                .into()
        }
    }
    impl utoipa::ToSchema for DecimalAmountSchema {
        fn name() -> std::borrow::Cow<'static, str> {
            "DecimalAmount".into()
        }
    }

    /// A large integer that is not an amount of an asset (a price in micro-units of cash per
    /// minor unit), written as `amount_serde` writes: answers do not write it twice.
    pub struct LargeIntegerSchema;

    impl utoipa::PartialSchema for LargeIntegerSchema {
        fn schema() -> RefOr<Schema> {
            integer_or_digits("A JSON integer, or a decimal string when it exceeds 2^64 - 1.")
        }
    }
    impl utoipa::ToSchema for LargeIntegerSchema {
        fn name() -> std::borrow::Cow<'static, str> {
            "LargeInteger".into()
        }
    }
}
#[cfg(feature = "openapi")]
pub use schemas::{AmountSchema, DecimalAmountSchema, LargeIntegerSchema};
