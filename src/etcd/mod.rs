//! All etcd I/O lives here. Everything above this module sees only the
//! app's own types (`types`), never etcd-client's.

pub mod auth;
pub mod bbolt;
pub mod bulk;
pub mod changes;
pub mod cluster;
pub mod connect;
pub mod election;
pub mod error;
pub mod export;
pub mod fleet;
pub mod guard;
pub mod history;
pub mod leases;
pub mod lister;
pub mod lock;
pub mod maintenance;
pub mod members;
pub mod metrics;
pub mod offline;
pub mod permitted;
pub mod resources;
pub mod revision;
pub mod scan;
pub mod seed;
pub mod segments;
pub mod session;
pub mod snapshot;
pub mod ssh;
pub mod stream;
pub mod types;
pub mod usage;
pub mod value;
pub mod watch;
pub mod write;

pub use connect::{connect, ConnSettings, Connection};
pub use error::Error;

use std::sync::Arc;

use tokio::sync::mpsc;

/// Where a long-running task (a watch, a followed election) reports: a
/// channel of the caller's message type and how to wrap each report into
/// it, so this module never needs to know the caller's types.
pub struct Reports<T, M> {
    tx: mpsc::Sender<M>,
    wrap: Arc<dyn Fn(T) -> M + Send + Sync>,
}

impl<T, M> Clone for Reports<T, M> {
    fn clone(&self) -> Self {
        Reports {
            tx: self.tx.clone(),
            wrap: self.wrap.clone(),
        }
    }
}

impl<T, M: Send> Reports<T, M> {
    pub fn new(tx: mpsc::Sender<M>, wrap: impl Fn(T) -> M + Send + Sync + 'static) -> Self {
        Reports {
            tx,
            wrap: Arc::new(wrap),
        }
    }

    /// Sends one report; false when the receiver is gone (stop then).
    pub async fn send(&self, report: T) -> bool {
        self.tx.send((self.wrap)(report)).await.is_ok()
    }
}

/// etcd-client's key-value as the app's record (lease TTL not asked).
pub(crate) fn record(kv: &etcd_client::KeyValue) -> types::ValueRecord {
    types::ValueRecord {
        key: kv.key().to_vec(),
        value: kv.value().to_vec(),
        mod_revision: kv.mod_revision(),
        create_revision: kv.create_revision(),
        version: kv.version(),
        lease: kv.lease(),
        lease_ttl: None,
    }
}

/// The one wording of a single write whose deadline passed.
pub const WRITE_TIMED_OUT: &str = "timed out: it may still have been applied; check with r";

/// One line describing a failed single write (a save, a delete): a
/// timeout says the write may still apply.
pub fn describe_write_error<E>(err: &E) -> String
where
    for<'a> &'a E: Into<Error>,
{
    let err: Error = err.into();
    let err = &err;
    if err.timed_out() {
        WRITE_TIMED_OUT.to_string()
    } else {
        err.to_string()
    }
}

/// What recent etcd patches answer a non-root user's `Status` with (and
/// the one wording of it): 3.5.28–3.5.31 and 3.6.0–3.6.11 reserve it to the
/// root role; 3.5.32, 3.6.12 and 3.7.0 allow any logged-in user again.
pub const STATUS_NEEDS_ROOT: &str =
    "status needs the root role on etcd 3.5.28–3.5.31 and 3.6.0–3.6.11";

/// Whether etcd refused the request for the user's permissions (the
/// server answered: the connection and the login are fine).
pub fn is_permission_denied<E>(err: &E) -> bool
where
    for<'a> &'a E: Into<Error>,
{
    let err: Error = err.into();
    let err = &err;
    err.is_permission_denied()
}

/// Whether the request's deadline passed: a write may still have applied.
pub fn timed_out<E>(err: &E) -> bool
where
    for<'a> &'a E: Into<Error>,
{
    let err: Error = err.into();
    let err = &err;
    err.timed_out()
}

/// Whether the member answered that the cluster has no leader.
pub fn leaderless<E>(err: &E) -> bool
where
    for<'a> &'a E: Into<Error>,
{
    let err: Error = err.into();
    let err = &err;
    err.leaderless()
}

/// Runs `op` again (up to 6 times, backing off from 50 ms) while it fails
/// without having reached a server ([`Error::never_sent`]) — the balanced
/// channel still picks a member that just died until it notices; another
/// pick reaches a live one.
pub async fn retry_unsent<T, E, F, Fut>(mut op: F) -> Result<T, Error>
where
    E: Into<Error>,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut delay = std::time::Duration::from_millis(50);
    let mut attempt = 0;
    loop {
        match op().await.map_err(Into::into) {
            Err(e) if attempt < 5 && e.never_sent() => {
                attempt += 1;
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            result => return result,
        }
    }
}

