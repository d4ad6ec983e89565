//! Command line: etcdctl-compatible flags, each also read from the
//! environment variable etcdctl uses.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::etcd::ConnSettings;

#[derive(Debug, Parser)]
#[command(
    name = "etcdlens",
    version,
    about = "A terminal UI for etcd v3: browse, watch, lead, edit."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub opts: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a local 3-member etcd cluster with sample data and browse it.
    Demo,
    /// List the named contexts of the config file.
    Contexts,
    /// Campaign for leadership like Go's concurrency.Election; print
    /// `leader: <proposal>` once elected; resign on Ctrl-C / SIGTERM.
    Campaign {
        /// Election name (its keys are `<election>/<lease id in hex>`).
        election: String,
        /// Value published while leading.
        proposal: String,
        /// Lease TTL in seconds (Go's session default is 60).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(i64).range(1..))]
        ttl: i64,
    },
    /// Take a lock like Go's concurrency.Mutex / `etcdctl lock`; print
    /// `locked` once held, hold it until killed (Ctrl-C, SIGTERM), then
    /// release it.
    Lock {
        /// Lock name (its keys are `<name>/<lease id in hex>`).
        name: String,
        /// Lease TTL in seconds (Go's session default is 60).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(i64).range(1..))]
        ttl: i64,
    },
    /// Write every key under PREFIX (value, lease, revisions) at one
    /// revision as JSON lines, or as `etcdctl get --prefix -w json` prints.
    Export {
        prefix: String,
        /// Output file (`-`: stdout).
        #[arg(short = 'o', long = "output", default_value = "-")]
        output: String,
        /// jsonl (etcdlens's own, what `import` reads) or etcdctl.
        #[arg(long, default_value = "jsonl")]
        format: crate::transfer::format::Format,
    },
    /// Write the keys of an export file (under --to PREFIX instead of the
    /// export's prefix), through a plan, guarded key by key.
    Import {
        file: std::path::PathBuf,
        /// Target prefix (default: the export's own).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        apply: ApplyFlags,
    },
    /// Copy every key under SOURCE to DEST (on the same cluster, or on
    /// another context's with --to-context), through a plan.
    Copy {
        source: String,
        dest: String,
        /// Write to this context's cluster (config.toml) instead.
        #[arg(long)]
        to_context: Option<String>,
        #[command(flatten)]
        apply: ApplyFlags,
    },
    /// Move every key under SOURCE to DEST: each key's copy and the delete of
    /// its source in one transaction.
    Move {
        source: String,
        dest: String,
        #[command(flatten)]
        apply: ApplyFlags,
    },
}

