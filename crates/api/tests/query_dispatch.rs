//! IAM and STS over awsQuery: routing of every generated operation, protocol errors,
//! response bodies compared with AWS's documented examples, and error bodies compared
//! with recorded AWS answers.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod query_support;

use std::sync::Mutex;

use cofre_api::iam::{self, *};
use cofre_api::query::{query_error_from_sig, AWS_FAULT_NAMESPACE};
use cofre_api::sts::{self, *};
use cofre_api::{
    dispatch_iam, dispatch_sts, Context, QueryError, QueryParams, SensitiveString, Timestamp,
};
use query_support::*;
use serde_json::Value;

fn ts(s: &str) -> Timestamp {
    cofre_api::query::time::parse_iso8601(s).unwrap()
}

fn user(path: &str, name: &str, id: &str, created: Option<&str>, last_used: Option<&str>) -> User {
    User {
        path: Some(path.into()),
        user_name: Some(name.into()),
        user_id: Some(id.into()),
        arn: Some(format!("arn:aws:iam::123456789012:user{path}{name}")),
        create_date: created.map(ts),
        password_last_used: last_used.map(ts),
        ..Default::default()
    }
}

/// Answers with AWS's documented example data, built partly from the decoded inputs.
#[derive(Default)]
struct Docs {
    assume_role_input: Mutex<Option<AssumeRoleRequest>>,
}

#[async_trait::async_trait]
impl Iam for Docs {
    async fn create_user(
        &self,
        _ctx: &Context,
        input: CreateUserRequest,
    ) -> Result<CreateUserResponse, QueryError> {
        let path = input.path.unwrap_or_else(|| "/".into());
        Ok(CreateUserResponse {
            user: Some(user(
                &path,
                input.user_name.as_deref().unwrap(),
                "AIDACKCEVSQ6C2EXAMPLE",
                None,
                None,
            )),
        })
    }

    async fn get_user(
        &self,
        _ctx: &Context,
        input: GetUserRequest,
    ) -> Result<GetUserResponse, QueryError> {
        match input.user_name.as_deref() {
            Some("Bob") | None => Ok(GetUserResponse {
                user: Some(user(
                    "/division_abc/subdivision_xyz/",
                    "Bob",
                    "AIDACKCEVSQ6C2EXAMPLE",
                    Some("2013-10-02T17:01:44Z"),
                    Some("2014-10-10T14:37:51Z"),
                )),
            }),
            Some(other) => Err(IamError::NoSuchEntityException
                .with_message(format!("The user with name {other} cannot be found."))),
        }
    }

    async fn list_users(
        &self,
        _ctx: &Context,
        _input: ListUsersRequest,
    ) -> Result<ListUsersResponse, QueryError> {
        let path = "/division_abc/subdivision_xyz/engineering/";
        Ok(ListUsersResponse {
            users: Some(vec![
                user(
                    path,
                    "Andrew",
                    "AID2MAB8DPLSRHEXAMPLE",
                    Some("2012-09-05T19:38:48Z"),
                    Some("2014-09-08T21:47:36Z"),
                ),
                user(
                    path,
                    "Jackie",
                    "AIDIODR4TAW7CSEXAMPLE",
                    Some("2014-04-09T15:43:45Z"),
                    Some("2014-09-24T16:18:07Z"),
                ),
            ]),
            is_truncated: Some(false),
            marker: None,
        })
    }

    async fn get_group(
        &self,
        _ctx: &Context,
        input: GetGroupRequest,
    ) -> Result<GetGroupResponse, QueryError> {
        let users = ["Bob", "Susan"]
            .iter()
            .map(|n| {
                user(
                    "/division_abc/subdivision_xyz/",
                    n,
                    "AIDACKCEVSQ6C2EXAMPLE",
                    None,
                    None,
                )
            })
            .collect();
        Ok(GetGroupResponse {
            group: Some(Group {
                path: Some("/".into()),
                group_name: input.group_name,
                group_id: Some("AGPACKCEVSQ6C2EXAMPLE".into()),
                arn: Some("arn:aws:iam::123456789012:group/Admins".into()),
                create_date: None,
            }),
            users: Some(users),
            is_truncated: Some(false),
            marker: None,
        })
    }

