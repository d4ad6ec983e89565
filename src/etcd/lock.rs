//! Locks as Go's `concurrency.Mutex` takes them (and `etcdctl lock`): a
//! key `<name>/<lease id in hex>` on the holder's lease; the key with the
//! lowest create revision holds the lock, the others wait in that order.
//! `hold` goes through etcd's own lock service (v3lock, which runs that
//! same Go code on the server), so etcdlens and Go lockers queue together.

use etcd_client::{Client, LockOptions};

/// How holding a lock ended.
pub type LockEnd = super::session::SessionEnd;

/// Waits for lock `name` on a new lease of `ttl` seconds (kept alive), calls
/// `on_locked` with the key once held, holds it until `stop`, then unlocks
/// and revokes the lease.
pub async fn hold<F>(
    client: &mut Client,
    name: &[u8],
    ttl: i64,
    on_locked: impl FnOnce(&[u8]),
    stop: F,
) -> Result<LockEnd, super::Error>
where
    F: std::future::Future<Output = ()>,
{
    let name = name.to_vec();
    super::session::hold(
        client,
        ttl,
        |mut c, lease| async move {
            let resp = c
                .lock(name, Some(LockOptions::new().with_lease(lease)))
                .await?;
            Ok(resp.key().to_vec())
        },
        |key: &Vec<u8>| on_locked(key),
        |mut c, key| async move {
            let _ = c.unlock(key).await;
        },
        stop,
    )
    .await
}
