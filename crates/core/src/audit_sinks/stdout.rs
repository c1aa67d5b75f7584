//! The stdout sink: one JSON line per event on standard output.

use std::io::Write;
use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError};

use crate::audit::StoredEvent;

/// Starts the stdout sink on its own thread; it ends when the trail's channel closes.
pub fn spawn_stdout_sink(
    mut rx: broadcast::Receiver<Arc<StoredEvent>>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let stats = super::register("stdout");
    std::thread::Builder::new()
        .name("audit-stdout-sink".into())
        .spawn(move || loop {
            match rx.blocking_recv() {
                Ok(e) => {
                    let mut out = std::io::stdout().lock();
                    let written = out
                        .write_all(e.record_json.as_bytes())
                        .and_then(|()| out.write_all(b"\n"))
                        .and_then(|()| out.flush());
                    match written {
                        Ok(()) => stats.add_delivered(std::slice::from_ref(&e)),
                        Err(_) => {
                            stats.add_error();
                            stats.add_dropped(1);
                        }
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(dropped = n, "stdout audit sink fell behind");
                    stats.add_dropped(n);
                }
                Err(RecvError::Closed) => break,
            }
        })
}
