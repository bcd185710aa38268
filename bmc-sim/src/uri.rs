//! Percent-encoding of resource paths: how member ids are written into links, and the one
//! canonical form under which resources are stored and requests are routed.
//!
//! A link may spell an id in several ways that name the same resource (`Chassis%3A1`,
//! `Chassis:1`, `chassis%3a1`'s escape in lower case), and a request may use any of them. Every
//! path is therefore brought to a canonical form before it is looked up: each segment is
//! percent-decoded exactly once and re-encoded minimally (only bytes that may not appear raw in
//! a path segment are escaped, in upper-case hex). That form is idempotent, so code may
//! canonicalise a path that already is canonical without decoding twice: `System%25201` stays
//! a request for the id `System%201`, never for `System 1`.

use std::borrow::Cow;

use crate::tree::SELF_BASE;

/// RFC 3986 `unreserved`: the only bytes a link leaves raw in an id it encodes.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// RFC 3986 `pchar` minus `%`: bytes allowed raw in a path segment.
fn pchar(b: u8) -> bool {
    unreserved(b)
        || matches!(
            b,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

fn push_escaped(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xf)]));
}

/// An id as one path segment of a link: everything but `unreserved` is escaped, as BMCs that
/// URL-encode their ids do (`System 1` -> `System%201`, `Chassis:1` -> `Chassis%3A1`,
/// `BMC+1` -> `BMC%2B1`). Ids made only of unreserved bytes (every profile's own) are unchanged.
pub(crate) fn encode_segment(id: &str) -> Cow<'_, str> {
    if id.bytes().all(unreserved) {
        return Cow::Borrowed(id);
    }
    let mut out = String::with_capacity(id.len() * 3);
    for b in id.bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else {
            push_escaped(&mut out, b);
        }
    }
    Cow::Owned(out)
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// One segment decoded once and re-encoded minimally. A `%` not followed by two hex digits is a
/// literal `%` (escaped as `%25`); a decoded `/` is escaped again (`%2F`), so it can never split
/// a segment in two and reach another resource.
fn canonical_segment(seg: &str, out: &mut String) {
    let bytes = seg.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let mut b = bytes[i];
        if b == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            b = (h << 4) | l;
            i += 2;
        }
        if pchar(b) {
            out.push(char::from(b));
        } else {
            push_escaped(out, b);
        }
        i += 1;
    }
}

/// True if `path` already is canonical (no escapes, nothing that must be escaped).
fn plain(path: &str) -> bool {
    path.bytes().all(|b| b == b'/' || pchar(b))
}

/// The canonical form of a request path (see the module comment); `/` separators are kept.
pub(crate) fn canonical_path(path: &str) -> Cow<'_, str> {
    if plain(path) {
        return Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len());
    for (i, seg) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        canonical_segment(seg, &mut out);
    }
    Cow::Owned(out)
}

/// The key a resource is stored under, from any link to it: the placeholder for this BMC's own
/// absolute base and trailing slashes are dropped, then the path is canonicalised.
pub(crate) fn key(link: &str) -> Cow<'_, str> {
    let p = link
        .strip_prefix(SELF_BASE)
        .unwrap_or(link)
        .trim_end_matches('/');
    canonical_path(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_encoded_strictly_in_links() {
        assert_eq!(encode_segment("System.Embedded.1"), "System.Embedded.1");
        assert_eq!(encode_segment("System 1"), "System%201");
        assert_eq!(encode_segment("Chassis:1"), "Chassis%3A1");
        assert_eq!(encode_segment("BMC 1+2"), "BMC%201%2B2");
    }

    #[test]
    fn every_spelling_of_an_id_has_one_key() {
        let want = "/redfish/v1/Managers/BMC%201+2";
        for spelling in [
            "/redfish/v1/Managers/BMC%201%2B2",
            "/redfish/v1/Managers/BMC%201%2b2",
            "/redfish/v1/Managers/BMC%201+2",
            "/redfish/v1/Managers/BMC%201+2/",
            "{{bmc-self}}/redfish/v1/Managers/BMC%201%2B2",
        ] {
            assert_eq!(key(spelling), want, "{spelling}");
        }
        assert_eq!(
            key("/redfish/v1/Chassis/Chassis%3A1"),
            "/redfish/v1/Chassis/Chassis:1"
        );
        // A `+` is not a space (that is form encoding, not URI encoding).
        assert_ne!(
            key("/redfish/v1/Systems/System+1"),
            key("/redfish/v1/Systems/System%201")
        );
    }

    #[test]
    fn decoding_happens_once_and_is_idempotent() {
        let once = canonical_path("/redfish/v1/Systems/System%25201");
        assert_eq!(once, "/redfish/v1/Systems/System%25201");
        assert_eq!(canonical_path(&once), once);
        assert_ne!(once, canonical_path("/redfish/v1/Systems/System%201"));
    }

    #[test]
    fn encoded_separators_and_broken_escapes_stay_inside_their_segment() {
        assert_eq!(
            canonical_path("/redfish/v1/Systems%2F1"),
            "/redfish/v1/Systems%2F1"
        );
        assert_eq!(canonical_path("/a/b%zz/%4"), "/a/b%25zz/%254");
        assert_eq!(
            canonical_path("/redfish/v1/$metadata"),
            "/redfish/v1/$metadata"
        );
    }
}
