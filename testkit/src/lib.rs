//! Starts whole stacks in one process, every part on 127.0.0.1 port 0 with its own temporary
//! state directory: simulated BMCs, aggregator-svc, frontend-svc, talking real HTTP and real gRPC.
//! Many stacks can run at once, so tests run in parallel.

use bmc_sim::{BmcOptions, Profile, SimBmc, SimHandle};
use frontend_svc::clock::{Clock, SystemClock};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub mod events;
pub mod logs;
pub mod procs;

pub use bmc_sim;
pub use frontend_svc::clock::ManualClock;

pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "testkit-admin-pw";

/// What to start.
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// (bmc id, profile) per simulated BMC.
    pub bmcs: Vec<(String, Profile)>,
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    pub discovery_interval_secs: u64,
    pub tls: bool,
    /// Added to the `[aggregator]` TOML before the BMC list: top-level keys first, then tables
    /// (e.g. `inside_switch = false\n[rack]\nmodel = "R1"\n[pdu]\nreseat_command = [...]`).
    pub extra_aggregator_toml: String,
    /// (bmc id, socket): `pdu_socket` of those BMCs.
    pub pdu_sockets: Vec<(String, String)>,
    /// (bmc id, fault): set on those BMCs before the aggregator starts (e.g. `Down`: a BMC
    /// still booting when the aggregator comes up).
    pub faults_at_start: Vec<(String, bmc_sim::Fault)>,
    /// (bmc id, path prefix, fault): path faults set before the aggregator starts.
    pub path_faults_at_start: Vec<(String, String, bmc_sim::Fault)>,
    /// (bmc id, quirks): those BMCs behave like the field's odd ones (bmc-sim's quirks).
    pub quirks: Vec<(String, bmc_sim::Quirks)>,
    /// (bmc id, TOML lines): added to that BMC's `[[bmcs]]` entry (e.g.
    /// `trust_on_first_use = true`).
    pub bmc_toml: Vec<(String, String)>,
}

impl StackOptions {
    /// `n` BMCs of one profile, ids s1..sn.
    pub fn rack(n: usize, profile: Profile) -> Self {
        StackOptions {
            bmcs: (1..=n).map(|i| (format!("s{i}"), profile)).collect(),
            connect_timeout_ms: 1_000,
            request_timeout_ms: 3_000,
            discovery_interval_secs: 300,
            tls: false,
            extra_aggregator_toml: String::new(),
            pdu_sockets: Vec::new(),
            faults_at_start: Vec::new(),
            path_faults_at_start: Vec::new(),
            quirks: Vec::new(),
            bmc_toml: Vec::new(),
        }
    }
}

pub struct Service {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Service {
    /// Stops the service and waits for it (bounded).
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(15), self.task).await;
    }

    /// Stops a service started with [`start_frontend`] or [`start_aggregator`].
    pub async fn shutdown(self) {
        self.stop().await;
    }
}

pub struct Stack {
    /// `http://127.0.0.1:PORT` of the frontend.
    pub base: String,
    pub sims: Vec<SimHandle>,
    pub agg_endpoint: String,
    /// `http://127.0.0.1:PORT` of each service's operations listener (`/metrics`, `/healthz`,
    /// `/readyz`).
    pub agg_ops: String,
    pub frontend_ops: String,
    pub client: reqwest::Client,
    pub frontend_state: tempfile::TempDir,
    pub aggregator_state: tempfile::TempDir,
    frontend: Option<Service>,
    aggregator: Option<Service>,
    options: StackOptions,
    /// The frontend's clock, kept across restarts (None = the real clock).
    frontend_clock: Option<Arc<dyn Clock>>,
}

