//! Crash safety of the real binaries: frontend-svc and aggregator-svc run as processes on
//! file-backed SQLite while clients stream writes through the frontend (accounts, event
//! subscriptions, AggregationSources, the rack's AssetTag and power limit). Each service is
//! `kill -9`ed in the middle of the stream and restarted on the same state directory. Afterwards
//! every write that was acknowledged (2xx) is there, and nothing is half-applied: an account has
//! its role and its password works, a subscription has all its fields, a source its host, the
//! rack's properties hold the last acknowledged value (or one sent after it, whose reply the
//! crash cut off). Uses the binaries of the target directory (`scripts/test` builds them first).

mod crash;

use crash::verify::{self, attempts_of};
use crash::{
    Attempt, Client, Outcome, ROLES, aggregator_toml, frontend_toml, password_of, subscriber,
    until_ok, write_config, writer,
};
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use testkit::bmc_sim::{BmcOptions, Profile, SimBmc};
use testkit::procs::Proc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9_of_each_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sims = vec![
        SimBmc::start(BmcOptions::new("s1", Profile::Dmtf))
            .await
            .expect("sim"),
        SimBmc::start(BmcOptions::new("s2", Profile::Idrac))
            .await
            .expect("sim"),
    ];
    // BMCs the AggregationSources POSTs point at.
    let extra = SimBmc::start(BmcOptions::new("extra", Profile::Dmtf))
        .await
        .expect("sim");
    let agg_config = dir.path().join("aggregator.toml");
    let fe_config = dir.path().join("frontend.toml");
    let agg_log = dir.path().join("aggregator.log");
    let fe_log = dir.path().join("frontend.log");

    write_config(
        &agg_config,
        &aggregator_toml(dir.path(), "127.0.0.1:0", &sims),
    );
    let mut aggregator = Proc::start("aggregator-svc", &agg_config, &[], &agg_log).await;
    // Restarts reuse the ports, so clients and the frontend find them again.
    write_config(
        &agg_config,
        &aggregator_toml(dir.path(), &aggregator.addr, &sims),
    );
    write_config(
        &fe_config,
        &frontend_toml(dir.path(), "127.0.0.1:0", &aggregator.addr),
    );
    let mut frontend = Proc::start("frontend-svc", &fe_config, &[], &fe_log).await;
    write_config(
        &fe_config,
        &frontend_toml(dir.path(), &frontend.addr, &aggregator.addr),
    );

    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("client"),
        base: format!("http://{}", frontend.addr),
    });
    until_ok(&client, "/redfish/v1/Chassis/Rack1").await;

    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    // Accounts: two writers at once.
    for w in 0..2 {
        let make = move |n: usize| {
            let user = format!("c{w}u{n}");
            let body =
                json!({"UserName": user, "Password": password_of(&user), "RoleId": ROLES[n % 3]});
            (
                Method::POST,
                "/redfish/v1/AccountService/Accounts".to_owned(),
                body,
                user,
            )
        };
        tasks.push((
            "account",
            tokio::spawn(writer(
                client.clone(),
                stop.clone(),
                Duration::from_millis(150),
                60,
                make,
            )),
        ));
    }
    // Event subscriptions: eight writers at once, each creating one and deleting its previous one
    // (the service keeps at most 64).
    let mut sub_tasks = Vec::new();
    for w in 0..8 {
        sub_tasks.push(tokio::spawn(subscriber(client.clone(), stop.clone(), w)));
    }
    let extra_url = extra.url();
    let make = move |n: usize| {
        let id = format!("x{n}");
        let body = json!({"HostName": extra_url, "UserName": "root", "Password": "calvin", "Id": id,
                          "Oem": {"RedDrum": {"VerifyTls": false}}});
        (
            Method::POST,
            "/redfish/v1/AggregationService/AggregationSources".to_owned(),
            body,
            id,
        )
    };
    tasks.push((
        "source",
        tokio::spawn(writer(
            client.clone(),
            stop.clone(),
            Duration::from_millis(600),
            20,
            make,
        )),
    ));
    let make = |n: usize| {
        let tag = format!("tag-{n}");
        (
            Method::PATCH,
            "/redfish/v1/Chassis/Rack1".to_owned(),
            json!({"AssetTag": tag}),
            tag,
        )
    };
    tasks.push((
        "asset tag",
        tokio::spawn(writer(
            client.clone(),
            stop.clone(),
            Duration::from_millis(20),
            usize::MAX,
            make,
        )),
    ));
    let make = |n: usize| {
        let watts = 1000 + n;
        let body = json!({"PowerControl": [{"PowerLimit": {"LimitInWatts": watts}}]});
        (
            Method::PATCH,
            "/redfish/v1/Chassis/Rack1/Power".to_owned(),
            body,
            watts.to_string(),
        )
    };
    tasks.push((
        "power limit",
        tokio::spawn(writer(
            client.clone(),
            stop.clone(),
            Duration::from_millis(20),
            usize::MAX,
            make,
        )),
    ));

    // The frontend dies mid-stream, then the aggregator.
    tokio::time::sleep(Duration::from_secs(3)).await;
    frontend.kill9().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    frontend = Proc::start("frontend-svc", &fe_config, &[], &fe_log).await;
    until_ok(&client, "/redfish/v1/Chassis/Rack1").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    aggregator.kill9().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    aggregator = Proc::start("aggregator-svc", &agg_config, &[], &agg_log).await;
    until_ok(&client, "/redfish/v1/Chassis/Rack1").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut by_kind: Vec<(&str, Vec<Attempt>)> = Vec::new();
    for (kind, task) in tasks {
        let attempts = task.await.expect("writer");
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, all)) => all.extend(attempts),
            None => by_kind.push((kind, attempts)),
        }
    }

    let mut report = Vec::new();
    let mut problems = Vec::new();
    let mut lives = Vec::new();
    for t in sub_tasks {
        lives.extend(t.await.expect("subscriber"));
    }
    let accounts = attempts_of(&by_kind, "account");
    verify::accounts(&client, &accounts, &mut report, &mut problems).await;
    verify::subscriptions(&client, &lives, &mut report, &mut problems).await;
    let sources = attempts_of(&by_kind, "source");
    verify::sources(&client, &sources, &extra.url(), &mut report, &mut problems).await;
    verify::last_values(&client, &by_kind, &mut report, &mut problems).await;
    println!(
        "crash safety (kill -9 of frontend-svc, then aggregator-svc):\n  {}",
        report.join("\n  ")
    );
    for (kind, all) in &by_kind {
        let acked = all.iter().filter(|a| a.outcome == Outcome::Acked).count();
        assert!(
            acked > 0,
            "no {kind} write was acknowledged: the stream did not run"
        );
    }
    // The kills landed in the stream: the continuous writers saw writes cut off.
    for kind in ["asset tag", "power limit"] {
        assert!(
            attempts_of(&by_kind, kind)
                .iter()
                .any(|a| a.outcome == Outcome::NotAcked),
            "no {kind} write was cut by a crash"
        );
    }
    assert!(
        problems.is_empty(),
        "{}\nlogs: {} {}",
        problems.join("\n"),
        fe_log.display(),
        agg_log.display()
    );

    let _ = frontend.terminate().await;
    let _ = aggregator.terminate().await;
    for s in sims {
        s.shutdown().await;
    }
    extra.shutdown().await;
}
