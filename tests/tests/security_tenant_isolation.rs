//! Tenant isolation with two workspaces on one server: with its own key, neither workspace can
//! read, change, sync, connect or disconnect the other's data through any endpoint; its own
//! lists and searches never show the other's rows; and syncing one never lists the other's
//! Google account. The refusals leave the other's rows exactly as they were.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_google::fake::FakeEndpoint;
use serde_json::{Value, json};

use pulse_tests::{API, ApiClient, Tenant, Tenants, is_documented_error, with_workspace};

/// The other workspace's rows, to check a refused request changed nothing.
async fn snapshot(tenants: &Tenants, workspace: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for table in [
        "google_contacts_auto_sync_config",
        "google_contacts_sync_jobs",
        "google_connections",
        "oauth_pending_authorizations",
        "relationship_profiles",
    ] {
        let query = format!("SELECT t::text FROM {table} t WHERE user_id = $1 ORDER BY 1");
        let found = tenants
            .deployment
            .sql
            .query(&query, &[&workspace])
            .await
            .unwrap_or_else(|error| panic!("cannot read {table}: {error}"));
        rows.extend(
            found
                .iter()
                .map(|row| format!("{table}: {}", row.get::<_, String>(0))),
        );
    }
    rows
}

/// Every item of a list answer, following cursors.
async fn all_items(api: &ApiClient, path: &str, key: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = path.to_owned();
    loop {
        let page = api.get(&next, Some(key)).await;
        page.expect_status(200);
        items.extend(page.json["items"].as_array().cloned().unwrap_or_default());
        match page.json["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}&cursor={}", pulse_tests::api::encode(cursor)),
            None => return items,
        }
    }
}

#[track_caller]
fn refused(answer: &pulse_tests::Answer, status: u16, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    assert_eq!(answer.error_code(), Some(code), "{what}: {}", answer.text);
    assert!(is_documented_error(&answer.json), "{what}: {}", answer.text);
}

/// `me` tries everything on `other`'s workspace with its own key.
async fn cannot_touch(tenants: &Tenants, me: &Tenant, other: &Tenant) {
    let api = &tenants.api;
    let key = Some(me.key.as_str());
    let before = snapshot(tenants, &other.workspace).await;
    let revokes_before = tenants.deployment.google.request_count(
        &tenants.deployment.account_of(&other.workspace),
        FakeEndpoint::Revoke,
    );
    let listings_before = tenants.deployment.listings_of(&other.workspace);

    let config = with_workspace(&format!("{API}/auto-sync/config"), &other.workspace);
    refused(
        &api.get(&config, key).await,
        403,
        "forbidden_workspace",
        "GET config",
    );
    let put = json!({"workspace_id": other.workspace, "enabled": false, "interval_hours": 1});
    refused(
        &api.put(&format!("{API}/auto-sync/config"), key, &put).await,
        403,
        "forbidden_workspace",
        "PUT config",
    );
    refused(
        &api.post(
            &format!("{API}/google-contacts/sync"),
            key,
            &json!({"workspace_id": other.workspace}),
        )
        .await,
        403,
        "forbidden_workspace",
        "POST sync",
    );
    let jobs = with_workspace(
        &format!("{API}/google-contacts/sync/jobs"),
        &other.workspace,
    );
    refused(
        &api.get(&jobs, key).await,
        403,
        "forbidden_workspace",
        "GET jobs",
    );
    refused(
        &api.get(
            &format!("{API}/google-contacts/sync/jobs/{}", other.job_id),
            key,
        )
        .await,
        404,
        "job_not_found",
        "GET the other's job",
    );
    let profiles = with_workspace(&format!("{API}/google-contacts/profiles"), &other.workspace);
    refused(
        &api.get(&profiles, key).await,
        403,
        "forbidden_workspace",
        "GET profiles",
    );
    let changes = with_workspace(
        &format!("{API}/google-contacts/profiles/changes"),
        &other.workspace,
    );
    refused(
        &api.get(&changes, key).await,
        403,
        "forbidden_workspace",
        "GET profile changes",
    );
    refused(
        &api.post(
            &format!("{API}/google/connect"),
            key,
            &json!({"workspace_id": other.workspace, "return_to": format!("{}/", tenants.config.origin())}),
        )
        .await,
        403,
        "forbidden_workspace",
        "POST connect",
    );
    refused(
        &api.delete(
            &with_workspace(&format!("{API}/google/connection"), &other.workspace),
            key,
        )
        .await,
        403,
        "forbidden_workspace",
        "DELETE connection",
    );
    // Look-alike workspace ids are other workspaces, not this one.
    for look_alike in [
        other.workspace.to_uppercase(),
        format!("{}/../{}", me.workspace, other.workspace),
        format!("{},{}", me.workspace, other.workspace),
    ] {
        let path = with_workspace(&format!("{API}/google-contacts/profiles"), &look_alike);
        let answer = api.get(&path, key).await;
        assert!(
            answer.status == 403 || answer.status == 400,
            "{look_alike}: {}",
            answer.text
        );
    }
    // A second workspace_id parameter cannot smuggle the other's in.
    let smuggled = format!(
        "{}&workspace_id={}",
        with_workspace(&format!("{API}/google-contacts/profiles"), &me.workspace),
        other.workspace
    );
    let answer = api.get(&smuggled, key).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert!(is_documented_error(&answer.json));

    assert_eq!(
        snapshot(tenants, &other.workspace).await,
        before,
        "nothing changed"
    );
    assert_eq!(
        tenants.deployment.google.request_count(
            &tenants.deployment.account_of(&other.workspace),
            FakeEndpoint::Revoke
        ),
        revokes_before,
        "the other's grant was not revoked"
    );
    assert_eq!(
        tenants.deployment.listings_of(&other.workspace),
        listings_before,
        "the other's Google account was not listed"
    );
}

