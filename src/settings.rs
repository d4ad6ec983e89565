//! The one settings resolver: flags and `ETCDCTL_*` variables over a
//! context of config.toml over the defaults, computed by [`resolve`] into
//! one [`Settings`] (connection, prefix, delimiter, read-only, colour).
//!
//! Start-up (`main`) and every connection to a named context made later
//! (`:ctx NAME`, `:copy ctx:NAME`, `--to-context`, through
//! [`ContextBook::resolve`]) call the same function; they differ only in
//! the layers they pass:
//!
//! - at start-up: the flags given ([`Flags`]: `None` where clap used its
//!   default), the context chosen (`--context` or the file's
//!   `default_context`), the standard [`Defaults`];
//! - on a switch: only what a switch keeps of the start
//!   ([`ContextBook::new`]): `--read-only` stays a flag (every context is
//!   read-only), the start's timeouts (flags or defaults) become the
//!   defaults under the context's own; nothing else of the start is kept:
//!   a switch starts from the defaults, not from the context it leaves.
//!
//! The password is settled after resolving ([`Settings::connection`]): at
//! start-up a user without one is asked for it; a switch cannot ask (the
//! TUI owns the terminal) and takes `ETCDCTL_PASSWORD` instead
//! ([`Settings::connection_without_prompt`]).
//!
//! Errors name the field only; callers name the context (start-up:
//! `context "NAME" in PATH: …`, a switch: `context NAME: …`).

use std::path::PathBuf;
use std::time::Duration;

use ratatui::style::Color;

use crate::config::{parse_color, split_user, ConfigFile, Context};
use crate::escape::escape_str;
use crate::etcd::ConnSettings;

/// `--endpoints`' default.
pub const DEFAULT_ENDPOINT: &str = "127.0.0.1:2379";
/// `--delimiter`'s default.
pub const DEFAULT_DELIMITER: &str = "/";
/// `--dial-timeout`'s default.
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(2);
/// `--command-timeout`'s default.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// The top layer: what the command line or an `ETCDCTL_*` variable gave
/// (`None`: not given). `read_only` can only add: `false` is "not given".
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub endpoints: Option<Vec<String>>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub insecure_skip_tls_verify: Option<bool>,
    pub tls_server_name: Option<String>,
    pub ssh: Option<String>,
    pub ssh_config: Option<PathBuf>,
    pub dial_timeout: Option<Duration>,
    pub command_timeout: Option<Duration>,
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    pub read_only: bool,
}

/// The bottom layer: what neither the flags nor the context set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub endpoints: Vec<String>,
    pub dial_timeout: Duration,
    pub command_timeout: Duration,
    pub prefix: String,
    pub delimiter: String,
}

impl Default for Defaults {
    /// The flags' own defaults (`--help` shows the same: a unit test
    /// checks they agree).
    fn default() -> Defaults {
        Defaults {
            endpoints: vec![DEFAULT_ENDPOINT.into()],
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            prefix: String::new(),
            delimiter: DEFAULT_DELIMITER.into(),
        }
    }
}

/// What a session (at start-up) or a switch connects with and starts from.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// The context these came from (none: flags and defaults only).
    pub context: Option<String>,
    /// Its `color` (the status bar's badge, the pane borders).
    pub color: Option<Color>,
    pub endpoints: Vec<String>,
    /// `name` or `name:password` (etcdctl's `--user`).
    pub user: Option<String>,
    /// Used when `user` carries none.
    pub password: Option<String>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub tls_server_name: Option<String>,
    pub ssh: Option<String>,
    pub ssh_config: Option<PathBuf>,
    /// The context's `metrics_urls` (no flag sets them).
    pub metrics_urls: Vec<String>,
    pub dial_timeout: Duration,
    pub command_timeout: Duration,
    /// Root of the tree.
    pub prefix: String,
    /// Never empty.
    pub delimiter: String,
    pub read_only: bool,
}

