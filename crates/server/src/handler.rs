//! One request: request id, body limit, authentication, dispatch, encoding.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use cofre_api::{dispatch, ApiError, Context, ErrorCode, Operation};
use cofre_sigv4::RequestParts;

use crate::auth::authenticate;
use crate::App;

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// What the access log records about a request.
#[derive(Default)]
struct LogFields {
    operation: Option<&'static str>,
    access_key_id: Option<String>,
}

/// Handles one request; never fails (errors become AWS error responses).
pub async fn handle(
    app: &App,
    req: Request<Incoming>,
    remote: SocketAddr,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut log = LogFields::default();
    let result = handle_inner(app, req, remote, &request_id, &mut log).await;
    let (status, body, error_type) = match result {
        Ok(body) => (StatusCode::OK, body, None),
        Err(e) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, e.to_body(), Some(e.code_str().to_owned()))
        }
    };
    tracing::info!(
        request_id = %request_id,
        operation = log.operation.unwrap_or("-"),
        access_key_id = log.access_key_id.as_deref().unwrap_or("-"),
        status = status.as_u16(),
        error = error_type.as_deref().unwrap_or("-"),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(JSON_CONTENT_TYPE));
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

async fn handle_inner(
    app: &App,
    req: Request<Incoming>,
    remote: SocketAddr,
    request_id: &str,
    log: &mut LogFields,
) -> Result<Vec<u8>, ApiError> {
    let (parts, body) = req.into_parts();
    let too_large = || {
        ApiError::from_parts(
            "RequestEntityTooLargeException",
            413,
            format!(
                "Request body exceeds the limit of {} bytes.",
                app.limits.max_body_bytes
            ),
        )
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
    .map_err(|_| {
        ApiError::from_parts(
            "RequestTimeoutException",
            408,
            "The request body was not received in time.",
        )
    })?;
    let body = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Err(_) => {
            return Err(ApiError::new(
                ErrorCode::SerializationException,
                "The request body could not be read.",
            ))
        }
    };

    let headers: Vec<(&str, &[u8])> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_bytes()))
        .collect();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    let sig_parts = RequestParts {
        method: parts.method.as_str(),
        path,
        query,
        headers: &headers,
        body: &body,
    };
    let who = authenticate(app, &sig_parts).await?;
    log.access_key_id = Some(who.access_key_id.clone());

    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let op = match (&parts.method, path, target.and_then(Operation::from_target)) {
        (&Method::POST, "/", Some(op)) => op,
        _ => {
            return Err(ApiError::from_parts(
                "UnknownOperationException",
                400,
                String::new(),
            ))
        }
    };
    log.operation = Some(op.name());
    let ctx = Context {
        account_id: who.principal.account_id.clone(),
        region: who.region,
        request_id: request_id.to_owned(),
        access_key_id: who.access_key_id,
        principal_arn: who.principal.arn,
        source_ip: Some(remote.ip()),
    };
    dispatch(app.service.as_ref(), &ctx, op, &body).await
}
