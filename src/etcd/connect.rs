//! Building a client from the connection settings and checking that the
//! cluster answers before the terminal is touched.

use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};

#[derive(Clone, Default)]
pub struct ConnSettings {
    pub endpoints: Vec<String>,
    pub user: Option<(String, String)>,
    pub cacert: Option<std::path::PathBuf>,
    pub cert: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub dial_timeout: Duration,
    pub command_timeout: Duration,
}

/// Never shows the password (logs, panics).
impl std::fmt::Debug for ConnSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnSettings")
            .field("endpoints", &self.endpoints)
            .field("user", &self.user.as_ref().map(|(u, _)| u))
            .field("cacert", &self.cacert)
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("dial_timeout", &self.dial_timeout)
            .field("command_timeout", &self.command_timeout)
            .finish()
    }
}

/// A connected client plus what the status bar shows about it.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    pub endpoints: Vec<String>,
    pub command_timeout: Duration,
    /// Cluster revision seen by the connection check.
    pub revision: i64,
    /// How it was made (to reach single members the same way).
    pub settings: ConnSettings,
    /// Keeps `client` off members that cannot serve (several endpoints
    /// only); stops with the last handle on the connection.
    pub guard: Option<Arc<super::guard::Guard>>,
    /// The cluster view's clients of single members, kept.
    pub members: super::cluster::MemberClients,
}

/// Largest response accepted (tonic's default of 4 MiB is too small for a
/// big value or a page of long keys).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// Connects and checks that the cluster answers within the dial timeout.
/// The error is one line naming the cause.
pub async fn connect(settings: &ConnSettings) -> Result<Connection, String> {
    let mut opts = ConnectOptions::new()
        .with_connect_timeout(settings.dial_timeout)
        .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5))
        .with_keep_alive_while_idle(true)
        // A member cut off from the majority refuses requests and cancels
        // watches at once instead of serving stale data (Go's
        // clientv3.WithRequireLeader): the request goes to another.
        .with_require_leader(true);
    // Zero: no per-request timeout (a campaign waits as long as it takes).
    if !settings.command_timeout.is_zero() {
        opts = opts.with_timeout(settings.command_timeout);
    }
    if let Some((user, password)) = &settings.user {
        // Tokens expire on long sessions: renew them transparently.
        opts = opts
            .with_user(user.clone(), password.clone())
            .with_auto_token_refresh(true);
    }
    let wants_tls = settings.cacert.is_some()
        || settings.cert.is_some()
        || settings.endpoints.iter().any(|e| e.starts_with("https://"));
    if settings.insecure_skip_tls_verify {
        return Err("--insecure-skip-tls-verify is not supported yet".into());
    }
    if wants_tls {
        opts = opts.with_tls(tls_options(settings)?);
    }
    let endpoints: Vec<String> = settings.endpoints.clone();
    let wants_client_cert = settings.cert.is_some();
    let label = endpoints.join(",");
    // Every endpoint is asked at once (its own client, kept for the
    // guard); the shared client is made from those that answered.
    let attempt = async {
        // While an election runs (a member just died), members answer
        // "no leader": ask again until the dial timeout.
        let deadline = tokio::time::Instant::now() + settings.dial_timeout;
        let (ends, answers) = loop {
            let (ends, answers) =
                super::guard::first_look(&endpoints, &opts, wants_tls, settings.dial_timeout).await;
            let electing = answers.iter().all(|a| a.is_err())
                && answers
                    .iter()
                    .filter_map(|a| a.as_ref().err())
                    .any(super::leaderless);
            if !electing || tokio::time::Instant::now() + Duration::from_millis(200) > deadline {
                break (ends, answers);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let Some(revision) = answers.iter().find_map(|a| a.as_ref().ok().copied()) else {
            // None answered: the first endpoint's reason (in the order
            // given), preferring one that reached a server (a refused
            // login or certificate says more than a refused connection).
            let reached = answers
                .iter()
                .filter_map(|a| a.as_ref().err())
                .find(|e| !super::never_sent(e));
            let first = answers.iter().find_map(|a| a.as_ref().err());
            let e = reached.or(first).expect("at least one endpoint");
            return Err(explain(e, wants_client_cert));
        };
        let serving: Vec<&String> = endpoints
            .iter()
            .zip(&answers)
            .filter(|(_, a)| a.is_ok())
            .map(|(e, _)| e)
            .collect();
        for (e, a) in endpoints.iter().zip(&answers) {
            if let Err(err) = a {
                tracing::warn!(endpoint = %e, error = %super::describe_error(err), "endpoint left out at start-up");
            }
        }
        let client = Client::connect(&serving, Some(opts.clone()))
            .await
            .map_err(|e| explain(&e, wants_client_cert))?;
        let guard = super::guard::start(client.clone(), ends).map(Arc::new);
        Ok::<_, String>((client, revision, guard))
    };
    tracing::info!(endpoints = ?settings.endpoints, user = ?settings.user.as_ref().map(|(u, _)| u), tls = wants_tls, "connecting");
    let (client, revision, guard) =
        tokio::time::timeout(settings.dial_timeout + Duration::from_secs(1), attempt)
            .await
            .map_err(|_| {
                format!(
                    "cannot connect to {label}: no answer within {}",
                    humantime::format_duration(settings.dial_timeout)
                )
            })?
            .map_err(|e| format!("cannot connect to {label}: {e}"))?;
    Ok(Connection {
        client,
        endpoints,
        command_timeout: settings.command_timeout,
        revision,
        settings: settings.clone(),
        guard,
        members: Default::default(),
    })
}

/// One line for a failed connection check.
fn explain(e: &etcd_client::Error, client_cert: bool) -> String {
    tracing::debug!(error = ?e, "connection check failed");
    let text = super::describe_error(e);
    // With TLS 1.3 the server checks the client certificate (and that the
    // key signs for it) after the handshake: a rejection only shows as a
    // closed connection.
    let closed = [
        "connection closed",
        "operation was canceled",
        "broken pipe",
        "transport error",
    ]
    .iter()
    .any(|s| text.contains(s));
    if client_cert && closed {
        "TLS: the server closed the connection: it rejected the client certificate or key \
         (--cert/--key: not signed by a CA it trusts, or the key does not belong to the certificate)"
            .to_string()
    } else {
        text
    }
}

pub fn tls_options(settings: &ConnSettings) -> Result<TlsOptions, String> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let mut tls = TlsOptions::new();
    if let Some(ca) = &settings.cacert {
        tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
    }
    match (&settings.cert, &settings.key) {
        (Some(cert), Some(key)) => {
            tls = tls.identity(Identity::from_pem(read(cert)?, read(key)?));
        }
        (None, None) => {}
        _ => return Err("--cert and --key must be given together".into()),
    }
    Ok(tls)
}