    async fn delete_user(
        &self,
        _ctx: &Context,
        _input: DeleteUserRequest,
    ) -> Result<DeleteUserResponse, QueryError> {
        Ok(DeleteUserResponse {})
    }

    async fn create_access_key(
        &self,
        _ctx: &Context,
        input: CreateAccessKeyRequest,
    ) -> Result<CreateAccessKeyResponse, QueryError> {
        Ok(CreateAccessKeyResponse {
            access_key: Some(AccessKey {
                user_name: input.user_name,
                access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
                status: Some("Active".into()),
                secret_access_key: Some(SensitiveString::from(
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                )),
                create_date: None,
            }),
        })
    }

    async fn list_user_tags(
        &self,
        _ctx: &Context,
        _input: ListUserTagsRequest,
    ) -> Result<ListUserTagsResponse, QueryError> {
        Ok(ListUserTagsResponse {
            tags: Some(vec![]),
            is_truncated: Some(false),
            marker: None,
        })
    }
}

#[async_trait::async_trait]
impl Sts for Docs {
    async fn get_caller_identity(
        &self,
        ctx: &Context,
        _input: GetCallerIdentityRequest,
    ) -> Result<GetCallerIdentityResponse, QueryError> {
        Ok(GetCallerIdentityResponse {
            user_id: Some("AIDACKCEVSQ6C2EXAMPLE".into()),
            account: Some(ctx.account_id.clone()),
            arn: Some(format!("arn:aws:iam::{}:user/Alice", ctx.account_id)),
        })
    }

    async fn assume_role(
        &self,
        _ctx: &Context,
        input: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, QueryError> {
        let source_identity = input.source_identity.clone();
        *self.assume_role_input.lock().unwrap() = Some(input);
        Ok(AssumeRoleResponse {
            credentials: Some(Credentials {
                access_key_id: Some("ASIAIOSFODNN7EXAMPLE".into()),
                secret_access_key: Some(SensitiveString::from(
                    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                )),
                session_token: Some(SESSION_TOKEN.into()),
                expiration: Some(ts("2019-11-09T13:34:41Z")),
            }),
            assumed_role_user: Some(AssumedRoleUser {
                assumed_role_id: Some("ARO123EXAMPLE123:TestAR".into()),
                arn: Some("arn:aws:sts::123456789012:assumed-role/demo/TestAR".into()),
            }),
            packed_policy_size: Some(6),
            source_identity,
            ..Default::default()
        })
    }
}

const SESSION_TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

fn iam_body(svc: &Docs, request_id: &str, query: &str) -> Vec<u8> {
    let params = QueryParams::parse_request(Some(query), b"").unwrap();
    block_on(dispatch_iam(svc, &ctx_with_id(request_id), &params)).unwrap()
}

fn sts_body(svc: &Docs, request_id: &str, body: &str) -> Vec<u8> {
    let params = QueryParams::parse(body.as_bytes()).unwrap();
    block_on(dispatch_sts(svc, &ctx_with_id(request_id), &params)).unwrap()
}

const IAM_REQ: &str = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE";

// ------------------------------------------------------------------ documented examples

#[test]
fn create_user_matches_the_api_reference_example() {
    let body = iam_body(
        &Docs::default(),
        IAM_REQ,
        "Action=CreateUser&Path=/division_abc/subdivision_xyz/&UserName=Bob&Version=2010-05-08",
    );
    assert_same_xml(
        &body,
        r#"<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <CreateUserResult>
    <User>
      <Path>/division_abc/subdivision_xyz/</Path>
      <UserName>Bob</UserName>
      <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
      <Arn>arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob</Arn>
    </User>
  </CreateUserResult>
  <ResponseMetadata>
    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
  </ResponseMetadata>
</CreateUserResponse>"#,
    );
    // And the exact layout: AWS's indentation, model member order.
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "<CreateUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  \
         <CreateUserResult>\n    <User>\n      <Path>/division_abc/subdivision_xyz/</Path>\n      \
         <UserName>Bob</UserName>\n      <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>\n      \
         <Arn>arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob</Arn>\n    \
         </User>\n  </CreateUserResult>\n  <ResponseMetadata>\n    \
         <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>\n  </ResponseMetadata>\n\
         </CreateUserResponse>\n"
    );
}

