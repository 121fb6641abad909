//! Builders of Google persons for the mapping tests, and a tally of outcomes into job counts.

use pulse_domain::person::{PersonEmail, PersonName, PersonPhone, PersonPhoto};
use pulse_domain::{GooglePerson, JobCounts, PersonOutcome};

/// A person with a resource name and nothing else.
pub fn person(resource_name: &str) -> GooglePerson {
    GooglePerson {
        resource_name: resource_name.to_owned(),
        etag: Some(format!("etag-{resource_name}")),
        ..GooglePerson::default()
    }
}

/// An email entry.
pub fn email(value: &str, primary: bool) -> PersonEmail {
    PersonEmail {
        value: Some(value.to_owned()),
        primary,
    }
}

/// A phone entry typed by the user, without a canonical form.
pub fn typed_phone(value: &str, primary: bool) -> PersonPhone {
    PersonPhone {
        value: Some(value.to_owned()),
        canonical_form: None,
        primary,
    }
}

/// A phone entry Google could parse.
pub fn parsed_phone(value: &str, canonical: &str, primary: bool) -> PersonPhone {
    PersonPhone {
        value: Some(value.to_owned()),
        canonical_form: Some(canonical.to_owned()),
        primary,
    }
}

/// A name entry.
pub fn name(
    display: Option<&str>,
    given: Option<&str>,
    family: Option<&str>,
    primary: bool,
) -> PersonName {
    PersonName {
        display_name: display.map(str::to_owned),
        given_name: given.map(str::to_owned),
        family_name: family.map(str::to_owned),
        primary,
    }
}

/// A photo entry.
pub fn photo(url: &str, is_default: bool, primary: bool) -> PersonPhoto {
    PersonPhoto {
        url: Some(url.to_owned()),
        is_default,
        primary,
    }
}

/// The counts a run of brand-new people reports: every profile is created.
pub fn tally(outcomes: &[PersonOutcome]) -> JobCounts {
    let mut counts = JobCounts {
        total_contacts: i64::try_from(outcomes.len()).unwrap(),
        ..JobCounts::default()
    };
    for outcome in outcomes {
        match outcome {
            PersonOutcome::Profile(_) => {
                counts.synced += 1;
                counts.created += 1;
            }
            PersonOutcome::SkippedNoIdentifier { .. } => counts.skipped_no_identifier += 1,
            PersonOutcome::Deleted { .. } => {
                counts.reported_deletions += 1;
                counts.deleted += 1;
            }
        }
    }
    counts
}
