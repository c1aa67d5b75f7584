//! The hash chain, the digest signing key, and verification.
//!
//! - `hash(seq) = SHA-256(prev_hash ‖ seq as 8 bytes big-endian ‖ record bytes)`, with
//!   `prev_hash` of the first record all zeros ([`GENESIS`]). The sequence number is inside
//!   the hash, so renumbering is detected as well as editing.
//! - A digest signs `"cofre-audit-digest-v1\0" ‖ last_seq ‖ last_hash ‖ time_ms` with
//!   Ed25519. The signing seed is sealed under the root key in the store's kv
//!   ([`SIGNING_KEY_KV`]); the public key is kept in clear beside it ([`PUBLIC_KEY_KV`])
//!   and printed at first start, so a copy can be kept outside the data dir.

use std::collections::HashMap;

use cofre_crypto::RootKey;
use cofre_store::{AuditDigestRow, AuditRow, Store};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest as _, Sha256};

use super::{AuditError, AuditStarted};

/// `prev_hash` of the first record.
pub const GENESIS: [u8; 32] = [0; 32];
/// (namespace, key) of the sealed Ed25519 signing seed.
pub const SIGNING_KEY_KV: (&str, &str) = ("audit", "signing-key");
/// (namespace, key) of the public key, hex, in clear.
pub const PUBLIC_KEY_KV: (&str, &str) = ("audit", "public-key");
const SEAL_AAD: &[u8] = b"cofre-audit-signing-key-v1";
const DIGEST_DOMAIN: &[u8] = b"cofre-audit-digest-v1\0";

/// The chain hash of a record.
pub(crate) fn chain_hash(prev_hash: &[u8], seq: u64, record: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(seq.to_be_bytes());
    h.update(record);
    h.finalize().to_vec()
}

fn digest_message(last_seq: u64, last_hash: &[u8], time_ms: i64) -> Vec<u8> {
    let mut m = DIGEST_DOMAIN.to_vec();
    m.extend_from_slice(&last_seq.to_be_bytes());
    m.extend_from_slice(last_hash);
    m.extend_from_slice(&time_ms.to_be_bytes());
    m
}

/// A signed digest over the chain's end.
pub(crate) fn sign_digest(
    key: &SigningKey,
    last_seq: u64,
    last_hash: &[u8],
    time_ms: i64,
) -> AuditDigestRow {
    let signature = key.sign(&digest_message(last_seq, last_hash, time_ms));
    AuditDigestRow {
        last_seq,
        last_hash: last_hash.to_vec(),
        time_ms,
        signature: signature.to_bytes().to_vec(),
    }
}

fn open_seed(root: &RootKey, sealed: &[u8]) -> Result<SigningKey, AuditError> {
    let seed = cofre_crypto::open(root.key(), sealed, SEAL_AAD)
        .map_err(|e| AuditError::Key(format!("cannot open the sealed signing key: {e}")))?;
    let seed: [u8; 32] = seed
        .expose()
        .try_into()
        .map_err(|_| AuditError::Key("sealed signing key has the wrong length".into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Opens the signing key, creating it (race-safely) on first start.
pub(crate) async fn signing_key(
    store: &dyn Store,
    root: &RootKey,
) -> Result<(SigningKey, AuditStarted), AuditError> {
    let (ns, name) = SIGNING_KEY_KV;
    let mut created = false;
    let sealed = match store.kv_get(ns, name).await? {
        Some(s) => s,
        None => {
            let seed = cofre_crypto::util::random_bytes(32);
            let mine = cofre_crypto::seal(root.key(), &seed, SEAL_AAD);
            let stored = store.kv_put_if_absent(ns, name, mine.clone()).await?;
            created = stored == mine;
            stored
        }
    };
    let key = open_seed(root, &sealed)?;
    let public_key_hex = hex::encode(key.verifying_key().to_bytes());
    let (pns, pname) = PUBLIC_KEY_KV;
    match store.kv_get(pns, pname).await? {
        Some(stored) if stored == public_key_hex.as_bytes() => {}
        Some(_) => {
            return Err(AuditError::Key(
                "the stored audit public key does not match the sealed signing key".into(),
            ))
        }
        None => {
            store
                .kv_put(pns, pname, public_key_hex.clone().into_bytes())
                .await?
        }
    }
    Ok((
        key,
        AuditStarted {
            public_key_hex,
            created,
        },
    ))
}

/// One thing wrong with a trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The record's bytes (or its index columns) no longer hash to its stored hash.
    Altered {
        /// Sequence number.
        seq: u64,
        /// Event id.
        event_id: String,
    },
    /// Records `from..=to` are missing.
    Removed {
        /// First missing sequence number.
        from: u64,
        /// Last missing sequence number.
        to: u64,
    },
    /// The record's `prev_hash` is not the previous record's hash (reordered or replaced).
    Reordered {
        /// Sequence number.
        seq: u64,
        /// Event id.
        event_id: String,
    },
    /// A digest's signature does not verify.
    BadDigestSignature {
        /// The digest's last sequence number.
        last_seq: u64,
    },
    /// A digest names a record that is missing or has another hash.
    DigestMismatch {
        /// The digest's last sequence number.
        last_seq: u64,
    },
    /// The stored public key differs from the one given or derived from the root key.
    PublicKeyMismatch,
    /// No public key to check digests with.
    NoPublicKey,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Altered { seq, event_id } => {
                write!(
                    f,
                    "record {seq} (event {event_id}) was altered: hash mismatch"
                )
            }
            Self::Removed { from, to } if from == to => {
                write!(f, "record {from} was removed: sequence gap")
            }
            Self::Removed { from, to } => {
                write!(f, "records {from} to {to} were removed: sequence gap")
            }
            Self::Reordered { seq, event_id } => write!(
                f,
                "record {seq} (event {event_id}) does not follow its predecessor: \
                 prev_hash mismatch (reordered or replaced)"
            ),
            Self::BadDigestSignature { last_seq } => {
                write!(f, "digest at record {last_seq}: bad signature")
            }
            Self::DigestMismatch { last_seq } => write!(
                f,
                "digest at record {last_seq}: the record is missing or its hash differs \
                 (truncated or rewritten)"
            ),
            Self::PublicKeyMismatch => write!(
                f,
                "the public key stored in the data dir differs from the trusted one"
            ),
            Self::NoPublicKey => write!(f, "no public key to verify digests with"),
        }
    }
}

