//! Reads the API key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

use actix_web::http::header::{AUTHORIZATION, HeaderMap};
use pulse_domain::Secret;

/// The header the seed's client sends its key in.
pub(crate) const API_KEY_HEADER: &str = "x-api-key";

/// The longest key text accepted; anything longer is refused unread.
const MAX_KEY_CHARS: usize = 256;

/// What a request presented.
#[derive(Debug)]
pub(crate) enum Presented {
    /// No credentials at all.
    Nothing,
    /// Credentials that cannot be a key (wrong scheme, empty, too long, odd characters).
    Malformed,
    /// A key to look up.
    Key(Secret),
}

/// Reads the key from `Authorization` (preferred) or `X-API-Key`.
pub(crate) fn presented_key(headers: &HeaderMap) -> Presented {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let Ok(text) = value.to_str() else {
            return Presented::Malformed;
        };
        let Some((scheme, key)) = text.trim().split_once(' ') else {
            return Presented::Malformed;
        };
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Presented::Malformed;
        }
        return checked(key.trim());
    }
    match headers.get(API_KEY_HEADER) {
        None => Presented::Nothing,
        Some(value) => value
            .to_str()
            .map_or(Presented::Malformed, |text| checked(text.trim())),
    }
}

fn checked(key: &str) -> Presented {
    let plausible = !key.is_empty()
        && key.len() <= MAX_KEY_CHARS
        && key.bytes().all(|byte| byte.is_ascii_graphic());
    if plausible {
        Presented::Key(Secret::new(key))
    } else {
        Presented::Malformed
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    fn key_of(presented: Presented) -> Option<String> {
        match presented {
            Presented::Key(key) => Some(key.expose().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn reads_a_bearer_key() {
        let found = presented_key(&headers(&[("authorization", "Bearer pulse_abc")]));
        assert_eq!(key_of(found).as_deref(), Some("pulse_abc"));
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        let found = presented_key(&headers(&[("authorization", "bearer pulse_abc")]));
        assert_eq!(key_of(found).as_deref(), Some("pulse_abc"));
    }

    #[test]
    fn reads_the_api_key_header() {
        let found = presented_key(&headers(&[("x-api-key", "pulse_abc")]));
        assert_eq!(key_of(found).as_deref(), Some("pulse_abc"));
    }

    #[test]
    fn authorization_wins_over_the_api_key_header() {
        let found = presented_key(&headers(&[
            ("authorization", "Bearer first"),
            ("x-api-key", "second"),
        ]));
        assert_eq!(key_of(found).as_deref(), Some("first"));
    }

    #[test]
    fn nothing_when_no_header() {
        assert!(matches!(presented_key(&headers(&[])), Presented::Nothing));
    }

    #[test]
    fn other_schemes_and_odd_keys_are_malformed() {
        for value in [
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "pulse_abc",
        ] {
            let found = presented_key(&headers(&[("authorization", value)]));
            assert!(matches!(found, Presented::Malformed), "{value}");
        }
        let long = "k".repeat(MAX_KEY_CHARS + 1);
        let mut map = HeaderMap::new();
        map.insert(
            HeaderName::from_static("x-api-key"),
            HeaderValue::from_str(&long).expect("ascii"),
        );
        assert!(matches!(presented_key(&map), Presented::Malformed));
    }
}
