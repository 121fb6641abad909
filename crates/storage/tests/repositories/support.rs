//! Fixtures shared by the repository tests: ids, fixed times, drafts, claimed jobs, SQL counts.

use chrono::{DateTime, TimeDelta, Utc};
use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use pulse_domain::ports::{
    ConnectionRepository, JobQueue, JobRepository, PageWrite, ProfileQuery, ProfileRepository,
    RunEnd, RunEnding, SyncRunStore,
};
use pulse_domain::schedule::{FailureKind, SyncFailure};
use pulse_domain::{JobCounts, JobLease, ProfileDraft, Secret, UserId};
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;

/// A valid user id.
pub fn user(id: &str) -> UserId {
    UserId::parse(id).expect("valid user id")
}

/// A fixed instant, `minutes` after 2026-01-01T00:00:00Z.
pub fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .expect("valid time")
        .with_timezone(&Utc)
        + TimeDelta::minutes(minutes)
}

/// The wall clock, truncated to PostgreSQL's microseconds so it round-trips exactly.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).expect("valid time")
}

/// A profile draft with one email.
pub fn draft(source_id: &str, etag: &str, name: &str) -> ProfileDraft {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    ProfileDraft {
        source_id: source_id.to_owned(),
        previous_source_ids: Vec::new(),
        etag: Some(etag.to_owned()),
        display_name: Some(name.to_owned()),
        given_name: name.split(' ').next().map(str::to_owned),
        family_name: name.split(' ').nth(1).map(str::to_owned),
        primary_email: Some(email.clone()),
        emails: vec![email],
        phones: vec!["+15550100".to_owned()],
        organization: Some("Acme".to_owned()),
        title: Some("Engineer".to_owned()),
        photo_url: None,
    }
}

/// Queues a manual job for `user` and claims it with a two-minute lease.
pub async fn claimed(store: &PgStore, user: &UserId) -> JobLease {
    let job = store.enqueue_manual(user, now()).await.expect("enqueue");
    store
        .claim_job(job.id, "test-worker", TimeDelta::minutes(2), now())
        .await
        .expect("claim")
        .expect("the job was queued")
}

/// A page write of `profiles` and `deletions`.
pub fn page<'a>(profiles: &'a [ProfileDraft], deletions: &'a [String]) -> PageWrite<'a> {
    PageWrite {
        profiles,
        deletions,
        skipped_no_identifier: 0,
        retired: &[],
        counts_before: JobCounts::default(),
    }
}

/// Runs one complete incremental sync for `user` that writes `profiles`.
pub async fn seed_profiles(store: &PgStore, user: &UserId, profiles: &[ProfileDraft]) {
    let lease = claimed(store, user).await;
    let counts = store
        .apply_page(&lease, page(profiles, &[]))
        .await
        .expect("apply");
    store
        .end_run(&lease, completed(counts, false, None, None))
        .await
        .expect("complete");
}

/// The generation of the user's stored connection, as a run loads it at its start.
pub async fn grant(store: &PgStore, user: &UserId) -> Option<i64> {
    store
        .find_connection(user)
        .await
        .expect("find connection")
        .map(|connection| connection.generation)
}

/// A completed run's end with `counts`, finished now.
pub fn completed(
    counts: JobCounts,
    full_listing: bool,
    token: Option<&str>,
    grant: Option<i64>,
) -> RunEnd {
    RunEnd {
        counts,
        finished_at: now(),
        grant,
        ending: RunEnding::Completed {
            sync_token: token.map(Secret::new),
            full_listing,
        },
    }
}

/// A failed attempt's end: queued again at `retry_at` when given, else failed for good (a
/// transient failure with `message`).
pub fn failed(
    message: &str,
    counts: JobCounts,
    retry_at: Option<DateTime<Utc>>,
    grant: Option<i64>,
) -> RunEnd {
    let ending = match retry_at {
        Some(retry_at) => RunEnding::Retrying {
            message: message.to_owned(),
            retry_at,
        },
        None => RunEnding::Failed {
            failure: SyncFailure {
                kind: FailureKind::Transient,
                message: message.to_owned(),
            },
            jitter: 0.0,
        },
    };
    RunEnd {
        counts,
        finished_at: now(),
        grant,
        ending,
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Runs a `SELECT count(*) AS count ...` on the database.
pub async fn count(database: &TestDatabase, sql: &str) -> i64 {
    let mut connection = database.connect().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut connection)
        .await
        .expect("count query")
        .count
}

/// Runs a statement and returns its error message, if it failed.
pub async fn execute(database: &TestDatabase, sql: &str) -> Result<(), String> {
    use diesel_async::SimpleAsyncConnection;
    let mut connection = database.connect().await;
    connection
        .batch_execute(sql)
        .await
        .map_err(|e| e.to_string())
}

/// The resource names of the user's live profiles, sorted.
pub async fn live(store: &PgStore, u: &UserId) -> Vec<String> {
    let page = store
        .list_profiles(&ProfileQuery {
            user_id: u.clone(),
            limit: 1000,
            cursor: None,
            search: None,
            include_deleted: false,
        })
        .await
        .unwrap();
    let mut ids: Vec<_> = page.items.into_iter().map(|p| p.source_id).collect();
    ids.sort();
    ids
}

/// The end of a run whose grant Google refused (reconnect, pause), finished now.
pub fn refused(grant: Option<i64>) -> RunEnd {
    RunEnd {
        counts: JobCounts::default(),
        finished_at: now(),
        grant,
        ending: RunEnding::Failed {
            failure: SyncFailure {
                kind: FailureKind::Authorization,
                message: "Google access was revoked; reconnect Google".to_owned(),
            },
            jitter: 0.0,
        },
    }
}
