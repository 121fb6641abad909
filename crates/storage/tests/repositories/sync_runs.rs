//! `SyncRunStore`: page writes (created, updated, unchanged, deleted, restored, renamed),
//! progress, completion with the deletion sweep and sealed token, and failure.

use chrono::TimeDelta;
use diesel::QueryableByName;
use diesel::sql_types::{Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use pulse_domain::ports::{
    ConnectionRepository, JobQueue, JobRepository, PageWrite, ProfileQuery, ProfileRepository,
    StoreError, SyncRunStore,
};
use pulse_domain::{JobCounts, JobStatus, NewConnection, ProfileDraft, Secret};
use pulse_storage::testing::TestDatabase;

use crate::support::{at, claimed, completed, count, draft, failed, grant, live, now, page, user};

#[derive(Debug, QueryableByName, PartialEq, Eq)]
struct Row {
    #[diesel(sql_type = Text)]
    source_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    etag: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    deleted_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn rows(database: &TestDatabase, user_id: &str) -> Vec<Row> {
    let mut connection = database.connect().await;
    diesel::sql_query(
        "SELECT source_id, etag, deleted_at FROM relationship_profiles \
         WHERE user_id = $1 ORDER BY source_id",
    )
    .bind::<Text, _>(user_id)
    .load(&mut connection)
    .await
    .expect("rows")
}

fn counts(
    total: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    deleted: i64,
    reported: i64,
) -> JobCounts {
    JobCounts {
        total_contacts: total,
        synced: created + updated + unchanged,
        created,
        updated,
        unchanged,
        deleted,
        skipped_no_identifier: total - created - updated - unchanged - reported,
        reported_deletions: reported,
    }
}

#[tokio::test]
async fn a_page_creates_profiles_with_all_fields_and_records_progress() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("writer");
    let lease = claimed(&store, &u).await;
    let mut ada = draft("people/1", "e1", "Ada Lovelace");
    ada.phones = vec!["+441234567".to_owned(), "02079460000".to_owned()];
    ada.photo_url = Some("https://example.com/ada.jpg".to_owned());
    let profiles = vec![ada.clone(), draft("people/2", "e2", "Grace Hopper")];
    let before = counts(10, 3, 1, 2, 0, 0);
    let write = PageWrite {
        profiles: &profiles,
        deletions: &[],
        skipped_no_identifier: 5,
        retired: &[],
        counts_before: before,
    };
    let page_counts = store.apply_page(&lease, write).await.unwrap();
    assert_eq!(page_counts, counts(7, 2, 0, 0, 0, 0));
    assert!(page_counts.adds_up());

    let job = store.find_job(lease.job_id).await.unwrap().expect("job");
    let mut progress = before;
    progress.add(&page_counts);
    assert_eq!(job.counts, progress);
    assert_eq!(job.fetched, 17);
    assert_eq!(job.status, JobStatus::Running);

    let listed = store
        .list_profiles(&ProfileQuery {
            user_id: u.clone(),
            limit: 10,
            cursor: None,
            search: None,
            include_deleted: false,
        })
        .await
        .unwrap();
    let stored = &listed.items[0];
    assert_eq!(stored.source_id, "people/1");
    assert_eq!(stored.display_name, ada.display_name);
    assert_eq!(stored.given_name.as_deref(), Some("Ada"));
    assert_eq!(stored.family_name.as_deref(), Some("Lovelace"));
    assert_eq!(stored.primary_email, ada.primary_email);
    assert_eq!(stored.emails, ada.emails);
    assert_eq!(stored.phones, ada.phones);
    assert_eq!(stored.organization.as_deref(), Some("Acme"));
    assert_eq!(stored.title.as_deref(), Some("Engineer"));
    assert_eq!(stored.photo_url, ada.photo_url);
    assert_eq!(stored.etag.as_deref(), Some("e1"));
    assert_eq!(stored.deleted_at, None);
}

#[tokio::test]
async fn the_same_page_again_is_unchanged_and_etag_changes_are_updates() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("idempotent");
    let profiles = vec![
        draft("people/1", "e1", "Ada"),
        draft("people/2", "e2", "Grace"),
    ];
    let lease = claimed(&store, &u).await;
    assert_eq!(
        store
            .apply_page(&lease, page(&profiles, &[]))
            .await
            .unwrap(),
        counts(2, 2, 0, 0, 0, 0)
    );
    assert_eq!(
        store
            .apply_page(&lease, page(&profiles, &[]))
            .await
            .unwrap(),
        counts(2, 0, 0, 2, 0, 0)
    );

    let mut edited = profiles.clone();
    edited[1].etag = Some("e2-edited".to_owned());
    edited[1].display_name = Some("Grace B. Hopper".to_owned());
    assert_eq!(
        store.apply_page(&lease, page(&edited, &[])).await.unwrap(),
        counts(2, 0, 1, 1, 0, 0)
    );
    let stored = rows(&database, "idempotent").await;
    assert_eq!(stored[1].etag.as_deref(), Some("e2-edited"));
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM relationship_profiles"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn deletions_mark_live_profiles_and_a_returning_profile_is_restored() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("deleter");
    let profiles = vec![
        draft("people/1", "e1", "Ada"),
        draft("people/2", "e2", "Grace"),
    ];
    let lease = claimed(&store, &u).await;
    store
        .apply_page(&lease, page(&profiles, &[]))
        .await
        .unwrap();

    let deletions = vec!["people/2".to_owned(), "people/never-seen".to_owned()];
    assert_eq!(
        store
            .apply_page(&lease, page(&[], &deletions))
            .await
            .unwrap(),
        counts(2, 0, 0, 0, 1, 2)
    );
    // Deleting again counts Google's report but marks nothing new.
    assert_eq!(
        store
            .apply_page(&lease, page(&[], &deletions[..1]))
            .await
            .unwrap(),
        counts(1, 0, 0, 0, 0, 1)
    );
    assert_eq!(live(&store, &u).await, vec!["people/1"]);
    assert!(rows(&database, "deleter").await[1].deleted_at.is_some());

    // The same etag comes back: still an update, since the profile was deleted.
    assert_eq!(
        store
            .apply_page(&lease, page(&profiles[1..], &[]))
            .await
            .unwrap(),
        counts(1, 0, 1, 0, 0, 0)
    );
    assert_eq!(live(&store, &u).await, vec!["people/1", "people/2"]);
}

