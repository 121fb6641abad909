//! Property tests of the validated values: `UserId` and `SyncInterval` accept exactly what the
//! rules allow.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use pulse_domain::{SyncInterval, UserId, ValidationError};

fn raw_id() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => any::<char>(),
            2 => Just(' '),
            1 => Just('\t'),
            1 => Just('\n'),
            1 => Just('\u{0}'),
            1 => Just('\u{7f}'),
            2 => Just('é'),
        ],
        0..300,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn a_user_id_is_accepted_exactly_when_the_rules_allow_it(raw in raw_id()) {
        let trimmed = raw.trim();
        let length = trimmed.chars().count();
        let expected = if length == 0 || length > 255 {
            Err(ValidationError::UserIdLength)
        } else if trimmed.chars().any(char::is_control) {
            Err(ValidationError::UserIdControlCharacter)
        } else {
            Ok(trimmed.to_owned())
        };
        prop_assert_eq!(UserId::parse(&raw).map(|id| id.as_str().to_owned()), expected);
    }

    #[test]
    fn an_interval_is_accepted_exactly_from_1_to_720(hours in any::<i64>()) {
        let accepted = SyncInterval::from_hours(hours).map(SyncInterval::hours);
        if (1..=720).contains(&hours) {
            prop_assert_eq!(accepted, Ok(hours));
        } else {
            prop_assert_eq!(accepted, Err(ValidationError::IntervalOutOfRange));
        }
    }

    #[test]
    fn a_whole_float_is_judged_like_the_integer(hours in -5_000_i64..5_000) {
        prop_assert_eq!(SyncInterval::from_f64(hours as f64), SyncInterval::from_hours(hours));
    }

    #[test]
    fn a_fractional_float_is_always_refused(hours in 0_i64..800, fraction in 0.001_f64..0.999) {
        prop_assert_eq!(
            SyncInterval::from_f64(hours as f64 + fraction),
            Err(ValidationError::IntervalOutOfRange)
        );
    }
}
