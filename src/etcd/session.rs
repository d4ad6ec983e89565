//! A lease held for as long as something needs it: what a Go
//! `concurrency.Session` does for `Mutex` and `Election`. The lease is
//! granted, kept alive here, and revoked at the end; [`hold`] waits for a
//! lock or a campaign on it, holds what it got until asked to stop or
//! until the lease is lost, then releases it.

use std::future::Future;
use std::time::Duration;

use etcd_client::Client;

/// How holding ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Stopped on request (while waiting or holding): released, lease
    /// revoked.
    Stopped,
    /// The lease was lost (expired, or revoked by someone): what it held
    /// is gone with it.
    LeaseLost,
}

/// Grants a lease of `ttl` seconds (kept alive here) and waits for
/// `acquire(client, lease)`; once it answers, calls `on_held` and holds
/// until `stop` resolves (then `release(client, held)` and the lease is
/// revoked) or the lease is lost. A failed `acquire` revokes the lease.
pub async fn hold<H, A, AF, R, RF, S>(
    client: &mut Client,
    ttl: i64,
    acquire: A,
    on_held: impl FnOnce(&H),
    release: R,
    stop: S,
) -> Result<SessionEnd, super::Error>
where
    A: FnOnce(Client, i64) -> AF,
    AF: Future<Output = Result<H, super::Error>>,
    R: FnOnce(Client, H) -> RF,
    RF: Future<Output = ()>,
    S: Future<Output = ()>,
{
    let lease = client.lease_grant(ttl, None).await?.id();
    let keep = keep_alive(client.clone(), lease, ttl);
    let acquired = acquire(client.clone(), lease);
    tokio::pin!(keep, stop, acquired);
    let held = tokio::select! {
        r = &mut acquired => match r {
            Ok(held) => held,
            Err(e) => {
                let _ = client.lease_revoke(lease).await;
                return Err(e);
            }
        },
        _ = &mut keep => return Ok(SessionEnd::LeaseLost),
        _ = &mut stop => {
            // Revoking the lease removes the waiting key.
            let _ = client.lease_revoke(lease).await;
            return Ok(SessionEnd::Stopped);
        }
    };
    on_held(&held);
    tokio::select! {
        _ = &mut keep => Ok(SessionEnd::LeaseLost),
        _ = &mut stop => {
            release(client.clone(), held).await;
            let _ = client.lease_revoke(lease).await;
            Ok(SessionEnd::Stopped)
        }
    }
}

/// Keeps `lease` alive; returns when it is lost (expired, revoked, or the
/// cluster stayed unreachable past its TTL).
async fn keep_alive(mut client: Client, lease: i64, ttl: i64) {
    let every = Duration::from_millis((ttl.max(1) as u64 * 1000 / 3).max(300));
    let deadline_after = Duration::from_secs(ttl.max(1) as u64);
    let mut last_ok = tokio::time::Instant::now();
    loop {
        if let Ok((mut keeper, mut stream)) = client.lease_keep_alive(lease).await {
            loop {
                if keeper.keep_alive().await.is_err() {
                    break;
                }
                match tokio::time::timeout(every, stream.message()).await {
                    Ok(Ok(Some(resp))) if resp.ttl() > 0 => last_ok = tokio::time::Instant::now(),
                    // TTL 0: the lease no longer exists.
                    Ok(Ok(Some(_))) => return,
                    _ => break,
                }
                tokio::time::sleep(every).await;
            }
        }
        if last_ok.elapsed() > deadline_after {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
