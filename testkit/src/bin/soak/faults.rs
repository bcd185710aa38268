//! The faults the soak switches on and off on the simulated BMCs (through bmc-sim's fleet control
//! server), when each was on, and which client-visible errors each one explains.

use bmc_sim::Fault;
use std::time::{Duration, Instant};

/// Switched in turn; each is held for [`HOLD`], a few BMCs at a time.
pub fn kinds() -> Vec<Fault> {
    vec![
        Fault::Status {
            code: 500,
            redfish_body: true,
        },
        Fault::Hang,
        Fault::Garbage,
        Fault::Down,
        Fault::Status {
            code: 503,
            redfish_body: true,
        },
        Fault::TruncatedJson,
        Fault::ResetMidBody,
        Fault::Delay {
            fixed_ms: 300,
            jitter_ms: 100,
        },
    ]
}

pub const HOLD: Duration = Duration::from_secs(5);
pub const EVERY: Duration = Duration::from_secs(8);
/// BMCs faulted at once.
pub const AT_ONCE: usize = 4;

/// A fault as it was on one BMC, in seconds since the run began.
#[derive(Debug, Clone)]
pub struct Spell {
    pub bmc: String,
    pub fault: Fault,
    pub from: f64,
    pub until: f64,
}

/// Short name of a fault for the report.
pub fn name(f: &Fault) -> String {
    match f {
        Fault::Status { code, .. } => format!("Status {code}"),
        Fault::Delay { .. } => "Delay".into(),
        other => format!("{other:?}"),
    }
}

/// How long after a fault is cleared its effects may still be seen: requests in flight when it
/// was cleared, and for a BMC that hung or went down the open circuit breaker until discovery's
/// probe (after 1 s, doubling up to `retry_max_secs` = 2) finds it back.
fn grace(f: &Fault) -> f64 {
    match f {
        Fault::Hang | Fault::Down => 8.0,
        _ => 2.0,
    }
}

/// Whether `fault` accounts for a reply of `status` with Base message `message` (the key after
/// the registry version, e.g. `OperationTimeout`), as the README's failure table says.
pub fn explains(fault: &Fault, status: u16, message: &str) -> bool {
    match fault {
        // The BMC's own error, passed through.
        Fault::Status { code, .. } => {
            status == *code
                && matches!(
                    (code, message),
                    (500, "InternalError") | (503, "ServiceTemporarilyUnavailable")
                )
        }
        // No full reply within request_timeout_ms: 504, then 503 from the open breaker.
        Fault::Hang => matches!(
            (status, message),
            (504, "OperationTimeout") | (503, "ServiceTemporarilyUnavailable")
        ),
        // Refused connections: 503; a request the dropped connection cut midway: 502.
        Fault::Down => matches!(
            (status, message),
            (503, "ServiceTemporarilyUnavailable") | (502, "OperationFailed")
        ),
        // Garbage, truncated or cut-off replies.
        Fault::Garbage | Fault::TruncatedJson | Fault::ResetMidBody => {
            (status, message) == (502, "OperationFailed")
        }
        // A slow BMC holds its turns longer: a request that finds none within the timeout is
        // refused as busy (503), with no breaker opened.
        Fault::Delay { .. } | Fault::SlowDrip { .. } => {
            (status, message) == (503, "ServiceTemporarilyUnavailable")
        }
        Fault::None => false,
    }
}

/// The spell on `bmc` that explains an error seen between `start` and `end`, if any.
pub fn cause<'a>(
    spells: &'a [Spell],
    bmc: &str,
    start: f64,
    end: f64,
    status: u16,
    message: &str,
) -> Option<&'a Spell> {
    spells.iter().find(|s| {
        s.bmc == bmc
            && start <= s.until + grace(&s.fault)
            && end >= s.from
            && explains(&s.fault, status, message)
    })
}

/// Switches faults on and off until `deadline`: every [`EVERY`], [`AT_ONCE`] BMCs of `faulty`
/// (round robin) each get the next fault kind for [`HOLD`]. Returns what was on when.
pub async fn run(
    control: String,
    faulty: Vec<String>,
    origin: Instant,
    deadline: Instant,
) -> Vec<Spell> {
    let http = reqwest::Client::new();
    let kinds = kinds();
    let mut spells = Vec::new();
    let mut round = 0usize;
    tokio::time::sleep(Duration::from_secs(3)).await;
    while Instant::now() + HOLD + Duration::from_secs(3) < deadline {
        let round_start = Instant::now();
        let mut on = Vec::new();
        for k in 0..AT_ONCE {
            let slot = round * AT_ONCE + k;
            let bmc = faulty[slot % faulty.len()].clone();
            let fault = kinds[slot % kinds.len()].clone();
            let from = origin.elapsed().as_secs_f64();
            let body = serde_json::to_vec(&fault).unwrap_or_default();
            let r = http
                .put(format!("http://{control}/bmcs/{bmc}/fault"))
                .body(body)
                .send()
                .await;
            if !r.is_ok_and(|r| r.status().is_success()) {
                eprintln!("soak: could not set {fault:?} on {bmc}");
            }
            on.push((bmc, fault, from));
        }
        tokio::time::sleep(HOLD).await;
        for (bmc, fault, from) in on {
            let r = http
                .delete(format!("http://{control}/bmcs/{bmc}/fault"))
                .send()
                .await;
            if !r.is_ok_and(|r| r.status().is_success()) {
                eprintln!("soak: could not clear the fault of {bmc}");
            }
            let until = origin.elapsed().as_secs_f64();
            spells.push(Spell {
                bmc,
                fault,
                from,
                until,
            });
        }
        round += 1;
        tokio::time::sleep(EVERY.saturating_sub(round_start.elapsed())).await;
    }
    spells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_explains_only_its_own_errors() {
        let s500 = Fault::Status {
            code: 500,
            redfish_body: true,
        };
        assert!(explains(&s500, 500, "InternalError"));
        assert!(!explains(&s500, 503, "ServiceTemporarilyUnavailable"));
        assert!(explains(&Fault::Hang, 504, "OperationTimeout"));
        assert!(explains(&Fault::Hang, 503, "ServiceTemporarilyUnavailable"));
        assert!(!explains(&Fault::Hang, 502, "OperationFailed"));
        assert!(explains(&Fault::Garbage, 502, "OperationFailed"));
        assert!(!explains(&Fault::Garbage, 500, "InternalError"));
        assert!(!explains(
            &Fault::Delay {
                fixed_ms: 1,
                jitter_ms: 0
            },
            504,
            "OperationTimeout"
        ));
    }

    #[test]
    fn a_cause_must_be_on_the_same_bmc_and_near_in_time() {
        let spells = vec![Spell {
            bmc: "bmc1".into(),
            fault: Fault::Garbage,
            from: 10.0,
            until: 15.0,
        }];
        assert!(cause(&spells, "bmc1", 11.0, 11.1, 502, "OperationFailed").is_some());
        assert!(cause(&spells, "bmc2", 11.0, 11.1, 502, "OperationFailed").is_none());
        assert!(cause(&spells, "bmc1", 5.0, 6.0, 502, "OperationFailed").is_none());
        assert!(cause(&spells, "bmc1", 30.0, 30.1, 502, "OperationFailed").is_none());
        assert!(cause(&spells, "bmc1", 16.0, 16.1, 502, "OperationFailed").is_some());
    }
}
