//! One request: request id, body limit, protocol, authentication, dispatch, encoding.
//!
//! Two wire protocols share the endpoint, told apart as AWS's clients send them:
//! - awsJson1.1 (`X-Amz-Target: secretsmanager.<Op>`) for Secrets Manager, and
//!   (`X-Amz-Target: TrentService.<Op>`, signed for `kms`) for KMS, and
//!   (`X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`, signed for
//!   `cloudtrail`) for CloudTrail's LookupEvents, the audit trail's query side;
//! - awsQuery (`Action=...` form parameters) for IAM and STS, whose credential scope names
//!   the service (`iam` or `sts`).
//!
//! `GET /health`, `/ready` and `/metrics` are answered by [`crate::ops`] before any of this,
//! without authentication; every other request is counted there by operation and outcome.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use cofre_api::{
    dispatch, dispatch_cloudtrail, dispatch_iam, dispatch_kms, dispatch_sts, query_error_from_sig,
    ApiError, CloudTrailOperation, Context, ErrorCode, KmsOperation, Operation, QueryError,
    QueryParams,
};
use cofre_core::audit::{self, EventSource};
use cofre_sigv4::RequestParts;

use crate::auth::{authenticate, caller_of, AuthError, Authenticated};
use crate::{ops, App};

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// `X-Amz-Target` prefix of Cofre's own admin API.
pub const ADMIN_TARGET_PREFIX: &str = "CofreAdmin.";
/// `X-Amz-Target` prefix of KMS (`TrentService.<Op>`: KMS's internal name).
const KMS_TARGET_PREFIX: &str = "TrentService.";
/// `X-Amz-Target` prefix of CloudTrail (`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`).
const CLOUDTRAIL_TARGET_PREFIX: &str = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.";

/// The services Cofre answers, by SigV4 signing name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    SecretsManager,
    Kms,
    CloudTrail,
    Admin,
    Iam,
    Sts,
}

impl Service {
    fn signing_name(self) -> &'static str {
        match self {
            Self::SecretsManager => "secretsmanager",
            Self::Kms => "kms",
            Self::CloudTrail => "cloudtrail",
            Self::Admin => "cofre",
            Self::Iam => "iam",
            Self::Sts => "sts",
        }
    }
}

/// An answer before encoding.
enum Reply {
    Json(Result<Vec<u8>, ApiError>),
    Query {
        namespace: &'static str,
        result: Result<Vec<u8>, QueryError>,
    },
}

/// What the access log records about a request.
#[derive(Default)]
struct LogFields {
    operation: Option<String>,
    access_key_id: Option<String>,
    /// What the audit trail records about the request.
    audit: Option<AuditInput>,
}

/// The raw request as the audit hook needs it (see [`record_audit`]).
struct AuditInput {
    source: EventSource,
    target: Option<String>,
    query: Option<String>,
    body: Bytes,
    user_agent: Option<String>,
    claimed: Option<cofre_sigv4::Authorization>,
    ctx: Option<Context>,
}

/// Handles one request; never fails (errors become AWS error responses).
pub async fn handle(
    app: &App,
    req: Request<Incoming>,
    remote: SocketAddr,
    secure_transport: bool,
) -> Response<Full<Bytes>> {
    if ops::is_ops_path(req.method(), req.uri().path()) {
        return ops::handle(app, req.uri().path()).await;
    }
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut log = LogFields::default();
    let reply = handle_inner(app, req, remote, secure_transport, &request_id, &mut log).await;
    let reply = record_audit(app, &log, reply, remote, &request_id).await;
    let (status, body, content_type, error_type) = match reply {
        Reply::Json(Ok(body)) => (StatusCode::OK, body, JSON_CONTENT_TYPE, None),
        Reply::Json(Err(e)) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                e.to_body(),
                JSON_CONTENT_TYPE,
                Some(e.code_str().to_owned()),
            )
        }
        Reply::Query {
            result: Ok(body), ..
        } => (StatusCode::OK, body, cofre_api::query::CONTENT_TYPE, None),
        Reply::Query {
            namespace,
            result: Err(e),
        } => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                e.to_xml(&request_id, namespace),
                cofre_api::query::CONTENT_TYPE,
                Some(e.code.to_string()),
            )
        }
    };
    tracing::info!(
        request_id = %request_id,
        operation = log.operation.as_deref().unwrap_or("-"),
        access_key_id = log.access_key_id.as_deref().unwrap_or("-"),
        status = status.as_u16(),
        error = error_type.as_deref().unwrap_or("-"),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    ops::record(
        log.operation.as_deref(),
        ops::Outcome::of(status.as_u16()),
        started.elapsed(),
    );
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    // The service clock, not hyper's: SDKs correct their signing time by this header, so it
    // must agree with the clock signatures are checked against.
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(app.service.clock().now())) {
        h.insert("date", v);
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(&t).ok()) {
        h.insert("x-amzn-errortype", t);
    }
    resp
}

