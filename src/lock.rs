//! `etcdlens lock <name> [--ttl SECS]`: take a lock like Go's
//! `concurrency.Mutex` / `etcdctl lock`, print `locked` once held, hold it
//! until Ctrl-C or SIGTERM, then release it and revoke the lease.

use std::io::Write;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use crate::cli::Options;
use crate::etcd::lock::{self, LockEnd};
use crate::Failure;

pub async fn run(opts: &Options, name: &str, ttl: i64) -> Result<(), Failure> {
    let mut settings = opts.conn_settings().map_err(Failure::Usage)?;
    // Waiting for the lock can take any time: no per-request timeout.
    settings.command_timeout = Duration::ZERO;
    let conn = crate::etcd::connect(&settings)
        .await
        .map_err(Failure::Usage)?;
    let mut client = conn.client.clone();
    let stop = async {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    };
    let on_locked = |_: &[u8]| {
        println!("locked");
        let _ = std::io::stdout().flush();
    };
    match lock::hold(&mut client, name.as_bytes(), ttl, on_locked, stop).await {
        Ok(LockEnd::Stopped) => Ok(()),
        Ok(LockEnd::LeaseLost) => Err(Failure::Other(
            "lock lost: the lease expired or was revoked".into(),
        )),
        Err(e) => Err(Failure::Other(format!("lock failed: {e}"))),
    }
}
