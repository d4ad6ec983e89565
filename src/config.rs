//! Named contexts in `etcdlens/config.toml` (in `$XDG_CONFIG_HOME`, else
//! `~/.config`; `ETCDLENS_CONFIG` overrides the path):
//!
//! ```toml
//! default_context = "local"          # used when --context is not given
//!
//! [contexts.prod]
//! endpoints = ["https://10.0.0.1:2379", "https://10.0.0.2:2379"]
//! user = "alice"                     # password: prompt or ETCDCTL_PASSWORD
//! cacert = "/etc/etcd/ca.pem"
//! cert = "/etc/etcd/alice.pem"
//! key = "/etc/etcd/alice-key.pem"
//! tls_server_name = "etcd.internal"  # the name the certificates carry
//! ssh = "alice@bastion"              # through an SSH jump host
//! prefix = "/registry/"
//! read_only = true
//! color = "red"                      # status bar badge and pane borders
//! ```
//!
//! `theme = "light"` makes the colours readable on a light terminal
//! (`NO_COLOR` turns colours off whatever the theme).
//!
//! A `[keys]` table rebinds keys by action name (`?` lists the names):
//!
//! ```toml
//! [keys]
//! edit = "i"
//! quit = ["q", "Ctrl-q"]
//! ```
//!
//! Flags and `ETCDCTL_*` variables override what a context says. A password
//! is only there if the user writes one (`password = …`, or
//! `user = "name:password"`); etcdlens warns when such a file can be read
//! by others, on stderr and in the TUI's status bar for the whole session.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cli::Options;
use crate::etcd::ConnSettings;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
    /// Key bindings: action name → key or keys (`edit = "i"`,
    /// `quit = ["q", "Ctrl-q"]`); see `app::keymap`.
    #[serde(default)]
    pub keys: BTreeMap<String, Keys>,
    /// `"dark"` (the default) or `"light"` for light terminals; `NO_COLOR`
    /// overrides either.
    pub theme: Option<crate::ui::theme::Theme>,
}

/// One key or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Keys {
    One(String),
    Many(Vec<String>),
}

impl ConfigFile {
    /// The key table with `[keys]` applied (errors name the file).
    pub fn keymap(&self, path: &Path) -> Result<crate::app::keymap::Keymap, String> {
        let keys = self
            .keys
            .iter()
            .map(|(action, k)| {
                let list = match k {
                    Keys::One(k) => vec![k.clone()],
                    Keys::Many(ks) => ks.clone(),
                };
                (action.clone(), list)
            })
            .collect();
        crate::app::keymap::Keymap::with_overrides(&keys)
            .map_err(|e| format!("{}: {e}", path.display()))
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Context {
    pub endpoints: Option<Vec<String>>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub insecure_skip_tls_verify: Option<bool>,
    /// The name the servers' certificates are checked against.
    pub tls_server_name: Option<String>,
    /// An SSH jump host (`user@host`) the endpoints are reached through.
    pub ssh: Option<String>,
    /// The config file ssh reads (`ssh -F`) for `ssh`.
    pub ssh_config: Option<PathBuf>,
    pub dial_timeout: Option<String>,
    pub command_timeout: Option<String>,
    pub prefix: Option<String>,
    pub delimiter: Option<String>,
    pub read_only: Option<bool>,
    /// The status bar's context badge and the pane borders: a colour name
    /// (`red`, `light-blue`, …) or `#rrggbb`.
    pub color: Option<String>,
}

/// A context's `color`, read as ratatui reads colour names.
pub fn parse_color(text: &str) -> Result<ratatui::style::Color, String> {
    text.parse().map_err(|_| {
        format!(
            "bad color {:?} (a name like red or light-blue, or #rrggbb)",
            crate::escape::escape_str(text)
        )
    })
}

/// Where the config file is looked for.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ETCDLENS_CONFIG") {
        return Some(p.into());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("etcdlens").join("config.toml"))
}

/// Reads the file; a missing file is an empty config.
pub fn load(path: &Path) -> Result<ConfigFile, String> {
    let file = parse_file(path)?;
    for (name, c) in &file.contexts {
        if let Some(color) = &c.color {
            parse_color(color).map_err(|e| {
                format!(
                    "{}: context {}: {e}",
                    path.display(),
                    crate::escape::escape_str(name)
                )
            })?;
        }
    }
    Ok(file)
}

