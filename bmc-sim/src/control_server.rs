//! Fleet control server (`control_listen`): `GET /bmcs`, and
//! `/bmcs/<id>/fault|path-fault|password|sessions|certificate|info` with the same operations as a BMC's own
//! `/sim/` paths, reachable even while a BMC is `Down` or still booting.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::SimHandle;
use crate::control::json_resp;
use crate::net::body::SimBody;

type Fleet = Arc<HashMap<String, SimHandle>>;

pub(crate) async fn serve(
    listener: TcpListener,
    fleet: Fleet,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = cancel.cancelled() => return,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let fleet = Arc::clone(&fleet);
        let cancel = cancel.clone();
        tracker.spawn(async move {
            let svc = service_fn(move |req| handle(Arc::clone(&fleet), req));
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = cancel.cancelled() => {}
            }
        });
    }
}

async fn handle(fleet: Fleet, req: Request<Incoming>) -> Result<Response<SimBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let Ok(collected) = Limited::new(body, 64 * 1024).collect().await else {
        return Ok(json_resp(
            StatusCode::PAYLOAD_TOO_LARGE,
            &json!({ "error": "body too large" }),
        ));
    };
    let bytes = collected.to_bytes();
    let path = parts.uri.path().trim_end_matches('/');
    if path == "/bmcs" {
        let mut list: Vec<_> = fleet
            .values()
            .map(|h| {
                let path_faults: Vec<_> = h
                    .path_faults()
                    .into_iter()
                    .map(|(path, fault)| json!({ "path": path, "fault": fault }))
                    .collect();
                json!({ "id": h.id(), "url": h.url(), "fault": h.fault(), "path_faults": path_faults })
            })
            .collect();
        list.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
        return Ok(json_resp(StatusCode::OK, &json!({ "bmcs": list })));
    }
    let Some(rest) = path.strip_prefix("/bmcs/") else {
        return Ok(json_resp(
            StatusCode::NOT_FOUND,
            &json!({ "error": "use /bmcs or /bmcs/<id>/fault" }),
        ));
    };
    let (id, op) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(h) = fleet.get(id) else {
        return Ok(json_resp(
            StatusCode::NOT_FOUND,
            &json!({ "error": format!("no BMC with id {id:?}") }),
        ));
    };
    Ok(h.control(&parts.method, &format!("/{op}"), parts.uri.query(), &bytes))
}
