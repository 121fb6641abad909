//! The mapping of a Google person to a CRM profile: email and phone identifiers, skipping people
//! without one, deletions, primary-first ordering, duplicates, photos, display names, and the
//! seed's 428-contact example.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pulse_domain::person::{PersonOrganization, PersonPhone};
use pulse_domain::profile::{normalize_email, normalize_phone};
use pulse_domain::{GooglePerson, PersonOutcome, ProfileDraft, map_person};
use support::persons::{email, name, parsed_phone, person, photo, tally, typed_phone};

fn profile_of(person: &GooglePerson) -> ProfileDraft {
    match map_person(person) {
        PersonOutcome::Profile(draft) => draft,
        other => panic!("expected a profile, got {other:?}"),
    }
}

fn with_email(resource_name: &str, value: &str) -> GooglePerson {
    GooglePerson {
        emails: vec![email(value, false)],
        ..person(resource_name)
    }
}

#[test]
fn an_email_is_trimmed_and_lower_cased() {
    assert_eq!(
        normalize_email("  Ada.Lovelace@Example.COM \n").as_deref(),
        Some("ada.lovelace@example.com")
    );
    assert_eq!(normalize_email("a@b").as_deref(), Some("a@b"));
}

#[test]
fn an_email_needs_exactly_one_at_with_text_on_both_sides() {
    for raw in [
        "",
        "   ",
        "ada",
        "ada.example.com",
        "@example.com",
        "ada@",
        "@",
        " @ ",
        "a@b@c",
        "ada@@example.com",
    ] {
        assert_eq!(normalize_email(raw), None, "{raw:?} should be refused");
    }
}

#[test]
fn a_canonical_phone_form_wins_over_the_typed_value() {
    let phone = parsed_phone("(555) 123-4567", "+15551234567", false);
    assert_eq!(normalize_phone(&phone).as_deref(), Some("+15551234567"));
}

#[test]
fn a_blank_canonical_form_falls_back_to_the_typed_value() {
    let phone = parsed_phone("555 12 34", "  ", false);
    assert_eq!(normalize_phone(&phone).as_deref(), Some("5551234"));
}

#[test]
fn a_typed_phone_keeps_its_digits_and_a_leading_plus() {
    let cases = [
        ("+1 (555) 123-4567", "+15551234567"),
        ("  +44 20 7946 0958 ", "+442079460958"),
        ("555-1234", "5551234"),
        ("(030) 1234 ext. 9", "03012349"),
        ("12345", "12345"),
        ("1+2345", "12345"),
    ];
    for (typed, expected) in cases {
        assert_eq!(
            normalize_phone(&typed_phone(typed, false)).as_deref(),
            Some(expected),
            "{typed:?}"
        );
    }
}

#[test]
fn a_phone_needs_at_least_five_digits() {
    for typed in ["1234", "+1234", "12-34", "call me", "", "+", "   "] {
        assert_eq!(
            normalize_phone(&typed_phone(typed, false)),
            None,
            "{typed:?}"
        );
    }
    assert_eq!(normalize_phone(&PersonPhone::default()), None);
}

#[test]
fn a_person_with_a_valid_email_becomes_a_profile() {
    let draft = profile_of(&with_email("people/c1", " Ada@Example.com "));
    assert_eq!(draft.source_id, "people/c1");
    assert_eq!(draft.etag.as_deref(), Some("etag-people/c1"));
    assert_eq!(draft.emails, ["ada@example.com"]);
    assert_eq!(draft.primary_email.as_deref(), Some("ada@example.com"));
    assert!(draft.phones.is_empty());
}

#[test]
fn a_person_with_only_a_phone_becomes_a_profile() {
    let person = GooglePerson {
        phones: vec![typed_phone("+49 30 123456", false)],
        ..person("people/c2")
    };
    let draft = profile_of(&person);
    assert_eq!(draft.phones, ["+4930123456"]);
    assert_eq!(draft.primary_email, None);
    assert!(draft.emails.is_empty());
}

#[test]
fn a_person_without_an_identifier_is_skipped_and_named() {
    let nameless = person("people/c3");
    let named_only = GooglePerson {
        names: vec![name(Some("Grace Hopper"), None, None, true)],
        ..person("people/c4")
    };
    let invalid_only = GooglePerson {
        emails: vec![email("not-an-email", true), email("a@b@c", false)],
        phones: vec![typed_phone("112", true)],
        ..person("people/c5")
    };
    for person in [nameless, named_only, invalid_only] {
        assert_eq!(
            map_person(&person),
            PersonOutcome::SkippedNoIdentifier {
                resource_name: person.resource_name.clone()
            }
        );
    }
}