/// What [`verify`] found.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    /// Records checked.
    pub records: u64,
    /// Digests checked.
    pub digests: u64,
    /// The last sequence number seen.
    pub last_seq: u64,
    /// The last sequence number covered by a good digest (records after it are chained but
    /// not yet signed: written after the last digest, e.g. before a crash).
    pub signed_through: u64,
    /// Everything wrong; empty when the trail is intact.
    pub problems: Vec<Problem>,
    /// Where the public key came from (`--public-key`, the root key, the data dir).
    pub key_origin: &'static str,
}

/// Whether a record's index columns agree with its (hashed) bytes.
fn index_matches(row: &AuditRow) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&row.record) else {
        return false;
    };
    v.get("eventID").and_then(|x| x.as_str()) == Some(row.event_id.as_str())
        && v.get("eventName").and_then(|x| x.as_str()) == Some(row.event_name.as_str())
        && v.get("eventSource").and_then(|x| x.as_str()) == Some(row.event_source.as_str())
        && v.get("recipientAccountId").and_then(|x| x.as_str())
            == Some(row.recipient_account.as_str())
        && v.get("readOnly").and_then(|x| x.as_bool()) == Some(row.read_only)
        && v.get("eventTime").and_then(|x| x.as_str())
            == Some(super::record::iso8601(row.event_time_ms).as_str())
        && v.pointer("/userIdentity/accessKeyId")
            .and_then(|x| x.as_str())
            == row.access_key_id.as_deref()
        && v.get("resources")
            .and_then(|r| r.as_array())
            .is_some_and(|rs| {
                rs.iter().all(|r| {
                    r.get("ARN")
                        .and_then(|a| a.as_str())
                        .is_some_and(|a| row.resources.iter().any(|(_, n)| n == a))
                })
            })
}

/// Walks the whole chain and every digest. The digest key is `public_key` if given, else
/// the one derived from the sealed signing key when `root` is given (and the clear copy in
/// the store must match it), else the clear copy in the store.
pub async fn verify(
    store: &dyn Store,
    root: Option<&RootKey>,
    public_key: Option<[u8; 32]>,
) -> Result<VerifyReport, AuditError> {
    let mut report = VerifyReport::default();
    let stored_pub = store
        .kv_get(PUBLIC_KEY_KV.0, PUBLIC_KEY_KV.1)
        .await?
        .and_then(|v| hex::decode(v).ok())
        .and_then(|v| <[u8; 32]>::try_from(v).ok());
    let trusted = if let Some(pk) = public_key {
        report.key_origin = "--public-key";
        Some(pk)
    } else if let Some(root) = root {
        report.key_origin = "the sealed signing key (root key)";
        match store.kv_get(SIGNING_KEY_KV.0, SIGNING_KEY_KV.1).await? {
            Some(sealed) => Some(open_seed(root, &sealed)?.verifying_key().to_bytes()),
            None => None,
        }
    } else {
        report.key_origin = "the data dir (not independently anchored)";
        stored_pub
    };
    if let (Some(t), Some(s)) = (trusted, stored_pub) {
        if t != s {
            report.problems.push(Problem::PublicKeyMismatch);
        }
    }

    let mut hashes: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut expected = 1u64;
    let mut prev = GENESIS.to_vec();
    let mut after = 0u64;
    loop {
        let page = store.audit_scan(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for row in page {
            report.records += 1;
            if row.seq > expected {
                report.problems.push(Problem::Removed {
                    from: expected,
                    to: row.seq - 1,
                });
            } else if row.prev_hash != prev {
                report.problems.push(Problem::Reordered {
                    seq: row.seq,
                    event_id: row.event_id.clone(),
                });
            }
            if chain_hash(&row.prev_hash, row.seq, &row.record) != row.hash || !index_matches(&row)
            {
                report.problems.push(Problem::Altered {
                    seq: row.seq,
                    event_id: row.event_id.clone(),
                });
            }
            expected = row.seq + 1;
            prev = row.hash.clone();
            hashes.insert(row.seq, row.hash);
        }
    }
    report.last_seq = expected - 1;

    let digests = store.audit_digests().await?;
    if !digests.is_empty() && trusted.is_none() {
        report.problems.push(Problem::NoPublicKey);
    }
    for d in digests {
        report.digests += 1;
        if let Some(pk) = trusted {
            let ok = VerifyingKey::from_bytes(&pk).ok().is_some_and(|vk| {
                Signature::from_slice(&d.signature).is_ok_and(|sig| {
                    vk.verify(&digest_message(d.last_seq, &d.last_hash, d.time_ms), &sig)
                        .is_ok()
                })
            });
            if !ok {
                report.problems.push(Problem::BadDigestSignature {
                    last_seq: d.last_seq,
                });
                continue;
            }
        }
        if hashes.get(&d.last_seq) != Some(&d.last_hash) {
            report.problems.push(Problem::DigestMismatch {
                last_seq: d.last_seq,
            });
        } else if trusted.is_some() {
            report.signed_through = report.signed_through.max(d.last_seq);
        }
    }
    Ok(report)
}
