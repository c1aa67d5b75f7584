//! The file sink: one JSON line per event, appended to a file that is rotated when the next
//! line would take it past a size limit (`PATH` → `PATH.1` → `PATH.2` ..., the oldest beyond
//! `keep` removed).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError};

use super::SinkStats;
use crate::audit::StoredEvent;

/// Settings of the file sink.
#[derive(Debug, Clone)]
pub struct FileSinkConfig {
    /// The file written to.
    pub path: PathBuf,
    /// Size beyond which the file is rotated, in bytes (a single longer line is still
    /// written whole, to a fresh file).
    pub max_bytes: u64,
    /// How many rotated files are kept (`PATH.1` is the newest).
    pub keep: usize,
}

/// The open file and its size.
struct Writer {
    cfg: FileSinkConfig,
    file: File,
    size: u64,
}

impl Writer {
    fn open(cfg: FileSinkConfig) -> std::io::Result<Self> {
        let file = open_append(&cfg.path)?;
        let size = file.metadata()?.len();
        Ok(Self { cfg, file, size })
    }

    /// Appends `line` and a newline, rotating first if it would pass the limit.
    fn write_line(&mut self, line: &[u8]) -> std::io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.size > 0 && self.size + len > self.cfg.max_bytes {
            self.rotate()?;
        }
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line);
        buf.push(b'\n');
        self.file.write_all(&buf)?;
        self.size += len;
        Ok(())
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        let keep = self.cfg.keep.max(1);
        let _ = std::fs::remove_file(rotated(&self.cfg.path, keep));
        for i in (1..keep).rev() {
            let from = rotated(&self.cfg.path, i);
            if from.exists() {
                std::fs::rename(&from, rotated(&self.cfg.path, i + 1))?;
            }
        }
        std::fs::rename(&self.cfg.path, rotated(&self.cfg.path, 1))?;
        self.file = open_append(&self.cfg.path)?;
        self.size = 0;
        Ok(())
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // The trail names principals and resources: readable by the server's user only.
        o.mode(0o600);
    }
    o.open(path)
}

/// `PATH.n`.
fn rotated(path: &Path, n: usize) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

/// Opens the file (failing start-up if it cannot) and starts the sink on its own thread; it
/// ends when the trail's channel closes.
pub fn spawn_file_sink(
    rx: broadcast::Receiver<Arc<StoredEvent>>,
    cfg: FileSinkConfig,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let writer = Writer::open(cfg)?;
    let stats = super::register("file");
    std::thread::Builder::new()
        .name("audit-file-sink".into())
        .spawn(move || run(rx, writer, &stats))
}

fn run(mut rx: broadcast::Receiver<Arc<StoredEvent>>, mut w: Writer, stats: &SinkStats) {
    loop {
        match rx.blocking_recv() {
            Ok(e) => match w.write_line(e.record_json.as_bytes()) {
                Ok(()) => stats.add_delivered(std::slice::from_ref(&e)),
                Err(err) => {
                    tracing::error!(error = %err, path = %w.cfg.path.display(), "audit file sink write failed");
                    stats.add_error();
                    stats.add_dropped(1);
                }
            },
            Err(RecvError::Lagged(n)) => {
                tracing::warn!(dropped = n, "audit file sink fell behind");
                stats.add_dropped(n);
            }
            Err(RecvError::Closed) => break,
        }
    }
    let _ = w.file.sync_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_sinks::test_event;

    fn tmpdir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "cofre-file-sink-{tag}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        let _ = std::fs::create_dir_all(&d);
        d
    }

    #[test]
    fn writes_lines_and_rotates_at_the_limit() {
        let dir = tmpdir("rotate");
        let path = dir.join("audit.jsonl");
        let (tx, rx) = broadcast::channel(64);
        let handle = spawn_file_sink(
            rx,
            FileSinkConfig {
                path: path.clone(),
                max_bytes: 100,
                keep: 2,
            },
        );
        let Ok(handle) = handle else {
            panic!("sink did not start");
        };
        // 10 lines of 42 bytes: 2 per file; 5 files' worth, of which 3 are kept.
        for i in 0..10 {
            let _ = tx.send(test_event(
                i,
                &format!("{{\"n\":\"{i:02}\",\"pad\":\"{}\"}}", "x".repeat(22)),
            ));
        }
        drop(tx);
        let _ = handle.join();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
        let current = read(&path);
        let one = read(&rotated(&path, 1));
        let two = read(&rotated(&path, 2));
        assert_eq!(current.lines().count(), 2, "{current}");
        assert!(current.contains("\"n\":\"08\"") && current.contains("\"n\":\"09\""));
        assert!(one.contains("\"n\":\"06\"") && one.contains("\"n\":\"07\""));
        assert!(two.contains("\"n\":\"04\"") && two.contains("\"n\":\"05\""));
        assert!(!rotated(&path, 3).exists());
        for f in [&current, &one, &two] {
            assert!(f.len() <= 100);
            for line in f.lines() {
                assert!(serde_json::from_str::<serde_json::Value>(line).is_ok());
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
