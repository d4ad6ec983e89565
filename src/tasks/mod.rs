//! Runs `Cmd`s against etcd: each command becomes one tokio task whose
//! result comes back as a `Msg`. This is the bridge between `app` (which
//! knows `Cmd` and `Msg`) and `etcd` (which knows neither): it calls one
//! `etcd` function per command and wraps what it returns.
//!
//! This file holds the worker (its loop, its `JoinSet`, the dispatch of a
//! command to its concern) and the policies every concern shares: which
//! cluster a command goes to (`OtherClusters`), where its writes are
//! journaled. The commands themselves are in `reads` (values, listings,
//! the watch, elections, leases, history), `writes` (guarded writes and
//! what each journals), `transfers` (export, plan, apply), `scans`
//! (find, usage, `:changes`) and `maint` (the maintenance view's actions,
//! each audit-logged).

mod auth;
mod maint;
mod metrics;
mod reads;
mod scans;
mod transfers;
mod writes;

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::app::tree::NodeId;
use crate::app::{Cmd, Msg};
use crate::etcd::Connection;
use crate::journal::Journal;
use crate::settings::ContextBook;

/// Children per listing page (the "loading… N keys" step).
pub const PAGE_SIZE: usize = 1000;

/// The contexts of config.toml as a worker knows them: the one it is
/// connected to (its journal entries are stamped with it) and the others
/// (targets of `:copy ctx:NAME`).
#[derive(Debug, Default, Clone)]
pub struct Contexts {
    pub book: Option<Arc<ContextBook>>,
    pub current: Option<String>,
}

/// Runs until the command channel closes. `Cmd::Quit`, `Cmd::ExternalEdit`,
/// `Cmd::Copy` and `Cmd::SwitchContext` are the UI loop's own and never
/// reach here.
pub async fn run(
    conn: Connection,
    delimiter: Vec<u8>,
    record: Option<PathBuf>,
    contexts: Contexts,
    mut cmds: mpsc::Receiver<Cmd>,
    msgs: mpsc::Sender<Msg>,
) {
    let mut tasks = Tasks {
        context: contexts.current.clone(),
        others: OtherClusters {
            book: contexts.book,
            conns: Default::default(),
        },
        conn,
        delimiter,
        record,
        msgs,
        value_task: None,
        listings: HashMap::new(),
        watch_task: None,
        top_task: None,
        fleet: Default::default(),
        elections: HashMap::new(),
        changes_task: None,
        find_task: None,
        usage_task: None,
        maint_stop: Default::default(),
        metrics: Default::default(),
        tasks: JoinSet::new(),
    };
    while let Some(cmd) = cmds.recv().await {
        tasks.start(cmd);
    }
}

/// Connections to other contexts' clusters (targets of `:copy
/// ctx:NAME`), made once and kept while the worker lives, with whether
/// each context is read-only.
#[derive(Clone)]
struct OtherClusters {
    book: Option<Arc<ContextBook>>,
    conns: Arc<tokio::sync::Mutex<HashMap<String, (Connection, bool)>>>,
}

impl OtherClusters {
    /// The connection a transfer reads its target on, and whether that
    /// context is read-only: `own` unless the transfer names another
    /// context.
    async fn target(
        &self,
        own: &Connection,
        context: Option<&str>,
    ) -> Result<(Connection, bool), String> {
        let Some(name) = context else {
            return Ok((own.clone(), false));
        };
        let mut conns = self.conns.lock().await;
        if let Some(known) = conns.get(name) {
            return Ok(known.clone());
        }
        let book = self.book.as_ref().ok_or("no config file with contexts")?;
        let (r, settings) = book.connection(name, std::env::var("ETCDCTL_PASSWORD").ok())?;
        let conn = crate::etcd::connect(&settings)
            .await
            .map_err(|e| format!("ctx {}: {e}", crate::escape::escape_str(name)))?;
        conns.insert(name.to_string(), (conn.clone(), r.read_only));
        Ok((conn, r.read_only))
    }

    /// The connection a transfer writes to: [`target`](Self::target),
    /// refused when that context is read-only (the second check: `update`
    /// refused it before planning; the context book may have changed).
    async fn writable_target(
        &self,
        own: &Connection,
        context: Option<&str>,
    ) -> Result<Connection, String> {
        match self.target(own, context).await? {
            (_, true) => Err(format!(
                "ctx {} is read-only: nothing written",
                crate::escape::escape_str(context.unwrap_or(""))
            )),
            (target, false) => Ok(target),
        }
    }
}

