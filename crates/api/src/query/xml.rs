//! awsQuery response bodies: [`XmlWriter`], the [`XmlValue`] / [`XmlStructure`] traits
//! the generated output types implement, and [`write_response`] / [`encode_response`].
//!
//! # Layout
//!
//! Responses are laid out as AWS lays them out (two-space indentation, one element per
//! line, trailing newline), e.g. STS's documented `GetCallerIdentity` answer:
//!
//! ```text
//! <GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//!   <GetCallerIdentityResult>
//!     <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
//!     <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
//!     <Account>123456789012</Account>
//!   </GetCallerIdentityResult>
//!   <ResponseMetadata>
//!     <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
//!   </ResponseMetadata>
//! </GetCallerIdentityResponse>
//! ```
//!
//! Members are written in model order (AWS's own order differs here and there; no client
//! depends on it). A member that is `None` is left out; an empty list or structure is a
//! self-closing element (`<Users/>`), which every SDK reads as empty. Lists are
//! `<Name><member>…</member></Name>` unless the model says otherwise (a list member
//! `locationName`, or `flattened`); maps are `<Name><entry><key>…</key><value>…</value></entry></Name>`.
//!
//! # Text
//!
//! `&`, `<` and `>` are escaped, and `\r` is written as `&#13;` so that XML parsers do not
//! turn it into `\n`. Characters XML 1.0 cannot carry at all (C0 controls other than tab,
//! newline and carriage return; U+FFFE, U+FFFF) are replaced by U+FFFD: the alternative is
//! a body no client can parse. Timestamps are ISO 8601 in UTC (`2026-11-29T07:01:29Z`,
//! with `.mmm` only when there are milliseconds), booleans `true`/`false`, blobs base64.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use zeroize::Zeroizing;

use crate::{Blob, SensitiveBlob, SensitiveString, Timestamp};

use super::time::format_iso8601;

/// Appends `text` to `out` as XML character data (see the module docs for the rules).
pub fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// Writes indented XML elements into a string.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
    depth: usize,
    /// An element was opened and its `>` is not written yet (it may still self-close).
    pending: bool,
}

impl XmlWriter {
    /// A writer whose first element is at the top level.
    pub fn new() -> Self {
        Self::default()
    }

    /// A writer for a fragment nested `depth` levels deep (each level indents by two
    /// spaces). Every element starts with a newline and its indentation.
    pub fn with_depth(depth: usize) -> Self {
        Self {
            depth,
            ..Self::default()
        }
    }

    fn close_pending(&mut self) {
        if self.pending {
            self.out.push('>');
            self.pending = false;
        }
    }

    fn begin_line(&mut self) {
        self.close_pending();
        self.out.push('\n');
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    /// Opens element `name`; children follow until [`XmlWriter::end`].
    pub fn start(&mut self, name: &str) {
        self.begin_line();
        self.out.push('<');
        self.out.push_str(name);
        self.pending = true;
        self.depth += 1;
    }

    /// Closes element `name` (self-closing if it got no children).
    pub fn end(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        if self.pending {
            self.out.push_str("/>");
            self.pending = false;
        } else {
            self.begin_line();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
        }
    }

    /// Writes `<name>text</name>`, escaping `text`.
    pub fn leaf(&mut self, name: &str, text: &str) {
        self.begin_line();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        escape_text(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Writes member `name` if it is present.
    pub fn member<T: XmlValue + ?Sized>(&mut self, name: &str, value: Option<&T>) {
        if let Some(value) = value {
            value.write_xml(name, self);
        }
    }

    /// Writes list member `name` if it is present: wrapped in `<name>` with each element
    /// named `element`, or, when `flattened`, as one `<element>` per item with no wrapper.
    pub fn list<T: XmlValue>(
        &mut self,
        name: &str,
        element: &str,
        flattened: bool,
        items: Option<&[T]>,
    ) {
        let Some(items) = items else { return };
        if !flattened {
            self.start(name);
        }
        for item in items {
            item.write_xml(element, self);
        }
        if !flattened {
            self.end(name);
        }
    }

    /// Writes map member `name` if it is present: `<name><entry><key>…</key><value>…</value></entry>…</name>`
    /// (with the model's key and value names), or, when `flattened`, one `<name>` per entry.
    pub fn map<V: XmlValue>(
        &mut self,
        name: &str,
        key_name: &str,
        value_name: &str,
        flattened: bool,
        map: Option<&BTreeMap<String, V>>,
    ) {
        let Some(map) = map else { return };
        let entry = if flattened { name } else { "entry" };
        if !flattened {
            self.start(name);
        }
        for (key, value) in map {
            self.start(entry);
            self.leaf(key_name, key);
            value.write_xml(value_name, self);
            self.end(entry);
        }
        if !flattened {
            self.end(name);
        }
    }

    /// Writes structure member `name`, its members written by `members`.
    pub fn structure(&mut self, name: &str, members: impl FnOnce(&mut Self)) {
        self.start(name);
        members(self);
        self.end(name);
    }

    /// The XML written so far.
    pub fn into_string(mut self) -> String {
        self.close_pending();
        self.out
    }
}

/// A value that can be written as an XML element.
pub trait XmlValue {
    /// Writes `self` as element `name`.
    fn write_xml(&self, name: &str, w: &mut XmlWriter);
}

/// A model structure: writes its members (not its own element).
pub trait XmlStructure {
    /// Writes each present member as a child element, in model order.
    fn write_members(&self, w: &mut XmlWriter);
}

impl XmlValue for String {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        w.leaf(name, self);
    }
}

impl XmlValue for str {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        w.leaf(name, self);
    }
}

impl XmlValue for SensitiveString {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        w.leaf(name, self.expose());
    }
}

