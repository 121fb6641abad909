//! The change feed (`ProfileRepository::profile_changes`): every profile write takes a number
//! (created, updated, renamed, deleted, swept, restored, retired with a previous Google account)
//! and an unchanged row keeps its own; and the sequence trap: with one transaction of a workspace
//! held open after it took a number, no later number of that workspace becomes visible before it
//! (the other writer waits for the workspace's lock, another workspace's does not), so a reader
//! polling in between still gets every change once, in order. Without the lock, the same
//! interleaving makes a reader skip a change for good.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use pulse_domain::ports::{
    ChangeQuery, ConnectionRepository, ProfileChangeItem, ProfileRepository, SyncRunStore,
};
use pulse_domain::{ChangeCursor, ChangeKind, NewConnection, Secret, UserId};
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;

use crate::support::{claimed, completed, count, draft, now, page, seed_profiles, user};

/// How long a step may hang before the test fails instead (a guard against a deadlock, not a
/// measure of speed).
const HANG_GUARD: Duration = Duration::from_secs(60);

/// The changes of `user` after `after`, all of them (pages of 2, to go through the cursors).
async fn changes_after(
    store: &PgStore,
    user: &UserId,
    after: ChangeCursor,
) -> (Vec<ProfileChangeItem>, ChangeCursor) {
    let mut items = Vec::new();
    let mut cursor = after;
    loop {
        let page = store
            .profile_changes(&ChangeQuery {
                user_id: user.clone(),
                after: cursor,
                limit: 2,
            })
            .await
            .expect("the feed is read");
        if page.items.is_empty() {
            assert_eq!(page.next, cursor, "an empty page keeps the cursor");
            return (items, cursor);
        }
        assert!(page.next > cursor);
        cursor = page.next;
        items.extend(page.items);
    }
}

/// `(change, source_id)` of each item.
fn summary(items: &[ProfileChangeItem]) -> Vec<(ChangeKind, String)> {
    items
        .iter()
        .map(|item| (item.change, item.profile.source_id.clone()))
        .collect()
}

fn expected(pairs: &[(ChangeKind, &str)]) -> Vec<(ChangeKind, String)> {
    pairs
        .iter()
        .map(|(change, name)| (*change, (*name).to_owned()))
        .collect()
}

/// The end of `user`'s feed now.
async fn end_of_feed(store: &PgStore, user: &UserId) -> ChangeCursor {
    changes_after(store, user, ChangeCursor::START).await.1
}

#[tokio::test]
async fn every_write_takes_a_number_and_an_unchanged_profile_keeps_its_own() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let ada = user("ada");
    seed_profiles(
        &store,
        &ada,
        &[
            draft("people/1", "e1", "Ann One"),
            draft("people/2", "e1", "Bob Two"),
            draft("people/3", "e1", "Cy Three"),
            draft("people/4", "e1", "Di Four"),
        ],
    )
    .await;
    let (first, start) = changes_after(&store, &ada, ChangeCursor::START).await;
    assert_eq!(first.len(), 4);
    assert!(first.iter().all(|item| item.change == ChangeKind::Created));
    assert!(first.windows(2).all(|pair| pair[0].seq < pair[1].seq));

    // A full listing: 1 unchanged, 2 edited, 3 renamed (same etag), 4 not listed (swept).
    let lease = claimed(&store, &ada).await;
    let mut renamed = draft("people/3b", "e1", "Cy Three");
    renamed.previous_source_ids = vec!["people/3".to_owned()];
    let drafts = [
        draft("people/1", "e1", "Ann One"),
        draft("people/2", "e2", "Bob Twice"),
        renamed,
    ];
    let counts = store
        .apply_page(&lease, page(&drafts, &[]))
        .await
        .expect("the page is written");
    assert_eq!(counts.unchanged, 2, "the unchanged and the renamed one");
    store
        .end_run(&lease, completed(counts, true, None, None))
        .await
        .expect("the run ends");
    let (second, after_second) = changes_after(&store, &ada, start).await;
    assert_eq!(
        summary(&second),
        expected(&[
            (ChangeKind::Updated, "people/3b"),
            (ChangeKind::Updated, "people/2"),
            (ChangeKind::Deleted, "people/4"),
        ]),
        "the rename comes first (its statement runs before the page's upserts)"
    );
    assert!(second[2].profile.deleted_at.is_some());

    // 4 seen again: restored, which is a creation to the feed; then 1 reported deleted. (Two
    // pages: the writes of one statement come in no particular order among themselves.)
    let lease = claimed(&store, &ada).await;
    let restored = [draft("people/4", "e1", "Di Four")];
    let deletions = ["people/1".to_owned()];
    let mut counts = store
        .apply_page(&lease, page(&restored, &[]))
        .await
        .expect("the page is written");
    let mut deletion = page(&[], &deletions);
    deletion.counts_before = counts;
    counts.add(
        &store
            .apply_page(&lease, deletion)
            .await
            .expect("the page is written"),
    );
    store
        .end_run(&lease, completed(counts, false, None, None))
        .await
        .expect("the run ends");
    let (third, _) = changes_after(&store, &ada, after_second).await;
    assert_eq!(
        summary(&third),
        expected(&[
            (ChangeKind::Created, "people/4"),
            (ChangeKind::Deleted, "people/1"),
        ])
    );

    // From the start: every profile once, in the order of its latest write.
    let (all, _) = changes_after(&store, &ada, ChangeCursor::START).await;
    assert_eq!(
        summary(&all),
        expected(&[
            (ChangeKind::Updated, "people/3b"),
            (ChangeKind::Updated, "people/2"),
            (ChangeKind::Created, "people/4"),
            (ChangeKind::Deleted, "people/1"),
        ])
    );
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM relationship_profiles \
             WHERE (last_change = 'deleted') <> (deleted_at IS NOT NULL)"
        )
        .await,
        0
    );
}

