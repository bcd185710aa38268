use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use svc_common::cli::Outcome;

/// RedDrum aggregator-svc: BMC inventory, discovery, cached collections, the rack's own resources
/// and the transparent proxy.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TOML configuration file (its [aggregator] section). Keys can be overridden by environment:
    /// REDDRUM__AGGREGATOR__<KEY>.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
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

fn import(discovery: &PathBuf, credentials: &PathBuf, out: Option<&PathBuf>) -> ExitCode {
    let read = |p: &PathBuf| {
        std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))
    };
    let result = read(discovery)
        .and_then(|d| read(credentials).map(|c| (d, c)))
        .and_then(|(d, c)| aggregator_svc::import::convert(&d, &c));
    let imported = match result {
        Ok(i) => i,
        Err(e) => {
            eprintln!("reddrum-import: {e}");
            return ExitCode::from(2);
        }
    };
    for w in &imported.warnings {
        eprintln!("reddrum-import: warning: {w}");
    }
    match out {
        None => print!("{}", imported.toml),
        Some(path) => {
            if let Err(e) = write_private(path, &imported.toml) {
                eprintln!("reddrum-import: writing {}: {e}", path.display());
                return ExitCode::from(1);
            }
            eprintln!("reddrum-import: wrote {}", path.display());
        }
    }
    ExitCode::SUCCESS
}

fn write_private(path: &PathBuf, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(Command::Import {
        discovery,
        credentials,
        out,
    }) = &args.command
    {
        return import(discovery, credentials, out.as_ref());
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
