//! The aggregate's `MultipartHttpPushUri` through the whole stack: one image streamed to the BMCs
//! the `Targets` name, each getting exactly the bytes (checked by digest at the simulated BMC) and
//! its own Targets; a BMC that fails midway or refuses does not stop the others, and the Task
//! says which did what; bad input is refused before any byte reaches any BMC; a caller without
//! the privilege is refused before the body is read.

use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;
use testkit::bmc_sim::{Profile, PushFault};
use testkit::{Reply, Stack, StackOptions, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PUSH: &str = "/redfish/v1/UpdateService/upload";
const BOUNDARY: &str = "test-boundary-7d3a";

fn bios(bmc: &str) -> String {
    format!("/redfish/v1/UpdateService/FirmwareInventory/{bmc}-BIOS")
}

async fn start(n: usize) -> Stack {
    let mut options = StackOptions::rack(n, Profile::Dmtf);
    options.connect_timeout_ms = 500;
    options.request_timeout_ms = 3_000;
    let stack = Stack::start(options).await;
    stack.wait_for_members("/redfish/v1/Systems", n).await;
    stack
}

/// A generated image: not all one byte, so a piece lost or repeated changes the digest.
fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A multipart/form-data body of `parts` in this order.
fn multipart(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, data) in parts {
        let file = if *name == "UpdateFile" {
            "; filename=\"fw.bin\"\r\nContent-Type: application/octet-stream"
        } else {
            "\r\nContent-Type: application/json"
        };
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn push(stack: &Stack, content_type: &str, body: Vec<u8>) -> Reply {
    send(
        stack
            .admin(Method::POST, PUSH)
            .header("content-type", content_type)
            .body(body),
    )
    .await
}

fn form() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// Follows a task monitor until it stops answering 202; returns the last reply.
async fn follow(stack: &Stack, monitor: &str) -> Reply {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = send(stack.admin(Method::GET, monitor)).await;
        if r.status != 202 {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "task never finished: {}",
            r.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The Task's message about `bmc` with `id` in its MessageId.
fn message_about<'a>(task: &'a Value, bmc: &str, id: &str) -> Vec<&'a Value> {
    task["Messages"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|m| m["Oem"]["RedDrum"]["Bmc"] == bmc)
                .filter(|m| m["MessageId"].as_str().is_some_and(|i| i.contains(id)))
                .collect()
        })
        .unwrap_or_default()
}

/// The Task's result message about `bmc` (not its progress message).
fn result_about<'a>(task: &'a Value, bmc: &str) -> &'a Value {
    let results: Vec<&Value> = task["Messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["Oem"]["RedDrum"]["Bmc"] == bmc)
        .filter(|m| m["MessageId"] != "TaskEvent.1.0.TaskProgressChanged")
        .collect();
    assert_eq!(results.len(), 1, "one result for {bmc}: {task}");
    results[0]
}

