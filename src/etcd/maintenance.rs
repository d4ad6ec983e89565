//! Maintenance of a cluster (issue 24): compaction, alarms, the
//! defragmentation of one member, leader moves, `HashKV`, and the rolling
//! defragmentation — one member at a time, only while every member is
//! healthy, followers first and the leader last (or after leadership moved
//! to a defragmented follower), reported step by step to a callback so a
//! CLI or the TUI can drive it.
//!
//! Requests that concern one member (its status, its defragmentation, its
//! hash) go over a client of that member alone ([`super::cluster::dial_member`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd_client::{AlarmAction, AlarmOptions, AlarmType, Client, CompactionOptions};

use super::cluster::dial_member;
use super::{Connection, Error};

/// How long one member may take to defragment (it serves nothing meanwhile).
const DEFRAG_TIMEOUT: Duration = Duration::from_secs(600);
/// How long a member may take to answer a health check (its status).
const HEALTH_TIMEOUT: Duration = Duration::from_secs(3);

/// A member as the member list names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: u64,
    pub name: String,
    pub urls: Vec<String>,
    /// A learner (a non-voting member: it cannot lead).
    pub learner: bool,
}

impl Member {
    /// Its name, or its id in hex when it has none (not started).
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            format!("{:x}", self.id)
        } else {
            self.name.clone()
        }
    }

    /// Its first client URL (what the etcdctl equivalents name).
    pub fn url(&self) -> &str {
        self.urls.first().map_or("", String::as_str)
    }
}

/// A healthy member's figures: it answered `Status`, knows a leader, and
/// reports no error but (at most) a NOSPACE alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub version: String,
    pub db_size: i64,
    pub in_use: i64,
    /// The leader it knows of.
    pub leader: u64,
    /// Its current revision.
    pub revision: i64,
    /// The NOSPACE alarms it reports (they do not make it unhealthy).
    pub nospace: bool,
    /// Its `--quota-backend-bytes` (0: it does not say; etcd before 3.6).
    pub quota: i64,
}

impl Health {
    /// What a defragmentation gives back: size − in use.
    pub fn gain(&self) -> i64 {
        (self.db_size - self.in_use).max(0)
    }

    /// 1 − in use ÷ size (0 for an empty file).
    pub fn fragmentation(&self) -> f64 {
        if self.db_size <= 0 {
            0.0
        } else {
            self.gain() as f64 / self.db_size as f64
        }
    }
}

/// Bytes as MiB with one decimal ("12.3 MiB"), under 1 MiB as KiB.
pub fn mib(bytes: i64) -> String {
    if bytes.abs() < 1 << 20 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / 1048576.0)
    }
}

/// The cluster id and its members, in the member list's order.
pub async fn members(conn: &Connection) -> Result<(u64, Vec<Member>), Error> {
    let client = conn.client.clone();
    let list = super::retry_read(|| {
        let mut c = client.clone();
        async move { c.member_list().await }
    })
    .await?;
    let cluster_id = list.header().map_or(0, |h| h.cluster_id());
    let members = list
        .members()
        .iter()
        .map(|m| Member {
            id: m.id(),
            name: m.name().to_string(),
            urls: m.client_urls().to_vec(),
            learner: m.is_learner(),
        })
        .collect();
    Ok((cluster_id, members))
}

/// Clients of single members, dialed once per run (with auth each dial is
/// a login), each allowed a defragmentation's time per request: a health
/// check bounds its own wait.
pub struct MemberClients<'a> {
    conn: &'a Connection,
    clients: HashMap<u64, Client>,
}

impl<'a> MemberClients<'a> {
    pub fn new(conn: &'a Connection) -> Self {
        MemberClients {
            conn,
            clients: HashMap::new(),
        }
    }

    async fn client(&mut self, m: &Member) -> Result<Client, String> {
        if let Some(c) = self.clients.get(&m.id) {
            return Ok(c.clone());
        }
        if m.urls.is_empty() {
            return Err("not started (no client URL)".into());
        }
        let dial = dial_member(self.conn, &m.urls, DEFRAG_TIMEOUT);
        let c = tokio::time::timeout(HEALTH_TIMEOUT * 2, dial)
            .await
            .unwrap_or_else(|_| Err("no answer".into()))?;
        self.clients.insert(m.id, c.clone());
        Ok(c)
    }

    /// The member's health ([`Health`]), or why it is not healthy.
    pub async fn health(&mut self, m: &Member) -> Result<Health, String> {
        let attempt = async {
            let mut c = self.client(m).await?;
            let s = c.status().await.map_err(|e| Error::from(e).to_string())?;
            let (nospace, errors) = super::cluster::alarm_errors(s.errors());
            if !errors.is_empty() {
                return Err(errors.join("; "));
            }
            if s.leader() == 0 {
                return Err("no leader".into());
            }
            Ok(Health {
                version: s.version().to_string(),
                db_size: s.db_size(),
                in_use: s.raft_used_db_size(),
                leader: s.leader(),
                revision: s.header().map_or(0, |h| h.revision()),
                nospace,
                quota: s.db_size_quota(),
            })
        };
        tokio::time::timeout(HEALTH_TIMEOUT, attempt)
            .await
            .unwrap_or_else(|_| Err("no answer".into()))
    }

