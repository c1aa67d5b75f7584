//! `cofre server`: the unsealed start, or the sealed one (see [`crate::seal`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cofre_core::{Service, SystemClock};
use cofre_crypto::RootKey;
use cofre_server::tls::TlsAcceptor;
use cofre_server::{App, AuthMode, Limits};
use cofre_store::postgres::PgStoreOptions;
use cofre_store::{MemoryStore, PgStore, SqliteStore, Store};
use tokio::net::TcpListener;

use crate::{bootstrap, seal};

/// Arguments of `cofre server`.
#[derive(Debug, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// Directory of the embedded store, root key and root credentials.
    #[arg(long, default_value = "./cofre-data")]
    data_dir: PathBuf,
    /// The account the root access key belongs to.
    #[arg(long, default_value = "000000000000")]
    account_id: String,
    /// In-memory store, any credentials accepted. For local testing only.
    #[arg(long)]
    dev: bool,
    /// Keep secrets in this PostgreSQL database (postgres://user[:password]@host[:port]/db)
    /// instead of the embedded store in --data-dir, which still holds the root key and the
    /// root credentials. Nodes sharing one database need the same root key. Also read from
    /// env COFRE_STORE (keeps a password out of the process list).
    #[arg(
        long,
        env = "COFRE_STORE",
        hide_env_values = true,
        conflicts_with = "dev"
    )]
    store: Option<String>,
    /// Most connections this node opens to the --store database.
    #[arg(long, default_value_t = 10)]
    store_max_connections: u32,
    /// File holding the base64 root key (32 bytes). Also read from env COFRE_ROOT_KEY.
    #[arg(long)]
    root_key_file: Option<PathBuf>,
    /// Seconds between sweeps for secrets whose recovery window has ended.
    #[arg(long, default_value_t = 60, hide = true)]
    sweep_interval_secs: u64,
    /// The audit trail: `fail-closed` records every call and refuses what it cannot record;
    /// `off` records nothing and exists only as the baseline for benchmarks.
    #[arg(long, value_enum, default_value_t = AuditModeArg::FailClosed)]
    audit_mode: AuditModeArg,
    /// Audit sinks: copies of the audit trail outside the store.
    #[command(flatten)]
    sinks: SinkArgs,
    /// Secret rotation.
    #[command(flatten)]
    rotation: RotationArgs,
    /// Connection and request-rate limits.
    #[command(flatten)]
    limits: LimitArgs,
    /// HTTPS (boxed: it would otherwise tip `Command`'s variants over clippy's size lint).
    #[command(flatten)]
    tls: Box<TlsArgs>,
}

/// HTTPS on --listen (HTTP/2 or HTTP/1.1 by ALPN); without these flags, plain HTTP/1.1.
#[derive(Debug, clap::Args)]
struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain (server certificate first); needs
    /// --tls-key. On SIGHUP both files are read again: new connections get the new
    /// certificate, open ones keep theirs, and a bad file keeps the old one (logged).
    #[arg(long, requires = "tls_key", conflicts_with = "tls_self_signed")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// FOR DEVELOPMENT ONLY: serve HTTPS with a CA and a localhost/127.0.0.1 certificate
    /// generated at each start; the CA certificate is written to DATA_DIR/tls-ca.pem (trust
    /// it with e.g. `aws --ca-bundle`) and the server certificate's SHA-256 fingerprint is
    /// printed. Never for real use: the certificate changes at every restart.
    #[arg(long)]
    tls_self_signed: bool,
}

impl TlsArgs {
    /// The TLS configuration the flags ask for (`None`: plain HTTP), with its SIGHUP reload
    /// installed. Done before the port is announced so a SIGHUP never finds the default
    /// (terminating) disposition.
    fn start(&self, data_dir: &std::path::Path) -> Result<Option<TlsAcceptor>, StartError> {
        use cofre_server::tls::ServerTls;
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => ServerTls::from_files(cert, key)?,
            _ if self.tls_self_signed => {
                let (tls, generated) = ServerTls::self_signed()?;
                std::fs::create_dir_all(data_dir)
                    .map_err(|e| format!("cannot create data dir {}: {e}", data_dir.display()))?;
                let ca_path = data_dir.join(TLS_CA_FILE);
                std::fs::write(&ca_path, &generated.ca_pem)
                    .map_err(|e| format!("cannot write {}: {e}", ca_path.display()))?;
                tracing::warn!(
                    ca = %ca_path.display(),
                    "--tls-self-signed: development certificate; never use it for real secrets"
                );
                println!(
                    "cofre TLS self-signed certificate SHA-256 fingerprint: {} (CA: {})",
                    generated.fingerprint,
                    ca_path.display()
                );
                tls
            }
            _ => return Ok(None),
        };
        let tls = Arc::new(tls);
        tls.reload_on_sighup()?;
        tracing::info!(fingerprint = %tls.fingerprint(), "serving HTTPS");
        Ok(Some(tls.acceptor()))
    }
}

