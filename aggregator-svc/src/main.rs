use clap::Parser;
use std::path::PathBuf;
use svc_common::cli::Outcome;

/// RedDrum aggregator-svc: BMC inventory, discovery, cached collections and the transparent proxy.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its [aggregator] section). Keys can be overridden by environment:
    /// REDDRUM__AGGREGATOR__<KEY>.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
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
