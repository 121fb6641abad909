//! `SyncInterval`: whole hours from 1 to 720; zero, negatives, over 720, fractions, NaN and
//! infinities are refused, also when the value arrives through serde.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeDelta;
use pulse_domain::{SyncInterval, ValidationError};
use serde::Deserialize;
use serde::de::IntoDeserializer;
use serde::de::value::Error as ValueError;

fn from_serde<'de, T: IntoDeserializer<'de, ValueError>>(
    value: T,
) -> Result<SyncInterval, ValueError> {
    SyncInterval::deserialize(value.into_deserializer())
}

#[test]
fn whole_hours_from_1_to_720_are_accepted() {
    for hours in [1, 2, 24, 168, 719, 720] {
        let interval = SyncInterval::from_hours(hours).unwrap();
        assert_eq!(interval.hours(), hours);
        assert_eq!(interval.duration(), TimeDelta::hours(hours));
    }
}

#[test]
fn zero_negatives_and_over_720_are_refused() {
    for hours in [0, -1, -24, -720, 721, 1000, i64::MAX, i64::MIN] {
        assert_eq!(
            SyncInterval::from_hours(hours),
            Err(ValidationError::IntervalOutOfRange),
            "{hours} should be refused"
        );
    }
}

#[test]
fn the_default_is_24_hours() {
    assert_eq!(SyncInterval::default().hours(), 24);
    assert_eq!(SyncInterval::DEFAULT, SyncInterval::from_hours(24).unwrap());
}

#[test]
fn whole_floats_in_range_are_accepted() {
    assert_eq!(SyncInterval::from_f64(1.0).unwrap().hours(), 1);
    assert_eq!(SyncInterval::from_f64(24.0).unwrap().hours(), 24);
    assert_eq!(SyncInterval::from_f64(720.0).unwrap().hours(), 720);
}

#[test]
fn fractions_and_out_of_range_floats_are_refused() {
    for hours in [
        1.5,
        0.5,
        23.999,
        24.000_001,
        719.5,
        720.5,
        0.0,
        -0.0,
        -1.0,
        721.0,
        f64::MIN_POSITIVE,
        1e300,
        -1e300,
    ] {
        assert_eq!(
            SyncInterval::from_f64(hours),
            Err(ValidationError::IntervalOutOfRange),
            "{hours} should be refused"
        );
    }
}

#[test]
fn nan_and_infinities_are_refused() {
    for hours in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(
            SyncInterval::from_f64(hours),
            Err(ValidationError::IntervalOutOfRange)
        );
    }
}

#[test]
fn the_error_names_the_field_and_a_stable_code() {
    let error = ValidationError::IntervalOutOfRange;
    assert_eq!(error.field(), "interval_hours");
    assert_eq!(error.code(), "invalid_interval");
    assert!(error.to_string().contains("720"));
}

#[test]
fn serde_accepts_integers_in_range() {
    assert_eq!(from_serde(24_u64).unwrap().hours(), 24);
    assert_eq!(from_serde(1_i64).unwrap().hours(), 1);
    assert_eq!(from_serde(720_u32).unwrap().hours(), 720);
}

#[test]
fn serde_accepts_whole_floats() {
    assert_eq!(from_serde(48.0_f64).unwrap().hours(), 48);
}

#[test]
fn serde_refuses_out_of_range_integers() {
    assert!(from_serde(0_u64).is_err());
    assert!(from_serde(-5_i64).is_err());
    assert!(from_serde(721_u64).is_err());
    assert!(from_serde(u64::MAX).is_err());
    assert!(from_serde(i64::MIN).is_err());
}

#[test]
fn serde_refuses_fractions_nan_and_infinity() {
    assert!(from_serde(1.5_f64).is_err());
    assert!(from_serde(f64::NAN).is_err());
    assert!(from_serde(f64::INFINITY).is_err());
}

#[test]
fn serde_refuses_strings_and_booleans() {
    assert!(from_serde("24").is_err());
    assert!(from_serde(true).is_err());
}

#[test]
fn the_serde_error_explains_the_rule() {
    let message = from_serde(0_u64).unwrap_err().to_string();
    assert!(message.contains("1 to 720"), "{message}");
}
