//! `Account`: one Google account's contacts. The data set's contacts are computed on demand;
//! only changed, added, deleted and renamed contacts are stored, each stamped with the account's
//! change version, so sync tokens can return exactly what changed since they were issued.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::fake::FakeError;
use crate::fake::contact::{FakeContact, StoredContact};
use crate::fake::dataset::{Dataset, Mix};

/// Renamed contacts get numbers above every slot's (slots are `u32`).
const RENAME_OFFSET: u64 = 1 << 32;

/// A person in a listing: alive, or deleted (incremental listings only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listed {
    /// A live contact.
    Live(StoredContact),
    /// A contact deleted since the sync token was issued.
    Deleted {
        /// Its last resource name.
        resource_name: String,
        /// Its etag at deletion.
        etag: String,
        /// Names it had before renames.
        previous_resource_names: Vec<String>,
    },
}

/// A contact that differs from its data set entry (or was added).
#[derive(Debug, Clone)]
struct Entry {
    resource_name: String,
    previous_resource_names: Vec<String>,
    version: u64,
    /// `None` once deleted.
    contact: Option<FakeContact>,
}

/// Where a listing continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// A full listing continues at this slot.
    Slot(u32),
    /// An incremental listing continues after this (version, slot).
    Change(u64, u32),
}

/// One Google account's contacts.
#[derive(Debug)]
pub(crate) struct Account {
    dataset: Dataset,
    id_base: u64,
    changed: HashMap<u32, Entry>,
    renamed: HashMap<String, u32>,
    next_slot: u32,
    renames: u64,
    version: u64,
    live: u64,
}

impl Account {
    /// An account holding the data set's contacts.
    pub fn new(dataset: Dataset) -> Self {
        let spread = Mix::new(dataset.seed(), u64::MAX).next_u64() % 8_000_000_000_000_000_000;
        Self {
            dataset,
            id_base: (1_000_000_000_000_000_000 + spread) & !(RENAME_OFFSET * 2 - 1),
            changed: HashMap::new(),
            renamed: HashMap::new(),
            next_slot: dataset.len(),
            renames: 0,
            version: 0,
            live: u64::from(dataset.len()),
        }
    }

    /// The change version: every edit raises it by one.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Live contacts now.
    pub fn live_count(&self) -> u64 {
        self.live
    }

    /// Adds a contact; returns its resource name.
    pub fn add(&mut self, contact: FakeContact) -> String {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.version += 1;
        let resource_name = self.slot_name(slot);
        self.changed.insert(
            slot,
            Entry {
                resource_name: resource_name.clone(),
                previous_resource_names: Vec::new(),
                version: self.version,
                contact: Some(contact),
            },
        );
        self.live += 1;
        resource_name
    }

    /// Replaces a live contact's fields.
    pub fn edit(&mut self, resource_name: &str, contact: FakeContact) -> Result<(), FakeError> {
        let entry = self.touch(resource_name)?;
        entry.contact = Some(contact);
        Ok(())
    }

    /// Deletes a live contact.
    pub fn delete(&mut self, resource_name: &str) -> Result<(), FakeError> {
        let entry = self.touch(resource_name)?;
        entry.contact = None;
        self.live -= 1;
        Ok(())
    }

    /// Gives a live contact a new resource name (as when Google links contacts); returns it.
    pub fn rename(&mut self, resource_name: &str) -> Result<String, FakeError> {
        let slot = self.find_live(resource_name)?;
        self.renames += 1;
        let new_name = format!("people/c{}", self.id_base + RENAME_OFFSET + self.renames);
        let entry = self.touch(resource_name)?;
        let old_name = std::mem::replace(&mut entry.resource_name, new_name.clone());
        entry.previous_resource_names.push(old_name);
        self.renamed.insert(new_name.clone(), slot);
        Ok(new_name)
    }

    /// A live contact by resource name.
    pub fn get(&self, resource_name: &str) -> Result<StoredContact, FakeError> {
        let slot = self.find_live(resource_name)?;
        self.stored(slot)
            .ok_or_else(|| FakeError::UnknownContact(resource_name.to_owned()))
    }

    /// Every live contact, in listing order.
    pub fn contacts(&self) -> Vec<StoredContact> {
        (0..self.next_slot)
            .filter_map(|slot| self.stored(slot))
            .collect()
    }

