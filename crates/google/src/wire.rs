//! The People API's JSON for `people.connections.list`, parsed leniently into the domain's
//! `GooglePerson`: absent optional fields default, `null` counts as absent, unknown fields are
//! ignored.

use std::fmt;

use pulse_domain::person::{
    GooglePerson, PersonEmail, PersonName, PersonOrganization, PersonPhone, PersonPhoto,
};
use serde::{Deserialize, Deserializer};

/// One page of `people.connections.list`; `Debug` hides its page and sync tokens.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionsPage {
    /// The people on this page.
    #[serde(default, deserialize_with = "nullable")]
    pub connections: Vec<WirePerson>,
    /// Present unless this is the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Present on the last page when a sync token was requested.
    #[serde(default)]
    pub next_sync_token: Option<String>,
    /// The number of people in the whole listing.
    #[serde(default)]
    pub total_items: Option<i64>,
}

impl fmt::Debug for ConnectionsPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "[redacted]");
        f.debug_struct("ConnectionsPage")
            .field("connections", &self.connections)
            .field("next_page_token", &redacted(&self.next_page_token))
            .field("next_sync_token", &redacted(&self.next_sync_token))
            .field("total_items", &self.total_items)
            .finish()
    }
}

/// A `Person` as the API sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WirePerson {
    resource_name: String,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    metadata: PersonMetadata,
    #[serde(default, deserialize_with = "nullable")]
    names: Vec<WireName>,
    #[serde(default, deserialize_with = "nullable")]
    email_addresses: Vec<WireEmail>,
    #[serde(default, deserialize_with = "nullable")]
    phone_numbers: Vec<WirePhone>,
    #[serde(default, deserialize_with = "nullable")]
    organizations: Vec<WireOrganization>,
    #[serde(default, deserialize_with = "nullable")]
    photos: Vec<WirePhoto>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersonMetadata {
    #[serde(default, deserialize_with = "nullable")]
    deleted: bool,
    #[serde(default, deserialize_with = "nullable")]
    previous_resource_names: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct FieldMetadata {
    #[serde(default, deserialize_with = "nullable")]
    primary: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireName {
    #[serde(default, deserialize_with = "nullable")]
    metadata: FieldMetadata,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    given_name: Option<String>,
    #[serde(default)]
    family_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireEmail {
    #[serde(default, deserialize_with = "nullable")]
    metadata: FieldMetadata,
    #[serde(default)]
    value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePhone {
    #[serde(default, deserialize_with = "nullable")]
    metadata: FieldMetadata,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    canonical_form: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WireOrganization {
    #[serde(default, deserialize_with = "nullable")]
    metadata: FieldMetadata,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
struct WirePhoto {
    #[serde(default, deserialize_with = "nullable")]
    metadata: FieldMetadata,
    #[serde(default)]
    url: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    default: bool,
}

/// `people/me` with `personFields=emailAddresses`: the connected account's own addresses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireProfile {
    #[serde(default, deserialize_with = "nullable")]
    email_addresses: Vec<WireEmail>,
}

impl WireProfile {
    /// The primary address, else the first one Google lists.
    pub(crate) fn primary_email(self) -> Option<String> {
        let mut addresses: Vec<(bool, String)> = self
            .email_addresses
            .into_iter()
            .filter_map(|email| {
                let value = email.value.filter(|value| !value.trim().is_empty())?;
                Some((email.metadata.primary, value))
            })
            .collect();
        let primary = addresses.iter().position(|(primary, _)| *primary);
        let index = primary.unwrap_or(0);
        (index < addresses.len()).then(|| addresses.swap_remove(index).1)
    }
}

/// Reads a JSON `null` as the type's default.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl From<WirePerson> for GooglePerson {
    fn from(person: WirePerson) -> Self {
        Self {
            resource_name: person.resource_name,
            etag: person.etag,
            deleted: person.metadata.deleted,
            previous_resource_names: person.metadata.previous_resource_names,
            names: person
                .names
                .into_iter()
                .map(|name| PersonName {
                    display_name: name.display_name,
                    given_name: name.given_name,
                    family_name: name.family_name,
                    primary: name.metadata.primary,
                })
                .collect(),
            emails: person
                .email_addresses
                .into_iter()
                .map(|email| PersonEmail {
                    value: email.value,
                    primary: email.metadata.primary,
                })
                .collect(),
            phones: person
                .phone_numbers
                .into_iter()
                .map(|phone| PersonPhone {
                    value: phone.value,
                    canonical_form: phone.canonical_form,
                    primary: phone.metadata.primary,
                })
                .collect(),
            organizations: person
                .organizations
                .into_iter()
                .map(|organization| PersonOrganization {
                    name: organization.name,
                    title: organization.title,
                    primary: organization.metadata.primary,
                })
                .collect(),
            photos: person
                .photos
                .into_iter()
                .map(|photo| PersonPhoto {
                    url: photo.url,
                    is_default: photo.default,
                    primary: photo.metadata.primary,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> ConnectionsPage {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_full_person_is_read_with_primary_flags_and_unknown_fields_ignored() {
        let page = parse(
            r#"{
              "connections": [{
                "resourceName": "people/c1",
                "etag": "%EgUBAgMEBS4=",
                "metadata": {"sources": [{"type": "CONTACT", "id": "1"}], "objectType": "PERSON"},
                "names": [{"metadata": {"primary": true, "source": {"type": "CONTACT"}},
                           "displayName": "Ada Lovelace", "givenName": "Ada", "familyName": "Lovelace",
                           "displayNameLastFirst": "Lovelace, Ada", "unstructuredName": "Ada Lovelace"}],
                "emailAddresses": [{"metadata": {}, "value": "ada@old.example", "type": "home"},
                                   {"metadata": {"primary": true}, "value": "ada@example.com"}],
                "phoneNumbers": [{"metadata": {"primary": true}, "value": "020 7946 0000",
                                  "canonicalForm": "+442079460000", "type": "work"}],
                "organizations": [{"metadata": {"primary": true}, "name": "Analytical Engines", "title": "Analyst", "current": true}],
                "photos": [{"metadata": {"primary": true}, "url": "https://lh3.example/a", "default": true}],
                "birthdays": [{"date": {"year": 1815, "month": 12, "day": 10}}]
              }],
              "totalItems": 1,
              "totalPeople": 1,
              "nextSyncToken": "sync-1",
              "someFutureField": {"nested": [1, 2, 3]}
            }"#,
        );
        assert_eq!(page.total_items, Some(1));
        assert_eq!(page.next_sync_token.as_deref(), Some("sync-1"));
        assert_eq!(page.next_page_token, None);
        let person: GooglePerson = page.connections.into_iter().next().unwrap().into();
        assert_eq!(person.resource_name, "people/c1");
        assert_eq!(person.etag.as_deref(), Some("%EgUBAgMEBS4="));
        assert!(!person.deleted);
        assert_eq!(
            person.names[0].display_name.as_deref(),
            Some("Ada Lovelace")
        );
        assert!(person.names[0].primary);
        assert!(!person.emails[0].primary);
        assert!(person.emails[1].primary);
        assert_eq!(
            person.phones[0].canonical_form.as_deref(),
            Some("+442079460000")
        );
        assert_eq!(person.organizations[0].title.as_deref(), Some("Analyst"));
        assert!(person.photos[0].is_default);
    }

    #[test]
    fn a_deleted_person_may_carry_only_its_name_and_metadata() {
        let page = parse(
            r#"{"connections": [{"resourceName": "people/c2", "etag": "e",
                 "metadata": {"deleted": true, "previousResourceNames": ["people/c0"]}}],
                "nextPageToken": "p2"}"#,
        );
        let person: GooglePerson = page.connections.into_iter().next().unwrap().into();
        assert!(person.deleted);
        assert_eq!(person.previous_resource_names, ["people/c0"]);
        assert!(person.names.is_empty() && person.emails.is_empty() && person.photos.is_empty());
    }

    #[test]
    fn absent_and_null_fields_default() {
        let page = parse(
            r#"{"connections": [{"resourceName": "people/c3", "names": null, "metadata": null,
                 "emailAddresses": [{"value": "x@example.com"}], "photos": [{"url": null}]}]}"#,
        );
        let person: GooglePerson = page.connections.into_iter().next().unwrap().into();
        assert_eq!(person.etag, None);
        assert!(person.names.is_empty());
        assert!(!person.emails[0].primary);
        assert!(!person.photos[0].is_default);
        let empty = parse("{}");
        assert!(empty.connections.is_empty());
        assert_eq!(empty.total_items, None);
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        for body in [
            "",
            "not json",
            r#"{"connections": {"resourceName": "people/c1"}}"#,
            r#"{"connections": [{"etag": "no resource name"}]}"#,
            r#"{"connections": [{"resourceName": 7}]}"#,
        ] {
            assert!(
                serde_json::from_str::<ConnectionsPage>(body).is_err(),
                "{body}"
            );
        }
    }
}
