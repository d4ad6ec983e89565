//! Runs `Cmd`s against etcd: each command becomes one tokio task whose
//! result comes back as a `Msg`. This is the bridge between `app` (which
//! knows `Cmd` and `Msg`) and `etcd` (which knows neither): it calls one
//! `etcd` function per command and wraps what it returns.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::app::msg::{PrefixDeleted, WriteOp};
use crate::app::tree::{LoadRequest, NodeId};
use crate::app::{Cmd, LoadedValue, Msg};
use crate::config::ContextBook;
use crate::etcd::connect::{Connection, MAX_RESPONSE_BYTES};
use crate::etcd::types::WriteOutcome;
use crate::etcd::watch::{self, WatchSpec, WatchUpdate};
use crate::etcd::{
    bulk, changes, cluster, describe_error, election, history, leases, lister, resources, revision,
    value, write, Reports,
};
use crate::journal::{Entry, Journal};
use crate::record::Recorder;
use crate::value_doc::Document;

/// A prefix delete journals the previous values only up to this many keys.
const JOURNAL_PREFIX_KEYS: i64 = crate::app::writes::update::JOURNAL_KEYS;

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

/// Runs until the command channel closes. `Cmd::Quit`, `Cmd::ExternalEdit`
/// and `Cmd::Copy` are the UI loop's own and never reach here.
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
        elections: HashMap::new(),
        changes_task: None,
        find_task: None,
        usage_task: None,
        tasks: JoinSet::new(),
    };
    while let Some(cmd) = cmds.recv().await {
        tasks.start(cmd);
    }
}

/// Connections to other contexts' clusters (targets of `:copy
/// ctx:NAME`), made once and kept while the worker lives.
#[derive(Clone)]
struct OtherClusters {
    book: Option<Arc<ContextBook>>,
    conns: Arc<tokio::sync::Mutex<HashMap<String, (etcd_client::Client, bool)>>>,
}

impl OtherClusters {
    /// The client writes of a transfer go to, and whether that context is
    /// read-only: `own` unless the transfer names another context.
    async fn target(
        &self,
        own: &etcd_client::Client,
        context: Option<&str>,
    ) -> Result<(etcd_client::Client, bool), String> {
        let Some(name) = context else {
            return Ok((own.clone(), false));
        };
        let mut conns = self.conns.lock().await;
        if let Some(known) = conns.get(name) {
            return Ok(known.clone());
        }
        let book = self.book.as_ref().ok_or("no config file with contexts")?;
        let r = book.resolve(name, std::env::var("ETCDCTL_PASSWORD").ok())?;
        let conn = crate::etcd::connect(&r.settings)
            .await
            .map_err(|e| format!("ctx {}: {e}", crate::escape::escape_str(name)))?;
        conns.insert(name.to_string(), (conn.client.clone(), r.read_only));
        Ok((conn.client, r.read_only))
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
    elections: HashMap<Vec<u8>, AbortHandle>,
    /// The `:changes` reading: a new one replaces it.
    changes_task: Option<AbortHandle>,
    /// The find in flight (its id): a new one replaces it.
    find_task: Option<(u64, AbortHandle)>,
    /// The usage scan in flight (its id): a new one replaces it.
    usage_task: Option<(u64, AbortHandle)>,
    /// Every task started for a command (finished ones are reaped as new
    /// ones start); aborted together when the worker is dropped.
    tasks: JoinSet<()>,
}

impl Tasks {
    /// Spawns `task` into the worker's set: dropping the worker (a context
    /// switch, quitting) aborts every task it started.
    fn spawn<T>(&mut self, task: impl Future<Output = T> + Send + 'static) -> AbortHandle {
        while self.tasks.try_join_next().is_some() {}
        self.tasks.spawn(async move {
            task.await;
        })
    }

    /// The undo journal, for writes to this worker's cluster.
    fn journal(&self) -> Option<Journal> {
        Journal::open_default().map(|j| j.in_context(self.context.clone()))
    }

    fn client(&self) -> etcd_client::Client {
        self.conn.client.clone()
    }

