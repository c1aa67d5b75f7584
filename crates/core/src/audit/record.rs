//! From a call to CloudTrail records (`eventVersion` 1.08).

use std::net::IpAddr;

use cofre_api::{CallerKind, Context, QueryParams};
use cofre_store::AuditRow;
use serde_json::{json, Map, Value};

use super::params;
use super::Pending;

/// The service a call was for, as CloudTrail's `eventSource` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventSource {
    /// `secretsmanager.amazonaws.com`
    SecretsManager,
    /// `kms.amazonaws.com`
    Kms,
    /// `iam.amazonaws.com`
    Iam,
    /// `sts.amazonaws.com`
    Sts,
    /// `cloudtrail.amazonaws.com` (LookupEvents)
    CloudTrail,
    /// `cofre.admin`: Cofre's own admin API.
    Admin,
}

impl EventSource {
    /// The `eventSource` string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecretsManager => "secretsmanager.amazonaws.com",
            Self::Kms => "kms.amazonaws.com",
            Self::Iam => "iam.amazonaws.com",
            Self::Sts => "sts.amazonaws.com",
            Self::CloudTrail => "cloudtrail.amazonaws.com",
            Self::Admin => "cofre.admin",
        }
    }
}

/// The request as it arrived: awsJson body or awsQuery parameters.
#[derive(Clone, Copy, Debug)]
pub enum RequestInput<'a> {
    /// An awsJson1.1 body.
    Json(&'a [u8]),
    /// awsQuery parameters.
    Query(&'a QueryParams),
    /// Nothing usable (the request failed before it was parsed).
    None,
}

/// One API call, as the HTTP layer saw it, for [`super::Audit::record`].
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    /// The service.
    pub source: EventSource,
    /// The operation name (`GetSecretValue`, `CreateUser`, ...); empty when unknown.
    pub operation: &'a str,
    /// The request.
    pub request: RequestInput<'a>,
    /// The successful JSON answer (awsJson services), for `responseElements` and resources.
    pub response: Option<&'a [u8]>,
    /// The successful XML answer (awsQuery services: IAM, STS), for `responseElements`.
    pub response_xml: Option<&'a [u8]>,
    /// The error code and message, when the call failed.
    pub error: Option<(&'a str, &'a str)>,
    /// Who called, when authentication succeeded.
    pub ctx: Option<&'a Context>,
    /// The access key id named by the request's signature, when authentication failed.
    pub claimed_access_key_id: Option<&'a str>,
    /// The account whose trail receives calls with no authenticated caller.
    pub fallback_account: &'a str,
    /// The region (credential scope), when known.
    pub region: &'a str,
    /// The request id.
    pub request_id: &'a str,
    /// The client's address.
    pub source_ip: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// When the call was received (ms since the epoch).
    pub time_ms: i64,
}

/// `eventTime`: ISO 8601, UTC, seconds.
pub(crate) fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Whether an operation only reads. Anything not known to read counts as a write, so it is
/// made durable before the answer.
pub(crate) fn is_read_only(source: EventSource, op: &str) -> bool {
    const READ_PREFIXES: [&str; 5] = ["Get", "List", "Describe", "BatchGet", "Lookup"];
    match (source, op) {
        (EventSource::Sts, "GetSessionToken" | "GetFederationToken") => false,
        (EventSource::Kms, "Encrypt" | "Decrypt" | "ReEncrypt" | "GenerateRandom")
        | (EventSource::Kms, "Sign" | "Verify" | "GenerateMac" | "VerifyMac") => true,
        (EventSource::Kms, op) if op.starts_with("GenerateDataKey") => true,
        (EventSource::SecretsManager, "ValidateResourcePolicy") => true,
        (EventSource::Admin, "GetAccountRootKey") => false,
        _ => READ_PREFIXES.iter().any(|p| op.starts_with(p)),
    }
}

