//! The delivery loop against a real receiver on loopback and the real outbox: a receiver that
//! fails (500, then 503 with `Retry-After`) and then recovers gets the event once it recovers,
//! every attempt is recorded, and the backoff and `Retry-After` decide when each retry is due
//! (on a test clock: no timing thresholds); a day of failures gives up; and internal addresses
//! are refused at delivery, whether literal or resolved.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use pulse_domain::ports::{
    Clock, JobQueue, JobRepository, NewEndpoint, RunEnd, RunEnding, SyncRunStore, WebhookOutbox,
    WebhookStore,
};
use pulse_domain::webhook::EventKind;
use pulse_domain::{JobCounts, Secret, UserId};
use pulse_storage::PgStore;
use pulse_storage::testing::TestDatabase;
use pulse_tests::webhook_receiver::{Receiver, Reply, Verdict};
use pulse_webhooks::{Deliverer, DeliveryConfig, HttpSender, SenderSettings};

/// A clock the test moves by hand, without jitter.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    fn jitter(&self) -> f64 {
        0.0
    }
}

/// A workspace with an endpoint at `url` and one completed run: one event, one delivery.
async fn one_event(store: &PgStore, workspace: &str, url: &str) -> (UserId, Secret) {
    let user = UserId::parse(workspace).unwrap();
    let secret = Secret::new(format!("whsec_{}", uuid::Uuid::new_v4().simple()));
    store
        .put_endpoint(
            NewEndpoint {
                workspace: Some(&user),
                url,
                events: &[EventKind::SyncCompleted],
                secret: &secret,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let job = store.enqueue_manual(&user, Utc::now()).await.unwrap();
    let lease = store
        .claim_job(job.id, "test", TimeDelta::minutes(2), Utc::now())
        .await
        .unwrap()
        .unwrap();
    let end = RunEnd {
        counts: JobCounts::default(),
        finished_at: Utc::now(),
        grant: None,
        ending: RunEnding::Completed {
            sync_token: None,
            full_listing: false,
        },
    };
    store.end_run(&lease, end).await.unwrap();
    (user, secret)
}

fn deliverer(store: &PgStore, clock: &Arc<TestClock>, allow_private: bool) -> Deliverer<PgStore> {
    let sender = HttpSender::new(SenderSettings {
        allow_private,
        ..SenderSettings::default()
    })
    .unwrap();
    let clock: Arc<dyn Clock> = clock.clone();
    Deliverer::new(
        Arc::new(store.clone()),
        sender,
        clock,
        DeliveryConfig::default(),
    )
}

/// A test clock a second ahead of the wall clock (the event's time), in PostgreSQL's
/// microseconds so stored times compare exactly.
fn clock_after_now() -> Arc<TestClock> {
    let micros = (Utc::now() + TimeDelta::seconds(1)).timestamp_micros();
    Arc::new(TestClock(Mutex::new(
        DateTime::from_timestamp_micros(micros).unwrap(),
    )))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_event_once_it_recovers_after_the_backoff_and_retry_after() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let receiver = Receiver::start(0);
    let (user, secret) = one_event(&store, "retried", receiver.url()).await;
    receiver.set_secret(secret.expose());
    receiver.script([
        Reply::status(500),
        Reply {
            status: 503,
            retry_after: Some("120".to_owned()),
        },
    ]);
    let clock = clock_after_now();
    let deliverer = deliverer(&store, &clock, true);
    let t0 = clock.now();

    // Attempt 1: 500. The next is due after the first backoff step, 30 s.
    assert_eq!(deliverer.deliver_due().await.unwrap(), 1);
    assert_eq!(
        store.earliest_delivery_at().await.unwrap(),
        Some(t0 + TimeDelta::seconds(30))
    );
    clock.advance(TimeDelta::seconds(29));
    assert_eq!(
        deliverer.deliver_due().await.unwrap(),
        0,
        "not before its time"
    );

    // Attempt 2: 503 with Retry-After: 120, longer than the 60 s backoff step: 120 s it is.
    clock.advance(TimeDelta::seconds(1));
    let t2 = clock.now();
    assert_eq!(deliverer.deliver_due().await.unwrap(), 1);
    assert_eq!(
        store.earliest_delivery_at().await.unwrap(),
        Some(t2 + TimeDelta::seconds(120))
    );
    clock.advance(TimeDelta::seconds(119));
    assert_eq!(deliverer.deliver_due().await.unwrap(), 0);

    // Attempt 3: the receiver has recovered; verified and processed.
    clock.advance(TimeDelta::seconds(1));
    let t3 = clock.now();
    assert_eq!(deliverer.deliver_due().await.unwrap(), 1);
    assert_eq!(
        store.earliest_delivery_at().await.unwrap(),
        None,
        "delivered"
    );
    clock.advance(TimeDelta::hours(1));
    assert_eq!(deliverer.deliver_due().await.unwrap(), 0, "and never again");

    let received = receiver.received();
    assert_eq!(
        received
            .iter()
            .map(|r| r.verdict.clone())
            .collect::<Vec<_>>(),
        [
            Verdict::Scripted(500),
            Verdict::Scripted(503),
            Verdict::Processed
        ]
    );
    let ids: Vec<_> = received.iter().map(|r| r.event_id.clone()).collect();
    assert!(ids.iter().all(|id| id == &ids[0]), "one event: {ids:?}");
    assert!(
        received.iter().all(|r| r.body == received[0].body),
        "the same body each time"
    );
    let body = received[2].json();
    assert_eq!(body["type"], "sync.completed");
    assert_eq!(body["workspace_id"], "retried");
    assert_eq!(body["sequence"], 1);
    assert_eq!(body["id"].as_str(), ids[0].as_deref());

    let log = store.recent_attempts(Some(&user), 10).await.unwrap();
    assert_eq!(
        log.iter()
            .map(|a| (a.attempt, a.status_code, a.attempted_at, a.next_attempt_at))
            .collect::<Vec<_>>(),
        [
            (3, Some(200), t3, None),
            (2, Some(503), t2, Some(t2 + TimeDelta::seconds(120))),
            (1, Some(500), t0, Some(t0 + TimeDelta::seconds(30))),
        ]
    );
    assert_eq!(log[1].error.as_deref(), Some("the receiver answered 503"));
    assert_eq!(log[0].error, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_of_failures_gives_up() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let receiver = Receiver::start(0);
    let (user, _) = one_event(&store, "given-up", receiver.url()).await;
    receiver.script((0..100).map(|_| Reply::status(500)));
    let clock = clock_after_now();
    let deliverer = deliverer(&store, &clock, true);
    let start = clock.now();
    let mut attempts = 0;
    while let Some(next) = store.earliest_delivery_at().await.unwrap() {
        if next > clock.now() {
            clock.advance(next - clock.now());
        }
        assert_eq!(deliverer.deliver_due().await.unwrap(), 1);
        attempts += 1;
        assert!(attempts < 100, "it must give up");
    }
    let log = store.recent_attempts(Some(&user), 100).await.unwrap();
    let last = &log[0];
    assert_eq!(last.next_attempt_at, None, "given up");
    assert!(
        last.attempted_at - start >= TimeDelta::hours(24),
        "retried for a day first"
    );
    assert!(
        log.windows(2)
            .all(|pair| pair[0].attempted_at - pair[1].attempted_at <= TimeDelta::hours(2)),
        "no gap longer than the cap"
    );
    assert_eq!(receiver.received().len(), attempts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_addresses_are_refused_at_delivery_literal_or_resolved() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let receiver = Receiver::start(0);
    let literal = receiver.url().to_owned();
    let by_name = format!("http://localhost:{}/hooks/pulse", receiver.port());
    let (first, _) = one_event(&store, "literal", &literal).await;
    let (second, _) = one_event(&store, "by-name", &by_name).await;
    let clock = clock_after_now();
    let deliverer = deliverer(&store, &clock, false);
    assert_eq!(deliverer.deliver_due().await.unwrap(), 2);
    assert!(
        receiver.received().is_empty(),
        "no request reached the receiver"
    );
    let refused = store.recent_attempts(Some(&first), 1).await.unwrap();
    let error = refused[0].error.as_deref().unwrap();
    assert!(
        error.contains("127.0.0.1 is a loopback, private or internal address"),
        "{error}"
    );
    let refused = store.recent_attempts(Some(&second), 1).await.unwrap();
    let error = refused[0].error.as_deref().unwrap();
    assert!(
        error.contains("localhost resolves only to loopback"),
        "{error}"
    );
    assert_eq!(refused[0].status_code, None);
}
