//! IAM: users, access keys, inline and managed policies, roles and groups.
//!
//! Every operation follows the same three steps:
//!
//! 1. **Authorize** `iam:<Action>` on the ARN of the entity acted on, as the IAM service
//!    authorization reference defines it (users, roles and groups for most actions; the policy
//!    for GetPolicy, GetPolicyVersion and DeletePolicy), with the request's own condition keys
//!    (`aws:RequestTag/*` and `aws:TagKeys` when tags are given, `iam:PolicyARN` for
//!    Attach/Detach). IAM is global: the account is always the caller's (`ctx.account_id`), and
//!    the region plays no part.
//! 2. Call the domain ([`crate::iam::Iam`]).
//! 3. Shape the result as IAM does: dates via [`ts`], policy documents URL-encoded (RFC 3986),
//!    and `IsTruncated`/`Marker` for paged lists.
//!
//! # The ARN an action is authorized against
//!
//! An existing user, role or group is looked up (one read, nothing changed) so that the
//! decision sees its real ARN, path included, and its tags (`aws:ResourceTag/*`): a policy
//! scoped to `arn:aws:iam::*:user/division_abc/*` works as on AWS, and the denial message
//! names the ARN AWS would. An entity that does not exist is authorized as
//! `arn:aws:iam::{account}:user/{name}` (path `/`), so a caller who may not act on it learns
//! nothing about whether it exists: they get `AccessDenied` either way. Creates use the path
//! of the request.
//!
//! The list actions that have no resource type in the authorization reference name the
//! resource as AWS's denial messages do: ListUsers `arn:aws:iam::{account}:user{PathPrefix}`,
//! ListRoles `arn:aws:iam::{account}:role{PathPrefix}`, and ListPolicies `policy path
//! {PathPrefix}` (which only `"Resource": "*"` matches, as on AWS).

use cofre_api::iam::{
    AccessKey, AccessKeyMetadata, AddUserToGroupRequest, AddUserToGroupResponse,
    AttachGroupPolicyRequest, AttachGroupPolicyResponse, AttachRolePolicyRequest,
    AttachRolePolicyResponse, AttachUserPolicyRequest, AttachUserPolicyResponse, AttachedPolicy,
    CreateAccessKeyRequest, CreateAccessKeyResponse, CreateGroupRequest, CreateGroupResponse,
    CreatePolicyRequest, CreatePolicyResponse, CreateRoleRequest, CreateRoleResponse,
    CreateUserRequest, CreateUserResponse, DeleteAccessKeyRequest, DeleteAccessKeyResponse,
    DeleteGroupPolicyRequest, DeleteGroupPolicyResponse, DeleteGroupRequest, DeleteGroupResponse,
    DeletePolicyRequest, DeletePolicyResponse, DeleteRolePolicyRequest, DeleteRolePolicyResponse,
    DeleteRoleRequest, DeleteRoleResponse, DeleteUserPolicyRequest, DeleteUserPolicyResponse,
    DeleteUserRequest, DeleteUserResponse, DetachGroupPolicyRequest, DetachGroupPolicyResponse,
    DetachRolePolicyRequest, DetachRolePolicyResponse, DetachUserPolicyRequest,
    DetachUserPolicyResponse, GetGroupRequest, GetGroupResponse, GetPolicyRequest,
    GetPolicyResponse, GetPolicyVersionRequest, GetPolicyVersionResponse, GetRolePolicyRequest,
    GetRolePolicyResponse, GetRoleRequest, GetRoleResponse, GetUserPolicyRequest,
    GetUserPolicyResponse, GetUserRequest, GetUserResponse, Group, ListAccessKeysRequest,
    ListAccessKeysResponse, ListAttachedRolePoliciesRequest, ListAttachedRolePoliciesResponse,
    ListAttachedUserPoliciesRequest, ListAttachedUserPoliciesResponse, ListGroupsForUserRequest,
    ListGroupsForUserResponse, ListPoliciesRequest, ListPoliciesResponse, ListRolePoliciesRequest,
    ListRolePoliciesResponse, ListRolesRequest, ListRolesResponse, ListUserPoliciesRequest,
    ListUserPoliciesResponse, ListUserTagsRequest, ListUserTagsResponse, ListUsersRequest,
    ListUsersResponse, Policy, PolicyVersion, PutGroupPolicyRequest, PutGroupPolicyResponse,
    PutRolePolicyRequest, PutRolePolicyResponse, PutUserPolicyRequest, PutUserPolicyResponse,
    RemoveUserFromGroupRequest, RemoveUserFromGroupResponse, Role, RoleLastUsed, Tag,
    TagRoleRequest, TagRoleResponse, TagUserRequest, TagUserResponse, UntagRoleRequest,
    UntagRoleResponse, UntagUserRequest, UntagUserResponse, UpdateAccessKeyRequest,
    UpdateAccessKeyResponse, UpdateAssumeRolePolicyRequest, UpdateAssumeRolePolicyResponse, User,
};
use cofre_api::{CallerKind, Context, QueryError};
use cofre_policy::ContextKeys;

use super::ts;
use crate::authz::ResourceFacts;
use crate::iam::error::NO_SUCH_ENTITY;
use crate::iam::{self as domain, AccessKeyStatus, Page, Paged, PolicyScope};
use crate::Service;

/// AWS's answer (`ValidationError`) to an operation whose `UserName` may be left out, called
/// without one by a principal that is not an IAM user.
pub(crate) const NON_USER_CREDENTIALS: &str =
    "Must specify userName when calling with non-User credentials";

