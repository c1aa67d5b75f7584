//! Secret values: what a version holds, and its sealing under the envelope scheme.
//!
//! The plaintext is framed as one kind byte (0 = string, 1 = binary) followed by the value, and
//! lives only in zeroizing buffers. The AAD binds the ciphertext to (account, region, secret
//! ARN, version id): a blob copied to another row or version fails to open.

use cofre_api::{ApiError, SensitiveBlob, SensitiveString};
use cofre_crypto::{aad, ct_eq, envelope_open, envelope_seal, Key256, SecretBytes};

use crate::error::internal;

/// A secret value as the API carries it.
#[derive(Debug)]
pub enum SecretValue {
    /// `SecretString`.
    String(SensitiveString),
    /// `SecretBinary`.
    Binary(SensitiveBlob),
}

impl SecretValue {
    /// Picks the value out of a request's `SecretString`/`SecretBinary` pair. Both given is
    /// AWS's InvalidParameterException; neither is `Ok(None)`.
    pub fn from_request(
        string: Option<SensitiveString>,
        binary: Option<SensitiveBlob>,
    ) -> Result<Option<Self>, ApiError> {
        match (string, binary) {
            (Some(_), Some(_)) => Err(crate::error::invalid_parameter(
                "You can't specify both a binary secret value and a string secret value in the same secret.",
            )),
            (Some(s), None) => Ok(Some(Self::String(s))),
            (None, Some(b)) => Ok(Some(Self::Binary(b))),
            (None, None) => Ok(None),
        }
    }

    /// Whether this is a binary value.
    pub fn is_binary(&self) -> bool {
        matches!(self, Self::Binary(_))
    }

    /// The framed plaintext.
    pub fn frame(&self) -> SecretBytes {
        let (kind, bytes): (u8, &[u8]) = match self {
            Self::String(s) => (0, s.expose().as_bytes()),
            Self::Binary(b) => (1, b.expose()),
        };
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(kind);
        out.extend_from_slice(bytes);
        SecretBytes::from(out)
    }

    /// Parses a framed plaintext.
    pub fn unframe(plain: &SecretBytes) -> Result<Self, ApiError> {
        match plain.expose().split_first() {
            Some((0, rest)) => {
                let s = std::str::from_utf8(rest)
                    .map_err(|_| internal("stored string is not UTF-8"))?;
                Ok(Self::String(SensitiveString::from(s.to_owned())))
            }
            Some((1, rest)) => Ok(Self::Binary(SensitiveBlob::from(rest.to_vec()))),
            _ => Err(internal("unknown secret value frame")),
        }
    }

    /// Constant-time equality of the framed values.
    pub fn same_as(&self, other: &SecretValue) -> bool {
        ct_eq(self.frame().expose(), other.frame().expose())
    }
}

fn value_aad(account: &str, region: &str, arn: &str, version_id: &str) -> Vec<u8> {
    aad(&["secret-value", account, region, arn, version_id])
}

/// Seals a value for one version of one secret.
pub fn seal_value(
    kek: &Key256,
    account: &str,
    region: &str,
    arn: &str,
    version_id: &str,
    value: &SecretValue,
) -> Vec<u8> {
    envelope_seal(
        kek,
        value.frame().expose(),
        &value_aad(account, region, arn, version_id),
    )
}

/// Opens a sealed version value.
pub fn open_value(
    kek: &Key256,
    account: &str,
    region: &str,
    arn: &str,
    version_id: &str,
    sealed: &[u8],
) -> Result<SecretValue, ApiError> {
    let plain =
        envelope_open(kek, sealed, &value_aad(account, region, arn, version_id)).map_err(|_| {
            tracing::error!(%arn, %version_id, "secret value failed to decrypt");
            ApiError::new(
            cofre_api::ErrorCode::DecryptionFailure,
            "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
        )
        })?;
    SecretValue::unframe(&plain)
}
