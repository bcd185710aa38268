//! The real service binaries as processes (for the crash and soak tests, which need `kill -9` and
//! a process's own RSS and file descriptors), and what `/proc` says about them. Linux only.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A binary of the workspace, from the target directory the running test or tool was built in
/// (`scripts/test` builds every binary before any test runs).
pub fn bin_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let mut dir = exe.parent().expect("in a directory").to_path_buf();
    // Tests run from target/<profile>/deps, tools from target/<profile>.
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace's binaries first (cargo build --workspace --bins)",
        path.display()
    );
    path
}

/// One running service binary, its stderr in `log`.
pub struct Proc {
    child: Child,
    /// What it printed after "listening on": `127.0.0.1:PORT`.
    pub addr: String,
    pub log: PathBuf,
}

impl Proc {
    /// Starts `bin --config config` (plus `args`), logging to `log`, and waits for its
    /// "<name> listening on ADDR" line.
    pub async fn start(bin: &str, config: &Path, args: &[&str], log: &Path) -> Proc {
        let mut all = vec!["--config".to_owned(), config.display().to_string()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        Proc::spawn(bin, &all, log, 1).await.0
    }

    /// Starts `bin args`, logging to `log`, and waits for `lines` lines "WHAT listening on ADDR"
    /// on its stdout; (WHAT, ADDR without `http(s)://`) of each, in order. `addr` is the first.
    pub async fn spawn(
        bin: &str,
        args: &[String],
        log: &Path,
        lines: usize,
    ) -> (Proc, Vec<(String, String)>) {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let mut child = Command::new(bin_path(bin))
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("start {bin}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let mut out = BufReader::new(stdout).lines();
        let addrs = tokio::time::timeout(Duration::from_secs(60), async {
            let mut addrs = Vec::new();
            while addrs.len() < lines {
                match out.next_line().await {
                    Ok(Some(line)) => {
                        if let Some((what, addr)) = line.split_once(" listening on ") {
                            let addr = addr.trim();
                            let addr = addr.split_once("://").map_or(addr, |(_, a)| a);
                            addrs.push((what.to_owned(), addr.trim_end_matches('/').to_owned()));
                        }
                    }
                    _ => break,
                }
            }
            addrs
        })
        .await
        .unwrap_or_default();
        assert_eq!(
            addrs.len(),
            lines,
            "{bin} did not start; see {}",
            log.display()
        );
        // Keep draining stdout, so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = out.next_line().await {} });
        let proc = Proc {
            child,
            addr: addrs.first().map(|(_, a)| a.clone()).unwrap_or_default(),
            log: log.to_owned(),
        };
        (proc, addrs)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    /// `kill -9`: no shutdown, no flush, no destructor runs.
    pub async fn kill9(&mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// SIGTERM, then waits (bounded) for the exit; the exit status.
    pub async fn terminate(mut self) -> Option<std::process::ExitStatus> {
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        match tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => {
                self.kill9().await;
                None
            }
        }
    }
}

/// Resident set size of a process, KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Open file descriptors of a process.
pub fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Threads of a process.
pub fn thread_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// The process's TCP connections (not listeners) as (local port, remote port).
pub fn tcp_connections(pid: u32) -> Vec<(u16, u16)> {
    let inodes: std::collections::HashSet<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter_map(|l| {
                    l.to_str()?
                        .strip_prefix("socket:[")?
                        .strip_suffix(']')?
                        .parse()
                        .ok()
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
            let (Some(local), Some(remote), Some(state), Some(inode)) =
                (f.get(1), f.get(2), f.get(3), f.get(9))
            else {
                continue;
            };
            let listening = *state == "0A";
            let port = |a: &str| {
                a.rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
            };
            if listening || !inode.parse().is_ok_and(|i: u64| inodes.contains(&i)) {
                continue;
            }
            if let (Some(l), Some(r)) = (port(local), port(remote)) {
                out.push((l, r));
            }
        }
    }
    out
}
