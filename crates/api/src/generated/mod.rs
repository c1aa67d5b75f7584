//! Code generated from the AWS models: `secretsmanager`, `kms` and `cloudtrail` by `codegen/gen_api.py`; `iam`,
//! `sts` and `unicode` by `codegen/gen_query.py`. See each file's header.

pub mod cloudtrail;
pub mod iam;
pub mod kms;
pub mod secretsmanager;
pub mod sts;
pub mod unicode;
