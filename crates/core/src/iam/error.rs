//! [`IamError`]: the error every IAM and STS operation returns, with AWS's code, HTTP status
//! and message.
//!
//! Codes and statuses come from the AWS models (`../shared/api-models/iam.json` and
//! `sts.json`, `error.code` / `error.httpStatusCode`); `ValidationError` (400) is the common
//! error of the query protocol.
//!
//! # Where the message texts come from
//!
//! AWS does not document IAM's messages. The texts below are the ones real IAM/STS responses
//! show in public error reports (Terraform, CloudFormation and SDK logs), cross-checked with
//! moto (`getmoto/moto` `moto/iam/models.py`, `moto/iam/exceptions.py`):
//!
//! - `NoSuchEntity`: "The user with name X cannot be found." (also role, group; and
//!   RemoveUserFromGroup for a non-member), "The user policy with name X cannot be found."
//!   (also role, group), "The Access Key with id X cannot be found.", "Policy ARN was not
//!   found." (GetPolicy, DeletePolicy, Detach* of an unattached policy), "Policy ARN does not
//!   exist or is not attachable." (Attach*, seen in Terraform logs), "Policy ARN version V does
//!   not exist or is not attachable." (moto's tests, mirroring AWS).
//! - `EntityAlreadyExists`: "User with name X already exists.", "Role with name X already
//!   exists." (moto), "Group with name X already exists." (by analogy; unconfirmed), "A policy
//!   called X already exists. Duplicate names are not allowed." (moto).
//! - `DeleteConflict`: "Cannot delete entity, must delete access keys first." / "… must delete
//!   policies first." / "… must detach all policies first." / "… must remove users from group
//!   first." and "Cannot delete a policy attached to entities." (Terraform and CloudFormation
//!   logs).
//! - `LimitExceeded`: "Cannot exceed quota for Q: N" with `AccessKeysPerUser: 2`,
//!   `PoliciesPerUser: 10` (and `PoliciesPerRole`, `PoliciesPerGroup`), `GroupsPerUser: 10`,
//!   `UsersPerAccount: 5000`, `RolesPerAccount`, `GroupsPerAccount`, `PoliciesPerAccount`,
//!   `PolicySize: 6144`, `ACLSizePerRole: 2048` (Terraform/CloudFormation logs); "Maximum
//!   policy size of 2048 bytes exceeded for user X" (and 10240 / role, 5120 / group; AWS CLI
//!   and Terraform logs); "The number of tags has reached the maximum limit." (emulators'
//!   AWS-compatibility tests; unconfirmed).
//! - `MalformedPolicyDocument`: "Syntax errors in policy." (IAM and STS; CloudFormation logs,
//!   Apache Hadoop's S3A assumed-role troubleshooting guide).
//! - `InvalidInput`: "Duplicate tag keys found. Please note that Tag keys are case
//!   insensitive." (moto `DuplicateTags`).
//! - STS: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
//!   (`ValidationError`; matched verbatim by many AWS client libraries), "Packed policy
//!   consumes N% of allotted space, please use smaller policy." (`PackedPolicyTooLarge`).
//! - `ValidationError` for model constraints: "1 validation error detected: Value 'V' at 'F'
//!   failed to satisfy constraint: Member must …" (AWS's Coral format, as moto reproduces it).
//!
//! No message ever carries a secret: secret access keys and session tokens never reach an
//! error, and store or decoding failures are logged and answered with an opaque
//! `ServiceFailure`.

/// An IAM or STS error as the wire layer sends it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IamError {
    /// AWS's error code, e.g. `NoSuchEntity`.
    pub code: &'static str,
    /// The HTTP status of the error response.
    pub status: u16,
    /// The message, in AWS's words.
    pub message: String,
}

/// `NoSuchEntity` (404).
pub const NO_SUCH_ENTITY: &str = "NoSuchEntity";
/// `EntityAlreadyExists` (409).
pub const ENTITY_ALREADY_EXISTS: &str = "EntityAlreadyExists";
/// `DeleteConflict` (409).
pub const DELETE_CONFLICT: &str = "DeleteConflict";
/// `LimitExceeded` (409).
pub const LIMIT_EXCEEDED: &str = "LimitExceeded";
/// `MalformedPolicyDocument` (400), in both IAM and STS.
pub const MALFORMED_POLICY_DOCUMENT: &str = "MalformedPolicyDocument";
/// `InvalidInput` (400).
pub const INVALID_INPUT: &str = "InvalidInput";
/// `ValidationError` (400), the query protocol's constraint-violation error.
pub const VALIDATION_ERROR: &str = "ValidationError";
/// STS `PackedPolicyTooLarge` (400).
pub const PACKED_POLICY_TOO_LARGE: &str = "PackedPolicyTooLarge";
/// `ConcurrentModification` (409).
pub const CONCURRENT_MODIFICATION: &str = "ConcurrentModification";
/// `ServiceFailure` (500).
pub const SERVICE_FAILURE: &str = "ServiceFailure";

