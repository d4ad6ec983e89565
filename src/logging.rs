//! `--log-file`: structured logs for support, with `tracing`. Off unless
//! asked for, never written to the terminal, and never holding values or
//! passwords (keys and revisions only). `RUST_LOG` refines the level
//! (default `info`, `etcdlens=debug` for more).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

pub fn init(path: &Path) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(Quiet(file)))
        .init();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "etcdlens started");
    Ok(())
}

static FAILED: AtomicBool = AtomicBool::new(false);

/// Whether writing the log file has failed (the status bar says so).
pub fn failed() -> bool {
    FAILED.load(Ordering::Relaxed)
}

/// The log file, never failing: tracing-subscriber prints its own write
/// errors on stderr, which is the terminal the UI draws on. A failure is
/// remembered instead (see [`failed`]).
struct Quiet(std::fs::File);

impl Write for Quiet {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Err(_e) = self.0.write_all(buf) {
            FAILED.store(true, Ordering::Relaxed);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.0.flush().is_err() {
            FAILED.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}
