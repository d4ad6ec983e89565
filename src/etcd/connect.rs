//! Building a client from the connection settings and checking that the
//! cluster answers before the terminal is touched.
//!
//! Every client is made by `dial`: etcd-client's balanced channel, with each
//! endpoint's TLS set here (`Routes`): checked against `--tls-server-name`
//! (or, through an SSH tunnel, the endpoint's real host rather than the
//! local forward's), or not checked at all (`--insecure-skip-tls-verify`:
//! any certificate, the handshake's signatures still verified).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::sync::mpsc::Sender;
use tonic::transport::channel::Change;
use tonic::transport::{Endpoint, Uri};

use super::ssh::Tunnel;

#[derive(Clone, Default)]
pub struct ConnSettings {
    pub endpoints: Vec<String>,
    pub user: Option<(String, String)>,
    pub cacert: Option<std::path::PathBuf>,
    pub cert: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
    /// Accept any server certificate (the status bar says so).
    pub insecure_skip_tls_verify: bool,
    /// The name the servers' certificates are checked against (default:
    /// each endpoint's host).
    pub tls_server_name: Option<String>,
    /// Reach the endpoints through this SSH jump host (`user@host`).
    pub ssh: Option<String>,
    /// The ssh config file (`ssh -F`); default: the user's own.
    pub ssh_config: Option<std::path::PathBuf>,
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
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("tls_server_name", &self.tls_server_name)
            .field("ssh", &self.ssh)
            .field("ssh_config", &self.ssh_config)
            .field("dial_timeout", &self.dial_timeout)
            .field("command_timeout", &self.command_timeout)
            .finish()
    }
}

impl ConnSettings {
    /// Whether the endpoints are spoken to over TLS: an `https://` one, or
    /// any TLS setting given (bare `host:port` endpoints then use TLS).
    pub fn wants_tls(&self) -> bool {
        self.cacert.is_some()
            || self.cert.is_some()
            || self.insecure_skip_tls_verify
            || self.tls_server_name.is_some()
            || self.endpoints.iter().any(|e| e.starts_with("https://"))
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
    /// The SSH tunnel the endpoints are reached through (the client holds
    /// it too: its `ssh` runs as long as a clone of either does).
    pub tunnel: Option<Arc<Tunnel>>,
    /// Keeps `client` off members that cannot serve (several endpoints
    /// only); stops with the last handle on the connection.
    pub guard: Option<Arc<super::guard::Guard>>,
    /// The cluster view's clients of single members, kept.
    pub members: super::cluster::MemberClients,
}

impl Connection {
    /// A key-value client of the connection for one request or scan
    /// (cheap: it shares the connection's channel), accepting answers up
    /// to [`MAX_RESPONSE_BYTES`].
    pub fn kv(&self) -> etcd_client::KvClient {
        self.client
            .kv_client()
            .max_decoding_message_size(MAX_RESPONSE_BYTES)
    }

