//! Access keys: who may sign requests, and the secret each signature is checked against.
//!
//! Three kinds of key live in the `access-keys` namespace, one record each, keyed by access
//! key id:
//!
//! - the account root's key (`ensure_account_root_key`);
//! - IAM users' long-term keys (`AKIA…`, created by [`crate::iam::Iam::create_access_key`]),
//!   which record their owner's name and unique id;
//! - STS session keys (`ASIA…`, minted by [`crate::iam::Iam::create_session`]), which record
//!   the role, session name, session policy, session tags and expiry.
//!
//! SigV4 needs the secret access key itself, so it is stored sealed under the root key (AAD
//! binds it to its access key id) and unsealed only into a zeroizing [`SecretBytes`]. A session
//! token is sealed the same way (AAD `("session-token", id)`) and compared in constant time;
//! sealing rather than hashing keeps one mechanism for every credential and lets the token be
//! re-derived for nothing but that comparison.
//!
//! # Revocation and caching
//!
//! [`Credentials::lookup`] re-reads the key's record on every call (one primary-key read), and
//! for user and session keys also the owner's record (one more), so a key that is deactivated
//! or deleted, a user that is deleted, or a role that is deleted stops authenticating on the
//! very next request, in this process and in any other process sharing the store: there is no
//! TTL. Only the unsealed secret (and token) is cached, keyed by the exact record bytes it was
//! unsealed from: a changed record is unsealed afresh, and a record that disappeared or
//! stopped being active evicts its entry.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use cofre_crypto::{aad, ct_eq, open, random_alnum, seal, RootKey, SecretBytes};
use cofre_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

pub use crate::iam::{Principal, PrincipalKind};

use crate::iam::records::{self, name_key, ns, RecordError, ROLES, USERS};
use crate::iam::Tag;

/// The namespace of access key records.
pub(crate) const NS_ACCESS_KEYS: &str = "access-keys";
const NS_ACCOUNT_ROOT: &str = "account-root-key";

/// Record format of root keys (no owner, no session).
const FORMAT_ROOT: u32 = 1;
/// Record format of user and session keys.
pub(crate) const FORMAT_OWNED: u32 = 2;

/// Most unsealed secrets kept; the cache is emptied when it grows past this (sessions come
/// and go, and an entry is cheap to rebuild).
const CACHE_CAPACITY: usize = 10_000;

/// An access key with its unsealed secret (redacted in `Debug`).
#[derive(Debug)]
pub struct AccessKey {
    /// The access key id (`AKIA...` or `ASIA...`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret: SecretBytes,
    /// Whose key it is.
    pub principal: Principal,
    /// A session key's token; `None` for long-term keys.
    session_token: Option<SecretBytes>,
}

impl AccessKey {
    /// Whether this is a temporary (STS session) key, which must come with its token.
    pub fn is_temporary(&self) -> bool {
        self.session_token.is_some()
    }

    /// When a session key expires, ms since the epoch; `None` for long-term keys.
    pub fn expires_ms(&self) -> Option<i64> {
        match &self.principal.kind {
            PrincipalKind::AssumedRole { expires_ms, .. } => Some(*expires_ms),
            _ => None,
        }
    }
}

/// The owner of a user's access key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyOwner {
    pub(crate) user_name: String,
    pub(crate) user_id: String,
}

/// What an STS session key records about its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredSession {
    pub(crate) role_name: String,
    pub(crate) role_id: String,
    pub(crate) role_arn: String,
    pub(crate) session_name: String,
    #[serde(default)]
    pub(crate) session_policy: Option<String>,
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
    pub(crate) expires_ms: i64,
    /// base64 of `seal(root, token, aad("session-token", access_key_id))`.
    pub(crate) sealed_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredAccessKey {
    pub(crate) format: u32,
    pub(crate) account_id: String,
    pub(crate) principal_arn: String,
    pub(crate) status: String,
    pub(crate) created_ms: i64,
    /// base64 of `seal(root, secret, aad("access-key", access_key_id))`.
    pub(crate) sealed_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) user: Option<KeyOwner>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<StoredSession>,
}