/// What a request acts on, for the authorization decision.
#[derive(Debug)]
struct Target {
    /// The resource ARN (or AWS's pseudo-resource for list actions).
    arn: String,
    /// The resource's tags (`aws:ResourceTag/*`, `iam:ResourceTag/*`).
    tags: Vec<domain::Tag>,
    /// The entity's name as stored (its case may differ from the request's), if it exists.
    name: Option<String>,
}

impl Target {
    /// A resource without tags.
    fn new(arn: String) -> Self {
        Self {
            arn,
            tags: Vec::new(),
            name: None,
        }
    }
}

/// `arn:aws:iam::{account}:{kind}{path}{name}` in the caller's account.
fn iam_arn(ctx: &Context, kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{}:{kind}{path}{name}", ctx.account_id)
}

/// A member the model requires. The wire layer rejects requests without it before they get
/// here; this answers the same `ValidationError` to any other caller.
fn required(value: Option<String>, field: &str) -> Result<String, QueryError> {
    value.ok_or_else(|| {
        QueryError::validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy \
             constraint: Member must not be null"
        ))
    })
}

/// The user an operation with an optional `UserName` acts on: the named one, else the calling
/// IAM user. Root and role sessions must name a user (Cofre keeps no IAM record for the root
/// user, so root's own access keys are not managed here).
fn user_or_caller(ctx: &Context, user_name: Option<String>) -> Result<String, QueryError> {
    match (user_name, &ctx.caller.kind) {
        (Some(name), _) => Ok(name),
        (None, CallerKind::User { name, .. }) => Ok(name.clone()),
        (None, _) => Err(QueryError::validation(NON_USER_CREDENTIALS)),
    }
}

/// Paging input from `Marker`/`MaxItems`. Out-of-range `MaxItems` is left for the domain to
/// reject with AWS's message (the wire layer already enforces 1–1000).
fn page(marker: Option<String>, max_items: Option<i64>) -> Page {
    Page {
        marker,
        max_items: max_items.map(|v| i32::try_from(v).unwrap_or(if v < 0 { 0 } else { i32::MAX })),
    }
}

/// Wire tags to domain tags (the wire layer has checked both members are present).
fn domain_tags(tags: Option<Vec<Tag>>) -> Vec<domain::Tag> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| domain::Tag::new(t.key.unwrap_or_default(), t.value.unwrap_or_default()))
        .collect()
}

/// Domain tags to wire tags; none at all is left out, as IAM does.
fn wire_tags(tags: Vec<domain::Tag>) -> Option<Vec<Tag>> {
    (!tags.is_empty()).then(|| {
        tags.into_iter()
            .map(|t| Tag {
                key: Some(t.key),
                value: Some(t.value),
            })
            .collect()
    })
}

/// `aws:RequestTag/{key}` for each tag and `aws:TagKeys`, for a request that carries tags.
fn request_tag_keys(tags: &[domain::Tag]) -> ContextKeys {
    let mut keys = ContextKeys::default();
    if !tags.is_empty() {
        for t in tags {
            keys.insert(&format!("aws:RequestTag/{}", t.key), t.value.clone());
        }
        keys.insert_many("aws:TagKeys", tags.iter().map(|t| t.key.clone()).collect());
    }
    keys
}

/// `iam:PolicyARN`, for Attach/Detach.
fn policy_arn_keys(arn: &str) -> ContextKeys {
    let mut keys = ContextKeys::default();
    keys.insert("iam:PolicyARN", arn.to_owned());
    keys
}

/// Percent-encodes a policy document the way IAM returns documents ("URL-encoded compliant
/// with RFC 3986"): every byte of the UTF-8 text except the unreserved characters
/// `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper-case hex).
pub(crate) fn url_encode(doc: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(doc.len() * 3);
    for &b in doc.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Which response a user, role or policy appears in: IAM's list operations return a subset of
/// the attributes (no tags, no description of a policy, no `RoleLastUsed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// CreateUser/CreateRole/CreatePolicy.
    Created,
    /// GetUser/GetRole/GetPolicy.
    Get,
    /// ListUsers/ListRoles/ListPolicies and GetGroup's members.
    Listed,
}

fn wire_user(u: domain::User, shape: Shape) -> User {
    User {
        path: Some(u.path),
        user_name: Some(u.user_name),
        user_id: Some(u.user_id),
        arn: Some(u.arn),
        create_date: Some(ts(u.create_date_ms)),
        tags: match shape {
            Shape::Listed => None,
            Shape::Created | Shape::Get => wire_tags(u.tags),
        },
        ..Default::default()
    }
}

fn wire_role(r: domain::Role, shape: Shape) -> Role {
    Role {
        path: Some(r.path),
        role_name: Some(r.role_name),
        role_id: Some(r.role_id),
        arn: Some(r.arn),
        create_date: Some(ts(r.create_date_ms)),
        assume_role_policy_document: Some(url_encode(&r.assume_role_policy_document)),
        description: r.description,
        max_session_duration: Some(r.max_session_duration),
        tags: match shape {
            Shape::Listed => None,
            Shape::Created | Shape::Get => wire_tags(r.tags),
        },
        // GetRole always has the element (empty while the role was never used).
        role_last_used: (shape == Shape::Get).then(RoleLastUsed::default),
        ..Default::default()
    }
}

