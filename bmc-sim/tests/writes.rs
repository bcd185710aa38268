//! State changes persist within a run: PATCH, resets, virtual media, accounts, sessions, BIOS,
//! log clear, tasks; plus the error replies of the write paths.

mod common;

use std::time::Duration;

use bmc_sim::Profile;
use common::{client, get, get_ok, manager_path, message_id, send, start, system_path, url_of};
use reqwest::Method;
use serde_json::{Value, json};

fn trim(p: &str) -> String {
    p.trim_end_matches('/').to_string()
}

#[tokio::test]
async fn patch_is_visible_and_if_match_is_enforced() {
    for profile in Profile::ALL {
        let h = start(profile).await;
        let sys = trim(&system_path(&h).await);
        let (_, headers, _) = get(&h, &sys).await;
        let etag = headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .expect("etag")
            .to_string();

        let (status, _, body) = send(
            &h,
            Method::PATCH,
            &sys,
            Some(json!({"AssetTag": "x"})),
            &[("If-Match", "W/\"nope\"")],
        )
        .await;
        assert_eq!(status, 412, "{profile}");
        assert!(message_id(&body).ends_with(".PreconditionFailed"), "{body}");

        let (status, _, _) = send(
            &h,
            Method::PATCH,
            &sys,
            Some(json!({"AssetTag": "rack7-u12", "Boot": {"BootSourceOverrideTarget": "Pxe", "BootSourceOverrideEnabled": "Once"}})),
            &[("If-Match", etag.as_str())],
        )
        .await;
        assert!(matches!(status, 200 | 204), "{profile}: {status}");
        let after = get_ok(&h, &sys).await;
        assert_eq!(after["AssetTag"], "rack7-u12");
        assert_eq!(after["Boot"]["BootSourceOverrideTarget"], "Pxe");
        let (_, headers, _) = get(&h, &sys).await;
        assert_ne!(
            headers.get("etag").and_then(|v| v.to_str().ok()),
            Some(etag.as_str()),
            "ETag changes"
        );

        // The old ETag no longer matches.
        let (status, _, _) = send(
            &h,
            Method::PATCH,
            &sys,
            Some(json!({"AssetTag": "y"})),
            &[("If-Match", etag.as_str())],
        )
        .await;
        assert_eq!(status, 412);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn patch_errors_use_base_messages() {
    let h = start(Profile::Dmtf).await;
    let (status, _, body) = send(
        &h,
        Method::PATCH,
        "/redfish/v1/Systems/1",
        Some(json!({"Bogus": 1})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(message_id(&body), "Base.1.22.PropertyUnknown");
    let (status, _, body) = send(
        &h,
        Method::PATCH,
        "/redfish/v1/Systems/1",
        Some(json!({"PowerState": "Off"})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(message_id(&body), "Base.1.22.PropertyNotWritable");
    let (status, _, body) = send(
        &h,
        Method::PATCH,
        "/redfish/v1/Systems/1",
        Some(json!({"Boot": {"BootSourceOverrideTarget": "Moon"}})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(message_id(&body), "Base.1.22.PropertyValueNotInList");
    let (status, _, body) = send(
        &h,
        Method::PATCH,
        "/redfish/v1/Systems/1",
        Some(json!({"AssetTag": 5})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(message_id(&body), "Base.1.22.PropertyValueTypeError");
    let resp = client()
        .patch(url_of(&h, "/redfish/v1/Systems/1"))
        .basic_auth("root", Some("calvin"))
        .body("{not json")
        .send()
        .await
        .expect("patch");
    assert_eq!(resp.status(), 400);
    let (status, headers, body) =
        send(&h, Method::DELETE, "/redfish/v1/Systems/1", None, &[]).await;
    assert_eq!(status, 405);
    assert!(headers.get("allow").is_some());
    assert_eq!(message_id(&body), "Base.1.22.OperationNotAllowed");
    let (status, _, body) = get(&h, "/redfish/v1/Systems/nope").await;
    assert_eq!(status, 404);
    assert_eq!(message_id(&body), "Base.1.22.ResourceNotFound");
    // Nothing changed.
    let sys = get_ok(&h, "/redfish/v1/Systems/1").await;
    assert_eq!(sys["AssetTag"], "");
    h.shutdown().await;
}

#[tokio::test]
async fn system_reset_changes_power_state() {
    for profile in Profile::ALL {
        let h = start(profile).await;
        let sys = trim(&system_path(&h).await);
        let body = get_ok(&h, &sys).await;
        let target = body["Actions"]["#ComputerSystem.Reset"]["target"]
            .as_str()
            .expect("target")
            .to_string();
        let allowed =
            body["Actions"]["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"].clone();
        assert!(
            allowed
                .as_array()
                .is_some_and(|a| a.contains(&json!("GracefulShutdown")))
        );
        for (kind, state) in [
            ("ForceOff", "Off"),
            ("On", "On"),
            ("GracefulShutdown", "Off"),
            ("PowerCycle", "On"),
            ("ForceRestart", "On"),
            ("Nmi", "On"),
        ] {
            let (status, _, b) = send(
                &h,
                Method::POST,
                &target,
                Some(json!({"ResetType": kind})),
                &[],
            )
            .await;
            assert!(
                matches!(status, 200 | 204),
                "{profile} {kind}: {status} {b}"
            );
            assert_eq!(
                get_ok(&h, &sys).await["PowerState"],
                state,
                "{profile} after {kind}"
            );
        }
        let (status, _, b) = send(
            &h,
            Method::POST,
            &target,
            Some(json!({"ResetType": "Explode"})),
            &[],
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(message_id(&b), "Base.1.22.ActionParameterValueNotInList");
        let (status, _, b) = send(&h, Method::POST, &target, Some(json!({})), &[]).await;
        assert_eq!(status, 400);
        assert_eq!(message_id(&b), "Base.1.22.ActionParameterMissing");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn manager_reset_and_bios_settings_apply_on_reset() {
    let h = start(Profile::Idrac).await;
    let mgr = trim(&manager_path(&h).await);
    let (status, _, _) = send(
        &h,
        Method::POST,
        &format!("{mgr}/Actions/Manager.Reset"),
        Some(json!({"ResetType": "GracefulRestart"})),
        &[],
    )
    .await;
    assert_eq!(status, 204);

    let sys = "/redfish/v1/Systems/System.Embedded.1";
    let bios = get_ok(&h, &format!("{sys}/Bios")).await;
    let settings = bios["@Redfish.Settings"]["SettingsObject"]["@odata.id"]
        .as_str()
        .expect("settings")
        .to_string();
    let (status, _, _) = send(
        &h,
        Method::PATCH,
        &settings,
        Some(json!({"Attributes": {"ProcTurboMode": "Disabled"}})),
        &[],
    )
    .await;
    assert!(matches!(status, 200 | 204));
    let (status, _, b) = send(
        &h,
        Method::PATCH,
        &settings,
        Some(json!({"Attributes": {"NoSuchAttr": "x"}})),
        &[],
    )
    .await;
    assert_eq!(status, 400, "{b}");
    assert_eq!(
        get_ok(&h, &settings).await["Attributes"]["ProcTurboMode"],
        "Disabled",
        "pending"
    );
    assert_eq!(
        get_ok(&h, &format!("{sys}/Bios")).await["Attributes"]["ProcTurboMode"],
        "Enabled",
        "not yet applied"
    );
    send(
        &h,
        Method::POST,
        &format!("{sys}/Actions/ComputerSystem.Reset"),
        Some(json!({"ResetType": "ForceRestart"})),
        &[],
    )
    .await;
    assert_eq!(
        get_ok(&h, &format!("{sys}/Bios")).await["Attributes"]["ProcTurboMode"],
        "Disabled",
        "applied on reset"
    );
    assert_eq!(get_ok(&h, &settings).await["Attributes"], json!({}));
    h.shutdown().await;
}

#[tokio::test]
async fn a_one_time_boot_override_is_used_by_the_next_boot_and_continuous_stays() {
    let h = start(Profile::Dmtf).await;
    let sys = trim(&system_path(&h).await);
    let reset = format!("{sys}/Actions/ComputerSystem.Reset");
    for (mode, after_boot) in [("Once", "Disabled"), ("Continuous", "Continuous")] {
        let (status, _, b) = send(
            &h,
            Method::PATCH,
            &sys,
            Some(json!({"Boot": {"BootSourceOverrideEnabled": mode, "BootSourceOverrideTarget": "Pxe"}})),
            &[],
        )
        .await;
        assert!(matches!(status, 200 | 204), "{mode}: {status} {b}");
        assert_eq!(
            get_ok(&h, &sys).await["Boot"]["BootSourceOverrideEnabled"],
            mode
        );
        // Powering off is not a boot: the override waits.
        send(
            &h,
            Method::POST,
            &reset,
            Some(json!({"ResetType": "ForceOff"})),
            &[],
        )
        .await;
        assert_eq!(
            get_ok(&h, &sys).await["Boot"]["BootSourceOverrideEnabled"],
            mode
        );
        send(
            &h,
            Method::POST,
            &reset,
            Some(json!({"ResetType": "On"})),
            &[],
        )
        .await;
        assert_eq!(
            get_ok(&h, &sys).await["Boot"]["BootSourceOverrideEnabled"],
            after_boot,
            "{mode} after a boot"
        );
    }
    h.shutdown().await;
}

#[tokio::test]
async fn virtual_media_insert_and_eject() {
    for profile in Profile::ALL {
        let h = start(profile).await;
        let owner = if matches!(profile, Profile::Dmtf | Profile::OpenBmc) {
            trim(&system_path(&h).await)
        } else {
            trim(&manager_path(&h).await)
        };
        let coll = get_ok(&h, &format!("{owner}/VirtualMedia")).await;
        let cd = trim(coll["Members"][0]["@odata.id"].as_str().expect("cd"));
        let body = get_ok(&h, &cd).await;
        let insert = body["Actions"]["#VirtualMedia.InsertMedia"]["target"]
            .as_str()
            .expect("insert")
            .to_string();
        let eject = body["Actions"]["#VirtualMedia.EjectMedia"]["target"]
            .as_str()
            .expect("eject")
            .to_string();
        let image = "http://192.0.2.50/images/ubuntu-24.04.iso";
        let (status, _, b) = send(
            &h,
            Method::POST,
            &insert,
            Some(json!({"Image": image, "Inserted": true, "WriteProtected": true})),
            &[],
        )
        .await;
        assert!(matches!(status, 200 | 204), "{profile}: {status} {b}");
        let after = get_ok(&h, &cd).await;
        assert_eq!(after["Image"], image);
        assert_eq!(after["Inserted"], true);
        assert_eq!(after["ImageName"], "ubuntu-24.04.iso");
        let (status, _, _) = send(
            &h,
            Method::POST,
            &insert,
            Some(json!({"Image": image})),
            &[],
        )
        .await;
        assert_eq!(status, 409, "already inserted");
        let (status, _, _) = send(&h, Method::POST, &eject, Some(json!({})), &[]).await;
        assert!(matches!(status, 200 | 204));
        let after = get_ok(&h, &cd).await;
        assert_eq!(after["Inserted"], false);
        assert_eq!(after["Image"], Value::Null);
        h.shutdown().await;
    }
}

#[tokio::test]
async fn accounts_create_login_delete() {
    for profile in Profile::ALL {
        let h = start(profile).await;
        let accounts = "/redfish/v1/AccountService/Accounts";
        let (status, headers, body) = send(
            &h,
            Method::POST,
            accounts,
            Some(json!({"UserName": "ops", "Password": "s3cret!", "RoleId": "Operator"})),
            &[],
        )
        .await;
        assert_eq!(status, 201, "{profile}: {body}");
        let loc = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location")
            .to_string();
        let account = trim(body["@odata.id"].as_str().expect("id"));
        assert!(
            loc.trim_end_matches('/').ends_with(&account),
            "{loc} vs {account}"
        );
        assert_eq!(body["Password"], Value::Null, "password never shown");
        let coll = get_ok(&h, accounts).await;
        assert_eq!(coll["Members@odata.count"], 2);

        // The new user can log in with Basic.
        let resp = client()
            .get(url_of(&h, "/redfish/v1/Systems"))
            .basic_auth("ops", Some("s3cret!"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status(), 200);
        // Duplicate user name.
        let (status, _, _) = send(
            &h,
            Method::POST,
            accounts,
            Some(json!({"UserName": "ops", "Password": "x", "RoleId": "Operator"})),
            &[],
        )
        .await;
        assert_eq!(status, 409);
        // Password change via PATCH.
        let (status, _, _) = send(
            &h,
            Method::PATCH,
            &account,
            Some(json!({"Password": "n3w"})),
            &[],
        )
        .await;
        assert!(matches!(status, 200 | 204));
        let resp = client()
            .get(url_of(&h, "/redfish/v1/Systems"))
            .basic_auth("ops", Some("s3cret!"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status(), 401);
        let resp = client()
            .get(url_of(&h, "/redfish/v1/Systems"))
            .basic_auth("ops", Some("n3w"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status(), 200);

        let (status, _, _) = send(&h, Method::DELETE, &account, None, &[]).await;
        assert!(matches!(status, 200 | 204));
        let (status, _, _) = get(&h, &account).await;
        assert_eq!(status, 404);
        assert_eq!(get_ok(&h, accounts).await["Members@odata.count"], 1);
        let resp = client()
            .get(url_of(&h, "/redfish/v1/Systems"))
            .basic_auth("ops", Some("n3w"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status(), 401, "deleted user cannot log in");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn session_login_and_logout() {
    for profile in Profile::ALL {
        let h = start(profile).await;
        let c = client();
        let resp = c
            .post(url_of(&h, "/redfish/v1/SessionService/Sessions"))
            .json(&json!({"UserName": "root", "Password": "calvin"}))
            .send()
            .await
            .expect("login");
        assert_eq!(resp.status(), 201, "{profile}");
        let token = resp
            .headers()
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .expect("token")
            .to_string();
        let loc = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location")
            .to_string();
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["UserName"], "root");
        let ok = c
            .get(url_of(&h, "/redfish/v1/Systems"))
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("get");
        assert_eq!(ok.status(), 200);
        let sessions = get_ok(&h, "/redfish/v1/SessionService/Sessions").await;
        assert_eq!(sessions["Members@odata.count"], 1);
        let out = c
            .delete(url_of(&h, &loc))
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("logout");
        assert!(
            matches!(out.status().as_u16(), 200 | 204),
            "{profile}: logout {}",
            out.status()
        );
        let after = c
            .get(url_of(&h, "/redfish/v1/Systems"))
            .header("X-Auth-Token", &token)
            .send()
            .await
            .expect("get");
        assert_eq!(after.status(), 401);
        // Wrong password: 401 with a Redfish body and WWW-Authenticate.
        let bad = c
            .post(url_of(&h, "/redfish/v1/SessionService/Sessions"))
            .json(&json!({"UserName": "root", "Password": "wrong"}))
            .send()
            .await
            .expect("login");
        assert_eq!(bad.status(), 401);
        assert!(bad.headers().get("www-authenticate").is_some());
        let body: Value = bad.json().await.expect("json");
        assert!(message_id(&body).starts_with("Base.1.22."));
        h.shutdown().await;
    }
}

#[tokio::test]
async fn unauthenticated_paths_and_401() {
    let h = start(Profile::OpenBmc).await;
    let c = client();
    for open in [
        "/redfish",
        "/redfish/v1",
        "/redfish/v1/",
        "/redfish/v1/$metadata",
        "/redfish/v1/odata",
    ] {
        let r = c.get(url_of(&h, open)).send().await.expect("get");
        assert_eq!(r.status(), 200, "{open}");
    }
    let r = c
        .get(url_of(&h, "/redfish/v1/Managers"))
        .basic_auth("root", Some("nope"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Basic realm=\"Redfish\"")
    );
    let body: Value = r.json().await.expect("json");
    assert_eq!(message_id(&body), "Base.1.22.NoValidSession");
    h.shutdown().await;
}

#[tokio::test]
async fn clear_log_empties_entries() {
    let h = start(Profile::Supermicro).await;
    let svc = "/redfish/v1/Systems/1/LogServices/Log1";
    assert_eq!(
        get_ok(&h, &format!("{svc}/Entries")).await["Members@odata.count"],
        120
    );
    let (status, _, _) = send(
        &h,
        Method::POST,
        &format!("{svc}/Actions/LogService.ClearLog"),
        Some(json!({})),
        &[],
    )
    .await;
    assert!(matches!(status, 200 | 204));
    let entries = get_ok(&h, &format!("{svc}/Entries")).await;
    assert_eq!(entries["Members@odata.count"], 0);
    let (status, _, _) = get(&h, &format!("{svc}/Entries/1")).await;
    assert_eq!(status, 404);
    h.shutdown().await;
}

#[tokio::test]
async fn simple_update_runs_a_task_to_completion() {
    for profile in [Profile::Dmtf, Profile::Idrac, Profile::Ilo] {
        let h = start(profile).await;
        let (status, headers, task) = send(
            &h,
            Method::POST,
            "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
            Some(json!({"ImageURI": "http://192.0.2.9/fw.bin", "TransferProtocol": "HTTP"})),
            &[],
        )
        .await;
        assert_eq!(status, 202, "{profile}: {task}");
        let monitor = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("Location")
            .to_string();
        assert_eq!(task["TaskState"], "Running");
        let task_path = task["@odata.id"].as_str().expect("task id").to_string();
        let (status, _, _) = get(&h, &monitor).await;
        assert_eq!(status, 202, "monitor while running");
        let tasks = get_ok(&h, "/redfish/v1/TaskService/Tasks").await;
        assert_eq!(tasks["Members@odata.count"], 1);
        let mut done = false;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if get_ok(&h, &task_path).await["TaskState"] == "Completed" {
                done = true;
                break;
            }
        }
        assert!(done, "{profile}: task completes");
        let t = get_ok(&h, &task_path).await;
        assert_eq!(t["PercentComplete"], 100);
        let (status, _, body) = get(&h, &monitor).await;
        assert_eq!(status, 200, "{body}");
        h.shutdown().await;
    }
}