/// A configuration for the aggregator pointing at `sims`.
pub fn aggregator_config(
    sims: &[SimHandle],
    state_dir: &std::path::Path,
    options: &StackOptions,
) -> aggregator_svc::Config {
    let bmcs = sims
        .iter()
        .map(|s| {
            let socket = options
                .pdu_sockets
                .iter()
                .find(|(id, _)| id == s.id())
                .map(|(_, socket)| format!("pdu_socket = \"{socket}\"\n"))
                .unwrap_or_default();
            let extra: String = options
                .bmc_toml
                .iter()
                .filter(|(id, _)| id == s.id())
                .map(|(_, lines)| format!("{lines}\n"))
                .collect();
            format!(
                "[[bmcs]]\nid = \"{}\"\nurl = \"{}\"\nusername = \"root\"\npassword = \"calvin\"\nverify_tls = false\n{socket}{extra}",
                s.id(),
                s.url()
            )
        })
        .collect::<String>();
    let text = format!(
        "grpc_listen = \"127.0.0.1:0\"\nstate_dir = \"{}\"\nconnect_timeout_ms = {}\nrequest_timeout_ms = {}\ndiscovery_interval_secs = {}\n{}\n{bmcs}",
        state_dir.display(),
        options.connect_timeout_ms,
        options.request_timeout_ms,
        options.discovery_interval_secs,
        options.extra_aggregator_toml,
    );
    toml_config(&text)
}

fn toml_config<T: serde::de::DeserializeOwned>(text: &str) -> T {
    match toml::from_str(text) {
        Ok(c) => c,
        Err(e) => panic!("testkit built a bad config: {e}\n{text}"),
    }
}

pub fn frontend_config(state_dir: &std::path::Path, agg_endpoint: &str) -> frontend_svc::Config {
    toml_config(&format!(
        "listen = \"127.0.0.1:0\"\naggregator_endpoint = \"{agg_endpoint}\"\nstate_dir = \"{}\"\n[bootstrap_admin]\nusername = \"{ADMIN_USER}\"\npassword = \"{ADMIN_PASSWORD}\"\n",
        state_dir.display()
    ))
}

impl Stack {
    pub async fn start(options: StackOptions) -> Stack {
        Self::start_inner(options, None).await
    }

    /// Like [`Stack::start`], with the frontend on a clock the test moves (session timeouts and
    /// lockouts expire when the test advances it; the same clock survives `restart_services`).
    pub async fn start_with_clock(options: StackOptions, clock: Arc<ManualClock>) -> Stack {
        Self::start_inner(options, Some(clock)).await
    }

    async fn start_inner(options: StackOptions, frontend_clock: Option<Arc<dyn Clock>>) -> Stack {
        let mut sims = Vec::new();
        for (id, profile) in &options.bmcs {
            let mut o = BmcOptions::new(id, *profile);
            o.tls = options.tls;
            if let Some((_, quirks)) = options.quirks.iter().find(|(b, _)| b == id) {
                o.quirks = quirks.clone();
            }
            let sim = SimBmc::start(o).await.expect("start bmc-sim");
            for (_, fault) in options.faults_at_start.iter().filter(|(b, _)| b == id) {
                sim.set_fault(fault.clone());
            }
            for (_, path, fault) in options
                .path_faults_at_start
                .iter()
                .filter(|(b, ..)| b == id)
            {
                sim.set_path_fault(path, fault.clone())
                    .expect("a path fault bmc-sim takes");
            }
            sims.push(sim);
        }
        let aggregator_state = tempfile::tempdir().expect("tempdir");
        let frontend_state = tempfile::tempdir().expect("tempdir");
        let (aggregator, agg_endpoint, agg_ops) =
            start_aggregator_with_ops(aggregator_config(&sims, aggregator_state.path(), &options))
                .await;
        let (frontend, base, frontend_ops) = start_frontend_with_ops(
            frontend_config(frontend_state.path(), &agg_endpoint),
            frontend_clock
                .clone()
                .unwrap_or_else(|| Arc::new(SystemClock)),
        )
        .await;
        Stack {
            base,
            sims,
            agg_endpoint,
            agg_ops,
            frontend_ops,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            frontend_state,
            aggregator_state,
            frontend: Some(frontend),
            aggregator: Some(aggregator),
            options,
            frontend_clock,
        }
    }

    pub fn options(&self) -> &StackOptions {
        &self.options
    }

    /// Changes what the next [`Stack::restart_services`] starts with.
    pub fn options_mut(&mut self) -> &mut StackOptions {
        &mut self.options
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request as the bootstrap administrator.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(ADMIN_USER, Some(ADMIN_PASSWORD))
    }

