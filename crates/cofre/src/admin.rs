//! `cofre admin`: the client of Cofre's admin API (`X-Amz-Target: CofreAdmin.<Op>`).
//!
//! Each command is one request, SigV4-signed (service `cofre`) with the real `aws-sigv4`
//! crate and sent over plain HTTP/1.1 with hyper's client. Credentials come from
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), else from the
//! `root-credentials` file the server writes into its data directory on first start.
//!
//! Answers are printed as aligned text. Secret access keys are printed only by the commands
//! that exist to show one (`create-account`, `print-root-key`, `rotate-root-key`); in this
//! process they are held in zeroizing [`SecretBytes`] between the answer and the terminal.
//! Errors print AWS's code and message, and the process exits non-zero.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use cofre_core::admin::Document;
use cofre_crypto::SecretBytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::Deserialize;

/// Errors that make a command fail (printed as `cofre: <error>`).
pub type AdminError = Box<dyn std::error::Error + Send + Sync>;

/// The file the server writes its root credentials to, in its data directory.
const ROOT_CREDENTIALS_FILE: &str = "root-credentials";
/// How long one request may take, connection included (an Apply of a large document writes
/// many records).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Arguments of `cofre admin`.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// The server's endpoint (plain http).
    #[arg(
        long,
        visible_alias = "endpoint-url",
        global = true,
        env = "AWS_ENDPOINT_URL",
        default_value = "http://127.0.0.1:8700"
    )]
    endpoint: String,
    /// The region to sign for.
    #[arg(long, global = true, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// The server's data directory, where its root-credentials file is read from when
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set.
    #[arg(long, global = true, default_value = "./cofre-data")]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AdminCommand {
    /// Create an account and its root access key (printed, secret included).
    CreateAccount {
        /// The 12-digit account id.
        account_id: String,
    },
    /// List the accounts.
    ListAccounts,
    /// Print an account's root access key, secret included.
    PrintRootKey {
        /// The 12-digit account id.
        account_id: String,
    },
    /// Replace an account's root access key; the old one stops working at once.
    RotateRootKey {
        /// The 12-digit account id.
        account_id: String,
    },
    /// Register, list and remove exec and webhook rotation functions.
    #[command(subcommand)]
    RotationFunction(RotationFunctionCommand),
    /// Converge the identities of the accounts a TOML document names to what it says.
    Apply {
        /// The document (TOML).
        file: PathBuf,
        /// Print the changes without making them.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `cofre admin rotation-function ...`.
#[derive(Debug, clap::Subcommand)]
enum RotationFunctionCommand {
    /// Register a rotation function; RotationLambdaARN
    /// arn:aws:lambda:<region>:<account>:function:<name> then names it.
    Create {
        /// The function name (letters, digits, - and _; names starting cofre- are reserved).
        #[arg(long)]
        name: String,
        /// exec: run --command with the event on stdin; webhook: POST the event to --url.
        #[arg(long, value_parser = ["exec", "webhook"])]
        kind: String,
        /// For exec: the command line (run by sh -c).
        #[arg(long)]
        command: Option<String>,
        /// For webhook: the http:// URL.
        #[arg(long)]
        url: Option<String>,
        /// Seconds one step may take (default 60).
        #[arg(long)]
        timeout_seconds: Option<u64>,
        /// The account it belongs to (default: the caller's).
        #[arg(long)]
        account_id: Option<String>,
    },
    /// List an account's registered rotation functions.
    List {
        /// The account (default: the caller's).
        #[arg(long)]
        account_id: Option<String>,
    },
    /// Remove a rotation function.
    Delete {
        /// The function name.
        #[arg(long)]
        name: String,
        /// The account (default: the caller's).
        #[arg(long)]
        account_id: Option<String>,
    },
}

/// Runs one `cofre admin` command.
pub async fn run(args: AdminArgs) -> Result<(), AdminError> {
    // Read the document before anything else: a bad file fails without a request.
    let (op, body) = match &args.command {
        AdminCommand::CreateAccount { account_id } => (
            "CreateAccount",
            serde_json::json!({ "AccountId": account_id }),
        ),
        AdminCommand::ListAccounts => ("ListAccounts", serde_json::json!({})),
        AdminCommand::PrintRootKey { account_id } => (
            "GetAccountRootKey",
            serde_json::json!({ "AccountId": account_id }),
        ),
        AdminCommand::RotateRootKey { account_id } => (
            "RotateAccountRootKey",
            serde_json::json!({ "AccountId": account_id }),
        ),
        AdminCommand::RotationFunction(RotationFunctionCommand::Create {
            name,
            kind,
            command,
            url,
            timeout_seconds,
            account_id,
        }) => (
            "CreateRotationFunction",
            serde_json::json!({
                "AccountId": account_id, "Region": args.region, "Name": name, "Kind": kind,
                "Command": command, "Url": url, "TimeoutSeconds": timeout_seconds,
            }),
        ),
        AdminCommand::RotationFunction(RotationFunctionCommand::List { account_id }) => (
            "ListRotationFunctions",
            serde_json::json!({ "AccountId": account_id }),
        ),
        AdminCommand::RotationFunction(RotationFunctionCommand::Delete { name, account_id }) => (
            "DeleteRotationFunction",
            serde_json::json!({ "AccountId": account_id, "Region": args.region, "Name": name }),
        ),
        AdminCommand::Apply { file, dry_run } => {
            let doc = read_document(file)?;
            (
                "Apply",
                serde_json::json!({ "Document": serde_json::to_value(&doc)?, "DryRun": dry_run }),
            )
        }
    };
    let creds = credentials(&args.data_dir)?;
    let client = Client::new(&args.endpoint, &args.region, creds)?;
    let answer = client.call(op, &serde_json::to_vec(&body)?).await?;
    let out = match &args.command {
        AdminCommand::CreateAccount { .. }
        | AdminCommand::PrintRootKey { .. }
        | AdminCommand::RotateRootKey { .. } => print_key(&answer)?,
        AdminCommand::ListAccounts => print_accounts(&answer)?,
        AdminCommand::Apply { .. } => print_changes(&answer)?,
        AdminCommand::RotationFunction(_) => pretty_json(&answer)?,
    };
    print!(
        "{}",
        out.expose_str().map_err(|_| "the answer is not text")?
    );
    Ok(())
}

/// Parses a TOML document with the server's own types, so a typo is reported with its line
/// and column before anything is sent.
fn read_document(path: &Path) -> Result<Document, AdminError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()).into())
}