fn wire_group(g: domain::Group) -> Group {
    Group {
        path: Some(g.path),
        group_name: Some(g.group_name),
        group_id: Some(g.group_id),
        arn: Some(g.arn),
        create_date: Some(ts(g.create_date_ms)),
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn wire_policy(p: domain::ManagedPolicy, shape: Shape) -> Policy {
    let listed = shape == Shape::Listed;
    Policy {
        policy_name: Some(p.policy_name),
        policy_id: Some(p.policy_id),
        arn: Some(p.arn),
        path: Some(p.path),
        default_version_id: Some(p.default_version_id),
        attachment_count: Some(count(p.attachment_count)),
        permissions_boundary_usage_count: Some(count(p.permissions_boundary_usage_count)),
        is_attachable: Some(p.is_attachable),
        description: if listed { None } else { p.description },
        create_date: Some(ts(p.create_date_ms)),
        update_date: Some(ts(p.update_date_ms)),
        tags: if listed { None } else { wire_tags(p.tags) },
    }
}

fn wire_attached(items: Vec<domain::AttachedPolicy>) -> Vec<AttachedPolicy> {
    items
        .into_iter()
        .map(|a| AttachedPolicy {
            policy_name: Some(a.policy_name),
            policy_arn: Some(a.policy_arn),
        })
        .collect()
}

/// `IsTruncated` and `Marker` of a page, with its items converted by `f`.
fn paged<T, U>(p: Paged<T>, f: impl FnMut(T) -> U) -> (Vec<U>, Option<bool>, Option<String>) {
    (
        p.items.into_iter().map(f).collect(),
        Some(p.is_truncated),
        p.marker,
    )
}

impl Service {
    /// Decides `action` (`iam:...`) on `target` in the caller's account.
    async fn authorize_iam(
        &self,
        ctx: &Context,
        action: &str,
        target: &Target,
        keys: ContextKeys,
    ) -> Result<(), QueryError> {
        let facts = ResourceFacts {
            arn: target.arn.clone(),
            account: Some(ctx.account_id.clone()),
            tags: target
                .tags
                .iter()
                .map(|t| (t.key.as_str(), t.value.as_str()))
                .collect(),
            policy: None,
        };
        self.decide(ctx, action, &facts, keys).await?;
        Ok(())
    }

    /// The user `name` as a resource: its real ARN and tags, or `user/{name}` if it does not
    /// exist.
    async fn user_target(&self, ctx: &Context, name: &str) -> Result<Target, QueryError> {
        match self.iam.get_user(&ctx.account_id, name).await {
            Ok(u) => Ok(Target {
                arn: u.arn,
                tags: u.tags,
                name: Some(u.user_name),
            }),
            Err(e) if e.code == NO_SUCH_ENTITY => Ok(Target::new(iam_arn(ctx, "user", "/", name))),
            Err(e) => Err(e.into()),
        }
    }

    /// The role `name` as a resource (see [`Self::user_target`]).
    async fn role_target(&self, ctx: &Context, name: &str) -> Result<Target, QueryError> {
        match self.iam.get_role(&ctx.account_id, name).await {
            Ok(r) => Ok(Target {
                arn: r.arn,
                tags: r.tags,
                name: Some(r.role_name),
            }),
            Err(e) if e.code == NO_SUCH_ENTITY => Ok(Target::new(iam_arn(ctx, "role", "/", name))),
            Err(e) => Err(e.into()),
        }
    }

    /// The group `name` as a resource (groups have no tags).
    async fn group_target(&self, ctx: &Context, name: &str) -> Result<Target, QueryError> {
        // The domain's GetGroup also lists the members; only the group's own record is
        // needed here.
        let group = self
            .iam
            .entity::<domain::model::GroupRecord>(&ctx.account_id, name)
            .await?;
        Ok(match group {
            Some(g) => Target {
                arn: g.rec.arn,
                tags: Vec::new(),
                name: Some(g.rec.group_name),
            },
            None => Target::new(iam_arn(ctx, "group", "/", name)),
        })
    }

    /// The managed policy `arn` as a resource, with its tags when it exists.
    async fn policy_target(&self, ctx: &Context, arn: &str) -> Result<Target, QueryError> {
        match self.iam.get_policy(&ctx.account_id, arn).await {
            Ok(p) => Ok(Target {
                arn: arn.to_owned(),
                tags: p.tags,
                name: Some(p.policy_name),
            }),
            Err(e) if e.code == NO_SUCH_ENTITY => Ok(Target::new(arn.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// GetUser without `UserName`, called by the account root: the root "user" as IAM
    /// describes it (account id as `UserId`, the root ARN, no name or path).
    async fn get_root_user(&self, ctx: &Context) -> Result<GetUserResponse, QueryError> {
        self.authorize_iam(
            ctx,
            "iam:GetUser",
            &Target::new(ctx.caller.arn.clone()),
            ContextKeys::default(),
        )
        .await?;
        let created = self
            .iam
            .list_accounts()
            .await?
            .into_iter()
            .find(|a| a.account_id == ctx.account_id)
            .map(|a| ts(a.create_date_ms));
        Ok(GetUserResponse {
            user: Some(User {
                user_id: Some(ctx.account_id.clone()),
                arn: Some(ctx.caller.arn.clone()),
                create_date: created,
                ..Default::default()
            }),
        })
    }
}

#[async_trait::async_trait]
impl cofre_api::Iam for Service {
    // ---- users ----------------------------------------------------------------------------

    async fn create_user(
        &self,
        ctx: &Context,
        input: CreateUserRequest,
    ) -> Result<CreateUserResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let tags = domain_tags(input.tags);
        let target = Target::new(iam_arn(ctx, "user", &path, &name));
        self.authorize_iam(ctx, "iam:CreateUser", &target, request_tag_keys(&tags))
            .await?;
        if input.permissions_boundary.is_some() {
            return Err(no_permissions_boundaries());
        }
        let user = self
            .iam
            .create_user(&ctx.account_id, &name, Some(&path), tags)
            .await?;
        Ok(CreateUserResponse {
            user: Some(wire_user(user, Shape::Created)),
        })
    }

    async fn get_user(
        &self,
        ctx: &Context,
        input: GetUserRequest,
    ) -> Result<GetUserResponse, QueryError> {
        if input.user_name.is_none() && matches!(ctx.caller.kind, CallerKind::Root) {
            return self.get_root_user(ctx).await;
        }
        let name = user_or_caller(ctx, input.user_name)?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:GetUser", &target, ContextKeys::default())
            .await?;
        let user = self.iam.get_user(&ctx.account_id, &name).await?;
        Ok(GetUserResponse {
            user: Some(wire_user(user, Shape::Get)),
        })
    }

    async fn list_users(
        &self,
        ctx: &Context,
        input: ListUsersRequest,
    ) -> Result<ListUsersResponse, QueryError> {
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        let target = Target::new(iam_arn(ctx, "user", prefix, ""));
        self.authorize_iam(ctx, "iam:ListUsers", &target, ContextKeys::default())
            .await?;
        let p = self
            .iam
            .list_users(
                &ctx.account_id,
                input.path_prefix.as_deref(),
                &page(input.marker, input.max_items),
            )
            .await?;
        let (users, is_truncated, marker) = paged(p, |u| wire_user(u, Shape::Listed));
        Ok(ListUsersResponse {
            users: Some(users),
            is_truncated,
            marker,
        })
    }

    async fn delete_user(
        &self,
        ctx: &Context,
        input: DeleteUserRequest,
    ) -> Result<DeleteUserResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DeleteUser", &target, ContextKeys::default())
            .await?;
        self.iam.delete_user(&ctx.account_id, &name).await?;
        Ok(DeleteUserResponse {})
    }

    async fn tag_user(
        &self,
        ctx: &Context,
        input: TagUserRequest,
    ) -> Result<TagUserResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let tags = domain_tags(input.tags);
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:TagUser", &target, request_tag_keys(&tags))
            .await?;
        self.iam.tag_user(&ctx.account_id, &name, &tags).await?;
        Ok(TagUserResponse {})
    }

    async fn untag_user(
        &self,
        ctx: &Context,
        input: UntagUserRequest,
    ) -> Result<UntagUserResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let tag_keys = input.tag_keys.unwrap_or_default();
        let target = self.user_target(ctx, &name).await?;
        let mut keys = ContextKeys::default();
        keys.insert_many("aws:TagKeys", tag_keys.clone());
        self.authorize_iam(ctx, "iam:UntagUser", &target, keys)
            .await?;
        self.iam
            .untag_user(&ctx.account_id, &name, &tag_keys)
            .await?;
        Ok(UntagUserResponse {})
    }

    async fn list_user_tags(
        &self,
        ctx: &Context,
        input: ListUserTagsRequest,
    ) -> Result<ListUserTagsResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:ListUserTags", &target, ContextKeys::default())
            .await?;
        let p = self
            .iam
            .list_user_tags(&ctx.account_id, &name, &page(input.marker, input.max_items))
            .await?;
        let (tags, is_truncated, marker) = paged(p, |t| Tag {
            key: Some(t.key),
            value: Some(t.value),
        });
        Ok(ListUserTagsResponse {
            tags: Some(tags),
            is_truncated,
            marker,
        })
    }

    // ---- access keys ----------------------------------------------------------------------

    async fn create_access_key(
        &self,
        ctx: &Context,
        input: CreateAccessKeyRequest,
    ) -> Result<CreateAccessKeyResponse, QueryError> {
        let name = user_or_caller(ctx, input.user_name)?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:CreateAccessKey", &target, ContextKeys::default())
            .await?;
        let key = self
            .iam
            .create_access_key(self.keys.root(), &ctx.account_id, &name)
            .await?;
        // The secret is shown this once; it moves from one zeroizing buffer to the next.
        let secret = String::from_utf8_lossy(key.secret_access_key.expose()).into_owned();
        Ok(CreateAccessKeyResponse {
            access_key: Some(AccessKey {
                user_name: Some(key.user_name.clone()),
                access_key_id: Some(key.access_key_id.clone()),
                status: Some(key.status.as_str().to_owned()),
                secret_access_key: Some(secret.into()),
                create_date: Some(ts(key.create_date_ms)),
            }),
        })
    }

    async fn list_access_keys(
        &self,
        ctx: &Context,
        input: ListAccessKeysRequest,
    ) -> Result<ListAccessKeysResponse, QueryError> {
        let name = user_or_caller(ctx, input.user_name)?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:ListAccessKeys", &target, ContextKeys::default())
            .await?;
        let p = self
            .iam
            .list_access_keys(&ctx.account_id, &name, &page(input.marker, input.max_items))
            .await?;
        let (keys, is_truncated, marker) = paged(p, |k| AccessKeyMetadata {
            user_name: Some(k.user_name),
            access_key_id: Some(k.access_key_id),
            status: Some(k.status.as_str().to_owned()),
            create_date: Some(ts(k.create_date_ms)),
        });
        Ok(ListAccessKeysResponse {
            access_key_metadata: Some(keys),
            is_truncated,
            marker,
        })
    }

    async fn update_access_key(
        &self,
        ctx: &Context,
        input: UpdateAccessKeyRequest,
    ) -> Result<UpdateAccessKeyResponse, QueryError> {
        let name = user_or_caller(ctx, input.user_name)?;
        let id = required(input.access_key_id, "accessKeyId")?;
        let status = required(input.status, "status")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:UpdateAccessKey", &target, ContextKeys::default())
            .await?;
        // The model also lists `Expired`, which no user key can be set to.
        let status = AccessKeyStatus::parse(&status).ok_or_else(|| {
            QueryError::validation(format!(
                "1 validation error detected: Value '{status}' at 'status' failed to satisfy \
                 constraint: Member must satisfy enum value set: [Active, Inactive]"
            ))
        })?;
        self.iam
            .update_access_key(&ctx.account_id, &name, &id, status)
            .await?;
        Ok(UpdateAccessKeyResponse {})
    }

    async fn delete_access_key(
        &self,
        ctx: &Context,
        input: DeleteAccessKeyRequest,
    ) -> Result<DeleteAccessKeyResponse, QueryError> {
        let name = user_or_caller(ctx, input.user_name)?;
        let id = required(input.access_key_id, "accessKeyId")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DeleteAccessKey", &target, ContextKeys::default())
            .await?;
        self.iam
            .delete_access_key(&ctx.account_id, &name, &id)
            .await?;
        Ok(DeleteAccessKeyResponse {})
    }

    // ---- user inline policies -------------------------------------------------------------

    async fn put_user_policy(
        &self,
        ctx: &Context,
        input: PutUserPolicyRequest,
    ) -> Result<PutUserPolicyResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let policy = required(input.policy_name, "policyName")?;
        let doc = required(input.policy_document, "policyDocument")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:PutUserPolicy", &target, ContextKeys::default())
            .await?;
        self.iam
            .put_user_policy(&ctx.account_id, &name, &policy, &doc)
            .await?;
        Ok(PutUserPolicyResponse {})
    }

    async fn get_user_policy(
        &self,
        ctx: &Context,
        input: GetUserPolicyRequest,
    ) -> Result<GetUserPolicyResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let policy = required(input.policy_name, "policyName")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:GetUserPolicy", &target, ContextKeys::default())
            .await?;
        let doc = self
            .iam
            .get_user_policy(&ctx.account_id, &name, &policy)
            .await?;
        Ok(GetUserPolicyResponse {
            // The stored name: lookups ignore case, so the request's may differ.
            user_name: Some(target.name.unwrap_or(name)),
            policy_name: Some(policy),
            policy_document: Some(url_encode(&doc)),
        })
    }

    async fn delete_user_policy(
        &self,
        ctx: &Context,
        input: DeleteUserPolicyRequest,
    ) -> Result<DeleteUserPolicyResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let policy = required(input.policy_name, "policyName")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DeleteUserPolicy", &target, ContextKeys::default())
            .await?;
        self.iam
            .delete_user_policy(&ctx.account_id, &name, &policy)
            .await?;
        Ok(DeleteUserPolicyResponse {})
    }

    async fn list_user_policies(
        &self,
        ctx: &Context,
        input: ListUserPoliciesRequest,
    ) -> Result<ListUserPoliciesResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:ListUserPolicies", &target, ContextKeys::default())
            .await?;
        let p = self
            .iam
            .list_user_policies(&ctx.account_id, &name, &page(input.marker, input.max_items))
            .await?;
        let (names, is_truncated, marker) = paged(p, |n| n);
        Ok(ListUserPoliciesResponse {
            policy_names: Some(names),
            is_truncated,
            marker,
        })
    }

    // ---- managed policies -----------------------------------------------------------------

    async fn create_policy(
        &self,
        ctx: &Context,
        input: CreatePolicyRequest,
    ) -> Result<CreatePolicyResponse, QueryError> {
        let name = required(input.policy_name, "policyName")?;
        let doc = required(input.policy_document, "policyDocument")?;
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let tags = domain_tags(input.tags);
        let target = Target::new(iam_arn(ctx, "policy", &path, &name));
        self.authorize_iam(ctx, "iam:CreatePolicy", &target, request_tag_keys(&tags))
            .await?;
        let policy = self
            .iam
            .create_policy(
                &ctx.account_id,
                domain::CreatePolicy {
                    policy_name: name,
                    path: Some(path),
                    policy_document: doc,
                    description: input.description,
                    tags,
                },
            )
            .await?;
        Ok(CreatePolicyResponse {
            policy: Some(wire_policy(policy, Shape::Created)),
        })
    }

    async fn get_policy(
        &self,
        ctx: &Context,
        input: GetPolicyRequest,
    ) -> Result<GetPolicyResponse, QueryError> {
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.policy_target(ctx, &arn).await?;
        self.authorize_iam(ctx, "iam:GetPolicy", &target, ContextKeys::default())
            .await?;
        let policy = self.iam.get_policy(&ctx.account_id, &arn).await?;
        Ok(GetPolicyResponse {
            policy: Some(wire_policy(policy, Shape::Get)),
        })
    }

    async fn get_policy_version(
        &self,
        ctx: &Context,
        input: GetPolicyVersionRequest,
    ) -> Result<GetPolicyVersionResponse, QueryError> {
        let arn = required(input.policy_arn, "policyArn")?;
        let version = required(input.version_id, "versionId")?;
        let target = self.policy_target(ctx, &arn).await?;
        self.authorize_iam(ctx, "iam:GetPolicyVersion", &target, ContextKeys::default())
            .await?;
        let v = self
            .iam
            .get_policy_version(&ctx.account_id, &arn, &version)
            .await?;
        Ok(GetPolicyVersionResponse {
            policy_version: Some(PolicyVersion {
                document: Some(url_encode(&v.document)),
                version_id: Some(v.version_id),
                is_default_version: Some(v.is_default_version),
                create_date: Some(ts(v.create_date_ms)),
            }),
        })
    }

    async fn list_policies(
        &self,
        ctx: &Context,
        input: ListPoliciesRequest,
    ) -> Result<ListPoliciesResponse, QueryError> {
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        let target = Target::new(format!("policy path {prefix}"));
        self.authorize_iam(ctx, "iam:ListPolicies", &target, ContextKeys::default())
            .await?;
        let scope = match input.scope.as_deref() {
            Some("AWS") => PolicyScope::Aws,
            Some("Local") => PolicyScope::Local,
            _ => PolicyScope::All,
        };
        let page = page(input.marker, input.max_items);
        let p = if input.policy_usage_filter.as_deref() == Some("PermissionsBoundary") {
            // No policy is ever used as a permissions boundary in Cofre; the domain still
            // checks the paging input and the prefix.
            let mut p = self
                .iam
                .list_policies(
                    &ctx.account_id,
                    scope,
                    false,
                    input.path_prefix.as_deref(),
                    &page,
                )
                .await?;
            p.items.clear();
            p.is_truncated = false;
            p.marker = None;
            p
        } else {
            self.iam
                .list_policies(
                    &ctx.account_id,
                    scope,
                    input.only_attached.unwrap_or(false),
                    input.path_prefix.as_deref(),
                    &page,
                )
                .await?
        };
        let (policies, is_truncated, marker) = paged(p, |p| wire_policy(p, Shape::Listed));
        Ok(ListPoliciesResponse {
            policies: Some(policies),
            is_truncated,
            marker,
        })
    }

    async fn delete_policy(
        &self,
        ctx: &Context,
        input: DeletePolicyRequest,
    ) -> Result<DeletePolicyResponse, QueryError> {
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.policy_target(ctx, &arn).await?;
        self.authorize_iam(ctx, "iam:DeletePolicy", &target, ContextKeys::default())
            .await?;
        self.iam.delete_policy(&ctx.account_id, &arn).await?;
        Ok(DeletePolicyResponse {})
    }

    async fn attach_user_policy(
        &self,
        ctx: &Context,
        input: AttachUserPolicyRequest,
    ) -> Result<AttachUserPolicyResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:AttachUserPolicy", &target, policy_arn_keys(&arn))
            .await?;
        self.iam
            .attach_user_policy(&ctx.account_id, &name, &arn)
            .await?;
        Ok(AttachUserPolicyResponse {})
    }

    async fn detach_user_policy(
        &self,
        ctx: &Context,
        input: DetachUserPolicyRequest,
    ) -> Result<DetachUserPolicyResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DetachUserPolicy", &target, policy_arn_keys(&arn))
            .await?;
        self.iam
            .detach_user_policy(&ctx.account_id, &name, &arn)
            .await?;
        Ok(DetachUserPolicyResponse {})
    }

    async fn list_attached_user_policies(
        &self,
        ctx: &Context,
        input: ListAttachedUserPoliciesRequest,
    ) -> Result<ListAttachedUserPoliciesResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(
            ctx,
            "iam:ListAttachedUserPolicies",
            &target,
            ContextKeys::default(),
        )
        .await?;
        let p = self
            .iam
            .list_attached_user_policies(
                &ctx.account_id,
                &name,
                input.path_prefix.as_deref(),
                &page(input.marker, input.max_items),
            )
            .await?;
        Ok(ListAttachedUserPoliciesResponse {
            is_truncated: Some(p.is_truncated),
            marker: p.marker,
            attached_policies: Some(wire_attached(p.items)),
        })
    }

    async fn attach_role_policy(
        &self,
        ctx: &Context,
        input: AttachRolePolicyRequest,
    ) -> Result<AttachRolePolicyResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:AttachRolePolicy", &target, policy_arn_keys(&arn))
            .await?;
        self.iam
            .attach_role_policy(&ctx.account_id, &name, &arn)
            .await?;
        Ok(AttachRolePolicyResponse {})
    }

    async fn detach_role_policy(
        &self,
        ctx: &Context,
        input: DetachRolePolicyRequest,
    ) -> Result<DetachRolePolicyResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DetachRolePolicy", &target, policy_arn_keys(&arn))
            .await?;
        self.iam
            .detach_role_policy(&ctx.account_id, &name, &arn)
            .await?;
        Ok(DetachRolePolicyResponse {})
    }

    async fn list_attached_role_policies(
        &self,
        ctx: &Context,
        input: ListAttachedRolePoliciesRequest,
    ) -> Result<ListAttachedRolePoliciesResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(
            ctx,
            "iam:ListAttachedRolePolicies",
            &target,
            ContextKeys::default(),
        )
        .await?;
        let p = self
            .iam
            .list_attached_role_policies(
                &ctx.account_id,
                &name,
                input.path_prefix.as_deref(),
                &page(input.marker, input.max_items),
            )
            .await?;
        Ok(ListAttachedRolePoliciesResponse {
            is_truncated: Some(p.is_truncated),
            marker: p.marker,
            attached_policies: Some(wire_attached(p.items)),
        })
    }

    async fn attach_group_policy(
        &self,
        ctx: &Context,
        input: AttachGroupPolicyRequest,
    ) -> Result<AttachGroupPolicyResponse, QueryError> {
        let name = required(input.group_name, "groupName")?;
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.group_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:AttachGroupPolicy", &target, policy_arn_keys(&arn))
            .await?;
        self.iam
            .attach_group_policy(&ctx.account_id, &name, &arn)
            .await?;
        Ok(AttachGroupPolicyResponse {})
    }

    async fn detach_group_policy(
        &self,
        ctx: &Context,
        input: DetachGroupPolicyRequest,
    ) -> Result<DetachGroupPolicyResponse, QueryError> {
        let name = required(input.group_name, "groupName")?;
        let arn = required(input.policy_arn, "policyArn")?;
        let target = self.group_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DetachGroupPolicy", &target, policy_arn_keys(&arn))
            .await?;
        self.iam
            .detach_group_policy(&ctx.account_id, &name, &arn)
            .await?;
        Ok(DetachGroupPolicyResponse {})
    }

    // ---- roles ----------------------------------------------------------------------------

    async fn create_role(
        &self,
        ctx: &Context,
        input: CreateRoleRequest,
    ) -> Result<CreateRoleResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let trust = required(
            input.assume_role_policy_document,
            "assumeRolePolicyDocument",
        )?;
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let tags = domain_tags(input.tags);
        let target = Target::new(iam_arn(ctx, "role", &path, &name));
        self.authorize_iam(ctx, "iam:CreateRole", &target, request_tag_keys(&tags))
            .await?;
        if input.permissions_boundary.is_some() {
            return Err(no_permissions_boundaries());
        }
        let role = self
            .iam
            .create_role(
                &ctx.account_id,
                domain::CreateRole {
                    role_name: name,
                    path: Some(path),
                    assume_role_policy_document: trust,
                    description: input.description,
                    max_session_duration: input.max_session_duration,
                    tags,
                },
            )
            .await?;
        Ok(CreateRoleResponse {
            role: Some(wire_role(role, Shape::Created)),
        })
    }

    async fn get_role(
        &self,
        ctx: &Context,
        input: GetRoleRequest,
    ) -> Result<GetRoleResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:GetRole", &target, ContextKeys::default())
            .await?;
        let role = self.iam.get_role(&ctx.account_id, &name).await?;
        Ok(GetRoleResponse {
            role: Some(wire_role(role, Shape::Get)),
        })
    }

    async fn list_roles(
        &self,
        ctx: &Context,
        input: ListRolesRequest,
    ) -> Result<ListRolesResponse, QueryError> {
        let prefix = input.path_prefix.as_deref().unwrap_or("/");
        let target = Target::new(iam_arn(ctx, "role", prefix, ""));
        self.authorize_iam(ctx, "iam:ListRoles", &target, ContextKeys::default())
            .await?;
        let p = self
            .iam
            .list_roles(
                &ctx.account_id,
                input.path_prefix.as_deref(),
                &page(input.marker, input.max_items),
            )
            .await?;
        let (roles, is_truncated, marker) = paged(p, |r| wire_role(r, Shape::Listed));
        Ok(ListRolesResponse {
            roles: Some(roles),
            is_truncated,
            marker,
        })
    }

    async fn delete_role(
        &self,
        ctx: &Context,
        input: DeleteRoleRequest,
    ) -> Result<DeleteRoleResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DeleteRole", &target, ContextKeys::default())
            .await?;
        self.iam.delete_role(&ctx.account_id, &name).await?;
        Ok(DeleteRoleResponse {})
    }

    async fn update_assume_role_policy(
        &self,
        ctx: &Context,
        input: UpdateAssumeRolePolicyRequest,
    ) -> Result<UpdateAssumeRolePolicyResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let doc = required(input.policy_document, "policyDocument")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(
            ctx,
            "iam:UpdateAssumeRolePolicy",
            &target,
            ContextKeys::default(),
        )
        .await?;
        self.iam
            .update_assume_role_policy(&ctx.account_id, &name, &doc)
            .await?;
        Ok(UpdateAssumeRolePolicyResponse {})
    }

    async fn tag_role(
        &self,
        ctx: &Context,
        input: TagRoleRequest,
    ) -> Result<TagRoleResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let tags = domain_tags(input.tags);
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:TagRole", &target, request_tag_keys(&tags))
            .await?;
        self.iam.tag_role(&ctx.account_id, &name, &tags).await?;
        Ok(TagRoleResponse {})
    }

    async fn untag_role(
        &self,
        ctx: &Context,
        input: UntagRoleRequest,
    ) -> Result<UntagRoleResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let tag_keys = input.tag_keys.unwrap_or_default();
        let target = self.role_target(ctx, &name).await?;
        let mut keys = ContextKeys::default();
        keys.insert_many("aws:TagKeys", tag_keys.clone());
        self.authorize_iam(ctx, "iam:UntagRole", &target, keys)
            .await?;
        self.iam
            .untag_role(&ctx.account_id, &name, &tag_keys)
            .await?;
        Ok(UntagRoleResponse {})
    }

    async fn put_role_policy(
        &self,
        ctx: &Context,
        input: PutRolePolicyRequest,
    ) -> Result<PutRolePolicyResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let policy = required(input.policy_name, "policyName")?;
        let doc = required(input.policy_document, "policyDocument")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:PutRolePolicy", &target, ContextKeys::default())
            .await?;
        self.iam
            .put_role_policy(&ctx.account_id, &name, &policy, &doc)
            .await?;
        Ok(PutRolePolicyResponse {})
    }

    async fn get_role_policy(
        &self,
        ctx: &Context,
        input: GetRolePolicyRequest,
    ) -> Result<GetRolePolicyResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let policy = required(input.policy_name, "policyName")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:GetRolePolicy", &target, ContextKeys::default())
            .await?;
        let doc = self
            .iam
            .get_role_policy(&ctx.account_id, &name, &policy)
            .await?;
        Ok(GetRolePolicyResponse {
            role_name: Some(target.name.unwrap_or(name)),
            policy_name: Some(policy),
            policy_document: Some(url_encode(&doc)),
        })
    }

    async fn delete_role_policy(
        &self,
        ctx: &Context,
        input: DeleteRolePolicyRequest,
    ) -> Result<DeleteRolePolicyResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let policy = required(input.policy_name, "policyName")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DeleteRolePolicy", &target, ContextKeys::default())
            .await?;
        self.iam
            .delete_role_policy(&ctx.account_id, &name, &policy)
            .await?;
        Ok(DeleteRolePolicyResponse {})
    }

    async fn list_role_policies(
        &self,
        ctx: &Context,
        input: ListRolePoliciesRequest,
    ) -> Result<ListRolePoliciesResponse, QueryError> {
        let name = required(input.role_name, "roleName")?;
        let target = self.role_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:ListRolePolicies", &target, ContextKeys::default())
            .await?;
        let p = self
            .iam
            .list_role_policies(&ctx.account_id, &name, &page(input.marker, input.max_items))
            .await?;
        let (names, is_truncated, marker) = paged(p, |n| n);
        Ok(ListRolePoliciesResponse {
            policy_names: Some(names),
            is_truncated,
            marker,
        })
    }

    // ---- groups ---------------------------------------------------------------------------

    async fn create_group(
        &self,
        ctx: &Context,
        input: CreateGroupRequest,
    ) -> Result<CreateGroupResponse, QueryError> {
        let name = required(input.group_name, "groupName")?;
        let path = input.path.unwrap_or_else(|| "/".to_owned());
        let target = Target::new(iam_arn(ctx, "group", &path, &name));
        self.authorize_iam(ctx, "iam:CreateGroup", &target, ContextKeys::default())
            .await?;
        let group = self
            .iam
            .create_group(&ctx.account_id, &name, Some(&path))
            .await?;
        Ok(CreateGroupResponse {
            group: Some(wire_group(group)),
        })
    }

    async fn get_group(
        &self,
        ctx: &Context,
        input: GetGroupRequest,
    ) -> Result<GetGroupResponse, QueryError> {
        let name = required(input.group_name, "groupName")?;
        let target = self.group_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:GetGroup", &target, ContextKeys::default())
            .await?;
        let (group, members) = self
            .iam
            .get_group(&ctx.account_id, &name, &page(input.marker, input.max_items))
            .await?;
        let (users, is_truncated, marker) = paged(members, |u| wire_user(u, Shape::Listed));
        Ok(GetGroupResponse {
            group: Some(wire_group(group)),
            users: Some(users),
            is_truncated,
            marker,
        })
    }

    async fn delete_group(
        &self,
        ctx: &Context,
        input: DeleteGroupRequest,
    ) -> Result<DeleteGroupResponse, QueryError> {
        let name = required(input.group_name, "groupName")?;
        let target = self.group_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:DeleteGroup", &target, ContextKeys::default())
            .await?;
        self.iam.delete_group(&ctx.account_id, &name).await?;
        Ok(DeleteGroupResponse {})
    }

    async fn add_user_to_group(
        &self,
        ctx: &Context,
        input: AddUserToGroupRequest,
    ) -> Result<AddUserToGroupResponse, QueryError> {
        let group = required(input.group_name, "groupName")?;
        let user = required(input.user_name, "userName")?;
        let target = self.group_target(ctx, &group).await?;
        self.authorize_iam(ctx, "iam:AddUserToGroup", &target, ContextKeys::default())
            .await?;
        self.iam
            .add_user_to_group(&ctx.account_id, &group, &user)
            .await?;
        Ok(AddUserToGroupResponse {})
    }

    async fn remove_user_from_group(
        &self,
        ctx: &Context,
        input: RemoveUserFromGroupRequest,
    ) -> Result<RemoveUserFromGroupResponse, QueryError> {
        let group = required(input.group_name, "groupName")?;
        let user = required(input.user_name, "userName")?;
        let target = self.group_target(ctx, &group).await?;
        self.authorize_iam(
            ctx,
            "iam:RemoveUserFromGroup",
            &target,
            ContextKeys::default(),
        )
        .await?;
        self.iam
            .remove_user_from_group(&ctx.account_id, &group, &user)
            .await?;
        Ok(RemoveUserFromGroupResponse {})
    }

    async fn list_groups_for_user(
        &self,
        ctx: &Context,
        input: ListGroupsForUserRequest,
    ) -> Result<ListGroupsForUserResponse, QueryError> {
        let name = required(input.user_name, "userName")?;
        let target = self.user_target(ctx, &name).await?;
        self.authorize_iam(
            ctx,
            "iam:ListGroupsForUser",
            &target,
            ContextKeys::default(),
        )
        .await?;
        let p = self
            .iam
            .list_groups_for_user(&ctx.account_id, &name, &page(input.marker, input.max_items))
            .await?;
        let (groups, is_truncated, marker) = paged(p, wire_group);
        Ok(ListGroupsForUserResponse {
            groups: Some(groups),
            is_truncated,
            marker,
        })
    }

    async fn put_group_policy(
        &self,
        ctx: &Context,
        input: PutGroupPolicyRequest,
    ) -> Result<PutGroupPolicyResponse, QueryError> {
        let name = required(input.group_name, "groupName")?;
        let policy = required(input.policy_name, "policyName")?;
        let doc = required(input.policy_document, "policyDocument")?;
        let target = self.group_target(ctx, &name).await?;
        self.authorize_iam(ctx, "iam:PutGroupPolicy", &target, ContextKeys::default())
            .await?;
        self.iam
            .put_group_policy(&ctx.account_id, &name, &policy, &doc)
            .await?;
        Ok(PutGroupPolicyResponse {})
    }

    async fn delete_group_policy(
        &self,
        ctx: &Context,
        input: DeleteGroupPolicyRequest,
    ) -> Result<DeleteGroupPolicyResponse, QueryError> {
        let name = required(input.group_name, "groupName")?;
        let policy = required(input.policy_name, "policyName")?;
        let target = self.group_target(ctx, &name).await?;
        self.authorize_iam(
            ctx,
            "iam:DeleteGroupPolicy",
            &target,
            ContextKeys::default(),
        )
        .await?;
        self.iam
            .delete_group_policy(&ctx.account_id, &name, &policy)
            .await?;
        Ok(DeleteGroupPolicyResponse {})
    }
}

/// Permissions boundaries are not implemented; accepting one and ignoring it would grant
/// more than the caller asked for, so the request is refused.
fn no_permissions_boundaries() -> QueryError {
    QueryError::new(
        "InvalidInput",
        400,
        "Cofre does not support permissions boundaries yet.",
    )
}