fn parse_file(path: &Path) -> Result<ConfigFile, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    format!(" (line {line}, column {column})")
                })
                .unwrap_or_default();
            let message = e.message().trim_end().replace('\n', "; ");
            format!("{}{at}: {message}", path.display())
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// A warning when the file holds a password (`password = …`, or
/// `user = "name:password"` as etcdctl's `--user` takes it) and others can
/// read it. It names the contexts that hold one.
pub fn permission_warning(path: &Path, file: &ConfigFile) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let holders: Vec<&str> = file
        .contexts
        .iter()
        .filter(|(_, c)| c.password.is_some() || c.user.as_deref().is_some_and(|u| u.contains(':')))
        .map(|(name, _)| name.as_str())
        .collect();
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (!holders.is_empty() && mode & 0o077 != 0).then(|| {
        format!(
            "{} holds a password (context {}) and is readable by others (mode {:o}): chmod 600 it, or use the prompt or ETCDCTL_PASSWORD",
            path.display(),
            holders.join(", "),
            mode & 0o777
        )
    })
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

/// Fills in what the flags and environment left at their defaults from
/// `ctx` (errors say what is wrong; the caller names the context). `explicit(name)` tells whether an option was given (flag or env).
pub fn apply(
    opts: &mut Options,
    ctx: &Context,
    explicit: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let duration =
        |s: &str| humantime::parse_duration(s).map_err(|e| format!("bad duration {s:?}: {e}"));
    if !explicit("endpoints") {
        if let Some(v) = &ctx.endpoints {
            check_endpoints(v)?;
            opts.endpoints = v.clone();
        }
    }
    if !explicit("user") && ctx.user.is_some() {
        opts.user = ctx.user.clone();
    }
    if !explicit("password") && ctx.password.is_some() {
        opts.password = ctx.password.clone();
    }
    if !explicit("cacert") && ctx.cacert.is_some() {
        opts.cacert = ctx.cacert.clone();
    }
    if !explicit("cert") && ctx.cert.is_some() {
        opts.cert = ctx.cert.clone();
    }
    if !explicit("key") && ctx.key.is_some() {
        opts.key = ctx.key.clone();
    }
    if !explicit("insecure_skip_tls_verify") {
        if let Some(v) = ctx.insecure_skip_tls_verify {
            opts.insecure_skip_tls_verify = v;
        }
    }
    if !explicit("tls_server_name") && ctx.tls_server_name.is_some() {
        opts.tls_server_name = ctx.tls_server_name.clone();
    }
    if !explicit("ssh") && ctx.ssh.is_some() {
        opts.ssh = ctx.ssh.clone();
    }
    if !explicit("ssh_config") && ctx.ssh_config.is_some() {
        opts.ssh_config = ctx.ssh_config.clone();
    }
    if !explicit("dial_timeout") {
        if let Some(v) = &ctx.dial_timeout {
            opts.dial_timeout = duration(v)?;
        }
    }
    if !explicit("command_timeout") {
        if let Some(v) = &ctx.command_timeout {
            opts.command_timeout = duration(v)?;
        }
    }
    if !explicit("prefix") {
        if let Some(v) = &ctx.prefix {
            opts.prefix = v.clone();
        }
    }
    if !explicit("delimiter") {
        if let Some(v) = &ctx.delimiter {
            // As the flag: an empty delimiter would make every key a
            // directory of itself.
            if v.is_empty() {
                return Err("the delimiter cannot be empty".into());
            }
            opts.delimiter = v.clone();
        }
    }
    // read-only can only be added, never taken away, by a flag.
    if let Some(true) = ctx.read_only {
        opts.read_only = true;
    }
    Ok(())
}

/// The contexts of config.toml as the TUI switches between them (`:ctx`).
/// A switch starts from the defaults, not from the context it leaves: only
/// what is kept for the whole session is here.
#[derive(Debug)]
pub struct ContextBook {
    pub path: PathBuf,
    pub file: ConfigFile,
    /// `--read-only` given at start: every context is read-only.
    pub read_only: bool,
    /// The start's timeouts (flags or defaults), for contexts that set none.
    pub dial_timeout: Duration,
    pub command_timeout: Duration,
}

/// What a switch to a context connects with and starts from.
#[derive(Debug)]
pub struct Resolved {
    pub settings: ConnSettings,
    pub prefix: Vec<u8>,
    pub delimiter: Vec<u8>,
    pub read_only: bool,
    pub color: Option<ratatui::style::Color>,
}

