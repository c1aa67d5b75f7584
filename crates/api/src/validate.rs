//! Model constraints and AWS's `ValidationException` messages.
//!
//! The generated code describes each constrained shape with a rule ([`StrRule`],
//! [`BlobRule`], [`NumRule`], [`ListRule`]) and implements [`Validate`] for every input
//! structure by calling the `check_*` methods of [`Violations`] member by member, in model
//! order. This module owns the wording, which follows AWS's (Coral) front end:
//!
//! ```text
//! 2 validation errors detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null; Value '200' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100
//! ```
//!
//! - Member paths are the member names with the first letter lower-cased
//!   (`SecretId` → `secretId`, Lambda's `KMSKeyArn` → `kMSKeyArn`), joined by `.`; a
//!   structure inside a list is addressed as `filters.1.member.key` (1-based).
//! - A list of strings whose elements break their own constraints is reported once, on
//!   the list, listing every constraint of the element shape:
//!   `Value '[a, ]' at 'secretIdList' failed to satisfy constraint: Member must satisfy
//!   constraint: [Member must have length less than or equal to 2048, Member must have
//!   length greater than or equal to 1]`.
//! - Values are quoted as AWS prints them: strings and numbers in quotes, an absent
//!   member as `null`, lists as `[a, b]`, structures as `{Key: k,Value: v}`, non-sensitive
//!   blobs as Java's `java.nio.HeapByteBuffer[pos=0 lim=N cap=N]`.
//! - A member the model marks sensitive never has its value printed: the message reads
//!   `Value at 'secretString' failed to satisfy constraint: …`, as AWS's does.
//! - Lengths of strings count Unicode code points; lengths of blobs count bytes.
//! - Like AWS's front end, at most [`MAX_REPORTED`] violations are reported (which also
//!   bounds the size of the message a hostile request can make us build).
//! - `pattern`s must match the whole value (Java's `Pattern.matches`), so each is
//!   compiled as `^(?:pattern)$`.
//!
//! Where AWS's order of violations is not reproducible (it follows Java hash-set order),
//! ours is the model's member order, and for one member: length, range, pattern, enum.
//! Enum value sets are printed in model order for the same reason.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex_lite::Regex;

use crate::{ApiError, Blob, SensitiveBlob, SensitiveString, Timestamp};

/// The most violations one `ValidationException` reports.
pub const MAX_REPORTED: usize = 10;

/// A structure whose members can be checked against the model's constraints.
pub trait Validate {
    /// Records every violation in `self` into `violations`; `prefix` is the path of
    /// `self` (empty for a top-level input).
    fn validate_at(&self, prefix: &str, violations: &mut Violations);

    /// `Ok` if `self` satisfies the model, else AWS's `ValidationException`.
    fn validate(&self) -> Result<(), ApiError> {
        let mut violations = Violations::new();
        self.validate_at("", &mut violations);
        violations.into_result()
    }
}

/// How a value is shown in a violation.
enum Shown {
    /// `Value null at …`
    Null,
    /// `Value at …` (sensitive: the value is never printed).
    Hidden,
    /// `Value '<text>' at …`
    Text(String),
}

/// Violations collected while validating one input.
#[derive(Debug, Default)]
pub struct Violations {
    items: Vec<String>,
}

/// Constraints of a `string` shape.
#[derive(Debug)]
pub struct StrRule {
    /// Minimum length in code points.
    pub min: Option<u64>,
    /// Maximum length in code points.
    pub max: Option<u64>,
    /// A pattern the whole value must match.
    pub pattern: Option<Pattern>,
    /// The allowed values, in model order.
    pub enum_values: Option<&'static [&'static str]>,
    /// Whether the shape is sensitive (its value is never printed).
    pub sensitive: bool,
}

/// Constraints of a `blob` shape.
#[derive(Debug)]
pub struct BlobRule {
    /// Minimum length in bytes.
    pub min: Option<u64>,
    /// Maximum length in bytes.
    pub max: Option<u64>,
    /// Whether the shape is sensitive.
    pub sensitive: bool,
}

/// Constraints of an `integer` or `long` shape.
#[derive(Debug)]
pub struct NumRule {
    /// Smallest allowed value.
    pub min: Option<i64>,
    /// Largest allowed value.
    pub max: Option<i64>,
}