#[test]
fn list_users_matches_the_api_reference_example() {
    let body = iam_body(
        &Docs::default(),
        IAM_REQ,
        "Action=ListUsers&PathPrefix=/division_abc/subdivision_xyz/product_1234/engineering/&Version=2010-05-08",
    );
    assert_same_xml(
        &body,
        r#"<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
 <ListUsersResult>
    <Users>
       <member>
          <UserId>AID2MAB8DPLSRHEXAMPLE</UserId>
          <Path>/division_abc/subdivision_xyz/engineering/</Path>
          <UserName>Andrew</UserName>
          <Arn>arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/engineering/Andrew</Arn>
          <CreateDate>2012-09-05T19:38:48Z</CreateDate>
          <PasswordLastUsed>2014-09-08T21:47:36Z</PasswordLastUsed>
       </member>
       <member>
          <UserId>AIDIODR4TAW7CSEXAMPLE</UserId>
          <Path>/division_abc/subdivision_xyz/engineering/</Path>
          <UserName>Jackie</UserName>
          <Arn>arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/engineering/Jackie</Arn>
          <CreateDate>2014-04-09T15:43:45Z</CreateDate>
          <PasswordLastUsed>2014-09-24T16:18:07Z</PasswordLastUsed>
       </member>
    </Users>
    <IsTruncated>false</IsTruncated>
 </ListUsersResult>
 <ResponseMetadata>
    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
 </ResponseMetadata>
</ListUsersResponse>"#,
    );
}

#[test]
fn get_user_and_get_group_match_the_api_reference_examples() {
    let body = iam_body(
        &Docs::default(),
        IAM_REQ,
        "Action=GetUser&UserName=Bob&Version=2010-05-08",
    );
    assert_same_xml(
        &body,
        r#"<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetUserResult>
    <User>
      <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
      <Path>/division_abc/subdivision_xyz/</Path>
      <UserName>Bob</UserName>
      <Arn>arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob</Arn>
      <CreateDate>2013-10-02T17:01:44Z</CreateDate>
      <PasswordLastUsed>2014-10-10T14:37:51Z</PasswordLastUsed>
    </User>
  </GetUserResult>
  <ResponseMetadata>
    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
  </ResponseMetadata>
</GetUserResponse>"#,
    );
    let body = iam_body(
        &Docs::default(),
        IAM_REQ,
        "Action=GetGroup&GroupName=Admins&Version=2010-05-08",
    );
    assert_same_xml(
        &body,
        r#"<GetGroupResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
 <GetGroupResult>
    <Group>
       <Path>/</Path>
       <GroupName>Admins</GroupName>
       <GroupId>AGPACKCEVSQ6C2EXAMPLE</GroupId>
       <Arn>arn:aws:iam::123456789012:group/Admins</Arn>
    </Group>
    <Users>
       <member>
          <Path>/division_abc/subdivision_xyz/</Path>
          <UserName>Bob</UserName>
          <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
          <Arn>
          arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Bob
          </Arn>
       </member>
       <member>
          <Path>/division_abc/subdivision_xyz/</Path>
          <UserName>Susan</UserName>
          <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
          <Arn>
          arn:aws:iam::123456789012:user/division_abc/subdivision_xyz/Susan
          </Arn>
       </member>
    </Users>
    <IsTruncated>false</IsTruncated>
 </GetGroupResult>
 <ResponseMetadata>
    <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
 </ResponseMetadata>
</GetGroupResponse>"#,
    );
}

