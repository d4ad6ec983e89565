//! The UI loop: one `tokio::select!` over terminal input, etcd results, a
//! one-second tick and the frame deadline. Every message goes through
//! `update`; the screen is drawn at most once per frame (~16 ms) and only
//! when something changed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::{eyre, Result};
use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::app::contexts::Switched;
use crate::app::tree::{Listing, ROOT};
use crate::app::{update, Cmd, Msg, State};
use crate::bench_probe::Probe;
use crate::etcd::Connection;
use crate::settings::{ContextBook, Settings};
use crate::tasks;
use crate::terminal::Session;

const FRAME: Duration = Duration::from_millis(16);

pub struct RunOptions {
    /// The start's settings (`settings::resolve`): context, colour,
    /// prefix, delimiter, read-only.
    pub settings: Settings,
    /// The server's request limit (`--max-request-bytes`).
    pub max_request_bytes: usize,
    /// A first status-bar message (e.g. the demo's ports).
    pub note: Option<String>,
    /// Prefix the Events pane follows (default: the tree's root).
    pub watch: Option<Vec<u8>>,
    /// Append every watch event to this file as JSON lines.
    pub record: Option<PathBuf>,
    /// Rows the event log keeps.
    pub event_log_size: usize,
    /// Elections to follow from the start.
    pub elections: Vec<Vec<u8>>,
    pub bench_report: Option<PathBuf>,
    pub bench_exit: bool,
    /// With `bench_report`: note when the Events title first counts this many.
    pub bench_events: Option<u64>,
    /// When the process started (for the start-up benchmark).
    pub started: Instant,
    pub keymap: crate::app::keymap::Keymap,
    pub theme: crate::ui::theme::Theme,
    /// Warnings from the start (config.toml), in the status bar all along.
    pub warnings: Vec<String>,
    /// The contexts `:ctx` switches between (none without config.toml).
    pub contexts: Option<Arc<ContextBook>>,
    /// Browsing a file (`etcdlens open`): the status bar's words for it.
    pub offline: Option<String>,
}

/// One connection's worker and the channels to it: replaced whole when the
/// context is switched. Dropping it aborts the worker, which aborts every
/// task it started (watch, elections, listings, reads, writes), and closes
/// the message channel, so nothing the old connection's tasks still send
/// reaches the new state.
struct Link {
    cmds: mpsc::Sender<Cmd>,
    msgs: mpsc::Receiver<Msg>,
    worker: tokio::task::JoinHandle<()>,
}

impl Link {
    fn start(
        conn: Connection,
        delimiter: Vec<u8>,
        record: Option<PathBuf>,
        contexts: tasks::Contexts,
    ) -> Link {
        let (msg_tx, msgs) = mpsc::channel::<Msg>(1024);
        let (cmds, cmd_rx) = mpsc::channel::<Cmd>(256);
        let worker = tokio::spawn(tasks::run(
            conn, delimiter, record, contexts, cmd_rx, msg_tx,
        ));
        Link { cmds, msgs, worker }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.worker.abort();
    }
}

/// A switch's connection, or why it could not be made.
type Connected = (u64, Result<(Connection, Switched), String>);

/// Connects to context `name` off the UI loop (the dial timeout bounds
/// it); the answer comes on `done`.
fn connect_context(
    book: Option<&ContextBook>,
    id: u64,
    name: String,
    done: mpsc::Sender<Connected>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let book = book.ok_or("no config file with contexts")?;
    let (s, settings) = book.connection(&name, std::env::var("ETCDCTL_PASSWORD").ok())?;
    // The list shows the endpoints: the line says only why.
    let label = format!("cannot connect to {}: ", settings.endpoints.join(","));
    Ok(tokio::spawn(async move {
        let connected = crate::etcd::connect(&settings)
            .await
            .map_err(|e| e.strip_prefix(&label).map_or(e.clone(), str::to_string));
        let result = connected.map(|conn| {
            let switched = Switched {
                name,
                endpoints: conn.label(),
                revision: conn.revision,
                prefix: s.prefix.into_bytes(),
                delimiter: s.delimiter.into_bytes(),
                read_only: s.read_only,
                metrics_urls: s.metrics_urls,
                color: s.color,
                tls_not_verified: conn.settings.insecure_skip_tls_verify,
            };
            (conn, switched)
        });
        let _ = done.send((id, result)).await;
    }))
}

