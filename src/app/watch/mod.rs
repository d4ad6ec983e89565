//! The watch: the Events pane's log (`log`), the watch as the UI knows it
//! (`WatchView`), and how events reach the log, the tree and the value.

pub mod log;
pub mod update;

use crate::etcd::types::WatchStatus;

/// The watch as the UI knows it.
#[derive(Debug)]
pub struct WatchView {
    /// Bumped by every (re)start; messages of older watches are dropped.
    pub epoch: u64,
    /// A watch was started (the root's first listing starts one).
    pub started: bool,
    /// The prefix to follow (`--watch`, `w`).
    pub prefix: Vec<u8>,
    /// `None` until the watch task reports.
    pub status: Option<WatchStatus>,
    /// The root listing was refused for the user's permissions: no watch
    /// is started (it would be refused too), and this says why.
    pub refused: Option<String>,
}

/// The one wording for a user who may read only part of the keyspace.
pub const ROOT_REFUSED: &str = "this user may read only part of the keyspace: the root listing was refused (permission denied); start etcdlens with --prefix set to a prefix the user may read";

/// Why a file has no live watch (the Events pane says it).
pub const OFFLINE: &str = "offline: a file does not change, there is no live watch";

/// The root listed in part: what the user's roles allow.
pub const ROOT_PARTLY: &str = "this user may read only part of the keyspace: the tree shows what its roles allow; no live watch of the root (start etcdlens with --prefix to watch one)";
