//! `GET .../google-contacts/profiles/changes`: the change feed in write order (created, updated,
//! deleted, restored as created, an unchanged profile not at all), page by page with
//! `next_cursor`, limits defaulted and capped, bad cursors and limits refused, other workspaces
//! refused, and a cursor that another server on the same database continues from.

use chrono::Utc;
use pulse_domain::ports::{PageWrite, RunEnd, RunEnding, SyncRunStore};
use pulse_domain::{JobCounts, JobLease, ProfileDraft};
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApi, expect_error, json};

const WS: &str = "ws-feed";
const CHANGES: &str = "/api/logos-vision/google-contacts/profiles/changes";
const PROFILES: &str = "/api/logos-vision/google-contacts/profiles";

fn draft(source_id: &str, name: &str, etag: &str) -> ProfileDraft {
    ProfileDraft {
        source_id: source_id.to_owned(),
        previous_source_ids: Vec::new(),
        etag: Some(etag.to_owned()),
        display_name: Some(name.to_owned()),
        given_name: Some(name.to_owned()),
        family_name: None,
        primary_email: Some(format!("{}@example.com", name.to_lowercase())),
        emails: vec![format!("{}@example.com", name.to_lowercase())],
        phones: Vec::new(),
        organization: None,
        title: None,
        photo_url: None,
    }
}

/// One sync run of `WS` written straight through the store, as the engine writes it.
struct Run<'a> {
    api: &'a TestApi,
    lease: JobLease,
    counts: JobCounts,
}

impl<'a> Run<'a> {
    async fn start(api: &'a TestApi) -> Self {
        api.queue_job(WS).await;
        let lease = api.claim_job().await;
        Self {
            api,
            lease,
            counts: JobCounts::default(),
        }
    }

    async fn page(&mut self, profiles: &[ProfileDraft], deletions: &[&str]) {
        let deletions: Vec<String> = deletions.iter().map(|name| (*name).to_owned()).collect();
        let written = self
            .api
            .store
            .apply_page(
                &self.lease,
                PageWrite {
                    profiles,
                    deletions: &deletions,
                    skipped_no_identifier: 0,
                    retired: &[],
                    counts_before: self.counts,
                },
            )
            .await
            .expect("the page is written");
        self.counts.add(&written);
    }

    async fn end(self, full_listing: bool) {
        self.api
            .store
            .end_run(
                &self.lease,
                RunEnd {
                    counts: self.counts,
                    finished_at: Utc::now(),
                    grant: None,
                    ending: RunEnding::Completed {
                        sync_token: None,
                        full_listing,
                    },
                },
            )
            .await
            .expect("the run completes");
    }
}