fn user_identity(call: &Call<'_>) -> (Value, Option<String>, Option<String>) {
    let Some(ctx) = call.ctx else {
        let key = call.claimed_access_key_id.map(str::to_owned);
        let mut id = Map::new();
        id.insert("type".into(), json!("Unknown"));
        if let Some(k) = &key {
            id.insert("accessKeyId".into(), json!(k));
        }
        return (Value::Object(id), None, key);
    };
    let caller = &ctx.caller;
    let (kind, principal_id, username, extra) = match &caller.kind {
        CallerKind::Root => ("Root", caller.account_id.clone(), "root".to_owned(), None),
        CallerKind::User { name, user_id } => ("IAMUser", user_id.clone(), name.clone(), None),
        CallerKind::AssumedRole {
            role_arn, user_id, ..
        } => {
            let role_id = user_id.split(':').next().unwrap_or_default();
            let session = user_id.split_once(':').map(|(_, s)| s).unwrap_or_default();
            let role_name = role_arn.rsplit('/').next().unwrap_or_default();
            let session_context = json!({
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": role_arn,
                    "accountId": caller.account_id,
                    "userName": role_name,
                },
                "attributes": { "mfaAuthenticated": "false" },
            });
            (
                "AssumedRole",
                user_id.clone(),
                session.to_owned(),
                Some(session_context),
            )
        }
    };
    let mut id = Map::new();
    id.insert("type".into(), json!(kind));
    id.insert("principalId".into(), json!(principal_id));
    id.insert("arn".into(), json!(caller.arn));
    id.insert("accountId".into(), json!(caller.account_id));
    id.insert("accessKeyId".into(), json!(ctx.access_key_id));
    if kind == "IAMUser" {
        id.insert("userName".into(), json!(username));
    }
    if let Some(sc) = extra {
        id.insert("sessionContext".into(), sc);
    }
    (
        Value::Object(id),
        Some(username),
        Some(ctx.access_key_id.clone()),
    )
}

/// The pieces of a record that differ between the events of one call.
struct Part {
    event_name: String,
    read_only: bool,
    request_parameters: Value,
    response_elements: Value,
    /// (type, name or ARN) pairs; those whose name is an ARN go into `resources`.
    resources: Vec<(String, String)>,
}

