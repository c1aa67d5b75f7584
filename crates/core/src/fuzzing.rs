//! Entry points for the fuzz targets in `fuzz/` (the `store_records` target): the decoders of
//! stored records that are private to this crate, exposed as they are, with nothing added.
//!
//! Not part of Cofre's API: hidden from the docs, and only `fuzz/` calls it.

use crate::credentials::StoredAccessKey;
use crate::iam::model::{AccountRecord, GroupRecord, PolicyRecord, RoleRecord, UserRecord};
use crate::iam::records::{self, Record};

/// The kinds of IAM record [`iam_record`] decodes, in the order of its `kind` argument.
pub const IAM_RECORD_KINDS: [&str; 5] = ["user", "role", "group", "policy", "account"];

/// Decodes `bytes` as the stored IAM record of kind `IAM_RECORD_KINDS[kind % 5]` (as
/// `iam::records::read` does) and, if that succeeds, encodes it again (as every write does).
///
/// `None` when the bytes are not such a record; `Some(Err(_))` when a decoded record cannot be
/// encoded again.
pub fn iam_record(kind: usize, bytes: &[u8]) -> Option<Result<Vec<u8>, String>> {
    fn roundtrip<R: Record>(bytes: &[u8]) -> Option<Result<Vec<u8>, String>> {
        let rec: R = records::decode(bytes).ok()?;
        Some(records::encode(&rec).map_err(|e| e.to_string()))
    }
    match kind % IAM_RECORD_KINDS.len() {
        0 => roundtrip::<UserRecord>(bytes),
        1 => roundtrip::<RoleRecord>(bytes),
        2 => roundtrip::<GroupRecord>(bytes),
        3 => roundtrip::<PolicyRecord>(bytes),
        _ => roundtrip::<AccountRecord>(bytes),
    }
}

/// Decodes `bytes` as a stored access key record (as `Credentials::lookup` does) and, if that
/// succeeds, encodes it again. `None` when the bytes are not such a record.
pub fn access_key_record(bytes: &[u8]) -> Option<Result<Vec<u8>, String>> {
    let rec = StoredAccessKey::decode(bytes).ok()?;
    Some(rec.encode().map_err(|e| e.to_string()))
}
