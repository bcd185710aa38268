//! classify() and bmc_path(): every aggregated collection x member ids x rests, plus negatives.

use proptest::prelude::*;
use redfish::collections::AGGREGATED_COLLECTIONS;
use redfish::ids::split_member;
use redfish::path::{Target, bmc_path, classify};

/// (bmc, path) sent to the BMC.
type Sent = Option<(&'static str, &'static str)>;

const MEMBER_IDS: &[&str] = &[
    "1",
    "System.Embedded.1",
    "system",
    "bmc_active",
    "0b0e6e4e-5a1b-4c2d-8e9f-001122334455",
    "a%20b",
    "Enclosure.Internal.0-1:RAID.Integrated.1-1",
];
const RESTS: &[&str] = &[
    "",
    "/",
    "/Bios",
    "/Bios/",
    "/Sensors/temp_1",
    "/Actions/Oem/X.Y",
];

fn member(collection: &'static str, bmc: &str, member_id: &str, rest: &str) -> Target {
    Target::Member {
        collection,
        bmc: bmc.to_owned(),
        member_id: member_id.to_owned(),
        rest: rest.to_owned(),
    }
}

#[test]
fn every_collection_root_with_and_without_slash() {
    for collection in AGGREGATED_COLLECTIONS {
        for path in [
            format!("/redfish/v1/{collection}"),
            format!("/redfish/v1/{collection}/"),
        ] {
            assert_eq!(classify(&path), Target::Collection { collection }, "{path}");
            assert_eq!(bmc_path(&classify(&path)), None);
        }
    }
}

