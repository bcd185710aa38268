use clap::Parser;
use std::path::PathBuf;
use svc_common::cli::Outcome;

/// RedDrum frontend-svc: the public Redfish face of the rack (auth, accounts, sessions, routing).
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its [frontend] section). Keys can be overridden by environment:
    /// REDDRUM__FRONTEND__<KEY>.
    #[arg(long, value_name = "FILE", env = "REDDRUM_CONFIG")]
    config: Option<PathBuf>,
    /// Probe a running instance and exit 0 if healthy, 1 if not (for container HEALTHCHECKs).
    /// Without a value: /readyz on `metrics_listen` when set, else /redfish/v1 on `listen`;
    /// otherwise http://HOST:PORT/PATH (GET answers 2xx) or tcp://HOST:PORT.
    #[arg(long, value_name = "TARGET", num_args = 0..=1, default_missing_value = "")]
    health_check: Option<String>,
    /// Load and validate the configuration (password files included), then exit: 0 if it is
    /// good, 2 with one line naming the key if not.
    #[arg(long)]
    check_config: bool,
}

/// mimalloc: about a sixth of the proxy's CPU was malloc/free under glibc, whose per-thread arenas
/// also kept memory that a request burst (argon2) had used.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if args.check_config {
        return svc_common::cli::check_config_main(
            "frontend-svc",
            args.config.as_deref(),
            frontend_svc::Config::load,
        );
    }
    if let Some(explicit) = &args.health_check {
        let target = svc_common::cli::health_target(
            args.config.as_deref(),
            explicit,
            frontend_svc::Config::load,
            |c| match c.metrics_listen {
                Some(ops) => svc_common::ops::probe_url(ops, "/readyz"),
                None => svc_common::ops::probe_url(c.listen, "/redfish/v1"),
            },
        );
        return svc_common::cli::health_main("frontend-svc", target).await;
    }
    svc_common::cli::serve_main(
        "frontend-svc",
        args.config.as_deref(),
        frontend_svc::Config::load,
        |c| c.listen,
        |config, listener, shutdown| async move {
            match frontend_svc::run(config, listener, shutdown).await {
                Ok(()) => Outcome::Ok,
                Err(e @ frontend_svc::RunError::Config(_)) => Outcome::Config(e.to_string()),
                Err(e) => Outcome::Failed(e.to_string()),
            }
        },
    )
    .await
}
