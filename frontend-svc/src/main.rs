use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// RedDrum frontend-svc: the public Redfish face of the rack.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its [frontend] section). Keys can be overridden by environment:
    /// REDDRUM__FRONTEND__<KEY>.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    svc_common::telemetry::init(std::env::var("REDDRUM_LOG_FORMAT").is_ok_and(|v| v == "json"));
    let env = svc_common::Environment::from_process();
    let config = match frontend_svc::Config::load(args.config.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("frontend-svc: {e}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("frontend-svc: cannot listen on {}: {e}", config.listen);
            return ExitCode::from(1);
        }
    };
    if let Ok(addr) = listener.local_addr() {
        println!("frontend-svc listening on {addr}");
    }
    match frontend_svc::run(config, listener, svc_common::signals::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e @ frontend_svc::RunError::Config(_)) => {
            eprintln!("frontend-svc: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("frontend-svc: {e}");
            ExitCode::from(1)
        }
    }
}
