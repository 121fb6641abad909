//! `people/me`: the email address of the Google account a fresh grant belongs to, so the
//! connection can say which account connected.

use pulse_domain::Secret;
use pulse_domain::ports::SourceError;

use crate::client::ClientInner;
use crate::google_error::classify_failure;
use crate::oauth::transient;
use crate::wire::WireProfile;

/// The profile endpoint, as named in errors and logs.
pub(crate) const PROFILE_ENDPOINT: &str = "GET people/me";

impl ClientInner {
    /// The account's primary email, read with the grant's own access token; `None` when
    /// Google lists no address (the email scope was not granted).
    pub(crate) async fn account_email(
        &self,
        access_token: &Secret,
    ) -> Result<Option<String>, SourceError> {
        let response = self
            .transport
            .send(PROFILE_ENDPOINT, None, |http| {
                http.get(self.profile_url.clone())
                    .query(&[("personFields", "emailAddresses")])
                    .bearer_auth(access_token.expose())
            })
            .await
            .map_err(transient)?;
        if !response.status.is_success() {
            return Err(classify_failure(response.status, &response.body));
        }
        let profile: WireProfile =
            serde_json::from_slice(&response.body).map_err(|error| SourceError::Malformed {
                endpoint: PROFILE_ENDPOINT.to_owned(),
                detail: error.to_string(),
            })?;
        Ok(profile.primary_email())
    }
}
