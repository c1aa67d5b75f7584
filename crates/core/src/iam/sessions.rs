//! STS sessions: the temporary credentials AssumeRole hands out, and their purge.
//!
//! A session key is stored like an access key (`access-keys` namespace, secret and session
//! token sealed under the root key), with the role, session name, session policy, session tags
//! and expiry in its record; `Credentials::lookup` returns it as
//! [`PrincipalKind::AssumedRole`](super::PrincipalKind::AssumedRole) and
//! `Credentials::check_session_token` enforces the token and the expiry.
//!
//! Expired sessions keep answering `ExpiredToken` for [`SESSION_PURGE_GRACE_MS`] after they
//! expire; then they are purged (lazily, from `create_session`, at most every few minutes, or
//! explicitly with [`Iam::purge_expired_sessions`]) and their key becomes unknown. An index
//! namespace ordered by expiry lets the purge read only what is due.

use std::sync::atomic::Ordering;

use cofre_crypto::RootKey;

use super::error::{msg, IamError};
use super::model::{Role, SessionCredentials, Tag};
use super::records::{MAX_ATTEMPTS, NS_SESSION_EXPIRY};
use super::rules;
use super::Iam;
use crate::clock::DAY_MS;
use crate::credentials::{
    seal_b64, StoredAccessKey, StoredSession, FORMAT_OWNED, NS_ACCESS_KEYS, PURPOSE_SECRET,
    PURPOSE_TOKEN,
};

/// How long after expiry a session's record is kept (so it is reported as expired rather than
/// unknown) before it may be purged: one day.
pub const SESSION_PURGE_GRACE_MS: i64 = DAY_MS;
/// The least time between two lazy purges.
const PURGE_INTERVAL_MS: i64 = 5 * 60 * 1000;

/// AssumeRole's `DurationSeconds` bounds and default.
const MIN_DURATION: i64 = 900;
const MAX_DURATION: i64 = 43200;
const DEFAULT_DURATION: i64 = 3600;
/// The session policy's plaintext limit, in characters.
const SESSION_POLICY_MAX: usize = 2048;
/// Session tags per AssumeRole.
const SESSION_TAGS_MAX: usize = 50;

const SESSION_NAME_PATTERN: &str = r"[\w+=,.@-]*";

fn check_session_name(name: &str) -> Result<(), IamError> {
    let len = name.chars().count();
    if len < 2 {
        return Err(IamError::validation(msg::too_short(
            name,
            "roleSessionName",
            2,
        )));
    }
    if len > 64 {
        return Err(IamError::validation(msg::too_long(
            name,
            "roleSessionName",
            64,
        )));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(IamError::validation(msg::pattern(
            name,
            "roleSessionName",
            SESSION_NAME_PATTERN,
        )));
    }
    Ok(())
}

fn index_key(expires_ms: i64, access_key_id: &str) -> String {
    format!("{:020}/{access_key_id}", expires_ms.max(0))
}

