//! Reads: listings, values, resources, probes, the watch, elections,
//! leases, history, revisions, the cluster's status.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::tree::{LoadRequest, NodeId};
use crate::app::{Cmd, LoadedValue, Msg};
use crate::etcd::types::ChildPage;
use crate::etcd::watch::{self, WatchSpec, WatchUpdate};
use crate::etcd::{
    cluster, describe_error, election, history, leases, lister, permitted, resources, revision,
    value, write, Connection, Reports,
};
use crate::record::Recorder;
use crate::value_doc::Document;

use super::{Tasks, PAGE_SIZE};

impl Tasks {
    pub(super) fn read(&mut self, cmd: Cmd) {
        let mut client = self.conn.client.clone();
        match cmd {
            Cmd::ListChildren { dir, request } => {
                // A new request for the same directory replaces the old one.
                if let Some((_, old)) = self.listings.remove(&dir) {
                    old.abort();
                }
                self.listings.retain(|_, (_, task)| !task.is_finished());
                let generation = request.generation;
                let task = self.spawn(list(
                    self.conn.clone(),
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
                        resources::PAGE_KEYS,
                    )
                    .await
                    .map(|page| (page.keys, page.more))
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
            Cmd::TopWatch { epoch, prefix } => self.top_watch(epoch, prefix),
            Cmd::StopTopWatch => self.stop_top_watch(),
            Cmd::FleetProbe { name, key } => self.fleet_probe(name, key),
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
            Cmd::CountPrefix { prefix } => {
                self.reply(async move {
                    let count = write::count_prefix(&mut client, &prefix)
                        .await
                        .map(|(n, _)| n)
                        .map_err(|e| describe_error(&e));
                    Msg::PrefixCount { prefix, count }
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
            Cmd::ClusterStatus { prefix } => {
                let conn = self.conn.clone();
                self.reply(async move { Msg::Cluster(cluster::collect(&conn, &prefix).await) });
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
            other => debug_assert!(false, "not a read: {other:?}"),
        }
    }

    /// Fetches a key's value (at `at`; 0: now), superseding the fetch in
    /// flight (the user moved on).
    fn fetch_value(&mut self, req: u64, key: Vec<u8>, at: i64) {
        if let Some(previous) = self.value_task.take() {
            previous.abort();
        }
        let conn = self.conn.clone();
        self.value_task = Some(self.reply(async move {
            let (result, revision) = fetch_and_format(&conn, &key, at).await;
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
        let conn = self.conn.clone();
        let task = self.spawn(follow(
            conn,
            epoch,
            prefix,
            start_revision,
            reports,
            recorder,
        ));
        self.watch_task = Some(task);
    }

    /// (Re)starts `:top`'s own watch, from now on.
    fn top_watch(&mut self, epoch: u64, prefix: Vec<u8>) {
        self.stop_top_watch();
        let reports = Reports::new(self.msgs.clone(), move |update| Msg::TopWatch {
            epoch,
            update,
        });
        let conn = self.conn.clone();
        self.top_task = Some(self.spawn(follow(conn, epoch, prefix, None, reports, None)));
    }

    fn stop_top_watch(&mut self) {
        if let Some(task) = self.top_task.take() {
            task.abort();
        }
    }

    /// Probes context `name` (`:fleet`) over the fleet's kept connections.
    fn fleet_probe(&mut self, name: String, key: Vec<u8>) {
        let fleet = self.fleet.clone();
        let settings = match &self.others.book {
            Some(book) => book
                .connection(&name, std::env::var("ETCDCTL_PASSWORD").ok())
                .map(|(_, s)| s),
            None => Err("no config file with contexts".into()),
        };
        self.reply(async move {
            let result = fleet.probe(&name, settings, &key).await;
            Msg::FleetProbe { name, result }
        });
    }
}

/// Follows `prefix` from `start_revision` (`None`: the current revision
/// + 1), reporting through `reports`, until aborted.
async fn follow(
    conn: Connection,
    epoch: u64,
    prefix: Vec<u8>,
    start_revision: Option<i64>,
    reports: Reports<WatchUpdate, Msg>,
    recorder: Option<Recorder>,
) {
    let mut client = conn.client.clone();
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
}

/// Lists one page of `dir`, sending its children as they are found (each
/// batch a `partial` page), then the page's end.
async fn list(
    conn: Connection,
    dir: NodeId,
    request: LoadRequest,
    delimiter: Vec<u8>,
    msgs: mpsc::Sender<Msg>,
) {
    let generation = request.generation;
    let first_page = request.cursor.is_none();
    let (tx, mut rx) = mpsc::channel(16);
    if first_page && request.keys.is_none_or(|n| n > lister::FAN_OUT_FROM) {
        // What this etcd charges (once per process), release included.
        lister::measure_costs(&conn.client, &request.prefix).await;
    }
    let listing = lister::list_streaming(
        conn.kv(),
        &request.prefix,
        &delimiter,
        lister::PageSpec {
            cursor: request.cursor,
            want: PAGE_SIZE,
            seed: request.seed,
            keys: request.keys,
            revision: request.revision,
            small_pieces: None,
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
    let result = match result {
        Err(e) if e.is_permission_denied() && first_page => {
            readable_part(&conn, &request.prefix, &delimiter, request.revision)
                .await
                .unwrap_or(Err(e))
        }
        other => other,
    };
    let result = result.map_err(|e| describe_error(&e));
    let _ = msgs
        .send(Msg::Listed {
            dir,
            generation,
            result,
        })
        .await;
}

/// What the user may read of a directory etcd refused to list whole:
/// `None` when its roles allow none of it (or cannot be known), so the
/// refusal stands (`denied` on the row).
async fn readable_part(
    conn: &Connection,
    dir: &[u8],
    delimiter: &[u8],
    revision: i64,
) -> Option<Result<ChildPage, crate::etcd::Error>> {
    let want = permitted::KeyRange::prefix(dir);
    let parts = permitted::parts(conn, &want).await.ok()??;
    if parts.readable.is_empty() || parts.whole() {
        return None;
    }
    Some(permitted::list_readable(conn.kv(), dir, delimiter, &parts, revision).await)
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
    conn: &Connection,
    key: &[u8],
    at: i64,
) -> (Result<Option<LoadedValue>, String>, i64) {
    match value::fetch_value(&mut conn.client.clone(), key, at).await {
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
