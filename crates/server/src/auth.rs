//! Authentication: SigV4 → the principal a request acts as.

use cofre_api::{ApiError, Caller, CallerKind};
use cofre_core::credentials::{Principal, PrincipalKind};
use cofre_sigv4::{prepare, RequestParts, SigV4Error};

use crate::{App, AuthMode};

/// Who signed a request, and for which region.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The principal behind the access key.
    pub principal: Principal,
    /// The access key id that signed.
    pub access_key_id: String,
    /// The region of the credential scope: each region is its own namespace.
    pub region: String,
}

/// A failed authentication, as the signature layer names it (the protocol layer turns it
/// into a JSON or XML error).
#[derive(Debug)]
pub struct AuthError {
    /// AWS's JSON-protocol error code (`InvalidSignatureException`, ...).
    pub code: &'static str,
    /// HTTP status.
    pub status: u16,
    /// AWS's message.
    pub message: String,
}

impl From<SigV4Error> for AuthError {
    fn from(e: SigV4Error) -> Self {
        Self {
            code: e.code(),
            status: e.status(),
            message: e.message(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::from_parts(e.code, e.status, e.message)
    }
}

/// Verifies the request's signature for `service` (or, in dev mode, only reads its scope).
pub async fn authenticate(
    app: &App,
    parts: &RequestParts<'_>,
    service: &str,
) -> Result<Authenticated, AuthError> {
    let clock = app.service.clock();
    let prepared = prepare(parts, service, clock.now())?;
    let region = prepared.region().to_owned();
    if !valid_region(&region) {
        return Err(AuthError {
            code: "IncompleteSignatureException",
            status: 400,
            message: format!("Credential should be scoped to a valid region, not '{region}'. "),
        });
    }
    let access_key_id = prepared.access_key_id().to_owned();
    match &app.auth {
        AuthMode::Dev { account_id } => Ok(Authenticated {
            principal: Principal::root(account_id),
            access_key_id,
            region,
        }),
        AuthMode::SigV4 => {
            let creds = app.service.credentials();
            let key = creds
                .lookup(app.service.keys().root(), &access_key_id)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "access key lookup failed");
                    AuthError {
                        code: "InternalFailure",
                        status: 500,
                        message: "An internal error occurred.".into(),
                    }
                })?
                .ok_or(SigV4Error::UnknownAccessKey)?;
            prepared.verify(key.secret.expose())?;
            creds
                .check_session_token(&key, prepared.session_token(), clock.now_ms())
                .map_err(|e| AuthError {
                    code: e.code(),
                    status: e.status(),
                    message: e.message(),
                })?;
            Ok(Authenticated {
                principal: key.principal.clone(),
                access_key_id,
                region,
            })
        }
    }
}

/// The caller as the wire layer's [`cofre_api::Context`] carries it.
pub fn caller_of(p: &Principal) -> Caller {
    Caller {
        account_id: p.account_id.clone(),
        arn: p.arn.clone(),
        kind: match &p.kind {
            PrincipalKind::Root => CallerKind::Root,
            PrincipalKind::User { name, user_id } => CallerKind::User {
                name: name.clone(),
                user_id: user_id.clone(),
            },
            PrincipalKind::AssumedRole {
                role_arn,
                session_policy,
                ..
            } => CallerKind::AssumedRole {
                role_arn: role_arn.clone(),
                user_id: p.user_id(),
                session_policy: session_policy.clone(),
            },
        },
        tags: p.tags.clone(),
    }
}

/// Region names as AWS forms them (`us-east-1`, `eu-central-2`, `us-gov-west-1`): they become
/// part of ARNs and storage keys, so nothing else is let through.
fn valid_region(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= 32
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !r.starts_with('-')
        && !r.ends_with('-')
}
