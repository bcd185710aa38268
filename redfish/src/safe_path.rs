//! Paths a client may send. A path with a dot segment (`..`, `.`, plain or percent-encoded), an
//! encoded `/` or any `\`, a NUL or control byte, broken percent-encoding or no UTF-8, or an
//! overlong one is refused before routing: forwarded as it is, a BMC whose web server normalises
//! paths would serve something outside the resource the request was authorised for
//! (`/redfish/v1/Systems/s1-1/../../Managers`). Pure: table- and property-tested.

/// The longest path accepted, in bytes (bmcweb allows 8 KiB for the whole request target).
pub const MAX_PATH_BYTES: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRefusal {
    TooLong,
    DotSegment,
    EncodedSlash,
    Backslash,
    ControlByte,
    BadPercentEncoding,
    NotUtf8,
}

/// Ok when `path` (percent-encoded, as received, without the query) may be routed.
pub fn check(path: &str) -> Result<(), PathRefusal> {
    if path.len() > MAX_PATH_BYTES {
        return Err(PathRefusal::TooLong);
    }
    if path.bytes().any(|b| b.is_ascii_control()) {
        return Err(PathRefusal::ControlByte);
    }
    if path.contains('\\') {
        return Err(PathRefusal::Backslash);
    }
    for segment in path.split('/') {
        let decoded = decode(segment)?;
        if decoded.contains(&b'/') {
            return Err(PathRefusal::EncodedSlash);
        }
        if decoded.contains(&b'\\') {
            return Err(PathRefusal::Backslash);
        }
        if decoded.iter().any(u8::is_ascii_control) {
            return Err(PathRefusal::ControlByte);
        }
        if decoded == b"." || decoded == b".." {
            return Err(PathRefusal::DotSegment);
        }
        if std::str::from_utf8(&decoded).is_err() {
            return Err(PathRefusal::NotUtf8);
        }
    }
    Ok(())
}

/// Percent-decodes one segment, refusing a `%` not followed by two hex digits.
fn decode(segment: &str) -> Result<Vec<u8>, PathRefusal> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(PathRefusal::BadPercentEncoding)?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_refused_and_ordinary_ones_pass() {
        let long = format!("/redfish/v1/{}", "a".repeat(MAX_PATH_BYTES));
        let cases: &[(&str, Result<(), PathRefusal>)] = &[
            ("/redfish/v1/Systems/s1-1", Ok(())),
            ("/redfish/v1/Systems/s1-1/", Ok(())),
            ("/redfish/v1/Systems/s1-System%201", Ok(())),
            (
                "/redfish/v1/Systems/s1-4c4c4544-0047-3510-8058-b2c04f4d3732",
                Ok(()),
            ),
            ("/redfish/v1/Chassis/s1-1/Sensors/CPU1.Temp", Ok(())),
            ("/redfish/v1/Systems/s1-1/..", Err(PathRefusal::DotSegment)),
            (
                "/redfish/v1/Systems/s1-1/../../Managers",
                Err(PathRefusal::DotSegment),
            ),
            ("/redfish/v1/./Systems", Err(PathRefusal::DotSegment)),
            (
                "/redfish/v1/Systems/s1-1/%2e%2e/x",
                Err(PathRefusal::DotSegment),
            ),
            (
                "/redfish/v1/Systems/s1-1/.%2E/x",
                Err(PathRefusal::DotSegment),
            ),
            ("/redfish/v1/Systems/%2E", Err(PathRefusal::DotSegment)),
            (
                "/redfish/v1/Oem/RedDrum/Bmcs/s1/..%2f..%2fetc",
                Err(PathRefusal::EncodedSlash),
            ),
            (
                "/redfish/v1/Systems/s1-1%2F..",
                Err(PathRefusal::EncodedSlash),
            ),
            ("/redfish/v1/Systems\\..", Err(PathRefusal::Backslash)),
            ("/redfish/v1/Systems/s1-1%5c..", Err(PathRefusal::Backslash)),
            ("/redfish/v1/Systems/s1-1%00", Err(PathRefusal::ControlByte)),
            (
                "/redfish/v1/Systems/s1-1%0d%0aX-Injected:%201",
                Err(PathRefusal::ControlByte),
            ),
            ("/redfish/v1/Systems/\x01", Err(PathRefusal::ControlByte)),
            ("/redfish/v1/Systems/s1-1%7F", Err(PathRefusal::ControlByte)),
            (
                "/redfish/v1/Systems/%zz",
                Err(PathRefusal::BadPercentEncoding),
            ),
            (
                "/redfish/v1/Systems/%4",
                Err(PathRefusal::BadPercentEncoding),
            ),
            ("/redfish/v1/Systems/%ff%fe", Err(PathRefusal::NotUtf8)),
            (&long, Err(PathRefusal::TooLong)),
            // Dots inside a segment are ordinary characters.
            ("/redfish/v1/Systems/s1-..x", Ok(())),
            ("/redfish/v1/Systems/s1-...", Ok(())),
        ];
        for (path, want) in cases {
            assert_eq!(check(path), *want, "{path:?}");
        }
    }
}
