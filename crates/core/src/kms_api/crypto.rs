//! Cryptographic operations: Encrypt, Decrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext, ReEncrypt.
//!
//! Plaintexts (the request's, a decrypted one, a data key) live only in zeroizing buffers:
//! `SensitiveBlob` on the wire, `SecretBytes` in the domain. Each request's encryption context
//! becomes the `kms:EncryptionContext:<key>` and `kms:EncryptionContextKeys` condition keys.
//! Cofre has no grants, so any grant token is invalid; `Recipient` (Nitro Enclaves) is not
//! supported; `DryRun` answers `DryRunOperationException` once the request is authorized.

use std::collections::BTreeMap;

use cofre_api::kms::{
    self as wire, DecryptRequest, DecryptResponse, EncryptRequest, EncryptResponse,
    GenerateDataKeyRequest, GenerateDataKeyResponse, GenerateDataKeyWithoutPlaintextRequest,
    GenerateDataKeyWithoutPlaintextResponse, ReEncryptRequest, ReEncryptResponse,
};
use cofre_api::{ApiError, Blob, Context, SensitiveBlob};
use cofre_crypto::SecretBytes;
use cofre_policy::ContextKeys;

use super::{
    add_context_keys, authz_err, dry_run, kms_err, request_keys, required, SYMMETRIC_DEFAULT,
};
use crate::authz::AuthzError;
use crate::kms::{KeyMetadata, KmsError};
use crate::Service;

/// Only `SYMMETRIC_DEFAULT` encrypts under a symmetric key.
fn check_algorithm(algorithm: Option<&str>) -> Result<(), ApiError> {
    match algorithm {
        None | Some(SYMMETRIC_DEFAULT) => Ok(()),
        Some(other) => Err(wire::error(
            "InvalidKeyUsageException",
            format!(
                "The encryption algorithm {other} is not compatible with a {SYMMETRIC_DEFAULT} KMS key."
            ),
        )),
    }
}

/// Cofre issues no grants, so no grant token is valid.
fn check_grant_tokens(tokens: Option<&[String]>) -> Result<(), ApiError> {
    if tokens.is_some_and(|t| !t.is_empty()) {
        return Err(wire::error(
            "InvalidGrantTokenException",
            "Cofre does not support grants; the grant token is not valid.",
        ));
    }
    Ok(())
}

/// `UnsupportedOperationException` for a request with a `Recipient` (Nitro Enclaves).
fn no_recipient(present: bool) -> Result<(), ApiError> {
    if present {
        return Err(wire::error(
            "UnsupportedOperationException",
            "Cofre does not support Recipient (Nitro Enclaves attestation) yet.",
        ));
    }
    Ok(())
}

/// The condition keys of a request that uses `context` with `SYMMETRIC_DEFAULT`.
fn crypto_keys(
    ctx: &Context,
    key_ref: Option<&str>,
    context: &BTreeMap<String, String>,
) -> ContextKeys {
    let mut keys = request_keys(ctx, key_ref);
    add_context_keys(&mut keys, context);
    keys.insert("kms:EncryptionAlgorithm", SYMMETRIC_DEFAULT);
    keys
}

/// The data key length GenerateDataKey asks for: `KeySpec` or `NumberOfBytes`, exactly one.
fn data_key_len(key_spec: Option<&str>, number_of_bytes: Option<i64>) -> Result<usize, ApiError> {
    let either = || ApiError::validation("Please specify either number of bytes or key spec.");
    match (key_spec, number_of_bytes) {
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (None, Some(n)) => usize::try_from(n).map_err(|_| either()),
        _ => Err(either()),
    }
}

/// A plaintext for the wire.
fn sensitive(plaintext: &SecretBytes) -> SensitiveBlob {
    SensitiveBlob::new(plaintext.expose().to_vec())
}