/// Where `--tls-self-signed` writes its CA certificate, in the data dir.
pub const TLS_CA_FILE: &str = "tls-ca.pem";

/// Resource limits.
#[derive(Debug, clap::Args)]
struct LimitArgs {
    /// Most connections open at once; one more is answered 503 ServiceUnavailableException
    /// and closed.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Requests per second allowed per access key (sustained); above it requests are
    /// answered 400 ThrottlingException "Rate exceeded". 0 turns the limit off.
    #[arg(long, default_value_t = 0.0)]
    rate_limit: f64,
    /// Requests per access key allowed in a burst (default: the --rate-limit figure).
    #[arg(long)]
    rate_limit_burst: Option<f64>,
    /// Seconds a client may take to send a request's headers (also how long an idle
    /// keep-alive connection stays open).
    #[arg(long, default_value_t = 30)]
    header_timeout_secs: u64,
    /// Seconds a client may take to send a request's body (408 beyond).
    #[arg(long, default_value_t = 30)]
    body_timeout_secs: u64,
    /// Largest request body accepted, in bytes (413 beyond).
    #[arg(long, default_value_t = 512 * 1024)]
    max_body_bytes: usize,
}

/// Tunables of the rotation engine.
#[derive(Debug, clap::Args)]
struct RotationArgs {
    /// Seconds between checks for due rotations and runs to retry.
    #[arg(long, default_value_t = 10)]
    rotation_interval_secs: u64,
    /// Seconds before the first retry of a failed rotation step; each further retry waits
    /// twice as long, up to 30 minutes.
    #[arg(long, default_value_t = 30)]
    rotation_retry_secs: u64,
    /// Seconds a node's claim on a rotation holds without renewal (renewed every third of
    /// it while a step runs); a run whose node died is taken over after this long.
    #[arg(long, default_value_t = 30)]
    rotation_lease_secs: u64,
    /// The endpoint exec rotation functions are given in SECRETS_MANAGER_ENDPOINT (default:
    /// http:// and the --listen address, 127.0.0.1 for an unspecified one).
    #[arg(long)]
    rotation_endpoint_url: Option<String>,
    /// Characters the built-in rotation functions leave out of new passwords (default, as
    /// AWS's templates: /@"'\\).
    #[arg(long)]
    rotation_exclude_characters: Option<String>,
    /// Log what a failing exec rotation function printed (its last 2 KiB of stdout and
    /// stderr). For debugging functions only: a function may print secrets.
    #[arg(long)]
    rotation_log_function_output: bool,
}

/// The rotation engine's settings from the flags.
fn rotation_settings(
    args: &ServerArgs,
    bound: SocketAddr,
) -> cofre_core::rotation::engine::RotationSettings {
    let r = &args.rotation;
    let endpoint = r.rotation_endpoint_url.clone().unwrap_or_else(|| {
        let mut addr = bound;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    });
    let secs = |s: u64| i64::try_from(s.max(1)).unwrap_or(i64::MAX / 1000) * 1000;
    cofre_core::rotation::engine::RotationSettings {
        lease_ms: secs(r.rotation_lease_secs),
        retry_base_ms: secs(r.rotation_retry_secs),
        invoke: cofre_core::rotation::invoke::InvokeConfig {
            endpoint_url: endpoint,
            webhook: Some(Arc::new(cofre_server::webhook::HyperWebhook)),
            exclude_characters: r.rotation_exclude_characters.clone(),
            log_function_output: r.rotation_log_function_output,
        },
        ..Default::default()
    }
}

/// Where audit events are copied as they are recorded (each CloudTrail record as JSON).
#[derive(Debug, clap::Args)]
pub struct SinkArgs {
    /// Append each audit event as a JSON line to this file, rotated by size (PATH.1, ...).
    #[arg(long)]
    audit_file: Option<PathBuf>,
    /// Size at which --audit-file is rotated, in MiB.
    #[arg(long, default_value_t = 100)]
    audit_file_max_mb: u64,
    /// Size at which --audit-file is rotated, in bytes (overrides --audit-file-max-mb).
    #[arg(long, hide = true)]
    audit_file_max_bytes: Option<u64>,
    /// Rotated --audit-file files kept.
    #[arg(long, default_value_t = 5)]
    audit_file_keep: usize,
    /// Write each audit event as a JSON line to standard output.
    #[arg(long)]
    audit_stdout: bool,
    /// POST audit events, in batches, as JSON arrays to this http:// URL.
    #[arg(long)]
    audit_http_url: Option<String>,
    /// Most events in one POST to --audit-http-url.
    #[arg(long, default_value_t = 100)]
    audit_http_batch: usize,
    /// Longest an event waits for its batch, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    audit_http_batch_ms: u64,
    /// Events held while --audit-http-url is slow or down; beyond it they are dropped (and
    /// counted in cofre_audit_sink_dropped_total).
    #[arg(long, default_value_t = 10_000)]
    audit_http_queue: usize,
}

