//! The settings page, embedded in the binary: `/` (never cached) and `/assets/app.css`,
//! `/assets/app.js` (revalidated by ETag), each with a strict Content-Security-Policy (the page
//! loads and calls only its own origin).

use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, ETAG, HeaderValue, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse, web};

/// Only this origin: no inline script or style, no framing, no plugins, no foreign connections.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The URL path it is served at.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its `Cache-Control`.
    pub cache_control: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
}

impl Asset {
    /// A strong ETag of the body (FNV-1a, computed at compile time).
    pub const fn etag_hash(&self) -> u64 {
        fnv1a(self.body)
    }
}

/// The page itself: never cached, so a new binary's page is used at once.
pub const INDEX: Asset = Asset {
    path: "/",
    content_type: "text/html; charset=utf-8",
    cache_control: "no-store",
    body: include_bytes!("../assets/index.html"),
};

/// The stylesheet.
pub const STYLESHEET: Asset = Asset {
    path: "/assets/app.css",
    content_type: "text/css; charset=utf-8",
    cache_control: "no-cache",
    body: include_bytes!("../assets/app.css"),
};

/// The script.
pub const SCRIPT: Asset = Asset {
    path: "/assets/app.js",
    content_type: "text/javascript; charset=utf-8",
    cache_control: "no-cache",
    body: include_bytes!("../assets/app.js"),
};

/// Every embedded file.
pub const ASSETS: [Asset; 3] = [INDEX, STYLESHEET, SCRIPT];

/// Mounts the page's routes (GET and HEAD).
pub fn configure(config: &mut web::ServiceConfig) {
    for asset in ASSETS {
        let serve = move |request: HttpRequest| async move { respond(&asset, &request) };
        config.service(
            web::resource(asset.path)
                .route(web::get().to(serve))
                .route(web::head().to(serve)),
        );
    }
}

/// The file, or `304 Not Modified` when the browser's copy is current.
fn respond(asset: &Asset, request: &HttpRequest) -> HttpResponse {
    let etag = format!("\"{:016x}\"", asset.etag_hash());
    let current = request
        .headers()
        .get_all(IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == etag || tag.trim() == "*");
    let mut response = if current {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((CACHE_CONTROL, asset.cache_control))
        .insert_header((
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
        ))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((X_FRAME_OPTIONS, "DENY"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .insert_header((ETAG, etag));
    if current {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.body)
    }
}

/// 64-bit FNV-1a.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut index = 0;
    while index < bytes.len() {
        hash ^= bytes[index] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        index += 1;
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_refers_only_to_embedded_files_of_its_own_origin() {
        let page = std::str::from_utf8(INDEX.body).unwrap();
        for asset in [STYLESHEET, SCRIPT] {
            assert!(page.contains(asset.path), "index.html links {}", asset.path);
        }
        assert!(!page.contains("<script>"), "no inline script under the CSP");
        assert!(!page.contains("style="), "no inline style under the CSP");
        assert!(!page.contains("http://") && !page.contains("https://"));
    }

    #[test]
    fn etags_differ_between_files() {
        assert_ne!(STYLESHEET.etag_hash(), SCRIPT.etag_hash());
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