    /// Where it is connected, as the status bar says it: the endpoints,
    /// and the jump host they are reached through.
    pub fn label(&self) -> String {
        let endpoints = self.endpoints.join(",");
        match &self.tunnel {
            Some(t) => format!("{endpoints} via ssh {}", t.destination()),
            None => endpoints,
        }
    }
}

/// Whether the member at `endpoint` answers a read on its own (within
/// about a second and a half): the demo cluster waits for its members so.
pub async fn member_answers(endpoint: &str) -> bool {
    let opts = ConnectOptions::new()
        .with_connect_timeout(Duration::from_millis(500))
        .with_timeout(Duration::from_millis(1000));
    let Ok(mut client) = Client::connect([endpoint], Some(opts)).await else {
        return false;
    };
    // A member answers reads only once the cluster has a leader.
    client.get("health-probe", None).await.is_ok()
}

/// Largest response accepted (tonic's default of 4 MiB is too small for a
/// big value or a page of long keys).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// Connects and checks that the cluster answers within the dial timeout
/// (through the SSH tunnel when the settings name one: its ports are
/// waited for within a dial timeout of their own). The error is one line
/// naming the cause.
pub async fn connect(settings: &ConnSettings) -> Result<Connection, String> {
    if settings.endpoints.iter().all(|e| e.trim().is_empty()) {
        return Err(
            "no endpoint to connect to: give --endpoints a,b,c (or ETCDCTL_ENDPOINTS)".into(),
        );
    }
    let label = settings.endpoints.join(",");
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
        super::note_command_timeout(settings.command_timeout);
    }
    if let Some((user, password)) = &settings.user {
        // Tokens expire on long sessions: renew them transparently.
        opts = opts
            .with_user(user.clone(), password.clone())
            .with_auto_token_refresh(true);
    }
    tracing::info!(endpoints = ?settings.endpoints, user = ?settings.user.as_ref().map(|(u, _)| u), tls = settings.wants_tls(), ssh = ?settings.ssh, "connecting");
    let tunnel = match &settings.ssh {
        Some(destination) => Some(Arc::new(
            Tunnel::open(
                destination,
                settings.ssh_config.as_deref(),
                &settings.endpoints,
                settings.dial_timeout,
            )
            .await
            .map_err(|e| format!("cannot connect to {label}: {e}"))?,
        )),
        None => None,
    };
    let endpoints: Vec<String> = settings.endpoints.clone();
    let wants_client_cert = settings.cert.is_some();
    let tls = settings.wants_tls();
    let attempt = async {
        // The settings (files, names) are checked once, before any dial.
        let routes = Routes::new(&endpoints, settings, tls, tunnel.as_ref())?;
        let uris: Vec<String> = routes
            .urls
            .iter()
            .map(|u| super::guard::endpoint_uri(u, tls))
            .collect();
        // Every endpoint is asked at once through a client of its own
        // (kept for the guard); the shared client is made from those that
        // answered. While an election runs (a member just died), members
        // answer "no leader": ask again until the dial timeout.
        let dialer: super::guard::Dialer = {
            let (settings, tunnel, endpoints) =
                (settings.clone(), tunnel.clone(), endpoints.clone());
            let opts = opts.clone().with_require_leader(true);
            Arc::new(move |i: usize| {
                let (settings, tunnel, opts) = (settings.clone(), tunnel.clone(), opts.clone());
                let endpoint = endpoints[i].clone();
                Box::pin(async move {
                    dial(&[endpoint], &settings, tls, opts, tunnel.as_ref())
                        .await
                        .map_err(DialError::into_client)
                })
            })
        };
        let deadline = tokio::time::Instant::now() + settings.dial_timeout;
        let (ends, answers) = loop {
            let (ends, answers) =
                super::guard::first_look(&endpoints, &uris, dialer.clone(), settings.dial_timeout)
                    .await;
            let electing = answers.iter().all(|a| a.is_err())
                && answers
                    .iter()
                    .filter_map(|a| a.as_ref().err())
                    .any(|e| super::Error::from(e).leaderless());
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
                .find(|e| !super::Error::from(*e).never_sent());
            let first = answers.iter().find_map(|a| a.as_ref().err());
            return Err(match reached.or(first) {
                Some(e) => explain(e, wants_client_cert),
                None => "no endpoint to connect to".into(),
            });
        };
        for (e, a) in endpoints.iter().zip(&answers) {
            if let Err(err) = a {
                tracing::warn!(endpoint = %e, error = %super::Error::from(err), "endpoint left out at start-up");
            }
        }
        let serving: Vec<bool> = answers.iter().map(Result::is_ok).collect();
        let client = dial_routes(routes, &serving, opts)
            .await
            .map_err(|e| e.explain(wants_client_cert))?;
        let guard = super::guard::start(client.clone(), ends).map(Arc::new);
        Ok::<_, String>((client, revision, guard))
    };
    // What ssh said last (a forward the jump host could not open) names
    // the cause better than the closed connection etcd-client saw.
    let through = |e: String| match tunnel.as_deref().and_then(Tunnel::last_message) {
        Some(said) => format!("{e} (ssh: {said})"),
        None => e,
    };
    let connected = tokio::time::timeout(settings.dial_timeout + Duration::from_secs(1), attempt)
        .await
        .map_err(|_| {
            through(format!(
                "cannot connect to {label}: no answer within {}",
                humantime::format_duration(settings.dial_timeout)
            ))
        })
        .and_then(|r| r.map_err(|e| through(format!("cannot connect to {label}: {e}"))));
    // Not connected: its ssh ends now (the dropped client's channel task,
    // which holds the tunnel too, may not run again before exit).
    if let (Err(_), Some(t)) = (&connected, &tunnel) {
        t.stop();
    }
    let (client, revision, guard) = connected?;
    Ok(Connection {
        client,
        endpoints,
        command_timeout: settings.command_timeout,
        revision,
        settings: settings.clone(),
        tunnel,
        guard,
        members: Default::default(),
    })
}

