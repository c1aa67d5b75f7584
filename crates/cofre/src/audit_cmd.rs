//! `cofre audit <subcommand>`: offline work on a data dir's audit trail, and (`query`, `tail`,
//! in [`crate::audit_query`]) reading a running server's trail through LookupEvents.
//!
//! `verify` opens the store read-only, walks the hash chain and checks every signed digest
//! (`cofre_core::audit::verify`), and names each altered, removed or reordered record and
//! each bad digest. It exits 0 only when everything checks out.

use std::path::PathBuf;

use cofre_store::SqliteStore;

use crate::bootstrap;
use crate::server::StartError;

/// Arguments of `cofre audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

/// The `cofre audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the audit trail's hash chain and signed digests; exit 0 only if intact.
    Verify(VerifyArgs),
    /// List a running server's audit events (CloudTrail LookupEvents), newest first, one
    /// CloudTrail record (JSON) per line.
    Query(crate::audit_query::QueryArgs),
    /// Follow a running server's new audit events (repeated LookupEvents), oldest first, one
    /// CloudTrail record (JSON) per line, until interrupted.
    Tail(crate::audit_query::TailArgs),
}

/// Arguments of `cofre audit verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The server's data directory.
    #[arg(long)]
    data_dir: PathBuf,
    /// File holding the base64 root key; also read from env COFRE_ROOT_KEY, else
    /// DATA_DIR/root-key. With it, the digest key is derived from the sealed signing key.
    #[arg(long)]
    root_key_file: Option<PathBuf>,
    /// The digest public key (hex) printed at the server's first start: the trust anchor,
    /// preferred over anything stored in the data dir.
    #[arg(long)]
    public_key: Option<String>,
}

/// Runs `cofre audit ...`.
pub async fn run(args: AuditArgs) -> Result<(), StartError> {
    match args.command {
        AuditCommand::Verify(v) => verify(v).await,
        AuditCommand::Query(q) => crate::audit_query::query(q).await,
        AuditCommand::Tail(t) => crate::audit_query::tail(t).await,
    }
}

async fn verify(args: VerifyArgs) -> Result<(), StartError> {
    let public_key = match &args.public_key {
        None => None,
        Some(h) => Some(
            hex::decode(h.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or("--public-key must be 64 hex digits")?,
        ),
    };
    let root = match bootstrap::supplied_root_key(args.root_key_file.as_deref())? {
        Some((key, _)) => Some(key),
        None => {
            let path = args.data_dir.join(bootstrap::ROOT_KEY_FILE);
            match path.exists() {
                true => bootstrap::supplied_root_key(Some(&path))?.map(|(k, _)| k),
                false => None,
            }
        }
    };
    let store = SqliteStore::open_read_only(&args.data_dir.join(bootstrap::STORE_FILE))?;
    let report = cofre_core::audit::verify(&store, root.as_ref(), public_key).await?;
    println!(
        "checked {} records (last seq {}) and {} digests; digest key from {}",
        report.records, report.last_seq, report.digests, report.key_origin
    );
    if report.signed_through < report.last_seq {
        println!(
            "note: records {} to {} are chained but not yet covered by a signed digest",
            report.signed_through + 1,
            report.last_seq
        );
    }
    if report.problems.is_empty() {
        println!("audit trail OK");
        return Ok(());
    }
    for p in &report.problems {
        println!("TAMPERED: {p}");
    }
    Err(format!(
        "audit trail verification failed: {} problem(s)",
        report.problems.len()
    )
    .into())
}