#[tokio::test]
async fn a_renamed_resource_updates_its_profile_instead_of_duplicating_it() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("renamer");
    let lease = claimed(&store, &u).await;
    store
        .apply_page(&lease, page(&[draft("people/old", "e1", "Ada")], &[]))
        .await
        .unwrap();
    let mut renamed = draft("people/new", "e2", "Ada");
    renamed.previous_source_ids = vec!["people/old".to_owned()];
    assert_eq!(
        store
            .apply_page(&lease, page(&[renamed.clone()], &[]))
            .await
            .unwrap(),
        counts(1, 0, 1, 0, 0, 0)
    );
    let stored = rows(&database, "renamer").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].source_id, "people/new");
    assert_eq!(stored[0].etag.as_deref(), Some("e2"));

    // Both names already stored: the new one is kept, the old one is marked deleted.
    store
        .apply_page(&lease, page(&[draft("people/older", "e0", "Ada")], &[]))
        .await
        .unwrap();
    let mut merged = draft("people/new", "e3", "Ada");
    merged.previous_source_ids = vec!["people/older".to_owned()];
    assert_eq!(
        store
            .apply_page(&lease, page(&[merged], &[]))
            .await
            .unwrap(),
        counts(1, 0, 1, 0, 1, 0)
    );
    assert_eq!(live(&store, &u).await, vec!["people/new"]);
}

#[tokio::test]
async fn a_complete_full_listing_deletes_what_it_did_not_see_and_stores_the_token() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("full");
    let connection = NewConnection {
        user_id: u.clone(),
        google_account_id: None,
        google_email: None,
        refresh_token: Secret::new("1//refresh"),
        access_token_expires_at: None,
        scopes: Vec::new(),
    };
    store.save_connection(&connection, at(0)).await.unwrap();
    let everyone: Vec<ProfileDraft> = (1..=4)
        .map(|n| draft(&format!("people/{n}"), "e", &format!("P{n}")))
        .collect();
    let first = claimed(&store, &u).await;
    let written = store
        .apply_page(&first, page(&everyone, &[]))
        .await
        .unwrap();
    store
        .end_run(
            &first,
            completed(written, true, Some("token-1"), grant(&store, &u).await),
        )
        .await
        .unwrap();
    // Someone else's profiles are never swept.
    crate::support::seed_profiles(&store, &user("bystander"), &everyone).await;

    let second = claimed(&store, &u).await;
    let seen = store
        .apply_page(&second, page(&everyone[..1], &[]))
        .await
        .unwrap();
    let seen2 = store
        .apply_page(&second, page(&everyone[2..3], &[]))
        .await
        .unwrap();
    let mut total = seen;
    total.add(&seen2);
    let final_counts = store
        .end_run(
            &second,
            completed(total, true, Some("token-2"), grant(&store, &u).await),
        )
        .await
        .unwrap();
    assert_eq!(final_counts.deleted, 2);
    assert_eq!(final_counts.unchanged, 2);
    assert_eq!(live(&store, &u).await, vec!["people/1", "people/3"]);
    assert_eq!(live(&store, &user("bystander")).await.len(), 4);

    let job = store.find_job(second.job_id).await.unwrap().expect("job");
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.counts, final_counts);
    assert_eq!(job.fetched, final_counts.total_contacts);
    assert!(job.finished_at.is_some());
    assert_eq!(job.lease_expires_at, None);
    let stored = store
        .find_connection(&u)
        .await
        .unwrap()
        .expect("connection");
    assert_eq!(stored.sync_token, Some(Secret::new("token-2")));
}

