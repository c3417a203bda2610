//! Any bytes: the OFAC SDN parser returns a file or an error with a line number; never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tessera_core::ofac::parse_sdn_csv(data);
});