impl ContextBook {
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
                    .unwrap_or_else(|| vec![DEFAULT_ENDPOINT.into()])
                    .join(","),
                // Never a password written inline.
                user: c.user.as_deref().map(|u| crate::cli::split_user(u).0),
                prefix: c.prefix.clone().unwrap_or_default(),
                read_only: self.read_only || c.read_only == Some(true),
                color: c.color.as_deref().and_then(|c| parse_color(c).ok()),
                default: self.file.default_context.as_deref() == Some(name),
            })
            .collect()
    }

    /// Context `name`'s fields over the defaults. A user without a
    /// password takes `ETCDCTL_PASSWORD` (`password_env`); there is no
    /// prompt inside the TUI, so without either the switch is refused.
    pub fn resolve(&self, name: &str, password_env: Option<String>) -> Result<Resolved, String> {
        let esc = crate::escape::escape_str;
        let ctx = self.file.contexts.get(name).ok_or_else(|| {
            format!(
                "no context {:?} in {} (:ctx lists them)",
                esc(name),
                self.path.display()
            )
        })?;
        let duration = |s: &Option<String>, default: Duration| match s {
            Some(s) => humantime::parse_duration(s)
                .map_err(|e| format!("context {}: bad duration {s:?}: {e}", esc(name))),
            None => Ok(default),
        };
        let user = crate::cli::credentials(ctx.user.as_deref(), ctx.password.clone(), |user| {
            password_env.ok_or_else(|| {
                format!(
                    "context {} needs the password of {}: set it in ETCDCTL_PASSWORD before starting etcdlens, or as password in config.toml",
                    esc(name),
                    esc(user)
                )
            })
        })?;
        if let Some(v) = &ctx.endpoints {
            check_endpoints(v).map_err(|e| format!("context {}: {e}", esc(name)))?;
        }
        let delimiter = ctx.delimiter.clone().unwrap_or_else(|| "/".into());
        if delimiter.is_empty() {
            return Err(format!(
                "context {}: the delimiter cannot be empty",
                esc(name)
            ));
        }
        let color = ctx.color.as_deref().map(parse_color).transpose()?;
        Ok(Resolved {
            settings: ConnSettings {
                endpoints: ctx
                    .endpoints
                    .clone()
                    .unwrap_or_else(|| vec![DEFAULT_ENDPOINT.into()]),
                user,
                cacert: ctx.cacert.clone(),
                cert: ctx.cert.clone(),
                key: ctx.key.clone(),
                insecure_skip_tls_verify: ctx.insecure_skip_tls_verify.unwrap_or(false),
                tls_server_name: ctx.tls_server_name.clone(),
                ssh: ctx.ssh.clone(),
                ssh_config: ctx.ssh_config.clone(),
                dial_timeout: duration(&ctx.dial_timeout, self.dial_timeout)?,
                command_timeout: duration(&ctx.command_timeout, self.command_timeout)?,
            },
            prefix: ctx.prefix.clone().unwrap_or_default().into_bytes(),
            delimiter: delimiter.into_bytes(),
            read_only: self.read_only || ctx.read_only == Some(true),
            color,
        })
    }
}

/// `--endpoints`' default.
pub const DEFAULT_ENDPOINT: &str = "127.0.0.1:2379";

