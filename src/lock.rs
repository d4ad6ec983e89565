//! `etcdlens lock <name> [--ttl SECS]`: take a lock like Go's
//! `concurrency.Mutex` / `etcdctl lock`, print `locked` once held, hold it
//! until Ctrl-C or SIGTERM, then release it and revoke the lease.

use std::io::Write;

use crate::cli::Options;
use crate::etcd::lock::{self, LockEnd};
use crate::Failure;

pub async fn run(opts: &Options, name: &str, ttl: i64) -> Result<(), Failure> {
    // Waiting for the lock can take any time: no per-request timeout.
    let mut client = crate::campaign::connect_unbounded(opts).await?.client;
    let stop = crate::campaign::until_signal();
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
