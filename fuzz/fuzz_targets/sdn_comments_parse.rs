//! Any bytes as OFAC's sdn_comments.csv, alone and joined onto a real-shaped sdn.csv: the
//! parser returns rows or an error with a line number; never panics, and joining never loses
//! an entity of the SDN file.
#![no_main]
use libfuzzer_sys::fuzz_target;

const SDN: &[u8] = include_bytes!("../../scenarios/data/sdn_sample.csv");

fuzz_target!(|data: &[u8]| {
    let _ = tessera_core::ofac::parse_sdn_comments_csv(data);
    let alone = tessera_core::ofac::parse_sdn_csv(SDN).expect("the sample parses");
    if let Ok(joined) = tessera_core::ofac::parse_sdn_files(SDN, Some(data)) {
        assert_eq!(joined.entities.len(), alone.entities.len());
    }
});
