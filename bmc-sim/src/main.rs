//! `bmc-sim`: run simulated Redfish BMCs from a TOML file or from flags.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use bmc_sim::{PathFaultEntry, Profile, QuirkArg, Quirks, SimConfig};
use clap::Parser;

/// Simulated Redfish BMCs with fault injection.
///
/// Prints one line per BMC to stdout (`bmc <id> listening on <url>`), then logs to stderr.
/// Each BMC also answers `/sim/fault` on its own port (see bmc-sim/README.md).
#[derive(Parser, Debug)]
#[command(name = "bmc-sim", version)]
struct Args {
    /// TOML config file (keys: [[bmc]] id/profile/tls/username/password/listen/start_delay_ms/
    /// path_faults/quirks, count, base_port, bind, profile, tls, control_listen, start_delay_ms,
    /// path_faults, quirks). Flags below override its top-level keys.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Number of generated BMCs (bmc1..bmcN).
    #[arg(long)]
    count: Option<u32>,
    /// Port of the first generated BMC; the others follow. 0 = free ports.
    #[arg(long)]
    base_port: Option<u16>,
    /// Profile: dmtf, idrac, ilo, openbmc, supermicro.
    #[arg(long)]
    profile: Option<Profile>,
    /// Serve HTTPS with a self-signed certificate.
    #[arg(long)]
    tls: bool,
    /// Address to bind (default 127.0.0.1).
    #[arg(long)]
    bind: Option<IpAddr>,
    /// Address of the fleet control server (PUT /bmcs/<id>/fault).
    #[arg(long)]
    control_listen: Option<SocketAddr>,
    /// Boot time of every BMC: ports are bound at once, connections refused until then.
    #[arg(long, value_name = "MS")]
    start_delay_ms: Option<u64>,
    /// Path-scoped fault for every BMC, repeatable:
    /// `/redfish/v1/UpdateService/FirmwareInventory={"Status":{"code":404,"redfish_body":true}}`
    /// or `/redfish/v1/Managers=Hang`. Replaces the config's top-level path_faults.
    #[arg(long, value_name = "PATH=FAULT_JSON")]
    path_fault: Vec<PathFaultEntry>,
    /// Field quirk for every BMC, repeatable: uuid_ids, encoded_ids, no_session_service,
    /// session_service_500, missing_member (flags; NAME=false turns one off),
    /// async_power_secs=N, advertised_host=HOST[:PORT]. Replaces the config's top-level quirks.
    #[arg(long, value_name = "NAME[=VALUE]")]
    quirk: Vec<QuirkArg>,
    /// Probe a running bmc-sim and exit 0 if healthy, 1 if not (container HEALTHCHECK):
    /// `http://HOST:PORT/PATH` (GET answers 2xx, e.g. the control server's /bmcs) or
    /// `tcp://HOST:PORT` (a BMC port accepts connections).
    #[arg(long, value_name = "URL")]
    health_check: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(target) = &args.health_check {
        return health_check(target);
    }
    let mut config = match &args.config {
        Some(path) => match SimConfig::from_file(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("bmc-sim: {e}");
                return ExitCode::from(2);
            }
        },
        None => SimConfig::default(),
    };
    if args.count.is_some() {
        config.count = args.count;
    }
    if args.base_port.is_some() {
        config.base_port = args.base_port;
    }
    if args.profile.is_some() {
        config.profile = args.profile;
    }
    if args.tls {
        config.tls = Some(true);
    }
    if args.bind.is_some() {
        config.bind = args.bind;
    }
    if args.control_listen.is_some() {
        config.control_listen = args.control_listen;
    }
    if args.start_delay_ms.is_some() {
        config.start_delay_ms = args.start_delay_ms;
    }
    if !args.path_fault.is_empty() {
        config.path_faults = Some(args.path_fault);
    }
    if !args.quirk.is_empty() {
        match Quirks::from_args(&args.quirk) {
            Ok(q) => config.quirks = Some(q),
            Err(e) => {
                eprintln!("bmc-sim: --quirk: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Err(e) = config.bmc_options() {
        eprintln!("bmc-sim: {e}");
        return ExitCode::from(2);
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bmc-sim: cannot start runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bmc_sim::run(config, shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bmc-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `--health-check`: one probe, one line, exit 0 or 1.
fn health_check(target: &str) -> ExitCode {
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| {
            rt.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(3), probe(target))
                    .await
                    .unwrap_or_else(|_| Err("no answer within 3s".to_owned()))
            })
        });
    match outcome {
        Ok(what) => {
            println!("bmc-sim: healthy ({what})");
            ExitCode::SUCCESS
        }
        Err(why) => {
            println!("bmc-sim: unhealthy ({why})");
            ExitCode::FAILURE
        }
    }
}

async fn probe(target: &str) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (authority, path) = match target.strip_prefix("http://") {
        Some(rest) => match rest.find('/') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, Some("/")),
        },
        None => (target.strip_prefix("tcp://").unwrap_or(target), None),
    };
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("connect {authority}: {e}"))?;
    let Some(path) = path else {
        return Ok(format!("tcp {authority} accepts connections"));
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("send: {e}"))?;
    let mut head = [0u8; 64];
    let mut got = 0;
    while got < 12 {
        let n = stream
            .read(&mut head[got..])
            .await
            .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let line = String::from_utf8_lossy(&head[..got]);
    match line.get(9..12).and_then(|s| s.parse::<u16>().ok()) {
        Some(status) if line.starts_with("HTTP/1.") && (200..300).contains(&status) => {
            Ok(format!("GET {target}: {status}"))
        }
        Some(status) => Err(format!("GET {target}: {status}")),
        None => Err(format!("GET {target}: not an HTTP reply")),
    }
}
