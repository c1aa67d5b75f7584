//! Helpers shared by the awsQuery (IAM, STS) integration tests.

#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};

use cofre_api::iam::{self, Iam};
use cofre_api::sts::{self, Sts};
use cofre_api::{dispatch_iam, dispatch_sts, Context, QueryError, QueryParams};

/// Runs a future to completion on this thread (the futures under test never wait on I/O).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// A service that implements nothing: every operation answers "not supported yet".
pub struct Unimplemented;

impl Iam for Unimplemented {}
impl Sts for Unimplemented {}

/// A request context for tests, with `request_id`.
pub fn ctx_with_id(request_id: &str) -> Context {
    Context {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        request_id: request_id.into(),
        access_key_id: "AKIDEXAMPLE".into(),
        principal_arn: "arn:aws:iam::123456789012:root".into(),
        ..Default::default()
    }
}

/// A request context for tests.
pub fn ctx() -> Context {
    ctx_with_id("req-1")
}

/// A form body from decoded pairs, encoded the way botocore encodes it.
pub fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().copied())
        .finish()
}

/// Dispatches the form `body` to IAM on `svc`.
pub fn call_iam<S: Iam>(svc: &S, body: &str) -> Result<Vec<u8>, QueryError> {
    let params = QueryParams::parse(body.as_bytes())?;
    block_on(dispatch_iam(svc, &ctx(), &params))
}

/// Dispatches the form `body` to STS on `svc`.
pub fn call_sts<S: Sts>(svc: &S, body: &str) -> Result<Vec<u8>, QueryError> {
    let params = QueryParams::parse(body.as_bytes())?;
    block_on(dispatch_sts(svc, &ctx(), &params))
}

/// The error IAM answers to `pairs` (plus `Action`/`Version` for `action`).
pub fn iam_error(action: &str, pairs: &[(&str, &str)]) -> QueryError {
    let mut all = vec![("Action", action), ("Version", iam::API_VERSION)];
    all.extend_from_slice(pairs);
    call_iam(&Unimplemented, &form(&all)).expect_err("expected an error")
}

/// The error STS answers to `pairs` (plus `Action`/`Version` for `action`).
pub fn sts_error(action: &str, pairs: &[(&str, &str)]) -> QueryError {
    let mut all = vec![("Action", action), ("Version", sts::API_VERSION)];
    all.extend_from_slice(pairs);
    call_sts(&Unimplemented, &form(&all)).expect_err("expected an error")
}

/// The `ValidationError` message IAM answers (panics on any other answer).
pub fn iam_validation(action: &str, pairs: &[(&str, &str)]) -> String {
    let err = iam_error(action, pairs);
    assert_eq!((&*err.code, err.status), ("ValidationError", 400), "{err}");
    err.message
}

/// The `ValidationError` message STS answers (panics on any other answer).
pub fn sts_validation(action: &str, pairs: &[(&str, &str)]) -> String {
    let err = sts_error(action, pairs);
    assert_eq!((&*err.code, err.status), ("ValidationError", 400), "{err}");
    err.message
}