/// Constraints of a `list` shape's own length.
#[derive(Debug)]
pub struct ListRule {
    /// Fewest elements.
    pub min: Option<u64>,
    /// Most elements.
    pub max: Option<u64>,
    /// Whether the elements are sensitive (the list is then never printed).
    pub sensitive: bool,
}

/// A model `pattern`, compiled on first use.
pub struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<Regex>>,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

impl Pattern {
    /// A pattern from the model's text (JavaScript/Java syntax, as botocore ships it).
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// The pattern exactly as the model spells it (and as the message prints it).
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The compiled, whole-value-anchored regex; `None` if it does not compile (a unit
    /// test keeps every model pattern compiling).
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| Regex::new(&format!("^(?:{})$", self.source)).ok())
            .as_ref()
    }

    /// Whether all of `value` matches. A pattern that failed to compile matches nothing,
    /// so a broken pattern rejects input rather than letting it through.
    pub fn matches(&self, value: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(value))
    }
}

impl StrRule {
    /// The constraint texts this rule imposes, in AWS's order for a list's element
    /// summary: maximum length, minimum length, pattern, enum.
    fn all_constraints(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(max) = self.max {
            out.push(len_max(max));
        }
        if let Some(min) = self.min {
            out.push(len_min(min));
        }
        if let Some(p) = &self.pattern {
            out.push(pattern_text(p));
        }
        if let Some(values) = self.enum_values {
            out.push(enum_text(values));
        }
        out
    }

    /// The constraints `value` breaks, in reporting order.
    fn broken(&self, value: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.min.is_some() || self.max.is_some() {
            let len = value.chars().count() as u64;
            if let Some(min) = self.min.filter(|&m| len < m) {
                out.push(len_min(min));
            }
            if let Some(max) = self.max.filter(|&m| len > m) {
                out.push(len_max(max));
            }
        }
        if let Some(p) = self.pattern.as_ref().filter(|p| !p.matches(value)) {
            out.push(pattern_text(p));
        }
        if let Some(values) = self.enum_values.filter(|vs| !vs.contains(&value)) {
            out.push(enum_text(values));
        }
        out
    }
}

fn len_min(min: u64) -> String {
    format!("Member must have length greater than or equal to {min}")
}

fn len_max(max: u64) -> String {
    format!("Member must have length less than or equal to {max}")
}

fn pattern_text(p: &Pattern) -> String {
    format!(
        "Member must satisfy regular expression pattern: {}",
        p.source
    )
}

fn enum_text(values: &[&str]) -> String {
    format!(
        "Member must satisfy enum value set: [{}]",
        values.join(", ")
    )
}

/// The path of member `name` under `prefix`.
pub fn member_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

