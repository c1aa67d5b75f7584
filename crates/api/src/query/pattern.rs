//! Model patterns that `regex-lite` cannot compile: Java character classes with Unicode
//! general categories, such as IAM's and STS's tag patterns
//! `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`.
//!
//! `regex-lite` has no Unicode tables, so a [`Pattern`](crate::validate::Pattern) built
//! from such a text never compiles, and would therefore reject every value. The generator
//! instead describes these patterns (which are all one character class repeated with `+`
//! or `*`) as a [`ClassPattern`]: the category tables (generated from
//! `codegen/unicode_categories.json` into [`crate::generated::unicode`]) plus the class's
//! own characters. A [`UnicodeStrRule`] pairs that matcher with the model's rule, so that
//! violations are still reported with the model's pattern text, exactly as Java's would
//! be, through the shared [`Violations`] machinery.
//!
//! Matching is per code point (as Java's regex engine matches), in time linear in the
//! value's length (one binary search per character and table).

use crate::validate::{StrRule, Violations};

/// A pattern `[class]+` or `[class]*`, the class made of Unicode general-category tables
/// and explicit ranges.
#[derive(Debug)]
pub struct ClassPattern {
    /// Category tables (sorted, non-overlapping, inclusive code point ranges).
    pub tables: &'static [&'static [(u32, u32)]],
    /// The class's own characters and ranges (inclusive code points).
    pub ranges: &'static [(u32, u32)],
    /// Whether the empty value matches (`*`) or not (`+`).
    pub allow_empty: bool,
}

fn in_table(table: &[(u32, u32)], c: u32) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

impl ClassPattern {
    /// Whether the class contains `c`.
    pub fn contains(&self, c: char) -> bool {
        let c = u32::from(c);
        self.ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
            || self.tables.iter().any(|t| in_table(t, c))
    }

    /// Whether all of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        (self.allow_empty || !value.is_empty()) && value.chars().all(|c| self.contains(c))
    }
}

/// The constraints of a `string` shape whose pattern needs a [`ClassPattern`].
#[derive(Debug)]
pub struct UnicodeStrRule {
    /// The model's rule, its pattern as the model spells it (used for the text of
    /// violations only: that pattern does not compile with `regex-lite`).
    pub rule: StrRule,
    /// The same rule without its pattern (length and enum checks).
    pub base: StrRule,
    /// A rule with only the model's pattern, to report a pattern violation.
    pub pattern_only: StrRule,
    /// What actually decides whether the pattern matches.
    pub matcher: ClassPattern,
}

impl UnicodeStrRule {
    fn breaks(&self, value: &str) -> bool {
        let len = value.chars().count() as u64;
        self.base.min.is_some_and(|m| len < m)
            || self.base.max.is_some_and(|m| len > m)
            || self.base.enum_values.is_some_and(|vs| !vs.contains(&value))
            || !self.matcher.matches(value)
    }
}

/// [`Violations::check_str`] for a member whose shape has a [`UnicodeStrRule`]: length
/// (and enum) violations, then the pattern violation, worded with the model's pattern.
pub fn check_str_unicode(
    v: &mut Violations,
    prefix: &str,
    name: &str,
    value: Option<&str>,
    required: bool,
    rule: &UnicodeStrRule,
) {
    let Some(value) = value else {
        return v.check_required(prefix, name, false, required);
    };
    v.check_str(prefix, name, Some(value), required, &rule.base);
    if !rule.matcher.matches(value) {
        // `pattern_only` never matches (regex-lite cannot compile it), so this records
        // exactly the pattern violation, in the shared wording.
        v.check_str(prefix, name, Some(value), required, &rule.pattern_only);
    }
}

/// [`Violations::check_str_members`] for a list whose elements have a [`UnicodeStrRule`]:
/// one violation on the list, listing every constraint of the element shape, if any
/// element breaks one.
pub fn check_str_members_unicode(
    v: &mut Violations,
    prefix: &str,
    name: &str,
    value: Option<&[String]>,
    rule: &UnicodeStrRule,
) {
    let Some(items) = value else { return };
    if items.iter().any(|s| rule.breaks(s)) {
        // `rule.rule`'s pattern never compiles, so the shared check always reports.
        v.check_str_members(prefix, name, Some(items), &rule.rule);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::validate::Pattern;

    static LETTERS: &[(u32, u32)] = &[(0x41, 0x5a), (0x61, 0x7a), (0xe9, 0xe9)];

    static RULE: UnicodeStrRule = UnicodeStrRule {
        rule: StrRule {
            min: Some(1),
            max: Some(3),
            pattern: Some(Pattern::new(r"[\p{L}-]+")),
            enum_values: None,
            sensitive: false,
        },
        base: StrRule {
            min: Some(1),
            max: Some(3),
            pattern: None,
            enum_values: None,
            sensitive: false,
        },
        pattern_only: StrRule {
            min: None,
            max: None,
            pattern: Some(Pattern::new(r"[\p{L}-]+")),
            enum_values: None,
            sensitive: false,
        },
        matcher: ClassPattern {
            tables: &[LETTERS],
            ranges: &[(0x2d, 0x2d)],
            allow_empty: false,
        },
    };

    fn message(f: impl FnOnce(&mut Violations)) -> Option<String> {
        let mut v = Violations::new();
        f(&mut v);
        v.into_result().err().map(|e| e.message)
    }

    #[test]
    fn model_pattern_really_does_not_compile() {
        assert!(RULE.rule.pattern.as_ref().unwrap().regex().is_none());
    }

    #[test]
    fn class_matching() {
        assert!(RULE.matcher.matches("aé-Z"));
        assert!(!RULE.matcher.matches(""));
        assert!(!RULE.matcher.matches("a1"));
        static STAR: ClassPattern = ClassPattern {
            tables: &[LETTERS],
            ranges: &[],
            allow_empty: true,
        };
        assert!(STAR.matches(""));
        assert!(!STAR.matches("-"));
    }

    #[test]
    fn violations_use_the_model_text() {
        assert_eq!(
            message(|v| check_str_unicode(v, "", "key", Some("ab"), true, &RULE)),
            None
        );
        assert_eq!(
            message(|v| check_str_unicode(v, "tags.1.member", "key", Some("a!bc"), true, &RULE))
                .unwrap(),
            "2 validation errors detected: Value 'a!bc' at 'tags.1.member.key' failed to satisfy \
             constraint: Member must have length less than or equal to 3; Value 'a!bc' at \
             'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular \
             expression pattern: [\\p{L}-]+"
        );
        assert_eq!(
            message(|v| check_str_unicode(v, "", "key", None, true, &RULE)).unwrap(),
            "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null"
        );
        let items = vec!["ok".to_owned(), "x y".to_owned()];
        assert_eq!(
            message(|v| check_str_members_unicode(v, "", "tagKeys", Some(&items), &RULE)).unwrap(),
            "1 validation error detected: Value '[ok, x y]' at 'tagKeys' failed to satisfy \
             constraint: Member must satisfy constraint: [Member must have length less than or \
             equal to 3, Member must have length greater than or equal to 1, Member must satisfy \
             regular expression pattern: [\\p{L}-]+]"
        );
        let fine = vec!["ok".to_owned()];
        assert_eq!(
            message(|v| check_str_members_unicode(v, "", "tagKeys", Some(&fine), &RULE)),
            None
        );
    }
}
