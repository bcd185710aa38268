//! A bounded soak of the real stack (`scripts/test.d/soak.sh`): bmc-sim (a fleet of HTTPS BMCs),
//! aggregator-svc and frontend-svc as processes, 256 keep-alive clients sending a mix of GETs,
//! PATCHes and resets over the rack for about two minutes while BMC faults are switched on and off
//! through bmc-sim's control server. It passes when
//! - every non-2xx reply is explained by a fault that was on at its BMC then (status and Base
//!   message as the README's failure table says), and the faults did show;
//! - after a short settle each service's open file descriptors are back within 32 of the start
//!   and its RSS below twice the start plus 64 MB; the aggregator's connections to the BMCs are
//!   no more than at the start plus 32;
//! - both services are still up and stop cleanly on SIGTERM.
//!
//! It asserts nothing about speed (it uses the debug build). Prints a summary table.

mod faults;
mod load;

use clap::Parser;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use testkit::procs::{self, Proc};

#[derive(Parser)]
#[command(
    name = "soak",
    about = "Soak the real stack under faults (loopback only)"
)]
struct Args {
    /// Seconds of load.
    #[arg(long, default_value_t = 110)]
    duration_secs: u64,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 256)]
    connections: u64,
    /// Simulated BMCs.
    #[arg(long, default_value_t = 48)]
    bmcs: usize,
    /// How many of them get faults (the others must never fail).
    #[arg(long, default_value_t = 12)]
    faulty: usize,
}

const USER: &str = "admin";
const PASSWORD: &str = "soak-admin-pw-1";
const FD_SLACK: usize = 32;
const RSS_SLACK_KIB: u64 = 64 * 1024;

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    match runtime.block_on(soak(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("soak: FAILED\n{e}");
            ExitCode::FAILURE
        }
    }
}

/// A process's figures at one moment.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    rss_kib: u64,
    fds: usize,
    threads: usize,
    /// TCP connections to the BMCs (the aggregator's).
    bmc_conns: usize,
}

