//! The fake's `people.connections.list` body: people as the People API renders them (honouring
//! `personFields`), serialized straight from the stored contacts by typed views, outside the
//! world's lock, so the fake costs a benchmark little more than the bytes it sends.

use serde::{Serialize, Serializer};

use crate::fake::account::Listed;
use crate::fake::contact::{
    FakeEmail, FakeName, FakeOrganization, FakePhone, FakePhoto, StoredContact,
};

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

/// The update time every source reports (the fake keeps no per-field history).
const SOURCE_UPDATE_TIME: &str = "2026-01-01T00:00:00.000001Z";

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

/// One page of `people.connections.list`, ready to serialize as Google's response body.
#[derive(Debug)]
pub(crate) struct ConnectionsPage {
    /// The people of the page, in listing order.
    pub people: Vec<Listed>,
    /// The fields the request asked for.
    pub mask: FieldMask,
    /// Whether the listing runs from a sync token (it then reports `previousResourceNames`).
    pub incremental: bool,
    /// `totalPeople` and `totalItems`.
    pub total: u64,
    /// The token of the next page, on every page but the last.
    pub next_page_token: Option<String>,
    /// The sync token, on the last page of a listing that asked for one.
    pub next_sync_token: Option<String>,
}

impl Serialize for ConnectionsPage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        PageView {
            total_people: self.total,
            total_items: self.total,
            connections: People(self),
            next_page_token: self.next_page_token.as_deref(),
            next_sync_token: self.next_sync_token.as_deref(),
        }
        .serialize(serializer)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageView<'a> {
    total_people: u64,
    total_items: u64,
    #[serde(skip_serializing_if = "People::is_empty")]
    connections: People<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_sync_token: Option<&'a str>,
}

/// The page's people, each rendered as it is written out.
struct People<'a>(&'a ConnectionsPage);

impl People<'_> {
    fn is_empty(&self) -> bool {
        self.0.people.is_empty()
    }
}

impl Serialize for People<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let page = self.0;
        serializer.collect_seq(
            page.people
                .iter()
                .map(|listed| person_view(listed, page.mask, page.incremental)),
        )
    }
}

/// A listed person as the People API renders it; `previous` adds `previousResourceNames`
/// (incremental listings only).
fn person_view(listed: &Listed, mask: FieldMask, previous: bool) -> PersonView<'_> {
    match listed {
        Listed::Live(stored) => live_person(stored, mask, previous),
        Listed::Deleted {
            resource_name,
            etag,
            previous_resource_names,
        } => PersonView {
            resource_name,
            etag,
            metadata: Some(PersonMetadata::new(
                resource_name,
                etag,
                true,
                if previous {
                    previous_resource_names
                } else {
                    &[]
                },
            )),
            ..PersonView::bare(resource_name, etag)
        },
    }
}

fn live_person(stored: &StoredContact, mask: FieldMask, previous: bool) -> PersonView<'_> {
    let source = SourceId::of(&stored.resource_name);
    let contact = &stored.contact;
    let previous_names: &[String] = if previous {
        &stored.previous_resource_names
    } else {
        &[]
    };
    PersonView {
        metadata: mask.metadata.then(|| {
            PersonMetadata::new(&stored.resource_name, &stored.etag, false, previous_names)
        }),
        names: selected(mask.names, &contact.names, |name| {
            NameView::of(name, source)
        }),
        email_addresses: selected(mask.emails, &contact.emails, |email| {
            EmailView::of(email, source)
        }),
        phone_numbers: selected(mask.phones, &contact.phones, |phone| {
            PhoneView::of(phone, source)
        }),
        organizations: selected(mask.organizations, &contact.organizations, |organization| {
            OrganizationView::of(organization, source)
        }),
        photos: selected(mask.photos, &contact.photos, |photo| {
            PhotoView::of(photo, source)
        }),
        ..PersonView::bare(&stored.resource_name, &stored.etag)
    }
}

