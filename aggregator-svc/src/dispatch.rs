//! Where a request goes: a merged collection (served from memory), a BMC's member or passthrough
//! path (forwarded), or the aggregate's own resources.

use crate::AppState;
use crate::catalog::Document;
use crate::error::AggError;
use crate::exchange::{Exchange, Reply};
use crate::forward::forward;
use crate::inventory::{CollectionType, Inventory, collection_body};
use crate::rack::{chassis_uri, pdu};
use bytes::Bytes;
use http::Method;
use redfish::path::{Target, bmc_path, classify};
use serde_json::Value;
use std::sync::Arc;

pub async fn dispatch(state: &Arc<AppState>, exchange: &Exchange) -> Result<Reply, AggError> {
    // The frontend refuses such paths already; this service never forwards one either.
    if redfish::safe_path::check(&exchange.path).is_err() {
        return Err(AggError::BadRequest {
            message: redfish::messages::Message::invalid_uri(&exchange.path),
        });
    }
    let target = classify(&exchange.path);
    match &target {
        Target::Collection { collection } => {
            serve_collection(&state.inventory, collection, exchange)
        }
        Target::Member {
            collection: "Chassis",
            bmc,
            member_id,
            rest,
        } if rest.trim_end_matches('/') == pdu::ACTION_PATH => {
            let chassis = format!("/redfish/v1/Chassis/{bmc}-{member_id}");
            crate::local::pdu::reseat(state, exchange, bmc, &chassis).await
        }
        Target::Member { .. } | Target::Passthrough { .. } => {
            let (bmc_id, path) = bmc_path(&target)
                .ok_or_else(|| AggError::Internal("member without BMC path".into()))?;
            let bmc = state
                .inventory
                .bmc(bmc_id)
                .ok_or_else(|| AggError::NotFound {
                    path: exchange.path.clone(),
                })?;
            let reply = forward(&bmc, &path, exchange).await?;
            // A task or member the write created shows in the merged collection at once.
            state
                .inventory
                .note_write(bmc_id, &exchange.method, &exchange.path, &reply);
            match &target {
                Target::Member {
                    collection: "Chassis",
                    rest,
                    ..
                } if (rest.is_empty() || rest == "/") && exchange.method == Method::GET => {
                    Ok(decorate_chassis(state, &bmc, exchange, reply))
                }
                _ => Ok(reply),
            }
        }
        Target::Local { .. } => {
            if let Some(reply) = state.events.serve(exchange).await {
                return reply;
            }
            if let Some(document) = crate::catalog::document(exchange.path.trim_end_matches('/')) {
                return serve_document(exchange, document);
            }
            crate::local::serve(state, exchange).await
        }
        Target::ServiceRoot => Err(AggError::NotFound {
            path: exchange.path.clone(),
        }),
    }
}