impl IamError {
    /// An error with an explicit code, status and message.
    pub fn new(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
        }
    }

    /// `NoSuchEntity` (404).
    pub fn no_such_entity(message: impl Into<String>) -> Self {
        Self::new(NO_SUCH_ENTITY, 404, message)
    }

    /// `EntityAlreadyExists` (409).
    pub fn entity_already_exists(message: impl Into<String>) -> Self {
        Self::new(ENTITY_ALREADY_EXISTS, 409, message)
    }

    /// `DeleteConflict` (409).
    pub fn delete_conflict(message: impl Into<String>) -> Self {
        Self::new(DELETE_CONFLICT, 409, message)
    }

    /// `LimitExceeded` (409).
    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(LIMIT_EXCEEDED, 409, message)
    }

    /// `MalformedPolicyDocument` (400).
    pub fn malformed_policy_document(message: impl Into<String>) -> Self {
        Self::new(MALFORMED_POLICY_DOCUMENT, 400, message)
    }

    /// `InvalidInput` (400).
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(INVALID_INPUT, 400, message)
    }

    /// `ValidationError` (400).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(VALIDATION_ERROR, 400, message)
    }

    /// STS `PackedPolicyTooLarge` (400).
    pub fn packed_policy_too_large(message: impl Into<String>) -> Self {
        Self::new(PACKED_POLICY_TOO_LARGE, 400, message)
    }

    /// `ConcurrentModification` (409): a record kept changing under a write until the retry
    /// budget ran out. The text is the model's description of the error.
    pub fn concurrent_modification() -> Self {
        Self::new(
            CONCURRENT_MODIFICATION,
            409,
            "The request was rejected because multiple requests to change this object were \
             submitted simultaneously. Wait a few minutes and submit your request again.",
        )
    }

    /// Logs `detail` and returns an opaque `ServiceFailure` (500); the text is the model's
    /// description of the error, so nothing stored can leak through a message.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "iam: internal error");
        Self::new(
            SERVICE_FAILURE,
            500,
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }
}

/// AWS's message texts, in one place.
pub(crate) mod msg {
    /// `Cannot exceed quota for {quota}: {limit}` (`LimitExceeded`).
    pub fn quota(quota: &str, limit: usize) -> String {
        format!("Cannot exceed quota for {quota}: {limit}")
    }