/// The credentials requests are signed with.
#[derive(Debug)]
pub(crate) struct Creds {
    access_key_id: String,
    secret: SecretBytes,
    session_token: Option<SecretBytes>,
}

/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), else
/// `DATA_DIR/root-credentials`.
pub(crate) fn credentials(data_dir: &Path) -> Result<Creds, AdminError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(id), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        return Ok(Creds {
            access_key_id: id,
            secret: SecretBytes::from(secret.into_bytes()),
            session_token: env("AWS_SESSION_TOKEN").map(|t| SecretBytes::from(t.into_bytes())),
        });
    }
    let path = data_dir.join(ROOT_CREDENTIALS_FILE);
    // The usual AWS profile: AWS_PROFILE's, or [default] when the data dir has no
    // root-credentials file.
    let profile = env("AWS_PROFILE");
    if profile.is_some() || !path.exists() {
        let shared = env("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| env("HOME").map(|h| Path::new(&h).join(".aws").join("credentials")));
        let profile = profile.unwrap_or_else(|| "default".to_owned());
        if let Some(Ok(bytes)) = shared.map(std::fs::read) {
            if let Some(c) = parse_credentials_file(&SecretBytes::from(bytes), &profile) {
                return Ok(c);
            }
        }
    }
    let text = SecretBytes::from(std::fs::read(&path).map_err(|e| {
        format!(
            "no credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and {} \
             cannot be read ({e}); pass --data-dir with the server's data directory",
            path.display()
        )
    })?);
    parse_credentials_file(&text, "default")
        .ok_or_else(|| format!("{} holds no [default] access key", path.display()).into())
}

/// The `[<profile>]` section of an AWS credentials file.
fn parse_credentials_file(text: &SecretBytes, profile: &str) -> Option<Creds> {
    let text = text.expose_str().ok()?;
    let header = format!("[{profile}]");
    let mut in_default = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_default = line == header;
            continue;
        }
        if !in_default || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "aws_access_key_id" => id = Some(v.to_owned()),
            "aws_secret_access_key" => secret = Some(SecretBytes::from(v.as_bytes().to_vec())),
            "aws_session_token" => token = Some(SecretBytes::from(v.as_bytes().to_vec())),
            _ => {}
        }
    }
    Some(Creds {
        access_key_id: id.filter(|i| !i.is_empty())?,
        secret: secret.filter(|s| !s.is_empty())?,
        session_token: token,
    })
}

/// One endpoint, one identity: a SigV4-signing awsJson 1.1 client (also used by
/// `cofre audit`, for CloudTrail's LookupEvents).
pub(crate) struct Client {
    endpoint: String,
    authority: http::uri::Authority,
    host: String,
    port: u16,
    region: String,
    credentials: Credentials,
}

