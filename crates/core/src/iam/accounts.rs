//! Accounts: the 12-digit ids every other record is partitioned by.
//!
//! The text of these errors is Cofre's own: AWS creates accounts through Organizations, not
//! IAM, so there is no IAM message to copy.

use super::error::IamError;
use super::model::{Account, AccountRecord, FORMAT};
use super::records::NS_ACCOUNTS;
use super::Iam;

/// Whether `id` is a 12-digit account id.
pub(crate) fn valid_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

impl Iam {
    /// Registers account `id` (exactly 12 digits). `EntityAlreadyExists` if it is registered.
    pub async fn create_account(&self, id: &str) -> Result<Account, IamError> {
        if !valid_account_id(id) {
            return Err(IamError::invalid_input(format!(
                "Account id {id} is not 12 digits."
            )));
        }
        let rec = AccountRecord {
            format: FORMAT,
            account_id: id.to_owned(),
            create_date_ms: self.now_ms(),
        };
        if !self.insert(NS_ACCOUNTS, id, &rec).await? {
            return Err(IamError::entity_already_exists(format!(
                "Account {id} already exists."
            )));
        }
        Ok(Account {
            account_id: rec.account_id,
            create_date_ms: rec.create_date_ms,
        })
    }

    /// Every registered account, ordered by id.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, IamError> {
        Ok(self
            .list::<AccountRecord>(NS_ACCOUNTS)
            .await?
            .into_iter()
            .map(|(_, r)| Account {
                account_id: r.account_id,
                create_date_ms: r.create_date_ms,
            })
            .collect())
    }

    /// Whether account `id` is registered.
    pub async fn account_exists(&self, id: &str) -> Result<bool, IamError> {
        if !valid_account_id(id) {
            return Ok(false);
        }
        Ok(self.store.kv_get(NS_ACCOUNTS, id).await?.is_some())
    }
}