/// Which service a request is for: awsJson requests carry `X-Amz-Target` (`TrentService.*` is
/// KMS, `com.amazonaws.cloudtrail.*` CloudTrail, `CofreAdmin.*` the admin API, anything else
/// Secrets Manager); awsQuery requests
/// are form posts (or GETs with `Action=`) whose credential scope names `iam` or `sts`.
fn classify(parts: &http::request::Parts) -> Service {
    if let Some(target) = parts.headers.get("x-amz-target") {
        if target
            .as_bytes()
            .starts_with(ADMIN_TARGET_PREFIX.as_bytes())
        {
            return Service::Admin;
        }
        if target.as_bytes().starts_with(KMS_TARGET_PREFIX.as_bytes()) {
            return Service::Kms;
        }
        if target
            .as_bytes()
            .starts_with(CLOUDTRAIL_TARGET_PREFIX.as_bytes())
        {
            return Service::CloudTrail;
        }
        return Service::SecretsManager;
    }
    let form = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let query_action = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    if !(form || query_action) {
        return Service::SecretsManager;
    }
    let scope_service = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| cofre_sigv4::parse_authorization(v).ok())
        .map(|a| a.service);
    match scope_service.as_deref() {
        Some("sts") => Service::Sts,
        _ => Service::Iam,
    }
}