#[test]
fn get_caller_identity_matches_the_api_reference_example() {
    let body = sts_body(
        &Docs::default(),
        "01234567-89ab-cdef-0123-456789abcdef",
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    assert_same_xml(
        &body,
        r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
  <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
  <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
  <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>"#,
    );
}

#[test]
fn assume_role_matches_the_api_reference_example() {
    let svc = Docs::default();
    let body = sts_body(
        &svc,
        "c6104cbe-af31-11e0-8154-cbc7ccf896c7",
        &form(&[
            ("Version", "2011-06-15"),
            ("Action", "AssumeRole"),
            ("RoleSessionName", "testAR"),
            ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::123456789012:policy/demopolicy1",
            ),
            (
                "PolicyArns.member.2.arn",
                "arn:aws:iam::123456789012:policy/demopolicy2",
            ),
            ("Policy", "{\"Version\":\"2012-10-17\"}"),
            ("DurationSeconds", "3600"),
            ("Tags.member.1.Key", "Project"),
            ("Tags.member.1.Value", "Pegasus"),
            ("TransitiveTagKeys.member.1", "Project"),
            ("ExternalId", "123ABC"),
            ("SourceIdentity", "Alice"),
        ]),
    );
    assert_same_xml(
        &body,
        r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
  <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>
       AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW
       LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGd
       QrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU
       9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz
       +scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==
      </SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>"#,
    );
    let input = svc.assume_role_input.lock().unwrap().take().unwrap();
    assert_eq!(
        input.policy.as_deref(),
        Some("{\"Version\":\"2012-10-17\"}")
    );
    assert_eq!(input.policy_arns.unwrap().len(), 2);
}

#[test]
fn operations_without_output_have_only_response_metadata() {
    let body = iam_body(
        &Docs::default(),
        "r-9",
        "Action=DeleteUser&UserName=Bob&Version=2010-05-08",
    );
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "<DeleteUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  \
         <ResponseMetadata>\n    <RequestId>r-9</RequestId>\n  </ResponseMetadata>\n\
         </DeleteUserResponse>\n"
    );
}

#[test]
fn sensitive_outputs_are_written_and_empty_lists_self_close() {
    let body = iam_body(
        &Docs::default(),
        "r",
        "Action=CreateAccessKey&UserName=Bob&Version=2010-05-08",
    );
    let text = String::from_utf8(body).unwrap();
    assert!(text
        .contains("<SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"));
    let body = iam_body(
        &Docs::default(),
        "r",
        "Action=ListUserTags&UserName=Bob&Version=2010-05-08",
    );
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("<ListUserTagsResult>\n    <Tags/>\n    <IsTruncated>false</IsTruncated>\n  </ListUserTagsResult>"), "{text}");
}

// ----------------------------------------------------------------------- routing

/// A valid value for each required member of the generated operations.
fn valid_value(member: &str) -> Vec<(String, String)> {
    let one = |v: &str| vec![(member.to_owned(), v.to_owned())];
    match member {
        "UserName" => one("alice"),
        "GroupName" => one("admins"),
        "RoleName" => one("deployer"),
        "PolicyName" => one("inline-1"),
        "PolicyArn" => one("arn:aws:iam::123456789012:policy/p"),
        "PolicyDocument" | "AssumeRolePolicyDocument" => one("{\"Version\":\"2012-10-17\"}"),
        "AccessKeyId" => one("AKIAIOSFODNN7EXAMPLE"),
        "Status" => one("Inactive"),
        "VersionId" => one("v1"),
        "RoleArn" => one("arn:aws:iam::123456789012:role/demo"),
        "RoleSessionName" => one("session-1"),
        "Tags" => vec![
            ("Tags.member.1.Key".into(), "k".into()),
            ("Tags.member.1.Value".into(), "v".into()),
        ],
        "TagKeys" => vec![("TagKeys.member.1".into(), "k".into())],
        other => panic!("no valid value for required member {other}: extend the test"),
    }
}

