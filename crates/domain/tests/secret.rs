//! `Secret`: tokens and keys never show themselves in `Debug` or `Display` output, also inside the
//! types that carry them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pulse_domain::{NewConnection, Secret};
use support::user;

const VALUE: &str = "q7Zx9Kp2Wm9Vt4Jh";

/// Fails when `shown` contains any three consecutive characters of the secret value.
fn assert_no_part_of_value(shown: &str) {
    let chars: Vec<char> = VALUE.chars().collect();
    for window in chars.windows(3) {
        let part: String = window.iter().collect();
        assert!(!shown.contains(&part), "{shown:?} shows {part:?}");
    }
}

#[test]
fn debug_and_display_never_show_the_value() {
    let secret = Secret::new(VALUE);
    let debug = format!("{secret:?}");
    let pretty = format!("{secret:#?}");
    let display = secret.to_string();
    for shown in [&debug, &pretty, &display] {
        assert_no_part_of_value(shown);
        assert!(shown.contains("redacted"), "{shown}");
    }
    assert_eq!(display, "[redacted]");
}

#[test]
fn expose_gives_the_value_to_the_one_place_that_needs_it() {
    assert_eq!(Secret::new(VALUE).expose(), VALUE);
    assert_eq!(Secret::new(String::from("k")).expose(), "k");
}

#[test]
fn secrets_compare_by_value() {
    assert_eq!(Secret::new("a"), Secret::new("a"));
    assert_ne!(Secret::new("a"), Secret::new("b"));
}

#[test]
fn a_connection_printed_for_a_log_hides_its_refresh_token() {
    let connection = NewConnection {
        user_id: user("u1"),
        google_account_id: Some("1234567890".to_owned()),
        google_email: Some("ada@example.com".to_owned()),
        refresh_token: Secret::new(VALUE),
        access_token_expires_at: None,
        scopes: vec!["https://www.googleapis.com/auth/contacts.readonly".to_owned()],
    };
    let printed = format!("{connection:?}");
    assert_no_part_of_value(&printed);
    assert!(printed.contains("ada@example.com"));
}
