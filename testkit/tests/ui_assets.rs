//! The rack web page's static files from frontend-svc (`/ui/`): served without authentication
//! (they hold no data), with their content types, ETags that revalidate to 304, HEAD without a
//! body, a Redfish 404 for unknown files, 405 for writes, and `/ui` redirected to `/ui/`. The
//! page itself is driven in a browser by `scripts/test.d/ui.sh`.

use reqwest::Method;
use testkit::bmc_sim::Profile;
use testkit::{Stack, StackOptions};

#[tokio::test]
async fn assets_are_served_without_auth_with_types_and_etags() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    for (path, wanted) in [
        ("/ui/", "text/html"),
        ("/ui/index.html", "text/html"),
        ("/ui/app.js", "text/javascript"),
        ("/ui/api.js", "text/javascript"),
        ("/ui/style.css", "text/css"),
        ("/ui/favicon.svg", "image/svg+xml"),
    ] {
        let r = stack.client.get(stack.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 200, "{path}");
        let header = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert!(
            header("content-type").starts_with(wanted),
            "{path}: {}",
            header("content-type")
        );
        assert_eq!(header("cache-control"), "no-cache", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert!(
            header("content-security-policy").contains("script-src 'self'"),
            "{path}"
        );
        let etag = header("etag");
        assert!(etag.starts_with('"') && etag.len() > 2, "{path}: {etag}");
        let body = r.bytes().await.expect("body");
        assert!(!body.is_empty(), "{path}");

        let again = stack
            .client
            .get(stack.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("get");
        assert_eq!(again.status(), 304, "{path}");
        assert!(again.bytes().await.expect("body").is_empty());

        let head = stack
            .client
            .head(stack.url(path))
            .send()
            .await
            .expect("head");
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(head.headers()["etag"].to_str().ok(), Some(etag.as_str()));
        assert!(head.bytes().await.expect("body").is_empty(), "{path}");
    }
    // The page is the page: it logs in through the public SessionService.
    let page = stack
        .client
        .get(stack.url("/ui/"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("./app.js") && page.contains("login-form"),
        "{page}"
    );
    let api = stack
        .client
        .get(stack.url("/ui/api.js"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(api.contains("/redfish/v1/SessionService/Sessions"));
    stack.teardown().await;
}

#[tokio::test]
async fn unknown_files_writes_and_the_bare_prefix() {
    let stack = Stack::start(StackOptions::rack(1, Profile::Dmtf)).await;
    for path in ["/ui/nope.js", "/ui/app.js/x", "/ui/.git/config", "/uix"] {
        let r = stack.client.get(stack.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 404, "{path}");
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(
            body["error"]["@Message.ExtendedInfo"][0]["MessageId"]
                .as_str()
                .map(|id| id.ends_with("ResourceMissingAtURI")),
            Some(true),
            "{path}: {body}"
        );
    }
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let r = stack
            .admin(method.clone(), "/ui/app.js")
            .body("{}")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), 405, "{method}");
        assert_eq!(r.headers()["allow"], "GET, HEAD", "{method}");
    }
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = no_redirects
        .get(stack.url("/ui"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], "/ui/");
    // A path outside /ui and /redfish stays unknown.
    let r = stack.client.get(stack.url("/")).send().await.expect("get");
    assert_eq!(r.status(), 404);
    stack.teardown().await;
}
