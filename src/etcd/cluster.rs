//! The cluster view's data: members, and each member's own status asked
//! over a connection to that member alone (so a dead one shows as such),
//! with its latency; active alarms; the oldest revision held.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd_client::{AlarmAction, AlarmType, Client, ConnectOptions};

use super::connect::{dial, ConnSettings, Connection};
use super::describe_error;
use super::ssh::Tunnel;
use super::types::{ClusterInfo, MemberInfo, MemberStatus};

const MEMBER_TIMEOUT: Duration = Duration::from_secs(2);

/// Clients of single members, by their client URLs, kept while the
/// connection lives: asking every few seconds does not log in again (with
/// auth, each login is a bcrypt on the server).
pub type MemberClients = std::sync::Arc<tokio::sync::Mutex<HashMap<String, Client>>>;

/// The cluster as `conn` sees it: its members (each asked over the
/// connection's own kept client of that member, through its tunnel), the
/// alarms, and the compaction point probed at `prefix` (one the user may
/// read).
pub async fn collect(conn: &Connection, prefix: &[u8]) -> Result<ClusterInfo, String> {
    let mut info = members(conn).await?;
    let client = &mut conn.client.clone();
    info.oldest_revision = super::revision::oldest_revision(client, prefix).await;
    if matches!(&info.oldest_revision, Err(e) if e.contains("permission denied")) {
        // A user who may read only part of the prefix: probed in a part
        // its roles allow (the compaction point is the cluster's).
        let want = super::permitted::KeyRange::prefix(prefix);
        if let Ok(Some(parts)) = super::permitted::parts(conn, &want).await {
            if let Some(p) = parts.readable.iter().find_map(|r| r.as_prefix()) {
                info.oldest_revision = super::revision::oldest_revision(client, p).await;
            }
        }
    }
    Ok(info)
}

/// The members, each with its own status, and the alarms (the oldest
/// revision is left unknown: [`collect`] asks it).
pub async fn members(conn: &Connection) -> Result<ClusterInfo, String> {
    let client = &mut conn.client.clone();
    let (settings, kept, tunnel) = (&conn.settings, &conn.members, conn.tunnel.as_ref());
    let list = super::retry_read(|| {
        let mut c = client.clone();
        async move { c.member_list().await }
    })
    .await
    .map_err(|e| describe_error(&e))?;
    let mut members = Vec::new();
    let asks = list.members().iter().map(|m| {
        let urls = m.client_urls().to_vec();
        let settings = settings.clone();
        async move { member_status(&urls, &settings, kept, tunnel).await }
    });
    let statuses = futures::future::join_all(asks).await;
    for (m, status) in list.members().iter().zip(statuses) {
        let (status, hidden) = match status {
            Ok(s) => (Ok(s), None),
            Err(Denied) => (
                Err(super::STATUS_NEEDS_ROOT.to_string()),
                Some(super::STATUS_NEEDS_ROOT.to_string()),
            ),
            Err(Failed(e)) => (Err(e), None),
        };
        members.push(MemberInfo {
            hidden,
            id: m.id(),
            name: m.name().to_string(),
            client_urls: m.client_urls().to_vec(),
            peer_urls: m.peer_urls().to_vec(),
            is_learner: m.is_learner(),
            status: if m.client_urls().is_empty() {
                Err("not started (no client URL)".into())
            } else {
                status
            },
        });
    }
    let (alarms, alarms_unknown) = match client.alarm(AlarmAction::Get, AlarmType::None, None).await
    {
        Ok(r) => (
            r.alarms()
                .iter()
                .map(|a| (a.member_id(), format!("{:?}", a.alarm()).to_uppercase()))
                .collect(),
            None,
        ),
        Err(e) if super::is_permission_denied(&e) => (
            Vec::new(),
            Some("reading alarms needs the root role".into()),
        ),
        Err(e) => (Vec::new(), Some(describe_error(&e))),
    };
    Ok(ClusterInfo {
        members,
        alarms,
        alarms_unknown,
        oldest_revision: Err("not asked".into()),
        user: settings.user.as_ref().map(|(u, _)| u.clone()),
    })
}

