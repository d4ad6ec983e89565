//! The etcd worker: receives `Cmd`s from the UI loop, runs each as its own
//! tokio task against the cluster and sends the results back as `Msg`s.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use etcd_client::GetOptions;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::connect::{Connection, MAX_RESPONSE_BYTES};
use super::types::WatchStatus;
use super::watch::{self, WatchSpec};
use super::{describe_error, election, lister, value};
use crate::app::{Cmd, LoadedValue, Msg};
use crate::record::Recorder;
use crate::value_doc::Document;

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
            Cmd::Quit => {}
        }
    }
}