pub(super) async fn encrypt(
    svc: &Service,
    ctx: &Context,
    input: EncryptRequest,
) -> Result<EncryptResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let plaintext = required(input.plaintext, "plaintext")?;
    let context = input.encryption_context.unwrap_or_default();
    check_algorithm(input.encryption_algorithm.as_deref())?;
    check_grant_tokens(input.grant_tokens.as_deref())?;
    let keys = crypto_keys(ctx, Some(&key_ref), &context);
    let key = svc.resolve_key(ctx, &key_ref, "kms:Encrypt", keys).await?;
    if input.dry_run == Some(true) {
        return Err(dry_run());
    }
    let (ciphertext, key) = svc
        .kms
        .encrypt(
            svc.keys.root(),
            &key.account_id,
            &key.region,
            &key.arn,
            plaintext.expose(),
            &context,
        )
        .await
        .map_err(kms_err)?;
    Ok(EncryptResponse {
        ciphertext_blob: Some(Blob::new(ciphertext)),
        key_id: Some(key.arn),
        encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
    })
}

/// Authorizes `action` on the key `ciphertext` was made under: the key the request names if
/// it names one (the domain then checks the ciphertext is that key's, `IncorrectKeyException`
/// otherwise), else the key the ciphertext names. Nothing is decrypted before this decision.
async fn authorize_ciphertext(
    svc: &Service,
    ctx: &Context,
    action: &str,
    ciphertext: &[u8],
    key_ref: Option<&str>,
    context: &BTreeMap<String, String>,
) -> Result<KeyMetadata, ApiError> {
    let keys = crypto_keys(ctx, key_ref, context);
    if let Some(key_ref) = key_ref {
        return svc.resolve_key(ctx, key_ref, action, keys).await;
    }
    let key = svc
        .kms
        .ciphertext_key(&ctx.region, ciphertext)
        .await
        .map_err(kms_err)?;
    match svc.authorize_kms(ctx, action, &key, keys).await {
        Ok(()) => Ok(key),
        // Another account's key the caller may not use gets AWS's answer for a ciphertext
        // whose key does not exist, so the two can't be told apart.
        Err(AuthzError::Denied(_)) if key.account_id != ctx.account_id => {
            Err(kms_err(KmsError::unknown_ciphertext_key()))
        }
        Err(e) => Err(authz_err(e)),
    }
}

/// Decrypts `ciphertext` under `key` (authorized by [`authorize_ciphertext`]).
async fn open(
    svc: &Service,
    key: &KeyMetadata,
    ciphertext: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<(SecretBytes, KeyMetadata), ApiError> {
    svc.kms
        .decrypt(
            svc.keys.root(),
            &key.account_id,
            &key.region,
            ciphertext,
            Some(&key.arn),
            context,
        )
        .await
        .map_err(kms_err)
}

pub(super) async fn decrypt(
    svc: &Service,
    ctx: &Context,
    input: DecryptRequest,
) -> Result<DecryptResponse, ApiError> {
    let ciphertext = required(input.ciphertext_blob, "ciphertextBlob")?;
    let context = input.encryption_context.unwrap_or_default();
    check_algorithm(input.encryption_algorithm.as_deref())?;
    check_grant_tokens(input.grant_tokens.as_deref())?;
    no_recipient(input.recipient.is_some())?;
    let key = authorize_ciphertext(
        svc,
        ctx,
        "kms:Decrypt",
        ciphertext.as_slice(),
        input.key_id.as_deref(),
        &context,
    )
    .await?;
    if input.dry_run == Some(true) {
        return Err(dry_run());
    }
    let (plaintext, key) = open(svc, &key, ciphertext.as_slice(), &context).await?;
    Ok(DecryptResponse {
        key_id: Some(key.arn),
        plaintext: Some(sensitive(&plaintext)),
        encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
        ..Default::default()
    })
}

/// What GenerateDataKey and GenerateDataKeyWithoutPlaintext ask for.
struct DataKeyAsk<'a> {
    key_ref: Option<String>,
    context: Option<BTreeMap<String, String>>,
    /// The data key length, or why the request does not give one.
    len: Result<usize, ApiError>,
    grant_tokens: Option<&'a [String]>,
    dry_run: Option<bool>,
}