impl Default for Settings {
    /// The defaults alone (no flag, no context).
    fn default() -> Settings {
        resolve(&Flags::default(), None, &Defaults::default()).expect("the defaults resolve")
    }
}

/// Flags over the context over the defaults. A context's value is read
/// (and checked) only where no flag hides it; `read_only` is added by
/// either layer. Errors say what is wrong; the caller names the context.
pub fn resolve(
    flags: &Flags,
    context: Option<(&str, &Context)>,
    defaults: &Defaults,
) -> Result<Settings, String> {
    let none = Context::default();
    let (name, ctx) = match context {
        Some((name, ctx)) => (Some(name.to_string()), ctx),
        None => (None, &none),
    };
    fn over<T: Clone>(flag: &Option<T>, ctx: &Option<T>) -> Option<T> {
        flag.as_ref().or(ctx.as_ref()).cloned()
    }
    let duration =
        |flag: Option<Duration>, ctx: &Option<String>, default: Duration| match (flag, ctx) {
            (Some(d), _) => Ok(d),
            (None, Some(s)) => {
                humantime::parse_duration(s).map_err(|e| format!("bad duration {s:?}: {e}"))
            }
            (None, None) => Ok(default),
        };
    let endpoints = match (&flags.endpoints, &ctx.endpoints) {
        (Some(v), _) => v.clone(),
        (None, Some(v)) => {
            check_endpoints(v)?;
            v.clone()
        }
        (None, None) => defaults.endpoints.clone(),
    };
    let dial_timeout = duration(flags.dial_timeout, &ctx.dial_timeout, defaults.dial_timeout)?;
    let command_timeout = duration(
        flags.command_timeout,
        &ctx.command_timeout,
        defaults.command_timeout,
    )?;
    let delimiter = over(&flags.delimiter, &ctx.delimiter).unwrap_or(defaults.delimiter.clone());
    // An empty delimiter would make every key a directory of itself.
    if delimiter.is_empty() {
        return Err("the delimiter cannot be empty".into());
    }
    let color = ctx.color.as_deref().map(parse_color).transpose()?;
    Ok(Settings {
        context: name,
        color,
        endpoints,
        user: over(&flags.user, &ctx.user),
        password: over(&flags.password, &ctx.password),
        cacert: over(&flags.cacert, &ctx.cacert),
        cert: over(&flags.cert, &ctx.cert),
        key: over(&flags.key, &ctx.key),
        insecure_skip_tls_verify: over(
            &flags.insecure_skip_tls_verify,
            &ctx.insecure_skip_tls_verify,
        )
        .unwrap_or(false),
        tls_server_name: over(&flags.tls_server_name, &ctx.tls_server_name),
        ssh: over(&flags.ssh, &ctx.ssh),
        ssh_config: over(&flags.ssh_config, &ctx.ssh_config),
        metrics_urls: ctx.metrics_urls.clone().unwrap_or_default(),
        dial_timeout,
        command_timeout,
        prefix: over(&flags.prefix, &ctx.prefix).unwrap_or(defaults.prefix.clone()),
        delimiter,
        read_only: read_only(flags, ctx),
    })
}

/// Read-only can only be added, never taken away, by a flag.
fn read_only(flags: &Flags, ctx: &Context) -> bool {
    flags.read_only || ctx.read_only == Some(true)
}

