//! `bmc-sim`: run simulated Redfish BMCs from a TOML file or from flags.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use bmc_sim::{Profile, SimConfig};
use clap::Parser;

/// Simulated Redfish BMCs with fault injection.
///
/// Prints one line per BMC to stdout (`bmc <id> listening on <url>`), then logs to stderr.
/// Each BMC also answers `/sim/fault` on its own port (see bmc-sim/README.md).
#[derive(Parser, Debug)]
#[command(name = "bmc-sim", version)]
struct Args {
    /// TOML config file (keys: [[bmc]] id/profile/tls/username/password/listen, count, base_port,
    /// bind, profile, tls, control_listen). Flags below override its top-level keys.
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
}

fn main() -> ExitCode {
    let args = Args::parse();
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