/// How a plan is applied.
#[derive(Debug, Args)]
pub struct ApplyFlags {
    /// Print the plan and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the plan without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct Options {
    /// Key bindings: the defaults with `[keys]` of config.toml applied.
    #[arg(skip)]
    pub keymap: crate::app::keymap::Keymap,
    /// `theme` of config.toml.
    #[arg(skip)]
    pub theme: crate::ui::theme::Theme,
    /// The contexts of config.toml, for `:ctx` (none without the file).
    #[arg(skip)]
    pub contexts: Option<std::sync::Arc<crate::config::ContextBook>>,
    /// The context in use at start (`--context` or the file's default) and
    /// its colour.
    #[arg(skip)]
    pub context_color: Option<ratatui::style::Color>,
    /// What reading config.toml warned about (a password readable by
    /// others): also shown in the status bar for the whole session.
    #[arg(skip)]
    pub warnings: Vec<String>,
    /// Comma-separated etcd endpoints.
    #[arg(
        long,
        env = "ETCDCTL_ENDPOINTS",
        value_delimiter = ',',
        default_value = "127.0.0.1:2379",
        global = true
    )]
    pub endpoints: Vec<String>,
    /// User name, or name:password (prefer ETCDCTL_PASSWORD or the prompt: arguments show in the process list).
    #[arg(long, env = "ETCDCTL_USER", global = true)]
    pub user: Option<String>,
    /// Password (prefer the ETCDCTL_PASSWORD variable or the prompt).
    #[arg(long, env = "ETCDCTL_PASSWORD", hide_env_values = true, global = true)]
    pub password: Option<String>,
    /// CA bundle to verify the servers' certificates.
    #[arg(long, env = "ETCDCTL_CACERT", global = true)]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM).
    #[arg(long, env = "ETCDCTL_CERT", global = true)]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM).
    #[arg(long, env = "ETCDCTL_KEY", global = true)]
    pub key: Option<PathBuf>,
    /// Do not verify the servers' certificates (any certificate is
    /// accepted; the status bar says TLS NOT VERIFIED). Implies TLS.
    #[arg(long, env = "ETCDCTL_INSECURE_SKIP_TLS_VERIFY", global = true)]
    pub insecure_skip_tls_verify: bool,
    /// Check the servers' certificates against this name instead of each
    /// endpoint's host (e.g. behind a proxy or a tunnel). Implies TLS.
    #[arg(long, value_name = "NAME", global = true)]
    pub tls_server_name: Option<String>,
    /// Reach the endpoints through this SSH jump host (user@host): one
    /// local port forward per endpoint, by the system ssh (its config,
    /// agent and known_hosts apply).
    #[arg(long, value_name = "USER@HOST", global = true)]
    pub ssh: Option<String>,
    /// The config file ssh reads for --ssh (ssh -F) instead of the user's.
    #[arg(long, value_name = "FILE", global = true)]
    pub ssh_config: Option<PathBuf>,
    /// How long to wait for the cluster to answer when connecting (e.g. 2s, 500ms).
    #[arg(long, env = "ETCDCTL_DIAL_TIMEOUT", default_value = "2s", value_parser = parse_duration, global = true)]
    pub dial_timeout: Duration,
    /// Timeout of each request.
    #[arg(long, env = "ETCDCTL_COMMAND_TIMEOUT", default_value = "5s", value_parser = parse_duration, global = true)]
    pub command_timeout: Duration,
    /// Root of the tree (default: the whole keyspace).
    #[arg(long, default_value = "", global = true)]
    pub prefix: String,
    /// Splits keys into directories.
    #[arg(long, default_value = "/", value_parser = non_empty, global = true)]
    pub delimiter: String,
    /// Refuse every write.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// The server's request limit in bytes (etcd's --max-request-bytes;
    /// default 1.5 MiB, etcd's default): larger values are refused before
    /// they are sent. Raise it when the server allows more.
    #[arg(long, default_value_t = crate::app::writes::editor::DEFAULT_MAX_REQUEST_BYTES, global = true)]
    pub max_request_bytes: usize,
    /// Prefix the Events pane follows (default: the tree's root).
    #[arg(long, global = true)]
    pub watch: Option<String>,
    /// Follow this election in the Leader pane (repeatable).
    #[arg(long = "election", global = true)]
    pub elections: Vec<String>,
    /// Append every watch event to this file as a JSON line.
    #[arg(long, global = true)]
    pub record: Option<PathBuf>,
    /// Rows the Events pane keeps (older ones are dropped; counts stay exact).
    #[arg(long, default_value_t = crate::app::watch::log::DEFAULT_CAPACITY, global = true)]
    pub event_log_size: usize,
    /// Use a named context from etcdlens/config.toml (flags and env override it).
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Write structured logs (connections, reconnects, writes; never values
    /// or passwords) to this file. Off by default; never to the terminal.
    #[arg(long, global = true)]
    pub log_file: Option<PathBuf>,
    /// Range reads listings may have in flight at once (a big directory is
    /// listed as many bounded reads; this caps the load on the cluster).
    #[arg(long, default_value_t = crate::etcd::lister::DEFAULT_CONCURRENCY, value_parser = concurrency, global = true)]
    pub list_concurrency: usize,
    /// Internal: write start-up timings and peak memory to this file (benchmarks).
    #[arg(long, hide = true, global = true)]
    pub bench_report: Option<PathBuf>,
    /// Internal: quit once the benchmark measurements are taken.
    #[arg(long, hide = true, global = true)]
    pub bench_exit: bool,
    /// Internal: note when the Events title first counts this many events.
    #[arg(long, hide = true, global = true)]
    pub bench_events: Option<u64>,
}

/// `name` or `name:password` (etcdctl's `--user`).
pub fn split_user(user: &str) -> (String, Option<String>) {
    match user.split_once(':') {
        Some((n, p)) => (n.to_string(), Some(p.to_string())),
        None => (user.to_string(), None),
    }
}