/// Why `dial` could not make a client.
pub enum DialError {
    /// The settings (a file, a name) are wrong.
    Settings(String),
    Client(etcd_client::Error),
}

impl DialError {
    /// As an etcd-client error (a settings error as invalid arguments).
    pub fn into_client(self) -> etcd_client::Error {
        match self {
            DialError::Settings(e) => etcd_client::Error::InvalidArgs(e),
            DialError::Client(e) => e,
        }
    }

    pub fn explain(&self, client_cert: bool) -> String {
        match self {
            DialError::Settings(e) => e.clone(),
            DialError::Client(e) => explain(e, client_cert),
        }
    }
}

/// A client for `endpoints` with `opts`, over TLS (as `settings` say) when
/// `tls`, through the tunnel's local ports for the endpoints it forwards.
/// The client keeps the tunnel: its `ssh` runs as long as a clone of the
/// client does.
pub async fn dial(
    endpoints: &[String],
    settings: &ConnSettings,
    tls: bool,
    opts: ConnectOptions,
    tunnel: Option<&Arc<Tunnel>>,
) -> Result<Client, DialError> {
    let routes = Routes::new(endpoints, settings, tls, tunnel).map_err(DialError::Settings)?;
    let all = vec![true; routes.urls.len()];
    dial_routes(routes, &all, opts).await
}

/// A client of the routes' endpoints marked in `serving` (the others keep
/// their TLS settings in the channel, for when the guard takes them in).
async fn dial_routes(
    routes: Routes,
    serving: &[bool],
    mut opts: ConnectOptions,
) -> Result<Client, DialError> {
    if let Some(base) = &routes.base {
        opts = opts.with_tls(base.clone());
    }
    let urls: Vec<String> = routes
        .urls
        .iter()
        .zip(serving)
        .filter(|(_, s)| **s)
        .map(|(u, _)| u.clone())
        .collect();
    Client::connect_with_balanced_channel(&urls, Some(opts), routes)
        .await
        .map_err(DialError::Client)
}

/// What each endpoint is dialled as (the tunnel's local port, or itself)
/// and, with TLS, its own TLS settings: etcd-client gives every endpoint
/// the same `TlsOptions`, so the balanced channel built here sets each
/// endpoint's again as it is added (`BalancedChannelBuilder`).
struct Routes {
    /// What etcd-client is given to dial.
    urls: Vec<String>,
    /// The options etcd-client builds its endpoints with (then replaced).
    base: Option<TlsOptions>,
    /// By the dialled URL's authority (`127.0.0.1:40123`).
    tls: HashMap<String, TlsOptions>,
    /// `--insecure-skip-tls-verify`.
    verifier: Option<Arc<dyn ServerCertVerifier>>,
    /// Held by the balanced channel's task, which ends with the client.
    _tunnel: Option<Arc<Tunnel>>,
}

impl Routes {
    fn new(
        endpoints: &[String],
        settings: &ConnSettings,
        tls: bool,
        tunnel: Option<&Arc<Tunnel>>,
    ) -> Result<Routes, String> {
        let base = tls.then(|| tls_options(settings)).transpose()?;
        let verifier: Option<Arc<dyn ServerCertVerifier>> = settings
            .insecure_skip_tls_verify
            .then(|| Arc::new(AnyServerCert::new()) as Arc<dyn ServerCertVerifier>);
        let mut routes = Routes {
            urls: Vec::new(),
            base: base.clone(),
            tls: HashMap::new(),
            verifier,
            _tunnel: tunnel.cloned(),
        };
        for endpoint in endpoints {
            let (scheme, rest) = split_scheme(endpoint);
            let target = super::ssh::host_port(rest);
            let forwarded = match (tunnel, &target) {
                (Some(t), Some((host, port))) => t.local_port(host, *port),
                _ => None,
            };
            let url = match forwarded {
                Some(local) => format!("{scheme}127.0.0.1:{local}"),
                None => endpoint.clone(),
            };
            if let Some(base) = &base {
                // The name the certificate must carry: the one given, else
                // the real host behind a forward, else the URL's own host.
                let name = settings
                    .tls_server_name
                    .clone()
                    .or_else(|| forwarded.and(target.as_ref()).map(|(host, _)| host.clone()));
                let mut options = base.clone();
                if let Some(name) = name {
                    options = options.domain_name(name);
                }
                let authority = authority(&url)?;
                // Built once here, so a bad name or file is an error now
                // rather than a missing endpoint later.
                let probe = Endpoint::from_shared(format!("https://{authority}"))
                    .map_err(|e| format!("bad endpoint {endpoint:?}: {e}"))?;
                routes
                    .configure(probe, &options)
                    .map_err(|e| format!("TLS settings: {}", source_text(&e)))?;
                routes.tls.insert(authority, options);
            }
            routes.urls.push(url);
        }
        Ok(routes)
    }

