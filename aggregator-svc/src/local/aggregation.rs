//! `/redfish/v1/AggregationService`: the service, its ConnectionMethods (Redfish) and its
//! AggregationSources, one per BMC, with the BMC's health as `Status` (see `inventory::Health`).
//! POST adds a BMC, PATCH changes its address or credentials (the BMC is logged into afresh),
//! DELETE removes it with its members. Passwords are write-only: `null` when read. A BMC in
//! trust-on-first-use mode shows its pinned certificate and takes the accept action
//! ([`super::source_certificate`]).

use super::patch::{Kind, object_body, validate};
use super::source_certificate;
use super::{Ctx, collection, link, links, reply};
use crate::config::{ValidBmc, parse_bmc_url};
use crate::error::AggError;
use crate::exchange::Reply;
use crate::inventory::{BmcEntry, Health, HealthState};
use crate::sources::{Origin, apply};
use bytes::Bytes;
use http::{HeaderValue, Method};
use redfish::events::EventMessage;
use redfish::ids::BmcId;
use redfish::messages::Message;
use serde_json::{Map, Value, json};

pub const ROOT: &str = "/redfish/v1/AggregationService";
const SOURCES: &str = "/redfish/v1/AggregationService/AggregationSources";
const METHODS: &str = "/redfish/v1/AggregationService/ConnectionMethods";
const AGGREGATES: &str = "/redfish/v1/AggregationService/Aggregates";
const REDFISH_METHOD: &str = "/redfish/v1/AggregationService/ConnectionMethods/Redfish";
const READ: &str = "GET, HEAD";
const COLLECTION_ALLOW: &str = "GET, HEAD, POST";
const SOURCE_ALLOW: &str = "GET, HEAD, PATCH, DELETE";
const WRITABLE: &[(&str, Kind)] = &[
    ("HostName", Kind::Str),
    ("UserName", Kind::Str),
    ("Password", Kind::Str),
];

/// `/redfish/v1/AggregationService[/...]`; `rest` is what follows it.
pub async fn serve(ctx: &Ctx<'_>, rest: &[&str]) -> Result<Reply, AggError> {
    match rest {
        [] => read(ctx, &service_body(ctx)),
        ["ConnectionMethods"] => read(
            ctx,
            &collection(
                METHODS,
                "#ConnectionMethodCollection.ConnectionMethodCollection",
                "Connection Methods",
                &[REDFISH_METHOD.to_owned()],
            ),
        ),
        ["ConnectionMethods", "Redfish"] => read(ctx, &method_body(ctx)),
        ["AggregationSources"] if ctx.ex.method == Method::POST => create(ctx).await,
        ["AggregationSources"] => {
            reply::only(ctx.ex, &[Method::GET, Method::HEAD], COLLECTION_ALLOW)?;
            let body = collection(
                SOURCES,
                "#AggregationSourceCollection.AggregationSourceCollection",
                "Aggregation Sources",
                &source_uris(ctx),
            );
            reply::json(ctx.ex, &body, COLLECTION_ALLOW)
        }
        ["AggregationSources", id, "Actions", "Oem", action]
            if *action == source_certificate::ACTION =>
        {
            let (bmc, _) = ctx.state.sources.get(id).ok_or_else(|| ctx.not_found())?;
            source_certificate::accept(ctx, id, &bmc).await
        }
        ["AggregationSources", id] => match ctx.ex.method {
            Method::PATCH => change(ctx, id).await,
            Method::DELETE => delete(ctx, id).await,
            _ => {
                reply::only(ctx.ex, &[Method::GET, Method::HEAD], SOURCE_ALLOW)?;
                let body = source_body(ctx, id).ok_or_else(|| ctx.not_found())?;
                reply::json(ctx.ex, &body, allow_for(ctx, id))
            }
        },
        _ => Err(ctx.not_found()),
    }
}

fn read(ctx: &Ctx<'_>, body: &Value) -> Result<Reply, AggError> {
    reply::only(ctx.ex, &[Method::GET, Method::HEAD], READ)?;
    reply::json(ctx.ex, body, READ)
}

pub fn source_uri(id: &str) -> String {
    format!("{SOURCES}/{id}")
}

fn source_uris(ctx: &Ctx<'_>) -> Vec<String> {
    ctx.state
        .sources
        .applied()
        .iter()
        .map(|(b, _)| source_uri(b.id.as_str()))
        .collect()
}