const NOT_NULL: &str = "Member must not be null";

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether [`MAX_REPORTED`] violations have been recorded (later ones are dropped).
    pub fn is_full(&self) -> bool {
        self.items.len() >= MAX_REPORTED
    }

    /// How many violations have been recorded.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether none have been recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn push(&mut self, shown: Shown, path: &str, constraint: &str) {
        if self.is_full() {
            return;
        }
        let item = match shown {
            Shown::Null => {
                format!("Value null at '{path}' failed to satisfy constraint: {constraint}")
            }
            Shown::Hidden => {
                format!("Value at '{path}' failed to satisfy constraint: {constraint}")
            }
            Shown::Text(text) => {
                format!("Value '{text}' at '{path}' failed to satisfy constraint: {constraint}")
            }
        };
        self.items.push(item);
    }

    /// Records a missing required member.
    pub fn check_required(&mut self, prefix: &str, name: &str, present: bool, required: bool) {
        if required && !present {
            self.push(Shown::Null, &member_path(prefix, name), NOT_NULL);
        }
    }

    /// Checks a `string` member.
    pub fn check_str(
        &mut self,
        prefix: &str,
        name: &str,
        value: Option<&str>,
        required: bool,
        rule: &StrRule,
    ) {
        let Some(value) = value else {
            return self.check_required(prefix, name, false, required);
        };
        if self.is_full() {
            return;
        }
        for constraint in rule.broken(value) {
            let shown = if rule.sensitive {
                Shown::Hidden
            } else {
                Shown::Text(value.to_owned())
            };
            self.push(shown, &member_path(prefix, name), &constraint);
        }
    }

    /// Checks a `blob` member (lengths in bytes).
    pub fn check_blob(
        &mut self,
        prefix: &str,
        name: &str,
        value: Option<&[u8]>,
        required: bool,
        rule: &BlobRule,
    ) {
        let Some(value) = value else {
            return self.check_required(prefix, name, false, required);
        };
        let len = value.len() as u64;
        let broken = match (rule.min, rule.max) {
            (Some(min), _) if len < min => len_min(min),
            (_, Some(max)) if len > max => len_max(max),
            _ => return,
        };
        let shown = if rule.sensitive {
            Shown::Hidden
        } else {
            Shown::Text(byte_buffer(value.len()))
        };
        self.push(shown, &member_path(prefix, name), &broken);
    }

    /// Checks an `integer` or `long` member.
    pub fn check_num(
        &mut self,
        prefix: &str,
        name: &str,
        value: Option<i64>,
        required: bool,
        rule: &NumRule,
    ) {
        let Some(value) = value else {
            return self.check_required(prefix, name, false, required);
        };
        let broken = match (rule.min, rule.max) {
            (Some(min), _) if value < min => {
                format!("Member must have value greater than or equal to {min}")
            }
            (_, Some(max)) if value > max => {
                format!("Member must have value less than or equal to {max}")
            }
            _ => return,
        };
        self.push(
            Shown::Text(value.to_string()),
            &member_path(prefix, name),
            &broken,
        );
    }

    /// Checks a `list` member's own length.
    pub fn check_list<T: Render>(
        &mut self,
        prefix: &str,
        name: &str,
        value: Option<&[T]>,
        required: bool,
        rule: &ListRule,
    ) {
        let Some(items) = value else {
            return self.check_required(prefix, name, false, required);
        };
        let len = items.len() as u64;
        let broken = match (rule.min, rule.max) {
            (Some(min), _) if len < min => len_min(min),
            (_, Some(max)) if len > max => len_max(max),
            _ => return,
        };
        if self.is_full() {
            return;
        }
        let shown = if rule.sensitive {
            Shown::Hidden
        } else {
            Shown::Text(render_list(items))
        };
        self.push(shown, &member_path(prefix, name), &broken);
    }

    /// Checks the elements of a list of strings against the element shape's `rule`,
    /// reporting once on the list (AWS's `Member must satisfy constraint: [...]` form).
    pub fn check_str_members(
        &mut self,
        prefix: &str,
        name: &str,
        value: Option<&[String]>,
        rule: &StrRule,
    ) {
        let Some(items) = value else { return };
        if self.is_full() || items.iter().all(|s| rule.broken(s).is_empty()) {
            return;
        }
        let constraint = format!(
            "Member must satisfy constraint: [{}]",
            rule.all_constraints().join(", ")
        );
        let shown = if rule.sensitive {
            Shown::Hidden
        } else {
            Shown::Text(render_list(items))
        };
        self.push(shown, &member_path(prefix, name), &constraint);
    }

    /// Checks a structure member: presence, then its own members under its path.
    pub fn check_struct<T: Validate>(
        &mut self,
        prefix: &str,
        name: &str,
        value: Option<&T>,
        required: bool,
    ) {
        match value {
            None => self.check_required(prefix, name, false, required),
            Some(inner) if !self.is_full() => inner.validate_at(&member_path(prefix, name), self),
            Some(_) => {}
        }
    }

    /// Validates each structure in a list member, at `name.<i>.member` (1-based).
    pub fn check_struct_members<T: Validate>(
        &mut self,
        prefix: &str,
        name: &str,
        value: Option<&[T]>,
    ) {
        let Some(items) = value else { return };
        let base = member_path(prefix, name);
        for (i, item) in items.iter().enumerate() {
            if self.is_full() {
                return;
            }
            item.validate_at(&format!("{base}.{}.member", i + 1), self);
        }
    }

    /// The collected violations as AWS's `ValidationException`, or `Ok` if there are none.
    pub fn into_result(self) -> Result<(), ApiError> {
        match self.items.len() {
            0 => Ok(()),
            1 => Err(ApiError::validation(format!(
                "1 validation error detected: {}",
                self.items.join("; ")
            ))),
            n => Err(ApiError::validation(format!(
                "{n} validation errors detected: {}",
                self.items.join("; ")
            ))),
        }
    }
}

