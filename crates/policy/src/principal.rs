//! The `Principal` / `NotPrincipal` element of resource and trust policies, and how a caller
//! matches it.

use crate::context::{is_account_id, Principal};

/// One `"AWS"` principal value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AwsPrincipal {
    /// `"*"`: every AWS principal.
    Any,
    /// `"111122223333"` or `"arn:aws:iam::111122223333:root"`: the account.
    Account(Box<str>),
    /// `"arn:aws:iam::111122223333:role/path/R"`: the role and every session of it.
    Role(Box<str>),
    /// An IAM user, an STS session, a federated user...: exactly that ARN.
    Exact(Box<str>),
    /// A unique id (`AIDA...`, `AROA...`), as IAM stores a principal whose entity was deleted.
    /// Cofre's callers carry no unique ids, so it never matches.
    UniqueId(Box<str>),
}

impl AwsPrincipal {
    /// Parses a value of an `"AWS"` principal; `None` if IAM would call it invalid.
    pub(crate) fn parse(v: &str) -> Option<AwsPrincipal> {
        if v == "*" {
            return Some(AwsPrincipal::Any);
        }
        if is_account_id(v) {
            return Some(AwsPrincipal::Account(v.into()));
        }
        if v.len() >= 16
            && v.starts_with('A')
            && v.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Some(AwsPrincipal::UniqueId(v.into()));
        }
        // No wildcards inside a principal ARN: IAM refuses "arn:aws:iam::*:root".
        if v.contains(['*', '?']) {
            return None;
        }
        let mut parts = v.splitn(6, ':');
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
        let named = |p: &str| {
            resource
                .strip_prefix(p)
                .is_some_and(|rest| !rest.is_empty())
        };
        match service {
            "iam" if resource == "root" => Some(AwsPrincipal::Account(account.into())),
            "iam" if named("role/") => Some(AwsPrincipal::Role(v.into())),
            "iam" if named("user/") => Some(AwsPrincipal::Exact(v.into())),
            "sts" if named("assumed-role/") || named("federated-user/") => {
                Some(AwsPrincipal::Exact(v.into()))
            }
            _ => None,
        }
    }
}

/// How specifically a resource-policy statement names the caller. The order matters: a more
/// specific match grants more (see `evaluate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    /// Through the caller's account only: the account delegates to its identity policies.
    Account,
    /// `"*"`, the user, or the role of a session: allows by itself in the same account, but
    /// a session policy still limits it (the grant existed before the session was created).
    Principal,
    /// The exact role-session ARN: added after the session was created, so a session policy
    /// does not limit it.
    Session,
}

/// A compiled `Principal` or `NotPrincipal` element.
#[derive(Debug, Clone, Default)]
pub(crate) struct PrincipalSet {
    /// `"Principal": "*"`.
    pub(crate) everyone: bool,
    pub(crate) aws: Vec<AwsPrincipal>,
    pub(crate) service: Vec<Box<str>>,
    pub(crate) federated: Vec<Box<str>>,
    pub(crate) canonical_user: Vec<Box<str>>,
}

impl PrincipalSet {
    /// Whether the element names every principal (`"*"` or `{"AWS": "*"}`).
    pub(crate) fn is_everyone(&self) -> bool {
        self.everyone || self.aws.contains(&AwsPrincipal::Any)
    }

    /// The most specific way this element names `p`, if it does. Service, federated and
    /// canonical-user principals never name an IAM caller.
    pub(crate) fn grant_for(&self, p: &Principal) -> Option<Grant> {
        if self.everyone {
            return Some(Grant::Principal);
        }
        let session = p.role_arn.is_some();
        self.aws
            .iter()
            .filter_map(|a| match a {
                AwsPrincipal::Any => Some(Grant::Principal),
                AwsPrincipal::Account(acct) => (**acct == *p.account).then_some(Grant::Account),
                AwsPrincipal::Role(arn) => (p.role_arn.as_deref() == Some(&**arn)
                    || **arn == *p.arn)
                    .then_some(Grant::Principal),
                AwsPrincipal::Exact(arn) => (**arn == *p.arn).then_some(if session {
                    Grant::Session
                } else {
                    Grant::Principal
                }),
                AwsPrincipal::UniqueId(_) => None,
            })
            .max()
    }

    /// For `"Effect": "Deny"` with `NotPrincipal`: whether `p` is exempt. AWS evaluates every
    /// identity behind a request (the account, the role, the session or user) and denies unless
    /// each of them is listed, so a session is exempt only if its account, its role and its
    /// session ARN are all named.
    pub(crate) fn exempts_from_deny(&self, p: &Principal) -> bool {
        if self.is_everyone() {
            return true;
        }
        let account_listed = self.aws.iter().any(|a| match a {
            AwsPrincipal::Account(acct) => **acct == *p.account,
            _ => false,
        });
        if p.is_root {
            return account_listed;
        }
        let arn_listed = self.aws.iter().any(|a| match a {
            AwsPrincipal::Exact(arn) | AwsPrincipal::Role(arn) => **arn == *p.arn,
            _ => false,
        });
        let role_listed = match &p.role_arn {
            None => true,
            Some(role) => self.aws.iter().any(|a| match a {
                AwsPrincipal::Role(arn) => **arn == **role,
                _ => false,
            }),
        };
        account_listed && arn_listed && role_listed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_aws_principals() {
        use AwsPrincipal::*;
        assert_eq!(AwsPrincipal::parse("*"), Some(Any));
        assert_eq!(
            AwsPrincipal::parse("111122223333"),
            Some(Account("111122223333".into()))
        );
        assert_eq!(
            AwsPrincipal::parse("arn:aws:iam::111122223333:root"),
            Some(Account("111122223333".into()))
        );
        assert!(matches!(
            AwsPrincipal::parse("arn:aws:iam::111122223333:role/R"),
            Some(Role(_))
        ));
        assert!(matches!(
            AwsPrincipal::parse("arn:aws:sts::111122223333:assumed-role/R/s"),
            Some(Exact(_))
        ));
        assert!(matches!(
            AwsPrincipal::parse("AIDAJQABLZS4A3QDU576Q"),
            Some(UniqueId(_))
        ));
        for bad in [
            "arn:aws:iam::*:root",
            "arn:aws:iam::1111:root",
            "arn:aws:iam::111122223333:group/G",
            "arn:aws:s3:::bucket",
            "alice",
            "",
        ] {
            assert_eq!(AwsPrincipal::parse(bad), None, "{bad}");
        }
    }
}