fn connection_to(user: &UserId, account: &str) -> NewConnection {
    NewConnection {
        user_id: user.clone(),
        google_account_id: Some(account.to_owned()),
        google_email: Some(format!("{account}@example.com")),
        refresh_token: Secret::new(format!("refresh-{account}")),
        access_token_expires_at: None,
        scopes: vec!["contacts.readonly".to_owned()],
    }
}

#[tokio::test]
async fn connecting_another_google_account_reports_the_previous_ones_profiles_deleted() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let ada = user("ada");
    store
        .save_connection(&connection_to(&ada, "first"), now())
        .await
        .expect("connected");
    seed_profiles(
        &store,
        &ada,
        &[
            draft("people/1", "e1", "Ann One"),
            draft("people/2", "e1", "Bob Two"),
        ],
    )
    .await;
    let start = end_of_feed(&store, &ada).await;
    store
        .save_connection(&connection_to(&ada, "first"), now())
        .await
        .expect("the same account again");
    assert_eq!(changes_after(&store, &ada, start).await.0, Vec::new());
    store
        .save_connection(&connection_to(&ada, "second"), now())
        .await
        .expect("another account");
    let (retired, _) = changes_after(&store, &ada, start).await;
    let mut names = summary(&retired);
    names.sort();
    assert_eq!(
        names,
        expected(&[
            (ChangeKind::Deleted, "people/1"),
            (ChangeKind::Deleted, "people/2"),
        ])
    );
}

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    change_seq: i64,
}

/// Begins a transaction on a connection of its own; with `lock`, it takes `user`'s profile lock
/// first, as every writer of the service does.
async fn begin(database: &TestDatabase, user: &str, lock: bool) -> AsyncPgConnection {
    let mut connection = database.connect().await;
    connection.batch_execute("BEGIN").await.expect("begin");
    if lock {
        diesel::sql_query("SELECT pulse_lock_profiles_of($1)")
            .bind::<Text, _>(user)
            .execute(&mut connection)
            .await
            .expect("the workspace lock");
    }
    connection
}

/// Renames a profile's display name inside an open transaction, taking a change number (the
/// write of the service's statements); returns the number.
async fn write_in(connection: &mut AsyncPgConnection, user: &str, source_id: &str) -> i64 {
    diesel::sql_query(
        "UPDATE relationship_profiles SET display_name = display_name || ' (held)', \
             updated_at = now(), last_change = 'updated', \
             change_seq = nextval('relationship_profile_change_seq') \
         WHERE user_id = $1 AND source_id = $2 RETURNING change_seq",
    )
    .bind::<Text, _>(user)
    .bind::<Text, _>(source_id)
    .get_result::<Seq>(connection)
    .await
    .expect("the held write")
    .change_seq
}

