//! Command line: etcdctl-compatible flags, each also read from the
//! environment variable etcdctl uses.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::etcd::ConnSettings;
use crate::settings::{ContextBook, Flags, Settings, DEFAULT_DELIMITER, DEFAULT_ENDPOINT};

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
    /// Browse a snapshot file or a member's member/snap/db, offline and
    /// read-only: no etcd needed.
    Open {
        /// The snapshot (`etcdctl snapshot save`) or `member/snap/db`.
        file: PathBuf,
    },
    /// List the named contexts of the config file.
    Contexts,
    /// Every context of the config file in one table: reachable, version,
    /// members healthy/total, leader, DB size, quota use, alarms,
    /// revisions per second, a linearizable read's latency.
    Fleet,
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
    /// Compact the history to revision N, to N revisions before the current
    /// one (-N: keep the last N), or to the current one (now): the plan
    /// says which revisions become unreadable. Cluster-wide: asks for yes.
    Compact {
        /// N, -N or now.
        #[arg(allow_hyphen_values = true)]
        revision: String,
        /// Wait until every member applied it (etcdctl's --physical).
        #[arg(long)]
        physical: bool,
        #[command(flatten)]
        apply: ApplyFlags,
    },
    /// Defragment the members one at a time, only while every member is
    /// healthy: followers first, then leadership moved to a defragmented
    /// follower and the old leader (or the leader last, --leader-last).
    Defrag {
        /// One member at a time (the only mode; etcdctl's --cluster is not offered).
        #[arg(long, required = true)]
        rolling: bool,
        /// Seconds to wait between two members.
        #[arg(long, value_name = "SECS", default_value_t = 5.0)]
        wait: f64,
        /// Defragment the leader last, without moving leadership away.
        #[arg(long)]
        leader_last: bool,
        /// Skip members whose fragmentation (1 − in use ÷ size) is below this percentage.
        #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
        min_fragmentation: f64,
        /// Skip members whose defragmentation would give back (size − in use)
        /// less than this many MiB (0: this rule skips none).
        #[arg(long, value_name = "MIB", default_value_t = 64.0)]
        min_gain: f64,
        #[command(flatten)]
        apply: ApplyFlags,
    },
    /// Move the cluster's leadership to MEMBER (its name, or its id in hex as
    /// `etcdctl member list` prints it), asked of the current leader.
    MoveLeader {
        /// The member's name or hex id.
        member: String,
        #[command(flatten)]
        apply: ApplyFlags,
    },
    /// List or disarm the cluster's alarms (NOSPACE, CORRUPT).
    Alarm {
        #[command(subcommand)]
        action: AlarmCommand,
    },
    /// Check the members' consistency.
    Check {
        #[command(subcommand)]
        what: CheckCommand,
    },
    /// Save a verified snapshot (backup) of one member, or show a
    /// snapshot file's revision, keys, size and hash.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
}

#[derive(Debug, Subcommand)]
pub enum AlarmCommand {
    /// The active alarms.
    List,
    /// Deactivate every active alarm (as `etcdctl alarm disarm`).
    Disarm {
        #[command(flatten)]
        apply: ApplyFlags,
    },
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// HashKV of every member at one common revision: match or mismatch per
    /// member (exit 1 on a mismatch).
    Hash,
}

/// `etcdlens snapshot …`.
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// Stream one member's snapshot into FILE, as `etcdctl snapshot save`
    /// writes it: sha256 checked, written to a temporary file (mode 0600)
    /// renamed when whole, nothing left on failure.
    Save {
        file: PathBuf,
        /// The member to save from: one of the cluster's client URLs
        /// (default: the first of --endpoints that answers).
        #[arg(long)]
        endpoint: Option<String>,
        /// Replace FILE if it exists (it is never overwritten otherwise).
        #[arg(long)]
        force: bool,
    },
    /// Revision, total keys, total size and hash of a snapshot file (or a
    /// member's member/snap/db): the numbers `etcdutl snapshot status`
    /// prints.
    Status {
        file: PathBuf,
        /// simple, or json (etcdutl's `-w json` fields).
        #[arg(short = 'w', long = "write-out", default_value = "simple")]
        write_out: StatusFormat,
    },
}

