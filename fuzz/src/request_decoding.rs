//! Target `request_decoding`: the request decoding of every operation Cofre routes, up to and
//! including validation against the AWS model.
//!
//! - awsJson 1.1 (Secrets Manager, KMS, CloudTrail): the generated `dispatch` functions, which
//!   parse the body, type-check it, deserialize it and run the model's constraints, then call
//!   the service. The service here is one that implements nothing, so every operation that
//!   decodes ends in `not implemented`: nothing after decoding runs.
//! - awsQuery (IAM, STS): `QueryParams` parsing (form body and query string), `Action` /
//!   `Version` resolution, then the generated `dispatch_iam` / `dispatch_sts` decoding and
//!   validation, over the same do-nothing services.
//!
//! Every error is also rendered as the body the server would send.
//!
//! # Input
//!
//! The first byte picks the route, the rest is the request:
//!
//! - `0..N` (N = the operations of all five services, in [`operations`] order: Secrets
//!   Manager, KMS, CloudTrail, IAM, STS, each in its generated `ALL` order): that operation,
//!   with the rest as its body. For IAM and STS the body is a form whose `Action` and
//!   `Version` are set to the operation's (they come first, and the first value wins).
//! - `N..=255`: a raw request for service `(byte - N) % 5` (same order): the rest is
//!   `<first line>\n<body>`, the first line being the `X-Amz-Target` header (awsJson) or the
//!   URL's query string (awsQuery), so routing itself is fuzzed too.

use cofre_api::{
    dispatch, dispatch_cloudtrail, dispatch_iam, dispatch_kms, dispatch_sts, iam, sts, ApiError,
    CloudTrailOperation, Cloudtrail, Context, Iam, IamOperation, Kms, KmsOperation, Operation,
    QueryError, QueryParams, SecretsManager, Sts, StsOperation,
};

/// The services of this target, in route order.
pub const SERVICES: [&str; 5] = ["secretsmanager", "kms", "cloudtrail", "iam", "sts"];

/// A service that implements no operation: each call answers its trait's default error, so
/// only decoding and validation run.
#[derive(Debug)]
struct Nothing;

impl SecretsManager for Nothing {}
impl Kms for Nothing {}
impl Cloudtrail for Nothing {}
impl Iam for Nothing {}
impl Sts for Nothing {}

/// One route of the first byte.
#[derive(Debug, Clone, Copy)]
enum Route {
    SecretsManager(Operation),
    Kms(KmsOperation),
    CloudTrail(CloudTrailOperation),
    Iam(IamOperation),
    Sts(StsOperation),
    /// A raw request for `SERVICES[i]`.
    Raw(usize),
}

fn routes() -> Vec<Route> {
    let mut routes: Vec<Route> = Vec::new();
    routes.extend(Operation::ALL.iter().map(|&op| Route::SecretsManager(op)));
    routes.extend(KmsOperation::ALL.iter().map(|&op| Route::Kms(op)));
    routes.extend(
        CloudTrailOperation::ALL
            .iter()
            .map(|&op| Route::CloudTrail(op)),
    );
    routes.extend(IamOperation::ALL.iter().map(|&op| Route::Iam(op)));
    routes.extend(StsOperation::ALL.iter().map(|&op| Route::Sts(op)));
    routes
}

/// `(service, operation)` for each first byte that names an operation, in byte order; the
/// bytes from `operations().len()` on are raw requests.
pub fn operations() -> Vec<(&'static str, &'static str)> {
    routes()
        .into_iter()
        .map(|route| match route {
            Route::SecretsManager(op) => (SERVICES[0], op.name()),
            Route::Kms(op) => (SERVICES[1], op.name()),
            Route::CloudTrail(op) => (SERVICES[2], op.name()),
            Route::Iam(op) => (SERVICES[3], op.name()),
            Route::Sts(op) => (SERVICES[4], op.name()),
            Route::Raw(_) => ("", ""),
        })
        .collect()
}

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let routes = routes();
    let route = match routes.get(usize::from(selector)) {
        Some(route) => *route,
        None => Route::Raw((usize::from(selector) - routes.len()) % SERVICES.len()),
    };
    crate::block_on(decode(route, rest));
}

async fn decode(route: Route, rest: &[u8]) {
    let ctx = Context {
        request_id: "fuzz-request".to_owned(),
        ..Context::default()
    };
    match route {
        Route::SecretsManager(op) => json_outcome(dispatch(&Nothing, &ctx, op, rest).await),
        Route::Kms(op) => json_outcome(dispatch_kms(&Nothing, &ctx, op, rest).await),
        Route::CloudTrail(op) => json_outcome(dispatch_cloudtrail(&Nothing, &ctx, op, rest).await),
        Route::Iam(op) => {
            let params = routed_form(op.name(), iam::API_VERSION, rest);
            iam_request(&ctx, params).await;
        }
        Route::Sts(op) => {
            let params = routed_form(op.name(), sts::API_VERSION, rest);
            sts_request(&ctx, params).await;
        }
        Route::Raw(service) => {
            let (first_line, body) = match rest.iter().position(|&b| b == b'\n') {
                Some(nl) => (&rest[..nl], &rest[nl + 1..]),
                None => (rest, &[][..]),
            };
            let first_line = String::from_utf8_lossy(first_line);
            match service {
                0 => {
                    if let Some(op) = Operation::from_target(&first_line) {
                        json_outcome(dispatch(&Nothing, &ctx, op, body).await);
                    }
                }
                1 => {
                    if let Some(op) = KmsOperation::from_target(&first_line) {
                        json_outcome(dispatch_kms(&Nothing, &ctx, op, body).await);
                    }
                }
                2 => {
                    if let Some(op) = CloudTrailOperation::from_target(&first_line) {
                        json_outcome(dispatch_cloudtrail(&Nothing, &ctx, op, body).await);
                    }
                }
                3 => iam_request(&ctx, QueryParams::parse_request(Some(&first_line), body)).await,
                _ => sts_request(&ctx, QueryParams::parse_request(Some(&first_line), body)).await,
            }
        }
    }
}

async fn iam_request(ctx: &Context, params: Result<QueryParams, QueryError>) {
    let outcome = match params {
        Ok(params) => dispatch_iam(&Nothing, ctx, &params).await,
        Err(err) => Err(err),
    };
    query_outcome(ctx, outcome, iam::XML_NAMESPACE);
}

async fn sts_request(ctx: &Context, params: Result<QueryParams, QueryError>) {
    let outcome = match params {
        Ok(params) => dispatch_sts(&Nothing, ctx, &params).await,
        Err(err) => Err(err),
    };
    query_outcome(ctx, outcome, sts::XML_NAMESPACE);
}

/// The form `Action=<action>&Version=<version>&<body>`.
fn routed_form(action: &str, version: &str, body: &[u8]) -> Result<QueryParams, QueryError> {
    let mut params = QueryParams::from_pairs([("Action", action), ("Version", version)]);
    params.add_form(body)?;
    Ok(params)
}

fn json_outcome(outcome: Result<Vec<u8>, ApiError>) {
    if let Err(err) = outcome {
        let _ = (err.status(), err.to_body());
    }
}

fn query_outcome(ctx: &Context, outcome: Result<Vec<u8>, QueryError>, namespace: &str) {
    if let Err(err) = outcome {
        let _ = (err.status, err.to_xml(&ctx.request_id, namespace));
    }
}
