use clap::{Parser, Subcommand};
use std::path::PathBuf;
use svc_common::cli::Outcome;

/// RedDrum aggregator-svc: BMC inventory, discovery, cached collections, the rack's own resources
/// and the transparent proxy.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its [aggregator] section). Keys can be overridden by environment:
    /// REDDRUM__AGGREGATOR__<KEY>.
    #[arg(long, value_name = "FILE", env = "REDDRUM_CONFIG")]
    config: Option<PathBuf>,
    /// Probe a running instance and exit 0 if healthy, 1 if not (for container HEALTHCHECKs).
    /// Without a value: /readyz on `metrics_listen` when set, else the gRPC health service on
    /// `grpc_listen`; otherwise grpc://HOST:PORT (the gRPC health service reports
    /// aggregator.v1.Aggregator SERVING), http://HOST:PORT/PATH or tcp://HOST:PORT.
    #[arg(long, value_name = "TARGET", num_args = 0..=1, default_missing_value = "")]
    health_check: Option<String>,
    /// Load and validate the configuration (password files included), then exit: 0 if it is
    /// good, 2 with one line naming the key if not.
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Convert the original RedDrum-Aggregator's discovery and credentials JSON files into this
    /// service's TOML configuration (printed, or written to --out).
    #[command(name = "reddrum-import", alias = "import")]
    Import {
        /// The original's discovery file: {"RackServers": [{"Id", "IPv4Address", "PduSocketId", "CredentialsId"}]}.
        #[arg(long, value_name = "FILE")]
        discovery: PathBuf,
        /// The original's credentials file: {"<CredentialsId>": {"User", "Password", "BmcType"}}.
        #[arg(long, value_name = "FILE")]
        credentials: PathBuf,
        /// Where to write the TOML (created 0600: it holds BMC passwords); stdout if absent.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// mimalloc: about a sixth of the proxy's CPU was malloc/free under glibc, whose per-thread arenas
/// also kept memory that a request burst (argon2) had used.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    if let Some(Command::Import {
        discovery,
        credentials,
        out,
    }) = &args.command
    {
        return aggregator_svc::import::cli(discovery, credentials, out.as_deref());
    }
    if args.check_config {
        return svc_common::cli::check_config_main(
            "aggregator-svc",
            args.config.as_deref(),
            aggregator_svc::Config::load,
        );
    }
    if let Some(explicit) = &args.health_check {
        let target = svc_common::cli::health_target(
            args.config.as_deref(),
            explicit,
            aggregator_svc::Config::load,
            |c| match c.metrics_listen {
                Some(ops) => svc_common::ops::probe_url(ops, "/readyz"),
                None => format!("grpc://{}", svc_common::health::loopback_for(c.grpc_listen)),
            },
        );
        return match target {
            Ok(t) if t.starts_with("grpc://") => {
                svc_common::health::report("aggregator-svc", grpc_health(&t).await)
            }
            other => svc_common::cli::health_main("aggregator-svc", other).await,
        };
    }
    svc_common::cli::serve_main(
        "aggregator-svc",
        args.config.as_deref(),
        aggregator_svc::Config::load,
        |c| c.grpc_listen,
        |config, listener, shutdown| async move {
            match aggregator_svc::run(config, listener, shutdown).await {
                Ok(()) => Outcome::Ok,
                Err(e @ aggregator_svc::RunError::Config(_)) => Outcome::Config(e.to_string()),
                Err(e) => Outcome::Failed(e.to_string()),
            }
        },
    )
    .await
}

/// Asks the gRPC health service whether `aggregator.v1.Aggregator` is SERVING.
async fn grpc_health(target: &str) -> Result<String, String> {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    const SERVICE: &str = "aggregator.v1.Aggregator";
    let endpoint = format!("http://{}", target.trim_start_matches("grpc://"));
    let probe = async {
        let channel = tonic::transport::Endpoint::from_shared(endpoint.clone())
            .map_err(|e| format!("'{target}': {e}"))?
            .connect_timeout(svc_common::health::PROBE_TIMEOUT)
            .connect()
            .await
            .map_err(|e| format!("connect {endpoint}: {e}"))?;
        let reply = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: SERVICE.to_owned(),
            })
            .await
            .map_err(|e| format!("health check {SERVICE}: {}", e.message()))?;
        match reply.into_inner().status() {
            ServingStatus::Serving => Ok(format!("{target} {SERVICE} SERVING")),
            other => Err(format!("{target} {SERVICE} {}", other.as_str_name())),
        }
    };
    tokio::time::timeout(svc_common::health::PROBE_TIMEOUT, probe)
        .await
        .unwrap_or_else(|_| Err(format!("{target}: no answer within 3s")))
}