/// Polls the feed once; `after` and `limit` only when given.
async fn poll(api: &TestApi, key: &str, after: Option<&str>, limit: Option<&str>) -> Value {
    let mut request = api
        .http
        .get(api.url(CHANGES))
        .query(&[("workspace_id", WS)])
        .bearer_auth(key);
    if let Some(after) = after {
        request = request.query(&[("after", after)]);
    }
    if let Some(limit) = limit {
        request = request.query(&[("limit", limit)]);
    }
    let response = request.send().await.expect("the poll is answered");
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

/// `(change, source_id)` of every item of a page.
fn changes(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            (
                item["change"].as_str().expect("a change").to_owned(),
                item["profile"]["source_id"]
                    .as_str()
                    .expect("a source id")
                    .to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(change, name)| ((*change).to_owned(), (*name).to_owned()))
        .collect()
}

fn cursor(page: &Value) -> String {
    page["next_cursor"]
        .as_str()
        .expect("a next_cursor, always")
        .to_owned()
}

#[tokio::test]
async fn changes_come_in_write_order_with_what_each_write_did() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let empty = poll(&api, &key, None, None).await;
    assert_eq!(changes(&empty), pairs(&[]));
    let start = cursor(&empty);

    let mut first = Run::start(&api).await;
    first
        .page(
            &[
                draft("people/c1", "Ada", "e1"),
                draft("people/c2", "Grace", "e1"),
                draft("people/c3", "Alan", "e1"),
            ],
            &[],
        )
        .await;
    first.end(true).await;
    let created = poll(&api, &key, Some(&start), None).await;
    let created_changes = changes(&created);
    let mut sorted = created_changes.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        pairs(&[
            ("created", "people/c1"),
            ("created", "people/c2"),
            ("created", "people/c3")
        ])
    );
    let after_creation = cursor(&created);
    let profile = &created["items"][0]["profile"];
    assert!(profile["id"].is_string() && profile["deleted_at"].is_null());

    // A full listing: Ada unchanged (no change), Grace edited, Alan not listed (deleted).
    let mut second = Run::start(&api).await;
    second
        .page(
            &[
                draft("people/c1", "Ada", "e1"),
                draft("people/c2", "Grace Hopper", "e2"),
            ],
            &[],
        )
        .await;
    second.end(true).await;
    let edited = poll(&api, &key, Some(&after_creation), None).await;
    assert_eq!(
        changes(&edited),
        pairs(&[("updated", "people/c2"), ("deleted", "people/c3")])
    );
    assert_eq!(
        edited["items"][0]["profile"]["display_name"],
        "Grace Hopper"
    );
    assert!(edited["items"][1]["profile"]["deleted_at"].is_string());
    let after_edit = cursor(&edited);

    // Alan seen again: restored, which the feed reports as created; then Ada reported deleted.
    let mut third = Run::start(&api).await;
    third.page(&[draft("people/c3", "Alan", "e1")], &[]).await;
    third.page(&[], &["people/c1"]).await;
    third.end(false).await;
    let restored = poll(&api, &key, Some(&after_edit), None).await;
    assert_eq!(
        changes(&restored),
        pairs(&[("created", "people/c3"), ("deleted", "people/c1")])
    );
    assert!(restored["items"][0]["profile"]["deleted_at"].is_null());

    // Nothing new: no items, and the cursor sent comes back.
    let last = cursor(&restored);
    let quiet = poll(&api, &key, Some(&last), None).await;
    assert_eq!(changes(&quiet), pairs(&[]));
    assert_eq!(cursor(&quiet), last);

    // From the start, each profile once, in its latest state, in the order of its latest write.
    let everything = poll(&api, &key, None, None).await;
    assert_eq!(
        changes(&everything),
        pairs(&[
            ("updated", "people/c2"),
            ("created", "people/c3"),
            ("deleted", "people/c1")
        ])
    );
    assert_eq!(cursor(&everything), last);
}

#[tokio::test]
async fn the_feed_comes_page_by_page_and_another_server_continues_from_a_cursor() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let drafts: Vec<ProfileDraft> = (1..=7)
        .map(|n| draft(&format!("people/c{n}"), &format!("P{n}"), "e1"))
        .collect();
    let mut run = Run::start(&api).await;
    run.page(&drafts[..4], &[]).await;
    run.page(&drafts[4..], &[]).await;
    run.end(true).await;

    let mut seen = Vec::new();
    let first = poll(&api, &key, None, Some("3")).await;
    assert_eq!(changes(&first).len(), 3);
    seen.extend(changes(&first));
    let saved = cursor(&first);

    // Another server on the same database (a restarted or other replica) takes the cursor.
    let other = api.beside().await;
    let mut after = saved;
    loop {
        let page = poll(&other, &key, Some(&after), Some("3")).await;
        let items = changes(&page);
        after = cursor(&page);
        if items.is_empty() {
            break;
        }
        assert!(items.len() <= 3);
        seen.extend(items);
    }
    let names: Vec<String> = seen.into_iter().map(|(_, name)| name).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(names.len(), 7, "each change once: {names:?}");
    assert_eq!(unique.len(), 7);
    // The first page's four profiles were written before the second page's three.
    let position = |name: &str| names.iter().position(|seen| seen == name);
    for early in 1..=4 {
        for late in 5..=7 {
            assert!(position(&format!("people/c{early}")) < position(&format!("people/c{late}")));
        }
    }
    // The feed's live profiles are the listing's.
    let listed = json(
        api.get(&format!("{PROFILES}?workspace_id={WS}"), &key)
            .await,
    )
    .await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(7));
}

