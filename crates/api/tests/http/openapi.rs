//! `/openapi.json`: a well-formed OpenAPI 3 document listing every route the server serves, with
//! resolvable references, the two key schemes, the error body on error answers, and schemas whose
//! fields match what the server really sends.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApi, json};

/// Every route the server serves: (method, path).
const ROUTES: [(&str, &str); 19] = [
    ("get", "/api/logos-vision/auto-sync/config"),
    ("put", "/api/logos-vision/auto-sync/config"),
    ("post", "/api/logos-vision/google-contacts/sync"),
    ("get", "/api/logos-vision/google-contacts/sync/jobs"),
    ("get", "/api/logos-vision/google-contacts/sync/jobs/{id}"),
    ("get", "/api/logos-vision/google-contacts/profiles"),
    ("get", "/api/logos-vision/google-contacts/profiles/changes"),
    ("post", "/api/logos-vision/google/connect"),
    ("get", "/api/logos-vision/google/callback"),
    ("post", "/api/logos-vision/google/callback/confirm"),
    ("delete", "/api/logos-vision/google/connection"),
    ("put", "/api/logos-vision/webhooks"),
    ("get", "/api/logos-vision/webhooks"),
    ("delete", "/api/logos-vision/webhooks"),
    ("get", "/api/logos-vision/webhooks/deliveries"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
];

async fn document(api: &TestApi) -> Value {
    let response = api
        .http
        .get(api.url("/openapi.json"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            if [
                "get", "put", "post", "delete", "patch", "head", "options", "trace",
            ]
            .contains(&method.as_str())
            {
                found.push((method.clone(), path.clone(), operation));
            }
        }
    }
    found
}

/// Every `$ref` in `value`.
fn references<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|inner| references(inner, found));
        }
        Value::Array(items) => items.iter().for_each(|inner| references(inner, found)),
        _ => {}
    }
}

fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    document.pointer(pointer)
}

#[tokio::test]
async fn the_document_is_openapi_3_and_lists_every_route() {
    let api = TestApi::start().await;
    let document = document(&api).await;
    let version = document["openapi"].as_str().expect("an openapi version");
    assert!(version.starts_with("3."), "{version}");
    assert_eq!(document["info"]["title"], "pulse-sync API");
    assert!(document["info"]["version"].is_string());

    let listed: BTreeSet<(String, String)> = operations(&document)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    assert_eq!(listed, expected);

    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&document) {
        let id = operation["operationId"].as_str().expect("an operationId");
        assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
        let responses = operation["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{method} {path}");
        for (status, response) in responses {
            assert!(
                status.len() == 3 && status.chars().all(|c| c.is_ascii_digit()),
                "{status}"
            );
            assert!(
                response["description"].is_string(),
                "{method} {path} {status}"
            );
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
        if path.starts_with("/api/") && !path.contains("/callback") {
            assert_eq!(
                operation["security"],
                json!([{"bearer": []}, {"api_key": []}]),
                "{method} {path}"
            );
            for status in ["400", "401", "403", "429", "500", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
        if operation.get("requestBody").is_some() {
            for status in ["413", "415"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} lacks {status}"
                );
            }
        }
    }
    assert!(
        document["paths"]["/api/logos-vision/google-contacts/sync"]["post"]["responses"]
            .get("409")
            .is_some()
    );
    assert!(
        document["paths"]["/api/logos-vision/google-contacts/sync/jobs/{id}"]["get"]["responses"]
            .get("404")
            .is_some()
    );

    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        schemes["api_key"],
        json!({"type": "apiKey", "in": "header", "name": "X-API-Key"})
    );

    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        assert!(
            resolve(&document, reference).is_some(),
            "unresolved {reference}"
        );
    }
}

#[tokio::test]
async fn every_listed_route_is_served() {
    let api = TestApi::start().await;
    let document = document(&api).await;
    for (method, path, _) in operations(&document) {
        let concrete = path.replace("{id}", &uuid::Uuid::new_v4().to_string());
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        let response = api
            .http
            .request(method.clone(), api.url(&concrete))
            .send()
            .await
            .expect("answer");
        assert_ne!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_ne!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
    }
}

fn schema_fields(document: &Value, name: &str, list: &str) -> BTreeSet<String> {
    let schema = &document["components"]["schemas"][name];
    match &schema[list] {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => panic!("schema {name} has no {list}"),
    }
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

/// The schema lists exactly the answer's fields, all of them required (nulls are sent).
fn assert_schema_matches(document: &Value, name: &str, answer: &Value) {
    assert_eq!(
        schema_fields(document, name, "properties"),
        keys(answer),
        "{name} properties"
    );
    assert_eq!(
        schema_fields(document, name, "required"),
        keys(answer),
        "{name} required"
    );
}

#[tokio::test]
async fn schemas_match_the_answers() {
    let api = TestApi::start().await;
    let document = document(&api).await;
    let key = api.workspace_key("ws-doc").await;
    let config = json(
        api.get(
            "/api/logos-vision/auto-sync/config?workspace_id=ws-doc",
            &key,
        )
        .await,
    )
    .await;
    assert_schema_matches(&document, "AutoSyncConfig", &config);
    let job = json(
        api.send_json(
            Method::POST,
            "/api/logos-vision/google-contacts/sync",
            &key,
            &json!({"workspace_id": "ws-doc"}),
        )
        .await,
    )
    .await;
    assert_schema_matches(&document, "Job", &job);
    let page = json(
        api.get(
            "/api/logos-vision/google-contacts/sync/jobs?workspace_id=ws-doc",
            &key,
        )
        .await,
    )
    .await;
    assert_schema_matches(&document, "JobPage", &page);
    let profiles = json(
        api.get(
            "/api/logos-vision/google-contacts/profiles?workspace_id=ws-doc",
            &key,
        )
        .await,
    )
    .await;
    assert_schema_matches(&document, "ProfilePage", &profiles);
    let changes = json(
        api.get(
            "/api/logos-vision/google-contacts/profiles/changes?workspace_id=ws-doc",
            &key,
        )
        .await,
    )
    .await;
    assert_schema_matches(&document, "ProfileChangePage", &changes);
    assert_eq!(
        schema_fields(&document, "ErrorDetail", "properties"),
        ["code", "error_id", "field", "job_id", "message"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    );
    assert_eq!(
        schema_fields(&document, "ErrorDetail", "required"),
        ["code", "message"].into_iter().map(str::to_owned).collect()
    );
}
