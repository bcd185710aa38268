//! Crash safety of the real binaries: frontend-svc and aggregator-svc run as processes on
//! file-backed SQLite while clients stream writes through the frontend (accounts, event
//! subscriptions, AggregationSources, the rack's AssetTag and power limit). Each service is
//! `kill -9`ed in the middle of the stream and restarted on the same state directory. Afterwards
//! every write that was acknowledged (2xx) is there, and nothing is half-applied: an account has
//! its role and its password works, a subscription has all its fields, a source its host, the
//! rack's properties hold the last acknowledged value (or one sent after it, whose reply the
//! crash cut off).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use testkit::bmc_sim::{BmcOptions, Profile, SimBmc, SimHandle};
use testkit::procs::Proc;
use testkit::{ADMIN_PASSWORD, ADMIN_USER};

/// How a write ended, from the client's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// 2xx: it must be there, whole.
    Acked,
    /// Any other answer, or none (the service died): it may or may not be there, but never half.
    NotAcked,
}

#[derive(Debug, Clone)]
struct Attempt {
    /// What identifies the write: a user name, a context, a source id, a value.
    key: String,
    outcome: Outcome,
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn send(&self, method: Method, path: &str, body: Value) -> (Outcome, Option<String>) {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(ADMIN_USER, Some(ADMIN_PASSWORD))
            .json(&body)
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {
                let location = r
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                // The reply must be read whole to count as received.
                match r.bytes().await {
                    Ok(_) => (Outcome::Acked, location),
                    Err(_) => (Outcome::NotAcked, None),
                }
            }
            _ => (Outcome::NotAcked, None),
        }
    }

    async fn get(&self, path: &str, user: (&str, &str)) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .basic_auth(user.0, Some(user.1))
            .send()
            .await
            .expect("the restarted stack answers");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// One writer: `make(n)` gives the n-th request (method, path, body, key); paced by `pause`.
async fn writer(
    client: Arc<Client>,
    stop: Arc<AtomicBool>,
    pause: Duration,
    limit: usize,
    make: impl Fn(usize) -> (Method, String, Value, String),
) -> Vec<Attempt> {
    let mut attempts = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) && n < limit {
        let (method, path, body, key) = make(n);
        let (outcome, _) = client.send(method, &path, body).await;
        attempts.push(Attempt { key, outcome });
        n += 1;
        tokio::time::sleep(pause).await;
    }
    attempts
}

/// A subscription's life as one writer saw it.
#[derive(Debug, Clone)]
struct SubscriptionLife {
    context: String,
    destination: String,
    created: Outcome,
    uri: Option<String>,
    /// None: no DELETE was sent.
    deleted: Option<Outcome>,
}

