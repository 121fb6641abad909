//! The webhook outbox: a run's end writes the events it reports in its own transaction (only
//! for subscribed endpoints, numbered per workspace, with one delivery per endpoint), a cut-off
//! end writes none, and the delivery claims are leased, fenced and follow key rotation.

use chrono::TimeDelta;
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use pulse_domain::ports::{
    AttemptOutcome, AttemptRecord, ConfigRepository, ConnectionRepository, JobQueue, JobRepository,
    NewEndpoint, RunEnd, SyncRunStore, WebhookOutbox, WebhookStore,
};
use pulse_domain::webhook::EventKind;
use pulse_domain::{AutoSyncConfig, JobCounts, NewConnection, Secret, UserId};
use pulse_storage::testing::TestDatabase;
use pulse_storage::{KeyRing, PgStore, generate_key};

use crate::run_end::waiting_backend;
use crate::support::{at, claimed, completed, count, failed, grant, now, refused, user};

/// A connected user with auto-sync on.
async fn connected(store: &PgStore, id: &str) -> UserId {
    let u = user(id);
    store
        .save_connection(
            &NewConnection {
                user_id: u.clone(),
                google_account_id: Some("account".to_owned()),
                google_email: None,
                refresh_token: Secret::new("1//refresh"),
                access_token_expires_at: None,
                scopes: Vec::new(),
            },
            at(0),
        )
        .await
        .unwrap();
    let config = AutoSyncConfig {
        enabled: true,
        next_sync_at: Some(at(60)),
        ..AutoSyncConfig::defaults(u.clone())
    };
    store
        .modify_config(&u, chrono::Utc::now(), |_| Some(config))
        .await
        .unwrap();
    u
}

async fn subscribe(store: &PgStore, workspace: Option<&UserId>, events: &[EventKind]) -> Secret {
    let secret = Secret::new(format!("whsec_{}", uuid::Uuid::new_v4().simple()));
    store
        .put_endpoint(
            NewEndpoint {
                workspace,
                url: "http://127.0.0.1:9/hooks",
                events,
                secret: &secret,
            },
            now(),
        )
        .await
        .unwrap();
    secret
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct EventRow {
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    data: String,
}

async fn events_of(database: &TestDatabase, workspace: &str) -> Vec<EventRow> {
    let mut connection = database.connect().await;
    diesel::sql_query(
        "SELECT sequence, type AS kind, data::text AS data FROM webhook_events
         WHERE user_id = $1 ORDER BY sequence",
    )
    .bind::<Text, _>(workspace)
    .load(&mut connection)
    .await
    .unwrap()
}

fn counts() -> JobCounts {
    JobCounts {
        total_contacts: 3,
        synced: 3,
        created: 2,
        unchanged: 1,
        ..JobCounts::default()
    }
}

#[tokio::test]
async fn a_completed_run_writes_its_event_with_one_delivery_per_subscribed_endpoint() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let hooked = connected(&store, "hooked").await;
    let quiet = connected(&store, "quiet").await;

    // No endpoint anywhere: the end writes no event.
    let lease = claimed(&store, &quiet).await;
    store
        .end_run(
            &lease,
            completed(counts(), false, None, grant(&store, &quiet).await),
        )
        .await
        .unwrap();
    assert_eq!(
        count(&database, "SELECT count(*) AS count FROM webhook_events").await,
        0
    );

    subscribe(&store, Some(&hooked), &[EventKind::SyncCompleted]).await;
    subscribe(
        &store,
        None,
        &[EventKind::SyncCompleted, EventKind::SyncFailed],
    )
    .await;
    // Only the admin's failure subscription would match this workspace's failures; nobody
    // subscribed to the pause, so a failed job reports `sync.failed` to the admin only.
    let first = claimed(&store, &hooked).await;
    store
        .end_run(
            &first,
            completed(counts(), false, None, grant(&store, &hooked).await),
        )
        .await
        .unwrap();
    let second = claimed(&store, &hooked).await;
    store
        .end_run(
            &second,
            failed(
                "Google is unavailable right now",
                JobCounts::default(),
                None,
                grant(&store, &hooked).await,
            ),
        )
        .await
        .unwrap();

    let events = events_of(&database, "hooked").await;
    assert_eq!(
        events
            .iter()
            .map(|e| (e.sequence, e.kind.as_str()))
            .collect::<Vec<_>>(),
        [(1, "sync.completed"), (2, "sync.failed")]
    );
    let data: serde_json::Value = serde_json::from_str(&events[0].data).unwrap();
    assert_eq!(data["job_id"], first.job_id.to_string());
    assert_eq!(data["trigger"], "manual");
    assert_eq!(data["counts"]["created"], 2);
    assert_eq!(data["counts"]["synced"], 3);
    let failure: serde_json::Value = serde_json::from_str(&events[1].data).unwrap();
    assert_eq!(failure["kind"], "transient");
    assert_eq!(failure["message"], "Google is unavailable right now");
    assert_eq!(
        count(&database, "SELECT count(*) AS count FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.sequence = 1 AND e.user_id = 'hooked'").await,
        2,
        "the completion goes to the workspace's endpoint and the admin's"
    );
    assert_eq!(
        count(&database, "SELECT count(*) AS count FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.sequence = 2 AND e.user_id = 'hooked'").await,
        1,
        "the failure only to the admin's, the one subscribed to it"
    );

    // The other workspace numbers its own events from 1 (the admin's endpoint hears it).
    let lease = claimed(&store, &quiet).await;
    store
        .end_run(
            &lease,
            completed(counts(), false, None, grant(&store, &quiet).await),
        )
        .await
        .unwrap();
    let quiet_events = events_of(&database, "quiet").await;
    assert_eq!(
        quiet_events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [1]
    );

    // An attempt that will be retried reports nothing.
    let retrying = claimed(&store, &quiet).await;
    store
        .end_run(
            &retrying,
            failed(
                "flaky",
                JobCounts::default(),
                Some(now() + TimeDelta::minutes(1)),
                grant(&store, &quiet).await,
            ),
        )
        .await
        .unwrap();
    assert_eq!(events_of(&database, "quiet").await.len(), 1);
}

