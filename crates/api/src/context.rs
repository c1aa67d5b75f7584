//! [`Context`]: who is calling and where, as established by the HTTP and SigV4 layers.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Per-request facts every operation may need, filled in by the layers above the domain
/// (request id, SigV4 verification, authorization) before [`crate::dispatch`] runs.
///
/// Nothing in here is secret: the access key id is an identifier, not a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The 12-digit account the request acts in (from the signing principal).
    pub account_id: String,
    /// The region from the SigV4 credential scope; each region is its own namespace.
    pub region: String,
    /// The request id sent back in `x-amzn-RequestId` and recorded in the audit log.
    pub request_id: String,
    /// The access key id that signed the request.
    pub access_key_id: String,
    /// The ARN of the principal behind the access key.
    pub principal_arn: String,
    /// The client's address, when the transport knows it.
    pub source_ip: Option<IpAddr>,
    /// Whether the request arrived over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The authenticated caller, as policy evaluation needs it.
    pub caller: Caller,
    /// Set once the domain has authorized the request; the HTTP layer refuses to send a
    /// successful answer for a request nobody authorized.
    pub authorized: AuthorizedFlag,
}

/// What kind of principal signed the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CallerKind {
    /// The account's root user.
    #[default]
    Root,
    /// An IAM user.
    User {
        /// User name.
        name: String,
        /// Unique id (`AIDA...`).
        user_id: String,
    },
    /// An STS assumed-role session.
    AssumedRole {
        /// The role's IAM ARN (`arn:aws:iam::<acct>:role/<name>`).
        role_arn: String,
        /// `<role id>:<session name>`, the `aws:userid` of the session.
        user_id: String,
        /// The session policy passed to AssumeRole, if any.
        session_policy: Option<String>,
    },
}

/// The authenticated principal behind a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The principal's account.
    pub account_id: String,
    /// The principal's ARN (user, root, or `arn:aws:sts::<acct>:assumed-role/<role>/<session>`).
    pub arn: String,
    /// Root, user or session.
    pub kind: CallerKind,
    /// Principal tags (`aws:PrincipalTag/<key>`).
    pub tags: BTreeMap<String, String>,
}

/// A flag shared by the clones of one request's [`Context`].
#[derive(Debug, Clone, Default)]
pub struct AuthorizedFlag(Arc<AtomicBool>);

impl AuthorizedFlag {
    /// Records that the request was authorized.
    pub fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the request was authorized.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl PartialEq for AuthorizedFlag {
    fn eq(&self, _: &Self) -> bool {
        // Not part of a context's identity.
        true
    }
}

impl Eq for AuthorizedFlag {}
