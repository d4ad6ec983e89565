//! The access-control view's commands (`Cmd::Auth`): reading users and
//! roles, and making changes — in order, each appended to the audit log as
//! its etcdctl equivalent (never a password: `AuthOp::etcdctl` has none)
//! before the one `AuthMsg::Done`.

use crate::app::auth::{AuthCmd, AuthMsg, NEEDS_ROOT};
use crate::app::Msg;
use crate::etcd::auth::{self, AuthOp};
use crate::etcd::connect::Connection;
use crate::etcd::Error;

use super::Tasks;
use crate::audit::Audit;

impl Tasks {
    pub(super) fn auth(&mut self, cmd: AuthCmd) {
        let conn = self.conn.clone();
        let context = self.context.clone();
        match cmd {
            AuthCmd::Load => {
                self.reply(async move {
                    let result = auth::snapshot(&conn).await.map_err(|e| match e {
                        Error::PermissionDenied(_) => NEEDS_ROOT.to_string(),
                        e => e.to_string(),
                    });
                    Msg::Auth(AuthMsg::Loaded(result))
                });
            }
            AuthCmd::Run(ops) => {
                self.reply(async move {
                    let (result, audit) = run(&conn, context, &ops).await;
                    Msg::Auth(AuthMsg::Done { ops, result, audit })
                });
            }
        }
    }
}

/// Runs `ops` in order, stopping at the first failure; each one tried is
/// audit-logged with its outcome.
async fn run(
    conn: &Connection,
    context: Option<String>,
    ops: &[AuthOp],
) -> (Result<String, String>, Result<(), String>) {
    let mut done = Vec::new();
    let mut audited = Ok(());
    let cluster_id = crate::etcd::cluster::cluster_id(conn).await;
    for op in ops {
        let result = auth::apply(conn, op).await.map(|()| op.done());
        let outcome = match &result {
            Ok(line) => format!("ok: {line}"),
            Err(e) => format!("failed: {e}"),
        };
        // The etcdctl equivalent carries no password.
        tracing::info!(action = %op.etcdctl(), %outcome, "auth change");
        let record = Audit::append_default(context.clone(), cluster_id, op.etcdctl(), outcome);
        audited = audited.and(record.await);
        match result {
            Ok(line) => done.push(line),
            Err(e) => {
                let before = if done.is_empty() {
                    String::new()
                } else {
                    format!(" (done before: {})", done.join("; "))
                };
                return (Err(format!("{}: {e}{before}", op.etcdctl())), audited);
            }
        }
    }
    (Ok(done.join("; ")), audited)
}
