//! Any byte string: decoding never panics; whatever decodes re-encodes to the same bytes
//! (the encoding is canonical), and its id is stable.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::tx::{CheckedTx, SignedTx};

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = SignedTx::decode(data) {
        assert_eq!(tx.to_bytes(), data, "decoding accepted a non-canonical encoding");
        assert_eq!(tx.id(), SignedTx::decode(&tx.to_bytes()).unwrap().id());
    }
    let _ = CheckedTx::from_bytes(data);
});
