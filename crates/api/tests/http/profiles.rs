//! `GET .../google-contacts/profiles`: live profiles by name, search, deleted ones on request,
//! pages with cursors, capped limits, and refused searches, limits and cursors.

use chrono::Utc;
use pulse_domain::ports::{PageWrite, RunEnd, RunEnding, SyncRunStore};
use pulse_domain::{JobCounts, ProfileDraft};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApi, expect_error, json};

const WS: &str = "ws-profiles";
const PROFILES: &str = "/api/logos-vision/google-contacts/profiles";

const PROFILE_FIELDS: [&str; 13] = [
    "id",
    "source_id",
    "display_name",
    "given_name",
    "family_name",
    "primary_email",
    "emails",
    "phones",
    "organization",
    "title",
    "photo_url",
    "deleted_at",
    "updated_at",
];

fn draft(source_id: &str, name: &str, email: &str) -> ProfileDraft {
    let (given, family) = name.split_once(' ').unwrap_or((name, ""));
    ProfileDraft {
        source_id: source_id.to_owned(),
        previous_source_ids: Vec::new(),
        etag: Some(format!("etag-{source_id}")),
        display_name: Some(name.to_owned()),
        given_name: Some(given.to_owned()),
        family_name: Some(family.to_owned()),
        primary_email: Some(email.to_owned()),
        emails: vec![email.to_owned()],
        phones: vec!["+15555550100".to_owned()],
        organization: Some("Analytical Engines".to_owned()),
        title: Some("Engineer".to_owned()),
        photo_url: None,
    }
}

/// Stores four profiles for `WS` through the sync run writes, the last one then deleted.
async fn seed_profiles(api: &TestApi) {
    api.queue_job(WS).await;
    let lease = api.claim_job().await;
    let drafts = [
        draft("people/c1", "Ada Lovelace", "ada@example.com"),
        draft("people/c2", "Charles Babbage", "charles@example.com"),
        draft("people/c3", "Grace Hopper", "grace@navy.example"),
        draft("people/c4", "Alan Turing", "alan@example.com"),
    ];
    let written = api
        .store
        .apply_page(
            &lease,
            PageWrite {
                profiles: &drafts,
                deletions: &[],
                skipped_no_identifier: 0,
                retired: &[],
                counts_before: JobCounts::default(),
            },
        )
        .await
        .expect("the page is written");
    let deletions = ["people/c4".to_owned()];
    let mut counts = written;
    let deleted = api
        .store
        .apply_page(
            &lease,
            PageWrite {
                profiles: &[],
                deletions: &deletions,
                skipped_no_identifier: 0,
                retired: &[],
                counts_before: counts,
            },
        )
        .await
        .expect("the deletion is written");
    counts.add(&deleted);
    api.store
        .end_run(
            &lease,
            RunEnd {
                counts,
                finished_at: Utc::now(),
                grant: None,
                ending: RunEnding::Completed {
                    sync_token: None,
                    full_listing: false,
                },
            },
        )
        .await
        .expect("the run completes");
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["display_name"].as_str().expect("a name").to_owned())
        .collect()
}

#[tokio::test]
async fn live_profiles_are_listed_by_name_with_every_field() {
    let api = TestApi::start().await;
    seed_profiles(&api).await;
    let key = api.workspace_key(WS).await;
    let page = json(
        api.get(&format!("{PROFILES}?workspace_id={WS}"), &key)
            .await,
    )
    .await;
    assert_eq!(
        names(&page),
        ["Ada Lovelace", "Charles Babbage", "Grace Hopper"]
    );
    assert_eq!(page["next_cursor"], Value::Null);
    let ada = &page["items"][0];
    let mut keys: Vec<&str> = ada
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = PROFILE_FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(ada["source_id"], "people/c1");
    assert_eq!(ada["given_name"], "Ada");
    assert_eq!(ada["family_name"], "Lovelace");
    assert_eq!(ada["primary_email"], "ada@example.com");
    assert_eq!(ada["emails"], serde_json::json!(["ada@example.com"]));
    assert_eq!(ada["phones"], serde_json::json!(["+15555550100"]));
    assert_eq!(ada["organization"], "Analytical Engines");
    assert_eq!(ada["title"], "Engineer");
    assert_eq!(ada["deleted_at"], Value::Null);
}

