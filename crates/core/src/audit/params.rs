//! What of a request and a response may be recorded: an allow-list of members per
//! operation. Anything not listed — above all secret values, passwords, plaintexts, data
//! keys, secret access keys and session tokens — never reaches a record. An operation
//! without a list records `requestParameters: null`.

use serde_json::{Map, Value};

use super::record::{EventSource, RequestInput};

/// CloudTrail's resource type of a secret.
pub(crate) const SECRET_TYPE: &str = "AWS::SecretsManager::Secret";
const KMS_KEY_TYPE: &str = "AWS::KMS::Key";

/// The request members an operation's record may carry (wire names).
fn request_allow_list(source: EventSource, op: &str) -> Option<&'static [&'static str]> {
    use EventSource::*;
    Some(match (source, op) {
        (SecretsManager, "CreateSecret") => &[
            "Name",
            "Description",
            "KmsKeyId",
            "ClientRequestToken",
            "Tags",
            "AddReplicaRegions",
            "ForceOverwriteReplicaSecret",
        ],
        (SecretsManager, "GetSecretValue") => &["SecretId", "VersionId", "VersionStage"],
        (SecretsManager, "PutSecretValue") => &["SecretId", "ClientRequestToken", "VersionStages"],
        (SecretsManager, "UpdateSecret") => {
            &["SecretId", "ClientRequestToken", "Description", "KmsKeyId"]
        }
        (
            SecretsManager,
            "DescribeSecret" | "RestoreSecret" | "GetResourcePolicy" | "DeleteResourcePolicy",
        ) => &["SecretId"],
        (SecretsManager, "DeleteSecret") => &[
            "SecretId",
            "RecoveryWindowInDays",
            "ForceDeleteWithoutRecovery",
        ],
        (SecretsManager, "TagResource") => &["SecretId", "Tags"],
        (SecretsManager, "UntagResource") => &["SecretId", "TagKeys"],
        (SecretsManager, "GetRandomPassword") => &[
            "PasswordLength",
            "ExcludeCharacters",
            "ExcludeNumbers",
            "ExcludePunctuation",
            "ExcludeUppercase",
            "ExcludeLowercase",
            "IncludeSpace",
            "RequireEachIncludedType",
        ],
        (SecretsManager, "BatchGetSecretValue") => {
            &["SecretIdList", "Filters", "MaxResults", "NextToken"]
        }
        (SecretsManager, "ListSecrets") => &[
            "MaxResults",
            "NextToken",
            "Filters",
            "SortOrder",
            "IncludePlannedDeletion",
        ],
        (SecretsManager, "ListSecretVersionIds") => {
            &["SecretId", "MaxResults", "NextToken", "IncludeDeprecated"]
        }
        (SecretsManager, "UpdateSecretVersionStage") => &[
            "SecretId",
            "VersionStage",
            "RemoveFromVersionId",
            "MoveToVersionId",
        ],
        (SecretsManager, "PutResourcePolicy") => {
            &["SecretId", "ResourcePolicy", "BlockPublicPolicy"]
        }
        (SecretsManager, "ValidateResourcePolicy") => &["SecretId", "ResourcePolicy"],
        (SecretsManager, "RotateSecret") => &[
            "SecretId",
            "ClientRequestToken",
            "RotationLambdaARN",
            "RotationRules",
            "RotateImmediately",
        ],
        (SecretsManager, "CancelRotateSecret") => &["SecretId"],
        // KMS: never Plaintext, CiphertextBlob or key material.
        (Kms, _) => &[
            "KeyId",
            "Description",
            "KeyUsage",
            "KeySpec",
            "CustomerMasterKeySpec",
            "Origin",
            "MultiRegion",
            "Tags",
            "TagKeys",
            "AliasName",
            "TargetKeyId",
            "EncryptionContext",
            "EncryptionAlgorithm",
            "GrantTokens",
            "NumberOfBytes",
            "PendingWindowInDays",
            "RotationPeriodInDays",
            "SourceKeyId",
            "DestinationKeyId",
            "SourceEncryptionContext",
            "DestinationEncryptionContext",
            "PolicyName",
            "Policy",
            "BypassPolicyLockoutSafetyCheck",
            "Limit",
            "Marker",
        ],
        // IAM: never Password/NewPassword/OldPassword; keys' secrets are only in responses.
        (Iam, _) => &[
            "UserName",
            "NewUserName",
            "RoleName",
            "GroupName",
            "Path",
            "NewPath",
            "PathPrefix",
            "PolicyArn",
            "PolicyName",
            "PolicyDocument",
            "AssumeRolePolicyDocument",
            "PermissionsBoundary",
            "AccessKeyId",
            "Status",
            "Description",
            "MaxSessionDuration",
            "VersionId",
            "SetAsDefault",
            "Marker",
            "MaxItems",
        ],
        // STS: never TokenCode (an MFA code).
        (Sts, _) => &[
            "RoleArn",
            "RoleSessionName",
            "DurationSeconds",
            "ExternalId",
            "Policy",
            "SerialNumber",
            "SourceIdentity",
        ],
        (
            Admin,
            "CreateAccount" | "ListAccounts" | "GetAccountRootKey" | "RotateAccountRootKey",
        ) => &["AccountId", "AccountName", "Name"],
        (Admin, "CreateRotationFunction" | "ListRotationFunctions" | "DeleteRotationFunction") => {
            &["AccountId", "Region", "Name", "Kind", "TimeoutSeconds"]
        }
        _ => return None,
    })
}

