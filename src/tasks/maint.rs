//! The maintenance view's actions (`Cmd::Maint`): each calls
//! `etcd::maintenance` (or `etcd::snapshot`), sends its progress as lines
//! and ends with one `MaintMsg::Done` — after the action was appended to
//! the audit log beside the journal.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::maint::{DefragChoice, MaintCmd, MaintMsg, MaintOp};
use crate::app::Msg;
use crate::etcd::connect::Connection;
use crate::etcd::maintenance::{self, Plan, Report, RollingOptions};
use crate::etcd::{describe_write_error, members, snapshot};

use super::Tasks;

impl Tasks {
    pub(super) fn maint(&mut self, cmd: MaintCmd) {
        let conn = self.conn.clone();
        let context = self.context.clone();
        match cmd {
            MaintCmd::Stop => self.maint_stop.store(true, Ordering::Relaxed),
            MaintCmd::PlanDefrag(choice) => {
                self.reply(async move {
                    let result = maintenance::plan_for(&conn, &rolling(choice, None)).await;
                    Msg::Maint(MaintMsg::Planned { choice, result })
                });
            }
            MaintCmd::Defrag { plan, choice } => {
                let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
                self.maint_stop = stop.clone();
                let progress = self.progress_lines();
                self.reply(async move {
                    let opts = rolling(choice, Some(stop));
                    let (steps, result) = defrag(&conn, plan, &opts, &progress.tx).await;
                    progress.flush().await;
                    // Each member's defragmentation and each move, then the run.
                    let mut records: Vec<(String, Result<String, String>)> = steps
                        .into_iter()
                        .map(|(action, line)| (action, Ok(line)))
                        .collect();
                    records.push(("etcdlens defrag --rolling".into(), result.clone()));
                    let audit = audit_all(&conn, context, records).await;
                    done(MaintOp::Defrag, Vec::new(), result, audit)
                });
            }
            MaintCmd::Compact { revision, physical } => {
                self.reply(async move {
                    let action = format!(
                        "etcdctl compact {revision}{}",
                        if physical { " --physical" } else { "" }
                    );
                    let result = maintenance::compact(&conn, revision, physical)
                        .await
                        .map(|()| {
                            format!("compacted at rev {revision}: older revisions can no longer be read")
                        })
                        .map_err(|e| {
                            format!("compacting to rev {revision} failed: {}", describe_write_error(&e))
                        });
                    let audit = audit(&conn, context, &action, &result).await;
                    done(MaintOp::Compact, Vec::new(), result, audit)
                });
            }
            MaintCmd::MoveLeader { to, name } => {
                self.reply(async move {
                    let result = maintenance::move_leader(&conn, to)
                        .await
                        .map(|()| format!("leadership moved to {name}"))
                        .map_err(|e| {
                            format!(
                                "moving leadership to {name} failed: {}",
                                describe_write_error(&e)
                            )
                        });
                    let action = format!("etcdctl move-leader {to:x}");
                    let audit = audit(&conn, context, &action, &result).await;
                    done(MaintOp::MoveLeader, Vec::new(), result, audit)
                });
            }
            MaintCmd::CheckHash => {
                self.reply(async move {
                    let (lines, result) = match maintenance::check_hash(&conn).await {
                        Ok(check) if check.matched() => (
                            check.lines(),
                            Ok(format!(
                                "every member holds the same data at rev {}",
                                check.revision
                            )),
                        ),
                        Ok(check) if check.incomplete() => (
                            check.lines(),
                            Err(format!(
                                "not every member answered at rev {}: no verdict",
                                check.revision
                            )),
                        ),
                        Ok(check) => (
                            check.lines(),
                            Err(format!(
                                "the members' data differ at rev {}",
                                check.revision
                            )),
                        ),
                        Err(e) => (Vec::new(), Err(format!("the hash check failed: {e}"))),
                    };
                    // A read: nothing to audit.
                    done(MaintOp::CheckHash, lines, result, Ok(()))
                });
            }
            MaintCmd::Disarm => {
                self.reply(async move {
                    let members = maintenance::members(&conn).await.map(|(_, m)| m);
                    let name = |id: u64| {
                        let m = members
                            .as_ref()
                            .ok()
                            .and_then(|ms| ms.iter().find(|m| m.id == id));
                        m.map_or_else(|| format!("{id:x}"), |m| m.label())
                    };
                    let result = match maintenance::disarm_all(&conn).await {
                        Ok(d) if d.is_empty() => Ok("no alarm was active".to_string()),
                        Ok(d) => {
                            let names: Vec<String> = d
                                .iter()
                                .map(|(id, a)| format!("{a} on {}", name(*id)))
                                .collect();
                            Ok(format!("disarmed: {}", names.join(", ")))
                        }
                        Err(e) => Err(format!("disarming failed: {}", describe_write_error(&e))),
                    };
                    let audit = audit(&conn, context, "etcdctl alarm disarm", &result).await;
                    done(MaintOp::Disarm, Vec::new(), result, audit)
                });
            }
            MaintCmd::Check { test_key } => {
                self.reply(async move {
                    let check = maintenance::recovery_check(&conn, test_key.as_deref()).await;
                    let result = if check.ok {
                        Ok("recovered: no alarm, every member below its quota".to_string())
                    } else {
                        Err("the check found a problem (above)".to_string())
                    };
                    let audit = match &test_key {
                        Some(k) => {
                            let action = format!(
                                "etcdlens recovery check: test write and delete of {}",
                                crate::escape::escape_bytes(k)
                            );
                            audit(&conn, context, &action, &result).await
                        }
                        None => Ok(()),
                    };
                    done(MaintOp::Check, check.lines, result, audit)
                });
            }
            MaintCmd::AddMember { name, peer_urls } => {
                self.reply(async move {
                    let urls = peer_urls.join(",");
                    let (lines, result) = match members::add_learner(&conn, &name, &peer_urls).await {
                        Ok(added) => (
                            vec![
                                "start it with (DATA_DIR and CLIENT_URL yours to choose):".to_string(),
                                added.command,
                            ],
                            Ok(format!(
                                "{name} added as learner {:x}: start it, then promote it once it has caught up",
                                added.id
                            )),
                        ),
                        Err(e) => (Vec::new(), Err(format!("adding {name} failed: {}", members::explain(&e)))),
                    };
                    let action = format!("etcdctl member add {name} --peer-urls={urls} --learner");
                    let audit = audit(&conn, context, &action, &result).await;
                    done(MaintOp::AddMember, lines, result, audit)
                });
            }
            MaintCmd::Promote { id, name } => {
                self.reply(async move {
                    let result = members::promote(&conn, id)
                        .await
                        .map(|()| format!("{name} promoted: it votes now"))
                        .map_err(|e| format!("promoting {name} failed: {}", members::explain(&e)));
                    let audit = audit(
                        &conn,
                        context,
                        &format!("etcdctl member promote {id:x}"),
                        &result,
                    )
                    .await;
                    done(MaintOp::Promote, Vec::new(), result, audit)
                });
            }
            MaintCmd::RemoveMember { id, name } => {
                self.reply(async move {
                    let result = members::remove(&conn, id)
                        .await
                        .map(|()| format!("{name} removed from the cluster"))
                        .map_err(|e| format!("removing {name} failed: {}", members::explain(&e)));
                    let audit = audit(
                        &conn,
                        context,
                        &format!("etcdctl member remove {id:x}"),
                        &result,
                    )
                    .await;
                    done(MaintOp::RemoveMember, Vec::new(), result, audit)
                });
            }
            MaintCmd::UpdateMember {
                id,
                name,
                peer_urls,
            } => {
                self.reply(async move {
                    let urls = peer_urls.join(",");
                    let result = members::update(&conn, id, &peer_urls)
                        .await
                        .map(|()| format!("{name}'s peer URLs are {urls}"))
                        .map_err(|e| format!("updating {name} failed: {}", members::explain(&e)));
                    let action = format!("etcdctl member update {id:x} --peer-urls={urls}");
                    let audit = audit(&conn, context, &action, &result).await;
                    done(MaintOp::UpdateMember, Vec::new(), result, audit)
                });
            }
            MaintCmd::Snapshot { path, endpoint } => {
                let progress = self.progress_lines();
                self.reply(async move {
                    let (lines, result) = save(&conn, &path, &endpoint, &progress.tx).await;
                    progress.flush().await;
                    let action = format!("etcdctl --endpoints={endpoint} snapshot save {path}");
                    let audit = audit(&conn, context, &action, &result).await;
                    done(MaintOp::Snapshot, lines, result, audit)
                });
            }
        }
    }

