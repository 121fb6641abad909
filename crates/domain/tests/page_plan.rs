//! `plan_page`: what a page does to the stored profiles (created, updated, unchanged, renamed,
//! repeated, retired) and its counts, decided against the stored rows under the page's names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_domain::ports::PageWrite;
use pulse_domain::sync::{
    PagePlan, ProfileChange, Rename, StoredName, names_to_look_up, plan_page,
};
use pulse_domain::{JobCounts, ProfileDraft};
use uuid::Uuid;

fn draft(name: &str, etag: &str) -> ProfileDraft {
    ProfileDraft {
        source_id: name.to_owned(),
        previous_source_ids: Vec::new(),
        etag: Some(etag.to_owned()),
        display_name: Some(format!("Person {name}")),
        given_name: None,
        family_name: None,
        primary_email: Some(format!("{}@example.com", name.replace('/', "."))),
        emails: vec![format!("{}@example.com", name.replace('/', "."))],
        phones: Vec::new(),
        organization: None,
        title: None,
        photo_url: None,
    }
}

fn renamed(name: &str, etag: &str, former: &[&str]) -> ProfileDraft {
    ProfileDraft {
        previous_source_ids: former.iter().map(|f| (*f).to_owned()).collect(),
        ..draft(name, etag)
    }
}

fn row(id: u128, name: &str, etag: &str, deleted: bool) -> StoredName {
    StoredName {
        id: Uuid::from_u128(id),
        source_id: name.to_owned(),
        etag: Some(etag.to_owned()),
        deleted,
    }
}

fn page<'a>(
    profiles: &'a [ProfileDraft],
    deletions: &'a [String],
    retired: &'a [String],
    skipped: i64,
) -> PageWrite<'a> {
    PageWrite {
        profiles,
        deletions,
        skipped_no_identifier: skipped,
        retired,
        counts_before: JobCounts::default(),
    }
}

fn names(raw: &[&str]) -> Vec<String> {
    raw.iter().map(|n| (*n).to_owned()).collect()
}

fn changes(plan: &PagePlan<'_>) -> Vec<(String, ProfileChange)> {
    plan.writes
        .iter()
        .map(|w| (w.draft.source_id.clone(), w.change))
        .collect()
}

#[test]
fn a_first_page_creates_every_profile_and_counts_the_skips() {
    let profiles = vec![draft("people/1", "a"), draft("people/2", "b")];
    let retired = names(&["people/3"]);
    let plan = plan_page(&page(&profiles, &[], &retired, 1), Vec::new());
    assert_eq!(
        changes(&plan),
        vec![
            ("people/1".to_owned(), ProfileChange::Created),
            ("people/2".to_owned(), ProfileChange::Created),
        ]
    );
    assert!(plan.renames.is_empty() && plan.retire.is_empty());
    assert_eq!(
        plan.counts,
        JobCounts {
            total_contacts: 3,
            synced: 2,
            created: 2,
            skipped_no_identifier: 1,
            ..JobCounts::default()
        }
    );
    assert!(plan.counts.adds_up());
}

#[test]
fn the_etag_and_the_deletion_mark_decide_updated_or_unchanged() {
    let profiles = vec![
        draft("people/same", "e1"),
        draft("people/edited", "e2"),
        draft("people/back", "e1"),
    ];
    let stored = vec![
        row(1, "people/same", "e1", false),
        row(2, "people/edited", "e1", false),
        row(3, "people/back", "e1", true),
    ];
    let plan = plan_page(&page(&profiles, &[], &[], 0), stored);
    assert_eq!(
        changes(&plan),
        vec![
            (
                "people/same".to_owned(),
                ProfileChange::Unchanged(Uuid::from_u128(1))
            ),
            (
                "people/edited".to_owned(),
                ProfileChange::Updated(Uuid::from_u128(2))
            ),
            (
                "people/back".to_owned(),
                ProfileChange::Updated(Uuid::from_u128(3))
            ),
        ]
    );
    assert_eq!((plan.counts.updated, plan.counts.unchanged), (2, 1));
}

