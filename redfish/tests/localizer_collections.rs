//! The aggregated top-level collection table.

use redfish::collections::{AGGREGATED_COLLECTIONS, collection_of, is_aggregated_collection};

/// (collection, rest).
type Split = Option<(&'static str, &'static str)>;

#[test]
fn table_is_sorted_and_deduplicated() {
    for pair in AGGREGATED_COLLECTIONS.windows(2) {
        assert!(
            pair[0] < pair[1],
            "{:?} must sort before {:?}",
            pair[0],
            pair[1]
        );
    }
}

#[test]
fn entries_are_plain_relative_paths() {
    for entry in AGGREGATED_COLLECTIONS {
        assert!(!entry.is_empty());
        assert!(!entry.starts_with('/') && !entry.ends_with('/'), "{entry}");
        assert!(!entry.contains("//") && !entry.contains('{'), "{entry}");
        assert!(
            entry.split('/').count() <= 3,
            "{entry}: collection_of looks at 3 segments"
        );
        assert!(is_aggregated_collection(entry));
    }
}

#[test]
fn expected_collections_are_aggregated() {
    for entry in [
        "Cables",
        "Chassis",
        "ComponentIntegrity",
        "CompositionService/ResourceBlocks",
        "Fabrics",
        "Facilities",
        "KeyService/NVMeoFKeyPolicies",
        "LicenseService/Licenses",
        "Managers",
        "PowerEquipment/RackPDUs",
        "Storage",
        "StorageServices",
        "StorageSystems",
        "Systems",
        "TaskService/Tasks",
        "TaskService/TaskMonitors",
        "ThermalEquipment/CDUs",
        "UpdateService/FirmwareInventory",
        "UpdateService/SoftwareInventory",
    ] {
        assert!(
            is_aggregated_collection(entry),
            "{entry} must be aggregated"
        );
    }
}

#[test]
fn aggregate_owned_services_are_excluded() {
    for entry in [
        "AccountService/Accounts",
        "AccountService/Roles",
        "AccountService/LDAP/Certificates",
        "SessionService/Sessions",
        "EventService/Subscriptions",
        "CertificateService/CertificateEnrollments",
        "CertificateService/EnrollmentCACertificates",
        "Registries",
        "JsonSchemas",
        "AggregationService/Aggregates",
        "AggregationService/AggregationSources",
        "AggregationService/ConnectionMethods",
        "TelemetryService/MetricReports",
        "TelemetryService/MetricReportDefinitions",
        "TelemetryService/LogService/Entries",
        "UpdateService/RemoteServerCertificates",
        "UpdateService/ClientCertificates",
        "UpdateService/RemoteServerSSHKeys",
        "RegisteredClients",
        // Singletons are never collections.
        "UpdateService",
        "TaskService",
        "PowerEquipment",
        "JobService/Log",
    ] {
        assert!(
            !is_aggregated_collection(entry),
            "{entry} must not be aggregated"
        );
    }
    for entry in AGGREGATED_COLLECTIONS {
        for excluded in [
            "AccountService",
            "SessionService",
            "EventService",
            "CertificateService",
            "Registries",
            "JsonSchemas",
            "AggregationService",
            "TelemetryService",
        ] {
            assert!(!entry.starts_with(excluded), "{entry} is under {excluded}");
        }
    }
}

#[test]
fn collection_of_table() {
    // (path after /redfish/v1/, expected)
    let rows: &[(&str, Split)] = &[
        ("Systems", Some(("Systems", ""))),
        ("Systems/", Some(("Systems", ""))),
        ("Systems/1", Some(("Systems", "1"))),
        ("Systems/1/", Some(("Systems", "1/"))),
        ("Systems/1/Bios", Some(("Systems", "1/Bios"))),
        ("Systems//Bios", Some(("Systems", "/Bios"))),
        ("TaskService/Tasks/7", Some(("TaskService/Tasks", "7"))),
        (
            "JobService/Log/Entries/4",
            Some(("JobService/Log/Entries", "4")),
        ),
        (
            "JobService/Log/Entries",
            Some(("JobService/Log/Entries", "")),
        ),
        ("JobService/Log", None),
        ("Storage/1/Volumes/2", Some(("Storage", "1/Volumes/2"))),
        ("StorageServices/1", Some(("StorageServices", "1"))),
        ("StorageX/1", None),
        ("SystemsX", None),
        ("systems/1", None),
        ("TaskService", None),
        ("TaskService/Other/1", None),
        ("", None),
        ("/Systems/1", None),
        ("AccountService/Accounts/1", None),
    ];
    for (input, expected) in rows {
        assert_eq!(collection_of(input), *expected, "{input:?}");
    }
}
