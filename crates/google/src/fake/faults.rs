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

/// A queued fault: for which endpoint, for which account (any when `None`), how many more calls.
#[derive(Debug)]
struct Pending {
    target: FaultTarget,
    account: Option<String>,
    fault: Fault,
    remaining: u32,
}

/// Faults waiting for calls, oldest first.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    pending: VecDeque<Pending>,
}

impl FaultQueue {
    /// Queues `fault` for the next `times` calls to `target`, whatever the account.
    pub fn push(&mut self, target: FaultTarget, fault: Fault, times: u32) {
        self.push_for(target, None, fault, times);
    }

    /// Queues `fault` for the next `times` calls to `target` made for `account` (any when `None`).
    pub fn push_for(
        &mut self,
        target: FaultTarget,
        account: Option<String>,
        fault: Fault,
        times: u32,
    ) {
        if times > 0 {
            self.pending.push_back(Pending {
                target,
                account,
                fault,
                remaining: times,
            });
        }
    }

    /// The fault for this call to `target` for `account` (`None` when it cannot be told), if one
    /// is queued: the oldest for any account or for this one.
    pub fn take(&mut self, target: FaultTarget, account: Option<&str>) -> Option<Fault> {
        let index = self.pending.iter().position(|pending| {
            pending.target == target
                && pending
                    .account
                    .as_deref()
                    .is_none_or(|wanted| Some(wanted) == account)
        })?;
        let entry = self.pending.get_mut(index)?;
        let fault = entry.fault;
        entry.remaining -= 1;
        if entry.remaining == 0 {
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
        assert_eq!(
            queue.take(FaultTarget::Token, None),
            Some(Fault::Unauthorized)
        );
        assert_eq!(queue.take(FaultTarget::Token, None), None);
        assert_eq!(
            queue.take(FaultTarget::People, Some("a")),
            Some(Fault::ServerError)
        );
        assert_eq!(
            queue.take(FaultTarget::People, None),
            Some(Fault::ServerError)
        );
        assert_eq!(
            queue.take(FaultTarget::People, None),
            Some(Fault::MalformedBody)
        );
        assert_eq!(queue.take(FaultTarget::People, None), None);
    }

    #[test]
    fn an_account_fault_hits_only_that_account() {
        let mut queue = FaultQueue::default();
        queue.push_for(
            FaultTarget::People,
            Some("a".to_owned()),
            Fault::ServerError,
            2,
        );
        queue.push(FaultTarget::People, Fault::MalformedBody, 1);
        assert_eq!(
            queue.take(FaultTarget::People, Some("b")),
            Some(Fault::MalformedBody)
        );
        assert_eq!(queue.take(FaultTarget::People, Some("b")), None);
        assert_eq!(queue.take(FaultTarget::People, None), None);
        assert_eq!(
            queue.take(FaultTarget::People, Some("a")),
            Some(Fault::ServerError)
        );
        assert_eq!(
            queue.take(FaultTarget::People, Some("a")),
            Some(Fault::ServerError)
        );
        assert_eq!(queue.take(FaultTarget::People, Some("a")), None);
    }
}
