//! Secret values: what a version holds, and the stored format that seals it.
//!
//! The plaintext is framed as one kind byte (0 = string, 1 = binary) followed by the value, and
//! lives only in zeroizing buffers. It is sealed under a fresh 256-bit data key whose copies
//! are wrapped by KMS keys (`encryption.rs` obtains and opens them); see [`parse_sealed`] for
//! the layout. The AAD binds the ciphertext to (account, region, secret ARN, version id): a
//! blob copied to another row or version fails to open.

use cofre_api::{ApiError, SensitiveBlob, SensitiveString};
use cofre_crypto::{aad, ct_eq, envelope_open, open, seal, Key256, SecretBytes};

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

/// The format byte of a sealed version value whose data key is wrapped by KMS keys.
pub const SEALED_V2: u8 = 0x02;
/// The format byte of a value sealed before KMS keys existed: a `cofre_crypto` envelope whose
/// data key is wrapped directly by the `aws/secretsmanager` key's first material.
pub const SEALED_LEGACY: u8 = cofre_crypto::envelope::ENVELOPE_VERSION;
/// At most this many wrapped data keys per version (UpdateSecret adds one per key change).
pub const MAX_WRAPS: usize = 4;

/// A stored version value, parsed.
#[derive(Debug)]
pub enum Sealed<'a> {
    /// A pre-KMS envelope (opened with [`open_legacy`]).
    Legacy(&'a [u8]),
    /// The data key wrapped by one or more KMS keys (each a KMS CiphertextBlob, newest
    /// first), and the value sealed under the data key.
    Wrapped {
        /// Wrapped data keys, newest key first; any one of them opens the payload.
        wraps: Vec<&'a [u8]>,
        /// `seal(data key, framed value, AAD)`.
        payload: &'a [u8],
    },
}

/// Parses a stored version value:
///
/// ```text
/// 0x02 || u8 n (1..=MAX_WRAPS) || n × (u16-be len || KMS CiphertextBlob of the data key) || payload
/// payload = seal(data key, framed value, aad("secret-value", account, region, ARN, version id))
/// ```
pub fn parse_sealed(blob: &[u8]) -> Result<Sealed<'_>, ApiError> {
    let corrupt = || internal("stored secret value is malformed");
    let (&format, rest) = blob.split_first().ok_or_else(corrupt)?;
    if format == SEALED_LEGACY {
        return Ok(Sealed::Legacy(blob));
    }
    if format != SEALED_V2 {
        return Err(corrupt());
    }
    let (&n, mut rest) = rest.split_first().ok_or_else(corrupt)?;
    if n == 0 || usize::from(n) > MAX_WRAPS {
        return Err(corrupt());
    }
    let mut wraps = Vec::with_capacity(usize::from(n));
    for _ in 0..n {
        if rest.len() < 2 {
            return Err(corrupt());
        }
        let (len, tail) = rest.split_at(2);
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        if tail.len() < len {
            return Err(corrupt());
        }
        let (wrap, tail) = tail.split_at(len);
        wraps.push(wrap);
        rest = tail;
    }
    if rest.is_empty() {
        return Err(corrupt());
    }
    Ok(Sealed::Wrapped {
        wraps,
        payload: rest,
    })
}

/// Encodes a stored version value from its wrapped data keys (newest first; at most
/// [`MAX_WRAPS`], the oldest dropped beyond) and its payload.
pub fn encode_sealed(wraps: &[&[u8]], payload: &[u8]) -> Result<Vec<u8>, ApiError> {
    let wraps = &wraps[..wraps.len().min(MAX_WRAPS)];
    let n = u8::try_from(wraps.len()).map_err(internal)?;
    if n == 0 {
        return Err(internal("a sealed value needs a wrapped data key"));
    }
    let mut out =
        Vec::with_capacity(2 + wraps.iter().map(|w| 2 + w.len()).sum::<usize>() + payload.len());
    out.push(SEALED_V2);
    out.push(n);
    for w in wraps {
        let len = u16::try_from(w.len()).map_err(internal)?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(w);
    }
    out.extend_from_slice(payload);
    Ok(out)
}

/// Seals a value for one version of one secret under its data key.
pub fn seal_payload(
    dek: &Key256,
    account: &str,
    region: &str,
    arn: &str,
    version_id: &str,
    value: &SecretValue,
) -> Vec<u8> {
    seal(
        dek,
        value.frame().expose(),
        &value_aad(account, region, arn, version_id),
    )
}

/// Opens a payload sealed by [`seal_payload`].
pub fn open_payload(
    dek: &Key256,
    account: &str,
    region: &str,
    arn: &str,
    version_id: &str,
    payload: &[u8],
) -> Result<SecretValue, ApiError> {
    let plain = open(dek, payload, &value_aad(account, region, arn, version_id))
        .map_err(|_| decryption_failure(arn, version_id))?;
    SecretValue::unframe(&plain)
}

/// Opens a value sealed before KMS keys existed, under the `aws/secretsmanager` key's first
/// material.
pub fn open_legacy(
    kek: &Key256,
    account: &str,
    region: &str,
    arn: &str,
    version_id: &str,
    sealed: &[u8],
) -> Result<SecretValue, ApiError> {
    let plain = envelope_open(kek, sealed, &value_aad(account, region, arn, version_id))
        .map_err(|_| decryption_failure(arn, version_id))?;
    SecretValue::unframe(&plain)
}

/// AWS's text when a value cannot be decrypted.
pub const DECRYPTION_FAILURE: &str =
    "Secrets Manager can't decrypt the protected secret text using the provided KMS key.";

fn decryption_failure(arn: &str, version_id: &str) -> ApiError {
    tracing::error!(%arn, %version_id, "secret value failed to decrypt");
    ApiError::new(cofre_api::ErrorCode::DecryptionFailure, DECRYPTION_FAILURE)
}
