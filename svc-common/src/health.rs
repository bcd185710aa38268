//! `--health-check`: a container health probe built into the binaries, so images without a shell
//! or curl (FROM scratch) can still have a `HEALTHCHECK`. Exit 0 when healthy, 1 when not, one
//! line either way.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one probe may take in all.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `http://host:port/path`: GET answers 2xx.
    Http { authority: String, path: String },
    /// `tcp://host:port` or a bare `host:port`: a TCP connection is accepted.
    Tcp(String),
}

impl Target {
    pub fn parse(raw: &str) -> Result<Target, String> {
        if let Some(rest) = raw.strip_prefix("http://") {
            let (authority, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, "/"),
            };
            if authority.is_empty() {
                return Err(format!("'{raw}' has no host"));
            }
            let authority = if has_port(authority) {
                authority.to_owned()
            } else {
                format!("{authority}:80")
            };
            return Ok(Target::Http {
                authority,
                path: path.to_owned(),
            });
        }
        let hostport = raw.strip_prefix("tcp://").unwrap_or(raw);
        if hostport.contains("://") || !has_port(hostport) {
            return Err(format!(
                "'{raw}' is neither http://host:port/path nor tcp://host:port"
            ));
        }
        Ok(Target::Tcp(hostport.to_owned()))
    }
}

fn has_port(authority: &str) -> bool {
    match authority.rsplit_once(':') {
        Some((host, port)) => {
            !host.is_empty()
                && port.parse::<u16>().is_ok()
                && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    }
}

/// The address to probe a listener bound to `addr` at: wildcard binds are reached on loopback.
pub fn loopback_for(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// Probes `target`; `Ok` carries a short description of what answered.
pub async fn probe(target: &Target) -> Result<String, String> {
    match tokio::time::timeout(PROBE_TIMEOUT, probe_inner(target)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {}s", PROBE_TIMEOUT.as_secs())),
    }
}

async fn probe_inner(target: &Target) -> Result<String, String> {
    match target {
        Target::Tcp(addr) => {
            TcpStream::connect(addr.as_str())
                .await
                .map_err(|e| format!("connect {addr}: {e}"))?;
            Ok(format!("tcp {addr} accepts connections"))
        }
        Target::Http { authority, path } => {
            let mut stream = TcpStream::connect(authority.as_str())
                .await
                .map_err(|e| format!("connect {authority}: {e}"))?;
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: reddrum-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n"
            );
            stream
                .write_all(request.as_bytes())
                .await
                .map_err(|e| format!("send to {authority}: {e}"))?;
            let mut head = Vec::with_capacity(256);
            let mut buf = [0u8; 256];
            while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
                let n = stream
                    .read(&mut buf)
                    .await
                    .map_err(|e| format!("read from {authority}: {e}"))?;
                if n == 0 {
                    break;
                }
                head.extend_from_slice(&buf[..n]);
            }
            let line = String::from_utf8_lossy(&head);
            let line = line.lines().next().unwrap_or_default();
            let status = line
                .strip_prefix("HTTP/1.")
                .and_then(|r| r.get(2..5))
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(|| format!("GET http://{authority}{path}: not an HTTP reply"))?;
            if (200..300).contains(&status) {
                Ok(format!("GET http://{authority}{path}: {status}"))
            } else {
                Err(format!("GET http://{authority}{path}: {status}"))
            }
        }
    }
}

/// Prints the probe's outcome as one line and turns it into the exit code.
pub fn report(name: &str, outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(what) => {
            println!("{name}: healthy ({what})");
            ExitCode::SUCCESS
        }
        Err(why) => {
            println!("{name}: unhealthy ({why})");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("http://127.0.0.1:8080/redfish/v1"),
            Ok(Target::Http {
                authority: "127.0.0.1:8080".into(),
                path: "/redfish/v1".into()
            })
        );
        assert_eq!(
            Target::parse("http://localhost"),
            Ok(Target::Http {
                authority: "localhost:80".into(),
                path: "/".into()
            })
        );
        assert_eq!(
            Target::parse("tcp://[::1]:50051"),
            Ok(Target::Tcp("[::1]:50051".into()))
        );
        assert_eq!(
            Target::parse("127.0.0.1:50051"),
            Ok(Target::Tcp("127.0.0.1:50051".into()))
        );
        for bad in ["https://x:1/", "nohost", "tcp://x", "http:///x", "::1"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcard_binds_are_probed_on_loopback() {
        let v4: SocketAddr = "0.0.0.0:8080".parse().expect("addr");
        assert_eq!(loopback_for(v4), "127.0.0.1:8080".parse().expect("addr"));
        let v6: SocketAddr = "[::]:1".parse().expect("addr");
        assert_eq!(loopback_for(v6), "[::1]:1".parse().expect("addr"));
        let specific: SocketAddr = "10.1.2.3:9".parse().expect("addr");
        assert_eq!(loopback_for(specific), specific);
    }

    async fn one_shot_server(reply: &'static str) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            if let Ok((mut s, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(reply.as_bytes()).await;
            }
        });
        addr
    }

    #[tokio::test]
    async fn http_probe_wants_a_2xx() {
        let ok = one_shot_server("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        let t = Target::parse(&format!("http://{ok}/redfish/v1")).expect("target");
        assert!(probe(&t).await.expect("healthy").contains("200"));

        let bad = one_shot_server("HTTP/1.1 503 Service Unavailable\r\n\r\n").await;
        let t = Target::parse(&format!("http://{bad}/")).expect("target");
        assert!(probe(&t).await.expect_err("unhealthy").contains("503"));

        let junk = one_shot_server("SSH-2.0-OpenSSH\r\n").await;
        let t = Target::parse(&format!("http://{junk}/")).expect("target");
        assert!(probe(&t).await.is_err());
    }

    #[tokio::test]
    async fn tcp_probe_and_refused_connections() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        assert!(probe(&Target::Tcp(addr.to_string())).await.is_ok());
        drop(listener);
        assert!(probe(&Target::Tcp(addr.to_string())).await.is_err());
        let t = Target::parse(&format!("http://{addr}/")).expect("target");
        assert!(probe(&t).await.is_err());
    }
}
