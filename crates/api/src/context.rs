//! [`Context`]: who is calling and where, as established by the HTTP and SigV4 layers.

use std::net::IpAddr;

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
}
