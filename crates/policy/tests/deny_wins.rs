//! "Deny always wins", checked over deterministically generated combinations of principals,
//! requests, identity / resource / session policies and condition keys.

mod common;

use cofre_policy::{
    evaluate, Decision, DenyReason, Evaluation, Policy, PolicyKind, RequestContext,
};
use common::*;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const IDENTITY_STATEMENTS: &[&str] = &[
    r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
    r#"{"Effect":"Allow","Action":"secretsmanager:Get*","Resource":"arn:aws:secretsmanager:*:111122223333:secret:prod/*"}"#,
    r#"{"Effect":"Allow","NotAction":"secretsmanager:DeleteSecret","Resource":"*"}"#,
    r#"{"Effect":"Allow","Action":"secretsmanager:*","NotResource":"arn:aws:secretsmanager:*:*:secret:dev/*"}"#,
    r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"prod"}}}"#,
    r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}"#,
    r#"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Env","Owner"]}}}"#,
    r#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*"}"#,
    r#"{"Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"}"#,
    r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["203.0.113.0/24","192.0.2.0/24"]}}}"#,
];

const RESOURCE_STATEMENTS: &[&str] = &[
    r#"{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":["444455556666"]},"Action":"secretsmanager:Get*","Resource":"*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AppRole"},"Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/AppRole/s1"},"Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/carol"},"Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Env":"dev"}}}"#,
];

const SESSION_STATEMENTS: &[&str] = &[
    r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
    r#"{"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*"}"#,
];

/// Deny statements that apply to every generated GetSecretValue request.
const IDENTITY_DENIES: &[&str] = &[
    r#"{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
    r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}"#,
    r#"{"Effect":"Deny","Action":"secretsmanager:Get*","NotResource":"arn:aws:s3:::nothing"}"#,
    r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Null":{"x:never-set":"true"}}}"#,
    r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"x:never-set":"v"}}}"#,
    r#"{"Effect":"Deny","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:*"}"#,
];

const RESOURCE_DENIES: &[&str] = &[
    r#"{"Effect":"Deny","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
    r#"{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::999999999999:user/nobody"},"Action":"*","Resource":"*"}"#,
    r#"{"Effect":"Deny","Principal":{"AWS":["111122223333","444455556666"]},"Action":"secretsmanager:*","Resource":"*"}"#,
];

const PRINCIPALS: &[&str] = &[ALICE, CAROL, SESSION, ROOT, BOB_EXT, EXT_ROLE_SESSION];
const RESOURCES: &[&str] = &[
    PROD_SECRET,
    DEV_SECRET,
    "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/alice/x-AbCdEf",
];
const KEYS: &[(&str, &[&str])] = &[
    ("aws:SecureTransport", &["true"]),
    ("aws:SecureTransport", &["false"]),
    ("aws:SourceIp", &["203.0.113.7"]),
    ("aws:SourceIp", &["198.51.100.7"]),
    ("aws:ResourceTag/Env", &["prod"]),
    ("aws:ResourceTag/Env", &["dev"]),
    ("aws:TagKeys", &["Env"]),
    ("aws:TagKeys", &["Env", "Secret"]),
];

