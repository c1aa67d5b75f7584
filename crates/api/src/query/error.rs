//! [`QueryError`]: an awsQuery error (`<ErrorResponse>` body, HTTP status), the errors the
//! query front end raises itself, and [`query_error_from_sig`], which renames the SigV4
//! verifier's awsJson error codes to their awsQuery equivalents.
//!
//! # Body format
//!
//! Exactly AWS's layout (two-space indentation, trailing newline), e.g. STS's answer to an
//! unknown access key (aws-azure-login/aws-azure-login#251, HTTP 403, `text/xml`):
//!
//! ```text
//! <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
//!   <Error>
//!     <Type>Sender</Type>
//!     <Code>InvalidClientTokenId</Code>
//!     <Message>The security token included in the request is invalid</Message>
//!   </Error>
//!   <RequestId>16fc956c-311e-4199-bee1-1680236e9698</RequestId>
//! </ErrorResponse>
//! ```
//!
//! `<Type>` is `Sender` for client errors and `Receiver` for server faults. An empty
//! message leaves `<Message>` out, as AWS does for `MalformedInput`. The namespace is the
//! service's, except for the two routing errors raised before an operation is known
//! (`InvalidAction`, `MissingAction`), which AWS sends in its generic fault namespace
//! [`AWS_FAULT_NAMESPACE`] (recorded from live STS; envoyproxy/envoy's AWS credential
//! provider quotes the same body).

use std::borrow::Cow;
use std::fmt;

use crate::ApiError;

use super::xml::escape_text;

/// The namespace of the errors AWS's query front end raises before routing to a service.
pub const AWS_FAULT_NAMESPACE: &str = "http://webservices.amazon.com/AWSFault/2005-15-09";

/// What AWS prints as the version in `InvalidAction` when the request has no `Version`.
pub const NO_VERSION_SPECIFIED: &str = "NO_VERSION_SPECIFIED";

/// The `Content-Type` AWS sends with every awsQuery response, success or error.
pub const CONTENT_TYPE: &str = "text/xml";

/// AWS's text for `MissingAuthenticationToken` on the query services (the JSON services
/// say `Missing Authentication Token`).
pub const MISSING_AUTHENTICATION_TOKEN_MESSAGE: &str = "Request is missing Authentication Token";

/// An error answered to an awsQuery client.
///
/// Messages are sent verbatim (XML-escaped), so they must never contain secret values:
/// validation messages hide sensitive members' values, and type errors
/// (`MalformedInput`) carry no message at all, as on AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The error code (`NoSuchEntity`, `ValidationError`, ...).
    pub code: Cow<'static, str>,
    /// The HTTP status.
    pub status: u16,
    /// The message; empty means no `<Message>` element.
    pub message: String,
    /// Whether the client is at fault (`<Type>Sender</Type>`) rather than the server
    /// (`<Type>Receiver</Type>`).
    pub sender_fault: bool,
}

