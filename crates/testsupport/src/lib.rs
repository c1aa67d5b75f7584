//! Test harness shared by Cofre's integration tests: real database servers that really check
//! passwords, and a TCP proxy that can be stopped to make a server look down.
//!
//! - [`PgCluster`]: a private PostgreSQL cluster (initdb into a temporary directory, SCRAM
//!   authentication, a free TCP port on 127.0.0.1), stopped and removed on drop;
//! - [`MariaDb`]: the machine's MariaDB on 127.0.0.1:3306 (root, empty password), with
//!   per-test users that are dropped on drop;
//! - [`TcpProxy`]: forwards a local port to a server; `stop()` closes it and every
//!   connection through it, `start_again()` reopens it on the same port.
//!
//! Everything here panics on failure: it is test setup, and a panic with the reason is
//! the most useful thing a broken fixture can do.

mod mariadb;
mod pg;
mod proxy;

pub use mariadb::MariaDb;
pub use pg::PgCluster;
pub use proxy::TcpProxy;

use rand::distributions::Alphanumeric;
use rand::Rng as _;

/// `len` random ASCII letters and digits (test passwords, unique names).
pub fn random_alphanumeric(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A lowercase name unique to this call: `prefix` followed by random letters and digits, `len`
/// characters in all.
pub fn unique_name(prefix: &str, len: usize) -> String {
    let mut rng = rand::thread_rng();
    let tail: String = (prefix.len()..len)
        .map(|_| {
            let i = rng.gen_range(0..36u8);
            char::from(if i < 10 { b'0' + i } else { b'a' + i - 10 })
        })
        .collect();
    format!("{prefix}{tail}")
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free TCP port on 127.0.0.1")
}

/// Runs `fut` to completion on a fresh runtime in another thread: for `Drop` impls, which
/// may run inside a test's runtime and cannot block it on async work.
fn block_on_elsewhere<F>(fut: F)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let joined = std::thread::spawn(move || {
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(fut),
            Err(e) => eprintln!("cofre-testsupport: no runtime for cleanup: {e}"),
        }
    })
    .join();
    if joined.is_err() {
        eprintln!("cofre-testsupport: cleanup thread panicked");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_have_the_asked_length() {
        let a = unique_name("t", 10);
        assert_eq!(a.len(), 10);
        assert!(a.starts_with('t'));
        assert!(a
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(a, unique_name("t", 10));
        assert_eq!(random_alphanumeric(24).len(), 24);
    }
}
