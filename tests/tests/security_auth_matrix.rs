//! The auth matrix over every operation of `/openapi.json`: no key, malformed keys, an unknown
//! key, a revoked key and another workspace's key are refused with the documented status and
//! body; the workspace's own key, the `PULSE_ADMIN_API_KEY` and an admin key made with the CLI
//! are let in. Public routes need no key; the OAuth callback is guarded by its state instead, and its
//! confirmation by its one-time token.
//! And failed authentication is rate limited per client address.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use reqwest::Method;
use serde_json::{Value, json};

use pulse_tests::cli::{create_key_with_id, revoke_key};
use pulse_tests::{API, Answer, ApiClient, Tenants, is_documented_error, with_workspace};

/// A credential and what every key-guarded operation must answer to it.
#[derive(Debug, Clone)]
enum Credential {
    None,
    Header(&'static str, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Unauthenticated(&'static str),
    OtherWorkspace,
    Allowed,
}

/// How to call one operation for workspace A.
struct Operation {
    method: Method,
    template: &'static str,
    path: String,
    body: Option<Value>,
}

fn operations(tenants: &Tenants) -> Vec<Operation> {
    let a = &tenants.a.workspace;
    let job = &tenants.a.job_id;
    let origin = tenants.config.origin();
    vec![
        Operation {
            method: Method::GET,
            template: "/api/logos-vision/auto-sync/config",
            path: with_workspace(&format!("{API}/auto-sync/config"), a),
            body: None,
        },
        Operation {
            method: Method::PUT,
            template: "/api/logos-vision/auto-sync/config",
            path: format!("{API}/auto-sync/config"),
            body: Some(json!({"workspace_id": a, "enabled": true, "interval_hours": 24})),
        },
        Operation {
            method: Method::POST,
            template: "/api/logos-vision/google-contacts/sync",
            path: format!("{API}/google-contacts/sync"),
            body: Some(json!({"workspace_id": a})),
        },
        Operation {
            method: Method::GET,
            template: "/api/logos-vision/google-contacts/sync/jobs",
            path: with_workspace(&format!("{API}/google-contacts/sync/jobs"), a),
            body: None,
        },
        Operation {
            method: Method::GET,
            template: "/api/logos-vision/google-contacts/sync/jobs/{id}",
            path: format!("{API}/google-contacts/sync/jobs/{job}"),
            body: None,
        },
        Operation {
            method: Method::GET,
            template: "/api/logos-vision/google-contacts/profiles",
            path: with_workspace(&format!("{API}/google-contacts/profiles"), a),
            body: None,
        },
        Operation {
            method: Method::GET,
            template: "/api/logos-vision/google-contacts/profiles/changes",
            path: with_workspace(&format!("{API}/google-contacts/profiles/changes"), a),
            body: None,
        },
        Operation {
            method: Method::POST,
            template: "/api/logos-vision/google/connect",
            path: format!("{API}/google/connect"),
            body: Some(json!({"workspace_id": a, "return_to": format!("{origin}/")})),
        },
        Operation {
            method: Method::DELETE,
            template: "/api/logos-vision/google/connection",
            path: with_workspace(&format!("{API}/google/connection"), a),
            body: None,
        },
        // Set first, so the reads after it find the endpoint; removed last.
        Operation {
            method: Method::PUT,
            template: "/api/logos-vision/webhooks",
            path: format!("{API}/webhooks"),
            body: Some(json!({
                "workspace_id": a,
                "url": "https://crm.example.com/hooks/pulse",
                "events": ["sync.completed"],
            })),
        },
        Operation {
            method: Method::GET,
            template: "/api/logos-vision/webhooks",
            path: with_workspace(&format!("{API}/webhooks"), a),
            body: None,
        },
        Operation {
            method: Method::GET,
            template: "/api/logos-vision/webhooks/deliveries",
            path: with_workspace(&format!("{API}/webhooks/deliveries"), a),
            body: None,
        },
        Operation {
            method: Method::DELETE,
            template: "/api/logos-vision/webhooks",
            path: with_workspace(&format!("{API}/webhooks"), a),
            body: None,
        },
    ]
}

