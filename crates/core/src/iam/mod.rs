//! IAM and STS identities: accounts, users, access keys, groups, roles, inline and managed
//! policies, and STS sessions, with AWS's semantics, quotas and error texts.
//!
//! There is no wire protocol here: the awsQuery layer decodes a request, calls one method of
//! [`Iam`], and encodes its result or its [`IamError`].
//!
//! # Layout
//!
//! | file | what |
//! |---|---|
//! | `model.rs` | the entities callers see and the records the store keeps |
//! | `principal.rs` | [`Principal`]: who signed a request (re-exported by `credentials`) |
//! | `records.rs` | key/value layout and the read–modify–compare-and-swap loop |
//! | `rules.rs` | ids, name/path/tag/document validation, paging |
//! | `entity.rs` | what users, roles and groups share: inline policies, tags |
//! | `accounts.rs` | accounts |
//! | `users.rs`, `access_keys.rs` | users and their long-term access keys |
//! | `groups.rs` | groups and memberships |
//! | `roles.rs` | roles |
//! | `policies.rs` | customer managed policies and their attachments |
//! | `sessions.rs` | STS sessions (AssumeRole's credentials) and their purge |
//! | `identity.rs` | the identity-based policies that apply to a principal |
//! | `error.rs` | [`IamError`] and AWS's message texts |
//!
//! # Security notes
//!
//! - Secret access keys and session tokens are sealed under the root key (AES-256-GCM, AAD
//!   binding each to its access key id) in the `access-keys` namespace the credential registry
//!   ([`crate::credentials`]) reads; they exist in clear only in zeroizing
//!   [`cofre_crypto::SecretBytes`], are returned once at creation, and never appear in `Debug`
//!   output or in an error.
//! - An access key authenticates only while its record is `Active` *and* its owner (user or
//!   role) still exists with the same unique id *and*, for a user key, the user still lists it.
//!   `Credentials::lookup` re-reads those records on every request, so deactivation or deletion
//!   takes effect on the next request in every process.
//! - Cross-record references (attachments, memberships) carry the target's unique id, so a
//!   reference left dangling by a crash or a lost race is ignored, never re-targeted at a new
//!   entity that reuses the name.
//!
//! Where each AWS message text comes from is listed in `error.rs`.

mod access_keys;
mod accounts;
mod entity;
pub mod error;
mod groups;
mod identity;
pub mod model;
mod policies;
pub(crate) mod principal;
pub(crate) mod records;
mod roles;
pub(crate) mod rules;
mod sessions;
mod users;

#[cfg(test)]
mod tests;

use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use cofre_store::Store;

use crate::clock::Clock;

pub use error::IamError;
pub use model::{
    AccessKeyMetadata, AccessKeyStatus, Account, AttachedPolicy, EntityKind, Group, ManagedPolicy,
    NewUserAccessKey, Page, Paged, PolicyEntity, PolicyVersion, Role, SessionCredentials, Tag,
    User,
};
pub use policies::{CreatePolicy, PolicyScope};
pub use principal::{Principal, PrincipalKind};
pub use roles::CreateRole;
pub use sessions::SESSION_PURGE_GRACE_MS;

/// The IAM and STS domain over a [`Store`]'s key/value area.
#[derive(Debug)]
pub struct Iam {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    /// When expired sessions were last purged (see `sessions.rs`).
    last_session_purge_ms: AtomicI64,
}

impl Iam {
    /// IAM over `store`, with time from `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            last_session_purge_ms: AtomicI64::new(i64::MIN),
        }
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