/// The user and password to authenticate with: `user` may carry its
/// password (`name:password`), else `password`, else what `missing` gives
/// for the name (a prompt, or a refusal).
pub fn credentials(
    user: Option<&str>,
    password: Option<String>,
    missing: impl FnOnce(&str) -> Result<String, String>,
) -> Result<Option<(String, String)>, String> {
    let Some(user) = user else { return Ok(None) };
    let (name, inline) = split_user(user);
    let password = match inline.or(password) {
        Some(p) => p,
        None => missing(&name)?,
    };
    Ok(Some((name, password)))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (use e.g. 2s or 500ms)"))
}

fn concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err("expected a number of reads from 1 to 1024".into()),
    }
}

fn non_empty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("the delimiter cannot be empty".into())
    } else {
        Ok(s.to_string())
    }
}

impl Options {
    /// What the UI loop needs from the flags.
    pub fn run_options(&self, started: std::time::Instant) -> crate::runtime::RunOptions {
        crate::runtime::RunOptions {
            prefix: self.prefix.clone().into_bytes(),
            delimiter: self.delimiter.clone().into_bytes(),
            read_only: self.read_only,
            max_request_bytes: self.max_request_bytes,
            note: None,
            watch: self.watch.clone().map(String::into_bytes),
            record: self.record.clone(),
            event_log_size: self.event_log_size,
            elections: self
                .elections
                .iter()
                .map(|e| e.clone().into_bytes())
                .collect(),
            bench_report: self.bench_report.clone(),
            bench_exit: self.bench_exit,
            bench_events: self.bench_events,
            started,
            keymap: self.keymap.clone(),
            theme: self.theme,
            warnings: self.warnings.clone(),
            contexts: self.contexts.clone(),
            context: self
                .context
                .clone()
                .map(|name| crate::app::contexts::Current {
                    name,
                    color: self.context_color,
                }),
        }
    }

    /// Connection settings; asks for the password (without echo) when a user
    /// is given without one.
    pub fn conn_settings(&self) -> Result<ConnSettings, String> {
        let user = credentials(self.user.as_deref(), self.password.clone(), |name| {
            crate::terminal::prompt_password(&format!("Password for {name}: ")).map_err(|e| {
                format!(
                    "cannot ask for the password of {name} ({e}: no terminal to ask on): set ETCDCTL_PASSWORD, or give --password"
                )
            })
        })?;
        Ok(ConnSettings {
            endpoints: self.endpoints.clone(),
            user,
            cacert: self.cacert.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            insecure_skip_tls_verify: self.insecure_skip_tls_verify,
            tls_server_name: self.tls_server_name.clone(),
            ssh: self.ssh.clone(),
            ssh_config: self.ssh_config.clone(),
            dial_timeout: self.dial_timeout,
            command_timeout: self.command_timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_like_etcdctl() {
        let cli = Cli::try_parse_from([
            "etcdlens",
            "--endpoints",
            "a:1,b:2",
            "--dial-timeout",
            "500ms",
            "--user",
            "root:pw",
            "--prefix",
            "/app/",
        ])
        .unwrap();
        assert_eq!(cli.opts.endpoints, ["a:1", "b:2"]);
        assert_eq!(cli.opts.dial_timeout, Duration::from_millis(500));
        assert_eq!(
            cli.opts.conn_settings().unwrap().user,
            Some(("root".into(), "pw".into()))
        );
        assert!(Cli::try_parse_from(["etcdlens", "--dial-timeout", "soon"]).is_err());
        assert!(Cli::try_parse_from(["etcdlens", "--delimiter", ""]).is_err());
    }

    #[test]
    fn list_concurrency_defaults_to_16_and_is_bounded() {
        let cli = Cli::try_parse_from(["etcdlens"]).unwrap();
        assert_eq!(cli.opts.list_concurrency, 16);
        let cli = Cli::try_parse_from(["etcdlens", "--list-concurrency", "4"]).unwrap();
        assert_eq!(cli.opts.list_concurrency, 4);
        assert!(Cli::try_parse_from(["etcdlens", "--list-concurrency", "0"]).is_err());
        assert!(Cli::try_parse_from(["etcdlens", "--list-concurrency", "x"]).is_err());
    }
}
