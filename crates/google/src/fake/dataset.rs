//! Seeded data sets: the seed's account (428 contacts, 12 with an email or phone) and generated
//! accounts of any size. Contacts are computed from their index on demand, so a 100,000-person
//! account costs nothing until it is listed.

use serde::{Deserialize, Serialize};

use crate::fake::contact::{FakeContact, FakeName};

/// Contacts in the seed's account.
pub const SEED_ACCOUNT_SIZE: u32 = 428;
/// Contacts of the seed's account that have an email or a phone.
pub const SEED_ACCOUNT_WITH_IDENTIFIER: u32 = 12;
/// Every this-many-th contact of the seed's account has an identifier (0, 36, ..., 396).
const SEED_IDENTIFIER_STRIDE: u32 = 36;
/// The generator seed behind the seed's account.
const SEED_ACCOUNT_SEED: u64 = 0x5EED_0428;

/// Where an account's initial contacts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Dataset {
    /// No contacts.
    Empty,
    /// The seed's account: 428 contacts, exactly 12 of them with an email or phone.
    Seed,
    /// `size` deterministic contacts from `seed`; most have emails or phones, some have neither.
    Generated {
        /// How many contacts.
        size: u32,
        /// The generator seed.
        seed: u64,
    },
}

/// The seed's account: 428 contacts of which exactly 12 have an email or phone.
pub fn seed_account() -> Dataset {
    Dataset::Seed
}

/// A generated account of `size` contacts, the same for the same `seed`.
pub fn generated_account(size: u32, seed: u64) -> Dataset {
    Dataset::Generated { size, seed }
}

impl Dataset {
    /// How many contacts the data set starts with.
    pub fn len(&self) -> u32 {
        match self {
            Self::Empty => 0,
            Self::Seed => SEED_ACCOUNT_SIZE,
            Self::Generated { size, .. } => *size,
        }
    }

    /// Whether the data set starts empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The generator seed (also behind resource names and etags).
    pub fn seed(&self) -> u64 {
        match self {
            Self::Empty => 0,
            Self::Seed => SEED_ACCOUNT_SEED,
            Self::Generated { seed, .. } => *seed,
        }
    }

    /// The contact at `index` (below `len()`).
    pub fn contact(&self, index: u32) -> FakeContact {
        match self {
            Self::Empty => FakeContact::default(),
            Self::Seed => seed_contact(index),
            Self::Generated { seed, .. } => generated_contact(*seed, index),
        }
    }
}

/// splitmix64: a tiny deterministic generator, one stream per (seed, index).
pub(crate) struct Mix(u64);

