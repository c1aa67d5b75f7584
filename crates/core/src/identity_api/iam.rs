//! IAM: users, access keys, inline and managed policies, roles and groups.

use cofre_api::Iam;

use crate::Service;

#[async_trait::async_trait]
impl Iam for Service {}