/// The response members a write's record may carry (wire names); reads record none.
fn response_allow_list(source: EventSource, op: &str) -> &'static [&'static str] {
    match (source, op) {
        (EventSource::SecretsManager, "CreateSecret" | "UpdateSecret") => {
            &["ARN", "Name", "VersionId"]
        }
        (EventSource::SecretsManager, "PutSecretValue") => {
            &["ARN", "Name", "VersionId", "VersionStages"]
        }
        (EventSource::SecretsManager, "DeleteSecret") => &["ARN", "Name", "DeletionDate"],
        (EventSource::Kms, "CreateKey") => &["KeyMetadata"],
        (EventSource::Kms, "ScheduleKeyDeletion") => {
            &["KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"]
        }
        (
            EventSource::SecretsManager,
            "RestoreSecret"
            | "UpdateSecretVersionStage"
            | "PutResourcePolicy"
            | "DeleteResourcePolicy",
        ) => &["ARN", "Name"],
        (EventSource::SecretsManager, "RotateSecret" | "CancelRotateSecret") => {
            &["ARN", "Name", "VersionId"]
        }
        _ => &[],
    }
}

/// The request as a flat JSON object (awsQuery values stay strings), or `None`.
pub(crate) fn request_object(
    source: EventSource,
    op: &str,
    request: RequestInput<'_>,
) -> Option<Map<String, Value>> {
    let allowed = request_allow_list(source, op)?;
    match request {
        RequestInput::Json(body) => {
            let mut de = serde_json::Deserializer::from_slice(body);
            serde::de::DeserializeSeed::deserialize(AllowedMembers(allowed), &mut de).ok()
        }
        RequestInput::Query(params) => Some(
            allowed
                .iter()
                .filter_map(|k| params.get(k).map(|v| ((*k).to_owned(), Value::from(v))))
                .collect(),
        ),
        RequestInput::None => None,
    }
}

/// Deserializes a JSON object keeping only allow-listed members. The others are skipped
/// with `IgnoredAny`, which scans them without copying: a secret value in the request is
/// never copied into a (non-zeroizing) `String` here.
struct AllowedMembers(&'static [&'static str]);