async fn handle_inner(
    app: &App,
    req: Request<Incoming>,
    remote: SocketAddr,
    secure_transport: bool,
    request_id: &str,
    log: &mut LogFields,
) -> Reply {
    let (parts, body) = req.into_parts();
    let service = classify(&parts);
    let fail = |e: AuthError| match service {
        Service::SecretsManager | Service::Kms | Service::CloudTrail | Service::Admin => {
            Reply::Json(Err(e.into()))
        }
        Service::Iam => Reply::Query {
            namespace: cofre_api::iam::XML_NAMESPACE,
            result: Err(query_error_from_sig(e.code, e.message)),
        },
        Service::Sts => Reply::Query {
            namespace: cofre_api::sts::XML_NAMESPACE,
            result: Err(query_error_from_sig(e.code, e.message)),
        },
    };

    let body = match read_body(app, &parts, body).await {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    log.audit = Some(AuditInput::new(service, &parts, body.clone()));
    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    let path = parts.uri.path();
    let sig_parts = RequestParts {
        method: parts.method.as_str(),
        path,
        query: parts.uri.query().unwrap_or(""),
        headers: &headers,
        body: &body,
    };
    if parts
        .headers
        .get_all(http::header::AUTHORIZATION)
        .iter()
        .count()
        > 1
    {
        return fail(AuthError {
            code: "IncompleteSignatureException",
            status: 400,
            message: "The request carries more than one Authorization header.".into(),
        });
    }
    let who = match authenticate(app, &sig_parts, service.signing_name()).await {
        Ok(w) => w,
        Err(e) => return fail(e),
    };
    log.access_key_id = Some(who.access_key_id.clone());
    if !app.throttle.allow(&who.access_key_id) {
        return fail(AuthError {
            code: "ThrottlingException",
            status: 400,
            message: "Rate exceeded".into(),
        });
    }
    let ctx = context(&who, remote, secure_transport, request_id);
    if let Some(a) = log.audit.as_mut() {
        a.ctx = Some(ctx.clone());
    }
    if !app.service.audit().available() {
        return audit_unavailable(fail);
    }

    match service {
        Service::SecretsManager => {
            let op = match json_operation(&parts, Operation::from_target) {
                Ok(op) => op,
                Err(e) => return Reply::Json(Err(e)),
            };
            log.operation = Some(op.name().to_owned());
            json_reply(&ctx, dispatch(app.service.as_ref(), &ctx, op, &body).await)
        }
        Service::Kms => {
            let op = match json_operation(&parts, KmsOperation::from_target) {
                Ok(op) => op,
                Err(e) => return Reply::Json(Err(e)),
            };
            log.operation = Some(format!("kms:{}", op.name()));
            json_reply(
                &ctx,
                dispatch_kms(app.service.as_ref(), &ctx, op, &body).await,
            )
        }
        Service::CloudTrail => {
            let op = match json_operation(&parts, CloudTrailOperation::from_target) {
                Ok(op) => op,
                Err(e) => return Reply::Json(Err(e)),
            };
            log.operation = Some(format!("cloudtrail:{}", op.name()));
            json_reply(
                &ctx,
                dispatch_cloudtrail(app.service.as_ref(), &ctx, op, &body).await,
            )
        }
        Service::Admin => {
            let op = parts
                .headers
                .get("x-amz-target")
                .and_then(|v| v.to_str().ok())
                .and_then(|t| t.strip_prefix(ADMIN_TARGET_PREFIX))
                .unwrap_or_default()
                .to_owned();
            log.operation = Some(format!("admin:{op}"));
            if parts.method != Method::POST || path != "/" {
                return Reply::Json(Err(unknown_operation()));
            }
            json_reply(
                &ctx,
                cofre_core::admin::dispatch(app.service.as_ref(), &ctx, &op, &body).await,
            )
        }
        Service::Iam | Service::Sts => {
            let namespace = if service == Service::Iam {
                cofre_api::iam::XML_NAMESPACE
            } else {
                cofre_api::sts::XML_NAMESPACE
            };
            let params = match QueryParams::parse_request(parts.uri.query(), &body) {
                Ok(p) => p,
                Err(e) => {
                    return Reply::Query {
                        namespace,
                        result: Err(e),
                    }
                }
            };
            log.operation = params.action().map(str::to_owned);
            let result = if service == Service::Iam {
                dispatch_iam(app.service.as_ref(), &ctx, &params).await
            } else {
                dispatch_sts(app.service.as_ref(), &ctx, &params).await
            };
            let result = guard_authorized(&ctx, result, || {
                QueryError::access_denied("The request was not authorized.")
            });
            Reply::Query { namespace, result }
        }
    }
}

impl AuditInput {
    fn new(service: Service, parts: &http::request::Parts, body: Bytes) -> Self {
        let header = |name| {
            parts
                .headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        Self {
            source: match service {
                Service::SecretsManager => EventSource::SecretsManager,
                Service::Kms => EventSource::Kms,
                Service::CloudTrail => EventSource::CloudTrail,
                Service::Admin => EventSource::Admin,
                Service::Iam => EventSource::Iam,
                Service::Sts => EventSource::Sts,
            },
            target: header("x-amz-target").map(str::to_owned),
            query: parts.uri.query().map(str::to_owned),
            body,
            user_agent: header("user-agent").map(str::to_owned),
            claimed: header("authorization").and_then(|v| cofre_sigv4::parse_authorization(v).ok()),
            ctx: None,
        }
    }
}

/// The audit hook: records the call (success or failure) through `cofre_core::audit`;
/// a call whose record cannot be made durable is answered 503 instead (fail closed).
async fn record_audit(
    app: &App,
    log: &LogFields,
    reply: Reply,
    remote: SocketAddr,
    request_id: &str,
) -> Reply {
    let Some(a) = &log.audit else { return reply };
    let params = matches!(a.source, EventSource::Iam | EventSource::Sts)
        .then(|| QueryParams::parse_request(a.query.as_deref(), &a.body).ok())
        .flatten();
    let operation = match &params {
        Some(p) => p.action().unwrap_or_default(),
        None => a
            .target
            .as_deref()
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or_default(),
    };
    let (response, response_xml, error) = match &reply {
        Reply::Json(Ok(body)) => (Some(body.as_slice()), None, None),
        Reply::Json(Err(e)) => (None, None, Some((e.code_str(), e.message.as_str()))),
        Reply::Query { result: Ok(b), .. } => (None, Some(b.as_slice()), None),
        Reply::Query { result: Err(e), .. } => {
            (None, None, Some((e.code.as_ref(), e.message.as_str())))
        }
    };
    let call = audit::Call {
        source: a.source,
        operation,
        request: match &params {
            Some(p) => audit::RequestInput::Query(p),
            None => audit::RequestInput::Json(&a.body),
        },
        response,
        response_xml,
        error,
        ctx: a.ctx.as_ref(),
        claimed_access_key_id: a.claimed.as_ref().map(|c| c.access_key_id.as_str()),
        fallback_account: app.service.operator_account().unwrap_or_default(),
        region: a.ctx.as_ref().map_or_else(
            || a.claimed.as_ref().map_or("", |c| c.region.as_str()),
            |c| c.region.as_str(),
        ),
        request_id,
        source_ip: Some(remote.ip()),
        user_agent: a.user_agent.as_deref(),
        time_ms: app.service.clock().now_ms(),
    };
    match app.service.audit().record(&call).await {
        Ok(()) => reply,
        Err(e) => {
            tracing::error!(request_id, error = %e, "call not recorded; answering 503");
            audit_unavailable(|_| match reply {
                Reply::Json(_) => Reply::Json(Err(ApiError::from_parts(
                    "ServiceUnavailableException",
                    503,
                    AUDIT_UNAVAILABLE,
                ))),
                Reply::Query { namespace, .. } => Reply::Query {
                    namespace,
                    result: Err(QueryError::new(
                        "ServiceUnavailable",
                        503,
                        AUDIT_UNAVAILABLE,
                    )),
                },
            })
        }
    }
}

const AUDIT_UNAVAILABLE: &str =
    "The audit trail is unavailable; the request was refused (or not acknowledged).";

/// The answer while the audit trail cannot record: 503, in the request's protocol.
fn audit_unavailable(fail: impl FnOnce(AuthError) -> Reply) -> Reply {
    fail(AuthError {
        code: "ServiceUnavailableException",
        status: 503,
        message: AUDIT_UNAVAILABLE.into(),
    })
}

/// AWS's answer for a target no service knows.
fn unknown_operation() -> ApiError {
    ApiError::from_parts("UnknownOperationException", 400, String::new())
}

/// The awsJson operation a request names: `POST /` with an `X-Amz-Target` that `parse`
/// recognises, else UnknownOperationException.
fn json_operation<O>(
    parts: &http::request::Parts,
    parse: impl FnOnce(&str) -> Option<O>,
) -> Result<O, ApiError> {
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    // As AWS's awsJson front end: another method, or a body that is not JSON, names no
    // operation at all (404).
    if parts.method != Method::POST || !json_content_type(parts) {
        return Err(ApiError::from_parts(
            "UnknownOperationException",
            404,
            String::new(),
        ));
    }
    match (parts.uri.path(), target.and_then(parse)) {
        ("/", Some(op)) => Ok(op),
        _ => Err(unknown_operation()),
    }
}

/// Whether the request says its body is JSON: `application/x-amz-json-1.0`/`-1.1` or
/// `application/json`, in any case, with or without parameters.
fn json_content_type(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let media = v.split(';').next().unwrap_or_default().trim();
            [
                "application/x-amz-json-1.1",
                "application/x-amz-json-1.0",
                "application/json",
            ]
            .iter()
            .any(|t| media.eq_ignore_ascii_case(t))
        })
        .unwrap_or(false)
}