impl StoredAccessKey {
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, CredentialError> {
        let rec: Self = serde_json::from_slice(bytes).map_err(|e| {
            CredentialError::Corrupt(format!("line {} column {}", e.line(), e.column()))
        })?;
        let ok = match rec.format {
            FORMAT_ROOT => rec.user.is_none() && rec.session.is_none(),
            FORMAT_OWNED => rec.user.is_some() != rec.session.is_some(),
            _ => false,
        };
        if !ok {
            return Err(CredentialError::Corrupt(format!(
                "unexpected format {}",
                rec.format
            )));
        }
        Ok(rec)
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>, CredentialError> {
        serde_json::to_vec(self).map_err(|e| CredentialError::Corrupt(e.to_string()))
    }

    pub(crate) fn is_active(&self) -> bool {
        self.status == "Active"
    }
}

/// Seals a credential secret under the root key, bound to `(purpose, access_key_id)`.
pub(crate) fn seal_b64(
    root: &RootKey,
    purpose: &str,
    access_key_id: &str,
    secret: &[u8],
) -> String {
    base64::engine::general_purpose::STANDARD.encode(seal(
        root.key(),
        secret,
        &aad(&[purpose, access_key_id]),
    ))
}

pub(crate) fn open_b64(
    root: &RootKey,
    purpose: &str,
    access_key_id: &str,
    sealed: &str,
) -> Result<SecretBytes, CredentialError> {
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(sealed.as_bytes())
        .map_err(|_| CredentialError::Corrupt("sealed credential is not base64".into()))?;
    open(root.key(), &sealed, &aad(&[purpose, access_key_id]))
        .map_err(|_| CredentialError::Corrupt("root key does not unseal it".into()))
}

/// AAD purpose of secret access keys.
pub(crate) const PURPOSE_SECRET: &str = "access-key";
/// AAD purpose of session tokens.
pub(crate) const PURPOSE_TOKEN: &str = "session-token";

/// Errors from the credential registry.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record could not be read back.
    #[error("corrupt access key record: {0}")]
    Corrupt(String),
    /// A root-key rotation kept losing races with concurrent rotations.
    #[error("the root key of account {0} kept changing during rotation")]
    Contended(String),
}

impl From<RecordError> for CredentialError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Store(e) => CredentialError::Store(e),
            RecordError::Corrupt(m) => CredentialError::Corrupt(m),
        }
    }
}

/// Why a session token check failed (see [`Credentials::check_session_token`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// A token is missing, does not match, or was presented with a long-term key
    /// (`UnrecognizedClientException` on JSON services, `InvalidClientTokenId` on query ones).
    #[error("The security token included in the request is invalid.")]
    Invalid,
    /// The session's credentials have expired (`ExpiredTokenException` on JSON services,
    /// `ExpiredToken` on query ones).
    #[error("The security token included in the request is expired")]
    Expired,
}

impl SessionError {
    /// The JSON-protocol error type (`__type`) AWS answers with.
    pub fn code(self) -> &'static str {
        match self {
            SessionError::Invalid => "UnrecognizedClientException",
            SessionError::Expired => "ExpiredTokenException",
        }
    }

    /// The HTTP status (400 on JSON services).
    pub fn status(self) -> u16 {
        400
    }

    /// AWS's message.
    pub fn message(self) -> String {
        self.to_string()
    }
}

/// An unsealed secret (and token), valid for exactly the record bytes it came from.
struct Cached {
    record: Vec<u8>,
    secret: SecretBytes,
    token: Option<SecretBytes>,
}

/// Looks up access keys, caching unsealed secrets (see the module docs).
pub struct Credentials {
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<String, Cached>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cached = self.cache.lock().map(|c| c.len()).unwrap_or(0);
        f.debug_struct("Credentials")
            .field("store", &self.store)
            .field("cached_secrets", &cached)
            .finish()
    }
}

/// How many times a root-key rotation is retried after losing a race with another one.
const ROTATE_ATTEMPTS: usize = 16;