#[test]
fn a_deleted_person_is_a_deletion_even_with_identifiers() {
    let gone = GooglePerson {
        deleted: true,
        ..with_email("people/c6", "ada@example.com")
    };
    let gone_without_identifier = GooglePerson {
        deleted: true,
        ..person("people/c7")
    };
    assert_eq!(
        map_person(&gone),
        PersonOutcome::Deleted {
            resource_name: "people/c6".to_owned()
        }
    );
    assert_eq!(
        map_person(&gone_without_identifier),
        PersonOutcome::Deleted {
            resource_name: "people/c7".to_owned()
        }
    );
}

#[test]
fn primary_email_and_phone_come_first() {
    let person = GooglePerson {
        emails: vec![
            email("second@example.com", false),
            email("first@example.com", true),
            email("third@example.com", false),
        ],
        phones: vec![
            typed_phone("11111", false),
            parsed_phone("022 222", "+4122222", true),
        ],
        ..person("people/c8")
    };
    let draft = profile_of(&person);
    assert_eq!(
        draft.emails,
        [
            "first@example.com",
            "second@example.com",
            "third@example.com"
        ]
    );
    assert_eq!(draft.primary_email.as_deref(), Some("first@example.com"));
    assert_eq!(draft.phones, ["+4122222", "11111"]);
}

#[test]
fn an_invalid_primary_email_gives_way_to_the_first_valid_one() {
    let person = GooglePerson {
        emails: vec![
            email("broken", true),
            email("later@example.com", false),
            email("last@example.com", false),
        ],
        ..person("people/c9")
    };
    let draft = profile_of(&person);
    assert_eq!(draft.primary_email.as_deref(), Some("later@example.com"));
    assert_eq!(draft.emails, ["later@example.com", "last@example.com"]);
}

#[test]
fn duplicates_after_normalisation_are_removed() {
    let person = GooglePerson {
        emails: vec![
            email("Ada@Example.com", false),
            email(" ada@example.com ", true),
            email("ADA@EXAMPLE.COM", false),
        ],
        phones: vec![
            typed_phone("+1 555 123 4567", false),
            parsed_phone("(555) 123-4567", "+15551234567", true),
            typed_phone("+1-555-123-4567", false),
        ],
        ..person("people/c10")
    };
    let draft = profile_of(&person);
    assert_eq!(draft.emails, ["ada@example.com"]);
    assert_eq!(draft.phones, ["+15551234567"]);
}

#[test]
fn placeholder_photos_are_ignored() {
    let only_placeholder = GooglePerson {
        photos: vec![photo("https://lh3.example/default.png", true, true)],
        ..with_email("people/c11", "a@b.c")
    };
    assert_eq!(profile_of(&only_placeholder).photo_url, None);

    let placeholder_then_real = GooglePerson {
        photos: vec![
            photo("https://lh3.example/default.png", true, true),
            photo("https://lh3.example/real.jpg", false, false),
        ],
        ..with_email("people/c12", "a@b.c")
    };
    assert_eq!(
        profile_of(&placeholder_then_real).photo_url.as_deref(),
        Some("https://lh3.example/real.jpg")
    );
}

#[test]
fn the_primary_real_photo_is_chosen_and_blank_urls_skipped() {
    let person = GooglePerson {
        photos: vec![
            photo("   ", false, false),
            photo("https://lh3.example/other.jpg", false, false),
            photo("https://lh3.example/primary.jpg", false, true),
        ],
        ..with_email("people/c13", "a@b.c")
    };
    assert_eq!(
        profile_of(&person).photo_url.as_deref(),
        Some("https://lh3.example/primary.jpg")
    );
}