impl XmlValue for i64 {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        w.leaf(name, &self.to_string());
    }
}

impl XmlValue for bool {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        w.leaf(name, if *self { "true" } else { "false" });
    }
}

impl XmlValue for Timestamp {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        w.leaf(name, &format_iso8601(*self));
    }
}

impl XmlValue for Blob {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        w.leaf(name, &BASE64.encode(self.as_slice()));
    }
}

impl XmlValue for SensitiveBlob {
    fn write_xml(&self, name: &str, w: &mut XmlWriter) {
        let encoded = Zeroizing::new(BASE64.encode(self.expose()));
        w.leaf(name, &encoded);
    }
}

/// The full response body for `action`: the `<{action}Response>` root in `namespace`,
/// the `<{action}Result>` element holding `result_xml` (its members, as written by an
/// [`XmlWriter::with_depth`]`(2)`; `Some("")` gives `<{action}Result/>`), or no result
/// element at all for an operation without output (`None`), then `<ResponseMetadata>`
/// with `request_id`.
pub fn write_response(
    action: &str,
    namespace: &str,
    result_xml: Option<&str>,
    request_id: &str,
) -> Vec<u8> {
    let mut out = String::with_capacity(160 + result_xml.map_or(0, str::len));
    out.push('<');
    out.push_str(action);
    out.push_str("Response xmlns=\"");
    escape_text(&mut out, namespace);
    out.push_str("\">");
    if let Some(result) = result_xml {
        out.push_str("\n  <");
        out.push_str(action);
        out.push_str("Result");
        if result.is_empty() {
            out.push_str("/>");
        } else {
            out.push('>');
            out.push_str(result);
            out.push_str("\n  </");
            out.push_str(action);
            out.push_str("Result>");
        }
    }
    out.push_str("\n  <ResponseMetadata>\n    <RequestId>");
    escape_text(&mut out, request_id);
    out.push_str("</RequestId>\n  </ResponseMetadata>\n</");
    out.push_str(action);
    out.push_str("Response>\n");
    out.into_bytes()
}

/// [`write_response`] for an operation output: `Some(output)` writes its members inside
/// the result element; `None` is an operation without output.
pub fn encode_response<O: XmlStructure + ?Sized>(
    action: &str,
    namespace: &str,
    output: Option<&O>,
    request_id: &str,
) -> Vec<u8> {
    match output {
        Some(output) => {
            let mut w = XmlWriter::with_depth(2);
            output.write_members(&mut w);
            write_response(action, namespace, Some(&w.into_string()), request_id)
        }
        None => write_response(action, namespace, None, request_id),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_replaces_unrepresentable_characters() {
        let mut out = String::new();
        escape_text(&mut out, "a<b>&\"c\"\r\n\t\u{0}\u{1b}\u{ffff}é");
        assert_eq!(
            out,
            "a&lt;b&gt;&amp;&quot;c&quot;&#13;\n\t\u{fffd}\u{fffd}\u{fffd}é"
        );
    }

    #[test]
    fn nesting_and_self_closing() {
        let mut w = XmlWriter::new();
        w.structure("A", |w| {
            w.leaf("B", "1");
            w.list::<String>("Empty", "member", false, Some(&[]));
            w.list(
                "L",
                "member",
                false,
                Some(&["x".to_owned(), "y".to_owned()]),
            );
            w.list("F", "Item", true, Some(&[true]));
            w.member::<String>("Absent", None);
        });
        assert_eq!(
            w.into_string(),
            "\n<A>\n  <B>1</B>\n  <Empty/>\n  <L>\n    <member>x</member>\n    \
             <member>y</member>\n  </L>\n  <Item>true</Item>\n</A>"
        );
    }

    #[test]
    fn maps() {
        let mut m = BTreeMap::new();
        m.insert("k".to_owned(), 1_i64);
        let mut w = XmlWriter::new();
        w.map("M", "key", "value", false, Some(&m));
        assert_eq!(
            w.into_string(),
            "\n<M>\n  <entry>\n    <key>k</key>\n    <value>1</value>\n  </entry>\n</M>"
        );
        let mut w = XmlWriter::new();
        w.map("M", "Name", "Val", true, Some(&m));
        assert_eq!(
            w.into_string(),
            "\n<M>\n  <Name>k</Name>\n  <Val>1</Val>\n</M>"
        );
    }

    #[test]
    fn response_envelope() {
        let body = write_response("DeleteUser", "ns", None, "r-1");
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "<DeleteUserResponse xmlns=\"ns\">\n  <ResponseMetadata>\n    <RequestId>r-1</RequestId>\n  \
             </ResponseMetadata>\n</DeleteUserResponse>\n"
        );
        let body = write_response("GetPolicy", "ns", Some(""), "r-1");
        assert!(String::from_utf8(body).unwrap().starts_with(
            "<GetPolicyResponse xmlns=\"ns\">\n  <GetPolicyResult/>\n  <ResponseMetadata>"
        ));
    }
}
