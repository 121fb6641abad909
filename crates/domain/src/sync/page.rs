//! One listed page, from Google's people to the writes it causes: [`map_page`] sorts the people
//! into profiles, deletions and skips; [`plan_page`] decides, against the stored rows the page's
//! names match, what each profile is (created, updated, unchanged, renamed, a repeat) and which
//! stored rows the page retires, and counts the page. The store applies the plan as it is.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::job::JobCounts;
use crate::person::GooglePerson;
use crate::ports::PageWrite;
use crate::profile::{PersonOutcome, ProfileDraft, map_person};

/// A page of people sorted into what the store writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedPage {
    /// Profiles to upsert, in listing order (a repeated person appears twice; [`plan_page`]
    /// keeps its last version).
    pub profiles: Vec<ProfileDraft>,
    /// Resource names Google reported deleted.
    pub deletions: Vec<String>,
    /// People without an email or phone.
    pub skipped_no_identifier: i64,
    /// Names whose stored profile is no longer live: people without an email or phone, and
    /// the former names (`previousResourceNames`) of deleted people.
    pub retired: Vec<String>,
}

/// Sorts a page's people into profiles, deletions and skips; every person lands in one of them.
pub fn map_page(people: &[GooglePerson]) -> MappedPage {
    let mut page = MappedPage::default();
    for person in people {
        match map_person(person) {
            PersonOutcome::Profile(profile) => page.profiles.push(profile),
            PersonOutcome::SkippedNoIdentifier { resource_name } => {
                page.skipped_no_identifier += 1;
                page.retired.push(resource_name);
            }
            PersonOutcome::Deleted { resource_name } => {
                page.deletions.push(resource_name);
                page.retired
                    .extend(person.previous_resource_names.iter().cloned());
            }
        }
    }
    page
}

impl MappedPage {
    /// The page as the store writes it, after a run's counts so far.
    pub fn write(&self, counts_before: JobCounts) -> PageWrite<'_> {
        PageWrite {
            profiles: &self.profiles,
            deletions: &self.deletions,
            skipped_no_identifier: self.skipped_no_identifier,
            retired: &self.retired,
            counts_before,
        }
    }
}

/// A stored profile under one of the names a page looks up ([`names_to_look_up`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredName {
    /// The row's id.
    pub id: Uuid,
    /// The resource name it is stored under.
    pub source_id: String,
    /// The etag it was stored with.
    pub etag: Option<String>,
    /// Whether the row is marked deleted.
    pub deleted: bool,
}

/// What a profile of the page is to the stored rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileChange {
    /// No stored row: insert one.
    Created,
    /// The stored row `id` gets this version (a new etag, or it was marked deleted).
    Updated(Uuid),
    /// The stored row `id` already holds this version; only the run's mark changes.
    Unchanged(Uuid),
}

/// One profile of the plan and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileWrite<'a> {
    /// The version to store (the last one, when the page repeats the person).
    pub draft: &'a ProfileDraft,
    /// Insert, update or only mark seen.
    pub change: ProfileChange,
}

/// A stored row the page moves to a new resource name, before its profile is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rename<'a> {
    /// The row's id.
    pub id: Uuid,
    /// Its new resource name.
    pub source_id: &'a str,
}

/// What one page does to the stored profiles, and its counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PagePlan<'a> {
    /// One write per resource name of the page, in first-listed order.
    pub writes: Vec<ProfileWrite<'a>>,
    /// Stored rows that follow a person to its new name (applied before `writes`).
    pub renames: Vec<Rename<'a>>,
    /// Live stored rows to mark deleted: reported deletions, retired names, and rows left over
    /// under a former name when the new name had a row already. No row twice.
    pub retire: Vec<Uuid>,
    /// The page's counts (`deleted` is `retire`'s length).
    pub counts: JobCounts,
}

/// Every name the page's plan needs the stored row of: the profiles' names and former names,
/// the reported deletions and the retired names; each once.
pub fn names_to_look_up<'a>(page: &PageWrite<'a>) -> Vec<&'a str> {
    let profiles = page
        .profiles
        .iter()
        .flat_map(|draft| std::iter::once(&draft.source_id).chain(&draft.previous_source_ids));
    let mut seen = HashSet::new();
    profiles
        .chain(page.deletions)
        .chain(page.retired)
        .map(String::as_str)
        .filter(|name| seen.insert(*name))
        .collect()
}