fn figures(pid: u32, bmc_ports: &HashSet<u16>) -> Figures {
    Figures {
        rss_kib: procs::rss_kib(pid),
        fds: procs::fd_count(pid),
        threads: procs::thread_count(pid),
        bmc_conns: procs::tcp_connections(pid)
            .iter()
            .filter(|(_, remote)| bmc_ports.contains(remote))
            .count(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn soak(args: Args) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path();
    let control = format!("127.0.0.1:{}", free_port());
    let sim_args: Vec<String> = [
        "--count",
        &args.bmcs.to_string(),
        "--base-port",
        "0",
        "--profile",
        "idrac",
        "--tls",
        "--control-listen",
        &control,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let (sims, listening) =
        Proc::spawn("bmc-sim", &sim_args, &d.join("bmc-sim.log"), args.bmcs).await;
    // "bmc bmc7" -> bmc7
    let bmcs: Vec<(String, String)> = listening
        .iter()
        .map(|(what, addr)| (what.trim_start_matches("bmc ").to_owned(), addr.clone()))
        .collect();
    let bmc_ports: HashSet<u16> = bmcs
        .iter()
        .filter_map(|(_, a)| a.rsplit(':').next()?.parse().ok())
        .collect();
    let agg_config = d.join("aggregator.toml");
    write(&agg_config, &aggregator_toml(d, &bmcs))?;
    let aggregator = Proc::start(
        "aggregator-svc",
        &agg_config,
        &[],
        &d.join("aggregator.log"),
    )
    .await;
    let fe_config = d.join("frontend.toml");
    write(&fe_config, &frontend_toml(d, &aggregator.addr))?;
    let frontend = Proc::start("frontend-svc", &fe_config, &[], &d.join("frontend.log")).await;
    let base = format!("http://{}", frontend.addr);
    let booted = Instant::now();
    let plan = Arc::new(plan(&base, args.bmcs).await?);
    println!(
        "soak: {} BMCs (idrac, HTTPS) listed in {:.1} s; {} clients for {} s, faults on {} of them",
        args.bmcs,
        booted.elapsed().as_secs_f64(),
        args.connections,
        args.duration_secs,
        args.faulty
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = [
        figures(frontend.pid(), &bmc_ports),
        figures(aggregator.pid(), &bmc_ports),
    ];

    let origin = Instant::now();
    let deadline = origin + Duration::from_secs(args.duration_secs);
    let faulty: Vec<String> = bmcs
        .iter()
        .take(args.faulty)
        .map(|(id, _)| id.clone())
        .collect();
    let switching = tokio::spawn(faults::run(control.clone(), faulty, origin, deadline));
    let pids = (frontend.pid(), aggregator.pid());
    let sampling = tokio::spawn(async move {
        let mut samples = Vec::new();
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(10)).await;
            samples.push((
                origin.elapsed().as_secs(),
                procs::rss_kib(pids.0) / 1024,
                procs::rss_kib(pids.1) / 1024,
            ));
        }
        samples
    });
    let outcome = load::run(
        &base,
        (USER.to_owned(), PASSWORD.to_owned()),
        plan,
        args.connections,
        origin,
        deadline,
    )
    .await;
    let spells = switching.await.map_err(|e| e.to_string())?;
    let loaded = origin.elapsed().as_secs_f64();
    let samples = sampling.await.map_err(|e| e.to_string())?;
    // Settle: the clients are gone; open BMC circuits close on discovery's next probe.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let end = [
        figures(frontend.pid(), &bmc_ports),
        figures(aggregator.pid(), &bmc_ports),
    ];

    let mut problems = Vec::new();
    let report = judge(&outcome, &spells, &mut problems);
    println!("{report}");
    println!(
        "process          RSS start   RSS end  fds start  fds end  threads start/end  BMC conns start/end"
    );
    for (name, (s, e)) in ["frontend-svc", "aggregator-svc"]
        .iter()
        .zip(start.iter().zip(end.iter()))
    {
        println!(
            "{name:<15} {:>7.1} MB {:>7.1} MB {:>10} {:>8} {:>10}/{:<6} {:>10}/{}",
            s.rss_kib as f64 / 1024.0,
            e.rss_kib as f64 / 1024.0,
            s.fds,
            e.fds,
            s.threads,
            e.threads,
            s.bmc_conns,
            e.bmc_conns
        );
        if e.fds > s.fds + FD_SLACK {
            problems.push(format!(
                "{name}: {} fds after the run, {} at the start",
                e.fds, s.fds
            ));
        }
        if e.rss_kib > 2 * s.rss_kib + RSS_SLACK_KIB {
            problems.push(format!(
                "{name}: RSS {} KiB after the run, {} KiB at the start",
                e.rss_kib, s.rss_kib
            ));
        }
        if e.bmc_conns > s.bmc_conns + FD_SLACK {
            problems.push(format!(
                "{name}: {} connections to BMCs after the run, {} at the start",
                e.bmc_conns, s.bmc_conns
            ));
        }
    }
    println!("load ran {loaded:.1} s; {} fault spells", spells.len());
    let timeline: Vec<String> = samples
        .iter()
        .map(|(t, fe, agg)| format!("{t}s {fe}/{agg}"))
        .collect();
    println!(
        "RSS during the load, MB (frontend/aggregator): {}",
        timeline.join(", ")
    );

    // Still serving, and a clean stop.
    let alive = reqwest::get(format!("{base}/redfish/v1"))
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string());
    if alive != Ok(200) {
        problems.push(format!("the service root after the run: {alive:?}"));
    }
    for (name, p) in [
        ("frontend-svc", frontend),
        ("aggregator-svc", aggregator),
        ("bmc-sim", sims),
    ] {
        let log = p.log.clone();
        match p.terminate().await {
            Some(s) if s.success() => {}
            other => problems.push(format!(
                "{name} did not stop cleanly ({other:?}); see {}",
                log.display()
            )),
        }
    }
    if problems.is_empty() {
        println!("soak: passed");
        Ok(())
    } else {
        // Keep the logs for whoever reads the failure.
        let kept = dir.keep();
        Err(format!(
            "{}\nlogs in {}",
            problems.join("\n"),
            kept.display()
        ))
    }
}

