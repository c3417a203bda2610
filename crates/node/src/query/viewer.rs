//! Who sees what (SPEC A2), decided here and nowhere else: a party sees its own wallets and the
//! rows and transactions that involve them; auditors and compliance officers see everything;
//! an issuer agent sees the holders of the assets its role covers; operators (any role) see the
//! proposals; published information (assets, funds and NAV, feeds, block headers) is public.
//!
//! Visibility is decided by structure: every answer row says which wallets and parties it
//! involves ([`Involves`]), and [`Viewer::sees`] compares that with the viewer's own.

use serde::Serialize;
use std::collections::BTreeSet;
use tessera_core::block::Receipt;
use tessera_core::exec::Chain;
use tessera_core::movement::Intent;
use tessera_core::op::Op;
use tessera_core::state::State;
use tessera_core::wallet_refs::wallets_in;
use tessera_core::{Code, PartyId, Refusal, Role, Symbol, WalletId};

/// The wallets and parties an answer row concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Involved {
    pub wallets: BTreeSet<WalletId>,
    pub parties: BTreeSet<PartyId>,
}

impl Involved {
    pub fn wallets(ws: impl IntoIterator<Item = WalletId>) -> Involved {
        Involved { wallets: ws.into_iter().collect(), parties: BTreeSet::new() }
    }

    /// Also every wallet held anywhere in `v`, found by type (`wallet_refs`): a wallet counts
    /// when a field of type `WalletId` holds it, never because its hex appears in some text.
    pub fn with_wallets_in<T: Serialize + ?Sized>(mut self, v: &T) -> Involved {
        self.wallets.extend(wallets_in(v));
        self
    }
}

/// An answer row that can say whom it concerns.
pub trait Involves {
    fn involves(&self) -> Involved;
}

/// A journaled transaction concerns its signer and every wallet its operations or its outcome
/// (events, failure) hold.
pub fn tx_involves(signer: &WalletId, ops: &[Op], receipt: &Receipt) -> Involved {
    Involved::wallets([*signer]).with_wallets_in(ops).with_wallets_in(&receipt.outcome)
}

fn unauthenticated(msg: impl Into<String>) -> Refusal {
    Refusal::new(Code::ApiUnauthenticated, msg)
}

