//! The fleet: one probe of a cluster — its members and their health, the
//! leader, DB size and quota, alarms, the revision and the latency of a
//! linearizable read — and connections kept per context between probes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use etcd_client::GetOptions;

use super::connect::{connect, ConnSettings, Connection};
use super::describe_error;

/// A probe gives up after this long (a dead context is a row saying so).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What one probe of a cluster saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The versions the members report (one when they agree).
    pub version: String,
    pub healthy: usize,
    pub total: usize,
    /// The leader's name (or hex id), `None` when no member knows one.
    pub leader: Option<String>,
    /// The largest member's DB size, and its quota (0: not reported,
    /// etcd before 3.6).
    pub db_size: i64,
    pub quota: i64,
    /// Active alarms, e.g. `NOSPACE`, once each.
    pub alarms: Vec<String>,
    /// The cluster's revision, read linearizably.
    pub revision: i64,
    /// How long that linearizable read took.
    pub read_latency: Duration,
    /// When the read answered (for revisions per second).
    pub at: Instant,
}

/// Probes the cluster behind `conn`: the members' statuses, then one
/// linearizable one-key read at `key` (one the user may read), timed.
pub async fn probe(conn: &Connection, key: &[u8]) -> Result<Probe, String> {
    let info = super::cluster::members(conn).await?;
    let mut versions: Vec<String> = Vec::new();
    let mut healthy = 0;
    let mut db_size = 0;
    let mut quota = 0;
    for s in info.members.iter().filter_map(|m| m.status.as_ref().ok()) {
        healthy += 1;
        if !versions.contains(&s.version) {
            versions.push(s.version.clone());
        }
        if s.db_size >= db_size {
            db_size = s.db_size;
            quota = s.quota;
        }
    }
    let leader = info.leader().map(|id| {
        info.members
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.label())
            .unwrap_or_else(|| format!("{id:x}"))
    });
    let mut alarms: Vec<String> = info.alarms.iter().map(|(_, a)| a.clone()).collect();
    alarms.sort();
    alarms.dedup();
    let key = if key.is_empty() {
        b"\0".as_slice()
    } else {
        key
    };
    let mut client = conn.client.clone();
    let start = Instant::now();
    let read = client
        .get(key, Some(GetOptions::new().with_keys_only().with_limit(1)))
        .await
        .map_err(|e| describe_error(&e))?;
    let read_latency = start.elapsed();
    Ok(Probe {
        version: versions.join(","),
        healthy,
        total: info.members.len(),
        leader,
        db_size,
        quota,
        alarms,
        revision: read.header().map(|h| h.revision()).unwrap_or(0),
        read_latency,
        at: Instant::now(),
    })
}

/// Connections kept per context between probes (a new one is made only
/// when there is none yet or the last probe failed).
#[derive(Default)]
pub struct Fleet {
    conns: tokio::sync::Mutex<HashMap<String, Connection>>,
}

impl Fleet {
    /// Probes context `name` (its connection settings, or why there are
    /// none), within [`PROBE_TIMEOUT`].
    pub async fn probe(
        &self,
        name: &str,
        settings: Result<ConnSettings, String>,
        key: &[u8],
    ) -> Result<Probe, String> {
        let attempt = async {
            let known = self.conns.lock().await.get(name).cloned();
            let conn = match known {
                Some(c) => c,
                None => connect(&settings?).await?,
            };
            let result = probe(&conn, key).await;
            let mut conns = self.conns.lock().await;
            match &result {
                Ok(_) => conns.insert(name.to_string(), conn),
                Err(_) => conns.remove(name),
            };
            result
        };
        tokio::time::timeout(PROBE_TIMEOUT, attempt)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())))
    }
}