/// Waits until a backend of this database waits for an advisory lock.
async fn until_a_writer_waits_for_the_lock(database: &TestDatabase) {
    let waiting = "SELECT count(*) AS count FROM pg_locks l \
                   JOIN pg_database d ON d.oid = l.database \
                   WHERE d.datname = current_database() AND l.locktype = 'advisory' \
                     AND NOT l.granted";
    tokio::time::timeout(HANG_GUARD, async {
        while count(database, waiting).await == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the second writer waits for the workspace lock");
}

#[tokio::test]
async fn a_held_transaction_keeps_later_changes_of_its_workspace_behind_it_and_no_change_is_skipped()
 {
    let database = TestDatabase::new().await;
    let store = database.store();
    let (ada, bob) = (user("ada"), user("bob"));
    let profiles = [
        draft("people/1", "e1", "Ann One"),
        draft("people/2", "e1", "Bob Two"),
    ];
    seed_profiles(&store, &ada, &profiles).await;
    seed_profiles(&store, &bob, &profiles).await;
    let reader = end_of_feed(&store, &ada).await;

    // One transaction of ada's takes the lock, writes (a number), and stays open.
    let mut held = begin(&database, "ada", true).await;
    let held_seq = write_in(&mut held, "ada", "people/1").await;

    // The sync's page write of ada's must wait for the lock, before it takes any number.
    let lease = claimed(&store, &ada).await;
    let blocked = tokio::spawn({
        let store = store.clone();
        let lease = lease.clone();
        async move {
            let edited = [draft("people/2", "e2", "Bob Twice")];
            store.apply_page(&lease, page(&edited, &[])).await
        }
    });
    until_a_writer_waits_for_the_lock(&database).await;

    // Another workspace's write is not held up: it commits a number above the held one.
    let bob_lease = claimed(&store, &bob).await;
    let bob_edit = [draft("people/1", "e2", "Ann Again")];
    tokio::time::timeout(
        HANG_GUARD,
        store.apply_page(&bob_lease, page(&bob_edit, &[])),
    )
    .await
    .expect("bob's write is not blocked by ada's lock")
    .expect("bob's page is written");
    let bob_changes = changes_after(&store, &bob, ChangeCursor::START).await.0;
    let bob_seq = bob_changes
        .iter()
        .find(|item| item.profile.source_id == "people/1")
        .map(|item| item.seq)
        .expect("bob's change is visible");
    assert!(bob_seq > held_seq, "a higher number committed first");

    // Ada's reader polls in between: nothing yet (the held change is not committed, and the
    // waiting writer has no number), so its cursor stays where it was.
    let (between, cursor) = changes_after(&store, &ada, reader).await;
    assert_eq!(between, Vec::new());
    assert_eq!(cursor, reader);
    assert!(!blocked.is_finished());

    held.batch_execute("COMMIT").await.expect("commit");
    tokio::time::timeout(HANG_GUARD, blocked)
        .await
        .expect("the page write goes on once the lock is free")
        .expect("the task ran")
        .expect("the page is written");

    let (after, _) = changes_after(&store, &ada, cursor).await;
    assert_eq!(
        summary(&after),
        expected(&[
            (ChangeKind::Updated, "people/1"),
            (ChangeKind::Updated, "people/2"),
        ]),
        "every change once, in order"
    );
    assert_eq!(after[0].seq, held_seq);
    assert!(
        after[1].seq > bob_seq,
        "the waiting writer took its number only after the held transaction committed"
    );
}

#[tokio::test]
async fn without_the_workspace_lock_the_same_interleaving_makes_a_reader_skip_a_change() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let ada = user("ada");
    seed_profiles(
        &store,
        &ada,
        &[
            draft("people/1", "e1", "Ann One"),
            draft("people/2", "e1", "Bob Two"),
        ],
    )
    .await;
    let reader = end_of_feed(&store, &ada).await;

    // The trap the lock prevents: a lower number held open while a higher one commits.
    let mut low = begin(&database, "ada", false).await;
    let low_seq = write_in(&mut low, "ada", "people/1").await;
    let mut high = begin(&database, "ada", false).await;
    let high_seq = write_in(&mut high, "ada", "people/2").await;
    high.batch_execute("COMMIT").await.expect("commit");
    assert!(low_seq < high_seq);

    let (seen, cursor) = changes_after(&store, &ada, reader).await;
    assert_eq!(
        summary(&seen),
        expected(&[(ChangeKind::Updated, "people/2")])
    );
    low.batch_execute("COMMIT").await.expect("commit");
    let (later, _) = changes_after(&store, &ada, cursor).await;
    assert_eq!(
        later,
        Vec::new(),
        "the lower number committed below the reader's cursor: skipped for good"
    );
    let (everything, _) = changes_after(&store, &ada, reader).await;
    assert_eq!(everything.len(), 2, "a reader from before sees both");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runs_end_and_a_reconnect_of_one_workspace_wait_for_each_other_instead_of_deadlocking() {
    // The end of a complete listing locks the unseen profiles, then the job and the connection;
    // a reconnect to another account locks the connection, then the profiles. Each takes the
    // workspace lock first, so they queue on it instead of holding what the other waits for.
    let database = TestDatabase::new().await;
    let store = database.store();
    let ada = user("ada");
    let accounts = ["first", "second"];
    store
        .save_connection(&connection_to(&ada, accounts[0]), now())
        .await
        .expect("connected");
    for round in 0..12_usize {
        let unseen: Vec<_> = (0..20)
            .map(|n| draft(&format!("people/{round}-old-{n}"), "e1", "Old Person"))
            .collect();
        seed_profiles(&store, &ada, &unseen).await;
        let lease = claimed(&store, &ada).await;
        let listed: Vec<_> = (0..20)
            .map(|n| draft(&format!("people/{round}-new-{n}"), "e1", "New Person"))
            .collect();
        let counts = store
            .apply_page(&lease, page(&listed, &[]))
            .await
            .expect("the page is written");
        let grant = crate::support::grant(&store, &ada).await;
        let reconnect = connection_to(&ada, accounts[(round + 1) % 2]);
        let (ended, reconnected) = tokio::join!(
            store.end_run(&lease, completed(counts, true, Some("token"), grant)),
            store.save_connection(&reconnect, now()),
        );
        ended.expect("the run's end commits");
        reconnected.expect("the reconnect commits");
    }
    let (everything, _) = changes_after(&store, &ada, ChangeCursor::START).await;
    assert!(
        everything
            .iter()
            .all(|item| item.change == ChangeKind::Deleted),
        "every profile went with its account or its listing"
    );
}
