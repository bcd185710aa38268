use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

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
async fn main() -> ExitCode {
    let args = Args::parse();
    svc_common::telemetry::init(std::env::var("REDDRUM_LOG_FORMAT").is_ok_and(|v| v == "json"));
    let env = svc_common::Environment::from_process();
    let config = match aggregator_svc::Config::load(args.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("aggregator-svc: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.grpc_listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "aggregator-svc: cannot listen on {}: {e}",
                config.grpc_listen
            );
            return ExitCode::from(1);
        }
    };
    if let Ok(addr) = listener.local_addr() {
        println!("aggregator-svc listening on {addr}");
    }
    match aggregator_svc::run(config, listener, svc_common::signals::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ aggregator_svc::RunError::Config(_)) => {
            eprintln!("aggregator-svc: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("aggregator-svc: {e}");
            ExitCode::from(1)
        }
    }
}