/// Who is reading, and what their roles let them see.
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    /// The authenticated wallet (None: anonymous, or the holder of the data directory).
    pub wallet: Option<WalletId>,
    /// Every wallet of the viewer's party.
    pub own: BTreeSet<WalletId>,
    pub party: Option<String>,
    /// Auditor or compliance officer, or whoever holds the data directory: sees everything.
    pub sees_all: bool,
    /// Holds any governance role (sees proposals).
    pub operator: bool,
    /// Issuer agent for every asset (`None` in the set = all assets).
    pub issuer_for: BTreeSet<Option<Symbol>>,
}

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer::default()
    }

    /// Whoever holds the data directory reads the files themselves: everything.
    pub fn everything() -> Viewer {
        Viewer { sees_all: true, operator: true, issuer_for: BTreeSet::from([None]), ..Viewer::default() }
    }

    /// Resolves an authenticated wallet against the ledger's parties and roles. A wallet
    /// retired by a recovery (its key lost or stolen) is refused: its tokens stop working at
    /// the block that retires it, and it gets no new one.
    pub fn resolve(chain: &Chain, wallet: WalletId) -> Result<Viewer, Refusal> {
        let st = &chain.state;
        let mut c = Viewer { wallet: Some(wallet), ..Viewer::default() };
        let Some(&wi) = st.wallet_index.get(&wallet) else {
            return Ok(c);
        };
        let w = st.wallet(wi);
        if let Some(new) = w.retired_to {
            return Err(unauthenticated(format!(
                "wallet {} was retired by a wallet recovery (replaced by {}): it can no longer sign or read",
                wallet.short(),
                st.wallet(new).key.short()
            )));
        }
        let party = st.party(w.party);
        c.party = Some(party.id.as_str().to_string());
        c.own = party.wallets.iter().map(|i| st.wallet(*i).key).collect();
        c.sees_all = st.has_role(wi, Role::Auditor, None) || st.has_role(wi, Role::ComplianceOfficer, None);
        for (k, _) in st.roles.iter() {
            if k.wallet == wi {
                c.operator = true;
                if k.role == Role::IssuerAgent {
                    c.issuer_for.insert(k.asset.map(|a| st.asset(a).symbol.clone()));
                }
            }
        }
        Ok(c)
    }

    /// Whether the row concerns the viewer: everything for auditors, else a row involving one
    /// of the viewer's wallets or its party.
    pub fn sees(&self, row: &impl Involves) -> bool {
        self.sees_involved(&row.involves())
    }

    pub fn sees_involved(&self, i: &Involved) -> bool {
        self.sees_all
            || i.wallets.iter().any(|w| self.own.contains(w))
            || self.party.as_deref().is_some_and(|p| i.parties.iter().any(|x| x.as_str() == p))
    }

    pub fn authenticated(&self) -> Result<(), Refusal> {
        match (self.wallet, self.sees_all) {
            (Some(_), _) | (None, true) => Ok(()),
            (None, false) => {
                Err(unauthenticated("this route needs a bearer token (POST /v1/auth/challenge, then /v1/auth/token)"))
            }
        }
    }

    fn forbidden(what: &str) -> Refusal {
        Refusal::new(Code::ApiForbidden, format!("{what} belongs to another party"))
    }

    /// May read this wallet's holdings, history and locks.
    pub fn may_read_wallet(&self, w: &WalletId) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.sees_all || self.own.contains(w) {
            Ok(())
        } else {
            Err(Self::forbidden("this wallet"))
        }
    }

    /// May read a party's holdings (its own party only, unless it sees everything).
    pub fn may_read_party(&self, party: &str) -> Result<(), Refusal> {
        if self.sees_all || self.party.as_deref() == Some(party) {
            Ok(())
        } else {
            Err(Refusal::new(Code::ApiForbidden, "this party's holdings are its own"))
        }
    }

    /// May read the holder register of an asset (its issuer's party, its issuer agents).
    pub fn may_read_holders(&self, st: &State, asset: &Symbol) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.issues(asset) {
            return Ok(());
        }
        let issuer = st.asset_idx(asset).ok().map(|a| st.party(st.asset(a).issuer).id.as_str().to_string());
        if issuer.is_some() && issuer == self.party {
            return Ok(());
        }
        Err(Refusal::new(
            Code::ApiForbidden,
            format!("the holders of {asset} are for its issuer, issuer agents and auditors"),
        ))
    }

    /// Sees everything, or is an issuer agent for `asset` (or for every asset).
    pub fn issues(&self, asset: &Symbol) -> bool {
        self.sees_all || self.issuer_for.contains(&None) || self.issuer_for.contains(&Some(asset.clone()))
    }

    /// May precheck a movement: from its own wallets; a mint only as the asset's issuer agent.
    pub fn may_precheck(&self, intent: &Intent) -> Result<(), Refusal> {
        self.authenticated()?;
        match intent {
            Intent::Transfer { from, .. } | Intent::Burn { from, .. } => self.may_read_wallet(from),
            Intent::Mint { asset, .. } if self.issues(asset) => Ok(()),
            Intent::Mint { .. } => Err(Refusal::new(Code::ApiForbidden, "prechecking a mint is for issuer agents")),
        }
    }

    pub fn may_read_everything(&self, what: &str) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.sees_all {
            Ok(())
        } else {
            Err(Refusal::new(Code::ApiForbidden, format!("{what} are for auditors and compliance officers")))
        }
    }

    pub fn may_read_proposals(&self) -> Result<(), Refusal> {
        self.authenticated()?;
        if self.sees_all || self.operator {
            Ok(())
        } else {
            Err(Refusal::new(Code::ApiForbidden, "proposals are for operators and auditors"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use tessera_core::block::{Outcome, Receipt};
    use tessera_core::Hash;

    fn wallet(n: u8) -> WalletId {
        WalletId([n; 32])
    }

    /// A party "alpha" holding wallets 1 and 2.
    fn alpha() -> Viewer {
        Viewer {
            wallet: Some(wallet(1)),
            own: BTreeSet::from([wallet(1), wallet(2)]),
            party: Some("alpha".into()),
            ..Viewer::default()
        }
    }

    fn auditor() -> Viewer {
        Viewer { wallet: Some(wallet(9)), own: BTreeSet::from([wallet(9)]), sees_all: true, ..Viewer::default() }
    }

    /// A transfer of 5 X to `to`, signed by `signer`, with the given outcome.
    fn transfer(to: WalletId, outcome: Value) -> (Vec<Op>, Receipt) {
        let ops = vec![serde_json::from_value(json!({"transfer": {"asset": "X", "to": to, "amount": 5}})).unwrap()];
        let outcome: Outcome = match outcome["status"].as_str() {
            Some("failed") => Outcome::Failed {
                op_index: 0,
                code: "x".into(),
                message: outcome["message"].as_str().unwrap_or_default().into(),
            },
            _ => Outcome::Ok { events: vec![] },
        };
        (ops, Receipt { tx: Hash([7; 32]), outcome })
    }

    #[test]
    fn a_party_does_not_see_a_row_involving_only_another_partys_wallets() {
        let row = Involved::wallets([wallet(3), wallet(4)]);
        assert!(!alpha().sees_involved(&row));
    }

    #[test]
    fn a_party_sees_a_row_involving_any_one_of_its_wallets() {
        assert!(alpha().sees_involved(&Involved::wallets([wallet(3), wallet(2)])));
    }

    #[test]
    fn an_auditor_sees_a_row_involving_no_wallet_of_its_own() {
        assert!(auditor().sees_involved(&Involved::wallets([wallet(3)])));
    }

    #[test]
    fn a_party_sees_a_row_naming_its_party_and_not_one_naming_another() {
        let mut ours = Involved::default();
        ours.parties.insert(PartyId::new("alpha"));
        let mut theirs = Involved::default();
        theirs.parties.insert(PartyId::new("beta"));
        assert!(alpha().sees_involved(&ours));
        assert!(!alpha().sees_involved(&theirs));
    }

    #[test]
    fn an_anonymous_viewer_sees_no_private_row_and_is_asked_for_a_token() {
        let anon = Viewer::anonymous();
        assert!(!anon.sees_involved(&Involved::wallets([wallet(1)])));
        assert_eq!(anon.authenticated().unwrap_err().code, Code::ApiUnauthenticated);
    }

    #[test]
    fn the_holder_of_the_data_directory_sees_everything_without_a_token() {
        let me = Viewer::everything();
        assert!(me.authenticated().is_ok());
        assert!(me.sees_involved(&Involved::wallets([wallet(3)])));
        assert!(me.may_read_wallet(&wallet(3)).is_ok());
        assert!(me.may_read_proposals().is_ok());
        assert!(me.issues(&Symbol::new("X")));
    }

    #[test]
    fn a_transaction_another_party_signed_concerns_the_wallet_its_operation_pays() {
        let (ops, receipt) = transfer(wallet(2), json!({"status": "ok"}));
        let i = tx_involves(&wallet(5), &ops, &receipt);
        assert_eq!(i.wallets, BTreeSet::from([wallet(5), wallet(2)]));
        assert!(alpha().sees_involved(&i));
    }

    #[test]
    fn a_transaction_between_other_parties_is_hidden_from_a_party_and_shown_to_an_auditor() {
        let (ops, receipt) = transfer(wallet(6), json!({"status": "ok"}));
        let i = tx_involves(&wallet(5), &ops, &receipt);
        assert!(!alpha().sees_involved(&i));
        assert!(auditor().sees_involved(&i));
    }

    #[test]
    fn a_wallet_written_inside_a_message_is_not_a_wallet_the_transaction_involves() {
        // Structure, not text: only a field that holds a wallet counts.
        let msg = format!("see {} for details", wallet(1).to_hex());
        let (ops, receipt) = transfer(wallet(6), json!({"status": "failed", "message": msg}));
        assert!(!alpha().sees_involved(&tx_involves(&wallet(5), &ops, &receipt)));
    }

    #[test]
    fn a_party_may_read_its_own_wallets_and_party_and_no_one_elses() {
        let a = alpha();
        assert!(a.may_read_wallet(&wallet(2)).is_ok());
        assert_eq!(a.may_read_wallet(&wallet(3)).unwrap_err().code, Code::ApiForbidden);
        assert!(a.may_read_party("alpha").is_ok());
        assert_eq!(a.may_read_party("beta").unwrap_err().code, Code::ApiForbidden);
        assert_eq!(a.may_read_proposals().unwrap_err().code, Code::ApiForbidden);
    }
}