    /// A page of a full listing from `start`; the cursor of the next page, if any.
    pub fn full_page(&self, start: u32, size: usize) -> (Vec<Listed>, Option<Cursor>) {
        let mut page = Vec::with_capacity(size.min(1024));
        let mut slot = start;
        while slot < self.next_slot && page.len() < size {
            if let Some(stored) = self.stored(slot) {
                page.push(Listed::Live(stored));
            }
            slot += 1;
        }
        let more = (slot..self.next_slot).any(|s| self.is_live(s));
        (page, more.then_some(Cursor::Slot(slot)))
    }

    /// A page of what changed after version `since` up to `round`, after `after`.
    pub fn changes_page(
        &self,
        since: u64,
        round: u64,
        after: Option<(u64, u32)>,
        size: usize,
    ) -> (Vec<Listed>, Option<Cursor>, u64) {
        let mut changes: Vec<(u64, u32)> = self
            .changed
            .iter()
            .filter(|(_, entry)| entry.version > since && entry.version <= round)
            .map(|(slot, entry)| (entry.version, *slot))
            .collect();
        changes.sort_unstable();
        let total = changes.len() as u64;
        let remaining: Vec<(u64, u32)> = changes
            .into_iter()
            .filter(|key| after.is_none_or(|after| *key > after))
            .collect();
        let page: Vec<Listed> = remaining
            .iter()
            .take(size)
            .filter_map(|(_, slot)| self.listed_change(*slot))
            .collect();
        let next = (remaining.len() > size)
            .then(|| {
                remaining
                    .get(size.saturating_sub(1))
                    .map(|(v, s)| Cursor::Change(*v, *s))
            })
            .flatten();
        (page, next, total)
    }

    fn listed_change(&self, slot: u32) -> Option<Listed> {
        let entry = self.changed.get(&slot)?;
        let etag = etag(self.dataset.seed(), slot, entry.version);
        Some(match &entry.contact {
            Some(contact) => Listed::Live(StoredContact {
                resource_name: entry.resource_name.clone(),
                etag,
                previous_resource_names: entry.previous_resource_names.clone(),
                contact: contact.clone(),
            }),
            None => Listed::Deleted {
                resource_name: entry.resource_name.clone(),
                etag,
                previous_resource_names: entry.previous_resource_names.clone(),
            },
        })
    }

    fn stored(&self, slot: u32) -> Option<StoredContact> {
        match self.changed.get(&slot) {
            Some(entry) => entry.contact.as_ref().map(|contact| StoredContact {
                resource_name: entry.resource_name.clone(),
                etag: etag(self.dataset.seed(), slot, entry.version),
                previous_resource_names: entry.previous_resource_names.clone(),
                contact: contact.clone(),
            }),
            None if slot < self.dataset.len() => Some(StoredContact {
                resource_name: self.slot_name(slot),
                etag: etag(self.dataset.seed(), slot, 0),
                previous_resource_names: Vec::new(),
                contact: self.dataset.contact(slot),
            }),
            None => None,
        }
    }

    fn is_live(&self, slot: u32) -> bool {
        match self.changed.get(&slot) {
            Some(entry) => entry.contact.is_some(),
            None => slot < self.dataset.len(),
        }
    }

    /// Copies a live contact into `changed` (if it is not there yet) under a new version.
    fn touch(&mut self, resource_name: &str) -> Result<&mut Entry, FakeError> {
        let slot = self.find_live(resource_name)?;
        self.version += 1;
        let version = self.version;
        let base_name = self.slot_name(slot);
        let dataset = self.dataset;
        let entry = self.changed.entry(slot).or_insert_with(|| Entry {
            resource_name: base_name,
            previous_resource_names: Vec::new(),
            version,
            contact: Some(dataset.contact(slot)),
        });
        entry.version = version;
        Ok(entry)
    }

    fn find_live(&self, resource_name: &str) -> Result<u32, FakeError> {
        let unknown = || FakeError::UnknownContact(resource_name.to_owned());
        let slot = self
            .slot_by_number(resource_name)
            .or_else(|| self.renamed.get(resource_name).copied())
            .ok_or_else(unknown)?;
        let current = match self.changed.get(&slot) {
            Some(entry) if entry.contact.is_some() => entry.resource_name.clone(),
            Some(_) => return Err(unknown()),
            None => self.slot_name(slot),
        };
        if current == resource_name && self.is_live(slot) {
            Ok(slot)
        } else {
            Err(unknown())
        }
    }

    fn slot_by_number(&self, resource_name: &str) -> Option<u32> {
        let number: u64 = resource_name.strip_prefix("people/c")?.parse().ok()?;
        let slot = u32::try_from(number.checked_sub(self.id_base)?).ok()?;
        (slot < self.next_slot).then_some(slot)
    }

