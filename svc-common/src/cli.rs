//! The shape every service `main` shares: parse `--config`, set up logging, load and validate the
//! config (exit 2 with one line on error), bind, print "<name> listening on <addr>", run until
//! SIGTERM/SIGINT.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

/// How a service's `run` ended.
pub enum Outcome {
    Ok,
    /// A configuration problem found while starting (exit 2).
    Config(String),
    /// Anything else (exit 1).
    Failed(String),
}

/// Runs a service binary. `load` reads the config, `listen` picks its listen address, `run`
/// serves until the shutdown future resolves.
pub async fn serve_main<C, L, R, F>(
    name: &str,
    config_file: Option<&Path>,
    load: L,
    listen: fn(&C) -> SocketAddr,
    run: R,
) -> ExitCode
where
    L: FnOnce(Option<&Path>, &crate::Environment) -> Result<C, crate::ConfigError>,
    R: FnOnce(C, tokio::net::TcpListener, crate::signals::ShutdownSignal) -> F,
    F: Future<Output = Outcome>,
{
    crate::telemetry::init(std::env::var("REDDRUM_LOG_FORMAT").is_ok_and(|v| v == "json"));
    let env = crate::Environment::from_process();
    let config = match load(config_file, &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = listen(&config);
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{name}: cannot listen on {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    if let Ok(local) = listener.local_addr() {
        println!("{name} listening on {local}");
    }
    match run(config, listener, crate::signals::shutdown_signal()).await {
        Outcome::Ok => ExitCode::SUCCESS,
        Outcome::Config(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(2)
        }
        Outcome::Failed(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(1)
        }
    }
}

/// The target of `--health-check [TARGET]`: TARGET when given, else what `default_target` derives
/// from the service's own config (file plus environment, as the service itself would load it), so
/// one `HEALTHCHECK` line keeps working whatever port the operator configures.
pub fn health_target<C, L>(
    config_file: Option<&Path>,
    explicit: &str,
    load: L,
    default_target: fn(&C) -> String,
) -> Result<String, String>
where
    L: FnOnce(Option<&Path>, &crate::Environment) -> Result<C, crate::ConfigError>,
{
    if !explicit.is_empty() {
        return Ok(explicit.to_owned());
    }
    let env = crate::Environment::from_process();
    load(config_file, &env)
        .map(|c| default_target(&c))
        .map_err(|e| e.to_string())
}

/// Runs an http:// or tcp:// health probe and reports it (exit 0 healthy, 1 not).
pub async fn health_main(name: &str, target: Result<String, String>) -> ExitCode {
    let outcome = match target.and_then(|t| crate::health::Target::parse(&t)) {
        Ok(t) => crate::health::probe(&t).await,
        Err(e) => Err(e),
    };
    crate::health::report(name, outcome)
}

/// `--check-config`: loads and validates the config (file plus environment, password files
/// included) exactly as the service would at start, prints one line, exits 0 or 2.
pub fn check_config_main<C, L>(name: &str, config_file: Option<&Path>, load: L) -> ExitCode
where
    L: FnOnce(Option<&Path>, &crate::Environment) -> Result<C, crate::ConfigError>,
{
    match load(config_file, &crate::Environment::from_process()) {
        Ok(_) => {
            println!("{name}: configuration OK");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::from(2)
        }
    }
}