pub async fn run(conn: Connection, opts: RunOptions) -> Result<()> {
    let contexts = |current: Option<String>| tasks::Contexts {
        book: opts.contexts.clone(),
        current,
    };
    let (endpoints, revision) = (conn.label(), conn.revision);
    let tls_not_verified = conn.settings.insecure_skip_tls_verify;
    // The link holds the only handle on the connection: a switch closes it.
    let start = &opts.settings;
    let mut link = Link::start(
        conn,
        start.delimiter.clone().into_bytes(),
        opts.record.clone(),
        contexts(start.context.clone()),
    );
    // Signals outlive any one connection: their own channel.
    let (signal_tx, mut signal_rx) = mpsc::channel::<Msg>(16);
    crate::terminal::forward_signals(signal_tx)?;
    let (switch_tx, mut switch_rx) = mpsc::channel::<Connected>(4);
    let mut connecting: Option<tokio::task::JoinHandle<()>> = None;

    let now = Instant::now();
    let mut state = State::new(
        start.prefix.as_bytes(),
        start.delimiter.as_bytes(),
        endpoints,
        now,
    );
    state.revision = revision;
    state.read_only = start.read_only || opts.offline.is_some();
    state.offline = opts.offline.clone();
    if state.offline.is_some() {
        // The loopback port the file is served on means nothing to the user.
        state.endpoints = "file".into();
    }
    state.metrics_urls = start.metrics_urls.clone();
    state.tls_not_verified = tls_not_verified;
    state.keymap = opts.keymap.clone();
    state.theme = opts
        .theme
        .with_no_color(std::env::var_os("NO_COLOR").as_deref());
    state.max_request_bytes = opts.max_request_bytes;
    state.contexts = opts
        .contexts
        .as_ref()
        .map(|b| b.entries())
        .unwrap_or_default();
    state.context = start
        .context
        .clone()
        .map(|name| crate::app::contexts::Current {
            name,
            color: start.color,
        });
    state.warnings = opts.warnings.clone();
    if let Some(prefix) = &opts.watch {
        state.watch.prefix = prefix.clone();
    }
    state.events =
        crate::app::watch::log::EventLog::new(state.watch.prefix.clone(), opts.event_log_size, now);
    if let Some(note) = &opts.note {
        state.info(note.clone());
    }
    // An import, copy or move a former run left unfinished (kill -9).
    let journal =
        crate::journal::Journal::open_default().map(|j| j.in_context(start.context.clone()));
    if let Some(left) = journal.and_then(|j| j.interrupted()) {
        state.notice(left.line());
    }

    let mut session = Session::start()?;
    let size = session.terminal.size()?;
    state.size = (size.width, size.height);
    let mut pending = crate::app::tree::update::start(&mut state);
    for name in &opts.elections {
        crate::app::elections::update::follow(&mut state, name.clone(), &mut pending);
    }

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut quitting = false;
    // Read once, not every frame.
    let test_panic = std::env::var_os("ETCDLENS_TEST_PANIC").is_some();
    let mut last_draw = Instant::now() - FRAME;
    let mut probe = match opts.bench_report {
        Some(_) => Probe::new(opts.started, opts.bench_events),
        None => Probe::default(),
    };

    let result: Result<()> = loop {
        for cmd in std::mem::take(&mut pending) {
            match cmd {
                // `update` set `state.quit` too (checked below, after the
                // commands that came with it).
                Cmd::Quit => quitting = true,
                // The terminal is ours: these run here, not in the worker.
                Cmd::ExternalEdit { text } => {
                    drop(events);
                    let result = session.suspend_for(|| crate::terminal::edit_externally(&text));
                    events = EventStream::new();
                    pending.extend(update(&mut state, Msg::ExternalEdited(result)));
                    dirty = true;
                }
                Cmd::Copy(bytes) => crate::terminal::copy_osc52(&bytes),
                Cmd::SwitchContext { id, name } => {
                    // Only the latest switch asked for may land.
                    if let Some(old) = connecting.take() {
                        old.abort();
                    }
                    match connect_context(opts.contexts.as_deref(), id, name, switch_tx.clone()) {
                        Ok(task) => connecting = Some(task),
                        Err(e) => {
                            let msg = Msg::ContextSwitched { id, result: Err(e) };
                            pending.extend(update(&mut state, msg));
                        }
                    }
                }
                cmd => {
                    if link.cmds.send(cmd).await.is_err() {
                        break;
                    }
                }
            }
        }
        if quitting || state.quit {
            break Ok(());
        }
        let frame_due = tokio::time::Instant::from_std(last_draw + FRAME);
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    probe.on_input();
                    let msg = match event {
                        crossterm::event::Event::Mouse(event) => Msg::Mouse { event, at: Instant::now() },
                        event => Msg::Input(event),
                    };
                    pending.extend(update(&mut state, msg));
                    dirty = true;
                }
                Some(Err(e)) => break Err(eyre!("terminal input failed: {e}")),
                None => break Ok(()),
            },
            Some(msg) = link.msgs.recv() => {
                pending.extend(update(&mut state, msg));
                // Drain whatever else is waiting before the next frame.
                while let Ok(msg) = link.msgs.try_recv() {
                    pending.extend(update(&mut state, msg));
                }
                dirty = true;
            }
            Some(msg) = signal_rx.recv() => {
                pending.extend(update(&mut state, msg));
                dirty = true;
            }
            Some((id, result)) = switch_rx.recv() => {
                connecting = None;
                let waited = state.switching.as_ref().is_some_and(|s| s.id == id);
                let result = result.map(|(conn, switched)| {
                    if waited {
                        // The old link goes: its worker, tasks and channel.
                        link = Link::start(
                            conn,
                            switched.delimiter.clone(),
                            opts.record.clone(),
                            contexts(Some(switched.name.clone())),
                        );
                    }
                    switched
                });
                pending.extend(update(&mut state, Msg::ContextSwitched { id, result }));
                dirty = true;
            }
            _ = tick.tick() => {
                pending.extend(update(&mut state, Msg::Tick(Instant::now())));
                dirty = true;
            }
            _ = tokio::time::sleep_until(frame_due), if dirty => {
                pending.extend(update(&mut state, Msg::Frame));
                session.terminal.draw(|f| crate::ui::draw(f, &state))?;
                dirty = false;
                last_draw = Instant::now();
                let measured = probe.after_draw(&state);
                if opts.bench_exit && measured {
                    state.quit = true;
                }
                // Lets the end-to-end tests check that a panic restores the
                // terminal.
                if test_panic && state.tree.dir(ROOT).is_some_and(|d| d.listing != Listing::NotLoaded) {
                    panic!("test panic requested by ETCDLENS_TEST_PANIC");
                }
            }
        }
    };
    drop(session);
    drop(link);
    if let Some(path) = &opts.bench_report {
        probe.write(path, &state)?;
    }
    result
}
