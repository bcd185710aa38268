//! Operator-configured hook commands (PDU reseat, switch reset): argv with placeholders
//! substituted, never through a shell (a value can never become shell syntax), run with a timeout
//! past which the process is killed.

use std::process::Stdio;
use std::time::Duration;

/// Most stderr kept in a message.
const STDERR_KEEP: usize = 512;

/// How the command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    Succeeded,
    Failed {
        status: String,
        stderr: String,
    },
    TimedOut {
        after_secs: u64,
    },
    /// It could not be started at all (missing program, permissions).
    NotStarted {
        reason: String,
    },
}

impl CommandOutcome {
    /// Why `what` (e.g. "reseat command") failed, for a message; None when it succeeded.
    pub fn failure(&self, what: &str) -> Option<String> {
        match self {
            CommandOutcome::Succeeded => None,
            CommandOutcome::Failed { status, stderr } if stderr.is_empty() => {
                Some(format!("{what} failed with {status}"))
            }
            CommandOutcome::Failed { status, stderr } => {
                Some(format!("{what} failed with {status}: {stderr}"))
            }
            CommandOutcome::TimedOut { after_secs } => Some(format!(
                "{what} timed out after {after_secs} s and was killed"
            )),
            CommandOutcome::NotStarted { reason } => {
                Some(format!("{what} could not start: {reason}"))
            }
        }
    }
}

/// The argv with every `(placeholder, value)` replaced in every argument.
pub fn substitute(command: &[String], values: &[(&str, &str)]) -> Vec<String> {
    command
        .iter()
        .map(|a| {
            values
                .iter()
                .fold(a.clone(), |arg, (key, value)| arg.replace(key, value))
        })
        .collect()
}

/// Trims and bounds the command's stderr for a message.
fn trimmed(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.len() <= STDERR_KEEP {
        return text.to_owned();
    }
    let mut end = STDERR_KEEP;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Runs `argv` (no shell), killing it after `timeout`.
pub async fn run(argv: &[String], timeout: Duration) -> CommandOutcome {
    run_with_input(argv, &[], timeout).await
}

/// Like [`run`], with `input` on the command's stdin (closed after it; /dev/null when empty).
pub async fn run_with_input(argv: &[String], input: &[u8], timeout: Duration) -> CommandOutcome {
    let Some((program, args)) = argv.split_first() else {
        return CommandOutcome::NotStarted {
            reason: "no command is configured".into(),
        };
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(if input.is_empty() {
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return CommandOutcome::NotStarted {
                reason: format!("{program}: {e}"),
            };
        }
    };
    let finished = async move {
        if let Some(mut stdin) = child.stdin.take() {
            use tokio::io::AsyncWriteExt;
            // A command that exits without reading its input is judged by its exit status.
            let _ = stdin.write_all(input).await;
        }
        child.wait_with_output().await
    };
    // Dropping the future on timeout drops the child, which kill_on_drop kills.
    match tokio::time::timeout(timeout, finished).await {
        Err(_) => CommandOutcome::TimedOut {
            after_secs: timeout.as_secs(),
        },
        Ok(Err(e)) => CommandOutcome::NotStarted {
            reason: format!("{program}: {e}"),
        },
        Ok(Ok(out)) if out.status.success() => CommandOutcome::Succeeded,
        Ok(Ok(out)) => CommandOutcome::Failed {
            status: out.status.code().map_or_else(
                || "killed by a signal".to_owned(),
                |c| format!("exit status {c}"),
            ),
            stderr: trimmed(&out.stderr),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_substituted_in_every_argument() {
        let cmd: Vec<String> = ["/bin/x", "{a}", "--tag={b}:{a}", "{c}"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            substitute(&cmd, &[("{a}", "1; rm -rf /"), ("{b}", "s1")]),
            ["/bin/x", "1; rm -rf /", "--tag=s1:1; rm -rf /", "{c}"]
        );
    }

    #[test]
    fn stderr_is_trimmed_and_bounded() {
        assert_eq!(trimmed(b"  oops \n"), "oops");
        let long = "é".repeat(400);
        let t = trimmed(long.as_bytes());
        assert!(t.len() <= STDERR_KEEP + 3 && t.ends_with("..."));
    }

    #[tokio::test]
    async fn outcomes_of_real_processes() {
        let sh = |script: &str| vec!["/bin/sh".to_owned(), "-c".to_owned(), script.to_owned()];
        assert_eq!(
            run(&sh("exit 0"), Duration::from_secs(10)).await,
            CommandOutcome::Succeeded
        );
        assert_eq!(
            run(
                &sh("echo ' no such socket ' >&2; exit 3"),
                Duration::from_secs(10)
            )
            .await,
            CommandOutcome::Failed {
                status: "exit status 3".into(),
                stderr: "no such socket".into()
            }
        );
        assert_eq!(
            run(&sh("sleep 30"), Duration::from_millis(200)).await,
            CommandOutcome::TimedOut { after_secs: 0 }
        );
        let dir = tempfile::tempdir().expect("dir");
        let out = dir.path().join("stdin");
        assert_eq!(
            run_with_input(
                &sh(&format!("cat > {}", out.display())),
                b"{\"HostName\":\"r1\"}",
                Duration::from_secs(10)
            )
            .await,
            CommandOutcome::Succeeded
        );
        assert_eq!(
            std::fs::read_to_string(&out).expect("written"),
            "{\"HostName\":\"r1\"}"
        );
        assert!(matches!(
            run(&["/nonexistent/cmd".to_owned()], Duration::from_secs(1)).await,
            CommandOutcome::NotStarted { .. }
        ));
        assert!(
            run(&[], Duration::from_secs(1))
                .await
                .failure("x")
                .is_some()
        );
    }

    #[test]
    fn failures_read_as_sentences() {
        let f = |o: CommandOutcome| o.failure("reset command").unwrap_or_default();
        assert_eq!(f(CommandOutcome::Succeeded), "");
        assert_eq!(
            f(CommandOutcome::Failed {
                status: "exit status 1".into(),
                stderr: String::new()
            }),
            "reset command failed with exit status 1"
        );
        assert_eq!(
            f(CommandOutcome::Failed {
                status: "exit status 2".into(),
                stderr: "boom".into()
            }),
            "reset command failed with exit status 2: boom"
        );
        assert_eq!(
            f(CommandOutcome::TimedOut { after_secs: 5 }),
            "reset command timed out after 5 s and was killed"
        );
    }
}
