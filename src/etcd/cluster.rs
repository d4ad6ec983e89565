//! The cluster view's data: members, and each member's own status asked
//! over a connection to that member alone (so a dead one shows as such),
//! with its latency; active alarms; the oldest revision held.

use std::sync::Arc;
use std::time::{Duration, Instant};

use etcd_client::{AlarmAction, AlarmType, Client, ConnectOptions};

use super::connect::{dial, ConnSettings};
use super::describe_error;
use super::ssh::Tunnel;
use super::types::{ClusterInfo, MemberInfo, MemberStatus};

const MEMBER_TIMEOUT: Duration = Duration::from_secs(2);

/// `tunnel`: the connection's, through which members it forwards are
/// reached (others are asked directly).
pub async fn collect(
    client: &mut Client,
    settings: &ConnSettings,
    tunnel: Option<&Arc<Tunnel>>,
) -> Result<ClusterInfo, String> {
    let list = super::retry_unsent(|| {
        let mut c = client.clone();
        async move { c.member_list().await }
    })
    .await
    .map_err(|e| describe_error(&e))?;
    let mut members = Vec::new();
    let asks = list.members().iter().map(|m| {
        let urls = m.client_urls().to_vec();
        let settings = settings.clone();
        async move { member_status(&urls, &settings, tunnel).await }
    });
    let statuses = futures::future::join_all(asks).await;
    for (m, status) in list.members().iter().zip(statuses) {
        members.push(MemberInfo {
            id: m.id(),
            name: m.name().to_string(),
            client_urls: m.client_urls().to_vec(),
            is_learner: m.is_learner(),
            status: if m.client_urls().is_empty() {
                Err("not started (no client URL)".into())
            } else {
                status
            },
        });
    }
    let alarms = match client.alarm(AlarmAction::Get, AlarmType::None, None).await {
        Ok(r) => r
            .alarms()
            .iter()
            .map(|a| (a.member_id(), format!("{:?}", a.alarm()).to_uppercase()))
            .collect(),
        Err(_) => Vec::new(),
    };
    let oldest_revision = super::revision::oldest_revision(client).await;
    Ok(ClusterInfo {
        members,
        alarms,
        oldest_revision,
    })
}

async fn member_status(
    urls: &[String],
    settings: &ConnSettings,
    tunnel: Option<&Arc<Tunnel>>,
) -> Result<MemberStatus, String> {
    let mut opts = ConnectOptions::new()
        .with_connect_timeout(MEMBER_TIMEOUT)
        .with_timeout(MEMBER_TIMEOUT);
    if let Some((user, password)) = &settings.user {
        opts = opts.with_user(user.clone(), password.clone());
    }
    let tls = urls.iter().any(|u| u.starts_with("https://"));
    let attempt = async {
        let mut c = dial(urls, settings, tls, opts, tunnel)
            .await
            .map_err(|e| e.explain(false))?;
        let start = Instant::now();
        let s = c.status().await.map_err(|e| describe_error(&e))?;
        Ok(MemberStatus {
            version: s.version().to_string(),
            db_size: s.db_size(),
            db_size_in_use: s.raft_used_db_size(),
            leader: s.leader(),
            raft_term: s.raft_term(),
            raft_index: s.raft_index(),
            latency_ms: start.elapsed().as_millis() as u64,
        })
    };
    tokio::time::timeout(MEMBER_TIMEOUT * 2, attempt)
        .await
        .unwrap_or_else(|_| Err("no answer".into()))
}
