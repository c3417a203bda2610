//! Any byte string read as a portable journal export: the reader never panics; it refuses
//! with an export code or gives blocks at heights 0, 1, 2, … (docs/formats.md, "The portable
//! journal export").
#![no_main]
use libfuzzer_sys::fuzz_target;
use tessera_core::Code;
use tessera_store::export::ExportReader;

fuzz_target!(|data: &[u8]| {
    let mut reader = match ExportReader::open(data) {
        Ok(r) => r,
        Err(e) => {
            assert!(matches!(e.code(), Code::ExportBadFile | Code::ExportTornTail | Code::StoreIo));
            return;
        }
    };
    let mut expected = 0u64;
    loop {
        match reader.next_block() {
            Ok(Some(b)) => {
                assert_eq!(b.raw.height, expected);
                expected += 1;
            }
            Ok(None) => break,
            Err(e) => {
                assert!(matches!(e.code(), Code::ExportBadFile | Code::ExportTornTail | Code::StoreIo));
                break;
            }
        }
    }
});
