//! Any bytes: the custodian statement parser returns positions or an error naming a line;
//! never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = tessera_core::statement::parse_statement(text) {
            assert!(e.line <= text.lines().count());
        }
    }
});
