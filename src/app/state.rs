//! The one `State` of the application.

use std::time::{Duration, Instant};

use ratatui::layout::Rect;

use super::changes::ChangesView;
use super::cluster::ClusterView;
use super::command::CommandLine;
use super::dialogs::Prompt;
use super::elections::ElectionView;
use super::history::HistoryView;
use super::keymap::Keymap;
use super::tree::{Row, Tree};
use super::value::{ValueStatus, ValueView};
use super::watch::log::{EventLog, DEFAULT_CAPACITY};
use super::watch::WatchView;
use super::writes::editor::{EditContext, Editor};
use super::writes::Conflict;
// The y/N question lives in `dialogs`; named here too for the features
// that import it from `state`.
pub use super::dialogs::{Confirm, ConfirmAction};
use crate::etcd::types::EventKind;
use crate::ui::layout;

/// How long a transient status-bar message stays (a result stays until a
/// key is pressed: [`Message::result`]).
pub const MESSAGE_TTL: Duration = Duration::from_secs(6);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Keys,
    Value,
    Events,
    Leader,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Keys, Pane::Value, Pane::Events, Pane::Leader];
}

#[derive(Debug, Clone)]
pub struct Message {
    pub text: String,
    pub error: bool,
    pub at: Instant,
    /// The key the message is about: it goes when another key is selected.
    pub about: Option<Vec<u8>>,
    /// The result of a long operation (undelete, a prefix delete, find's
    /// delete-all, an apply, an export): it does not expire, a transient
    /// message does not replace it, and the next key press dismisses it
    /// (`Esc` does only that).
    pub result: bool,
}

#[derive(Debug, Default)]
pub struct FilterInput {
    pub text: String,
    /// Still typing (keys go to the filter, not to navigation).
    pub editing: bool,
}