fn service_body(ctx: &Ctx<'_>) -> Value {
    json!({
        "@odata.id": ROOT,
        "@odata.type": "#AggregationService.v1_0_3.AggregationService",
        "Id": "AggregationService",
        "Name": "Aggregation Service",
        "Description": "The BMCs this rack manager aggregates, each an AggregationSource",
        "ServiceEnabled": true,
        "Status": {"State": "Enabled", "Health": "OK", "HealthRollup": ctx.bmc_rollup()},
        "AggregationSources": link(SOURCES),
        "ConnectionMethods": link(METHODS),
        "Aggregates": link(AGGREGATES),
    })
}

fn method_body(ctx: &Ctx<'_>) -> Value {
    let sources = source_uris(ctx);
    json!({
        "@odata.id": REDFISH_METHOD,
        "@odata.type": "#ConnectionMethod.v1_2_0.ConnectionMethod",
        "Id": "Redfish",
        "Name": "Redfish",
        "Description": "Each BMC's own Redfish service, over HTTP or HTTPS, with a Redfish session (or Basic authentication where it has none)",
        "ConnectionMethodType": "Redfish",
        "Links": {
            "AggregationSources": links(&sources),
            "AggregationSources@odata.count": sources.len(),
        },
    })
}

fn allow_for(ctx: &Ctx<'_>, id: &str) -> &'static str {
    match ctx.state.sources.get(id) {
        Some((_, Origin::Api)) => SOURCE_ALLOW,
        _ => READ,
    }
}

/// One BMC as an AggregationSource; None when there is no such BMC.
fn source_body(ctx: &Ctx<'_>, id: &str) -> Option<Value> {
    let (bmc, origin) = ctx.state.sources.get(id)?;
    let entry = ctx.state.inventory.bmc(id)?;
    let health = entry.health();
    let inventory = &ctx.state.inventory;
    let accessed: Vec<String> = ["Systems", "Chassis", "Managers"]
        .iter()
        .flat_map(|c| inventory.members_of(id, c))
        .collect();
    let description = match origin {
        Origin::ConfigFile => "A BMC of the config file (changed there, not here)",
        Origin::Api => "A BMC added through the AggregationService",
    };
    let mut body = json!({
        "@odata.id": source_uri(id),
        "@odata.type": "#AggregationSource.v1_5_0.AggregationSource",
        "Id": id,
        "Name": format!("BMC {id}"),
        "Description": description,
        "HostName": bmc.base_url.as_str().trim_end_matches('/'),
        "UserName": bmc.username,
        "Password": null,
        "AggregationType": "Full",
        "Status": status(&health, source_certificate::condition(ctx, id), &entry),
        "Links": {
            "ConnectionMethod": link(REDFISH_METHOD),
            "ResourcesAccessed": links(&accessed),
            "ResourcesAccessed@odata.count": accessed.len(),
        },
    });
    if let Value::Object(map) = &mut body {
        source_certificate::decorate(ctx, id, &bmc, map);
    }
    Some(body)
}

/// The health model as a Redfish Status, each reason a Condition (a refused certificate is the
/// reason when there is one). A source that is itself an aggregator and answers is as well as
/// its own sources are, each one not well a Condition.
fn status(health: &Health, certificate: Option<EventMessage>, entry: &BmcEntry) -> Value {
    let below = entry.downstream();
    let (state, level) = match health.state {
        HealthState::Unknown => ("Starting", "OK"),
        HealthState::Up => ("Enabled", below.as_ref().map_or("OK", |d| d.rollup())),
        HealthState::Degraded => ("Enabled", "Warning"),
        HealthState::Down | HealthState::Unauthorized => ("UnavailableOffline", "Critical"),
    };
    let since = health
        .since
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| redfish::time::format_utc(d.as_secs() as i64))
        .unwrap_or_default();
    let condition = |message: EventMessage, severity: &str| {
        json!({
            "MessageId": message.message_id(),
            "Message": message.text(),
            "MessageArgs": message.args(),
            "Severity": severity,
            "Timestamp": since,
        })
    };
    let mut conditions = Vec::new();
    match (health.state, certificate) {
        (HealthState::Down, Some(refused)) => conditions.push(condition(refused, "Critical")),
        (HealthState::Down, None) => conditions.push(condition(
            EventMessage::resource_errors_detected(
                "ServiceRoot",
                health.reason.as_deref().unwrap_or("unreachable"),
            ),
            "Critical",
        )),
        (HealthState::Unauthorized, _) => conditions.push(condition(
            EventMessage::resource_errors_detected(
                "UserName",
                "the BMC refuses the aggregator's credentials",
            ),
            "Critical",
        )),
        _ => {}
    }
    for (collection, reason) in &health.failing {
        conditions.push(condition(
            EventMessage::resource_errors_detected(collection, reason),
            "Warning",
        ));
    }
    if let Some(below) = below.filter(|_| health.state == HealthState::Up) {
        for source in &below.unwell {
            let name = format!("BMC {}-{}", entry.id, source.id);
            let message = if source.health == "Critical" {
                EventMessage::resource_status_changed_critical(&name)
            } else {
                EventMessage::resource_status_changed_warning(&name)
            };
            let mut c = condition(message, &source.health);
            // Its AggregationSource at the lower aggregator, as the aggregate serves it.
            let at_source = format!(
                "/redfish/v1/AggregationService/AggregationSources/{}",
                source.id
            );
            if let Some(origin) = redfish::rewrite::localize_uri(&at_source, &entry.ctx()) {
                c["OriginOfCondition"] = link(&origin);
            }
            conditions.push(c);
        }
    }
    json!({"State": state, "Health": level, "Conditions": conditions})
}

