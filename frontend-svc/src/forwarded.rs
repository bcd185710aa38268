//! Who is asking, and over what: the client address and scheme of a request.
//!
//! Apache terminates TLS and forwards to the frontend with `X-Forwarded-For` (appended to by every
//! proxy on the way) and `X-Forwarded-Proto`. Those headers are believed only when the TCP peer is
//! one of `[frontend] trusted_proxies`; from anyone else they are ignored and the client is the
//! peer itself, over plain HTTP. So a client that reaches the frontend directly gains nothing by
//! sending them.

use http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// The resolved client of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Client {
    /// The client's address: the forwarded one when the peer is a trusted proxy, else the peer.
    /// `None` only for requests made without a socket (unit tests).
    pub addr: Option<IpAddr>,
    /// Whether the client reached us over TLS (a trusted proxy said `X-Forwarded-Proto: https`).
    pub https: bool,
    /// Whether the request came through a trusted proxy.
    pub proxied: bool,
}

impl Client {
    /// `https` or `http`, as the client used it.
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }
}

/// Resolves the client of a request from its TCP peer and headers.
pub fn client(peer: Option<SocketAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> Client {
    let Some(peer) = peer.map(|p| p.ip().to_canonical()) else {
        return Client::default();
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return Client {
            addr: Some(peer),
            https: false,
            proxied: false,
        };
    }
    Client {
        addr: Some(forwarded_for(headers, &peer, is_trusted)),
        https: forwarded_proto(headers).is_some_and(|p| p.eq_ignore_ascii_case("https")),
        proxied: true,
    }
}

/// The nearest address in `X-Forwarded-For` that is not itself a trusted proxy, reading from the
/// right (each proxy appends what it saw, so entries left of the first untrusted one may be
/// forged). An unparsable entry stops the walk at the last hop known good.
fn forwarded_for(
    headers: &HeaderMap,
    peer: &IpAddr,
    is_trusted: impl Fn(&IpAddr) -> bool,
) -> IpAddr {
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let mut client = *peer;
    for entry in entries.iter().rev() {
        match parse_addr(entry) {
            Some(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            None => break,
        }
    }
    client
}

/// The last `X-Forwarded-Proto` value: the one the proxy nearest to us set.
fn forwarded_proto(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|s| !s.is_empty())
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]` or `[::1]:5678`.
fn parse_addr(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    s.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|r| r.parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn peer(s: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip(s), 40000))
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::header::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    #[test]
    fn spoofed_headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[
            ("x-forwarded-for", "10.9.9.9"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = client(peer("192.0.2.7"), &h, &[ip("127.0.0.1")]);
        assert_eq!(
            c,
            Client {
                addr: Some(ip("192.0.2.7")),
                https: false,
                proxied: false
            }
        );
        assert_eq!(c.scheme(), "http");
    }

    #[test]
    fn nothing_is_trusted_by_default() {
        let h = headers(&[
            ("x-forwarded-for", "10.9.9.9"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = client(peer("127.0.0.1"), &h, &[]);
        assert_eq!(c.addr, Some(ip("127.0.0.1")));
        assert!(!c.https && !c.proxied);
    }

    #[test]
    fn a_trusted_proxy_supplies_client_and_scheme() {
        let h = headers(&[
            ("x-forwarded-for", "198.51.100.20"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = client(peer("172.30.0.2"), &h, &[ip("172.30.0.2")]);
        assert_eq!(c.addr, Some(ip("198.51.100.20")));
        assert!(c.https && c.proxied);
        assert_eq!(c.scheme(), "https");
    }

    #[test]
    fn a_client_cannot_forge_entries_left_of_what_the_proxy_saw() {
        // The client sent "X-Forwarded-For: 127.0.0.1"; Apache appended the real address.
        let h = headers(&[("x-forwarded-for", "127.0.0.1, 203.0.113.5")]);
        let c = client(peer("127.0.0.1"), &h, &[ip("127.0.0.1")]);
        assert_eq!(c.addr, Some(ip("203.0.113.5")));
    }

    #[test]
    fn chains_of_trusted_proxies_are_walked() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.5, 10.0.0.1"),
            ("x-forwarded-for", "10.0.0.2"),
        ]);
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3")];
        let c = client(peer("10.0.0.3"), &h, &trusted);
        assert_eq!(c.addr, Some(ip("203.0.113.5")));
    }

    #[test]
    fn missing_or_garbage_forwarded_for_falls_back_to_a_known_hop() {
        let trusted = [ip("127.0.0.1")];
        let none = client(peer("127.0.0.1"), &HeaderMap::new(), &trusted);
        assert_eq!(none.addr, Some(ip("127.0.0.1")));
        assert!(!none.https && none.proxied);
        let garbage = client(
            peer("127.0.0.1"),
            &headers(&[("x-forwarded-for", "not-an-ip")]),
            &trusted,
        );
        assert_eq!(garbage.addr, Some(ip("127.0.0.1")));
        let mixed = client(
            peer("127.0.0.1"),
            &headers(&[("x-forwarded-for", "203.0.113.9, junk, 198.51.100.1")]),
            &trusted,
        );
        assert_eq!(mixed.addr, Some(ip("198.51.100.1")));
    }

    #[test]
    fn address_forms_and_mapped_addresses() {
        assert_eq!(parse_addr("[2001:db8::1]:443"), Some(ip("2001:db8::1")));
        assert_eq!(parse_addr("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_addr("192.0.2.1:8080"), Some(ip("192.0.2.1")));
        assert_eq!(parse_addr("::ffff:192.0.2.1"), Some(ip("192.0.2.1")));
        // A peer on a dual-stack socket appears as ::ffff:a.b.c.d and still matches.
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.5"),
            ("x-forwarded-proto", "HTTPS"),
        ]);
        let c = client(peer("::ffff:127.0.0.1"), &h, &[ip("127.0.0.1")]);
        assert_eq!(c.addr, Some(ip("203.0.113.5")));
        assert!(c.https);
    }

    #[test]
    fn the_nearest_proto_wins() {
        let h = headers(&[("x-forwarded-proto", "http, https")]);
        let c = client(peer("127.0.0.1"), &h, &[ip("127.0.0.1")]);
        assert!(c.https);
        let h = headers(&[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-proto", "http"),
        ]);
        let c = client(peer("127.0.0.1"), &h, &[ip("127.0.0.1")]);
        assert!(!c.https);
    }

    #[test]
    fn no_peer_is_an_unknown_plain_client() {
        let c = client(None, &headers(&[("x-forwarded-for", "1.2.3.4")]), &[]);
        assert_eq!(c, Client::default());
    }
}