/// Builds the record(s) of one call: one, except BatchGetSecretValue, which also gets one
/// GetSecretValue record per secret returned (as AWS records it).
pub(crate) fn build(call: &Call<'_>) -> Vec<Pending> {
    let request = params::request_object(call.source, call.operation, call.request);
    let response = match (call.error, call.response) {
        (None, Some(body)) => params::response_facts(body),
        _ => None,
    };
    let read_only = is_read_only(call.source, call.operation);
    let mut parts = vec![Part {
        event_name: if call.operation.is_empty() {
            "Unknown".to_owned()
        } else {
            call.operation.to_owned()
        },
        read_only,
        request_parameters: params::request_parameters(call.source, call.operation, &request),
        response_elements: match (read_only, call.error, call.response_xml) {
            (true, _, _) | (_, Some(_), _) => Value::Null,
            (false, None, Some(xml)) => {
                params::query_response_elements(call.source, call.operation, xml)
            }
            (false, None, None) => {
                params::response_elements(call.source, call.operation, response.as_ref())
            }
        },
        resources: params::resources(call.source, &request, response.as_ref()),
    }];
    if call.source == EventSource::SecretsManager && call.operation == "BatchGetSecretValue" {
        for (arn, version_id) in params::batch_secrets(response.as_ref()) {
            parts.push(Part {
                event_name: "GetSecretValue".to_owned(),
                read_only: true,
                request_parameters: json!({ "secretId": arn, "versionId": version_id }),
                response_elements: Value::Null,
                resources: vec![(params::SECRET_TYPE.to_owned(), arn)],
            });
        }
    }
    let (identity, username, access_key_id) = user_identity(call);
    let recipient = call
        .ctx
        .map_or(call.fallback_account, |c| c.account_id.as_str())
        .to_owned();
    parts
        .into_iter()
        .map(|part| {
            let event_id = uuid::Uuid::new_v4().to_string();
            let mut record = Map::new();
            record.insert("eventVersion".into(), json!("1.08"));
            record.insert("userIdentity".into(), identity.clone());
            record.insert("eventTime".into(), json!(iso8601(call.time_ms)));
            record.insert("eventSource".into(), json!(call.source.as_str()));
            record.insert("eventName".into(), json!(part.event_name));
            record.insert("awsRegion".into(), json!(call.region));
            record.insert(
                "sourceIPAddress".into(),
                json!(call.source_ip.map(|ip| ip.to_string())),
            );
            record.insert("userAgent".into(), json!(call.user_agent));
            if let Some((code, message)) = call.error {
                record.insert("errorCode".into(), json!(code));
                record.insert("errorMessage".into(), json!(message));
            }
            record.insert("requestParameters".into(), part.request_parameters);
            record.insert("responseElements".into(), part.response_elements);
            record.insert("requestID".into(), json!(call.request_id));
            record.insert("eventID".into(), json!(event_id));
            record.insert("readOnly".into(), json!(part.read_only));
            record.insert("resources".into(), record_resources(&part.resources));
            record.insert("eventType".into(), json!("AwsApiCall"));
            record.insert("managementEvent".into(), json!(true));
            record.insert("recipientAccountId".into(), json!(recipient));
            record.insert("eventCategory".into(), json!("Management"));
            Pending {
                row: AuditRow {
                    seq: 0,
                    event_id,
                    event_time_ms: call.time_ms,
                    event_name: part.event_name,
                    event_source: call.source.as_str().to_owned(),
                    read_only: part.read_only,
                    access_key_id: access_key_id.clone(),
                    username: username.clone(),
                    recipient_account: recipient.clone(),
                    resources: part.resources,
                    record: Value::Object(record).to_string().into_bytes(),
                    prev_hash: Vec::new(),
                    hash: Vec::new(),
                },
            }
        })
        .collect()
}

/// A service event (`AwsServiceEvent`): Cofre acting on its own, with no caller.
pub(crate) fn service_event(
    source: EventSource,
    event_name: &str,
    account_id: &str,
    region: &str,
    resources: Vec<(String, String)>,
    now_ms: i64,
) -> Pending {
    let event_id = uuid::Uuid::new_v4().to_string();
    let record = json!({
        "eventVersion": "1.08",
        "userIdentity": { "accountId": account_id, "invokedBy": source.as_str() },
        "eventTime": iso8601(now_ms),
        "eventSource": source.as_str(),
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": source.as_str(),
        "userAgent": source.as_str(),
        "requestParameters": null,
        "responseElements": null,
        "eventID": event_id,
        "readOnly": false,
        "resources": record_resources(&resources),
        "eventType": "AwsServiceEvent",
        "managementEvent": true,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    });
    Pending {
        row: AuditRow {
            seq: 0,
            event_id,
            event_time_ms: now_ms,
            event_name: event_name.to_owned(),
            event_source: source.as_str().to_owned(),
            read_only: false,
            access_key_id: None,
            username: None,
            recipient_account: account_id.to_owned(),
            resources,
            record: record.to_string().into_bytes(),
            prev_hash: Vec::new(),
            hash: Vec::new(),
        },
    }
}

/// CloudTrail's `resources`: only entries known by ARN (`[{ARN, type, accountId}]`).
fn record_resources(resources: &[(String, String)]) -> Value {
    Value::Array(
        resources
            .iter()
            .filter(|(_, name)| name.starts_with("arn:"))
            .map(|(kind, arn)| {
                json!({
                    "ARN": arn,
                    "type": kind,
                    "accountId": arn.split(':').nth(4).unwrap_or_default(),
                })
            })
            .collect(),
    )
}
