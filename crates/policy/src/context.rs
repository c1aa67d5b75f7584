//! The request being authorized: who asks ([`Principal`]), for what ([`RequestContext`]) and
//! with which condition keys ([`ContextKeys`]).

use std::collections::HashMap;

use crate::wildcard::Resolve;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The caller's ARN: `arn:aws:iam::111122223333:user/alice`, `arn:aws:iam::111122223333:root`,
    /// or for a role session `arn:aws:sts::111122223333:assumed-role/RoleName/session`.
    pub arn: String,
    /// The caller's 12-digit account id.
    pub account: String,
    /// For an assumed-role session: the role's IAM ARN (`arn:aws:iam::111122223333:role/path/R`).
    /// A resource or trust policy naming this role ARN matches the role's sessions.
    pub role_arn: Option<String>,
    /// Whether the caller is the account root user.
    pub is_root: bool,
}

impl Principal {
    /// Builds a principal from its ARN: an IAM user, the account root, a role, or an STS
    /// assumed-role session. `None` for anything else.
    ///
    /// For a session, the role ARN is rebuilt without a path (a session ARN does not carry the
    /// role's path); callers that know the path should set [`Principal::role_arn`] themselves.
    pub fn from_arn(arn: &str) -> Option<Principal> {
        let mut parts = arn.splitn(6, ':');
        let (prefix, partition, service, region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if prefix != "arn" || partition.is_empty() || !region.is_empty() || !is_account_id(account)
        {
            return None;
        }
        let principal = |role_arn: Option<String>, is_root: bool| Principal {
            arn: arn.to_owned(),
            account: account.to_owned(),
            role_arn,
            is_root,
        };
        match service {
            "iam" if resource == "root" => Some(principal(None, true)),
            "iam" if resource.starts_with("user/") || resource.starts_with("role/") => {
                Some(principal(None, false))
            }
            "sts" => {
                let rest = resource.strip_prefix("assumed-role/")?;
                let (role, session) = rest.split_once('/')?;
                if role.is_empty() || session.is_empty() {
                    return None;
                }
                let role_arn = format!("arn:{partition}:iam::{account}:role/{role}");
                Some(principal(Some(role_arn), false))
            }
            _ => None,
        }
    }

    /// The IAM user name, when the caller is an IAM user (the value of `aws:username`).
    fn user_name(&self) -> Option<&str> {
        let resource = self.arn.splitn(6, ':').nth(5)?;
        let path = resource.strip_prefix("user/")?;
        path.rsplit('/').next()
    }
}

/// Whether `s` is a 12-digit AWS account id.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Condition keys and their values for one request.
///
/// Key names are case-insensitive (`aws:SourceIp` and `AWS:sourceip` are the same key); values
/// are kept as given. Every key may hold several values (`aws:TagKeys`); a key inserted with
/// an empty list is treated as absent.
///
/// Common keys: `aws:SourceIp`, `aws:SecureTransport` (`"true"`/`"false"`), `aws:CurrentTime`
/// (ISO 8601), `aws:EpochTime`, `aws:RequestedRegion`, `aws:PrincipalArn`,
/// `aws:PrincipalAccount`, `aws:PrincipalTag/<k>`, `aws:ResourceTag/<k>`,
/// `aws:RequestTag/<k>`, `aws:TagKeys`, `aws:username`, `aws:userid`, `secretsmanager:Name`,
/// `secretsmanager:SecretId`, `secretsmanager:VersionStage`, `secretsmanager:ResourceTag/<k>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextKeys {
    map: HashMap<String, Vec<String>>,
}

impl ContextKeys {
    /// An empty set of keys.
    pub fn new() -> ContextKeys {
        ContextKeys::default()
    }

    /// Sets `key` to the single value `value`, replacing any earlier values.
    pub fn insert(&mut self, key: &str, value: impl Into<String>) {
        self.map.insert(key.to_lowercase(), vec![value.into()]);
    }

    /// Sets `key` to `values`, replacing any earlier values.
    pub fn insert_many(&mut self, key: &str, values: Vec<String>) {
        self.map.insert(key.to_lowercase(), values);
    }

