//! The webhook rules: which events a run's end reports and with what data, when a failed delivery
//! is tried again (backoff, `Retry-After`, a day in all), and which addresses are refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use pulse_domain::ports::{RunEnd, RunEnding};
use pulse_domain::webhook::{
    DeliveryPolicy, EndFacts, EventKind, WebhookEventData, WebhookUrlError, check_webhook_url,
    events_for_end, is_forbidden_address, next_attempt,
};
use pulse_domain::{
    ChangeCursor, FailureKind, JobCounts, JobLease, JobTrigger, PausedReason, SyncFailure, UserId,
};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn lease() -> JobLease {
    JobLease {
        job_id: uuid::Uuid::nil(),
        user_id: UserId::parse("w").unwrap(),
        attempt: 1,
        worker_id: "w1".to_owned(),
        trigger: JobTrigger::Auto,
        started_at: t0(),
    }
}

fn end(ending: RunEnding) -> RunEnd {
    RunEnd {
        counts: JobCounts::default(),
        finished_at: t0() + TimeDelta::seconds(5),
        grant: Some(1),
        ending,
    }
}

fn kinds(events: &[pulse_domain::webhook::EventDraft]) -> Vec<EventKind> {
    events.iter().map(|event| event.kind).collect()
}

#[test]
fn event_names_parse_back_and_unknown_ones_are_refused() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::parse(kind.as_str()), Ok(kind));
    }
    assert!(EventKind::parse("contact.updated").is_err());
    assert!(EventKind::parse("SYNC.COMPLETED").is_err());
}

#[test]
fn a_completion_reports_its_counts_and_a_retry_reports_nothing() {
    let counts = JobCounts {
        total_contacts: 5,
        synced: 4,
        created: 4,
        skipped_no_identifier: 1,
        ..JobCounts::default()
    };
    let completed = end(RunEnding::Completed {
        sync_token: None,
        full_listing: true,
    });
    let range = (
        ChangeCursor::after_seq(7).unwrap(),
        ChangeCursor::after_seq(19).unwrap(),
    );
    let facts = EndFacts {
        changes: Some(range),
        ..EndFacts::default()
    };
    let events = events_for_end(&lease(), &completed, &counts, facts);
    assert_eq!(kinds(&events), [EventKind::SyncCompleted]);
    let WebhookEventData::SyncCompleted {
        counts: reported,
        finished_at,
        trigger,
        changes,
        ..
    } = &events[0].data
    else {
        panic!("{events:?}");
    };
    assert_eq!(
        (
            reported.created,
            reported.synced,
            reported.skipped_no_identifier
        ),
        (4, 4, 1)
    );
    assert_eq!(*finished_at, t0() + TimeDelta::seconds(5));
    assert_eq!(*trigger, JobTrigger::Auto);
    let changes = changes.as_ref().expect("the range");
    assert_eq!(
        ChangeCursor::parse(&changes.after),
        Ok(range.0),
        "the feed's own cursors"
    );
    assert_eq!(ChangeCursor::parse(&changes.until), Ok(range.1));

    let retrying = end(RunEnding::Retrying {
        message: "flaky".to_owned(),
        retry_at: t0(),
    });
    let facts = EndFacts {
        paused: Some((PausedReason::TooManyFailures, 10)),
        marked_reauth_required: true,
        ..EndFacts::default()
    };
    assert!(events_for_end(&lease(), &retrying, &counts, facts).is_empty());
}

#[test]
fn a_refusal_reports_the_failure_then_the_reconnect_then_the_pause() {
    let refused = end(RunEnding::Failed {
        failure: SyncFailure {
            kind: FailureKind::Authorization,
            message: "reconnect Google".to_owned(),
        },
        jitter: 0.0,
    });
    let facts = EndFacts {
        paused: Some((PausedReason::GoogleReauthRequired, 3)),
        marked_reauth_required: true,
        ..EndFacts::default()
    };
    let events = events_for_end(&lease(), &refused, &JobCounts::default(), facts);
    assert_eq!(
        kinds(&events),
        [
            EventKind::SyncFailed,
            EventKind::GoogleReauthRequired,
            EventKind::AutoSyncPaused
        ]
    );
    assert!(
        matches!(&events[0].data, WebhookEventData::SyncFailed { kind: "authorization", message, .. } if message == "reconnect Google")
    );
    assert!(matches!(
        &events[2].data,
        WebhookEventData::AutoSyncPaused {
            reason: "google_reauth_required",
            consecutive_failures: 3,
            ..
        }
    ));
    // Nothing marked or paused by this end (already so): only the failure.
    let events = events_for_end(
        &lease(),
        &refused,
        &JobCounts::default(),
        EndFacts::default(),
    );
    assert_eq!(kinds(&events), [EventKind::SyncFailed]);
}