    /// GET as administrator: status and JSON body (Null when the body is not JSON).
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .admin(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request");
        let status = r.status().as_u16();
        let body = r.json().await.unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// Waits until `path` answers `status` (a BMC back is probed in the background: its breaker
    /// closes within about a second); returns how long that took.
    pub async fn wait_for_status(&self, path: &str, status: u16, within: Duration) -> Duration {
        let start = tokio::time::Instant::now();
        loop {
            let (got, body) = self.get(path).await;
            if got == status {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "{path} did not answer {status} within {within:?}; last answer {got} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls `path` until it answers 200 with a body `ready` holds of (bounded by `within`).
    pub async fn until(
        &self,
        path: &str,
        within: Duration,
        ready: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = tokio::time::Instant::now();
        loop {
            let (status, body) = self.get(path).await;
            if status == 200 && ready(&body) {
                return body;
            }
            assert!(
                start.elapsed() < within,
                "{path} never got ready within {within:?}: {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `collection` lists `count` members (discovery runs in the background).
    pub async fn wait_for_members(&self, collection: &str, count: usize) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let (status, body) = self.get(collection).await;
            if status == 200 && body["Members"].as_array().map(Vec::len) == Some(count) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{collection} never listed {count} members; last answer {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Restarts the aggregator and frontend on new ports with the same state directories.
    pub async fn restart_services(&mut self) {
        self.stop_services().await;
        self.start_services().await;
    }

    /// Stops the aggregator and frontend (the simulated BMCs keep running).
    pub async fn stop_services(&mut self) {
        if let Some(f) = self.frontend.take() {
            f.stop().await;
        }
        if let Some(a) = self.aggregator.take() {
            a.stop().await;
        }
    }

    /// Starts the aggregator and frontend again on new ports with the same state directories.
    pub async fn start_services(&mut self) {
        let (aggregator, agg_endpoint, agg_ops) = start_aggregator_with_ops(aggregator_config(
            &self.sims,
            self.aggregator_state.path(),
            &self.options,
        ))
        .await;
        let (frontend, base, frontend_ops) = start_frontend_with_ops(
            frontend_config(self.frontend_state.path(), &agg_endpoint),
            self.frontend_clock
                .clone()
                .unwrap_or_else(|| Arc::new(SystemClock)),
        )
        .await;
        self.aggregator = Some(aggregator);
        self.frontend = Some(frontend);
        self.agg_endpoint = agg_endpoint;
        self.agg_ops = agg_ops;
        self.frontend_ops = frontend_ops;
        self.base = base;
    }

    /// Stops the aggregator alone (the frontend keeps serving, its aggregator away).
    pub async fn stop_aggregator(&mut self) {
        if let Some(a) = self.aggregator.take() {
            a.stop().await;
        }
    }

    /// Starts the aggregator again on the gRPC address it had (the frontend's
    /// `aggregator_endpoint` stays right), same state directory.
    pub async fn start_aggregator_again(&mut self) {
        assert!(self.aggregator.is_none(), "stop_aggregator first");
        let addr = self.agg_endpoint.trim_start_matches("http://").to_owned();
        let listener = bind_retrying(&addr).await;
        let ops = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        self.agg_ops = format!("http://{}", ops.local_addr().expect("addr"));
        let config = aggregator_config(&self.sims, self.aggregator_state.path(), &self.options);
        self.aggregator = Some(spawn_aggregator(config, listener, Some(ops)));
    }

    /// Stops the frontend alone (the aggregator keeps running): its address refuses connections.
    pub async fn stop_frontend(&mut self) {
        if let Some(f) = self.frontend.take() {
            f.stop().await;
        }
    }

    /// Starts the frontend again on the address it had (clients' URLs stay right), same state
    /// directory and aggregator.
    pub async fn start_frontend_again(&mut self) {
        assert!(self.frontend.is_none(), "stop_frontend first");
        let addr = self.base.trim_start_matches("http://").to_owned();
        let listener = bind_retrying(&addr).await;
        let ops = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        self.frontend_ops = format!("http://{}", ops.local_addr().expect("addr"));
        let config = frontend_config(self.frontend_state.path(), &self.agg_endpoint);
        let clock = self
            .frontend_clock
            .clone()
            .unwrap_or_else(|| Arc::new(SystemClock));
        self.frontend = Some(spawn_frontend(config, listener, Some(ops), clock));
    }

    /// GET of an operations listener path (`{ops}/metrics`...): status and body text.
    pub async fn ops_get(&self, url: &str) -> (u16, String) {
        let r = self.client.get(url).send().await.expect("ops request");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    pub async fn teardown(mut self) {
        if let Some(f) = self.frontend.take() {
            f.stop().await;
        }
        if let Some(a) = self.aggregator.take() {
            a.stop().await;
        }
        for s in self.sims.drain(..) {
            s.shutdown().await;
        }
    }
}

#[doc(hidden)]
pub async fn start_aggregator(config: aggregator_svc::Config) -> (Service, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    (spawn_aggregator(config, listener, None), endpoint)
}

/// [`start_aggregator`] with its operations listener: (service, gRPC endpoint, ops base URL).
pub async fn start_aggregator_with_ops(
    config: aggregator_svc::Config,
) -> (Service, String, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let ops = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let ops_url = format!("http://{}", ops.local_addr().expect("addr"));
    (
        spawn_aggregator(config, listener, Some(ops)),
        endpoint,
        ops_url,
    )
}

fn spawn_aggregator(
    config: aggregator_svc::Config,
    listener: TcpListener,
    ops: Option<TcpListener>,
) -> Service {
    let (stop, rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        if let Err(e) = aggregator_svc::run_with_ops(config, listener, ops, async {
            let _ = rx.await;
        })
        .await
        {
            panic!("aggregator-svc failed: {e}");
        }
    });
    Service { stop, task }
}

/// Binds an address a service just left (the kernel may hold it a moment).
async fn bind_retrying(addr: &str) -> TcpListener {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(addr).await {
            Ok(l) => return l,
            Err(e) => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "cannot bind {addr} again: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

pub async fn start_frontend(config: frontend_svc::Config) -> (Service, String) {
    start_frontend_with_clock(config, Arc::new(SystemClock)).await
}

/// [`start_frontend`] on a given clock.
pub async fn start_frontend_with_clock(
    config: frontend_svc::Config,
    clock: Arc<dyn Clock>,
) -> (Service, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    (spawn_frontend(config, listener, None, clock), base)
}

/// [`start_frontend_with_clock`] with its operations listener: (service, base URL, ops base URL).
pub async fn start_frontend_with_ops(
    config: frontend_svc::Config,
    clock: Arc<dyn Clock>,
) -> (Service, String, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let ops = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let ops_url = format!("http://{}", ops.local_addr().expect("addr"));
    (
        spawn_frontend(config, listener, Some(ops), clock),
        base,
        ops_url,
    )
}

fn spawn_frontend(
    config: frontend_svc::Config,
    listener: TcpListener,
    ops: Option<TcpListener>,
    clock: Arc<dyn Clock>,
) -> Service {
    let (stop, rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        if let Err(e) = frontend_svc::run_with_ops(
            config,
            listener,
            ops,
            async {
                let _ = rx.await;
            },
            clock,
        )
        .await
        {
            panic!("frontend-svc failed: {e}");
        }
    });
    Service { stop, task }
}

/// Every `/redfish/v1...` link found anywhere in a JSON body (strings under any key that look like
/// Redfish URIs: `@odata.id`, nextLinks, targets, `*URI` values...), fragments stripped.
pub fn links_in(body: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![body];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    if key == "@odata.context" || key == "@odata.type" {
                        continue;
                    }
                    if let Some(s) = value.as_str()
                        && s.starts_with("/redfish/v1")
                    {
                        out.push(s.split('#').next().unwrap_or(s).to_owned());
                    }
                    stack.push(value);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    if let Some(s) = item.as_str()
                        && s.starts_with("/redfish/v1")
                    {
                        out.push(s.split('#').next().unwrap_or(s).to_owned());
                    }
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
    out
}

/// Crawls the aggregate breadth-first from `start`, GETting every link once (up to `limit`
/// resources). Returns (path, status, body) per resource.
pub async fn crawl(
    stack: &Stack,
    start: &str,
    limit: usize,
) -> Vec<(String, u16, serde_json::Value)> {
    let mut seen = std::collections::HashSet::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    let mut out = Vec::new();
    while let Some(path) = queue.pop_front() {
        if out.len() >= limit {
            break;
        }
        if !seen.insert(path.clone()) || skip_in_crawl(&path) {
            continue;
        }
        let (status, body) = stack.get(&path).await;
        // An event stream and an upload endpoint are links but no resources to GET.
        for key in ["ServerSentEventUri", "MultipartHttpPushUri", "HttpPushUri"] {
            if let Some(uri) = body.get(key).and_then(serde_json::Value::as_str) {
                seen.insert(uri.to_owned());
            }
        }
        for link in links_in(&body) {
            if !seen.contains(&link) {
                queue.push_back(link);
            }
        }
        out.push((path, status, body));
    }
    out
}

/// Links that are not resources to GET: actions, `$metadata`, schema files.
fn skip_in_crawl(path: &str) -> bool {
    path.contains("/Actions/")
        || path.contains("$metadata")
        || path.ends_with("/odata")
        || path.contains("/JsonSchemas/")
        || path.contains("/TaskMonitors/")
}

/// A frontend configuration without a bootstrap password: the service generates one, writes it to
/// `state_dir/initial-admin-password` and requires it to be changed at first use.
pub fn frontend_config_generated_password(
    state_dir: &std::path::Path,
    agg_endpoint: &str,
) -> frontend_svc::Config {
    toml_config(&format!(
        "listen = \"127.0.0.1:0\"\naggregator_endpoint = \"{agg_endpoint}\"\nstate_dir = \"{}\"\n[bootstrap_admin]\nusername = \"{ADMIN_USER}\"\n",
        state_dir.display()
    ))
}

impl Stack {
    /// A request with HTTP Basic credentials.
    pub fn as_user(
        &self,
        method: reqwest::Method,
        path: &str,
        user: &str,
        password: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .basic_auth(user, Some(password))
    }

    /// A request with a session token.
    pub fn with_token(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("X-Auth-Token", token)
    }

    /// Creates an account as the administrator; panics unless the service answers 201.
    pub async fn create_account(&self, user: &str, password: &str, role: &str) -> String {
        let r = self
            .admin(reqwest::Method::POST, "/redfish/v1/AccountService/Accounts")
            .json(&serde_json::json!({"UserName": user, "Password": password, "RoleId": role}))
            .send()
            .await
            .expect("create account");
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = r.text().await.unwrap_or_default();
        assert_eq!(status, 201, "creating {user}: {body}");
        location.expect("Location of the new account")
    }

    /// Opens a session: (token, session URI).
    pub async fn login(&self, user: &str, password: &str) -> (String, String) {
        let r = self
            .client
            .post(self.url("/redfish/v1/SessionService/Sessions"))
            .json(&serde_json::json!({"UserName": user, "Password": password}))
            .send()
            .await
            .expect("login");
        let status = r.status();
        let header = |n: &str| {
            r.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (token, location) = (header("x-auth-token"), header("location"));
        let body = r.text().await.unwrap_or_default();
        assert_eq!(status, 201, "login of {user}: {body}");
        (token.expect("X-Auth-Token"), location.expect("Location"))
    }
}

/// A response read whole: status, headers and the body as JSON (Null when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: serde_json::Value,
}

impl Reply {
    /// The first `@Message.ExtendedInfo` MessageId of an error body without the registry
    /// version (`Base.1.22.PropertyUnknown` -> `PropertyUnknown`), or "" when there is none.
    pub fn message(&self) -> &str {
        self.body["error"]["@Message.ExtendedInfo"][0]["MessageId"]
            .as_str()
            .map(|id| id.rsplit('.').next().unwrap_or(id))
            .unwrap_or("")
    }

    /// Every `(MessageId without version, first RelatedProperty)` of an error body.
    pub fn problems(&self) -> Vec<(String, String)> {
        self.body["error"]["@Message.ExtendedInfo"]
            .as_array()
            .map(|infos| {
                infos
                    .iter()
                    .map(|i| {
                        let id = i["MessageId"].as_str().unwrap_or("");
                        (
                            id.rsplit('.').next().unwrap_or(id).to_owned(),
                            i["RelatedProperties"][0].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Sends a request and reads the whole reply.
pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap_or_default();
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    }
}
