//! Shared by the crash test: the writers that stream through the frontend, what each saw, and the
//! configuration of the real binaries. [`verify`] checks what survived.

pub mod verify;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use testkit::bmc_sim::SimHandle;
use testkit::{ADMIN_PASSWORD, ADMIN_USER};

/// How a write ended, from the client's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: it must be there, whole.
    Acked,
    /// Any other answer, or none (the service died): it may or may not be there, but never half.
    NotAcked,
}

#[derive(Debug, Clone)]
pub struct Attempt {
    /// What identifies the write: a user name, a context, a source id, a value.
    pub key: String,
    pub outcome: Outcome,
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub async fn send(&self, method: Method, path: &str, body: Value) -> (Outcome, Option<String>) {
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

    pub async fn get(&self, path: &str, user: (&str, &str)) -> (StatusCode, Value) {
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
pub async fn writer(
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
pub struct SubscriptionLife {
    pub context: String,
    pub destination: String,
    pub created: Outcome,
    pub uri: Option<String>,
    /// None: no DELETE was sent.
    pub deleted: Option<Outcome>,
}

/// Creates subscriptions back to back, deleting the previous one after each creation.
pub async fn subscriber(
    client: Arc<Client>,
    stop: Arc<AtomicBool>,
    w: usize,
) -> Vec<SubscriptionLife> {
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

pub fn password_of(user: &str) -> String {
    format!("Crash-{user}-pw-0123")
}

pub const ROLES: [&str; 3] = ["Administrator", "Operator", "ReadOnly"];

pub fn write_config(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write config");
}

pub fn aggregator_toml(dir: &Path, listen: &str, sims: &[SimHandle]) -> String {
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

pub fn frontend_toml(dir: &Path, listen: &str, aggregator: &str) -> String {
    format!(
        "[frontend]\nlisten = \"{listen}\"\naggregator_endpoint = \"http://{aggregator}\"\nstate_dir = \"{}\"\n[frontend.bootstrap_admin]\nusername = \"{ADMIN_USER}\"\npassword = \"{ADMIN_PASSWORD}\"\n",
        dir.join("frontend").display()
    )
}

/// Until `path` answers 200 (a restarted service is up and reaches what it needs).
pub async fn until_ok(client: &Client, path: &str) {
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
pub struct Tally {
    pub attempted: usize,
    pub acked: usize,
    pub found: usize,
    pub lost: Vec<String>,
}

impl Tally {
    pub fn line(&self, what: &str) -> String {
        format!(
            "{what:<22} attempted {:>4}  acknowledged {:>4}  found {:>4}  lost {}",
            self.attempted,
            self.acked,
            self.found,
            self.lost.len()
        )
    }
}