/// The summary of the load: requests per kind, errors by cause; pushes every unexplained error
/// (and faults that never showed) onto `problems`.
fn judge(outcome: &load::Outcome, spells: &[faults::Spell], problems: &mut Vec<String>) -> String {
    let mut lines = Vec::new();
    let total: u64 = outcome.counts.values().map(|(s, _)| s).sum();
    let ok: u64 = outcome.counts.values().map(|(_, o)| o).sum();
    lines.push(format!("requests {total}, 2xx {ok}, other {}", total - ok));
    for (op, (sent, good)) in &outcome.counts {
        lines.push(format!(
            "  {:<14} {sent:>8} sent {good:>8} 2xx",
            format!("{op:?}")
        ));
    }
    for op in [
        load::Op::GetMember,
        load::Op::GetCollection,
        load::Op::GetLocal,
        load::Op::PatchMember,
        load::Op::Reset,
        load::Op::PatchRack,
    ] {
        if outcome.counts.get(&op).is_none_or(|(sent, _)| *sent == 0) {
            problems.push(format!("no {op:?} request was sent"));
        }
    }
    let mut by_cause: BTreeMap<String, u64> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for f in &outcome.failures {
        let cause = f
            .bmc
            .as_deref()
            .and_then(|bmc| faults::cause(spells, bmc, f.start, f.end, f.status, &f.message));
        match cause {
            Some(spell) => {
                *by_cause
                    .entry(format!(
                        "{:<14} -> {} {}",
                        faults::name(&spell.fault),
                        f.status,
                        f.message
                    ))
                    .or_default() += 1;
            }
            None => unexplained.push(f),
        }
    }
    lines.push("errors by cause (fault at the BMC -> status and Base message):".into());
    for (cause, n) in &by_cause {
        lines.push(format!("  {cause:<60} {n:>7}"));
    }
    lines.push(format!("  {:<60} {:>7}", "unexplained", unexplained.len()));
    for f in unexplained.iter().take(20) {
        problems.push(format!(
            "unexplained: {:?} {} at {:.2}-{:.2} s: {} {}",
            f.op, f.path, f.start, f.end, f.status, f.message
        ));
    }
    if unexplained.len() > 20 {
        problems.push(format!("... {} unexplained in all", unexplained.len()));
    }
    // The faults that make errors must have shown, or the run proved nothing about them.
    for kind in faults::kinds() {
        let name = faults::name(&kind);
        let switched = spells.iter().any(|s| faults::name(&s.fault) == name);
        let shows = !matches!(kind, bmc_sim::Fault::Delay { .. });
        if switched
            && shows
            && !by_cause
                .keys()
                .any(|k| k.starts_with(&format!("{name:<14}")))
        {
            problems.push(format!(
                "fault {name} was switched on but no client saw an error from it"
            ));
        }
    }
    lines.join("\n")
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn aggregator_toml(dir: &Path, bmcs: &[(String, String)]) -> String {
    let list: String = bmcs
        .iter()
        .map(|(id, addr)| {
            format!("[[aggregator.bmcs]]\nid = \"{id}\"\nurl = \"https://{addr}\"\nusername = \"root\"\npassword = \"calvin\"\nverify_tls = false\n")
        })
        .collect();
    // Short timeouts, so a hung BMC answers 504 within the run and its breaker recovers quickly.
    format!(
        "[aggregator]\ngrpc_listen = \"127.0.0.1:0\"\nstate_dir = \"{}\"\nconnect_timeout_ms = 1000\nrequest_timeout_ms = 2000\nretry_max_secs = 2\n{list}",
        dir.join("aggregator").display()
    )
}

fn frontend_toml(dir: &Path, aggregator: &str) -> String {
    format!(
        "[frontend]\nlisten = \"127.0.0.1:0\"\naggregator_endpoint = \"http://{aggregator}\"\nstate_dir = \"{}\"\n[frontend.bootstrap_admin]\nusername = \"{USER}\"\npassword = \"{PASSWORD}\"\n",
        dir.join("frontend").display()
    )
}

/// Waits until every BMC's system is listed; the members of Systems, Chassis and Managers.
async fn plan(base: &str, bmcs: usize) -> Result<load::Plan, String> {
    let http = reqwest::Client::new();
    let members = |c: &'static str| {
        let http = http.clone();
        let url = format!("{base}/redfish/v1/{c}");
        async move {
            let body: serde_json::Value = http
                .get(url)
                .basic_auth(USER, Some(PASSWORD))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .json()
                .await
                .map_err(|e| e.to_string())?;
            let list: Vec<(String, String)> = body["Members"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|m| m["@odata.id"].as_str())
                .filter_map(|uri| {
                    // `<bmc>-<member>`; the rack's own members have no BMC prefix.
                    let id = uri.rsplit('/').next()?;
                    let (bmc, _) = id.split_once('-')?;
                    bmc.starts_with("bmc")
                        .then(|| (bmc.to_owned(), uri.to_owned()))
                })
                .collect();
            Ok::<_, String>(list)
        }
    };
    let started = Instant::now();
    loop {
        let systems = members("Systems").await.unwrap_or_default();
        if systems.len() >= bmcs {
            let mut all = systems.clone();
            all.extend(members("Chassis").await?);
            all.extend(members("Managers").await?);
            return Ok(load::Plan {
                systems,
                members: all,
            });
        }
        if started.elapsed() > Duration::from_secs(90) {
            return Err(format!(
                "only {} of {bmcs} systems listed after 90 s",
                systems.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
