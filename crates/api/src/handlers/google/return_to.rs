//! Where the browser may be sent after a consent: only this server's origin or a CORS origin, and
//! how the outcome (`google=connected` or `google=error&reason=...`) is added to that URL.

use url::Url;

use crate::config::ApiConfig;
use crate::error::ApiError;

/// The longest `return_to` accepted.
const MAX_RETURN_TO_CHARS: usize = 2048;

/// Checks a requested `return_to`: an absolute http(s) URL on an allowed origin, without
/// credentials.
pub(crate) fn checked_return_to(config: &ApiConfig, raw: &str) -> Result<Url, ApiError> {
    let refused =
        |message: &str| ApiError::invalid("invalid_return_to", message, Some("return_to"));
    if raw.chars().count() > MAX_RETURN_TO_CHARS {
        return Err(refused("return_to is too long"));
    }
    let url = Url::parse(raw).map_err(|_| refused("return_to must be an absolute http(s) URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("return_to must not carry credentials"));
    }
    if !config.allows_return_to(&url) {
        return Err(refused(
            "return_to must be on this server's origin or one listed in PULSE_CORS_ORIGINS",
        ));
    }
    Ok(url)
}

/// `return_to` with the outcome in its query, replacing any earlier `google` and `reason`.
pub(crate) fn with_outcome(return_to: &str, outcome: &[(&str, &str)]) -> Option<Url> {
    let mut url = Url::parse(return_to).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| name != "google" && name != "reason")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.clear();
        query.extend_pairs(kept);
        query.extend_pairs(outcome.iter().copied());
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AllowedOrigin;

    fn config() -> ApiConfig {
        let mut config = ApiConfig::new(Url::parse("http://127.0.0.1:3003").expect("url"));
        config.cors_origins =
            vec![AllowedOrigin::parse("https://crm.example.com").expect("origin")];
        config
    }

    #[test]
    fn own_and_cors_origins_are_allowed() {
        let config = config();
        assert!(checked_return_to(&config, "http://127.0.0.1:3003/settings").is_ok());
        assert!(checked_return_to(&config, "https://crm.example.com/contacts?tab=2").is_ok());
        assert!(checked_return_to(&config, "https://CRM.example.com:443/x").is_ok());
    }

    #[test]
    fn other_origins_and_odd_urls_are_refused() {
        let config = config();
        for raw in [
            "https://evil.example.com/",
            "http://crm.example.com/",
            "https://crm.example.com.evil.com/",
            "https://user:pw@crm.example.com/",
            "javascript:alert(1)",
            "/relative",
            "http://127.0.0.1:3004/",
        ] {
            assert!(checked_return_to(&config, raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn outcome_replaces_earlier_outcome_parameters() {
        let url = with_outcome(
            "https://crm.example.com/c?tab=2&google=error&reason=x",
            &[("google", "connected")],
        )
        .expect("url");
        assert_eq!(
            url.as_str(),
            "https://crm.example.com/c?tab=2&google=connected"
        );
    }
}