/// Reads a model from `shared/` (beside the repository).
pub fn model(name: &str) -> serde_json::Value {
    let path = format!(
        "{}/../../../shared/api-models/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).expect("model is JSON")
}

// ------------------------------------------------------------------ XML comparison

/// An XML element: name (namespace prefix kept), attributes, children, text.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    pub text: String,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let semi = rest[amp..].find(';').expect("entity ends") + amp;
        let entity = &rest[amp + 1..semi];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&e[2..], 16).expect("hex ref")).expect("char")
            }
            e if e.starts_with('#') => {
                char::from_u32(e[1..].parse().expect("dec ref")).expect("char")
            }
            e => panic!("unknown entity &{e};"),
        };
        out.push(c);
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// Parses the small XML subset AWS's query bodies use (elements, attributes, text,
/// entities, an optional `<?xml ...?>` declaration). Panics on anything else.
pub fn parse_xml(xml: &str) -> Node {
    let mut s = xml.trim_start();
    if s.starts_with("<?xml") {
        s = &s[s.find("?>").expect("declaration ends") + 2..];
    }
    let mut stack: Vec<Node> = vec![Node {
        name: String::new(),
        attrs: vec![],
        children: vec![],
        text: String::new(),
    }];
    while !s.is_empty() {
        if let Some(rest) = s.strip_prefix("</") {
            let end = rest.find('>').expect("end tag closes");
            let name = rest[..end].trim();
            let node = stack.pop().expect("open element");
            assert_eq!(node.name, name, "mismatched end tag");
            stack.last_mut().expect("parent").children.push(node);
            s = &rest[end + 1..];
        } else if let Some(rest) = s.strip_prefix('<') {
            let end = rest.find('>').expect("tag closes");
            let mut tag = &rest[..end];
            let self_closing = tag.ends_with('/');
            if self_closing {
                tag = &tag[..tag.len() - 1];
            }
            let mut parts = tag.trim().splitn(2, char::is_whitespace);
            let name = parts.next().expect("name").to_owned();
            let mut attrs = vec![];
            let mut attr_text = parts.next().unwrap_or("").trim();
            while !attr_text.is_empty() {
                let eq = attr_text.find('=').expect("attribute =");
                let key = attr_text[..eq].trim().to_owned();
                let after = attr_text[eq + 1..].trim_start();
                let quote = after.chars().next().expect("quote");
                let close = after[1..].find(quote).expect("attribute closes") + 1;
                attrs.push((key, unescape(&after[1..close])));
                attr_text = after[close + 1..].trim_start();
            }
            let node = Node {
                name,
                attrs,
                children: vec![],
                text: String::new(),
            };
            if self_closing {
                stack.last_mut().expect("parent").children.push(node);
            } else {
                stack.push(node);
            }
            s = &rest[end + 1..];
        } else {
            let end = s.find('<').unwrap_or(s.len());
            stack
                .last_mut()
                .expect("element")
                .text
                .push_str(&unescape(&s[..end]));
            s = &s[end..];
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut root = stack.pop().expect("document");
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().expect("root")
}

/// A canonical text of `node`: all whitespace removed from text, children of each element
/// sorted by name (a stable sort: list elements keep their order). Two bodies with the
/// same canonical text carry the same data for every SDK.
pub fn canonical(node: &Node) -> String {
    let mut out = String::new();
    write_canonical(node, 0, &mut out);
    out
}

fn write_canonical(node: &Node, depth: usize, out: &mut String) {
    out.push_str(&"  ".repeat(depth));
    out.push('<');
    out.push_str(&node.name);
    for (k, v) in &node.attrs {
        out.push_str(&format!(" {k}=\"{v}\""));
    }
    out.push('>');
    let text: String = node.text.chars().filter(|c| !c.is_whitespace()).collect();
    out.push_str(&text);
    out.push('\n');
    let mut children: Vec<&Node> = node.children.iter().collect();
    children.sort_by(|a, b| a.name.cmp(&b.name));
    for child in children {
        write_canonical(child, depth + 1, out);
    }
}

/// Asserts that two XML documents carry the same data (see [`canonical`]).
pub fn assert_same_xml(actual: &[u8], expected: &str) {
    let actual = std::str::from_utf8(actual).expect("UTF-8 body");
    assert_eq!(
        canonical(&parse_xml(actual)),
        canonical(&parse_xml(expected)),
        "\nactual body:\n{actual}"
    );
}

/// The text of the first element named `name` anywhere under `node`.
pub fn find_text<'a>(node: &'a Node, name: &str) -> Option<&'a str> {
    if node.name == name {
        return Some(&node.text);
    }
    node.children.iter().find_map(|c| find_text(c, name))
}