    /// Adds one more value to `key`.
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.map
            .entry(key.to_lowercase())
            .or_default()
            .push(value.into());
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        self.map.remove(&key.to_lowercase());
    }

    /// The values of `key` (case-insensitive), if present.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        if key.chars().any(char::is_uppercase) {
            self.get_lower(&key.to_lowercase())
        } else {
            self.get_lower(key)
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub(crate) fn get_lower(&self, key: &str) -> Option<&[String]> {
        self.map.get(key).map(Vec::as_slice)
    }
}

/// One request to authorize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// Who makes the request.
    pub principal: Principal,
    /// The action, `service:Action` (`secretsmanager:GetSecretValue`); matched case-insensitively.
    pub action: String,
    /// The resource ARN, or `*` for actions that do not act on one resource (`ListSecrets`).
    pub resource: String,
    /// The account that owns the resource; `None` means the principal's own account.
    pub resource_account: Option<String>,
    /// Condition keys.
    pub keys: ContextKeys,
}

impl RequestContext {
    /// A request with no condition keys, on a resource of the principal's own account.
    pub fn new(
        principal: Principal,
        action: impl Into<String>,
        resource: impl Into<String>,
    ) -> RequestContext {
        RequestContext {
            principal,
            action: action.into(),
            resource: resource.into(),
            resource_account: None,
            keys: ContextKeys::default(),
        }
    }

    /// Whether the resource belongs to the principal's account.
    pub fn is_same_account(&self) -> bool {
        self.resource_account
            .as_deref()
            .is_none_or(|a| a == self.principal.account)
    }
}

/// The values of one condition key, borrowed from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    Many(&'a [String]),
    One(&'a str),
}

impl<'a> Values<'a> {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Values::Many(v) => v.is_empty(),
            Values::One(_) => false,
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        let (many, one) = match *self {
            Values::Many(v) => (Some(v.iter().map(String::as_str)), None),
            Values::One(s) => (None, Some(s)),
        };
        many.into_iter().flatten().chain(one)
    }
}

/// Read access to a request for evaluation: explicit keys first, then the few keys that follow
/// from the principal itself when the caller did not supply them (`aws:PrincipalArn`,
/// `aws:PrincipalAccount`, `aws:username`), so a policy conditioned on them does not silently
/// fail just because the server forgot to fill them in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    pub(crate) req: &'a RequestContext,
}

impl<'a> Env<'a> {
    pub(crate) fn lookup(&self, key: &str) -> Option<Values<'a>> {
        if let Some(v) = self.req.keys.get_lower(key) {
            return Some(Values::Many(v));
        }
        let p = &self.req.principal;
        match key {
            // For a role session, aws:PrincipalArn is the role's ARN, not the session's.
            "aws:principalarn" => Some(Values::One(p.role_arn.as_deref().unwrap_or(&p.arn))),
            "aws:principalaccount" => Some(Values::One(&p.account)),
            "aws:username" => p.user_name().map(Values::One),
            _ => None,
        }
    }
}

impl Resolve for Env<'_> {
    fn var(&self, key: &str) -> Option<&str> {
        match self.lookup(key)? {
            Values::One(s) => Some(s),
            Values::Many([one]) => Some(one),
            Values::Many(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_from_arn() {
        let p = Principal::from_arn("arn:aws:sts::111122223333:assumed-role/Admin/bob").unwrap();
        assert_eq!(p.account, "111122223333");
        assert_eq!(
            p.role_arn.as_deref(),
            Some("arn:aws:iam::111122223333:role/Admin")
        );
        assert!(!p.is_root);
        let root = Principal::from_arn("arn:aws:iam::111122223333:root").unwrap();
        assert!(root.is_root);
        let user = Principal::from_arn("arn:aws:iam::111122223333:user/ops/alice").unwrap();
        assert_eq!(user.user_name(), Some("alice"));
        assert!(Principal::from_arn("arn:aws:s3:::bucket").is_none());
        assert!(Principal::from_arn("arn:aws:iam::12:user/x").is_none());
    }

    #[test]
    fn keys_are_case_insensitive() {
        let mut k = ContextKeys::new();
        k.insert("aws:SourceIp", "192.0.2.1");
        assert_eq!(k.get("AWS:SOURCEIP"), Some(&["192.0.2.1".to_owned()][..]));
        k.push("aws:TagKeys", "a");
        k.push("aws:tagkeys", "b");
        assert_eq!(k.get("aws:TagKeys").map(<[String]>::len), Some(2));
        k.remove("AWS:TagKeys");
        assert_eq!(k.get("aws:TagKeys"), None);
    }
}