/// How Java prints a `ByteBuffer`, which is what AWS shows for a blob value.
fn byte_buffer(len: usize) -> String {
    format!("java.nio.HeapByteBuffer[pos=0 lim={len} cap={len}]")
}

fn render_list<T: Render>(items: &[T]) -> String {
    let mut out = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        item.render(&mut out);
    }
    out.push(']');
    out
}

/// How a value is printed inside a violation message.
pub trait Render {
    /// Appends the printed form of `self` to `out`.
    fn render(&self, out: &mut String);
}

impl Render for String {
    fn render(&self, out: &mut String) {
        out.push_str(self);
    }
}

impl Render for i64 {
    fn render(&self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

impl Render for bool {
    fn render(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl Render for Timestamp {
    fn render(&self, out: &mut String) {
        out.push_str(&self.as_secs().to_string());
    }
}

impl Render for Blob {
    fn render(&self, out: &mut String) {
        out.push_str(&byte_buffer(self.len()));
    }
}

/// Printed like the AWS SDK for Java prints sensitive members.
const REDACTED: &str = "*** Sensitive Data Redacted ***";

impl Render for SensitiveString {
    fn render(&self, out: &mut String) {
        out.push_str(REDACTED);
    }
}

impl Render for SensitiveBlob {
    fn render(&self, out: &mut String) {
        out.push_str(REDACTED);
    }
}

impl<T: Render> Render for Vec<T> {
    fn render(&self, out: &mut String) {
        out.push_str(&render_list(self));
    }
}

impl<T: Render> Render for BTreeMap<String, T> {
    fn render(&self, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(k);
            out.push('=');
            v.render(out);
        }
        out.push('}');
    }
}

/// Prints a structure as `{Key: k,Value: v}` (present members only), the form the AWS
/// SDK for Java uses; generated `Render` impls call it.
#[derive(Debug)]
pub struct StructRenderer<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> StructRenderer<'a> {
    /// Opens the structure.
    pub fn new(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, first: true }
    }

    /// Adds member `name` if present.
    pub fn field<T: Render>(&mut self, name: &str, value: Option<&T>) -> &mut Self {
        if let Some(v) = value {
            if !self.first {
                self.out.push(',');
            }
            self.first = false;
            self.out.push_str(name);
            self.out.push_str(": ");
            v.render(self.out);
        }
        self
    }

    /// Closes the structure.
    pub fn finish(&mut self) {
        self.out.push('}');
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    static NAME: StrRule = StrRule {
        min: Some(1),
        max: Some(3),
        pattern: None,
        enum_values: None,
        sensitive: false,
    };

    #[test]
    fn pattern_is_whole_value() {
        let p = Pattern::new("[0-9]+h");
        assert!(p.matches("12h"));
        assert!(!p.matches("12hx"));
        assert!(!p.matches("x12h"));
        let broken = Pattern::new("(");
        assert!(broken.regex().is_none());
        assert!(!broken.matches(""));
    }

    #[test]
    fn lengths_count_code_points() {
        assert!(NAME.broken("ééé").is_empty());
        assert_eq!(NAME.broken("éééé").len(), 1);
        assert_eq!(NAME.broken("").len(), 1);
    }

    #[test]
    fn stops_at_ten() {
        let mut v = Violations::new();
        for i in 0..25 {
            v.check_required("", &format!("m{i}"), false, true);
        }
        assert_eq!(v.len(), MAX_REPORTED);
        let msg = v.into_result().unwrap_err().message;
        assert!(msg.starts_with("10 validation errors detected: Value null at 'm0'"));
        assert!(msg.ends_with("'m9' failed to satisfy constraint: Member must not be null"));
    }

    #[test]
    fn renders_lists_and_structs() {
        assert_eq!(render_list(&["a".to_owned(), String::new()]), "[a, ]");
        assert_eq!(render_list::<String>(&[]), "[]");
        let mut out = String::new();
        StructRenderer::new(&mut out)
            .field("Key", Some(&"k".to_owned()))
            .field::<String>("Skipped", None)
            .field("Values", Some(&vec!["a".to_owned(), "b".to_owned()]))
            .finish();
        assert_eq!(out, "{Key: k,Values: [a, b]}");
        let mut out = String::new();
        SensitiveString::from("hunter2").render(&mut out);
        assert!(!out.contains("hunter2"));
    }
}
