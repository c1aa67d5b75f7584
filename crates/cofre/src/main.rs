//! The `cofre` binary: configuration, wiring and subcommands.
//!
//! `cofre server` builds the store, the root key, the domain service and the HTTP layer, then
//! serves until SIGTERM/SIGINT and drains. `cofre admin` is the client of the admin API
//! (accounts, root keys, declarative identities). `cofre operator` seals a data dir and
//! unseals its server.

mod admin;
mod audit_cmd;
mod audit_query;
mod backup;
mod bootstrap;
mod operator;
mod seal;
mod server;

use clap::{Parser, Subcommand};

/// Cofre: a self-hosted secrets manager that speaks the AWS Secrets Manager API.
#[derive(Debug, Parser)]
#[command(name = "cofre", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API server.
    Server(server::ServerArgs),
    /// Administer a running server: accounts, root keys, declarative identities.
    Admin(admin::AdminArgs),
    /// Seal a data dir with unseal key shares; unseal a sealed server, or ask its status.
    Operator(operator::OperatorArgs),
    /// Work on a data dir's audit trail (`verify`).
    Audit(audit_cmd::AuditArgs),
    /// Write a consistent copy of the store (online; stays encrypted; NOT the root key).
    Backup(backup::BackupArgs),
    /// Load a backup into an empty data dir or database (needs the original root key).
    Restore(backup::RestoreArgs),
    /// Copy the whole store between backends (data dir or postgres://) and verify it.
    Migrate(backup::MigrateArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COFRE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cofre: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Server(args) => server::run(args).await,
            Command::Admin(args) => admin::run(args).await,
            Command::Operator(args) => operator::run(args).await,
            Command::Audit(args) => audit_cmd::run(args).await,
            Command::Backup(args) => backup::backup(args).await,
            Command::Restore(args) => backup::restore(args).await,
            Command::Migrate(args) => backup::migrate(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cofre: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