/// A source that may be changed through the API.
fn api_source(ctx: &Ctx<'_>, id: &str) -> Result<ValidBmc, AggError> {
    match ctx.state.sources.get(id) {
        Some((bmc, Origin::Api)) => Ok(bmc),
        Some((_, Origin::ConfigFile)) => Err(AggError::MethodNotAllowed {
            path: ctx.ex.path.clone(),
            allow: READ,
        }),
        None => Err(ctx.not_found()),
    }
}

fn bad(message: Message) -> AggError {
    AggError::BadRequest { message }
}

fn string(body: &Map<String, Value>, name: &str) -> Result<Option<String>, AggError> {
    match body.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(v) => Err(bad(Message::property_value_type_error(
            &v.to_string(),
            name,
        ))),
    }
}

fn oem_bool(oem: &Value, name: &str, default: bool) -> Result<bool, AggError> {
    match oem.get(name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(bad(Message::property_value_type_error(
            &v.to_string(),
            &format!("Oem/RedDrum/{name}"),
        ))),
    }
}

/// Trust on first use needs a certificate to pin: an https HostName.
fn check_tofu(url: &url::Url) -> Result<(), AggError> {
    crate::config::check_tofu(url, false).map_err(|_| {
        bad(Message::property_value_conflict(
            "Oem/RedDrum/TrustOnFirstUse",
            "HostName",
        ))
    })
}

fn url_of(text: &str) -> Result<url::Url, AggError> {
    parse_bmc_url(text).map_err(|_| bad(Message::property_value_format_error(text, "HostName")))
}

/// `POST .../AggregationSources`: `HostName` (`http[s]://host[:port]`), `UserName`, `Password`;
/// optional `Id` (the BMC id, the prefix of its members' ids; made up when absent) and
/// `Oem.RedDrum.VerifyTls` (default true), `Oem.RedDrum.TrustOnFirstUse` (default false) and
/// `Oem.RedDrum.PduSocket`.
async fn create(ctx: &Ctx<'_>) -> Result<Reply, AggError> {
    let body = object_body(&ctx.ex.body)?;
    for key in body.keys() {
        if !matches!(
            key.as_str(),
            "HostName" | "UserName" | "Password" | "Id" | "Name" | "Oem"
        ) && !key.starts_with('@')
        {
            return Err(bad(Message::property_unknown(key)));
        }
    }
    let mut missing = Vec::new();
    let mut required = |name: &str| -> Result<String, AggError> {
        let value = string(&body, name)?;
        if value.is_none() {
            missing.push(name.to_owned());
        }
        Ok(value.unwrap_or_default())
    };
    let host = required("HostName")?;
    let username = required("UserName")?;
    let password = required("Password")?;
    if let Some(first) = missing.first() {
        return Err(bad(Message::create_failed_missing_req_properties(first)));
    }
    let base_url = url_of(&host)?;
    let oem = body
        .get("Oem")
        .and_then(|o| o.get("RedDrum"))
        .cloned()
        .unwrap_or(Value::Null);
    let verify_tls = oem_bool(&oem, "VerifyTls", true)?;
    let trust_on_first_use = oem_bool(&oem, "TrustOnFirstUse", false)?;
    if trust_on_first_use {
        check_tofu(&base_url)?;
    }
    let pdu_socket = oem
        .get("PduSocket")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let sources = &ctx.state.sources;
    let _writer = sources.lock().await;
    let taken = |id: &str| sources.get(id).is_some();
    let id = match string(&body, "Id")? {
        Some(id) => {
            let parsed = BmcId::parse(&id)
                .map_err(|_| bad(Message::property_value_format_error(&id, "Id")))?;
            if taken(&id) {
                return Err(AggError::Conflict {
                    message: Message::resource_already_exists("AggregationSource", "Id", &id),
                });
            }
            parsed
        }
        None => (1..)
            .map(|n| format!("bmc{n}"))
            .find(|id| !taken(id))
            .and_then(|id| BmcId::parse(&id).ok())
            .ok_or_else(|| AggError::Internal("no free BMC id".into()))?,
    };
    let bmc = ValidBmc {
        id: id.clone(),
        base_url,
        username,
        password,
        verify_tls,
        ca_file: None,
        pdu_socket,
        trust_on_first_use,
    };
    // The client is made first: a BMC that cannot be set up is refused before anything is stored.
    crate::bmc_client::BmcClient::new(&bmc, ctx.state.limits.clone())
        .map_err(|_| bad(Message::property_value_format_error(&host, "HostName")))?;
    sources.save(bmc).await?;
    reapply(ctx).await?;
    let uri = source_uri(id.as_str());
    record(ctx, &uri).await;
    tracing::info!(bmc = %id, user = %ctx.ex.user, "AggregationSource added");
    let body = source_body(ctx, id.as_str()).ok_or_else(|| ctx.not_found())?;
    let mut reply = reply::json(ctx.ex, &body, SOURCE_ALLOW)?;
    reply.status = 201;
    if let Ok(location) = HeaderValue::from_str(&uri) {
        reply.headers.push((http::header::LOCATION, location));
    }
    Ok(reply)
}

