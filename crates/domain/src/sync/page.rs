//! Maps one listed page into the writes it causes: profiles to upsert, deletions, skips.

use std::collections::HashMap;

use crate::person::GooglePerson;
use crate::profile::{PersonOutcome, ProfileDraft, map_person};

/// A page of people sorted into what the store writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedPage {
    /// Profiles to upsert, one per resource name (a repeated person keeps its last version).
    pub profiles: Vec<ProfileDraft>,
    /// Resource names Google reported deleted.
    pub deletions: Vec<String>,
    /// People without an email or phone.
    pub skipped_no_identifier: i64,
    /// Names whose stored profile is no longer live: people without an email or phone, and
    /// the former names (`previousResourceNames`) of deleted people.
    pub retired: Vec<String>,
    /// People that appeared twice on the page; their earlier version was dropped.
    pub repeated: i64,
}

/// Sorts a page's people into profiles, deletions and skips; every person lands in one of them.
pub fn map_page(people: &[GooglePerson]) -> MappedPage {
    let mut page = MappedPage::default();
    let mut position_of: HashMap<String, usize> = HashMap::new();
    for person in people {
        match map_person(person) {
            PersonOutcome::Profile(profile) => match position_of.get(&profile.source_id) {
                Some(&index) => {
                    page.profiles[index] = profile;
                    page.repeated += 1;
                }
                None => {
                    position_of.insert(profile.source_id.clone(), page.profiles.len());
                    page.profiles.push(profile);
                }
            },
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