#[test]
fn every_collection_x_member_x_rest_is_a_member() {
    let mut checked = 0;
    for collection in AGGREGATED_COLLECTIONS {
        for id in MEMBER_IDS {
            for rest in RESTS {
                for bmc in ["s1", "rack2_node07"] {
                    let path = format!("/redfish/v1/{collection}/{bmc}-{id}{rest}");
                    let target = classify(&path);
                    assert_eq!(target, member(collection, bmc, id, rest), "{path}");
                    let expected = format!("/redfish/v1/{collection}/{id}{rest}");
                    assert_eq!(bmc_path(&target), Some((bmc, expected)), "{path}");
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(
        checked,
        AGGREGATED_COLLECTIONS.len() * MEMBER_IDS.len() * RESTS.len() * 2
    );
}

#[test]
fn every_collection_x_unprefixed_member_is_local_unless_it_splits() {
    for collection in AGGREGATED_COLLECTIONS {
        for id in MEMBER_IDS
            .iter()
            .chain(&["Rack1", "aggregator", "1-", "-1", "9z-1"])
        {
            for rest in RESTS {
                let path = format!("/redfish/v1/{collection}/{id}{rest}");
                let expected = match split_member(id) {
                    // e.g. "Enclosure.Internal.0-1..." does not split ("Enclosure.Internal.0" is
                    // no BmcId) but a UUID's first group could be a BmcId only if it starts with
                    // a letter: "0b0e6e4e" does not.
                    Some((bmc, member_id)) => member(collection, bmc, member_id, rest),
                    None => Target::Local { path: path.clone() },
                };
                assert_eq!(classify(&path), expected, "{path}");
            }
        }
    }
}

#[test]
fn service_root_and_passthrough() {
    // (path, expected, path sent to the BMC)
    let rows: Vec<(&str, Target, Sent)> = vec![
        ("/redfish/v1", Target::ServiceRoot, None),
        ("/redfish/v1/", Target::ServiceRoot, None),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1",
            Target::Passthrough {
                bmc: "s1".into(),
                rest: "".into(),
            },
            Some(("s1", "/redfish/v1")),
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/",
            Target::Passthrough {
                bmc: "s1".into(),
                rest: "/".into(),
            },
            Some(("s1", "/redfish/v1/")),
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/AccountService/Accounts/3",
            Target::Passthrough {
                bmc: "s1".into(),
                rest: "/AccountService/Accounts/3".into(),
            },
            Some(("s1", "/redfish/v1/AccountService/Accounts/3")),
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/SessionService/Sessions/5/",
            Target::Passthrough {
                bmc: "s1".into(),
                rest: "/SessionService/Sessions/5/".into(),
            },
            Some(("s1", "/redfish/v1/SessionService/Sessions/5/")),
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/idrac7/Dell/Managers/iDRAC.Embedded.1",
            Target::Passthrough {
                bmc: "idrac7".into(),
                rest: "/Dell/Managers/iDRAC.Embedded.1".into(),
            },
            Some(("idrac7", "/redfish/v1/Dell/Managers/iDRAC.Embedded.1")),
        ),
        (
            "/redfish/v1/Oem/RedDrum/Bmcs/s1/Systems/1",
            Target::Passthrough {
                bmc: "s1".into(),
                rest: "/Systems/1".into(),
            },
            Some(("s1", "/redfish/v1/Systems/1")),
        ),
    ];
    for (path, expected, sent) in rows {
        let target = classify(path);
        assert_eq!(target, expected, "{path}");
        let sent = sent.map(|(b, p)| (b, p.to_owned()));
        assert_eq!(bmc_path(&target), sent, "{path}");
    }
}

#[test]
fn negatives_are_local() {
    for path in [
        "",
        "/",
        "//",
        "/redfish",
        "/redfish/",
        "/redfish/v1x",
        "/redfish/v1x/Systems/s1-1",
        "/redfish/v2/Systems/s1-1",
        "redfish/v1/Systems/s1-1",
        "/redfish/v1/$metadata",
        "/redfish/v1/odata",
        "/redfish/v1/JsonSchemas/ComputerSystem.v1_5_0.json",
        "/redfish/v1/Registries/Base.1.16.0",
        "/redfish/v1/SessionService/Sessions/s1-5",
        "/redfish/v1/AccountService/Accounts/s1-3",
        "/redfish/v1/EventService/Subscriptions/s1-1",
        "/redfish/v1/TelemetryService/MetricReports/s1-x",
        "/redfish/v1/UpdateService",
        "/redfish/v1/Chassis/Rack1",
        "/redfish/v1/Chassis/Rack1/Power",
        "/redfish/v1/Managers/aggregator",
        "/redfish/v1/Systems//Bios",
        "/redfish/v1/Systems/-1",
        "/redfish/v1/Systems/s1-",
        "/redfish/v1/Systems/1s-1",
        "/redfish/v1/systems/s1-1",
        "/redfish/v1//Systems/s1-1",
        "/redfish/v1/Oem",
        "/redfish/v1/Oem/RedDrum/Bmcs",
        "/redfish/v1/Oem/RedDrum/Bmcs/",
        "/redfish/v1/Oem/RedDrum/Bmcs/bad-id/x",
        "/redfish/v1/Oem/RedDrum/Bmcs/1s",
        "/redfish/v1/Oem/RedDrum/Bmcs//x",
        "/redfish/v1/Oem/RedDrum/BmcsX/s1",
    ] {
        let target = classify(path);
        assert_eq!(
            target,
            Target::Local {
                path: path.to_owned()
            },
            "{path:?}"
        );
        assert_eq!(bmc_path(&target), None);
    }
}

proptest! {
    #[test]
    fn classify_never_panics(path in "\\PC*") {
        let _ = bmc_path(&classify(&path));
    }

    #[test]
    fn classify_never_panics_on_redfish_like_paths(
        tail in "[A-Za-z0-9/._%$-]{0,40}",
        pick in 0usize..AGGREGATED_COLLECTIONS.len(),
    ) {
        let collection = AGGREGATED_COLLECTIONS[pick];
        for path in [
            format!("/redfish/v1/{tail}"),
            format!("/redfish/v1/{collection}/{tail}"),
            format!("/redfish/v1/Oem/RedDrum/Bmcs/{tail}"),
        ] {
            if let Some((_, sent)) = bmc_path(&classify(&path)) {
                prop_assert!(sent.starts_with("/redfish/v1"));
            }
        }
    }
}
