//! Field quirks, over real HTTP: each BMC is crawled from the ServiceRoot following every link
//! (every one must resolve, except a quirk's deliberate failures, which must be met), and the
//! quirk's effect is checked where a client would see it.

mod common;

use std::time::{Duration, Instant};

use bmc_sim::{BmcOptions, Profile, Quirks, SimBmc, SimHandle};
use common::crawl::{CrawlOptions, Crawled, crawl, crawl_with};
use common::{client, get, get_ok, message_id, send, url_of};
use reqwest::Method;
use serde_json::{Value, json};

const SESSIONS: &str = "/redfish/v1/SessionService/Sessions";
const FIRMWARE: &str = "/redfish/v1/UpdateService/FirmwareInventory";

async fn start_with(id: &str, profile: Profile, quirks: Quirks) -> SimHandle {
    let mut opts = BmcOptions::new(id, profile);
    opts.quirks = quirks;
    SimBmc::start(opts).await.expect("start simulated BMC")
}

/// The `@odata.id`s of a collection's members.
fn members(body: &Value) -> Vec<String> {
    body["Members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|l| l["@odata.id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The last path segment of a link (trailing slash ignored).
fn last_segment(link: &str) -> &str {
    link.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
}

/// Logs in with a session; returns (status, X-Auth-Token if any, Location if any).
async fn login(h: &SimHandle) -> (u16, Option<String>, Option<String>) {
    let resp = client()
        .post(url_of(h, SESSIONS))
        .json(&json!({"UserName": common::USER, "Password": common::PASS}))
        .send()
        .await
        .expect("POST Sessions");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (token, location) = (header("x-auth-token"), header("location"));
    (resp.status().as_u16(), token, location)
}

/// The three top-level member links of a crawled BMC: (system, chassis, manager).
async fn top_members(h: &SimHandle) -> [String; 3] {
    let mut out = Vec::new();
    for coll in ["Systems", "Chassis", "Managers"] {
        let body = get_ok(h, &format!("/redfish/v1/{coll}")).await;
        let m = members(&body);
        assert_eq!(m.len(), 1, "{coll}: {body}");
        out.push(m[0].clone());
    }
    [out[0].clone(), out[1].clone(), out[2].clone()]
}

#[tokio::test]
async fn uuid_ids_name_the_top_members_and_everything_below_them() {
    let quirks = Quirks {
        uuid_ids: true,
        ..Quirks::default()
    };
    for profile in Profile::ALL {
        let h = start_with("rack1-node7", profile, quirks.clone()).await;
        let crawled = crawl(&h).await;
        let tops = top_members(&h).await;
        let ids: Vec<String> = tops.iter().map(|l| last_segment(l).to_string()).collect();
        for (link, id) in tops.iter().zip(&ids) {
            assert!(is_uuid(id), "{profile}: {link} has no UUID id");
            // The resource calls itself by that id, and was reached by the crawl.
            assert_eq!(
                get_ok(&h, link).await["Id"],
                id.as_str(),
                "{profile}: {link}"
            );
        }
        assert_ne!(ids[0], ids[2], "{profile}: system and manager differ");
        // The system's UUID property is its id, as on BMCs that use the SMBIOS UUID.
        assert_eq!(get_ok(&h, &tops[0]).await["UUID"], ids[0].as_str());
        // Everything below Systems/Chassis/Managers hangs under the UUIDs: no link anywhere
        // still uses the profile's own ids.
        for link in &crawled.links {
            let path = link.strip_prefix(&h.url()).unwrap_or(link);
            for (coll, id) in ["Systems", "Chassis", "Managers"].iter().zip(&ids) {
                let below = format!("/redfish/v1/{coll}/");
                if let Some(rest) = path.strip_prefix(&below)
                    && !rest.is_empty()
                {
                    assert!(rest.starts_with(id.as_str()), "{profile}: {link}");
                }
            }
        }
        let below_system = crawled
            .visited
            .iter()
            .filter(|(p, _)| p.starts_with(&format!("/redfish/v1/Systems/{}/", ids[0])))
            .count();
        assert!(
            below_system > 50,
            "{profile}: {below_system} resources below the system"
        );
        // Actions under the UUID path work.
        let reset = format!(
            "/redfish/v1/Systems/{}/Actions/ComputerSystem.Reset",
            ids[0]
        );
        let (status, _, body) = send(
            &h,
            Method::POST,
            &reset,
            Some(json!({"ResetType": "ForceOff"})),
            &[],
        )
        .await;
        assert!(status == 200 || status == 204, "{profile}: {status} {body}");
        assert_eq!(get_ok(&h, &tops[0]).await["PowerState"], "Off");
        h.shutdown().await;
    }
    // Stable per BMC id: the same id gets the same UUIDs, another id others.
    let first = start_with("rack1-node7", Profile::Dmtf, quirks.clone()).await;
    let again = start_with("rack1-node7", Profile::Dmtf, quirks.clone()).await;
    let other = start_with("rack1-node8", Profile::Dmtf, quirks).await;
    let ids = top_members(&first).await;
    assert_eq!(ids, top_members(&again).await, "same BMC id, same ids");
    let others = top_members(&other).await;
    for (a, b) in ids.iter().zip(&others) {
        assert_ne!(a, b, "another BMC id, other ids");
    }
    for h in [first, again, other] {
        h.shutdown().await;
    }
}

#[tokio::test]
async fn encoded_ids_are_linked_encoded_and_served_decoded_once() {
    let quirks = Quirks {
        encoded_ids: true,
        ..Quirks::default()
    };
    for profile in Profile::ALL {
        let h = start_with("enc", profile, quirks.clone()).await;
        let crawled = crawl(&h).await;
        let slash = if profile == Profile::Ilo { "/" } else { "" };
        let want = [
            format!("/redfish/v1/Systems/System%201{slash}"),
            format!("/redfish/v1/Chassis/Chassis%3A1{slash}"),
            format!("/redfish/v1/Managers/BMC%201%2B2{slash}"),
        ];
        assert_eq!(top_members(&h).await, want, "{profile}");
        for (link, id) in want.iter().zip(["System 1", "Chassis:1", "BMC 1+2"]) {
            assert_eq!(
                crawled.body(link).map(|b| &b["Id"]),
                Some(&json!(id)),
                "{profile}"
            );
        }
        // Every link to them, anywhere (relative or absolute), spells them encoded.
        for link in &crawled.links {
            for raw in ["System 1", "Chassis:1", "BMC 1+2", "BMC%201+2"] {
                assert!(
                    !link.contains(raw),
                    "{profile}: {link} has {raw:?} unencoded"
                );
            }
        }
        assert!(
            crawled.has_path("/redfish/v1/Systems/System%201/Memory/"),
            "{profile}: the subtree was crawled under the encoded id"
        );
        assert!(
            crawled
                .links
                .iter()
                .any(|l| l.contains("/Systems/System%201/LogServices/") && l.contains("?$skip=")),
            "{profile}: the paged log's next link keeps the encoded id"
        );
        // Other spellings of the same ids are served: a raw `:` and `+`, lower-case escapes.
        for (spelling, id) in [
            ("/redfish/v1/Chassis/Chassis:1", "Chassis:1"),
            ("/redfish/v1/Chassis/Chassis%3a1", "Chassis:1"),
            ("/redfish/v1/Managers/BMC%201+2", "BMC 1+2"),
            (
                "/redfish/v1/Managers/BMC%201%2b2/NetworkProtocol",
                "NetworkProtocol",
            ),
        ] {
            assert_eq!(
                get_ok(&h, spelling).await["Id"],
                id,
                "{profile}: {spelling}"
            );
        }
        // Decoded exactly once, and `+` is not a space (that is form encoding).
        for wrong in [
            "/redfish/v1/Systems/System%25201",
            "/redfish/v1/Managers/BMC+1+2",
            "/redfish/v1/Systems/System1",
        ] {
            let (status, _, body) = get(&h, wrong).await;
            assert_eq!(status, 404, "{profile}: {wrong}: {body}");
            assert_eq!(message_id(&body), "Base.1.22.ResourceNotFound");
        }
        // Writes through the encoded paths: PATCH, and the action target as linked.
        let system = &want[0];
        let (status, _, body) = send(
            &h,
            Method::PATCH,
            system,
            Some(json!({"AssetTag": "rack 1"})),
            &[],
        )
        .await;
        assert!(status == 200 || status == 204, "{profile}: {status} {body}");
        let sys = get_ok(&h, "/redfish/v1/Systems/System%201").await;
        assert_eq!(sys["AssetTag"], "rack 1", "{profile}");
        let target = sys["Actions"]["#ComputerSystem.Reset"]["target"]
            .as_str()
            .expect("reset target")
            .to_string();
        assert!(target.contains("/System%201/"), "{profile}: {target}");
        let (status, _, body) = send(
            &h,
            Method::POST,
            &target,
            Some(json!({"ResetType": "ForceOff"})),
            &[],
        )
        .await;
        assert!(status == 200 || status == 204, "{profile}: {status} {body}");
        assert_eq!(get_ok(&h, system).await["PowerState"], "Off", "{profile}");
        assert_eq!(
            get_ok(&h, &want[1]).await["PowerState"],
            "Off",
            "{profile}: the chassis follows"
        );
        // The manager's action target has an escaped `+` (`%2B`): routed by the decoded id.
        let mgr = get_ok(&h, &want[2]).await;
        let target = mgr["Actions"]["#Manager.Reset"]["target"]
            .as_str()
            .expect("manager reset target")
            .to_string();
        assert!(target.contains("/BMC%201%2B2/"), "{profile}: {target}");
        let (status, _, body) = send(
            &h,
            Method::POST,
            &target,
            Some(json!({"ResetType": "GracefulRestart"})),
            &[],
        )
        .await;
        assert!(status == 200 || status == 204, "{profile}: {status} {body}");
        h.shutdown().await;
    }
}

#[tokio::test]
async fn without_a_session_service_only_basic_auth_works() {
    let h = start_with(
        "nosess",
        Profile::Dmtf,
        Quirks {
            no_session_service: true,
            ..Quirks::default()
        },
    )
    .await;
    // The crawl (with Basic auth) resolves every link; none leads to a SessionService.
    let crawled = crawl(&h).await;
    assert!(crawled.visited.len() > 150, "{}", crawled.visited.len());
    assert!(
        crawled.links.iter().all(|l| !l.contains("SessionService")),
        "a link to the SessionService"
    );
    let root = get_ok(&h, "/redfish/v1").await;
    assert!(root.get("SessionService").is_none(), "{root}");
    assert!(root["Links"].get("Sessions").is_none(), "{root}");
    let odata = get_ok(&h, "/redfish/v1/odata").await;
    assert!(!odata.to_string().contains("SessionService"), "{odata}");
    for path in ["/redfish/v1/SessionService", SESSIONS] {
        let (status, _, body) = get(&h, path).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(message_id(&body), "Base.1.22.ResourceNotFound");
    }
    let (status, token, _) = login(&h).await;
    assert_eq!(status, 404, "no sessions to create");
    assert!(token.is_none());
    // Requests still need credentials; Basic is what works.
    let anon = client()
        .get(url_of(&h, "/redfish/v1/Systems"))
        .send()
        .await
        .expect("GET");
    assert_eq!(anon.status().as_u16(), 401);
    assert_eq!(get(&h, "/redfish/v1/Systems").await.0, 200);
    h.shutdown().await;
}

#[tokio::test]
async fn a_session_service_that_answers_500_while_basic_auth_works() {
    let h = start_with(
        "sess500",
        Profile::Idrac,
        Quirks {
            session_service_500: true,
            ..Quirks::default()
        },
    )
    .await;
    let opts = CrawlOptions {
        expected: vec![("/redfish/v1/SessionService".into(), 500)],
        ..CrawlOptions::default()
    };
    let crawled = crawl_with(&h, &opts).await;
    let failed: Vec<&str> = crawled.failed.iter().map(|(p, _)| p.as_str()).collect();
    // Both links of the ServiceRoot (SessionService, Links.Sessions) are met and answer 500.
    assert_eq!(
        failed,
        ["/redfish/v1/SessionService", SESSIONS],
        "{failed:?}"
    );
    assert!(crawled.visited.len() > 150);
    let root = get_ok(&h, "/redfish/v1").await;
    assert_eq!(root["Links"]["Sessions"]["@odata.id"], SESSIONS);
    let (status, _, body) = get(&h, SESSIONS).await;
    assert_eq!(status, 500);
    assert_eq!(message_id(&body), "Base.1.22.InternalError", "{body}");
    let (status, token, _) = login(&h).await;
    assert_eq!(status, 500, "logging in fails");
    assert!(token.is_none());
    let (status, _, body) = send(
        &h,
        Method::PATCH,
        "/redfish/v1/SessionService",
        Some(json!({"SessionTimeout": 60})),
        &[],
    )
    .await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        get(&h, "/redfish/v1/Managers/iDRAC.Embedded.1").await.0,
        200
    );
    h.shutdown().await;
}

#[tokio::test]
async fn power_state_changes_only_after_the_async_delay() {
    const DELAY: Duration = Duration::from_secs(2);
    let h = start_with(
        "slowpower",
        Profile::Dmtf,
        Quirks {
            async_power_secs: DELAY.as_secs(),
            ..Quirks::default()
        },
    )
    .await;
    crawl(&h).await;
    let [system, chassis, _] = top_members(&h).await;
    let reset = format!("{system}/Actions/ComputerSystem.Reset");
    assert_eq!(get_ok(&h, &system).await["PowerState"], "On");
    let t0 = Instant::now();
    let (status, _, body) = send(
        &h,
        Method::POST,
        &reset,
        Some(json!({"ResetType": "ForceOff"})),
        &[],
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(
        t0.elapsed() < DELAY,
        "the reset answers at once, not after the delay"
    );
    // Right after the answer, the old state.
    let sys = get_ok(&h, &system).await;
    let chas = get_ok(&h, &chassis).await;
    if t0.elapsed() < DELAY {
        assert_eq!(sys["PowerState"], "On", "changed before the delay");
        assert_eq!(chas["PowerState"], "On", "changed before the delay");
    }
    // Then, not before the delay, the new one.
    let seen_off = loop {
        if get_ok(&h, &system).await["PowerState"] == "Off" {
            break t0.elapsed();
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "never powered off");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(seen_off >= DELAY, "off after {seen_off:?}");
    assert_eq!(get_ok(&h, &chassis).await["PowerState"], "Off");
    // Invalid requests are still refused at once, and change nothing later.
    let (status, _, _) = send(
        &h,
        Method::POST,
        &reset,
        Some(json!({"ResetType": "Sideways"})),
        &[],
    )
    .await;
    assert_eq!(status, 400);
    h.shutdown().await;
}

#[tokio::test]
async fn missing_member_lists_a_ghost_and_links_an_absent_collection() {
    let h = start_with(
        "ghosts",
        Profile::Supermicro,
        Quirks {
            missing_member: true,
            ..Quirks::default()
        },
    )
    .await;
    let opts = CrawlOptions {
        expected: vec![
            ("/redfish/v1/Systems/ghost".into(), 404),
            (FIRMWARE.into(), 404),
        ],
        ..CrawlOptions::default()
    };
    let crawled = crawl_with(&h, &opts).await;
    let mut failed: Vec<&str> = crawled.failed.iter().map(|(p, _)| p.as_str()).collect();
    failed.sort();
    // The ghost is reached from the Systems collection, FirmwareInventory from UpdateService
    // (and Supermicro's navigationLink annotation of it).
    assert_eq!(
        failed,
        ["/redfish/v1/Systems/ghost", FIRMWARE],
        "{failed:?}"
    );
    let systems = get_ok(&h, "/redfish/v1/Systems").await;
    assert_eq!(systems["Members@odata.count"], 2, "{systems}");
    assert_eq!(members(&systems)[1], "/redfish/v1/Systems/ghost");
    let (status, _, body) = get(&h, "/redfish/v1/Systems/ghost").await;
    assert_eq!(status, 404);
    assert_eq!(message_id(&body), "Base.1.22.ResourceNotFound");
    get_ok(&h, &members(&systems)[0]).await;
    let update = get_ok(&h, "/redfish/v1/UpdateService").await;
    assert_eq!(update["FirmwareInventory"]["@odata.id"], FIRMWARE);
    let (status, _, body) = get(&h, FIRMWARE).await;
    assert_eq!(status, 404);
    assert_eq!(message_id(&body), "Base.1.22.ResourceNotFound");
    h.shutdown().await;
}

/// Every absolute link of a crawl, checked to name the advertised base and never the real one.
fn absolute_links<'a>(h: &SimHandle, crawled: &'a Crawled, advertised: &str) -> Vec<&'a String> {
    let absolute: Vec<&String> = crawled
        .links
        .iter()
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .collect();
    for l in &absolute {
        assert!(l.starts_with(&format!("{advertised}/")), "{l}");
    }
    assert!(
        crawled
            .links
            .iter()
            .all(|l| !l.contains(&h.url()) && !l.contains(&h.addr().to_string())),
        "a link names the address the BMC listens on"
    );
    absolute
}

#[tokio::test]
async fn advertised_host_names_every_absolute_url() {
    for profile in Profile::ALL {
        let h = start_with(
            "s1",
            profile,
            Quirks {
                advertised_host: Some("bmc-s1.example.net".into()),
                ..Quirks::default()
            },
        )
        .await;
        let advertised = format!("http://bmc-s1.example.net:{}", h.addr().port());
        assert_eq!(h.advertised_url(), advertised);
        // An aggregator reaches the BMC by IP and maps the advertised name back to it.
        let crawled = crawl_with(
            &h,
            &CrawlOptions {
                aliases: vec![advertised.clone()],
                ..CrawlOptions::default()
            },
        )
        .await;
        let absolute = absolute_links(&h, &crawled, &advertised);
        assert!(
            absolute.len() >= 12,
            "{profile}: {} absolute links",
            absolute.len()
        );
        let root = get_ok(&h, "/redfish/v1").await;
        let slash = if profile == Profile::Ilo { "/" } else { "" };
        for (key, path) in [
            ("Systems", "/redfish/v1/Systems"),
            ("Managers", "/redfish/v1/Managers"),
            ("SessionService", "/redfish/v1/SessionService"),
        ] {
            assert_eq!(
                root[key]["@odata.id"],
                format!("{advertised}{path}{slash}"),
                "{profile}: {root}"
            );
        }
        let systems = get_ok(&h, "/redfish/v1/Systems").await;
        for m in members(&systems) {
            assert!(
                m.starts_with(&format!("{advertised}/redfish/v1/Systems/")),
                "{m}"
            );
        }
        // Location headers: a session, a task monitor.
        let (status, token, location) = login(&h).await;
        assert_eq!(status, 201);
        assert!(token.is_some());
        let location = location.expect("Location");
        assert!(
            location.starts_with(&format!("{advertised}{SESSIONS}/")),
            "{profile}: {location}"
        );
        let (status, headers, body) = send(
            &h,
            Method::POST,
            "/redfish/v1/UpdateService/Actions/UpdateService.SimpleUpdate",
            Some(json!({"ImageURI": "http://images.example.net/bmc.bin"})),
            &[],
        )
        .await;
        assert_eq!(status, 202, "{body}");
        let monitor = headers["location"].to_str().expect("Location");
        assert!(
            monitor.starts_with(&format!("{advertised}/redfish/v1/TaskService/")),
            "{profile}: {monitor}"
        );
        if profile == Profile::Idrac {
            // The links iDRAC writes absolute carry the advertised host too.
            let sys = get_ok(&h, "/redfish/v1/Systems/System.Embedded.1").await;
            assert_eq!(
                sys["Links"]["ManagedBy"][0]["@odata.id"],
                format!("{advertised}/redfish/v1/Managers/iDRAC.Embedded.1")
            );
            let update = get_ok(&h, "/redfish/v1/UpdateService").await;
            assert!(
                update["MultipartHttpPushUri"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(&advertised)),
                "{update}"
            );
        }
        h.shutdown().await;
    }
}

#[tokio::test]
async fn advertised_host_over_https_is_in_the_links_and_the_certificate() {
    let mut opts = BmcOptions::new("s2", Profile::Dmtf);
    opts.tls = true;
    opts.quirks.advertised_host = Some("bmc-s2.example.net".into());
    let h = SimBmc::start(opts).await.expect("start");
    let advertised = format!("https://bmc-s2.example.net:{}", h.addr().port());
    // A client that resolves the advertised name to the BMC follows the absolute links as given.
    let c = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve("bmc-s2.example.net", h.addr())
        .tls_info(true)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let resp = c
        .get(format!("{}/redfish/v1", h.url()))
        .send()
        .await
        .expect("GET");
    let cert = resp
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("peer certificate")
        .to_vec();
    // A DNS name sits in the certificate's SubjectAltName as plain bytes.
    assert!(
        cert.windows(18).any(|w| w == b"bmc-s2.example.net"),
        "the certificate names the advertised host"
    );
    let root: Value = resp.json().await.expect("json");
    let systems = root["Systems"]["@odata.id"].as_str().expect("Systems link");
    assert_eq!(systems, format!("{advertised}/redfish/v1/Systems"));
    let body: Value = c
        .get(systems)
        .basic_auth(common::USER, Some(common::PASS))
        .send()
        .await
        .expect("GET by the advertised name")
        .json()
        .await
        .expect("json");
    assert!(members(&body)[0].starts_with(&format!("{advertised}/redfish/v1/Systems/")));
    h.shutdown().await;
}

#[tokio::test]
async fn contradictory_quirks_refuse_to_start() {
    for quirks in [
        Quirks {
            uuid_ids: true,
            encoded_ids: true,
            ..Quirks::default()
        },
        Quirks {
            no_session_service: true,
            session_service_500: true,
            ..Quirks::default()
        },
        Quirks {
            advertised_host: Some("http://bmc".into()),
            ..Quirks::default()
        },
    ] {
        let mut opts = BmcOptions::new("bad", Profile::Dmtf);
        opts.quirks = quirks.clone();
        let err = SimBmc::start(opts).await.expect_err("refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{quirks:?}");
    }
}