/// Runs a read `op` again when [`Error::read_again`] says it may: up to 6
/// times while it never left, and twice more after a member did not
/// answer or had no leader (by then the connection's guard has usually
/// taken that member out of the balanced client, so the next try reaches
/// another).
pub async fn retry_read<T, E, F, Fut>(mut op: F) -> Result<T, Error>
where
    E: Into<Error>,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut delay = std::time::Duration::from_millis(50);
    let (mut unsent, mut failed) = (0, 0);
    loop {
        match op().await.map_err(Into::into) {
            Err(e) if unsent < 5 && e.never_sent() => {
                unsent += 1;
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) if failed < 2 && e.read_again() => {
                failed += 1;
                tracing::info!(error = %e, "read failed on one member: asking again");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            result => return result,
        }
    }
}

/// One line describing an etcd error (its `Display`): the innermost
/// cause, not a gRPC dump — worded when etcd-client's error was
/// classified ([`Error::from`]).
pub fn describe_error<E>(err: &E) -> String
where
    for<'a> &'a E: Into<Error>,
{
    let err: Error = err.into();
    let err = &err;
    err.to_string()
}

/// The command timeout of the connection made last (`--command-timeout`,
/// or a context's), for the words of a request it ended.
static COMMAND_TIMEOUT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Notes the command timeout requests are made with (`connect`).
pub(crate) fn note_command_timeout(timeout: std::time::Duration) {
    COMMAND_TIMEOUT_MS.store(
        timeout.as_millis().min(u64::MAX as u128) as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// "no answer within the command timeout (5s)".
pub(crate) fn no_answer_words() -> String {
    match COMMAND_TIMEOUT_MS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => "no answer within the command timeout".into(),
        ms => format!(
            "no answer within the command timeout ({})",
            humantime::format_duration(std::time::Duration::from_millis(ms))
        ),
    }
}

/// TLS failures in words a user can act on.
pub(crate) fn tls_cause(text: &str) -> Option<String> {
    let t = text.to_ascii_lowercase();
    let cause = if t.contains("unknownissuer") || t.contains("unknown issuer") {
        "TLS: the server's certificate is not signed by the CA given (--cacert)".to_string()
    } else if t.contains("not valid for name") || t.contains("notvalidforname") {
        let detail = text
            .split("invalid peer certificate: ")
            .last()
            .unwrap_or(text)
            .replace("DnsName(", "")
            .replace("IpAddress(", "")
            .replace(')', "");
        format!(
            "TLS: the server's certificate does not match the host name ({detail}); --tls-server-name checks it against another name"
        )
    } else if t.contains("expired") && t.contains("certificate") {
        "TLS: the server's certificate has expired".to_string()
    } else if t.contains("notvalidyet") {
        "TLS: the server's certificate is not valid yet (check the clocks)".to_string()
    } else if t.contains("unknown ca")
        || t.contains("bad certificate")
        || t.contains("certificate required")
        || t.contains("unknownca")
        || t.contains("badcertificate")
    {
        "TLS: the server rejected the client certificate (--cert/--key): not signed by a CA it trusts, or missing".to_string()
    } else if t.contains("private key")
        || t.contains("keymismatch")
        || t.contains("key does not match")
    {
        "TLS: the client key (--key) does not match the certificate (--cert)".to_string()
    } else {
        return None;
    };
    Some(cause)
}

/// etcd-client's error as one raw line (read by the classification only).
pub(crate) fn describe_raw(err: &etcd_client::Error) -> String {
    match err {
        etcd_client::Error::GRpcStatus(status) => {
            let msg = status.message();
            let msg = msg.strip_prefix("etcdserver: ").unwrap_or(msg);
            match status.code() {
                tonic::Code::Unavailable
                    if msg.contains("error trying to connect") || msg.is_empty() =>
                {
                    "endpoint unavailable".to_string()
                }
                tonic::Code::DeadlineExceeded => "request timed out".to_string(),
                _ => {
                    // The transport error behind the status names the cause
                    // ("Connection refused", "invalid peer certificate…").
                    let mut cause = None;
                    let mut source = std::error::Error::source(status);
                    while let Some(s) = source {
                        cause = Some(s.to_string());
                        source = s.source();
                    }
                    match cause {
                        Some(c) => format!("{}: {}", innermost(msg), tidy(&c)),
                        None => innermost(msg),
                    }
                }
            }
        }
        other => {
            let mut msg = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                msg = s.to_string();
                source = s.source();
            }
            innermost(&msg)
        }
    }
}

/// "Connection refused (os error 111)" → "connection refused".
fn tidy(cause: &str) -> String {
    let c = cause.split(" (os error").next().unwrap_or(cause);
    let mut chars = c.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn innermost(msg: &str) -> String {
    // tonic nests causes as "a: b: c"; the last part is the useful one.
    let last = msg.rsplit(": ").next().unwrap_or(msg).trim();
    // ...unless it is only a detail ("4194304 bytes"): then all of it.
    let detail_only = !last.chars().next().is_some_and(|c| c.is_alphabetic());
    if last.is_empty() || (detail_only && msg.len() < 300) {
        msg.trim().to_string()
    } else {
        last.to_string()
    }
}