impl Client {
    /// A client for `endpoint` (`http://host[:port]`).
    pub(crate) fn new(endpoint: &str, region: &str, creds: Creds) -> Result<Self, AdminError> {
        let uri: http::Uri = endpoint
            .parse()
            .map_err(|e| format!("--endpoint {endpoint}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(
                format!("--endpoint {endpoint}: only http:// endpoints are supported").into(),
            );
        }
        if uri.path() != "/" && !uri.path().is_empty() {
            return Err(format!("--endpoint {endpoint}: the endpoint has no path").into());
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| format!("--endpoint {endpoint}: no host"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority.port_u16().unwrap_or(80);
        let secret = String::from_utf8(creds.secret.expose().to_vec())
            .map_err(|_| "the secret access key is not text")?;
        let token = match &creds.session_token {
            Some(t) => Some(
                String::from_utf8(t.expose().to_vec())
                    .map_err(|_| "the session token is not text")?,
            ),
            None => None,
        };
        // `Credentials` keeps the secret in a zeroizing buffer of its own.
        let credentials = Credentials::new(creds.access_key_id, secret, token, None, "cofre-admin");
        Ok(Self {
            endpoint: endpoint.to_owned(),
            authority,
            host,
            port,
            region: region.to_owned(),
            credentials,
        })
    }

    /// Sends `CofreAdmin.<op>` with `body`; the answer's body on success, AWS's code and
    /// message as the error otherwise.
    async fn call(&self, op: &str, body: &[u8]) -> Result<SecretBytes, AdminError> {
        self.call_target(&format!("CofreAdmin.{op}"), "cofre", body)
            .await
    }

    /// Sends `body` with `X-Amz-Target: target`, signed for the service `signing_name`; the
    /// answer's body on success, AWS's code and message as the error otherwise.
    pub(crate) async fn call_target(
        &self,
        target: &str,
        signing_name: &str,
        body: &[u8],
    ) -> Result<SecretBytes, AdminError> {
        let request = self.signed(target, signing_name, body)?;
        let exchange = async {
            let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| format!("cannot reach {}: {e}", self.endpoint))?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                    .await
                    .map_err(|e| format!("cannot reach {}: {e}", self.endpoint))?;
            let conn = tokio::spawn(conn);
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("no answer from {}: {e}", self.endpoint))?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("no answer from {}: {e}", self.endpoint))?
                .to_bytes();
            conn.abort();
            Ok::<_, AdminError>((status, SecretBytes::from(bytes.to_vec())))
        };
        let (status, body) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                format!(
                    "no answer from {} within {REQUEST_TIMEOUT:?}",
                    self.endpoint
                )
            })??;
        if status.is_success() {
            return Ok(body);
        }
        Err(api_error(status, &body).into())
    }

    /// The request, signed.
    fn signed(
        &self,
        target: &str,
        signing_name: &str,
        body: &[u8],
    ) -> Result<http::Request<Full<Bytes>>, AdminError> {
        let mut request = http::Request::builder()
            .method("POST")
            .uri("/")
            .header("host", self.authority.as_str())
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", target)
            .body(Full::new(Bytes::copy_from_slice(body)))?;
        let identity = self.credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(signing_name)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()?
            .into();
        let url = format!("http://{}/", self.authority);
        let headers: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
            .collect();
        let signable = SignableRequest::new(
            "POST",
            url.as_str(),
            headers.into_iter(),
            SignableBody::Bytes(body),
        )?;
        let (instructions, _signature) = sign(signable, &params)?.into_parts();
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}

/// `CODE: message` from an AWS JSON error body (`{"__type": ..., "Message"|"message": ...}`).
fn api_error(status: http::StatusCode, body: &SecretBytes) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(rename = "__type")]
        code: Option<String>,
        #[serde(rename = "Message", alias = "message")]
        message: Option<String>,
    }
    match serde_json::from_slice::<ErrorBody>(body.expose()) {
        Ok(ErrorBody {
            code: Some(code),
            message,
        }) => {
            // Some services namespace the code (`ns#Code`); AWS's tools print the bare name.
            let code = code.rsplit('#').next().unwrap_or(&code).to_owned();
            match message.filter(|m| !m.is_empty()) {
                Some(m) => format!("{code}: {m}"),
                None => code,
            }
        }
        _ => format!("the server answered HTTP {status} without an AWS error body"),
    }
}

/// `create-account`, `print-root-key`, `rotate-root-key`.
fn print_key(answer: &SecretBytes) -> Result<SecretBytes, AdminError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Key {
        account_id: String,
        access_key_id: String,
        secret_access_key: String,
    }
    let key: Key = serde_json::from_slice(answer.expose())?;
    let secret = SecretBytes::from(key.secret_access_key.into_bytes());
    let secret = secret.expose_str().map_err(|_| "the secret is not text")?;
    let mut out = String::new();
    writeln!(out, "AccountId        {}", key.account_id)?;
    writeln!(out, "AccessKeyId      {}", key.access_key_id)?;
    writeln!(out, "SecretAccessKey  {secret}")?;
    Ok(SecretBytes::from(out.into_bytes()))
}

