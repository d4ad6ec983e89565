//! Messages into `update` and commands out of it.

use std::time::Instant;

use crossterm::event::Event;

use super::tree::{LoadRequest, NodeId};
use super::value::LoadedValue;
use crate::etcd::types::{
    ChildPage, ClusterInfo, ElectionSnapshot, Expect, WatchEvent, WatchStatus, WriteOutcome,
};
use crate::journal::Entry;

/// Which kind of guarded write it is (the message after it says so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOp {
    Save,
    Delete,
    Undo,
    /// Writes back a revision from a key's history.
    Restore,
}

/// What a prefix delete did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixDeleted {
    pub deleted: i64,
    pub revision: i64,
    /// The values were few enough to journal.
    pub journaled: bool,
    /// Journaling them failed (the delete applied).
    pub journal: Result<(), String>,
}

#[derive(Debug)]
pub enum Msg {
    /// Terminal input: keys, paste, resize.
    Input(Event),
    /// The clock moved on (drives TTL countdowns and message expiry).
    Tick(Instant),
    /// A page of a directory listing, for the request of that generation,
    /// or a batch of children found while it goes on (`partial`).
    Listed {
        dir: NodeId,
        generation: u64,
        result: Result<ChildPage, String>,
    },
    /// The answer to value request `req`; `None` when the key is gone.
    Value {
        req: u64,
        result: Result<Option<LoadedValue>, String>,
        revision: i64,
    },
    /// A batch of watch events from the watch of that epoch.
    WatchEvents {
        epoch: u64,
        events: Vec<WatchEvent>,
        /// Cluster revision of the response.
        revision: i64,
        /// When they arrived (for the rate sparkline).
        at: Instant,
    },
    /// The watch stream connected or is reconnecting.
    WatchStatus { epoch: u64, status: WatchStatus },
    /// A progress notification: everything up to `revision` was delivered.
    WatchProgress { epoch: u64, revision: i64 },
    /// Revisions `from..=to` were compacted before the watch could resume:
    /// they are lost; the tree must be listed again.
    WatchGap {
        epoch: u64,
        from: i64,
        to: i64,
        compacted: i64,
    },
    /// Whether the never-listed directory `dir` (at `full`) has any key left.
    DirProbed {
        dir: NodeId,
        full: Vec<u8>,
        empty: bool,
    },
    /// The current candidates of a followed election (or why not).
    Election {
        name: Vec<u8>,
        result: Result<ElectionSnapshot, String>,
    },
    /// Directory `dir` (at `full`) holds only election keys.
    ElectionDetected { dir: NodeId, full: Vec<u8> },
    /// A lease was revoked (a leader made to step down).
    LeaseRevoked {
        lease: i64,
        result: Result<(), String>,
    },
    /// A prefix delete finished.
    PrefixDeleted {
        prefix: Vec<u8>,
        result: Result<PrefixDeleted, String>,
    },
    /// A guarded save or delete of `key` finished.
    WriteDone {
        op: WriteOp,
        key: Vec<u8>,
        result: Result<WriteOutcome, String>,
        /// Journaling what the write replaced failed (the write applied).
        journal: Result<(), String>,
    },
    /// Writing a file failed (`what`: `record`, `undo journal`, `log`): a
    /// warning that stays in the status bar.
    FileFailed { what: String, error: String },
    /// How many keys lie under `prefix`.
    PrefixCount {
        prefix: Vec<u8>,
        count: Result<i64, String>,
    },
    /// The newest undo-journal entry for `key`.
    UndoFound { key: Vec<u8>, entry: Option<Entry> },
    /// The value an event's key had just before it (row `seq`).
    EventPrev {
        seq: u64,
        result: Result<Option<Vec<u8>>, String>,
    },
    /// A key's history (or why not).
    History {
        key: Vec<u8>,
        result: Result<crate::etcd::history::KeyHistory, String>,
    },
    /// The cluster view's data.
    Cluster(Result<ClusterInfo, String>),
    /// The external editor returned (the file's text).
    ExternalEdited(Result<String, String>),
    /// The loop is about to draw: apply what was coalesced since the last
    /// frame (row rebuild, value refresh).
    Frame,
    /// SIGTERM, SIGINT or SIGHUP.
    Signal,
    /// The running `:export` wrote this many keys and bytes so far.
    ExportProgress { keys: u64, bytes: u64 },
    /// The `:export` into `file` ended.
    Exported {
        file: String,
        result: Result<crate::transfer::export::Exported, String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    /// List the next page of `dir`'s children.
    ListChildren {
        dir: NodeId,
        request: LoadRequest,
    },
    /// Stop listing `dir` (the request of that generation): cancel its
    /// outstanding reads.
    CancelList {
        dir: NodeId,
        generation: u64,
    },
    /// Fetch a key's value; supersedes (cancels) the previous fetch.
    FetchValue {
        req: u64,
        key: Vec<u8>,
    },
    /// (Re)start the watch: follow `prefix` from `start_revision`, or from
    /// the current revision + 1 when `None`. Replaces the previous watch.
    Watch {
        epoch: u64,
        prefix: Vec<u8>,
        start_revision: Option<i64>,
    },
    /// Check whether any key is left under a never-listed directory.
    ProbeDir {
        dir: NodeId,
        full: Vec<u8>,
    },
    /// Follow election `name` (keys `name/<lease hex>`).
    FollowElection {
        name: Vec<u8>,
    },
    UnfollowElection {
        name: Vec<u8>,
    },
    /// Check whether a directory holds only election keys.
    CheckElection {
        dir: NodeId,
        full: Vec<u8>,
    },
    /// Revoke a lease (deleting its keys): makes a leader step down.
    RevokeLease {
        lease: i64,
    },
    /// Put `value` if the key is as `expect`s; keep it on `lease`, or on a
    /// new lease of `ttl` seconds. `prev` (the value before) is journaled.
    Save {
        op: WriteOp,
        key: Vec<u8>,
        value: Vec<u8>,
        expect: Expect,
        lease: i64,
        ttl: Option<i64>,
        prev: Option<Vec<u8>>,
    },
    /// Delete `key` if it is as `expect`s.
    Delete {
        op: WriteOp,
        key: Vec<u8>,
        expect: Expect,
        prev: Option<Vec<u8>>,
        lease: i64,
    },
    CountPrefix {
        prefix: Vec<u8>,
    },
    /// Delete every key under `prefix` in one range delete.
    DeletePrefix {
        prefix: Vec<u8>,
    },
    FindUndo {
        key: Vec<u8>,
    },
    /// Suspend the screen and edit `text` in `$VISUAL`/`$EDITOR` (run by the
    /// UI loop, which owns the terminal).
    ExternalEdit {
        text: String,
    },
    /// Read `key` as it was at `revision` (an event's previous value).
    FetchPrev {
        seq: u64,
        key: Vec<u8>,
        revision: i64,
    },
    /// Read every revision of `key` that etcd still holds.
    History {
        key: Vec<u8>,
    },
    /// Ask every member for its status (the cluster view).
    ClusterStatus,
    /// Put bytes on the clipboard with OSC 52 (run by the UI loop).
    Copy(Vec<u8>),
    /// Leave the program.
    Quit,
    /// Export every key under `prefix` into `file` (JSON lines), with
    /// progress messages.
    Export {
        prefix: Vec<u8>,
        file: String,
    },
}