    /// Every member's health, in order.
    pub async fn health_all(&mut self, members: &[Member]) -> Vec<Result<Health, String>> {
        let mut out = Vec::new();
        for m in members {
            out.push(self.health(m).await);
        }
        out
    }

    /// Defragments `m` (through its own client): it serves nothing while it
    /// runs.
    pub async fn defragment(&mut self, m: &Member) -> Result<(), Error> {
        let mut c = self.client(m).await.map_err(Error::Other)?;
        c.defragment().await?;
        Ok(())
    }

    /// Moves leadership from `leader` (the current leader: etcd takes the
    /// request only there) to the member `target`.
    pub async fn move_leader(&mut self, leader: &Member, target: u64) -> Result<(), Error> {
        let mut c = self.client(leader).await.map_err(Error::Other)?;
        c.move_leader(target).await?;
        Ok(())
    }

    /// `m`'s hash of the key-value store at `revision`.
    pub async fn hash_kv(&mut self, m: &Member, revision: i64) -> Result<HashKv, Error> {
        let mut c = self.client(m).await.map_err(Error::Other)?;
        let ask = c.hash_kv(revision);
        let r = tokio::time::timeout(DEFRAG_TIMEOUT, ask)
            .await
            .map_err(|_| Error::Timeout(super::no_answer_words()))??;
        Ok(HashKv {
            hash: r.hash(),
            compact_revision: r.compact_version(),
            revision: r.header().map_or(0, |h| h.revision()),
        })
    }
}

/// A member's `HashKV` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashKv {
    pub hash: u32,
    /// The compaction revision the hash starts from.
    pub compact_revision: i64,
    /// The member's revision when it answered (what a hash asked at
    /// revision 0, the latest, covers).
    pub revision: i64,
}

impl HashKv {
    /// The same data: the same hash from the same compaction point (the
    /// revision each member answered at may differ while writes go on).
    pub fn same_data(&self, other: &HashKv) -> bool {
        self.hash == other.hash && self.compact_revision == other.compact_revision
    }
}

/// Compacts the history to `revision`; `physical`: waits until every
/// member applied it (`etcdctl compact N --physical`).
pub async fn compact(conn: &Connection, revision: i64, physical: bool) -> Result<(), Error> {
    let opts = physical.then(|| CompactionOptions::new().with_physical());
    // Sent again only when it surely never reached a server.
    super::retry_unsent(|| {
        let mut c = conn.client.clone();
        let opts = opts.clone();
        async move { c.compact(revision, opts).await }
    })
    .await?;
    Ok(())
}

/// The active alarms: (member id, alarm name, e.g. `NOSPACE`).
pub async fn alarms(conn: &Connection) -> Result<Vec<(u64, String)>, Error> {
    let client = conn.client.clone();
    let r = super::retry_read(|| {
        let mut c = client.clone();
        async move { c.alarm(AlarmAction::Get, AlarmType::None, None).await }
    })
    .await?;
    Ok(r.alarms()
        .iter()
        .map(|a| (a.member_id(), alarm_name(a.alarm())))
        .collect())
}

fn alarm_name(a: AlarmType) -> String {
    format!("{a:?}").to_uppercase()
}

/// Deactivates every active alarm (as `etcdctl alarm disarm`): the ones
/// disarmed.
pub async fn disarm_all(conn: &Connection) -> Result<Vec<(u64, String)>, Error> {
    let mut client = conn.client.clone();
    let active = client
        .alarm(AlarmAction::Get, AlarmType::None, None)
        .await?;
    let mut done = Vec::new();
    for a in active.alarms() {
        let mut opts = AlarmOptions::new();
        opts.with_member(a.member_id());
        client
            .alarm(AlarmAction::Deactivate, a.alarm(), Some(opts))
            .await?;
        done.push((a.member_id(), alarm_name(a.alarm())));
    }
    Ok(done)
}

/// Defragments one member (by its client URLs) through a client of that
/// member alone.
pub async fn defragment(conn: &Connection, member: &Member) -> Result<(), Error> {
    MemberClients::new(conn).defragment(member).await
}

/// Moves leadership to the member `target`: asked of the current leader
/// (found from the members' own statuses).
pub async fn move_leader(conn: &Connection, target: u64) -> Result<(), Error> {
    let (_, members) = members(conn).await?;
    let mut clients = MemberClients::new(conn);
    let leader = clients.leader(&members).await.map_err(Error::Other)?;
    clients.move_leader(&leader, target).await
}

impl MemberClients<'_> {
    /// The current leader, as the first member that answers knows it.
    pub async fn leader(&mut self, members: &[Member]) -> Result<Member, String> {
        let mut why = "no member answered".to_string();
        for m in members {
            match self.health(m).await {
                Ok(h) => {
                    return members
                        .iter()
                        .find(|x| x.id == h.leader)
                        .cloned()
                        .ok_or_else(|| {
                            format!("the leader {:x} is not in the member list", h.leader)
                        })
                }
                Err(e) => why = format!("{} ({}): {e}", m.label(), m.url()),
            }
        }
        Err(format!("no member knows a leader: {why}"))
    }
}

