//! Messages into `update` and commands out of it.

use std::time::Instant;

use crossterm::event::{Event, MouseEvent};

use super::tree::{LoadRequest, NodeId};
use super::value::LoadedValue;
use crate::etcd::changes::{ChangesUpdate, Undeleted};
use crate::etcd::revision::{RevisionError, RevisionSpec};
use crate::etcd::types::{
    ChildPage, ClusterInfo, ElectionSnapshot, Expect, ValueRecord, WatchEvent, WatchStatus,
    WriteOutcome,
};
use crate::journal::Entry;
use crate::value_doc::KubeStyle;

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
    /// A mouse event and when it came (a double click is two close ones).
    Mouse { event: MouseEvent, at: Instant },
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
    /// The find `id`'s results were deleted (those unchanged since).
    FoundDeleted {
        id: u64,
        result: crate::etcd::bulk::DeletedUnchanged,
        /// Journaling the deleted values failed (the deletes applied).
        journal: Result<(), String>,
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
    /// A page of the resource table's keys, and whether more follow.
    ResourcesListed {
        dir: Vec<u8>,
        result: Result<(Vec<Vec<u8>>, bool), String>,
    },
    /// Values for the resource table's rows on screen, and the wall clock
    /// (seconds since the epoch) when read.
    ResourceValues {
        dir: Vec<u8>,
        result: Result<crate::app::resources::ReadValues, String>,
    },
    /// A key's history (or why not).
    History {
        key: Vec<u8>,
        result: Result<crate::etcd::history::KeyHistory, String>,
    },
    /// The cluster view's data.
    Cluster(Result<ClusterInfo, String>),
    /// Where `:rev` goes: (the revision, the current one), or why not.
    RevisionChecked {
        spec: RevisionSpec,
        result: Result<(i64, i64), RevisionError>,
    },
    /// How reading the changes of `:changes` number `id` goes.
    Changes { id: u64, update: ChangesUpdate },
    /// A maintenance action's plan, progress or end (`Cmd::Maint`).
    Maint(super::maint::MaintMsg),
    /// Each member's metrics (`Cmd::SampleMetrics`): its URL, when the
    /// answer came, the sample or why none.
    MetricsSampled(
        Vec<(
            String,
            std::time::Instant,
            Result<crate::etcd::metrics::Sample, String>,
        )>,
    ),
    /// Users and roles read, or a change's result (`Cmd::Auth`).
    Auth(super::auth::AuthMsg),
    /// An undelete under `prefix` finished.
    Undeleted {
        prefix: Vec<u8>,
        result: Undeleted,
        /// Journaling the restored keys failed (they were restored).
        journal: Result<(), String>,
    },
    /// The external editor returned (the file's text).
    ExternalEdited(Result<String, String>),
    /// The loop is about to draw: apply what was coalesced since the last
    /// frame (row rebuild, value refresh).
    Frame,
    /// SIGTERM, SIGINT or SIGHUP.
    Signal,
    /// Matches and progress of find `id`.
    Found {
        id: u64,
        batch: super::find::FindBatch,
    },
    /// Counts and progress of usage scan `id`.
    Usage {
        id: u64,
        batch: super::usage::UsageBatch,
    },
    /// Every lease (or why not).
    Leases(Result<Vec<crate::etcd::leases::LeaseInfo>, String>),
    /// One lease and its keys (`None`: it no longer exists).
    LeaseKeys {
        id: i64,
        result: Result<Option<crate::etcd::leases::LeaseKeys>, String>,
    },
    /// Directory `dir` (at `full`) holds only lock keys (Go's
    /// `concurrency.Mutex`: session keys with empty values).
    LockDetected { dir: NodeId, full: Vec<u8> },
    /// A keep-alive's answer: the new TTL (0: no such lease).
    LeaseKeptAlive {
        id: i64,
        result: Result<i64, String>,
    },
    /// The running `:export` wrote this many keys and bytes so far.
    ExportProgress { keys: u64, bytes: u64 },
    /// The `:export` into `file` ended.
    Exported {
        file: String,
        result: Result<crate::transfer::export::Exported, String>,
    },
    /// The plan of `transfer` read this many source keys so far.
    Planning {
        transfer: crate::transfer::Transfer,
        keys: u64,
    },
    /// The plan of `transfer` is made.
    Planned {
        transfer: crate::transfer::Transfer,
        result: Result<crate::transfer::Plan, String>,
    },
    /// Applying the plan: this many keys done.
    Applying { keys: u64 },
    /// Applying the plan ended.
    Applied(Result<crate::transfer::Summary, String>),
    /// One planned key's values: the target now (`None`: absent) and
    /// what the source would write.
    PlanKey {
        target: Vec<u8>,
        result: Result<(Option<Vec<u8>>, Vec<u8>), String>,
    },
    /// A report of `:top`'s own watch (`Cmd::TopWatch` of that epoch).
    TopWatch {
        epoch: u64,
        update: crate::etcd::watch::WatchUpdate,
    },
    /// Context `name`'s probe (`Cmd::FleetProbe`).
    FleetProbe {
        name: String,
        result: Result<crate::etcd::fleet::Probe, String>,
    },
    /// The connection of switch `id` (`Cmd::SwitchContext`) is made — the
    /// runtime already runs the new worker — or could not be made.
    ContextSwitched {
        id: u64,
        result: Result<super::contexts::Switched, String>,
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
    /// List a page of keys under `dir` for the resource table, after
    /// `after` (from the start when `None`).
    ListResources {
        dir: Vec<u8>,
        after: Option<Vec<u8>>,
    },
    /// Read the values from `first` to `last` for the resource table.
    ReadResources {
        dir: Vec<u8>,
        first: Vec<u8>,
        last: Vec<u8>,
    },
    /// Format a fetched value again in another style (answered as the
    /// value request `req`).
    FormatValue {
        req: u64,
        record: ValueRecord,
        style: KubeStyle,
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
    /// Delete the find `id`'s results, each `(key, mod_revision)` only if
    /// still at that revision (≤ 128 per transaction); `journal`: keep
    /// their values for `u`.
    DeleteFound {
        id: u64,
        keys: Vec<(Vec<u8>, i64)>,
        journal: bool,
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
    /// The prefix browsed: the compaction point is probed there (a user
    /// limited to a prefix may read nothing else).
    ClusterStatus {
        prefix: Vec<u8>,
    },
    /// Put bytes on the clipboard with OSC 52 (run by the UI loop).
    Copy(Vec<u8>),
    /// Leave the program.
    Quit,
    /// Fetch a key's value as it was at `revision` (`:rev`); supersedes
    /// the previous fetch like `FetchValue`.
    FetchValueAt {
        req: u64,
        key: Vec<u8>,
        revision: i64,
    },
    /// Resolve a `:rev` target and check that etcd still holds it.
    CheckRevision {
        spec: RevisionSpec,
        /// The prefix browsed, where the revision is probed.
        prefix: Vec<u8>,
    },
    /// Read what changed under `prefix` between two revisions (replaces
    /// the reading in flight).
    Changes {
        id: u64,
        prefix: Vec<u8>,
        from: RevisionSpec,
        to: RevisionSpec,
    },
    /// Stop reading changes (the view was closed).
    StopChanges,
    /// `:top`'s own watch on `prefix`, from now on (replaces the previous
    /// one): the Events pane's watch does not cover the prefix.
    TopWatch {
        epoch: u64,
        prefix: Vec<u8>,
    },
    /// Stop `:top`'s own watch (the view was closed).
    StopTopWatch,
    /// Probe context `name` of config.toml (`:fleet`), reading `key`.
    FleetProbe {
        name: String,
        key: Vec<u8>,
    },
    /// A maintenance action (the maintenance view's: compaction, rolling
    /// defragmentation, leader move, hash check, alarms, snapshot, the
    /// NOSPACE recovery's check).
    Maint(super::maint::MaintCmd),
    /// Read every URL's `/metrics` at once (the metrics view's sampler).
    SampleMetrics {
        urls: Vec<String>,
    },
    /// The access-control view's reads and changes.
    Auth(super::auth::AuthCmd),
    /// Put deleted keys back: (key, revision of its delete), each only if
    /// still absent; transactions within `max_request_bytes`.
    Undelete {
        prefix: Vec<u8>,
        items: Vec<(Vec<u8>, i64)>,
        max_request_bytes: usize,
    },
    /// Find keys under `prefix` matching `query` (as typed; see
    /// `find::Query`), in a stream of `Msg::Found`.
    Find {
        id: u64,
        prefix: Vec<u8>,
        query: String,
    },
    /// Stop find `id`: no more reads.
    CancelFind {
        id: u64,
    },
    /// Count keys and value bytes per child of `prefix` (and ask the DB
    /// status), in a stream of `Msg::Usage`.
    Usage {
        id: u64,
        prefix: Vec<u8>,
    },
    /// Stop usage scan `id`: no more reads.
    CancelUsage {
        id: u64,
    },
    /// Every lease with its TTLs and key count.
    ListLeases,
    /// One lease's keys.
    LeaseKeys {
        id: i64,
    },
    /// Refresh a lease once.
    KeepAliveOnce {
        id: i64,
    },
    /// Export every key under `prefix` into `file` (JSON lines), with
    /// progress messages.
    Export {
        prefix: Vec<u8>,
        file: String,
    },
    /// Make the plan of a transfer (`Msg::Planning`, `Msg::Planned`).
    Plan {
        transfer: crate::transfer::Transfer,
        /// What the plan refuses (a write over the request limit).
        options: crate::transfer::PlanOptions,
    },
    /// Read one planned key's values for its diff (`Msg::PlanKey`).
    PlanKey {
        source: crate::transfer::Source,
        plan: crate::transfer::PlanOrigin,
        target: Vec<u8>,
        /// The target is this context's cluster (`None`: the connected one).
        to_context: Option<String>,
    },
    /// Apply a plan made before, journaled (`Msg::Applying`,
    /// `Msg::Applied`).
    ApplyPlan {
        transfer: crate::transfer::Transfer,
        /// Boxed: the biggest command otherwise (every `Cmd` is as big).
        plan: Box<crate::transfer::Plan>,
        max_request_bytes: usize,
    },
    /// Connect to context `name` of config.toml (run by the UI loop, off
    /// its thread; `Msg::ContextSwitched`).
    SwitchContext {
        id: u64,
        name: String,
    },
}
