//! `--log-file`: structured logs for support, with `tracing`. Off unless
//! asked for, never written to the terminal, and never holding values or
//! passwords (keys and revisions only). `RUST_LOG` refines the level
//! (default `info`, `etcdlens=debug` for more).

use std::path::Path;
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
        .with_writer(Mutex::new(file))
        .init();
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "etcdlens started");
    Ok(())
}