/// Every operation (method and path template) the server documents.
async fn documented_operations(api: &ApiClient) -> BTreeSet<(String, String)> {
    let document = api.get("/openapi.json", None).await;
    document.expect_status(200);
    let paths = document.json["paths"]
        .as_object()
        .expect("the document lists paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|methods| methods.keys())
                .filter(|method| {
                    ["get", "put", "post", "delete", "patch"].contains(&method.as_str())
                })
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

async fn call(api: &ApiClient, operation: &Operation, credential: &Credential) -> Answer {
    let mut request = api.request(operation.method.clone(), &operation.path);
    if let Credential::Header(name, value) = credential {
        request = request.header(*name, value);
    }
    if let Some(body) = &operation.body {
        request = request.json(body);
    }
    api.send(request)
        .await
        .unwrap_or_else(|error| panic!("{} {} failed: {error}", operation.method, operation.path))
}

fn check(operation: &Operation, label: &str, expect: Expect, answer: &Answer) {
    let what = format!("{} {} with {label}", operation.method, operation.template);
    match expect {
        Expect::Unauthenticated(code) => {
            assert_eq!(answer.status, 401, "{what}: {}", answer.text);
            assert_eq!(answer.error_code(), Some(code), "{what}: {}", answer.text);
        }
        Expect::OtherWorkspace if operation.template.ends_with("{id}") => {
            assert_eq!(answer.status, 404, "{what}: {}", answer.text);
            assert_eq!(answer.error_code(), Some("job_not_found"), "{what}");
        }
        Expect::OtherWorkspace => {
            assert_eq!(answer.status, 403, "{what}: {}", answer.text);
            assert_eq!(answer.error_code(), Some("forbidden_workspace"), "{what}");
        }
        Expect::Allowed => {
            let allowed = answer.status.is_success()
                || (answer.status == 409 && answer.error_code() == Some("sync_in_progress"));
            assert!(allowed, "{what}: {} {}", answer.status, answer.text);
        }
    }
    if !answer.status.is_success() {
        assert!(
            is_documented_error(&answer.json),
            "{what}: not the documented error shape: {}",
            answer.text
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_refuses_bad_keys_and_admits_good_ones() {
    let tenants = Tenants::start("matrix", |config| config).await;
    let api = &tenants.api;
    let revoked = create_key_with_id(&tenants.config, &["--workspace", &tenants.a.workspace]).await;
    revoke_key(&tenants.config, &revoked.id).await;
    let cli_admin = create_key_with_id(&tenants.config, &["--admin"]).await;
    let unknown = format!("pulse_{}", "0123456789abcdef".repeat(4));
    let bearer = |key: &str| Credential::Header("authorization", format!("Bearer {key}"));
    let matrix: Vec<(&str, Credential, Expect)> = vec![
        (
            "no key",
            Credential::None,
            Expect::Unauthenticated("missing_api_key"),
        ),
        (
            "a Basic credential",
            Credential::Header("authorization", "Basic dXNlcjpwYXNz".to_owned()),
            Expect::Unauthenticated("invalid_api_key"),
        ),
        (
            "a bearer with a space in the key",
            Credential::Header("authorization", "Bearer pulse_ab cd".to_owned()),
            Expect::Unauthenticated("invalid_api_key"),
        ),
        (
            "an empty bearer",
            Credential::Header("authorization", "Bearer ".to_owned()),
            Expect::Unauthenticated("invalid_api_key"),
        ),
        (
            "an over-long key",
            bearer(&"k".repeat(4096)),
            Expect::Unauthenticated("invalid_api_key"),
        ),
        (
            "an unknown key",
            bearer(&unknown),
            Expect::Unauthenticated("invalid_api_key"),
        ),
        (
            "the key's hash instead of the key",
            bearer(&sha256_hex(&tenants.a.key)),
            Expect::Unauthenticated("invalid_api_key"),
        ),
        (
            "a revoked key",
            bearer(&revoked.key),
            Expect::Unauthenticated("invalid_api_key"),
        ),
        (
            "another workspace's key",
            bearer(&tenants.b.key),
            Expect::OtherWorkspace,
        ),
        (
            "another workspace's key in X-API-Key",
            Credential::Header("x-api-key", tenants.b.key.clone()),
            Expect::OtherWorkspace,
        ),
        (
            "the workspace's key",
            bearer(&tenants.a.key),
            Expect::Allowed,
        ),
        (
            "the workspace's key in X-API-Key",
            Credential::Header("x-api-key", tenants.a.key.clone()),
            Expect::Allowed,
        ),
        (
            "PULSE_ADMIN_API_KEY",
            bearer(&tenants.deployment.admin_key),
            Expect::Allowed,
        ),
        (
            "an admin key from the CLI",
            bearer(&cli_admin.key),
            Expect::Allowed,
        ),
    ];

    let operations = operations(&tenants);
    let covered: BTreeSet<(String, String)> = operations
        .iter()
        .map(|op| (op.method.to_string(), op.template.to_owned()))
        .collect();
    let public = ["/healthz", "/readyz", "/metrics", "/openapi.json"];
    let callback = "/api/logos-vision/google/callback";
    let confirm = "/api/logos-vision/google/callback/confirm";
    for (method, path) in documented_operations(api).await {
        let known = covered.contains(&(method.clone(), path.clone()))
            || public.contains(&path.as_str())
            || path == callback
            || path == confirm;
        assert!(
            known,
            "{method} {path} is documented but not in the auth matrix"
        );
    }

    for (label, credential, expect) in &matrix {
        for operation in &operations {
            let answer = call(api, operation, credential).await;
            check(operation, label, *expect, &answer);
        }
    }
    // The key's scope decides, whichever header carries it; a revoked key stays refused even
    // next to a good X-API-Key (Authorization wins).
    let mixed = api
        .send(
            api.request(Method::GET, &operations[0].path)
                .bearer_auth(&revoked.key)
                .header("x-api-key", &tenants.a.key),
        )
        .await
        .expect("an answer");
    assert_eq!(mixed.status, 401, "{}", mixed.text);

    for path in public {
        api.get(path, None).await.expect_status(200);
    }
    let callback_answer = api
        .get(&format!("{callback}?state=forged&code=forged"), None)
        .await;
    assert_eq!(callback_answer.status, 400, "{}", callback_answer.text);
    assert_eq!(callback_answer.error_code(), Some("invalid_state"));
    let confirm_answer = api
        .send(
            api.request(reqwest::Method::POST, confirm)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("token={}", "0".repeat(64))),
        )
        .await
        .expect("the confirmation answers");
    assert_eq!(confirm_answer.status, 400, "{}", confirm_answer.text);
    assert_eq!(confirm_answer.error_code(), Some("invalid_confirmation"));
}

/// The stored form of a key (see docs/api.md): presenting it must not work.
fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest.iter().fold(String::new(), |mut hex, byte| {
        let _ = write!(hex, "{byte:02x}");
        hex
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_bad_keys_is_limited_per_client_and_never_locks_out_a_valid_key() {
    // The server sits behind a proxy on 127.0.0.1, which names the client in X-Forwarded-For.
    let tenants = Tenants::start("ratelimit", |config| {
        config
            .with("PULSE_AUTH_FAILURE_LIMIT", "5")
            .with("PULSE_TRUSTED_PROXIES", "127.0.0.1")
    })
    .await;
    let api = &tenants.api;
    let path = with_workspace(&format!("{API}/auto-sync/config"), &tenants.a.workspace);
    let http = reqwest::Client::new();
    let from = |client: &str, key: &str| {
        http.get(api.url(&path))
            .bearer_auth(key)
            .header("x-forwarded-for", client)
    };
    let attacker = "2001:db8:77:1::1";

    // Requests without any key are refused but not counted.
    for _ in 0..10 {
        let answer = api.get(&path, None).await;
        assert_eq!(answer.error_code(), Some("missing_api_key"));
    }
    for n in 0..5 {
        let answer = api
            .send(from(attacker, &format!("pulse_wrong_guess_{n:04}")))
            .await
            .expect("an answer");
        assert_eq!(answer.error_code(), Some("invalid_api_key"), "guess {n}");
    }
    // The flood goes on; from then on its guesses wait, from anywhere in its IPv6 /64.
    for n in 0..200 {
        let client = format!("2001:db8:77:1::{:x}", n + 2);
        let answer = api
            .send(from(&client, &format!("pulse_flood_{n:04}")))
            .await
            .expect("an answer");
        assert_eq!(answer.status, 429, "flood {n}: {}", answer.text);
        assert_eq!(answer.error_code(), Some("too_many_auth_failures"));
        assert!(is_documented_error(&answer.json));
        let retry_after: u64 = answer
            .header("retry-after")
            .and_then(|value| value.parse().ok())
            .expect("a Retry-After in seconds");
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        // Valid keys keep working throughout: from the flooding client itself, from another
        // client behind the same proxy, and straight from the proxy's address.
        if n % 20 == 0 {
            for (client, key) in [
                (attacker, &tenants.a.key),
                ("203.0.113.50", &tenants.a.key),
                ("203.0.113.51", &tenants.deployment.admin_key),
            ] {
                let answer = api.send(from(client, key)).await.expect("an answer");
                assert_eq!(answer.status, 200, "{client}: {}", answer.text);
            }
            api.get(&path, Some(&tenants.a.key))
                .await
                .expect_status(200);
        }
    }
    // Other clients' bad keys are counted apart: a plain 401, not the flood's 429.
    let other = api
        .send(from("2001:db8:77:2::1", "pulse_someone_else"))
        .await
        .expect("an answer");
    assert_eq!(
        other.error_code(),
        Some("invalid_api_key"),
        "{}",
        other.text
    );
    // A client that is not a trusted proxy cannot pick its address with the header.
    let elsewhere = reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
        .build()
        .expect("a client on 127.0.0.2");
    for n in 0..6 {
        let answer = api
            .send(
                elsewhere
                    .get(api.url(&path))
                    .bearer_auth(format!("pulse_direct_{n}"))
                    .header("x-forwarded-for", format!("198.51.100.{n}")),
            )
            .await
            .expect("an answer");
        let expected = if n < 5 { 401 } else { 429 };
        assert_eq!(answer.status, expected, "direct guess {n}: {}", answer.text);
    }
}
