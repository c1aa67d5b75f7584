//! IAM users' long-term access keys: CreateAccessKey, ListAccessKeys, UpdateAccessKey,
//! DeleteAccessKey.
//!
//! A key lives in the credential registry's `access-keys` namespace (secret sealed under the
//! root key, see `crate::credentials`), and its id is listed on the user's record. The user's
//! list is authoritative: `Credentials::lookup` accepts a user key only while its record is
//! `Active`, its owner exists with the same user id, and that user still lists it. So:
//!
//! - create writes the key record first, then lists its id on the user (where the 2-key quota
//!   is enforced); a crash in between leaves a record no user lists, which never
//!   authenticates;
//! - delete removes the key record first (the key stops working at once), then the id; a
//!   crash in between leaves an id without a record, which is ignored and pruned.
//!
//! So every listed id whose record exists is a real key, and counting those enforces the
//! quota exactly even under concurrent creates.

use cofre_crypto::RootKey;

use super::error::{msg, IamError};
use super::model::{
    AccessKeyMetadata, AccessKeyStatus, EntityKind, NewUserAccessKey, Page, Paged, UserRecord,
};
use super::records::{name_key, ns, MAX_ATTEMPTS, USERS};
use super::rules;
use super::Iam;
use crate::credentials::{
    seal_b64, CredentialError, KeyOwner, StoredAccessKey, FORMAT_OWNED, NS_ACCESS_KEYS,
    PURPOSE_SECRET,
};

/// Access keys one user may have.
const ACCESS_KEYS_PER_USER: usize = 2;

impl From<CredentialError> for IamError {
    fn from(e: CredentialError) -> Self {
        IamError::internal(e)
    }
}

impl Iam {
    /// CreateAccessKey for `user_name`: an `AKIA…` id and a 40-character secret, sealed under
    /// `root` (the secret is returned here and never again). `LimitExceeded`
    /// (`AccessKeysPerUser: 2`) if the user already has two keys.
    pub async fn create_access_key(
        &self,
        root: &RootKey,
        account: &str,
        user_name: &str,
    ) -> Result<NewUserAccessKey, IamError> {
        let user = self.existing::<UserRecord>(account, user_name).await?.rec;
        let too_many =
            || IamError::limit_exceeded(msg::quota("AccessKeysPerUser", ACCESS_KEYS_PER_USER));
        if self.live_access_keys(&user).await?.len() >= ACCESS_KEYS_PER_USER {
            return Err(too_many());
        }

        // 1. The key record. It authenticates nothing until the user lists its id.
        let secret = rules::secret_access_key();
        let created = self.now_ms();
        let mut written = None;
        for _ in 0..MAX_ATTEMPTS {
            let access_key_id = rules::access_key_id("AKIA");
            let rec = StoredAccessKey {
                format: FORMAT_OWNED,
                account_id: account.to_owned(),
                principal_arn: user.arn.clone(),
                status: AccessKeyStatus::Active.as_str().to_owned(),
                created_ms: created,
                sealed_secret: seal_b64(root, PURPOSE_SECRET, &access_key_id, secret.expose()),
                user: Some(KeyOwner {
                    user_name: user.user_name.clone(),
                    user_id: user.user_id.clone(),
                }),
                session: None,
            };
            let bytes = rec.encode()?;
            // A taken id (vanishingly unlikely) just draws another.
            if self
                .cas(NS_ACCESS_KEYS, &access_key_id, None, Some(bytes.clone()))
                .await?
            {
                written = Some((access_key_id, bytes));
                break;
            }
        }
        let (access_key_id, bytes) = written.ok_or_else(IamError::concurrent_modification)?;

        // 2. List it on the user, where the quota is enforced. Ids listed without a record
        //    (a DeleteAccessKey interrupted between its two steps) do not count.
        let users = ns(USERS, account);
        let user_key = name_key(user_name);
        let mut outcome = Err(IamError::concurrent_modification());
        for _ in 0..MAX_ATTEMPTS {
            let Some(cur) = self.entity::<UserRecord>(account, user_name).await? else {
                outcome = Err(EntityKind::User.not_found(user_name));
                break;
            };
            if cur.rec.user_id != user.user_id {
                // Deleted and re-created meanwhile: this key was for the old user.
                outcome = Err(EntityKind::User.not_found(user_name));
                break;
            }
            let mut keys = cur.rec.access_keys.clone();
            if keys.len() >= ACCESS_KEYS_PER_USER {
                keys = self.live_access_keys(&cur.rec).await?;
                if keys.len() >= ACCESS_KEYS_PER_USER {
                    outcome = Err(too_many());
                    break;
                }
            }
            keys.push(access_key_id.clone());
            let mut new = cur.rec.clone();
            new.access_keys = keys;
            if self.replace(&users, &user_key, &cur, Some(&new)).await? {
                outcome = Ok(());
                break;
            }
        }
        if let Err(e) = outcome {
            // Not listed: the record is garbage; remove it (it could never authenticate).
            self.cas(NS_ACCESS_KEYS, &access_key_id, Some(bytes), None)
                .await?;
            return Err(e);
        }
        Ok(NewUserAccessKey {
            user_name: user.user_name,
            access_key_id,
            status: AccessKeyStatus::Active,
            secret_access_key: secret,
            create_date_ms: created,
        })
    }

