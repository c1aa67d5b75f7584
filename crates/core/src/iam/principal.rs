//! [`Principal`]: who signed a request, as authentication establishes it and authorization
//! consumes it. `crate::credentials` re-exports these types; this is their one definition.

use std::collections::BTreeMap;

/// What kind of identity a principal is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// The account's root user (all permissions in its own account; no identity policies).
    Root,
    /// An IAM user.
    User {
        /// The user's name.
        name: String,
        /// The user's unique id (`AIDA...`).
        user_id: String,
    },
    /// An STS session of an assumed role.
    AssumedRole {
        /// The role's name.
        role_name: String,
        /// The role's IAM ARN (`arn:aws:iam::{account}:role{path}{name}`).
        role_arn: String,
        /// The role's unique id (`AROA...`); `aws:userid` is `{role_id}:{session_name}`.
        role_id: String,
        /// The session name given to AssumeRole.
        session_name: String,
        /// The inline session policy given to AssumeRole, if any: it bounds (intersects) the
        /// role's identity policies and is *not* among [`crate::iam::Iam::identity_policies`].
        session_policy: Option<String>,
        /// When the session's credentials expire, ms since the epoch.
        expires_ms: i64,
    },
}

/// The identity behind an access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// 12-digit account id.
    pub account_id: String,
    /// ARN of the principal: `arn:aws:iam::{acct}:root`, a user's ARN, or
    /// `arn:aws:sts::{acct}:assumed-role/{role}/{session}`.
    pub arn: String,
    /// Root, user or assumed-role session.
    pub kind: PrincipalKind,
    /// `aws:PrincipalTag/*`: a user's tags; for a session, the role's tags overridden (key
    /// compared case-insensitively) by the session tags.
    pub tags: BTreeMap<String, String>,
}

impl Principal {
    /// The root user of `account_id`.
    pub fn root(account_id: &str) -> Self {
        Self {
            account_id: account_id.to_owned(),
            arn: format!("arn:aws:iam::{account_id}:root"),
            kind: PrincipalKind::Root,
            tags: BTreeMap::new(),
        }
    }

    /// Whether this is the account's root user.
    pub fn is_root(&self) -> bool {
        matches!(self.kind, PrincipalKind::Root)
    }

    /// `aws:userid`: the account id for root, the user id for a user, and
    /// `{role id}:{session name}` for a session.
    pub fn user_id(&self) -> String {
        match &self.kind {
            PrincipalKind::Root => self.account_id.clone(),
            PrincipalKind::User { user_id, .. } => user_id.clone(),
            PrincipalKind::AssumedRole {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
        }
    }
}

/// Merges tags into a principal-tag map: a later key replaces an earlier one that differs only
/// in case (IAM tag keys are case-insensitive).
pub(crate) fn merge_tags<'a>(
    into: &mut BTreeMap<String, String>,
    tags: impl IntoIterator<Item = &'a crate::iam::Tag>,
) {
    for t in tags {
        let folded = crate::iam::rules::fold_tag_key(&t.key);
        into.retain(|k, _| crate::iam::rules::fold_tag_key(k) != folded);
        into.insert(t.key.clone(), t.value.clone());
    }
}
