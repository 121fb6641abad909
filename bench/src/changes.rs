//! Google-side changes between two syncs: a share of an account's contacts edited, added and
//! deleted, spread evenly over the listing.

use pulse_google::fake::{FakeContact, FakeGoogle};

use crate::error::BenchError;

/// What [`change_contacts`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    /// Contacts whose fields changed.
    pub edited: usize,
    /// Contacts added.
    pub added: usize,
    /// Contacts deleted.
    pub deleted: usize,
}

impl Changes {
    /// Every change.
    pub fn total(&self) -> usize {
        self.edited + self.added + self.deleted
    }
}

/// Changes `total` contacts of `account`: two in five edited, the rest split between additions
/// and deletions; `round` makes each round's edits and additions new.
pub fn change_contacts(
    fake: &FakeGoogle,
    account: &str,
    total: usize,
    round: usize,
) -> Result<Changes, BenchError> {
    let contacts = fake.contacts(account)?;
    let edits = total * 2 / 5;
    let deletions = (total - edits) / 2;
    let additions = total - edits - deletions;
    let touched = edits + deletions;
    if touched == 0 || contacts.len() < touched {
        return Err(BenchError::Invalid(format!(
            "cannot change {touched} of {} contacts",
            contacts.len()
        )));
    }
    let stride = contacts.len() / touched;
    let mut changes = Changes::default();
    for (position, stored) in contacts.iter().step_by(stride).take(touched).enumerate() {
        if (position % 5 < 2 && changes.edited < edits) || changes.deleted == deletions {
            let mut contact = stored.contact.clone();
            contact = contact.with_email(&format!("changed{round}.{position}@example.com"));
            if let Some(name) = contact.names.first_mut() {
                name.given_name = Some(format!("Renamed{round}"));
                name.display_name = None;
            }
            fake.edit_contact(account, &stored.resource_name, contact)?;
            changes.edited += 1;
        } else {
            fake.delete_contact(account, &stored.resource_name)?;
            changes.deleted += 1;
        }
    }
    for index in 0..additions {
        let contact = FakeContact::named("Added", &format!("Contact{round}x{index}"))
            .with_email(&format!("added{round}.{index}@example.com"));
        fake.add_contact(account, contact)?;
        changes.added += 1;
    }
    Ok(changes)
}
