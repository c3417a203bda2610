//! Which wallets a value names — an operation, an event, a receipt, a record — found by type,
//! not by text: `WalletId` serializes as a newtype struct named "WalletId" (transparent in JSON
//! and YAML), and [`wallets_in`] walks the value through serde and keeps exactly those. A hash
//! or a reference that happens to hold the same 64 hex digits is not a wallet, and a variant
//! added later is covered without anyone listing its fields. Read visibility (SPEC A2) rests
//! on this.

use crate::types::WalletId;
use serde::ser::{self, Impossible, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;

/// The name `WalletId`'s `Serialize` gives its newtype struct.
pub const WALLET_ID_NEWTYPE: &str = "WalletId";

/// Every wallet `value` holds in a field of type `WalletId`, at any depth.
pub fn wallets_in<T: Serialize + ?Sized>(value: &T) -> BTreeSet<WalletId> {
    let mut found = BTreeSet::new();
    // Collecting never fails: every method below returns Ok.
    value.serialize(Collector { found: &mut found }).expect("collecting wallets cannot fail");
    found
}

#[derive(Debug)]
pub struct Never;

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unreachable")
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Never
    }
}

struct Collector<'a> {
    found: &'a mut BTreeSet<WalletId>,
}

/// Reads the hex a `WalletId` serializes as.
struct HexOf<'a> {
    found: &'a mut BTreeSet<WalletId>,
}

macro_rules! ignore_scalars {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result<(), Never> {
            Ok(())
        })*
    };
}

impl<'a> Serializer for Collector<'a> {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    ignore_scalars!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );

    fn serialize_none(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, v: &T) -> Result<(), Never> {
        if name == WALLET_ID_NEWTYPE {
            v.serialize(HexOf { found: self.found })
        } else {
            v.serialize(self)
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
}

impl Collector<'_> {
    fn visit<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
        v.serialize(Collector { found: self.found })
    }
}

macro_rules! compound {
    ($($trait:ident :: $method:ident),* $(,)?) => {
        $(impl ser::$trait for Collector<'_> {
            type Ok = ();
            type Error = Never;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
                self.visit(v)
            }
            fn end(self) -> Result<(), Never> {
                Ok(())
            }
        })*
    };
}
compound!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field,
);

impl ser::SerializeMap for Collector<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Never> {
        self.visit(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
        self.visit(v)
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

impl ser::SerializeStruct for Collector<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, v: &T) -> Result<(), Never> {
        self.visit(v)
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Collector<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &'static str, v: &T) -> Result<(), Never> {
        self.visit(v)
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

impl<'a> Serializer for HexOf<'a> {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Impossible<(), Never>;
    type SerializeTuple = Impossible<(), Never>;
    type SerializeTupleStruct = Impossible<(), Never>;
    type SerializeTupleVariant = Impossible<(), Never>;
    type SerializeMap = Impossible<(), Never>;
    type SerializeStruct = Impossible<(), Never>;
    type SerializeStructVariant = Impossible<(), Never>;

    fn serialize_str(self, s: &str) -> Result<(), Never> {
        let wallet = WalletId::from_hex(s).expect("a WalletId serializes as its 64 hex digits");
        self.found.insert(wallet);
        Ok(())
    }

    ignore_scalars!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_bytes(&[u8]),
        serialize_unit_struct(&'static str),
    );
    fn serialize_none(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Never> {
        Err(Never)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Never> {
        Err(Never)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Never> {
        Err(Never)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Never> {
        Err(Never)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Never> {
        Err(Never)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Never> {
        Err(Never)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Never> {
        Err(Never)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::{Event, Outcome};
    use crate::op::{self, Op};
    use crate::types::*;

    #[test]
    fn wallets_in_an_operation_are_found_by_type_and_a_hash_with_the_same_bytes_is_not_one() {
        let (a, b) = (WalletId([1; 32]), WalletId([2; 32]));
        let lock = Op::HtlcLock(op::HtlcLock {
            asset: Symbol::new("USDX"),
            to: a,
            amount: 5,
            // The same 32 bytes as wallet b, but a hash: not a wallet.
            hash_lock: Hash([2; 32]),
            deadline: Time(9),
        });
        assert_eq!(wallets_in(&lock), BTreeSet::from([a]));
        let recovered = Event::WalletRecovered { lost: a, new: b, assets: 1, reference: hex::encode([3u8; 32]) };
        assert_eq!(wallets_in(&recovered), BTreeSet::from([a, b]));
        let failed = Outcome::Failed { op_index: 0, code: "x".into(), message: b.to_hex() };
        assert!(wallets_in(&failed).is_empty(), "a wallet's hex inside a message is text, not a wallet");
    }

    #[test]
    fn a_wallet_id_still_serializes_as_its_hex_in_json() {
        let w = WalletId([0xab; 32]);
        assert_eq!(serde_json::to_value(w).unwrap(), serde_json::Value::String("ab".repeat(32)));
    }
}
