//! `GET` and `PUT /api/logos-vision/auto-sync/config`: defaults without a row (and no row made),
//! turning on and off, the interval rules, the connection state, and refused values.

use chrono::Utc;
use pulse_domain::ports::{ConfigRepository, ConnectionRepository};
use pulse_domain::{NewConnection, PausedReason, Secret};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApi, expect_error, json, user};

const WS: &str = "ws-config";
const PATH: &str = "/api/logos-vision/auto-sync/config";

fn get_path(workspace: &str) -> String {
    format!("{PATH}?workspace_id={workspace}")
}

async fn put(api: &TestApi, key: &str, body: Value) -> reqwest::Response {
    api.send_json(Method::PUT, PATH, key, &body).await
}

#[tokio::test]
async fn a_workspace_without_settings_reads_the_defaults_and_no_row_is_created() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let response = api.get(&get_path(WS), &key).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(
        body,
        json!({
            "workspace_id": WS,
            "enabled": false,
            "interval_hours": 24,
            "last_sync_at": null,
            "next_sync_at": null,
            "next_sync_in": null,
            "paused_reason": null,
            "last_error": null,
            "consecutive_failures": 0,
            "connection": "not_connected",
            "connection_email": null,
        })
    );
    let stored = api.store.find_config(&user(WS)).await.expect("read");
    assert_eq!(stored, None);
}

#[tokio::test]
async fn turning_on_schedules_in_24_hours_and_is_stored() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let before = Utc::now();
    let response = put(
        &api,
        &key,
        json!({"workspace_id": WS, "enabled": true, "interval_hours": 24}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_eq!(body["enabled"], true);
    assert_eq!(body["interval_hours"], 24);
    assert_eq!(body["next_sync_in"], "in 24 hours");
    let next: chrono::DateTime<Utc> = body["next_sync_at"]
        .as_str()
        .expect("a time")
        .parse()
        .expect("RFC 3339");
    assert!(next >= before + chrono::TimeDelta::hours(24));
    assert!(next <= Utc::now() + chrono::TimeDelta::hours(24));

    let stored = api
        .store
        .find_config(&user(WS))
        .await
        .expect("read")
        .expect("a row");
    assert!(stored.enabled);
    assert_eq!(
        stored.next_sync_at.map(|at| at.timestamp_micros()),
        Some(next.timestamp_micros())
    );

    let read = json(api.get(&get_path(WS), &key).await).await;
    assert_eq!(read["next_sync_at"], body["next_sync_at"]);
    assert_eq!(read["next_sync_in"], "in 24 hours");
}

#[tokio::test]
async fn interval_changes_keep_or_replace_the_interval_and_turning_off_clears_the_schedule() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let on = json(
        put(
            &api,
            &key,
            json!({"workspace_id": WS, "enabled": true, "interval_hours": 12}),
        )
        .await,
    )
    .await;
    assert_eq!(on["interval_hours"], 12);
    assert_eq!(on["next_sync_in"], "in 12 hours");

    let kept = json(put(&api, &key, json!({"workspace_id": WS, "enabled": true})).await).await;
    assert_eq!(
        kept["interval_hours"], 12,
        "omitting interval_hours keeps it"
    );
    assert_eq!(
        kept["next_sync_at"], on["next_sync_at"],
        "an unchanged request changes nothing"
    );

    let longer = json(
        put(
            &api,
            &key,
            json!({"workspace_id": WS, "enabled": true, "interval_hours": 48}),
        )
        .await,
    )
    .await;
    assert_eq!(longer["interval_hours"], 48);
    assert_eq!(longer["next_sync_in"], "in 2 days");

    let off = json(
        put(
            &api,
            &key,
            json!({"workspace_id": WS, "enabled": false, "interval_hours": null}),
        )
        .await,
    )
    .await;
    assert_eq!(off["enabled"], false);
    assert_eq!(off["interval_hours"], 48);
    assert_eq!(off["next_sync_at"], Value::Null);
    assert_eq!(off["next_sync_in"], Value::Null);
}