/// PATCH: a new address, user or password; the BMC is logged into afresh and read again.
async fn change(ctx: &Ctx<'_>, id: &str) -> Result<Reply, AggError> {
    let sources = &ctx.state.sources;
    let _writer = sources.lock().await;
    let mut bmc = api_source(ctx, id)?;
    let current = source_body(ctx, id).ok_or_else(|| ctx.not_found())?;
    reply::check_if_match(ctx.ex, &current)?;
    let patch = object_body(&ctx.ex.body)?;
    validate(&patch, WRITABLE, &current, "")?;
    if patch.keys().all(|k| k.starts_with('@')) {
        return Err(bad(Message::no_operation()));
    }
    for (name, value) in &patch {
        if value.is_null() && !name.starts_with('@') {
            return Err(bad(Message::property_value_type_error("null", name)));
        }
    }
    if let Some(host) = string(&patch, "HostName")? {
        bmc.base_url = url_of(&host)?;
        if bmc.trust_on_first_use {
            check_tofu(&bmc.base_url)?;
        }
    }
    if let Some(user) = string(&patch, "UserName")? {
        bmc.username = user;
    }
    if let Some(password) = string(&patch, "Password")? {
        bmc.password = password;
    }
    crate::bmc_client::BmcClient::new(&bmc, ctx.state.limits.clone()).map_err(|e| {
        AggError::BadRequest {
            message: Message::property_value_format_error(&e, "HostName"),
        }
    })?;
    sources.save(bmc).await?;
    reapply(ctx).await?;
    let uri = source_uri(id);
    record(ctx, &uri).await;
    tracing::info!(bmc = %id, user = %ctx.ex.user, changed = ?patch.keys().collect::<Vec<_>>(), "AggregationSource changed");
    let body = source_body(ctx, id).ok_or_else(|| ctx.not_found())?;
    reply::json(ctx.ex, &body, SOURCE_ALLOW)
}

/// DELETE: the BMC and its members leave the aggregate.
async fn delete(ctx: &Ctx<'_>, id: &str) -> Result<Reply, AggError> {
    let sources = &ctx.state.sources;
    let _writer = sources.lock().await;
    api_source(ctx, id)?;
    sources.delete(id).await?;
    ctx.state.limits.tls.pins().forget(id);
    reapply(ctx).await?;
    record(ctx, &source_uri(id)).await;
    tracing::info!(bmc = %id, user = %ctx.ex.user, "AggregationSource deleted");
    Ok(Reply {
        status: 204,
        headers: Vec::new(),
        body: Bytes::new(),
    })
}

/// Runs the aggregate with the config file's BMCs and the API's as they are now.
async fn reapply(ctx: &Ctx<'_>) -> Result<(), AggError> {
    // The config file's BMCs as running now (not the file validated again: that would read
    // every password_file once more on each write).
    let from_file = ctx
        .state
        .sources
        .applied()
        .into_iter()
        .filter(|(_, origin)| *origin == Origin::ConfigFile)
        .map(|(bmc, _)| bmc)
        .collect();
    apply(ctx.state, ctx.state.sources.effective(from_file))
        .await
        .map_err(AggError::Internal)?;
    ctx.state.inventory.rebuild_view();
    Ok(())
}

async fn record(ctx: &Ctx<'_>, uri: &str) {
    ctx.state
        .rack
        .log
        .record(EventMessage::resource_changed(), Some(uri.to_owned()))
        .await;
}
