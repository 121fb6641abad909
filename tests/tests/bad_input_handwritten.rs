//! Hand-written bad input against the running server: huge and deeply nested JSON, wrong
//! content types, invalid UTF-8, SQL and script injection strings in `workspace_id` and `q`,
//! negative and enormous numbers, duplicate keys and parameters, and header floods. Every answer
//! is a 4xx in the documented error shape (or, for requests the HTTP layer refuses before the
//! API sees them, a bare 4xx or a closed connection), never a 5xx or a hang, and the server and
//! its data are intact afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_google::fake::{FakeOptions, generated_account};
use pulse_tests::api::encode;
use pulse_tests::cli::create_api_key;
use pulse_tests::raw_http::{RawAnswer, exchange};
use pulse_tests::tenants::sync_once;
use pulse_tests::{
    API, Answer, ApiClient, Deployment, ServerProcess, is_documented_error, with_workspace,
};
use reqwest::Method;
use serde_json::json;

const VICTIM: &str = "bad-input-victim";

struct World {
    deployment: Deployment,
    server: ServerProcess,
    api: ApiClient,
    key: String,
    admin: String,
    address: String,
    profiles: usize,
}

async fn world() -> World {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        ..FakeOptions::default()
    })
    .await;
    deployment
        .connect(VICTIM, generated_account(80, 0xBAD))
        .await;
    let config = deployment.server_config();
    let key = create_api_key(&config, VICTIM).await;
    let server = ServerProcess::serve("server", &config).await;
    let api = ApiClient::new(server.base_url());
    sync_once(&api, VICTIM, &key).await;
    let profiles = pulse_tests::expected_profiles(&deployment.google, VICTIM).len();
    let admin = deployment.admin_key.clone();
    World {
        address: format!("127.0.0.1:{}", config.port()),
        deployment,
        server,
        api,
        key,
        admin,
        profiles,
    }
}

impl World {
    /// The server still answers and the victim's data is whole.
    async fn intact(&mut self) {
        assert!(self.server.is_running(), "the server survived");
        self.api.get("/healthz", None).await.expect_status(200);
        let path = format!(
            "{}&limit=500",
            with_workspace(&format!("{API}/google-contacts/profiles"), VICTIM)
        );
        let profiles = self.api.get(&path, Some(&self.key)).await;
        profiles.expect_status(200);
        assert_eq!(
            profiles.json["items"].as_array().map(Vec::len),
            Some(self.profiles),
            "the victim's profiles are all there"
        );
        self.deployment.assert_disk_of_truth().await;
    }

    /// Sends a body as it is, with a content type of the test's choosing.
    async fn send_body(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let mut request = self
            .api
            .request(method, path)
            .bearer_auth(&self.admin)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        self.api.send(request).await.expect("an answer")
    }
}

/// A 4xx in the documented shape, with one of the `codes`.
#[track_caller]
fn refused_with(answer: &Answer, status: u16, codes: &[&str], what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    assert!(
        is_documented_error(&answer.json),
        "{what}: not the documented shape: {}",
        answer.text
    );
    let code = answer.error_code().unwrap_or_default();
    assert!(
        codes.contains(&code),
        "{what}: code {code}, expected one of {codes:?}"
    );
    assert!(
        answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{what}: JSON"
    );
}