/// `etcdlens contexts`: one line per context.
pub fn list(path: &Path, file: &ConfigFile) -> String {
    let mut out = format!(
        "# {}\n",
        crate::escape::escape_str(&path.display().to_string())
    );
    if file.contexts.is_empty() {
        out.push_str("no contexts defined\n");
    }
    for (name, c) in &file.contexts {
        let default = if file.default_context.as_deref() == Some(name) {
            " (default)"
        } else {
            ""
        };
        let esc = crate::escape::escape_str;
        out.push_str(&format!(
            "{}{default}\tendpoints={}\tuser={}\tprefix={}{}{}{}\n",
            esc(name),
            esc(&c
                .endpoints
                .as_ref()
                .map(|e| e.join(","))
                .unwrap_or_else(|| "-".into())),
            // The name only: never a password written inline.
            esc(&c
                .user
                .as_deref()
                .map_or("-".into(), |u| crate::cli::split_user(u).0)),
            esc(c.prefix.as_deref().unwrap_or("-")),
            if c.read_only == Some(true) {
                "\tread-only"
            } else {
                ""
            },
            c.color
                .as_deref()
                .map(|c| format!("\tcolor={}", esc(c)))
                .unwrap_or_default(),
            c.ssh
                .as_deref()
                .map(|s| format!("\tssh={}", esc(s)))
                .unwrap_or_default(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn opts(args: &[&str]) -> Options {
        let mut all = vec!["etcdlens"];
        all.extend_from_slice(args);
        crate::cli::Cli::try_parse_from(all).unwrap().opts
    }

    fn ctx() -> Context {
        toml::from_str::<ConfigFile>(
            r#"
            [contexts.prod]
            endpoints = ["https://a:2379", "https://b:2379"]
            user = "alice"
            prefix = "/registry/"
            dial_timeout = "7s"
            read_only = true
            "#,
        )
        .unwrap()
        .contexts["prod"]
            .clone()
    }

    #[test]
    fn the_context_fills_defaults_and_flags_win() {
        let mut o = opts(&[]);
        apply(&mut o, &ctx(), &|_| false).unwrap();
        assert_eq!(o.endpoints, ["https://a:2379", "https://b:2379"]);
        assert_eq!(
            (o.user.as_deref(), o.prefix.as_str()),
            (Some("alice"), "/registry/")
        );
        assert_eq!(o.dial_timeout, std::time::Duration::from_secs(7));
        assert!(o.read_only);
        // Given on the command line (or in ETCDCTL_*): kept.
        let mut o = opts(&["--endpoints", "x:1", "--prefix", "/mine/"]);
        apply(&mut o, &ctx(), &|name| {
            name == "endpoints" || name == "prefix"
        })
        .unwrap();
        assert_eq!(o.endpoints, ["x:1"]);
        assert_eq!(o.prefix, "/mine/");
        assert_eq!(o.user.as_deref(), Some("alice"));
    }

    /// The TLS and tunnel keys reach the connection settings, at start
    /// (flags win) and on a switch.
    #[test]
    fn tls_and_ssh_keys_reach_the_settings() {
        let text = "[contexts.far]\nendpoints = [\"10.0.0.1:2379\"]\ninsecure_skip_tls_verify = true\ntls_server_name = \"etcd.internal\"\nssh = \"alice@bastion\"\nssh_config = \"/tmp/ssh_config\"\n";
        let file: ConfigFile = toml::from_str(text).unwrap();
        let ctx = &file.contexts["far"];
        let mut o = opts(&[]);
        apply(&mut o, ctx, &|_| false).unwrap();
        let s = o.conn_settings().unwrap();
        assert!(s.insecure_skip_tls_verify && s.wants_tls());
        assert_eq!(s.tls_server_name.as_deref(), Some("etcd.internal"));
        assert_eq!(s.ssh.as_deref(), Some("alice@bastion"));
        assert_eq!(s.ssh_config, Some(PathBuf::from("/tmp/ssh_config")));
        let mut o = opts(&["--tls-server-name", "other", "--ssh", "bob@jump"]);
        apply(&mut o, ctx, &|name| {
            name == "tls_server_name" || name == "ssh"
        })
        .unwrap();
        assert_eq!(
            (o.tls_server_name.as_deref(), o.ssh.as_deref()),
            (Some("other"), Some("bob@jump"))
        );
        let r = book(text, false).resolve("far", None).unwrap().settings;
        assert!(r.insecure_skip_tls_verify);
        assert_eq!(r.tls_server_name.as_deref(), Some("etcd.internal"));
        assert_eq!(r.ssh.as_deref(), Some("alice@bastion"));
        assert_eq!(r.ssh_config, Some(PathBuf::from("/tmp/ssh_config")));
        assert!(list(Path::new("c.toml"), &file).contains("\tssh=alice@bastion"));
    }

    fn book(text: &str, read_only: bool) -> ContextBook {
        ContextBook {
            path: "config.toml".into(),
            file: toml::from_str(text).unwrap(),
            read_only,
            dial_timeout: std::time::Duration::from_secs(3),
            command_timeout: std::time::Duration::from_secs(9),
        }
    }

    /// A switch starts from the defaults, not from the context it leaves;
    /// the start's timeouts and `--read-only` stay.
    #[test]
    fn a_switch_takes_the_context_over_the_defaults() {
        let b = book(
            "[contexts.a]\nendpoints = [\"x:1\"]\nprefix = \"/a/\"\ndelimiter = \":\"\ndial_timeout = \"1s\"\ncolor = \"#ff8000\"\n[contexts.b]\n",
            false,
        );
        let a = b.resolve("a", None).unwrap();
        assert_eq!(a.settings.endpoints, ["x:1"]);
        assert_eq!(
            (a.prefix.as_slice(), a.delimiter.as_slice()),
            (&b"/a/"[..], &b":"[..])
        );
        assert_eq!(a.settings.dial_timeout, std::time::Duration::from_secs(1));
        assert_eq!(
            a.settings.command_timeout,
            std::time::Duration::from_secs(9)
        );
        assert_eq!(a.color, Some(ratatui::style::Color::Rgb(255, 128, 0)));
        assert!(!a.read_only);
        let other = b.resolve("b", None).unwrap();
        assert_eq!(other.settings.endpoints, [DEFAULT_ENDPOINT]);
        assert_eq!(
            (other.prefix.as_slice(), other.delimiter.as_slice()),
            (&b""[..], &b"/"[..])
        );
        assert_eq!(
            other.settings.dial_timeout,
            std::time::Duration::from_secs(3)
        );
        assert_eq!(other.color, None);
        // --read-only at start: every context.
        assert!(
            book("[contexts.b]\n", true)
                .resolve("b", None)
                .unwrap()
                .read_only
        );
        assert!(b
            .resolve("nope", None)
            .unwrap_err()
            .contains("no context \"nope\""));
    }

    #[test]
    fn a_user_without_a_password_needs_etcdctl_password() {
        let b = book(
            "[contexts.p]\nuser = \"alice\"\n[contexts.q]\nuser = \"bob:pw\"\n",
            false,
        );
        let e = b.resolve("p", None).unwrap_err();
        assert!(
            e.contains("needs the password of alice") && e.contains("ETCDCTL_PASSWORD"),
            "{e}"
        );
        let p = b.resolve("p", Some("secret".into())).unwrap();
        assert_eq!(p.settings.user, Some(("alice".into(), "secret".into())));
        let q = b.resolve("q", Some("other".into())).unwrap();
        assert_eq!(q.settings.user, Some(("bob".into(), "pw".into())));
        // The list never shows an inline password.
        assert_eq!(b.entries()[1].user.as_deref(), Some("bob"));
    }

    #[test]
    fn a_bad_color_is_an_error_naming_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "[contexts.prod]\ncolor = \"blood\"\n").unwrap();
        let e = load(&p).unwrap_err();
        assert!(e.contains("context prod: bad color \"blood\""), "{e}");
        std::fs::write(&p, "[contexts.prod]\ncolor = \"light-red\"\n").unwrap();
        assert!(load(&p).is_ok());
    }

    /// Issue 16.10: a TOML error names its line and column.
    #[test]
    fn toml_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "[contexts.a]\nuser = \"u\"\nprefix = /nope\n").unwrap();
        let e = load(&p).unwrap_err();
        assert!(e.contains("line 3, column 10"), "{e}");
    }

    /// Issue 16.10: an empty delimiter is refused from a context as from
    /// the flag.
    #[test]
    fn an_empty_delimiter_is_refused_from_a_context_too() {
        let c = Context {
            delimiter: Some(String::new()),
            ..Context::default()
        };
        let e = apply(&mut opts(&[]), &c, &|_| false).unwrap_err();
        assert!(e.contains("delimiter cannot be empty"), "{e}");
    }

    #[test]
    fn unknown_fields_and_bad_durations_are_errors() {
        assert!(toml::from_str::<ConfigFile>("[contexts.a]\nendpoint = [\"x\"]").is_err());
        let c = Context {
            dial_timeout: Some("soon".into()),
            ..Context::default()
        };
        assert!(apply(&mut opts(&[]), &c, &|_| false).is_err());
    }

    #[test]
    fn a_readable_file_with_a_password_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        std::fs::write(&p, "[contexts.a]\nuser = \"u\"\npassword = \"p\"\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let file = load(&p).unwrap();
        assert!(permission_warning(&p, &file).unwrap().contains("chmod 600"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(permission_warning(&p, &file).is_none());
        // No password: nothing to warn about.
        std::fs::write(&p, "[contexts.a]\nuser = \"u\"\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(permission_warning(&p, &load(&p).unwrap()).is_none());
        // A password inside user (`name:password`) is one too.
        std::fs::write(
            &p,
            "[contexts.a]\nuser = \"u\"\n[contexts.b]\nuser = \"root:pw\"\n",
        )
        .unwrap();
        let w = permission_warning(&p, &load(&p).unwrap()).unwrap();
        assert!(w.contains("(context b)") && w.contains("mode 644"), "{w}");
    }
}
