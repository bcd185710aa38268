//! The rack web page at `/ui/`: static HTML, ES modules and CSS, embedded at compile time so the
//! shipped binary needs no extra files. The page holds no data: it logs in with a Redfish session
//! and reads the public API as its user, so its files are served without authentication.
//! GET and HEAD only; each file has its content type, a strong ETag (If-None-Match gives 304 in
//! the router) and `Cache-Control: no-cache` (revalidated each load, so an upgrade shows at once).

use crate::error::FrontendError;
use crate::request::Request;
use crate::response::Response;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use std::sync::LazyLock;

pub const PREFIX: &str = "/ui";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../ui/", $name)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("rack.js", JS),
    asset!("detail.js", JS),
    asset!("dom.js", JS),
    asset!("style.css", CSS),
    asset!("favicon.svg", "image/svg+xml"),
];

/// The page's own policy, sent by frontend-svc too so it holds without Apache in front: its
/// scripts, styles and API calls come from this origin only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Strong ETags, one per asset in `ASSETS` order: a hash of the bytes (FNV-1a, 64 bits; a
/// cache validator, not a security property).
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            let hash = a.body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
            });
            HeaderValue::from_str(&format!("\"{hash:016x}\"")).expect("hex is a valid header")
        })
        .collect()
});

/// Whether the path is the page's (the router hands these here before authentication).
pub fn is_ui(path: &str) -> bool {
    path == PREFIX || path.starts_with("/ui/")
}

pub fn serve(request: &Request) -> Result<Response, FrontendError> {
    if request.method != Method::GET && request.method != Method::HEAD {
        return Err(FrontendError::MethodNotAllowed { allow: "GET, HEAD" });
    }
    if request.path == PREFIX {
        // Relative module URLs in the page resolve against `/ui/`, not `/`.
        let mut r = Response::new(StatusCode::MOVED_PERMANENTLY, Bytes::new());
        r.header("location", HeaderValue::from_static("/ui/"));
        return Ok(r);
    }
    let name = match &request.path["/ui/".len()..] {
        "" => "index.html",
        other => other,
    };
    let Some(index) = ASSETS.iter().position(|a| a.name == name) else {
        return Err(FrontendError::NotFound {
            path: request.path.clone(),
        });
    };
    let asset = &ASSETS[index];
    let mut r = Response::new(StatusCode::OK, Bytes::from_static(asset.body));
    r.header("content-type", HeaderValue::from_static(asset.content_type))
        .header("etag", ETAGS[index].clone())
        .header("cache-control", HeaderValue::from_static("no-cache"))
        .header(
            "content-security-policy",
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_has_a_distinct_etag_and_a_known_type() {
        let tags: std::collections::HashSet<_> = ETAGS.iter().collect();
        assert_eq!(tags.len(), ASSETS.len());
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{}", a.name);
            let ext = a.name.rsplit('.').next().unwrap_or("");
            let want = match ext {
                "html" => HTML,
                "js" => JS,
                "css" => CSS,
                "svg" => "image/svg+xml",
                other => panic!("no type for .{other}"),
            };
            assert_eq!(a.content_type, want, "{}", a.name);
        }
    }

    #[test]
    fn the_page_names_only_embedded_modules() {
        // A module the page imports but the binary lacks would be a 404 at run time.
        for a in ASSETS
            .iter()
            .filter(|a| a.name.ends_with(".js") || a.name.ends_with(".html"))
        {
            let text = std::str::from_utf8(a.body).expect("utf-8");
            for part in text.split("./").skip(1) {
                let file: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                    .collect();
                if file.ends_with(".js") || file.ends_with(".css") || file.ends_with(".svg") {
                    assert!(
                        ASSETS.iter().any(|x| x.name == file),
                        "{} refers to {file}, which is not embedded",
                        a.name
                    );
                }
            }
        }
    }
}
