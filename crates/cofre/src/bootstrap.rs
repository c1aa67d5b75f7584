//! First-start duties: the data directory, the root key and the account's root access key.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use cofre_core::Service;
use cofre_crypto::{RootKey, SecretBytes};

use crate::server::StartError;

/// The generated root key's file in the data dir (without sealing or a supplied key).
pub const ROOT_KEY_FILE: &str = "root-key";
/// The embedded store's file in the data dir.
pub const STORE_FILE: &str = "cofre.db";
const ROOT_CREDENTIALS_FILE: &str = "root-credentials";

/// Creates the data directory (mode 0700) if needed.
pub fn prepare_data_dir(dir: &Path) -> Result<(), StartError> {
    fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create data dir {}: {e}", dir.display()))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// Writes `contents` to a new file with mode 0600, durably.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<(), StartError> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

/// The root key: `--root-key-file`, else env `COFRE_ROOT_KEY`, else `DIR/root-key`, which is
/// generated on first start (only then: a store without its key is an error, never a new key).
pub fn root_key(dir: &Path, file: Option<&Path>) -> Result<RootKey, StartError> {
    if let Some((key, _)) = supplied_root_key(file)? {
        return Ok(key);
    }
    let path = dir.join(ROOT_KEY_FILE);
    if path.exists() {
        let text = SecretBytes::from(fs::read(&path)?);
        return parse_root_key(&text, &path.display().to_string());
    }
    if dir.join(STORE_FILE).exists() {
        // A data dir copied without its key (or a key moved away) must not start with a new
        // key: it could decrypt nothing, and would write records sealed under the wrong key.
        return Err(format!(
            "the store exists but no root key was supplied: {} holds {STORE_FILE} but no \
             {ROOT_KEY_FILE}; pass the root key with --root-key-file or COFRE_ROOT_KEY",
            dir.display()
        )
        .into());
    }
    let (key, b64) = RootKey::generate();
    write_private(&path, b64.expose())?;
    tracing::warn!(
        path = %path.display(),
        "generated a root key next to the data. Anyone who has both this file and the database \
         can decrypt every secret: keep it out of backups of the data dir, or move it elsewhere \
         and pass --root-key-file / COFRE_ROOT_KEY (or seal it: cofre operator init)"
    );
    Ok(key)
}

/// The root key the operator supplied, `--root-key-file` else env `COFRE_ROOT_KEY`, with a
/// name for where it came from; `None` if neither is given.
pub fn supplied_root_key(file: Option<&Path>) -> Result<Option<(RootKey, String)>, StartError> {
    if let Some(f) = file {
        let text = SecretBytes::from(
            fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?,
        );
        let origin = f.display().to_string();
        return Ok(Some((parse_root_key(&text, &origin)?, origin)));
    }
    if let Ok(v) = std::env::var("COFRE_ROOT_KEY") {
        let key = parse_root_key(&SecretBytes::from(v), "COFRE_ROOT_KEY")?;
        return Ok(Some((key, "COFRE_ROOT_KEY".to_owned())));
    }
    Ok(None)
}

/// Fails unless `root` opens the key material already in the store (the operator account's
/// root access key), so a wrong root key stops start-up instead of failing every request.
pub async fn check_root_key(svc: &Service, account: &str) -> Result<(), StartError> {
    svc.credentials()
        .account_root_key(svc.keys().root(), account)
        .await
        .map(|_| ())
        .map_err(|e| {
            format!(
                "the root key does not open the key material stored in this data dir \
                 (wrong root key?): {e}"
            )
            .into()
        })
}

fn parse_root_key(text: &SecretBytes, origin: &str) -> Result<RootKey, StartError> {
    let s = std::str::from_utf8(text.expose())
        .map_err(|_| format!("root key in {origin} is not text"))?;
    RootKey::from_base64(s).map_err(|e| format!("root key in {origin}: {e}").into())
}

/// Registers `account` (the operator account) with IAM, so it is listed like every other;
/// nothing to do if it is registered already.
pub async fn register_account(svc: &Service, account: &str) -> Result<(), StartError> {
    match svc.iam().create_account(account).await {
        Ok(_) => Ok(()),
        Err(e) if e.code == cofre_core::iam::error::ENTITY_ALREADY_EXISTS => Ok(()),
        Err(e) => Err(format!("cannot register account {account}: {e}").into()),
    }
}

/// Ensures the account has a root access key; on first start, takes it from
/// `COFRE_ROOT_ACCESS_KEY_ID`/`COFRE_ROOT_SECRET_ACCESS_KEY` or generates one, prints it
/// once and writes `DIR/root-credentials` (0600, AWS credentials-file format).
pub async fn root_credentials(svc: &Service, dir: &Path, account: &str) -> Result<(), StartError> {
    let provided = match (
        std::env::var("COFRE_ROOT_ACCESS_KEY_ID"),
        std::env::var("COFRE_ROOT_SECRET_ACCESS_KEY"),
    ) {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => {
            Some((id, SecretBytes::from(secret)))
        }
        _ => None,
    };
    let from_env = provided.is_some();
    let now = svc.clock().now_ms();
    let created = svc
        .credentials()
        .ensure_account_root_key(svc.keys().root(), account, provided, now)
        .await
        .map_err(|e| format!("cannot create the root access key: {e}"))?;
    let Some(key) = created else { return Ok(()) };
    if from_env {
        tracing::info!(access_key_id = %key.access_key_id, "root access key taken from the environment");
        return Ok(());
    }
    let secret =
        std::str::from_utf8(key.secret.expose()).map_err(|_| "generated secret is not text")?;
    let file = SecretBytes::from(format!(
        "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        key.access_key_id, secret
    ));
    let path = dir.join(ROOT_CREDENTIALS_FILE);
    write_private(&path, file.expose())?;
    // Printed once, on first start only, for the operator.
    println!(
        "Root access key for account {account} (also in {}):",
        path.display()
    );
    println!("  aws_access_key_id     = {}", key.access_key_id);
    println!("  aws_secret_access_key = {secret}");
    Ok(())
}
