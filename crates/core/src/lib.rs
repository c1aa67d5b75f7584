//! Cofre's domain layer: what each Secrets Manager operation does.
//!
//! Layout:
//! - [`secrets`]: the [`Service`] and one file per API operation, over shared rules
//!   (staging labels, idempotency, SecretId resolution, filters, paging);
//! - [`keys`]: the key hierarchy (root key → KMS key → data key);
//! - [`kms_api`]: the KMS API (`TrentService.*`) over the KMS domain: authorization per
//!   key, wire shapes, errors;
//! - [`audit`]: the audit trail: CloudTrail records, hash chain, signed digests, look-ups;
//! - [`cloudtrail_api`]: CloudTrail's LookupEvents over the audit trail;
//!   [`audit_sinks`]: copies of the trail to a rotated file, stdout or an HTTP endpoint;
//! - [`credentials`]: access keys and the principals behind them;
//! - [`sweeper`]: purging secrets whose recovery window has ended;
//! - [`clock`]: injectable time.
//!
//! Security notes: secret values exist in clear only in zeroizing buffers
//! (`cofre_api::SensitiveString`/`SensitiveBlob`, `cofre_crypto::SecretBytes`) between the
//! wire and the envelope seal; errors built here never carry a value, and inner failures are
//! logged and answered with an opaque `InternalServiceError`.

pub mod admin;
pub mod audit;
pub mod audit_sinks;
pub mod authz;
pub mod clock;
pub mod cloudtrail_api;
pub mod credentials;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod iam;
pub mod identity_api;
pub mod keys;
pub mod kms;
pub mod kms_api;
pub mod rotation;
pub mod secrets;
pub mod sweeper;

pub use clock::{Clock, ManualClock, SystemClock};
pub use secrets::Service;
