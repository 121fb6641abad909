//! `UserId` (the API's `workspace_id`): trimmed, 1 to 255 characters counted as chars, no control
//! characters, and a typed error otherwise.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_domain::{UserId, ValidationError};
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::Error as ValueError;

fn from_serde(raw: &str) -> Result<UserId, ValueError> {
    UserId::deserialize(IntoDeserializer::<ValueError>::into_deserializer(raw))
}

#[test]
fn a_plain_id_is_kept_as_is() {
    let id = UserId::parse("workspace-42").unwrap();
    assert_eq!(id.as_str(), "workspace-42");
    assert_eq!(id.to_string(), "workspace-42");
}

#[test]
fn surrounding_whitespace_is_trimmed() {
    assert_eq!(UserId::parse("  alice  ").unwrap().as_str(), "alice");
    assert_eq!(UserId::parse("\t\r\n bob \n").unwrap().as_str(), "bob");
}

#[test]
fn inner_spaces_are_kept() {
    assert_eq!(UserId::parse(" team one ").unwrap().as_str(), "team one");
}

#[test]
fn empty_and_blank_ids_are_refused_as_length_errors() {
    for raw in ["", " ", "   ", "\t\n", "\u{3000}"] {
        assert_eq!(
            UserId::parse(raw),
            Err(ValidationError::UserIdLength),
            "{raw:?} should be refused"
        );
    }
}

#[test]
fn one_character_is_the_shortest_valid_id() {
    assert_eq!(UserId::parse("x").unwrap().as_str(), "x");
}

#[test]
fn two_hundred_fifty_five_characters_are_accepted_and_one_more_is_not() {
    let longest = "a".repeat(255);
    assert_eq!(UserId::parse(&longest).unwrap().as_str(), longest);
    assert_eq!(
        UserId::parse(&"a".repeat(256)),
        Err(ValidationError::UserIdLength)
    );
}

#[test]
fn the_length_is_measured_after_trimming() {
    let padded = format!("   {}   ", "a".repeat(255));
    assert_eq!(UserId::parse(&padded).unwrap().as_str().len(), 255);
}

#[test]
fn unicode_is_counted_in_characters_not_bytes() {
    let accents = "é".repeat(255);
    assert_eq!(accents.len(), 510);
    assert_eq!(UserId::parse(&accents).unwrap().as_str(), accents);

    let crabs = "🦀".repeat(255);
    assert_eq!(crabs.len(), 1020);
    assert!(UserId::parse(&crabs).is_ok());

    assert_eq!(
        UserId::parse(&"é".repeat(256)),
        Err(ValidationError::UserIdLength)
    );
    assert_eq!(
        UserId::parse(&"🦀".repeat(256)),
        Err(ValidationError::UserIdLength)
    );
}

#[test]
fn control_characters_inside_are_refused() {
    for raw in [
        "a\u{0}b", "a\tb", "a\nb", "a\rb", "a\u{1b}b", "a\u{7f}b", "a\u{85}b", "a\u{9f}b",
    ] {
        assert_eq!(
            UserId::parse(raw),
            Err(ValidationError::UserIdControlCharacter),
            "{raw:?} should be refused"
        );
    }
}

#[test]
fn a_control_character_that_is_not_whitespace_is_refused_even_at_the_edges() {
    assert_eq!(
        UserId::parse("\u{0}abc"),
        Err(ValidationError::UserIdControlCharacter)
    );
    assert_eq!(
        UserId::parse("abc\u{7}"),
        Err(ValidationError::UserIdControlCharacter)
    );
}

#[test]
fn errors_name_the_api_field_and_a_stable_code() {
    for error in [
        ValidationError::UserIdLength,
        ValidationError::UserIdControlCharacter,
    ] {
        assert_eq!(error.field(), "workspace_id");
        assert_eq!(error.code(), "invalid_workspace_id");
        assert!(error.to_string().contains("workspace_id"));
    }
}

#[test]
fn deserialisation_applies_the_same_rules() {
    assert_eq!(from_serde("  carol ").unwrap().as_str(), "carol");
    assert!(from_serde("").is_err());
    assert!(from_serde("a\u{0}b").is_err());
    assert!(from_serde(&"z".repeat(256)).is_err());
}

#[test]
fn ids_order_by_their_text() {
    let mut ids = [
        UserId::parse("b").unwrap(),
        UserId::parse("a").unwrap(),
        UserId::parse("c").unwrap(),
    ];
    ids.sort();
    let texts: Vec<&str> = ids.iter().map(UserId::as_str).collect();
    assert_eq!(texts, ["a", "b", "c"]);
}
