//! Random Google-side changes to one fake account, shared by the model-based tests (the sync's
//! and the change feed's): creations, edits, deletions, renames, people losing and regaining
//! their last identifier, sync-token expiries and injected faults.

use proptest::prelude::*;
use pulse_google::fake::{FakeContact, FakeGoogle, Fault};

/// One change to the account between two syncs.
#[derive(Debug, Clone)]
pub enum AccountChange {
    /// A new person, with an email or without any identifier.
    Add {
        /// Whether the person has an email.
        with_email: bool,
    },
    /// A person's name changes (a new etag).
    Edit {
        /// Which person (modulo the account's size).
        pick: usize,
    },
    /// A person is deleted.
    Delete {
        /// Which person.
        pick: usize,
    },
    /// A person loses every email and phone.
    RemoveIdentifier {
        /// Which person.
        pick: usize,
    },
    /// A person gets a phone.
    GiveIdentifier {
        /// Which person.
        pick: usize,
    },
    /// Google gives a person a new resource name.
    Rename {
        /// Which person.
        pick: usize,
    },
    /// The next sync lists everything (and sweeps what it did not see).
    ExpireSyncToken,
    /// Google's next calls answer 500.
    FailNextCalls {
        /// How many calls fail.
        calls: u32,
    },
}

/// Any change, weighted towards the common ones.
pub fn account_change() -> impl Strategy<Value = AccountChange> {
    prop_oneof![
        3 => any::<bool>().prop_map(|with_email| AccountChange::Add { with_email }),
        3 => any::<usize>().prop_map(|pick| AccountChange::Edit { pick }),
        2 => any::<usize>().prop_map(|pick| AccountChange::Delete { pick }),
        1 => any::<usize>().prop_map(|pick| AccountChange::RemoveIdentifier { pick }),
        1 => any::<usize>().prop_map(|pick| AccountChange::GiveIdentifier { pick }),
        1 => any::<usize>().prop_map(|pick| AccountChange::Rename { pick }),
        1 => Just(AccountChange::ExpireSyncToken),
        1 => (1_u32..8).prop_map(|calls| AccountChange::FailNextCalls { calls }),
    ]
}

impl AccountChange {
    /// Makes the change to `account` on the fake; `n` makes the names and numbers it adds unique.
    pub fn apply(&self, google: &FakeGoogle, account: &str, n: u32) {
        let contacts = google.contacts(account).expect("contacts");
        let pick = |index: usize| contacts.get(index % contacts.len().max(1));
        let edit = |resource_name: &str, contact: FakeContact| {
            google
                .edit_contact(account, resource_name, contact)
                .expect("edited");
        };
        match self {
            Self::Add { with_email } => {
                let mut contact = FakeContact::named(&format!("Added{n}"), "Person");
                if *with_email {
                    contact = contact.with_email(&format!("added{n}@example.com"));
                }
                google.add_contact(account, contact).expect("added");
            }
            Self::Edit { pick: index } => {
                if let Some(found) = pick(*index) {
                    let mut contact = found.contact.clone();
                    contact.names = FakeContact::named(&format!("Edited{n}"), "Person").names;
                    edit(&found.resource_name, contact);
                }
            }
            Self::Delete { pick: index } => {
                if let Some(found) = pick(*index) {
                    google
                        .delete_contact(account, &found.resource_name)
                        .expect("deleted");
                }
            }
            Self::RemoveIdentifier { pick: index } => {
                if let Some(found) = pick(*index) {
                    let mut contact = found.contact.clone();
                    contact.emails.clear();
                    contact.phones.clear();
                    edit(&found.resource_name, contact);
                }
            }
            Self::GiveIdentifier { pick: index } => {
                if let Some(found) = pick(*index) {
                    let phone = format!("+1 555 0{n:05}");
                    edit(
                        &found.resource_name,
                        found.contact.clone().with_phone(&phone, None),
                    );
                }
            }
            Self::Rename { pick: index } => {
                if let Some(found) = pick(*index) {
                    google
                        .rename_contact(account, &found.resource_name)
                        .expect("renamed");
                }
            }
            Self::ExpireSyncToken => {
                google.expire_sync_tokens(account);
            }
            Self::FailNextCalls { calls } => google.inject_fault(Fault::ServerError, *calls),
        }
    }
}
