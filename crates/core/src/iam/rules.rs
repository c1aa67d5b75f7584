//! Shared rules: identifier generation, name/path/tag/document validation, and paging.
//!
//! The wire layer validates every input against the model before the domain runs; the checks
//! here repeat the ones the domain's correctness depends on (names become storage keys, sizes
//! are quotas) so a caller that skips the wire layer cannot store what AWS would refuse.

use base64::Engine as _;
use cofre_crypto::{random_from_alphabet, SecretBytes};

use super::error::{msg, IamError};
use super::model::{Page, Paged, Tag};

/// The alphabet of unique ids and access key ids.
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// The alphabet of secret access keys (AWS's are base64-like, 40 characters).
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A unique id: `prefix` (`AIDA`, `AROA`, `AGPA`, `ANPA`) + 17 uppercase alphanumerics.
pub(crate) fn unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from_alphabet(UPPER_ALNUM, 17))
}

/// An access key id: `prefix` (`AKIA` long-term, `ASIA` temporary) + 16 uppercase
/// alphanumerics.
pub(crate) fn access_key_id(prefix: &str) -> String {
    format!("{prefix}{}", random_from_alphabet(UPPER_ALNUM, 16))
}

/// A fresh 40-character secret access key.
pub(crate) fn secret_access_key() -> SecretBytes {
    SecretBytes::from(random_from_alphabet(SECRET_ALPHABET, 40))
}

/// A fresh session token: 128 random bytes, base64 (172 characters).
pub(crate) fn session_token() -> SecretBytes {
    let raw = zeroize::Zeroizing::new(cofre_crypto::random_bytes(128));
    SecretBytes::from(base64::engine::general_purpose::STANDARD.encode(raw.as_slice()))
}

/// The model's pattern for user, role, group and policy names.
pub(crate) const NAME_PATTERN: &str = r"[\w+=,.@-]+";

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// Checks a name against `[\w+=,.@-]+` and `1..=max` characters; `field` is the member name
/// AWS reports (`userName`, `roleName`, ...).
pub(crate) fn check_name(value: &str, field: &str, max: usize) -> Result<(), IamError> {
    let len = value.chars().count();
    if len == 0 {
        return Err(IamError::validation(msg::too_short(value, field, 1)));
    }
    if len > max {
        return Err(IamError::validation(msg::too_long(value, field, max)));
    }
    if !value.chars().all(name_char) {
        return Err(IamError::validation(msg::pattern(
            value,
            field,
            NAME_PATTERN,
        )));
    }
    Ok(())
}

