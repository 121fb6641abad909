//! Properties of `plan_page` over random pages and stored rows drawn from a few names, so that
//! repeats, renames, merges and deletions of stored and unstored names all happen: the counts add
//! up, no stored row is touched twice, only live rows are retired, and applying the plan makes
//! the same page change nothing more.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;
use pulse_domain::ports::PageWrite;
use pulse_domain::sync::{PagePlan, ProfileChange, StoredName, plan_page};
use pulse_domain::{JobCounts, ProfileDraft};
use uuid::Uuid;

/// One of a few resource names.
fn name() -> impl Strategy<Value = String> {
    (0_u8..8).prop_map(|n| format!("people/{n}"))
}

fn etag() -> impl Strategy<Value = Option<String>> {
    prop::option::of((0_u8..3).prop_map(|n| format!("e{n}")))
}

fn draft() -> impl Strategy<Value = ProfileDraft> {
    (name(), prop::collection::vec(name(), 0..3), etag()).prop_map(|(source_id, former, etag)| {
        ProfileDraft {
            previous_source_ids: former.into_iter().filter(|f| *f != source_id).collect(),
            display_name: Some(source_id.clone()),
            source_id,
            etag,
            given_name: None,
            family_name: None,
            primary_email: None,
            emails: vec!["a@example.com".to_owned()],
            phones: Vec::new(),
            organization: None,
            title: None,
            photo_url: None,
        }
    })
}

/// Stored rows under distinct names, with ids 1, 2, ...
fn stored() -> impl Strategy<Value = Vec<StoredName>> {
    prop::collection::btree_map(name(), (etag(), any::<bool>()), 0..8).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(index, (source_id, (etag, deleted)))| StoredName {
                id: Uuid::from_u128(index as u128 + 1),
                source_id,
                etag,
                deleted,
            })
            .collect()
    })
}

#[derive(Debug)]
struct Case {
    profiles: Vec<ProfileDraft>,
    deletions: Vec<String>,
    retired: Vec<String>,
    skipped: i64,
    stored: Vec<StoredName>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(draft(), 0..8),
        prop::collection::vec(name(), 0..3),
        prop::collection::vec(name(), 0..3),
        0_i64..3,
        stored(),
    )
        .prop_map(|(profiles, deletions, retired, skipped, stored)| Case {
            profiles,
            deletions,
            retired,
            skipped,
            stored,
        })
}

impl Case {
    fn write(&self) -> PageWrite<'_> {
        PageWrite {
            profiles: &self.profiles,
            deletions: &self.deletions,
            skipped_no_identifier: self.skipped,
            retired: &self.retired,
            counts_before: JobCounts::default(),
        }
    }
}

/// The stored rows after the plan, applied as the store applies it (new rows get fresh ids).
fn apply(stored: &[StoredName], plan: &PagePlan<'_>) -> Vec<StoredName> {
    let mut rows: HashMap<Uuid, StoredName> = stored.iter().map(|r| (r.id, r.clone())).collect();
    for rename in &plan.renames {
        rows.get_mut(&rename.id).unwrap().source_id = rename.source_id.to_owned();
    }
    let mut next_id = 1000_u128;
    for write in &plan.writes {
        let id = match write.change {
            ProfileChange::Created => {
                next_id += 1;
                Uuid::from_u128(next_id)
            }
            ProfileChange::Updated(id) | ProfileChange::Unchanged(id) => id,
        };
        rows.insert(
            id,
            StoredName {
                id,
                source_id: write.draft.source_id.clone(),
                etag: write.draft.etag.clone(),
                deleted: false,
            },
        );
    }
    for id in &plan.retire {
        rows.get_mut(id).unwrap().deleted = true;
    }
    rows.into_values().collect()
}

proptest! {
    #[test]
    fn the_counts_add_up_and_cover_the_page(case in case()) {
        let write = case.write();
        let plan = plan_page(&write, case.stored.clone());
        prop_assert!(plan.counts.adds_up());
        prop_assert_eq!(plan.counts.synced, case.profiles.len() as i64);
        prop_assert_eq!(plan.counts.deleted, plan.retire.len() as i64);
        let distinct: HashSet<&str> = case.profiles.iter().map(|d| d.source_id.as_str()).collect();
        prop_assert_eq!(plan.writes.len(), distinct.len());
        let created = plan.writes.iter().filter(|w| w.change == ProfileChange::Created).count();
        prop_assert_eq!(plan.counts.created, created as i64);
    }

    #[test]
    fn no_stored_row_is_touched_twice_and_only_live_rows_are_retired(case in case()) {
        let write = case.write();
        let plan = plan_page(&write, case.stored.clone());
        let by_id: HashMap<Uuid, &StoredName> = case.stored.iter().map(|r| (r.id, r)).collect();
        let mut touched = HashSet::new();
        for write in &plan.writes {
            if let ProfileChange::Updated(id) | ProfileChange::Unchanged(id) = write.change {
                prop_assert!(touched.insert(id), "row {} written twice", id);
            }
        }
        for id in &plan.retire {
            prop_assert!(touched.insert(*id), "row {} written and retired", id);
            prop_assert!(!by_id[id].deleted, "row {} was already deleted", id);
        }
        let names_after = apply(&case.stored, &plan);
        let mut seen = HashSet::new();
        for row in &names_after {
            prop_assert!(seen.insert(row.source_id.clone()), "two rows under {}", row.source_id);
        }
    }

    #[test]
    fn applying_the_plan_leaves_nothing_for_the_same_page_to_do(case in case()) {
        let write = case.write();
        let plan = plan_page(&write, case.stored.clone());
        let after = apply(&case.stored, &plan);
        let again = plan_page(&write, after);
        prop_assert_eq!(again.counts.created, 0);
        prop_assert_eq!(again.counts.updated, 0);
        prop_assert!(again.renames.is_empty());
        prop_assert!(again.retire.is_empty());
        prop_assert_eq!(again.counts.unchanged, case.profiles.len() as i64);
    }
}