    /// Runs `answer` as its own task and sends the message it gives.
    fn reply(&mut self, answer: impl Future<Output = Msg> + Send + 'static) -> AbortHandle {
        let msgs = self.msgs.clone();
        self.spawn(async move {
            let _ = msgs.send(answer.await).await;
        })
    }

    fn start(&mut self, cmd: Cmd) {
        let mut client = self.client();
        match cmd {
            Cmd::ListChildren { dir, request } => {
                // A new request for the same directory replaces the old one.
                if let Some((_, old)) = self.listings.remove(&dir) {
                    old.abort();
                }
                self.listings.retain(|_, (_, task)| !task.is_finished());
                let kv = client
                    .kv_client()
                    .max_decoding_message_size(MAX_RESPONSE_BYTES);
                let generation = request.generation;
                let task = self.spawn(list(
                    kv,
                    dir,
                    request,
                    self.delimiter.clone(),
                    self.msgs.clone(),
                ));
                self.listings.insert(dir, (generation, task));
            }
            Cmd::CancelList { dir, generation } => {
                if self
                    .listings
                    .get(&dir)
                    .is_some_and(|(g, _)| *g == generation)
                {
                    if let Some((_, task)) = self.listings.remove(&dir) {
                        task.abort();
                    }
                }
            }
            Cmd::FetchValue { req, key } => self.fetch_value(req, key, 0),
            Cmd::FetchValueAt { req, key, revision } => self.fetch_value(req, key, revision),
            Cmd::ListResources { dir, after } => {
                self.reply(async move {
                    let result = resources::list_keys(
                        &mut client,
                        &dir,
                        after.as_deref(),
                        crate::app::resources::PAGE_KEYS,
                    )
                    .await
                    .map_err(|e| describe_error(&e));
                    Msg::ResourcesListed { dir, result }
                });
            }
            Cmd::ReadResources { dir, first, last } => {
                self.reply(async move {
                    let result = resources::read_run(&mut client, &first, &last)
                        .await
                        .map(|kvs| (kvs, unix_now()))
                        .map_err(|e| describe_error(&e));
                    Msg::ResourceValues { dir, result }
                });
            }
            Cmd::FormatValue { req, record, style } => {
                self.reply(async move {
                    let built = tokio::task::spawn_blocking(move || {
                        let doc = Document::build_as(&record.value, style);
                        LoadedValue { record, doc }
                    })
                    .await;
                    Msg::Value {
                        req,
                        result: built
                            .map(Some)
                            .map_err(|e| format!("formatting failed: {e}")),
                        revision: 0,
                    }
                });
            }
            Cmd::Watch {
                epoch,
                prefix,
                start_revision,
            } => self.watch(epoch, prefix, start_revision),
            Cmd::ProbeDir { dir, full } => {
                let msgs = self.msgs.clone();
                // Only a definite answer is worth a message.
                self.spawn(async move {
                    if let Ok(any) = value::any_under(&mut client, &full).await {
                        let empty = !any;
                        let _ = msgs.send(Msg::DirProbed { dir, full, empty }).await;
                    }
                });
            }
            Cmd::FollowElection { name } => {
                let n = name.clone();
                let reports = Reports::new(self.msgs.clone(), move |result| Msg::Election {
                    name: n.clone(),
                    result,
                });
                let task = self.spawn(election::follow(client, name.clone(), reports));
                if let Some(old) = self.elections.insert(name, task) {
                    old.abort();
                }
            }
            Cmd::UnfollowElection { name } => {
                if let Some(task) = self.elections.remove(&name) {
                    task.abort();
                }
            }
            Cmd::CheckElection { dir, full } => {
                let msgs = self.msgs.clone();
                self.spawn(async move {
                    if let Some(lock) = election::session_keys(&mut client, &full).await {
                        let msg = if lock {
                            Msg::LockDetected { dir, full }
                        } else {
                            Msg::ElectionDetected { dir, full }
                        };
                        let _ = msgs.send(msg).await;
                    }
                });
            }
            Cmd::RevokeLease { lease } => {
                self.reply(async move {
                    let result = write::revoke_lease(&mut client, lease).await;
                    Msg::LeaseRevoked {
                        lease,
                        result: result.map_err(|e| crate::etcd::describe_write_error(&e)),
                    }
                });
            }
            Cmd::Save {
                op,
                key,
                value,
                expect,
                lease,
                ttl,
                prev,
            } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = write::put(&mut client, &key, &value, expect, lease, ttl).await;
                    finish_write(op, key, result, prev, lease, journal)
                });
            }
            Cmd::Delete {
                op,
                key,
                expect,
                prev,
                lease,
            } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = write::delete(&mut client, &key, expect).await;
                    finish_write(op, key, result, prev, lease, journal)
                });
            }
            Cmd::CountPrefix { prefix } => {
                self.reply(async move {
                    let count = write::count_prefix(&mut client, &prefix)
                        .await
                        .map(|(n, _)| n)
                        .map_err(|e| describe_error(&e));
                    Msg::PrefixCount { prefix, count }
                });
            }
            Cmd::DeletePrefix { prefix } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = write::delete_prefix(&mut client, &prefix, JOURNAL_PREFIX_KEYS)
                        .await
                        .map(|(deleted, revision, prev)| {
                            let entries: Vec<Entry> = prev
                                .iter()
                                .map(|kv| Entry::new(&kv.key, Some(&kv.value), kv.lease, revision))
                                .collect();
                            let journaled = !entries.is_empty() || deleted == 0;
                            let journal = journal_append(journal, &entries);
                            PrefixDeleted {
                                deleted,
                                revision,
                                journaled,
                                journal,
                            }
                        })
                        .map_err(|e| crate::etcd::describe_write_error(&e));
                    Msg::PrefixDeleted { prefix, result }
                });
            }
            Cmd::DeleteFound {
                id,
                keys,
                journal: read_values,
            } => {
                let journal = self.journal();
                self.reply(async move {
                    let result =
                        bulk::delete_unchanged(&client.kv_client(), &keys, read_values).await;
                    let entries: Vec<Entry> = result
                        .deleted
                        .iter()
                        .filter_map(|(k, rev, prev)| {
                            prev.as_ref()
                                .map(|(v, lease)| Entry::new(k, Some(v), *lease, *rev))
                        })
                        .collect();
                    let journal = journal_append(journal, &entries);
                    Msg::FoundDeleted {
                        id,
                        result,
                        journal,
                    }
                });
            }
            Cmd::FindUndo { key } => {
                let msgs = self.msgs.clone();
                let journal = self.journal();
                tokio::task::spawn_blocking(move || {
                    let entry = journal.and_then(|j| j.last_for(&key));
                    let _ = msgs.blocking_send(Msg::UndoFound { key, entry });
                });
            }
            Cmd::FetchPrev { seq, key, revision } => {
                self.reply(async move {
                    let result = value::fetch_at(&mut client, &key, revision)
                        .await
                        .map_err(|e| describe_error(&e));
                    Msg::EventPrev { seq, result }
                });
            }
            Cmd::History { key } => {
                self.reply(async move {
                    let result = history::key_history(&mut client, &key).await;
                    Msg::History { key, result }
                });
            }
            Cmd::CheckRevision { spec, prefix } => {
                self.reply(async move {
                    let result = revision::check(&mut client, &prefix, spec).await;
                    Msg::RevisionChecked { spec, result }
                });
            }
            Cmd::Changes {
                id,
                prefix,
                from,
                to,
            } => {
                if let Some(old) = self.changes_task.take() {
                    old.abort();
                }
                let reports =
                    Reports::new(self.msgs.clone(), move |update| Msg::Changes { id, update });
                let task = self.spawn(async move {
                    changes::read(&mut client, &prefix, from, to, reports).await
                });
                self.changes_task = Some(task);
            }
            Cmd::StopChanges => {
                if let Some(old) = self.changes_task.take() {
                    old.abort();
                }
            }
            Cmd::Undelete {
                prefix,
                items,
                max_request_bytes,
            } => {
                let journal = self.journal();
                self.reply(async move {
                    let result = changes::undelete(&mut client, &items, max_request_bytes).await;
                    // Journaled as created: `u` deletes such a key again.
                    let journal = journal_append(
                        journal,
                        &result
                            .restored
                            .iter()
                            .map(|(k, rev)| Entry::new(k, None, 0, *rev))
                            .collect::<Vec<_>>(),
                    );
                    Msg::Undeleted {
                        prefix,
                        result,
                        journal,
                    }
                });
            }
            Cmd::ClusterStatus { prefix } => {
                let conn = self.conn.clone();
                self.reply(async move { Msg::Cluster(cluster::collect(&conn, &prefix).await) });
            }
            Cmd::Find { id, prefix, query } => {
                if let Some((_, old)) = self.find_task.take() {
                    old.abort();
                }
                // `update` parsed it before sending it.
                let Ok(query) = crate::app::find::Query::parse(&query) else {
                    return;
                };
                let kv = client
                    .kv_client()
                    .max_decoding_message_size(MAX_RESPONSE_BYTES);
                let reports =
                    Reports::new(self.msgs.clone(), move |batch| Msg::Found { id, batch });
                let task = self.spawn(crate::search::find(kv, prefix, query, reports));
                self.find_task = Some((id, task));
            }
            Cmd::CancelFind { id } => {
                if let Some((_, task)) = self.find_task.take_if(|(i, _)| *i == id) {
                    task.abort();
                }
            }
            Cmd::Usage { id, prefix } => {
                if let Some((_, old)) = self.usage_task.take() {
                    old.abort();
                }
                let reports =
                    Reports::new(self.msgs.clone(), move |batch| Msg::Usage { id, batch });
                let task = self.spawn(crate::search::usage(
                    client,
                    prefix,
                    self.delimiter.clone(),
                    reports,
                ));
                self.usage_task = Some((id, task));
            }
            Cmd::CancelUsage { id } => {
                if let Some((_, task)) = self.usage_task.take_if(|(i, _)| *i == id) {
                    task.abort();
                }
            }
            Cmd::ListLeases => {
                self.reply(async move {
                    let result = leases::list(&mut client).await;
                    Msg::Leases(result.map_err(|e| describe_error(&e)))
                });
            }
            Cmd::LeaseKeys { id } => {
                self.reply(async move {
                    let result = leases::info(&mut client, id).await;
                    Msg::LeaseKeys {
                        id,
                        result: result.map_err(|e| describe_error(&e)),
                    }
                });
            }
            Cmd::KeepAliveOnce { id } => {
                self.reply(async move {
                    let result = leases::keep_alive_once(&mut client, id).await;
                    Msg::LeaseKeptAlive {
                        id,
                        result: result.map_err(|e| describe_error(&e)),
                    }
                });
            }
            // The UI loop's own (it owns the terminal).
            Cmd::Export { prefix, file } => {
                let msgs = self.msgs.clone();
                self.spawn(async move {
                    let mut due = progress_due();
                    let progress = |keys, bytes| {
                        if due() {
                            let _ = msgs.try_send(Msg::ExportProgress { keys, bytes });
                        }
                    };
                    let result = crate::transfer::export::export_file(
                        &client,
                        &prefix,
                        std::path::Path::new(&file),
                        crate::transfer::format::Format::Jsonl,
                        progress,
                    )
                    .await;
                    let _ = msgs.send(Msg::Exported { file, result }).await;
                });
            }
            Cmd::Plan { transfer, options } => {
                let msgs = self.msgs.clone();
                let others = self.others.clone();
                self.spawn(async move {
                    let mut due = progress_due();
                    let progress = |keys| {
                        if due() {
                            let transfer = transfer.clone();
                            let _ = msgs.try_send(Msg::Planning { transfer, keys });
                        }
                    };
                    let result = match others.target(&client, transfer.to_context.as_deref()).await
                    {
                        Ok((target, _)) => {
                            crate::transfer::plan_between(
                                &client, &target, &transfer, &options, progress,
                            )
                            .await
                        }
                        Err(e) => Err(e),
                    };
                    let _ = msgs.send(Msg::Planned { transfer, result }).await;
                });
            }
            Cmd::PlanKey {
                source,
                plan,
                target,
                to_context,
            } => {
                let others = self.others.clone();
                self.reply(async move {
                    let result = match others.target(&client, to_context.as_deref()).await {
                        Ok((cluster, _)) => {
                            crate::transfer::key_values(&client, &cluster, &source, &plan, &target)
                                .await
                        }
                        Err(e) => Err(e),
                    };
                    Msg::PlanKey { target, result }
                });
            }
            Cmd::ApplyPlan {
                transfer,
                plan,
                max_request_bytes,
            } => {
                let msgs = self.msgs.clone();
                let others = self.others.clone();
                // Another cluster's writes are journaled for its context.
                let journal = match &transfer.to_context {
                    Some(ctx) => Journal::open_default().map(|j| j.in_context(Some(ctx.clone()))),
                    None => self.journal(),
                };
                self.spawn(async move {
                    let mut due = progress_due();
                    let progress = |keys| {
                        if due() {
                            let _ = msgs.try_send(Msg::Applying { keys });
                        }
                    };
                    let result = match others.target(&client, transfer.to_context.as_deref()).await
                    {
                        Ok((_, true)) => Err(format!(
                            "ctx {} is read-only: nothing written",
                            crate::escape::escape_str(transfer.to_context.as_deref().unwrap_or(""))
                        )),
                        Ok((target, false)) => {
                            crate::transfer::apply_between(
                                &client,
                                &target,
                                &transfer,
                                &plan,
                                journal.as_ref(),
                                max_request_bytes,
                                progress,
                            )
                            .await
                        }
                        Err(e) => Err(e),
                    };
                    let _ = msgs.send(Msg::Applied(result)).await;
                });
            }
            Cmd::ExternalEdit { .. } | Cmd::Copy(_) | Cmd::Quit | Cmd::SwitchContext { .. } => {}
        }
    }

    /// Fetches a key's value (at `at`; 0: now), superseding the fetch in
    /// flight (the user moved on).
    fn fetch_value(&mut self, req: u64, key: Vec<u8>, at: i64) {
        if let Some(previous) = self.value_task.take() {
            previous.abort();
        }
        let mut client = self.client();
        self.value_task = Some(self.reply(async move {
            let (result, revision) = fetch_and_format(&mut client, &key, at).await;
            Msg::Value {
                req,
                result,
                revision,
            }
        }));
    }

    /// (Re)starts the watch, replacing the previous one.
    fn watch(&mut self, epoch: u64, prefix: Vec<u8>, start_revision: Option<i64>) {
        if let Some(previous) = self.watch_task.take() {
            previous.abort();
        }
        let mut client = self.client();
        let msgs = self.msgs.clone();
        let recorder = match &self.record {
            Some(path) => match Recorder::open(path) {
                Ok(r) => Some(r),
                Err(e) => {
                    let _ = msgs.try_send(Msg::FileFailed {
                        what: format!("record {}", path.display()),
                        error: format!("cannot open it: {e}"),
                    });
                    None
                }
            },
            None => None,
        };
        let reports = Reports::new(msgs, move |update| watch_msg(epoch, update));
        let task = self.spawn(async move {
            let start_revision = match start_revision {
                Some(r) => r,
                None => loop {
                    match watch::current_revision(&mut client, &prefix).await {
                        Ok(r) => break r + 1,
                        Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
                    }
                },
            };
            let spec = WatchSpec {
                epoch,
                prefix,
                start_revision,
            };
            watch::run(client, spec, reports, recorder).await;
        });
        self.watch_task = Some(task);
    }
}

