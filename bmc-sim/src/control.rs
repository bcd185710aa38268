//! Run-time control of a BMC under `/sim/` on its own port (no auth, not Redfish):
//! `GET|PUT|DELETE /sim/fault`, `GET|PUT|DELETE /sim/path-fault`, `PUT /sim/password`,
//! `DELETE /sim/sessions`, `POST /sim/certificate`, `POST /sim/reboot`, `GET /sim/info`,
//! `GET|DELETE /sim/pushes`, `GET|PUT|DELETE /sim/push-fault`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::bmc::Bmc;
use crate::net::body::{SimBody, full};
use crate::{Fault, PathFaultEntry};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// Handles `/sim/<rest>` for one BMC; `rest` is the part after `/sim`.
pub(crate) fn handle(
    bmc: &Bmc,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Response<SimBody> {
    let rest = path.strip_prefix("/sim").unwrap_or(path);
    control_op(bmc, method, rest.trim_end_matches('/'), query, body)
}

/// The operations shared by `/sim/...` and the fleet control server's `/bmcs/<id>/...`.
pub(crate) fn control_op(
    bmc: &Bmc,
    method: &Method,
    rest: &str,
    query: Option<&str>,
    body: &Bytes,
) -> Response<SimBody> {
    match (method, rest) {
        (&Method::GET, "/fault") => json_resp(StatusCode::OK, &fault_json(&bmc.fault())),
        (&Method::PUT, "/fault") | (&Method::POST, "/fault") => {
            match serde_json::from_slice::<Fault>(body) {
                Ok(f) => {
                    tracing::info!(bmc = %bmc.id, fault = ?f, "fault set");
                    bmc.set_fault(f.clone());
                    json_resp(StatusCode::OK, &fault_json(&f))
                }
                Err(e) => json_resp(
                    StatusCode::BAD_REQUEST,
                    &json!({ "error": format!("invalid fault: {e}") }),
                ),
            }
        }
        (&Method::DELETE, "/fault") => {
            tracing::info!(bmc = %bmc.id, "fault cleared");
            bmc.set_fault(Fault::None);
            json_resp(StatusCode::OK, &fault_json(&Fault::None))
        }
        (&Method::GET, "/path-fault") => json_resp(StatusCode::OK, &path_faults_json(bmc)),
        (&Method::PUT, "/path-fault") | (&Method::POST, "/path-fault") => {
            let rule = match serde_json::from_slice::<PathFaultEntry>(body) {
                Ok(rule) => rule,
                Err(e) => {
                    return bad_request(format!(
                        "expected {{\"path\": \"/redfish/v1/...\", \"fault\": <fault>}}: {e}"
                    ));
                }
            };
            match bmc.set_path_fault(&rule.path, rule.fault.clone()) {
                Ok(()) => {
                    tracing::info!(bmc = %bmc.id, path = %rule.path, fault = ?rule.fault, "path fault set");
                    json_resp(StatusCode::OK, &path_faults_json(bmc))
                }
                Err(e) => bad_request(e),
            }
        }
        (&Method::DELETE, "/path-fault") => match query.filter(|q| !q.is_empty()) {
            None => {
                tracing::info!(bmc = %bmc.id, "path faults cleared");
                bmc.clear_path_faults();
                json_resp(StatusCode::OK, &path_faults_json(bmc))
            }
            // Strict, so that a misspelt parameter does not clear every rule.
            Some(q) => match query_value(q, "path") {
                Some(Ok(path)) if !path.is_empty() => {
                    if bmc.clear_path_fault(&path) {
                        tracing::info!(bmc = %bmc.id, %path, "path fault cleared");
                        json_resp(StatusCode::OK, &path_faults_json(bmc))
                    } else {
                        // Worth telling: after a typo the real rule would silently stay.
                        json_resp(
                            StatusCode::NOT_FOUND,
                            &json!({ "error": format!("no path fault for {path:?}") }),
                        )
                    }
                }
                Some(Err(e)) => bad_request(e),
                Some(Ok(_)) | None => bad_request(format!(
                    "unexpected query {q:?}: use ?path=<prefix> to clear one rule, no query to clear all"
                )),
            },
        },
        (&Method::PUT, "/password") => match serde_json::from_slice::<PasswordBody>(body) {
            Ok(p) => {
                bmc.set_password(&p.password);
                json_resp(StatusCode::OK, &json!({ "rotated": true }))
            }
            Err(e) => json_resp(
                StatusCode::BAD_REQUEST,
                &json!({ "error": format!("expected {{\"password\": \"...\"}}: {e}") }),
            ),
        },
        (&Method::DELETE, "/sessions") => {
            bmc.expire_sessions();
            json_resp(StatusCode::OK, &json!({ "sessions": 0 }))
        }
        (&Method::POST, "/reboot") => {
            let lost = bmc.reboot();
            json_resp(
                StatusCode::OK,
                &json!({ "rebooted": true, "subscriptions_lost": lost }),
            )
        }
        (&Method::GET, "/certificate") => match bmc.certificate_sha256() {
            Some(sha256) => json_resp(StatusCode::OK, &json!({ "sha256": sha256 })),
            None => no_certificate(),
        },
        (&Method::POST, "/certificate") => match bmc.regenerate_certificate() {
            Ok(sha256) => json_resp(StatusCode::OK, &json!({ "sha256": sha256 })),
            Err(_) => no_certificate(),
        },
        (&Method::GET, "/pushes") => json_resp(
            StatusCode::OK,
            &serde_json::to_value(bmc.pushes.snapshot()).unwrap_or(Value::Null),
        ),
        (&Method::DELETE, "/pushes") => {
            bmc.pushes.clear();
            json_resp(StatusCode::OK, &json!([]))
        }
        (&Method::GET, "/push-fault") => json_resp(
            StatusCode::OK,
            &serde_json::to_value(bmc.pushes.fault()).unwrap_or(Value::Null),
        ),
        (&Method::PUT, "/push-fault") | (&Method::POST, "/push-fault") => {
            match serde_json::from_slice::<crate::PushFault>(body) {
                Ok(f) => {
                    tracing::info!(bmc = %bmc.id, fault = ?f, "push fault set");
                    bmc.pushes.set_fault(f.clone());
                    json_resp(
                        StatusCode::OK,
                        &serde_json::to_value(f).unwrap_or(Value::Null),
                    )
                }
                Err(e) => bad_request(format!("invalid push fault: {e}")),
            }
        }
        (&Method::DELETE, "/push-fault") => {
            bmc.pushes.set_fault(crate::PushFault::default());
            json_resp(StatusCode::OK, &json!({}))
        }
        (&Method::GET, "/info") => json_resp(
            StatusCode::OK,
            &json!({
                "id": bmc.id,
                "profile": bmc.profile,
                "url": bmc.base_url,
                "fault": fault_json(&bmc.fault()),
                "path_faults": path_faults_json(bmc),
                "booting": bmc.booting(),
                "certificate_sha256": bmc.certificate_sha256(),
                "quirks": bmc.quirks,
            }),
        ),
        _ => json_resp(
            StatusCode::NOT_FOUND,
            &json!({ "error": "unknown control path; see bmc-sim/README.md" }),
        ),
    }
}

fn fault_json(f: &Fault) -> Value {
    serde_json::to_value(f).unwrap_or(Value::Null)
}

/// The rules as a list of `{"path": ..., "fault": ...}`, the shape `PUT /sim/path-fault` takes.
pub(crate) fn path_faults_json(bmc: &Bmc) -> Value {
    Value::Array(
        bmc.path_faults()
            .into_iter()
            .map(|(path, fault)| json!({ "path": path, "fault": fault_json(&fault) }))
            .collect(),
    )
}

fn no_certificate() -> Response<SimBody> {
    json_resp(
        StatusCode::CONFLICT,
        &json!({ "error": "this BMC serves plain HTTP: it has no certificate" }),
    )
}

fn bad_request(error: String) -> Response<SimBody> {
    json_resp(StatusCode::BAD_REQUEST, &json!({ "error": error }))
}

/// The percent-decoded value of `name` in a query string, if present. `+` stays `+`: rule paths
/// cannot hold spaces, and a raw `+` in an unencoded path must still match.
fn query_value(query: &str, name: &str) -> Option<Result<String, String>> {
    let raw = query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })?;
    Some(percent_decode(raw).ok_or_else(|| format!("query parameter {name}: bad percent-encoding")))
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// A small JSON response for control paths.
pub(crate) fn json_resp(status: StatusCode, v: &Value) -> Response<SimBody> {
    let mut r = Response::new(full(Bytes::from(v.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