/// The member `wanted` names: its name, or its id in hex as `etcdctl
/// member list` prints it (a name wins over an id). Refused (the line that
/// says why) when no member or more than one has that name, or when it
/// cannot lead: not started (no name, no client URL) or a learner.
pub fn resolve_member<'a>(members: &'a [Member], wanted: &str) -> Result<&'a Member, String> {
    let named: Vec<&Member> = members
        .iter()
        .filter(|m| !m.name.is_empty() && m.name == wanted)
        .collect();
    let m = match named[..] {
        [m] => m,
        [] => {
            let id = u64::from_str_radix(wanted.trim_start_matches("0x"), 16).ok();
            match members.iter().find(|m| Some(m.id) == id) {
                Some(m) => m,
                None => {
                    return Err(format!(
                        "no member is named {wanted:?} or has that id; the members: {}",
                        member_names(members)
                    ))
                }
            }
        }
        _ => {
            return Err(format!(
                "{} members are named {wanted:?}: name one by its id; the members: {}",
                named.len(),
                member_names(members)
            ))
        }
    };
    if m.name.is_empty() || m.urls.is_empty() {
        return Err(format!(
            "member {:x} is not started (no name or client URL yet): it cannot lead",
            m.id
        ));
    }
    if m.learner {
        return Err(format!(
            "member {} ({:x}) is a learner: it cannot lead (promote it first)",
            m.name, m.id
        ));
    }
    Ok(m)
}

/// "infra1 (8e9e05c52164694d), …" — every member, for a refusal.
pub fn member_names(members: &[Member]) -> String {
    let names: Vec<String> = members
        .iter()
        .map(|m| {
            let kind = if m.learner { ", learner" } else { "" };
            format!("{} ({:x}{kind})", m.label(), m.id)
        })
        .collect();
    names.join(", ")
}

/// One member's hash of the key-value store at `revision`.
pub async fn hash_kv(conn: &Connection, member: &Member, revision: i64) -> Result<HashKv, Error> {
    MemberClients::new(conn).hash_kv(member, revision).await
}

/// The hash check's answer: every member's hash at one revision.
#[derive(Debug, Clone)]
pub struct HashCheck {
    pub cluster_id: u64,
    pub revision: i64,
    pub members: Vec<(Member, Result<HashKv, String>)>,
}

impl HashCheck {
    /// Whether every member answered with the same hash.
    pub fn matched(&self) -> bool {
        let mut hashes = self.members.iter().map(|(_, h)| h.as_ref().ok());
        match hashes.next() {
            Some(Some(first)) => hashes.all(|h| h.is_some_and(|h| h.same_data(first))),
            _ => false,
        }
    }

    /// Whether a member did not answer (its hash is not known).
    pub fn incomplete(&self) -> bool {
        self.members.iter().any(|(_, h)| h.is_err())
    }

    /// The hash most members answered with.
    fn common(&self) -> Option<HashKv> {
        let mut counts: Vec<(HashKv, usize)> = Vec::new();
        for h in self.members.iter().filter_map(|(_, h)| h.as_ref().ok()) {
            match counts.iter_mut().find(|(x, _)| x.same_data(h)) {
                Some((_, n)) => *n += 1,
                None => counts.push((*h, 1)),
            }
        }
        counts.into_iter().max_by_key(|(_, n)| *n).map(|(h, _)| h)
    }

    /// One line per member: its hash and `match` (the hash most members
    /// answered with), `MISMATCH`, or the error.
    pub fn lines(&self) -> Vec<String> {
        let common = self.common();
        self.members
            .iter()
            .map(|(m, h)| match h {
                Ok(h) => format!(
                    "{}  {}  hash {:08x}  compacted at {}  {}",
                    m.label(),
                    m.url(),
                    h.hash,
                    h.compact_revision,
                    if common.is_some_and(|c| c.same_data(h)) {
                        "match"
                    } else {
                        "MISMATCH"
                    }
                ),
                Err(e) => format!("{}  {}  error: {e}", m.label(), m.url()),
            })
            .collect()
    }
}

/// `HashKV` of every member at one revision: the lowest current revision
/// of the members (it is at least the compaction point, which every
/// member shares). Asked again once when a compaction ran in between (the
/// members' compaction revisions differ).
pub async fn check_hash(conn: &Connection) -> Result<HashCheck, String> {
    let (cluster_id, members) = members(conn).await.map_err(|e| e.to_string())?;
    let mut clients = MemberClients::new(conn);
    // Asked at the lowest current revision; when that is the compaction
    // point itself (nothing written since a compaction), etcd refuses it
    // as compacted: then at the latest revision (0), which is one common
    // revision when every member answers at the same one.
    let mut latest = false;
    for attempt in 0..4 {
        let health = clients.health_all(&members).await;
        let lowest = health
            .iter()
            .filter_map(|h| h.as_ref().ok().map(|h| h.revision))
            .min()
            .ok_or("no member answered")?;
        let asked = if latest { 0 } else { lowest };
        let mut out = Vec::new();
        for (m, h) in members.iter().zip(health) {
            let hash = match h {
                Ok(_) => clients.hash_kv(m, asked).await,
                Err(e) => Err(Error::Other(e)),
            };
            out.push((m.clone(), hash));
        }
        let last = attempt == 3;
        let compacted = out
            .iter()
            .any(|(_, h)| matches!(h, Err(Error::Compacted(_))));
        if !latest && compacted && !last {
            latest = true;
            continue;
        }
        let answered: Vec<&HashKv> = out.iter().filter_map(|(_, h)| h.as_ref().ok()).collect();
        let compactions: std::collections::BTreeSet<i64> =
            answered.iter().map(|h| h.compact_revision).collect();
        let revisions: std::collections::BTreeSet<i64> =
            answered.iter().map(|h| h.revision).collect();
        // A compaction between the answers, or (at the latest revision)
        // a write between them: asked again (at the lowest revision, which
        // a write moved past the compaction point).
        if !last && (compactions.len() > 1 || (latest && revisions.len() > 1)) {
            latest = false;
            continue;
        }
        if latest && revisions.len() > 1 {
            return Err("the members answered at different revisions on every try (writes keep coming after a compaction): run the check again".into());
        }
        let revision = if latest {
            revisions.iter().next().copied().unwrap_or(lowest)
        } else {
            lowest
        };
        let members = out
            .into_iter()
            .map(|(m, h)| (m, h.map_err(|e| e.to_string())))
            .collect();
        return Ok(HashCheck {
            cluster_id,
            revision,
            members,
        });
    }
    Err("no common revision found".into())
}