impl<'de> serde::de::DeserializeSeed<'de> for AllowedMembers {
    type Value = Map<String, Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for AllowedMembers {
    type Value = Map<String, Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.0.contains(&key.as_str()) {
                out.insert(key, map.next_value::<Value>()?);
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

/// The members of a successful JSON answer a record may use; everything else (secret
/// values, KMS plaintexts, ciphertexts) is skipped without being copied.
#[derive(serde::Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct ResponseFacts {
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_stages: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_date: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_window_in_days: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_metadata: Option<KeyMetadataFacts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_values: Option<Vec<BatchEntry>>,
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct KeyMetadataFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct BatchEntry {
    #[serde(rename = "ARN", skip_serializing_if = "Option::is_none")]
    arn: Option<String>,
    #[serde(rename = "VersionId", skip_serializing_if = "Option::is_none")]
    version_id: Option<String>,
}

/// The safe facts of a successful JSON answer, as a JSON object.
pub(crate) fn response_facts(body: &[u8]) -> Option<Value> {
    let facts: ResponseFacts = serde_json::from_slice(body).ok()?;
    serde_json::to_value(facts).ok()
}

/// `requestParameters`: the allow-listed members, with CloudTrail's camelCase names.
pub(crate) fn request_parameters(
    _source: EventSource,
    _op: &str,
    request: &Option<Map<String, Value>>,
) -> Value {
    match request {
        None => Value::Null,
        Some(map) => Value::Object(map.iter().map(|(k, v)| (camel(k), v.clone())).collect()),
    }
}

/// `responseElements` of a write: the allow-listed members, or null.
pub(crate) fn response_elements(source: EventSource, op: &str, response: Option<&Value>) -> Value {
    let allowed = response_allow_list(source, op);
    match response {
        Some(Value::Object(map)) if !allowed.is_empty() => Value::Object(
            map.iter()
                .filter(|(k, _)| allowed.contains(&k.as_str()))
                .map(|(k, v)| (camel(k), v.clone()))
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// The resources a call touched: (type, ARN or name) pairs.
pub(crate) fn resources(
    source: EventSource,
    request: &Option<Map<String, Value>>,
    response: Option<&Value>,
) -> Vec<(String, String)> {
    let req = |k: &str| {
        request
            .as_ref()
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let resp = |k: &str| response.and_then(|r| r.get(k)).and_then(Value::as_str);
    let mut out = Vec::new();
    let mut push = |kind: &str, name: Option<String>| {
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            if !out.iter().any(|(t, n)| t == kind && *n == name) {
                out.push((kind.to_owned(), name));
            }
        }
    };
    match source {
        EventSource::SecretsManager => {
            push(SECRET_TYPE, resp("ARN").map(str::to_owned));
            push(SECRET_TYPE, req("SecretId").or_else(|| req("Name")));
        }
        EventSource::Kms => {
            let meta_arn = response
                .and_then(|r| r.get("KeyMetadata"))
                .and_then(|m| m.get("Arn"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            push(
                KMS_KEY_TYPE,
                meta_arn.or_else(|| resp("KeyId").map(str::to_owned)),
            );
            push(KMS_KEY_TYPE, req("KeyId"));
        }
        EventSource::Iam => {
            push("AWS::IAM::User", req("UserName"));
            push("AWS::IAM::Role", req("RoleName"));
            push("AWS::IAM::Group", req("GroupName"));
            push("AWS::IAM::Policy", req("PolicyArn"));
            push("AWS::IAM::AccessKey", req("AccessKeyId"));
        }
        EventSource::Sts => push("AWS::IAM::Role", req("RoleArn")),
        EventSource::CloudTrail | EventSource::Admin => {}
    }
    out
}

/// The text of the first `<tag>...</tag>` in an awsQuery answer (no nesting or attributes:
/// Cofre's own encoder writes these elements plainly).
fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..end])
}

/// `responseElements` of IAM and STS writes, from the XML answer: identifiers only — never
/// `SecretAccessKey` or `SessionToken`.
pub(crate) fn query_response_elements(source: EventSource, op: &str, xml: &[u8]) -> Value {
    let Ok(xml) = std::str::from_utf8(xml) else {
        return Value::Null;
    };
    let pick = |fields: &[(&str, &str)]| -> Value {
        Value::Object(
            fields
                .iter()
                .filter_map(|(tag, name)| {
                    xml_text(xml, tag).map(|v| ((*name).to_owned(), Value::from(v)))
                })
                .collect(),
        )
    };
    let wrap = |outer: &str, inner: Value| {
        let mut m = Map::new();
        m.insert(outer.to_owned(), inner);
        Value::Object(m)
    };
    match (source, op) {
        (EventSource::Iam, "CreateAccessKey") => wrap(
            "accessKey",
            pick(&[
                ("AccessKeyId", "accessKeyId"),
                ("Status", "status"),
                ("UserName", "userName"),
                ("CreateDate", "createDate"),
            ]),
        ),
        (EventSource::Iam, "CreateUser") => wrap(
            "user",
            pick(&[
                ("UserName", "userName"),
                ("UserId", "userId"),
                ("Arn", "arn"),
                ("Path", "path"),
                ("CreateDate", "createDate"),
            ]),
        ),
        (EventSource::Iam, "CreateRole") => wrap(
            "role",
            pick(&[
                ("RoleName", "roleName"),
                ("RoleId", "roleId"),
                ("Arn", "arn"),
                ("Path", "path"),
                ("CreateDate", "createDate"),
            ]),
        ),
        (EventSource::Sts, "AssumeRole") => {
            let mut m = Map::new();
            m.insert(
                "credentials".into(),
                pick(&[("AccessKeyId", "accessKeyId"), ("Expiration", "expiration")]),
            );
            m.insert(
                "assumedRoleUser".into(),
                pick(&[("AssumedRoleId", "assumedRoleId"), ("Arn", "arn")]),
            );
            Value::Object(m)
        }
        (EventSource::Sts, "GetSessionToken") => wrap(
            "credentials",
            pick(&[("AccessKeyId", "accessKeyId"), ("Expiration", "expiration")]),
        ),
        _ => Value::Null,
    }
}

/// (ARN, VersionId) of each secret a BatchGetSecretValue answer returned.
pub(crate) fn batch_secrets(response: Option<&Value>) -> Vec<(String, Option<String>)> {
    response
        .and_then(|r| r.get("SecretValues"))
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(|v| {
                    let arn = v.get("ARN").and_then(Value::as_str)?;
                    let version = v.get("VersionId").and_then(Value::as_str);
                    Some((arn.to_owned(), version.map(str::to_owned)))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `SecretId` → `secretId`, `ARN` → `aRN` (as CloudTrail spells Secrets Manager's).
fn camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::{build, Call};
    use super::*;

    const VALUE: &str = "hunter2-the-secret-value";

    fn call<'a>(
        source: EventSource,
        op: &'a str,
        body: &'a [u8],
        response: Option<&'a [u8]>,
    ) -> Call<'a> {
        Call {
            source,
            operation: op,
            request: RequestInput::Json(body),
            response,
            response_xml: None,
            error: None,
            ctx: None,
            claimed_access_key_id: Some("AKIAEXAMPLE"),
            fallback_account: "000000000000",
            region: "us-east-1",
            request_id: "req-1",
            source_ip: None,
            user_agent: Some("test"),
            time_ms: 1_700_000_000_000,
        }
    }

    fn records(c: &Call<'_>) -> Vec<Value> {
        build(c)
            .into_iter()
            .map(|p| serde_json::from_slice(&p.row.record).expect("json"))
            .collect()
    }

    #[test]
    fn put_secret_value_never_records_the_value() {
        let body = format!(
            r#"{{"SecretId":"db","SecretString":"{VALUE}","SecretBinary":"aHVudGVy","ClientRequestToken":"tok-1234567890123456789012345678901","VersionStages":["AWSCURRENT"]}}"#
        );
        let response = br#"{"ARN":"arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf","Name":"db","VersionId":"v1","VersionStages":["AWSCURRENT"]}"#;
        let c = call(
            EventSource::SecretsManager,
            "PutSecretValue",
            body.as_bytes(),
            Some(response),
        );
        let recs = records(&c);
        assert_eq!(recs.len(), 1);
        let text = recs[0].to_string();
        assert!(
            !text.contains(VALUE) && !text.contains("aHVudGVy"),
            "{text}"
        );
        assert_eq!(recs[0]["requestParameters"]["secretId"], "db");
        assert_eq!(
            recs[0]["requestParameters"]["versionStages"][0],
            "AWSCURRENT"
        );
        assert!(recs[0]["requestParameters"].get("secretString").is_none());
        assert_eq!(recs[0]["responseElements"]["versionId"], "v1");
        assert_eq!(recs[0]["readOnly"], false);
        assert_eq!(recs[0]["eventVersion"], "1.08");
        assert_eq!(recs[0]["eventTime"], "2023-11-14T22:13:20Z");
        assert_eq!(
            recs[0]["resources"][0]["ARN"],
            "arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf"
        );
    }

    #[test]
    fn create_secret_and_reads_never_record_values() {
        let body = format!(r#"{{"Name":"db","SecretString":"{VALUE}"}}"#);
        let recs = records(&call(
            EventSource::SecretsManager,
            "CreateSecret",
            body.as_bytes(),
            None,
        ));
        assert!(!recs[0].to_string().contains(VALUE));
        assert_eq!(recs[0]["requestParameters"]["name"], "db");

        let response = format!(r#"{{"ARN":"arn:x","Name":"db","SecretString":"{VALUE}"}}"#);
        let recs = records(&call(
            EventSource::SecretsManager,
            "GetSecretValue",
            br#"{"SecretId":"db","VersionStage":"AWSCURRENT"}"#,
            Some(response.as_bytes()),
        ));
        assert!(!recs[0].to_string().contains(VALUE));
        assert_eq!(
            recs[0]["responseElements"],
            Value::Null,
            "reads record no response"
        );
        assert_eq!(recs[0]["readOnly"], true);
    }

    #[test]
    fn batch_get_records_one_get_per_secret_without_values() {
        let response = format!(
            r#"{{"SecretValues":[{{"ARN":"arn:a","Name":"a","VersionId":"v1","SecretString":"{VALUE}"}},{{"ARN":"arn:b","Name":"b","VersionId":"v2","SecretBinary":"c2VjcmV0"}}],"Errors":[]}}"#
        );
        let recs = records(&call(
            EventSource::SecretsManager,
            "BatchGetSecretValue",
            br#"{"SecretIdList":["a","b"]}"#,
            Some(response.as_bytes()),
        ));
        let names: Vec<&str> = recs
            .iter()
            .filter_map(|r| r["eventName"].as_str())
            .collect();
        assert_eq!(
            names,
            ["BatchGetSecretValue", "GetSecretValue", "GetSecretValue"]
        );
        assert_eq!(recs[2]["requestParameters"]["secretId"], "arn:b");
        for r in &recs {
            let text = r.to_string();
            assert!(
                !text.contains(VALUE) && !text.contains("c2VjcmV0"),
                "{text}"
            );
        }
    }

    #[test]
    fn kms_iam_sts_secrets_are_not_listed() {
        let recs = records(&call(
            EventSource::Kms,
            "Encrypt",
            br#"{"KeyId":"k","Plaintext":"cGxhaW50ZXh0"}"#,
            Some(
                br#"{"CiphertextBlob":"Y3Q=","KeyId":"arn:aws:kms:us-east-1:000000000000:key/k"}"#,
            ),
        ));
        let text = recs[0].to_string();
        assert!(
            !text.contains("cGxhaW50ZXh0") && !text.contains("Y3Q="),
            "{text}"
        );

        let params = QueryParams::from_pairs([
            ("Action", "CreateLoginProfile"),
            ("UserName", "alice"),
            ("Password", VALUE),
        ]);
        let mut c = call(EventSource::Iam, "CreateLoginProfile", b"", None);
        c.request = RequestInput::Query(&params);
        let recs = records(&c);
        assert!(!recs[0].to_string().contains(VALUE));
        assert_eq!(recs[0]["requestParameters"]["userName"], "alice");

        let admin = records(&call(
            EventSource::Admin,
            "Apply",
            b"{\"Document\":\"x\"}",
            None,
        ));
        assert_eq!(admin[0]["requestParameters"], Value::Null, "no list: null");
    }

    use cofre_api::QueryParams;

    #[test]
    fn query_answers_keep_identifiers_only() {
        let xml = b"<CreateAccessKeyResponse><CreateAccessKeyResult><AccessKey>\
            <UserName>alice</UserName><AccessKeyId>AKIAALICE</AccessKeyId><Status>Active</Status>\
            <SecretAccessKey>topsecret</SecretAccessKey></AccessKey></CreateAccessKeyResult>\
            </CreateAccessKeyResponse>";
        let v = query_response_elements(EventSource::Iam, "CreateAccessKey", xml);
        assert_eq!(v["accessKey"]["accessKeyId"], "AKIAALICE");
        assert!(!v.to_string().contains("topsecret"));
        let xml = b"<Credentials><AccessKeyId>ASIAX</AccessKeyId>\
            <SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>tok3n</SessionToken>\
            </Credentials><AssumedRoleUser><Arn>arn:r</Arn></AssumedRoleUser>";
        let v = query_response_elements(EventSource::Sts, "AssumeRole", xml);
        assert_eq!(v["credentials"]["accessKeyId"], "ASIAX");
        assert_eq!(v["assumedRoleUser"]["arn"], "arn:r");
        let text = v.to_string();
        assert!(
            !text.contains("s3cr3t") && !text.contains("tok3n"),
            "{text}"
        );
    }
}
