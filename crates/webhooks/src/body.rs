//! The body of a delivery: the event as JSON, the same bytes on every attempt.

use chrono::{DateTime, SecondsFormat, Utc};
use pulse_domain::ports::DueDelivery;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
struct Body<'a> {
    id: Uuid,
    #[serde(rename = "type")]
    kind: &'static str,
    workspace_id: &'a str,
    sequence: i64,
    created_at: String,
    data: serde_json::Value,
}

/// The JSON body `{"id", "type", "workspace_id", "sequence", "created_at", "data"}` of a
/// delivery; `created_at` in RFC 3339 with microseconds.
pub fn delivery_body(delivery: &DueDelivery) -> Result<String, serde_json::Error> {
    let data: serde_json::Value = serde_json::from_str(&delivery.data_json)?;
    serde_json::to_string(&Body {
        id: delivery.event_id,
        kind: delivery.event_type.as_str(),
        workspace_id: delivery.workspace.as_str(),
        sequence: delivery.sequence,
        created_at: rfc3339(delivery.event_created_at),
        data,
    })
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
