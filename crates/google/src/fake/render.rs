//! The fake's JSON: people as the People API renders them (honouring `personFields`), Google's
//! error envelope, and OAuth error bodies.

use serde_json::{Map, Value, json};

use crate::fake::account::Listed;
use crate::fake::contact::StoredContact;

/// Every `personFields` path the People API accepts.
const KNOWN_PERSON_FIELDS: &[&str] = &[
    "addresses",
    "ageRanges",
    "biographies",
    "birthdays",
    "calendarUrls",
    "clientData",
    "coverPhotos",
    "emailAddresses",
    "events",
    "externalIds",
    "genders",
    "imClients",
    "interests",
    "locales",
    "locations",
    "memberships",
    "metadata",
    "miscKeywords",
    "names",
    "nicknames",
    "occupations",
    "organizations",
    "phoneNumbers",
    "photos",
    "relations",
    "sipAddresses",
    "skills",
    "urls",
    "userDefined",
];

/// Which person fields a request asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldMask {
    names: bool,
    emails: bool,
    phones: bool,
    organizations: bool,
    photos: bool,
    metadata: bool,
}

impl FieldMask {
    /// Parses a `personFields` value; the error names the first unknown path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut mask = Self::default();
        for path in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let path = path.strip_prefix("person.").unwrap_or(path);
            if !KNOWN_PERSON_FIELDS.contains(&path) {
                return Err(path.to_owned());
            }
            match path {
                "names" => mask.names = true,
                "emailAddresses" => mask.emails = true,
                "phoneNumbers" => mask.phones = true,
                "organizations" => mask.organizations = true,
                "photos" => mask.photos = true,
                "metadata" => mask.metadata = true,
                _ => {}
            }
        }
        Ok(mask)
    }
}

/// A listed person as the People API renders it; `previous` adds `previousResourceNames`
/// (incremental listings only).
pub(crate) fn person_json(listed: &Listed, mask: FieldMask, previous: bool) -> Value {
    match listed {
        Listed::Live(stored) => live_person(stored, mask, previous),
        Listed::Deleted {
            resource_name,
            etag,
            previous_resource_names,
        } => {
            let mut metadata = person_metadata(resource_name, etag);
            metadata.insert("deleted".to_owned(), Value::Bool(true));
            if previous && !previous_resource_names.is_empty() {
                metadata.insert(
                    "previousResourceNames".to_owned(),
                    json!(previous_resource_names),
                );
            }
            json!({"resourceName": resource_name, "etag": etag, "metadata": metadata})
        }
    }
}

