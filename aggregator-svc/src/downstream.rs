//! What a source that is itself an aggregator (a rack under a row) tells of what lies below it:
//! the health of its own sources, read from its AggregationService in one request, and which of
//! its chassis and managers are its own top-level ones (the rack enclosure, the rack manager).
//! With it a row shows racks rather than every server flat, and rolls up a BMC down inside a rack
//! without reading any BMC itself. Pure: discovery reads, this module interprets.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// One of the lower aggregator's own sources that is not well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnwellSource {
    /// Its id at the lower aggregator (`s1`).
    pub id: String,
    /// `Status.State` as the lower aggregator gives it (`UnavailableOffline`).
    pub state: String,
    /// `Status.Health`: `Warning` or `Critical`.
    pub health: String,
}

/// What one member of the lower aggregator is, once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    /// A chassis contained by no other: the rack enclosure (or a row, a pod).
    TopChassis,
    /// A manager of type `RackManager` (or `Service`): the lower aggregator itself.
    AggregatorManager,
    /// Anything else (a server's chassis or BMC, the rack's switch).
    Other,
}

/// The facts about a source that is an aggregator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Downstream {
    /// Ids of its sources (`s1`).
    pub source_ids: Vec<String>,
    /// Its sources that are not `OK`, by id.
    pub unwell: Vec<UnwellSource>,
    /// Whether the source list could be read at the last attempt (else `unwell` is the last known).
    pub sources_read: bool,
    /// Its members read once, by their URI in the aggregate: what each is.
    pub kinds: BTreeMap<String, MemberKind>,
}

impl Downstream {
    /// The rollup of the lower aggregator's sources: OK, Warning when some are not, Critical when
    /// every one is Critical.
    pub fn rollup(&self) -> &'static str {
        let critical = self
            .unwell
            .iter()
            .filter(|s| s.health == "Critical")
            .count();
        if self.unwell.is_empty() {
            "OK"
        } else if critical == self.source_ids.len() {
            "Critical"
        } else {
            "Warning"
        }
    }

    /// The aggregate's URIs of the lower aggregator's members of `kind`.
    pub fn of_kind(&self, kind: MemberKind) -> BTreeSet<&str> {
        self.kinds
            .iter()
            .filter(|(_, k)| **k == kind)
            .map(|(uri, _)| uri.as_str())
            .collect()
    }

    /// Whether a member id of the lower aggregator is one of its sources' (`s1-1`) rather than
    /// its own (`Rack1`).
    pub fn is_member_of_a_source(member_id: &str, source_ids: &[String]) -> bool {
        source_ids.iter().any(|s| {
            member_id
                .strip_prefix(s.as_str())
                .is_some_and(|rest| rest.starts_with('-'))
        })
    }
}

/// Whether a ServiceRoot is that of an aggregator: it links an AggregationService.
pub fn aggregation_service(root: &Value) -> Option<&str> {
    root.get("AggregationService")?
        .get("@odata.id")?
        .as_str()
        .filter(|u| u.starts_with("/redfish/v1/"))
}

/// (Id, State, Health) of one AggregationSource body; None when it carries no Status (not
/// expanded).
pub fn source_status(body: &Value) -> Option<(String, String, String)> {
    let id = body.get("Id")?.as_str()?.to_owned();
    let status = body.get("Status")?;
    let state = status
        .get("State")
        .and_then(Value::as_str)
        .unwrap_or("Enabled")
        .to_owned();
    let health = status
        .get("Health")
        .and_then(Value::as_str)
        .unwrap_or("OK")
        .to_owned();
    Some((id, state, health))
}

/// The sources that are not well, from (Id, State, Health) triples. A source starting up or
/// `OK` is well; one whose State says it cannot be reached is Critical even without a Health.
pub fn unwell(statuses: &[(String, String, String)]) -> Vec<UnwellSource> {
    statuses
        .iter()
        .filter_map(|(id, state, health)| {
            let offline = matches!(
                state.as_str(),
                "UnavailableOffline" | "Absent" | "Deferring" | "Quiesced"
            );
            let health = match health.as_str() {
                "Critical" => "Critical",
                "Warning" => "Warning",
                _ if offline => "Critical",
                _ => return None,
            };
            Some(UnwellSource {
                id: id.clone(),
                state: state.clone(),
                health: health.to_owned(),
            })
        })
        .collect()
}