/// What a logged-in user without the root role may use of the cluster
/// and maintenance views on etcd `version` (`None`: unknown because its
/// status was refused, which only the releases reserving `Status` to
/// root do): (what any user may, what needs the root role). Checked
/// against each release of the test matrix (`tests/auth.rs`).
pub fn access_without_root(version: Option<&str>) -> (Vec<&'static str>, Vec<&'static str>) {
    // major.minor.patch (a suffix such as `-alpha.0` ignored).
    let v: Option<(u32, u32, u32)> = version.and_then(|v| {
        let mut n = v.split(['.', '-']).map(|p| p.parse::<u32>().ok());
        Some((n.next()??, n.next()??, n.next()??))
    });
    let status_needs_root = match v {
        None => true,
        Some((3, 5, p)) => (28..=31).contains(&p),
        Some((3, 6, p)) => p <= 11,
        Some(_) => false,
    };
    // etcd 3.4 lets any user compact, move the leader and disarm alarms;
    // 3.5 and later want the root role.
    let since_3_5 = v.is_none_or(|(major, minor, _)| (major, minor) >= (3, 5));
    let mut any = vec!["members", "alarms"];
    let mut root = Vec::new();
    for (what, needs_root) in [
        ("status (version, leader, sizes)", status_needs_root),
        ("compaction", since_3_5),
        ("move leader", since_3_5),
        ("alarm disarm", since_3_5),
    ] {
        if needs_root {
            root.push(what);
        } else {
            any.push(what);
        }
    }
    root.extend([
        "hash check",
        "defragmentation",
        "snapshot",
        "member changes",
        "users and roles",
    ]);
    (any, root)
}

/// Why a member's status is missing.
enum Missing {
    /// The member answered and refused it for this user's role.
    Denied,
    /// No answer, or another error.
    Failed(String),
}
use Missing::{Denied, Failed};

async fn member_status(
    urls: &[String],
    settings: &ConnSettings,
    kept: &MemberClients,
    tunnel: Option<&Arc<Tunnel>>,
) -> Result<MemberStatus, Missing> {
    let id = urls.join(",");
    let known = kept.lock().await.get(&id).cloned();
    let attempt = async {
        let mut c = match known {
            Some(c) => c,
            None => {
                let c = member_client(urls, settings, tunnel, MEMBER_TIMEOUT)
                    .await
                    .map_err(Failed)?;
                kept.lock().await.insert(id.clone(), c.clone());
                c
            }
        };
        let start = Instant::now();
        let s = c.status().await.map_err(|e| {
            if super::is_permission_denied(&e) {
                Denied
            } else {
                Failed(describe_error(&e))
            }
        })?;
        // A member cut off from the majority still answers, but serves
        // nothing: it says so in its errors, or knows no leader. A NOSPACE
        // alarm is not such an error (etcd 3.4 lists it in every member's
        // status): the alarms are shown on their own.
        let (_, errors) = alarm_errors(s.errors());
        if !errors.is_empty() {
            return Err(Failed(errors.join("; ")));
        }
        if s.leader() == 0 {
            return Err(Failed("no leader".into()));
        }
        Ok(MemberStatus {
            version: s.version().to_string(),
            db_size: s.db_size(),
            db_size_in_use: s.raft_used_db_size(),
            quota: s.db_size_quota(),
            leader: s.leader(),
            raft_term: s.raft_term(),
            raft_index: s.raft_index(),
            latency_ms: start.elapsed().as_millis() as u64,
        })
    };
    tokio::time::timeout(MEMBER_TIMEOUT * 2, attempt)
        .await
        .unwrap_or_else(|_| Err(Failed("no answer".into())))
}

/// The cluster's id, for an audit record (0 when the member list cannot
/// be read).
pub async fn cluster_id(conn: &Connection) -> u64 {
    let mut c = conn.client.clone();
    c.member_list()
        .await
        .ok()
        .and_then(|r| r.header().map(|h| h.cluster_id()))
        .unwrap_or(0)
}

/// A member's status errors split: whether one is a NOSPACE alarm, and
/// the others (which mean it does not serve).
pub(crate) fn alarm_errors(errors: &[String]) -> (bool, Vec<&str>) {
    let (nospace, others): (Vec<&String>, Vec<&String>) =
        errors.iter().partition(|e| e.contains("NOSPACE"));
    (
        !nospace.is_empty(),
        others.into_iter().map(String::as_str).collect(),
    )
}

/// A new client of one member alone (its client URLs), logged in as `conn`
/// is, through its SSH tunnel; each request may take `timeout` (a
/// defragmentation takes long). Maintenance asks members through these.
pub(crate) async fn dial_member(
    conn: &Connection,
    urls: &[String],
    timeout: Duration,
) -> Result<Client, String> {
    member_client(urls, &conn.settings, conn.tunnel.as_ref(), timeout).await
}

/// A client of one member (its client URLs), logged in as the connection,
/// through the connection's SSH tunnel for the members it forwards.
async fn member_client(
    urls: &[String],
    settings: &ConnSettings,
    tunnel: Option<&Arc<Tunnel>>,
    timeout: Duration,
) -> Result<Client, String> {
    let mut opts = ConnectOptions::new()
        .with_connect_timeout(MEMBER_TIMEOUT)
        .with_timeout(timeout);
    if let Some((user, password)) = &settings.user {
        opts = opts
            .with_user(user.clone(), password.clone())
            .with_auto_token_refresh(true);
    }
    let tls = urls.iter().any(|u| u.starts_with("https://"));
    dial(urls, settings, tls, opts, tunnel)
        .await
        .map_err(|e| e.explain(false))
}