    /// ListAccessKeys: the user's keys (metadata only), oldest first.
    pub async fn list_access_keys(
        &self,
        account: &str,
        user_name: &str,
        page: &Page,
    ) -> Result<Paged<AccessKeyMetadata>, IamError> {
        let u = self.existing::<UserRecord>(account, user_name).await?.rec;
        let mut items = Vec::new();
        for id in &u.access_keys {
            if let Some((_, rec)) = self.owned_key(&u, id).await? {
                let status = AccessKeyStatus::parse(&rec.status)
                    .ok_or_else(|| IamError::internal("access key with unknown status"))?;
                items.push((
                    format!("{:020}/{id}", rec.created_ms.max(0)),
                    AccessKeyMetadata {
                        user_name: u.user_name.clone(),
                        access_key_id: id.clone(),
                        status,
                        create_date_ms: rec.created_ms,
                    },
                ));
            }
        }
        items.sort_by(|a, b| a.0.cmp(&b.0));
        rules::paginate(items, page)
    }

    /// UpdateAccessKey: `Active` or `Inactive`. An inactive key stops authenticating on the
    /// next request. `NoSuchEntity` if the key does not exist or is not this user's.
    pub async fn update_access_key(
        &self,
        account: &str,
        user_name: &str,
        access_key_id: &str,
        status: AccessKeyStatus,
    ) -> Result<(), IamError> {
        let u = self.existing::<UserRecord>(account, user_name).await?.rec;
        for _ in 0..MAX_ATTEMPTS {
            let (bytes, mut rec) = self.owned_key(&u, access_key_id).await?.ok_or_else(|| {
                IamError::no_such_entity(msg::access_key_not_found(access_key_id))
            })?;
            rec.status = status.as_str().to_owned();
            if self
                .cas(
                    NS_ACCESS_KEYS,
                    access_key_id,
                    Some(bytes),
                    Some(rec.encode()?),
                )
                .await?
            {
                return Ok(());
            }
        }
        Err(IamError::concurrent_modification())
    }

    /// DeleteAccessKey. The key stops authenticating at once. `NoSuchEntity` if the key does
    /// not exist or is not this user's.
    pub async fn delete_access_key(
        &self,
        account: &str,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<(), IamError> {
        let u = self.existing::<UserRecord>(account, user_name).await?.rec;
        for _ in 0..MAX_ATTEMPTS {
            let Some((bytes, _)) = self.owned_key(&u, access_key_id).await? else {
                if u.access_keys.iter().any(|k| k == access_key_id) {
                    // Listed without a record (an interrupted create): tidy up.
                    self.unlist_key(account, user_name, access_key_id).await?;
                }
                return Err(IamError::no_such_entity(msg::access_key_not_found(
                    access_key_id,
                )));
            };
            if self
                .cas(NS_ACCESS_KEYS, access_key_id, Some(bytes), None)
                .await?
            {
                self.unlist_key(account, user_name, access_key_id).await?;
                return Ok(());
            }
        }
        Err(IamError::concurrent_modification())
    }

    /// The ids among the user's that have a key record owned by this very user.
    pub(crate) async fn live_access_keys(&self, u: &UserRecord) -> Result<Vec<String>, IamError> {
        let mut live = Vec::new();
        for id in &u.access_keys {
            if self.owned_key(u, id).await?.is_some() {
                live.push(id.clone());
            }
        }
        Ok(live)
    }

    /// The record of key `id` if it exists, belongs to user `u`, and `u` lists it.
    async fn owned_key(
        &self,
        u: &UserRecord,
        id: &str,
    ) -> Result<Option<(Vec<u8>, StoredAccessKey)>, IamError> {
        if !u.access_keys.iter().any(|k| k == id) {
            return Ok(None);
        }
        let Some(bytes) = self.store.kv_get(NS_ACCESS_KEYS, id).await? else {
            return Ok(None);
        };
        let rec = StoredAccessKey::decode(&bytes)?;
        let owned = rec.account_id == u.account_id
            && rec.session.is_none()
            && rec.user.as_ref().is_some_and(|o| o.user_id == u.user_id);
        Ok(owned.then_some((bytes, rec)))
    }

    /// Removes a key id from a user's list (nothing to do if the user is gone).
    async fn unlist_key(
        &self,
        account: &str,
        user_name: &str,
        access_key_id: &str,
    ) -> Result<(), IamError> {
        match self
            .modify_entity(account, user_name, |u: &mut UserRecord| {
                u.access_keys.retain(|k| k != access_key_id);
                Ok(())
            })
            .await
        {
            Err(e) if e.code == super::error::NO_SUCH_ENTITY => Ok(()),
            other => other,
        }
    }
}