/// An awsJson answer, refused unless the request was authorized.
fn json_reply(ctx: &Context, result: Result<Vec<u8>, ApiError>) -> Reply {
    Reply::Json(guard_authorized(ctx, result, || {
        ApiError::new(
            ErrorCode::AccessDeniedException,
            "The request was not authorized.",
        )
    }))
}

/// Defence in depth: a successful answer is sent only if the domain recorded an
/// authorization decision for the request.
fn guard_authorized<E>(
    ctx: &Context,
    result: Result<Vec<u8>, E>,
    denied: impl FnOnce() -> E,
) -> Result<Vec<u8>, E> {
    match result {
        Ok(_) if !ctx.authorized.is_set() => {
            tracing::error!(request_id = %ctx.request_id, "operation returned without an authorization decision; refusing");
            Err(denied())
        }
        other => other,
    }
}

/// `secure_transport`: the request came over TLS (`aws:SecureTransport`).
fn context(
    who: &Authenticated,
    remote: SocketAddr,
    secure_transport: bool,
    request_id: &str,
) -> Context {
    Context {
        account_id: who.principal.account_id.clone(),
        region: who.region.clone(),
        request_id: request_id.to_owned(),
        access_key_id: who.access_key_id.clone(),
        principal_arn: who.principal.arn.clone(),
        source_ip: Some(remote.ip()),
        secure_transport,
        caller: caller_of(&who.principal),
        authorized: Default::default(),
    }
}

/// Reads the body within the size and time limits.
async fn read_body(
    app: &App,
    parts: &http::request::Parts,
    body: Incoming,
) -> Result<Bytes, AuthError> {
    let too_large = || AuthError {
        code: "RequestEntityTooLargeException",
        status: 413,
        message: format!(
            "Request body exceeds the limit of {} bytes.",
            app.limits.max_body_bytes
        ),
    };
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.limits.max_body_bytes as u64) {
        return Err(too_large());
    }
    let collected = tokio::time::timeout(
        app.limits.body_timeout,
        Limited::new(body, app.limits.max_body_bytes).collect(),
    )
    .await
    .map_err(|_| AuthError {
        code: "RequestTimeoutException",
        status: 408,
        message: "The request body was not received in time.".into(),
    })?;
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(_) => Err(AuthError {
            code: "SerializationException",
            status: 400,
            message: "The request body could not be read.".into(),
        }),
    }
}
