//! Long scans, each replacing the one before: find, usage (`:du`), and
//! the `:changes` reading.

use crate::app::{Cmd, Msg};
use crate::etcd::{changes, Reports};

use super::Tasks;

impl Tasks {
    pub(super) fn scan(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Find { id, prefix, query } => {
                if let Some((_, old)) = self.find_task.take() {
                    old.abort();
                }
                let reports =
                    Reports::new(self.msgs.clone(), move |batch| Msg::Found { id, batch });
                let task = self.spawn(crate::search::find_typed(
                    self.conn.clone(),
                    prefix,
                    query,
                    reports,
                ));
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
                    self.conn.clone(),
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
                let mut client = self.conn.client.clone();
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
            other => debug_assert!(false, "not a scan: {other:?}"),
        }
    }
}
