//! Helpers shared by the integration tests: start a BMC, authenticated JSON requests.
#![allow(dead_code)]

pub mod crawl;

use std::time::Duration;

use bmc_sim::{BmcOptions, Profile, SimBmc, SimHandle};
use serde_json::Value;

pub const USER: &str = "root";
pub const PASS: &str = "calvin";

/// Starts a BMC of `profile` on 127.0.0.1:0.
pub async fn start(profile: Profile) -> SimHandle {
    SimBmc::start(BmcOptions::new(&format!("t{profile}"), profile))
        .await
        .expect("start simulated BMC")
}

/// A client with a generous timeout (tests never assert upper time bounds).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// Turns a link (relative, or absolute on this BMC) into a full URL.
pub fn url_of(h: &SimHandle, link: &str) -> String {
    if link.starts_with("http://") || link.starts_with("https://") {
        link.to_string()
    } else {
        format!("{}{link}", h.url())
    }
}

/// GET with Basic auth; returns (status, headers, JSON or Null).
pub async fn get(h: &SimHandle, link: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = client()
        .get(url_of(h, link))
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .expect("GET");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

/// GET that must answer 200 with JSON.
pub async fn get_ok(h: &SimHandle, link: &str) -> Value {
    let (status, _, body) = get(h, link).await;
    assert_eq!(status, 200, "GET {link}: {body}");
    body
}

/// A request with a JSON body and Basic auth; returns (status, headers, JSON or Null).
pub async fn send(
    h: &SimHandle,
    method: reqwest::Method,
    link: &str,
    body: Option<Value>,
    extra: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client()
        .request(method, url_of(h, link))
        .basic_auth(USER, Some(PASS));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, json)
}

/// The first MessageId of a Redfish error body.
pub fn message_id(body: &Value) -> String {
    body["error"]["@Message.ExtendedInfo"][0]["MessageId"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The `@odata.id` of the only system.
pub async fn system_path(h: &SimHandle) -> String {
    let systems = get_ok(h, "/redfish/v1/Systems").await;
    systems["Members"][0]["@odata.id"]
        .as_str()
        .expect("system link")
        .to_string()
}

/// The `@odata.id` of the only manager.
pub async fn manager_path(h: &SimHandle) -> String {
    let managers = get_ok(h, "/redfish/v1/Managers").await;
    managers["Members"][0]["@odata.id"]
        .as_str()
        .expect("manager link")
        .to_string()
}