fn live_person(stored: &StoredContact, mask: FieldMask, previous: bool) -> Value {
    let source_id = source_id(&stored.resource_name);
    let mut person = Map::new();
    person.insert("resourceName".to_owned(), json!(stored.resource_name));
    person.insert("etag".to_owned(), json!(stored.etag));
    if mask.metadata {
        let mut metadata = person_metadata(&stored.resource_name, &stored.etag);
        if previous && !stored.previous_resource_names.is_empty() {
            metadata.insert(
                "previousResourceNames".to_owned(),
                json!(stored.previous_resource_names),
            );
        }
        person.insert("metadata".to_owned(), Value::Object(metadata));
    }
    let contact = &stored.contact;
    let field = |primary: bool| field_metadata(primary, &source_id);
    if mask.names && !contact.names.is_empty() {
        let names: Vec<Value> = contact
            .names
            .iter()
            .map(|name| {
                let mut item = Map::new();
                item.insert("metadata".to_owned(), field(name.primary));
                if let Some(display) = name.display() {
                    item.insert("displayName".to_owned(), json!(display));
                    item.insert("unstructuredName".to_owned(), json!(display));
                }
                if let Some(family) = &name.family_name {
                    item.insert("familyName".to_owned(), json!(family));
                }
                if let Some(given) = &name.given_name {
                    item.insert("givenName".to_owned(), json!(given));
                }
                if let (Some(given), Some(family)) = (&name.given_name, &name.family_name) {
                    item.insert(
                        "displayNameLastFirst".to_owned(),
                        json!(format!("{family}, {given}")),
                    );
                }
                Value::Object(item)
            })
            .collect();
        person.insert("names".to_owned(), Value::Array(names));
    }
    if mask.emails && !contact.emails.is_empty() {
        let emails: Vec<Value> = contact
            .emails
            .iter()
            .map(|email| {
                let mut item = json!({"metadata": field(email.primary), "value": email.value});
                if let Some(kind) = &email.kind {
                    item["type"] = json!(kind);
                    item["formattedType"] = json!(capitalized(kind));
                }
                item
            })
            .collect();
        person.insert("emailAddresses".to_owned(), Value::Array(emails));
    }
    if mask.phones && !contact.phones.is_empty() {
        let phones: Vec<Value> = contact
            .phones
            .iter()
            .map(|phone| {
                let mut item = json!({"metadata": field(phone.primary), "value": phone.value});
                if let Some(canonical) = &phone.canonical_form {
                    item["canonicalForm"] = json!(canonical);
                }
                if let Some(kind) = &phone.kind {
                    item["type"] = json!(kind);
                    item["formattedType"] = json!(capitalized(kind));
                }
                item
            })
            .collect();
        person.insert("phoneNumbers".to_owned(), Value::Array(phones));
    }
    if mask.organizations && !contact.organizations.is_empty() {
        let organizations: Vec<Value> = contact
            .organizations
            .iter()
            .map(|organization| {
                let mut item = json!({"metadata": field(organization.primary), "current": true});
                if let Some(name) = &organization.name {
                    item["name"] = json!(name);
                }
                if let Some(title) = &organization.title {
                    item["title"] = json!(title);
                }
                item
            })
            .collect();
        person.insert("organizations".to_owned(), Value::Array(organizations));
    }
    if mask.photos && !contact.photos.is_empty() {
        let photos: Vec<Value> = contact
            .photos
            .iter()
            .map(|photo| {
                let mut item = json!({"metadata": field(photo.primary), "url": photo.url});
                if photo.default {
                    item["default"] = Value::Bool(true);
                }
                item
            })
            .collect();
        person.insert("photos".to_owned(), Value::Array(photos));
    }
    Value::Object(person)
}

fn person_metadata(resource_name: &str, etag: &str) -> Map<String, Value> {
    let mut metadata = Map::new();
    metadata.insert(
        "sources".to_owned(),
        json!([{
            "type": "CONTACT",
            "id": source_id(resource_name),
            "etag": etag,
            "updateTime": "2026-01-01T00:00:00.000001Z",
        }]),
    );
    metadata.insert("objectType".to_owned(), json!("PERSON"));
    metadata
}

fn field_metadata(primary: bool, source_id: &str) -> Value {
    let source = json!({"type": "CONTACT", "id": source_id});
    if primary {
        json!({"primary": true, "sourcePrimary": true, "source": source})
    } else {
        json!({"source": source})
    }
}

fn source_id(resource_name: &str) -> String {
    let number: u64 = resource_name
        .strip_prefix("people/c")
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    format!("{number:x}")
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A failure in Google's error envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiFailure {
    /// The HTTP status.
    pub code: u16,
    /// The RPC code name.
    pub status: &'static str,
    /// The message.
    pub message: String,
    /// The `ErrorInfo` reason and domain, when there is one.
    pub reason: Option<(&'static str, &'static str)>,
}

