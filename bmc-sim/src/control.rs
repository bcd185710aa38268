//! Run-time control of a BMC under `/sim/` on its own port (no auth, not Redfish):
//! `GET|PUT|DELETE /sim/fault`, `PUT /sim/password`, `GET /sim/info`.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Fault;
use crate::bmc::Bmc;
use crate::net::body::{SimBody, full};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

/// Handles `/sim/<rest>` for one BMC; `rest` is the part after `/sim`.
pub(crate) fn handle(bmc: &Bmc, method: &Method, path: &str, body: &Bytes) -> Response<SimBody> {
    let rest = path.strip_prefix("/sim").unwrap_or(path);
    control_op(bmc, method, rest.trim_end_matches('/'), body)
}

/// The operations shared by `/sim/...` and the fleet control server's `/bmcs/<id>/...`.
pub(crate) fn control_op(
    bmc: &Bmc,
    method: &Method,
    rest: &str,
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
        (&Method::GET, "/info") => json_resp(
            StatusCode::OK,
            &json!({
                "id": bmc.id,
                "profile": bmc.profile,
                "url": bmc.base_url,
                "fault": fault_json(&bmc.fault()),
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

/// A small JSON response for control paths.
pub(crate) fn json_resp(status: StatusCode, v: &Value) -> Response<SimBody> {
    let mut r = Response::new(full(Bytes::from(v.to_string())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}
