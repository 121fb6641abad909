//! `Deliverer`: the loop that delivers the outbox. Each round claims a batch of due deliveries
//! (replicas skip each other's claims), POSTs each signed body, and records the attempt: done on
//! a 2xx answer, else retried at the domain's [`next_attempt`] (jittered exponential backoff, at
//! least the receiver's `Retry-After`) until the event is a day old. A process that dies
//! mid-attempt leaves the claim to run out; the delivery is then due again (at least once).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use futures::future::join_all;
use pulse_domain::ports::{
    AttemptOutcome, AttemptRecord, Clock, DueDelivery, StoreError, WebhookOutbox,
};
use pulse_domain::webhook::{DeliveryPolicy, next_attempt};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::body::delivery_body;
use crate::sender::{HttpSender, SendOutcome};
use crate::signature::{EVENT_ID_HEADER, SIGNATURE_HEADER, sign};

/// Events removed per pruning statement.
const PRUNE_BATCH: i64 = 1000;

/// The loop's settings.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryConfig {
    /// How often the loop looks for due deliveries when it found none.
    pub poll_interval: Duration,
    /// Deliveries claimed (and sent at once) per round.
    pub batch: i64,
    /// How long a claim lasts: a delivery not recorded by then is due again.
    pub lease: TimeDelta,
    /// The retry schedule.
    pub policy: DeliveryPolicy,
    /// How long events whose deliveries are done are kept (with their attempts).
    pub retention: TimeDelta,
    /// How often old events are pruned.
    pub prune_interval: Duration,
}

impl Default for DeliveryConfig {
    /// Every second, 16 at a time, 60-second claims (the sender's timeout is 10 s), the default
    /// retry schedule; done events are kept 7 days, pruned hourly.
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            batch: 16,
            lease: TimeDelta::seconds(60),
            policy: DeliveryPolicy::default(),
            retention: TimeDelta::days(7),
            prune_interval: Duration::from_secs(3600),
        }
    }
}

/// Delivers the outbox of one process.
pub struct Deliverer<O> {
    outbox: Arc<O>,
    sender: HttpSender,
    clock: Arc<dyn Clock>,
    config: DeliveryConfig,
}

impl<O: WebhookOutbox> Deliverer<O> {
    /// A deliverer over the outbox, sending with `sender`, reading time from `clock`.
    pub fn new(
        outbox: Arc<O>,
        sender: HttpSender,
        clock: Arc<dyn Clock>,
        config: DeliveryConfig,
    ) -> Self {
        Self {
            outbox,
            sender,
            clock,
            config,
        }
    }

    /// Delivers until `shutdown` is cancelled (an attempt under way is finished and recorded).
    pub async fn run(&self, shutdown: CancellationToken) {
        tracing::info!(
            poll_ms = u64::try_from(self.config.poll_interval.as_millis()).unwrap_or(u64::MAX),
            batch = self.config.batch,
            "[webhooks] delivery started"
        );
        let mut pruned_at: Option<Instant> = None;
        while !shutdown.is_cancelled() {
            if pruned_at.is_none_or(|at| at.elapsed() >= self.config.prune_interval) {
                pruned_at = Some(Instant::now());
                self.prune().await;
            }
            let claimed = match self.deliver_due().await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(%error, "[webhooks] claiming due deliveries failed; retrying");
                    0
                }
            };
            if usize::try_from(self.config.batch).is_ok_and(|batch| claimed >= batch) {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
        tracing::info!("[webhooks] delivery stopped");
    }

    /// Removes events older than the retention whose deliveries are done, a batch at a time.
    pub async fn prune(&self) {
        let before = self.clock.now() - self.config.retention;
        loop {
            match self.outbox.prune_events(before, PRUNE_BATCH).await {
                Ok(pruned) if pruned >= PRUNE_BATCH.unsigned_abs() => continue,
                Ok(0) => break,
                Ok(pruned) => {
                    tracing::info!(pruned, "[webhooks] old delivered events pruned");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "[webhooks] pruning old events failed; next time");
                    break;
                }
            }
        }
    }

    /// One round: claims the due deliveries, sends them at once, and records each attempt;
    /// returns how many it claimed.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let claimed = self
            .outbox
            .claim_deliveries(now, self.config.lease, self.config.batch)
            .await?;
        let count = claimed.len();
        let attempts = claimed.into_iter().map(|delivery| {
            let span = tracing::info_span!(
                "webhook_delivery",
                event_id = %delivery.event_id,
                endpoint_id = %delivery.endpoint_id,
                event_type = delivery.event_type.as_str(),
                attempt = delivery.attempt,
            );
            self.attempt(delivery).instrument(span)
        });
        for result in join_all(attempts).await {
            if let Err(error) = result {
                tracing::warn!(%error, "[webhooks] recording an attempt failed; the claim runs out and it is tried again");
            }
        }
        Ok(count)
    }

    /// Sends one claimed delivery and records the attempt.
    async fn attempt(&self, delivery: DueDelivery) -> Result<(), StoreError> {
        let attempted_at = self.clock.now();
        let started = Instant::now();
        let outcome = match delivery_body(&delivery) {
            Ok(body) => {
                let signature = sign(
                    delivery.secret.expose(),
                    attempted_at.timestamp(),
                    body.as_bytes(),
                );
                let headers = [
                    (SIGNATURE_HEADER, signature),
                    (EVENT_ID_HEADER, delivery.event_id.to_string()),
                ];
                self.sender
                    .post(&delivery.url, body, &headers, attempted_at)
                    .await
            }
            Err(error) => SendOutcome {
                status: None,
                retry_after: None,
                error: Some(format!("the stored event is not valid JSON: {error}")),
            },
        };
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let record = self.record_for(&delivery, outcome, latency_ms);
        let recorded = self.outbox.record_attempt(&delivery, &record).await?;
        match (&record.outcome, recorded) {
            (_, false) => tracing::warn!(
                "[webhooks] the claim ran out before the attempt was recorded; another attempt owns it"
            ),
            (AttemptOutcome::Delivered, true) => tracing::info!(
                status = record.status_code,
                latency_ms,
                "[webhooks] delivered"
            ),
            (AttemptOutcome::RetryAt(at), true) => tracing::warn!(
                status = record.status_code,
                latency_ms,
                error = record.error.as_deref().unwrap_or_default(),
                next_attempt_at = %at,
                "[webhooks] delivery failed; retrying later"
            ),
            (AttemptOutcome::GaveUp, true) => tracing::warn!(
                status = record.status_code,
                error = record.error.as_deref().unwrap_or_default(),
                "[webhooks] delivery failed for a day; given up"
            ),
        }
        Ok(())
    }

    /// The record of an attempt: delivered on 2xx, else the retry time or giving up.
    fn record_for(
        &self,
        delivery: &DueDelivery,
        outcome: SendOutcome,
        latency_ms: i64,
    ) -> AttemptRecord {
        let now = self.clock.now();
        let next = if outcome.error.is_none() {
            AttemptOutcome::Delivered
        } else {
            match next_attempt(
                &self.config.policy,
                delivery.event_created_at,
                delivery.attempt,
                now,
                outcome.retry_after,
                self.clock.jitter(),
            ) {
                Some(at) => AttemptOutcome::RetryAt(at),
                None => AttemptOutcome::GaveUp,
            }
        };
        AttemptRecord {
            attempted_at: now,
            status_code: outcome.status.map(i32::from),
            latency_ms,
            error: outcome.error,
            outcome: next,
        }
    }
}