/// A context's `endpoints` list names at least one.
fn check_endpoints(endpoints: &[String]) -> Result<(), String> {
    if endpoints.iter().all(|e| e.trim().is_empty()) {
        return Err(format!(
            "endpoints = [] names no endpoint: list at least one (e.g. endpoints = [\"{DEFAULT_ENDPOINT}\"]), or leave the line out for {DEFAULT_ENDPOINT}"
        ));
    }
    Ok(())
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

impl Settings {
    /// What `etcd::connect` takes; `missing` gives the password of a user
    /// named without one (a prompt at start-up).
    pub fn connection(
        &self,
        missing: impl FnOnce(&str) -> Result<String, String>,
    ) -> Result<ConnSettings, String> {
        Ok(ConnSettings {
            endpoints: self.endpoints.clone(),
            user: credentials(self.user.as_deref(), self.password.clone(), missing)?,
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

    /// The connection to a context reached while running (a switch, a
    /// copy's target): there is no prompt, so a user without a password
    /// takes `ETCDCTL_PASSWORD` (`password_env`), else it is refused.
    pub fn connection_without_prompt(
        &self,
        password_env: Option<String>,
    ) -> Result<ConnSettings, String> {
        self.connection(|user| {
            password_env.ok_or_else(|| {
                format!(
                    "context {} needs the password of {}: set it in ETCDCTL_PASSWORD before starting etcdlens, or as password in config.toml",
                    escape_str(self.context.as_deref().unwrap_or_default()),
                    escape_str(user)
                )
            })
        })
    }
}

/// Never shows the password (logs, panics).
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("context", &self.context)
            .field("color", &self.color)
            .field("endpoints", &self.endpoints)
            .field("user", &self.user.as_deref().map(|u| split_user(u).0))
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("cacert", &self.cacert)
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("tls_server_name", &self.tls_server_name)
            .field("ssh", &self.ssh)
            .field("ssh_config", &self.ssh_config)
            .field("metrics_urls", &self.metrics_urls)
            .field("dial_timeout", &self.dial_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("prefix", &self.prefix)
            .field("delimiter", &self.delimiter)
            .field("read_only", &self.read_only)
            .finish()
    }
}

/// Never shows the password.
impl std::fmt::Debug for Flags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Flags")
            .field("endpoints", &self.endpoints)
            .field("user", &self.user.as_deref().map(|u| split_user(u).0))
            .field("password", &self.password.as_ref().map(|_| "…"))
            .field("cacert", &self.cacert)
            .field("cert", &self.cert)
            .field("key", &self.key)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("tls_server_name", &self.tls_server_name)
            .field("ssh", &self.ssh)
            .field("ssh_config", &self.ssh_config)
            .field("dial_timeout", &self.dial_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("prefix", &self.prefix)
            .field("delimiter", &self.delimiter)
            .field("read_only", &self.read_only)
            .finish()
    }
}

/// The contexts of config.toml as the TUI switches between them (`:ctx`)
/// and copies to them (`:copy ctx:NAME`, `--to-context`), with what a
/// switch keeps of the start.
#[derive(Debug)]
pub struct ContextBook {
    pub path: PathBuf,
    pub file: ConfigFile,
    /// The flags a switch keeps: `--read-only` (every context is
    /// read-only); nothing else.
    pub flags: Flags,
    /// The start's timeouts (flags or defaults), for contexts that set
    /// none; the standard defaults otherwise.
    pub defaults: Defaults,
}

impl ContextBook {
    /// The book of `file`, keeping what a switch keeps of the start's
    /// flags and defaults.
    pub fn new(path: PathBuf, file: ConfigFile, start: &Flags, defaults: &Defaults) -> ContextBook {
        ContextBook {
            path,
            file,
            flags: Flags {
                read_only: start.read_only,
                ..Flags::default()
            },
            defaults: Defaults {
                dial_timeout: start.dial_timeout.unwrap_or(defaults.dial_timeout),
                command_timeout: start.command_timeout.unwrap_or(defaults.command_timeout),
                ..Defaults::default()
            },
        }
    }

    /// The rows of the `:ctx` list, in name order.
    pub fn entries(&self) -> Vec<crate::app::contexts::ContextEntry> {
        self.file
            .contexts
            .iter()
            .map(|(name, c)| crate::app::contexts::ContextEntry {
                name: name.clone(),
                endpoints: c
                    .endpoints
                    .clone()
                    .unwrap_or_else(|| self.defaults.endpoints.clone())
                    .join(","),
                // Never a password written inline.
                user: c.user.as_deref().map(|u| split_user(u).0),
                prefix: c.prefix.clone().unwrap_or_default(),
                read_only: read_only(&self.flags, c),
                color: c.color.as_deref().and_then(|c| parse_color(c).ok()),
                default: self.file.default_context.as_deref() == Some(name),
            })
            .collect()
    }

    /// Context `name`'s settings: [`resolve`] with what a switch keeps.
    pub fn resolve(&self, name: &str) -> Result<Settings, String> {
        let esc = escape_str;
        let ctx = self.file.contexts.get(name).ok_or_else(|| {
            format!(
                "no context {:?} in {} (:ctx lists them)",
                esc(name),
                self.path.display()
            )
        })?;
        resolve(&self.flags, Some((name, ctx)), &self.defaults)
            .map_err(|e| format!("context {}: {e}", esc(name)))
    }

    /// Context `name`'s settings and what `etcd::connect` takes for them,
    /// while running (a switch, a copy's target): no prompt, so a user
    /// without a password takes `ETCDCTL_PASSWORD` (`password_env`).
    pub fn connection(
        &self,
        name: &str,
        password_env: Option<String>,
    ) -> Result<(Settings, ConnSettings), String> {
        let settings = self.resolve(name)?;
        let connection = settings.connection_without_prompt(password_env)?;
        Ok((settings, connection))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn file(text: &str) -> ConfigFile {
        toml::from_str(text).unwrap()
    }

    const PROD: &str = r#"
        [contexts.prod]
        endpoints = ["https://a:2379", "https://b:2379"]
        user = "alice"
        prefix = "/registry/"
        dial_timeout = "7s"
        read_only = true
        "#;

    /// Start-up: the flags given over context `name` of `text` over the
    /// defaults.
    fn start(flags: &Flags, text: &str, name: &str) -> Result<Settings, String> {
        let f = file(text);
        resolve(flags, Some((name, &f.contexts[name])), &Defaults::default())
    }

    /// The book a start with `flags` leaves for `:ctx`.
    fn book(text: &str, flags: &Flags) -> ContextBook {
        ContextBook::new(
            "config.toml".into(),
            file(text),
            flags,
            &Defaults::default(),
        )
    }

    #[test]
    fn the_context_fills_defaults_and_flags_win() {
        let s = start(&Flags::default(), PROD, "prod").unwrap();
        assert_eq!(s.endpoints, ["https://a:2379", "https://b:2379"]);
        assert_eq!(
            (s.user.as_deref(), s.prefix.as_str()),
            (Some("alice"), "/registry/")
        );
        assert_eq!(s.dial_timeout, 7 * SECOND);
        assert_eq!(s.command_timeout, DEFAULT_COMMAND_TIMEOUT);
        assert_eq!(s.delimiter, "/");
        assert_eq!(s.context.as_deref(), Some("prod"));
        assert!(s.read_only);
        // Given on the command line (or in ETCDCTL_*): kept.
        let flags = Flags {
            endpoints: Some(vec!["x:1".into()]),
            prefix: Some("/mine/".into()),
            ..Flags::default()
        };
        let s = start(&flags, PROD, "prod").unwrap();
        assert_eq!(s.endpoints, ["x:1"]);
        assert_eq!(s.prefix, "/mine/");
        assert_eq!(s.user.as_deref(), Some("alice"));
    }

    /// Each layer, field by field: a flag beats the context, the context
    /// beats the default, and without either the default stands.
    #[test]
    fn each_field_takes_the_flag_then_the_context_then_the_default() {
        let all = r#"
            [contexts.all]
            endpoints = ["c:1"]
            user = "cu"
            password = "cp"
            cacert = "/c/ca"
            cert = "/c/cert"
            key = "/c/key"
            insecure_skip_tls_verify = true
            tls_server_name = "c.name"
            ssh = "c@jump"
            ssh_config = "/c/ssh"
            dial_timeout = "3s"
            command_timeout = "4s"
            prefix = "/c/"
            delimiter = ":"
            color = "blue"
            [contexts.none]
            "#;
        let flags = Flags {
            endpoints: Some(vec!["f:1".into()]),
            user: Some("fu".into()),
            password: Some("fp".into()),
            cacert: Some("/f/ca".into()),
            cert: Some("/f/cert".into()),
            key: Some("/f/key".into()),
            insecure_skip_tls_verify: Some(false),
            tls_server_name: Some("f.name".into()),
            ssh: Some("f@jump".into()),
            ssh_config: Some("/f/ssh".into()),
            dial_timeout: Some(11 * SECOND),
            command_timeout: Some(12 * SECOND),
            prefix: Some("/f/".into()),
            delimiter: Some("|".into()),
            read_only: false,
        };
        let f = start(&flags, all, "all").unwrap();
        assert_eq!(
            f,
            Settings {
                context: Some("all".into()),
                // Only a context has a colour.
                color: Some(Color::Blue),
                endpoints: vec!["f:1".into()],
                user: Some("fu".into()),
                password: Some("fp".into()),
                cacert: Some("/f/ca".into()),
                cert: Some("/f/cert".into()),
                key: Some("/f/key".into()),
                // A flag's false beats the context's true.
                insecure_skip_tls_verify: false,
                tls_server_name: Some("f.name".into()),
                ssh: Some("f@jump".into()),
                ssh_config: Some("/f/ssh".into()),
                metrics_urls: Vec::new(),
                dial_timeout: 11 * SECOND,
                command_timeout: 12 * SECOND,
                prefix: "/f/".into(),
                delimiter: "|".into(),
                read_only: false,
            }
        );
        let c = start(&Flags::default(), all, "all").unwrap();
        assert_eq!(
            c,
            Settings {
                context: Some("all".into()),
                color: Some(Color::Blue),
                endpoints: vec!["c:1".into()],
                user: Some("cu".into()),
                password: Some("cp".into()),
                cacert: Some("/c/ca".into()),
                cert: Some("/c/cert".into()),
                key: Some("/c/key".into()),
                insecure_skip_tls_verify: true,
                tls_server_name: Some("c.name".into()),
                ssh: Some("c@jump".into()),
                ssh_config: Some("/c/ssh".into()),
                metrics_urls: Vec::new(),
                dial_timeout: 3 * SECOND,
                command_timeout: 4 * SECOND,
                prefix: "/c/".into(),
                delimiter: ":".into(),
                read_only: false,
            }
        );
        // An empty context and no flags: the defaults, as with no context.
        let d = start(&Flags::default(), all, "none").unwrap();
        assert_eq!(
            d,
            Settings {
                context: Some("none".into()),
                ..Settings::default()
            }
        );
        assert_eq!(
            Settings::default(),
            Settings {
                context: None,
                color: None,
                endpoints: vec![DEFAULT_ENDPOINT.into()],
                user: None,
                password: None,
                cacert: None,
                cert: None,
                key: None,
                insecure_skip_tls_verify: false,
                tls_server_name: None,
                ssh: None,
                ssh_config: None,
                metrics_urls: Vec::new(),
                dial_timeout: DEFAULT_DIAL_TIMEOUT,
                command_timeout: DEFAULT_COMMAND_TIMEOUT,
                prefix: String::new(),
                delimiter: "/".into(),
                read_only: false,
            }
        );
        // Flags alone (no config file, or no context chosen).
        let alone = resolve(&flags, None, &Defaults::default()).unwrap();
        assert_eq!(
            alone,
            Settings {
                context: None,
                color: None,
                ..f
            }
        );
    }

    /// Read-only is added by the flag or the context, never taken away.
    #[test]
    fn read_only_comes_from_either_layer() {
        let text =
            "[contexts.ro]\nread_only = true\n[contexts.rw]\nread_only = false\n[contexts.plain]\n";
        let ro = Flags {
            read_only: true,
            ..Flags::default()
        };
        for (flags, name, expected) in [
            (&Flags::default(), "ro", true),
            (&Flags::default(), "rw", false),
            (&Flags::default(), "plain", false),
            (&ro, "ro", true),
            (&ro, "rw", true),
            (&ro, "plain", true),
        ] {
            assert_eq!(
                start(flags, text, name).unwrap().read_only,
                expected,
                "{flags:?} {name}"
            );
            // The same on a switch after a start with those flags.
            assert_eq!(book(text, flags).resolve(name).unwrap().read_only, expected);
        }
        let rows = book(text, &ro).entries();
        assert!(rows.iter().all(|r| r.read_only));
        let rows = book(text, &Flags::default()).entries();
        assert_eq!(
            rows.iter().map(|r| r.read_only).collect::<Vec<_>>(),
            [false, true, false]
        );
    }

    /// Start-up and `:ctx` resolve a context the same way: the same
    /// settings for the same context, whatever the start's flags that a
    /// switch does not keep.
    #[test]
    fn start_up_and_a_switch_give_the_same_settings() {
        let text = format!(
            "{PROD}\n[contexts.far]\nendpoints = [\"10.0.0.1:2379\"]\ninsecure_skip_tls_verify = true\ntls_server_name = \"etcd.internal\"\nssh = \"alice@bastion\"\nssh_config = \"/tmp/ssh_config\"\ndelimiter = \":\"\ncolor = \"#ff8000\"\n[contexts.empty]\n"
        );
        for name in ["prod", "far", "empty"] {
            let at_start = start(&Flags::default(), &text, name).unwrap();
            assert_eq!(
                book(&text, &Flags::default()).resolve(name).unwrap(),
                at_start,
                "{name}"
            );
            // A switch after a start elsewhere, with flags it does not keep.
            let elsewhere = Flags {
                endpoints: Some(vec!["x:1".into()]),
                user: Some("root".into()),
                prefix: Some("/mine/".into()),
                delimiter: Some("|".into()),
                insecure_skip_tls_verify: Some(false),
                ..Flags::default()
            };
            assert_eq!(
                book(&text, &elsewhere).resolve(name).unwrap(),
                at_start,
                "{name}"
            );
        }
        // What a switch keeps (--read-only, the timeouts) with a context
        // that sets neither: the same as a start with those flags.
        let kept = Flags {
            read_only: true,
            dial_timeout: Some(3 * SECOND),
            command_timeout: Some(9 * SECOND),
            ..Flags::default()
        };
        assert_eq!(
            book(&text, &kept).resolve("far").unwrap(),
            start(&kept, &text, "far").unwrap()
        );
    }

    /// A switch starts from the defaults, not from the context it leaves;
    /// the start's timeouts (under a context's own) and `--read-only` stay.
    #[test]
    fn a_switch_takes_the_context_over_the_defaults() {
        let kept = Flags {
            dial_timeout: Some(3 * SECOND),
            command_timeout: Some(9 * SECOND),
            ..Flags::default()
        };
        let text = "[contexts.a]\nendpoints = [\"x:1\"]\nprefix = \"/a/\"\ndelimiter = \":\"\ndial_timeout = \"1s\"\ncolor = \"#ff8000\"\n[contexts.b]\n";
        let b = book(text, &kept);
        let a = b.resolve("a").unwrap();
        assert_eq!(a.endpoints, ["x:1"]);
        assert_eq!((a.prefix.as_str(), a.delimiter.as_str()), ("/a/", ":"));
        // The context's own timeout beats the start's flag on a switch
        // (at start-up, the flag beats it).
        assert_eq!(a.dial_timeout, SECOND);
        assert_eq!(start(&kept, text, "a").unwrap().dial_timeout, 3 * SECOND);
        assert_eq!(a.command_timeout, 9 * SECOND);
        assert_eq!(a.color, Some(Color::Rgb(255, 128, 0)));
        assert!(!a.read_only);
        let other = b.resolve("b").unwrap();
        assert_eq!(other.endpoints, [DEFAULT_ENDPOINT]);
        assert_eq!((other.prefix.as_str(), other.delimiter.as_str()), ("", "/"));
        assert_eq!(other.dial_timeout, 3 * SECOND);
        assert_eq!(other.color, None);
        // --read-only at start: every context.
        let ro = Flags {
            read_only: true,
            ..Flags::default()
        };
        assert!(book("[contexts.b]\n", &ro).resolve("b").unwrap().read_only);
        assert_eq!(
            b.resolve("nope").unwrap_err(),
            "no context \"nope\" in config.toml (:ctx lists them)"
        );
    }

    #[test]
    fn a_user_without_a_password_needs_etcdctl_password_on_a_switch() {
        let b = book(
            "[contexts.p]\nuser = \"alice\"\n[contexts.q]\nuser = \"bob:pw\"\n[contexts.r]\nuser = \"carol\"\npassword = \"own\"\n",
            &Flags::default(),
        );
        let e = b.connection("p", None).unwrap_err();
        assert_eq!(
            e,
            "context p needs the password of alice: set it in ETCDCTL_PASSWORD before starting etcdlens, or as password in config.toml"
        );
        let (_, p) = b.connection("p", Some("secret".into())).unwrap();
        assert_eq!(p.user, Some(("alice".into(), "secret".into())));
        // A password in the file beats ETCDCTL_PASSWORD on a switch.
        let (_, q) = b.connection("q", Some("other".into())).unwrap();
        assert_eq!(q.user, Some(("bob".into(), "pw".into())));
        let (_, r) = b.connection("r", Some("other".into())).unwrap();
        assert_eq!(r.user, Some(("carol".into(), "own".into())));
        // The list never shows an inline password.
        assert_eq!(b.entries()[1].user.as_deref(), Some("bob"));
    }

    /// At start-up a password given (flag or ETCDCTL_PASSWORD) beats the
    /// context's; one inside `user` beats both; none asks.
    #[test]
    fn start_up_credentials_take_the_flags_first() {
        let text = "[contexts.r]\nuser = \"carol\"\npassword = \"own\"\n[contexts.i]\nuser = \"dave:inline\"\n[contexts.n]\nuser = \"erin\"\n";
        let given = Flags {
            password: Some("given".into()),
            ..Flags::default()
        };
        let ask = |_: &str| -> Result<String, String> { Ok("asked".into()) };
        let user = |flags: &Flags, name: &str| {
            start(flags, text, name)
                .unwrap()
                .connection(ask)
                .unwrap()
                .user
                .unwrap()
        };
        assert_eq!(user(&given, "r"), ("carol".into(), "given".into()));
        assert_eq!(user(&Flags::default(), "r"), ("carol".into(), "own".into()));
        assert_eq!(user(&given, "i"), ("dave".into(), "inline".into()));
        assert_eq!(
            user(&Flags::default(), "n"),
            ("erin".into(), "asked".into())
        );
        // A user given on the command line over the context's.
        let root = Flags {
            user: Some("root:pw".into()),
            ..Flags::default()
        };
        assert_eq!(user(&root, "r"), ("root".into(), "pw".into()));
    }

    /// The TLS and tunnel keys reach the connection settings, at start
    /// (flags win) and on a switch.
    #[test]
    fn tls_and_ssh_keys_reach_the_connection() {
        let text = "[contexts.far]\nendpoints = [\"10.0.0.1:2379\"]\ninsecure_skip_tls_verify = true\ntls_server_name = \"etcd.internal\"\nssh = \"alice@bastion\"\nssh_config = \"/tmp/ssh_config\"\nmetrics_urls = [\"http://10.0.0.1:2381\"]\n";
        let never = |_: &str| -> Result<String, String> { unreachable!() };
        let resolved = start(&Flags::default(), text, "far").unwrap();
        assert_eq!(resolved.metrics_urls, ["http://10.0.0.1:2381"]);
        let s = resolved.connection(never).unwrap();
        assert!(s.insecure_skip_tls_verify && s.wants_tls());
        assert_eq!(s.tls_server_name.as_deref(), Some("etcd.internal"));
        assert_eq!(s.ssh.as_deref(), Some("alice@bastion"));
        assert_eq!(s.ssh_config, Some(PathBuf::from("/tmp/ssh_config")));
        let flags = Flags {
            tls_server_name: Some("other".into()),
            ssh: Some("bob@jump".into()),
            ..Flags::default()
        };
        let s = start(&flags, text, "far").unwrap();
        assert_eq!(
            (s.tls_server_name.as_deref(), s.ssh.as_deref()),
            (Some("other"), Some("bob@jump"))
        );
        let (_, r) = book(text, &Flags::default())
            .connection("far", None)
            .unwrap();
        assert!(r.insecure_skip_tls_verify);
        assert_eq!(r.tls_server_name.as_deref(), Some("etcd.internal"));
        assert_eq!(r.ssh.as_deref(), Some("alice@bastion"));
        assert_eq!(r.ssh_config, Some(PathBuf::from("/tmp/ssh_config")));
        assert!(
            crate::config::list(std::path::Path::new("c.toml"), &file(text))
                .contains("\tssh=alice@bastion")
        );
    }

    /// Issue 16.10: an empty delimiter is refused from a context as from
    /// the flag; bad durations and `endpoints = []` are errors too; each
    /// names only the field (start-up and a switch name the context their
    /// own way).
    #[test]
    fn bad_context_values_are_errors() {
        let bad = "[contexts.d]\ndelimiter = \"\"\n[contexts.t]\ndial_timeout = \"soon\"\n[contexts.c]\ncommand_timeout = \"later\"\n[contexts.e]\nendpoints = []\n";
        let none = Flags::default();
        let e = start(&none, bad, "d").unwrap_err();
        assert_eq!(e, "the delimiter cannot be empty");
        let e = start(&none, bad, "t").unwrap_err();
        assert!(e.starts_with("bad duration \"soon\": "), "{e}");
        assert!(start(&none, bad, "c").is_err());
        let e = start(&none, bad, "e").unwrap_err();
        assert!(e.starts_with("endpoints = [] names no endpoint"), "{e}");
        let b = book(bad, &none);
        assert_eq!(
            b.resolve("d").unwrap_err(),
            "context d: the delimiter cannot be empty"
        );
        assert!(b
            .resolve("t")
            .unwrap_err()
            .starts_with("context t: bad duration \"soon\": "));
        assert!(b
            .resolve("e")
            .unwrap_err()
            .starts_with("context e: endpoints = [] names no endpoint"));
        // A value a flag hides is not read at start-up.
        let hiding = Flags {
            delimiter: Some("/".into()),
            dial_timeout: Some(SECOND),
            endpoints: Some(vec!["x:1".into()]),
            ..none
        };
        for name in ["d", "t", "e"] {
            assert!(start(&hiding, bad, name).is_ok(), "{name}");
        }
    }

    #[test]
    fn debug_never_shows_a_password() {
        let s = start(
            &Flags {
                password: Some("hunter2".into()),
                ..Flags::default()
            },
            "[contexts.a]\nuser = \"bob:swordfish\"\n",
            "a",
        )
        .unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("swordfish") && shown.contains("bob"),
            "{shown}"
        );
        let flags = Flags {
            user: Some("bob:swordfish".into()),
            password: Some("hunter2".into()),
            ..Flags::default()
        };
        let shown = format!("{flags:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("swordfish"),
            "{shown}"
        );
    }
}