    /// A sender of progress lines, forwarded in order to the UI (none is
    /// dropped: they are few), and what says they all went: awaited after
    /// the sender is dropped, so the action's end comes after its lines.
    fn progress_lines(&mut self) -> Progress {
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let (sent, all_sent) = tokio::sync::oneshot::channel();
        let msgs = self.msgs.clone();
        self.spawn(async move {
            while let Some(line) = rx.recv().await {
                let progress = Msg::Maint(MaintMsg::Progress(line));
                if msgs.send(progress).await.is_err() {
                    break;
                }
            }
            let _ = sent.send(());
        });
        Progress { tx, all_sent }
    }
}

/// Progress lines of one action ([`Tasks::progress_lines`]).
struct Progress {
    tx: mpsc::UnboundedSender<String>,
    all_sent: tokio::sync::oneshot::Receiver<()>,
}

impl Progress {
    /// Waits until every line sent went to the UI.
    async fn flush(self) {
        drop(self.tx);
        let _ = self.all_sent.await;
    }
}

fn done(
    op: MaintOp,
    lines: Vec<String>,
    result: Result<String, String>,
    audit: Result<(), String>,
) -> Msg {
    Msg::Maint(MaintMsg::Done {
        op,
        lines,
        result,
        audit,
    })
}

/// The rolling defragmentation's options for the TUI's choice.
fn rolling(
    choice: DefragChoice,
    stop: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> RollingOptions {
    let defaults = RollingOptions::default();
    RollingOptions {
        wait: Duration::from_secs(choice.wait_secs),
        leader_last: choice.leader_last,
        min_fragmentation: if choice.all {
            0.0
        } else {
            defaults.min_fragmentation
        },
        min_gain: if choice.all { 0 } else { defaults.min_gain },
        stop,
    }
}

/// Runs a rolling defragmentation (planned here when `plan` is `None`,
/// its steps then sent first), each report a progress line. With its
/// outcome, the steps taken as the audit log words them: (etcdctl
/// equivalent, what happened).
async fn defrag(
    conn: &Connection,
    plan: Option<Plan>,
    opts: &RollingOptions,
    progress: &mpsc::UnboundedSender<String>,
) -> (Vec<(String, String)>, Result<String, String>) {
    let plan = match plan {
        Some(p) => p,
        None => match maintenance::plan_for(conn, opts).await {
            Ok(p) => {
                for (i, step) in p.steps.iter().enumerate() {
                    let _ = progress.send(format!("  {}. {}", i + 1, step.line()));
                }
                p
            }
            Err(e) => return (Vec::new(), Err(e)),
        },
    };
    let mut steps = Vec::new();
    let report = |r: Report| {
        match &r {
            Report::Defragmented { member, .. } => steps.push((
                format!("etcdctl --endpoints={} defrag", member.url()),
                r.line(),
            )),
            Report::Moved {
                from,
                to,
                done: true,
                ..
            } => steps.push((
                format!("etcdctl --endpoints={} move-leader {:x}", from.url(), to.id),
                r.line(),
            )),
            _ => {}
        }
        let _ = progress.send(r.line());
    };
    let result = maintenance::run_rolling(conn, &plan, opts, report)
        .await
        .map(|done| {
            let names: Vec<String> = done.iter().map(|m| m.label()).collect();
            format!(
                "done: {} of {} members defragmented ({})",
                done.len(),
                plan.members.len(),
                names.join(", ")
            )
        });
    (steps, result)
}

/// Saves a snapshot of the member at `endpoint` to `path` (never over an
/// existing file), then reads its status back.
async fn save(
    conn: &Connection,
    path: &str,
    endpoint: &str,
    progress: &mpsc::UnboundedSender<String>,
) -> (Vec<String>, Result<String, String>) {
    let file = std::path::PathBuf::from(path);
    let member = match snapshot::choose_member(conn, Some(endpoint)).await {
        Ok(m) => m,
        Err(e) => return (Vec::new(), Err(format!("snapshot: {e}"))),
    };
    let mut last = std::time::Instant::now();
    let mut report = |got: u64, total: u64| {
        if last.elapsed() >= Duration::from_secs(1) {
            last = std::time::Instant::now();
            let _ = progress.send(format!(
                "received {} of {}",
                maintenance::mib(got as i64),
                maintenance::mib(total.max(got) as i64)
            ));
        }
    };
    let saved = match snapshot::save(conn, &member, &file, false, &mut report).await {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Err(format!("snapshot: {e}"))),
    };
    let status = tokio::task::spawn_blocking(move || snapshot::status(&file))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let mut lines: Vec<String> = saved
        .removed
        .iter()
        .map(|p| {
            format!(
                "removed {}: the partial file of an earlier save that was killed",
                p.display()
            )
        })
        .collect();
    lines.push(format!(
        "sha256 {} checked, {} written",
        snapshot::hex(&saved.sha256),
        maintenance::mib(saved.bytes as i64)
    ));
    match status {
        Ok(s) => lines.push(format!(
            "status: revision {}, {} keys, {}, hash {:08x}",
            s.revision,
            s.total_key,
            maintenance::mib(s.total_size as i64),
            s.hash
        )),
        Err(e) => lines.push(format!("status: cannot be read back: {e}")),
    }
    (
        lines,
        Ok(format!("snapshot of {} saved to {path}", member.url)),
    )
}

/// Appends the action to the audit log (beside the journal). A failure
/// to write it is returned, to be said; the action stands.
async fn audit(
    conn: &Connection,
    context: Option<String>,
    action: &str,
    result: &Result<String, String>,
) -> Result<(), String> {
    audit_all(conn, context, vec![(action.to_string(), result.clone())]).await
}

/// Appends each (action, its result) in order; the cluster's id is asked
/// once for all of them.
async fn audit_all(
    conn: &Connection,
    context: Option<String>,
    records: Vec<(String, Result<String, String>)>,
) -> Result<(), String> {
    let cluster_id = crate::etcd::cluster::cluster_id(conn).await;
    let mut written = Ok(());
    for (action, result) in records {
        let outcome = match result {
            Ok(line) => format!("ok: {line}"),
            Err(e) => format!("failed: {e}"),
        };
        let record =
            crate::audit::Audit::append_default(context.clone(), cluster_id, action, outcome);
        written = written.and(record.await);
    }
    written
}
