//! Metrics: the names every crate records under, the process-wide Prometheus recorder, and the
//! middleware that counts HTTP requests by route pattern, method and status.

pub(crate) mod http;
pub mod names;
mod recorder;

pub use recorder::{MetricsError, install_metrics_recorder};
