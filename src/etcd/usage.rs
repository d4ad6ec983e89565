//! The database's size and quota (the Usage view's header).

use etcd_client::Client;

/// How full the backend database is, as one member reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DbStatus {
    /// Bytes the database file takes.
    pub size: i64,
    /// Bytes of it in use (the rest is free pages until a defrag).
    pub in_use: i64,
    /// `--quota-backend-bytes` (0: the member does not say; etcd before 3.6).
    pub quota: i64,
}

/// The status of the member the client reaches.
/// The error is one line; a user without the root role on the releases
/// that reserve `Status` to it gets [`super::STATUS_NEEDS_ROOT`].
pub async fn db_status(client: &mut Client) -> Result<DbStatus, String> {
    let s = super::retry_read(|| {
        let mut c = client.clone();
        async move { c.status().await }
    })
    .await
    .map_err(|e| {
        if super::is_permission_denied(&e) {
            super::STATUS_NEEDS_ROOT.to_string()
        } else {
            super::describe_error(&e)
        }
    })?;
    Ok(DbStatus {
        size: s.db_size(),
        in_use: s.raft_used_db_size(),
        quota: s.db_size_quota(),
    })
}