/// Decides what `page` does, given the stored rows under its names (`stored`, from
/// [`names_to_look_up`]; rows under other names are ignored):
/// - a resource name listed twice is written once, in its last version, and its repeats count
///   as unchanged;
/// - a profile's row is the one under its name, else the first live or deleted row under one of
///   its former names, which is renamed; rows under further former names are retired when live;
///   a former name that the page lists as a profile of its own is not followed;
/// - no row: created; a row with another etag, or marked deleted: updated; else unchanged;
/// - a reported deletion or retired name retires its live row unless the page also lists a
///   profile under that name or the row became a listed profile's.
pub fn plan_page<'a>(page: &PageWrite<'a>, stored: Vec<StoredName>) -> PagePlan<'a> {
    let mut rows: HashMap<String, StoredName> = stored
        .into_iter()
        .map(|row| (row.source_id.clone(), row))
        .collect();
    let mut plan = PagePlan::default();
    let mut retire = RetiredRows::default();
    let drafts = last_versions(page.profiles);
    let live: HashSet<&str> = drafts.iter().map(|d| d.source_id.as_str()).collect();
    for draft in drafts {
        let mut current = rows.remove(&draft.source_id);
        let formers = draft.previous_source_ids.iter();
        for former in formers.filter(|former| !live.contains(former.as_str())) {
            let Some(row) = rows.remove(former) else {
                continue;
            };
            if current.is_none() {
                plan.renames.push(Rename {
                    id: row.id,
                    source_id: &draft.source_id,
                });
                current = Some(row);
            } else if !row.deleted {
                retire.add(row.id);
            }
        }
        let change = match current {
            None => {
                plan.counts.created += 1;
                ProfileChange::Created
            }
            Some(row) if row.deleted || row.etag != draft.etag => {
                plan.counts.updated += 1;
                ProfileChange::Updated(row.id)
            }
            Some(row) => {
                plan.counts.unchanged += 1;
                ProfileChange::Unchanged(row.id)
            }
        };
        plan.writes.push(ProfileWrite { draft, change });
    }
    for name in page.deletions.iter().chain(page.retired) {
        if live.contains(name.as_str()) {
            continue;
        }
        if let Some(row) = rows.remove(name).filter(|row| !row.deleted) {
            retire.add(row.id);
        }
    }
    plan.retire = retire.ids;
    let listed = count(page.profiles.len());
    let repeats = listed - count(plan.writes.len());
    let reported_deletions = count(page.deletions.len());
    plan.counts.unchanged += repeats;
    plan.counts.synced = listed;
    plan.counts.deleted = count(plan.retire.len());
    plan.counts.skipped_no_identifier = page.skipped_no_identifier;
    plan.counts.reported_deletions = reported_deletions;
    plan.counts.total_contacts = listed + page.skipped_no_identifier + reported_deletions;
    plan
}

/// The drafts with one per resource name: each name at its first position, in its last version.
fn last_versions(drafts: &[ProfileDraft]) -> Vec<&ProfileDraft> {
    let mut position: HashMap<&str, usize> = HashMap::new();
    let mut kept: Vec<&ProfileDraft> = Vec::with_capacity(drafts.len());
    for draft in drafts {
        match position.get(draft.source_id.as_str()) {
            Some(&index) => kept[index] = draft,
            None => {
                position.insert(&draft.source_id, kept.len());
                kept.push(draft);
            }
        }
    }
    kept
}

/// Row ids to retire, each once, in the order decided.
#[derive(Debug, Default)]
struct RetiredRows {
    ids: Vec<Uuid>,
    seen: HashSet<Uuid>,
}

impl RetiredRows {
    fn add(&mut self, id: Uuid) {
        if self.seen.insert(id) {
            self.ids.push(id);
        }
    }
}

fn count(length: usize) -> i64 {
    i64::try_from(length).unwrap_or(i64::MAX)
}
