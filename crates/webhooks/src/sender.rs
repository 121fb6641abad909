//! `HttpSender`: POSTs a delivery with a timeout and without following redirects; a URL whose
//! host is, or resolves only to, a loopback, private or otherwise internal address is refused
//! before any connection (unless private addresses are allowed), so a tenant cannot aim the
//! server at internal services. A host name is resolved by the sender's own resolver, which
//! drops internal addresses from the answer, so a name cannot pass a check and then connect
//! elsewhere.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use pulse_domain::webhook::is_forbidden_address;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use reqwest::redirect::Policy;

/// The sender's settings.
#[derive(Debug, Clone, Copy)]
pub struct SenderSettings {
    /// The longest a request may take, connection included.
    pub timeout: Duration,
    /// `PULSE_WEBHOOK_ALLOW_PRIVATE`: allow loopback and private addresses (tests, the demo).
    pub allow_private: bool,
}

impl Default for SenderSettings {
    /// 10 seconds, internal addresses refused.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            allow_private: false,
        }
    }
}

/// The HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the webhook HTTP client: {0}")]
pub struct SenderError(#[from] reqwest::Error);

/// How one POST went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    /// The status the receiver answered, when it answered.
    pub status: Option<u16>,
    /// The receiver's `Retry-After` (seconds or an HTTP date), as a delay from the answer.
    pub retry_after: Option<TimeDelta>,
    /// Why the attempt failed (`None`: a 2xx answer).
    pub error: Option<String>,
}

/// POSTs deliveries.
#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    allow_private: bool,
}

/// Resolves host names, keeping only addresses the sender may call.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|address| allow_private || !is_forbidden_address(address.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback, private or internal addresses, which this server does not call"
                )
                .into());
            }
            let addresses: Addrs = Box::new(allowed.into_iter());
            Ok(addresses)
        })
    }
}

impl HttpSender {
    /// A sender with its own connection pool.
    pub fn new(settings: SenderSettings) -> Result<Self, SenderError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(Policy::none())
            // A proxy would resolve the host itself, past the resolver's check.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                allow_private: settings.allow_private,
            }))
            .build()?;
        Ok(Self {
            client,
            allow_private: settings.allow_private,
        })
    }

    /// POSTs `body` as JSON to `url` with `headers`; `now` turns an HTTP-date `Retry-After`
    /// into a delay.
    pub async fn post(
        &self,
        url: &str,
        body: String,
        headers: &[(&'static str, String)],
        now: DateTime<Utc>,
    ) -> SendOutcome {
        if let Err(refusal) = self.check_url(url) {
            return failure(refusal);
        }
        let mut map = HeaderMap::new();
        map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        map.insert(USER_AGENT, HeaderValue::from_static("pulse-sync-webhooks"));
        for (name, value) in headers {
            match HeaderValue::from_str(value) {
                Ok(value) => {
                    map.insert(*name, value);
                }
                Err(_) => return failure(format!("header {name} is not a valid value")),
            }
        }
        match self.client.post(url).headers(map).body(body).send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| parse_retry_after(value, now));
                // The body is not read: a receiver's answer beyond its status is not used.
                drop(response);
                SendOutcome {
                    status: Some(status.as_u16()),
                    retry_after,
                    error: (!status.is_success())
                        .then(|| format!("the receiver answered {}", status.as_u16())),
                }
            }
            Err(error) => failure(describe(&error)),
        }
    }

    /// Refuses a URL that is not http(s) with a host, or whose host is an internal address
    /// literal (literals never reach the resolver).
    fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|_| "the URL is not valid".to_owned())?;
        let host = match parsed.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(_)) => None,
            None => return Err("the URL has no host".to_owned()),
        };
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err("the URL is not http or https".to_owned());
        }
        if let Some(address) = host
            && !self.allow_private
            && is_forbidden_address(address)
        {
            return Err(format!(
                "{address} is a loopback, private or internal address, which this server does not call"
            ));
        }
        Ok(())
    }
}

fn failure(error: String) -> SendOutcome {
    SendOutcome {
        status: None,
        retry_after: None,
        error: Some(error),
    }
}

/// A transport error in a sentence, with its causes (the resolver's refusal among them).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {}", causes.join(": "))
    }
}

/// `Retry-After` as a delay: whole seconds, or an HTTP date (then the time until it, from `now`).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<TimeDelta> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<i64>() {
        // A receiver's number may be anything: beyond `TimeDelta`'s range it is the longest
        // delay (the retry rule caps what it honours).
        return (seconds >= 0).then(|| TimeDelta::try_seconds(seconds).unwrap_or(TimeDelta::MAX));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).max(TimeDelta::zero()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(parse_retry_after("120", now), Some(TimeDelta::seconds(120)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now),
            Some(TimeDelta::seconds(120))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(
            parse_retry_after("9223372036854776", now),
            Some(TimeDelta::MAX)
        );
        assert_eq!(
            parse_retry_after(&i64::MAX.to_string(), now),
            Some(TimeDelta::MAX)
        );
    }
}