#[tokio::test]
async fn an_incremental_run_deletes_only_what_google_reported() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("incremental");
    let everyone: Vec<ProfileDraft> = (1..=3)
        .map(|n| draft(&format!("people/{n}"), "e", &format!("P{n}")))
        .collect();
    crate::support::seed_profiles(&store, &u, &everyone).await;
    let lease = claimed(&store, &u).await;
    let changed = store
        .apply_page(&lease, page(&everyone[..1], &[]))
        .await
        .unwrap();
    let final_counts = store
        .end_run(&lease, completed(changed, false, None, None))
        .await
        .unwrap();
    assert_eq!(final_counts.deleted, 0);
    assert_eq!(live(&store, &u).await.len(), 3);
}

#[tokio::test]
async fn a_listing_that_fails_half_way_deletes_nothing_and_keeps_its_pages() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("half-way");
    let everyone: Vec<ProfileDraft> = (1..=3)
        .map(|n| draft(&format!("people/{n}"), "e", &format!("P{n}")))
        .collect();
    crate::support::seed_profiles(&store, &u, &everyone).await;
    let lease = claimed(&store, &u).await;
    let partial = store
        .apply_page(&lease, page(&everyone[..1], &[]))
        .await
        .unwrap();
    let retry_at = now() + TimeDelta::minutes(5);
    store
        .end_run(
            &lease,
            failed("Google is unavailable", partial, Some(retry_at), None),
        )
        .await
        .unwrap();
    assert_eq!(live(&store, &u).await.len(), 3);

    let job = store.find_job(lease.job_id).await.unwrap().expect("job");
    assert_eq!(job.status, JobStatus::Queued);
    assert_eq!(job.run_after, retry_at);
    assert_eq!(job.worker_id, None);
    assert_eq!(job.lease_expires_at, None);
    assert_eq!(job.error.as_deref(), Some("Google is unavailable"));
    assert_eq!(job.counts, partial);
    assert!(
        store
            .claim_jobs("w", 1, TimeDelta::minutes(1), now())
            .await
            .unwrap()
            .is_empty()
    );
    let retry = store
        .claim_jobs("w", 1, TimeDelta::minutes(1), retry_at)
        .await
        .unwrap();
    assert_eq!(retry[0].attempt, lease.attempt + 1);
    assert_eq!(
        store
            .find_job(lease.job_id)
            .await
            .unwrap()
            .expect("job")
            .counts,
        JobCounts::default(),
        "a new attempt starts its progress afresh"
    );

    store
        .end_run(
            &retry[0],
            failed("Google refused", JobCounts::default(), None, None),
        )
        .await
        .unwrap();
    let ended = store.find_job(lease.job_id).await.unwrap().expect("job");
    assert_eq!(ended.status, JobStatus::Failed);
    assert!(ended.finished_at.is_some());
    assert_eq!(ended.error.as_deref(), Some("Google refused"));
    assert_eq!(
        store
            .end_run(&retry[0], failed("again", JobCounts::default(), None, None))
            .await,
        Err(StoreError::LeaseLost)
    );
}

#[tokio::test]
async fn a_page_of_a_thousand_people_is_written_in_one_go() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("large");
    let people: Vec<ProfileDraft> = (0..1000)
        .map(|n| draft(&format!("people/c{n}"), "e", &format!("Person {n}")))
        .collect();
    let lease = claimed(&store, &u).await;
    assert_eq!(
        store.apply_page(&lease, page(&people, &[])).await.unwrap(),
        counts(1000, 1000, 0, 0, 0, 0)
    );
    assert_eq!(
        store.apply_page(&lease, page(&people, &[])).await.unwrap(),
        counts(1000, 0, 0, 1000, 0, 0)
    );
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM relationship_profiles"
        )
        .await,
        1000
    );
}

#[tokio::test]
async fn a_stored_person_who_lost_every_identifier_is_marked_deleted() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("retired");
    let people = vec![
        draft("people/1", "e1", "Ada"),
        draft("people/2", "e2", "Grace"),
    ];
    let lease = claimed(&store, &u).await;
    store.apply_page(&lease, page(&people, &[])).await.unwrap();

    let retired = vec!["people/2".to_owned(), "people/never-stored".to_owned()];
    let write = PageWrite {
        profiles: &people[..1],
        deletions: &[],
        skipped_no_identifier: 2,
        retired: &retired,
        counts_before: JobCounts::default(),
    };
    let page_counts = store.apply_page(&lease, write).await.unwrap();
    assert_eq!(page_counts, counts(3, 0, 0, 1, 1, 0));
    assert!(page_counts.adds_up());
    assert_eq!(live(&store, &u).await, vec!["people/1"]);
}