/// A valid request body for `op` of the service `model`: its required members only.
fn minimal_body(model: &Value, op: &str, version: &str) -> String {
    let input = model["operations"][op]["input"]["shape"].as_str().unwrap();
    let mut pairs = vec![
        ("Action".to_owned(), op.to_owned()),
        ("Version".to_owned(), version.to_owned()),
    ];
    if let Some(required) = model["shapes"][input]["required"].as_array() {
        for m in required {
            pairs.extend(valid_value(m.as_str().unwrap()));
        }
    }
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    form(&pairs)
}

#[test]
fn every_iam_operation_routes() {
    assert_eq!(IamOperation::ALL.len(), 47);
    let model = model("iam.json");
    for op in IamOperation::ALL {
        assert_eq!(IamOperation::from_action(op.name()), Some(op));
        assert_eq!(op.to_string(), op.name());
        let body = minimal_body(&model, op.name(), iam::API_VERSION);
        let err = call_iam(&Unimplemented, &body).expect_err("Unimplemented never succeeds");
        assert_eq!(
            err,
            QueryError::not_implemented(op.name()),
            "{op}: {body} was not routed to its method"
        );
        assert_eq!((err.status, &*err.code), (400, "InvalidInput"));
        let errors: Vec<&str> = model["operations"][op.name()]["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e["shape"].as_str().unwrap()).collect())
            .unwrap_or_default();
        let ours: Vec<&str> = op.errors().iter().map(|e| model_error_shape(*e)).collect();
        assert_eq!(ours, errors, "{op}");
    }
    assert_eq!(IamOperation::from_action("createUser"), None);
    assert_eq!(
        IamOperation::from_action("ListGroups"),
        None,
        "not generated"
    );
}

fn model_error_shape(e: IamError) -> &'static str {
    // Variants are named after their model shapes.
    IamError::ALL
        .iter()
        .position(|x| *x == e)
        .map(|i| IAM_ERROR_SHAPES[i])
        .unwrap()
}

const IAM_ERROR_SHAPES: [&str; 10] = [
    "ConcurrentModificationException",
    "DeleteConflictException",
    "EntityAlreadyExistsException",
    "InvalidInputException",
    "LimitExceededException",
    "MalformedPolicyDocumentException",
    "NoSuchEntityException",
    "PolicyNotAttachableException",
    "ServiceFailureException",
    "UnmodifiableEntityException",
];

#[test]
fn every_sts_operation_routes() {
    assert_eq!(StsOperation::ALL.len(), 2);
    let model = model("sts.json");
    for op in StsOperation::ALL {
        assert_eq!(StsOperation::from_action(op.name()), Some(op));
        let body = minimal_body(&model, op.name(), sts::API_VERSION);
        let err = call_sts(&Unimplemented, &body).unwrap_err();
        assert_eq!(err, QueryError::not_implemented(op.name()), "{op}");
    }
    assert_eq!(
        StsOperation::from_action("GetSessionToken"),
        None,
        "not generated"
    );
}

#[test]
fn modelled_errors_carry_the_model_codes_and_statuses() {
    let iam_model = model("iam.json");
    for (i, e) in IamError::ALL.iter().enumerate() {
        let shape = &iam_model["shapes"][IAM_ERROR_SHAPES[i]]["error"];
        assert_eq!(e.code(), shape["code"].as_str().unwrap());
        assert_eq!(
            i64::from(e.status()),
            shape["httpStatusCode"].as_i64().unwrap()
        );
        assert_eq!(
            e.sender_fault(),
            shape["senderFault"].as_bool().unwrap_or(false)
        );
    }
    let expected = [
        (IamError::NoSuchEntityException, "NoSuchEntity", 404, true),
        (
            IamError::EntityAlreadyExistsException,
            "EntityAlreadyExists",
            409,
            true,
        ),
        (
            IamError::DeleteConflictException,
            "DeleteConflict",
            409,
            true,
        ),
        (IamError::LimitExceededException, "LimitExceeded", 409, true),
        (
            IamError::MalformedPolicyDocumentException,
            "MalformedPolicyDocument",
            400,
            true,
        ),
        (IamError::InvalidInputException, "InvalidInput", 400, true),
        (
            IamError::ServiceFailureException,
            "ServiceFailure",
            500,
            false,
        ),
    ];
    for (e, code, status, sender) in expected {
        let q = e.with_message("m");
        assert_eq!((&*q.code, q.status, q.sender_fault), (code, status, sender));
    }
    let sts_expected = [
        (
            StsError::MalformedPolicyDocumentException,
            "MalformedPolicyDocument",
            400,
        ),
        (
            StsError::PackedPolicyTooLargeException,
            "PackedPolicyTooLarge",
            400,
        ),
        (
            StsError::RegionDisabledException,
            "RegionDisabledException",
            403,
        ),
        (
            StsError::ExpiredTokenException,
            "ExpiredTokenException",
            400,
        ),
    ];
    assert_eq!(StsError::ALL.len(), 4);
    for (e, code, status) in sts_expected {
        let q = QueryError::from(e);
        assert_eq!(
            (&*q.code, q.status, q.sender_fault, q.message.as_str()),
            (code, status, true, "")
        );
    }
}