impl ApiFailure {
    /// 400 `INVALID_ARGUMENT`.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self {
            code: 400,
            status: "INVALID_ARGUMENT",
            message: message.into(),
            reason: None,
        }
    }

    /// 401 `UNAUTHENTICATED`.
    pub fn unauthenticated(reason: &'static str) -> Self {
        Self {
            code: 401,
            status: "UNAUTHENTICATED",
            message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.".to_owned(),
            reason: Some((reason, "googleapis.com")),
        }
    }

    /// 400 with `ErrorInfo` reason `EXPIRED_SYNC_TOKEN`.
    pub fn expired_sync_token(status: &'static str) -> Self {
        Self {
            code: 400,
            status,
            message:
                "Sync token is expired. Clear local cache and retry call without the sync token."
                    .to_owned(),
            reason: Some(("EXPIRED_SYNC_TOKEN", "people.googleapis.com")),
        }
    }

    /// 429 `RESOURCE_EXHAUSTED` with reason `RATE_LIMIT_EXCEEDED`.
    pub fn rate_limited() -> Self {
        Self {
            code: 429,
            status: "RESOURCE_EXHAUSTED",
            message: "Quota exceeded for quota metric 'Critical read requests (Contact and Profile Reads)' and limit 'Critical read requests (Contact and Profile Reads) per minute per user' of service 'people.googleapis.com'.".to_owned(),
            reason: Some(("RATE_LIMIT_EXCEEDED", "googleapis.com")),
        }
    }

    /// 500 `INTERNAL`.
    pub fn internal() -> Self {
        Self {
            code: 500,
            status: "INTERNAL",
            message: "Internal error encountered.".to_owned(),
            reason: None,
        }
    }

    /// The envelope: `{"error": {"code", "message", "status", "details"?}}`.
    pub fn body(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message, "status": self.status});
        if let Some((reason, domain)) = self.reason {
            error["details"] = json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": domain,
            }]);
        }
        json!({ "error": error })
    }
}

/// An OAuth endpoint failure (`{"error", "error_description"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthFailure {
    /// The HTTP status.
    pub code: u16,
    /// The OAuth error code.
    pub error: &'static str,
    /// The description.
    pub description: &'static str,
}

impl OAuthFailure {
    /// A failure with status 400.
    pub fn bad_request(error: &'static str, description: &'static str) -> Self {
        Self {
            code: 400,
            error,
            description,
        }
    }

    /// The body.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::contact::FakeContact;

    fn stored() -> StoredContact {
        StoredContact {
            resource_name: "people/c255".to_owned(),
            etag: "%abc".to_owned(),
            previous_resource_names: vec!["people/c1".to_owned()],
            contact: FakeContact::named("Ada", "Lovelace")
                .with_email("ada@example.com")
                .with_email("ada@work.example")
                .with_photo("https://lh3.example/a", true),
        }
    }

    #[test]
    fn the_mask_selects_fields() {
        let mask = FieldMask::parse("names,metadata").unwrap();
        let json = person_json(&Listed::Live(stored()), mask, false);
        assert_eq!(json["resourceName"], "people/c255");
        assert_eq!(json["names"][0]["displayName"], "Ada Lovelace");
        assert_eq!(json["names"][0]["metadata"]["primary"], true);
        assert!(json.get("emailAddresses").is_none());
        assert!(json["metadata"].get("previousResourceNames").is_none());
        let all = FieldMask::parse(crate::PERSON_FIELDS).unwrap();
        let json = person_json(&Listed::Live(stored()), all, true);
        assert_eq!(json["emailAddresses"][1]["value"], "ada@work.example");
        assert!(
            json["emailAddresses"][1]["metadata"]
                .get("primary")
                .is_none()
        );
        assert_eq!(json["photos"][0]["default"], true);
        assert_eq!(json["metadata"]["previousResourceNames"][0], "people/c1");
    }

    #[test]
    fn unknown_paths_are_refused() {
        assert_eq!(
            FieldMask::parse("names,shoeSize"),
            Err("shoeSize".to_owned())
        );
        assert!(FieldMask::parse("person.names").is_ok());
    }

    #[test]
    fn deleted_people_carry_only_metadata() {
        let json = person_json(
            &Listed::Deleted {
                resource_name: "people/c9".to_owned(),
                etag: "%e".to_owned(),
                previous_resource_names: Vec::new(),
            },
            FieldMask::default(),
            true,
        );
        assert_eq!(json["metadata"]["deleted"], true);
        assert!(json.get("names").is_none());
    }

    #[test]
    fn the_expired_sync_token_envelope_matches_google() {
        let body = ApiFailure::expired_sync_token("FAILED_PRECONDITION").body();
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["status"], "FAILED_PRECONDITION");
        assert_eq!(body["error"]["details"][0]["reason"], "EXPIRED_SYNC_TOKEN");
        assert_eq!(
            body["error"]["details"][0]["@type"],
            "type.googleapis.com/google.rpc.ErrorInfo"
        );
    }
}
