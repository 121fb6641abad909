//! The mapping of a Google person to a CRM profile: identifiers, normalisation, skip and delete.

use crate::person::{GooglePerson, PersonEmail, PersonPhone};

/// Fewest digits a phone number needs to count as an identifier.
pub const MIN_PHONE_DIGITS: usize = 5;

/// The profile row a person with an identifier becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDraft {
    /// The Google `resourceName`.
    pub source_id: String,
    /// Older resource names of the same person (a rename updates, never duplicates).
    pub previous_source_ids: Vec<String>,
    /// The person's etag.
    pub etag: Option<String>,
    /// The name to show: the primary name, else given and family names, else the email or phone.
    pub display_name: Option<String>,
    /// Given name of the primary name.
    pub given_name: Option<String>,
    /// Family name of the primary name.
    pub family_name: Option<String>,
    /// The primary (else first) valid email.
    pub primary_email: Option<String>,
    /// Every valid email, normalised, primary first, without repeats.
    pub emails: Vec<String>,
    /// Every valid phone, normalised, primary first, without repeats.
    pub phones: Vec<String>,
    /// The primary (else first) organization's name.
    pub organization: Option<String>,
    /// The primary (else first) organization's title.
    pub title: Option<String>,
    /// The primary real photo's URL (placeholders ignored).
    pub photo_url: Option<String>,
}

/// What a listed person means for the profiles: every person lands in exactly one arm.
#[allow(
    clippy::large_enum_variant,
    reason = "each outcome is consumed at once, never stored in bulk"
)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonOutcome {
    /// The person has an email or phone: upsert this profile.
    Profile(ProfileDraft),
    /// The person has neither: counted, not stored.
    SkippedNoIdentifier {
        /// The skipped person's resource name.
        resource_name: String,
    },
    /// Google reports the person deleted.
    Deleted {
        /// The deleted person's resource name.
        resource_name: String,
    },
}

/// Maps one listed person to its outcome.
pub fn map_person(person: &GooglePerson) -> PersonOutcome {
    if person.deleted {
        return PersonOutcome::Deleted {
            resource_name: person.resource_name.clone(),
        };
    }
    let emails = normalized_emails(&person.emails);
    let phones = normalized_phones(&person.phones);
    if emails.is_empty() && phones.is_empty() {
        return PersonOutcome::SkippedNoIdentifier {
            resource_name: person.resource_name.clone(),
        };
    }
    let name = pick_primary(&person.names, |n| n.primary);
    let given_name = name.and_then(|n| non_blank(n.given_name.as_deref()));
    let family_name = name.and_then(|n| non_blank(n.family_name.as_deref()));
    let display_name = name
        .and_then(|n| non_blank(n.display_name.as_deref()))
        .or_else(|| joined_name(given_name.as_deref(), family_name.as_deref()))
        .or_else(|| emails.first().cloned())
        .or_else(|| phones.first().cloned());
    let organization = pick_primary(&person.organizations, |o| o.primary);
    let photo_url = sorted_primary_first(&person.photos, |p| p.primary)
        .into_iter()
        .filter(|p| !p.is_default)
        .find_map(|p| non_blank(p.url.as_deref()));
    PersonOutcome::Profile(ProfileDraft {
        source_id: person.resource_name.clone(),
        previous_source_ids: person.previous_resource_names.clone(),
        etag: person.etag.clone(),
        display_name,
        given_name,
        family_name,
        primary_email: emails.first().cloned(),
        emails,
        phones,
        organization: organization.and_then(|o| non_blank(o.name.as_deref())),
        title: organization.and_then(|o| non_blank(o.title.as_deref())),
        photo_url,
    })
}

/// Normalises an email: trimmed, lower-cased, exactly one `@` with text on both sides.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return None;
    }
    Some(email)
}

/// Normalises a phone: the canonical E.164 form when Google gave one, else the digits of the
/// typed value with a leading `+` kept; at least five digits.
pub fn normalize_phone(phone: &PersonPhone) -> Option<String> {
    if let Some(canonical) = non_blank(phone.canonical_form.as_deref()) {
        return Some(canonical);
    }
    let raw = phone.value.as_deref()?.trim();
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < MIN_PHONE_DIGITS {
        return None;
    }
    if raw.starts_with('+') {
        Some(format!("+{digits}"))
    } else {
        Some(digits)
    }
}

fn normalized_emails(emails: &[PersonEmail]) -> Vec<String> {
    let ordered = sorted_primary_first(emails, |e| e.primary);
    unique(
        ordered
            .into_iter()
            .filter_map(|e| e.value.as_deref().and_then(normalize_email)),
    )
}

fn normalized_phones(phones: &[PersonPhone]) -> Vec<String> {
    let ordered = sorted_primary_first(phones, |p| p.primary);
    unique(ordered.into_iter().filter_map(normalize_phone))
}

fn unique(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

fn sorted_primary_first<T>(items: &[T], is_primary: impl Fn(&T) -> bool) -> Vec<&T> {
    let (mut primary, rest): (Vec<&T>, Vec<&T>) = items.iter().partition(|i| is_primary(i));
    primary.extend(rest);
    primary
}

fn pick_primary<T>(items: &[T], is_primary: impl Fn(&T) -> bool) -> Option<&T> {
    items
        .iter()
        .find(|i| is_primary(i))
        .or_else(|| items.first())
}

fn non_blank(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn joined_name(given: Option<&str>, family: Option<&str>) -> Option<String> {
    let joined = [given, family]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    non_blank(Some(&joined))
}