impl Iam {
    /// Mints temporary credentials for an already-authorized AssumeRole (the caller has
    /// evaluated the trust policy): an `ASIA…` key, its secret and a session token (sealed
    /// under `root`), expiring `duration_seconds` (900 to the role's `MaxSessionDuration`,
    /// default 3600) from now.
    ///
    /// Errors: `ValidationError` for a bad session name or duration ("The requested
    /// DurationSeconds exceeds the MaxSessionDuration set for this role." above the role's
    /// maximum) or more than 50 tags; `MalformedPolicyDocument` for a session policy that is not
    /// a JSON policy; `PackedPolicyTooLarge` for one over 2,048 characters.
    pub async fn create_session(
        &self,
        root: &RootKey,
        role: &Role,
        session_name: &str,
        duration_seconds: Option<i64>,
        session_policy: Option<String>,
        tags: Vec<(String, String)>,
    ) -> Result<SessionCredentials, IamError> {
        check_session_name(session_name)?;
        let duration = duration_seconds.unwrap_or(DEFAULT_DURATION);
        if duration < MIN_DURATION {
            return Err(IamError::validation(msg::value_too_small(
                duration,
                "durationSeconds",
                MIN_DURATION,
            )));
        }
        if duration > MAX_DURATION {
            return Err(IamError::validation(msg::value_too_large(
                duration,
                "durationSeconds",
                MAX_DURATION,
            )));
        }
        if duration > role.max_session_duration {
            return Err(IamError::validation(msg::DURATION_EXCEEDS_MAX));
        }
        let tags: Vec<Tag> = tags.into_iter().map(|(k, v)| Tag::new(k, v)).collect();
        if tags.len() > SESSION_TAGS_MAX {
            let keys: Vec<&str> = tags.iter().map(|t| t.key.as_str()).collect();
            return Err(IamError::validation(msg::too_long(
                &format!("[{}]", keys.join(", ")),
                "tags",
                SESSION_TAGS_MAX,
            )));
        }
        rules::check_tags(&tags)?;
        let mut policy_chars = 0;
        if let Some(p) = &session_policy {
            rules::check_policy_document(p)?;
            policy_chars = p.chars().count();
            if policy_chars > SESSION_POLICY_MAX {
                // AWS measures a packed (compressed) form; Cofre measures the plaintext.
                let percent = (policy_chars * 100).div_ceil(SESSION_POLICY_MAX);
                return Err(IamError::packed_policy_too_large(msg::packed_policy(
                    percent,
                )));
            }
        }
        let packed_policy_size = (session_policy.is_some() || !tags.is_empty()).then(|| {
            let tag_chars: usize = tags
                .iter()
                .map(|t| t.key.chars().count() + t.value.chars().count())
                .sum();
            let percent = ((policy_chars + tag_chars) * 100).div_ceil(SESSION_POLICY_MAX);
            u32::try_from(percent).unwrap_or(u32::MAX)
        });

        let now = self.now_ms();
        self.maybe_purge_sessions(now).await;
        let expires_ms = now.saturating_add(duration.saturating_mul(1000));
        let arn = format!(
            "arn:aws:sts::{}:assumed-role/{}/{session_name}",
            role.account_id, role.role_name
        );
        let secret = rules::secret_access_key();
        let token = rules::session_token();
        for _ in 0..MAX_ATTEMPTS {
            let access_key_id = rules::access_key_id("ASIA");
            let rec = StoredAccessKey {
                format: FORMAT_OWNED,
                account_id: role.account_id.clone(),
                principal_arn: arn.clone(),
                status: "Active".to_owned(),
                created_ms: now,
                sealed_secret: seal_b64(root, PURPOSE_SECRET, &access_key_id, secret.expose()),
                user: None,
                session: Some(StoredSession {
                    role_name: role.role_name.clone(),
                    role_id: role.role_id.clone(),
                    role_arn: role.arn.clone(),
                    session_name: session_name.to_owned(),
                    session_policy: session_policy.clone(),
                    tags: tags.clone(),
                    expires_ms,
                    sealed_token: seal_b64(root, PURPOSE_TOKEN, &access_key_id, token.expose()),
                }),
            };
            // The purge index first: an index entry without a record is harmless, a record
            // without one would never be purged.
            self.store
                .kv_put(
                    NS_SESSION_EXPIRY,
                    &index_key(expires_ms, &access_key_id),
                    Vec::new(),
                )
                .await?;
            if self
                .cas(NS_ACCESS_KEYS, &access_key_id, None, Some(rec.encode()?))
                .await?
            {
                return Ok(SessionCredentials {
                    access_key_id,
                    secret_access_key: secret,
                    session_token: token,
                    expiration_ms: expires_ms,
                    assumed_role_id: format!("{}:{session_name}", role.role_id),
                    arn,
                    packed_policy_size,
                });
            }
            // The id is taken (vanishingly unlikely): draw another.
            self.store
                .kv_delete(NS_SESSION_EXPIRY, &index_key(expires_ms, &access_key_id))
                .await?;
        }
        Err(IamError::concurrent_modification())
    }

    /// Deletes session keys that expired more than [`SESSION_PURGE_GRACE_MS`] before now, and
    /// returns how many were deleted.
    pub async fn purge_expired_sessions(&self) -> Result<usize, IamError> {
        let now = self.now_ms();
        self.last_session_purge_ms.store(now, Ordering::SeqCst);
        let cutoff = now.saturating_sub(SESSION_PURGE_GRACE_MS);
        let mut purged = 0;
        for (key, _) in self.store.kv_list(NS_SESSION_EXPIRY).await? {
            let Some((expires, access_key_id)) = key.split_once('/') else {
                self.store.kv_delete(NS_SESSION_EXPIRY, &key).await?;
                continue;
            };
            // Keys sort by expiry: everything after the first live one is live too.
            match expires.parse::<i64>() {
                Ok(e) if e > cutoff => break,
                _ => {}
            }
            if let Some(bytes) = self.store.kv_get(NS_ACCESS_KEYS, access_key_id).await? {
                let rec = StoredAccessKey::decode(&bytes)?;
                let due = rec.session.as_ref().is_some_and(|s| s.expires_ms <= cutoff);
                // Only a session record is ever deleted here, and only the one just read.
                if due
                    && self
                        .cas(NS_ACCESS_KEYS, access_key_id, Some(bytes), None)
                        .await?
                {
                    purged += 1;
                }
            }
            self.store.kv_delete(NS_SESSION_EXPIRY, &key).await?;
        }
        Ok(purged)
    }

    /// Purges expired sessions if the last purge is older than a few minutes. Failures are
    /// logged, never surfaced: minting credentials does not depend on the purge.
    async fn maybe_purge_sessions(&self, now: i64) {
        let last = self.last_session_purge_ms.load(Ordering::SeqCst);
        if now.saturating_sub(last) < PURGE_INTERVAL_MS {
            return;
        }
        if self
            .last_session_purge_ms
            .compare_exchange(last, now, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            return; // another task is purging
        }
        if let Err(e) = self.purge_expired_sessions().await {
            tracing::warn!(error = %e, "iam: purging expired sessions failed");
        }
    }
}
