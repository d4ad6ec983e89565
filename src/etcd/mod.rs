//! All etcd I/O lives here. Everything above this module sees only the
//! app's own types (`types`), never etcd-client's.

pub mod cluster;
pub mod connect;
pub mod election;
pub mod lister;
pub mod types;
pub mod value;
pub mod watch;
pub mod worker;
pub mod write;

pub use connect::{connect, ConnSettings, Connection};

/// One line describing an etcd-client error: the innermost cause, not a gRPC
/// dump.
pub fn describe_error(err: &etcd_client::Error) -> String {
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
    if last.is_empty() {
        msg.trim().to_string()
    } else {
        last.to_string()
    }
}