#[test]
fn the_display_name_is_the_primary_names_display_name() {
    let person = GooglePerson {
        names: vec![
            name(Some("Other Name"), Some("Other"), None, false),
            name(Some("Ada Lovelace"), Some("Ada"), Some("Lovelace"), true),
        ],
        ..with_email("people/c14", "ada@example.com")
    };
    let draft = profile_of(&person);
    assert_eq!(draft.display_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(draft.given_name.as_deref(), Some("Ada"));
    assert_eq!(draft.family_name.as_deref(), Some("Lovelace"));
}

#[test]
fn without_a_primary_the_first_name_is_used() {
    let person = GooglePerson {
        names: vec![
            name(Some("First"), None, None, false),
            name(Some("Second"), None, None, false),
        ],
        ..with_email("people/c15", "x@y.z")
    };
    assert_eq!(profile_of(&person).display_name.as_deref(), Some("First"));
}

#[test]
fn the_display_name_falls_back_to_given_and_family_names() {
    let both = GooglePerson {
        names: vec![name(Some("  "), Some(" Grace "), Some("Hopper"), true)],
        ..with_email("people/c16", "grace@example.com")
    };
    assert_eq!(
        profile_of(&both).display_name.as_deref(),
        Some("Grace Hopper")
    );

    let given_only = GooglePerson {
        names: vec![name(None, Some("Grace"), None, true)],
        ..with_email("people/c17", "grace@example.com")
    };
    assert_eq!(
        profile_of(&given_only).display_name.as_deref(),
        Some("Grace")
    );

    let family_only = GooglePerson {
        names: vec![name(None, None, Some("Hopper"), true)],
        ..with_email("people/c18", "grace@example.com")
    };
    assert_eq!(
        profile_of(&family_only).display_name.as_deref(),
        Some("Hopper")
    );
}

#[test]
fn the_display_name_falls_back_to_the_email_then_the_phone() {
    let by_email = GooglePerson {
        names: vec![name(Some(" "), Some(""), None, true)],
        phones: vec![typed_phone("+1 555 000 1111", true)],
        ..with_email("people/c19", " Grace@Example.com")
    };
    assert_eq!(
        profile_of(&by_email).display_name.as_deref(),
        Some("grace@example.com")
    );

    let by_phone = GooglePerson {
        phones: vec![typed_phone("+1 555 000 1111", true)],
        ..person("people/c20")
    };
    assert_eq!(
        profile_of(&by_phone).display_name.as_deref(),
        Some("+15550001111")
    );
}

#[test]
fn the_primary_organization_gives_name_and_title() {
    let person = GooglePerson {
        organizations: vec![
            PersonOrganization {
                name: Some("Old Corp".to_owned()),
                title: Some("Intern".to_owned()),
                primary: false,
            },
            PersonOrganization {
                name: Some(" Analytical Engines Ltd ".to_owned()),
                title: Some("Programmer".to_owned()),
                primary: true,
            },
        ],
        ..with_email("people/c21", "ada@example.com")
    };
    let draft = profile_of(&person);
    assert_eq!(
        draft.organization.as_deref(),
        Some("Analytical Engines Ltd")
    );
    assert_eq!(draft.title.as_deref(), Some("Programmer"));
}

#[test]
fn previous_resource_names_are_carried_so_a_rename_updates() {
    let person = GooglePerson {
        previous_resource_names: vec!["people/c0".to_owned()],
        ..with_email("people/c22", "ada@example.com")
    };
    assert_eq!(profile_of(&person).previous_source_ids, ["people/c0"]);
}

/// The seed's account: 428 contacts, 12 of them with an email or phone.
fn seed_contacts() -> Vec<GooglePerson> {
    let mut people = Vec::new();
    for i in 0..12 {
        let resource_name = format!("people/with-{i}");
        let person = match i % 3 {
            0 => with_email(&resource_name, &format!(" Person{i}@Example.com")),
            1 => GooglePerson {
                phones: vec![typed_phone(&format!("+1 555 010 {i:04}"), true)],
                ..person(&resource_name)
            },
            _ => GooglePerson {
                emails: vec![email("broken", true), email(&format!("p{i}@x.io"), false)],
                phones: vec![typed_phone("12", false)],
                ..person(&resource_name)
            },
        };
        people.push(person);
    }
    for i in 0..416 {
        let resource_name = format!("people/without-{i}");
        let person = match i % 4 {
            0 => person(&resource_name),
            1 => GooglePerson {
                names: vec![name(Some(&format!("Name {i}")), None, None, true)],
                ..person(&resource_name)
            },
            2 => GooglePerson {
                emails: vec![email("no-at-sign", true), email("two@@ats", false)],
                ..person(&resource_name)
            },
            _ => GooglePerson {
                phones: vec![typed_phone("+123", true), typed_phone("ext 9", false)],
                ..person(&resource_name)
            },
        };
        people.push(person);
    }
    people
}

#[test]
fn the_seeds_428_contacts_give_12_profiles_and_416_skipped() {
    let people = seed_contacts();
    assert_eq!(people.len(), 428);

    let outcomes: Vec<PersonOutcome> = people.iter().map(map_person).collect();
    let counts = tally(&outcomes);

    assert_eq!(counts.total_contacts, 428);
    assert_eq!(counts.synced, 12);
    assert_eq!(counts.skipped_no_identifier, 416);
    assert_eq!(counts.reported_deletions, 0);
    assert!(counts.adds_up());
    for outcome in &outcomes {
        if let PersonOutcome::Profile(draft) = outcome {
            assert!(draft.source_id.starts_with("people/with-"));
        }
    }
}