#[tokio::test]
async fn an_image_reaches_every_targeted_bmc_whole_with_its_own_targets() {
    let stack = start(4).await;
    let (status, service) = stack.get("/redfish/v1/UpdateService").await;
    assert_eq!(status, 200);
    assert_eq!(service["MultipartHttpPushUri"], PUSH, "{service}");

    let img = image(3 * 1024 * 1024 + 17);
    let bmcs = ["s1", "s2", "s3", "s4"];
    let targets: Vec<String> = bmcs.iter().map(|b| bios(b)).collect();
    let parameters =
        json!({"Targets": targets, "@Redfish.OperationApplyTime": "Immediate"}).to_string();
    let body = multipart(&[
        ("UpdateParameters", parameters.as_bytes()),
        ("UpdateFile", &img),
    ]);
    // s4 takes the whole image but holds its answer: the Task runs until it answers.
    stack.sims[3].set_push_fault(PushFault {
        hold_answer: true,
        ..PushFault::default()
    });
    let r = push(&stack, &form(), body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let monitor = r.header("location").expect("Location").to_owned();
    assert!(
        monitor.starts_with("/redfish/v1/TaskService/TaskMonitors/Task"),
        "one local Task: {monitor}"
    );
    let running = send(stack.admin(Method::GET, &monitor)).await;
    assert_eq!(running.status, 202, "{}", running.body);
    assert_eq!(running.body["TaskState"], "Running", "{}", running.body);
    assert_eq!(
        message_about(&running.body, "s4", "TaskProgressChanged")[0]["Oem"]["RedDrum"]["Upload"],
        "Sent",
        "{}",
        running.body
    );
    stack.sims[3].set_push_fault(PushFault::default());
    let done = follow(&stack, &monitor).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let task = &done.body;
    assert_eq!(task["TaskState"], "Completed", "{task}");
    assert_eq!(task["PercentComplete"], 100, "{task}");

    let digest = sha256(&img);
    for (sim, bmc) in stack.sims.iter().zip(bmcs) {
        let pushes = sim.pushes();
        assert_eq!(pushes.len(), 1, "{bmc}: {pushes:?}");
        let got = &pushes[0];
        assert!(got.complete, "{bmc}");
        assert_eq!(got.bytes, img.len() as u64, "{bmc}");
        assert_eq!(got.sha256, digest, "{bmc}");
        assert_eq!(
            got.targets,
            ["/redfish/v1/UpdateService/FirmwareInventory/BIOS"],
            "{bmc}: its own URIs"
        );
        assert_eq!(
            got.parameters["@Redfish.OperationApplyTime"], "Immediate",
            "{bmc}"
        );
        let result = result_about(task, bmc);
        assert_eq!(result["MessageId"], "TaskEvent.1.0.TaskStarted", "{result}");
        let own_monitor = result["Oem"]["RedDrum"]["TaskMonitor"]
            .as_str()
            .expect("the BMC's task monitor");
        assert!(
            own_monitor.starts_with(&format!("/redfish/v1/TaskService/TaskMonitors/{bmc}-")),
            "{own_monitor}"
        );
        let progress = message_about(task, bmc, "TaskProgressChanged");
        assert_eq!(progress.len(), 1, "{task}");
        assert_eq!(progress[0]["Oem"]["RedDrum"]["BytesSent"], img.len() as u64);
        assert_eq!(progress[0]["Oem"]["RedDrum"]["Upload"], "Sent");
    }
    // Each BMC's own task is followed through the aggregate too.
    let own = result_about(task, "s3")["Oem"]["RedDrum"]["TaskMonitor"]
        .as_str()
        .expect("monitor")
        .to_owned();
    let own_done = follow(&stack, &own).await;
    assert_eq!(own_done.status, 200, "{}", own_done.body);
    stack.teardown().await;
}

#[tokio::test]
async fn a_bmc_that_fails_midway_or_refuses_does_not_stop_the_others() {
    let stack = start(4).await;
    // s2 drops the connection 1 MiB in; s3 reads everything, then answers 500.
    stack.sims[1].set_push_fault(PushFault {
        reset_after_bytes: Some(1 << 20),
        ..PushFault::default()
    });
    stack.sims[2].set_push_fault(PushFault {
        status: Some(500),
        ..PushFault::default()
    });
    let img = image(4 * 1024 * 1024);
    let targets: Vec<String> = ["s1", "s2", "s3", "s4"].iter().map(|b| bios(b)).collect();
    let parameters = json!({"Targets": targets}).to_string();
    let body = multipart(&[
        ("UpdateParameters", parameters.as_bytes()),
        ("UpdateFile", &img),
    ]);
    let r = push(&stack, &form(), body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let done = follow(&stack, r.header("location").expect("Location")).await;
    let task = &done.body;
    assert_eq!(task["TaskState"], "Exception", "{task}");
    assert_eq!(task["TaskStatus"], "Warning", "some succeeded: {task}");

    let digest = sha256(&img);
    for (i, bmc) in ["s1", "s4"].iter().enumerate() {
        let sim = &stack.sims[[0, 3][i]];
        let got = sim.pushes();
        assert!(
            got.len() == 1 && got[0].complete && got[0].sha256 == digest,
            "{bmc}: {got:?}"
        );
        assert_eq!(
            result_about(task, bmc)["MessageId"],
            "TaskEvent.1.0.TaskStarted"
        );
    }
    let s2 = stack.sims[1].pushes();
    assert!(s2.len() == 1 && !s2[0].complete, "s2 was cut: {s2:?}");
    let reset = result_about(task, "s2");
    assert_ne!(reset["MessageSeverity"], "OK", "{reset}");
    assert!(reset["Oem"]["RedDrum"]["Error"].is_string(), "{reset}");
    // s3 got the whole image and said no: its own error, localized.
    let s3 = stack.sims[2].pushes();
    assert!(s3.len() == 1 && s3[0].complete, "{s3:?}");
    let refused = result_about(task, "s3");
    assert_ne!(refused["MessageSeverity"], "OK", "{refused}");
    assert!(
        refused["MessageId"]
            .as_str()
            .is_some_and(|id| id.starts_with("Base.")),
        "the BMC's own message: {refused}"
    );
    stack.teardown().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_byte_reaches_a_bmc() {
    let stack = start(2).await;
    let img = image(256 * 1024);
    let good = json!({"Targets": [bios("s1"), bios("s2")]}).to_string();
    let with = |parameters: &str| {
        multipart(&[
            ("UpdateParameters", parameters.as_bytes()),
            ("UpdateFile", &img),
        ])
    };
    let cases: Vec<(&str, String, Vec<u8>, &str)> = vec![
        (
            "unknown BMC",
            form(),
            with(&json!({"Targets": [bios("s1"), bios("s9")]}).to_string()),
            "PropertyValueNotInList",
        ),
        (
            "the rack's own chassis",
            form(),
            with(&json!({"Targets": ["/redfish/v1/Chassis/Rack1"]}).to_string()),
            "PropertyValueNotInList",
        ),
        (
            "no Targets: never every BMC of the rack",
            form(),
            with("{}"),
            "PropertyMissing",
        ),
        (
            "unknown parameter",
            form(),
            with(&json!({"Targets": [bios("s1")], "Stage": true}).to_string()),
            "PropertyUnknown",
        ),
        ("parameters not JSON", form(), with("{"), "MalformedJSON"),
        (
            "image first",
            form(),
            multipart(&[("UpdateFile", &img), ("UpdateParameters", good.as_bytes())]),
            "PropertyMissing",
        ),
        (
            "no image",
            form(),
            multipart(&[("UpdateParameters", good.as_bytes())]),
            "PropertyMissing",
        ),
        (
            "not multipart",
            "application/octet-stream".to_owned(),
            img.clone(),
            "HeaderInvalid",
        ),
    ];
    for (why, content_type, body, expected) in cases {
        let r = push(&stack, &content_type, body).await;
        assert_eq!(r.status, 400, "{why}: {}", r.body);
        assert_eq!(r.message(), expected, "{why}: {}", r.body);
    }
    for sim in &stack.sims {
        assert!(sim.pushes().is_empty(), "{}: {:?}", sim.id(), sim.pushes());
        let posts = sim
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.contains("UpdateService"))
            .count();
        assert_eq!(posts, 0, "{}", sim.id());
    }

    // A body that breaks off (no closing boundary): whatever had started is aborted, so no
    // BMC holds a complete image.
    let mut cut = with(&good);
    cut.truncate(cut.len() - 40);
    let r = push(&stack, &form(), cut).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.message(), "UnrecognizedRequestBody", "{}", r.body);
    // The aborted uploads end at the BMCs shortly after; none may end complete.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let pushes: Vec<_> = stack.sims.iter().flat_map(|s| s.pushes()).collect();
        assert!(pushes.iter().all(|p| !p.complete), "{pushes:?}");
        if pushes.len() == stack.sims.len() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the aborted uploads never ended: {pushes:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stack.teardown().await;
}

/// Sends a request head announcing a body it never sends; the answer must come anyway.
async fn head_only(stack: &Stack, auth: &str, length: u64) -> String {
    let addr = stack.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST {PUSH} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Type: {}\r\nContent-Length: {length}\r\n\r\n",
        form()
    );
    socket.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), socket.read(&mut answer))
        .await
        .expect("answered without the body")
        .expect("read");
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let creds = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {creds}")
}

#[tokio::test]
async fn callers_are_refused_before_the_body_is_read() {
    let stack = start(1).await;
    stack
        .create_account("reader", "reader-pw-123", "ReadOnly")
        .await;
    let answer = head_only(&stack, &basic("reader", "reader-pw-123"), 1 << 30).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("InsufficientPrivilege"), "{answer}");
    let answer = head_only(&stack, &basic("reader", "wrong-password"), 1 << 30).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    // Past the image limit (4 GiB by default): refused on the announced length.
    let admin = stack.admin(Method::GET, "/").build().expect("request");
    let authorization = admin
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .expect("admin credentials")
        .to_owned();
    let answer = head_only(&stack, &authorization, 5 << 30).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(stack.sims[0].pushes().is_empty());
    stack.teardown().await;
}
