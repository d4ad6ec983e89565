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
//! metrics_urls = ["http://10.0.0.1:2381"]  # /metrics, when not on the client URLs
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
//! Flags and `ETCDCTL_*` variables override what a context says (the
//! resolver is `settings::resolve`; this module only reads the file). A password
//! is only there if the user writes one (`password = …`, or
//! `user = "name:password"`); etcdlens warns when such a file can be read
//! by others, on stderr and in the TUI's status bar for the whole session.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
    /// Where the metrics view reads `/metrics` (etcd's
    /// `--listen-metrics-urls`), instead of each member's client URL.
    pub metrics_urls: Option<Vec<String>>,
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

/// `user`'s two forms (etcdctl's `--user`): `name` or `name:password`.
pub fn split_user(user: &str) -> (String, Option<String>) {
    match user.split_once(':') {
        Some((n, p)) => (n.to_string(), Some(p.to_string())),
        None => (user.to_string(), None),
    }
}

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
            esc(&c.user.as_deref().map_or("-".into(), |u| split_user(u).0)),
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

    /// (A bad duration is the resolver's: `settings`' tests.)
    #[test]
    fn unknown_fields_are_errors() {
        assert!(toml::from_str::<ConfigFile>("[contexts.a]\nendpoint = [\"x\"]").is_err());
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
