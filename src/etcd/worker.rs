//! The etcd worker: receives `Cmd`s from the UI loop, runs each as its own
//! tokio task against the cluster and sends the results back as `Msg`s.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use etcd_client::GetOptions;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::connect::{Connection, MAX_RESPONSE_BYTES};
use super::types::{WatchStatus, WriteOutcome};
use super::watch::{self, WatchSpec};
use super::{cluster, describe_error, election, lister, value, write};
use crate::app::msg::WriteOp;
use crate::app::tree::{LoadRequest, NodeId};
use crate::app::{Cmd, LoadedValue, Msg};
use crate::journal::{Entry, Journal};
use crate::record::Recorder;
use crate::value_doc::Document;

/// A prefix delete journals the previous values only up to this many keys.
const JOURNAL_PREFIX_KEYS: i64 = 10_000;

/// Runs a Save, Delete or Undo and journals what it overwrote.
async fn guarded_write(mut client: etcd_client::Client, cmd: Cmd) -> Msg {
    let (op, cmd) = match cmd {
        Cmd::Undo(inner) => (WriteOp::Undo, *inner),
        Cmd::Delete { .. } => (WriteOp::Delete, cmd),
        other => (WriteOp::Save, other),
    };
    let (key, result, prev, lease) = match cmd {
        Cmd::Save {
            key,
            value,
            expect,
            lease,
            ttl,
            prev,
        } => {
            let r = write::put(&mut client, &key, &value, expect, lease, ttl).await;
            (key, r, prev, lease)
        }
        Cmd::Delete {
            key,
            expect,
            prev,
            lease,
        } => {
            let r = write::delete(&mut client, &key, expect).await;
            (key, r, prev, lease)
        }
        _ => unreachable!("only writes reach here"),
    };
    let result = result.map_err(|e| describe_error(&e));
    tracing::info!(?op, key = %crate::escape::escape_bytes(&key), outcome = ?result.as_ref().map(|o| match o {
        WriteOutcome::Done { revision } => format!("done at {revision}"),
        WriteOutcome::Conflict { .. } => "conflict: not applied".to_string(),
    }), "write");
    if let Ok(WriteOutcome::Done { revision }) = &result {
        journal_append(&[Entry::new(&key, prev.as_deref(), lease, *revision)]);
    }
    Msg::WriteDone { op, key, result }
}

/// Journal failures must not fail the write that already happened.
fn journal_append(entries: &[Entry]) {
    if entries.is_empty() {
        return;
    }
    if let Some(j) = Journal::open_default() {
        let _ = j.append(entries);
    }
}

/// Children per listing page (the "loading… N keys" step).
pub const PAGE_SIZE: usize = 1000;

