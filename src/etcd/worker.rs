//! The etcd worker: receives `Cmd`s from the UI loop, runs each as its own
//! tokio task against the cluster and sends the results back as `Msg`s.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use etcd_client::GetOptions;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::connect::{Connection, MAX_RESPONSE_BYTES};
use super::types::WriteOutcome;
use super::watch::{self, WatchSpec};
use super::{cluster, describe_error, election, lister, value, write};
use crate::app::msg::WriteOp;
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
    let journal = match &result {
        Ok(WriteOutcome::Done { revision }) => {
            journal_append(&[Entry::new(&key, prev.as_deref(), lease, *revision)])
        }
        _ => Ok(()),
    };
    Msg::WriteDone {
        op,
        key,
        result,
        journal,
    }
}

/// Journal failures must not fail the write that already happened; they
/// are reported (the save's message, a status-bar warning).
fn journal_append(entries: &[Entry]) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let Some(j) = Journal::open_default() else {
        return Err(
            "no place for it: HOME and XDG_DATA_HOME are unset (set ETCDLENS_JOURNAL)".into(),
        );
    };
    j.append(entries).map_err(|e| {
        tracing::warn!(error = %e, "journal not written");
        format!("{}: {e}", j.path.display())
    })
}

/// Children per listing page (the "loading… N keys" step).
pub const PAGE_SIZE: usize = 1000;

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
    let mut watch_task: Option<AbortHandle> = None;
    let mut elections: HashMap<Vec<u8>, AbortHandle> = HashMap::new();
    while let Some(cmd) = cmds.recv().await {
        match cmd {
            Cmd::ListChildren { dir, request } => {
                let mut kv = conn
                    .client
                    .kv_client()
                    .max_decoding_message_size(MAX_RESPONSE_BYTES);
                let msgs = msgs.clone();
                let delimiter = delimiter.clone();
                tokio::spawn(async move {
                    let result = lister::list_children(
                        &mut kv,
                        &request.prefix,
                        &delimiter,
                        request.cursor,
                        PAGE_SIZE,
                        request.seed,
                    )
                    .await
                    .map_err(|e| describe_error(&e));
                    let generation = request.generation;
                    let _ = msgs
                        .send(Msg::Listed {
                            dir,
                            generation,
                            result,
                        })
                        .await;
                });
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
                            let failed = Msg::FileFailed {
                                what: format!("record {}", path.display()),
                                error: format!("cannot open it: {e}"),
                            };
                            let _ = msgs.send(failed).await;
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
                    let result = match write::delete_prefix(
                        &mut client,
                        &prefix,
                        JOURNAL_PREFIX_KEYS,
                    )
                    .await
                    {
                        Ok((deleted, revision, prev)) => {
                            let entries: Vec<Entry> = prev
                                .iter()
                                .map(|kv| Entry::new(&kv.key, Some(&kv.value), kv.lease, revision))
                                .collect();
                            let journaled = if entries.is_empty() && deleted > 0 {
                                " (too many to journal: u cannot restore them)"
                            } else {
                                ""
                            };
                            let kept = match journal_append(&entries) {
                                Ok(()) => "",
                                Err(error) => {
                                    let what = "undo journal".to_string();
                                    let _ = msgs.send(Msg::FileFailed { what, error }).await;
                                    " — the undo copy was NOT kept (u cannot restore them)"
                                }
                            };
                            Ok(format!(
                                "deleted {deleted} keys under {shown} at rev {revision}{journaled}{kept}"
                            ))
                        }
                        Err(e) => Err(format!("deleting {shown} failed: {}", describe_error(&e))),
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
