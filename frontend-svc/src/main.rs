use clap::Parser;
use std::path::PathBuf;
use svc_common::cli::Outcome;

/// RedDrum frontend-svc: the public Redfish face of the rack (auth, accounts, sessions, routing).
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its [frontend] section). Keys can be overridden by environment:
    /// REDDRUM__FRONTEND__<KEY>.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
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
