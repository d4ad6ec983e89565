//! The app's own view of etcd data. etcd-client types never leave `etcd/`:
//! they are converted into these at the boundary.

/// One direct child of a directory, as found by the lister.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Child {
    /// The full key (for a key) or the full prefix including the trailing
    /// delimiter (for a directory).
    pub full: Vec<u8>,
    pub is_dir: bool,
}

/// One page of a directory listing, or one batch of it (`partial`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChildPage {
    /// Children in bytewise order, as etcd sorts.
    pub children: Vec<Child>,
    /// Where the next page starts; `None` when the directory is complete.
    pub next: Option<Vec<u8>>,
    /// Cluster revision the first read of this page saw.
    pub revision: i64,
    /// Range reads this page cost (for tests and benchmarks).
    pub reads: u32,
    /// For subdirectories found on this page: their first keys, in order
    /// and without holes, as seen while passing over them (at most a few
    /// dozen each). Listing such a directory starts from these.
    pub seeds: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    /// Exact key counts of child directories (found in this batch or an
    /// earlier one of the same request). A directory not listed here has an
    /// unknown count.
    pub counts: Vec<(Vec<u8>, u64)>,
    /// Keys etcd walked for this request's reads so far (the sum of the
    /// replies' `count`): the server's work.
    pub work: u64,
    /// A batch of children found while the listing goes on; the request's
    /// last message has `partial` false and says where the next page starts.
    pub partial: bool,
    /// The user may read only part of the directory: these children are
    /// what its roles allow (see `etcd::permitted`), the rest was skipped.
    pub partly_denied: bool,
}

/// A key's value and metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRecord {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    pub mod_revision: i64,
    pub create_revision: i64,
    pub version: i64,
    pub lease: i64,
    /// Remaining TTL of the lease in seconds when fetched (`None`: no lease;
    /// `Some(-1)`: the lease has expired).
    pub lease_ttl: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Put,
    Delete,
}

/// One watch event, converted from etcd-client's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    pub kind: EventKind,
    pub key: Vec<u8>,
    /// The new value (empty for a delete).
    pub value: Vec<u8>,
    /// The value before this event, when there was one.
    pub prev_value: Option<Vec<u8>>,
    pub mod_revision: i64,
    pub create_revision: i64,
    pub version: i64,
    pub lease: i64,
}

impl WatchEvent {
    /// The revision this event happened at (a delete carries it in
    /// `mod_revision` too).
    pub fn revision(&self) -> i64 {
        self.mod_revision
    }
}

/// What the watch task reports besides events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchStatus {
    /// Watching; events from this revision on will arrive, served by this
    /// member.
    Watching { from: i64, member_id: u64 },
    /// The stream broke; trying again (attempt number, cause).
    Reconnecting { attempt: u32, error: String },
}

/// One key under an election's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub key: Vec<u8>,
    /// The proposal.
    pub value: Vec<u8>,
    pub create_revision: i64,
    pub lease: i64,
    /// Remaining lease TTL in seconds when last asked (`Some(-1)`: the lease
    /// is gone; `None`: not known).
    pub ttl: Option<i64>,
}

impl Candidate {
    /// Whether the key is one of Go's election (or lock) keys.
    pub fn is_election_key(&self, prefix_len: usize) -> bool {
        is_session_key(&self.key[prefix_len.min(self.key.len())..], self.lease)
    }
}

/// Whether a key named `name` (below its election's prefix) is a key of
/// Go's `concurrency` package: its name is its lease id in hex, and it is
/// attached to that lease.
pub fn is_session_key(name: &[u8], lease: i64) -> bool {
    lease != 0 && name == format!("{lease:x}").as_bytes()
}

/// Whether a name could be a session key (a lease id in lower-case hex),
/// when the key's lease is not known yet.
pub fn looks_like_session_key(name: &[u8]) -> bool {
    (1..=16).contains(&name.len())
        && name
            .iter()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// The keys of one election at a revision, ordered by create revision: the
/// first is the leader (as Go's `concurrency.Election` decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionSnapshot {
    pub candidates: Vec<Candidate>,
    pub revision: i64,
}

/// What a guarded write expects the key to be before it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The key's `mod_revision` is still this one.
    ModRevision(i64),
    /// The key does not exist.
    Absent,
}

/// How a guarded write ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// Applied at this revision.
    Done { revision: i64 },
    /// Not applied: the key is not what was expected. This is what it is
    /// now (`None`: it does not exist).
    Conflict { current: Option<ValueRecord> },
}

/// One member of the cluster as the cluster view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberInfo {
    pub id: u64,
    pub name: String,
    pub client_urls: Vec<String>,
    pub peer_urls: Vec<String>,
    pub is_learner: bool,
    /// Its own answer to a status request, or why there was none.
    pub status: Result<MemberStatus, String>,
    /// The member answered, but its status is not shown to this user (and
    /// why): it is up, not down. `status` then holds the same reason.
    pub hidden: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStatus {
    pub version: String,
    pub db_size: i64,
    pub db_size_in_use: i64,
    /// The leader this member knows of.
    pub leader: u64,
    pub raft_term: u64,
    pub raft_index: u64,
    pub latency_ms: u64,
    /// Its `--quota-backend-bytes` (0: it does not say; etcd before 3.6).
    pub quota: i64,
}

impl MemberInfo {
    /// Its name as shown (escaped), or its id in hex when it has none (a
    /// learner not started yet).
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("{:x}", self.id)
        } else {
            crate::escape::escape_str(&self.name)
        }
    }
}

impl MemberStatus {
    /// The share of the database file that is free pages (what a
    /// defragmentation gives back): 1 − in use ÷ size.
    pub fn fragmentation(&self) -> Option<f64> {
        (self.db_size > 0).then(|| 1.0 - self.db_size_in_use.max(0) as f64 / self.db_size as f64)
    }

    /// How full the database is against its quota (`None`: the quota is
    /// not reported).
    pub fn quota_use(&self) -> Option<f64> {
        (self.quota > 0).then(|| self.db_size.max(0) as f64 / self.quota as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    pub members: Vec<MemberInfo>,
    /// Active alarms: (member id, alarm name).
    pub alarms: Vec<(u64, String)>,
    /// Why the alarms could not be read (e.g. a user without the root
    /// role): `alarms` is then empty, and not known to be.
    pub alarms_unknown: Option<String>,
    /// The oldest revision etcd still holds (its compaction point; 1 when
    /// nothing was compacted), or why it is not known.
    pub oldest_revision: Result<i64, String>,
    /// The user the connection logs in as (`None`: no login).
    pub user: Option<String>,
}

impl ClusterInfo {
    /// The etcd version the answering members report (the first).
    pub fn version(&self) -> Option<&str> {
        self.members
            .iter()
            .find_map(|m| m.status.as_ref().ok())
            .map(|s| s.version.as_str())
    }

    /// A member's role as the views name it: `learner`, `LEADER` or
    /// `follower`.
    pub fn role(&self, member: &MemberInfo) -> &'static str {
        if member.is_learner {
            "learner"
        } else if Some(member.id) == self.leader() {
            "LEADER"
        } else {
            "follower"
        }
    }

    /// The leader, as the answering members see it.
    pub fn leader(&self) -> Option<u64> {
        self.members
            .iter()
            .filter_map(|m| m.status.as_ref().ok())
            .map(|s| s.leader)
            .find(|&l| l != 0)
    }

    /// Members that did not answer (a member whose status is hidden from
    /// this user answered: it is not down).
    pub fn down(&self) -> usize {
        self.members
            .iter()
            .filter(|m| m.status.is_err() && m.hidden.is_none())
            .count()
    }
}