/// What a chassis or manager body says it is.
pub fn kind_of(collection: &str, body: &Value) -> MemberKind {
    match collection {
        "Chassis" => {
            let contained = body
                .pointer("/Links/ContainedBy/@odata.id")
                .and_then(Value::as_str)
                .is_some();
            if contained {
                MemberKind::Other
            } else {
                MemberKind::TopChassis
            }
        }
        "Managers" => match body.get("ManagerType").and_then(Value::as_str) {
            Some("RackManager" | "Service") => MemberKind::AggregatorManager,
            _ => MemberKind::Other,
        },
        _ => MemberKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn triple(id: &str, state: &str, health: &str) -> (String, String, String) {
        (id.into(), state.into(), health.into())
    }

    #[test]
    fn sources_that_are_not_ok_are_unwell_and_roll_up() {
        let table = [
            (vec![triple("s1", "Enabled", "OK")], "OK", 0),
            (vec![triple("s1", "Starting", "OK")], "OK", 0),
            (
                vec![
                    triple("s1", "Enabled", "OK"),
                    triple("s2", "Enabled", "Warning"),
                ],
                "Warning",
                1,
            ),
            (
                vec![
                    triple("s1", "UnavailableOffline", "Critical"),
                    triple("s2", "Enabled", "OK"),
                ],
                "Warning",
                1,
            ),
            (
                vec![
                    triple("s1", "UnavailableOffline", "Critical"),
                    triple("s2", "UnavailableOffline", ""),
                ],
                "Critical",
                2,
            ),
        ];
        for (statuses, rollup, count) in table {
            let d = Downstream {
                source_ids: statuses.iter().map(|(id, _, _)| id.clone()).collect(),
                unwell: unwell(&statuses),
                sources_read: true,
                kinds: BTreeMap::new(),
            };
            assert_eq!(d.rollup(), rollup, "{statuses:?}");
            assert_eq!(d.unwell.len(), count, "{statuses:?}");
        }
    }

    #[test]
    fn an_expanded_source_gives_its_status_and_a_reference_does_not() {
        let expanded =
            json!({"Id": "s1", "Status": {"State": "UnavailableOffline", "Health": "Critical"}});
        assert_eq!(
            source_status(&expanded),
            Some(triple("s1", "UnavailableOffline", "Critical"))
        );
        let reference =
            json!({"@odata.id": "/redfish/v1/AggregationService/AggregationSources/s1"});
        assert_eq!(source_status(&reference), None);
    }

    #[test]
    fn top_chassis_and_aggregator_managers_are_told_from_the_rest() {
        let table = [
            (
                "Chassis",
                json!({"ChassisType": "Rack"}),
                MemberKind::TopChassis,
            ),
            (
                "Chassis",
                json!({"ChassisType": "RackMount", "Links": {"ContainedBy": {"@odata.id": "/redfish/v1/Chassis/Rack1"}}}),
                MemberKind::Other,
            ),
            (
                "Managers",
                json!({"ManagerType": "RackManager"}),
                MemberKind::AggregatorManager,
            ),
            ("Managers", json!({"ManagerType": "BMC"}), MemberKind::Other),
            ("Managers", json!({}), MemberKind::Other),
        ];
        for (collection, body, kind) in table {
            assert_eq!(kind_of(collection, &body), kind, "{body}");
        }
    }

    #[test]
    fn a_member_of_a_lower_source_is_told_by_its_id_prefix() {
        let sources = vec!["s1".to_owned(), "s10".to_owned()];
        assert!(Downstream::is_member_of_a_source("s1-1", &sources));
        assert!(Downstream::is_member_of_a_source(
            "s10-System.Embedded.1",
            &sources
        ));
        assert!(!Downstream::is_member_of_a_source("Rack1", &sources));
        assert!(!Downstream::is_member_of_a_source("s1", &sources));
        assert!(!Downstream::is_member_of_a_source("s2-1", &sources));
    }

    #[test]
    fn only_an_aggregation_service_link_makes_an_aggregator() {
        assert_eq!(
            aggregation_service(
                &json!({"AggregationService": {"@odata.id": "/redfish/v1/AggregationService"}})
            ),
            Some("/redfish/v1/AggregationService")
        );
        assert_eq!(aggregation_service(&json!({"Systems": {}})), None);
        assert_eq!(
            aggregation_service(&json!({"AggregationService": {"@odata.id": "http://x/y"}})),
            None
        );
    }
}