#[test]
fn a_repeated_person_is_written_once_in_its_last_version_and_its_repeat_counts_as_unchanged() {
    let profiles = vec![
        draft("people/1", "old"),
        draft("people/2", "x"),
        draft("people/1", "new"),
    ];
    let plan = plan_page(&page(&profiles, &[], &[], 0), Vec::new());
    assert_eq!(plan.writes.len(), 2);
    assert_eq!(plan.writes[0].draft.etag.as_deref(), Some("new"));
    assert_eq!(
        plan.counts,
        JobCounts {
            total_contacts: 3,
            synced: 3,
            created: 2,
            unchanged: 1,
            ..JobCounts::default()
        }
    );
    assert!(plan.counts.adds_up());
}

#[test]
fn a_renamed_person_keeps_its_row_under_the_new_name() {
    let profiles = vec![renamed("people/new", "e1", &["people/old"])];
    let plan = plan_page(
        &page(&profiles, &[], &[], 0),
        vec![row(7, "people/old", "e1", false)],
    );
    assert_eq!(
        plan.renames,
        vec![Rename {
            id: Uuid::from_u128(7),
            source_id: "people/new"
        }]
    );
    assert_eq!(
        changes(&plan),
        vec![(
            "people/new".to_owned(),
            ProfileChange::Unchanged(Uuid::from_u128(7))
        )]
    );
    assert_eq!(plan.counts.created, 0);
}

#[test]
fn when_both_names_have_rows_the_new_one_stays_and_the_live_old_one_is_retired() {
    let profiles = vec![renamed("people/new", "e2", &["people/old", "people/older"])];
    let stored = vec![
        row(1, "people/new", "e1", false),
        row(2, "people/old", "e1", false),
        row(3, "people/older", "e1", true),
    ];
    let plan = plan_page(&page(&profiles, &[], &[], 0), stored);
    assert!(plan.renames.is_empty());
    assert_eq!(plan.retire, vec![Uuid::from_u128(2)]);
    assert_eq!(
        changes(&plan),
        vec![(
            "people/new".to_owned(),
            ProfileChange::Updated(Uuid::from_u128(1))
        )]
    );
    assert_eq!(plan.counts.deleted, 1);
}

#[test]
fn deletions_and_retired_names_retire_live_rows_not_listed_profiles() {
    let profiles = vec![draft("people/kept", "e1")];
    let deletions = names(&[
        "people/gone",
        "people/already",
        "people/never",
        "people/kept",
    ]);
    let retired = names(&["people/lost-email", "people/gone"]);
    let stored = vec![
        row(1, "people/kept", "e1", false),
        row(2, "people/gone", "e1", false),
        row(3, "people/already", "e1", true),
        row(4, "people/lost-email", "e1", false),
    ];
    let plan = plan_page(&page(&profiles, &deletions, &retired, 1), stored);
    assert_eq!(plan.retire, vec![Uuid::from_u128(2), Uuid::from_u128(4)]);
    assert_eq!(
        plan.counts,
        JobCounts {
            total_contacts: 6,
            synced: 1,
            unchanged: 1,
            deleted: 2,
            skipped_no_identifier: 1,
            reported_deletions: 4,
            ..JobCounts::default()
        }
    );
}

#[test]
fn every_name_the_plan_needs_is_looked_up_once() {
    let profiles = vec![
        renamed("people/1", "e", &["people/0"]),
        draft("people/1", "f"),
    ];
    let deletions = names(&["people/2", "people/0"]);
    let retired = names(&["people/3"]);
    let write = page(&profiles, &deletions, &retired, 1);
    assert_eq!(
        names_to_look_up(&write),
        vec!["people/1", "people/0", "people/2", "people/3"]
    );
}