#[tokio::test]
async fn limits_default_to_100_and_are_cut_to_1000() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let drafts: Vec<ProfileDraft> = (1..=1001)
        .map(|n| draft(&format!("people/c{n}"), &format!("P{n}"), "e1"))
        .collect();
    let mut run = Run::start(&api).await;
    run.page(&drafts, &[]).await;
    run.end(true).await;
    let count = |page: &Value| page["items"].as_array().map(Vec::len);
    assert_eq!(count(&poll(&api, &key, None, None).await), Some(100));
    assert_eq!(count(&poll(&api, &key, None, Some("1")).await), Some(1));
    assert_eq!(
        count(&poll(&api, &key, None, Some("1000")).await),
        Some(1000)
    );
    let capped = poll(&api, &key, None, Some("5000")).await;
    assert_eq!(count(&capped), Some(1000));
    let rest = poll(&api, &key, Some(&cursor(&capped)), Some("5000")).await;
    assert_eq!(count(&rest), Some(1), "the 1001st after the first 1000");
}

#[tokio::test]
async fn bad_cursors_limits_and_parameters_are_refused_and_other_workspaces_are_forbidden() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let path = |query: &str| format!("{CHANGES}?workspace_id={WS}&{query}");
    for bad in [
        "after=not-a-cursor",
        "after=djEuLTE",      // "v1.-1"
        "after=djIuNQ",       // "v2.5"
        "after=YQBi",         // "a\0b"
        "after=djEuMDA3",     // "v1.007"
        "after=djEuMQ%3D%3D", // padded
    ] {
        let error = expect_error(
            api.get(&path(bad), &key).await,
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        )
        .await;
        assert_eq!(error["field"], "after", "{bad}");
    }
    for bad in ["limit=0", "limit=-3", "limit=ten", "limit=1.5"] {
        let error = expect_error(
            api.get(&path(bad), &key).await,
            StatusCode::BAD_REQUEST,
            "invalid_limit",
        )
        .await;
        assert_eq!(error["field"], "limit", "{bad}");
    }
    let unknown = expect_error(
        api.get(&path("cursor=abc"), &key).await,
        StatusCode::BAD_REQUEST,
        "unknown_field",
    )
    .await;
    assert_eq!(unknown["field"], "cursor");
    let missing = api.get(CHANGES, &key).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);

    let unauthenticated = api
        .http
        .get(api.url(&path("limit=1")))
        .send()
        .await
        .expect("answered");
    expect_error(unauthenticated, StatusCode::UNAUTHORIZED, "missing_api_key").await;
    let stranger = api.workspace_key("ws-stranger").await;
    expect_error(
        api.get(&path("limit=1"), &stranger).await,
        StatusCode::FORBIDDEN,
        "forbidden_workspace",
    )
    .await;
    let admin = api.admin_key().await;
    assert_eq!(
        api.get(&path("limit=1"), &admin).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn another_workspaces_changes_stay_apart() {
    let api = TestApi::start().await;
    let mut run = Run::start(&api).await;
    run.page(&[draft("people/c1", "Ada", "e1")], &[]).await;
    run.end(true).await;
    let stranger = api.workspace_key("ws-stranger").await;
    let own = json(
        api.get(&format!("{CHANGES}?workspace_id=ws-stranger"), &stranger)
            .await,
    )
    .await;
    assert_eq!(own["items"], serde_json::json!([]));
    let key = api.workspace_key(WS).await;
    assert_eq!(
        changes(&poll(&api, &key, None, None).await),
        pairs(&[("created", "people/c1")])
    );
}