    fn slot_name(&self, slot: u32) -> String {
        format!("people/c{}", self.id_base + u64::from(slot))
    }
}

/// The account's email address: its name when that is an address, else `NAME@example.com`.
pub fn email_of(account: &str) -> String {
    if account.contains('@') {
        account.to_owned()
    } else {
        format!("{account}@example.com")
    }
}

/// The account's stable numeric id (its `people/NUMBER` resource name), derived from its name.
pub(crate) fn account_number(account: &str) -> u64 {
    let seed = account
        .bytes()
        .fold(0_u64, |hash, byte| hash.rotate_left(5) ^ u64::from(byte));
    1_000_000_000_000_000_000 + Mix::new(seed, 1).next_u64() % 8_000_000_000_000_000_000
}

/// An opaque etag that changes with every version of a contact.
fn etag(seed: u64, slot: u32, version: u64) -> String {
    let mut mix = Mix::new(seed ^ version.rotate_left(17), u64::from(slot));
    let mut bytes = [0_u8; 12];
    bytes[..8].copy_from_slice(&mix.next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&mix.next_u64().to_le_bytes()[..4]);
    format!("%{}", STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::dataset::{generated_account, seed_account};

    fn names(listed: &[Listed]) -> Vec<String> {
        listed
            .iter()
            .map(|l| match l {
                Listed::Live(s) => s.resource_name.clone(),
                Listed::Deleted { resource_name, .. } => format!("deleted {resource_name}"),
            })
            .collect()
    }

    #[test]
    fn full_pages_cover_every_live_contact_once() {
        let mut account = Account::new(seed_account());
        let first = account.contacts()[0].resource_name.clone();
        account.delete(&first).unwrap();
        let added = account.add(FakeContact::named("New", "Person"));
        let mut seen = Vec::new();
        let mut cursor = Some(Cursor::Slot(0));
        while let Some(Cursor::Slot(start)) = cursor {
            let (page, next) = account.full_page(start, 100);
            seen.extend(names(&page));
            cursor = next;
        }
        assert_eq!(seen.len(), 428);
        assert!(!seen.contains(&first));
        assert_eq!(seen.last(), Some(&added));
        assert_eq!(account.live_count(), 428);
    }

    #[test]
    fn changes_since_a_version_include_edits_deletions_and_renames() {
        let mut account = Account::new(generated_account(50, 3));
        let all = account.contacts();
        account
            .edit(&all[1].resource_name, FakeContact::named("Before", "Token"))
            .unwrap();
        let token_version = account.version();
        account
            .edit(&all[2].resource_name, FakeContact::named("Edited", "Later"))
            .unwrap();
        account.delete(&all[3].resource_name).unwrap();
        let renamed = account.rename(&all[4].resource_name).unwrap();
        let added = account.add(FakeContact::named("Added", "Later"));
        let (page, next, total) = account.changes_page(token_version, account.version(), None, 10);
        assert_eq!(next, None);
        assert_eq!(total, 4);
        assert_eq!(
            names(&page),
            [
                all[2].resource_name.clone(),
                format!("deleted {}", all[3].resource_name),
                renamed.clone(),
                added
            ]
        );
        let Listed::Live(stored) = &page[2] else {
            panic!("renamed contact is live")
        };
        assert_eq!(
            stored.previous_resource_names,
            [all[4].resource_name.clone()]
        );
        assert!(account.get(&all[4].resource_name).is_err());
        assert!(account.get(&renamed).is_ok());
        assert!(account.get(&all[3].resource_name).is_err());
    }

    #[test]
    fn change_pages_continue_after_the_cursor() {
        let mut account = Account::new(Dataset::Empty);
        for n in 0..5 {
            account.add(FakeContact::named("N", &n.to_string()));
        }
        let round = account.version();
        let (first, next, _) = account.changes_page(0, round, None, 2);
        let Some(Cursor::Change(v, s)) = next else {
            panic!("a second page")
        };
        let (second, next, _) = account.changes_page(0, round, Some((v, s)), 2);
        let Some(Cursor::Change(v, s)) = next else {
            panic!("a third page")
        };
        let (third, next, _) = account.changes_page(0, round, Some((v, s)), 2);
        assert_eq!(
            (first.len(), second.len(), third.len(), next),
            (2, 2, 1, None)
        );
    }

    #[test]
    fn etags_change_with_edits() {
        let mut account = Account::new(seed_account());
        let before = account.contacts()[5].clone();
        account
            .edit(&before.resource_name, before.contact.clone())
            .unwrap();
        let after = account.get(&before.resource_name).unwrap();
        assert_ne!(before.etag, after.etag);
    }
}