/// Lists one page of `dir`, sending its children as they are found.
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
        request.cursor,
        PAGE_SIZE,
        request.seed,
        tx,
    );
    let forward = async {
        while let Some(part) = rx.recv().await {
            let result = Ok(part);
            let _ = msgs
                .send(Msg::Listed {
                    dir,
                    generation,
                    result,
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

/// Runs until the command channel closes. `Cmd::Quit` is handled by the UI
/// loop and never reaches here.
pub async fn run(
    conn: Connection,
    delimiter: Vec<u8>,
    record: Option<PathBuf>,
    mut cmds: mpsc::Receiver<Cmd>,
    msgs: mpsc::Sender<Msg>,
) {
    let mut value_task: Option<AbortHandle> = None;
    let mut listings: HashMap<NodeId, (u64, AbortHandle)> = HashMap::new();
    let mut watch_task: Option<AbortHandle> = None;
    let mut elections: HashMap<Vec<u8>, AbortHandle> = HashMap::new();
    while let Some(cmd) = cmds.recv().await {
        match cmd {
            Cmd::ListChildren { dir, request } => {
                // A new request for the same directory replaces the old one.
                if let Some((_, old)) = listings.remove(&dir) {
                    old.abort();
                }
                listings.retain(|_, (_, task)| !task.is_finished());
                let kv = conn
                    .client
                    .kv_client()
                    .max_decoding_message_size(MAX_RESPONSE_BYTES);
                let generation = request.generation;
                let task = tokio::spawn(list(kv, dir, request, delimiter.clone(), msgs.clone()));
                listings.insert(dir, (generation, task.abort_handle()));
            }
            Cmd::CancelList { dir, generation } => {
                if listings.get(&dir).is_some_and(|(g, _)| *g == generation) {
                    if let Some((_, task)) = listings.remove(&dir) {
                        task.abort();
                    }
                }
            }
            Cmd::FetchValue { req, key } => {
                if let Some(previous) = value_task.take() {
                    previous.abort();
                }
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                let task = tokio::spawn(async move {
                    let (result, revision) = match value::fetch_value(&mut client, &key).await {
                        Ok((Some(record), rev)) => {
                            // Formatting a multi-megabyte value takes a while:
                            // keep it off the async threads.
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
                    };
                    let _ = msgs
                        .send(Msg::Value {
                            req,
                            result,
                            revision,
                        })
                        .await;
                });
                value_task = Some(task.abort_handle());
            }
            Cmd::Watch {
                epoch,
                prefix,
                start_revision,
            } => {
                if let Some(previous) = watch_task.take() {
                    previous.abort();
                }
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                let recorder = match &record {
                    Some(path) => match Recorder::open(path) {
                        Ok(r) => Some(r),
                        Err(e) => {
                            let status = WatchStatus::Reconnecting {
                                attempt: 0,
                                error: format!("cannot write {}: {e}", path.display()),
                            };
                            let _ = msgs.send(Msg::WatchStatus { epoch, status }).await;
                            None
                        }
                    },
                    None => None,
                };
                let task = tokio::spawn(async move {
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
                    watch::run(client, spec, msgs, recorder).await;
                });
                watch_task = Some(task.abort_handle());
            }
            Cmd::ProbeDir { dir, full } => {
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    let opts = GetOptions::new()
                        .with_prefix()
                        .with_keys_only()
                        .with_limit(1);
                    if let Ok(resp) = client.get(full.clone(), Some(opts)).await {
                        let empty = resp.kvs().is_empty();
                        let _ = msgs.send(Msg::DirProbed { dir, full, empty }).await;
                    }
                });
            }
            Cmd::FollowElection { name } => {
                let task = tokio::spawn(election::follow(
                    conn.client.clone(),
                    name.clone(),
                    msgs.clone(),
                ));
                if let Some(old) = elections.insert(name, task.abort_handle()) {
                    old.abort();
                }
            }
            Cmd::UnfollowElection { name } => {
                if let Some(task) = elections.remove(&name) {
                    task.abort();
                }
            }
            Cmd::CheckElection { dir, full } => {
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    if election::looks_like_election(&mut client, &full).await {
                        let _ = msgs.send(Msg::ElectionDetected { dir, full }).await;
                    }
                });
            }
            Cmd::RevokeLease { lease } => {
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    let result = match client.lease_revoke(lease).await {
                        Ok(_) => Ok(format!("lease {lease:x} revoked")),
                        Err(e) => Err(format!(
                            "revoking lease {lease:x} failed: {}",
                            describe_error(&e)
                        )),
                    };
                    let _ = msgs.send(Msg::Written(result)).await;
                });
            }
            Cmd::Save { .. } | Cmd::Delete { .. } | Cmd::Undo(_) => {
                let client = conn.client.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    let msg = guarded_write(client, cmd).await;
                    let _ = msgs.send(msg).await;
                });
            }
            Cmd::CountPrefix { prefix } => {
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    let count = write::count_prefix(&mut client, &prefix)
                        .await
                        .map(|(n, _)| n)
                        .map_err(|e| describe_error(&e));
                    let _ = msgs.send(Msg::PrefixCount { prefix, count }).await;
                });
            }
            Cmd::DeletePrefix { prefix } => {
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    let shown = crate::escape::escape_bytes(&prefix);
                    let result =
                        match write::delete_prefix(&mut client, &prefix, JOURNAL_PREFIX_KEYS).await
                        {
                            Ok((deleted, revision, prev)) => {
                                let entries: Vec<Entry> = prev
                                    .iter()
                                    .map(|kv| {
                                        Entry::new(&kv.key, Some(&kv.value), kv.lease, revision)
                                    })
                                    .collect();
                                let journaled = if entries.is_empty() && deleted > 0 {
                                    " (too many to journal: u cannot restore them)"
                                } else {
                                    ""
                                };
                                journal_append(&entries);
                                Ok(format!(
                                "deleted {deleted} keys under {shown} at rev {revision}{journaled}"
                            ))
                            }
                            Err(e) => {
                                Err(format!("deleting {shown} failed: {}", describe_error(&e)))
                            }
                        };
                    let _ = msgs.send(Msg::Written(result)).await;
                });
            }
            Cmd::FindUndo { key } => {
                let msgs = msgs.clone();
                tokio::task::spawn_blocking(move || {
                    let entry = Journal::open_default().and_then(|j| j.last_for(&key));
                    let _ = msgs.blocking_send(Msg::UndoFound { key, entry });
                });
            }
            Cmd::FetchPrev { seq, key, revision } => {
                let mut client = conn.client.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    let opts = GetOptions::new().with_revision(revision);
                    let result = match client.get(key, Some(opts)).await {
                        Ok(r) => Ok(r.kvs().first().map(|kv| kv.value().to_vec())),
                        Err(e) => Err(describe_error(&e)),
                    };
                    let _ = msgs.send(Msg::EventPrev { seq, result }).await;
                });
            }
            Cmd::ClusterStatus => {
                let mut client = conn.client.clone();
                let settings = conn.settings.clone();
                let msgs = msgs.clone();
                tokio::spawn(async move {
                    let info = cluster::collect(&mut client, &settings).await;
                    let _ = msgs.send(Msg::Cluster(info)).await;
                });
            }
            // Run by the UI loop, which owns the terminal.
            Cmd::ExternalEdit { .. } | Cmd::Copy(_) => {}
            Cmd::Quit => {}
        }
    }
}