    /// The prefix of every constraint violation the query protocol reports.
    fn one_validation_error(value: &str, field: &str, constraint: &str) -> String {
        format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy \
             constraint: {constraint}"
        )
    }

    /// A string longer than the model allows.
    pub fn too_long(value: &str, field: &str, max: usize) -> String {
        one_validation_error(
            value,
            field,
            &format!("Member must have length less than or equal to {max}"),
        )
    }

    /// A string shorter than the model allows.
    pub fn too_short(value: &str, field: &str, min: usize) -> String {
        one_validation_error(
            value,
            field,
            &format!("Member must have length greater than or equal to {min}"),
        )
    }

    /// A string not matching the model's pattern.
    pub fn pattern(value: &str, field: &str, pattern: &str) -> String {
        one_validation_error(
            value,
            field,
            &format!("Member must satisfy regular expression pattern: {pattern}"),
        )
    }

    /// A number above the model's maximum.
    pub fn value_too_large(value: i64, field: &str, max: i64) -> String {
        one_validation_error(
            &value.to_string(),
            field,
            &format!("Member must have value less than or equal to {max}"),
        )
    }

    /// A number below the model's minimum.
    pub fn value_too_small(value: i64, field: &str, min: i64) -> String {
        one_validation_error(
            &value.to_string(),
            field,
            &format!("Member must have value greater than or equal to {min}"),
        )
    }

    /// `MalformedPolicyDocument` for a document that is not a JSON policy.
    pub const SYNTAX_ERRORS_IN_POLICY: &str = "Syntax errors in policy.";
    /// `InvalidInput` for two tags whose keys differ only in case.
    pub const DUPLICATE_TAG_KEYS: &str =
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.";
    /// `LimitExceeded` when a TagUser/TagRole would leave more than 50 tags.
    pub const TOO_MANY_TAGS: &str = "The number of tags has reached the maximum limit.";
    /// DeleteUser with access keys.
    pub const DELETE_ACCESS_KEYS_FIRST: &str =
        "Cannot delete entity, must delete access keys first.";
    /// DeleteUser/DeleteRole/DeleteGroup with inline policies.
    pub const DELETE_POLICIES_FIRST: &str = "Cannot delete entity, must delete policies first.";
    /// DeleteUser/DeleteRole/DeleteGroup with attached managed policies.
    pub const DETACH_POLICIES_FIRST: &str = "Cannot delete entity, must detach all policies first.";
    /// DeleteUser of a group member, and DeleteGroup of a group with members (AWS uses the
    /// same sentence for both).
    pub const REMOVE_USERS_FROM_GROUP_FIRST: &str =
        "Cannot delete entity, must remove users from group first.";
    /// DeletePolicy of an attached policy.
    pub const POLICY_ATTACHED: &str = "Cannot delete a policy attached to entities.";
    /// AssumeRole asking for more than the role allows.
    pub const DURATION_EXCEEDS_MAX: &str =
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.";

    /// `NoSuchEntity` for a missing user, role or group.
    pub fn entity_not_found(noun: &str, name: &str) -> String {
        format!("The {noun} with name {name} cannot be found.")
    }

    /// `NoSuchEntity` for a missing inline policy.
    pub fn inline_not_found(noun: &str, policy: &str) -> String {
        format!("The {noun} policy with name {policy} cannot be found.")
    }

    /// `NoSuchEntity` for a managed policy ARN that names nothing (GetPolicy, DeletePolicy,
    /// and DetachUserPolicy when the policy is not attached).
    pub fn policy_not_found(arn: &str) -> String {
        format!("Policy {arn} was not found.")
    }

    /// `NoSuchEntity` for AttachUserPolicy naming a policy that does not exist.
    pub fn policy_not_attachable(arn: &str) -> String {
        format!("Policy {arn} does not exist or is not attachable.")
    }

    /// `NoSuchEntity` for GetPolicyVersion naming a version that does not exist.
    pub fn policy_version_not_found(arn: &str, version: &str) -> String {
        format!("Policy {arn} version {version} does not exist or is not attachable.")
    }

    /// `NoSuchEntity` for an access key that does not exist or belongs to another user.
    pub fn access_key_not_found(id: &str) -> String {
        format!("The Access Key with id {id} cannot be found.")
    }

    /// `LimitExceeded` for the aggregate size of an entity's inline policies.
    pub fn inline_policy_too_large(limit: usize, noun: &str, name: &str) -> String {
        format!("Maximum policy size of {limit} bytes exceeded for {noun} {name}")
    }

    /// STS `PackedPolicyTooLarge`.
    pub fn packed_policy(percent: usize) -> String {
        format!("Packed policy consumes {percent}% of allotted space, please use smaller policy.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_model() {
        assert_eq!(IamError::no_such_entity("x").status, 404);
        assert_eq!(IamError::entity_already_exists("x").status, 409);
        assert_eq!(IamError::delete_conflict("x").status, 409);
        assert_eq!(IamError::limit_exceeded("x").status, 409);
        assert_eq!(IamError::malformed_policy_document("x").status, 400);
        assert_eq!(IamError::invalid_input("x").status, 400);
        assert_eq!(IamError::validation("x").status, 400);
        assert_eq!(IamError::packed_policy_too_large("x").status, 400);
        assert_eq!(IamError::concurrent_modification().status, 409);
        let e = IamError::internal("disk on fire: secret=hunter2");
        assert_eq!((e.code, e.status), (SERVICE_FAILURE, 500));
        assert!(!e.message.contains("hunter2"));
    }

    #[test]
    fn validation_messages_have_aws_shape() {
        assert_eq!(
            msg::too_long("x", "userName", 64),
            "1 validation error detected: Value 'x' at 'userName' failed to satisfy \
             constraint: Member must have length less than or equal to 64"
        );
        assert_eq!(
            msg::value_too_small(100, "durationSeconds", 900),
            "1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy \
             constraint: Member must have value greater than or equal to 900"
        );
    }
}