    fn configure(
        &self,
        endpoint: Endpoint,
        options: &TlsOptions,
    ) -> Result<Endpoint, tonic::transport::Error> {
        match &self.verifier {
            Some(v) => endpoint.tls_config_with_verifier(options.clone(), v.clone()),
            None => endpoint.tls_config(options.clone()),
        }
    }
}

impl etcd_client::BalancedChannelBuilder for Routes {
    type Error = tonic::transport::Error;

    fn balanced_channel(
        self,
        buffer_size: usize,
    ) -> Result<(etcd_client::Channel, Sender<Change<Uri, Endpoint>>), Self::Error> {
        let (channel, inner) = tonic::transport::Channel::balance_channel(buffer_size);
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Change<Uri, Endpoint>>(buffer_size);
        // Ends when the client (holding `tx`) is dropped.
        tokio::spawn(async move {
            while let Some(change) = rx.recv().await {
                let change = match change {
                    Change::Insert(uri, endpoint) => {
                        let key = uri.authority().map(|a| a.as_str().to_string());
                        match key.and_then(|k| self.tls.get(&k)) {
                            Some(options) => match self.configure(endpoint, options) {
                                Ok(endpoint) => Change::Insert(uri, endpoint),
                                Err(e) => {
                                    // Checked in `Routes::new`: not seen.
                                    tracing::error!(%uri, error = %e, "endpoint TLS");
                                    continue;
                                }
                            },
                            None => Change::Insert(uri, endpoint),
                        }
                    }
                    other => other,
                };
                if inner.send(change).await.is_err() {
                    break;
                }
            }
        });
        Ok((etcd_client::Channel::Tonic(channel), tx))
    }
}

/// `https://`, `http://` or nothing, and the rest.
fn split_scheme(endpoint: &str) -> (&str, &str) {
    for scheme in ["https://", "http://"] {
        if let Some(rest) = endpoint.strip_prefix(scheme) {
            return (scheme, rest);
        }
    }
    ("", endpoint)
}

/// The URL's `host:port` as etcd-client's endpoint (and so the balanced
/// channel's key) will have it.
fn authority(url: &str) -> Result<String, String> {
    let (_, rest) = split_scheme(url);
    let uri: Uri = format!("https://{rest}")
        .parse()
        .map_err(|e| format!("bad endpoint {url:?}: {e}"))?;
    uri.authority()
        .map(|a| a.as_str().to_string())
        .ok_or_else(|| format!("bad endpoint {url:?}: no host"))
}

fn source_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text
}

/// `--insecure-skip-tls-verify`: any certificate is accepted, whoever
/// signed it and whatever names it carries, but the handshake is still
/// checked to be signed by that certificate's key (so the connection is
/// encrypted to whoever holds it: not authenticated, not in the clear).
#[derive(Debug)]
struct AnyServerCert {
    provider: Arc<CryptoProvider>,
}

impl AnyServerCert {
    fn new() -> Self {
        // The provider tonic uses too.
        let provider = CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
        AnyServerCert { provider }
    }
}

impl ServerCertVerifier for AnyServerCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// One line for a failed connection check.
fn explain(e: &etcd_client::Error, client_cert: bool) -> String {
    tracing::debug!(error = ?e, "connection check failed");
    let text = super::Error::from(e).to_string();
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

/// The TLS options every endpoint starts from: the CA (not with
/// `--insecure-skip-tls-verify`: nothing is checked against it) and the
/// client certificate.
pub fn tls_options(settings: &ConnSettings) -> Result<TlsOptions, String> {
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    };
    let mut tls = TlsOptions::new();
    if let Some(ca) = &settings.cacert {
        if !settings.insecure_skip_tls_verify {
            tls = tls.ca_certificate(Certificate::from_pem(read(ca)?));
        }
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