#[tokio::test]
async fn a_refused_grant_reports_the_failure_the_reconnect_and_the_pause_in_its_end() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "refused").await;
    subscribe(&store, Some(&u), &EventKind::ALL).await;
    let lease = claimed(&store, &u).await;
    store
        .end_run(&lease, refused(grant(&store, &u).await))
        .await
        .unwrap();

    let events = events_of(&database, "refused").await;
    assert_eq!(
        events
            .iter()
            .map(|e| (e.sequence, e.kind.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "sync.failed"),
            (2, "google.reauth_required"),
            (3, "auto_sync.paused")
        ]
    );
    let paused: serde_json::Value = serde_json::from_str(&events[2].data).unwrap();
    assert_eq!(paused["reason"], "google_reauth_required");
    assert_eq!(paused["job_id"], lease.job_id.to_string());

    // Already paused and marked: a second refusal reports only its failure.
    let again = claimed(&store, &u).await;
    store
        .end_run(&again, refused(grant(&store, &u).await))
        .await
        .unwrap();
    let kinds: Vec<String> = events_of(&database, "refused")
        .await
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds[3..], ["sync.failed".to_owned()]);
}

#[derive(QueryableByName)]
struct Pid {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pid: i32,
}

#[tokio::test]
async fn a_run_end_cut_off_at_its_outbox_write_leaves_no_event_and_no_job_change() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "cut").await;
    subscribe(&store, Some(&u), &[EventKind::SyncCompleted]).await;
    let first = claimed(&store, &u).await;
    store
        .end_run(
            &first,
            completed(counts(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();
    assert_eq!(events_of(&database, "cut").await.len(), 1);

    // Another session holds the workspace's event counter: the next end has written the job,
    // the token and the schedule and waits in its outbox statement; its connection is killed.
    let lease = claimed(&store, &u).await;
    let job_before = store.find_job(lease.job_id).await.unwrap();
    let config_before = store.find_config(&u).await.unwrap();
    let end = completed(counts(), false, Some("token-2"), grant(&store, &u).await);
    let result = cut_off_at_the_outbox(&database, &store, &lease, end).await;
    assert!(result.is_err(), "the cut-off end reports an error");
    assert_eq!(store.find_job(lease.job_id).await.unwrap(), job_before);
    assert_eq!(store.find_config(&u).await.unwrap(), config_before);
    assert_eq!(
        events_of(&database, "cut").await.len(),
        1,
        "no event of the cut-off end"
    );

    // Rescued and run again, the job completes and reports once, as the next in sequence.
    let later = now() + TimeDelta::minutes(10);
    store.rescue_expired(later, 3).await.unwrap();
    let retry = store
        .claim_job(lease.job_id, "rescuer", TimeDelta::minutes(2), later)
        .await
        .unwrap()
        .expect("claimable again");
    store
        .end_run(
            &retry,
            completed(counts(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();
    let events = events_of(&database, "cut").await;
    assert_eq!(
        events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
        [1, 2]
    );
    let data: serde_json::Value = serde_json::from_str(&events[1].data).unwrap();
    assert_eq!(data["job_id"], lease.job_id.to_string());
}

/// Runs `end` while another session holds the workspace's event counter, so it waits in its
/// outbox statement after its other writes, and terminates its connection there.
async fn cut_off_at_the_outbox(
    database: &TestDatabase,
    store: &PgStore,
    lease: &pulse_domain::JobLease,
    end: RunEnd,
) -> Result<JobCounts, pulse_domain::ports::StoreError> {
    let mut holder = database.connect().await;
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM webhook_sequences WHERE user_id = '{}' FOR UPDATE",
            lease.user_id
        ))
        .await
        .unwrap();
    let ending = {
        let store = store.clone();
        let lease = lease.clone();
        tokio::spawn(async move { store.end_run(&lease, end).await })
    };
    let mut observer = database.connect().await;
    let blocked = loop {
        let waiting: Option<Pid> = diesel::sql_query(
            "SELECT pid FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND wait_event_type = 'Lock' AND query LIKE '%webhook_sequences%'",
        )
        .get_result(&mut observer)
        .await
        .ok();
        if let Some(waiting) = waiting {
            break waiting.pid;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    observer
        .batch_execute(&format!("SELECT pg_terminate_backend({blocked})"))
        .await
        .unwrap();
    holder.batch_execute("ROLLBACK").await.unwrap();
    ending.await.unwrap()
}

#[tokio::test]
async fn a_refused_grant_cut_off_at_its_outbox_write_marks_pauses_and_reports_nothing() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "cut-refused").await;
    subscribe(&store, Some(&u), &EventKind::ALL).await;
    let first = claimed(&store, &u).await;
    store
        .end_run(
            &first,
            completed(counts(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();

    let lease = claimed(&store, &u).await;
    let job_before = store.find_job(lease.job_id).await.unwrap();
    let connection_before = store.find_connection(&u).await.unwrap();
    let config_before = store.find_config(&u).await.unwrap();
    let end = refused(grant(&store, &u).await);
    let result = cut_off_at_the_outbox(&database, &store, &lease, end).await;
    assert!(result.is_err(), "the cut-off end reports an error");
    assert_eq!(store.find_job(lease.job_id).await.unwrap(), job_before);
    assert_eq!(
        store.find_connection(&u).await.unwrap(),
        connection_before,
        "not marked"
    );
    assert_eq!(
        store.find_config(&u).await.unwrap(),
        config_before,
        "not paused"
    );
    assert_eq!(
        events_of(&database, "cut-refused").await.len(),
        1,
        "only the first run's"
    );

    // The rescued attempt is refused again and reports all three, after the first run's event.
    let later = now() + TimeDelta::minutes(10);
    store.rescue_expired(later, 3).await.unwrap();
    let retry = store
        .claim_job(lease.job_id, "rescuer", TimeDelta::minutes(2), later)
        .await
        .unwrap()
        .expect("claimable again");
    store
        .end_run(&retry, refused(grant(&store, &u).await))
        .await
        .unwrap();
    let events = events_of(&database, "cut-refused").await;
    assert_eq!(
        events
            .iter()
            .map(|e| (e.sequence, e.kind.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "sync.completed"),
            (2, "sync.failed"),
            (3, "google.reauth_required"),
            (4, "auto_sync.paused")
        ]
    );
}

fn delivered_at(attempted_at: chrono::DateTime<chrono::Utc>) -> AttemptRecord {
    AttemptRecord {
        attempted_at,
        status_code: Some(200),
        latency_ms: 3,
        error: None,
        outcome: AttemptOutcome::Delivered,
    }
}

#[tokio::test]
async fn claims_are_leased_and_fenced_and_the_log_shows_each_attempt() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "claims").await;
    let secret = subscribe(&store, Some(&u), &[EventKind::SyncCompleted]).await;
    let lease = claimed(&store, &u).await;
    store
        .end_run(
            &lease,
            completed(counts(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();

    let t0 = now() + TimeDelta::seconds(1);
    let claims = store
        .claim_deliveries(t0, TimeDelta::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(claims.len(), 1);
    let first = &claims[0];
    assert_eq!(first.attempt, 1);
    assert_eq!(first.sequence, 1);
    assert_eq!(first.event_type, EventKind::SyncCompleted);
    assert_eq!(first.secret, secret, "the sealed secret opens");
    assert!(
        !format!("{first:?}").contains(secret.expose()),
        "Debug hides the secret"
    );
    assert!(
        store
            .claim_deliveries(t0, TimeDelta::seconds(60), 10)
            .await
            .unwrap()
            .is_empty(),
        "a claimed delivery is not due again before its lease runs out"
    );

    // The lease runs out; another worker claims it as attempt 2; the first worker's late record
    // is fenced out.
    let t1 = t0 + TimeDelta::seconds(61);
    let again = store
        .claim_deliveries(t1, TimeDelta::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    assert!(
        !store
            .record_attempt(first, &delivered_at(t1))
            .await
            .unwrap()
    );
    let retry_at = t1 + TimeDelta::seconds(30);
    let failure = AttemptRecord {
        attempted_at: t1,
        status_code: Some(500),
        latency_ms: 7,
        error: Some("the receiver answered 500".to_owned()),
        outcome: AttemptOutcome::RetryAt(retry_at),
    };
    assert!(store.record_attempt(&again[0], &failure).await.unwrap());
    assert!(
        store
            .claim_deliveries(retry_at - TimeDelta::seconds(1), TimeDelta::seconds(60), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.earliest_delivery_at().await.unwrap(), Some(retry_at));
    let third = store
        .claim_deliveries(retry_at, TimeDelta::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(third[0].attempt, 3);
    assert!(
        store
            .record_attempt(&third[0], &delivered_at(retry_at))
            .await
            .unwrap()
    );
    assert_eq!(
        store.earliest_delivery_at().await.unwrap(),
        None,
        "delivered: nothing due"
    );

    let log = store.recent_attempts(Some(&u), 10).await.unwrap();
    assert_eq!(
        log.iter()
            .map(|a| (a.attempt, a.status_code, a.next_attempt_at))
            .collect::<Vec<_>>(),
        [(3, Some(200), None), (2, Some(500), Some(retry_at))]
    );
    assert_eq!(log[0].event_id, first.event_id);
    assert!(
        store.recent_attempts(None, 10).await.unwrap().is_empty(),
        "the admin scope has its own log"
    );

    // Events whose deliveries are done are pruned by age, their log with them; one still due
    // stays, however old.
    let pending = claimed(&store, &u).await;
    store
        .end_run(
            &pending,
            completed(counts(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();
    let long_after = retry_at + TimeDelta::days(8);
    assert_eq!(
        store
            .prune_events(now() - TimeDelta::days(1), 100)
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.prune_events(long_after, 100).await.unwrap(), 1);
    assert!(
        store
            .recent_attempts(Some(&u), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.prune_events(long_after, 100).await.unwrap(),
        0,
        "the pending event stays"
    );
    assert_eq!(events_of(&database, "claims").await.len(), 1);
}

#[tokio::test]
async fn a_replaced_endpoint_keeps_its_id_and_a_deleted_one_takes_its_deliveries() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("replace");
    let events = [EventKind::SyncCompleted];
    let secret = Secret::new("whsec_one");
    let put = |url: &'static str, secret: &Secret| {
        let store = store.clone();
        let u = u.clone();
        let secret = secret.clone();
        async move {
            store
                .put_endpoint(
                    NewEndpoint {
                        workspace: Some(&u),
                        url,
                        events: &events,
                        secret: &secret,
                    },
                    now(),
                )
                .await
                .unwrap()
        }
    };
    let first = put("https://one.example/hook", &secret).await;
    let second = put("https://two.example/hook", &Secret::new("whsec_two")).await;
    assert_eq!(first.id, second.id);
    assert_eq!(second.url, "https://two.example/hook");
    assert_eq!(store.find_endpoint(Some(&u)).await.unwrap(), Some(second));
    assert_eq!(store.find_endpoint(None).await.unwrap(), None);
    assert!(store.delete_endpoint(Some(&u)).await.unwrap());
    assert!(!store.delete_endpoint(Some(&u)).await.unwrap());
    assert_eq!(store.find_endpoint(Some(&u)).await.unwrap(), None);
}

#[tokio::test]
async fn rotation_reseals_signing_secrets_so_the_old_key_can_go() {
    let database = TestDatabase::new().await;
    let ring = |current: &str, previous: &str| KeyRing::from_base64(current, previous).unwrap();
    let old_key = generate_key();
    let old = PgStore::new(database.pool(), ring(&old_key, ""));
    let u = connected(&old, "rotated").await;
    let secret = subscribe(&old, Some(&u), &[EventKind::SyncCompleted]).await;
    let admin_secret = subscribe(&old, None, &[EventKind::SyncCompleted]).await;
    let new_key = generate_key();
    let both = PgStore::new(database.pool(), ring(&new_key, &old_key));
    assert!(both.reseal_batch(100).await.unwrap() >= 2);
    let sealed = both.sealed_secret_counts().await.unwrap();
    assert!(
        sealed
            .iter()
            .all(|(key, _)| key == both.keys().current_key_id()),
        "{sealed:?}"
    );

    let new_only = PgStore::new(database.pool(), ring(&new_key, ""));
    let lease = claimed(&new_only, &u).await;
    new_only
        .end_run(
            &lease,
            completed(counts(), false, None, grant(&new_only, &u).await),
        )
        .await
        .unwrap();
    let mut claims = new_only
        .claim_deliveries(now() + TimeDelta::seconds(1), TimeDelta::seconds(60), 10)
        .await
        .unwrap();
    claims.sort_by_key(|claim| claim.secret.expose().to_owned());
    let mut expected = vec![secret, admin_secret];
    expected.sort_by_key(|s| s.expose().to_owned());
    assert_eq!(
        claims.into_iter().map(|c| c.secret).collect::<Vec<_>>(),
        expected
    );
}

#[tokio::test]
async fn consecutive_completions_report_change_ranges_that_tile_the_feed() {
    use crate::support::{draft, page};
    use pulse_domain::ChangeCursor;

    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "ranges").await;
    subscribe(&store, Some(&u), &[EventKind::SyncCompleted]).await;
    let profiles = [
        draft("people/1", "e1", "Ada One"),
        draft("people/2", "e1", "Bob Two"),
    ];
    let first = claimed(&store, &u).await;
    let counts = store
        .end_run_after_page(
            &first,
            page(&profiles, &[]),
            completed(JobCounts::default(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();
    assert_eq!(counts.created, 2);
    let changed = [draft("people/2", "e2", "Bob Changed")];
    let second = claimed(&store, &u).await;
    store
        .end_run_after_page(
            &second,
            page(&changed, &[]),
            completed(JobCounts::default(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();

    let ranges: Vec<(String, String)> = events_of(&database, "ranges")
        .await
        .iter()
        .map(|event| {
            let data: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            let cursor = |name: &str| data["changes"][name].as_str().unwrap().to_owned();
            (cursor("after"), cursor("until"))
        })
        .collect();
    let seq = |token: &str| ChangeCursor::parse(token).unwrap().seq();
    assert_eq!(
        ranges[0].0,
        ChangeCursor::START.encode(),
        "the first from the start"
    );
    assert_eq!(
        ranges[1].0, ranges[0].1,
        "the next from where the previous stopped"
    );
    assert_eq!(
        seq(&ranges[1].1) - seq(&ranges[1].0),
        1,
        "one change in the second"
    );
    assert!(seq(&ranges[0].1) >= 2);
}

#[tokio::test]
async fn a_job_the_rescuer_fails_for_good_reports_sync_failed_and_a_requeued_one_nothing() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "rescued").await;
    subscribe(&store, Some(&u), &[EventKind::SyncFailed]).await;

    // The worker of the first attempt dies: the rescuer queues the job again, which is no end.
    let first = claimed(&store, &u).await;
    let later = now() + TimeDelta::minutes(10);
    let rescued = store.rescue_expired(later, 2).await.unwrap();
    assert_eq!(rescued.requeued, vec![first.job_id]);
    assert!(events_of(&database, "rescued").await.is_empty());

    // The second attempt's worker dies too: on its last attempt the job fails for good.
    store
        .claim_job(first.job_id, "second-worker", TimeDelta::minutes(2), later)
        .await
        .unwrap()
        .expect("the requeued job is claimable");
    let much_later = later + TimeDelta::minutes(10);
    let rescued = store.rescue_expired(much_later, 2).await.unwrap();
    assert_eq!(rescued.failed, vec![first.job_id]);

    let events = events_of(&database, "rescued").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].kind, "sync.failed");
    let data: serde_json::Value = serde_json::from_str(&events[0].data).unwrap();
    assert_eq!(data["job_id"], first.job_id.to_string());
    assert_eq!(data["kind"], "transient");
    assert_eq!(data["message"], "worker lost its lease 2 times");
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM webhook_deliveries"
        )
        .await,
        1,
        "one delivery for the subscribed endpoint"
    );
}

#[tokio::test]
async fn a_delivery_this_replica_cannot_read_does_not_hold_back_the_others() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "unreadable").await;
    let readable = subscribe(&store, Some(&u), &[EventKind::SyncCompleted]).await;
    subscribe(&store, None, &[EventKind::SyncCompleted]).await;
    let lease = claimed(&store, &u).await;
    store
        .end_run(
            &lease,
            completed(counts(), false, None, grant(&store, &u).await),
        )
        .await
        .unwrap();
    // The every-workspace endpoint's secret no longer opens (as under a key this replica lacks).
    let mut connection = database.connect().await;
    connection
        .batch_execute(
            "UPDATE webhook_endpoints SET secret_ciphertext = '\\x00'::bytea WHERE user_id IS NULL",
        )
        .await
        .unwrap();

    let claims = store
        .claim_deliveries(now() + TimeDelta::seconds(1), TimeDelta::seconds(60), 10)
        .await
        .unwrap();
    assert_eq!(claims.len(), 1, "the readable delivery is handed out");
    assert_eq!(claims[0].secret, readable);
}

#[tokio::test]
async fn an_endpoint_deleted_while_a_run_ends_gets_no_delivery_and_the_end_commits() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = connected(&store, "deleting").await;
    subscribe(&store, Some(&u), &[EventKind::SyncCompleted]).await;
    let lease = claimed(&store, &u).await;

    // The endpoint's deletion is written but not committed when the run's end reaches it.
    let mut deleter = database.connect().await;
    deleter
        .batch_execute("BEGIN; DELETE FROM webhook_endpoints WHERE user_id = 'deleting'")
        .await
        .unwrap();
    let ending = {
        let store = store.clone();
        let lease = lease.clone();
        let end = completed(counts(), false, None, grant(&store, &u).await);
        tokio::spawn(async move { store.end_run(&lease, end).await })
    };
    waiting_backend(&database).await;
    deleter.batch_execute("COMMIT").await.unwrap();

    let ended = ending.await.expect("the end task ran");
    assert!(ended.is_ok(), "the end commits: {ended:?}");
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM webhook_deliveries"
        )
        .await,
        0,
        "no delivery for the deleted endpoint"
    );
}