fn doc(statements: &[&str]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// One generated scenario, as statement lists so that denies can be spliced in.
#[derive(Debug, Clone)]
struct Scenario {
    req: RequestContext,
    identity: Vec<Vec<&'static str>>,
    resource: Option<Vec<&'static str>>,
    session: Option<Vec<&'static str>>,
}

impl Scenario {
    fn generate(rng: &mut Rng) -> Scenario {
        let mut keys: Vec<(&str, &[&str])> = Vec::new();
        for _ in 0..rng.below(4) {
            let (k, v) = *rng.pick(KEYS);
            if !keys.iter().any(|(existing, _)| *existing == k) {
                keys.push((k, v));
            }
        }
        let who = *rng.pick(PRINCIPALS);
        let resource_account = if rng.chance(50) { Some(ACCOUNT) } else { None };
        let resource = *rng.pick(RESOURCES);
        let req = request(who, GSV, resource, resource_account, &keys);
        let statements = |rng: &mut Rng, pool: &[&'static str], max: usize| {
            (0..1 + rng.below(max))
                .map(|_| *rng.pick(pool))
                .collect::<Vec<_>>()
        };
        let identity = (0..rng.below(3))
            .map(|_| statements(rng, IDENTITY_STATEMENTS, 3))
            .collect();
        let resource = rng
            .chance(60)
            .then(|| statements(rng, RESOURCE_STATEMENTS, 3));
        let session = rng
            .chance(30)
            .then(|| statements(rng, SESSION_STATEMENTS, 2));
        Scenario {
            req,
            identity,
            resource,
            session,
        }
    }

    fn evaluate(&self) -> Evaluation {
        let identity: Vec<Policy> = self
            .identity
            .iter()
            .map(|s| parse(&doc(s), PolicyKind::Identity))
            .collect();
        let refs: Vec<&Policy> = identity.iter().collect();
        let resource = self
            .resource
            .as_ref()
            .map(|s| parse(&doc(s), PolicyKind::Resource));
        let session = self
            .session
            .as_ref()
            .map(|s| parse(&doc(s), PolicyKind::Session));
        evaluate(&self.req, &refs, resource.as_ref(), session.as_ref())
    }
}

fn insert(list: &mut Vec<&'static str>, rng: &mut Rng, statement: &'static str) {
    let at = rng.below(list.len() + 1);
    list.insert(at, statement);
}

#[test]
fn an_applicable_deny_always_wins() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut checked = 0;
    for _ in 0..1500 {
        let base = Scenario::generate(&mut rng);

        // Deny in an identity policy: a new policy, or spliced into an existing one.
        let mut s = base.clone();
        let deny = *rng.pick(IDENTITY_DENIES);
        if s.identity.is_empty() || rng.chance(50) {
            let at = rng.below(s.identity.len() + 1);
            s.identity.insert(at, vec![deny]);
        } else {
            let i = rng.below(s.identity.len());
            insert(&mut s.identity[i], &mut rng, deny);
        }
        let e = s.evaluate();
        assert_eq!(e.decision, Decision::ExplicitDeny, "{s:?}");
        assert_eq!(e.reason, Some(DenyReason::ExplicitDenyIdentity), "{s:?}");

        // Deny in the resource policy (unless an identity policy already denies, which is
        // reported first, the reason names the resource policy).
        let mut s = base.clone();
        let deny = *rng.pick(RESOURCE_DENIES);
        match &mut s.resource {
            Some(list) => insert(list, &mut rng, deny),
            None => s.resource = Some(vec![deny]),
        }
        let e = s.evaluate();
        assert_eq!(e.decision, Decision::ExplicitDeny, "{s:?}");
        assert!(
            matches!(
                e.reason,
                Some(DenyReason::ExplicitDenyIdentity | DenyReason::ExplicitDenyResource)
            ),
            "{s:?}"
        );

        // Deny in the session policy.
        let mut s = base.clone();
        let deny = *rng.pick(IDENTITY_DENIES);
        match &mut s.session {
            Some(list) => insert(list, &mut rng, deny),
            None => s.session = Some(vec![deny]),
        }
        assert_eq!(s.evaluate().decision, Decision::ExplicitDeny, "{s:?}");
        checked += 3;
    }
    assert_eq!(checked, 4500);
}

#[test]
fn adding_allows_never_lifts_an_explicit_deny() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut explicit = 0;
    for _ in 0..1500 {
        let base = Scenario::generate(&mut rng);
        let before = base.evaluate();
        if before.decision != Decision::ExplicitDeny {
            continue;
        }
        explicit += 1;
        let mut s = base.clone();
        s.identity
            .push(vec![r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#]);
        match &mut s.resource {
            Some(list) => list.push(RESOURCE_STATEMENTS[0]),
            None => s.resource = Some(vec![RESOURCE_STATEMENTS[0]]),
        }
        if let Some(list) = &mut s.session {
            list.push(SESSION_STATEMENTS[0]);
        }
        assert_eq!(s.evaluate(), before, "{s:?}");
    }
    // The generator must actually produce explicit denies for this to mean anything.
    assert!(explicit > 100, "only {explicit} explicit denies generated");
}

#[test]
fn without_any_policy_everything_is_implicitly_denied() {
    let mut rng = Rng(42);
    for _ in 0..200 {
        let mut s = Scenario::generate(&mut rng);
        s.identity.clear();
        s.resource = None;
        s.session = None;
        let e = s.evaluate();
        assert_eq!(e.decision, Decision::ImplicitDeny, "{s:?}");
    }
}