/// What the NOSPACE recovery's last step found: one line per finding,
/// and whether all was well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryCheck {
    pub lines: Vec<String>,
    pub ok: bool,
}

/// The NOSPACE recovery's check: no alarm active, every member healthy
/// and in use below its quota (where it reports one), and — when
/// `test_key` is given — one guarded write of that key (only if absent)
/// and its guarded delete (only if still that write), so nothing that
/// existed is touched.
pub async fn recovery_check(conn: &Connection, test_key: Option<&[u8]>) -> RecoveryCheck {
    let mut lines = Vec::new();
    let mut ok = true;
    match alarms(conn).await {
        Ok(a) if a.is_empty() => lines.push("alarms: none active".to_string()),
        Ok(a) => {
            ok = false;
            let names: Vec<String> = a.iter().map(|(id, n)| format!("{n} on {id:x}")).collect();
            lines.push(format!("alarms: still active: {}", names.join(", ")));
        }
        Err(e) => {
            ok = false;
            lines.push(format!("alarms: cannot be read: {e}"));
        }
    }
    match members(conn).await {
        Ok((_, list)) => {
            let mut clients = MemberClients::new(conn);
            for m in &list {
                match clients.health(m).await {
                    Ok(h) if h.quota > 0 => {
                        let share = h.in_use as f64 / h.quota as f64;
                        ok &= h.in_use < h.quota;
                        lines.push(format!(
                            "{}: in use {} of its quota {} ({:.0} %), file {}",
                            m.label(),
                            mib(h.in_use),
                            mib(h.quota),
                            share * 100.0,
                            mib(h.db_size)
                        ));
                    }
                    Ok(h) => lines.push(format!(
                        "{}: in use {}, file {} (the quota is not reported before etcd 3.6)",
                        m.label(),
                        mib(h.in_use),
                        mib(h.db_size)
                    )),
                    Err(e) => {
                        ok = false;
                        lines.push(format!("{}: not healthy: {e}", m.label()));
                    }
                }
            }
        }
        Err(e) => {
            ok = false;
            lines.push(format!("members: cannot be listed: {e}"));
        }
    }
    match test_key {
        None => lines.push("test write: none (declined)".to_string()),
        Some(key) => {
            let shown = crate::escape::escape_bytes(key);
            match test_write(conn, key).await {
                Ok((put, deleted)) => lines.push(format!(
                    "test write: {shown} written at rev {put} and deleted at rev {deleted}"
                )),
                Err(e) => {
                    ok = false;
                    lines.push(format!("test write: {shown}: {e}"));
                }
            }
        }
    }
    RecoveryCheck { lines, ok }
}

/// Writes `key` (only if absent), then deletes it (only if still that
/// write): the revisions of both.
async fn test_write(conn: &Connection, key: &[u8]) -> Result<(i64, i64), String> {
    use super::types::{Expect, WriteOutcome};
    let mut client = conn.client.clone();
    let value = b"etcdlens: NOSPACE recovery check (deleted at once)";
    let put = super::write::put(&mut client, key, value, Expect::Absent, 0, None)
        .await
        .map_err(|e| super::describe_write_error(&e))?;
    let put = match put {
        WriteOutcome::Done { revision } => revision,
        WriteOutcome::Conflict { .. } => {
            return Err("the key exists: not written, nothing touched".into())
        }
    };
    let deleted = super::write::delete(&mut client, key, Expect::ModRevision(put))
        .await
        .map_err(|e| {
            format!(
                "written at rev {put} but not deleted: {}",
                super::describe_write_error(&e)
            )
        })?;
    match deleted {
        WriteOutcome::Done { revision } => Ok((put, revision)),
        WriteOutcome::Conflict { .. } => Err(format!(
            "written at rev {put}, then changed by someone else: left as it is"
        )),
    }
}

/// The default of [`RollingOptions::min_gain`]: 64 MiB.
pub const DEFAULT_MIN_GAIN: i64 = 64 << 20;

/// How a rolling defragmentation runs.
#[derive(Debug, Clone)]
pub struct RollingOptions {
    /// The pause between two members.
    pub wait: Duration,
    /// Defragment the leader last, keeping its leadership (no move).
    pub leader_last: bool,
    /// Members whose fragmentation is below this share are skipped.
    pub min_fragmentation: f64,
    /// Set by the user to stop before the next member (the TUI's `x`): a
    /// defragmentation under way is never interrupted.
    pub stop: Option<Arc<AtomicBool>>,
    /// Members whose defragmentation would give back less than this many
    /// bytes ([`Health::gain`]) are skipped (0: none is for this rule).
    pub min_gain: i64,
}