/// A BMC's chassis as the rack sees it: contained by the rack, with the reseat action when the
/// server has a PDU socket. Replies that are not a successful JSON chassis pass unchanged.
fn decorate_chassis(
    state: &AppState,
    bmc: &crate::inventory::BmcEntry,
    exchange: &Exchange,
    mut reply: Reply,
) -> Reply {
    if reply.status != 200 {
        return reply;
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(&reply.body) else {
        return reply;
    };
    let settings = state.rack.settings();
    let rack = settings
        .rack
        .enabled
        .then(|| chassis_uri(&settings.rack.id));
    let reseat = bmc.pdu_socket.is_some() && !settings.pdu.reseat_command.is_empty();
    crate::decorate::chassis(&mut body, &exchange.path, rack.as_deref(), reseat);
    // The BMC's ETag is kept: what is added depends only on configuration, and a client's
    // If-Match on a later PATCH is judged by the BMC.
    if let Ok(bytes) = serde_json::to_vec(&body) {
        reply.body = Bytes::from(bytes);
    }
    reply
}

const COLLECTION_ALLOW: &str = "GET, HEAD";

/// A static catalog document (registries, schemas, service singletons): read-only.
fn serve_document(exchange: &Exchange, document: Document) -> Result<Reply, AggError> {
    if exchange.method != Method::GET && exchange.method != Method::HEAD {
        return Err(AggError::MethodNotAllowed {
            path: exchange.path.clone(),
            allow: COLLECTION_ALLOW,
        });
    }
    let mut reply = match document {
        Document::Json(value) => {
            let mut r = Reply::json(
                200,
                Bytes::from(
                    serde_json::to_vec(&value).map_err(|e| AggError::Internal(e.to_string()))?,
                ),
            );
            r.headers.extend(crate::exchange::describedby(&value));
            r
        }
        Document::Raw(text) => Reply::json(200, Bytes::from_static(text.as_bytes())),
    };
    reply.headers.push((
        http::header::ALLOW,
        http::HeaderValue::from_static(COLLECTION_ALLOW),
    ));
    if exchange.method == Method::HEAD {
        reply.body = Bytes::new();
    }
    Ok(reply)
}

fn serve_collection(
    inventory: &Inventory,
    collection: &str,
    exchange: &Exchange,
) -> Result<Reply, AggError> {
    let doc = inventory
        .collection(collection)
        .ok_or_else(|| AggError::NotFound {
            path: exchange.path.clone(),
        })?;
    if exchange.method != Method::GET && exchange.method != Method::HEAD {
        return Err(AggError::MethodNotAllowed {
            path: exchange.path.clone(),
            allow: COLLECTION_ALLOW,
        });
    }
    let page = Paging::parse(&exchange.query)?;
    let body = if page.is_whole() {
        doc.body.clone()
    } else {
        let total = doc.members.len();
        let start = page.skip.min(total);
        let end = page
            .top
            .map_or(total, |t| start.saturating_add(t).min(total));
        let mut value = collection_body(
            &doc.odata_id,
            &CollectionType {
                odata_type: doc.odata_type.clone(),
                name: doc.name.clone(),
            },
            &doc.members[start..end],
        );
        value["Members@odata.count"] = total.into();
        if end < total {
            let mut next = format!("{}?$skip={end}", doc.odata_id);
            if let Some(top) = page.top {
                next.push_str(&format!("&$top={top}"));
            }
            value["Members@odata.nextLink"] = next.into();
        }
        Bytes::from(serde_json::to_vec(&value).map_err(|e| AggError::Internal(e.to_string()))?)
    };
    let mut reply = Reply::json(
        200,
        if exchange.method == Method::HEAD {
            Bytes::new()
        } else {
            body
        },
    );
    reply.headers.push((
        http::header::ALLOW,
        http::HeaderValue::from_static(COLLECTION_ALLOW),
    ));
    if let Some(link) = redfish::schemas::describedby_link(&doc.odata_type)
        .and_then(|l| http::HeaderValue::from_str(&l).ok())
    {
        reply.headers.push((http::header::LINK, link));
    }
    Ok(reply)
}

/// `$top`/`$skip` on a merged collection; other `$` parameters are refused (DSP0266: 501), others
/// ignored.
#[derive(Debug, PartialEq, Eq)]
struct Paging {
    top: Option<usize>,
    skip: usize,
}

impl Paging {
    fn is_whole(&self) -> bool {
        self.top.is_none() && self.skip == 0
    }

    fn parse(query: &str) -> Result<Paging, AggError> {
        let mut paging = Paging { top: None, skip: 0 };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
            let number = || {
                value.parse::<usize>().map_err(|_| AggError::BadRequest {
                    message: redfish::messages::Message::query_parameter_value_format_error(
                        value, &key,
                    ),
                })
            };
            match key.as_ref() {
                "$top" => paging.top = Some(number()?),
                "$skip" => paging.skip = number()?,
                k if k.starts_with('$') => {
                    return Err(AggError::QueryUnsupported {
                        parameter: k.to_owned(),
                    });
                }
                _ => {}
            }
        }
        Ok(paging)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_parses_top_and_skip_and_refuses_other_dollar_params() {
        assert_eq!(Paging::parse("").ok(), Some(Paging { top: None, skip: 0 }));
        assert_eq!(
            Paging::parse("$top=2&$skip=3").ok(),
            Some(Paging {
                top: Some(2),
                skip: 3
            })
        );
        assert_eq!(
            Paging::parse("%24top=2").ok(),
            Some(Paging {
                top: Some(2),
                skip: 0
            })
        );
        assert_eq!(
            Paging::parse("foo=bar").ok(),
            Some(Paging { top: None, skip: 0 })
        );
        assert!(matches!(
            Paging::parse("$top=x"),
            Err(AggError::BadRequest { .. })
        ));
        assert!(matches!(
            Paging::parse("$top=-1"),
            Err(AggError::BadRequest { .. })
        ));
        assert!(matches!(
            Paging::parse("$filter=Id eq 1"),
            Err(AggError::QueryUnsupported { .. })
        ));
    }
}