/// Lists one page of `dir`, sending its children as they are found (each
/// batch a `partial` page), then the page's end.
async fn list(
    kv: etcd_client::KvClient,
    dir: NodeId,
    request: LoadRequest,
    delimiter: Vec<u8>,
    msgs: mpsc::Sender<Msg>,
) {
    let generation = request.generation;
    let (tx, mut rx) = mpsc::channel(16);
    let listing = lister::list_streaming(
        kv,
        &request.prefix,
        &delimiter,
        lister::PageSpec {
            cursor: request.cursor,
            want: PAGE_SIZE,
            seed: request.seed,
            keys: request.keys,
            revision: request.revision,
        },
        tx,
    );
    let forward = async {
        while let Some(part) = rx.recv().await {
            let _ = msgs
                .send(Msg::Listed {
                    dir,
                    generation,
                    result: Ok(part),
                })
                .await;
        }
    };
    let (result, ()) = tokio::join!(listing, forward);
    let result = result.map_err(|e| describe_error(&e));
    let _ = msgs
        .send(Msg::Listed {
            dir,
            generation,
            result,
        })
        .await;
}

/// A watch report as the message of watch `epoch`.
fn watch_msg(epoch: u64, update: WatchUpdate) -> Msg {
    match update {
        WatchUpdate::Status(status) => Msg::WatchStatus { epoch, status },
        WatchUpdate::Progress { revision } => Msg::WatchProgress { epoch, revision },
        WatchUpdate::Events {
            events,
            revision,
            at,
        } => Msg::WatchEvents {
            epoch,
            events,
            revision,
            at,
        },
        WatchUpdate::Gap {
            from,
            to,
            compacted,
        } => Msg::WatchGap {
            epoch,
            from,
            to,
            compacted,
        },
        WatchUpdate::RecordFailed { what, error } => Msg::FileFailed { what, error },
    }
}

