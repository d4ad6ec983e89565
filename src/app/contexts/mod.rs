//! Contexts inside the TUI (`:ctx`): the named contexts of config.toml, the
//! one in use (named in the status bar, its colour on the borders), and a
//! switch to another one under way.
//!
//! A switch connects off the UI loop (`Cmd::SwitchContext`, run by
//! `runtime`); when the connection is made, the runtime replaces the
//! worker and its message channel (so nothing the old connection's tasks
//! send can reach the new state) and `update` starts a fresh state
//! (`Msg::ContextSwitched`). A failed switch changes nothing but the
//! status line.

pub mod update;

use ratatui::style::Color;

/// One context of config.toml, as the `:ctx` list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEntry {
    pub name: String,
    /// Comma-separated.
    pub endpoints: String,
    /// The user name (never a password).
    pub user: Option<String>,
    pub prefix: String,
    /// Its own `read_only`, or `--read-only` given at start.
    pub read_only: bool,
    pub color: Option<Color>,
    /// The file's `default_context`.
    pub default: bool,
}

/// The context in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub name: String,
    pub color: Option<Color>,
}

/// The `:ctx` list, when open.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextsView {
    pub selected: usize,
    pub offset: usize,
}

/// A switch under way: request `id`, to context `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switching {
    pub id: u64,
    pub name: String,
}

/// A switch's connection is made: what the fresh state starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switched {
    pub name: String,
    pub endpoints: String,
    /// The cluster revision the connection check saw.
    pub revision: i64,
    pub prefix: Vec<u8>,
    pub delimiter: Vec<u8>,
    pub read_only: bool,
    /// Its `metrics_urls`.
    pub metrics_urls: Vec<String>,
    pub color: Option<Color>,
    /// The context does not check the servers' certificates.
    pub tls_not_verified: bool,
}
