//! Authentication: SigV4 → the principal a request acts as.

use cofre_api::ApiError;
use cofre_core::credentials::Principal;
use cofre_sigv4::{prepare, RequestParts, SigV4Error};

use crate::{App, AuthMode};

/// The signing name of Secrets Manager, which the credential scope must name.
pub const SERVICE: &str = "secretsmanager";

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

fn sig_error(e: SigV4Error) -> ApiError {
    ApiError::from_parts(e.code(), e.status(), e.message())
}

/// Verifies the request's signature (or, in dev mode, only reads its scope).
pub async fn authenticate(app: &App, parts: &RequestParts<'_>) -> Result<Authenticated, ApiError> {
    let prepared = prepare(parts, SERVICE, app.service.clock().now()).map_err(sig_error)?;
    let region = prepared.region().to_owned();
    if !valid_region(&region) {
        return Err(ApiError::from_parts(
            "IncompleteSignatureException",
            400,
            format!("Credential should be scoped to a valid region, not '{region}'. "),
        ));
    }
    let access_key_id = prepared.access_key_id().to_owned();
    if prepared.session_token().is_some() {
        // Temporary credentials come with STS in a later release; no token is valid yet.
        return Err(sig_error(SigV4Error::InvalidSessionToken));
    }
    match &app.auth {
        AuthMode::Dev { account_id } => Ok(Authenticated {
            principal: Principal {
                account_id: account_id.clone(),
                arn: format!("arn:aws:iam::{account_id}:root"),
            },
            access_key_id,
            region,
        }),
        AuthMode::SigV4 => {
            let key = app
                .service
                .credentials()
                .lookup(app.service.keys().root(), &access_key_id)
                .await
                .map_err(cofre_core::error::internal)?
                .ok_or_else(|| sig_error(SigV4Error::UnknownAccessKey))?;
            prepared.verify(key.secret.expose()).map_err(sig_error)?;
            Ok(Authenticated {
                principal: key.principal.clone(),
                access_key_id,
                region,
            })
        }
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
