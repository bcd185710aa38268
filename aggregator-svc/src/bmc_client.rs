//! One BMC's HTTP client: pooled keep-alive connections (HTTP/1.1, or HTTP/2 by ALPN), one Redfish
//! session shared by every request (re-login on 401, Basic where the BMC has no sessions), a
//! concurrency cap, a whole-request timeout and a reply size cap. Every failure is classified here,
//! once, into unreachable (503), timeout (504) or bad reply (502). Timeouts, unreachable BMCs and
//! refused credentials open the BMC's [`Breaker`]; discovery's probes go past it and close it.

use crate::breaker::{Breaker, Trip};
use crate::config::ValidBmc;
use crate::error::AggError;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use redfish::ids::BmcId;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Semaphore};

const SESSIONS_PATH: &str = "/redfish/v1/SessionService/Sessions";

/// Timeouts, caps and TLS configurations shared by every BMC client.
#[derive(Debug, Clone)]
pub struct ClientLimits {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub per_bmc_concurrency: usize,
    pub max_reply_bytes: usize,
    /// A streamed upload's whole exchange (a firmware image to a BMC's MultipartHttpPushUri).
    pub upload_timeout: Duration,
    pub tls: Arc<crate::tls::TlsConfigs>,
    /// Where every client's requests are counted (each takes its own handles).
    pub metrics: crate::metrics::BmcRequestMetrics,
}

/// A reply from the BMC, whatever its status: the BMC's own 4xx/5xx are answers, not errors.
#[derive(Debug)]
pub struct BmcReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Every request body: whole bytes for Redfish requests, a stream for uploads.
pub type RequestBody = UnsyncBoxBody<Bytes, std::io::Error>;

#[derive(Debug, Clone)]
enum Auth {
    /// Not logged in yet (or the session was lost).
    None,
    Session {
        token: HeaderValue,
        location: Option<String>,
    },
    /// The BMC has no usable SessionService.
    Basic,
}

pub struct BmcClient {
    id: BmcId,
    origin: String,
    username: String,
    password: String,
    /// `Basic <base64(user:password)>`, built once rather than per request.
    basic_authorization: HeaderValue,
    http: Client<HttpsConnector<HttpConnector>, RequestBody>,
    auth: RwLock<Auth>,
    /// Held by the one login in flight; the others wait for its outcome.
    login_lock: Mutex<()>,
    /// When the last login failed (BMC unreachable, or credentials refused), and how: requests
    /// that queued behind that login share its answer instead of each spending a connect timeout
    /// of their own (which would turn an unreachable BMC's 503 into a request timeout's 504) or
    /// each counting a failed login against the BMC's account lockout.
    login_failed_at: std::sync::Mutex<Option<(Instant, AggError)>>,
    permits: Semaphore,
    limits: ClientLimits,
    breaker: Breaker,
    /// Told the BMC's id when the breaker opens, so discovery probes it at once.
    on_trip: OnceLock<tokio::sync::mpsc::UnboundedSender<BmcId>>,
    metrics: crate::metrics::BmcHandles,
}

