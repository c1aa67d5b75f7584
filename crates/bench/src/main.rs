//! `cofre-bench`: a load generator that signs every request with SigV4 as an AWS client
//! would, over N keep-alive HTTP/1.1 connections, and a bare hyper "ceiling" server that
//! answers a canned GetSecretValue response with no signing, storage or crypto.
//!
//! ```text
//! cofre-bench load --endpoint http://127.0.0.1:8700 --workload get --connections 32 --duration 10
//! cofre-bench ceiling --listen 127.0.0.1:8800
//! ```
//! Output: one JSON line per run (throughput, latency percentiles, errors, server peak RSS
//! when `--server-pid` is given), so `bench/run.sh` can tabulate runs.

mod ceiling;
mod load;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cofre-bench", about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Drive signed load at an endpoint.
    Load(load::Args),
    /// Serve canned GetSecretValue answers: the HTTP ceiling.
    Ceiling(ceiling::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cofre-bench: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Load(a) => load::run(a).await,
            Command::Ceiling(a) => ceiling::run(a).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cofre-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
