//! Building a client from the connection settings and checking that the
//! cluster answers before the terminal is touched.

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
        .with_keep_alive_while_idle(true);
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
    let attempt = async {
        let mut client = Client::connect(&endpoints, Some(opts))
            .await
            .map_err(|e| explain(&e, wants_client_cert))?;
        // `Status` answers any user on most releases; recent 3.5 and 3.6
        // patches keep it for the root role. A refusal still proves the
        // cluster answered and the login worked.
        let revision = match client.status().await {
            Ok(status) => status.header().map(|h| h.revision()).unwrap_or(0),
            Err(e) if super::is_permission_denied(&e) => {
                tracing::info!("status refused for this user: {}", super::STATUS_NEEDS_ROOT);
                0
            }
            Err(e) => return Err(explain(&e, wants_client_cert)),
        };
        Ok::<_, String>((client, revision))
    };
    tracing::info!(endpoints = ?settings.endpoints, user = ?settings.user.as_ref().map(|(u, _)| u), tls = wants_tls, "connecting");
    let (client, revision) = tokio::time::timeout(settings.dial_timeout, attempt)
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