impl std::fmt::Debug for BmcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("BmcClient")
            .field("id", &self.id.as_str())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl BmcClient {
    pub fn new(bmc: &ValidBmc, limits: ClientLimits) -> Result<Arc<Self>, String> {
        let tls = limits.tls.for_bmc(bmc)?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(limits.connect_timeout));
        http.set_nodelay(true);
        http.set_keepalive(Some(Duration::from_secs(60)));
        // http or https as the BMC's URL says (not forced), ALPN from the shared configuration.
        let connector = HttpsConnector::from((http, tls));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(limits.per_bmc_concurrency.max(1))
            .build(connector);
        Ok(Arc::new(BmcClient {
            id: bmc.id.clone(),
            origin: bmc.base_url.as_str().trim_end_matches('/').to_owned(),
            username: bmc.username.clone(),
            password: bmc.password.clone(),
            basic_authorization: basic_authorization(&bmc.username, &bmc.password)?,
            http: client,
            auth: RwLock::new(Auth::None),
            login_lock: Mutex::new(()),
            login_failed_at: std::sync::Mutex::new(None),
            permits: Semaphore::new(limits.per_bmc_concurrency.max(1)),
            metrics: limits.metrics.for_bmc(bmc.id.as_str()),
            limits,
            breaker: Breaker::default(),
            on_trip: OnceLock::new(),
        }))
    }

    pub fn id(&self) -> &BmcId {
        &self.id
    }

    /// `scheme://host[:port]` as configured.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Sends one request to the BMC within the request timeout, logging in first when needed.
    /// While the breaker is open it answers at once, without contacting the BMC.
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<BmcReply, AggError> {
        if let Some(refused) = self.breaker_refusal() {
            return Err(refused);
        }
        let result = self
            .send_in_turn(method, path_and_query, headers, body, true)
            .await;
        if let Err(e) = &result
            && let Some(trip) = self.trip_for(e)
        {
            self.trip(trip);
        }
        result
    }

    /// Streams `body` to the BMC (a firmware image) in one of its turns, within the upload
    /// timeout for the whole exchange rather than the request timeout. One attempt only: a
    /// streamed body cannot be replayed, so the caller makes a plain request first (which logs in
    /// again if the session expired). An unreachable BMC opens the breaker; a slow or failed
    /// upload says nothing about the BMC's other requests and opens none.
    pub async fn send_streaming(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: RequestBody,
    ) -> Result<BmcReply, AggError> {
        if let Some(refused) = self.breaker_refusal() {
            return Err(refused);
        }
        let exchange = async {
            let auth = self.current_auth().await?;
            let reply = self
                .request(&method, path_and_query, headers, body, &auth)
                .await?;
            if reply.status == StatusCode::UNAUTHORIZED {
                return Err(AggError::BmcUnauthorized {
                    bmc: self.id.to_string(),
                    uri: path_and_query.to_owned(),
                });
            }
            Ok(reply)
        };
        let result = self
            .in_turn(self.limits.upload_timeout, false, exchange)
            .await;
        if let Err(e) = &result
            && let Some(trip @ (Trip::Unreachable(_) | Trip::CertificateChanged)) = self.trip_for(e)
        {
            self.trip(trip);
        }
        result
    }

    /// Sends one request whatever the breaker says (discovery's probes): the caller decides
    /// what the outcome means for the BMC.
    pub async fn send_past_breaker(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<BmcReply, AggError> {
        self.send_in_turn(method, path_and_query, headers, body, false)
            .await
    }

    /// Waits for a turn among the BMC's requests at once (at most the request timeout), then
    /// gives the BMC the request timeout to answer, and counts the outcome in the BMC's metrics.
    /// Waiting for a turn is the aggregator's own queue: running out of time there says the BMC
    /// is slow or busy, not that it stopped answering, so it is no timeout of the BMC's and opens
    /// no breaker. `breaker`: a request whose turn came after the breaker opened (a hung BMC)
    /// answers at once as the breaker says (counted as refused, not as sent).
    async fn send_in_turn(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
        breaker: bool,
    ) -> Result<BmcReply, AggError> {
        let exchange = self.send_inner(method, path_and_query, headers, body);
        self.in_turn(self.limits.request_timeout, breaker, exchange)
            .await
    }

    /// Waits for a turn among the BMC's requests (at most the request timeout: busy), then gives
    /// `exchange` `timeout` to answer, and counts the outcome in the BMC's metrics. `breaker`: a
    /// request whose turn came after the breaker opened answers at once as the breaker says
    /// (counted as refused, not as sent).
    async fn in_turn(
        &self,
        timeout: Duration,
        breaker: bool,
        exchange: impl Future<Output = Result<BmcReply, AggError>>,
    ) -> Result<BmcReply, AggError> {
        let started = Instant::now();
        let wait = self.limits.request_timeout;
        let result = match tokio::time::timeout(wait, self.permits.acquire()).await {
            Err(_) => Err(AggError::BmcBusy {
                bmc: self.id.to_string(),
                limit: self.limits.per_bmc_concurrency.max(1),
                after: wait,
            }),
            Ok(Err(_)) => Err(AggError::Internal("BMC client closed".into())),
            Ok(Ok(_permit)) => {
                if breaker && let Some(refused) = self.breaker_refusal() {
                    return Err(refused);
                }
                tokio::time::timeout(timeout, exchange)
                    .await
                    .unwrap_or_else(|_| {
                        Err(AggError::BmcTimeout {
                            bmc: self.id.to_string(),
                            after: timeout,
                        })
                    })
            }
        };
        let outcome = match &result {
            Ok(reply) => Ok(reply.status),
            Err(e) => Err(crate::metrics::Cause::of(e)),
        };
        self.metrics.sent(outcome, started.elapsed());
        result
    }

    /// Opens a long-lived stream (the BMC's Server-Sent Events) and answers once its headers
    /// arrive. The stream takes a turn among the BMC's requests only until then: the body may
    /// run for days, and holding a turn that long would leave the BMC one fewer for requests
    /// (or none, with `per_bmc_concurrency = 1`). It takes a connection of its own from the
    /// pool instead, which is the BMC's business to bound (bmcweb allows 10 streams). While the
    /// breaker is open it answers at once.
    pub async fn open_stream(
        &self,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
    ) -> Result<http::Response<hyper::body::Incoming>, AggError> {
        if let Some(refused) = self.breaker_refusal() {
            return Err(refused);
        }
        let timeout = self.limits.request_timeout;
        let _permit = match tokio::time::timeout(timeout, self.permits.acquire()).await {
            Err(_) => {
                return Err(AggError::BmcBusy {
                    bmc: self.id.to_string(),
                    limit: self.limits.per_bmc_concurrency.max(1),
                    after: timeout,
                });
            }
            Ok(Err(_)) => return Err(AggError::Internal("BMC client closed".into())),
            Ok(Ok(permit)) => permit,
        };
        let opened = tokio::time::timeout(timeout, async {
            let auth = self.current_auth().await?;
            let response = self
                .start_request(
                    &Method::GET,
                    path_and_query,
                    headers,
                    whole(Bytes::new()),
                    &auth,
                )
                .await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            let auth = self.relogin(&auth).await?;
            self.start_request(
                &Method::GET,
                path_and_query,
                headers,
                whole(Bytes::new()),
                &auth,
            )
            .await
        })
        .await
        .unwrap_or_else(|_| {
            Err(AggError::BmcTimeout {
                bmc: self.id.to_string(),
                after: timeout,
            })
        });
        if let Err(e) = &opened
            && let Some(trip) = self.trip_for(e)
        {
            self.trip(trip);
        }
        opened
    }

    /// Lets the next request try to log in again after the BMC refused the credentials
    /// (discovery does, once per interval).
    pub fn retry_login(&self) {
        if let Ok(mut last) = self.login_failed_at.lock()
            && matches!(last.as_ref(), Some((_, AggError::BmcUnauthorized { .. })))
        {
            *last = None;
        }
    }

    /// Where discovery learns that a request opened the breaker.
    pub fn on_trip(&self, tx: tokio::sync::mpsc::UnboundedSender<BmcId>) {
        let _ = self.on_trip.set(tx);
    }

    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// Opens the breaker; a newly opened one is logged and reported to discovery.
    pub fn trip(&self, trip: Trip) {
        if self.breaker.trip(trip.clone(), Instant::now()) {
            tracing::warn!(bmc = %self.id, cause = ?trip, "circuit opened: requests to this BMC answer at once until a probe succeeds");
            if let Some(tx) = self.on_trip.get() {
                let _ = tx.send(self.id.clone());
            }
        }
    }

    /// True when `e` says the BMC refuses the aggregator's credentials.
    pub fn refuses_credentials(&self, e: &AggError) -> bool {
        matches!(self.trip_for(e), Some(Trip::Unauthorized))
    }

    /// Which failures say something about the whole BMC rather than one request.
    pub fn trip_for(&self, e: &AggError) -> Option<Trip> {
        match e {
            AggError::BmcUnreachable { reason, .. } => Some(Trip::Unreachable(reason.clone())),
            AggError::BmcTimeout { .. } => Some(Trip::Timeout),
            AggError::BmcCertificateChanged { .. } => Some(Trip::CertificateChanged),
            // Refused at login (or with Basic auth): the credentials are wrong. A 401 on one
            // resource after a good login is that resource's business.
            AggError::BmcUnauthorized { uri, .. }
                if uri == SESSIONS_PATH || matches!(self.read_auth(), Auth::Basic) =>
            {
                Some(Trip::Unauthorized)
            }
            _ => None,
        }
    }

    /// The answer while the breaker is open (counted), if it is.
    fn breaker_refusal(&self) -> Option<AggError> {
        let trip = self.breaker.open_trip()?;
        self.metrics.refused_by_breaker();
        Some(self.refused_by_breaker(trip))
    }

    fn refused_by_breaker(&self, trip: Trip) -> AggError {
        let bmc = self.id.to_string();
        match trip {
            Trip::Unreachable(reason) => AggError::BmcUnreachable {
                bmc,
                reason: format!("circuit open: {reason}"),
            },
            Trip::Timeout => AggError::BmcUnreachable {
                bmc,
                reason: "circuit open: the BMC stopped answering".into(),
            },
            Trip::Unauthorized => AggError::BmcUnauthorized {
                bmc,
                uri: SESSIONS_PATH.to_owned(),
            },
            Trip::CertificateChanged => AggError::BmcCertificateChanged { bmc },
        }
    }

    async fn send_inner(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Bytes,
    ) -> Result<BmcReply, AggError> {
        let auth = self.current_auth().await?;
        let reply = self
            .request(&method, path_and_query, headers, whole(body.clone()), &auth)
            .await?;
        if reply.status != StatusCode::UNAUTHORIZED {
            return Ok(reply);
        }
        // The session expired or was dropped by the BMC: a 401 means nothing was done, so one
        // retry with a fresh login is safe for every method.
        let auth = self.relogin(&auth).await?;
        let reply = self
            .request(&method, path_and_query, headers, whole(body), &auth)
            .await?;
        if reply.status == StatusCode::UNAUTHORIZED {
            return Err(AggError::BmcUnauthorized {
                bmc: self.id.to_string(),
                uri: path_and_query.to_owned(),
            });
        }
        Ok(reply)
    }

    async fn current_auth(&self) -> Result<Auth, AggError> {
        let auth = self.read_auth();
        match auth {
            Auth::None => self.relogin(&Auth::None).await,
            other => Ok(other),
        }
    }

    fn read_auth(&self) -> Auth {
        self.auth.read().map(|a| a.clone()).unwrap_or(Auth::None)
    }

    fn write_auth(&self, auth: Auth) {
        if let Ok(mut a) = self.auth.write() {
            *a = auth;
        }
    }

    /// Logs in again unless another request already replaced `stale` while we waited.
    async fn relogin(&self, stale: &Auth) -> Result<Auth, AggError> {
        let queued = Instant::now();
        let _guard = self.login_lock.lock().await;
        if let Ok(last) = self.login_failed_at.lock()
            && let Some((at, error)) = last.as_ref()
            && (*at >= queued || matches!(error, AggError::BmcUnauthorized { .. }))
        {
            // Refused credentials stay refused until discovery tries again (retry_login):
            // every other attempt would count against the BMC's account lockout.
            return Err(error.clone());
        }
        let now = self.read_auth();
        let replaced = match (&now, stale) {
            (Auth::Session { token: a, .. }, Auth::Session { token: b, .. }) => a != b,
            (Auth::Session { .. }, _) => true,
            (Auth::Basic, Auth::None) => true,
            _ => false,
        };
        if replaced {
            return Ok(now);
        }
        let fresh = match self.login().await {
            Ok(fresh) => fresh,
            Err(e @ (AggError::BmcUnreachable { .. } | AggError::BmcUnauthorized { .. })) => {
                if let Ok(mut last) = self.login_failed_at.lock() {
                    *last = Some((Instant::now(), e.clone()));
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        self.write_auth(fresh.clone());
        Ok(fresh)
    }

    async fn login(&self) -> Result<Auth, AggError> {
        let body = serde_json::json!({"UserName": self.username, "Password": self.password});
        let body = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
        let ct = [(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )];
        let reply = self
            .request(&Method::POST, SESSIONS_PATH, &ct, whole(body), &Auth::None)
            .await?;
        match reply.status {
            s if s.is_success() => match reply.headers.get("x-auth-token") {
                Some(token) => {
                    let location = reply
                        .headers
                        .get(http::header::LOCATION)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    tracing::debug!(bmc = %self.id, "logged in with a Redfish session");
                    Ok(Auth::Session {
                        token: token.clone(),
                        location,
                    })
                }
                None => Ok(Auth::Basic),
            },
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(AggError::BmcUnauthorized {
                bmc: self.id.to_string(),
                uri: SESSIONS_PATH.to_owned(),
            }),
            other => {
                tracing::info!(bmc = %self.id, status = other.as_u16(), "BMC has no usable SessionService; using Basic auth");
                Ok(Auth::Basic)
            }
        }
    }

    /// Ends the BMC session, so a restart of the aggregator does not leak sessions on small BMCs.
    pub async fn logout(&self) {
        if let Auth::Session {
            location: Some(location),
            ..
        } = self.read_auth()
        {
            let path = location
                .strip_prefix(&self.origin)
                .unwrap_or(&location)
                .to_owned();
            let auth = self.read_auth();
            let _ = tokio::time::timeout(
                self.limits.connect_timeout,
                self.request(&Method::DELETE, &path, &[], whole(Bytes::new()), &auth),
            )
            .await;
            self.write_auth(Auth::None);
        }
    }

    async fn request(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: RequestBody,
        auth: &Auth,
    ) -> Result<BmcReply, AggError> {
        let response = self
            .start_request(method, path_and_query, headers, body, auth)
            .await?;
        let (parts, body) = response.into_parts();
        let collected = Limited::new(body, self.limits.max_reply_bytes)
            .collect()
            .await
            .map_err(|e| AggError::BmcBadReply {
                bmc: self.id.to_string(),
                reason: format!("reading reply body: {e}"),
            })?;
        Ok(BmcReply {
            status: parts.status,
            headers: parts.headers,
            body: collected.to_bytes(),
        })
    }

    /// Sends a request and answers with the response head; the body is the caller's to read.
    async fn start_request(
        &self,
        method: &Method,
        path_and_query: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: RequestBody,
        auth: &Auth,
    ) -> Result<http::Response<hyper::body::Incoming>, AggError> {
        let uri = format!("{}{}", self.origin, path_and_query);
        let mut builder = Request::builder().method(method.clone()).uri(&uri);
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        // A client's own OData-Version is forwarded as it is: a second one makes the pair
        // "4.0, 4.0", which a strict service (a rack under a row) refuses with 412.
        if !headers.iter().any(|(n, _)| n.as_str() == "odata-version") {
            builder = builder.header("OData-Version", "4.0");
        }
        if !headers.iter().any(|(n, _)| n == http::header::ACCEPT) {
            builder = builder.header(http::header::ACCEPT, "application/json");
        }
        match auth {
            Auth::Session { token, .. } => builder = builder.header("X-Auth-Token", token),
            Auth::Basic => {
                builder = builder.header(http::header::AUTHORIZATION, &self.basic_authorization);
            }
            Auth::None => {}
        }
        let request = builder
            .body(body)
            .map_err(|e| AggError::Internal(format!("building request: {e}")))?;
        self.http.request(request).await.map_err(|e| {
            if crate::metrics::is_connection_refused(&e) {
                self.metrics.connection_refused();
            }
            self.classify_send(&e)
        })
    }

    fn classify_send(&self, e: &hyper_util::client::legacy::Error) -> AggError {
        if e.is_connect() && crate::tofu::verifier::certificate_changed(e).is_some() {
            AggError::BmcCertificateChanged {
                bmc: self.id.to_string(),
            }
        } else if e.is_connect() {
            AggError::BmcUnreachable {
                bmc: self.id.to_string(),
                reason: error_chain(e),
            }
        } else {
            AggError::BmcBadReply {
                bmc: self.id.to_string(),
                reason: error_chain(e),
            }
        }
    }
}

fn whole(body: Bytes) -> RequestBody {
    Full::new(body)
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn basic_authorization(username: &str, password: &str) -> Result<HeaderValue, String> {
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let mut value = HeaderValue::from_str(&format!("Basic {creds}"))
        .map_err(|e| format!("credentials make no header: {e}"))?;
    value.set_sensitive(true);
    Ok(value)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A loopback listener that counts the connections made to it and closes each at once.
    async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let count = Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                drop(socket);
            }
        });
        (port, count)
    }

    /// A loopback listener that accepts connections and never answers on them.
    async fn silent_listener() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        port
    }

    #[tokio::test]
    async fn a_request_without_a_turn_is_busy_not_a_timeout_of_the_bmc() {
        let port = silent_listener().await;
        let client = client_with(port, |limits| {
            limits.per_bmc_concurrency = 1;
            limits.request_timeout = Duration::from_millis(300);
        });
        // Another request holds the only turn all along.
        let held = client.permits.acquire().await.expect("permit");
        let second = client
            .send_past_breaker(Method::GET, "/redfish/v1/Systems", &[], Bytes::new())
            .await;
        drop(held);
        let busy = second.expect_err("no turn");
        assert!(
            matches!(busy, AggError::BmcBusy { limit: 1, .. }),
            "{busy:?}"
        );
        assert_eq!(
            client.trip_for(&busy),
            None,
            "a full queue opens no breaker"
        );
        // With the turn free, the silent BMC itself runs out the time: that is its timeout.
        let own = client
            .send_past_breaker(Method::GET, "/redfish/v1/Systems", &[], Bytes::new())
            .await;
        assert!(matches!(own, Err(AggError::BmcTimeout { .. })), "{own:?}");
        assert_eq!(
            busy.presentation().http_status,
            503,
            "busy is 503 ServiceTemporarilyUnavailable"
        );
    }

    fn client(port: u16) -> Arc<BmcClient> {
        client_with(port, |_| {})
    }

    fn client_with(port: u16, adjust: impl FnOnce(&mut ClientLimits)) -> Arc<BmcClient> {
        let bmc = ValidBmc {
            id: BmcId::parse("s1").expect("id"),
            base_url: url::Url::parse(&format!("http://127.0.0.1:{port}")).expect("url"),
            username: "root".into(),
            password: "calvin".into(),
            verify_tls: true,
            ca_file: None,
            pdu_socket: None,
            trust_on_first_use: false,
        };
        let mut limits = ClientLimits {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            per_bmc_concurrency: 4,
            max_reply_bytes: 1 << 20,
            upload_timeout: Duration::from_secs(30),
            tls: Default::default(),
            metrics: Default::default(),
        };
        adjust(&mut limits);
        BmcClient::new(&bmc, limits).expect("client")
    }

    #[tokio::test]
    async fn requests_queued_behind_a_failed_login_share_its_answer() {
        let (port, connections) = counting_listener().await;
        let client = client(port);
        // A login is in flight (the lock is held) when the request arrives.
        let guard = client.login_lock.lock().await;
        let waiting = {
            let client = client.clone();
            tokio::spawn(async move {
                client
                    .send(Method::GET, "/redfish/v1/Systems", &[], Bytes::new())
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        // ... and it finds the BMC unreachable.
        *client.login_failed_at.lock().expect("lock") = Some((
            Instant::now(),
            AggError::BmcUnreachable {
                bmc: "s1".into(),
                reason: "connect timed out".into(),
            },
        ));
        drop(guard);
        let result = waiting.await.expect("task");
        assert!(
            matches!(result, Err(AggError::BmcUnreachable { ref reason, .. }) if reason == "connect timed out"),
            "{result:?}"
        );
        assert_eq!(connections.load(Ordering::SeqCst), 0, "no login of its own");

        // That failure opened the breaker: the next request answers at once, without
        // connecting, naming why.
        let result = client
            .send(Method::GET, "/redfish/v1/Systems", &[], Bytes::new())
            .await;
        assert!(
            matches!(result, Err(AggError::BmcUnreachable { ref reason, .. }) if reason.starts_with("circuit open")),
            "{result:?}"
        );
        assert_eq!(connections.load(Ordering::SeqCst), 0);

        // A probe goes past the breaker and tries again itself.
        let _ = client
            .send_past_breaker(Method::GET, "/redfish/v1", &[], Bytes::new())
            .await;
        assert!(connections.load(Ordering::SeqCst) >= 1);
        assert!(
            client.breaker().open_trip().is_some(),
            "only discovery closes it"
        );
    }
}
