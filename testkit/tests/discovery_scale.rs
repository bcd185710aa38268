//! A regression guard, not a timed pass/fail: discovery of a rack of 48 BMCs that each answer
//! after 20 ms runs them side by side. Read one after another, 48 BMCs would take 48 times as
//! long as one; the bound is a ratio to one BMC measured in the same run, so a slow machine does
//! not fail it and a fall back to sequential discovery does.

use std::time::{Duration, Instant};
use testkit::bmc_sim::{Fault, Profile};
use testkit::{Stack, StackOptions};

async fn time_to_list(n: usize) -> Duration {
    let mut options = StackOptions::rack(n, Profile::Dmtf);
    options.path_faults_at_start = options
        .bmcs
        .iter()
        .map(|(id, _)| {
            (
                id.clone(),
                "/redfish".to_owned(),
                Fault::Delay {
                    fixed_ms: 20,
                    jitter_ms: 0,
                },
            )
        })
        .collect();
    let start = Instant::now();
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", n).await;
    let took = start.elapsed();
    stack.teardown().await;
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rack_is_discovered_side_by_side_not_one_bmc_after_another() {
    let one = time_to_list(1).await;
    let rack = time_to_list(48).await;
    eprintln!("time to list: 1 BMC {one:?}, 48 BMCs {rack:?}");
    assert!(
        rack < one * 12,
        "48 BMCs took {rack:?}, one took {one:?}: discovery has gone sequential"
    );
}