/// An answer as indented JSON (`rotation-function`): `null` members left out.
fn pretty_json(answer: &SecretBytes) -> Result<SecretBytes, AdminError> {
    let v: serde_json::Value = serde_json::from_slice(answer.expose())?;
    let mut out = serde_json::to_string_pretty(&v)?;
    out.push('\n');
    Ok(SecretBytes::from(out.into_bytes()))
}

/// `list-accounts`.
fn print_accounts(answer: &SecretBytes) -> Result<SecretBytes, AdminError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Accounts {
        accounts: Vec<Account>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Account {
        account_id: String,
        created_date: f64,
    }
    let list: Accounts = serde_json::from_slice(answer.expose())?;
    let width = list
        .accounts
        .iter()
        .map(|a| a.account_id.len())
        .max()
        .unwrap_or(0)
        .max("ACCOUNT ID".len());
    let mut out = String::new();
    writeln!(out, "{:<width$}  CREATED", "ACCOUNT ID")?;
    for a in &list.accounts {
        writeln!(out, "{:<width$}  {}", a.account_id, rfc3339(a.created_date))?;
    }
    Ok(SecretBytes::from(out.into_bytes()))
}

/// `apply`.
fn print_changes(answer: &SecretBytes) -> Result<SecretBytes, AdminError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Applied {
        changes: Vec<String>,
        #[serde(default)]
        dry_run: bool,
    }
    let applied: Applied = serde_json::from_slice(answer.expose())?;
    let mut out = String::new();
    for c in &applied.changes {
        writeln!(
            out,
            "{}{c}",
            if applied.dry_run { "would have " } else { "" }
        )?;
    }
    match (applied.changes.len(), applied.dry_run) {
        (0, _) => writeln!(out, "no changes")?,
        (n, true) => writeln!(out, "dry run: {n} change(s) planned, none made")?,
        (n, false) => writeln!(out, "{n} change(s) made")?,
    }
    Ok(SecretBytes::from(out.into_bytes()))
}

/// Epoch seconds as `2026-01-02T03:04:05Z` (UTC).
pub(crate) fn rfc3339(epoch_secs: f64) -> String {
    // Whole seconds; dates before 1970 or past year 9999 are not accounts' creation dates.
    let secs = epoch_secs.floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000.5), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400.0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn credentials_files() {
        let file = SecretBytes::from(
            b"[other]\naws_access_key_id = NO\n\n[default]\naws_access_key_id = AKIAX\n\
              aws_secret_access_key = s/e+c=r\n"
                .to_vec(),
        );
        let c = parse_credentials_file(&file, "default").expect("parsed");
        assert_eq!(c.access_key_id, "AKIAX");
        assert_eq!(c.secret.expose(), b"s/e+c=r");
        assert!(c.session_token.is_none());
        let none = SecretBytes::from(b"[other]\naws_access_key_id = X\n".to_vec());
        assert!(parse_credentials_file(&none, "default").is_none());
        let other = parse_credentials_file(&file, "other");
        assert!(other.is_none(), "[other] has no secret");
    }

    #[test]
    fn error_bodies() {
        let body =
            SecretBytes::from(br#"{"__type":"AccessDeniedException","Message":"no"}"#.to_vec());
        assert_eq!(
            api_error(http::StatusCode::BAD_REQUEST, &body),
            "AccessDeniedException: no"
        );
        let body =
            SecretBytes::from(br#"{"__type":"x#ValidationException","message":"bad"}"#.to_vec());
        assert_eq!(
            api_error(http::StatusCode::BAD_REQUEST, &body),
            "ValidationException: bad"
        );
        let body = SecretBytes::from(b"oops".to_vec());
        assert!(api_error(http::StatusCode::BAD_GATEWAY, &body).contains("502"));
    }

    #[test]
    fn changes() {
        let out = print_changes(&SecretBytes::from(
            br#"{"Changes":[],"DryRun":false}"#.to_vec(),
        ))
        .expect("printed");
        assert_eq!(out.expose(), b"no changes\n");
        let out = print_changes(&SecretBytes::from(
            br#"{"Changes":["created user a in 1"],"DryRun":true}"#.to_vec(),
        ))
        .expect("printed");
        assert_eq!(
            out.expose_str().expect("text"),
            "would have created user a in 1\ndry run: 1 change(s) planned, none made\n"
        );
    }
}