#[tokio::test]
async fn deleted_profiles_are_added_on_request() {
    let api = TestApi::start().await;
    seed_profiles(&api).await;
    let key = api.workspace_key(WS).await;
    let page = json(
        api.get(
            &format!("{PROFILES}?workspace_id={WS}&include_deleted=true"),
            &key,
        )
        .await,
    )
    .await;
    assert_eq!(
        names(&page),
        [
            "Ada Lovelace",
            "Alan Turing",
            "Charles Babbage",
            "Grace Hopper"
        ]
    );
    let alan = &page["items"][1];
    assert!(alan["deleted_at"].is_string(), "{alan}");
}

#[tokio::test]
async fn search_finds_names_and_emails_case_insensitively() {
    let api = TestApi::start().await;
    seed_profiles(&api).await;
    let key = api.workspace_key(WS).await;
    let search = |q: &str| format!("{PROFILES}?workspace_id={WS}&q={q}");
    assert_eq!(
        names(&json(api.get(&search("LOVE"), &key).await).await),
        ["Ada Lovelace"]
    );
    assert_eq!(
        names(&json(api.get(&search("navy"), &key).await).await),
        ["Grace Hopper"]
    );
    assert_eq!(
        names(&json(api.get(&search("%25"), &key).await).await),
        Vec::<String>::new()
    );
    assert_eq!(
        names(
            &json(
                api.get(
                    &search("%27%3B%20DROP%20TABLE%20relationship_profiles%3B--"),
                    &key
                )
                .await
            )
            .await
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        names(&json(api.get(&search("%20%20"), &key).await).await).len(),
        3,
        "blank is no search"
    );
    let long = "x".repeat(201);
    let error = expect_error(
        api.get(&search(&long), &key).await,
        StatusCode::BAD_REQUEST,
        "invalid_search",
    )
    .await;
    assert_eq!(error["field"], "q");
    expect_error(
        api.get(&search("a%00b"), &key).await,
        StatusCode::BAD_REQUEST,
        "invalid_search",
    )
    .await;
}

#[tokio::test]
async fn profiles_come_page_by_page() {
    let api = TestApi::start().await;
    seed_profiles(&api).await;
    let key = api.workspace_key(WS).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let mut request = api
            .http
            .get(api.url(PROFILES))
            .query(&[("workspace_id", WS), ("limit", "2")])
            .bearer_auth(&key);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor.as_str())]);
        }
        let page = json(request.send().await.expect("answer")).await;
        seen.extend(names(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["Ada Lovelace", "Charles Babbage", "Grace Hopper"]);
}

#[tokio::test]
async fn bad_limits_flags_and_cursors_are_refused_and_others_see_nothing() {
    let api = TestApi::start().await;
    seed_profiles(&api).await;
    let key = api.workspace_key(WS).await;
    let capped = api
        .get(&format!("{PROFILES}?workspace_id={WS}&limit=501"), &key)
        .await;
    assert_eq!(capped.status(), StatusCode::OK);
    let zero = api
        .get(&format!("{PROFILES}?workspace_id={WS}&limit=0"), &key)
        .await;
    expect_error(zero, StatusCode::BAD_REQUEST, "invalid_limit").await;
    let flag = api
        .get(
            &format!("{PROFILES}?workspace_id={WS}&include_deleted=maybe"),
            &key,
        )
        .await;
    let error = expect_error(flag, StatusCode::BAD_REQUEST, "invalid_field").await;
    assert_eq!(error["field"], "include_deleted");
    let response = api
        .get(
            &format!("{PROFILES}?workspace_id={WS}&cursor=not-a-cursor"),
            &key,
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
    let other = api.workspace_key("ws-stranger").await;
    let forbidden = api
        .get(&format!("{PROFILES}?workspace_id={WS}"), &other)
        .await;
    expect_error(forbidden, StatusCode::FORBIDDEN, "forbidden_workspace").await;
    let own = json(
        api.get(&format!("{PROFILES}?workspace_id=ws-stranger"), &other)
            .await,
    )
    .await;
    assert_eq!(
        own["items"],
        serde_json::json!([]),
        "another workspace's profiles stay apart"
    );
}

#[tokio::test]
async fn a_forged_cursor_with_a_nul_byte_is_refused_not_a_500() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let forged = base64_url(&format!("a\u{0}b|{}", uuid::Uuid::new_v4()));
    let response = api
        .get(
            &format!("{PROFILES}?workspace_id={WS}&cursor={forged}"),
            &key,
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
}

/// URL-safe base64 without padding, as the store's cursors are written.
fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for i in 0..symbols {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}