/// The views of a field's items when the mask asked for the field, else none.
fn selected<'a, T, V>(wanted: bool, items: &'a [T], view: impl Fn(&'a T) -> V) -> Vec<V> {
    if wanted {
        items.iter().map(view).collect()
    } else {
        Vec::new()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersonView<'a> {
    resource_name: &'a str,
    etag: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<PersonMetadata<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    names: Vec<NameView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email_addresses: Vec<EmailView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    phone_numbers: Vec<PhoneView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    organizations: Vec<OrganizationView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    photos: Vec<PhotoView<'a>>,
}

impl<'a> PersonView<'a> {
    fn bare(resource_name: &'a str, etag: &'a str) -> Self {
        Self {
            resource_name,
            etag,
            metadata: None,
            names: Vec::new(),
            email_addresses: Vec::new(),
            phone_numbers: Vec::new(),
            organizations: Vec::new(),
            photos: Vec::new(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersonMetadata<'a> {
    sources: [PersonSource<'a>; 1],
    object_type: &'static str,
    #[serde(skip_serializing_if = "is_false")]
    deleted: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    previous_resource_names: &'a [String],
}

impl<'a> PersonMetadata<'a> {
    fn new(resource_name: &str, etag: &'a str, deleted: bool, previous: &'a [String]) -> Self {
        Self {
            sources: [PersonSource {
                kind: "CONTACT",
                id: SourceId::of(resource_name),
                etag,
                update_time: SOURCE_UPDATE_TIME,
            }],
            object_type: "PERSON",
            deleted,
            previous_resource_names: previous,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersonSource<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: SourceId,
    etag: &'a str,
    update_time: &'static str,
}

/// A field's `metadata`: primary fields say so twice, as Google does.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FieldMetadata {
    #[serde(skip_serializing_if = "is_false")]
    primary: bool,
    #[serde(skip_serializing_if = "is_false")]
    source_primary: bool,
    source: FieldSource,
}

impl FieldMetadata {
    fn new(primary: bool, id: SourceId) -> Self {
        Self {
            primary,
            source_primary: primary,
            source: FieldSource {
                kind: "CONTACT",
                id,
            },
        }
    }
}

#[derive(Serialize)]
struct FieldSource {
    #[serde(rename = "type")]
    kind: &'static str,
    id: SourceId,
}

/// A contact's source id: the number of its resource name, written in hex.
#[derive(Debug, Clone, Copy)]
struct SourceId(u64);

impl SourceId {
    fn of(resource_name: &str) -> Self {
        Self(
            resource_name
                .strip_prefix("people/c")
                .and_then(|n| n.parse().ok())
                .unwrap_or_default(),
        )
    }
}

impl Serialize for SourceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:x}", self.0))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NameView<'a> {
    metadata: FieldMetadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unstructured_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name_last_first: Option<String>,
}

impl<'a> NameView<'a> {
    fn of(name: &'a FakeName, source: SourceId) -> Self {
        let display = name.display();
        Self {
            metadata: FieldMetadata::new(name.primary, source),
            unstructured_name: display.clone(),
            display_name: display,
            family_name: name.family_name.as_deref(),
            given_name: name.given_name.as_deref(),
            display_name_last_first: match (&name.given_name, &name.family_name) {
                (Some(given), Some(family)) => Some(format!("{family}, {given}")),
                _ => None,
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmailView<'a> {
    metadata: FieldMetadata,
    value: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    formatted_type: Option<String>,
}

impl<'a> EmailView<'a> {
    fn of(email: &'a FakeEmail, source: SourceId) -> Self {
        Self {
            metadata: FieldMetadata::new(email.primary, source),
            value: &email.value,
            kind: email.kind.as_deref(),
            formatted_type: email.kind.as_deref().map(capitalized),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhoneView<'a> {
    metadata: FieldMetadata,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    canonical_form: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    formatted_type: Option<String>,
}

impl<'a> PhoneView<'a> {
    fn of(phone: &'a FakePhone, source: SourceId) -> Self {
        Self {
            metadata: FieldMetadata::new(phone.primary, source),
            value: &phone.value,
            canonical_form: phone.canonical_form.as_deref(),
            kind: phone.kind.as_deref(),
            formatted_type: phone.kind.as_deref().map(capitalized),
        }
    }
}

#[derive(Serialize)]
struct OrganizationView<'a> {
    metadata: FieldMetadata,
    current: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

impl<'a> OrganizationView<'a> {
    fn of(organization: &'a FakeOrganization, source: SourceId) -> Self {
        Self {
            metadata: FieldMetadata::new(organization.primary, source),
            current: true,
            name: organization.name.as_deref(),
            title: organization.title.as_deref(),
        }
    }
}

#[derive(Serialize)]
struct PhotoView<'a> {
    metadata: FieldMetadata,
    url: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    default: bool,
}

impl<'a> PhotoView<'a> {
    fn of(photo: &'a FakePhoto, source: SourceId) -> Self {
        Self {
            metadata: FieldMetadata::new(photo.primary, source),
            url: &photo.url,
            default: photo.default,
        }
    }
}

/// For `skip_serializing_if`, which passes a reference.
fn is_false(value: &bool) -> bool {
    !*value
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

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

    fn person_json(listed: &Listed, mask: FieldMask, previous: bool) -> Value {
        serde_json::to_value(person_view(listed, mask, previous)).unwrap()
    }

    #[test]
    fn the_mask_selects_fields() {
        let mask = FieldMask::parse("names,metadata").unwrap();
        let json = person_json(&Listed::Live(stored()), mask, false);
        assert_eq!(json["resourceName"], "people/c255");
        assert_eq!(json["names"][0]["displayName"], "Ada Lovelace");
        assert_eq!(json["names"][0]["displayNameLastFirst"], "Lovelace, Ada");
        assert_eq!(json["names"][0]["metadata"]["primary"], true);
        assert_eq!(json["names"][0]["metadata"]["source"]["id"], "ff");
        assert_eq!(json["metadata"]["sources"][0]["id"], "ff");
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
        assert!(json["metadata"].get("previousResourceNames").is_none());
    }

    #[test]
    fn a_page_names_its_tokens_and_totals_and_omits_empty_connections() {
        let page = ConnectionsPage {
            people: Vec::new(),
            mask: FieldMask::default(),
            incremental: false,
            total: 0,
            next_page_token: None,
            next_sync_token: Some("sync-1".to_owned()),
        };
        let json = serde_json::to_value(&page).unwrap();
        assert_eq!(json["totalPeople"], 0);
        assert_eq!(json["totalItems"], 0);
        assert_eq!(json["nextSyncToken"], "sync-1");
        assert!(json.get("connections").is_none());
        assert!(json.get("nextPageToken").is_none());
    }
}
