//! Property tests of the path guard: it never panics, and whatever it lets through has no dot
//! segment, encoded separator, backslash or control byte once decoded the way a BMC's web
//! server would decode it, so classify() and the BMC see the same resource.

use proptest::prelude::*;
use redfish::path::classify;
use redfish::safe_path::check;

/// Pieces hostile paths are made of, encoded and not.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just("%2e".to_owned()),
        Just("%2E%2e".to_owned()),
        Just("%2f".to_owned()),
        Just("%5C".to_owned()),
        Just("\\".to_owned()),
        Just("%00".to_owned()),
        Just("%".to_owned()),
        Just("%g1".to_owned()),
        Just("Systems".to_owned()),
        Just("s1-1".to_owned()),
        Just("Oem".to_owned()),
        "[a-zA-Z0-9._~-]{1,8}",
        "%[0-9a-fA-F]{2}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::collection::vec(piece(), 1..3), 0..8).prop_map(|segments| {
        let mut p = "/redfish/v1".to_owned();
        for s in segments {
            p.push('/');
            p.push_str(&s.concat());
        }
        p
    })
}

fn decoded_segments(path: &str) -> Vec<Vec<u8>> {
    path.split('/')
        .map(|s| percent_encoding::percent_decode_str(s).collect())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn what_passes_means_what_it_says(p in path()) {
        if check(&p).is_ok() {
            for seg in decoded_segments(&p) {
                prop_assert!(seg != b".." && seg != b".", "{p}");
                prop_assert!(!seg.contains(&b'/') && !seg.contains(&b'\\'), "{p}");
                prop_assert!(!seg.iter().any(u8::is_ascii_control), "{p}");
            }
            let _ = classify(&p);
        }
    }

    #[test]
    fn never_panics_on_any_string(p in ".{0,300}") {
        let _ = check(&p);
    }
}
