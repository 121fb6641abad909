//! `GooglePerson`: the parts of a People API person that pulse-sync reads, already parsed.

/// A person as listed by Google, reduced to what the profile mapping needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GooglePerson {
    /// The People API `resourceName`, such as `people/c123`.
    pub resource_name: String,
    /// The person's etag; unchanged etag means unchanged person.
    pub etag: Option<String>,
    /// `metadata.deleted`: the person was deleted since the sync token was issued.
    pub deleted: bool,
    /// `metadata.previousResourceNames`: names this person was known by before.
    pub previous_resource_names: Vec<String>,
    /// `names[]`.
    pub names: Vec<PersonName>,
    /// `emailAddresses[]`.
    pub emails: Vec<PersonEmail>,
    /// `phoneNumbers[]`.
    pub phones: Vec<PersonPhone>,
    /// `organizations[]`.
    pub organizations: Vec<PersonOrganization>,
    /// `photos[]`.
    pub photos: Vec<PersonPhoto>,
}

/// One entry of `names[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonName {
    /// `displayName`.
    pub display_name: Option<String>,
    /// `givenName`.
    pub given_name: Option<String>,
    /// `familyName`.
    pub family_name: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One entry of `emailAddresses[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonEmail {
    /// `value`, as Google has it.
    pub value: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One entry of `phoneNumbers[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonPhone {
    /// `value`, as the user typed it.
    pub value: Option<String>,
    /// `canonicalForm`: E.164, present only when Google could parse the number.
    pub canonical_form: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One entry of `organizations[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonOrganization {
    /// `name`.
    pub name: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `metadata.primary`.
    pub primary: bool,
}

/// One entry of `photos[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonPhoto {
    /// `url`.
    pub url: Option<String>,
    /// `default`: the generated placeholder, not a real photo.
    pub is_default: bool,
    /// `metadata.primary`.
    pub primary: bool,
}
