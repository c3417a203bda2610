//! Any text: the scenario parser refuses with a code or parses; it never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tessera_cli::scenario::parse(text);
    }
});