/// `--audit-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditModeArg {
    /// Record every call; a call that cannot be recorded is refused (the default).
    FailClosed,
    /// Record nothing. For benchmark comparisons only; never for real use.
    Off,
}

/// Errors that stop the server from starting.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// Runs the server: unsealed straight away, or (on a sealed data dir without a supplied
/// root key) sealed on the same listener until unseal key shares arrive.
pub async fn run(args: ServerArgs) -> Result<(), StartError> {
    if args.account_id.len() != 12 || !args.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("--account-id must be 12 digits, not '{}'", args.account_id).into());
    }
    // Signal handlers are installed before the port is announced, so a SIGTERM at any point
    // after that (sealed or not) is a clean stop.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let signals = shutdown_signal()?;
    tokio::spawn(async move {
        signals.await;
        tracing::info!("shutdown requested; draining");
        let _ = stop_tx.send(true);
    });

    let tls = args.tls.start(&args.data_dir)?;

    let (service, auth, listener) = if args.dev {
        tracing::warn!("==================================================================");
        tracing::warn!("DEV MODE: in-memory store, ANY credentials accepted, nothing kept.");
        tracing::warn!("Never use --dev for real secrets.");
        tracing::warn!("==================================================================");
        let (root, _) = cofre_crypto::RootKey::generate();
        let service = start_service(&args, Arc::new(MemoryStore::new()), root).await?;
        let auth = AuthMode::Dev {
            account_id: args.account_id.clone(),
        };
        (service, auth, bind(&args).await?)
    } else {
        bootstrap::prepare_data_dir(&args.data_dir)?;
        match seal::load(&args.data_dir)? {
            None => {
                let root = bootstrap::root_key(&args.data_dir, args.root_key_file.as_deref())?;
                let service = open_service(&args, root).await?;
                (service, AuthMode::SigV4, bind(&args).await?)
            }
            Some(cfg) => {
                if args.data_dir.join(bootstrap::ROOT_KEY_FILE).exists() {
                    return Err(format!(
                        "{} is sealed ({}) but also holds a {} file: move the key out of the \
                         data dir, or remove {} to stop sealing",
                        args.data_dir.display(),
                        seal::SEAL_FILE,
                        bootstrap::ROOT_KEY_FILE,
                        seal::SEAL_FILE
                    )
                    .into());
                }
                match bootstrap::supplied_root_key(args.root_key_file.as_deref())? {
                    Some((root, origin)) => {
                        cfg.verify(&root, &origin)?;
                        let service = open_service(&args, root).await?;
                        (service, AuthMode::SigV4, bind(&args).await?)
                    }
                    None => {
                        let listener = bind_sealed(&args, &cfg).await?;
                        let Some(unsealed) =
                            seal::serve_sealed(&listener, cfg, wait_for(stop_rx.clone())).await?
                        else {
                            tracing::info!("stopped while sealed");
                            return Ok(());
                        };
                        match open_service(&args, unsealed.root).await {
                            Ok(service) => {
                                unsealed.reply.started();
                                (service, AuthMode::SigV4, listener)
                            }
                            Err(e) => {
                                unsealed.reply.failed().await;
                                return Err(e);
                            }
                        }
                    }
                }
            }
        }
    };
    start_sinks(&args.sinks, &service)?;
    tracing::info!(account_id = %args.account_id, "cofre server started");

    let sweeper = tokio::spawn(cofre_core::sweeper::run_sweeper(
        service.clone(),
        Duration::from_secs(args.sweep_interval_secs.max(1)),
        wait_for(stop_rx.clone()),
    ));
    service.set_rotation_settings(rotation_settings(
        &args,
        listener.local_addr().unwrap_or(args.listen),
    ));
    let rotation = tokio::spawn(cofre_core::rotation::scheduler::run_rotation_loop(
        service.clone(),
        Duration::from_secs(args.rotation.rotation_interval_secs.max(1)),
        wait_for(stop_rx.clone()),
    ));
    let audit_service = service.clone();
    let app = Arc::new(App {
        service,
        auth,
        limits: Limits {
            max_connections: args.limits.max_connections,
            header_timeout: Duration::from_secs(args.limits.header_timeout_secs.max(1)),
            body_timeout: Duration::from_secs(args.limits.body_timeout_secs.max(1)),
            max_body_bytes: args.limits.max_body_bytes.max(1024),
            ..Limits::default()
        },
        throttle: cofre_server::throttle::Throttle::new((args.limits.rate_limit > 0.0).then(
            || {
                cofre_server::throttle::RateLimit {
                    per_second: args.limits.rate_limit,
                    burst: args
                        .limits
                        .rate_limit_burst
                        .unwrap_or(args.limits.rate_limit),
                }
            },
        )),
    });
    cofre_server::run_with_tls(listener, app, tls, wait_for(stop_rx)).await;
    let _ = sweeper.await;
    rotation.abort();
    // After the drain: write what is queued and sign the final digest.
    audit_service.audit().shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// Subscribes the audit sinks the flags ask for to the service's trail.
