//! Code generated from the AWS models by `codegen/gen_api.py`; see each file's header.

pub mod secretsmanager;
