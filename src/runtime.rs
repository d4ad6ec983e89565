//! The UI loop: one `tokio::select!` over terminal input, etcd results, a
//! one-second tick and the frame deadline. Every message goes through
//! `update`; the screen is drawn at most once per frame (~16 ms) and only
//! when something changed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use color_eyre::eyre::{eyre, Result};
use crossterm::event::EventStream;
use futures::StreamExt;
use tokio::sync::mpsc;

use crate::app::tree::{Listing, ROOT};
use crate::app::{update, Cmd, Msg, State};
use crate::etcd::{worker, Connection};
use crate::terminal::Session;

const FRAME: Duration = Duration::from_millis(16);

pub struct RunOptions {
    pub prefix: Vec<u8>,
    pub delimiter: Vec<u8>,
    pub read_only: bool,
    /// A first status-bar message (e.g. the demo's ports).
    pub note: Option<String>,
    /// Prefix the Events pane follows (default: the tree's root).
    pub watch: Option<Vec<u8>>,
    /// Append every watch event to this file as JSON lines.
    pub record: Option<PathBuf>,
    /// Rows the event log keeps.
    pub event_log_size: usize,
    pub bench_report: Option<PathBuf>,
    pub bench_exit: bool,
    /// When the process started (for the start-up benchmark).
    pub started: Instant,
}

#[derive(Default)]
struct BenchTimes {
    first_listing: Option<Duration>,
    settled: Option<Duration>,
}

pub async fn run(conn: Connection, opts: RunOptions) -> Result<()> {
    let (msg_tx, mut msg_rx) = mpsc::channel::<Msg>(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel::<Cmd>(256);
    let worker = tokio::spawn(worker::run(
        conn.clone(),
        opts.delimiter.clone(),
        opts.record.clone(),
        cmd_rx,
        msg_tx.clone(),
    ));
    crate::terminal::forward_signals(msg_tx.clone())?;

    let now = Instant::now();
    let mut state = State::new(&opts.prefix, &opts.delimiter, conn.endpoints.join(","), now);
    state.revision = conn.revision;
    state.read_only = opts.read_only;
    if let Some(prefix) = &opts.watch {
        state.watch.prefix = prefix.clone();
    }
    state.events =
        crate::app::events::EventLog::new(state.watch.prefix.clone(), opts.event_log_size, now);
    if let Some(note) = &opts.note {
        state.info(note.clone());
    }

    let mut session = Session::start();
    let size = session.terminal.size()?;
    state.size = (size.width, size.height);
    let mut pending = update::start(&mut state);

    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut last_draw = Instant::now() - FRAME;
    let mut bench = BenchTimes::default();

    let result: Result<()> = loop {
        for cmd in pending.drain(..) {
            if cmd != Cmd::Quit && cmd_tx.send(cmd).await.is_err() {
                break;
            }
        }
        if state.quit {
            break Ok(());
        }
        let frame_due = tokio::time::Instant::from_std(last_draw + FRAME);
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    pending = update(&mut state, Msg::Input(event));
                    dirty = true;
                }
                Some(Err(e)) => break Err(eyre!("terminal input failed: {e}")),
                None => break Ok(()),
            },
            Some(msg) = msg_rx.recv() => {
                pending = update(&mut state, msg);
                // Drain whatever else is waiting before the next frame.
                while let Ok(msg) = msg_rx.try_recv() {
                    pending.extend(update(&mut state, msg));
                }
                dirty = true;
            }
            _ = tick.tick() => {
                pending = update(&mut state, Msg::Tick(Instant::now()));
                dirty = true;
            }
            _ = tokio::time::sleep_until(frame_due), if dirty => {
                pending = update(&mut state, Msg::Frame);
                session.terminal.draw(|f| crate::ui::draw(f, &state))?;
                dirty = false;
                last_draw = Instant::now();
                record_bench(&state, &opts, &mut bench);
                // Lets the end-to-end tests check that a panic restores the
                // terminal.
                if std::env::var_os("ETCDLENS_TEST_PANIC").is_some() && bench.first_listing.is_some() {
                    panic!("test panic requested by ETCDLENS_TEST_PANIC");
                }
                if opts.bench_exit && bench.settled.is_some() {
                    state.quit = true;
                }
            }
        }
    };
    drop(session);
    worker.abort();
    if let Some(path) = &opts.bench_report {
        write_bench_report(path, &bench)?;
    }
    result
}

fn record_bench(state: &State, opts: &RunOptions, bench: &mut BenchTimes) {
    let root = state.tree.dir(ROOT).expect("root");
    if bench.first_listing.is_none() && root.listing != Listing::NotLoaded {
        bench.first_listing = Some(opts.started.elapsed());
    }
    // Settled: the root and the directories opened automatically below it
    // are listed (their first page) and nothing is in flight.
    if bench.first_listing.is_some()
        && bench.settled.is_none()
        && !state.tree.rows.iter().any(|r| {
            r.more
                && state
                    .tree
                    .dir(r.node)
                    .is_some_and(|d| d.in_flight.is_some())
        })
    {
        bench.settled = Some(opts.started.elapsed());
    }
}

fn write_bench_report(path: &PathBuf, bench: &BenchTimes) -> Result<()> {
    let ms = |d: Option<Duration>| {
        d.map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| "none".into())
    };
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_string())
        })
        .unwrap_or_else(|| "0".into());
    std::fs::write(
        path,
        format!(
            "first_listing_ms={}\nsettled_ms={}\npeak_rss_kb={rss}\n",
            ms(bench.first_listing),
            ms(bench.settled)
        ),
    )?;
    Ok(())
}
