//! The shared rate limiter: exact admissions on a fake clock under concurrent threads, and the
//! real client held to the configured requests-per-minute (project and per user) against the
//! fake Google.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{list_all, start_fake, test_config, user};
use governor::clock::FakeRelativeClock;
use pulse_domain::ports::ListingMode;
use pulse_google::fake::{FakeEndpoint, FakeOptions, generated_account};
use pulse_google::{GoogleClient, RateLimitConfig, RateLimits};

fn nz(value: u32) -> NonZeroU32 {
    NonZeroU32::new(value).unwrap()
}

/// Eight threads, each for its own set of users, try to get through as often as they can at
/// the current (frozen) instant; returns how many were admitted.
fn hammer(limits: &RateLimits<FakeRelativeClock>, users_per_thread: usize) -> u64 {
    let admitted = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let admitted = &admitted;
            scope.spawn(move || {
                for attempt in 0..50 {
                    let user = user(&format!("user-{thread}-{}", attempt % users_per_thread));
                    if limits.try_acquire(Some(&user)) {
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    admitted.into_inner()
}

#[test]
fn the_project_limit_admits_its_burst_at_once_then_exactly_its_rate() {
    let clock = FakeRelativeClock::default();
    let limits = RateLimits::with_clock(
        &RateLimitConfig {
            project_rpm: nz(120),
            project_burst: nz(10),
            user_rpm: nz(1_000_000),
            user_burst: nz(1_000_000),
        },
        clock.clone(),
    );

    assert_eq!(hammer(&limits, 5), 10, "the first instant admits the burst");
    assert_eq!(hammer(&limits, 5), 0, "then everyone waits");

    let mut over_a_minute = 0;
    for _ in 0..120 {
        clock.advance(Duration::from_millis(500));
        let admitted = hammer(&limits, 5);
        assert_eq!(admitted, 1, "one request per 500 ms at 120 per minute");
        over_a_minute += admitted;
    }
    assert_eq!(over_a_minute, 120);
    assert_eq!(limits.admitted(), 130);
}

#[test]
fn each_user_has_a_limit_of_their_own() {
    let clock = FakeRelativeClock::default();
    let limits = RateLimits::with_clock(
        &RateLimitConfig {
            project_rpm: nz(1_000_000),
            project_burst: nz(1_000_000),
            user_rpm: nz(6),
            user_burst: nz(2),
        },
        clock.clone(),
    );

    // 8 threads x 1 user each: every user gets its burst of 2, no more.
    assert_eq!(hammer(&limits, 1), 16);
    let mut over_a_minute = 0;
    for _ in 0..6 {
        clock.advance(Duration::from_secs(10));
        over_a_minute += hammer(&limits, 1);
    }
    assert_eq!(
        over_a_minute,
        6 * 8,
        "one request per user per 10 s at 6 per minute"
    );
}

/// Waits (bounded) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_users_are_held_to_the_project_rate() {
    let mut options = FakeOptions::default();
    for n in 0..6 {
        options = options.with_account(&format!("acct-{n}"), generated_account(5, n));
    }
    let fake = Arc::new(start_fake(options));
    let mut config = test_config(&fake);
    // One request a minute after a burst of three: nothing past the burst can get through
    // while this test runs.
    config.rate_limits.project_rpm = nz(1);
    config.rate_limits.project_burst = nz(3);
    let client = GoogleClient::new(&config).unwrap();

    let tasks: Vec<_> = (0..6)
        .map(|n| {
            let client = client.clone();
            let refresh_token = fake.grant(&format!("acct-{n}")).unwrap();
            tokio::spawn(async move {
                list_all(
                    &client,
                    &user(&format!("user-{n}")),
                    &refresh_token,
                    ListingMode::Full,
                )
                .await
            })
        })
        .collect();

    let google_requests = || {
        fake.total_requests(FakeEndpoint::Token) + fake.total_requests(FakeEndpoint::Connections)
    };
    eventually("the burst has reached Google", || google_requests() == 3).await;
    // Give the other requests every chance to slip through: none can before a minute passes.
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(google_requests(), 3);
    assert_eq!(client.rate_limits().admitted(), 3);
    let finished = tasks.iter().filter(|task| task.is_finished()).count();
    assert!(
        finished <= 1,
        "each listing needs a token and a page: {finished} finished"
    );
    for task in tasks {
        task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_is_held_to_their_own_rate_without_holding_up_others() {
    let fake = start_fake(
        FakeOptions::default()
            .with_account("busy", generated_account(30, 1))
            .with_account("light", generated_account(5, 2))
            .with_page_size_cap(10),
    );
    let mut config = test_config(&fake);
    // Two requests per user, then one a minute: a refresh and one page each.
    config.rate_limits.user_rpm = nz(1);
    config.rate_limits.user_burst = nz(2);
    let client = GoogleClient::new(&config).unwrap();
    let busy_token = fake.grant("busy").unwrap();
    let light_token = fake.grant("light").unwrap();

    // Three pages for the busy user: the refresh and the first page go out, the second waits.
    let busy = {
        let client = client.clone();
        tokio::spawn(async move {
            list_all(&client, &user("busy-user"), &busy_token, ListingMode::Full).await
        })
    };
    eventually("the busy user's first page went out", || {
        fake.request_count("busy", FakeEndpoint::Connections) == 1
    })
    .await;

    // Meanwhile another user's single-page listing goes through untouched.
    let light = tokio::time::timeout(
        Duration::from_secs(30),
        list_all(
            &client,
            &user("light-user"),
            &light_token,
            ListingMode::Full,
        ),
    )
    .await
    .expect("the light user is not held up by the busy one")
    .unwrap();
    assert_eq!(light.people.len(), 5);

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.request_count("busy", FakeEndpoint::Token), 1);
    assert_eq!(fake.request_count("busy", FakeEndpoint::Connections), 1);
    assert!(!busy.is_finished());
    busy.abort();
}
