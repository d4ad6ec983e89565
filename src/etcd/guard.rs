//! Keeps a connection's requests off members that cannot serve them: dead
//! (connection refused), hung (stopped, or its network gone: no answer)
//! or without a leader (cut off from the majority).
//!
//! One client per endpoint, made once and kept (with auth, each login is
//! a bcrypt on the server), asks its member a linearizable one-key count
//! read with require-leader (`hasleader` metadata, as Go's
//! `clientv3.WithRequireLeader`): a member without a leader refuses it at
//! once, a dead one fails to connect, a hung one does not answer within
//! the probe's timeout. Any user may ask it: a permission refusal is an
//! answer, and etcd checks permissions only after the read has waited for
//! the leader. The shared balanced client is then told to drop or take
//! back that endpoint; it never drops the last one.
//!
//! At start-up, every endpoint is asked at once; the balanced client is
//! made from those that answered, so one dead or hung endpoint never
//! stops start-up (etcdctl behaves the same way).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use etcd_client::{Client, GetOptions};
use futures::future::BoxFuture;

/// Makes the client of endpoint `i` alone (requiring a leader), as the
/// connection dials: its TLS, its SSH tunnel.
pub type Dialer =
    Arc<dyn Fn(usize) -> BoxFuture<'static, Result<Client, etcd_client::Error>> + Send + Sync>;

/// How often every endpoint is asked while the connection lives.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long a probe waits for an answer.
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(1500);
/// At start-up, how long the other endpoints still have once one answered.
const STRAGGLERS: Duration = Duration::from_millis(300);

/// What a probe learned of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// It answered (with the cluster's revision, 0 when the read was
    /// refused for the user's permissions).
    Serves { revision: i64 },
    /// It did not serve, and why (one line).
    Fails(String),
}

/// The endpoint as etcd-client keys it in its balanced channel.
pub fn endpoint_uri(endpoint: &str, tls: bool) -> String {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        endpoint.to_string()
    } else if tls {
        format!("https://{endpoint}")
    } else {
        format!("http://{endpoint}")
    }
}

/// Asks one member whether it serves.
pub async fn probe(client: &Client, timeout: Duration) -> Result<i64, etcd_client::Error> {
    let mut c = client.clone();
    let opts = GetOptions::new().with_keys_only().with_count_only();
    match tokio::time::timeout(timeout, c.get("health", Some(opts))).await {
        Ok(Ok(r)) => Ok(r.header().map(|h| h.revision()).unwrap_or(0)),
        Ok(Err(e)) if super::Error::from(&e).is_permission_denied() => Ok(0),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(etcd_client::Error::GRpcStatus(
            tonic::Status::deadline_exceeded("no answer"),
        )),
    }
}

/// The endpoints' own clients and what is known of each.
pub struct Endpoints {
    pub names: Vec<String>,
    uris: Vec<String>,
    dialer: Dialer,
    clients: Vec<Option<Client>>,
    /// Whether each endpoint is in the balanced client now.
    pub serving: Arc<Mutex<Vec<bool>>>,
}

