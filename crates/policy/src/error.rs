//! [`PolicyError`] and AWS's texts for rejected policy documents.
//!
//! IAM answers a malformed document with `MalformedPolicyDocument` and one of a small set of
//! fixed messages, reporting only the first stage that fails (grammar, then the "legacy"
//! parser, then statement ids, actions, resources, vendors). The texts below are IAM's, as
//! returned by `CreatePolicy` / `PutUserPolicy` / `CreateRole` and quoted in the sources noted
//! on each; Secrets Manager's `PutResourcePolicy` returns the same kind of error as
//! `MalformedPolicyDocumentException`.

/// A policy document that cannot be stored or evaluated, with AWS's message for it (the text
/// of `MalformedPolicyDocument` / `MalformedPolicyDocumentException`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PolicyError {
    /// AWS's message, e.g. `Syntax errors in policy.`.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(message: impl Into<String>) -> PolicyError {
        PolicyError {
            message: message.into(),
        }
    }
}

/// AWS's message texts.
pub mod messages {
    /// Not JSON, an unknown or mistyped element, a bad `Version`, an `Effect` other than
    /// `Allow`/`Deny` in any case, an unknown condition operator, both `Action` and
    /// `NotAction`... (IAM; recorded in moto's IAM policy tests, and in many issue reports of
    /// `MalformedPolicyDocument: Syntax errors in policy.`).
    pub const SYNTAX: &str = "Syntax errors in policy.";
    /// `Effect` in the wrong case (`"allow"`), an unparseable date, a malformed resource ARN
    /// (IAM; hashicorp/terraform#10057 for `"allow"`, moto's recorded cases for the rest).
    pub const LEGACY_PARSING: &str = "The policy failed legacy parsing";
    /// Two statements with the same `Sid` (IAM).
    pub const DUPLICATE_SID: &str = "Statement IDs (SID) in a single policy must be unique.";
    /// A statement with neither `Action` nor `NotAction`, or an empty list (IAM).
    pub const NO_ACTIONS: &str = "Policy statement must contain actions.";
    /// A statement with neither `Resource` nor `NotResource`, or an empty list (IAM;
    /// trussworks/terraform-aws-s3-anti-virus#28).
    pub const NO_RESOURCES: &str = "Policy statement must contain resources.";
    /// An identity-based (or session) policy with `Principal` / `NotPrincipal` (IAM;
    /// hashicorp/terraform#13449, hashicorp/terraform-provider-aws#10419).
    pub const PRINCIPAL_NOT_ALLOWED: &str = "Policy document should not specify a principal.";
    /// A resource-based or trust policy statement without `Principal` / `NotPrincipal`
    /// (S3 bucket policies and the IAM console; humanmade/S3-Uploads#191).
    pub const MISSING_PRINCIPAL: &str = "Missing required field Principal";
    /// A trust policy with a `Resource` element (IAM `CreateRole`;
    /// kubernetes-sigs/external-dns#3085).
    pub const TRUST_RESOURCE: &str = "Has prohibited field Resource";
    /// A trust policy with a `NotResource` element (same form as [`TRUST_RESOURCE`]).
    pub const TRUST_NOT_RESOURCE: &str = "Has prohibited field NotResource";
    /// A trust policy whose actions are not `sts:AssumeRole*`-style actions (IAM `CreateRole`,
    /// as reproduced by LocalStack's IAM provider).
    pub const TRUST_ACTIONS: &str = "AssumeRole policy may only specify STS AssumeRole actions.";
    /// An action without a `service:` prefix (IAM).
    pub const ACTION_NO_VENDOR: &str =
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    /// An action with more than one colon (IAM; garnaat/kappa#111, eksctl-io/eksctl#2794).
    pub const ACTION_COLONS: &str = "Actions/Condition can contain only one colon.";
    /// BlockPublicPolicy refused a policy (Secrets Manager's `PublicPolicyException`, quoted in
    /// the Secrets Manager user guide's `put-resource-policy --block-public-policy` example).
    pub const PUBLIC_POLICY: &str =
        "You can't attach a resource-based policy that allows broad access to the secret.";

    /// `Vendor {vendor} is not valid` (IAM): a service prefix with characters other than
    /// letters, digits, `-` and `.`.
    pub fn invalid_vendor(vendor: &str) -> String {
        format!("Vendor {vendor} is not valid")
    }

    /// `Resource {resource} must be in ARN format or "*".` (IAM).
    pub fn resource_not_arn(resource: &str) -> String {
        format!("Resource {resource} must be in ARN format or \"*\".")
    }

    /// `Partition "{p}" is not valid for resource "arn:{p}:...".` (IAM), the missing components
    /// shown as `*`.
    pub fn invalid_partition(partition: &str, rest: &[&str]) -> String {
        // `rest` is what follows the partition, split on `:` (at least one, possibly empty,
        // element). IAM shows it padded to six components with `*`.
        let first = match rest.first() {
            Some(s) if !s.is_empty() || rest.len() > 1 => *s,
            _ => "*",
        };
        let second = rest.get(1).copied().unwrap_or("*");
        let third = rest.get(2).copied().unwrap_or("*");
        let tail = if rest.len() > 3 {
            rest[3..].join(":")
        } else {
            "*".to_owned()
        };
        format!(
            "Partition \"{partition}\" is not valid for resource \"arn:{partition}:{first}:{second}:{third}:{tail}\"."
        )
    }

    /// A resource `arn:aws` with no service (IAM).
    pub const RESOURCE_VENDOR: &str =
        "Resource vendor must be fully qualified and cannot contain regexes.";

    /// `Invalid principal in policy: "AWS":"{value}"` (IAM; e.g.
    /// aws-actions/configure-aws-credentials#332, databrickslabs/ucx#2269).
    pub fn invalid_principal(kind: &str, value: &str) -> String {
        format!("Invalid principal in policy: \"{kind}\":\"{value}\"")
    }
}