impl Default for RollingOptions {
    fn default() -> Self {
        RollingOptions {
            wait: Duration::from_secs(5),
            leader_last: false,
            min_fragmentation: 0.10,
            stop: None,
            min_gain: DEFAULT_MIN_GAIN,
        }
    }
}

/// What a step of the rolling defragmentation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Defragment,
    /// Left as it is, and why.
    Skip(String),
    /// Leadership moves from this member (the leader) to `to`.
    MoveLeader {
        to: Member,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub member: Member,
    pub action: Action,
    /// The member's figures when planned.
    pub health: Health,
    pub leader: bool,
}

impl Step {
    /// What etcdctl runs for this step (none for a skip).
    pub fn etcdctl(&self) -> Option<String> {
        match &self.action {
            Action::Defragment => Some(format!("etcdctl --endpoints={} defrag", self.member.url())),
            Action::MoveLeader { to } => Some(format!(
                "etcdctl --endpoints={} move-leader {:x}",
                self.member.url(),
                to.id
            )),
            Action::Skip(_) => None,
        }
    }

    /// The step as one plan line.
    pub fn line(&self) -> String {
        let who = format!(
            "{} ({}{})",
            self.member.label(),
            self.member.url(),
            if self.leader { ", leader" } else { "" }
        );
        let sizes = format!(
            "size {}, in use {}, fragmentation {:.0} %",
            mib(self.health.db_size),
            mib(self.health.in_use),
            self.health.fragmentation() * 100.0
        );
        match &self.action {
            Action::Defragment => format!(
                "defragment {who}: {sizes}, expected gain {}  [{}]",
                mib(self.health.gain()),
                self.etcdctl().unwrap_or_default()
            ),
            Action::Skip(why) => format!("skip {who}: {sizes}: {why}"),
            Action::MoveLeader { to } => format!(
                "move leadership from {} to {}  [{}]",
                self.member.label(),
                to.label(),
                self.etcdctl().unwrap_or_default()
            ),
        }
    }
}

/// The rolling defragmentation's plan: its steps in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub cluster_id: u64,
    pub members: Vec<Member>,
    pub steps: Vec<Step>,
}

impl Plan {
    /// The members it defragments, in order.
    pub fn defragmented(&self) -> Vec<&Member> {
        self.steps
            .iter()
            .filter(|s| s.action == Action::Defragment)
            .map(|s| &s.member)
            .collect()
    }
}

/// The order of a rolling defragmentation over healthy members (in the
/// member list's order with their figures): followers one at a time, then
/// the leader — after leadership moved to a follower (one defragmented, if
/// any is; never a learner), or last without a move under `leader_last`.
/// A member whose fragmentation is below `min_fragmentation`, or whose
/// expected gain (size − in use) is below `min_gain`, is skipped (a skipped
/// leader is not moved) — unless a NOSPACE alarm stands: then none is.
pub fn plan_rolling(cluster_id: u64, members: &[(Member, Health)], opts: &RollingOptions) -> Plan {
    // The leader the most members know of.
    let mut votes: HashMap<u64, usize> = HashMap::new();
    for (_, h) in members {
        *votes.entry(h.leader).or_default() += 1;
    }
    let leader = votes
        .into_iter()
        .max_by_key(|(id, n)| (*n, *id))
        .map_or(0, |(id, _)| id);
    // While a NOSPACE alarm stands every member is defragmented: the
    // in-use figure lags a compaction, and a member left above the quota
    // raises the alarm again.
    let nospace = members.iter().any(|(_, h)| h.nospace);
    let action =
        |h: &Health| skip_reason(h, nospace, opts).map_or(Action::Defragment, Action::Skip);
    let mut steps: Vec<Step> = members
        .iter()
        .filter(|(m, _)| m.id != leader)
        .map(|(m, h)| Step {
            member: m.clone(),
            action: action(h),
            health: h.clone(),
            leader: false,
        })
        .collect();
    if let Some((m, h)) = members.iter().find(|(m, _)| m.id == leader) {
        let act = action(h);
        if act == Action::Defragment && !opts.leader_last {
            // Only a voting member can take leadership.
            let voters = || steps.iter().filter(|s| !s.member.learner);
            let to = voters()
                .find(|s| s.action == Action::Defragment)
                .or(voters().next())
                .map(|s| s.member.clone());
            if let Some(to) = to {
                steps.push(Step {
                    member: m.clone(),
                    action: Action::MoveLeader { to },
                    health: h.clone(),
                    leader: true,
                });
            }
        }
        steps.push(Step {
            member: m.clone(),
            action: act,
            health: h.clone(),
            leader: true,
        });
    }
    Plan {
        cluster_id,
        members: members.iter().map(|(m, _)| m.clone()).collect(),
        steps,
    }
}