#[test]
fn routing_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "Version=2010-05-08&UserName=a",
            "MissingAction",
            "The request must contain the parameter Action",
        ),
        (
            "Action=ListGroups&Version=2010-05-08",
            "InvalidAction",
            "Could not find operation ListGroups for version 2010-05-08",
        ),
        (
            "Action=GetUser",
            "InvalidAction",
            "Could not find operation GetUser for version NO_VERSION_SPECIFIED",
        ),
        (
            "Action=GetUser&Version=2011-06-15",
            "InvalidAction",
            "Could not find operation GetUser for version 2011-06-15",
        ),
        (
            "Action=GetUser&Version=",
            "InvalidAction",
            "Could not find operation GetUser for version ",
        ),
        // Routing comes before decoding: nonsense members do not matter.
        (
            "Action=Nope&Version=2010-05-08&MaxItems=abc",
            "InvalidAction",
            "Could not find operation Nope for version 2010-05-08",
        ),
    ];
    for (body, code, message) in cases {
        let err = call_iam(&Unimplemented, body).unwrap_err();
        assert_eq!(
            (&*err.code, err.status, err.message.as_str()),
            (*code, 400, *message),
            "{body}"
        );
        let xml = String::from_utf8(iam::error_body(&err, "r")).unwrap();
        assert!(
            xml.starts_with(&format!("<ErrorResponse xmlns=\"{AWS_FAULT_NAMESPACE}\">")),
            "{xml}"
        );
    }
    let err = call_sts(
        &Unimplemented,
        "Action=GetCallerIdentity&Version=2010-05-08",
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "Could not find operation GetCallerIdentity for version 2010-05-08"
    );
    // First value wins (live STS).
    assert!(call_sts(
        &Docs::default(),
        "Action=GetCallerIdentity&Action=Nope&Version=2011-06-15"
    )
    .is_ok());
    assert_eq!(
        call_sts(
            &Docs::default(),
            "Action=Nope&Action=GetCallerIdentity&Version=2011-06-15"
        )
        .unwrap_err()
        .code,
        "InvalidAction"
    );
}

#[test]
fn get_requests_carry_parameters_in_the_query_string() {
    let params =
        QueryParams::parse_request(Some("Action=GetUser&Version=2010-05-08&UserName=Bob"), b"")
            .unwrap();
    let body = block_on(dispatch_iam(&Docs::default(), &ctx(), &params)).unwrap();
    assert!(String::from_utf8(body)
        .unwrap()
        .contains("<UserName>Bob</UserName>"));
}

// ------------------------------------------------------------------- error bodies

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn validation_error_body_matches_recorded_iam_answer() {
    // NixOS/nixops#328: IAM's answer to CreateRole with a 67-character role name.
    let name = "charon-31f85414-3f74-11e5-b275-f23c91ae92d9-DynamoReadOnlyPermission";
    let err = iam_error(
        "CreateRole",
        &[("RoleName", name), ("AssumeRolePolicyDocument", "{}")],
    );
    assert_eq!(err.status, 400);
    assert_eq!(
        text(iam::error_body(
            &err,
            "21df0503-40ff-11e5-a422-e51fd6279686"
        )),
        format!(
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  <Error>\n    \
             <Type>Sender</Type>\n    <Code>ValidationError</Code>\n    <Message>1 validation \
             error detected: Value '{name}' at 'roleName' failed to satisfy constraint: Member \
             must have length less than or equal to 64</Message>\n  </Error>\n  \
             <RequestId>21df0503-40ff-11e5-a422-e51fd6279686</RequestId>\n</ErrorResponse>\n"
        )
    );
}