#[tokio::test]
async fn the_seed_request_shape_works_as_before() {
    let api = TestApi::start().await;
    let key = api.workspace_key("current-user-id").await;
    let response = api
        .request(Method::PUT, PATH, None)
        .header("X-API-Key", &key)
        .json(&json!({"workspace_id": "current-user-id", "enabled": true, "interval_hours": 24}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    for field in ["enabled", "interval_hours", "last_sync_at", "next_sync_at"] {
        assert!(
            body.get(field).is_some(),
            "the seed's field {field} is missing"
        );
    }
}

#[tokio::test]
async fn out_of_range_and_wrongly_typed_intervals_are_refused() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    for interval in [
        json!(0),
        json!(721),
        json!(-1),
        json!(1.5),
        json!("24"),
        json!(true),
        json!([24]),
        json!(1e300),
    ] {
        let response = put(
            &api,
            &key,
            json!({"workspace_id": WS, "enabled": true, "interval_hours": interval}),
        )
        .await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_interval").await;
        assert_eq!(error["field"], "interval_hours", "{interval}");
        assert_eq!(
            error["message"],
            "interval_hours must be a whole number from 1 to 720"
        );
    }
    for interval in [1, 720] {
        let response = put(
            &api,
            &key,
            json!({"workspace_id": WS, "enabled": true, "interval_hours": interval}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK, "{interval}");
    }
    assert_eq!(
        api.store
            .find_config(&user(WS))
            .await
            .expect("read")
            .map(|c| c.interval_hours.hours()),
        Some(720)
    );
}

#[tokio::test]
async fn bad_bodies_name_the_field_at_fault() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let cases = [
        (
            json!({"workspace_id": WS}),
            "missing_field",
            Some("enabled"),
        ),
        (
            json!({"enabled": true}),
            "missing_field",
            Some("workspace_id"),
        ),
        (
            json!({"workspace_id": WS, "enabled": "yes"}),
            "invalid_field",
            Some("enabled"),
        ),
        (
            json!({"workspace_id": WS, "enabled": true, "intervall_hours": 2}),
            "unknown_field",
            Some("intervall_hours"),
        ),
        (
            json!({"workspace_id": 42, "enabled": true}),
            "invalid_workspace_id",
            Some("workspace_id"),
        ),
        (json!([WS, true]), "invalid_body", None),
    ];
    for (body, code, field) in cases {
        let response = put(&api, &key, body.clone()).await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, code).await;
        assert_eq!(error.get("field").and_then(Value::as_str), field, "{body}");
    }
}

#[tokio::test]
async fn bad_workspace_ids_are_refused() {
    let api = TestApi::start().await;
    let admin = api.admin_key().await;
    let long = "w".repeat(256);
    for query in [
        "",
        "workspace_id=",
        "workspace_id=%20%20",
        "workspace_id=a%00b",
        &format!("workspace_id={long}"),
    ] {
        let response = api.get(&format!("{PATH}?{query}"), &admin).await;
        let code = if query.is_empty() {
            "missing_field"
        } else {
            "invalid_workspace_id"
        };
        let error = expect_error(response, StatusCode::BAD_REQUEST, code).await;
        assert_eq!(error["field"], "workspace_id", "{query}");
    }
    let response = api
        .get(&format!("{PATH}?workspace_id={WS}&limit=3"), &admin)
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "unknown_field").await;
}

#[tokio::test]
async fn the_connection_state_is_shown() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let connection = NewConnection {
        user_id: user(WS),
        google_account_id: None,
        google_email: None,
        refresh_token: Secret::new("refresh-token-for-the-test"),
        access_token_expires_at: None,
        scopes: vec![],
    };
    api.store
        .save_connection(&connection, Utc::now())
        .await
        .expect("saved");
    assert_eq!(
        json(api.get(&get_path(WS), &key).await).await["connection"],
        "connected"
    );
    api.store
        .mark_reauth_required(&user(WS), Utc::now())
        .await
        .expect("marked");
    assert_eq!(
        json(api.get(&get_path(WS), &key).await).await["connection"],
        "reauth_required"
    );
    api.store
        .forget_connection(&user(WS), Utc::now())
        .await
        .expect("forgotten");
    assert_eq!(
        json(api.get(&get_path(WS), &key).await).await["connection"],
        "not_connected"
    );
}

#[tokio::test]
async fn a_paused_config_shows_why_and_turning_on_unpauses_it() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let now = Utc::now();
    api.store
        .modify_config(&user(WS), chrono::Utc::now(), |_| {
            let mut config = pulse_domain::AutoSyncConfig::defaults(user(WS));
            config.enabled = true;
            config.paused_reason = Some(PausedReason::TooManyFailures);
            config.consecutive_failures = 10;
            config.last_error = Some("Google is unavailable".to_owned());
            config.created_at = Some(now);
            config.updated_at = Some(now);
            Some(config)
        })
        .await
        .expect("stored");
    let paused = json(api.get(&get_path(WS), &key).await).await;
    assert_eq!(paused["paused_reason"], "too_many_failures");
    assert_eq!(paused["consecutive_failures"], 10);
    assert_eq!(paused["last_error"], "Google is unavailable");
    assert_eq!(paused["next_sync_at"], Value::Null);

    let resumed = json(put(&api, &key, json!({"workspace_id": WS, "enabled": true})).await).await;
    assert_eq!(resumed["paused_reason"], Value::Null);
    assert_eq!(resumed["consecutive_failures"], 0);
    assert_eq!(resumed["next_sync_in"], "in 24 hours");
}
