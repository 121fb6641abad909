//! The JSON shapes the API answers with (and their OpenAPI schemas), built from domain values.

mod config;
mod job;
mod profile;
mod status;
mod webhook;

pub(crate) use config::ConfigView;
pub(crate) use job::{JobPage, JobView};
pub(crate) use profile::{ProfileChangePage, ProfilePage, ProfileView};
pub(crate) use status::{AuthorizationUrl, StatusView};
pub(crate) use webhook::{DeliveryAttemptView, DeliveryPage, WebhookEndpointView};