/// `me`'s own lists and searches show only `me`'s rows.
async fn sees_only_itself(tenants: &Tenants, me: &Tenant, other: &Tenant) {
    let api = &tenants.api;
    let deployment = &tenants.deployment;
    let mine: Vec<String> = pulse_tests::expected_profiles(&deployment.google, &me.workspace)
        .into_iter()
        .map(|profile| profile.source_id)
        .collect();
    let theirs = pulse_tests::expected_profiles(&deployment.google, &other.workspace);
    let profiles = all_items(
        api,
        &format!(
            "{}&limit=7",
            with_workspace(&format!("{API}/google-contacts/profiles"), &me.workspace)
        ),
        &me.key,
    )
    .await;
    assert_eq!(profiles.len(), mine.len());
    for profile in &profiles {
        let source = profile["source_id"].as_str().unwrap_or_default().to_owned();
        assert!(mine.contains(&source), "{profile}");
    }
    // Searching for the other's people finds nothing of theirs.
    for person in theirs.iter().take(5) {
        let Some(email) = &person.primary_email else {
            continue;
        };
        let path = format!(
            "{}&q={}",
            with_workspace(&format!("{API}/google-contacts/profiles"), &me.workspace),
            pulse_tests::api::encode(email)
        );
        let found = api.get(&path, Some(&me.key)).await;
        found.expect_status(200);
        for item in found.json["items"].as_array().cloned().unwrap_or_default() {
            assert_ne!(
                item["primary_email"].as_str(),
                Some(email.as_str()),
                "{item}"
            );
        }
    }
    // The change feed, read to its end, holds only `me`'s profiles.
    let feed = with_workspace(
        &format!("{API}/google-contacts/profiles/changes"),
        &me.workspace,
    );
    let mut after = String::new();
    let mut live = std::collections::BTreeSet::new();
    loop {
        let page = api
            .get(&format!("{feed}&limit=9&after={after}"), Some(&me.key))
            .await;
        page.expect_status(200);
        let items = page.json["items"].as_array().cloned().unwrap_or_default();
        for item in &items {
            let source = item["profile"]["source_id"].as_str().unwrap_or_default();
            if item["change"] == "deleted" {
                live.remove(source);
            } else {
                assert!(mine.iter().any(|own| own == source), "{item}");
                live.insert(source.to_owned());
            }
        }
        after = page.json["next_cursor"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if items.is_empty() {
            break;
        }
    }
    assert_eq!(
        live,
        mine.iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    );
    let jobs = all_items(
        api,
        &format!(
            "{}&limit=1",
            with_workspace(&format!("{API}/google-contacts/sync/jobs"), &me.workspace)
        ),
        &me.key,
    )
    .await;
    assert!(!jobs.is_empty());
    for job in &jobs {
        assert_eq!(job["workspace_id"], json!(me.workspace), "{job}");
        assert_ne!(job["id"], json!(other.job_id));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_endpoint_reads_changes_or_syncs_another_workspace() {
    let tenants = Tenants::start("tenant", |config| config).await;
    cannot_touch(&tenants, &tenants.a, &tenants.b).await;
    cannot_touch(&tenants, &tenants.b, &tenants.a).await;
    sees_only_itself(&tenants, &tenants.a, &tenants.b).await;
    sees_only_itself(&tenants, &tenants.b, &tenants.a).await;

    // Syncing one workspace lists only its own Google account.
    let listings_b = tenants.deployment.listings_of(&tenants.b.workspace);
    pulse_tests::tenants::sync_once(&tenants.api, &tenants.a.workspace, &tenants.a.key).await;
    assert_eq!(
        tenants.deployment.listings_of(&tenants.b.workspace),
        listings_b
    );
    // The admin key sees both.
    for tenant in [&tenants.a, &tenants.b] {
        let path = with_workspace(&format!("{API}/auto-sync/config"), &tenant.workspace);
        tenants
            .api
            .get(&path, Some(&tenants.deployment.admin_key))
            .await
            .expect_status(200);
    }
    tenants.deployment.assert_all_jobs_final().await;
    tenants.deployment.assert_disk_of_truth().await;
}