fn start_sinks(sinks: &SinkArgs, service: &Service) -> Result<(), StartError> {
    use cofre_core::audit_sinks as s;
    if let Some(path) = &sinks.audit_file {
        let max_bytes = sinks
            .audit_file_max_bytes
            .unwrap_or(sinks.audit_file_max_mb.saturating_mul(1024 * 1024))
            .max(1);
        s::spawn_file_sink(
            service.audit().subscribe(),
            s::FileSinkConfig {
                path: path.clone(),
                max_bytes,
                keep: sinks.audit_file_keep.max(1),
            },
        )
        .map_err(|e| format!("--audit-file {}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), max_bytes, "audit file sink started");
    }
    if sinks.audit_stdout {
        s::spawn_stdout_sink(service.audit().subscribe())?;
    }
    if let Some(url) = &sinks.audit_http_url {
        let poster = cofre_server::audit_http::HttpPoster::new(url)
            .map_err(|e| format!("--audit-http-url {e}"))?;
        s::spawn_http_sink(
            service.audit().subscribe(),
            poster,
            s::HttpSinkConfig {
                batch_max: sinks.audit_http_batch.max(1),
                batch_wait: Duration::from_millis(sinks.audit_http_batch_ms),
                queue: sinks.audit_http_queue.max(1),
                ..Default::default()
            },
        );
        tracing::info!(%url, "audit HTTP sink started");
    }
    Ok(())
}

/// The service over the `--store` database, else the data dir's embedded store, under `root`
/// (checked against the store).
async fn open_service(args: &ServerArgs, root: RootKey) -> Result<Arc<Service>, StartError> {
    let store: Arc<dyn Store> = match &args.store {
        Some(url) => {
            let options = PgStoreOptions {
                max_connections: args.store_max_connections,
                ..PgStoreOptions::default()
            };
            Arc::new(PgStore::connect_with(url, &options).await?)
        }
        None => Arc::new(SqliteStore::open(
            &args.data_dir.join(bootstrap::STORE_FILE),
        )?),
    };
    let service = start_service(args, store, root).await?;
    bootstrap::root_credentials(&service, &args.data_dir, &args.account_id).await?;
    Ok(service)
}

/// The service over `store`, with the operator account registered.
async fn start_service(
    args: &ServerArgs,
    store: Arc<dyn Store>,
    root: RootKey,
) -> Result<Arc<Service>, StartError> {
    let service = Arc::new(Service::new(store, root, Arc::new(SystemClock)));
    bootstrap::check_root_key(&service, &args.account_id).await?;
    service.set_operator_account(&args.account_id);
    let mode = match args.audit_mode {
        AuditModeArg::FailClosed => cofre_core::audit::AuditMode::FailClosed,
        AuditModeArg::Off => {
            tracing::warn!("--audit-mode off: NOTHING is recorded (benchmark baseline only)");
            cofre_core::audit::AuditMode::Off
        }
    };
    if let Some(started) = service
        .start_audit(mode, cofre_core::audit::AuditConfig::default())
        .await?
    {
        if started.created {
            // Printed once, at first start: keep it outside the data dir and pass it to
            // `cofre audit verify --public-key`.
            println!("cofre audit public key: {}", started.public_key_hex);
        }
        tracing::info!(public_key = %started.public_key_hex, "audit trail recording");
    }
    bootstrap::register_account(&service, &args.account_id).await?;
    Ok(service)
}

/// Binds the listener and announces it.
async fn bind(args: &ServerArgs) -> Result<TcpListener, StartError> {
    let listener = TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find an ephemeral port.
    println!("cofre listening on {addr}");
    tracing::info!(%addr, "listening");
    Ok(listener)
}

/// [`bind`] for a sealed start, saying so first.
async fn bind_sealed(args: &ServerArgs, cfg: &seal::SealConfig) -> Result<TcpListener, StartError> {
    println!(
        "cofre is sealed: waiting for {} of {} unseal key shares ('cofre operator unseal')",
        cfg.threshold, cfg.shares
    );
    tracing::warn!(
        threshold = cfg.threshold,
        shares = cfg.shares,
        "sealed: every request but CofreOperator.Unseal/Status is refused until unseal key \
         shares reconstruct the root key"
    );
    bind(args).await
}

async fn wait_for(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Resolves on SIGTERM or SIGINT; the handlers are installed before this returns.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, StartError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}