/// A freshly minted key pair, shown to the operator once (or, for an account's root key, read
/// back for the operator by [`Credentials::account_root_key`]).
#[derive(Debug)]
pub struct NewAccessKey {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: SecretBytes,
}

impl Credentials {
    /// A registry over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn forget(&self, access_key_id: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(access_key_id);
        }
    }

    /// Finds an active access key, unseals its secret, and resolves its principal (kind and
    /// tags). `None` for an unknown or inactive key, a user key whose user was deleted (or no
    /// longer lists it), and a session key whose role was deleted.
    ///
    /// Session keys are returned even after they expire, with their expiry in the principal,
    /// so the caller can answer `ExpiredToken` via [`Self::check_session_token`].
    pub async fn lookup(
        &self,
        root: &RootKey,
        access_key_id: &str,
    ) -> Result<Option<Arc<AccessKey>>, CredentialError> {
        let Some(bytes) = self.store.kv_get(NS_ACCESS_KEYS, access_key_id).await? else {
            self.forget(access_key_id);
            return Ok(None);
        };
        let rec = StoredAccessKey::decode(&bytes)?;
        if !rec.is_active() {
            self.forget(access_key_id);
            return Ok(None);
        }
        let Some(principal) = self.principal_of(access_key_id, &rec).await? else {
            self.forget(access_key_id);
            return Ok(None);
        };
        let (secret, session_token) = self.unsealed(root, access_key_id, &bytes, &rec)?;
        Ok(Some(Arc::new(AccessKey {
            access_key_id: access_key_id.to_owned(),
            secret,
            principal,
            session_token,
        })))
    }

    /// The secret (and token) of a record, from the cache when the record is unchanged.
    fn unsealed(
        &self,
        root: &RootKey,
        access_key_id: &str,
        bytes: &[u8],
        rec: &StoredAccessKey,
    ) -> Result<(SecretBytes, Option<SecretBytes>), CredentialError> {
        if let Ok(cache) = self.cache.lock() {
            if let Some(c) = cache.get(access_key_id) {
                if c.record == bytes {
                    return Ok((c.secret.clone(), c.token.clone()));
                }
            }
        }
        let secret = open_b64(root, PURPOSE_SECRET, access_key_id, &rec.sealed_secret)?;
        let token = match &rec.session {
            Some(s) => Some(open_b64(
                root,
                PURPOSE_TOKEN,
                access_key_id,
                &s.sealed_token,
            )?),
            None => None,
        };
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(
                access_key_id.to_owned(),
                Cached {
                    record: bytes.to_vec(),
                    secret: secret.clone(),
                    token: token.clone(),
                },
            );
        }
        Ok((secret, token))
    }

    /// Resolves who a key belongs to, re-checking its owner's record.
    async fn principal_of(
        &self,
        access_key_id: &str,
        rec: &StoredAccessKey,
    ) -> Result<Option<Principal>, CredentialError> {
        let account = &rec.account_id;
        if let Some(owner) = &rec.user {
            let user = records::read::<crate::iam::model::UserRecord>(
                self.store.as_ref(),
                &ns(USERS, account),
                &name_key(&owner.user_name),
            )
            .await?
            .map(|s| s.rec)
            .filter(|u| u.user_id == owner.user_id)
            .filter(|u| u.access_keys.iter().any(|k| k == access_key_id));
            let Some(user) = user else {
                return Ok(None);
            };
            let mut tags = BTreeMap::new();
            crate::iam::principal::merge_tags(&mut tags, &user.tags);
            return Ok(Some(Principal {
                account_id: account.clone(),
                arn: user.arn,
                kind: PrincipalKind::User {
                    name: user.user_name,
                    user_id: user.user_id,
                },
                tags,
            }));
        }
        if let Some(session) = &rec.session {
            let role = records::read::<crate::iam::model::RoleRecord>(
                self.store.as_ref(),
                &ns(ROLES, account),
                &name_key(&session.role_name),
            )
            .await?
            .map(|s| s.rec)
            .filter(|r| r.role_id == session.role_id);
            let Some(role) = role else {
                return Ok(None);
            };
            let mut tags = BTreeMap::new();
            crate::iam::principal::merge_tags(&mut tags, &role.tags);
            crate::iam::principal::merge_tags(&mut tags, &session.tags);
            return Ok(Some(Principal {
                account_id: account.clone(),
                arn: rec.principal_arn.clone(),
                kind: PrincipalKind::AssumedRole {
                    role_name: role.role_name,
                    role_arn: session.role_arn.clone(),
                    role_id: session.role_id.clone(),
                    session_name: session.session_name.clone(),
                    session_policy: session.session_policy.clone(),
                    expires_ms: session.expires_ms,
                },
                tags,
            }));
        }
        Ok(Some(Principal {
            account_id: account.clone(),
            arn: rec.principal_arn.clone(),
            kind: PrincipalKind::Root,
            tags: BTreeMap::new(),
        }))
    }

    /// Checks the session token presented with a request (`X-Amz-Security-Token`) against the
    /// key that signed it: a session key needs its own token (compared in constant time) and
    /// must not have expired at `now_ms`; a long-term key must come without one.
    pub fn check_session_token(
        &self,
        key: &AccessKey,
        presented: Option<&str>,
        now_ms: i64,
    ) -> Result<(), SessionError> {
        match (&key.session_token, presented) {
            (None, None) => Ok(()),
            (None, Some(_)) | (Some(_), None) => Err(SessionError::Invalid),
            (Some(expected), Some(presented)) => {
                if !ct_eq(expected.expose(), presented.as_bytes()) {
                    return Err(SessionError::Invalid);
                }
                match key.expires_ms() {
                    Some(expires) if now_ms < expires => Ok(()),
                    _ => Err(SessionError::Expired),
                }
            }
        }
    }

    /// Ensures `account` has a root access key. Returns `Some` with the key when this call
    /// created it (from `provided`, or generated when `provided` is `None`), `None` when the
    /// account already had one.
    pub async fn ensure_account_root_key(
        &self,
        root: &RootKey,
        account: &str,
        provided: Option<(String, SecretBytes)>,
        now_ms: i64,
    ) -> Result<Option<NewAccessKey>, CredentialError> {
        if self.store.kv_get(NS_ACCOUNT_ROOT, account).await?.is_some() {
            return Ok(None);
        }
        let (access_key_id, secret) = match provided {
            Some((id, secret)) => (id, secret),
            None => (
                format!("AKIA{}", random_alnum(16).to_ascii_uppercase()),
                SecretBytes::from(random_alnum(40)),
            ),
        };
        let rec = StoredAccessKey {
            format: FORMAT_ROOT,
            account_id: account.to_owned(),
            principal_arn: format!("arn:aws:iam::{account}:root"),
            status: "Active".into(),
            created_ms: now_ms,
            sealed_secret: seal_b64(root, PURPOSE_SECRET, &access_key_id, secret.expose()),
            user: None,
            session: None,
        };
        self.store
            .kv_put(NS_ACCESS_KEYS, &access_key_id, rec.encode()?)
            .await?;
        let winner = self
            .store
            .kv_put_if_absent(NS_ACCOUNT_ROOT, account, access_key_id.clone().into_bytes())
            .await?;
        if winner != access_key_id.as_bytes() {
            // Another process bootstrapped the account first; keep its key.
            return Ok(None);
        }
        Ok(Some(NewAccessKey {
            access_key_id,
            secret,
        }))
    }
}

