//! Any text: the CUSIP and ISIN parsers accept a value or give a typed error; never panic.
//! What parses keeps its exact spelling, and a CUSIP read from either form is a valid CUSIP
//! whose US ISIN, when the input was an ISIN, is that input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::identifiers::{Cusip, Isin};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = Cusip::parse(text) {
        assert_eq!(c.as_str(), text);
    }
    if let Ok(i) = Isin::parse(text) {
        assert_eq!(i.as_str(), text);
        let _ = i.to_cusip();
    }
    match Cusip::parse_cusip_or_isin(text) {
        Ok(c) => {
            assert_eq!(Cusip::parse(c.as_str()).as_ref(), Ok(&c));
            if text.len() == 12 {
                assert_eq!(c.to_us_isin().map(String::from).as_deref(), Ok(text));
            }
        }
        Err(e) => assert!(e.code().starts_with("identifier.")),
    }
});
