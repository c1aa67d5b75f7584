//! Input rules AWS enforces beyond the model's constraints (which `cofre_api` validates):
//! name characters, tag keys and values, request tokens. (`KmsKeyId` is checked in
//! `encryption.rs`.)

use cofre_api::{ApiError, ErrorCode, Tag};

use super::model::TagEntry;
use crate::error::invalid_parameter;

/// AWS allows at most 50 tags on a secret.
pub const MAX_TAGS: usize = 50;

/// Secret names: ASCII letters, digits and `/_+=.@-`. AWS answers any other name, in
/// CreateSecret and as a SecretId of any operation, with this ValidationException.
pub fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::ValidationException,
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
        ))
    }
}

fn tag_chars_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
}

/// Checks tags from a request and turns them into stored entries.
pub fn check_tags(tags: &[Tag]) -> Result<Vec<TagEntry>, ApiError> {
    let mut out = Vec::with_capacity(tags.len());
    for t in tags {
        let key = t.key.clone().unwrap_or_default();
        let value = t.value.clone().unwrap_or_default();
        if key.is_empty() {
            return Err(invalid_parameter("You must provide a tag key."));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_parameter(
                "Invalid tag key. Tag keys can't start with the reserved prefix aws:.",
            ));
        }
        if !tag_chars_ok(&key) || !tag_chars_ok(&value) {
            return Err(invalid_parameter(
                "Invalid tag. Tag keys and values can contain only letters, numbers, spaces and the characters _ . : / = + - @.",
            ));
        }
        out.push(TagEntry { key, value });
    }
    Ok(out)
}

/// `aws:RequestTag/<key>` and `aws:TagKeys` for tags a request sets.
pub fn tag_keys(tags: &[TagEntry]) -> cofre_policy::ContextKeys {
    let mut k = cofre_policy::ContextKeys::default();
    for t in tags {
        k.insert(&format!("aws:RequestTag/{}", t.key), t.value.clone());
    }
    k.insert_many("aws:TagKeys", tags.iter().map(|t| t.key.clone()).collect());
    k
}

/// Merges `new` tags into `existing` (same key: value replaced), enforcing [`MAX_TAGS`].
pub fn merge_tags(existing: &mut Vec<TagEntry>, new: Vec<TagEntry>) -> Result<(), ApiError> {
    for t in new {
        match existing.iter_mut().find(|e| e.key == t.key) {
            Some(e) => e.value = t.value,
            None => existing.push(t),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(ApiError::new(
            ErrorCode::InvalidParameterException,
            format!("The number of tags on a secret can't exceed {MAX_TAGS}."),
        ));
    }
    Ok(())
}

/// The ClientRequestToken to use: the caller's, or a fresh UUID as the SDKs would send.
pub fn token_or_new(token: Option<String>) -> String {
    token.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("prod/db-1_a+b=c.d@e").is_ok());
        assert!(check_name("has space").is_err());
        assert!(check_name("ünïcode").is_err());
    }

    #[test]
    fn tags_merge_and_limit() {
        let mut existing = vec![TagEntry {
            key: "a".into(),
            value: "1".into(),
        }];
        merge_tags(
            &mut existing,
            vec![TagEntry {
                key: "a".into(),
                value: "2".into(),
            }],
        )
        .expect("merge");
        assert_eq!(
            existing,
            vec![TagEntry {
                key: "a".into(),
                value: "2".into()
            }]
        );
        let many = (0..MAX_TAGS)
            .map(|i| TagEntry {
                key: format!("k{i}"),
                value: String::new(),
            })
            .collect();
        assert!(merge_tags(&mut existing, many).is_err());
    }

    #[test]
    fn reserved_tag_prefix() {
        let t = Tag {
            key: Some("aws:x".into()),
            value: Some("v".into()),
        };
        assert!(check_tags(&[t]).is_err());
    }
}
