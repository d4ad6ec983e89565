//! `etcd::Error`: what an etcd request's failure means to the app, decided
//! once, where etcd-client's error is turned into it ([`Error::from`]).
//!
//! That conversion is the one place allowed to look at the error's
//! content — the gRPC code, etcd's message, the transport error's source
//! chain. Everything that decides on a failure (whether a request may be
//! sent again, whether a write may have applied, which words to show)
//! matches on the variant instead. Each variant carries the one line the
//! user sees (its `Display`), worded as before the type existed.

use super::{describe_raw, no_answer_words, tls_cause};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request surely never reached a server (the connection to the
    /// endpoint the balancer picked could not even be made): safe to send
    /// again, even a write.
    #[error("{0}")]
    Unsent(String),
    /// A TLS failure (the handshake, a certificate), in words a user can
    /// act on. A transport failure: a read may be asked again.
    #[error("{0}")]
    Tls(String),
    /// The login was refused or the token is not valid (gRPC
    /// `Unauthenticated`, or etcd's "authentication failed"): refused
    /// before anything applied.
    #[error("{0}")]
    Auth(String),
    /// etcd refused the request for the user's permissions (the connection
    /// and the login are fine): nothing applied.
    #[error("{0}")]
    PermissionDenied(String),
    /// The revision asked for was compacted away.
    #[error("{0}")]
    Compacted(String),
    /// The revision asked for is past the member's (a member behind, or a
    /// revision not made yet).
    #[error("{0}")]
    FutureRevision(String),
    /// A request or answer over a size limit (any other `OutOfRange`, or
    /// tonic's "message length too large").
    #[error("{0}")]
    TooLarge(String),
    /// The request's deadline passed (ours, the server's, or etcd's own
    /// proposal timeout): a write may still have applied.
    #[error("{0}")]
    Timeout(String),
    /// The member answered that the cluster has no leader (an election is
    /// running, or the member is cut off from the majority), or that the
    /// leader changed under the request.
    #[error("{0}")]
    NoLeader(String),
    /// The member was unavailable, the request was cancelled, or the
    /// connection failed after the request may have left: a read may be
    /// asked again; a write may have applied.
    #[error("{0}")]
    Unavailable(String),
    /// A learner refused a request it does not serve (a transaction, a
    /// linearizable read), with gRPC `Unavailable`: nothing applied; asked
    /// again, the request may reach a voting member (several endpoints),
    /// or the same learner again.
    #[error("{0}")]
    Learner(String),
    /// The server refused the request before proposing it (invalid,
    /// too large for it, a failed precondition, not implemented): nothing
    /// applied.
    #[error("{0}")]
    Refused(String),
    /// Anything else, and this module's own one-line failures.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Whether the request surely never reached a server: safe to send
    /// again, even a write.
    pub fn never_sent(&self) -> bool {
        matches!(self, Error::Unsent(_))
    }

    /// Whether a write that failed surely did not apply: it never left,
    /// or the server refused it before proposing it (too large, invalid,
    /// not permitted). Anything else — a timeout, a connection lost after
    /// the request went out — may have applied.
    pub fn surely_not_applied(&self) -> bool {
        matches!(
            self,
            Error::Unsent(_)
                | Error::Auth(_)
                | Error::PermissionDenied(_)
                | Error::Compacted(_)
                | Error::FutureRevision(_)
                | Error::TooLarge(_)
                | Error::Refused(_)
                | Error::Learner(_)
        )
    }

    /// Whether a read may be sent again to another member: it never left,
    /// or the member it reached did not answer in time, was unavailable,
    /// had no leader, or the transport failed. Reads only: a write that
    /// timed out may still apply.
    pub fn read_again(&self) -> bool {
        matches!(
            self,
            Error::Unsent(_)
                | Error::Tls(_)
                | Error::Timeout(_)
                | Error::NoLeader(_)
                | Error::Unavailable(_)
                | Error::Learner(_)
        )
    }

    /// Whether a learner refused the request (see [`Error::Learner`]).
    pub fn learner_refused(&self) -> bool {
        matches!(self, Error::Learner(_))
    }

    /// Whether the request's deadline passed: a write may still have
    /// applied.
    pub fn timed_out(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// Whether etcd refused the request for the user's permissions.
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, Error::PermissionDenied(_))
    }

    /// Whether the member had no leader (or the leader changed).
    pub fn leaderless(&self) -> bool {
        matches!(self, Error::NoLeader(_))
    }

    /// Whether the revision asked for was compacted.
    pub fn is_compacted(&self) -> bool {
        matches!(self, Error::Compacted(_))
    }

    /// Whether the revision asked for is past the member's.
    pub fn is_future_revision(&self) -> bool {
        matches!(self, Error::FutureRevision(_))
    }

    /// Whether a read may succeed asking for fewer keys at once: any
    /// `OutOfRange` answer (a compacted or future revision as well, as the
    /// reader always took it) or an answer over the size limit.
    pub fn too_large(&self) -> bool {
        matches!(
            self,
            Error::TooLarge(_) | Error::Compacted(_) | Error::FutureRevision(_)
        )
    }

    /// The line the user sees.
    pub fn message(&self) -> &str {
        match self {
            Error::Unsent(m)
            | Error::Tls(m)
            | Error::Auth(m)
            | Error::PermissionDenied(m)
            | Error::Compacted(m)
            | Error::FutureRevision(m)
            | Error::TooLarge(m)
            | Error::Timeout(m)
            | Error::NoLeader(m)
            | Error::Unavailable(m)
            | Error::Refused(m)
            | Error::Learner(m)
            | Error::Other(m) => m,
        }
    }
}

