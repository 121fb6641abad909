//! Property tests of the contact mapping: every person lands in exactly one outcome (profiles +
//! skipped + deletions = seen), the outcome agrees with the identifier rules, and profiles hold
//! normalised, unique identifiers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use proptest::option;
use proptest::prelude::*;
use pulse_domain::person::{PersonEmail, PersonName, PersonPhone, PersonPhoto};
use pulse_domain::{GooglePerson, PersonOutcome, map_person};
use support::persons::tally;

fn raw_email() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9.]{1,6}@[a-zA-Z]{1,6}\\.[a-z]{2,3}",
        " {0,2}[A-Za-z]{0,3}@[A-Za-z]{0,3} {0,2}",
        "[a-z@ .]{0,8}",
        Just(String::new()),
    ]
}

fn phone() -> impl Strategy<Value = PersonPhone> {
    (
        option::of("[+]?[0-9 ()+x-]{0,12}"),
        option::of(prop_oneof!["\\+[0-9]{6,12}", Just("  ".to_owned())]),
        any::<bool>(),
    )
        .prop_map(|(value, canonical_form, primary)| PersonPhone {
            value,
            canonical_form,
            primary,
        })
}

fn person() -> impl Strategy<Value = GooglePerson> {
    (
        "people/c[0-9]{1,4}",
        prop::bool::weighted(0.15),
        prop::collection::vec((option::of(raw_email()), any::<bool>()), 0..4),
        prop::collection::vec(phone(), 0..3),
        prop::collection::vec(
            (
                option::of("[A-Za-z ]{0,8}"),
                option::of("[A-Za-z]{0,5}"),
                any::<bool>(),
            ),
            0..3,
        ),
        prop::collection::vec(
            (
                option::of("https://p/[a-z]{0,4}"),
                any::<bool>(),
                any::<bool>(),
            ),
            0..3,
        ),
    )
        .prop_map(
            |(resource_name, deleted, emails, phones, names, photos)| GooglePerson {
                resource_name,
                etag: None,
                deleted,
                previous_resource_names: Vec::new(),
                names: names
                    .into_iter()
                    .map(|(display_name, given_name, primary)| PersonName {
                        display_name,
                        given_name,
                        family_name: None,
                        primary,
                    })
                    .collect(),
                emails: emails
                    .into_iter()
                    .map(|(value, primary)| PersonEmail { value, primary })
                    .collect(),
                phones,
                organizations: Vec::new(),
                photos: photos
                    .into_iter()
                    .map(|(url, is_default, primary)| PersonPhoto {
                        url,
                        is_default,
                        primary,
                    })
                    .collect(),
            },
        )
}

/// The identifier rules restated from the issue, independently of the implementation.
fn has_identifier(person: &GooglePerson) -> bool {
    let valid_email = person.emails.iter().filter_map(|e| e.value.as_deref()).any(|raw| {
        let email = raw.trim();
        let mut parts = email.split('@');
        matches!((parts.next(), parts.next(), parts.next()), (Some(l), Some(d), None) if !l.is_empty() && !d.is_empty())
    });
    let valid_phone = person.phones.iter().any(|p| {
        let canonical = p
            .canonical_form
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty());
        let digits = p
            .value
            .as_deref()
            .map_or(0, |v| v.chars().filter(char::is_ascii_digit).count());
        canonical || digits >= 5
    });
    valid_email || valid_phone
}

fn all_unique(values: &[String]) -> bool {
    values
        .iter()
        .enumerate()
        .all(|(i, v)| !values[..i].contains(v))
}

proptest! {
    #[test]
    fn the_mapping_never_drops_a_person_silently(people in prop::collection::vec(person(), 0..60)) {
        let outcomes: Vec<PersonOutcome> = people.iter().map(map_person).collect();
        let counts = tally(&outcomes);

        prop_assert_eq!(outcomes.len(), people.len());
        prop_assert_eq!(
            counts.synced + counts.skipped_no_identifier + counts.reported_deletions,
            i64::try_from(people.len()).unwrap()
        );
        prop_assert!(counts.adds_up());
    }

    #[test]
    fn each_outcome_follows_the_identifier_rules(person in person()) {
        match map_person(&person) {
            PersonOutcome::Deleted { resource_name } => {
                prop_assert!(person.deleted);
                prop_assert_eq!(resource_name, person.resource_name);
            }
            PersonOutcome::SkippedNoIdentifier { resource_name } => {
                prop_assert!(!person.deleted);
                prop_assert!(!has_identifier(&person));
                prop_assert_eq!(resource_name, person.resource_name);
            }
            PersonOutcome::Profile(draft) => {
                prop_assert!(!person.deleted);
                prop_assert!(has_identifier(&person));
                prop_assert_eq!(&draft.source_id, &person.resource_name);
                prop_assert!(!draft.emails.is_empty() || !draft.phones.is_empty());
                prop_assert_eq!(draft.primary_email.as_ref(), draft.emails.first());
                prop_assert!(draft.display_name.is_some());
                prop_assert!(all_unique(&draft.emails));
                prop_assert!(all_unique(&draft.phones));
                for email in &draft.emails {
                    prop_assert_eq!(email, &email.trim().to_lowercase());
                    prop_assert_eq!(email.matches('@').count(), 1);
                }
                for phone in &draft.phones {
                    let digits = phone.chars().filter(char::is_ascii_digit).count();
                    prop_assert!(digits >= 5, "{phone}");
                }
                if let Some(url) = &draft.photo_url {
                    prop_assert!(person.photos.iter().any(|p| !p.is_default && p.url.as_ref() == Some(url)));
                }
            }
        }
    }
}
