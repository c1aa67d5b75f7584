//! The identity-based policies that apply to a principal, for authorization.

use super::error::IamError;
use super::model::{GroupRecord, RoleRecord, UserRecord};
use super::{Iam, Principal, PrincipalKind};

impl Iam {
    /// Every identity-based policy document that applies to `p`, in a stable order:
    ///
    /// - a user: its inline policies (by name), its attached managed policies (default
    ///   version), then for each group it belongs to, the group's inline and attached ones;
    /// - an assumed-role session: the role's inline and attached policies (the session
    ///   policy is in [`PrincipalKind::AssumedRole`] and must be *intersected*, not added);
    /// - root: none (the caller treats root specially).
    ///
    /// A user or role that no longer exists, or was re-created under the same name (its
    /// unique id differs), contributes nothing, and neither do references to deleted groups
    /// or policies.
    pub async fn identity_policies(&self, p: &Principal) -> Result<Vec<String>, IamError> {
        let account = &p.account_id;
        let mut docs = Vec::new();
        match &p.kind {
            PrincipalKind::Root => {}
            PrincipalKind::User { name, user_id } => {
                let Some(u) = self
                    .entity_with_id::<UserRecord>(account, name, user_id)
                    .await?
                else {
                    return Ok(docs);
                };
                self.collect(account, &u.inline_policies, &u.attached_policies, &mut docs)
                    .await?;
                for g in self.live_groups(account, &u.groups).await? {
                    let GroupRecord {
                        inline_policies,
                        attached_policies,
                        ..
                    } = g;
                    self.collect(account, &inline_policies, &attached_policies, &mut docs)
                        .await?;
                }
            }
            PrincipalKind::AssumedRole {
                role_name, role_id, ..
            } => {
                let Some(r) = self
                    .entity_with_id::<RoleRecord>(account, role_name, role_id)
                    .await?
                else {
                    return Ok(docs);
                };
                self.collect(account, &r.inline_policies, &r.attached_policies, &mut docs)
                    .await?;
            }
        }
        Ok(docs)
    }

    async fn collect(
        &self,
        account: &str,
        inline: &[super::model::InlinePolicy],
        attached: &[super::model::AttachedRef],
        docs: &mut Vec<String>,
    ) -> Result<(), IamError> {
        let mut inline: Vec<&super::model::InlinePolicy> = inline.iter().collect();
        inline.sort_by(|a, b| a.name.cmp(&b.name));
        docs.extend(inline.into_iter().map(|p| p.document.clone()));
        docs.extend(
            self.live_attached(account, attached)
                .await?
                .into_iter()
                .map(|p| p.document),
        );
        Ok(())
    }
}