/// Refused before or by the API: a 4xx (documented shape when it has a JSON body) or a closed
/// connection; never a 5xx.
#[track_caller]
fn refused_raw(answer: &RawAnswer, what: &str) {
    eprintln!(
        "{what}: {}",
        answer
            .status
            .map_or("connection closed".to_owned(), |s| s.to_string())
    );
    if let Some(status) = answer.status {
        assert!(
            (400..500).contains(&status),
            "{what}: {status} {}",
            answer.text()
        );
        let json = answer.json();
        if !json.is_null() {
            assert!(is_documented_error(&json), "{what}: {}", answer.text());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_and_deeply_nested_json_is_refused() {
    let mut world = world().await;
    let config = format!("{API}/auto-sync/config");

    let mut big = json!({"workspace_id": VICTIM, "enabled": true});
    big["padding"] = json!("x".repeat(70 * 1024));
    let answer = world
        .send_body(
            Method::PUT,
            &config,
            Some("application/json"),
            big.to_string().into_bytes(),
        )
        .await;
    refused_with(&answer, 413, &["payload_too_large"], "a 70 KiB body");

    // 16 MiB announced and sent: refused early, the connection may close before it is all sent.
    let mut request = format!(
        "PUT {config} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        world.address, world.admin, 16 << 20
    )
    .into_bytes();
    request.extend(std::iter::repeat_n(b' ', 16 << 20));
    let answer = exchange(&world.address, &request).await;
    refused_raw(&answer, "a 16 MiB body");
    if let Some(status) = answer.status {
        assert_eq!(status, 413, "{}", answer.text());
    }

    for (what, body) in [
        (
            "30,000 nested arrays",
            format!("{}{}", "[".repeat(30_000), "]".repeat(30_000)),
        ),
        (
            "10,000 nested objects",
            format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000)),
        ),
        (
            "nesting inside a known field",
            format!(
                r#"{{"workspace_id": {}"x"{}, "enabled": true}}"#,
                "[".repeat(20_000),
                "]".repeat(20_000)
            ),
        ),
        (
            "nesting inside an unknown field",
            format!(
                r#"{{"workspace_id": "{VICTIM}", "enabled": true, "extra": {}1{}}}"#,
                r#"{"a":"#.repeat(10_000),
                "}".repeat(10_000)
            ),
        ),
    ] {
        let answer = world
            .send_body(
                Method::PUT,
                &config,
                Some("application/json"),
                body.into_bytes(),
            )
            .await;
        refused_with(
            &answer,
            400,
            &[
                "invalid_json",
                "invalid_body",
                "invalid_field",
                "invalid_workspace_id",
                "unknown_field",
            ],
            what,
        );
    }
    for (what, body) in [
        ("an empty body", String::new()),
        ("a JSON array", "[]".to_owned()),
        ("a JSON string", r#""workspace""#.to_owned()),
        ("null", "null".to_owned()),
        (
            "trailing data",
            format!(r#"{{"workspace_id": "{VICTIM}", "enabled": true}} {{}}"#),
        ),
        (
            "a truncated object",
            format!(r#"{{"workspace_id": "{VICTIM}", "enab"#),
        ),
        (
            "a lone surrogate escape",
            r#"{"workspace_id": "\ud800", "enabled": true}"#.to_owned(),
        ),
    ] {
        let answer = world
            .send_body(
                Method::PUT,
                &config,
                Some("application/json"),
                body.into_bytes(),
            )
            .await;
        refused_with(
            &answer,
            400,
            &["invalid_json", "invalid_body", "invalid_workspace_id"],
            what,
        );
    }
    world.intact().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_content_types_and_invalid_utf8_are_refused() {
    let mut world = world().await;
    let config = format!("{API}/auto-sync/config");
    let body = json!({"workspace_id": VICTIM, "enabled": true}).to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/xml"),
        Some("application/jsonp"),
        Some("json"),
    ] {
        let answer = world
            .send_body(
                Method::PUT,
                &config,
                content_type,
                body.clone().into_bytes(),
            )
            .await;
        refused_with(
            &answer,
            415,
            &["unsupported_media_type"],
            &format!("{content_type:?}"),
        );
    }
    let sync = format!("{API}/google-contacts/sync");
    let answer = world
        .send_body(
            Method::POST,
            &sync,
            Some("text/plain"),
            json!({"workspace_id": VICTIM}).to_string().into_bytes(),
        )
        .await;
    refused_with(
        &answer,
        415,
        &["unsupported_media_type"],
        "POST sync as text",
    );

    // Invalid UTF-8 in a JSON body, in a percent-encoded parameter, in the raw request line
    // and in a header.
    let mut invalid = br#"{"workspace_id": ""#.to_vec();
    invalid.extend_from_slice(&[0xFF, 0xFE, 0xC3, 0x28]);
    invalid.extend_from_slice(br#"", "enabled": true}"#);
    let answer = world
        .send_body(Method::PUT, &config, Some("application/json"), invalid)
        .await;
    refused_with(&answer, 400, &["invalid_json"], "invalid UTF-8 in the body");
    for query in [
        "workspace_id=%FF%FE",
        "workspace_id=%C3%28",
        "workspace_id=bad-input-victim&q=%FF",
    ] {
        let path = format!("{API}/google-contacts/profiles?{query}");
        let answer = world.api.get(&path, Some(&world.admin)).await;
        refused_with(
            &answer,
            400,
            &["invalid_field", "invalid_workspace_id", "invalid_search"],
            query,
        );
    }
    let mut request = format!("GET {API}/auto-sync/config?workspace_id=").into_bytes();
    request.extend_from_slice(&[0xFF, 0xFE]);
    request.extend_from_slice(
        format!(
            " HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            world.address, world.admin
        )
        .as_bytes(),
    );
    refused_raw(
        &exchange(&world.address, &request).await,
        "raw bytes in the request line",
    );
    let mut request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer ",
        with_workspace(&config, VICTIM),
        world.address
    )
    .into_bytes();
    request.extend_from_slice(&[0xFF, 0xFE, 0xFD]);
    request.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
    let answer = exchange(&world.address, &request).await;
    refused_raw(&answer, "raw bytes in Authorization");
    assert_eq!(
        answer.json()["error"]["code"],
        "invalid_api_key",
        "{}",
        answer.text()
    );
    world.intact().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_strings_are_data_never_code() {
    let mut world = world().await;
    let injections = [
        "' OR '1'='1",
        "'; DROP TABLE relationship_profiles; --",
        "\" OR 1=1 --",
        "bad-input-victim' --",
        "bad-input-victim' OR user_id LIKE '%",
        "1); DELETE FROM api_keys; --",
        "%",
        "_",
        "\\",
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "${jndi:ldap://127.0.0.1/a}",
        "{{7*7}}",
        "../../../../etc/passwd",
        "$where: '1 == 1'",
    ];
    let keys_before =
        pulse_tests::sql::count(&world.deployment.sql, "SELECT count(*) FROM api_keys").await;
    for text in injections {
        // As a workspace id: a workspace of that name (empty), never another's data.
        let config = world
            .api
            .get(
                &with_workspace(&format!("{API}/auto-sync/config"), text),
                Some(&world.admin),
            )
            .await;
        config.expect_status(200);
        assert_eq!(config.json["workspace_id"], json!(text), "{text}");
        assert_eq!(config.json["connection"], "not_connected", "{text}");
        let profiles = world
            .api
            .get(
                &with_workspace(&format!("{API}/google-contacts/profiles"), text),
                Some(&world.admin),
            )
            .await;
        profiles.expect_status(200);
        assert_eq!(
            profiles.json["items"],
            json!([]),
            "{text}: no one else's profiles"
        );
        let saved = world
            .api
            .put(
                &format!("{API}/auto-sync/config"),
                Some(&world.admin),
                &json!({"workspace_id": text, "enabled": true, "interval_hours": 12}),
            )
            .await;
        saved.expect_status(200);
        assert_eq!(saved.json["workspace_id"], json!(text));
        assert!(
            saved
                .header("content-type")
                .is_some_and(|t| t.starts_with("application/json"))
        );
        // As a search in the victim's profiles: matched literally, so nothing matches.
        let search = format!(
            "{}&q={}",
            with_workspace(&format!("{API}/google-contacts/profiles"), VICTIM),
            encode(text)
        );
        let found = world.api.get(&search, Some(&world.key)).await;
        found.expect_status(200);
        assert_eq!(
            found.json["items"],
            json!([]),
            "q={text} matched as a pattern"
        );
    }
    // Control characters are refused, not stored.
    for text in ["bad\u{0}input", "bad\ninput", "bad\u{7f}input", ""] {
        let answer = world
            .api
            .get(
                &with_workspace(&format!("{API}/auto-sync/config"), text),
                Some(&world.admin),
            )
            .await;
        refused_with(
            &answer,
            400,
            &["invalid_workspace_id"],
            &format!("{text:?}"),
        );
        let search = format!(
            "{}&q={}",
            with_workspace(&format!("{API}/google-contacts/profiles"), VICTIM),
            encode(text)
        );
        if !text.is_empty() {
            let answer = world.api.get(&search, Some(&world.key)).await;
            refused_with(&answer, 400, &["invalid_search"], &format!("q={text:?}"));
        }
    }
    let answer = world
        .api
        .get(
            &with_workspace(&format!("{API}/auto-sync/config"), &"w".repeat(256)),
            Some(&world.admin),
        )
        .await;
    refused_with(
        &answer,
        400,
        &["invalid_workspace_id"],
        "a 256-character workspace id",
    );
    assert_eq!(
        pulse_tests::sql::count(&world.deployment.sql, "SELECT count(*) FROM api_keys").await,
        keys_before
    );
    let stored = pulse_tests::sql::count(
        &world.deployment.sql,
        "SELECT count(*) FROM google_contacts_auto_sync_config WHERE user_id LIKE '%<script>%'",
    )
    .await;
    assert_eq!(stored, 1, "a script in a workspace id is stored as text");
    world.intact().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_enormous_and_mistyped_numbers_are_refused() {
    let mut world = world().await;
    let config = format!("{API}/auto-sync/config");
    for interval in [
        "-1",
        "0",
        "721",
        "1.5",
        "1e3",
        "-0",
        "99999999999999999999999",
        "1e309",
        "\"24\"",
        "true",
        "[24]",
    ] {
        let body = format!(
            r#"{{"workspace_id": "{VICTIM}", "enabled": true, "interval_hours": {interval}}}"#
        );
        let answer = world
            .send_body(
                Method::PUT,
                &config,
                Some("application/json"),
                body.into_bytes(),
            )
            .await;
        refused_with(
            &answer,
            400,
            &["invalid_interval", "invalid_field", "invalid_json"],
            &format!("interval_hours {interval}"),
        );
        if let Some(field) = answer.json["error"]["field"].as_str() {
            assert_eq!(field, "interval_hours", "{interval}");
        }
    }
    for enabled in ["1", "\"yes\"", "null", "{}"] {
        let body = format!(r#"{{"workspace_id": "{VICTIM}", "enabled": {enabled}}}"#);
        let answer = world
            .send_body(
                Method::PUT,
                &config,
                Some("application/json"),
                body.into_bytes(),
            )
            .await;
        refused_with(
            &answer,
            400,
            &["invalid_field", "missing_field"],
            &format!("enabled {enabled}"),
        );
    }
    let profiles = with_workspace(&format!("{API}/google-contacts/profiles"), VICTIM);
    let jobs = with_workspace(&format!("{API}/google-contacts/sync/jobs"), VICTIM);
    for (list, cap) in [(&profiles, 500), (&jobs, 100)] {
        for limit in ["-1", "0", "abc", "1.5", "", "0x10", "-99999999999999999999"] {
            let answer = world
                .api
                .get(&format!("{list}&limit={limit}"), Some(&world.key))
                .await;
            refused_with(&answer, 400, &["invalid_limit"], &format!("limit={limit}"));
        }
        for limit in [
            "2147483648",
            "18446744073709551616",
            "99999999999999999999999999",
        ] {
            let answer = world
                .api
                .get(&format!("{list}&limit={limit}"), Some(&world.key))
                .await;
            if answer.status == 200 {
                let items = answer.json["items"].as_array().map_or(0, Vec::len);
                assert!(items <= cap, "limit={limit}: {items} items");
            } else {
                refused_with(&answer, 400, &["invalid_limit"], &format!("limit={limit}"));
            }
        }
        for cursor in [
            "garbage",
            "AAAA",
            "eyJhIjoxfQ",
            &"A".repeat(5000),
            "%00",
            "../",
        ] {
            let answer = world
                .api
                .get(
                    &format!("{list}&cursor={}", encode(cursor)),
                    Some(&world.key),
                )
                .await;
            refused_with(
                &answer,
                400,
                &["invalid_cursor"],
                &format!("cursor={cursor:.20}"),
            );
        }
    }
    for id in [
        "not-a-uuid",
        "-1",
        "99999999999999999999",
        &"f".repeat(2000),
        "00000000-0000-0000-0000-00000000000g",
    ] {
        let answer = world
            .api
            .get(
                &format!("{API}/google-contacts/sync/jobs/{}", encode(id)),
                Some(&world.key),
            )
            .await;
        refused_with(
            &answer,
            400,
            &["invalid_job_id"],
            &format!("job id {id:.20}"),
        );
    }
    let answer = world
        .api
        .get(
            &format!("{API}/google-contacts/sync/jobs/00000000-0000-0000-0000-000000000000"),
            Some(&world.key),
        )
        .await;
    refused_with(&answer, 404, &["job_not_found"], "the nil job id");
    let answer = world
        .api
        .get(
            &format!("{profiles}&include_deleted=maybe"),
            Some(&world.key),
        )
        .await;
    refused_with(&answer, 400, &["invalid_field"], "include_deleted=maybe");
    world.intact().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_keys_and_parameters_and_unknown_fields_are_refused() {
    let mut world = world().await;
    let config = format!("{API}/auto-sync/config");
    for body in [
        format!(
            r#"{{"workspace_id": "{VICTIM}", "workspace_id": "someone-else", "enabled": true}}"#
        ),
        format!(r#"{{"workspace_id": "{VICTIM}", "enabled": true, "enabled": false}}"#),
        format!(
            r#"{{"workspace_id": "{VICTIM}", "enabled": true, "interval_hours": 1, "interval_hours": 720}}"#
        ),
    ] {
        let answer = world
            .send_body(
                Method::PUT,
                &config,
                Some("application/json"),
                body.clone().into_bytes(),
            )
            .await;
        refused_with(&answer, 400, &["duplicate_field"], &body);
    }
    let body = format!(r#"{{"workspace_id": "{VICTIM}", "workspace_id": "{VICTIM}"}}"#);
    let answer = world
        .send_body(
            Method::POST,
            &format!("{API}/google-contacts/sync"),
            Some("application/json"),
            body.into_bytes(),
        )
        .await;
    refused_with(
        &answer,
        400,
        &["duplicate_field"],
        "POST sync with workspace_id twice",
    );
    let profiles = with_workspace(&format!("{API}/google-contacts/profiles"), VICTIM);
    for query in ["&workspace_id=someone-else", "&limit=1&limit=2", "&q=a&q=b"] {
        let answer = world
            .api
            .get(&format!("{profiles}{query}"), Some(&world.admin))
            .await;
        refused_with(&answer, 400, &["duplicate_field"], query);
    }
    for (what, answer) in [
        (
            "an unknown body field",
            world
                .api
                .put(
                    &config,
                    Some(&world.admin),
                    &json!({"workspace_id": VICTIM, "enabled": true, "intervall_hours": 4}),
                )
                .await,
        ),
        (
            "an unknown parameter",
            world
                .api
                .get(&format!("{profiles}&limt=5"), Some(&world.admin))
                .await,
        ),
    ] {
        refused_with(&answer, 400, &["unknown_field"], what);
    }
    let answer = world
        .api
        .put(&config, Some(&world.admin), &json!({"enabled": true}))
        .await;
    refused_with(&answer, 400, &["missing_field"], "no workspace_id");
    assert_eq!(answer.json["error"]["field"], "workspace_id");
    world.intact().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_floods_are_refused_and_the_server_carries_on() {
    let mut world = world().await;
    let path = with_workspace(&format!("{API}/auto-sync/config"), VICTIM);
    let head = |extra: &str| {
        format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n{extra}Connection: close\r\n\r\n",
            world.address, world.key
        )
    };
    let many: String = (0..500)
        .map(|n| format!("X-Flood-{n}: {}\r\n", "v".repeat(100)))
        .collect();
    refused_raw(
        &exchange(&world.address, head(&many).as_bytes()).await,
        "500 headers",
    );
    let huge = format!("X-Huge: {}\r\n", "h".repeat(256 * 1024));
    refused_raw(
        &exchange(&world.address, head(&huge).as_bytes()).await,
        "a 256 KiB header",
    );
    let long_name = format!("X-{}: 1\r\n", "n".repeat(64 * 1024));
    refused_raw(
        &exchange(&world.address, head(&long_name).as_bytes()).await,
        "a 64 KiB header name",
    );
    let long_path = format!(
        "GET {API}/auto-sync/config?workspace_id={}&q={} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        VICTIM,
        "q".repeat(256 * 1024),
        world.address
    );
    refused_raw(
        &exchange(&world.address, long_path.as_bytes()).await,
        "a 256 KiB request line",
    );
    // Many requests at once, each with many headers: all answered, none with a 5xx.
    let mut floods = Vec::new();
    for _ in 0..50 {
        let request = head(
            &(0..90)
                .map(|n| format!("X-F{n}: {n}\r\n"))
                .collect::<String>(),
        );
        let address = world.address.clone();
        floods.push(tokio::spawn(async move {
            exchange(&address, request.as_bytes()).await
        }));
    }
    for flood in floods {
        let answer = flood.await.expect("the exchange ran");
        let status = answer.status.unwrap_or(0);
        assert!(
            status == 200 || (400..500).contains(&status),
            "{status} {}",
            answer.text()
        );
    }
    // Two keys in two Authorization headers: never the union of their rights.
    let other = create_api_key(&world.deployment.server_config(), "bad-input-other").await;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {other}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        world.address, world.key
    );
    let answer = exchange(&world.address, request.as_bytes()).await;
    let status = answer.status.unwrap_or(0);
    assert!(
        (400..500).contains(&status) || status == 0,
        "{status}: {}",
        answer.text()
    );
    world.intact().await;
}