/// Why a member with figures `h` is left alone, by the rule that skips it
/// (none while a NOSPACE alarm stands).
fn skip_reason(h: &Health, nospace: bool, opts: &RollingOptions) -> Option<String> {
    if nospace {
        None
    } else if h.fragmentation() < opts.min_fragmentation {
        Some(format!(
            "fragmentation below {:.0} %",
            opts.min_fragmentation * 100.0
        ))
    } else if h.gain() < opts.min_gain {
        Some(format!("expected gain below {}", mib(opts.min_gain)))
    } else {
        None
    }
}

/// The plan for `conn`'s cluster, refused (with the line that says why)
/// unless every member is healthy.
pub async fn plan_for(conn: &Connection, opts: &RollingOptions) -> Result<Plan, String> {
    let (cluster_id, members) = members(conn).await.map_err(|e| e.to_string())?;
    let mut clients = MemberClients::new(conn);
    let health = clients.health_all(&members).await;
    let mut healthy = Vec::new();
    for (m, h) in members.iter().zip(health) {
        match h {
            Ok(h) => healthy.push((m.clone(), h)),
            Err(e) => {
                return Err(format!(
                    "refused: member {} ({}) is not healthy: {e}; nothing defragmented",
                    m.label(),
                    m.url()
                ))
            }
        }
    }
    Ok(plan_rolling(cluster_id, &healthy, opts))
}

/// What a rolling defragmentation reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// A member left alone (the plan's reason).
    Skipped { member: Member, why: String },
    /// Leadership moved (`from` was not the leader any more: nothing done).
    Moved {
        from: Member,
        to: Member,
        took: Duration,
        done: bool,
    },
    /// A member's defragmentation starts.
    Started { member: Member },
    /// … and ended: its size before and after, the time it took.
    Defragmented {
        member: Member,
        before: i64,
        after: i64,
        took: Duration,
    },
    /// The pause before the next member.
    Waiting(Duration),
}

impl Report {
    /// The report as one progress line.
    pub fn line(&self) -> String {
        match self {
            Report::Skipped { member, why } => format!("skipped {}: {why}", member.label()),
            Report::Moved {
                from,
                to,
                took,
                done: true,
            } => format!(
                "moved leadership from {} to {} in {:.1} s",
                from.label(),
                to.label(),
                took.as_secs_f64()
            ),
            Report::Moved { from, .. } => format!(
                "{} is not the leader any more: leadership not moved",
                from.label()
            ),
            Report::Started { member } => {
                format!("defragmenting {} ({})…", member.label(), member.url())
            }
            Report::Defragmented {
                member,
                before,
                after,
                took,
            } => format!(
                "defragmented {}: {} → {} in {:.2} s",
                member.label(),
                mib(*before),
                mib(*after),
                took.as_secs_f64()
            ),
            Report::Waiting(d) => format!("waiting {:.1} s", d.as_secs_f64()),
        }
    }
}

/// Runs `plan` one step at a time, reporting each to `report`. Before each
/// member every member's health is checked again: the run stops there
/// (`Err` with the line that says why and what was done) when one is not
/// healthy. A member that became leader meanwhile has leadership moved
/// away first (unless `leader_last`). Never two members at once.
pub async fn run_rolling(
    conn: &Connection,
    plan: &Plan,
    opts: &RollingOptions,
    mut report: impl FnMut(Report),
) -> Result<Vec<Member>, String> {
    let mut clients = MemberClients::new(conn);
    let mut done: Vec<Member> = Vec::new();
    // A defragmentation done and not yet followed by the pause.
    let mut pause_due = false;
    let last = plan.steps.len();
    for (i, step) in plan.steps.iter().enumerate() {
        let m = &step.member;
        if let Action::Skip(why) = &step.action {
            report(Report::Skipped {
                member: m.clone(),
                why: why.clone(),
            });
            continue;
        }
        if std::mem::take(&mut pause_due) && !opts.wait.is_zero() {
            report(Report::Waiting(opts.wait));
            tokio::time::sleep(opts.wait).await;
        }
        if opts
            .stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
        {
            return Err(aborted(
                &format!("stopped by the user before {}", m.label()),
                &done,
            ));
        }
        let health = gate(&mut clients, plan, m, &done).await?;
        let leader = health.first().map_or(0, |(_, h)| h.leader);
        let Some(before) = health.iter().find(|(x, _)| x.id == m.id).map(|(_, h)| h) else {
            return Err(format!("{} left the member list", m.label()));
        };
        match &step.action {
            Action::MoveLeader { to } => {
                let started = Instant::now();
                let moved = leader == m.id;
                if moved {
                    clients.move_leader(m, to.id).await.map_err(|e| {
                        aborted(&format!("moving leadership to {}: {e}", to.label()), &done)
                    })?;
                }
                report(Report::Moved {
                    from: m.clone(),
                    to: to.clone(),
                    took: started.elapsed(),
                    done: moved,
                });
            }
            Action::Defragment => {
                // A member that became leader since the plan gives it up
                // first (unless it is meant to be defragmented as leader).
                let last_step = i + 1 == last;
                if leader == m.id && !opts.leader_last && !(last_step && plan.members.len() == 1) {
                    if let Some(to) = done
                        .iter()
                        .chain(plan.members.iter())
                        .find(|x| x.id != m.id && !x.learner)
                        .cloned()
                    {
                        let started = Instant::now();
                        clients.move_leader(m, to.id).await.map_err(|e| {
                            aborted(&format!("moving leadership to {}: {e}", to.label()), &done)
                        })?;
                        report(Report::Moved {
                            from: m.clone(),
                            to,
                            took: started.elapsed(),
                            done: true,
                        });
                        gate(&mut clients, plan, m, &done).await?;
                    }
                }
                report(Report::Started { member: m.clone() });
                let started = Instant::now();
                clients
                    .defragment(m)
                    .await
                    .map_err(|e| aborted(&format!("defragmenting {}: {e}", m.label()), &done))?;
                let took = started.elapsed();
                let after = settled(&mut clients, m)
                    .await
                    .map(|h| h.db_size)
                    .map_err(|e| {
                        aborted(
                            &format!(
                                "{} is not healthy after its defragmentation: {e}",
                                m.label()
                            ),
                            &done,
                        )
                    })?;
                report(Report::Defragmented {
                    member: m.clone(),
                    before: before.db_size,
                    after,
                    took,
                });
                done.push(m.clone());
                pause_due = true;
            }
            Action::Skip(_) => {}
        }
    }
    Ok(done)
}