impl Mix {
    /// The stream for one contact of one data set.
    pub fn new(seed: u64, index: u64) -> Self {
        let mut mix = Self(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        mix.next_u64();
        mix
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `bound` (which must be positive).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound.max(1)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An element of a non-empty slice.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let index = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(index).copied().unwrap_or_default()
    }
}

const GIVEN_NAMES: &[&str] = &[
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Dennis",
    "Ken",
    "Radia",
    "Tim",
    "Vint",
    "Frances",
    "John",
    "Katherine",
    "Linus",
    "Guido",
    "Bjarne",
    "Sophie",
    "Hedy",
    "Niklaus",
    "Leslie",
    "Shafi",
    "Yukihiro",
    "Anita",
    "Fernando",
    "Adele",
    "Claude",
    "Ivan",
    "Jean",
    "Karen",
    "Lynn",
    "Mary",
    "Robin",
    "Tony",
    "Ward",
    "Whitfield",
    "Xavier",
    "Yvonne",
    "Zoë",
    "José",
    "Łukasz",
    "Anaïs",
    "Søren",
    "Đorđe",
    "Chloé",
    "Björn",
    "Mei",
    "Aarav",
    "Kenji",
];

const FAMILY_NAMES: &[&str] = &[
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Ritchie",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Cerf",
    "Allen",
    "McCarthy",
    "Johnson",
    "Torvalds",
    "van Rossum",
    "Stroustrup",
    "Wilson",
    "Lamarr",
    "Wirth",
    "Lamport",
    "Goldwasser",
    "Matsumoto",
    "Borg",
    "Corbató",
    "Goldberg",
    "Shannon",
    "Sutherland",
    "Sammet",
    "Spärck Jones",
    "Conway",
    "Keller",
    "Milner",
    "Hoare",
    "Cunningham",
    "Diffie",
    "Leroy",
    "Nygaard",
    "Müller",
    "García",
    "Nowak",
    "Øverby",
    "O'Neill",
    "Nakamura",
    "Chen",
    "Kowalski",
    "Dubois",
    "Ivanova",
    "Patel",
];

const COMPANIES: &[&str] = &[
    "Analytical Engines Ltd",
    "Bletchley Works",
    "Compiler Co",
    "Difference Partners",
    "Eniac Holdings",
    "Ferranti & Sons",
    "Grid Systems",
    "Harvard Mark",
    "Interlisp GmbH",
    "Jacquard Looms",
];

const TITLES: &[&str] = &[
    "Engineer",
    "Director",
    "Analyst",
    "Founder",
    "Account Manager",
    "Head of Sales",
    "CTO",
    "Consultant",
];

const EMAIL_DOMAINS: &[&str] = &[
    "example.com",
    "example.org",
    "mail.example.net",
    "corp.example",
];

/// The seed's account: names for everyone, identifiers for exactly every 36th contact.
fn seed_contact(index: u32) -> FakeContact {
    let mut mix = Mix::new(SEED_ACCOUNT_SEED, u64::from(index));
    let given = GIVEN_NAMES[index as usize % GIVEN_NAMES.len()];
    let family = FAMILY_NAMES[(index as usize * 7 + index as usize / 50) % FAMILY_NAMES.len()];
    let mut contact = FakeContact::named(given, family);
    if index % 11 == 3 {
        contact = contact.with_organization(mix.pick(COMPANIES), Some(mix.pick(TITLES)));
    }
    contact = contact.with_photo(
        &format!("https://lh3.googleusercontent.com/cm/seed-default-{index}"),
        true,
    );
    if index.is_multiple_of(SEED_IDENTIFIER_STRIDE) {
        let ordinal = index / SEED_IDENTIFIER_STRIDE;
        let email = format!("{}.{}{ordinal}@example.com", slug(given), slug(family));
        let phone = format!("+1 555 010 {:04}", 1000 + ordinal);
        let canonical = format!("+15550101{:03}", ordinal);
        contact = match ordinal % 3 {
            0 => contact.with_email(&email),
            1 => contact.with_phone(&phone, Some(&canonical)),
            _ => contact
                .with_email(&email)
                .with_phone(&phone, Some(&canonical)),
        };
    }
    contact
}

/// A generated contact: realistic variety in names, identifiers, primaries, organizations and
/// photos, about 9 in 10 with an email or phone.
fn generated_contact(seed: u64, index: u32) -> FakeContact {
    let mut mix = Mix::new(seed, u64::from(index));
    let given = mix.pick(GIVEN_NAMES);
    let family = mix.pick(FAMILY_NAMES);
    let mut contact = match mix.below(100) {
        0..=84 => FakeContact::named(given, family),
        85..=91 => FakeContact::named(given, ""),
        92..=95 => FakeContact {
            names: vec![FakeName {
                display_name: Some(format!("{given} ({})", mix.pick(COMPANIES))),
                primary: true,
                ..FakeName::default()
            }],
            ..FakeContact::default()
        },
        _ => FakeContact::default(),
    };
    if mix.chance(90) {
        let with_email = mix.chance(80);
        let with_phone = !with_email || mix.chance(40);
        if with_email {
            for n in 0..=mix.below(3) {
                let domain = mix.pick(EMAIL_DOMAINS);
                let mut email = format!("{}.{}{}{n}@{domain}", slug(given), slug(family), index);
                if mix.chance(5) {
                    email = email.to_uppercase();
                }
                contact = contact.with_email(&email);
            }
            if contact.emails.len() > 1 && mix.chance(20) {
                contact.emails[0].primary = false;
                contact.emails[1].primary = true;
                contact.emails[1].kind = Some("work".to_owned());
            }
        }
        if with_phone {
            for _ in 0..=mix.below(2) {
                let number = 2_000_000 + mix.below(7_000_000);
                let typed = format!("(555) {:03}-{:04}", number / 10_000, number % 10_000);
                let canonical = format!("+1555{number:07}");
                let canonical = mix.chance(80).then_some(canonical.as_str());
                contact = contact.with_phone(&typed, canonical);
            }
        }
    }
    if mix.chance(50) {
        let title = mix.chance(70).then(|| mix.pick(TITLES));
        contact = contact.with_organization(mix.pick(COMPANIES), title);
    }
    let photo_is_default = mix.chance(70);
    let photo_url = if photo_is_default {
        format!(
            "https://lh3.googleusercontent.com/cm/default-{}",
            index % 97
        )
    } else {
        format!("https://lh3.googleusercontent.com/a/photo-{seed:x}-{index}")
    };
    contact.with_photo(&photo_url, photo_is_default)
}

/// Lower-case ASCII letters and digits of a name, for email local parts.
fn slug(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_account_has_428_contacts_and_12_with_an_identifier() {
        let dataset = seed_account();
        assert_eq!(dataset.len(), SEED_ACCOUNT_SIZE);
        let with_identifier = (0..dataset.len())
            .filter(|&i| dataset.contact(i).has_identifier())
            .count();
        assert_eq!(with_identifier, SEED_ACCOUNT_WITH_IDENTIFIER as usize);
        assert!((0..dataset.len()).all(|i| !dataset.contact(i).names.is_empty()));
    }

    #[test]
    fn generated_accounts_are_deterministic_and_varied() {
        let a = generated_account(2000, 7);
        let b = generated_account(2000, 7);
        let c = generated_account(2000, 8);
        assert!((0..50).all(|i| a.contact(i) == b.contact(i)));
        assert!((0..50).any(|i| a.contact(i) != c.contact(i)));
        let contacts: Vec<FakeContact> = (0..a.len()).map(|i| a.contact(i)).collect();
        let with_identifier = contacts.iter().filter(|c| c.has_identifier()).count();
        assert!(
            with_identifier > 1600 && with_identifier < 1950,
            "{with_identifier}"
        );
        assert!(
            contacts
                .iter()
                .any(|c| c.emails.len() > 1 && !c.emails[0].primary)
        );
        assert!(
            contacts
                .iter()
                .any(|c| c.phones.iter().any(|p| p.canonical_form.is_none()))
        );
        assert!(contacts.iter().any(|c| c.names.is_empty()));
        assert!(contacts.iter().any(|c| c.photos.iter().any(|p| !p.default)));
        assert!(contacts.iter().any(|c| !c.organizations.is_empty()));
    }
}