/// Creates subscriptions back to back, deleting the previous one after each creation.
async fn subscriber(client: Arc<Client>, stop: Arc<AtomicBool>, w: usize) -> Vec<SubscriptionLife> {
    let mut lives: Vec<SubscriptionLife> = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let context = format!("ctx-{w}-{n}");
        let destination = format!("http://127.0.0.1:9/events/{w}/{n}");
        let body = json!({"Destination": destination, "Protocol": "Redfish", "Context": context});
        let (created, uri) = client
            .send(Method::POST, "/redfish/v1/EventService/Subscriptions", body)
            .await;
        if let Some(previous) = lives
            .last_mut()
            .filter(|l| l.created == Outcome::Acked && l.deleted.is_none())
            && let Some(uri) = previous.uri.clone()
        {
            let (outcome, _) = client.send(Method::DELETE, &uri, Value::Null).await;
            previous.deleted = Some(outcome);
        }
        lives.push(SubscriptionLife {
            context,
            destination,
            created,
            uri,
            deleted: None,
        });
        n += 1;
        if created != Outcome::Acked {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    lives
}

fn password_of(user: &str) -> String {
    format!("Crash-{user}-pw-0123")
}

const ROLES: [&str; 3] = ["Administrator", "Operator", "ReadOnly"];

fn write_config(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write config");
}

fn aggregator_toml(dir: &Path, listen: &str, sims: &[SimHandle]) -> String {
    let bmcs: String = sims
        .iter()
        .map(|s| {
            format!(
                "[[aggregator.bmcs]]\nid = \"{}\"\nurl = \"{}\"\nusername = \"root\"\npassword = \"calvin\"\nverify_tls = false\n",
                s.id(),
                s.url()
            )
        })
        .collect();
    format!(
        "[aggregator]\ngrpc_listen = \"{listen}\"\nstate_dir = \"{}\"\nrequest_timeout_ms = 5000\nretry_max_secs = 2\n{bmcs}",
        dir.join("aggregator").display()
    )
}

fn frontend_toml(dir: &Path, listen: &str, aggregator: &str) -> String {
    format!(
        "[frontend]\nlisten = \"{listen}\"\naggregator_endpoint = \"http://{aggregator}\"\nstate_dir = \"{}\"\n[frontend.bootstrap_admin]\nusername = \"{ADMIN_USER}\"\npassword = \"{ADMIN_PASSWORD}\"\n",
        dir.join("frontend").display()
    )
}

/// Until `path` answers 200 (a restarted service is up and reaches what it needs).
async fn until_ok(client: &Client, path: &str) {
    for _ in 0..300 {
        if let Ok(r) = client
            .http
            .get(format!("{}{path}", client.base))
            .basic_auth(ADMIN_USER, Some(ADMIN_PASSWORD))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never answered 200");
}

#[derive(Default)]
struct Tally {
    attempted: usize,
    acked: usize,
    found: usize,
    lost: Vec<String>,
}

impl Tally {
    fn line(&self, what: &str) -> String {
        format!(
            "{what:<22} attempted {:>4}  acknowledged {:>4}  found {:>4}  lost {}",
            self.attempted,
            self.acked,
            self.found,
            self.lost.len()
        )
    }
}

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
    let attempts = |kind: &str| -> Vec<Attempt> {
        by_kind
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, a)| a.clone())
            .unwrap_or_default()
    };

    let mut report = Vec::new();
    let mut problems = Vec::new();

    // Accounts: every acknowledged one has its role and its password; any other that exists is
    // whole too.
    let mut tally = Tally::default();
    let (_, collection) = client
        .get(
            "/redfish/v1/AccountService/Accounts",
            (ADMIN_USER, ADMIN_PASSWORD),
        )
        .await;
    let members: Vec<String> = collection["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|v| v["@odata.id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut existing = std::collections::HashMap::new();
    for uri in &members {
        let (_, account) = client.get(uri, (ADMIN_USER, ADMIN_PASSWORD)).await;
        if let Some(name) = account["UserName"].as_str() {
            existing.insert(name.to_owned(), account);
        }
    }
    for a in attempts("account").iter() {
        tally.attempted += 1;
        let role_index: usize = a
            .key
            .rsplit('u')
            .next()
            .and_then(|i| i.parse().ok())
            .unwrap_or(0);
        let role = ROLES[role_index % 3];
        let account = existing.get(&a.key);
        if a.outcome == Outcome::Acked {
            tally.acked += 1;
            if account.is_some() {
                tally.found += 1;
            } else {
                tally.lost.push(a.key.clone());
                continue;
            }
        }
        if let Some(account) = account {
            if account["RoleId"] != role {
                problems.push(format!(
                    "account {} has role {} (sent {role})",
                    a.key, account["RoleId"]
                ));
            }
            let (status, _) = client
                .get("/redfish/v1/AccountService", (&a.key, &password_of(&a.key)))
                .await;
            if status != StatusCode::OK {
                problems.push(format!("account {}: its password gets {status}", a.key));
            }
        }
    }
    report.push(tally.line("accounts"));
    problems.extend(
        tally
            .lost
            .iter()
            .map(|k| format!("acknowledged account {k} lost")),
    );

    // Subscriptions: each acknowledged creation not deleted since is there with its destination
    // and context; each acknowledged deletion is gone.
    let mut lives = Vec::new();
    for t in sub_tasks {
        lives.extend(t.await.expect("subscriber"));
    }
    let mut tally = Tally::default();
    let (_, collection) = client
        .get(
            "/redfish/v1/EventService/Subscriptions",
            (ADMIN_USER, ADMIN_PASSWORD),
        )
        .await;
    let mut existing = std::collections::HashMap::new();
    for m in collection["Members"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let uri = m["@odata.id"].as_str().unwrap_or_default().to_owned();
        let (_, sub) = client.get(&uri, (ADMIN_USER, ADMIN_PASSWORD)).await;
        match sub["Context"].as_str() {
            Some(context) => {
                existing.insert(context.to_owned(), sub);
            }
            None => problems.push(format!("subscription {uri} has no Context: {sub}")),
        }
    }
    let mut deletes = (0, 0);
    for life in &lives {
        tally.attempted += 1;
        let sub = existing.get(&life.context);
        if life.created == Outcome::Acked {
            tally.acked += 1;
        }
        match (life.created, life.deleted, sub) {
            (_, Some(Outcome::Acked), Some(_)) => problems.push(format!(
                "subscription {} deleted (acknowledged) but back",
                life.context
            )),
            (Outcome::Acked, None, None) => tally.lost.push(life.context.clone()),
            (Outcome::Acked, None, Some(_)) => tally.found += 1,
            _ => {}
        }
        if let Some(outcome) = life.deleted {
            deletes.0 += 1;
            if outcome == Outcome::Acked {
                deletes.1 += 1;
            }
        }
        if let Some(sub) = sub
            && (sub["Destination"] != life.destination.as_str() || sub["Protocol"] != "Redfish")
        {
            problems.push(format!("subscription {} is not whole: {sub}", life.context));
        }
    }
    report.push(format!(
        "{}  (deletions attempted {}, acknowledged {}; acknowledged and kept: {})",
        tally.line("event subscriptions"),
        deletes.0,
        deletes.1,
        tally.found + tally.lost.len()
    ));
    problems.extend(
        tally
            .lost
            .iter()
            .map(|k| format!("acknowledged subscription {k} lost")),
    );

    // AggregationSources: each acknowledged one is there with its host.
    let mut tally = Tally::default();
    for a in attempts("source") {
        tally.attempted += 1;
        let (status, source) = client
            .get(
                &format!(
                    "/redfish/v1/AggregationService/AggregationSources/{}",
                    a.key
                ),
                (ADMIN_USER, ADMIN_PASSWORD),
            )
            .await;
        let present = status == StatusCode::OK;
        if a.outcome == Outcome::Acked {
            tally.acked += 1;
            if present {
                tally.found += 1;
            } else {
                tally.lost.push(a.key.clone());
                continue;
            }
        }
        if present && source["HostName"] != extra.url().as_str() {
            problems.push(format!("source {} is not whole: {source}", a.key));
        }
    }
    report.push(tally.line("aggregation sources"));
    problems.extend(
        tally
            .lost
            .iter()
            .map(|k| format!("acknowledged source {k} lost")),
    );

    // The rack's properties: the last acknowledged value, or one sent after it.
    let (_, rack) = client
        .get("/redfish/v1/Chassis/Rack1", (ADMIN_USER, ADMIN_PASSWORD))
        .await;
    let (_, power) = client
        .get(
            "/redfish/v1/Chassis/Rack1/Power",
            (ADMIN_USER, ADMIN_PASSWORD),
        )
        .await;
    let rows = [
        ("asset tag", rack["AssetTag"].as_str().map(str::to_owned)),
        (
            "power limit",
            power["PowerControl"][0]["PowerLimit"]["LimitInWatts"]
                .as_u64()
                .map(|w| w.to_string()),
        ),
    ];
    for (kind, now) in rows {
        let all = attempts(kind);
        let last_acked = all.iter().rposition(|a| a.outcome == Outcome::Acked);
        let allowed: Vec<&str> = all[last_acked.unwrap_or(0)..]
            .iter()
            .map(|a| a.key.as_str())
            .collect();
        let acked = all.iter().filter(|a| a.outcome == Outcome::Acked).count();
        let ok = last_acked.is_none() || now.as_deref().is_some_and(|v| allowed.contains(&v));
        report.push(format!(
            "{kind:<22} attempted {:>4}  acknowledged {:>4}  last acknowledged {:?}, now {:?}",
            all.len(),
            acked,
            last_acked.map(|i| all[i].key.clone()),
            now
        ));
        if !ok {
            problems.push(format!(
                "{kind}: {now:?} is neither the last acknowledged value nor one sent after it"
            ));
        }
    }
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
            attempts(kind)
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