impl Credentials {
    /// The current root access key of `account`, unsealed; `None` if the account has none.
    pub async fn account_root_key(
        &self,
        root: &RootKey,
        account: &str,
    ) -> Result<Option<NewAccessKey>, CredentialError> {
        let Some(pointer) = self.store.kv_get(NS_ACCOUNT_ROOT, account).await? else {
            return Ok(None);
        };
        let access_key_id = root_pointer(&pointer)?;
        let Some(bytes) = self.store.kv_get(NS_ACCESS_KEYS, &access_key_id).await? else {
            // A rotation was interrupted after retiring the old key (see below): no key
            // authenticates until the next rotation.
            return Ok(None);
        };
        let rec = StoredAccessKey::decode(&bytes)?;
        if rec.format != FORMAT_ROOT || rec.account_id != account {
            return Err(CredentialError::Corrupt(format!(
                "root key pointer of account {account} names a key that is not its root key"
            )));
        }
        let secret = open_b64(root, PURPOSE_SECRET, &access_key_id, &rec.sealed_secret)?;
        Ok(Some(NewAccessKey {
            access_key_id,
            secret,
        }))
    }

    /// Replaces the root access key of `account` with a fresh one; `None` if the account has
    /// no root key to rotate. The old key stops authenticating before this returns, in every
    /// process sharing the store ([`Self::lookup`] re-reads the record on every request).
    ///
    /// The steps are ordered so that no crash leaves the old key working:
    ///
    /// 1. the new key's record is written (it authenticates nothing anyone can use: its
    ///    secret has been shown to no one);
    /// 2. the old key's record is deleted: the old key is dead from here on;
    /// 3. the account's root-key pointer is swapped from the old id to the new one.
    ///
    /// A crash between 2 and 3 leaves the account without a usable root key until the
    /// rotation is run again (which then succeeds: the pointer names a key with no record).
    /// A concurrent rotation that swapped the pointer first makes this one discard its key
    /// and start over from the winner's, so the last rotation to finish is the one in force.
    pub async fn rotate_account_root_key(
        &self,
        root: &RootKey,
        account: &str,
        now_ms: i64,
    ) -> Result<Option<NewAccessKey>, CredentialError> {
        for _ in 0..ROTATE_ATTEMPTS {
            let Some(pointer) = self.store.kv_get(NS_ACCOUNT_ROOT, account).await? else {
                return Ok(None);
            };
            let old_id = root_pointer(&pointer)?;

            // 1. The new key.
            let secret = SecretBytes::from(random_alnum(40));
            let mut new_id = None;
            for _ in 0..ROTATE_ATTEMPTS {
                let id = format!("AKIA{}", random_alnum(16).to_ascii_uppercase());
                let rec = StoredAccessKey {
                    format: FORMAT_ROOT,
                    account_id: account.to_owned(),
                    principal_arn: format!("arn:aws:iam::{account}:root"),
                    status: "Active".into(),
                    created_ms: now_ms,
                    sealed_secret: seal_b64(root, PURPOSE_SECRET, &id, secret.expose()),
                    user: None,
                    session: None,
                };
                // A taken id (vanishingly unlikely) just draws another.
                if self
                    .store
                    .kv_cas(NS_ACCESS_KEYS, &id, None, Some(rec.encode()?))
                    .await?
                {
                    new_id = Some(id);
                    break;
                }
            }
            let new_id = new_id.ok_or_else(|| CredentialError::Contended(account.to_owned()))?;

            // 2. The old key stops authenticating.
            self.store.kv_delete(NS_ACCESS_KEYS, &old_id).await?;
            self.forget(&old_id);

            // 3. The account now names the new key.
            if self
                .store
                .kv_cas(
                    NS_ACCOUNT_ROOT,
                    account,
                    Some(pointer),
                    Some(new_id.clone().into_bytes()),
                )
                .await?
            {
                return Ok(Some(NewAccessKey {
                    access_key_id: new_id,
                    secret,
                }));
            }
            // Another rotation got there first: discard this key and retire the winner's.
            self.store.kv_delete(NS_ACCESS_KEYS, &new_id).await?;
            tokio::task::yield_now().await;
        }
        Err(CredentialError::Contended(account.to_owned()))
    }
}