struct Tasks {
    /// The context this worker's connection was made from.
    context: Option<String>,
    others: OtherClusters,
    conn: Connection,
    delimiter: Vec<u8>,
    record: Option<PathBuf>,
    msgs: mpsc::Sender<Msg>,
    /// The value fetch in flight: a new one supersedes it.
    value_task: Option<AbortHandle>,
    /// Listings in flight, by directory (with their generation).
    listings: HashMap<NodeId, (u64, AbortHandle)>,
    /// The watch: a new one replaces it.
    watch_task: Option<AbortHandle>,
    /// `:top`'s own watch: a new one replaces it.
    top_task: Option<AbortHandle>,
    /// `:fleet`'s connections, kept between its probes.
    fleet: Arc<crate::etcd::fleet::Fleet>,
    elections: HashMap<Vec<u8>, AbortHandle>,
    /// The `:changes` reading: a new one replaces it.
    changes_task: Option<AbortHandle>,
    /// The find in flight (its id): a new one replaces it.
    find_task: Option<(u64, AbortHandle)>,
    /// The usage scan in flight (its id): a new one replaces it.
    usage_task: Option<(u64, AbortHandle)>,
    /// The running rolling defragmentation's stop flag (`x`): a new one
    /// per run.
    maint_stop: Arc<std::sync::atomic::AtomicBool>,
    /// The metrics sampler's HTTP client (connections kept between samples).
    metrics: crate::etcd::metrics::Fetcher,
    /// Every task started for a command (finished ones are reaped as new
    /// ones start); aborted together when the worker is dropped.
    tasks: JoinSet<()>,
}

impl Tasks {
    /// Hands `cmd` to its concern.
    fn start(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::ListChildren { .. }
            | Cmd::CancelList { .. }
            | Cmd::FetchValue { .. }
            | Cmd::FetchValueAt { .. }
            | Cmd::FormatValue { .. }
            | Cmd::ListResources { .. }
            | Cmd::ReadResources { .. }
            | Cmd::Watch { .. }
            | Cmd::TopWatch { .. }
            | Cmd::StopTopWatch
            | Cmd::FleetProbe { .. }
            | Cmd::ProbeDir { .. }
            | Cmd::FollowElection { .. }
            | Cmd::UnfollowElection { .. }
            | Cmd::CheckElection { .. }
            | Cmd::FetchPrev { .. }
            | Cmd::History { .. }
            | Cmd::CheckRevision { .. }
            | Cmd::ClusterStatus { .. }
            | Cmd::ListLeases
            | Cmd::LeaseKeys { .. }
            | Cmd::CountPrefix { .. } => self.read(cmd),
            Cmd::Save { .. }
            | Cmd::Delete { .. }
            | Cmd::DeletePrefix { .. }
            | Cmd::DeleteFound { .. }
            | Cmd::Undelete { .. }
            | Cmd::RevokeLease { .. }
            | Cmd::KeepAliveOnce { .. }
            | Cmd::FindUndo { .. } => self.write(cmd),
            Cmd::Export { .. } | Cmd::Plan { .. } | Cmd::PlanKey { .. } | Cmd::ApplyPlan { .. } => {
                self.transfer(cmd)
            }
            Cmd::Maint(cmd) => self.maint(cmd),
            Cmd::Auth(cmd) => self.auth(cmd),
            Cmd::SampleMetrics { urls } => self.sample_metrics(urls),
            Cmd::Find { .. }
            | Cmd::CancelFind { .. }
            | Cmd::Usage { .. }
            | Cmd::CancelUsage { .. }
            | Cmd::Changes { .. }
            | Cmd::StopChanges => self.scan(cmd),
            // The UI loop's own (it owns the terminal and the worker).
            Cmd::ExternalEdit { .. } | Cmd::Copy(_) | Cmd::Quit | Cmd::SwitchContext { .. } => {}
        }
    }

    /// Spawns `task` into the worker's set: dropping the worker (a context
    /// switch, quitting) aborts every task it started.
    fn spawn<T>(&mut self, task: impl Future<Output = T> + Send + 'static) -> AbortHandle {
        while self.tasks.try_join_next().is_some() {}
        self.tasks.spawn(async move {
            task.await;
        })
    }

    /// Runs `answer` as its own task and sends the message it gives.
    fn reply(&mut self, answer: impl Future<Output = Msg> + Send + 'static) -> AbortHandle {
        let msgs = self.msgs.clone();
        self.spawn(async move {
            let _ = msgs.send(answer.await).await;
        })
    }

    /// The undo journal of writes to `context`'s cluster (`None`: this
    /// worker's own): another cluster's writes are journaled for its
    /// context, so `u` there undoes them.
    fn journal_for(&self, context: Option<&str>) -> Option<Journal> {
        let context = context.map(str::to_string).or(self.context.clone());
        Journal::open_default().map(|j| j.in_context(context))
    }

    /// The undo journal, for writes to this worker's cluster.
    fn journal(&self) -> Option<Journal> {
        self.journal_for(None)
    }
}

/// Whether a progress report may go now: at most 10 a second (and a
/// full channel drops one: `try_send`).
fn progress_due() -> impl FnMut() -> bool {
    let mut last = std::time::Instant::now();
    move || {
        let due = last.elapsed() >= Duration::from_millis(100);
        if due {
            last = std::time::Instant::now();
        }
        due
    }
}