/// A member's health just after its defragmentation: asked again every
/// 100 ms for up to 4 s (it may take a moment to serve again; a second's
/// sleep after a failed ask would cost the run up to a second for nothing).
async fn settled(clients: &mut MemberClients<'_>, m: &Member) -> Result<Health, String> {
    let deadline = Instant::now() + Duration::from_secs(4);
    loop {
        match clients.health(m).await {
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            result => return result,
        }
    }
}

/// Every member's health before acting on `next`: all of them, or the
/// abort line naming the first that is not healthy.
async fn gate(
    clients: &mut MemberClients<'_>,
    plan: &Plan,
    next: &Member,
    done: &[Member],
) -> Result<Vec<(Member, Health)>, String> {
    let mut out = Vec::new();
    for m in &plan.members {
        match clients.health(m).await {
            Ok(h) => out.push((m.clone(), h)),
            Err(e) => {
                return Err(aborted(
                    &format!(
                        "member {} ({}) is not healthy: {e}; stopped before {}",
                        m.label(),
                        m.url(),
                        next.label()
                    ),
                    done,
                ))
            }
        }
    }
    Ok(out)
}

/// The line that ends an aborted run: why, and what was defragmented.
fn aborted(why: &str, done: &[Member]) -> String {
    let done = if done.is_empty() {
        "nothing defragmented".to_string()
    } else {
        let names: Vec<String> = done.iter().map(Member::label).collect();
        format!("defragmented before: {}", names.join(", "))
    };
    format!("aborted: {why}; {done}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A MiB.
    const M: i64 = 1 << 20;

    fn member(id: u64) -> Member {
        Member {
            id,
            name: format!("m{id}"),
            urls: vec![format!("http://127.0.0.1:{id}")],
            learner: false,
        }
    }

    fn health(size: i64, in_use: i64, leader: u64) -> Health {
        Health {
            version: "3.5.0".into(),
            db_size: size,
            in_use,
            leader,
            revision: 10,
            nospace: false,
            quota: 0,
        }
    }

    fn order(plan: &Plan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|s| match &s.action {
                Action::Defragment => format!("defrag {}", s.member.id),
                Action::Skip(_) => format!("skip {}", s.member.id),
                Action::MoveLeader { to } => format!("move {}->{}", s.member.id, to.id),
            })
            .collect()
    }

    #[test]
    fn followers_first_then_a_move_then_the_old_leader() {
        let ms = vec![
            (member(1), health(100 * M, 10 * M, 2)),
            (member(2), health(100 * M, 10 * M, 2)),
            (member(3), health(100 * M, 10 * M, 2)),
        ];
        let plan = plan_rolling(7, &ms, &RollingOptions::default());
        assert_eq!(
            order(&plan),
            ["defrag 1", "defrag 3", "move 2->1", "defrag 2"]
        );
        assert_eq!(
            plan.steps[2].etcdctl().unwrap(),
            "etcdctl --endpoints=http://127.0.0.1:2 move-leader 1"
        );
        assert_eq!(
            plan.steps[0].etcdctl().unwrap(),
            "etcdctl --endpoints=http://127.0.0.1:1 defrag"
        );
    }

    #[test]
    fn leader_last_keeps_leadership() {
        let ms = vec![
            (member(1), health(100 * M, 10 * M, 1)),
            (member(2), health(100 * M, 10 * M, 1)),
            (member(3), health(100 * M, 10 * M, 1)),
        ];
        let opts = RollingOptions {
            leader_last: true,
            ..Default::default()
        };
        assert_eq!(
            order(&plan_rolling(7, &ms, &opts)),
            ["defrag 2", "defrag 3", "defrag 1"]
        );
    }

    #[test]
    fn members_below_the_fragmentation_threshold_are_skipped() {
        let ms = vec![
            (member(1), health(100 * M, 95 * M, 3)),
            (member(2), health(100 * M, 10 * M, 3)),
            (member(3), health(100 * M, 95 * M, 3)),
        ];
        // The skipped leader is not moved; the move goes to a defragmented follower.
        assert_eq!(
            order(&plan_rolling(7, &ms, &RollingOptions::default())),
            ["skip 1", "defrag 2", "skip 3"]
        );
        let ms = vec![
            (member(1), health(100 * M, 95 * M, 3)),
            (member(2), health(100 * M, 10 * M, 3)),
            (member(3), health(100 * M, 10 * M, 3)),
        ];
        assert_eq!(
            order(&plan_rolling(7, &ms, &RollingOptions::default())),
            ["skip 1", "defrag 2", "move 3->2", "defrag 3"]
        );
        let mut ms = ms;
        ms[0].1.nospace = true;
        assert_eq!(
            order(&plan_rolling(7, &ms, &RollingOptions::default())),
            ["defrag 1", "defrag 2", "move 3->1", "defrag 3"]
        );
    }

    #[test]
    fn members_that_would_give_back_little_are_skipped() {
        // 50 % fragmented but only 10 MiB to give back: under the 64 MiB default.
        let ms = vec![
            (member(1), health(20 * M, 10 * M, 2)),
            (member(2), health(200 * M, 100 * M, 2)),
            (member(3), health(200 * M, 100 * M, 2)),
        ];
        let plan = plan_rolling(7, &ms, &RollingOptions::default());
        assert_eq!(
            order(&plan),
            ["skip 1", "defrag 3", "move 2->3", "defrag 2"]
        );
        assert_eq!(
            plan.steps[0].action,
            Action::Skip("expected gain below 64.0 MiB".into())
        );
        // The fragmentation rule is named when it is the one that skips.
        let ms2 = vec![(member(1), health(1000 * M, 950 * M, 1))];
        assert_eq!(
            plan_rolling(7, &ms2, &RollingOptions::default()).steps[0].action,
            Action::Skip("fragmentation below 10 %".into())
        );
        // 0 turns the rule off.
        let opts = RollingOptions {
            min_gain: 0,
            ..Default::default()
        };
        assert_eq!(
            order(&plan_rolling(7, &ms, &opts)),
            ["defrag 1", "defrag 3", "move 2->1", "defrag 2"]
        );
        // Never while a NOSPACE alarm stands.
        let mut ms = ms;
        ms[2].1.nospace = true;
        assert_eq!(
            order(&plan_rolling(7, &ms, &RollingOptions::default())),
            ["defrag 1", "defrag 3", "move 2->1", "defrag 2"]
        );
    }

    #[test]
    fn leadership_never_moves_to_a_learner() {
        let mut ms = vec![
            (member(1), health(100 * M, 10 * M, 3)),
            (member(2), health(100 * M, 10 * M, 3)),
            (member(3), health(100 * M, 10 * M, 3)),
        ];
        ms[0].0.learner = true;
        assert_eq!(
            order(&plan_rolling(7, &ms, &RollingOptions::default())),
            ["defrag 1", "defrag 2", "move 3->2", "defrag 3"]
        );
    }

    #[test]
    fn members_are_named_by_name_or_hex_id() {
        let mut ms = vec![member(0x8e9e05c52164694d), member(0x2a), member(0x3b)];
        ms[0].name = "infra1".into();
        ms[1].name = "3b".into();
        assert_eq!(
            resolve_member(&ms, "infra1").unwrap().id,
            0x8e9e05c52164694d
        );
        assert_eq!(
            resolve_member(&ms, "8e9e05c52164694d").unwrap().id,
            0x8e9e05c52164694d
        );
        assert_eq!(resolve_member(&ms, "2a").unwrap().id, 0x2a);
        // A name wins over an id.
        assert_eq!(resolve_member(&ms, "3b").unwrap().id, 0x2a);
        let e = resolve_member(&ms, "infra9").unwrap_err();
        assert_eq!(
            e,
            "no member is named \"infra9\" or has that id; the members: infra1 (8e9e05c52164694d), 3b (2a), m59 (3b)"
        );
        ms[2].name = "infra1".into();
        assert!(resolve_member(&ms, "infra1")
            .unwrap_err()
            .starts_with("2 members are named \"infra1\""));
        assert_eq!(resolve_member(&ms, "3b").unwrap().id, 0x2a);
        // Not started: no name, no client URL.
        ms.push(Member {
            id: 0x77,
            name: String::new(),
            urls: vec![],
            learner: false,
        });
        assert!(resolve_member(&ms, "77")
            .unwrap_err()
            .contains("is not started"));
        ms[1].learner = true;
        assert!(resolve_member(&ms, "2a")
            .unwrap_err()
            .contains("is a learner: it cannot lead"));
        assert!(member_names(&ms).contains("3b (2a, learner)"));
    }

    #[test]
    fn hashes_match_only_when_all_answer_alike() {
        let h = |hash| {
            Ok(HashKv {
                hash,
                compact_revision: 1,
                revision: 5,
            })
        };
        let mut check = HashCheck {
            cluster_id: 1,
            revision: 5,
            members: vec![(member(1), h(9)), (member(2), h(9))],
        };
        assert!(check.matched());
        // Answered at another revision (writes go on): the same data.
        let mut later = h(9).unwrap();
        later.revision = 7;
        check.members.push((member(4), Ok(later)));
        assert!(check.matched());
        assert!(check.lines()[2].ends_with("  match"));
        check.members.pop();
        check.members.push((member(3), h(8)));
        assert!(!check.matched());
        assert!(check.lines()[2].ends_with("MISMATCH"));
        assert!(check.lines()[0].ends_with("match"));
        check.members[2].1 = Err("no answer".into());
        assert!(!check.matched());
        assert!(check.incomplete());
        assert!(check.lines()[0].ends_with("match"));
    }
}
