//! The Google client's configuration: the Google variables of the environment (or the demo's fake
//! Google), the rate-limit flags, and the OAuth callback on the server's own URL by default.

use pulse_google::{GoogleClient, GoogleConfig, env};
use url::Url;

use crate::settings::{GoogleArgs, SettingsError};

/// The OAuth callback route of the API.
pub const CALLBACK_PATH: &str = "/api/logos-vision/google/callback";

/// The OAuth callback URL on a server reached at `public_url`.
pub fn callback_url(public_url: &Url) -> String {
    let base = public_url.as_str().trim_end_matches('/');
    format!("{base}{CALLBACK_PATH}")
}

/// Reads the Google configuration: `overrides` first (the demo's fake Google), then the rate-limit
/// flags, then the environment; `GOOGLE_REDIRECT_URL` defaults to the callback on `public_url`.
pub fn google_config(
    args: &GoogleArgs,
    public_url: &Url,
    overrides: &[(&'static str, String)],
) -> Result<GoogleConfig, SettingsError> {
    let redirect = callback_url(public_url);
    let lookup = |name: &str| -> Option<String> {
        if let Some((_, value)) = overrides.iter().find(|(key, _)| *key == name) {
            return Some(value.clone());
        }
        let flag = match name {
            env::RPM => args.google_rpm,
            env::USER_RPM => args.google_user_rpm,
            _ => None,
        };
        if let Some(value) = flag {
            return Some(value.to_string());
        }
        let from_env = std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty());
        match (from_env, name) {
            (None, env::REDIRECT_URL) => Some(redirect.clone()),
            (value, _) => value,
        }
    };
    Ok(GoogleConfig::from_lookup(lookup)?)
}

/// A Google client for `config`.
pub fn google_client(config: &GoogleConfig) -> Result<GoogleClient, SettingsError> {
    Ok(GoogleClient::new(config)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_sits_on_the_public_url() {
        let url = Url::parse("http://127.0.0.1:3003").unwrap();
        assert_eq!(
            callback_url(&url),
            "http://127.0.0.1:3003/api/logos-vision/google/callback"
        );
        let nested = Url::parse("https://sync.example.com/pulse/").unwrap();
        assert_eq!(
            callback_url(&nested),
            "https://sync.example.com/pulse/api/logos-vision/google/callback"
        );
    }

    #[test]
    fn overrides_and_flags_come_before_the_environment() {
        let args = GoogleArgs {
            google_rpm: std::num::NonZeroU32::new(42),
            google_user_rpm: None,
        };
        let overrides = [
            (env::CLIENT_ID, "client".to_owned()),
            (env::CLIENT_SECRET, "secret".to_owned()),
            (env::TOKEN_URL, "http://127.0.0.1:9/token".to_owned()),
        ];
        let public = Url::parse("http://127.0.0.1:4000").unwrap();
        let config = google_config(&args, &public, &overrides).unwrap();
        assert_eq!(config.client_id, "client");
        assert_eq!(config.token_url.as_str(), "http://127.0.0.1:9/token");
        assert_eq!(config.rate_limits.project_rpm.get(), 42);
        assert_eq!(
            config.redirect_url.as_str(),
            "http://127.0.0.1:4000/api/logos-vision/google/callback"
        );
    }
}