/// Checks a user, role or group path: `/` or `/…/` with printable ASCII between, ≤ 512.
pub(crate) fn check_path(value: &str) -> Result<(), IamError> {
    const PATTERN: &str = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
    check_len(value, "path", 1, 512)?;
    let ok = value == "/"
        || (value.len() >= 3
            && value.starts_with('/')
            && value.ends_with('/')
            && value.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if !ok {
        return Err(IamError::validation(msg::pattern(value, "path", PATTERN)));
    }
    Ok(())
}

/// Checks a managed policy path: `((/[A-Za-z0-9\.,\+@=_-]+)*)/`, ≤ 512.
pub(crate) fn check_policy_path(value: &str) -> Result<(), IamError> {
    const PATTERN: &str = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/";
    check_len(value, "path", 1, 512)?;
    let ok = value.starts_with('/')
        && value.ends_with('/')
        && value[1..]
            .split_terminator('/')
            .all(|seg| !seg.is_empty() && seg.chars().all(name_char));
    if !ok {
        return Err(IamError::validation(msg::pattern(value, "path", PATTERN)));
    }
    Ok(())
}

/// Checks a `PathPrefix`: `/` followed by ASCII, ≤ 512.
pub(crate) fn check_path_prefix(value: &str) -> Result<(), IamError> {
    const PATTERN: &str = r"\u002F[\u0021-\u007F]*";
    check_len(value, "pathPrefix", 1, 512)?;
    if !value.starts_with('/') || !value.bytes().all(|b| (0x21..=0x7f).contains(&b)) {
        return Err(IamError::validation(msg::pattern(
            value,
            "pathPrefix",
            PATTERN,
        )));
    }
    Ok(())
}

/// Checks a description's length (≤ 1000).
pub(crate) fn check_description(value: &str) -> Result<(), IamError> {
    check_len(value, "description", 0, 1000)
}

fn check_len(value: &str, field: &str, min: usize, max: usize) -> Result<(), IamError> {
    let len = value.chars().count();
    if len < min {
        return Err(IamError::validation(msg::too_short(value, field, min)));
    }
    if len > max {
        return Err(IamError::validation(msg::too_long(value, field, max)));
    }
    Ok(())
}

/// Checks that `doc` is a JSON object with a `Statement`: what IAM calls "Syntax errors in
/// policy." The policy grammar itself (effects, actions, conditions) is `cofre_policy`'s.
pub(crate) fn check_policy_document(doc: &str) -> Result<(), IamError> {
    match serde_json::from_str::<serde_json::Value>(doc) {
        Ok(serde_json::Value::Object(map)) if map.contains_key("Statement") => Ok(()),
        _ => Err(IamError::malformed_policy_document(
            msg::SYNTAX_ERRORS_IN_POLICY,
        )),
    }
}

/// A policy's size as IAM's quotas count it: characters, white space excluded.
pub(crate) fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}

/// The form in which tag keys are compared (IAM tag keys are case-insensitive).
pub(crate) fn fold_tag_key(key: &str) -> String {
    key.to_lowercase()
}

fn tag_char(c: char) -> bool {
    // [\p{L}\p{Z}\p{N}_.:/=+\-@]
    c.is_alphabetic()
        || c.is_numeric()
        || (c.is_whitespace() && !c.is_control())
        || "_.:/=+-@".contains(c)
}

const TAG_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
const TAG_VALUE_PATTERN: &str = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*";

fn render_tags(tags: &[Tag]) -> String {
    let inner: Vec<String> = tags
        .iter()
        .map(|t| format!("Tag(Key={}, Value={})", t.key, t.value))
        .collect();
    format!("[{}]", inner.join(", "))
}

