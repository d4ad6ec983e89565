//! Locks as Go's `concurrency.Mutex` takes them (and `etcdctl lock`): a
//! key `<name>/<lease id in hex>` on the holder's lease; the key with the
//! lowest create revision holds the lock, the others wait in that order.
//! `hold` goes through etcd's own lock service (v3lock, which runs that
//! same Go code on the server), so etcdlens and Go lockers queue together.

use etcd_client::{Client, LockOptions};

use super::describe_error;
use super::election::keep_alive;

/// How holding a lock ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockEnd {
    /// Stopped (while waiting or holding): released, lease revoked.
    Stopped,
    /// The lease was lost (expired or revoked by someone): the lock with it.
    LeaseLost,
}

/// Waits for lock `name` on a new lease of `ttl` seconds (kept alive), calls
/// `on_locked` with the key once held, holds it until `stop`, then unlocks
/// and revokes the lease.
pub async fn hold<F>(
    client: &mut Client,
    name: &[u8],
    ttl: i64,
    on_locked: impl FnOnce(&[u8]),
    stop: F,
) -> Result<LockEnd, String>
where
    F: std::future::Future<Output = ()>,
{
    let lease = client
        .lease_grant(ttl, None)
        .await
        .map_err(|e| describe_error(&e))?
        .id();
    let keep = keep_alive(client.clone(), lease, ttl);
    tokio::pin!(keep, stop);
    let mut lock_client = client.clone();
    let locked = lock_client.lock(name.to_vec(), Some(LockOptions::new().with_lease(lease)));
    tokio::pin!(locked);
    let key = tokio::select! {
        r = &mut locked => match r {
            Ok(resp) => resp.key().to_vec(),
            Err(e) => {
                let _ = client.lease_revoke(lease).await;
                return Err(describe_error(&e));
            }
        },
        _ = &mut keep => return Ok(LockEnd::LeaseLost),
        _ = &mut stop => {
            // Revoking the lease removes the waiting key.
            let _ = client.lease_revoke(lease).await;
            return Ok(LockEnd::Stopped);
        }
    };
    on_locked(&key);
    tokio::select! {
        _ = &mut keep => Ok(LockEnd::LeaseLost),
        _ = &mut stop => {
            let _ = client.unlock(key).await;
            let _ = client.lease_revoke(lease).await;
            Ok(LockEnd::Stopped)
        }
    }
}
