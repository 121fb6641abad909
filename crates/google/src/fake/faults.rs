//! Injected faults: what the fake does instead of (or before) answering the next N calls.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// A failure to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// HTTP 429 `RESOURCE_EXHAUSTED`, with `Retry-After` when given.
    RateLimited {
        /// Seconds for the `Retry-After` header.
        retry_after_secs: Option<u64>,
    },
    /// HTTP 500 `INTERNAL`.
    ServerError,
    /// The normal answer, after a delay.
    Slow {
        /// The delay in milliseconds.
        millis: u64,
    },
    /// HTTP 200 with a body that is not the expected JSON.
    MalformedBody,
    /// HTTP 401 `UNAUTHENTICATED`, whatever the access token.
    Unauthorized,
}

/// Which endpoint a fault hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultTarget {
    /// `people/me/connections`.
    #[default]
    People,
    /// The OAuth token endpoint.
    Token,
}

/// Faults waiting for calls, oldest first.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    pending: VecDeque<(FaultTarget, Fault, u32)>,
}

impl FaultQueue {
    /// Queues `fault` for the next `times` calls to `target`.
    pub fn push(&mut self, target: FaultTarget, fault: Fault, times: u32) {
        if times > 0 {
            self.pending.push_back((target, fault, times));
        }
    }

    /// The fault for this call to `target`, if one is queued.
    pub fn take(&mut self, target: FaultTarget) -> Option<Fault> {
        let index = self.pending.iter().position(|(t, _, _)| *t == target)?;
        let entry = self.pending.get_mut(index)?;
        let fault = entry.1;
        entry.2 -= 1;
        if entry.2 == 0 {
            self.pending.remove(index);
        }
        Some(fault)
    }

    /// Drops every queued fault.
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_run_out_in_order_per_target() {
        let mut queue = FaultQueue::default();
        queue.push(FaultTarget::People, Fault::ServerError, 2);
        queue.push(FaultTarget::Token, Fault::Unauthorized, 1);
        queue.push(FaultTarget::People, Fault::MalformedBody, 1);
        assert_eq!(queue.take(FaultTarget::Token), Some(Fault::Unauthorized));
        assert_eq!(queue.take(FaultTarget::Token), None);
        assert_eq!(queue.take(FaultTarget::People), Some(Fault::ServerError));
        assert_eq!(queue.take(FaultTarget::People), Some(Fault::ServerError));
        assert_eq!(queue.take(FaultTarget::People), Some(Fault::MalformedBody));
        assert_eq!(queue.take(FaultTarget::People), None);
    }
}