/// Checks a list of tags given to a create or tag operation: at most 50, keys and values
/// within the model's constraints, no two keys equal without regard to case.
pub(crate) fn check_tags(tags: &[Tag]) -> Result<(), IamError> {
    if tags.len() > 50 {
        return Err(IamError::validation(msg::too_long(
            &render_tags(tags),
            "tags",
            50,
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, t) in tags.iter().enumerate() {
        let key_field = format!("tags.{}.member.key", i + 1);
        let value_field = format!("tags.{}.member.value", i + 1);
        check_len(&t.key, &key_field, 1, 128)?;
        if !t.key.chars().all(tag_char) {
            return Err(IamError::validation(msg::pattern(
                &t.key,
                &key_field,
                TAG_PATTERN,
            )));
        }
        check_len(&t.value, &value_field, 0, 256)?;
        if !t.value.chars().all(tag_char) {
            return Err(IamError::validation(msg::pattern(
                &t.value,
                &value_field,
                TAG_VALUE_PATTERN,
            )));
        }
        if !seen.insert(fold_tag_key(&t.key)) {
            return Err(IamError::invalid_input(msg::DUPLICATE_TAG_KEYS));
        }
    }
    Ok(())
}

/// Checks the `TagKeys` of an untag operation.
pub(crate) fn check_tag_keys(keys: &[String]) -> Result<(), IamError> {
    if keys.len() > 50 {
        return Err(IamError::validation(msg::too_long(
            &format!("[{}]", keys.join(", ")),
            "tagKeys",
            50,
        )));
    }
    for k in keys {
        check_len(k, "tagKeys", 1, 128)?;
        if !k.chars().all(tag_char) {
            return Err(IamError::validation(msg::pattern(
                k,
                "tagKeys",
                TAG_PATTERN,
            )));
        }
    }
    Ok(())
}

/// Sorts tags by folded key, the order they are stored and listed in.
pub(crate) fn sort_tags(tags: &mut [Tag]) {
    tags.sort_by_key(|t| fold_tag_key(&t.key));
}

/// Merges `new` into `existing` (a key equal without regard to case is replaced, taking the
/// new spelling) and fails with AWS's `LimitExceeded` if more than 50 would remain.
pub(crate) fn merge_tags(existing: &mut Vec<Tag>, new: &[Tag]) -> Result<(), IamError> {
    for t in new {
        let folded = fold_tag_key(&t.key);
        existing.retain(|e| fold_tag_key(&e.key) != folded);
        existing.push(t.clone());
    }
    if existing.len() > 50 {
        return Err(IamError::limit_exceeded(msg::TOO_MANY_TAGS));
    }
    sort_tags(existing);
    Ok(())
}

/// Removes the tags whose keys equal one of `keys` without regard to case; absent keys are
/// ignored, as AWS does.
pub(crate) fn remove_tags(existing: &mut Vec<Tag>, keys: &[String]) {
    let folded: std::collections::HashSet<String> = keys.iter().map(|k| fold_tag_key(k)).collect();
    existing.retain(|t| !folded.contains(&fold_tag_key(&t.key)));
}

/// AWS's default `MaxItems`.
const DEFAULT_MAX_ITEMS: i32 = 100;

/// Cuts one page out of `items`, which must be sorted by their (unique) key. The marker is
/// the last key returned, base64url-encoded, so a page boundary stays put when items are
/// added or removed concurrently.
pub(crate) fn paginate<T>(items: Vec<(String, T)>, page: &Page) -> Result<Paged<T>, IamError> {
    let max = page.max_items.unwrap_or(DEFAULT_MAX_ITEMS);
    if max < 1 {
        return Err(IamError::validation(msg::value_too_small(
            i64::from(max),
            "maxItems",
            1,
        )));
    }
    if max > 1000 {
        return Err(IamError::validation(msg::value_too_large(
            i64::from(max),
            "maxItems",
            1000,
        )));
    }
    let max = usize::try_from(max).unwrap_or(1);
    let after = match &page.marker {
        None => None,
        Some(m) => Some(decode_marker(m)?),
    };
    let mut rest = items
        .into_iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .peekable();
    let mut out = Vec::new();
    let mut last = None;
    while out.len() < max {
        match rest.next() {
            Some((k, item)) => {
                last = Some(k);
                out.push(item);
            }
            None => break,
        }
    }
    let is_truncated = rest.peek().is_some();
    Ok(Paged {
        items: out,
        is_truncated,
        marker: if is_truncated {
            last.map(|k| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k))
        } else {
            None
        },
    })
}

fn decode_marker(marker: &str) -> Result<String, IamError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(marker)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        // Cofre's own wording: markers are opaque, and AWS documents no text for a bad one.
        .ok_or_else(|| IamError::invalid_input("The specified Marker is not valid."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_aws_shape() {
        let id = unique_id("AIDA");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert!(id.bytes().all(|b| UPPER_ALNUM.contains(&b)));
        let k = access_key_id("AKIA");
        assert_eq!(k.len(), 20);
        assert_eq!(secret_access_key().len(), 40);
        assert!(session_token().len() > 100);
    }

    #[test]
    fn names() {
        assert!(check_name("alice+ops=1,2.x@y_z-w", "userName", 64).is_ok());
        assert_eq!(
            check_name("", "userName", 64).expect_err("empty").code,
            "ValidationError"
        );
        assert!(check_name(&"a".repeat(65), "userName", 64).is_err());
        assert!(check_name("a/b", "userName", 64).is_err());
        assert!(check_name("a b", "userName", 64).is_err());
        assert!(check_name("ünï", "userName", 64).is_err());
    }

    #[test]
    fn paths() {
        for ok in ["/", "/a/", "/division_abc/subdivision_xyz/"] {
            assert!(check_path(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "/a", "a/", "//x", "/a b/"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
        assert!(check_policy_path("/").is_ok());
        assert!(check_policy_path("/team/x/").is_ok());
        assert!(check_policy_path("/team//").is_err());
        assert!(check_policy_path("/te am/").is_err());
        assert!(check_path_prefix("/").is_ok());
        assert!(check_path_prefix("x").is_err());
    }

    #[test]
    fn documents() {
        assert!(check_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#).is_ok());
        for bad in ["", "{", "[]", "{}", "\"x\"", "{'Statement':1}"] {
            let e = check_policy_document(bad).expect_err(bad);
            assert_eq!(e.code, "MalformedPolicyDocument");
            assert_eq!(e.message, "Syntax errors in policy.");
        }
        assert_eq!(policy_size("{ \"a\" :\n\t1 }"), 7);
    }

    #[test]
    fn tags() {
        let mut t = vec![Tag::new("Team", "a")];
        merge_tags(&mut t, &[Tag::new("team", "b"), Tag::new("x", "")]).expect("merge");
        assert_eq!(t, vec![Tag::new("team", "b"), Tag::new("x", "")]);
        remove_tags(&mut t, &["TEAM".into(), "absent".into()]);
        assert_eq!(t, vec![Tag::new("x", "")]);
        let e = check_tags(&[Tag::new("k", "1"), Tag::new("K", "2")]).expect_err("dup");
        assert_eq!(
            (e.code, e.message.as_str()),
            ("InvalidInput", msg::DUPLICATE_TAG_KEYS)
        );
        assert!(check_tags(&[Tag::new("", "1")]).is_err());
        assert!(check_tags(&[Tag::new("k!", "1")]).is_err());
        assert!(check_tags(&[Tag::new("Ключ é", "значение 1")]).is_ok());
        let many: Vec<Tag> = (0..51).map(|i| Tag::new(format!("k{i}"), "")).collect();
        assert_eq!(check_tags(&many).expect_err("51").code, "ValidationError");
        let mut fifty: Vec<Tag> = (0..50).map(|i| Tag::new(format!("k{i}"), "")).collect();
        let e = merge_tags(&mut fifty, &[Tag::new("one-more", "")]).expect_err("51");
        assert_eq!((e.code, e.status), ("LimitExceeded", 409));
    }

    #[test]
    fn paging_walks_every_item_once() {
        let items: Vec<(String, u32)> = (0..7).map(|i| (format!("k{i}"), i)).collect();
        let mut page = Page {
            marker: None,
            max_items: Some(3),
        };
        let mut seen = Vec::new();
        loop {
            let p = paginate(items.clone(), &page).expect("page");
            seen.extend(p.items);
            if !p.is_truncated {
                assert!(p.marker.is_none());
                break;
            }
            page.marker = p.marker;
        }
        assert_eq!(seen, (0..7).collect::<Vec<_>>());
        // An exact fit is not truncated.
        let p = paginate(
            items.clone(),
            &Page {
                marker: None,
                max_items: Some(7),
            },
        )
        .expect("p");
        assert!(!p.is_truncated);
        for bad in [0, 1001] {
            let e = paginate(
                items.clone(),
                &Page {
                    marker: None,
                    max_items: Some(bad),
                },
            )
            .expect_err("bad max");
            assert_eq!(e.code, "ValidationError");
        }
        let e = paginate(
            items,
            &Page {
                marker: Some("%%%".into()),
                max_items: None,
            },
        )
        .expect_err("bad marker");
        assert_eq!(e.code, "InvalidInput");
    }
}