/// The wall clock in seconds since the epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Reads a value and formats it off the async threads (pretty-printing a
/// multi-megabyte value takes a while).
async fn fetch_and_format(
    client: &mut etcd_client::Client,
    key: &[u8],
    at: i64,
) -> (Result<Option<LoadedValue>, String>, i64) {
    match value::fetch_value(client, key, at).await {
        Ok((Some(record), rev)) => {
            let built = tokio::task::spawn_blocking(move || {
                let doc = Document::build(&record.value);
                LoadedValue { record, doc }
            })
            .await;
            match built {
                Ok(v) => (Ok(Some(v)), rev),
                Err(e) => (Err(format!("formatting failed: {e}")), rev),
            }
        }
        Ok((None, rev)) => (Ok(None), rev),
        Err(e) => (Err(describe_error(&e)), 0),
    }
}

/// A guarded write finished: log it, journal what it replaced.
fn finish_write(
    op: WriteOp,
    key: Vec<u8>,
    result: Result<WriteOutcome, crate::etcd::Error>,
    prev: Option<Vec<u8>>,
    lease: i64,
    journal: Option<Journal>,
) -> Msg {
    let result = result.map_err(|e| crate::etcd::describe_write_error(&e));
    let outcome = match &result {
        Ok(WriteOutcome::Done { revision }) => format!("done at {revision}"),
        Ok(WriteOutcome::Conflict { .. }) => "conflict: not applied".to_string(),
        Err(e) => e.clone(),
    };
    tracing::info!(?op, key = %crate::escape::escape_bytes(&key), %outcome, "write");
    let journal = match &result {
        Ok(WriteOutcome::Done { revision }) => journal_append(
            journal,
            &[Entry::new(&key, prev.as_deref(), lease, *revision)],
        ),
        _ => Ok(()),
    };
    Msg::WriteDone {
        op,
        key,
        result,
        journal,
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

/// Journal failures must not fail the write that already happened; they
/// are reported (the write's message, a status-bar warning).
fn journal_append(journal: Option<Journal>, entries: &[Entry]) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let Some(j) = journal else {
        return Err(
            "no place for it: HOME and XDG_DATA_HOME are unset (set ETCDLENS_JOURNAL)".into(),
        );
    };
    j.append(entries).map_err(|e| {
        tracing::warn!(error = %e, "journal not written");
        format!("{}: {e}", j.path.display())
    })
}
