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
    let text = describe_raw(err);
    tls_cause(&text).unwrap_or(text)
}

/// TLS failures in words a user can act on.
fn tls_cause(text: &str) -> Option<String> {
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
        format!("TLS: the server's certificate does not match the host name ({detail})")
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

fn describe_raw(err: &etcd_client::Error) -> String {
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
