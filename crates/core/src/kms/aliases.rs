//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
//!
//! An alias is `alias/<name>` (letters, digits, `/`, `_`, `-`), unique in its account and
//! region, pointing at one key of the same account. `alias/aws/` is reserved for AWS managed
//! keys (`NotAuthorizedException`, as AWS answers). The texts for a missing prefix and for an
//! existing alias are AWS's, as LocalStack's parity tests record them.

use super::error::{self, KmsError};
use super::keys::customer_only;
use super::model::{alias_arn, AliasEntry, AliasRecord, KeyRecord, KeyState, Page, Paged};
use super::{paginate, Kms, MAX_WRITE_ATTEMPTS, NS_ALIASES, RECORD_FORMAT};

/// Checks the `alias/` prefix and the reserved `alias/aws/` space.
fn check_prefix(alias_name: &str) -> Result<(), KmsError> {
    if !alias_name.starts_with("alias/") {
        return Err(KmsError::validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ));
    }
    if alias_name.starts_with("alias/aws/") {
        return Err(KmsError::new(error::NOT_AUTHORIZED, ""));
    }
    Ok(())
}

/// Checks a new alias name completely.
fn check_alias_name(alias_name: &str) -> Result<(), KmsError> {
    check_prefix(alias_name)?;
    if alias_name.len() > 256 {
        return Err(KmsError::validation(format!(
            "1 validation error detected: Value '{alias_name}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256"
        )));
    }
    let name = alias_name.strip_prefix("alias/").unwrap_or_default();
    if name.is_empty() {
        return Err(KmsError::new(
            error::INVALID_ALIAS_NAME,
            "Alias name must not be empty after the alias/ prefix.",
        ));
    }
    if name.contains(':') {
        return Err(KmsError::validation(format!(
            "{alias_name} contains invalid characters for an alias"
        )));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
    {
        return Err(KmsError::validation(format!(
            "1 validation error detected: Value '{alias_name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
        )));
    }
    Ok(())
}

impl Kms {
    /// The key an alias may point at: `target_key_ref` is a key id or key ARN (not an alias)
    /// of a customer key of `account`, not pending deletion.
    async fn alias_target_key(
        &self,
        account: &str,
        region: &str,
        target_key_ref: &str,
    ) -> Result<KeyRecord, KmsError> {
        if target_key_ref.starts_with("alias/") || target_key_ref.contains(":alias/") {
            return Err(KmsError::validation(
                "Aliases must refer to keys. Not aliases",
            ));
        }
        let key = self.resolve_own(account, region, target_key_ref).await?;
        customer_only(&key)?;
        if key.state == KeyState::PendingDeletion {
            return Err(KmsError::pending_deletion(&key.arn));
        }
        Ok(key)
    }

    /// CreateAlias: `AlreadyExistsException` if the name is taken in (`account`, `region`).
    pub async fn create_alias(
        &self,
        account: &str,
        region: &str,
        alias_name: &str,
        target_key_ref: &str,
    ) -> Result<(), KmsError> {
        check_alias_name(alias_name)?;
        let arn = alias_arn(region, account, alias_name);
        if self.load_alias(&arn).await?.is_some() {
            return Err(already_exists(&arn));
        }
        let key = self
            .alias_target_key(account, region, target_key_ref)
            .await?;
        let now = self.now_ms();
        let record = AliasRecord {
            format: RECORD_FORMAT,
            alias_name: alias_name.to_owned(),
            target_key_id: key.key_id,
            creation_ms: now,
            last_updated_ms: now,
        };
        let bytes = serde_json::to_vec(&record).map_err(KmsError::internal)?;
        let created = self
            .store
            .kv_cas(NS_ALIASES, &arn, None, Some(bytes))
            .await
            .map_err(KmsError::internal)?;
        if !created {
            return Err(already_exists(&arn));
        }
        Ok(())
    }

    /// UpdateAlias: points an existing alias at another customer key of the account.
    pub async fn update_alias(
        &self,
        account: &str,
        region: &str,
        alias_name: &str,
        target_key_ref: &str,
    ) -> Result<(), KmsError> {
        check_prefix(alias_name)?;
        let arn = alias_arn(region, account, alias_name);
        let key = self
            .alias_target_key(account, region, target_key_ref)
            .await?;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let (mut record, bytes) = self
                .load_alias(&arn)
                .await?
                .ok_or_else(|| KmsError::alias_not_found(&arn))?;
            record.target_key_id = key.key_id.clone();
            record.last_updated_ms = self.now_ms();
            let new = serde_json::to_vec(&record).map_err(KmsError::internal)?;
            if self
                .store
                .kv_cas(NS_ALIASES, &arn, Some(bytes), Some(new))
                .await
                .map_err(KmsError::internal)?
            {
                return Ok(());
            }
        }
        Err(KmsError::internal("alias update lost too many races"))
    }

    /// DeleteAlias: the key itself is untouched.
    pub async fn delete_alias(
        &self,
        account: &str,
        region: &str,
        alias_name: &str,
    ) -> Result<(), KmsError> {
        check_prefix(alias_name)?;
        let arn = alias_arn(region, account, alias_name);
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let (_, bytes) = self
                .load_alias(&arn)
                .await?
                .ok_or_else(|| KmsError::alias_not_found(&arn))?;
            if self
                .store
                .kv_cas(NS_ALIASES, &arn, Some(bytes), None)
                .await
                .map_err(KmsError::internal)?
            {
                return Ok(());
            }
        }
        Err(KmsError::internal("alias deletion lost too many races"))
    }

    /// ListAliases of (`account`, `region`), ordered by name, optionally only those pointing
    /// at the key `key_ref` names; AWS managed aliases appear once their key exists. 50 per
    /// page unless `page.limit` says otherwise.
    pub async fn list_aliases(
        &self,
        account: &str,
        region: &str,
        key_ref: Option<&str>,
        page: &Page,
    ) -> Result<Paged<AliasEntry>, KmsError> {
        let only = match key_ref {
            Some(r) => Some(self.resolve_own(account, region, r).await?.key_id),
            None => None,
        };
        let entries = self.aliases_of(account, region).await?;
        let entries: Vec<AliasEntry> = entries
            .into_iter()
            .filter(|e| only.is_none() || e.target_key_id == only)
            .collect();
        Ok(paginate(entries, |e| e.alias_name.as_str(), page, 50))
    }

    /// Every alias of (`account`, `region`), ordered by name.
    pub(super) async fn aliases_of(
        &self,
        account: &str,
        region: &str,
    ) -> Result<Vec<AliasEntry>, KmsError> {
        let prefix = alias_arn(region, account, "alias/");
        let rows = self
            .store
            .kv_list(NS_ALIASES)
            .await
            .map_err(KmsError::internal)?;
        rows.into_iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| {
                let r: AliasRecord = serde_json::from_slice(&v).map_err(KmsError::internal)?;
                Ok(AliasEntry {
                    alias_name: r.alias_name,
                    alias_arn: k,
                    target_key_id: Some(r.target_key_id),
                    creation_ms: r.creation_ms,
                    last_updated_ms: r.last_updated_ms,
                })
            })
            .collect()
    }
}

fn already_exists(alias_arn: &str) -> KmsError {
    KmsError::new(
        error::ALREADY_EXISTS,
        format!("An alias with the name {alias_arn} already exists"),
    )
}
