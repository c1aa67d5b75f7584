//! Row types of the audit trail as the store keeps it: one [`AuditRow`] per recorded event,
//! in an append-only sequence, and signed [`AuditDigestRow`]s over it.
//!
//! The store does not compute or check hashes or signatures (that is `cofre_core::audit`);
//! it keeps the sequence contiguous ([`crate::Store::audit_append`] refuses a batch that
//! does not start right after the last stored record) and answers indexed look-ups.

/// One recorded event: its position in the chain, the indexed fields look-ups filter on,
/// the exact record bytes that were hashed, and the chain hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// The record's `eventID`.
    pub event_id: String,
    /// `eventTime` in ms since the epoch.
    pub event_time_ms: i64,
    /// `eventName`.
    pub event_name: String,
    /// `eventSource`.
    pub event_source: String,
    /// `readOnly`.
    pub read_only: bool,
    /// `userIdentity.accessKeyId`, when there was one.
    pub access_key_id: Option<String>,
    /// The user name LookupEvents filters on (user or role session name), when known.
    pub username: Option<String>,
    /// `recipientAccountId`: whose trail the event belongs to.
    pub recipient_account: String,
    /// `resources`, as (type, name) pairs.
    pub resources: Vec<(String, String)>,
    /// The canonical record bytes (the CloudTrail JSON document), as hashed.
    pub record: Vec<u8>,
    /// The previous record's `hash` (32 zero bytes for the first record).
    pub prev_hash: Vec<u8>,
    /// SHA-256 over `prev_hash`, `seq` and `record`.
    pub hash: Vec<u8>,
}

/// A signed statement "the chain up to `last_seq` ends in `last_hash`".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditDigestRow {
    /// The last sequence number covered.
    pub last_seq: u64,
    /// The hash of that record.
    pub last_hash: Vec<u8>,
    /// When the digest was made (ms since the epoch).
    pub time_ms: i64,
    /// The signature over the digest (Ed25519 in core).
    pub signature: Vec<u8>,
}

/// The attribute a look-up filters on (LookupEvents' `AttributeKey`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAttribute {
    /// `eventName`.
    EventName,
    /// The user name.
    Username,
    /// Any resource's name.
    ResourceName,
    /// Any resource's type.
    ResourceType,
    /// `eventID`.
    EventId,
    /// `readOnly` (`"true"` / `"false"`).
    ReadOnly,
    /// `userIdentity.accessKeyId`.
    AccessKeyId,
    /// `eventSource`.
    EventSource,
}

/// What [`crate::Store::audit_lookup`] returns: rows of one recipient account, newest
/// (highest `seq`) first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only rows whose `recipient_account` is this.
    pub recipient_account: String,
    /// Only rows whose attribute equals the value.
    pub attribute: Option<(AuditAttribute, String)>,
    /// Only rows with `event_time_ms >= start_ms`.
    pub start_ms: Option<i64>,
    /// Only rows with `event_time_ms <= end_ms`.
    pub end_ms: Option<i64>,
    /// Only rows with `seq < before_seq` (paging).
    pub before_seq: Option<u64>,
    /// At most this many rows.
    pub limit: usize,
}

impl AuditFilter {
    /// Whether `row` passes the filter (the memory backend's evaluation, and the reference
    /// for the SQL one).
    pub fn matches(&self, row: &AuditRow) -> bool {
        if row.recipient_account != self.recipient_account {
            return false;
        }
        if self.start_ms.is_some_and(|s| row.event_time_ms < s)
            || self.end_ms.is_some_and(|e| row.event_time_ms > e)
            || self.before_seq.is_some_and(|b| row.seq >= b)
        {
            return false;
        }
        match &self.attribute {
            None => true,
            Some((attr, value)) => match attr {
                AuditAttribute::EventName => row.event_name == *value,
                AuditAttribute::Username => row.username.as_deref() == Some(value.as_str()),
                AuditAttribute::ResourceName => row.resources.iter().any(|(_, n)| n == value),
                AuditAttribute::ResourceType => row.resources.iter().any(|(t, _)| t == value),
                AuditAttribute::EventId => row.event_id == *value,
                AuditAttribute::ReadOnly => {
                    (if row.read_only { "true" } else { "false" }) == value.as_str()
                }
                AuditAttribute::AccessKeyId => row.access_key_id.as_deref() == Some(value.as_str()),
                AuditAttribute::EventSource => row.event_source == *value,
            },
        }
    }
}

/// Checks that `rows` are consecutive and start right after `last` (the stored tail).
pub(crate) fn check_contiguous(
    last: Option<u64>,
    rows: &[AuditRow],
) -> Result<(), crate::StoreError> {
    let first = last.unwrap_or(0) + 1;
    if rows
        .iter()
        .zip(first..)
        .any(|(row, expected)| row.seq != expected)
    {
        return Err(crate::StoreError::Conflict);
    }
    Ok(())
}
