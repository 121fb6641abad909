//! `ProfileRepository`: order by name then id, keyset pages, escaped search, deleted profiles.

use pulse_domain::ports::{ProfileQuery, ProfileRepository, StoreError, SyncRunStore};
use pulse_domain::{ProfileDraft, UserId};
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;

use crate::support::{claimed, draft, page, seed_profiles, user};

fn query(u: &UserId, limit: i64) -> ProfileQuery {
    ProfileQuery {
        user_id: u.clone(),
        limit,
        cursor: None,
        search: None,
        include_deleted: false,
    }
}

async fn names(store: &PgStore, query: &ProfileQuery) -> Vec<Option<String>> {
    store
        .list_profiles(query)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|p| p.display_name)
        .collect()
}

fn unnamed(source_id: &str) -> ProfileDraft {
    ProfileDraft {
        display_name: None,
        ..draft(source_id, "e", "Nameless")
    }
}

#[tokio::test]
async fn profiles_are_listed_by_name_then_id_and_paged_without_gaps() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("lister");
    let mut people: Vec<ProfileDraft> = ["Mia", "Ada", "Zoe", "Ada", "Bob", "Eve", "Ian"]
        .iter()
        .enumerate()
        .map(|(n, name)| draft(&format!("people/{n}"), "e", name))
        .collect();
    people.push(unnamed("people/unnamed"));
    seed_profiles(&store, &u, &people).await;
    seed_profiles(&store, &user("other"), &[draft("people/x", "e", "Aaron")]).await;

    let all = names(&store, &query(&u, 100)).await;
    let expected: Vec<Option<String>> = [
        None,
        Some("Ada"),
        Some("Ada"),
        Some("Bob"),
        Some("Eve"),
        Some("Ian"),
        Some("Mia"),
        Some("Zoe"),
    ]
    .into_iter()
    .map(|name| name.map(str::to_owned))
    .collect();
    assert_eq!(all, expected);

    let mut paged = Vec::new();
    let mut q = query(&u, 3);
    let mut pages = 0;
    loop {
        let page = store.list_profiles(&q).await.unwrap();
        pages += 1;
        paged.extend(page.items.into_iter().map(|p| (p.display_name, p.id)));
        match page.next_cursor {
            Some(cursor) => q.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        paged
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>(),
        expected
    );
    let mut ids: Vec<_> = paged.iter().map(|(_, id)| *id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
}

#[tokio::test]
async fn search_matches_name_or_email_case_insensitively_with_literal_wildcards() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("searcher");
    let mut percent = draft("people/3", "e", "Sale 100% Off");
    percent.primary_email = Some("deals@shop.example".to_owned());
    let people = vec![
        draft("people/1", "e", "Ada Lovelace"),
        draft("people/2", "e", "Grace Hopper"),
        percent,
        draft("people/4", "e", "Under_Score"),
    ];
    seed_profiles(&store, &u, &people).await;
    let search = |text: &str| ProfileQuery {
        search: Some(text.to_owned()),
        ..query(&u, 50)
    };
    assert_eq!(
        names(&store, &search("LOVE")).await,
        vec![Some("Ada Lovelace".to_owned())]
    );
    assert_eq!(
        names(&store, &search("grace.hopper@")).await,
        vec![Some("Grace Hopper".to_owned())]
    );
    assert_eq!(
        names(&store, &search("0%")).await,
        vec![Some("Sale 100% Off".to_owned())]
    );
    assert_eq!(
        names(&store, &search("a_e")).await,
        Vec::<Option<String>>::new()
    );
    assert_eq!(
        names(&store, &search("DER_sc")).await,
        vec![Some("Under_Score".to_owned())]
    );
    assert_eq!(names(&store, &search("%")).await.len(), 1);
    assert_eq!(names(&store, &search("  ")).await.len(), 4);
}

#[tokio::test]
async fn deleted_profiles_are_hidden_unless_asked_for() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("with-deleted");
    seed_profiles(
        &store,
        &u,
        &[draft("people/1", "e", "Ada"), draft("people/2", "e", "Bob")],
    )
    .await;
    let lease = claimed(&store, &u).await;
    store
        .apply_page(&lease, page(&[], &["people/2".to_owned()]))
        .await
        .unwrap();

    assert_eq!(
        names(&store, &query(&u, 10)).await,
        vec![Some("Ada".to_owned())]
    );
    let everything = store
        .list_profiles(&ProfileQuery {
            include_deleted: true,
            ..query(&u, 10)
        })
        .await
        .unwrap();
    assert_eq!(everything.items.len(), 2);
    assert!(everything.items[1].deleted_at.is_some());
    assert!(everything.items[0].deleted_at.is_none());
}

#[tokio::test]
async fn a_cursor_that_was_not_issued_is_refused() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let bad = ProfileQuery {
        cursor: Some("not-a-cursor".to_owned()),
        ..query(&user("u"), 10)
    };
    assert_eq!(
        store.list_profiles(&bad).await,
        Err(StoreError::InvalidCursor)
    );
}
