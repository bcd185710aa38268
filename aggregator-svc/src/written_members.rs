//! Members a forwarded write created or removed at a BMC, so the merged collections show them at
//! once rather than at the BMC's next discovery read: a Task a BMC started for an action or an
//! update (202), a member a POST created (201 + Location), a member a DELETE removed. Discovery's
//! next read of the BMC replaces all of it with what the BMC lists.

use crate::exchange::Reply;
use http::Method;
use redfish::path::{Target, classify};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    Added { collection: String, uri: String },
    Removed { collection: String, uri: String },
}

/// What the (already localized) `reply` of the BMC `bmc` to `method` at the aggregate `path` did
/// to a merged collection of that BMC, if anything.
pub fn member_change(
    bmc: &str,
    method: &Method,
    path: &str,
    reply: &Reply,
) -> Option<MemberChange> {
    if !(200..300).contains(&reply.status) {
        return None;
    }
    if *method == Method::DELETE {
        return member_of(bmc, path)
            .map(|(collection, uri)| MemberChange::Removed { collection, uri });
    }
    if *method != Method::POST {
        return None;
    }
    // A Task in the body (bmcweb, most BMCs), else the Location header (iDRAC names the job or
    // task there, or a created member).
    let from_body = (reply.status == 202)
        .then(|| task_in_body(&reply.body))
        .flatten();
    let location = reply
        .headers
        .iter()
        .find(|(n, _)| *n == http::header::LOCATION)
        .and_then(|(_, v)| v.to_str().ok())
        .map(str::to_owned);
    [from_body, location]
        .into_iter()
        .flatten()
        .find_map(|uri| member_of(bmc, &uri))
        .map(|(collection, uri)| MemberChange::Added { collection, uri })
}

fn task_in_body(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    v["@odata.type"]
        .as_str()
        .is_some_and(|t| t.starts_with("#Task."))
        .then(|| v["@odata.id"].as_str().map(str::to_owned))
        .flatten()
}

/// `(collection, uri)` when `uri` (an aggregate path, maybe absolute) is a member of `bmc` in a
/// merged collection, itself and not a resource below it.
fn member_of(bmc: &str, uri: &str) -> Option<(String, String)> {
    let path = match uri.find("/redfish/v1") {
        Some(at) => &uri[at..],
        None => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    match classify(path) {
        Target::Member {
            collection,
            bmc: owner,
            member_id,
            rest,
        } if owner == bmc && (rest.is_empty() || rest == "/") => Some((
            collection.to_owned(),
            format!("/redfish/v1/{collection}/{owner}-{member_id}"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderValue;

    fn reply(status: u16, location: Option<&str>, body: &str) -> Reply {
        Reply {
            status,
            headers: location
                .map(|l| {
                    vec![(
                        http::header::LOCATION,
                        HeaderValue::from_str(l).expect("header"),
                    )]
                })
                .unwrap_or_default(),
            body: Bytes::from(body.to_owned()),
        }
    }

    fn added(collection: &str, uri: &str) -> Option<MemberChange> {
        Some(MemberChange::Added {
            collection: collection.into(),
            uri: uri.into(),
        })
    }

    #[test]
    fn writes_that_create_or_remove_members_are_recognised() {
        let task = r##"{"@odata.id":"/redfish/v1/TaskService/Tasks/s1-7","@odata.type":"#Task.v1_7_0.Task"}"##;
        let action = "/redfish/v1/Systems/s1-1/Actions/ComputerSystem.Reset";
        let cases: Vec<(Method, &str, Reply, Option<MemberChange>)> = vec![
            // A task in a 202 body, the Location naming its monitor.
            (
                Method::POST,
                action,
                reply(202, Some("/redfish/v1/TaskService/TaskMonitors/s1-7"), task),
                added("TaskService/Tasks", "/redfish/v1/TaskService/Tasks/s1-7"),
            ),
            // iDRAC: no body, the task in Location, absolute.
            (
                Method::POST,
                action,
                reply(
                    202,
                    Some("https://agg.example/redfish/v1/TaskService/Tasks/s1-JID_1"),
                    "",
                ),
                added(
                    "TaskService/Tasks",
                    "/redfish/v1/TaskService/Tasks/s1-JID_1",
                ),
            ),
            // A created member.
            (
                Method::POST,
                "/redfish/v1/Oem/RedDrum/Bmcs/s1/JobService/Jobs",
                reply(201, Some("/redfish/v1/JobService/Jobs/s1-9"), "{}"),
                added("JobService/Jobs", "/redfish/v1/JobService/Jobs/s1-9"),
            ),
            (
                Method::DELETE,
                "/redfish/v1/TaskService/Tasks/s1-7/",
                reply(204, None, ""),
                Some(MemberChange::Removed {
                    collection: "TaskService/Tasks".into(),
                    uri: "/redfish/v1/TaskService/Tasks/s1-7".into(),
                }),
            ),
            // Refused, or below a member, or another BMC's URI, or no write: nothing.
            (
                Method::DELETE,
                "/redfish/v1/TaskService/Tasks/s1-7",
                reply(404, None, ""),
                None,
            ),
            (
                Method::DELETE,
                "/redfish/v1/Systems/s1-1/LogServices/Sel/Entries/3",
                reply(204, None, ""),
                None,
            ),
            (
                Method::POST,
                action,
                reply(202, Some("/redfish/v1/TaskService/Tasks/s2-7"), ""),
                None,
            ),
            (
                Method::PATCH,
                "/redfish/v1/Systems/s1-1",
                reply(200, None, "{}"),
                None,
            ),
            (Method::POST, action, reply(204, None, ""), None),
            (
                Method::POST,
                action,
                reply(202, Some("/elsewhere/7"), "not json"),
                None,
            ),
        ];
        for (method, path, reply, want) in cases {
            assert_eq!(
                member_change("s1", &method, path, &reply),
                want,
                "{method} {path}"
            );
        }
    }
}