/// GenerateDataKey and GenerateDataKeyWithoutPlaintext: a fresh data key and its ciphertext.
async fn data_key(
    svc: &Service,
    ctx: &Context,
    action: &str,
    ask: DataKeyAsk<'_>,
) -> Result<(SecretBytes, Vec<u8>, KeyMetadata), ApiError> {
    let key_ref = required(ask.key_ref, "keyId")?;
    let context = ask.context.unwrap_or_default();
    let len = ask.len?;
    check_grant_tokens(ask.grant_tokens)?;
    let keys = crypto_keys(ctx, Some(&key_ref), &context);
    let key = svc.resolve_key(ctx, &key_ref, action, keys).await?;
    if ask.dry_run == Some(true) {
        return Err(dry_run());
    }
    svc.kms
        .generate_data_key(
            svc.keys.root(),
            &key.account_id,
            &key.region,
            &key.arn,
            len,
            &context,
        )
        .await
        .map_err(kms_err)
}

pub(super) async fn generate_data_key(
    svc: &Service,
    ctx: &Context,
    input: GenerateDataKeyRequest,
) -> Result<GenerateDataKeyResponse, ApiError> {
    no_recipient(input.recipient.is_some())?;
    let (plaintext, ciphertext, key) = data_key(
        svc,
        ctx,
        "kms:GenerateDataKey",
        DataKeyAsk {
            key_ref: input.key_id,
            context: input.encryption_context,
            len: data_key_len(input.key_spec.as_deref(), input.number_of_bytes),
            grant_tokens: input.grant_tokens.as_deref(),
            dry_run: input.dry_run,
        },
    )
    .await?;
    Ok(GenerateDataKeyResponse {
        ciphertext_blob: Some(Blob::new(ciphertext)),
        plaintext: Some(sensitive(&plaintext)),
        key_id: Some(key.arn),
        ..Default::default()
    })
}

pub(super) async fn generate_data_key_without_plaintext(
    svc: &Service,
    ctx: &Context,
    input: GenerateDataKeyWithoutPlaintextRequest,
) -> Result<GenerateDataKeyWithoutPlaintextResponse, ApiError> {
    let (_plaintext, ciphertext, key) = data_key(
        svc,
        ctx,
        "kms:GenerateDataKeyWithoutPlaintext",
        DataKeyAsk {
            key_ref: input.key_id,
            context: input.encryption_context,
            len: data_key_len(input.key_spec.as_deref(), input.number_of_bytes),
            grant_tokens: input.grant_tokens.as_deref(),
            dry_run: input.dry_run,
        },
    )
    .await?;
    Ok(GenerateDataKeyWithoutPlaintextResponse {
        ciphertext_blob: Some(Blob::new(ciphertext)),
        key_id: Some(key.arn),
        ..Default::default()
    })
}

pub(super) async fn re_encrypt(
    svc: &Service,
    ctx: &Context,
    input: ReEncryptRequest,
) -> Result<ReEncryptResponse, ApiError> {
    let ciphertext = required(input.ciphertext_blob, "ciphertextBlob")?;
    let dest_ref = required(input.destination_key_id, "destinationKeyId")?;
    let source_context = input.source_encryption_context.unwrap_or_default();
    let dest_context = input.destination_encryption_context.unwrap_or_default();
    check_algorithm(input.source_encryption_algorithm.as_deref())?;
    check_algorithm(input.destination_encryption_algorithm.as_deref())?;
    check_grant_tokens(input.grant_tokens.as_deref())?;
    let source = authorize_ciphertext(
        svc,
        ctx,
        "kms:ReEncryptFrom",
        ciphertext.as_slice(),
        input.source_key_id.as_deref(),
        &source_context,
    )
    .await?;
    let keys = crypto_keys(ctx, Some(&dest_ref), &dest_context);
    let dest = svc
        .resolve_key(ctx, &dest_ref, "kms:ReEncryptTo", keys)
        .await?;
    if input.dry_run == Some(true) {
        return Err(dry_run());
    }
    let (plaintext, source) = open(svc, &source, ciphertext.as_slice(), &source_context).await?;
    let (ciphertext, dest) = svc
        .kms
        .encrypt(
            svc.keys.root(),
            &dest.account_id,
            &dest.region,
            &dest.arn,
            plaintext.expose(),
            &dest_context,
        )
        .await
        .map_err(kms_err)?;
    Ok(ReEncryptResponse {
        ciphertext_blob: Some(Blob::new(ciphertext)),
        source_key_id: Some(source.arn),
        key_id: Some(dest.arn),
        source_encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
        destination_encryption_algorithm: Some(SYMMETRIC_DEFAULT.into()),
        ..Default::default()
    })
}
