//! ListSecrets filters and sort order, shared with BatchGetSecretValue.
//!
//! AWS's documented semantics: values within one filter are OR-ed, filters are AND-ed; every
//! key is a prefix match, case-sensitive except `description` and `all`; a value starting
//! with `!` negates (the secret matches when no attribute starts with the rest). `all` breaks
//! the value into words; each word must be a case-insensitive prefix of some word of the name,
//! description, tag keys or tag values (words split on anything not a letter or digit).

use std::cmp::Ordering;

use cofre_api::{ApiError, Filter};

use super::model::Secret;
use crate::error::invalid_parameter;

/// A checked filter.
#[derive(Debug, Clone)]
pub struct Matcher {
    key: Attr,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Attr {
    Name,
    Description,
    TagKey,
    TagValue,
    PrimaryRegion,
    OwningService,
    All,
}

/// Turns request filters into matchers.
pub fn compile(filters: &[Filter]) -> Result<Vec<Matcher>, ApiError> {
    filters
        .iter()
        .map(|f| {
            let key = match f.key.as_deref().unwrap_or_default() {
                "name" => Attr::Name,
                "description" => Attr::Description,
                "tag-key" => Attr::TagKey,
                "tag-value" => Attr::TagValue,
                "primary-region" => Attr::PrimaryRegion,
                "owning-service" => Attr::OwningService,
                "all" => Attr::All,
                other => return Err(invalid_parameter(format!("Invalid filter key: {other}"))),
            };
            let values = f.values.clone().unwrap_or_default();
            if values.is_empty() {
                return Err(invalid_parameter(
                    "You must provide at least one value for each filter.",
                ));
            }
            Ok(Matcher { key, values })
        })
        .collect()
}

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

impl Matcher {
    fn attributes<'a>(&self, s: &'a Secret) -> Vec<&'a str> {
        match self.key {
            Attr::Name => vec![s.row.name.as_str()],
            Attr::Description => s.meta.description.as_deref().into_iter().collect(),
            Attr::TagKey => s.meta.tags.iter().map(|t| t.key.as_str()).collect(),
            Attr::TagValue => s.meta.tags.iter().map(|t| t.value.as_str()).collect(),
            // Cofre has no replication or managed secrets yet: every secret is primary in its
            // own region and owned by no service.
            Attr::PrimaryRegion | Attr::OwningService => vec![],
            Attr::All => {
                let mut v = vec![s.row.name.as_str()];
                v.extend(s.meta.description.as_deref());
                v.extend(s.meta.tags.iter().map(|t| t.key.as_str()));
                v.extend(s.meta.tags.iter().map(|t| t.value.as_str()));
                v
            }
        }
    }

    fn positive(&self, attrs: &[&str], value: &str) -> bool {
        match self.key {
            Attr::Description => {
                let v = value.to_lowercase();
                attrs.iter().any(|a| a.to_lowercase().starts_with(&v))
            }
            Attr::All => {
                let attr_words: Vec<String> = attrs.iter().flat_map(|a| words(a)).collect();
                let mut wanted = words(value).peekable();
                wanted.peek().is_some()
                    && wanted.all(|w| attr_words.iter().any(|a| a.starts_with(&w)))
            }
            _ => attrs.iter().any(|a| a.starts_with(value)),
        }
    }

    /// Whether `s` passes this filter.
    pub fn matches(&self, s: &Secret) -> bool {
        let attrs = self.attributes(s);
        self.values.iter().any(|v| match v.strip_prefix('!') {
            Some(neg) => !self.positive(&attrs, neg),
            None => self.positive(&attrs, v),
        })
    }
}

/// Whether `s` passes every filter.
pub fn matches_all(filters: &[Matcher], s: &Secret) -> bool {
    filters.iter().all(|f| f.matches(s))
}

/// A sort order for ListSecrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortBy {
    /// `created-date` (the default).
    Created,
    /// `last-accessed-date`.
    LastAccessed,
    /// `last-changed-date`.
    LastChanged,
    /// `name`.
    Name,
}

impl SortBy {
    /// Parses the wire value (already validated against the model's enum).
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("name") => Self::Name,
            Some("last-accessed-date") => Self::LastAccessed,
            Some("last-changed-date") => Self::LastChanged,
            _ => Self::Created,
        }
    }

    /// The sort key of a secret; ties are broken by ARN.
    pub fn key(self, s: &Secret) -> SortKey {
        match self {
            Self::Name => SortKey::Text(s.row.name.clone()),
            Self::Created => SortKey::Time(s.meta.created_ms),
            Self::LastAccessed => SortKey::Time(s.meta.last_accessed_day_ms.unwrap_or(0)),
            Self::LastChanged => SortKey::Time(s.meta.last_changed_ms),
        }
    }
}

/// A sort key value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    /// A timestamp in ms.
    Time(i64),
    /// A name.
    Text(String),
}

/// Compares `(key, arn)` pairs in the requested direction.
pub fn compare(a: &(SortKey, String), b: &(SortKey, String), descending: bool) -> Ordering {
    let o = a.cmp(b);
    if descending {
        o.reverse()
    } else {
        o
    }
}