/// How `snapshot status` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StatusFormat {
    Simple,
    Json,
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
    pub contexts: Option<std::sync::Arc<ContextBook>>,
    /// What the session starts with: the flags below (those given) over
    /// the context (`--context` or the file's default) over the defaults,
    /// by `settings::resolve` (`main` sets it). Everything after start-up
    /// reads these, not the connection flags themselves.
    #[arg(skip)]
    pub settings: Settings,
    /// What reading config.toml warned about (a password readable by
    /// others): also shown in the status bar for the whole session.
    #[arg(skip)]
    pub warnings: Vec<String>,
    /// Comma-separated etcd endpoints.
    #[arg(
        long,
        env = "ETCDCTL_ENDPOINTS",
        value_delimiter = ',',
        default_value = DEFAULT_ENDPOINT,
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
    /// (`ETCDCTL_INSECURE_SKIP_TLS_VERIFY` reads `1`/`0`, `true`/`false`,
    /// `t`/`f` as etcdctl does, and `yes`/`no`, `on`/`off`.)
    #[arg(
        long,
        env = "ETCDCTL_INSECURE_SKIP_TLS_VERIFY",
        global = true,
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
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
    #[arg(long, default_value = DEFAULT_DELIMITER, value_parser = non_empty, global = true)]
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
    /// Browse this snapshot file offline (as `etcdlens open FILE`).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
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
    /// Requests listings may have in flight at once (a big directory is
    /// listed as many bounded reads, small ones sent together in one
    /// transaction; this caps the load on the cluster).
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
    /// The connection flags given on the command line or in their
    /// `ETCDCTL_*` variables (`None` where clap used its default): the top
    /// layer of `settings::resolve`.
    pub fn given(&self, matches: &clap::ArgMatches) -> Flags {
        let given = |id: &str| {
            matches!(
                matches.value_source(id),
                Some(
                    clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable
                )
            )
        };
        let when = |id: &str| given(id).then_some(());
        Flags {
            endpoints: when("endpoints").map(|()| self.endpoints.clone()),
            user: self.user.clone(),
            password: self.password.clone(),
            cacert: self.cacert.clone(),
            cert: self.cert.clone(),
            key: self.key.clone(),
            insecure_skip_tls_verify: when("insecure_skip_tls_verify")
                .map(|()| self.insecure_skip_tls_verify),
            tls_server_name: self.tls_server_name.clone(),
            ssh: self.ssh.clone(),
            ssh_config: self.ssh_config.clone(),
            dial_timeout: when("dial_timeout").map(|()| self.dial_timeout),
            command_timeout: when("command_timeout").map(|()| self.command_timeout),
            prefix: when("prefix").map(|()| self.prefix.clone()),
            delimiter: when("delimiter").map(|()| self.delimiter.clone()),
            read_only: self.read_only,
        }
    }

    /// What the UI loop needs from the flags and the settings.
    pub fn run_options(&self, started: std::time::Instant) -> crate::runtime::RunOptions {
        crate::runtime::RunOptions {
            settings: self.settings.clone(),
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
            offline: None,
        }
    }

    /// The settings' connection; asks for the password (without echo) when
    /// a user is given without one.
    pub fn conn_settings(&self) -> Result<ConnSettings, String> {
        self.settings.connection(|name| {
            crate::terminal::prompt_password(&format!("Password for {name}: ")).map_err(|e| {
                format!(
                    "cannot ask for the password of {name} ({e}: no terminal to ask on): set ETCDCTL_PASSWORD, or give --password"
                )
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options and the flags given, as `main` reads them.
    fn parsed(args: &[&str]) -> (Options, Flags) {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().try_get_matches_from(args).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let flags = cli.opts.given(&matches);
        (cli.opts, flags)
    }

    /// etcdctl reads the variable with Go's ParseBool: `1` and `t` too.
    /// (Read here from a variable of this test's own, so that no other
    /// test sees it.)
    #[test]
    fn insecure_skip_tls_verify_reads_what_etcdctl_reads() {
        use clap::{CommandFactory, FromArgMatches};
        const VAR: &str = "ETCDLENS_TEST_INSECURE_SKIP_TLS_VERIFY";
        for (value, want) in [
            ("1", true),
            ("t", true),
            ("TRUE", true),
            ("0", false),
            ("false", false),
        ] {
            // clap reads the variable when the argument is built.
            std::env::set_var(VAR, value);
            let command = Cli::command().mut_arg("insecure_skip_tls_verify", |a| a.env(VAR));
            let matches = command.try_get_matches_from(["etcdlens"]).unwrap();
            let cli = Cli::from_arg_matches(&matches).unwrap();
            assert_eq!(cli.opts.insecure_skip_tls_verify, want, "{value}");
        }
        std::env::remove_var(VAR);
    }

    #[test]
    fn flags_parse_like_etcdctl() {
        let (mut opts, flags) = parsed(&[
            "etcdlens",
            "--endpoints",
            "a:1,b:2",
            "--dial-timeout",
            "500ms",
            "--user",
            "root:pw",
            "--prefix",
            "/app/",
        ]);
        assert_eq!(
            flags.endpoints.as_deref(),
            Some(&["a:1".into(), "b:2".into()][..])
        );
        assert_eq!(flags.dial_timeout, Some(Duration::from_millis(500)));
        assert_eq!(flags.prefix.as_deref(), Some("/app/"));
        // Left at clap's default: not given (no variable reads these two).
        assert_eq!((flags.delimiter.as_deref(), flags.read_only), (None, false));
        opts.settings = crate::settings::resolve(&flags, None, &Default::default()).unwrap();
        assert_eq!(
            opts.conn_settings().unwrap().user,
            Some(("root".into(), "pw".into()))
        );
        assert!(Cli::try_parse_from(["etcdlens", "--dial-timeout", "soon"]).is_err());
        assert!(Cli::try_parse_from(["etcdlens", "--delimiter", ""]).is_err());
    }

    /// What `--help` says the defaults are is what the resolver uses.
    #[test]
    fn clap_defaults_are_the_resolvers() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        let default = |id: &str| {
            let arg = cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
            let values: Vec<_> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_str().unwrap().to_string())
                .collect();
            values.join(",")
        };
        let duration = |id: &str| parse_duration(&default(id)).unwrap();
        let d = crate::settings::Defaults::default();
        assert_eq!(default("endpoints"), d.endpoints.join(","));
        assert_eq!(duration("dial_timeout"), d.dial_timeout);
        assert_eq!(duration("command_timeout"), d.command_timeout);
        assert_eq!(default("prefix"), d.prefix);
        assert_eq!(default("delimiter"), d.delimiter);
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