#[derive(Debug)]
pub struct State {
    pub tree: Tree,
    /// Index into `tree.rows` of the selected row.
    pub selected: usize,
    /// First row shown in the Keys pane.
    pub offset: usize,
    pub focus: Pane,
    pub value: ValueView,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Shown in the status bar: where we are connected.
    pub endpoints: String,
    pub revision: i64,
    pub read_only: bool,
    /// Browsing a file, not a cluster (`etcdlens open FILE`): the status
    /// bar's `offline: FILE @ rev N (read-only)`; no live watch.
    pub offline: Option<String>,
    /// The servers' certificates are not checked
    /// (`--insecure-skip-tls-verify`): said in the status bar, always.
    pub tls_not_verified: bool,
    pub message: Option<Message>,
    pub help: bool,
    /// Lines the help is scrolled down.
    pub help_scroll: usize,
    pub filter: FilterInput,
    pub now: Instant,
    pub quit: bool,
    pub events: EventLog,
    pub watch: WatchView,
    /// Watch events not yet applied to the tree: they are applied, and the
    /// rows rebuilt, once per frame however many came in.
    pub pending_tree: Vec<(i64, EventKind, Vec<u8>, i64)>,
    /// The shown key changed: refresh it at the next frame.
    pub value_dirty: bool,
    /// Followed elections, in the order they were added.
    pub elections: Vec<ElectionView>,
    /// Selected election in the Leader pane.
    pub election_selected: usize,
    /// A write waiting for `y`.
    pub confirm: Option<Confirm>,
    /// The inline editor, when open (over the Value pane).
    pub editor: Option<Editor>,
    /// A save that did not apply, under review.
    pub conflict: Option<Conflict>,
    /// A boxed dialog: a typed `yes` or a small form (`dialogs`).
    pub prompt: Option<Prompt>,
    /// An edit in the external editor, waiting for it to return.
    pub external: Option<EditContext>,
    pub cluster: ClusterView,
    /// A key's history, when open.
    pub history: Option<HistoryView>,
    /// What changed under a directory (`:changes`), when open.
    pub changes: Option<ChangesView>,
    /// The Kubernetes resource table, when open.
    pub resources: Option<super::resources::ResourceView>,
    /// The `:export` running now.
    pub export: Option<super::transfer::ExportJob>,
    /// The plan of `:import`, `:copy` or `:move`, shown over the right panes.
    pub plan: Option<super::transfer::PlanView>,
    /// Which key does what (defaults and `[keys]` from config.toml).
    pub keymap: Keymap,
    /// Colours: dark, light or none (`ui::theme`).
    pub theme: crate::ui::theme::Theme,
    /// The last left click (cell and when), for telling a double click.
    pub last_click: Option<super::mouse::Click>,
    /// The `:` command line, when open.
    pub command: Option<CommandLine>,
    /// Commands run from the `:` line, oldest first (↑/↓).
    pub command_history: Vec<String>,
    /// Files that could not be written (record, undo journal, log): shown
    /// in the status bar for the rest of the session.
    pub file_warnings: std::collections::BTreeMap<String, String>,
    /// Warnings from the start (config.toml readable by others with a
    /// password in it): shown in the status bar for the rest of the
    /// session, like `file_warnings`.
    pub warnings: Vec<String>,
    /// The server's request limit as etcdlens knows it (etcd's default
    /// unless `--max-request-bytes` says more): bigger writes are refused
    /// before they are sent.
    pub max_request_bytes: usize,
    /// Find results, when shown (they fill the Keys pane).
    pub find: Option<super::find::FindView>,
    /// The usage view (`:du`), when open.
    pub usage: Option<super::usage::UsageView>,
    /// `:top`: the prefixes writing the most.
    pub top: Option<super::top::TopView>,
    /// `:fleet`: every context at a glance.
    pub fleet: Option<super::fleet::FleetView>,
    /// The maintenance view (`:maint`), when open.
    pub maint: Option<super::maint::MaintView>,
    /// The maintenance actions of this session (the one running, the log,
    /// the NOSPACE recovery), kept while the view is closed.
    pub maintenance: super::maint::Maintenance,
    /// The metrics view (`:metrics`), when open.
    pub metrics_view: Option<super::metrics::MetricsView>,
    /// The session's metrics samples, kept while the view is closed.
    pub metrics: super::metrics::Metrics,
    /// The context's `metrics_urls` (empty: each member's client URL).
    pub metrics_urls: Vec<String>,
    /// The access-control view (`:auth`, `:who`), when open.
    pub auth: Option<super::auth::AuthView>,
    /// The leases list (`:leases`), when open.
    pub leases: Option<super::leases::LeasesView>,
    /// The contexts of config.toml (`:ctx`), in name order.
    pub contexts: Vec<super::contexts::ContextEntry>,
    /// The context in use (`None`: flags and environment only).
    pub context: Option<super::contexts::Current>,
    /// The `:ctx` list, when open.
    pub contexts_view: Option<super::contexts::ContextsView>,
    /// A switch to another context, waiting for its connection.
    pub switching: Option<super::contexts::Switching>,
    next_req: u64,
}

impl State {
    pub fn new(prefix: &[u8], delimiter: &[u8], endpoints: String, now: Instant) -> Self {
        State {
            tree: Tree::new(prefix, delimiter),
            selected: 0,
            offset: 0,
            focus: Pane::Keys,
            value: ValueView {
                key: None,
                req: 0,
                status: ValueStatus::Empty,
                scroll: 0,
                changed: None,
                kube_style: Default::default(),
            },
            size: (80, 24),
            endpoints,
            revision: 0,
            read_only: false,
            offline: None,
            tls_not_verified: false,
            message: None,
            help: false,
            help_scroll: 0,
            filter: FilterInput::default(),
            now,
            quit: false,
            events: EventLog::new(prefix.to_vec(), DEFAULT_CAPACITY, now),
            watch: WatchView {
                epoch: 0,
                started: false,
                prefix: prefix.to_vec(),
                status: None,
                refused: None,
            },
            pending_tree: Vec::new(),
            value_dirty: false,
            elections: Vec::new(),
            election_selected: 0,
            confirm: None,
            editor: None,
            conflict: None,
            prompt: None,
            external: None,
            cluster: ClusterView::new(now),
            history: None,
            changes: None,
            resources: None,
            export: None,
            plan: None,
            keymap: Keymap::default(),
            theme: crate::ui::theme::Theme::Dark,
            last_click: None,
            command: None,
            command_history: Vec::new(),
            file_warnings: std::collections::BTreeMap::new(),
            warnings: Vec::new(),
            max_request_bytes: super::writes::editor::DEFAULT_MAX_REQUEST_BYTES,
            find: None,
            usage: None,
            top: None,
            fleet: None,
            maint: None,
            maintenance: Default::default(),
            metrics_view: None,
            metrics: Default::default(),
            metrics_urls: Vec::new(),
            auth: None,
            leases: None,
            contexts: Vec::new(),
            context: None,
            contexts_view: None,
            switching: None,
            next_req: 1,
        }
    }

