//! `cofre server`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cofre_core::{Service, SystemClock};
use cofre_server::{App, AuthMode, Limits};
use cofre_store::{MemoryStore, SqliteStore, Store};

use crate::bootstrap;

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
    /// File holding the base64 root key (32 bytes). Also read from env COFRE_ROOT_KEY.
    #[arg(long)]
    root_key_file: Option<PathBuf>,
    /// Seconds between sweeps for secrets whose recovery window has ended.
    #[arg(long, default_value_t = 60, hide = true)]
    sweep_interval_secs: u64,
}

/// Errors that stop the server from starting.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

pub async fn run(args: ServerArgs) -> Result<(), StartError> {
    if args.account_id.len() != 12 || !args.account_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("--account-id must be 12 digits, not '{}'", args.account_id).into());
    }
    let clock = Arc::new(SystemClock);
    let (store, root, auth): (Arc<dyn Store>, _, _) = if args.dev {
        tracing::warn!("==================================================================");
        tracing::warn!("DEV MODE: in-memory store, ANY credentials accepted, nothing kept.");
        tracing::warn!("Never use --dev for real secrets.");
        tracing::warn!("==================================================================");
        let (root, _) = cofre_crypto::RootKey::generate();
        (
            Arc::new(MemoryStore::new()),
            root,
            AuthMode::Dev {
                account_id: args.account_id.clone(),
            },
        )
    } else {
        bootstrap::prepare_data_dir(&args.data_dir)?;
        let root = bootstrap::root_key(&args.data_dir, args.root_key_file.as_deref())?;
        let store = SqliteStore::open(&args.data_dir.join("cofre.db"))?;
        (Arc::new(store), root, AuthMode::SigV4)
    };
    let service = Arc::new(Service::new(store, root, clock));
    service.set_operator_account(&args.account_id);
    bootstrap::register_account(&service, &args.account_id).await?;
    if !args.dev {
        bootstrap::root_credentials(&service, &args.data_dir, &args.account_id).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    // Tests and scripts read this line to find an ephemeral port.
    println!("cofre listening on {addr}");
    tracing::info!(%addr, account_id = %args.account_id, "cofre server started");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sweeper = tokio::spawn(cofre_core::sweeper::run_sweeper(
        service.clone(),
        Duration::from_secs(args.sweep_interval_secs.max(1)),
        wait_for(stop_rx.clone()),
    ));
    let app = Arc::new(App {
        service,
        auth,
        limits: Limits::default(),
    });
    let signal = async move {
        shutdown_signal().await;
        tracing::info!("shutdown requested; draining");
        let _ = stop_tx.send(true);
    };
    cofre_server::run(listener, app, signal).await;
    let _ = sweeper.await;
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
