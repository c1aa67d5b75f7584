//! NextToken: an opaque, base64-encoded cursor naming the last item returned, so a page
//! continues after that item however many secrets were created or deleted in between.

use base64::Engine as _;
use cofre_api::{ApiError, ErrorCode};
use serde::{de::DeserializeOwned, Serialize};

/// Encodes a cursor.
pub fn encode<T: Serialize>(cursor: &T) -> Result<String, ApiError> {
    let json = serde_json::to_vec(cursor).map_err(crate::error::internal)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
}

/// Decodes a cursor; anything malformed is AWS's InvalidNextTokenException.
pub fn decode<T: DeserializeOwned>(token: &str) -> Result<T, ApiError> {
    let bad = || {
        ApiError::new(
            ErrorCode::InvalidNextTokenException,
            "The NextToken value is invalid.",
        )
    };
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| bad())?;
    serde_json::from_slice(&json).map_err(|_| bad())
}
