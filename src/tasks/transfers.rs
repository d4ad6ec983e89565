//! Transfers: export to a file, plan and apply a copy, move or import
//! (to this cluster or another context's).

use crate::app::{Cmd, Msg};

use super::{progress_due, Tasks};

impl Tasks {
    pub(super) fn transfer(&mut self, cmd: Cmd) {
        let conn = self.conn.clone();
        match cmd {
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
                        &conn,
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
                    let result = match others.target(&conn, transfer.to_context.as_deref()).await {
                        Ok((target, _)) => {
                            crate::transfer::plan_between(
                                &conn, &target, &transfer, &options, progress,
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
                    let result = match others.target(&conn, to_context.as_deref()).await {
                        Ok((cluster, _)) => {
                            crate::transfer::key_values(&conn, &cluster, &source, &plan, &target)
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
                let journal = self.journal_for(transfer.to_context.as_deref());
                self.spawn(async move {
                    let mut due = progress_due();
                    let progress = |keys| {
                        if due() {
                            let _ = msgs.try_send(Msg::Applying { keys });
                        }
                    };
                    let result = match others
                        .writable_target(&conn, transfer.to_context.as_deref())
                        .await
                    {
                        Ok(target) => {
                            crate::transfer::apply_between(
                                &conn,
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
            other => debug_assert!(false, "not a transfer: {other:?}"),
        }
    }
}