/// The first probe of every endpoint at once: the endpoints and, per
/// endpoint, what it answered. Waits for every endpoint until one serves,
/// then a little longer for the rest (those still silent count as not
/// serving; the guard asks them again).
pub async fn first_look(
    endpoints: &[String],
    uris: &[String],
    dialer: Dialer,
    timeout: Duration,
) -> (Endpoints, Vec<Result<i64, etcd_client::Error>>) {
    use futures::stream::{FuturesUnordered, StreamExt};
    let mut asks: FuturesUnordered<_> = endpoints
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let dialer = dialer.clone();
            async move {
                let answer = tokio::time::timeout(timeout, async {
                    let client = dialer(i).await?;
                    let rev = probe(&client, timeout).await;
                    Ok::<_, etcd_client::Error>((client, rev))
                })
                .await;
                (i, answer)
            }
        })
        .collect();
    let n = endpoints.len();
    let mut clients: Vec<Option<Client>> = vec![None; n];
    let mut results: Vec<Option<Result<i64, etcd_client::Error>>> = (0..n).map(|_| None).collect();
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let next = match deadline {
            Some(d) => match tokio::time::timeout_at(d, asks.next()).await {
                Ok(n) => n,
                Err(_) => break,
            },
            None => asks.next().await,
        };
        let Some((i, answer)) = next else { break };
        let result = match answer {
            Ok(Ok((client, rev))) => {
                clients[i] = Some(client);
                rev
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(etcd_client::Error::GRpcStatus(
                tonic::Status::deadline_exceeded("no answer"),
            )),
        };
        if result.is_ok() && deadline.is_none() {
            deadline = Some(tokio::time::Instant::now() + STRAGGLERS);
        }
        results[i] = Some(result);
    }
    let results: Vec<_> = results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(etcd_client::Error::GRpcStatus(
                    tonic::Status::deadline_exceeded("no answer yet"),
                ))
            })
        })
        .collect();
    let serving = results.iter().map(Result::is_ok).collect();
    let ends = Endpoints {
        names: endpoints.to_vec(),
        uris: uris.to_vec(),
        dialer,
        clients,
        serving: Arc::new(Mutex::new(serving)),
    };
    (ends, results)
}

/// The guard's task: aborted when the connection's last handle goes.
pub struct Guard {
    task: tokio::task::AbortHandle,
    serving: Arc<Mutex<Vec<bool>>>,
    names: Vec<String>,
}

impl Guard {
    /// The endpoints the balanced client uses now.
    pub fn serving(&self) -> Vec<String> {
        let serving = self.serving.lock().map(|s| s.clone()).unwrap_or_default();
        self.names
            .iter()
            .zip(serving)
            .filter(|(_, s)| *s)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts asking every endpoint every [`PROBE_EVERY`], dropping from
/// `balanced` an endpoint that stops serving and taking it back when it
/// serves again. With one endpoint there is nothing to choose: no task.
pub fn start(balanced: Client, mut ends: Endpoints) -> Option<Guard> {
    if ends.names.len() < 2 {
        return None;
    }
    let serving = ends.serving.clone();
    let names = ends.names.clone();
    let task = tokio::spawn(async move {
        loop {
            tokio::time::sleep(PROBE_EVERY).await;
            let now = look(&mut ends).await;
            apply(&balanced, &ends, now).await;
        }
    });
    Some(Guard {
        task: task.abort_handle(),
        serving,
        names,
    })
}

/// Asks every endpoint once (making its client first if it has none).
async fn look(ends: &mut Endpoints) -> Vec<bool> {
    let dialer = ends.dialer.clone();
    let asks = ends.clients.iter_mut().enumerate().map(|(i, slot)| {
        let dialer = dialer.clone();
        async move {
            if slot.is_none() {
                if let Ok(Ok(c)) = tokio::time::timeout(PROBE_TIMEOUT, dialer(i)).await {
                    *slot = Some(c);
                }
            }
            match slot {
                Some(c) => probe(c, PROBE_TIMEOUT).await.is_ok(),
                None => false,
            }
        }
    });
    futures::future::join_all(asks).await
}

/// Tells the balanced client what changed. Never leaves it empty: when no
/// endpoint serves, it keeps those it has (requests then fail and say so).
async fn apply(balanced: &Client, ends: &Endpoints, now: Vec<bool>) {
    if !now.iter().any(|&s| s) {
        return;
    }
    let before = ends.serving.lock().map(|s| s.clone()).unwrap_or_default();
    for (i, (&was, &is)) in before.iter().zip(now.iter()).enumerate() {
        let uri = &ends.uris[i];
        let done = match (was, is) {
            (true, false) => balanced.remove_endpoint(uri).await,
            (false, true) => balanced.add_endpoint(uri).await,
            _ => continue,
        };
        match done {
            Ok(()) => {
                tracing::info!(endpoint = %ends.names[i], serving = is, "endpoint changed");
                if let Ok(mut s) = ends.serving.lock() {
                    s[i] = is;
                }
            }
            Err(e) => {
                tracing::warn!(endpoint = %ends.names[i], error = %e, "cannot change the balanced channel")
            }
        }
    }
}