impl QueryError {
    /// An error with `code`, `status` and `message`; statuses below 500 are the sender's
    /// fault.
    pub fn new(
        code: impl Into<Cow<'static, str>>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code: code.into(),
            status,
            message: message.into(),
            sender_fault: status < 500,
        }
    }

    /// `InvalidAction` (400): no operation `action` in API version `version`, worded as
    /// AWS words it: `Could not find operation CreateUser for version 2099-01-01`. A
    /// missing `Version` prints as [`NO_VERSION_SPECIFIED`]; an empty one as nothing.
    pub fn invalid_action(action: &str, version: Option<&str>) -> Self {
        let version = version.unwrap_or(NO_VERSION_SPECIFIED);
        Self::new(
            "InvalidAction",
            400,
            format!("Could not find operation {action} for version {version}"),
        )
    }

    /// `MissingAction` (400): the request has no `Action` parameter.
    ///
    /// (Real IAM and STS answer such a request with a `302` redirect to their product
    /// page; an API server answering an API error is more useful, and the code is the
    /// one AWS's common-errors reference lists.)
    pub fn missing_action() -> Self {
        Self::new(
            "MissingAction",
            400,
            "The request must contain the parameter Action",
        )
    }

    /// `MalformedInput` (400): a parameter's value is not of its member's type
    /// (`MaxItems=abc`, `DurationSeconds=900.0`, an integer out of range, ...). AWS sends
    /// no message for these, so nothing of the value is echoed; an empty number is the
    /// one case AWS explains (`missing value for decimal type`).
    pub fn malformed_input(message: Option<&str>) -> Self {
        Self::new("MalformedInput", 400, message.unwrap_or_default())
    }

    /// `ValidationError` (400) with a Coral-style message
    /// (`1 validation error detected: Value 'x' at 'userName' failed to satisfy constraint: ...`).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationError", 400, message)
    }

    /// Converts the awsJson validation error [`crate::validate`] produces into its awsQuery
    /// form: `ValidationException` becomes `ValidationError` with the same message; any
    /// other code keeps its name and status.
    pub fn from_validation(err: ApiError) -> Self {
        match err.code {
            crate::ErrorCode::ValidationException => Self::validation(err.message),
            _ => Self::new(err.code_str(), err.status(), err.message),
        }
    }

    /// `AccessDenied` (403) with `message`.
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new("AccessDenied", 403, message)
    }

    /// `AccessDenied` (403) worded as IAM and STS word it:
    /// `User: <principal> is not authorized to perform: <action> on resource: <resource>`,
    /// followed by ` because <reason>` when a reason is given (AWS's newer messages add
    /// e.g. `because no identity-based policy allows the iam:CreateUser action`).
    pub fn not_authorized(
        principal_arn: &str,
        action: &str,
        resource: &str,
        reason: Option<&str>,
    ) -> Self {
        let mut message = format!(
            "User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"
        );
        if let Some(reason) = reason {
            message.push_str(" because ");
            message.push_str(reason);
        }
        Self::access_denied(message)
    }

    /// The placeholder every IAM and STS operation answers until Cofre implements it:
    /// `InvalidInput` (400, Sender) `Cofre does not support <Operation> yet.`
    ///
    /// A 4xx, so SDKs do not retry it; `InvalidInput` is IAM's own code for a request it
    /// will not carry out as given (STS has no such code, and clients treat any unknown
    /// code as a generic client error).
    pub fn not_implemented(operation: &str) -> Self {
        Self::new(
            "InvalidInput",
            400,
            format!("Cofre does not support {operation} yet."),
        )
    }

    /// `InternalFailure` (500, Receiver) with AWS's common-errors text. Inner errors
    /// become this, never their own text.
    pub fn internal_failure() -> Self {
        Self::new(
            "InternalFailure",
            500,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// `Sender` or `Receiver`.
    pub fn fault_type(&self) -> &'static str {
        if self.sender_fault {
            "Sender"
        } else {
            "Receiver"
        }
    }

    /// The namespace the error body carries for a service whose namespace is
    /// `service_namespace`: [`AWS_FAULT_NAMESPACE`] for the routing errors
    /// (`InvalidAction`, `MissingAction`), the service's otherwise.
    pub fn namespace<'a>(&self, service_namespace: &'a str) -> &'a str {
        match &*self.code {
            "InvalidAction" | "MissingAction" => AWS_FAULT_NAMESPACE,
            _ => service_namespace,
        }
    }

    /// The `<ErrorResponse>` body, in AWS's exact layout (see the module docs), for the
    /// service whose XML namespace is `namespace` (see [`QueryError::namespace`] for the
    /// two codes that use AWS's generic namespace instead).
    pub fn to_xml(&self, request_id: &str, namespace: &str) -> Vec<u8> {
        let mut out = String::with_capacity(192 + self.message.len());
        out.push_str("<ErrorResponse xmlns=\"");
        escape_text(&mut out, self.namespace(namespace));
        out.push_str("\">\n  <Error>\n    <Type>");
        out.push_str(self.fault_type());
        out.push_str("</Type>\n    <Code>");
        escape_text(&mut out, &self.code);
        out.push_str("</Code>\n");
        if !self.message.is_empty() {
            out.push_str("    <Message>");
            escape_text(&mut out, &self.message);
            out.push_str("</Message>\n");
        }
        out.push_str("  </Error>\n  <RequestId>");
        escape_text(&mut out, request_id);
        out.push_str("</RequestId>\n</ErrorResponse>\n");
        out.into_bytes()
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for QueryError {}

/// Maps an error of the SigV4 verifier (which speaks awsJson: `InvalidSignatureException`,
/// `UnrecognizedClientException`, ...) to the code, status and text IAM and STS answer:
///
/// | SigV4 crate code | awsQuery code | status | source |
/// |---|---|---|---|
/// | `MissingAuthenticationTokenException` | `MissingAuthenticationToken` | 403 | STS reply in amzn/selling-partner-api-docs#3081; message replaced by [`MISSING_AUTHENTICATION_TOKEN_MESSAGE`] |
/// | `IncompleteSignatureException` | `IncompleteSignature` | 400 | AWS common errors |
/// | `InvalidSignatureException` | `SignatureDoesNotMatch` | 403 | STS `Signature expired: …` / `Signature not yet current: …` replies (aws/aws-cli#6676, terraform reports with status 403) |
/// | `UnrecognizedClientException` | `InvalidClientTokenId` | 403 | STS reply in aws-azure-login#251 |
/// | `ExpiredTokenException` | `ExpiredToken` | 403 | IAM reply in cfn-sphere/cfn-sphere#55; aws/aws-sdk-java-v2#1649 (STS, 403) |
/// | `AccessDeniedException` | `AccessDenied` | 403 | IAM and STS |
/// | `ThrottlingException` | `Throttling` | 400 | query services' throttling code |
///
/// Codes already in their awsQuery form keep their status from this table; any other
/// code passes through unchanged as a 400 client error. Messages are kept as given
/// (SigV4's texts are AWS's own), except for the missing-token text, which differs
/// between the JSON and query front ends.
pub fn query_error_from_sig(code: &str, message: String) -> QueryError {
    let (query_code, status): (&'static str, u16) = match code {
        "MissingAuthenticationTokenException" | "MissingAuthenticationToken" => {
            return QueryError::new(
                "MissingAuthenticationToken",
                403,
                MISSING_AUTHENTICATION_TOKEN_MESSAGE,
            );
        }
        "IncompleteSignatureException" | "IncompleteSignature" => ("IncompleteSignature", 400),
        "InvalidSignatureException" | "SignatureDoesNotMatch" => ("SignatureDoesNotMatch", 403),
        "UnrecognizedClientException" | "InvalidClientTokenId" => ("InvalidClientTokenId", 403),
        "ExpiredTokenException" | "ExpiredToken" => ("ExpiredToken", 403),
        "AccessDeniedException" | "AccessDenied" => ("AccessDenied", 403),
        "ThrottlingException" | "Throttling" => ("Throttling", 400),
        other => return QueryError::new(Cow::Owned(other.to_owned()), 400, message),
    };
    QueryError::new(query_code, status, message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn xml(e: &QueryError, ns: &str) -> String {
        String::from_utf8(e.to_xml("req-1", ns)).unwrap()
    }

    #[test]
    fn body_layout_is_awss() {
        let e = QueryError::new(
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid",
        );
        assert_eq!(
            xml(&e, "https://sts.amazonaws.com/doc/2011-06-15/"),
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
             <Type>Sender</Type>\n    <Code>InvalidClientTokenId</Code>\n    \
             <Message>The security token included in the request is invalid</Message>\n  \
             </Error>\n  <RequestId>req-1</RequestId>\n</ErrorResponse>\n"
        );
    }

    #[test]
    fn no_message_element_when_empty_and_receiver_for_faults() {
        let body = xml(&QueryError::malformed_input(None), "ns");
        assert!(!body.contains("<Message>"));
        assert!(body.contains("<Code>MalformedInput</Code>"));
        let body = xml(&QueryError::internal_failure(), "ns");
        assert!(body.contains("<Type>Receiver</Type>"));
    }

    #[test]
    fn routing_errors_use_the_aws_fault_namespace() {
        let e = QueryError::invalid_action("Nope", Some("2010-05-08"));
        assert_eq!(
            e.message,
            "Could not find operation Nope for version 2010-05-08"
        );
        assert!(
            xml(&e, "svc").starts_with(&format!("<ErrorResponse xmlns=\"{AWS_FAULT_NAMESPACE}\">"))
        );
        assert_eq!(
            QueryError::invalid_action("GetUser", None).message,
            "Could not find operation GetUser for version NO_VERSION_SPECIFIED"
        );
        assert_eq!(
            QueryError::missing_action().namespace("svc"),
            AWS_FAULT_NAMESPACE
        );
        assert_eq!(QueryError::validation("x").namespace("svc"), "svc");
    }

    #[test]
    fn text_is_escaped() {
        let e = QueryError::validation("Value '<a&b>' at 'x'");
        assert!(xml(&e, "ns").contains("<Message>Value '&lt;a&amp;b&gt;' at 'x'</Message>"));
        assert!(String::from_utf8(e.to_xml("<id>", "ns"))
            .unwrap()
            .contains("<RequestId>&lt;id&gt;</RequestId>"));
    }

    #[test]
    fn sig_codes_map_to_query_names() {
        let cases = [
            (
                "MissingAuthenticationTokenException",
                "MissingAuthenticationToken",
                403,
            ),
            ("IncompleteSignatureException", "IncompleteSignature", 400),
            ("InvalidSignatureException", "SignatureDoesNotMatch", 403),
            ("UnrecognizedClientException", "InvalidClientTokenId", 403),
            ("ExpiredTokenException", "ExpiredToken", 403),
            ("AccessDeniedException", "AccessDenied", 403),
            ("ThrottlingException", "Throttling", 400),
            ("SignatureDoesNotMatch", "SignatureDoesNotMatch", 403),
            ("SomethingElse", "SomethingElse", 400),
        ];
        for (sig, code, status) in cases {
            let e = query_error_from_sig(sig, "m".into());
            assert_eq!((&*e.code, e.status), (code, status), "{sig}");
            assert!(e.sender_fault);
        }
        assert_eq!(
            query_error_from_sig(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token".into()
            )
            .message,
            MISSING_AUTHENTICATION_TOKEN_MESSAGE
        );
        let e = query_error_from_sig("InvalidSignatureException", "Signature expired: x".into());
        assert_eq!(e.message, "Signature expired: x");
    }

    #[test]
    fn not_authorized_wording() {
        let e = QueryError::not_authorized(
            "arn:aws:iam::123456789012:user/bob",
            "iam:CreateUser",
            "arn:aws:iam::123456789012:user/alice",
            Some("no identity-based policy allows the iam:CreateUser action"),
        );
        assert_eq!(e.status, 403);
        assert_eq!(
            e.message,
            "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:CreateUser \
             on resource: arn:aws:iam::123456789012:user/alice because no identity-based policy \
             allows the iam:CreateUser action"
        );
    }
}
