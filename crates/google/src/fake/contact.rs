//! `FakeContact`: a contact as the fake Google stores it, and `StoredContact`, one with its
//! resource name and etag as a listing shows it.

use pulse_domain::person::{
    GooglePerson, PersonEmail, PersonName, PersonOrganization, PersonPhone, PersonPhoto,
};
use serde::{Deserialize, Serialize};

/// A contact's fields, the ones the People API client reads (and a few it ignores).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeContact {
    /// `names[]`.
    pub names: Vec<FakeName>,
    /// `emailAddresses[]`.
    pub emails: Vec<FakeEmail>,
    /// `phoneNumbers[]`.
    pub phones: Vec<FakePhone>,
    /// `organizations[]`.
    pub organizations: Vec<FakeOrganization>,
    /// `photos[]`.
    pub photos: Vec<FakePhoto>,
}

/// One name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeName {
    /// `givenName`.
    pub given_name: Option<String>,
    /// `familyName`.
    pub family_name: Option<String>,
    /// `displayName`; when absent, given and family names joined.
    pub display_name: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One email address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeEmail {
    /// `value`, as typed.
    pub value: String,
    /// `type` (home, work, other).
    pub kind: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One phone number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakePhone {
    /// `value`, as typed.
    pub value: String,
    /// `canonicalForm` (E.164), when Google could parse the number.
    pub canonical_form: Option<String>,
    /// `type` (mobile, home, work).
    pub kind: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakeOrganization {
    /// `name`.
    pub name: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One photo.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FakePhoto {
    /// `url`.
    pub url: String,
    /// `default`: the generated placeholder.
    pub default: bool,
    /// `metadata.primary`.
    pub primary: bool,
}

impl FakeName {
    /// The `displayName` the fake reports: the explicit one, else given and family names joined.
    pub fn display(&self) -> Option<String> {
        if let Some(display) = &self.display_name {
            return Some(display.clone());
        }
        let joined = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    }
}

impl FakeContact {
    /// A contact with one primary name.
    pub fn named(given: &str, family: &str) -> Self {
        Self {
            names: vec![FakeName {
                given_name: Some(given.to_owned()).filter(|g| !g.is_empty()),
                family_name: Some(family.to_owned()).filter(|f| !f.is_empty()),
                display_name: None,
                primary: true,
            }],
            ..Self::default()
        }
    }

    /// Adds an email; the first one is primary.
    pub fn with_email(mut self, value: &str) -> Self {
        let primary = self.emails.is_empty();
        self.emails.push(FakeEmail {
            value: value.to_owned(),
            kind: Some("home".to_owned()),
            primary,
        });
        self
    }

    /// Adds a phone with its E.164 form when known; the first one is primary.
    pub fn with_phone(mut self, value: &str, canonical_form: Option<&str>) -> Self {
        let primary = self.phones.is_empty();
        self.phones.push(FakePhone {
            value: value.to_owned(),
            canonical_form: canonical_form.map(str::to_owned),
            kind: Some("mobile".to_owned()),
            primary,
        });
        self
    }

    /// Adds an organization; the first one is primary.
    pub fn with_organization(mut self, name: &str, title: Option<&str>) -> Self {
        let primary = self.organizations.is_empty();
        self.organizations.push(FakeOrganization {
            name: Some(name.to_owned()),
            title: title.map(str::to_owned),
            primary,
        });
        self
    }

    /// Adds a photo (`default` marks the placeholder); the first one is primary.
    pub fn with_photo(mut self, url: &str, default: bool) -> Self {
        let primary = self.photos.is_empty();
        self.photos.push(FakePhoto {
            url: url.to_owned(),
            default,
            primary,
        });
        self
    }

    /// Whether the contact has an email or a phone.
    pub fn has_identifier(&self) -> bool {
        !self.emails.is_empty() || !self.phones.is_empty()
    }
}

/// A live contact of an account, as a full listing reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredContact {
    /// `resourceName`.
    pub resource_name: String,
    /// `etag`; changes with every edit.
    pub etag: String,
    /// Names this contact had before renames (reported only in incremental listings).
    pub previous_resource_names: Vec<String>,
    /// The fields.
    pub contact: FakeContact,
}

impl StoredContact {
    /// The person the client should parse from a full listing of this contact.
    pub fn to_google_person(&self) -> GooglePerson {
        let contact = &self.contact;
        GooglePerson {
            resource_name: self.resource_name.clone(),
            etag: Some(self.etag.clone()),
            deleted: false,
            previous_resource_names: Vec::new(),
            names: contact
                .names
                .iter()
                .map(|name| PersonName {
                    display_name: name.display(),
                    given_name: name.given_name.clone(),
                    family_name: name.family_name.clone(),
                    primary: name.primary,
                })
                .collect(),
            emails: contact
                .emails
                .iter()
                .map(|email| PersonEmail {
                    value: Some(email.value.clone()),
                    primary: email.primary,
                })
                .collect(),
            phones: contact
                .phones
                .iter()
                .map(|phone| PersonPhone {
                    value: Some(phone.value.clone()),
                    canonical_form: phone.canonical_form.clone(),
                    primary: phone.primary,
                })
                .collect(),
            organizations: contact
                .organizations
                .iter()
                .map(|organization| PersonOrganization {
                    name: organization.name.clone(),
                    title: organization.title.clone(),
                    primary: organization.primary,
                })
                .collect(),
            photos: contact
                .photos
                .iter()
                .map(|photo| PersonPhoto {
                    url: Some(photo.url.clone()),
                    is_default: photo.default,
                    primary: photo.primary,
                })
                .collect(),
        }
    }
}
