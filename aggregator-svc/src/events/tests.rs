use super::*;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn subscriptions_are_validated_before_anything_is_stored() {
    let ok = validate_subscription(&obj(json!({
        "Destination": "https://10.1.1.1/events", "Protocol": "Redfish", "Context": "ops",
        "RegistryPrefixes": ["Base"], "ResourceTypes": ["ComputerSystem"],
        "OriginResources": [{"@odata.id": "/redfish/v1/Systems/s1-1"}], "SubordinateResources": true,
        "HttpHeaders": [{"X-Token": "secret"}], "DeliveryRetryPolicy": "TerminateAfterRetries",
    })))
    .expect("valid");
    assert_eq!(ok.destination, "https://10.1.1.1/events");
    assert_eq!(
        ok.http_headers,
        vec![("X-Token".to_owned(), "secret".to_owned())]
    );
    assert_eq!(
        ok.retry_policy,
        subscription::RetryPolicy::TerminateAfterRetries
    );
    let shown = subscription::body(&ok, "/x");
    assert_eq!(shown["HttpHeaders"], json!([]), "write-only");
    assert!(!shown.to_string().contains("secret"));
    let rows = [
        (
            json!({"Protocol": "Redfish"}),
            "CreateFailedMissingReqProperties",
        ),
        (
            json!({"Destination": "https://h/e"}),
            "CreateFailedMissingReqProperties",
        ),
        (
            json!({"Destination": "ftp://h/e", "Protocol": "Redfish"}),
            "PropertyValueFormatError",
        ),
        (
            json!({"Destination": "not a url", "Protocol": "Redfish"}),
            "PropertyValueFormatError",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "SNMPv2c"}),
            "PropertyValueNotInList",
        ),
        (
            json!({"Destination": 5, "Protocol": "Redfish"}),
            "PropertyValueTypeError",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "Colour": "red"}),
            "PropertyUnknown",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "EventFormatType": "MetricReport"}),
            "PropertyValueNotInList",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "ResourceTypes": ["Toaster"]}),
            "PropertyValueNotInList",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "RegistryPrefixes": ["Ba se"]}),
            "PropertyValueFormatError",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "OriginResources": [{"@odata.id": "/x"}]}),
            "PropertyValueFormatError",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "DeliveryRetryPolicy": "Sometimes"}),
            "PropertyValueNotInList",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "HttpHeaders": [{"Content-Length": "1"}]}),
            "PropertyValueNotInList",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "HttpHeaders": [{"X-A": "bad\nvalue"}]}),
            "PropertyValueFormatError",
        ),
        (
            json!({"Destination": "https://h/e", "Protocol": "Redfish", "SubordinateResources": "yes"}),
            "PropertyValueTypeError",
        ),
    ];
    for (body, key) in rows {
        match validate_subscription(&obj(body.clone())) {
            Err(AggError::BadRequest { message }) => assert_eq!(message.key(), key, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[test]
fn a_patch_changes_only_writable_properties() {
    let sub = validate_subscription(&obj(
        json!({"Destination": "https://h/e", "Protocol": "Redfish"}),
    ))
    .expect("valid");
    let changed = subscription::apply_patch(
        &sub,
        &obj(json!({"Context": "new", "DeliveryRetryPolicy": "RetryForever"})),
    )
    .expect("patched");
    assert_eq!(changed.context, "new");
    assert_eq!(
        changed.retry_policy,
        subscription::RetryPolicy::RetryForever
    );
    for (body, key) in [
        (json!({"Destination": "https://x/y"}), "PropertyNotWritable"),
        (json!({"RegistryPrefixes": []}), "PropertyNotWritable"),
        (json!({"Colour": "red"}), "PropertyUnknown"),
        (
            json!({"Context": "ok", "DeliveryRetryPolicy": 3}),
            "PropertyValueTypeError",
        ),
    ] {
        match subscription::apply_patch(&sub, &obj(body.clone())) {
            Err(AggError::BadRequest { message }) => assert_eq!(message.key(), key, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

/// A subscription stored by the previous release (id, destination, context only) still loads.
#[test]
fn subscriptions_of_the_previous_format_load() {
    let old = r#"[{"id":3,"destination":"http://127.0.0.1:9/e","context":"ops"}]"#;
    let subs: Vec<Subscription> = serde_json::from_str(old).expect("loads");
    assert_eq!(subs[0].id, 3);
    assert!(subs[0].registry_prefixes.is_empty() && !subs[0].suspended);
    assert_eq!(
        subs[0].retry_policy,
        subscription::RetryPolicy::SuspendRetries
    );
}