/// The access key id an account's root-key pointer holds.
fn root_pointer(bytes: &[u8]) -> Result<String, CredentialError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| CredentialError::Corrupt("root key pointer is not text".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_root_records_still_decode() {
        let old = br#"{"format":1,"account_id":"000000000000","principal_arn":"arn:aws:iam::000000000000:root","status":"Active","created_ms":1,"sealed_secret":"AA=="}"#;
        let rec = StoredAccessKey::decode(old).expect("format 1");
        assert!(rec.user.is_none() && rec.session.is_none());
        // A format-1 record claiming an owner is corrupt, as is an unknown format.
        let bad = br#"{"format":1,"account_id":"0","principal_arn":"x","status":"Active","created_ms":1,"sealed_secret":"","user":{"user_name":"a","user_id":"b"}}"#;
        assert!(StoredAccessKey::decode(bad).is_err());
        let bad = br#"{"format":9,"account_id":"0","principal_arn":"x","status":"Active","created_ms":1,"sealed_secret":""}"#;
        assert!(StoredAccessKey::decode(bad).is_err());
    }

    #[tokio::test]
    async fn rotation_retires_the_old_root_key_at_once() {
        let store: Arc<dyn Store> = Arc::new(cofre_store::MemoryStore::new());
        let creds = Credentials::new(store.clone());
        let root = RootKey::generate().0;
        let acct = "111122223333";
        assert!(creds
            .rotate_account_root_key(&root, acct, 1)
            .await
            .expect("rotate")
            .is_none());
        assert!(creds
            .account_root_key(&root, acct)
            .await
            .expect("get")
            .is_none());
        let first = creds
            .ensure_account_root_key(&root, acct, None, 1)
            .await
            .expect("ensure")
            .expect("created");
        let read = creds
            .account_root_key(&root, acct)
            .await
            .expect("get")
            .expect("some");
        assert_eq!(read.access_key_id, first.access_key_id);
        assert_eq!(read.secret, first.secret);
        // Warm the cache with the old key, as a request would.
        assert!(creds
            .lookup(&root, &first.access_key_id)
            .await
            .expect("lookup")
            .is_some());

        let second = creds
            .rotate_account_root_key(&root, acct, 2)
            .await
            .expect("rotate")
            .expect("rotated");
        assert_ne!(second.access_key_id, first.access_key_id);
        assert!(creds
            .lookup(&root, &first.access_key_id)
            .await
            .expect("lookup")
            .is_none());
        let key = creds
            .lookup(&root, &second.access_key_id)
            .await
            .expect("lookup")
            .expect("new key works");
        assert_eq!(key.secret, second.secret);
        assert!(matches!(key.principal.kind, PrincipalKind::Root));
        assert_eq!(key.principal.arn, format!("arn:aws:iam::{acct}:root"));
        let read = creds
            .account_root_key(&root, acct)
            .await
            .expect("get")
            .expect("some");
        assert_eq!(read.access_key_id, second.access_key_id);
        // A second handle on the store (another process) agrees.
        let other = Credentials::new(store);
        assert!(other
            .lookup(&root, &first.access_key_id)
            .await
            .expect("lookup")
            .is_none());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_rotations_leave_exactly_one_key() {
        let store: Arc<dyn Store> = Arc::new(cofre_store::MemoryStore::new());
        let creds = Arc::new(Credentials::new(store.clone()));
        let root = Arc::new(RootKey::generate().0);
        let acct = "111122223333";
        creds
            .ensure_account_root_key(&root, acct, None, 1)
            .await
            .expect("ensure");
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (creds, root) = (creds.clone(), root.clone());
                tokio::spawn(async move {
                    creds
                        .rotate_account_root_key(&root, acct, 2)
                        .await
                        .expect("rotate")
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("join").expect("rotated");
        }
        let keys = store.kv_list(NS_ACCESS_KEYS).await.expect("list");
        assert_eq!(keys.len(), 1, "only the key in force remains");
        let current = creds
            .account_root_key(&root, acct)
            .await
            .expect("get")
            .expect("some");
        assert_eq!(keys[0].0, current.access_key_id);
    }

    #[test]
    fn session_errors_have_aws_texts() {
        assert_eq!(SessionError::Invalid.code(), "UnrecognizedClientException");
        assert_eq!(
            SessionError::Invalid.message(),
            "The security token included in the request is invalid."
        );
        assert_eq!(SessionError::Expired.code(), "ExpiredTokenException");
        assert_eq!(
            SessionError::Expired.message(),
            "The security token included in the request is expired"
        );
    }
}