/// Lets the describing functions take either error by reference.
impl From<&Error> for Error {
    fn from(err: &Error) -> Error {
        err.clone()
    }
}

impl From<etcd_client::Error> for Error {
    fn from(err: etcd_client::Error) -> Error {
        Error::from(&err)
    }
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Error {
        Error::from(etcd_client::Error::GRpcStatus(status))
    }
}

/// The classification: the one place that reads an etcd-client error's
/// content. The order matters: an error that never left is `Unsent`
/// whatever else it says; a timeout is one even if its code says
/// unavailable.
impl From<&etcd_client::Error> for Error {
    fn from(err: &etcd_client::Error) -> Error {
        let text = describe_raw(err);
        let message = describe(&text);
        let never_sent = [
            "tcp connect error",
            "connection refused",
            "error trying to connect",
            "endpoint unavailable",
        ]
        .iter()
        .any(|s| text.contains(s));
        if never_sent {
            return Error::Unsent(message);
        }
        match err {
            etcd_client::Error::GRpcStatus(s) => {
                use tonic::Code;
                let msg = s.message();
                let timed_out = s.code() == Code::DeadlineExceeded
                    || (s.code() == Code::Cancelled && msg.contains("Timeout expired"))
                    || msg.contains("request timed out");
                if timed_out {
                    Error::Timeout(message)
                } else if msg.contains("no leader") || msg.contains("leader changed") {
                    Error::NoLeader(message)
                } else if s.code() == Code::PermissionDenied {
                    Error::PermissionDenied(message)
                } else if s.code() == Code::Unauthenticated
                    || (s.code() == Code::InvalidArgument && msg.contains("authentication failed"))
                {
                    Error::Auth(message)
                } else if msg.contains("required revision has been compacted") {
                    Error::Compacted(message)
                } else if msg.contains("future revision") {
                    Error::FutureRevision(message)
                } else if msg.contains("not supported for learner") {
                    Error::Learner(message)
                } else if s.code() == Code::OutOfRange || msg.contains("message length too large") {
                    Error::TooLarge(message)
                } else if matches!(
                    s.code(),
                    Code::InvalidArgument
                        | Code::ResourceExhausted
                        | Code::FailedPrecondition
                        | Code::Unimplemented
                ) {
                    Error::Refused(message)
                } else if tls_cause(&text).is_some() {
                    Error::Tls(message)
                } else if matches!(s.code(), Code::Unavailable | Code::Cancelled) {
                    Error::Unavailable(message)
                } else {
                    Error::Other(message)
                }
            }
            _ if tls_cause(&text).is_some() => Error::Tls(message),
            etcd_client::Error::TransportError(_) => Error::Unavailable(message),
            _ => Error::Other(message),
        }
    }
}

/// The line the user sees for an error whose raw text is `text`: the
/// client's own per-request timeout in words, a TLS failure in words a
/// user can act on, else the innermost cause.
fn describe(text: &str) -> String {
    if text.to_ascii_lowercase().contains("timeout expired") {
        // The client's own per-request timeout (tower's "timeout expired").
        return no_answer_words();
    }
    tls_cause(text).unwrap_or_else(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: tonic::Code, msg: &str) -> Error {
        Error::from(tonic::Status::new(code, msg))
    }

    #[test]
    fn a_learners_refusal_is_told_apart() {
        let e = status(
            tonic::Code::Unavailable,
            "etcdserver: rpc not supported for learner",
        );
        assert!(e.learner_refused(), "{e:?}");
        assert!(e.surely_not_applied());
        assert!(e.read_again(), "another endpoint may serve it");
        let e = status(tonic::Code::Unavailable, "transport is closing");
        assert!(!e.learner_refused() && !e.surely_not_applied(), "{e:?}");
    }
}
