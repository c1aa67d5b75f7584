//! [`TcpProxy`]: a local TCP forwarder that can be stopped and started again.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::runtime::Runtime;
use tokio::task::{JoinHandle, JoinSet};

use crate::free_port;

/// Forwards connections on a port of 127.0.0.1 to `target`.
///
/// [`TcpProxy::stop`] closes the port and every connection through it, so a server behind
/// it looks down (connections are refused); [`TcpProxy::start_again`] reopens the same port.
/// It runs on a runtime of its own, so it works from sync and async tests alike.
#[derive(Debug)]
pub struct TcpProxy {
    target: SocketAddr,
    port: u16,
    runtime: Option<Runtime>,
    task: Option<JoinHandle<()>>,
}

impl TcpProxy {
    /// Starts forwarding a free port of 127.0.0.1 to `target`.
    pub fn start(target: SocketAddr) -> TcpProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the proxy");
        let mut proxy = TcpProxy {
            target,
            port: 0,
            runtime: Some(runtime),
            task: None,
        };
        for attempt in 0..5 {
            proxy.port = free_port();
            match proxy.listen() {
                Ok(()) => return proxy,
                Err(e) if attempt == 4 => panic!("the proxy could not listen: {e}"),
                Err(_) => continue,
            }
        }
        unreachable!("the last attempt panics")
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes the port and every connection through it.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // Wait until the listener and the connections are really closed.
            if let Some(runtime) = &self.runtime {
                let handle = runtime.handle().clone();
                let _ = std::thread::spawn(move || {
                    handle.block_on(async move {
                        let _ = task.await;
                    })
                })
                .join();
            }
        }
    }

    /// Reopens the port after [`TcpProxy::stop`].
    pub fn start_again(&mut self) {
        if self.task.is_none() {
            self.listen()
                .unwrap_or_else(|e| panic!("the proxy could not listen again: {e}"));
        }
    }

    fn listen(&mut self) -> std::io::Result<()> {
        let Some(runtime) = &self.runtime else {
            return Err(std::io::Error::other("the proxy's runtime is gone"));
        };
        let _entered = runtime.enter();
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from(([127, 0, 0, 1], self.port)))?;
        let listener = socket.listen(128)?;
        self.task = Some(runtime.spawn(accept_loop(listener, self.target)));
        Ok(())
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Accepts until aborted; aborting drops the listener and the set, which aborts (and so
/// closes) every forwarded connection.
async fn accept_loop(listener: TcpListener, target: SocketAddr) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut inbound, _)) = accepted else { continue };
                connections.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}