#[test]
fn retries_double_from_30_seconds_up_to_2_hours_and_honour_a_longer_retry_after() {
    let policy = DeliveryPolicy::default();
    let created = t0();
    let delay = |attempts, retry_after| {
        next_attempt(&policy, created, attempts, created, retry_after, 0.0).map(|at| at - created)
    };
    assert_eq!(delay(1, None), Some(TimeDelta::seconds(30)));
    assert_eq!(delay(2, None), Some(TimeDelta::seconds(60)));
    assert_eq!(delay(3, None), Some(TimeDelta::seconds(120)));
    assert_eq!(delay(20, None), Some(TimeDelta::hours(2)));
    assert_eq!(
        delay(1, Some(TimeDelta::seconds(10))),
        Some(TimeDelta::seconds(30)),
        "a shorter Retry-After waits the backoff"
    );
    assert_eq!(
        delay(1, Some(TimeDelta::seconds(600))),
        Some(TimeDelta::seconds(600))
    );
    assert_eq!(
        delay(1, Some(TimeDelta::days(3))),
        Some(TimeDelta::hours(6)),
        "capped"
    );
    assert_eq!(
        next_attempt(
            &policy,
            created,
            5,
            created + TimeDelta::hours(24),
            None,
            0.0
        ),
        None,
        "a day after the event, a failure gives up"
    );
}

proptest! {
    #[test]
    fn retries_go_on_for_at_least_a_day_with_jitter(jitters in prop::collection::vec(-0.1f64..=0.1, 40)) {
        let policy = DeliveryPolicy::default();
        let created = t0();
        let mut now = created;
        let mut attempts = 0;
        for jitter in jitters {
            attempts += 1;
            match next_attempt(&policy, created, attempts, now, None, jitter) {
                Some(at) => {
                    prop_assert!(at > now);
                    prop_assert!(at - now <= TimeDelta::minutes(132), "at most the cap plus jitter");
                    now = at;
                }
                None => {
                    prop_assert!(now - created >= TimeDelta::hours(24));
                    return Ok(());
                }
            }
        }
        prop_assert!(false, "it never gave up within 40 attempts");
    }
}

#[test]
fn internal_addresses_are_forbidden_and_public_ones_are_not() {
    for internal in [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.255",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
        "64:ff9b:1::a00:1",
        "192.0.0.8",
        "198.18.0.1",
        "198.19.255.255",
        "2001:0:4136:e378::1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
    ] {
        let address: IpAddr = internal.parse().unwrap();
        assert!(
            is_forbidden_address(address),
            "{internal} should be refused"
        );
    }
    for public in [
        "8.8.8.8",
        "100.128.0.1",
        "172.32.0.1",
        "2606:4700::1111",
        "::ffff:8.8.8.8",
        "192.0.1.1",
        "198.20.0.1",
        "2002:808:808::1",
        "2001:db9::1",
    ] {
        let address: IpAddr = public.parse().unwrap();
        assert!(!is_forbidden_address(address), "{public} should be allowed");
    }
}

#[test]
fn urls_must_be_http_with_a_host_and_not_internal_unless_allowed() {
    assert_eq!(
        check_webhook_url("https", Some("crm.example.com"), false),
        Ok(())
    );
    assert_eq!(
        check_webhook_url("ftp", Some("crm.example.com"), true),
        Err(WebhookUrlError::NotHttp)
    );
    assert_eq!(
        check_webhook_url("http", None, true),
        Err(WebhookUrlError::NotHttp)
    );
    for host in [
        "127.0.0.1",
        "localhost",
        "LOCALHOST.",
        "api.localhost",
        "[::1]",
        "10.1.2.3",
    ] {
        assert_eq!(
            check_webhook_url("http", Some(host), false),
            Err(WebhookUrlError::Internal),
            "{host}"
        );
        assert_eq!(
            check_webhook_url("http", Some(host), true),
            Ok(()),
            "{host} allowed"
        );
    }
}