#[test]
fn service_errors_become_error_bodies() {
    let err = call_iam(
        &Docs::default(),
        "Action=GetUser&UserName=bob&Version=2010-05-08",
    )
    .unwrap_err();
    assert_eq!(err.status, 404);
    assert_eq!(
        text(iam::error_body(&err, "r-1")),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  <Error>\n    \
         <Type>Sender</Type>\n    <Code>NoSuchEntity</Code>\n    <Message>The user with name bob \
         cannot be found.</Message>\n  </Error>\n  <RequestId>r-1</RequestId>\n</ErrorResponse>\n"
    );
}

#[test]
fn signature_error_bodies_match_recorded_answers() {
    // aws-azure-login/aws-azure-login#251 (STS, 403).
    let err = query_error_from_sig(
        "UnrecognizedClientException",
        "The security token included in the request is invalid".into(),
    );
    assert_eq!(err.status, 403);
    assert_eq!(
        text(sts::error_body(
            &err,
            "16fc956c-311e-4199-bee1-1680236e9698"
        )),
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
         <Type>Sender</Type>\n    <Code>InvalidClientTokenId</Code>\n    <Message>The security \
         token included in the request is invalid</Message>\n  </Error>\n  \
         <RequestId>16fc956c-311e-4199-bee1-1680236e9698</RequestId>\n</ErrorResponse>\n"
    );
    // amzn/selling-partner-api-docs#3081 (STS, 403).
    let err = query_error_from_sig(
        "MissingAuthenticationTokenException",
        "Missing Authentication Token".into(),
    );
    assert_eq!(err.status, 403);
    assert_eq!(
        text(sts::error_body(
            &err,
            "89b682e5-ac18-4fac-a917-2155723ed59b"
        )),
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
         <Type>Sender</Type>\n    <Code>MissingAuthenticationToken</Code>\n    <Message>Request is \
         missing Authentication Token</Message>\n  </Error>\n  \
         <RequestId>89b682e5-ac18-4fac-a917-2155723ed59b</RequestId>\n</ErrorResponse>\n"
    );
    // cfn-sphere/cfn-sphere#55 (IAM, 403 Forbidden).
    let err = query_error_from_sig(
        "ExpiredTokenException",
        "The security token included in the request is expired".into(),
    );
    assert_eq!(err.status, 403);
    assert_same_xml(
        &iam::error_body(&err, "689b4496-ca92-11e5-9a31-4932678efe5c"),
        r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error>
    <Type>Sender</Type>
    <Code>ExpiredToken</Code>
    <Message>The security token included in the request is expired</Message>
  </Error>
  <RequestId>689b4496-ca92-11e5-9a31-4932678efe5c</RequestId>
</ErrorResponse>"#,
    );
    let err = query_error_from_sig(
        "InvalidSignatureException",
        "Signature expired: 20220127T001427Z is now earlier than 20220127T014428Z (20220127T015928Z - 15 min.)".into(),
    );
    assert_eq!((&*err.code, err.status), ("SignatureDoesNotMatch", 403));
}

#[test]
fn access_denied_body() {
    let err = QueryError::not_authorized(
        "arn:aws:iam::123456789012:user/Bob",
        "iam:GetUser",
        "arn:aws:iam::123456789012:user/Bob",
        None,
    );
    assert_same_xml(
        &iam::error_body(&err, IAM_REQ),
        r#"<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/Bob is not authorized to perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/Bob</Message>
  </Error>
  <RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId>
</ErrorResponse>"#,
    );
    assert_eq!(err.status, 403);
}