    /// Where the panes are at the current terminal size (the status bar
    /// takes more rows while its text wraps).
    pub fn areas(&self) -> layout::Areas {
        let screen = Rect::new(0, 0, self.size.0, self.size.1);
        layout::areas_with_status(screen, crate::ui::status::height(self, screen))
    }

    /// Rows of text a pane shows at the current terminal size (a page).
    pub fn page_height(&self, pane: Pane) -> usize {
        let areas = self.areas();
        let rows = match pane {
            Pane::Keys => layout::inner_height(areas.keys),
            Pane::Value => layout::value_text_height(areas.value),
            Pane::Events => layout::inner_height(areas.events),
            Pane::Leader => layout::inner_height(areas.leader),
        };
        rows.max(1)
    }

    /// Columns of value text in the Value pane (where long lines wrap).
    pub fn value_text_width(&self) -> usize {
        let areas = self.areas();
        layout::value_text_width(areas.value)
    }

    /// The first row the Keys pane shows: `offset`, moved down when the
    /// pane just got shorter (a long status message wrapped onto another
    /// row) so the selection stays in view. Drawing and clicks agree on it.
    pub fn shown_offset(&self) -> usize {
        let height = self.page_height(Pane::Keys);
        if self.selected >= self.offset + height {
            self.selected + 1 - height
        } else {
            self.offset
        }
    }

    pub fn selected_row(&self) -> Option<Row> {
        self.tree.rows.get(self.selected).copied()
    }

    /// A fresh state replacing `old` (a context switch) numbers its
    /// requests, listings and watches after `old`'s: an answer meant for
    /// `old` is dropped as stale here too.
    pub fn continue_ids(&mut self, old: &State) {
        self.next_req = self.next_req.max(old.next_req);
        self.watch.epoch = self.watch.epoch.max(old.watch.epoch);
        self.tree.continue_generations(&old.tree);
    }

    pub fn next_request_id(&mut self) -> u64 {
        let id = self.next_req;
        self.next_req += 1;
        id
    }

    /// A transient message (it goes after [`MESSAGE_TTL`]). While a
    /// long operation's result is shown, it waits for no one: dropped.
    pub fn info(&mut self, text: impl Into<String>) {
        self.say(text.into(), false, false);
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.say(text.into(), true, false);
    }

    /// A long operation's result: it stays until a key is pressed.
    pub fn result(&mut self, text: impl Into<String>) {
        self.say(text.into(), false, true);
    }

    /// A long operation's result that is (or ends in) an error.
    pub fn result_error(&mut self, text: impl Into<String>) {
        self.say(text.into(), true, true);
    }

    /// Whether a long operation's result is shown.
    pub fn showing_result(&self) -> bool {
        self.message.as_ref().is_some_and(|m| m.result)
    }

    fn say(&mut self, text: String, error: bool, result: bool) {
        if !result && self.showing_result() {
            return;
        }
        self.message = Some(Message {
            text,
            error,
            at: self.now,
            about: None,
            result,
        });
    }

    /// A warning that stays until a key is pressed (an operation a former
    /// run left unfinished).
    pub fn notice(&mut self, text: impl Into<String>) {
        self.result_error(text);
    }

    /// An error about `key` only (see [`Message::about`]).
    pub fn error_about(&mut self, key: &[u8], text: impl Into<String>) {
        if self.showing_result() {
            return;
        }
        self.error(text);
        if let Some(m) = self.message.as_mut() {
            m.about = Some(key.to_vec());
        }
    }

    /// The selection is now `key` (or no key): a message about another key
    /// goes.
    pub fn selection_is(&mut self, key: Option<&[u8]>) {
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.about.is_some() && m.about.as_deref() != key)
        {
            self.message = None;
        }
    }
}
